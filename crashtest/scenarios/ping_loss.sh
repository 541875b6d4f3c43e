#!/usr/bin/env bash
# Scenario ping_loss (crash-test-plan S5, DESIGN.md §5 "console alive, ping
# lost"): alpha's network cable is pulled while its console stays alive.
# Default on_network_loss = takeover: clusterd confirms on the console (alpha
# answers at login), fences it through the console (BREAK, setenv, read-back),
# boots beta once and takes over. Then the cable goes back in: alpha must stay
# at ok. nodesim check: no split-brain, no write after the fence.
# With NETWORK_LOSS=alarm ([policy] on_network_loss = "alarm"): the same
# confirmation, then only a critical alarm: no BREAK, no boot, no takeover;
# after the cable returns, back to watch with alpha still active.
#   [NETWORK_LOSS=alarm] ping_loss.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
if [[ ${NETWORK_LOSS:-takeover} == alarm ]]; then
  CONFIG_EXTRA=$'[policy]\non_network_loss = "alarm"'
fi
scenario_setup

if [[ ${NETWORK_LOSS:-takeover} == alarm ]]; then
  inject "cable-pull on alpha (console stays up); policy on_network_loss = alarm"
  sim alpha cable-pull >/dev/null
  wait_for 30 "the network-loss alarm" timeline_has 'alarm critical "ping lost, console alive .*on_network_loss = alarm'
  sleep 2
  expect_timeline 'state network_loss_hold <- active solaris_login' "no console confirmation (alpha at login)"
  expect_timeline 'state network_loss_alarm <- after [$]network_loss_holdoff' "the alarm did not follow the hold-off"
  timeline_has 'BREAK alpha' && fail "a BREAK was sent to alpha under on_network_loss = alarm"
  [[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
  [[ $(ledger_count beta '"ev":"command"') == 0 ]] || fail "something was typed on beta"
  expect_node_state alpha RUNNING "alpha must keep running"
  say "healing: cable-plug on alpha"
  sim alpha cable-plug >/dev/null
  wait_for 15 "back to watch" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^state *watch'"
  show_timeline
  expect_timeline 'alarm notice "alpha answers ping again"' "no notice when ping came back"
  [[ $(status_field active) == alpha ]] || fail "alpha is no longer active: $(ctl status demo)"
  expect_node_state beta OK "beta must stay at ok"
  clusterd_alive || fail "clusterd died"
  check_ledger
  pass "on_network_loss = alarm: cable pulled -> confirmed on the console, critical alarm only; back to watch when it returns"
  exit 0
fi

inject "cable-pull on alpha (console stays up)"
t_inj=$(date +%s.%N)
sim alpha cable-pull >/dev/null
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the cable pull"
show_timeline

expect_network_loss_takeover
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
