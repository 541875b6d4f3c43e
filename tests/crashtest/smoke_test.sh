#!/usr/bin/env bash
# The CI smoke set through crashtest itself: every run passes, the report
# (Markdown and JSON) is written, every zero-tolerance figure is zero, and the
# failover scenarios have their figures.
#   smoke_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
ct=$1/crashtest
report=$(mktemp -d /tmp/crashtest-smoke-XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$report"' EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $report/report.md ]] && sed -n '1,40p' "$report/report.md" >&2; exit 1; }
"$ct" --smoke --report "$report" || fail "crashtest --smoke exited $?"
[[ -s $report/report.md && -s $report/report.json ]] || fail "no report"
/usr/bin/python3 - "$report/report.json" <<'PY' || fail "report.json (above)"
import json, sys
r = json.load(open(sys.argv[1]))
z = r["zero_tolerance"]
bad = {k: v for k, v in z.items() if v != 0}
if bad:
    sys.exit(f"zero-tolerance figures not zero: {bad}")
if r["runs"] < 7 or r["passed"] != r["runs"]:
    sys.exit(f"{r['passed']} of {r['runs']} runs passed")
figs = {s["id"]: s["figures"] for s in r["scenarios"]}
for sid in ("primary_panic", "primary_power_off", "ping_loss"):
    for f in ("T_detect", "T_fence", "T_takeover", "T_alarm"):
        if f not in figs.get(sid, {}):
            sys.exit(f"{sid}: no {f}")
if "T_halt_rogue" not in figs.get("rogue_standby_boot", {}):
    sys.exit("rogue_standby_boot: no T_halt_rogue")
print(f"smoke: {r['passed']}/{r['runs']} passed, zero-tolerance all zero; "
      f"primary_panic T_takeover p50 {figs['primary_panic']['T_takeover']['p50']:.2f}s")
PY
grep -q '^| split-brain overlap | 0 ms |' "$report/report.md" || fail "report.md: overlap not 0"
