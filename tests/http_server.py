#!/usr/bin/env python3
"""tests/http_server.py - a small HTTP/1.1 server for `skit get` tests.

It sends what real servers rarely do, byte for byte: chunked bodies with
odd chunk sizes, extensions and trailers, 1xx interim responses, bodies
cut short, oversized heads, slow or silent responses, and content
codings (gzip, deflate with and without its zlib wrapper, stacked,
corrupt, cut short, unsupported). Each path is one scenario (see
ROUTES). It binds port 0 (or --port) and prints
"listening on tcp:HOST:PORT" on stderr; stop it by its PID.

  python3 tests/http_server.py [--bind 127.0.0.1] [--dump DIR]

--dump DIR writes the exact body each body scenario sends to DIR/NAME.bin
so tests can compare what skit wrote with what was meant.
"""
import argparse
import socket
import socketserver
import sys
import threading
import time
import zlib


def pattern(n, seed=7):
    """n deterministic, non-repeating-looking bytes."""
    out = bytearray(n)
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)


CHUNKED_BODY = pattern(200003)
# Odd sizes: 1, a prime, more than a read buffer, one byte, the rest.
CHUNK_SIZES = [1, 7, 4093, 65537, 1, 100000, 30364]
assert sum(CHUNK_SIZES) == len(CHUNKED_BODY)
CLOSE_BODY = pattern(70001, seed=3)
# Text that compresses well, then bytes that do not: the coded scenarios
# all carry this content.
CODED_BODY = b"".join(b"line %d of the coded body\n" % i
                      for i in range(20000)) + pattern(50001, seed=5)


def gzip_data(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, 16 + 15)
    return c.compress(data) + c.flush()


def zlib_data(data):
    return zlib.compress(data, 6)


def raw_deflate(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


CODED_GZIP = gzip_data(CODED_BODY)
counters = {}
lock = threading.Lock()


def count(key):
    with lock:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]


def head(status, reason, fields, lf="\r\n"):
    lines = ["HTTP/1.1 %d %s" % (status, reason)] + list(fields)
    return (lf.join(lines) + lf + lf).encode()


class Handler(socketserver.BaseRequestHandler):
    def read_request(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return None, None, b""
            data += chunk
        h, _, rest = data.partition(b"\r\n\r\n")
        lines = h.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        n = int(fields.get("content-length", "0"))
        while len(rest) < n:
            chunk = self.request.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.req_head = h + b"\r\n\r\n"
        self.req_fields = fields
        return method, target, rest

    def send(self, b):
        self.request.sendall(b)

    def send_chunked(self, data, sizes=(1, 7, 4093, 65537)):
        """data as chunks of the given sizes, then the rest, then 0."""
        off = 0
        for n in list(sizes) + [len(data)]:
            part = data[off:off + n]
            if part:
                self.send(b"%x\r\n" % len(part) + part + b"\r\n")
            off += len(part)
        self.send(b"0\r\n\r\n")

    def send_coded(self, coding, data):
        self.send(head(200, "OK", ["Content-Encoding: %s" % coding,
                                   "Content-Length: %d" % len(data)]) + data)

    def handle(self):
        try:
            method, target, body = self.read_request()
        except (ConnectionError, ValueError):
            return
        if method is None:
            return
        path, _, query = target.partition("?")
        fn = ROUTES.get(path)
        if fn is None:
            self.send(head(404, "Not Found", ["Content-Length: 10"]) +
                      b"not found\n")
            return
        try:
            fn(self, method, query, body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # --- scenarios -------------------------------------------------

    def r_chunked(self, method, query, body):
        self.send(head(200, "OK", ["Transfer-Encoding: chunked",
                                   "Trailer: X-Checksum"]))
        off = 0
        for i, n in enumerate(CHUNK_SIZES):
            ext = ";name=\"v\"" if i % 2 else ""
            size = ("%x" % n).upper() if i % 3 == 0 else "%x" % n
            self.send(("%s%s\r\n" % (size, ext)).encode() +
                      CHUNKED_BODY[off:off + n] + b"\r\n")
            off += n
        self.send(b"0\r\nX-Checksum: 12345\r\nX-Other: two\r\n\r\n")

    def r_chunked_short(self, method, query, body):
        self.send(head(200, "OK", ["Transfer-Encoding: chunked"]))
        self.send(b"10\r\n0123456789")  # 16 announced, 10 sent
        self.request.shutdown(socket.SHUT_WR)

    def r_continue(self, method, query, body):
        self.send(head(100, "Continue", []))
        self.send(head(102, "Processing", ["X-Step: 1"]))
        self.send(head(103, "Early Hints", ["Link: </a.css>; rel=preload"]) +
                  head(200, "OK", ["Content-Length: 6"]) + b"final\n")

    def r_short(self, method, query, body):
        self.send(head(200, "OK", ["Content-Length: 100000"]))
        self.send(CLOSE_BODY[:5000])
        self.request.shutdown(socket.SHUT_WR)

    def r_close(self, method, query, body):
        # No length, no chunking: the body ends when the server closes.
        self.send(head(200, "OK", ["Connection: close"]) + CLOSE_BODY)
        self.request.shutdown(socket.SHUT_WR)

    def r_bighead(self, method, query, body):
        fields = ["X-Pad-%d: %s" % (i, "p" * 1000) for i in range(90)]
        self.send(head(200, "OK", fields + ["Content-Length: 2"]) + b"x\n")

    def r_manyheaders(self, method, query, body):
        fields = ["X-F%d: v" % i for i in range(150)]
        self.send(head(200, "OK", fields + ["Content-Length: 2"]) + b"x\n")

    def r_slowhead(self, method, query, body):
        # Never answers in time: the client's idle timeout must fire.
        time.sleep(20)

    def r_slowbody(self, method, query, body):
        self.send(head(200, "OK", ["Content-Length: 10000"]) +
                  CLOSE_BODY[:100])
        time.sleep(20)

    def r_nocontent(self, method, query, body):
        # A 204 with no body; the connection stays open. A client that
        # waits for a body would hang here.
        self.send(head(204, "No Content", ["X-A: b"]))
        time.sleep(20)

    def r_notmodified(self, method, query, body):
        self.send(head(304, "Not Modified", ["Content-Length: 50"]))
        time.sleep(20)

    def r_headonly(self, method, query, body):
        # HEAD gets a Content-Length but no body; the connection stays.
        self.send(head(200, "OK", ["Content-Length: 12345"]))
        if method != "HEAD":
            self.send(pattern(12345))
        else:
            time.sleep(20)

    def r_lf(self, method, query, body):
        self.send(head(200, "OK", ["Content-Length: 3"], lf="\n") + b"lf\n")

    def r_echo(self, method, query, body):
        out = self.req_head + body
        self.send(head(200, "OK", ["Content-Length: %d" % len(out),
                                   "Content-Type: text/plain"]) + out)

    def r_flaky(self, method, query, body):
        # 503 for the first N requests with this query, then 200.
        n = int(query.split("&")[0] or "2")
        if count("flaky?" + query) <= n:
            self.send(head(503, "Service Unavailable",
                           ["Content-Length: 5"]) + b"busy\n")
        else:
            self.send(head(200, "OK", ["Content-Length: 3"]) + b"ok\n")

    def r_status500(self, method, query, body):
        count("status500")
        self.send(head(500, "Internal Server Error", ["Content-Length: 4"]) +
                  b"err\n")

    def r_count(self, method, query, body):
        with lock:
            n = counters.get(query, 0)
        self.send(head(200, "OK", ["Content-Length: %d" % len(str(n))]) +
                  str(n).encode())

    def r_badframe(self, method, query, body):
        self.send(head(200, "OK", ["Transfer-Encoding: chunked"]) +
                  b"zz\r\nhello\r\n0\r\n\r\n")

    def r_post_redirect(self, method, query, body):
        self.send(head(303, "See Other", ["Location: /echo",
                                          "Content-Length: 0"]))

    def r_redirect_307(self, method, query, body):
        self.send(head(307, "Temporary Redirect", ["Location: echo",
                                                   "Content-Length: 0"]))

    def r_bad_location(self, method, query, body):
        self.send(head(302, "Found", ["Location: ftp://elsewhere/x",
                                      "Content-Length: 0"]))

    # --- content codings (the content is CODED_BODY) ---------------

    def r_gzip(self, method, query, body):
        self.send_coded("gzip", CODED_GZIP)

    def r_x_gzip(self, method, query, body):
        self.send_coded("x-gzip", CODED_GZIP)

    def r_deflate(self, method, query, body):
        # zlib-wrapped (RFC 1950), in odd chunks.
        self.send(head(200, "OK", ["Content-Encoding: deflate",
                                   "Transfer-Encoding: chunked"]))
        self.send_chunked(zlib_data(CODED_BODY))

    def r_deflate_raw(self, method, query, body):
        # Bare RFC 1951 data, as some servers send "deflate"; the body
        # runs until the server closes.
        self.send(head(200, "OK", ["Content-Encoding: deflate",
                                   "Connection: close"]) +
                  raw_deflate(CODED_BODY))
        self.request.shutdown(socket.SHUT_WR)

    def r_gzip_deflate(self, method, query, body):
        # Stacked: gzip applied first, then deflate.
        self.send(head(200, "OK", ["Content-Encoding: gzip",
                                   "Content-Encoding: deflate",
                                   "Transfer-Encoding: chunked"]))
        self.send_chunked(zlib_data(CODED_GZIP))

    def r_gzip_gzip(self, method, query, body):
        self.send_coded("GZIP, identity, gzip", gzip_data(CODED_GZIP, 1))

    def r_gzip_multi(self, method, query, body):
        # Two gzip members one after the other (gzip -c a b).
        half = len(CODED_BODY) // 3
        self.send_coded("gzip", gzip_data(CODED_BODY[:half]) +
                        gzip_data(CODED_BODY[half:]))

    def r_gzip_empty(self, method, query, body):
        self.send(head(200, "OK", ["Content-Encoding: gzip",
                                   "Content-Length: 0"]))

    def r_gzip_corrupt(self, method, query, body):
        # The CRC-32 in the gzip trailer is wrong: every byte decodes,
        # and the check at the end fails.
        bad = bytearray(CODED_GZIP)
        bad[-8] ^= 0xFF
        self.send_coded("gzip", bytes(bad))

    def r_gzip_badblock(self, method, query, body):
        # A deflate block of the reserved type 3, right after the header.
        self.send_coded("gzip", CODED_GZIP[:10] + b"\x07" + b"\0" * 40)

    def r_gzip_truncated(self, method, query, body):
        # The framing is complete (Content-Length), the gzip data is not.
        self.send_coded("gzip", CODED_GZIP[:len(CODED_GZIP) // 2])

    def r_gzip_close_short(self, method, query, body):
        # Read until close, and the server stops halfway through.
        self.send(head(200, "OK", ["Content-Encoding: gzip"]) +
                  CODED_GZIP[:len(CODED_GZIP) // 2])
        self.request.shutdown(socket.SHUT_WR)

    def r_gzip_trailing(self, method, query, body):
        self.send_coded("gzip", CODED_GZIP + b"junk after the gzip data")

    def r_br(self, method, query, body):
        self.send_coded("br", b"\x1b\x03\x00\xf8\xa5\x82\x02")

    def r_te_gzip(self, method, query, body):
        # A transfer coding skit never asked for (it sends no TE).
        self.send(head(200, "OK", ["Transfer-Encoding: gzip, chunked"]))
        self.send_chunked(CODED_GZIP)

    def r_negotiate(self, method, query, body):
        # gzip when asked for, else identity; a Range is served over the
        # bytes actually sent, coded or not (RFC 9110 section 14.1.2).
        ae = self.req_fields.get("accept-encoding", "")
        coded = "gzip" in ae.lower()
        data = CODED_GZIP if coded else CODED_BODY
        fields = ["Vary: Accept-Encoding"]
        if coded:
            fields.append("Content-Encoding: gzip")
        rng = self.req_fields.get("range", "")
        if rng.startswith("bytes=") and rng.endswith("-"):
            first = int(rng[6:-1])
            fields.append("Content-Range: bytes %d-%d/%d" %
                          (first, len(data) - 1, len(data)))
            part = data[first:]
            self.send(head(206, "Partial Content", fields +
                           ["Content-Length: %d" % len(part)]) + part)
            return
        self.send(head(200, "OK", fields +
                       ["Content-Length: %d" % len(data)]) + data)


ROUTES = {
    "/chunked": Handler.r_chunked,
    "/chunked-short": Handler.r_chunked_short,
    "/continue": Handler.r_continue,
    "/short": Handler.r_short,
    "/close": Handler.r_close,
    "/bighead": Handler.r_bighead,
    "/manyheaders": Handler.r_manyheaders,
    "/slowhead": Handler.r_slowhead,
    "/slowbody": Handler.r_slowbody,
    "/nocontent": Handler.r_nocontent,
    "/notmodified": Handler.r_notmodified,
    "/headonly": Handler.r_headonly,
    "/lf": Handler.r_lf,
    "/echo": Handler.r_echo,
    "/flaky": Handler.r_flaky,
    "/status500": Handler.r_status500,
    "/count": Handler.r_count,
    "/badframe": Handler.r_badframe,
    "/post-redirect": Handler.r_post_redirect,
    "/redirect-307": Handler.r_redirect_307,
    "/bad-location": Handler.r_bad_location,
    "/gzip": Handler.r_gzip,
    "/x-gzip": Handler.r_x_gzip,
    "/deflate": Handler.r_deflate,
    "/deflate-raw": Handler.r_deflate_raw,
    "/gzip-deflate": Handler.r_gzip_deflate,
    "/gzip-gzip": Handler.r_gzip_gzip,
    "/gzip-multi": Handler.r_gzip_multi,
    "/gzip-empty": Handler.r_gzip_empty,
    "/gzip-corrupt": Handler.r_gzip_corrupt,
    "/gzip-badblock": Handler.r_gzip_badblock,
    "/gzip-truncated": Handler.r_gzip_truncated,
    "/gzip-close-short": Handler.r_gzip_close_short,
    "/gzip-trailing": Handler.r_gzip_trailing,
    "/br": Handler.r_br,
    "/te-gzip": Handler.r_te_gzip,
    "/negotiate": Handler.r_negotiate,
}


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Server6(Server):
    address_family = socket.AF_INET6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dump")
    a = ap.parse_args()
    if a.dump:
        with open(a.dump + "/chunked.bin", "wb") as f:
            f.write(CHUNKED_BODY)
        with open(a.dump + "/close.bin", "wb") as f:
            f.write(CLOSE_BODY)
        with open(a.dump + "/headonly.bin", "wb") as f:
            f.write(pattern(12345))
        with open(a.dump + "/coded.bin", "wb") as f:
            f.write(CODED_BODY)
    cls = Server6 if ":" in a.bind else Server
    srv = cls((a.bind, a.port), Handler)
    host, port = srv.server_address[:2]
    shown = "[%s]" % host if ":" in host else host
    print("listening on tcp:%s:%d" % (shown, port), file=sys.stderr,
          flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
