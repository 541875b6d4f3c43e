#!/usr/bin/env bash
# Scenario x86_rogue_standby (scripts/x86-bmc.chat): beta, kept powered off,
# is powered on by someone else. Its SOL console shows SeaBIOS: a critical
# alarm, and beta is powered off through its BMC and read back off before its
# kernel mounts the shared disk (POST + T_mount: 3 s here). alpha is not
# touched, no failover, ledger clean (beta never held the disk).
#   x86_rogue_standby.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
scenario_enter "$@"
x86_setup
alpha_mark=$(ledger_mark alpha)
inject "beta powered on behind clusterd's back"
sim beta power-on >/dev/null
wait_for 20 "beta powered off again" sh -c "grep -q 'power beta read back off' '$timeline_log'"
show_timeline 'state |fenced|takeover|alarm|power'
expect_timeline 'alarm critical "standby beta powered on by itself: .*SeaBIOS \(version' "no critical alarm naming the power-on"
expect_node_state beta OFF
[[ $(ledger_count beta '"ev":"lease_acquire"') == 0 ]] || fail "beta took the shared disk"
expect_node_state alpha RUNNING
moved=$(ledger_since alpha "$alpha_mark" | grep -E '"ev":"(break|command|state|lease_release)"' || true)
[[ -z $moved ]] || fail "alpha was touched: $moved"
expect_journal_count 0 'boot-sent' "no power-on of beta by clusterd"
expect_journal_count 0 'fence-confirmed' "no fence"
grep -q 'set power' "$bmc_beta/chassis.log" || fail "beta's BMC was not asked to power it off"
! grep -q 'set power' "$bmc_alpha/chassis.log" || fail "alpha's BMC was asked to change its power"
[[ $(status_field active) == alpha ]] || fail "alpha is no longer active"
clusterd_alive || fail "clusterd died"
check_ledger
pass "rogue power-on of the standby -> critical alarm, powered off (read back) before its mount; alpha untouched"
