#!/usr/bin/env bash
# Scenario ping_loss (crash-test-plan S5, DESIGN.md §5 "console alive, ping
# lost"): alpha's network cable is pulled while its console stays alive.
# Default on_network_loss = takeover: clusterd confirms on the console (alpha
# answers at login), fences it through the console (BREAK, setenv, read-back),
# boots beta once and takes over. Then the cable goes back in: alpha must stay
# at ok. nodesim check: no split-brain, no write after the fence.
#   scenario_ping_loss.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=scenario_lib.sh
source "$(dirname "$0")/scenario_lib.sh"
scenario_enter "$@"
scenario_setup

say "injecting: cable-pull on alpha (console stays up)"
t_inj=$(date +%s.%N)
sim alpha cable-pull >/dev/null
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the cable pull"
show_timeline

expect_timeline 'ping alpha down' "ping loss not detected"
expect_timeline 'state fence <- active solaris_login' "the fence did not follow a console confirmation (alpha at login)"
expect_timeline 'alarm critical "fencing alpha: ping lost, console alive' "no critical alarm naming 'ping lost, console alive'"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
expect_journal_count 1 'boot-sent node=beta' "exactly one boot"
expect_journal_count 1 'takeover active=beta' "takeover"
[[ $(ledger_count beta '"ev":"command","line":"boot shared"') == 1 ]] || fail "beta's ledger: not exactly one 'boot shared' typed"
[[ $(ledger_count alpha '"ev":"break","via":"telnet-brk","effect":"halted","in":"RUNNING"') == 1 ]] ||
  fail "alpha's ledger: no BREAK that halted the running node"

say "healing: cable-plug on alpha; it must stay at ok"
sim alpha cable-plug >/dev/null
sleep 2
expect_node_state alpha OK "alpha came back up after the cable returned"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta RUNNING
[[ $(status_field active) == beta ]] || fail "beta is no longer active: $(ctl status demo)"
clusterd_alive || fail "clusterd died"
check_ledger
pass "cable pulled -> confirmed on the console, fenced, one boot, takeover; alpha stays at ok after the heal"
