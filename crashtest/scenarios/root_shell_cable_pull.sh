#!/usr/bin/env bash
# Scenario root_shell_cable_pull (issue 12): alpha's console was left at a
# root shell ("Last login: …", then "# ": sim/console_text.h), and its
# network cable is pulled. The stock script used to know only "console
# login:" as life: it took the shell for a silent console, fenced with the
# false reason "console silent", and under on_network_loss = alarm fenced a
# live node anyway. Any answer to the CR is life: the network-loss path
# (hold-off, then the fence through the console, confirmed), no "console
# silent"; with NETWORK_LOSS=alarm, the alarm only.
#   [NETWORK_LOSS=alarm] root_shell_cable_pull.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
if [[ ${NETWORK_LOSS:-takeover} == alarm ]]; then
  CONFIG_EXTRA=$'[policy]\non_network_loss = "alarm"'
fi
scenario_setup

say "root logs in at alpha's console and leaves it at the shell"
sim alpha session root >/dev/null
wait_for 10 "the root shell noticed" timeline_has 'state console_in_use <- active shell_prompt'
inject "cable-pull on alpha (console at a root shell)"
sim alpha cable-pull >/dev/null
if [[ ${NETWORK_LOSS:-takeover} == alarm ]]; then
  wait_for 40 "the network-loss alarm" timeline_has 'alarm critical "ping lost, console alive .*on_network_loss = alarm'
  sleep 2
  show_timeline
  expect_timeline 'state network_loss_hold <- active shell_prompt' "the shell prompt was not taken as life"
  timeline_has 'BREAK alpha' && fail "a BREAK was sent to a live alpha under on_network_loss = alarm"
  timeline_has 'console silent' && fail "an alarm called alpha's answering console silent"
  [[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
  expect_node_state alpha RUNNING "alpha must keep running"
  sim alpha cable-plug >/dev/null
  clusterd_alive || fail "clusterd died"
  check_ledger
  pass "on_network_loss = alarm: the root shell answered, alarm only, no fence"
  exit 0
fi
wait_for 40 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
show_timeline
expect_timeline 'state network_loss_hold <- active shell_prompt' "the shell prompt was not taken as life"
expect_timeline 'alarm critical "fencing alpha: ping lost, console alive \(alpha answers at a shell prompt' "the fence alarm does not say the shell answered"
timeline_has 'console silent' && fail "an alarm called alpha's answering console silent"
timeline_has 'presumed' && fail "a live alpha was presumed off"
expect_journal_count 1 'fence-confirmed how=confirmed node=alpha' "alpha fenced through its console (confirmed)"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot"
sim alpha cable-plug >/dev/null
sleep 2
expect_node_state alpha OK "alpha must stay at ok after the heal"
check_ledger
pass "cable pulled with the console at a root shell: the shell is life; fenced through the console, confirmed, one boot, takeover"
