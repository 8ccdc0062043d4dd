#!/usr/bin/env bats
# skit probe: the socket() combination table, its errnos and explanations,
# the environment section, --json, and what changes without privileges.
load helpers

# py_socket DOMAIN TYPE PROTO: what python3's socket() says: ok or ENAME.
py_socket() {
	python3 -c '
import errno, socket, sys
d, t, p = (int(x) for x in sys.argv[1:4])
try:
    socket.socket(d, t, p).close()
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
' "$@"
}

# row DOMAIN TYPE PROTOCOL: the text row for that combination.
row() {
	awk -v d="$1" -v t="$2" -v p="$3" '$1 == d && $2 == t && $3 == p' \
		<<<"$output"
}

@test "probe: AF_UNIX SOCK_SEQPACKET is ok" {
	run --separate-stderr "$SKIT" probe
	[ "$status" -eq 0 ]
	r=$(row AF_UNIX SOCK_SEQPACKET 0)
	[ -n "$r" ]
	[ "$(awk '{print $4}' <<<"$r")" = ok ]
}

@test "probe: AF_INET SOCK_SEQPACKET fails with the errno socket() gives" {
	want=$(py_socket 2 5 0)
	[ -n "$want" ]
	[ "$want" != ok ] || skip "this kernel has SEQPACKET over IP (sctp loaded)"
	run --separate-stderr "$SKIT" probe
	[ "$status" -eq 0 ]
	r=$(row AF_INET SOCK_SEQPACKET 0)
	echo "row: $r; python: $want"
	[ "$(awk '{print $4}' <<<"$r")" = "$want" ]
	if [ "$want" = ESOCKTNOSUPPORT ]; then
		[[ "$r" == *"type not supported by this family"* ]]
	fi
}

@test "probe: every row agrees with python3's socket() for a sample" {
	run --separate-stderr "$SKIT" probe --no-env
	[ "$status" -eq 0 ]
	# domain type proto as numbers, and as the table spells them
	while read -r d t p dn tn pn; do
		want=$(py_socket "$d" "$t" "$p")
		got=$(row "$dn" "$tn" "$pn" | awk '{print $4}')
		echo "$dn $tn $pn: skit $got, python $want"
		[ "$got" = "$want" ]
	done <<-'EOF'
		1 1 0 AF_UNIX SOCK_STREAM 0
		1 2 0 AF_UNIX SOCK_DGRAM 0
		2 1 6 AF_INET SOCK_STREAM IPPROTO_TCP
		2 2 17 AF_INET SOCK_DGRAM IPPROTO_UDP
		2 1 17 AF_INET SOCK_STREAM IPPROTO_UDP
		2 1 132 AF_INET SOCK_STREAM IPPROTO_SCTP
		40 2 0 AF_VSOCK SOCK_DGRAM 0
		30 4 0 AF_TIPC SOCK_RDM 0
		16 3 0 AF_NETLINK SOCK_RAW NETLINK_ROUTE
	EOF
}

@test "probe: at least 25 rows, aligned, failures carry an explanation" {
	run --separate-stderr "$SKIT" probe --no-env
	[ "$status" -eq 0 ]
	# the table is everything before the first blank line (hints follow)
	output=$(sed '/^$/q' <<<"$output" | sed '/^$/d')
	mapfile -t lines <<<"$output"
	[ "${lines[0]%% *}" = DOMAIN ]
	n=$((${#lines[@]} - 1))
	echo "rows: $n"
	[ "$n" -ge 25 ]
	# the RESULT column starts at the same offset on every line
	col=$(awk 'NR == 1 { print index($0, "RESULT") }' <<<"$output")
	bad=$(awk -v c="$col" 'NR > 1 && substr($0, c - 2, 2) != "  "' <<<"$output")
	[ -z "$bad" ]
	# every failing row has an errno name and a reason after it
	fails=$(awk 'NR > 1 && $4 != "ok"' <<<"$output")
	[ -n "$fails" ]
	while read -r d t p res why; do
		[[ "$res" == E[A-Z]* ]]
		[ -n "$why" ]
	done <<<"$fails"
}

@test "probe: environment shows sysctls, fd limits and capabilities" {
	run --separate-stderr "$SKIT" probe
	[ "$status" -eq 0 ]
	for k in net.ipv4.ping_group_range net.ipv4.ip_unprivileged_port_start \
		net.ipv6.bindv6only net.core.somaxconn net.ipv4.tcp_fastopen \
		RLIMIT_NOFILE CAP_NET_RAW CAP_NET_ADMIN CAP_NET_BIND_SERVICE; do
		grep -q "^  $k " <<<"$output" || { echo "missing $k"; false; }
	done
	somax=$(cat /proc/sys/net/core/somaxconn)
	grep -Eq "^  net.core.somaxconn +$somax " <<<"$output"
	lim="$(ulimit -Sn)/$(ulimit -Hn)"
	grep -Eq "^  RLIMIT_NOFILE +$lim " <<<"$output"
}

@test "probe --json: valid NDJSON with the expected keys" {
	"$SKIT" probe --json >"$BATS_TEST_TMPDIR/p.json"
	json_valid "$BATS_TEST_TMPDIR/p.json"
	python3 - "$BATS_TEST_TMPDIR/p.json" <<-'EOF'
		import json, sys
		recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
		rows = [r for r in recs if r["event"] == "socket"]
		envs = [r for r in recs if r["event"] == "environment"]
		assert len(rows) >= 25, len(rows)
		assert len(envs) == 1
		keys = {"domain", "type", "protocol", "domain_num", "type_num",
		        "protocol_num", "what", "ok", "errno", "explanation", "fix"}
		for r in rows:
		    assert keys <= set(r), r
		    assert r["ok"] == (r["errno"] is None), r
		    assert isinstance(r["explanation"], str) and r["explanation"]
		    assert r["fix"] is None or (not r["ok"] and isinstance(r["fix"], str))
		u = [r for r in rows if r["domain"] == "AF_UNIX" and r["type"] == "SOCK_SEQPACKET"]
		assert u and u[0]["ok"], u
		i = [r for r in rows if r["domain"] == "AF_INET" and r["type"] == "SOCK_SEQPACKET"
		     and r["protocol"] == "0"]
		assert i and i[0]["type_num"] == 5
		e = envs[0]
		for k in ("net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
		          "net.ipv6.bindv6only", "net.core.somaxconn", "net.ipv4.tcp_fastopen"):
		    assert k in e["sysctl"], k
		for k in ("CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"):
		    assert k in e["capabilities"], k
		assert "nofile_soft" in e and "nofile_hard" in e
	EOF
}

@test "probe --only and --family filter rows" {
	# The socket table is the first; the feature rows (JSON) follow.
	run --separate-stderr "$SKIT" probe --no-env --only ok
	[ "$status" -eq 0 ]
	[ -z "$(awk '/^$/ { exit } NR > 1 && $4 != "ok"' <<<"$output")" ]
	run --separate-stderr "$SKIT" probe --no-env --json --only ok
	[ -z "$(jq -c 'select(.ok != true)' <<<"$output")" ]
	run --separate-stderr "$SKIT" probe --no-env --only failed
	[ "$status" -eq 0 ]
	[ -z "$(awk '/^$/ { exit } NR > 1 && $4 == "ok"' <<<"$output")" ]
	run --separate-stderr "$SKIT" probe --no-env --json --only failed
	[ -z "$(jq -c 'select(.ok != false)' <<<"$output")" ]
	run --separate-stderr "$SKIT" probe --no-env --json -f unix,AF_NETLINK
	[ -z "$(jq -c 'select(.domain != "AF_UNIX" and .domain != "AF_NETLINK")' <<<"$output")" ]
	run --separate-stderr "$SKIT" probe --no-env -f unix,AF_NETLINK
	[ "$status" -eq 0 ]
	[ -z "$(awk '/^$/ { exit } NR > 1 && $1 != "AF_UNIX" && $1 != "AF_NETLINK"' <<<"$output")" ]
	grep -q '^AF_UNIX ' <<<"$output"
	grep -q '^AF_NETLINK ' <<<"$output"
}

@test "probe: bad options are usage errors (exit 2)" {
	run "$SKIT" probe --only maybe
	[ "$status" -eq 2 ]
	[[ "$output" == *"--only"* ]]
	run "$SKIT" probe -f ""
	[ "$status" -eq 2 ]
	run "$SKIT" probe -f nosuchfamily
	[ "$status" -eq 2 ]
	[[ "$output" == *"nosuchfamily"* ]]
	run "$SKIT" probe extra
	[ "$status" -eq 2 ]
	run "$SKIT" probe --bogus
	[ "$status" -eq 2 ]
}

@test "probe as root: CAP_NET_RAW present and raw rows ok" {
	need_root
	grep -q '^CapEff:.*' /proc/self/status
	[ "$(py_socket 2 3 1)" = ok ] || skip "raw sockets refused even to root here"
	run --separate-stderr "$SKIT" probe
	[ "$status" -eq 0 ]
	grep -Eq '^  CAP_NET_RAW +yes ' <<<"$output"
	r=$(row AF_INET SOCK_RAW IPPROTO_ICMP)
	[ "$(awk '{print $4}' <<<"$r")" = ok ]
	[[ "$r" == *"CAP_NET_RAW present"* ]]
}

# A copy of the binary nobody can run, for setpriv.
nobody_skit() {
	NOBODY_DIR=$(mktemp -d /tmp/skit-probe.XXXXXX)
	chmod 755 "$NOBODY_DIR"
	cp "$SKIT" "$NOBODY_DIR/skit"
	chmod 755 "$NOBODY_DIR/skit"
}

teardown() {
	[ -z "${NOBODY_DIR:-}" ] || rm -rf "$NOBODY_DIR"
}

@test "probe unprivileged: raw rows fail with a needs-CAP_NET_RAW reason" {
	need_root
	need_cmd setpriv
	nobody_skit
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NOBODY_DIR/skit" probe
	[ "$status" -eq 0 ]
	grep -Eq '^  CAP_NET_RAW +no ' <<<"$output"
	grep -Eq '^  uid/gid +65534/65534 ' <<<"$output"
	for spec in "AF_INET SOCK_RAW IPPROTO_ICMP" "AF_INET6 SOCK_RAW IPPROTO_ICMPV6" \
		"AF_PACKET SOCK_RAW 0"; do
		r=$(row $spec)
		echo "$spec: $r"
		res=$(awk '{print $4}' <<<"$r")
		[ "$res" = EPERM ] || [ "$res" = EACCES ]
		[[ "$r" == *"needs CAP_NET_RAW"* ]]
	done
	# unix sockets need nothing
	[ "$(row AF_UNIX SOCK_STREAM 0 | awk '{print $4}')" = ok ]
	# and the hints section says how to get the capability
	sed -n '/^hints:/,/^$/p' <<<"$output" | grep -q 'setcap cap_net_raw+ep'
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NOBODY_DIR/skit" probe --json -f inet
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
raw = [r for r in rows if r.get("type") == "SOCK_RAW"]
assert raw and all(not r["ok"] and "cap_net_raw" in r["fix"] for r in raw), raw
' <<<"$output"
}

@test "probe: ICMP ping sockets follow ping_group_range (in a netns)" {
	need_root
	need_cmd unshare
	unshare -n true 2>/dev/null || skip "cannot create a network namespace"
	run --separate-stderr unshare -n sh -c '
		echo "1 0" >/proc/sys/net/ipv4/ping_group_range &&
		"$SKIT" probe -f inet --no-env'
	[ "$status" -eq 0 ]
	r=$(row AF_INET SOCK_DGRAM IPPROTO_ICMP)
	echo "closed: $r"
	[ "$(awk '{print $4}' <<<"$r")" = EACCES ]
	[[ "$r" == *"blocked by net.ipv4.ping_group_range (1 0)"* ]]
	grep -q 'sysctl -w net.ipv4.ping_group_range=' <<<"$output"
	run --separate-stderr unshare -n sh -c '
		echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range &&
		"$SKIT" probe -f inet --no-env'
	[ "$status" -eq 0 ]
	r=$(row AF_INET SOCK_DGRAM IPPROTO_ICMP)
	echo "open: $r"
	[ "$(awk '{print $4}' <<<"$r")" = ok ]
	[[ "$r" == *"ping_group_range 0 2147483647"* ]]
}

@test "probe: colour only on a terminal, never with NO_COLOR" {
	need_cmd script
	run "$SKIT" probe -f unix --no-env
	[[ "$output" != *$'\033['* ]]
	run script -qec "$SKIT probe -f unix --no-env" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\033[32mok'* ]]
	NO_COLOR=1 run script -qec "$SKIT probe -f unix --no-env" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *ok* ]]
	[[ "$output" != *$'\033['* ]]
}

# feature WHAT: the JSON record of one feature row in $output.
feature() {
	python3 -c '
import json, sys
for l in sys.stdin:
    if not l.startswith("{"):
        continue
    r = json.loads(l)
    if r.get("event") == "feature" and r["what"] == sys.argv[1]:
        print(json.dumps(r))
' "$1" <<<"$output"
}

@test "probe features: sock_diag per kind, multicast per interface, who may capture" {
	need_root
	need_cmd unshare
	need_cmd python3
	unshare -n true 2>/dev/null || skip "cannot create a network namespace"
	# A namespace whose lo has no MULTICAST flag, then has it.
	run --separate-stderr unshare -n sh -c '
		ip link set lo up && ip link set lo multicast off &&
		"$SKIT" probe --json --no-env -f netlink,inet,packet &&
		ip link set lo multicast on && "$SKIT" probe --no-env -f inet'
	echo "$output"
	[ "$status" -eq 0 ]
	r=$(feature "sock_diag tcp (IPv4)")
	[ "$(jq -r .ok <<<"$r")" = true ]
	[ "$(jq -r .domain <<<"$r")" = AF_NETLINK ]
	r=$(feature "sock_diag raw (IPv4)")
	# raw_diag may be missing: then the reason and the module to load.
	[ "$(jq -r .ok <<<"$r")" = true ] ||
		[[ "$(jq -r .fix <<<"$r")" == "modprobe raw_diag"* ]]
	r=$(feature "multicast on lo")
	[ "$(jq -r .ok <<<"$r")" = false ]
	[[ "$(jq -r .explanation <<<"$r")" == "no MULTICAST flag"* ]]
	[ "$(jq -r .fix <<<"$r")" = "ip link set lo multicast on" ]
	r=$(feature "capture (this process)")
	[ "$(jq -r .ok <<<"$r")" = true ]
	grep -Eq '^multicast on lo +ok +MULTICAST and up' <<<"$output"
	grep -Eq '^FEATURE +RESULT +EXPLANATION' <<<"$output"

	# Unprivileged: the reason and the hint; with the file capability
	# every user may capture.
	command -v setpriv >/dev/null || skip "needs setpriv"
	nobody_skit
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$NOBODY_DIR/skit" probe --no-env -f packet
	echo "$output"
	grep -Eq '^capture \(this process\) +EPERM +skit sniff needs CAP_NET_RAW' <<<"$output"
	grep -Eq '^capture \(unprivileged users\) +EPERM' <<<"$output"
	grep -Eq 'hint: setcap cap_net_raw\+ep on the skit binary' <<<"$output"
	command -v setcap >/dev/null || skip "needs setcap"
	setcap cap_net_raw+ep "$NOBODY_DIR/skit" 2>/dev/null || skip "no file capabilities here"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NOBODY_DIR/skit" probe --no-env -f packet
	echo "$output"
	grep -Eq '^capture \(unprivileged users\) +ok +this binary has the file capability' <<<"$output"
}
