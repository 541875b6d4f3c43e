#!/usr/bin/env bash
# Metrics end to end, against real daemons: a CLUSTER_HOME whose CList has two
# running clusters (east with [metrics] listen on loopback, west without; each
# two nodesims on loopback pinged by TCP connect, as initd_test.sh) and one
# listed but never started (gone). Asserts:
#   - curl GET /metrics on east: 200, Content-Type text/plain; version=0.0.4,
#     a text prom_check.py (and promtool, when installed) accepts, with the
#     healthy values: up 1, both consoles up, alpha active and beta standby,
#     ping up with an rtt, probes counted, failovers_total 0, no takeover time;
#   - curl --http1.0 too; 404 for another path, 405 for POST, 431 for a 9 KiB
#     head; a client that never finishes its request does not delay
#     `clusterctl status`;
#   - `clusterctl metrics east` gives the same families; `clusterctl metrics`
#     joins east and west (HELP/TYPE once each) and says "# gone: not running";
#   - west has no endpoint; a non-loopback listen is refused by --check with
#     file:line:col;
#   - after a panic on west's alpha and the takeover: failovers_total 1, the
#     roles swapped, a takeover duration; east unchanged.
# Every text also goes through `promtool check metrics` when promtool is on
# the PATH (Debian: prometheus) or PROMTOOL names it.
# No root, no namespaces (~10 s).
#   metrics_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
# shellcheck source=../support/loopback_cluster.sh
source "$src/tests/support/loopback_cluster.sh"
check=$src/tests/clusterd/prom_check.py

work=$(mktemp -d /tmp/clusterd-metrics-XXXXXX)
home=$work/home
pids=()
cleanup() {
  local p
  for p in "${pids[@]}" "${loopback_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
# prom_check FILE ARGS...: the strict checker, its verdict shown indented.
prom_check() {
  local f=$1; shift
  python3 "$check" "$f" "$@" 2>&1 | sed 's/^/    | /'
  return "${PIPESTATUS[0]}"
}
ctl() { "$bin/clusterctl" "$@" --home "$home"; }
promtool=$(command -v "${PROMTOOL:-promtool}" || true)
# promtool_check FILE: promtool's parser and linter, when installed.
promtool_check() {
  [[ -n $promtool ]] || return 0
  "$promtool" check metrics <"$1" 2>&1 | sed 's/^/    | promtool: /'
}

mkdir -p "$home/clusters" "$home/scripts/lib"
cp "$src"/scripts/*.chat "$home/scripts/"
cp "$src"/scripts/lib/*.chat "$home/scripts/lib/" 2>/dev/null || true

mport=$(free_port)
for cluster in east west; do loopback_cluster "$cluster"; done
printf '%s\n' '[metrics]' "listen = \"127.0.0.1:$mport\"" >>"$home/clusters/east.toml"
# gone: a good config whose daemon is never started.
sed -e 's/127\.0\.0\.\([0-9]*\)"/127.0.1.\1"/' "$home/clusters/west.toml" >"$home/clusters/gone.toml"
printf '%s\n' 'east clusters/east.toml' 'gone clusters/gone.toml' 'west clusters/west.toml' >"$home/CList"

for cluster in east west; do
  "$bin/clusterd" --cluster "$cluster" --home "$home" >"$work/$cluster.stderr" 2>&1 &
  pids+=($!)
done
wait_for 10 "answer from east" ctl status east
wait_for 10 "answer from west" ctl status west
say "4 nodesims, clusterd east (metrics on 127.0.0.1:$mport) and west; gone is not running"

# Consoles connect and the first ping answers within a few seconds.
healthy() {
  ctl metrics "$1" >"$work/$1.poll" &&
    python3 "$check" "$work/$1.poll" --expect "clusterd_ping_up{cluster=\"$1\"} 1" \
      --expect "clusterd_console_up{cluster=\"$1\",node=\"alpha\"} 1" \
      --expect "clusterd_console_up{cluster=\"$1\",node=\"beta\"} 1"
}
wait_for 15 "healthy east (consoles up, ping up)" healthy east
wait_for 15 "healthy west (consoles up, ping up)" healthy west

say "curl GET /metrics (east)"
url=http://127.0.0.1:$mport/metrics
code=$(curl -sS -D "$work/headers" -o "$work/curl.prom" -w '%{http_code}' "$url")
[[ $code == 200 ]] || fail "GET /metrics: HTTP $code"
grep -qix 'content-type: text/plain; version=0.0.4.*' <<<"$(tr -d '\r' <"$work/headers")" ||
  fail "Content-Type: $(grep -i content-type "$work/headers")"
grep -qix 'connection: close' < <(tr -d '\r' <"$work/headers") || fail "no Connection: close"
# The values of a healthy, never failed-over CLUSTER, as prom_check.py arguments.
expect_healthy() {
  local c=$1 state
  state=$(ctl status "$c" | sed -n 's/^state *//p')
  [[ -n $state ]] || fail "no state in clusterctl status $c"
  values+=(
    --expect "clusterd_up{cluster=\"$c\"} 1"
    --expect "clusterd_state{cluster=\"$c\",state=\"$state\"} 1"
    --expect "clusterd_role{cluster=\"$c\",node=\"alpha\",role=\"active\"} 1"
    --expect "clusterd_role{cluster=\"$c\",node=\"beta\",role=\"standby\"} 1"
    --expect "clusterd_console_up{cluster=\"$c\",node=\"alpha\"} 1"
    --expect "clusterd_console_up{cluster=\"$c\",node=\"beta\"} 1"
    --expect "clusterd_ping_up{cluster=\"$c\"} 1"
    --expect "clusterd_ping_rtt_seconds{cluster=\"$c\"} >0"
    --expect "clusterd_ping_probes_total{cluster=\"$c\"} >0"
    --expect "clusterd_ping_lost_total{cluster=\"$c\"} *"
    --expect "clusterd_failovers_total{cluster=\"$c\"} 0"
    --expect "clusterd_alarms_pending{cluster=\"$c\"} 0"
    --expect "clusterd_alarms_raised_total{cluster=\"$c\"} *"
    --absent "clusterd_last_takeover_duration_seconds{cluster=\"$c\"}"
  )
}
values=()
expect_healthy east
healthy_values=("${values[@]}")
prom_check "$work/curl.prom" "${healthy_values[@]}" || fail "GET /metrics: bad exposition or values"
families=$(grep -c '^# TYPE ' "$work/curl.prom")
[[ $families == 12 ]] || fail "GET /metrics: $families families, expected 12"

if [[ -n $promtool ]]; then
  say "promtool check metrics ($promtool)"
  promtool_check "$work/curl.prom" || fail "promtool check metrics refused GET /metrics"
else
  say "promtool not installed: skipped (Debian package prometheus, or PROMTOOL=PATH)"
fi

say "HTTP/1.0, other paths and methods, an oversized head"
code=$(curl -sS --http1.0 -o "$work/curl10.prom" -w '%{http_code} %{http_version}' "$url")
[[ $code == "200 1" || $code == "200 1.0" ]] || fail "GET /metrics over HTTP/1.0: $code"
prom_check "$work/curl10.prom" --expect 'clusterd_up{cluster="east"} 1' || fail "HTTP/1.0 body"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/")
[[ $code == 404 ]] || fail "GET /: $code, expected 404"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data x "$url")
[[ $code == 405 ]] || fail "POST /metrics: $code, expected 405"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Pad: $(head -c 9000 /dev/zero | tr '\0' x)" "$url")
[[ $code == 431 ]] || fail "9 KiB head: $code, expected 431"

say "a stalled HTTP client does not block the daemon"
python3 "$src/tests/clusterd/stalled_http_client.py" "$mport" &
stall=$!
sleep 0.3
start=$(date +%s%N)
ctl status east >/dev/null || fail "clusterctl status east with a stalled HTTP client"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$url")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $code == 200 ]] || fail "GET /metrics next to a stalled client: $code"
(( ms < 1000 )) || fail "status and a scrape took ${ms} ms next to a stalled client"
kill "$stall" 2>/dev/null || true
wait "$stall" 2>/dev/null || true

say "clusterctl metrics east"
ctl metrics east >"$work/east.prom" || fail "clusterctl metrics east"
prom_check "$work/east.prom" "${healthy_values[@]}" || fail "clusterctl metrics east"
diff <(grep '^#' "$work/east.prom") <(grep '^#' "$work/curl.prom") || fail "clusterctl and HTTP families differ"

say "clusterctl metrics (every cluster of the CList)"
ctl metrics >"$work/all.prom" || fail "clusterctl metrics (all)"
values=()
expect_healthy east
expect_healthy west
prom_check "$work/all.prom" "${values[@]}" || fail "clusterctl metrics (all)"
grep -qx '# gone: not running' "$work/all.prom" || fail "no '# gone: not running' line"
for kind in HELP TYPE; do
  dup=$(grep "^# $kind " "$work/all.prom" | cut -d' ' -f3 | sort | uniq -d)
  [[ -z $dup ]] || fail "# $kind repeated for: $dup"
  [[ $(grep -c "^# $kind " "$work/all.prom") == 12 ]] || fail "expected 12 # $kind lines"
done
promtool_check "$work/all.prom" || fail "promtool check metrics refused clusterctl metrics"
set +e
ctl metrics gone >/dev/null 2>"$work/gone.err"
rc=$?
set -e
{ [[ $rc == 2 ]] && grep -q 'clusterd is not running' "$work/gone.err"; } || fail "clusterctl metrics gone: exit $rc, $(cat "$work/gone.err")"

say "west has no endpoint; a non-loopback listen is refused"
grep -q 'metrics: http://127.0.0.1' "$home/Logs/east.log" || fail "east's log does not name its endpoint"
! grep -q 'metrics: http' "$home/Logs/west.log" || fail "west opened an endpoint it was not given"
printf '%s\n' '[metrics]' 'listen = "0.0.0.0:9100"' >>"$home/clusters/gone.toml"
set +e
out=$("$bin/clusterd" --check --cluster gone --home "$home" 2>&1)
rc=$?
set -e
printf '%s\n' "$out" | sed 's/^/    | /'
line=$(wc -l <"$home/clusters/gone.toml")
[[ $rc == 1 ]] || fail "--check with listen on 0.0.0.0: exit $rc, expected 1"
grep -qF "clusters/gone.toml:$line:10: error: metrics.listen: 0.0.0.0 is not a loopback address" <<<"$out" ||
  fail "--check did not name gone.toml:$line:10"

say "a failover on west (panic on alpha): the numbers follow it"
NODESIM_DIR=$work/sim-west "$bin/nodesim" ctl alpha panic >/dev/null
wait_for 60 "takeover by beta on west" sh -c "'$bin/clusterctl' status west --home '$home' | grep -q '^active *beta'"
wait_for 15 "west's new active node answering ping" python3 "$check" <(ctl metrics west) \
  --expect 'clusterd_ping_up{cluster="west"} 1'
ctl metrics >"$work/after.prom" || fail "clusterctl metrics after the failover"
prom_check "$work/after.prom" \
  --expect 'clusterd_failovers_total{cluster="west"} 1' \
  --expect 'clusterd_role{cluster="west",node="alpha",role="standby"} 1' \
  --expect 'clusterd_role{cluster="west",node="beta",role="active"} 1' \
  --absent 'clusterd_role{cluster="west",node="alpha",role="active"}' \
  --expect 'clusterd_last_takeover_duration_seconds{cluster="west"} >0' \
  --expect 'clusterd_ping_rtt_seconds{cluster="west"} >0' \
  --expect 'clusterd_alarms_raised_total{cluster="west"} >0' \
  --expect 'clusterd_failovers_total{cluster="east"} 0' \
  --absent 'clusterd_last_takeover_duration_seconds{cluster="east"}' ||
  fail "metrics after west's failover"
promtool_check "$work/after.prom" || fail "promtool check metrics refused the text after the failover"
grep -E 'failover: [0-9].* from leaving state .* to the takeover' "$home/Logs/west.log" | sed 's/^/    | /'
grep -qE 'failover: [0-9].* from leaving state .* to the takeover' "$home/Logs/west.log" ||
  fail "west's log has no failover duration"

say "PASS: curl and clusterctl scrapes valid, healthy values, HTTP errors, no blocking, CList-wide merge, a failover"
