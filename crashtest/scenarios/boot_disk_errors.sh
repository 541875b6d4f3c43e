#!/usr/bin/env bash
# Scenario boot_disk_errors: the shared disk's label is corrupted (nodesim
# disk-label-corrupt) while alpha runs; then alpha panics. clusterd fences
# alpha (BREAK at the panic, auto-boot? false read back) and boots beta, whose
# boot fails ("Bad magic number in disk label ... Can't open boot device").
# Asserts: bounded attempts (the stock script: one boot + one retry, each
# journaled as a boot-sent record, attempt 1 then 2), a warning then a critical "cannot boot" alarm, no ping-pong (alpha is never
# booted again, no further boot of beta for several seconds), alpha stays at
# ok fenced, beta at ok, nobody holds the disk; ledger clean.
#   boot_disk_errors.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup
alpha_mark=$(ledger_mark alpha)

inject "disk-label-corrupt on the shared disk, then a panic on alpha"
sim beta disk-label-corrupt >/dev/null
sim alpha panic >/dev/null
wait_for 25 "critical boot_failed alarm" timeline_has 'alarm critical "beta cannot boot from shared'
say "boot failure reported; watching 6 s for any further attempt"
sleep 6
show_timeline

expect_timeline 'state panic_seen <- active solaris_panic' "the panic was not seen"
expect_timeline 'state fence <- after [$]panic_confirm' "no fence after the panic"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
expect_journal_count 0 'takeover' "no takeover"
# Each boot is journaled before it is typed: the first and the one retry.
expect_journal_count 1 'boot-sent attempt=1 node=beta state=boot_standby' "the first boot not journaled"
expect_journal_count 1 'boot-sent attempt=2 node=beta state=boot_again' "the retry not journaled as attempt 2"
expect_journal_count 2 'boot-sent' "not exactly two boot-sent records"
expect_timeline 'alarm warning "beta failed to boot' "no warning for the first failed boot"
boots=$(ledger_count beta '"ev":"command","line":"boot shared"')
[[ $boots == 2 ]] || fail "beta's ledger: expected 2 boot attempts (boot + one retry), found $boots"
[[ $(ledger_count beta '"ev":"disk_error"') -ge 2 ]] || fail "beta's ledger: the boots did not fail on the disk"
[[ $(status_field state) == boot_failed ]] || fail "clusterd is not in boot_failed: $(ctl status demo)"
[[ $(status_field active) == alpha ]] || fail "roles changed: $(ctl status demo)"
# No ping-pong: nothing boots alpha again, alpha stays fenced at ok.
[[ $(ledger_count alpha '"ev":"command","line":"(boot|go)' "$alpha_mark") == 0 ]] ||
  fail "alpha was booted or resumed: $(ledger_since alpha "$alpha_mark" | grep '"ev":"command"')"
expect_node_state alpha OK "alpha must stay at ok (fenced)"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta OK "beta must be back at ok after its failed boots"
[[ $(node_field alpha lease) == free && $(node_field beta lease) == free ]] || fail "someone holds the disk"
clusterd_alive || fail "clusterd died"
check_ledger
pass "beta cannot boot (corrupt label) -> 2 attempts, critical alarm, no ping-pong, alpha stays fenced"
