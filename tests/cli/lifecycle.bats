#!/usr/bin/env bats
# lifecycle.bats - the safe unix-socket lifecycle through the real binary:
# a stale socket file is replaced (with unlink), anything else at the
# path is refused and left untouched, mode= holds as soon as the server
# says it is listening.
load helpers

setup() {
	"$SKIT" listen --help >/dev/null 2>&1 || skip "skit listen is not in this build"
	D=$(mktemp -d /tmp/skit-lc-XXXXXX)
}

teardown() {
	bg_cleanup
	if [ -n "${D:-}" ]; then rm -rf "$D"; fi
}

# A socket file nobody listens on: bound, then the process exits.
make_stale() {
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$1"
	[ -S "$1" ]
}

@test "lifecycle: a stale socket file is replaced with unlink" {
	make_stale "$D/s"
	skit_bg listen -v -k "unix:$D/s,unlink" --exec cat
	[ "$BG_ADDR" = "unix:$D/s" ]
	run -0 bash -c "echo hi | timeout 10 socat -t5 - UNIX-CONNECT:$D/s"
	[ "$output" = "hi" ]
}

@test "lifecycle: without unlink a stale file is in the way" {
	make_stale "$D/s"
	run timeout 10 "$SKIT" listen -v "unix:$D/s"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bind unix:$D/s"*"Address already in use"* ]]
	[ -S "$D/s" ]
}

@test "lifecycle: a regular file is refused and left untouched" {
	echo "keep me" >"$D/s"
	run timeout 10 "$SKIT" listen -v "unix:$D/s,unlink"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not a socket"* ]]
	[ "$(cat "$D/s")" = "keep me" ]
}

@test "lifecycle: a live socket is refused and keeps working" {
	skit_bg listen -v -k "unix:$D/s" --exec cat
	run timeout 10 "$SKIT" listen -v "unix:$D/s,unlink"
	[ "$status" -ne 0 ]
	[[ "$output" == *"live server"* ]]
	run -0 bash -c "echo still | timeout 10 socat -t5 - UNIX-CONNECT:$D/s"
	[ "$output" = "still" ]
}

@test "lifecycle: mode=0600 holds when the server reports listening" {
	skit_bg listen -v -k "unix:$D/s,mode=0600" --exec cat
	# Checked before any client has connected.
	[ "$(stat -c %a "$D/s")" = "600" ]
	[ -S "$D/s" ]
}

@test "lifecycle: --trace shows chmod between bind and listen" {
	skit_bg --trace listen -v -k "unix:$D/s,mode=0640" --exec cat
	b=$(grep -n 'trace: bind(' "$BG_ERR" | head -1 | cut -d: -f1)
	c=$(grep -n 'trace: chmod(.*, 0640) = 0' "$BG_ERR" | head -1 | cut -d: -f1)
	l=$(grep -n 'trace: listen(' "$BG_ERR" | head -1 | cut -d: -f1)
	[ -n "$b" ] && [ -n "$c" ] && [ -n "$l" ]
	[ "$b" -lt "$c" ] && [ "$c" -lt "$l" ]
}
