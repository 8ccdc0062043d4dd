/*
 * cli/get/get_show.c - what `skit get` prints while the library fetches:
 * the -v trace (addresses, TLS, the request and response heads), -S's
 * response heads, and the messages (redirects, a range ignored, the
 * one retry line, the --insecure warning), and the errors with their
 * hints.
 */
#include "cli.h"
#include "get.h"

#include <errno.h>
#include <string.h>

/* Print the lines of a head, each with prefix, without the CRs. */
static void
show_lines(const char *prefix, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l && p[l - 1] == '\r')
			l--;
		if (l)
			fprintf(stderr, "%s%.*s\n", prefix, (int)l, p);
		p = nl ? nl + 1 : end;
	}
}

static void
show_tls(const struct skit_http_event *ev, const struct get_opts *o)
{
	const struct skit_tls_info *t = ev->tls;

	if (o->verbose) {
		cli_verbose("TLS %s, cipher %s%s%s", t->version, t->cipher,
			    t->alpn[0] ? ", ALPN " : "", t->alpn);
		cli_verbose("certificate subject %s", t->subject);
		cli_verbose("certificate issuer %s", t->issuer);
		cli_verbose("certificate %s%s%s",
			    t->verified ? "verified" : "NOT verified",
			    t->verified ? "" : ": ",
			    t->verified ? "" : t->reason);
	}
	if (o->insecure && !t->verified && !o->quiet)
		fprintf(stderr,
			"skit: warning: --insecure: the certificate of %s is "
			"not verified (%s)\n",
			ev->url->host, t->reason);
}

/* The library's operations read as the command's: "get URL: ...". */
static void
as_get(struct skit_err *err)
{
	if (!strcmp(err->op, "fetch") || err->code == SKIT_ECODING ||
	    !strcmp(err->op, "decode"))
		snprintf(err->op, sizeof(err->op), "get");
}

void
get_show_event(const struct skit_http_event *ev, const struct get_opts *o)
{
	char a[300], b[300], txt[SKIT_URL_MAX + 300];
	bool heads = o->verbose || o->show_headers;

	switch (ev->kind) {
	case SKIT_HTTP_EV_CONNECTED:
		if (o->verbose)
			cli_verbose(
				"connected %s -> %s",
				skit_sockaddr_str(ev->local, a, sizeof(a)) > 0
					? a
					: "?",
				skit_sockaddr_str(ev->peer, b, sizeof(b)) > 0
					? b
					: "?");
		break;
	case SKIT_HTTP_EV_TLS:
		show_tls(ev, o);
		break;
	case SKIT_HTTP_EV_REQUEST:
		if (o->verbose)
			show_lines("> ", ev->text, ev->len);
		break;
	case SKIT_HTTP_EV_HEAD:
	case SKIT_HTTP_EV_TRAILERS:
		if (heads)
			show_lines(o->verbose ? "< " : "  ", ev->text, ev->len);
		break;
	case SKIT_HTTP_EV_REDIRECT:
		skit_url_format(ev->url, txt, sizeof(txt));
		if (!o->quiet && heads)
			cli_errorf("redirected (%d) to %s", ev->status, txt);
		break;
	case SKIT_HTTP_EV_RANGE_IGNORED:
		if (!o->quiet)
			cli_errorf("%s ignored the range request; downloading "
				   "the whole file again",
				   ev->url->host);
		break;
	case SKIT_HTTP_EV_DECODING:
		if (o->verbose)
			cli_verbose("decoding Content-Encoding %.*s",
				    (int)ev->len, ev->text);
		break;
	case SKIT_HTTP_EV_DECODED:
		if (o->verbose)
			cli_verbose("decoded %llu body bytes into %llu", ev->in,
				    ev->out);
		break;
	case SKIT_HTTP_EV_RETRY:
		if (!o->quiet) {
			struct skit_err why = *ev->why;

			as_get(&why);
			cli_retry_line(&why, ev->attempt, ev->retries,
				       (long long)ev->delay_ms);
		}
		break;
	}
}

void
get_report(struct skit_err *err, bool compressed)
{
	as_get(err);
	cli_report(err);
	if (err->code == SKIT_ETLSVERIFY) {
		if (strstr(err->detail, "host name mismatch") ||
		    strstr(err->detail, "IP address mismatch"))
			cli_hint("the certificate is not for '%s'",
				 err->subject);
		else
			cli_hint("trust the server's CA with --ca-file FILE "
				 "(or skip verification with --insecure)");
	} else if (err->code == -ETIMEDOUT) {
		cli_hint("raise --connect-timeout / --timeout, or check "
			 "that the server answers");
	} else if (err->code == SKIT_ELIMIT) {
		cli_hint("--max-head SIZE raises the limit on the response "
			 "head");
	} else if (err->code == SKIT_EREDIRECT && strstr(err->detail, "more")) {
		cli_hint("--max-redirect N follows more");
	} else if (err->code == SKIT_EDOWNGRADE) {
		cli_hint("--allow-downgrade follows it");
	} else if (err->code == SKIT_ECODING &&
		   strstr(err->detail, "cannot be decoded on its own")) {
		cli_hint("remove the file (or drop -c) to download it whole");
	} else if (err->code == SKIT_ECODING && !compressed &&
		   strstr(err->detail, "unsupported Content-Encoding")) {
		cli_hint("skit decodes gzip and deflate: --compressed asks "
			 "the server for those");
	}
}
