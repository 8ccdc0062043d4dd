#!/usr/bin/env bash
# bench/tls.sh - TLS handshakes per second against one skit echo over TLS
# (TLS 1.3, a P-256 certificate made here, X25519 key exchange), one
# connection at a time, each client like for like:
#
#   hs    connect + full handshake per connection, nothing else timed:
#         skit bench -m conns -n N -s 0 (dials the next connection once
#               the handshake of the last is done; they are closed, with
#               close_notify, after the timing)
#         openssl s_time -new (closes each connection at once, without
#               close_notify; its rate here is connections over the wall
#               time of the run less its start-up (loading the CA store,
#               measured here against a closed port), not over its "real
#               seconds", which are whole seconds, one more than -time)
#   crr   skit bench -m crr -s 64: the same plus a 64-byte request, its
#         echo and close_notify before close: one round trip more, and
#         the server's session tickets are read; s_time has no such mode
#         (its -www needs a server that closes), so this row has no peer
#
#   bench/tls.sh                 ROUNDS (4) rounds, DUR (3) seconds a run
#   CALLGRIND=1 bench/tls.sh     also instructions per connection (client
#                                and server) under valgrind: the measure
#                                a loaded machine does not change
#
# The runs alternate A B B A (skit, s_time, s_time, skit) round by round,
# with the load average beside each; the table shows medians.
set -u
cd "$(dirname "$0")/.."
SKIT=${SKIT:-$PWD/build/skit}
ROUNDS=${ROUNDS:-4}
DUR=${DUR:-3}
T=$(mktemp -d /tmp/skit-bench-tls.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1

# server [WRAP...]: a skit echo over TLS in the background; sets PORT, SRV
server() {
	rm -f "$T/srv.out"
	"$@" "$SKIT" -v echo -t 1 \
		"tls-listen:127.0.0.1:0,cert=$T/cert.pem,key=$T/key.pem" \
		>"$T/srv.out" 2>&1 &
	SRV=$!
	PORT=
	for _ in $(seq 300); do
		PORT=$(sed -n 's/.*listening on tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$T/srv.out")
		[ -n "$PORT" ] && break
		sleep 0.05
	done
	[ -n "$PORT" ] || { echo "tls.sh: the server did not start" >&2; exit 1; }
}

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }

# skit_hs N: handshakes/s of N connections
skit_hs() {
	"$SKIT" bench -m conns -n "$1" -s 0 -d 0.01 --json \
		"tls:127.0.0.1:$PORT,ca=$T/cert.pem" 2>/dev/null |
		jq -r '.setup_per_s | floor' 2>/dev/null || echo 0
}

# stime: handshakes/s over DUR seconds, by the wall clock less START
stime() {
	local t0 t1 n
	t0=$(now)
	n=$(openssl s_time -connect "127.0.0.1:$PORT" -new -time "$DUR" 2>/dev/null |
		sed -n 's/^\([0-9]*\) connections in [0-9]* real.*/\1/p' | head -1)
	t1=$(now)
	awk -v n="${n:-0}" -v a="$t0" -v b="$t1" -v s="$START" \
		'BEGIN { printf "%d", n / (b - a - s) }'
}

# START: s_time's start-up and exit, the least of 3 runs that fail at
# once (a closed port)
START=9
for _ in 1 2 3; do
	t0=$(now)
	openssl s_time -connect 127.0.0.1:1 -new -time 1 >/dev/null 2>&1
	t1=$(now)
	START=$(awk -v a="$t0" -v b="$t1" -v m="$START" 'BEGIN { d = b - a; print d < m ? d : m }')
done

skit_crr() {
	"$SKIT" bench -m crr -s 64 -c 1 -d "$DUR" --json \
		"tls:127.0.0.1:$PORT,ca=$T/cert.pem" 2>/dev/null |
		jq -r '.requests_per_s | floor' 2>/dev/null || echo 0
}

server
echo "# skit bench/tls.sh: TLS handshakes/s against skit echo tls-listen, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
echo "# $("$SKIT" --version | head -1); $(openssl version)"
# the hs run of skit takes about as long as s_time's: N from a short run
n=$(( $(skit_hs 200) * DUR ))
[ "$n" -ge 100 ] || n=100
echo "# skit: $n connections a run; s_time: $DUR s a run (start-up ${START}s, not counted)"
printf '%-6s %-6s %10s %10s %10s %8s\n' round order skit-hs s_time skit-crr load
for r in $(seq "$ROUNDS"); do
	# A B B A: the order flips each round
	if [ $((r % 2)) = 1 ]; then
		a=$(skit_hs "$n"); b=$(stime); b2=$(stime); a2=$(skit_hs "$n")
		order=ABBA
	else
		b=$(stime); a=$(skit_hs "$n"); a2=$(skit_hs "$n"); b2=$(stime)
		order=BAAB
	fi
	c=$(skit_crr)
	printf '%-6s %-6s %10s %10s %10s %8s\n' "$r" $order "$a $a2" "$b $b2" "$c" "$(load)"
	echo "$a $a2 $b $b2 $c" >>"$T/rows"
done
# med: the median of the numbers on stdin (whitespace-separated)
med() {
	tr -s ' ' '\n' | grep . | sort -g |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf 'median  skit-hs %.0f/s  s_time %.0f/s  skit-crr %.0f/s\n' \
	"$(cut -d' ' -f1,2 "$T/rows" | med)" "$(cut -d' ' -f3,4 "$T/rows" | med)" \
	"$(cut -d' ' -f5 "$T/rows" | med)"
printf 'skit hs / s_time: %.2f (median of the per-round ratios; target >= 0.90)\n' \
	"$(awk '$3 + $4 > 0 { print ($1 + $2) / ($3 + $4) }' "$T/rows" | med)"
kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null

[ "${CALLGRIND:-0}" = 1 ] || exit 0
command -v valgrind >/dev/null || { echo "# CALLGRIND=1: no valgrind"; exit 0; }
# Instructions per connection: the difference of two runs (100 and 300
# connections) over the 200 between, so start-up costs drop out.
ir() { callgrind_annotate "$1" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,; }
cg() { valgrind --tool=callgrind --callgrind-out-file="$1" "${@:2}" >"$T/cg.out" 2>&1; }
echo "# instructions per connection (callgrind; 300 - 100 connections)"
printf '%-34s %12s %12s\n' client client/conn server/conn
for who in skit-hs skit-crr s_time; do
	for k in 1 3; do
		server valgrind --tool=callgrind --callgrind-out-file="$T/srv.$k"
		case $who in
		skit-hs) cg "$T/cli.$k" "$SKIT" bench -m conns -n $((k * 100)) -s 0 -d 0.01 \
			"tls:127.0.0.1:$PORT,ca=$T/cert.pem" ;;
		skit-crr) cg "$T/cli.$k" "$SKIT" bench -m crr -s 64 -w 0 -r $((k * 100)) -d 300 \
			"tls:127.0.0.1:$PORT,ca=$T/cert.pem" ;;
		s_time) # s_time runs for a time: count what it made
			cg "$T/cli.$k" openssl s_time -connect "127.0.0.1:$PORT" -new -time $((k * 2))
			sed -n 's/^\([0-9]*\) connections in [0-9]* real.*/\1/p' "$T/cg.out" >"$T/n.$k" ;;
		esac
		kill -INT "$SRV"
		wait "$SRV" 2>/dev/null
	done
	if [ "$who" = s_time ]; then
		conns=$(( $(cat "$T/n.3") - $(cat "$T/n.1") ))
	else
		conns=200
	fi
	awk -v c1="$(ir "$T/cli.1")" -v c3="$(ir "$T/cli.3")" -v s1="$(ir "$T/srv.1")" \
		-v s3="$(ir "$T/srv.3")" -v n="$conns" -v w="$who" \
		'BEGIN { printf "%-34s %12d %12d\n", w, (c3 - c1) / n, (s3 - s1) / n }'
done
