#!/usr/bin/env python3
"""Polls /proc for a leaked secret (secrets_canary.sh).

Every 50 ms until STOP_FILE exists: /proc/PID/cmdline and /proc/PID/environ
of ROOT_PID and of all its descendants (found by walking the ppids), searched
for each line of PATTERNS (canary_patterns.py; their names in PATTERNS.names).
Then writes OUT: "seen PID ARGV" for each process seen, "HIT ..." once per
process, file and form found, and a "summary" line.
  proc_scan.py ROOT_PID PATTERNS STOP_FILE OUT
"""
import os, sys, time
root, pats, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
names = open(pats + ".names").read().split("\n")
pats = [p for p in open(pats, "rb").read().split(b"\n") if p]
seen, argvs, hits, reads, rounds = {}, {}, [], 0, 0
def ppids():
    m = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open("/proc/%s/stat" % d, "rb").read()
                m[int(d)] = int(st[st.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return m
while not os.path.exists(stop):
    rounds += 1
    m = ppids()
    tree, grew = {root}, True
    while grew:
        more = {p for p, pp in m.items() if pp in tree} - tree
        grew = bool(more)
        tree |= more
    for pid in sorted(tree):
        for what in ("cmdline", "environ"):
            try:
                data = open("/proc/%d/%s" % (pid, what), "rb").read()
            except OSError:
                continue
            reads += 1
            if what == "cmdline" and data:  # a spawned child is clusterd until its exec
                seen[pid] = data.replace(b"\0", b" ").decode("utf-8", "replace").strip()
                argvs.setdefault((pid, seen[pid]), None)
            for i, p in enumerate(pats):
                if p in data:
                    hits.append("HIT /proc/%d/%s (%s): %s" % (pid, what, seen.get(pid, "?"), names[i]))
    time.sleep(0.05)
with open(out, "w") as f:
    for pid, argv in sorted(argvs):
        f.write("seen %d %s\n" % (pid, argv))
    hits = list(dict.fromkeys(hits))  # once per process, file and form
    for h in hits:
        f.write(h + "\n")
    f.write("summary processes=%d reads=%d rounds=%d hits=%d\n" % (len({p for p, _ in argvs}), reads, rounds, len(hits)))
