/*
 * test_bench.c - the load generator (skit/bench.h) against an echo
 * server on a thread of the test (skit_echo on its own loop, abstract
 * unix sockets): rr on the fast path and the loop, crr, counting with
 * requests after a warm-up, samples, stop handling (the caller's stop
 * fd and skit_bench_stop, during a run and during a connect that
 * waits), a dead server, the checks of the configuration, and TLS on
 * both ends (a layer: the echo's and the bench's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "skit/bench.h"
#include "skit/echo.h"
#include "skit/io.h"
#include "skit/loop.h"
#include "skit/sock.h"
#include "skit/tls.h"

struct server {
	struct skit_loop *loop;
	struct skit_echo *e;
	int lfd, stopfd;
	pthread_t tid;
	char addr[96];
	struct skit_echo_stats st;
};

static void
on_server_stop(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	(void)fd;
	(void)ev;
	(void)data;
	skit_loop_stop(loop);
}

static void *
server_main(void *arg)
{
	struct server *s = arg;

	while (skit_loop_run(s->loop) > 0)
		;
	skit_echo_stats(s->e, &s->st);
	return NULL;
}

/* An echo server on kind:@name, answering from its own thread, with a
 * layer on every connection (tls) when layer is set. */
static void
server_start_layer(struct server *s, const char *kind, const char *tag,
		   const struct skit_layer_ops *layer, const void *layer_cfg)
{
	struct skit_echo_cfg cfg = { .mode = SKIT_ECHO_ECHO,
				     .layer = layer,
				     .layer_cfg = layer_cfg };
	struct skit_addr a;

	snprintf(s->addr, sizeof(s->addr), "%s:@skit-test-bench-%d-%s", kind,
		 (int)getpid(), tag);
	assert_int_equal(skit_addr_parse(s->addr, SKIT_ROLE_LISTEN, &a, NULL),
			 0);
	s->lfd = skit_open(&a, SKIT_ROLE_LISTEN, SKIT_OPEN_NONBLOCK, NULL, NULL,
			   NULL, NULL);
	assert_true(s->lfd >= 0);
	cfg.type = a.type;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &s->loop), 0);
	assert_int_equal(skit_echo_new(s->loop, s->lfd, &cfg, &s->e), 0);
	s->stopfd = skit_eventfd();
	assert_true(s->stopfd >= 0);
	assert_int_equal(skit_loop_add(s->loop, s->stopfd, SKIT_EV_READ,
				       on_server_stop, s),
			 0);
	assert_int_equal(pthread_create(&s->tid, NULL, server_main, s), 0);
}

static void
server_start(struct server *s, const char *kind, const char *tag)
{
	server_start_layer(s, kind, tag, NULL, NULL);
}

static void
server_stop(struct server *s)
{
	skit_eventfd_signal(s->stopfd);
	pthread_join(s->tid, NULL);
	skit_echo_free(s->e);
	skit_loop_free(s->loop);
	skit_close(s->lfd);
	skit_close(s->stopfd);
}

/* Run cfg against text; returns the bench (free it). */
static struct skit_bench *
run(const char *text, const struct skit_bench_cfg *cfg, int stopfd)
{
	struct skit_bench *b = NULL;
	struct skit_addr a;
	struct skit_err err;

	assert_int_equal(skit_addr_parse(text, SKIT_ROLE_CONNECT, &a, NULL), 0);
	assert_int_equal(skit_bench_new(&a, cfg, &b, &err), 0);
	assert_int_equal(skit_bench_run(b, stopfd, &err), 0);
	return b;
}

static struct skit_bench_cfg
rr_cfg(enum skit_bench_mode mode, int conc, int threads, int64_t requests)
{
	struct skit_bench_cfg c = {
		.mode = mode,
		.threads = threads,
		.conc = conc,
		.size = 64,
		.requests = requests,
		.timeout_ms = 5000,
	};
	return c;
}

/* rr by count: exactly that many requests, each one in the histogram,
 * on the fast path (one connection a thread) and on the loop. */
static void
test_rr_requests(void **state)
{
	static const int conc[] = { 1, 3, 4 }, threads[] = { 1, 1, 2 };
	struct server s;

	(void)state;
	server_start(&s, "unix", "rr");
	for (int i = 0; i < 3; i++) {
		struct skit_bench_cfg cfg =
			rr_cfg(SKIT_BENCH_RR, conc[i], threads[i], 500);
		struct skit_bench *b = run(s.addr, &cfg, -1);
		const struct skit_bench_result *r = skit_bench_result(b);

		assert_int_equal(r->code, 0);
		assert_int_equal(r->total.requests, 500);
		assert_int_equal(r->total.tx, 500 * 64);
		assert_int_equal(r->total.rx, 500 * 64);
		assert_int_equal(skit_hist_count(r->hist), 500);
		assert_int_equal(r->conn_ok, (uint64_t)conc[i]);
		assert_int_equal(r->nconn, conc[i]);
		{
			uint64_t sum = 0;

			for (int k = 0; k < r->nconn; k++)
				sum += r->conn[k].requests;
			assert_int_equal(sum, 500);
		}
		assert_false(r->stopped);
		assert_true(r->secs > 0);
		skit_bench_free(b);
	}
	server_stop(&s);
	assert_int_equal(s.st.bytes_in, 3 * 500 * 64);
}

/*
 * rr with a window (pipeline): exactly the requests asked for, each in
 * the histogram, over a stream and over seqpacket, one thread or two;
 * the server saw exactly those bytes (no request beyond the count).
 */
static void
test_rr_pipeline(void **state)
{
	static const char *const kinds[] = { "unix", "unix-seqpacket" };
	static const int depth[] = { 2, 16 }, threads[] = { 1, 2 };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct server s;

		server_start(&s, kinds[k], "pipe");
		for (int i = 0; i < 2; i++) {
			struct skit_bench_cfg cfg =
				rr_cfg(SKIT_BENCH_RR, 3, threads[i], 1001);
			struct skit_bench *b;
			const struct skit_bench_result *r;
			uint64_t sum = 0;

			cfg.pipeline = depth[i];
			b = run(s.addr, &cfg, -1);
			r = skit_bench_result(b);
			assert_int_equal(r->code, 0);
			assert_int_equal(r->total.requests, 1001);
			assert_int_equal(r->total.rx, 1001 * 64);
			assert_int_equal(skit_hist_count(r->hist), 1001);
			for (int c = 0; c < r->nconn; c++)
				sum += r->conn[c].requests;
			assert_int_equal(sum, 1001);
			skit_bench_free(b);
		}
		server_stop(&s);
		assert_int_equal(s.st.bytes_in, 2 * 1001 * 64);
	}
}

/* crr: one connection per request, exactly as many as asked for, also
 * with several connections dialling at once. */
static void
test_crr_requests(void **state)
{
	struct server s;

	(void)state;
	server_start(&s, "unix", "crr");
	/* One connection: the blocking fast path; three: the loop. */
	for (int c = 1; c <= 3; c += 2) {
		struct skit_bench_cfg cfg = rr_cfg(SKIT_BENCH_CRR, c, 1, 200);
		struct skit_bench *b = run(s.addr, &cfg, -1);
		const struct skit_bench_result *r = skit_bench_result(b);

		assert_int_equal(r->code, 0);
		assert_int_equal(r->total.requests, 200);
		assert_int_equal(r->conn_ok, 200);
		assert_int_equal(skit_hist_count(r->hist), 200);
		skit_bench_free(b);
	}
	server_stop(&s);
	assert_int_equal(s.st.conns, 400);
}

/* A warm-up is run but not counted: with requests, exactly that many
 * are counted after it, while the server saw more. */
static void
test_warmup_then_requests(void **state)
{
	struct server s;

	(void)state;
	server_start(&s, "unix", "warm");
	for (int c = 1; c <= 2; c++) {
		struct skit_bench_cfg cfg = rr_cfg(SKIT_BENCH_RR, c, 1, 300);
		struct skit_bench *b;
		const struct skit_bench_result *r;

		cfg.warmup_ms = 50;
		b = run(s.addr, &cfg, -1);
		r = skit_bench_result(b);
		assert_int_equal(r->code, 0);
		assert_int_equal(r->total.requests, 300);
		assert_int_equal(skit_hist_count(r->hist), 300);
		skit_bench_free(b);
	}
	server_stop(&s);
	assert_true(s.st.bytes_in > 2 * 300 * 64);
}

struct samples {
	int n;
	int64_t last_t;
	uint64_t last_req;
	int nconn;
	bool monotonic;
};

static void
on_sample(const struct skit_bench_sample *sm, void *data)
{
	struct samples *x = data;

	x->n++;
	if (sm->index != x->n || sm->t_ns <= x->last_t ||
	    sm->total.requests < x->last_req || sm->dt_ns <= 0)
		x->monotonic = false;
	x->last_t = sm->t_ns;
	x->last_req = sm->total.requests;
	x->nconn = sm->nconn;
}

/* Samples come every interval from the caller's thread, cumulative. */
static void
test_samples(void **state)
{
	struct server s;
	struct samples x = { .monotonic = true };
	struct skit_bench_cfg cfg = rr_cfg(SKIT_BENCH_RR, 2, 1, 0);
	struct skit_bench *b;
	const struct skit_bench_result *r;

	(void)state;
	server_start(&s, "unix", "smp");
	cfg.duration_ms = 300;
	cfg.interval_ms = 50;
	cfg.on_sample = on_sample;
	cfg.data = &x;
	b = run(s.addr, &cfg, -1);
	r = skit_bench_result(b);
	assert_int_equal(r->code, 0);
	assert_true(x.n >= 3);
	assert_true(x.monotonic);
	assert_int_equal(x.nconn, 2);
	assert_true(x.last_req <= r->total.requests);
	skit_bench_free(b);
	server_stop(&s);
}

struct stopper {
	int fd;
	struct skit_bench *b; /* skit_bench_stop when set, else the fd */
};

static void *
stopper_main(void *arg)
{
	struct stopper *st = arg;

	usleep(100 * 1000);
	if (st->b)
		skit_bench_stop(st->b);
	else
		skit_eventfd_signal(st->fd);
	return NULL;
}

/* A stop ends a long run at once with what was counted so far: the
 * stop fd and skit_bench_stop, on the fast path and the loop. */
static void
test_stop(void **state)
{
	struct server s;

	(void)state;
	server_start(&s, "unix", "stop");
	for (int i = 0; i < 4; i++) {
		struct skit_bench_cfg cfg =
			rr_cfg(SKIT_BENCH_RR, 1 + i % 2, 1, 0);
		struct stopper st = { .fd = skit_eventfd() };
		struct skit_bench *b = NULL;
		struct skit_addr a;
		struct skit_err err;
		const struct skit_bench_result *r;
		pthread_t tid;
		int64_t t0 = skit_now_ns();

		cfg.duration_ms = 60000;
		cfg.warmup_ms = 0;
		assert_int_equal(
			skit_addr_parse(s.addr, SKIT_ROLE_CONNECT, &a, NULL),
			0);
		assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), 0);
		if (i >= 2)
			st.b = b;
		pthread_create(&tid, NULL, stopper_main, &st);
		assert_int_equal(skit_bench_run(b, st.fd, &err), 0);
		pthread_join(tid, NULL);
		r = skit_bench_result(b);
		/* Generous: it must end, not take a minute. */
		assert_true(skit_now_ns() - t0 < 10 * 1000000000LL);
		assert_true(r->stopped || i >= 2);
		assert_int_equal(r->code, 0);
		assert_true(r->total.requests > 0);
		assert_int_equal(skit_hist_count(r->hist), r->total.requests);
		skit_bench_free(b);
		skit_close(st.fd);
	}
	server_stop(&s);
}

/* A stop also ends connects that wait: a listener nobody accepts from
 * with a full backlog (unix stream: the dial retries on EAGAIN). */
static void
test_stop_while_connecting(void **state)
{
	char text[96];
	struct skit_addr a;
	int lfd, fill[8], nfill = 0;

	(void)state;
	snprintf(text, sizeof(text),
		 "unix-listen:@skit-test-bench-%d-full,backlog=1",
		 (int)getpid());
	assert_int_equal(skit_addr_parse(text, SKIT_ROLE_LISTEN, &a, NULL), 0);
	lfd = skit_open(&a, SKIT_ROLE_LISTEN, SKIT_OPEN_NONBLOCK, NULL, NULL,
			NULL, NULL);
	assert_true(lfd >= 0);
	snprintf(text, sizeof(text), "unix:@skit-test-bench-%d-full",
		 (int)getpid());
	assert_int_equal(skit_addr_parse(text, SKIT_ROLE_CONNECT, &a, NULL), 0);
	/* Fill the backlog: nonblocking connects until one finds it full. */
	for (int i = 0; i < 8; i++) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		socklen_t len;

		assert_true(fd >= 0);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  (size_t)snprintf(un.sun_path + 1,
						   sizeof(un.sun_path) - 1,
						   "skit-test-bench-%d-full",
						   (int)getpid()));
		if (connect(fd, (struct sockaddr *)&un, len) < 0) {
			assert_int_equal(errno, EAGAIN);
			close(fd);
			break;
		}
		fill[nfill++] = fd;
	}
	assert_true(nfill < 8);
	/* rr on the fast path and the loop, crr on the fast path. */
	for (int k = 0; k < 3; k++) {
		struct skit_bench_cfg cfg =
			rr_cfg(k < 2 ? SKIT_BENCH_RR : SKIT_BENCH_CRR,
			       k == 1 ? 2 : 1, 1, 0);
		struct stopper st = { .fd = skit_eventfd() };
		struct skit_bench *b = NULL;
		struct skit_err err;
		pthread_t tid;
		int64_t t0 = skit_now_ns();

		cfg.duration_ms = 60000;
		cfg.timeout_ms = 60000;
		assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), 0);
		pthread_create(&tid, NULL, stopper_main, &st);
		assert_int_equal(skit_bench_run(b, st.fd, &err), 0);
		pthread_join(tid, NULL);
		assert_true(skit_now_ns() - t0 < 10 * 1000000000LL);
		assert_true(skit_bench_result(b)->stopped);
		assert_int_equal(skit_bench_result(b)->total.requests, 0);
		skit_bench_free(b);
		skit_close(st.fd);
	}
	for (int i = 0; i < nfill; i++)
		skit_close(fill[i]);
	skit_close(lfd);
}

/* Nothing listens: the connect error is the run's, on every path. */
static void
test_dead_server(void **state)
{
	static const enum skit_bench_mode modes[] = { SKIT_BENCH_RR,
						      SKIT_BENCH_RR,
						      SKIT_BENCH_CRR,
						      SKIT_BENCH_THROUGHPUT };
	char text[96];

	(void)state;
	snprintf(text, sizeof(text), "unix:@skit-test-bench-%d-none",
		 (int)getpid());
	for (int i = 0; i < 4; i++) {
		struct skit_bench_cfg cfg =
			rr_cfg(modes[i], 1 + (i == 1), 1,
			       modes[i] == SKIT_BENCH_THROUGHPUT ? 0 : 10);
		struct skit_bench *b = run(text, &cfg, -1);
		const struct skit_bench_result *r = skit_bench_result(b);

		assert_int_equal(r->code, -ECONNREFUSED);
		assert_string_equal(r->err.op, "connect");
		assert_true(r->conn_fail >= 1);
		assert_int_equal(r->conn_ok, 0);
		skit_bench_free(b);
	}
}

/*
 * TLS on every connection: the echo server's layer, the bench's. crr
 * counts a connection once its handshake is done (on the loop, and in
 * the blocking dial of conns); a certificate that does not verify is
 * the run's error, with the layer's reason; no layer over datagrams.
 */
static void
test_tls_layer(void **state)
{
	struct skit_tls_opts so = { .server = true };
	struct skit_tls_opts co = { .insecure = true };
	struct skit_tls_opts vo = { 0 }; /* the system store: no */
	struct skit_tls_ctx *sctx, *cctx, *vctx;
	struct skit_tls_layer_cfg slc = { 0 }, clc = { .host = "localhost" },
				  vlc = { .host = "localhost" };
	struct skit_bench_cfg cfg;
	struct skit_bench *b;
	const struct skit_bench_result *r;
	struct skit_addr a;
	struct skit_err err;
	struct server s;

	(void)state;
	assert_int_equal(skit_tls_ctx_new(&so, &sctx, NULL), 0);
	assert_int_equal(skit_tls_ctx_new(&co, &cctx, NULL), 0);
	assert_int_equal(skit_tls_ctx_new(&vo, &vctx, NULL), 0);
	slc.ctx = sctx;
	clc.ctx = cctx;
	vlc.ctx = vctx;
	server_start_layer(&s, "unix", "tls", &skit_layer_tls, &slc);
	for (int c = 1; c <= 3; c += 2) {
		cfg = rr_cfg(SKIT_BENCH_CRR, c, 1, 40);
		cfg.layer = &skit_layer_tls;
		cfg.layer_cfg = &clc;
		b = run(s.addr, &cfg, -1);
		r = skit_bench_result(b);
		assert_int_equal(r->code, 0);
		assert_int_equal(r->total.requests, 40);
		assert_int_equal(r->conn_ok, 40);
		assert_int_equal(r->total.rx, 40 * 64);
		skit_bench_free(b);
	}
	cfg = rr_cfg(SKIT_BENCH_CONNS, 1, 1, 0);
	cfg.nconns = 10;
	cfg.size = 8;
	cfg.duration_ms = 50;
	cfg.layer = &skit_layer_tls;
	cfg.layer_cfg = &clc;
	b = run(s.addr, &cfg, -1);
	r = skit_bench_result(b);
	assert_int_equal(r->code, 0);
	assert_int_equal(r->conn_ok, 10);
	assert_int_equal(r->served, 10);
	skit_bench_free(b);
	cfg = rr_cfg(SKIT_BENCH_CRR, 2, 1, 10);
	cfg.layer = &skit_layer_tls;
	cfg.layer_cfg = &vlc;
	b = run(s.addr, &cfg, -1);
	r = skit_bench_result(b);
	assert_int_equal(r->code, SKIT_ETLSVERIFY);
	assert_int_equal(r->conn_ok, 0);
	assert_true(r->conn_fail >= 1);
	skit_bench_free(b);
	server_stop(&s);
	assert_int_equal(
		skit_addr_parse("udp:127.0.0.1:9", SKIT_ROLE_CONNECT, &a, NULL),
		0);
	cfg = rr_cfg(SKIT_BENCH_RR, 1, 1, 10);
	cfg.layer = &skit_layer_tls;
	cfg.layer_cfg = &clc;
	b = NULL;
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), -EINVAL);
	assert_null(b);
	skit_tls_ctx_free(sctx);
	skit_tls_ctx_free(cctx);
	skit_tls_ctx_free(vctx);
}

/* The configuration is checked; modes have names. */
static void
test_cfg_and_names(void **state)
{
	struct skit_bench_cfg cfg = rr_cfg(SKIT_BENCH_RR, 0, 1, 10);
	struct skit_bench *b = (struct skit_bench *)&cfg;
	enum skit_bench_mode m;
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	assert_int_equal(
		skit_addr_parse("unix:@x", SKIT_ROLE_CONNECT, &a, NULL), 0);
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), -EINVAL);
	assert_null(b);
	/* Throughput over udp needs room for its header; seqpacket has
	 * none. */
	cfg = rr_cfg(SKIT_BENCH_THROUGHPUT, 1, 1, 0);
	cfg.size = SKIT_BENCH_UDP_HDR - 1;
	assert_int_equal(
		skit_addr_parse("udp:127.0.0.1:9", SKIT_ROLE_CONNECT, &a, NULL),
		0);
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), -EINVAL);
	cfg.size = SKIT_BENCH_UDP_HDR;
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), 0);
	skit_bench_free(b);
	assert_int_equal(skit_addr_parse("unix-seqpacket:@x", SKIT_ROLE_CONNECT,
					 &a, NULL),
			 0);
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), -EINVAL);
	/* A window of requests: rr over streams and seqpacket only. */
	cfg = rr_cfg(SKIT_BENCH_RR, 1, 1, 10);
	cfg.pipeline = 4;
	assert_int_equal(
		skit_addr_parse("udp:127.0.0.1:9", SKIT_ROLE_CONNECT, &a, NULL),
		0);
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), -EINVAL);
	assert_int_equal(
		skit_addr_parse("unix-dgram:@x", SKIT_ROLE_CONNECT, &a, NULL),
		0);
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), -EINVAL);
	cfg.mode = SKIT_BENCH_CRR;
	assert_int_equal(
		skit_addr_parse("unix:@x", SKIT_ROLE_CONNECT, &a, NULL), 0);
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), -EINVAL);
	cfg.mode = SKIT_BENCH_RR;
	cfg.pipeline = SKIT_BENCH_PIPELINE_MAX + 1;
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), -EINVAL);
	cfg.pipeline = 4;
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), 0);
	skit_bench_free(b);
	assert_int_equal(skit_addr_parse("-", SKIT_ROLE_CONNECT, &a, NULL), 0);
	assert_int_equal(skit_bench_new(&a, &cfg, &b, &err), SKIT_EKIND);
	assert_string_equal(skit_bench_mode_name(SKIT_BENCH_CRR), "crr");
	assert_int_equal(skit_bench_mode_parse("conns", &m), 0);
	assert_int_equal(m, SKIT_BENCH_CONNS);
	assert_int_equal(skit_bench_mode_parse("x", &m), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr_requests),
		cmocka_unit_test(test_rr_pipeline),
		cmocka_unit_test(test_crr_requests),
		cmocka_unit_test(test_warmup_then_requests),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_stop_while_connecting),
		cmocka_unit_test(test_dead_server),
		cmocka_unit_test(test_cfg_and_names),
		cmocka_unit_test(test_tls_layer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
