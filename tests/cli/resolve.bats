#!/usr/bin/env bats
# skit resolve: what an address means (kind, role, socket() call,
# options, sockaddrs), in text and --json, and its errors. Never real
# DNS: literals, unix/vsock/packet/netlink, and names from a hosts file
# bind-mounted in a private mount namespace (with no network, so even a
# miss cannot leave the machine).
load helpers

# jfield JSON EXPR: evaluate a python expression over the object j.
jfield() {
	python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# in_hosts_ns CMD...: run a shell command with $HOSTS bind-mounted on
# /etc/hosts, in new mount and network namespaces.
in_hosts_ns() {
	need_root
	need_cmd unshare
	unshare -m -n true 2>/dev/null || skip "cannot create mount/network namespaces"
	HOSTS=$BATS_TEST_TMPDIR/hosts
	printf '127.0.0.1 localhost\n127.0.0.1 myhost\n::1 myhost\n10.1.2.3 v4only\n' >"$HOSTS"
	export HOSTS
	run --separate-stderr unshare -m -n sh -c 'mount --bind "$HOSTS" /etc/hosts && '"$1"
}

@test "resolve tcp v4 literal: kind, role, socket call, sockaddr" {
	run --separate-stderr "$SKIT" resolve -n tcp:127.0.0.1:80
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tcp:127.0.0.1:80 ]
	grep -Eq '^  kind +tcp$' <<<"$output"
	grep -Eq '^  role +connect$' <<<"$output"
	grep -Eq '^  resolves +socket\(AF_INET, SOCK_STREAM, (0|IPPROTO_TCP)\) +tcp:127\.0\.0\.1:80$' <<<"$output"
	[ "$(grep -c 'socket(' <<<"$output")" -eq 1 ]
}

@test "resolve tcp v6 literal and udp" {
	run --separate-stderr "$SKIT" resolve -n 'tcp:[::1]:8080' udp:127.0.0.1:53 'udp6:[::1]:5353'
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq 'socket\(AF_INET6, SOCK_STREAM, (0|IPPROTO_TCP)\) +tcp:\[::1\]:8080$' <<<"$output"
	grep -Eq 'socket\(AF_INET, SOCK_DGRAM, (0|IPPROTO_UDP)\) +udp:127\.0\.0\.1:53$' <<<"$output"
	grep -Eq 'socket\(AF_INET6, SOCK_DGRAM, (0|IPPROTO_UDP)\) +udp6?:\[::1\]:5353$' <<<"$output"
}

@test "resolve --json: tcp v4 and v6 literals" {
	run --separate-stderr "$SKIT" resolve --json -n tcp:127.0.0.1:80 'tcp:[::1]:443'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	echo "$output" >"$BATS_TEST_TMPDIR/r.json"
	json_valid "$BATS_TEST_TMPDIR/r.json"
	j=${lines[0]}
	[ "$(jfield "$j" 'j["input"]')" = tcp:127.0.0.1:80 ]
	[ "$(jfield "$j" 'j["kind"]')" = tcp ]
	[ "$(jfield "$j" 'j["role"]')" = connect ]
	[ "$(jfield "$j" 'j["ok"]')" = True ]
	[ "$(jfield "$j" 'len(j["sockaddrs"])')" = 1 ]
	[ "$(jfield "$j" 'j["sockaddrs"][0]["address"]')" = tcp:127.0.0.1:80 ]
	[ "$(jfield "$j" 'j["sockaddrs"][0]["domain"]')" = AF_INET ]
	[ "$(jfield "$j" 'j["sockaddrs"][0]["type"]')" = SOCK_STREAM ]
	[ "$(jfield "$j" 'j["sockaddrs"][0]["length"]')" = 16 ]
	j=${lines[1]}
	[ "$(jfield "$j" 'j["sockaddrs"][0]["address"]')" = 'tcp:[::1]:443' ]
	[ "$(jfield "$j" 'j["sockaddrs"][0]["domain"]')" = AF_INET6 ]
	[ "$(jfield "$j" 'j["sockaddrs"][0]["length"]')" = 28 ]
}

@test "resolve unix path, abstract name (exact length), seqpacket, dgram" {
	run --separate-stderr "$SKIT" resolve unix:/tmp/skit-r.sock unix:@skit-abs \
		unix-seqpacket:@ctl unix-dgram:/tmp/d.sock
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq 'socket\(AF_UNIX, SOCK_STREAM, 0\) +unix:/tmp/skit-r\.sock$' <<<"$output"
	grep -Eq 'socket\(AF_UNIX, SOCK_STREAM, 0\) +unix:@skit-abs$' <<<"$output"
	grep -Eq 'socket\(AF_UNIX, SOCK_SEQPACKET, 0\) +unix-seqpacket:@ctl$' <<<"$output"
	grep -Eq 'socket\(AF_UNIX, SOCK_DGRAM, 0\) +unix-dgram:/tmp/d\.sock$' <<<"$output"
	run --separate-stderr "$SKIT" resolve --json unix:@skit-abs unix:/tmp/skit-r.sock
	[ "$status" -eq 0 ]
	# sun_family (2) + '\0' + "skit-abs": never the whole sun_path
	[ "$(jfield "${lines[0]}" 'j["sockaddrs"][0]["length"]')" = 11 ]
	[ "$(jfield "${lines[0]}" 'j["sockaddrs"][0]["address"]')" = unix:@skit-abs ]
	len=$(jfield "${lines[1]}" 'j["sockaddrs"][0]["length"]')
	[ "$len" -ge 18 ] && [ "$len" -le 19 ] # 2 + path, with or without NUL
}

@test "resolve vsock, packet lo, netlink route (text and json)" {
	run --separate-stderr "$SKIT" resolve vsock:2:1234 packet:lo netlink:route
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq 'socket\(AF_VSOCK, SOCK_STREAM, 0\) +vsock:2:1234$' <<<"$output"
	grep -Eq 'socket\(AF_PACKET, SOCK_RAW, htons\(ETH_P_ALL\)\) +packet' <<<"$output"
	grep -Eq 'socket\(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE\) +netlink' <<<"$output"
	run --separate-stderr "$SKIT" resolve --json vsock:2:1234 packet:lo,ethertype=0x0800 netlink:route
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/r.json"
	json_valid "$BATS_TEST_TMPDIR/r.json"
	[ "$(jfield "${lines[0]}" 'j["kind"]')" = vsock ]
	[ "$(jfield "${lines[0]}" 'j["sockaddrs"][0]["domain"]')" = AF_VSOCK ]
	[ "$(jfield "${lines[1]}" 'j["kind"]')" = packet ]
	[ "$(jfield "${lines[1]}" 'j["sockaddrs"][0]["protocol"]')" = 'htons(ETH_P_IP)' ]
	[ "$(jfield "${lines[1]}" 'j["options"]["ethertype"]')" = 2048 ]
	[ "$(jfield "${lines[2]}" 'j["kind"]')" = netlink ]
	[ "$(jfield "${lines[2]}" 'j["sockaddrs"][0]["protocol"]')" = NETLINK_ROUTE ]
	[ "$(jfield "${lines[2]}" 'j["sockaddrs"][0]["protocol_num"]')" = 0 ]
}

@test "resolve --listen tcp::0 is one dual-stack [::] socket" {
	need_ipv6
	run --separate-stderr "$SKIT" resolve --listen tcp::0
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq '^  role +listen$' <<<"$output"
	[ "$(grep -c 'socket(' <<<"$output")" -eq 1 ]
	grep -Eq 'socket\(AF_INET6, SOCK_STREAM, (0|IPPROTO_TCP)\) +tcp:\[::\]:0 +dual-stack \(IPV6_V6ONLY=0\)$' <<<"$output"
	run --separate-stderr "$SKIT" resolve --json -l tcp::0
	[ "$status" -eq 0 ]
	[ "$(jfield "$output" 'j["role"]')" = listen ]
	[ "$(jfield "$output" 'j["sockaddrs"][0]["note"]')" = 'dual-stack (IPV6_V6ONLY=0)' ]
	# the kind's own -listen suffix says the role without --listen
	run --separate-stderr "$SKIT" resolve tcp-listen::8080
	[ "$status" -eq 0 ]
	grep -Eq '^  role +listen$' <<<"$output"
	grep -Eq 'tcp:\[::\]:8080 +dual-stack' <<<"$output"
	# -4 and v6only=1 change the answer
	run --separate-stderr "$SKIT" resolve -4 --listen tcp::0
	[ "$status" -eq 0 ]
	grep -Eq 'socket\(AF_INET, SOCK_STREAM, (0|IPPROTO_TCP)\) +tcp:0\.0\.0\.0:0$' <<<"$output"
	run --separate-stderr "$SKIT" resolve --listen tcp::0,v6only=1
	[ "$status" -eq 0 ]
	grep -Eq 'tcp:\[::\]:0 +IPv6 only' <<<"$output"
}

@test "resolve shows options with their values" {
	run --separate-stderr "$SKIT" resolve -n tcp:127.0.0.1:80,nodelay,rcvbuf=64k,connect-timeout=2
	echo "$output"
	[ "$status" -eq 0 ]
	opts=$(grep -E '^  options ' <<<"$output")
	[[ "$opts" == *" nodelay"* ]]
	[[ "$opts" == *" rcvbuf=65536"* ]]
	[[ "$opts" == *" connect-timeout=2000ms"* ]]
	run --separate-stderr "$SKIT" resolve --json -n tcp:127.0.0.1:80,nodelay,rcvbuf=64k
	[ "$status" -eq 0 ]
	[ "$(jfield "$output" 'j["options"]["nodelay"]')" = True ]
	[ "$(jfield "$output" 'j["options"]["rcvbuf"]')" = 65536 ]
	run --separate-stderr "$SKIT" resolve unix:/tmp/x.sock
	grep -Eq '^  options +\(none\)$' <<<"$output"
}

@test "resolve -4 / -6 pick the family of a name" {
	in_hosts_ns '"$SKIT" resolve -4 tcp:myhost:80; "$SKIT" resolve -6 tcp:myhost:80'
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq 'socket\(AF_INET, .* tcp:127\.0\.0\.1:80$' <<<"$output"
	grep -Eq 'socket\(AF_INET6, .* tcp:\[::1\]:80$' <<<"$output"
	[ "$(grep -c 'socket(' <<<"$output")" -eq 2 ]
}

@test "resolve a name from a bind-mounted hosts file: every address" {
	in_hosts_ns '"$SKIT" resolve tcp:myhost:80'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tcp:myhost:80 ]
	grep -Eq 'tcp:127\.0\.0\.1:80$' <<<"$output"
	grep -Eq 'tcp:\[::1\]:80$' <<<"$output"
	in_hosts_ns '"$SKIT" resolve --json tcp:myhost:80'
	[ "$status" -eq 0 ]
	[ "$(jfield "$output" 'sorted(s["address"] for s in j["sockaddrs"])')" = "['tcp:127.0.0.1:80', 'tcp:[::1]:80']" ]
}

@test "resolve a service name through /etc/services (no DNS)" {
	[ -r /etc/services ] && grep -qE '^http\s+80/tcp' /etc/services || skip "no http in /etc/services"
	run --separate-stderr "$SKIT" resolve -n tcp:127.0.0.1:http
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	grep -Eq 'tcp:127\.0\.0\.1:80$' <<<"$output"
}

@test "resolve: unknown name exits 3 (no DNS leaves: no network)" {
	in_hosts_ns '"$SKIT" resolve tcp:no-such-host.invalid:80'
	echo "status $status stderr $stderr"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"no-such-host.invalid"* ]]
	[ -z "$output" ]
	in_hosts_ns '"$SKIT" resolve --json tcp:no-such-host.invalid:80'
	[ "$status" -eq 3 ]
	[ "$(jfield "$output" 'j["ok"]')" = False ]
	[[ "$(jfield "$output" 'j["error"]')" == EAI_* ]]
	[ "$(jfield "$output" 'j["exit"]')" = 3 ]
}

@test "resolve -n refuses a name without looking it up (exit 3, hint)" {
	in_hosts_ns '"$SKIT" resolve -n tcp:myhost:80'
	echo "status $status stderr $stderr"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *myhost* ]]
	[[ "$stderr" == *"hint: -n"* ]]
}

@test "resolve: bad address exits 2 with the message and a caret at its column" {
	run --separate-stderr "$SKIT" resolve tcp:host
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	l1=$(sed -n 1p <<<"$stderr")
	l2=$(sed -n 2p <<<"$stderr")
	[[ "$l1" == "skit: bad address 'tcp:host'"* ]]
	[[ "$l2" =~ ^\ *\^$ ]]
	run --separate-stderr "$SKIT" resolve --json tcp:host
	[ "$status" -eq 2 ]
	col=$(jfield "$output" 'j["column"]')
	[ "$(jfield "$output" 'j["error"]')" = EADDR ]
	# the caret sits under character $col of the quoted text
	quote=$(awk '{ print index($0, "'"'"'") }' <<<"$l1")
	caret=$(awk '{ print index($0, "^") }' <<<"$l2")
	echo "quote at $quote, caret at $caret, column $col"
	[ "$caret" -eq $((quote + col)) ]
}

@test "resolve: bad option and port out of range are syntax errors" {
	run --separate-stderr "$SKIT" resolve tcp:127.0.0.1:65536
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"bad address"* ]]
	run --separate-stderr "$SKIT" resolve tcp:127.0.0.1:80,frobnicate
	[ "$status" -eq 2 ]
	[[ "$stderr" == *frobnicate* ]]
}

@test "resolve: every address is reported, exit code of the first failure" {
	run --separate-stderr "$SKIT" resolve --json -n tcp:127.0.0.1:1 tcp:bad unix:@ok
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jfield "${lines[0]}" 'j["ok"]')" = True ]
	[ "$(jfield "${lines[1]}" 'j["ok"]')" = False ]
	[ "$(jfield "${lines[2]}" 'j["ok"]')" = True ]
}

@test "resolve: non-socket kinds are explained without sockaddrs" {
	run --separate-stderr "$SKIT" resolve - exec:cat
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'not a socket address' <<<"$output")" -eq 2 ]
	run --separate-stderr "$SKIT" resolve --json exec:cat
	[ "$status" -eq 0 ]
	[ "$(jfield "$output" 'j["socket"]')" = False ]
	[ "$(jfield "$output" 'len(j["sockaddrs"])')" = 0 ]
}

@test "resolve: usage errors" {
	run "$SKIT" resolve
	[ "$status" -eq 2 ]
	[[ "$output" == *usage:* ]]
	run "$SKIT" resolve --bogus tcp:127.0.0.1:1
	[ "$status" -eq 2 ]
	run "$SKIT" resolve -4 'tcp6:[::1]:80'
	[ "$status" -eq 2 ]
	[[ "$output" == *"-4"* ]]
}

@test "resolve: the addresses it prints parse back to the same sockaddr" {
	for a in tcp:127.0.0.1:80 'tcp:[::1]:8080' unix:@skit-rt unix-seqpacket:/tmp/rt.sock vsock:3:99; do
		out=$("$SKIT" resolve --json -n "$a")
		back=$(jfield "$out" 'j["sockaddrs"][0]["address"]')
		out2=$("$SKIT" resolve --json -n "$back")
		[ "$(jfield "$out2" 'j["sockaddrs"][0]["address"]')" = "$back" ] ||
			{ echo "$a -> $back does not round-trip"; false; }
	done
}

@test "resolve: options may follow the addresses" {
	run --separate-stderr "$SKIT" resolve tcp:127.0.0.1:7 --json -n
	[ "$status" -eq 0 ]
	[ "$(jfield "$output" 'j["sockaddrs"][0]["address"]')" = tcp:127.0.0.1:7 ]
	run --separate-stderr "$SKIT" resolve tcp::7 -l
	[ "$status" -eq 0 ]
	grep -Eq '^  role +listen$' <<<"$output"
}

@test "resolve icmp: the ping socket, with its raw fallback noted" {
	run --separate-stderr "$SKIT" resolve -n icmp:127.0.0.1 'icmp6:[::1]'
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq 'socket\(AF_INET, SOCK_DGRAM, IPPROTO_ICMP\) +icmp:127\.0\.0\.1 +SOCK_RAW when ping_group_range refuses$' <<<"$output"
	grep -Eq 'socket\(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6\) ' <<<"$output"
}

@test "socat's TCP-LISTEN:PORT,bind=HOST listens on HOST" {
	run -0 "$SKIT" resolve -n 'TCP-LISTEN:8080,bind=127.0.0.1'
	[[ "$output" == *"canonical  tcp-listen:127.0.0.1:8080"* ]]
	skit_bg echo -v 'TCP-LISTEN:0,bind=127.0.0.1'
	[[ "$BG_ADDR" == tcp:127.0.0.1:* ]]
	run -0 bash -c "printf ping | '$SKIT' connect -q 1 tcp:127.0.0.1:$BG_PORT"
	[ "$output" = ping ]
	run -2 "$SKIT" resolve -n 'tcp-listen:127.0.0.1:80,bind=127.0.0.2'
	[[ "$output" == *"given twice"* ]]
}

teardown() {
	bg_cleanup
}
