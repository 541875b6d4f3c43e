#!/usr/bin/env bash
# Scenario x86_wrong_password (scripts/x86-bmc.chat): the BMC password file
# clusterd uses no longer holds the BMCs' password. alpha panics: ipmitool
# exits 1 with "Error: Unable to establish IPMI v2 / RMCP+ session", the power
# fence fails at once with those words, no fence, beta stays off, critical
# alarm. (The SOL sessions opened before the change stay up.)
#   x86_wrong_password.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
scenario_enter "$@"
x86_setup
printf 'wrong\n' >"$pwfile"
inject "BMC password changed, then a panic on alpha"
sim alpha panic >/dev/null
wait_for 30 "the failed power fence" sh -c "grep -q 'alarm critical \"cannot fence alpha by power' '$timeline_log'"
show_timeline 'state |fenced|takeover|alarm|power'
expect_timeline 'power_off alpha exited 1: "Error: Unable to establish IPMI v2 / RMCP\+ session' "the runtime did not quote ipmitool's error"
expect_journal_count 0 'fence-confirmed' "a fence was recorded"
expect_journal_count 0 'boot-sent' "beta was powered on without a fence"
expect_node_state beta OFF
expect_node_state alpha PANIC
clusterd_alive || fail "clusterd died"
check_ledger
pass "wrong BMC password -> power_off exit 1 (RMCP+ error), no fence, beta kept off, critical alarm"
