/*
 * skit/hist.h - a log-linear latency histogram (HdrHistogram style).
 *
 * Values are unsigned integers (skit records nanoseconds). Every value
 * from 0 to 2047 has its own counter; above that, each power of two is
 * cut into 1024 equal sub-buckets, so a recorded value is kept to within
 * 1/1024 of itself (3 significant decimal digits). Memory is fixed at
 * creation (about 250 KiB) whatever is recorded: values above
 * SKIT_HIST_MAX are counted in the top bucket (the exact maximum is kept
 * apart). Histograms are merged by adding counters, so each thread
 * records into its own and the results are summed at the end.
 *
 * A histogram is used from one thread at a time; nothing here blocks or
 * does I/O.
 */
#ifndef SKIT_HIST_H
#define SKIT_HIST_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

/* The largest value told apart from larger ones: 2^40 - 1 (~18 minutes
 * in ns). */
#define SKIT_HIST_MAX ((UINT64_C(1) << 40) - 1)

struct skit_hist;

/* Create an empty histogram. Returns 0 and *out, or -ENOMEM. */
int skit_hist_new(struct skit_hist **out);

/* Free a histogram. NULL is allowed. */
void skit_hist_free(struct skit_hist *h);

/* Forget every recorded value. */
void skit_hist_reset(struct skit_hist *h);

/* Record value v once, or n times. */
void skit_hist_record(struct skit_hist *h, uint64_t v);
void skit_hist_record_n(struct skit_hist *h, uint64_t v, uint64_t n);

/* Add every count of src into dst (src is unchanged). */
void skit_hist_merge(struct skit_hist *dst, const struct skit_hist *src);

/* Number of recorded values. */
uint64_t skit_hist_count(const struct skit_hist *h);

/* Exact smallest and largest recorded values (0 when empty). */
uint64_t skit_hist_min(const struct skit_hist *h);
uint64_t skit_hist_max(const struct skit_hist *h);

/* Mean of the recorded values (exact sum / count; 0 when empty). */
double skit_hist_mean(const struct skit_hist *h);

/*
 * The value at percentile p (0..100): the smallest value v such that at
 * least p percent of the recorded values are <= v, given as the highest
 * value equivalent to v's bucket, clamped to [min, max]. p <= 0 gives
 * the minimum, p >= 100 the maximum, an empty histogram 0. Percentiles
 * are monotonic in p.
 */
uint64_t skit_hist_percentile(const struct skit_hist *h, double p);

/*
 * The bucket arithmetic, for tests: the lowest and highest values that
 * share v's counter.
 */
uint64_t skit_hist_lowest_equiv(uint64_t v);
uint64_t skit_hist_highest_equiv(uint64_t v);

#ifdef __cplusplus
}
#endif

#endif
