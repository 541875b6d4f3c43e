#!/usr/bin/env bash
# Scenario break_ignored_power_stuck (issue 14: a power fence never read back
# off): break_ignored_power with alpha's BMC stuck on (tools/bmcsim.sh
# stuck-on: `chassis power off` accepted, exit 0, but the power stays on and
# `chassis power status` keeps reading "Chassis Power is on"). alpha ignores
# BREAK, its cable is pulled, its console answers at login. The unanswered
# BREAK goes to power_fence; the power is never read back off within
# [timeouts] power (10 s here): power.failed, no fence by power. The script
# falls back to presume_fence, and the runtime refuses that too (alpha
# answered the CR after the BREAK): fence_unconfirmed, critical alarm, NO boot
# of beta, no takeover, alpha still running and holding the shared disk,
# overlap 0.
#   break_ignored_power_stuck.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=sparc_power_lib.sh
source "$(dirname "$0")/sparc_power_lib.sh"
scenario_enter "$@"
sparc_power_setup

"$src/tools/bmcsim.sh" stuck-on "$bmc_alpha" on
sim alpha break-disable >/dev/null
inject "cable-pull on alpha, which ignores BREAK; alpha's BMC never powers it off"
sim alpha cable-pull >/dev/null
# Wait for the verdict either way: the alarm, or a boot sent to beta (wrong).
wait_for 60 "the fence-not-confirmed alarm (or a boot of beta)" \
  sh -c "grep -qE 'alarm critical \"fence of alpha NOT confirmed|send beta \"boot|boot standby' '$timeline_log'"
sleep 3  # a boot wrongly sent after the alarm would show in the ledger by now
show_timeline 'state |BREAK|send |fenced|takeover|alarm|power'
# The safety first: no fence, no boot.
expect_journal_count 0 'fence-confirmed' "a fence was recorded"
expect_journal_count 0 'boot-sent|takeover' "beta was booted without a fence"
[[ $(ledger_count beta '"ev":"command","line":"boot') == 0 ]] || fail "beta's ledger: a boot was typed"
expect_timeline 'BREAK alpha' "no BREAK sent"
expect_timeline 'state power_fence <- after [$]break_timeout' "the unanswered BREAK did not lead to power_fence"
expect_timeline 'power of alpha not read back off within \[timeouts\] power' "the runtime did not say the power never read back off"
expect_timeline 'alarm critical "power fence of alpha failed' "no critical alarm for the failed power fence"
expect_timeline 'state presume_fence <- power.failed active' "no fall-back to presume_fence"
expect_timeline 'presumed fence of alpha refused' "the presumed fence of a node that answers was not refused"
expect_timeline 'alarm critical "fence of alpha NOT confirmed' "no fence-not-confirmed alarm"
if timeline_has 'power alpha read back off'; then fail "the timeline says alpha's power read back off"; fi
grep -q 'stuck-on: power off accepted' "$bmc_alpha/chassis.log" || fail "alpha's BMC was not asked to power off: $(cat "$bmc_alpha/chassis.log")"
if grep -q 'set power' "$bmc_beta/chassis.log"; then fail "beta's BMC was asked to change its power: $(cat "$bmc_beta/chassis.log")"; fi
expect_node_state alpha BREAK_DISABLED "alpha (power stuck on, BREAK ignored) keeps running"
expect_node_state beta OK "beta must stay at ok"
[[ $(status_field active) == alpha ]] || fail "roles changed: $(ctl status demo)"
clusterd_alive || fail "clusterd died"
check_ledger
grep -q '^overlap: 0.0 ms in 0 interval' "$work/check-ledger.out" || fail "overlap: $(cat "$work/check-ledger.out")"
pass "BREAK ignored, power never read back off: no fence by power, presumed fence refused, critical alarm, no boot, no takeover, overlap 0"
