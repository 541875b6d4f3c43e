#!/usr/bin/env bash
# Scenario bcp_planned_switchover (BCP mode, docs/bcp.md; issue: "planned site
# switchover"): `clusterctl switchover demo --site` with the stock script's
# switchover_state = "fence": alpha is BREAKed to ok and locked (auto-boot?
# false read back); its shipper still runs, so the last records reach beta's
# site; the gate opens only when the replica and the head agree, hash and
# all; then beta's disk is promoted and beta boots.
# Asserts: zero records lost, the timeline's "replica and head agree", one
# promotion, one boot, both sites never wrote at once.
#   bcp_planned_switchover.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
PARAMS_EXTRA='switchover_state = "fence"'
BCP_MAX_LOSS=1000  # a planned switchover must not lean on it
bcp_setup
scenario_setup
bcp_wait_caught_up 30
sleep 2
inject "operator: clusterctl switchover demo --site"
ctl switchover demo --site >/dev/null || fail "switchover --site refused"
wait_for 40 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
expect_timeline 'planned switchover: replica and head agree \([0-9]+ records, hash equal\): no loss' "the gate did not compare the hashes"
expect_journal_count 1 'promoted .*node=beta' "one promotion"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
sleep 2
bcp_judge "$img_b" stream
(( bcp_lost == 0 )) || fail "a planned switchover lost $bcp_lost records"
clusterd_alive || fail "clusterd died"
pass "planned site switchover: fence, final records shipped, hashes equal, promoted, one boot; lost 0"
