#!/usr/bin/env python3
"""split_react.py OFFSET_NS LEDGER CLUSTERD_LOG — split one panic → BREAK interval in three.

OFFSET_NS = CLOCK_REALTIME − CLOCK_MONOTONIC in ns (taken by the harness right after the run;
the log's UTC timestamps are microseconds, so the split is good to a few µs, plus any clock
slew between the run and the offset). Prints:
  split in_us=…  (ledger panic → clusterd logs `state fence`: nodesim write, loopback, clusterd
                  wake-up, read, telnet decode, match)
        act_us=… (`state fence` → `BREAK alpha` logged: clusterd's own action)
        out_us=… (`BREAK alpha` logged → ledger break: write, loopback, nodesim decode)
"""
import datetime
import json
import sys


def log_ns(line):
    ts = line.split()[0].rstrip("Z")
    dt = datetime.datetime.fromisoformat(ts).replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


off = int(sys.argv[1])
recs = [json.loads(x) for x in open(sys.argv[2]) if x.strip()]
panic = next(r["t_ns"] for r in recs if r.get("ev") == "state" and r.get("to") == "PANIC")
brk = next(r["t_ns"] for r in recs if r.get("ev") == "break" and r["t_ns"] >= panic)
fence = brk_log = None
for line in open(sys.argv[3]):
    if fence is None and " state fence <- active solaris_panic" in line:
        fence = log_ns(line) - off
    elif fence is not None and brk_log is None and " BREAK alpha" in line:
        brk_log = log_ns(line) - off
if fence is None or brk_log is None:
    print("split none")
else:
    print(f"split total_us={(brk - panic) / 1e3:.1f} in_us={(fence - panic) / 1e3:.1f} "
          f"act_us={(brk_log - fence) / 1e3:.1f} out_us={(brk - brk_log) / 1e3:.1f}")
