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

/* What a report needs besides the result. */
struct bench_run {
	const struct skit_bench_cfg *cfg;
	const char *where; /* the address measured */
	int type;	   /* its socket type */
	const struct skit_bench_result *r;
};

double bench_per_s(uint64_t n, double secs);
/* A human rate into buf: "1.23 G", "456.7 k". Returns buf. */
const char *bench_human(double v, char *buf, size_t len);
void bench_print_json(const struct bench_run *run, bool stream);
void bench_print_text(const struct bench_run *run);

#endif
