/*
 * bench_fast.c - the blocking fast path of the load generator: rr or
 * crr with one connection on a thread. The worker waits for each reply in
 * read(), like sockperf, so the measurement is the transport's and not the
 * poller's; the caller's thread is the watchdog (bench_watchdog) that
 * shuts the socket down when a request is older than the time-out or the
 * run is stopped, which wakes the read.
 */
#include "engine/bench_int.h"

#include <errno.h>
#include <string.h>

#include "skit/io.h"
#include "net/sock_int.h" /* skit__connect */

#define FAST_MAX_BREAKS	   50	/* crr: broken cycles in a row, then stop */
#define FAST_MAX_CONNFAILS 1000 /* crr: failed connects in a row */

/* The first failed connect is the run's error. */
static void
fast_fatal_conn(struct bench_worker *w)
{
	if (!w->err && w->conn_err) {
		w->err = w->conn_err;
		w->errrec = w->conn_errrec;
	}
}

static void
fast_close(struct bench_worker *w, struct bench_conn *c)
{
	pthread_mutex_lock(&w->fdlock);
	w->fast_fd = -1;
	pthread_mutex_unlock(&w->fdlock);
	if (c->fd >= 0)
		skit_close(c->fd);
	c->fd = -1;
}

/*
 * crr over tcp can connect the way a minimal client does: one address,
 * no proxy=, bind= or connect-timeout= to honour. skit_dial's
 * nonblocking connect costs four system calls more per cycle (a poll,
 * SO_ERROR, the flags read and cleared) and a private loop's
 * allocations. Not unix: a blocking unix connect that waits for room in
 * a full backlog sleeps on the listener, and a shutdown of our socket
 * does not wake it (the dial retries such a connect on a timer).
 */
static bool
fast_direct(const struct skit_bench *b)
{
	int fam = b->res.n == 1 ? b->res.v[0].family : AF_UNSPEC;

	return b->cfg.mode == SKIT_BENCH_CRR && b->type == SOCK_STREAM &&
	       (fam == AF_INET || fam == AF_INET6) &&
	       !skit_addr_has(&b->addr, SKIT_OPT_PROXY) &&
	       !skit_addr_has(&b->addr, SKIT_OPT_BIND) &&
	       !skit_addr_has(&b->addr, SKIT_OPT_CONNECT_TIMEOUT);
}

/*
 * The direct connect: socket, the address's options, a blocking
 * connect(). The fd is published first, and the connect timed as the
 * request is, so the watchdog's shutdown ends a connect that waits
 * (time-out, stop). The fd, or a code (counted as a failed connect).
 */
static int
fast_connect(struct bench_worker *w, struct bench_conn *c)
{
	const struct skit_sockaddr *sa = &w->b->res.v[0];
	struct skit_err err;
	int fd, r;

	skit_err_clear(&err);
	fd = skit_socket(sa->family, sa->type, sa->protocol, false);
	if (fd < 0) {
		skit_err_set(&err, fd, "socket", w->b->where);
		bench_conn_failed(c, fd, &err);
		return fd;
	}
	r = skit_sock_apply_opts(fd, &w->b->addr, sa, &err);
	if (r == 0) {
		pthread_mutex_lock(&w->fdlock);
		w->fast_fd = fd;
		pthread_mutex_unlock(&w->fdlock);
		if (atomic_load(&w->abort)) {
			r = -ECANCELED;
		} else {
			atomic_store_explicit(&w->inflight_t0, c->tcycle,
					      memory_order_relaxed);
			r = skit__connect(fd, sa);
			atomic_store_explicit(&w->inflight_t0, 0,
					      memory_order_relaxed);
		}
		if (r < 0 && atomic_load(&w->abort))
			r = -ECANCELED;
		else if (r < 0 && atomic_load(&w->wd_fired))
			r = -ETIMEDOUT;
		atomic_store(&w->wd_fired, false);
		if (r < 0)
			skit_err_set(&err, r, "connect", w->b->where);
	}
	if (r < 0) {
		pthread_mutex_lock(&w->fdlock);
		w->fast_fd = -1;
		pthread_mutex_unlock(&w->fdlock);
		skit_close(fd);
		if (r == -ECANCELED)
			w->stopping = true;
		else
			bench_conn_failed(c, r, &err);
		return r;
	}
	bench_add(&w->conn_ok, 1);
	return fd;
}

/* Dial c blocking (skit_dial; the stop fd ends a connect that waits;
 * crr directly, fast_connect). A failure is counted
 * (bench_conn_failed); the caller decides whether it is fatal. */
static int
fast_open(struct bench_worker *w, struct bench_conn *c)
{
	int fd;

	if (fast_direct(w->b)) {
		c->fd = fast_connect(w, c);
		return c->fd < 0 ? c->fd : 0;
	}
	fd = bench_dial_wait(c, 0); /* blocking */
	if (fd < 0)
		return fd;
	/*
	 * The fast path sends blocking: a message receiver that stopped
	 * reading must not hold the send for ever (the time-out, then
	 * SKIT_EFULL).
	 */
	if (bench_msg_based(w->b))
		(void)skit_sock_send_timeout(fd, (int)w->cfg->timeout_ms);
	c->fd = fd;
	pthread_mutex_lock(&w->fdlock);
	w->fast_fd = c->fd;
	pthread_mutex_unlock(&w->fdlock);
	return 0;
}

/* A read or write failed: time-out, stop, or a real error. Returns 1
 * when the request counts as lost and the loop goes on, 2 when a crr
 * cycle broke and is tried again, -1 to stop. */
static int
fast_failed(struct bench_worker *w, struct bench_conn *c, ssize_t n)
{
	const struct skit_bench_cfg *cfg = w->cfg;

	if (atomic_load(&w->abort))
		return -1;
	if (atomic_load(&w->wd_fired)) {
		if (!bench_is_dgram(w->b)) {
			bench_fatal(w, SKIT_ENOREPLY, "bench",
				    "no reply within %lld ms (is it an echo "
				    "server?)",
				    (long long)cfg->timeout_ms);
			return -1;
		}
		/* Lost: a fresh socket (the old one was shut down). */
		fast_close(w, c);
		atomic_store(&w->wd_fired, false);
		if (fast_open(w, c) < 0) {
			fast_fatal_conn(w);
			return -1;
		}
		return 1;
	}
	/* crr: a connection broken before its reply is tried again, up
	 * to a limit (as on the loop). */
	if (cfg->mode == SKIT_BENCH_CRR &&
	    (n == 0 || n == -ECONNRESET || n == -EPIPE) &&
	    ++w->breaks_row < FAST_MAX_BREAKS) {
		w->breaks++;
		return 2;
	}
	if (n == 0)
		bench_fatal(w, SKIT_ETRUNC, "bench",
			    "the server closed the connection before replying");
	else
		bench_fatal(w, (int)n, n < 0 ? "receive from" : "bench", NULL);
	return -1;
}

/* The reply to a message request; 0 done, 1 lost, -1 stop. */
static int
fast_msg_reply(struct bench_worker *w, struct bench_conn *c, int64_t *t1)
{
	const struct skit_bench_cfg *cfg = w->cfg;
	size_t size = (size_t)cfg->size;
	ssize_t n;

	for (;;) {
		n = skit_recvfrom(c->fd, w->rbuf, w->bufsz, 0, NULL, NULL);
		*t1 = skit_now_ns();
		if (n < 0 || (n == 0 && (w->b->type == SOCK_SEQPACKET ||
					 atomic_load(&w->wd_fired) ||
					 atomic_load(&w->abort))))
			return fast_failed(w, c, n);
		if (bench_is_dgram(w->b) && size >= 8 && (size_t)n == size &&
		    memcmp(w->rbuf, w->sbuf, 8) != 0) {
			w->late++;
			continue;
		}
		break;
	}
	if ((size_t)n != size) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "the reply has %zd bytes, the request %zu", n,
			    size);
		return -1;
	}
	return bench_check_reply(c, w->rbuf, 0, size) ? 0 : -1;
}

/*
 * One request and its reply; 0 done, 1 lost, -1 stop. *t1 is when the
 * last read returned: the reply is checked after the clock stops, so
 * the sample is the transport's round trip and not our checking too.
 */
static int
fast_exchange(struct bench_worker *w, struct bench_conn *c, int64_t *t1)
{
	const struct skit_bench_cfg *cfg = w->cfg;
	size_t size = (size_t)cfg->size, got = 0;
	bool msg = bench_msg_based(w->b);
	ssize_t n;

	/*
	 * The watchdog times the reply: a stream's send too (its
	 * shutdown() wakes a send stuck on a peer that does not read); a
	 * message's send is bounded by the socket's send time-out instead
	 * (fast_open), after which the receiver is known to be full.
	 */
	if (!msg)
		atomic_store_explicit(&w->inflight_t0, c->t0,
				      memory_order_relaxed);
	for (size_t sent = 0; sent < size;) {
		n = skit_sendto(c->fd, w->sbuf + sent, size - sent, 0, NULL, 0);
		if (n == -EAGAIN && msg) {
			bench_fatal(w, SKIT_EFULL, "bench", NULL);
			return -1;
		}
		if (n < 0)
			return fast_failed(w, c, n);
		sent += (size_t)n;
		if (msg)
			break;
	}
	atomic_store_explicit(&w->inflight_t0, c->t0, memory_order_relaxed);
	if (msg)
		return fast_msg_reply(w, c, t1);
	while (got < size) {
		n = skit_recvfrom(c->fd, w->rbuf, size - got, 0, NULL, NULL);
		*t1 = skit_now_ns();
		if (n <= 0)
			return fast_failed(w, c, n);
		if (!bench_check_reply(c, w->rbuf, got, (size_t)n))
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* crr: this cycle's connection; 0, 1 to try again, -1 to stop. */
static int
crr_open(struct bench_worker *w, struct bench_conn *c)
{
	int r = fast_open(w, c);

	if (r == 0) {
		w->fails_row = 0;
		return 0;
	}
	if (r == -ECANCELED || atomic_load(&w->abort))
		return -1;
	/* Refused from the start: nothing listens. */
	if (!bench_get(&w->conn_ok) || ++w->fails_row >= FAST_MAX_CONNFAILS) {
		fast_fatal_conn(w);
		return -1;
	}
	return 1;
}

/*
 * rr with one connection on the thread, or crr with one: request after
 * request in blocking calls (crr: dial, request, reply, close, the
 * sample covering the whole cycle).
 */
void
bench_run_fast(struct bench_worker *w)
{
	const struct skit_bench_cfg *cfg = w->cfg;
	struct bench_conn *c = &w->conns[0];
	bool crr = cfg->mode == SKIT_BENCH_CRR;
	int64_t now = skit_now_ns(), end = 0;
	int64_t warm_end = now + cfg->warmup_ms * 1000000;

	if (!crr && fast_open(w, c) < 0) {
		fast_fatal_conn(w);
		return;
	}
	for (;;) {
		int64_t t1 = 0;
		int r;

		if (atomic_load(&w->abort) || w->err || w->stopping)
			break;
		if (!w->t_count && now >= warm_end) {
			w->t_count = now;
			atomic_store(&w->counting, true);
			if (!w->quota && cfg->duration_ms > 0)
				end = now + cfg->duration_ms * 1000000;
		}
		if ((end && now >= end) || (w->quota && w->done >= w->quota)) {
			w->t_end = now;
			break;
		}
		c->seq = ((uint64_t)c->idx << 40) | ++w->seqno;
		c->counted = w->t_count != 0;
		if (crr) {
			c->tcycle = skit_now_ns();
			r = crr_open(w, c);
			if (r < 0)
				break;
			if (r > 0) {
				now = skit_now_ns();
				continue;
			}
		}
		bench_stamp(cfg, w->sbuf, c->seq);
		/*
		 * The clock starts right before the request goes out, not
		 * where the last round's bookkeeping left it. The watchdog
		 * only needs to see the start eventually: relaxed stores
		 * (fast_exchange makes them).
		 */
		c->t0 = skit_now_ns();
		r = fast_exchange(w, c, &t1);
		atomic_store_explicit(&w->inflight_t0, 0, memory_order_relaxed);
		/* crr: the sample ends with the reply, as on the loop; the
		 * close is in the rate, not in the latency. */
		if (crr)
			fast_close(w, c);
		if (r < 0)
			break;
		now = skit_now_ns();
		if (r == 2)
			continue; /* a broken crr cycle: again */
		w->breaks_row = 0;
		if (!c->counted)
			continue;
		w->done++;
		if (r == 1) {
			bench_add(&c->ctr.lost, 1);
			continue;
		}
		skit_hist_record(w->hist,
				 (uint64_t)(t1 - (crr ? c->tcycle : c->t0)));
		bench_add(&c->ctr.requests, 1);
		bench_add(&c->ctr.tx, (uint64_t)cfg->size);
		bench_add(&c->ctr.rx, (uint64_t)cfg->size);
	}
	if (!w->t_end)
		w->t_end = skit_now_ns();
	/* Stopped during the warm-up: nothing was counted, in no time. */
	if (!w->t_count)
		w->t_count = w->t_end;
	fast_close(w, c);
}

void
bench_watchdog(struct skit_bench *b)
{
	int64_t now = skit_now_ns(), lim = b->cfg.timeout_ms * 1000000;

	for (int t = 0; t < b->cfg.threads; t++) {
		struct bench_worker *x = &b->w[t];
		int64_t t0;

		if (!x->fast)
			continue;
		t0 = atomic_load(&x->inflight_t0);
		if (!t0 || now - t0 < lim || atomic_load(&x->wd_fired))
			continue;
		pthread_mutex_lock(&x->fdlock);
		if (x->fast_fd >= 0 && atomic_load(&x->inflight_t0) == t0) {
			atomic_store(&x->wd_fired, true);
			skit_shutdown(x->fast_fd, SHUT_RDWR);
		}
		pthread_mutex_unlock(&x->fdlock);
	}
}
