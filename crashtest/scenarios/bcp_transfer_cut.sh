#!/usr/bin/env bash
# Scenario bcp_transfer_cut (BCP mode, docs/bcp.md; issue: "a transfer cut
# mid-way"): the WAN is cut for 15 s (about 75 records pile up at alpha's
# site), mended at 8 kbit/s so the catch-up takes seconds, and cut again in
# the middle of it. Then alpha panics. The receiver keeps only pieces it has
# verified against the source's running hash: whatever arrived of the cut
# piece is not counted, not written as verified, and never promoted.
# Asserts: the receiver said the transfer was cut; beta's image has no
# unverified tail after the promotion; the ledgers' lost count lies in the
# gate's range; both sites never wrote at once.
#   bcp_transfer_cut.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
BCP_MAX_LOSS=1000
bcp_setup
scenario_setup
bcp_wait_caught_up 30

inject "WAN cut for 15 s"
wan_cut on
sleep 15
before=$(bcp_field replica.records)
wan_rate 8kbit
inject "WAN mended at 8 kbit/s, then cut again during the catch-up"
conns=$(grep -c '^conn ' "$work/relay-b.out" || true)
wan_cut off
# The relay says what it passed on: cut once 1500 bytes of the new
# connection's catch-up are through (of about 4.7 KB).
mid_transfer() { tail -n +"$((conns + 1))" "$work/relay-b.out" | awk '$4 >= 1500 { f = 1 } END { exit !f }'; }
wait_for 60 "the catch-up under way (1500 bytes through the relay)" mid_transfer
wan_cut on
say "cut again at $(bcp_field replica.records) of $(bcp_field head.records) records"
wait_for 20 "the receiver noticed the cut" timeline_has 'receive beta: transfer cut mid-way'
[[ $(bcp_field replica.records) == "$before" ]] || fail "the replica moved to $(bcp_field replica.records) with the piece cut"
inject "panic on alpha"
sim alpha panic >/dev/null
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
expect_journal_count 1 'promoted .*node=beta' "one promotion"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
st=$("$bin/clusterd-ship" status --image "$img_b") || fail "clusterd-ship status failed"
say "beta's image after the promotion: $(tr '\n' ' ' <<<"$st")"
sleep 2
bcp_judge "$img_b" stream
(( bcp_lost > 0 )) || fail "nothing was lost: the cut did not keep anything back"
wan_rate 8mbit
clusterd_alive || fail "clusterd died"
pass "transfer cut mid-way, then panic: only verified pieces promoted; lost $bcp_lost in the gate's ${bcp_lo}..${bcp_hi}"
