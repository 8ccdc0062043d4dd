/*
 * src/layer/tls_int.h - what the TLS code shares inside the library:
 * the context (tls_ctx.c), used by the tls layer (tls.c) and get's
 * blocking sessions (proto/tls.c). Not installed.
 */
#ifndef SKIT_TLS_INT_H
#define SKIT_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "skit/tls.h"

struct skit_tls_ctx {
	SSL_CTX *ctx;
	bool insecure, server, ephemeral;
	unsigned char alpn[256]; /* wire format: length-prefixed names */
	unsigned alpn_len;
	char fp[100]; /* our certificate's SHA-256 fingerprint */
};

/* The first queued OpenSSL error as text (the queue is cleared). */
void skit__tls_reason(char *buf, size_t len, const char *fallback);

/* Is host an IP literal? Fills the address text without a zone id. */
bool skit__tls_ip_literal(const char *host, char *buf, size_t len);

/*
 * Set up ssl as a client of host: SNI (sni, or host unless an IP
 * literal; "" none) and the name or address to verify. 1 or 0.
 */
int skit__tls_set_host(SSL *ssl, const char *host, const char *sni);

/*
 * Why a handshake failed: the verification result when the
 * certificate did not verify (with the names it is for on a name
 * mismatch), else the OpenSSL error queue. Returns SKIT_ETLSVERIFY or
 * SKIT_ETLS, err filled (op, subject given).
 */
int skit__tls_fail(SSL *ssl, bool verify, const char *op, const char *subject,
		   struct skit_err *err);

/* skit_tls_info for any SSL. */
void skit__tls_fill_info(SSL *ssl, struct skit_tls_info *info);

#endif
