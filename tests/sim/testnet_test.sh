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
if [ "$(ip netns list | grep -c "^cdt-$ID-")" = 3 ]; then
  pass "three namespaces"
else
  fail "namespaces: $(ip netns list)"
fi
if pings "$CDT_ALPHA_ADDR"; then pass "monitor pings alpha before nodesim"; else fail "no ping to alpha"; fi
if ip route get "$CDT_ALPHA_ADDR" >/dev/null 2>&1; then
  fail "root namespace has a route to $CDT_ALPHA_ADDR"
else
  pass "root namespace: 198.18.0.0/15 unreachable"
fi
if ip -br link | grep -q "cdt$ID"; then
  fail "a veth end is in the root namespace"
else
  pass "no veth end in the root namespace"
fi

# --- 2. nodesim in the network ----------------------------------------------------------
"$NODESIM" run --name alpha --auto-boot false --t-post 100ms --t-boot 500ms --t-mount 200ms \
  --netns "$CDT_ALPHA_NS" --netif "$CDT_ALPHA_IF" --service-port 7000 2>"$WORK/alpha.err" &
NODE_PID=$!
wait_state alpha OK || fail "alpha never at ok: $(cat "$WORK/alpha.err")"
if pings "$CDT_ALPHA_ADDR"; then fail "alpha at ok answers ping"; else pass "OK: no ping"; fi
if tcp_ok "$CDT_ALPHA_ADDR" 7000 >/dev/null; then
  fail "service answers at ok"
else
  pass "OK: service closed"
fi
"$NODESIM" ctl alpha type 'boot\r' >/dev/null
wait_state alpha RUNNING || fail "alpha never RUNNING"
if pings "$CDT_ALPHA_ADDR" 2; then pass "RUNNING: ping"; else fail "RUNNING: no ping"; fi
if [ "$(tcp_ok "$CDT_ALPHA_ADDR" 7000)" = $'alpha service\r' ]; then
  pass "RUNNING: service port in the node namespace"
else
  fail "RUNNING: service port: '$(tcp_ok "$CDT_ALPHA_ADDR" 7000)'"
fi
"$NODESIM" ctl alpha cable-pull >/dev/null
if pings "$CDT_ALPHA_ADDR"; then fail "ping after cable-pull"; else pass "cable-pull: no ping"; fi
"$NODESIM" ctl alpha cable-plug >/dev/null
if pings "$CDT_ALPHA_ADDR" 2; then pass "cable-plug: ping back"; else fail "cable-plug: no ping"; fi
"$NODESIM" ctl alpha icmp-loss 100 >/dev/null
if pings "$CDT_ALPHA_ADDR" 3; then
  fail "ping through icmp-loss 100"
else
  pass "icmp-loss 100 (nft numgen): no ping"
fi
"$NODESIM" ctl alpha icmp-loss 0 >/dev/null
"$NODESIM" ctl alpha icmp-ignore on >/dev/null
if pings "$CDT_ALPHA_ADDR" 2; then fail "ping through icmp-ignore"; else pass "icmp-ignore: no ping"; fi
"$NODESIM" ctl alpha icmp-ignore off >/dev/null
if pings "$CDT_ALPHA_ADDR" 2; then pass "icmp-ignore off: ping back"; else fail "icmp-ignore off: no ping"; fi
"$NODESIM" ctl alpha ip-change 198.18.1.6/30 >/dev/null
if pings "$CDT_ALPHA_ADDR"; then
  fail "old address still answers"
else
  pass "ip-change: old address silent"
fi
if ip -n "$CDT_ALPHA_NS" -br addr show "$CDT_ALPHA_IF" | grep -q '198.18.1.6/30'; then
  pass "ip-change: node has 198.18.1.6"
else
  fail "ip-change: $(ip -n "$CDT_ALPHA_NS" -br addr show "$CDT_ALPHA_IF")"
fi
"$NODESIM" ctl alpha ip-change "$CDT_ALPHA_ADDR/30" >/dev/null
if pings "$CDT_ALPHA_ADDR" 2; then pass "ip-change back: ping"; else fail "ip-change back: no ping"; fi
"$NODESIM" ctl alpha hang >/dev/null
if pings "$CDT_ALPHA_ADDR"; then fail "HUNG node answers ping"; else pass "HUNG: no ping"; fi
if "$NODESIM" ctl alpha status | grep -q 'net=down'; then
  pass "status shows net=down"
else
  fail "status: $("$NODESIM" ctl alpha status)"
fi
kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null; NODE_PID=

# --- 3. run cleans up ----------------------------------------------------------------------
"$TESTNET" run "${ID}r" alpha -- sh -c 'ping -c1 -W1 -q 198.18.1.2 >/dev/null && exit 7'
rc=$?
if [ $rc = 7 ]; then
  pass "run: CMD ran in the monitor namespace, its exit status came back"
else
  fail "run rc=$rc"
fi
if ip netns list | grep -q "^cdt-${ID}r-"; then
  fail "run left namespaces"
else
  pass "run: removed after CMD failed"
fi
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
if ip netns list | grep -q "^cdt-${ID}k-"; then
  fail "SIGTERM left namespaces"
else
  pass "run: removed after SIGTERM"
fi
sleep 0.2
for p in $inner; do kill -0 "$p" 2>/dev/null && fail "CMD (pid $p) survived the SIGTERM"; done

# --- 3b. the fallback without namespaces ------------------------------------------------------
msg=$(CDT_NO_NETNS=1 "$TESTNET" run "${ID}f" alpha -- true 2>&1); rc=$?
if [ $rc = 3 ] && echo "$msg" | grep -q "refused"; then
  pass "no namespaces: run says so and exits 3"
else
  fail "no-namespace refusal: rc=$rc $msg"
fi
# shellcheck disable=SC2016  # $CDT_NETNS: the inner sh's, set by testnet.sh run
if CDT_NO_NETNS=1 "$TESTNET" run "${ID}f" --fallback alpha -- sh -c 'test "$CDT_NETNS" = 0' 2>/dev/null; then
  pass "run --fallback: CMD runs with CDT_NETNS=0"
else
  fail "run --fallback"
fi
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
if [ $fails = 0 ]; then echo "ALL PASSED"; else echo "$fails FAILED"; exit 1; fi
