/*
 * skit/plot.h - the arithmetic of a chart: scales and "nice" ticks, for
 * the pictures `skit bench --report` draws (pure functions: no I/O, no
 * state, nothing allocated).
 *
 * The percentile axis is the one HdrHistogram's plotter uses: a
 * percentile p is drawn at x = log10(1 / (1 - p/100)), so 0%, 90%, 99%,
 * 99.9% and 99.99% are evenly spaced (x = 0, 1, 2, 3, 4) and the tail
 * gets the room it deserves.
 */
#ifndef SKIT_PLOT_H
#define SKIT_PLOT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#define SKIT_PLOT_MAX_TICKS 16

/* Tick positions (in data units, ascending) and how to print them. */
struct skit_plot_ticks {
	int n;
	double v[SKIT_PLOT_MAX_TICKS];
	double step;  /* between ticks (linear axes) */
	int decimals; /* digits after the point the labels need */
};

/* v from the domain [d0, d1] to the range [r0, r1], linearly (r0 when
 * the domain is empty). Either range may be reversed (SVG's y). */
double skit_plot_scale(double v, double d0, double d1, double r0, double r1);

/*
 * Ticks for a linear axis over [lo, hi]: steps of 1, 2 or 5 times a
 * power of ten, at most max (2 .. SKIT_PLOT_MAX_TICKS) of them, the
 * first at or below lo and the last at or above hi (so the axis is
 * [v[0], v[n-1]] and covers the data). hi <= lo is widened to a unit
 * around lo. Returns n, or -1 for a max out of range or a value that
 * is not finite.
 */
int skit_plot_ticks_linear(double lo, double hi, int max,
			   struct skit_plot_ticks *t);

/* The percentile axis: p (0 .. 100) to x and back. p >= 100 gives x for
 * 99.9999999 (the axis has no end). */
double skit_plot_pct_x(double p);
double skit_plot_x_pct(double x);

/*
 * Ticks for the percentile axis up to x_max (>= 1): 0%, 90%, 99%,
 * 99.9%, ... while their x <= x_max (at most 10 nines). v[] holds the
 * x positions; decimals the digits the largest percentile label needs.
 * Returns n.
 */
int skit_plot_ticks_pct(double x_max, struct skit_plot_ticks *t);

/*
 * The label of a tick: v with decimals digits ("0.5", "120"), or as a
 * percentile with pct set ("99.9%", "0%"). Returns what snprintf
 * returns.
 */
int skit_plot_label(double v, int decimals, int pct, char *buf, size_t len);

/*
 * A unit for values of size max in base units: divides by 1000 per
 * step through prefixes ("" k M G T) and returns the divisor, with
 * the prefix in *prefix ("", "k", ...). For max < 1000: 1 and "".
 */
double skit_plot_si(double max, const char **prefix);

#ifdef __cplusplus
}
#endif

#endif
