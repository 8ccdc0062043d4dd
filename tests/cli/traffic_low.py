#!/usr/bin/env python3
"""tests/cli/traffic_low.py DIR [UDP_COUNT] - known TCP and UDP traffic on
127.0.0.1 for the sniff tests.

Binds a TCP listener and a UDP socket on port 0, writes "TCPPORT UDPPORT"
to DIR/ports, waits (at most 10 s) for DIR/go to exist, then: one TCP
connection that sends "hello" and closes, UDP_COUNT datagrams "hello"
(default 1) to the UDP socket, and a datagram to a closed port.
"""
import os
import socket
import sys
import time

d = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1
lt = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lt.bind(("127.0.0.1", 0))
lt.listen(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
with open(os.path.join(d, "ports.tmp"), "w") as f:
    f.write("%d %d\n" % (lt.getsockname()[1], u.getsockname()[1]))
os.rename(os.path.join(d, "ports.tmp"), os.path.join(d, "ports"))
for _ in range(200):
    if os.path.exists(os.path.join(d, "go")):
        break
    time.sleep(0.05)
c = socket.create_connection(lt.getsockname())
a, _ = lt.accept()
c.sendall(b"hello")
a.recv(16)
c.close()
a.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(count):
    s.sendto(b"hello", u.getsockname())
    u.recv(16)
