#!/usr/bin/env python3
"""tests/cli/udp_peer.py STATS - a UDP echo that misbehaves on purpose,
for bench_udp.bats (not a test itself): it answers datagrams in swapped
pairs (the second of each pair first, so the first comes back out of
order) and every 10th one twice. It binds 127.0.0.1 port 0, prints
"listening on udp:127.0.0.1:PORT" on stderr, and after each datagram
writes "SWAPPED DUPLICATES" (so far) to STATS, in place with one
pwrite() (a reader never sees it empty, and it costs one syscall). Runs until killed (at
most 120 s).
"""
import os
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(1.0)
sys.stderr.write("listening on udp:127.0.0.1:%d\n" % s.getsockname()[1])
sys.stderr.flush()
stats = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
held = None
swapped = dups = k = 0
end = time.time() + 120
while time.time() < end:
    try:
        b, a = s.recvfrom(65536)
    except socket.timeout:
        continue
    if held is None:
        held = (b, a)
    else:
        s.sendto(b, a)
        s.sendto(held[0], held[1])
        held = None
        swapped += 1
    k += 1
    if k % 10 == 0:
        s.sendto(b, a)
        dups += 1
    # fixed width: each record overwrites the whole previous one
    os.pwrite(stats, b"%10d %10d\n" % (swapped, dups), 0)
