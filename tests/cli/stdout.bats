#!/usr/bin/env bats
# Output that cannot be written says why: with stdout on /dev/full every
# command that prints exits 1 with "skit: write to stdout: No space left
# on device" (docs/exit-codes.md). A reader that went away (EPIPE, as
# in `| head`) ends skit quietly.
load helpers

FULL_MSG="skit: write to stdout: No space left on device"

teardown() {
	bg_cleanup
}

# full ARGS...: run skit ARGS with stdout on /dev/full (20 s at most);
# sets FULL_RC and FULL_ERR (stderr). Stdin from $FULL_IN or empty.
full() {
	FULL_ERR=$(timeout 20 "$SKIT" "$@" 2>&1 >/dev/full <"${FULL_IN:-/dev/null}") &&
		FULL_RC=0 || FULL_RC=$?
}

# full_ok ARGS...: full, then exit 1 with the message, said once.
full_ok() {
	full "$@"
	echo "skit $*: exit $FULL_RC, stderr: $FULL_ERR"
	[ "$FULL_RC" -eq 1 ]
	[ "$(grep -cF -- "$FULL_MSG" <<<"$FULL_ERR")" -eq 1 ]
}

# bg_full_ok: the background server (started with BG_STDOUT=/dev/full)
# ends with exit 1 and the message.
bg_full_ok() {
	wait_exit "$BG_PID" 10
	cat "$BG_ERR"
	[ "$WAIT_RC" -eq 1 ]
	[ "$(grep -cF -- "$FULL_MSG" "$BG_ERR")" -eq 1 ]
}

@test "stdout full: probe, resolve, ifaces, sockets, version, --help" {
	full_ok probe
	full_ok probe --json
	full_ok resolve tcp:127.0.0.1:80
	full_ok resolve --json tcp:127.0.0.1:80 udp:[::1]:53
	full_ok ifaces
	full_ok ifaces --json
	full_ok ifaces --routes
	full_ok sockets
	full_ok sockets --json
	full_ok version
	full_ok --version
	full_ok --help
	full_ok probe --help
}

@test "stdout full: bench, ping over tcp, connect, send --json" {
	skit_bg echo -v -t 1 tcp:127.0.0.1:0
	local echo=$BG_ADDR
	full_ok bench -r 20 "$echo"
	full_ok bench -r 20 --json "$echo"
	full_ok ping -c 2 -i 0.1 "$echo"
	full_ok ping -c 2 -i 0.1 --json "$echo"
	echo hello >"$BATS_TEST_TMPDIR/in"
	FULL_IN=$BATS_TEST_TMPDIR/in full_ok connect "$echo"
	FULL_IN=$BATS_TEST_TMPDIR/in full_ok relay - "$echo"
	skit_bg echo -v -t 1 udp:127.0.0.1:0
	full_ok send --json "$BG_ADDR" one two
	FULL_IN=$BATS_TEST_TMPDIR/in full_ok connect -q 1 "$BG_ADDR"
}

@test "stdout full: ICMP ping stops at the first reply it cannot print" {
	run "$SKIT" ping -c 1 -W 2 127.0.0.1
	[ "$status" -eq 0 ] || skip "no ICMP echo socket here: $output"
	full_ok ping -c 50 -i 0.2 127.0.0.1
}

@test "stdout full: listen, one client and -k" {
	BG_STDOUT=/dev/full skit_bg listen -v tcp4:127.0.0.1:0
	"$SKIT" connect "$BG_ADDR" <<<"hello" || true
	bg_full_ok

	BG_STDOUT=/dev/full skit_bg listen -v -k tcp4:127.0.0.1:0
	"$SKIT" connect -w 5 "$BG_ADDR" <<<"hello" || true
	bg_full_ok
}

@test "stdout full: datagram listen and recv, text and --json" {
	BG_STDOUT=/dev/full skit_bg listen -v udp:127.0.0.1:0
	"$SKIT" send "$BG_ADDR" hi
	bg_full_ok

	BG_STDOUT=/dev/full skit_bg recv -v -c 3 udp:127.0.0.1:0
	"$SKIT" send "$BG_ADDR" hi
	bg_full_ok

	BG_STDOUT=/dev/full skit_bg recv -v --json -c 3 udp:127.0.0.1:0
	"$SKIT" send "$BG_ADDR" hi
	bg_full_ok
}

@test "stdout full: relay --json and echo --json servers" {
	skit_bg echo -v -t 1 tcp:127.0.0.1:0
	BG_STDOUT=/dev/full skit_bg relay -v --json \
		tcp-listen:127.0.0.1:0,fork "$BG_ADDR"
	bg_full_ok

	BG_STDOUT=/dev/full skit_bg echo -v -t 1 --json tcp:127.0.0.1:0
	kill -TERM "$BG_PID"
	bg_full_ok
}

@test "stdout full: get to stdout" {
	printf 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n' \
		>"$BATS_TEST_TMPDIR/resp"
	# Read the request head first: closing on unread bytes would reset.
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec \
		"sed -n '/^\r\$/q' >/dev/null; cat $BATS_TEST_TMPDIR/resp"
	full_ok get -q "http://${BG_ADDR#tcp:}/x"
	full_ok get "http://${BG_ADDR#tcp:}/x"
	full_ok get -O - "http://${BG_ADDR#tcp:}/x"
}

@test "stdout full: sniff" {
	need_netns
	load netns_low
	ns_new S
	BG_STDOUT=/dev/full ns_bg "$NS_S" -v sniff -i lo --proto udp -c 3
	ip netns exec "$NS_S" "$SKIT" send udp:127.0.0.1:9 a b c d e
	wait_exit "$BG_PID" 10
	ns_cleanup
	cat "$BG_ERR"
	[ "$WAIT_RC" -eq 1 ]
	grep -qF -- "$FULL_MSG" "$BG_ERR"
}

@test "a closed stdout: exit 1 and the reason" {
	run --separate-stderr bash -c '"$SKIT" probe >&-'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"skit: write to stdout: Bad file descriptor"* ]]
}

@test "a reader that goes away (| head) ends skit quietly" {
	run --separate-stderr bash -c '"$SKIT" probe | head -1 >/dev/null; echo "rc=${PIPESTATUS[0]}"'
	[ "$output" = rc=0 ]
	[ -z "$stderr" ]
	skit_bg echo -v -t 1 tcp:127.0.0.1:0
	# ping stops once head has gone, long before its 1000 requests
	# (50 s) would end it; timeout's exit 124 would say it went on.
	run --separate-stderr bash -c \
		'timeout 20 "$SKIT" ping -c 1000 -i 0.05 "$1" | head -2 >/dev/null; echo "rc=${PIPESTATUS[0]}"' \
		_ "$BG_ADDR"
	echo "$output / $stderr"
	[ "$output" = rc=0 ]
	[ -z "$stderr" ]
}
