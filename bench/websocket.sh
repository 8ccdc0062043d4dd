#!/usr/bin/env bash
# bench/websocket.sh - WebSocket echo servers side by side (issue 16,
# "Performance"): skit echo ws-listen:, python3-websockets and node's ws
# (Debian's node-ws), each measured by the same client (node's ws: it
# is the fastest client at hand), and skit's client (skit connect)
# against each. On loopback, one run, printing a table; never a test.
#
#   bench/websocket.sh
#
# Environment: SKIT (build/skit), RR (20000 round trips, one message in
# flight: latency p50/p99), MSGS (100000 messages, WINDOW (64) in
# flight: messages per second), SIZE (32-byte messages).
#
# Notes:
# - skit echo runs with one thread (-t 1), as the others run one event
#   loop each.
# - "skit connect" sends MSGS lines (text messages) through a pipe and
#   counts the lines that come back: its rate includes the pipe and the
#   line framing, as a user of skit connect would see it.
set -u
cd "$(dirname "$0")/.."
SKIT=${SKIT:-build/skit}
RR=${RR:-20000}
MSGS=${MSGS:-100000}
WINDOW=${WINDOW:-64}
SIZE=${SIZE:-32}
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

cat >"$tmp/client.js" <<'EOF'
// node client: rr latency, then pipelined messages per second
const WebSocket = require("ws");
const [url, rr, msgs, win, size] = process.argv.slice(2).map((v, i) => i ? +v : v);
const payload = "x".repeat(size);
const ws = new WebSocket(url);
ws.on("open", async () => {
	const lat = [];
	for (let i = 0; i < rr; i++) {
		const t = process.hrtime.bigint();
		await new Promise((res) => { ws.once("message", res); ws.send(payload); });
		lat.push(Number(process.hrtime.bigint() - t) / 1000);
	}
	lat.sort((a, b) => a - b);
	let sent = 0, got = 0;
	const t0 = process.hrtime.bigint();
	await new Promise((res) => {
		ws.on("message", () => {
			got++;
			if (sent < msgs) { ws.send(payload); sent++; }
			if (got === msgs) res();
		});
		for (; sent < Math.min(win, msgs); sent++) ws.send(payload);
	});
	const s = Number(process.hrtime.bigint() - t0) / 1e9;
	console.log(`${lat[Math.floor(rr * 0.5)].toFixed(1)} ${lat[Math.floor(rr * 0.99)].toFixed(1)} ${Math.round(msgs / s)}`);
	ws.close();
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
# or skit's "listening on" line)
start() {
	local name=$1 i port=
	shift
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids+=($!)
	for i in $(seq 1 100); do
		port=$(head -1 "$tmp/$name.out" 2>/dev/null)
		[ -n "$port" ] || port=$(sed -n 's/.*listening on tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/$name.err" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.05
	done
	echo "$port"
}

skit_port=$(start skit "$SKIT" echo -v -t 1 ws-listen:127.0.0.1:0)
py_port=$(start py "$PY" tests/cli/ws_peer.py echo-server)
node_port=$(start node node "$tmp/server.js")

yes "$(head -c "$SIZE" /dev/zero | tr '\0' x)" | head -n "$MSGS" >"$tmp/lines"

# skit connect: MSGS lines out, wait for them all back
skit_client() {
	local port=$1 t0 t1
	t0=$(date +%s.%N)
	{
		cat "$tmp/lines"
		for _ in $(seq 1 600); do
			[ "$(wc -l <"$tmp/sc.out")" -ge "$MSGS" ] && break
			sleep 0.05
		done
	} | "$SKIT" connect "ws://127.0.0.1:$port/" >"$tmp/sc.out"
	t1=$(date +%s.%N)
	echo "$MSGS $t0 $t1" | awk '{ printf "%d", $1 / ($3 - $2) }'
}

printf '%-22s %10s %10s %12s %16s\n' server "p50 us" "p99 us" "msgs/s" "skit conn. msg/s"
for s in skit py node; do
	eval "port=\$${s}_port"
	read -r p50 p99 rate < <(node "$tmp/client.js" "ws://127.0.0.1:$port/" "$RR" "$MSGS" "$WINDOW" "$SIZE")
	: >"$tmp/sc.out"
	sc=$(skit_client "$port")
	case $s in
	skit) name="skit echo" ;;
	py) name="python3-websockets" ;;
	node) name="node ws" ;;
	esac
	printf '%-22s %10s %10s %12s %16s\n' "$name" "$p50" "$p99" "$rate" "$sc"
done
