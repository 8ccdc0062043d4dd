/*
 * bench_udp.c - udp throughput (iperf3 -u's job) for the load generator:
 * each stream sends datagrams at its bit rate, paced by a 1 ms timer on
 * the worker's loop (a burst of what is owed each tick, as iperf3 does),
 * each stamped with the stream, a sequence number and the send time
 * (udp_count.h; the stream field flags the counted ones, after the
 * warm-up); unlimited (bitrate 0), a burst whenever the socket is
 * writable. What an echo server sends back is counted here
 * (skit__udp_count_add: distinct, out of order, duplicates, the jitter
 * of RFC 3550 over the round trips). A discard server counts what it
 * receives itself: once the duration is over, a stream that got nothing
 * back asks it for its counts with a stats request, again every
 * UDP_ASK_MS until two answers in a row agree (the datagrams still on
 * their way have arrived) or the drain ends; a server that does not
 * answer leaves the loss unmeasured.
 *
 * Sending: on loopback nearly all of a datagram's cost is the trip
 * through the stack (sendto, and the whole IP/UDP receive path, which
 * runs in the sender's context), so the datagrams owed go out up to
 * UDP_SEGS at a time in one UDP GSO send (UDP_SEGMENT): one trip for
 * the lot, each segment still a datagram with its own header. Where GSO
 * is missing (not udp, an old kernel, a device without checksum
 * offload before Linux 6.11: EIO) the same batch goes in one sendmmsg;
 * cfg.no_gso sends one datagram per sendto, as iperf3 3.12 does.
 */
#include "engine/bench_int.h"
#include "engine/udp_count.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "skit/io.h"
#include "net/sock_int.h" /* GSO */

#define UDP_TICK_MS  1
#define UDP_BURST    512 /* datagrams per writable wakeup (unlimited) */
#define UDP_CATCH_MS 10	 /* paced: a late tick makes up this much */
#define UDP_QUIET    (500 * 1000000LL) /* drain: this long without one */
#define UDP_DRAIN_MS 10
#define UDP_ASK_MS   50	 /* stats requests this far apart */
#define UDP_RX_BATCH 256 /* datagrams read per readiness */
/* Datagrams per send call, at most (the kernel's UDP_MAX_SEGMENTS). */
#define UDP_SEGS    64
#define UDP_GSO_MAX 65507 /* bytes per GSO send: an IPv4 datagram's */

struct bench_udp {
	uint64_t next_seq;	     /* the next datagram's number */
	uint64_t first;		     /* the first counted one's */
	bool counting;		     /* first is set */
	uint64_t sent;		     /* counted */
	struct skit__udp_count back; /* what came back (relative numbers) */
	double credit;		     /* datagrams owed by the pacing */
	bool blocked; /* the socket was full: wait until writable */
	/* the stats exchange with a discard server */
	uint64_t ask;	/* the last request's number (0: none sent) */
	int64_t ask_ns; /* when it went */
	bool answered;	/* ans holds an answer */
	bool settled;	/* two answers in a row agreed */
	struct skit__udp_answer ans;
	/* sending */
	int segs;    /* datagrams per send call (1: sendto each) */
	bool gso;    /* segs > 1: one GSO send; else one sendmmsg */
	char gbuf[]; /* segs datagrams end to end (segs > 1) */
};

/*
 * One send call of k datagrams (k <= u->segs), numbered from
 * u->next_seq: how many went (sendmmsg may send fewer), or -errno.
 * They all carry the time of the call: they leave together.
 */
static int
send_call(struct bench_conn *c, int k, bool counting)
{
	struct bench_worker *w = c->w;
	struct bench_udp *u = c->udp;
	size_t size = (size_t)w->cfg->size;
	int64_t now = skit_now_ns();
	struct mmsghdr v[UDP_SEGS];
	struct iovec iov[UDP_SEGS];
	ssize_t r;

	if (k == 1) {
		skit__udp_stamp(w->sbuf, (uint32_t)c->idx, counting,
				u->next_seq, now);
		r = skit_sendto(c->fd, w->sbuf, size, MSG_DONTWAIT, NULL, 0);
		return r < 0 ? (int)r : 1;
	}
	skit__udp_stamp_segs(u->gbuf, size, k, (uint32_t)c->idx, counting,
			     u->next_seq, now);
	if (u->gso) {
		char cbuf[CMSG_SPACE(sizeof(uint16_t))];
		struct iovec one = { .iov_base = u->gbuf,
				     .iov_len = (size_t)k * size };
		struct msghdr m = { .msg_iov = &one,
				    .msg_iovlen = 1,
				    .msg_control = cbuf };

		m.msg_controllen =
			skit__udp_gso_cmsg(cbuf, sizeof(cbuf), (int)size);
		r = skit_sendmsg(c->fd, &m, MSG_DONTWAIT);
		if (r >= 0)
			return k;
		if (r != -EIO && r != -EINVAL && r != -EOPNOTSUPP &&
		    r != -EMSGSIZE)
			return (int)r;
		/* No checksum offload on the way out (EIO, before Linux
		 * 6.11), or segments the route cannot carry (EINVAL,
		 * EMSGSIZE): a batch from now on. */
		u->gso = false;
	}
	memset(v, 0, sizeof(v[0]) * (size_t)k);
	for (int i = 0; i < k; i++) {
		iov[i].iov_base = u->gbuf + (size_t)i * size;
		iov[i].iov_len = size;
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
	}
	return skit_sendmmsg(c->fd, v, (unsigned)k, MSG_DONTWAIT);
}

/* Send up to n datagrams (what is owed), u->segs per call; the
 * socket's EAGAIN (or a batch sent only in part) ends the burst. */
static void
send_burst(struct bench_conn *c, int n)
{
	struct bench_worker *w = c->w;
	struct bench_udp *u = c->udp;
	size_t size = (size_t)w->cfg->size;
	bool counting =
		atomic_load_explicit(&w->counting, memory_order_relaxed);

	while (n > 0 && !w->stopping) {
		int k = n < u->segs ? n : u->segs;
		int r = send_call(c, k, counting);

		if (r == -EAGAIN || r == -ENOBUFS) {
			r = 0;
		} else if (r < 0) {
			bench_fatal(w, r, "send to", NULL);
			return;
		}
		if (r > 0 && counting && !u->counting) {
			u->counting = true;
			u->first = u->next_seq;
		}
		u->next_seq += (uint64_t)r;
		u->credit -= r;
		if (counting) {
			u->sent += (uint64_t)r;
			bench_add(&c->ctr.tx, (uint64_t)r * size);
		}
		if (r < k) {
			u->blocked = true;
			bench_want(c, SKIT_EV_READ | SKIT_EV_WRITE);
			return;
		}
		n -= r;
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
		u->credit = skit__udp_owed(u->credit, per_ns, dt, UDP_BURST,
					   UDP_CATCH_MS);
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
	size_t size = (size_t)w->cfg->size;
	int segs = w->cfg->no_gso ? 1 : (int)(UDP_GSO_MAX / size);

	if (segs > UDP_SEGS)
		segs = UDP_SEGS;
	if (segs < 2)
		segs = 1;
	c->udp = calloc(1,
			sizeof(*c->udp) + (segs > 1 ? (size_t)segs * size : 0));
	if (!c->udp)
		return -ENOMEM;
	c->udp->segs = segs;
	if (segs > 1) {
		/* The payload of every segment is the one datagram's. */
		for (int i = 0; i < segs; i++)
			memcpy(c->udp->gbuf + (size_t)i * size, w->sbuf, size);
		c->udp->gso = skit__udp_gso_probe(c->fd, (int)size) == 0;
	}
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

/* A discard server's answer to our stats request. */
static void
on_answer(struct bench_conn *c, const char *d, size_t n)
{
	struct bench_udp *u = c->udp;
	struct skit__udp_answer a;

	if (!skit__udp_answer_read(d, n, &a) || a.stream != (uint32_t)c->idx ||
	    a.ask != u->ask || !u->ask)
		return; /* a stale one (a request answered twice) */
	if (u->answered && a.recv == u->ans.recv && a.dup == u->ans.dup &&
	    a.ooo == u->ans.ooo)
		u->settled = true;
	u->ans = a;
	u->answered = true;
}

/* One datagram came back. */
static void
on_datagram(struct bench_conn *c, const char *d, size_t n, int64_t now)
{
	struct bench_worker *w = c->w;
	struct bench_udp *u = c->udp;
	enum skit__udp_kind k = skit__udp_kind(d, n);
	uint64_t seq;
	uint32_t stream;
	int64_t ts;
	bool counted;

	if (k == SKIT__UDP_ASK)
		return; /* an echo server sent our stats request back */
	if (k == SKIT__UDP_ANSWER) {
		w->udp_last_rx = now;
		on_answer(c, d, n);
		return;
	}
	if (k != SKIT__UDP_DATA) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "a datagram came back that skit bench did not "
			    "send (%zu bytes)",
			    n);
		return;
	}
	skit__udp_unstamp(d, &stream, &counted, &seq, &ts);
	if (stream != (uint32_t)c->idx || seq >= u->next_seq) {
		bench_fatal(w, SKIT_EPROTO, "bench",
			    "a datagram came back that this stream did not "
			    "send");
		return;
	}
	w->udp_last_rx = now;
	if (!u->counting || seq < u->first)
		return; /* the warm-up's */
	if (skit__udp_count_add(&u->back, seq - u->first, n,
				skit__udp_ns_diff(now, ts)))
		bench_add(&c->ctr.rx, n);
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

/* Stream c is done draining: all came back, or the discard server's
 * counts settled. Else a stream that got nothing back asks the server
 * (again) for its counts, every UDP_ASK_MS. */
static bool
drained(struct bench_conn *c, int64_t now)
{
	struct bench_udp *u = c->udp;
	char ask[SKIT__UDP_CTL_LEN];

	if (u->back.recv >= u->sent || u->settled)
		return true;
	if (u->back.recv > 0 ||
	    (u->ask && now - u->ask_ns < UDP_ASK_MS * 1000000LL))
		return false;
	skit__udp_ask(ask, (uint32_t)c->idx, ++u->ask, u->sent);
	/* Lost or refused, it is asked again (or the drain ends). */
	(void)skit_sendto(c->fd, ask, sizeof(ask), MSG_DONTWAIT, NULL, 0);
	u->ask_ns = now;
	return false;
}

/* The drain is over: a stream the discard server counted received what
 * the server says it received. */
static void
take_answers(struct bench_worker *w)
{
	for (int i = 0; i < w->nconn; i++) {
		struct bench_conn *c = &w->conns[i];

		if (c->udp && c->udp->answered && !c->udp->back.recv)
			bench_add(&c->ctr.rx, c->udp->ans.bytes);
	}
}

/* Everything back (or counted by the server), or quiet for long enough,
 * or out of time. */
static void
on_drain(struct skit_loop *loop, void *data)
{
	struct bench_worker *w = data;
	int64_t now = skit_now_ns(), last = w->udp_last_rx;
	bool all = true;

	for (int i = 0; i < w->nconn; i++)
		if (w->conns[i].udp && !drained(&w->conns[i], now))
			all = false;
	if (last < w->udp_drain_start)
		last = w->udp_drain_start;
	if (all || now - last >= UDP_QUIET ||
	    now - w->udp_drain_start >= w->cfg->timeout_ms * 1000000) {
		take_answers(w);
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

/* How stream u's datagrams left (enum skit_bench_sent_by). */
static unsigned char
sent_by(const struct bench_udp *u)
{
	if (u->segs < 2)
		return SKIT_BENCH_SENT_SENDTO;
	return u->gso ? SKIT_BENCH_SENT_GSO : SKIT_BENCH_SENT_SENDMMSG;
}

void
bench_udp_sum(const struct skit_bench *b, struct skit_bench_udp *out)
{
	int streams = 0;

	memset(out, 0, sizeof(*out));
	out->sent_by = SKIT_BENCH_SENT_GSO;
	for (int t = 0; t < b->cfg.threads; t++)
		for (int i = 0; i < b->w[t].nconn; i++) {
			const struct bench_udp *u = b->w[t].conns[i].udp;

			if (!u)
				continue;
			if (sent_by(u) < out->sent_by)
				out->sent_by = sent_by(u);
			out->sent += u->sent;
			if (!u->back.recv && u->answered) {
				/* The discard server's counts. */
				out->received += u->ans.recv;
				out->out_of_order += u->ans.ooo;
				out->duplicates += u->ans.dup;
				out->jitter_ms +=
					(double)u->ans.jitter_ns / 1e6;
				out->receiver = true;
			} else {
				out->received += u->back.recv;
				out->out_of_order += u->back.ooo;
				out->duplicates += u->back.dup;
				out->jitter_ms += u->back.jitter / 1e6;
				out->echoed |= u->back.recv > 0;
			}
			streams++;
		}
	if (!streams)
		out->sent_by = SKIT_BENCH_SENT_SENDTO;
	out->lost = out->sent > out->received ? out->sent - out->received : 0;
	if (streams)
		out->jitter_ms /= streams;
}
