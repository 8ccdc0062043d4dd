#!/usr/bin/env python3
"""tests/cli/abi_check.py LIBSKIT_SO INCLUDE_DIR - libskit.so exports the
public API and nothing else.

The declared API is read from the headers as the compiler sees them
(cc -E of every include/skit/*.h): each top-level declaration of a
function or an extern object named skit_* (static inline functions and
typedefs are not exports). The exported list is `nm -D --defined-only` (with versions).
Prints one line per problem and exits 1 when there is any:
  internal: skit__X        an internal function is exported
  undeclared: X            exported but declared in no public header
  missing: X               declared in a header but not exported
  unversioned: X           exported outside the SKIT_0.1 node
"""
import glob
import os
import re
import subprocess
import sys


def declared(incdir):
    hdrs = sorted(glob.glob(os.path.join(incdir, "skit", "*.h")))
    src = "".join('#include "%s"\n' % h for h in hdrs)
    text = subprocess.run(
        ["cc", "-std=c11", "-D_GNU_SOURCE", "-E", "-P", "-I", incdir, "-x", "c", "-"],
        input=src, capture_output=True, text=True, check=True).stdout
    names = set()
    depth, stmt = 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                # a function body or a struct/enum body ends: the
                # statement goes on (a struct's declarator follows) unless
                # it was a function definition, which static inline is.
                s = "".join(stmt)
                if re.match(r"\s*static\b", s):
                    stmt = []
                continue
        if depth:
            continue
        if ch == ";":
            add(names, "".join(stmt))
            stmt = []
        else:
            stmt.append(ch)
    return names


def add(names, s):
    s = " ".join(s.split())
    if not s or s.startswith(("typedef", "static")):
        return
    # A function: the first skit_ name directly followed by "(" that is
    # not a function pointer "(*name)(".
    m = re.search(r"(?<!\w)(skit_\w+)\s*\(", s)
    if m and not re.search(r"\(\s*\*\s*" + m.group(1) + r"\s*\)", s):
        names.add(m.group(1))
        return
    # An object: extern ... NAME or NAME[N].
    m = re.match(r"extern\b.*\b(skit_\w+)\s*(\[[^\]]*\])?$", s)
    if m:
        names.add(m.group(1))


def exported(so):
    """nm -D --defined-only: "ADDR TYPE NAME@@VERSION" (A: the node)."""
    out = subprocess.run(["nm", "-D", "--defined-only", so],
                         capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) != 3 or f[1] == "A":
            continue
        name, _, ver = f[2].partition("@")
        syms[name] = ver.lstrip("@") or "(none)"
    return syms


def main():
    so, incdir = sys.argv[1], sys.argv[2]
    decl = declared(incdir)
    exp = exported(so)
    bad = []
    for name, ver in sorted(exp.items()):
        if name.startswith("skit__"):
            bad.append("internal: " + name)
        elif name not in decl:
            bad.append("undeclared: " + name)
        if ver != "SKIT_0.1":
            bad.append("unversioned: %s (%s)" % (name, ver))
    for name in sorted(decl - set(exp)):
        bad.append("missing: " + name)
    for b in bad:
        print(b)
    print("abi: %d exported, %d declared, %d problems" % (len(exp), len(decl), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
