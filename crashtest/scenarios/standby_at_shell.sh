#!/usr/bin/env bash
# Scenario standby_at_shell (issue 12): the standby runs an OS from the shared
# disk and its console was left at a root shell ("bash-3.2# ", sim/
# console_text.h) — someone booted it unseen and logged in. clusterd's standby
# probe (a CR every probe_interval, 3 s here) gets the shell prompt back. The
# stock script used to know only a login prompt and called this "does not
# answer at ok" (a warning); a shell prompt is a running OS: the critical
# "both nodes up" alarm and, alpha answering ping, the standby stopped at ok
# and locked. alpha is never touched; no failover.
#   standby_at_shell.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"

setup_both_running
sim beta session bash >/dev/null
alpha_mark=$(ledger_mark alpha)
inject "clusterd started; the standby beta runs an OS, its console at a root bash prompt"
t_start=$(date +%s.%N)
start_clusterd
wait_for 15 "a critical alarm 'both nodes up'" timeline_has 'alarm critical "both nodes up'
t_alarm=$(since "$t_start")
wait_for 20 "beta held at ok" timeline_has 'standby beta is held at ok'
show_timeline 'state |alarm|BREAK |send '
expect_timeline 'state both_up <- standby shell_prompt' "the shell prompt was not taken for a running OS"
timeline_has 'does not answer at ok' && fail "the shell prompt was called 'does not answer at ok'"
expect_node_state beta OK "beta must be held at ok"
[[ $(node_field beta auto-boot?) == false ]] || fail "beta's auto-boot? is not false: $(sim beta status)"
expect_node_state alpha RUNNING "alpha must stay active and running"
[[ $(ledger_count alpha '"ev":"(break|command)"' "$alpha_mark") == 0 ]] || fail "something was sent to alpha"
[[ $(journal_count 'fence-confirmed .*node=alpha|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
check_ledger
pass "standby at a root shell: 'both nodes up' ${t_alarm}s after clusterd's start, beta stopped at ok and locked, alpha untouched"
