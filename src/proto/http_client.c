/*
 * http_client.c - skit_http_fetch (include/skit/http_client.h): the
 * redirect and retry loops around one exchange (dial, TLS, request,
 * head, resume checks, body through the framing and the decoder into
 * the sink).
 */
#include "skit/http_client.h"
#include "core/io_int.h"
#include "skit/dial.h"
#include "skit/io.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define BUF_SIZE    (256 * 1024)
#define DECODE_SIZE (64 * 1024) /* decoded bytes per on_body */
#define REQ_MAX	    (SKIT_URL_MAX + 8192)
#define TEXT_MAX    (SKIT_URL_MAX + 300)

/* Results of one exchange besides success and errors. */
enum { EXCHANGE_DONE = 0, EXCHANGE_REDIRECT = 1 };

/* One connection: a socket, and a TLS session on it for https. */
struct conn {
	int fd;
	struct skit_tls *tls;
};

/* The body's framing state. */
struct body {
	enum skit_http_body mode;
	long long left; /* LENGTH: bytes still to come */
	long long received;
	struct skit_chunked ch;
};

struct fetch {
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
	char utxt[TEXT_MAX]; /* cur as text, for messages */
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

static void
set_subject(struct skit_err *err, const char *text)
{
	snprintf(err->subject, sizeof(err->subject), "%.*s",
		 (int)sizeof(err->subject) - 1, text);
}

static void
event(struct fetch *f, struct skit_http_event *ev)
{
	if (!f->sink->on_event)
		return;
	if (!ev->url)
		ev->url = f->cur;
	f->sink->on_event(ev, f->sink->data);
}

/* ms to wait now: the smaller of limit_ms (0: none) and the total left. */
static int
wait_ms(const struct fetch *f, int64_t limit_ms)
{
	int left = skit__left_ms(f->deadline);

	if (limit_ms <= 0)
		return left;
	if (limit_ms > 1 << 30)
		limit_ms = 1 << 30;
	if (left >= 0 && left < limit_ms)
		return left;
	return (int)limit_ms;
}

static bool
total_expired(const struct fetch *f)
{
	return f->deadline >= 0 && skit__left_ms(f->deadline) == 0;
}

/* A time-out at op: the total's when it ran out, else the idle one. */
static int
timed_out(struct fetch *f, const char *op)
{
	if (total_expired(f))
		return skit_err_setf(f->err, -ETIMEDOUT, op, f->utxt, 0,
				     "the transfer took longer than %lld ms",
				     (long long)f->cfg->total_timeout_ms);
	return skit_err_setf(f->err, -ETIMEDOUT, op, f->utxt, 0,
			     "no data for %lld ms", (long long)f->idle_ms);
}

/* --- the connection --------------------------------------------------- */

/* A tcp address for the URL's host and port, built without parsing. */
static int
url_to_addr(const struct skit_url *u, int family, struct skit_addr *a,
	    struct skit_err *err)
{
	int rc;

	skit_addr_init(a, SKIT_KIND_TCP, SKIT_ROLE_CONNECT);
	rc = skit_addr_set_family(a, u->host_is_ipv6 ? AF_INET6 : family, err);
	if (rc == 0)
		rc = skit_addr_set_host(a, u->host, err);
	if (rc == 0)
		rc = skit_addr_set_port_num(a, u->port, err);
	return rc;
}

static void
conn_close(struct conn *c, bool clean)
{
	if (c->tls) {
		if (clean)
			skit_tls_shutdown(c->tls, 100);
		skit_tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd >= 0)
		skit_close(c->fd);
	c->fd = -1;
}

static int
conn_tls(struct fetch *f, struct conn *c)
{
	struct skit_tls_opts dflt = { .alpn = "http/1.1" };
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_TLS };
	struct skit_tls_info info;
	int64_t limit = f->connect_ms > 0 ? f->connect_ms : f->idle_ms;
	int rc;

	if (!f->tls) {
		rc = skit_tls_ctx_new(f->cfg->tls ? f->cfg->tls : &dflt,
				      &f->tls, f->err);
		if (rc < 0)
			return rc;
	}
	rc = skit_tls_connect_stop(f->tls, c->fd, f->cur->host,
				   wait_ms(f, limit), f->cfg->stopfd, &c->tls,
				   f->err);
	if (rc == -ETIMEDOUT)
		snprintf(f->err->detail, sizeof(f->err->detail), "timed out");
	if (rc < 0)
		return rc;
	skit_tls_info(c->tls, &info);
	ev.tls = &info;
	event(f, &ev);
	return 0;
}

/* Dial cur (or cfg->via), then the TLS handshake for https. */
static int
conn_open(struct fetch *f, struct conn *c)
{
	const struct skit_url *u = f->cur;
	struct skit_dial_cfg dc = { .flags = SKIT_OPEN_NONBLOCK,
				    .retries = SKIT_DIAL_NONE };
	struct skit_dial_result dr;
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_CONNECTED };
	struct skit_sockaddr local;
	struct skit_addr a;
	char atxt[300];
	int fd, rc, w;

	c->fd = -1;
	c->tls = NULL;
	if (f->cfg->via) {
		a = *f->cfg->via;
		skit_addr_format(&a, atxt, sizeof(atxt));
	} else {
		skit_url_addr_text(u, f->cfg->family, atxt, sizeof(atxt));
		if (u->host_is_ipv6 && f->cfg->family == AF_INET)
			return skit_err_setf(f->err, SKIT_EAI_FAMILY, "connect",
					     atxt, 0,
					     "an IPv6 address with IPv4 only");
		rc = url_to_addr(u, f->cfg->family, &a, f->err);
		if (rc < 0)
			return rc;
	}
	w = wait_ms(f, f->connect_ms);
	dc.connect_timeout_ms = w < 0 ? SKIT_DIAL_NONE : w > 0 ? w : 1;
	fd = skit_dial(&a, &dc, f->cfg->stopfd, &dr, f->err);
	if (fd < 0) {
		if (!f->err->subject[0])
			set_subject(f->err, atxt);
		return fd;
	}
	c->fd = fd;
	if (skit_sock_local(fd, &local) < 0)
		memset(&local, 0, sizeof(local));
	ev.peer = &dr.peer;
	ev.local = &local;
	event(f, &ev);
	if (u->scheme == SKIT_URL_HTTPS) {
		rc = conn_tls(f, c);
		if (rc < 0) {
			conn_close(c, false);
			return rc;
		}
	}
	return 0;
}

/* Some bytes (> 0), 0 at EOF, or a code (-ETIMEDOUT when idle). */
static ssize_t
conn_read(struct fetch *f, struct conn *c, void *buf, size_t len)
{
	int w = wait_ms(f, f->idle_ms);
	ssize_t n;

	if (c->tls) {
		n = skit_tls_read(c->tls, buf, len, w, f->err);
		if (n == -ETIMEDOUT)
			return timed_out(f, "read");
		return n;
	}
	for (;;) {
		n = skit_read_some(c->fd, buf, len);
		if (n != -EAGAIN)
			break;
		n = skit_wait_fd_stop(c->fd, POLLIN, w, f->cfg->stopfd);
		if (n == 0)
			return timed_out(f, "read");
		if (n < 0)
			break;
		w = wait_ms(f, f->idle_ms);
	}
	if (n < 0)
		skit_err_set(f->err, (int)n, "read", f->utxt);
	return n;
}

static ssize_t
conn_write(struct fetch *f, struct conn *c, const void *buf, size_t len)
{
	int w = wait_ms(f, f->idle_ms);
	ssize_t n;

	if (c->tls)
		n = skit_tls_write(c->tls, buf, len, w, f->err);
	else
		n = skit_write_all_stop(c->fd, buf, len, w, f->cfg->stopfd);
	if (n == -ETIMEDOUT)
		return timed_out(f, "write");
	if (n < 0 && !c->tls)
		skit_err_set(f->err, (int)n, "write", f->utxt);
	return n;
}

/* --- the body ----------------------------------------------------------- */

static int
deliver(struct fetch *f, const void *p, size_t n, long long received)
{
	if (n == 0)
		return 0;
	int rc;

	f->delivered = true;
	rc = f->sink->on_body(p, n, received, f->sink->data);
	if (rc < 0)
		f->sink_failed = true;
	return rc;
}

/*
 * Body bytes as the framing hands them over: counted as received (on
 * the wire, as Content-Length counts them), decoded when the response
 * has content codings, delivered.
 */
static int
body_data(struct fetch *f, struct body *b, const char *p, size_t n)
{
	size_t used, made;
	int rc;

	b->received += (long long)n;
	if (!f->dec)
		return deliver(f, p, n, b->received);
	do {
		rc = skit_http_decoder_feed(f->dec, p, n, &used, f->dbuf,
					    DECODE_SIZE, &made, f->err);
		if (rc == 0)
			rc = deliver(f, f->dbuf, made, b->received);
		if (rc < 0)
			return rc;
		p += used;
		n -= used;
	} while (n > 0 || made == DECODE_SIZE);
	return 0;
}

/* Feed body bytes through the framing: 1 complete, 0 more, or a code. */
static int
body_feed(struct fetch *f, struct body *b, const char *p, size_t n)
{
	int rc;

	switch (b->mode) {
	case SKIT_HTTP_BODY_NONE:
		return 1;
	case SKIT_HTTP_BODY_LENGTH:
		if ((long long)n > b->left)
			n = (size_t)b->left;
		rc = body_data(f, b, p, n);
		if (rc < 0)
			return rc;
		b->left -= (long long)n;
		return b->left == 0;
	case SKIT_HTTP_BODY_CHUNKED:
		while (n > 0) {
			const char *d;
			size_t used, dl;

			rc = skit_chunked_step(&b->ch, p, n, &used, &d, &dl,
					       f->err);
			if (rc < 0)
				return rc;
			if (dl) {
				int w = body_data(f, b, d, dl);

				if (w < 0)
					return w;
			}
			p += used;
			n -= used;
			if (rc == 1)
				return 1;
		}
		return 0;
	case SKIT_HTTP_BODY_CLOSE:
		rc = body_data(f, b, p, n);
		return rc < 0 ? rc : 0;
	}
	return 0;
}

/* Read the rest of the body after the bytes that came with the head. */
static int
body_read(struct fetch *f, struct conn *c, struct body *b, size_t have)
{
	int rc = b->mode == SKIT_HTTP_BODY_NONE ? 1 : 0;
	ssize_t n;

	if (rc == 0 && b->mode == SKIT_HTTP_BODY_LENGTH && b->left == 0)
		rc = 1;
	if (rc == 0 && have > 0)
		rc = body_feed(f, b, f->buf + f->resp->head_len, have);
	while (rc == 0) {
		n = conn_read(f, c, f->buf, f->cap);
		if (n < 0)
			return (int)n;
		if (n > 0) {
			rc = body_feed(f, b, f->buf, (size_t)n);
			continue;
		}
		if (b->mode == SKIT_HTTP_BODY_CLOSE)
			return 1;
		if (b->mode == SKIT_HTTP_BODY_LENGTH)
			return skit_err_setf(
				f->err, SKIT_ETRUNC, "fetch", f->utxt, 0,
				"connection closed after %lld of %lld body "
				"bytes",
				f->resp->content_length - b->left,
				f->resp->content_length);
		return skit_err_setf(f->err, SKIT_ETRUNC, "fetch", f->utxt, 0,
				     "connection closed in the middle of the "
				     "chunked body (%llu bytes)",
				     (unsigned long long)b->ch.total);
	}
	return rc;
}

/* The codings of a response as the server listed them. */
static void
codings_text(const struct skit_http_codings *c, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < c->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      skit_coding_name(c->coding[i]));
}

/*
 * Check the codings before any byte is delivered: one skit cannot
 * decode is an error, gzip and deflate get a decoder.
 */
static int
start_decoding(struct fetch *f, long long range_from)
{
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_DECODING };
	struct skit_http_codings c;
	char names[64];
	int rc;

	rc = skit_http_codings(f->resp, &c, f->err);
	if (rc < 0 || c.n == 0)
		return rc;
	codings_text(&c, names, sizeof(names));
	if (range_from > 0)
		return skit_err_setf(f->err, SKIT_ECODING, "fetch", f->utxt, 0,
				     "the server sent a range of %s-coded "
				     "data, which cannot be decoded on its "
				     "own",
				     names);
	if (!f->dbuf) {
		f->dbuf = malloc(DECODE_SIZE);
		if (!f->dbuf)
			return skit_err_set(f->err, -ENOMEM, "fetch", f->utxt);
	}
	ev.text = names;
	ev.len = strlen(names);
	event(f, &ev);
	return skit_http_decoder_init(&f->dec, &c, f->err);
}

static int
finish_decoding(struct fetch *f)
{
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_DECODED };
	int rc;

	if (!f->dec)
		return 0;
	rc = skit_http_decoder_finish(f->dec, f->err);
	skit_http_decoder_totals(f->dec, &ev.in, &ev.out);
	if (rc == 0)
		event(f, &ev);
	return rc;
}

/* --- one exchange ------------------------------------------------------- */

/* The status line and headers, 1xx skipped; the head's length or a code. */
static ssize_t
read_head(struct fetch *f, struct conn *c, size_t *len)
{
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_HEAD };
	ssize_t head_len, n;

	for (;;) {
		head_len =
			*len ? skit_http_parse_head(f->buf, *len, f->max_head,
						    f->resp, f->err)
			     : 0;
		if (head_len < 0) {
			set_subject(f->err, f->utxt);
			return head_len;
		}
		if (head_len > 0) {
			ev.status = f->resp->status;
			ev.text = f->buf;
			ev.len = (size_t)head_len;
			event(f, &ev);
			if (f->resp->status >= 200)
				return head_len;
			if (f->resp->status == 101)
				return skit_err_setf(f->err, SKIT_EHTTP,
						     "HTTP response", f->utxt,
						     0,
						     "unexpected 101 Switching "
						     "Protocols");
			memmove(f->buf, f->buf + head_len,
				*len - (size_t)head_len);
			*len -= (size_t)head_len;
			continue;
		}
		n = conn_read(f, c, f->buf + *len, f->cap - *len);
		if (n < 0)
			return n;
		if (n == 0)
			return skit_err_setf(
				f->err, SKIT_ETRUNC, "HTTP response", f->utxt,
				0,
				*len ? "connection closed in the middle of the "
				       "response head"
				     : "connection closed before a response");
		*len += (size_t)n;
	}
}

static int
status_error(struct fetch *f)
{
	return skit_err_setf(f->err, SKIT_EHTTPSTATUS, "fetch", f->utxt, 0,
			     "server said %d %.*s", f->resp->status,
			     (int)f->resp->reason_len, f->resp->reason);
}

/* A redirect to follow: next filled, EXCHANGE_REDIRECT; or 0: not one. */
static int
redirect(struct fetch *f)
{
	const struct skit_http_field *loc;
	char why[sizeof(f->err->detail)];
	int s = f->resp->status, rc;

	if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308)
		return 0;
	loc = skit_http_field_get(f->resp, "Location");
	if (!loc || !loc->value_len)
		return 0;
	rc = skit_url_resolve(f->cur, loc->value, loc->value_len, f->next,
			      f->err);
	if (rc == 0)
		return EXCHANGE_REDIRECT;
	/* The server's fault, not a usage error. */
	snprintf(why, sizeof(why), "%s", f->err->detail);
	return skit_err_setf(f->err, SKIT_EHTTP, "redirect from", f->utxt, 0,
			     "bad Location '%.*s': %s",
			     (int)(loc->value_len > 60 ? 60 : loc->value_len),
			     loc->value, why);
}

/*
 * The resume checks (range_from > 0): *from becomes where the body
 * starts (0: the whole body). Returns 0, EXCHANGE_DONE + 2 when a 416
 * says the body is all there, or a code.
 */
#define EXCHANGE_COMPLETE 2
static int
resume_check(struct fetch *f, long long *from)
{
	const struct skit_http_field *cr =
		skit_http_field_get(f->resp, "Content-Range");
	long long first = -1, last = -1, total = -1;
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_RANGE_IGNORED };

	if (cr && skit_http_content_range(cr->value, cr->value_len, &first,
					  &last, &total))
		return skit_err_setf(f->err, SKIT_EHTTP, "resume", f->utxt, 0,
				     "bad Content-Range '%.*s'",
				     (int)cr->value_len, cr->value);
	if (f->resp->status == 416)
		return total == *from ? EXCHANGE_COMPLETE : status_error(f);
	if (f->resp->status == 206) {
		if (!cr || first != *from)
			return skit_err_setf(f->err, SKIT_EHTTP, "resume",
					     f->utxt, 0,
					     "asked for bytes from %lld, the "
					     "server sent %lld",
					     *from, cr ? first : -1);
		return 0;
	}
	*from = 0;
	ev.status = f->resp->status;
	event(f, &ev);
	return 0;
}

static int
send_request(struct fetch *f, struct conn *c, long long from)
{
	const struct skit_http_fetch_req *q = f->req;
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_REQUEST };
	struct skit_http_req r = {
		.method = f->method,
		.url = f->cur,
		.headers = f->headers,
		.nheaders = f->nheaders,
		.user_agent = q->user_agent,
		.accept_encoding = from > 0	   ? "identity"
				   : q->compressed ? "gzip, deflate"
						   : NULL,
		.content_length = f->send_body ? (long long)q->body_len : -1,
		.range_from = from > 0 ? from : -1,
	};
	int len = skit_http_request_build(&r, f->buf, f->cap, f->err);
	ssize_t n;

	if (len < 0)
		return len;
	ev.text = f->buf;
	ev.len = (size_t)len;
	event(f, &ev);
	n = conn_write(f, c, f->buf, (size_t)len);
	if (n >= 0 && f->send_body && q->body_len)
		n = conn_write(f, c, q->body, q->body_len);
	return n < 0 ? (int)n : 0;
}

/* The answer: its head to the sink, then its body. */
static int
answer(struct fetch *f, struct conn *c, size_t len)
{
	const struct skit_http_sink *s = f->sink;
	bool head_req = !strcasecmp(f->method, "HEAD");
	long long from = f->range_from > 0 ? f->range_from : 0;
	struct skit_http_answer a = { .url = f->cur, .resp = f->resp };
	struct body b = { .mode = skit_http_body_mode(f->resp, head_req) };
	int rc = 0;

	b.left = f->resp->content_length;
	skit_chunked_init(&b.ch);
	if (from > 0) {
		rc = resume_check(f, &from);
		if (rc == EXCHANGE_COMPLETE) {
			f->res->complete = true;
			return EXCHANGE_DONE;
		}
	}
	if (rc == 0 && b.mode != SKIT_HTTP_BODY_NONE)
		rc = start_decoding(f, from);
	if (rc < 0)
		return rc;
	a.head = f->buf;
	a.head_len = f->resp->head_len;
	a.mode = b.mode;
	a.range_from = from;
	a.expected = b.mode == SKIT_HTTP_BODY_LENGTH ? b.left : -1;
	rc = s->on_head ? s->on_head(&a, s->data) : 0;
	if (rc < 0)
		f->sink_failed = true;
	else
		rc = body_read(f, c, &b, len - f->resp->head_len);
	if (rc >= 0)
		rc = finish_decoding(f);
	if (rc >= 0 && b.mode == SKIT_HTTP_BODY_CHUNKED && b.ch.ntrailers) {
		struct skit_http_event ev = { .kind = SKIT_HTTP_EV_TRAILERS,
					      .text = b.ch.trailer,
					      .len = b.ch.trailer_len };

		event(f, &ev);
	}
	if (from > 0)
		f->kept = b.received;
	if (rc < 0) {
		if (s->on_end)
			s->on_end(rc, s->data);
		return rc;
	}
	rc = s->on_end ? s->on_end(0, s->data) : 0;
	if (rc < 0)
		f->sink_failed = true;
	return rc < 0 ? rc : EXCHANGE_DONE;
}

/*
 * One request and response on a new connection: EXCHANGE_DONE,
 * EXCHANGE_REDIRECT (next filled) or a code.
 */
static int
exchange(struct fetch *f)
{
	struct conn c = { .fd = -1 };
	size_t len = 0;
	ssize_t hl;
	int rc;

	f->delivered = false;
	f->sink_failed = false;
	f->kept = 0;
	f->res->status = 0;
	rc = conn_open(f, &c);
	if (rc < 0)
		return rc;
	rc = send_request(f, &c, f->range_from);
	if (rc == 0) {
		hl = read_head(f, &c, &len);
		rc = hl < 0 ? (int)hl : 0;
	}
	if (rc == 0) {
		f->res->status = f->resp->status;
		rc = redirect(f);
	}
	if (rc == 0 && f->resp->status >= 400 &&
	    !(f->resp->status == 416 && f->range_from > 0))
		rc = status_error(f);
	if (rc == 0)
		rc = answer(f, &c, len);
	skit_http_decoder_free(f->dec);
	f->dec = NULL;
	conn_close(&c, rc >= 0);
	if (rc < 0 && !f->err->subject[0])
		set_subject(f->err, f->utxt);
	return rc;
}

/* --- retries and redirects ---------------------------------------------- */

/* Worth another try? Connection trouble, time-outs and 5xx. */
static bool
retryable(const struct fetch *f, int rc)
{
	if (f->sink_failed || (f->delivered && !f->cfg->retry_after_body))
		return false;
	if (rc == -ETIMEDOUT && total_expired(f))
		return false;
	if (rc == SKIT_EHTTPSTATUS)
		return f->res->status >= 500;
	return skit_dial_retryable(rc) || rc == -EPIPE || rc == SKIT_ETRUNC;
}

/* Wait delay_ms before a retry; 0, or -ECANCELED when stopped. */
static int
retry_wait(struct fetch *f, int64_t delay_ms)
{
	struct pollfd p = { .fd = f->cfg->stopfd, .events = POLLIN };
	int n = skit_poll(&p, p.fd >= 0 ? 1 : 0, delay_ms * 1000000);

	if (n > 0)
		return skit_err_set(f->err, -ECANCELED, "fetch", f->utxt);
	return n < 0 ? skit_err_set(f->err, n, "fetch", f->utxt) : 0;
}

/* Run exchanges for cur until one does not fail in a retryable way. */
static int
attempts(struct fetch *f)
{
	struct skit_err why;
	int rc;

	for (int attempt = 0;; attempt++) {
		struct skit_http_event ev = { .kind = SKIT_HTTP_EV_RETRY };
		int64_t delay;

		skit_err_clear(f->err);
		rc = exchange(f);
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
		event(f, &ev);
		f->res->retries++;
		rc = retry_wait(f, delay);
		if (rc < 0)
			return rc;
	}
}

/* Drop credentials when a redirect leaves the origin (like curl). */
static void
drop_credentials(struct fetch *f)
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
redirect_check(struct fetch *f, char **seen, size_t nseen, const char *txt)
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
follow(struct fetch *f)
{
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_REDIRECT };
	size_t nseen = 0, max = (size_t)f->cfg->max_redirects + 1;
	char **seen = calloc(max, sizeof(*seen));
	int rc;

	if (!seen)
		return skit_err_set(f->err, -ENOMEM, "fetch", f->utxt);
	for (;;) {
		char txt[TEXT_MAX];

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
		event(f, &ev);
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
limits(struct fetch *f)
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
	struct fetch f = { .req = req, .cfg = cfg, .sink = sink, .err = &e };
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
	f.cap = f.max_head + BUF_SIZE;
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
