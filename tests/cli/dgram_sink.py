#!/usr/bin/env python3
"""dgram_sink.py NAME [SECS [ADDR N]] - a unix-dgram socket that never reads.

Binds a SOCK_DGRAM unix socket at NAME (a path, or @name for an abstract
one), optionally sends N datagrams "x\n" from it to ADDR (each given up
after 2 s; a line, so that a line-framed server such as `listen --exec
cat` answers each one), prints "ready" and sleeps SECS (default 60)
without ever reading, so its queue fills and whoever sends to it finds
it full (EAGAIN). The bats tests of the datagram senders use it: as a
receiver (send, connect, relay, ping, bench) and as a client that stops
reading the answers (echo, recv --reply).
"""
import socket
import sys
import time


def unix_name(name):
    return "\0" + name[1:] if name.startswith("@") else name


s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(unix_name(sys.argv[1]))
if len(sys.argv) > 4:
    s.settimeout(2)
    for _ in range(int(sys.argv[4])):
        try:
            s.sendto(b"x\n", unix_name(sys.argv[3]))
        except OSError:
            pass
print("ready", flush=True)
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 60)
