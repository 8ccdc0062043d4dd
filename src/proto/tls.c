/*
 * tls.c - TLS client sessions over connected fds with OpenSSL
 * (include/skit/tls.h).
 */
#include "skit/tls.h"
#include "core/io_int.h"
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

#define TLS12_CIPHERS                                                       \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"        \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"        \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"        \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"              \
	"DHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA256:"              \
	"ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:"                   \
	"ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:" \
	"AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA"
#define TLS13_CIPHERS                                                          \
	"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_" \
	"SHA384"

struct skit_tls_ctx {
	SSL_CTX *ctx;
	bool insecure;
};

struct skit_tls {
	SSL *ssl;
	int fd;
	int stopfd; /* -1: none */
	bool eof_clean;
};

/* The first queued OpenSSL error as text (the queue is cleared). */
static void
ssl_reason(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r ? r : fallback);
	ERR_clear_error();
}

int
skit_tls_ctx_new(const struct skit_tls_opts *o, struct skit_tls_ctx **out,
		 struct skit_err *err)
{
	struct skit_tls_ctx *c;
	char why[160];

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return skit_err_set(err, -ENOMEM, "TLS setup", "");
	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		ssl_reason(why, sizeof(why), "cannot create a TLS context");
		free(c);
		return skit_err_setf(err, SKIT_ETLS, "TLS setup", "", 0, "%s",
				     why);
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	/*
	 * Cipher preference like browsers and Mozilla's "intermediate"
	 * profile: forward-secret AEAD first, AES-128-GCM before AES-256
	 * (as strong in practice and cheaper for both ends of a bulk
	 * transfer), then the older suites for servers that need them.
	 */
	SSL_CTX_set_cipher_list(c->ctx, TLS12_CIPHERS);
	SSL_CTX_set_ciphersuites(c->ctx, TLS13_CIPHERS);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * Read ahead with a large buffer: one read() then fetches many
	 * records, so a bulk download costs fewer system calls.
	 */
	SSL_CTX_set_read_ahead(c->ctx, 1);
	SSL_CTX_set_default_read_buffer_len(c->ctx, 256 * 1024);
	c->insecure = o && o->insecure;
	if (o && o->ca_file) {
		FILE *f = fopen(o->ca_file, "re");

		if (!f) {
			int e = errno;

			SSL_CTX_free(c->ctx);
			free(c);
			return skit_err_setf(err, SKIT_ETLS, "CA file",
					     o->ca_file, 0, "%s",
					     skit_strerror(-e));
		}
		fclose(f);
		if (SSL_CTX_load_verify_locations(c->ctx, o->ca_file, NULL) !=
		    1) {
			ssl_reason(why, sizeof(why), "no PEM certificates");
			SSL_CTX_free(c->ctx);
			free(c);
			return skit_err_setf(
				err, SKIT_ETLS, "CA file", o->ca_file, 0,
				"cannot load certificates: %s", why);
		}
	} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		ERR_clear_error();
	}
	/*
	 * Even with --insecure OpenSSL still checks the chain and records
	 * the result: the caller can warn with the reason.
	 */
	SSL_CTX_set_verify(
		c->ctx, c->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	if (o && o->alpn) {
		unsigned char proto[64];
		size_t n = strlen(o->alpn);

		if (n > 0 && n < sizeof(proto) - 1) {
			proto[0] = (unsigned char)n;
			memcpy(proto + 1, o->alpn, n);
			SSL_CTX_set_alpn_protos(c->ctx, proto,
						(unsigned)(n + 1));
		}
	}
	*out = c;
	return 0;
}

void
skit_tls_ctx_free(struct skit_tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ctx);
	free(ctx);
}

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
	ssl_reason(why, sizeof(why), "TLS failure");
	return skit_err_setf(err, SKIT_ETLS, op, subject, 0, "%s", why);
}

/* Is host an IP literal? Fills the address text without a zone id. */
static bool
ip_literal(const char *host, char *buf, size_t len)
{
	unsigned char tmp[16];
	const char *pct = strchr(host, '%');
	size_t n = pct ? (size_t)(pct - host) : strlen(host);

	if (n >= len)
		return false;
	memcpy(buf, host, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, tmp) == 1 ||
	       inet_pton(AF_INET6, buf, tmp) == 1;
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
	char ip[64], why[160];
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
	if (ip_literal(host, ip, sizeof(ip))) {
		/* No SNI for addresses (RFC 6066); check the IP SAN. */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), ip) !=
		    1)
			goto ssl_fail;
	} else {
		if (SSL_set_tlsext_host_name(t->ssl, host) != 1 ||
		    SSL_set1_host(t->ssl, host) != 1)
			goto ssl_fail;
		/* No partial wildcards like "f*.example.com". */
		SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	}
	for (;;) {
		ERR_clear_error();
		r = SSL_connect(t->ssl);
		if (r == 1)
			break;
		if (!ctx->insecure &&
		    SSL_get_verify_result(t->ssl) != X509_V_OK) {
			long v = SSL_get_verify_result(t->ssl);

			ERR_clear_error();
			skit_err_setf(err, SKIT_ETLSVERIFY, "TLS handshake",
				      host, 0, "certificate verify failed: %s",
				      X509_verify_cert_error_string(v));
			skit_tls_free(t);
			return SKIT_ETLSVERIFY;
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
	ssl_reason(why, sizeof(why), "cannot set up the session");
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
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;
	X509 *peer;
	long v;

	memset(info, 0, sizeof(*info));
	snprintf(info->version, sizeof(info->version), "%s",
		 SSL_get_version(t->ssl));
	snprintf(info->cipher, sizeof(info->cipher), "%s",
		 SSL_get_cipher_name(t->ssl));
	SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
	if (alpn && alpn_len < sizeof(info->alpn)) {
		memcpy(info->alpn, alpn, alpn_len);
		info->alpn[alpn_len] = '\0';
	}
	peer = SSL_get1_peer_certificate(t->ssl);
	if (peer) {
		X509_NAME_oneline(X509_get_subject_name(peer), info->subject,
				  (int)sizeof(info->subject));
		X509_NAME_oneline(X509_get_issuer_name(peer), info->issuer,
				  (int)sizeof(info->issuer));
		X509_free(peer);
	}
	v = SSL_get_verify_result(t->ssl);
	info->verified = peer && v == X509_V_OK;
	snprintf(info->reason, sizeof(info->reason), "%s",
		 !peer ? "no certificate" : X509_verify_cert_error_string(v));
	info->resumed = SSL_session_reused(t->ssl);
}
