#!/usr/bin/env python3
"""Run every command docs/concepts.md shows and compare its output.

The page's ```console blocks are the contract: a "$ CMD" line is a
command, the lines up to the next "$ " are what it prints (stdout and
stderr as one stream). In the expected lines "…" stands for any text
(a port the kernel chose, a time), and a line that is only "…" for any
number of lines. "$ CMD &" starts CMD in the background (a server): its
expected lines are what it prints when ready, and are waited for; one with no expected lines
that sends its stderr to a file ("2>FILE") is ready when FILE says
"listening on". Each
block runs in a fresh directory; its background commands are stopped
at the block's end.

usage: concepts_check.py PAGE [--print]   (--print shows what each
command prints now, in the page's format, to update the page)
Run it where skit is first on PATH, in a private network namespace.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ELL = "\u2026"


def blocks(text):
    out, cur = [], None
    for n, line in enumerate(text.splitlines(), 1):
        if cur is None:
            if line.strip() == "```console":
                cur = []
        elif line.strip() == "```":
            out.append(cur)
            cur = None
        elif line.startswith("$ "):
            cur.append([n, line[2:], []])
        elif cur:
            cur[-1][2].append(line)
    return out


def pattern(lines):
    parts = []
    for line in lines:
        if line == ELL:
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append("[^\n]*?".join(re.escape(p)
                                         for p in line.split(ELL))
                         + "\n")
    return re.compile("".join(parts))


def matches(expect, got):
    text = got if got.endswith("\n") or not got else got + "\n"
    return pattern(expect).fullmatch(text) is not None


def run_block(block, show):
    bad = 0
    bg = []
    with tempfile.TemporaryDirectory() as d:
        for n, cmd, expect in block:
            if cmd.endswith(" &"):
                log = os.path.join(d, ".bg%d" % n)
                with open(log, "w") as f:
                    p = subprocess.Popen(["bash", "-c", cmd[:-2]], cwd=d,
                                         stdout=f, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL,
                                         start_new_session=True)
                bg.append(p)
                # ready: its expected lines are there, or else "listening
                # on" in its output or in the file its stderr goes to
                m = re.search(r"2>\s*(\S+)", cmd)
                ready = os.path.join(d, m.group(1)) if m else log
                got = ""
                for _ in range(200):
                    with open(log) as f:
                        got = f.read()
                    if p.poll() is not None:
                        break
                    if expect:
                        if got.count("\n") >= len(expect):
                            break
                    elif os.path.exists(ready):
                        with open(ready) as f:
                            if "listening on" in f.read():
                                break
                    time.sleep(0.05)
                if expect:
                    got = "".join(got.splitlines(True)[:len(expect)])
            else:
                try:
                    r = subprocess.run(["bash", "-c", cmd], cwd=d,
                                       stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, timeout=20)
                    got = r.stdout.decode("utf-8", "replace")
                except subprocess.TimeoutExpired:
                    got = "(timed out after 20 s)\n"
            if show:
                print("$ " + cmd)
                sys.stdout.write(got)
            elif not matches(expect, got):
                bad += 1
                print("line %d: $ %s\n--- the page shows:\n%s\n--- it "
                      "printed:\n%s" % (n, cmd, "\n".join(expect), got))
        for p in bg:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return bad


def main():
    show = "--print" in sys.argv[2:]
    with open(sys.argv[1], encoding="utf-8") as f:
        bs = blocks(f.read())
    bad = 0
    steps = 0
    for b in bs:
        if show:
            print("```console")
        bad += run_block(b, show)
        steps += len(b)
        if show:
            print("```")
    if not show:
        print("%d commands in %d blocks, %d differ" % (steps, len(bs), bad))
    return 1 if bad or not steps else 0


if __name__ == "__main__":
    sys.exit(main())
