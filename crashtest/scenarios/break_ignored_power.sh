#!/usr/bin/env bash
# Scenario break_ignored_power (issue 14: the stock SPARC script's power
# fence): break_ignored with a BMC in front of each node (sparc_power_lib.sh:
# the real ipmi_sim, power_off/power_on/power_status the real ipmitool).
# alpha ignores BREAK (kbd -a disable: nodesim break-disable), then its
# network cable is pulled; its console answers at login. clusterd confirms on
# the console, fences: the BREAK changes nothing, no `ok`. With a power method
# on both nodes clusterd sets break_unanswered_state = power_fence: alpha is
# powered off through its BMC and read back off (power_status), the fence by
# power is journaled (fence-confirmed how=power), beta is booted once, takeover;
# the old active's console is watched (boot_standby_powered -> watch_fenced).
# No overlap of the shared disk, no write of alpha after its power-off.
#   break_ignored_power.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=sparc_power_lib.sh
source "$(dirname "$0")/sparc_power_lib.sh"
scenario_enter "$@"
sparc_power_setup

sim alpha break-disable >/dev/null
inject "cable-pull on alpha, which ignores BREAK; both nodes behind a BMC"
t_inj=$(date +%s.%N)
sim alpha cable-pull >/dev/null
wait_for 60 "takeover by beta (or the fence-not-confirmed alarm)" sh -c \
  "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta' ||
   grep -q 'alarm critical \"fence of alpha NOT confirmed' '$timeline_log'"
say "verdict $(since "$t_inj")s after the cable pull"
wait_for 10 "the old active watched (watch_fenced)" sh -c "grep -q 'state watch_fenced <-' '$timeline_log'"
show_timeline 'state |BREAK|send |fenced|takeover|alarm|power'
expect_timeline 'BREAK alpha' "no BREAK sent"
expect_timeline 'state power_fence <- after [$]break_timeout' "the unanswered BREAK did not lead to power_fence"
expect_timeline 'power alpha read back off' "alpha's power was not read back off"
expect_timeline 'fenced alpha \(by power: power_status read it back off\)' "no fence by power read back off"
expect_timeline 'state power_fenced <- power.off active' "alpha not fenced through power_fenced"
expect_timeline 'state boot_standby_powered <- after 0s' "beta not booted through boot_standby_powered"
expect_journal_count 1 'fence-confirmed how=power node=alpha' "alpha fenced by power"
expect_journal_count 0 'fence-confirmed how=(presumed|confirmed)' "a fence other than by power"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot of beta"
expect_journal_count 1 'takeover active=beta' "takeover"
[[ $(ledger_count beta '"ev":"command","line":"boot') == 1 ]] || fail "beta's ledger: not exactly one boot typed"
grep -q 'set power "\{0,1\}0' "$bmc_alpha/chassis.log" || fail "alpha's BMC was never asked to power off: $(cat "$bmc_alpha/chassis.log")"
if grep -q 'set power' "$bmc_beta/chassis.log"; then fail "beta's BMC was asked to change its power: $(cat "$bmc_beta/chassis.log")"; fi
expect_node_state alpha OFF "alpha powered off through its BMC"
expect_node_state beta RUNNING
[[ $(status_field active) == beta ]] || fail "roles: $(ctl status demo)"
# No write of alpha after its power-off: in alpha's ledger, nothing of the
# service (write, lease) after the state change to OFF.
off_line=$(grep -nE '"ev":"state".*"to":"OFF"' "$(ledger alpha)" | tail -1 | cut -d: -f1)
[[ -n $off_line ]] || fail "alpha's ledger has no power-off: $(tail -5 "$(ledger alpha)")"
after_off=$(ledger_since alpha "$off_line" | grep -E '"ev":"(write|lease_acquire)"' || true)
[[ -z $after_off ]] || fail "alpha wrote after its power-off: $after_off"
clusterd_alive || fail "clusterd died"
check_ledger
grep -q '^overlap: 0.0 ms in 0 interval' "$work/check-ledger.out" || fail "overlap: $(cat "$work/check-ledger.out")"
pass "BREAK ignored, power fence: alpha powered off and read back off, fenced by power, one boot of beta, takeover, alpha's console watched, overlap 0"
