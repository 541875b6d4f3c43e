#!/usr/bin/env bash
# Scenario bcp_site_power_off (BCP mode, docs/bcp.md; issue: "site A power-off
# at load in each shipper mode"): two sites, each node with its own disk,
# alpha's record log streamed to beta's site by clusterd-ship over an
# 8 Mbit/s WAN with 20 ms of delay (BCP_MODE=snapshot: btrfs snapshots every
# 5 s, sent over ssh; BCP_MODE=rsync: copies sent with rsync --inplace;
# BCP_MODE=zfs: zfs send/receive between zfs-fuse pools). Site A loses power at 5 records/s: its node and its shipper die
# together. clusterd presumes alpha off (console silent, ping down), the gate
# states the expected loss [lo, hi] from the last head it saw and the peak
# rate, promotes beta's disk (epoch 2), and only then boots beta.
# Asserts: one promotion, one boot, takeover; the ledgers' lost count inside
# the gate's range and at most 2 (the issue's log-stream goal; snapshot mode:
# at most the interval plus 2 s of writes, I + ship time); both sites
# never wrote at once; beta's image starts with alpha's records.
#   bcp_site_power_off.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
CONFIG_EXTRA=$'[timeouts]\nconfirm_window = "4s"'
bcp_setup
scenario_setup
bcp_wait_caught_up 30
sleep 3  # a few seconds of steady shipping at 5 records/s

inject "site A power-off (node and shipper)"
t_inj=$(date +%s.%N)
bcp_site_off "$site_a" "$img_a"
sim alpha power-off >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the power-off"
expect_timeline 'bcp: the boot of beta waits at the failover gate' "the boot did not wait at the gate"
expect_timeline "bcp: beta's site promoted at [0-9]+ records, epoch 2" "no promotion"
expect_journal_count 1 'promoted .*node=beta' "exactly one promotion"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
expect_journal_count 1 'takeover active=beta' "takeover"
# The promotion is on disk before the boot.
p=$(grep -n ' promoted ' "$journal_file" | cut -d: -f1) b=$(grep -n ' boot-sent ' "$journal_file" | cut -d: -f1)
(( p < b )) || fail "the boot was journaled before the promotion"
expect_node_state beta RUNNING
sleep 2  # beta writes to its own disk
bcp_judge "$img_b" "$bcp_mode"
if [[ $bcp_mode == stream ]]; then
  (( bcp_lost <= 2 )) || fail "lost $bcp_lost records (goal: at most 2 at 5 records/s)"
else
  (( bcp_lost <= (5 + 2) * 5 )) || fail "lost $bcp_lost records (goal: at most I + ship time = 7 s of 5 records/s)"
fi
head -c 4200 "$img_b" | tail -c 104 | grep -q '"node":"alpha"' || fail "beta's image does not start with alpha's records"
clusterd_alive || fail "clusterd died"
pass "site A off at 5 records/s ($bcp_mode): gate ${bcp_lo}..${bcp_hi}, lost $bcp_lost, promoted then booted once, both sites writing 0 ms"
