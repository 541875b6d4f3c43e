#!/usr/bin/env bash
# Scenario silent_console_ping_up (DESIGN.md §5: a presumed fence needs the
# console silent AND ping down): alpha's console goes silent while its address
# keeps answering ping. nodesim has no such knob (`hang` also takes the
# interface down), so alpha's nodesim process is stopped with SIGSTOP: the
# console TCP connection stays up but nothing answers on it, while the kernel
# of alpha's namespace keeps answering ping.
#   1. 5 s silent with ping up: clusterd notices nothing (the stock script
#      never probes the active's console in `watch`): no action.
#   2. The operator asks a switchover, on the BREAK path (switchover_state =
#      "fence": a node that answers nothing gets no clean shutdown over ssh,
#      and this scenario is about the presumed fence): fence -> BREAK
#      unanswered -> the script
#      presumes alpha off -> the runtime refuses (ping up) -> fence_unconfirmed,
#      critical alarm, no boot, no takeover while alpha stays silent; it waits
#      in fence_unconfirmed_alive (ping answers: a new loss would be a new
#      fence).
#   3. SIGCONT: alpha handles the BREAK queued on its console (A9) and stops at
#      ok. That is clusterd's own fence arriving late, not a foreign BREAK: it
#      must not be resumed with `go` (a write after the fence) but locked
#      (auto-boot? false, read back) and the switchover the operator asked
#      for completed: one boot of beta, beta active; ledger clean.
#   silent_console_ping_up.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
PARAMS_EXTRA='switchover_state = "fence"'
scenario_setup
alpha_pid=${pids[0]}  # start_nodes starts alpha's nodesim first
alpha_stopped=""
cont_alpha() { [[ -n $alpha_stopped ]] && kill -CONT "$alpha_pid" 2>/dev/null; alpha_stopped=""; }
# Never leave a stopped nodesim behind (cleanup's SIGTERM would wait forever).
trap 'cont_alpha; scenario_cleanup' EXIT
# ...nor ask a stopped nodesim for its status (fail does): resume it first.
eval "lib_$(declare -f fail)"
fail() { cont_alpha; lib_fail "$@"; }
beta_mark=$(ledger_mark beta)

inject "alpha's nodesim stopped (SIGSTOP): console silent, ping still answered by its kernel"
kill -STOP "$alpha_pid"; alpha_stopped=1
sleep 5
timeline_has 'ping alpha down' && fail "ping to alpha was reported down (its kernel answers)"
[[ $(status_field state) == watch ]] || fail "clusterd left watch: $(ctl status demo)"
say "5 s silent with ping up: clusterd still in watch, no alarm (nothing probes the active's console)"

inject "operator: clusterctl switchover demo (alpha still silent, ping up)"
ctl switchover demo >/dev/null
wait_for 20 "critical alarm for the refused fence" timeline_has 'alarm critical "fence of alpha NOT confirmed'
sleep 2
[[ $(status_field state) == fence_unconfirmed_alive ]] || fail "not waiting in fence_unconfirmed_alive: $(ctl status demo)"
expect_timeline 'BREAK alpha' "no BREAK sent to alpha by the fence"
expect_timeline 'presumed fence of alpha refused: ping not down' "the runtime did not refuse the presumed fence with ping up"
expect_timeline 'alarm critical "fence of alpha NOT confirmed' "no critical alarm for the refused fence"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
[[ $(ledger_count beta '"ev":"command"' "$beta_mark") == 0 ]] || fail "something was typed on beta: $(ledger_since beta "$beta_mark")"
[[ $(status_field active) == alpha ]] || fail "alpha is no longer active: $(ctl status demo)"
expect_node_state beta OK "beta must stay at ok"

say "SIGCONT alpha: the BREAK queued on its console reaches it now"
cont_alpha
wait_for 25 "takeover by beta after alpha's late ok" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
sleep 1
show_timeline
say "alpha after SIGCONT: $(sim alpha status)"
[[ $(ledger_count alpha '"ev":"break","via":"telnet-brk","effect":"halted","in":"RUNNING"') == 1 ]] ||
  fail "alpha's ledger: the queued BREAK did not halt alpha"
timeline_has 'state resume_active' &&
  fail "alpha, stopped late by clusterd's OWN fence BREAK, was taken for a foreign BREAK and resumed with 'go'"
expect_timeline 'state lock_active <- active obp_prompt' "alpha at ok was not locked from fence_unconfirmed"
expect_journal_count 1 'fence-confirmed .*node=alpha' "alpha's fence confirmed once"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot of beta"
[[ $(ledger_count beta '"ev":"command","line":"boot shared"') == 1 ]] || fail "beta's ledger: not exactly one 'boot shared'"
expect_node_state alpha OK "alpha (fenced late) must be held at ok"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
clusterd_alive || fail "clusterd died"
check_ledger
pass "console silent, ping up -> presumed fence refused, critical alarm, no takeover while silent; the late BREAK's ok locked, switchover completed"
