#!/usr/bin/env bash
# scripts/fuzz-check.sh FUZZ_BIN... - run each libFuzzer target over its
# seed corpus fuzz/corpus/<name>/ (regression only, no new inputs), plus
# a short bounded run of fresh inputs (FUZZ_SECS, default 2 s). Targets
# run FUZZ_JOBS at a time (default: one per core).
set -u
secs=${FUZZ_SECS:-2}
jobs=${FUZZ_JOBS:-$(nproc)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# one BIN: run it; its report goes to $out/NAME.log, its verdict to
# $out/NAME.ok or $out/NAME.failed.
one() {
	local bin=$1 name corpus tmp
	name=$(basename "$bin")
	corpus=fuzz/corpus/${name#fuzz_}
	if [ ! -d "$corpus" ]; then
		echo "fuzz: $name has no seed corpus at $corpus" >"$out/$name.log"
		touch "$out/$name.failed"
		return
	fi
	tmp=$(mktemp -d)
	if "$bin" -runs=0 "$corpus" >"$tmp/log" 2>&1 &&
		"$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
			-artifact_prefix="$tmp/" "$tmp" "$corpus" >>"$tmp/log" 2>&1; then
		echo "fuzz: $name ok ($(ls "$corpus" | wc -l) seeds)" >"$out/$name.log"
		touch "$out/$name.ok"
	else
		{ echo "fuzz: $name FAILED"; tail -40 "$tmp/log"; } >"$out/$name.log"
		touch "$out/$name.failed"
	fi
	rm -rf "$tmp"
}

running=0
for bin in "$@"; do
	one "$bin" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

p=0 f=0 status=0
for bin in "$@"; do
	name=$(basename "$bin")
	cat "$out/$name.log"
	if [ -e "$out/$name.ok" ]; then
		p=$((p + 1))
	else
		f=$((f + 1)) status=1
	fi
done
mkdir -p build
echo "$p $f 0" >build/results-fuzz.txt
exit $status
