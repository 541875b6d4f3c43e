#!/usr/bin/env bash
# Scenario bcp_snapshot_cut (BCP mode, docs/bcp.md; issue: "a transfer cut
# mid-way" in snapshot mode): btrfs snapshots every 5 s over ssh; the WAN is
# slowed to 8 kbit/s and cut while a `btrfs receive` runs at beta's site.
# The ssh session ends (ClientAlive), btrfs receive meets the end of its
# stream, and the half-received snapshot is deleted: it never counts. Then
# alpha panics with the WAN still cut: the gate states the loss from the
# last verified snapshot and promotes it.
# BCP_MODE=rsync: the same with an rsync cut mid-copy: the staging copy it
# leaves fails the hash check and is never promoted.
# Asserts: the cut was mid-receive and said so; no subvolume without a
# Received UUID is left at beta's site (rsync: the verified snapshot did not
# move to the cut one); the loss lies in the gate's range.
#   bcp_snapshot_cut.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
BCP_MODE=${BCP_MODE:-snapshot}
BCP_MAX_LOSS=1000
bcp_setup
scenario_setup
bcp_wait_caught_up 30
wan_rate 8kbit
if [[ $BCP_MODE == rsync ]]; then
  receiving() { pgrep -f "rsync --server.*$site_b/fs/snaps/staging.img" >/dev/null; }
else
  receiving() { pgrep -f "btrfs receive -q $site_b/fs/snaps" >/dev/null; }
fi
inject "WAN cut while a snapshot is being received"
wait_for 60 "a btrfs receive under way at beta's site" receiving
wan_cut on
say "cut with a receive under way"
verified_before=$(cat "$site_b/fs/snaps/verified" 2>/dev/null || true)
wait_for 30 "the cut receive given up" timeline_has "serve alpha: (error )?partial receive of snap-|not verified at the other site|no answer from the other site|rsync of snap-[^ ]* failed"
not_receiving() { ! receiving; }  # (a function: pgrep -f would find an sh -c holding the pattern)
wait_for 30 "no receive left" not_receiving
inject "panic on alpha"
sim alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
expect_journal_count 1 'promoted .*node=beta' "one promotion"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
if [[ $BCP_MODE == rsync ]]; then
  # The promotion came from the snapshot verified before the cut.
  expect_timeline "beta's site promoted at [0-9]+ records" "no promotion"
  [[ -n $verified_before ]] || fail "no verified snapshot before the cut"
  promoted_from=$(cat "$site_b/fs/snaps/peer-has" 2>/dev/null || true)
  [[ $promoted_from == "$verified_before" ]] ||
    fail "beta was promoted from '$promoted_from', not from $verified_before, verified before the cut"
else
  # A partial receive is writable and has no Received UUID; beta's own
  # snapshots (taken once it is the source) are read-only.
  partial=0
  for s in "$site_b"/fs/snaps/snap-*; do
    [[ -d $s ]] || continue
    grep -q 'ro=true' <<<"$(btrfs property get -ts "$s" ro)" && continue
    grep -q 'Received UUID:[[:space:]]*-' <<<"$(btrfs subvolume show "$s")" && partial=$((partial + 1))
  done
  (( partial == 0 )) || fail "$partial snapshot(s) without a Received UUID left at beta's site"
fi
sleep 2
bcp_judge "$img_b" "$BCP_MODE"
wan_rate 8mbit
clusterd_alive || fail "clusterd died"
pass "snapshot receive cut mid-way: removed, never counted; promoted from the last verified one, lost $bcp_lost in ${bcp_lo}..${bcp_hi}"
