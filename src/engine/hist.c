/*
 * hist.c - the log-linear histogram of hist.h.
 *
 * Layout of the counters: index i < 2048 counts the value i exactly.
 * Above, a value v with b = floor(log2(v)) - 10 >= 1 has sub = v >> b in
 * [1024, 2047] and index b * 1024 + sub, so each power of two from 2^11
 * up gets 1024 counters and the indexes are contiguous.
 */
#include "skit/hist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS  10
#define SUB_HALF  (1u << SUB_BITS)    /* 1024 */
#define LINEAR	  (2u * SUB_HALF)     /* 2048 exact counters */
#define TOP_SHIFT (40 - 1 - SUB_BITS) /* b of SKIT_HIST_MAX: 29 */
#define NCOUNTS	  ((TOP_SHIFT + 2) * SUB_HALF)

struct skit_hist {
	uint64_t total;
	uint64_t min, max;
	long double sum;
	uint64_t counts[NCOUNTS];
};

static unsigned
shift_of(uint64_t v)
{
	if (v < LINEAR)
		return 0;
	return (unsigned)(63 - __builtin_clzll(v)) - SUB_BITS;
}

static size_t
index_of(uint64_t v)
{
	unsigned b;

	if (v > SKIT_HIST_MAX)
		v = SKIT_HIST_MAX;
	b = shift_of(v);
	if (!b)
		return (size_t)v;
	return (size_t)b * SUB_HALF + (size_t)(v >> b);
}

/* The lowest value counted at index i. */
static uint64_t
value_at(size_t i)
{
	unsigned b;

	if (i < LINEAR)
		return i;
	b = (unsigned)(i / SUB_HALF) - 1;
	return (uint64_t)(i - (size_t)b * SUB_HALF) << b;
}

uint64_t
skit_hist_lowest_equiv(uint64_t v)
{
	return value_at(index_of(v));
}

uint64_t
skit_hist_highest_equiv(uint64_t v)
{
	uint64_t lo = skit_hist_lowest_equiv(v);

	return lo + (UINT64_C(1) << shift_of(lo)) - 1;
}

int
skit_hist_new(struct skit_hist **out)
{
	struct skit_hist *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	*out = h;
	return 0;
}

void
skit_hist_free(struct skit_hist *h)
{
	free(h);
}

void
skit_hist_reset(struct skit_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void
skit_hist_record_n(struct skit_hist *h, uint64_t v, uint64_t n)
{
	if (!n)
		return;
	if (!h->total || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->total += n;
	h->sum += (long double)v * (long double)n;
	h->counts[index_of(v)] += n;
}

void
skit_hist_record(struct skit_hist *h, uint64_t v)
{
	skit_hist_record_n(h, v, 1);
}

void
skit_hist_merge(struct skit_hist *dst, const struct skit_hist *src)
{
	if (!src->total)
		return;
	if (!dst->total || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->total += src->total;
	dst->sum += src->sum;
	for (size_t i = 0; i < NCOUNTS; i++)
		dst->counts[i] += src->counts[i];
}

uint64_t
skit_hist_count(const struct skit_hist *h)
{
	return h->total;
}

uint64_t
skit_hist_min(const struct skit_hist *h)
{
	return h->total ? h->min : 0;
}

uint64_t
skit_hist_max(const struct skit_hist *h)
{
	return h->max;
}

double
skit_hist_mean(const struct skit_hist *h)
{
	return h->total ? (double)(h->sum / (long double)h->total) : 0.0;
}

uint64_t
skit_hist_percentile(const struct skit_hist *h, double p)
{
	uint64_t want, seen = 0, v;

	if (!h->total)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	/* The rank of the value wanted: ceil(p% of total), at least 1. */
	want = (uint64_t)((p / 100.0) * (double)h->total + 0.9999999);
	if (want < 1)
		want = 1;
	if (want > h->total)
		want = h->total;
	for (size_t i = 0; i < NCOUNTS; i++) {
		seen += h->counts[i];
		if (seen < want)
			continue;
		v = skit_hist_highest_equiv(value_at(i));
		if (v > h->max)
			v = h->max;
		if (v < h->min)
			v = h->min;
		return v;
	}
	return h->max;
}
