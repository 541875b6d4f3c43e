#!/usr/bin/env python3
"""crashtest --x86's report.json says what the x86 set must show
(x86_set_test.sh): every zero-tolerance figure zero, all 12 runs passed, and
the failovers fenced by power with their figures (T_fence, T_takeover for
x86_power_off, x86_panic and x86_cable_pull). Prints one line; exits non-zero
with the first problem.
  x86_report_check.py REPORT_JSON
"""
import json
import sys


def main(path):
    with open(path) as f:
        r = json.load(f)
    bad = {k: v for k, v in r["zero_tolerance"].items() if v != 0}
    if bad:
        sys.exit(f"zero-tolerance figures not zero: {bad}")
    if r["runs"] < 12 or r["passed"] != r["runs"]:
        sys.exit(f"{r['passed']} of {r['runs']} runs passed")
    figs = {s["id"]: s["figures"] for s in r["scenarios"]}
    for sid in ("x86_power_off", "x86_panic", "x86_cable_pull"):
        for fig in ("T_detect", "T_fence", "T_takeover"):
            if fig not in figs.get(sid, {}):
                sys.exit(f"{sid}: no {fig}")
    print(f"x86: {r['passed']}/{r['runs']} passed, zero-tolerance all zero; "
          f"x86_panic T_takeover p50 {figs['x86_panic']['T_takeover']['p50']:.2f}s")


if __name__ == "__main__":
    main(sys.argv[1])
