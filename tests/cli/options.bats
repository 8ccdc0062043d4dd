#!/usr/bin/env bats
# Address options per command: an option a command does not implement
# is refused by name (exit 2, "option 'X' does not apply to 'skit CMD'",
# the caret under it); the options it implements are accepted; the table
# in docs/addresses.md says which is which and is checked cell by cell.
# Also: one duration grammar and one size grammar for flags and options.
#
# Refusals end at the address check, before anything is opened. An
# accepted option is run against an address that fails at once without
# traffic: a connect to 127.0.0.1:1 (refused), a bind to 192.0.2.1 (not
# an address of this machine), a unix socket in a missing directory.
load helpers

teardown() {
	bg_cleanup
}

# run_cmd CMD ADDRESS: the command with arguments that end it quickly.
# With ",forever" a dial never gives up: a second shows it was accepted.
run_cmd() {
	local cmd=$1 addr=$2 t=10
	case $addr in *,forever*) t=1 ;; esac
	case $cmd in
	ping) run --separate-stderr timeout "$t" "$SKIT" ping -c 1 -W 0.3 "$addr" </dev/null ;;
	bench) run --separate-stderr timeout "$t" "$SKIT" bench -d 0.2 "$addr" </dev/null ;;
	relay) run --separate-stderr timeout "$(( t < 3 ? t : 3 ))" "$SKIT" relay "$addr" - </dev/null ;;
	*) run --separate-stderr timeout "$t" "$SKIT" "$cmd" "$addr" </dev/null ;;
	esac
}

# addr_for CMD OPTION[=VALUE]: an address of a kind and role where the
# option may be written, for this command.
addr_for() {
	local cmd=$1 opt=$2
	case $opt in
	append | create | trunc) echo "file:$BATS_TEST_TMPDIR/f,$opt" ;;
	mode=* | unlink) echo "unix-listen:$BATS_TEST_TMPDIR/no/dir/s,$opt" ;;
	fork | max-conns=* | range=* | backlog=*)
		echo "tcp-listen:192.0.2.1:0,$opt" ;;
	delay=* | rate=* | drop=* | dup=* | reorder=* | corrupt=*)
		echo "udp:127.0.0.1:1,$opt" ;;
	join=* | join-source=* | iface=* | multicast-* | broadcast)
		case $cmd in
		listen | recv | echo) echo "udp-listen:192.0.2.1:0,$opt" ;;
		*) echo "udp:127.0.0.1:1,$opt" ;;
		esac ;;
	*)
		case $cmd in
		listen | recv | echo) echo "tcp-listen:192.0.2.1:0,$opt" ;;
		*) echo "tcp:127.0.0.1:1,$opt" ;;
		esac ;;
	esac
}

# The value a row's option is written with.
opt_text() {
	case $1 in
	connect-timeout | interval | idle-timeout) echo "$1=1" ;;
	retry) echo "retry=0" ;;
	max-conns) echo "max-conns=2" ;;
	range) echo "range=127.0.0.0/8" ;;
	backlog) echo "backlog=4" ;;
	mode) echo "mode=600" ;;
	rcvbuf) echo "rcvbuf=64k" ;;
	join) echo "join=239.1.1.1" ;;
	join-source) echo "join-source=10.0.0.1" ;;
	iface) echo "iface=lo" ;;
	multicast-ttl) echo "multicast-ttl=2" ;;
	proxy) echo "proxy=socks5://127.0.0.1:1" ;;
	latency | jitter | timeout | slow-close | stall | delay) echo "$1=10ms" ;;
	bandwidth | rate | limit-data | slicer | reset-after) echo "$1=1k" ;;
	drop | dup | reorder | corrupt | toxicity) echo "$1=10%" ;;
	dir) echo "dir=up" ;;
	seed) echo "seed=1" ;;
	*) echo "$1" ;;
	esac
}

refused() {
	local cmd=$1 addr=$2 opt=${3%%=*}
	run_cmd "$cmd" "$addr"
	if [ "$status" -ne 2 ] ||
		[[ "$stderr" != *"option '$opt' does not apply to 'skit $cmd'"* ]]; then
		echo "skit $cmd $addr: not refused: status $status: $stderr"
		return 1
	fi
}

accepted() {
	local cmd=$1 addr=$2
	run_cmd "$cmd" "$addr"
	if [[ "$stderr" == *"does not apply to"* ]]; then
		echo "skit $cmd $addr: refused: $stderr"
		return 1
	fi
}

@test "each command refuses an option it does not implement, by name, exit 2" {
	for cmd in send ping bench; do
		# bench does not dial with a retry policy; send and ping do not
		# tunnel through a proxy
		opt=proxy=socks5://127.0.0.1:1 canon=proxy=socks5://127.0.0.1:1
		[ "$cmd" = bench ] && opt=retry=3 canon=retry=3
		run_cmd "$cmd" "tcp:127.0.0.1:1,$opt"
		[ "$status" -eq 2 ]
		[ "${stderr%%$'\n'*}" = "skit: bad address 'tcp-connect:127.0.0.1:1,$canon': option '${opt%%=*}' does not apply to 'skit $cmd'" ]
		# the caret stands under the option (column 25 of the text)
		[ "$(sed -n 2p <<<"$stderr")" = "$(printf '%43s^' '')" ]
	done
	for cmd in recv echo; do
		run_cmd "$cmd" "tcp-listen:127.0.0.1:0,idle-timeout=5"
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"option 'idle-timeout' does not apply to 'skit $cmd'"* ]]
	done
	# an address written with nc-style flags is checked the same
	run --separate-stderr "$SKIT" listen -k tcp:127.0.0.1:0,fork </dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"option 'fork' does not apply to 'skit listen'"* ]]
}

@test "the options a command implements are accepted, and work" {
	skit_bg echo -v tcp:127.0.0.1:0,reuseaddr,rcvbuf=64k,backlog=8
	run --separate-stderr timeout 10 "$SKIT" connect \
		"$BG_ADDR,nodelay,keepalive,connect-timeout=2s,sndbuf=1MiB" <<<"hello"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	run --separate-stderr timeout 10 "$SKIT" send --replies 1 \
		"$BG_ADDR,nodelay,connect-timeout=1.5" <<<"hi"
	[ "$status" -eq 0 ]
	run --separate-stderr timeout 10 "$SKIT" ping -c 1 -W 2 "$BG_ADDR,nodelay,bind=127.0.0.1"
	[ "$status" -eq 0 ]
	run --separate-stderr timeout 20 "$SKIT" bench -d 0.2 "$BG_ADDR,rcvbuf=128k"
	[ "$status" -eq 0 ]
	# relay's own: retry= dials again until the server is there
	run --separate-stderr timeout 10 "$SKIT" relay \
		"$BG_ADDR,retry=2,interval=100ms,connect-timeout=2" - <<<"x"
	[ "$status" -eq 0 ]
	[ "$output" = x ]
}

@test "docs/addresses.md's table of options per command matches the commands" {
	rows=$(sed -n '/<!-- options-table/,/<!-- end options-table/p' "$SKIT_SRC/docs/addresses.md" |
		grep '^| ' | tail -n +2)
	cmds=(connect listen send recv relay echo bench ping)
	[ -n "$rows" ]
	while IFS= read -r row; do
		IFS='|' read -r -a cells <<<"$row"
		# cells[1] is the option column; the first option named stands
		# for the row (socket options: nodelay and rcvbuf)
		opts=$(grep -o '`[a-z-]*`' <<<"${cells[1]}" | tr -d '`')
		[ -n "$opts" ] || opts="nodelay rcvbuf"
		case ${cells[1]} in *"socket options"*) opts="nodelay rcvbuf $opts" ;; esac
		for i in "${!cmds[@]}"; do
			cell=$(tr -d ' ' <<<"${cells[$((i + 2))]}")
			cmd=${cmds[$i]}
			for o in $opts; do
				ot=$(opt_text "$o")
				case $cmd:$o in
				# no address of that kind/role fits these commands
				*:user | *:group | *:proto | *:ethertype | *:bind) continue ;;
				esac
				case $cell in
				yes) accepted "$cmd" "$(addr_for "$cmd" "$ot")" ;;
				no) refused "$cmd" "$(addr_for "$cmd" "$ot")" "$ot" ;;
				·) ;;
				*)
					echo "bad cell '$cell' in: $row"
					return 1
					;;
				esac
			done
		done
	done <<<"$rows"
}

@test "durations: one grammar for flags and address options" {
	skit_bg echo -v tcp:127.0.0.1:0
	# -w takes what connect-timeout= takes: 1h, 250ms, 1.5, "2 s" (and -w
	# is also the idle time-out: none so short that a loaded machine trips it)
	for w in 1h 250ms 1.5 "2 s" 1d 900000us; do
		run --separate-stderr timeout 10 "$SKIT" connect -w "$w" "$BG_ADDR" <<<"ok"
		[ "$status" -eq 0 ]
		[ "$output" = ok ]
	done
	run --separate-stderr "$SKIT" resolve -n "tcp:127.0.0.1:1,connect-timeout=1h,interval=1.5 s,rcvbuf=64KiB"
	[ "$status" -eq 0 ]
	[[ "$output" == *"connect-timeout=3600000ms"* ]]
	[[ "$output" == *"interval=1500ms"* ]]
	[[ "$output" == *"rcvbuf=65536"* ]]
	run --separate-stderr "$SKIT" connect -w 1x "$BG_ADDR"
	[ "$status" -eq 2 ]
	[ "$stderr" = "skit: -w: '1x' is not a duration (seconds, or with ns/us/ms/s/m/h/d)" ]
	run --separate-stderr "$SKIT" connect -w 99999999999999999999 "$BG_ADDR"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"too long a duration"* ]]
	run --separate-stderr "$SKIT" ping -c 1 -i 1e3 "$BG_ADDR"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"'1e3' is not a duration"* ]]
}

@test "sizes: one grammar for flags and address options" {
	run --separate-stderr "$SKIT" resolve -n "tcp:127.0.0.1:1,rcvbuf=1m,sndbuf=64kb"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rcvbuf=1048576"* ]]
	[[ "$output" == *"sndbuf=65536"* ]]
	run --separate-stderr "$SKIT" bench --size 1.5k -d 0.1 tcp:127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--size: '1.5k' is not a size"* ]]
	run --separate-stderr "$SKIT" resolve -n "tcp:127.0.0.1:1,rcvbuf=1.5k"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"bad value '1.5k'"* ]]
}
