#!/usr/bin/env bash
# Scenario x86_kill9 (scripts/x86-bmc.chat, crash-test-plan A3): a panic on
# alpha; clusterd gets SIGKILL right after it has synced the journal record
# STEP (fence-confirmed, boot-sent or takeover; crashtest's kill switch, lib.sh
# KILL_AFTER_RECORD) and is restarted at once. Whatever the step: beta powered
# on and active, one takeover, alpha off, ledger clean.
#  - fence-confirmed: the restarted clusterd finds alpha silent, fences it by
#    power again (already off: read back off at once), powers beta on;
#  - boot-sent: the power-on was journaled but never ran; the restarted
#    clusterd resumes in `boot`, reads beta's power (off) and runs the
#    power-on once (no second record); the script's power_wait is a backstop;
#  - takeover: nothing is sent again.
#   KILL9_STEP=STEP x86_kill9.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=x86_lib.sh
source "$(dirname "$0")/x86_lib.sh"
step=${KILL9_STEP:?usage: KILL9_STEP=fence-confirmed|boot-sent|takeover x86_kill9.sh BIN_DIR SOURCE_DIR}
case $step in
  fence-confirmed | boot-sent | takeover) ;;
  *) echo "x86_kill9: KILL9_STEP must be fence-confirmed, boot-sent or takeover, not '$step'" >&2; exit 2 ;;
esac
scenario_enter "$@"
KILL_AFTER_RECORD=$step
x86_setup
inject "panic on alpha; clusterd gets SIGKILL once it has journaled '$step'"
sim alpha panic >/dev/null
wait "$cd_pid" 2>/dev/null && fail "clusterd exited by itself instead of dying at '$step'"
cd_pid=""
grep -q "crash test: SIGKILL after journaling '$step'" "$work/clusterd.out" ||
  fail "the kill switch did not say it stopped clusterd at '$step'"
say "clusterd died (SIGKILL) right after: $(tail -1 "$journal_file")"
unset KILL_AFTER_RECORD
"$bin/clusterd" --cluster demo --home "$home" >>"$work/clusterd.out" 2>&1 &
cd_pid=$!
say "clusterd restarted"
wait_for 60 "beta active with ping up after the restart" \
  sh -c "'$bin/clusterctl' status demo --home '$home' 2>/dev/null | grep -q '^active *beta.*ping up'"
show_timeline 'state |fenced|takeover|alarm|power|resum'
if [[ $step == boot-sent ]]; then
  expect_timeline 'resuming the failover: the boot was already sent to beta in state boot' "the restarted clusterd did not resume the failover"
  # The runtime reads beta's power: off, so the journaled power-on never ran
  # and it runs it now (once); the script's own power_wait is the backstop.
  expect_timeline 'power_status beta reads off: the journaled boot never ran; powering it on' "the never-run power-on was not run after the restart"
  expect_journal_count 1 'boot-sent .*node=beta' "exactly one power-on record"
  [[ $(timeline_count 'power_on beta exited 0') == 1 ]] || fail "beta's power_on ran $(timeline_count 'power_on beta exited 0') times, not once"
else
  expect_journal_count 1 'boot-sent .*node=beta' "exactly one power-on record"
fi
expect_journal_count 1 'takeover active=beta' "exactly one takeover"
[[ $(ledger_count beta '"ev":"lease_acquire"') == 1 ]] || fail "beta took the disk more than once"
expect_node_state beta RUNNING
expect_node_state alpha OFF
[[ $(ledger_count alpha '"ev":"break"') == 0 ]] || fail "a BREAK reached alpha"
clusterd_alive || fail "the restarted clusterd died"
check_ledger
pass "SIGKILL right after '$step' -> restarted: beta powered on and active, one takeover, alpha off"
