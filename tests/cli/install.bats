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
	[ -f "$D$P/share/man/man1/skit.1" ]
	grep -q "^prefix=$P\$" "$D$P/lib/pkgconfig/skit.pc"
	run -0 "$D$P/bin/skit" --version
	[ "$output" = "$("$SKIT" --version)" ]
}

@test "a program builds against the installed headers and library" {
	need_cmd pkg-config
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
	san=
	case "$BUILD" in *san*) san="-fsanitize=address,undefined" ;; esac
	flags=$(PKG_CONFIG_PATH="$D$P/lib/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$D" pkg-config --static --cflags --libs skit)
	# Linked against the installed shared library (found through rpath).
	run -0 cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror $san \
		-o "$BATS_TEST_TMPDIR/prog" "$BATS_TEST_TMPDIR/prog.c" $flags \
		-Wl,-rpath,"$D$P/lib"
	run "$BATS_TEST_TMPDIR/prog" "TCP-LISTEN:8080,reuseaddr"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" tcp-listen::8080,reuseaddr" ]]
}

@test "every installed header compiles on its own (C11 + POSIX)" {
	for h in "$D$P"/include/skit/*.h; do
		echo '' | cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror \
			-fsyntax-only -I"$D$P/include" -include "$h" -x c - ||
			{ echo "not self-contained: $h"; false; }
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
