#!/usr/bin/env python3
"""Replays the real-console corpus (tests/chat/real/*.case) through a chat script.

    real_corpus.py CHATC SCRIPT DIR [NAME...]

Each NAME.case holds console text as real machines print it (see the header of
any case: where it was taken from and what was changed), an event list, and
expectations about the script's decisions:

    # NAME: one line saying what it is
    # source: https://...          (one or more; every case needs one)
    # taken: what is verbatim and what was changed
    # expect: ERE                  (grep -E over the timeline: some line must match)
    # expect-count: N ERE          (at least N timeline lines must match)
    # reject: ERE                  (no timeline line may match)
    # param: NAME=VALUE            (passed to chatc replay as --param NAME=VALUE)
    --- events
    +20s ping.down
    --- active
    +0.000 < \\r\\nalpha console login: 
    --- standby
    +0.000 < {0} ok 

The sections hold exactly what the golden *.events and *.console files hold
(docs/formats.md); the active node is alpha, the standby beta. The case is
split into NAME.alpha.console, NAME.beta.console and NAME.events in a temp
folder and replayed with

    CHATC replay SCRIPT --console active=... --console standby=... --events ...

Prints PASS or FAIL per case (on FAIL the first unmet expectation and the
timeline), then "N passed, M failed". Exit status 1 when any case failed or
fewer than 30 cases ran (a corpus that shrank is a failure too); 2 on usage
errors. Python 3 standard library only; expectations are checked with the
same ERE dialect as grep -E (Python's re, which accepts every ERE used here:
keep to [0-9], not \\d).
"""

import os
import re
import subprocess
import sys
import tempfile

MIN_CASES = 30
SECTIONS = ("events", "active", "standby")


class CaseError(Exception):
    pass


def parse_case(path):
    """Returns (meta, sections): meta a dict of lists, sections a dict of text."""
    meta = {"name": [], "source": [], "taken": [], "expect": [], "expect-count": [],
            "reject": [], "param": []}
    sections = {}
    current = None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            m = re.match(r"^--- (\S+)\s*$", line)
            if m:
                current = m.group(1)
                if current not in SECTIONS:
                    raise CaseError(f"{path}:{lineno}: unknown section '--- {current}'")
                if current in sections:
                    raise CaseError(f"{path}:{lineno}: section '--- {current}' twice")
                sections[current] = []
                continue
            if current is None:
                if not line.strip():
                    continue
                m = re.match(r"^#\s*([A-Za-z-]+):\s?(.*)$", line)
                if m and m.group(1).lower() in meta:
                    meta[m.group(1).lower()].append(m.group(2))
                elif line.startswith("#"):
                    continue  # a continuation or plain comment line
                else:
                    raise CaseError(f"{path}:{lineno}: text before the first section")
            else:
                sections[current].append(line)
    return meta, {k: "\n".join(v) + "\n" for k, v in sections.items()}


def check_meta(name, meta, sections):
    if not any(re.match(r"^\s*https?://", s) for s in meta["source"]):
        return "no '# source: http...' line"
    if not meta["expect"] and not meta["reject"] and not meta["expect-count"]:
        return "no expect or reject line"
    if "events" not in sections and "active" not in sections and "standby" not in sections:
        return "no section"
    for e in meta["expect"] + meta["reject"]:
        try:
            re.compile(e)
        except re.error as err:
            return f"bad ERE '{e}': {err}"
    for e in meta["expect-count"]:
        m = re.match(r"^\s*([0-9]+)\s+(.*)$", e)
        if not m:
            return f"bad expect-count '{e}' (want: N ERE)"
    for p in meta["param"]:
        if "=" not in p:
            return f"bad param '{p}' (want: NAME=VALUE)"
    return None


def run_case(chatc, script, path):
    """Returns (ok, message, timeline)."""
    name = os.path.basename(path)[:-len(".case")]
    try:
        meta, sections = parse_case(path)
    except (OSError, UnicodeDecodeError, CaseError) as err:
        return False, f"cannot read: {err}", ""
    problem = check_meta(name, meta, sections)
    if problem:
        return False, problem, ""
    with tempfile.TemporaryDirectory(prefix="real_corpus.") as tmp:
        files = {}
        for sec, node in (("active", "alpha"), ("standby", "beta")):
            p = os.path.join(tmp, f"{name}.{node}.console")
            with open(p, "w", encoding="utf-8") as f:
                f.write(f"# real corpus case {name}, {node} ({sec})\n")
                f.write(sections.get(sec, ""))
            files[sec] = p
        ev = os.path.join(tmp, f"{name}.events")
        with open(ev, "w", encoding="utf-8") as f:
            f.write(f"# real corpus case {name}\n")
            f.write(sections.get("events", ""))
        cmd = [chatc, "replay", script,
               "--console", f"active={files['active']}",
               "--console", f"standby={files['standby']}",
               "--events", ev]
        for p in meta["param"]:
            cmd += ["--param", p.strip()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                                  errors="replace")
        except (OSError, subprocess.TimeoutExpired) as err:
            return False, f"chatc did not run: {err}", ""
    timeline = proc.stdout
    if proc.returncode != 0:
        return False, f"chatc replay exited {proc.returncode}: {proc.stderr.strip()}", timeline
    lines = timeline.splitlines()
    for e in meta["expect"]:
        rx = re.compile(e)
        if not any(rx.search(l) for l in lines):
            return False, f"expect not met: {e}", timeline
    for e in meta["expect-count"]:
        m = re.match(r"^\s*([0-9]+)\s+(.*)$", e)
        want, rx = int(m.group(1)), re.compile(m.group(2))
        got = sum(1 for l in lines if rx.search(l))
        if got < want:
            return False, f"expect-count not met: {want} x {m.group(2)} (got {got})", timeline
    for e in meta["reject"]:
        rx = re.compile(e)
        hit = next((l for l in lines if rx.search(l)), None)
        if hit is not None:
            return False, f"reject matched: {e}  <- {hit.strip()}", timeline
    return True, "", timeline


def main(argv):
    if len(argv) < 4 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    chatc, script, folder = argv[1], argv[2], argv[3]
    names = argv[4:]
    if not os.access(chatc, os.X_OK):
        print(f"real_corpus: {chatc}: not an executable", file=sys.stderr)
        return 2
    if names:
        paths = [os.path.join(folder, n if n.endswith(".case") else n + ".case") for n in names]
    else:
        paths = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".case"))
    passed = failed = 0
    for path in paths:
        name = os.path.basename(path)[:-len(".case")]
        ok, msg, timeline = run_case(chatc, script, path)
        if ok:
            passed += 1
            print(f"PASS {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {msg}")
            for l in timeline.splitlines():
                print(f"    {l}")
    print(f"{passed} passed, {failed} failed")
    if failed or (not names and passed + failed < MIN_CASES):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
