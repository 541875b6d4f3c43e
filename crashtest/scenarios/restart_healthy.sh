#!/usr/bin/env bash
# Scenario restart_healthy (crash-test-plan A1, reattach): clusterd is started,
# then stopped and restarted four times (SIGTERM, SIGKILL, SIGTERM, SIGKILL)
# while alpha runs and beta waits at ok. Nothing that changes a node's state may
# reach either node: the ledgers show no BREAK received, no line typed and no
# state change on either node from the first start on; clusterd's console
# transcripts show no byte written ('>') and no BREAK ('!'); no failover.
#   restart_healthy.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
start_nodes
start_ser2net
write_config
wait_alpha_running
sleep 0.5
alpha_mark=$(ledger_mark alpha) beta_mark=$(ledger_mark beta)

cycle=0
start_clusterd
wait_for 10 "both consoles up" watching
for sig in TERM KILL TERM KILL; do
  cycle=$(( cycle + 1 ))
  sleep 1
  stop_clusterd "$sig"
  sleep 0.3
  start_clusterd
  wait_for 10 "both consoles up after restart $cycle" watching
  say "restart $cycle (SIG$sig): watching again"
done
sleep 2
show_timeline 'starting|stopping|state |BREAK |send |alarm|console .* (up|lost)|resum'

expect_nothing_sent "$alpha_mark" "$beta_mark" "after clusterd's first start"
(( $(timeline_count 'clusterd demo starting') == 5 )) || fail "expected 5 starts in the timeline"
expect_node_state alpha RUNNING
expect_node_state beta OK
[[ $(status_field active) == alpha && $(status_field failovers) == 0 ]] || fail "roles changed: $(ctl status demo)"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
[[ $(sed -n 's/.*writes=\([0-9]*\).*/\1/p' <<<"$(sim alpha status)") -gt 0 ]] || fail "alpha does not write"
clusterd_alive || fail "clusterd died"
check_ledger
pass "5 starts (2 after SIGKILL): no BREAK, no byte written to either console, no state change, no failover"
