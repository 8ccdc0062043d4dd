/*
 * bench.c - the load generator's API (skit/bench.h): set up the
 * workers, run them, watch them from the caller's thread (samples, the
 * fast path's watchdog, the stop fd) and add up the outcome. The
 * connections themselves are in bench_run.c (loop) and bench_fast.c
 * (blocking).
 */
#include "engine/bench_int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "skit/io.h"

#define WATCH_NS (20 * 1000000) /* the watch loop's period */

static const char *const mode_names[] = { "throughput", "rr", "crr", "conns" };

const char *
skit_bench_mode_name(enum skit_bench_mode m)
{
	return (unsigned)m < 4 ? mode_names[m] : "?";
}

int
skit_bench_mode_parse(const char *s, enum skit_bench_mode *m)
{
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(s, mode_names[i])) {
			*m = (enum skit_bench_mode)i;
			return 0;
		}
	return -EINVAL;
}

static void
fill_payload(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + i % 26);
}

/* The i-th of n shares of total (the first total % n get one more). */
static uint64_t
share(uint64_t total, uint64_t n, uint64_t i)
{
	return total / n + (i < total % n);
}

static bool
cfg_ok(const struct skit_bench_cfg *c)
{
	if ((unsigned)c->mode > SKIT_BENCH_CONNS || c->threads < 1 ||
	    c->size < 0 || c->size > 16 * 1024 * 1024 || c->timeout_ms < 0 ||
	    c->requests < 0 || c->bytes < 0 || c->duration_ms < 0 ||
	    c->warmup_ms < 0 || c->interval_ms < 0 || c->pipeline < 0 ||
	    c->pipeline > SKIT_BENCH_PIPELINE_MAX ||
	    (c->pipeline > 1 && c->mode != SKIT_BENCH_RR))
		return false;
	if (c->mode == SKIT_BENCH_CONNS)
		return c->nconns >= 1;
	return c->conc >= 1 && c->size >= 1;
}

/* Split the connections over the threads and allocate each worker. */
static int
workers_new(struct skit_bench *b)
{
	const struct skit_bench_cfg *cfg = &b->cfg;
	int64_t total = cfg->mode == SKIT_BENCH_CONNS ? cfg->nconns : cfg->conc;
	int first = 0, r;

	b->w = calloc((size_t)cfg->threads, sizeof(*b->w));
	if (!b->w)
		return -ENOMEM;
	for (int t = 0; t < cfg->threads; t++) {
		struct bench_worker *x = &b->w[t];
		int n = (int)share((uint64_t)total, (uint64_t)cfg->threads,
				   (uint64_t)t);

		x->id = t;
		x->b = b;
		x->cfg = cfg;
		x->nconn = n;
		x->first = first;
		if (cfg->requests)
			x->quota = share((uint64_t)cfg->requests,
					 (uint64_t)cfg->threads, (uint64_t)t);
		if (cfg->mode == SKIT_BENCH_THROUGHPUT && cfg->bytes)
			x->quota = share((uint64_t)cfg->bytes,
					 (uint64_t)cfg->threads, (uint64_t)t);
		/* One connection on the thread: blocking calls (rr, and
		 * crr over streams; a crr datagram "connection" is rr). */
		x->fast = n == 1 && !cfg->layer && cfg->pipeline <= 1 &&
			  (cfg->mode == SKIT_BENCH_RR ||
			   (cfg->mode == SKIT_BENCH_CRR &&
			    b->type != SOCK_DGRAM));
		x->fast_fd = -1;
		pthread_mutex_init(&x->fdlock, NULL);
		x->bufsz = (size_t)(cfg->size > 65536 ? cfg->size : 65536);
		if (x->bufsz < 262144 && b->type != SOCK_STREAM)
			x->bufsz = 262144;
		x->sbuf = malloc(x->bufsz);
		x->rbuf = malloc(x->bufsz);
		x->conns = calloc((size_t)(n ? n : 1), sizeof(*x->conns));
		r = skit_hist_new(&x->hist);
		if (r == 0 && !x->fast)
			r = skit_loop_new(SKIT_LOOP_AUTO, &x->loop);
		if (r < 0 || !x->sbuf || !x->rbuf || !x->conns)
			return r < 0 ? r : -ENOMEM;
		fill_payload(x->sbuf, x->bufsz);
		for (int i = 0; i < n; i++) {
			x->conns[i].w = x;
			x->conns[i].fd = -1;
			x->conns[i].idx = first + i;
			if (cfg->pipeline > 1 &&
			    (r = bench_pipe_new(&x->conns[i])) < 0)
				return r;
		}
		first += n;
	}
	return 0;
}

int
skit_bench_new(const struct skit_addr *a, const struct skit_bench_cfg *cfg,
	       struct skit_bench **out, struct skit_err *err)
{
	struct skit_bench *b;
	int64_t units;
	int r;

	*out = NULL;
	skit_err_clear(err);
	if (!skit_kind_is_socket(a->kind) || a->kind > SKIT_KIND_VSOCK)
		return skit_err_set(err, SKIT_EKIND, "bench", a->host);
	if (!cfg_ok(cfg))
		return skit_err_set(err, -EINVAL, "bench", a->host);
	b = calloc(1, sizeof(*b));
	if (!b)
		return skit_err_set(err, -ENOMEM, "bench", a->host);
	b->stopfd = -1;
	b->cfg = *cfg;
	if (!b->cfg.dir)
		b->cfg.dir = SKIT_BENCH_SEND;
	units = cfg->mode == SKIT_BENCH_CONNS ? cfg->nconns : cfg->conc;
	if (b->cfg.threads > units)
		b->cfg.threads = (int)units;
	if (cfg->requests && b->cfg.threads > cfg->requests)
		b->cfg.threads = (int)cfg->requests;
	b->addr = *a;
	/*
	 * rr, crr, conns measure latency: no Nagle unless asked for.
	 * Throughput keeps it, as iperf3 does: with TCP_NODELAY each write's
	 * tail (1 MiB is 16 full segments and 848 bytes on loopback) leaves
	 * as a segment of its own, 6% more segments to carry.
	 */
	if (a->kind == SKIT_KIND_TCP && cfg->mode != SKIT_BENCH_THROUGHPUT &&
	    !skit_addr_has(a, SKIT_OPT_NODELAY))
		(void)skit_addr_set_flag(&b->addr, SKIT_OPT_NODELAY, true,
					 NULL);
	r = skit_resolve(&b->addr, 0, NULL, &b->res, err);
	if (r < 0)
		goto fail;
	skit_sockaddr_str(&b->res.v[0], b->where, sizeof(b->where));
	b->type = b->addr.type ? b->addr.type : b->res.v[0].type;
	if ((cfg->mode == SKIT_BENCH_THROUGHPUT && b->type != SOCK_STREAM &&
	     (b->type != SOCK_DGRAM || cfg->size < SKIT_BENCH_UDP_HDR ||
	      cfg->bytes || cfg->bitrate < 0)) ||
	    (cfg->layer && b->type != SOCK_STREAM) ||
	    (cfg->pipeline > 1 && b->type == SOCK_DGRAM)) {
		r = skit_err_set(err, -EINVAL, "bench", b->where);
		goto fail;
	}
	b->nconn = cfg->mode == SKIT_BENCH_CONNS ? 0 : cfg->conc;
	b->stopfd = skit_eventfd();
	b->snap = calloc((size_t)b->nconn + 1, sizeof(*b->snap));
	r = b->stopfd < 0 ? b->stopfd : skit_hist_new(&b->hist);
	if (r == 0 && !b->snap)
		r = -ENOMEM;
	if (r == 0)
		r = workers_new(b);
	if (r < 0) {
		skit_err_set(err, r, "bench", b->where);
		goto fail;
	}
	*out = b;
	return 0;
fail:
	skit_bench_free(b);
	return r;
}

const char *
skit_bench_where(const struct skit_bench *b)
{
	return b->where;
}

int
skit_bench_type(const struct skit_bench *b)
{
	return b->type;
}

void
skit_bench_stop(struct skit_bench *b)
{
	for (int t = 0; t < b->cfg.threads; t++) {
		struct bench_worker *x = &b->w[t];

		atomic_store(&x->abort, true);
		if (!x->fast)
			continue;
		pthread_mutex_lock(&x->fdlock);
		if (x->fast_fd >= 0)
			skit_shutdown(x->fast_fd, SHUT_RDWR);
		pthread_mutex_unlock(&x->fdlock);
	}
	(void)skit_eventfd_signal(b->stopfd);
}

/* Every connection's counters into b->snap; the sum into *total. */
static void
snapshot(struct skit_bench *b, struct skit_bench_counts *total)
{
	memset(total, 0, sizeof(*total));
	for (int t = 0; t < b->cfg.threads && b->nconn; t++) {
		struct bench_worker *x = &b->w[t];

		for (int i = 0; i < x->nconn; i++) {
			const struct bench_ctrs *c = &x->conns[i].ctr;
			struct skit_bench_counts *s = &b->snap[x->first + i];

			s->requests = bench_get(&c->requests);
			s->tx = bench_get(&c->tx);
			s->rx = bench_get(&c->rx);
			s->lost = bench_get(&c->lost);
			total->requests += s->requests;
			total->tx += s->tx;
			total->rx += s->rx;
			total->lost += s->lost;
		}
	}
}

static void
sample(struct skit_bench *b, int index, int64_t start, int64_t *last)
{
	struct skit_bench_sample s = { .index = index };
	int64_t now = skit_now_ns();

	snapshot(b, &s.total);
	s.t_ns = now - start;
	s.dt_ns = now - *last;
	s.counting = true;
	for (int t = 0; t < b->cfg.threads; t++) {
		if (!atomic_load(&b->w[t].counting))
			s.counting = false;
		s.opened += bench_get(&b->w[t].conn_ok);
	}
	s.nconn = b->nconn;
	s.conn = b->snap;
	*last = now;
	b->cfg.on_sample(&s, b->cfg.data);
}

/* Until every worker is done: watchdog, samples, the caller's stop fd.
 * Returns true when stopped. */
static bool
watch(struct skit_bench *b, int stopfd)
{
	int64_t iv = b->cfg.interval_ms * 1000000;
	int64_t start = skit_now_ns(), next = start + iv, last = start;
	bool stop = false;
	int k = 0;

	for (;;) {
		/* A stop fd stays readable: watched until it fired. */
		struct pollfd pfd = { .fd = stop ? -1 : stopfd,
				      .events = POLLIN };
		int fin = 0;

		for (int t = 0; t < b->cfg.threads; t++)
			fin += atomic_load(&b->w[t].finished);
		if (fin == b->cfg.threads)
			break;
		bench_watchdog(b);
		if (skit_poll(&pfd, 1, WATCH_NS) > 0 && !stop) {
			skit_bench_stop(b);
			stop = true;
		}
		if (!b->cfg.on_sample || !iv || skit_now_ns() < next)
			continue;
		sample(b, ++k, start, &last);
		next += iv;
	}
	return stop;
}

/* Add up the workers' outcome into b->res_out. */
static void
sum_up(struct skit_bench *b)
{
	struct skit_bench_result *s = &b->res_out;
	int64_t t0 = 0, t1 = 0, setup = 0;

	snapshot(b, &s->total);
	for (int t = 0; t < b->cfg.threads; t++) {
		struct bench_worker *x = &b->w[t];

		s->conn_ok += bench_get(&x->conn_ok);
		s->conn_fail += bench_get(&x->conn_fail);
		s->late += x->late;
		s->breaks += x->breaks;
		s->served += x->served;
		s->closed += x->closed;
		s->held += x->open_now;
		if (!t0 || x->t_count < t0)
			t0 = x->t_count;
		if (x->t_end > t1)
			t1 = x->t_end;
		if (x->setup_ns > setup)
			setup = x->setup_ns;
		skit_hist_merge(b->hist, x->hist);
		if (x->err && !s->code) {
			s->code = x->err;
			s->err = x->errrec;
		}
		if (x->conn_err && !s->conn_code) {
			s->conn_code = x->conn_err;
			s->conn_err = x->conn_errrec;
		}
		if (x->have_tls && !s->have_tls) {
			s->have_tls = true;
			s->tls = x->tls_info;
		}
	}
	s->secs = t1 > t0 ? (double)(t1 - t0) / 1e9 : 0.0;
	s->setup_secs = (double)setup / 1e9;
	if (b->cfg.mode == SKIT_BENCH_THROUGHPUT && b->type == SOCK_DGRAM) {
		bench_udp_sum(b, &s->udp);
		s->total.lost = s->udp.lost;
	}
	s->hist = b->hist;
	s->nconn = b->nconn;
	s->conn = b->snap;
}

int
skit_bench_run(struct skit_bench *b, int stopfd, struct skit_err *err)
{
	sigset_t all, old;
	int r = 0, t;

	skit_err_clear(err);
	if (b->started)
		return skit_err_set(err, -EINVAL, "bench", b->where);
	b->started = true;
	/* The workers take no signals: the caller's thread does. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (t = 0; t < b->cfg.threads; t++) {
		r = pthread_create(&b->w[t].tid, NULL, bench_worker_main,
				   &b->w[t]);
		if (r != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		/* Stop the ones started. */
		skit_bench_stop(b);
		for (int k = 0; k < t; k++)
			pthread_join(b->w[k].tid, NULL);
		return skit_err_set(err, -r, "bench", b->where);
	}
	b->res_out.stopped = watch(b, stopfd);
	for (t = 0; t < b->cfg.threads; t++)
		pthread_join(b->w[t].tid, NULL);
	sum_up(b);
	return 0;
}

const struct skit_bench_result *
skit_bench_result(const struct skit_bench *b)
{
	return &b->res_out;
}

void
skit_bench_free(struct skit_bench *b)
{
	if (!b)
		return;
	for (int t = 0; b->w && t < b->cfg.threads; t++) {
		struct bench_worker *x = &b->w[t];

		skit_loop_free(x->loop);
		skit_hist_free(x->hist);
		free(x->sbuf);
		free(x->rbuf);
		for (int i = 0; x->conns && i < x->nconn; i++) {
			free(x->conns[i].udp);
			bench_pipe_free(&x->conns[i]);
		}
		free(x->conns);
		if (x->b)
			pthread_mutex_destroy(&x->fdlock);
	}
	free(b->w);
	free(b->snap);
	skit_hist_free(b->hist);
	skit_resolved_free(&b->res);
	if (b->stopfd >= 0)
		skit_close(b->stopfd);
	free(b);
}
