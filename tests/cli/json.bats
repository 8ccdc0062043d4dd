#!/usr/bin/env bats
# docs/json.md is the contract of every --json: each command that writes
# JSON runs (tests/cli/json_samples.sh, on loopback in a private network
# namespace) and everything it wrote is held against the page
# (tests/cli/json_check.py): kinds, keys, JSON types, no exponents.

load helpers

teardown() {
	bg_cleanup
}

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
	for c in bench connect echo get ifaces listen ping probe proxy recv relay resolve send sniff sockets trace; do
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

@test "connect, listen and get --json: events on stderr, the data untouched on stdout" {
	skit_bg -v echo tcp4:127.0.0.1:0
	head -c 100000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	"$SKIT" connect --json "$BG_ADDR" <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/ev"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	[ "$(jq -r 'select(.event=="connected") | .peer' "$BATS_TEST_TMPDIR/ev")" = "$BG_ADDR" ]
	[ "$(jq -c 'select(.event=="closed") | [.bytes_sent, .bytes_received, .reason]' "$BATS_TEST_TMPDIR/ev")" = '[100000,100000,"eof"]' ]

	BG_STDOUT=$BATS_TEST_TMPDIR/lout skit_bg -v listen --json tcp4:127.0.0.1:0
	printf hi | "$SKIT" connect "$BG_ADDR" >/dev/null
	wait_exit "$BG_PID" 10
	[ "$(cat "$BATS_TEST_TMPDIR/lout")" = hi ]
	grep '^{' "$BG_ERR" >"$BATS_TEST_TMPDIR/lev"
	[ "$(jq -r .event "$BATS_TEST_TMPDIR/lev" | tr '\n' ' ')" = "listening connected closed " ]
	[ "$(jq -r 'select(.event=="closed") | .bytes_received' "$BATS_TEST_TMPDIR/lev")" = 2 ]
	# -k and --exec: a connected and a closed per client
	skit_bg -v listen --json -k tcp4:127.0.0.1:0 --exec cat
	printf abc | "$SKIT" connect "$BG_ADDR" >/dev/null
	printf de | "$SKIT" connect "$BG_ADDR" >/dev/null
	for i in $(seq 100); do [ "$(grep -c '"closed"' "$BG_ERR")" -ge 2 ] && break; sleep 0.05; done
	[ "$(grep '^{' "$BG_ERR" | jq -c 'select(.event=="closed") | [.bytes_received, .bytes_sent]' | sort | tr '\n' ' ')" = "[2,2] [3,3] " ]
	skit_bg -v listen --json -k tcp4:127.0.0.1:0
	printf abcd | "$SKIT" connect "$BG_ADDR" >/dev/null
	for i in $(seq 100); do grep -q '"closed"' "$BG_ERR" && break; sleep 0.05; done
	[ "$(grep '^{' "$BG_ERR" | jq -c 'select(.event=="closed") | .bytes_received')" = 4 ]
	run "$SKIT" listen --json -u udp4:127.0.0.1:0
	[ "$status" -eq 2 ]
	[[ "$output" == *"no connections to report; use skit recv --json"* ]]
	[[ "$output" != *'"listening"'* ]]

	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec \
		'sed -n "/^\r$/q" >/dev/null; printf "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Test: yes\r\n\r\nhello\n"'
	"$SKIT" get --json "http://${BG_ADDR#tcp:}/x" >"$BATS_TEST_TMPDIR/body" 2>"$BATS_TEST_TMPDIR/gev"
	[ "$(cat "$BATS_TEST_TMPDIR/body")" = hello ]
	[ "$(jq -r 'select(.event=="response") | .headers["x-test"]' "$BATS_TEST_TMPDIR/gev")" = yes ]
	[ "$(jq -c 'select(.event=="done") | [.status, .bytes, .output]' "$BATS_TEST_TMPDIR/gev")" = '[200,6,"stdout"]' ]
	run "$SKIT" get --json http://127.0.0.1:1/
	[ "$status" -eq 4 ]
	[[ "$output" == *'"event":"done","status":null,"bytes":0,'*'"error":"ECONNREFUSED"'* ]]
}
