#!/usr/bin/env python3
"""proc_sample.py — CPU and memory of a set of processes, from /proc only.

  proc_sample.py snap PIDFILE            one JSON line: per pid utime+stime (ticks), schedstat
                                          on-CPU ns, nvcsw; plus /proc/stat totals and loadavg
  proc_sample.py cpu SNAP_A SNAP_B        CPU between two snaps, % of one core: sum and per pid
  proc_sample.py mem PIDFILE              VmRSS, VmHWM (status) and Pss (smaps_rollup) per pid, kB

PIDFILE: one pid per line (a label after a space is kept). Processes gone by the
second snap are left out of the per-pid figures and counted as `gone`.
"""
import json
import os
import statistics
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def pids_of(path):
    out = []
    for line in open(path):
        parts = line.split()
        if parts:
            out.append((int(parts[0]), parts[1] if len(parts) > 1 else ""))
    return out


def snap(path):
    procs = {}
    for pid, label in pids_of(path):
        try:
            stat = open(f"/proc/{pid}/stat").read()
            fields = stat[stat.rindex(")") + 2:].split()
            ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
            sched_ns = int(open(f"/proc/{pid}/schedstat").read().split()[0])
            nvcsw = 0
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("voluntary_ctxt_switches:"):
                    nvcsw = int(line.split()[1])
            procs[str(pid)] = {"label": label, "ticks": ticks, "sched_ns": sched_ns, "nvcsw": nvcsw}
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
    cpu = open("/proc/stat").readline().split()[1:]
    return {"t": time.monotonic(), "procs": procs, "sys_ticks": [int(x) for x in cpu],
            "loadavg": open("/proc/loadavg").read().split()[:3]}


def cpu(a, b):
    a, b = json.load(open(a)), json.load(open(b))
    dt = b["t"] - a["t"]
    per = []
    gone = 0
    for pid, pa in a["procs"].items():
        pb = b["procs"].get(pid)
        if pb is None:
            gone += 1
            continue
        per.append({"pid": pid, "label": pa["label"],
                    "pct_ticks": 100.0 * (pb["ticks"] - pa["ticks"]) / TICK / dt,
                    "pct_sched": 100.0 * (pb["sched_ns"] - pa["sched_ns"]) / 1e9 / dt,
                    "nvcsw_s": (pb["nvcsw"] - pa["nvcsw"]) / dt})
    sa, sb = a["sys_ticks"], b["sys_ticks"]
    busy = lambda s: sum(s) - s[3] - s[4]  # minus idle, iowait
    host_pct = 100.0 * (busy(sb) - busy(sa)) / TICK / dt  # % of ONE core (2 cores = 200 %)
    sched = [p["pct_sched"] for p in per]
    ticks = [p["pct_ticks"] for p in per]
    res = {"seconds": round(dt, 2), "n": len(per), "gone": gone,
           "sum_pct_sched": round(sum(sched), 4), "sum_pct_ticks": round(sum(ticks), 4),
           "median_pct_sched": round(statistics.median(sched), 5) if sched else None,
           "max_pct_sched": round(max(sched), 5) if sched else None,
           "median_nvcsw_s": round(statistics.median([p["nvcsw_s"] for p in per]), 2) if per else None,
           "host_busy_pct_of_one_core": round(host_pct, 1),
           "loadavg_start": a["loadavg"], "loadavg_end": b["loadavg"]}
    print(json.dumps(res))


def mem(path):
    rows = []
    for pid, label in pids_of(path):
        try:
            st = {}
            for line in open(f"/proc/{pid}/status"):
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                    st[k] = int(v.split()[0])
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Pss:"):
                    st["Pss"] = int(line.split()[1])
                if line.startswith("Private_Dirty:"):
                    st["Private_Dirty"] = int(line.split()[1])
            st["pid"] = pid
            rows.append(st)
        except (FileNotFoundError, ProcessLookupError):
            pass
    res = {"n": len(rows)}
    for k in ("VmRSS", "VmHWM", "Pss", "RssAnon", "Private_Dirty"):
        v = [r[k] for r in rows if k in r]
        if v:
            res[k + "_kb_median"] = statistics.median(v)
            res[k + "_kb_max"] = max(v)
            res[k + "_kb_sum"] = sum(v)
    print(json.dumps(res))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "snap":
        print(json.dumps(snap(sys.argv[2])))
    elif cmd == "cpu":
        cpu(sys.argv[2], sys.argv[3])
    elif cmd == "mem":
        mem(sys.argv[2])
    else:
        sys.exit(__doc__)
