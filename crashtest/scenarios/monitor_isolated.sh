#!/usr/bin/env bash
# Scenario monitor_isolated (DESIGN.md §5 "monitor isolated: alarm, no
# fencing"; crash-test-plan A6): a third namespace `ref` holds the reference
# address ([ping] reference). The monitor's own side is cut: every monitor-side
# veth goes down (to alpha, beta and the reference) for 5 s, then comes back.
# Asserts: monitor.isolated and a warning alarm, never ping.down, no fence, no
# takeover, nothing sent to either node; monitor ok again afterwards, back to
# watch; ledger clean.
#   monitor_isolated.sh BIN_DIR SOURCE_DIR
set -euo pipefail
TESTNET_NODES="alpha beta ref"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
PING_EXTRA="reference = \"$CDT_REF_ADDR\""
scenario_setup
wait_for 10 "the reference answering" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^monitor *ok'"
alpha_mark=$(ledger_mark alpha) beta_mark=$(ledger_mark beta)
ifs=("$CDT_ALPHA_MON_IF" "$CDT_BETA_MON_IF" "$CDT_REF_MON_IF")

inject "the monitor's own network cut (monitor-side links to alpha, beta and the reference $CDT_REF_ADDR down)"
for i in "${ifs[@]}"; do ip link set "$i" down; done
wait_for 10 "monitor isolated" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^monitor *ISOLATED'"
sleep 5
[[ $(status_field state) == isolated ]] || fail "clusterd is not in state isolated: $(ctl status demo)"
say "5 s isolated: no action"
say "healing: links up"
for i in "${ifs[@]}"; do ip link set "$i" up; done
wait_for 15 "monitor ok again" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^monitor *ok'"
wait_for 10 "ping up on alpha" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *alpha .*ping up'"
sleep 2
show_timeline

expect_timeline 'alarm warning "monitor isolated' "no alarm for the isolation"
expect_timeline 'alarm notice "monitor network is back"' "no notice when the monitor network returned"
timeline_has 'ping alpha down' && fail "ping.down reported while the monitor itself was cut off"
[[ $(status_field state) == watch ]] || fail "clusterd is not back in watch: $(ctl status demo)"
expect_node_state alpha RUNNING
expect_node_state beta OK
[[ $(status_field active) == alpha && $(status_field failovers) == 0 ]] || fail "roles changed: $(ctl status demo)"
[[ $(ledger_count alpha '"ev":"(break|command)"' "$alpha_mark") == 0 ]] || fail "something reached alpha: $(ledger_since alpha "$alpha_mark" | grep -E '"ev":"(break|command)"')"
[[ $(ledger_count beta '"ev":"(break|command)"' "$beta_mark") == 0 ]] || fail "something reached beta"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
clusterd_alive || fail "clusterd died"
check_ledger
pass "monitor cut off -> isolated, warning alarm, no ping.down, no fence; back to watch"
