/*
 * test_units.c - the duration and size grammars (skit/units.h): tables
 * of good and bad spellings, overflow at the edges, and format -> parse
 * round trips of the formatters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "skit/units.h"

static const struct {
	const char *text;
	int64_t ms;
} good_durations[] = {
	{ "0", 0 },
	{ "1", 1000 },
	{ "1.5", 1500 },
	{ ".5", 500 },
	{ "0.25", 250 },
	{ "250ms", 250 },
	{ "2s", 2000 },
	{ "5m", 300000 },
	{ "1h", 3600000 },
	{ "1d", 86400000 },
	{ "1.5 s", 1500 },
	{ "250 ms", 250 },
	{ "1us", 1 },	       /* rounds up: not zero */
	{ "1ns", 1 },	       /* rounds up: not zero */
	{ "0us", 0 },	       /* zero stays zero */
	{ "0ns", 0 },	       /* zero stays zero */
	{ "1500us", 2 },       /* 1.5 ms rounds up */
	{ "2000000ns", 2 },    /* exact */
	{ "0.0001", 1 },       /* 0.1 ms rounds up */
	{ "1.0001", 1001 },    /* 1000.1 ms rounds up */
	{ "1.5ms", 2 },	       /* fractions of a ms round up */
	{ "0.000000001", 1 },  /* one ns */
	{ "0.0000000001", 1 }, /* past the ninth decimal: still up */
	{ "0.0000000000", 0 },
	{ "1.000000000000000000000", 1000 },
	{ "007", 7000 },
	{ "0.1h", 360000 },
	{ "9223372036854775807ms", INT64_MAX },
	{ "9223372036854775s", 9223372036854775000LL },
	{ "18446744073709551615ns", 18446744073710 }, /* UINT64_MAX ns */
};

static const struct {
	const char *text;
	int code;
} bad_durations[] = {
	{ "", -EINVAL },
	{ ".", -EINVAL },
	{ "s", -EINVAL },
	{ "ms", -EINVAL },
	{ "-1", -EINVAL },
	{ "+1", -EINVAL },
	{ " 1", -EINVAL },
	{ "1 ", -EINVAL },
	{ "1  s", -EINVAL },
	{ "1e3", -EINVAL },
	{ "1x", -EINVAL },
	{ "1S", -EINVAL },
	{ "1sec", -EINVAL },
	{ "1.", -EINVAL },
	{ "1..5", -EINVAL },
	{ "1.5.2", -EINVAL },
	{ "inf", -EINVAL },
	{ "nan", -EINVAL },
	{ "0x10", -EINVAL },
	{ "1h30m", -EINVAL },
	{ "9223372036854775808ms", -ERANGE },
	{ "9223372036854776s", -ERANGE },
	{ "99999999999999999999999", -ERANGE },
	{ "99999999999999999999999x", -EINVAL },
	{ "18446744073709551616ns", -ERANGE },
	{ "106751991167301d", -ERANGE },
};

static void
test_duration_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good_durations) / sizeof(*good_durations);
	     i++) {
		int64_t ms = -42;
		int rc = skit_parse_duration_ms(good_durations[i].text, &ms);

		if (rc != 0 || ms != good_durations[i].ms)
			fail_msg("'%s': rc %d, %lld ms (want %lld)",
				 good_durations[i].text, rc, (long long)ms,
				 (long long)good_durations[i].ms);
	}
}

static void
test_duration_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_durations) / sizeof(*bad_durations);
	     i++) {
		int64_t ms = -42;
		int rc = skit_parse_duration_ms(bad_durations[i].text, &ms);

		if (rc != bad_durations[i].code || ms != -42)
			fail_msg("'%s': rc %d (want %d), ms %lld",
				 bad_durations[i].text, rc,
				 bad_durations[i].code, (long long)ms);
	}
	assert_int_equal(skit_parse_duration_ms(NULL, NULL), -EINVAL);
}

static const struct {
	const char *text;
	uint64_t bytes;
} good_sizes[] = {
	{ "0", 0 },
	{ "4096", 4096 },
	{ "64k", 65536 },
	{ "64K", 65536 },
	{ "64kb", 65536 },
	{ "64KB", 65536 },
	{ "64KiB", 65536 },
	{ "64kib", 65536 },
	{ "1m", 1048576 },
	{ "1M", 1048576 },
	{ "1MiB", 1048576 },
	{ "2g", 2147483648ULL },
	{ "2G", 2147483648ULL },
	{ "1t", 1ULL << 40 },
	{ "1000b", 1000 },
	{ "1000 B", 1000 },
	{ "64 KiB", 65536 },
	{ "8388607t", 8388607ULL << 40 },
	{ "9223372036854775807", INT64_MAX },
};

static const struct {
	const char *text;
	int code;
} bad_sizes[] = {
	{ "", -EINVAL },
	{ "k", -EINVAL },
	{ "-1", -EINVAL },
	{ "+1", -EINVAL },
	{ " 1", -EINVAL },
	{ "1 ", -EINVAL },
	{ "1.5k", -EINVAL },
	{ "1x", -EINVAL },
	{ "1kk", -EINVAL },
	{ "1ki", -EINVAL },
	{ "1kbb", -EINVAL },
	{ "1ib", -EINVAL },
	{ "1p", -EINVAL },
	{ "0x10", -EINVAL },
	{ "1e3", -EINVAL },
	{ "8388608t", -ERANGE },
	{ "9223372036854775808", -ERANGE },
	{ "99999999999999999999999", -ERANGE },
	{ "99999999999999999999999q", -EINVAL },
};

static void
test_size_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good_sizes) / sizeof(*good_sizes); i++) {
		uint64_t v = 42;
		int rc = skit_parse_size(good_sizes[i].text, &v);

		if (rc != 0 || v != good_sizes[i].bytes)
			fail_msg("'%s': rc %d, %llu (want %llu)",
				 good_sizes[i].text, rc, (unsigned long long)v,
				 (unsigned long long)good_sizes[i].bytes);
	}
}

static void
test_size_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(*bad_sizes); i++) {
		uint64_t v = 42;
		int rc = skit_parse_size(bad_sizes[i].text, &v);

		if (rc != bad_sizes[i].code || v != 42)
			fail_msg("'%s': rc %d (want %d)", bad_sizes[i].text, rc,
				 bad_sizes[i].code);
	}
	assert_int_equal(skit_parse_size(NULL, NULL), -EINVAL);
}

static void
test_format_duration(void **state)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0 ms" },
		{ 1, "1 ms" },
		{ 250, "250 ms" },
		{ 999, "999 ms" },
		{ 1000, "1 s" },
		{ 1500, "1.5 s" },
		{ 2000, "2 s" },
		{ 1234, "1.234 s" },
		{ 1050, "1.05 s" },
		{ 3600000, "3600 s" },
		{ INT64_MAX, "9223372036854775.807 s" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int n = skit_format_duration(cases[i].ms, buf, sizeof(buf));

		assert_int_equal(n, (int)strlen(cases[i].text));
		assert_string_equal(buf, cases[i].text);
	}
	/* snprintf-like: the length needed, with no buffer. */
	assert_int_equal(skit_format_duration(1500, NULL, 0), 5);
}

static void
test_format_size(void **state)
{
	static const struct {
		uint64_t v;
		const char *text;
	} cases[] = {
		{ 0, "0 B" },
		{ 1000, "1000 B" },
		{ 1024, "1 KiB" },
		{ 65536, "64 KiB" },
		{ 1536, "1536 B" }, /* 1.5 KiB: not a whole unit */
		{ 3 << 20, "3 MiB" },
		{ 1ULL << 30, "1 GiB" },
		{ 1ULL << 50, "1024 TiB" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		skit_format_size(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

/* What the formatters write parses back to the same value. */
static void
test_round_trip(void **state)
{
	char buf[64];

	(void)state;
	for (int64_t ms = 0; ms < 5000; ms += 7) {
		int64_t back = -1;

		skit_format_duration(ms, buf, sizeof(buf));
		assert_int_equal(skit_parse_duration_ms(buf, &back), 0);
		assert_int_equal(back, ms);
	}
	for (int shift = 0; shift < 63; shift++) {
		int64_t ms = (int64_t)1 << shift, back = -1;

		skit_format_duration(ms, buf, sizeof(buf));
		assert_int_equal(skit_parse_duration_ms(buf, &back), 0);
		assert_int_equal(back, ms);
	}
	for (int shift = 0; shift < 63; shift++) {
		for (uint64_t k = 1; k < 4; k++) {
			uint64_t v = k << shift, back = 0;

			if (v > INT64_MAX)
				continue;
			skit_format_size(v, buf, sizeof(buf));
			assert_int_equal(skit_parse_size(buf, &back), 0);
			assert_int_equal(back, v);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_size_good),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
