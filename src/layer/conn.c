/*
 * conn.c - a connection as a chain of layers over a transport (the
 * contract is in include/skit/conn.h).
 *
 * The chain is a singly linked list from the top layer down; the
 * transport is the last element, a layer like the others whose ops
 * talk to the fds, so every call walks down the same way: the first
 * layer at or below the caller's that implements the call answers it
 * (a NULL op passes the call on). The transport implements them all,
 * so the walk always ends.
 */
#include "skit/conn.h"
#include "skit/io.h"

#include "layer/conn_int.h"

#include <errno.h>
#include <poll.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct skit_layer {
	const struct skit_layer_ops *ops;
	struct skit_conn *conn;
	struct skit_layer *below; /* NULL: this is the transport */
	bool hs_done;
	void *priv;
};

struct skit_conn {
	struct skit_layer *top;
	struct skit_layer base; /* the transport */
	int rfd, wfd, type;
	bool own;
	bool started; /* bytes moved: no more pushing */
	bool hs_done; /* every handshake finished */
	bool corked;  /* skit_conn_cork */
	struct sockaddr_storage to;
	socklen_t tolen;
	/* pushed input (skit__conn_feed) */
	bool pushed, fed;
	const void *feed;
	size_t feedlen;
	struct skit_loop *loop;
	skit_conn_kick_cb kick;
	void *kick_data;
	struct skit_conn_stats st;
};

/* Private state lives right after the layer, suitably aligned. */
#define LAYER_HEAD                                                \
	((sizeof(struct skit_layer) + alignof(max_align_t) - 1) / \
	 alignof(max_align_t) * alignof(max_align_t))

static bool
is_msg_type(int type)
{
	return type == SOCK_DGRAM || type == SOCK_SEQPACKET;
}

/* --- the transport ----------------------------------------------------- */

static ssize_t
t_send(struct skit_layer *l, const void *buf, size_t len)
{
	struct skit_conn *c = l->conn;
	ssize_t n;

	if (c->wfd < 0)
		return -EPIPE;
	if (c->tolen > 0 || is_msg_type(c->type))
		n = skit_sendto(c->wfd, buf, len, 0,
				c->tolen ? (struct sockaddr *)&c->to : NULL,
				c->tolen);
	else if (c->type == 0)
		n = skit_write_plain(c->wfd, buf, len);
	else
		n = skit_write_some(c->wfd, buf, len);
	if (n < 0)
		return n == -EWOULDBLOCK ? -EAGAIN : n;
	c->st.bytes_out += (uint64_t)n;
	if (is_msg_type(c->type))
		c->st.msgs_out++;
	return n;
}

static ssize_t
t_recv(struct skit_layer *l, void *buf, size_t len)
{
	struct skit_conn *c = l->conn;
	ssize_t n;

	if (c->pushed) {
		if (!c->fed)
			return -EAGAIN;
		/* Like recv(MSG_TRUNC): the real length, what fits copied. */
		memcpy(buf, c->feed, c->feedlen < len ? c->feedlen : len);
		c->fed = false;
		n = (ssize_t)c->feedlen;
	} else if (c->rfd < 0) {
		return 0;
	} else if (is_msg_type(c->type)) {
		n = skit_recvfrom(c->rfd, buf, len, MSG_TRUNC, NULL, NULL);
	} else {
		n = skit_read_some(c->rfd, buf, len);
	}
	if (n < 0)
		return n == -EWOULDBLOCK ? -EAGAIN : n;
	c->st.bytes_in += (uint64_t)n;
	/* An empty seqpacket message is EOF; an empty datagram is one. */
	if (is_msg_type(c->type) && (n > 0 || c->type == SOCK_DGRAM))
		c->st.msgs_in++;
	return n;
}

static int
t_flush(struct skit_layer *l)
{
	(void)l;
	return 0;
}

/*
 * A stream or seqpacket socket is shut down for writing. A failure
 * means the peer has gone, which the next recv says better: it is not
 * an error here (the relay never made it one either).
 */
static int
t_shutdown(struct skit_layer *l)
{
	struct skit_conn *c = l->conn;

	if (c->wfd >= 0 && c->tolen == 0 &&
	    (c->type == SOCK_STREAM || c->type == SOCK_SEQPACKET))
		(void)skit_shutdown(c->wfd, SHUT_WR);
	return 0;
}

static bool
t_pending(const struct skit_layer *l)
{
	return l->conn->fed;
}

static unsigned
t_events(const struct skit_layer *l, unsigned want)
{
	(void)l;
	return want;
}

static const struct skit_layer_ops transport_ops = {
	.name = "transport",
	.send = t_send,
	.recv = t_recv,
	.flush = t_flush,
	.shutdown = t_shutdown,
	.pending = t_pending,
	.events = t_events,
};

/* --- walking the chain -------------------------------------------------- */

#define FIND(l, op)                       \
	do {                              \
		while (!(l)->ops->op)     \
			(l) = (l)->below; \
	} while (0)

static ssize_t
do_send(struct skit_layer *l, const void *buf, size_t len)
{
	FIND(l, send);
	return l->ops->send(l, buf, len);
}

static ssize_t
do_recv(struct skit_layer *l, void *buf, size_t len)
{
	FIND(l, recv);
	return l->ops->recv(l, buf, len);
}

static int
do_flush(struct skit_layer *l)
{
	FIND(l, flush);
	return l->ops->flush(l);
}

static int
do_shutdown(struct skit_layer *l)
{
	FIND(l, shutdown);
	return l->ops->shutdown(l);
}

static bool
do_pending(const struct skit_layer *l)
{
	FIND(l, pending);
	return l->ops->pending(l);
}

static unsigned
do_events(const struct skit_layer *l, unsigned want)
{
	FIND(l, events);
	return l->ops->events(l, want);
}

/* What l offers above it. */
static enum skit_layer_kind
offers(const struct skit_layer *l)
{
	while (l->below && l->ops->offers == SKIT_LAYER_SAME)
		l = l->below;
	if (!l->below)
		return is_msg_type(l->conn->type) ? SKIT_LAYER_MSGS
						  : SKIT_LAYER_BYTES;
	return l->ops->offers;
}

/* Run the handshakes of l and those below it, the lowest first. */
static int
handshake(struct skit_layer *l)
{
	int rc;

	if (l->hs_done)
		return 0;
	if (l->below) {
		rc = handshake(l->below);
		if (rc)
			return rc;
		if (l->ops->handshake) {
			rc = l->ops->handshake(l);
			if (rc)
				return rc;
		}
	}
	l->hs_done = true;
	return 0;
}

/* --- the conn ---------------------------------------------------------- */

int
skit_conn_new(int rfd, int wfd, int type, bool own, struct skit_conn **out)
{
	struct skit_conn *c;

	if (!out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->rfd = rfd;
	c->wfd = wfd;
	c->type = type;
	c->own = own;
	c->base.ops = &transport_ops;
	c->base.conn = c;
	c->base.hs_done = true;
	c->top = &c->base;
	c->hs_done = true;
	*out = c;
	return 0;
}

int
skit_conn_set_peer(struct skit_conn *c, const struct sockaddr *to,
		   socklen_t len)
{
	if (!to || len == 0 || len > sizeof(c->to))
		return -EINVAL;
	memcpy(&c->to, to, len);
	c->tolen = len;
	return 0;
}

void
skit_conn_set_loop(struct skit_conn *c, struct skit_loop *loop,
		   skit_conn_kick_cb kick, void *data)
{
	c->loop = loop;
	c->kick = kick;
	c->kick_data = data;
}

int
skit_conn_push(struct skit_conn *c, const struct skit_layer_ops *ops,
	       const void *cfg, struct skit_err *err)
{
	static const char *const kind[] = {
		[SKIT_LAYER_BYTES] = "a byte stream",
		[SKIT_LAYER_MSGS] = "messages",
	};
	struct skit_layer *l;
	int rc;

	if (!c || !ops)
		return skit_err_set(err, -EINVAL, "push layer", "?");
	if (c->started)
		return skit_err_set(err, -EBUSY, "push layer", ops->name);
	if (ops->needs != SKIT_LAYER_SAME && offers(c->top) != ops->needs)
		return skit_err_setf(err, -EINVAL, "push layer", ops->name, 0,
				     "it needs %s below it", kind[ops->needs]);
	l = calloc(1, LAYER_HEAD + ops->size);
	if (!l)
		return skit_err_set(err, -ENOMEM, "push layer", ops->name);
	l->ops = ops;
	l->conn = c;
	l->below = c->top;
	l->priv = (char *)l + LAYER_HEAD;
	if (ops->open) {
		rc = ops->open(l, cfg, err);
		if (rc < 0) {
			free(l);
			return rc;
		}
	}
	c->top = l;
	if (ops->handshake)
		c->hs_done = false;
	return 0;
}

int
skit_conn_handshake(struct skit_conn *c)
{
	int rc;

	if (c->hs_done)
		return 0;
	rc = handshake(c->top);
	if (rc == 0)
		c->hs_done = true;
	return rc;
}

int
skit_conn_handshake_wait(struct skit_conn *c, int timeout_ms, int stopfd)
{
	int rc = -EAGAIN, w;

	for (int i = 0; i < 1000000; i++) {
		unsigned ev;

		rc = skit_conn_handshake(c);
		if (rc != -EAGAIN)
			break;
		ev = skit_conn_events(c, 0);
		w = skit_wait_fd_stop(
			skit_conn_rfd(c),
			(short)((ev & SKIT_EV_READ ? POLLIN : 0) |
				(ev & SKIT_EV_WRITE ? POLLOUT : 0)),
			timeout_ms, stopfd);
		if (w <= 0)
			return w == 0 ? -ETIMEDOUT : w;
	}
	return rc;
}

bool
skit_conn_handshaking(const struct skit_conn *c)
{
	return !c->hs_done;
}

ssize_t
skit_conn_send(struct skit_conn *c, const void *buf, size_t len)
{
	if (!c->hs_done) {
		int rc = skit_conn_handshake(c);

		if (rc)
			return rc;
	}
	c->started = true;
	return do_send(c->top, buf, len);
}

ssize_t
skit_conn_recv(struct skit_conn *c, void *buf, size_t len)
{
	if (!c->hs_done) {
		int rc = skit_conn_handshake(c);

		if (rc)
			return rc;
	}
	c->started = true;
	return do_recv(c->top, buf, len);
}

int
skit_conn_flush(struct skit_conn *c)
{
	if (!c->hs_done)
		return skit_conn_handshake(c);
	return do_flush(c->top);
}

int
skit_conn_shutdown(struct skit_conn *c)
{
	if (!c->hs_done) {
		int rc = skit_conn_handshake(c);

		if (rc)
			return rc;
	}
	return do_shutdown(c->top);
}

bool
skit_conn_pending(const struct skit_conn *c)
{
	return do_pending(c->top);
}

unsigned
skit_conn_events(const struct skit_conn *c, unsigned want)
{
	return do_events(c->top, want);
}

void
skit_conn_cork(struct skit_conn *c, bool on)
{
	c->corked = on;
}

int
skit_conn_close_write(struct skit_conn *c)
{
	if (!c->own || c->wfd < 0 || c->wfd == c->rfd)
		return -EINVAL;
	skit_close(c->wfd);
	c->wfd = -1;
	return 0;
}

int
skit_conn_rfd(const struct skit_conn *c)
{
	return c->rfd;
}

int
skit_conn_wfd(const struct skit_conn *c)
{
	return c->wfd;
}

int
skit_conn_type(const struct skit_conn *c)
{
	return c->type;
}

bool
skit_conn_is_message(const struct skit_conn *c)
{
	return offers(c->top) == SKIT_LAYER_MSGS;
}

bool
skit_conn_bare(const struct skit_conn *c)
{
	return c->top == &c->base;
}

const char *
skit_conn_describe(const struct skit_conn *c, char *buf, size_t len)
{
	size_t at = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (const struct skit_layer *l = c->top; l->below && at < len;
	     l = l->below)
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
				       at ? "/" : "", l->ops->name);
	return buf;
}

struct skit_layer *
skit_conn_find(const struct skit_conn *c, const struct skit_layer_ops *ops)
{
	for (struct skit_layer *l = c->top; l->below; l = l->below)
		if (l->ops == ops)
			return l;
	return NULL;
}

const struct skit_conn_stats *
skit_conn_stats(const struct skit_conn *c)
{
	return &c->st;
}

void
skit_conn_free(struct skit_conn *c)
{
	struct skit_layer *l, *below;

	if (!c)
		return;
	for (l = c->top; l->below; l = below) {
		below = l->below;
		if (l->ops->close)
			l->ops->close(l);
		free(l);
	}
	if (c->own) {
		if (c->rfd >= 0)
			skit_close(c->rfd);
		if (c->wfd >= 0 && c->wfd != c->rfd)
			skit_close(c->wfd);
	}
	free(c);
}

/* --- for layers --------------------------------------------------------- */

void *
skit_layer_priv(const struct skit_layer *l)
{
	return l->priv;
}

struct skit_conn *
skit_layer_conn(const struct skit_layer *l)
{
	return l->conn;
}

ssize_t
skit_layer_send_below(struct skit_layer *l, const void *buf, size_t len)
{
	return do_send(l->below, buf, len);
}

ssize_t
skit_layer_recv_below(struct skit_layer *l, void *buf, size_t len)
{
	return do_recv(l->below, buf, len);
}

int
skit_layer_flush_below(struct skit_layer *l)
{
	return do_flush(l->below);
}

int
skit_layer_shutdown_below(struct skit_layer *l)
{
	return do_shutdown(l->below);
}

bool
skit_layer_pending_below(const struct skit_layer *l)
{
	return do_pending(l->below);
}

unsigned
skit_layer_events_below(const struct skit_layer *l, unsigned want)
{
	return do_events(l->below, want);
}

bool
skit_layer_below_is_message(const struct skit_layer *l)
{
	return offers(l->below) == SKIT_LAYER_MSGS;
}

struct skit_loop *
skit_layer_loop(const struct skit_layer *l)
{
	return l->conn->loop;
}

void
skit_layer_kick(struct skit_layer *l)
{
	struct skit_conn *c = l->conn;

	if (c->kick)
		c->kick(c, c->kick_data);
}

bool
skit_layer_corked(const struct skit_layer *l)
{
	return l->conn->corked;
}

struct skit_conn_stats *
skit_layer_stats(struct skit_layer *l)
{
	return &l->conn->st;
}

void *
skit_conn_layer_priv(const struct skit_conn *c,
		     const struct skit_layer_ops *ops)
{
	for (const struct skit_layer *l = c->top; l->below; l = l->below)
		if (l->ops == ops)
			return l->priv;
	return NULL;
}

/* --- pushed input (conn_int.h) ------------------------------------------ */

void
skit__conn_set_pushed(struct skit_conn *c)
{
	c->pushed = true;
}

void
skit__conn_feed(struct skit_conn *c, const void *msg, size_t len)
{
	c->feed = msg;
	c->feedlen = len;
	c->fed = msg != NULL;
}

bool
skit__conn_fed(const struct skit_conn *c)
{
	return c->fed;
}
