#!/usr/bin/env bats
# skit get and content codings: gzip, x-gzip, deflate (zlib-wrapped and
# bare), stacked and multi-member bodies are decoded; codings skit
# cannot decode, corrupt and cut-short data are errors that leave no
# file. Servers: tests/http_server.py (every odd case) and nginx with
# `gzip on` (a real peer), on loopback, stopped by PID.
load helpers
load get_helpers

setup_file() {
	start_test_server "$BATS_FILE_TMPDIR/ts"
	echo "$TS_PID" >"$BATS_FILE_TMPDIR/pids"
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || return 0
	local d=$BATS_FILE_TMPDIR/ngx
	mkdir -p "$d/www/gz"
	python3 -c '
import sys
for i in range(40000):
    sys.stdout.write("word %d, and the words after word %d\n" % (i * 7 % 1000, i))
' >"$d/www/gz/words.txt"
	cat >"$d/extra.conf" <<'EOF'
location /gz/ { gzip on; gzip_types *; gzip_min_length 1; }
EOF
	start_nginx "$d"
	echo "$NGX_PID" >>"$BATS_FILE_TMPDIR/pids"
}

teardown_file() {
	stop_file_pids
}

setup() {
	TS=$BATS_FILE_TMPDIR/ts
	W=$BATS_FILE_TMPDIR/ngx/www
	mkdir -p "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
}

need_nginx_up() {
	[ -n "${NGX_PORT:-}" ] || skip "needs nginx (apt-get install nginx-light)"
}

sha() { sha256sum <"$1" | cut -d' ' -f1; }

# fails CODE ROUTE TEXT: `skit get -O c.out $TS_URL/ROUTE` exits CODE
# with TEXT on stderr (and $output, $stderr set for more checks).
fails() {
	run --separate-stderr "$SKIT" get -O c.out "$TS_URL/$2"
	[ "$status" -eq "$1" ] || { echo "$2: exit $status: $stderr"; return 1; }
	[[ "$stderr" == *"$3"* ]] || { echo "$2: $stderr"; return 1; }
}

@test "get: gzip, x-gzip, deflate, bare deflate, stacked and multi-member bodies decode" {
	for r in gzip x-gzip deflate deflate-raw gzip-deflate gzip-gzip gzip-multi; do
		run --separate-stderr bash -c "'$SKIT' get -q '$TS_URL/$r' >'$r.out'"
		[ "$status" -eq 0 ] || { echo "$r: $stderr"; false; }
		[ "$(sha "$r.out")" = "$(sha "$TS/coded.bin")" ] || { echo "$r differs"; false; }
		run -0 "$SKIT" get -q -O "$r.file" "$TS_URL/$r"
		cmp "$r.file" "$TS/coded.bin"
	done
	[ "$(ls | grep -c skit-)" -eq 0 ]
}

@test "get: --compressed sends Accept-Encoding: gzip, deflate; without it none" {
	run -0 "$SKIT" get -q --compressed "$TS_URL/echo"
	[[ "$output" == *$'\r\nAccept-Encoding: gzip, deflate\r\n'* ]]
	run -0 "$SKIT" get -q "$TS_URL/echo"
	[[ "$output" != *"Accept-Encoding"* ]]
	# -H replaces it.
	run -0 "$SKIT" get -q --compressed -H 'Accept-Encoding: deflate' "$TS_URL/echo"
	[[ "$output" == *$'\r\nAccept-Encoding: deflate\r\n'* ]]
	[[ "$output" != *"gzip"* ]]
	# The server decides: gzip when asked for, the same content either way.
	run --separate-stderr bash -c "'$SKIT' get -v --compressed '$TS_URL/negotiate' >n.out"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"< Content-Encoding: gzip"* ]]
	[[ "$stderr" == *"decoding Content-Encoding gzip"* ]]
	[[ "$stderr" =~ decoded\ [0-9]+\ body\ bytes\ into\ $(stat -c %s "$TS/coded.bin") ]]
	cmp n.out "$TS/coded.bin"
}

@test "get: --compressed from nginx (gzip on) equals the file and curl --compressed" {
	need_nginx_up
	need_cmd curl
	local u=http://127.0.0.1:$NGX_PORT/gz/words.txt
	run --separate-stderr bash -c "'$SKIT' get -v --compressed '$u' >s.out"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"< Content-Encoding: gzip"* ]]
	cmp s.out "$W/gz/words.txt"
	curl -s --compressed "$u" >c.out
	cmp s.out c.out
	# Without --compressed nginx sends the file as it is.
	run --separate-stderr bash -c "'$SKIT' get -v '$u' >p.out"
	[[ "$stderr" != *"Content-Encoding"* ]]
	cmp p.out "$W/gz/words.txt"
}

@test "get: decoded bytes equal curl --compressed on the same URLs" {
	need_cmd curl
	# (curl decodes only the first member of a multi-member gzip body,
	# so /gzip-multi is left out here; it is checked against the file.)
	for r in gzip x-gzip deflate deflate-raw gzip-deflate gzip-gzip negotiate; do
		"$SKIT" get -q --compressed "$TS_URL/$r" >s.out
		curl -s --compressed "$TS_URL/$r" >c.out
		cmp s.out c.out || { echo "$r differs from curl"; false; }
	done
}

@test "get: an unsupported Content-Encoding exits 1, names it, and writes nothing" {
	run --separate-stderr "$SKIT" get "$TS_URL/br"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"skit: get $TS_URL/br: unsupported Content-Encoding 'br'"* ]]
	[[ "$stderr" == *"hint: skit decodes gzip and deflate: --compressed"* ]]
	fails 1 br "unsupported Content-Encoding 'br'"
	[ -z "$(ls -A)" ]
	# With --compressed the hint would not help: none.
	run --separate-stderr "$SKIT" get --compressed "$TS_URL/br"
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"hint:"* ]]
}

@test "get: a Transfer-Encoding other than chunked exits 1 and names it" {
	fails 1 te-gzip "get $TS_URL/te-gzip: unsupported Transfer-Encoding 'gzip'"
	[ -z "$(ls -A)" ]
	run --separate-stderr "$SKIT" get --compressed "$TS_URL/te-gzip"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "get: corrupt gzip or junk after it exits 1; cut short exits 7; no file left" {
	fails 1 gzip-corrupt "get $TS_URL/gzip-corrupt: corrupt gzip data (incorrect data check)"
	fails 1 gzip-badblock "corrupt gzip data (invalid block type)"
	fails 1 gzip-trailing "bytes after the end of the gzip data"
	# Complete framing (Content-Length), incomplete gzip data.
	fails 7 gzip-truncated "get $TS_URL/gzip-truncated: the body ended inside the gzip data"
	# Read until close: gzip notices what the framing cannot.
	fails 7 gzip-close-short "the body ended inside the gzip data"
	[ -z "$(ls -A)" ]
	# On stdout too the exit status says so.
	run "$SKIT" get -q "$TS_URL/gzip-truncated"
	[ "$status" -eq 7 ]
}

@test "get: an empty gzip body is empty content" {
	run --separate-stderr "$SKIT" get "$TS_URL/gzip-empty"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "get: -c asks for identity; a gzip-coded range is refused, the file kept" {
	head -c 1000 "$TS/coded.bin" >part
	run --separate-stderr "$SKIT" get -v -c --compressed -O part "$TS_URL/negotiate"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"> Accept-Encoding: identity"* ]]
	[[ "$stderr" == *"< HTTP/1.1 206 Partial Content"* ]]
	cmp part "$TS/coded.bin"
	# A server that codes the range anyway: refused before any write.
	head -c 1000 "$TS/coded.bin" >part
	run --separate-stderr "$SKIT" get -c -H 'Accept-Encoding: gzip' -O part "$TS_URL/negotiate"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"get $TS_URL/negotiate: the server sent a range of gzip-coded data, which cannot be decoded on its own"* ]]
	[[ "$stderr" == *"hint: remove the file (or drop -c)"* ]]
	[ "$(stat -c %s part)" -eq 1000 ]
	[ "$(ls)" = part ]
}

@test "get: -c --compressed resumes from nginx (gzip on) with an identity range" {
	need_nginx_up
	head -c 12345 "$W/gz/words.txt" >words.txt
	run --separate-stderr "$SKIT" get -S -c --compressed -O words.txt \
		"http://127.0.0.1:$NGX_PORT/gz/words.txt"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"206 Partial Content"* ]]
	cmp words.txt "$W/gz/words.txt"
}

@test "get: the progress bar counts the bytes on the wire" {
	need_cmd script
	# 104432 coded bytes (102.0 KiB) decode to 618891 (604.4 KiB).
	[ "$(stat -c %s "$TS/coded.bin")" -eq 618891 ]
	run -0 script -qec "'$SKIT' get -O p.out '$TS_URL/gzip'" /dev/null
	[[ "$output" == *"100% [====================] 102.0 KiB"* ]]
	[[ "$output" != *"604.4 KiB"* ]]
	cmp p.out "$TS/coded.bin"
}
