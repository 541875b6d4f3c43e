#!/usr/bin/env bash
# Scenario both_up_at_start (crash-test-plan A10, startup fencing): clusterd is
# started on a cluster where both nodes already run Solaris from the shared
# disk (beta booted by itself; the ledgers show both holding the disk).
# clusterd writes nothing at its start (A1), so it learns of beta's OS at its
# first standby probe (probe_interval, 3 s here): beta answers at a login
# prompt. Policy (docs/life-of-a-failover.md): a critical alarm "both nodes up"
# at once; alpha answers ping, so both are known to run, and only the standby
# is stopped: BREAK, ok, setenv auto-boot? false, read back. alpha is never
# touched, nothing fails over. Ground truth: the overlap began before clusterd
# ran (reported, not counted: nodesim check --since); beta writes nothing after
# its halt. Figure: T_alarm and T_halt from clusterd's start.
#   both_up_at_start.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"

setup_both_running
[[ $(ledger_count beta '"ev":"lease_acquire"') == 1 ]] || fail "beta did not take the shared disk: the starting condition is not made"
alpha_mark=$(ledger_mark alpha)
inject "clusterd started with both nodes running from the shared disk"
t0=$(date +%s.%N)
start_clusterd

wait_for 15 "a critical alarm 'both nodes up'" timeline_has 'alarm critical "both nodes up'
t_alarm=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
wait_for 20 "beta held at ok" timeline_has 'standby beta is held at ok'
t_halt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
show_timeline 'state |alarm|BREAK |send '

expect_timeline 'state stop_standby <- ping.up' "beta was not stopped on the strength of alpha's ping"
expect_node_state beta OK "beta must be held at ok"
[[ $(node_field beta auto-boot?) == false ]] || fail "beta's auto-boot? is not false: $(sim beta status)"
expect_node_state alpha RUNNING "alpha must stay active and running"
[[ $(ledger_count alpha '"ev":"(break|command)"' "$alpha_mark") == 0 ]] ||
  fail "something was sent to alpha: $(ledger_since alpha "$alpha_mark" | grep -E '"ev":"(break|command)"')"
[[ $(status_field active) == alpha && $(status_field failovers) == 0 ]] || fail "roles changed: $(ctl status demo)"
[[ $(journal_count 'fence-confirmed .*node=alpha|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
clusterd_alive || fail "clusterd died"
check_ledger
grep -qE '^before-since: (alpha and beta|beta and alpha) ' "$work/check-ledger.out" ||
  fail "nodesim check does not report the overlap from before clusterd's start"
pass "both nodes up at start: critical alarm ${t_alarm}s after clusterd's start, beta (standby) held at ok ${t_halt}s after it; alpha untouched, no failover, no write by beta after its halt"
