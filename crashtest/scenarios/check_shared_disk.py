#!/usr/bin/env python3
"""The shared disk's record log is consistent, and nothing the ledgers
acknowledged is lost (cascaded_power_offs.sh, planned_switchover.sh).

nodesim's shared disk image (sim/shared_disk.h): label and lease in the first
4096 bytes, then the record log, one JSON line per write naming the node and
its sequence number. Every record must parse (a torn or interleaved one does
not) and each node's sequence numbers must increase.

With --ledger (repeatable): every `write` a node's ledger acknowledged must be
a record on the disk: a missing one is a lost write. With --clean-stop NODE:
NODE's last `service_stop` names its last write (last_seq), NODE wrote nothing
after it, and it let the disk go (`lease_release` why "shutdown") after that
last write: the service stopped before the unmount, not cut off by it.
Prints one summary line per check; exits non-zero with the first problem.
  check_shared_disk.py IMAGE [--ledger LEDGER]... [--clean-stop NODE]
"""
import argparse
import json
import sys


def read_disk(image):
    data = open(image, "rb").read()[4096:]
    last, seen = {}, set()
    for i, line in enumerate(data.split(b"\n")[:-1]):
        rec = json.loads(line)  # a torn or interleaved record does not parse
        node, seq = rec["node"], rec["seq"]
        if node in last and seq <= last[node]:
            sys.exit(f"record {i}: {node} seq {seq} after {last[node]}")
        last[node] = seq
        seen.add((node, seq))
    per_node = ", ".join(f"{k} up to {v}" for k, v in sorted(last.items()))
    print(f"  shared disk: {len(seen)} records, whole and in order per node ({per_node})")
    return seen, last


def read_ledgers(paths):
    recs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            recs += [json.loads(line) for line in f if line.strip()]
    recs.sort(key=lambda r: r["t_ns"])  # stable: one node's same-time records keep their order
    return recs


def check_lost(recs, seen):
    writes = [(r["node"], r["seq"]) for r in recs if r["ev"] == "write"]
    lost = [w for w in writes if w not in seen]
    if lost:
        sys.exit(f"lost writes: {len(lost)} acknowledged in the ledgers, not on the disk: {lost[:10]}")
    print(f"  lost writes: 0 (all {len(writes)} acknowledged writes are on the disk)")


def check_clean_stop(recs, node, disk_last):
    mine = [r for r in recs if r["node"] == node]
    stops = [i for i, r in enumerate(mine) if r["ev"] == "service_stop"]
    if not stops:
        sys.exit(f"clean stop: {node} has no service_stop: it was never shut down cleanly")
    at = stops[-1]
    last_seq = mine[at]["last_seq"]
    before = [r["seq"] for r in mine[:at] if r["ev"] == "write"]
    if not before or before[-1] != last_seq:
        sys.exit(f"clean stop: {node}'s service_stop says last_seq {last_seq}, its last write was "
                 f"{before[-1] if before else 'none'}")
    after = mine[at + 1:]
    for r in after:
        if r["ev"] == "state" and r.get("to") == "BOOTING":
            break
        if r["ev"] == "write":
            sys.exit(f"clean stop: {node} wrote seq {r['seq']} after its service stopped")
        if r["ev"] == "lease_release":
            if r.get("why") != "shutdown":
                sys.exit(f"clean stop: {node} let the disk go by '{r.get('why')}', not by its shutdown")
            break
    else:
        sys.exit(f"clean stop: {node} never let the disk go after its service stopped")
    if disk_last.get(node) != last_seq:
        sys.exit(f"clean stop: {node}'s last record on the disk is {disk_last.get(node)}, not {last_seq}")
    print(f"  clean stop of {node}: service stopped after write {last_seq} (on the disk), "
          "no write after it, then the unmount")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("image")
    ap.add_argument("--ledger", action="append", default=[])
    ap.add_argument("--clean-stop", action="append", default=[], metavar="NODE")
    a = ap.parse_args()
    seen, last = read_disk(a.image)
    if a.ledger:
        recs = read_ledgers(a.ledger)
        check_lost(recs, seen)
        for node in a.clean_stop:
            check_clean_stop(recs, node, last)


if __name__ == "__main__":
    main()
