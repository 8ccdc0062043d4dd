#!/usr/bin/env bash
# scripts/run-suites.sh UNIT_BIN... - run the cmocka unit tests given and
# every tests/cli/*.bats against $SKIT; write "passed failed skipped" to
# $BUILD/results-<suite>.txt. Sanitizer reports go to $BUILD/san-logs and
# count as failures even when the test itself passed.
set -u
: "${SKIT:?}" "${BUILD:?}"
export SKIT BUILD
export SKIT_SRC=$PWD
logs=$BUILD/san-logs
rm -rf "$logs" && mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
status=0

# Unit tests.
p=0 f=0 s=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	echo "$out" | grep -E '^\[  (PASSED|FAILED|SKIPPED) ' | sed "s|^|$(basename "$t"): |"
	tp=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	tf=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	ts=$(echo "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=$((p + ${tp:-0})) f=$((f + ${tf:-0})) s=$((s + ${ts:-0}))
	if [ $rc -ne 0 ]; then
		echo "$out" | grep -vE '^\[ +(RUN|OK) +\]' | tail -40
		[ -z "$tf" ] && f=$((f + 1))
		status=1
	fi
done
echo "$p $f $s" >"$BUILD/results-unit.txt"
echo "unit: $p passed, $f failed, $s skipped"

# CLI tests (bats, TAP output so skips are counted). Most of a CLI
# test's time is spent waiting on a peer or a timer, so they run
# BATS_JOBS at a time (default: 3 per core; BATS_JOBS=1 runs them one
# by one). Tests are written for that: port 0, names with $$ and
# $BATS_TEST_NUMBER, files under $BATS_TEST_TMPDIR. The files with the
# longest tests go first (BUILD/cli.tap has each test's time): started
# last, they were the pass's tail.
p=0 f=0 s=0
jobs=${BATS_JOBS:-$(($(nproc) * 3))}
jobargs=()
[ "$jobs" -gt 1 ] && command -v parallel >/dev/null && jobargs=(--jobs "$jobs")
files=()
for n in tls usage signals faults options ping relay connect bench echo; do
	[ -f "tests/cli/$n.bats" ] && files+=("tests/cli/$n.bats")
done
for t in tests/cli/*.bats; do
	[[ " ${files[*]} " == *" $t "* ]] || files+=("$t")
done
if [ "${#files[@]}" -gt 0 ]; then
	out=$(bats --tap --timing "${jobargs[@]}" "${files[@]}" 2>&1)
	rc=$?
	echo "$out" >"$BUILD/cli.tap" # with each test's time: the slow ones
	echo "$out" | grep -E '^not ok|# skip' | head -100
	p=$(echo "$out" | grep -cE '^ok [0-9]+' )
	s=$(echo "$out" | grep -cE '^ok [0-9]+ .*# skip')
	f=$(echo "$out" | grep -cE '^not ok [0-9]+')
	p=$((p - s))
	if [ $rc -ne 0 ]; then
		echo "$out" | grep -A30 '^not ok' | head -200
		[ "$f" -eq 0 ] && f=1
		status=1
	fi
fi
echo "$p $f $s" >"$BUILD/results-cli.txt"
echo "cli: $p passed, $f failed, $s skipped"

if ls "$logs"/* >/dev/null 2>&1; then
	echo "sanitizer reports:"
	head -60 "$logs"/*
	echo "0 1 0" >"$BUILD/results-sanitizer.txt"
	status=1
fi
exit $status
