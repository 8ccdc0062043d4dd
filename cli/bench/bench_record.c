/*
 * bench_record.c - a run of `skit bench` as a record: what --json
 * writes besides the figures it always had (the record of the machine
 * and the command, the percentile spectrum, the rate per interval) and
 * what --report draws.
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* Does a word need quotes to be pasted back into a shell? */
static bool
needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ"
			    "0123456789-_./:,=@%+[]",
			    *s))
			return true;
	return false;
}

/* "skit bench -m rr 'tcp:...'" from argv (argv[0] is "bench"). */
static void
command_line(char *buf, size_t len, int argc, char **argv)
{
	size_t n = (size_t)snprintf(buf, len, "skit");

	for (int i = 0; i < argc && n < len; i++) {
		const char *a = argv[i];

		if (!needs_quotes(a)) {
			n += (size_t)snprintf(buf + n, len - n, " %s", a);
			continue;
		}
		n += (size_t)snprintf(buf + n, len - n, " '");
		for (; *a && n < len; a++)
			n += (size_t)snprintf(buf + n, len - n,
					      *a == '\'' ? "'\\''" : "%c", *a);
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "'");
	}
}

void
bench_record_init(struct bench_record *rec, const struct skit_bench_cfg *cfg,
		  int argc, char **argv)
{
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->mode, sizeof(rec->mode), "%s",
		 skit_bench_mode_name(cfg->mode));
	command_line(rec->command, sizeof(rec->command), argc, argv);
	if (uname(&u) == 0)
		snprintf(rec->kernel, sizeof(rec->kernel), "%.32s %.80s %.32s",
			 u.sysname, u.release, u.machine);
	rec->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	gmtime_r(&now, &tm);
	strftime(rec->date, sizeof(rec->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(rec->version, sizeof(rec->version), "%s", skit_version());
	rec->threads = cfg->threads;
	rec->conns =
		cfg->mode == SKIT_BENCH_CONNS ? (int)cfg->nconns : cfg->conc;
	rec->pipeline = cfg->pipeline > 1 ? cfg->pipeline : 1;
	rec->interval_s = (double)cfg->interval_ms / 1000.0;
	rec->tput_rx = cfg->mode == SKIT_BENCH_THROUGHPUT &&
		       cfg->dir == SKIT_BENCH_RECV;
	if (cfg->mode == SKIT_BENCH_THROUGHPUT)
		snprintf(rec->rate_name, sizeof(rec->rate_name), "%s",
			 rec->tput_rx ? "bit/s received" : "bit/s sent");
	else if (cfg->mode != SKIT_BENCH_CONNS)
		snprintf(rec->rate_name, sizeof(rec->rate_name), "%s",
			 cfg->mode == SKIT_BENCH_CRR ? "connects/s"
						     : "requests/s");
}

/* The interval's rate of one connection (or the total). */
static double
rate(const struct bench_record *rec, const struct skit_bench_counts *now,
     const struct skit_bench_counts *was, double dt)
{
	if (rec->rate_name[0] == 'b')
		return 8.0 *
		       (double)(rec->tput_rx ? now->rx - was->rx
					     : now->tx - was->tx) /
		       dt;
	return (double)(now->requests - was->requests) / dt;
}

static int
grow(struct bench_record *rec, int nconn)
{
	int cap = rec->cap ? rec->cap * 2 : 64;
	double *t = realloc(rec->t, (size_t)cap * sizeof(*t));
	double *tot =
		t ? realloc(rec->total, (size_t)cap * sizeof(*tot)) : NULL;
	double *c = NULL;

	if (t)
		rec->t = t;
	if (tot)
		rec->total = tot;
	if (!t || !tot)
		return -1;
	if (nconn) {
		c = realloc(rec->conn,
			    (size_t)cap * (size_t)nconn * sizeof(*c));
		if (!c)
			return -1;
		rec->conn = c;
	}
	rec->cap = cap;
	return 0;
}

int
bench_record_sample(struct bench_record *rec,
		    const struct skit_bench_sample *sm)
{
	int nconn = sm->nconn <= BENCH_SERIES_CONNS ? sm->nconn : 0;
	double dt = (double)sm->dt_ns / 1e9;

	if (!rec->rate_name[0])
		return 0;
	if (nconn && !rec->prev_conn) {
		rec->prev_conn = calloc((size_t)nconn, sizeof(*rec->prev_conn));
		if (!rec->prev_conn)
			return -1;
	}
	if (sm->counting && dt > 0) {
		if (rec->nint == rec->cap && grow(rec, nconn) < 0)
			return -1;
		rec->nconn = nconn;
		rec->t[rec->nint] = (double)sm->t_ns / 1e9;
		rec->total[rec->nint] = rate(rec, &sm->total, &rec->prev, dt);
		for (int i = 0; i < nconn; i++)
			rec->conn[rec->nint * nconn + i] =
				rate(rec, &sm->conn[i], &rec->prev_conn[i], dt);
		rec->nint++;
	}
	rec->prev = sm->total;
	if (nconn)
		memcpy(rec->prev_conn, sm->conn,
		       (size_t)nconn * sizeof(*sm->conn));
	return 0;
}

static void
fig(struct bench_record *rec, const char *key, const char *name,
    const char *unit, double v, bool lower_better)
{
	struct bench_fig *f;

	if (rec->nfig == BENCH_FIGS)
		return;
	f = &rec->fig[rec->nfig++];
	snprintf(f->key, sizeof(f->key), "%s", key);
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->unit, sizeof(f->unit), "%s", unit);
	f->v = v;
	f->lower_better = lower_better;
}

/* The spectrum: evenly spaced on the percentile axis, from 0% out to
 * where the samples run out (1 in count), at most 99.9999%. */
static void
spectrum(struct bench_record *rec, const struct skit_hist *h)
{
	uint64_t count = skit_hist_count(h);
	double xmax;

	if (!count)
		return;
	/* Out to the last sample's rank (the maximum, or next to it). */
	xmax = log10((double)count);
	if (xmax > 6)
		xmax = 6;
	if (xmax < 1)
		xmax = 1;
	for (int i = 0; i < BENCH_SPEC_MAX; i++) {
		double x = xmax * i / (BENCH_SPEC_MAX - 1);
		double p = skit_plot_x_pct(x);

		rec->spec_p[i] = p;
		rec->spec_us[i] = (double)skit_hist_percentile(h, p) / 1000.0;
	}
	rec->nspec = BENCH_SPEC_MAX;
}

void
bench_record_result(struct bench_record *rec, const struct bench_run *run)
{
	const struct skit_bench_result *r = run->r;
	const struct skit_hist *h = r->hist;
	double s = r->secs;

	snprintf(rec->address, sizeof(rec->address), "%s", run->where);
	if (!rec->label[0])
		snprintf(rec->label, sizeof(rec->label), "%s", run->where);
	rec->secs = s;
	switch (run->cfg->mode) {
	case SKIT_BENCH_THROUGHPUT:
		fig(rec, "sent_bits_per_s", "sent", "bit/s",
		    8 * bench_per_s(r->total.tx, s), false);
		fig(rec, "received_bits_per_s", "received", "bit/s",
		    8 * bench_per_s(r->total.rx, s), false);
		if (run->type == SOCK_DGRAM &&
		    (r->udp.echoed || r->udp.receiver)) {
			fig(rec, "lost_percent", "datagrams lost", "%",
			    r->udp.sent ? 100.0 * (double)r->udp.lost /
						  (double)r->udp.sent
					: 0,
			    true);
			fig(rec, "jitter_ms", "jitter", "ms", r->udp.jitter_ms,
			    true);
			fig(rec, "out_of_order", "out of order", "",
			    (double)r->udp.out_of_order, true);
		}
		break;
	case SKIT_BENCH_RR:
	case SKIT_BENCH_CRR:
		fig(rec, "requests_per_s", rec->rate_name, "1/s",
		    bench_per_s(r->total.requests, s), false);
		fig(rec, "p50", "p50", "us", skit_hist_percentile(h, 50) / 1e3,
		    true);
		fig(rec, "p90", "p90", "us", skit_hist_percentile(h, 90) / 1e3,
		    true);
		fig(rec, "p99", "p99", "us", skit_hist_percentile(h, 99) / 1e3,
		    true);
		fig(rec, "p99_9", "p99.9", "us",
		    skit_hist_percentile(h, 99.9) / 1e3, true);
		fig(rec, "max", "max", "us", skit_hist_max(h) / 1e3, true);
		fig(rec, "mean", "mean", "us", skit_hist_mean(h) / 1e3, true);
		fig(rec, "lost", "lost", "", (double)r->total.lost, true);
		spectrum(rec, h);
		break;
	case SKIT_BENCH_CONNS:
		fig(rec, "opened", "opened", "", (double)r->conn_ok, false);
		fig(rec, "held", "held to the end", "", (double)r->held, false);
		fig(rec, "setup_per_s", "setup rate", "1/s",
		    bench_per_s(r->conn_ok, r->setup_secs), false);
		break;
	}
}

/* ,"key":[n numbers] (v[i * stride]) into f; no comma first
 * when key starts the object. */
static void
put_nums(FILE *f, const char *key, bool first, const double *v, int n,
	 int stride)
{
	if (key)
		fprintf(f, "%s\"%s\":", first ? "" : ",", key);
	fputc('[', f);
	char b[CLI_NUM_LEN];

	for (int i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "",
			cli_json_num(v[(size_t)i * stride], b, sizeof(b)));
	fputc(']', f);
}

/* A raw JSON object built by fn into the object being written. */
static void
put_raw(struct cli_json *j, const char *key,
	void (*fn)(FILE *f, const struct bench_record *rec),
	const struct bench_record *rec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fn(f, rec);
	if (fclose(f) == 0)
		cli_json_raw(j, key, buf);
	free(buf);
}

static void
put_spectrum(FILE *f, const struct bench_record *rec)
{
	fputc('{', f);
	put_nums(f, "percentile", true, rec->spec_p, rec->nspec, 1);
	put_nums(f, "latency_us", false, rec->spec_us, rec->nspec, 1);
	fputc('}', f);
}

static void
put_series(FILE *f, const struct bench_record *rec)
{
	fputs("{\"rate\":", f);
	cli_json_quote(f, rec->rate_name, strlen(rec->rate_name));
	char b[CLI_NUM_LEN];

	fprintf(f, ",\"interval_s\":%s",
		cli_json_num(rec->interval_s, b, sizeof(b)));
	put_nums(f, "t", false, rec->t, rec->nint, 1);
	put_nums(f, "total", false, rec->total, rec->nint, 1);
	fputs(",\"per_connection\":[", f);
	for (int i = 0; i < rec->nconn && rec->nint; i++) {
		if (i)
			fputc(',', f);
		put_nums(f, NULL, false, rec->conn + i, rec->nint, rec->nconn);
	}
	fputs("]}", f);
}

void
bench_record_json(const struct bench_record *rec, struct cli_json *j)
{
	cli_json_str(j, "command", rec->command);
	cli_json_str(j, "version", rec->version);
	cli_json_str(j, "kernel", rec->kernel);
	cli_json_int(j, "cpus", rec->cpus);
	cli_json_str(j, "date", rec->date);
	if (rec->nspec)
		put_raw(j, "spectrum", put_spectrum, rec);
	if (rec->rate_name[0])
		put_raw(j, "series", put_series, rec);
}

void
bench_record_free(struct bench_record *rec)
{
	free(rec->t);
	free(rec->total);
	free(rec->conn);
	free(rec->prev_conn);
	rec->t = rec->total = rec->conn = NULL;
	rec->prev_conn = NULL;
}
