#!/usr/bin/env bash
# Scenario accidental_break (DESIGN.md §5: a BREAK clusterd did not send, e.g.
# a terminal server losing power): a BREAK reaches alpha from elsewhere
# (nodesim ctl alpha break). The stock script tells it from its own BREAK by
# "Type 'go' to resume" arriving in `watch`, resumes alpha with `go` at once and
# alarms. No failover: alpha stays active and RUNNING, beta is never booted.
# Ledger: no split-brain; alpha's writes after the *injected* BREAK are the
# expected effect of `go`, so only BREAKs clusterd sent count as fences
# (check_ledger --fence-is-clusterd; and clusterd sent none to alpha).
#   accidental_break.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup
alpha_mark=$(ledger_mark alpha) beta_mark=$(ledger_mark beta)

inject "a BREAK on alpha that clusterd did not send"
sim alpha break >/dev/null
wait_for 10 "'go' typed on alpha" sh -c "tail -n +$(( alpha_mark + 1 )) '$(ledger alpha)' | grep -q '\"ev\":\"command\",\"line\":\"go\"'"
wait_for 10 "alpha RUNNING again" sh -c "'$bin/nodesim' ctl alpha status | grep -q 'state=RUNNING'"
say "alpha resumed"
sleep 4   # past resume_delay and a few ping rounds: nothing more may happen
show_timeline

expect_timeline 'state resume_active <- active obp_resume' "the script did not see the BREAK"
expect_timeline 'alarm warning "a BREAK clusterd did not send stopped alpha' "no alarm for the foreign BREAK"
expect_node_state alpha RUNNING "alpha must run"
expect_node_state beta OK "beta must stay at ok"
[[ $(status_field active) == alpha ]] || fail "alpha is no longer the active node: $(ctl status demo)"
[[ $(status_field state) == watch ]] || fail "clusterd is not back in watch: $(ctl status demo)"
[[ $(ledger_count alpha '"ev":"break","via":"(telnet-brk|rfc2217|alt-break)"' "$alpha_mark") == 0 ]] || fail "clusterd sent a BREAK to alpha"
[[ $(ledger_count alpha '"ev":"command"' "$alpha_mark") == 1 ]] || fail "expected exactly one command (go) on alpha: $(ledger_since alpha "$alpha_mark" | grep '"ev":"command"')"
[[ $(ledger_count beta '"ev":"(break|command|lease_acquire)"' "$beta_mark") == 0 ]] || fail "beta was touched: $(ledger_since beta "$beta_mark" | grep -E '"ev":"(break|command|lease_acquire)"')"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
timeline_has 'ping alpha down' && say "note: ping to alpha dropped while it sat at ok (no failover followed)"
clusterd_alive || fail "clusterd died"
check_ledger --fence-is-clusterd
pass "foreign BREAK -> 'go' at once, warning alarm, no failover; alpha active"
