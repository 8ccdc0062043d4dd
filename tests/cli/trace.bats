#!/usr/bin/env bats
# --trace narrates every socket and fd call (skit/io.h): data calls too,
# repeated ones summed up so a bulk transfer stays readable, constants by
# name; --trace=json gives the same as one JSON object per call.

load helpers

teardown() {
	bg_cleanup
}

# The bytes a trace says went through CALL on any fd: the calls shown
# plus the "... N more CALL(fd) calls, B bytes" summaries.
traced_bytes() {
	sed -n "s/.*trace: $1([0-9]*[,)].* = \([0-9][0-9]*\)\$/\1/p;
		s/.*trace: \.\.\. [0-9,]* more $1([0-9]*) calls, \([0-9,]*\) bytes.*/\1/p" "$2" |
		tr -d , | awk '{ s += $1 } END { print s + 0 }'
}

@test "--trace: a bulk transfer is narrated in a few lines that account for every byte" {
	skit_bg -v echo tcp4:127.0.0.1:0
	head -c 8388608 /dev/zero >"$BATS_TEST_TMPDIR/in"
	"$SKIT" --trace connect "$BG_ADDR" <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/trace"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/out")" -eq 8388608 ]
	t=$BATS_TEST_TMPDIR/trace
	grep -q "trace: read(0, [0-9]*) = " "$t"
	# (bats holds fd 3: the socket is the next free one)
	s=$(sed -n 's/.*trace: socket(AF_INET, SOCK_STREAM, 0) = //p' "$t")
	grep -q "trace: send($s, [0-9]*, MSG_NOSIGNAL) = " "$t"
	grep -q "trace: splice($s, NULL, [0-9]*, NULL, [0-9]*, SPLICE_F_MOVE|SPLICE_F_NONBLOCK) = " "$t"
	grep -q "trace: shutdown($s, SHUT_WR) = 0" "$t"
	grep -q "trace: close($s) = 0" "$t"
	grep -q "trace: \.\.\. [0-9,]* more send($s) calls, [0-9,]* bytes" "$t"
	[ "$(traced_bytes send "$t")" -eq 8388608 ] || { cat "$t"; false; }
	[ "$(traced_bytes read "$t")" -eq 8388608 ]
	# (socket -> pipe -> file: each byte is spliced twice)
	[ "$(traced_bytes splice "$t")" -eq $((2 * 8388608)) ]
	# readable: a few dozen lines, not one per chunk
	[ "$(wc -l <"$t")" -lt 100 ]
}

@test "--trace: constants by name, never as bare numbers" {
	skit_bg -v echo udp4:127.0.0.1:0
	"$SKIT" --trace send "$BG_ADDR,ttl=9" hi 2>"$BATS_TEST_TMPDIR/t1"
	grep -q "trace: setsockopt([0-9]*, IPPROTO_IP, IP_TTL, 9) = 0" "$BATS_TEST_TMPDIR/t1"
	grep -q "trace: sendto([0-9]*, 2, MSG_NOSIGNAL) = 2" "$BATS_TEST_TMPDIR/t1"
	"$SKIT" --trace ping -c 1 -W 2 -t 7 127.0.0.1 >/dev/null 2>"$BATS_TEST_TMPDIR/t2" ||
		skip "ping cannot open an ICMP socket here"
	grep -q "trace: setsockopt([0-9]*, IPPROTO_IP, IP_TTL, 7) = 0" "$BATS_TEST_TMPDIR/t2"
	! grep -E "trace: (setsockopt|getsockopt|socket)\([0-9]*, [0-9]" \
		"$BATS_TEST_TMPDIR/t1" "$BATS_TEST_TMPDIR/t2"
}

@test "--trace=json: one valid object per call, the same facts, no exponents" {
	skit_bg -v echo tcp4:127.0.0.1:0
	head -c 2097152 /dev/zero | "$SKIT" --trace=json connect "$BG_ADDR" \
		>/dev/null 2>"$BATS_TEST_TMPDIR/j"
	run python3 - "$BATS_TEST_TMPDIR/j" <<'PY'
import json, re, sys
sent = 0
calls = set()
for line in open(sys.argv[1]):
    assert not re.search(r'[0-9][eE][-+]?[0-9]', line.split('"text"')[0]), line
    o = json.loads(line)
    assert o["event"] == "trace" and isinstance(o["t"], (int, float)), o
    assert o["text"], o
    calls.add(o["call"])
    if o["call"] == "send":
        sent += o.get("bytes", 0) if "more" in o else max(o["result"], 0)
    if o["call"] == "connect" and o.get("result") == -1:
        assert o["errno"] == "EINPROGRESS", o
print(sent, " ".join(sorted(calls)))
PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == "2097152 "* ]]
	for c in socket connect read send splice shutdown close epoll_wait; do
		[[ " $output " == *" $c "* ]] || { echo "no $c: $output"; false; }
	done
}

@test "--trace=json: a refused connect says so in its fields" {
	run "$SKIT" --trace=json connect tcp4:127.0.0.1:1
	[ "$status" -eq 4 ]
	[[ "$output" == *'"call":"connect","args":"'[0-9]'","result":-1,"errno":"ECONNREFUSED","note":"(after wait)"'* ]]
	run "$SKIT" --trace=xml connect tcp4:127.0.0.1:1
	[ "$status" -eq 2 ]
}
