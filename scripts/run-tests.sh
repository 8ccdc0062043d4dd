#!/usr/bin/env bash
# scripts/run-tests.sh - the body of `make check`: the suites once in
# build/, once in build/san/ under ASan+UBSan, then the fuzz corpora.
# Ends with one line "check: N passed, N failed, N skipped".
#
# The sanitizer and fuzz builds run in the background (niced) while
# pass 1's tests run: those mostly wait on peers and timers, so the
# builds take CPU the tests leave idle instead of adding their own
# minutes to the total.
set -u
cd "$(dirname "$0")/.."
start=$(date +%s)
status=0
rm -f build/results-*.txt build/san/results-*.txt
mkdir -p build

took() { echo "    ($(($(date +%s) - start)) s so far)"; }
j=$(nproc)
san=(BUILD=build/san SAN=1 OPT="-O1 -g")

echo "=== pass 1: normal build"
if make -s -j"$j" BUILD=build check-build; then
	bg_log=build/bg-build.log
	(
		nice -n 15 make -s -j"$j" "${san[@]}" check-build &&
			nice -n 15 make -s -j"$j" fuzz
	) >"$bg_log" 2>&1 &
	bg=$!
	make -s -j"$j" BUILD=build check-suites || status=1
else
	status=1 bg=
fi
took
echo "=== pass 2: AddressSanitizer + UndefinedBehaviorSanitizer"
if [ -n "$bg" ] && ! wait "$bg"; then
	echo "the sanitizer or fuzz build failed:"
	tail -40 "$bg_log"
	status=1
fi
make -s -j"$j" "${san[@]}" check-suites || status=1
took
echo "=== fuzz targets over their seed corpora"
make -s -j"$j" fuzz-check || status=1

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
