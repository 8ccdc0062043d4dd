#!/usr/bin/env bats
# skit bench --mode throughput over udp (iperf3 -u's job): paced at
# --bitrate, datagrams numbered and stamped; against an echo: loss,
# out-of-order and duplicate counts and jitter, checked against peers
# that drop (nftables numgen random, in a namespace of the test's own),
# reorder and duplicate (tests/cli/udp_peer.py) on purpose; against skit
# echo --discard the same counts, taken by the server (its answer to the
# stats request), also behind a peer that drops, reorders and
# duplicates; against a discard server that does not count, only the
# sending is measured.
load helpers
load netns_low

teardown() {
	bg_cleanup
	ns_cleanup
}

@test "bench -u: throughput over udp against skit echo, paced, every count consistent" {
	skit_bg -v echo -t 1 udp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -u -b 20m -s 1000 -P 2 -d 0.3 -w 0 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	echo "$output" | jq -e '.protocol == "udp" and .datagram_size == 1000 and
		.target_bits_per_s == 20000000 and .echoed and
		.datagrams_sent > 0 and .datagrams_received > 0 and
		.datagrams_received + .lost == .datagrams_sent and
		.bytes_sent == .datagrams_sent * 1000 and
		.bytes_received == .datagrams_received * 1000 and
		.out_of_order == 0 and .duplicates == 0 and .jitter_ms >= 0 and
		(.per_stream | length) == 2' >/dev/null || { echo "$output"; false; }
	# Paced: two streams of 20 Mbit/s send about 40 (generous bounds).
	echo "$output" | jq -e '.sent_bytes_per_s * 8 > 20e6 and
		.sent_bytes_per_s * 8 < 48e6' >/dev/null || { echo "$output"; false; }
	# Unlimited (-b 0): as fast as the socket takes them, still counted.
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -b 0 -d 0.2 -w 0 --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.target_bits_per_s == 0 and .datagrams_sent > 100 and
		.datagrams_received + .lost == .datagrams_sent' >/dev/null || { echo "$output"; false; }
	# A bare port with -u is udp; text output names the datagrams.
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -u -b 1m -d 0.2 "$BG_PORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"udp:127.0.0.1:$BG_PORT"* ]]
	[[ "$output" == *"datagrams    sent "*" (by "*")  received "*" lost "*" jitter "*" ms"* ]]
}

@test "bench -u against skit echo --discard: the server counts, loss is measured" {
	skit_bg -v echo --discard -t 1 udp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -b 2m -s 500 -P 2 -d 0.2 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	echo "$output" | jq -e '.echoed == false and .receiver_counted and
		.datagrams_sent > 0 and .lost == 0 and .lost_percent == 0 and
		.datagrams_received == .datagrams_sent and
		.bytes_received == .bytes_sent and
		.out_of_order == 0 and .duplicates == 0 and .jitter_ms >= 0' >/dev/null ||
		{ echo "$output"; false; }
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -b 2m -d 0.2 "$BG_ADDR"
	[ "$status" -eq 0 ]
	[[ "$output" == *" lost 0 (0%) "*"(counted by the receiver)"* ]]
	# unix-dgram: each stream's own bound name is its sender address.
	skit_bg -v echo --discard -t 1 "unix-dgram:@skit-bu-$$-$BATS_TEST_NUMBER"
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -b 2m -s 500 -P 2 -d 0.2 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	echo "$output" | jq -e '.receiver_counted and .datagrams_sent > 0 and
		.datagrams_received == .datagrams_sent' >/dev/null || { echo "$output"; false; }
}

@test "bench -u against a discard server that does not count: the sending is measured, loss is not" {
	BG_STDOUT=/dev/null skit_bg -v recv udp:127.0.0.1:0
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -b 2m -d 0.2 --json "$BG_ADDR"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.echoed == false and .receiver_counted == false and
		.lost == null and .datagrams_sent > 0 and
		.datagrams_received == 0' >/dev/null || { echo "$output"; false; }
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -b 2m -d 0.2 "$BG_ADDR"
	[ "$status" -eq 0 ]
	[[ "$output" == *"none came back: loss and jitter need an echo server"* ]]
}

# The bytes CALL carried in a --trace file ($2): the calls shown plus
# the "... N more CALL(fd) calls, B bytes" summaries.
traced_bytes() {
	sed -n "s/.*trace: $1([0-9]*, [0-9]*, .* = \([0-9][0-9]*\)\$/\1/p;
		s/.*trace: \.\.\. [0-9,]* more $1([0-9]*) calls, \([0-9,]*\) bytes.*/\1/p" "$2" |
		tr -d , | awk '{ s += $1 } END { print s + 0 }'
}

# data_only BYTES SENT: BYTES are SENT datagrams of 200 bytes and a few
# stats requests of 64 (two, or a few more when one is late).
data_only() {
	local extra=$(($1 - $2 * 200))
	[ "$extra" -ge 64 ] && [ $((extra % 64)) -eq 0 ] && [ "$extra" -le $((64 * 40)) ]
}

@test "bench -u: GSO sends many datagrams per call, --no-gso one; the discard server (GRO) counts every one" {
	skit_bg -v --trace echo --discard -t 1 udp:127.0.0.1:0
	grep -q "setsockopt([0-9]*, SOL_UDP, UDP_GRO, 1) = 0" "$BG_ERR"
	grep -q "setsockopt([0-9]*, SOL_SOCKET, SO_RCVBUF, 4194304) = 0" "$BG_ERR"
	t=$BATS_TEST_TMPDIR/trace
	# 3 datagrams a tick: small ones, so even a stalled run fits the
	# server's receive buffer and the count is exact.
	run --separate-stderr timeout 30 "$SKIT" --trace bench -m throughput -u -b 4.8m -s 200 -d 0.2 -w 0 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	echo "$stderr" >"$t"
	echo "$output" | jq -e '.receiver_counted and .datagrams_sent > 100 and
		.lost == 0 and .datagrams_received == .datagrams_sent and
		.bytes_received == .datagrams_sent * 200 and
		.sent_by == "gso"' >/dev/null || { echo "$output"; false; }
	grep -q "setsockopt([0-9]*, SOL_UDP, UDP_SEGMENT, 200) = 0" "$t"
	# Several datagrams in one sendmsg, the rest one per sendto (a
	# burst of one); the stats requests (64 bytes) go by sendto too.
	grep -Eq "trace: sendmsg\([0-9]+, [0-9]*[02468]00, .* = [0-9]+$" "$t" || { cat "$t"; false; }
	sent=$(echo "$output" | jq .datagrams_sent)
	data_only "$(($(traced_bytes sendmsg "$t") + $(traced_bytes sendto "$t")))" "$sent" || { cat "$t"; false; }
	# --no-gso: one datagram per sendto, counted as exactly.
	run --separate-stderr timeout 30 "$SKIT" --trace bench -m throughput -u --no-gso -b 4.8m -s 200 -d 0.2 -w 0 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	echo "$stderr" >"$t"
	echo "$output" | jq -e '.receiver_counted and .datagrams_sent > 100 and
		.lost == 0 and .datagrams_received == .datagrams_sent and
		.sent_by == "sendto"' >/dev/null || { echo "$output"; false; }
	[ "$(grep -c "UDP_SEGMENT\|sendmsg\|sendmmsg" "$t")" -eq 0 ] || { cat "$t"; false; }
	[ "$(grep -E "trace: sendto\([0-9]+, [0-9]+, " "$t" | grep -Evc "sendto\([0-9]+, (200|64), ")" -eq 0 ]
	sent=$(echo "$output" | jq .datagrams_sent)
	data_only "$(traced_bytes sendto "$t")" "$sent" || { cat "$t"; false; }
}

@test "bench -u over unix-dgram (no GSO): the batches go by sendmmsg, every datagram counted" {
	skit_bg -v echo --discard -t 1 "unix-dgram:@skit-bu-$$-$BATS_TEST_NUMBER"
	t=$BATS_TEST_TMPDIR/trace
	run --separate-stderr timeout 30 "$SKIT" --trace bench -m throughput -b 4.8m -s 200 -d 0.2 -w 0 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	echo "$stderr" >"$t"
	echo "$output" | jq -e '.receiver_counted and .datagrams_sent > 100 and
		.lost == 0 and .datagrams_received == .datagrams_sent and
		.sent_by == "sendmmsg"' >/dev/null || { echo "$output"; false; }
	grep -q "setsockopt([0-9]*, SOL_UDP, UDP_SEGMENT, 200) = -1" "$t"
	grep -q "sendmmsg([0-9]*, [0-9]* datagrams) = [0-9]" "$t" || { cat "$t"; false; }
	[ "$(grep -c "sendmsg(" "$t")" -eq 0 ]
}

@test "bench -u: skit recv reads a GSO stream as separate datagrams" {
	BG_STDOUT=$BATS_TEST_TMPDIR/got skit_bg -v recv udp4:127.0.0.1:0 --count 30 --json
	t=$BATS_TEST_TMPDIR/trace
	# recv stops after 30: the bench's later sends may be refused.
	"$SKIT" --trace bench -m throughput -u -b 4.8m -s 200 -d 0.3 -w 0 "$BG_ADDR" \
		>/dev/null 2>"$t" || true
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	grep -Eq "trace: sendmsg\([0-9]+, [0-9]*[02468]00, .* = [0-9]+$" "$t" || { cat "$t"; false; }
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got")" -eq 30 ]
	[ "$(jq -r .length "$BATS_TEST_TMPDIR/got" | sort -u)" = 200 ]
}

@test "bench -u: usage errors exit 2" {
	run "$SKIT" bench -m throughput --bitrate 1m tcp:127.0.0.1:9
	[ "$status" -eq 2 ]
	[[ "$output" == *"--bitrate is for --mode throughput over udp"* ]]
	run "$SKIT" bench -m throughput --bytes 1m udp:127.0.0.1:9
	[ "$status" -eq 2 ]
	run "$SKIT" bench -m throughput --direction recv udp:127.0.0.1:9
	[ "$status" -eq 2 ]
	run "$SKIT" bench -m throughput -s 10 udp:127.0.0.1:9
	[ "$status" -eq 2 ]
	[[ "$output" == *"at least 24"* ]]
	run "$SKIT" bench -m throughput -b 1x udp:127.0.0.1:9
	[ "$status" -eq 2 ]
	run "$SKIT" bench -u tcp:127.0.0.1:9
	[ "$status" -eq 2 ]
	run "$SKIT" bench -m throughput unix-seqpacket:@skit-no-$$
	[ "$status" -eq 2 ]
	run "$SKIT" bench -m rr --no-gso udp:127.0.0.1:9
	[ "$status" -eq 2 ]
	[[ "$output" == *"--no-gso is for --mode throughput over udp"* ]]
}

@test "bench -u: reordered and duplicated datagrams are counted as the peer made them" {
	stats=$BATS_TEST_TMPDIR/peer.stats
	cmd_bg python3 "$BATS_TEST_DIRNAME/udp_peer.py" "$stats"
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -b 1m -s 100 -d 0.3 -w 0 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	read -r swapped dups _ <"$stats"
	[ "$swapped" -gt 10 ]
	echo "$output" | jq -e --argjson s "$swapped" --argjson d "$dups" \
		'.out_of_order == $s and .duplicates == $d and .lost <= 1 and
		 .datagrams_received + .lost == .datagrams_sent' >/dev/null ||
		{ echo "peer: $swapped swapped, $dups duplicated; bench: $output"; false; }
}

@test "bench -u: a discard server counts the loss, reordering and duplicates a peer made" {
	skit_bg -v echo --discard -t 1 udp:127.0.0.1:0
	stats=$BATS_TEST_TMPDIR/peer.stats
	cmd_bg python3 "$BATS_TEST_DIRNAME/udp_peer.py" "$stats" "$BG_PORT"
	run --separate-stderr timeout 30 "$SKIT" bench -m throughput -b 1m -s 100 -d 0.3 -w 0 --json "$BG_ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	# The peer flushes what it holds before it forwards the stats
	# request, so every count is exact.
	read -r swapped dups dropped <"$stats"
	[ "$swapped" -gt 10 ] && [ "$dropped" -gt 10 ]
	echo "$output" | jq -e --argjson s "$swapped" --argjson d "$dups" --argjson l "$dropped" \
		'.receiver_counted and .echoed == false and
		 .out_of_order == $s and .duplicates == $d and .lost == $l and
		 .datagrams_received + .lost == .datagrams_sent and
		 .bytes_received == .datagrams_received * 100 and
		 .jitter_ms > 0' >/dev/null ||
		{ echo "peer: $swapped swapped, $dups duplicated, $dropped dropped; bench: $output"; false; }
}

@test "bench -u: loss behind an nftables random drop (20%) is counted" {
	need_netns
	need_cmd nft
	ns_new U
	ip netns exec "$NS_U" nft add table inet skb
	ip netns exec "$NS_U" nft add chain inet skb in '{ type filter hook input priority 0; }'
	ip netns exec "$NS_U" nft add rule inet skb in udp dport '{ 7000, 7001 }' numgen random mod 100 lt 20 drop
	ns_bg "$NS_U" -v echo -t 1 udp:127.0.0.1:7000
	ns_bg "$NS_U" -v echo --discard -t 1 udp:127.0.0.1:7001
	run --separate-stderr timeout 30 ip netns exec "$NS_U" "$SKIT" bench -m throughput \
		-b 4m -s 200 -d 0.5 -w 0 --json udp:127.0.0.1:7000
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	# About 1250 datagrams, a fifth dropped on the way there: the
	# binomial spread is about 1%, the bounds are generous.
	echo "$output" | jq -e '.datagrams_sent > 500 and
		.datagrams_received + .lost == .datagrams_sent and
		.lost_percent > 12 and .lost_percent < 28 and
		.out_of_order == 0 and .duplicates == 0' >/dev/null ||
		{ echo "$output"; false; }
	# The same counted by a discard server (its stats request may be
	# dropped too: it is asked again).
	run --separate-stderr timeout 30 ip netns exec "$NS_U" "$SKIT" bench -m throughput \
		-b 4m -s 200 -d 0.5 -w 0 --json udp:127.0.0.1:7001
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	echo "$output" | jq -e '.receiver_counted and .datagrams_sent > 500 and
		.datagrams_received + .lost == .datagrams_sent and
		.lost_percent > 12 and .lost_percent < 28 and
		.out_of_order == 0 and .duplicates == 0' >/dev/null ||
		{ echo "$output"; false; }
}
