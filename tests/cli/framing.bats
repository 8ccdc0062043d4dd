#!/usr/bin/env bats
# The default framing (line) between a byte stream and messages carries
# any bytes exactly, skit to skit, over every message kind: random
# binary data with empty lines, a line longer than any datagram and a
# last line without "\n", sha256 compared. Also: messages from other
# senders (socat, nc) are printed once, not with a second newline.
load helpers

: "${FRAME_MIB:=16}" # MiB through unix-seqpacket (the issue's size)

setup_file() {
	export DATA=$BATS_FILE_TMPDIR/data MID=$BATS_FILE_TMPDIR/mid
	export SMALL=$BATS_FILE_TMPDIR/small
	# mkdata FILE BYTES: random bytes around a run of empty lines and a
	# 200000-byte line (longer than a UDP datagram), ending without "\n".
	mkdata() {
		python3 - "$1" "$2" <<'PY'
import os, sys
n = int(sys.argv[2]) // 2
d = (os.urandom(n) + b"\n" * 5 + b"x" * 200000 + b"\r\n\n" + os.urandom(n)
     + b"the last line has no newline")
open(sys.argv[1], "wb").write(d)
PY
		sha256sum <"$1" | cut -d' ' -f1 >"$1.sha"
	}
	mkdata "$DATA" $((FRAME_MIB << 20))
	mkdata "$MID" $((4 << 20))
	mkdata "$SMALL" $((1 << 20))
}

teardown() {
	bg_cleanup
}

sha() {
	sha256sum <"$1" | cut -d' ' -f1
}

# wait_size FILE BYTES: until FILE holds BYTES bytes (30 s).
wait_size() {
	local i
	for i in $(seq 1 600); do
		[ "$(stat -c %s "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$1 has $(stat -c %s "$1") of $2 bytes" >&2
	return 1
}

abstract() {
	echo "$1:@skit-fr-$$-$BATS_TEST_NUMBER-$RANDOM"
}

@test "default framing: ${FRAME_MIB} MiB connect -> listen over unix-seqpacket, byte-exact" {
	skit_bg listen -v "$(abstract unix-seqpacket)"
	run timeout 60 "$SKIT" connect "$BG_ADDR" <"$DATA"
	[ "$status" -eq 0 ]
	wait_exit "$BG_PID" 30
	[ "$WAIT_RC" -eq 0 ]
	[ "$(stat -c %s "$BG_OUT")" -eq "$(stat -c %s "$DATA")" ]
	[ "$(sha "$BG_OUT")" = "$(cat "$DATA.sha")" ]
}

@test "default framing: both ways through listen --exec cat over unix-seqpacket" {
	skit_bg listen -v "$(abstract unix-seqpacket)" --exec cat
	got=$(timeout 60 "$SKIT" connect "$BG_ADDR" <"$MID" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(cat "$MID.sha")" ]
	wait_exit "$BG_PID" 30
	[ "$WAIT_RC" -eq 0 ]
}

@test "default framing: connect -> listen over unix-dgram, byte-exact" {
	skit_bg listen -v "$(abstract unix-dgram)"
	run timeout 60 "$SKIT" connect "$BG_ADDR" <"$MID"
	[ "$status" -eq 0 ]
	wait_size "$BG_OUT" "$(stat -c %s "$MID")"
	[ "$(sha "$BG_OUT")" = "$(cat "$MID.sha")" ]
}

@test "default framing: both ways through listen -k --exec cat over unix-dgram" {
	# The reply's last line has no "\n" and the child never sees EOF (a
	# datagram peer does not send one): it goes after a short pause.
	# The client waits -q 3 s of quiet for it (not the default 0.5 s: a
	# loaded machine may take longer).
	skit_bg listen -v -k "$(abstract unix-dgram)" --exec cat
	got=$(timeout 60 "$SKIT" connect -q 3 "$BG_ADDR" <"$SMALL" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(cat "$SMALL.sha")" ]
}

@test "default framing: connect -> listen over UDP on loopback, paced, byte-exact" {
	need_cmd python3
	skit_bg listen -v udp4:127.0.0.1:0
	run timeout 120 python3 "$BATS_TEST_DIRNAME/frame_feed.py" "$SMALL" "$BG_OUT" \
		"$SKIT" connect "$BG_ADDR"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sha "$BG_OUT")" = "$(cat "$SMALL.sha")" ]
}

@test "relay --framing line: stream -> UDP -> stream through an echo, byte-exact" {
	need_cmd python3
	skit_bg relay -v --framing line udp-listen:127.0.0.1:0,fork pipe
	: >"$BATS_TEST_TMPDIR/back"
	run timeout 120 python3 "$BATS_TEST_DIRNAME/frame_feed.py" "$SMALL" \
		"$BATS_TEST_TMPDIR/back" sh -c \
		'exec "$1" relay --framing line - "$2" >"$3"' _ \
		"$SKIT" "$BG_ADDR" "$BATS_TEST_TMPDIR/back"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sha "$BATS_TEST_TMPDIR/back")" = "$(cat "$SMALL.sha")" ]
}

@test "default framing: listen -k over unix-seqpacket, to stdout and from stdin" {
	skit_bg listen -v -k "$(abstract unix-seqpacket)"
	run timeout 60 "$SKIT" connect "$BG_ADDR" <"$MID"
	[ "$status" -eq 0 ]
	wait_size "$BG_OUT" "$(stat -c %s "$MID")"
	[ "$(sha "$BG_OUT")" = "$(cat "$MID.sha")" ]
	bg_cleanup
	# stdin -> a client: once it is connected, stdin comes (a fifo).
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$SKIT" listen -v -k "$(abstract unix-seqpacket)" \
		<"$BATS_TEST_TMPDIR/in" 2>"$BATS_TEST_TMPDIR/err" &
	BG_PIDS="$BG_PIDS $!"
	exec 8>"$BATS_TEST_TMPDIR/in"
	for i in $(seq 1 100); do
		addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$BATS_TEST_TMPDIR/err")
		[ -n "$addr" ] && break
		sleep 0.05
	done
	timeout 60 "$SKIT" connect --no-shutdown "$addr" </dev/null \
		>"$BATS_TEST_TMPDIR/got" 2>"$BATS_TEST_TMPDIR/cerr" 8>&- &
	BG_PIDS="$BG_PIDS $!"
	for i in $(seq 1 100); do
		grep -q "connection from" "$BATS_TEST_TMPDIR/err" && break
		sleep 0.05
	done
	cat "$MID" >&8
	exec 8>&-
	wait_size "$BATS_TEST_TMPDIR/got" "$(stat -c %s "$MID")"
	[ "$(sha "$BATS_TEST_TMPDIR/got")" = "$(cat "$MID.sha")" ]
}

@test "listen --broker over unix-seqpacket keeps messages larger than 64 KiB" {
	python3 - "$BATS_TEST_TMPDIR/m" <<'PY'
import os, struct, sys
with open(sys.argv[1], "wb") as f:
    for n in (1, 200000, 70000, 5):
        f.write(struct.pack(">I", n) + os.urandom(n))
PY
	skit_bg listen -v --broker "$(abstract unix-seqpacket)"
	timeout 30 "$SKIT" connect --framing len --recv-only "$BG_ADDR" \
		>"$BATS_TEST_TMPDIR/got" &
	BG_PIDS="$BG_PIDS $!"
	for i in $(seq 1 100); do
		[ "$(grep -c "connection from" "$BG_ERR")" -ge 1 ] && break
		sleep 0.05
	done
	timeout 30 "$SKIT" connect --framing len --no-shutdown -q 0.5 \
		"$BG_ADDR" <"$BATS_TEST_TMPDIR/m" >/dev/null
	wait_size "$BATS_TEST_TMPDIR/got" "$(stat -c %s "$BATS_TEST_TMPDIR/m")"
	cmp "$BATS_TEST_TMPDIR/m" "$BATS_TEST_TMPDIR/got"
	[ -z "$(grep dropping "$BG_ERR")" ]
}

@test "connect -q with --framing len ends once stdin is sent" {
	skit_bg listen -v "$(abstract unix-seqpacket)" --framing len
	run timeout 10 "$SKIT" connect --framing len -q 0.2 --no-shutdown \
		"$BG_ADDR" < <(printf '\0\0\0\1a\0\0\0\2bc')
	[ "$status" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$(od -An -c "$BG_OUT" | tr -d ' \n')" = '\0\0\0001a\0\0\0002bc' ]
}

@test "socat and nc datagrams ending in a newline are printed once" {
	need_cmd socat
	need_cmd nc
	skit_bg listen -v "$(abstract unix-dgram)"
	first=$BG_OUT
	printf 'p1\n' | socat - "ABSTRACT-SENDTO:${BG_ADDR#unix-dgram:@}"
	wait_size "$first" 3
	skit_bg listen -v udp4:127.0.0.1:0
	printf 'p2\n' | timeout 5 nc -u -w1 127.0.0.1 "$BG_PORT"
	wait_size "$BG_OUT" 3
	sleep 0.2
	[ "$(od -An -c "$first" | tr -d ' ')" = 'p1\n' ]
	[ "$(od -An -c "$BG_OUT" | tr -d ' ')" = 'p2\n' ]
	skit_bg recv -v udp4:127.0.0.1:0 --count 1
	printf 'p3\n' | timeout 5 nc -u -w1 127.0.0.1 "$BG_PORT"
	wait_exit "$BG_PID" 10
	[ "$(od -An -c "$BG_OUT" | tr -d ' ')" = 'p3\n' ]
}

@test "send: a line longer than a datagram is split, not cut or refused" {
	skit_bg listen -v udp4:127.0.0.1:0
	head -c 150000 /dev/zero | tr '\0' y >"$BATS_TEST_TMPDIR/long"
	printf 'end\n' >>"$BATS_TEST_TMPDIR/long"
	run "$SKIT" send "$BG_ADDR" <"$BATS_TEST_TMPDIR/long"
	[ "$status" -eq 0 ]
	wait_size "$BG_OUT" 150004
	cmp "$BATS_TEST_TMPDIR/long" "$BG_OUT"
}

@test "listen --exec over unix-dgram: a child slower than its peer loses nothing (the listener waits)" {
	# The child reads nothing for a second: its pipe and the pair's
	# buffer fill, and the server must stop reading the socket (the
	# kernel holds the sender back) rather than drop messages.
	skit_bg listen -v -k "$(abstract unix-dgram)" --sh-exec 'sleep 1; exec cat'
	got=$(timeout 60 "$SKIT" connect -q 3 "$BG_ADDR" <"$SMALL" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(cat "$SMALL.sha")" ] || { cat "$BG_ERR"; false; }
}
