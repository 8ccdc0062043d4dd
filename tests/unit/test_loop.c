/*
 * test_loop.c - the event loop, every test on both backends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "skit/loop.h"

static const enum skit_loop_backend backends[] = { SKIT_LOOP_EPOLL,
						   SKIT_LOOP_POLL };
#define FOR_BACKENDS(l)                                                \
	for (size_t bi_ = 0; bi_ < 2; bi_++)                           \
		for (struct skit_loop *l = new_loop(backends[bi_]); l; \
		     skit_loop_free(l), l = NULL)

static struct skit_loop *
new_loop(enum skit_loop_backend b)
{
	struct skit_loop *l = NULL;

	assert_int_equal(skit_loop_new(b, &l), 0);
	assert_non_null(l);
	assert_string_equal(skit_loop_backend_name(l),
			    b == SKIT_LOOP_POLL ? "poll" : "epoll");
	return l;
}

static void
mkpipe(int p[2])
{
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
}

/* --- timers ----------------------------------------------------------- */

struct order {
	int seen[64];
	int n;
};

struct tctx {
	struct order *o;
	int tag;
};

static void
record_timer(struct skit_loop *l, void *data)
{
	struct tctx *c = data;

	(void)l;
	c->o->seen[c->o->n++] = c->tag;
}

static void
test_timers_in_order(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct order o = { 0 };
		static const int ms[] = { 30, 5, 20, 1, 10 };
		struct tctx c[5];
		int64_t t0 = skit_now_ns();

		for (int i = 0; i < 5; i++) {
			c[i] = (struct tctx){ &o, ms[i] };
			assert_true(skit_loop_timer(l, ms[i], record_timer,
						    &c[i]) > 0);
		}
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(o.n, 5);
		assert_int_equal(o.seen[0], 1);
		assert_int_equal(o.seen[1], 5);
		assert_int_equal(o.seen[2], 10);
		assert_int_equal(o.seen[3], 20);
		assert_int_equal(o.seen[4], 30);
		/* A timer never fires early. */
		assert_true(skit_now_ns() - t0 >= 30 * 1000000LL);
		assert_true(skit_loop_now(l) >= t0 + 30 * 1000000LL);
	}
}

static void
test_equal_deadlines_fifo(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct order o = { 0 };
		struct tctx c[40];
		int64_t when = skit_now_ns() + 2000000;

		/* Interleave two deadlines so the heap has to sort. */
		for (int i = 0; i < 40; i++) {
			c[i] = (struct tctx){ &o, i };
			assert_true(
				skit_loop_timer_at(l, when + (i % 2) * 1000000,
						   record_timer, &c[i]) > 0);
		}
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(o.n, 40);
		for (int i = 0; i < 20; i++) {
			assert_int_equal(o.seen[i], 2 * i);
			assert_int_equal(o.seen[20 + i], 2 * i + 1);
		}
	}
}

static void
test_timer_cancel(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct order o = { 0 };
		struct tctx c[4] = {
			{ &o, 0 }, { &o, 1 }, { &o, 2 }, { &o, 3 }
		};
		int64_t id[4];

		for (int i = 0; i < 4; i++)
			id[i] = skit_loop_timer(l, i, record_timer, &c[i]);
		skit_loop_timer_cancel(l, id[1]);
		skit_loop_timer_cancel(l, id[1]); /* twice: no-op */
		skit_loop_timer_cancel(l, 0);
		skit_loop_timer_cancel(l, -5);
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(o.n, 3);
		assert_int_equal(o.seen[0], 0);
		assert_int_equal(o.seen[1], 2);
		assert_int_equal(o.seen[2], 3);
		/* Cancelling fired ids is a no-op, even after slot reuse. */
		int64_t again = skit_loop_timer(l, 0, record_timer, &c[0]);
		assert_true(again != id[0]);
		skit_loop_timer_cancel(l, id[0]);
		skit_loop_timer_cancel(l, id[3]);
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(o.n, 4);
	}
}

struct rearm {
	int left;
	int fired;
	int fd_calls;
	int rfd;
};

static void
rearm_cb(struct skit_loop *l, void *data)
{
	struct rearm *r = data;

	r->fired++;
	if (--r->left > 0)
		assert_true(skit_loop_timer(l, 0, rearm_cb, r) > 0);
}

static void
rearm_fd_cb(struct skit_loop *l, int fd, unsigned ev, void *data)
{
	struct rearm *r = data;
	char c;

	assert_true(ev & SKIT_EV_READ);
	assert_int_equal(read(fd, &c, 1), 1);
	r->fd_calls++;
	skit_loop_del(l, fd);
}

/* A timer that re-arms itself at 0 ms fires once per wakeup: fds run. */
static void
test_timer_rearm_no_starvation(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct rearm r = { .left = 1000 };
		int p[2];

		mkpipe(p);
		assert_int_equal(write(p[1], "x", 1), 1);
		assert_int_equal(
			skit_loop_add(l, p[0], SKIT_EV_READ, rearm_fd_cb, &r),
			0);
		assert_true(skit_loop_timer(l, 0, rearm_cb, &r) > 0);
		assert_true(skit_loop_run_once(l, 0) >= 1);
		assert_int_equal(r.fd_calls, 1);
		assert_int_equal(r.fired, 1);
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(r.fired, 1000);
		close(p[0]);
		close(p[1]);
	}
}

/* --- fd watchers -------------------------------------------------------- */

struct pair {
	int p[2];
	int calls;
	unsigned last;
	struct pair *victim; /* watcher this one removes */
	bool close_self;
	bool use_close; /* remove the victim with skit_loop_close */
};

static void
pair_cb(struct skit_loop *l, int fd, unsigned ev, void *data)
{
	struct pair *pp = data;
	char buf[16];

	pp->calls++;
	pp->last = ev;
	if (ev & SKIT_EV_READ)
		(void)!read(fd, buf, sizeof(buf));
	if (pp->victim && pp->victim->p[0] >= 0) {
		if (pp->use_close) {
			assert_int_equal(skit_loop_close(l, pp->victim->p[0]),
					 0);
		} else {
			assert_int_equal(skit_loop_del(l, pp->victim->p[0]), 0);
			close(pp->victim->p[0]);
		}
		pp->victim->p[0] = -1;
	}
	if (pp->close_self) {
		assert_int_equal(skit_loop_del(l, fd), 0);
		close(fd);
		pp->p[0] = -1;
	}
}

static void
test_add_mod_del_errors(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct pair a = { 0 };

		mkpipe(a.p);
		assert_int_equal(
			skit_loop_add(l, -1, SKIT_EV_READ, pair_cb, &a),
			-EBADF);
		assert_int_equal(skit_loop_mod(l, a.p[0], SKIT_EV_READ),
				 -ENOENT);
		assert_int_equal(skit_loop_del(l, a.p[0]), -ENOENT);
		assert_int_equal(
			skit_loop_add(l, a.p[0], SKIT_EV_READ, pair_cb, &a), 0);
		assert_int_equal(
			skit_loop_add(l, a.p[0], SKIT_EV_READ, pair_cb, &a),
			-EEXIST);
		assert_int_equal(skit_loop_count(l), 1);
		assert_int_equal(skit_loop_mod(l, a.p[0], 0), 0);
		assert_int_equal(skit_loop_count(l), 1);
		/* Nothing active: run returns at once. */
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(skit_loop_del(l, a.p[0]), 0);
		assert_int_equal(skit_loop_count(l), 0);
		close(a.p[0]);
		close(a.p[1]);
	}
}

/* An idle watcher (events 0) gets nothing, not even HUP. */
static void
test_idle_watcher_gets_no_hup(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct pair a = { 0 };

		mkpipe(a.p);
		close(a.p[1]);
		assert_int_equal(skit_loop_add(l, a.p[0], 0, pair_cb, &a), 0);
		assert_int_equal(skit_loop_run_once(l, 10), 0);
		assert_int_equal(a.calls, 0);
		assert_int_equal(skit_loop_mod(l, a.p[0], SKIT_EV_READ), 0);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(a.calls, 1);
		assert_true(a.last & (SKIT_EV_HUP | SKIT_EV_READ));
		skit_loop_del(l, a.p[0]);
		close(a.p[0]);
	}
}

static void
test_write_readiness(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct pair a = { 0 };

		mkpipe(a.p);
		assert_int_equal(
			skit_loop_add(l, a.p[1], SKIT_EV_WRITE, pair_cb, &a),
			0);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(a.last, SKIT_EV_WRITE);
		skit_loop_del(l, a.p[1]);
		close(a.p[0]);
		close(a.p[1]);
	}
}

/* A callback removes and closes its own fd. */
static void
test_remove_self_in_callback(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct pair a = { .close_self = true };

		mkpipe(a.p);
		assert_int_equal(write(a.p[1], "x", 1), 1);
		assert_int_equal(
			skit_loop_add(l, a.p[0], SKIT_EV_READ, pair_cb, &a), 0);
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(a.calls, 1);
		assert_int_equal(a.p[0], -1);
		assert_int_equal(skit_loop_count(l), 0);
		close(a.p[1]);
	}
}

/* Two readable pipes, watched, each the other's victim. */
static void
watch_victims(struct skit_loop *l, struct pair *a, struct pair *b)
{
	mkpipe(a->p);
	mkpipe(b->p);
	a->victim = b;
	b->victim = a;
	assert_int_equal(write(a->p[1], "x", 1), 1);
	assert_int_equal(write(b->p[1], "x", 1), 1);
	assert_int_equal(skit_loop_add(l, a->p[0], SKIT_EV_READ, pair_cb, a),
			 0);
	assert_int_equal(skit_loop_add(l, b->p[0], SKIT_EV_READ, pair_cb, b),
			 0);
}

/*
 * Two fds ready in the same wakeup; whichever runs first removes and
 * closes the other, which must then not be called (its event is stale).
 */
static void
test_remove_other_in_callback(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct pair a = { 0 }, b = { 0 };

		watch_victims(l, &a, &b);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(a.calls + b.calls, 1);
		assert_int_equal(skit_loop_count(l), 1);
		struct pair *alive = a.calls ? &a : &b;
		skit_loop_del(l, alive->p[0]);
		close(alive->p[0]);
		close(a.p[1]);
		close(b.p[1]);
	}
}

/*
 * skit_loop_close: the watcher goes with the fd. As with del, a stale
 * event of an fd closed in the same wakeup is not delivered, the fd
 * number's next owner gets its own events, and an fd the loop never
 * watched is simply closed.
 */
static void
test_loop_close(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct pair a = { .use_close = true },
			    b = { .use_close = true }, c = { 0 };
		struct pair *alive;
		int fd;

		watch_victims(l, &a, &b);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(a.calls + b.calls, 1);
		assert_int_equal(skit_loop_count(l), 1);
		alive = a.calls ? &a : &b;
		/* The closed fd's number, reused and ready. */
		mkpipe(c.p);
		assert_int_equal(write(c.p[1], "y", 1), 1);
		assert_int_equal(
			skit_loop_add(l, c.p[0], SKIT_EV_READ, pair_cb, &c), 0);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(c.calls, 1);
		assert_int_equal(alive->calls, 1);
		fd = alive->p[0];
		assert_int_equal(skit_loop_close(l, fd), 0);
		assert_int_equal(fcntl(fd, F_GETFD), -1);
		assert_int_equal(skit_loop_count(l), 1);
		assert_int_equal(skit_loop_close(l, c.p[0]), 0);
		assert_int_equal(skit_loop_count(l), 0);
		fd = dup(a.p[1]);
		assert_true(fd >= 0);
		assert_int_equal(skit_loop_close(l, fd), 0);
		assert_int_equal(fcntl(fd, F_GETFD), -1);
		close(a.p[1]);
		close(b.p[1]);
		close(c.p[1]);
	}
}

/*
 * SKIT_EV_EXCLUSIVE: events still come, and keep coming across a pause
 * (events 0) and a change of events, which the loop does by adding the
 * fd again (epoll cannot modify an exclusive registration). The poll
 * backend ignores the flag.
 */
static void
test_exclusive(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct pair a = { 0 };

		mkpipe(a.p);
		assert_int_equal(write(a.p[1], "x", 1), 1);
		assert_int_equal(skit_loop_add(l, a.p[0],
					       SKIT_EV_READ | SKIT_EV_EXCLUSIVE,
					       pair_cb, &a),
				 0);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(a.calls, 1);
		assert_int_equal(write(a.p[1], "x", 1), 1);
		assert_int_equal(skit_loop_mod(l, a.p[0], 0), 0);
		assert_int_equal(skit_loop_run_once(l, 20), 0);
		assert_int_equal(skit_loop_mod(l, a.p[0], SKIT_EV_READ), 0);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(a.calls, 2);
		assert_int_equal(
			skit_loop_mod(l, a.p[0], SKIT_EV_READ | SKIT_EV_WRITE),
			0);
		assert_int_equal(write(a.p[1], "x", 1), 1);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(a.calls, 3);
		assert_int_equal(skit_loop_del(l, a.p[0]), 0);
		close(a.p[0]);
		close(a.p[1]);
	}
}

static int released_fd = -1;
static void *released_data;

static void
release_cb(int fd, void *data)
{
	released_fd = fd;
	released_data = data;
	close(fd);
}

/* skit_loop_own: freeing the loop releases what still lives on it. */
static void
test_own(void **state)
{
	(void)state;
	for (size_t bi = 0; bi < 2; bi++) {
		struct skit_loop *l = new_loop(backends[bi]);
		struct pair a = { 0 }, b = { 0 };

		mkpipe(a.p);
		mkpipe(b.p);
		assert_int_equal(skit_loop_own(l, a.p[0], release_cb), -ENOENT);
		assert_int_equal(
			skit_loop_add(l, a.p[0], SKIT_EV_READ, pair_cb, &a), 0);
		assert_int_equal(
			skit_loop_add(l, b.p[0], SKIT_EV_READ, pair_cb, &b), 0);
		assert_int_equal(skit_loop_own(l, a.p[0], release_cb), 0);
		assert_int_equal(skit_loop_own(l, b.p[0], release_cb), 0);
		/* A watcher deleted forgets its release. */
		assert_int_equal(skit_loop_del(l, b.p[0]), 0);
		released_fd = -1;
		skit_loop_free(l);
		assert_int_equal(released_fd, a.p[0]);
		assert_ptr_equal(released_data, &a);
		assert_int_equal(fcntl(a.p[0], F_GETFD), -1);
		assert_true(fcntl(b.p[0], F_GETFD) >= 0);
		close(a.p[1]);
		close(b.p[0]);
		close(b.p[1]);
	}
}

struct reuse {
	int self;
	struct reuse *other;
	int newp[2];
	int calls;
	int calls_new;
};

static void
reuse_new_cb(struct skit_loop *l, int fd, unsigned ev, void *data)
{
	struct reuse *r = data;
	char c;

	(void)l;
	(void)ev;
	(void)!read(fd, &c, 1);
	r->calls_new++;
}

/*
 * Remove and close the other watcher, then watch a new, readable pipe
 * that gets the freed fd number.
 */
static void
reuse_cb(struct skit_loop *l, int fd, unsigned ev, void *data)
{
	struct reuse *r = data, *o = r->other;
	char c;

	(void)ev;
	r->calls++;
	(void)!read(fd, &c, 1);
	if (o->self < 0)
		return;
	assert_int_equal(skit_loop_del(l, o->self), 0);
	close(o->self);
	mkpipe(r->newp);
	assert_int_equal(r->newp[0], o->self);
	o->self = -1;
	assert_int_equal(write(r->newp[1], "x", 1), 1);
	assert_int_equal(
		skit_loop_add(l, r->newp[0], SKIT_EV_READ, reuse_new_cb, r), 0);
}

/* A stale event for a reused fd number is not delivered to the new one. */
static void
test_reused_fd_number(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct reuse a = { 0 }, b = { 0 };
		int aw, bw;
		struct reuse *first;

		mkpipe(a.newp);
		a.self = a.newp[0];
		aw = a.newp[1];
		mkpipe(b.newp);
		b.self = b.newp[0];
		bw = b.newp[1];
		a.other = &b;
		b.other = &a;
		assert_int_equal(write(aw, "x", 1), 1);
		assert_int_equal(write(bw, "x", 1), 1);
		assert_int_equal(
			skit_loop_add(l, a.self, SKIT_EV_READ, reuse_cb, &a),
			0);
		assert_int_equal(
			skit_loop_add(l, b.self, SKIT_EV_READ, reuse_cb, &b),
			0);
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		first = a.calls ? &a : &b;
		assert_int_equal(a.calls + b.calls, 1);
		assert_int_equal(first->calls_new, 0);
		/* The next wakeup delivers the new pipe's own event. */
		assert_int_equal(skit_loop_run_once(l, 1000), 1);
		assert_int_equal(first->calls_new, 1);
		assert_int_equal(skit_loop_count(l), 2);
		skit_loop_del(l, first->self);
		skit_loop_del(l, first->newp[0]);
		close(first->self);
		close(first->newp[0]);
		close(first->newp[1]);
		close(aw);
		close(bw);
	}
}

static void
stop_cb(struct skit_loop *l, int fd, unsigned ev, void *data)
{
	int *calls = data;

	(void)fd;
	(void)ev;
	(*calls)++;
	skit_loop_stop(l);
}

static void
test_stop(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		int calls = 0;
		int a[2], b[2];

		mkpipe(a);
		mkpipe(b);
		assert_int_equal(write(a[1], "x", 1), 1);
		assert_int_equal(write(b[1], "x", 1), 1);
		skit_loop_add(l, a[0], SKIT_EV_READ, stop_cb, &calls);
		skit_loop_add(l, b[0], SKIT_EV_READ, stop_cb, &calls);
		/* Level-triggered and never drained: only stop ends it. */
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(calls, 1);
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(calls, 2);
		skit_loop_del(l, a[0]);
		skit_loop_del(l, b[0]);
		close(a[0]);
		close(a[1]);
		close(b[0]);
		close(b[1]);
	}
}

/* epoll cannot watch a regular file: the loop reports it always ready. */
static void
test_regular_file(void **state)
{
	(void)state;
	FOR_BACKENDS(l)
	{
		struct pair a = { .close_self = true };
		char path[] = "/tmp/skit-test-loop-XXXXXX";

		a.p[0] = mkstemp(path);
		assert_true(a.p[0] >= 0);
		unlink(path);
		assert_int_equal(
			skit_loop_add(l, a.p[0], SKIT_EV_READ, pair_cb, &a), 0);
		assert_int_equal(skit_loop_run(l), 0);
		assert_int_equal(a.calls, 1);
		assert_true(a.last & SKIT_EV_READ);
	}
}

struct many {
	int calls;
	int *rfd;
};

static void
many_cb(struct skit_loop *l, int fd, unsigned ev, void *data)
{
	struct many *m = data;
	char c;

	assert_true(ev & SKIT_EV_READ);
	assert_int_equal(read(fd, &c, 1), 1);
	m->calls++;
	assert_int_equal(skit_loop_del(l, fd), 0);
}

/* Thousands of fds, more ready at once than the per-wakeup budget. */
static void
test_thousands_of_fds(void **state)
{
	struct rlimit rl;
	int n = 2000;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < (rlim_t)(2 * n + 64)) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)(2 * n + 64)
				      ? rl.rlim_max
				      : (rlim_t)(2 * n + 64);
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)(2 * n + 64))
			n = (int)(rl.rlim_cur - 64) / 2;
	}
	assert_true(n >= 500);
	FOR_BACKENDS(l)
	{
		struct many m = { 0 };
		int(*p)[2] = calloc((size_t)n, sizeof(*p));
		int wakeups = 0;

		assert_non_null(p);
		for (int i = 0; i < n; i++) {
			mkpipe(p[i]);
			assert_int_equal(write(p[i][1], "x", 1), 1);
			assert_int_equal(skit_loop_add(l, p[i][0], SKIT_EV_READ,
						       many_cb, &m),
					 0);
		}
		assert_int_equal(skit_loop_count(l), n);
		while (skit_loop_count(l) > 0 && wakeups < 1000) {
			int rc = skit_loop_run_once(l, 1000);

			assert_true(rc > 0);
			/* The work budget bounds one wakeup. */
			assert_true(rc <= 256);
			wakeups++;
		}
		assert_int_equal(m.calls, n);
		assert_true(wakeups >= n / 256);
		for (int i = 0; i < n; i++) {
			close(p[i][0]);
			close(p[i][1]);
		}
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_in_order),
		cmocka_unit_test(test_equal_deadlines_fifo),
		cmocka_unit_test(test_timer_cancel),
		cmocka_unit_test(test_timer_rearm_no_starvation),
		cmocka_unit_test(test_add_mod_del_errors),
		cmocka_unit_test(test_idle_watcher_gets_no_hup),
		cmocka_unit_test(test_write_readiness),
		cmocka_unit_test(test_remove_self_in_callback),
		cmocka_unit_test(test_remove_other_in_callback),
		cmocka_unit_test(test_reused_fd_number),
		cmocka_unit_test(test_loop_close),
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_own),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_thousands_of_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
