#!/usr/bin/env bash
# Scenario ip_change: alpha's address is changed under clusterd (nodesim
# ip-change): ping to the configured address stops, the console stays alive.
# Handled exactly like a pulled cable (on_network_loss = takeover): confirmed
# at the login prompt, fenced through the console (BREAK, setenv, read-back),
# one boot of beta, takeover; alpha stays at ok. Ledger clean.
#   ip_change.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
scenario_setup

inject "ip-change on alpha ($CDT_ALPHA_ADDR -> 198.18.201.2/24; console stays up)"
t_inj=$(date +%s.%N)
sim alpha ip-change 198.18.201.2/24 >/dev/null
wait_for 30 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after the address change"
sleep 1
show_timeline

expect_network_loss_takeover
[[ $(ledger_count alpha '"ev":"break","via":"telnet-brk","effect":"halted","in":"RUNNING"') == 1 ]] ||
  fail "alpha's ledger: no BREAK that halted the running node"
expect_node_state alpha OK "alpha must be held at ok"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta RUNNING
[[ $(status_field active) == beta ]] || fail "beta is not active: $(ctl status demo)"
clusterd_alive || fail "clusterd died"
check_ledger
pass "address changed, console alive -> treated as ping loss: confirmed fence, one boot, takeover"
