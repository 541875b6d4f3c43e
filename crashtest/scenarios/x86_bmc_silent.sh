#!/usr/bin/env bash
# Scenario x86_bmc_silent (scripts/x86-bmc.chat): alpha's BMC stops answering
# (ipmi_sim frozen with SIGSTOP) and then alpha panics. The power fence fails
# (ipmitool gets no answer; power.failed), beta stays off, critical alarm.
# The BMC comes back (SIGCONT): the next attempt, fence_retry later, powers
# alpha off and reads it back off; beta powered on, takeover. Ledger clean.
#   x86_bmc_silent.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
scenario_enter "$@"
x86_setup
"$src/tools/bmcsim.sh" freeze "$bmc_alpha"
inject "alpha's BMC frozen, then a panic on alpha"
sim alpha panic >/dev/null
wait_for 40 "the failed power fence" sh -c "grep -q 'alarm critical \"cannot fence alpha by power' '$timeline_log'"
expect_journal_count 0 'boot-sent' "beta was powered on without a fence"
expect_node_state beta OFF
say "thawing alpha's BMC"
"$src/tools/bmcsim.sh" thaw "$bmc_alpha"
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
show_timeline 'state |fenced|takeover|alarm|power'
expect_journal_count 1 'fence-confirmed .*node=alpha' "alpha fenced"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one power-on of beta"
expect_journal_count 1 'takeover active=beta' "takeover"
expect_timeline 'fenced alpha \(by power: power_status read it back off\)' "no fence by power read back off"
expect_node_state beta RUNNING
expect_node_state alpha OFF
[[ $(ledger_count alpha '"ev":"break"') == 0 ]] || fail "a BREAK reached alpha: $(grep '"ev":"break"' "$(ledger alpha)")"
clusterd_alive || fail "clusterd died"
check_ledger
pass "BMC silent -> power fence failed, beta kept off, alarm; BMC back -> fenced by power, takeover"
