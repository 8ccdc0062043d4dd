#!/usr/bin/env bats
# Every long-running command ends on SIGINT and SIGTERM, whatever it is
# doing: idle, mid-transfer, blocked on a peer (or a stdout) that stopped
# reading, and after an error on one of its fds; and it ends by that
# signal, status 130 or 143 (docs/exit-codes.md). The bound is generous
# (5 s): the point is "ended" against "hung for good".
load helpers
load netns_low
load get_helpers

PEER=$BATS_TEST_DIRNAME/stall_peer.py

# Everything started here goes, even a process that ignores SIGTERM
# (what these tests look for): -9 after a bounded wait.
teardown() {
	local p i
	for p in ${BG_PIDS:-}; do
		kill "$p" 2>/dev/null || true
	done
	for i in $(seq 1 40); do
		for p in ${BG_PIDS:-}; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -z "$p" ] && break
		sleep 0.05
	done
	for p in ${BG_PIDS:-}; do
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	BG_PIDS=
	ns_cleanup
}

# start IN CMD... : start CMD in the background with stdin from IN and
# stdout to $TO (default a fresh file); sets PID, OUT, ERR. Stopped by
# bg_cleanup if the test does not.
start() {
	local in=$1
	shift
	BG_N=$((${BG_N:-0} + 1))
	OUT=$BATS_TEST_TMPDIR/s.$BG_N.out
	ERR=$BATS_TEST_TMPDIR/s.$BG_N.err
	"$@" <"$in" >"${TO:-$OUT}" 2>"$ERR" &
	PID=$!
	BG_PIDS="${BG_PIDS:-} $PID"
}

# held_stdin: HELD is a fifo that a sleeper keeps open for writing, so
# its reader sees neither data nor EOF.
held_stdin() {
	BG_N=$((${BG_N:-0} + 1))
	HELD=$BATS_TEST_TMPDIR/held.$BG_N
	mkfifo "$HELD"
	sleep 120 >"$HELD" &
	BG_PIDS="${BG_PIDS:-} $!"
}

# full_pipe: FULL is a fifo that a sleeper holds open and never reads:
# a writer blocks once the pipe buffer is full.
full_pipe() {
	BG_N=$((${BG_N:-0} + 1))
	FULL=$BATS_TEST_TMPDIR/full.$BG_N
	mkfifo "$FULL"
	sleep 120 <"$FULL" >/dev/null 2>&1 &
	BG_PIDS="${BG_PIDS:-} $!"
}

# peer MODE [ARGS]: start tests/cli/stall_peer.py; sets PEER_PID and
# PEER_ADDR (the address it serves).
peer() {
	cmd_bg python3 "$PEER" "$@"
	PEER_PID=$BG_PID
	PEER_ADDR=$BG_ADDR
}

# closed_port: a TCP and UDP port on 127.0.0.1 that nothing serves (it
# was free a moment ago).
closed_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stops_by SIG PID WHAT: send SIG to PID (started by this test); it must
# end within 5 s, by that signal: status 128 + the signal's number, as
# a shell reports it. A process still there is killed (-9) and the
# check fails.
stops_by() {
	local sig=$1 pid=$2 what=$3 want i
	want=$((128 + $(kill -l "$sig")))
	kill -"$sig" "$pid"
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
		echo "$what: still running 5 s after SIG$sig" >&2
		return 1
	fi
	WAIT_RC=0
	wait "$pid" || WAIT_RC=$?
	if [ "$WAIT_RC" -ne "$want" ]; then
		echo "$what: status $WAIT_RC after SIG$sig, not $want" >&2
		return 1
	fi
}

# stopped_with_summary SIG SECS WHAT CMD...: start CMD (a skit ping),
# let it run SECS, stop it (stops_by) and find its summary.
stopped_with_summary() {
	local sig=$1 secs=$2 what=$3
	shift 3
	start /dev/null "$@"
	sleep "$secs"
	stops_by "$sig" "$PID" "$what"
	grep -q "packets transmitted" "$OUT"
}

@test "signals: ifaces --watch ends on SIGINT and SIGTERM (issue 13 item 2)" {
	for sig in INT TERM; do
		start /dev/null "$SKIT" -v ifaces --watch
		wait_for "$ERR" "listening on netlink:route"
		stops_by "$sig" "$PID" "ifaces --watch, idle"
	done
}

@test "signals: sockets --watch ends on SIGINT and SIGTERM" {
	for sig in INT TERM; do
		start /dev/null "$SKIT" -v sockets --watch --interval 0.1
		wait_for "$ERR" "listening on netlink:sock_diag"
		stops_by "$sig" "$PID" "sockets --watch, idle"
	done
}

@test "signals: ifaces --watch on a full stdout, and after the kernel dropped notifications" {
	need_netns
	ns_new W
	for i in $(seq 1 1500); do
		echo "address add 10.90.$((i / 250)).$((i % 250 + 1))/32 dev lo"
	done >"$BATS_TEST_TMPDIR/add"
	sed 's/^address add/address del/' "$BATS_TEST_TMPDIR/add" >"$BATS_TEST_TMPDIR/del"
	# Blocked: its stdout is a pipe nobody reads.
	full_pipe
	TO=$FULL start /dev/null ip netns exec "$NS_W" "$SKIT" -v ifaces --watch
	wait_for "$ERR" "listening on"
	ip -n "$NS_W" -batch "$BATS_TEST_TMPDIR/add"
	ip -n "$NS_W" -batch "$BATS_TEST_TMPDIR/del"
	sleep 0.5
	stops_by TERM "$PID" "ifaces --watch, blocked on stdout"
	# An error on its socket: stopped, it misses a flood of events
	# (ENOBUFS), says so when it reads again, and goes on.
	start /dev/null ip netns exec "$NS_W" "$SKIT" -v ifaces --watch
	wait_for "$ERR" "listening on"
	kill -STOP "$PID"
	for k in 1 2 3; do
		ip -n "$NS_W" -batch "$BATS_TEST_TMPDIR/add"
		ip -n "$NS_W" -batch "$BATS_TEST_TMPDIR/del"
	done
	kill -CONT "$PID"
	wait_for "$ERR" "dropped notifications"
	stops_by INT "$PID" "ifaces --watch, after ENOBUFS"
}

# sniff_veth: a namespace with veth0 -- veth1, both up, addresses
# 10.91.0.1 and 10.91.0.2 (NS_V).
sniff_veth() {
	ns_new V
	ip -n "$NS_V" link add veth0 type veth peer name veth1
	ip -n "$NS_V" addr add 10.91.0.1/24 dev veth0
	ip -n "$NS_V" addr add 10.91.0.2/24 dev veth1
	ip -n "$NS_V" link set veth0 up
	ip -n "$NS_V" link set veth1 up
}

@test "sniff -i: the interface goes away: exit 1 at once, the reason, a complete pcap (issue 13 item 1)" {
	need_netns
	need_cmd tshark
	sniff_veth
	pcap=$BATS_TEST_TMPDIR/gone.pcap
	start /dev/null ip netns exec "$NS_V" "$SKIT" -v sniff -i veth0 -w "$pcap"
	wait_for "$ERR" "listening on packet:veth0"
	# Frames on veth0 before it goes: ARP for a neighbour nobody has.
	for i in 1 2 3; do
		ip netns exec "$NS_V" "$SKIT" send udp:10.91.0.9:9 x || true
	done
	sleep 0.3
	ip -n "$NS_V" link del veth0
	wait_exit "$PID" 5
	cat "$ERR"
	[ "$WAIT_RC" -eq 1 ]
	grep -q "skit: sniff -i veth0: interface went away (ENETDOWN)" "$ERR"
	n=$(sed -n 's/^\([0-9]*\) packets captured$/\1/p' "$ERR")
	[ "$n" -gt 0 ]
	# Every frame skit counted is in the file, and the file is whole.
	run tshark -r "$pcap"
	[ "$status" -eq 0 ]
	[ "$(tshark -r "$pcap" 2>/dev/null | wc -l)" -eq "$n" ]
}

@test "signals: sniff ends by the signal idle, mid-capture (whole pcap), on a full stdout, after an interface went away" {
	need_netns
	need_cmd tshark
	sniff_veth
	# Idle: the namespace's lo carries nothing.
	start /dev/null ip netns exec "$NS_V" "$SKIT" -v sniff -i lo
	wait_for "$ERR" "listening on packet:lo"
	stops_by INT "$PID" "sniff, idle"
	grep -q "^0 packets captured" "$ERR"
	# Mid-capture into a pcap file, pings on lo.
	pcap=$BATS_TEST_TMPDIR/mid.pcap
	start /dev/null ip netns exec "$NS_V" "$SKIT" -v sniff -i lo -w "$pcap"
	sniff_pid=$PID sniff_err=$ERR
	wait_for "$ERR" "listening on packet:lo"
	start /dev/null ip netns exec "$NS_V" "$SKIT" ping -q -i 0.01 127.0.0.1
	sleep 0.5
	stops_by TERM "$sniff_pid" "sniff, mid-capture"
	n=$(sed -n 's/^\([0-9]*\) packets captured$/\1/p' "$sniff_err")
	[ "$n" -gt 0 ]
	[ "$(tshark -r "$pcap" 2>/dev/null | wc -l)" -eq "$n" ]
	# Blocked on its stdout (summaries into a pipe nobody reads) while
	# a bulk transfer floods lo.
	ip netns exec "$NS_V" "$SKIT" -v echo -t 1 --discard tcp:127.0.0.1:7070 2>/dev/null &
	BG_PIDS="$BG_PIDS $!"
	sleep 0.3
	start /dev/null ip netns exec "$NS_V" "$SKIT" bench -m throughput -d 60 tcp:127.0.0.1:7070
	full_pipe
	TO=$FULL start /dev/null ip netns exec "$NS_V" "$SKIT" -v sniff -i lo
	wait_for "$ERR" "listening on packet:lo"
	sleep 1
	stops_by INT "$PID" "sniff, blocked on stdout"
	# All interfaces: one of them goes away, the capture goes on.
	start /dev/null ip netns exec "$NS_V" "$SKIT" -v sniff
	wait_for "$ERR" "listening on packet:any"
	ip -n "$NS_V" link del veth0
	sleep 0.3
	kill -0 "$PID"
	stops_by TERM "$PID" "sniff, after an interface went away"
}

@test "signals: ping (ICMP) ends by the signal, summary printed: idle, every 10 ms, unanswered, after ICMP errors" {
	need_netns
	ns_routed
	# Idle: between two requests 5 s apart.
	start /dev/null ip netns exec "$NS_A" "$SKIT" ping -i 5 10.78.2.1
	wait_for "$OUT" "bytes from 10.78.2.1"
	stops_by INT "$PID" "ping, idle"
	grep -q "1 packets transmitted, 1 received" "$OUT"
	# Mid-transfer: a request every 10 ms.
	stopped_with_summary TERM 0.5 "ping, every 10 ms" \
		ip netns exec "$NS_A" "$SKIT" ping -i 0.01 10.78.2.1
	# No answer: B ignores echo requests.
	ip netns exec "$NS_B" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
	start /dev/null ip netns exec "$NS_A" "$SKIT" ping -i 0.2 10.78.2.1
	sleep 0.7
	stops_by INT "$PID" "ping, unanswered"
	grep -q "100% packet loss" "$OUT"
	# After errors: TTL 1 expires at R, which says so (an ICMP error on
	# the socket's error queue, POLLERR).
	start /dev/null ip netns exec "$NS_A" "$SKIT" ping -t 1 -i 0.1 10.78.2.1
	wait_for "$OUT" "Time to live exceeded"
	sleep 0.3
	stops_by TERM "$PID" "ping, after ICMP errors"
	grep -q "packets transmitted" "$OUT"
}

@test "signals: ping tcp:, udp:, unix: end by the signal: idle, mid-transfer, a peer that stalls, after errors" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	tcp=$BG_ADDR
	skit_bg -v echo -t 1 udp:127.0.0.1:0
	udp=$BG_ADDR
	closed=$(closed_port)
	# tcp: idle between handshakes 5 s apart.
	start /dev/null "$SKIT" ping -i 5 "$tcp"
	wait_for "$OUT" "connected to"
	stops_by INT "$PID" "ping tcp, idle"
	grep -q "1 packets transmitted, 1 received" "$OUT"
	# tcp: a handshake that never completes (full accept queue).
	peer tcp-backlog
	stopped_with_summary TERM 1 "ping tcp, handshake pending" \
		"$SKIT" ping -i 0.2 "$PEER_ADDR"
	# tcp: refused every time.
	start /dev/null "$SKIT" ping -i 0.1 "tcp:127.0.0.1:$closed"
	wait_for "$OUT" "refused"
	stops_by INT "$PID" "ping tcp, refused"
	# udp: round trips every 10 ms.
	stopped_with_summary TERM 0.5 "ping udp, mid-transfer" \
		"$SKIT" ping -i 0.01 "$udp"
	# udp: a peer that never answers, and a closed port (ICMP errors).
	peer udp-silent
	start /dev/null "$SKIT" ping -i 0.2 "$PEER_ADDR"
	sleep 0.7
	stops_by INT "$PID" "ping udp, unanswered"
	start /dev/null "$SKIT" ping -i 0.1 "udp:127.0.0.1:$closed"
	wait_for "$OUT" "refused"
	stops_by TERM "$PID" "ping udp, refused"
	# unix-dgram: a peer that never reads; its queue fills and the
	# sends block.
	peer unix-dgram-silent "$BATS_TEST_TMPDIR/silent.sock"
	stopped_with_summary INT 1 "ping unix-dgram, blocked on a full peer" \
		"$SKIT" ping -i 0.01 "$PEER_ADDR,bind=$BATS_TEST_TMPDIR/me.sock"
	# unix stream: a peer that accepts and never reads or answers: the
	# request waits for its echo (-W 10).
	peer unix-hold "$BATS_TEST_TMPDIR/hold.sock"
	stopped_with_summary TERM 1 "ping unix, waiting on a peer that stalls" \
		"$SKIT" ping -s 65507 -i 0.2 "$PEER_ADDR"
}

@test "signals: bench ends by the signal with the results so far: rr, throughput, a stalled or silent server, a connect that waits" {
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	echo_addr=$BG_ADDR
	# rr mid-transfer (the blocking fast path: one connection).
	start /dev/null "$SKIT" bench -m rr -d 60 -w 0 --json "$echo_addr"
	sleep 0.7
	stops_by INT "$PID" "bench rr, mid-transfer"
	[ "$(jq .requests "$OUT")" -gt 0 ]
	# Stopped in the warm-up: nothing counted, in (about) no time.
	start /dev/null "$SKIT" bench -m rr -d 60 -w 5 --json "$echo_addr"
	sleep 0.5
	stops_by INT "$PID" "bench rr, warm-up"
	[ "$(jq .requests "$OUT")" -eq 0 ]
	jq -e '.seconds < 1' "$OUT"
	# rr event loop (4 connections), throughput.
	start /dev/null "$SKIT" bench -m rr -c 4 -d 60 -w 0 --json "$echo_addr"
	sleep 0.7
	stops_by TERM "$PID" "bench rr -c 4, mid-transfer"
	[ "$(jq .requests "$OUT")" -gt 0 ]
	start /dev/null "$SKIT" bench -m throughput -d 60 --json "$echo_addr"
	sleep 0.7
	stops_by INT "$PID" "bench throughput, mid-transfer"
	json_valid "$OUT"
	# A server that accepts and never reads: rr waits for a reply,
	# throughput is blocked on the full connection.
	peer tcp-hold
	start /dev/null "$SKIT" bench -m rr -d 60 "$PEER_ADDR"
	sleep 0.7
	stops_by TERM "$PID" "bench rr, no reply"
	start /dev/null "$SKIT" bench -m throughput -c 2 -d 60 "$PEER_ADDR"
	sleep 1
	stops_by INT "$PID" "bench throughput, blocked on a full peer"
	# A connect that waits (full accept queue), rr and crr.
	peer tcp-backlog
	for m in rr crr; do
		start /dev/null "$SKIT" bench -m "$m" -c 2 -d 60 "$PEER_ADDR"
		sleep 0.7
		stops_by TERM "$PID" "bench $m, connect pending"
	done
	# Datagrams that get no answer (lost, one after another).
	peer udp-silent
	start /dev/null "$SKIT" bench -m rr -d 60 --timeout 0.1 "$PEER_ADDR"
	sleep 0.7
	stops_by INT "$PID" "bench udp rr, no answer"
	# After errors: held connections the server resets.
	peer tcp-reset
	start /dev/null "$SKIT" bench -m conns -n 10 -s 4 -d 60 --json "$PEER_ADDR"
	sleep 1
	stops_by TERM "$PID" "bench conns, after resets"
	[ "$(jq .closed_by_server "$OUT")" -eq 10 ]
}

@test "signals: echo ends by the signal: idle, a client idle, mid-transfer, a client that stopped reading, after a reset; udp" {
	# No client.
	skit_bg -v echo -t 2 tcp:127.0.0.1:0
	stops_by TERM "$BG_PID" "echo, idle"
	grep -q "echo: 0 connections" "$BG_ERR"
	# A client that idles, and one served alone in a blocking read.
	skit_bg -v echo -t 1 --grace 0 tcp:127.0.0.1:0
	held_stdin
	start "$HELD" "$SKIT" -v connect "$BG_ADDR"
	wait_for "$ERR" "connected"
	stops_by INT "$BG_PID" "echo, a client idles"
	# Mid-transfer, within the grace.
	skit_bg -v echo -t 2 --grace 0.2 tcp:127.0.0.1:0
	start /dev/null "$SKIT" bench -m throughput -d 60 "$BG_ADDR"
	sleep 0.5
	stops_by TERM "$BG_PID" "echo, mid-transfer"
	# A client that sends and never reads: echo is blocked on it. The
	# grace (10 s by default) is for it; a second signal ends it.
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	echo_pid=$BG_PID
	start /dev/zero "$SKIT" connect --send-only "$BG_ADDR"
	sleep 1
	kill -TERM "$echo_pid"
	sleep 0.2
	kill -0 "$echo_pid"
	stops_by TERM "$echo_pid" "echo, blocked on a full peer, second signal"
	# After a reset: a client that resets its connection.
	skit_bg -v echo -t 1 --grace 0 tcp:127.0.0.1:0
	python3 -c '
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"x" * 100000)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
' "$BG_PORT"
	sleep 0.2
	stops_by INT "$BG_PID" "echo, after a reset"
	# Datagrams: the workers read blocking.
	skit_bg -v echo -t 2 udp:127.0.0.1:0
	run timeout 10 "$SKIT" bench -m rr -r 100 "$BG_ADDR"
	[ "$status" -eq 0 ]
	stops_by INT "$BG_PID" "echo udp"
}

# addr_of FILE: the address of the "listening on" line in FILE (waits
# for it).
addr_of() {
	wait_for "$1" "listening on" >&2 || return 1
	sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$1" | head -1
}

# idle_client ADDR: a client (ours) that connects to tcp ADDR and then
# neither reads nor writes; with BYTES it first sends that many.
idle_client() {
	python3 -c '
import socket, sys, time
host, _, port = sys.argv[1][4:].rpartition(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"x" * int(sys.argv[2]))
time.sleep(60)
' "$1" "${BYTES:-0}" &
	BG_PIDS="${BG_PIDS:-} $!"
}

# reset_client ADDR: connect to tcp ADDR, send a little, reset (RST).
reset_client() {
	python3 -c '
import socket, struct, sys
host, _, port = sys.argv[1][4:].rpartition(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"hello\n")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
' "$1"
}

@test "signals: connect ends by the signal: idle, mid-transfer, blocked on a full peer, a connect that waits, retrying after refusals" {
	skit_bg -v echo -t 1 --discard tcp:127.0.0.1:0
	discard=$BG_ADDR
	held_stdin
	start "$HELD" "$SKIT" -v connect "$discard"
	wait_for "$ERR" "connected"
	stops_by INT "$PID" "connect, idle"
	TO=/dev/null start /dev/zero "$SKIT" connect "$discard"
	sleep 0.5
	stops_by TERM "$PID" "connect, mid-transfer"
	peer tcp-hold
	start /dev/zero "$SKIT" -v connect "$PEER_ADDR"
	wait_for "$ERR" "connected"
	sleep 1
	stops_by INT "$PID" "connect, blocked on a full peer"
	peer tcp-backlog
	held_stdin
	start "$HELD" "$SKIT" connect "$PEER_ADDR"
	sleep 0.7
	stops_by TERM "$PID" "connect, connect pending"
	held_stdin
	start "$HELD" "$SKIT" connect --retry 50 "tcp:127.0.0.1:$(closed_port)"
	wait_for "$ERR" "retry 1 of 50"
	stops_by INT "$PID" "connect, retrying after refusals"
	skit_bg -v echo -t 1 udp:127.0.0.1:0
	held_stdin
	start "$HELD" "$SKIT" connect "$BG_ADDR"
	sleep 0.3
	stops_by TERM "$PID" "connect udp, idle"
}

@test "signals: listen ends by the signal: no client, a client idle, mid-transfer, a client or a stdout that stopped reading, -k after a reset; the socket file goes" {
	sock=$BATS_TEST_TMPDIR/l.sock
	skit_bg -v listen "unix:$sock"
	[ -S "$sock" ]
	stops_by INT "$BG_PID" "listen, no client"
	[ ! -e "$sock" ]
	# A client that idles.
	held_stdin
	start "$HELD" "$SKIT" -v listen tcp:127.0.0.1:0
	lpid=$PID lerr=$ERR
	idle_client "$(addr_of "$ERR")"
	wait_for "$lerr" "connection from"
	stops_by TERM "$lpid" "listen, a client idles"
	# Mid-transfer: a client streams, listen writes it out.
	TO=/dev/null start /dev/null "$SKIT" -v listen tcp:127.0.0.1:0
	lpid=$PID
	TO=/dev/null start /dev/zero "$SKIT" connect "$(addr_of "$ERR")"
	sleep 0.5
	stops_by INT "$lpid" "listen, mid-transfer"
	# A client that never reads what listen sends it.
	start /dev/zero "$SKIT" -v listen tcp:127.0.0.1:0
	lpid=$PID lerr=$ERR
	idle_client "$(addr_of "$ERR")"
	wait_for "$lerr" "connection from"
	sleep 1
	stops_by TERM "$lpid" "listen, blocked on a full peer"
	# -k: its stdout is a pipe nobody reads while a client streams.
	full_pipe
	TO=$FULL start /dev/null "$SKIT" -v listen -k tcp:127.0.0.1:0
	lpid=$PID
	TO=/dev/null start /dev/zero "$SKIT" connect "$(addr_of "$ERR")"
	sleep 1
	stops_by INT "$lpid" "listen -k, blocked on stdout"
	# -k after a client reset its connection.
	start /dev/null "$SKIT" -v listen -k tcp:127.0.0.1:0
	reset_client "$(addr_of "$ERR")"
	sleep 0.3
	kill -0 "$PID"
	stops_by TERM "$PID" "listen -k, after a reset"
	# Datagrams (the loop, stdio).
	start /dev/null "$SKIT" -v listen "unix-dgram:$sock"
	wait_for "$ERR" "listening on"
	stops_by INT "$PID" "listen unix-dgram, idle"
	[ ! -e "$sock" ]
}

@test "signals: listen --exec ends by the signal and stops its children: idle, a client that stopped reading" {
	start /dev/null "$SKIT" -v listen -k --sh-exec 'exec sleep 60' tcp:127.0.0.1:0
	lpid=$PID
	idle_client "$(addr_of "$ERR")"
	wait_for "$ERR" "connection from"
	for i in $(seq 1 100); do
		child=$(pgrep -P "$lpid" sleep || true)
		[ -n "$child" ] && break
		sleep 0.05
	done
	[ -n "$child" ]
	stops_by TERM "$lpid" "listen --exec, a child running"
	# The child (which ignores its input) was told to stop.
	for i in $(seq 1 100); do
		kill -0 "$child" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$child" 2>/dev/null || false
	# cat echoes to a client that never reads: the pair is blocked.
	start /dev/null "$SKIT" -v listen --exec /bin/cat tcp:127.0.0.1:0
	lpid=$PID
	BYTES=20000000 idle_client "$(addr_of "$ERR")"
	wait_for "$ERR" "connection from"
	sleep 1
	stops_by INT "$lpid" "listen --exec, blocked on a full peer"
}

@test "signals: relay ends by the signal: one pair idle, mid-transfer, blocked, re-dialling; fork idle, a blocked pair, after a failed dial; the socket file goes" {
	skit_bg -v echo -t 1 --discard tcp:127.0.0.1:0
	discard=$BG_ADDR
	# One pair, stdio and a socket.
	held_stdin
	start "$HELD" "$SKIT" -v relay - "$discard"
	wait_for "$ERR" "open"
	stops_by INT "$PID" "relay, idle"
	TO=/dev/null start /dev/zero "$SKIT" relay - "$discard"
	sleep 0.5
	stops_by TERM "$PID" "relay, mid-transfer"
	peer tcp-hold
	hold=$PEER_ADDR
	start /dev/zero "$SKIT" -v relay - "$hold"
	wait_for "$ERR" "open"
	sleep 1
	stops_by INT "$PID" "relay, blocked on a full peer"
	held_stdin
	start "$HELD" "$SKIT" -v relay - "tcp:127.0.0.1:$(closed_port),retry=100,interval=0.1"
	wait_for "$ERR" "retry 2"
	stops_by TERM "$PID" "relay, re-dialling"
	# fork: no client yet, on a unix socket file it made.
	sock=$BATS_TEST_TMPDIR/r.sock
	skit_bg -v relay "unix-listen:$sock,fork" "$discard"
	[ -S "$sock" ]
	stops_by INT "$BG_PID" "relay fork, idle"
	[ ! -e "$sock" ]
	# fork: a client streams into a peer that never reads.
	skit_bg -v relay tcp-listen:127.0.0.1:0,fork "$hold"
	BYTES=20000000 idle_client "$BG_ADDR"
	wait_for "$BG_ERR" "open"
	sleep 1
	stops_by TERM "$BG_PID" "relay fork, a blocked pair"
	# fork: the other side refuses; the server goes on, then stops.
	skit_bg -v relay tcp-listen:127.0.0.1:0,fork "tcp:127.0.0.1:$(closed_port)"
	reset_client "$BG_ADDR" || true
	wait_for "$BG_ERR" "refused"
	kill -0 "$BG_PID"
	stops_by INT "$BG_PID" "relay fork, after a failed dial"
}

@test "signals: recv ends by the signal: idle, mid-transfer, blocked on its stdout, after a failed reply, a connection idle; the socket file goes" {
	# Idle, on a unix datagram socket file it made.
	sock=$BATS_TEST_TMPDIR/recv.sock
	skit_bg -v recv "unix-dgram:$sock"
	[ -S "$sock" ]
	stops_by TERM "$BG_PID" "recv, idle"
	[ ! -e "$sock" ]
	# A sender that floods (its replies do not matter), into a file or
	# into a pipe nobody reads.
	flood() {
		python3 -c '
import socket, sys, time
host, _, port = sys.argv[1][4:].rpartition(":")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + 60
while time.monotonic() < end:
    s.sendto(b"x" * 100, (host, int(port)))
    time.sleep(0.0001)
' "$1" &
		BG_PIDS="${BG_PIDS:-} $!"
	}
	TO=/dev/null start /dev/null "$SKIT" -v recv udp:127.0.0.1:0
	rpid=$PID
	flood "$(addr_of "$ERR")"
	sleep 0.5
	stops_by INT "$rpid" "recv, mid-transfer"
	full_pipe
	TO=$FULL start /dev/null "$SKIT" -v recv udp:127.0.0.1:0
	rpid=$PID
	flood "$(addr_of "$ERR")"
	sleep 1
	stops_by TERM "$rpid" "recv, blocked on stdout"
	# --reply to a sender without a name: no reply, recv goes on.
	skit_bg -v recv --reply ok "unix-dgram:$sock"
	python3 -c '
import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"hi", sys.argv[1])
' "$sock"
	wait_for "$BG_ERR" "recv: reply( to [^:]*)?: |cannot reply"
	stops_by INT "$BG_PID" "recv, after a failed reply"
	# A seqpacket connection that idles.
	skit_bg -v recv "unix-seqpacket:$sock"
	held_stdin
	start "$HELD" "$SKIT" connect "unix-seqpacket:$sock"
	sleep 0.3
	stops_by TERM "$BG_PID" "recv seqpacket, a connection idles"
	[ ! -e "$sock" ]
}

@test "signals: get ends by the signal and leaves no file: no answer, mid-body, blocked on its stdout, a connect that waits, retrying after refusals" {
	start_test_server "$BATS_TEST_TMPDIR/ts"
	BG_PIDS="${BG_PIDS:-} $TS_PID"
	cd "$BATS_TEST_TMPDIR"
	# A server that never answers, and one that stops mid-body: the
	# temporary file beside the target goes too.
	start /dev/null "$SKIT" get -q -O head.bin "$TS_URL/slowhead"
	sleep 0.7
	stops_by INT "$PID" "get, no answer"
	start /dev/null "$SKIT" get -q -O body.bin "$TS_URL/slowbody"
	for i in $(seq 1 100); do
		compgen -G 'body.bin.skit-*' >/dev/null && break
		sleep 0.05
	done
	sleep 0.3
	stops_by TERM "$PID" "get, mid-body"
	[ -z "$(ls -A | grep -e head.bin -e body.bin)" ]
	# A 200 kB body into a pipe nobody reads.
	full_pipe
	TO=$FULL start /dev/null "$SKIT" get -q "$TS_URL/chunked"
	sleep 1
	stops_by INT "$PID" "get, blocked on stdout"
	# A connect that waits; refused, retrying.
	peer tcp-backlog
	start /dev/null "$SKIT" get -q -O pending.bin "http://${PEER_ADDR#tcp:}/"
	sleep 0.7
	stops_by TERM "$PID" "get, connect pending"
	start /dev/null "$SKIT" get --retry 20 -O retry.bin "http://127.0.0.1:$(closed_port)/"
	wait_for "$ERR" "; retry 1 of 20 in"
	stops_by INT "$PID" "get, retrying after refusals"
	[ -z "$(ls -A | grep -e pending.bin -e retry.bin)" ]
}

@test "signals: proxy ends by the signal: idle, a client mid-handshake, a tunnel open" {
	skit_bg -v proxy tcp:127.0.0.1:0
	stops_by HUP "$BG_PID" "proxy, idle"
	skit_bg -v proxy tcp:127.0.0.1:0
	held_stdin
	start "$HELD" "$SKIT" -v connect "$BG_ADDR"
	wait_for "$ERR" "connected"
	stops_by INT "$BG_PID" "proxy, a client mid-handshake"
	skit_bg -v echo -t 1 tcp:127.0.0.1:0
	echo_addr=$BG_ADDR
	skit_bg -v proxy tcp:127.0.0.1:0
	start /dev/null "$SKIT" bench -m throughput -d 60 "$echo_addr,proxy=socks5://127.0.0.1:$BG_PORT"
	wait_for "$BG_ERR" "(socks5)"
	stops_by TERM "$BG_PID" "proxy, a tunnel open"
}
