#!/usr/bin/env bats
# Usage walk: every option of every command, read from the option table
# that `skit CMD --help` prints, is accepted in its short and its long
# form; every usage error exits 2 with a message that names what was
# wrong. Nothing here opens a socket: each run ends at a usage error.
load helpers

# The commands listed by skit --help that have an options table.
commands() {
	"$SKIT" --help | sed -n '/^commands:/,/^$/p' |
		awk 'NF && !/^commands:/ {print $1}' | grep -vxE 'help|version'
}

# The options of `skit CMD --help`, one a line: SHORT<TAB>LONG<TAB>ARG
# (SHORT and ARG are "-" when there is none); --help is left out.
options() {
	"$SKIT" "$1" --help | python3 -c '
import re, sys
sect = False
for line in sys.stdin:
    if line.startswith("options:"):
        sect = True
        continue
    if sect and not line.strip():
        break
    m = re.match(r"  (?:-(\S), |    )--([\w-]+)(?: (\x27[^\x27]*\x27|\S+))?(?:  |$)", line)
    if sect and m and m.group(2) != "help":
        print("\t".join(g or "-" for g in m.groups()))
'
}

# A valid value for ARG of option LONG of command CMD.
good_value() {
	local cmd=$1 long=$2 arg=$3
	case "$cmd:$long" in
	bench:mode) echo rr; return ;;
	bench:bitrate) echo 1m; return ;;
	relay:buffer) echo 64k; return ;;
	*:framing) echo line; return ;;
	*:data-file | *:ca-file) echo "$BATS_TEST_TMPDIR/file"; return ;;
	esac
	case "$arg" in
	N | TTL) echo 1 ;;
	SECS) echo 1 ;;
	BYTES | SIZE) echo 64 ;;
	PORT) echo 0 ;;
	ADDR) echo 127.0.0.1 ;;
	CIDR) echo 127.0.0.0/8 ;;
	DIR) echo send ;;
	HEX) echo ab ;;
	LIST) echo inet ;;
	'ok|failed') echo ok ;;
	IFACE) echo lo ;;
	PROTO | P) echo tcp ;;
	FILE) echo "$BATS_TEST_TMPDIR/out" ;;
	METHOD) echo GET ;;
	USER:PASS) echo al:pw ;;
	"'NAME: VALUE'") echo 'X-Skit: 1' ;;
	"'PROG ARGS'" | "'CMD'") echo cat ;;
	*) echo x ;;
	esac
}

# Placeholders whose value skit checks while parsing options: a bad one
# must be a usage error that quotes it. (A PORT may be a service name:
# it is looked up with the address, later.)
checked_arg() {
	case "$1" in
	N | TTL | SECS | BYTES | SIZE | CIDR | DIR | HEX | LIST | \
		'ok|failed' | MODE | PROTO) return 0 ;;
	esac
	return 1
}

# A short letter CMD does not have.
unused_short() {
	local used l
	used=$(options "$1" | cut -f1)
	for l in Z Y J K G; do
		grep -qx -- "$l" <<<"$used" || { echo "$l"; return; }
	done
}

# check WHAT EXPECT ARGS...: run skit ARGS (10 s at most, stdin empty);
# unless it exits 2 with a stderr line containing EXPECT, add a line to
# $BAD. Runs no server: every case ends at a usage error.
check() {
	local what=$1 expect=$2 rc err
	shift 2
	err=$(timeout 10 "$SKIT" "$@" 2>&1 >/dev/null </dev/null) && rc=0 || rc=$?
	NCHECKS=$((NCHECKS + 1))
	if [ "$rc" -ne 2 ] || [ -z "$err" ] || [[ "$err" != *"$expect"* ]]; then
		BAD="$BAD
$what: skit $* -> exit $rc, stderr '${err//$'\n'/ | }' (want 2 and '$expect')"
	fi
}

setup() {
	: >"$BATS_TEST_TMPDIR/file"
	BAD=
	NCHECKS=0
}

report() {
	echo "$NCHECKS checks; failures:$BAD"
	[ "$NCHECKS" -ge "$1" ]
	[ -z "$BAD" ]
}

@test "usage walk: the walk sees every command and its options" {
	run commands
	[[ "$output" == *listen* ]] && [[ "$output" == *get* ]]
	run options listen
	[[ "$output" == *$'e\texec\t'"'PROG ARGS'"* ]]
	[[ "$output" == *$'-\tbroker\t-'* ]]
	run options get
	[[ "$output" == *$'H\theader\t'"'NAME: VALUE'"* ]]
}

# each_option FN: call FN CMD SHORT LONG ARG for every option of every
# command (SHORT and ARG "-" when there is none).
each_option() {
	local c s l a
	for c in $(commands); do
		while IFS=$'\t' read -r s l a; do
			"$1" "$c" "$s" "$l" "$a"
		done < <(options "$c")
	done
}

# The option comes first, an unknown one after it: a command that took
# the first goes on to complain about the second.
accepted() {
	local c=$1 s=$2 l=$3 a=$4 v=()
	[ "$a" = - ] || v=("$(good_value "$c" "$l" "$a")")
	check "$c --$l" "'--zz-sentinel'" "$c" "--$l" "${v[@]}" --zz-sentinel
	[ "$a" = - ] ||
		check "$c --$l=" "'--zz-sentinel'" "$c" "--$l=${v[0]}" --zz-sentinel
	[ "$s" = - ] && return
	check "$c -$s" "'--zz-sentinel'" "$c" "-$s" "${v[@]}" --zz-sentinel
	[ "$a" = - ] ||
		check "$c -$s<v>" "'--zz-sentinel'" "$c" "-$s${v[0]}" --zz-sentinel
}

missing_value() {
	local c=$1 s=$2 l=$3 a=$4
	[ "$a" = - ] && return
	check "$c --$l" "'--$l'" "$c" "--$l"
	[ "$s" = - ] || check "$c -$s" "'-$s'" "$c" "-$s"
}

bad_value() {
	local c=$1 s=$2 l=$3 a=$4
	checked_arg "$a" || return 0
	check "$c --$l" "'zz-bad'" "$c" "--$l" zz-bad
	[ "$s" = - ] || check "$c -$s" "'zz-bad'" "$c" "-$s" zz-bad
}

flag_value() {
	local c=$1 l=$3 a=$4
	[ "$a" = - ] || return 0
	check "$c --$l=" "'--$l'" "$c" "--$l=1"
}

@test "usage walk: every short and long option is accepted with a value" {
	each_option accepted
	report 150
}

@test "usage walk: a missing value names the option" {
	each_option missing_value
	report 50
}

@test "usage walk: a bad value is quoted in the message" {
	each_option bad_value
	report 40
}

@test "usage walk: a flag given a value names the flag" {
	each_option flag_value
	report 40
}

@test "usage walk: unknown options are named" {
	local c u
	for c in $(commands); do
		u=$(unused_short "$c")
		check "$c --zz" "'--zz-nope'" "$c" --zz-nope
		check "$c -$u" "'-$u'" "$c" "-$u"
		check "$c -$u (operand first)" "'-$u'" "$c" tcp:127.0.0.1:9 "-$u"
	done
	report 30
}

# The operands a command takes, from the first synopsis line: REQUIRED
# when a word outside [brackets] remains, MANY when it ends in "...".
synopsis() {
	"$SKIT" "$1" --help | head -1 | sed 's/^usage: skit [a-z]* //'
}

@test "usage walk: a missing operand is a usage error with a message" {
	local c syn n=0
	for c in $(commands); do
		syn=$(synopsis "$c")
		while [[ "$syn" == *\[* ]]; do
			syn=$(sed 's/\[[^][]*\]//g' <<<"$syn")
		done
		[[ "$syn" =~ [A-Z] ]] || continue
		check "$c (no operand)" "skit: $c: " "$c"
		n=$((n + 1))
	done
	echo "commands with a required operand: $n"
	[ "$n" -ge 8 ]
	report 8
}

@test "usage walk: too many operands is a usage error with a message" {
	local c
	for c in $(commands); do
		[[ "$(synopsis "$c")" == *...* ]] && continue
		check "$c (too many)" "skit: $c: " "$c" 127.0.0.1 9 a b c d e
	done
	report 8
}

@test "habits from nc and ncat: listen refuses them with the skit way" {
	hint() { # FLAG... -> the hint line skit listen gives
		run --separate-stderr "$SKIT" listen "$@" 127.0.0.1 0
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"unknown option"* ]]
		sed -n 's/^hint: //p' <<<"$stderr"
	}
	[ "$(hint -N)" = "skit shuts the client's write side down at stdin EOF by default (--no-shutdown keeps it open)" ]
	[[ "$(hint -d)" == "did you mean --recv-only?"* ]]
	[[ "$(hint -z)" == *"skit connect -w 1 HOST PORT </dev/null"* ]]
	[[ "$(hint -s 127.0.0.1)" == *"skit listen tcp:ADDR:PORT"* ]]
	[[ "$(hint -lvnzp 80)" == *"does not scan"* ]]
	[[ "$(hint -i 1)" == *"-w SECS"* ]]
	[[ "$(hint -x)" == *"--hex"* ]]
	[[ "$(hint --lua-exec=x.lua)" == *"--exec"* ]]
	[[ "$(hint -I 1024)" == *"rcvbuf="* ]]
	# the options it does take still work: -l -p -k -n -v -e -c -m
	run --separate-stderr "$SKIT" listen -l -n -p 0 --wat
	[ "$status" -eq 2 ]
	[[ "$stderr" != *hint:* ]]
}

@test "habits from curl and wget: a refused option gets a hint" {
	run --separate-stderr "$SKIT" get -o out http://127.0.0.1:1/
	[ "$status" -eq 2 ]
	[ "$(sed -n 2p <<<"$stderr")" = "hint: did you mean -O FILE? (curl's -o FILE; wget's -o is a log file, which skit does not write)" ]
	for o in -L --location -Lv; do
		run --separate-stderr "$SKIT" get "$o" http://127.0.0.1:1/
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"hint: skit follows redirects by default (--max-redirect N limits them)"* ]]
	done
	# FLAG[,FLAG]:what the hint says
	for o in -s,--silent:-q -f,--fail:"by default" -i,--include:-S \
		-t,--tries:--retry -T:--timeout --no-check-certificate:-k \
		--output-document:"-O FILE" -r,--recursive:"does not recurse" \
		--no-clobber:NAME.1; do
		flags=${o%%:*}
		for f in ${flags//,/ }; do
			run --separate-stderr "$SKIT" get "$f" http://127.0.0.1:1/
			[ "$status" -eq 2 ]
			[[ "$stderr" == *"hint: "*"${o#*:}"* ]] || { echo "$f: $stderr"; false; }
		done
	done
	# an option nobody brings: no hint
	run --separate-stderr "$SKIT" get --locat http://127.0.0.1:1/
	[ "$status" -eq 2 ]
	[[ "$stderr" != *hint:* ]]
}
