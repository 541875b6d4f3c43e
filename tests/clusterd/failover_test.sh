#!/usr/bin/env bash
# End to end: two nodesims in a private test network (tools/testnet.sh: ping
# really stops), beta's console behind the real ser2net (its pty, with the
# Solaris alternate break), clusterd with the stock script, a panic on the
# active node.
# Asserts: BREAK + fence + boot + takeover happen, the roles swap, and the
# nodesim ledgers show no split-brain and no write after the fence.
#   failover_test.sh BIN_DIR SOURCE_DIR [--keep]
# Also the live demo's engine: DEMO=1 paces it and prints the timeline.
set -euo pipefail
bin=$1 src=$2
if [[ ${3:-} != --inside ]]; then
  id="f$(( $$ % 10000000 ))"
  exec "$src/tools/testnet.sh" run "$id" alpha beta -- bash "$0" "$bin" "$src" --inside
fi

work=$(mktemp -d /tmp/clusterd-failover-XXXXXX)
pids=()
cleanup() {
  local i  # newest first: the watcher and clusterd go before the nodes they watch
  for (( i = ${#pids[@]} - 1; i >= 0; i-- )); do kill "${pids[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[%6ss] %s\n' "$(since "$t0")" "$*"; }
t0=$(date +%s.%N)
fail() { say "FAIL: $*"; echo "--- clusterd timeline"; cat "$work/home/Logs/demo.log" 2>/dev/null | tail -40; exit 1; }
wait_for() {  # SECONDS DESCRIPTION CMD...
  local limit=$1 what=$2; shift 2
  local end=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < end )) || fail "no $what within ${limit}s"
    sleep 0.2
  done
}

export NODESIM_DIR=$work/sim
mkdir -p "$NODESIM_DIR" "$work/home/clusters" "$work/home/scripts/lib"
cp "$src"/scripts/*.chat "$work/home/scripts/"
cp "$src"/scripts/lib/*.chat "$work/home/scripts/lib/"

# Scaled timings: seconds, not minutes.
common=(--t-boot 4s --t-mount 2s --t-panic 30s --write-interval 100ms)
"$bin/nodesim" run --name alpha --telnet 127.0.0.1:0 --auto-boot true --netns "$CDT_ALPHA_NS" --netif "$CDT_ALPHA_IF" \
  --ready-file "$work/alpha.ready" "${common[@]}" >"$work/alpha.out" 2>&1 &
pids+=($!)
"$bin/nodesim" run --name beta --pty "$NODESIM_DIR/beta.pty" --telnet 127.0.0.1:0 --auto-boot false --netns "$CDT_BETA_NS" --netif "$CDT_BETA_IF" \
  --ready-file "$work/beta.ready" "${common[@]}" >"$work/beta.out" 2>&1 &
pids+=($!)
wait_for 10 "nodesim ready files" test -s "$work/alpha.ready" -a -s "$work/beta.ready"
port() { sed -n 's/.*telnet=\([0-9]*\).*/\1/p' "$1"; }
pa=$(port "$work/alpha.ready")
# beta's console through the real terminal server, as on a real site.
ps=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/ser2net.yaml" <<EOF
%YAML 1.1
---
connection: &beta
    accepter: telnet(rfc2217),tcp,127.0.0.1,$ps
    enable: on
    options:
      kickolduser: true
    connector: serialdev,$NODESIM_DIR/beta.pty,115200n81,local
EOF
ser2net -n -d -u -c "$work/ser2net.yaml" -P "$work/ser2net.pid" >"$work/ser2net.out" 2>&1 &
pids+=($!)
wait_for 5 "ser2net listening" sh -c "ss -ltn | grep -q ':$ps '"
say "nodesim alpha on telnet :$pa ($CDT_ALPHA_ADDR); beta on a pty behind ser2net :$ps ($CDT_BETA_ADDR)"

cat >"$work/home/CList" <<EOF
# name  config
demo    clusters/demo.toml
EOF
cat >"$work/home/clusters/demo.toml" <<EOF
script = "sparc-obp.chat"
[nodes.alpha]
console = "telnet://127.0.0.1:$pa"
address = "$CDT_ALPHA_ADDR"
role = "active"
[nodes.beta]
console = "telnet://127.0.0.1:$ps?rfc2217=1&break=%5Cr~%5Cx02"
address = "$CDT_BETA_ADDR"
role = "standby"
[ping]
interval = "250ms"
misses = 3
[params]
confirm_timeout = "3s"
break_timeout = "5s"
reply_timeout = "3s"
boot_timeout = "30s"
EOF
"$bin/clusterd" --cluster demo --home "$work/home" --check || fail "clusterd --check refused the config"

wait_for 20 "login prompt on alpha" sh -c "'$bin/nodesim' ctl alpha status | grep -q RUNNING"
say "alpha is RUNNING (it booted from the shared disk); beta waits at ok"
"$bin/clusterd" --cluster demo --home "$work/home" >"$work/clusterd.out" 2>&1 &
pids+=($!)
ctl() { "$bin/clusterctl" "$@" --home "$work/home"; }
wait_for 10 "clusterd control socket" ctl status demo
wait_for 15 "ping up on alpha" sh -c "'$bin/clusterctl' status demo --home '$work/home' | grep -q 'ping up'"
say "clusterd watches: $(ctl status demo | sed -n 's/^active *//p')"
if [[ -n ${DEMO:-} ]]; then
  ctl status demo
  echo "--- clusterd's timeline, live (Logs/demo.log)"
  tail -n 0 -F "$work/home/Logs/demo.log" 2>/dev/null | sed -u 's/^[0-9T:-]*\.[0-9]*Z /  | /' &
  pids+=($!)
  sleep 2
fi

say "injecting: panic on alpha"
panic_at=$(date +%s.%N)
"$bin/nodesim" ctl alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$work/home' | grep -q '^active *beta'"
say "beta took over $(since "$panic_at")s after the panic"
[[ -n ${DEMO:-} ]] && sleep 1

ctl status demo
if [[ -z ${DEMO:-} ]]; then
  echo "--- timeline of the failover"
  ctl timeline demo 60 | grep -E 'state |BREAK|send |fenced|takeover|alarm|ping' | sed 's/^/  /'
fi

# The ground truth: never two holders of the shared disk, no write after the fence.
sleep 1
"$bin/nodesim" ctl alpha status | grep -q 'OK\|ok' || fail "alpha is not held at its firmware prompt: $("$bin/nodesim" ctl alpha status)"
"$bin/nodesim" check "$NODESIM_DIR/alpha.ledger" "$NODESIM_DIR/beta.ledger" || fail "the ledger shows a split-brain or a write after the fence"
grep -q 'fence-confirmed .*node=alpha' "$work/home/state/demo.journal" || fail "no fence in the journal"
grep -q 'takeover active=beta' "$work/home/state/demo.journal" || fail "no takeover in the journal"
[[ $(grep -c 'boot-sent' "$work/home/state/demo.journal") == 1 ]] || fail "not exactly one boot"
say "PASS: panic -> BREAK, fence read back, one boot, takeover; no split-brain in the ledger"
