/*
 * echo.c - the echo/discard/source server of echo.h.
 *
 * Per connection: one struct conn (no buffer). A readable connection is
 * read into the server's scratch buffer and written straight back; a
 * short write leaves the unsent tail in a heap copy (conn.pending) and
 * the connection waits for writability instead of readability until the
 * tail is gone, so the server never holds more than one read per slow
 * peer. Level-triggered: one read per wakeup per connection, the loop's
 * budget keeps things fair.
 *
 * With cfg.wake_signal, one stream connection alone on its thread, exchanging
 * messages, is served with blocking reads (serve_alone): two system calls
 * per message instead of three, as a one-client server would do. A
 * receive time-out would arm a kernel timer per wait (measured: about a
 * microsecond per round trip), so the reads have none, and nothing
 * interrupts them on a schedule either (a periodic timer, even at 50 Hz,
 * showed in the p99 round trip). What ends serve_alone is wake_signal:
 * sent by the kernel to this thread when a connection arrives on the
 * listener (O_ASYNC), or by the caller to ask for a stop. Its handler,
 * skit_echo_wake, sets a per-thread flag that serve_alone checks before
 * each read; a signal that lands between that check and the read gives
 * the socket a receive time-out of one clock tick, so even then the read
 * returns at once if the peer is quiet.
 *
 * Connections come from serve.h (one accept per wakeup: level
 * triggering brings the listener back when more are queued, and a
 * second accept() that finds none would cost a system call per
 * connection in the common case). Datagram sockets are read here
 * directly: an echo answers each datagram, with no sessions to keep.
 */
#include "skit/echo.h"
#include "skit/io.h"
#include "skit/serve.h"
#include "skit/sock.h"
#include "engine/echo_int.h"
#include "engine/udp_count.h"
#include "core/io_int.h" /* skit__set_nonblock */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PATTERN_LINE 74 /* RFC 864: 72 characters + CR LF */
#define PATTERN_LEN  (95 * PATTERN_LINE)
#define SOURCE_CHUNK (64 * 1024)
/* The scratch buffer: the pattern (for SOURCE), then the read buffer,
 * larger than any UDP or default-sized unix datagram. */
#define RBUF	     ((PATTERN_LEN + SOURCE_CHUNK + 4095) & ~4095)
#define RBUF_LEN     (256 * 1024)
#define SCRATCH	     (RBUF + RBUF_LEN)
#define SOURCE_DGRAM 512
/* One datagram per wakeup (level triggering brings the socket back while
 * more are queued; see the top). */
#define DGRAM_BATCH   1
#define STOP_CHECK_MS 100 /* blocking datagram server: stop seen this often */

enum {
	CONN_EOF = 1 << 0,  /* peer sent EOF: close once pending is written */
	CONN_SEEN = 1 << 1, /* one read served: the next may serve_alone */
	CONN_HS = 1 << 2,   /* its layers' handshake is done */
};

struct conn {
	struct skit_echo *e;
	struct conn *prev, *next;
	char *pending;	      /* unsent tail, only while a write was short */
	struct skit_conn *lc; /* cfg.layer's conn over fd, or NULL */
	int64_t kick;	      /* the timer a layer's kick took, or 0 */
	int fd;
	uint32_t plen, off; /* pending length and how much is sent; for
			       SOURCE, off is the place in the pattern */
	uint32_t flags;
};

struct skit_echo {
	struct skit_loop *loop;
	struct skit_echo_cfg cfg;
	int lfd;
	struct skit_serve *serve; /* stream/seqpacket: the accept path */
	bool listening;		  /* datagrams: lfd is in the loop */
	bool draining;
	struct conn *conns; /* every open connection */
	struct skit_echo_stats st;
	char *scratch; /* SCRATCH bytes; for SOURCE the pattern, repeated */
	struct skit__udp_flows *flows; /* a datagram DISCARD's counts */
	bool gro;		       /* UDP_GRO on lfd (a udp DISCARD) */
	bool alone; /* serve_alone is allowed: wake_signal, stream */
};

static void
fill_pattern(char *buf, size_t len)
{
	/* Line k holds the 72 printable characters starting at ' ' + k. */
	for (size_t i = 0; i < len; i++) {
		size_t line = (i / PATTERN_LINE) % 95, col = i % PATTERN_LINE;

		if (col == 72)
			buf[i] = '\r';
		else if (col == 73)
			buf[i] = '\n';
		else
			buf[i] = (char)(' ' + (line + col) % 95);
	}
}

static void
conn_close(struct conn *c)
{
	struct skit_echo *e = c->e;

	if (c->kick)
		skit_loop_timer_cancel(e->loop, c->kick);
	skit_conn_free(c->lc); /* does not own the fd */
	/* A plain close: a peer's EOF came first, or it failed. */
	skit_serve_release(e->serve, c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->pending);
	free(c);
	e->st.active--;
}

/* Write the pending tail; 1 when it is all gone, 0 when not yet, -1 when
 * the connection was closed. */
static int
flush_pending(struct conn *c)
{
	struct skit_echo *e = c->e;
	ssize_t w =
		skit_write_some(c->fd, c->pending + c->off, c->plen - c->off);

	if (w == -EAGAIN)
		return 0;
	if (w < 0) {
		conn_close(c);
		return -1;
	}
	e->st.bytes_out += (uint64_t)w;
	c->off += (uint32_t)w;
	if (c->off < c->plen)
		return 0;
	if (e->cfg.type == SOCK_SEQPACKET)
		e->st.msgs_out++;
	free(c->pending);
	c->pending = NULL;
	c->plen = c->off = 0;
	return 1;
}

/* Write the next piece of the pattern; -1 when c was closed. */
static int
source_write(struct conn *c)
{
	struct skit_echo *e = c->e;
	ssize_t w = skit_write_some(c->fd, e->scratch + c->off, SOURCE_CHUNK);

	if (w == -EAGAIN)
		return 0;
	if (w < 0) {
		conn_close(c);
		return -1;
	}
	e->st.bytes_out += (uint64_t)w;
	if (e->cfg.type == SOCK_SEQPACKET)
		e->st.msgs_out++;
	c->off = (uint32_t)((c->off + (size_t)w) % PATTERN_LEN);
	return 0;
}

/*
 * Account for n bytes read into buf (the scratch buffer) and, in ECHO
 * mode, w of them written back (w: send's result). A short write keeps
 * the tail and waits for writability. Returns 1 when everything is done,
 * 0 when a tail is pending, -1 when c was closed.
 */
static int
served(struct conn *c, const char *buf, ssize_t n, ssize_t w)
{
	struct skit_echo *e = c->e;

	e->st.bytes_in += (uint64_t)n;
	if (e->cfg.type == SOCK_SEQPACKET)
		e->st.msgs_in++;
	if (e->cfg.mode != SKIT_ECHO_ECHO)
		return 1;
	if (w == -EAGAIN)
		w = 0;
	if (w < 0) {
		conn_close(c);
		return -1;
	}
	e->st.bytes_out += (uint64_t)w;
	if (w == n) {
		if (e->cfg.type == SOCK_SEQPACKET)
			e->st.msgs_out++;
		return 1;
	}
	/* Short write: keep the tail and wait for the peer to read. */
	c->pending = malloc((size_t)(n - w));
	if (!c->pending) {
		conn_close(c);
		return -1;
	}
	memcpy(c->pending, buf + w, (size_t)(n - w));
	c->plen = (uint32_t)(n - w);
	c->off = 0;
	skit_loop_mod(e->loop, c->fd, SKIT_EV_WRITE);
	return 0;
}

/*
 * c is its thread's only connection and has been served before: read
 * it blocking (recv, then send) instead of going back to epoll_wait for
 * each message, until wake_signal (a new connection on the listener,
 * which signals this thread meanwhile; a stop request), a short write,
 * or EOF.
 * Meanwhile c is out of epoll's interest list: registered, every
 * arriving message would also run epoll's wake-up callback (measured:
 * a quarter of a microsecond per round trip).
 */
static void
serve_alone(struct conn *c)
{
	struct skit_echo *e = c->e;
	char *buf = e->scratch + RBUF;
	bool echo = e->cfg.mode == SKIT_ECHO_ECHO;
	ssize_t n = -EINTR, w = 0; /* -EINTR: woken before any read */
	int r = 1, lis;

	/* Does the listener need to signal us meanwhile (O_ASYNC)? */
	lis = skit_serve_quiet(e->serve, true);
	if (lis < 0)
		return;
	skit__alone_woken = 0;
	/* != 0: an error, or a connection queued already (it would send no
	 * signal while c is read blocking): back to the loop. */
	if ((lis && skit__sock_async(e->lfd, e->cfg.wake_signal, true) != 0) ||
	    skit__set_nonblock(c->fd, false) < 0 ||
	    skit_loop_mod(e->loop, c->fd, 0) < 0) {
		if (lis)
			(void)skit__sock_async(e->lfd, e->cfg.wake_signal,
					       false);
		skit_serve_quiet(e->serve, false);
		if (skit__set_nonblock(c->fd, true) < 0)
			conn_close(c);
		return;
	}
	skit__alone_fd = c->fd;
	while (!skit__alone_woken) {
		n = skit__recvfrom_wait(c->fd, buf, RBUF_LEN, NULL, NULL);
		if (n <= 0)
			break;
		w = echo ? skit__sendto_now(c->fd, buf, (size_t)n, MSG_DONTWAIT,
					    NULL, 0)
			 : n;
		if (w != n)
			break;	      /* short or failed: served() below */
		served(c, buf, n, w); /* all of it written: returns 1 */
	}
	skit__alone_fd = -1;
	if (skit__alone_woken) /* the handler may have set a receive time-out */
		(void)skit__sock_rcvtimeo(c->fd, 0);
	if (lis)
		(void)skit__sock_async(e->lfd, e->cfg.wake_signal, false);
	skit_serve_quiet(e->serve, false);
	/* A short or failed send ended the loop: served() now, which may
	 * close c, once c->fd is no longer the handler's. */
	if (n > 0 && w != n && (r = served(c, buf, n, w)) < 0)
		return; /* closed */
	if (skit__set_nonblock(c->fd, true) < 0 ||
	    (n <= 0 && n != -EINTR && n != -EAGAIN) ||
	    (r == 1 && skit_loop_mod(e->loop, c->fd, SKIT_EV_READ) < 0))
		conn_close(c); /* EOF or an error, as in on_conn */
}

static void
on_conn(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	struct conn *c = data;
	struct skit_echo *e = c->e;
	ssize_t n, w = 0;

	(void)loop;
	if (c->pending) {
		int r = flush_pending(c);

		if (r <= 0)
			return;
		if (c->flags & CONN_EOF) {
			conn_close(c);
			return;
		}
		skit_loop_mod(e->loop, fd, SKIT_EV_READ);
		return;
	}
	if (e->cfg.mode == SKIT_ECHO_SOURCE && (events & SKIT_EV_WRITE)) {
		if (source_write(c) < 0)
			return;
		if (!(events & (SKIT_EV_READ | SKIT_EV_HUP | SKIT_EV_ERROR)))
			return;
	}
	if (!(events & (SKIT_EV_READ | SKIT_EV_HUP | SKIT_EV_ERROR)))
		return;
	/* recv, not read: the socket layer directly (measurably shorter). */
	n = skit_recvfrom(fd, e->scratch + RBUF, RBUF_LEN, 0, NULL, NULL);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		/*
		 * EOF (or an error): everything read before it has been
		 * echoed already (nothing is read while a tail is pending),
		 * so the echo is complete and close() ends it with a FIN.
		 * On SEQPACKET a 0-length message reads the same as EOF.
		 */
		conn_close(c);
		return;
	}
	if (e->cfg.mode == SKIT_ECHO_ECHO)
		w = skit_sendto(fd, e->scratch + RBUF, (size_t)n, 0, NULL, 0);
	if (served(c, e->scratch + RBUF, n, w) != 1)
		return;
	/*
	 * Alone on this thread and talked to more than once (a
	 * request/response peer, or a stream to discard; not a
	 * connect-request-close one): serve it blocking for a while (when
	 * the serve allows: skit_serve_quiet).
	 */
	if (e->alone && e->st.active == 1 && !e->draining &&
	    e->cfg.mode != SKIT_ECHO_SOURCE) {
		if (c->flags & CONN_SEEN)
			serve_alone(c);
		else
			c->flags |= CONN_SEEN;
	}
}

/*
 * A connection with a layer (cfg.layer): the same service through the
 * conn (skit_conn_recv/send), which runs the handshake first; the events
 * watched are what the chain asks for. Returns after -EAGAIN, a short
 * write, or a bounded number of rounds (level-triggered: fair).
 */
static void
on_lconn(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	struct conn *c = data;
	struct skit_echo *e = c->e;
	char *buf = e->scratch + RBUF;
	unsigned want;
	ssize_t n, w;
	int rc;

	(void)loop;
	(void)events;
	rc = skit_conn_flush(c->lc);
	if (rc < 0 && rc != -EAGAIN)
		goto close;
	if (rc == -EAGAIN && skit_conn_handshaking(c->lc))
		goto wait;
	if (!(c->flags & CONN_HS) && !skit_conn_handshaking(c->lc)) {
		/* the first session is kept for the totals */
		c->flags |= CONN_HS;
		if (!e->st.have_tls &&
		    skit_conn_tls_info(c->lc, &e->st.tls) == 0)
			e->st.have_tls = true;
	}
	while (c->pending) {
		w = skit_conn_send(c->lc, c->pending + c->off,
				   c->plen - c->off);
		if (w == -EAGAIN)
			goto wait;
		if (w < 0)
			goto close;
		e->st.bytes_out += (uint64_t)w;
		c->off += (uint32_t)w;
		if (c->off == c->plen) {
			free(c->pending);
			c->pending = NULL;
			c->plen = c->off = 0;
		}
	}
	if (c->flags & CONN_EOF) {
		/* The peer is done and so is our echo: end our side. */
		rc = skit_conn_shutdown(c->lc);
		if (rc == -EAGAIN)
			goto wait;
		goto close;
	}
	if (e->cfg.mode == SKIT_ECHO_SOURCE) {
		w = skit_conn_send(c->lc, e->scratch + c->off, SOURCE_CHUNK);
		if (w < 0 && w != -EAGAIN)
			goto close;
		if (w > 0) {
			e->st.bytes_out += (uint64_t)w;
			c->off = (uint32_t)((c->off + (size_t)w) % PATTERN_LEN);
		}
	}
	/*
	 * A wakeup's budget: 64 messages (a layer's: a ws message, a TLS
	 * record) or RBUF_LEN bytes, so that a batch of small pipelined
	 * messages is answered at once (one write, with the ws layer's
	 * batching) and a bulk sender still leaves the others their turn.
	 */
	for (size_t i = 0, got = 0; i < 64 && got < RBUF_LEN; i++) {
		n = skit_conn_recv(c->lc, buf, RBUF_LEN);
		if (n == -EAGAIN)
			break;
		if (n == 0) {
			c->flags |= CONN_EOF;
			rc = skit_conn_shutdown(c->lc);
			if (rc == -EAGAIN)
				goto wait;
			goto close;
		}
		if (n < 0)
			goto close;
		w = 0;
		if (e->cfg.mode == SKIT_ECHO_ECHO)
			w = skit_conn_send(c->lc, buf, (size_t)n);
		rc = served(c, buf, n, w);
		if (rc < 0)
			return; /* closed */
		if (rc == 0)
			break; /* a tail is pending */
		got += (size_t)n;
	}
wait:
	want = c->pending || (c->flags & CONN_EOF) ||
			       e->cfg.mode == SKIT_ECHO_SOURCE
		       ? SKIT_EV_WRITE
		       : SKIT_EV_READ;
	if (skit_conn_pending(c->lc) && !c->pending) {
		/* Decoded input waits: come back at once. */
		want |= SKIT_EV_WRITE;
	}
	skit_loop_mod(e->loop, fd, skit_conn_events(c->lc, want));
	return;
close:
	conn_close(c);
}

/* A layer's timer (faults) kicked: serve the connection on the next
 * round, not from inside the layer. */
static void
on_lkick(struct skit_loop *loop, void *data)
{
	struct conn *c = data;

	c->kick = 0;
	on_lconn(loop, c->fd, 0, c);
}

static void
lkick(struct skit_conn *lc, void *data)
{
	struct conn *c = data;
	int64_t id;

	(void)lc;
	if (c->kick)
		return;
	id = skit_loop_timer(c->e->loop, 0, on_lkick, c);
	if (id > 0)
		c->kick = id;
}

/* The conn over fd with the configured layers: cfg.layer, cfg.layer2
 * (ws over tls), then the faults numbered for this connection. */
static int
lconn_open(struct skit_echo *e, struct conn *c, int fd)
{
	int r = skit_conn_new(fd, fd, e->cfg.type, false, &c->lc);

	if (r == 0 && e->cfg.layer)
		r = skit_conn_push(c->lc, e->cfg.layer, e->cfg.layer_cfg, NULL);
	if (r == 0 && e->cfg.layer2)
		r = skit_conn_push(c->lc, e->cfg.layer2, e->cfg.layer2_cfg,
				   NULL);
	if (r == 0 && e->cfg.faults) {
		struct skit_fault_cfg fc = *e->cfg.faults;
		uint64_t step = e->cfg.id_step ? e->cfg.id_step : 1;

		fc.conn_id = (e->cfg.first_id ? e->cfg.first_id : 1) +
			     e->st.conns * step;
		r = skit_conn_push(c->lc, &skit_layer_fault, &fc, NULL);
		c->e = e;
		c->fd = fd;
		skit_conn_set_loop(c->lc, e->loop, lkick, c);
	}
	return r;
}

/*
 * A plain TCP connection to DISCARD is read in gulps of at least this
 * (or what is left at its end, or an error): SO_RCVLOWAT. Fewer
 * wake-ups of the reader cost the sender less on loopback (the waking
 * runs in the sender's context): +8-10% at 1 MiB writes.
 */
enum { DISCARD_LOWAT = RBUF_LEN / 2 };

/* serve.h: a new connection, ours from now on. */
static void
on_accept(struct skit_serve *s, int fd, const struct skit_sockaddr *peer,
	  void *data)
{
	struct skit_echo *e = data;
	unsigned ev = SKIT_EV_READ;
	struct conn *c;

	if (e->cfg.mode == SKIT_ECHO_SOURCE)
		ev |= SKIT_EV_WRITE;
	c = calloc(1, sizeof(*c));
	if (c && (e->cfg.layer || e->cfg.faults) && lconn_open(e, c, fd) < 0) {
		skit_conn_free(c->lc);
		free(c);
		c = NULL;
	}
	/* TCP only (an inet peer; unix and vsock are left alone), and not
	 * with layers: a handshake's few bytes must wake us. */
	if (c && !c->lc && e->cfg.mode == SKIT_ECHO_DISCARD &&
	    (peer->family == AF_INET || peer->family == AF_INET6))
		(void)skit__setsockopt_int(fd, SOL_SOCKET, SO_RCVLOWAT,
					   DISCARD_LOWAT);
	if (!c || skit_loop_add(e->loop, fd,
				c->lc ? SKIT_EV_READ | SKIT_EV_WRITE : ev,
				c->lc ? on_lconn : on_conn, c) < 0) {
		if (c)
			skit_conn_free(c->lc);
		free(c);
		skit_serve_release(s, fd);
		return;
	}
	c->e = e;
	c->fd = fd;
	c->next = e->conns;
	if (e->conns)
		e->conns->prev = c;
	e->conns = c;
	e->st.conns++;
	e->st.active++;
}

static void
on_event(struct skit_serve *s, const struct skit_serve_event *ev, void *data)
{
	struct skit_echo *e = data;

	(void)s;
	if (e->cfg.on_event)
		e->cfg.on_event(ev, e->cfg.data);
}

/* Serve one datagram (n bytes at buf, from from). */
static void
dgram_one(const struct skit_echo_cfg *cfg, struct skit_echo_stats *st,
	  struct skit__udp_flows *flows, char *scratch, int fd, const char *buf,
	  size_t n, const struct sockaddr_storage *from, socklen_t fromlen,
	  int64_t now)
{
	char ans[SKIT__UDP_CTL_LEN];
	size_t out = n;
	ssize_t w;

	st->bytes_in += (uint64_t)n;
	st->msgs_in++;
	if (cfg->mode == SKIT_ECHO_DISCARD) {
		/* skit bench -u's datagrams are counted, its stats request
		 * answered (udp_count.h); the rest dropped. */
		out = flows ? skit__udp_flows_input(
				      flows, buf, n,
				      (const struct sockaddr *)from, fromlen,
				      now, ans)
			    : 0;
		if (!out)
			return;
		buf = ans;
	}
	if (fromlen <= sizeof(sa_family_t)) {
		/* An unbound unix sender: nowhere to answer. */
		st->dropped++;
		return;
	}
	if (cfg->mode == SKIT_ECHO_SOURCE) {
		buf = scratch;
		out = SOURCE_DGRAM;
	}
	/*
	 * Never wait for the sender to make room: a unix client that
	 * stopped reading would hold the server (and every other client)
	 * for ever. Its answer is dropped, as UDP would.
	 */
	w = skit__sendto_now(fd, buf, out, MSG_DONTWAIT,
			     (const struct sockaddr *)from, fromlen);
	if (w < 0) {
		st->dropped++;
		return;
	}
	st->bytes_out += (uint64_t)w;
	st->msgs_out++;
}

/*
 * Answer the datagrams queued on fd, at most max receives (flags for
 * recvfrom: 0, or MSG_DONTWAIT on a blocking socket); stops at the first
 * -EAGAIN (nothing queued, or the receive time-out of a blocking
 * socket) or -EINTR (cfg->wake_signal). With gro (UDP_GRO on fd: a
 * discard server's) one receive may bring many datagrams of one size,
 * each served on its own. Returns how many receives there were.
 */
static int
dgram_serve(const struct skit_echo_cfg *cfg, struct skit_echo_stats *st,
	    struct skit__udp_flows *flows, bool gro, char *scratch, int fd,
	    int max, int flags)
{
	int i;

	for (i = 0; i < max; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		char *buf = scratch + RBUF;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = buf, .iov_len = RBUF_LEN };
		struct msghdr m = { .msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct skit__udp_segs segs;
		const char *d;
		size_t len;
		ssize_t n;
		int64_t now;

		if (gro) {
			n = flags == 0 && cfg->wake_signal
				    ? skit__recvmsg_wait(fd, &m, 0)
				    : skit_recvmsg(fd, &m, flags);
			fromlen = m.msg_namelen;
		} else if (flags == 0 && cfg->wake_signal) {
			n = skit__recvfrom_wait(fd, buf, RBUF_LEN,
						(struct sockaddr *)&from,
						&fromlen);
		} else {
			n = skit_recvfrom(fd, buf, RBUF_LEN, flags,
					  (struct sockaddr *)&from, &fromlen);
		}
		if (n == -EAGAIN || n == -EINTR)
			break;
		if (n < 0)
			continue; /* an ICMP error from an earlier send */
		/* One clock reading for all of one receive: they arrived
		 * together. */
		now = flows ? skit_now_ns() : 0;
		skit__udp_segs_init(&segs, buf, (size_t)n,
				    gro ? skit__udp_gro_size(&m) : 0);
		while (skit__udp_seg_next(&segs, &d, &len))
			dgram_one(cfg, st, flows, scratch, fd, d, len, &from,
				  fromlen, now);
	}
	return i;
}

/* A discard server counting skit bench -u's datagrams takes them by
 * the GSO send (UDP GRO): one receive, and one trip through the stack,
 * for many. false where the kernel or the socket kind has none. */
static bool
dgram_gro(const struct skit_echo_cfg *cfg, int fd)
{
	return cfg->mode == SKIT_ECHO_DISCARD && skit__udp_gro(fd, true) == 0;
}

static int
dgram_batch(struct skit_echo *e, int fd, int max)
{
	return dgram_serve(&e->cfg, &e->st, e->flows, e->gro, e->scratch, fd,
			   max, 0);
}

int
skit_echo_dgram_serve(int fd, const struct skit_echo_cfg *cfg,
		      skit_echo_stopped_fn stopped, void *data,
		      struct skit_echo_stats *st)
{
	char *scratch = aligned_alloc(4096, SCRATCH);
	struct skit__udp_flows *flows = NULL;
	bool gro;
	int r;

	memset(st, 0, sizeof(*st));
	if (!scratch || (cfg->mode == SKIT_ECHO_DISCARD &&
			 skit__udp_flows_new(&flows) < 0)) {
		free(scratch);
		return -ENOMEM;
	}
	fill_pattern(scratch, PATTERN_LEN + SOURCE_CHUNK);
	gro = dgram_gro(cfg, fd);
	r = cfg->wake_signal ? 0 : skit__sock_rcvtimeo(fd, STOP_CHECK_MS);
	while (r == 0 && !stopped(data))
		dgram_serve(cfg, st, flows, gro, scratch, fd, 1024, 0);
	/* Stopping: answer what already arrived (bounded), then return. */
	if (r == 0)
		dgram_serve(cfg, st, flows, gro, scratch, fd, 65536,
			    MSG_DONTWAIT);
	skit__udp_flows_free(flows);
	free(scratch);
	return r;
}

static void
on_dgram(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	(void)loop;
	(void)events;
	dgram_batch(data, fd, DGRAM_BATCH);
}

int
skit_echo_new(struct skit_loop *loop, int fd, const struct skit_echo_cfg *cfg,
	      struct skit_echo **out)
{
	struct skit_echo *e;
	int r;

	if (cfg->faults && cfg->type == SOCK_DGRAM)
		return -EINVAL; /* datagrams are answered without a conn */
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->scratch = aligned_alloc(4096, SCRATCH);
	if (!e->scratch ||
	    (cfg->type == SOCK_DGRAM && cfg->mode == SKIT_ECHO_DISCARD &&
	     skit__udp_flows_new(&e->flows) < 0)) {
		free(e->scratch);
		free(e);
		return -ENOMEM;
	}
	fill_pattern(e->scratch, PATTERN_LEN + SOURCE_CHUNK);
	e->loop = loop;
	e->cfg = *cfg;
	e->lfd = fd;
	/*
	 * Blocking reads win over stream sockets (measured per 64-byte round
	 * trip: TCP 14.8 -> 13.9 us; unix 8.9-10.0 -> 8.5-8.6 us, steady
	 * where the loop's times were bimodal).
	 */
	e->alone = cfg->wake_signal && cfg->type == SOCK_STREAM &&
		   !cfg->layer && !cfg->faults;
	if (cfg->type == SOCK_DGRAM) {
		e->gro = dgram_gro(cfg, fd);
		r = skit_loop_add(loop, fd, SKIT_EV_READ, on_dgram, e);
		e->listening = r == 0;
	} else {
		struct skit_serve_cfg sc = { .max_conns = cfg->max_conns,
					     .limit = cfg->limit,
					     .batch = 1,
					     .linger_ms = -1,
					     .exclusive = cfg->exclusive,
					     .share = cfg->share,
					     .on_conn = on_accept,
					     .on_event = on_event,
					     .data = e };

		r = skit_serve_fd(loop, fd, &sc, &e->serve);
	}
	if (r < 0) {
		skit__udp_flows_free(e->flows);
		free(e->scratch);
		free(e);
		return r;
	}
	*out = e;
	return 0;
}

void
skit_echo_drain(struct skit_echo *e)
{
	if (e->draining)
		return;
	e->draining = true;
	if (e->serve)
		skit_serve_close(e->serve); /* leaves the loop; the fd stays */
	if (e->cfg.type == SOCK_DGRAM) {
		/* Answer what already arrived (bounded), then stop. */
		dgram_batch(e, e->lfd, 65536);
	}
	if (e->listening)
		skit_loop_del(e->loop, e->lfd);
	e->listening = false;
}

int
skit_echo_active(const struct skit_echo *e)
{
	return e->st.active;
}

void
skit_echo_stats(const struct skit_echo *e, struct skit_echo_stats *out)
{
	*out = e->st;
	if (e->serve) {
		struct skit_serve_stats ss;

		skit_serve_stats(e->serve, &ss);
		out->rejected = ss.refused;
		out->nofd = ss.nofd;
	}
}

void
skit_echo_free(struct skit_echo *e)
{
	if (!e)
		return;
	while (e->conns)
		conn_close(e->conns);
	skit_serve_free(e->serve);
	if (e->listening)
		skit_loop_del(e->loop, e->lfd);
	skit__udp_flows_free(e->flows);
	free(e->scratch);
	free(e);
}
