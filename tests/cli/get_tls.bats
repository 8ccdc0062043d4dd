#!/usr/bin/env bats
# skit get over HTTPS: nginx with a certificate from a CA made here with
# openssl, on loopback. Verification on by default, --ca-file,
# --insecure, host name checks, the https->http downgrade rule.
load helpers
load get_helpers
load proxy_helpers

setup_file() {
	if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
		echo nginx >"$BATS_FILE_TMPDIR/no-nginx"
		return 0
	fi
	local d=$BATS_FILE_TMPDIR/ngx
	mkdir -p "$d/www"
	printf 'x' >"$d/www/one.bin"
	head -c $((2 * 1024 * 1024)) /dev/urandom >"$d/www/two.bin"
	make_ca "$d"
	start_nginx "$d"
	echo "$NGX_PID" >"$BATS_FILE_TMPDIR/pids"
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/pids" ] && stop_pid "$(cat "$BATS_FILE_TMPDIR/pids")"
	return 0
}

teardown() {
	proxies_stop
}

setup() {
	[ ! -f "$BATS_FILE_TMPDIR/no-nginx" ] || skip "needs nginx"
	D=$BATS_FILE_TMPDIR/ngx
	CA=$D/ca.pem
	S=https://127.0.0.1:$NGX_TLS_PORT
	mkdir -p "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
}

sha() { sha256sum <"$1" | cut -d' ' -f1; }

@test "get tls: verification passes with --ca-file" {
	run -0 bash -c "'$SKIT' get -q --ca-file '$CA' '$S/two.bin' >two.out"
	[ "$(sha two.out)" = "$(sha "$D/www/two.bin")" ]
	run -0 "$SKIT" get -q --ca-file "$CA" -O one.out "$S/one.bin"
	[ "$(cat one.out)" = x ]
}

@test "get tls: TLS inside a tunnel through HTTP CONNECT (tinyproxy) and SOCKS5 (microsocks)" {
	tinyproxy_start
	run --separate-stderr bash -c "'$SKIT' get -q --ca-file '$CA' -x http://127.0.0.1:$TP_PORT '$S/two.bin' >two.out"
	[ "$status" -eq 0 ]
	[ "$(sha two.out)" = "$(sha "$D/www/two.bin")" ]
	microsocks_start
	run --separate-stderr bash -c "https_proxy=socks5://127.0.0.1:$MS_PORT '$SKIT' get -q --ca-file '$CA' '$S/one.bin'"
	[ "$status" -eq 0 ]
	[ "$output" = x ]
}

@test "get tls: an unknown CA fails with exit 8, a clear message, no file" {
	run --separate-stderr "$SKIT" get -O out.bin "$S/one.bin"
	[ "$status" -eq 8 ]
	[[ "$stderr" == *"certificate verify failed"* ]]
	[[ "$stderr" == *"--ca-file"* ]]
	[ -z "$(ls -A)" ]
}

@test "get tls: a wrong host name fails with exit 8" {
	# The certificate is for skit.test, 127.0.0.1 and ::1, not localhost.
	run --separate-stderr "$SKIT" get -4 --ca-file "$CA" "https://localhost:$NGX_TLS_PORT/one.bin"
	[ "$status" -eq 8 ]
	[[ "$stderr" == *"host name mismatch"* ]]
	[[ "$stderr" == *"not for 'localhost'"* ]]
}

@test "get tls: --insecure passes with a warning" {
	run --separate-stderr "$SKIT" get --insecure "$S/one.bin"
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	[[ "$stderr" == *"warning: --insecure"* ]]
	[[ "$stderr" == *"not verified"* ]]
}

@test "get tls: -v shows the TLS version, cipher and certificate" {
	run --separate-stderr "$SKIT" get -v --ca-file "$CA" "$S/one.bin"
	[ "$status" -eq 0 ]
	[[ "$stderr" =~ TLS\ TLSv1\.[23],\ cipher ]]
	[[ "$stderr" == *"certificate subject /CN=skit.test"* ]]
	[[ "$stderr" == *"certificate issuer /CN=skit test CA"* ]]
	[[ "$stderr" == *"certificate verified"* ]]
	[[ "$stderr" =~ connected\ tcp:127\.0\.0\.1:[0-9]+\ -\>\ tcp:127\.0\.0\.1:$NGX_TLS_PORT ]]
}

@test "get tls: https to http redirects are refused unless allowed" {
	run --separate-stderr "$SKIT" get --ca-file "$CA" "$S/down"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"refusing to follow https to http"* ]]
	run -0 "$SKIT" get -q --allow-downgrade --ca-file "$CA" "$S/down"
	[ "$output" = x ]
}

@test "get tls: TLS to a plain HTTP port fails with exit 8" {
	run --separate-stderr "$SKIT" get --ca-file "$CA" "https://127.0.0.1:$NGX_PORT/one.bin"
	[ "$status" -eq 8 ]
	[[ "$stderr" == *"TLS handshake"* ]]
}

@test "get tls: a CA file that does not exist is a TLS error (exit 8)" {
	run --separate-stderr "$SKIT" get --ca-file "$BATS_TEST_TMPDIR/none.pem" "$S/one.bin"
	[ "$status" -eq 8 ]
	[[ "$stderr" == *"none.pem"* ]]
}

@test "get tls: output equals curl and wget with the same CA" {
	need_cmd curl
	need_cmd wget
	"$SKIT" get -q --ca-file "$CA" "$S/two.bin" >s.out
	curl -s --cacert "$CA" "$S/two.bin" >c.out
	wget -q --ca-certificate="$CA" -O w.out "$S/two.bin"
	cmp s.out c.out
	cmp s.out w.out
	[ "$(sha s.out)" = "$(sha "$D/www/two.bin")" ]
}
