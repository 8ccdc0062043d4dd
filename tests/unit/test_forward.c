/*
 * test_forward.c - the forward (skit/forward.h): a stream listener's
 * clients each relayed to a side opened for them, datagram sessions
 * (the first datagram kept while the side opens), a side that cannot
 * open (retried by its retry=, or not when the error is not
 * retryable), once (one client, then the listener closes), max-conns=
 * and range= taken from the address, idle-timeout= as the pairs' idle
 * time, on_ends putting a side under a layer (or refusing the pair),
 * and one pair between two opened sides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>

#include "skit/forward.h"
#include "skit/loop.h"
#include "sockhelp.h"

struct seen {
	int opens, closes, fails, retries, frees,
		events[SKIT_SERVE_EVENT_KINDS];
	int fail_code, fail_side;
	enum skit_relay_reason reason;
	int64_t idle_ms;
};

static void
on_open(struct skit_fwd *f, struct skit_fwd_pair *rec, void *data)
{
	struct seen *w = data;

	(void)f;
	assert_non_null(skit_fwd_pair_relay(rec));
	w->opens++;
}

static void
on_close(struct skit_fwd *f, struct skit_fwd_pair *rec,
	 const struct skit_relay_stats *st, void *data)
{
	struct seen *w = data;

	(void)f;
	(void)rec;
	w->closes++;
	w->reason = st->reason;
	w->idle_ms = st->limit_ms;
}

static void
on_fail(struct skit_fwd *f, struct skit_fwd_pair *rec, int side, int code,
	const struct skit_err *err, void *data)
{
	struct seen *w = data;

	(void)f;
	(void)rec;
	assert_int_equal(err->code, code);
	w->fails++;
	w->fail_code = code;
	w->fail_side = side;
}

static void
on_retry(struct skit_fwd *f, struct skit_fwd_pair *rec, int attempt,
	 int64_t delay_ms, const struct skit_err *why, void *data)
{
	struct seen *w = data;

	(void)f;
	(void)rec;
	(void)delay_ms;
	(void)why;
	w->retries++;
	assert_true(attempt >= 1 && attempt <= 2);
}

static void
on_event(struct skit_fwd *f, const struct skit_serve_event *ev, void *data)
{
	struct seen *w = data;

	(void)f;
	w->events[ev->kind]++;
}

static void
on_free(struct skit_fwd *f, struct skit_fwd_pair *rec, void *data)
{
	struct seen *w = data;

	(void)f;
	(void)rec;
	w->frees++;
}

struct fx {
	struct skit_loop *loop;
	struct skit_fwd *f;
	struct skit_addr a[2];
	struct seen w;
	char port[16];
};

static void
fx_start(struct fx *x, const char *a, const char *b, int lside, bool once)
{
	struct skit_fwd_cfg cfg = {
		.lside = lside,
		.once = once,
		.on_open = on_open,
		.on_close = on_close,
		.on_fail = on_fail,
		.on_retry = on_retry,
		.on_event = on_event,
		.on_free = on_free,
	};
	struct skit_err err;
	const struct skit_sockaddr *l;

	memset(&x->w, 0, sizeof(x->w));
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &x->loop), 0);
	th_parse(a, SKIT_ROLE_CONNECT, &x->a[0]);
	th_parse(b, SKIT_ROLE_CONNECT, &x->a[1]);
	cfg.addr[0] = &x->a[0];
	cfg.addr[1] = &x->a[1];
	cfg.data = &x->w;
	assert_int_equal(skit_fwd_start(x->loop, &cfg, &x->f, &err), 0);
	l = skit_fwd_local(x->f);
	if (l && (l->family == AF_INET))
		snprintf(x->port, sizeof(x->port), "%u",
			 ntohs(((const struct sockaddr_in *)&l->ss)->sin_port));
}

static void
fx_stop(struct fx *x)
{
	skit_fwd_free(x->f);
	skit_loop_free(x->loop);
}

/* Run the loop until *flag reaches want (at most ~5 s). */
static void
run_until(struct fx *x, const int *flag, int want)
{
	for (int i = 0; i < 500 && *flag < want; i++)
		skit_loop_run_once(x->loop, 10);
	assert_true(*flag >= want);
}

/* A TCP client of the fixture's listener, nonblocking. */
static int
client(struct fx *x, int type)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	sin.sin_port = htons((uint16_t)strtol(x->port, NULL, 10));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		assert_int_equal(errno, EINPROGRESS);
	return fd;
}

/* Read from fd while running the loop until want bytes or EOF. */
static size_t
read_back(struct fx *x, int fd, char *buf, size_t want, bool *eof)
{
	size_t got = 0;

	*eof = false;
	for (int i = 0; i < 500 && !*eof && got < want; i++) {
		ssize_t n;

		skit_loop_run_once(x->loop, 10);
		n = recv(fd, buf + got, want - got, MSG_DONTWAIT);
		if (n == 0)
			*eof = true;
		else if (n > 0)
			got += (size_t)n;
	}
	return got;
}

static void
test_stream_clients(void **state)
{
	struct fx x;
	char buf[16];
	bool eof;
	int c1, c2;

	(void)state;
	fx_start(&x, "tcp-listen:127.0.0.1:0,fork", "pipe", 0, false);
	c1 = client(&x, SOCK_STREAM);
	c2 = client(&x, SOCK_STREAM);
	run_until(&x, &x.w.opens, 2);
	assert_int_equal(skit_fwd_live(x.f), 2);
	assert_int_equal(send(c1, "one", 3, 0), 3);
	assert_int_equal(send(c2, "two", 3, 0), 3);
	assert_int_equal(read_back(&x, c1, buf, 3, &eof), 3);
	assert_memory_equal(buf, "one", 3);
	assert_int_equal(read_back(&x, c2, buf, 3, &eof), 3);
	assert_memory_equal(buf, "two", 3);
	shutdown(c1, SHUT_WR);
	read_back(&x, c1, buf, sizeof(buf), &eof);
	assert_true(eof);
	run_until(&x, &x.w.closes, 1);
	assert_int_equal(x.w.reason, SKIT_RELAY_EOF);
	assert_int_equal(skit_fwd_served(x.f), 1);
	assert_int_equal(skit_fwd_live(x.f), 1);
	assert_non_null(skit_fwd_first(x.f));
	assert_int_equal(skit_fwd_pair_id(skit_fwd_first(x.f)), 2);
	fx_stop(&x); /* c2's pair goes without on_close */
	assert_int_equal(x.w.closes, 1);
	assert_int_equal(x.w.frees, 2);
	close(c1);
	close(c2);
}

static void
test_dgram_sessions(void **state)
{
	struct fx x;
	char buf[16];
	bool eof;
	int c[3];

	(void)state;
	fx_start(&x, "pipe", "udp-listen:127.0.0.1:0,fork,idle-timeout=200ms",
		 1, false);
	for (int i = 0; i < 3; i++) {
		c[i] = client(&x, SOCK_DGRAM);
		/* the first datagram comes before the pipe is open: kept */
		assert_int_equal(send(c[i], "m0", 2, 0), 2);
	}
	run_until(&x, &x.w.opens, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(read_back(&x, c[i], buf, 2, &eof), 2);
		assert_memory_equal(buf, "m0", 2);
		/* (one at a time: the pipe is a byte stream) */
		assert_int_equal(send(c[i], "m1", 2, 0), 2);
		assert_int_equal(read_back(&x, c[i], buf, 2, &eof), 2);
		assert_memory_equal(buf, "m1", 2);
	}
	/* idle-timeout= ends each session */
	run_until(&x, &x.w.closes, 3);
	assert_int_equal(x.w.reason, SKIT_RELAY_IDLE);
	assert_int_equal(x.w.idle_ms, 200);
	assert_int_equal(skit_fwd_live(x.f), 0);
	fx_stop(&x);
	for (int i = 0; i < 3; i++)
		close(c[i]);
}

static void
test_fail_retried(void **state)
{
	struct fx x;
	char buf[4];
	bool eof;
	int c;

	(void)state;
	fx_start(&x, "tcp-listen:127.0.0.1:0,fork",
		 "unix:/nonexistent-skit-dir/x.sock,retry=2,interval=5ms", 0,
		 false);
	c = client(&x, SOCK_STREAM);
	run_until(&x, &x.w.fails, 1);
	assert_int_equal(x.w.retries, 2);
	assert_int_equal(x.w.fail_code, -ENOENT);
	assert_int_equal(x.w.fail_side, 1);
	assert_int_equal(x.w.opens, 0);
	/* the client is closed; the listener stays */
	read_back(&x, c, buf, sizeof(buf), &eof);
	assert_true(eof);
	assert_int_equal(skit_fwd_live(x.f), 0);
	assert_int_equal(skit_fwd_served(x.f), 1);
	close(c);
	c = client(&x, SOCK_STREAM);
	run_until(&x, &x.w.fails, 2);
	close(c);
	fx_stop(&x);
}

static void
test_fail_not_retryable(void **state)
{
	struct fx x;
	int c;

	(void)state;
	/* ENOTDIR: a path through a file; retry= does not apply */
	fx_start(&x, "tcp-listen:127.0.0.1:0,fork",
		 "unix:/etc/passwd/x,retry=5,interval=5ms", 0, false);
	c = client(&x, SOCK_STREAM);
	run_until(&x, &x.w.fails, 1);
	assert_int_equal(x.w.retries, 0);
	assert_int_equal(x.w.fail_code, -ENOTDIR);
	close(c);
	fx_stop(&x);
}

static void
test_once(void **state)
{
	struct fx x;
	int c1, c2;
	bool refused = false;

	(void)state;
	fx_start(&x, "tcp-listen:127.0.0.1:0", "pipe", 0, true);
	c1 = client(&x, SOCK_STREAM);
	run_until(&x, &x.w.opens, 1);
	/* the listener is closed: the next client is refused */
	c2 = client(&x, SOCK_STREAM);
	for (int i = 0; i < 500 && !refused; i++) {
		char b;

		skit_loop_run_once(x.loop, 10);
		refused = recv(c2, &b, 1, MSG_DONTWAIT) < 0 &&
			  errno == ECONNREFUSED;
	}
	assert_true(refused);
	close(c1);
	close(c2);
	fx_stop(&x);
}

static void
test_addr_limits(void **state)
{
	struct fx x;
	char buf[4];
	bool eof;
	int c1, c2;

	(void)state;
	/* max-conns= implies fork and is the serve's limit */
	fx_start(&x, "tcp-listen:127.0.0.1:0,max-conns=1", "pipe", 0, true);
	c1 = client(&x, SOCK_STREAM);
	run_until(&x, &x.w.opens, 1);
	c2 = client(&x, SOCK_STREAM);
	run_until(&x, &x.w.events[SKIT_SERVE_LIMIT], 1);
	read_back(&x, c2, buf, sizeof(buf), &eof);
	assert_true(eof);
	close(c1);
	close(c2);
	fx_stop(&x);
	/* range= is the acl: 127.0.0.1 is not in 10/8 */
	fx_start(&x, "tcp-listen:127.0.0.1:0,fork,range=10.0.0.0/8", "pipe", 0,
		 false);
	c1 = client(&x, SOCK_STREAM);
	run_until(&x, &x.w.events[SKIT_SERVE_DENIED], 1);
	assert_int_equal(x.w.opens, 0);
	close(c1);
	fx_stop(&x);
}

/* cfg.layer: the client's end goes under a tap layer (a conn the
 * record keeps); on_ends sees it, or refuses the pair (-EPERM: on_fail
 * with side -1, the client closed). */
static int tapped;
static int refuse_ends;

static void
tap_fn(void *data, int dir, const void *buf, size_t len)
{
	(void)data, (void)dir, (void)buf;
	tapped += (int)len;
}

static int
wrap_ends(struct skit_fwd *f, struct skit_fwd_pair *rec,
	  struct skit_relay_end end[2], void *data)
{
	(void)f, (void)data;
	assert_non_null(end[0].conn);
	assert_ptr_equal(end[0].conn, skit_fwd_pair_conn(rec, 0));
	assert_null(skit_fwd_pair_conn(rec, 1));
	return refuse_ends ? -EPERM : 0;
}

static void
test_on_ends(void **state)
{
	struct skit_tap_cfg tc = { .fn = tap_fn };
	struct skit_fwd_cfg cfg = { .lside = 0,
				    .on_ends = wrap_ends,
				    .on_open = on_open,
				    .on_close = on_close,
				    .on_fail = on_fail };
	struct fx x = { 0 };
	struct skit_err err;
	char buf[8];
	bool eof;
	int c;

	(void)state;
	cfg.layer[0] = &skit_layer_tap;
	cfg.layer_cfg[0] = &tc;
	for (refuse_ends = 0; refuse_ends < 2; refuse_ends++) {
		assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &x.loop), 0);
		th_parse("tcp-listen:127.0.0.1:0,fork", SKIT_ROLE_CONNECT,
			 &x.a[0]);
		th_parse("pipe", SKIT_ROLE_CONNECT, &x.a[1]);
		cfg.addr[0] = &x.a[0];
		cfg.addr[1] = &x.a[1];
		memset(&x.w, 0, sizeof(x.w));
		cfg.data = &x.w;
		tapped = 0;
		assert_int_equal(skit_fwd_start(x.loop, &cfg, &x.f, &err), 0);
		snprintf(x.port, sizeof(x.port), "%u",
			 ntohs(((const struct sockaddr_in *)&skit_fwd_local(x.f)
					->ss)
				       ->sin_port));
		c = client(&x, SOCK_STREAM);
		if (refuse_ends) {
			run_until(&x, &x.w.fails, 1);
			assert_int_equal(x.w.fail_side, -1);
			assert_int_equal(x.w.fail_code, -EPERM);
			read_back(&x, c, buf, sizeof(buf), &eof);
			assert_true(eof);
		} else {
			run_until(&x, &x.w.opens, 1);
			assert_int_equal(send(c, "tap", 3, 0), 3);
			assert_int_equal(read_back(&x, c, buf, 3, &eof), 3);
			assert_memory_equal(buf, "tap", 3);
			assert_true(tapped >= 6); /* in and back out */
		}
		close(c);
		fx_stop(&x);
	}
}

static void
test_one_pair(void **state)
{
	char dir[] = "/tmp/skit-fwd-XXXXXX", in[64], out[64], a[80], b[80];
	char buf[32] = "";
	struct fx x;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	fd = open(in, O_CREAT | O_WRONLY, 0600);
	assert_int_equal(write(fd, "payload", 7), 7);
	close(fd);
	snprintf(a, sizeof(a), "file:%s", in);
	snprintf(b, sizeof(b), "file:%s,create", out);
	fx_start(&x, a, b, -1, true);
	assert_null(skit_fwd_local(x.f));
	run_until(&x, &x.w.closes, 1);
	assert_int_equal(x.w.opens, 1);
	assert_int_equal(x.w.reason, SKIT_RELAY_EOF);
	fx_stop(&x);
	fd = open(out, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "payload", 7);
	close(fd);
	unlink(in);
	unlink(out);
	rmdir(dir);
	/* a side that cannot open: on_fail names it, nothing relays */
	fx_start(&x, "pipe", "unix:/etc/passwd/x", -1, true);
	run_until(&x, &x.w.fails, 1);
	assert_int_equal(x.w.fail_side, 1);
	assert_int_equal(x.w.frees, 1);
	fx_stop(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_clients),
		cmocka_unit_test(test_dgram_sessions),
		cmocka_unit_test(test_fail_retried),
		cmocka_unit_test(test_fail_not_retryable),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_addr_limits),
		cmocka_unit_test(test_on_ends),
		cmocka_unit_test(test_one_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
