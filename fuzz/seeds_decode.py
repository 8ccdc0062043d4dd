#!/usr/bin/env python3
"""Regenerate the seed corpus of fuzz_decode (fuzz/corpus/decode/).

Each seed is: a byte choosing the codings (bits 0-1: how many minus one;
bit 2+i set: coding i is deflate, else gzip; listed in the order
applied), a byte choosing piece size and output room, then the body.
"""
import os
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "corpus", "decode")
TEXT = b"".join(b"line %d of a coded body\n" % i for i in range(300))


def gz(d):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(d) + c.flush()


def raw(d):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(d) + c.flush()


def put(name, codings, tune, body):
    sel = len(codings) - 1
    for i, k in enumerate(codings):
        if k == "deflate":
            sel |= 4 << i
    os.makedirs(ROOT, exist_ok=True)
    with open(os.path.join(ROOT, name), "wb") as f:
        f.write(bytes([sel, tune]) + body)


put("gzip", ["gzip"], 0x00, gz(TEXT))
put("gzip-small-pieces", ["gzip"], 0x31, gz(TEXT))
put("zlib", ["deflate"], 0x07, zlib.compress(TEXT))
put("raw", ["deflate"], 0x20, raw(TEXT))
put("members", ["gzip"], 0x05, gz(TEXT[:100]) + gz(b"") + gz(TEXT[100:]))
put("stacked", ["gzip", "deflate"], 0x13, zlib.compress(gz(TEXT)))
put("stacked3", ["gzip", "deflate", "gzip"], 0x00, gz(raw(gz(TEXT))))
put("truncated", ["gzip"], 0x00, gz(TEXT)[:200])
put("trailing", ["gzip"], 0x00, gz(TEXT) + b"junk")
put("zeros", ["gzip"], 0x00, gz(b"\0" * 100000))
put("empty", ["gzip"], 0x00, b"")
