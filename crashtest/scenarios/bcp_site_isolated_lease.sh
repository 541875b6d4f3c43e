#!/usr/bin/env bash
# Scenario bcp_site_isolated_lease (BCP mode, site_isolation = "lease",
# docs/bcp.md; issue: "site_isolation = lease relies on a lease keeper at the
# old site that halts it after T without renewal, and clusterd promotes only
# after 2T"): site A is cut off from the monitor whole — its console path,
# its node's network and its site's own link — while it keeps running, and
# its WAN to site B stays up. Each site's lease keeper is renewed over ssh
# every T/3 (T = 3 s); the shippers run at the sites over ssh too.
# Asserts: alpha's keeper halts alpha (its service stops) T after the last
# renewal it got; clusterd stops renewing, waits 2T after the last renewal it
# ran, fences alpha by lease (journal how=lease, no BREAK), promotes beta's
# disk with a stated range that holds the real loss, then boots beta; both
# sites never wrote at once, and beta booted at least T after alpha's halt.
#   bcp_site_isolated_lease.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
ALPHA_SER2NET=1
BCP_LEASE=1
CONFIG_EXTRA=$'[timeouts]\nconfirm_window = "4s"'
bcp_setup
scenario_setup
bcp_wait_caught_up 30
renewed() { (( $(bcp_lease_count "$site_a") >= 3 && $(bcp_lease_count "$site_b") >= 3 )); }
wait_for 20 "three renewals at each site's keeper" renewed
sleep 2  # steady shipping at 5 records/s

inject "site A cut off from the monitor (console path, node network, site link); it keeps running"
t_inj=$(date +%s.%N)
kill_alpha_ser2net KILL
sim alpha cable-pull >/dev/null
"$src/tools/testnet.sh" mgmt-cut "$net_id" alpha on
wait_for 60 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the cut"
grep -q 'expired: no renewal' "$work/keeper-a.out" || fail "alpha's keeper never halted it: $(cat "$work/keeper-a.out")"
expect_timeline "bcp: renewals of alpha's lease stop" "renewals to the lost site did not stop"
expect_timeline "lease.expired" "no lease.expired"
expect_timeline 'fenced alpha \(by lease' "alpha not fenced by lease"
expect_timeline "bcp: beta's site promoted at [0-9]+ records, epoch 2" "no promotion"
expect_journal_count 1 'fence-confirmed how=lease node=alpha' "one fence by lease"
expect_journal_count 1 'promoted .*node=beta' "exactly one promotion"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
expect_journal_count 0 'fence-confirmed how=(presumed|confirmed) node=alpha' "no other fence of alpha"
# The keeper's halt (alpha's service_stop) comes at least T before beta's boot.
stop_ns=$(sed -n 's/.*"t_ns":\([0-9]*\).*"ev":"service_stop".*/\1/p' "$(ledger alpha)" | sed -n 1p)
boot_ns=$(sed -n 's/.*"t_ns":\([0-9]*\).*"ev":"state".*"to":"BOOTING".*/\1/p' "$(ledger beta)" | sed -n 1p)
[[ -n $stop_ns && -n $boot_ns ]] || fail "no service_stop of alpha ($stop_ns) or boot of beta ($boot_ns) in the ledgers"
margin_ms=$(( (boot_ns - stop_ns) / 1000000 ))
say "alpha halted by its keeper ${margin_ms} ms before beta's boot"
# boot >= contact + 2T and halt <= contact + T + 1 s: at least T - 1 s apart.
(( margin_ms >= 2000 )) || fail "beta booted only $margin_ms ms after alpha's halt (want at least T - 1 s = 2 s)"
expect_node_state beta RUNNING
sleep 2  # beta writes to its own disk
bcp_judge "$img_b" stream+lease
clusterd_alive || fail "clusterd died"
pass "site A cut off: halted by its keeper, fenced by lease after 2T, promoted (gate ${bcp_lo}..${bcp_hi}, lost $bcp_lost), booted ${margin_ms} ms after the halt, both sites writing 0 ms"
