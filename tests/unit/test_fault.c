/*
 * test_fault.c - the fault layer (src/layer/fault.c) and its grammar
 * (fault_spec.c): each fault over a socketpair, with a loop for the
 * layer's timers, measured by what arrives, in which order and how
 * much, and by lower bounds on time only (never "took less than").
 * Every random choice is seeded, so the counts are exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "skit/addr.h"
#include "skit/conn.h"
#include "skit/fault.h"
#include "skit/loop.h"
#include "skit/relay.h"

struct rig {
	int sv[2];
	struct skit_loop *loop;
	struct skit_conn *c;
	struct skit_fault_set set;
	int kicks;
	int events;
};

static void
kick(struct skit_conn *c, void *data)
{
	struct rig *r = data;

	(void)c;
	r->kicks++;
}

static void
on_event(void *data, const struct skit_fault_event *ev)
{
	struct rig *r = data;

	(void)ev;
	r->events++;
}

/* The set from "name=value" words, then the conn over sv[0]. */
static void
rig_up(struct rig *r, int type, uint64_t seed, const char *const *faults)
{
	struct skit_fault_cfg cfg = { 0 };
	struct skit_err err;

	memset(r, 0, sizeof(*r));
	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, r->sv), 0);
	assert_int_equal(fcntl(r->sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(r->sv[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &r->loop), 0);
	for (int i = 0; faults[i]; i++) {
		char name[32];
		const char *eq = strchr(faults[i], '=');
		struct skit_fault f;

		snprintf(name, sizeof(name), "%.*s",
			 (int)(eq ? eq - faults[i] : (long)strlen(faults[i])),
			 faults[i]);
		assert_int_equal(
			skit_fault_parse(name, eq ? eq + 1 : NULL, &f, &err),
			0);
		assert_int_equal(skit_fault_set_put(&r->set, &f), 0);
	}
	r->set.seed = seed;
	assert_int_equal(skit_conn_new(r->sv[0], r->sv[0], type, true, &r->c),
			 0);
	skit_conn_set_loop(r->c, r->loop, kick, r);
	cfg.set = &r->set;
	cfg.live = true; /* the tests change it */
	cfg.conn_id = 1;
	cfg.on_event = on_event;
	cfg.data = r;
	assert_int_equal(skit_conn_push(r->c, &skit_layer_fault, &cfg, &err),
			 0);
}

static void
rig_down(struct rig *r)
{
	skit_conn_free(r->c);
	skit_loop_free(r->loop);
	close(r->sv[1]);
}

/* Run the loop until the layer kicks (at most 5 s). */
static void
wait_kick(struct rig *r)
{
	int k = r->kicks;

	(void)skit_conn_events(r->c, SKIT_EV_READ); /* arms the timer */
	for (int i = 0; i < 500 && r->kicks == k; i++)
		(void)skit_loop_run_once(r->loop, 10);
	assert_true(r->kicks > k);
}

static int64_t
ms_since(int64_t t0)
{
	return (skit_now_ns() - t0) / 1000000;
}

/* --- the grammar --------------------------------------------------------- */

static void
test_parse(void **state)
{
	struct skit_fault f;
	struct skit_err err;
	char buf[128];

	(void)state;
	assert_int_equal(skit_fault_parse("latency", "100ms", &f, &err), 0);
	assert_int_equal(f.kind, SKIT_FAULT_LATENCY);
	assert_int_equal(f.ms, 100);
	assert_int_equal(skit_fault_parse("slicer", "64/5ms", &f, &err), 0);
	assert_int_equal(f.bytes, 64);
	assert_int_equal(f.ms, 5);
	assert_int_equal(skit_fault_parse("reset-after", "1k", &f, &err), 0);
	assert_int_equal(f.bytes, 1024);
	assert_int_equal(skit_fault_parse("reset-after", "2s", &f, &err), 0);
	assert_int_equal(f.bytes, 0);
	assert_int_equal(f.ms, 2000);
	assert_int_equal(skit_fault_parse("drop", "10%", &f, &err), 0);
	assert_true(f.p > 0.099 && f.p < 0.101);
	assert_int_equal(skit_fault_parse("reorder", "0.5/3", &f, &err), 0);
	assert_int_equal(f.gap, 3);
	assert_int_equal(skit_fault_parse("half-open", NULL, &f, &err), 0);
	assert_int_equal(skit_fault_parse("drop", "1.5", &f, &err),
			 SKIT_EOPTION);
	assert_int_equal(skit_fault_parse("bandwidth", "0", &f, &err),
			 SKIT_EOPTION);
	assert_int_equal(skit_fault_parse("reorder", "0.5/0", &f, &err),
			 SKIT_EOPTION);
	assert_int_equal(skit_fault_parse("nope", "1", &f, &err), SKIT_EOPTION);
	assert_int_equal(skit_fault_parse("slicer", "64", &f, &err), 0);
	skit_fault_format(&f, buf, sizeof(buf));
	assert_string_equal(buf, "slicer=64B");
}

/* The options of an address, in the order written. */
static void
test_from_addr(void **state)
{
	struct skit_addr a;
	struct skit_err err;
	struct skit_fault_set s;
	bool has_seed;

	(void)state;
	assert_int_equal(skit_addr_parse("tcp:127.0.0.1:9,slicer=10,"
					 "latency=5ms,jitter=1ms,dir=up,seed=7",
					 SKIT_ROLE_CONNECT, &a, &err),
			 0);
	assert_int_equal(skit_fault_from_addr(&a, &s, &has_seed, &err), 0);
	assert_true(has_seed);
	assert_int_equal(s.seed, 7);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.f[0].kind, SKIT_FAULT_SLICER);
	assert_int_equal(s.f[1].kind, SKIT_FAULT_LATENCY);
	assert_int_equal(s.f[1].jitter_ms, 1);
	assert_int_equal(s.f[1].dir, SKIT_FAULT_UP);
	assert_int_equal(skit_addr_parse("tcp:127.0.0.1:9,latency=5ms,"
					 "slicer=10",
					 SKIT_ROLE_CONNECT, &a, &err),
			 0);
	assert_int_equal(skit_fault_from_addr(&a, &s, &has_seed, &err), 0);
	assert_false(has_seed);
	assert_int_equal(s.f[0].kind, SKIT_FAULT_LATENCY);
	assert_int_equal(s.f[1].kind, SKIT_FAULT_SLICER);
	/* a stream fault on a datagram address, a bad value */
	assert_int_equal(skit_addr_parse("udp:127.0.0.1:9,slicer=10",
					 SKIT_ROLE_CONNECT, &a, &err),
			 SKIT_EOPTION);
	assert_int_equal(skit_addr_parse("udp:127.0.0.1:9,drop=2",
					 SKIT_ROLE_CONNECT, &a, &err),
			 SKIT_EOPTION);
	assert_int_equal(skit_addr_parse("tcp:127.0.0.1:9,dir=sideways",
					 SKIT_ROLE_CONNECT, &a, &err),
			 SKIT_EOPTION);
}

/* --- streams ----------------------------------------------------------- */

static void
test_latency(void **state)
{
	static const char *const f[] = { "latency=60ms", NULL };
	struct rig r;
	char buf[16];
	int64_t t0 = skit_now_ns();

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(skit_conn_send(r.c, "abc", 3), 3);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	wait_kick(&r);
	assert_int_equal(skit_conn_flush(r.c), 0);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_true(ms_since(t0) >= 60);
	assert_int_equal(r.events, 1); /* the first chunk held */
	/* and on the way down */
	t0 = skit_now_ns();
	assert_int_equal(write(r.sv[1], "xyz", 3), 3);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -EAGAIN);
	assert_false(skit_conn_pending(r.c));
	wait_kick(&r);
	assert_true(skit_conn_pending(r.c));
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "xyz", 3);
	assert_true(ms_since(t0) >= 60);
	rig_down(&r);
}

/* latency=0 holds nothing: straight through both ways, EOF too. */
static void
test_zero(void **state)
{
	static const char *const f[] = { "latency=0", NULL };
	struct rig r;
	char buf[16];

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(skit_conn_send(r.c, "abc", 3), 3);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 3);
	assert_int_equal(write(r.sv[1], "xy", 2), 2);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 2);
	assert_int_equal(shutdown(r.sv[1], SHUT_WR), 0);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 0);
	assert_int_equal(r.events, 0);
	rig_down(&r);
}

/* Jitter never reorders a stream. */
static void
test_jitter_order(void **state)
{
	static const char *const f[] = { "latency=2ms", NULL };
	struct rig r;
	char got[200];
	size_t n = 0;

	(void)state;
	rig_up(&r, SOCK_STREAM, 3, f);
	r.set.f[0].jitter_ms = 2; /* 0-4 ms per chunk */
	r.set.gen++;
	for (int i = 0; i < 100; i++) {
		char b = (char)('A' + i % 50);

		assert_int_equal(skit_conn_send(r.c, &b, 1), 1);
	}
	for (int i = 0; i < 500 && n < 100; i++) {
		ssize_t k;

		(void)skit_conn_events(r.c, 0);
		(void)skit_loop_run_once(r.loop, 10);
		(void)skit_conn_flush(r.c);
		k = read(r.sv[1], got + n, sizeof(got) - n);
		if (k > 0)
			n += (size_t)k;
	}
	assert_int_equal(n, 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(got[i], 'A' + i % 50);
	rig_down(&r);
}

static void
test_bandwidth(void **state)
{
	static const char *const f[] = { "bandwidth=100k", NULL };
	struct rig r;
	static char big[30000], got[30000];
	size_t off = 0, n = 0;
	int64_t t0 = skit_now_ns();

	(void)state;
	memset(big, 'b', sizeof(big));
	rig_up(&r, SOCK_STREAM, 1, f);
	for (int i = 0; i < 1000 && n < sizeof(big); i++) {
		ssize_t k;

		if (off < sizeof(big)) {
			k = skit_conn_send(r.c, big + off, sizeof(big) - off);
			if (k > 0)
				off += (size_t)k;
		}
		(void)skit_conn_events(r.c, 0);
		(void)skit_loop_run_once(r.loop, 10);
		(void)skit_conn_flush(r.c);
		k = read(r.sv[1], got + n, sizeof(got) - n);
		if (k > 0)
			n += (size_t)k;
	}
	assert_int_equal(n, sizeof(big));
	/* 30000 bytes at 102400/s, less the 20 ms burst: >= 270 ms */
	assert_true(ms_since(t0) >= 270);
	rig_down(&r);
}

/*
 * The wakeup a reader waits for when the bytes are already held: the
 * reader drains what the bucket allows (-EAGAIN), asks pending() (not
 * yet), and by the time it asks events() for READ the bucket has
 * refilled. The socket will never be readable again (every byte was
 * read and is held), so only the layer's timer can wake the reader:
 * events() must arm it even though the head is ready already. (Under
 * load the time between pending() and events() in the relay is longer
 * than the bucket's wait: a 300 KB relay stalled so once.)
 */
static void
test_bandwidth_wakeup(void **state)
{
	static const char *const f[] = { "bandwidth=1k", NULL };
	struct timespec ts = { .tv_nsec = 20 * 1000000 };
	static char buf[200];
	struct rig r;
	size_t n = 0;
	ssize_t k;
	int kicks;

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	memset(buf, 'w', sizeof(buf));
	assert_int_equal(write(r.sv[1], buf, sizeof(buf)), sizeof(buf));
	/* the whole 200 bytes are read and held; the burst (20 ms of
	 * 1024/s) goes at once, then the bucket is empty */
	while ((k = skit_conn_recv(r.c, buf, sizeof(buf))) > 0)
		n += (size_t)k;
	assert_int_equal(k, -EAGAIN);
	assert_true(n > 0 && n < 100);
	assert_false(skit_conn_pending(r.c));
	/* the reader is slow to ask for READ: a byte's wait has passed */
	assert_int_equal(nanosleep(&ts, NULL), 0);
	kicks = r.kicks;
	(void)skit_conn_events(r.c, SKIT_EV_READ);
	for (int i = 0; i < 100 && r.kicks == kicks; i++)
		(void)skit_loop_run_once(r.loop, 10);
	assert_true(r.kicks > kicks);
	k = skit_conn_recv(r.c, buf, sizeof(buf));
	assert_true(k > 0);
	rig_down(&r);
}

static void
test_slicer(void **state)
{
	static const char *const f[] = { "slicer=10/20ms", NULL };
	struct rig r;
	char buf[128];
	int64_t t0 = skit_now_ns();
	size_t n = 0;

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(skit_conn_send(r.c, buf, 35), 35);
	/* the first segment went at once, the others wait their turn */
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 10);
	n = 10;
	for (int i = 0; i < 500 && n < 35; i++) {
		ssize_t k;

		wait_kick(&r);
		(void)skit_conn_flush(r.c);
		k = read(r.sv[1], buf, sizeof(buf));
		if (k > 0) {
			assert_true(k % 10 == 0 || n + (size_t)k == 35);
			n += (size_t)k;
		}
	}
	assert_int_equal(n, 35);
	assert_true(ms_since(t0) >= 60); /* three gaps */
	rig_down(&r);
}

static void
test_limit_data(void **state)
{
	static const char *const f[] = { "limit-data=10", NULL };
	struct rig r;
	char buf[64];

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	/* down: 10 bytes, then EOF, and the peer reads EOF too */
	assert_int_equal(write(r.sv[1], "0123456789abcdef", 16), 16);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "0123456789", 10);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 0);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 0);
	/* what is sent now is discarded */
	assert_int_equal(skit_conn_send(r.c, "late", 4), 4);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 0);
	assert_true(r.events >= 1);
	rig_down(&r);
}

static void
test_limit_data_up(void **state)
{
	static const char *const f[] = { "limit-data=4", NULL };
	struct rig r;
	char buf[64];

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	r.set.f[0].dir = SKIT_FAULT_UP;
	r.set.gen++;
	assert_int_equal(skit_conn_send(r.c, "abcdefgh", 8), 8);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 4);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 0);
	assert_true(skit_conn_pending(r.c));
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 0);
	rig_down(&r);
}

static void
test_reset_after(void **state)
{
	static const char *const f[] = { "reset-after=5", NULL };
	struct rig r;
	char buf[64];
	struct linger lg;
	socklen_t ln = sizeof(lg);

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(write(r.sv[1], "0123456789", 10), 10);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 5);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -ECONNRESET);
	assert_int_equal(skit_conn_send(r.c, "x", 1), -ECONNRESET);
	/* a stream socket lingers 0: its close is a RST (on TCP) */
	assert_int_equal(getsockopt(r.sv[0], SOL_SOCKET, SO_LINGER, &lg, &ln),
			 0);
	assert_int_equal(lg.l_onoff, 1);
	assert_int_equal(lg.l_linger, 0);
	rig_down(&r);
}

static void
test_reset_after_time(void **state)
{
	static const char *const f[] = { "reset-after=50ms", NULL };
	struct rig r;
	char buf[8];
	int64_t t0 = skit_now_ns();

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -EAGAIN);
	wait_kick(&r);
	assert_true(skit_conn_pending(r.c));
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -ECONNRESET);
	assert_true(ms_since(t0) >= 50);
	rig_down(&r);
}

static void
test_timeout(void **state)
{
	static const char *const f[] = { "timeout=50ms", NULL };
	struct rig r;
	char buf[8];
	int64_t t0 = skit_now_ns();

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(skit_conn_send(r.c, "lost", 4), 4);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), -1);
	assert_int_equal(write(r.sv[1], "gone", 4), 4);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -EAGAIN);
	wait_kick(&r);
	/* then both ways end */
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 0);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 0);
	assert_true(ms_since(t0) >= 50);
	rig_down(&r);
}

static void
test_stall(void **state)
{
	static const char *const f[] = { "stall=0", NULL };
	struct rig r;
	char buf[8];

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(write(r.sv[1], "wait", 4), 4);
	assert_int_equal(skit_conn_events(r.c, SKIT_EV_READ) & SKIT_EV_READ, 0);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(skit_conn_send(r.c, "x", 1), -EAGAIN);
	/* the bytes are still in the socket: nobody read them */
	assert_int_equal(recv(r.sv[0], buf, sizeof(buf), MSG_PEEK), 4);
	rig_down(&r);
}

static void
test_half_open(void **state)
{
	static const char *const f[] = { "half-open", NULL };
	struct rig r;
	char buf[8];

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(skit_conn_send(r.c, "lost", 4), 4);
	assert_int_equal(skit_conn_shutdown(r.c), 0);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN); /* no data, and no EOF */
	assert_int_equal(write(r.sv[1], "gone", 4), 4);
	assert_int_equal(shutdown(r.sv[1], SHUT_WR), 0);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -EAGAIN);
	rig_down(&r);
}

static void
test_slow_close(void **state)
{
	static const char *const f[] = { "slow-close=50ms", NULL };
	struct rig r;
	char buf[8];
	int64_t t0 = skit_now_ns();
	int rc = -EAGAIN;

	(void)state;
	rig_up(&r, SOCK_STREAM, 1, f);
	assert_int_equal(skit_conn_shutdown(r.c), -EAGAIN);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), -1);
	for (int i = 0; i < 100 && rc == -EAGAIN; i++) {
		wait_kick(&r);
		rc = skit_conn_shutdown(r.c);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 0);
	assert_true(ms_since(t0) >= 50);
	/* the EOF from the peer waits as long */
	t0 = skit_now_ns();
	assert_int_equal(shutdown(r.sv[1], SHUT_WR), 0);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -EAGAIN);
	wait_kick(&r);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 0);
	assert_true(ms_since(t0) >= 50);
	rig_down(&r);
}

/* --- messages -------------------------------------------------------- */

/* Send n numbered datagrams up; count what the peer gets. */
static int
dgrams(uint64_t seed, const char *fault, int n, int *order, int max)
{
	const char *const f[] = { fault, NULL };
	struct rig r;
	int got = 0;
	char buf[64];

	rig_up(&r, SOCK_DGRAM, seed, f);
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		assert_true(skit_conn_send(r.c, buf, strlen(buf)) > 0);
		for (ssize_t k;
		     (k = read(r.sv[1], buf, sizeof(buf) - 1)) > 0;) {
			buf[k] = '\0';
			if (order && got < max)
				order[got] = (int)strtol(buf, NULL, 10);
			got++;
		}
	}
	rig_down(&r);
	return got;
}

static void
test_drop(void **state)
{
	int a, b, c;

	(void)state;
	a = dgrams(42, "drop=30%", 1000, NULL, 0);
	b = dgrams(42, "drop=30%", 1000, NULL, 0);
	c = dgrams(43, "drop=30%", 1000, NULL, 0);
	/* 700 expected, sd 14.5: 5 sd either way */
	assert_in_range(a, 627, 773);
	assert_int_equal(a, b); /* the seed replays it */
	assert_in_range(c, 627, 773);
	assert_int_equal(dgrams(1, "drop=0", 100, NULL, 0), 100);
	assert_int_equal(dgrams(1, "drop=1", 100, NULL, 0), 0);
}

static void
test_dup_reorder(void **state)
{
	int o[8];

	(void)state;
	assert_int_equal(dgrams(1, "dup=1", 50, NULL, 0), 100);
	/* p = 1, gap 2: each held one goes after the next two */
	assert_int_equal(dgrams(1, "reorder=1/2", 6, o, 6), 6);
	assert_int_equal(o[0], 1);
	assert_int_equal(o[1], 2);
	assert_int_equal(o[2], 0);
	assert_int_equal(o[3], 4);
	assert_int_equal(o[4], 5);
	assert_int_equal(o[5], 3);
}

static void
test_corrupt(void **state)
{
	static const char *const f[] = { "corrupt=1", NULL };
	struct rig r;
	unsigned char in[32], out[32];
	int bits = 0;

	(void)state;
	memset(in, 0x55, sizeof(in));
	rig_up(&r, SOCK_DGRAM, 9, f);
	assert_int_equal(skit_conn_send(r.c, in, sizeof(in)), sizeof(in));
	assert_int_equal(read(r.sv[1], out, sizeof(out)), sizeof(out));
	for (size_t i = 0; i < sizeof(in); i++)
		bits += __builtin_popcount(in[i] ^ out[i]);
	assert_int_equal(bits, 1);
	rig_down(&r);
}

/* Messages wait their delay; the stream faults refuse messages. */
static void
test_delay_and_kinds(void **state)
{
	static const char *const f[] = { "delay=30ms", NULL };
	struct rig r;
	char buf[8];
	int64_t t0 = skit_now_ns();
	struct skit_conn *c;
	struct skit_fault_set s = { 0 };
	struct skit_fault_cfg cfg = { .set = &s };
	struct skit_err err;
	int sv[2];

	(void)state;
	rig_up(&r, SOCK_DGRAM, 1, f);
	assert_int_equal(write(r.sv[1], "m", 1), 1);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), -EAGAIN);
	wait_kick(&r);
	assert_int_equal(skit_conn_recv(r.c, buf, sizeof(buf)), 1);
	assert_true(ms_since(t0) >= 30);
	rig_down(&r);

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_DGRAM, true, &c), 0);
	assert_int_equal(skit_fault_parse("slicer", "4", &s.f[0], &err), 0);
	s.n = 1;
	assert_int_equal(skit_conn_push(c, &skit_layer_fault, &cfg, &err),
			 -EINVAL);
	skit_conn_free(c);
	close(sv[1]);
}

/* toxicity= 0 leaves every connection alone; a live set changes. */
static void
test_toxicity_live(void **state)
{
	static const char *const f[] = { "timeout=0", NULL };
	struct rig r;
	struct skit_fault_cfg cfg = { 0 };
	struct skit_err err;
	struct skit_conn *c2;
	char buf[64];
	int sv[2];
	int hit = 0;

	(void)state;
	rig_up(&r, SOCK_STREAM, 5, f);
	r.set.f[0].toxicity = 0;
	r.set.gen++;
	assert_int_equal(skit_conn_send(r.c, "ok", 2), 2);
	assert_int_equal(read(r.sv[1], buf, sizeof(buf)), 2);
	assert_int_equal(skit_fault_describe(r.c, buf, sizeof(buf)), 0);
	rig_down(&r);

	/* 30% of 200 connections: about 60 */
	r.set.f[0].toxicity = 0.3;
	for (uint64_t id = 0; id < 200; id++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_int_equal(
			skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c2), 0);
		cfg.set = &r.set;
		cfg.conn_id = id;
		assert_int_equal(
			skit_conn_push(c2, &skit_layer_fault, &cfg, &err), 0);
		if (skit_fault_describe(c2, buf, sizeof(buf)) > 0)
			hit++;
		skit_conn_free(c2);
		close(sv[1]);
	}
	assert_in_range(hit, 30, 90);

	/* live: a change applies to the open connection */
	{
		struct skit_fault_set live = { 0 };

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_int_equal(
			skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c2), 0);
		cfg.set = &live;
		cfg.live = true;
		assert_int_equal(
			skit_conn_push(c2, &skit_layer_fault, &cfg, &err), 0);
		assert_int_equal(skit_conn_send(c2, "a", 1), 1);
		assert_int_equal(
			skit_fault_parse("timeout", "0", &live.f[0], &err), 0);
		assert_int_equal(skit_fault_set_put(&live, &live.f[0]), 0);
		assert_int_equal(skit_conn_send(c2, "b", 1), 1);
		assert_int_equal(read(sv[1], buf, sizeof(buf)), 1);
		assert_int_equal(buf[0], 'a');
		assert_string_equal(
			(skit_fault_describe(c2, buf, sizeof(buf)), buf),
			"timeout=0ms");
		assert_int_equal(skit_fault_set_clear(&live, SKIT_FAULT_NONE),
				 1);
		assert_int_equal(skit_conn_send(c2, "c", 1), 1);
		assert_int_equal(read(sv[1], buf, sizeof(buf)), 1);
		assert_int_equal(buf[0], 'c');
		skit_conn_free(c2);
		close(sv[1]);
	}
}

/* --- the hostile case -------------------------------------------------- */

static void
vanish_closed(struct skit_relay *r, void *data)
{
	(void)r;
	(*(int *)data)++;
}

/*
 * 1,000 relayed connections whose clients go away while the fault layer
 * holds their bytes (latency=500ms), 100 at a time: every pair ends and
 * frees what it held (ASan's leak check in make check's second pass).
 */
static void
test_vanish(void **state)
{
	struct skit_loop *loop;
	struct skit_fault_set set = { 0 };
	struct skit_fault_cfg fc = { .set = &set };
	struct skit_err err;
	enum { BATCH = 100, ROUNDS = 10 };

	(void)state;
	assert_int_equal(skit_fault_parse("latency", "500ms", &set.f[0], &err),
			 0);
	set.n = 1;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	for (int round = 0; round < ROUNDS; round++) {
		struct skit_relay *pr[BATCH];
		int cli[BATCH], srv[BATCH], closed = 0;

		for (int i = 0; i < BATCH; i++) {
			int a[2], b[2];
			struct skit_relay_end ea, eb;
			struct skit_relay_cfg cfg = { 0 };

			assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a),
					 0);
			assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b),
					 0);
			cli[i] = a[1];
			srv[i] = b[1];
			assert_int_equal(
				skit_relay_end_from_fd(a[0], true, &ea), 0);
			assert_int_equal(
				skit_relay_end_from_fd(b[0], true, &eb), 0);
			fc.conn_id = (uint64_t)(round * BATCH + i);
			cfg.faults[1] = &fc;
			cfg.on_close = vanish_closed;
			cfg.data = &closed;
			assert_int_equal(
				skit_relay_new(loop, &ea, &eb, &cfg, &pr[i]),
				0);
			/* both ways: held on the way up and on the way down */
			assert_int_equal(write(cli[i], "x", 1), 1);
			assert_int_equal(write(srv[i], "y", 1), 1);
		}
		for (int k = 0; k < 20; k++)
			(void)skit_loop_run_once(loop, 5);
		/* the clients vanish; the servers too, half of them */
		for (int i = 0; i < BATCH; i++) {
			close(cli[i]);
			if (i % 2)
				close(srv[i]);
		}
		/* the last round waits for the pairs to end by themselves;
		 * the others are freed with their bytes still held */
		for (int k = 0;
		     round == ROUNDS - 1 && k < 500 && closed < BATCH; k++)
			(void)skit_loop_run_once(loop, 10);
		if (round == ROUNDS - 1)
			assert_true(closed >= BATCH / 2);
		/* a pair whose server stays may wait for it: end it */
		for (int i = 0; i < BATCH; i++) {
			if (!skit_relay_ended(pr[i]))
				skit_relay_close(pr[i]);
			skit_relay_free(pr[i]);
			if (!(i % 2))
				close(srv[i]);
		}
	}
	skit_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_from_addr),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_zero),
		cmocka_unit_test(test_jitter_order),
		cmocka_unit_test(test_bandwidth),
		cmocka_unit_test(test_bandwidth_wakeup),
		cmocka_unit_test(test_slicer),
		cmocka_unit_test(test_limit_data),
		cmocka_unit_test(test_limit_data_up),
		cmocka_unit_test(test_reset_after),
		cmocka_unit_test(test_reset_after_time),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_half_open),
		cmocka_unit_test(test_slow_close),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_dup_reorder),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_delay_and_kinds),
		cmocka_unit_test(test_toxicity_live),
		cmocka_unit_test(test_vanish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
