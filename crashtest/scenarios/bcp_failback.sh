#!/usr/bin/env bash
# Scenario bcp_failback (BCP mode, docs/bcp.md; issue: "failback after the old
# site returns"): the WAN is cut, and 2 s later site A loses power (node and
# shipper) with about 10 records beta's site never got. The gate promotes
# beta's disk (max_loss 100 here), beta boots and runs. Site A comes back:
# WAN mended, alpha powered on (clusterd stops it at ok). The receiver at
# alpha's site finds its log no longer a prefix of beta's: it keeps its own
# unshipped tail as a branch file (a critical alarm counts it), cuts back to
# the common point and receives only what beta wrote since. Then a planned
# `switchover --site` brings the cluster home to alpha with nothing lost.
# Asserts: the branch holds exactly the records lost, none destroyed; the
# failback shipped at most 2x the bytes that changed; the switchover back is
# lossless; in all, the ledgers' lost count lies in the gates' summed range;
# both sites never wrote at once.
#   bcp_failback.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
CONFIG_EXTRA=$'[timeouts]\nconfirm_window = "4s"'
PARAMS_EXTRA='switchover_state = "fence"'
BCP_MAX_LOSS=100
bcp_setup
scenario_setup
bcp_wait_caught_up 30

inject "WAN cut, then site A power-off 2 s later"
wan_cut on
sleep 2
bcp_site_off "$site_a" "$img_a"
sim alpha power-off >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
expect_journal_count 1 'promoted .*node=beta.*epoch=2|promoted .*epoch=2.*node=beta' "beta promoted at epoch 2"
say "beta runs on its promoted disk; alpha's site is dark"
sleep 8

inject "site A returns: WAN mended, alpha powered on"
bcp_site_on "$img_a"
sim alpha power-on >/dev/null
wait_for 20 "alpha stopped at ok" sh -c "'$bin/nodesim' ctl alpha status | grep -q 'state=OK auto-boot?=false'"
wait_for 30 "the branch alarm" timeline_has "bcp: the unshipped tail of alpha's site was kept as a branch"
branch=$(find "$site_a" -name 'disk.img.branch-e1-*' | head -1)
[[ -n $branch ]] || fail "no branch file next to $img_a"
branch_records=$(( $(wc -l <"$branch") - 1 ))
say "kept: $(basename "$branch") with $branch_records records"
wait_for 30 "alpha's site holds beta's log" bcp_caught_up
wire=$(receiver_wire)
base=$(sed -n 's/.* base_bytes=\([0-9]*\).*/\1/p' "$img_b.repl")
changed=$(( $(bcp_field replica.bytes) - base ))
say "failback: $wire bytes on the wire for $changed bytes beta wrote since the common point"
(( wire <= 2 * changed )) || fail "failback shipped $wire bytes for $changed changed (goal: at most 2x)"
(( changed > 0 )) || fail "beta wrote nothing since the common point"

inject "operator: clusterctl switchover demo --site (home to alpha)"
ctl switchover demo --site >/dev/null || fail "switchover --site refused"
wait_for 60 "takeover by alpha" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *alpha'"
expect_timeline 'planned switchover: replica and head agree' "the switchover back did not compare hashes"
expect_journal_count 2 'promoted ' "two promotions in all"
sleep 2
bcp_judge "$img_a" stream
(( bcp_lost == branch_records )) || fail "lost $bcp_lost records but the branch holds $branch_records"
grep -q '"node":"beta"' "$img_a" || fail "alpha's disk lacks beta's records"
clusterd_alive || fail "clusterd died"
pass "failback: branch of $branch_records records kept (= lost), $wire wire bytes for $changed changed, switchover home lossless"
