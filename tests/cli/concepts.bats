#!/usr/bin/env bats
# docs/concepts.md: every command the page shows still prints what the
# page says (tests/cli/concepts_check.py), and `skit help concepts` is it.

load helpers

teardown() {
	bg_cleanup
}

@test "skit help concepts prints docs/concepts.md" {
	run "$SKIT" help concepts
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$SKIT_SRC/docs/concepts.md")" ]
}

@test "docs/concepts.md: every command prints what the page shows" {
	# (its servers bind fixed ports: a private network namespace keeps
	# them from meeting anything else)
	need_root
	need_cmd unshare
	bindir=$(cd "$(dirname "$SKIT")" && pwd)
	run timeout 120 unshare --net sh -c 'ip link set lo up &&
		PATH="$1:$PATH" exec python3 "$2" "$3"' sh "$bindir" \
		"$BATS_TEST_DIRNAME/concepts_check.py" \
		"$SKIT_SRC/docs/concepts.md"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *" 0 differ" ]]
}
