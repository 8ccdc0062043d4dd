/*
 * http_client_int.h - what the two halves of skit_http_fetch share:
 * http_client.c (the redirect and retry loops, the limits) and
 * http_exchange.c (one exchange: the connection, the request, the
 * head, the resume checks, the body into the sink).
 */
#ifndef SKIT_HTTP_CLIENT_INT_H
#define SKIT_HTTP_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skit/http_client.h"

#define HTTP_BUF_SIZE	 (256 * 1024)
#define HTTP_DECODE_SIZE (64 * 1024) /* decoded bytes per on_body */
#define HTTP_TEXT_MAX	 (SKIT_URL_MAX + 300)

/* Results of one exchange besides success and errors. */
enum { EXCHANGE_DONE = 0, EXCHANGE_REDIRECT = 1 };

/* One call of skit_http_fetch. */
struct http_fetch {
	const struct skit_http_fetch_req *req;
	const struct skit_http_fetch_cfg *cfg;
	const struct skit_http_sink *sink;
	struct skit_http_fetch_result *res;
	struct skit_err *err;
	struct skit_tls_ctx *tls;
	/* the effective limits (cfg's, or via's options) */
	int64_t connect_ms, idle_ms;
	int retries;
	int64_t interval_ms;
	size_t max_head;
	long long deadline; /* skit__now_ms() value; -1: none */
	/* the current request */
	struct skit_url *cur, *next;
	char utxt[HTTP_TEXT_MAX]; /* cur as text, for messages */
	const char *method;
	bool send_body;
	const char **headers; /* a copy: redirects drop credentials */
	size_t nheaders;
	long long range_from;
	/* this attempt */
	char *buf;
	size_t cap;
	struct skit_http_resp *resp;
	struct skit_http_decoder *dec;
	char *dbuf;
	bool delivered;	  /* on_body was called in this attempt */
	bool sink_failed; /* the sink said stop: no retry */
	long long kept;	  /* body bytes of a 206 delivered in this attempt */
};

/*
 * One request and response on a new connection to f->cur (f->next is
 * filled for a redirect): EXCHANGE_DONE, EXCHANGE_REDIRECT, or a code
 * with f->err filled.
 */
int skit__http_exchange(struct http_fetch *f);

/* Has the total time-out run out? */
bool skit__http_total_expired(const struct http_fetch *f);

/* Tell the sink's on_event (ev->url defaults to the current URL). */
void skit__http_event(struct http_fetch *f, struct skit_http_event *ev);

#endif
