/*
 * test_hist.c - the log-linear latency histogram.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "skit/hist.h"

static void
test_empty(void **state)
{
	struct skit_hist *h;

	(void)state;
	assert_int_equal(skit_hist_new(&h), 0);
	assert_int_equal(skit_hist_count(h), 0);
	assert_int_equal(skit_hist_min(h), 0);
	assert_int_equal(skit_hist_max(h), 0);
	assert_int_equal(skit_hist_percentile(h, 50), 0);
	assert_true(skit_hist_mean(h) == 0.0);
	skit_hist_free(h);
	skit_hist_free(NULL);
}

static void
test_exact_small(void **state)
{
	struct skit_hist *h;

	(void)state;
	assert_int_equal(skit_hist_new(&h), 0);
	/* 1..100: every value below 2048 is exact. */
	for (uint64_t v = 1; v <= 100; v++)
		skit_hist_record(h, v);
	assert_int_equal(skit_hist_count(h), 100);
	assert_int_equal(skit_hist_min(h), 1);
	assert_int_equal(skit_hist_max(h), 100);
	assert_int_equal(skit_hist_percentile(h, 50), 50);
	assert_int_equal(skit_hist_percentile(h, 90), 90);
	assert_int_equal(skit_hist_percentile(h, 99), 99);
	assert_int_equal(skit_hist_percentile(h, 99.9), 100);
	assert_int_equal(skit_hist_percentile(h, 0), 1);
	assert_int_equal(skit_hist_percentile(h, 100), 100);
	assert_true(skit_hist_mean(h) > 50.49 && skit_hist_mean(h) < 50.51);
	skit_hist_free(h);
}

static void
test_buckets(void **state)
{
	(void)state;
	/* Exact below 2048. */
	assert_int_equal(skit_hist_lowest_equiv(2047), 2047);
	assert_int_equal(skit_hist_highest_equiv(2047), 2047);
	/* 2048..4095: pairs share a counter. */
	assert_int_equal(skit_hist_lowest_equiv(2049), 2048);
	assert_int_equal(skit_hist_highest_equiv(2048), 2049);
	assert_int_equal(skit_hist_lowest_equiv(4095), 4094);
	/* Precision: the counter's width is under 1/1000 of the value. */
	for (uint64_t v = 2048; v < (UINT64_C(1) << 39); v = v * 3 + 7) {
		uint64_t lo = skit_hist_lowest_equiv(v);
		uint64_t hi = skit_hist_highest_equiv(v);

		assert_true(lo <= v && v <= hi);
		assert_true((hi - lo) * 1000 <= v);
		/* Neighbouring counters touch. */
		assert_int_equal(skit_hist_lowest_equiv(hi + 1), hi + 1);
	}
}

static void
test_percentiles_large(void **state)
{
	struct skit_hist *h;
	uint64_t prev = 0;
	const double ps[] = { 1, 10, 50, 90, 99, 99.9, 99.99, 100 };

	(void)state;
	assert_int_equal(skit_hist_new(&h), 0);
	/* 1..100000 us in ns. */
	for (uint64_t v = 1; v <= 100000; v++)
		skit_hist_record(h, v * 1000);
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t want = (uint64_t)(ps[i] * 1000.0 + 0.5) * 1000;
		uint64_t got = skit_hist_percentile(h, ps[i]);

		/* Within 0.1% (3 significant digits), and ordered. */
		assert_true(got >= prev);
		assert_true(got + want / 1000 >= want &&
			    got <= want + want / 1000);
		prev = got;
	}
	assert_int_equal(skit_hist_max(h), 100000000);
	assert_int_equal(skit_hist_percentile(h, 100), 100000000);
	skit_hist_free(h);
}

static void
test_merge(void **state)
{
	struct skit_hist *a, *b, *all;

	(void)state;
	assert_int_equal(skit_hist_new(&a), 0);
	assert_int_equal(skit_hist_new(&b), 0);
	assert_int_equal(skit_hist_new(&all), 0);
	for (uint64_t v = 0; v < 50000; v++) {
		uint64_t x = (v * 2654435761u) % 10000000;

		skit_hist_record(v % 2 ? a : b, x);
		skit_hist_record(all, x);
	}
	skit_hist_merge(a, b);
	assert_int_equal(skit_hist_count(a), 50000);
	assert_int_equal(skit_hist_min(a), skit_hist_min(all));
	assert_int_equal(skit_hist_max(a), skit_hist_max(all));
	for (double p = 0; p <= 100; p += 0.5)
		assert_int_equal(skit_hist_percentile(a, p),
				 skit_hist_percentile(all, p));
	/* Merging an empty one changes nothing. */
	skit_hist_reset(b);
	skit_hist_merge(a, b);
	assert_int_equal(skit_hist_count(a), 50000);
	skit_hist_merge(b, a);
	assert_int_equal(skit_hist_min(b), skit_hist_min(all));
	skit_hist_free(a);
	skit_hist_free(b);
	skit_hist_free(all);
}

static void
test_overflow_and_n(void **state)
{
	struct skit_hist *h;

	(void)state;
	assert_int_equal(skit_hist_new(&h), 0);
	skit_hist_record(h, UINT64_MAX);
	skit_hist_record_n(h, 5, 3);
	skit_hist_record_n(h, 7, 0);
	assert_int_equal(skit_hist_count(h), 4);
	assert_int_equal(skit_hist_max(h), UINT64_MAX);
	assert_int_equal(skit_hist_min(h), 5);
	assert_int_equal(skit_hist_percentile(h, 75), 5);
	assert_true(skit_hist_percentile(h, 99) >= SKIT_HIST_MAX / 2);
	skit_hist_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_exact_small),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_percentiles_large),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_overflow_and_n),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
