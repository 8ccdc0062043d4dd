#!/usr/bin/env bats
# skit listen: nc forms, one client or many (-k), --exec/--sh-exec,
# --broker/--chat, datagram servers, --allow/--deny, limits, EMFILE.
load helpers

teardown() {
	unhold
	bg_cleanup
	exec 7>&- 2>/dev/null || true
}

# hold ADDR: a client that stays connected, its stdin a fifo this shell
# keeps open (fd 7), until unhold.
hold() {
	if [ ! -p "$BATS_TEST_TMPDIR/hold" ]; then
		mkfifo "$BATS_TEST_TMPDIR/hold"
		exec 7<>"$BATS_TEST_TMPDIR/hold"
	fi
	"$SKIT" connect "$1" <"$BATS_TEST_TMPDIR/hold" >"${2:-/dev/null}" 2>&1 &
	HOLD="${HOLD:-} $!"
}

unhold() {
	local p
	for p in ${HOLD:-}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	HOLD=
}

wexit() {
	wait_exit "$@" || return 1
}

# bg_in FILE ARGS...: like skit_bg, with stdin from FILE.
bg_in() {
	local in=$1 i
	shift
	BG_N=$((${BG_N:-0} + 1))
	BG_OUT=$BATS_TEST_TMPDIR/bg.$BG_N.out
	BG_ERR=$BATS_TEST_TMPDIR/bg.$BG_N.err
	"$SKIT" "$@" <"$in" >"$BG_OUT" 2>"$BG_ERR" &
	BG_PID=$!
	BG_PIDS="${BG_PIDS:-} $BG_PID"
	for i in $(seq 1 200); do
		BG_ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$BG_ERR" | head -1)
		if [ -n "$BG_ADDR" ]; then
			BG_PORT=$(echo "$BG_ADDR" | sed -n 's/.*:\([0-9][0-9]*\)$/\1/p')
			return 0
		fi
		kill -0 "$BG_PID" 2>/dev/null || { cat "$BG_ERR" >&2; return 1; }
		sleep 0.05
	done
	return 1
}


@test "listen PORT (nc form): -v prints the real port; one client; exit 0" {
	skit_bg listen -v 0
	[ "$BG_PORT" -gt 0 ]
	[[ "$BG_ADDR" == tcp:* ]]
	run "$SKIT" connect 127.0.0.1 "$BG_PORT" <<<"hi there"
	[ "$status" -eq 0 ]
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BG_OUT")" = "hi there" ]
	grep -q "connection from tcp:" "$BG_ERR"
}

@test "listen -p PORT and listen HOST PORT" {
	skit_bg listen -v -p 0
	[ "$BG_PORT" -gt 0 ]
	skit_bg listen -v 127.0.0.1 0
	[[ "$BG_ADDR" == tcp:127.0.0.1:* ]]
}

@test "nc habits: -l -p PORT, -lp, -lvnp bundles, -l -p PORT HOST" {
	skit_bg listen -l -v -p 0
	[[ "$BG_ADDR" == tcp:* ]] && [ "$BG_PORT" -gt 0 ]
	skit_bg listen -v -lp 0
	[ "$BG_PORT" -gt 0 ]
	skit_bg listen -lvnp 0 127.0.0.1
	[[ "$BG_ADDR" == tcp:127.0.0.1:* ]]
	run "$SKIT" connect 127.0.0.1 "$BG_PORT" <<<"bundled"
	[ "$status" -eq 0 ]
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BG_OUT")" = bundled ]
	run --separate-stderr "$SKIT" listen -l -p 0 9
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"-p 0 and the operand '9'"* ]]
}

@test "short forms -e, -c and -m serve like --exec, --sh-exec, --max-conns" {
	skit_bg listen -v -k -m 5 -e cat tcp4:127.0.0.1:0
	run "$SKIT" connect "$BG_ADDR" <<<"via -e"
	[ "$status" -eq 0 ]
	[ "$output" = "via -e" ]
	skit_bg listen -v -k -c 'echo via -c' tcp4:127.0.0.1:0
	run "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "via -c" ]
}

@test "one client by default: the listener closes once it is taken" {
	skit_bg listen -v tcp4:127.0.0.1:0
	hold "$BG_ADDR"
	wait_for "$BG_ERR" "connection from"
	run "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$status" -eq 4 ]
}

@test "the session: the server's stdin goes to the client, and half-close" {
	printf 'from-server' >"$BATS_TEST_TMPDIR/in"
	bg_in "$BATS_TEST_TMPDIR/in" listen -v tcp4:127.0.0.1:0
	run "$SKIT" connect "$BG_ADDR" <<<"from-client"
	[ "$status" -eq 0 ]
	[ "$output" = from-server ]
	wexit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = from-client ]
}

@test "-k --exec cat: 50 concurrent clients each get their own data back" {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --exec cat
	fds=$(ls /proc/"$BG_PID"/fd | wc -l)
	local pids=() i
	for i in $(seq 1 50); do
		seq -f "client-$i-%g" 1 2000 >"$BATS_TEST_TMPDIR/in.$i"
		"$SKIT" connect "$BG_ADDR" <"$BATS_TEST_TMPDIR/in.$i" >"$BATS_TEST_TMPDIR/out.$i" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
	done
	for i in $(seq 1 50); do
		cmp "$BATS_TEST_TMPDIR/in.$i" "$BATS_TEST_TMPDIR/out.$i"
	done
	# Nothing left behind: the fds are back to the start, no zombie.
	for i in $(seq 1 100); do
		[ "$(ls /proc/"$BG_PID"/fd | wc -l)" -le "$fds" ] &&
			[ -z "$(ps -o pid= --ppid "$BG_PID")" ] && break
		sleep 0.05
	done
	[ "$(ls /proc/"$BG_PID"/fd | wc -l)" -le "$fds" ]
	[ -z "$(ps -o pid= --ppid "$BG_PID")" ]
}

@test "SKIT_LOOP=poll: the poll backend serves 10 clients and a broker" {
	SKIT_LOOP=poll skit_bg listen -vv -k tcp4:127.0.0.1:0 --exec cat
	grep -q "event loop: poll" "$BG_ERR"
	local pids=() i
	for i in $(seq 1 10); do
		seq -f "poll-$i-%g" 1 500 >"$BATS_TEST_TMPDIR/in.$i"
		"$SKIT" connect "$BG_ADDR" <"$BATS_TEST_TMPDIR/in.$i" >"$BATS_TEST_TMPDIR/out.$i" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
	done
	for i in $(seq 1 10); do
		cmp "$BATS_TEST_TMPDIR/in.$i" "$BATS_TEST_TMPDIR/out.$i"
	done
	SKIT_LOOP=poll skit_bg listen -v --chat tcp4:127.0.0.1:0
	hold "$BG_ADDR" "$BATS_TEST_TMPDIR/c1"
	wait_for "$BG_ERR" "connection from"
	(sleep 0.2; echo hi) | SKIT_LOOP=poll "$SKIT" connect -q 0.2 "$BG_ADDR"
	wait_for "$BATS_TEST_TMPDIR/c1" ": hi"
}

@test "--max-conns N: one more client is closed with a message" {
	skit_bg listen -v -k --max-conns 2 tcp4:127.0.0.1:0 --sh-exec 'cat'
	hold "$BG_ADDR"
	hold "$BG_ADDR"
	wait_for "$BG_ERR" "connection from" 2
	# It sends nothing: data unread at close would turn the close into
	# a reset (exit 7), a race this test is not about.
	run timeout 10 "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	wait_for "$BG_ERR" "--max-conns 2 reached"
}

@test "--max-conns: refusals are reported, the ones within a second counted together" {
	skit_bg listen -v -k --max-conns 1 tcp4:127.0.0.1:0 --sh-exec 'cat'
	hold "$BG_ADDR"
	wait_for "$BG_ERR" "connection from"
	for i in 1 2 3 4; do
		timeout 10 "$SKIT" connect "$BG_ADDR" </dev/null || true
	done
	# The first at once, the other three in one line when the second
	# is over.
	wait_for "$BG_ERR" "refused tcp:127.0.0.1:[0-9]*: --max-conns 1 reached$"
	wait_for "$BG_ERR" "refused tcp:127.0.0.1:[0-9]*: --max-conns 1 reached \\(3 times within a second\\)"
}

@test "--exec: a child that answers before reading the whole request: 30 clients of 30 get every byte (lingering close)" {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec 'echo reply'
	run timeout 120 python3 - "$BG_PORT" <<-'PY'
		import socket, sys, threading
		port, res = int(sys.argv[1]), []
		def one():
		    s = socket.create_connection(("127.0.0.1", port))
		    s.settimeout(30)
		    got = b""
		    try:
		        s.sendall(b"x" * 200000)  # far more than the child reads
		        s.shutdown(socket.SHUT_WR)
		        while True:
		            d = s.recv(65536)
		            if not d:
		                break
		            got += d
		    except OSError as e:
		        got += b" <" + str(e).encode() + b">"
		    res.append(got)
		ts = [threading.Thread(target=one) for _ in range(30)]
		for t in ts:
		    t.start()
		for t in ts:
		    t.join()
		print(sum(g == b"reply\n" for g in res), "of 30")
		print([g for g in res if g != b"reply\n"][:3])
	PY
	[ "${lines[0]}" = "30 of 30" ] || { echo "$output"; false; }
}

@test "the socket file: removed at the end only while it is ours, never another server's" {
	sock=$BATS_TEST_TMPDIR/s.sock
	skit_bg listen -v -k "unix:$sock" --sh-exec 'echo first'
	first=$BG_PID
	# Another server takes the path (ours removed, its own bound).
	rm "$sock"
	skit_bg listen -v -k "unix:$sock" --sh-exec 'echo second'
	kill -TERM "$first"
	wexit "$first" 10
	[ -S "$sock" ]
	run "$SKIT" connect "unix:$sock" </dev/null
	[ "$output" = second ]
	# Its own file goes with it, on a signal and without -k alike.
	kill -TERM "$BG_PID"
	wexit "$BG_PID" 10
	[ ! -e "$sock" ]
	skit_bg listen -v "unix:$sock"
	run "$SKIT" connect "unix:$sock" </dev/null
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
	[ ! -e "$sock" ]
}

@test "--exec: no fd of the server or of other clients leaks into the child" {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --sh-exec 'exec ls /proc/self/fd'
	hold "$BG_ADDR"
	wait_for "$BG_ERR" "connection from"
	run "$SKIT" connect "$BG_ADDR" </dev/null
	# 0, 1, 2 and the one ls opened to read the directory.
	[ "$(echo $output)" = "0 1 2 3" ]
}

@test "--exec: SKIT_PEER and SKIT_LOCAL name the connection" {
	skit_bg listen -v tcp4:127.0.0.1:0 --sh-exec 'echo "$SKIT_PEER $SKIT_LOCAL"'
	run --separate-stderr "$SKIT" connect -v "$BG_ADDR" </dev/null
	local peer
	peer=$(sed -n 's/.*connected \([^ ]*\) -> .*/\1/p' <<<"$stderr")
	[ "$output" = "$peer $BG_ADDR" ]
}

@test "--exec passes half-close both ways" {
	# Client -> child: the child sees EOF and answers after it.
	skit_bg listen -v tcp4:127.0.0.1:0 --sh-exec 'wc -c'
	run "$SKIT" connect "$BG_ADDR" < <(printf '12345')
	[ "$(echo $output)" = 5 ]
	# Child -> client: the child closes its output and still reads.
	skit_bg listen -v tcp4:127.0.0.1:0 --sh-exec \
		'echo hi; exec 1>&-; cat >'"$BATS_TEST_TMPDIR/got"
	run "$SKIT" connect "$BG_ADDR" < <(sleep 0.3; echo late)
	[ "$output" = hi ]
	wexit "$BG_PID" 10
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = late ]
}

@test "--exec with unix-seqpacket and --framing len" {
	skit_bg listen -v -k "unix-seqpacket:@skit-nl-$$-$RANDOM" --framing len --exec cat
	python3 - "$BATS_TEST_TMPDIR/m" <<-'PY'
		import os, struct, sys
		with open(sys.argv[1], "wb") as f:
		    for n in (1, 1000, 60000):
		        f.write(struct.pack(">I", n) + os.urandom(n))
	PY
	"$SKIT" connect --framing len "$BG_ADDR" <"$BATS_TEST_TMPDIR/m" >"$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/m" "$BATS_TEST_TMPDIR/back"
}

@test "--broker: every client's data goes to every other client" {
	skit_bg listen -v --broker tcp4:127.0.0.1:0
	local i
	for i in 1 2 3; do
		(sleep 0.6; echo "from$i") | "$SKIT" connect -q 1 "$BG_ADDR" >"$BATS_TEST_TMPDIR/b$i" &
		HOLD="${HOLD:-} $!"
	done
	wait_for "$BG_ERR" "connection from" 3
	for i in $HOLD; do wait "$i"; done
	HOLD=
	for i in 1 2 3; do
		[ "$(sort "$BATS_TEST_TMPDIR/b$i" | tr '\n' ' ')" = \
			"$(printf 'from%s\n' 1 2 3 | grep -v "from$i" | tr '\n' ' ')" ]
	done
}

@test "--chat: lines prefixed with the sender's address" {
	skit_bg listen -v --chat tcp4:127.0.0.1:0
	hold "$BG_ADDR" "$BATS_TEST_TMPDIR/c1"
	wait_for "$BG_ERR" "connection from"
	(sleep 0.2; printf 'hello\nworld\n') | "$SKIT" connect -v -q 0.2 "$BG_ADDR" 2>"$BATS_TEST_TMPDIR/c2.err"
	wait_for "$BATS_TEST_TMPDIR/c1" world
	from=$(sed -n 's/.*connected \([^ ]*\) -> .*/\1/p' "$BATS_TEST_TMPDIR/c2.err")
	[ "$(cat "$BATS_TEST_TMPDIR/c1")" = "$(printf '%s: hello\n%s: world' "$from" "$from")" ]
}

@test "-k without --exec: clients' data to stdout" {
	skit_bg listen -v -k tcp4:127.0.0.1:0
	"$SKIT" connect "$BG_ADDR" <<<"one"
	"$SKIT" connect "$BG_ADDR" <<<"two"
	wait_for "$BG_OUT" two
	[ "$(sort "$BG_OUT" | tr '\n' ' ')" = "one two " ]
}

@test "-k without --exec: stdin goes to every client" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 8<>"$BATS_TEST_TMPDIR/in"
	bg_in "$BATS_TEST_TMPDIR/in" listen -v -k tcp4:127.0.0.1:0
	hold "$BG_ADDR" "$BATS_TEST_TMPDIR/h1"
	hold "$BG_ADDR" "$BATS_TEST_TMPDIR/h2"
	wait_for "$BG_ERR" "connection from" 2
	echo broadcast >&8
	wait_for "$BATS_TEST_TMPDIR/h1" broadcast
	wait_for "$BATS_TEST_TMPDIR/h2" broadcast
	exec 8>&-
}

@test "--allow / --deny: checked right after accept" {
	skit_bg listen -v -k --allow 127.0.0.2/32 tcp4:127.0.0.1:0 --sh-exec 'echo ok'
	run "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$output" = "" ]
	grep -q "refused tcp:127.0.0.1:[0-9]*: not allowed" "$BG_ERR"
	run "$SKIT" connect -s 127.0.0.2 "$BG_ADDR" </dev/null
	[ "$output" = ok ]
	skit_bg listen -v -k --deny 127.0.0.0/8 --allow 0.0.0.0/0 tcp4:127.0.0.1:0 --sh-exec 'echo ok'
	run "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$output" = "" ]
	run "$SKIT" listen --allow 10.0.0.0/33 tcp::0
	[ "$status" -eq 2 ]
	run "$SKIT" listen --deny not-an-address tcp::0
	[ "$status" -eq 2 ]
}

@test "--deny with IPv6" {
	need_ipv6
	skit_bg listen -v -k --deny ::1 "tcp6:[::1]:0" --sh-exec 'echo ok'
	run "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$output" = "" ]
	grep -q "refused tcp:\[::1\]" "$BG_ERR"
	skit_bg listen -v -k --allow ::1/128 "tcp6:[::1]:0" --sh-exec 'echo ok'
	run "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$output" = ok ]
}

@test "UDP server: 20 peers, each answered at its own address" {
	skit_bg listen -v -k -u udp4:127.0.0.1:0 --exec cat
	local pids=() i
	for i in $(seq 1 20); do
		"$SKIT" send -w 5 --replies 1 "$BG_ADDR" "peer-$i" >"$BATS_TEST_TMPDIR/u.$i" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
	done
	for i in $(seq 1 20); do
		[ "$(cat "$BATS_TEST_TMPDIR/u.$i")" = "peer-$i" ]
	done
	# Usually 20 sessions; fewer when a finished sender's port was
	# reused by a later one (then that session answered both).
	n=$(grep -c 'new peer' "$BG_ERR")
	[ "$n" -ge 2 ] && [ "$n" -le 20 ]
}

@test "unix-dgram server answers each sender" {
	skit_bg listen -v -k "unix-dgram:@skit-nl-$$-$RANDOM" --exec cat
	run "$SKIT" send -w 5 --replies 1 "$BG_ADDR" hello
	[ "$output" = hello ]
	run "$SKIT" send -w 5 --replies 1 "$BG_ADDR" again
	[ "$output" = again ]
}

@test "datagram peers expire after --idle-timeout" {
	# 1 s: the child must start and answer before its peer is forgotten,
	# and starting one can take a few hundred ms on a loaded machine.
	skit_bg listen -v -k -u --idle-timeout 1 udp4:127.0.0.1:0 --exec cat
	"$SKIT" send -w 5 --replies 1 "$BG_ADDR" x >/dev/null
	wait_for -F "$BG_ERR" "done (idle"
}

@test "datagram server without --exec prints each datagram as it is" {
	skit_bg listen -v -u udp4:127.0.0.1:0
	"$SKIT" send "$BG_ADDR" d1 d2
	printf 'l3\n' | "$SKIT" send "$BG_ADDR"
	wait_for "$BG_OUT" l3
	# Verbatim, like nc -u -l: no newline added, none doubled.
	[ "$(cat "$BG_OUT")" = "$(printf 'd1d2l3')" ]
}

@test "datagram server without --exec: stdin answers the latest sender" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 8<>"$BATS_TEST_TMPDIR/in"
	bg_in "$BATS_TEST_TMPDIR/in" listen -v -u udp4:127.0.0.1:0
	"$SKIT" send -w 10 --replies 1 "$BG_ADDR" question >"$BATS_TEST_TMPDIR/ans" &
	HOLD=$!
	wait_for "$BG_OUT" question
	echo answer >&8
	wait "$HOLD"
	HOLD=
	[ "$(cat "$BATS_TEST_TMPDIR/ans")" = answer ]
	exec 8>&-
}

@test "EMFILE: with a low ulimit -n the server refuses, survives, serves later" {
	BG_ERR=$BATS_TEST_TMPDIR/emfile.err
	bash -c 'ulimit -n 16; exec "$0" "$@"' "$SKIT" listen -v -k tcp4:127.0.0.1:0 \
		</dev/null >"$BATS_TEST_TMPDIR/emfile.out" 2>"$BG_ERR" &
	BG_PIDS="${BG_PIDS:-} $!"
	local pid=$! i
	wait_for "$BG_ERR" "listening on"
	addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$BG_ERR")
	for i in $(seq 1 16); do hold "$addr"; done
	wait_for "$BG_ERR" "Too many open files"
	kill -0 "$pid"
	unhold
	# The held clients are gone; a new one is served. Until the server
	# has seen them go it may still be short of fds, and a client is
	# then accepted and closed at once (connect still succeeds): try
	# again until the server prints what one sent.
	for i in $(seq 1 50); do
		timeout 5 "$SKIT" connect "$addr" <<<"later" >/dev/null 2>&1 || true
		grep -q later "$BATS_TEST_TMPDIR/emfile.out" && break
		sleep 0.1
	done
	wait_for "$BATS_TEST_TMPDIR/emfile.out" later
}

@test "a client that resets does not disturb the others" {
	skit_bg listen -v -k tcp4:127.0.0.1:0 --exec cat
	(echo a1; sleep 0.5; echo a2) | "$SKIT" connect "$BG_ADDR" >"$BATS_TEST_TMPDIR/a" &
	HOLD=$!
	python3 - "$BG_PORT" <<-'PY'
		import socket, struct, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
		s.sendall(b"x" * 100000)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		s.close()
	PY
	wait "$HOLD"
	HOLD=
	[ "$(cat "$BATS_TEST_TMPDIR/a")" = "$(printf 'a1\na2')" ]
	kill -0 "$BG_PID"
}

@test "-w SECS: an idle session ends; without -k that is a time-out (exit 5)" {
	skit_bg listen -v -w 0.3 tcp4:127.0.0.1:0 --sh-exec 'sleep 30'
	run timeout 10 "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$status" -eq 0 ]
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 5 ]
	grep -q "idle for 0.3 s, closing" "$BG_ERR"
	# The stdio session: the same.
	skit_bg listen -v -w 0.3 tcp4:127.0.0.1:0
	hold "$BG_ADDR" # its stdin stays open: only the server ends
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 5 ]
	grep -q "^skit: client tcp:127.0.0.1:[0-9]*: idle for 0.3 s, closing$" "$BG_ERR"
}

@test "idle-timeout= on the address: as -w, with --exec and on stdio" {
	skit_bg listen -v tcp4:127.0.0.1:0,idle-timeout=0.3 --sh-exec 'sleep 30'
	run timeout 10 "$SKIT" connect "$BG_ADDR" </dev/null
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 5 ]
	grep -q "idle for 0.3 s, closing" "$BG_ERR"
	skit_bg listen -v tcp4:127.0.0.1:0,idle-timeout=0.3
	hold "$BG_ADDR"
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 5 ]
	grep -q "^skit: client tcp:127.0.0.1:[0-9]*: idle for 0.3 s, closing$" "$BG_ERR"
}

@test "unix-dgram --exec: a peer that stops reading the answers: exit 5 after -w" {
	skit_bg listen -v -w 0.5 "unix-dgram:@skit-listen-$$-$BATS_TEST_NUMBER" --exec cat
	dgram_sink "$BG_ADDR" 40
	wexit "$BG_PID" 20
	[ "$WAIT_RC" -eq 5 ]
	grep -q "^skit: client $SINK: the receiver's queue is full (EAGAIN) after 0.5 s$" "$BG_ERR" ||
		{ cat "$BG_ERR"; false; }
}

@test "unix-dgram stdio: lines for a peer that stopped reading are dropped, with a message" {
	name=unix-dgram:@skit-listen-$$-$BATS_TEST_NUMBER
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$SKIT" listen -v "$name" <"$BATS_TEST_TMPDIR/in" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	BG_PIDS="${BG_PIDS:-} $!"
	exec 5>"$BATS_TEST_TMPDIR/in"
	for i in $(seq 100); do grep -q "listening on" "$BATS_TEST_TMPDIR/err" && break; sleep 0.05; done
	dgram_sink "$name" 1 # the latest sender, which never reads
	# (the first lines may come before its datagram is read: again)
	seq 1000 >&5
	sleep 0.3
	seq 1000 >&5
	exec 5>&-
	for i in $(seq 100); do grep -q "dropped a message from stdin" "$BATS_TEST_TMPDIR/err" && break; sleep 0.05; done
	grep -q "^skit: listen: the receiver's queue is full (EAGAIN): dropped a message from stdin$" "$BATS_TEST_TMPDIR/err"
}

@test "-w SECS with -k: an idle client is closed, the server goes on" {
	skit_bg listen -v -k -w 0.3 tcp4:127.0.0.1:0 --sh-exec 'sleep 30'
	run timeout 10 "$SKIT" connect "$BG_ADDR" </dev/null
	[ "$status" -eq 0 ]
	# (the server writes its line after the close the client saw)
	wait_for -F "$BG_ERR" "done (idle"
	kill -0 "$BG_PID"
	! grep -q "closing" "$BG_ERR"
}

@test "--hex, -C, -q, --exit-on-eof on the server's stdio" {
	printf 'a\nb\n' >"$BATS_TEST_TMPDIR/in"
	bg_in "$BATS_TEST_TMPDIR/in" listen -v --hex -C -q 0.3 tcp4:127.0.0.1:0
	run timeout 10 "$SKIT" connect --recv-only "$BG_ADDR"
	[ "$output" = "$(printf 'a\r\nb\r')" ]
	wexit "$BG_PID" 10
	grep -q '^> 00000000  61 0d 0a 62 0d 0a' "$BG_ERR"
	bg_in "$BATS_TEST_TMPDIR/in" listen -v --exit-on-eof tcp4:127.0.0.1:0
	run timeout 10 "$SKIT" connect --recv-only "$BG_ADDR"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\nb')" ]
}

@test "--hex with --exec: what the client sent (<) and got (>)" {
	skit_bg listen -v --hex tcp4:127.0.0.1:0 --exec cat
	run "$SKIT" connect "$BG_ADDR" <<<"XY"
	[ "$output" = XY ]
	wexit "$BG_PID" 10
	grep -q '^< 00000000  58 59 0a' "$BG_ERR"
	grep -q '^> 00000000  58 59 0a' "$BG_ERR"
}

@test "--no-shutdown, --send-only, --recv-only on the server" {
	printf 'srv' >"$BATS_TEST_TMPDIR/in"
	bg_in "$BATS_TEST_TMPDIR/in" listen -v --no-shutdown tcp4:127.0.0.1:0
	run timeout 10 "$SKIT" connect -q 0.3 "$BG_ADDR" </dev/null
	[ "$output" = srv ]
	kill "$BG_PID"
	bg_in "$BATS_TEST_TMPDIR/in" listen -v --send-only tcp4:127.0.0.1:0
	run timeout 10 "$SKIT" connect "$BG_ADDR" <<<"ignored"
	[ "$output" = srv ]
	wexit "$BG_PID" 10
	[ ! -s "$BG_OUT" ]
	bg_in "$BATS_TEST_TMPDIR/in" listen -v --recv-only tcp4:127.0.0.1:0
	run timeout 10 "$SKIT" connect "$BG_ADDR" <<<"up"
	[ "$output" = "" ]
	wexit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = up ]
}

@test "-4, -6, -u, -U, -n" {
	skit_bg listen -v -4 0
	[[ "$BG_ADDR" == tcp:0.0.0.0:* ]]
	skit_bg listen -v -u -4 0
	[[ "$BG_ADDR" == udp:0.0.0.0:* ]]
	skit_bg listen -v -U "$BATS_TEST_TMPDIR/sock"
	[ "$BG_ADDR" = "unix:$BATS_TEST_TMPDIR/sock" ]
	run "$SKIT" listen -n localhost 0
	[ "$status" -eq 3 ]
	need_ipv6
	skit_bg listen -v -6 0
	[[ "$BG_ADDR" == "tcp:[::]:"* ]]
}

@test "a unix path in use: a clear error and a hint; a stale file is not touched" {
	skit_bg listen -v -k "unix:$BATS_TEST_TMPDIR/live" --sh-exec true
	run "$SKIT" listen "unix:$BATS_TEST_TMPDIR/live"
	[ "$status" -ne 0 ]
	[[ "$output" == *"live"* ]]
	echo data >"$BATS_TEST_TMPDIR/file"
	run "$SKIT" listen "unix:$BATS_TEST_TMPDIR/file"
	[ "$status" -ne 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/file")" = data ]
}

@test "usage errors: exit 2" {
	run "$SKIT" listen
	[ "$status" -eq 2 ]
	run "$SKIT" listen "tcp:[::1:80"
	[ "$status" -eq 2 ]
	run "$SKIT" listen --broker --exec cat tcp::0
	[ "$status" -eq 2 ]
	run "$SKIT" listen --max-conns 0 tcp::0
	[ "$status" -eq 2 ]
	# The short forms reach the same checks, with a message.
	run --separate-stderr "$SKIT" listen -m 0 tcp::0
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--max-conns: '0'"* ]]
	run --separate-stderr "$SKIT" listen -e cat
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"missing ADDRESS"* ]]
}

@test "listen --help lists every option" {
	run "$SKIT" listen --help
	[ "$status" -eq 0 ]
	for o in --listen --keep-open --max-conns --exec --sh-exec --broker --chat --allow --deny --idle-timeout --framing --hex -C -q -w -u -U -4 -6 -n -p -v; do
		[[ "$output" == *"$o"* ]]
	done
}
