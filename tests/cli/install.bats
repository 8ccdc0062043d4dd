#!/usr/bin/env bats
# make install: binary, static and shared library, headers, skit.pc and
# the man page land under DESTDIR/PREFIX, and a program builds against
# what was installed.
load helpers

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
