/*
 * cli/cli_tls.h - TLS for the commands: a context from an address's
 * options (tls, verify, ca, sni, alpn, min-version, ciphers, cert, key,
 * client-ca, ktls) and ncat's --ssl flags, a conn with the tls layer
 * over a socket, a handshake that names its failure, and the -v /
 * --json report of what was negotiated (docs/tls.md).
 */
#ifndef SKIT_CLI_TLS_H
#define SKIT_CLI_TLS_H

#include <stdbool.h>

#include "skit/conn.h"
#include "skit/tls.h"

struct skit_addr;
struct cli_json;

/* ncat's flags, folded into the address's options (cli_tls_flags). */
struct cli_tls_flags {
	bool ssl;	     /* --ssl */
	const char *cert;    /* --ssl-cert */
	const char *key;     /* --ssl-key */
	bool verify;	     /* --ssl-verify */
	const char *ca;	     /* --ssl-trustfile */
	const char *alpn;    /* --ssl-alpn */
	const char *ciphers; /* --ssl-ciphers */
};

/* The long-option rows for them (connect and listen share them). */
#define CLI_TLS_OPTS(base)                                                \
	{ "ssl", 0, NULL, (base) + 0,                                     \
	  "TLS over the stream (= the address option tls); with listen, " \
	  "an ephemeral certificate unless --ssl-cert" },                 \
		{ "ssl-cert", 0, "FILE", (base) + 1,                      \
		  "our certificate chain (PEM) (= cert=)" },              \
		{ "ssl-key", 0, "FILE", (base) + 2,                       \
		  "the key of --ssl-cert (PEM) (= key=)" },               \
		{ "ssl-verify", 0, NULL, (base) + 3,                      \
		  "verify the peer's certificate (connect: the default, " \
		  "unlike ncat; listen: require client certificates)" },  \
		{ "ssl-trustfile", 0, "FILE", (base) + 4,                 \
		  "trust these PEM CAs (= ca=)" },                        \
		{ "ssl-alpn", 0, "PROTOS", (base) + 5,                    \
		  "ALPN protocols, comma-separated (= alpn=)" },          \
	{                                                                 \
		"ssl-ciphers", 0, "CIPHERS", (base) + 6,                  \
			"OpenSSL cipher list (= ciphers=)"                \
	}
#define CLI_TLS_NOPTS 7

/* Apply flag id (0..CLI_TLS_NOPTS-1, as numbered above). */
void cli_tls_flag(struct cli_tls_flags *f, int id, const char *arg);

/*
 * Write the flags into a's options (they win over the address's). 0 or
 * an exit code (a message was printed).
 */
int cli_tls_flags_apply(const struct cli_tls_flags *f, struct skit_addr *a);

struct cli_tls {
	struct skit_tls_ctx *ctx; /* NULL: the address has no tls */
	struct skit_tls_layer_cfg lc;
	char host[256];
	char sni[256];
};

/*
 * The context for a (its tls options): server when listening. Warns
 * when verification is off, says the ephemeral certificate's
 * fingerprint under -v, and that kTLS falls back when asked. 0 (no tls:
 * t->ctx NULL), or an exit code after a message.
 */
int cli_tls_setup(const struct skit_addr *a, bool server, struct cli_tls *t);
void cli_tls_free(struct cli_tls *t);

/*
 * A conn over fd (taken, even on failure) with the tls layer; layers
 * that must sit below it (a tap) are pushed by before (may be NULL).
 * 0 or a negative code.
 */
int cli_tls_conn(const struct cli_tls *t, int fd, int type,
		 int (*before)(struct skit_conn *c, void *data), void *data,
		 struct skit_conn **out);

/*
 * Run c's handshake, waiting on its fd up to timeout_ms (< 0: no limit)
 * and ending at a stop signal. On failure: "skit: TLS handshake with
 * PEER: REASON" and the exit code (8, 5, ...). On success, under -v,
 * the negotiated parameters. 0 or an exit code.
 */
int cli_tls_handshake(struct skit_conn *c, long long timeout_ms,
		      const char *peer);

/*
 * After a relay pair over c ended: when c's TLS failed (a handshake,
 * a truncation), say so naming peer ("skit: TLS handshake with client
 * tcp:...: certificate has expired") and return the exit code; else 0.
 */
int cli_tls_failed(const struct skit_conn *c, const char *peer);

/* -v lines: version, cipher, ALPN, the peer's certificate. */
void cli_tls_verbose(const struct skit_conn *c);

/*
 * What c negotiated into a JSON object, each key prefixed by prefix
 * ("", "a_", "b_"): tls_version, tls_cipher, tls_alpn, and the peer's
 * certificate (peer_subject, peer_issuer, peer_sans, peer_expires,
 * peer_sha256, peer_verified). Nothing when c is NULL or has no TLS.
 */
void cli_tls_json(struct cli_json *j, const struct skit_conn *c,
		  const char *prefix);

#endif
