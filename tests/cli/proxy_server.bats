#!/usr/bin/env bats
# skit proxy (docs/proxy-cmd.md): SOCKS5, SOCKS4/4a and HTTP CONNECT on
# one listener, with curl and skit's own proxy= client as clients, a
# SOCKS5 UDP ASSOCIATE client (socks_udp.py), authentication, acls,
# --max-conns, hostile clients and signals. Everything on 127.0.0.1,
# port 0.
load helpers
load netns_low

teardown() {
	bg_cleanup
}

# web: a one-line HTTP server (HTTP/1.0, ends with the connection).
web() {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec \
		'read l; printf "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from skit\n"'
	WEB=$BG_PORT
}

# proxy [ARGS]: skit proxy on 127.0.0.1 port 0, events in $PX_OUT.
proxy() {
	PX_OUT=$BATS_TEST_TMPDIR/proxy.$((${BG_N:-0} + 1)).out
	BG_STDOUT=$PX_OUT skit_bg -v proxy --json "$@" tcp:127.0.0.1:0
	PX=$BG_PORT PX_PID=$BG_PID PX_ERR=$BG_ERR
}

fetch() {
	run timeout 10 curl -sS --max-time 8 "$@" "http://127.0.0.1:$WEB/"
}

@test "proxy: curl through socks5h, socks4a, socks4 and HTTP CONNECT; NDJSON events" {
	need_cmd curl
	web
	proxy
	fetch --socks5-hostname "127.0.0.1:$PX"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from skit" ]
	fetch --socks4a "127.0.0.1:$PX"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from skit" ]
	fetch --socks4 "127.0.0.1:$PX"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from skit" ]
	fetch -p -x "http://127.0.0.1:$PX"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from skit" ]
	wait_for -F "$PX_OUT" '"id":4,"client"'
	json_valid "$PX_OUT"
	run python3 - "$PX_OUT" "$WEB" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev[0]["event"] == "listening" and ev[0]["loopback_only"], ev[0]
opens = [e for e in ev if e["event"] == "open"]
closes = [e for e in ev if e["event"] == "close"]
assert [e["protocol"] for e in opens] == ["socks5", "socks4", "socks4", "http"], opens
for e in opens + closes:
    assert e["destination"] == "127.0.0.1:" + sys.argv[2], e
    assert e["client"].startswith("tcp:127.0.0.1:"), e
for e in closes:
    assert e["bytes_down"] > 16 and e["bytes_up"] > 16, e
    assert e["duration_s"] >= 0 and e["reason"] == "eof", e
EOF
	[ "$status" -eq 0 ]
	grep -q "proxy: #1 tcp:127.0.0.1:[0-9]* -> 127.0.0.1:$WEB (socks5)" "$PX_ERR"
	grep -q "proxy: #4 closed: [0-9]* bytes up, [0-9]* down" "$PX_ERR"
}

@test "proxy: skit's own proxy= client through skit proxy (socks5, socks4a, http)" {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec 'echo banner; cat'
	target=$BG_ADDR
	proxy
	for url in socks5://127.0.0.1:$PX socks4a://127.0.0.1:$PX http://127.0.0.1:$PX; do
		run --separate-stderr timeout 10 "$SKIT" connect "$target,proxy=$url" < <(echo hello; sleep 0.3)
		[ "$status" -eq 0 ]
		[ "$output" = "$(printf 'banner\nhello')" ]
	done
}

@test "proxy: plain GET http:// is forwarded in origin form; a port with no server: socks5 reply 5, HTTP 502" {
	need_cmd curl
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec \
		'read l; printf "HTTP/1.0 200 OK\r\n\r\n%s\n" "$l"'
	origin=$BG_PORT
	proxy
	run timeout 10 curl -sS --max-time 8 -x "http://127.0.0.1:$PX" "http://127.0.0.1:$origin/a/b?c=d"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr -d '\r')" = "GET /a/b?c=d HTTP/1.1" ]
	grep -q '"command":"forward"' "$PX_OUT"
	web
	web_port=$WEB
	WEB=1 # nothing listens on port 1 of 127.0.0.1 in a test
	run timeout 10 curl -s -o /dev/null -w '%{http_connect}' --max-time 8 -p -x "http://127.0.0.1:$PX" "http://127.0.0.1:1/"
	[ "$output" = 502 ]
	run --separate-stderr timeout 10 "$SKIT" connect "tcp:127.0.0.1:1,proxy=socks5://127.0.0.1:$PX" </dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"connection refused by destination (reply 5)"* ]]
	grep -q '"event":"refused".*"destination":"127.0.0.1:1".*Connection refused' "$PX_OUT"
	# still serving
	WEB=$web_port
	fetch --socks5-hostname "127.0.0.1:$PX"
	[ "$output" = "hello from skit" ]
}

@test "proxy: a destination that never answers: socks5 reply 6, HTTP 504 after --timeout" {
	need_cmd curl
	cmd_bg python3 "$BATS_TEST_DIRNAME/stall_peer.py" tcp-backlog
	stalled=${BG_ADDR#tcp:}
	proxy --timeout 1
	run --separate-stderr timeout 20 "$SKIT" connect "tcp:$stalled,proxy=socks5://127.0.0.1:$PX" </dev/null
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"(reply 6)"* ]]
	run timeout 20 curl -s -o /dev/null -w '%{http_connect}' --max-time 15 -p -x "http://127.0.0.1:$PX" "http://$stalled/"
	[ "$output" = 504 ]
}

@test "proxy: --auth: socks5 and HTTP Basic pass with the password, fail without; socks4 refused" {
	need_cmd curl
	web
	proxy --auth al:s3cret
	fetch -x "socks5h://al:s3cret@127.0.0.1:$PX"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from skit" ]
	fetch -p -x "http://al:s3cret@127.0.0.1:$PX"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from skit" ]
	grep -q '"event":"open".*"user":"al"' "$PX_OUT"
	fetch -x "socks5h://al:wrong@127.0.0.1:$PX"
	[ "$status" -ne 0 ]
	run timeout 10 curl -s -o /dev/null -w '%{http_connect}' --max-time 8 -p -x "http://127.0.0.1:$PX" "http://127.0.0.1:$WEB/"
	[ "$output" = 407 ]
	run --separate-stderr timeout 10 "$SKIT" connect "tcp:127.0.0.1:$WEB,proxy=socks5://127.0.0.1:$PX" </dev/null
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"no acceptable authentication method"* ]]
	run --separate-stderr timeout 10 "$SKIT" connect "tcp:127.0.0.1:$WEB,proxy=socks5://al:wrong@127.0.0.1:$PX" </dev/null
	[ "$status" -eq 6 ]
	run --separate-stderr timeout 10 "$SKIT" connect "tcp:127.0.0.1:$WEB,proxy=socks4a://al@127.0.0.1:$PX" </dev/null
	[ "$status" -ne 0 ]
	grep -q "authentication failed" "$PX_ERR"
}

@test "proxy: --deny/--allow on clients, --deny-dest/--allow-dest on destinations (socks5 reply 2, HTTP 403)" {
	need_cmd curl
	web
	proxy --deny-dest 127.0.0.0/8
	run --separate-stderr timeout 10 "$SKIT" connect "tcp:127.0.0.1:$WEB,proxy=socks5://127.0.0.1:$PX" </dev/null
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"(reply 2)"* ]]
	run timeout 10 curl -s -o /dev/null -w '%{http_connect}' --max-time 8 -p -x "http://127.0.0.1:$PX" "http://127.0.0.1:$WEB/"
	[ "$output" = 403 ]
	grep -q '"event":"refused".*"reason":"destination not allowed"' "$PX_OUT"
	bg_cleanup
	proxy --allow-dest 10.0.0.0/8
	run timeout 10 curl -s -o /dev/null -w '%{http_connect}' --max-time 8 -p -x "http://127.0.0.1:$PX" "http://127.0.0.1:$WEB/"
	[ "$output" = 403 ]
	bg_cleanup
	web
	proxy --deny 127.0.0.0/8
	fetch --socks5-hostname "127.0.0.1:$PX"
	[ "$status" -ne 0 ]
	wait_for -F "$PX_ERR" "not allowed (--allow/--deny)"
	bg_cleanup
	web
	proxy --allow 127.0.0.1 --allow-dest 127.0.0.1/32
	fetch --socks5-hostname "127.0.0.1:$PX"
	[ "$output" = "hello from skit" ]
}

@test "proxy: --max-conns 1: a second client is closed at once, the first is served" {
	need_cmd curl
	web
	proxy --max-conns 1
	exec {held}<>"/dev/tcp/127.0.0.1/$PX"
	wait_for -F "$PX_OUT" listening
	fetch --socks5-hostname "127.0.0.1:$PX"
	[ "$status" -ne 0 ]
	wait_for -F "$PX_ERR" "--max-conns 1 reached"
	exec {held}>&-
	for i in $(seq 1 50); do
		fetch --socks5-hostname "127.0.0.1:$PX"
		[ "$status" -ne 0 ] || break
		sleep 0.1
	done
	[ "$output" = "hello from skit" ]
}

@test "proxy: garbage, an unknown HTTP method, a client gone mid-handshake, a silent one (--timeout): it serves on" {
	need_cmd curl
	web
	proxy --timeout 1
	run timeout 10 "$SKIT" connect "tcp:127.0.0.1:$PX" < <(printf 'garbage\r\n\r\n')
	[ "$output" = "" ]
	run timeout 10 "$SKIT" connect "tcp:127.0.0.1:$PX" < <(printf 'BREW /pot HTTP/1.1\r\n\r\n')
	[[ "$output" == "HTTP/1.1 405 "* ]]
	run timeout 10 "$SKIT" connect "tcp:127.0.0.1:$PX" < <(printf '\005\002')
	[ "$output" = "" ]
	# a client that says nothing is closed after --timeout
	run timeout 10 "$SKIT" connect "tcp:127.0.0.1:$PX" < <(sleep 8)
	[ "$status" -eq 0 ]
	wait_for -F "$PX_ERR" "closed in the handshake"
	wait_for -F "$PX_ERR" "timed out after 1 s in the handshake"
	grep -q "not a SOCKS or HTTP CONNECT request" "$PX_ERR"
	fetch --socks5-hostname "127.0.0.1:$PX"
	[ "$output" = "hello from skit" ]
}

@test "proxy: SOCKS5 UDP ASSOCIATE to skit echo over udp, with and without --auth" {
	need_cmd python3
	skit_bg -v echo -t 1 udp:127.0.0.1:0
	echo_port=$BG_PORT
	proxy
	run timeout 10 python3 "$BATS_TEST_DIRNAME/socks_udp.py" "$PX" "$echo_port" "hello udp"
	[ "$status" -eq 0 ]
	[ "$output" = "127.0.0.1:$echo_port hello udp" ]
	wait_for -F "$PX_OUT" '"event":"close"'
	grep -q '"command":"udp-associate".*"udp_relay":"udp:127.0.0.1:' "$PX_OUT"
	grep -q '"bytes_up":9,"bytes_down":9,"datagrams_up":1,"datagrams_down":1,"dropped":1' "$PX_OUT"
	bg_cleanup
	skit_bg -v echo -t 1 udp:127.0.0.1:0
	echo_port=$BG_PORT
	proxy --auth al:pw
	run timeout 10 python3 "$BATS_TEST_DIRNAME/socks_udp.py" "$PX" "$echo_port" "hi" al pw
	[ "$output" = "127.0.0.1:$echo_port hi" ]
	run timeout 10 python3 "$BATS_TEST_DIRNAME/socks_udp.py" "$PX" "$echo_port" "hi" al nope
	[ "$status" -eq 1 ]
}

@test "proxy: loopback by default and says so; a bare PORT is 127.0.0.1; bad addresses are usage errors" {
	run "$SKIT" proxy --help
	[[ "$output" == *"default tcp:127.0.0.1:1080"* ]]
	skit_bg -v proxy 0
	[[ "$BG_ADDR" == tcp:127.0.0.1:* ]]
	grep -q "loopback only" "$BG_ERR"
	run "$SKIT" proxy udp:127.0.0.1:0
	[ "$status" -eq 2 ]
	run "$SKIT" proxy --auth nopass
	[ "$status" -eq 2 ]
	run "$SKIT" proxy --deny-dest 10.0.0.0/99
	[ "$status" -eq 2 ]
}

@test "proxy: SIGINT and SIGTERM end it with tunnels open, by the signal" {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec 'cat'
	target=$BG_ADDR
	for sig in INT TERM; do
		proxy
		"$SKIT" connect "$target,proxy=socks5://127.0.0.1:$PX" < <(sleep 8) >/dev/null 2>&1 &
		client=$!
		wait_for -F "$PX_OUT" '"event":"open"'
		kill -"$sig" "$PX_PID"
		wait_exit "$PX_PID" 5
		[ "$WAIT_RC" -eq $((128 + $(kill -l "$sig"))) ]
		kill "$client" 2>/dev/null || true
		wait "$client" 2>/dev/null || true
	done
}

@test "proxy: out of fds (EMFILE), clients are closed at once with a message; served again once fds free up" {
	need_cmd prlimit
	web
	proxy
	prlimit --pid "$PX_PID" --nofile=24:24
	touch "$BATS_TEST_TMPDIR/flag"
	hold_conns "$PX" 30 "$BATS_TEST_TMPDIR/flag"
	wait_for -F "$PX_ERR" "Too many open files; closed the new client"
	kill -0 "$PX_PID"
	rm "$BATS_TEST_TMPDIR/flag"
	wait "$HOLD_PID" || true
	# once the held clients are gone (and their handshake time-outs
	# passed) a client is served again
	for i in $(seq 1 50); do
		out=$(curl -s --max-time 5 --socks5-hostname "127.0.0.1:$PX" "http://127.0.0.1:$WEB/") || true
		[ "$out" = "hello from skit" ] && break
		sleep 0.2
	done
	[ "$out" = "hello from skit" ]
}
