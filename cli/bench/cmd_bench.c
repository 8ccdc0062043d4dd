/*
 * cmd_bench.c - `skit bench ADDRESS`: load an echo (or discard, or
 * source) server and report throughput, request/response latency
 * percentiles, connection rate or how many connections it holds.
 * Options, output and the stop policy here; the load in the library's
 * engine (skit/bench.h).
 */
#include "bench.h"
#include "cli.h"
#include "cli_tls.h"
#include "cli_ws.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum {
	OPT_TIMEOUT = 256,
	OPT_BYTES,
	OPT_DIRECTION,
	OPT_JSON,
	OPT_JSON_STREAM,
	OPT_SOCKPERF,
	OPT_NO_GSO,
	OPT_REPORT,
	OPT_COMPARE,
	OPT_PIPELINE,
};

static const struct cli_opt bench_opts[] = {
	{ "mode", 'm', "MODE", 'm', "throughput, rr (default), crr or conns" },
	{ "concurrency", 'c', "N", 'c',
	  "rr, crr: connections, one request in flight each (1)" },
	{ "pipeline", 0, "N", OPT_PIPELINE,
	  "rr: N requests in flight on each connection, the window refilled "
	  "by one write (1; streams and seqpacket, not datagrams)" },
	{ "parallel", 'P', "N", 'P', "throughput: parallel streams (1)" },
	{ "conns", 'n', "N", 'n', "conns: connections to open (100)" },
	{ "size", 's', "BYTES", 's',
	  "request size (64), write size for throughput (1m; udp: the "
	  "datagram size, 1460), conns: probe size (0: none)" },
	{ "duration", 'd', "SECS", 'd',
	  "measure this long (10; conns: hold this long, 1)" },
	{ "requests", 'r', "N", 'r',
	  "rr, crr: stop after N requests instead of a duration" },
	{ "bytes", 0, "BYTES", OPT_BYTES,
	  "throughput: move BYTES in all instead of a duration" },
	{ "direction", 0, "DIR", OPT_DIRECTION,
	  "throughput: send (default), recv or both" },
	{ "warmup", 'w', "SECS", 'w',
	  "run this long before counting (duration/10, at most 1; 0 with "
	  "--requests/--bytes)" },
	{ "timeout", 0, "SECS", OPT_TIMEOUT,
	  "no reply this long: an error (streams, 5) or a loss (datagrams, "
	  "1); also the connect time-out and the wait for a full receiver" },
	{ "udp", 'u', NULL, 'u',
	  "a bare PORT means udp:127.0.0.1:PORT (throughput over udp: "
	  "iperf3 -u's job)" },
	{ "bitrate", 'b', "RATE", 'b',
	  "udp throughput: bit/s per stream (1m; k/m/g are 1000s; 0: as "
	  "fast as the socket takes them)" },
	{ "no-gso", 0, NULL, OPT_NO_GSO,
	  "udp throughput: one datagram per system call, as iperf3 -u "
	  "(default: up to 64 in one UDP GSO send)" },
	{ "threads", 't', "N", 't',
	  "spread the connections over N threads (1)" },
	{ "interval", 'i', "SECS", 'i',
	  "the interval of the rate over time (1); given, an interim line "
	  "each interval (text output)" },
	{ "sockperf", 0, NULL, OPT_SOCKPERF,
	  "rr, crr, conns: frame requests as sockperf pings, so a sockperf "
	  "server answers too (--size 14 or more)" },
	{ "json", 0, NULL, OPT_JSON, "one JSON object with the results" },
	{ "json-stream", 0, NULL, OPT_JSON_STREAM,
	  "one JSON object per interval, then the results" },
	{ "report", 0, "FILE", OPT_REPORT,
	  "also write an HTML report: latency percentile spectrum, rate "
	  "over time, summary, record" },
	{ "compare", 0, NULL, OPT_COMPARE,
	  "the arguments are --json results of one mode: draw them on "
	  "the same axes in the --report, with ratios" },
	{ "verbose", 'v', NULL, 'v', "more diagnostics on stderr" },
	{ NULL, 0, NULL, 0, NULL },
};

/* The address options bench implements: what a dial applies, but one
 * round only (connect-timeout=; --timeout when it is not set), and a
 * proxy= the dial goes through. */
static const uint64_t bench_addr_opts =
	SKIT_OPTS_OPEN | SKIT_OPTS_TLS | SKIT_OPTS_WS |
	SKIT_OPT_BIT(CONNECT_TIMEOUT) | SKIT_OPT_BIT(PROXY);

static const struct cli_help bench_help = {
	.name = "bench",
	.permute = true,
	.synopsis = "skit bench [OPTIONS] ADDRESS\n"
		    "       skit bench --compare --report FILE.html A.json "
		    "B.json...",
	.about = "Load-test an echo server (skit echo, or any RFC 862 echo; "
		 "a discard or\nsource server for throughput) over tcp, udp, "
		 "unix, unix-dgram,\nunix-seqpacket or vsock, and over tls "
		 "and ws (ws://: a request is one\nWebSocket message). Modes: "
		 "throughput (bytes/s per stream), rr\n(requests/s and latency "
		 "percentiles), crr (connect, request, response,\nclose), "
		 "conns (open N connections and hold them). A bare PORT "
		 "means\ntcp:127.0.0.1:PORT.",
	.opts = bench_opts,
	.extra = "examples:\n"
		 "  skit bench -m rr -c 4 -d 5 tcp:127.0.0.1:7\n"
		 "  skit bench -m throughput -P 4 tcp:[::1]:9\n"
		 "  skit bench -m throughput -u -b 100m -d 5 7\n"
		 "  skit bench -m crr -r 10000 --json unix:/run/echo.sock\n"
		 "  skit bench -m rr -c 16 --pipeline 64 ws://127.0.0.1:8080/\n"
		 "  skit bench -m conns -n 10000 -s 8 tcp:127.0.0.1:7\n"
		 "  skit bench -m rr -d 10 --json --report rr.html 7 >rr.json\n"
		 "  skit bench --compare --report ab.html a.json b.json\n",
};

struct bench_opts {
	bool json, json_stream, compare, have_interval, udp, have_bitrate;
	const char *report;
	bool have_duration, have_warmup, have_timeout, have_size;
	long long conc, parallel;
	int type; /* the address's socket type (0: not known yet) */
};

static int
parse_mode(const char *s, enum skit_bench_mode *m)
{
	if (skit_bench_mode_parse(s, m) == 0)
		return 0;
	cli_errorf("bench: --mode: '%s' is not throughput, rr, crr or conns",
		   s);
	return -1;
}

static int
parse_dir(const char *s, enum skit_bench_dir *d)
{
	if (!strcmp(s, "send"))
		*d = SKIT_BENCH_SEND;
	else if (!strcmp(s, "recv"))
		*d = SKIT_BENCH_RECV;
	else if (!strcmp(s, "both"))
		*d = SKIT_BENCH_BOTH;
	else {
		cli_errorf("bench: --direction: '%s' is not send, recv or both",
			   s);
		return -1;
	}
	return 0;
}

/* A bit rate: a number with k, m or g (thousands, millions, billions:
 * iperf3's units), or 0. */
static int
parse_bitrate(const char *s, int64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0) {
		cli_errorf("bench: --bitrate: '%s' is not a bit rate (a "
			   "number, with k, m or g)",
			   s);
		return -1;
	}
	switch (*end) {
	case 'k':
	case 'K':
		v *= 1e3;
		end++;
		break;
	case 'm':
	case 'M':
		v *= 1e6;
		end++;
		break;
	case 'g':
	case 'G':
		v *= 1e9;
		end++;
		break;
	}
	if (*end || v > 1e12) {
		cli_errorf("bench: --bitrate: '%s' is not a bit rate (a "
			   "number, with k, m or g)",
			   s);
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct skit_bench_cfg *cfg,
	   struct bench_opts *o, int *argi)
{
	struct cli_getopt_state st = { 0 };
	const char *arg;
	long long v = 0;
	int c, bad = 0;

	while ((c = cli_getopt(argc, argv, &bench_help, &st, &arg)) != -1) {
		switch (c) {
		case 'm':
			bad = parse_mode(arg, &cfg->mode);
			break;
		case 'c':
			bad = cli_parse_int("--concurrency", arg, 1, 100000,
					    &o->conc);
			break;
		case 'P':
			bad = cli_parse_int("--parallel", arg, 1, 10000,
					    &o->parallel);
			break;
		case 'n':
			bad = cli_parse_int("--conns", arg, 1, 10000000, &v);
			cfg->nconns = v;
			break;
		case 's':
			bad = cli_parse_size("--size", arg, &v);
			cfg->size = v;
			if (!bad && cfg->size > 16 * 1024 * 1024) {
				cli_errorf("bench: --size: at most 16m");
				bad = -1;
			}
			o->have_size = true;
			break;
		case 'd':
			bad = cli_parse_duration_ms("--duration", arg, &v);
			cfg->duration_ms = v;
			o->have_duration = true;
			break;
		case 'r':
			bad = cli_parse_int("--requests", arg, 1, INT64_MAX / 2,
					    &v);
			cfg->requests = v;
			break;
		case OPT_BYTES:
			bad = cli_parse_size("--bytes", arg, &v);
			cfg->bytes = v;
			if (!bad && cfg->bytes < 1) {
				cli_errorf("bench: --bytes: at least 1");
				bad = -1;
			}
			break;
		case OPT_DIRECTION:
			bad = parse_dir(arg, &cfg->dir);
			break;
		case 'w':
			bad = cli_parse_duration_ms("--warmup", arg, &v);
			cfg->warmup_ms = v;
			o->have_warmup = true;
			break;
		case OPT_TIMEOUT:
			bad = cli_parse_duration_ms("--timeout", arg, &v);
			cfg->timeout_ms = v;
			if (!bad && cfg->timeout_ms < 1)
				cfg->timeout_ms = 1;
			o->have_timeout = true;
			break;
		case 't':
			bad = cli_parse_int("--threads", arg, 1, 256, &v);
			cfg->threads = (int)v;
			break;
		case 'u':
			o->udp = true;
			break;
		case 'b':
			bad = parse_bitrate(arg, &cfg->bitrate);
			o->have_bitrate = true;
			break;
		case 'i':
			bad = cli_parse_duration_ms("--interval", arg, &v);
			cfg->interval_ms = v;
			if (!bad && cfg->interval_ms < 10)
				cfg->interval_ms = 10;
			o->have_interval = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_SOCKPERF:
			cfg->sockperf = true;
			break;
		case OPT_NO_GSO:
			cfg->no_gso = true;
			break;
		case OPT_JSON_STREAM:
			o->json_stream = true;
			break;
		case OPT_REPORT:
			o->report = arg;
			break;
		case OPT_COMPARE:
			o->compare = true;
			break;
		case OPT_PIPELINE:
			bad = cli_parse_int("--pipeline", arg, 1,
					    SKIT_BENCH_PIPELINE_MAX, &v);
			cfg->pipeline = (int)v;
			break;
		case 'v':
			cli_g.verbose++;
			break;
		case -2:
			cli_getopt_done(&st);
			return -1;
		default:
			bad = -1;
			break;
		}
		if (bad) {
			cli_getopt_done(&st);
			return CLI_EXIT_USAGE;
		}
	}
	*argi = optind;
	cli_getopt_done(&st);
	return 0;
}

/* Fill in the defaults that depend on the mode; 0 or an exit code. */
static int
settle(struct skit_bench_cfg *cfg, const struct bench_opts *o)
{
	bool tput = cfg->mode == SKIT_BENCH_THROUGHPUT;
	bool udp = tput && o->type == SOCK_DGRAM;

	/*
	 * Throughput writes 1 MiB at a time (the most --size allows there):
	 * over loopback TCP one stream moved 39-42 Gbit/s in 1 MiB writes
	 * against 22-26 in 128 KiB ones, the system call count being the
	 * limit, and a throughput test should find the transport's.
	 */
	if (!o->have_size)
		cfg->size = udp				    ? 1460
			    : tput			    ? 1024 * 1024
			    : cfg->mode == SKIT_BENCH_CONNS ? 0
							    : 64;
	if (o->have_bitrate && !udp) {
		cli_errorf("bench: --bitrate is for --mode throughput over "
			   "udp");
		return CLI_EXIT_USAGE;
	}
	if (cfg->no_gso && !udp) {
		cli_errorf("bench: --no-gso is for --mode throughput over udp");
		return CLI_EXIT_USAGE;
	}
	if (udp && !o->have_bitrate)
		cfg->bitrate = 1000 * 1000; /* iperf3 -u's default */
	if (udp && (cfg->bytes || cfg->dir != SKIT_BENCH_SEND)) {
		cli_errorf("bench: udp throughput runs by --duration and "
			   "sends (an echo server's replies measure the way "
			   "back)");
		return CLI_EXIT_USAGE;
	}
	if (udp && cfg->size < SKIT_BENCH_UDP_HDR) {
		cli_errorf("bench: udp throughput: --size must be at least %d "
			   "(the sequence and time header)",
			   SKIT_BENCH_UDP_HDR);
		return CLI_EXIT_USAGE;
	}
	if (cfg->size < 1 && cfg->mode != SKIT_BENCH_CONNS) {
		cli_errorf("bench: --size: at least 1 byte");
		return CLI_EXIT_USAGE;
	}
	if (cfg->requests && cfg->mode != SKIT_BENCH_RR &&
	    cfg->mode != SKIT_BENCH_CRR) {
		cli_errorf("bench: --requests is for --mode rr and crr");
		return CLI_EXIT_USAGE;
	}
	if (cfg->pipeline > 1 && cfg->mode != SKIT_BENCH_RR) {
		cli_errorf("bench: --pipeline is for --mode rr");
		return CLI_EXIT_USAGE;
	}
	if (cfg->pipeline > 1 && o->type == SOCK_DGRAM) {
		cli_errorf("bench: --pipeline needs a stream or seqpacket "
			   "address: datagrams may be lost or reordered, so "
			   "replies cannot be matched to a window of requests");
		cli_hint("for more requests in flight over udp, use more "
			 "connections (-c)");
		return CLI_EXIT_USAGE;
	}
	if (cfg->bytes && !tput) {
		cli_errorf("bench: --bytes is for --mode throughput");
		return CLI_EXIT_USAGE;
	}
	if (tput && o->type != SOCK_STREAM && o->type != SOCK_DGRAM) {
		cli_errorf(
			"bench: --mode throughput needs a stream or datagram "
			"address (tcp, unix, vsock, udp, unix-dgram)");
		cli_hint("for seqpacket, use --mode rr");
		return CLI_EXIT_USAGE;
	}
	if (cfg->sockperf && tput) {
		cli_errorf("bench: --sockperf is for --mode rr, crr and conns");
		return CLI_EXIT_USAGE;
	}
	if (cfg->sockperf && cfg->size && cfg->size < SKIT_BENCH_SOCKPERF_HDR) {
		cli_errorf("bench: --sockperf: --size must be at least %d "
			   "(sockperf's header)",
			   SKIT_BENCH_SOCKPERF_HDR);
		return CLI_EXIT_USAGE;
	}
	if (tput && !udp && cfg->size > 1024 * 1024)
		cfg->size = 1024 * 1024;
	if (udp && cfg->size > 65507) {
		cli_errorf("bench: udp throughput: --size is at most 65507 (a "
			   "datagram)");
		return CLI_EXIT_USAGE;
	}
	if (!o->have_duration)
		cfg->duration_ms = cfg->mode == SKIT_BENCH_CONNS ? 1000 : 10000;
	if (cfg->requests || cfg->bytes)
		cfg->duration_ms = 0;
	if (!o->have_warmup) {
		cfg->warmup_ms = cfg->duration_ms / 10;
		if (cfg->warmup_ms > 1000)
			cfg->warmup_ms = 1000;
	}
	if (cfg->mode == SKIT_BENCH_CONNS)
		cfg->warmup_ms = 0;
	if (!o->have_timeout)
		cfg->timeout_ms = o->type == SOCK_DGRAM ? 1000 : 5000;
	cfg->conc = (int)(tput ? (o->parallel ? o->parallel : o->conc)
			       : (o->conc ? o->conc : o->parallel));
	if (cfg->conc < 1)
		cfg->conc = 1;
	if (cfg->mode == SKIT_BENCH_CONNS && !cfg->nconns)
		cfg->nconns = 100;
	{
		long long units =
			cfg->mode == SKIT_BENCH_CONNS ? cfg->nconns : cfg->conc;

		if (cfg->threads > units)
			cfg->threads = (int)units;
		if (cfg->requests && cfg->threads > cfg->requests)
			cfg->threads = (int)cfg->requests;
	}
	if (cfg->requests && cfg->requests < cfg->conc)
		cfg->conc = (int)cfg->requests;
	return 0;
}

/*
 * The address as reported: over ws the URL it was given as, with the
 * address measured (ws://127.0.0.1:8080/path, wss://...), or the kind
 * with its layers; else where.
 */
static const char *
report_where(const struct skit_addr *a, const char *where, bool tls, char *buf,
	     size_t len)
{
	const char *path;

	if (!skit_addr_has(a, SKIT_OPT_WS))
		return where;
	path = skit_addr_str(a, SKIT_OPT_WS_PATH);
	if (!path || !*path)
		path = "/";
	if (!strncmp(where, "tcp:", 4))
		snprintf(buf, len, "%s://%s%s", tls ? "wss" : "ws", where + 4,
			 path);
	else
		snprintf(buf, len, "%s,%s", where, tls ? "tls,ws" : "ws");
	return buf;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The interval reports: a progress line on a terminal, or a
 * --json-stream object, from the engine's samples. */
struct watch {
	const struct skit_bench_cfg *cfg;
	bool tty, json_stream, lines;
	struct skit_bench_counts last;
	struct bench_record *rec;
};

static void
on_sample(const struct skit_bench_sample *sm, void *data)
{
	struct watch *wa = data;
	const struct skit_bench_counts *t = &sm->total, *l = &wa->last;
	double dt = (double)sm->dt_ns / 1e9, at = (double)sm->t_ns / 1e9;
	char a[32], b[32];

	if (bench_record_sample(wa->rec, sm) < 0)
		cli_errorf("bench: out of memory (the rate over time is cut "
			   "short)");
	if (wa->json_stream) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "interval");
		cli_json_int(&j, "interval", sm->index);
		cli_json_double(&j, "t", at);
		cli_json_uint(&j, "requests", t->requests - l->requests);
		cli_json_double(&j, "requests_per_s",
				(double)(t->requests - l->requests) / dt);
		cli_json_uint(&j, "bytes_sent", t->tx - l->tx);
		cli_json_uint(&j, "bytes_received", t->rx - l->rx);
		cli_json_double(&j, "sent_bytes_per_s",
				(double)(t->tx - l->tx) / dt);
		cli_json_double(&j, "received_bytes_per_s",
				(double)(t->rx - l->rx) / dt);
		cli_json_end(&j);
	} else if (wa->lines) {
		/* iperf3-style interim lines, one per interval. */
		if (wa->cfg->mode == SKIT_BENCH_CONNS)
			printf("%6.1f s  %llu opened\n", at,
			       (unsigned long long)sm->opened);
		else if (!sm->counting)
			printf("%6.1f s  (warm-up)\n", at);
		else if (wa->cfg->mode == SKIT_BENCH_THROUGHPUT)
			printf("%6.1f s  sent %sbit/s  received %sbit/s\n", at,
			       bench_human(8.0 * (double)(t->tx - l->tx) / dt,
					   a, sizeof(a)),
			       bench_human(8.0 * (double)(t->rx - l->rx) / dt,
					   b, sizeof(b)));
		else
			printf("%6.1f s  %s requests/s  lost %llu\n", at,
			       bench_human((double)(t->requests - l->requests) /
						   dt,
					   a, sizeof(a)),
			       (unsigned long long)(t->lost - l->lost));
		cli_stdout_flush();
	} else if (!wa->tty) {
		/* nothing to show */
	} else if (wa->cfg->mode == SKIT_BENCH_THROUGHPUT) {
		fprintf(stderr, "\r%6.1f s  sent %sbit/s  received %sbit/s   ",
			at,
			bench_human(8.0 * (double)(t->tx - l->tx) / dt, a,
				    sizeof(a)),
			bench_human(8.0 * (double)(t->rx - l->rx) / dt, b,
				    sizeof(b)));
	} else {
		fprintf(stderr, "\r%6.1f s  %s requests/s   ", at,
			bench_human((double)(t->requests - l->requests) / dt, a,
				    sizeof(a)));
	}
	wa->last = *t;
}

static int
fail_with(const struct skit_err *e, const char *hint)
{
	int rc = cli_report(e);

	if (hint)
		cli_hint("%s", hint);
	return rc;
}

/* A fatal error of the run: its message, a hint, the exit code. */
static int
report_fail(const struct skit_bench_cfg *cfg, const char *where,
	    const struct skit_bench_result *r)
{
	int code = r->code;

	if (code == SKIT_EFULL)
		return cli_report_full("bench", where, cfg->timeout_ms,
				       "--timeout");
	if (code == -ECONNREFUSED || code == -ENOENT)
		return fail_with(&r->err, "is the server running? start one "
					  "with 'skit echo ADDRESS'");
	if (code == SKIT_EPROTO || code == SKIT_ENOREPLY)
		return fail_with(&r->err,
				 "skit bench needs an echo server (discard or "
				 "source for --mode throughput)");
	if ((code == SKIT_ETRUNC || code == -ECONNRESET) && !cfg->sockperf &&
	    cfg->mode != SKIT_BENCH_THROUGHPUT)
		return fail_with(&r->err,
				 "a sockperf server hangs up on plain "
				 "requests: if it is one, add --sockperf");
	return fail_with(&r->err, NULL);
}

int
cmd_bench(int argc, char **argv)
{
	struct skit_bench_cfg cfg = { .mode = SKIT_BENCH_RR,
				      .dir = SKIT_BENCH_SEND,
				      .threads = 1,
				      .interval_ms = 1000 };
	struct bench_opts o = { 0 };
	struct skit_addr addr;
	struct skit_bench *b = NULL;
	const struct skit_bench_result *r;
	struct bench_run run;
	struct watch wa = { 0 };
	struct bench_record rec;
	struct skit_err err;
	char text[SKIT_ADDR_TEXT_MAX + 32];
	char where[SKIT_ADDR_TEXT_MAX + 32];
	const char *arg;
	int argi, rc;
	struct cli_tls tls = { 0 };
	struct cli_ws ws;

	rc = parse_opts(argc, argv, &cfg, &o, &argi);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (o.compare)
		return bench_compare(o.report, argc - argi, argv + argi);
	if (argi != argc - 1) {
		cli_errorf("bench: expected one ADDRESS");
		fprintf(stderr, "usage: %s\n", bench_help.synopsis);
		return CLI_EXIT_USAGE;
	}
	arg = argv[argi];
	if (arg[0] && strspn(arg, "0123456789") == strlen(arg)) {
		snprintf(text, sizeof(text), "%s:127.0.0.1:%s",
			 o.udp ? "udp" : "tcp", arg);
		arg = text;
	}
	skit_err_clear(&err);
	if (skit_addr_parse(arg, SKIT_ROLE_CONNECT, &addr, &err) < 0)
		return cli_report(&err);
	if (addr.role == SKIT_ROLE_LISTEN || !skit_kind_is_socket(addr.kind) ||
	    addr.kind > SKIT_KIND_VSOCK) {
		cli_errorf("bench: '%s': needs a tcp, udp, unix, unix-dgram, "
			   "unix-seqpacket or vsock address to connect to",
			   arg);
		return CLI_EXIT_USAGE;
	}
	if (o.udp && addr.kind != SKIT_KIND_UDP &&
	    addr.kind != SKIT_KIND_UNIX_DGRAM) {
		cli_errorf("bench: -u: '%s' is not a udp or unix-dgram address",
			   arg);
		return CLI_EXIT_USAGE;
	}
	if (skit_addr_set_role(&addr, SKIT_ROLE_CONNECT, &err) < 0 ||
	    skit_addr_check(&addr, bench_addr_opts, "skit bench", &err) < 0)
		return cli_report(&err);
	o.type = addr.type ? addr.type : SOCK_STREAM;
	rc = settle(&cfg, &o);
	if (rc)
		return rc;
	rc = cli_tls_setup(&addr, false, &tls);
	if (rc)
		return rc;
	if (tls.ctx) {
		cfg.layer = &skit_layer_tls;
		cfg.layer_cfg = &tls.lc;
	}
	if (skit_addr_has(&addr, SKIT_OPT_WS)) {
		/* a request is one binary message, its reply another */
		rc = cli_ws_init(&ws, &addr, false, false, SKIT_FRAMING_RAW);
		if (rc) {
			cli_tls_free(&tls);
			return rc;
		}
		ws.cfg.mode = SKIT_WS_MODE_BINARY;
		ws.cfg.on_note = NULL; /* every thread's: nothing to say */
		ws.cfg.err = NULL;
		*(tls.ctx ? &cfg.layer2 : &cfg.layer) = &skit_layer_ws;
		*(tls.ctx ? &cfg.layer2_cfg : &cfg.layer_cfg) = &ws.cfg;
	}
	bench_record_init(&rec, &cfg, argc, argv);
	wa.cfg = &cfg;
	wa.rec = &rec;
	wa.json_stream = o.json_stream;
	wa.tty = !o.json && !o.json_stream && isatty(2);
	wa.lines = !o.json && !o.json_stream && !wa.tty && o.have_interval;
	cfg.on_sample = on_sample;
	cfg.data = &wa;
	if (skit_bench_new(&addr, &cfg, &b, &err) < 0) {
		bench_record_free(&rec);
		cli_tls_free(&tls);
		return cli_report(&err);
	}
	raise_nofile();
	/* A stop signal ends the run with the results so far. */
	rc = cli_stop_watch();
	if (rc == 0)
		rc = skit_bench_run(b, cli_stop_fd(), &err);
	if (rc < 0) {
		cli_errorf("bench: cannot start: %s", skit_strerror(rc));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (wa.tty)
		fprintf(stderr, "\r%60s\r", "");
	r = skit_bench_result(b);
	run = (struct bench_run){
		.cfg = &cfg,
		.where = report_where(&addr, skit_bench_where(b),
				      tls.ctx != NULL, where, sizeof(where)),
		.type = skit_bench_type(b),
		.r = r
	};
	if (r->code) {
		rc = report_fail(&cfg, run.where, r);
		goto out;
	}
	if (cfg.mode == SKIT_BENCH_CONNS && !r->conn_ok && r->conn_code) {
		rc = cli_report(&r->conn_err);
		goto out;
	}
	if (run.type == SOCK_DGRAM && cfg.mode != SKIT_BENCH_CONNS &&
	    cfg.mode != SKIT_BENCH_THROUGHPUT && !r->total.requests &&
	    r->total.lost) {
		skit_err_setf(&err, SKIT_ENOREPLY, "bench", run.where, 0,
			      "no reply to any of %llu requests",
			      (unsigned long long)r->total.lost);
		rc = fail_with(&err, "is it an echo server?");
		goto out;
	}
	bench_record_result(&rec, &run);
	if (o.json || o.json_stream)
		bench_print_json(&run, &rec);
	else
		bench_print_text(&run);
	rc = CLI_EXIT_OK; /* stopped or not: the results so far */
	/* Written after the run: asking for it changes no measurement. */
	if (o.report)
		rc = bench_html_write(o.report, &rec, 1);
	if (cfg.mode == SKIT_BENCH_CONNS && (r->conn_fail || r->closed))
		rc = CLI_EXIT_FAIL;
out:
	skit_bench_free(b);
	bench_record_free(&rec);
	cli_tls_free(&tls);
	return rc;
}
