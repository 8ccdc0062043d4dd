#!/usr/bin/env bats
# The top-level CLI: --help, --version, help COMMAND, exit codes.
load helpers

@test "skit --version prints the version" {
	run "$SKIT" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^skit\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "skit --help goes to stdout and exits 0" {
	run --separate-stderr "$SKIT" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: skit"* ]]
	[ -z "$stderr" ]
}

@test "skit with no command is a usage error (exit 2)" {
	run "$SKIT"
	[ "$status" -eq 2 ]
}

@test "unknown command: exit 2 and a message naming it" {
	run "$SKIT" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
}

@test "the command table is sorted and every command has --help" {
	cmds=$("$SKIT" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/commands:/ {print $1}')
	[ -n "$cmds" ]
	[ "$cmds" = "$(echo "$cmds" | LC_ALL=C sort)" ]
	for c in $cmds; do
		run "$SKIT" "$c" --help
		[ "$status" -eq 0 ] || { echo "skit $c --help: $status"; false; }
		run "$SKIT" help "$c"
		[ "$status" -eq 0 ]
	done
}

@test "options may follow the operand where users expect it (echo, bench, ping)" {
	skit_bg echo tcp:127.0.0.1:0 -v
	run -0 "$SKIT" bench "tcp:127.0.0.1:$BG_PORT" -m rr -r 20 --json
	[[ "$output" == *'"requests"'* ]] || [[ "$output" == *'"mode"'* ]]
	echo "$output" | tail -1 | python3 -c 'import json,sys; json.loads(sys.stdin.read())'
	if [ "$(id -u)" -eq 0 ]; then
		run -0 "$SKIT" ping 127.0.0.1 -c 1 -q
		[[ "$output" == *"1 received"* ]]
	fi
}

@test "-- ends options: a message starting with - is sent as is" {
	skit_bg recv -v --count 1 udp:127.0.0.1:0
	run -0 "$SKIT" send "udp:127.0.0.1:$BG_PORT" -- -x
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	grep -q -- '-x' "$BG_OUT"
}

teardown() {
	bg_cleanup
}
