#!/usr/bin/env bats
# skit ifaces: NETLINK_ROUTE dumps compared with `ip -j addr` inside a
# test namespace, brief/text output, and --watch.
load helpers
load netns_low

teardown() {
	bg_cleanup
	ns_cleanup
	public_cleanup
}

@test "ifaces --json matches ip -j addr (names, indexes, MTU, MAC, addresses)" {
	need_netns
	need_cmd python3
	ns_pair
	ip -n "$NS_A" link set va mtu 1400
	ip -n "$NS_A" addr add 10.77.5.1/16 dev va
	ip -n "$NS_A" link add dummy9 type dummy 2>/dev/null || true
	ip netns exec "$NS_A" "$SKIT" ifaces --json >"$BATS_TEST_TMPDIR/skit.json"
	ip -n "$NS_A" -j addr >"$BATS_TEST_TMPDIR/ip.json"
	json_valid "$BATS_TEST_TMPDIR/skit.json"
	python3 - "$BATS_TEST_TMPDIR/skit.json" "$BATS_TEST_TMPDIR/ip.json" <<'PY'
import json, sys
skit = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ip = json.load(open(sys.argv[2]))
def key(i):
    return (i["ifindex"], i["ifname"], i["mtu"], i.get("address"),
            i["operstate"],
            sorted((a["family"], a["local"], a["prefixlen"], a["scope"])
                   for a in i["addr_info"]))
a = sorted(map(key, skit))
b = sorted(map(key, ip))
if a != b:
    print("skit:", a, "\nip:  ", b)
    sys.exit(1)
flags = {i["ifname"]: i["flags"] for i in ip}
for i in skit:
    if sorted(i["flags"]) != sorted(flags[i["ifname"]]):
        print("flags differ", i["ifname"], i["flags"], flags[i["ifname"]])
        sys.exit(1)
names = [i["ifname"] for i in skit]
assert "va" in names and "lo" in names, names
PY
}

@test "ifaces text and brief output; one interface; unknown interface" {
	need_netns
	ns_pair
	run ip netns exec "$NS_A" "$SKIT" ifaces
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9]+:\ va\ +UP\ +mtu\ 1500\ +[0-9a-f:]{17}\ \<BROADCAST,MULTICAST,UP,LOWER_UP\> ]]
	[[ "$output" == *"inet  10.77.0.1/24 scope global"* ]]
	[[ "$output" == *"inet6 fd77::1/64 scope global"* ]]
	[[ "$output" == *"inet  127.0.0.1/8 scope host"* ]]
	run ip netns exec "$NS_A" "$SKIT" ifaces -b va
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^va\ +UP\ +10\.77\.0\.1/24\ fd77::1/64\ fe80:: ]]
	run ip netns exec "$NS_A" "$SKIT" ifaces nope0
	[ "$status" -eq 4 ]
	[[ "$output" == *"no interface 'nope0'"* ]]
}

@test "ifaces --watch reports an address the test adds, and its removal" {
	need_netns
	ns_pair
	ns_bg "$NS_A" -v ifaces --watch -c 2 va
	ip -n "$NS_A" addr add 10.77.9.9/24 dev va
	ip -n "$NS_A" addr del 10.77.9.9/24 dev va
	wait_exit "$BG_PID" 10
	cat "$BG_OUT"
	[ "$WAIT_RC" -eq 0 ]
	grep -q '^new address [0-9]*: va inet 10.77.9.9/24 scope global$' "$BG_OUT"
	grep -q '^deleted address [0-9]*: va inet 10.77.9.9/24 scope global$' "$BG_OUT"

	ns_bg "$NS_A" -v ifaces --watch --json -c 1
	ip -n "$NS_A" addr add fd77::99/64 dev va nodad
	wait_exit "$BG_PID" 10
	cat "$BG_OUT"
	json_valid "$BG_OUT"
	[ "$(jq -r .event "$BG_OUT")" = new ]
	[ "$(jq -r .ifname "$BG_OUT")" = va ]
	[ "$(jq -r .addr_info.local "$BG_OUT")" = fd77::99 ]
	[ "$(jq -r .addr_info.prefixlen "$BG_OUT")" = 64 ]
}

@test "ifaces works without privileges" {
	need_root
	command -v setpriv >/dev/null || skip "needs setpriv"
	public_skit
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$SKIT_PUBLIC" ifaces --json lo
	[ "$status" -eq 0 ]
	[ "$(jq -r .ifname <<<"$output")" = lo ]
}
