/*
 * cmd_bench.c - `skit bench ADDRESS`: load an echo (or discard, or
 * source) server and report throughput, request/response latency
 * percentiles, connection rate or how many connections it holds.
 * Options and output here; the connections in bench_run.c.
 */
#include "bench.h"
#include "cli.h"
#include "cli_tls.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_TIMEOUT = 256,
	OPT_BYTES,
	OPT_DIRECTION,
	OPT_JSON,
	OPT_JSON_STREAM,
	OPT_SOCKPERF,
};

static const struct cli_opt bench_opts[] = {
	{ "mode", 'm', "MODE", 'm', "throughput, rr (default), crr or conns" },
	{ "concurrency", 'c', "N", 'c',
	  "rr, crr: connections, one request in flight each (1)" },
	{ "parallel", 'P', "N", 'P', "throughput: parallel streams (1)" },
	{ "conns", 'n', "N", 'n', "conns: connections to open (100)" },
	{ "size", 's', "BYTES", 's',
	  "request size (64), write size for throughput (1m), conns: "
	  "probe size (0: none)" },
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
	{ "threads", 't', "N", 't',
	  "spread the connections over N threads (1)" },
	{ "interval", 'i', "SECS", 'i',
	  "progress and --json-stream interval (1)" },
	{ "sockperf", 0, NULL, OPT_SOCKPERF,
	  "rr, crr, conns: frame requests as sockperf pings, so a sockperf "
	  "server answers too (--size 14 or more)" },
	{ "json", 0, NULL, OPT_JSON, "one JSON object with the results" },
	{ "json-stream", 0, NULL, OPT_JSON_STREAM,
	  "one JSON object per interval, then the results" },
	{ "verbose", 'v', NULL, 'v', "more diagnostics on stderr" },
	{ NULL, 0, NULL, 0, NULL },
};

/* The address options bench implements: what skit_connect_he applies
 * (its connect time-out is --timeout). */
static const uint64_t bench_addr_opts = SKIT_OPTS_OPEN | SKIT_OPTS_TLS;

static const struct cli_help bench_help = {
	.name = "bench",
	.permute = true,
	.synopsis = "skit bench [OPTIONS] ADDRESS",
	.about = "Load-test an echo server (skit echo, or any RFC 862 echo; "
		 "a discard or\nsource server for throughput) over tcp, udp, "
		 "unix, unix-dgram,\nunix-seqpacket or vsock. Modes: "
		 "throughput (bytes/s per stream), rr\n(requests/s and latency "
		 "percentiles), crr (connect, request, response,\nclose), "
		 "conns (open N connections and hold them). A bare PORT "
		 "means\ntcp:127.0.0.1:PORT.",
	.opts = bench_opts,
	.extra = "examples:\n"
		 "  skit bench -m rr -c 4 -d 5 tcp:127.0.0.1:7\n"
		 "  skit bench -m throughput -P 4 tcp:[::1]:9\n"
		 "  skit bench -m crr -r 10000 --json unix:/run/echo.sock\n"
		 "  skit bench -m conns -n 10000 -s 8 tcp:127.0.0.1:7\n",
};

struct bench_opts {
	bool json, json_stream;
	bool have_duration, have_warmup, have_timeout, have_size;
	long long conc, parallel;
};

const char *const bench_mode_names[] = { "throughput", "rr", "crr", "conns" };

static int
parse_mode(const char *s, enum bench_mode *m)
{
	for (size_t i = 0;
	     i < sizeof(bench_mode_names) / sizeof(bench_mode_names[0]); i++)
		if (!strcmp(s, bench_mode_names[i])) {
			*m = (enum bench_mode)i;
			return 0;
		}
	cli_errorf("bench: --mode: '%s' is not throughput, rr, crr or conns",
		   s);
	return -1;
}

static int
parse_dir(const char *s, enum bench_dir *d)
{
	if (!strcmp(s, "send"))
		*d = BENCH_SEND;
	else if (!strcmp(s, "recv"))
		*d = BENCH_RECV;
	else if (!strcmp(s, "both"))
		*d = BENCH_BOTH;
	else {
		cli_errorf("bench: --direction: '%s' is not send, recv or both",
			   s);
		return -1;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct bench_cfg *cfg, struct bench_opts *o,
	   int *argi)
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
			bad = cli_parse_int("--conns", arg, 1, 10000000,
					    &cfg->nconns);
			break;
		case 's':
			bad = cli_parse_size("--size", arg, &cfg->size);
			if (!bad && cfg->size > 16 * 1024 * 1024) {
				cli_errorf("bench: --size: at most 16m");
				bad = -1;
			}
			o->have_size = true;
			break;
		case 'd':
			bad = cli_parse_duration_ms("--duration", arg,
						    &cfg->duration_ms);
			o->have_duration = true;
			break;
		case 'r':
			bad = cli_parse_int("--requests", arg, 1, INT64_MAX / 2,
					    &cfg->requests);
			break;
		case OPT_BYTES:
			bad = cli_parse_size("--bytes", arg, &cfg->bytes);
			if (!bad && cfg->bytes < 1) {
				cli_errorf("bench: --bytes: at least 1");
				bad = -1;
			}
			break;
		case OPT_DIRECTION:
			bad = parse_dir(arg, &cfg->dir);
			break;
		case 'w':
			bad = cli_parse_duration_ms("--warmup", arg,
						    &cfg->warmup_ms);
			o->have_warmup = true;
			break;
		case OPT_TIMEOUT:
			bad = cli_parse_duration_ms("--timeout", arg,
						    &cfg->timeout_ms);
			if (!bad && cfg->timeout_ms < 1)
				cfg->timeout_ms = 1;
			o->have_timeout = true;
			break;
		case 't':
			bad = cli_parse_int("--threads", arg, 1, 256, &v);
			cfg->threads = (int)v;
			break;
		case 'i':
			bad = cli_parse_duration_ms("--interval", arg,
						    &cfg->interval_ms);
			if (!bad && cfg->interval_ms < 10)
				cfg->interval_ms = 10;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_SOCKPERF:
			cfg->sockperf = true;
			break;
		case OPT_JSON_STREAM:
			o->json_stream = true;
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
settle(struct bench_cfg *cfg, const struct bench_opts *o)
{
	/*
	 * Throughput writes 1 MiB at a time (the most --size allows there):
	 * over loopback TCP one stream moved 39-42 Gbit/s in 1 MiB writes
	 * against 22-26 in 128 KiB ones, the system call count being the
	 * limit, and a throughput test should find the transport's.
	 */
	if (!o->have_size)
		cfg->size = cfg->mode == BENCH_THROUGHPUT ? 1024 * 1024
			    : cfg->mode == BENCH_CONNS	  ? 0
							  : 64;
	if (cfg->size < 1 && cfg->mode != BENCH_CONNS) {
		cli_errorf("bench: --size: at least 1 byte");
		return CLI_EXIT_USAGE;
	}
	if (cfg->requests && cfg->mode != BENCH_RR && cfg->mode != BENCH_CRR) {
		cli_errorf("bench: --requests is for --mode rr and crr");
		return CLI_EXIT_USAGE;
	}
	if (cfg->bytes && cfg->mode != BENCH_THROUGHPUT) {
		cli_errorf("bench: --bytes is for --mode throughput");
		return CLI_EXIT_USAGE;
	}
	if (cfg->mode == BENCH_THROUGHPUT && cfg->type != SOCK_STREAM) {
		cli_errorf("bench: --mode throughput needs a stream address "
			   "(tcp, unix, vsock)");
		cli_hint("for datagrams, use --mode rr");
		return CLI_EXIT_USAGE;
	}
	if (cfg->sockperf && cfg->mode == BENCH_THROUGHPUT) {
		cli_errorf("bench: --sockperf is for --mode rr, crr and conns");
		return CLI_EXIT_USAGE;
	}
	if (cfg->sockperf && cfg->size && cfg->size < BENCH_SOCKPERF_HDR) {
		cli_errorf("bench: --sockperf: --size must be at least %d "
			   "(sockperf's header)",
			   BENCH_SOCKPERF_HDR);
		return CLI_EXIT_USAGE;
	}
	if (cfg->mode == BENCH_THROUGHPUT && cfg->size > 1024 * 1024)
		cfg->size = 1024 * 1024;
	if (!o->have_duration)
		cfg->duration_ms = cfg->mode == BENCH_CONNS ? 1000 : 10000;
	if (cfg->requests || cfg->bytes)
		cfg->duration_ms = 0;
	if (!o->have_warmup) {
		cfg->warmup_ms = cfg->duration_ms / 10;
		if (cfg->warmup_ms > 1000)
			cfg->warmup_ms = 1000;
	}
	if (cfg->mode == BENCH_CONNS)
		cfg->warmup_ms = 0;
	if (!o->have_timeout)
		cfg->timeout_ms = cfg->type == SOCK_DGRAM ? 1000 : 5000;
	cfg->conc = (int)(cfg->mode == BENCH_THROUGHPUT
				  ? (o->parallel ? o->parallel : o->conc)
				  : (o->conc ? o->conc : o->parallel));
	if (cfg->conc < 1)
		cfg->conc = 1;
	if (cfg->mode == BENCH_CONNS && !cfg->nconns)
		cfg->nconns = 100;
	{
		long long units =
			cfg->mode == BENCH_CONNS ? cfg->nconns : cfg->conc;

		if (cfg->threads > units)
			cfg->threads = (int)units;
		if (cfg->requests && cfg->threads > cfg->requests)
			cfg->threads = (int)cfg->requests;
	}
	if (cfg->requests && cfg->requests < cfg->conc)
		cfg->conc = (int)cfg->requests;
	return 0;
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

/* Interval reports (progress line, --json-stream) until the workers end
 * or a signal asks to stop (cli_stop_fd). Returns true when interrupted. */
static bool
watch(const struct bench_cfg *cfg, struct bench_worker *w,
      const struct bench_opts *o)
{
	bool tty = !o->json && !o->json_stream && isatty(2);
	int64_t start = skit_now_ns(),
		next = start + cfg->interval_ms * 1000000;
	uint64_t last_req = 0, last_tx = 0, last_rx = 0;
	int64_t last_t = start;
	int k = 0;
	bool stop = false;

	for (;;) {
		int fin = 0;
		struct pollfd sfd = { .fd = cli_stop_fd(), .events = POLLIN };

		for (int t = 0; t < cfg->threads; t++)
			fin += atomic_load(&w[t].finished);
		if (fin == cfg->threads)
			break;
		bench_watchdog(cfg, w);
		if (skit_poll(&sfd, 1, 20 * 1000000) > 0 && !stop) {
			bench_abort(cfg, w);
			stop = true;
		}
		if ((!tty && !o->json_stream) || skit_now_ns() < next)
			continue;
		{
			int64_t now = skit_now_ns();
			uint64_t req = 0, tx = 0, rx = 0;
			double dt = (double)(now - last_t) / 1e9;
			char a[32], b[32];

			for (int t = 0; t < cfg->threads; t++) {
				req += atomic_load(&w[t].live.requests);
				tx += atomic_load(&w[t].live.tx);
				rx += atomic_load(&w[t].live.rx);
			}
			if (o->json_stream) {
				struct cli_json j;

				cli_json_begin(&j, stdout);
				cli_json_str(&j, "type", "interval");
				cli_json_int(&j, "interval", ++k);
				cli_json_double(&j, "t",
						(double)(now - start) / 1e9);
				cli_json_uint(&j, "requests", req - last_req);
				cli_json_double(&j, "requests_per_s",
						(double)(req - last_req) / dt);
				cli_json_uint(&j, "bytes_sent", tx - last_tx);
				cli_json_uint(&j, "bytes_received",
					      rx - last_rx);
				cli_json_double(&j, "sent_bytes_per_s",
						(double)(tx - last_tx) / dt);
				cli_json_double(&j, "received_bytes_per_s",
						(double)(rx - last_rx) / dt);
				cli_json_end(&j);
			} else if (cfg->mode == BENCH_THROUGHPUT) {
				fprintf(stderr,
					"\r%6.1f s  sent %sbit/s  received "
					"%sbit/s   ",
					(double)(now - start) / 1e9,
					bench_human(
						8.0 * (double)(tx - last_tx) /
							dt,
						a, sizeof(a)),
					bench_human(
						8.0 * (double)(rx - last_rx) /
							dt,
						b, sizeof(b)));
			} else {
				fprintf(stderr, "\r%6.1f s  %s requests/s   ",
					(double)(now - start) / 1e9,
					bench_human((double)(req - last_req) /
							    dt,
						    a, sizeof(a)));
			}
			last_req = req;
			last_tx = tx;
			last_rx = rx;
			last_t = now;
			next += cfg->interval_ms * 1000000;
		}
	}
	if (tty)
		fprintf(stderr, "\r%60s\r", "");
	return stop;
}

static int
fail_with(struct skit_err *e, const char *hint)
{
	int rc = cli_report(e);

	if (hint)
		cli_hint("%s", hint);
	return rc;
}

int
cmd_bench(int argc, char **argv)
{
	struct bench_cfg cfg = { .mode = BENCH_RR,
				 .dir = BENCH_SEND,
				 .threads = 1,
				 .interval_ms = 1000 };
	struct bench_opts o = { 0 };
	struct bench_worker *w = NULL;
	struct bench_sum s = { 0 };
	struct skit_err err;
	char text[SKIT_ADDR_TEXT_MAX + 32];
	const char *arg;
	int argi, rc, r;
	bool interrupted;
	struct cli_tls tls = { 0 };

	rc = parse_opts(argc, argv, &cfg, &o, &argi);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (argi != argc - 1) {
		cli_errorf("bench: expected one ADDRESS");
		fprintf(stderr, "usage: %s\n", bench_help.synopsis);
		return CLI_EXIT_USAGE;
	}
	arg = argv[argi];
	if (arg[0] && strspn(arg, "0123456789") == strlen(arg)) {
		snprintf(text, sizeof(text), "tcp:127.0.0.1:%s", arg);
		arg = text;
	}
	skit_err_clear(&err);
	if (skit_addr_parse(arg, SKIT_ROLE_CONNECT, &cfg.addr, &err) < 0)
		return cli_report(&err);
	if (cfg.addr.role == SKIT_ROLE_LISTEN ||
	    !skit_kind_is_socket(cfg.addr.kind) ||
	    cfg.addr.kind > SKIT_KIND_VSOCK) {
		cli_errorf("bench: '%s': needs a tcp, udp, unix, unix-dgram, "
			   "unix-seqpacket or vsock address to connect to",
			   arg);
		return CLI_EXIT_USAGE;
	}
	if (skit_addr_set_role(&cfg.addr, SKIT_ROLE_CONNECT, &err) < 0 ||
	    skit_addr_check(&cfg.addr, bench_addr_opts, "skit bench", &err) < 0)
		return cli_report(&err);
	cfg.type = cfg.addr.type;
	rc = settle(&cfg, &o);
	if (rc)
		return rc;
	rc = cli_tls_setup(&cfg.addr, false, &tls);
	if (rc)
		return rc;
	cfg.tls = tls.ctx ? &tls.lc : NULL;
	if (cfg.addr.kind == SKIT_KIND_TCP &&
	    !skit_addr_has(&cfg.addr, SKIT_OPT_NODELAY)) {
		(void)skit_addr_set_flag(&cfg.addr, SKIT_OPT_NODELAY, true,
					 NULL);
	}
	r = skit_resolve(&cfg.addr, 0, NULL, &cfg.res, &err);
	if (r < 0) {
		cli_tls_free(&tls);
		return cli_report(&err);
	}
	skit_sockaddr_str(&cfg.res.v[0], cfg.where, sizeof(cfg.where));
	if (cfg.type == 0)
		cfg.type = cfg.res.v[0].type;
	raise_nofile();
	rc = CLI_EXIT_FAIL;
	cfg.stopfd = skit_eventfd();
	w = calloc((size_t)cfg.threads, sizeof(*w));
	if (cfg.stopfd < 0 || !w || skit_hist_new(&s.hist) < 0) {
		cli_errorf("bench: out of memory");
		goto out;
	}
	/* A stop signal ends the run with the results so far. */
	r = cli_stop_watch();
	if (r == 0)
		r = bench_start(&cfg, w);
	if (r < 0) {
		cli_errorf("bench: cannot start: %s", skit_strerror(r));
		goto out;
	}
	interrupted = watch(&cfg, w, &o);
	bench_join(&cfg, w);
	bench_sum_up(&cfg, w, &s);
	for (int t = 0; t < cfg.threads; t++) {
		if (!w[t].err)
			continue;
		if (w[t].err == SKIT_EFULL)
			rc = cli_report_full("bench", cfg.where, cfg.timeout_ms,
					     "--timeout");
		else if (w[t].err == -ECONNREFUSED || w[t].err == -ENOENT)
			rc = fail_with(&w[t].errrec,
				       "is the server running? start one with "
				       "'skit echo ADDRESS'");
		else if (w[t].err == SKIT_EPROTO || w[t].err == SKIT_ENOREPLY)
			rc = fail_with(&w[t].errrec,
				       "skit bench needs an echo server "
				       "(discard or source for --mode "
				       "throughput)");
		else if ((w[t].err == SKIT_ETRUNC || w[t].err == -ECONNRESET) &&
			 !cfg.sockperf && cfg.mode != BENCH_THROUGHPUT)
			rc = fail_with(
				&w[t].errrec,
				"a sockperf server hangs up on plain "
				"requests: if it is one, add --sockperf");
		else
			rc = fail_with(&w[t].errrec, NULL);
		goto out;
	}
	if (cfg.mode == BENCH_CONNS && !s.conn_ok) {
		for (int t = 0; t < cfg.threads; t++)
			if (w[t].conn_err) {
				rc = cli_report(&w[t].conn_errrec);
				goto out;
			}
	}
	if (cfg.type == SOCK_DGRAM && cfg.mode != BENCH_THROUGHPUT &&
	    cfg.mode != BENCH_CONNS && !s.requests && s.lost) {
		skit_err_setf(&err, SKIT_ENOREPLY, "bench", cfg.where, 0,
			      "no reply to any of %llu requests",
			      (unsigned long long)s.lost);
		rc = fail_with(&err, "is it an echo server?");
		goto out;
	}
	if (o.json || o.json_stream)
		bench_print_json(&cfg, w, &s, o.json_stream);
	else
		bench_print_text(&cfg, w, &s);
	rc = CLI_EXIT_OK; /* interrupted or not: the results so far */
	(void)interrupted;
	if (cfg.mode == BENCH_CONNS && (s.conn_fail || s.closed))
		rc = CLI_EXIT_FAIL;
out:
	if (w)
		bench_free(&cfg, w);
	free(w);
	skit_hist_free(s.hist);
	skit_resolved_free(&cfg.res);
	cli_tls_free(&tls);
	skit_close(cfg.stopfd);
	return rc;
}
