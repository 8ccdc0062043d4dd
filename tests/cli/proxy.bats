#!/usr/bin/env bats
# proxy=URL on connecting tcp addresses (docs/proxy.md): SOCKS5 through
# microsocks, HTTP CONNECT through tinyproxy, SOCKS4a and every hostile
# proxy through scripted fakes (skit listen --sh-exec): refusing,
# failing authentication, closing mid-handshake, sending garbage, saying
# nothing. Every proxy listens on 127.0.0.1; the real peers need a fixed
# port, picked free just before they start.
load helpers

teardown() {
	bg_cleanup
	local p
	for p in ${PEER_PIDS:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (5 s).
wait_port() {
	local i
	for i in $(seq 1 100); do
		if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "nothing listens on port $1" >&2
	return 1
}

# microsocks [ARGS]: a SOCKS5 proxy on 127.0.0.1:$MS_PORT.
microsocks_start() {
	need_cmd microsocks
	MS_PORT=$(free_port)
	microsocks -i 127.0.0.1 -p "$MS_PORT" "$@" >"$BATS_TEST_TMPDIR/ms.log" 2>&1 &
	PEER_PIDS="${PEER_PIDS:-} $!"
	wait_port "$MS_PORT"
}

# tinyproxy_start [BASICAUTH_LINE]: HTTP CONNECT proxy on $TP_PORT.
tinyproxy_start() {
	need_cmd tinyproxy
	TP_PORT=$(free_port)
	cat >"$BATS_TEST_TMPDIR/tp.conf" <<EOF
Port $TP_PORT
Listen 127.0.0.1
Timeout 10
MaxClients 20
Allow 127.0.0.1
LogLevel Error
${1:-}
EOF
	tinyproxy -d -c "$BATS_TEST_TMPDIR/tp.conf" >"$BATS_TEST_TMPDIR/tp.log" 2>&1 &
	PEER_PIDS="${PEER_PIDS:-} $!"
	wait_port "$TP_PORT"
}

# target: a server that greets, then echoes (microsocks and tinyproxy
# close both ways at the client's EOF, so the greeting shows the tunnel).
target() {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec 'echo banner; cat'
	TARGET=$BG_ADDR
}

# fake CMD: a one-client proxy that runs the sh command CMD.
fake() {
	skit_bg listen -v tcp4:127.0.0.1:0 --sh-exec "$1"
	FAKE=$BG_PORT
}

through() {
	run --separate-stderr timeout 10 "$SKIT" connect "$1" < <(echo hello; sleep 0.5)
}

@test "socks5: connect through microsocks, with and without a password" {
	target
	microsocks_start
	through "$TARGET,proxy=socks5://127.0.0.1:$MS_PORT"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'banner\nhello')" ]
	kill $PEER_PIDS
	PEER_PIDS=
	microsocks_start -u alice -P 's3cret'
	through "$TARGET,proxy=socks5h://alice:s3cret@127.0.0.1:$MS_PORT"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'banner\nhello')" ]
}

@test "socks5: refused destination, wrong password, no password: named, exit 4 and 6" {
	microsocks_start -u alice -P s3cret
	port=$(free_port)
	through "tcp:127.0.0.1:$port,proxy=socks5://alice:s3cret@127.0.0.1:$MS_PORT"
	[ "$status" -eq 4 ]
	[ "$stderr" = "skit: socks5 proxy tcp:127.0.0.1:$MS_PORT: connection refused by destination (reply 5)" ]
	through "tcp:127.0.0.1:$port,proxy=socks5://alice:wrong@127.0.0.1:$MS_PORT"
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"socks5 proxy tcp:127.0.0.1:$MS_PORT: authentication failed"* ]]
	through "tcp:127.0.0.1:$port,proxy=socks5://127.0.0.1:$MS_PORT"
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"no acceptable authentication method"* ]]
}

@test "socks5: the target's name goes to the proxy, not to DNS" {
	REQ=$BATS_TEST_TMPDIR/req
	fake 'dd bs=3 count=1 of=/dev/null 2>/dev/null; printf "\005\000"
		dd bs=512 count=1 of='"$REQ"' 2>/dev/null
		printf "\005\000\000\001\000\000\000\000\000\000"; cat'
	run --separate-stderr timeout 10 "$SKIT" connect \
		"tcp:no-such-host.invalid:8080,proxy=socks5://127.0.0.1:$FAKE" <<<"hi"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	# VER CMD RSV ATYP=3 LEN "no-such-host.invalid" PORT 8080
	[ "$(od -An -tx1 -N5 "$REQ" | tr -d ' ')" = 0501000314 ]
	[ "$(dd if="$REQ" bs=1 skip=5 count=20 2>/dev/null)" = no-such-host.invalid ]
	[ "$(od -An -tx1 -j25 -N2 "$REQ" | tr -d ' ')" = 1f90 ]
}

@test "socks5: refused by the proxy's rules, closed mid-handshake, garbage, silence" {
	fake 'dd bs=3 count=1 of=/dev/null 2>/dev/null; printf "\005\000"
		dd bs=512 count=1 of=/dev/null 2>/dev/null
		printf "\005\002\000\001\000\000\000\000\000\000"'
	through "tcp:127.0.0.1:9,proxy=socks5://127.0.0.1:$FAKE"
	[ "$status" -eq 6 ]
	[ "$stderr" = "skit: socks5 proxy tcp:127.0.0.1:$FAKE: connection not allowed by ruleset (reply 2)" ]
	fake 'dd bs=3 count=1 of=/dev/null 2>/dev/null'
	through "tcp:127.0.0.1:9,proxy=socks5://127.0.0.1:$FAKE"
	[ "$status" -eq 7 ]
	[[ "$stderr" == *"the proxy closed the connection during the handshake"* ]]
	fake 'printf "220 mail.test ESMTP\r\n"; sleep 2'
	through "tcp:127.0.0.1:9,proxy=socks5://127.0.0.1:$FAKE"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"socks5 proxy tcp:127.0.0.1:$FAKE: not a SOCKS5 server"* ]]
	fake 'sleep 5'
	SECONDS=0
	through "tcp:127.0.0.1:9,proxy=socks5://127.0.0.1:$FAKE,connect-timeout=0.5"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"no reply from the proxy in time"* ]]
	[ "$SECONDS" -lt 5 ]
}

@test "socks4a: the request carries the user and the name; rejection is named" {
	REQ=$BATS_TEST_TMPDIR/req4
	fake 'dd bs=512 count=1 of='"$REQ"' 2>/dev/null
		printf "\000\132\000\000\000\000\000\000"; cat'
	run --separate-stderr timeout 10 "$SKIT" connect \
		"tcp:name.invalid:80,proxy=socks4a://bob@127.0.0.1:$FAKE" <<<"hi"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	[ "$(od -An -tx1 -N8 "$REQ" | tr -d ' ')" = 0401005000000001 ]
	[ "$(tr '\0' '|' <"$REQ" | cut -c9-)" = "bob|name.invalid|" ]
	fake 'dd bs=512 count=1 of=/dev/null 2>/dev/null
		printf "\000\133\000\000\000\000\000\000"'
	through "tcp:127.0.0.1:9,proxy=socks4://127.0.0.1:$FAKE"
	[ "$status" -eq 4 ]
	[ "$stderr" = "skit: socks4a proxy tcp:127.0.0.1:$FAKE: request rejected or failed (reply 91)" ]
}

@test "http CONNECT through tinyproxy: Basic auth, 407, unreachable target" {
	target
	tinyproxy_start "BasicAuth alice s3cret"
	through "$TARGET,proxy=http://alice:s3cret@127.0.0.1:$TP_PORT"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'banner\nhello')" ]
	through "$TARGET,proxy=http://alice:nope@127.0.0.1:$TP_PORT"
	[ "$status" -eq 6 ]
	[[ "$stderr" == "skit: http proxy tcp:127.0.0.1:$TP_PORT: "*"(40"[17]* ]]
	port=$(free_port)
	through "tcp:127.0.0.1:$port,proxy=http://alice:s3cret@127.0.0.1:$TP_PORT"
	[ "$status" -eq 4 ]
	[[ "$stderr" == "skit: http proxy tcp:127.0.0.1:$TP_PORT: proxy could not connect (5"* ]]
}

@test "http CONNECT: the request, data right after the reply, garbage, closed" {
	REQ=$BATS_TEST_TMPDIR/reqh
	fake 'dd bs=1024 count=1 of='"$REQ"' 2>/dev/null
		printf "HTTP/1.0 200 Connection established\r\nX: y\r\n\r\nearly\n"; cat'
	run --separate-stderr timeout 10 "$SKIT" connect \
		"tcp:[::1]:22,proxy=http://u:p@127.0.0.1:$FAKE" < <(echo late; sleep 0.3)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'early\nlate')" ]
	[ "$(head -1 "$REQ")" = $'CONNECT [::1]:22 HTTP/1.1\r' ]
	grep -q $'^Proxy-Authorization: Basic dTpw\r$' "$REQ"
	fake 'printf "\005\000\000\000"; sleep 2'
	through "tcp:127.0.0.1:9,proxy=http://127.0.0.1:$FAKE"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"http proxy tcp:127.0.0.1:$FAKE: not an HTTP response"* ]]
	fake 'dd bs=1024 count=1 of=/dev/null 2>/dev/null; printf "HTTP/1.1 200 OK\r\n"'
	through "tcp:127.0.0.1:9,proxy=http://127.0.0.1:$FAKE"
	[ "$status" -eq 7 ]
}

@test "a bad proxy URL is a usage error naming the URL" {
	run --separate-stderr "$SKIT" connect "tcp:127.0.0.1:9,proxy=ftp://127.0.0.1:1" </dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown proxy scheme"* ]]
	run --separate-stderr "$SKIT" connect "tcp:127.0.0.1:9,proxy=socks5://127.0.0.1:99999" </dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"bad port"* ]]
	# a proxy is for connecting tcp only
	run --separate-stderr "$SKIT" connect "udp:127.0.0.1:9,proxy=socks5://127.0.0.1:1" </dev/null
	[ "$status" -eq 2 ]
}

@test "relay and bench dial through the proxy" {
	skit_bg echo -v tcp4:127.0.0.1:0
	ECHO=$BG_ADDR
	microsocks_start
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork "$ECHO,proxy=socks5://127.0.0.1:$MS_PORT"
	run --separate-stderr timeout 10 "$SKIT" connect "$BG_ADDR" < <(echo via-relay; sleep 0.5)
	[ "$status" -eq 0 ]
	[ "$output" = via-relay ]
	run --separate-stderr timeout 20 "$SKIT" bench --json -d 0.3 -c 2 "$ECHO,proxy=socks5://127.0.0.1:$MS_PORT"
	[ "$status" -eq 0 ]
}
