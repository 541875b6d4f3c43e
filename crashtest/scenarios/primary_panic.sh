#!/usr/bin/env bash
# End to end: two nodesims in a private test network (tools/testnet.sh: ping
# really stops), beta's console behind the real ser2net (its pty, with the
# Solaris alternate break), clusterd with the stock script, a panic on the
# active node.
# Asserts: BREAK + fence + boot + takeover happen, the roles swap, and the
# nodesim ledgers show no split-brain and no write after the fence.
#   primary_panic.sh BIN_DIR SOURCE_DIR      (KEEP=1 keeps the work directory)
# Also the live demo's engine: DEMO=1 paces it and prints the timeline.
# The setup is crashtest/scenarios/lib.sh, shared with the other scenarios here.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"

scenario_setup
if [[ -n ${DEMO:-} ]]; then
  ctl status demo
  echo "--- clusterd's timeline, live (Logs/demo.log)"
  tail -n 0 -F "$timeline_log" 2>/dev/null | sed -u 's/^[0-9T:-]*\.[0-9]*Z /  | /' &
  pids+=($!)
  sleep 2
fi

inject "panic on alpha"
panic_at=$(date +%s.%N)
sim alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$panic_at")s after the panic"
[[ -n ${DEMO:-} ]] && sleep 1

ctl status demo
if [[ -z ${DEMO:-} ]]; then
  echo "--- timeline of the failover"
  ctl timeline demo 60 | grep -E 'state |BREAK|send |fenced|takeover|alarm|ping' | sed 's/^/  /'
fi

# The ground truth: never two holders of the shared disk, no write after the fence.
sleep 1
grep -q 'OK\|ok' <<<"$(sim alpha status)" || fail "alpha is not held at its firmware prompt: $(sim alpha status)"
check_ledger
grep -q 'fence-confirmed .*node=alpha' "$journal_file" || fail "no fence in the journal"
grep -q 'takeover active=beta' "$journal_file" || fail "no takeover in the journal"
[[ $(grep -c 'boot-sent' "$journal_file") == 1 ]] || fail "not exactly one boot"
pass "panic -> BREAK, fence read back, one boot, takeover; no split-brain in the ledger"
