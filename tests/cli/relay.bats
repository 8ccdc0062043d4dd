#!/usr/bin/env bats
# relay.bats - skit relay: endpoints of every kind, fork-style serving,
# message boundaries, framing, resets, reconnect, observability, socat
# compatibility. Integrity over every transport is in
# relay_integrity.bats.
load helpers

PEER="$BATS_TEST_DIRNAME/relay_peer.py"

# silent_backend: a TCP listener whose accept queue is full (SYNs to it
# go unanswered) for 20 s; sets BH (its pid) and BH_PORT.
silent_backend() {
	local i
	python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(s.getsockname())
    except BlockingIOError: pass
    fill.append(c)
print(s.getsockname()[1], flush=True)
time.sleep(20)
' >"$BATS_TEST_TMPDIR/bh.port" &
	BH=$!
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/bh.port" ] && break; sleep 0.05; done
	BH_PORT=$(cat "$BATS_TEST_TMPDIR/bh.port")
}

teardown() {
	bg_cleanup
}

@test "relay: --help lists the options and exits 0" {
	run "$SKIT" relay --help
	[ "$status" -eq 0 ]
	for o in --unidirectional --reverse --framing --no-splice --max-conns \
		--idle-timeout --linger --json --hex --numeric --verbose; do
		grep -q -- "$o" <<<"$output"
	done
}

@test "relay: usage errors exit 2 (one address, bad address, two listeners)" {
	run "$SKIT" relay tcp:127.0.0.1:1
	[ "$status" -eq 2 ]
	run "$SKIT" relay - tcp:127.0.0.1
	[ "$status" -eq 2 ]
	grep -q "bad address" <<<"$output"
	run "$SKIT" relay tcp-listen:127.0.0.1:0 unix-listen:@skit-x-$$
	[ "$status" -eq 2 ]
	grep -q "only one side may listen" <<<"$output"
	run "$SKIT" relay --framing bogus - -
	[ "$status" -eq 2 ]
}

@test "relay: a refused connect exits 4 with the address in the message" {
	run "$SKIT" relay - tcp:127.0.0.1:1 </dev/null
	[ "$status" -eq 4 ]
	grep -q "tcp:127.0.0.1:1" <<<"$output"
}

@test "relay: fork-style listener with exec: serves clients one after another" {
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork 'exec:tr a-z A-Z'
	run bash -c "printf hello | '$SKIT' relay - $BG_ADDR"
	[ "$status" -eq 0 ]
	[ "$output" = "HELLO" ]
	run bash -c "printf world | '$SKIT' relay - $BG_ADDR"
	[ "$output" = "WORLD" ]
	grep -q "relay #2 closed: eof" "$BG_ERR"
	kill -0 "$BG_PID"
}

@test "relay: without fork one connection is relayed, then skit exits 0" {
	skit_bg relay -v unix-listen:@skit-relay-one-$$ 'sh:cat'
	run bash -c "printf abc | '$SKIT' relay - $BG_ADDR"
	[ "$output" = "abc" ]
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
}

@test "relay: sh: gets SKIT_PEER and SKIT_LOCAL in its environment" {
	skit_bg relay -v tcp-listen:127.0.0.1:0 'sh:echo "$SKIT_PEER $SKIT_LOCAL"'
	run bash -c "'$SKIT' relay - $BG_ADDR </dev/null"
	[ "$status" -eq 0 ]
	[[ "$output" == "tcp:127.0.0.1:"*" $BG_ADDR" ]]
}

@test "relay: exec: children get no extra fds" {
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork 'sh:ls /proc/self/fd | wc -l'
	run bash -c "'$SKIT' relay - $BG_ADDR </dev/null"
	# 0, 1, 2 and the directory ls reads
	[ "$(echo $output)" = "4" ]
}

@test "relay: -u copies A to B only; file: sinks with create/trunc/append" {
	out=$BATS_TEST_TMPDIR/out
	printf 'first\n' | "$SKIT" relay -u - "file:$out,create,trunc"
	[ "$(cat "$out")" = "first" ]
	printf 'second\n' | "$SKIT" relay -u - "file:$out,append"
	[ "$(cat "$out")" = "$(printf 'first\nsecond')" ]
	printf 'third\n' | "$SKIT" relay -u - "CREATE:$out"
	[ "$(cat "$out")" = "third" ]
}

@test "relay: -U copies B to A only (file source into sh)" {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	head -c 300000 /dev/urandom >"$in"
	run "$SKIT" relay -U "sh:cat >$out" "file:$in"
	[ "$status" -eq 0 ]
	cmp "$in" "$out"
}

@test "relay: file source to a socket and back through pipe echo" {
	in=$BATS_TEST_TMPDIR/in
	head -c 1000000 /dev/urandom >"$in"
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork pipe
	"$SKIT" relay - "$BG_ADDR" <"$in" >"$BATS_TEST_TMPDIR/back"
	cmp "$in" "$BATS_TEST_TMPDIR/back"
}

@test "relay: stdio both ways with a regular file as stdin and stdout" {
	in=$BATS_TEST_TMPDIR/in
	head -c 2000000 /dev/urandom >"$in"
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork exec:cat
	"$SKIT" relay - "$BG_ADDR" <"$in" >"$BATS_TEST_TMPDIR/back"
	cmp "$in" "$BATS_TEST_TMPDIR/back"
	"$SKIT" relay --no-splice - "$BG_ADDR" <"$in" >"$BATS_TEST_TMPDIR/back2"
	cmp "$in" "$BATS_TEST_TMPDIR/back2"
}

@test "relay: SEQPACKET relay keeps 1000 message boundaries" {
	need_cmd python3
	run python3 "$PEER" msgs seqpacket 1000
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "relay: UDP relay keeps 1000 message boundaries" {
	need_cmd python3
	run python3 "$PEER" msgs udp 1000
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "relay: 50 concurrent connections through one fork relay, none mixed" {
	need_cmd python3
	run python3 "$PEER" concurrent 50 200000
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "relay: --framing line turns lines into datagrams and back" {
	skit_bg relay -v --framing line udp-listen:127.0.0.1:0,fork pipe
	run bash -c "printf 'one\ntwo\n\nthree\n' | '$SKIT' relay --framing line - $BG_ADDR"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\ntwo\n\nthree')" ]
}

@test "relay: --framing len carries binary messages over a stream" {
	skit_bg relay -v --framing len unix-seqpacket-listen:@skit-fl-$$,fork exec:cat
	# messages of 3, 0 and 2 bytes; the empty one cannot cross a
	# seqpacket socket (it would read as EOF) and is dropped
	run bash -c "printf '\0\0\0\3a\nb\0\0\0\0\0\0\0\2cd' | '$SKIT' relay --framing len - unix-seqpacket:@skit-fl-$$ | od -An -tx1 | tr -d ' \n'"
	[ "$output" = "00000003610a620000000263 64" ] ||
		[ "$output" = "00000003610a62000000026364" ]
}

@test "relay: a UDP session per peer, ended by --idle-timeout" {
	need_cmd python3
	skit_bg relay -v --json --idle-timeout 0.3 udp-listen:127.0.0.1:0,fork pipe
	port=$BG_PORT
	python3 - "$port" <<'EOF'
import socket, sys
p = int(sys.argv[1])
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for i, s in enumerate(ss):
    s.settimeout(5)
    s.sendto(b"peer%d" % i, ("127.0.0.1", p))
for i, s in enumerate(ss):
    assert s.recv(100) == b"peer%d" % i
EOF
	for i in $(seq 100); do
		[ "$(grep -c '"event":"close"' "$BG_OUT")" -ge 3 ] && break
		sleep 0.05
	done
	[ "$(grep -c '"event":"open"' "$BG_OUT")" -eq 3 ]
	[ "$(grep -c '"reason":"idle"' "$BG_OUT")" -eq 3 ]
	json_valid "$BG_OUT"
}

@test "relay: kill -9 of the peer mid-stream makes single mode exit 7" {
	need_cmd python3
	skit_bg relay -v tcp-listen:127.0.0.1:0 'sh:exec cat /dev/zero'
	python3 "$PEER" hold "$BG_ADDR" &
	holder=$!
	for i in $(seq 100); do
		grep -q "relay #1 open" "$BG_ERR" && break
		sleep 0.05
	done
	sleep 0.2
	kill -9 "$holder"
	wait "$holder" || true
	# (wait_exit inside || so that set -e lets it record a non-zero rc)
	WAIT_RC=none
	wait_exit "$BG_PID" 10 || true
	cat "$BG_ERR"
	[ "$WAIT_RC" = 7 ]
	grep -q "closed: reset" "$BG_ERR"
}

@test "relay: kill -9 of one client in multi mode; the others keep going" {
	need_cmd python3
	skit_bg relay -v --json tcp-listen:127.0.0.1:0,fork 'sh:head -c 5000000 /dev/zero'
	python3 "$PEER" hold "$BG_ADDR" &
	holder=$!
	for i in $(seq 100); do
		grep -q '"event":"open"' "$BG_OUT" && break
		sleep 0.05
	done
	sleep 0.2
	kill -9 "$holder"
	wait "$holder" || true
	for i in $(seq 100); do
		grep -q '"reason":"reset"' "$BG_OUT" && break
		sleep 0.05
	done
	grep -q '"reason":"reset"' "$BG_OUT"
	run bash -c "'$SKIT' relay - $BG_ADDR </dev/null | wc -c"
	[ "$output" -eq 5000000 ]
	kill -0 "$BG_PID"
}

@test "relay: reconnect: backend stopped and restarted, the relay stays up" {
	sock=$BATS_TEST_TMPDIR/back.sock
	skit_bg relay -v "unix-listen:$sock,fork" 'exec:tr a-z A-Z'
	back=$BG_PID
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork "unix:$sock,retry=50,interval=0.05"
	front=$BG_ADDR
	run bash -c "printf one | '$SKIT' relay - $front"
	[ "$output" = "ONE" ]
	kill "$back"
	wait "$back" 2>/dev/null || true
	# a client arrives while the backend is down: it waits for re-dials
	(printf two | "$SKIT" relay - "$front" >"$BATS_TEST_TMPDIR/two") &
	client=$!
	for i in $(seq 100); do
		grep -q "retry" "$BG_ERR" && break
		sleep 0.05
	done
	grep -q "retry" "$BG_ERR"
	skit_bg relay -v "unix-listen:$sock,fork" 'exec:tr a-z A-Z'
	wait_exit "$client" 20
	[ "$(cat "$BATS_TEST_TMPDIR/two")" = "TWO" ]
	run bash -c "printf three | '$SKIT' relay - $front"
	[ "$output" = "THREE" ]
}

@test "relay: reconnect gives up after retry=N and the listener stays up" {
	skit_bg relay -v --json tcp-listen:127.0.0.1:0,fork "unix:$BATS_TEST_TMPDIR/none.sock,retry=2,interval=0.01"
	run bash -c "'$SKIT' relay - $BG_ADDR </dev/null"
	[ "$(grep -c '"event":"retry"' "$BG_OUT")" -eq 2 ]
	kill -0 "$BG_PID"
}

@test "relay: single mode re-dials at start with retry= (connect-timeout composes)" {
	sock=$BATS_TEST_TMPDIR/late.sock
	(sleep 0.3; exec "$SKIT" relay "unix-listen:$sock" 'sh:printf late') &
	late=$!
	run "$SKIT" relay - "unix:$sock,retry=40,interval=0.05,connect-timeout=1" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "late" ]
	wait "$late"
}

@test "relay: --json events are NDJSON with bytes, reason and splice use" {
	skit_bg relay -v --json tcp-listen:127.0.0.1:0,fork exec:cat
	printf 'x%.0s' $(seq 1000) | "$SKIT" relay - "$BG_ADDR" >/dev/null
	printf 'x%.0s' $(seq 10) | "$SKIT" relay - "$BG_ADDR" >/dev/null
	for i in $(seq 100); do
		[ "$(grep -c '"event":"close"' "$BG_OUT")" -ge 2 ] && break
		sleep 0.05
	done
	json_valid "$BG_OUT"
	grep -q '"event":"listening"' "$BG_OUT"
	grep '"event":"close"' "$BG_OUT" | head -1 | grep -q '"bytes_ab":1000,"bytes_ba":1000'
	grep '"event":"close"' "$BG_OUT" | head -1 | grep -q '"reason":"eof"'
	grep '"event":"close"' "$BG_OUT" | head -1 | grep -q '"splice_ab":true'
}

@test "relay: --no-splice copies instead (splice flags false)" {
	skit_bg relay -v --json --no-splice tcp-listen:127.0.0.1:0 exec:cat
	printf 'hello' | "$SKIT" relay - "$BG_ADDR" >/dev/null
	wait_exit "$BG_PID" 10
	grep '"event":"close"' "$BG_OUT" | grep -q '"splice_ab":false,"splice_ba":false'
}

@test "relay: --hex dumps the traffic on stderr" {
	skit_bg relay -v --hex tcp-listen:127.0.0.1:0 exec:cat
	printf 'hi there' | "$SKIT" relay - "$BG_ADDR" >/dev/null
	wait_exit "$BG_PID" 10
	grep -q "> #1 A->B 8 bytes" "$BG_ERR"
	grep -q "68 69 20 74 68 65 72 65" "$BG_ERR"
	grep -q "< #1 B->A 8 bytes" "$BG_ERR"
}

@test "relay: SIGUSR1 prints the live connection table" {
	need_cmd python3
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork exec:cat
	python3 "$PEER" hold "$BG_ADDR" &
	holder=$!
	for i in $(seq 100); do
		grep -q "relay #1 open" "$BG_ERR" && break
		sleep 0.05
	done
	kill -USR1 "$BG_PID"
	for i in $(seq 100); do
		grep -q "1 live" "$BG_ERR" && break
		sleep 0.05
	done
	kill "$holder"
	grep -q "1 live, 0 served" "$BG_ERR"
	grep -Eq "^ +1 .* tcp:127.0.0.1:[0-9]+ > $BG_ADDR \\|" "$BG_ERR"
}

@test "relay: --max-conns 1 or max-conns=1: one more client is closed at once, with listen's message" {
	need_cmd python3
	for form in "--max-conns 1 tcp-listen:127.0.0.1:0" "tcp-listen:127.0.0.1:0,max-conns=1"; do
		skit_bg relay -v $form 'sh:cat'
		python3 "$PEER" hold "$BG_ADDR" &
		holder=$!
		for i in $(seq 100); do
			grep -q "relay #1 open" "$BG_ERR" && break
			sleep 0.05
		done
		# It sends nothing: data unread at the close would make it a reset.
		run timeout 10 "$SKIT" relay - "$BG_ADDR" </dev/null
		[ "$status" -eq 0 ]
		[ "$output" = "" ]
		! grep -q "relay #2 open" "$BG_ERR" || false
		grep -q "refused tcp:127.0.0.1:[0-9]*: --max-conns 1 reached" "$BG_ERR"
		kill "$holder"
		wait "$holder" 2>/dev/null || true
		# The one it served is back: the next client gets its turn.
		run bash -c "printf next | '$SKIT' relay - $BG_ADDR"
		[ "$output" = "next" ]
	done
}

@test "relay: --idle-timeout ends a quiet pair: a time-out without fork (exit 5)" {
	need_cmd python3
	skit_bg relay -v --idle-timeout 0.2 tcp-listen:127.0.0.1:0 exec:cat
	python3 "$PEER" hold "$BG_ADDR" &
	holder=$!
	wait_exit "$BG_PID" 10
	kill "$holder"
	[ "$WAIT_RC" -eq 5 ]
	grep -q "closed: idle" "$BG_ERR"
	grep -q "^skit: relay tcp-listen:127.0.0.1:0 exec:cat: idle for 0.2 s, closing$" "$BG_ERR"
}

@test "relay: a unix-dgram receiver that stops reading: exit 5 after -T, with the message" {
	dgram_sink
	run --separate-stderr timeout 30 "$SKIT" relay --framing line -T 0.5 - "$SINK" < <(seq 100000)
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"skit: relay $SINK: the receiver's queue is full (EAGAIN) after 0.5 s"* ]]
	# Without -T: the default, 5 s.
	run --separate-stderr timeout 30 "$SKIT" relay --framing line - "$SINK" < <(seq 100000)
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"full (EAGAIN) after 5 s"* ]]
}

@test "relay: a connecting unix-dgram side gets a name from the kernel (autobind): the server's answers come back" {
	skit_bg -v echo -t 1 "unix-dgram:@skit-rly-echo-$$"
	skit_bg relay -v udp-listen:127.0.0.1:0 "unix-dgram:@skit-rly-echo-$$"
	run --separate-stderr timeout 10 "$SKIT" connect -q 2 "$BG_ADDR" <<<"hello"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	grep -q "B unix-dgram:@[0-9a-f]\{5\} > unix-dgram:@skit-rly-echo-$$" "$BG_ERR"
}

@test "relay: socat forms work verbatim" {
	skit_bg relay -v TCP-LISTEN:127.0.0.1:0,fork,reuseaddr "SYSTEM:tr a-z A-Z"
	run bash -c "printf abc | '$SKIT' relay STDIO TCP:127.0.0.1:$BG_PORT,nodelay,keepalive"
	[ "$output" = "ABC" ]
	skit_bg relay -v "UNIX-LISTEN:$BATS_TEST_TMPDIR/s.sock,fork,unlink-early,perm=0600" EXEC:cat
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/s.sock")" = "600" ]
	run bash -c "printf def | '$SKIT' relay STDIO UNIX-CONNECT:$BATS_TEST_TMPDIR/s.sock"
	[ "$output" = "def" ]
	skit_bg relay -v ABSTRACT-LISTEN:skit-socat-$$,fork PIPE
	run bash -c "printf ghi | '$SKIT' relay - ABSTRACT-CONNECT:skit-socat-$$,retry=3,interval=0.1,connect-timeout=2"
	[ "$output" = "ghi" ]
	# (a datagram session never sends EOF to the program: cat, not tr)
	skit_bg relay -v UDP-RECVFROM:127.0.0.1:0,fork "SYSTEM:cat"
	run bash -c "printf jkl | '$SKIT' relay --linger 1 - UDP-SENDTO:127.0.0.1:$BG_PORT"
	[ "$output" = "jkl" ]
	printf mno >"$BATS_TEST_TMPDIR/in"
	run "$SKIT" relay -u "OPEN:$BATS_TEST_TMPDIR/in" "CREATE:$BATS_TEST_TMPDIR/copy"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/copy")" = "mno" ]
}

@test "relay: socat's UDP4-/UDP6- RECVFROM, SENDTO and DATAGRAM forms" {
	skit_bg relay -v UDP4-RECVFROM:127.0.0.1:0,fork "SYSTEM:cat"
	for k in UDP4-SENDTO UDP4-DATAGRAM UDP-DATAGRAM; do
		run bash -c "printf '$k' | '$SKIT' relay --linger 1 - $k:127.0.0.1:$BG_PORT"
		[ "$output" = "$k" ]
	done
	if [ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
		skit_bg relay -v "UDP6-RECVFROM:[::1]:0,fork" "SYSTEM:cat"
		for k in UDP6-SENDTO UDP6-DATAGRAM; do
			run bash -c "printf '$k' | '$SKIT' relay --linger 1 - '$k:[::1]:$BG_PORT'"
			[ "$output" = "$k" ]
		done
	fi
}

@test "relay: socat's crnl: \\n goes out as \\r\\n, \\r\\n comes back as \\n" {
	# The peer sees CRLF lines and answers with CRLF lines.
	skit_bg relay -v TCP-LISTEN:127.0.0.1:0 "SYSTEM:od -An -c; printf 'ok\\r\\nbye\\r\\n'"
	run --separate-stderr bash -c "printf 'a\\nb\\n' | '$SKIT' relay STDIO TCP:127.0.0.1:$BG_PORT,crnl"
	[ "$status" -eq 0 ]
	[[ "$output" == *"a  \\r  \\n   b  \\r  \\n"* ]]
	[[ "$output" == *$'ok\nbye' ]]
	[[ "$output" != *$'\r'* ]]
	# Over TLS: the crlf layer sits on the TLS conn.
	skit_bg relay -v tls-listen:127.0.0.1:0 "SYSTEM:od -An -c; printf 'ok\\r\\n'"
	run --separate-stderr bash -c "printf 'a\\n' | '$SKIT' relay - tls:127.0.0.1:$BG_PORT,verify=0,crnl"
	[ "$status" -eq 0 ]
	[[ "$output" == *"a  \\r  \\n"* ]]
	[[ "$output" == *$'\nok' ]]
	[[ "$output" != *$'\r'* ]]
	# crlf= is skit's name; a datagram side cannot take it.
	run --separate-stderr "$SKIT" relay - udp:127.0.0.1:9,crnl
	[ "$status" -eq 2 ]
}

@test "relay: socat's -d -d is -vv" {
	run --separate-stderr "$SKIT" relay -d - pipe: </dev/null
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"relay #1 open"* ]]
	# -vv traces the socket calls (a unix socket nobody serves: exit 4)
	run --separate-stderr "$SKIT" relay -d -d - "unix:$BATS_TEST_TMPDIR/none" </dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"trace: socket(AF_UNIX, SOCK_STREAM, 0)"* ]]
	run --separate-stderr "$SKIT" relay -d - "unix:$BATS_TEST_TMPDIR/none" </dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" != *"trace:"* ]]
}

@test "relay: range= admits only clients inside it (socat's range)" {
	skit_bg relay -v TCP-LISTEN:127.0.0.1:0,fork,range=10.0.0.0/8 EXEC:cat
	run bash -c "printf no | '$SKIT' relay - TCP:127.0.0.1:$BG_PORT 2>/dev/null"
	[ "$output" = "" ]
	grep -q "outside range" "$BG_ERR"
	skit_bg relay -v TCP-LISTEN:127.0.0.1:0,fork,range=127.0.0.0/8 EXEC:cat
	run bash -c "printf yes | '$SKIT' relay - TCP:127.0.0.1:$BG_PORT"
	[ "$output" = "yes" ]
}

@test "relay: a silent backend does not stall the listener (dial on the loop)" {
	need_cmd python3
	silent_backend
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork "tcp:127.0.0.1:$BH_PORT,connect-timeout=10"
	python3 "$PEER" hold "$BG_ADDR" &
	holder=$!
	for i in $(seq 100); do
		kill -USR1 "$BG_PID"
		grep -q "(dialling)" "$BG_ERR" && break
		sleep 0.05
	done
	kill "$holder" "$BH"
	grep -q "1 live, 0 served" "$BG_ERR"
	grep -q "(dialling)" "$BG_ERR"
}

@test "relay: socat's -b, -T, -t and -x flags work" {
	out=$BATS_TEST_TMPDIR/out
	head -c 200000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	run "$SKIT" relay -b 1048576 -T 5 -t 1 -u - "file:$out,create" <"$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/in" "$out"
	run bash -c "printf ab | '$SKIT' relay -x -u - file:$out,create,trunc"
	grep -q "61 62" <<<"$output"
	[ "$(cat "$out")" = "ab" ]
	run "$SKIT" relay -b 1 - -
	[ "$status" -eq 2 ]
}

@test "relay: -u with a listener stores an upload, or serves a file to each client" {
	out=$BATS_TEST_TMPDIR/up
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	skit_bg relay -v -u tcp-listen:127.0.0.1:0 "file:$out,create,trunc"
	"$SKIT" relay -u - "$BG_ADDR" <"$BATS_TEST_TMPDIR/in"
	wait_exit "$BG_PID" 10
	cmp "$BATS_TEST_TMPDIR/in" "$out"
	skit_bg relay -v -u "file:$BATS_TEST_TMPDIR/in" tcp-listen:127.0.0.1:0,fork
	for i in 1 2; do
		"$SKIT" relay - "$BG_ADDR" </dev/null >"$BATS_TEST_TMPDIR/down"
		cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/down"
	done
}

@test "relay: out of fds (EMFILE), clients are refused with a message; served again once fds free up" {
	need_cmd python3
	need_cmd prlimit
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork pipe
	prlimit --pid "$BG_PID" --nofile=24:24
	touch "$BATS_TEST_TMPDIR/flag"
	hold_conns "$BG_PORT" 30 "$BATS_TEST_TMPDIR/flag"
	for i in $(seq 1 100); do
		grep -q "Too many open files; closed the new client" "$BG_ERR" && break
		sleep 0.05
	done
	# serve's one EMFILE policy: the reserve fd, the client closed at once
	grep -q "^skit: relay: accept on $BG_ADDR: Too many open files; closed the new client" "$BG_ERR"
	kill -0 "$BG_PID"
	rm "$BATS_TEST_TMPDIR/flag"
	wait "$HOLD_PID" || true
	# Until the relay has seen them go it may still be short of fds:
	# try again until a client gets its bytes back.
	for i in $(seq 1 50); do
		out=$(printf later | timeout 5 "$SKIT" relay - "$BG_ADDR" 2>/dev/null) || true
		[ "$out" = later ] && break
		sleep 0.1
	done
	[ "$out" = later ]
}

@test "relay: the socket file is removed at the end only while it is ours, never another server's" {
	sock=$BATS_TEST_TMPDIR/r.sock
	skit_bg relay -v "unix-listen:$sock,fork" 'sh:echo first'
	first=$BG_PID
	# Another server takes the path (ours removed, its own bound).
	rm "$sock"
	skit_bg relay -v "unix-listen:$sock,fork" 'sh:echo second'
	kill -TERM "$first"
	wait_exit "$first" 10
	[ -S "$sock" ]
	run "$SKIT" relay - "unix:$sock" </dev/null
	[ "$output" = second ]
	# Its own file goes with it, with fork and without.
	kill -TERM "$BG_PID"
	wait_exit "$BG_PID" 10
	[ ! -e "$sock" ]
	skit_bg relay -v "unix-listen:$sock" 'sh:echo once'
	run "$SKIT" relay - "unix:$sock" </dev/null
	[ "$output" = once ]
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ ! -e "$sock" ]
}

@test "relay: retry= and connect-timeout= as in connect: the same lines, the same exit codes" {
	# retry=N: N more rounds, then the last error (exit 4 refused)
	run --separate-stderr "$SKIT" relay -v - "tcp:127.0.0.1:1,retry=2,interval=5ms" </dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"skit: connect tcp:127.0.0.1:1: Connection refused; retry 1 of 2 in 5 ms"* ]]
	[[ "$stderr" == *"retry 2 of 2 in 10 ms"* ]]
	run --separate-stderr "$SKIT" connect -v "tcp:127.0.0.1:1,retry=2,interval=5ms" </dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"skit: connect tcp:127.0.0.1:1: Connection refused; retry 1 of 2 in 5 ms"* ]]
	# connect-timeout=: a listener whose queue is full times out (exit 5)
	need_cmd python3
	silent_backend
	port=$BH_PORT
	run --separate-stderr timeout 20 "$SKIT" relay - "tcp:127.0.0.1:$port,connect-timeout=300ms" </dev/null
	r_status=$status r_err=$stderr
	run --separate-stderr timeout 20 "$SKIT" connect "tcp:127.0.0.1:$port,connect-timeout=300ms" </dev/null
	kill "$BH"
	[ "$r_status" -eq 5 ]
	[ "$status" -eq 5 ]
	[[ "$r_err" == *"Connection timed out"* ]]
	[ "${r_err%%$'\n'*}" = "${stderr%%$'\n'*}" ]
}

@test "relay: idle-timeout= on an address ends a quiet pair as -T does (exit 5, the message)" {
	need_cmd python3
	skit_bg relay -v tcp-listen:127.0.0.1:0,idle-timeout=200ms exec:cat
	python3 "$PEER" hold "$BG_ADDR" &
	holder=$!
	wait_exit "$BG_PID" 10
	kill "$holder"
	[ "$WAIT_RC" -eq 5 ]
	grep -q "^skit: relay tcp-listen:127.0.0.1:0,idle-timeout=200ms exec:cat: idle for 0.2 s, closing$" "$BG_ERR"
	# one pair: the same
	run --separate-stderr timeout 10 "$SKIT" relay "exec:sleep 5" "pipe,idle-timeout=0.2"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"idle for 0.2 s, closing"* ]]
}

@test "relay: a dial error that is not retryable is not retried (bind=, a path through a file)" {
	run --separate-stderr "$SKIT" relay -v - "tcp:127.0.0.1:1,bind=[::1],retry=3,interval=5ms" </dev/null
	[ "$status" -eq 3 ]
	[[ "$stderr" != *"retry"* ]]
	[[ "$stderr" == *"skit: bind [::1]: source address:"* ]]
	run --separate-stderr "$SKIT" relay -v - "unix:/etc/passwd/x,retry=3,interval=5ms" </dev/null
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"retry"* ]]
	[[ "$stderr" == *"Not a directory"* ]]
	# fork: one try per client, and the listener stays up
	skit_bg relay -v --json tcp-listen:127.0.0.1:0,fork "unix:/etc/passwd/x,retry=3,interval=5ms"
	run "$SKIT" relay - "$BG_ADDR" </dev/null
	grep -q "Not a directory" "$BG_ERR"
	! grep -q '"event":"retry"' "$BG_OUT" || false
	kill -0 "$BG_PID"
}
