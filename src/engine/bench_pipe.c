/*
 * bench_pipe.c - rr with a window (cfg->pipeline > 1, memtier's
 * --pipeline): each connection keeps up to N requests in flight on the
 * worker's loop. The window is refilled with one write of every
 * request that is due: the requests composed one after another in a
 * buffer (a byte stream, bare or under tls), or sent as messages into
 * a corked conn that writes them at once (ws), or on seqpacket as
 * messages of one sendmmsg. Answers come back in
 * order on a connection, so a ring of the N requests' numbers and send
 * times is all the bookkeeping: every reply is checked against its
 * request, and its round trip runs from the write that carried the
 * request to the read that brought the reply's last byte.
 */
#include "engine/bench_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_OUT_MAX (1024 * 1024) /* composed at a time (or one request) */

struct bench_pipe {
	int depth;
	int head, count; /* the ring: the oldest request in flight, how many */
	uint64_t *seq;	 /* each one's number (its first 8 bytes) */
	int64_t *t0;	 /* when the write that carried it began */
	bool *counted;	 /* started after the warm-up */
	size_t got;	 /* bytes of the oldest one's reply read (streams) */
	bool msgs;	 /* a message layer on top (ws): one send each */
	char *out;	 /* requests composed, not yet written */
	size_t cap, len, off;
	struct mmsghdr *mm; /* seqpacket: the messages of one sendmmsg */
	struct iovec *iov;
};

int
bench_pipe_new(struct bench_conn *c)
{
	const struct skit_bench_cfg *cfg = c->w->cfg;
	struct bench_pipe *p = calloc(1, sizeof(*p));
	size_t size = (size_t)cfg->size, n = (size_t)cfg->pipeline;

	if (!p)
		return -ENOMEM;
	c->pipe = p;
	p->depth = cfg->pipeline;
	p->cap = n * size < PIPE_OUT_MAX ? n * size : PIPE_OUT_MAX;
	if (p->cap < size)
		p->cap = size;
	p->seq = calloc(n, sizeof(*p->seq));
	p->t0 = calloc(n, sizeof(*p->t0));
	p->counted = calloc(n, sizeof(*p->counted));
	p->out = malloc(p->cap);
	if (!p->seq || !p->t0 || !p->counted || !p->out)
		return -ENOMEM;
	if (c->w->b->type == SOCK_SEQPACKET) {
		p->mm = calloc(n, sizeof(*p->mm));
		p->iov = calloc(n, sizeof(*p->iov));
		if (!p->mm || !p->iov)
			return -ENOMEM;
	}
	return 0;
}

void
bench_pipe_free(struct bench_conn *c)
{
	struct bench_pipe *p = c->pipe;

	if (!p)
		return;
	free(p->seq);
	free(p->t0);
	free(p->counted);
	free(p->out);
	free(p->mm);
	free(p->iov);
	free(p);
	c->pipe = NULL;
}

/* What the scan for time-outs looks at: the oldest request in flight. */
static void
pipe_state(struct bench_conn *c)
{
	struct bench_pipe *p = c->pipe;

	if (p->count) {
		c->st = C_WAIT;
		c->t0 = p->t0[p->head];
	} else if (bench_more_requests(c->w)) {
		/* none could be sent yet (a full layer): timed from now */
		c->st = C_WAIT;
		c->t0 = skit_now_ns();
	} else {
		c->st = C_DONE;
	}
}

/* seqpacket: the messages composed, in one sendmmsg; the count sent. */
static ssize_t
pipe_send_msgs(struct bench_conn *c)
{
	struct bench_pipe *p = c->pipe;
	size_t size = (size_t)c->w->cfg->size;
	unsigned k = 0;
	int r;

	for (size_t off = p->off; off < p->len; off += size, k++) {
		p->iov[k] = (struct iovec){ p->out + off, size };
		memset(&p->mm[k], 0, sizeof(p->mm[k]));
		p->mm[k].msg_hdr.msg_iov = &p->iov[k];
		p->mm[k].msg_hdr.msg_iovlen = 1;
	}
	r = skit_sendmmsg(c->fd, p->mm, k, 0);
	return r < 0 ? r : (ssize_t)((size_t)r * size);
}

/* Write what is composed; false when the run ends. */
static bool
pipe_write(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	struct bench_pipe *p = c->pipe;

	while (p->off < p->len) {
		ssize_t n =
			p->mm ? pipe_send_msgs(c)
			      : bench_send(c, p->out + p->off, p->len - p->off);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			bench_fatal(w, (int)n, "send to", NULL);
			return false;
		}
		p->off += (size_t)n;
	}
	if (p->off == p->len)
		p->off = p->len = 0;
	return true;
}

/*
 * Start every request that is due (the window has room, the worker's
 * share is not used up) and write them at once; then watch for what
 * is left to write.
 */
static void
pipe_fill(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	const struct skit_bench_cfg *cfg = w->cfg;
	struct bench_pipe *p = c->pipe;
	size_t size = (size_t)cfg->size;
	int64_t now;
	int added = 0;

	if (p->len || p->count == p->depth || !bench_more_requests(w))
		goto watch;
	now = skit_now_ns();
	if (p->msgs)
		skit_conn_cork(c->lc, true);
	while (p->count < p->depth && bench_more_requests(w) &&
	       (p->msgs || p->len + size <= p->cap)) {
		int i = (p->head + p->count) % p->depth;
		uint64_t seq = ((uint64_t)c->idx << 40) | (w->seqno + 1);
		bool counted = atomic_load_explicit(&w->counting,
						    memory_order_relaxed);

		if (p->msgs) {
			ssize_t n;

			bench_stamp(cfg, w->sbuf, seq);
			n = skit_conn_send(c->lc, w->sbuf, size);
			if (n == -EAGAIN)
				break;
			if (n < 0) {
				skit_conn_cork(c->lc, false);
				bench_fatal(w, (int)n, "send to", NULL);
				return;
			}
		} else {
			memcpy(p->out + p->len, w->sbuf, size);
			bench_stamp(cfg, p->out + p->len, seq);
			p->len += size;
		}
		w->seqno++;
		if (counted)
			w->issued++;
		p->seq[i] = seq;
		p->t0[i] = now;
		p->counted[i] = counted;
		p->count++;
		added++;
	}
	if (p->msgs) {
		int rc;

		skit_conn_cork(c->lc, false);
		rc = skit_conn_flush(c->lc);
		if (rc < 0 && rc != -EAGAIN) {
			bench_fatal(w, rc, "send to", NULL);
			return;
		}
	} else if (added && !pipe_write(c)) {
		return;
	}
watch:
	pipe_state(c);
	bench_want(c, SKIT_EV_READ | (p->len ? SKIT_EV_WRITE : 0));
}

/* The oldest request's reply is complete (at now): counted, out of the
 * window; false when the worker's share is done. */
static bool
pipe_done(struct bench_conn *c, int64_t now)
{
	struct bench_worker *w = c->w;
	struct bench_pipe *p = c->pipe;
	int i = p->head;

	if (p->counted[i]) {
		w->done++;
		skit_hist_record(w->hist, (uint64_t)(now - p->t0[i]));
		bench_add(&c->ctr.requests, 1);
		bench_add(&c->ctr.tx, (uint64_t)w->cfg->size);
		bench_add(&c->ctr.rx, (uint64_t)w->cfg->size);
	}
	p->head = (i + 1) % p->depth;
	p->count--;
	p->got = 0;
	if (w->quota && w->done >= w->quota) {
		bench_worker_done(w, now);
		return false;
	}
	return true;
}

/* A read came back empty or failed (not -EAGAIN): the run ends. */
static void
pipe_broken(struct bench_worker *w, ssize_t n)
{
	if (n < 0)
		bench_fatal(w, (int)n, "receive from", NULL);
	else
		bench_fatal(w, SKIT_ETRUNC, "bench",
			    "the server closed the connection before replying");
}

/* n bytes of a byte stream's replies in buf; false when the run ends. */
static bool
pipe_bytes(struct bench_conn *c, const char *buf, size_t n, int64_t now)
{
	struct bench_worker *w = c->w;
	struct bench_pipe *p = c->pipe;
	size_t size = (size_t)w->cfg->size;

	for (size_t off = 0; off < n;) {
		size_t k = size - p->got;

		if (!p->count) {
			bench_fatal(w, SKIT_EPROTO, "bench",
				    "the server sent data nobody asked for");
			return false;
		}
		if (k > n - off)
			k = n - off;
		/* The buffer is shared by the worker's connections. */
		bench_stamp(w->cfg, w->sbuf, p->seq[p->head]);
		if (!bench_check_reply(c, buf + off, p->got, k))
			return false;
		p->got += k;
		off += k;
		if (p->got == size && !pipe_done(c, now))
			return false;
	}
	return true;
}

/* One message (seqpacket, ws) of n bytes; false when the run ends. */
static bool
pipe_msg(struct bench_conn *c, const char *buf, ssize_t n, int64_t now)
{
	struct bench_worker *w = c->w;
	struct bench_pipe *p = c->pipe;
	size_t size = (size_t)w->cfg->size;

	if (!p->count) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "the server sent data nobody asked for");
		return false;
	}
	if ((size_t)n != size) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "the reply has %zd bytes, the request %zu", n,
			    size);
		return false;
	}
	bench_stamp(w->cfg, w->sbuf, p->seq[p->head]);
	return bench_check_reply(c, buf, 0, size) && pipe_done(c, now);
}

/*
 * Read what has come: a byte stream in one read, messages until none
 * is left (seqpacket: until the socket has none; a layer: while it has
 * some decoded), so the window is refilled once for all of them. A
 * reply arrived with the read from the socket that brought its last
 * byte: the clock is read after each such read, not for a message a
 * layer had decoded already (the transport's byte count tells).
 */
static bool
pipe_read(struct bench_conn *c)
{
	struct bench_worker *w = c->w;
	struct bench_pipe *p = c->pipe;
	bool msg = p->msgs || w->b->type == SOCK_SEQPACKET;
	const struct skit_conn_stats *st =
		c->lc ? skit_conn_stats(c->lc) : NULL;
	uint64_t in = st ? st->bytes_in : 0;
	int64_t now = 0;

	for (int k = 0; k <= p->depth; k++) {
		ssize_t n = bench_recv(c, w->rbuf, w->bufsz);

		if (n == -EAGAIN)
			return true;
		if (n <= 0) {
			pipe_broken(w, n);
			return false;
		}
		if (!st || st->bytes_in != in || !now) {
			now = skit_now_ns();
			in = st ? st->bytes_in : 0;
		}
		if (!(msg ? pipe_msg(c, w->rbuf, n, now)
			  : pipe_bytes(c, w->rbuf, (size_t)n, now)))
			return false;
		if (c->lc ? !skit_conn_pending(c->lc) : !msg)
			return true;
	}
	return true;
}

void
bench_pipe_start(struct bench_conn *c)
{
	struct bench_pipe *p = c->pipe;

	p->head = p->count = 0;
	p->got = p->len = p->off = 0;
	p->msgs = c->lc && skit_conn_is_message(c->lc);
	pipe_fill(c);
}

void
bench_pipe_io(struct bench_conn *c, unsigned events)
{
	struct bench_pipe *p = c->pipe;

	if ((events & SKIT_EV_WRITE) && p->len && !pipe_write(c))
		return;
	if ((events & (SKIT_EV_READ | SKIT_EV_HUP | SKIT_EV_ERROR)) &&
	    !pipe_read(c))
		return;
	if (!c->w->stopping)
		pipe_fill(c);
}
