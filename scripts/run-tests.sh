#!/usr/bin/env bash
# scripts/run-tests.sh - the body of `make check`: the suites once in
# build/, once in build/san/ under ASan+UBSan, then the fuzz corpora.
# Ends with one line "check: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
start=$(date +%s)
status=0
rm -f build/results-*.txt

took() { echo "    ($(($(date +%s) - start)) s so far)"; }

echo "=== pass 1: normal build"
make -s -j"$(nproc)" BUILD=build check-suites || status=1
took
echo "=== pass 2: AddressSanitizer + UndefinedBehaviorSanitizer"
make -s -j"$(nproc)" BUILD=build/san SAN=1 OPT="-O1 -g" check-suites || status=1
took
echo "=== fuzz targets over their seed corpora"
make -s -j"$(nproc)" fuzz-check || status=1

pass=0 fail=0 skip=0
for f in build/results-*.txt build/san/results-*.txt; do
	[ -f "$f" ] || continue
	read -r p fl s <"$f"
	pass=$((pass + p)) fail=$((fail + fl)) skip=$((skip + s))
done
[ "$fail" -gt 0 ] && status=1
echo "=== make check took $(($(date +%s) - start)) s"
echo "check: $pass passed, $fail failed, $skip skipped"
exit $status
