#!/usr/bin/env python3
"""tests/cli/socks_udp.py PROXY_PORT DEST_PORT MSG [USER PASS] - a SOCKS5
UDP ASSOCIATE client for proxy_server.bats (not a test itself): it asks
the proxy on 127.0.0.1:PROXY_PORT for a UDP association (with RFC 1929
USER/PASS when given), sends MSG to udp 127.0.0.1:DEST_PORT through the
relay, and prints what comes back (payload only) with the sender the
header names, as "FROM_IP:FROM_PORT PAYLOAD". Exit 0 on an answer, 1 on
a refusal (the reply code on stderr), 2 when nothing came back in 5 s.
"""
import socket
import struct
import sys


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("proxy closed")
        b += c
    return b


def main():
    pport, dport, msg = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    user = sys.argv[4] if len(sys.argv) > 5 else None
    pw = sys.argv[5] if len(sys.argv) > 5 else None
    c = socket.create_connection(("127.0.0.1", pport), timeout=5)
    c.sendall(b"\x05\x01\x02" if user else b"\x05\x01\x00")
    ver, meth = recv_exact(c, 2)
    if meth == 0xFF:
        sys.stderr.write("no acceptable method\n")
        return 1
    if meth == 2:
        u, p = user.encode(), pw.encode()
        c.sendall(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
        if recv_exact(c, 2)[1] != 0:
            sys.stderr.write("authentication failed\n")
            return 1
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(5)
    # DST.ADDR/PORT: where the client will send from
    c.sendall(b"\x05\x03\x00\x01" + socket.inet_aton("127.0.0.1") +
              struct.pack(">H", u.getsockname()[1]))
    head = recv_exact(c, 4)
    if head[1] != 0:
        sys.stderr.write("reply %d\n" % head[1])
        return 1
    if head[3] != 1:
        sys.stderr.write("unexpected address type %d\n" % head[3])
        return 1
    raddr = socket.inet_ntoa(recv_exact(c, 4))
    rport = struct.unpack(">H", recv_exact(c, 2))[0]
    hdr = b"\x00\x00\x00\x01" + socket.inet_aton("127.0.0.1") + \
        struct.pack(">H", dport)
    # a fragment (FRAG 1) is dropped by the relay; the whole one is not
    u.sendto(b"\x00\x00\x01" + hdr[3:] + b"fragment", (raddr, rport))
    u.sendto(hdr + msg.encode(), (raddr, rport))
    try:
        b, _ = u.recvfrom(65536)
    except socket.timeout:
        sys.stderr.write("no answer\n")
        return 2
    if b[:4] != b"\x00\x00\x00\x01":
        sys.stderr.write("bad header %r\n" % b[:4])
        return 1
    ip = socket.inet_ntoa(b[4:8])
    port = struct.unpack(">H", b[8:10])[0]
    print("%s:%d %s" % (ip, port, b[10:].decode(errors="replace")))
    c.close()
    return 0


sys.exit(main())
