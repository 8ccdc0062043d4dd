#!/usr/bin/env python3
"""Regenerate the seed corpora of fuzz_icmp, fuzz_pkt and fuzz_nl.

Run as root from the repository root: it dumps NETLINK_ROUTE inside a
throwaway network namespace (ip netns), so the netlink seeds are real
kernel messages; ICMP and frame seeds are built here.
"""
import os
import socket
import struct
import subprocess

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(kind, name, data):
    os.makedirs(os.path.join(ROOT, kind), exist_ok=True)
    with open(os.path.join(ROOT, kind, name), "wb") as f:
        f.write(data)


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp(t, code, rest, payload=b""):
    h = struct.pack("!BBH", t, code, 0) + rest + payload
    return struct.pack("!BBH", t, code, cksum(h)) + rest + payload


def ip4(proto, body, src="10.0.0.1", dst="10.0.0.2", ttl=64):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0, ttl,
                       proto, 0, socket.inet_aton(src),
                       socket.inet_aton(dst)) + body


def ip6(nh, body, src="fd00::1", dst="fd00::2"):
    return struct.pack("!IHBB16s16s", 0x60000000, len(body), nh, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + body


def eth(t, body):
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" + struct.pack("!H", t) + body


def tcp(sp, dp, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sp, dp, 100, 7, 5 << 4, flags, 512, 0,
                       0) + payload


def udp(sp, dp, payload=b""):
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload


def seeds_icmp():
    payload = b"TOKEN123" + bytes(range(48))
    echo = struct.pack("!HH", 0x1234, 1)
    put("icmp", "reply4", b"\0" + icmp(0, 0, echo, payload))
    put("icmp", "reply4_iphdr", b"\2" + ip4(1, icmp(0, 0, echo, payload)))
    req = icmp(8, 0, echo, payload)
    quoted = ip4(1, req, "10.0.0.1", "10.9.9.9", ttl=1)[:28]
    put("icmp", "ttl_exceeded4", b"\2" + ip4(1, icmp(11, 0, b"\0" * 4,
                                                     quoted)))
    put("icmp", "unreach4", b"\2" + ip4(1, icmp(3, 1, b"\0" * 4, quoted)))
    put("icmp", "fragneeded4", b"\2" + ip4(1, icmp(3, 4, b"\0\0\x05\xdc",
                                                   quoted)))
    put("icmp", "reply6", b"\1" + struct.pack("!BBH", 129, 0, 0) + echo +
        payload)
    q6 = ip6(58, struct.pack("!BBH", 128, 0, 0) + echo + payload)[:48]
    put("icmp", "timeex6", b"\1" + struct.pack("!BBHI", 3, 0, 0, 0) + q6)
    put("icmp", "toobig6", b"\1" + struct.pack("!BBHI", 2, 0, 0, 1280) + q6)
    put("icmp", "short", b"\2\x45\0")


def seeds_pkt():
    put("pkt", "tcp4_syn", b"\0" + eth(0x0800, ip4(6, tcp(40000, 80, 2))))
    put("pkt", "tcp4_data", b"\0" + eth(0x0800, ip4(6, tcp(80, 40000, 0x18,
                                                           b"hello"))))
    put("pkt", "udp6", b"\0" + eth(0x86DD, ip6(17, udp(53, 5353, b"abc"))))
    hbh = bytes([17, 0]) + b"\0" * 6
    put("pkt", "udp6_hbh", b"\0" + eth(0x86DD, ip6(0, hbh + udp(1, 2, b"x"))))
    frag = struct.pack("!BBHI", 17, 0, 0x0008, 1)
    put("pkt", "ip6_frag", b"\0" + eth(0x86DD, ip6(44, frag + b"\0" * 8)))
    put("pkt", "icmp4_echo", b"\0" + eth(0x0800, ip4(1, icmp(
        8, 0, struct.pack("!HH", 9, 10), b"x" * 56))))
    put("pkt", "icmp6_ns", b"\0" + eth(0x86DD, ip6(58, struct.pack(
        "!BBHI", 135, 0, 0, 0) + b"\0" * 16)))
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, b"\2" * 6,
                      socket.inet_aton("10.0.0.1"), b"\0" * 6,
                      socket.inet_aton("10.0.0.2"))
    put("pkt", "arp", b"\0" + eth(0x0806, arp))
    vlan = struct.pack("!HH", 42, 0x0800) + ip4(17, udp(1, 2, b"v"))
    put("pkt", "vlan", b"\0" + eth(0x8100, vlan))
    put("pkt", "l3_ipv4", b"\1\x08\x00" + ip4(17, udp(5, 6, b"tun")))
    put("pkt", "ipv4_frag", b"\0" + eth(0x0800, ip4(17, b"\0" * 8)[:6] +
                                         b"\0\x10" + ip4(17, b"")[8:20] +
                                         b"\0" * 8))
    put("pkt", "truncated_tcp", b"\0" + eth(0x0800, ip4(6, tcp(1, 2, 2)))[
        :40])


def seeds_nl():
    ns = "skit-seed-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        def ip(*a):
            subprocess.run(["ip", "-n", ns] + list(a), check=True)
        ip("link", "set", "lo", "up")
        ip("link", "add", "va", "type", "veth", "peer", "name", "vb")
        ip("addr", "add", "10.7.0.1/24", "dev", "va")
        ip("addr", "add", "fd00:7::1/64", "dev", "va", "nodad")
        ip("addr", "add", "10.7.1.1", "peer", "10.7.1.2", "dev", "vb")
        ip("link", "set", "va", "up")
        code = r'''
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
for t, fam, out in ((18, 0, "links"), (22, 0, "addrs")):
    body = struct.pack("BxxxiII", fam, 0, 0, 0) if t == 18 else \
        struct.pack("BBBBI", fam, 0, 0, 0, 0)
    s.send(struct.pack("=IHHII", 16 + len(body), t, 0x301, 1, 0) + body)
    data = b""
    while True:
        d = s.recv(65536)
        data += d
        if struct.unpack_from("=H", d, 4)[0] == 3 or len(data) > 60000:
            break
    open(sys.argv[1] + "/" + out, "wb").write(data)
'''
        tmp = os.path.join(ROOT, "nl")
        os.makedirs(tmp, exist_ok=True)
        subprocess.run(["ip", "netns", "exec", ns, "python3", "-c", code,
                        tmp], check=True)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    err = struct.pack("=IHHIIi", 36, 2, 0, 1, 0, -1) + b"\0" * 16
    put("nl", "error", err)
    put("nl", "done", struct.pack("=IHHIIi", 20, 3, 2, 1, 0, 0))


if __name__ == "__main__":
    seeds_icmp()
    seeds_pkt()
    seeds_nl()
