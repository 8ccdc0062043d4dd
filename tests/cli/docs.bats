#!/usr/bin/env bats
# Project-wide documentation checks. They run over whatever commands
# `skit --help` lists, so they keep holding as commands are added:
#   - `skit CMD --help` exits 0 and writes only to stdout;
#   - every --long option it shows is documented in docs/CMD.md;
#   - docs/skit.md (skit(1)) has the command, and its exit status
#     table agrees with enum cli_exit in cli/cli.h;
#   - every docs/*.md has its generated man page in $BUILD/man (skit-CMD(1)
#     for every command), which renders without warnings.
load helpers

DOCS=$SKIT_SRC/docs
MAN=${BUILD:-$SKIT_SRC/build}/man

# The commands listed by skit --help, one a line.
commands() {
	"$SKIT" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}'
}

# The --long options shown in the options section of `skit CMD --help`
# (the option column only, not the prose), one a line, without --help.
long_opts() {
	"$SKIT" "$1" --help |
		sed -n '/^options:/,/^$/p' |
		grep -oE '^  (-[^ ,], )? *--[a-zA-Z0-9][a-zA-Z0-9-]*' |
		grep -oE -- '--[a-zA-Z0-9][a-zA-Z0-9-]*' |
		grep -vx -- '--help' | sort -u
}

# help and version are documented in skit(1) only.
needs_page() {
	[ "$1" != help ] && [ "$1" != version ]
}

@test "docs: skit --help lists commands" {
	run commands
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 3 ]
}

@test "docs: skit CMD --help exits 0 on stdout, nothing on stderr" {
	for c in $(commands); do
		run --separate-stderr "$SKIT" "$c" --help
		echo "skit $c --help: status $status, stderr '$stderr'"
		[ "$status" -eq 0 ]
		[ -n "$output" ]
		[ -z "$stderr" ]
		[[ "$output" == *usage:* ]]
	done
}

@test "docs: every command has docs/CMD.md" {
	for c in $(commands); do
		needs_page "$c" || continue
		[ -s "$DOCS/$c.md" ] || { echo "missing docs/$c.md"; false; }
	done
}

@test "docs: every --long option of skit CMD --help is in docs/CMD.md" {
	missing=
	for c in $(commands); do
		needs_page "$c" || continue
		[ -f "$DOCS/$c.md" ] || continue # reported by the test above
		for o in $(long_opts "$c"); do
			grep -qF -- "$o" "$DOCS/$c.md" || missing="$missing $c:$o"
		done
	done
	echo "undocumented:$missing"
	[ -z "$missing" ]
}

@test "docs: the option scan sees real options (not vacuous)" {
	run long_opts probe
	[ "$status" -eq 0 ]
	[[ "$output" == *--json* ]]
	[[ "$output" == *--family* ]]
}

@test "docs: docs/skit.md (skit(1)) mentions every command" {
	[ -s "$DOCS/skit.md" ]
	for c in $(commands); do
		grep -qE "\*\*skit $c\*\*" "$DOCS/skit.md" ||
			{ echo "docs/skit.md does not list '$c'"; false; }
	done
}

# The man pages are generated from docs/*.md at build time (make all).
@test "docs: a man page for every page of docs/, each rendering without warnings" {
	need_cmd groff
	for f in "$DOCS"/*.md; do
		d=$(basename "$f" .md)
		case $d in
		skit) m=skit.1 ;;
		libskit) m=libskit.3 ;;
		*) m=$(ls "$MAN" | grep -xE "skit-$d\.[17]") || { echo "no page for $f"; false; } ;;
		esac
		[ -s "$MAN/$m" ] || { echo "no $MAN/$m"; false; }
		# "break": a long code line cannot be adjusted, not an error.
		run groff -man -Tutf8 -ww -Wbreak -z "$MAN/$m"
		echo "$m: $output"
		[ "$status" -eq 0 ] && [ -z "$output" ]
	done
	# Every command has its skit-CMD(1), none a section-7 page.
	for c in $(commands); do
		needs_page "$c" || continue
		[ -s "$MAN/skit-$c.1" ] || { echo "no skit-$c.1"; false; }
	done
}

@test "docs: man -l renders skit(1) with every section, no pointer into the source tree" {
	need_cmd man
	# man strips bold/underline when not on a terminal; the sed is a
	# belt-and-braces removal of any overstrike left.
	out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$MAN/skit.1" 2>&1 | sed 's/.\x08//g')
	[ -n "$out" ] || skip "man -l produced nothing here"
	for s in NAME SYNOPSIS DESCRIPTION COMMANDS ADDRESSES "EXIT STATUS" ENVIRONMENT FILES; do
		grep -q "^$s" <<<"$out" || { echo "no section $s"; false; }
	done
	grep -qE "^ *skit +- socket toolkit" <<<"$out"
	run grep -nE "docs/|source tree|[a-z-]\.md\b" "$MAN"/*.[137]
	echo "$output"
	[ "$status" -eq 1 ]
}

@test "docs: links between docs/ pages become man page references" {
	# docs/connect.md names docs/addresses.md and links half-close.md.
	grep -q "docs/addresses.md" "$DOCS/connect.md"
	grep -q "](half-close.md" "$DOCS/connect.md"
	out=$(MANWIDTH=200 LC_ALL=C.UTF-8 man -l "$MAN/skit-connect.1" 2>&1 | sed 's/.\x08//g')
	[[ "$out" == *"skit-addresses(7)"* ]]
	[[ "$out" == *"skit-half-close(7)"* ]]
	# The NAME line is the command's line in skit --help.
	desc=$("$SKIT" --help | awk '$1 == "connect" {$1 = ""; sub(/^ +/, ""); print}')
	[[ "$out" == *"skit-connect - $desc"* ]]
}

@test "docs: exit codes in skit(1) and docs/exit-codes.md match cli.h" {
	codes=$(sed -n 's/^\s*CLI_EXIT_[A-Z]* = \([0-9]*\),.*/\1/p' "$SKIT_SRC/cli/cli.h")
	[ "$(echo "$codes" | wc -l)" -ge 9 ]
	exit_section=$(sed -n '/^## Exit status/,/^## /p' "$DOCS/skit.md")
	[ -n "$exit_section" ]
	for n in $codes; do
		grep -qE "^- \*\*$n\*\*: " <<<"$exit_section" ||
			{ echo "skit.md: no exit code $n"; false; }
		grep -qE "^\| *$n *\|" "$DOCS/exit-codes.md" ||
			{ echo "exit-codes.md: no exit code $n"; false; }
	done
}

@test "docs: a mistyped command gets exit 2 and a did-you-mean hint" {
	run --separate-stderr "$SKIT" prbe
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown command 'prbe'"* ]]
	[[ "$stderr" == *"hint: did you mean 'skit probe'?"* ]]
	run --separate-stderr "$SKIT" help resolv
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"did you mean 'skit resolve'?"* ]]
	run --separate-stderr "$SKIT" zzzzzzzz
	[ "$status" -eq 2 ]
	[[ "$stderr" != *"did you mean"* ]]
}
