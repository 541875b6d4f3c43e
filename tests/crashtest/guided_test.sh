#!/usr/bin/env bash
# crashtest --guided against a running clusterd, with this script as the
# operator: it reads crashtest's instructions and makes the fault on the
# simulated cluster (crashtest/scenarios/lib.sh) before pressing Enter.
#   1. cable_pull with a 5 s step timeout, and the "operator" does nothing:
#      the step fails, naming the missing timeline line; exit 1.
#   2. primary_power_off: power-off alpha, Enter; crashtest sees the fence and
#      the takeover; power-on alpha, Enter; it sees alpha stopped with a
#      BREAK. Exit 0, the sign-off sheet says 1 of 1 passed with figures.
# Root (namespaces), ~35 s.
#   guided_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=../../crashtest/scenarios/lib.sh
source "$(cd "$(dirname "$0")/../../crashtest/scenarios" && pwd)/lib.sh"
scenario_enter "$@"
CONFIG_EXTRA=$'[timeouts]\nconfirm_window = "4s"'
scenario_setup

guided() {  # OUT REPORT ARGS...: crashtest --guided in the background, stdin from a fifo
  local out=$1 report=$2; shift 2
  rm -f "$work/in"; mkfifo "$work/in"
  "$bin/crashtest" --guided --cluster demo --home "$home" --report "$report" "$@" <"$work/in" >"$out" 2>&1 &
  g_pid=$!
  exec 3>"$work/in"
}
enter() { echo >&3; }

say "guided 1: cable_pull, the operator does nothing (5 s step timeout)"
guided "$work/g1.out" "$work/r1" --scenario cable_pull --step-timeout 5s
wait_for 10 "the cable instruction" grep -q "Unplug every network cable of the ACTIVE node alpha" "$work/g1.out"
enter
set +e; wait "$g_pid"; rc=$?; set -e
exec 3>&-
sed 's/^/    | /' "$work/g1.out"
[[ $rc == 1 ]] || fail "an undone fault should fail the step: exit $rc"
grep -q 'First broken: no "ping alpha down" in clusterd.s timeline within 5s' "$work/r1/signoff.md" ||
  fail "the sign-off sheet does not name the missing line: $(grep -i broken "$work/r1/signoff.md")"

say "guided 2: primary_power_off, made by the operator"
guided "$work/g2.out" "$work/r2" --scenario primary_power_off --step-timeout 60s
wait_for 10 "the power-off instruction" grep -q "Power off the ACTIVE node alpha" "$work/g2.out"
inject "operator: power-off alpha"
sim alpha power-off >/dev/null
enter
wait_for 60 "the heal instruction" grep -q "Power alpha on again" "$work/g2.out"
sim alpha power-on >/dev/null
enter
set +e; wait "$g_pid"; rc=$?; set -e
exec 3>&-
sed 's/^/    | /' "$work/g2.out"
[[ $rc == 0 ]] || fail "crashtest --guided exited $rc"
grep -q '\*\*1 of 1 steps passed.\*\*' "$work/r2/signoff.md" || fail "sign-off sheet: not 1 of 1 passed"
grep -qE '^\| primary_power_off \| seed: primary power-off \| alpha active, beta standby \| pass \| [0-9.]+ s \| [0-9.]+ s \| [0-9.]+ s \|' \
  "$work/r2/signoff.md" || fail "sign-off sheet: no figures for the step: $(grep primary_power_off "$work/r2/signoff.md")"
grep -q '^Tested by: ' "$work/r2/signoff.md" || fail "no sign-off lines"
expect_node_state alpha OK "alpha must be held at ok after its power-on"
check_ledger
pass "guided mode: an undone fault fails its step; a power-off made by the operator is judged from clusterd's timeline"
