#!/usr/bin/env bash
# Scenario random_ping_loss (crash-test-plan: flapping and random ping loss):
# the active node's network drops a random 40 % of echo requests (nodesim
# icmp-loss, nft numgen) for 20 s while it runs healthy. A failure needs 3
# misses in a row (ping misses = 3); at 40 % loss that happens now and then
# (p = 0.064 per probe), so clusterd goes to `confirm`, where alpha answers at
# its login prompt: a network loss, not a node failure. The stock script holds
# (network_loss_hold, 2 s here) for ping to come back before acting on it;
# under the default on_network_loss = takeover, a flap must end there.
# Asserts: no BREAK, no fence, no boot, no takeover; alpha still RUNNING; the
# flaps were held and went back to watch; ledger clean.
#   random_ping_loss.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"

scenario_setup
alpha_mark=$(ledger_mark alpha)

inject "40 % random ICMP loss on alpha for 20 s"
sim alpha icmp-loss 40 >/dev/null
sleep 20
sim alpha icmp-loss 0 >/dev/null
say "loss off"
wait_for 20 "back in watch with ping up" \
  sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^state *watch' && '$bin/clusterctl' status demo --home '$home' | grep -q 'ping up'"
show_timeline 'state |BREAK|alarm|ping alpha'
downs=$(timeline_count 'ping alpha down')
say "ping verdicts 'down' during the loss: $downs, held: $(timeline_count 'state network_loss_hold')"
timeline_has 'BREAK alpha' && fail "a BREAK was sent to alpha on a flapping network"
[[ $(journal_count 'fence-confirmed|boot-sent|takeover') == 0 ]] || fail "the journal shows a failover step"
[[ $(ledger_count alpha '"ev":"(break|state)"' "$alpha_mark") == 0 ]] || fail "alpha's ledger changed: $(ledger_since alpha "$alpha_mark" | head -3)"
expect_node_state alpha RUNNING
expect_node_state beta OK
clusterd_alive || fail "clusterd died"
check_ledger
pass "20 s of 40 % random ping loss ($downs down verdicts): no BREAK, no failover"
