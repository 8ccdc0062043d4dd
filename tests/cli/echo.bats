#!/usr/bin/env bats
# skit echo: every kind answers exactly, many clients, held connections,
# graceful SIGTERM, SO_REUSEPORT only when asked, --discard/--source,
# --max-conns. Clients: tests/cli/echo_peer.py and skit bench, always in
# another process than the server.
load helpers

PEER="$BATS_TEST_DIRNAME/echo_peer.py"

setup() {
	need_cmd python3
}

teardown() {
	bg_cleanup
}

@test "echo --help documents the options" {
	run "$SKIT" echo --help
	[ "$status" -eq 0 ]
	for o in --discard --source --threads --max-conns --reuseport --grace --json; do
		[[ "$output" == *"$o"* ]]
	done
}

@test "echo: usage errors exit 2" {
	run "$SKIT" echo
	[ "$status" -eq 2 ]
	run "$SKIT" echo file:/tmp/x
	[ "$status" -eq 2 ]
	[[ "$output" == *"echo server needs"* ]]
	run "$SKIT" echo --threads 0 tcp:127.0.0.1:0
	[ "$status" -eq 2 ]
	run "$SKIT" echo 'tcp:127.0.0.1'
	[ "$status" -eq 2 ]
}

@test "echo tcp4 and udp4: exact echo of 0 (udp), 1, 1000 and 64 KiB" {
	for a in tcp:127.0.0.1:0 udp:127.0.0.1:0; do
		skit_bg -v echo -t 2 "$a"
		run timeout 20 python3 "$PEER" exact "$BG_ADDR"
		[ "$status" -eq 0 ] || { echo "$output"; false; }
	done
}

@test "echo tcp6 and udp6: exact echo" {
	need_ipv6
	for a in 'tcp6:[::1]:0' 'udp6:[::1]:0'; do
		skit_bg -v echo -t 2 "$a"
		[[ "$BG_ADDR" == *"[::1]"* ]]
		run timeout 20 python3 "$PEER" exact "$BG_ADDR"
		[ "$status" -eq 0 ] || { echo "$output"; false; }
	done
}

@test "echo PORT: tcp on every address, dual-stack, several threads" {
	need_ipv6
	skit_bg -v echo -t 2 0
	[[ "$BG_ADDR" == "tcp:[::]:"* ]]
	run timeout 20 python3 "$PEER" exact "tcp:127.0.0.1:$BG_PORT"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run timeout 20 python3 "$PEER" exact "tcp:[::1]:$BG_PORT"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "echo unix path and abstract x stream/dgram/seqpacket: exact echo" {
	for k in unix unix-dgram unix-seqpacket; do
		for t in "$BATS_TEST_TMPDIR/$k.sock" "@skit-echo-test-$$-$k"; do
			skit_bg -v echo -t 2 "$k:$t"
			[ "$BG_ADDR" = "$k:$t" ]
			run timeout 20 python3 "$PEER" exact "$BG_ADDR"
			[ "$status" -eq 0 ] || { echo "$k:$t: $output"; false; }
		done
	done
}

@test "echo unix-dgram: a client that stops reading its answers does not stall the others" {
	skit_bg -v echo "unix-dgram:@skit-echo-$$-$BATS_TEST_NUMBER"
	# 40 datagrams from a socket that never reads its answers.
	dgram_sink "$BG_ADDR" 40
	run timeout 10 "$SKIT" send -w 2 --replies 1 "$BG_ADDR" hello
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "echo vsock: listens and stops cleanly (no traffic: no vsock loopback here)" {
	[ -e /dev/vsock ] || skip "no /dev/vsock"
	skit_bg -v echo -t 2 vsock::0
	[[ "$BG_ADDR" == vsock:* ]]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 143 ]
	grep -q "echo: 0 connections" "$BG_ERR"
}

@test "echo: 1,000 concurrent connections through --threads 2, none mixed" {
	skit_bg -v echo --threads 2 tcp:127.0.0.1:0
	run timeout 60 python3 "$PEER" many "$BG_ADDR" 1000
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == "ok 1000 connections" ]]
}

@test "echo: 10,000 held connections, all served (client in another process)" {
	ulimit -n 20000 || skip "cannot raise the fd limit to 20000"
	skit_bg -v echo --threads 2 tcp:127.0.0.1:0
	# Held 2 s: the last probes are answered within it even on a loaded
	# machine under ASan (0.2 s was not always enough).
	run --separate-stderr timeout 120 "$SKIT" bench --mode conns \
		--conns 10000 --size 8 --duration 2 --threads 2 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$output $stderr"; false; }
	[ "$(echo "$output" | jq .opened)" -eq 10000 ]
	[ "$(echo "$output" | jq .served)" -eq 10000 ]
	[ "$(echo "$output" | jq .failed)" -eq 0 ]
	[ "$(echo "$output" | jq .closed_by_server)" -eq 0 ]
	[ "$(echo "$output" | jq .held)" -eq 10000 ]
}

@test "echo: a connection alone on its thread (blocking reads) is served exactly; others get in while it talks or idles" {
	for a in tcp:127.0.0.1:0 "unix:@skit-echo-alone-$$"; do
		for m in "" --discard; do
			skit_bg -v echo -t 1 $m "$a"
			if [ -z "$m" ]; then
				run timeout 60 python3 "$PEER" alone "$BG_ADDR"
				[ "$status" -eq 0 ] || { echo "$output"; false; }
			else
				# discard: a stream of small writes, then EOF.
				run timeout 30 sh -c "head -c 3000000 /dev/urandom | \"$SKIT\" connect $BG_ADDR"
				[ "$status" -eq 0 ]
			fi
			kill -TERM "$BG_PID"
			wait_exit "$BG_PID" 10
			[ "$WAIT_RC" -eq 143 ]
			if [ -z "$m" ]; then
				# the peer counts what it had echoed (the busy
				# phase varies): each byte once, in and out
				n=${output##*bytes=}
				[ "$n" -gt 20111826 ]
				grep -q "echo: 3 connections (0 rejected), $n bytes in, $n bytes out" "$BG_ERR" || { cat "$BG_ERR"; echo "$output"; false; }
			else
				grep -q "echo: 1 connections (0 rejected), 3000000 bytes in, 0 bytes out" "$BG_ERR" || { cat "$BG_ERR"; false; }
			fi
		done
	done
}

# idle_client N: a client of the server on $BG_PORT that exchanges N
# 4-byte pings, then holds the connection for 20 s; returns once it was
# answered. Its PID is in $IDLE_PID.
idle_client() {
	python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(int(sys.argv[2])):
    s.sendall(b"ping")
    assert s.recv(4) == b"ping"
print("answered", flush=True)
time.sleep(20)
' "$BG_PORT" "$1" >"$BATS_TEST_TMPDIR/idle.out" 2>&1 &
	IDLE_PID=$!
	for i in $(seq 1 100); do
		grep -q answered "$BATS_TEST_TMPDIR/idle.out" && break
		sleep 0.05
	done
	grep -q answered "$BATS_TEST_TMPDIR/idle.out"
}

# stop_idle SECS: SIGTERM the server, which must end by it (143) within
# SECS while the idle client still holds its connection.
stop_idle() {
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" "$1"
	kill "$IDLE_PID" 2>/dev/null || true
	wait "$IDLE_PID" 2>/dev/null || true
	[ "$WAIT_RC" -eq 143 ]
}

@test "echo: SIGTERM while a lone client idles in a blocking read: ends at once, by the signal" {
	skit_bg -v echo -t 1 --grace 0 tcp:127.0.0.1:0
	idle_client 5 # from the second ping on, read outside the loop
	stop_idle 5
	grep -q "echo: 1 connections (0 rejected), 20 bytes in, 20 bytes out" "$BG_ERR"
}

@test "echo: SIGTERM mid-transfer: in-flight echoes complete, then it ends by the signal" {
	for a in tcp:127.0.0.1:0 "unix:@skit-echo-term-$$"; do
		skit_bg -v echo --threads 2 "$a"
		pid=$BG_PID
		run timeout 30 python3 "$PEER" midway "$BG_ADDR" 20 "$pid"
		[ "$status" -eq 0 ] || { echo "$output"; false; }
		wait_exit "$pid" 15
		[ "$WAIT_RC" -eq 143 ]
		grep -q "echo: 20 connections (0 rejected), 5242880 bytes in, 5242880 bytes out" "$BG_ERR"
	done
}

@test "echo: SIGTERM stops udp and unix-dgram servers (by the signal, totals)" {
	for a in udp:127.0.0.1:0 "unix-dgram:@skit-echo-dterm-$$"; do
		skit_bg -v echo -t 2 "$a"
		run timeout 30 "$SKIT" bench -m rr -r 300 -c 3 --json "$BG_ADDR"
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | jq .requests)" -eq 300 ]
		kill -TERM "$BG_PID"
		wait_exit "$BG_PID" 10
		[ "$WAIT_RC" -eq 143 ]
		grep -q "300 messages in, 300 out, 0 dropped" "$BG_ERR"
	done
}

@test "echo: after SIGTERM new clients are refused; socket file removed" {
	sock=$BATS_TEST_TMPDIR/e.sock
	skit_bg -v echo -t 1 --grace 5 "unix:$sock"
	[ -S "$sock" ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 143 ]
	[ ! -e "$sock" ]
	run timeout 10 "$SKIT" bench -m rr -r 1 "unix:$sock"
	[ "$status" -eq 4 ]
}

@test "echo: idle connections get --grace, then the server ends by the signal" {
	skit_bg -v echo -t 1 --grace 0.3 tcp:127.0.0.1:0
	idle_client 1 # answered, then idles for 20 s holding the line
	stop_idle 10
	grep -q "echo: 1 connections" "$BG_ERR"
}

@test "echo: a second server on the same port is refused unless --reuseport" {
	for t in 1 2; do
		skit_bg -v echo -t "$t" tcp:127.0.0.1:0
		run timeout 10 "$SKIT" echo -t "$t" "tcp:127.0.0.1:$BG_PORT"
		[ "$status" -ne 0 ]
		[[ "$output" == *"Address already in use"* ]]
		[[ "$output" == *"--reuseport"* ]]
		bg_cleanup
	done
	skit_bg -v echo -t 2 --reuseport udp:127.0.0.1:0
	port=$BG_PORT
	run timeout 10 "$SKIT" echo -t 1 "udp:127.0.0.1:$port"
	[ "$status" -ne 0 ]
	skit_bg -v echo -t 1 --reuseport "udp:127.0.0.1:$port"
	[ "$BG_PORT" = "$port" ]
}

@test "echo: a live unix socket is not taken over" {
	skit_bg -v echo -t 1 "unix:@skit-echo-dup-$$"
	run timeout 10 "$SKIT" echo -t 1 "unix:@skit-echo-dup-$$"
	[ "$status" -ne 0 ]
	[[ "$output" == *"in use"* ]]
}

@test "echo --discard drops data; --source sends the chargen pattern" {
	skit_bg -v echo --discard -t 1 tcp:127.0.0.1:0
	run bash -c "head -c 100000 /dev/zero | timeout 10 nc -q 1 127.0.0.1 $BG_PORT | wc -c"
	[ "$output" -eq 0 ]
	skit_bg -v echo --source -t 1 tcp:127.0.0.1:0
	run bash -c "timeout 10 nc -d 127.0.0.1 $BG_PORT | head -c 148"
	[ "${lines[0]}" = ' !"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefg'$'\r' ]
	[ "${lines[1]:0:3}" = '!"#' ]
}

@test "echo --discard: plain TCP is read in gulps (SO_RCVLOWAT), a short tail still counted; unix and TLS left alone" {
	skit_bg --trace -v echo --discard -t 1 tcp:127.0.0.1:0
	run bash -c "head -c 100 /dev/zero | timeout 10 '$SKIT' connect $BG_ADDR"
	[ "$status" -eq 0 ]
	grep -q 'trace: setsockopt(.*, SOL_SOCKET, SO_RCVLOWAT, 131072) = 0' "$BG_ERR"
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	grep -q "1 connections (0 rejected), 100 bytes in" "$BG_ERR"
	# a unix stream and a TLS connection (its handshake's few bytes must
	# wake the server) are served as before
	skit_bg --trace -v echo --discard -t 1 "unix:$BATS_TEST_TMPDIR/d.sock"
	run bash -c "head -c 100 /dev/zero | timeout 10 '$SKIT' connect unix:$BATS_TEST_TMPDIR/d.sock"
	[ "$status" -eq 0 ]
	skit_bg --trace -v echo --discard -t 1 tls-listen:127.0.0.1:0
	run bash -c "head -c 100 /dev/zero | timeout 10 '$SKIT' connect '$BG_ADDR,tls,verify=0'"
	[ "$status" -eq 0 ]
	! grep -q SO_RCVLOWAT "$BATS_TEST_TMPDIR"/bg.[23].err
}

@test "echo --max-conns: extra connections are closed at once" {
	skit_bg -v echo -t 2 --max-conns 3 tcp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" bench -m conns -n 10 -s 4 -d 0.2 --json "$BG_ADDR"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq .served)" -eq 3 ]
	[ "$(echo "$output" | jq .closed_by_server)" -eq 7 ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	grep -q "(7 rejected)" "$BG_ERR"
	# Each refusal is reported: one line at once, the ones after it
	# within a second counted in one (per thread).
	grep -q "echo: refused tcp:127.0.0.1:[0-9]*: --max-conns 3 reached" "$BG_ERR"
	n=$(sed -n -e 's/.*echo: refused tcp:.*--max-conns 3 reached$/1/p' \
		-e 's/.*echo: refused \([0-9]*\) clients: --max-conns 3.*/\1/p' "$BG_ERR" |
		awk '{ n += $1 } END { print n }')
	[ "$n" -eq 7 ] || { cat "$BG_ERR"; false; }
}

@test "echo: out of fds (EMFILE), clients are closed at once with a message; served again once fds free up" {
	skit_bg -v echo -t 1 tcp4:127.0.0.1:0
	# (after start: echo raises its soft limit to the hard one)
	prlimit --pid "$BG_PID" --nofile=24:24
	touch "$BATS_TEST_TMPDIR/flag"
	hold_conns "$BG_PORT" 40 "$BATS_TEST_TMPDIR/flag"
	for i in $(seq 1 100); do
		grep -q "Too many open files; closed the new client" "$BG_ERR" && break
		sleep 0.05
	done
	grep -q "echo: accept: Too many open files; closed the new client" "$BG_ERR"
	kill -0 "$BG_PID"
	rm "$BATS_TEST_TMPDIR/flag"
	wait "$HOLD_PID" || true
	run timeout 10 "$SKIT" bench -m rr -r 5 "$BG_ADDR"
	[ "$status" -eq 0 ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 143 ]
}

@test "echo: the socket file is removed at the end only while it is ours" {
	sock=$BATS_TEST_TMPDIR/e.sock
	skit_bg -v echo -t 2 "unix:$sock"
	first=$BG_PID
	rm "$sock"
	skit_bg -v echo -t 1 "unix:$sock"
	kill -TERM "$first"
	wait_exit "$first" 10
	[ "$WAIT_RC" -eq 143 ]
	[ -S "$sock" ]
	run timeout 10 "$SKIT" bench -m rr -r 3 "unix:$sock"
	[ "$status" -eq 0 ]
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	[ ! -e "$sock" ]
}

@test "echo: a worker whose event loop fails ends the server at once: exit 1, the reason" {
	SHIM=${BUILD:-$SKIT_SRC/build}/tests/faults.so
	[ -f "$SHIM" ] || skip "fault shim not built ($SHIM): make $SHIM"
	# Every epoll_wait() fails; the main thread sleeps with no time-out,
	# so only the workers' word can wake it.
	for t in 1 2; do
		run --separate-stderr env LD_PRELOAD="$SHIM" SKIT_FAULT_RATE=1 \
			SKIT_FAULT_KINDS=epoll SKIT_FAULT_COMM=skit \
			ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
			timeout 10 "$SKIT" echo -t "$t" tcp:127.0.0.1:0
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"echo: event loop: Invalid argument"* ]]
	done
}

@test "echo -v: raises the fd limit and says so; --json totals" {
	(
		ulimit -S -n 1024
		ulimit -H -n 4096
		exec "$SKIT" -v echo -t 1 --json tcp:127.0.0.1:0 \
			>"$BATS_TEST_TMPDIR/j.out" 2>"$BATS_TEST_TMPDIR/j.err"
	) &
	pid=$!
	for i in $(seq 1 100); do
		grep -q "listening on" "$BATS_TEST_TMPDIR/j.err" 2>/dev/null && break
		sleep 0.05
	done
	grep -q "open-file limit raised from 1024 to 4096" "$BATS_TEST_TMPDIR/j.err"
	kill -TERM "$pid"
	wait_exit "$pid" 10
	[ "$WAIT_RC" -eq 143 ]
	json_valid "$BATS_TEST_TMPDIR/j.out"
	[ "$(head -1 "$BATS_TEST_TMPDIR/j.out" | jq -r .event)" = listening ]
	[ "$(tail -1 "$BATS_TEST_TMPDIR/j.out" | jq -r .event)" = totals ]
}
