#!/usr/bin/env bats
# make install: binary, static and shared library, headers, skit.pc and
# the man page land under DESTDIR/PREFIX, and a program builds against
# what was installed.
load helpers

teardown() {
	bg_cleanup
}

setup() {
	: "${BUILD:=$SKIT_SRC/build}"
	D=$BATS_TEST_TMPDIR/root
	P=/opt/skit-test
	# The objects in $BUILD are up to date, so this only copies files.
	run -0 make -s -C "$SKIT_SRC" install BUILD="$BUILD" DESTDIR="$D" PREFIX="$P"
}

@test "make install puts every piece under DESTDIR/PREFIX" {
	[ -x "$D$P/bin/skit" ]
	[ -f "$D$P/lib/libskit.a" ]
	[ -L "$D$P/lib/libskit.so" ] && [ -L "$D$P/lib/libskit.so.0" ]
	[ -f "$D$P/include/skit/skit.h" ] && [ -f "$D$P/include/skit/addr.h" ]
	[ -f "$D$P/share/man/man1/skit.1" ] && [ -f "$D$P/share/man/man3/libskit.3" ]
	[ -f "$D$P/share/man/man7/skit-addresses.7" ]
	grep -q "^prefix=$P\$" "$D$P/lib/pkgconfig/skit.pc"
	run -0 "$D$P/bin/skit" --version
	[ "$output" = "$("$SKIT" --version)" ]
}

@test "make install: a man page per command, found by man through MANPATH" {
	need_cmd man
	for c in $("$SKIT" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}'); do
		[ "$c" = help ] || [ "$c" = version ] && continue
		[ -f "$D$P/share/man/man1/skit-$c.1" ] || { echo "no skit-$c.1"; false; }
	done
	export MANPATH=$D$P/share/man MANWIDTH=80 LC_ALL=C.UTF-8
	run -0 man skit-relay
	[[ "$output" == *"skit-relay - relay two endpoints"* ]]
	run -0 man 7 skit-addresses
	[[ "$output" == *"skit-addresses - the address grammar"* ]]
	run -0 man 3 libskit
	[[ "$output" == *SKIT_0.1* ]]
	run -0 man skit
	[[ "$output" == *"skit-relay(1)"* ]]
	[[ "$output" != *"source tree"* ]]
}

@test "make uninstall removes every file make install put down" {
	run -0 find "$D$P" -type f -o -type l
	[ "${#lines[@]}" -ge 20 ]
	run -0 make -s -C "$SKIT_SRC" uninstall BUILD="$BUILD" DESTDIR="$D" PREFIX="$P"
	run -0 find "$D$P" -type f -o -type l
	echo "$output"
	[ -z "$output" ]
}

@test "make install runs ldconfig only for a system-wide install" {
	# make -n prints the recipe without running it.
	run -0 make -n -C "$SKIT_SRC" install BUILD="$BUILD" PREFIX=/usr/local LDCONFIG=ldconfig
	grep -qx ldconfig <<<"$output"
	run -0 make -n -C "$SKIT_SRC" install BUILD="$BUILD" PREFIX=/usr DESTDIR="$D" LDCONFIG=ldconfig
	[ -z "$(grep -x ldconfig <<<"$output")" ]
	run -0 make -n -C "$SKIT_SRC" install BUILD="$BUILD" PREFIX="$P" LDCONFIG=ldconfig
	[ -z "$(grep -x ldconfig <<<"$output")" ]
	run -0 make -n -C "$SKIT_SRC" uninstall BUILD="$BUILD" PREFIX=/usr LDCONFIG=ldconfig
	grep -qx ldconfig <<<"$output"
}

# A program on the public API, valid as C and as C++, built against the
# installed copy with COMPILER [FLAGS...] (pkg-config's flags added; the
# installed shared library found through rpath) into $BATS_TEST_TMPDIR/prog.
build_prog() {
	local san= flags
	cat >"$BATS_TEST_TMPDIR/prog.c" <<'C'
#include <stdio.h>
#include <skit/skit.h>

int
main(int argc, char **argv)
{
	struct skit_addr a;
	struct skit_err err;
	char buf[SKIT_ADDR_TEXT_MAX];

	if (argc < 2 || skit_addr_parse(argv[1], SKIT_ROLE_DEFAULT, &a, &err))
		return 2;
	skit_addr_format(&a, buf, sizeof(buf));
	printf("%s %s\n", skit_version(), buf);
	return 0;
}
C
	case "$BUILD" in *san*) san="-fsanitize=address,undefined" ;; esac
	flags=$(PKG_CONFIG_PATH="$D$P/lib/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$D" pkg-config --static --cflags --libs skit)
	"$@" $san -o "$BATS_TEST_TMPDIR/prog" "$BATS_TEST_TMPDIR/prog.c" \
		$flags -Wl,-rpath,"$D$P/lib"
}

@test "a program builds against the installed headers and library" {
	need_cmd pkg-config
	run -0 build_prog cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror
	run "$BATS_TEST_TMPDIR/prog" "TCP-LISTEN:8080,reuseaddr"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" tcp-listen::8080,reuseaddr" ]]
}

@test "every installed header compiles on its own: C11 -pedantic and C++ (extern \"C\")" {
	for h in "$D$P"/include/skit/*.h; do
		echo '' | cc -std=c11 -pedantic -D_POSIX_C_SOURCE=200809L -Wall \
			-Wextra -Werror -fsyntax-only -I"$D$P/include" -include "$h" -x c - ||
			{ echo "not self-contained C11: $h"; false; }
		echo '' | g++ -Wall -Wextra -Werror -fsyntax-only -I"$D$P/include" \
			-include "$h" -x c++ - ||
			{ echo "not C++: $h"; false; }
		grep -q '^extern "C" {$' "$h" || { echo "no extern \"C\": $h"; false; }
	done
}

@test "a C++ program links against the installed library (extern \"C\")" {
	need_cmd g++
	need_cmd pkg-config
	run -0 build_prog g++ -x c++ -Wall -Wextra -Werror
	run -0 "$BATS_TEST_TMPDIR/prog" "udp4:127.0.0.1:53"
	[[ "$output" == *" udp4:127.0.0.1:53" ]]
}

@test "libskit.so exports the declared API only, versioned SKIT_0.1" {
	need_cmd nm
	need_cmd python3
	run python3 "$SKIT_SRC/tests/cli/abi_check.py" "$D$P/lib/libskit.so" "$D$P/include"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *", 0 problems" ]]
	# Not vacuous: the library's own internals are there, just hidden.
	nm "$BUILD/libskit.a" | grep -q " T skit__"
	[ -z "$(nm -D --defined-only "$D$P/lib/libskit.so" | grep ' skit__')" ]
}

@test "skit.pc: Requires.private names OpenSSL; --cflags --libs are what a user links with" {
	need_cmd pkg-config
	export PKG_CONFIG_PATH="$D$P/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
	run -0 pkg-config --print-requires-private skit
	grep -qx libssl <<<"$output"
	grep -qx libcrypto <<<"$output"
	grep -qx zlib <<<"$output"
	# A shared link needs libskit alone (the private ones are its own).
	run -0 pkg-config --cflags --libs skit
	[[ " $output " == *" -I$D$P/include "* ]]
	[[ " $output " == *" -L$D$P/lib -lskit "* ]]
	[[ "$output" != *-lssl* ]]
	run -0 pkg-config --static --libs skit
	for l in -lskit -lssl -lcrypto -lz -lpcap -lpthread -lm; do
		[[ " $output " == *" $l "* ]] || { echo "no $l"; false; }
	done
}

# examples/*.c: built against what was installed, the way a user would.
build_examples() {
	local san= flags f
	case "$BUILD" in *san*) san="-fsanitize=address,undefined" ;; esac
	flags=$(PKG_CONFIG_PATH="$D$P/lib/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$D" pkg-config --cflags --libs skit)
	for f in "$SKIT_SRC"/examples/*.c; do
		cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $san \
			-o "$BATS_TEST_TMPDIR/$(basename "$f" .c)" "$f" $flags \
			-Wl,-rpath,"$D$P/lib" || { echo "does not build: $f"; return 1; }
		[ "$(wc -l <"$f")" -le 60 ] || { echo "over 60 lines: $f"; return 1; }
	done
}

@test "examples: each builds against the installed library, under 60 lines" {
	need_cmd pkg-config
	build_examples
}

@test "examples/dial: retries until the server is there, then talks to it" {
	need_cmd pkg-config
	build_examples
	sock=$BATS_TEST_TMPDIR/later.sock
	"$BATS_TEST_TMPDIR/dial" "unix:$sock,retry=100,interval=50ms" hello \
		>"$BATS_TEST_TMPDIR/dial.out" 2>"$BATS_TEST_TMPDIR/dial.err" &
	local dial=$!
	for i in $(seq 1 100); do
		grep -q "retry 1 in 50 ms" "$BATS_TEST_TMPDIR/dial.err" && break
		sleep 0.05
	done
	grep -q "retry 1 in 50 ms" "$BATS_TEST_TMPDIR/dial.err"
	skit_bg echo -v "unix-listen:$sock"
	wait_exit "$dial" 20
	cat "$BATS_TEST_TMPDIR/dial.err"
	[ "$WAIT_RC" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/dial.out")" = hello ]
	grep -q "^dial: connected to unix:$sock (round [0-9]*)$" "$BATS_TEST_TMPDIR/dial.err"
	# A bad address is the library's message.
	run --separate-stderr "$BATS_TEST_TMPDIR/dial" "tcp:[::1" x
	[ "$status" -eq 1 ]
	[[ "$stderr" == "dial: "* ]]
}

# ex_bg PROG ARGS...: an example server in the background; waits for its
# "listening on ADDR" line and sets EX_PID, EX_ADDR, EX_PORT, EX_ERR.
ex_bg() {
	local i
	EX_ERR=$BATS_TEST_TMPDIR/$1.err
	: >"$EX_ERR" # (read before the program has opened it)
	"$BATS_TEST_TMPDIR/$@" 2>>"$EX_ERR" </dev/null &
	EX_PID=$!
	BG_PIDS="${BG_PIDS:-} $EX_PID"
	for i in $(seq 1 200); do
		EX_ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$EX_ERR")
		[ -n "$EX_ADDR" ] && break
		sleep 0.05
	done
	[ -n "$EX_ADDR" ]
	EX_PORT=${EX_ADDR##*:}
}

@test "examples/echo_serve: each client's bytes come back; one over MAX is closed at once" {
	need_cmd pkg-config
	build_examples
	ex_bg echo_serve tcp-listen:127.0.0.1:0 1
	run timeout 10 "$SKIT" connect "$EX_ADDR" <<<"hello"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	# one held client: the next is closed at once (EOF, nothing back)
	mkfifo "$BATS_TEST_TMPDIR/hold"
	exec 7<>"$BATS_TEST_TMPDIR/hold"
	"$SKIT" connect "$EX_ADDR" <"$BATS_TEST_TMPDIR/hold" >/dev/null 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	sleep 0.3
	run timeout 10 "$SKIT" connect "$EX_ADDR" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "examples/relay_frame: lines of a stream client become datagrams to the target and back" {
	need_cmd pkg-config
	need_cmd python3
	build_examples
	python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
for _ in range(10):
    m, p = s.recvfrom(100); s.sendto(m.upper(), p)
' >"$BATS_TEST_TMPDIR/udp.port" &
	BG_PIDS="${BG_PIDS:-} $!"
	for i in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/udp.port" ] && break; sleep 0.05; done
	ex_bg relay_frame tcp-listen:127.0.0.1:0,fork "udp:127.0.0.1:$(cat "$BATS_TEST_TMPDIR/udp.port")" line
	run timeout 10 "$SKIT" connect -q 1 "$EX_ADDR" < <(printf 'abc\ndef\n')
	[ "$output" = "$(printf 'ABC\nDEF')" ]
	for i in $(seq 1 100); do grep -q "#1 eof, 2 messages out" "$EX_ERR" && break; sleep 0.05; done
	grep -q "#1 eof, 2 messages out" "$EX_ERR"
}
