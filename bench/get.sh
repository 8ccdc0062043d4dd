#!/usr/bin/env bash
# bench/get.sh [SIZE_MIB] - download one file from nginx on loopback with
# `skit get -O`, `curl -o` and `wget -O`, over plain HTTP and HTTPS, one
# run each, and print wall times and skit's ratio to each peer (target:
# <= 1.0). The table also goes to bench/results/get-DATE.txt.
#
# Everything runs on 127.0.0.1 with nginx started here (stopped by PID)
# in a temporary directory; the outputs are written there and removed
# after each run so only one copy exists at a time.
set -eu
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
SKIT=${SKIT:-$PWD/build/skit}
export SKIT_SRC=$PWD
# shellcheck source=../tests/cli/get_helpers.bash
. tests/cli/get_helpers.bash

for c in nginx curl wget openssl; do
	command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] ||
		{ echo "bench/get.sh: needs $c" >&2; exit 1; }
done
[ -x "$SKIT" ] || { echo "bench/get.sh: build skit first (make)" >&2; exit 1; }

d=$(mktemp -d /tmp/skit-bench-get.XXXXXX)
cleanup() { stop_pid "${NGX_PID:-}"; rm -rf "$d"; }
trap cleanup EXIT
mkdir -p "$d/www"
head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$d/www/big.bin"
want=$(sha256sum <"$d/www/big.bin" | cut -d' ' -f1)
make_ca "$d"
start_nginx "$d"

now() { date +%s.%N; }
# timed NAME CMD...: run once, print seconds, check the output.
timed() {
	local t0 t1 name=$1
	shift
	rm -f "$d/out.bin"
	sync
	t0=$(now)
	"$@" >/dev/null 2>"$d/err" || { cat "$d/err" >&2; return 1; }
	t1=$(now)
	[ "$(sha256sum <"$d/out.bin" | cut -d' ' -f1)" = "$want" ] ||
		{ echo "bench/get.sh: $name: wrong output" >&2; return 1; }
	rm -f "$d/out.bin"
	echo "$t1 - $t0" | bc -l
}

H=http://127.0.0.1:$NGX_PORT/big.bin
S=https://127.0.0.1:$NGX_TLS_PORT/big.bin
CA=$d/ca.pem
# Warm the page cache and nginx with one untimed transfer per protocol,
# so the first tool timed does not pay for the file just written.
sync
cat "$d/www/big.bin" >/dev/null
curl -s -o /dev/null "$H"
curl -s --cacert "$CA" -o /dev/null "$S"

out=$(mktemp)
{
	echo "# skit get vs curl vs wget: $size_mib MiB from nginx on loopback, one run each"
	echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cores;" \
		"$(curl --version | head -1 | cut -d' ' -f1-2);" \
		"$(wget --version | head -1 | cut -d' ' -f1-3); nginx $(nginx -v 2>&1 | cut -d/ -f2)"
	printf '%-6s %10s %10s %10s %12s %12s\n' proto skit_s curl_s wget_s skit/curl skit/wget
	for proto in http https; do
		if [ $proto = http ]; then
			u=$H
			ts=$(timed skit "$SKIT" get -q -O "$d/out.bin" "$u")
			tc=$(timed curl curl -s -o "$d/out.bin" "$u")
			tw=$(timed wget wget -q -O "$d/out.bin" "$u")
		else
			u=$S
			ts=$(timed skit "$SKIT" get -q --ca-file "$CA" -O "$d/out.bin" "$u")
			tc=$(timed curl curl -s --cacert "$CA" -o "$d/out.bin" "$u")
			tw=$(timed wget wget -q --ca-certificate="$CA" -O "$d/out.bin" "$u")
		fi
		printf '%-6s %10.3f %10.3f %10.3f %12.2f %12.2f\n' $proto "$ts" "$tc" "$tw" \
			"$(echo "$ts / $tc" | bc -l)" "$(echo "$ts / $tw" | bc -l)"
	done
} | tee "$out"
cp "$out" "bench/results/get-$(date -u +%F).txt"
rm -f "$out"
