#!/usr/bin/env bash
# Scenario kill9_after_boot (crash-test-plan A3, the "boot sent" boundary): a
# panic on alpha; clusterd fences it and journals `boot-sent`; it is killed with
# SIGKILL right then and restarted at once. The restarted clusterd must finish
# the failover from its journal: wait for beta's boot where it was sent and
# take over, never typing a second `boot` (beta's ledger records every typed
# line: exactly one `boot shared`), with one boot-sent record in the journal.
#   scenario_kill9_after_boot.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=scenario_lib.sh
source "$(dirname "$0")/scenario_lib.sh"
scenario_enter "$@"
scenario_setup

say "injecting: panic on alpha; SIGKILL clusterd as soon as the journal says boot-sent"
sim alpha panic >/dev/null
end=$(( $(date +%s) + 20 ))
until grep -q 'boot-sent' "$journal_file" 2>/dev/null; do
  (( $(date +%s) < end )) || fail "no boot-sent in the journal within 20s"
  sleep 0.01
done
stop_clusterd KILL
say "clusterd killed (SIGKILL) after: $(tail -1 "$journal_file")"
expect_node_state beta BOOTING "beta should be booting when clusterd dies"
start_clusterd_nowait() {
  "$bin/clusterd" --cluster demo --home "$home" >>"$work/clusterd.out" 2>&1 &
  cd_pid=$!
}
start_clusterd_nowait
say "clusterd restarted"
wait_for 30 "takeover by beta after the restart" sh -c "'$bin/clusterctl' status demo --home '$home' 2>/dev/null | grep -q '^active *beta'"
say "beta took over"
sleep 1
show_timeline

expect_timeline 'resuming the failover: the boot was already sent to beta' "the restarted clusterd did not resume the failover"
expect_journal_count 1 'boot-sent node=beta' "exactly one boot-sent record"
expect_journal_count 1 'takeover active=beta' "one takeover"
n=$(ledger_count beta '"ev":"command","line":"boot')
[[ $n == 1 ]] || fail "beta's ledger shows $n 'boot' commands typed, not exactly one: $(grep '"ev":"command"' "$(ledger beta)")"
[[ $(ledger_count beta '"ev":"state","from":"OK","to":"BOOTING"') == 1 ]] || fail "beta booted more than once"
expect_node_state alpha OK "alpha must be held at ok"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta RUNNING
clusterd_alive || fail "the restarted clusterd died"
check_ledger
pass "SIGKILL right after boot-sent -> restart resumed the failover: one boot typed, one boot-sent, takeover"
