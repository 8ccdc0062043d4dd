#!/usr/bin/env bash
# bench/relay.sh - source -> relay -> sink over loopback TCP and unix
# sockets: skit relay, socat (default and -b 1048576), ncat, and a plain
# source -> sink without a relay, one run each, in one go; over TCP also
# a SOCKS5 tunnel through skit proxy and through microsocks (the source
# asks the proxy for the sink with a SOCKS5 CONNECT first).
#
#   bench/relay.sh [SIZE_MIB]        (default 2048 = 2 GiB)
#   ONLY="skit socat-b1M" bench/relay.sh 512    (some rows only)
#   ROUNDS=5 KINDS=tcp bench/relay.sh 1024       (5 interleaved rounds)
#
# Each row runs ROUNDS times (default 3), the rows interleaved round by
# round, and the table shows the median of each (with the spread of
# GiB/s): on a shared machine one run of each is too noisy to compare.
#
# Prints GiB/s at the sink (first byte to EOF), each relay as a ratio of
# socat's default, as a percentage of the plain transfer, and the relay
# process's CPU seconds per GiB (user+system from /usr/bin/time, children
# included, so ncat's --sh-exec helper counts). The source and sink are
# small Python loops over 1 MiB buffers (sendall / recv_into), the same
# for every row.
#
# KINDS=tls: the source speaks TLS to the relay, which terminates it and
# relays plain TCP to the sink: skit relay tls-listen vs socat
# OPENSSL-LISTEN (verify=0), stunnel4 and ncat --ssl, with a P-256
# certificate made here (the source is Python's ssl over the same
# 1 MiB buffers; the x socat column compares with socat's TLS row). The
# source offers one TLS 1.3 suite, TLS_CIPHER (TLS_AES_128_GCM_SHA256;
# or TLS_CHACHA20_POLY1305_SHA256, TLS_AES_256_GCM_SHA384), so every
# relay runs the same cipher whatever its own preference.
set -u
cd "$(dirname "$0")/.."
SKIT=${SKIT:-$PWD/build/skit}
MIB=${1:-2048}
BYTES=$((MIB * 1024 * 1024))
T=$(mktemp -d /tmp/skit-bench-relay.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

cat >"$T/peer.py" <<'PY'
import os, socket, ssl, sys, time
mode, kind = sys.argv[1], sys.argv[2]
def mk():
    return socket.socket(socket.AF_UNIX if kind == "unix" else socket.AF_INET,
                         socket.SOCK_STREAM)
if mode == "sink":
    s = mk()
    if kind == "unix":
        s.bind(sys.argv[3])
    else:
        s.bind(("127.0.0.1", 0))
    s.listen(1)
    s.settimeout(30)
    print(sys.argv[3] if kind == "unix" else s.getsockname()[1], flush=True)
    try:
        c, _ = s.accept()
    except socket.timeout:
        print("0 0", flush=True)
        sys.exit(1)
    c.settimeout(120)
    buf = bytearray(1 << 20)
    n = c.recv_into(buf)
    t0 = time.monotonic()
    total = n
    while n:
        n = c.recv_into(buf)
        total += n
    dt = time.monotonic() - t0
    print("%d %.6f" % (total, dt), flush=True)
else:
    addr, size = sys.argv[3], int(sys.argv[4])
    for _ in range(200):
        try:
            s = mk()
            s.connect(addr if kind == "unix" else ("127.0.0.1", int(addr)))
            break
        except OSError:
            s.close()
            time.sleep(0.02)
    else:
        sys.exit("source: cannot connect to %s" % addr)
    if kind == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    if len(sys.argv) > 5:  # a SOCKS5 proxy: CONNECT to 127.0.0.1:argv[5]
        s.sendall(b"\x05\x01\x00")
        if s.recv(2) != b"\x05\x00":
            sys.exit("source: the SOCKS5 proxy refused the method")
        s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" +
                  int(sys.argv[5]).to_bytes(2, "big"))
        r = b""
        while len(r) < 10:
            r += s.recv(10 - len(r))
        if r[1] != 0:
            sys.exit("source: SOCKS5 reply %d" % r[1])
    buf = memoryview(bytearray(1 << 20))
    left = size
    while left > 0:
        n = min(left, len(buf))
        s.sendall(buf[:n])
        left -= n
    if kind == "tls":
        s.settimeout(30)
        try:
            s = s.unwrap()  # close_notify, and the relay's
        except (OSError, ssl.SSLError):
            pass
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
PY

TLS_CIPHER=${TLS_CIPHER:-TLS_AES_128_GCM_SHA256}
if [[ " ${KINDS:-} " == *" tls "* ]]; then
	cat >"$T/client.cnf" <<CNF
openssl_conf = conf
[conf]
ssl_conf = ssl
[ssl]
system_default = tls
[tls]
Ciphersuites = $TLS_CIPHER
CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=localhost \
		>/dev/null 2>&1
	cat >"$T/stunnel.conf" <<CONF
foreground = yes
pid =
[bench]
accept = 127.0.0.1:STUNNEL_ACCEPT
connect = 127.0.0.1:STUNNEL_CONNECT
cert = $T/cert.pem
key = $T/key.pem
CONF
fi

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# run NAME KIND RELAYCMD... : the relay listens on $LADDR and dials $SADDR
run() {
	local name=$1 kind=$2
	shift 2
	# ONLY="skit socat-b1M": run just these rows (plain always runs)
	if [ -n "${ONLY:-}" ] && [ "$name" != plain ] &&
		[[ " $ONLY " != *" $name "* ]]; then
		return 0
	fi
	rm -f "$T"/*.sock "$T/sink.out" # a stale port would be read before the sink writes its own
	local sinkaddr=$T/sink.sock
	python3 "$T/peer.py" sink "$kind" "$sinkaddr" >"$T/sink.out" &
	local sink=$!
	for _ in $(seq 100); do [ -s "$T/sink.out" ] && break; sleep 0.02; done
	SADDR=$(head -1 "$T/sink.out")
	if [ "$kind" = unix ]; then LADDR=$T/relay.sock; else LADDR=$(free_port); fi
	local target=$LADDR socks=
	case $name in skit-proxy | microsocks) socks=$SADDR ;; esac
	if [ "$name" = plain ]; then
		target=$SADDR
	else
		if [ "$name" = stunnel ]; then
			sed "s/STUNNEL_ACCEPT/$LADDR/; s/STUNNEL_CONNECT/$SADDR/" \
				"$T/stunnel.conf" >"$T/st.conf"
		fi
		eval "set -- $*"
		/usr/bin/time -f "%U %S" -o "$T/time" "$@" 2>"$T/relay.err" &
		relay=$!
		for _ in $(seq 100); do
			if [ "$kind" = unix ]; then [ -S "$LADDR" ] && break
			else ss -ltn | grep -q ":$LADDR " && break; fi
			sleep 0.02
		done
	fi
	local cnf=
	[ "$kind" != tls ] || cnf=$T/client.cnf
	env ${cnf:+OPENSSL_CONF=$cnf} python3 "$T/peer.py" source "$kind" "$target" "$BYTES" $socks ||
		kill "$sink" 2>/dev/null
	wait "$sink"
	# stunnel serves on after its client: stop it (its time still counts)
	if [ "$name" = stunnel ]; then
		kill -TERM $(cat "/proc/$relay/task/$relay/children" 2>/dev/null) 2>/dev/null
	fi
	# a proxy serves on: stop it (the child of time, by its pid)
	[ -z "$socks" ] || kill -TERM $(pgrep -P "$relay") 2>/dev/null
	[ "$name" = plain ] || wait
	read -r got secs < <(tail -1 "$T/sink.out")
	: "${got:=0}" "${secs:=0}"
	local cpu=0
	[ "$name" = plain ] || cpu=$(tail -1 "$T/time" | awk '{print $1 + $2}')
	if [ "$got" != "$BYTES" ]; then
		echo "$kind $name: sink got $got bytes, expected $BYTES" >&2
		cat "$T/relay.err" >&2
	fi
	echo "$kind $name $got $secs $cpu" >>"$T/results"
}

ROUNDS=${ROUNDS:-3}
KINDS=${KINDS:-tcp unix}
ROWS=(plain skit skit-nosplice socat socat-b1M ncat stunnel skit-proxy microsocks)

# row_cmd NAME: the relay's command line for a row ($L $C $SL $SC $NL $NC
# expand when the row runs).
row_cmd() {
	case $1 in
	plain) echo "" ;;
	skit) echo "'$SKIT' relay $L $C" ;;
	skit-nosplice) echo "'$SKIT' relay --no-splice $L $C" ;;
	socat) echo "socat $SL $SC" ;;
	socat-b1M) echo "socat -b 1048576 $SL $SC" ;;
	ncat) echo "ncat $NL --sh-exec \"ncat $NC\"" ;;
	stunnel) echo "stunnel4 '$T/st.conf'" ;;
	skit-proxy) echo "'$SKIT' proxy tcp:127.0.0.1:\$LADDR" ;;
	microsocks) echo "microsocks -i 127.0.0.1 -p \$LADDR" ;;
	esac
}

# Rows that do not apply to a kind: TLS has no plain transfer or
# no-splice variant, stunnel only does TLS.
row_skip() {
	case $2:$1 in
	tls:plain | tls:skit-nosplice) return 0 ;;
	tcp:stunnel | unix:stunnel) return 0 ;;
	unix:skit-proxy | unix:microsocks | tls:skit-proxy | tls:microsocks) return 0 ;; # SOCKS5 rows: tcp only
	esac
	return 1
}

# Round r starts at row r (mod the row count): no row always runs right
# after the same neighbour (the first runs after a plain transfer came
# out slower, whatever ran there).
for round in $(seq "$ROUNDS"); do
	for kind in $KINDS; do
		if [ $kind = tcp ]; then
			L='tcp-listen:127.0.0.1:$LADDR' C='tcp:127.0.0.1:$SADDR'
			SL='TCP-LISTEN:$LADDR,bind=127.0.0.1,reuseaddr' SC='TCP:127.0.0.1:$SADDR'
			NL='-l 127.0.0.1 $LADDR' NC='127.0.0.1 $SADDR'
		else
			L='unix-listen:$LADDR' C='unix:$SADDR'
			SL='UNIX-LISTEN:$LADDR' SC='UNIX-CONNECT:$SADDR'
			NL='-l -U $LADDR' NC='-U $SADDR'
		fi
		if [ $kind = tls ]; then
			L="tls-listen:127.0.0.1:\$LADDR,cert=$T/cert.pem,key=$T/key.pem"
			C='tcp:127.0.0.1:$SADDR'
			SL="OPENSSL-LISTEN:\$LADDR,bind=127.0.0.1,reuseaddr,cert=$T/cert.pem,key=$T/key.pem,verify=0"
			SC='TCP:127.0.0.1:$SADDR'
			NL="--ssl --ssl-cert $T/cert.pem --ssl-key $T/key.pem -l 127.0.0.1 \$LADDR"
			NC='127.0.0.1 $SADDR'
		fi
		n=${#ROWS[@]}
		for ((i = 0; i < n; i++)); do
			name=${ROWS[$(((i + round) % n))]}
			row_skip "$name" "$kind" && continue
			run "$name" "$kind" "$(row_cmd "$name")"
		done
	done
done

echo "# skit relay bench: $MIB MiB per run, median of $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
[[ " $KINDS " != *" tls "* ]] || echo "# tls: TLS 1.3, $TLS_CIPHER (the only suite the source offers)"
awk -v bytes="$BYTES" -v rowlist="${ROWS[*]}" -v kinds="$KINDS" '
function median(list,   a, n, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++)
    for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
      t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
    }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(list,   a, n, i, m) {
  n = split(list, a, " "); m = a[1]
  for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]
  return m
}
function hi(list,   a, n, i, m) {
  n = split(list, a, " "); m = a[1]
  for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]
  return m
}
{ k = $1 " " $2
  kind[k] = $1; name[k] = $2
  g[k] = g[k] " " ($4 > 0 ? bytes / 1073741824 / $4 : 0)
  c[k] = c[k] " " $5 }
END {
  nk = split(kinds, ks, " "); nr = split(rowlist, rs, " ")
  for (a = 1; a <= nk; a++)
    for (b = 1; b <= nr; b++)
      if ((ks[a] " " rs[b]) in g) order[++rows] = ks[a] " " rs[b]
  for (r = 1; r <= rows; r++) {
    k = order[r]; med[k] = median(g[k])
    if (name[k] == "socat") base[kind[k]] = med[k]
    if (name[k] == "plain") plain[kind[k]] = med[k]
  }
  printf "%-5s %-14s %8s %12s %10s %9s %12s\n", "kind", "relay", "GiB/s", "(min-max)", "x socat", "% plain", "cpu s/GiB"
  for (r = 1; r <= rows; r++) {
    k = order[r]
    printf "%-5s %-14s %8.2f %12s %10.2f %8.0f%% %12s\n", kind[k], name[k], med[k],
      sprintf("%.2f-%.2f", lo(g[k]), hi(g[k])),
      base[kind[k]] ? med[k] / base[kind[k]] : 0,
      plain[kind[k]] ? 100 * med[k] / plain[kind[k]] : 0,
      name[k] == "plain" ? "-" : sprintf("%.2f", median(c[k]) / (bytes / 1073741824))
  }
}' "$T/results"
