#!/usr/bin/env python3
"""frame_feed.py - feed a file to a command at the pace its receiver keeps.

  frame_feed.py DATA OUT CMD...

Runs CMD (e.g. `skit connect udp:...`) with a pipe as stdin and writes
DATA into it a piece (at most 16 KiB) at a time. After each piece it
waits, up to 10 s, until OUT (the receiver's output file) holds every
byte the default line framing has sent by then: each line with its "\\n",
and runs of 65507 bytes without one (a line split for its length). So at
most one piece is ever in flight, and a UDP receiver on loopback never
drops a datagram for want of buffer, however loaded the machine. At the
end stdin is closed (the last line, without "\\n", goes then) and it waits
for the whole file. Exits with CMD's status, or 1 when OUT stopped
growing (a lost datagram) with a message saying where.
"""
import os
import subprocess
import sys
import time

PIECE = 16 << 10
MSG_MAX = 65507  # SKIT_FRAME_MSG_MAX


def wait_size(path, want, secs=10.0):
    """True once the file at path has at least want bytes."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            if os.path.getsize(path) >= want:
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    return False


def main():
    data_path, out_path, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(data_path, "rb") as f:
        data = f.read()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    fed = cut = 0  # bytes written; bytes the framing has sent of them
    while fed < len(data):
        piece = data[fed:fed + PIECE]
        proc.stdin.write(piece)
        proc.stdin.flush()
        fed += len(piece)
        while cut < fed:
            nl = data.find(b"\n", cut, min(fed, cut + MSG_MAX))
            if nl >= 0:
                cut = nl + 1
            elif fed - cut >= MSG_MAX:
                cut += MSG_MAX
            else:
                break
        if not wait_size(out_path, cut):
            print(f"frame_feed: the receiver stopped at "
                  f"{os.path.getsize(out_path)} of {cut} bytes sent",
                  file=sys.stderr)
            proc.kill()
            proc.wait()
            return 1
    proc.stdin.close()
    ok = wait_size(out_path, len(data))
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        print("frame_feed: the command did not exit", file=sys.stderr)
        return 1
    if not ok:
        print(f"frame_feed: the receiver has {os.path.getsize(out_path)} "
              f"of {len(data)} bytes", file=sys.stderr)
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
