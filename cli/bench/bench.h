/*
 * cli/bench/bench.h - `skit bench`'s output (private to the CLI):
 * cmd_bench.c parses options, runs the library's engine (skit/bench.h)
 * and prints through bench_report.c.
 */
#ifndef SKIT_CLI_BENCH_H
#define SKIT_CLI_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "skit/bench.h"
#include "cli.h"

/* What a report needs besides the result. */
struct bench_run {
	const struct skit_bench_cfg *cfg;
	const char *where; /* the address measured */
	int type;	   /* its socket type */
	const struct skit_bench_result *r;
};

/*
 * One run as a report draws it and --json records it: the headline
 * figures, the latency percentile spectrum (rr, crr), the rate over
 * time (the total and each connection) and the record of where and how
 * it ran. Filled from a run (bench_record.c) or read back from its JSON
 * (--compare).
 */
#define BENCH_FIGS	   12
#define BENCH_SPEC_MAX	   128
#define BENCH_SERIES_CONNS 64 /* connections drawn (and kept) one by one */

struct bench_fig {
	char key[24];  /* JSON and table key: "requests_per_s", "p99" */
	char name[32]; /* what the table says: "requests/s", "p99" */
	char unit[16]; /* "us", "bit/s", "" */
	double v;
	bool lower_better;
};

struct bench_record {
	char label[128]; /* the legend: the file (compare) or the address */
	char mode[16], address[300], command[1024], kernel[160], date[40],
		version[40];
	int cpus, threads, conns;
	int pipeline; /* rr: requests in flight per connection (1) */
	double secs;
	int nfig;
	struct bench_fig fig[BENCH_FIGS];
	int nspec; /* percentile (0..100) -> latency (us) */
	double spec_p[BENCH_SPEC_MAX], spec_us[BENCH_SPEC_MAX];
	char rate_name[32]; /* "requests/s", "bit/s" */
	double interval_s;
	int nint, cap;	   /* intervals recorded (after the warm-up) */
	double *t, *total; /* end of each interval (s since start), rate */
	int nconn;	   /* per connection, when at most BENCH_SERIES_CONNS */
	double *conn;	   /* nint x nconn rates */
	/* while recording: the counts at the last sample */
	bool tput_rx; /* throughput's rate is what was received */
	struct skit_bench_counts prev, *prev_conn;
};

/* bench_record.c */
void bench_record_init(struct bench_record *rec,
		       const struct skit_bench_cfg *cfg, int argc, char **argv);
/* Add a sample's interval (the rates since the previous sample). */
int bench_record_sample(struct bench_record *rec,
			const struct skit_bench_sample *sm);
void bench_record_result(struct bench_record *rec, const struct bench_run *run);
/* The record's fields into a JSON object being written. */
void bench_record_json(const struct bench_record *rec, struct cli_json *j);
void bench_record_free(struct bench_record *rec);

/* bench_compare.c: --compare FILE... --report OUT; an exit code. */
int bench_compare(const char *report, int n, char **files);

/* bench_html.c: the report of one run or several (same mode) into path;
 * 0 or an exit code (the error printed). */
int bench_html_write(const char *path, const struct bench_record *recs, int n);

double bench_per_s(uint64_t n, double secs);
/* A human rate into buf: "1.23 G", "456.7 k". Returns buf. */
const char *bench_human(double v, char *buf, size_t len);
void bench_print_json(const struct bench_run *run,
		      const struct bench_record *rec);
void bench_print_text(const struct bench_run *run);

#endif
