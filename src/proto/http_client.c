/*
 * http_client.c - skit_http_fetch (include/skit/http_client.h): the
 * limits (cfg's or the via address's), the retry loop (skit_retry_delay,
 * waits that the stop fd ends) and the redirect chain around one
 * exchange (http_exchange.c).
 */
#include "core/io_int.h"
#include "proto/http_client_int.h"
#include "skit/dial.h"
#include "skit/io.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- retries and redirects ---------------------------------------------- */

/* Worth another try? Connection trouble, time-outs and 5xx. */
static bool
retryable(const struct http_fetch *f, int rc)
{
	if (f->sink_failed || (f->delivered && !f->cfg->retry_after_body))
		return false;
	if (rc == -ETIMEDOUT && skit__http_total_expired(f))
		return false;
	if (rc == SKIT_EHTTPSTATUS)
		return f->res->status >= 500;
	return skit_dial_retryable(rc) || rc == -EPIPE || rc == SKIT_ETRUNC;
}

/* Wait delay_ms before a retry; 0, or -ECANCELED when stopped. */
static int
retry_wait(struct http_fetch *f, int64_t delay_ms)
{
	struct pollfd p = { .fd = f->cfg->stopfd, .events = POLLIN };
	int n = skit_poll(&p, p.fd >= 0 ? 1 : 0, delay_ms * 1000000);

	if (n > 0)
		return skit_err_set(f->err, -ECANCELED, "fetch", f->utxt);
	return n < 0 ? skit_err_set(f->err, n, "fetch", f->utxt) : 0;
}

/* Run exchanges for cur until one does not fail in a retryable way. */
static int
attempts(struct http_fetch *f)
{
	struct skit_err why;
	int rc;

	for (int attempt = 0;; attempt++) {
		struct skit_http_event ev = { .kind = SKIT_HTTP_EV_RETRY };
		int64_t delay;

		skit_err_clear(f->err);
		rc = skit__http_exchange(f);
		if (rc >= 0 || attempt >= f->retries || !retryable(f, rc))
			return rc;
		/* A kept 206 body goes on where it stopped. */
		f->range_from += f->kept;
		delay = skit_retry_delay(attempt, f->interval_ms);
		if (f->deadline >= 0 &&
		    skit__left_ms(f->deadline) <= delay) /* would run out */
			return rc;
		why = *f->err;
		ev.attempt = attempt + 1;
		ev.retries = f->retries;
		ev.delay_ms = delay;
		ev.why = &why;
		skit__http_event(f, &ev);
		f->res->retries++;
		rc = retry_wait(f, delay);
		if (rc < 0)
			return rc;
	}
}

/* Drop credentials when a redirect leaves the origin (like curl). */
static void
drop_credentials(struct http_fetch *f)
{
	size_t k = 0;

	for (size_t i = 0; i < f->nheaders; i++) {
		const char *h = f->headers[i];

		if (!strncasecmp(h, "Authorization:", 14) ||
		    !strncasecmp(h, "Cookie:", 7) ||
		    !strncasecmp(h, "Proxy-Authorization:", 20))
			continue;
		f->headers[k++] = h;
	}
	f->nheaders = k;
}

static bool
same_origin(const struct skit_url *a, const struct skit_url *b)
{
	return a->scheme == b->scheme && a->port == b->port &&
	       !strcmp(a->host, b->host);
}

/* May the redirect to next be followed? 0 or a code. */
static int
redirect_check(struct http_fetch *f, char **seen, size_t nseen, const char *txt)
{
	const struct skit_http_fetch_cfg *cfg = f->cfg;

	if (f->res->redirects >= cfg->max_redirects)
		return skit_err_setf(f->err, SKIT_EREDIRECT, "redirect to", txt,
				     0, "more than %d redirects",
				     cfg->max_redirects);
	for (size_t i = 0; i < nseen; i++)
		if (!strcmp(seen[i], txt))
			return skit_err_setf(f->err, SKIT_EREDIRECT,
					     "redirect to", txt, 0,
					     "redirect loop (this URL was "
					     "already visited)");
	if (f->cur->scheme == SKIT_URL_HTTPS &&
	    f->next->scheme == SKIT_URL_HTTP && !cfg->allow_downgrade)
		return skit_err_setf(f->err, SKIT_EDOWNGRADE, "redirect to",
				     txt, 0,
				     "refusing to follow https to http");
	return 0;
}

/* Follow redirects from the first URL, with retries per URL. */
static int
follow(struct http_fetch *f)
{
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_REDIRECT };
	size_t nseen = 0, max = (size_t)f->cfg->max_redirects + 1;
	char **seen = calloc(max, sizeof(*seen));
	int rc;

	if (!seen)
		return skit_err_set(f->err, -ENOMEM, "fetch", f->utxt);
	for (;;) {
		char txt[HTTP_TEXT_MAX];

		skit_url_format(f->cur, f->utxt, sizeof(f->utxt));
		if (nseen < max)
			seen[nseen++] = strdup(f->utxt);
		if (!seen[nseen - 1]) {
			rc = skit_err_set(f->err, -ENOMEM, "fetch", f->utxt);
			break;
		}
		rc = attempts(f);
		if (rc != EXCHANGE_REDIRECT)
			break;
		skit_url_format(f->next, txt, sizeof(txt));
		rc = redirect_check(f, seen, nseen, txt);
		if (rc < 0)
			break;
		ev.status = f->res->status;
		ev.url = f->next;
		skit__http_event(f, &ev);
		/* 301/302/303 turn a POST into a GET, like browsers. */
		if (ev.status != 307 && ev.status != 308 &&
		    strcmp(f->method, "GET") && strcmp(f->method, "HEAD")) {
			f->method = "GET";
			f->send_body = false;
		}
		if (!same_origin(f->cur, f->next))
			drop_credentials(f);
		*f->cur = *f->next;
		f->res->redirects++;
	}
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	return rc;
}

/* The limits: cfg's fields, else via's options. */
static void
limits(struct http_fetch *f)
{
	const struct skit_http_fetch_cfg *cfg = f->cfg;
	const struct skit_addr *v = cfg->via;

	f->connect_ms = cfg->connect_timeout_ms;
	f->idle_ms = cfg->idle_timeout_ms;
	f->retries = cfg->retries;
	f->interval_ms = cfg->interval_ms;
	if (v && !f->connect_ms)
		f->connect_ms = skit_addr_num(v, SKIT_OPT_CONNECT_TIMEOUT, 0);
	if (v && !f->idle_ms)
		f->idle_ms = skit_addr_num(v, SKIT_OPT_IDLE_TIMEOUT, 0);
	if (v && !f->retries)
		f->retries = skit_addr_num(v, SKIT_OPT_FOREVER, 0)
				     ? SKIT_DIAL_FOREVER
				     : (int)skit_addr_num(v, SKIT_OPT_RETRY, 0);
	if (v && !f->interval_ms)
		f->interval_ms = skit_addr_num(v, SKIT_OPT_INTERVAL, 0);
	if (f->retries < 0)
		f->retries = 0;
	if (f->connect_ms < 0)
		f->connect_ms = 0;
	if (f->idle_ms < 0)
		f->idle_ms = 0;
	f->max_head = cfg->max_head ? cfg->max_head : SKIT_HTTP_HEAD_DEFAULT;
	f->deadline = cfg->total_timeout_ms > 0
			      ? skit__now_ms() + cfg->total_timeout_ms
			      : -1;
}

int
skit_http_fetch(const struct skit_http_fetch_req *req,
		const struct skit_http_fetch_cfg *cfg,
		const struct skit_http_sink *sink,
		struct skit_http_fetch_result *res, struct skit_err *err)
{
	struct skit_http_fetch_result r0;
	struct skit_err e;
	struct http_fetch f = {
		.req = req, .cfg = cfg, .sink = sink, .err = &e
	};
	int rc;

	skit_err_clear(&e);
	f.res = res ? res : &r0;
	memset(f.res, 0, sizeof(*f.res));
	if (!req || !req->url || !cfg || !sink || !sink->on_body) {
		rc = skit_err_set(&e, -EINVAL, "fetch", "");
		goto out;
	}
	limits(&f);
	f.method = req->method ? req->method : req->has_body ? "POST" : "GET";
	f.send_body = req->has_body;
	f.nheaders = req->nheaders;
	f.range_from = req->range_from;
	f.cap = f.max_head + HTTP_BUF_SIZE;
	f.buf = malloc(f.cap);
	f.resp = malloc(sizeof(*f.resp));
	f.cur = malloc(sizeof(*f.cur));
	f.next = malloc(sizeof(*f.next));
	f.headers = calloc(req->nheaders + 1, sizeof(*f.headers));
	if (!f.buf || !f.resp || !f.cur || !f.next || !f.headers) {
		rc = skit_err_set(&e, -ENOMEM, "fetch", "");
		goto out;
	}
	if (req->nheaders)
		memcpy(f.headers, req->headers,
		       req->nheaders * sizeof(*f.headers));
	*f.cur = *req->url;
	rc = follow(&f);
out:
	if (rc < 0 && err)
		*err = e;
	skit_tls_ctx_free(f.tls);
	free(f.buf);
	free(f.resp);
	free(f.cur);
	free(f.next);
	free(f.headers);
	free(f.dbuf);
	return rc < 0 ? rc : 0;
}
