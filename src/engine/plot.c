/*
 * plot.c - scales and ticks for charts (skit/plot.h).
 */
#include "skit/plot.h"

#include <math.h>
#include <stdio.h>

double
skit_plot_scale(double v, double d0, double d1, double r0, double r1)
{
	if (d1 == d0)
		return r0;
	return r0 + (v - d0) * (r1 - r0) / (d1 - d0);
}

int
skit_plot_ticks_linear(double lo, double hi, int max, struct skit_plot_ticks *t)
{
	static const double mult[] = { 1, 2, 5, 10, 20, 50, 100 };
	double span, base, step = 0, first, last;
	int n;

	if (max < 2 || max > SKIT_PLOT_MAX_TICKS || !isfinite(lo) ||
	    !isfinite(hi))
		return -1;
	if (hi <= lo) {
		double w = lo != 0 ? fabs(lo) / 2 : 1;

		hi = lo + w;
		lo = lo >= 0 && lo - w < 0 ? 0 : lo - w;
	}
	span = hi - lo;
	base = pow(10, floor(log10(span / (max - 1))));
	for (int k = 0; k < 7; k++) {
		step = base * mult[k];
		first = floor(lo / step + 1e-9) * step;
		last = ceil(hi / step - 1e-9) * step;
		if ((int)llround((last - first) / step) + 1 <= max)
			break;
	}
	first = floor(lo / step + 1e-9) * step;
	last = ceil(hi / step - 1e-9) * step;
	n = (int)llround((last - first) / step) + 1;
	if (n > max)
		n = max;
	if (n < 2)
		n = 2;
	for (int i = 0; i < n; i++)
		t->v[i] = first + i * step;
	t->n = n;
	t->step = step;
	t->decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	return n;
}

double
skit_plot_pct_x(double p)
{
	if (p <= 0)
		return 0;
	if (p >= 100)
		p = 99.9999999;
	return log10(1.0 / (1.0 - p / 100.0));
}

double
skit_plot_x_pct(double x)
{
	if (x <= 0)
		return 0;
	return 100.0 * (1.0 - pow(10, -x));
}

int
skit_plot_ticks_pct(double x_max, struct skit_plot_ticks *t)
{
	int n = 0;

	for (int k = 0; k <= 10 && k <= x_max + 1e-9 && n < SKIT_PLOT_MAX_TICKS;
	     k++)
		t->v[n++] = k;
	if (n < 2) {
		t->v[0] = 0;
		t->v[1] = 1;
		n = 2;
	}
	t->n = n;
	t->step = 1;
	/* 99.9% needs one decimal: k nines need k - 2. */
	t->decimals = n - 1 > 2 ? n - 3 : 0;
	return n;
}

int
skit_plot_label(double v, int decimals, int pct, char *buf, size_t len)
{
	if (pct) {
		double p = skit_plot_x_pct(v);
		int d = v > 2 ? (int)llround(v) - 2 : 0;

		return snprintf(buf, len, "%.*f%%", d, p);
	}
	if (decimals < 0)
		decimals = 0;
	if (fabs(v) < 0.5 * pow(10, -decimals))
		v = 0; /* no "-0" */
	return snprintf(buf, len, "%.*f", decimals, v);
}

double
skit_plot_si(double max, const char **prefix)
{
	static const char *const pre[] = { "", "k", "M", "G", "T" };
	double div = 1;
	int i = 0;

	while (i < 4 && max >= 1000 * div) {
		div *= 1000;
		i++;
	}
	*prefix = pre[i];
	return div;
}
