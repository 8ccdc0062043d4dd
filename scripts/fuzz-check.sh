#!/usr/bin/env bash
# scripts/fuzz-check.sh FUZZ_BIN... - run each libFuzzer target over its
# seed corpus fuzz/corpus/<name>/ (regression only, no new inputs), plus
# a short bounded run of fresh inputs.
set -u
status=0 p=0 f=0
for bin in "$@"; do
	name=$(basename "$bin")
	corpus=fuzz/corpus/${name#fuzz_}
	if [ ! -d "$corpus" ]; then
		echo "fuzz: $name has no seed corpus at $corpus"
		f=$((f + 1)) status=1
		continue
	fi
	tmp=$(mktemp -d)
	if "$bin" -runs=0 "$corpus" >"$tmp/log" 2>&1 &&
		"$bin" -max_total_time=5 -timeout=5 -rss_limit_mb=2048 \
			-artifact_prefix="$tmp/" "$tmp" "$corpus" >>"$tmp/log" 2>&1; then
		echo "fuzz: $name ok ($(ls "$corpus" | wc -l) seeds)"
		p=$((p + 1))
	else
		echo "fuzz: $name FAILED"
		tail -40 "$tmp/log"
		f=$((f + 1)) status=1
	fi
	rm -rf "$tmp"
done
mkdir -p build
echo "$p $f 0" >build/results-fuzz.txt
exit $status
