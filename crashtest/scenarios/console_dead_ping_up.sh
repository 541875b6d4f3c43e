#!/usr/bin/env bash
# Scenario console_dead_ping_up (DESIGN.md §5 "console transport down: nothing
# is known; alarm, reconnect, never take over on that alone"; crash-test-plan
# A2): alpha's console goes through a terminal server of its own (ser2net,
# chained to nodesim's telnet port with RFC 2217); it is killed with SIGKILL
# for 5 s while alpha keeps answering ping, then restarted.
# Asserts: an alarm names the lost console, no fence, no takeover, nothing sent
# to either node; after the terminal server returns clusterd reconnects
# (notice alarm), and alpha is not halted at the reconnect; ledger clean.
#   console_dead_ping_up.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
ALPHA_SER2NET=1
scenario_setup
alpha_mark=$(ledger_mark alpha) beta_mark=$(ledger_mark beta)

inject "alpha's terminal server killed (SIGKILL); ping stays up"
kill_alpha_ser2net KILL
wait_for 10 "console of alpha seen lost" timeline_has 'console alpha lost'
wait_for 5 "alarm for the lost console" timeline_has 'alarm warning "console of active alpha lost'
sleep 5
[[ $(status_field state) == console_down ]] || fail "clusterd is not in console_down: $(ctl status demo)"
grep -q '^active *alpha *(console down, ping up' <<<"$(ctl status demo)" || fail "status should show alpha: console down, ping up: $(ctl status demo)"
say "5 s with alpha's console down and ping up: still no action"

say "healing: alpha's terminal server restarted"
start_alpha_ser2net
wait_for 20 "console of alpha back" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *alpha *(console up'"
wait_for 5 "back in watch" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^state *watch'"
sleep 2
show_timeline

expect_timeline 'alarm notice "console of active alpha is back"' "no notice when the console returned"
timeline_has 'ping alpha down' && fail "ping to alpha was reported down (it never was)"
expect_node_state alpha RUNNING "alpha must run (not halted at the reconnect)"
expect_node_state beta OK
[[ $(status_field active) == alpha && $(status_field failovers) == 0 ]] || fail "roles changed: $(ctl status demo)"
[[ $(ledger_count alpha '"ev":"(break|command)"' "$alpha_mark") == 0 ]] || fail "something reached alpha: $(ledger_since alpha "$alpha_mark" | grep -E '"ev":"(break|command)"')"
[[ $(ledger_count beta '"ev":"(break|command)"' "$beta_mark") == 0 ]] || fail "something reached beta: $(ledger_since beta "$beta_mark" | grep -E '"ev":"(break|command)"')"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
clusterd_alive || fail "clusterd died"
check_ledger
pass "console path dead, ping up -> warning alarm, no fence, no takeover; reconnect without halting alpha"
