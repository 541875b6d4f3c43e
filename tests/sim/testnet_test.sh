#!/bin/bash
# tools/testnet.sh and nodesim's network side in real namespaces:
#  1. up makes the namespaces and veths; the monitor pings a node; the root
#     namespace cannot reach 198.18.0.0/15 (unreachable guard);
#  2. nodesim --netns: the node answers ping and its service port only while
#     RUNNING; cable-pull, icmp-loss 100 and icmp-ignore stop ping; ip-change moves it;
#  3. `run` cleans up after a failing command and after SIGTERM;
#  4. afterwards `ip netns list`, `ip -br link` and the root routes are as before.
# Usage: testnet_test.sh NODESIM TESTNET_SH. Needs root (ip netns add); fails
# with a clear message if namespaces are refused.
set -u
NODESIM=$1
TESTNET=$2
ID="s$(( $$ % 1000000 ))"   # + one suffix letter: at most 8, as testnet.sh allows
WORK=$(mktemp -d /tmp/cdt-testnet-test.XXXXXX)
export NODESIM_DIR=$WORK
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
mon() { ip netns exec "cdt-$ID-mon" "$@"; }
pings() { mon ping -c "${2:-1}" -i 0.2 -W 1 -q "$1" >/dev/null 2>&1; }
tcp_ok() { mon timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2 && head -c 20 <&3" 2>/dev/null; }
wait_state() {
  for _ in $(seq 1 100); do
    "$NODESIM" ctl "$1" status 2>/dev/null | grep -q " state=$2 " && return 0
    sleep 0.05
  done
  return 1
}
cleanup() {
  [ -n "${NODE_PID:-}" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  "$TESTNET" down "$ID" >/dev/null 2>&1
  "$TESTNET" down "${ID}r" >/dev/null 2>&1
  "$TESTNET" down "${ID}k" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! "$TESTNET" check; then
  echo "FAIL: cannot create network namespaces on this machine (see above); the loopback fallback is"
  echo "      'testnet.sh run ID --fallback NODE... -- CMD' and nodesim --service-port (covered by nodesim_io_test)"
  exit 1
fi

# Only what this test owns: other test networks may come and go meanwhile on a
# shared machine; the root-namespace guard route is compared only when none do.
snapshot() { ip netns list | grep "^cdt-${ID}" | sort; ip -br link | awk '{print $1}' | grep "cdt${ID}" | sort; }
routes() { if ip netns list | grep -v "^cdt-${ID}" | grep -q '^cdt-'; then echo "others"; else ip route show table all | grep 198.18 | sort; fi; }
routes_before=$(routes)
before=$(snapshot)

# --- 1. up ------------------------------------------------------------------------
"$TESTNET" up "$ID" alpha beta || { echo "FAIL: testnet up"; exit 1; }
eval "$("$TESTNET" env "$ID")"
[ "$(ip netns list | grep -c "^cdt-$ID-")" = 3 ] && pass "three namespaces" || fail "namespaces: $(ip netns list)"
pings "$CDT_ALPHA_ADDR" && pass "monitor pings alpha before nodesim" || fail "no ping to alpha"
ip route get "$CDT_ALPHA_ADDR" >/dev/null 2>&1 && fail "root namespace has a route to $CDT_ALPHA_ADDR" \
  || pass "root namespace: 198.18.0.0/15 unreachable"
ip -br link | grep -q "cdt$ID" && fail "a veth end is in the root namespace" || pass "no veth end in the root namespace"

# --- 2. nodesim in the network ----------------------------------------------------------
"$NODESIM" run --name alpha --auto-boot false --t-post 100ms --t-boot 500ms --t-mount 200ms \
  --netns "$CDT_ALPHA_NS" --netif "$CDT_ALPHA_IF" --service-port 7000 2>"$WORK/alpha.err" &
NODE_PID=$!
wait_state alpha OK || fail "alpha never at ok: $(cat "$WORK/alpha.err")"
pings "$CDT_ALPHA_ADDR" && fail "alpha at ok answers ping" || pass "OK: no ping"
tcp_ok "$CDT_ALPHA_ADDR" 7000 >/dev/null && fail "service answers at ok" || pass "OK: service closed"
"$NODESIM" ctl alpha type 'boot\r' >/dev/null
wait_state alpha RUNNING || fail "alpha never RUNNING"
pings "$CDT_ALPHA_ADDR" 2 && pass "RUNNING: ping" || fail "RUNNING: no ping"
[ "$(tcp_ok "$CDT_ALPHA_ADDR" 7000)" = $'alpha service\r' ] && pass "RUNNING: service port in the node namespace" \
  || fail "RUNNING: service port: '$(tcp_ok "$CDT_ALPHA_ADDR" 7000)'"
"$NODESIM" ctl alpha cable-pull >/dev/null
pings "$CDT_ALPHA_ADDR" && fail "ping after cable-pull" || pass "cable-pull: no ping"
"$NODESIM" ctl alpha cable-plug >/dev/null
pings "$CDT_ALPHA_ADDR" 2 && pass "cable-plug: ping back" || fail "cable-plug: no ping"
"$NODESIM" ctl alpha icmp-loss 100 >/dev/null
pings "$CDT_ALPHA_ADDR" 3 && fail "ping through icmp-loss 100" || pass "icmp-loss 100 (nft numgen): no ping"
"$NODESIM" ctl alpha icmp-loss 0 >/dev/null
"$NODESIM" ctl alpha icmp-ignore on >/dev/null
pings "$CDT_ALPHA_ADDR" 2 && fail "ping through icmp-ignore" || pass "icmp-ignore: no ping"
"$NODESIM" ctl alpha icmp-ignore off >/dev/null
pings "$CDT_ALPHA_ADDR" 2 && pass "icmp-ignore off: ping back" || fail "icmp-ignore off: no ping"
"$NODESIM" ctl alpha ip-change 198.18.1.6/30 >/dev/null
pings "$CDT_ALPHA_ADDR" && fail "old address still answers" || pass "ip-change: old address silent"
ip -n "$CDT_ALPHA_NS" -br addr show "$CDT_ALPHA_IF" | grep -q '198.18.1.6/30' && pass "ip-change: node has 198.18.1.6" \
  || fail "ip-change: $(ip -n "$CDT_ALPHA_NS" -br addr show "$CDT_ALPHA_IF")"
"$NODESIM" ctl alpha ip-change "$CDT_ALPHA_ADDR/30" >/dev/null
pings "$CDT_ALPHA_ADDR" 2 && pass "ip-change back: ping" || fail "ip-change back: no ping"
"$NODESIM" ctl alpha hang >/dev/null
pings "$CDT_ALPHA_ADDR" && fail "HUNG node answers ping" || pass "HUNG: no ping"
"$NODESIM" ctl alpha status | grep -q 'net=down' && pass "status shows net=down" || fail "status: $("$NODESIM" ctl alpha status)"
kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null; NODE_PID=

# --- 3. run cleans up ----------------------------------------------------------------------
"$TESTNET" run "${ID}r" alpha -- sh -c 'ping -c1 -W1 -q 198.18.1.2 >/dev/null && exit 7'
rc=$?
[ $rc = 7 ] && pass "run: CMD ran in the monitor namespace, its exit status came back" || fail "run rc=$rc"
ip netns list | grep -q "^cdt-${ID}r-" && fail "run left namespaces" || pass "run: removed after CMD failed"
"$TESTNET" run "${ID}k" alpha -- sleep 30 &
runner=$!
inner=
for _ in $(seq 1 50); do
  inner=$(ip netns pids "cdt-${ID}k-mon" 2>/dev/null)
  [ -n "$inner" ] && break
  sleep 0.1
done
[ -n "$inner" ] || fail "run never started its CMD in the monitor namespace"
kill -TERM $runner; wait $runner 2>/dev/null
ip netns list | grep -q "^cdt-${ID}k-" && fail "SIGTERM left namespaces" || pass "run: removed after SIGTERM"
sleep 0.2
for p in $inner; do kill -0 "$p" 2>/dev/null && fail "CMD (pid $p) survived the SIGTERM"; done

# --- 3b. the fallback without namespaces ------------------------------------------------------
msg=$(CDT_NO_NETNS=1 "$TESTNET" run "${ID}f" alpha -- true 2>&1); rc=$?
[ $rc = 3 ] && echo "$msg" | grep -q "refused" && pass "no namespaces: run says so and exits 3" \
  || fail "no-namespace refusal: rc=$rc $msg"
CDT_NO_NETNS=1 "$TESTNET" run "${ID}f" --fallback alpha -- sh -c 'test "$CDT_NETNS" = 0' 2>/dev/null \
  && pass "run --fallback: CMD runs with CDT_NETNS=0" || fail "run --fallback"
ip netns list | grep -q "^cdt-${ID}f-" && fail "fallback made namespaces"

# --- 4. nothing left -------------------------------------------------------------------------
"$TESTNET" down "$ID"
after=$(snapshot)
routes_after=$(routes)
if [ "$routes_before" != others ] && [ "$routes_after" != others ] && [ "$routes_before" != "$routes_after" ]; then
  fail "198.18 routes changed: $(diff <(echo "$routes_before") <(echo "$routes_after"))"
fi
if [ "$before" = "$after" ]; then
  pass "ip netns list, ip link and 198.18 routes as before"
else
  fail "left behind: $(diff <(echo "$before") <(echo "$after"))"
fi
[ $fails = 0 ] && echo "ALL PASSED" || echo "$fails FAILED"
exit $((fails > 0))
