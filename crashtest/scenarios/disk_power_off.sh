#!/usr/bin/env bash
# Scenario disk_power_off (seed list: "disk power-off"): the shared disk array
# is powered off (nodesim disk-off: unreadable) while alpha runs; then alpha
# panics. clusterd fences alpha and boots beta, whose boot fails ("Can't open
# boot device"): one retry, then a critical alarm, alpha stays fenced at ok.
# The disk comes back (disk-on) and the operator asks for the takeover again
# (clusterctl switchover): beta boots once more and takes over.
# Asserts: bounded attempts, no ping-pong, one takeover after the operator's
# word, alpha at ok with auto-boot? false; ledger clean.
#   disk_power_off.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup
alpha_mark=$(ledger_mark alpha)

inject "disk-off (the shared disk unreadable), then a panic on alpha"
sim beta disk-off >/dev/null
sim alpha panic >/dev/null
wait_for 25 "critical boot_failed alarm" timeline_has 'alarm critical "beta cannot boot from shared'
sleep 3
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
expect_journal_count 0 'takeover' "no takeover while the disk is off"
boots=$(ledger_count beta '"ev":"command","line":"boot shared"')
[[ $boots == 2 ]] || fail "beta's ledger: expected 2 boot attempts (boot + one retry), found $boots"
[[ $(status_field state) == boot_failed ]] || fail "clusterd is not in boot_failed: $(ctl status demo)"

say "disk-on; operator: clusterctl switchover demo"
sim beta disk-on >/dev/null
ctl switchover demo >/dev/null
wait_for 25 "takeover by beta after the disk returned" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
sleep 1
show_timeline
expect_journal_count 1 'takeover active=beta' "one takeover"
[[ $(ledger_count beta '"ev":"command","line":"boot shared"') == 3 ]] || fail "beta's ledger: not exactly 3 boots (2 failed, 1 after the operator)"
[[ $(ledger_count alpha '"ev":"command","line":"(boot|go)' "$alpha_mark") == 0 ]] || fail "alpha was booted or resumed"
expect_node_state alpha OK "alpha must stay at ok (fenced)"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta RUNNING
clusterd_alive || fail "clusterd died"
check_ledger
pass "disk off -> beta's boot fails twice, critical alarm, alpha stays fenced; disk back + switchover -> one takeover"
