# tests/cli/get_helpers.bash - servers for the `skit get` tests: nginx
# from Debian (static files, redirects, Range, TLS) and the scripted
# tests/http_server.py (chunked, 1xx, cut-short, oversized, slow).
# Everything listens on loopback only, in a temporary directory, and is
# stopped by its PID.

# free_port [HOST]: print a port that was free a moment ago (nginx cannot
# listen on port 0 and report it, so the port is picked here).
free_port() {
	python3 - "${1:-127.0.0.1}" <<'EOF'
import socket, sys
h = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET)
s.bind((h, 0))
print(s.getsockname()[1])
s.close()
EOF
}

# wait_port HOST PORT: poll until something accepts on HOST:PORT (5 s).
wait_port() {
	python3 - "$1" "$2" <<'EOF'
import socket, sys, time
h, p = sys.argv[1], int(sys.argv[2])
for _ in range(200):
    try:
        socket.create_connection((h, p), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.025)
sys.exit(1)
EOF
}

have_ipv6() {
	[ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1'
}

# need_nginx: nginx is installed (scripts/deps.sh installs nginx-light).
need_nginx() {
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] ||
		skip "needs nginx (apt-get install nginx-light)"
}

# start_nginx DIR: serve DIR/www on 127.0.0.1:$NGX_PORT (and [::1]:
# $NGX_PORT6 when IPv6 works; https on $NGX_TLS_PORT when DIR/cert.pem
# and DIR/key.pem exist). Sets NGX_PID. Extra server-level directives
# can be put in DIR/extra.conf (included in every server block).
start_nginx() {
	local d=$1 user="" v6="" tls=""
	local bin
	bin=$(command -v nginx || echo /usr/sbin/nginx)
	NGX_PORT=$(free_port)
	NGX_PORT6=
	if have_ipv6; then
		NGX_PORT6=$(free_port ::1)
		v6="listen [::1]:$NGX_PORT6;"
	fi
	mkdir -p "$d/tmp" "$d/www"
	touch "$d/extra.conf"
	[ "$(id -u)" -eq 0 ] && user="user root;"
	if [ -f "$d/cert.pem" ]; then
		NGX_TLS_PORT=$(free_port)
		tls="server {
		listen 127.0.0.1:$NGX_TLS_PORT ssl;
		ssl_certificate $d/cert.pem;
		ssl_certificate_key $d/key.pem;
		root $d/www;
		include $d/extra.conf;
		location = /down { return 302 http://127.0.0.1:$NGX_PORT/one.bin; }
	}"
	fi
	cat >"$d/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 128; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type application/octet-stream;
	sendfile on;
	server {
		listen 127.0.0.1:$NGX_PORT;
		$v6
		root $d/www;
		include $d/extra.conf;
	}
	$tls
}
EOF
	"$bin" -p "$d" -e "$d/error.log" -c "$d/nginx.conf" </dev/null >"$d/nginx.out" 2>&1 &
	NGX_PID=$!
	if ! wait_port 127.0.0.1 "$NGX_PORT"; then
		cat "$d/nginx.out" "$d/error.log" >&2
		return 1
	fi
	[ -z "$NGX_TLS_PORT" ] || wait_port 127.0.0.1 "$NGX_TLS_PORT"
	export NGX_PORT NGX_PORT6 NGX_TLS_PORT NGX_PID
}

stop_pid() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# stop_file_pids: stop the servers setup_file listed, one PID or more a
# line, in $BATS_FILE_TMPDIR/pids (for teardown_file).
stop_file_pids() {
	local p
	[ -f "$BATS_FILE_TMPDIR/pids" ] || return 0
	for p in $(cat "$BATS_FILE_TMPDIR/pids"); do
		stop_pid "$p"
	done
}

# start_test_server DIR [BIND]: tests/http_server.py on BIND (default
# 127.0.0.1) port 0; sets TS_PID, TS_PORT, TS_URL (http://HOST:PORT).
start_test_server() {
	local d=$1 bind=${2:-127.0.0.1} i addr
	mkdir -p "$d"
	python3 "$SKIT_SRC/tests/http_server.py" --bind "$bind" --dump "$d" \
		>"$d/ts.out" 2>"$d/ts.err" </dev/null &
	TS_PID=$!
	for i in $(seq 1 200); do
		addr=$(sed -n 's/.*listening on tcp:\(.*\)$/\1/p' "$d/ts.err" | head -1)
		if [ -n "$addr" ]; then
			TS_PORT=${addr##*:}
			TS_URL="http://$addr"
			export TS_PID TS_PORT TS_URL
			return 0
		fi
		sleep 0.025
	done
	cat "$d/ts.err" >&2
	return 1
}

# make_ca DIR: a CA and a server certificate for 127.0.0.1, ::1 and
# skit.test, signed by it: DIR/ca.pem, DIR/cert.pem, DIR/key.pem.
make_ca() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
		-subj "/CN=skit test CA" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/key.pem" -out "$d/req.csr" -subj "/CN=skit.test" \
		2>/dev/null || return 1
	printf 'subjectAltName=DNS:skit.test,IP:127.0.0.1,IP:::1\n' >"$d/ext.cnf"
	openssl x509 -req -in "$d/req.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/cert.pem" -days 2 -extfile "$d/ext.cnf" \
		2>/dev/null
}
