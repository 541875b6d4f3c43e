#!/usr/bin/env bash
# Scenario rogue_standby_boot (crash-test-plan S2, S1b): the standby starts to
# boot on its own while alpha runs.
#   1. `boot` typed on beta's console by someone else (nodesim ctl beta type).
#   2. beta power-cycled with a dead NVRAM battery (auto-boot? back to true).
# Each time clusterd must stop beta with a BREAK (the alternate break, through
# ser2net) before T_mount, hold it at ok with auto-boot? false read back, and
# raise a critical alarm; alpha stays active and untouched. Ledger: beta never
# holds the shared disk; nodesim check clean.
#   rogue_standby_boot.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup
alpha_mark=$(ledger_mark alpha)

held_at_ok() {  # WHAT N: the Nth "held at ok" in the timeline
  local end=$(( $(date +%s) + 15 ))
  until [[ $(timeline_count 'standby beta is held at ok') == "$2" ]]; do
    if [[ $(ledger_count beta '"ev":"lease_acquire"') != 0 ]]; then
      # Seen with the stock script before stop_standby BREAKed again on a boot
      # line: an in-band alternate break at the power-on banner reaches nobody.
      fail "$1: beta booted past T_mount and took the shared disk while alpha runs (split-brain): $(grep lease_acquire "$(ledger beta)")"
    fi
    (( $(date +%s) < end )) || fail "$1: beta not held at ok within 15s"
    sleep 0.2
  done
  expect_node_state beta OK "$1: beta is not at ok"
  [[ $(node_field beta auto-boot?) == false ]] || fail "$1: beta's auto-boot? is not false: $(sim beta status)"
  [[ $(ledger_count beta '"ev":"lease_acquire"') == 0 ]] || fail "$1: beta took the shared disk: $(grep lease_acquire "$(ledger beta)")"
}

inject "(1) 'boot' typed on beta's console behind clusterd's back"
sim beta type 'boot\r' >/dev/null
held_at_ok "typed boot" 1
expect_timeline 'alarm critical "standby beta started to boot by itself: .*stopping it at ok' "no critical alarm for the rogue boot"
[[ $(ledger_count beta '"ev":"break","via":"alt-break","effect":"halted","in":"BOOTING"') == 1 ]] ||
  fail "beta's ledger: no alternate-break that halted the boot"
say "beta stopped before T_mount and held at ok"

inject "(2) beta power-cycled with a dead NVRAM battery (auto-boot? true at power-on)"
sim beta battery-dead on >/dev/null
sim beta power-cycle >/dev/null
held_at_ok "power-cycle with a dead battery" 2
expect_timeline 'alarm critical "standby beta (powered on|started to boot by itself)' "no critical alarm for the power-on"
say "beta stopped again before T_mount and held at ok"
show_timeline

expect_node_state alpha RUNNING "alpha must stay active and running"
[[ $(status_field active) == alpha ]] || fail "alpha is no longer the active node: $(ctl status demo)"
[[ $(ledger_count alpha '"ev":"(break|command)"' "$alpha_mark") == 0 ]] || fail "something was sent to alpha: $(ledger_since alpha "$alpha_mark" | grep -E '"ev":"(break|command)"')"
[[ $(journal_count 'fence-confirmed .*node=alpha|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
clusterd_alive || fail "clusterd died"
check_ledger
pass "beta's own boot (typed, and a dead-battery power-on) stopped at ok before T_mount, alarmed; alpha untouched"
