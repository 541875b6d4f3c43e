#!/usr/bin/env python3
"""crashtest --smoke's report.json says what the CI smoke set must show
(smoke_test.sh): every zero-tolerance figure zero, at least 7 runs and all
passed, the figures T_detect, T_fence, T_takeover and T_alarm for
primary_panic, primary_power_off and ping_loss, T_halt_rogue for
rogue_standby_boot. Prints one line; exits non-zero with the first problem.
  smoke_report_check.py REPORT_JSON
"""
import json
import sys


def main(path):
    r = json.load(open(path))
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


if __name__ == "__main__":
    main(sys.argv[1])
