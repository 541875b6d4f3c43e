#!/usr/bin/env bash
# Scenario cascaded_switchover: two failovers in a row, roles swap twice.
#   1. panic on alpha -> BREAK (telnet IAC BRK) -> fence read back -> beta
#      booted once -> beta active; alpha stays at ok, auto-boot? false: it is
#      the new standby with nothing to do.
#   2. panic on beta -> BREAK on its console (behind ser2net: the in-band
#      alternate break, which a panic dump does not hear) -> unanswered, and
#      not presumed off (the console prints the dump) -> fence_unconfirmed,
#      critical alarm -> beta reaches ok by itself after the dump -> locked
#      (auto-boot? false read back) -> alpha booted once -> alpha active.
# Asserts: exactly one boot per failover (journal and ledgers), two takeovers,
# failovers = 2, the last fenced node held at ok; ledger clean.
#   cascaded_switchover.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
scenario_enter "$@"
# A shorter panic dump (still longer than break_timeout, 5 s): beta reaches ok
# by itself sooner after the BREAK it did not hear.
NODE_OPTS="${NODE_OPTS:-} --t-panic 12s"
scenario_setup

inject "failover 1: panic on alpha"
t_inj=$(date +%s.%N)
sim alpha panic >/dev/null
wait_for 25 "takeover by beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta'"
say "beta took over $(since "$t_inj")s after alpha's panic"
expect_journal_count 1 'boot-sent .*node=beta' "failover 1: exactly one boot of beta"
expect_node_state alpha OK "alpha (the new standby) must be at ok"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
wait_for 10 "ping up on beta" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *beta.*ping up'"
[[ $(status_field state) == watch ]] || fail "clusterd is not back in watch: $(ctl status demo)"
sleep 1

inject "failover 2: panic on beta"
t_inj=$(date +%s.%N)
sim beta panic >/dev/null
wait_for 60 "takeover by alpha" sh -c "'$bin/clusterctl' status demo --home '$home' | grep -q '^active *alpha'"
say "alpha took over again $(since "$t_inj")s after beta's panic"
sleep 1
show_timeline

expect_journal_count 2 'takeover' "two takeovers"
expect_journal_count 1 'takeover active=beta' "takeover to beta"
expect_journal_count 1 'takeover active=alpha' "takeover back to alpha"
expect_journal_count 1 'fence-confirmed .*node=alpha' "alpha fenced once"
expect_journal_count 1 'fence-confirmed .*node=beta' "beta fenced once"
expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot of beta"
expect_journal_count 1 'boot-sent .*node=alpha' "exactly one boot of alpha"
[[ $(ledger_count beta '"ev":"command","line":"boot shared"') == 1 ]] || fail "beta's ledger: not exactly one 'boot shared'"
[[ $(ledger_count alpha '"ev":"command","line":"boot shared"') == 1 ]] || fail "alpha's ledger: not exactly one 'boot shared'"
[[ $(status_field failovers) == 2 ]] || fail "failovers should be 2: $(ctl status demo)"
expect_node_state alpha RUNNING
expect_node_state beta OK "beta (fenced) must be held at ok"
[[ $(node_field beta auto-boot?) == false ]] || fail "beta's auto-boot? is not false: $(sim beta status)"
clusterd_alive || fail "clusterd died"
check_ledger
pass "panic alpha -> beta, panic beta -> alpha: roles swapped twice, one boot per failover"
