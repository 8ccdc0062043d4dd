#!/usr/bin/env python3
"""relay_peer.py - independent peers for tests/cli/relay*.bats.

The peers are plain Python sockets, so skit relay is checked against an
implementation that is not skit. Every mode starts `$SKIT relay ...` itself
(with fork so one relay serves all cases), drives it, and exits 0 on
success or 1 with a message naming the first mismatch.

  matrix A B SIZES ORDERS   integrity: for each size and who-closes-first,
                            both directions, sha256 compared
  msgs TYPE N               SEQPACKET or UDP boundaries: N messages of
                            varied sizes, echoed back, compared one by one
  concurrent N SIZE         N connections at once, each its own payload
  hold ADDR                 connect, never read (for kill -9 tests)

A and B are tcp4, tcp6, unix (a path) or abstract. Environment: SKIT (the
binary), RELAY_ENV_PRELOAD (LD_PRELOAD for the relay only), TMPDIR.
"""
import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

SKIT = os.environ.get("SKIT", "build/skit")
TMP = os.environ.get("BATS_TEST_TMPDIR") or os.environ.get("TMPDIR", "/tmp")
TIMEOUT = 20


RELAYS = []


def fail(msg):
    sys.stderr.write("relay_peer: FAIL: " + msg + "\n")
    for r in RELAYS:  # never leave a relay behind
        if r.poll() is None:
            r.kill()
            r.wait()
    sys.stdout.flush()
    os._exit(1)


def relay_env():
    env = dict(os.environ)
    pre = os.environ.get("RELAY_ENV_PRELOAD")
    if pre:
        env["LD_PRELOAD"] = pre
        env["SKIT_FAULT_COMM"] = "skit"
        # the shim is not sanitized: let ASan accept it in front of it
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + \
            ":verify_asan_link_order=0"
    return env


class Relay:
    """skit relay -v ARGS in the background; .addr is its listen address."""

    def __init__(self, args):
        self.err = open(os.path.join(TMP, "relay.%d.err" % os.getpid()),
                        "w+b")
        self.p = subprocess.Popen([SKIT, "relay", "-v"] + args,
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=self.err, env=relay_env())
        RELAYS.append(self.p)
        deadline = time.time() + 10
        while time.time() < deadline:
            self.err.seek(0)
            m = re.search(rb"listening on (\S+)", self.err.read())
            if m:
                self.addr = m.group(1).decode()
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        self.err.seek(0)
        fail("relay did not listen: %r" % self.err.read()[-2000:])

    def log(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def stop(self):
        # A stopped skit ends by the signal it got (docs/exit-codes.md).
        self.p.terminate()
        rc = self.p.wait(10)
        if rc != -signal.SIGTERM:
            fail("relay exited %d on SIGTERM:\n%s" % (rc, self.log()[-3000:]))
        return rc


def sock_for(kind, name):
    """A listening socket of kind, and its address in skit's grammar."""
    if kind == "tcp4":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        return s, "tcp:127.0.0.1:%d" % s.getsockname()[1]
    if kind == "tcp6":
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        return s, "tcp:[::1]:%d" % s.getsockname()[1]
    if kind == "unix":
        path = os.path.join(TMP, name + ".sock")
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        return s, "unix:" + path
    if kind == "abstract":
        n = "skit-test-%d-%s" % (os.getpid(), name)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0" + n)
        return s, "unix:@" + n
    fail("unknown kind " + kind)


def listen_arg(kind, name):
    """The relay's listening address for kind."""
    if kind == "tcp4":
        return "tcp-listen:127.0.0.1:0,fork"
    if kind == "tcp6":
        return "tcp-listen:[::1]:0,fork"
    if kind == "unix":
        return "unix-listen:%s,fork" % os.path.join(TMP, name + ".relay.sock")
    if kind == "abstract":
        return "unix-listen:@skit-test-%d-%s-r,fork" % (os.getpid(), name)
    fail("unknown kind " + kind)


def connect(addr):
    """Connect to an address in skit's form (as printed by the relay)."""
    if addr.startswith("unix:"):
        p = addr[5:]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\0" + p[1:] if p.startswith("@") else p)
        return s
    m = re.match(r"tcp:\[(.*)\]:(\d+)$", addr)
    if m:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.connect((m.group(1), int(m.group(2))))
        return s
    m = re.match(r"tcp:(.*):(\d+)$", addr)
    if m:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect((m.group(1), int(m.group(2))))
        return s
    fail("cannot connect to " + addr)


def send_stream(s, size, seed):
    """Send size bytes of a seeded pattern; return its sha256."""
    h = hashlib.sha256()
    block = bytearray(hashlib.sha256(b"%d" % seed).digest() * 32768)
    left, i = size, 0
    while left > 0:
        struct.pack_into("<Q", block, 0, i)
        n = min(left, len(block))
        mv = memoryview(block)[:n]
        h.update(mv)
        s.sendall(mv)
        left -= n
        i += 1
    return h.hexdigest()


def recv_stream(s):
    """Read to EOF; return (bytes, sha256)."""
    h = hashlib.sha256()
    buf = bytearray(1 << 20)
    mv = memoryview(buf)
    total = 0
    while True:
        n = s.recv_into(buf)
        if n == 0:
            break
        h.update(mv[:n])
        total += n
    return total, h.hexdigest()


def exchange(s, size, seed, first):
    """first: send, shut down, then read; else read to EOF, then send."""
    s.settimeout(TIMEOUT)
    if first:
        sent = send_stream(s, size, seed)
        s.shutdown(socket.SHUT_WR)
        got = recv_stream(s)
    else:
        got = recv_stream(s)
        sent = send_stream(s, size, seed)
        s.shutdown(socket.SHUT_WR)
    s.close()
    return sent, got


def matrix(a, b, sizes, orders):
    srv, baddr = sock_for(b, "b")
    srv.listen(16)
    relay = Relay([listen_arg(a, "a"), baddr])
    cases = [(int(z), o) for z in sizes.split(",") for o in orders.split(",")]
    for size, order in cases:
        res = {}

        def server():
            c, _ = srv.accept()
            res["srv"] = exchange(c, size, 2, order == "server")

        t = threading.Thread(target=server)
        t.start()
        c = connect(relay.addr)
        cli = exchange(c, size, 1, order == "client")
        t.join(TIMEOUT)
        if "srv" not in res:
            fail("%s->%s size %d %s first: server got nothing" %
                 (a, b, size, order))
        ssent, sgot = res["srv"]
        csent, cgot = cli
        what = "%s->%s size %d, %s closes first" % (a, b, size, order)
        if sgot != (size, csent):
            fail("%s: A->B differs: sent %d %s, got %d %s" %
                 (what, size, csent, sgot[0], sgot[1]))
        if cgot != (size, ssent):
            fail("%s: B->A differs: sent %d %s, got %d %s" %
                 (what, size, ssent, cgot[0], cgot[1]))
    # every pair closed cleanly with eof
    deadline = time.time() + 10
    while time.time() < deadline and \
            relay.log().count("closed: eof") < len(cases):
        time.sleep(0.02)
    log = relay.log()
    if log.count("closed: eof") != len(cases):
        fail("%s->%s: expected %d clean closes:\n%s" %
             (a, b, len(cases), log[-3000:]))
    relay.stop()
    srv.close()
    print("ok %s->%s %d cases" % (a, b, len(cases)))


def msgs(kind, n):
    """Boundaries: an echo backend behind the relay, ping-pong N msgs."""
    if kind == "seqpacket":
        fam, typ = socket.AF_UNIX, socket.SOCK_SEQPACKET
        bname = "\0skit-test-%d-sb" % os.getpid()
        back = socket.socket(fam, typ)
        back.bind(bname)
        back.listen(4)
        baddr = "unix-seqpacket:@" + bname[1:]
        front = "unix-seqpacket-listen:@skit-test-%d-sr,fork" % os.getpid()
    else:
        fam, typ = socket.AF_INET, socket.SOCK_DGRAM
        back = socket.socket(fam, typ)
        back.bind(("127.0.0.1", 0))
        baddr = "udp:127.0.0.1:%d" % back.getsockname()[1]
        front = "udp-listen:127.0.0.1:0,fork"

    def echo():
        if typ == socket.SOCK_SEQPACKET:
            c, _ = back.accept()
            while True:
                m = c.recv(1 << 17)
                if not m:
                    break
                c.send(m)
            c.close()
        else:
            for _ in range(n):
                m, peer = back.recvfrom(1 << 17)
                back.sendto(m, peer)

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    relay = Relay([front, baddr])
    c = socket.socket(fam, typ)
    c.settimeout(10)
    if typ == socket.SOCK_SEQPACKET:
        c.connect("\0" + relay.addr.split("@", 1)[1])
    else:
        m = re.match(r"udp:(.*):(\d+)$", relay.addr)
        c.connect((m.group(1), int(m.group(2))))
    for i in range(n):
        size = 1 + (i * 7919) % (60000 if kind == "udp" else 100000)
        payload = struct.pack("<I", i) * (size // 4 + 1)
        payload = payload[:size]
        c.send(payload)
        try:
            got = c.recv(1 << 17)
        except socket.timeout:
            fail("%s message %d (%d bytes): no echo" % (kind, i, size))
        if got != payload:
            fail("%s message %d: sent %d bytes, got %d back, differing" %
                 (kind, i, size, len(got)))
    c.close()
    relay.stop()
    print("ok %s %d messages" % (kind, n))


def concurrent(n, size):
    back = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    back.bind(("127.0.0.1", 0))
    back.listen(128)

    def serve(c):
        c.settimeout(TIMEOUT)
        while True:
            d = c.recv(1 << 16)
            if not d:
                break
            c.sendall(d)
        c.shutdown(socket.SHUT_WR)
        c.close()

    def acceptor():
        while True:
            try:
                c, _ = back.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=acceptor, daemon=True).start()
    relay = Relay(["tcp-listen:127.0.0.1:0,fork",
                   "tcp:127.0.0.1:%d" % back.getsockname()[1]])
    errors = []
    socks = [connect(relay.addr) for _ in range(n)]

    def client(i, s):
        s.settimeout(TIMEOUT)
        payload = (b"conn-%03d|" % i) * (size // 9 + 1)
        payload = payload[:size]
        got = bytearray()

        def reader():
            while True:
                d = s.recv(1 << 16)
                if not d:
                    break
                got.extend(d)

        rt = threading.Thread(target=reader)
        rt.start()
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        rt.join(TIMEOUT)
        s.close()
        if bytes(got) != payload:
            errors.append("connection %d: sent %d bytes, got %d back%s" %
                          (i, len(payload), len(got),
                           " (mixed)" if len(got) == len(payload) else ""))

    ts = [threading.Thread(target=client, args=(i, s))
          for i, s in enumerate(socks)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(TIMEOUT)
    if errors:
        fail("; ".join(errors[:5]))
    log = relay.log()
    opened = len(re.findall(r"relay #\d+ open", log))
    if opened != n:
        fail("expected %d connections in the log, saw %d" % (n, opened))
    relay.stop()
    back.close()
    print("ok %d concurrent connections" % n)


def hold(addr):
    """Connect and never read, so kill -9 leaves unread data (an RST)."""
    s = connect(addr)
    s.send(b"x")
    time.sleep(60)


def main():
    cmd = sys.argv[1]
    if cmd == "matrix":
        matrix(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "msgs":
        msgs(sys.argv[2], int(sys.argv[3]))
    elif cmd == "concurrent":
        concurrent(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "hold":
        hold(sys.argv[2])
    else:
        fail("unknown mode " + cmd)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a time-out or a refused connect
        fail("%s: %s" % (type(e).__name__, e))
