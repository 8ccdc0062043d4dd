/*
 * test_plot.c - the chart arithmetic of skit/plot.h: linear scales,
 * nice ticks (1-2-5 steps covering the data, within the count asked
 * for), HdrHistogram's percentile axis and its ticks, labels, SI units.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "skit/plot.h"

static void
test_scale(void **state)
{
	(void)state;
	assert_true(skit_plot_scale(5, 0, 10, 0, 100) == 50);
	/* SVG's y grows downwards: a reversed range. */
	assert_true(skit_plot_scale(0, 0, 10, 400, 40) == 400);
	assert_true(skit_plot_scale(10, 0, 10, 400, 40) == 40);
	assert_true(skit_plot_scale(3, 3, 3, 7, 9) == 7);
}

/* Every tick set: ascending, evenly stepped by 1, 2 or 5 x 10^k,
 * covering [lo, hi], at most max. */
static void
check_ticks(double lo, double hi, int max)
{
	struct skit_plot_ticks t;
	double m;
	int n = skit_plot_ticks_linear(lo, hi, max, &t);

	assert_true(n >= 2 && n <= max);
	assert_int_equal(n, t.n);
	assert_true(t.v[0] <= lo + 1e-9 * fabs(lo));
	assert_true(t.v[n - 1] >= hi - 1e-9 * fabs(hi));
	for (int i = 1; i < n; i++)
		assert_true(fabs(t.v[i] - t.v[i - 1] - t.step) <=
			    1e-9 * t.step * 10);
	m = t.step / pow(10, floor(log10(t.step) + 1e-12));
	assert_true(fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 ||
		    fabs(m - 5) < 1e-6);
}

static void
test_ticks_linear(void **state)
{
	struct skit_plot_ticks t;
	char buf[32];

	(void)state;
	assert_int_equal(skit_plot_ticks_linear(0, 100, 6, &t), 6);
	assert_true(t.v[0] == 0 && t.v[5] == 100 && t.step == 20);
	assert_int_equal(t.decimals, 0);
	assert_int_equal(skit_plot_ticks_linear(0, 0.9, 10, &t), 10);
	assert_true(fabs(t.step - 0.1) < 1e-12);
	assert_int_equal(t.decimals, 1);
	skit_plot_label(t.v[3], t.decimals, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0.3");
	check_ticks(0, 1, 2);
	check_ticks(13.4, 540.2, 8);
	check_ticks(0, 3.2e9, 8);
	check_ticks(0.0012, 0.0077, 6);
	check_ticks(-50, 75, 7);
	check_ticks(1, 1e6, 5);
	for (int max = 2; max <= SKIT_PLOT_MAX_TICKS; max++)
		for (double hi = 0.7; hi < 1e7; hi *= 3.7)
			check_ticks(0, hi, max);
	/* An empty range is widened, a flat series still gets an axis. */
	assert_true(skit_plot_ticks_linear(0, 0, 5, &t) >= 2);
	assert_true(t.v[0] == 0 && t.v[t.n - 1] >= 1);
	assert_true(skit_plot_ticks_linear(42, 42, 5, &t) >= 2);
	assert_true(t.v[0] <= 42 && t.v[t.n - 1] > 42 && t.v[0] >= 0);
	assert_int_equal(skit_plot_ticks_linear(0, 1, 1, &t), -1);
	assert_int_equal(skit_plot_ticks_linear(0, 1, 99, &t), -1);
	assert_int_equal(skit_plot_ticks_linear(0, INFINITY, 5, &t), -1);
	assert_int_equal(skit_plot_ticks_linear(NAN, 1, 5, &t), -1);
}

static void
test_pct_axis(void **state)
{
	struct skit_plot_ticks t;
	char buf[32];

	(void)state;
	assert_true(skit_plot_pct_x(0) == 0);
	assert_true(fabs(skit_plot_pct_x(90) - 1) < 1e-9);
	assert_true(fabs(skit_plot_pct_x(99) - 2) < 1e-9);
	assert_true(fabs(skit_plot_pct_x(99.99) - 4) < 1e-9);
	assert_true(isfinite(skit_plot_pct_x(100)));
	assert_true(fabs(skit_plot_x_pct(3) - 99.9) < 1e-9);
	for (double p = 0; p < 99.9999; p += 0.37)
		assert_true(fabs(skit_plot_x_pct(skit_plot_pct_x(p)) - p) <
			    1e-6);
	assert_int_equal(skit_plot_ticks_pct(4.2, &t), 5);
	assert_true(t.v[0] == 0 && t.v[4] == 4);
	assert_int_equal(skit_plot_ticks_pct(0.3, &t), 2);
	skit_plot_label(0, 0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "0%");
	skit_plot_label(1, 0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "90%");
	skit_plot_label(2, 0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "99%");
	skit_plot_label(3, 0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "99.9%");
	skit_plot_label(5, 0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "99.999%");
	/* No "-0" on a linear axis crossing zero. */
	skit_plot_label(-1e-17, 1, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0.0");
}

static void
test_si(void **state)
{
	const char *p;

	(void)state;
	assert_true(skit_plot_si(999, &p) == 1);
	assert_string_equal(p, "");
	assert_true(skit_plot_si(1000, &p) == 1000);
	assert_string_equal(p, "k");
	assert_true(skit_plot_si(3.4e9, &p) == 1e9);
	assert_string_equal(p, "G");
	assert_true(skit_plot_si(1e18, &p) == 1e12);
	assert_string_equal(p, "T");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_ticks_linear),
		cmocka_unit_test(test_pct_axis),
		cmocka_unit_test(test_si),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
