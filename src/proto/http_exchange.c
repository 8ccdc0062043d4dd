/*
 * http_exchange.c - one exchange of skit_http_fetch (http_client_int.h):
 * the dial and TLS, the request, the head (1xx skipped), a redirect
 * noted, the resume checks, and the body through the framing and the
 * decoder into the sink, bounded by the idle and total time-outs and the
 * stop fd.
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
#include <sys/socket.h>

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

static void
set_subject(struct skit_err *err, const char *text)
{
	snprintf(err->subject, sizeof(err->subject), "%.*s",
		 (int)sizeof(err->subject) - 1, text);
}

void
skit__http_event(struct http_fetch *f, struct skit_http_event *ev)
{
	if (!f->sink->on_event)
		return;
	if (!ev->url)
		ev->url = f->cur;
	f->sink->on_event(ev, f->sink->data);
}

/* ms to wait now: the smaller of limit_ms (0: none) and the total left. */
static int
wait_ms(const struct http_fetch *f, int64_t limit_ms)
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

bool
skit__http_total_expired(const struct http_fetch *f)
{
	return f->deadline >= 0 && skit__left_ms(f->deadline) == 0;
}

/* A time-out at op: the total's when it ran out, else the idle one. */
static int
timed_out(struct http_fetch *f, const char *op)
{
	if (skit__http_total_expired(f))
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
conn_tls(struct http_fetch *f, struct conn *c)
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
	skit__http_event(f, &ev);
	return 0;
}

bool
skit_http_no_proxy(const char *no_proxy, const char *host)
{
	size_t hl = strlen(host);

	while (no_proxy && *no_proxy) {
		size_t n = strcspn(no_proxy, ", "), k = n;
		const char *e = no_proxy;

		if (n == 1 && *e == '*')
			return true;
		if (k && *e == '.') {
			e++;
			k--;
		}
		if (k && k <= hl && !strncasecmp(host + hl - k, e, k) &&
		    (k == hl || host[hl - k - 1] == '.'))
			return true;
		no_proxy += n;
		no_proxy += strspn(no_proxy, ", ");
	}
	return false;
}

/* The URL's proxy, as the address's proxy=: 0 or a code. */
static int
use_proxy(struct http_fetch *f, const struct skit_url *u, struct skit_addr *a)
{
	const char *p = u->scheme == SKIT_URL_HTTPS ? f->cfg->https_proxy
						    : f->cfg->http_proxy;

	if (!p || !*p || skit_http_no_proxy(f->cfg->no_proxy, u->host))
		return 0;
	return skit_addr_set_opt(a, SKIT_OPT_PROXY, p, f->err);
}

/* Dial cur (or cfg->via), then the TLS handshake for https. */
static int
conn_open(struct http_fetch *f, struct conn *c)
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
		if (rc == 0)
			rc = use_proxy(f, u, &a);
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
	skit__http_event(f, &ev);
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
conn_read(struct http_fetch *f, struct conn *c, void *buf, size_t len)
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
conn_write(struct http_fetch *f, struct conn *c, const void *buf, size_t len)
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
deliver(struct http_fetch *f, const void *p, size_t n, long long received)
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
body_data(struct http_fetch *f, struct body *b, const char *p, size_t n)
{
	size_t used, made;
	int rc;

	b->received += (long long)n;
	if (!f->dec)
		return deliver(f, p, n, b->received);
	do {
		rc = skit_http_decoder_feed(f->dec, p, n, &used, f->dbuf,
					    HTTP_DECODE_SIZE, &made, f->err);
		if (rc == 0)
			rc = deliver(f, f->dbuf, made, b->received);
		if (rc < 0)
			return rc;
		p += used;
		n -= used;
	} while (n > 0 || made == HTTP_DECODE_SIZE);
	return 0;
}

/* Feed body bytes through the framing: 1 complete, 0 more, or a code. */
static int
body_feed(struct http_fetch *f, struct body *b, const char *p, size_t n)
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
body_read(struct http_fetch *f, struct conn *c, struct body *b, size_t have)
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
start_decoding(struct http_fetch *f, long long range_from)
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
		f->dbuf = malloc(HTTP_DECODE_SIZE);
		if (!f->dbuf)
			return skit_err_set(f->err, -ENOMEM, "fetch", f->utxt);
	}
	ev.text = names;
	ev.len = strlen(names);
	skit__http_event(f, &ev);
	return skit_http_decoder_init(&f->dec, &c, f->err);
}

static int
finish_decoding(struct http_fetch *f)
{
	struct skit_http_event ev = { .kind = SKIT_HTTP_EV_DECODED };
	int rc;

	if (!f->dec)
		return 0;
	rc = skit_http_decoder_finish(f->dec, f->err);
	skit_http_decoder_totals(f->dec, &ev.in, &ev.out);
	if (rc == 0)
		skit__http_event(f, &ev);
	return rc;
}

/* --- one exchange ------------------------------------------------------- */

/* The status line and headers, 1xx skipped; the head's length or a code. */
static ssize_t
read_head(struct http_fetch *f, struct conn *c, size_t *len)
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
			skit__http_event(f, &ev);
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
status_error(struct http_fetch *f)
{
	return skit_err_setf(f->err, SKIT_EHTTPSTATUS, "fetch", f->utxt, 0,
			     "server said %d %.*s", f->resp->status,
			     (int)f->resp->reason_len, f->resp->reason);
}

/* A redirect to follow: next filled, EXCHANGE_REDIRECT; or 0: not one. */
static int
redirect(struct http_fetch *f)
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
resume_check(struct http_fetch *f, long long *from)
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
	skit__http_event(f, &ev);
	return 0;
}

static int
send_request(struct http_fetch *f, struct conn *c, long long from)
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
	skit__http_event(f, &ev);
	n = conn_write(f, c, f->buf, (size_t)len);
	if (n >= 0 && f->send_body && q->body_len)
		n = conn_write(f, c, q->body, q->body_len);
	return n < 0 ? (int)n : 0;
}

/* The answer: its head to the sink, then its body. */
static int
answer(struct http_fetch *f, struct conn *c, size_t len)
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

		skit__http_event(f, &ev);
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

int
skit__http_exchange(struct http_fetch *f)
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
