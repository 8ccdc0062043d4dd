#!/usr/bin/env bats
# skit bench against skit echo: every mode, structure and sanity of the
# results (counts, ordered percentiles, valid JSON), never speed; dead and
# non-echo servers give a clear error and the right exit code, no hang.
load helpers

teardown() {
	bg_cleanup
}

# free_port : a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# check_rr FILE N : a one-object rr/crr result with N requests, ordered
# percentiles, nothing lost.
check_rr() {
	json_valid "$1"
	[ "$(wc -l <"$1")" -eq 1 ]
	[ "$(jq .requests "$1")" -eq "$2" ]
	[ "$(jq .lost "$1")" -eq 0 ]
	jq -e '.latency_us | .min > 0 and .min <= .p50 and .p50 <= .p90 and
		.p90 <= .p99 and .p99 <= .p99_9 and .p99_9 <= .max and
		.mean >= .min and .mean <= .max' "$1" >/dev/null
	jq -e '.requests_per_s > 0 and .seconds > 0' "$1" >/dev/null
}

@test "bench --help documents the options" {
	run "$SKIT" bench --help
	[ "$status" -eq 0 ]
	for o in --mode --concurrency --parallel --conns --size --duration \
		--requests --bytes --direction --warmup --timeout --threads \
		--interval --json --json-stream --sockperf --report --compare \
		--udp --bitrate --pipeline; do
		[[ "$output" == *"$o"* ]]
	done
}

@test "bench: usage errors exit 2" {
	run "$SKIT" bench
	[ "$status" -eq 2 ]
	run "$SKIT" bench --mode bogus tcp:127.0.0.1:9
	[ "$status" -eq 2 ]
	[[ "$output" == *"bogus"* ]]
	# udp throughput is iperf3 -u's job now (bench_udp.bats); seqpacket
	# throughput is still refused
	run "$SKIT" bench --mode throughput "unix-seqpacket:@skit-no-$$"
	[ "$status" -eq 2 ]
	run "$SKIT" bench --mode conns --requests 5 tcp:127.0.0.1:9
	[ "$status" -eq 2 ]
	run "$SKIT" bench 'tcp:127.0.0.1'
	[ "$status" -eq 2 ]
	run "$SKIT" bench --sockperf -s 13 tcp:127.0.0.1:9
	[ "$status" -eq 2 ]
	[[ "$output" == *"--size must be at least 14"* ]]
	run "$SKIT" bench --sockperf -m throughput tcp:127.0.0.1:9
	[ "$status" -eq 2 ]
	[[ "$output" == *"--sockperf is for"* ]]
}

@test "bench rr over tcp: --requests counts exactly, percentiles ordered" {
	skit_bg -v echo -t 2 tcp:127.0.0.1:0
	out=$BATS_TEST_TMPDIR/rr.json
	run timeout 30 "$SKIT" bench -m rr -r 3000 -c 8 -t 2 --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" >"$out"
	check_rr "$out" 3000
	[ "$(jq .connections "$out")" -eq 8 ]
	[ "$(jq -r .address "$out")" = "$BG_ADDR" ]
	# The server saw exactly those bytes.
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	grep -q "192000 bytes in, 192000 bytes out" "$BG_ERR"
}

@test "bench rr and crr: --requests counts exactly after a --warmup" {
	skit_bg -v echo -t 2 tcp:127.0.0.1:0
	for m in rr crr; do
		for c in 1 3; do
			run timeout 30 "$SKIT" bench -m "$m" -r 400 -c "$c" -w 0.1 --json "$BG_ADDR"
			[ "$status" -eq 0 ]
			echo "$output" >"$BATS_TEST_TMPDIR/w.json"
			check_rr "$BATS_TEST_TMPDIR/w.json" 400
		done
	done
}

@test "bench rr over udp, unix, unix-dgram, unix-seqpacket" {
	for a in udp:127.0.0.1:0 "unix:$BATS_TEST_TMPDIR/s" "unix-dgram:@skit-b-$$" \
		"unix-seqpacket:@skit-bs-$$"; do
		skit_bg -v echo -t 1 "$a"
		run timeout 30 "$SKIT" bench -m rr -r 500 -c 2 -s 100 --json "$BG_ADDR"
		[ "$status" -eq 0 ] || { echo "$a: $output"; false; }
		echo "$output" >"$BATS_TEST_TMPDIR/o.json"
		check_rr "$BATS_TEST_TMPDIR/o.json" 500
	done
}

@test "bench rr --pipeline: exact --requests over tcp, unix and ws, the depth recorded" {
	for a in tcp:127.0.0.1:0 "unix:@skit-bp-$$" ws-listen:127.0.0.1:0; do
		skit_bg -v echo -t 1 "$a"
		t=$BG_ADDR
		[[ "$a" == ws-* ]] && t="ws://127.0.0.1:$BG_PORT/"
		run timeout 30 "$SKIT" bench -m rr -r 1001 -c 3 --pipeline 16 --json "$t"
		[ "$status" -eq 0 ] || { echo "$a: $output"; false; }
		echo "$output" >"$BATS_TEST_TMPDIR/p.json"
		check_rr "$BATS_TEST_TMPDIR/p.json" 1001
		[ "$(jq .pipeline "$BATS_TEST_TMPDIR/p.json")" -eq 16 ]
		# No request beyond the count: the server saw exactly those.
		kill -TERM "$BG_PID"
		wait_exit "$BG_PID" 10
		[[ "$a" == ws-* ]] || grep -q "64064 bytes in, 64064 bytes out" "$BG_ERR"
	done
	# the record shows the depth, also read back by --compare
	run "$SKIT" bench --compare --report "$BATS_TEST_TMPDIR/c.html" \
		"$BATS_TEST_TMPDIR/p.json" "$BATS_TEST_TMPDIR/p.json"
	[ "$status" -eq 0 ]
	grep -q "<td>3, 1, 16</td>" "$BATS_TEST_TMPDIR/c.html"
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run timeout 30 "$SKIT" bench -m rr -r 50 --pipeline 4 "$BG_ADDR"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "skit bench --mode rr --pipeline 4 $BG_ADDR  ("* ]]
	# datagrams: refused, with the reason
	run "$SKIT" bench -m rr --pipeline 4 udp:127.0.0.1:9
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pipeline needs a stream or seqpacket address"* ]]
	run "$SKIT" bench -m crr --pipeline 4 tcp:127.0.0.1:9
	[ "$status" -eq 2 ]
}

@test "bench rr --pipeline: a changed or reordered answer in the window is an error" {
	# An echo peer that flips a bit of the 6th answer, or swaps the 3rd
	# and 4th: each reply is checked against its own request.
	for how in flip swap; do
		python3 -c '
import socket, sys
how = sys.argv[1]
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1); l.settimeout(20)
print(l.getsockname()[1], flush=True)
c, _ = l.accept(); c.settimeout(20)
buf, seen, done = b"", 0, False
while True:
    d = c.recv(65536)
    if not d:
        break
    if done:
        c.sendall(d)
        continue
    buf += d
    if len(buf) < 6 * 64:
        continue
    b = bytearray(buf)
    if how == "flip":
        b[5 * 64 + 20] ^= 1
    else:
        b[128:192], b[192:256] = buf[192:256], buf[128:192]
    c.sendall(b)
    done = True
' "$how" >"$BATS_TEST_TMPDIR/bad.port" &
		bpid=$!
		BG_PIDS="${BG_PIDS:-} $bpid"
		for i in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/bad.port" ] && break; sleep 0.05; done
		run timeout 20 "$SKIT" bench -m rr -r 100 -s 64 --pipeline 8 "tcp:127.0.0.1:$(cat "$BATS_TEST_TMPDIR/bad.port")"
		kill "$bpid" 2>/dev/null || true
		wait "$bpid" 2>/dev/null || true
		rm -f "$BATS_TEST_TMPDIR/bad.port"
		[ "$status" -eq 1 ] || { echo "$how: $output"; false; }
		if [ "$how" = flip ]; then
			[[ "$output" == *"not an echo of the request (byte 20 differs)"* ]]
		else
			[[ "$output" == *"not an echo of the request (byte 0 differs)"* ]]
		fi
	done
}

@test "bench rr by duration: a text table, warm-up not counted" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" bench -m rr -d 0.5 -w 0.2 "$BG_ADDR"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "skit bench --mode rr $BG_ADDR  (1 thread, "* ]]
	[[ "$output" == *"requests/s"* ]]
	[[ "$output" == *"p99.9"* ]]
	# Not a terminal: no progress line.
	[ -z "$stderr" ]
	n=$(echo "$output" | awk '$1 == "requests" {print $2}')
	[ "$n" -gt 0 ]
	# The server answered more than was counted (the warm-up).
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	served=$(sed -n 's/.* \([0-9]*\) bytes in.*/\1/p' "$BG_ERR")
	[ "$served" -gt $((n * 64)) ]
}

@test "bench on a terminal: a live progress line on stderr" {
	need_cmd script
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run timeout 30 script -qec "$SKIT bench -m rr -d 0.5 -i 0.1 $BG_ADDR" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\r'*" requests/s"* ]]
	[[ "$output" == *"latency (us)"* ]]
}

@test "bench crr over tcp and unix: one connection per request" {
	for a in tcp:127.0.0.1:0 "unix:@skit-bc-$$"; do
		skit_bg -v echo -t 2 "$a"
		run timeout 30 "$SKIT" bench -m crr -r 300 -c 3 --json "$BG_ADDR"
		[ "$status" -eq 0 ] || { echo "$output"; false; }
		echo "$output" >"$BATS_TEST_TMPDIR/c.json"
		check_rr "$BATS_TEST_TMPDIR/c.json" 300
		[ "$(jq .connects "$BATS_TEST_TMPDIR/c.json")" -eq 300 ]
		[ "$(jq .connect_errors "$BATS_TEST_TMPDIR/c.json")" -eq 0 ]
		kill -TERM "$BG_PID"
		wait_exit "$BG_PID" 10
		grep -q "echo: 300 connections" "$BG_ERR"
	done
}

@test "bench throughput: --bytes both ways through echo, per stream" {
	skit_bg -v echo -t 2 tcp:127.0.0.1:0
	run timeout 30 "$SKIT" bench -m throughput -P 3 --bytes 3m -s 64k --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/t.json"
	json_valid "$BATS_TEST_TMPDIR/t.json"
	[ "$(jq .bytes_sent "$BATS_TEST_TMPDIR/t.json")" -eq 3145728 ]
	[ "$(jq .bytes_received "$BATS_TEST_TMPDIR/t.json")" -eq 3145728 ]
	[ "$(jq '.per_stream | length' "$BATS_TEST_TMPDIR/t.json")" -eq 3 ]
	[ "$(jq '[.per_stream[].bytes_sent] | add' "$BATS_TEST_TMPDIR/t.json")" -eq 3145728 ]
}

@test "bench throughput: to --discard by duration, from --source" {
	skit_bg -v echo --discard -t 1 tcp:127.0.0.1:0
	run timeout 30 "$SKIT" bench -m throughput -P 2 -d 0.3 --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.bytes_sent > 0 and .bytes_received == 0 and
		.sent_bytes_per_s > 0 and .streams == 2' >/dev/null
	# Throughput writes 1 MiB at a time unless --size says otherwise.
	echo "$output" | jq -e '.write_size == 1048576' >/dev/null
	skit_bg -v echo --source -t 1 "unix:@skit-src-$$"
	run timeout 30 "$SKIT" bench -m throughput --direction recv --bytes 1m --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.bytes_received == 1048576 and .bytes_sent == 0' >/dev/null
	# A share that is no multiple of any read or write size: not a byte
	# more is read (or counted) than asked for.
	run timeout 30 "$SKIT" bench -m throughput --direction recv --bytes 1000003 --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.bytes_received == 1000003' >/dev/null
}

@test "bench: TCP_NODELAY for rr and crr, Nagle kept for throughput unless nodelay is asked for" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" --trace bench -m rr -r 5 "$BG_ADDR"
	[ "$status" -eq 0 ]
	grep -q 'trace: setsockopt(.*TCP_NODELAY, 1) = 0' <<<"$stderr"
	run --separate-stderr timeout 30 "$SKIT" --trace bench -m throughput --bytes 1m "$BG_ADDR"
	[ "$status" -eq 0 ]
	[ "$(grep -c TCP_NODELAY <<<"$stderr")" -eq 0 ]
	run --separate-stderr timeout 30 "$SKIT" --trace bench -m throughput --bytes 1m "$BG_ADDR,nodelay"
	[ "$status" -eq 0 ]
	grep -q 'trace: setsockopt(.*TCP_NODELAY, 1) = 0' <<<"$stderr"
}

@test "bench rr over udp: lost datagrams are counted, the rest measured" {
	# An echo that drops every third datagram.
	python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
n = 0
while n < 1000:
    b, a = s.recvfrom(65536)
    n += 1
    if n % 3:
        s.sendto(b, a)
' >"$BATS_TEST_TMPDIR/lossy.port" &
	lpid=$!
	for i in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/lossy.port" ] && break; sleep 0.05; done
	port=$(cat "$BATS_TEST_TMPDIR/lossy.port")
	for c in 1 2; do
		run timeout 30 "$SKIT" bench -m rr -r 30 -c "$c" --timeout 0.1 --json "udp:127.0.0.1:$port"
		[ "$status" -eq 0 ] || { echo "$output"; false; }
		echo "$output" | jq -e '.requests + .lost == 30 and .lost == 10 and
			.late == 0 and .latency_us.p50 <= .latency_us.max' >/dev/null ||
			{ echo "c=$c: $output"; false; }
	done
	kill "$lpid" 2>/dev/null || true
	wait "$lpid" 2>/dev/null || true
}

@test "bench conns: opens, probes and holds; setup rate reported" {
	skit_bg -v echo -t 2 tcp:127.0.0.1:0
	run timeout 30 "$SKIT" bench -m conns -n 300 -s 8 -d 0.2 --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.opened == 300 and .served == 300 and
		.failed == 0 and .held == 300 and .setup_per_s > 0' >/dev/null
}

@test "bench --json-stream: one object per interval, then the summary" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" bench -m rr -d 0.6 -w 0 -i 0.1 --json-stream "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/s.json"
	json_valid "$BATS_TEST_TMPDIR/s.json"
	n=$(jq -r 'select(.event=="interval") | .interval' "$BATS_TEST_TMPDIR/s.json" | wc -l)
	[ "$n" -ge 2 ]
	[ "$(tail -1 "$BATS_TEST_TMPDIR/s.json" | jq -r .event)" = summary ]
	# The intervals never count more than the whole run.
	sum=$(jq -s '[.[] | select(.event=="interval") | .requests] | add' "$BATS_TEST_TMPDIR/s.json")
	total=$(tail -1 "$BATS_TEST_TMPDIR/s.json" | jq .requests)
	[ "$sum" -le "$total" ]
}

@test "bench against a dead server: refused, exit 4, no hang" {
	# A port nobody listens on: bind one, note it, close it.
	port=$(free_port)
	for m in rr crr throughput conns; do
		run timeout 20 "$SKIT" bench -m "$m" -d 1 "tcp:127.0.0.1:$port"
		[ "$status" -eq 4 ] || { echo "$m: $status $output"; false; }
		[[ "$output" == *"Connection refused"* ]]
	done
	run timeout 20 "$SKIT" bench -m rr -r 5 "unix:$BATS_TEST_TMPDIR/none.sock"
	[ "$status" -eq 4 ]
	run timeout 20 "$SKIT" bench -m rr -r 5 --timeout 0.5 "udp:127.0.0.1:$port"
	[ "$status" -eq 4 ]
	[[ "$output" == *"Connection refused"* ]]
}

@test "bench rr unix-dgram: a receiver that stops reading: exit 5 after --timeout" {
	dgram_sink
	fill_sink
	# One connection (the blocking fast path) and two (the event loop).
	for c in 1 2; do
		run --separate-stderr timeout 30 "$SKIT" bench -m rr -c "$c" -r 100 --timeout 0.5 "$SINK"
		[ "$status" -eq 5 ] || { echo "-c $c: $status $stderr"; false; }
		[[ "$stderr" == *"skit: bench $SINK: the receiver's queue is full (EAGAIN) after 0.5 s"* ]]
	done
}

@test "bench against a non-echo server: a clear error, no hang" {
	# Discard: no reply (exit 1 after --timeout).
	skit_bg -v echo --discard -t 1 tcp:127.0.0.1:0
	run timeout 20 "$SKIT" bench -m rr -r 10 --timeout 0.3 "$BG_ADDR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no reply within 300 ms"* ]]
	# Source: the reply is not an echo (exit 1).
	skit_bg -v echo --source -t 1 tcp:127.0.0.1:0
	run timeout 20 "$SKIT" bench -m rr -r 10 "$BG_ADDR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an echo"* ]]
	# UDP discard: every request lost (exit 1).
	skit_bg -v echo --discard -t 1 udp:127.0.0.1:0
	run timeout 20 "$SKIT" bench -m rr -r 3 --timeout 0.2 "$BG_ADDR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no reply to any of 3 requests"* ]]
	# A server that closes every connection: cut short (exit 7).
	python3 -c '
import socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(16)
print(l.getsockname()[1], flush=True)
for _ in range(200):
    c, _ = l.accept(); c.close()
' >"$BATS_TEST_TMPDIR/closer.port" &
	cpid=$!
	for i in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/closer.port" ] && break; sleep 0.05; done
	cport=$(cat "$BATS_TEST_TMPDIR/closer.port")
	run timeout 20 "$SKIT" bench -m rr -r 10 "tcp:127.0.0.1:$cport"
	[ "$status" -eq 7 ]
	[[ "$output" == *"closed the connection"* || "$output" == *"reset by peer"* ]]
	# crr retries a broken cycle, but not forever.
	run timeout 20 "$SKIT" bench -m crr -r 10 "tcp:127.0.0.1:$cport"
	kill "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
	[ "$status" -eq 7 ]
}

# sockperf_peer tcp|udp [MODE] : start tests/cli/sockperf_peer.py; sets
# SP_PORT and SP_PID.
sockperf_peer() {
	local f=$BATS_TEST_TMPDIR/sp.$1$2.port
	python3 "$BATS_TEST_DIRNAME/sockperf_peer.py" "$@" >"$f" &
	SP_PID=$!
	BG_PIDS="${BG_PIDS:-} $SP_PID"
	for i in $(seq 1 100); do [ -s "$f" ] && break; sleep 0.05; done
	SP_PORT=$(cat "$f")
	[ -n "$SP_PORT" ]
}

@test "bench --sockperf: sockperf's framing, answered by a sockperf-like server" {
	sockperf_peer tcp
	out=$BATS_TEST_TMPDIR/sp.json
	for args in "-m rr -r 500" "-m rr -r 400 -c 4 -t 2" "-m crr -r 50"; do
		run timeout 30 "$SKIT" bench --sockperf $args --json "tcp:127.0.0.1:$SP_PORT"
		[ "$status" -eq 0 ] || { echo "$args: $output"; false; }
		echo "$output" >"$out"
		check_rr "$out" "$(echo "$args" | sed 's/.*-r \([0-9]*\).*/\1/')"
		[ "$(jq -r .framing "$out")" = sockperf ]
	done
	run timeout 30 "$SKIT" bench --sockperf -m conns -n 20 -s 100 -d 0.2 --json "tcp:127.0.0.1:$SP_PORT"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.served == 20 and .framing == "sockperf"' >/dev/null
	# Without --sockperf the peer hangs up, as sockperf's server does.
	run timeout 30 "$SKIT" bench -m rr -r 5 "tcp:127.0.0.1:$SP_PORT"
	[ "$status" -eq 7 ]
	[[ "$output" == *"add --sockperf"* ]]
	sockperf_peer udp
	run timeout 30 "$SKIT" bench --sockperf -m rr -r 300 -c 2 -s 1000 --json "udp:127.0.0.1:$SP_PORT"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo "$output" >"$out"
	check_rr "$out" 300
	[ "$(jq .late "$out")" -eq 0 ]
}

@test "bench --sockperf against skit echo: an unchanged echo is accepted too" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run timeout 30 "$SKIT" bench --sockperf -m rr -r 300 --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/e.json"
	check_rr "$BATS_TEST_TMPDIR/e.json" 300
	run timeout 30 "$SKIT" bench --sockperf -m rr -r 10 "$BG_ADDR"
	[ "$status" -eq 0 ]
	[[ "$output" == *"--mode rr --sockperf"* ]]
	skit_bg -v echo -t 1 udp:127.0.0.1:0
	run timeout 30 "$SKIT" bench --sockperf -m rr -r 300 --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.requests == 300 and .lost == 0' >/dev/null
}

@test "bench --sockperf: any other change to the header is an error" {
	for m in flag8 flag9; do
		sockperf_peer tcp "$m"
		run timeout 30 "$SKIT" bench --sockperf -m rr -r 5 "tcp:127.0.0.1:$SP_PORT"
		[ "$status" -eq 1 ] || { echo "$m: $status $output"; false; }
		[[ "$output" == *"byte ${m#flag} differs"* ]]
	done
}

@test "bench --sockperf measures sockperf's own server (tcp, udp)" {
	need_cmd sockperf
	for proto in tcp udp; do
		port=$(free_port)
		flag=
		[ "$proto" = tcp ] && flag=--tcp
		sockperf server -i 127.0.0.1 -p "$port" $flag >"$BATS_TEST_TMPDIR/sps.out" 2>&1 &
		spid=$!
		BG_PIDS="${BG_PIDS:-} $spid"
		for i in $(seq 1 100); do
			ss -Hln "sport = :$port" | grep -q . && break
			sleep 0.05
		done
		run timeout 30 "$SKIT" bench --sockperf -m rr -r 2000 --json "$proto:127.0.0.1:$port"
		[ "$status" -eq 0 ] || { echo "$proto: $output"; cat "$BATS_TEST_TMPDIR/sps.out"; false; }
		echo "$output" >"$BATS_TEST_TMPDIR/sps.json"
		check_rr "$BATS_TEST_TMPDIR/sps.json" 2000
		kill "$spid"
		wait "$spid" 2>/dev/null || true
	done
}

@test "bench: connect-timeout= bounds each connect, instead of --timeout" {
	# A unix listener whose queue is full: a connect finds no room and
	# the dial tries again until its time is up.
	python3 "$BATS_TEST_DIRNAME/stall_peer.py" unix-backlog "$BATS_TEST_TMPDIR/full.sock" \
		2>"$BATS_TEST_TMPDIR/peer.err" &
	BG_PIDS="${BG_PIDS:-} $!"
	for i in $(seq 1 100); do grep -q listening "$BATS_TEST_TMPDIR/peer.err" && break; sleep 0.05; done
	grep -q listening "$BATS_TEST_TMPDIR/peer.err"
	# rr on the fast path and on the loop, crr, conns: exit 5 (timed
	# out), long before --timeout's 60 s.
	for args in "-m rr" "-m rr -c 2" "-m crr -r 5" "-m conns -n 2"; do
		run --separate-stderr timeout 20 "$SKIT" bench $args --timeout 60 -d 30 \
			"unix:$BATS_TEST_TMPDIR/full.sock,connect-timeout=0.2"
		[ "$status" -eq 5 ] || { echo "$args: $status $stderr"; false; }
		[[ "$stderr" == *"timed out"* ]] || { echo "$args: $stderr"; false; }
	done
}
