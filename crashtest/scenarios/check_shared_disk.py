#!/usr/bin/env python3
"""The shared disk's record log is consistent (cascaded_power_offs.sh).

nodesim's shared disk image (sim/shared_disk.h): label and lease in the first
4096 bytes, then the record log, one JSON line per write naming the node and
its sequence number. Every record must parse (a torn or interleaved one does
not) and each node's sequence numbers must increase. Prints one summary line;
exits non-zero with the first problem.
  check_shared_disk.py IMAGE
"""
import json
import sys


def main(image):
    data = open(image, "rb").read()[4096:]
    last, n = {}, 0
    for i, line in enumerate(data.split(b"\n")[:-1]):
        rec = json.loads(line)  # a torn or interleaved record does not parse
        node, seq = rec["node"], rec["seq"]
        if node in last and seq <= last[node]:
            sys.exit(f"record {i}: {node} seq {seq} after {last[node]}")
        last[node] = seq
        n += 1
    per_node = ", ".join(f"{k} up to {v}" for k, v in sorted(last.items()))
    print(f"  shared disk: {n} records, whole and in order per node ({per_node})")


if __name__ == "__main__":
    main(sys.argv[1])
