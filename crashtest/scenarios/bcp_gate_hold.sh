#!/usr/bin/env bash
# Scenario bcp_gate_hold (BCP mode, docs/bcp.md; issue: "WAN cut then site A
# failure (the gate)"): the WAN between the sites is cut while alpha keeps
# writing at 5 records/s; its shipper still reports the head over the
# management path, so clusterd knows how many records beta's site lacks.
# alpha then panics: the fence is confirmed (BREAK, auto-boot? false read
# back), and the gate computes the expected loss. It is above max_loss (10):
# no promotion, no boot, a critical alarm with the numbers. The operator
# accepts the loss (`clusterctl failover demo --accept-loss`): beta's disk is
# promoted, beta boots once, takeover.
# Asserts: nothing booted while held; the alarm's range holds the ledgers'
# lost count; both sites never wrote at once.
#   bcp_gate_hold.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
BCP_MAX_LOSS=10
BCP_GATE_TIMEOUT=0s  # only the operator opens it
bcp_setup
scenario_setup
bcp_wait_caught_up 30

inject "WAN cut between the sites"
wan_cut on
sleep 8  # about 40 records that beta's site does not get
inject "panic on alpha"
sim alpha panic >/dev/null
wait_for 30 "the gate holds the failover" timeline_has 'bcp: failover held: expected loss'
held=$(grep -a 'bcp: failover held' "$timeline_log" | head -1)
say "held: ${held#*bcp: }"
sleep 5
expect_journal_count 0 'promoted ' "no promotion while held"
expect_journal_count 0 'boot-sent ' "no boot while held"
expect_node_state beta OK "beta must stay at ok while the gate holds"
bcp_status | grep -q '"gate":"hold"' || fail "status does not show the gate holding: $(bcp_status)"

inject "operator: clusterctl failover demo --accept-loss"
ctl failover demo --accept-loss >/dev/null || fail "clusterctl failover --accept-loss refused"
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
expect_timeline "bcp: beta's site promoted at [0-9]+ records, epoch 2 \\(accepted;" "no accepted promotion"
expect_journal_count 1 'promoted .*gate=accepted' "one accepted promotion"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
ctl failover demo --accept-loss >/dev/null 2>&1 && fail "accept-loss with nothing held was not refused"
sleep 2
bcp_judge "$img_b" stream
(( bcp_lo >= 30 )) || fail "the gate's lower bound $bcp_lo is not the ~40 records the cut kept back"
clusterd_alive || fail "clusterd died"
pass "WAN cut, then panic: gate held at ${bcp_lo}..${bcp_hi} > max_loss 10; accepted: lost $bcp_lost, one promotion, one boot"
