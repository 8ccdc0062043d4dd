/*
 * test_tls.c - the TLS client layer against an in-process OpenSSL server
 * on a socketpair, with a self-signed certificate made in memory:
 * verification on by default, --ca-file, host and IP checks, insecure
 * mode, data both ways, clean and unclean EOF, time-outs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "skit/io.h"
#include "skit/sock.h"
#include "skit/tls.h"

static EVP_PKEY *key;
static X509 *cert;
static char ca_path[64];

/* A self-signed certificate for skit.test and 127.0.0.1. */
static int
setup_cert(void **state)
{
	X509_NAME *name;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	FILE *f;
	int fd;

	(void)state;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	cert = X509_new();
	if (!key || !cert)
		return -1;
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"skit.test", -1, -1,
				   0);
	X509_set_issuer_name(cert, name);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				  "DNS:skit.test,IP:127.0.0.1");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
				  "critical,CA:TRUE");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	if (!X509_sign(cert, key, EVP_sha256()))
		return -1;
	snprintf(ca_path, sizeof(ca_path), "/tmp/skit-test-tls-XXXXXX");
	fd = mkstemp(ca_path);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	PEM_write_X509(f, cert);
	fclose(f);
	return 0;
}

static int
teardown_cert(void **state)
{
	(void)state;
	unlink(ca_path);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

/* What the server thread does after the handshake. */
enum srv_mode {
	SRV_ECHO_CLOSE, /* echo one read, then close_notify */
	SRV_SEND_CUT,	/* send data, then close TCP without close_notify */
	SRV_SILENT,	/* never answer the ClientHello */
	SRV_HANDSHAKE_ONLY,
};

struct srv {
	int fd;
	enum srv_mode mode;
	pthread_t th;
};

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	SSL_CTX *ctx;
	SSL *ssl;
	char buf[4096];
	int n;

	if (s->mode == SRV_SILENT) {
		/* Read the ClientHello and say nothing. */
		(void)skit_read_some(s->fd, buf, sizeof(buf));
		return NULL;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(ctx, cert);
	SSL_CTX_use_PrivateKey(ctx, key);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, s->fd);
	if (SSL_accept(ssl) == 1) {
		switch (s->mode) {
		case SRV_ECHO_CLOSE:
			n = SSL_read(ssl, buf, sizeof(buf));
			if (n > 0)
				SSL_write(ssl, buf, n);
			SSL_shutdown(ssl);
			break;
		case SRV_SEND_CUT:
			SSL_write(ssl, "partial", 7);
			break;
		default:
			break;
		}
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	shutdown(s->fd, SHUT_RDWR);
	return NULL;
}

/* Start a server on one end of a socketpair; return the client end. */
static int
start(struct srv *s, enum srv_mode mode)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	s->fd = sv[1];
	s->mode = mode;
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	return sv[0];
}

static void
stop(struct srv *s, int cfd)
{
	close(cfd);
	pthread_join(s->th, NULL);
	close(s->fd);
}

static void
test_verify_fails_without_ca(void **state)
{
	struct skit_tls_ctx *ctx;
	struct skit_tls *t;
	struct skit_err err;
	struct srv s;
	int fd;

	(void)state;
	assert_int_equal(skit_tls_ctx_new(NULL, &ctx, NULL), 0);
	fd = start(&s, SRV_HANDSHAKE_ONLY);
	skit_err_clear(&err);
	assert_int_equal(skit_tls_connect(ctx, fd, "skit.test", 5000, &t, &err),
			 SKIT_ETLSVERIFY);
	assert_null(t);
	assert_non_null(strstr(err.detail, "certificate verify failed"));
	assert_string_equal(err.subject, "skit.test");
	stop(&s, fd);
	skit_tls_ctx_free(ctx);
}

static void
test_ca_file_and_names(void **state)
{
	struct skit_tls_opts o = { .ca_file = ca_path };
	struct skit_tls_ctx *ctx;
	struct skit_tls *t;
	struct skit_tls_info info;
	struct skit_err err;
	char buf[64];
	struct srv s;
	ssize_t n;
	int fd;

	(void)state;
	assert_int_equal(skit_tls_ctx_new(&o, &ctx, NULL), 0);

	/* The right name: data both ways, then a clean close. */
	fd = start(&s, SRV_ECHO_CLOSE);
	assert_int_equal(skit_tls_connect(ctx, fd, "skit.test", 5000, &t, &err),
			 0);
	skit_tls_info(t, &info);
	assert_true(info.verified);
	assert_non_null(strstr(info.subject, "skit.test"));
	assert_string_equal(info.version[0] ? "v" : "", "v");
	assert_int_equal(skit_tls_write(t, "hello", 5, 5000, NULL), 5);
	n = skit_tls_read(t, buf, sizeof(buf), 5000, NULL);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(skit_tls_read(t, buf, sizeof(buf), 5000, NULL), 0);
	assert_true(skit_tls_eof_clean(t));
	skit_tls_free(t);
	stop(&s, fd);

	/* The IP address in the certificate. */
	fd = start(&s, SRV_HANDSHAKE_ONLY);
	assert_int_equal(skit_tls_connect(ctx, fd, "127.0.0.1", 5000, &t, &err),
			 0);
	skit_tls_free(t);
	stop(&s, fd);

	/* Another name or address: refused. */
	fd = start(&s, SRV_HANDSHAKE_ONLY);
	skit_err_clear(&err);
	assert_int_equal(
		skit_tls_connect(ctx, fd, "other.test", 5000, &t, &err),
		SKIT_ETLSVERIFY);
	assert_non_null(strstr(err.detail, "host name mismatch"));
	stop(&s, fd);
	fd = start(&s, SRV_HANDSHAKE_ONLY);
	assert_int_equal(skit_tls_connect(ctx, fd, "127.0.0.2", 5000, &t, &err),
			 SKIT_ETLSVERIFY);
	stop(&s, fd);
	skit_tls_ctx_free(ctx);
}

static void
test_insecure_and_unclean_eof(void **state)
{
	struct skit_tls_opts o = { .insecure = true };
	struct skit_tls_ctx *ctx;
	struct skit_tls *t;
	struct skit_tls_info info;
	char buf[64];
	struct srv s;
	int fd;

	(void)state;
	assert_int_equal(skit_tls_ctx_new(&o, &ctx, NULL), 0);
	fd = start(&s, SRV_SEND_CUT);
	assert_int_equal(
		skit_tls_connect(ctx, fd, "wrong.name", 5000, &t, NULL), 0);
	skit_tls_info(t, &info);
	assert_false(info.verified);
	assert_true(info.reason[0] != '\0');
	assert_int_equal(skit_tls_read(t, buf, sizeof(buf), 5000, NULL), 7);
	/* TCP closed without close_notify: EOF, but not a clean one. */
	assert_int_equal(skit_tls_read(t, buf, sizeof(buf), 5000, NULL), 0);
	assert_false(skit_tls_eof_clean(t));
	skit_tls_free(t);
	stop(&s, fd);
	skit_tls_ctx_free(ctx);
}

static void
test_handshake_timeout(void **state)
{
	struct skit_tls_ctx *ctx;
	struct skit_tls *t;
	struct skit_err err;
	struct srv s;
	int fd;

	(void)state;
	assert_int_equal(skit_tls_ctx_new(NULL, &ctx, NULL), 0);
	fd = start(&s, SRV_SILENT);
	skit_err_clear(&err);
	assert_int_equal(skit_tls_connect(ctx, fd, "skit.test", 100, &t, &err),
			 -ETIMEDOUT);
	assert_string_equal(err.op, "TLS handshake");
	stop(&s, fd);
	skit_tls_ctx_free(ctx);
}

static void
test_bad_ca_file(void **state)
{
	struct skit_tls_opts o = { .ca_file = "/nonexistent/ca.pem" };
	struct skit_tls_ctx *ctx = (void *)1;
	struct skit_err err;

	(void)state;
	skit_err_clear(&err);
	assert_int_equal(skit_tls_ctx_new(&o, &ctx, &err), SKIT_ETLS);
	assert_null(ctx);
	assert_string_equal(err.subject, "/nonexistent/ca.pem");
	assert_non_null(strstr(err.detail, "No such file"));
	o.ca_file = "/dev/null";
	assert_int_equal(skit_tls_ctx_new(&o, &ctx, &err), SKIT_ETLS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_fails_without_ca),
		cmocka_unit_test(test_ca_file_and_names),
		cmocka_unit_test(test_insecure_and_unclean_eof),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_bad_ca_file),
	};

	/* Like the CLI: a write to a closed peer is EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup_cert, teardown_cert);
}
