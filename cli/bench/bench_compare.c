/*
 * bench_compare.c - `skit bench --compare --report OUT.html A.json
 * B.json...`: read saved --json results (the last line of each file, so
 * --json-stream output works too) back into records and draw them
 * together (bench_html.c). Runs of different modes are refused.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skit/json.h"

#define COMPARE_MAX 10	       /* runs in one report */
#define FILE_MAX    (64 << 20) /* a result file is small */

/* The last non-empty line of path, into *text (malloc'd). */
static int
last_line(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *last = NULL;
	size_t cap = 0;
	ssize_t n;
	long total = 0;

	if (!f) {
		cli_errorf("bench: --compare %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0 && total < FILE_MAX) {
		total += n;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		free(last);
		last = strdup(line);
		if (!last)
			break;
	}
	free(line);
	fclose(f);
	if (!last) {
		cli_errorf("bench: --compare %s: no result in it", path);
		return -1;
	}
	*text = last;
	*len = strlen(last);
	return 0;
}

static double
num(const struct skit_json *o, const char *key)
{
	return skit_json_num(skit_json_get(o, key), 0);
}

static void
str(char *dst, size_t len, const struct skit_json *o, const char *key)
{
	snprintf(dst, len, "%s", skit_json_str(skit_json_get(o, key), ""));
}

/* n numbers of a JSON array into a fresh array (NULL: none, or no
 * memory; *n 0 then). */
static double *
nums(const struct skit_json *a, int *n)
{
	double *v;

	*n = 0;
	if (!a || a->type != SKIT_JSON_ARR || !a->n || a->n > 1000000)
		return NULL;
	v = calloc(a->n, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		v[i] = skit_json_num(&a->items[i], 0);
	*n = (int)a->n;
	return v;
}

static void
fig(struct bench_record *rec, const struct skit_json *o, const char *key,
    const char *name, const char *unit, double scale, bool lower_better)
{
	const struct skit_json *v = skit_json_get(o, key);
	struct bench_fig *f;

	if (!v || v->type != SKIT_JSON_NUM || rec->nfig == BENCH_FIGS)
		return;
	f = &rec->fig[rec->nfig++];
	snprintf(f->key, sizeof(f->key), "%s", key);
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->unit, sizeof(f->unit), "%s", unit);
	f->v = v->num * scale;
	f->lower_better = lower_better;
}

/* A result object into rec; 0, or -1 when it is no skit bench result. */
static int
from_json(struct bench_record *rec, const struct skit_json *o)
{
	const struct skit_json *lat = skit_json_get(o, "latency_us");
	const struct skit_json *sp = skit_json_get(o, "spectrum");
	const struct skit_json *se = skit_json_get(o, "series");
	double *p, *us;
	int np, nu;

	str(rec->mode, sizeof(rec->mode), o, "mode");
	if (!rec->mode[0] || !skit_json_get(o, "seconds"))
		return -1;
	str(rec->address, sizeof(rec->address), o, "address");
	str(rec->command, sizeof(rec->command), o, "command");
	str(rec->kernel, sizeof(rec->kernel), o, "kernel");
	str(rec->date, sizeof(rec->date), o, "date");
	str(rec->version, sizeof(rec->version), o, "version");
	rec->cpus = (int)num(o, "cpus");
	rec->threads = (int)num(o, "threads");
	rec->pipeline =
		skit_json_get(o, "pipeline") ? (int)num(o, "pipeline") : 1;
	rec->secs = num(o, "seconds");
	rec->conns = (int)(num(o, "connections") + num(o, "streams") +
			   num(o, "requested"));
	if (!strcmp(rec->mode, "throughput")) {
		fig(rec, o, "sent_bytes_per_s", "sent", "bit/s", 8, false);
		fig(rec, o, "received_bytes_per_s", "received", "bit/s", 8,
		    false);
		fig(rec, o, "lost_percent", "datagrams lost", "%", 1, true);
		fig(rec, o, "jitter_ms", "jitter", "ms", 1, true);
		fig(rec, o, "out_of_order", "out of order", "", 1, true);
	} else if (!strcmp(rec->mode, "conns")) {
		fig(rec, o, "opened", "opened", "", 1, false);
		fig(rec, o, "held", "held to the end", "", 1, false);
		fig(rec, o, "setup_per_s", "setup rate", "1/s", 1, false);
	} else {
		fig(rec, o, "requests_per_s",
		    strcmp(rec->mode, "crr") ? "requests/s" : "connects/s",
		    "1/s", 1, false);
		fig(rec, lat, "p50", "p50", "us", 1, true);
		fig(rec, lat, "p90", "p90", "us", 1, true);
		fig(rec, lat, "p99", "p99", "us", 1, true);
		fig(rec, lat, "p99_9", "p99.9", "us", 1, true);
		fig(rec, lat, "max", "max", "us", 1, true);
		fig(rec, lat, "mean", "mean", "us", 1, true);
		fig(rec, o, "lost", "lost", "", 1, true);
	}
	p = nums(skit_json_get(sp, "percentile"), &np);
	us = nums(skit_json_get(sp, "latency_us"), &nu);
	if (p && us && np == nu) {
		rec->nspec = np < BENCH_SPEC_MAX ? np : BENCH_SPEC_MAX;
		memcpy(rec->spec_p, p, (size_t)rec->nspec * sizeof(*p));
		memcpy(rec->spec_us, us, (size_t)rec->nspec * sizeof(*us));
	}
	free(p);
	free(us);
	if (se) {
		int nt, nv;

		str(rec->rate_name, sizeof(rec->rate_name), se, "rate");
		rec->interval_s = num(se, "interval_s");
		rec->t = nums(skit_json_get(se, "t"), &nt);
		rec->total = nums(skit_json_get(se, "total"), &nv);
		rec->nint = nt < nv ? nt : nv;
	}
	return 0;
}

int
bench_compare(const char *report, int n, char **files)
{
	struct bench_record recs[COMPARE_MAX];
	int rc = CLI_EXIT_FAIL;

	if (!report) {
		cli_errorf("bench: --compare needs --report FILE.html");
		return CLI_EXIT_USAGE;
	}
	if (n < 2 || n > COMPARE_MAX) {
		cli_errorf("bench: --compare takes 2 to %d result files",
			   COMPARE_MAX);
		return CLI_EXIT_USAGE;
	}
	memset(recs, 0, sizeof(recs));
	for (int i = 0; i < n; i++) {
		struct skit_json *o = NULL;
		struct skit_err err;
		char *text;
		size_t len;
		const char *base = strrchr(files[i], '/');

		if (last_line(files[i], &text, &len) < 0)
			goto out;
		if (skit_json_parse(text, len, &o, &err) < 0) {
			free(text);
			cli_errorf("bench: --compare %s: not a JSON result: %s",
				   files[i], err.detail);
			goto out;
		}
		free(text);
		snprintf(recs[i].label, sizeof(recs[i].label), "%s",
			 base ? base + 1 : files[i]);
		if (from_json(&recs[i], o) < 0) {
			skit_json_free(o);
			cli_errorf(
				"bench: --compare %s: not a skit bench --json "
				"result",
				files[i]);
			goto out;
		}
		skit_json_free(o);
		if (strcmp(recs[i].mode, recs[0].mode) != 0) {
			cli_errorf("bench: --compare: %s is a %s run, %s a %s "
				   "run: compare runs of one mode",
				   files[0], recs[0].mode, files[i],
				   recs[i].mode);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	rc = bench_html_write(report, recs, n);
out:
	for (int i = 0; i < n; i++)
		bench_record_free(&recs[i]);
	return rc;
}
