#!/usr/bin/env bats
# skit bench --mode crr's client over tcp, one connection on its thread (the
# blocking fast path): it connects as a minimal client does (socket,
# options, a blocking connect: no poll, no flags set and cleared), and a
# connect that hangs still ends with --timeout (the watchdog's shutdown).
load helpers
load netns_low

teardown() {
	bg_cleanup
}

@test "bench crr -c 1: a cycle is socket, setsockopt, connect, send, receive, close" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" --trace bench -m crr -c 1 -r 30 -w 0 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	echo "$output" | jq -e '.requests == 30' >/dev/null
	# One connect per cycle, completed in the call (not EINPROGRESS
	# and a wait), and nothing else per cycle.
	[ "$(grep -c 'trace: connect(.*) = 0$' <<<"$stderr")" -eq 30 ]
	[ "$(grep -c 'trace: socket(' <<<"$stderr")" -eq 30 ]
	! grep -E 'trace: (fcntl|getsockopt)\(|EINPROGRESS' <<<"$stderr"
}

@test "bench crr: a connect that hangs (a full backlog) ends with --timeout, exit 5" {
	cmd_bg python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(3):  # fill the accept queue: later SYNs are dropped
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(c)
time.sleep(0.2)
sys.stderr.write("listening on tcp:127.0.0.1:%d\n" % port)
sys.stderr.flush()
time.sleep(60)
'
	for c in 1 2; do
		run --separate-stderr timeout 20 "$SKIT" bench -m crr -c "$c" -d 1 --timeout 0.3 "$BG_ADDR"
		[ "$status" -eq 5 ] || { echo "-c $c: $status $stderr"; false; }
		[[ "$stderr" == *"connect $BG_ADDR: Connection timed out"* ]]
	done
}
