#!/usr/bin/env bash
# Scenario x86_power_off (scripts/x86-bmc.chat): alpha, an x86 node behind its
# BMC, loses power (SOL silent, ping down). clusterd confirms on the console
# (a CR, no answer), fences alpha by power (ipmitool chassis power off, then
# power status until it reads off: `mark fenced active by power`), powers beta
# on through its BMC, watches it boot over SOL (SeaBIOS, GRUB, Linux) to its
# login prompt and takes over. Ledger clean: overlap 0 ms.
#   x86_power_off.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
scenario_enter "$@"
x86_setup

inject "power-off on alpha (SOL silent, ping down)"
t_inj=$(date +%s.%N)
sim alpha power-off >/dev/null
wait_for 45 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the power-off"
show_timeline 'state |fenced|takeover|alarm|power|ping alpha'
expect_timeline 'ping alpha down' "ping loss not detected"
expect_journal_count 1 'fence-confirmed .*node=alpha' "alpha fenced"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one power-on of beta"
expect_journal_count 1 'takeover active=beta' "takeover"
expect_node_state beta RUNNING
expect_node_state alpha OFF
[[ $(ledger_count alpha '"ev":"break"') == 0 ]] || fail "a BREAK reached alpha: $(grep '"ev":"break"' "$(ledger alpha)")"
grep -q 'set power' "$bmc_alpha/chassis.log" || fail "alpha's BMC was never asked to power it off"
grep -q 'set power "\?1' "$bmc_beta/chassis.log" || grep -q 'set power 1' "$bmc_beta/chassis.log" ||
  fail "beta's BMC was never asked to power it on: $(cat "$bmc_beta/chassis.log")"
clusterd_alive || fail "clusterd died"
check_ledger
pass "power-off -> fenced by power (read back off), beta powered on through its BMC, booted over SOL, takeover"
