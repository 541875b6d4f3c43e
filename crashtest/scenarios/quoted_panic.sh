#!/usr/bin/env bash
# Scenario quoted_panic (issue 12): someone at alpha's console, logged in as
# root, greps an old panic out of /var/adm/messages. The file keeps the
# kernel's CR, so the quoted line starts a console line exactly as a real one
# does ("Mar  2 23:41:07 alpha \rpanic[cpu0]/thread=…": illumos-omnios issue
# 632; nodesim's quote-panic, sim/console_text.h). What tells it from a panic
# is what follows: the shell prompt. The stock script must not fence a live
# node for it: no BREAK, no failover, a warning alarm naming the quote. Then a
# real panic on the same console (still at the root shell) must be fenced,
# within panic_confirm_in_use (3 s: someone works at the console) of its line.
#   quoted_panic.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup

say "root logs in at alpha's console"
sim alpha session root >/dev/null
wait_for 10 "the root shell noticed (console_in_use)" timeline_has 'state console_in_use <- active shell_prompt'
a_mark=$(ledger_mark alpha)
inject "quote-panic on alpha (grep panic /var/adm/messages at the root shell)"
sim alpha quote-panic >/dev/null
wait_for 20 "the quoted-panic warning" timeline_has 'alarm warning "alpha printed a panic line, then a shell prompt: a quoted panic'
sleep 5
show_timeline
timeline_has 'BREAK alpha' && fail "alpha was sent a BREAK for a quoted panic"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step for a quote"
[[ $(ledger_count alpha '"ev":"break"' "$a_mark") == 0 ]] || fail "alpha's ledger shows a BREAK"
expect_node_state alpha RUNNING "alpha must keep running"
[[ $(status_field active) == alpha ]] || fail "roles changed: $(ctl status demo)"

inject "panic on alpha (a real one, the console still at the root shell)"
sim alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
show_timeline
line=$(grep -E '< (\\r\\n)*\\rpanic\[cpu[0-9]+\]/thread=' "$home/Logs/demo.alpha.console" | tail -1) ||
  fail "no real panic line in alpha's transcript"
brk=$(grep -m1 'BREAK alpha' "$timeline_log") || fail "no BREAK to alpha after the real panic"
delay=$(awk -v a="$(date -d "${line%% *}" +%s.%N)" -v b="$(date -d "${brk%% *}" +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
say "the real panic at the root shell: BREAK ${delay}s after its line"
awk -v d="$delay" 'BEGIN { exit !(d >= 0 && d < 4.0) }' || fail "BREAK ${delay}s after the real panic line, not within 4 s"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced and read back"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
check_ledger
pass "a quoted panic (grep at a root shell) left alpha alone; a real panic at the same shell fenced ${delay}s after its line"
