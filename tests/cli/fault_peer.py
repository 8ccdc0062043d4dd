#!/usr/bin/env python3
"""tests/cli/fault_peer.py - clients for faults.bats (not a test itself).

  udp HOST PORT N SIZE WAIT   send N datagrams of SIZE bytes ("id:" and
                              filler), then read replies until WAIT s pass
                              without one; print "ID BITS MS" per reply
                              (BITS: how many bits differ from what was
                              sent; MS: since the first send)
  storm HOST PORT N           open N TCP connections 100 at a time, send a
                              byte on each and drop it at once (every
                              other one with a reset); print "done N"
Everything is bounded (at most 60 s).
"""
import socket
import struct
import sys
import time


def payload(i, size):
    # the id at both ends: two payloads differ in 2 bits at least, so a
    # payload with one bit flipped is nearest to its own
    head, tail = b"%d:" % i, b":%d" % i
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


def udp(host, port, n, size, wait):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    sent = {}
    t0 = time.time()
    for i in range(n):
        p = payload(i, size)
        sent[i] = p
        s.send(p)
        time.sleep(0.0005)
    s.settimeout(wait)
    end = time.time() + 60
    while time.time() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        best = (-1, -1)
        for j, r in sent.items():
            if len(r) == len(b):
                d = sum(bin(x ^ y).count("1") for x, y in zip(r, b))
                if best[0] < 0 or d < best[1]:
                    best = (j, d)
        i, bits = best
        print(i, bits, int((time.time() - t0) * 1000))


def storm(host, port, n):
    done = 0
    end = time.time() + 60
    while done < n and time.time() < end:
        batch = []
        for _ in range(min(100, n - done)):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.settimeout(5)
            c.connect((host, port))
            c.send(b"x")
            batch.append(c)
        for k, c in enumerate(batch):
            if k % 2:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
            c.close()
        done += len(batch)
    print("done", done)


if __name__ == "__main__":
    if sys.argv[1] == "udp":
        udp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
            int(sys.argv[5]), float(sys.argv[6]))
    elif sys.argv[1] == "storm":
        storm(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
