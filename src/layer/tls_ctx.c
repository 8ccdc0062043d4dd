/*
 * tls_ctx.c - TLS contexts with OpenSSL (include/skit/tls.h): client
 * trust settings, server certificates (or an ephemeral self-signed
 * one), ALPN, versions and ciphers; and what a session negotiated.
 */
#include "layer/tls_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
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

void
skit__tls_reason(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r ? r : fallback);
	ERR_clear_error();
}

bool
skit__tls_ip_literal(const char *host, char *buf, size_t len)
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
skit__tls_set_host(SSL *ssl, const char *host, const char *sni)
{
	char ip[64];
	bool lit = skit__tls_ip_literal(host, ip, sizeof(ip));

	if (!sni)
		sni = lit ? "" : host;
	/* No SNI for addresses (RFC 6066). */
	if (*sni && SSL_set_tlsext_host_name(ssl, sni) != 1)
		return 0;
	if (lit)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip);
	if (SSL_set1_host(ssl, host) != 1)
		return 0;
	/* No partial wildcards like "f*.example.com". */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return 1;
}

/* The subject alternative names of x, "DNS:a.test, IP:127.0.0.1". */
static void
cert_sans(X509 *x, char *buf, size_t len)
{
	GENERAL_NAMES *gens =
		X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && at < len;
	     i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		char txt[64];
		int n;

		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			n = ASN1_STRING_length(g->d.dNSName);
			at += (size_t)snprintf(buf + at, len - at, "%sDNS:%.*s",
					       at ? ", " : "", n, d);
		} else if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			n = ASN1_STRING_length(g->d.iPAddress);
			if (!inet_ntop(n == 4 ? AF_INET : AF_INET6, d, txt,
				       sizeof(txt)))
				continue;
			at += (size_t)snprintf(buf + at, len - at, "%sIP:%s",
					       at ? ", " : "", txt);
		}
	}
	GENERAL_NAMES_free(gens);
}

static void
cert_fingerprint(X509 *x, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	size_t at = 0;

	buf[0] = '\0';
	if (!x || !X509_digest(x, EVP_sha256(), md, &n))
		return;
	for (unsigned i = 0; i < n && at + 3 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%02X",
				       i ? ":" : "", md[i]);
}

int
skit__tls_fail(SSL *ssl, bool verify, const char *op, const char *subject,
	       struct skit_err *err)
{
	long v = SSL_get_verify_result(ssl);
	char why[160], sans[300];

	if (verify && v != X509_V_OK) {
		STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
		X509 *leaf = chain && sk_X509_num(chain) > 0
				     ? sk_X509_value(chain, 0)
				     : NULL;

		ERR_clear_error();
		if (v == X509_V_ERR_HOSTNAME_MISMATCH ||
		    v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
			sans[0] = '\0';
			if (leaf)
				cert_sans(leaf, sans, sizeof(sans));
			return skit_err_setf(
				err, SKIT_ETLSVERIFY, op, subject, 0,
				"certificate verify failed: host name "
				"mismatch: cert is for %s",
				*sans ? sans : "no names");
		}
		return skit_err_setf(err, SKIT_ETLSVERIFY, op, subject, 0,
				     "certificate verify failed: %s",
				     X509_verify_cert_error_string(v));
	}
	skit__tls_reason(why, sizeof(why), "TLS failure");
	return skit_err_setf(err, SKIT_ETLS, op, subject, 0, "%s", why);
}

void
skit__tls_fill_info(SSL *ssl, struct skit_tls_info *info)
{
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;
	X509 *peer;
	struct tm tm;
	long v;

	memset(info, 0, sizeof(*info));
	snprintf(info->version, sizeof(info->version), "%s",
		 SSL_get_version(ssl));
	snprintf(info->cipher, sizeof(info->cipher), "%s",
		 SSL_get_cipher_name(ssl));
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	if (alpn && alpn_len < sizeof(info->alpn)) {
		memcpy(info->alpn, alpn, alpn_len);
		info->alpn[alpn_len] = '\0';
	}
	peer = SSL_get1_peer_certificate(ssl);
	if (peer) {
		info->peer_cert = true;
		X509_NAME_oneline(X509_get_subject_name(peer), info->subject,
				  (int)sizeof(info->subject));
		X509_NAME_oneline(X509_get_issuer_name(peer), info->issuer,
				  (int)sizeof(info->issuer));
		cert_sans(peer, info->sans, sizeof(info->sans));
		cert_fingerprint(peer, info->sha256, sizeof(info->sha256));
		if (ASN1_TIME_to_tm(X509_get0_notAfter(peer), &tm) == 1)
			strftime(info->expires, sizeof(info->expires),
				 "%Y-%m-%dT%H:%M:%SZ", &tm);
		X509_free(peer);
	}
	v = SSL_get_verify_result(ssl);
	info->verified = peer && v == X509_V_OK;
	snprintf(info->reason, sizeof(info->reason), "%s",
		 !peer ? "no certificate" : X509_verify_cert_error_string(v));
	info->resumed = SSL_session_reused(ssl);
}

/* --- contexts ---------------------------------------------------------- */

/* A self-signed P-256 certificate for CN=skit, valid for a day. */
static int
ephemeral_cert(SSL_CTX *ctx)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	int ok = 0;

	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"skit", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, key, EVP_sha256()))
		goto out;
	ok = SSL_CTX_use_certificate(ctx, x) == 1 &&
	     SSL_CTX_use_PrivateKey(ctx, key) == 1;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

/* Can path be opened for reading? 0, or err filled. */
static int
readable(const char *what, const char *path, struct skit_err *err)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return skit_err_setf(err, SKIT_ETLS, what, path, 0, "%s",
				     skit_strerror(-errno));
	fclose(f);
	return 0;
}

/* "h2,http/1.1" -> wire format. 0 or -1 (a name too long or empty). */
static int
alpn_wire(const char *list, unsigned char *out, size_t cap, unsigned *len)
{
	size_t at = 0;

	while (*list) {
		size_t n = strcspn(list, ",;");

		if (n == 0 || n > 255 || at + 1 + n > cap)
			return -1;
		out[at++] = (unsigned char)n;
		memcpy(out + at, list, n);
		at += n;
		list += n;
		if (*list == ',' || *list == ';')
			list++;
	}
	*len = (unsigned)at;
	return 0;
}

static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	    const unsigned char *in, unsigned inlen, void *arg)
{
	struct skit_tls_ctx *c = arg;
	unsigned char *sel;

	(void)ssl;
	if (SSL_select_next_proto(&sel, outlen, c->alpn, c->alpn_len, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int
min_version(const char *s)
{
	if (!strncmp(s, "TLSv", 4) || !strncmp(s, "tls", 3))
		s += s[3] == 'v' ? 4 : 3;
	if (!strcmp(s, "1.2"))
		return TLS1_2_VERSION;
	if (!strcmp(s, "1.3"))
		return TLS1_3_VERSION;
	if (!strcmp(s, "1.1"))
		return TLS1_1_VERSION;
	if (!strcmp(s, "1.0") || !strcmp(s, "1"))
		return TLS1_VERSION;
	return -1;
}

/* Everything but the trust store. 0 or a code (err filled). */
static int
ctx_setup(struct skit_tls_ctx *c, const struct skit_tls_opts *o,
	  struct skit_err *err)
{
	char why[160];
	int v = TLS1_2_VERSION;

	if (o && o->min_version) {
		v = min_version(o->min_version);
		if (v < 0)
			return skit_err_setf(err, SKIT_EOPTION, "TLS setup",
					     o->min_version, 0,
					     "min-version is 1.0, 1.1, 1.2 "
					     "or 1.3");
	}
	SSL_CTX_set_min_proto_version(c->ctx, v);
	/*
	 * Cipher preference like browsers and Mozilla's "intermediate"
	 * profile: forward-secret AEAD first, AES-128-GCM before AES-256
	 * (as strong in practice and cheaper for both ends of a bulk
	 * transfer), then the older suites for servers that need them.
	 */
	SSL_CTX_set_cipher_list(c->ctx, TLS12_CIPHERS);
	SSL_CTX_set_ciphersuites(c->ctx, TLS13_CIPHERS);
	/*
	 * A server picks by that order, not the client's (OpenSSL and
	 * Python clients put AES-256 first), except for a client that puts
	 * ChaCha20 first (no AES instructions, most likely).
	 */
	if (c->server)
		SSL_CTX_set_options(c->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
						    SSL_OP_PRIORITIZE_CHACHA);
	if (o && o->ciphers) {
		/* TLS 1.3 names go to the suites, the rest to the list. */
		bool v13 = !strncmp(o->ciphers, "TLS_", 4);
		int ok = v13 ? SSL_CTX_set_ciphersuites(c->ctx, o->ciphers)
			     : SSL_CTX_set_cipher_list(c->ctx, o->ciphers);

		if (ok != 1) {
			ERR_clear_error();
			return skit_err_setf(err, SKIT_EOPTION, "TLS setup",
					     o->ciphers, 0,
					     "no cipher in the list is known");
		}
	}
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * Read ahead with a large buffer: one read then fetches many
	 * records, so a bulk transfer costs fewer system calls.
	 */
	SSL_CTX_set_read_ahead(c->ctx, 1);
	SSL_CTX_set_default_read_buffer_len(c->ctx, 256 * 1024);
	if (o && o->alpn && *o->alpn) {
		if (alpn_wire(o->alpn, c->alpn, sizeof(c->alpn), &c->alpn_len) <
		    0)
			return skit_err_setf(err, SKIT_EOPTION, "TLS setup",
					     o->alpn, 0,
					     "bad ALPN list (names of 1 to "
					     "255 bytes, comma-separated)");
		if (c->server)
			SSL_CTX_set_alpn_select_cb(c->ctx, alpn_select, c);
		else
			SSL_CTX_set_alpn_protos(c->ctx, c->alpn, c->alpn_len);
	}
	if (o && (o->cert || o->key)) {
		const char *cert = o->cert ? o->cert : o->key;
		const char *key = o->key ? o->key : o->cert;

		if (readable("certificate", cert, err) ||
		    readable("key", key, err))
			return err ? err->code : SKIT_ETLS;
		if (SSL_CTX_use_certificate_chain_file(c->ctx, cert) != 1) {
			skit__tls_reason(why, sizeof(why), "no certificate");
			return skit_err_setf(err, SKIT_ETLS, "certificate",
					     cert, 0, "%s", why);
		}
		if (SSL_CTX_use_PrivateKey_file(c->ctx, key,
						SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(c->ctx) != 1) {
			skit__tls_reason(why, sizeof(why), "no key");
			return skit_err_setf(err, SKIT_ETLS, "key", key, 0,
					     "%s", why);
		}
	} else if (c->server) {
		if (ephemeral_cert(c->ctx) < 0) {
			skit__tls_reason(why, sizeof(why),
					 "cannot make a certificate");
			return skit_err_setf(err, SKIT_ETLS, "TLS setup", "", 0,
					     "%s", why);
		}
		c->ephemeral = true;
	}
	{
		X509 *own = SSL_CTX_get0_certificate(c->ctx);

		cert_fingerprint(own, c->fp, sizeof(c->fp));
	}
	return 0;
}

/* The trust store: ca_file / client_ca, else the system's. */
static int
ctx_trust(struct skit_tls_ctx *c, const struct skit_tls_opts *o,
	  struct skit_err *err)
{
	const char *ca =
		c->server ? (o ? o->client_ca : NULL) : (o ? o->ca_file : NULL);
	char why[160];

	if (ca) {
		if (readable("CA file", ca, err))
			return err ? err->code : SKIT_ETLS;
		if (SSL_CTX_load_verify_locations(c->ctx, ca, NULL) != 1) {
			skit__tls_reason(why, sizeof(why),
					 "no PEM certificates");
			return skit_err_setf(err, SKIT_ETLS, "CA file", ca, 0,
					     "cannot load certificates: %s",
					     why);
		}
	} else if (!c->server &&
		   SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		ERR_clear_error();
	}
	if (c->server) {
		if (ca) {
			SSL_CTX_set_verify(
				c->ctx,
				SSL_VERIFY_PEER |
					SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				NULL);
			SSL_CTX_set_client_CA_list(c->ctx,
						   SSL_load_client_CA_file(ca));
			ERR_clear_error();
		}
		return 0;
	}
	/*
	 * Even with --insecure OpenSSL still checks the chain and records
	 * the result: the caller can warn with the reason.
	 */
	SSL_CTX_set_verify(
		c->ctx, c->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	return 0;
}

int
skit_tls_ctx_new(const struct skit_tls_opts *o, struct skit_tls_ctx **out,
		 struct skit_err *err)
{
	struct skit_tls_ctx *c;
	char why[160];
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return skit_err_set(err, -ENOMEM, "TLS setup", "");
	c->server = o && o->server;
	c->insecure = o && o->insecure;
	ERR_clear_error();
	c->ctx = SSL_CTX_new(c->server ? TLS_server_method()
				       : TLS_client_method());
	if (!c->ctx) {
		skit__tls_reason(why, sizeof(why),
				 "cannot create a TLS context");
		free(c);
		return skit_err_setf(err, SKIT_ETLS, "TLS setup", "", 0, "%s",
				     why);
	}
	rc = ctx_setup(c, o, err);
	if (rc == 0)
		rc = ctx_trust(c, o, err);
	if (rc < 0) {
		skit_tls_ctx_free(c);
		return rc;
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

void
skit_tls_ctx_fingerprint(const struct skit_tls_ctx *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "%s", ctx->fp);
}

bool
skit_tls_ctx_ephemeral(const struct skit_tls_ctx *ctx)
{
	return ctx->ephemeral;
}

int
skit_tls_ktls_available(void)
{
	char buf[256] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "re");
	int e;

	if (!f)
		return -errno;
	e = fgets(buf, sizeof(buf), f) ? 0 : -EIO;
	fclose(f);
	if (e)
		return e;
	for (char *sv, *t = strtok_r(buf, " \n", &sv); t;
	     t = strtok_r(NULL, " \n", &sv))
		if (!strcmp(t, "tls"))
			return 0;
	return -ENOENT;
}
