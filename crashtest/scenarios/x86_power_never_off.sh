#!/usr/bin/env bash
# Scenario x86_power_never_off (scripts/x86-bmc.chat): alpha's BMC accepts
# `chassis power off` but the power stays on (tools/bmcsim.sh stuck-on), so
# `power status` keeps reading "Chassis Power is on". alpha panics: the power
# fence is never read back off, [timeouts] power (10 s here) ends it as
# power.failed, no fence is marked, beta stays powered off, a critical alarm
# says so; the fence is retried every fence_retry and never passes.
#   x86_power_never_off.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
scenario_enter "$@"
x86_setup
"$src/tools/bmcsim.sh" stuck-on "$bmc_alpha" on
inject "panic on alpha, whose BMC never powers it off"
sim alpha panic >/dev/null
wait_for 40 "the failed power fence" sh -c "grep -q 'alarm critical \"cannot fence alpha by power' '$timeline_log'"
wait_for 40 "a second attempt" sh -c "[ \$(grep -c 'power off alpha' '$timeline_log') -ge 2 ]"
show_timeline 'state |fenced|takeover|alarm|power'
expect_timeline 'not read back off within \[timeouts\] power' "the runtime did not say the power never read back off"
expect_journal_count 0 'fence-confirmed' "a fence was recorded"
expect_journal_count 0 'boot-sent' "beta was powered on without a fence"
expect_node_state beta OFF
expect_node_state alpha PANIC "alpha's power really stayed on"
grep -q 'stuck-on: power off accepted' "$bmc_alpha/chassis.log" || fail "alpha's BMC was not asked to power off"
[[ $(status_field active) == alpha ]] || fail "a takeover happened"
clusterd_alive || fail "clusterd died"
check_ledger
pass "power-off never read back off -> no fence, beta kept off, critical alarm, retried"
