/*
 * cli/ping/ping_stats.c - round-trip statistics and the summary for
 * `skit ping` (both ICMP and transport targets).
 */
#include "ping.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
ping_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
ping_stats_add(struct ping_stats *st, double ms)
{
	if (st->nrtts == st->rtts_cap) {
		size_t cap = st->rtts_cap ? st->rtts_cap * 2 : 64;
		double *n = realloc(st->rtts, cap * sizeof(*n));

		if (!n)
			return -1;
		st->rtts = n;
		st->rtts_cap = cap;
	}
	st->rtts[st->nrtts++] = ms;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted array. */
static double
pct(const double *v, size_t n, double q)
{
	size_t k = (size_t)ceil(q / 100.0 * (double)n);

	return v[k ? k - 1 : 0];
}

void
ping_line_prefix(const struct ping_opts *o)
{
	struct timespec ts;

	if (!o->timestamp)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("[%lld.%06ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

void
ping_json_time(struct cli_json *j)
{
	struct timespec ts;
	char buf[48];

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, sizeof(buf), "%lld.%06ld", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000);
	cli_json_raw(j, "time", buf);
}

void
ping_summary(const struct ping_opts *o, struct ping_stats *st,
	     const char *address, const char *socket_kind)
{
	double min = 0, max = 0, sum = 0, sum2 = 0, avg = 0, mdev = 0;
	double loss = st->sent ? (double)(st->sent - st->received) * 100.0 /
					 (double)st->sent
			       : 0;
	long long ms = (st->end_mono - st->start_mono) / 1000000;
	double *v = st->rtts;
	size_t n = st->nrtts;

	if (n) {
		qsort(v, n, sizeof(*v), cmp_double);
		min = v[0];
		max = v[n - 1];
		for (size_t i = 0; i < n; i++) {
			sum += v[i];
			sum2 += v[i] * v[i];
		}
		avg = sum / (double)n;
		mdev = sqrt(fmax(0, sum2 / (double)n - avg * avg));
	}
	if (o->json) {
		struct cli_json j;
		char rtt[512];

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "summary");
		cli_json_str(&j, "target", o->target);
		cli_json_str(&j, "address", address);
		cli_json_str(&j, "socket", socket_kind);
		cli_json_uint(&j, "transmitted", st->sent);
		cli_json_uint(&j, "received", st->received);
		cli_json_uint(&j, "duplicates", st->dups);
		cli_json_uint(&j, "errors", st->errors);
		cli_json_uint(&j, "late", st->late);
		cli_json_uint(&j, "out_of_order", st->reordered);
		cli_json_double(&j, "loss_pct", loss);
		cli_json_int(&j, "time_ms", ms);
		if (n) {
			snprintf(rtt, sizeof(rtt),
				 "{\"min\":%.3f,\"avg\":%.3f,\"max\":%.3f,"
				 "\"mdev\":%.3f,\"p50\":%.3f,\"p90\":%.3f,"
				 "\"p99\":%.3f}",
				 min, avg, max, mdev, pct(v, n, 50),
				 pct(v, n, 90), pct(v, n, 99));
			cli_json_raw(&j, "rtt_ms", rtt);
		} else {
			cli_json_null(&j, "rtt_ms");
		}
		cli_json_end(&j);
		return;
	}
	printf("\n--- %s ping statistics ---\n", o->target);
	printf("%llu packets transmitted, %llu received",
	       (unsigned long long)st->sent, (unsigned long long)st->received);
	if (st->dups)
		printf(", +%llu duplicates", (unsigned long long)st->dups);
	if (st->errors)
		printf(", +%llu errors", (unsigned long long)st->errors);
	printf(", %g%% packet loss, time %lldms\n", loss, ms);
	/* Not in iputils' line (parsers know that one): a line of its own,
	 * only when there is something to say. */
	if (st->late || st->reordered)
		printf("%llu late (after -W), %llu out of order\n",
		       (unsigned long long)st->late,
		       (unsigned long long)st->reordered);
	if (n) {
		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", min,
		       avg, max, mdev);
		printf("rtt p50/p90/p99 = %.3f/%.3f/%.3f ms\n", pct(v, n, 50),
		       pct(v, n, 90), pct(v, n, 99));
	}
	cli_stdout_flush();
}
