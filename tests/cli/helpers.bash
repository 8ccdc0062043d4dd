# tests/cli/helpers.bash - shared helpers for the bats CLI tests.
bats_require_minimum_version 1.5.0
# Load with:  load helpers
#
# $SKIT is the binary under test (make check sets it; default build/skit).
# Servers bind port 0 and print "listening on ADDRESS" with -v; start
# them with skit_bg and read the address from $BG_ADDR. Only processes
# started here are stopped, by PID.

: "${SKIT:=$BATS_TEST_DIRNAME/../../build/skit}"
: "${SKIT_SRC:=$BATS_TEST_DIRNAME/../..}"
export SKIT

# skit_bg ARGS... : start "$SKIT ARGS..." in the background with stdout
# in $BATS_TEST_TMPDIR/bg.N.out and stderr in bg.N.err; wait (up to 10 s)
# for a "listening on ADDRESS" line on stderr. Sets BG_PID, BG_ADDR
# (e.g. tcp:127.0.0.1:41234), BG_PORT (the port, when it has one),
# BG_OUT and BG_ERR. Fails when the line does not come. With BG_STDOUT
# set (say /dev/full) stdout goes there instead of BG_OUT.
skit_bg() {
	BG_N=$((${BG_N:-0} + 1))
	BG_OUT=$BATS_TEST_TMPDIR/bg.$BG_N.out
	BG_ERR=$BATS_TEST_TMPDIR/bg.$BG_N.err
	"$SKIT" "$@" >"${BG_STDOUT:-$BG_OUT}" 2>"$BG_ERR" </dev/null &
	BG_PID=$!
	BG_PIDS="${BG_PIDS:-} $BG_PID"
	local i dead
	for i in $(seq 1 200); do
		# (alive first, then the line: one written just before the end
		# is still found)
		dead=
		kill -0 "$BG_PID" 2>/dev/null || dead=1
		BG_ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$BG_ERR" | head -1)
		if [ -n "$BG_ADDR" ]; then
			BG_PORT=$(echo "$BG_ADDR" | sed -n 's/.*:\([0-9][0-9]*\)$/\1/p')
			return 0
		fi
		if [ -n "$dead" ]; then
			echo "server exited early:" >&2
			cat "$BG_ERR" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "no 'listening on' line from: $*" >&2
	cat "$BG_ERR" >&2
	return 1
}

# bg_cleanup: stop every process skit_bg started (call from teardown).
bg_cleanup() {
	local p
	for p in ${BG_PIDS:-}; do
		kill "$p" 2>/dev/null || true
	done
	for p in ${BG_PIDS:-}; do
		wait "$p" 2>/dev/null || true
	done
	BG_PIDS=
}

# wait_for [-F] FILE PATTERN [N] : wait (10 s at most) until N lines (1)
# of FILE match the extended regex PATTERN (-F: hold the text PATTERN);
# on time-out say what FILE holds and fail.
wait_for() {
	local how=-E i c n
	if [ "$1" = -F ]; then
		how=-F
		shift
	fi
	n=${3:-1}
	for i in $(seq 1 200); do
		c=$(grep -c "$how" -- "$2" "$1" 2>/dev/null) || true
		[ "${c:-0}" -ge "$n" ] && return 0
		sleep 0.05
	done
	echo "no '$2' (x$n) in $1 after 10 s:" >&2
	cat "$1" >&2 2>/dev/null
	return 1
}

# wait_exit PID SECS : wait for a background PID to exit within SECS;
# sets WAIT_RC to its exit status. Fails (and kills it) on time-out.
wait_exit() {
	local pid=$1 secs=${2:-10} i
	for i in $(seq 1 $((secs * 20))); do
		if ! kill -0 "$pid" 2>/dev/null; then
			# "|| ..." keeps bats' set -e from aborting on a
			# non-zero exit status, which the caller wants to see.
			WAIT_RC=0
			wait "$pid" || WAIT_RC=$?
			return 0
		fi
		sleep 0.05
	done
	kill "$pid" 2>/dev/null
	echo "process $pid did not exit within $secs s" >&2
	return 1
}

# need_root / need_ipv6 / need_netns / need_cmd CMD: skip with a reason.
need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}
need_ipv6() {
	[ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1' ||
		skip "needs IPv6 on loopback"
}
need_netns() {
	need_root
	command -v ip >/dev/null || skip "needs iproute2"
	ip netns add "skit-probe-$$" 2>/dev/null || skip "cannot create network namespaces"
	ip netns del "skit-probe-$$"
}
need_cmd() {
	command -v "$1" >/dev/null || skip "needs $1"
}

# json_valid FILE : every line of FILE is a JSON value.
json_valid() {
	python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    if line.strip():
        json.loads(line)
' "$1"
}

# dgram_sink [ADDR N] : start a unix-dgram socket that never reads
# (dgram_sink.py), stopped with the skit_bg processes; with ADDR N it
# first sends N datagrams to ADDR (unix-dgram:...) and never reads the
# answers. Sets SINK (its address, unix-dgram:@...). fill_sink fills its
# queue, so the next sender finds it full at once.
dgram_sink() {
	need_cmd python3
	SINK=unix-dgram:@skit-sink-$$-$BATS_TEST_NUMBER-${RANDOM}
	local out=$BATS_TEST_TMPDIR/sink.$RANDOM
	python3 "$BATS_TEST_DIRNAME/dgram_sink.py" "${SINK#unix-dgram:}" 60 \
		${1:+"${1#unix-dgram:}" "$2"} >"$out" &
	BG_PIDS="${BG_PIDS:-} $!"
	wait_for -F "$out" ready || {
		echo "dgram_sink did not start" >&2
		return 1
	}
}
fill_sink() {
	seq 100000 | timeout 30 "$SKIT" send -w 0.2 "$SINK" 2>/dev/null || true
}

# hold_conns PORT N FILE: a python client holding N connections to
# PORT until FILE is removed; prints "held" once they are made. Sets
# HOLD_PID.
hold_conns() {
	python3 - "$1" "$2" "$3" >"$BATS_TEST_TMPDIR/hold.out" 2>&1 <<-'PY' &
		import os, socket, sys, time
		port, n, flag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
		held = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
		print("held", flush=True)
		for _ in range(600):
		    if not os.path.exists(flag):
		        break
		    time.sleep(0.05)
	PY
	HOLD_PID=$!
	wait_for -F "$BATS_TEST_TMPDIR/hold.out" held
}
