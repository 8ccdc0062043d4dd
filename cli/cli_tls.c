/*
 * cli_tls.c - TLS for the commands (cli_tls.h): contexts from address
 * options and ncat's flags, conns with the tls layer, handshakes that
 * say why they failed, and reports of what was negotiated.
 */
#include "cli_tls.h"
#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

void
cli_tls_flag(struct cli_tls_flags *f, int id, const char *arg)
{
	f->ssl = true; /* every --ssl-* flag implies --ssl, as in ncat */
	switch (id) {
	case 1:
		f->cert = arg;
		break;
	case 2:
		f->key = arg;
		break;
	case 3:
		f->verify = true;
		break;
	case 4:
		f->ca = arg;
		break;
	case 5:
		f->alpn = arg;
		break;
	case 6:
		f->ciphers = arg;
		break;
	default:
		break;
	}
}

int
cli_tls_flags_apply(const struct cli_tls_flags *f, struct skit_addr *a)
{
	const struct {
		enum skit_opt id;
		const char *v;
	} s[] = {
		{ SKIT_OPT_CERT, f->cert },	  { SKIT_OPT_KEY, f->key },
		{ SKIT_OPT_CA, f->ca },		  { SKIT_OPT_ALPN, f->alpn },
		{ SKIT_OPT_CIPHERS, f->ciphers },
	};
	struct skit_err err;
	int rc = 0;

	if (!f->ssl)
		return 0;
	skit_err_clear(&err);
	rc = skit_addr_set_flag(a, SKIT_OPT_TLS, true, &err);
	for (size_t i = 0; rc == 0 && i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].v)
			rc = skit_addr_set_str(a, s[i].id, s[i].v, &err);
	if (rc == 0 && f->verify)
		rc = skit_addr_set_flag(a, SKIT_OPT_VERIFY, true, &err);
	return rc < 0 ? cli_report(&err) : 0;
}

int
cli_tls_setup(const struct skit_addr *a, bool server, struct cli_tls *t)
{
	struct skit_tls_opts o = { 0 };
	struct skit_err err;
	bool verify = skit_addr_num(a, SKIT_OPT_VERIFY, 1) != 0;
	char fp[100];
	int rc;

	memset(t, 0, sizeof(*t));
	if (!skit_addr_num(a, SKIT_OPT_TLS, 0))
		return 0;
	o.server = server;
	o.alpn = skit_addr_str(a, SKIT_OPT_ALPN);
	o.min_version = skit_addr_str(a, SKIT_OPT_MIN_VERSION);
	o.ciphers = skit_addr_str(a, SKIT_OPT_CIPHERS);
	o.cert = skit_addr_str(a, SKIT_OPT_CERT);
	o.key = skit_addr_str(a, SKIT_OPT_KEY);
	if (server) {
		/* ca= listening is client-ca= (socat's cafile=). */
		o.client_ca = skit_addr_str(a, SKIT_OPT_CLIENT_CA);
		if (!o.client_ca)
			o.client_ca = skit_addr_str(a, SKIT_OPT_CA);
		if (!verify)
			o.client_ca = NULL;
		else if (!o.client_ca && skit_addr_has(a, SKIT_OPT_VERIFY)) {
			cli_errorf("listen: verify=1 (--ssl-verify) needs "
				   "client-ca=FILE (--ssl-trustfile): the CAs "
				   "client certificates must be signed by");
			return CLI_EXIT_USAGE;
		}
	} else {
		o.ca_file = skit_addr_str(a, SKIT_OPT_CA);
		o.insecure = !verify;
		snprintf(t->host, sizeof(t->host), "%s", a->host);
		t->lc.host = t->host;
		if (skit_addr_has(a, SKIT_OPT_SNI)) {
			snprintf(t->sni, sizeof(t->sni), "%s",
				 skit_addr_str(a, SKIT_OPT_SNI));
			t->lc.sni = t->sni;
		}
		if (a->kind != SKIT_KIND_TCP && !o.insecure &&
		    !skit_addr_has(a, SKIT_OPT_SNI)) {
			/* A unix path or vsock CID is no certificate name. */
			cli_errorf("TLS over %s: no host name to verify the "
				   "certificate against",
				   skit_kind_name(a->kind));
			cli_hint("give the name with sni=NAME, or verify=0");
			return CLI_EXIT_USAGE;
		}
		if (a->kind != SKIT_KIND_TCP && t->sni[0]) {
			snprintf(t->host, sizeof(t->host), "%s", t->sni);
		}
	}
	skit_err_clear(&err);
	rc = skit_tls_ctx_new(&o, &t->ctx, &err);
	if (rc < 0)
		return cli_report(&err);
	t->lc.ctx = t->ctx;
	if (!server && o.insecure)
		fprintf(stderr, "skit: warning: TLS certificate verification "
				"is off (verify=0): the peer is not "
				"authenticated\n");
	if (server && skit_tls_ctx_ephemeral(t->ctx)) {
		skit_tls_ctx_fingerprint(t->ctx, fp, sizeof(fp));
		cli_verbose("TLS: an ephemeral self-signed certificate "
			    "(CN=skit), SHA-256 fingerprint %s",
			    fp);
	}
	if (skit_addr_num(a, SKIT_OPT_KTLS, 0))
		fprintf(stderr, "skit: ktls: %s: TLS runs in user space\n",
			skit_tls_ktls_available() == 0
				? "kernel TLS is not wired in yet"
				: "kernel TLS is not available "
				  "(TCP_ULP \"tls\" is not loaded)");
	return 0;
}

void
cli_tls_free(struct cli_tls *t)
{
	skit_tls_ctx_free(t->ctx);
	t->ctx = NULL;
}

int
cli_tls_conn(const struct cli_tls *t, int fd, int type,
	     int (*before)(struct skit_conn *c, void *data), void *data,
	     struct skit_conn **out)
{
	struct skit_conn *c;
	int rc;

	*out = NULL;
	rc = skit_conn_new(fd, fd, type, true, &c);
	if (rc < 0) {
		skit_close(fd);
		return rc;
	}
	if (before)
		rc = before(c, data);
	if (rc == 0)
		rc = skit_conn_push(c, &skit_layer_tls, &t->lc, NULL);
	if (rc < 0) {
		skit_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* Report a TLS failure (why, else code) on peer: the exit code. */
static int
report(const struct skit_err *why, int code, const char *peer)
{
	struct skit_err err;
	int rc;

	skit_err_clear(&err);
	if (why)
		err = *why;
	else
		skit_err_set(&err, code, "TLS handshake", "");
	if (!why || !strcmp(why->op, "TLS handshake"))
		snprintf(err.op, sizeof(err.op), "TLS handshake with");
	else if (!strcmp(why->op, "TLS read"))
		snprintf(err.op, sizeof(err.op), "TLS read from");
	else
		snprintf(err.op, sizeof(err.op), "TLS write to");
	snprintf(err.subject, sizeof(err.subject), "%s", peer);
	rc = cli_report(&err);
	if (err.code == SKIT_ETLSVERIFY)
		cli_hint("trust the peer's CA with ca=FILE "
			 "(--ssl-trustfile), or skip verification with "
			 "verify=0");
	return rc;
}

int
cli_tls_failed(const struct skit_conn *c, const char *peer)
{
	const struct skit_err *why = skit_conn_tls_err(c);

	return why ? report(why, why->code, peer) : 0;
}

int
cli_tls_handshake(struct skit_conn *c, long long timeout_ms, const char *peer)
{
	int left = timeout_ms < 0	   ? -1
		   : timeout_ms > 86400000 ? 86400000
					   : (int)timeout_ms;
	int rc = skit_conn_handshake_wait(c, left, cli_stop_fd());

	if (rc == 0) {
		cli_tls_verbose(c);
		return 0;
	}
	if (rc == -ECANCELED)
		return cli_stop_end(CLI_EXIT_FAIL);
	return report(skit_conn_tls_err(c), rc, peer);
}

void
cli_tls_verbose(const struct skit_conn *c)
{
	struct skit_tls_info in;

	if (!cli_g.verbose || skit_conn_tls_info(c, &in) < 0)
		return;
	cli_verbose("TLS: %s, %s%s%s", in.version, in.cipher,
		    in.alpn[0] ? ", ALPN " : "", in.alpn);
	if (!in.peer_cert) {
		cli_verbose("TLS: the peer sent no certificate");
		return;
	}
	cli_verbose("TLS: peer certificate: subject %s", in.subject);
	cli_verbose("TLS:   issuer %s", in.issuer);
	if (in.sans[0])
		cli_verbose("TLS:   names %s", in.sans);
	cli_verbose("TLS:   expires %s", in.expires);
	cli_verbose("TLS:   SHA-256 %s", in.sha256);
	cli_verbose("TLS:   %s%s", in.verified ? "verified" : "NOT verified: ",
		    in.verified ? "" : in.reason);
}

/* cli_json_str with the key prefixed. */
static void
jstr(struct cli_json *j, const char *prefix, const char *key, const char *v)
{
	char k[64];

	snprintf(k, sizeof(k), "%s%s", prefix, key);
	cli_json_str(j, k, v);
}

void
cli_tls_json(struct cli_json *j, const struct skit_conn *c, const char *prefix)
{
	struct skit_tls_info in;
	char k[64];

	if (!c || skit_conn_tls_info(c, &in) < 0)
		return;
	jstr(j, prefix, "tls_version", in.version);
	jstr(j, prefix, "tls_cipher", in.cipher);
	jstr(j, prefix, "tls_alpn", in.alpn);
	if (!in.peer_cert)
		return;
	jstr(j, prefix, "peer_subject", in.subject);
	jstr(j, prefix, "peer_issuer", in.issuer);
	jstr(j, prefix, "peer_sans", in.sans);
	jstr(j, prefix, "peer_expires", in.expires);
	jstr(j, prefix, "peer_sha256", in.sha256);
	snprintf(k, sizeof(k), "%speer_verified", prefix);
	cli_json_bool(j, k, in.verified);
}
