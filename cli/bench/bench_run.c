/*
 * bench_run.c - the connections of `skit bench`, one event loop per
 * worker thread.
 *
 * rr: each connection has one request in flight: write SIZE bytes, read
 * SIZE bytes back, check them, record the time, send the next. Requests
 * carry their number in their first 8 bytes, so a datagram reply that
 * comes after its time-out is recognised and ignored (the request was
 * counted lost). crr: the same with a fresh connection per request; the
 * time covers connect, request, response and close. throughput: each
 * stream writes as fast as the socket takes it (unless receiving only)
 * and reads whatever comes back. conns: open N connections, optionally
 * send each a probe and wait for its echo, hold them.
 *
 * Samples use CLOCK_MONOTONIC (skit_now_ns). The warm-up is run but not
 * counted.
 */
#include "bench.h"
#include "cli.h"
#include "cli_tls.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCAN_MS 50 /* how often time-outs are checked */

bool
bench_is_dgram(const struct bench_cfg *cfg)
{
	return cfg->type == SOCK_DGRAM;
}

bool
bench_msg_based(const struct bench_cfg *cfg)
{
	return cfg->type != SOCK_STREAM;
}

void
bench_fatal(struct bench_worker *w, int code, const char *op, const char *fmt,
	    ...)
{
	va_list ap;

	if (!w->err) {
		w->err = code;
		skit_err_clear(&w->errrec);
		w->errrec.code = code;
		snprintf(w->errrec.op, sizeof(w->errrec.op), "%s", op);
		snprintf(w->errrec.subject, sizeof(w->errrec.subject), "%.250s",
			 w->cfg->where);
		if (fmt) {
			va_start(ap, fmt);
			vsnprintf(w->errrec.detail, sizeof(w->errrec.detail),
				  fmt, ap);
			va_end(ap);
		}
	}
	w->stopping = true;
	skit_loop_stop(w->loop);
}

/*
 * The request bytes: a fixed pattern, the first 8 bytes the sequence.
 * With --sockperf they start with sockperf's header instead: sequence,
 * flags "client" and "pong request", length, big-endian, which is what
 * a sockperf server answers (clearing the client flag).
 */
void
bench_stamp(const struct bench_cfg *cfg, char *buf, uint64_t seq)
{
	size_t size = (size_t)cfg->size;

	if (cfg->sockperf && size >= BENCH_SOCKPERF_HDR) {
		uint64_t s = htobe64(seq);
		uint16_t flags =
			htobe16(BENCH_SOCKPERF_CLIENT | BENCH_SOCKPERF_PONG);
		uint32_t len = htobe32((uint32_t)size);

		memcpy(buf, &s, 8);
		memcpy(buf + 8, &flags, 2);
		memcpy(buf + 10, &len, 4);
	} else if (size >= 8) {
		memcpy(buf, &seq, 8);
	}
}

static void
fill_payload(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + i % 26);
}

static void
conn_close(struct bench_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->lc) {
		/* close_notify if the socket takes it now; no waiting */
		(void)skit_conn_shutdown(c->lc);
		skit_conn_free(c->lc);
		c->lc = NULL;
	}
	skit_loop_del(c->w->loop, c->fd);
	skit_close(c->fd);
	c->fd = -1;
}

/* I/O on c: through its TLS conn when it has one. */
static ssize_t
c_write(struct bench_conn *c, const void *buf, size_t len)
{
	return c->lc ? skit_conn_send(c->lc, buf, len)
		     : skit_write_some(c->fd, buf, len);
}

static ssize_t
c_read(struct bench_conn *c, void *buf, size_t len)
{
	return c->lc ? skit_conn_recv(c->lc, buf, len)
		     : skit_recvfrom(c->fd, buf, len, 0, NULL, NULL);
}

/*
 * TLS over c's new socket fd: the layer, then the handshake, waited for
 * here (the worker's loop is not run meanwhile: one handshake at a
 * time per worker, all of it inside crr's cycle time). 0, or a code
 * with err filled (the handshake's reason).
 */
static int
tls_open(struct bench_conn *c, int fd, struct skit_err *err)
{
	const struct bench_cfg *cfg = c->w->cfg;
	int to = (int)(cfg->timeout_ms > 0 ? cfg->timeout_ms : -1);
	int rc;

	rc = skit_conn_new(fd, fd, SOCK_STREAM, false, &c->lc);
	if (rc == 0)
		rc = skit_conn_push(c->lc, &skit_layer_tls, cfg->tls, err);
	if (rc == 0)
		rc = cli_tls_wait(c->lc, to, cfg->stopfd);
	if (rc < 0) {
		const struct skit_err *why = skit_conn_tls_err(c->lc);

		if (why)
			*err = *why;
		else
			skit_err_set(err, rc, "TLS handshake", cfg->where);
		skit_conn_free(c->lc);
		c->lc = NULL;
	}
	return rc;
}

static void on_io(struct skit_loop *loop, int fd, unsigned events, void *data);

/* Open c's connection (blocking connect); a nonblocking fd in the loop,
 * or a blocking one outside it (the fast path). */
int
bench_conn_open(struct bench_conn *c, bool blocking)
{
	struct bench_worker *w = c->w;
	const struct bench_cfg *cfg = w->cfg;
	const struct skit_addr *a = &cfg->addr;
	struct skit_addr own;
	struct skit_err err;
	int fd;

	if (a->kind == SKIT_KIND_UNIX_DGRAM &&
	    !skit_addr_has(a, SKIT_OPT_BIND)) {
		/* A unix datagram client needs a name to be answered at. */
		char name[80];

		own = *a;
		snprintf(name, sizeof(name), "@skit-bench-%d-%d", (int)getpid(),
			 c->idx);
		(void)skit_addr_set_str(&own, SKIT_OPT_BIND, name, NULL);
		a = &own;
	}
	/* An abort (cfg->stopfd) ends a connect that waits. */
	fd = skit_connect_he_stop(
		a, &cfg->res, 250,
		(int)(cfg->timeout_ms > 0 ? cfg->timeout_ms : -1),
		blocking ? 0 : SKIT_OPEN_NONBLOCK, cfg->stopfd, NULL, &err);
	if (fd == -ECANCELED) {
		/* Stopped, not failed: the results so far stand. */
		w->stopping = true;
		return fd;
	}
	if (fd >= 0 && cfg->tls) {
		int rc = tls_open(c, fd, &err);

		if (rc < 0) {
			skit_close(fd);
			fd = rc;
		}
	}
	if (fd == -ECANCELED) {
		w->stopping = true;
		return fd;
	}
	if (fd < 0) {
		atomic_fetch_add_explicit(&w->live.conn_fail, 1,
					  memory_order_relaxed);
		if (!w->conn_err) {
			w->conn_err = fd;
			w->conn_errrec = err;
		}
		return fd;
	}
	if (!blocking &&
	    skit_loop_add(w->loop, fd, SKIT_EV_READ, on_io, c) < 0) {
		skit_conn_free(c->lc);
		c->lc = NULL;
		skit_close(fd);
		return -ENOMEM;
	}
	/*
	 * The fast path sends blocking: a message receiver that stopped
	 * reading must not hold the send for ever (--timeout, then
	 * SKIT_EFULL).
	 */
	if (blocking && bench_msg_based(cfg))
		(void)skit_sock_send_timeout(fd, (int)cfg->timeout_ms);
	atomic_fetch_add_explicit(&w->live.conn_ok, 1, memory_order_relaxed);
	c->fd = fd;
	return 0;
}

static int
conn_open(struct bench_conn *c)
{
	return bench_conn_open(c, false);
}

static void
want(struct bench_conn *c, unsigned ev)
{
	skit_loop_mod(c->w->loop, c->fd,
		      c->lc ? skit_conn_events(c->lc, ev) : ev);
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
	n = c_write(c, w->sbuf + c->sent, size - c->sent);
	if (n == -EAGAIN) {
		want(c, SKIT_EV_READ | SKIT_EV_WRITE);
		return true;
	}
	if (n < 0 && w->cfg->mode == BENCH_CONNS) {
		conn_dropped(c);
		return false;
	}
	if (n < 0) {
		if (!cycle_broken(c))
			bench_fatal(w, (int)n, "send to", NULL);
		return false;
	}
	c->sent += (size_t)n;
	if (bench_msg_based(w->cfg) || c->sent == size) {
		c->sent = size;
		c->st = C_WAIT;
		want(c, SKIT_EV_READ);
	} else {
		want(c, SKIT_EV_READ | SKIT_EV_WRITE);
	}
	return true;
}

static bool
more_requests(struct bench_worker *w)
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
	c->counted = w->counting;
	if (c->counted)
		w->issued++;
	bench_stamp(w->cfg, w->sbuf, c->seq);
	c->sent = c->got = 0;
	c->st = C_SEND;
	c->t0 = skit_now_ns();
	send_more(c);
}

/* A reply is complete. */
static void
request_done(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	const struct bench_cfg *cfg = w->cfg;
	int64_t now = skit_now_ns();

	w->breaks_row = 0;
	if (cfg->mode == BENCH_CONNS) {
		w->served++;
		c->st = C_HOLD;
		return;
	}
	if (cfg->mode == BENCH_CRR)
		conn_close(c);
	if (c->counted) {
		w->done++;
		skit_hist_record(
			w->hist,
			(uint64_t)(now - (cfg->mode == BENCH_CRR ? c->tcycle
								 : c->t0)));
		atomic_fetch_add_explicit(&w->live.requests, 1,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&w->live.tx, cfg->size,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&w->live.rx, cfg->size,
					  memory_order_relaxed);
	}
	if (w->quota && w->done >= w->quota) {
		w->t_end = now;
		w->stopping = true;
		skit_loop_stop(w->loop);
		return;
	}
	if (!more_requests(w)) {
		conn_close(c);
		c->st = C_DONE;
		return;
	}
	if (cfg->mode == BENCH_CRR)
		start_cycle(c);
	else
		start_request(c);
}

/* crr: connect, then the request. */
static void
start_cycle(struct bench_conn *c)
{
	struct bench_worker *w = c->w;

	for (int tries = 0; more_requests(w) && tries < 1000; tries++) {
		c->tcycle = skit_now_ns();
		if (conn_open(c) == 0) {
			start_request(c);
			return;
		}
		/* Refused from the start: nothing listens. */
		if (!w->live.conn_ok) {
			w->err = w->conn_err;
			w->errrec = w->conn_errrec;
			w->stopping = true;
			skit_loop_stop(w->loop);
			return;
		}
	}
	c->st = C_IDLE;
	if (more_requests(w))
		bench_fatal(w, w->conn_err ? w->conn_err : -EIO, "connect",
			    NULL);
}

/* Reply byte i (of the request) as it may come back: itself, or with
 * --sockperf the flags' low byte with the client flag cleared, as a
 * sockperf server answers. */
static bool
reply_byte_ok(const struct bench_cfg *cfg, const char *sbuf, size_t i, char b)
{
	return b == sbuf[i] || (cfg->sockperf && i == BENCH_SOCKPERF_FLAGS &&
				(unsigned char)b == ((unsigned char)sbuf[i] &
						     ~BENCH_SOCKPERF_CLIENT));
}

/* Compare reply bytes [off, off + n) with what was sent; false (and
 * fatal) if they differ. */
bool
bench_check_reply(struct bench_conn *c, const char *got, size_t off, size_t n)
{
	struct bench_worker *w = c->w;
	size_t fl = BENCH_SOCKPERF_FLAGS;

	if (w->cfg->sockperf && off <= fl && fl < off + n) {
		/* Around the flags byte, which may differ. */
		if (reply_byte_ok(w->cfg, w->sbuf, fl, got[fl - off]) &&
		    !memcmp(got, w->sbuf + off, fl - off) &&
		    !memcmp(got + (fl - off) + 1, w->sbuf + fl + 1,
			    off + n - fl - 1))
			return true;
	} else if (!memcmp(got, w->sbuf + off, n)) {
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!reply_byte_ok(w->cfg, w->sbuf, off + i, got[i])) {
			bench_fatal(
				w, SKIT_EPROTO, "bench",
				"the reply is not an echo of the request (byte "
				"%zu differs)",
				off + i);
			break;
		}
	return false;
}

/* conns: the server closed or reset a held connection (--max-conns,
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
 * 50 breaks in a row stop the run. Returns false when it is not crr or
 * the limit is reached (the caller then reports the error).
 */
#define CRR_MAX_BREAKS 50

static bool
cycle_broken(struct bench_conn *c)
{
	struct bench_worker *w = c->w;

	if (w->cfg->mode != BENCH_CRR || ++w->breaks_row >= CRR_MAX_BREAKS)
		return false;
	w->breaks++;
	if (c->counted)
		w->issued--; /* not done: it is tried again */
	conn_close(c);
	start_cycle(c);
	return true;
}

static void
on_reply(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	const struct bench_cfg *cfg = w->cfg;
	size_t size = (size_t)cfg->size;
	ssize_t n;

	if (bench_msg_based(cfg)) {
		n = skit_recvfrom(c->fd, w->rbuf, w->bufsz, 0, NULL, NULL);
		if (n == -EAGAIN)
			return;
		if (cfg->mode == BENCH_CONNS &&
		    (n < 0 || (n == 0 && cfg->type == SOCK_SEQPACKET))) {
			conn_dropped(c);
			return;
		}
		if ((n < 0 || (n == 0 && cfg->type == SOCK_SEQPACKET)) &&
		    cycle_broken(c))
			return;
		if (n < 0) {
			bench_fatal(w, (int)n, "receive from", NULL);
			return;
		}
		if (n == 0 && cfg->type == SOCK_SEQPACKET) {
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
		if (bench_is_dgram(cfg) && size >= 8 && (size_t)n == size &&
		    memcmp(w->rbuf, w->sbuf, 8) != 0) {
			w->late++; /* an answer to an earlier, lost request */
			return;
		}
		if ((size_t)n != size) {
			bench_fatal(w, SKIT_EPROTO, "bench",
				    "the reply has %zd bytes, the request %zu",
				    n, size);
			return;
		}
		if (bench_check_reply(c, w->rbuf, 0, size))
			request_done(c);
		return;
	}
	n = c_read(c, w->rbuf, size - c->got);
	if (n == -EAGAIN)
		return;
	if (cfg->mode == BENCH_CONNS && n <= 0) {
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

static void
stream_io(struct bench_conn *c, unsigned events)
{
	struct bench_worker *w = c->w;
	const struct bench_cfg *cfg = w->cfg;
	struct bench_stream *s = &w->streams[c - w->conns];
	ssize_t n;

	if ((events & SKIT_EV_WRITE) && !c->shut) {
		size_t len = (size_t)cfg->size;

		if (cfg->bytes && c->quota_left < len)
			len = (size_t)c->quota_left;
		n = len ? c_write(c, w->sbuf, len) : 0;
		if (n < 0 && n != -EAGAIN) {
			bench_fatal(w, (int)n, "send to", NULL);
			return;
		}
		if (n > 0) {
			if (w->counting) {
				s->tx += (uint64_t)n;
				atomic_fetch_add_explicit(&w->live.tx,
							  (uint64_t)n,
							  memory_order_relaxed);
			}
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
			want(c, SKIT_EV_READ);
		}
	}
	if (!(events & (SKIT_EV_READ | SKIT_EV_HUP | SKIT_EV_ERROR)))
		return;
	{
		size_t len = w->bufsz;

		/* --bytes when receiving: never read past our share. */
		if (cfg->bytes && cfg->dir == BENCH_RECV && c->quota_left < len)
			len = (size_t)c->quota_left;
		n = c_read(c, w->rbuf, len);
	}
	if (n == -EAGAIN)
		return;
	if (n < 0) {
		bench_fatal(w, (int)n, "receive from", NULL);
		return;
	}
	if (n == 0) {
		if (!c->shut && !(cfg->bytes && cfg->dir == BENCH_RECV)) {
			bench_fatal(w, SKIT_ETRUNC, "bench",
				    "the server closed the connection");
			return;
		}
		conn_close(c);
		c->st = C_DONE;
		if (++w->done >= (uint64_t)w->nconn) {
			w->t_end = skit_now_ns();
			w->stopping = true;
			skit_loop_stop(w->loop);
		}
		return;
	}
	if (w->counting) {
		s->rx += (uint64_t)n;
		atomic_fetch_add_explicit(&w->live.rx, (uint64_t)n,
					  memory_order_relaxed);
	}
	if (cfg->bytes && cfg->dir == BENCH_RECV) {
		c->quota_left -= (uint64_t)n < c->quota_left ? (uint64_t)n
							     : c->quota_left;
		if (!c->quota_left) {
			c->shut = true;
			conn_close(c);
			c->st = C_DONE;
			if (++w->done >= (uint64_t)w->nconn) {
				w->t_end = skit_now_ns();
				w->stopping = true;
				skit_loop_stop(w->loop);
			}
		}
	}
}

static void on_io1(struct bench_conn *c, unsigned events);

static void
on_io(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	struct bench_conn *c = data;

	(void)loop;
	(void)fd;
	if (c->lc) {
		int rc = c->shut ? skit_conn_shutdown(c->lc)
				 : skit_conn_flush(c->lc);

		if (rc < 0 && rc != -EAGAIN) {
			bench_fatal(c->w, rc, "send to", NULL);
			return;
		}
	}
	on_io1(c, events);
	/* TLS: records already decoded wait for no readable fd. */
	for (int i = 0; i < 64 && c->fd >= 0 && c->lc &&
			skit_conn_pending(c->lc) && !c->w->stopping;
	     i++)
		on_io1(c, SKIT_EV_READ);
}

static void
on_io1(struct bench_conn *c, unsigned events)
{
	const struct bench_cfg *cfg = c->w->cfg;

	if (cfg->mode == BENCH_THROUGHPUT) {
		stream_io(c, events);
		return;
	}
	if (c->st == C_HOLD) {
		/* Held connection: only EOF or an error is expected. */
		ssize_t n = c_read(c, c->w->rbuf, c->w->bufsz);

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

static void
on_end(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;

	if (!w->t_end)
		w->t_end = skit_now_ns();
	w->stopping = true;
	skit_loop_stop(loop);
}

/* Periodic: requests without a reply for too long. */
static void
on_scan(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;
	const struct bench_cfg *cfg = w->cfg;
	int64_t now = skit_now_ns(), lim = cfg->timeout_ms * 1000000;
	int busy = 0;

	for (int i = 0; i < w->nconn; i++)
		busy += w->conns[i].st != C_IDLE && w->conns[i].st != C_DONE;
	if (!busy && cfg->mode != BENCH_CONNS) {
		on_end(loop, w);
		return;
	}
	for (int i = 0; i < w->nconn && !w->stopping; i++) {
		struct bench_conn *c = &w->conns[i];

		if ((c->st != C_WAIT && c->st != C_SEND) || now - c->t0 < lim)
			continue;
		if (c->st == C_SEND && bench_msg_based(cfg)) {
			/* Not even sent: the receiver's queue stays full. */
			bench_fatal(w, SKIT_EFULL, "bench", NULL);
			return;
		}
		if (bench_is_dgram(cfg) && cfg->mode == BENCH_RR) {
			/* Lost: count it, send the next. */
			if (c->counted) {
				w->done++;
				atomic_fetch_add_explicit(&w->live.lost, 1,
							  memory_order_relaxed);
			}
			if (w->quota && w->done >= w->quota) {
				w->t_end = now;
				w->stopping = true;
				skit_loop_stop(loop);
				return;
			}
			if (more_requests(w))
				start_request(c);
			else
				c->st = C_DONE;
			continue;
		}
		bench_fatal(w, SKIT_ENOREPLY, "bench",
			    "no reply within %lld ms (is it an echo server?)",
			    cfg->timeout_ms);
		return;
	}
	if (!w->stopping)
		skit_loop_timer(loop, SCAN_MS, on_scan, w);
}

static void
on_warm(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;

	w->counting = true;
	w->t_count = skit_now_ns();
	if (!w->quota && w->cfg->duration_ms > 0 && w->cfg->mode != BENCH_CONNS)
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
	skit_loop_del(loop, w->cfg->stopfd);
	skit_loop_stop(loop);
}

/* conns: open the share, probe, then hold. */
static void
conns_open(struct bench_worker *w)
{
	int64_t t = skit_now_ns();

	for (int i = 0; i < w->nconn && !w->stopping; i++) {
		struct bench_conn *c = &w->conns[i];

		if (conn_open(c) < 0) {
			if (w->conn_err == -ECONNREFUSED && !w->live.conn_ok)
				break; /* nothing listens */
			continue;
		}
		c->st = C_HOLD;
		if (w->cfg->size > 0)
			start_request(c);
		/* Let the loop see replies now and then. */
		if ((i & 255) == 255)
			skit_loop_run_once(w->loop, 0);
	}
	w->setup_ns = skit_now_ns() - t;
}

/* The i-th of n shares of total (the first total % n get one more). */
static uint64_t
share(uint64_t total, uint64_t n, uint64_t i)
{
	return total / n + (i < total % n);
}

/* conns: open them all, then the hold starts. */
static void
start_conns(struct bench_worker *w)
{
	conns_open(w);
	if (!w->live.conn_ok && w->conn_err) {
		w->err = w->conn_err;
		w->errrec = w->conn_errrec;
		w->stopping = true;
	}
	if (w->cfg->size > 0)
		skit_loop_timer(w->loop, SCAN_MS, on_scan, w);
	w->counting = true;
	w->t_count = skit_now_ns();
}

/* rr, crr, throughput: open the connections and start the load. */
static void
start_load(struct bench_worker *w)
{
	const struct bench_cfg *cfg = w->cfg;

	for (int i = 0; i < w->nconn && !w->stopping; i++) {
		struct bench_conn *c = &w->conns[i];

		if (cfg->mode == BENCH_CRR) {
			start_cycle(c);
			continue;
		}
		if (conn_open(c) < 0) {
			w->err = w->conn_err;
			w->errrec = w->conn_errrec;
			w->stopping = true;
			break;
		}
		if (cfg->mode != BENCH_THROUGHPUT) {
			if (more_requests(w))
				start_request(c);
			continue;
		}
		c->st = C_STREAM;
		if (cfg->bytes)
			c->quota_left = share(w->quota, (uint64_t)w->nconn,
					      (uint64_t)i);
		want(c, SKIT_EV_READ |
				(cfg->dir & BENCH_SEND ? SKIT_EV_WRITE : 0));
	}
	if (cfg->mode != BENCH_THROUGHPUT)
		skit_loop_timer(w->loop, SCAN_MS, on_scan, w);
}

static void *
worker_main(void *arg)
{
	struct bench_worker *w = arg;
	const struct bench_cfg *cfg = w->cfg;
	int r;

	w->t_begin = skit_now_ns();
	if (w->fast) {
		bench_run_fast(w);
		atomic_store(&w->finished, true);
		return NULL;
	}
	skit_loop_add(w->loop, cfg->stopfd, SKIT_EV_READ, on_abort, w);
	if (cfg->warmup_ms > 0)
		skit_loop_timer(w->loop, cfg->warmup_ms, on_warm, w);
	else
		on_warm(w->loop, w);
	if (cfg->mode == BENCH_CONNS)
		start_conns(w);
	else
		start_load(w);
	if (cfg->mode == BENCH_CONNS && cfg->duration_ms > 0 && !w->stopping)
		skit_loop_timer(w->loop, cfg->duration_ms, on_end, w);
	r = 0;
	while (!w->stopping && r >= 0)
		r = skit_loop_run(w->loop);
	if (!w->t_end)
		w->t_end = skit_now_ns();
	if (!w->t_count)
		w->t_count = w->t_end;
	for (int i = 0; i < w->nconn; i++) {
		if (w->conns[i].fd >= 0)
			w->open_now++;
		conn_close(&w->conns[i]);
	}
	if (w->open_now && cfg->mode != BENCH_CONNS)
		w->open_now = 0;
	atomic_store(&w->finished, true);
	return NULL;
}

int
bench_start(const struct bench_cfg *cfg, struct bench_worker *w)
{
	int total = cfg->mode == BENCH_CONNS ? (int)cfg->nconns : cfg->conc;
	int first = 0, r;

	for (int t = 0; t < cfg->threads; t++) {
		struct bench_worker *x = &w[t];
		int n = total / cfg->threads + (t < total % cfg->threads);
		uint64_t q = 0;

		x->id = t;
		x->cfg = cfg;
		x->nconn = n;
		x->first = first;
		if (cfg->requests)
			q = share((uint64_t)cfg->requests,
				  (uint64_t)cfg->threads, (uint64_t)t);
		if (cfg->mode == BENCH_THROUGHPUT && cfg->bytes)
			q = share((uint64_t)cfg->bytes, (uint64_t)cfg->threads,
				  (uint64_t)t);
		x->quota = q;
		x->fast = cfg->mode == BENCH_RR && n == 1 && !cfg->tls;
		x->fast_fd = -1;
		pthread_mutex_init(&x->fdlock, NULL);
		x->bufsz = (size_t)(cfg->size > 65536 ? cfg->size : 65536);
		x->bufsz = x->bufsz < 262144 && cfg->type != SOCK_STREAM
				   ? 262144
				   : x->bufsz;
		x->sbuf = malloc(x->bufsz);
		x->rbuf = malloc(x->bufsz);
		x->conns = calloc((size_t)(n ? n : 1), sizeof(*x->conns));
		x->streams = calloc((size_t)(n ? n : 1), sizeof(*x->streams));
		r = skit_hist_new(&x->hist);
		if (r == 0)
			r = skit_loop_new(SKIT_LOOP_AUTO, &x->loop);
		if (r < 0 || !x->sbuf || !x->rbuf || !x->conns || !x->streams)
			return r < 0 ? r : -ENOMEM;
		fill_payload(x->sbuf, x->bufsz);
		for (int i = 0; i < n; i++) {
			x->conns[i].w = x;
			x->conns[i].fd = -1;
			x->conns[i].idx = first + i;
		}
		first += n;
	}
	for (int t = 0; t < cfg->threads; t++) {
		r = pthread_create(&w[t].tid, NULL, worker_main, &w[t]);
		if (r != 0) {
			/* Stop the ones started. */
			bench_abort(cfg, w);
			for (int k = 0; k < t; k++)
				pthread_join(w[k].tid, NULL);
			return -r;
		}
	}
	return 0;
}

void
bench_abort(const struct bench_cfg *cfg, struct bench_worker *w)
{
	for (int t = 0; t < cfg->threads; t++) {
		atomic_store(&w[t].abort, true);
		if (!w[t].fast)
			continue;
		pthread_mutex_lock(&w[t].fdlock);
		if (w[t].fast_fd >= 0)
			skit_shutdown(w[t].fast_fd, SHUT_RDWR);
		pthread_mutex_unlock(&w[t].fdlock);
	}
	(void)skit_eventfd_signal(cfg->stopfd);
}

void
bench_join(const struct bench_cfg *cfg, struct bench_worker *w)
{
	for (int t = 0; t < cfg->threads; t++) {
		pthread_join(w[t].tid, NULL);
		skit_loop_free(w[t].loop);
		w[t].loop = NULL;
	}
}

void
bench_free(const struct bench_cfg *cfg, struct bench_worker *w)
{
	for (int t = 0; t < cfg->threads; t++) {
		skit_loop_free(w[t].loop);
		skit_hist_free(w[t].hist);
		free(w[t].sbuf);
		free(w[t].rbuf);
		free(w[t].conns);
		free(w[t].streams);
		if (w[t].cfg)
			pthread_mutex_destroy(&w[t].fdlock);
	}
}
