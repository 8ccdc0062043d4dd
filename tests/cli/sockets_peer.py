#!/usr/bin/env python3
"""tests/cli/sockets_peer.py DIR - sockets of every kind for the sockets
tests, held open until DIR/done exists (at most 20 s).

Makes a TCP listener on 127.0.0.1 with one connection (5 bytes unread on
the server side), UDP on 127.0.0.1 and [::1], a unix stream listener on
an abstract name and one on a path with a client each, a seqpacket and
a datagram socketpair, a raw ICMP socket and a packet socket (when
allowed). Writes DIR/info: "TCPPORT CLIENTPORT UDPPORT" once ready.
"""
import os
import socket
import sys
import time

d = sys.argv[1]
keep = []
lt = socket.socket()
lt.bind(("127.0.0.1", 0))
lt.listen(5)
c = socket.create_connection(lt.getsockname())
a, _ = lt.accept()
c.send(b"hello")
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4.bind(("127.0.0.1", 0))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6.bind(("::1", 0))
xa = socket.socket(socket.AF_UNIX)
xa.bind("\0skit-sockets-test")
xa.listen(3)
xc = socket.socket(socket.AF_UNIX)
xc.connect("\0skit-sockets-test")
xs, _ = xa.accept()
xp = socket.socket(socket.AF_UNIX)
xp.bind(os.path.join(d, "s.sock"))
xp.listen(3)
keep += [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET),
         socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)]
for fam, typ, proto in ((socket.AF_INET, socket.SOCK_RAW, 1),
                        (socket.AF_PACKET, socket.SOCK_RAW, 0x0300)):
    try:
        keep.append(socket.socket(fam, typ, proto))
    except OSError:
        pass
with open(os.path.join(d, "info.tmp"), "w") as f:
    f.write("%d %d %d\n" % (lt.getsockname()[1], c.getsockname()[1],
                            u4.getsockname()[1]))
os.rename(os.path.join(d, "info.tmp"), os.path.join(d, "info"))
for _ in range(400):
    if os.path.exists(os.path.join(d, "done")):
        break
    time.sleep(0.05)
