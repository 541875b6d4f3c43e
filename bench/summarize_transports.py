#!/usr/bin/python3
"""summarize_transports.py RESULTS_DIR: the markdown tables of run_transports.sh.

Reads RESULTS_DIR/raw.txt (one rusage_run.py line per client run),
session.txt (stream sizes) and the clusterd RESULT lines in *.clusterd.run*.out.
Medians over runs; "ratio" = the median of the per-run ratios clusterd / peer
(same run index, same session).
"""
import glob
import os
import re
import statistics
import sys

GOAL_CPU_PCT_PER_CONSOLE = 0.01
GOAL_KB_PER_CONSOLE = 64


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main(res):
    session = open(os.path.join(res, "session.txt")).read()
    size = int(re.search(r" bytes (\d+)", session).group(1))
    pty_size = int(re.search(r"pty_bytes (\d+)", session).group(1))
    runs = {}  # (case, tool) -> {run: fields}
    for line in open(os.path.join(res, "raw.txt")):
        f = fields(line)
        if "FAILED" in line or f.get("exit") != "0":
            print("<!-- failed: %s -->" % line.strip())
            continue
        runs.setdefault((f["case"], f["tool"]), {})[int(f["run"])] = f
    results = {}  # (case, run) -> clusterd RESULT fields
    for path in glob.glob(os.path.join(res, "*.clusterd.run*.out")):
        m = re.match(r"(.+)\.clusterd\.run(\d+)\.out", os.path.basename(path))
        for line in open(path):
            if line.startswith("RESULT"):
                results[(m.group(1), int(m.group(2)))] = fields(line)

    def nbytes(case, tool):
        # A remote pty (clusterd always asks for one; ssh -tt) turns \n into \r\n.
        return pty_size if case == "ssh" and tool != "openssh" else size

    def mb_s(case, tool, r):
        return nbytes(case, tool) / 1e6 / float(r["wall_s"])

    out = []
    out.append("| stream (%d bytes) | client | MB/s | CPU-s (user+sys) | max RSS MB | "
               "clusterd / peer: wall | CPU |" % size)
    out.append("|---|---|---:|---:|---:|---:|---:|")
    pairs = [("tcp", "socat"), ("telnet", "socat"), ("ssh", "openssh-tt"), ("ssh", "openssh")]
    shown = set()
    for case, peer in pairs:
        ours = runs.get((case, "clusterd"), {})
        theirs = runs.get((case, peer), {})
        for tool, rr in ((peer, theirs), ("clusterd", ours)):
            if (case, tool) in shown or not rr:
                continue
            shown.add((case, tool))
            out.append("| %s | %s | %.1f | %.3f | %.1f | | |" % (
                case, tool, med([mb_s(case, tool, r) for r in rr.values()]),
                med([float(r["cpu_s"]) for r in rr.values()]),
                med([int(r["maxrss_kb"]) for r in rr.values()]) / 1024))
        common = sorted(set(ours) & set(theirs))
        if common:
            wall = med([float(ours[i]["wall_s"]) / float(theirs[i]["wall_s"]) for i in common])
            cpu = med([float(ours[i]["cpu_s"]) / float(theirs[i]["cpu_s"]) for i in common])
            out.append("| %s | **clusterd vs %s** (N=%d) | | | | **%.2f** | **%.2f** |" % (
                case, peer, len(common), wall, cpu))
    out.append("")
    out.append("clusterd's own view (RESULT lines, medians): " + "; ".join(
        "%s: %.1f MB/s open-to-last-byte, up after %.1f ms, self CPU %.3f s" % (
            case,
            med([float(v["mb_s"]) for (c, _), v in results.items() if c == case]),
            1000 * med([float(v["up_s"]) for (c, _), v in results.items() if c == case]),
            med([float(v["self_cpu_s"]) for (c, _), v in results.items() if c == case]))
        for case in ("tcp", "telnet", "ssh") if any(c == case for c, _ in results)))
    out.append("")

    out.append("| idle consoles | count × s | CPU %% of a core (all) | per console | goal ≤ %.2f %% | "
               "RSS KiB / console | heap KiB / console | Private_Dirty KiB / console | "
               "marginal RSS / heap KiB | goal ≤ %d KiB | wake-ups/s (nvcsw) | losts |"
               % (GOAL_CPU_PCT_PER_CONSOLE, GOAL_KB_PER_CONSOLE))
    out.append("|---|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|")
    for case in ("idle-telnet", "idle-pty"):
        rr = [v for (c, _), v in sorted(results.items()) if c == case]
        if not rr:
            continue
        g = lambda k: med([float(v[k]) for v in rr])
        per = g("cpu_pct_per_console")
        kb = max(g("rss_per_console_kb"), g("heap_per_console_kb"), g("dirty_per_console_kb"))
        out.append("| %s (N=%d) | %d × %.0f | %.4f | %.6f | %s | %.2f | %.2f | %.2f | %.2f / %.2f | %s | %.2f | %d |" % (
            case, len(rr), int(rr[0]["count"]), g("seconds"), g("cpu_pct"), per,
            "**met**" if per <= GOAL_CPU_PCT_PER_CONSOLE else "**NOT met**",
            g("rss_per_console_kb"), g("heap_per_console_kb"), g("dirty_per_console_kb"),
            g("rss_marginal_kb"), g("heap_marginal_kb"),
            "**met**" if kb <= GOAL_KB_PER_CONSOLE else "**NOT met**",
            g("nvcsw") / g("seconds"), sum(int(v["losts"]) for v in rr)))
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
