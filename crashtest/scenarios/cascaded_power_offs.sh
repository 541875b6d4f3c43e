#!/usr/bin/env bash
# Scenario cascaded_power_offs (seed list: "multiple cascaded switchovers and
# power-offs", "filesystem consistency after 10 cascaded power-offs"): the
# active node is powered off, the standby takes over, the old active is
# powered on again (its power-on banner must be stopped at ok), and again the
# other way: POWER_OFFS times (default 10), the roles swapping each time.
# beta's console is the in-band alternate break behind ser2net, which its
# power-on banner does not hear: it is stopped once its boot starts.
# Asserts, after each round: the other node took over with exactly one more
# boot in the journal, the powered-on node ends at ok with auto-boot? false;
# at the end: takeovers = POWER_OFFS, the nodesim ledgers show no overlap and
# no write after a fence, and the shared disk's record log is consistent
# (every record whole, per-node sequence numbers increasing).
#   [POWER_OFFS=N] cascaded_power_offs.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
rounds=${POWER_OFFS:-10}
CONFIG_EXTRA=$'[timeouts]\nconfirm_window = "4s"'
scenario_setup

for (( r = 1; r <= rounds; r++ )); do
  active=$(status_field active)
  other=$([[ $active == alpha ]] && echo beta || echo alpha)
  boots=$(journal_count 'boot-sent')
  inject "round $r/$rounds: power-off on $active (the active)"
  sim "$active" power-off >/dev/null
  wait_for 40 "takeover by $other (round $r)" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *$other'"
  [[ $(journal_count 'boot-sent') == $(( boots + 1 )) ]] || fail "round $r: not exactly one more boot-sent"
  expect_node_state "$other" RUNNING
  say "round $r: $other active; power-on $active, which must stop at ok"
  sim "$active" power-on >/dev/null
  wait_for 40 "$active stopped at ok with auto-boot? false (round $r)" \
    sh -c "'$bin/nodesim' ctl $active status | grep -q 'state=OK auto-boot?=false'"
  wait_for 15 "back in watch with ping up (round $r)" \
    sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^state *watch' && '$bin/clusterctl' status demo --home '$home' | grep -q 'ping up'"
  sleep 1
done
show_timeline 'state |takeover|BREAK|alarm critical'
expect_journal_count "$rounds" 'takeover' "one takeover per power-off"
expect_journal_count "$rounds" 'boot-sent' "one boot per power-off"
check_ledger
/usr/bin/python3 "$scenario_dir/check_shared_disk.py" "$NODESIM_DIR/shared.img" ||
  fail "the shared disk's record log is not consistent"
clusterd_alive || fail "clusterd died"
pass "$rounds cascaded power-offs: $rounds takeovers, one boot each, every powered-on node stopped at ok; disk consistent"
