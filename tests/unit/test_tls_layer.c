/*
 * test_tls_layer.c - the tls layer (src/layer/tls.c) and TLS contexts
 * (src/layer/tls_ctx.c): a client and a server conn over a nonblocking
 * socketpair, driven in one thread; certificates made in memory (a CA,
 * a server certificate for skit.test and 127.0.0.1, an expired one, a
 * client certificate). Both handshakes, data both ways, close_notify
 * each way (half-close), truncation, verification failures, mutual
 * TLS, ALPN, an ephemeral server certificate, no shared cipher, and the
 * bytes going through a layer below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "skit/conn.h"
#include "skit/io.h"
#include "skit/tls.h"

static char dir[64];
static char ca_pem[128], srv_pem[128], srv_key[128], exp_pem[128], exp_key[128],
	cli_pem[128], cli_key[128];

static EVP_PKEY *ca_key;
static X509 *ca_cert;

static void
write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (x)
		PEM_write_X509(f, x);
	if (k)
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/* A certificate for cn with sans, signed by the CA (or itself). */
static X509 *
make_cert(const char *cn, const char *sans, long from, long to, bool ca,
	  EVP_PKEY *k)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	static long serial = 1;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, k);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? name : X509_get_subject_name(ca_cert));
	X509V3_set_ctx(&v3, ca ? x : ca_cert, x, NULL, NULL, 0);
	if (sans) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
					  sans);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, ca ? k : ca_key, EVP_sha256()) > 0);
	return x;
}

static void
make_pair(const char *cn, const char *sans, long from, long to, const char *pem,
	  const char *keyf)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = make_cert(cn, sans, from, to, false, k);

	write_pem(pem, x, NULL);
	write_pem(keyf, NULL, k);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/skit-test-tlsl-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
#define P(v, n) snprintf(v, sizeof(v), "%s/%s", dir, n)
	P(ca_pem, "ca.pem");
	P(srv_pem, "srv.pem");
	P(srv_key, "srv.key");
	P(exp_pem, "exp.pem");
	P(exp_key, "exp.key");
	P(cli_pem, "cli.pem");
	P(cli_key, "cli.key");
#undef P
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca_cert = make_cert("skit test CA", NULL, -60, 3600, true, ca_key);
	write_pem(ca_pem, ca_cert, NULL);
	make_pair("skit.test", "DNS:skit.test,IP:127.0.0.1", -60, 3600, srv_pem,
		  srv_key);
	make_pair("skit.test", "DNS:skit.test,IP:127.0.0.1", -7200, -3600,
		  exp_pem, exp_key);
	make_pair("client", NULL, -60, 3600, cli_pem, cli_key);
	return 0;
}

static int
teardown(void **state)
{
	const char *f[] = { ca_pem,  srv_pem, srv_key, exp_pem,
			    exp_key, cli_pem, cli_key };

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		unlink(f[i]);
	rmdir(dir);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	return 0;
}

/* --- a client and a server conn over a socketpair ---------------------- */

struct tpair {
	int sv[2];
	struct skit_tls_ctx *cctx, *sctx;
	struct skit_conn *c, *s; /* client, server */
};

/*
 * A pair over a nonblocking socketpair; tap (may be NULL) is pushed
 * first on the client's transport, below its TLS.
 */
static void
tpair_new_tap(struct tpair *p, const struct skit_tls_opts *co,
	      const struct skit_tls_opts *so, const char *host,
	      const struct skit_tap_cfg *tap)
{
	struct skit_tls_layer_cfg cc = { 0 }, sc = { 0 };
	struct skit_err err;

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->sv), 0);
	assert_int_equal(fcntl(p->sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(p->sv[1], F_SETFL, O_NONBLOCK), 0);
	skit_err_clear(&err);
	assert_int_equal(skit_tls_ctx_new(co, &p->cctx, &err), 0);
	assert_int_equal(skit_tls_ctx_new(so, &p->sctx, &err), 0);
	assert_int_equal(
		skit_conn_new(p->sv[0], p->sv[0], SOCK_STREAM, true, &p->c), 0);
	assert_int_equal(
		skit_conn_new(p->sv[1], p->sv[1], SOCK_STREAM, true, &p->s), 0);
	cc.ctx = p->cctx;
	cc.host = host;
	sc.ctx = p->sctx;
	if (tap)
		assert_int_equal(
			skit_conn_push(p->c, &skit_layer_tap, tap, &err), 0);
	assert_int_equal(skit_conn_push(p->c, &skit_layer_tls, &cc, &err), 0);
	assert_int_equal(skit_conn_push(p->s, &skit_layer_tls, &sc, &err), 0);
}

static void
tpair_new(struct tpair *p, const struct skit_tls_opts *co,
	  const struct skit_tls_opts *so, const char *host)
{
	tpair_new_tap(p, co, so, host, NULL);
}

static void
tpair_free(struct tpair *p)
{
	skit_conn_free(p->c);
	skit_conn_free(p->s);
	skit_tls_ctx_free(p->cctx);
	skit_tls_ctx_free(p->sctx);
}

/*
 * Run both handshakes in turns until neither says -EAGAIN (bounded).
 * *crc and *src receive their last codes.
 */
static void
tpair_handshake(struct tpair *p, int *crc, int *src)
{
	*crc = *src = -EAGAIN;
	for (int i = 0; i < 100 && (*crc == -EAGAIN || *src == -EAGAIN); i++) {
		if (*crc == -EAGAIN)
			*crc = skit_conn_handshake(p->c);
		if (*src == -EAGAIN)
			*src = skit_conn_handshake(p->s);
	}
}

/* A pair whose both handshakes succeed. */
static void
tpair_up(struct tpair *p, const struct skit_tls_opts *co,
	 const struct skit_tls_opts *so, const char *host,
	 const struct skit_tap_cfg *tap)
{
	int crc, src;

	tpair_new_tap(p, co, so, host, tap);
	tpair_handshake(p, &crc, &src);
	assert_int_equal(crc, 0);
	assert_int_equal(src, 0);
}

/* recv on c, turning the other side's pending work in meanwhile. */
static ssize_t
recv_some(struct skit_conn *c, struct skit_conn *other, char *buf, size_t len)
{
	ssize_t n = -EAGAIN;

	for (int i = 0; i < 100 && n == -EAGAIN; i++) {
		(void)skit_conn_flush(other);
		n = skit_conn_recv(c, buf, len);
	}
	return n;
}

static struct skit_tls_opts
client_opts(void)
{
	return (struct skit_tls_opts){ .ca_file = ca_pem };
}

static struct skit_tls_opts
server_opts(void)
{
	return (struct skit_tls_opts){ .server = true,
				       .cert = srv_pem,
				       .key = srv_key };
}

static void
test_handshake_data_close_notify(void **state)
{
	struct skit_tls_opts co = client_opts(), so = server_opts();
	struct skit_tls_info info;
	struct tpair p;
	char buf[256];

	(void)state;
	tpair_up(&p, &co, &so, "skit.test", NULL);
	assert_int_equal(skit_conn_tls_info(p.c, &info), 0);
	assert_true(info.verified);
	assert_string_equal(info.version, "TLSv1.3");
	assert_non_null(strstr(info.subject, "CN=skit.test"));
	assert_non_null(strstr(info.issuer, "CN=skit test CA"));
	assert_string_equal(info.sans, "DNS:skit.test, IP:127.0.0.1");
	assert_int_equal(strlen(info.sha256), 95);
	assert_int_equal(strlen(info.expires), 20);
	assert_int_equal(skit_conn_tls_info(p.s, &info), 0);
	assert_false(info.peer_cert);

	/* client -> server, server -> client */
	assert_int_equal(skit_conn_send(p.c, "hello", 5), 5);
	assert_int_equal(recv_some(p.s, p.c, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(skit_conn_send(p.s, "world!", 6), 6);
	assert_int_equal(recv_some(p.c, p.s, buf, sizeof(buf)), 6);

	/* The client's close_notify: the server reads EOF... */
	assert_int_equal(skit_conn_shutdown(p.c), 0);
	assert_int_equal(recv_some(p.s, p.c, buf, sizeof(buf)), 0);
	/* ...and may still talk (half-close), then ends its side. */
	assert_int_equal(skit_conn_send(p.s, "late", 4), 4);
	assert_int_equal(recv_some(p.c, p.s, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "late", 4);
	assert_int_equal(skit_conn_shutdown(p.s), 0);
	assert_int_equal(recv_some(p.c, p.s, buf, sizeof(buf)), 0);
	assert_null(skit_conn_tls_err(p.c));
	tpair_free(&p);
}

static void
test_truncation(void **state)
{
	struct skit_tls_opts co = client_opts(), so = server_opts();
	const struct skit_err *e;
	struct tpair p;
	char buf[64];

	(void)state;
	tpair_up(&p, &co, &so, "127.0.0.1", NULL);
	assert_int_equal(skit_conn_send(p.s, "part", 4), 4);
	/* The server's socket ends with no close_notify. */
	assert_int_equal(shutdown(p.sv[1], SHUT_WR), 0);
	assert_int_equal(recv_some(p.c, p.s, buf, sizeof(buf)), 4);
	assert_int_equal(recv_some(p.c, p.s, buf, sizeof(buf)), SKIT_ETRUNC);
	e = skit_conn_tls_err(p.c);
	assert_non_null(e);
	assert_non_null(strstr(e->detail, "without close_notify"));
	tpair_free(&p);
}

/* The client's handshake fails with code; its detail has want. */
static void
client_fails(const struct skit_tls_opts *co, const struct skit_tls_opts *so,
	     const char *host, int code, const char *want)
{
	const struct skit_err *e;
	struct tpair p;
	int crc, src;

	tpair_new(&p, co, so, host);
	tpair_handshake(&p, &crc, &src);
	assert_int_equal(crc, code);
	e = skit_conn_tls_err(p.c);
	assert_non_null(e);
	if (!strstr(e->detail, want))
		fail_msg("detail '%s' lacks '%s'", e->detail, want);
	tpair_free(&p);
}

static void
test_verify_failures(void **state)
{
	struct skit_tls_opts co = client_opts(), so = server_opts();
	struct skit_tls_opts sys = { 0 }, eo = server_opts();

	(void)state;
	client_fails(&co, &so, "other.test", SKIT_ETLSVERIFY,
		     "host name mismatch: cert is for DNS:skit.test, "
		     "IP:127.0.0.1");
	client_fails(&co, &so, "127.0.0.2", SKIT_ETLSVERIFY,
		     "host name mismatch");
	/* Our CA is not in the system store. */
	client_fails(&sys, &so, "skit.test", SKIT_ETLSVERIFY,
		     "unable to get local issuer certificate");
	eo.cert = exp_pem;
	eo.key = exp_key;
	client_fails(&co, &eo, "skit.test", SKIT_ETLSVERIFY,
		     "certificate has expired");
	/* An ephemeral certificate is self-signed. */
	eo.cert = eo.key = NULL;
	client_fails(&co, &eo, "skit.test", SKIT_ETLSVERIFY,
		     "self-signed certificate");
}

static void
test_insecure_ephemeral(void **state)
{
	struct skit_tls_opts co = { .insecure = true };
	struct skit_tls_opts so = { .server = true };
	struct skit_tls_info info;
	struct tpair p;
	char fp[100];

	(void)state;
	tpair_up(&p, &co, &so, "127.0.0.1", NULL);
	assert_true(skit_tls_ctx_ephemeral(p.sctx));
	skit_tls_ctx_fingerprint(p.sctx, fp, sizeof(fp));
	assert_int_equal(skit_conn_tls_info(p.c, &info), 0);
	assert_false(info.verified);
	assert_string_equal(info.sha256, fp);
	assert_string_equal(info.subject, "/CN=skit");
	tpair_free(&p);
}

static void
test_mutual_tls(void **state)
{
	struct skit_tls_opts co = client_opts(), so = server_opts();
	struct skit_tls_info info;
	const struct skit_err *e;
	struct tpair p;
	char buf[16];
	int crc, src;

	(void)state;
	so.client_ca = ca_pem;
	/* No client certificate: the server refuses. */
	tpair_new(&p, &co, &so, "skit.test");
	tpair_handshake(&p, &crc, &src);
	assert_int_equal(src, SKIT_ETLS);
	e = skit_conn_tls_err(p.s);
	assert_non_null(e);
	assert_non_null(strstr(e->detail, "certificate"));
	/* TLS 1.3: the client learns it at its first read. */
	if (crc == 0)
		crc = (int)recv_some(p.c, p.s, buf, sizeof(buf));
	assert_true(crc == SKIT_ETLS || crc == SKIT_ETRUNC);
	tpair_free(&p);

	co.cert = cli_pem;
	co.key = cli_key;
	tpair_up(&p, &co, &so, "skit.test", NULL);
	assert_int_equal(skit_conn_send(p.c, "x", 1), 1);
	assert_int_equal(recv_some(p.s, p.c, buf, sizeof(buf)), 1);
	assert_int_equal(skit_conn_tls_info(p.s, &info), 0);
	assert_true(info.verified);
	assert_non_null(strstr(info.subject, "CN=client"));
	tpair_free(&p);
}

static void
test_alpn_versions_ciphers(void **state)
{
	struct skit_tls_opts co = client_opts(), so = server_opts();
	struct skit_tls_info info;
	const struct skit_err *e;
	struct skit_tls_ctx *ctx;
	struct skit_err err;
	struct tpair p;
	int crc, src;

	(void)state;
	co.alpn = "h2,http/1.1";
	so.alpn = "http/1.1";
	co.min_version = "1.2";
	tpair_up(&p, &co, &so, "skit.test", NULL);
	assert_int_equal(skit_conn_tls_info(p.c, &info), 0);
	assert_string_equal(info.alpn, "http/1.1");
	tpair_free(&p);

	co.alpn = so.alpn = NULL;
	co.ciphers = "TLS_CHACHA20_POLY1305_SHA256";
	so.ciphers = "TLS_AES_128_GCM_SHA256";
	so.min_version = "TLSv1.3";
	tpair_new(&p, &co, &so, "skit.test");
	tpair_handshake(&p, &crc, &src);
	assert_int_equal(src, SKIT_ETLS);
	e = skit_conn_tls_err(p.s);
	assert_non_null(e);
	assert_non_null(strstr(e->detail, "no shared cipher"));
	assert_int_equal(crc, SKIT_ETLS);
	tpair_free(&p);

	/* The server's order decides: AES-128-GCM before AES-256, unless
	 * the client puts ChaCha20 first. */
	co.ciphers = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:"
		     "TLS_CHACHA20_POLY1305_SHA256";
	so.ciphers = NULL;
	so.min_version = NULL;
	tpair_up(&p, &co, &so, "skit.test", NULL);
	assert_int_equal(skit_conn_tls_info(p.c, &info), 0);
	assert_string_equal(info.cipher, "TLS_AES_128_GCM_SHA256");
	tpair_free(&p);
	co.ciphers = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
	tpair_up(&p, &co, &so, "skit.test", NULL);
	assert_int_equal(skit_conn_tls_info(p.c, &info), 0);
	assert_string_equal(info.cipher, "TLS_CHACHA20_POLY1305_SHA256");
	tpair_free(&p);

	co = client_opts();
	co.min_version = "1.9";
	skit_err_clear(&err);
	assert_int_equal(skit_tls_ctx_new(&co, &ctx, &err), SKIT_EOPTION);
	co.min_version = NULL;
	co.ciphers = "NOPE";
	assert_int_equal(skit_tls_ctx_new(&co, &ctx, &err), SKIT_EOPTION);
	co.ciphers = NULL;
	co.cert = "/nonexistent.pem";
	assert_int_equal(skit_tls_ctx_new(&co, &ctx, &err), SKIT_ETLS);
	assert_non_null(strstr(err.detail, "No such file"));
}

static size_t tapped[2];

static void
on_tap(void *data, int d, const void *buf, size_t len)
{
	(void)data;
	(void)buf;
	tapped[d] += len;
}

/*
 * Through a layer below (a tap on the client's transport): every TLS
 * byte passes it, none is plain text; and a bulk transfer larger than
 * the socket buffers goes through with -EAGAIN and flush.
 */
static void
test_over_layer_below_bulk(void **state)
{
	struct skit_tls_opts co = client_opts(), so = server_opts();
	struct skit_tap_cfg tap = { .fn = on_tap };
	enum { TOTAL = 1 << 20 };
	char *out = malloc(TOTAL), *in = malloc(TOTAL);
	size_t sent = 0, got = 0;
	struct tpair p;

	(void)state;
	for (size_t i = 0; i < TOTAL; i++)
		out[i] = (char)(i * 7);
	tpair_up(&p, &co, &so, "skit.test", &tap);
	for (int i = 0; i < 100000 && got < TOTAL; i++) {
		ssize_t n;

		if (sent < TOTAL) {
			n = skit_conn_send(p.c, out + sent, TOTAL - sent);
			assert_true(n > 0 || n == -EAGAIN);
			if (n > 0)
				sent += (size_t)n;
		} else {
			(void)skit_conn_flush(p.c);
		}
		assert_true(skit_conn_events(p.c, SKIT_EV_READ) != 0);
		do {
			n = skit_conn_recv(p.s, in + got, TOTAL - got);
			assert_true(n > 0 || n == -EAGAIN);
			if (n > 0)
				got += (size_t)n;
		} while (n > 0 && skit_conn_pending(p.s));
	}
	assert_int_equal(got, TOTAL);
	assert_memory_equal(in, out, TOTAL);
	assert_true(tapped[SKIT_TAP_OUT] > TOTAL);
	assert_true(tapped[SKIT_TAP_IN] > 0);
	free(out);
	free(in);
	tpair_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_data_close_notify),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_verify_failures),
		cmocka_unit_test(test_insecure_ephemeral),
		cmocka_unit_test(test_mutual_tls),
		cmocka_unit_test(test_alpn_versions_ciphers),
		cmocka_unit_test(test_over_layer_below_bulk),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
