#!/usr/bin/env python3
"""tests/cli/udp_peer.py STATS [PORT] - a UDP peer that misbehaves on
purpose, for bench_udp.bats (not a test itself).

Without PORT it is an echo: it answers datagrams in swapped pairs (the
second of each pair first, so the first comes back out of order) and
every 10th one twice. With PORT it stands in front of the server at
127.0.0.1:PORT (a discard server that counts) and forwards skit bench's
numbered datagrams ("SKIT") the same way, and drops every 7th one on top;
anything else (the stats request) is forwarded unharmed, after the one
it holds, and what the server answers goes back to the client.

It binds 127.0.0.1 port 0, prints "listening on udp:127.0.0.1:PORT" on
stderr, and after each datagram writes "SWAPPED DUPLICATES DROPPED" (so
far) to STATS, in place with one pwrite() (a reader never sees it empty,
and it costs one syscall). Runs until killed (at most 120 s).
"""
import os
import select
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
sys.stderr.write("listening on udp:127.0.0.1:%d\n" % s.getsockname()[1])
sys.stderr.flush()
stats = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
target = ("127.0.0.1", int(sys.argv[2])) if len(sys.argv) > 2 else None
up = {}  # client address -> its socket towards the target
down = {}  # that socket -> the client address
held = None
swapped = dups = dropped = k = 0


def out(b, a):
    """Send b on its way: back to client a, or on to the target."""
    if target is None:
        s.sendto(b, a)
        return
    u = up.get(a)
    if u is None:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.connect(target)
        up[a] = u
        down[u] = a
    u.send(b)


end = time.time() + 120
while time.time() < end:
    ready, _, _ = select.select([s] + list(down), [], [], 1.0)
    for r in ready:
        if r is not s:
            try:
                s.sendto(r.recv(65536), down[r])
            except OSError:
                pass
            continue
        b, a = s.recvfrom(65536)
        if target is not None and not b.startswith(b"SKIT"):
            if held is not None:
                out(*held)
                held = None
            out(b, a)
            continue
        k += 1
        if target is not None and k % 7 == 0:
            dropped += 1
        elif held is None:
            held = (b, a)
        else:
            out(b, a)
            out(*held)
            held = None
            swapped += 1
            if swapped % 5 == 0:
                out(b, a)
                dups += 1
        # fixed width: each record overwrites the whole previous one
        os.pwrite(stats, b"%10d %10d %10d\n" % (swapped, dups, dropped), 0)
