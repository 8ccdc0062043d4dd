#!/usr/bin/env bats
# skit bench --report, --compare and the record --json keeps: the HTML
# page's structure (well-formed, self-contained, SVG charts with axes,
# ticks, units, series and a legend; tests/cli/report_check.py), how it
# renders in headless Chromium, the comparison of saved runs and its
# refusals, the rate over time and the spectrum in the JSON, and the
# interim lines of --interval.
load helpers

teardown() {
	bg_cleanup
}

# run_json FILE ARGS... : skit bench ARGS --json into FILE (exit 0).
run_json() {
	local f=$1
	shift
	run --separate-stderr timeout 30 "$SKIT" bench "$@" --json
	[ "$status" -eq 0 ] || { echo "$*: $status $stderr"; false; }
	echo "$output" >"$f"
}

@test "bench --json records the run: command, machine, spectrum, rate per interval and connection" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	f=$BATS_TEST_TMPDIR/r.json
	run_json "$f" -m rr -c 2 -d 0.4 -w 0.05 -i 0.05 "$BG_ADDR"
	[ "$(wc -l <"$f")" -eq 1 ]
	jq -e '.command | startswith("skit bench -m rr -c 2 -d 0.4")' "$f"
	jq -e '(.kernel | length) > 0 and .cpus >= 1 and
		(.date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and
		(.version | length) > 0' "$f"
	# The spectrum: percentiles from 0 up, latencies never falling,
	# ending at the maximum's rank.
	jq -e '.spectrum as $s | ($s.percentile | length) > 10 and
		($s.percentile | length) == ($s.latency_us | length) and
		$s.percentile[0] == 0 and
		([range(1; $s.percentile | length)] | all(. as $i |
			$s.percentile[$i] > $s.percentile[$i - 1] and
			$s.latency_us[$i] >= $s.latency_us[$i - 1])) and
		($s.latency_us[-1] <= .latency_us.max * 1.01)' "$f"
	# The rate per interval: the total and each connection's, which add
	# up to it.
	jq -e '.series as $r | $r.rate == "requests/s" and $r.interval_s == 0.05 and
		($r.t | length) >= 3 and ($r.total | length) == ($r.t | length) and
		($r.per_connection | length) == 2 and
		([range(0; $r.t | length)] | all(. as $i |
			($r.per_connection[0][$i] + $r.per_connection[1][$i] -
			 $r.total[$i]) | fabs < 1))' "$f"
}

@test "bench --interval: an interim line per interval, then the summary" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" bench -m rr -d 0.5 -w 0 -i 0.1 "$BG_ADDR"
	[ "$status" -eq 0 ]
	n=$(grep -c ' s  .* requests/s  lost 0$' <<<"$output")
	[ "$n" -ge 3 ]
	grep -q '^skit bench --mode rr' <<<"$output"
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -d 0.3 -w 0 -i 0.1 "$BG_ADDR"
	[ "$status" -eq 0 ]
	grep -q 's  sent .*bit/s  received .*bit/s$' <<<"$output"
	run --separate-stderr timeout 30 "$SKIT" bench -m conns -n 20 -d 0.3 -i 0.1 "$BG_ADDR"
	[ "$status" -eq 0 ]
	grep -q '^ *0\.[0-9] s  20 opened$' <<<"$output"
}

@test "bench --report: one self-contained page, every chart with axes, ticks, units, series, legend" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	r=$BATS_TEST_TMPDIR/rr.html
	run --separate-stderr timeout 30 "$SKIT" bench -m rr -c 3 -d 0.3 -i 0.05 --report "$r" "$BG_ADDR"
	[ "$status" -eq 0 ]
	[[ "$output" == *"requests/s"* ]]
	run python3 "$BATS_TEST_DIRNAME/report_check.py" "$r" 1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# Both charts: the spectrum on the percentile axis, the rate with a
	# line per connection and the total.
	[[ "$output" == *"Latency by percentile: 1 series"*"'99%'"* ]]
	[[ "$output" == *"over time, per 0.05 s interval: 4 series"*"'total'"* ]]
	grep -q 'latency (.s)' "$r"
	grep -q '<code>skit bench -m rr -c 3 -d 0.3 -i 0.05 --report ' "$r"
	# Throughput and crr pages too; conns has no chart but the tables.
	for m in throughput crr; do
		run --separate-stderr timeout 30 "$SKIT" bench -m "$m" -d 0.2 -i 0.05 --report "$BATS_TEST_TMPDIR/$m.html" "$BG_ADDR"
		[ "$status" -eq 0 ]
		run python3 "$BATS_TEST_DIRNAME/report_check.py" "$BATS_TEST_TMPDIR/$m.html"
		[ "$status" -eq 0 ] || { echo "$m: $output"; false; }
	done
	grep -q 'bit/s sent' "$BATS_TEST_TMPDIR/throughput.html"
	# A report that cannot be written: exit 1, the results still printed.
	run --separate-stderr timeout 30 "$SKIT" bench -m rr -r 10 --report /nonexistent/r.html "$BG_ADDR"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--report /nonexistent/r.html: No such file or directory"* ]]
	[[ "$output" == *"requests/s"* ]]
}

@test "bench --compare: saved runs on the same axes, a legend, ratios; different modes refused" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run_json "$BATS_TEST_TMPDIR/a.json" -m rr -d 0.3 -i 0.05 "$BG_ADDR"
	run_json "$BATS_TEST_TMPDIR/b.json" -m rr -c 2 -d 0.3 -i 0.05 "$BG_ADDR"
	# --json-stream output works too (its last line is the summary).
	run --separate-stderr timeout 30 "$SKIT" bench -m rr -d 0.3 -i 0.05 --json-stream "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/c.json"
	c=$BATS_TEST_TMPDIR/cmp.html
	run --separate-stderr "$SKIT" bench --compare --report "$c" \
		"$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json" "$BATS_TEST_TMPDIR/c.json"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	run python3 "$BATS_TEST_DIRNAME/report_check.py" "$c" 3
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"legend ['a.json', 'b.json', 'c.json']"* ]]
	grep -q 'ratio to the first' "$c"
	# The p50 ratio is b's p50 over a's, as the JSON says.
	want=$(jq -rs '"\(.[1].latency_us.p50 / .[0].latency_us.p50 * 1000 | round / 1000)"' \
		"$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json")
	python3 - "$c" "$want" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for tr in root.iter("tr"):
    cells = ["".join(c.itertext()) for c in tr]
    if cells and cells[0] == "p50":
        got = float(cells[3].rstrip("\u00d7"))
        assert abs(got - float(sys.argv[2])) < 0.0015, (cells, sys.argv[2])
        break
else:
    sys.exit("no p50 row")
PY
	# Refusals: runs of different modes, no --report, one file, junk.
	run_json "$BATS_TEST_TMPDIR/t.json" -m throughput -d 0.2 "$BG_ADDR"
	run --separate-stderr "$SKIT" bench --compare --report "$c" \
		"$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/t.json"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"is a rr run,"*"a throughput run: compare runs of one mode"* ]]
	run --separate-stderr "$SKIT" bench --compare "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--compare needs --report"* ]]
	run --separate-stderr "$SKIT" bench --compare --report "$c" "$BATS_TEST_TMPDIR/a.json"
	[ "$status" -eq 2 ]
	echo '{"mode": "rr", oops' >"$BATS_TEST_TMPDIR/junk.json"
	run --separate-stderr "$SKIT" bench --compare --report "$c" \
		"$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/junk.json"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"junk.json: not a JSON result: byte 15: expected a key"* ]]
}

@test "bench --report renders in headless Chromium: 1200x800, not blank, the SVGs in the DOM" {
	need_cmd chromium
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	run_json "$BATS_TEST_TMPDIR/a.json" -m rr -c 2 -d 0.3 -i 0.05 --report "$BATS_TEST_TMPDIR/r.html" "$BG_ADDR"
	run_json "$BATS_TEST_TMPDIR/b.json" -m rr -d 0.3 -i 0.05 "$BG_ADDR"
	run --separate-stderr "$SKIT" bench --compare --report "$BATS_TEST_TMPDIR/c.html" \
		"$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
	[ "$status" -eq 0 ]
	chrome=(timeout 60 chromium --headless --no-sandbox --disable-gpu
		--hide-scrollbars --no-first-run --user-data-dir="$BATS_TEST_TMPDIR/chrome")
	for p in r c; do
		"${chrome[@]}" --window-size=1200,800 \
			--screenshot="$BATS_TEST_TMPDIR/$p.png" "file://$BATS_TEST_TMPDIR/$p.html" 2>/dev/null
		# A PNG of 1200x800 that is not one colour: its IHDR, and more
		# than a blank page compresses to.
		python3 - "$BATS_TEST_TMPDIR/$p.png" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", d[16:24])
assert (w, h) == (1200, 800), (w, h)
# Decode the image data and count the pixels that are not white.
pos, idat = 8, b""
while pos < len(d):
    n, t = struct.unpack(">I4s", d[pos:pos + 8])
    if t == b"IDAT":
        idat += d[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[d[25]]
stride = w * bpp + 1
prev = bytearray(stride - 1)
ink = 0
for y in range(h):
    f, line = raw[y * stride], bytearray(raw[y * stride + 1:(y + 1) * stride])
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    ink += sum(1 for x in range(0, len(line), bpp) if min(line[x:x + 3]) < 200)
    prev = line
assert ink > w * h // 200, "blank: %d dark pixels" % ink
print("ok", w, h, ink)
PY
	done
	# The DOM as Chromium built it: the charts, their axes, series and
	# legend, nothing dropped by the parser.
	"${chrome[@]}" --dump-dom "file://$BATS_TEST_TMPDIR/c.html" 2>/dev/null >"$BATS_TEST_TMPDIR/dom.html"
	[ "$(grep -o '<svg ' "$BATS_TEST_TMPDIR/dom.html" | wc -l)" -eq 2 ]
	[ "$(grep -o 'class="axis x"' "$BATS_TEST_TMPDIR/dom.html" | wc -l)" -eq 2 ]
	[ "$(grep -o 'class="axis y"' "$BATS_TEST_TMPDIR/dom.html" | wc -l)" -eq 2 ]
	[ "$(grep -o 'class="series"' "$BATS_TEST_TMPDIR/dom.html" | wc -l)" -eq 4 ]
	[ "$(grep -o 'class="legend-label"[^>]*>[ab].json<' "$BATS_TEST_TMPDIR/dom.html" | wc -l)" -eq 4 ]
}
