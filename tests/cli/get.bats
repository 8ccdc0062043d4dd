#!/usr/bin/env bats
# skit get over plain HTTP: nginx (static files, redirects, Range) and
# tests/http_server.py (chunked, 1xx, cut short, oversized, slow), all on
# loopback, started here and stopped by PID.
load helpers
load get_helpers

setup_file() {
	need_nginx_file || return 0
	local d=$BATS_FILE_TMPDIR/ngx
	mkdir -p "$d/www/sub"
	: >"$d/www/empty.bin"
	printf 'x' >"$d/www/one.bin"
	head -c $((10 * 1024 * 1024)) /dev/urandom >"$d/www/big.bin"
	cat >"$d/extra.conf" <<'EOF'
location = /r301 { return 301 /r302; }
location = /r302 { return 302 http://127.0.0.1:$server_port/sub/r307; }
location = /sub/r307 { return 307 r308; }
location = /sub/r308 { return 308 ../one.bin; }
location = /loop1 { return 302 /loop2; }
location = /loop2 { return 302 loop1; }
EOF
	start_nginx "$d"
	start_test_server "$BATS_FILE_TMPDIR/ts"
	echo "$NGX_PID $TS_PID" >"$BATS_FILE_TMPDIR/pids"
}

# setup_file cannot skip: remember why and skip each test.
need_nginx_file() {
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || {
		echo nginx >"$BATS_FILE_TMPDIR/no-nginx"
		return 1
	}
}

teardown_file() {
	stop_file_pids
}

setup() {
	[ ! -f "$BATS_FILE_TMPDIR/no-nginx" ] || skip "needs nginx"
	W=$BATS_FILE_TMPDIR/ngx/www
	TS=$BATS_FILE_TMPDIR/ts
	U=http://127.0.0.1:$NGX_PORT
	# bats keeps its own files in BATS_TEST_TMPDIR: work one level down
	# so "no file left behind" can be checked with ls.
	mkdir -p "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
}

sha() { sha256sum <"$1" | cut -d' ' -f1; }

@test "get: 0 B, 1 B and 10 MiB files arrive intact on stdout" {
	for f in empty.bin one.bin big.bin; do
		run -0 bash -c "'$SKIT' get -q '$U/$f' >'$f.out'"
		[ "$(sha "$f.out")" = "$(sha "$W/$f")" ]
	done
}

@test "get: -O FILE writes the file; --remote-name names it from the URL" {
	run -0 "$SKIT" get -q -O out.bin "$U/big.bin"
	[ "$(sha out.bin)" = "$(sha "$W/big.bin")" ]
	run -0 "$SKIT" get -q -O empty.out "$U/empty.bin"
	[ -f empty.out ] && [ ! -s empty.out ]
	mkdir rn && cd rn
	run -0 "$SKIT" get -q --remote-name "$U/one.bin?x=1"
	[ "$(cat one.bin)" = x ]
	[ "$(ls)" = one.bin ]
}

@test "get: -O onto a device, a FIFO or a symbolic link writes through it, never replaces it" {
	# curl -o /dev/null: a temporary file renamed over the target
	# would put a regular file where the device was.
	mkfifo fifo
	timeout 10 cat fifo >from-fifo &
	p=$!
	run -0 timeout 10 "$SKIT" get -q -O fifo "$U/one.bin"
	wait "$p"
	[ -p fifo ] && [ "$(cat from-fifo)" = x ]
	echo old >real && ln -s real link
	run -0 "$SKIT" get -q -O link "$U/one.bin"
	[ -L link ] && [ "$(cat real)" = x ]
	[ "$(ls | grep -c skit-)" -eq 0 ]
	if [ "$(id -u)" -eq 0 ]; then
		mknod null c 1 3 # a /dev/null of our own
		run -0 "$SKIT" get -q -O null "$U/big.bin"
		[ -c null ]
	fi
}

@test "get: output equals curl -s and wget -qO- byte for byte" {
	need_cmd curl
	need_cmd wget
	for url in "$U/big.bin" "$U/one.bin" "$TS_URL/chunked" "$TS_URL/close" \
		"$TS_URL/continue" "$U/r301"; do
		"$SKIT" get -q "$url" >s.out
		curl -sL "$url" >c.out
		wget -qO- "$url" >w.out
		cmp s.out c.out
		cmp s.out w.out
		[ -s s.out ]
	done
}

@test "get: 301/302/307/308 chain with relative Locations is followed" {
	run --separate-stderr "$SKIT" get -S "$U/r301"
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	for code in 301 302 307 308 200; do
		[[ "$stderr" == *"HTTP/1.1 $code"* ]] || { echo "$stderr"; false; }
	done
}

@test "get: --max-redirect limits the chain (exit 1)" {
	run --separate-stderr "$SKIT" get --max-redirect 2 -O out "$U/r301"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"more than 2 redirects"* ]]
	[ ! -e out ]
	run --separate-stderr "$SKIT" get --max-redirect 0 "$U/r301"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"more than 0 redirects"* ]]
	run -0 "$SKIT" get --max-redirect 4 "$U/r301"
	[ "$output" = x ]
}

@test "get: a redirect loop is detected (exit 1)" {
	run --separate-stderr "$SKIT" get "$U/loop1"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"redirect loop"* ]]
	run --separate-stderr "$SKIT" get "$TS_URL/bad-location"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad Location 'ftp://elsewhere/x': unsupported scheme"* ]]
}

@test "get: 404 exits 1 with the status and leaves no file" {
	run --separate-stderr "$SKIT" get -O out.bin "$U/nope.bin"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"server said 404 Not Found"* ]]
	[ -z "$(ls)" ]
}

@test "get: -c resumes a truncated file with Range (206) and checks it" {
	cp "$W/big.bin" part.bin
	truncate -s 3000001 part.bin
	run --separate-stderr "$SKIT" get -c -S -O part.bin "$U/big.bin"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"206 Partial Content"* ]]
	[[ "$stderr" == *"Content-Range: bytes 3000001-"* ]]
	[ "$(sha part.bin)" = "$(sha "$W/big.bin")" ]
	# Complete already: the server says 416, nothing changes.
	run --separate-stderr "$SKIT" get -c -O part.bin "$U/big.bin"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"already complete"* ]]
	[ "$(sha part.bin)" = "$(sha "$W/big.bin")" ]
	# -c needs a file.
	run "$SKIT" get -c -O - "$U/big.bin"
	[ "$status" -eq 2 ]
}

@test "get: chunked body with odd chunk sizes, extensions and trailers" {
	run --separate-stderr bash -c "'$SKIT' get -S '$TS_URL/chunked' >ch.out"
	[ "$status" -eq 0 ]
	[ "$(sha ch.out)" = "$(sha "$TS/chunked.bin")" ]
	[[ "$stderr" == *"Transfer-Encoding: chunked"* ]]
	[[ "$stderr" == *"X-Checksum: 12345"* ]]
	[[ "$stderr" == *"X-Other: two"* ]]
}

@test "get: 1xx interim responses are skipped" {
	run --separate-stderr "$SKIT" get -S "$TS_URL/continue"
	[ "$status" -eq 0 ]
	[ "$output" = final ]
	[[ "$stderr" == *"HTTP/1.1 100 Continue"* ]]
	[[ "$stderr" == *"HTTP/1.1 103 Early Hints"* ]]
}

@test "get: body read until close, and bare-LF heads" {
	run -0 bash -c "'$SKIT' get -q '$TS_URL/close' >cl.out"
	[ "$(sha cl.out)" = "$(sha "$TS/close.bin")" ]
	run -0 "$SKIT" get -q "$TS_URL/lf"
	[ "$output" = lf ]
}

@test "get: a body cut short exits 7 and leaves no file behind" {
	run --separate-stderr "$SKIT" get -O short.bin "$TS_URL/short"
	[ "$status" -eq 7 ]
	[[ "$stderr" == *"connection closed after 5000 of 100000 body bytes"* ]]
	[ -z "$(ls -A)" ]
	run --separate-stderr "$SKIT" get -O short.bin "$TS_URL/chunked-short"
	[ "$status" -eq 7 ]
	[[ "$stderr" == *"chunked body"* ]]
	[ -z "$(ls -A)" ]
}

@test "get: bad chunked framing is an error (exit 1)" {
	run --separate-stderr "$SKIT" get -O bad.bin "$TS_URL/badframe"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad chunk size"* ]]
	[ -z "$(ls -A)" ]
}

@test "get: oversized heads and too many fields hit the limits" {
	run --separate-stderr "$SKIT" get "$TS_URL/bighead"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"response head longer than 65536 bytes"* ]]
	[[ "$stderr" == *"hint: --max-head"* ]]
	run -0 "$SKIT" get -q --max-head 200k "$TS_URL/bighead"
	[ "$output" = x ]
	run --separate-stderr "$SKIT" get "$TS_URL/manyheaders"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"more than 100 header fields"* ]]
}

@test "get: --timeout fires on a silent server (exit 5), no file left" {
	run --separate-stderr "$SKIT" get --timeout 0.3 "$TS_URL/slowhead"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"read $TS_URL/slowhead: no data for 300 ms"* ]]
	run --separate-stderr "$SKIT" get --timeout 0.3 -O slow.bin "$TS_URL/slowbody"
	[ "$status" -eq 5 ]
	[ -z "$(ls -A)" ]
}

@test "get: 204, 304 and HEAD have no body (no wait for one)" {
	# The server keeps these connections open: reading a body would
	# end in the time-out (exit 5) instead of success.
	run -0 "$SKIT" get --timeout 5 -q "$TS_URL/nocontent"
	[ -z "$output" ]
	run -0 "$SKIT" get --timeout 5 -q "$TS_URL/notmodified"
	[ -z "$output" ]
	run -0 "$SKIT" get --timeout 5 --head "$TS_URL/headonly"
	[[ "$output" == *"HTTP/1.1 200 OK"* ]]
	[[ "$output" == *"Content-Length: 12345"* ]]
	run -0 "$SKIT" get --timeout 5 -X HEAD -q "$TS_URL/headonly"
	[ -z "$output" ]
	run -0 bash -c "'$SKIT' get -q '$TS_URL/headonly' > h.out"
	[ "$(sha h.out)" = "$(sha "$TS/headonly.bin")" ]
}

@test "get: request methods, headers, data and the default User-Agent" {
	run -0 "$SKIT" get -q "$TS_URL/echo"
	[[ "$output" == "GET /echo HTTP/1.1"* ]]
	[[ "$output" == *"User-Agent: skit/"* ]]
	[[ "$output" == *"Host: 127.0.0.1:$TS_PORT"* ]]
	run -0 "$SKIT" get -q -H 'X-One: 1' -H 'X-Two: 2' -H 'Accept:' \
		-A 'ua/9' "$TS_URL/echo"
	[[ "$output" == *"X-One: 1"* ]]
	[[ "$output" == *"X-Two: 2"* ]]
	[[ "$output" == *"User-Agent: ua/9"* ]]
	[[ "$output" != *"Accept:"* ]]
	run -0 "$SKIT" get -q -d 'a=1&b=2' "$TS_URL/echo"
	[[ "$output" == "POST /echo HTTP/1.1"* ]]
	[[ "$output" == *"Content-Length: 7"* ]]
	[[ "$output" == *"a=1&b=2" ]]
	printf 'file\nbody' >body.txt
	run -0 "$SKIT" get -q -X PUT --data-file body.txt -H 'Content-Type: text/plain' "$TS_URL/echo"
	[[ "$output" == "PUT /echo HTTP/1.1"* ]]
	[[ "$output" == *"Content-Type: text/plain"* ]]
	[[ "$output" == *$'file\nbody' ]]
	# 303 after a POST becomes a GET; 307 keeps the method and body.
	run -0 "$SKIT" get -q -d x=1 "$TS_URL/post-redirect"
	[[ "$output" == "GET /echo HTTP/1.1"* ]]
	run -0 "$SKIT" get -q -d x=1 "$TS_URL/redirect-307"
	[[ "$output" == "POST /echo HTTP/1.1"* ]]
	[[ "$output" == *"x=1" ]]
	# A header with a line break is refused before anything is sent.
	run "$SKIT" get -H $'X: 1\r\nY: 2' "$TS_URL/echo"
	[ "$status" -eq 2 ]
}

@test "get: --retry retries 5xx with backoff, then succeeds or gives up" {
	run --separate-stderr "$SKIT" get --retry 3 --retry-delay 10ms "$TS_URL/flaky?2"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ "$(grep -c '; retry [0-9] of [0-9] in ' <<<"$stderr")" -eq 2 ]
	run --separate-stderr "$SKIT" get "$TS_URL/flaky?1&b"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"503 Service Unavailable"* ]]
	run "$SKIT" get -q --retry 2 --retry-delay 10ms "$TS_URL/status500"
	[ "$status" -eq 1 ]
	run -0 "$SKIT" get -q "$TS_URL/count?status500"
	[ "$output" = 3 ]
}

@test "get: connection refused exits 4 (also after retries)" {
	port=$(free_port)
	run --separate-stderr "$SKIT" get "http://127.0.0.1:$port/"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"connect tcp:127.0.0.1:$port: Connection refused"* ]]
	run --separate-stderr "$SKIT" get --retry 2 --retry-delay 10ms "http://127.0.0.1:$port/"
	[ "$status" -eq 4 ]
	[ "$(grep -c '; retry [0-9] of [0-9] in ' <<<"$stderr")" -eq 2 ]
}

@test "get: a name that does not resolve exits 3" {
	need_root
	need_cmd unshare
	# In an empty network namespace no lookup can leave the machine.
	run --separate-stderr unshare -n "$SKIT" get http://skit-nonexistent.invalid/
	[ "$status" -eq 3 ]
}

@test "get: URLs with userinfo or other schemes are usage errors" {
	run --separate-stderr "$SKIT" get "http://user:pw@127.0.0.1:$NGX_PORT/"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"user names and passwords in URLs are not supported"* ]]
	[[ "$stderr" == *"^"* ]]
	run "$SKIT" get "ftp://127.0.0.1/"
	[ "$status" -eq 2 ]
	run "$SKIT" get "http://127.0.0.1:99999/"
	[ "$status" -eq 2 ]
	run "$SKIT" get
	[ "$status" -eq 2 ]
}

@test "get: options may follow the URL, as with curl and wget" {
	cd "$BATS_TEST_TMPDIR"
	run -0 "$SKIT" get "$U/one.bin" -q -O after.bin
	[ "$(cat after.bin)" = x ]
}

@test "get: IPv6 literal URLs against nginx on [::1]" {
	have_ipv6 || skip "needs IPv6 on loopback"
	[ -n "$NGX_PORT6" ] || skip "nginx has no IPv6 listener"
	run -0 bash -c "'$SKIT' get -q 'http://[::1]:$NGX_PORT6/big.bin' >v6.out"
	[ "$(sha v6.out)" = "$(sha "$W/big.bin")" ]
	run --separate-stderr "$SKIT" get -v -6 "http://[::1]:$NGX_PORT6/one.bin"
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	[[ "$stderr" == *"-> tcp:[::1]:$NGX_PORT6"* ]]
	run "$SKIT" get -4 "http://[::1]:$NGX_PORT6/one.bin"
	[ "$status" -ne 0 ]
}

@test "get: -v shows the 5-tuple and the exchange on stderr only" {
	run --separate-stderr "$SKIT" get -v "$U/one.bin"
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	[[ "$stderr" =~ connected\ tcp:127\.0\.0\.1:[0-9]+\ -\>\ tcp:127\.0\.0\.1:$NGX_PORT ]]
	[[ "$stderr" == *"> GET /one.bin HTTP/1.1"* ]]
	[[ "$stderr" == *"< HTTP/1.1 200 OK"* ]]
}

@test "get: --help lists every option; docs/get.md documents them" {
	run -0 "$SKIT" get --help
	[[ "$output" == *"usage: skit get"* ]]
	for o in $(grep -o -- '--[a-z0-9-]*' <<<"$output" | sort -u); do
		grep -q -- "$o" "$SKIT_SRC/docs/get.md" || {
			echo "docs/get.md lacks $o"
			false
		}
	done
}

@test "get: on a terminal: progress bar on stderr, saves to the URL's name" {
	need_cmd script
	# script(1) gives skit a terminal for stdout and stderr.
	run -0 script -qec "'$SKIT' get '$U/big.bin'" /dev/null
	[[ "$output" == *"stdout is a terminal: saving to 'big.bin'"* ]]
	[[ "$output" == *"100% [====================]"* ]]
	[[ "$output" == *"10.0 MiB"* ]]
	[ "$(sha big.bin)" = "$(sha "$W/big.bin")" ]
	# -q: no bar; stderr not a terminal: no bar either.
	run -0 script -qec "'$SKIT' get -q -O q.bin '$U/big.bin'" /dev/null
	[[ "$output" != *"100%"* ]]
	run --separate-stderr "$SKIT" get -O n.bin "$U/big.bin"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

# What a terminal shows of $output: each "\r" goes back to the start of
# the line and the text after it overwrites (trailing blanks dropped).
screen() {
	python3 -c '
import sys
for line in sys.stdin.read().replace("\r\n", "\n").split("\n"):
    cells = []
    for part in line.split("\r"):
        cells[:len(part)] = part
    print("".join(cells).rstrip())
' <<<"$output"
}

@test "get: the last progress line is wget's, with no residue and a real rate" {
	need_cmd script
	need_cmd python3
	run -0 script -qec "'$SKIT' get -O big.out '$U/big.bin'" /dev/null
	last=$(screen | grep -v '^$' | tail -1)
	echo "$last"
	[[ "$last" =~ ^100%\ \[=+\]\ 10\.0\ MiB\ \ [0-9.]+\ [KMG]?i?B/s\ \ \'big\.out\'\ saved\ \[10485760/10485760\]$ ]]
	# A 1-byte file: a rate that is not 0 B/s.
	run -0 script -qec "'$SKIT' get -O one.out '$U/one.bin'" /dev/null
	last=$(screen | grep -v '^$' | tail -1)
	echo "$last"
	[[ "$last" == *"'one.out' saved [1/1]" ]]
	[[ "$last" != *" 0 B/s"* ]]
	[[ "$last" =~ \ [0-9.]+\ [KMG]?i?B/s ]]
	# To stdout (redirected, stderr a terminal): written to stdout.
	run -0 script -qec "'$SKIT' get '$U/one.bin' >one.2" /dev/null
	[[ "$(screen | grep -v '^$' | tail -1)" == *"written to stdout [1/1]" ]]
}

@test "get: a name skit picks never replaces a file: NAME.1, NAME.2 as wget" {
	need_cmd script
	echo mine >one.bin
	run -0 script -qec "'$SKIT' get '$U/one.bin'" /dev/null
	[[ "$output" == *"'one.bin' exists: saving to 'one.bin.1'"* ]]
	[ "$(cat one.bin)" = mine ]
	[ "$(cat one.bin.1)" = x ]
	run --separate-stderr "$SKIT" get --remote-name "$U/one.bin"
	[ "$status" -eq 0 ]
	[ "$stderr" = "skit: 'one.bin' exists: saving to 'one.bin.2'" ]
	[ "$(cat one.bin.2)" = x ]
	run -0 "$SKIT" get -q --remote-name "$U/one.bin"
	[ "$(cat one.bin.3)" = x ]
	[ "$(cat one.bin)" = mine ]
	# -O FILE is the user's choice: replaced, as wget -O and curl -o do.
	run -0 "$SKIT" get -q -O one.bin "$U/one.bin"
	[ "$(cat one.bin)" = x ]
	# -c resumes the file of that name, not a new one.
	head -c 1000 "$W/big.bin" >big.bin
	run -0 "$SKIT" get -q -c --remote-name "$U/big.bin"
	[ "$(sha big.bin)" = "$(sha "$W/big.bin")" ]
	[ ! -e big.bin.1 ]
}

@test "get: --connect-timeout gives up on a listener that never accepts (exit 5)" {
	# A listener with a full accept queue drops new SYNs, so the
	# connection attempt hangs until the time-out.
	python3 - "$BATS_TEST_TMPDIR/port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
held = []
for _ in range(3):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(s.getsockname())
    except BlockingIOError:
        pass
    held.append(c)
time.sleep(0.2)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(30)
PY
	pid=$!
	for i in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/port" ] && break
		sleep 0.05
	done
	port=$(cat "$BATS_TEST_TMPDIR/port")
	run --separate-stderr "$SKIT" get --connect-timeout 0.3 "http://127.0.0.1:$port/"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"hint: raise --connect-timeout"* ]]
}

@test "get: a bad duration names its option, whichever way it was written" {
	run -2 "$SKIT" get --timeout 5x "http://127.0.0.1:1/"
	[[ "$output" == *"--timeout: '5x' is not a duration"* ]]
	run -2 "$SKIT" get --connect-timeout=x "http://127.0.0.1:1/"
	[[ "$output" == *"--connect-timeout: 'x' is not a duration"* ]]
	run -2 "$SKIT" get --retry-delay 1y "http://127.0.0.1:1/"
	[[ "$output" == *"--retry-delay: '1y' is not a duration"* ]]
}
