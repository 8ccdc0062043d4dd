/*
 * tls.c - the tls layer (include/skit/tls.h): OpenSSL over the layer
 * below, on a BIO of ours. What OpenSSL writes lands in the out buffer
 * the layer writes below (send_below; flush and events carry what the
 * socket did not take); when OpenSSL reads, the BIO reads from below
 * (recv_below) straight into OpenSSL's own record buffer, read-ahead, so
 * a bulk stream costs one read per up to 256 KiB of records and no copy
 * of its own. So the layer works on any byte stream below it, a proxy's
 * tunnel included, and never touches an fd; and unlike memory BIOs, it
 * copies no byte on the way in and each once on the way out (a record
 * into out), and clears no buffer.
 */
#include "layer/tls_int.h"
#include "skit/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define IN_MAX	 (256 * 1024) /* a bulk stream's record buffer */
#define OUT_HIGH (64 * 1024)  /* stop taking plaintext above this */
#define REC_MAX	 (16 * 1024)  /* one record per SSL_write */

struct tls {
	struct skit_layer *l; /* ours: the BIO reads below through it */
	SSL *ssl;
	BIO_METHOD *meth; /* the BIO over below and out */
	bool verify;
	bool hs_done;
	bool starved;	 /* OpenSSL holds no whole record: wait for below */
	bool bulk;	 /* reads come full: a larger record buffer */
	bool grown;	 /* it is in place (or will be, at the next read) */
	bool nomem;	 /* out could not grow */
	bool eof_below;	 /* the stream below ended */
	bool shut_sent;	 /* our close_notify is made */
	bool send_reads; /* a send waits for the peer (renegotiation) */
	char *out;	 /* TLS bytes for below */
	size_t olen, ooff, ocap;
	int below_err; /* a read below failed with this code */
	int failed;    /* the code the layer failed with, else 0 */
	struct skit_err err;
	char host[256];
};

/* OpenSSL writes: to out, all of it. */
static int
bio_write(BIO *b, const char *buf, int len)
{
	struct tls *t = BIO_get_data(b);
	size_t n = (size_t)len;

	BIO_clear_retry_flags(b);
	if (t->ooff == t->olen)
		t->ooff = t->olen = 0;
	if (t->olen + n > t->ocap) {
		size_t cap = t->ocap ? t->ocap : 32 * 1024;
		char *p;

		while (cap < t->olen + n)
			cap *= 2;
		p = realloc(t->out, cap);
		if (!p) {
			t->nomem = true;
			return -1;
		}
		t->out = p;
		t->ocap = cap;
	}
	memcpy(t->out + t->olen, buf, n);
	t->olen += n;
	return len;
}

/* Write out below: 0 when empty, -EAGAIN, or a code. */
static int
drain(struct skit_layer *l, struct tls *t)
{
	ssize_t n;

	if (t->nomem)
		return -ENOMEM;
	while (t->ooff < t->olen) {
		n = skit_layer_send_below(l, t->out + t->ooff,
					  t->olen - t->ooff);
		if (n < 0)
			return (int)n;
		t->ooff += (size_t)n;
	}
	t->ooff = t->olen = 0;
	return 0;
}

/*
 * OpenSSL reads (read-ahead: as much as its record buffer holds): from
 * below, into that buffer. "Again" when below has nothing yet, 0 at its
 * end. The buffer starts at OpenSSL's default (one record) and is
 * released while idle (release). A read of 16 KiB or more (the peer
 * sends in bulk) makes the next buffer IN_MAX: read-ahead stops until
 * the record in hand is whole and read (a buffer ending in a piece of
 * the next record cannot be released), then release() swaps it.
 */
static int
bio_read(BIO *b, char *buf, int len)
{
	struct tls *t = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (t->eof_below)
		return 0;
	if (t->below_err)
		return -1;
	/*
	 * What OpenSSL wrote goes first: the peer may be waiting for it
	 * (below may block). A failure there shows on the next drain.
	 */
	if (t->ooff < t->olen)
		(void)drain(t->l, t);
	n = skit_layer_recv_below(t->l, buf, (size_t)len);
	if (n > 0) {
		t->starved = false;
		if (n >= REC_MAX && !t->bulk) {
			t->bulk = true;
			SSL_set_default_read_buffer_len(t->ssl, IN_MAX);
			SSL_set_read_ahead(t->ssl, 0);
		}
		return (int)n;
	}
	if (n == 0) {
		t->eof_below = true;
		t->starved = false;
		return 0;
	}
	if (n == -EAGAIN) {
		t->starved = true;
		BIO_set_retry_read(b);
		return -1;
	}
	t->below_err = (int)n;
	return -1;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls *t = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_PENDING:
		return 0; /* nothing is held here: OpenSSL holds what came */
	case BIO_CTRL_WPENDING:
		return (long)(t->olen - t->ooff);
	case BIO_CTRL_EOF:
		return t->eof_below;
	case BIO_CTRL_FLUSH:
		return 1; /* drain writes out */
	default:
		return 0;
	}
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* The layer failed with code (err already filled): remember it. */
static int
fail(struct tls *t, int code)
{
	t->failed = code;
	return code;
}

/*
 * After an SSL call returned r <= 0: 1 to call it again (it wanted to
 * write, and out took it), 0 at the peer's close_notify, -EAGAIN (it
 * wants what below has not yet), or a code.
 */
static int
step(struct skit_layer *l, struct tls *t, int r, const char *op)
{
	int e = SSL_get_error(t->ssl, r);
	unsigned long q;
	int rc;

	if (t->nomem)
		return fail(t, -ENOMEM);
	if (t->below_err) {
		ERR_clear_error();
		return t->below_err;
	}
	switch (e) {
	case SSL_ERROR_WANT_WRITE:
	case SSL_ERROR_WANT_READ:
		rc = drain(l, t);
		if (rc < 0 && rc != -EAGAIN)
			return rc;
		if (e == SSL_ERROR_WANT_WRITE)
			return 1;
		/* What OpenSSL holds is no whole record: below first. */
		t->starved = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
	case SSL_ERROR_SSL:
		q = ERR_peek_error();
		if (!q ||
		    ERR_GET_REASON(q) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			if (!t->hs_done)
				return fail(t, skit_err_setf(
						       &t->err, SKIT_ETLS, op,
						       t->host, 0,
						       "the peer closed the "
						       "connection during the "
						       "handshake"));
			return fail(t, skit_err_setf(&t->err, SKIT_ETRUNC, op,
						     t->host, 0,
						     "the peer closed without "
						     "close_notify"));
		}
		break;
	default:
		break;
	}
	rc = skit__tls_fail(t->ssl, t->verify && !t->hs_done, op, t->host,
			    &t->err);
	/* Let the peer read our alert, if the socket takes it now. */
	(void)drain(l, t);
	return fail(t, rc);
}

static int
tls_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	const struct skit_tls_layer_cfg *c = cfg;
	struct tls *t = skit_layer_priv(l);
	char why[160];
	BIO *bio;

	if (!c || !c->ctx)
		return skit_err_set(err, -EINVAL, "TLS setup", "no context");
	t->l = l;
	ERR_clear_error();
	t->ssl = SSL_new(c->ctx->ctx);
	/* A type of its own is not needed (nobody looks for this BIO by
	 * type), and BIO_get_new_index runs out after 127. */
	t->meth = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "skit tls layer");
	if (!t->ssl || !t->meth || !BIO_meth_set_write(t->meth, bio_write) ||
	    !BIO_meth_set_read(t->meth, bio_read) ||
	    !BIO_meth_set_ctrl(t->meth, bio_ctrl) ||
	    !BIO_meth_set_create(t->meth, bio_create))
		goto ssl_fail;
	bio = BIO_new(t->meth);
	if (!bio)
		goto ssl_fail;
	BIO_set_data(bio, t);
	SSL_set_bio(t->ssl, bio, bio); /* one BIO both ways */
	/*
	 * Read ahead (one read below fetches many records), into a buffer
	 * of one record at first: the context's 256 KiB (for get's blocking
	 * sessions) only once reads show a bulk stream (bio_read).
	 */
	SSL_set_read_ahead(t->ssl, 1);
	SSL_set_default_read_buffer_len(t->ssl, 0);
	snprintf(t->host, sizeof(t->host), "%s", c->host ? c->host : "");
	if (c->ctx->server) {
		SSL_set_accept_state(t->ssl);
	} else {
		t->verify = !c->ctx->insecure;
		SSL_set_connect_state(t->ssl);
		if (c->host && skit__tls_set_host(t->ssl, c->host, c->sni) != 1)
			goto ssl_fail;
	}
	return 0;
ssl_fail:
	skit__tls_reason(why, sizeof(why), "cannot set up the session");
	SSL_free(t->ssl);
	BIO_meth_free(t->meth);
	t->ssl = NULL;
	t->meth = NULL;
	return skit_err_setf(err, SKIT_ETLS, "TLS setup", t->host, 0, "%s",
			     why);
}

static int
tls_handshake(struct skit_layer *l)
{
	struct tls *t = skit_layer_priv(l);
	int r, rc;

	if (t->failed)
		return t->failed;
	for (;;) {
		ERR_clear_error();
		r = SSL_do_handshake(t->ssl);
		if (r == 1) {
			t->hs_done = true;
			rc = drain(l, t);
			return rc < 0 && rc != -EAGAIN ? fail(t, rc) : 0;
		}
		rc = step(l, t, r, "TLS handshake");
		if (rc == 1)
			continue;
		if (rc == 0)
			rc = fail(t, skit_err_setf(&t->err, SKIT_ETLS,
						   "TLS handshake", t->host, 0,
						   "the peer closed the "
						   "connection during the "
						   "handshake"));
		else if (rc != -EAGAIN && !t->failed)
			rc = fail(t, skit_err_set(&t->err, rc, "TLS handshake",
						  t->host));
		return rc;
	}
}

static ssize_t
tls_send(struct skit_layer *l, const void *buf, size_t len)
{
	struct tls *t = skit_layer_priv(l);
	size_t took = 0, n;
	int rc, r;

	if (t->failed)
		return t->failed;
	rc = drain(l, t);
	if (rc < 0 && rc != -EAGAIN)
		return fail(t, rc);
	/* A call that succeeds leaves the error queue empty: clear once. */
	ERR_clear_error();
	while (took < len && t->olen - t->ooff < OUT_HIGH) {
		size_t chunk = len - took < REC_MAX ? len - took : REC_MAX;

		r = SSL_write_ex(t->ssl, (const char *)buf + took, chunk, &n);
		if (r == 1) {
			took += n;
			t->send_reads = false;
			if (t->nomem)
				return fail(t, -ENOMEM);
			continue;
		}
		rc = step(l, t, 0, "TLS write");
		if (rc == 1)
			continue;
		/* OpenSSL must read before it writes again: ask for READ. */
		t->send_reads = rc == -EAGAIN;
		if (took)
			break;
		return rc == 0 ? -EPIPE : rc;
	}
	rc = drain(l, t);
	if (rc < 0 && rc != -EAGAIN)
		return fail(t, rc);
	return took ? (ssize_t)took : -EAGAIN;
}

/*
 * Release OpenSSL's record buffers when they hold nothing (the next read
 * takes new ones): while idle, so that an idle connection holds none,
 * and once when a bulk stream's first whole record is read, so that the
 * next read takes the larger buffer (bio_read) and reads ahead again.
 */
static void
release(struct tls *t)
{
	if (!t->hs_done || SSL_has_pending(t->ssl) ||
	    SSL_free_buffers(t->ssl) != 1)
		return;
	if (t->bulk && !t->grown) {
		t->grown = true;
		SSL_set_read_ahead(t->ssl, 1);
	}
}

static ssize_t
tls_recv(struct skit_layer *l, void *buf, size_t len)
{
	struct tls *t = skit_layer_priv(l);
	size_t got = 0, n;
	int rc, r;

	if (t->failed)
		return t->failed;
	ERR_clear_error(); /* once: see tls_send */
	while (got < len) {
		r = SSL_read_ex(t->ssl, (char *)buf + got, len - got, &n);
		if (r == 1) {
			got += n;
			if (t->bulk && !t->grown)
				release(t);
			continue;
		}
		if (got) {
			/* Report the condition on the next call. */
			if (SSL_get_error(t->ssl, 0) == SSL_ERROR_WANT_READ)
				t->starved = true;
			ERR_clear_error();
			break;
		}
		rc = step(l, t, 0, "TLS read");
		if (rc == 1)
			continue;
		/* A session ticket or key update may wait to be written. */
		(void)drain(l, t);
		if (rc == -EAGAIN)
			release(t); /* idle */
		return rc;
	}
	(void)drain(l, t);
	return (ssize_t)got;
}

static int
tls_flush(struct skit_layer *l)
{
	struct tls *t = skit_layer_priv(l);
	int rc = drain(l, t);

	return rc < 0 ? rc : skit_layer_flush_below(l);
}

static int
tls_shutdown(struct skit_layer *l)
{
	struct tls *t = skit_layer_priv(l);
	int rc;

	if (!t->shut_sent && !t->failed) {
		ERR_clear_error();
		/* close_notify; the peer's comes by recv (half-close). */
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
		t->shut_sent = true;
	}
	rc = drain(l, t);
	return rc < 0 ? rc : skit_layer_shutdown_below(l);
}

static bool
tls_pending(const struct skit_layer *l)
{
	const struct tls *t = skit_layer_priv(l);

	if (t->failed)
		return false;
	return SSL_pending(t->ssl) > 0 ||
	       (SSL_has_pending(t->ssl) && !t->starved) ||
	       (t->eof_below && !t->starved);
}

static unsigned
tls_events(const struct skit_layer *l, unsigned want)
{
	const struct tls *t = skit_layer_priv(l);
	bool held = t->olen > t->ooff;

	if (!t->hs_done && !t->failed)
		want = SKIT_EV_READ; /* the handshake waits for the peer */
	else if (t->send_reads && (want & SKIT_EV_WRITE))
		want |= SKIT_EV_READ; /* a renegotiation: the peer first */
	if (held)
		want |= SKIT_EV_WRITE;
	return skit_layer_events_below(l, want);
}

static void
tls_close(struct skit_layer *l)
{
	struct tls *t = skit_layer_priv(l);

	SSL_free(t->ssl); /* and the BIO */
	BIO_meth_free(t->meth);
	free(t->out);
}

const struct skit_layer_ops skit_layer_tls = {
	.name = "tls",
	.size = sizeof(struct tls),
	.needs = SKIT_LAYER_BYTES,
	.offers = SKIT_LAYER_BYTES,
	.open = tls_open,
	.handshake = tls_handshake,
	.send = tls_send,
	.recv = tls_recv,
	.flush = tls_flush,
	.shutdown = tls_shutdown,
	.pending = tls_pending,
	.events = tls_events,
	.close = tls_close,
};

int
skit_conn_tls_info(const struct skit_conn *c, struct skit_tls_info *info)
{
	struct skit_layer *l = skit_conn_find(c, &skit_layer_tls);
	struct tls *t;

	if (!l)
		return -ENOENT;
	t = skit_layer_priv(l);
	skit__tls_fill_info(t->ssl, info);
	return 0;
}

const struct skit_err *
skit_conn_tls_err(const struct skit_conn *c)
{
	struct skit_layer *l = skit_conn_find(c, &skit_layer_tls);
	struct tls *t;

	if (!l)
		return NULL;
	t = skit_layer_priv(l);
	return t->failed ? &t->err : NULL;
}
