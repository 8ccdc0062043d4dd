#!/usr/bin/env bats
# WebSocket (docs/websocket.md): the grammar, skit's client against a
# python3-websockets server, python3-websockets clients against skit's
# servers (listen, listen --exec, relay), relay both ways, --json, and
# a scripted misbehaving peer modelled on Autobahn's case groups
# (tests/cli/ws_peer.py) against skit's server and skit's client.
load helpers

setup() {
	PEER="$BATS_TEST_DIRNAME/ws_peer.py"
	WSPY=
	for py in python3 /usr/bin/python3; do
		if "$py" -c 'import websockets' 2>/dev/null; then
			WSPY=$py
			break
		fi
	done
}

teardown() {
	[ -n "${PY_PID:-}" ] && kill "$PY_PID" 2>/dev/null
	[ -n "${SK_PID:-}" ] && kill "$SK_PID" 2>/dev/null
	bg_cleanup
}

need_websockets() {
	[ -n "$WSPY" ] || skip "python3-websockets is not installed"
}

# py_echo [PROTO...]: a python3-websockets echo server; PY_PORT.
py_echo() {
	local f=$BATS_TEST_TMPDIR/py.port i
	"$WSPY" "$PEER" echo-server "$@" >"$f" 2>"$BATS_TEST_TMPDIR/py.err" &
	PY_PID=$!
	# (python's start is slow on a loaded machine: 10 s at most)
	for i in $(seq 1 200); do
		PY_PORT=$(head -1 "$f" 2>/dev/null || true)
		[ -n "$PY_PORT" ] && return 0
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/py.err" >&2
	return 1
}

# wait_size FILE N: until FILE holds N bytes (5 s at most).
wait_size() {
	local i
	for i in $(seq 1 100); do
		[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# sk_fifo ARGS...: skit ARGS in the background reading a fifo (held
# open on fd 5 until sk_eof), stdout in SK_OUT, stderr in SK_ERR.
sk_fifo() {
	SK_N=$((${SK_N:-0} + 1))
	local fifo=$BATS_TEST_TMPDIR/in.$BATS_TEST_NUMBER.$$.$SK_N
	SK_OUT=$BATS_TEST_TMPDIR/sk.out
	SK_ERR=$BATS_TEST_TMPDIR/sk.err
	mkfifo "$fifo"
	"$SKIT" "$@" <"$fifo" >"$SK_OUT" 2>"$SK_ERR" &
	SK_PID=$!
	exec 5>"$fifo"
}

sk_eof() {
	exec 5>&-
	wait_exit "$SK_PID" 5
	SK_RC=$?
	SK_PID=
}

@test "ws: ws:// URLs and ws-listen: round-trip through resolve" {
	run "$SKIT" resolve 'ws://127.0.0.1:8080/chat?room=1,protocol=a;b'
	[ "$status" -eq 0 ]
	[[ "$output" == *"canonical  tcp-connect:127.0.0.1:8080,ws,path=/chat?room=1,protocol=a;b"* ]]
	run "$SKIT" resolve 'tcp-connect:127.0.0.1:8080,ws,path=/chat?room=1,protocol=a;b'
	[[ "$output" == *"canonical  tcp-connect:127.0.0.1:8080,ws,path=/chat?room=1,protocol=a;b"* ]]
	run "$SKIT" resolve 'ws://[::1]'
	[[ "$output" == *"canonical  tcp-connect:[::1]:80,ws"* ]]
	run "$SKIT" resolve 'ws-listen:0,max-message=64k,ping-interval=1,ws-mode=raw'
	[ "$status" -eq 0 ]
	[[ "$output" == *"canonical  tcp-listen::0,ws,max-message=65536,ping-interval=1000ms,ws-mode=raw"* ]]
	run "$SKIT" resolve 'tcp:127.0.0.1:1,protocol=x'
	[ "$status" -eq 2 ]
	[[ "$output" == *"protocol= needs ws (add ,ws)"* ]]
	run "$SKIT" resolve 'ws:127.0.0.1:1,ws-mode=utf8'
	[ "$status" -eq 2 ]
	[[ "$output" == *"ws-mode= is text, binary or raw"* ]]
	# a command that does not speak it refuses it by name
	run "$SKIT" send 'ws://127.0.0.1:1/' x
	[ "$status" -eq 2 ]
	[[ "$output" == *"option 'ws' does not apply to 'skit send'"* ]]
}

@test "ws: the request carries path, query, subprotocols, Origin and header=" {
	# a plain TCP listener shows the request as it comes
	sk_fifo listen -v tcp-listen:127.0.0.1:0
	wait_for -F "$SK_ERR" "listening on"
	local port
	port=$(sed -n 's/.*listening on tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$SK_ERR")
	run timeout 5 "$SKIT" connect -w 1 \
		"ws://127.0.0.1:$port/a/b?c=1,protocol=chat;v2,origin=http://o.test,header=X-One: 1|X-Two: 2" </dev/null
	sk_eof
	grep -q "^GET /a/b?c=1 HTTP/1.1" "$SK_OUT"
	grep -q "^Host: 127.0.0.1:$port" "$SK_OUT"
	grep -q "^Upgrade: websocket" "$SK_OUT"
	grep -q "^Sec-WebSocket-Version: 13" "$SK_OUT"
	grep -q "^Sec-WebSocket-Protocol: chat, v2" "$SK_OUT"
	grep -q "^Origin: http://o.test" "$SK_OUT"
	grep -q "^X-One: 1" "$SK_OUT"
	grep -q "^X-Two: 2" "$SK_OUT"
	# no answer: the handshake's wait ends with -w, named
	[ "$status" -eq 5 ]
	[[ "$output" == *"websocket handshake with server"* ]]
}

@test "ws: connect to a python3-websockets server: lines are text messages, -v shows the handshake" {
	need_websockets
	py_echo chat
	sk_fifo connect -v "ws://127.0.0.1:$PY_PORT/x?y=1,protocol=other;chat"
	printf 'hello\nwörld\n\n' >&5
	wait_for -F "$SK_OUT" "wörld"
	sk_eof
	[ "$SK_RC" -eq 0 ]
	[ "$(cat "$SK_OUT")" = "$(printf 'hello\nwörld\n\n')" ]
	grep -q "GET /x?y=1 HTTP/1.1 -> HTTP/1.1 101 Switching Protocols, subprotocol chat" "$SK_ERR"
	grep -q "websocket close from .*: 1000 (normal closure)" "$SK_ERR"
	# a line longer than the framing's 64 KiB cut is still one message
	# (fragments), with and without compression
	head -c 150000 /dev/zero | tr '\0' 'x' >"$BATS_TEST_TMPDIR/long"
	echo >>"$BATS_TEST_TMPDIR/long"
	for o in "" ",deflate"; do
		sk_fifo connect "ws://127.0.0.1:$PY_PORT/$o"
		cat "$BATS_TEST_TMPDIR/long" >&5
		wait_size "$SK_OUT" 150001
		sk_eof
		[ "$SK_RC" -eq 0 ]
		cmp "$BATS_TEST_TMPDIR/long" "$SK_OUT"
	done
}

@test "ws: binary mode keeps message boundaries through --framing len; raw mode streams bytes" {
	need_websockets
	py_echo
	# three length-framed messages in, the same three out
	printf '\0\0\0\3abc\0\0\0\1d\0\0\0\5efghi' >"$BATS_TEST_TMPDIR/msgs"
	sk_fifo connect --framing len "ws://127.0.0.1:$PY_PORT/,ws-mode=binary"
	cat "$BATS_TEST_TMPDIR/msgs" >&5
	wait_size "$SK_OUT" 21
	sk_eof
	[ "$SK_RC" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/msgs" "$SK_OUT"
	# raw: 300 KB of any bytes, back byte for byte
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	sk_fifo connect "ws://127.0.0.1:$PY_PORT/,ws-mode=raw"
	cat "$BATS_TEST_TMPDIR/blob" >&5
	wait_size "$SK_OUT" 300000
	sk_eof
	[ "$SK_RC" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/blob" "$SK_OUT"
}

@test "ws: python3-websockets client against skit listen (stdio) and listen -k --exec" {
	need_websockets
	sk_fifo listen -v ws-listen:127.0.0.1:0
	wait_for -F "$SK_ERR" "listening on"
	local port
	port=$(sed -n 's/.*listening on tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$SK_ERR")
	# (5>&-: the client must not hold skit's stdin open)
	"$WSPY" "$PEER" client "ws://127.0.0.1:$port/" hi >"$BATS_TEST_TMPDIR/c.out" 2>&1 5>&- &
	local cpid=$!
	wait_for -F "$SK_OUT" "hi"
	echo "back at you" >&5
	wait_for -F "$BATS_TEST_TMPDIR/c.out" "back at you"
	sk_eof
	wait_exit "$cpid" 5
	[ "$SK_RC" -eq 0 ]
	grep -q "text 'back at you'" "$BATS_TEST_TMPDIR/c.out"
	grep -q "close 1000" "$BATS_TEST_TMPDIR/c.out"

	# -k --exec cat: every client its own cat, subprotocol chosen
	skit_bg listen -v -k 'ws-listen:127.0.0.1:0,protocol=v9;chat' --exec cat
	run timeout 10 "$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" --proto chat one "two three" "ünï"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "subprotocol chat" ]
	[ "${lines[1]}" = "text 'one'" ]
	[ "${lines[2]}" = "text 'two three'" ]
	[ "${lines[3]}" = "text 'ünï'" ]
	[ "${lines[4]}" = "close 1000" ]
}

@test "ws: skit echo ws-listen: answers each message whole, with its type" {
	need_websockets
	skit_bg echo -v ws-listen:127.0.0.1:0
	run timeout 10 "$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" one "two three" "ünï"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "text 'one'" ]
	[ "${lines[1]}" = "text 'two three'" ]
	[ "${lines[2]}" = "text 'ünï'" ]
	[ "${lines[3]}" = "close 1000" ]
	run timeout 10 "$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" --binary "$(printf 'x%.0s' $(seq 1 70000))"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "binary b'xxxx"* ]]
	[ "${#lines[0]}" -eq $((70000 + 10)) ]
}

@test "ws: relay ws-listen <-> tcp and tcp-listen <-> ws:// (both ways), --json reports messages and the close" {
	need_websockets
	skit_bg echo -v tcp-listen:127.0.0.1:0
	local echo_addr=$BG_ADDR
	skit_bg relay -v --json ws-listen:127.0.0.1:0 "$echo_addr"
	local rpid=$BG_PID rout=$BG_OUT
	run timeout 10 "$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" --binary abc def
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "binary b'abc'" ]
	[ "${lines[1]}" = "binary b'def'" ]
	wait_exit "$rpid" 5
	grep -q '"event":"ws-open"' "$rout"
	grep -q '"event":"ws-message".*"dir":"in","type":"binary","size":3' "$rout"
	grep -q '"event":"ws-close".*"dir":"in","code":1000' "$rout"

	# the other way: a tcp client through skit to a websocket server
	py_echo
	skit_bg relay -v tcp-listen:127.0.0.1:0 "ws://127.0.0.1:$PY_PORT/r,ws-mode=text"
	sk_fifo connect "$BG_ADDR"
	printf 'line one\nline two\n' >&5
	wait_for -F "$SK_OUT" "line two"
	sk_eof
	[ "$SK_RC" -eq 0 ]
	[ "$(cat "$SK_OUT")" = "$(printf 'line one\nline two')" ]
}

@test "ws: relay ws-listen with fork: each client's WebSocket is its own (two clients, each named in --json)" {
	need_websockets
	skit_bg echo -v tcp-listen:127.0.0.1:0
	local echo_addr=$BG_ADDR
	skit_bg relay -v --json "ws-listen:127.0.0.1:0,fork" "$echo_addr"
	local rout=$BG_OUT
	"$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" --binary one \
		>"$BATS_TEST_TMPDIR/c1" 2>&1 &
	local c1=$!
	run timeout 10 "$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" --binary two
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "binary b'two'" ]
	wait_exit "$c1" 10
	grep -qx "binary b'one'" "$BATS_TEST_TMPDIR/c1"
	wait_for -F "$rout" '"code":1000'
	for _ in $(seq 1 100); do
		[ "$(grep -c '"event":"ws-close".*"dir":"out"' "$rout")" -ge 2 ] && break
		sleep 0.05
	done
	# two pairs, two peers, each with its own open and close
	[ "$(grep '"event":"ws-open"' "$rout" | grep -o '"peer":"[^"]*"' | sort -u | wc -l)" -eq 2 ]
	[ "$(grep -c '"event":"ws-close".*"dir":"in","code":1000' "$rout")" -eq 2 ]
	kill -0 "$BG_PID" # fork: still serving
}

@test "ws: permessage-deflate with python3-websockets, both ways (deflate)" {
	need_websockets
	skit_bg listen -v -k 'ws-listen:127.0.0.1:0,deflate' --exec cat
	local aaa
	aaa=$(printf 'a%.0s' $(seq 1 3000))
	run timeout 10 "$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" "$aaa" "héllo héllo"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "text '$aaa'" ]
	[ "${lines[1]}" = "text 'héllo héllo'" ]
	wait_for -F "$BG_ERR" "extensions permessage-deflate"
	py_echo
	sk_fifo connect -v "ws://127.0.0.1:$PY_PORT/,deflate"
	printf '%s\nagain again again\n' "$aaa" >&5
	wait_for -F "$SK_OUT" "again again again"
	sk_eof
	[ "$SK_RC" -eq 0 ]
	[ "$(head -1 "$SK_OUT")" = "$aaa" ]
	grep -q "extensions permessage-deflate" "$SK_ERR"
}

@test "ws: wss:// and wss-listen: round-trip through resolve (tls below, ws above)" {
	run "$SKIT" resolve 'wss://127.0.0.1/a?b,protocol=x,ca=c.pem'
	[ "$status" -eq 0 ]
	[[ "$output" == *"(written wss)"* ]]
	[[ "$output" == *"canonical  tcp-connect:127.0.0.1:443,tls,ca=c.pem,ws,path=/a?b,protocol=x"* ]]
	run "$SKIT" resolve 'tcp-connect:127.0.0.1:443,tls,ws,path=/a?b,protocol=x,ca=c.pem'
	[[ "$output" == *"canonical  tcp-connect:127.0.0.1:443,tls,ca=c.pem,ws,path=/a?b,protocol=x"* ]]
	run "$SKIT" resolve 'wss-listen:0,cert=a.pem,key=a.key'
	[ "$status" -eq 0 ]
	[[ "$output" == *"(written wss-listen)"* ]]
	[[ "$output" == *"canonical  tcp-listen::0,tls,cert=a.pem,key=a.key,ws"* ]]
	run "$SKIT" resolve 'wss://'
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing host after 'wss://'"* ]]
}

@test "ws: wss against python3-websockets (both ways) and skit's own sides: -v and --json show TLS and the handshake" {
	need_websockets
	load tls_helpers
	local c=$BATS_TEST_TMPDIR
	make_certs "$c"
	local srv="cert=$c/srv.pem,key=$c/srv.key"
	# skit's client against a python3-websockets server over TLS
	py_echo --tls "$c/srv.pem" "$c/srv.key" chat
	sk_fifo connect -v "wss://127.0.0.1:$PY_PORT/x,ca=$c/ca.pem,protocol=chat"
	printf 'hello\n' >&5
	wait_for -F "$SK_OUT" "hello"
	sk_eof
	[ "$SK_RC" -eq 0 ]
	grep -q "TLS: TLSv1" "$SK_ERR"
	grep -q "TLS:   verified" "$SK_ERR"
	grep -q "GET /x HTTP/1.1 -> HTTP/1.1 101 Switching Protocols, subprotocol chat" "$SK_ERR"
	grep -q "websocket close from .*: 1000 (normal closure)" "$SK_ERR"
	# an unknown CA fails as TLS does (exit 8), before any websocket
	run timeout 10 "$SKIT" connect "wss://127.0.0.1:$PY_PORT/" </dev/null
	[ "$status" -eq 8 ]
	[[ "$output" == *"TLS handshake with server"* ]]

	# python3-websockets clients against skit echo, listen -k --exec, relay
	skit_bg echo -v "wss-listen:127.0.0.1:0,$srv"
	local echo_port=$BG_PORT
	run timeout 10 "$WSPY" "$PEER" client "wss://127.0.0.1:$echo_port/" --ca "$c/ca.pem" one "ünï"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "text 'one'" ]
	[ "${lines[1]}" = "text 'ünï'" ]
	[ "${lines[2]}" = "close 1000" ]
	skit_bg listen -v -k "wss-listen:127.0.0.1:0,$srv" --exec cat
	run timeout 10 "$WSPY" "$PEER" client "wss://127.0.0.1:$BG_PORT/" --ca "$c/ca.pem" two
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "text 'two'" ]
	[ "${lines[1]}" = "close 1000" ]
	skit_bg echo -v tcp-listen:127.0.0.1:0
	skit_bg relay -v --json "wss-listen:127.0.0.1:0,$srv" "$BG_ADDR"
	local rpid=$BG_PID rout=$BG_OUT
	run timeout 10 "$WSPY" "$PEER" client "wss://127.0.0.1:$BG_PORT/" --ca "$c/ca.pem" --binary abc
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "binary b'abc'" ]
	wait_exit "$rpid" 5
	grep -q '"event":"ws-open"' "$rout"
	grep -q '"a_tls_version":"TLSv1' "$rout"

	# skit's client against skit's server, --json: TLS, then the handshake
	sk_fifo connect --json "wss://127.0.0.1:$echo_port/j,ca=$c/ca.pem"
	printf 'hi\n' >&5
	wait_for -F "$SK_OUT" 'hi'
	sk_eof
	[ "$SK_RC" -eq 0 ]
	grep -q '"event":"connected".*"peer_verified":true' "$SK_ERR"
	grep -q '"event":"ws-open".*"request":"GET /j HTTP/1.1"' "$SK_ERR"
	grep -q '"event":"ws-message".*"dir":"in","type":"text","size":2' "$SK_ERR"
	grep -q '"event":"ws-close".*"dir":"in","code":1000' "$SK_ERR"
}

@test "ws: listen --broker/--chat/-k over ws: every message to every other client, as messages (wss too)" {
	need_websockets
	local t=$BATS_TEST_TMPDIR
	# --broker: B hears what A says, message by message, with its type
	skit_bg listen -v --broker ws-listen:127.0.0.1:0
	"$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" --expect 4 >"$t/b.out" 2>&1 &
	local bpid=$!
	wait_for -F "$t/b.out" open
	wait_for -F "$BG_ERR" "101 Switching Protocols"
	run timeout 10 "$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" --expect 0 one "two
lines" ""
	[ "$status" -eq 0 ]
	# a binary message stays binary, UTF-8 or not (the hub's text mode)
	run timeout 10 "$WSPY" "$PEER" client "ws://127.0.0.1:$BG_PORT/" --expect 0 --binary bin
	[ "$status" -eq 0 ]
	wait_exit "$bpid" 10
	[ "$(sed -n 2p "$t/b.out")" = "text 'one'" ]
	[ "$(sed -n 3p "$t/b.out")" = "text 'two\\nlines'" ]
	[ "$(sed -n 4p "$t/b.out")" = "text ''" ]
	[ "$(sed -n 5p "$t/b.out")" = "binary b'bin'" ]
	# the sender does not hear itself: its close came right after
	[ "${lines[0]}" = "open" ]
	[ "${lines[1]}" = "close 1000" ]

	# --chat over wss: each message prefixed with its sender
	load tls_helpers
	make_certs "$t"
	skit_bg listen --chat -v "wss-listen:127.0.0.1:0,cert=$t/srv.pem,key=$t/srv.key"
	"$WSPY" "$PEER" client "wss://127.0.0.1:$BG_PORT/" --ca "$t/ca.pem" --expect 1 >"$t/c.out" 2>&1 &
	bpid=$!
	wait_for -F "$t/c.out" open
	wait_for -F "$BG_ERR" "101 Switching Protocols"
	run timeout 10 "$WSPY" "$PEER" client "wss://127.0.0.1:$BG_PORT/" --ca "$t/ca.pem" --expect 0 hello
	[ "$status" -eq 0 ]
	wait_exit "$bpid" 10
	grep -q "^text 'tcp:127.0.0.1:[0-9]*: hello'$" "$t/c.out"

	# -k without --exec: clients' messages on stdout (lines), stdin's
	# lines to every client
	sk_fifo listen -v -k ws-listen:127.0.0.1:0
	wait_for -F "$SK_ERR" "listening on"
	local port
	port=$(sed -n 's/.*listening on tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$SK_ERR")
	"$WSPY" "$PEER" client "ws://127.0.0.1:$port/" --expect 1 from-client >"$t/k.out" 2>&1 5>&- &
	bpid=$!
	wait_for -F "$SK_OUT" "from-client"
	echo "from stdin" >&5
	wait_exit "$bpid" 10
	grep -qx "text 'from stdin'" "$t/k.out"
	# -k serves on after stdin's end: stopped by a signal
	exec 5>&-
	kill "$SK_PID"
	wait_exit "$SK_PID" 5 || true
	SK_PID=
}

@test "ws: skit bench over ws and wss: rr messages against skit echo and python3-websockets, crr, throughput" {
	need_websockets
	skit_bg echo -v ws-listen:127.0.0.1:0
	run timeout 20 "$SKIT" bench --json -m rr -c 2 -r 200 -s 100 "ws://127.0.0.1:$BG_PORT/b"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"requests":200'* ]]
	# the address reported is the URL measured, not the tcp below it
	[ "$(jq -r .address <<<"$output")" = "ws://127.0.0.1:$BG_PORT/b" ]
	run timeout 20 "$SKIT" bench -m crr -r 20 "ws://127.0.0.1:$BG_PORT/"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "skit bench --mode crr ws://127.0.0.1:$BG_PORT/  ("* ]]
	run timeout 20 "$SKIT" bench -m throughput --bytes 1m -s 16k "ws://127.0.0.1:$BG_PORT/"
	[ "$status" -eq 0 ]
	py_echo
	run timeout 20 "$SKIT" bench --json -m rr -r 100 -s 1000 "ws://127.0.0.1:$PY_PORT/"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"requests":100'* ]]
	kill "$PY_PID"
	load tls_helpers
	make_certs "$BATS_TEST_TMPDIR"
	py_echo --tls "$BATS_TEST_TMPDIR/srv.pem" "$BATS_TEST_TMPDIR/srv.key"
	run timeout 20 "$SKIT" bench --json -m rr -r 100 "wss://127.0.0.1:$PY_PORT/,ca=$BATS_TEST_TMPDIR/ca.pem"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"requests":100'* ]]
	[[ "$output" == *'"tls_version":"TLSv1'* ]]
	[ "$(jq -r .address <<<"$output")" = "wss://127.0.0.1:$PY_PORT/" ]
	# a window of messages over wss, each answer checked
	run timeout 20 "$SKIT" bench --json -m rr -c 2 --pipeline 8 -r 300 "wss://127.0.0.1:$PY_PORT/,ca=$BATS_TEST_TMPDIR/ca.pem"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"requests":300'* ]]
	# a server that does not speak WebSocket: the handshake's failure
	skit_bg echo -v tcp-listen:127.0.0.1:0
	run timeout 20 "$SKIT" bench -r 5 --timeout 2 "ws://127.0.0.1:$BG_PORT/"
	[ "$status" -eq 1 ]
	[[ "$output" == *"handshake with tcp:127.0.0.1:$BG_PORT: bad HTTP response"* ]]
}

@test "ws: headless Chromium opens a page that talks to a skit WebSocket server" {
	need_cmd chromium
	local log=$BATS_TEST_TMPDIR/browser.log i hold
	# the server echoes and keeps what it saw: the page's last message
	# says what came back to it
	skit_bg listen -v -k 'ws-listen:127.0.0.1:0,protocol=chat' --sh-exec "tee -a $log"
	# the page's load waits for an image that comes once the page has
	# said so: --dump-dom runs after the round trip
	python3 "$PEER" hold "$log" "BROWSER GOT" >"$BATS_TEST_TMPDIR/hold.port" &
	PY_PID=$!
	for i in $(seq 1 100); do
		hold=$(head -1 "$BATS_TEST_TMPDIR/hold.port")
		[ -n "$hold" ] && break
		sleep 0.05
	done
	cat >"$BATS_TEST_TMPDIR/page.html" <<EOF
<!doctype html><html><body><pre id="out">waiting</pre>
<img src="http://127.0.0.1:$hold/wait.gif"><script>
var ws = new WebSocket("ws://127.0.0.1:$BG_PORT/browser", ["chat"]);
var got = [];
ws.onopen = function () { ws.send("hello from the browser"); ws.send("\u00e9 \u00fc"); };
ws.onmessage = function (e) {
	got.push(e.data);
	if (got.length == 2) {
		ws.send("BROWSER GOT " + got.join("|"));
		document.getElementById("out").textContent = "GOT:" + got.join("|");
	}
};
</script></body></html>
EOF
	run timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$BATS_TEST_TMPDIR/chrome" --virtual-time-budget=20000 \
		--dump-dom "file://$BATS_TEST_TMPDIR/page.html"
	[[ "$output" == *'<pre id="out">GOT:hello from the browser|é ü</pre>'* ]]
	wait_for -F "$log" "BROWSER GOT hello from the browser|é ü"
	grep -q "GET /browser HTTP/1.1 -> HTTP/1.1 101 Switching Protocols, subprotocol chat" "$BG_ERR"
}

@test "ws: conformance of skit's server (framing, ping/pong, reserved bits, opcodes, fragmentation, UTF-8, limits, close)" {
	need_cmd python3
	skit_bg listen -v -k 'ws-listen:127.0.0.1:0,ws-mode=binary,max-message=1k' --framing len --exec cat
	run timeout 60 python3 "$PEER" conform-server-side "$BG_PORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -ge 50 ]
	# and skit echo, the same cases
	skit_bg echo -v 'ws-listen:127.0.0.1:0,max-message=1k'
	run timeout 60 python3 "$PEER" conform-server-side "$BG_PORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -ge 50 ]
}

@test "ws: conformance of skit's client (masking, reserved bits, UTF-8, pings, fragments, 1006, non-101 answers)" {
	need_cmd python3
	run timeout 60 python3 "$PEER" conform-client-side "$SKIT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok ' <<<"$output")" -ge 9 ]
}
