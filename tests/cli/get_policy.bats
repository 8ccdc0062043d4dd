#!/usr/bin/env bats
# skit get's time limits and retries are the address grammar's: --retry,
# --retry-delay, --connect-timeout and --timeout are retry=, interval=,
# connect-timeout= and idle-timeout=, and with --via ADDRESS those
# options on the address work too, with the same retry line and exit
# codes as skit connect.
load helpers
load get_helpers
load netns_low

setup() {
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	bg_cleanup
	stop_pid "${TS_PID:-}"
}

# free_tcp: a port on 127.0.0.1 that nothing serves (free a moment ago).
free_tcp() {
	free_port 127.0.0.1
}

@test "get policy: --retry prints connect's retry line, exit 4 like connect" {
	port=$(free_tcp)
	run --separate-stderr "$SKIT" get --retry 2 --retry-delay 10ms "http://127.0.0.1:$port/"
	[ "$status" -eq 4 ]
	get_err=$stderr
	run --separate-stderr "$SKIT" connect --retry 2 "tcp:127.0.0.1:$port,interval=10ms" </dev/null
	[ "$status" -eq 4 ]
	# The same three lines, word for word.
	[ "$get_err" = "$stderr" ]
	[[ "$get_err" == *"Connection refused; retry 1 of 2 in 10 ms"* ]]
	[[ "$get_err" == *"Connection refused; retry 2 of 2 in 20 ms"* ]]
}

@test "get policy: retry= and interval= on --via's address, and forever" {
	port=$(free_tcp)
	run --separate-stderr "$SKIT" get --via "tcp:127.0.0.1:$port,retry=3,interval=5ms" http://app.test/
	[ "$status" -eq 4 ]
	[ "$(grep -c 'Connection refused; retry [0-9] of 3 in ' <<<"$stderr")" -eq 3 ]
	[[ "$stderr" == *"retry 3 of 3 in 20 ms"* ]]
	# The flag wins over the address, as in connect.
	run --separate-stderr "$SKIT" get --retry 1 --via "tcp:127.0.0.1:$port,retry=3,interval=5ms" http://app.test/
	[ "$status" -eq 4 ]
	[ "$(grep -c '; retry ' <<<"$stderr")" -eq 1 ]
	# forever: "retry N in X ms"; the server shows up and it succeeds.
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n' >resp
	sock=$BATS_TEST_TMPDIR/s.sock
	"$SKIT" get --via "unix:$sock,forever,interval=20ms" http://app.test/x \
		>got.out 2>got.err &
	pid=$!
	for i in $(seq 1 100); do
		grep -q 'retry 1 in 20 ms' got.err && break
		sleep 0.05
	done
	skit_bg listen -v "unix:$sock" --sh-exec "sed -n '/^\r\$/q' >/dev/null; cat resp"
	wait_exit "$pid" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat got.out)" = ok ]
	grep -q 'No such file or directory; retry 1 in 20 ms' got.err
}

@test "get policy: --connect-timeout and connect-timeout= time out like connect (exit 5)" {
	cmd_bg python3 "$BATS_TEST_DIRNAME/stall_peer.py" tcp-backlog
	run --separate-stderr timeout 20 "$SKIT" get --connect-timeout 0.2 "http://${BG_ADDR#tcp:}/"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"connect $BG_ADDR: Connection timed out"* ]]
	run --separate-stderr timeout 20 "$SKIT" get --via "$BG_ADDR,connect-timeout=200ms,retry=1,interval=10ms" http://app.test/
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"Connection timed out; retry 1 of 1 in 10 ms"* ]]
	run --separate-stderr timeout 20 "$SKIT" connect "$BG_ADDR,connect-timeout=200ms,retry=1,interval=10ms" </dev/null
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"Connection timed out; retry 1 of 1 in 10 ms"* ]]
}

@test "get policy: --timeout and idle-timeout= end a silent exchange (exit 5), and are retried" {
	start_test_server "$BATS_TEST_TMPDIR/ts"
	run --separate-stderr "$SKIT" get --via "tcp:${TS_URL#http://},idle-timeout=200ms" "http://app.test/slowhead"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"read http://app.test/slowhead: no data for 200 ms"* ]]
	run --separate-stderr "$SKIT" get --timeout 0.2 --retry 1 --retry-delay 10ms -O out.bin "$TS_URL/slowhead"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"no data for 200 ms; retry 1 of 1 in 10 ms"* ]]
	[ -z "$(ls -A | grep out.bin)" ]
}

@test "get policy: --max-time bounds the whole transfer, retries included (exit 5)" {
	start_test_server "$BATS_TEST_TMPDIR/ts"
	run --separate-stderr timeout 20 "$SKIT" get --max-time 0.3 -O out.bin "$TS_URL/slowbody"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"the transfer took longer than 300 ms"* ]]
	[ -z "$(ls -A | grep out.bin)" ]
	# A retry whose wait would pass the limit is not started.
	port=$(free_tcp)
	run --separate-stderr timeout 20 "$SKIT" get --max-time 0.3 --retry 5 --retry-delay 0.2 "http://127.0.0.1:$port/"
	[ "$status" -eq 4 ]
	[ "$(grep -c '; retry ' <<<"$stderr")" -eq 1 ]
}

@test "get policy: --via refuses what does not apply" {
	run --separate-stderr "$SKIT" get --via udp:127.0.0.1:9 http://app.test/
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"not a stream socket address"* ]]
	run --separate-stderr "$SKIT" get --via "tcp:127.0.0.1:9,fork" http://app.test/
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"option 'fork'"* ]]
}
