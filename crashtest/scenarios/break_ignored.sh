#!/usr/bin/env bash
# Scenario break_ignored (crash-test-plan §3: "BREAK ignored while the node
# runs"): alpha ignores BREAK (kbd -a disable: nodesim break-disable), then its
# network cable is pulled. clusterd confirms on the console (alpha answers at
# login), fences: the BREAK changes nothing, no `ok`. The runtime must refuse
# to presume alpha off (its console answered moments ago): fence not
# confirmed, critical alarm, no boot, no takeover — alpha still runs and
# holds the shared disk, so booting beta would be split-brain.
# This is the scenario a script that marks the node fenced right after the
# BREAK, without reading auto-boot? back, fails (ledger overlap).
#   break_ignored.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup

sim alpha break-disable >/dev/null
inject "cable-pull on alpha, which ignores BREAK"
sim alpha cable-pull >/dev/null
# Wait for the verdict either way: the alarm, or a boot sent to beta (wrong).
wait_for 30 "the fence-not-confirmed alarm (or a boot of beta)" \
  sh -c "grep -qE 'alarm critical \"fence of alpha NOT confirmed|send beta \"boot' '$timeline_log'"
sleep 3
show_timeline
expect_timeline 'BREAK alpha' "no BREAK sent"
[[ $(journal_count 'boot-sent|takeover') == 0 ]] || fail "beta was booted without a confirmed fence"
[[ $(ledger_count beta '"ev":"command","line":"boot') == 0 ]] || fail "beta's ledger: a boot was typed"
expect_node_state alpha BREAK_DISABLED "alpha (BREAK ignored) keeps running"
expect_node_state beta OK "beta must stay at ok"
[[ $(status_field active) == alpha ]] || fail "roles changed: $(ctl status demo)"
clusterd_alive || fail "clusterd died"
check_ledger
pass "BREAK ignored: fence not confirmed, critical alarm, no boot, no takeover"
