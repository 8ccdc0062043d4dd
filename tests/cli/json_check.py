#!/usr/bin/env python3
"""Hold what skit's commands wrote in JSON against docs/json.md.

usage: json_check.py docs/json.md DIR
DIR holds COMMAND.N.json files (tests/cli/json_samples.sh makes them).
docs/json.md has a "## skit COMMAND" section per command with ```json
blocks of example objects, one a line. Each object a command wrote must
be valid JSON whose "event" (or none) the page shows for that command,
with no key the page's examples of that event lack, values of the same
JSON type as there (null may stand for any), recursively in objects;
and nothing in exponent form, every string valid UTF-8 (the reader
refuses anything else). Prints what differs; exit 1 if anything does.
"""
import json
import os
import re
import sys

NUM_EXP = re.compile(r'(?<![\w".])-?\d+(?:\.\d+)?[eE][-+]?\d+')


def kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def doc_examples(path):
    """{command: {event: [example objects]}}"""
    out, cmd, block = {}, None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^## `skit (\S+)`", line)
            if m:
                # "--trace=json" is the trace.N.json files' section
                cmd = re.sub(r"^--(\w+).*", r"\1", m.group(1))
                continue
            if line.strip() == "```json":
                block = []
                continue
            if block is not None and line.strip() == "```":
                for o in block:
                    out.setdefault(cmd, {}).setdefault(
                        o.get("event", "-"), []).append(o)
                block = None
                continue
            if block is not None and line.strip():
                block.append(json.loads(line))
    return out


def merge(examples):
    """the union of the examples' keys, each with its kinds (and, for
    objects, their merged shape)"""
    shape = {}
    for ex in examples:
        for k, v in ex.items():
            kinds, subs = shape.setdefault(k, (set(), []))
            kinds.add(kind(v))
            if isinstance(v, dict):
                subs.append(v)
            if isinstance(v, list):
                subs.extend(x for x in v if isinstance(x, dict))
    return shape


def check(obj, examples, where, bad):
    shape = merge(examples)
    for k, v in obj.items():
        if k not in shape:
            bad.append("%s: key %r is not in docs/json.md" % (where, k))
            continue
        kinds, subs = shape[k]
        if v is not None and "null" not in kinds and kind(v) not in kinds:
            bad.append("%s: %r is %s, docs/json.md shows %s" %
                       (where, k, kind(v), "/".join(sorted(kinds))))
        items = [v] if isinstance(v, dict) else (
            [x for x in v if isinstance(x, dict)] if isinstance(v, list)
            else [])
        for x in items:
            if subs:
                check(x, subs, "%s.%s" % (where, k), bad)


def main():
    docs = doc_examples(sys.argv[1])
    bad, n = [], 0
    for name in sorted(os.listdir(sys.argv[2])):
        cmd = name.split(".")[0]
        with open(os.path.join(sys.argv[2], name), "rb") as f:
            raw = f.read()
        for i, line in enumerate(raw.decode("utf-8").splitlines(), 1):
            where = "%s line %d" % (name, i)
            n += 1
            if NUM_EXP.search(re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)):
                bad.append("%s: a number in exponent form" % where)
            o = json.loads(line)
            ev = o.get("event", "-")
            ex = docs.get(cmd, {}).get(ev)
            if not ex:
                bad.append("%s: skit %s's %s is not in docs/json.md" %
                           (where, cmd, "event %r" % ev if ev != "-"
                            else "record"))
                continue
            check(o, ex, "%s (%s)" % (where, ev), bad)
    for b in bad:
        print(b)
    print("%d objects, %d differences" % (n, len(bad)))
    return 1 if bad or not n else 0


if __name__ == "__main__":
    sys.exit(main())
