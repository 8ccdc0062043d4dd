# skit - GNU make build.
#
#   make                 build build/skit, build/libskit.{a,so}, skit.pc,
#                        the man pages (build/man, from docs/*.md by pandoc)
#   make check           every test: checksrc, format, unit (cmocka), CLI
#                        (bats), fuzz corpora; then unit+CLI again under
#                        AddressSanitizer + UndefinedBehaviorSanitizer
#   make install PREFIX=/usr/local [DESTDIR=...]
#                        binary, libraries, headers, skit.pc, man pages;
#                        ldconfig after a system-wide install
#   make uninstall       removes every file install put down
#   make fuzz            libFuzzer targets (clang) in build/fuzz/
#   make examples        examples/*.c (the public API in use) in build/examples/
#   make format          clang-format every source file in place
#
# Sources are found by wildcard: a new src/<stage>/*.c joins the library
# (stages: core, addr, net, layer, proto, engine; see README "Layout"), a
# new cli/*.c or cli/<command>/*.c the binary, tests/unit/test_*.c a unit test, fuzz/fuzz_*.c a
# fuzz target, tests/shim/*.c an LD_PRELOAD shim.

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
CLANG    ?= clang
SAN      ?=

VERSION  := $(shell sed -n 's/^\#define SKIT_VERSION "\(.*\)"/\1/p' include/skit/skit.h)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter
CSTD     := -std=c11 -D_GNU_SOURCE
OPT      ?= -O2 -g
CPPFLAGS += -Iinclude
CFLAGS   ?=
CFLAGS   += $(CSTD) $(WARN) $(OPT) -fPIC -fno-strict-aliasing
LDLIBS   += -lpcap -lssl -lcrypto -lz -lpthread -lm

ifneq ($(SAN),)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(wildcard src/*/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c cli/*/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
SHIM_SRC := $(sort $(wildcard tests/shim/*.c))
EX_SRC   := $(sort $(wildcard examples/*.c))
HDRS     := $(wildcard include/skit/*.h cli/*.h cli/*/*.h src/*/*.h)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
SHIM_SO  := $(SHIM_SRC:tests/shim/%.c=$(BUILD)/tests/%.so)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
EX_BIN   := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)
MAN_SRC  := $(sort $(wildcard docs/*.md))
MAN_DIR  := $(BUILD)/man

.PHONY: all deps check check-build check-suites unit cli-tests checksrc format \
        format-check fuzz fuzz-check install uninstall clean examples
.DEFAULT_GOAL := all

all: deps-build $(BUILD)/skit $(BUILD)/libskit.a $(BUILD)/libskit.so skit.pc \
	$(MAN_DIR)/.stamp

deps-build:
	@scripts/deps.sh build

# The library includes its internal headers by path from src/
# ("core/io_int.h"); the CLI sees only include/ and cli/.
$(BUILD)/src/%.o: CPPFLAGS += -Isrc
$(BUILD)/cli/%.o: CPPFLAGS += -Icli

# `skit help concepts` prints docs/concepts.md, built in as a C string.
$(BUILD)/gen/concepts.inc: docs/concepts.md
	@mkdir -p $(dir $@)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@

$(BUILD)/cli/main.o: $(BUILD)/gen/concepts.inc
$(BUILD)/cli/main.o: CPPFLAGS += -I$(BUILD)/gen

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libskit.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Only the public API is exported, versioned SKIT_0.1 (src/libskit.map).
$(BUILD)/libskit.so: $(LIB_OBJ) src/libskit.map
	$(CC) -shared -Wl,-soname,libskit.so.0 \
		-Wl,--version-script=src/libskit.map $(LDFLAGS) -o $@ \
		$(LIB_OBJ) $(LDLIBS)

$(BUILD)/skit: $(CLI_OBJ) $(BUILD)/libskit.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libskit.a $(LDLIBS)

# Man pages: one per docs/*.md (skit.1, skit-CMD.1, skit-TOPIC.7,
# libskit.3), generated so that they and the docs cannot drift. The
# command list and the NAME lines come from the binary's --help.
$(MAN_DIR)/.stamp: $(MAN_SRC) scripts/mkman scripts/man.lua $(BUILD)/skit
	scripts/mkman $(BUILD)/skit $(MAN_DIR) $(MAN_SRC)
	@touch $@

skit.pc: skit.pc.in include/skit/skit.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Unit tests: tests/unit/test_x.c links against the static library (so
# internal skit__ functions are reachable) and cmocka.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libskit.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Isrc $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libskit.a -lcmocka $(LDLIBS)

# LD_PRELOAD shims for fault injection (never sanitized: they must load
# into any process).
$(BUILD)/tests/%.so: tests/shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CSTD) $(WARN) -O2 -fPIC -shared -o $@ $< -ldl

# examples/*.c: short programs on the public API only (include/ and the
# library). `make check` also builds them against an installed copy
# (tests/cli/install.bats).
examples: $(EX_BIN)

$(BUILD)/examples/%: examples/%.c $(BUILD)/libskit.a $(wildcard include/skit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libskit.a $(LDLIBS)

# --- tests -------------------------------------------------------------

check: deps checksrc format-check
	@scripts/run-tests.sh

# What one pass of the suites needs built, and the pass itself (both
# called by scripts/run-tests.sh).
check-build: all $(UNIT_BIN) $(SHIM_SO)

check-suites: check-build
	@SKIT=$(abspath $(BUILD)/skit) BUILD=$(abspath $(BUILD)) \
		scripts/run-suites.sh $(UNIT_BIN)

deps:
	@scripts/deps.sh test

checksrc:
	@python3 scripts/checksrc

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) $(FUZZ_SRC) \
		$(SHIM_SRC) $(EX_SRC) $(HDRS)

format-check:
	@clang-format --dry-run --Werror $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) \
		$(FUZZ_SRC) $(SHIM_SRC) $(EX_SRC) $(HDRS) && echo "format: ok"

# --- fuzzing -----------------------------------------------------------

FUZZ_CFLAGS := $(CSTD) -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
               -fno-sanitize-recover=undefined \
               -Iinclude -Isrc
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzzobj/%.o)

build/fuzzobj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

build/fuzz/%: fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) \
		-lpcap -lssl -lcrypto -lz -lpthread -lm

fuzz: $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)

# Run every fuzz target over its seed corpus (a regression check; use
# scripts/fuzz-run.sh for real fuzzing).
fuzz-check: fuzz
	@scripts/fuzz-check.sh $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)

# --- install -----------------------------------------------------------

# ldconfig refreshes the loader's cache after a system-wide install (no
# DESTDIR: a staged install is someone else's to register; PREFIX one of
# the loader's own directories' prefixes).
LDCONFIG ?= ldconfig
RUN_LDCONFIG := $(if $(DESTDIR),,$(if $(filter /usr /usr/local,$(PREFIX)),$(LDCONFIG)))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/skit \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man3 \
		$(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(BUILD)/skit $(DESTDIR)$(PREFIX)/bin/skit
	install -m 644 $(BUILD)/libskit.a $(DESTDIR)$(PREFIX)/lib/libskit.a
	install -m 755 $(BUILD)/libskit.so \
		$(DESTDIR)$(PREFIX)/lib/libskit.so.$(VERSION)
	ln -sf libskit.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libskit.so.0
	ln -sf libskit.so.0 $(DESTDIR)$(PREFIX)/lib/libskit.so
	install -m 644 include/skit/*.h $(DESTDIR)$(PREFIX)/include/skit/
	# skit.pc is written for the PREFIX installed to, not the one built with.
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' skit.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/skit.pc
	chmod 644 $(DESTDIR)$(PREFIX)/lib/pkgconfig/skit.pc
	for s in 1 3 7; do \
		install -m 644 $(MAN_DIR)/*.$$s $(DESTDIR)$(PREFIX)/share/man/man$$s/ \
		|| exit 1; done
	$(RUN_LDCONFIG)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/skit $(DESTDIR)$(PREFIX)/lib/libskit.a \
		$(DESTDIR)$(PREFIX)/lib/libskit.so $(DESTDIR)$(PREFIX)/lib/libskit.so.0 \
		$(DESTDIR)$(PREFIX)/lib/libskit.so.[0-9]*.[0-9]* \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/skit.pc \
		$(DESTDIR)$(PREFIX)/share/man/man1/skit.1 \
		$(DESTDIR)$(PREFIX)/share/man/man1/skit-*.1 \
		$(DESTDIR)$(PREFIX)/share/man/man3/libskit.3 \
		$(DESTDIR)$(PREFIX)/share/man/man7/skit-*.7
	rm -rf $(DESTDIR)$(PREFIX)/include/skit
	$(RUN_LDCONFIG)

clean:
	rm -rf build skit.pc
