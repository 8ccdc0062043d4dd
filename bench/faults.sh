#!/usr/bin/env bash
# bench/faults.sh - the fault layer's accuracy and cost (issue 17,
# "Performance"), on loopback: skit bench -> skit relay (faults on the
# echo server's side) -> skit echo.
#
#   bench/faults.sh                   everything, also written to
#                                     bench/results/faults-<date>.txt
#   SECTIONS="lat bw" bench/faults.sh
#
# Sections:
#   lat   added latency: rr (one request in flight) through a relay with
#         latency=L,dir=down for L = 10, 50, 200 ms; the p50 less the p50
#         through the same relay without faults, against L (target: within
#         1 ms)
#   bw    bandwidth: throughput through bandwidth=R,dir=up for R = 100k,
#         1m, 10m, 100m, 1g (bytes per second, binary units), measured as
#         the rate the echo sends back (what passed the fault, after the
#         warm-up filled the buffers), against R (target: within 5%)
#   cost  throughput with no fault (the splice path: the close event says
#         splice_ab/splice_ba) against latency=0 (the layer, copied)
#         (target: the overhead below 10%)
#
# Environment: SKIT (build/skit), LAT_DUR (5 s per rr run), BW_DUR (10 s
# per throughput run), TP_DUR (5 s), SECTIONS (lat bw cost).
# Every server is started here and stopped by its PID. Run it on an idle
# machine (load under 1.5): numbers from a busy one say little.
#
# toxiproxy: a short search (2026-12) found no published accuracy
# figures for its latency or bandwidth toxics. Its own tests check a
# toxic's delay against a tolerance (toxics/latency_test.go,
# AssertDeltaTime) and it has a Go benchmark of its proxy's throughput
# (toxic_test.go, BenchmarkProxyBandwidth), without numbers we could
# cite. To compare, run toxiproxy the same way (toxiproxy-server, a
# proxy with a latency or bandwidth toxic, skit bench against it) where
# it is installed.
set -u
cd "$(dirname "$0")/.."
SKIT=${SKIT:-$PWD/build/skit}
LAT_DUR=${LAT_DUR:-5}
BW_DUR=${BW_DUR:-10}
TP_DUR=${TP_DUR:-5}
SECTIONS=${SECTIONS:-lat bw cost}
T=$(mktemp -d /tmp/skit-bench-faults.XXXXXX)
OUT=bench/results/faults-$(date -u +%Y%m%d-%H%M).txt
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# bg NAME ARGS...: start skit ARGS in the background; ADDR: its address.
bg() {
	local name=$1 i addr
	shift
	"$SKIT" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	PIDS+=($!)
	for i in $(seq 1 200); do
		addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$T/$name.err" | head -1)
		[ -n "$addr" ] && { ADDR=$addr; return 0; }
		sleep 0.05
	done
	echo "no listening line from skit $*" >&2
	exit 1
}

# stop_last: stop the last server started.
stop_last() {
	local p=${PIDS[-1]}
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	unset 'PIDS[-1]'
}

json_field() { # FILE EXPR: a value from bench's --json object
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

say() { echo "$*" | tee -a "$OUT"; }

mkdir -p bench/results
: >"$OUT"
say "# bench/faults.sh $(date -u +%FT%TZ), $(uname -sr), $(nproc) cpus, load: $(cut -d' ' -f1-3 /proc/loadavg)"
bg e echo -v "tcp-listen:127.0.0.1:0"
ECHO=$ADDR

for s in $SECTIONS; do
	case $s in
	lat)
		say ""
		say "## added latency (rr, p50 in ms; dir=down: one way)"
		bg r0 relay -v "tcp-listen:127.0.0.1:0,fork" "$ECHO"
		R=$ADDR
		"$SKIT" bench -m rr -d "$LAT_DUR" --json "$R" >"$T/base.json"
		base=$(json_field "$T/base.json" 'd["latency_us"]["p50"]/1000')
		stop_last
		say "no fault: p50 $base ms"
		say "$(printf '%8s %10s %10s %10s' asked p50 added error)"
		for L in 10 50 200; do
			bg "r$L" relay -v "tcp-listen:127.0.0.1:0,fork" "$ECHO,latency=${L}ms,dir=down"
			R=$ADDR
			"$SKIT" bench -m rr -d "$LAT_DUR" --json "$R" >"$T/l$L.json"
			p50=$(json_field "$T/l$L.json" 'd["latency_us"]["p50"]/1000')
			say "$(python3 -c "p=$p50;b=$base;L=$L;print('%8s %10.3f %10.3f %+10.3f' % (str(L)+' ms', p, p-b, p-b-L))")"
			stop_last
		done
		;;
	bw)
		say ""
		# Up to 100m: the rate the echo returns (what the sender's
		# socket buffers hold is not counted). 1g: the echo path itself
		# carries only about that much (both ways through the relay), so
		# the relay feeds a discard server and the rate is what the
		# client could send (its buffers, a few MB, are < 1% of 10 s).
		say "## bandwidth (throughput through bandwidth=R,dir=up)"
		bg d echo -v --discard "tcp-listen:127.0.0.1:0"
		SINK=$ADDR
		say "$(printf '%8s %14s %14s %8s  %s' asked 'asked B/s' 'got B/s' error measured)"
		for R in 100k 1m 10m 100m 1g; do
			to=$ECHO field=received how="echoed back"
			[ "$R" = 1g ] && to=$SINK field=sent how="sent, to a discard server"
			bg "b$R" relay -v "tcp-listen:127.0.0.1:0,fork" "$to,bandwidth=$R,dir=up"
			A=$ADDR
			"$SKIT" bench -m throughput -d "$BW_DUR" --json "$A" >"$T/b$R.json"
			got=$(json_field "$T/b$R.json" "d[\"${field}_bytes_per_s\"]")
			say "$(python3 -c "
u={'k':1024,'m':1024**2,'g':1024**3}; r='$R'; a=int(r[:-1])*u[r[-1]]; g=float('$got')
print('%8s %14d %14.0f %+7.1f%%' % (r, a, g, (g-a)/a*100))")  $how"
			stop_last
		done
		stop_last # the discard server
		;;
	cost)
		say ""
		say "## cost (throughput, received B/s)"
		bg c0 relay -v --json "tcp-listen:127.0.0.1:0,fork" "$ECHO"
		A=$ADDR
		"$SKIT" bench -m throughput -d "$TP_DUR" --json "$A" >"$T/c0.json"
		sleep 0.3
		splice=$(grep -o '"splice_ab":[a-z]*,"splice_ba":[a-z]*' "$T/c0.out" | head -1)
		stop_last
		bg c1 relay -v "tcp-listen:127.0.0.1:0,fork" "$ECHO,latency=0"
		A=$ADDR
		"$SKIT" bench -m throughput -d "$TP_DUR" --json "$A" >"$T/c1.json"
		stop_last
		n0=$(json_field "$T/c0.json" 'd["received_bytes_per_s"]')
		n1=$(json_field "$T/c1.json" 'd["received_bytes_per_s"]')
		say "no fault:  $n0 B/s ($splice)"
		say "latency=0: $n1 B/s"
		say "$(python3 -c "print('overhead: %.1f%%' % ((float('$n0')-float('$n1'))/float('$n0')*100))")"
		;;
	esac
done
say ""
say "results: $OUT"
