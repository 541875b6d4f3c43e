#!/usr/bin/env bash
# Scenario bcp_wan_cut (BCP mode, docs/bcp.md; issue: "both sites reachable
# but the WAN cut (no promotion)"): the link between the sites is cut for
# 20 s; the monitor still reaches both sites by its own paths, alpha runs on.
# Nothing is fenced or promoted: a warning says how far the replica is
# behind (lag_alarm 5s here) and a notice when, the WAN mended, it has caught
# up, with the whole log at beta's site and equal hashes.
# Asserts: no BREAK (ledgers), no promotion, no boot; the lag alarm and the
# catch-up notice; replica = head afterwards.
#   bcp_wan_cut.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
BCP_EXTRA='lag_alarm = "5s"'
bcp_setup
scenario_setup
bcp_wait_caught_up 30
inject "WAN cut between the sites (both sites reachable)"
wan_cut on
wait_for 20 "the lag warning" timeline_has 'bcp: replication behind'
sleep 12
say "behind by $(bcp_field lag_records) records ($(bcp_field lag_s) s)"
(( $(bcp_field lag_records) >= 50 )) || fail "the lag did not grow while the WAN was cut"
inject "WAN mended"
wan_cut off
wait_for 30 "caught up again" timeline_has 'bcp: replication caught up again'
bcp_wait_caught_up 10
[[ $(bcp_field head.hash) == "$(bcp_field replica.hash)" ]] || fail "replica and head differ in hash"
expect_journal_count 0 'promoted ' "no promotion"
expect_journal_count 0 'fence-confirmed ' "no fence"
expect_journal_count 0 'boot-sent ' "no boot"
[[ $(ledger_count alpha '"ev":"break"') == 0 ]] || fail "alpha got a BREAK"
expect_node_state alpha RUNNING
bcp_judge "$img_a" stream
(( bcp_lost == 0 )) || fail "alpha's own disk lacks $bcp_lost of its records"
clusterd_alive || fail "clusterd died"
pass "WAN cut 20 s with both sites reachable: lag warning, no fence, no promotion; mended: caught up, hashes equal"
