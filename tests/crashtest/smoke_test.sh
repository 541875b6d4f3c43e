#!/usr/bin/env bash
# The CI smoke set through crashtest itself: every run passes, the report
# (Markdown and JSON) is written, every zero-tolerance figure is zero, and the
# failover scenarios have their figures.
#   smoke_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
ct=$1/crashtest src=$2
report=$(mktemp -d /tmp/crashtest-smoke-XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$report"' EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $report/report.md ]] && sed -n '1,40p' "$report/report.md" >&2; exit 1; }
"$ct" --smoke --report "$report" || fail "crashtest --smoke exited $?"
[[ -s $report/report.md && -s $report/report.json ]] || fail "no report"
/usr/bin/python3 "$src/tests/crashtest/smoke_report_check.py" "$report/report.json" || fail "report.json (above)"
grep -q '^| split-brain overlap | 0 ms |' "$report/report.md" || fail "report.md: overlap not 0"
