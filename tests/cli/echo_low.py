#!/usr/bin/env python3
"""tests/cli/echo_low.py MODE [ADDR] - peers for `skit ping` transport tests.

  tcp HOST          accept TCP connections and close them
  udp HOST [DUP]    echo UDP datagrams (DUP=N: send request N twice)
  unix PATH         echo over unix stream connections

Binds port 0 and prints "listening on KIND:ADDR:PORT" on stderr; runs
until killed.
"""
import os
import socket
import sys
import threading

mode = sys.argv[1]
host = sys.argv[2]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
br = "[%s]" % host if fam == socket.AF_INET6 else host
if mode == "tcp":
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((host, 0))
    s.listen(64)
    print("listening on tcp:%s:%d" % (br, s.getsockname()[1]),
          file=sys.stderr, flush=True)
    while True:
        c, _ = s.accept()
        c.close()
elif mode == "udp":
    dup = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 0))
    print("listening on udp:%s:%d" % (br, s.getsockname()[1]),
          file=sys.stderr, flush=True)
    n = 0
    while True:
        d, a = s.recvfrom(70000)
        n += 1
        s.sendto(d, a)
        if n == dup:
            s.sendto(d, a)
elif mode == "unix":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(host)
    s.listen(8)
    print("listening on unix:%s" % host, file=sys.stderr, flush=True)

    def serve(c):
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        c.close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
