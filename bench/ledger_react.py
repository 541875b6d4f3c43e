#!/usr/bin/env python3
"""ledger_react.py LEDGER... — reaction intervals from nodesim ledgers.

For every `state` record with "to":"PANIC" (t_ns taken by nodesim just before it writes
the panic text to its console), the first later `break` record of the same node (t_ns
taken when nodesim's telnet server decoded the IAC BRK clusterd sent). Both are
CLOCK_MONOTONIC. Prints one line per panic: `react node=… us=… via=… effect=…`
(`us=none` if no BREAK followed). With --stats: median / p99 / max over all files.
"""
import json
import statistics
import sys


def pairs(path):
    recs = [json.loads(line) for line in open(path) if line.strip()]
    out = []
    for i, r in enumerate(recs):
        if r.get("ev") == "state" and r.get("to") == "PANIC":
            brk = next((b for b in recs[i + 1:] if b.get("ev") == "break" and b["node"] == r["node"]), None)
            out.append((r["node"], (brk["t_ns"] - r["t_ns"]) / 1e3 if brk else None,
                        brk.get("via") if brk else "-", brk.get("effect") if brk else "-"))
    return out


def pct(v, p):
    v = sorted(v)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--stats"]
    allv = []
    for f in args:
        for node, us, via, eff in pairs(f):
            print(f"react file={f} node={node} us={'none' if us is None else f'{us:.1f}'} via={via} effect={eff}")
            if us is not None:
                allv.append(us)
    if "--stats" in sys.argv and allv:
        print(f"STATS n={len(allv)} median_us={statistics.median(allv):.1f} p90_us={pct(allv, 90):.1f} "
              f"p99_us={pct(allv, 99):.1f} min_us={min(allv):.1f} max_us={max(allv):.1f}")
