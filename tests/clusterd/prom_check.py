#!/usr/bin/env python3
"""A strict checker of the Prometheus text exposition format, version 0.0.4.

Stricter than Prometheus itself, on purpose: it checks what clusterd writes,
not what a scraper tolerates. Every line must be
  - a comment: "# HELP name text", "# TYPE name type", or any other "# ..."
    line (clusterctl's "# NAME: not running"); HELP and TYPE need a valid
    metric name, HELP text may only escape \\\\ and \\n, at most one HELP and one
    TYPE per family, both before the family's first sample;
  - or a sample: name{label="value",...} value [timestamp], single blanks,
    valid metric and label names (no "__" prefix, no duplicates), label values
    quoted with only \\\\ \\" \\n escapes, a value Go's ParseFloat accepts
    (NaN, +Inf, -Inf included), an optional integer timestamp.
Every sample's family must have a TYPE; a family's lines form one group;
no sample repeats (same name, same labels); counters end in _total and are
>= 0, and only counters end in _total. The text must end with a newline and
hold no empty line.

    prom_check.py [--expect 'name{l="v"} VALUE']... [--absent 'name{l="v"}']... [FILE]

VALUE is a number, '*' (any value) or '>N'. Labels in --expect/--absent are
compared as a set. Reads FILE or stdin. Exit 0 when the text is valid and
every expectation holds; 1 otherwise, with FILE:LINE: messages on stderr.
"""
import math
import re
import sys

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
# Go strconv.ParseFloat, as Prometheus reads a value: decimal or hex floats
# (underscores are not allowed in the exposition), Inf/NaN in any case.
FLOAT = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+"
    r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])\Z")
TIMESTAMP = re.compile(r"-?\d+\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class Bad(Exception):
    pass


def parse_float(text):
    if not FLOAT.match(text):
        raise Bad(f"value '{text}' is not a float")
    lower = text.lower().lstrip("+-")
    if lower.startswith("inf"):
        return -math.inf if text.startswith("-") else math.inf
    if lower == "nan":
        return math.nan
    if "x" in lower:
        return float.fromhex(text)
    return float(text)


def parse_sample(line):
    """'name{a="b"} 1 [ts]' -> (name, {labels}, value text, timestamp text or None)."""
    m = re.match(r"[^{ ]*", line)
    name = m.group(0)
    if not METRIC_NAME.match(name):
        raise Bad(f"'{name}' is not a valid metric name")
    i = len(name)
    labels = {}
    if i < len(line) and line[i] == "{":
        i += 1
        while True:
            if i < len(line) and line[i] == "}":
                i += 1
                break
            m = re.compile(r"([^=]*)=\"").match(line, i)
            if not m:
                raise Bad(f"label expected at column {i + 1}: {line[i:i + 20]!r}")
            lname = m.group(1)
            if not LABEL_NAME.match(lname):
                raise Bad(f"'{lname}' is not a valid label name")
            if lname.startswith("__"):
                raise Bad(f"label name '{lname}' is reserved (starts with __)")
            if lname in labels:
                raise Bad(f"label '{lname}' given twice")
            i = m.end()
            value = []
            while True:
                if i >= len(line):
                    raise Bad(f"label value of '{lname}' is not closed")
                c = line[i]
                if c == "\\":
                    nxt = line[i + 1:i + 2]
                    if nxt not in ("\\", '"', "n"):
                        raise Bad(f"label value of '{lname}': invalid escape '\\{nxt}'")
                    value.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                    i += 2
                elif c == '"':
                    i += 1
                    break
                else:
                    value.append(c)
                    i += 1
            labels[lname] = "".join(value)
            if i < len(line) and line[i] == ",":
                i += 1
            elif i < len(line) and line[i] == "}":
                continue
            else:
                raise Bad(f"',' or '}}' expected after label '{lname}' at column {i + 1}")
    rest = line[i:]
    if not rest.startswith(" ") or rest.startswith("  "):
        raise Bad("one blank expected between the name (and labels) and the value")
    fields = rest[1:].split(" ")
    if len(fields) not in (1, 2) or "" in fields:
        raise Bad(f"expected 'value' or 'value timestamp' after the name, got {rest[1:]!r}")
    parse_float(fields[0])
    if len(fields) == 2 and not TIMESTAMP.match(fields[1]):
        raise Bad(f"timestamp '{fields[1]}' is not an integer (ms)")
    return name, labels, fields[0], fields[1] if len(fields) == 2 else None


def help_escapes_ok(doc):
    """HELP text may escape only a backslash and a newline."""
    i = 0
    while i < len(doc):
        if doc[i] == "\\":
            if doc[i + 1:i + 2] not in ("\\", "n"):
                return False
            i += 2
        else:
            i += 1
    return True


def family_of(name, types):
    if name in types:
        return name
    for fam, kind in types.items():
        for suffix in SUFFIXES.get(kind, ()):
            if name == fam + suffix:
                return fam
    return None


def check(text, where):
    """Returns (errors, samples); samples maps (name, frozenset(labels)) -> value text."""
    errors = []
    samples = {}
    types, helps = {}, set()
    group = None  # the family whose lines come now
    done = set()  # families whose group has ended
    started = set()  # families with a sample already
    if text and not text.endswith("\n"):
        errors.append(f"{where}: the last line does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        try:
            if line == "":
                raise Bad("empty line")
            if line != line.strip(" \t"):
                raise Bad("leading or trailing blanks")
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                raise Bad("not UTF-8")
            fam = None
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                    if parts[0] != "#" or len(parts) < 3:
                        raise Bad(f"malformed # {parts[1]} line")
                    fam = parts[2]
                    if not METRIC_NAME.match(fam):
                        raise Bad(f"'{fam}' is not a valid metric name")
                    if fam in started:
                        raise Bad(f"# {parts[1]} {fam} after its first sample")
                    if parts[1] == "HELP":
                        if fam in helps:
                            raise Bad(f"second # HELP for {fam}")
                        helps.add(fam)
                        doc = parts[3] if len(parts) == 4 else ""
                        if not help_escapes_ok(doc):
                            raise Bad(f"# HELP {fam}: invalid escape (only \\\\ and \\n)")
                    else:
                        if fam in types:
                            raise Bad(f"second # TYPE for {fam}")
                        if len(parts) != 4 or parts[3] not in TYPES:
                            raise Bad(f"# TYPE {fam}: type must be one of {', '.join(sorted(TYPES))}")
                        types[fam] = parts[3]
                        if parts[3] == "counter" and not fam.endswith("_total"):
                            raise Bad(f"counter {fam} does not end in _total")
                        if parts[3] != "counter" and fam.endswith("_total"):
                            raise Bad(f"{fam} ends in _total but is a {parts[3]}, not a counter")
                else:
                    continue  # a free comment
            else:
                name, labels, value, _ = parse_sample(line)
                fam = family_of(name, types)
                if fam is None:
                    raise Bad(f"sample of {name} without a # TYPE before it")
                key = (name, frozenset(labels.items()))
                if key in samples:
                    raise Bad(f"sample repeated: {line}")
                samples[key] = value
                started.add(fam)
                if types[fam] == "counter":
                    v = parse_float(value)
                    if math.isnan(v) or v < 0:
                        raise Bad(f"counter {name} is {value}, not a number >= 0")
            if fam != group:
                if fam in done:
                    raise Bad(f"lines of {fam} are not one group (it appeared before)")
                if group is not None:
                    done.add(group)
                group = fam
        except Bad as e:
            errors.append(f"{where}:{n}: {e}")
    return errors, samples


def selector(text):
    """'name{a="b"}' -> (name, frozenset of labels)."""
    name, labels, _, _ = parse_sample(text + " 0")
    return name, frozenset(labels.items())


def matches(got, want):
    """`want` is a number, '*' (anything) or '>N'."""
    if want == "*":
        return True
    if want.startswith(">"):
        return parse_float(got) > parse_float(want[1:])
    a, b = parse_float(got), parse_float(want)
    return a == b or (math.isnan(a) and math.isnan(b))


def main(argv):
    expects, absents, files = [], [], []
    i = 0
    while i < len(argv):
        if argv[i] in ("--expect", "--absent") and i + 1 < len(argv):
            (expects if argv[i] == "--expect" else absents).append(argv[i + 1])
            i += 2
        elif argv[i] in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            files.append(argv[i])
            i += 1
    if len(files) > 1:
        print("prom_check.py: one FILE at most", file=sys.stderr)
        return 64
    where = files[0] if files else "<stdin>"
    data = open(files[0], "rb").read() if files else sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"{where}: not UTF-8: {e}", file=sys.stderr)
        return 1
    errors, samples = check(text, where)
    for e in expects:
        sel, _, want = e.rpartition(" ")
        try:
            key = selector(sel)
            if key not in samples:
                errors.append(f"{where}: expected a sample {sel}, found none")
            elif not matches(samples[key], want):
                errors.append(f"{where}: {sel} is {samples[key]}, expected {want}")
        except Bad as b:
            errors.append(f"--expect '{e}': {b} (give 'name{{labels}} VALUE', VALUE a number, '*' or '>N')")
    for a in absents:
        try:
            key = selector(a)
            if key in samples:
                errors.append(f"{where}: {a} should be absent, found {samples[key]}")
        except Bad as b:
            errors.append(f"--absent '{a}': {b}")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print(f"{where}: ok, {len(samples)} samples, all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
