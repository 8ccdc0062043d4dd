/*
 * tls.c - the tls layer (include/skit/tls.h): OpenSSL over the layer
 * below, on a BIO of ours over two buffers. What OpenSSL writes lands in
 * the out buffer the layer writes below (send_below; flush and events
 * carry what the socket did not take); what comes from below
 * (recv_below) goes to the in buffer, which OpenSSL reads when it wants
 * to. So the layer works on any byte stream below it, a proxy's tunnel
 * included, and never touches an fd; and unlike memory BIOs, no byte is
 * copied (or its buffer cleared) twice on the way.
 */
#include "layer/tls_int.h"
#include "skit/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define IN_MIN	 (16 * 1024)  /* first read from below */
#define IN_MAX	 (256 * 1024) /* a bulk stream's reads grow to this */
#define OUT_HIGH (64 * 1024)  /* stop taking plaintext above this */
#define REC_MAX	 (16 * 1024)  /* one record per SSL_write */

struct tls {
	SSL *ssl;
	BIO_METHOD *meth; /* the BIO over in and out */
	bool verify;
	bool hs_done;
	bool starved;	 /* in holds no whole record: wait for below */
	bool nomem;	 /* out could not grow */
	bool eof_below;	 /* the stream below ended */
	bool shut_sent;	 /* our close_notify is made */
	bool send_reads; /* a send waits for the peer (renegotiation) */
	char *out;	 /* TLS bytes for below */
	size_t olen, ooff, ocap;
	char *in; /* reads from below; freed while idle */
	size_t ipos, ilen, incap;
	int failed; /* the code the layer failed with, else 0 */
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

/* OpenSSL reads: from in; at its end, "again" until below ended. */
static int
bio_read(BIO *b, char *buf, int len)
{
	struct tls *t = BIO_get_data(b);
	size_t n = t->ilen - t->ipos;

	BIO_clear_retry_flags(b);
	if (n == 0) {
		if (t->eof_below)
			return 0;
		BIO_set_retry_read(b);
		return -1;
	}
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, t->in + t->ipos, n);
	t->ipos += n;
	return (int)n;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls *t = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_PENDING:
		return (long)(t->ilen - t->ipos);
	case BIO_CTRL_WPENDING:
		return (long)(t->olen - t->ooff);
	case BIO_CTRL_EOF:
		return t->eof_below && t->ipos == t->ilen;
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
 * Fill in from below: > 0 bytes, 0 at EOF (read as EOF), -EAGAIN. The
 * read buffer starts small, doubles while reads fill it (a bulk stream:
 * fewer, larger reads) and is freed when nothing is there to read, so an
 * idle connection holds none.
 */
static ssize_t
fill(struct skit_layer *l, struct tls *t)
{
	ssize_t n;

	if (t->eof_below)
		return 0;
	if (t->ipos == t->ilen) {
		t->ipos = t->ilen = 0;
	} else if (t->ipos) {
		/* a piece of a record OpenSSL left: to the front */
		memmove(t->in, t->in + t->ipos, t->ilen - t->ipos);
		t->ilen -= t->ipos;
		t->ipos = 0;
	}
	if (!t->in) {
		t->incap = t->incap ? t->incap : IN_MIN;
		t->in = malloc(t->incap);
		if (!t->in)
			return -ENOMEM;
	}
	if (t->ilen == t->incap) {
		/* OpenSSL reads what it is given first: not reached */
		t->starved = false;
		return 1;
	}
	n = skit_layer_recv_below(l, t->in + t->ilen, t->incap - t->ilen);
	if (n > 0) {
		t->ilen += (size_t)n;
		t->starved = false;
		if (t->ilen == t->incap && t->incap < IN_MAX) {
			/* a bulk stream: a larger buffer once this one is read
			 */
			char *p = realloc(t->in, t->incap * 2);

			if (p) {
				t->in = p;
				t->incap *= 2;
			}
		}
	} else if (n == 0) {
		t->eof_below = true;
		t->starved = false;
	} else if (n == -EAGAIN) {
		t->starved = true;
		if (t->ipos == t->ilen) {
			free(t->in);
			t->in = NULL;
			t->ipos = t->ilen = 0;
		}
	}
	return n;
}

/* The layer failed with code (err already filled): remember it. */
static int
fail(struct tls *t, int code)
{
	t->failed = code;
	return code;
}

/*
 * After an SSL call returned r <= 0: 1 to call it again (more input
 * came), 0 at the peer's close_notify, -EAGAIN, or a code.
 */
static int
step(struct skit_layer *l, struct tls *t, int r, const char *op)
{
	int e = SSL_get_error(t->ssl, r);
	unsigned long q;
	ssize_t n;
	int rc;

	if (t->nomem)
		return fail(t, -ENOMEM);
	switch (e) {
	case SSL_ERROR_WANT_WRITE:
	case SSL_ERROR_WANT_READ:
		rc = drain(l, t);
		if (rc < 0 && rc != -EAGAIN)
			return rc;
		if (e == SSL_ERROR_WANT_WRITE)
			return 1;
		n = fill(l, t);
		if (n >= 0)
			return 1; /* data, or EOF for OpenSSL to see */
		return (int)n;
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
	 * The context reads ahead into 256 KiB for get's blocking sessions
	 * (fewer read() calls); here the layer fills in itself, so that
	 * buffer would only cost an allocation per connection.
	 */
	SSL_set_read_ahead(t->ssl, 0);
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
		if (rc == 1) {
			ERR_clear_error();
			continue;
		}
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
 * Nothing to read now: OpenSSL's record buffers (about 17 KiB each way)
 * go back too, as the in buffer did (fill), unless they hold a piece of
 * a record; the next read or write takes new ones. So an idle
 * connection holds none.
 */
static void
idle(struct tls *t)
{
	if (t->hs_done && t->ipos == t->ilen && !SSL_has_pending(t->ssl))
		(void)SSL_free_buffers(t->ssl);
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
			continue;
		}
		if (got) {
			/* Report the condition on the next call. */
			if (SSL_get_error(t->ssl, 0) == SSL_ERROR_WANT_READ &&
			    t->ipos == t->ilen)
				t->starved = true;
			ERR_clear_error();
			break;
		}
		rc = step(l, t, 0, "TLS read");
		if (rc == 1) {
			ERR_clear_error();
			continue;
		}
		/* A session ticket or key update may wait to be written. */
		(void)drain(l, t);
		if (rc == -EAGAIN)
			idle(t);
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
	return SSL_pending(t->ssl) > 0 || (t->ipos < t->ilen && !t->starved) ||
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
	free(t->in);
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
