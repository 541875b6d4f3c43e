#!/usr/bin/env bash
# bench/fleet_scale.sh — the fleet's ownership layer at scale (docs/fleet.md,
# bench/README.md "Fleet"): a real 3-member etcd on 127.0.0.1, three
# clusterd-fleet agents, N clusters. Each "clusterd" is a stand-in that only
# sleeps (--clusterd), so what is measured is the fleet itself: claims,
# keepalives, polls, etcd's load, and how long the clusters of a killed host
# stay without an owner and a started clusterd. The end-to-end test
# (tests/fleet/fleet_test.sh) measures the same gap with real clusterds and
# consoles on 5 clusters.
#
#   bench/fleet_scale.sh [N] [--kill-leader] [--real]   (default N=1000; about a minute)
# --kill-leader also SIGKILLs the etcd leader at the moment the host dies.
# --real runs real clusterds against two nodesims per cluster on loopback
# (tests/support/loopback_cluster.sh; N at most 120): the gap then ends at
# the new clusterd's "console beta up", and every nodesim ledger must show
# no BREAK at all (a handover must not fence anything).
# Prints one RESULT line; the agents' logs stay in the work dir it names.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$src/build/bin}
n=1000 kill_leader=0 real=0
for a in "$@"; do
  case $a in
    --kill-leader) kill_leader=1 ;;
    --real) real=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) [[ $a =~ ^[0-9]+$ ]] || { echo "fleet_scale.sh: unknown argument '$a'" >&2; exit 2; }; n=$a ;;
  esac
done
work=$(mktemp -d /tmp/fleet-bench.XXXXXX)
base=25400
EC=$src/tools/etcd-cluster.sh
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$EC" stop "$work/etcd" >/dev/null 2>&1 || true
  echo "fleet_scale: logs in $work"
}
trap cleanup EXIT
say() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

"$EC" start "$work/etcd" 127.0.0.1 "$base"
eps=$("$EC" endpoints 127.0.0.1 "$base")
printf '#!/bin/sh\nexec sleep 1000000\n' >"$work/stub"
chmod +x "$work/stub"
child=$work/stub
if ((real)); then
  ((n <= 120)) || { echo "fleet_scale.sh: --real takes at most 120 clusters (127.0.0.x addresses)" >&2; exit 2; }
  child=$bin/clusterd
  home=$work/h1
  mkdir -p "$home/clusters"
  # shellcheck source=tests/support/loopback_cluster.sh
  source "$src/tests/support/loopback_cluster.sh"
  for ((i = 1; i <= n; i++)); do loopback_cluster "c$i"; done
  pids+=("${loopback_pids[@]}")
  say "$((2 * n)) nodesims up"
fi
for k in 1 2 3; do
  mkdir -p "$work/h$k/clusters"
  [[ -e $work/h$k/scripts ]] || ln -s "$src/scripts" "$work/h$k/scripts"
  for ((i = 1; i <= n; i++)); do
    if ((real)); then
      [[ $k == 1 ]] || cp "$work/h1/clusters/c$i.toml" "$work/h$k/clusters/c$i.toml"
    else
      : >"$work/h$k/clusters/c$i.toml"
    fi
    echo "c$i clusters/c$i.toml"
  done >"$work/h$k/CList"
done
agents=()
for k in 1 2 3; do
  "$bin/clusterd-fleet" --host "h$k" --etcd "$eps" --home "$work/h$k" --clusterd "$child" \
    --no-rebalance >"$work/h$k.log" 2>&1 &
  agents+=($!)
  pids+=($!)
done
owners() { ETCDCTL_API=3 etcdctl --endpoints="${eps//http:\/\//}" get --prefix /clusterd/owner/ "$@"; }
owned() { owners --keys-only 2>/dev/null | grep -c '^/clusterd/owner/' || true; }
t0=$(date +%s)
until [[ $(owned) == "$n" ]]; do
  (($(date +%s) - t0 < 300)) || { say "not all $n clusters owned within 300 s"; exit 1; }
  sleep 0.5
done
say "all $n clusters owned after $(($(date +%s) - t0)) s"
spread=$(owners --print-value-only | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')

cpu_ticks() {  # PID...: utime+stime in clock ticks, summed
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
mapfile -t members < <(cat "$work"/etcd/m*.pid)
tick=$(getconf CLK_TCK)
window=30
e0=$(cpu_ticks "${members[@]}") a0=$(cpu_ticks "${agents[@]}")
sleep "$window"
e1=$(cpu_ticks "${members[@]}") a1=$(cpu_ticks "${agents[@]}")
etcd_pct=$(awk -v d=$((e1 - e0)) -v t="$tick" -v w="$window" 'BEGIN { printf "%.2f", 100 * d / t / w }')
agent_pct=$(awk -v d=$((a1 - a0)) -v t="$tick" -v w="$window" 'BEGIN { printf "%.2f", 100 * d / t / w / 3 }')
etcd_rss=$(for p in "${members[@]}"; do awk '/VmRSS/ {print $2}' "/proc/$p/status"; done | sort -n | tail -1)
say "steady: etcd ${etcd_pct}% of a core (3 members together), agent ${agent_pct}% each"

victim=h1
owners -w json | python3 -c '
import base64, json, sys
for kv in json.load(sys.stdin).get("kvs", []):
    if base64.b64decode(kv["value"]).decode() == sys.argv[1]:
        print(base64.b64decode(kv["key"]).decode().rsplit("/", 1)[1])' "$victim" >"$work/lost.txt"
nlost=$(wc -l <"$work/lost.txt")
leader=0
((kill_leader)) && leader=$("$EC" leader "$work/etcd" 127.0.0.1 "$base")
kill -9 "${agents[0]}"
((leader)) && "$EC" kill "$work/etcd" "$leader"
t_kill=$(python3 -c 'import time; print(time.time())')
say "killed $victim ($nlost clusters)$( ((leader)) && echo " and etcd leader m$leader")"
t1=$(date +%s)
victim_owns() { local v; v=$(owners --print-value-only); grep -qx "$victim" <<<"$v"; }
until [[ $(owned) == "$n" ]] && ! victim_owns; do
  (($(date +%s) - t1 < 120)) || { say "the clusters of $victim were not all taken within 120 s"; exit 1; }
  sleep 0.2
done
sleep 2  # the last "started clusterd" lines
if ((real)); then
  # Until each lost cluster's new clusterd has both consoles up.
  up_again() {
    local c
    while read -r c; do
      grep -q "console beta up" "$work/h2/Logs/$c.log" 2>/dev/null ||
        grep -q "console beta up" "$work/h3/Logs/$c.log" 2>/dev/null || return 1
    done <"$work/lost.txt"
  }
  t1=$(date +%s)
  until up_again; do
    (($(date +%s) - t1 < 120)) || { say "not every lost cluster watched again within 120 s"; exit 1; }
    sleep 0.5
  done
fi
python3 - "$work" "$t_kill" "$n" "$nlost" "$etcd_pct" "$agent_pct" "$etcd_rss" "$spread" "$leader" "$real" <<'PY'
import datetime, glob, json, re, statistics, sys
work, t_kill, n, nlost, etcd_pct, agent_pct, etcd_rss, spread, leader, real = sys.argv[1:]
t_kill = float(t_kill)
lost = set(open(work + "/lost.txt").read().split())
started = {}
for k in (2, 3):
    for line in open(f"{work}/h{k}.log"):
        m = re.match(r"(\S+)Z clusterd-fleet h\d: started clusterd for (\S+) ", line)
        if not m or m.group(2) not in lost:
            continue
        t = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp()
        if t > t_kill:
            started.setdefault(m.group(2), t - t_kill)
if real == "1":
    # The new owner's clusterd: its first "console beta up" after the kill.
    started = {}
    for c in lost:
        for k in (2, 3):
            try:
                lines = open(f"{work}/h{k}/Logs/{c}.log").read().splitlines()
            except OSError:
                continue
            for line in lines:
                if "console beta up" not in line:
                    continue
                t = datetime.datetime.fromisoformat(line.split()[0].rstrip("Z")).replace(
                    tzinfo=datetime.timezone.utc).timestamp()
                if t > t_kill:
                    started[c] = min(started.get(c, 1e18), t - t_kill)
    breaks = 0
    for f in glob.glob(work + "/sim-*/*.ledger"):
        breaks += sum(1 for l in open(f) if json.loads(l).get("ev") == "break")
    print(f"ledgers: {breaks} BREAKs in {len(glob.glob(work + '/sim-*/*.ledger'))} ledgers (want 0)")
    if breaks:
        sys.exit(1)
gaps = sorted(started.values())
missing = len(lost) - len(gaps)
print(f"RESULT n={n} real={'yes' if real == '1' else 'no'} spread='{spread.strip()}' lost={nlost} restarted={len(gaps)} missing={missing} "
      f"leader_killed={'m' + leader if leader != '0' else 'no'} "
      f"gap_median_s={statistics.median(gaps):.2f} gap_max_s={max(gaps):.2f} "
      f"etcd_cpu_pct={etcd_pct} agent_cpu_pct={agent_pct} etcd_rss_kb_max={etcd_rss}")
sys.exit(1 if missing else 0)
PY
