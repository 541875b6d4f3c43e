#!/usr/bin/env bash
# The README's first command: builds clusterd and shows a live failover.
#   tools/demo.sh              two nodesims (beta behind the real ser2net) in a
#                              private test network, clusterd with the stock
#                              script, a panic injected on the active node; ends
#                              when the standby has taken over (about 15 s)
#   tools/demo.sh replay [CASE]  a recorded incident through the stock script in
#                              virtual time (chatc replay; FAST=1: no pacing)
#   tools/demo.sh fleet        a fleet (docs/fleet.md): three etcd members and
#                              three monitoring hosts in network namespaces;
#                              a failover whose owner host is killed mid-way
#                              and finished by another host (about 1 minute)
# Needs root for the network namespaces (as the tests do).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
if [[ ${1:-} == fleet ]]; then
  echo "== building clusterd, clusterd-fleet, clusterctl and nodesim (first time: a few minutes)"
  cmake -S . -B build -G Ninja >/dev/null
  cmake --build build --target clusterd clusterd-fleet clusterctl nodesim -j "${JOBS:-$(nproc)}" | tail -n 1
  echo
  echo "== three etcd members, three monitoring hosts, five clusters; c1's owner dies mid-failover"
  FLEET_DEMO=1 exec tests/fleet/fleet_test.sh build/bin .
fi
if [[ ${1:-} != replay ]]; then
  echo "== building clusterd, clusterctl and nodesim (first time: a few minutes)"
  cmake -S . -B build -G Ninja >/dev/null
  cmake --build build --target clusterd clusterctl nodesim chatc -j "${JOBS:-$(nproc)}" | tail -n 1
  echo
  echo "== a simulated two-node cluster under clusterd; then alpha panics"
  DEMO=1 exec crashtest/scenarios/primary_panic.sh build/bin .
fi
shift
echo "== building chatc (first time: about a minute)"
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target chatc -j "${JOBS:-$(nproc)}" | tail -n 1

case=${1:-primary_panic}
dir=tests/chat/golden
cases() {  # the recorded cases, one a line
  local f
  for f in "$dir"/*.alpha.console; do
    [[ -e $f ]] || continue
    f=${f##*/}
    echo "${f%.alpha.console}"
  done
}
if [[ ! -f $dir/$case.alpha.console ]]; then
  echo "demo: no recorded case '$case'; try one of:" >&2
  cases | sed 's/^/  /' >&2
  exit 2
fi

echo
echo "== the stock script passes the checker"
build/bin/chatc check scripts/sparc-obp.chat
echo
echo "== recorded consoles of case '$case': alpha (active) and beta (standby)"
grep -v '^#' "$dir/$case.alpha.console" | sed "s/^/  alpha /" | sed -n 1,8p
grep -v '^#' "$dir/$case.beta.console" | sed "s/^/  beta  /" | sed -n 1,6p
echo
echo "== clusterd's decisions, replayed in virtual time (chatc replay)"
args=(--console active="$dir/$case.alpha.console" --console standby="$dir/$case.beta.console")
[[ -f $dir/$case.events ]] && args+=(--events "$dir/$case.events")
timeline=$(build/bin/chatc replay scripts/sparc-obp.chat "${args[@]}")
prev=0
while IFS= read -r line; do
  if [[ -z ${FAST:-} ]]; then
    # Pace the output: 1 s of the incident is 50 ms here, at most 1.5 s a line.
    t=${line%%s *}; t=${t#+}
    awk -v a="$prev" -v b="$t" 'BEGIN { d = (b - a) / 20; if (d > 1.5) d = 1.5; if (d > 0) system("sleep " d) }'
    prev=$t
  fi
  printf '%s\n' "$line"
done <<< "$timeline"
echo
echo "Other cases: $(cases | tr '\n' ' ')"
echo "Run one with: tools/demo.sh replay CASE    (the timeline format: docs/formats.md)"
