#!/usr/bin/env bash
# Scenario bcp_planned_switchover (BCP mode, docs/bcp.md; issue: "planned site
# switchover"): `clusterctl switchover demo --site` with the stock script's
# switchover_state = "fence": alpha is BREAKed to ok and locked (auto-boot?
# false read back); its shipper still runs, so the last records reach beta's
# site; the gate opens only when the replica and the head agree, hash and
# all; then beta's disk is promoted and beta boots.
# BCP_PLANNED=stop: the stock script's default instead (planned_stop): alpha
# shut down cleanly over ssh (`shutdown -i0 -g0 -y`, a real sshd in alpha's
# namespace), its service stopped, halted at ok, locked; no BREAK.
# Asserts: zero records lost, the timeline's "replica and head agree", one
# promotion, one boot, both sites never wrote at once.
#   bcp_planned_switchover.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=bcp_lib.sh
source "$(dirname "$0")/bcp_lib.sh"
scenario_enter "$@"
planned=${BCP_PLANNED:-fence}
[[ $planned == fence ]] && PARAMS_EXTRA='switchover_state = "fence"'
BCP_MAX_LOSS=1000  # a planned switchover must not lean on it
bcp_setup
if [[ $planned == stop ]]; then
  start_nodes
  start_ser2net
  bcp_planned_stop_sshd
  write_config
  wait_alpha_running
  start_clusterd
else
  scenario_setup
fi
bcp_wait_caught_up 30
sleep 2
inject "operator: clusterctl switchover demo --site"
ctl switchover demo --site >/dev/null || fail "switchover --site refused"
wait_for 40 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
expect_timeline 'planned switchover: replica and head agree \([0-9]+ records, hash equal\): no loss' "the gate did not compare the hashes"
expect_journal_count 1 'promoted .*node=beta' "one promotion"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
if [[ $planned == stop ]]; then
  grep -q '^shutdown' "$work/ssh-planned/commands.log" || fail "alpha was not asked to shut down over ssh"
  expect_timeline 'state planned_stop' "the script did not take the planned_stop path"
  [[ $(ledger_count alpha '"ev":"break"') == 0 ]] || fail "alpha got a BREAK in a clean planned switchover"
  grep -q '"ev":"service_stop".*"why":"shutdown"' "$(ledger alpha)" || fail "alpha's service did not stop by its shutdown"
fi
sleep 2
bcp_judge "$img_b" stream
(( bcp_lost == 0 )) || fail "a planned switchover lost $bcp_lost records"
clusterd_alive || fail "clusterd died"
pass "planned site switchover ($planned): final records shipped, hashes equal, promoted, one boot; lost 0"
