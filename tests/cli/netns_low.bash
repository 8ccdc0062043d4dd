# tests/cli/netns_low.bash - network namespaces for ping/sniff/ifaces tests.
# Every namespace is created here, named skl-<pid>-<test>-<tag>, and
# deleted by ns_cleanup (call it from teardown).

# ns_new TAG : create a namespace with lo up; prints nothing, sets NS_<TAG>.
ns_new() {
	local name="skl-$$-${BATS_TEST_NUMBER}-$1"
	ip netns add "$name" || return 1
	NS_LIST="${NS_LIST:-} $name"
	ip -n "$name" link set lo up
	# No duplicate address detection: a tentative link-local address
	# holds up neighbour discovery (and so the first packets) for ~1 s.
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 2>/dev/null || true
	printf -v "NS_$1" '%s' "$name"
}

ns_cleanup() {
	local n
	for n in ${NS_LIST:-}; do
		ip netns del "$n" 2>/dev/null || true
	done
	NS_LIST=
}

# ns_pair : namespaces A and B joined by veth va (10.77.0.1/24,
# fd77::1/64) -- vb (10.77.0.2/24, fd77::2/64), both up.
ns_pair() {
	ns_new A && ns_new B || return 1
	ip link add va netns "$NS_A" type veth peer name vb netns "$NS_B"
	ip -n "$NS_A" addr add 10.77.0.1/24 dev va
	ip -n "$NS_B" addr add 10.77.0.2/24 dev vb
	ip -n "$NS_A" addr add fd77::1/64 dev va nodad
	ip -n "$NS_B" addr add fd77::2/64 dev vb nodad
	ip -n "$NS_A" link set va up
	ip -n "$NS_B" link set vb up
	ns_wait_up "$NS_A" va && ns_wait_up "$NS_B" vb
}

# ns_wait_up NS DEV : wait (at most 5 s) until DEV's operstate is UP. The
# kernel's link watcher sets it a moment after "link set up", later still
# on a loaded machine: a test that reads it (ifaces) would see DOWN.
ns_wait_up() {
	local i
	for i in $(seq 1 100); do
		ip -n "$1" -o link show "$2" | grep -q 'state UP' && return 0
		sleep 0.05
	done
	echo "$2 in $1 is not UP after 5 s" >&2
	return 1
}

# ns_routed : A -- R -- B, R forwarding: A 10.78.1.1, R 10.78.1.2 and
# 10.78.2.2, B 10.78.2.1 (and fd78:1::/64, fd78:2::/64 the same way).
ns_routed() {
	ns_new A && ns_new R && ns_new B || return 1
	ip link add va netns "$NS_A" type veth peer name ra netns "$NS_R"
	ip link add vb netns "$NS_B" type veth peer name rb netns "$NS_R"
	ip -n "$NS_A" addr add 10.78.1.1/24 dev va
	ip -n "$NS_R" addr add 10.78.1.2/24 dev ra
	ip -n "$NS_R" addr add 10.78.2.2/24 dev rb
	ip -n "$NS_B" addr add 10.78.2.1/24 dev vb
	ip -n "$NS_A" addr add fd78:1::1/64 dev va nodad
	ip -n "$NS_R" addr add fd78:1::2/64 dev ra nodad
	ip -n "$NS_R" addr add fd78:2::2/64 dev rb nodad
	ip -n "$NS_B" addr add fd78:2::1/64 dev vb nodad
	ip -n "$NS_A" link set va up
	ip -n "$NS_R" link set ra up
	ip -n "$NS_R" link set rb up
	ip -n "$NS_B" link set vb up
	ns_wait_up "$NS_A" va && ns_wait_up "$NS_R" ra &&
		ns_wait_up "$NS_R" rb && ns_wait_up "$NS_B" vb || return 1
	ip -n "$NS_A" route add default via 10.78.1.2
	ip -n "$NS_B" route add default via 10.78.2.2
	ip -n "$NS_A" -6 route add default via fd78:1::2
	ip -n "$NS_B" -6 route add default via fd78:2::2
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1
}

# ns_bg NS ARGS... : like skit_bg (BG_STDOUT too), inside namespace NS.
ns_bg() {
	local ns=$1
	shift
	BG_N=$((${BG_N:-0} + 1))
	BG_OUT=$BATS_TEST_TMPDIR/bg.$BG_N.out
	BG_ERR=$BATS_TEST_TMPDIR/bg.$BG_N.err
	ip netns exec "$ns" "$SKIT" "$@" >"${BG_STDOUT:-$BG_OUT}" 2>"$BG_ERR" </dev/null &
	BG_PID=$!
	BG_PIDS="${BG_PIDS:-} $BG_PID"
	local i
	for i in $(seq 1 200); do
		grep -q 'listening on' "$BG_ERR" && return 0
		if ! kill -0 "$BG_PID" 2>/dev/null; then
			echo "exited early:" >&2
			cat "$BG_ERR" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "no 'listening on' line from: $*" >&2
	return 1
}

# ns_py NS DIR FILE SCRIPT ARGS...: run python3 SCRIPT DIR ARGS... in NS
# in the background (PY_PID) and wait (at most 5 s) until it wrote
# DIR/FILE, its sign that it is ready.
ns_py() {
	local ns=$1 dir=$2 file=$3 i
	shift 3
	mkdir -p "$dir"
	ip netns exec "$ns" python3 "$1" "$dir" "${@:2}" &
	PY_PID=$!
	BG_PIDS="${BG_PIDS:-} $PY_PID"
	for i in $(seq 1 100); do
		[ -s "$dir/$file" ] && return 0
		sleep 0.05
	done
	return 1
}

# A copy of the binary that an unprivileged user may run (the source
# tree may sit under a private home directory). Sets SKIT_PUBLIC.
public_skit() {
	PUB_DIR=$(mktemp -d /tmp/skit-low.XXXXXX)
	chmod 755 "$PUB_DIR"
	cp "$SKIT" "$PUB_DIR/skit"
	chmod 755 "$PUB_DIR/skit"
	SKIT_PUBLIC=$PUB_DIR/skit
}

public_cleanup() {
	[ -n "${PUB_DIR:-}" ] && rm -rf "$PUB_DIR"
	PUB_DIR=
}

# cmd_bg CMD... : start a command that prints "listening on ADDRESS" on
# stderr (like skit_bg, for non-skit peers); sets BG_PID, BG_ADDR.
cmd_bg() {
	BG_N=$((${BG_N:-0} + 1))
	BG_OUT=$BATS_TEST_TMPDIR/bg.$BG_N.out
	BG_ERR=$BATS_TEST_TMPDIR/bg.$BG_N.err
	"$@" >"$BG_OUT" 2>"$BG_ERR" </dev/null &
	BG_PID=$!
	BG_PIDS="${BG_PIDS:-} $BG_PID"
	local i
	for i in $(seq 1 200); do
		BG_ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$BG_ERR" | head -1)
		[ -n "$BG_ADDR" ] && return 0
		kill -0 "$BG_PID" 2>/dev/null || { cat "$BG_ERR" >&2; return 1; }
		sleep 0.05
	done
	return 1
}
