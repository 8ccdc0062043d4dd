#!/usr/bin/env bats
# Multicast and broadcast address options between two namespaces joined
# by a veth pair (va 10.77.0.1, fd77::1 in A; vb 10.77.0.2, fd77::2 in
# B): join= on an interface, join-source= (SSM), IPv6 ff02:: groups with
# a scope, multicast-ttl=, multicast-loop=, broadcast; in send, recv,
# listen -u and relay.
load helpers
load netns_low

teardown() {
	bg_cleanup
	ns_cleanup
}

# gets NS ADDR TO PAYLOAD: a skit recv on ADDR in NS gets the PAYLOAD
# that skit send in A sends to TO (its stderr stays in $BG_ERR).
gets() {
	ns_bg "$1" -v recv -c 1 -t 5 "$2"
	ip netns exec "$NS_A" "$SKIT" send "$3" "$4"
	wait_exit "$BG_PID" 10
	cat "$BG_ERR"
	[ "$WAIT_RC" -eq 0 ] && [ "$(cat "$BG_OUT")" = "$4" ]
}

# misses NS ADDR TO: what skit send in A sends to TO does not reach a
# skit recv on ADDR in NS (it times out after 1 s, exit 5).
misses() {
	ns_bg "$1" -v recv -c 1 -t 1 "$2"
	ip netns exec "$NS_A" "$SKIT" send "$3" x
	wait_exit "$BG_PID" 10
	[ "$WAIT_RC" -eq 5 ] && [ ! -s "$BG_OUT" ]
}

# ll_ready NS DEV: wait (at most 5 s) until DEV has its IPv6 link-local
# address: until then the kernel drops IPv6 multicast it would send.
ll_ready() {
	for i in $(seq 1 100); do
		ip -n "$1" -6 addr show dev "$2" scope link | grep -v tentative |
			grep -q 'inet6 fe80' && return 0
		sleep 0.05
	done
	return 1
}

@test "join: a group on an interface, with multicast-ttl= (the TTL seen on the wire)" {
	need_netns
	ns_pair
	ns_bg "$NS_B" -v sniff -i vb -c 1 --json 'udp dst port 5000'
	sniff_pid=$BG_PID sniff_out=$BG_OUT
	gets "$NS_B" 'udp:239.1.2.3:5000,join=239.1.2.3,iface=vb' \
		'udp:239.1.2.3:5000,iface=va,multicast-ttl=7' hello
	grep -q 'from udp:10.77.0.1:' "$BG_ERR"
	wait_exit "$sniff_pid" 10
	[ "$(jq -r 'select(.event=="packet") | .ttl' "$sniff_out")" = 7 ]
	[ "$(jq -r 'select(.event=="packet") | .dst' "$sniff_out")" = 239.1.2.3 ]
	# Without join= nothing is delivered to a socket bound to the group.
	misses "$NS_B" 'udp:239.1.2.4:5000' 'udp:239.1.2.4:5000,iface=va'
}

@test "join-source: only the named source's datagrams (SSM)" {
	need_netns
	ns_pair
	gets "$NS_B" 'udp:232.1.1.1:5002,join=232.1.1.1,join-source=10.77.0.1,iface=vb' \
		'udp:232.1.1.1:5002,iface=va' ssm
	# Another source: the kernel drops it.
	misses "$NS_B" 'udp:232.1.1.1:5003,join-source=10.77.0.9,iface=vb' \
		'udp:232.1.1.1:5003,iface=va'
}

@test "IPv6: an ff02:: group with the interface as its scope" {
	need_netns
	ns_pair
	ll_ready "$NS_A" va
	ll_ready "$NS_B" vb
	gets "$NS_B" 'udp:[ff02::1:3%vb]:5001,join=ff02::1:3%vb' \
		'udp:[ff02::1:3%va]:5001,multicast-ttl=1' hi6
	grep -q 'from udp:\[fe80::[0-9a-f:]*%vb\]:' "$BG_ERR"
	# A global group with iface= instead of a scope.
	gets "$NS_B" 'udp6::5006,join=ff05::1:4,iface=vb' 'udp:[ff05::1:4]:5006,iface=va' hi
}

@test "multicast-loop: our own datagrams come back unless turned off" {
	need_netns
	ns_pair
	gets "$NS_A" 'udp:239.1.2.5:5007,join=239.1.2.5,iface=va' \
		'udp:239.1.2.5:5007,iface=va' looped
	# Turned off: B gets it, a member in A does not.
	ns_bg "$NS_A" -v recv -c 1 -t 1 'udp:239.1.2.5:5007,join=239.1.2.5,iface=va'
	local_pid=$BG_PID local_out=$BG_OUT
	gets "$NS_B" 'udp:239.1.2.5:5007,join=239.1.2.5,iface=vb' \
		'udp:239.1.2.5:5007,iface=va,multicast-loop=0' away
	wait_exit "$local_pid" 10
	[ "$WAIT_RC" -eq 5 ]
	[ ! -s "$local_out" ]
}

@test "broadcast: refused without it (exit 6, a hint), subnet and limited broadcast with it" {
	need_netns
	ns_pair
	run ip netns exec "$NS_A" "$SKIT" send 'udp:10.77.0.255:5008' b
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"hint: a broadcast address needs ,broadcast"* ]]
	gets "$NS_B" 'udp::5008' 'udp:10.77.0.255:5008,broadcast' subnet
	gets "$NS_B" 'udp::5009' 'udp:255.255.255.255:5009,so-broadcast,bindtodevice=va' limited
}

@test "listen -u and relay join groups too; bad values and wrong kinds are refused" {
	need_netns
	ns_pair
	ns_bg "$NS_B" -v listen -u 'udp:239.1.2.6:5010,join=239.1.2.6,iface=vb'
	lpid=$BG_PID lout=$BG_OUT
	ns_bg "$NS_B" -v relay 'udp-listen:239.1.2.7:5011,ip-add-membership=239.1.2.7:vb' \
		"file:$BATS_TEST_TMPDIR/relayed,create"
	rpid=$BG_PID
	ip netns exec "$NS_A" "$SKIT" send 'udp:239.1.2.6:5010,iface=va' to-listen
	ip netns exec "$NS_A" "$SKIT" send 'udp:239.1.2.7:5011,iface=va' to-relay
	for i in $(seq 1 100); do
		grep -q to-listen "$lout" && grep -qs to-relay "$BATS_TEST_TMPDIR/relayed" && break
		sleep 0.05
	done
	grep -q to-listen "$lout"
	grep -q to-relay "$BATS_TEST_TMPDIR/relayed"
	kill "$lpid" "$rpid"

	run "$SKIT" send 'udp:127.0.0.1:9,join=10.1.1.1' x
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"join=10.1.1.1: not an IPv4 multicast group"* ]]
	run "$SKIT" send 'udp:239.1.1.1:9,iface=nosuch0' x
	[ "$status" -eq 4 ]
	[[ "$output" == *"iface=nosuch0: no such interface"* ]]
	run "$SKIT" send 'tcp:127.0.0.1:9,join=239.1.1.1' x
	[ "$status" -eq 2 ]
	run "$SKIT" connect 'udp:127.0.0.1:9,join=239.1.1.1'
	[ "$status" -eq 2 ]
	[[ "$output" == *"option 'join' does not apply to 'skit connect'"* ]]
	run "$SKIT" send 'udp:239.1.1.1:9,multicast-ttl=256' x
	[ "$status" -eq 2 ]
}
