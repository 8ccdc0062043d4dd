#!/usr/bin/env python3
"""WebSocket peers for tests/cli/ws.bats.

Real peers (python3-websockets):
  ws_peer.py echo-server [--tls CERT KEY] [PROTO...]
                                      echo every message back (same type);
                                      prints the port, serves until killed;
                                      with --tls over TLS (wss)
  ws_peer.py client URL [--proto P] [--binary] [--ca CA] [--expect N] MSG...
                                      send each message, print each reply
                                      as "text 'x'" / "binary b'x'"; a
                                      wss:// URL is checked against CA;
                                      --expect N: no replies to the
                                      messages: print "open", send them,
                                      then print the next N messages

A scripted misbehaving peer, modelled on the Autobahn test suite's case
groups (framing, ping/pong, reserved bits, opcodes, fragmentation,
UTF-8, limits, close handling), on raw sockets so that it can break
every rule:
  ws_peer.py conform-server-side PORT
      play each case as a client against the skit server on
      127.0.0.1:PORT (an echo: skit listen -k --exec cat with binary
      messages framed by len, max-message=1k); one line per case, exit 1
      when one fails
  ws_peer.py conform-client-side SKIT
      play each case as a server, with `SKIT connect` as the client, one
      process per case; the same report

Every wait is bounded (5 s).
"""
import asyncio
import base64
import hashlib
import os
import socket
import struct
import subprocess
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
T = 5.0


# --- real peers ------------------------------------------------------------

def echo_server(protos):
    import websockets
    ssl_ctx = None
    if protos[:1] == ["--tls"]:
        import ssl
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.load_cert_chain(protos[1], protos[2])
        protos = protos[3:]

    async def handler(ws, path=None):
        try:
            async for m in ws:
                await ws.send(m)
        except websockets.ConnectionClosed:
            pass

    async def main():
        async with websockets.serve(handler, "127.0.0.1", 0,
                                    subprotocols=protos or None,
                                    max_size=2 ** 22, ssl=ssl_ctx) as s:
            print(s.sockets[0].getsockname()[1], flush=True)
            await asyncio.Future()

    asyncio.run(main())


def client(argv):
    import websockets
    url, proto, binary, msgs = argv[0], None, False, []
    ssl_ctx = None
    expect = None
    i = 1
    while i < len(argv):
        if argv[i] == "--proto":
            proto = argv[i + 1]
            i += 2
            continue
        if argv[i] == "--expect":
            expect = int(argv[i + 1])
            i += 2
            continue
        if argv[i] == "--ca":
            import ssl
            ssl_ctx = ssl.create_default_context(cafile=argv[i + 1])
            i += 2
            continue
        if argv[i] == "--binary":
            binary = True
        else:
            msgs.append(argv[i])
        i += 1

    async def main():
        async with websockets.connect(
                url, subprotocols=[proto] if proto else None,
                max_size=2 ** 22, ssl=ssl_ctx) as ws:
            if proto:
                print("subprotocol", ws.subprotocol)
            if expect is not None:
                print("open", flush=True)
            for m in msgs:
                await ws.send(m.encode() if binary else m)
                if expect is not None:
                    continue
                r = await asyncio.wait_for(ws.recv(), T)
                kind = "text" if isinstance(r, str) else "binary"
                print(kind, repr(r), flush=True)
            for _ in range(expect or 0):
                r = await asyncio.wait_for(ws.recv(), T)
                kind = "text" if isinstance(r, str) else "binary"
                print(kind, repr(r), flush=True)
        print("close", ws.close_code, flush=True)

    asyncio.run(main())


def hold(logfile, marker):
    """An HTTP server that answers its one request only once logfile
    holds marker (15 s at most): a page that loads from it is not done
    loading before then (headless Chromium's --dump-dom waits for it)."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    print(ls.getsockname()[1], flush=True)
    ls.settimeout(30)
    s, _ = ls.accept()
    end = time.monotonic() + 15
    while time.monotonic() < end:
        try:
            if marker in open(logfile).read():
                break
        except OSError:
            pass
        time.sleep(0.05)
    s.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    s.close()


# --- frames ----------------------------------------------------------------

def frame(op, payload=b"", fin=True, mask=True, rsv=0, key=b"\x11\x22\x33\x44"):
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        h = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        h = struct.pack("!BBH", b0, m | 126, n)
    else:
        h = struct.pack("!BBQ", b0, m | 127, n)
    if mask:
        payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
        h += key
    return h + payload


class Conn:
    """One raw connection: bytes in, frames out, with a deadline."""

    def __init__(self, sock):
        self.s = sock
        self.s.settimeout(T)
        self.buf = b""

    def need(self, n):
        end = time.monotonic() + T
        while len(self.buf) < n:
            if time.monotonic() > end:
                raise TimeoutError("no data")
            d = self.s.recv(65536)
            if not d:
                raise EOFError("closed")
            self.buf += d

    def take(self, n):
        self.need(n)
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def read_frame(self):
        b0, b1 = self.take(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.take(8))[0]
        key = self.take(4) if b1 & 0x80 else None
        p = self.take(n)
        if key:
            p = bytes(c ^ key[i % 4] for i, c in enumerate(p))
        return b0 & 0x0F, bool(b0 & 0x80), bool(b1 & 0x80), p

    def read_message(self):
        """The next data message (pongs skipped): (op, payload)."""
        op0, data = None, b""
        while True:
            op, fin, _, p = self.read_frame()
            if op == 0xA:
                continue
            if op >= 8:
                return op, p
            op0 = op0 if op == 0 else op
            data += p
            if fin:
                return op0, data

    def read_close(self):
        """The close frame's code (None: empty), skipping the rest."""
        while True:
            op, _, _, p = self.read_frame()
            if op == 8:
                return struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None

    def send(self, data, chunk=0):
        if not chunk:
            self.s.sendall(data)
            return
        for i in range(0, len(data), chunk):
            self.s.sendall(data[i:i + chunk])


def client_handshake(port, path="/"):
    s = socket.create_connection(("127.0.0.1", port), timeout=T)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: " + key + b"\r\n"
              b"Sec-WebSocket-Version: 13\r\n\r\n")
    c = Conn(s)
    while b"\r\n\r\n" not in c.buf:
        c.need(len(c.buf) + 1)
    head, c.buf = c.buf.split(b"\r\n\r\n", 1)
    want = base64.b64encode(hashlib.sha1(key + GUID).digest())
    if not head.startswith(b"HTTP/1.1 101") or want not in head:
        raise AssertionError("bad answer: %r" % head)
    return c


# --- cases against a skit server (we are the client) ----------------------

ECHO = "echo"


def echo_case(frames, want, chunk=0):
    def run(c):
        c.send(b"".join(frames), chunk)
        op, p = c.read_message()
        if p != want:
            raise AssertionError("echo %r, wanted %r" % (p[:40], want[:40]))
    return run


def close_case(frames, code, chunk=0):
    def run(c):
        c.send(b"".join(frames), chunk)
        got = c.read_close()
        if got != code:
            raise AssertionError("close %r, wanted %r" % (got, code))
    return run


def pong_case(frames, want):
    def run(c):
        c.send(b"".join(frames))
        while True:
            op, _, masked, p = c.read_frame()
            if op == 0xA:
                if masked:
                    raise AssertionError("a server pong was masked")
                if p != want:
                    raise AssertionError("pong %r" % p)
                return
            if op == 8:
                raise AssertionError("closed instead of a pong")
    return run


def server_cases():
    B, TX, C, P, PO, CL = 2, 1, 0, 9, 10, 8
    big = os.urandom(70000)
    u8 = "κόσμε-€-😀".encode()
    cases = [
        # framing: payload lengths around the 7/16/64-bit boundaries
        # an empty message has no bytes to carry on a stream: dropped
        ("framing 0 bytes", echo_case([frame(B, b""), frame(B, b"a")],
                                      b"a")),
        ("framing 125 bytes", echo_case([frame(B, big[:125])], big[:125])),
        ("framing 126 bytes", echo_case([frame(B, big[:126])], big[:126])),
        ("framing 1000 bytes, 1-byte writes",
         echo_case([frame(B, big[:1000])], big[:1000], chunk=1)),
        # ping/pong
        ("ping empty", pong_case([frame(P)], b"")),
        ("ping 125 bytes", pong_case([frame(P, b"p" * 125)], b"p" * 125)),
        ("ping 126 bytes", close_case([frame(P, b"p" * 126)], 1002)),
        ("unsolicited pong", echo_case([frame(PO, b"x"), frame(B, b"a")],
                                       b"a")),
        ("ping in 1-byte writes", pong_case([frame(P, b"abc")], b"abc")),
        # reserved bits
        ("rsv1", close_case([frame(B, b"x", rsv=4)], 1002)),
        ("rsv2", close_case([frame(B, b"x", rsv=2)], 1002)),
        ("rsv3 on a ping", close_case([frame(P, b"x", rsv=1)], 1002)),
        ("rsv after a good message",
         close_case([frame(B, b"a"), frame(B, b"x", rsv=7)], 1002)),
    ]
    # opcodes
    for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        cases.append(("opcode %d" % op, close_case([frame(op, b"")], 1002)))
    cases += [
        # fragmentation
        ("fragments", echo_case([frame(B, b"ab", fin=False),
                                 frame(C, b"cd", fin=False),
                                 frame(C, b"ef")], b"abcdef")),
        ("ping between fragments",
         pong_case([frame(B, b"ab", fin=False), frame(P, b"mid"),
                    frame(C, b"cd")], b"mid")),
        ("message after ping between fragments",
         echo_case([frame(B, b"ab", fin=False), frame(P, b"mid"),
                    frame(C, b"cd")], b"abcd")),
        ("empty fragments", echo_case([frame(B, b"", fin=False),
                                       frame(C, b"", fin=False),
                                       frame(C, b"z")], b"z")),
        ("continuation first", close_case([frame(C, b"x")], 1002)),
        ("new message inside one",
         close_case([frame(B, b"x", fin=False), frame(TX, b"y")], 1002)),
        ("fragmented ping", close_case([frame(P, b"x", fin=False),
                                        frame(C, b"y")], 1002)),
        # UTF-8
        ("utf8 valid", echo_case([frame(TX, u8)], u8)),
        ("utf8 split inside characters",
         echo_case([frame(TX, u8[:3], fin=False), frame(C, u8[3:9], fin=False),
                    frame(C, u8[9:])], u8)),
        ("utf8 invalid", close_case([frame(TX, b"a\xff")], 1007)),
        ("utf8 surrogate", close_case([frame(TX, b"\xed\xa0\x80")], 1007)),
        ("utf8 overlong", close_case([frame(TX, b"\xc0\xaf")], 1007)),
        ("utf8 invalid across fragments (fails fast)",
         close_case([frame(TX, b"ok\xce", fin=False),
                     frame(C, b"\x41", fin=False)], 1007)),
        ("utf8 ends inside a character",
         close_case([frame(TX, b"\xe2\x82")], 1007)),
        # limits (the server runs with max-message=1k)
        ("limit: 1024 bytes pass", echo_case([frame(B, big[:1024])],
                                            big[:1024])),
        ("limit: 1025 bytes", close_case([frame(B, big[:1025])], 1009)),
        ("limit: fragments over it",
         close_case([frame(B, big[:600], fin=False), frame(C, big[:600])],
                    1009)),
        ("limit: a 2^40 header", close_case(
            [struct.pack("!BBQ", 0x82, 0xFF, 1 << 40) + b"\0\0\0\0"], 1009)),
        # close handling
        ("close 1000", close_case([frame(CL, b"\x03\xe8")], 1000)),
        ("close with reason", close_case([frame(CL, b"\x03\xe8bye")], 1000)),
        ("close 3000", close_case([frame(CL, b"\x0b\xb8")], 3000)),
        ("close empty", close_case([frame(CL, b"")], None)),
        ("close 1 byte", close_case([frame(CL, b"\x03")], 1002)),
        ("close code 999", close_case([frame(CL, b"\x03\xe7")], 1002)),
        ("close code 1005", close_case([frame(CL, b"\x03\xed")], 1002)),
        ("close code 5000", close_case([frame(CL, b"\x13\x88")], 1002)),
        ("close reason not utf8",
         close_case([frame(CL, b"\x03\xe8\xff")], 1007)),
        ("unmasked frame", close_case([frame(B, b"x", mask=False)], 1002)),
    ]
    return cases


def conform_server_side(port):
    fails = 0
    for name, run in server_cases():
        try:
            c = client_handshake(port)
            run(c)
            c.s.close()
            print("ok", name, flush=True)
        except Exception as e:  # a case's failure, reported
            fails += 1
            print("FAIL", name + ":", repr(e), flush=True)
    return 1 if fails else 0


# --- cases against a skit client (we are the server) ----------------------

def serve_one(lsock):
    """Accept skit's connection and answer its handshake."""
    s, _ = lsock.accept()
    c = Conn(s)
    while b"\r\n\r\n" not in c.buf:
        c.need(len(c.buf) + 1)
    head, c.buf = c.buf.split(b"\r\n\r\n", 1)
    key = [ln.split(b":", 1)[1].strip() for ln in head.split(b"\r\n")
           if ln.lower().startswith(b"sec-websocket-key:")][0]
    acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
    return c, acc


def answer(c, acc):
    c.s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
                b"\r\n\r\n")


def client_cases():
    TX, B, C, P, CL = 1, 2, 0, 9, 8

    def expect_close(code):
        def run(c, acc, out):
            answer(c, acc)
            send = {1002: frame(TX, b"x", mask=True),
                    1007: frame(TX, b"\xff", mask=False)}[code]
            c.s.sendall(send)
            got = c.read_close()
            if got != code:
                raise AssertionError("close %r" % got)
            return None
        return run

    def rsv(c, acc, out):
        answer(c, acc)
        c.s.sendall(frame(TX, b"x", mask=False, rsv=4))
        got = c.read_close()
        if got != 1002:
            raise AssertionError("close %r" % got)

    def pong(c, acc, out):
        answer(c, acc)
        c.s.sendall(frame(P, b"hey", mask=False))
        op, _, masked, p = c.read_frame()
        if op != 0xA or p != b"hey" or not masked:
            raise AssertionError("got %r %r %r" % (op, masked, p))
        c.s.sendall(frame(CL, b"\x03\xe8", mask=False))
        c.read_close()

    def fragments(c, acc, out):
        answer(c, acc)
        c.s.sendall(frame(TX, b"hel", fin=False, mask=False) +
                    frame(P, b"", mask=False) +
                    frame(C, b"lo", mask=False) +
                    frame(CL, b"\x03\xe8", mask=False))
        code = c.read_close()
        if code != 1000:
            raise AssertionError("close %r" % code)
        return b"hello\n"

    def masked_frame(c, acc, out):
        answer(c, acc)
        c.s.sendall(frame(TX, b"x", mask=True))
        if c.read_close() != 1002:
            raise AssertionError("no 1002")

    def no_close(c, acc, out):
        answer(c, acc)
        c.s.sendall(frame(TX, b"bye", mask=False))
        c.s.shutdown(socket.SHUT_WR)
        return b"bye\n"

    def status_404(c, acc, out):
        c.s.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    def bad_accept(c, acc, out):
        answer(c, b"AAAAAAAAAAAAAAAAAAAAAAAAAAA=")

    def pinged(c, acc, out):
        answer(c, acc)
        op, _, masked, p = c.read_frame()
        if op != P or not masked:
            raise AssertionError("got opcode %r" % op)
        c.s.sendall(frame(0xA, p, mask=False) +
                    frame(CL, b"\x03\xe8", mask=False))
        c.read_close()

    # (name, play, exit code skit must end with, stderr must contain,
    # address options)
    return [
        ("ping-interval= pings", pinged, 0, "", ",ping-interval=50ms"),
        ("server frame masked", masked_frame, 1, "masked"),
        ("reserved bits", rsv, 1, "1002"),
        ("invalid utf8", expect_close(1007), 1, "1007"),
        ("ping answered by a masked pong", pong, 0, ""),
        ("fragments with a ping inside", fragments, 0, ""),
        ("no close frame (1006)", no_close, 7, "1006"),
        ("404 answer", status_404, 1, "HTTP/1.1 404 Not Found"),
        ("wrong Sec-WebSocket-Accept", bad_accept, 1, "Accept"),
    ]


def conform_client_side(skit):
    fails = 0
    for case in client_cases():
        name, play, code, err_has = case[:4]
        opts = case[4] if len(case) > 4 else ""
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        ls.settimeout(T)
        port = ls.getsockname()[1]
        p = subprocess.Popen([skit, "connect", "-w", "5",
                              "ws://127.0.0.1:%d/c%s" % (port, opts)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            c, acc = serve_one(ls)
            want_out = play(c, acc, None)
            c.s.close()
            out, err = p.communicate(input=b"", timeout=T)
            if p.returncode != code:
                raise AssertionError("exit %d, wanted %d: %s" %
                                     (p.returncode, code, err))
            if err_has and err_has.encode() not in err:
                raise AssertionError("stderr %r" % err)
            if want_out is not None and out != want_out:
                raise AssertionError("stdout %r" % out)
            print("ok", name, flush=True)
        except Exception as e:
            fails += 1
            print("FAIL", name + ":", repr(e), flush=True)
            p.kill()
            p.wait()
        finally:
            ls.close()
    return 1 if fails else 0


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "echo-server":
        echo_server(sys.argv[2:])
    elif mode == "client":
        client(sys.argv[2:])
    elif mode == "conform-server-side":
        sys.exit(conform_server_side(int(sys.argv[2])))
    elif mode == "hold":
        hold(sys.argv[2], sys.argv[3])
    elif mode == "conform-client-side":
        sys.exit(conform_client_side(sys.argv[2]))
    else:
        sys.exit("usage: ws_peer.py echo-server|client|conform-*")
