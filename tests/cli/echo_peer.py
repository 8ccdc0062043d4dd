#!/usr/bin/env python3
"""tests/cli/echo_peer.py - test clients for echo.bats (not a test itself).

  echo_peer.py exact ADDR          messages of 0 (datagrams), 1, 1000 and
                                   64 KiB bytes come back unchanged
  echo_peer.py many ADDR N         N connections at once, distinct
                                   payloads, none mixed
  echo_peer.py midway ADDR N PID   N connections each send 256 KiB in
                                   pieces; after the first echoes, SIGTERM
                                   PID; every byte must still come back
  echo_peer.py alone ADDR          one connection served alone (blocking
                                   reads): request/response rounds, a
                                   16 MiB burst; a second client must
                                   still be served while it keeps the
                                   server busy, a third while it idles;
                                   prints the bytes echoed in all

ADDR is skit's form (tcp:127.0.0.1:P, udp:[::1]:P, unix:/p, unix:@n,
unix-dgram:..., unix-seqpacket:...). Exit 0 on success, 1 with a message.
"""
import os
import selectors
import signal
import socket
import sys
import threading
import time

DEADLINE = 30.0


def parse(addr):
    kind, _, target = addr.partition(":")
    if kind in ("tcp", "udp", "tcp4", "tcp6", "udp4", "udp6"):
        host, _, port = target.rpartition(":")
        fam = socket.AF_INET
        if host.startswith("["):
            host, fam = host[1:-1], socket.AF_INET6
        typ = socket.SOCK_STREAM if kind.startswith("tcp") else socket.SOCK_DGRAM
        return fam, typ, (host, int(port))
    typ = {"unix": socket.SOCK_STREAM, "unix-dgram": socket.SOCK_DGRAM,
           "unix-seqpacket": socket.SOCK_SEQPACKET}[kind]
    name = "\0" + target[1:] if target.startswith("@") else target
    return socket.AF_UNIX, typ, name


def connect(addr):
    fam, typ, sa = parse(addr)
    s = socket.socket(fam, typ)
    if fam == socket.AF_UNIX and typ == socket.SOCK_DGRAM:
        s.bind("")  # autobind: the server needs a name to answer to
    s.settimeout(10)
    s.connect(sa)
    return s, typ


def fail(msg):
    print("echo_peer: " + msg, file=sys.stderr)
    sys.exit(1)


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            fail("EOF after %d of %d bytes" % (len(buf), n))
        buf += b
    return bytes(buf)


def exact(addr):
    s, typ = connect(addr)
    big = 65507 if addr.startswith("udp") else 65536
    sizes = [1, 1000, big]
    if typ == socket.SOCK_DGRAM:
        sizes = [0] + sizes
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    for n in sizes:
        msg = os.urandom(n)
        s.sendall(msg) if typ == socket.SOCK_STREAM else s.send(msg)
        if typ == socket.SOCK_STREAM:
            got = recv_exact(s, n)
        else:
            got = s.recv(big + 1)
        if got != msg:
            fail("%d-byte message came back as %d different bytes"
                 % (n, len(got)))
    if typ == socket.SOCK_STREAM:
        s.shutdown(socket.SHUT_WR)
        if s.recv(1) != b"":
            fail("data after the echo")
    s.close()
    print("ok %s %s" % (addr, sizes))


def run_conns(addr, conns, payloads, on_progress=None):
    """Send each payload on its connection (in pieces), read it back."""
    sel = selectors.DefaultSelector()
    state = {}
    for s, p in zip(conns, payloads):
        s.setblocking(False)
        state[s] = [p, 0, bytearray()]  # payload, sent, received
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    left = len(conns)
    end = time.monotonic() + DEADLINE
    while left:
        if time.monotonic() > end:
            fail("timed out with %d connections unfinished" % left)
        for key, ev in sel.select(1.0):
            s = key.fileobj
            p, sent, got = state[s]
            if ev & selectors.EVENT_WRITE and sent < len(p):
                try:
                    sent += s.send(p[sent:sent + 16384])
                except BlockingIOError:
                    pass
                state[s][1] = sent
                if sent == len(p):
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    b = s.recv(65536)
                except BlockingIOError:
                    continue
                if not b:
                    fail("EOF after %d of %d bytes" % (len(got), len(p)))
                if p[len(got):len(got) + len(b)] != b:
                    fail("payload mixed up after byte %d" % len(got))
                got += b
                if on_progress:
                    on_progress(s)
                if len(got) == len(p):
                    sel.unregister(s)
                    s.close()
                    left -= 1
    sel.close()


def many(addr, n):
    conns = []
    for i in range(n):
        s, _ = connect(addr)
        conns.append(s)
    payloads = [(b"conn-%06d:" % i) * (50 + i % 50) for i in range(n)]
    run_conns(addr, conns, payloads)
    print("ok %d connections" % n)


def midway(addr, n, pid):
    conns = [connect(addr)[0] for _ in range(n)]
    payloads = [os.urandom(256 * 1024) for _ in range(n)]
    sent = []

    # The signal once every connection has had an echo back: all of
    # them accepted, none finished (each is 256 KiB, a read at most 64).
    # Earlier, one still in the listener's queue would be reset when the
    # server closes its listener (as nginx's graceful stop does).
    answered = set()

    def progress(s):
        answered.add(s)
        if not sent and len(answered) == n:
            os.kill(pid, signal.SIGTERM)
            sent.append(1)
    run_conns(addr, conns, payloads, progress)
    if not sent:
        fail("never signalled")
    print("ok %d connections completed across SIGTERM" % n)


def rounds(s, n, size):
    for i in range(n):
        msg = os.urandom(size)
        s.sendall(msg)
        if recv_exact(s, size) != msg:
            fail("round %d: %d-byte message came back different" % (i, size))


def second_client(addr, what):
    """A client that arrives while the first one is served alone: it must
    be accepted and answered (the server's blocking read of the first
    one ends on the listener's signal). Returns the bytes it exchanged."""
    b, _ = connect(addr)
    b.settimeout(5)
    try:
        rounds(b, 20, 100)
    except socket.timeout:
        fail("client not answered while the first one %s" % what)
    b.shutdown(socket.SHUT_WR)
    if b.recv(1) != b"":
        fail("client arriving while the first one %s: data after the echo"
             % what)
    b.close()
    return 20 * 100


def alone(addr):
    a, _ = connect(addr)
    total = 0
    # Request/response: from the second message on, the server reads
    # this connection blocking, outside its loop.
    for size in (1, 64, 1000, 65536):
        rounds(a, 50, size)
        total += 50 * size
    # A burst bigger than both socket buffers, not read for a while: the
    # server's non-blocking send comes up short, it keeps the tail and
    # goes back to its loop until we read.
    blob = os.urandom(16 << 20)
    sender = threading.Thread(target=a.sendall, args=(blob,))
    sender.start()
    time.sleep(0.5)
    if recv_exact(a, len(blob)) != blob:
        fail("burst came back different")
    sender.join()
    total += len(blob)
    rounds(a, 20, 64)
    total += 20 * 64
    # a keeps the server busy, request after request, while a second
    # client arrives: the server must not stay with a as long as a talks.
    stop, busy, errors = threading.Event(), [0], []

    def keep_busy():
        msg = bytes(range(64))
        while not stop.is_set() and busy[0] < 1000000:
            a.sendall(msg)
            if recv_exact(a, 64) != msg:
                errors.append("busy round %d came back different" % busy[0])
                return
            busy[0] += 1
    talker = threading.Thread(target=keep_busy)
    talker.start()
    time.sleep(0.3)
    total += second_client(addr, "talks")
    stop.set()
    talker.join()
    if errors:
        fail(errors[0])
    if busy[0] == 0:
        fail("the first client was not answered while busy")
    total += 64 * busy[0]
    # a idles in the middle of its exchange: a third client is still
    # accepted and answered (the server's blocking read of a is
    # interrupted, not held until a speaks again).
    total += second_client(addr, "idles")
    # a is alone again, and still served.
    rounds(a, 20, 64)
    total += 20 * 64
    a.shutdown(socket.SHUT_WR)
    if a.recv(1) != b"":
        fail("data after the echo")
    a.close()
    print("ok alone %s bytes=%d" % (addr, total))


def main():
    cmd, addr = sys.argv[1], sys.argv[2]
    if cmd == "exact":
        exact(addr)
    elif cmd == "many":
        many(addr, int(sys.argv[3]))
    elif cmd == "midway":
        midway(addr, int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "alone":
        alone(addr)
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
