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

# ifaces_lab: namespace A of ns_pair with more to show: a veth pair
# inside it (link names a peer) with its own group and txqlen, a bridge
# with a port (master) when the kernel has bridges, secondary and
# dynamic addresses, routes in several tables and of several types,
# static neighbours. Sets BRIDGE=1 when there is a bridge.
ifaces_lab() {
	ns_pair
	local a=(ip -n "$NS_A")
	"${a[@]}" link add v1 type veth peer name v2
	BRIDGE=
	if "${a[@]}" link add br9 type bridge 2>/dev/null; then
		BRIDGE=1
		"${a[@]}" link set v2 master br9
		"${a[@]}" link set br9 up
	fi
	"${a[@]}" link set v1 group 5 txqlen 77 up
	"${a[@]}" link set v2 up
	"${a[@]}" addr add 10.77.0.5/24 dev va
	"${a[@]}" addr add 10.79.0.1/24 dev v1 valid_lft 1000 preferred_lft 500
	"${a[@]}" addr add fd79::1/64 dev v1 valid_lft 1000 preferred_lft 0 nodad
	"${a[@]}" route add 10.9.0.0/16 via 10.77.0.2 metric 5
	"${a[@]}" route add 10.10.0.0/16 via 10.77.0.2 table 100 proto static
	"${a[@]}" route add blackhole 10.11.0.0/16
	"${a[@]}" route add unreachable 10.12.0.0/16 table 101
	"${a[@]}" route add 10.13.0.1 dev va src 10.77.0.5 scope link
	"${a[@]}" -6 route add fd80::/48 via fd77::2 metric 7 pref high
	"${a[@]}" neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev va
	"${a[@]}" neigh add 10.77.0.8 lladdr 02:00:00:00:00:08 dev va nud stale
	"${a[@]}" neigh add fd77::9 lladdr 02:00:00:00:00:0a dev va router nud reachable
}

# compare_ip SKIT_NDJSON IP_JSON KEYFIELDS...: every object ip printed has
# one in skit's output with the same key fields, and every field ip
# prints (but those skit leaves out on purpose) is the same there.
compare_ip() {
	python3 - "$@" <<'PY'
import json, sys
skit = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ip = json.load(open(sys.argv[2]))
keys = sys.argv[3:]
# ip's detail skit does not print; lifetimes count down by the second.
ignore = {"altnames", "linkinfo", "link_netnsid", "parentbus", "parentdev",
          "permaddr", "nexthops", "cache", "expires", "used"}
def k(o):
    return tuple(str(o.get(x)) for x in keys)
def same(a, b, where):
    if isinstance(b, dict):
        for f, v in b.items():
            if f in ignore:
                continue
            if f not in a:
                sys.exit("%s: skit lacks %r (ip: %r)" % (where, f, v))
            same(a[f], v, where + "." + f)
    elif isinstance(b, list) and b and isinstance(b[0], dict):
        if len(a) != len(b):
            sys.exit("%s: %d items, ip %d" % (where, len(a), len(b)))
        for x, y in zip(sorted(a, key=lambda o: o.get("local", "")),
                        sorted(b, key=lambda o: o.get("local", ""))):
            same(x, y, where)
    elif where.endswith("life_time") and b != 4294967295:
        if abs(a - b) > 3:
            sys.exit("%s: skit %r, ip %r" % (where, a, b))
    elif (sorted(a) if isinstance(a, list) else a) != \
            (sorted(b) if isinstance(b, list) else b):
        sys.exit("%s: skit %r, ip %r" % (where, a, b))
by = {}
for o in skit:
    by.setdefault(k(o), []).append(o)
for o in ip:
    c = by.get(k(o))
    if not c:
        sys.exit("skit has nothing for %r: %r" % (k(o), o))
    same(c.pop(0), o, repr(k(o)))
left = [o for v in by.values() for o in v]
if left:
    sys.exit("skit has more than ip: %r" % left)
print("compared", len(ip))
PY
}

@test "ifaces --json carries what ip -j addr has: qdisc, group, txqlen, link, master, lifetimes, address flags" {
	need_netns
	need_cmd python3
	ifaces_lab
	ip netns exec "$NS_A" "$SKIT" ifaces --json >"$BATS_TEST_TMPDIR/skit.json"
	ip -n "$NS_A" -j addr >"$BATS_TEST_TMPDIR/ip.json"
	compare_ip "$BATS_TEST_TMPDIR/skit.json" "$BATS_TEST_TMPDIR/ip.json" ifname
	d=$(jq -c 'select(.ifname=="v1")' "$BATS_TEST_TMPDIR/skit.json")
	[ "$(jq -r .group <<<"$d")" = 5 ]
	[ "$(jq -r .txqlen <<<"$d")" = 77 ]
	[ "$(jq -r .link <<<"$d")" = v2 ]
	[ "$(jq -r .qdisc <<<"$d")" = noqueue ]
	[ "$(jq -r '.addr_info[] | select(.local=="10.79.0.1") | .dynamic' <<<"$d")" = true ]
	[ "$(jq -r '.addr_info[] | select(.local=="fd79::1") | .deprecated' <<<"$d")" = true ]
	[ -z "$BRIDGE" ] ||
		[ "$(jq -r 'select(.ifname=="v2") | .master' "$BATS_TEST_TMPDIR/skit.json")" = br9 ]
	[ "$(jq -r 'select(.ifname=="va") | .addr_info[] | select(.local=="10.77.0.5") | .secondary' "$BATS_TEST_TMPDIR/skit.json")" = true ]
}

@test "ifaces --routes matches ip route show table all, as text and field by field in JSON" {
	need_netns
	need_cmd python3
	ifaces_lab
	# (Expiry counts down by the second: compared without its value.)
	run ip netns exec "$NS_A" "$SKIT" ifaces --routes
	[ "$status" -eq 0 ]
	[[ "$output" == *"fd79::/64 dev v1 proto kernel metric 256 expires "*"sec pref medium"* ]]
	diff <(sed 's/expires [0-9]*sec/expires N/' <<<"$output") \
		<(ip -n "$NS_A" route show table all | sed -e 's/ *$//' -e 's/expires [0-9]*sec/expires N/')
	ip netns exec "$NS_A" "$SKIT" ifaces --routes --json >"$BATS_TEST_TMPDIR/skit.json"
	ip -n "$NS_A" -j route show table all >"$BATS_TEST_TMPDIR/ip.json"
	json_valid "$BATS_TEST_TMPDIR/skit.json"
	compare_ip "$BATS_TEST_TMPDIR/skit.json" "$BATS_TEST_TMPDIR/ip.json" type dst dev table
	grep -q '"type":"blackhole","dst":"10.11.0.0/16"' "$BATS_TEST_TMPDIR/skit.json"
	grep -q '"dst":"fd80::/48","gateway":"fd77::2"' "$BATS_TEST_TMPDIR/skit.json"
	# One interface's routes only.
	run ip netns exec "$NS_A" "$SKIT" ifaces --routes v1
	[ "$status" -eq 0 ]
	diff <(sed 's/expires [0-9]*sec/expires N/' <<<"$output") \
		<(ip -n "$NS_A" route show table all dev v1 |
			sed -e 's/ *$//' -e 's/expires [0-9]*sec/expires N/' \
				-e 's/^\(\(local \|broadcast \|multicast \)\?[^ ]*\)/\1 dev v1/')
}

@test "ifaces --neigh matches ip neigh, as text and field by field in JSON" {
	need_netns
	need_cmd python3
	ifaces_lab
	run ip netns exec "$NS_A" "$SKIT" ifaces --neigh
	[ "$status" -eq 0 ]
	diff <(echo "$output") <(ip -n "$NS_A" neigh | sed 's/ *$//')
	ip netns exec "$NS_A" "$SKIT" ifaces --neigh --json >"$BATS_TEST_TMPDIR/skit.json"
	ip -n "$NS_A" -j neigh >"$BATS_TEST_TMPDIR/ip.json"
	compare_ip "$BATS_TEST_TMPDIR/skit.json" "$BATS_TEST_TMPDIR/ip.json" dst dev
	[ "$(jq -r 'select(.dst=="fd77::9") | .state[0]' "$BATS_TEST_TMPDIR/skit.json")" = REACHABLE ]
	run "$SKIT" ifaces --routes --neigh
	[ "$status" -eq 2 ]
}

@test "ifaces --watch --routes --neigh reports routes and neighbours as they change" {
	need_netns
	ns_pair
	# The neighbour's deletion comes as a FAILED entry (not always: the
	# kernel may skip it), then deleted: wait for the last line rather
	# than count events.
	ns_bg "$NS_A" -v ifaces --watch --routes --neigh va
	ip -n "$NS_A" route add 10.66.0.0/16 via 10.77.0.2
	ip -n "$NS_A" neigh add 10.77.0.66 lladdr 02:00:00:00:00:66 dev va
	ip -n "$NS_A" neigh del 10.77.0.66 dev va
	ip -n "$NS_A" route del 10.66.0.0/16
	for i in $(seq 200); do
		grep -q '^deleted route 10.66.0.0/16' "$BG_OUT" && break
		sleep 0.05
	done
	kill "$BG_PID"
	wait_exit "$BG_PID" 10
	cat "$BG_OUT"
	[ "$WAIT_RC" -eq 143 ]
	grep -qx 'new route 10.66.0.0/16 via 10.77.0.2 dev va' "$BG_OUT"
	grep -qx 'neigh 10.77.0.66 dev va lladdr 02:00:00:00:00:66 PERMANENT' "$BG_OUT"
	grep -q '^deleted neigh 10.77.0.66 dev va' "$BG_OUT"
	grep -qx 'deleted route 10.66.0.0/16 via 10.77.0.2 dev va' "$BG_OUT"

	ns_bg "$NS_A" -v ifaces --watch --routes --json -c 1
	ip -n "$NS_A" route add 10.67.0.0/16 via 10.77.0.2 table 7
	wait_exit "$BG_PID" 10
	cat "$BG_OUT"
	json_valid "$BG_OUT"
	[ "$(jq -r .what "$BG_OUT")" = route ]
	[ "$(jq -r .dst "$BG_OUT")" = 10.67.0.0/16 ]
	[ "$(jq -r .table "$BG_OUT")" = 7 ]
	[ "$(jq -r .gateway "$BG_OUT")" = 10.77.0.2 ]
}
