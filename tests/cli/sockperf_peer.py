#!/usr/bin/env python3
"""tests/cli/sockperf_peer.py - a server that answers like sockperf's, for
bench.bats (not a test itself).

  sockperf_peer.py tcp|udp [MODE]

Prints its port, then answers every sockperf ping: a 14-byte header
(64-bit sequence, 16-bit flags, 32-bit length, big-endian) with the flags
"client" (1) and "pong request" (2) set and the length equal to the
message's. The reply is the message with "client" cleared, as sockperf's
server sends it; a message that is not such a ping closes a TCP
connection (sockperf's server does the same) or is dropped (UDP).
MODE bends the reply so a test can see skit bench notice:
  flag8   also sets a bit in the flags' high byte (byte 8)
  flag9   sets flag 4 instead of clearing "client" (byte 9)
Stops after 30 s.
"""
import socket
import struct
import sys
import threading
import time

HDR = struct.Struct(">QHI")
mode = sys.argv[2] if len(sys.argv) > 2 else ""


def answer(msg):
    """The reply to msg, or None if msg is not a sockperf ping."""
    if len(msg) < HDR.size:
        return None
    seq, flags, length = HDR.unpack_from(msg)
    if flags & 3 != 3 or length != len(msg):
        return None
    flags &= ~1
    if mode == "flag8":
        flags |= 0x100
    elif mode == "flag9":
        flags |= 4 | 1
    return HDR.pack(seq, flags, length) + msg[HDR.size:]


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        k = c.recv(n - len(b))
        if not k:
            return None
        b += k
    return b


def serve_tcp(c):
    with c:
        while True:
            hdr = recv_exact(c, HDR.size)
            if hdr is None:
                return
            length = HDR.unpack(hdr)[2]
            if length < HDR.size or length > 1 << 20:
                return
            rest = recv_exact(c, length - HDR.size)
            reply = answer(hdr + rest) if rest is not None else None
            if reply is None:
                return
            c.sendall(reply)


def main():
    udp = sys.argv[1] == "udp"
    s = socket.socket(socket.AF_INET,
                      socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1], flush=True)
    end = time.monotonic() + 30
    s.settimeout(0.5)
    if not udp:
        s.listen(64)
    while time.monotonic() < end:
        try:
            if udp:
                msg, peer = s.recvfrom(65536)
                reply = answer(msg)
                if reply is not None:
                    s.sendto(reply, peer)
            else:
                c, _ = s.accept()
                c.settimeout(None)
                threading.Thread(target=serve_tcp, args=(c,),
                                 daemon=True).start()
        except socket.timeout:
            continue


main()
