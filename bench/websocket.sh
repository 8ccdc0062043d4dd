#!/usr/bin/env bash
# bench/websocket.sh - WebSocket echo servers side by side (issue 16,
# "Performance"): skit echo ws-listen:, python3-websockets and node's ws
# (Debian's node-ws), each measured by the same client, skit bench over
# ws (a request is one binary message, its reply the echo). On loopback,
# printing a table; never a test.
#
#   bench/websocket.sh
#
# Columns, per server:
# - msg/s: the server's messages per second, a throughput: skit bench
#   -m rr --pipeline WINDOW -c CONNS -d DUR -w 0 (WINDOW messages in
#   flight on each of CONNS connections, the window refilled by one
#   write; every answer checked against its message);
# - p50, p99, msg/s c1: rr with one message in flight on one connection
#   (latency; the rate one at a time, bounded by the loopback round
#   trip, not by the server);
# - user ns, sys ns, calls: the server's CPU time (from /proc/PID/stat)
#   and system calls (strace -f -c, STRACE=0 skips it) per message,
#   taken during the pipelined run; load-independent, unlike the rates;
# - client ns: skit bench's own CPU time per message in that run.
# Then the ratio of skit's msg/s to node's (the means over the rounds).
#
# Is the client the bottleneck? For node and python, no: skit bench
# spends about half of node's CPU per message (client ns against user +
# sys ns). For skit echo it is a co-bottleneck: measured on the 2-CPU VM
# (load 7-8), skit bench spent 210-250 ns a message and skit echo
# 240-280, each on a CPU of its own, so skit echo's msg/s is a lower
# bound of its capacity (and the skit/node ratio a conservative one).
# More client threads do not help on 2 CPUs: -t 2 gave 1.9-2.0M msg/s
# against 2.1-2.2M with -t 1 (three threads then share two CPUs), and
# -c 64 no more than -c 16; a deeper window (WINDOW=256) gave 2.4-3.0M,
# both sides batching more (about 150 ns a message each). Node's own
# client (the old "pipelined" column) is gone: it topped out near 110k
# msg/s against skit echo and node alike, so it measured itself.
#
# Environment: SKIT (build/skit), DUR (3 s per run), CONNS (16), WINDOW
# (64), SIZE (32-byte messages), THREADS (1: skit bench's -t),
# ROUNDS (2: the servers in the order skit node python, then reversed,
# and so on: A B B A).
#
# skit echo runs with one thread (-t 1), as the others run one event
# loop each. The load average is printed before and after: on a busy
# machine the rates are noise, the per-message CPU and system calls much
# less so.
set -u
cd "$(dirname "$0")/.."
SKIT=${SKIT:-build/skit}
DUR=${DUR:-3}
CONNS=${CONNS:-16}
WINDOW=${WINDOW:-64}
THREADS=${THREADS:-1}
SIZE=${SIZE:-32}
ROUNDS=${ROUNDS:-2}
STRACE=${STRACE:-1}
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

PY=python3
python3 -c 'import websockets' 2>/dev/null || PY=/usr/bin/python3
command -v strace >/dev/null || STRACE=0

cat >"$tmp/server.js" <<'EOF'
const WebSocket = require("ws");
const wss = new WebSocket.Server({ host: "127.0.0.1", port: 0, perMessageDeflate: false }, () => {
	console.log(wss.address().port);
});
wss.on("connection", (ws) => ws.on("message", (m, bin) => ws.send(m, { binary: bin })));
EOF

# start NAME CMD...: a server printing its port (first line of stdout,
# or skit's "listening on" line); sets PID and PORT
start() {
	local name=$1 i
	shift
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	PID=$!
	pids+=("$PID")
	PORT=
	for i in $(seq 1 100); do
		PORT=$(head -1 "$tmp/$name.out" 2>/dev/null)
		[ -n "$PORT" ] || PORT=$(sed -n 's/.*listening on tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/$name.err" 2>/dev/null)
		[ -n "$PORT" ] && break
		sleep 0.05
	done
}

# bench_rr PORT: "rate p50 p99" of rr, one message in flight, one
# connection
bench_rr() {
	"$SKIT" bench --json -m rr -d "$DUR" -s "$SIZE" "ws://127.0.0.1:$1/" |
		python3 -c 'import json, sys
d = json.load(sys.stdin)
l = d["latency_us"]
print(round(d["requests_per_s"]), round(l["p50"], 1), round(l["p99"], 1))'
}

# bench_pipe PORT SECS: "rate requests user_s sys_s" of SECS of
# messages, WINDOW in flight on each of CONNS connections, without a
# warm-up (so the server handled the messages counted, and at most
# CONNS * WINDOW more); the client's CPU seconds
bench_pipe() {
	/usr/bin/time -f "%U %S" -o "$tmp/time" "$SKIT" bench --json -m rr \
		--pipeline "$WINDOW" -c "$CONNS" -t "$THREADS" -d "$2" -w 0 \
		-s "$SIZE" "ws://127.0.0.1:$1/" >"$tmp/pipe.json" || return
	printf '%s %s %s\n' "$(jq .requests_per_s "$tmp/pipe.json")" \
		"$(jq .requests "$tmp/pipe.json")" "$(cat "$tmp/time")"
}

# cpu PID: user and system clock ticks so far
cpu() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# per_msg TICKS N: nanoseconds per message
per_msg() {
	awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%d", t * 1e9 / hz / n }'
}

# row NAME KEY PID PORT
row() {
	local name=$1 key=$2 pid=$3 port=$4 r1 p50 p99 rate n cu cs
	local ua sa ub sb calls sc=- m
	read -r r1 p50 p99 < <(bench_rr "$port")
	read -r ua sa < <(cpu "$pid")
	read -r rate n cu cs < <(bench_pipe "$port" "$DUR")
	read -r ub sb < <(cpu "$pid")
	if [ "$STRACE" = 1 ]; then
		strace -f -c -p "$pid" -o "$tmp/strace" 2>/dev/null &
		local st=$!
		sleep 0.3
		read -r _ m _ < <(bench_pipe "$port" 1)
		kill -INT "$st"
		wait "$st" 2>/dev/null
		calls=$(awk '$NF == "total" { print $(NF - 2) }' "$tmp/strace")
		[ -n "$calls" ] && [ "${m:-0}" -gt 0 ] &&
			sc=$(awk -v c="$calls" -v n="$m" 'BEGIN { printf "%.2f", c / n }')
	fi
	echo "$key $rate" >>"$tmp/rates"
	printf '%-20s %9.0f %8s %8s %9s %9s %9s %8s %9s\n' "$name" "$rate" \
		"$p50" "$p99" "$r1" \
		"$(per_msg $((ub - ua)) "$n")" "$(per_msg $((sb - sa)) "$n")" \
		"$sc" \
		"$(awk -v u="$cu" -v s="$cs" -v n="$n" 'BEGIN { printf "%d", (u + s) * 1e9 / n }')"
}

start skit "$SKIT" echo -v -t 1 ws-listen:127.0.0.1:0
skit_pid=$PID skit_port=$PORT
start py "$PY" tests/cli/ws_peer.py echo-server
py_pid=$PID py_port=$PORT
start node node "$tmp/server.js"
node_pid=$PID node_port=$PORT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "messages of $SIZE bytes, $DUR s a run; msg/s: skit bench -m rr --pipeline $WINDOW -c $CONNS -t $THREADS; p50, p99, msg/s c1: one in flight, one connection"
printf '%-20s %9s %8s %8s %9s %9s %9s %8s %9s\n' server "msg/s" "p50 us" \
	"p99 us" "msg/s c1" "user ns" "sys ns" "calls" "client ns"
: >"$tmp/rates"
order="skit node py"
for r in $(seq 1 "$ROUNDS"); do
	for s in $order; do
		case $s in
		skit) row "skit echo" skit "$skit_pid" "$skit_port" ;;
		py) row python3-websockets py "$py_pid" "$py_port" ;;
		node) row "node ws" node "$node_pid" "$node_port" ;;
		esac
	done
	order=$(echo "$order" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{ sum[$1] += $2; n[$1]++ }
END {
	if (n["skit"] && n["node"] && sum["node"] > 0)
		printf "skit echo / node ws msg/s: %.2f (means of %d rounds)\n",
			(sum["skit"] / n["skit"]) / (sum["node"] / n["node"]), n["skit"]
}' "$tmp/rates"
echo "(user ns, sys ns, calls: the server's CPU time and system calls per message in the pipelined run; client ns: skit bench's CPU time per message there)"
