#!/usr/bin/env bats
# skit connect: nc forms and flags, half-close, timeouts, exit codes.
load helpers
load netns_low

teardown() {
	bg_cleanup
	if [ -n "${NS:-}" ]; then
		ip netns del "$NS" 2>/dev/null || true
	fi
	if [ -n "${LATE:-}" ]; then
		kill "$LATE" 2>/dev/null || true
		wait "$LATE" 2>/dev/null || true
	fi
}

wexit() {
	wait_exit "$@" || return 1
}

# serve ARGS...: a one-client `skit listen -v tcp4:127.0.0.1:0 ARGS...`.
serve() {
	skit_bg listen -v tcp4:127.0.0.1:0 "$@"
}

@test "connect HOST PORT (nc form) copies both ways" {
	serve --sh-exec 'cat'
	run "$SKIT" connect 127.0.0.1 "$BG_PORT" <<<"hello"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "half-close: request, EOF, the server answers after EOF, client prints it all" {
	serve --sh-exec 'n=$(wc -c); sleep 0.2; echo "got $n bytes"; echo bye'
	run "$SKIT" connect "$BG_ADDR" < <(printf 'request')
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'got 7 bytes\nbye')" ]
	wexit "$BG_PID" 10
	[ "$WAIT_RC" -eq 0 ]
}

@test "--no-shutdown: stdin EOF is not passed on (-q ends it)" {
	serve --sh-exec 'n=$(wc -c); echo "got $n"'
	run timeout 10 "$SKIT" connect --no-shutdown -q 0.3 "$BG_ADDR" < <(printf 'abc')
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "-q SECS quits after stdin EOF although the peer stays" {
	serve --sh-exec 'cat >/dev/null; sleep 30'
	run timeout 10 "$SKIT" connect -q 0.2 "$BG_ADDR" <<<"x"
	[ "$status" -eq 0 ]
}

@test "--exit-on-eof quits once stdin is sent" {
	serve --sh-exec 'cat >'"$BATS_TEST_TMPDIR/got"'; sleep 30'
	run timeout 10 "$SKIT" connect --exit-on-eof "$BG_ADDR" <<<"payload"
	[ "$status" -eq 0 ]
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/got" ] && break; sleep 0.05; done
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = payload ]
}

@test "-w SECS: an idle connection is a time-out (exit 5, one line saying so)" {
	serve --sh-exec 'sleep 30'
	run --separate-stderr timeout 10 "$SKIT" connect -w 0.3 "$BG_ADDR" < <(sleep 20)
	[ "$status" -eq 5 ]
	[ "$stderr" = "skit: connect $BG_ADDR: idle for 0.3 s, closing" ]
}

@test "idle-timeout= on the address: the same time-out as -w" {
	serve --sh-exec 'sleep 30'
	run --separate-stderr timeout 10 "$SKIT" connect "$BG_ADDR,idle-timeout=0.3" < <(sleep 20)
	[ "$status" -eq 5 ]
	[ "$stderr" = "skit: connect $BG_ADDR: idle for 0.3 s, closing" ]
}

@test "-w SECS: traffic keeps the session alive; EOF before -w is exit 0" {
	serve --sh-exec 'for i in 1 2 3 4; do sleep 0.2; echo $i; done'
	run --separate-stderr timeout 10 "$SKIT" connect -w 1 "$BG_ADDR" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\n2\n3\n4')" ]
	[ -z "$stderr" ]
}

@test "unix-dgram: a receiver that stops reading: exit 5 after -w, with the message" {
	dgram_sink
	run --separate-stderr timeout 30 "$SKIT" connect -w 0.5 "$SINK" < <(seq 100000)
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"skit: connect $SINK: the receiver's queue is full (EAGAIN) after 0.5 s"* ]]
	# Without -w: the default, 5 s.
	run --separate-stderr timeout 30 "$SKIT" connect "$SINK" < <(seq 100000)
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"full (EAGAIN) after 5 s"* ]]
}

@test "-z on a unix-dgram receiver whose queue is full: open, at once" {
	dgram_sink
	fill_sink
	run timeout 10 "$SKIT" connect -z -w 0.3 "$SINK"
	[ "$status" -eq 0 ]
}

@test "-w SECS: a connect whose SYNs are dropped times out (exit 5)" {
	need_netns
	need_cmd nft
	NS=skit-nc-$$-$BATS_TEST_NUMBER
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip netns exec "$NS" nft -f - <<-'NFT'
		table inet skitnc {
			chain in {
				type filter hook input priority 0;
				tcp dport 9 drop
			}
		}
	NFT
	run --separate-stderr ip netns exec "$NS" "$SKIT" connect -w 0.5 tcp:127.0.0.1:9
	[ "$status" -eq 5 ]
	[ "$(grep -c '^skit:' <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *"connect tcp:127.0.0.1:9"*"timed out"* ]]
}

@test "refused: exit 4 with one line" {
	run --separate-stderr "$SKIT" connect tcp:127.0.0.1:1 </dev/null
	[ "$status" -eq 4 ]
	[ "$(grep -c . <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == "skit: connect tcp:127.0.0.1:1: Connection refused" ]]
}

@test "unknown host: exit 3 with one line (no network: unshare -n)" {
	need_root
	unshare -n true 2>/dev/null || skip "unshare -n not permitted"
	run --separate-stderr unshare -n "$SKIT" connect tcp:no-such-host.invalid:80 </dev/null
	[ "$status" -eq 3 ]
	[ "$(grep -c '^skit:' <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *"no-such-host.invalid"* ]]
}

@test "-n: a name is refused without any lookup (exit 3)" {
	run "$SKIT" connect -n localhost 80 </dev/null
	[ "$status" -eq 3 ]
}

@test "bad address: exit 2 with the problem pointed at" {
	run --separate-stderr "$SKIT" connect tcp:127.0.0.1 </dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"bad address 'tcp:127.0.0.1'"* ]]
	run "$SKIT" connect </dev/null
	[ "$status" -eq 2 ]
	run "$SKIT" connect --retry x tcp:127.0.0.1:1 </dev/null
	[ "$status" -eq 2 ]
	run "$SKIT" connect --framing bogus tcp:127.0.0.1:1 </dev/null
	[ "$status" -eq 2 ]
}

@test "--retry N: N more tries with backoff, then the last error" {
	run --separate-stderr "$SKIT" connect --retry 2 tcp:127.0.0.1:1 </dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"retry 1 of 2 in "*" ms"* ]]
	[[ "$stderr" == *"retry 2 of 2 in "*" ms"* ]]
}

@test "--retry: succeeds once the server shows up" {
	sock=$BATS_TEST_TMPDIR/late
	(sleep 0.4; exec "$SKIT" listen "unix:$sock" --sh-exec 'echo hi') &
	LATE=$!
	run "$SKIT" connect --retry 8 "unix:$sock" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *hi ]]
	[[ "$output" == *"retry 1 of 8"* ]]
}

@test "retry=3 on the address: three more tries, counted in -v output, then the error" {
	# Before the dial, connect read retry= and ignored it: one try.
	run --separate-stderr "$SKIT" connect -v "tcp:127.0.0.1:1,retry=3,interval=10ms" </dev/null
	[ "$status" -eq 4 ]
	[ "$(grep -c 'Connection refused; retry [0-9] of 3 in ' <<<"$stderr")" -eq 3 ]
	[ "$(grep -c '^skit: connect tcp:127.0.0.1:1: Connection refused$' <<<"$stderr")" -eq 1 ]
}

@test "interval=: the first wait, then twice, four times, at most eight times" {
	run --separate-stderr "$SKIT" connect "tcp:127.0.0.1:1,retry=5,interval=5ms" </dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"retry 1 of 5 in 5 ms"* ]]
	[[ "$stderr" == *"retry 2 of 5 in 10 ms"* ]]
	[[ "$stderr" == *"retry 3 of 5 in 20 ms"* ]]
	[[ "$stderr" == *"retry 4 of 5 in 40 ms"* ]]
	[[ "$stderr" == *"retry 5 of 5 in 40 ms"* ]]
	# A bad value is the address's error (exit 2), as anywhere.
	run "$SKIT" connect "tcp:127.0.0.1:1,interval=soon" </dev/null
	[ "$status" -eq 2 ]
}

@test "forever: retries until the server shows up" {
	sock=$BATS_TEST_TMPDIR/later
	(sleep 0.4; exec "$SKIT" listen "unix:$sock" --sh-exec 'echo hi') &
	LATE=$!
	run --separate-stderr timeout 20 "$SKIT" connect "unix:$sock,forever,interval=50ms" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	[[ "$stderr" == *"No such file or directory; retry 1 in 50 ms"* ]]
}

@test "connect-timeout= on the address: a listener whose queue is full times out (exit 5)" {
	cmd_bg python3 "$BATS_TEST_DIRNAME/stall_peer.py" tcp-backlog
	run --separate-stderr timeout 20 "$SKIT" connect "$BG_ADDR,connect-timeout=300ms" </dev/null
	[ "$status" -eq 5 ]
	[ "$(grep -c '^skit:' <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *"connect $BG_ADDR: Connection timed out"* ]]
	# With retry= each round gets its own connect-timeout=.
	run --separate-stderr timeout 20 "$SKIT" connect "$BG_ADDR,connect-timeout=200ms,retry=1,interval=10ms" </dev/null
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"Connection timed out; retry 1 of 1 in 10 ms"* ]]
}

@test "a full unix backlog is waited for, up to connect-timeout= (exit 5)" {
	cmd_bg python3 "$BATS_TEST_DIRNAME/stall_peer.py" unix-backlog "$BATS_TEST_TMPDIR/busy"
	run --separate-stderr timeout 20 "$SKIT" connect "unix:$BATS_TEST_TMPDIR/busy,connect-timeout=300ms" </dev/null
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"Connection timed out"* ]]
}

@test "-z: probe one port (open 0, closed 4) and a range" {
	serve --sh-exec 'true'
	run "$SKIT" connect -z "$BG_ADDR"
	[ "$status" -eq 0 ]
	run "$SKIT" connect -z tcp:127.0.0.1:1
	[ "$status" -eq 4 ]
	serve -k --sh-exec 'true'
	lo=$((BG_PORT - 1)) hi=$((BG_PORT + 1))
	run --separate-stderr "$SKIT" connect -z -v "tcp:127.0.0.1:$lo-$hi"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"tcp:127.0.0.1:$BG_PORT open"* ]]
	run "$SKIT" connect "tcp:127.0.0.1:$lo-$hi" </dev/null
	[ "$status" -eq 2 ]
}

@test "-z -u: a closed UDP port is reported closed" {
	skit_bg recv -v udp4:127.0.0.1:0 --count 1
	addr=$BG_ADDR
	"$SKIT" send "$addr" x
	wexit "$BG_PID" 10
	run "$SKIT" connect -z -w 0.5 "$addr"
	[ "$status" -eq 4 ]
}

@test "-v prints the connection's local and peer address" {
	serve --sh-exec 'true'
	run --separate-stderr "$SKIT" connect -v "$BG_ADDR" </dev/null
	[ "$status" -eq 0 ]
	[[ "$stderr" =~ connected\ tcp:127\.0\.0\.1:[0-9]+\ -\>\ $BG_ADDR ]]
}

@test "-vv traces each socket call" {
	serve --sh-exec 'true'
	run --separate-stderr "$SKIT" connect -vv "$BG_ADDR" </dev/null
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"trace: socket("* ]]
	[[ "$stderr" == *"trace: connect("* ]]
}

@test "--hex dumps sent (>) and received (<) bytes on stderr" {
	serve --sh-exec 'cat'
	run --separate-stderr "$SKIT" connect --hex "$BG_ADDR" <<<"AB"
	[ "$output" = AB ]
	[[ "$stderr" == *"> 00000000  41 42 0a"* ]]
	[[ "$stderr" == *"< 00000000  41 42 0a"* ]]
}

@test "-C sends CRLF line endings" {
	serve --sh-exec 'od -An -c'
	run "$SKIT" connect -C "$BG_ADDR" < <(printf 'a\nb\n')
	[[ "$output" == *'a  \r  \n   b  \r  \n'* ]]
}

@test "--send-only does not print what the server sends" {
	serve --sh-exec 'echo from-server; cat >'"$BATS_TEST_TMPDIR/got"
	run "$SKIT" connect --send-only "$BG_ADDR" <<<"up"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	wexit "$BG_PID" 10
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = up ]
}

@test "--recv-only does not send stdin" {
	serve --sh-exec 'echo from-server; cat >'"$BATS_TEST_TMPDIR/got"
	run timeout 10 "$SKIT" connect --recv-only "$BG_ADDR" <<<"secret"
	[ "$status" -eq 0 ]
	[ "$output" = from-server ]
	wexit "$BG_PID" 10
	[ ! -s "$BATS_TEST_TMPDIR/got" ]
}

@test "-u HOST PORT: one line per datagram, replies written as they are" {
	skit_bg recv -v udp4:127.0.0.1:0 --count 2 --reply ok
	run timeout 10 "$SKIT" connect -u -q 0.5 127.0.0.1 "$BG_PORT" < <(printf 'l1\nl2\n')
	[ "$status" -eq 0 ]
	# Each reply is written verbatim, like nc -u: no newline added.
	[ "$output" = okok ]
	wexit "$BG_PID" 10
	[ "$(cat "$BG_OUT")" = "$(printf 'l1\nl2')" ]
	# Each line went with its newline: 3 bytes, printed once.
	[ "$(grep -c ': 3 bytes$' "$BG_ERR")" -eq 2 ]
}

@test "-U PATH and unix:@abstract" {
	skit_bg listen -v "unix:$BATS_TEST_TMPDIR/u" --sh-exec 'cat'
	run "$SKIT" connect -U "$BATS_TEST_TMPDIR/u" <<<"path"
	[ "$output" = path ]
	skit_bg listen -v "unix:@skit-nc-$$-$RANDOM" --sh-exec 'cat'
	run "$SKIT" connect "$BG_ADDR" <<<"abstract"
	[ "$output" = abstract ]
}

@test "unix-dgram: the client gets a name, so replies come back" {
	skit_bg listen -v -k "unix-dgram:@skit-nc-$$-$RANDOM" --exec cat
	run timeout 10 "$SKIT" connect -q 0.5 "$BG_ADDR" <<<"dgram"
	[ "$status" -eq 0 ]
	[ "$output" = dgram ]
	grep -q "new peer unix-dgram:@skit-connect-" "$BG_ERR"
}

@test "-4 and -6 pick the family; a mismatch is a usage error" {
	serve --sh-exec 'cat'
	run "$SKIT" connect -4 127.0.0.1 "$BG_PORT" <<<"four"
	[ "$output" = four ]
	run "$SKIT" connect -6 127.0.0.1 "$BG_PORT" </dev/null
	[ "$status" -ne 0 ]
	need_ipv6
	skit_bg listen -v "tcp6:[::1]:0" --sh-exec 'cat'
	run "$SKIT" connect -6 ::1 "$BG_PORT" <<<"six"
	[ "$output" = six ]
}

@test "-s ADDR and -p PORT set the source" {
	skit_bg listen -v tcp4:127.0.0.1:0 --sh-exec 'echo "$SKIT_PEER"'
	port=$((20000 + RANDOM % 20000))
	run "$SKIT" connect -s 127.0.0.2 -p "$port" "$BG_ADDR" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "tcp:127.0.0.2:$port" ]
}

@test "--framing len over unix-seqpacket keeps 1, 1000 and 60000-byte messages" {
	python3 - "$BATS_TEST_TMPDIR/m" <<-'PY'
		import os, struct, sys
		with open(sys.argv[1], "wb") as f:
		    for n in (1, 1000, 60000):
		        f.write(struct.pack(">I", n) + os.urandom(n))
	PY
	skit_bg listen -v "unix-seqpacket:@skit-nc-$$-$RANDOM" --framing len
	run bash -c '"$SKIT" connect --framing len "$1" <"$2" >"$2.back"' _ \
		"$BG_ADDR" "$BATS_TEST_TMPDIR/m"
	[ "$status" -eq 0 ]
	wexit "$BG_PID" 10
	cmp "$BG_OUT" "$BATS_TEST_TMPDIR/m"
}

@test "--framing len over UDP keeps message boundaries" {
	python3 - "$BATS_TEST_TMPDIR/m" <<-'PY'
		import os, struct, sys
		with open(sys.argv[1], "wb") as f:
		    for n in (1, 1000, 60000):
		        f.write(struct.pack(">I", n) + os.urandom(n))
	PY
	skit_bg recv -v udp4:127.0.0.1:0 --count 3 --framing len
	run timeout 10 "$SKIT" connect -q 0.2 --framing len "$BG_ADDR" <"$BATS_TEST_TMPDIR/m"
	[ "$status" -eq 0 ]
	wexit "$BG_PID" 10
	cmp "$BG_OUT" "$BATS_TEST_TMPDIR/m"
}

@test "SIGPIPE: a reader that goes away does not kill skit" {
	serve --sh-exec 'head -c 50000000 /dev/zero'
	run bash -c '"$SKIT" connect "$1" </dev/null 2>/dev/null | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$BG_ADDR"
	[ "$output" -eq 0 ]
}

@test "connect --help lists every option" {
	run "$SKIT" connect --help
	[ "$status" -eq 0 ]
	for o in --no-shutdown --exit-on-eof --framing --retry --hex --send-only --recv-only -z -w -q -C -u -U -4 -6 -n -s -p -v; do
		[[ "$output" == *"$o"* ]]
	done
}
