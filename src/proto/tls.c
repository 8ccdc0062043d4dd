/*
 * tls.c - TLS client sessions over connected fds with OpenSSL
 * (include/skit/tls.h).
 */
#include "core/io_int.h"
#include "layer/tls_int.h"
#include "skit/io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct skit_tls {
	SSL *ssl;
	int fd;
	int stopfd; /* -1: none */
	bool eof_clean;
};

/*
 * After an SSL call returned r <= 0: wait for the fd when OpenSSL wants
 * it (returns 1 to retry), or turn the failure into a code.
 */
static int
ssl_wait_or_fail(struct skit_tls *t, int r, long long deadline, const char *op,
		 const char *subject, struct skit_err *err)
{
	int e = SSL_get_error(t->ssl, r);
	unsigned long q;
	char why[160];
	int w;

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		w = skit_wait_fd_stop(
			t->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
			skit__left_ms(deadline), t->stopfd);
		if (w < 0)
			return skit_err_set(err, w, op, subject);
		if (w == 0)
			return skit_err_set(err, -ETIMEDOUT, op, subject);
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		t->eof_clean = true;
		return 0;
	case SSL_ERROR_SYSCALL:
		q = ERR_peek_error();
		if (!q && errno && errno != EAGAIN) {
			int code = -errno;

			ERR_clear_error();
			return skit_err_set(err, code, op, subject);
		}
		if (!q) /* EOF without close_notify (OpenSSL 1.1) */
			return 0;
		break;
	case SSL_ERROR_SSL:
		q = ERR_peek_error();
		if (ERR_GET_REASON(q) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return 0; /* the peer closed TCP without close_notify */
		}
		break;
	default:
		break;
	}
	skit__tls_reason(why, sizeof(why), "TLS failure");
	return skit_err_setf(err, SKIT_ETLS, op, subject, 0, "%s", why);
}

int
skit_tls_connect(struct skit_tls_ctx *ctx, int fd, const char *host,
		 int timeout_ms, struct skit_tls **out, struct skit_err *err)
{
	return skit_tls_connect_stop(ctx, fd, host, timeout_ms, -1, out, err);
}

int
skit_tls_connect_stop(struct skit_tls_ctx *ctx, int fd, const char *host,
		      int timeout_ms, int stopfd, struct skit_tls **out,
		      struct skit_err *err)
{
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	struct skit_tls *t;
	char why[160];
	int r;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return skit_err_set(err, -ENOMEM, "TLS handshake", host);
	ERR_clear_error();
	t->fd = fd;
	t->stopfd = stopfd;
	t->ssl = SSL_new(ctx->ctx);
	if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1)
		goto ssl_fail;
	if (skit__tls_set_host(t->ssl, host, NULL) != 1)
		goto ssl_fail;
	for (;;) {
		ERR_clear_error();
		r = SSL_connect(t->ssl);
		if (r == 1)
			break;
		if (!ctx->insecure &&
		    SSL_get_verify_result(t->ssl) != X509_V_OK) {
			r = skit__tls_fail(t->ssl, true, "TLS handshake", host,
					   err);
			skit_tls_free(t);
			return r;
		}
		r = ssl_wait_or_fail(t, r, deadline, "TLS handshake", host,
				     err);
		if (r == 1)
			continue;
		if (r == 0)
			r = skit_err_setf(err, SKIT_ETLS, "TLS handshake", host,
					  0,
					  "the server closed the connection "
					  "during the handshake");
		skit_tls_free(t);
		return r;
	}
	*out = t;
	return 0;
ssl_fail:
	skit__tls_reason(why, sizeof(why), "cannot set up the session");
	skit_tls_free(t);
	return skit_err_setf(err, SKIT_ETLS, "TLS handshake", host, 0, "%s",
			     why);
}

ssize_t
skit_tls_read(struct skit_tls *t, void *buf, size_t len, int timeout_ms,
	      struct skit_err *err)
{
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	size_t got = 0, n;
	int r;

	if (len == 0)
		return 0;
	for (;;) {
		ERR_clear_error();
		r = SSL_read_ex(t->ssl, buf, len, &n);
		if (r == 1)
			break;
		r = ssl_wait_or_fail(t, 0, deadline, "TLS read", "", err);
		if (r != 1)
			return r;
	}
	got = n;
	/*
	 * Drain what is already decrypted or buffered, so the caller gets
	 * large blocks instead of one 16 KiB record at a time.
	 */
	while (got < len &&
	       (SSL_pending(t->ssl) > 0 || SSL_has_pending(t->ssl))) {
		ERR_clear_error();
		if (SSL_read_ex(t->ssl, (char *)buf + got, len - got, &n) !=
		    1) {
			/* Report the condition on the next call. */
			ERR_clear_error();
			break;
		}
		got += n;
	}
	return (ssize_t)got;
}

ssize_t
skit_tls_write(struct skit_tls *t, const void *buf, size_t len, int timeout_ms,
	       struct skit_err *err)
{
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	size_t done = 0, n;
	int r;

	while (done < len) {
		ERR_clear_error();
		r = SSL_write_ex(t->ssl, (const char *)buf + done, len - done,
				 &n);
		if (r == 1) {
			done += n;
			continue;
		}
		r = ssl_wait_or_fail(t, 0, deadline, "TLS write", "", err);
		if (r == 0)
			return skit_err_set(err, -EPIPE, "TLS write", "");
		if (r != 1)
			return r;
	}
	return (ssize_t)len;
}

bool
skit_tls_eof_clean(const struct skit_tls *t)
{
	return t->eof_clean;
}

int
skit_tls_shutdown(struct skit_tls *t, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	int r;

	for (;;) {
		ERR_clear_error();
		r = SSL_shutdown(t->ssl);
		if (r >= 0)
			return 0; /* close_notify sent */
		r = ssl_wait_or_fail(t, r, deadline, "TLS shutdown", "", NULL);
		if (r != 1)
			return r < 0 ? r : 0;
	}
}

void
skit_tls_free(struct skit_tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
}

void
skit_tls_info(const struct skit_tls *t, struct skit_tls_info *info)
{
	skit__tls_fill_info(t->ssl, info);
}
