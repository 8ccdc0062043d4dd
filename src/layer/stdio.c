/*
 * stdio.c - the netcat policies on a connection as layers (conn.h):
 * crlf (-C) and no-shutdown (--no-shutdown). The third, -q (end the
 * session a while after stdin EOF), is about the pair of ends, not the
 * bytes of one: it is the relay's quit_ms (relay.h).
 */
#include "skit/conn.h"

#include <errno.h>
#include <stdlib.h>

#define CRLF_BUF (64 * 1024)

/*
 * crlf: a chunk without a lone "\n" goes below as it is, straight from
 * the caller's buffer; one with some is expanded into out, which the
 * layer then owns until it is written (flush, events).
 */
struct crlf {
	char *out;
	size_t olen, ooff;
	bool cr;      /* the last byte taken was "\r" */
	bool recv;    /* "\r\n" received becomes "\n" */
	bool held_cr; /* a received "\r" ended the last read: held back */
};

static int
crlf_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	const struct skit_crlf_cfg *c = cfg;
	struct crlf *s = skit_layer_priv(l);

	(void)err;
	s->recv = c && c->recv;
	return 0;
}

/*
 * recv with "\r\n" -> "\n": a "\r" at the end of a read is held back
 * until the next byte (or EOF) says what it was.
 */
static ssize_t
crlf_recv(struct skit_layer *l, void *buf, size_t len)
{
	struct crlf *c = skit_layer_priv(l);
	char *p = buf;
	size_t i, o, off = 0;
	ssize_t n;

	if (!c->recv || len < 2)
		return skit_layer_recv_below(l, buf, len);
	if (c->held_cr) {
		p[0] = '\r';
		off = 1;
	}
	n = skit_layer_recv_below(l, p + off, len - off);
	if (n <= 0) {
		if (n == 0 && c->held_cr) {
			c->held_cr = false;
			return 1; /* the held "\r", then EOF */
		}
		return n;
	}
	n += (ssize_t)off;
	c->held_cr = false;
	for (i = o = 0; i < (size_t)n; i++) {
		if (p[i] == '\r' && i + 1 < (size_t)n && p[i + 1] == '\n')
			continue;
		if (p[i] == '\r' && i + 1 == (size_t)n) {
			c->held_cr = true;
			break;
		}
		p[o++] = p[i];
	}
	/* Only a held "\r": nothing to give yet, and it is not EOF. */
	return o ? (ssize_t)o : -EAGAIN;
}

/* Write what out holds: 0 when empty, -EAGAIN, or a code. */
static int
crlf_drain(struct skit_layer *l, struct crlf *c)
{
	ssize_t n;

	while (c->ooff < c->olen) {
		n = skit_layer_send_below(l, c->out + c->ooff,
					  c->olen - c->ooff);
		if (n < 0)
			return (int)n;
		c->ooff += (size_t)n;
	}
	c->ooff = c->olen = 0;
	return 0;
}

static ssize_t
crlf_send(struct skit_layer *l, const void *buf, size_t len)
{
	struct crlf *c = skit_layer_priv(l);
	const char *p = buf;
	bool cr = c->cr;
	size_t i, took;
	ssize_t n;
	int rc;

	rc = crlf_drain(l, c);
	if (rc < 0)
		return rc;
	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && !cr)
			break;
		cr = p[i] == '\r';
	}
	if (i == len) {
		n = skit_layer_send_below(l, p, len);
		if (n > 0)
			c->cr = p[n - 1] == '\r';
		return n;
	}
	if (!c->out) {
		c->out = malloc(CRLF_BUF);
		if (!c->out)
			return -ENOMEM;
	}
	for (took = 0; took < len && c->olen + 2 <= CRLF_BUF; took++) {
		if (p[took] == '\n' && !c->cr)
			c->out[c->olen++] = '\r';
		c->out[c->olen++] = p[took];
		c->cr = p[took] == '\r';
	}
	/* Taken either way: what does not go now goes from flush. */
	rc = crlf_drain(l, c);
	if (rc < 0 && rc != -EAGAIN)
		return rc;
	return (ssize_t)took;
}

static int
crlf_flush(struct skit_layer *l)
{
	int rc = crlf_drain(l, skit_layer_priv(l));

	return rc < 0 ? rc : skit_layer_flush_below(l);
}

static int
crlf_shutdown(struct skit_layer *l)
{
	int rc = crlf_drain(l, skit_layer_priv(l));

	return rc < 0 ? rc : skit_layer_shutdown_below(l);
}

static unsigned
crlf_events(const struct skit_layer *l, unsigned want)
{
	const struct crlf *c = skit_layer_priv(l);

	if (c->ooff < c->olen)
		want |= SKIT_EV_WRITE;
	return skit_layer_events_below(l, want);
}

static void
crlf_close(struct skit_layer *l)
{
	struct crlf *c = skit_layer_priv(l);

	free(c->out);
}

const struct skit_layer_ops skit_layer_crlf = {
	.name = "crlf",
	.size = sizeof(struct crlf),
	.needs = SKIT_LAYER_BYTES,
	.open = crlf_open,
	.send = crlf_send,
	.recv = crlf_recv,
	.flush = crlf_flush,
	.shutdown = crlf_shutdown,
	.events = crlf_events,
	.close = crlf_close,
};

/*
 * no-shutdown: the layers above end their streams as usual (their
 * shutdown calls come down to here) and what the layers below hold is
 * written; then the stream stays open for ever: shutdown returns
 * -EAGAIN and the layer asks for no event to be called again on. A
 * relay keeps that direction open (stdin's EOF is not passed on), so
 * the pair ends only by its other ways (quit_ms, idle_ms, an error).
 */
static int
noshut_shutdown(struct skit_layer *l)
{
	int rc = skit_layer_flush_below(l);

	return rc < 0 ? rc : -EAGAIN;
}

const struct skit_layer_ops skit_layer_no_shutdown = {
	.name = "no-shutdown",
	.shutdown = noshut_shutdown,
};
