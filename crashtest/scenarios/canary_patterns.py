#!/usr/bin/env python3
"""The forms of a canary secret a leak scan looks for (secrets_canary.sh).

Writes PATTERNS, one pattern a line (for grep -F -f: a pattern never goes into
an argv), and PATTERNS.names, the name of each form on the same line: the
canary raw, as clusterd's escape() writes it (base/escape.cc), JSON with and
without \\u escapes, percent-encoded (two ways), hex (both cases), each
line of FRAGMENTS (a fragment survives any escaping of the rest), and base64
at each of the three alignments (the edge characters that depend on the
neighbouring bytes cut off).
  canary_patterns.py CANARY_FILE FRAGMENTS PATTERNS
The canary and its fragments come in files, never in an argv.
"""
import base64
import json
import sys
import urllib.parse


def main(canary_file, fragments_file, out):
    c = open(canary_file, "rb").read()
    fragments = [f for f in open(fragments_file, encoding="utf-8").read().split("\n") if f]
    t = c.decode("utf-8")
    esc = ""  # base/escape.cc
    for b in c:
        esc += {92: "\\\\", 13: "\\r", 10: "\\n", 9: "\\t", 27: "\\e"}.get(
            b, chr(b) if 32 <= b < 127 else "\\x%02x" % b)
    pats = {t: "raw", esc: "escape()", json.dumps(t)[1:-1]: "JSON \\u",
            json.dumps(t, ensure_ascii=False)[1:-1]: "JSON", urllib.parse.quote(t, safe=""): "percent",
            urllib.parse.quote_plus(t, safe=""): "percent+", c.hex(): "hex", c.hex().upper(): "HEX"}
    for f in fragments:
        pats[f] = "fragment"
    for k in range(3):  # base64 of the canary at each alignment
        e = base64.b64encode(b"\0" * k + c).decode()
        pats.setdefault(e[4 if k else 0:len(e) - 4], "base64/%d" % k)
    with open(out, "w", encoding="utf-8") as f:
        f.write("".join(p + "\n" for p in pats))
    with open(out + ".names", "w") as f:
        f.write("".join(n + "\n" for n in pats.values()))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
