#!/usr/bin/env bats
# Integrity: random bytes through `skit connect` -> `skit listen --exec
# cat` -> back, sha256 compared, for every stream-like transport; and
# again under the fault-injection shim (tests/shim/faults.c: short
# counts, EINTR, EAGAIN), with a smaller size to keep `make check` fast.
load helpers

: "${NC_BIG:=256}"   # MiB through each transport
: "${NC_SHIM:=32}"   # MiB through each transport under the shim

setup_file() {
	export DATA=$BATS_FILE_TMPDIR/data SMALL=$BATS_FILE_TMPDIR/small
	# AES-CTR of zeros: random-looking bytes, much faster than urandom.
	openssl enc -aes-128-ctr -nosalt -pass pass:skit -pbkdf2 </dev/zero 2>/dev/null |
		head -c $((NC_BIG << 20)) >"$DATA"
	head -c $((NC_SHIM << 20)) "$DATA" >"$SMALL"
	sha256sum <"$DATA" | cut -d' ' -f1 >"$DATA.sha"
	sha256sum <"$SMALL" | cut -d' ' -f1 >"$SMALL.sha"
}

teardown() {
	bg_cleanup
}

# roundtrip FILE ADDRESS [connect options...]: echo FILE through a
# one-client `skit listen ADDRESS --exec cat` and compare the sha256.
roundtrip() {
	local file=$1 addr=$2
	shift 2
	skit_bg listen -v "$addr" --exec cat "$@"
	local got
	got=$("$SKIT" connect "$@" "$BG_ADDR" <"$file" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(cat "$file.sha")" ]
	wait_exit "$BG_PID" 30
	[ "$WAIT_RC" -eq 0 ]
}

abstract() {
	echo "unix:@skit-nc-$$-$BATS_TEST_NUMBER-$RANDOM"
}

@test "integrity: ${NC_BIG} MiB over tcp4" {
	roundtrip "$DATA" tcp4:127.0.0.1:0
}

@test "integrity: ${NC_BIG} MiB over tcp6" {
	need_ipv6
	roundtrip "$DATA" "tcp6:[::1]:0"
}

@test "integrity: ${NC_BIG} MiB over a unix socket path" {
	roundtrip "$DATA" "unix:$BATS_TEST_TMPDIR/s"
	[ ! -e "$BATS_TEST_TMPDIR/s" ] # the server removed its socket file
}

@test "integrity: ${NC_BIG} MiB over a unix abstract name" {
	roundtrip "$DATA" "$(abstract)"
}

@test "integrity: ${NC_BIG} MiB over unix-seqpacket (--framing raw)" {
	roundtrip "$DATA" "unix-seqpacket:@skit-nc-sp-$$-$RANDOM" --framing raw
}

# The shim is loaded into every process of the pipeline but acts only in
# those named skit (SKIT_FAULT_COMM); its log proves faults happened.
shim_on() {
	SHIM=${BUILD:-$SKIT_SRC/build}/tests/faults.so
	[ -f "$SHIM" ] || skip "fault shim not built ($SHIM): make $SHIM"
	export LD_PRELOAD=$SHIM SKIT_FAULT_RATE=0.05 SKIT_FAULT_SEED=$BATS_TEST_NUMBER
	export SKIT_FAULT_COMM=skit SKIT_FAULT_LOG=$BATS_TEST_TMPDIR/faults.log
	# A sanitized skit wants its runtime first; the shim goes before it.
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
}

shim_used() {
	unset LD_PRELOAD
	# Both skit processes ran under the shim and it injected faults.
	[ "$(wc -l <"$SKIT_FAULT_LOG")" -ge 2 ]
	awk -F'faults=' '{ s += $2 } END { exit !(s > 10) }' "$SKIT_FAULT_LOG"
}

@test "integrity under faults: ${NC_SHIM} MiB over tcp4" {
	shim_on
	roundtrip "$SMALL" tcp4:127.0.0.1:0
	shim_used
}

@test "integrity under faults: ${NC_SHIM} MiB over tcp6" {
	need_ipv6
	shim_on
	roundtrip "$SMALL" "tcp6:[::1]:0"
	shim_used
}

@test "integrity under faults: ${NC_SHIM} MiB over a unix socket path" {
	shim_on
	roundtrip "$SMALL" "unix:$BATS_TEST_TMPDIR/s"
	shim_used
}

@test "integrity under faults: ${NC_SHIM} MiB over a unix abstract name" {
	shim_on
	roundtrip "$SMALL" "$(abstract)"
	shim_used
}

@test "integrity under faults: ${NC_SHIM} MiB over unix-seqpacket" {
	shim_on
	roundtrip "$SMALL" "unix-seqpacket:@skit-nc-sp-$$-$RANDOM" --framing raw
	shim_used
}

# pipe_trip FILE ADDRESS: like roundtrip, but connect's stdin and stdout
# are pipes, which the relay splices straight to and from the socket.
pipe_trip() {
	local file=$1 addr=$2
	skit_bg listen -v "$addr" --exec cat
	local got
	got=$(cat "$file" | "$SKIT" connect "$BG_ADDR" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(cat "$file.sha")" ]
	wait_exit "$BG_PID" 30
	[ "$WAIT_RC" -eq 0 ]
}

@test "integrity: ${NC_SHIM} MiB, stdin and stdout pipes (direct splice), unix" {
	pipe_trip "$SMALL" "$(abstract)"
}

# Into TCP a stdin pipe is copied (larger segments); out of it, spliced.
@test "integrity: ${NC_SHIM} MiB, stdin and stdout pipes, tcp4" {
	pipe_trip "$SMALL" tcp4:127.0.0.1:0
}

@test "integrity under faults: ${NC_SHIM} MiB, stdin and stdout pipes, unix" {
	shim_on
	pipe_trip "$SMALL" "$(abstract)"
	shim_used
}

@test "integrity under faults: ${NC_SHIM} MiB, stdin and stdout pipes, tcp4" {
	shim_on
	pipe_trip "$SMALL" tcp4:127.0.0.1:0
	shim_used
}

@test "integrity when splice() is refused (EINVAL): pipes fall back to copying" {
	shim_on
	export SKIT_FAULT_KINDS=einval SKIT_FAULT_RATE=0.1
	pipe_trip "$SMALL" "$(abstract)"
	unset LD_PRELOAD
	# Both skit processes were refused at least once.
	[ "$(wc -l <"$SKIT_FAULT_LOG")" -ge 2 ]
	awk -F'faults=' '{ if ($2 + 0 < 1) bad = 1 } END { exit bad }' "$SKIT_FAULT_LOG"
}
