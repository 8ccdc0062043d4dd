#!/usr/bin/env bash
# bench/echo.sh - skit echo and skit bench beside sockperf, socat, ncat,
# iperf3 and the minimal epoll echo (bench/echo-min.c), in one run on
# loopback, printing ratios (issue 5, "Performance").
#
#   bench/echo.sh                 everything, results also written to
#                                 bench/results/echo-<date>.txt
#   SECTIONS="lat crr" bench/echo.sh
#
# Environment: SKIT (build/skit), CPU (0: the CPU latency runs are pinned
# to), LAT_DUR (5 s per latency run), LAT_ROUNDS (3), LAT_PAIRS (8),
# PAIR_DUR (2 s per run of a pair), AB_RUNS (6), AB_DUR (5 s),
# CRR_DUR (10 s per crr run), TP_DUR (5 s per throughput run), HOLD
# (15000 held connections), TLS_DUR (10 s per TLS handshake run),
# SECTIONS (lat crr tp scale tls; also udp).
#
# Notes:
# - sockperf's ping-pong client only counts replies whose header a
#   sockperf server marked, so it cannot measure a plain RFC 862 echo
#   such as skit echo. skit bench --sockperf frames its requests as
#   sockperf pings and accepts either answer, so one client measures
#   sockperf's server, skit echo and echo-min alike: that is the server
#   comparison. skit bench is checked against sockperf's client on the
#   servers both can use (sockperf's, and echo-min in its sockperf mode).
# - Latency cells run LAT_ROUNDS times (3), in an order rotated each
#   round, and the table shows medians: single runs on a shared machine
#   swing by more than the differences measured. The target (skit echo
#   against sockperf's server) is measured two more ways:
#   - side by side: both servers up, LAT_PAIRS (8) pairs of PAIR_DUR
#     (2 s) runs of skit bench --sockperf, one on each, the order
#     alternating; the median of the per-pair ratios;
#   - request by request: bench/rr-ab.c sends one ping to one server,
#     the next to the other (ABBA), for AB_DUR (5 s), so whatever
#     disturbs the machine falls on both alike; AB_RUNS (6) runs, each
#     with fresh servers and the two swapping places; the median of the
#     per-run ratios. The same with sockperf's server against itself
#     shows how far two identical servers read apart: the noise floor.
# - ncat's listen mode is select()-based: it cannot hold more than about
#   1,000 connections, whatever --max-conns says. When a connection gets
#   fd 1024 it aborts ("Attempt to FD_SET fd 1024"), which bash reports
#   in the scale section as "Aborted"; its row shows what it held then.
# - Latency runs pin client and server to the same CPU (taskset), as the
#   issue asks; numbers are round trips in microseconds.
# - Every server is started here and stopped by its PID.
set -u
cd "$(dirname "$0")/.."
SKIT=${SKIT:-build/skit}
CPU=${CPU:-0}
LAT_DUR=${LAT_DUR:-5}
CRR_DUR=${CRR_DUR:-10}
TP_DUR=${TP_DUR:-5}
HOLD=${HOLD:-15000}
TLS_DUR=${TLS_DUR:-10}
SECTIONS=${SECTIONS:-lat crr tp scale tls}
TMP=$(mktemp -d /tmp/skit-bench.XXXXXX)
PIDS=()
MIN=$TMP/echo-min
OUT=bench/results/echo-$(date -u +%Y%m%d-%H%M).txt

. bench/lib.sh # cleanup, free_port, bg
trap cleanup EXIT
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

for c in jq sockperf socat ncat iperf3 taskset cc; do
	command -v "$c" >/dev/null || { echo "bench/echo.sh: needs $c" >&2; exit 1; }
done
[ -x "$SKIT" ] || { echo "bench/echo.sh: build skit first (make)" >&2; exit 1; }
cc -O2 -o "$MIN" bench/echo-min.c || exit 1
cc -O2 -o "$TMP/rr-ab" bench/rr-ab.c || exit 1
cc -O2 -o "$TMP/crr-min" bench/crr-min.c || exit 1

stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# wait_tcp PORT / wait_unix PATH / wait_udp PORT: until something serves it.
wait_tcp() {
	for _ in $(seq 1 100); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	echo "nothing listens on $1" >&2
	return 1
}
wait_udp() {
	for _ in $(seq 1 100); do
		ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}
wait_unix() {
	for _ in $(seq 1 100); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

pin() { taskset -c "$CPU" "$@"; }

# skit_rr ADDR [OPTION...] : "p50 p99" of skit bench rr (64 B, one
# connection, pinned)
skit_rr() {
	local a=$1
	shift
	pin "$SKIT" bench -m rr -s 64 -c 1 -d "$LAT_DUR" --json "$@" "$a" 2>/dev/null |
		jq -r '"\(.latency_us.p50) \(.latency_us.p99)"' 2>/dev/null || echo "- -"
}

# sockperf_rr PORT [--tcp] : "p50 p99" of sockperf ping-pong (full RTT)
sockperf_rr() {
	local port=$1
	shift
	pin sockperf ping-pong -i 127.0.0.1 -p "$port" "$@" -m 64 -t "$LAT_DUR" \
		--full-rtt 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | awk '
		/percentile 50.000/ {p50 = $NF}
		/percentile 99.000/ {p99 = $NF}
		END {print (p50 ? p50 : "-"), (p99 ? p99 : "-")}'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}

say() { echo "$@" | tee -a "$TMP/report"; }

# ---------------------------------------------------------------- latency
# A cell is CLIENT_SERVER_PROTO. Clients: sp (sockperf ping-pong), sk
# (skit bench; --sockperf framing where a sockperf-speaking server is
# measured, so one client measures every server). Servers: sp (sockperf
# server), sk (skit echo -t 1), min (echo-min; in sockperf mode for tcp
# and udp), socat (PIPE), ncat (--exec /bin/cat).
LAT_CELLS="sp_sp_tcp sk_sp_tcp sk_sk_tcp sp_min_tcp sk_min_tcp
	sp_sp_udp sk_sp_udp sk_sk_udp sp_min_udp sk_min_udp
	sk_socat_tcp sk_ncat_tcp sk_sk_unix sk_min_unix sk_socat_unix
	sk_ncat_unix"
LAT_ROUNDS=${LAT_ROUNDS:-3}
LAT_PAIRS=${LAT_PAIRS:-8}
PAIR_DUR=${PAIR_DUR:-2}
AB_RUNS=${AB_RUNS:-6}
AB_DUR=${AB_DUR:-5}

# serve KIND PROTO [PORT] : start a latency server pinned to $CPU: sp
# (sockperf's), sk (skit echo -t 1), min (echo-min; sockperf mode on
# tcp and udp), socat (PIPE), ncat (--exec /bin/cat); on
# 127.0.0.1:PORT, or for unix on $TMP/KIND.sock. Returns once it
# listens, its PID in $LAST and its address in $ADDR.
serve() {
	local kind=$1 proto=$2 p=${3:-} flag= path=$TMP/$1.sock
	[ "$proto" = tcp ] && flag=--tcp
	case $kind-$proto in
	sp-*) bg taskset -c "$CPU" sockperf server -i 127.0.0.1 -p "$p" $flag ;;
	sk-unix) bg taskset -c "$CPU" "$SKIT" echo -t 1 "unix:$path" ;;
	sk-*) bg taskset -c "$CPU" "$SKIT" echo -t 1 "$proto:127.0.0.1:$p" ;;
	min-unix) bg taskset -c "$CPU" "$MIN" unix "$path" ;;
	min-*) bg taskset -c "$CPU" "$MIN" "$proto" "$p" sockperf ;;
	socat-tcp) bg taskset -c "$CPU" socat "TCP-LISTEN:$p,fork,reuseaddr" PIPE ;;
	socat-unix) bg taskset -c "$CPU" socat "UNIX-LISTEN:$path,fork" PIPE ;;
	ncat-tcp) bg taskset -c "$CPU" ncat -l -k --exec /bin/cat 127.0.0.1 "$p" ;;
	ncat-unix) bg taskset -c "$CPU" ncat -l -k -U --exec /bin/cat "$path" ;;
	esac
	if [ "$proto" = unix ]; then
		ADDR=unix:$path
		wait_unix "$path"
	else
		ADDR=$proto:127.0.0.1:$p
		"wait_$proto" "$p"
	fi
}

# lat_cell CELL [NAME] : one measurement, appended to $TMP/lat.NAME
# (NAME: CELL)
lat_cell() {
	local cell=$1 client=${1%%_*} server proto=${1##*_} flag= p= r
	server=${cell#*_}
	server=${server%_*}
	[ "$proto" = tcp ] && flag=--tcp
	[ "$proto" = unix ] || p=$(free_port)
	serve "$server" "$proto" "$p"
	case $client-$server-$proto in
	sp-*) r=$(sockperf_rr "$p" $flag) ;;
	sk-*-unix | sk-socat-* | sk-ncat-*) r=$(skit_rr "$ADDR") ;;
	sk-*) r=$(skit_rr "$ADDR" --sockperf) ;;
	esac
	stop "$LAST"
	[ "$proto" = unix ] && rm -f "${ADDR#unix:}"
	echo "$r" >>"$TMP/lat.${2:-$cell}"
}

# median FORMAT : the median of the numbers on stdin (one a line; "-"
# skipped), printed with FORMAT, or "-"
median() {
	awk -v f="$1" '$1 != "-" && $1 != "" { v[n++] = $1 } END {
		if (!n) { print "-"; exit }
		for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		printf f "\n", n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
	}'
}

# lat_med CELL COLUMN(1: p50, 2: p99) : the median over the rounds
lat_med() {
	awk -v c="$2" '{ print $c }' "$TMP/lat.$1" 2>/dev/null | median "%.3f"
}

# lat_ratio_med A B COLUMN : the median of the per-line ratios A/B
lat_ratio_med() {
	lat_rounds "$@" | tr ' ' '\n' | median "%.2f"
}

# ratios COLUMN FORMAT : for each line "x1 x2 y1 y2" on stdin, y/x of
# that column with FORMAT ("-" where one is missing), on one line
ratios() {
	awk -v c="$1" -v f="$2" '{ x = $c; y = $(c + 2)
		printf("%s%s", (NR > 1 ? " " : ""),
			(x + 0 > 0 && y + 0 > 0 ? sprintf(f, y / x) : "-")) }'
}

# lat_rounds A B COLUMN : A/B per round, "r1 r2 r3"
lat_rounds() {
	paste -d' ' "$TMP/lat.$2" "$TMP/lat.$1" | ratios "$3" "%.2f"
}

# lat_pairs PROTO : sockperf's server and skit echo up side by side,
# LAT_PAIRS pairs of PAIR_DUR runs through skit bench --sockperf, the
# order alternating; into $TMP/lat.pair_sp_PROTO and lat.pair_sk_PROTO
lat_pairs() {
	local proto=$1 psp psk ssp ssk i
	psp=$(free_port)
	serve sp "$proto" "$psp"
	ssp=$LAST
	psk=$(free_port)
	serve sk "$proto" "$psk"
	ssk=$LAST
	for i in $(seq "$LAT_PAIRS"); do
		if [ $((i % 2)) -eq 1 ]; then
			LAT_DUR=$PAIR_DUR skit_rr "$proto:127.0.0.1:$psp" --sockperf >>"$TMP/lat.pair_sp_$proto"
			LAT_DUR=$PAIR_DUR skit_rr "$proto:127.0.0.1:$psk" --sockperf >>"$TMP/lat.pair_sk_$proto"
		else
			LAT_DUR=$PAIR_DUR skit_rr "$proto:127.0.0.1:$psk" --sockperf >>"$TMP/lat.pair_sk_$proto"
			LAT_DUR=$PAIR_DUR skit_rr "$proto:127.0.0.1:$psp" --sockperf >>"$TMP/lat.pair_sp_$proto"
		fi
	done
	stop "$ssp"
	stop "$ssk"
}

# lat_ab PROTO X Y NAME : AB_RUNS runs of rr-ab between fresh servers of
# kinds X and Y (sp, sk), which swap places each run; appends
# "X_p50 X_p99 Y_p50 Y_p99" per run to $TMP/ab.NAME
lat_ab() {
	local proto=$1 i pa pb sa sb ka kb out
	for i in $(seq "$AB_RUNS"); do
		ka=$2 kb=$3
		[ $((i % 2)) -eq 0 ] && ka=$3 kb=$2
		pa=$(free_port)
		serve "$ka" "$proto" "$pa"
		sa=$LAST
		pb=$(free_port)
		serve "$kb" "$proto" "$pb"
		sb=$LAST
		out=$(pin "$TMP/rr-ab" "$proto" "$pa" "$pb" "$AB_DUR" 2>&1)
		stop "$sa"
		stop "$sb"
		# A and B lines: "A N p50 p90 p99 p99.9"; X first
		echo "$out" | awk -v swap=$((i % 2 == 0)) '
			$1 == "A" { a = $3 " " $5 } $1 == "B" { b = $3 " " $5 }
			END { if (a == "" || b == "") print "- - - -";
			      else if (swap) print b, a; else print a, b }' >>"$TMP/ab.$4"
	done
}

# ab_ratio NAME COLUMN(1: p50, 2: p99) : "median [r1 r2 ...]" of Y/X
ab_ratio() {
	local rs
	rs=$(ratios "$2" "%.3f" <"$TMP/ab.$1")
	echo "$(echo "$rs" | tr ' ' '\n' | median "%.3f") [$rs]"
}

lat() {
	local cells i k proto round
	read -r -a cells <<<"$(echo $LAT_CELLS)"
	say ""
	say "== 1. Latency: 64-byte request/response, one connection, client and server pinned to CPU $CPU, ${LAT_DUR}s each,"
	say "   median of $LAT_ROUNDS rounds (the order rotates each round; round trip, us)"
	for round in $(seq "$LAT_ROUNDS"); do
		k=$(((round - 1) * 5))
		for i in "${!cells[@]}"; do
			lat_cell "${cells[$(((i + k) % ${#cells[@]}))]}"
		done
	done
	for proto in tcp udp; do
		lat_pairs "$proto"
		lat_ab "$proto" sp sk "$proto"
		lat_ab "$proto" sp sp "null_$proto"
	done
	say "$(printf '%-18s %-6s %-22s %9s %9s' server proto client p50 p99)"
	row() { say "$(printf '%-18s %-6s %-22s %9s %9s' "$1" "$2" "$3" "$(lat_med "$4" 1)" "$(lat_med "$4" 2)")"; }
	for proto in tcp udp; do
		row "sockperf server" $proto "sockperf" sp_sp_$proto
		row "sockperf server" $proto "skit bench --sockperf" sk_sp_$proto
		row "skit echo -t 1" $proto "skit bench --sockperf" sk_sk_$proto
		row "echo-min (floor)" $proto "sockperf" sp_min_$proto
		row "echo-min (floor)" $proto "skit bench --sockperf" sk_min_$proto
	done
	row "socat PIPE" tcp "skit bench" sk_socat_tcp
	row "ncat --exec cat" tcp "skit bench" sk_ncat_tcp
	row "skit echo -t 1" unix "skit bench" sk_sk_unix
	row "echo-min (floor)" unix "skit bench" sk_min_unix
	row "socat PIPE" unix "skit bench" sk_socat_unix
	row "ncat --exec cat" unix "skit bench" sk_ncat_unix
	m() { lat_med "$1" "$2"; }
	say ""
	say "skit echo against sockperf's server, request by request (bench/rr-ab.c: ABBA, ${AB_DUR}s, fresh"
	say "servers swapping places each run): skit echo / sockperf server, median of $AB_RUNS runs [each run];"
	say "target <= 1.0. The noise floor: sockperf's server against itself, the same way."
	for proto in tcp udp; do
		say "  $proto  p50 $(ab_ratio "$proto" 1)"
		say "       p99 $(ab_ratio "$proto" 2)"
		say "       noise floor: p50 $(ab_ratio "null_$proto" 1)"
		say "                    p99 $(ab_ratio "null_$proto" 2)"
	done
	say ""
	say "skit echo against sockperf's server, both up side by side, one client (skit bench --sockperf):"
	say "$LAT_PAIRS pairs of ${PAIR_DUR}s runs, the order alternating; target <= 1.0: the median of the per-pair"
	say "ratios, each pair in brackets"
	for proto in tcp udp; do
		say "  $proto  medians p50 $(m pair_sk_$proto 1) vs $(m pair_sp_$proto 1) us, p99 $(m pair_sk_$proto 2) vs $(m pair_sp_$proto 2) us"
		say "       p50 $(lat_ratio_med pair_sk_$proto pair_sp_$proto 1) [$(lat_rounds pair_sk_$proto pair_sp_$proto 1)]"
		say "       p99 $(lat_ratio_med pair_sk_$proto pair_sp_$proto 2) [$(lat_rounds pair_sk_$proto pair_sp_$proto 2)]"
	done
	say ""
	say "ratios (of the table's medians):"
	for proto in tcp udp; do
		say "  $proto skit bench / sockperf client, same server (target within 10%):"
		say "      sockperf server: p50 $(ratio "$(m sk_sp_$proto 1)" "$(m sp_sp_$proto 1)")  p99 $(ratio "$(m sk_sp_$proto 2)" "$(m sp_sp_$proto 2)");  echo-min: p50 $(ratio "$(m sk_min_$proto 1)" "$(m sp_min_$proto 1)")  p99 $(ratio "$(m sk_min_$proto 2)" "$(m sp_min_$proto 2)")"
	done
	for proto in tcp udp unix; do
		say "  $proto skit echo / echo-min, both with skit bench (target <= 1.1): p50 $(ratio "$(m sk_sk_$proto 1)" "$(m sk_min_$proto 1)")  p99 $(ratio "$(m sk_sk_$proto 2)" "$(m sk_min_$proto 2)")"
	done
	for proto in tcp unix; do
		say "  $proto skit echo / socat: p50 $(ratio "$(m sk_sk_$proto 1)" "$(m sk_socat_$proto 1)");  / ncat: p50 $(ratio "$(m sk_sk_$proto 1)" "$(m sk_ncat_$proto 1)")"
	done
}

# ------------------------------------------------------------------- crr
crr_rate() {
	"$SKIT" bench -m crr -s 64 -c 1 -d "$CRR_DUR" --json "$1" 2>/dev/null |
		jq -r '"\(.requests_per_s | floor) \(.latency_us.p50) \(.connect_errors)"' 2>/dev/null || echo "- - -"
}

crr_name() {
	case $1 in
	skit) echo "skit (-t 1)" ;;
	skitd) echo "skit (default -t)" ;;
	*) echo "$1" ;;
	esac
}

crr() {
	local p s
	declare -A R L E
	say ""
	say "== 2. Connection rate: skit bench --mode crr (connect, 64 B request, response, close), one client connection, ${CRR_DUR}s each"
	p=$(free_port)
	bg "$SKIT" -v echo -t 1 "tcp:127.0.0.1:$p"
	s=$LAST; wait_tcp "$p"
	read -r R[skit_tcp] L[skit_tcp] E[skit_tcp] <<<"$(crr_rate "tcp:127.0.0.1:$p")"
	stop "$s"
	bg "$SKIT" -v echo -t 1 "unix:$TMP/c-skit.sock"
	s=$LAST; wait_unix "$TMP/c-skit.sock"
	read -r R[skit_unix] L[skit_unix] E[skit_unix] <<<"$(crr_rate "unix:$TMP/c-skit.sock")"
	stop "$s"
	# skit echo with its default threads (one loop per core)
	p=$(free_port)
	bg "$SKIT" -v echo "tcp:127.0.0.1:$p"
	s=$LAST; wait_tcp "$p"
	read -r R[skitd_tcp] L[skitd_tcp] E[skitd_tcp] <<<"$(crr_rate "tcp:127.0.0.1:$p")"
	stop "$s"
	bg "$SKIT" -v echo "unix:$TMP/c-skitd.sock"
	s=$LAST; wait_unix "$TMP/c-skitd.sock"
	read -r R[skitd_unix] L[skitd_unix] E[skitd_unix] <<<"$(crr_rate "unix:$TMP/c-skitd.sock")"
	stop "$s"
	p=$(free_port)
	bg "$MIN" tcp "$p"
	s=$LAST; wait_tcp "$p"
	read -r R[min_tcp] L[min_tcp] E[min_tcp] <<<"$(crr_rate "tcp:127.0.0.1:$p")"
	stop "$s"
	bg "$MIN" unix "$TMP/c-min.sock"
	s=$LAST; wait_unix "$TMP/c-min.sock"
	read -r R[min_unix] L[min_unix] E[min_unix] <<<"$(crr_rate "unix:$TMP/c-min.sock")"
	stop "$s"
	p=$(free_port)
	bg socat "TCP-LISTEN:$p,fork,reuseaddr" PIPE
	s=$LAST; wait_tcp "$p"
	read -r R[socat_tcp] L[socat_tcp] E[socat_tcp] <<<"$(crr_rate "tcp:127.0.0.1:$p")"
	stop "$s"
	bg socat "UNIX-LISTEN:$TMP/c-socat.sock,fork" PIPE
	s=$LAST; wait_unix "$TMP/c-socat.sock"
	read -r R[socat_unix] L[socat_unix] E[socat_unix] <<<"$(crr_rate "unix:$TMP/c-socat.sock")"
	stop "$s"
	p=$(free_port)
	bg ncat -l -k --exec /bin/cat 127.0.0.1 "$p"
	s=$LAST; wait_tcp "$p"
	read -r R[ncat_tcp] L[ncat_tcp] E[ncat_tcp] <<<"$(crr_rate "tcp:127.0.0.1:$p")"
	stop "$s"
	bg ncat -l -k -U --exec /bin/cat "$TMP/c-ncat.sock"
	s=$LAST; wait_unix "$TMP/c-ncat.sock"
	read -r R[ncat_unix] L[ncat_unix] E[ncat_unix] <<<"$(crr_rate "unix:$TMP/c-ncat.sock")"
	stop "$s"
	say "$(printf '%-20s %-6s %12s %12s %8s' server proto "conns/s" "p50 (us)" errors)"
	for proto in tcp unix; do
		for sv in skit skitd min socat ncat; do
			say "$(printf '%-20s %-6s %12s %12s %8s' "$(crr_name "$sv")" "$proto" "${R[${sv}_$proto]}" "${L[${sv}_$proto]}" "${E[${sv}_$proto]}")"
		done
	done
	say ""
	say "ratios (targets: >= 5 vs socat, >= 15 vs ncat, >= 0.9 vs echo-min; default threads: unix >= 0.9, tcp >= 0.95 vs echo-min):"
	for proto in tcp unix; do
		say "  $proto skit echo / socat $(ratio "${R[skit_$proto]}" "${R[socat_$proto]}")   / ncat $(ratio "${R[skit_$proto]}" "${R[ncat_$proto]}")   / echo-min $(ratio "${R[skit_$proto]}" "${R[min_$proto]}")   default threads / echo-min $(ratio "${R[skitd_$proto]}" "${R[min_$proto]}")"
	done
	# The client side (issue 18): skit bench --mode crr against a minimal
	# blocking connect/request/reply/close client (bench/crr-min.c), both
	# on echo-min, alternating.
	p=$(free_port)
	bg "$MIN" tcp "$p"
	s=$LAST; wait_tcp "$p"
	read -r R[cmin_tcp] L[cmin_tcp] <<<"$("$TMP/crr-min" tcp "$p" "$CRR_DUR")"
	read -r R[cskit_tcp] L[cskit_tcp] E[cskit_tcp] <<<"$(crr_rate "tcp:127.0.0.1:$p")"
	stop "$s"
	bg "$MIN" unix "$TMP/c-min2.sock"
	s=$LAST; wait_unix "$TMP/c-min2.sock"
	read -r R[cskit_unix] L[cskit_unix] E[cskit_unix] <<<"$(crr_rate "unix:$TMP/c-min2.sock")"
	read -r R[cmin_unix] L[cmin_unix] <<<"$("$TMP/crr-min" unix "$TMP/c-min2.sock" "$CRR_DUR")"
	stop "$s"
	say ""
	say "clients on echo-min: skit bench -m crr / bench/crr-min.c (target >= 0.9):"
	for proto in tcp unix; do
		say "  $proto $(ratio "${R[cskit_$proto]}" "${R[cmin_$proto]}")  (${R[cskit_$proto]} vs ${R[cmin_$proto]} conns/s; p50 ${L[cskit_$proto]} vs ${L[cmin_$proto]} us)"
	done
}

# ------------------------------------------------------------ throughput
tp() {
	local p s n a b a2 b2
	say ""
	say "== 3. Throughput: TCP, ${TP_DUR}s, skit bench --mode throughput -> skit echo --discard vs iperf3 -c -> iperf3 -s (Gbit/s)"
	say "   defaults: skit writes 1 MiB, iperf3 128 KiB; then each with the other's write size"
	say "$(printf '%-8s %12s %12s %8s   %14s %14s' streams skit iperf3 ratio "skit -s 128k" "iperf3 -l 1M")"
	for n in 1 4; do
		a=$(tp_skit "$n" "")
		b=$(tp_iperf "$n" "")
		a2=$(tp_skit "$n" 128k)
		b2=$(tp_iperf "$n" 1M)
		say "$(printf '%-8s %12s %12s %8s   %14s %14s' "$n" "${a:--}" "${b:--}" "$(ratio "${a:-0}" "${b:-0}")" "${a2:--}" "${b2:--}")"
	done
	say "  (target: ratio >= 1.0, defaults against defaults)"
}

# tp_skit STREAMS [SIZE] / tp_iperf STREAMS [LEN]: Gbit/s of one run.
tp_skit() {
	local s r
	bg "$SKIT" -v echo --discard "tcp:127.0.0.1:0"
	s=$LAST
	sleep 0.3
	r=$("$SKIT" bench -m throughput -P "$1" -t "$(($1 > 1 ? 2 : 1))" -d "$TP_DUR" ${2:+-s "$2"} --json \
		"$(sed -n 's/.*listening on //p' "$TMP/bg.err")" 2>/dev/null |
		jq -r '.sent_bytes_per_s * 8 / 1e9 | . * 100 | floor / 100')
	stop "$s"
	echo "$r"
}
tp_iperf() {
	local s p r
	p=$(free_port)
	bg iperf3 -s -1 -p "$p"
	s=$LAST
	wait_tcp "$p" >/dev/null
	r=$(iperf3 -c 127.0.0.1 -p "$p" -P "$1" -t "$TP_DUR" ${2:+-l "$2"} -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | floor / 100')
	stop "$s"
	echo "$r"
}

# ------------------------------------------------------------------- udp
# skit bench -m throughput -u (against skit echo --discard) beside
# iperf3 -u (against iperf3 -s) at equal datagram size, unlimited rate:
# the rate the sender achieved, and each one's loss at its receiver.
udp() {
	local p s a al b l
	say ""
	say "== 5. UDP throughput, ${TP_DUR}s, 1460-byte datagrams, -b 0: skit bench -u vs iperf3 -u (Gbit/s sent)"
	bg "$SKIT" -v echo --discard -t 1 "udp:127.0.0.1:0"
	s=$LAST
	sleep 0.3
	read -r a al <<<"$("$SKIT" bench -m throughput -b 0 -s 1460 -d "$TP_DUR" --json \
		"$(sed -n 's/.*listening on //p' "$TMP/bg.err")" 2>/dev/null |
		jq -r '"\(.sent_bytes_per_s * 8 / 1e9 | . * 100 | floor / 100) \(.lost_percent)"')"
	stop "$s"
	p=$(free_port)
	bg iperf3 -s -1 -p "$p"
	s=$LAST
	wait_tcp "$p" >/dev/null
	read -r b l <<<"$(iperf3 -c 127.0.0.1 -p "$p" -u -b 0 -l 1460 -t "$TP_DUR" -J 2>/dev/null |
		jq -r '"\(.end.sum.bits_per_second / 1e9 | . * 100 | floor / 100) \(.end.sum.lost_percent)"')"
	stop "$s"
	say "  skit ${a:--} (its loss ${al:--}%, counted by skit echo --discard)   iperf3 ${b:--} (its loss ${l:--}%)   ratio $(ratio "${a:-0}" "${b:-0}")   (target >= 1.0, no more loss)"
}

# ----------------------------------------------------------------- scale
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# hold NAME PID ADDR : hold $HOLD connections against PID serving ADDR
hold() {
	local name=$1 pid=$2 addr=$3 base fds0 after js
	sleep 0.3
	base=$(rss_kb "$pid")
	fds0=$(nfds "$pid")
	"$SKIT" bench -m conns -n "$HOLD" -d 3 -t 2 --timeout 10 --json "$addr" \
		>"$TMP/hold.json" 2>"$TMP/hold.err" &
	local bpid=$!
	for _ in $(seq 1 400); do
		[ "$(nfds "$pid")" -ge $((fds0 + HOLD)) ] && break
		kill -0 "$bpid" 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.5
	after=$(rss_kb "$pid")
	local held=$(($(nfds "$pid") - fds0))
	wait "$bpid"
	js=$TMP/hold.json
	say "$(printf '%-20s %8s %10s %10s %12s %10s' "$name" "$held" "$base" "$after" \
		"$(awk -v a="$after" -v b="$base" -v n="$held" 'BEGIN { if (n > 0) printf "%.0f", (a - b) * 1024 / n; else print "-" }')" \
		"$(jq -r '.setup_per_s | floor' "$js" 2>/dev/null || echo -)")"
}

scale() {
	local p s
	say ""
	say "== 4. Scale: $HOLD held TCP connections (client: skit bench --mode conns in another process)"
	say "$(printf '%-20s %8s %10s %10s %12s %10s' server held "RSS0 KiB" "RSS KiB" "bytes/conn" "setup/s")"
	p=$(free_port)
	bg "$SKIT" -v echo -t 2 "tcp:127.0.0.1:$p"
	s=$LAST; wait_tcp "$p"
	hold "skit echo -t 2" "$s" "tcp:127.0.0.1:$p"
	stop "$s"
	p=$(free_port)
	bg "$SKIT" -v echo -t 1 "tcp:127.0.0.1:$p"
	s=$LAST; wait_tcp "$p"
	hold "skit echo -t 1" "$s" "tcp:127.0.0.1:$p"
	stop "$s"
	p=$(free_port)
	bg "$MIN" tcp "$p"
	s=$LAST; wait_tcp "$p"
	hold "echo-min (floor)" "$s" "tcp:127.0.0.1:$p"
	stop "$s"
	p=$(free_port)
	bg ncat -l -k --max-conns 20000 127.0.0.1 "$p"
	s=$LAST; wait_tcp "$p"
	hold "ncat -k" "$s" "tcp:127.0.0.1:$p"
	stop "$s"
	say "  (target: skit echo <= 256 bytes of userspace memory per idle connection)"
}

# ------------------------------------------------------------------- tls
# TLS handshakes per second against one skit echo over TLS (a P-256
# certificate made here): skit bench -m crr (connect, handshake, 64 B,
# reply, close_notify, close; one connection at a time) and openssl
# s_time -new (connect, full handshake, close) on the same server.
tls() {
	local p s n t st sk
	say ""
	say "== 5. TLS handshakes/s against skit echo tls-listen (TLS 1.3, P-256), one connection at a time, ${TLS_DUR}s each"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TMP/tls.key" -out "$TMP/tls.pem" -days 1 \
		-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
	p=$(free_port)
	bg "$SKIT" -v echo -t 1 "tls-listen:127.0.0.1:$p,cert=$TMP/tls.pem,key=$TMP/tls.key"
	s=$LAST; wait_tcp "$p"
	read -r sk _ <<<"$("$SKIT" bench -m crr -s 64 -c 1 -d "$TLS_DUR" --json \
		"tls:127.0.0.1:$p,ca=$TMP/tls.pem" 2>/dev/null |
		jq -r '"\(.requests_per_s | floor) \(.latency_us.p50)"' 2>/dev/null || echo "- -")"
	read -r n t <<<"$(openssl s_time -connect "127.0.0.1:$p" -new -time "$TLS_DUR" 2>/dev/null |
		sed -n 's/^\([0-9]*\) connections in \([0-9.]*\) real seconds.*/\1 \2/p' | head -1)"
	st=$(awk -v n="${n:-0}" -v t="${t:-0}" 'BEGIN { if (t > 0) printf "%d", n / t; else print "-" }')
	stop "$s"
	say "$(printf '%-34s %12s' client "handshakes/s")"
	say "$(printf '%-34s %12s' "skit bench -m crr" "$sk")"
	say "$(printf '%-34s %12s' "openssl s_time -new" "$st")"
	say "ratio skit bench / s_time $(ratio "$sk" "$st")   (target: within 10%)"
}

say "skit bench/echo.sh  $(date -u '+%Y-%m-%d %H:%M UTC')  $(uname -r)  $(nproc) CPUs"
say "$("$SKIT" --version)"
for sec in $SECTIONS; do
	"$sec"
done
mkdir -p bench/results
cp "$TMP/report" "$OUT"
echo ""
echo "written to $OUT"
