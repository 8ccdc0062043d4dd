/*
 * nc_hub.c - many clients on one loop, exchanging bytes: --broker
 * (every client's bytes go to every other client), --chat (the same,
 * line by line, each line prefixed with its sender's address), and
 * `listen -k` without --exec (clients -> stdout, stdin -> every
 * client).
 *
 * In --broker/--chat a client that half-closes stays a listener until
 * writing to it fails.
 * Each member has an output queue. A member whose queue passes
 * HUB_QMAX (a reader that does not keep up) is dropped with a message,
 * so one slow client cannot make the server hold unbounded memory or
 * stall the others.
 *
 * Over WebSocket (nc_hub_set_ws) the members' messages are messages too
 * (each passed on with its type, text or binary, whatever the mode):
 * each is read whole through the member's layers (TLS, ws) and queued
 * as one, as on seqpacket.
 *
 * On a seqpacket listener the members' messages keep their boundaries:
 * each is queued with its length and sent as one message, stdin is cut
 * into messages by --framing, and messages go to stdout framed by it
 * (line and raw: as they are), as the one-client session does.
 *
 * Why this is its own pump and not relay pairs (issue 14): a pair joins
 * two ends, the hub one to many. As pairs, each member would be its
 * socket against a pushed end, its input read into a destination that
 * discards (seen only by on_data), and everyone else's output pushed
 * in with skit_relay_push. But a pair's queue is its fixed buffer, and
 * a push that does not fit is dropped: right for a datagram, wrong for
 * a byte stream, where the hub keeps a queue that grows to HUB_QMAX and
 * then drops the slow member, never a piece of its stream. Pairs would
 * need a growable-queue push mode and the discarding end: more than
 * this file's queue. The right home is a broker engine in the library
 * (N members, each a conn, with the queue policy here); --chat's prefix
 * and the stdio side stay CLI. Left for when a second user (skit relay)
 * needs it.
 */
#include "cli.h"
#include "cli_tls.h"
#include "cli_ws.h"
#include "nc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HUB_QMAX (8u << 20)
#define HUB_READ (64u << 10)
#define MSG_HDR	 sizeof(uint32_t) /* a queued message's length */
/* ...and over ws its type, in the length's top bits (0: the mode's) */
#define MSG_BINARY 0x80000000u
#define MSG_TEXT   0x40000000u
#define MSG_LEN	   0x3fffffffu
#define MSG_BURST  64 /* messages sent per wakeup */

struct member {
	struct nc_hub *h;
	int fd;
	struct skit_conn *c; /* TLS and/or ws over fd, or NULL */
	struct cli_ws *ws;   /* its WebSocket (nc_hub_set_ws), or NULL */
	char name[128];
	char *q; /* pending output */
	size_t qlen, qcap, qoff;
	char *line; /* --chat: a partial line */
	size_t llen;
	bool closing; /* read side done: only written to from now on */
	uint64_t bytes_in, bytes_out; /* --json's counts */
	double t0;
	const char *why; /* how it left: "eof", "reset", "error", "closed" */
	int error;
	struct member *next;
};

struct nc_hub {
	struct skit_loop *loop;
	enum nc_hub_mode mode;
	bool hex;
	struct member *list;
	int n;
	bool stdin_open;
	bool msgs; /* seqpacket members: queue and send whole messages */
	enum skit_framing framing;
	struct skit_frame_reader in; /* msgs: stdin cut into messages */
	char *rbuf;
	void (*on_leave)(void *);
	void *leave_data;
	bool json;
	const struct cli_tls *tls; /* every member over TLS, or NULL */
	const struct cli_ws *ws;   /* every member over WebSocket, or NULL */
	size_t rcap;		   /* rbuf's size */
	char *wbuf;		   /* ws: a message rewritten (--chat, "\n") */
	size_t wcap;
	uint32_t op_bits; /* ws: the type of the message being delivered
			     (MSG_BINARY, MSG_TEXT; 0 for stdin's) */
};

static void member_cb(struct skit_loop *loop, int fd, unsigned ev, void *data);

/* Watch m for ev, as its TLS layer needs it (a handshake, held bytes). */
static void
member_watch(struct member *m, unsigned ev)
{
	skit_loop_mod(m->h->loop, m->fd,
		      m->c ? skit_conn_events(m->c, ev) : ev);
}

/* What m waits for now: its queue, and reading while it may. */
static unsigned
member_wants(const struct member *m)
{
	return (m->closing ? 0 : SKIT_EV_READ) |
	       (m->qlen > m->qoff ? SKIT_EV_WRITE : 0);
}

void
nc_hub_on_leave(struct nc_hub *h, void (*cb)(void *data), void *data)
{
	h->on_leave = cb;
	h->leave_data = data;
}

void
nc_hub_set_json(struct nc_hub *h, bool on)
{
	h->json = on;
}

static void
member_free(struct nc_hub *h, struct member *m)
{
	struct member **pp;

	if (h->json)
		nc_json_closed(m->name, m->bytes_out, m->bytes_in,
			       cli_now_s() - m->t0, m->why, m->error, m->c);
	for (pp = &h->list; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	skit_loop_del(h->loop, m->fd);
	if (m->c) {
		/* close_notify if the socket takes it now; no waiting */
		(void)skit_conn_shutdown(m->c);
		skit_conn_free(m->c);
	}
	skit_close(m->fd);
	free(m->ws);
	free(m->q);
	free(m->line);
	free(m);
	h->n--;
	if (h->on_leave)
		h->on_leave(h->leave_data);
}

static void
member_drop(struct member *m, const char *why)
{
	if (why)
		cli_errorf("listen: dropping %s: %s", m->name, why);
	else if (cli_g.verbose)
		cli_verbose("%s left", m->name);
	member_free(m->h, m);
}

/* A read or write on m failed with code: say which, drop m. */
static void
member_failed(struct member *m, const char *op, int code)
{
	cli_errorf("listen: %s client %s: %s; dropped it", op, m->name,
		   skit_strerror(code));
	m->why = "error";
	m->error = code;
	member_free(m->h, m);
}

/*
 * Queue bytes for m (for a message member, one message: its length
 * first); false when m was dropped for being too slow.
 */
static bool
enqueue(struct member *m, const char *p, size_t len)
{
	size_t hl = m->h->msgs ? MSG_HDR : 0, n = hl + len;

	if (m->qoff && m->qoff == m->qlen)
		m->qoff = m->qlen = 0;
	if (m->qlen - m->qoff + n > HUB_QMAX) {
		member_drop(m, "it does not read fast enough");
		return false;
	}
	if (m->qlen + n > m->qcap) {
		size_t ncap = m->qcap ? m->qcap : 16384;
		char *nq;

		if (m->qoff) {
			memmove(m->q, m->q + m->qoff, m->qlen - m->qoff);
			m->qlen -= m->qoff;
			m->qoff = 0;
		}
		while (ncap < m->qlen + n)
			ncap *= 2;
		if (ncap != m->qcap) {
			nq = realloc(m->q, ncap);
			if (!nq) {
				member_drop(m, "out of memory");
				return false;
			}
			m->q = nq;
			m->qcap = ncap;
		}
	}
	if (hl) {
		uint32_t v = (uint32_t)len | m->h->op_bits;

		memcpy(m->q + m->qlen, &v, hl);
	}
	memcpy(m->q + m->qlen + hl, p, len);
	m->qlen += n;
	member_watch(m, (m->closing ? 0 : SKIT_EV_READ) | SKIT_EV_WRITE);
	return true;
}

/* Deliver bytes from src (NULL: stdin) to the members it goes to. */
static void
deliver(struct nc_hub *h, struct member *src, const char *p, size_t n)
{
	struct member *m, *next;

	if (h->mode == NC_HUB_FAN && src) {
		ssize_t w = h->msgs ? skit_frame_write(STDOUT_FILENO,
						       h->framing, NULL, p, n)
				    : skit_write_all(STDOUT_FILENO, p, n, -1);

		/* Nowhere to put the clients' data: the server is done. */
		if (w < 0) {
			cli_stdout_failed((int)w);
			skit_loop_stop(h->loop);
		}
		return;
	}
	/* An empty seqpacket message would read as EOF: none is sent. */
	if (h->msgs && n == 0)
		return;
	for (m = h->list; m; m = next) {
		next = m->next;
		if (m != src)
			enqueue(m, p, n);
	}
}

/* --chat: whole lines, each prefixed with the sender's address. */
static void
deliver_lines(struct nc_hub *h, struct member *src, const char *p, size_t n,
	      bool eof)
{
	size_t plen = strlen(src->name) + 2;

	while (n || (eof && src->llen)) {
		const char *nl = n ? memchr(p, '\n', n) : NULL;
		size_t take = nl ? (size_t)(nl - p) + 1 : n;
		char *nb;

		nb = realloc(src->line, src->llen + take + plen + 1);
		if (!nb)
			return;
		src->line = nb;
		if (!src->llen) {
			snprintf(src->line, plen + 1, "%s: ", src->name);
			src->llen = plen;
		}
		memcpy(src->line + src->llen, p, take);
		src->llen += take;
		p += take;
		n -= take;
		if (!nl && !eof)
			return;
		if (!nl)
			src->line[src->llen++] = '\n';
		deliver(h, src, src->line, src->llen);
		src->llen = 0;
		if (!nl)
			return;
	}
}

/*
 * A whole message from src (NULL: stdin) over WebSocket: --chat puts
 * the sender in front; in text mode it ends with the "\n" that makes
 * it one message in the layer (stdin's last line may lack it).
 */
static void
deliver_ws(struct nc_hub *h, struct member *src, const char *p, size_t n)
{
	bool text = h->ws->cfg.mode == SKIT_WS_MODE_TEXT;
	bool nl = text && (!n || p[n - 1] != '\n');
	size_t pl = h->mode == NC_HUB_CHAT && src ? strlen(src->name) + 2 : 0;

	if (!pl && !nl) {
		deliver(h, src, p, n);
		return;
	}
	if (pl + n + 1 > h->wcap) {
		char *nb = realloc(h->wbuf, pl + n + 1);

		if (!nb)
			return;
		h->wbuf = nb;
		h->wcap = pl + n + 1;
	}
	if (pl) {
		memcpy(h->wbuf, src->name, pl - 2);
		memcpy(h->wbuf + pl - 2, ": ", 2);
	}
	memcpy(h->wbuf + pl, p, n);
	if (nl)
		h->wbuf[pl + n++] = '\n';
	deliver(h, src, h->wbuf, pl + n);
}

static void
member_read(struct nc_hub *h, struct member *m)
{
	ssize_t n;

	/* MSG_TRUNC: a message's real length even if it does not fit. */
	n = m->c ? skit_conn_recv(m->c, h->rbuf, m->ws ? h->rcap : HUB_READ)
	    : h->msgs ? skit_recvfrom(m->fd, h->rbuf, NC_MSG_MAX, MSG_TRUNC,
				      NULL, NULL)
		      : skit_read_some(m->fd, h->rbuf, HUB_READ);
	if (n == -EAGAIN) {
		if (m->c)
			member_watch(m, member_wants(m));
		return;
	}
	if (h->msgs && !m->ws && n > NC_MSG_MAX) {
		/* Dropped whole: a cut message would pass for one. */
		cli_errorf("listen: dropped a %zd-byte message from %s: "
			   "larger than %d bytes",
			   n, m->name, NC_MSG_MAX);
		return;
	}
	if (n > 0)
		m->bytes_in += (uint64_t)n;
	if (n < 0) {
		m->why = n == -ECONNRESET ? "reset" : "error";
		m->error = (int)n;
	}
	if (m->ws && n <= 0) {
		/*
		 * the close handshake is done, or the ws said why not (a
		 * reset is a client gone, as without ws)
		 */
		if (n < 0 && n != -ECONNRESET && cli_ws_report(m->ws) < 0 &&
		    !cli_tls_failed(m->c, m->name)) {
			member_failed(m, "read from", (int)n);
			return;
		}
		member_drop(m, NULL);
		return;
	}
	if (n <= 0) {
		if (h->mode == NC_HUB_CHAT)
			deliver_lines(h, m, "", 0, true);
		if (m->c && n < 0 && cli_tls_failed(m->c, m->name)) {
			member_drop(m, NULL);
			return;
		}
		if (n < 0 && n != -ECONNRESET) {
			member_failed(m, "read from", (int)n);
			return;
		}
		/*
		 * EOF. In the fan mode (-k) the client only ever gets stdin's
		 * broadcast: it is closed once its queue is sent, as ncat
		 * does. In --broker/--chat it is done talking but may still
		 * listen (a half-close): stop reading and keep sending it what
		 * the others say until a write fails because it has gone.
		 */
		m->closing = true;
		if (h->mode == NC_HUB_FAN && m->qlen == m->qoff) {
			member_drop(m, NULL);
			return;
		}
		member_watch(m, m->qlen > m->qoff ? SKIT_EV_WRITE : 0);
		return;
	}
	if (h->hex)
		cli_hexdump(stderr, "<", 0, h->rbuf, (size_t)n);
	if (m->ws) {
		/* each message goes on with its type, whatever the mode */
		unsigned op = skit_ws_last_op(m->c);

		h->op_bits = op == SKIT_WS_OP_BINARY ? MSG_BINARY
			     : op == SKIT_WS_OP_TEXT ? MSG_TEXT
						     : 0;
		deliver_ws(h, m, h->rbuf, (size_t)n);
		h->op_bits = 0;
	} else if (h->mode == NC_HUB_CHAT)
		deliver_lines(h, m, h->rbuf, (size_t)n, false);
	else
		deliver(h, m, h->rbuf, (size_t)n);
}

/* Send queued messages, one send each; -EAGAIN when m is full. */
static ssize_t
member_write_msgs(struct member *m)
{
	for (int i = 0; i < MSG_BURST && m->qoff < m->qlen; i++) {
		uint32_t len;
		ssize_t n;

		memcpy(&len, m->q + m->qoff, MSG_HDR);
		if (m->ws && (len & (MSG_BINARY | MSG_TEXT)))
			skit_ws_next_op(m->c, len & MSG_BINARY
						      ? SKIT_WS_OP_BINARY
						      : SKIT_WS_OP_TEXT);
		len &= MSG_LEN;
		n = m->ws ? skit_conn_send(m->c, m->q + m->qoff + MSG_HDR, len)
			  : skit_write_some(m->fd, m->q + m->qoff + MSG_HDR,
					    len);
		if (n < 0)
			return n;
		m->bytes_out += (uint64_t)n;
		m->qoff += MSG_HDR + len;
	}
	return 0;
}

static void
member_write(struct nc_hub *h, struct member *m)
{
	ssize_t n;

	if (m->qoff == m->qlen) /* only the TLS layer had bytes to write */
		return;
	n = h->msgs ? member_write_msgs(m)
	    : m->c  ? skit_conn_send(m->c, m->q + m->qoff, m->qlen - m->qoff)
		    : skit_write_some(m->fd, m->q + m->qoff, m->qlen - m->qoff);
	if (n == -EAGAIN) {
		if (m->c)
			member_watch(m, member_wants(m));
		return;
	}
	if (n == -EPIPE || n == -ECONNRESET) {
		m->why = "reset";
		m->error = (int)n;
		member_drop(m, NULL); /* it has gone */
		return;
	}
	if (n < 0) {
		member_failed(m, "write to", (int)n);
		return;
	}
	if (!h->msgs) {
		m->qoff += (size_t)n;
		m->bytes_out += (uint64_t)n;
	}
	if (m->qoff < m->qlen)
		return;
	m->qoff = m->qlen = 0;
	if (m->closing && h->mode == NC_HUB_FAN)
		member_drop(m, NULL);
	else
		member_watch(m, m->closing ? 0 : SKIT_EV_READ);
}

static void
member_cb(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct member *m = data;
	struct nc_hub *h = m->h;

	(void)loop;
	(void)fd;
	if (m->c) {
		/* The handshake first, then what the layer holds. */
		int rc = skit_conn_flush(m->c);

		if (rc < 0 && rc != -EAGAIN) {
			if (cli_tls_failed(m->c, m->name) ||
			    (m->ws && cli_ws_report(m->ws) >= 0))
				member_drop(m, NULL);
			else
				member_failed(m,
					      m->ws ? "websocket with"
						    : "TLS with",
					      rc);
			return;
		}
		if (skit_conn_handshaking(m->c)) {
			member_watch(m, SKIT_EV_READ);
			return;
		}
		/* Decoded records wait for no readable fd. */
		if (skit_conn_pending(m->c))
			ev |= SKIT_EV_READ;
	}
	if (ev & SKIT_EV_WRITE) {
		member_write(h, m);
		/* m may be gone: only read if it is still watched. */
		for (struct member *x = h->list; x; x = x->next)
			if (x == m)
				goto alive;
		return;
	}
alive:
	if (ev & (SKIT_EV_READ | SKIT_EV_HUP | SKIT_EV_ERROR)) {
		if (m->closing) {
			if (ev & (SKIT_EV_ERROR | SKIT_EV_HUP))
				member_drop(m, NULL);
			return;
		}
		member_read(h, m);
		/* m may be gone; a TLS member may hold more decoded input */
		for (struct member *x = h->list; x; x = x->next)
			if (x == m && m->c && !m->closing)
				member_watch(m, member_wants(m) |
							(skit_conn_pending(m->c)
								 ? SKIT_EV_WRITE
								 : 0));
	}
}

/* stdin of a seqpacket hub: cut into messages by the framing. */
static void
stdin_msgs(struct nc_hub *h, int fd)
{
	const char *p;
	size_t len;
	int rc = skit_frame_reader_fill(&h->in), k;

	while ((k = skit_frame_reader_take(&h->in, h->framing, &p, &len)) > 0) {
		if (h->ws)
			deliver_ws(h, NULL, p, len);
		else
			deliver(h, NULL, p, len);
	}
	if (k < 0)
		cli_errorf("listen: stdin: %s", skit_strerror(k));
	if (rc <= 0 || k < 0) {
		/* stdin is done; the clients stay. */
		skit_loop_del(h->loop, fd);
		h->stdin_open = false;
	}
}

static void
stdin_cb(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct nc_hub *h = data;
	ssize_t n;

	(void)ev;
	if (h->msgs) {
		stdin_msgs(h, fd);
		return;
	}
	n = skit_read_some(fd, h->rbuf, HUB_READ);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		/* stdin is done; the clients stay. */
		skit_loop_del(loop, fd);
		h->stdin_open = false;
		return;
	}
	deliver(h, NULL, h->rbuf, (size_t)n);
}

struct nc_hub *
nc_hub_new(struct skit_loop *loop, enum nc_hub_mode mode, bool hex, bool msgs,
	   enum skit_framing framing)
{
	struct nc_hub *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->rcap = msgs ? NC_MSG_MAX : HUB_READ;
	h->rbuf = malloc(h->rcap);
	if (!h->rbuf ||
	    (msgs && mode == NC_HUB_FAN &&
	     skit_frame_reader_init(&h->in, STDIN_FILENO, NC_MSG_MAX) < 0)) {
		free(h->rbuf);
		free(h);
		return NULL;
	}
	h->loop = loop;
	h->mode = mode;
	h->hex = hex;
	h->msgs = msgs;
	h->framing = framing;
	if (mode == NC_HUB_FAN &&
	    skit_loop_add(loop, STDIN_FILENO, SKIT_EV_READ, stdin_cb, h) == 0)
		h->stdin_open = true;
	return h;
}

void
nc_hub_free(struct nc_hub *h)
{
	if (!h)
		return;
	h->on_leave = NULL;
	while (h->list)
		member_free(h, h->list);
	if (h->stdin_open)
		skit_loop_del(h->loop, STDIN_FILENO);
	skit_frame_reader_free(&h->in);
	free(h->rbuf);
	free(h->wbuf);
	free(h);
}

int
nc_hub_add(struct nc_hub *h, int fd, const char *name)
{
	struct member *m = calloc(1, sizeof(*m));
	int rc;

	if (!m) {
		skit_close(fd);
		return -ENOMEM;
	}
	m->h = h;
	m->fd = fd;
	m->t0 = cli_now_s();
	m->why = "eof";
	snprintf(m->name, sizeof(m->name), "%s", name);
	rc = 0;
	if (h->tls || h->ws)
		rc = skit_conn_new(fd, fd, SOCK_STREAM, false, &m->c);
	if (rc == 0 && h->tls)
		rc = skit_conn_push(m->c, &skit_layer_tls, &h->tls->lc, NULL);
	if (rc == 0 && h->ws) {
		m->ws = malloc(sizeof(*m->ws));
		rc = m->ws ? 0 : -ENOMEM;
	}
	if (rc == 0 && h->ws) {
		cli_ws_copy(m->ws, h->ws, name);
		rc = skit_conn_push(m->c, &skit_layer_ws, &m->ws->cfg,
				    &m->ws->err);
	}
	if (rc == 0)
		rc = skit_loop_add(h->loop, fd,
				   SKIT_EV_READ | (m->c ? SKIT_EV_WRITE : 0),
				   member_cb, m);
	if (rc < 0) {
		skit_conn_free(m->c);
		skit_close(fd);
		free(m->ws);
		free(m);
		return rc;
	}
	m->next = h->list;
	h->list = m;
	h->n++;
	return 0;
}

void
nc_hub_set_tls(struct nc_hub *h, const struct cli_tls *tls)
{
	h->tls = tls && tls->ctx ? tls : NULL;
}

int
nc_hub_set_ws(struct nc_hub *h, const struct cli_ws *ws)
{
	/* a whole message, and text mode's "\n" */
	size_t cap =
		(ws->cfg.max_msg ? ws->cfg.max_msg : SKIT_WS_MAX_DEFAULT) + 1;
	char *nb;

	if (cap > h->rcap) {
		nb = realloc(h->rbuf, cap);
		if (!nb)
			return -ENOMEM;
		h->rbuf = nb;
		h->rcap = cap;
	}
	h->ws = ws;
	return 0;
}

int
nc_hub_count(const struct nc_hub *h)
{
	return h->n;
}

enum skit_loop_backend
nc_loop_backend(void)
{
	const char *v = getenv("SKIT_LOOP");

	if (v && !strcmp(v, "poll"))
		return SKIT_LOOP_POLL;
	if (v && !strcmp(v, "epoll"))
		return SKIT_LOOP_EPOLL;
	return SKIT_LOOP_AUTO;
}

static void
trace_line(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "skit: trace: %s\n", line);
}

void
nc_trace_stderr(void)
{
	skit_trace_set(trace_line, NULL);
}
