#!/usr/bin/env bats
# skit send / skit recv: datagrams with their senders, replies,
# connected datagram sockets, source addresses, message boundaries.
load helpers

teardown() {
	bg_cleanup
}

# wait_exit, callable when the process exits non-zero: inside an ||
# list `set -e` does not stop at its `wait`.
wexit() {
	wait_exit "$@" || return 1
}

# lenframes FILE SIZE...: FILE gets one 4-byte-length-prefixed message
# of each SIZE (random bytes).
lenframes() {
	python3 - "$@" <<'PY'
import os, struct, sys
with open(sys.argv[1], "wb") as f:
    for n in sys.argv[2:]:
        f.write(struct.pack(">I", int(n)) + os.urandom(int(n)))
PY
}

@test "send: each argument is one datagram; recv prints them with the sender" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 2
	run "$SKIT" send "$BG_ADDR" hello world
	[ "$status" -eq 0 ]
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BG_OUT")" = "$(printf 'hello\nworld')" ]
	grep -q '^from udp:127.0.0.1:[0-9]*: 5 bytes$' "$BG_ERR"
}

@test "send: stdin one message per line by default, each with its newline" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 4 --json
	printf 'a\nbb\n\nccc' | "$SKIT" send "$BG_ADDR"
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	json_valid "$BG_OUT"
	# The empty line is "\n"; the last line goes as it is.
	[ "$(jq -r .length "$BG_OUT" | tr '\n' ' ')" = "2 3 1 3 " ]
	[ "$(jq -c .payload "$BG_OUT" | tr '\n' ' ')" = '"a\n" "bb\n" "\n" "ccc" ' ]
	jq -r .from "$BG_OUT" | grep -q '^udp:127.0.0.1:[0-9]*$'
}

@test "recv: a payload that ends in a newline is printed once, others get one" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 3
	"$SKIT" send "$BG_ADDR" one
	printf 'two\n\n' | "$SKIT" send "$BG_ADDR"
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	printf 'one\ntwo\n\n' | cmp - "$BG_OUT"
}

@test "send -C: lines go out ending in CRLF" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 3 --json
	printf 'a\nb\r\nc' | "$SKIT" send -C "$BG_ADDR"
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(jq -c .payload "$BG_OUT" | tr '\n' ' ')" = '"a\r\n" "b\r\n" "c" ' ]
}

@test "recv --json: binary payloads come as payload_hex" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 1 --json
	printf '\x00\x01\xff' | "$SKIT" send --framing raw "$BG_ADDR"
	wexit "$BG_PID" 10
	[ "$(jq -r .payload_hex "$BG_OUT")" = "0001ff" ]
	[ "$(jq -r .length "$BG_OUT")" = 3 ]
}

@test "recv --reply answers each sender; send --wait prints the replies" {
	skit_bg -v recv udp4:127.0.0.1:0 --reply pong
	run "$SKIT" send --wait 5 --replies 1 "$BG_ADDR" ping
	[ "$status" -eq 0 ]
	[ "$output" = pong ]
	run "$SKIT" send -w 5 --replies 1 "$BG_ADDR" ping2
	[ "$output" = pong ]
}

@test "send --wait with no reply: exit 1 and a message" {
	skit_bg -v recv udp4:127.0.0.1:0
	run "$SKIT" send --wait 0.2 "$BG_ADDR" hello
	[ "$status" -eq 1 ]
	[[ "$output" == *"no reply"* ]]
}

@test "send: a unix-dgram receiver that stops reading: exit 5 after -w, with the message" {
	dgram_sink
	run --separate-stderr timeout 30 "$SKIT" send -w 0.5 "$SINK" < <(seq 100000)
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"skit: send $SINK: the receiver's queue is full (EAGAIN) after 0.5 s"* ]]
	# Connected, with the message as an argument: the same.
	run --separate-stderr timeout 30 "$SKIT" send --connect -w 0.3 "$SINK" one
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"full (EAGAIN) after 0.3 s"* ]]
}

@test "send: without -w a full receiver is waited for 5 s (the default)" {
	dgram_sink
	fill_sink
	run --separate-stderr timeout 30 "$SKIT" send "$SINK" one
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"full (EAGAIN) after 5 s"* ]]
}

@test "recv --reply never waits for a sender that stopped reading" {
	skit_bg -v recv "unix-dgram:@skit-recv-$$-$BATS_TEST_NUMBER" --count 40 --reply pong
	# 40 datagrams from a socket that never reads the answers.
	dgram_sink "$BG_ADDR" 40
	wexit "$BG_PID" 20
	[ "$WAIT_RC" -eq 0 ]
	[ "$(wc -l <"$BG_OUT")" -eq 40 ]
	grep -q "reply: the receiver's queue is full (EAGAIN): dropped" "$BG_ERR"
}

@test "send --connect: a connected socket learns the port is closed (exit 4)" {
	# A port we just had and closed again: nothing listens there.
	skit_bg -v recv udp4:127.0.0.1:0 --count 1
	addr=$BG_ADDR
	"$SKIT" send "$addr" x
	wexit "$BG_PID" 10
	run "$SKIT" send --connect -w 1 "$addr" a b c
	[ "$status" -eq 4 ]
	[[ "$output" == *"Connection refused"* ]]
}

@test "send --connect delivers like sendto" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 1
	"$SKIT" send --connect "$BG_ADDR" viaconnect
	wexit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = viaconnect ]
}

@test "send --bind sets the source; unix-dgram replies come back to it" {
	skit_bg -v recv "unix-dgram:$BATS_TEST_TMPDIR/srv" --reply ok
	run "$SKIT" send --bind "$BATS_TEST_TMPDIR/cli" -w 5 --replies 1 "$BG_ADDR" hi
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	grep -q "^from unix-dgram:$BATS_TEST_TMPDIR/cli: 2 bytes" "$BG_ERR"
}

@test "send autobinds a unix-dgram socket so replies can come back" {
	skit_bg -v recv "unix-dgram:@skit-sr-$$-$RANDOM" --reply ok
	run "$SKIT" send -w 5 --replies 1 "$BG_ADDR" hi
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	grep -q '^from unix-dgram:@' "$BG_ERR"
}

@test "udp6 send/recv" {
	need_ipv6
	skit_bg -v recv "udp6:[::1]:0" --count 1
	"$SKIT" send "$BG_ADDR" six
	wexit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = six ]
	grep -q '^from udp:\[::1\]:' "$BG_ERR"
}

@test "unix-seqpacket: recv accepts and prints each message" {
	skit_bg -v recv "unix-seqpacket:@skit-sr-$$-$RANDOM" --count 2 --reply r
	run "$SKIT" send -w 5 --replies 2 "$BG_ADDR" one two
	[ "$status" -eq 0 ]
	wexit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = "$(printf 'one\ntwo')" ]
	[ "$output" = "$(printf 'r\nr')" ]
}

@test "unix-seqpacket: recv serves one connection after another (the next waits in the backlog); --timeout: exit 5" {
	skit_bg -v recv "unix-seqpacket:@skit-sr-$$-$RANDOM" --count 3
	python3 -c '
import socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("\0" + sys.argv[1][len("unix-seqpacket:@"):])
    return s
a = conn()
a.send(b"a1")
b = conn()
b.send(b"b1")
b.close()
a.send(b"a2")
a.close()
' "$BG_ADDR"
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BG_OUT")" = "$(printf 'a1\na2\nb1')" ]
	skit_bg -v recv "unix-seqpacket:@skit-sr-$$-$RANDOM" --timeout 0.3
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 5 ]
	grep -q "timed out after 300 ms with 0 of 1 messages" "$BG_ERR"
}

@test "unix-seqpacket: recv out of fds (EMFILE) closes the new client with a message, then serves again" {
	need_cmd prlimit
	skit_bg -v recv "unix-seqpacket:@skit-sr-$$-$RANDOM" --count 1
	# no fd left for a connection ("listening on" comes once set up):
	# the limit is the lowest fd number free
	n=0
	while [ -e "/proc/$BG_PID/fd/$n" ] && [ "$n" -lt 1000 ]; do
		n=$((n + 1))
	done
	soft=$(prlimit --pid "$BG_PID" --nofile --output SOFT --noheadings)
	prlimit --pid "$BG_PID" --nofile="$n:"
	run python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect("\0" + sys.argv[1][len("unix-seqpacket:@"):])
try:
    s.send(b"lost")
    print("closed" if s.recv(10) == b"" else "served")
except (BrokenPipeError, ConnectionResetError):
    print("closed")
' "$BG_ADDR"
	[ "$output" = closed ]
	msg="recv: accept on .*: Too many open files; closed the new client"
	for i in $(seq 1 100); do
		grep -q "$msg" "$BG_ERR" && break
		sleep 0.05
	done
	grep -q "$msg" "$BG_ERR"
	kill -0 "$BG_PID"
	prlimit --pid "$BG_PID" --nofile="$soft:"
	"$SKIT" send "$BG_ADDR" hello
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BG_OUT")" = hello ]
}

@test "send: retry=, forever and connect-timeout= on the address" {
	sock=$BATS_TEST_TMPDIR/sp.sock
	run --separate-stderr "$SKIT" send "unix-seqpacket:$sock,retry=2,interval=10ms" one
	[ "$status" -eq 4 ]
	[ "$(grep -c 'No such file or directory; retry [12] of 2 in ' <<<"$stderr")" -eq 2 ]
	(sleep 0.4; exec "$SKIT" recv --count 1 "unix-seqpacket:$sock" >"$BATS_TEST_TMPDIR/got") &
	BG_PIDS="${BG_PIDS:-} $!"
	run --separate-stderr timeout 20 "$SKIT" send "unix-seqpacket:$sock,forever,interval=50ms" one
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"; retry 1 in 50 ms"* ]]
	for i in $(seq 1 100); do grep -q one "$BATS_TEST_TMPDIR/got" && break; sleep 0.05; done
	grep -q one "$BATS_TEST_TMPDIR/got"
	python3 "$BATS_TEST_DIRNAME/stall_peer.py" tcp-backlog 2>"$BATS_TEST_TMPDIR/peer.err" &
	BG_PIDS="${BG_PIDS:-} $!"
	for i in $(seq 1 100); do grep -q listening "$BATS_TEST_TMPDIR/peer.err" && break; sleep 0.05; done
	addr=$(sed -n 's/.*listening on //p' "$BATS_TEST_TMPDIR/peer.err")
	run --separate-stderr timeout 20 "$SKIT" send "$addr,connect-timeout=300ms" one
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"connect $addr: Connection timed out"* ]]
}

@test "boundaries of 1, 1000 and 60000 bytes survive (--framing len): udp, unix-dgram, seqpacket" {
	lenframes "$BATS_TEST_TMPDIR/m" 1 1000 60000
	for a in udp4:127.0.0.1:0 "unix-dgram:@skit-sr-$$-$RANDOM" \
		"unix-seqpacket:@skit-sr-$$-$RANDOM"; do
		skit_bg -v recv "$a" --count 3 --framing len
		"$SKIT" send --framing len "$BG_ADDR" <"$BATS_TEST_TMPDIR/m"
		wexit "$BG_PID" 10
		[ "$WAIT_RC" -eq 0 ]
		cmp "$BG_OUT" "$BATS_TEST_TMPDIR/m"
	done
}

@test "recv --count N exits after N; --timeout gives exit 5 when short" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 3 --timeout 0.5
	"$SKIT" send "$BG_ADDR" 1 2
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 5 ]
	grep -q "timed out" "$BG_ERR"
	[ "$(wc -l <"$BG_OUT")" -eq 2 ]
}

@test "recv --timeout without --count: exit 0 after some messages" {
	skit_bg -v recv udp4:127.0.0.1:0 -t 0.3
	"$SKIT" send "$BG_ADDR" x
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
}

@test "recv --hex dumps the bytes on stderr" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 1 --hex
	"$SKIT" send "$BG_ADDR" AB
	wexit "$BG_PID" 10
	grep -q '^< 00000000  41 42 ' "$BG_ERR"
}

@test "send -C: replies printed with CRLF line ends" {
	skit_bg -v recv udp4:127.0.0.1:0 --reply pong
	run "$SKIT" send -C -w 5 --replies 1 "$BG_ADDR" ping
	[ "$output" = "$(printf 'pong\r')" ]
}

@test "send --json: replies are JSON objects too, binary ones in hex" {
	skit_bg -v recv --reply ok udp4:127.0.0.1:0
	run --separate-stderr "$SKIT" send --json -w 0.3 "$BG_ADDR" one
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .event <<<"${lines[1]}")" = reply ]
	[ "$(jq -r .from <<<"${lines[1]}")" = "$BG_ADDR" ]
	[ "$(jq -r .payload <<<"${lines[1]}")" = ok ]
	skit_bg -v recv --reply "$(printf 'a\001')" udp4:127.0.0.1:0
	run --separate-stderr "$SKIT" send --json -w 0.3 "$BG_ADDR" two
	[ "$(jq -r .payload_hex <<<"${lines[1]}")" = 6101 ]
}

@test "send --json reports each message" {
	skit_bg -v recv udp4:127.0.0.1:0 --count 2
	"$SKIT" send --json "$BG_ADDR" a bcd >"$BATS_TEST_TMPDIR/j"
	json_valid "$BATS_TEST_TMPDIR/j"
	[ "$(jq -r .length "$BATS_TEST_TMPDIR/j" | tr '\n' ' ')" = "1 3 " ]
	[ "$(jq -r .event "$BATS_TEST_TMPDIR/j" | sort -u)" = sent ]
}

@test "raw ip with proto=: send and recv (root)" {
	need_root
	skit_bg -v recv ip:127.0.0.1,proto=253 --count 1
	"$SKIT" send ip:127.0.0.1,proto=253 rawhello
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BG_OUT")" = rawhello ]
}

@test "send/recv: bad address exit 2, missing address exit 2" {
	run "$SKIT" send udp:nohost
	[ "$status" -eq 2 ]
	run "$SKIT" recv
	[ "$status" -eq 2 ]
	run "$SKIT" send
	[ "$status" -eq 2 ]
	run "$SKIT" recv --count 0 udp::0
	[ "$status" -eq 2 ]
}

@test "recv removes its socket file at the end, but not one another process put there since" {
	p=$BATS_TEST_TMPDIR/r.sock
	# its own file goes, on a normal end and on a stop signal
	skit_bg -v recv "unix-dgram:$p" --count 1
	"$SKIT" send "unix-dgram:$p" x
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ ! -e "$p" ]
	skit_bg -v recv "unix-dgram:$p"
	kill -TERM "$BG_PID"
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 143 ]
	[ ! -e "$p" ]
	# a file put in its place (a restarted server) stays, both ways
	bind_over() {
		python3 -c 'import socket,sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])' "$p.new"
		mv "$p.new" "$p"
	}
	skit_bg -v recv "unix-dgram:$p" --timeout 0.5
	bind_over
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 5 ]
	[ -S "$p" ]
	rm "$p"
	skit_bg -v recv "unix-dgram:$p"
	bind_over
	kill -TERM "$BG_PID"
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 143 ]
	[ -S "$p" ]
}

@test "send: idle-timeout= on the address waits for replies as -w does" {
	skit_bg -v recv --reply ok udp4:127.0.0.1:0
	run --separate-stderr "$SKIT" send "$BG_ADDR,idle-timeout=0.3" one
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	run --separate-stderr "$SKIT" send "$BG_ADDR" two
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}
