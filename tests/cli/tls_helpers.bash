# tests/cli/tls_helpers.bash - certificates and peers for the TLS tests.
# Load after helpers:  load tls_helpers

# make_certs DIR: a throwaway CA (ca.pem) and, signed by it: srv (for
# localhost, 127.0.0.1 and ::1), wrong (for a.test only), exp (expired),
# cli (a client certificate); and self (self-signed, 127.0.0.1). Each
# NAME.pem with NAME.key. A second CA (other.pem) signs nothing here.
make_certs() {
	local d=$1 n
	(
		cd "$d" || exit 1
		q() { "$@" >/dev/null 2>&1; }
		newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
		q openssl req -x509 "${newkey[@]}" -keyout ca.key -out ca.pem \
			-days 2 -subj "/CN=skit test CA"
		q openssl req -x509 "${newkey[@]}" -keyout other.key -out other.pem \
			-days 2 -subj "/CN=another CA"
		mk() { # NAME CN SAN DAYS
			q openssl req "${newkey[@]}" -keyout "$1.key" -out "$1.csr" \
				-subj "/CN=$2"
			printf 'subjectAltName=%s\n' "$3" >"$1.ext"
			q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
				-CAcreateserial -out "$1.pem" -extfile "$1.ext" -days "$4"
		}
		mk srv localhost "DNS:localhost,IP:127.0.0.1,IP:::1" 2
		mk wrong a.test "DNS:a.test" 2
		mk cli client "DNS:client" 2
		# valid until a day before it was made: expired
		mk exp localhost "DNS:localhost,IP:127.0.0.1" -1
		q openssl req -x509 "${newkey[@]}" -keyout self.key -out self.pem \
			-days 2 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1"
	)
	for n in ca srv wrong cli exp self; do
		[ -s "$d/$n.pem" ] || { echo "make_certs: no $n.pem" >&2; return 1; }
	done
}

# port_of PID: the TCP port PID listens on (waits up to 10 s).
port_of() {
	local i p
	for i in $(seq 1 200); do
		p=$(ss -Hltnp 2>/dev/null | grep "pid=$1," | awk '{print $4}' |
			sed 's/.*://' | head -1)
		if [ -n "$p" ]; then
			echo "$p"
			return 0
		fi
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# s_server ARGS...: openssl s_server on 127.0.0.1 (port 0) in the
# background, stdin from /dev/null unless S_IN names a file; sets
# SRV_PID and SRV_PORT.
s_server() {
	openssl s_server -accept 127.0.0.1:0 -quiet -naccept 1 "$@" \
		<"${S_IN:-/dev/null}" >"$BATS_TEST_TMPDIR/s_server.out" \
		2>"$BATS_TEST_TMPDIR/s_server.err" &
	SRV_PID=$!
	BG_PIDS="${BG_PIDS:-} $SRV_PID"
	SRV_PORT=$(port_of "$SRV_PID")
}
