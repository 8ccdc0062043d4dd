/*
 * skit/tls.h - TLS client over a connected stream socket (OpenSSL).
 *
 * A small layer: a context holds the trust settings (verification on by
 * default against the system store, or --ca-file's bundle; TLS 1.2 at
 * least), a session wraps one connected fd. The fd stays the caller's:
 * skit_tls_free() never closes it. Give a nonblocking fd so the
 * timeouts work (the calls wait with poll()); a blocking fd works too,
 * without timeouts.
 *
 * Errors: SKIT_ETLSVERIFY when the peer's certificate or name does not
 * verify (err->detail says why: "unable to get local issuer
 * certificate", "hostname mismatch", ...), SKIT_ETLS for any other TLS
 * failure (detail from OpenSSL), -ETIMEDOUT, or a -errno from the
 * socket. op is "TLS handshake", "TLS read" or "TLS write".
 *
 * Writes may raise SIGPIPE on a closed socket: the CLI ignores it.
 */
#ifndef SKIT_TLS_H
#define SKIT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "skit/err.h"

struct skit_tls_ctx; /* trust settings, shared by sessions */
struct skit_tls;     /* one TLS session over one fd */

struct skit_tls_opts {
	const char *ca_file; /* PEM bundle to trust; NULL: system store */
	bool insecure;	     /* verify nothing (the only way to turn it off) */
	const char *alpn;    /* one protocol name to offer, or NULL */
};

/*
 * Create a client context. Returns 0 and *out, or SKIT_ETLS (a CA file
 * that cannot be read: detail says so). Does file I/O when ca_file is
 * set. Free with skit_tls_ctx_free.
 */
int skit_tls_ctx_new(const struct skit_tls_opts *o, struct skit_tls_ctx **out,
		     struct skit_err *err);
void skit_tls_ctx_free(struct skit_tls_ctx *ctx);

/*
 * Run the client handshake on the connected fd. host is the name the
 * user asked for: sent as SNI (unless it is an IP literal) and checked
 * against the certificate (DNS names, or IP addresses for literals).
 * Blocks up to timeout_ms (< 0: no limit). Returns 0 and *out, or a
 * negative code with err filled (subject = host). With insecure, a
 * failed verification is not an error: see skit_tls_info.
 */
int skit_tls_connect(struct skit_tls_ctx *ctx, int fd, const char *host,
		     int timeout_ms, struct skit_tls **out,
		     struct skit_err *err);

/*
 * skit_tls_connect with a stop fd (skit/io.h; -1: none): the handshake
 * and every later wait of the session (read, write, shutdown) also end
 * with -ECANCELED as soon as stopfd turns readable.
 */
int skit_tls_connect_stop(struct skit_tls_ctx *ctx, int fd, const char *host,
			  int timeout_ms, int stopfd, struct skit_tls **out,
			  struct skit_err *err);

/*
 * Read up to len bytes of application data. Returns the count (> 0), 0
 * at the end of the stream (skit_tls_eof_clean says whether the peer
 * sent close_notify or just closed TCP), -ETIMEDOUT after timeout_ms
 * without data, or a negative code. Blocks.
 */
ssize_t skit_tls_read(struct skit_tls *t, void *buf, size_t len, int timeout_ms,
		      struct skit_err *err);

/* Write all len bytes. Returns len or a negative code. Blocks. */
ssize_t skit_tls_write(struct skit_tls *t, const void *buf, size_t len,
		       int timeout_ms, struct skit_err *err);

/* True when the stream ended with the peer's close_notify. */
bool skit_tls_eof_clean(const struct skit_tls *t);

/*
 * Send close_notify (without waiting for the peer's). Returns 0 or a
 * negative code; harmless to skip on error paths.
 */
int skit_tls_shutdown(struct skit_tls *t, int timeout_ms);

/* Free the session (the fd is left open). NULL is allowed. */
void skit_tls_free(struct skit_tls *t);

/* What was negotiated, for -v. Strings are NUL-terminated. */
struct skit_tls_info {
	char version[16];  /* "TLSv1.3" */
	char cipher[64];   /* "TLS_AES_256_GCM_SHA384" */
	char alpn[32];	   /* "" when none */
	char subject[256]; /* the peer certificate's subject, one line */
	char issuer[256];
	bool verified;	  /* chain and name verified */
	char reason[128]; /* why not, when !verified */
	bool resumed;
};

/* Fill *info for an established session. */
void skit_tls_info(const struct skit_tls *t, struct skit_tls_info *info);

#endif
