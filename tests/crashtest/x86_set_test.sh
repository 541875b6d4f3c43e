#!/usr/bin/env bash
# The x86 set (scripts/x86-bmc.chat: two x86 nodesims behind real ipmi_sim
# BMCs, SOL consoles through the real ipmitool) through crashtest itself:
# every run passes and every zero-tolerance figure is zero (overlap 0 ms, no
# write after a fence, no false failover, no spurious halt). Root, ~3 min.
#   x86_set_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
ct=$1/crashtest src=$2
report=$(mktemp -d /tmp/crashtest-x86-XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$report"' EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $report/report.md ]] && sed -n '1,40p' "$report/report.md" >&2; exit 1; }
"$ct" --x86 --report "$report" || fail "crashtest --x86 exited $?"
[[ -s $report/report.md && -s $report/report.json ]] || fail "no report"
/usr/bin/python3 "$src/tests/crashtest/x86_report_check.py" "$report/report.json" || fail "report.json (above)"
grep -q '^| split-brain overlap | 0 ms |' "$report/report.md" || fail "report.md: overlap not 0"
