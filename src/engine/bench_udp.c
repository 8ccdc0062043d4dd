/*
 * bench_udp.c - udp throughput (iperf3 -u's job) for the load generator:
 * each stream sends datagrams at its bit rate, paced by a 1 ms timer on
 * the worker's loop (a burst of what is owed each tick, as iperf3 does),
 * each stamped with the stream, a sequence number and the send time;
 * unlimited (bitrate 0), a burst whenever the socket is writable.
 * What an echo server sends back is checked against the sequence:
 * distinct ones received, out of order (lower than one already seen),
 * duplicates (seen before, within the last UDP_WIN), and the jitter of
 * the round-trip times, RFC 3550 section 6.4.1: J += (|D| - J) / 16.
 */
#include "engine/bench_int.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "skit/io.h"

#define UDP_WIN	     4096 /* sequence numbers remembered per stream */
#define UDP_TICK_MS  1
#define UDP_BURST    512 /* datagrams per stream and tick, at most */
#define UDP_QUIET    (500 * 1000000LL) /* drain: this long without one */
#define UDP_DRAIN_MS 10
#define UDP_RX_BATCH 256 /* datagrams read per readiness */

static const char udp_magic[4] = { 'S', 'K', 'I', 'T' };

struct bench_udp {
	uint64_t next_seq;   /* the next datagram's number */
	uint64_t first;	     /* the first counted one's */
	bool counting;	     /* first is set */
	uint64_t sent, recv; /* counted: sent, distinct ones back */
	uint64_t ooo, dup;
	uint64_t expected; /* 1 + the highest (relative) number seen */
	uint64_t win_base; /* seen[] covers [win_base, +UDP_WIN) */
	uint64_t seen[UDP_WIN / 64];
	double jitter; /* ns */
	int64_t last_transit;
	bool have_transit;
	double credit; /* datagrams owed by the pacing */
	bool blocked;  /* the socket was full: wait until writable */
};

static void
stamp(struct bench_conn *c, uint64_t seq)
{
	char *b = c->w->sbuf;
	uint32_t stream = htobe32((uint32_t)c->idx);
	uint64_t s = htobe64(seq), t = htobe64((uint64_t)skit_now_ns());

	memcpy(b, udp_magic, 4);
	memcpy(b + 4, &stream, 4);
	memcpy(b + 8, &s, 8);
	memcpy(b + 16, &t, 8);
}

/* Send up to n datagrams (what is owed); the socket's EAGAIN ends the
 * burst. */
static void
send_burst(struct bench_conn *c, int n)
{
	struct bench_worker *w = c->w;
	struct bench_udp *u = c->udp;
	size_t size = (size_t)w->cfg->size;
	bool counting =
		atomic_load_explicit(&w->counting, memory_order_relaxed);

	for (int i = 0; i < n && !w->stopping; i++) {
		ssize_t r;

		stamp(c, u->next_seq);
		r = skit_sendto(c->fd, w->sbuf, size, MSG_DONTWAIT, NULL, 0);
		if (r == -EAGAIN || r == -ENOBUFS) {
			u->blocked = true;
			bench_want(c, SKIT_EV_READ | SKIT_EV_WRITE);
			return;
		}
		if (r < 0) {
			bench_fatal(w, (int)r, "send to", NULL);
			return;
		}
		if (counting && !u->counting) {
			u->counting = true;
			u->first = u->next_seq;
		}
		u->next_seq++;
		u->credit -= 1;
		if (counting) {
			u->sent++;
			bench_add(&c->ctr.tx, (uint64_t)r);
		}
	}
}

/* The pacing tick: every stream sends what its rate owes since the
 * last tick (a whole burst when unlimited). */
static void
on_pace(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;
	const struct skit_bench_cfg *cfg = w->cfg;
	int64_t now = skit_now_ns(), dt = now - w->pace_last;
	double per_ns = (double)cfg->bitrate / (8.0 * (double)cfg->size) / 1e9;

	w->pace_last = now;
	if (w->stopping || w->udp_draining)
		return;
	for (int i = 0; i < w->nconn && !w->stopping; i++) {
		struct bench_conn *c = &w->conns[i];
		struct bench_udp *u = c->udp;
		int n;

		if (!u || c->st != C_STREAM || u->blocked)
			continue;
		u->credit += per_ns * (double)dt;
		/* A stalled loop does not make up for lost time at once. */
		if (u->credit > UDP_BURST)
			u->credit = UDP_BURST;
		n = (int)u->credit;
		if (n > 0)
			send_burst(c, n);
	}
	skit_loop_timer(loop, UDP_TICK_MS, on_pace, w);
}

int
bench_udp_start(struct bench_conn *c)
{
	struct bench_worker *w = c->w;

	c->udp = calloc(1, sizeof(*c->udp));
	if (!c->udp)
		return -ENOMEM;
	c->st = C_STREAM;
	/* Unlimited: send whenever the socket takes more (no ticks). */
	bench_want(c, SKIT_EV_READ | (w->cfg->bitrate ? 0 : SKIT_EV_WRITE));
	/* The worker's first stream starts the pacing. */
	if (w->cfg->bitrate && !w->pace_last) {
		w->pace_last = skit_now_ns();
		skit_loop_timer(w->loop, UDP_TICK_MS, on_pace, w);
	}
	return 0;
}

/* Remember rel as seen; false when it was seen already. */
static bool
mark_seen(struct bench_udp *u, uint64_t rel)
{
	uint64_t off;

	if (rel >= u->win_base + UDP_WIN) {
		uint64_t nb = rel - UDP_WIN + 1;

		if (nb - u->win_base >= UDP_WIN) {
			memset(u->seen, 0, sizeof(u->seen));
		} else {
			for (uint64_t k = u->win_base; k < nb; k++)
				u->seen[(k % UDP_WIN) / 64] &=
					~(1ull << (k % 64));
		}
		u->win_base = nb;
	}
	off = rel % UDP_WIN;
	if (u->seen[off / 64] & (1ull << (off % 64)))
		return false;
	u->seen[off / 64] |= 1ull << (off % 64);
	return true;
}

/* One datagram came back. */
static void
on_datagram(struct bench_conn *c, const char *d, size_t n, int64_t now)
{
	struct bench_worker *w = c->w;
	struct bench_udp *u = c->udp;
	uint64_t seq, ts, rel;
	uint32_t stream;
	int64_t transit;

	if (n < SKIT_BENCH_UDP_HDR || memcmp(d, udp_magic, 4) != 0) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "a datagram came back that skit bench did not "
			    "send (%zu bytes)",
			    n);
		return;
	}
	memcpy(&stream, d + 4, 4);
	memcpy(&seq, d + 8, 8);
	memcpy(&ts, d + 16, 8);
	seq = be64toh(seq);
	ts = be64toh(ts);
	if (be32toh(stream) != (uint32_t)c->idx || seq >= u->next_seq) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "a datagram came back that this stream did not "
			    "send");
		return;
	}
	w->udp_last_rx = now;
	if (!u->counting || seq < u->first)
		return; /* the warm-up's */
	rel = seq - u->first;
	if (rel + UDP_WIN < u->expected) {
		u->ooo++; /* too old to tell: counted late, not again */
		return;
	}
	if (!mark_seen(u, rel)) {
		u->dup++;
		return;
	}
	u->recv++;
	bench_add(&c->ctr.rx, n);
	if (rel + 1 > u->expected)
		u->expected = rel + 1;
	else
		u->ooo++;
	transit = now - (int64_t)ts;
	if (u->have_transit) {
		int64_t dd = transit - u->last_transit;

		u->jitter += ((double)(dd < 0 ? -dd : dd) - u->jitter) / 16.0;
	}
	u->last_transit = transit;
	u->have_transit = true;
}

void
bench_udp_io(struct bench_conn *c, unsigned events)
{
	struct bench_worker *w = c->w;
	struct bench_udp *u = c->udp;

	if ((events & SKIT_EV_WRITE) && !w->cfg->bitrate) {
		/* Unlimited: a burst each time the socket takes more. */
		u->blocked = false;
		if (!w->udp_draining)
			send_burst(c, UDP_BURST);
		else
			bench_want(c, SKIT_EV_READ);
	} else if ((events & SKIT_EV_WRITE) && u->blocked) {
		u->blocked = false;
		bench_want(c, SKIT_EV_READ);
	}
	if (!(events & (SKIT_EV_READ | SKIT_EV_HUP | SKIT_EV_ERROR)))
		return;
	for (int i = 0; i < UDP_RX_BATCH && !w->stopping; i++) {
		ssize_t n =
			skit_recvfrom(c->fd, w->rbuf, w->bufsz, 0, NULL, NULL);

		if (n == -EAGAIN)
			return;
		if (n < 0) {
			bench_fatal(w, (int)n, "receive from", NULL);
			return;
		}
		on_datagram(c, w->rbuf, (size_t)n, skit_now_ns());
	}
}

/* Everything back, or quiet for long enough, or out of time. */
static void
on_drain(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;
	int64_t now = skit_now_ns(), last = w->udp_last_rx;
	bool all = true;

	for (int i = 0; i < w->nconn; i++)
		if (w->conns[i].udp &&
		    w->conns[i].udp->recv < w->conns[i].udp->sent)
			all = false;
	if (last < w->udp_drain_start)
		last = w->udp_drain_start;
	if (all || now - last >= UDP_QUIET ||
	    now - w->udp_drain_start >= w->cfg->timeout_ms * 1000000) {
		w->stopping = true;
		skit_loop_stop(loop);
		return;
	}
	skit_loop_timer(loop, UDP_DRAIN_MS, on_drain, w);
}

bool
bench_udp_drain(struct bench_worker *w)
{
	if (w->udp_draining)
		return true;
	w->udp_draining = true;
	w->udp_drain_start = skit_now_ns();
	w->t_end = w->udp_drain_start; /* the counted window ends here */
	on_drain(w->loop, w);
	return !w->stopping;
}

void
bench_udp_sum(const struct skit_bench *b, struct skit_bench_udp *out)
{
	int streams = 0;

	memset(out, 0, sizeof(*out));
	for (int t = 0; t < b->cfg.threads; t++)
		for (int i = 0; i < b->w[t].nconn; i++) {
			const struct bench_udp *u = b->w[t].conns[i].udp;

			if (!u)
				continue;
			out->sent += u->sent;
			out->received += u->recv;
			out->out_of_order += u->ooo;
			out->duplicates += u->dup;
			out->jitter_ms += u->jitter / 1e6;
			streams++;
		}
	out->lost = out->sent > out->received ? out->sent - out->received : 0;
	out->echoed = out->received > 0;
	if (streams)
		out->jitter_ms /= streams;
}
