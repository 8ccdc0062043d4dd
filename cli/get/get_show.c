/*
 * cli/get/get_show.c - what `skit get` prints while the library fetches:
 * the -v trace (addresses, TLS, the request and response heads), -S's
 * response heads, and the messages (redirects, a range ignored, the
 * one retry line, the --insecure warning), and the errors with their
 * hints.
 */
#include "cli.h"
#include "get.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A response head's header lines as one JSON object (names lower-cased,
 * a repeated name's values joined with ", "). */
static void
json_headers(struct cli_json *j, const char *text, size_t len)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	const char *p = memchr(text, '\n', len), *end = text + len;
	int n = 0;

	if (!f)
		return;
	fputc('{', f);
	for (p = p ? p + 1 : end; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *colon = memchr(p, ':', l);

		if (l && p[l - 1] == '\r')
			l--;
		if (colon && colon > p) {
			const char *v = colon + 1;
			char name[128];
			size_t nl_ = (size_t)(colon - p);

			if (nl_ >= sizeof(name))
				nl_ = sizeof(name) - 1;
			for (size_t i = 0; i < nl_; i++)
				name[i] = (char)tolower((unsigned char)p[i]);
			name[nl_] = '\0';
			while (v < p + l && (*v == ' ' || *v == '\t'))
				v++;
			fputs(n++ ? "," : "", f);
			cli_json_quote(f, name, nl_);
			fputc(':', f);
			cli_json_quote(f, v, (size_t)(p + l - v));
		}
		p = nl ? nl + 1 : end;
	}
	fputc('}', f);
	if (fclose(f) == 0)
		cli_json_raw(j, "headers", buf);
	free(buf);
}

/* --json: each event of the fetch as an NDJSON object on stderr. */
static void
json_event(const struct skit_http_event *ev)
{
	char a[300], txt[SKIT_URL_MAX + 300];
	struct cli_json j;

	if (ev->kind != SKIT_HTTP_EV_CONNECTED &&
	    ev->kind != SKIT_HTTP_EV_TLS && ev->kind != SKIT_HTTP_EV_HEAD &&
	    ev->kind != SKIT_HTTP_EV_REDIRECT && ev->kind != SKIT_HTTP_EV_RETRY)
		return;
	cli_json_begin(&j, NULL);
	switch (ev->kind) {
	case SKIT_HTTP_EV_CONNECTED:
		cli_json_str(&j, "event", "connected");
		cli_json_str(&j, "local",
			     skit_sockaddr_str(ev->local, a, sizeof(a)) > 0
				     ? a
				     : "?");
		cli_json_str(&j, "peer",
			     skit_sockaddr_str(ev->peer, a, sizeof(a)) > 0
				     ? a
				     : "?");
		break;
	case SKIT_HTTP_EV_TLS:
		cli_json_str(&j, "event", "tls");
		cli_json_str(&j, "tls_version", ev->tls->version);
		cli_json_str(&j, "tls_cipher", ev->tls->cipher);
		cli_json_str(&j, "tls_alpn", ev->tls->alpn);
		cli_json_str(&j, "peer_subject", ev->tls->subject);
		cli_json_str(&j, "peer_issuer", ev->tls->issuer);
		cli_json_str(&j, "peer_sans", ev->tls->sans);
		cli_json_str(&j, "peer_expires", ev->tls->expires);
		cli_json_str(&j, "peer_sha256", ev->tls->sha256);
		cli_json_bool(&j, "peer_verified", ev->tls->verified);
		break;
	case SKIT_HTTP_EV_HEAD:
		skit_url_format(ev->url, txt, sizeof(txt));
		cli_json_str(&j, "event", "response");
		cli_json_str(&j, "url", txt);
		cli_json_int(&j, "status", ev->status);
		json_headers(&j, ev->text, ev->len);
		break;
	case SKIT_HTTP_EV_REDIRECT:
		skit_url_format(ev->url, txt, sizeof(txt));
		cli_json_str(&j, "event", "redirect");
		cli_json_int(&j, "status", ev->status);
		cli_json_str(&j, "location", txt);
		break;
	case SKIT_HTTP_EV_RETRY:
		cli_json_str(&j, "event", "retry");
		cli_json_int(&j, "attempt", ev->attempt);
		cli_json_int(&j, "delay_ms", ev->delay_ms);
		cli_json_str(&j, "error", skit_errname(ev->why->code));
		break;
	default:
		break;
	}
	cli_json_end(&j);
}

void
get_json_done(int status, long long bytes, double secs, const char *output,
	      const struct skit_err *err)
{
	struct cli_json j;

	cli_json_begin(&j, NULL);
	cli_json_str(&j, "event", "done");
	if (status > 0)
		cli_json_int(&j, "status", status);
	else
		cli_json_null(&j, "status");
	cli_json_int(&j, "bytes", bytes);
	cli_json_double(&j, "duration_s", secs);
	cli_json_str(&j, "output", output);
	if (err && err->code)
		cli_json_str(&j, "error", skit_errname(err->code));
	cli_json_end(&j);
}

void
get_show_event(const struct skit_http_event *ev, const struct get_opts *o)
{
	char a[300], b[300], txt[SKIT_URL_MAX + 300];
	bool heads = o->verbose || o->show_headers;

	if (o->json)
		json_event(ev);
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
