#!/usr/bin/env bats
# relay_integrity.bats - skit relay moves every byte, both ways, for each
# pair of stream transports {tcp4, tcp6, unix path, unix abstract}, sizes
# {0, 1, 65535} and 256 MiB, client or server closing first, sha256
# compared on both ends; then again under the fault-injection shim
# (short counts, EINTR, EAGAIN). vsock is not tested: loopback vsock is
# not available on the test machines (see the brief).
#
# The peers are plain Python sockets (tests/cli/relay_peer.py), so the
# relay is checked against code that is not skit.
load helpers

PEER="$BATS_TEST_DIRNAME/relay_peer.py"
SMALL=0,1,65535
BOTH=client,server

setup() {
	need_cmd python3
	SHIM=${BUILD:-$SKIT_SRC/build}/tests/faults.so
}

matrix_from() {
	local a=$1 b
	for b in tcp4 tcp6 unix abstract; do
		python3 "$PEER" matrix "$a" "$b" "$SMALL" "$BOTH"
	done
}

@test "integrity: tcp4 -> {tcp4,tcp6,unix,abstract} x {0,1,65535} x who closes first" {
	need_ipv6
	run matrix_from tcp4
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq 4 ]
}

@test "integrity: tcp6 -> {tcp4,tcp6,unix,abstract} x {0,1,65535} x who closes first" {
	need_ipv6
	run matrix_from tcp6
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq 4 ]
}

@test "integrity: unix path -> {tcp4,tcp6,unix,abstract} x {0,1,65535} x who closes first" {
	need_ipv6
	run matrix_from unix
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq 4 ]
}

@test "integrity: unix abstract -> {tcp4,tcp6,unix,abstract} x {0,1,65535} x who closes first" {
	need_ipv6
	run matrix_from abstract
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq 4 ]
}

@test "integrity: 256 MiB both ways, tcp4 -> unix path, client closes first" {
	run python3 "$PEER" matrix tcp4 unix 268435456 client
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "integrity: 256 MiB both ways, unix abstract -> tcp6, server closes first" {
	need_ipv6
	run python3 "$PEER" matrix abstract tcp6 268435456 server
	echo "$output"
	[ "$status" -eq 0 ]
}

# Under the shim: 1 call in 5 is cut short, interrupted or told EAGAIN.
faulty() {
	[ -f "$SHIM" ] || skip "fault shim not built ($SHIM)"
	export RELAY_ENV_PRELOAD=$SHIM SKIT_FAULT_RATE=0.2 SKIT_FAULT_SEED=$1
	export SKIT_FAULT_LOG=$BATS_TEST_TMPDIR/faults.log
}

faults_seen() {
	awk '{ sub("faults=", "", $3); n += $3 } END { exit !(n > 0) }' \
		"$BATS_TEST_TMPDIR/faults.log"
}

@test "integrity under faults: tcp4 and tcp6 -> every transport, small sizes" {
	need_ipv6
	faulty 11
	run bash -c "$(declare -f matrix_from); PEER=$PEER SMALL=$SMALL BOTH=$BOTH; matrix_from tcp4 && matrix_from tcp6"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq 8 ]
	faults_seen
}

@test "integrity under faults: unix and abstract -> every transport, small sizes" {
	need_ipv6
	faulty 12
	run bash -c "$(declare -f matrix_from); PEER=$PEER SMALL=$SMALL BOTH=$BOTH; matrix_from unix && matrix_from abstract"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -eq 8 ]
	faults_seen
}

@test "integrity under faults: 256 MiB both ways, tcp4 -> abstract, client closes first" {
	faulty 13
	run python3 "$PEER" matrix tcp4 abstract 268435456 client
	echo "$output"
	[ "$status" -eq 0 ]
	faults_seen
}

@test "integrity: vsock (only where vsock loopback works)" {
	need_cmd python3
	python3 -c '
import socket, sys
try:
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    s.bind((1, socket.VMADDR_PORT_ANY)); s.listen(1)
    c = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    c.settimeout(1); c.connect((1, s.getsockname()[1]))
except Exception:
    sys.exit(1)
' 2>/dev/null || skip "vsock loopback (CID 1) is not available on this machine"
	skit_bg relay -v vsock-listen:1:0,fork exec:cat
	run bash -c "head -c 65535 /dev/urandom | tee $BATS_TEST_TMPDIR/in | '$SKIT' relay - $BG_ADDR | cmp - $BATS_TEST_TMPDIR/in"
	bg_cleanup
	[ "$status" -eq 0 ]
}
