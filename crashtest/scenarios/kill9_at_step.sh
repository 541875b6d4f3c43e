#!/usr/bin/env bash
# Scenario kill9_at_step (crash-test-plan A3, "kill -9 mid-failover at every
# step"): a panic on alpha; clusterd gets SIGKILL right after it has synced
# the journal record STEP (fence-confirmed, boot-sent or takeover), from
# crashtest's kill switch preloaded into it (crashtest/kill_switch.cc, lib.sh
# KILL_AFTER_RECORD), so the crash lands exactly on that boundary, not
# somewhere near it. It is restarted at once, and whatever the step, the
# failover ends the same way:
#   - at boot-sent the boot never reached beta (the record is synced before
#     the write): beta, found at ok, is booted at once, not after boot_timeout,
#     and that boot is journaled as attempt 2 (boot_again) before it goes out;
#   - beta active, exactly one `boot shared` typed on beta (its ledger), one
#     boot-sent record in the journal (two at boot-sent: the attempt that never
#     went out, then the one that did), one takeover;
#   - alpha held at ok with auto-boot? false; nothing typed on alpha after the
#     restart but the fence's own words (CR, setenv, printenv);
#   - the ledger clean (no overlap, no write after the fence).
#   KILL9_STEP=STEP kill9_at_step.sh BIN_DIR SOURCE_DIR
set -euo pipefail
step=${KILL9_STEP:?usage: KILL9_STEP=fence-confirmed|boot-sent|takeover kill9_at_step.sh BIN_DIR SOURCE_DIR}
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
case $step in
  fence-confirmed | boot-sent | takeover) ;;
  *) echo "kill9_at_step: KILL9_STEP must be fence-confirmed, boot-sent or takeover, not '$step'" >&2; exit 2 ;;
esac
scenario_enter "$@"
KILL_AFTER_RECORD=$step
scenario_setup

inject "panic on alpha; clusterd gets SIGKILL once it has journaled '$step'"
sim alpha panic >/dev/null
wait "$cd_pid" 2>/dev/null && fail "clusterd exited by itself instead of dying at '$step'"
cd_pid=""
grep -q "crash test: SIGKILL after journaling '$step'" "$work/clusterd.out" ||
  fail "the kill switch did not say it stopped clusterd at '$step'"
last=$(tail -1 "$journal_file")
[[ $last == *" $step "* || $last == *" $step" ]] || fail "the journal's last record is not '$step': $last"
say "clusterd died (SIGKILL) right after: $last"
unset KILL_AFTER_RECORD
alpha_mark=$(ledger_mark alpha)
"$bin/clusterd" --cluster demo --home "$home" >>"$work/clusterd.out" 2>&1 &
cd_pid=$!
say "clusterd restarted"
wait_for 40 "beta active with ping up after the restart" \
  sh -c "'$bin/clusterctl' status demo --home '$home' 2>/dev/null | grep -q '^active *beta.*ping up'"
sleep 1
show_timeline

if [[ $step == boot-sent ]]; then
  expect_timeline 'resuming the failover: the boot was already sent to beta' "the restarted clusterd did not resume the failover"
  # The crash came between the journal record and the write: beta never got
  # the boot, answers the restarted clusterd's CR at ok, and is booted then,
  # not after boot_timeout.
  expect_timeline 'state boot_retry <- standby obp_prompt' "beta at ok after the restart was not booted at once"
  expect_journal_count 1 'boot-sent attempt=1 node=beta state=boot_standby' "the first boot, journaled before the kill"
  expect_journal_count 1 'boot-sent attempt=2 node=beta state=boot_again' "the retry after the restart, journaled"
  expect_journal_count 2 'boot-sent .*node=beta' "exactly two boot-sent records (one that never went out)"
else
  expect_journal_count 1 'boot-sent .*node=beta' "exactly one boot-sent record"
fi
expect_journal_count 1 'takeover active=beta' "exactly one takeover"
n=$(ledger_count beta '"ev":"command","line":"boot')
[[ $n == 1 ]] || fail "beta's ledger shows $n 'boot' commands typed, not exactly one: $(grep '"ev":"command"' "$(ledger beta)")"
[[ $(ledger_count beta '"ev":"state","from":"OK","to":"BOOTING"') == 1 ]] || fail "beta booted more than once"
typed=$(ledger_since alpha "$alpha_mark" | grep '"ev":"command"' | grep -vE '"line":"(|setenv auto-boot\? false|printenv auto-boot\?)"' || true)
[[ -z $typed ]] || fail "after the restart alpha got more than the fence's words: $typed"
expect_node_state alpha OK "alpha must be held at ok"
[[ $(node_field alpha auto-boot?) == false ]] || fail "alpha's auto-boot? is not false: $(sim alpha status)"
expect_node_state beta RUNNING
[[ $(status_field state) == watch ]] || fail "clusterd is not back in watch: $(ctl status demo)"
clusterd_alive || fail "the restarted clusterd died"
check_ledger
pass "SIGKILL right after '$step' -> restarted: one boot typed, each attempt journaled, one takeover, alpha held at ok"
