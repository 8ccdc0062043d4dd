# tests/cli/proxy_helpers.bash - real proxies for the proxy tests:
# microsocks (SOCKS5) and tinyproxy (HTTP CONNECT), on 127.0.0.1 at a
# port picked free just before (neither can listen on port 0 and say
# which). Load after helpers and get_helpers (free_port, wait_port);
# call proxies_stop from teardown.

# microsocks_start [ARGS]: sets MS_PORT.
microsocks_start() {
	need_cmd microsocks
	MS_PORT=$(free_port)
	microsocks -i 127.0.0.1 -p "$MS_PORT" "$@" >"$BATS_TEST_TMPDIR/ms.log" 2>&1 &
	PROXY_PIDS="${PROXY_PIDS:-} $!"
	wait_port 127.0.0.1 "$MS_PORT"
}

# tinyproxy_start [CONFIG_LINE]: sets TP_PORT.
tinyproxy_start() {
	need_cmd tinyproxy
	TP_PORT=$(free_port)
	cat >"$BATS_TEST_TMPDIR/tp.conf" <<EOT
Port $TP_PORT
Listen 127.0.0.1
Timeout 10
MaxClients 20
Allow 127.0.0.1
LogLevel Error
${1:-}
EOT
	tinyproxy -d -c "$BATS_TEST_TMPDIR/tp.conf" >"$BATS_TEST_TMPDIR/tp.log" 2>&1 &
	PROXY_PIDS="${PROXY_PIDS:-} $!"
	wait_port 127.0.0.1 "$TP_PORT"
}

proxies_stop() {
	local p
	for p in ${PROXY_PIDS:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	PROXY_PIDS=
}
