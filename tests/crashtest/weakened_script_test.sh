#!/usr/bin/env bash
# crashtest must catch a weakened script: a copy of the stock one whose fence
# state marks the primary fenced half a second after the BREAK, without
# waiting for `ok` or reading auto-boot? back. Against a primary that ignores
# BREAK (scenario break_ignored) that copy boots the standby while the
# primary still runs: crashtest must fail the run, name split-brain from the
# nodesim ledgers as the broken invariant, and exit 1. The stock script
# passes the same scenario (crashtest.smoke and ctest clusterd.* cover it).
#   weakened_script_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
ct=$1/crashtest src=$2
work=$(mktemp -d /tmp/crashtest-weak-XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
weak=$work/weak.chat
awk '{ print } /^state fence \{/ { print "    after 500ms { mark fenced active } -> boot_standby  # WEAKENED: no ok, no read-back" }' \
  "$src/scripts/sparc-obp.chat" >"$weak"
grep -q WEAKENED "$weak" || fail "could not weaken the script (state fence not found)"
mkdir -p "$work/scripts/lib" && cp "$src/scripts/lib/"*.chat "$work/scripts/lib/" && cp "$weak" "$work/scripts/weak.chat"
"$1/chatc" check "$work/scripts/weak.chat" >/dev/null 2>&1 || fail "the weakened script does not pass chatc check (it must look valid)"
set +e
"$ct" --scenario break_ignored --script "$weak" --report "$work/report"
rc=$?
set -e
[[ $rc == 1 ]] || fail "crashtest exited $rc with the weakened script, expected 1"
/usr/bin/python3 "$src/tests/crashtest/weakened_report_check.py" "$work/report/report.json" || fail "report.json (above)"
