#!/usr/bin/env bash
# Scenario hung_primary: alpha's OS freezes (nodesim hang: console silent, no
# ping, the disk still held, BREAK works: hang-break on by default). clusterd
# sees ping lost, the console stays silent through the confirm window, the
# BREAK drops the frozen OS to ok ("Type 'go' to resume"), auto-boot? false is
# set and read back: a *confirmed* fence, then one boot of beta and takeover.
# Ledger clean (the lease is released by the BREAK before beta mounts).
#   hung_primary.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup

inject "hang on alpha (silent, no ping; BREAK still works)"
t_inj=$(date +%s.%N)
sim alpha hang >/dev/null
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the hang"
sleep 1
show_timeline

expect_timeline 'ping alpha down' "ping loss not detected"
expect_timeline 'alarm critical "fencing alpha: ping lost, console silent for' "no fence after the silent confirm window"
expect_timeline 'state lock_active <- active obp_prompt' "the BREAK did not bring alpha to ok"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed, not presumed)"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
expect_journal_count 1 'takeover active=beta' "takeover"
[[ $(ledger_count alpha '"ev":"break","via":"telnet-brk","effect":"halted","in":"HUNG"') == 1 ]] ||
  fail "alpha's ledger: no BREAK that halted the hung node"
expect_node_state alpha OK "alpha must be held at ok"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta RUNNING
clusterd_alive || fail "clusterd died"
check_ledger
pass "hang -> silent confirm window, BREAK -> ok, fence read back, one boot, takeover"
