#!/usr/bin/env bash
# tests/cli/json_samples.sh DIR - run every command that writes JSON, on
# loopback, and keep what each wrote in DIR/COMMAND.N.json, for
# json_check.py to hold against docs/json.md. Run it as root in a private
# network namespace (json.bats does: fixed ports, sniff, raw ping).
# skit is $SKIT.
set -u
d=$1
S=$SKIT
ip link set lo up
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
# ready PORT: wait (5 s at most) until something listens on tcp PORT
ready() {
	for _ in $(seq 100); do
		"$S" sockets -t -l sport "$1" 2>/dev/null | grep -q LISTEN && return 0
		sleep 0.05
	done
	echo "nothing listens on $1" >&2
	return 1
}

"$S" echo --json tcp:127.0.0.1:7000 >"$d/echo.1.json" 2>/dev/null &
echo_pid=$!
pids+=("$echo_pid")
ready 7000
"$S" ping --json -c 2 -i 0.1 127.0.0.1 >"$d/ping.1.json"
"$S" ping --json -c 1 -W 0.5 tcp:127.0.0.1:1 >"$d/ping.2.json"
"$S" ping --json -c 2 -i 0.1 tcp:127.0.0.1:7000 >"$d/ping.3.json"
"$S" bench -m rr -d 0.2 --json tcp:127.0.0.1:7000 >"$d/bench.1.json"
"$S" bench -m crr -d 0.2 --json tcp:127.0.0.1:7000 >"$d/bench.2.json"
"$S" bench -m throughput -d 0.2 --json tcp:127.0.0.1:7000 >"$d/bench.3.json"
"$S" bench -m rr -d 0.3 --interval 0.1 --json-stream tcp:127.0.0.1:7000 >"$d/bench.4.json"
"$S" relay --json tcp-listen:127.0.0.1:7001,fork tcp:127.0.0.1:7000 >"$d/relay.1.json" 2>/dev/null &
relay_pid=$!
pids+=("$relay_pid")
ready 7001
(sleep 1 | "$S" connect tcp:127.0.0.1:7001 >/dev/null) &
for _ in $(seq 100); do grep -q '"open"' "$d/relay.1.json" && break; sleep 0.05; done
kill -USR1 "$relay_pid"
wait $!
for _ in $(seq 100); do grep -q '"close"' "$d/relay.1.json" && break; sleep 0.05; done
"$S" relay --json tcp-listen:127.0.0.1:7003 'tcp:127.0.0.1:7009,retry=1,interval=100ms' >"$d/relay.2.json" 2>/dev/null &
pids+=($!)
ready 7003
"$S" connect tcp:127.0.0.1:7003 </dev/null >/dev/null 2>&1
"$S" proxy --json tcp:127.0.0.1:7005 >"$d/proxy.1.json" 2>/dev/null &
proxy_pid=$!
pids+=("$proxy_pid")
ready 7005
echo hi | "$S" connect 'tcp:127.0.0.1:7000,proxy=socks5://127.0.0.1:7005' >/dev/null
"$S" connect 'tcp:127.0.0.1:7009,proxy=socks5://127.0.0.1:7005' </dev/null >/dev/null 2>&1
for _ in $(seq 100); do [ "$(grep -c '"close"\|"refused"' "$d/proxy.1.json")" -ge 2 ] && break; sleep 0.05; done
kill "$proxy_pid"
"$S" recv --json --count 1 udp:127.0.0.1:7002 >"$d/recv.1.json" &
pids+=($!)
for _ in $(seq 100); do "$S" sockets -u sport 7002 | grep -q UNCONN && break; sleep 0.05; done
"$S" send --json udp:127.0.0.1:7002 hello >"$d/send.1.json"
"$S" recv --json --reply ok --count 1 udp:127.0.0.1:7004 >"$d/recv.2.json" &
pids+=($!)
for _ in $(seq 100); do "$S" sockets -u sport 7004 | grep -q UNCONN && break; sleep 0.05; done
"$S" send --json -w 0.3 udp:127.0.0.1:7004 hello >"$d/send.2.json"
"$S" sniff --json -i lo -c 2 >"$d/sniff.1.json" 2>/dev/null &
sniff_pid=$!
sleep 0.3
"$S" ping -c 1 127.0.0.1 >/dev/null
for _ in $(seq 100); do kill -0 "$sniff_pid" 2>/dev/null || break; sleep 0.05; done
"$S" probe --json >"$d/probe.1.json"
"$S" resolve --json tcp:127.0.0.1:80 unix:@x >"$d/resolve.1.json"
"$S" sockets --json >"$d/sockets.1.json"
"$S" ifaces --json >"$d/ifaces.1.json"
"$S" ifaces --routes --json >"$d/ifaces.2.json"
"$S" --trace=json connect tcp:127.0.0.1:1 2>&1 | grep '^{' >"$d/trace.1.json"
kill "$echo_pid"
wait "$echo_pid" 2>/dev/null
true
