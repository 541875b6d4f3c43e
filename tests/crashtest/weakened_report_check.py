#!/usr/bin/env python3
"""crashtest's report.json for the weakened script (weakened_script_test.sh):
its one run failed, and the zero-tolerance figures record the split-brain
(an overlap or a write after the fence). Prints what the run broke first;
exits non-zero with the problem.
  weakened_report_check.py REPORT_JSON
"""
import json
import sys


def main(path):
    r = json.load(open(path))
    run = r["scenarios"][0]["runs"][0]
    if run["passed"]:
        sys.exit("the weakened script's run passed")
    if r["zero_tolerance"]["overlap_ms"] <= 0 and r["zero_tolerance"]["writes_after_fence"] <= 0:
        sys.exit(f"no split-brain or write after the fence recorded: {r['zero_tolerance']}")
    print(f"caught: {run['first_broken']} (overlap {r['zero_tolerance']['overlap_ms']} ms)")


if __name__ == "__main__":
    main(sys.argv[1])
