/*
 * bench_report.c - what `skit bench` prints: the text table and the
 * JSON object of a result (skit/bench.h).
 */
#include "bench.h"
#include "cli.h"
#include "cli_tls.h"

#include <stdio.h>

double
bench_per_s(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs : 0.0;
}

static double
us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static const double pcts[] = { 50, 90, 99, 99.9 };
static const char *const pct_keys[] = { "p50", "p90", "p99", "p99_9" };

static void
json_latency(struct cli_json *j, const struct skit_hist *h)
{
	char buf[512];
	size_t n = 0;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"min\":%.3f",
			      us(skit_hist_min(h)));
	for (size_t i = 0; i < 4; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",\"%s\":%.3f",
				      pct_keys[i],
				      us(skit_hist_percentile(h, pcts[i])));
	snprintf(buf + n, sizeof(buf) - n, ",\"max\":%.3f,\"mean\":%.3f}",
		 us(skit_hist_max(h)), skit_hist_mean(h) / 1000.0);
	cli_json_raw(j, "latency_us", buf);
}

static const char *
sent_by_name(unsigned char by)
{
	return by == SKIT_BENCH_SENT_GSO	? "gso"
	       : by == SKIT_BENCH_SENT_SENDMMSG ? "sendmmsg"
						: "sendto";
}

/* udp throughput's datagram counts, as iperf3 -u reports them. */
static void
json_udp(struct cli_json *j, const struct skit_bench_cfg *cfg,
	 const struct skit_bench_udp *u)
{
	cli_json_str(j, "protocol", "udp");
	cli_json_int(j, "datagram_size", cfg->size);
	cli_json_int(j, "target_bits_per_s", cfg->bitrate);
	cli_json_uint(j, "datagrams_sent", u->sent);
	cli_json_uint(j, "datagrams_received", u->received);
	cli_json_bool(j, "echoed", u->echoed);
	cli_json_bool(j, "receiver_counted", u->receiver);
	cli_json_str(j, "sent_by", sent_by_name(u->sent_by));
	if (u->echoed || u->receiver) {
		cli_json_uint(j, "lost", u->lost);
		cli_json_double(j, "lost_percent",
				u->sent ? 100.0 * (double)u->lost /
						  (double)u->sent
					: 0.0);
		cli_json_uint(j, "out_of_order", u->out_of_order);
		cli_json_uint(j, "duplicates", u->duplicates);
		cli_json_double(j, "jitter_ms", u->jitter_ms);
	} else {
		/* Nothing came back and the discard server did not
		 * answer the stats request: not measured. */
		cli_json_null(j, "lost");
		cli_json_null(j, "lost_percent");
		cli_json_null(j, "jitter_ms");
	}
}

/* The text line of udp throughput's datagrams. */
static void
text_udp(const struct skit_bench_udp *u)
{
	printf("datagrams    sent %llu (by %s)  received %llu",
	       (unsigned long long)u->sent, sent_by_name(u->sent_by),
	       (unsigned long long)u->received);
	if (!u->echoed && !u->receiver) {
		printf("  (none came back: loss and jitter need an echo "
		       "server, or skit echo --discard)\n");
		return;
	}
	printf("  lost %llu (%.3g%%)  out of order %llu  duplicates %llu  "
	       "jitter %.3f ms%s\n",
	       (unsigned long long)u->lost,
	       u->sent ? 100.0 * (double)u->lost / (double)u->sent : 0.0,
	       (unsigned long long)u->out_of_order,
	       (unsigned long long)u->duplicates, u->jitter_ms,
	       u->receiver ? "  (counted by the receiver)" : "");
}

void
bench_print_json(const struct bench_run *run, const struct bench_record *rec)
{
	const struct skit_bench_cfg *cfg = run->cfg;
	const struct skit_bench_result *s = run->r;
	struct cli_json j;

	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "summary");
	cli_json_str(&j, "mode", skit_bench_mode_name(cfg->mode));
	cli_json_str(&j, "address", run->where);
	cli_json_int(&j, "threads", cfg->threads);
	cli_json_double(&j, "seconds", s->secs);
	switch (cfg->mode) {
	case SKIT_BENCH_THROUGHPUT: {
		char buf[8192];
		size_t n = 0;

		cli_json_int(&j, "streams", cfg->conc);
		cli_json_str(&j, "direction",
			     cfg->dir == SKIT_BENCH_SEND   ? "send"
			     : cfg->dir == SKIT_BENCH_RECV ? "recv"
							   : "both");
		cli_json_int(&j, "write_size", cfg->size);
		cli_json_uint(&j, "bytes_sent", s->total.tx);
		cli_json_uint(&j, "bytes_received", s->total.rx);
		cli_json_double(&j, "sent_bytes_per_s",
				bench_per_s(s->total.tx, s->secs));
		cli_json_double(&j, "received_bytes_per_s",
				bench_per_s(s->total.rx, s->secs));
		n += (size_t)snprintf(buf, sizeof(buf), "[");
		for (int k = 0; k < s->nconn && n < sizeof(buf) - 200; k++) {
			char tx[CLI_NUM_LEN], rx[CLI_NUM_LEN];

			n += (size_t)snprintf(
				buf + n, sizeof(buf) - n,
				"%s{\"stream\":%d,\"bytes_sent\":%llu,"
				"\"bytes_received\":%llu,"
				"\"sent_bytes_per_s\":%s,"
				"\"received_bytes_per_s\":%s}",
				k ? "," : "", k,
				(unsigned long long)s->conn[k].tx,
				(unsigned long long)s->conn[k].rx,
				cli_json_num(
					bench_per_s(s->conn[k].tx, s->secs), tx,
					sizeof(tx)),
				cli_json_num(
					bench_per_s(s->conn[k].rx, s->secs), rx,
					sizeof(rx)));
		}
		snprintf(buf + n, sizeof(buf) - n, "]");
		cli_json_raw(&j, "per_stream", buf);
		if (run->type == SOCK_DGRAM)
			json_udp(&j, cfg, &s->udp);
		break;
	}
	case SKIT_BENCH_RR:
	case SKIT_BENCH_CRR:
		cli_json_int(&j, "connections", cfg->conc);
		if (cfg->mode == SKIT_BENCH_RR)
			cli_json_int(&j, "pipeline",
				     cfg->pipeline > 1 ? cfg->pipeline : 1);
		cli_json_int(&j, "size", cfg->size);
		cli_json_str(&j, "framing",
			     cfg->sockperf ? "sockperf" : "echo");
		cli_json_uint(&j, "requests", s->total.requests);
		cli_json_double(&j, "requests_per_s",
				bench_per_s(s->total.requests, s->secs));
		if (cfg->mode == SKIT_BENCH_CRR) {
			cli_json_uint(&j, "connects", s->conn_ok);
			cli_json_uint(&j, "connect_errors", s->conn_fail);
			cli_json_uint(&j, "broken", s->breaks);
		}
		cli_json_uint(&j, "lost", s->total.lost);
		cli_json_uint(&j, "late", s->late);
		json_latency(&j, s->hist);
		break;
	case SKIT_BENCH_CONNS:
		cli_json_int(&j, "requested", cfg->nconns);
		cli_json_uint(&j, "opened", s->conn_ok);
		cli_json_uint(&j, "failed", s->conn_fail);
		cli_json_int(&j, "probe_size", cfg->size);
		cli_json_str(&j, "framing",
			     cfg->sockperf ? "sockperf" : "echo");
		cli_json_uint(&j, "served", s->served);
		cli_json_uint(&j, "closed_by_server", s->closed);
		cli_json_uint(&j, "held", s->held);
		cli_json_double(&j, "setup_seconds", s->setup_secs);
		cli_json_double(&j, "setup_per_s",
				bench_per_s(s->conn_ok, s->setup_secs));
		break;
	}
	if (s->have_tls)
		cli_tls_json_info(&j, &s->tls, "");
	bench_record_json(rec, &j);
	cli_json_end(&j);
}

/* A human rate: 1.23 G, 456.7 k. */
const char *
bench_human(double v, char *buf, size_t len)
{
	const char *u = "";

	if (v >= 1e9) {
		v /= 1e9;
		u = " G";
	} else if (v >= 1e6) {
		v /= 1e6;
		u = " M";
	} else if (v >= 1e3) {
		v /= 1e3;
		u = " k";
	}
	snprintf(buf, len, "%.4g%s", v, u);
	return buf;
}

/* One row of the throughput table. */
static void
stream_row(const char *name, const struct skit_bench_counts *c, double secs)
{
	char a[32], b[32];

	printf("%-8s %16llu %14s %16llu %14s\n", name,
	       (unsigned long long)c->tx,
	       bench_human(8 * bench_per_s(c->tx, secs), a, sizeof(a)),
	       (unsigned long long)c->rx,
	       bench_human(8 * bench_per_s(c->rx, secs), b, sizeof(b)));
}

void
bench_print_text(const struct bench_run *run)
{
	const struct skit_bench_cfg *cfg = run->cfg;
	const struct skit_bench_result *s = run->r;

	char depth[32] = "";

	if (cfg->pipeline > 1)
		snprintf(depth, sizeof(depth), " --pipeline %d", cfg->pipeline);
	printf("skit bench --mode %s%s%s %s  (%d thread%s, %.2f s)\n",
	       skit_bench_mode_name(cfg->mode), depth,
	       cfg->sockperf ? " --sockperf" : "", run->where, cfg->threads,
	       cfg->threads == 1 ? "" : "s", s->secs);
	switch (cfg->mode) {
	case SKIT_BENCH_THROUGHPUT:
		printf("%-8s %16s %14s %16s %14s\n", "stream", "sent", "bits/s",
		       "received", "bits/s");
		for (int k = 0; k < s->nconn; k++) {
			char name[16];

			snprintf(name, sizeof(name), "%d", k);
			stream_row(name, &s->conn[k], s->secs);
		}
		stream_row("total", &s->total, s->secs);
		if (run->type == SOCK_DGRAM)
			text_udp(&s->udp);
		break;
	case SKIT_BENCH_RR:
	case SKIT_BENCH_CRR: {
		const struct skit_hist *h = s->hist;

		printf("%-12s %llu\n", "requests",
		       (unsigned long long)s->total.requests);
		printf("%-12s %.1f\n",
		       cfg->mode == SKIT_BENCH_CRR ? "connects/s"
						   : "requests/s",
		       bench_per_s(s->total.requests, s->secs));
		if (cfg->mode == SKIT_BENCH_CRR)
			printf("%-12s %llu (broken before the reply: %llu)\n",
			       "conn errors", (unsigned long long)s->conn_fail,
			       (unsigned long long)s->breaks);
		if (run->type == SOCK_DGRAM)
			printf("%-12s %llu (late replies %llu)\n", "lost",
			       (unsigned long long)s->total.lost,
			       (unsigned long long)s->late);
		printf("latency (us)  %9s %9s %9s %9s %9s %9s %9s\n", "min",
		       "p50", "p90", "p99", "p99.9", "max", "mean");
		printf("              %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f "
		       "%9.2f\n",
		       us(skit_hist_min(h)), us(skit_hist_percentile(h, 50)),
		       us(skit_hist_percentile(h, 90)),
		       us(skit_hist_percentile(h, 99)),
		       us(skit_hist_percentile(h, 99.9)), us(skit_hist_max(h)),
		       skit_hist_mean(h) / 1000.0);
		break;
	}
	case SKIT_BENCH_CONNS:
		printf("%-16s %lld\n", "requested", (long long)cfg->nconns);
		printf("%-16s %llu\n", "opened",
		       (unsigned long long)s->conn_ok);
		printf("%-16s %llu\n", "failed",
		       (unsigned long long)s->conn_fail);
		if (cfg->size > 0)
			printf("%-16s %llu\n", "served",
			       (unsigned long long)s->served);
		printf("%-16s %llu\n", "closed by server",
		       (unsigned long long)s->closed);
		printf("%-16s %llu\n", "held to the end",
		       (unsigned long long)s->held);
		printf("%-16s %.3f s (%.1f/s)\n", "setup", s->setup_secs,
		       bench_per_s(s->conn_ok, s->setup_secs));
		break;
	}
	cli_stdout_flush();
}
