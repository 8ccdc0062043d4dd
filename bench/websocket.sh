#!/usr/bin/env bash
# bench/websocket.sh - WebSocket echo servers side by side (issue 16,
# "Performance"): skit echo ws-listen:, python3-websockets and node's ws
# (Debian's node-ws), each measured by the same clients. On loopback,
# printing a table; never a test.
#
#   bench/websocket.sh
#
# Clients:
# - skit bench over ws (a request is one binary message, its reply the
#   echo): rr with one connection (latency p50/p99 and messages/s one
#   at a time), and rr with CONNS connections (messages/s, one in flight
#   on each);
# - node's ws, WINDOW messages in flight on one connection (pipelined:
#   a server may answer a batch with one write). Node's client is often
#   the bottleneck here: its rate says little about a fast server.
# Load-independent measures of each server, taken during the node
# pipelined run: its CPU time per message (user and system, from
# /proc/PID/stat) and, with strace (STRACE=0 skips it), its system
# calls per message.
#
# Environment: SKIT (build/skit), DUR (3 s per skit bench run), CONNS
# (16), MSGS (100000 pipelined messages; python gets MSGS/10), WINDOW
# (64), SIZE (32-byte messages), ROUNDS (2: the servers in the order
# skit node python, then reversed, and so on: A B B A).
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
MSGS=${MSGS:-100000}
WINDOW=${WINDOW:-64}
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

cat >"$tmp/client.js" <<'EOF'
// node client: N messages, WIN in flight on one connection: messages/s
const WebSocket = require("ws");
const [url, msgs, win, size] = process.argv.slice(2).map((v, i) => i ? +v : v);
const payload = Buffer.alloc(size, "x");
const ws = new WebSocket(url);
ws.on("open", () => {
	let sent = 0, got = 0;
	const t0 = process.hrtime.bigint();
	ws.on("message", () => {
		got++;
		if (sent < msgs) { ws.send(payload); sent++; }
		if (got === msgs) {
			const s = Number(process.hrtime.bigint() - t0) / 1e9;
			console.log(Math.round(msgs / s));
			ws.close();
		}
	});
	for (; sent < Math.min(win, msgs); sent++) ws.send(payload);
});
EOF
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

# bench_rr PORT CONNS: "rate p50 p99" from skit bench --json
bench_rr() {
	"$SKIT" bench --json -m rr -c "$2" -d "$DUR" -s "$SIZE" "ws://127.0.0.1:$1/" |
		python3 -c 'import json, sys
d = json.load(sys.stdin)
l = d["latency_us"]
print(round(d["requests_per_s"]), round(l["p50"], 1), round(l["p99"], 1))'
}

# cpu PID: user and system clock ticks so far
cpu() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# row NAME PID PORT
row() {
	local name=$1 pid=$2 port=$3 n=$MSGS r1 p50 p99 rn pipe ua sa ub sb calls sc=-
	read -r r1 p50 p99 < <(bench_rr "$port" 1)
	read -r rn _ _ < <(bench_rr "$port" "$CONNS")
	[ "$name" = python3-websockets ] && n=$((MSGS / 10))
	read -r ua sa < <(cpu "$pid")
	pipe=$(node "$tmp/client.js" "ws://127.0.0.1:$port/" "$n" "$WINDOW" "$SIZE")
	read -r ub sb < <(cpu "$pid")
	if [ "$STRACE" = 1 ]; then
		strace -f -c -p "$pid" -o "$tmp/strace" 2>/dev/null &
		local st=$!
		sleep 0.3
		node "$tmp/client.js" "ws://127.0.0.1:$port/" $((n / 5)) "$WINDOW" "$SIZE" >/dev/null
		kill -INT "$st"
		wait "$st" 2>/dev/null
		calls=$(awk '$NF == "total" { print $(NF - 2) }' "$tmp/strace")
		[ -n "$calls" ] && sc=$(awk -v c="$calls" -v n=$((n / 5)) 'BEGIN { printf "%.2f", c / n }')
	fi
	printf '%-20s %8s %8s %9s %9s %9s %9s %9s %8s\n' "$name" "$p50" "$p99" \
		"$r1" "$rn" "$pipe" \
		"$(awk -v t=$((ub - ua)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", t * 1e9 / hz / n }')" \
		"$(awk -v t=$((sb - sa)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", t * 1e9 / hz / n }')" \
		"$sc"
}

start skit "$SKIT" echo -v -t 1 ws-listen:127.0.0.1:0
skit_pid=$PID skit_port=$PORT
start py "$PY" tests/cli/ws_peer.py echo-server
py_pid=$PID py_port=$PORT
start node node "$tmp/server.js"
node_pid=$PID node_port=$PORT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "messages of $SIZE bytes; rr c=1 and c=$CONNS by skit bench ($DUR s each); pipelined: node's client, $WINDOW in flight"
printf '%-20s %8s %8s %9s %9s %9s %9s %9s %8s\n' server "p50 us" "p99 us" \
	"msg/s c1" "msg/s c$CONNS" "pipelined" "user ns" "sys ns" "calls"
order="skit node py"
for r in $(seq 1 "$ROUNDS"); do
	for s in $order; do
		case $s in
		skit) row "skit echo" "$skit_pid" "$skit_port" ;;
		py) row python3-websockets "$py_pid" "$py_port" ;;
		node) row "node ws" "$node_pid" "$node_port" ;;
		esac
	done
	order=$(echo "$order" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(user ns, sys ns, calls: the server's CPU time and system calls per message in the pipelined run)"
