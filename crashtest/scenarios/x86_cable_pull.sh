#!/usr/bin/env bash
# Scenario x86_cable_pull (scripts/x86-bmc.chat): alpha's network cable is
# pulled; its SOL console (through the BMC's own network) still answers the
# CR with its login prompt: a network-only loss. Under on_network_loss =
# takeover (the default) the hold-off passes with ping still down, a critical
# alarm, alpha powered off and read back off, beta powered on, takeover.
#   x86_cable_pull.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
scenario_enter "$@"
x86_setup
inject "cable pull on alpha (SOL alive, ping down)"
sim alpha cable-pull >/dev/null
wait_for 45 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
show_timeline 'state |fenced|takeover|alarm|power'
expect_timeline 'state network_loss_hold <- active linux_login' "no console confirmation (alpha at its login prompt)"
expect_timeline 'alarm critical "fencing alpha: ping lost, console alive' "no critical alarm naming the network-only loss"
expect_journal_count 1 'fence-confirmed .*node=alpha' "alpha fenced"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one power-on of beta"
expect_journal_count 1 'takeover active=beta' "takeover"
expect_timeline 'fenced alpha \(by power: power_status read it back off\)' "no fence by power read back off"
expect_node_state beta RUNNING
expect_node_state alpha OFF
[[ $(ledger_count alpha '"ev":"break"') == 0 ]] || fail "a BREAK reached alpha: $(grep '"ev":"break"' "$(ledger alpha)")"
clusterd_alive || fail "clusterd died"
check_ledger
pass "cable pull, SOL alive -> hold-off, fenced by power (read back off), beta powered on, takeover"
