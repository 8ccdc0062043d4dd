#!/usr/bin/env bats
# skit sniff: AF_PACKET capture inside a test namespace (its own lo, so
# no other program's traffic), BPF filters, pcap output read by tshark.
load helpers
load netns_low

teardown() {
	bg_cleanup
	ns_cleanup
	public_cleanup
}

TRAFFIC=$BATS_TEST_DIRNAME/traffic_low.py

# traffic_start NS [UDP_COUNT]: start the traffic generator in NS; sets
# TP (TCP port), UP (UDP port), TRAFFIC_PID.
traffic_start() {
	TDIR=$BATS_TEST_TMPDIR/traffic
	ns_py "$1" "$TDIR" ports "$TRAFFIC" "${2:-1}"
	TRAFFIC_PID=$PY_PID
	read -r TP UP <"$TDIR/ports"
	[ -n "$TP" ] && [ -n "$UP" ]
}

traffic_go() {
	touch "$TDIR/go"
	wait_exit "$TRAFFIC_PID" 10
	[ "$WAIT_RC" -eq 0 ]
}

@test "sniff: TCP handshake and UDP summaries name ports and flags" {
	need_netns
	ns_new S
	traffic_start "$NS_S"
	ns_bg "$NS_S" -v sniff -i lo -c 3 --port "$TP"
	sniff_pid=$BG_PID
	sniff_out=$BG_OUT
	ns_bg "$NS_S" -v sniff -i lo -c 1 --port "$UP"
	traffic_go
	wait_exit "$sniff_pid" 10
	[ "$WAIT_RC" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	cat "$sniff_out" "$BG_OUT"
	mapfile -t l <"$sniff_out"
	[ "${#l[@]}" -eq 3 ]
	[[ "${l[0]}" =~ lo\ +In\ +IP\ 127\.0\.0\.1\.([0-9]+)\ \>\ 127\.0\.0\.1\.$TP:\ Flags\ \[S\],\ seq ]]
	cport=${BASH_REMATCH[1]}
	[[ "${l[1]}" == *"IP 127.0.0.1.$TP > 127.0.0.1.$cport: Flags [S.], seq "*", ack "* ]]
	[[ "${l[2]}" == *"IP 127.0.0.1.$cport > 127.0.0.1.$TP: Flags [.], seq "* ]]
	grep -q "IP 127.0.0.1\.[0-9]* > 127.0.0.1.$UP: UDP, length 5" "$BG_OUT"
	grep -q '^1 packets captured' "$BG_ERR"
	grep -q 'packets dropped by kernel' "$BG_ERR"
}

@test "sniff --port drops everything else in the kernel" {
	need_netns
	ns_new S
	traffic_start "$NS_S" 3
	# Only the UDP port: the TCP connection and pings before must not show.
	ns_bg "$NS_S" -v sniff -i lo --port "$UP" --duration 10 -c 3
	ip netns exec "$NS_S" "$SKIT" ping --raw -c 2 -i 0.2 -W 1 127.0.0.1 >/dev/null
	traffic_go
	wait_exit "$BG_PID" 10
	cat "$BG_OUT" "$BG_ERR"
	[ "$(wc -l <"$BG_OUT")" -eq 3 ]
	[ "$(grep -c "> 127.0.0.1.$UP: UDP, length 5" "$BG_OUT")" -eq 3 ]
	! grep -q -e Flags -e ICMP "$BG_OUT" || false
	# Nothing else even reached the socket.
	grep -q '^3 packets received by filter' "$BG_ERR"
}

@test "sniff -w writes a pcap that tshark reads with the same count" {
	need_netns
	need_cmd tshark
	ns_new S
	traffic_start "$NS_S" 5
	ns_bg "$NS_S" -v sniff -i lo --proto udp -c 5 -w "$BATS_TEST_TMPDIR/cap.pcap"
	traffic_go
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ ! -s "$BG_OUT" ] # -w without --print: no summaries
	run --separate-stderr tshark -r "$BATS_TEST_TMPDIR/cap.pcap" -T fields -e udp.dstport
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -cx "$UP" <<<"$output")" -eq 5 ]
	[ "$(grep -c . <<<"$output")" -eq 5 ]
}

@test "sniff on all interfaces writes Linux cooked pcap; ARP and ICMP on a veth" {
	need_netns
	need_cmd tshark
	ns_pair
	ns_bg "$NS_A" -v sniff --print -w "$BATS_TEST_TMPDIR/any.pcap" -c 3 --host 10.77.0.2
	ip netns exec "$NS_A" "$SKIT" ping --raw -c 3 -i 0.2 -W 1 10.77.0.2 >/dev/null
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	cat "$BG_OUT"
	grep -q 'va       Out IP 10.77.0.1 > 10.77.0.2: ICMP echo request, id [0-9]*, seq 1, length 64' "$BG_OUT"
	grep -q 'va       In  IP 10.77.0.2 > 10.77.0.1: ICMP echo reply' "$BG_OUT"
	run --separate-stderr tshark -r "$BATS_TEST_TMPDIR/any.pcap" -T fields -e frame.protocols
	echo "$output"
	[ "$(grep -c 'sll:ethertype:ip:icmp' <<<"$output")" -eq 3 ]

	# ARP: the first packet to a new neighbour asks for it.
	ns_bg "$NS_B" -v sniff -i vb --proto arp -c 1 --json
	ip netns exec "$NS_B" ip neigh flush dev vb
	ip netns exec "$NS_B" "$SKIT" ping --raw -c 1 -W 1 10.77.0.1 >/dev/null
	wait_exit "$BG_PID" 10
	cat "$BG_OUT"
	json_valid "$BG_OUT"
	p=$(jq -c 'select(.event=="packet")' "$BG_OUT")
	[ "$(jq -r .ethertype <<<"$p")" = 0x0806 ]
	[[ "$(jq -r .summary <<<"$p")" == "ARP, "* ]]
}

@test "sniff --json and -x" {
	need_netns
	ns_new S
	traffic_start "$NS_S"
	ns_bg "$NS_S" -v sniff -i lo --json -x --proto udp -c 1
	traffic_go
	wait_exit "$BG_PID" 10
	json_valid "$BG_OUT"
	p=$(jq -c 'select(.event=="packet")' "$BG_OUT")
	[ "$(jq -r .dport <<<"$p")" = "$UP" ]
	[ "$(jq -r .proto <<<"$p")" = udp ]
	[ "$(jq -r .payload_len <<<"$p")" = 5 ]
	[[ "$(jq -r .hex <<<"$p")" == *"68656c6c6f" ]] # "hello"
	[ "$(jq -r 'select(.event=="summary") | .captured' "$BG_OUT")" = 1 ]

	traffic_start "$NS_S"
	rm -f "$TDIR/go"
	ns_bg "$NS_S" -v sniff -i lo -x --proto udp -c 1
	traffic_go
	wait_exit "$BG_PID" 10
	grep -q $'^\t0x0000: ' "$BG_OUT"
}

@test "sniff without CAP_NET_RAW: hint and exit 6; bad options exit 2" {
	need_root
	command -v setpriv >/dev/null || skip "needs setpriv"
	public_skit
	run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$SKIT_PUBLIC" sniff -i lo -c 1
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"hint:"*"CAP_NET_RAW"* ]]
	run "$SKIT" sniff --proto sctp
	[ "$status" -eq 2 ]
	run "$SKIT" sniff --proto arp --port 80
	[ "$status" -eq 2 ]
	run "$SKIT" sniff --proto icmp --port 80
	[ "$status" -eq 2 ]
	run "$SKIT" sniff --host not-an-address
	[ "$status" -eq 2 ]
	run "$SKIT" sniff -i no-such-iface0 -c 1
	[ "$status" -eq 4 ]
}

# Expressions whose programs skit and tcpdump must print alike.
FILTERS=("tcp port 80" "udp and host 10.0.0.1" "icmp or arp"
	"tcp[tcpflags] & tcp-syn != 0" "ip6 host fd00::1" "not (port 53 or port 5353) and greater 100"
	"net 10.0.0.0/8 and portrange 1000-2000" "inbound and udp" "")

@test "sniff -d prints the program tcpdump -d prints, on lo and on any" {
	need_netns
	need_cmd tcpdump
	ns_new S
	for i in lo any; do
		for e in "${FILTERS[@]}"; do
			ip netns exec "$NS_S" tcpdump -i "$i" -d "$e" 2>/dev/null >"$BATS_TEST_TMPDIR/t"
			ip netns exec "$NS_S" "$SKIT" sniff -i "$i" -d "$e" >"$BATS_TEST_TMPDIR/s"
			diff "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/s" || {
				echo "differs for -i $i '$e'"
				false
			}
			[ -s "$BATS_TEST_TMPDIR/s" ]
		done
	done
	# The shorthands are the same expression: repeated ones ORed, the
	# kinds and the operands ANDed.
	ip netns exec "$NS_S" tcpdump -i lo -d '(tcp or udp) and (port 80 or port 443) and (ip host 10.0.0.1 or ip6 host fd00::1) and (not src port 9)' \
		2>/dev/null >"$BATS_TEST_TMPDIR/t"
	ip netns exec "$NS_S" "$SKIT" sniff -i lo -d --proto tcp --port 80 --proto udp \
		--port 443 --host 10.0.0.1 --host fd00::1 not src port 9 >"$BATS_TEST_TMPDIR/s"
	diff "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/s"
}

@test "sniff EXPRESSION captures what it says on one interface and on all" {
	need_netns
	ns_new S
	traffic_start "$NS_S" 2
	# All interfaces: the cooked-header program fitted to the ring.
	ns_bg "$NS_S" -v sniff -c 2 --duration 10 "udp and dst port $UP"
	any_pid=$BG_PID any_out=$BG_OUT any_err=$BG_ERR
	# lo, Ethernet program; two --port shorthands mean either port.
	ns_bg "$NS_S" -v sniff -i lo -c 4 --duration 10 --port "$UP" --port "$TP" 'tcp[tcpflags] & tcp-syn != 0 or udp'
	traffic_go
	wait_exit "$any_pid" 10
	[ "$WAIT_RC" -eq 0 ]
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	cat "$any_out" "$BG_OUT"
	[ "$(grep -c "> 127.0.0.1.$UP: UDP, length 5" "$any_out")" -eq 2 ]
	[ "$(wc -l <"$any_out")" -eq 2 ]
	grep -q '^2 packets received by filter' "$any_err"
	# SYN and SYN-ACK of the TCP connection, then the two datagrams (-c 4:
	# a fifth would only show by waiting out --duration).
	[ "$(grep -c 'Flags \[S' "$BG_OUT")" -eq 2 ]
	[ "$(grep -c "UDP, length 5" "$BG_OUT")" -eq 2 ]
	[ "$(wc -l <"$BG_OUT")" -eq 4 ]
}

@test "sniff: a bad expression is a usage error quoting libpcap" {
	run "$SKIT" sniff -d 'tcp prot 80'
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == "skit: sniff: bad filter 'tcp prot 80': "*"syntax error"* ]]
	# Link-layer bytes a capture on all interfaces does not have.
	run "$SKIT" sniff -c 1 'ether host 02:00:00:00:00:01'
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad filter"*"ethernet addresses supported only"* ]]
	run "$SKIT" sniff -c 1 'link[6] = 1'
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"reads the link-layer header"* ]]
	[[ "$output" == *"hint: "*"-i IFACE"* ]]
}
