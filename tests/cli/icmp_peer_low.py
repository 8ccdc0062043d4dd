#!/usr/bin/env python3
"""tests/cli/icmp_peer_low.py ADDR HOLD LATE LAST DELAY [GATE] - an ICMP
echo peer for the `skit ping` late/out-of-order tests.

Run it inside a namespace whose kernel ignores echo requests
(net.ipv4.icmp_echo_ignore_all=1, net.ipv6.icmp.echo_ignore_all=1). It
answers echo requests to ADDR (IPv4 or IPv6) on a raw socket, keyed by
the echo sequence number:

  HOLD    held back, sent right after the reply to HOLD+1 (out of order)
  LATE    held back until request LAST arrives and at least DELAY
          seconds have passed since LATE arrived (pick DELAY well above
          skit's -W: late); then LATE is answered, then LAST
  others  answered at once

With GATE (a file name), LATE is answered as soon as GATE exists and
DELAY seconds have passed since LATE arrived, whatever else came.

So the order of events is fixed by the peer, not by timing. Prints
"listening on icmp:ADDR" on stderr once the socket is open, one line per
request received ("got N") and reply sent ("sent N"), and exits after
answering LAST (or after 20 s at most).
"""
import os
import select
import socket
import struct
import sys
import time

addr = sys.argv[1]
hold, late, last = (int(x) for x in sys.argv[2:5])
delay = float(sys.argv[5])
gate = sys.argv[6] if len(sys.argv) > 6 else None
v6 = ":" in addr

if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.bind((addr, 0))
    REQ, REP = 128, 129
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((addr, 0))
    REQ, REP = 8, 0
print("listening on icmp:%s" % addr, file=sys.stderr, flush=True)


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def reply(req, dst):
    """req: the echo request's ICMP message (header and data)."""
    ident, seq = struct.unpack("!HH", req[4:8])
    msg = struct.pack("!BBHHH", REP, 0, 0, ident, seq) + req[8:]
    if not v6:  # the kernel fills in the ICMPv6 checksum itself
        msg = msg[:2] + struct.pack("!H", cksum(msg)) + msg[4:]
    s.sendto(msg, dst)
    print("sent %d" % seq, file=sys.stderr, flush=True)


held = {}  # seq -> (request, source, arrival)
seen = set()
end = time.monotonic() + 20
while time.monotonic() < end:
    if gate and late in held and os.path.exists(gate) and \
            time.monotonic() >= held[late][2] + delay:
        pkt_l, dst_l, _ = held.pop(late)
        reply(pkt_l, dst_l)
        if late == last:
            sys.exit(0)
    r, _, _ = select.select([s], [], [], 0.02 if gate else 0.5)
    if not r:
        continue
    pkt, src = s.recvfrom(70000)
    if not v6:
        pkt = pkt[(pkt[0] & 0x0f) * 4:]  # strip the IPv4 header
    if len(pkt) < 8 or pkt[0] != REQ or pkt[1] != 0:
        continue
    seq = struct.unpack("!H", pkt[6:8])[0]
    if seq in seen:
        continue
    seen.add(seq)
    print("got %d" % seq, file=sys.stderr, flush=True)
    dst = src if v6 else (src[0], 0)
    if seq in (hold, late):
        held[seq] = (pkt, dst, time.monotonic())
        continue
    if seq == last and late in held and not gate:
        pkt_l, dst_l, t_l = held.pop(late)
        wait = t_l + delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        reply(pkt_l, dst_l)
    reply(pkt, dst)
    if seq == hold + 1 and hold in held:
        pkt_h, dst_h, _ = held.pop(hold)
        reply(pkt_h, dst_h)
    if seq == last:
        sys.exit(0)
sys.exit(1)
