#!/usr/bin/env bats
# docs/json.md is the contract of every --json: each command that writes
# JSON runs (tests/cli/json_samples.sh, on loopback in a private network
# namespace) and everything it wrote is held against the page
# (tests/cli/json_check.py): kinds, keys, JSON types, no exponents.

load helpers

@test "every command's JSON matches docs/json.md" {
	need_root
	need_cmd unshare
	mkdir "$BATS_TEST_TMPDIR/out"
	run timeout 60 unshare --net "$BATS_TEST_DIRNAME/json_samples.sh" \
		"$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run python3 "$BATS_TEST_DIRNAME/json_check.py" "$SKIT_SRC/docs/json.md" \
		"$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# every command had its say
	for c in bench echo ifaces ping probe proxy recv relay resolve send sniff sockets trace; do
		ls "$BATS_TEST_TMPDIR/out/$c".*.json >/dev/null
		[ -s "$(ls "$BATS_TEST_TMPDIR/out/$c".*.json | head -1)" ] ||
			{ echo "$c wrote nothing"; false; }
	done
}

@test "json_check.py fails on a key, a kind or an exponent docs/json.md does not show" {
	mkdir "$BATS_TEST_TMPDIR/bad"
	echo '{"event":"sent","to":"udp:127.0.0.1:9","length":5,"extra":1}' >"$BATS_TEST_TMPDIR/bad/send.1.json"
	echo '{"event":"nope"}' >"$BATS_TEST_TMPDIR/bad/recv.1.json"
	echo '{"event":"sent","to":"udp:127.0.0.1:9","length":"5"}' >"$BATS_TEST_TMPDIR/bad/send.2.json"
	echo '{"event":"sent","to":"udp:127.0.0.1:9","length":5e3}' >"$BATS_TEST_TMPDIR/bad/send.3.json"
	run python3 "$BATS_TEST_DIRNAME/json_check.py" "$SKIT_SRC/docs/json.md" "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"key 'extra' is not in docs/json.md"* ]]
	[[ "$output" == *"skit recv's event 'nope' is not in docs/json.md"* ]]
	[[ "$output" == *"'length' is string, docs/json.md shows number"* ]]
	[[ "$output" == *"send.3.json line 1: a number in exponent form"* ]]
}
