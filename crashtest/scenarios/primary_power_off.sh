#!/usr/bin/env bash
# Scenario primary_power_off (DESIGN.md §5, the unconfirmed-fence policy): alpha
# loses power (console silent, ping down). After the confirm window and an
# unanswered BREAK clusterd presumes it off (default unconfirmed_fence =
# takeover), boots beta once and takes over, then keeps watching alpha's
# console. alpha is powered on again: its power-on banner is met with a BREAK
# and `setenv auto-boot? false` (read back) before it can boot, so alpha ends
# at ok and never takes the shared disk again. Ledger clean.
# The runtime accepts the presumed fence only after [timeouts] confirm_window
# (default 20s) of silence to the CR sent after the last BREAK, with ping
# down: scaled to 4s here (the stock fence sends its CR 2 s after the first
# BREAK, then waits break_timeout, 5s: 5s of silence to that CR).
#   primary_power_off.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
# The power transitions put junk bytes and NULs in the timeline: grep it as text.
show_timeline() {
  echo "--- timeline"
  grep -aE -- "state |BREAK|send |fenced|takeover|alarm|ping alpha|ping beta|console " "$timeline_log" |
    sed 's/^[0-9T:-]*\.[0-9]*Z /  | /' | cut -c1-200
}
CONFIG_EXTRA=$'[timeouts]\nconfirm_window = "4s"'
scenario_setup

inject "power-off on alpha (console silent, ping down)"
t_inj=$(date +%s.%N)
sim alpha power-off >/dev/null
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the power-off"
expect_timeline 'ping alpha down' "ping loss not detected"
expect_timeline 'alarm critical "fencing alpha: ping lost, console silent for' "no fence after the silent confirm window"
expect_timeline 'alarm critical "alpha presumed off' "no critical alarm for the presumed fence"
expect_journal_count 1 'fence-confirmed .*node=alpha' "alpha fenced (presumed)"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
expect_journal_count 1 'takeover active=beta' "takeover"
expect_node_state beta RUNNING
expect_node_state alpha OFF

alpha_mark=$(ledger_mark alpha)
say "healing: power-on alpha (auto-boot? true in its NVRAM); its banner must be stopped"
sim alpha power-on >/dev/null
wait_for 15 "alpha stopped at ok with auto-boot? false" \
  sh -c "'$bin/nodesim' ctl alpha status | grep -q 'state=OK auto-boot?=false'"
sleep 2
show_timeline
expect_node_state alpha OK "alpha must stay at ok after its power-on"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
[[ $(ledger_count alpha '"ev":"break","via":"telnet-brk","effect":"halted","in":"(POST|BOOTING)"' "$alpha_mark") -ge 1 ]] ||
  fail "alpha's ledger: no BREAK that halted its power-on: $(ledger_since alpha "$alpha_mark")"
[[ $(ledger_count alpha '"ev":"lease_acquire"' "$alpha_mark") == 0 ]] || fail "alpha took the shared disk after its power-on"
[[ $(ledger_count alpha '"ev":"command","line":"setenv auto-boot\? false"' "$alpha_mark") -ge 1 ]] || fail "no setenv auto-boot? false typed on alpha"
expect_node_state beta RUNNING
[[ $(status_field active) == beta ]] || fail "beta is no longer active: $(ctl status demo)"
expect_journal_count 1 'boot-sent' "exactly one boot in all"
clusterd_alive || fail "clusterd died"
check_ledger
pass "power-off -> presumed fence, one boot, takeover; alpha's power-on stopped at ok with auto-boot? false"
