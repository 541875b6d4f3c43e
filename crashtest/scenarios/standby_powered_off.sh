#!/usr/bin/env bash
# Scenario standby_powered_off: beta (the standby, at ok) loses power while
# alpha runs. The stock script probes the standby every probe_interval
# (scaled here to 3s, probe_timeout 2s): no prompt -> warning alarm "standby
# beta does not answer at ok ... it cannot take over". Nothing is sent to
# alpha, no fence, no failover. Ledger clean.
#   standby_powered_off.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
PARAMS_EXTRA=$'probe_interval = "3s"\nprobe_timeout = "2s"'
scenario_setup
alpha_mark=$(ledger_mark alpha)
wait_for 10 "a first standby probe answered" timeline_has 'state watch <- standby obp_prompt'

inject "power-off on beta (the standby)"
sim beta power-off >/dev/null
wait_for 15 "standby-lost alarm" timeline_has 'alarm warning "standby beta does not answer at ok'
sleep 3
show_timeline | grep -av 'send beta "\\r"'

timeline_has 'ping alpha down' && fail "ping to alpha was reported down"
[[ $(ledger_count alpha '"ev":"(break|command|control)"' "$alpha_mark") == 0 ]] ||
  fail "something reached alpha: $(ledger_since alpha "$alpha_mark" | grep -E '"ev":"(break|command|control)"')"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
[[ $(status_field active) == alpha && $(status_field failovers) == 0 ]] || fail "roles changed: $(ctl status demo)"
expect_node_state alpha RUNNING "alpha must keep running"
expect_node_state beta OFF
clusterd_alive || fail "clusterd died"
check_ledger
pass "standby powered off -> warning alarm (standby lost), alpha untouched"
