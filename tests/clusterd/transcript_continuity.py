#!/usr/bin/env python3
"""No console byte lost or doubled across log rotations (logrotate_test.sh).

Decodes the '<' records (bytes from the node, escaped as base/escape.cc
writes them) of the transcript files in the order given, oldest first, .gz
ones through gzip, and joins them into one stream. The node's chatter numbers
its heartbeat lines: at least 200 must be decoded and they must run without a
gap or a repeat. Prints one summary line; exits non-zero with the problem.
  transcript_continuity.py LOGS_DIR FILE...
"""
import gzip
import re
import sys

SIMPLE = {"\\": 0x5c, "r": 0x0d, "n": 0x0a, "t": 0x09, "e": 0x1b, "0": 0x00, '"': 0x22}


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out.append(ord(c))
            i += 1
            continue
        k = s[i + 1]
        if k == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(SIMPLE[k])
            i += 2
    return bytes(out)


def main(logs, files):
    stream = bytearray()
    for f in files:
        path = f"{logs}/{f}"
        text = (gzip.open(path, "rt") if f.endswith(".gz") else open(path)).read()
        for line in text.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] == "<":
                stream += unescape(parts[2])
    seq = [int(m) for m in re.findall(rb"heartbeat (\d+)\r\n", stream)]
    if len(seq) < 200:
        sys.exit(f"only {len(seq)} heartbeats decoded")
    gaps = [(a, b) for a, b in zip(seq, seq[1:]) if b != a + 1]
    if gaps:
        sys.exit(f"heartbeats not consecutive across the rotations: {gaps[:5]} (of {len(seq)})")
    print(f"    {len(seq)} heartbeats, {seq[0]}..{seq[-1]}, consecutive across {len(files)} files")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
