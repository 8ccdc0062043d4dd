#!/usr/bin/env bats
# TLS on stream addresses (docs/tls.md): skit connect and skit listen
# against real peers (openssl s_server/s_client, nginx, curl, socat,
# ncat, stunnel4) with certificates made here: a CA, a server certificate
# for localhost/127.0.0.1/::1, an expired one, a wrong-name one, a
# self-signed one, a client certificate. Every hostile case exits 8
# naming the reason; a peer that closes without close_notify is data cut
# short (exit 7).
load helpers
load tls_helpers
load get_helpers
load proxy_helpers

setup_file() {
	make_certs "$BATS_FILE_TMPDIR"
}

setup() {
	C=$BATS_FILE_TMPDIR
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	bg_cleanup
	proxies_stop
}

@test "tls connect: openssl s_server, verified with ca=, -v reports the session" {
	S_IN=<(printf 'from-server\n'; sleep 2) s_server -cert "$C/srv.pem" -key "$C/srv.key"
	run --separate-stderr timeout 10 "$SKIT" connect -v \
		"tls:127.0.0.1:$SRV_PORT,ca=$C/ca.pem" <<<"from-client"
	[ "$output" = from-server ]
	[[ "$stderr" == *"TLS: TLSv1.3, TLS_"* ]]
	[[ "$stderr" == *"subject /CN=localhost"* ]]
	[[ "$stderr" == *"issuer /CN=skit test CA"* ]]
	[[ "$stderr" == *"names DNS:localhost, IP:127.0.0.1, IP:::1"* ]]
	fp=$(openssl x509 -in "$C/srv.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
	[[ "$stderr" == *"SHA-256 $fp"* ]]
	[[ "$stderr" == *"verified"* ]]
	wait_exit "$SRV_PID" 10
	grep -q from-client "$BATS_TEST_TMPDIR/s_server.out"
}

# fails_with CERT KEY ADDRESS-SUFFIX REASON: connect to s_server with that
# certificate; exit 8 and REASON in the message.
fails_with() {
	s_server -cert "$C/$1.pem" -key "$C/$1.key"
	run --separate-stderr timeout 10 "$SKIT" connect "tls:127.0.0.1:$SRV_PORT$2" </dev/null
	echo "status $status: $stderr"
	[ "$status" -eq 8 ]
	[[ "$stderr" == "skit: TLS handshake with server tcp:127.0.0.1:$SRV_PORT: "*"$3"* ]]
}

@test "tls connect: untrusted CA (the system store) is exit 8" {
	fails_with srv "" "unable to get local issuer certificate"
	[[ "$stderr" == *"hint: "*"ca=FILE"* ]]
}

@test "tls connect: a certificate for another name is exit 8, naming its names" {
	fails_with wrong ",ca=$C/ca.pem" "host name mismatch: cert is for DNS:a.test"
}

@test "tls connect: an expired certificate is exit 8" {
	fails_with exp ",ca=$C/ca.pem" "certificate has expired"
}

@test "tls connect: a self-signed certificate is exit 8" {
	fails_with self ",ca=$C/ca.pem" "self-signed certificate"
}

@test "tls connect: a CA that did not sign the certificate is exit 8" {
	fails_with srv ",ca=$C/other.pem" "unable to get local issuer certificate"
}

@test "tls connect: verify=0 connects anyway and warns" {
	S_IN=<(printf 'hi\n'; sleep 2) s_server -cert "$C/self.pem" -key "$C/self.key"
	run --separate-stderr timeout 10 "$SKIT" connect "tls:127.0.0.1:$SRV_PORT,verify=0" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	[[ "$stderr" == *"warning: TLS certificate verification is off"* ]]
}

@test "tls connect: a peer that closes without close_notify is data cut short (exit 7)" {
	python3 - "$C" >"$BATS_TEST_TMPDIR/port" <<'PY' &
import socket, ssl, sys
d = sys.argv[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(d + "/srv.pem", d + "/srv.key")
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
print(ls.getsockname()[1], flush=True)
ls.settimeout(20)
c, _ = ls.accept()
s = ctx.wrap_socket(c, server_side=True)
s.sendall(b"part\n")
# no unwrap(): TCP ends without close_notify (a raw shutdown), and what
# the client sends is read to its end, so nothing resets the connection
s.shutdown(socket.SHUT_WR)
c.settimeout(10)
while c.recv(4096):
    pass
c.close()
PY
	BG_PIDS="${BG_PIDS:-} $!"
	for i in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.05; done
	run --separate-stderr timeout 10 "$SKIT" connect --recv-only \
		"tls:127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port"),ca=$C/ca.pem" </dev/null
	echo "status $status: $stderr"
	[ "$status" -eq 7 ]
	[ "$output" = part ]
	[[ "$stderr" == *"without close_notify"* ]]
}

@test "tls listen: ephemeral certificate, fingerprint under -v, s_client sees it" {
	# stdin stays open a while: an early close_notify of ours would make
	# s_client quit before it sends
	"$SKIT" listen -v tls-listen:127.0.0.1:0 < <(sleep 3) >l.out 2>l.err &
	lp=$!
	BG_PIDS="${BG_PIDS:-} $lp"
	for i in $(seq 1 200); do grep -q "listening on" l.err && break; sleep 0.05; done
	p=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' l.err)
	grep -q "ephemeral self-signed certificate" l.err
	fp=$(sed -n 's/.*SHA-256 fingerprint \([0-9A-F:]*\).*/\1/p' l.err)
	[ -n "$fp" ]
	# s_client sends "hello" and prints the certificate it got
	(echo hello; sleep 0.5) | timeout 10 openssl s_client \
		-connect "127.0.0.1:$p" >s_client.out 2>/dev/null || true
	run openssl x509 -in s_client.out -noout -fingerprint -sha256
	[ "${output#*=}" = "$fp" ]
	wait_exit "$lp" 10
	[ "$WAIT_RC" -eq 0 ]
	grep -q hello l.out
}

@test "tls listen and connect: both ends skit, data both ways, close_notify both ways" {
	skit_bg listen -v "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key"
	run --separate-stderr timeout 10 "$SKIT" connect -v "tls:127.0.0.1:$BG_PORT,ca=$C/ca.pem" <<<"up"
	[ "$status" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BG_OUT")" = up ]
	grep -q "TLS: TLSv1.3" "$BG_ERR"
}

@test "tls listen: client-ca= requires a client certificate (mutual TLS)" {
	skit_bg listen -v "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key,client-ca=$C/ca.pem"
	run --separate-stderr timeout 10 "$SKIT" connect "tls:127.0.0.1:$BG_PORT,ca=$C/ca.pem" <<<"x"
	echo "client: $status $stderr"
	[ "$status" -eq 8 ] || [ "$status" -eq 7 ]
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 8 ]
	grep -q "TLS handshake with client tcp:127.0.0.1:.*certificate" "$BG_ERR"
	skit_bg listen -v "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key,client-ca=$C/ca.pem"
	run --separate-stderr timeout 10 "$SKIT" connect \
		"tls:localhost:$BG_PORT,ca=$C/ca.pem,cert=$C/cli.pem,key=$C/cli.key" <<<"mtls"
	[ "$status" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BG_OUT")" = mtls ]
	grep -q "subject /CN=client" "$BG_ERR"
}

@test "tls listen --exec: curl gets an HTTP answer over TLS" {
	need_cmd curl
	# the child reads the request before it answers and exits
	skit_bg listen -v -k --sh-exec 'sed -n "/^\r\$/q"; printf "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhi\n"' \
		"tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key"
	run timeout 10 curl -sS --cacert "$C/ca.pem" "https://127.0.0.1:$BG_PORT/"
	echo "curl: $status $output"; cat "$BG_ERR"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run timeout 10 curl -sS --cacert "$C/ca.pem" "https://localhost:$BG_PORT/"
	[ "$output" = hi ]
}

@test "tls: socat's OPENSSL-LISTEN/OPENSSL and ncat's --ssl flags, verbatim" {
	need_cmd socat
	skit_bg listen -v "OPENSSL-LISTEN:0,bind=127.0.0.1,certificate=$C/srv.pem,key=$C/srv.key"
	run timeout 10 socat - "OPENSSL:127.0.0.1:$BG_PORT,cafile=$C/ca.pem" <<<"via-socat"
	echo "socat: $status $output"
	[ "$status" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = via-socat ]
	need_cmd ncat
	skit_bg listen -v --ssl --ssl-cert "$C/srv.pem" --ssl-key "$C/srv.key" 127.0.0.1 0
	# ncat checks DNS names only (not IP SANs): localhost, over IPv4
	run timeout 10 ncat -4 --ssl --ssl-verify --ssl-trustfile "$C/ca.pem" localhost "$BG_PORT" <<<"via-ncat"
	[ "$status" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = via-ncat ]
	# and skit as the client of ncat --ssl -l
	p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	ncat --ssl --ssl-cert "$C/srv.pem" --ssl-key "$C/srv.key" -l 127.0.0.1 "$p" \
		>"$BATS_TEST_TMPDIR/ncat.out" </dev/null &
	BG_PIDS="${BG_PIDS:-} $!"
	for i in $(seq 1 100); do ss -Hltn | grep -q ":$p " && break; sleep 0.05; done
	run --separate-stderr timeout 10 "$SKIT" connect --ssl --ssl-trustfile "$C/ca.pem" 127.0.0.1 "$p" <<<"to-ncat"
	# ncat ends TCP without close_notify: a truncation, said as such
	[ "$status" -eq 7 ]
	[[ "$stderr" == *"TLS read from server tcp:127.0.0.1:$p: the peer closed without close_notify"* ]]
	for i in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/ncat.out" ] && break; sleep 0.05; done
	[ "$(cat "$BATS_TEST_TMPDIR/ncat.out")" = to-ncat ]
}

@test "tls: stunnel4 in front of a plain skit server; skit connects through it" {
	need_cmd stunnel4
	skit_bg listen -v tcp:127.0.0.1:0
	plain=$BG_PORT lpid=$BG_PID
	p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$BATS_TEST_TMPDIR/st.conf" <<CONF
foreground = yes
pid =
[t]
accept = 127.0.0.1:$p
connect = 127.0.0.1:$plain
cert = $C/srv.pem
key = $C/srv.key
CONF
	stunnel4 "$BATS_TEST_TMPDIR/st.conf" >/dev/null 2>&1 &
	BG_PIDS="${BG_PIDS:-} $!"
	for i in $(seq 1 200); do ss -Hltn | grep -q ":$p " && break; sleep 0.05; done
	run --separate-stderr timeout 10 "$SKIT" connect "tls:localhost:$p,ca=$C/ca.pem" <<<"through-stunnel"
	[ "$status" -eq 0 ]
	wait_exit "$lpid" 10
	grep -q through-stunnel "$BG_ERR" || [ "$(cat "$BATS_TEST_TMPDIR"/bg.1.out)" = through-stunnel ]
}

@test "tls: options without tls, or on a datagram kind, are refused (exit 2)" {
	run --separate-stderr "$SKIT" connect "tcp:127.0.0.1:1,ca=x.pem" </dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"ca= needs tls (add ,tls)"* ]]
	run --separate-stderr "$SKIT" connect "udp:127.0.0.1:1,tls" </dev/null
	[ "$status" -eq 2 ]
	run --separate-stderr "$SKIT" connect "tls:127.0.0.1:1,min-version=1.9" </dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"min-version"* ]]
	run --separate-stderr "$SKIT" resolve -n "OPENSSL:127.0.0.1:443,verify=0,cafile=ca.pem"
	[[ "$output" == *"canonical  tcp-connect:127.0.0.1:443,tls,verify=0,ca=ca.pem"* ]]
	run --separate-stderr "$SKIT" resolve -n "tcp-connect:127.0.0.1:443,tls,verify=0,ca=ca.pem"
	[[ "$output" == *"canonical  tcp-connect:127.0.0.1:443,tls,verify=0,ca=ca.pem"* ]]
}

@test "tls: ktls when asked falls back to user-space TLS, saying why" {
	skit_bg listen -v "tls-listen:127.0.0.1:0,ktls"
	grep -q "ktls: .*TLS runs in user space" "$BG_ERR"
	run --separate-stderr "$SKIT" probe
	[[ "$output" == *"kernel TLS (ktls)"* ]]
	if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
		skip "kTLS is available here but skit does not use it yet"
	fi
	skip "kernel TLS is not available (TCP_ULP tls not loaded): the fallback is the normal path"
}

@test "tls connect: an HTTP request to nginx over TLS" {
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || skip "needs nginx"
	load get_helpers
	d=$BATS_TEST_TMPDIR/ngx
	mkdir -p "$d/www"
	printf 'tls-ok\n' >"$d/www/x"
	cp "$C/srv.pem" "$d/cert.pem"
	cp "$C/srv.key" "$d/key.pem"
	start_nginx "$d"
	BG_PIDS="${BG_PIDS:-} $NGX_PID"
	# stdin stays open until the answer is in: a close_notify of ours
	# before it may make nginx close without its own (a truncation)
	run --separate-stderr timeout 10 "$SKIT" connect "tls:localhost:$NGX_TLS_PORT,ca=$C/ca.pem,alpn=http/1.1" \
		< <(printf 'GET /x HTTP/1.0\r\nHost: localhost\r\n\r\n'; sleep 2)
	echo "$status: $stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *"200 OK"* ]]
	[[ "$output" == *"tls-ok"* ]]
}

@test "tls relay: terminate, originate and both, with --json reporting each TLS side" {
	skit_bg echo -v tcp:127.0.0.1:0
	plain=$BG_ADDR
	# terminate: TLS in, plain out
	skit_bg relay -v --json "tls-listen:127.0.0.1:0,fork,cert=$C/srv.pem,key=$C/srv.key" "$plain"
	term=$BG_ADDR tjson=$BG_OUT
	run --separate-stderr timeout 10 "$SKIT" connect "$term,tls,ca=$C/ca.pem" <<<"t1"
	[ "$status" -eq 0 ]
	[ "$output" = t1 ]
	# originate: plain in, TLS out (to the terminating relay)
	skit_bg relay -v "tcp-listen:127.0.0.1:0,fork" "$term,tls,ca=$C/ca.pem,sni=localhost"
	run --separate-stderr timeout 10 "$SKIT" connect "$BG_ADDR" <<<"o1"
	[ "$status" -eq 0 ]
	[ "$output" = o1 ]
	# both: TLS in (ephemeral certificate), TLS out
	skit_bg relay -v tls-listen:127.0.0.1:0,fork "$term,tls,ca=$C/ca.pem"
	run --separate-stderr timeout 10 "$SKIT" connect "$BG_ADDR,tls,verify=0" <<<"b1"
	[ "$status" -eq 0 ]
	[ "$output" = b1 ]
	grep -q "side B:" "$BG_ERR"
	grep -q "subject /CN=localhost" "$BG_ERR"
	for i in $(seq 1 100); do grep -q '"event":"close"' "$tjson" && break; sleep 0.05; done
	json_valid "$tjson"
	grep -q '"a_tls_version":"TLSv1.3"' "$tjson"
}

@test "tls relay: a failed handshake on the connecting side is exit 8, naming it" {
	s_server -cert "$C/srv.pem" -key "$C/srv.key"
	run --separate-stderr timeout 10 "$SKIT" relay - "tls:127.0.0.1:$SRV_PORT,ca=$C/other.pem" </dev/null
	echo "$status: $stderr"
	[ "$status" -eq 8 ]
	[[ "$stderr" == *"TLS handshake with"*"unable to get local issuer certificate"* ]]
}

@test "tls echo: a TLS echo server (ephemeral or given certificate), 3 MB intact" {
	head -c 3000000 /dev/urandom >big
	skit_bg echo -v "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key"
	run bash -c "timeout 20 '$SKIT' connect '$BG_ADDR,tls,ca=$C/ca.pem' <big | cmp - big"
	[ "$status" -eq 0 ]
	run bash -c "echo ping | timeout 10 openssl s_client -quiet -verify_return_error \
		-CAfile '$C/ca.pem' -connect 127.0.0.1:$BG_PORT 2>/dev/null"
	[ "$output" = ping ]
	skit_bg echo -v tls-listen:127.0.0.1:0
	grep -q "SHA-256 fingerprint" "$BG_ERR"
	run --separate-stderr timeout 10 "$SKIT" connect "$BG_ADDR,tls,verify=0" <<<"eph"
	[ "$output" = eph ]
}

@test "tls bench: rr, crr (handshakes in the time) and throughput against a TLS echo" {
	skit_bg echo -v "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key"
	for m in rr crr throughput; do
		run --separate-stderr timeout 30 "$SKIT" bench -m "$m" -d 0.3 --json "$BG_ADDR,tls,ca=$C/ca.pem"
		echo "$m: $status $stderr"
		[ "$status" -eq 0 ]
	done
	run --separate-stderr timeout 30 "$SKIT" bench -m crr -c 2 -d 0.3 --json "$BG_ADDR,tls,ca=$C/ca.pem"
	[ "$status" -eq 0 ]
	# a window of requests over TLS: one buffer, one record stream
	run --separate-stderr timeout 30 "$SKIT" bench -m rr -c 2 --pipeline 8 -r 500 --json "$BG_ADDR,tls,ca=$C/ca.pem"
	[ "$status" -eq 0 ]
	[ "$(jq .requests <<<"$output")" = 500 ]
	run --separate-stderr timeout 30 "$SKIT" bench -m conns -n 20 -s 8 -d 0.3 --json "$BG_ADDR,tls,ca=$C/ca.pem"
	echo "conns: $status $output $stderr"
	[ "$status" -eq 0 ]
	[ "$(jq -r .served <<<"$output")" = 20 ]
	run --separate-stderr timeout 30 "$SKIT" bench -m crr -d 0.3 "$BG_ADDR,tls"
	[ "$status" -eq 8 ]
	[[ "$stderr" == *"unable to get local issuer certificate"* ]]
	run --separate-stderr timeout 30 "$SKIT" bench -m conns -n 3 -d 0.3 "$BG_ADDR,tls"
	[ "$status" -eq 8 ]
	[[ "$stderr" == *"unable to get local issuer certificate"* ]]
}

@test "tls through a proxy: HTTP CONNECT (tinyproxy) and SOCKS5 (microsocks), verified against the target" {
	# tinyproxy and microsocks close both ways at the client's EOF: the
	# server answers one line and ends first, the client's stdin stays
	# open until then.
	skit_bg listen -v -k "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key" --sh-exec 'read -r l; echo "got $l"'
	tinyproxy_start
	run --separate-stderr timeout 10 "$SKIT" connect -v "tls:127.0.0.1:$BG_PORT,ca=$C/ca.pem,proxy=http://127.0.0.1:$TP_PORT" < <(echo via http; sleep 5)
	echo "$status $output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "got via http" ]
	[[ "$stderr" == *"through the proxy tcp:127.0.0.1:$TP_PORT"* ]]
	[[ "$stderr" == *"TLS:   verified"* ]]
	microsocks_start
	run --separate-stderr timeout 10 "$SKIT" connect "tls:localhost:$BG_PORT,ca=$C/ca.pem,proxy=socks5://127.0.0.1:$MS_PORT" < <(echo via socks; sleep 5)
	echo "$status $output $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "got via socks" ]
	# the certificate is checked against the target's name, not the proxy's
	run --separate-stderr timeout 10 "$SKIT" connect "tls:127.0.0.1:$BG_PORT,ca=$C/other.pem,proxy=http://127.0.0.1:$TP_PORT" < <(echo x; sleep 5)
	echo "$status $output $stderr"
	[ "$status" -eq 8 ]
	[[ "$stderr" == *"TLS handshake"* ]]
	# relay originates TLS through the tunnel
	SRV=$BG_PORT
	skit_bg relay -v "tcp-listen:127.0.0.1:0" "tls:127.0.0.1:$SRV,ca=$C/ca.pem,proxy=socks5://127.0.0.1:$MS_PORT"
	run --separate-stderr timeout 10 "$SKIT" connect "$BG_ADDR" < <(echo via relay; sleep 5)
	echo "$status $output $stderr"
	[ "$output" = "got via relay" ]
	# bench's connections run their TLS through the tunnel too
	skit_bg echo -v "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key"
	run --separate-stderr timeout 30 "$SKIT" bench -m crr -d 0.3 --json "tls:127.0.0.1:$BG_PORT,ca=$C/ca.pem,proxy=socks5://127.0.0.1:$MS_PORT"
	echo "$status $stderr"
	[ "$status" -eq 0 ]
	[ "$(jq -r .requests <<<"$output")" -gt 0 ]
}

@test "tls ping: times TCP and TLS handshakes; a failed one names its reason" {
	skit_bg echo -v "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key"
	run --separate-stderr timeout 20 "$SKIT" ping -c 2 -i 0.1 "$BG_ADDR,tls,ca=$C/ca.pem"
	[ "$status" -eq 0 ]
	[[ "$output" == *"TCP and TLS handshakes"* ]]
	[[ "$output" == *"seq=2 time="*" ms tls="*" ms"* ]]
	run --separate-stderr timeout 20 "$SKIT" ping -c 1 --json "$BG_ADDR,tls,ca=$C/ca.pem"
	[[ "$output" == *'"tls_ms":'* ]]
	run --separate-stderr timeout 20 "$SKIT" ping -c 1 "unix:$BATS_TEST_TMPDIR/x,tls"
	[ "$status" -eq 2 ]
	run --separate-stderr timeout 20 "$SKIT" ping -c 1 "$BG_ADDR,tls,ca=$C/other.pem"
	[ "$status" -eq 8 ]
	[[ "$output" == *"TLS handshake: certificate verify failed: unable to get local issuer certificate"* ]]
}

@test "tls --json: echo totals, bench, ping replies and relay close events name the session and the peer certificate" {
	need_cmd jq
	fp=$(openssl x509 -in "$C/srv.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
	cfp=$(openssl x509 -in "$C/cli.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
	cli="ca=$C/ca.pem,cert=$C/cli.pem,key=$C/cli.key,alpn=h2"
	skit_bg echo -v --json "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key,client-ca=$C/ca.pem,alpn=h2"
	echo_pid=$BG_PID echo_out=$BG_OUT
	# skit ping: each reply (tls: spelled as written)
	run --separate-stderr timeout 20 "$SKIT" ping -c 1 --json "tls:127.0.0.1:$BG_PORT,$cli"
	[ "$status" -eq 0 ]
	r=$(grep '"event":"reply"' <<<"$output")
	[ "$(jq -r .tls_version <<<"$r")" = TLSv1.3 ]
	[[ "$(jq -r .tls_cipher <<<"$r")" == TLS_* ]]
	[ "$(jq -r .tls_alpn <<<"$r")" = h2 ]
	[ "$(jq -r .peer_subject <<<"$r")" = /CN=localhost ]
	[ "$(jq -r .peer_issuer <<<"$r")" = "/CN=skit test CA" ]
	[ "$(jq -r .peer_sans <<<"$r")" = "DNS:localhost, IP:127.0.0.1, IP:::1" ]
	[[ "$(jq -r .peer_expires <<<"$r")" == 20*Z ]]
	[ "$(jq -r .peer_sha256 <<<"$r")" = "$fp" ]
	[ "$(jq -r .peer_verified <<<"$r")" = true ]
	# skit bench: the first session
	run --separate-stderr timeout 30 "$SKIT" bench -m crr -c 1 -d 0.5 --json "tls:127.0.0.1:$BG_PORT,$cli"
	[ "$status" -eq 0 ]
	[ "$(jq -r .tls_version <<<"$output")" = TLSv1.3 ]
	[ "$(jq -r .tls_alpn <<<"$output")" = h2 ]
	[ "$(jq -r .peer_sha256 <<<"$output")" = "$fp" ]
	[ "$(jq -r .peer_verified <<<"$output")" = true ]
	# skit relay: originating side B to the echo
	skit_bg relay -v --json "tcp-listen:127.0.0.1:0,fork" "tcp:127.0.0.1:$BG_PORT,tls,sni=localhost,$cli"
	relay_out=$BG_OUT
	run --separate-stderr timeout 10 "$SKIT" connect "$BG_ADDR" <<<"r1"
	[ "$output" = r1 ]
	for i in $(seq 1 100); do grep -q '"event":"close"' "$relay_out" && break; sleep 0.05; done
	ev=$(grep '"event":"close"' "$relay_out" | head -1)
	[ "$(jq -r .b_tls_version <<<"$ev")" = TLSv1.3 ]
	[ "$(jq -r .b_tls_alpn <<<"$ev")" = h2 ]
	[ "$(jq -r .b_peer_sha256 <<<"$ev")" = "$fp" ]
	[ "$(jq -r .a_tls_version <<<"$ev")" = null ]
	# skit echo: the totals carry the first session, the client's certificate
	kill -INT "$echo_pid"
	wait_exit "$echo_pid" 10
	t=$(grep '"event":"totals"' "$echo_out")
	[ "$(jq -r .tls_version <<<"$t")" = TLSv1.3 ]
	[ "$(jq -r .tls_alpn <<<"$t")" = h2 ]
	[ "$(jq -r .peer_subject <<<"$t")" = /CN=client ]
	[ "$(jq -r .peer_sans <<<"$t")" = DNS:client ]
	[ "$(jq -r .peer_sha256 <<<"$t")" = "$cfp" ]
	[ "$(jq -r .peer_verified <<<"$t")" = true ]
}

@test "tls 1.2 renegotiation: openssl s_server -tls1_2 renegotiates (R) mid-stream; the data on both sides of it arrives whole" {
	d=$BATS_TEST_TMPDIR
	mkfifo "$d/srv.in" "$d/cli.in"
	# -msg: the handshake messages, to see the second ClientHello
	openssl s_server -accept 127.0.0.1:0 -naccept 1 -tls1_2 -msg \
		-cert "$C/srv.pem" -key "$C/srv.key" <"$d/srv.in" >"$d/srv.out" 2>&1 &
	SRV_PID=$!
	BG_PIDS="${BG_PIDS:-} $SRV_PID"
	exec 7>"$d/srv.in"
	SRV_PORT=$(port_of "$SRV_PID")
	"$SKIT" connect "tls:127.0.0.1:$SRV_PORT,ca=$C/ca.pem" <"$d/cli.in" \
		>"$d/cli.out" 2>"$d/cli.err" &
	CLI_PID=$!
	BG_PIDS="$BG_PIDS $CLI_PID"
	exec 8>"$d/cli.in"
	echo c1 >&8
	wait_grep 1 c1 "$d/srv.out"
	echo before >&7
	wait_grep 1 before "$d/cli.out"
	echo R >&7 # s_server: renegotiate
	wait_grep 1 HelloRequest "$d/srv.out"
	wait_grep 2 ClientHello "$d/srv.out"
	echo after >&7
	echo c2 >&8
	wait_grep 1 after "$d/cli.out"
	wait_grep 1 c2 "$d/srv.out"
	exec 8>&- # the client's EOF: close_notify, then the server's
	exec 7>&-
	wait_exit "$CLI_PID" 10
	cat "$d/cli.err"
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$d/cli.out")" = "$(printf 'before\nafter')" ]
	wait_exit "$SRV_PID" 10
	grep -q "2 server accepts that finished" "$d/srv.out"
}

@test "tls: half-close: the client's close_notify ends its side, the server's data still comes" {
	# the server answers only after the client is done sending
	skit_bg listen -v --sh-exec 'cat >/dev/null; sleep 0.2; echo after-eof' \
		"tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key"
	run --separate-stderr timeout 10 "$SKIT" connect "tls:127.0.0.1:$BG_PORT,ca=$C/ca.pem" <<<"request"
	echo "$status $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = after-eof ]
}

@test "tls over a unix socket: sni= names the certificate to verify" {
	sock=$BATS_TEST_TMPDIR/t.sock
	skit_bg listen -v "unix:$sock,tls,cert=$C/srv.pem,key=$C/srv.key"
	run --separate-stderr timeout 10 "$SKIT" connect "unix:$sock,tls,ca=$C/ca.pem" </dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"no host name to verify"* ]]
	run --separate-stderr timeout 10 "$SKIT" connect -v "unix:$sock,tls,ca=$C/ca.pem,sni=localhost" <<<"over-unix"
	echo "$status $stderr"
	[ "$status" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = over-unix ]
}

@test "tls:unix:PATH, tls-listen:unix:@NAME: resolve round-trips; listen, connect, echo, relay; openssl -unix peers" {
	sock=$BATS_TEST_TMPDIR/t.sock
	abs=@skit-tls-$$-$BATS_TEST_NUMBER-$RANDOM
	v="ca=$C/ca.pem,sni=localhost"
	s="cert=$C/srv.pem,key=$C/srv.key"
	for a in "tls:unix:$sock" "tls-listen:unix:$abs,$s"; do
		c=$("$SKIT" resolve "$a" | sed -n 's/^  canonical  //p')
		[[ "$c" == unix-*",tls"* ]]
		[ "$("$SKIT" resolve "$c" | sed -n 's/^  canonical  //p')" = "$c" ]
	done
	run --separate-stderr "$SKIT" resolve "tls:unix-seqpacket:$sock"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"TLS needs a byte stream"* ]]
	# listen and connect on an abstract name
	skit_bg listen -v "tls-listen:unix:$abs,$s"
	run --separate-stderr timeout 10 "$SKIT" connect "tls:unix:$abs,$v" <<<"over-abstract"
	[ "$status" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = over-abstract ]
	# echo on a path, behind a relay that terminates and originates TLS
	skit_bg echo -v "tls-listen:unix:$sock,$s"
	skit_bg relay -v "tls-listen:unix:$BATS_TEST_TMPDIR/r.sock,fork,$s" "tls:unix:$sock,$v"
	run --separate-stderr timeout 10 "$SKIT" connect "tls:unix:$BATS_TEST_TMPDIR/r.sock,$v" <<<"relayed"
	[ "$status" -eq 0 ]
	[ "$output" = relayed ]
	# openssl s_client -unix against skit echo (verifies localhost)
	run timeout 10 openssl s_client -brief -unix "$sock" -CAfile "$C/ca.pem" \
		-verify_return_error -verify_hostname localhost < <(printf 'from-s_client\n'; sleep 1)
	[ "$status" -eq 0 ]
	[[ "$output" == *from-s_client* ]]
}

@test "tls listen -k and --broker: the hub speaks TLS to every client" {
	# -k: clients -> stdout, stdin -> every client
	"$SKIT" listen -v -k "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key" \
		< <(sleep 1; echo from-stdin; sleep 3) >k.out 2>k.err &
	kp=$!
	BG_PIDS="${BG_PIDS:-} $kp"
	for i in $(seq 1 100); do grep -q "listening on" k.err && break; sleep 0.05; done
	p=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' k.err)
	(echo c1; sleep 2) | timeout 10 "$SKIT" connect "tls:127.0.0.1:$p,ca=$C/ca.pem" >c1.out
	[ "$(cat c1.out)" = from-stdin ]
	grep -qx c1 k.out
	# --broker: one client's bytes reach the other
	skit_bg listen -v --broker "tls-listen:127.0.0.1:0,cert=$C/srv.pem,key=$C/srv.key"
	(sleep 2) | timeout 10 "$SKIT" connect "tls:127.0.0.1:$BG_PORT,ca=$C/ca.pem" >b1.out &
	b1=$!
	for i in $(seq 1 100); do grep -q "connection from" "$BG_ERR" && break; sleep 0.05; done
	(echo hello-broker; sleep 0.5) | timeout 10 "$SKIT" connect -q 0.5 "tls:127.0.0.1:$BG_PORT,ca=$C/ca.pem"
	wait "$b1" || true
	[ "$(cat b1.out)" = hello-broker ]
	# a client that fails its handshake is named and dropped; the hub goes on
	run --separate-stderr timeout 10 "$SKIT" connect "tcp:127.0.0.1:$BG_PORT" <<<"not tls"
	for i in $(seq 1 100); do grep -q "TLS handshake with tcp:127.0.0.1" "$BG_ERR" && break; sleep 0.05; done
	grep -q "TLS handshake with tcp:127.0.0.1:[0-9]*: " "$BG_ERR"
	kill -0 "$BG_PID"
}
