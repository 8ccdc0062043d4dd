#!/usr/bin/env bash
# bench/honest.sh - issue 18's "honest numbers": skit bench beside the
# reference clients, each pair interleaved A B B A, in one run on
# loopback, the ratios side by side and the load average next to them.
#
#   bench/honest.sh               every section; the output is also
#                                 written to bench/results/honest-<date>.txt
#   SECTIONS="crr report" bench/honest.sh
#
# Sections (target in brackets):
#   crr     skit bench -m crr -c 1 / bench/crr-min.c (a minimal blocking
#           connect, 64 B request, reply, close client), both against the
#           same bench/echo-min.c server, tcp and unix      [>= 0.90]
#   tp      skit bench -m throughput -s 1m (-> skit echo --discard) /
#           iperf3 -l 1M (-> iperf3 -s), TCP, one stream, Gbit/s sent
#                                                          [>= 1.00]
#           and, the clients alone, skit bench -> bench/sink-min.c (a
#           blocking 1 MiB recv loop, as iperf3 -s reads) / iperf3 ->
#           iperf3 -s: the sender is the bottleneck on loopback (the
#           copy in, and the receive path run in its context), and skit
#           echo --discard's gulps (SO_RCVLOWAT) spare it wake-ups
#   udp     skit bench -u -b 0 -s 1460 (-> skit echo --discard, which
#           counts what arrives) / iperf3 -u -b 0 -l 1460 (-> iperf3
#           -s): the rate sent, the rate received and the loss at the
#           receiver, each side's own count; twice: skit's default (UDP
#           GSO: up to 44 datagrams of 1460 bytes per sendmsg, the
#           discard server reading them with GRO), and skit --no-gso
#           (one datagram per sendto, iperf3 3.12's own path)
#                                                [>= 1.00, loss <= iperf3's]
#           and a third row: skit (GSO) paced with -b at the median rate
#           iperf3 -b 0 reached in the first row, beside iperf3 -b 0
#           again: the same rate, and the loss of each at that rate
#           Like with like: iperf3 3.12's JSON for a UDP client has
#           end.sum = end.sum_sent, the SENDER's rate (bytes sent over
#           the sender's time, lost_percent the server's), and
#           end.sum_received the receiver's; skit's sent_bytes_per_s and
#           received_bytes_per_s are the same two (received: what the
#           discard server counted). The ratio column compares the
#           rates sent; the received rates and the loss follow it.
#           The receivers are each tool's own: skit echo --discard
#           asks for a 4 MiB receive buffer (held to net.core.rmem_max),
#           iperf3 -s keeps the default (its -w is not given).
#   report  skit bench -m crr with and without --report FILE.html: the
#           report is written after the run, so the ratio is the noise
#           of two identical runs                          [1.00 +/- noise]
# Each section runs ROUNDS (3) groups of A B B A, DUR (3) seconds a run;
# a group's ratio is (A1 + A2) / (B1 + B2), and the table shows the
# median and the range of the groups' ratios: whatever disturbs the
# machine for a while falls on both. Timing on a shared machine is
# noise: read the load average printed before and after each section.
# Environment: SKIT (build/skit), ROUNDS, DUR, SECTIONS.
set -u
cd "$(dirname "$0")/.."
SKIT=${SKIT:-build/skit}
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-3}
SECTIONS=${SECTIONS:-crr tp udp report}
TMP=$(mktemp -d /tmp/skit-honest.XXXXXX)
PIDS=()
OUT=bench/results/honest-$(date -u +%Y%m%d-%H%M).txt

. bench/lib.sh # cleanup, free_port, bg
trap cleanup EXIT

for c in jq iperf3 cc python3; do
	command -v "$c" >/dev/null || { echo "bench/honest.sh: needs $c" >&2; exit 1; }
done
[ -x "$SKIT" ] || { echo "bench/honest.sh: build skit first (make)" >&2; exit 1; }
cc -O2 -o "$TMP/echo-min" bench/echo-min.c || exit 1
cc -O2 -o "$TMP/crr-min" bench/crr-min.c || exit 1
cc -O2 -o "$TMP/sink-min" bench/sink-min.c || exit 1

say() { echo "$*" | tee -a "$OUT"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# skit_bg ARGS... : skit echo ... in the background; its address in ADDR.
skit_bg() {
	bg "$SKIT" -v echo "$@"
	for _ in $(seq 1 100); do
		ADDR=$(sed -n 's/.*listening on //p' "$TMP/bg.err" | head -1)
		[ -n "$ADDR" ] && return 0
		sleep 0.05
	done
	echo "no server: $*" >&2
	return 1
}

wait_listen() {
	for _ in $(seq 1 100); do
		ss -Hltnx | grep -q -- "$1" && return 0
		sleep 0.05
	done
	echo "nothing listens on $1" >&2
	return 1
}

# iperf_up : an iperf3 server for the sections that need one (the first
# starts it); its port in IPERF_PORT.
IPERF_PORT=
iperf_up() {
	[ -n "$IPERF_PORT" ] && return 0
	IPERF_PORT=$(free_port)
	bg iperf3 -s -p "$IPERF_PORT"
	wait_listen ":$IPERF_PORT"
}

# abba NAME A-FUNC B-FUNC : ROUNDS groups of A B B A; prints
# "median min max a-median b-median" of the groups.
abba() {
	local a1 b1 b2 a2 r=() as=() bs=()
	for _ in $(seq 1 "$ROUNDS"); do
		a1=$($2)
		b1=$($3)
		b2=$($3)
		a2=$($2)
		as+=("$a1" "$a2")
		bs+=("$b1" "$b2")
		r+=("$(python3 -c "print(($a1 + $a2) / ($b1 + $b2) if ($b1 + $b2) else 0)" 2>/dev/null || echo 0)")
	done
	python3 - "${r[*]}" "${as[*]}" "${bs[*]}" <<'EOF'
import statistics, sys
r = [float(x) for x in sys.argv[1].split()]
a = [float(x) for x in sys.argv[2].split()]
b = [float(x) for x in sys.argv[3].split()]
print("%.3f %.3f %.3f %.6g %.6g" % (statistics.median(r), min(r), max(r),
      statistics.median(a), statistics.median(b)))
EOF
}

row() { # LABEL "median min max a b" UNIT
	local m lo hi a b
	read -r m lo hi a b <<<"$2"
	say "$(printf '%-34s %12s %12s %7s  [%s .. %s]  %s' "$1" "$a" "$b" "$m" "$lo" "$hi" "$3")"
}

head_row() {
	say "$(printf '%-34s %12s %12s %7s  %s' "$1" skit peer ratio "[range of $ROUNDS ABBA groups]")"
}

# ------------------------------------------------------------------- crr
CRR_ADDR= CRR_MIN=
crr_skit() {
	"$SKIT" bench -m crr -s 64 -c 1 -d "$DUR" -w 0 --json "$CRR_ADDR" 2>/dev/null |
		jq -r '.requests_per_s'
}
crr_min() { "$TMP/crr-min" $CRR_MIN "$DUR" | cut -d' ' -f1; }

crr() {
	local p
	say ""
	say "== crr: connect, 64 B, reply, close; one client; server bench/echo-min.c (connections/s)  load $(load)"
	head_row "client"
	p=$(free_port)
	bg "$TMP/echo-min" tcp "$p"
	wait_listen ":$p" || return
	CRR_ADDR=tcp:127.0.0.1:$p CRR_MIN="tcp $p"
	row "tcp: skit bench / crr-min" "$(abba crr crr_skit crr_min)" "(>= 0.90)"
	bg "$TMP/echo-min" unix "$TMP/min.sock"
	wait_listen "$TMP/min.sock" || return
	CRR_ADDR=unix:$TMP/min.sock CRR_MIN="unix $TMP/min.sock"
	row "unix: skit bench / crr-min" "$(abba crr crr_skit crr_min)" "(>= 0.90)"
	say "   load after: $(load)"
}

# -------------------------------------------------------------------- tp
TP_ADDR=
tp_skit() {
	"$SKIT" bench -m throughput -s 1m -P 1 -d "$DUR" -w 0 --json "$TP_ADDR" 2>/dev/null |
		jq -r '.sent_bytes_per_s * 8 / 1e9'
}
tp_iperf() {
	iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -l 1M -t "$DUR" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e9'
}

tp() {
	say ""
	say "== tp: TCP, one stream, 1 MiB writes: skit bench -> skit echo --discard, iperf3 -> iperf3 -s (Gbit/s)  load $(load)"
	head_row "client"
	skit_bg --discard -t 1 tcp:127.0.0.1:0 || return
	TP_ADDR=$ADDR
	iperf_up || return
	row "skit bench -s 1m / iperf3 -l 1M" "$(abba tp tp_skit tp_iperf)" "(>= 1.00)"
	p=$(free_port)
	bg "$TMP/sink-min" "$p"
	wait_listen ":$p" || return
	TP_ADDR=tcp:127.0.0.1:$p
	row "clients alone: -> sink-min / iperf3" "$(abba tp tp_skit tp_iperf)" "(~ 1.00)"
	say "   load after: $(load)"
}

# ------------------------------------------------------------------- udp
# Each run appends "Gbit/s-sent Gbit/s-received loss-%" to $TMP/udp-NAME
# and prints the rate sent (the ABBA ratio's figure).
UDP_ADDR=
udp_run_skit() { # NAME BIT/S [--no-gso]
	"$SKIT" bench -m throughput -u -b "$2" -s 1460 -d "$DUR" -w 0 --json ${3:-} "$UDP_ADDR" 2>/dev/null |
		jq -r '"\(.sent_bytes_per_s * 8 / 1e9) \(.received_bytes_per_s * 8 / 1e9) \(.lost_percent)"' >>"$TMP/udp-$1"
	tail -1 "$TMP/udp-$1" | cut -d' ' -f1
}
UDP_RATE=0
udp_skit() { udp_run_skit gso 0; }
udp_skit1() { udp_run_skit one 0 --no-gso; }
udp_skit_at() { udp_run_skit at "$UDP_RATE"; } # (GSO) paced at iperf3's rate
udp_iperf() {
	iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -u -b 0 -l 1460 -t "$DUR" -J 2>/dev/null |
		jq -r '.end | "\(.sum_sent.bits_per_second / 1e9) \(.sum_received.bits_per_second / 1e9) \(.sum_received.lost_percent)"' >>"$TMP/udp-iperf"
	tail -1 "$TMP/udp-iperf" | cut -d' ' -f1
}
# udp_after NAME : the received rates and the losses of skit's NAME runs
# and of the iperf3 runs beside them.
udp_after() {
	local med='import statistics, sys; v = [float(x) for x in sys.argv[1:] if x != "null"]; print("%.3g" % statistics.median(v) if v else "-")'
	say "   received Gbit/s (median): skit $(python3 -c "$med" $(cut -d' ' -f2 "$TMP/udp-$1"))  iperf3 $(python3 -c "$med" $(cut -d' ' -f2 "$TMP/udp-iperf"))"
	say "   loss % per run: skit $(cut -d' ' -f3 "$TMP/udp-$1" | xargs)  iperf3 $(cut -d' ' -f3 "$TMP/udp-iperf" | xargs)"
}

udp() {
	say ""
	say "== udp: 1460-byte datagrams, -b 0 (as fast as the socket takes them): Gbit/s sent; received and loss at the receiver  load $(load)"
	head_row "client"
	skit_bg --discard -t 1 udp:127.0.0.1:0 || return
	UDP_ADDR=$ADDR
	iperf_up || return
	: >"$TMP/udp-gso"
	: >"$TMP/udp-one"
	: >"$TMP/udp-iperf"
	row "skit bench -u (GSO) / iperf3 -u" "$(abba udp udp_skit udp_iperf)" "(>= 1.00)"
	udp_after gso
	# iperf3's median rate sent, in bit/s: skit paced at it below
	UDP_RATE=$(python3 -c 'import statistics, sys; print(int(statistics.median(float(x) for x in sys.argv[1:]) * 1e9))' $(cut -d' ' -f1 "$TMP/udp-iperf"))
	: >"$TMP/udp-iperf"
	: >"$TMP/udp-at"
	row "skit -u -b (iperf3's rate) / iperf3" "$(abba udp udp_skit_at udp_iperf)" "(>= 1.00, less loss)"
	say "   (skit paced at $UDP_RATE bit/s, iperf3's median rate sent with -b 0 above)"
	udp_after at
	: >"$TMP/udp-iperf"
	row "skit bench -u --no-gso / iperf3 -u" "$(abba udp udp_skit1 udp_iperf)" "(per datagram)"
	udp_after one
	say "   load after: $(load)"
}

# ---------------------------------------------------------------- report
REP_ADDR=
rep_without() {
	"$SKIT" bench -m crr -s 64 -c 1 -d "$DUR" -w 0 --json "$REP_ADDR" 2>/dev/null |
		jq -r '.requests_per_s'
}
rep_with() {
	"$SKIT" bench -m crr -s 64 -c 1 -d "$DUR" -w 0 --json --report "$TMP/r.html" "$REP_ADDR" 2>/dev/null |
		jq -r '.requests_per_s'
}

report() {
	say ""
	say "== report: skit bench -m crr with --report FILE.html / without, against skit echo (connections/s)  load $(load)"
	head_row "client"
	skit_bg -t 1 tcp:127.0.0.1:0 || return
	REP_ADDR=$ADDR
	row "with --report / without" "$(abba report rep_with rep_without)" "(1.00 +/- noise)"
	say "   load after: $(load)"
}

say "bench/honest.sh $(date -u +%Y-%m-%dT%H:%MZ)  $("$SKIT" --version 2>/dev/null | head -1)  $(nproc) CPUs  load $(load)"
say "   ROUNDS=$ROUNDS groups of A B B A, DUR=${DUR}s a run; skit/peer columns: medians of the runs"
for s in $SECTIONS; do
	case $s in
	crr | tp | udp | report) "$s" ;;
	*) echo "bench/honest.sh: no section $s" >&2 ;;
	esac
done
