/*
 * skit/tls.h - TLS with OpenSSL: contexts (client or server), the tls
 * layer type for any connection (conn.h), and blocking client sessions
 * over one fd (skit get's).
 *
 * A context holds the trust settings (verification on by
 * default against the system store, or --ca-file's bundle; TLS 1.2 at
 * least), a session wraps one connected fd in a conn with the tls layer
 * (below) and waits for it. The fd stays the caller's:
 * skit_tls_free() never closes it. Give a nonblocking fd so the
 * timeouts work (the calls wait with poll()); a blocking fd works too,
 * without timeouts.
 *
 * Errors: SKIT_ETLSVERIFY when the peer's certificate or name does not
 * verify (err->detail says why: "unable to get local issuer
 * certificate", "host name mismatch: cert is for DNS:a.test", ...),
 * SKIT_ETLS for any other TLS failure (detail from OpenSSL),
 * -ETIMEDOUT, or a -errno from the socket. op is "TLS handshake", "TLS
 * read" or "TLS write".
 *
 * Writes may raise SIGPIPE on a closed socket: the CLI ignores it.
 */
#ifndef SKIT_TLS_H
#define SKIT_TLS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "skit/err.h"

struct skit_tls_ctx; /* trust settings, shared by sessions */
struct skit_tls;     /* one TLS session over one fd */

struct skit_tls_opts {
	const char *ca_file; /* PEM bundle to trust; NULL: system store */
	bool insecure;	     /* verify nothing (the only way to turn it off) */
	/*
	 * Protocols to offer (client) or accept (server), comma-separated
	 * ("h2,http/1.1"), or NULL.
	 */
	const char *alpn;
	bool server; /* a server context (else a client one) */
	/*
	 * Our certificate chain and key (PEM files). A server without
	 * them gets an ephemeral self-signed certificate (P-256, one day,
	 * CN=skit); a client with them offers them (mutual TLS).
	 */
	const char *cert, *key;
	/* Server: require a client certificate signed by this PEM bundle. */
	const char *client_ca;
	const char *min_version; /* "1.2" or "1.3" (or "TLSv1.x"); NULL: 1.2 */
	/* OpenSSL cipher list (TLS 1.2) and/or TLS 1.3 suite names */
	const char *ciphers;
};

/*
 * Create a context. Returns 0 and *out, or SKIT_ETLS (a file that
 * cannot be read, a bad option value: detail says so). Does file I/O
 * when files are named. Free with skit_tls_ctx_free, after the sessions
 * and layers that use it.
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
 * Send close_notify (without waiting for the peer's), then shut down the
 * fd's write side. Returns 0 or a negative code; harmless to skip on
 * error paths.
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
	char sans[512];	  /* "DNS:a.test, IP:127.0.0.1"; "" when none */
	char expires[32]; /* notAfter, "2027-01-31T12:00:00Z" */
	char sha256[100]; /* the peer certificate's fingerprint, "AB:12:..." */
	bool peer_cert;	  /* the peer sent a certificate */
};

/*
 * The SHA-256 fingerprint of the context's own certificate (a server's
 * ephemeral one, say), "AB:12:..."; "" when it has none.
 */
void skit_tls_ctx_fingerprint(const struct skit_tls_ctx *ctx, char *buf,
			      size_t len);

/* Did the context make up its certificate (a server without cert=)? */
bool skit_tls_ctx_ephemeral(const struct skit_tls_ctx *ctx);

/*
 * Kernel TLS: does this kernel offer TCP_ULP "tls" now (it is listed in
 * /proc/sys/net/ipv4/tcp_available_ulp)? 0 yes, -ENOENT (the tls module
 * is not loaded), or -errno reading the file. The tls layer does not
 * hand its keys to the kernel yet: the option ktls falls back to
 * user-space TLS either way (docs/tls.md).
 */
int skit_tls_ktls_available(void);

/* --- the tls layer (src/layer/tls.c) ---------------------------------- */

struct skit_conn;
struct skit_layer_ops;

/*
 * tls: TLS over the byte stream below (a socket, or a proxy layer's
 * tunnel), client or server as the context is. Every byte goes through
 * the layer below (skit_layer_send_below/recv_below); OpenSSL does all
 * the record parsing, on memory buffers. The handshake runs in
 * skit_conn_handshake; shutdown sends close_notify (our write side is
 * done: docs/half-close.md) and then shuts the layer below; recv gives
 * 0 at the peer's close_notify and SKIT_ETRUNC when the stream below
 * ends without one. A handshake failure is SKIT_ETLSVERIFY (the
 * certificate) or SKIT_ETLS; skit_conn_tls_err says why.
 */
struct skit_tls_layer_cfg {
	struct skit_tls_ctx *ctx; /* kept by the caller while the layer lives */
	/*
	 * Client: the name the user asked for, checked against the
	 * certificate (DNS names, or IP SANs for an address literal).
	 */
	const char *host;
	/* Client: SNI to send; NULL: host unless an IP literal; "": none */
	const char *sni;
};
extern const struct skit_layer_ops skit_layer_tls;

/* What the conn's tls layer negotiated; -ENOENT when it has none. */
int skit_conn_tls_info(const struct skit_conn *c, struct skit_tls_info *info);

/* Why the conn's tls layer failed (NULL when it has not, or none). */
const struct skit_err *skit_conn_tls_err(const struct skit_conn *c);

/* Fill *info for an established session. */
void skit_tls_info(const struct skit_tls *t, struct skit_tls_info *info);

#ifdef __cplusplus
}
#endif

#endif
