#!/usr/bin/env bash
# bench/proxy-syscalls.sh - system calls of `skit proxy` for one fixed
# workload, a count that machine load does not change: one 64 MiB
# SOCKS5 CONNECT tunnel (python source -> skit proxy -> python sink),
# then a UDP ASSOCIATE with 2000 512-byte datagrams, each answered by
# the destination and relayed back. Runs skit proxy under strace -f -c.
#
#   bench/proxy-syscalls.sh [SKIT] [OUT]     (default build/skit, stdout)
#
# Compare two builds interleaved (A B B A); the totals differ only by
# EAGAIN reads when a datagram comes before the next wakeup.
set -eu
BIN=${1:-$PWD/build/skit}
OUT=${2:-/dev/stdout}
E=$(mktemp)
T=$(mktemp)
strace -f -c -o "$T" "$BIN" -v proxy tcp:127.0.0.1:0 2>"$E" &
SP=$!
for i in $(seq 100); do grep -q "listening on" "$E" && break; sleep 0.05; done
PORT=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$E" | head -1)
python3 - "$PORT" <<'PY'
import socket, struct, sys, threading
pp = int(sys.argv[1])
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
sport = ls.getsockname()[1]
got = [0]
def sink():
    c, _ = ls.accept()
    while True:
        b = c.recv(1 << 20)
        if not b: break
        got[0] += len(b)
    c.close()
t = threading.Thread(target=sink); t.start()
s = socket.create_connection(("127.0.0.1", pp), timeout=30)
s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", sport))
r = s.recv(10); assert r[1] == 0, r
buf = b"x" * (1 << 20)
for i in range(64): s.sendall(buf)
s.shutdown(socket.SHUT_WR); s.recv(1); s.close(); t.join()
assert got[0] == 64 << 20, got
# UDP ASSOCIATE: 2000 datagrams to an echo, each answered
d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); d.bind(("127.0.0.1", 0)); d.settimeout(5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); u.settimeout(5)
c = socket.create_connection(("127.0.0.1", pp))
c.sendall(b"\x05\x01\x00"); c.recv(2)
c.sendall(b"\x05\x03\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", u.getsockname()[1]))
r = c.recv(10); rel = (socket.inet_ntoa(r[4:8]), struct.unpack(">H", r[8:10])[0])
hdr = b"\x00\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", d.getsockname()[1])
for i in range(2000):
    u.sendto(hdr + b"y" * 512, rel)
    m, a = d.recvfrom(2048); d.sendto(m, a)
    u.recvfrom(2048)
c.close()
PY
sleep 0.3
kill -TERM "$(pgrep -P $SP)"
wait $SP 2>/dev/null || true
cat "$T" >"$OUT"
rm -f "$E" "$T"
