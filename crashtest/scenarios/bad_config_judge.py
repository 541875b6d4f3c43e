#!/usr/bin/env python3
"""The judge of bad_config_corpus.sh, and the inputs it makes (Python: the
outputs judged may hold any byte, NUL included). One command per call:

  corpus BIN WORK LIMIT VMEM INPUT...   each input in a scratch home, judged:
                                        WORK/table, WORK/unclean, WORK/corpus.summary
  fuzz BIN WORK SEED COUNT LIMIT VMEM KIND=SCRATCH=FILE...
                                        seeded mutants; prints RUNS EXIT0 EXIT1 CLEAN,
                                        then one line per crash or hang
  generate DIR NODES-BLOCK              the large inputs, written to DIR
  subst ALPHA_CONSOLE BETA_CONSOLE ALPHA_ADDR BETA_ADDR
                                        the JSON for $A15_SUBST (the inputs' @NAME@s)
  set-console FILE OLD NEW              FILE's one `console = "OLD"` made NEW
  expect INPUT                          its first expected fragment
  install INPUT DEST                    copied with $A15_SUBST's values in place
  bytes FILE WHAT                       what a terminal must not get, one a line
  firstline FILE CUT                    its first line, CUT cut out, escaped

bad_config_corpus.sh's header says what is asserted and why.
"""
import json, os, random, re, resource, shutil, subprocess, sys

CRASH = [b"terminate called", b"what():", b"Segmentation", b"Aborted", b"AddressSanitizer",
         b"LeakSanitizer", b"runtime error:", b"core dumped", b"stack overflow"]
CANARY = b"CANARY-A15"
MSG = re.compile(rb"^(/[^:\n]*):(\d+):(?:(\d+):)? \S")

def esc(b):  # for showing: printable ASCII as is, every other byte \xHH
    return "".join(chr(c) if 0x20 <= c < 0x7F else "\\x%02x" % c for c in b)

def byte_problems(data, what="the output"):
    """Raw control bytes, invalid UTF-8, C1 controls: what a terminal must not get."""
    bad = []
    for i, c in enumerate(data):
        if c < 0x20 and c not in (0x09, 0x0A, 0x0D) or c == 0x7F:
            bad.append("raw control byte 0x%02x in %s (line %d)" % (c, what, data.count(b"\n", 0, i) + 1))
            break
    try:
        for ch in data.decode("utf-8"):
            if 0x80 <= ord(ch) <= 0x9F:
                bad.append("C1 control U+%04X in %s" % (ord(ch), what))
                break
    except UnicodeDecodeError as e:
        bad.append("invalid UTF-8 (0x%02x) in %s (line %d)" % (data[e.start], what, data.count(b"\n", 0, e.start) + 1))
    return bad

def status_problem(rc, limit):
    if rc == 1: return None
    if rc == 0: return "accepted (exit 0)"
    if rc == 124: return "hung: no verdict within %ss (killed)" % limit
    if rc >= 128: return "crashed: killed by signal %d (exit %d)" % (rc - 128, rc)
    return "exit status %d (not 1)" % rc

def messages(out):
    """The message lines: not the indented source and caret lines."""
    return [l for l in out.split(b"\n") if l and not l.startswith((b" ", b"\t"))]

def run_check(bin_dir, home, limit, vmem_kb):
    def limits():
        if vmem_kb != "unlimited":
            v = int(vmem_kb) * 1024
            resource.setrlimit(resource.RLIMIT_AS, (v, v))
    try:
        p = subprocess.run([os.path.join(bin_dir, "clusterd"), "--cluster", "demo", "--home", home, "--check"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=limit, preexec_fn=limits)
        return (p.returncode if p.returncode >= 0 else 128 - p.returncode), p.stdout
    except subprocess.TimeoutExpired as e:
        return 124, e.stdout or b""

def judge(out, scratch, rc, limit, expects, absents):
    problems = []
    p = status_problem(rc, limit)
    if p: problems.append(p)
    for m in CRASH:
        if m in out:
            problems.append("crash report in the output: %r" % m.decode())
            break
    problems += byte_problems(out)
    msgs = messages(out)
    cut = lambda l: esc(l.replace(scratch.encode() + b"/", b""))[:140]
    if rc == 1:
        if not msgs:
            problems.append("no message")
        for l in msgs:
            m = MSG.match(l)
            if not m:
                problems.append("a message without FILE:LINE: " + cut(l))
                break
            if not os.path.exists(m.group(1).decode("utf-8", "replace")):
                problems.append("a message naming no existing file: " + cut(l))
                break
        for e in expects:
            if not any(e.encode() in l for l in msgs):
                problems.append("no message holds '%s'" % e)
    for a in absents + [CANARY.decode()]:
        if a.encode() in out:
            problems.append("the output shows '%s' (it must not)" % a)
    for d in ("run", "Logs", "state", "spool"):
        if os.path.exists(os.path.join(scratch, d)):
            problems.append("--check wrote %s/" % d)
    # The line to show: the first message holding the first fragment, else the first line.
    first = out.split(b"\n")[0]
    show = next((l for l in msgs if expects and expects[0].encode() in l), msgs[0] if msgs else first)
    show = cut(show)
    return list(dict.fromkeys(problems)), (show[:107] + "..." if len(show) > 110 else show) or "(no output)"

def header(path):
    """The input's header: its expect, absent and mode lines."""
    h = {"expect": [], "absent": [], "mode": ""}
    with open(path, "rb") as f:
        for raw in f:
            if not raw.startswith(b"#"): break
            line = raw.rstrip(b"\n").decode("utf-8", "replace")
            for k in h:
                if line.startswith("# %s: " % k):
                    v = line[len(k) + 4:]
                    if isinstance(h[k], list): h[k].append(v)
                    else: h[k] = v
    return h

def install(src, dst, subst):
    """Copies an input byte for byte, with the running cluster's values in place of @NAME@."""
    data = open(src, "rb").read()
    for k, v in subst.items():
        data = data.replace(("@%s@" % k).encode(), v.encode())
    with open(dst, "wb") as f:
        f.write(data)

def set_console(path, old, new):
    """The file's one `console = "OLD"` line made `console = "NEW"`."""
    s = open(path).read()
    assert s.count('console = "%s"' % old) == 1
    open(path, "w").write(s.replace('console = "%s"' % old, 'console = "%s"' % new))

TARGET = {"toml": "clusters/demo.toml", "chat": "scripts/bad.chat", "secrets": "secrets", "clist": "CList"}

def corpus(bin_dir, work, limit, vmem_kb, inputs):
    subst = json.loads(os.environ["A15_SUBST"])
    total = clean = 0
    groups = {}
    rows = ["  %-4s %-34s %s" % ("", "input", "message shown (scratch path cut, bytes escaped)")]
    unclean = []
    for path in inputs:
        name = os.path.basename(path)
        kind = name.rsplit(".", 1)[1]
        if kind not in TARGET: sys.exit("input %s: unknown kind (.toml, .chat, .secrets, .clist)" % name)
        h = header(path)
        if not h["expect"]: sys.exit("input %s has no '# expect:' line" % name)
        scratch = os.path.join(work, "scratch", name)
        shutil.copytree(os.path.join(work, "base", kind), scratch, symlinks=True)
        install(path, os.path.join(scratch, TARGET[kind]), subst)
        if kind == "secrets":
            os.chmod(os.path.join(scratch, "secrets"), int(h["mode"] or "0600", 8))
        rc, out = run_check(bin_dir, scratch, limit, vmem_kb)
        with open(os.path.join(work, "out", name), "wb") as f:
            f.write(out)
        problems, show = judge(out, scratch, rc, limit, h["expect"], h["absent"])
        shutil.rmtree(scratch)
        total += 1
        g = name.split("-", 1)[0]
        n_ok = groups.setdefault(g, [0, 0])
        n_ok[0] += 1
        if problems:
            unclean.append("%s: %s" % (name, "; ".join(problems)))
        else:
            clean += 1
            n_ok[1] += 1
        rows.append("  %-4s %-34s %s" % ("BAD" if problems else "ok", name, show))
        print(rows[-1], flush=True)
    with open(os.path.join(work, "table"), "w") as f:
        f.write("\n".join(rows) + "\n")
    with open(os.path.join(work, "unclean"), "w") as f:
        f.write("".join(u + "\n" for u in unclean))
    with open(os.path.join(work, "corpus.summary"), "w") as f:
        f.write("%d %d\n%s\n" % (total, clean, ", ".join("%s %d/%d" % (g, v[1], v[0]) for g, v in sorted(groups.items()))))

# --- the mutation pass -----------------------------------------------------------
TOKENS = [b"[", b"]", b"[[", b"\"", b"'", b"=", b"{", b"}", b"->", b"state ", b"initial ", b"include \"",
          b"extends ", b"after ", b"on active /(", b"|", b"\\u001b", b"\\x", b"\\", b"$", b"${", b"#",
          b"\x00", b"\x1b[2J", b"\xff", b"\xc3", b"\r", b"\n", b"\t", b"99999999999999999999",
          b"-1", b"0s", b"1h" * 8, b"%", b"?", b"&", b"@", b"//", b"nodes.", b"[nodes.gamma]\n"]

def mutate(data, rnd):
    data = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(7)
        n = len(data)
        at = rnd.randrange(n + 1) if n else 0
        if op == 0 and n:                       # a byte changed
            data[min(at, n - 1)] = rnd.randrange(256)
        elif op == 1 and n:                     # a span cut
            del data[at:at + rnd.randint(1, 40)]
        elif op == 2:                           # a token inserted
            data[at:at] = rnd.choice(TOKENS)
        elif op == 3:                           # a control byte inserted
            data[at:at] = bytes([rnd.choice([0, 1, 7, 8, 0x0B, 0x0C, 0x1B, 0x7F, 0x9B])])
        elif op == 4 and n:                     # truncated
            del data[at:]
        else:                                   # a line repeated, or two swapped
            ls = bytes(data).split(b"\n")
            i, j = rnd.randrange(len(ls)), rnd.randrange(len(ls))
            if op == 5: ls.insert(i, ls[j])
            else: ls[i], ls[j] = ls[j], ls[i]
            data = bytearray(b"\n".join(ls))
    return bytes(data)

def fuzz(bin_dir, work, seed, count, limit, vmem_kb, targets):
    """targets: KIND=SCRATCH=FILE: FILE is mutated in place inside SCRATCH (restored after)."""
    rnd = random.Random("a15-%s" % seed)
    per = max(1, count // len(targets))
    tally = {"runs": 0, "exit0": 0, "exit1": 0, "clean": 0}
    bad = []
    os.makedirs(os.path.join(work, "fuzz"), exist_ok=True)
    for t in targets:
        kind, scratch, path = t.split("=", 2)
        good = open(path, "rb").read()
        mode = os.stat(path).st_mode & 0o7777
        try:
            for i in range(per):
                data = mutate(good, rnd)
                with open(path, "wb") as f:
                    f.write(data)
                os.chmod(path, mode)
                rc, out = run_check(bin_dir, scratch, limit, vmem_kb)
                tally["runs"] += 1
                problem = status_problem(rc, limit) if rc != 0 else None
                if not problem and any(m in out for m in CRASH):
                    problem = "crash report in the output"
                if rc == 0: tally["exit0"] += 1
                if rc == 1:
                    tally["exit1"] += 1
                    msgs = messages(out)
                    if msgs and all(MSG.match(l) for l in msgs) and not byte_problems(out):
                        tally["clean"] += 1
                if problem:
                    keep = os.path.join(work, "fuzz", "%s-%03d%s" % (kind, i, os.path.splitext(path)[1]))
                    with open(keep, "wb") as f:
                        f.write(data)
                    bad.append("%s mutant %d (%s): %s; first line: %s" % (
                        kind, i, keep, problem, esc(out.split(b"\n")[0])[:120]))
        finally:
            with open(path, "wb") as f:
                f.write(good)
            os.chmod(path, mode)
    print(tally["runs"], tally["exit0"], tally["exit1"], tally["clean"])
    for b in bad: print(b)

def generate(d, nodes):
    """The large inputs, made at run time so that the corpus stays small."""
    def w(name, what, expect, body):
        with open(os.path.join(d, name), "wb") as f:
            f.write(("# A15 %s: %s\n# expect: %s\n" % (name.rsplit(".", 1)[1], what, expect)).encode() + body)
    script = b'script = "sparc-obp.chat"\n'
    w("gen-toml-1mib-value.toml", "a 1 MiB duration value",
      "demo.toml:%d:12: error: ping.interval: '9999" % (4 + nodes.count(b"\n") + 1),
      script + nodes + b'[ping]\ninterval = "' + b"9" * (1 << 20) + b's"\n')
    w("gen-toml-deep-nesting.toml", "arrays nested 100000 deep",
      "exceeded maximum nested value depth", script + b"x = " + b"[" * 100000 + b"]" * 100000 + b"\n" + nodes)
    w("gen-chat-1mib-line.chat", "an unterminated 1 MiB string", "bad.chat:5:",
      b'include "sparc-obp.chat"\nstate extra {\n  log "' + b"x" * (1 << 20) + b"\n  after 1s -> watch\n}\n")
    n = 3000
    chain = [b'include "sparc-obp.chat"']
    chain += [b"state s%d extends s%d { after 1s -> watch }" % (i, i + 1) for i in range(n)]
    chain.append(b"state s%d { after 1s -> nowhere }" % n)
    w("gen-chat-extends-chain.chat", "%d states, each extending the next, the last naming an unknown state" % n,
      "bad.chat:%d:%d: error: unknown state 'nowhere'" % (3 + n + 1, len(b"state s%d { after 1s -> " % n) + 1),
      b"\n".join(chain) + b"\n")
    w("gen-clist-1mib-name.clist", "a 1 MiB cluster name", "CList:3: error: cluster name 'aaaa",
      b"a" * (1 << 20) + b" clusters/demo.toml\n")

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "corpus":                         # BIN WORK LIMIT VMEM INPUT...
        corpus(args[0], args[1], float(args[2]), args[3], args[4:])
    elif cmd == "fuzz":                         # BIN WORK SEED COUNT LIMIT VMEM TARGET...
        fuzz(args[0], args[1], args[2], int(args[3]), float(args[4]), args[5], args[6:])
    elif cmd == "generate":                     # DIR NODES-BLOCK
        generate(args[0], open(args[1], "rb").read())
    elif cmd == "subst":                        # ALPHA_CONSOLE BETA_CONSOLE ALPHA_ADDR BETA_ADDR
        print(json.dumps(dict(zip(["ALPHA_CONSOLE", "BETA_CONSOLE", "ALPHA_ADDR", "BETA_ADDR"], args))))
    elif cmd == "set-console":                  # FILE OLD NEW
        set_console(*args)
    elif cmd == "expect":                       # INPUT: its first expected fragment
        print(header(args[0])["expect"][0])
    elif cmd == "install":                      # INPUT DEST
        install(args[0], args[1], json.loads(os.environ["A15_SUBST"]))
    elif cmd == "bytes":                        # FILE WHAT: what a terminal must not get, one a line
        print("\n".join(byte_problems(open(args[0], "rb").read(), args[1])))
    elif cmd == "firstline":                    # FILE CUT: its first line, CUT cut out, escaped
        print(esc(open(args[0], "rb").read().split(b"\n")[0].replace(args[1].encode(), b""))[:130])
    else:
        sys.exit("bad_config_judge.py: unknown command '%s'" % cmd)
