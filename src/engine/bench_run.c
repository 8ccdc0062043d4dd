/*
 * bench_run.c - the event-loop path of the load generator (skit/bench.h):
 * one loop per worker thread, every connection of the worker on it,
 * dialled on that loop (skit_dial_start: rr, crr, throughput), so a
 * connect in progress never holds up the others' replies.
 *
 * rr: each connection has one request in flight: write SIZE bytes, read
 * SIZE bytes back, check them, record the time, send the next (with a
 * window of several in flight: bench_pipe.c). crr: the
 * same with a fresh connection per request. throughput: each stream
 * writes as fast as the socket takes it (unless receiving only) and
 * reads whatever comes back. conns: dial the worker's share one after
 * another (waiting for each dial, as the fast path does), probe each,
 * hold them.
 */
#include "engine/bench_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skit/io.h"

#define SCAN_MS		  50   /* how often time-outs are checked */
#define CRR_MAX_BREAKS	  50   /* crr: broken cycles in a row, then stop */
#define CRR_MAX_CONNFAILS 1000 /* crr: failed connects in a row */
#define PROBE_WAIT_MS	  10   /* conns: how often the end looks again */
#define STREAM_WRITES	  8    /* throughput: writes per writable event */

/* The first connect error becomes the worker's fatal one. */
static void
fatal_conn(struct bench_worker *w)
{
	if (!w->err) {
		w->err = w->conn_err;
		w->errrec = w->conn_errrec;
	}
	w->stopping = true;
	skit_loop_stop(w->loop);
}

static void
conn_close(struct bench_conn *c)
{
	if (c->dial) {
		skit_dial_cancel(c->dial);
		c->dial = NULL;
	}
	if (c->fd < 0)
		return;
	if (c->lc) {
		/* close_notify if the socket takes it now; no waiting */
		(void)skit_conn_shutdown(c->lc);
		skit_conn_free(c->lc); /* does not own the fd */
		c->lc = NULL;
	}
	/* No epoll_ctl(DEL): close() takes it out of the epoll set. */
	skit_loop_close(c->w->loop, c->fd);
	c->fd = -1;
	c->ev = 0;
}

static void on_io(struct skit_loop *loop, int fd, unsigned events, void *data);
static void on_dialled(struct skit_dial *d, int code,
		       const struct skit_dial_result *res,
		       const struct skit_err *err, void *data);

/* Start dialling c on the worker's loop; false (and fatal) if it could
 * not even start. */
static bool
conn_dial(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	struct skit_dial_cfg dc;
	struct skit_addr own;
	struct skit_err err;
	int r;

	bench_dial_cfg(w->b, &dc);
	dc.on_done = on_dialled;
	dc.data = c;
	c->st = C_DIAL;
	r = skit_dial_start(w->loop, bench_dial_addr(c, &own), &dc, &c->dial,
			    &err);
	if (r < 0) {
		c->st = C_IDLE;
		c->dial = NULL;
		bench_conn_failed(c, r, &err);
		fatal_conn(w);
		return false;
	}
	return true;
}

/* Watch c's fd for ev (what its layers need for it, when it has
 * some); a system call only when that changes (an rr connection waits
 * for reads, request after request). */
void
bench_want(struct bench_conn *c, unsigned ev)
{
	if (c->lc)
		ev = skit_conn_events(c->lc, ev);
	if (c->ev == ev)
		return;
	if (skit_loop_mod(c->w->loop, c->fd, ev) == 0)
		c->ev = ev;
}

static void conn_dropped(struct bench_conn *c);
static bool cycle_broken(struct bench_conn *c);

/* Write what is left of the request; false when c was closed. */
static bool
send_more(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	size_t size = (size_t)w->cfg->size;
	ssize_t n;

	/* The buffer is shared by the worker's connections: stamp again. */
	bench_stamp(w->cfg, w->sbuf, c->seq);
	n = bench_send(c, w->sbuf + c->sent, size - c->sent);
	if (n == -EAGAIN) {
		bench_want(c, SKIT_EV_READ | SKIT_EV_WRITE);
		return true;
	}
	if (n < 0 && w->cfg->mode == SKIT_BENCH_CONNS) {
		conn_dropped(c);
		return false;
	}
	if (n < 0) {
		if (!cycle_broken(c))
			bench_fatal(w, (int)n, "send to", NULL);
		return false;
	}
	c->sent += (size_t)n;
	if (bench_msg_based(w->b) || c->sent == size) {
		c->sent = size;
		c->st = C_WAIT;
		bench_want(c, SKIT_EV_READ);
	} else {
		bench_want(c, SKIT_EV_READ | SKIT_EV_WRITE);
	}
	return true;
}

bool
bench_more_requests(struct bench_worker *w)
{
	if (w->stopping)
		return false;
	return !w->quota || w->issued < w->quota;
}

static void start_cycle(struct bench_conn *c);

/* Begin the next request on c (rr, crr, conns probe). */
static void
start_request(struct bench_conn *c)
{
	struct bench_worker *w = c->w;

	c->seq = ((uint64_t)c->idx << 40) | ++w->seqno;
	/* crr counts its cycle as issued when its dial starts. */
	if (w->cfg->mode != SKIT_BENCH_CRR) {
		c->counted = atomic_load_explicit(&w->counting,
						  memory_order_relaxed);
		if (c->counted)
			w->issued++;
	}
	bench_stamp(w->cfg, w->sbuf, c->seq);
	c->sent = c->got = 0;
	c->st = C_SEND;
	c->t0 = skit_now_ns();
	send_more(c);
}

void
bench_worker_done(struct bench_worker *w, int64_t now)
{
	w->t_end = now;
	w->stopping = true;
	skit_loop_stop(w->loop);
}

/* A reply is complete. */
static void
request_done(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	const struct skit_bench_cfg *cfg = w->cfg;
	int64_t now = skit_now_ns();

	w->breaks_row = 0;
	if (cfg->mode == SKIT_BENCH_CONNS) {
		w->served++;
		c->st = C_HOLD;
		return;
	}
	if (cfg->mode == SKIT_BENCH_CRR)
		conn_close(c);
	if (c->counted) {
		w->done++;
		skit_hist_record(w->hist,
				 (uint64_t)(now - (cfg->mode == SKIT_BENCH_CRR
							   ? c->tcycle
							   : c->t0)));
		bench_add(&c->ctr.requests, 1);
		bench_add(&c->ctr.tx, (uint64_t)cfg->size);
		bench_add(&c->ctr.rx, (uint64_t)cfg->size);
	}
	if (w->quota && w->done >= w->quota) {
		bench_worker_done(w, now);
		return;
	}
	if (!bench_more_requests(w)) {
		conn_close(c);
		c->st = C_DONE;
		return;
	}
	if (cfg->mode == SKIT_BENCH_CRR)
		start_cycle(c);
	else
		start_request(c);
}

/* crr: connect, then the request. The cycle is issued (and counted or
 * not) as the dial starts, so connections in flight never dial more
 * cycles than asked for. */
static void
start_cycle(struct bench_conn *c)
{
	struct bench_worker *w = c->w;

	if (!bench_more_requests(w)) {
		c->st = C_IDLE;
		return;
	}
	c->counted = atomic_load_explicit(&w->counting, memory_order_relaxed);
	if (c->counted)
		w->issued++;
	c->tcycle = skit_now_ns();
	(void)conn_dial(c);
}

/* conns: the server closed or reset a held connection (max-conns,
 * limits): counted, not fatal. */
static void
conn_dropped(struct bench_conn *c)
{
	c->w->closed++;
	conn_close(c);
	c->st = C_IDLE;
}

/*
 * crr: a connection that breaks before its reply (reset, EOF) is counted
 * and the cycle starts again, as long as the server answers now and then;
 * CRR_MAX_BREAKS in a row stop the run. Returns false when it is not crr
 * or the limit is reached (the caller then reports the error).
 */
static bool
cycle_broken(struct bench_conn *c)
{
	struct bench_worker *w = c->w;

	if (w->cfg->mode != SKIT_BENCH_CRR || ++w->breaks_row >= CRR_MAX_BREAKS)
		return false;
	w->breaks++;
	if (c->counted)
		w->issued--; /* not done: it is tried again */
	conn_close(c);
	start_cycle(c);
	return true;
}

/* A message reply (udp, unix-dgram, seqpacket). */
static void
on_msg_reply(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	const struct skit_bench_cfg *cfg = w->cfg;
	size_t size = (size_t)cfg->size;
	bool seqpacket = w->b->type == SOCK_SEQPACKET;
	ssize_t n;

	n = skit_recvfrom(c->fd, w->rbuf, w->bufsz, 0, NULL, NULL);
	if (n == -EAGAIN)
		return;
	if (cfg->mode == SKIT_BENCH_CONNS && (n < 0 || (n == 0 && seqpacket))) {
		conn_dropped(c);
		return;
	}
	if ((n < 0 || (n == 0 && seqpacket)) && cycle_broken(c))
		return;
	if (n < 0) {
		bench_fatal(w, (int)n, "receive from", NULL);
		return;
	}
	if (n == 0 && seqpacket) {
		bench_fatal(w, SKIT_ETRUNC, "bench",
			    "the server closed the connection");
		return;
	}
	if (c->st != C_WAIT) {
		w->late++;
		return;
	}
	/* The buffer is shared by the worker's connections. */
	bench_stamp(cfg, w->sbuf, c->seq);
	if (bench_is_dgram(w->b) && size >= 8 && (size_t)n == size &&
	    memcmp(w->rbuf, w->sbuf, 8) != 0) {
		w->late++; /* an answer to an earlier, lost request */
		return;
	}
	if ((size_t)n != size) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "the reply has %zd bytes, the request %zu", n,
			    size);
		return;
	}
	if (bench_check_reply(c, w->rbuf, 0, size))
		request_done(c);
}

static void
on_reply(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	const struct skit_bench_cfg *cfg = w->cfg;
	size_t size = (size_t)cfg->size;
	ssize_t n;

	if (bench_msg_based(w->b)) {
		on_msg_reply(c);
		return;
	}
	n = bench_recv(c, w->rbuf, size - c->got);
	if (n == -EAGAIN)
		return;
	if (cfg->mode == SKIT_BENCH_CONNS && n <= 0) {
		conn_dropped(c);
		return;
	}
	if (n <= 0 && cycle_broken(c))
		return;
	if (n < 0) {
		bench_fatal(w, (int)n, "receive from", NULL);
		return;
	}
	if (n == 0) {
		bench_fatal(w, SKIT_ETRUNC, "bench",
			    "the server closed the connection before replying");
		return;
	}
	if (c->st != C_WAIT && c->st != C_SEND) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "the server sent data nobody asked for");
		return;
	}
	bench_stamp(cfg, w->sbuf, c->seq);
	if (!bench_check_reply(c, w->rbuf, c->got, (size_t)n))
		return;
	c->got += (size_t)n;
	if (c->got == size && c->sent == size)
		request_done(c);
}

/* throughput: a stream is over (its share moved, the server closed). */
static void
stream_done(struct bench_conn *c)
{
	struct bench_worker *w = c->w;

	conn_close(c);
	c->st = C_DONE;
	if (++w->done >= (uint64_t)w->nconn)
		bench_worker_done(w, skit_now_ns());
}

static void
stream_io(struct bench_conn *c, unsigned events)
{
	struct bench_worker *w = c->w;
	const struct skit_bench_cfg *cfg = w->cfg;
	bool counting =
		atomic_load_explicit(&w->counting, memory_order_relaxed);
	bool recv_quota = cfg->bytes && cfg->dir == SKIT_BENCH_RECV;
	ssize_t n;

	/*
	 * Writable: write again while whole writes go through (up to
	 * STREAM_WRITES), as iperf3 does, instead of one write per loop
	 * turn: a poll per write is a system call per write saved. A short
	 * write means the socket is full: back to the loop.
	 */
	for (int k = 0;
	     (events & SKIT_EV_WRITE) && !c->shut && k < STREAM_WRITES; k++) {
		size_t len = (size_t)cfg->size;

		if (cfg->bytes && c->quota_left < len)
			len = (size_t)c->quota_left;
		n = len ? bench_send(c, w->sbuf, len) : 0;
		if (n < 0 && n != -EAGAIN) {
			bench_fatal(w, (int)n, "send to", NULL);
			return;
		}
		if (n > 0) {
			if (counting)
				bench_add(&c->ctr.tx, (uint64_t)n);
			if (cfg->bytes)
				c->quota_left -= (uint64_t)n;
		}
		if (cfg->bytes && !c->quota_left) {
			/* Our share is sent: EOF, then read until the
			 * server closes. */
			if (c->lc)
				(void)skit_conn_shutdown(c->lc);
			else
				skit_shutdown(c->fd, SHUT_WR);
			c->shut = true;
			bench_want(c, SKIT_EV_READ);
		}
		if (n < (ssize_t)len || w->stopping)
			break;
	}
	if (!(events & (SKIT_EV_READ | SKIT_EV_HUP | SKIT_EV_ERROR)))
		return;
	{
		size_t len = w->bufsz;

		/* bytes when receiving: never read past our share. */
		if (recv_quota && c->quota_left < len)
			len = (size_t)c->quota_left;
		n = bench_recv(c, w->rbuf, len);
	}
	if (n == -EAGAIN)
		return;
	if (n < 0) {
		bench_fatal(w, (int)n, "receive from", NULL);
		return;
	}
	if (n == 0) {
		if (!c->shut && !recv_quota) {
			bench_fatal(w, SKIT_ETRUNC, "bench",
				    "the server closed the connection");
			return;
		}
		stream_done(c);
		return;
	}
	if (counting)
		bench_add(&c->ctr.rx, (uint64_t)n);
	if (recv_quota) {
		c->quota_left -= (uint64_t)n < c->quota_left ? (uint64_t)n
							     : c->quota_left;
		if (!c->quota_left) {
			c->shut = true;
			stream_done(c);
		}
	}
}

static void on_io1(struct bench_conn *c, unsigned events);
static void handshake_step(struct bench_conn *c);

static void
on_io(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	struct bench_conn *c = data;
	int rc;

	(void)loop;
	(void)fd;
	if (!c->lc) {
		on_io1(c, events);
		return;
	}
	if (c->st == C_HS) {
		handshake_step(c);
		return;
	}
	rc = c->shut ? skit_conn_shutdown(c->lc) : skit_conn_flush(c->lc);
	if (rc < 0 && rc != -EAGAIN) {
		bench_fatal(c->w, rc, "send to", NULL);
		return;
	}
	on_io1(c, events);
	/* Records already decoded wait for no readable fd. */
	for (int i = 0; i < 64 && c->fd >= 0 && c->lc &&
			skit_conn_pending(c->lc) && !c->w->stopping;
	     i++)
		on_io1(c, SKIT_EV_READ);
}

static void
on_io1(struct bench_conn *c, unsigned events)
{
	const struct skit_bench_cfg *cfg = c->w->cfg;

	if (cfg->mode == SKIT_BENCH_THROUGHPUT) {
		if (c->udp)
			bench_udp_io(c, events);
		else
			stream_io(c, events);
		return;
	}
	if (c->pipe) {
		bench_pipe_io(c, events);
		return;
	}
	if (c->st == C_HOLD) {
		/* Held connection: only EOF or an error is expected. */
		ssize_t n = bench_recv(c, c->w->rbuf, c->w->bufsz);

		if (n == -EAGAIN || n > 0)
			return;
		conn_dropped(c);
		return;
	}
	if ((events & SKIT_EV_WRITE) && c->st == C_SEND) {
		if (!send_more(c))
			return;
	}
	if (events & (SKIT_EV_READ | SKIT_EV_HUP | SKIT_EV_ERROR))
		on_reply(c);
}

/* conns: a probe is still on its way. */
static bool
probes_pending(const struct bench_worker *w)
{
	for (int i = 0; i < w->nconn; i++)
		if (w->conns[i].st == C_SEND || w->conns[i].st == C_WAIT)
			return true;
	return false;
}

static void
on_end(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;

	/* udp throughput: the datagrams on their way are still counted. */
	if (w->cfg->mode == SKIT_BENCH_THROUGHPUT && bench_is_dgram(w->b) &&
	    !w->stopping && bench_udp_drain(w))
		return;
	/* conns: a probe sent is answered (or times out, on_scan) before
	 * the run ends, however short the hold. */
	if (w->cfg->mode == SKIT_BENCH_CONNS && !w->stopping &&
	    probes_pending(w)) {
		skit_loop_timer(loop, PROBE_WAIT_MS, on_end, w);
		return;
	}
	if (!w->t_end)
		w->t_end = skit_now_ns();
	w->stopping = true;
	skit_loop_stop(loop);
}

/* A datagram request without a reply in time (rr): lost, the next one
 * goes out; false when the worker is done. */
static bool
request_lost(struct bench_conn *c, int64_t now)
{
	struct bench_worker *w = c->w;

	if (c->counted) {
		w->done++;
		bench_add(&c->ctr.lost, 1);
	}
	if (w->quota && w->done >= w->quota) {
		bench_worker_done(w, now);
		return false;
	}
	if (bench_more_requests(w))
		start_request(c);
	else
		c->st = C_DONE;
	return true;
}

/* Periodic: requests without a reply for too long. */
static void
on_scan(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;
	const struct skit_bench_cfg *cfg = w->cfg;
	int64_t now = skit_now_ns(), lim = cfg->timeout_ms * 1000000;
	int busy = 0;

	for (int i = 0; i < w->nconn; i++)
		busy += w->conns[i].st != C_IDLE && w->conns[i].st != C_DONE;
	if (!busy && cfg->mode != SKIT_BENCH_CONNS) {
		on_end(loop, w);
		return;
	}
	for (int i = 0; i < w->nconn && !w->stopping; i++) {
		struct bench_conn *c = &w->conns[i];

		if ((c->st != C_WAIT && c->st != C_SEND) || now - c->t0 < lim)
			continue;
		if (c->st == C_SEND && bench_msg_based(w->b)) {
			/* Not even sent: the receiver's queue stays full. */
			bench_fatal(w, SKIT_EFULL, "bench", NULL);
			return;
		}
		if (bench_is_dgram(w->b) && cfg->mode == SKIT_BENCH_RR) {
			if (!request_lost(c, now))
				return;
			continue;
		}
		bench_fatal(w, SKIT_ENOREPLY, "bench",
			    "no reply within %lld ms (is it an echo server?)",
			    (long long)cfg->timeout_ms);
		return;
	}
	if (!w->stopping)
		skit_loop_timer(loop, SCAN_MS, on_scan, w);
}

static void
on_warm(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;

	w->t_count = skit_now_ns();
	atomic_store(&w->counting, true);
	if (!w->quota && w->cfg->duration_ms > 0 &&
	    w->cfg->mode != SKIT_BENCH_CONNS)
		skit_loop_timer(loop, w->cfg->duration_ms, on_end, w);
}

static void
on_abort(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	struct bench_worker *w = data;

	(void)fd;
	(void)events;
	if (!w->t_end)
		w->t_end = skit_now_ns();
	w->stopping = true;
	skit_loop_del(loop, w->b->stopfd);
	skit_loop_stop(loop);
}

/* The i-th of n shares of total (the first total % n get one more). */
static uint64_t
share(uint64_t total, uint64_t n, uint64_t i)
{
	return total / n + (i < total % n);
}

/* conns: every connection of the share was dialled: the hold begins. */
static void
conns_opened(struct bench_worker *w)
{
	w->setup_ns = skit_now_ns() - w->t_begin;
	if (!bench_get(&w->conn_ok) && w->conn_err) {
		fatal_conn(w);
		return;
	}
	if (w->cfg->size > 0)
		skit_loop_timer(w->loop, SCAN_MS, on_scan, w);
	w->t_count = skit_now_ns();
	atomic_store(&w->counting, true);
	if (w->cfg->duration_ms > 0 && !w->stopping)
		skit_loop_timer(w->loop, w->cfg->duration_ms, on_end, w);
}

/*
 * conns: dial the share one after another, each dial waited for
 * (skit_dial, the stop fd watched), each connection on the loop and
 * probed at once; the loop looks at the replies every 256. (Dialling
 * on the loop costs a loop turn and two more epoll_ctl calls per
 * connection: about a tenth of the setup rate.)
 */
static void
conns_open(struct bench_worker *w)
{
	for (int i = 0; i < w->nconn && !w->stopping; i++) {
		struct bench_conn *c = &w->conns[i];
		int fd = bench_dial_wait(c, SKIT_OPEN_NONBLOCK);

		if (fd == -ECANCELED)
			return;
		if (fd < 0) {
			if (fd == -ECONNREFUSED && !bench_get(&w->conn_ok))
				break; /* nothing listens */
			continue;
		}
		if (skit_loop_add(w->loop, fd, SKIT_EV_READ, on_io, c) < 0) {
			skit_conn_free(c->lc);
			c->lc = NULL;
			skit_close(fd);
			bench_fatal(w, -ENOMEM, "bench", NULL);
			return;
		}
		c->fd = fd;
		c->ev = SKIT_EV_READ;
		c->st = C_HOLD;
		if (w->cfg->size > 0)
			start_request(c);
		if ((i & 255) == 255)
			skit_loop_run_once(w->loop, 0);
	}
	conns_opened(w);
}

/* c's connect failed. */
static void
dial_failed(struct bench_conn *c, int code, const struct skit_err *err)
{
	struct bench_worker *w = c->w;

	c->st = C_IDLE;
	bench_conn_failed(c, code, err);
	switch (w->cfg->mode) {
	case SKIT_BENCH_CRR:
		/* Refused from the start: nothing listens; else again,
		 * up to a limit. */
		if (!bench_get(&w->conn_ok) ||
		    ++w->fails_row >= CRR_MAX_CONNFAILS) {
			fatal_conn(w);
			return;
		}
		if (c->counted)
			w->issued--; /* not done: it is tried again */
		start_cycle(c);
		return;
	default:
		fatal_conn(w);
		return;
	}
}

/* c is connected: its mode's work begins. */
static void
conn_ready(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	const struct skit_bench_cfg *cfg = w->cfg;

	switch (cfg->mode) {
	case SKIT_BENCH_THROUGHPUT:
		if (bench_is_dgram(w->b)) {
			if (bench_udp_start(c) < 0)
				bench_fatal(w, -ENOMEM, "bench", NULL);
			return;
		}
		c->st = C_STREAM;
		if (cfg->bytes)
			c->quota_left = share(w->quota, (uint64_t)w->nconn,
					      (uint64_t)(c - w->conns));
		bench_want(c, SKIT_EV_READ | (cfg->dir & SKIT_BENCH_SEND
						      ? SKIT_EV_WRITE
						      : 0));
		return;
	case SKIT_BENCH_CRR: /* issued as its dial started */
		start_request(c);
		return;
	default:
		if (c->pipe)
			bench_pipe_start(c);
		else if (bench_more_requests(w))
			start_request(c);
		else
			c->st = C_DONE;
		return;
	}
}

static void
on_dialled(struct skit_dial *d, int code, const struct skit_dial_result *res,
	   const struct skit_err *err, void *data)
{
	struct bench_conn *c = data;
	struct bench_worker *w = c->w;
	int r;

	(void)d;
	c->dial = NULL;
	if (code < 0) {
		dial_failed(c, code, err);
		return;
	}
	if (w->cfg->layer) {
		struct skit_err lerr;

		r = bench_layer_open(c, res->fd, &lerr);
		if (r < 0) {
			skit_close(res->fd);
			dial_failed(c, r, &lerr);
			return;
		}
	}
	r = skit_loop_add(w->loop, res->fd,
			  c->lc ? SKIT_EV_READ | SKIT_EV_WRITE : SKIT_EV_READ,
			  on_io, c);
	if (r < 0) {
		skit_conn_free(c->lc);
		c->lc = NULL;
		skit_close(res->fd);
		bench_fatal(w, r, "bench", NULL);
		return;
	}
	c->fd = res->fd;
	c->ev = c->lc ? SKIT_EV_READ | SKIT_EV_WRITE : SKIT_EV_READ;
	if (c->lc)
		c->st = C_HS;
	handshake_step(c);
}

/*
 * c is connected: a step of its layers' handshake on the loop (C_HS),
 * when it has layers; once done (at once without), counted and ready.
 */
static void
handshake_step(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	struct skit_err err;
	int rc = c->lc ? skit_conn_handshake(c->lc) : 0;

	if (rc == -EAGAIN) {
		bench_want(c, SKIT_EV_READ);
		return;
	}
	if (rc < 0) {
		const struct skit_err *why = bench_layer_err(c, rc, &err);

		if (why != &err)
			err = *why; /* the conn goes with the close */
		conn_close(c);
		dial_failed(c, rc, &err);
		return;
	}
	if (c->lc)
		bench_layer_done(c);
	bench_add(&w->conn_ok, 1);
	w->fails_row = 0;
	conn_ready(c);
}

/* rr, crr, throughput: dial every connection; the load starts as each
 * one is connected. */
static void
start_load(struct bench_worker *w)
{
	for (int i = 0; i < w->nconn && !w->stopping; i++) {
		if (w->cfg->mode == SKIT_BENCH_CRR)
			start_cycle(&w->conns[i]);
		else
			(void)conn_dial(&w->conns[i]);
	}
	if (w->cfg->mode != SKIT_BENCH_THROUGHPUT)
		skit_loop_timer(w->loop, SCAN_MS, on_scan, w);
}

void *
bench_worker_main(void *arg)
{
	struct bench_worker *w = arg;
	const struct skit_bench_cfg *cfg = w->cfg;
	int r;

	w->t_begin = skit_now_ns();
	if (w->fast) {
		bench_run_fast(w);
		atomic_store(&w->finished, true);
		return NULL;
	}
	skit_loop_add(w->loop, w->b->stopfd, SKIT_EV_READ, on_abort, w);
	if (cfg->mode == SKIT_BENCH_CONNS)
		conns_open(w);
	else if (cfg->warmup_ms > 0)
		skit_loop_timer(w->loop, cfg->warmup_ms, on_warm, w);
	else
		on_warm(w->loop, w);
	if (cfg->mode != SKIT_BENCH_CONNS)
		start_load(w);
	r = 0;
	while (!w->stopping && r >= 0)
		r = skit_loop_run(w->loop);
	if (!w->t_end)
		w->t_end = skit_now_ns();
	if (!w->t_count)
		w->t_count = w->t_end;
	if (cfg->mode == SKIT_BENCH_CONNS && !w->setup_ns)
		w->setup_ns = w->t_end - w->t_begin;
	for (int i = 0; i < w->nconn; i++) {
		if (w->conns[i].fd >= 0 && cfg->mode == SKIT_BENCH_CONNS)
			w->open_now++;
		conn_close(&w->conns[i]);
	}
	atomic_store(&w->finished, true);
	return NULL;
}
