#!/usr/bin/env bats
# proxy=URL on connecting tcp addresses (docs/proxy.md): SOCKS5 through
# microsocks, HTTP CONNECT through tinyproxy, SOCKS4a and every hostile
# proxy through scripted fakes (skit listen --sh-exec): refusing,
# failing authentication, closing mid-handshake, sending garbage, saying
# nothing. Every proxy listens on 127.0.0.1; the real peers need a fixed
# port, picked free just before they start.
load helpers

load get_helpers
load proxy_helpers

teardown() {
	bg_cleanup
	proxies_stop
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
	run --separate-stderr timeout 10 "$SKIT" connect -v "$TARGET,proxy=socks5://127.0.0.1:$MS_PORT" < <(echo hello; sleep 0.5)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'banner\nhello')" ]
	[[ "$stderr" == *"tunnel to 127.0.0.1:${TARGET##*:} through the proxy tcp:127.0.0.1:$MS_PORT"* ]]
	proxies_stop
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
	[[ "$stderr" == *"no acceptable authentication method (it wants a user: socks5://USER:PASS@HOST:PORT)"* ]]
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

# web: a one-line HTTP server for get (any number of requests).
web() {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec \
		'head -1 >/dev/null; printf "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"'
	WEB=http://127.0.0.1:$BG_PORT/
}

@test "get: -x/--proxy and curl's all_proxy, http_proxy, no_proxy" {
	web
	microsocks_start
	run --separate-stderr timeout 10 "$SKIT" get -x "socks5://127.0.0.1:$MS_PORT" "$WEB"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	dead=$(free_port)
	run --separate-stderr timeout 10 env all_proxy="socks5://127.0.0.1:$MS_PORT" "$SKIT" get "$WEB"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	# the proxy is really used: a dead one fails the fetch...
	run --separate-stderr timeout 10 env http_proxy="127.0.0.1:$dead" "$SKIT" get "$WEB"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"tcp:127.0.0.1:$dead"* ]]
	# ...unless no_proxy (or --noproxy) names the host
	run --separate-stderr timeout 10 env http_proxy="127.0.0.1:$dead" no_proxy=example.test,127.0.0.1 "$SKIT" get "$WEB"
	[ "$status" -eq 0 ]
	run --separate-stderr timeout 10 "$SKIT" get -x "127.0.0.1:$dead" --noproxy '*' "$WEB"
	[ "$status" -eq 0 ]
	# https_proxy is for https URLs only
	run --separate-stderr timeout 10 env https_proxy="127.0.0.1:$dead" "$SKIT" get "$WEB"
	[ "$status" -eq 0 ]
}

@test "get: through tinyproxy with HTTP CONNECT and Basic auth" {
	web
	tinyproxy_start "BasicAuth alice s3cret"
	run --separate-stderr timeout 10 "$SKIT" get -x "http://alice:s3cret@127.0.0.1:$TP_PORT" "$WEB"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	run --separate-stderr timeout 10 "$SKIT" get -x "http://alice:x@127.0.0.1:$TP_PORT" "$WEB"
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"http proxy tcp:127.0.0.1:$TP_PORT"* ]]
}

@test "connect: ncat's --proxy, --proxy-type, --proxy-auth" {
	target
	microsocks_start -u alice -P s3cret
	run --separate-stderr timeout 10 "$SKIT" connect --proxy "127.0.0.1:$MS_PORT" \
		--proxy-type socks5 --proxy-auth alice:s3cret 127.0.0.1 "$BG_PORT" < <(echo hello; sleep 0.5)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'banner\nhello')" ]
	run --separate-stderr "$SKIT" connect --proxy-type socks5 127.0.0.1 9 </dev/null
	[ "$status" -eq 2 ]
	run --separate-stderr "$SKIT" connect --proxy 127.0.0.1 --proxy-type gopher 127.0.0.1 9 </dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"socks5, socks4 or http"* ]]
}

@test "socat's SOCKS5: and PROXY: address kinds, in connect and relay" {
	target
	microsocks_start
	through "SOCKS5:127.0.0.1:127.0.0.1:$BG_PORT,socksport=$MS_PORT"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'banner\nhello')" ]
	tinyproxy_start "BasicAuth alice s3cret"
	tport=$BG_PORT
	skit_bg relay -v tcp-listen:127.0.0.1:0,fork \
		"PROXY:127.0.0.1:127.0.0.1:$tport,proxyport=$TP_PORT,proxy-authorization=alice:s3cret"
	through "$BG_ADDR"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'banner\nhello')" ]
	run "$SKIT" resolve -n "SOCKS4A:127.0.0.1:10.0.0.1:22,socksport=9050"
	[[ "$output" == *"canonical  tcp-connect:10.0.0.1:22,proxy=socks4a://127.0.0.1:9050"* ]]
}

@test "resolve shows the proxy as what is connected to; the target's name is not looked up" {
	run --separate-stderr "$SKIT" resolve -n "tcp:name.invalid:5432,proxy=socks5://127.0.0.1:1080"
	[ "$status" -eq 0 ]
	[[ "$output" == *"tcp:127.0.0.1:1080"* ]]
	run --separate-stderr "$SKIT" resolve -n "tcp:name.invalid:5432,proxy=gopher://127.0.0.1:1"
	[ "$status" -eq 2 ]
}
