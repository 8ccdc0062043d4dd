/*
 * proxy.c - the proxy layer (skit/proxy.h): the URL, the requests,
 * the reply parsers and the handshake that runs them. After the
 * handshake the layer passes everything through (its send, recv,
 * shutdown and pending are the layer below's).
 */
#include "skit/proxy.h"
#include "skit/http.h"
#include "layer/proxy_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROXY_DEFAULT_PORT 1080
#define REPLY_MAX	   8192 /* the longest reply head we read */

const char *
skit_proxy_type_name(enum skit_proxy_type t)
{
	switch (t) {
	case SKIT_PROXY_SOCKS5:
		return "socks5";
	case SKIT_PROXY_SOCKS4A:
		return "socks4a";
	case SKIT_PROXY_HTTP:
		return "http";
	default:
		return "none";
	}
}

/* --- the URL ---------------------------------------------------------- */

/* %-decode s[0..n) into out (size cap): false when bad or too long. */
static bool
pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			char hx[3] = { 0 };

			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]))
				return false;
			memcpy(hx, s + i + 1, 2);
			c = (int)strtol(hx, NULL, 16);
			i += 2;
		}
		if (c == 0 || k + 1 >= cap)
			return false;
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return true;
}

static const struct {
	const char *scheme;
	enum skit_proxy_type type;
} schemes[] = {
	{ "socks5", SKIT_PROXY_SOCKS5 },   { "socks5h", SKIT_PROXY_SOCKS5 },
	{ "socks4a", SKIT_PROXY_SOCKS4A }, { "socks4", SKIT_PROXY_SOCKS4A },
	{ "http", SKIT_PROXY_HTTP },
};

static int
url_fail(struct skit_err *err, const char *url, const char *why)
{
	return skit_err_setf(err, SKIT_EOPTION, "proxy", url, 0, "%s", why);
}

int
skit_proxy_parse(const char *url, struct skit_proxy *out, struct skit_err *err)
{
	const char *p, *at, *hp, *colon, *end;
	size_t n;

	memset(out, 0, sizeof(*out));
	skit_err_clear(err);
	p = strstr(url, "://");
	if (!p)
		return url_fail(err, url,
				"not a proxy URL (socks5://HOST:PORT, "
				"socks4a://, http://)");
	n = (size_t)(p - url);
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i].scheme) == n &&
		    strncasecmp(schemes[i].scheme, url, n) == 0)
			out->type = schemes[i].type;
	if (out->type == SKIT_PROXY_NONE)
		return url_fail(err, url,
				"unknown proxy scheme (socks5, socks4a, http)");
	hp = p + 3;
	end = hp + strcspn(hp, "/?#");
	if (*end && strcmp(end, "/") != 0)
		return url_fail(err, url, "a proxy URL has no path");
	at = memchr(hp, '@', (size_t)(end - hp));
	if (at) {
		const char *c = memchr(hp, ':', (size_t)(at - hp));
		const char *ue = c ? c : at;

		if (!pct_decode(hp, (size_t)(ue - hp), out->user,
				sizeof(out->user)) ||
		    (c && !pct_decode(c + 1, (size_t)(at - c - 1), out->pass,
				      sizeof(out->pass))))
			return url_fail(err, url, "bad user or password");
		out->has_auth = true;
		hp = at + 1;
	}
	if (*hp == '[') {
		const char *rb = memchr(hp, ']', (size_t)(end - hp));

		if (!rb)
			return url_fail(err, url, "missing ']'");
		n = (size_t)(rb - hp - 1);
		if (n == 0 || n >= sizeof(out->host))
			return url_fail(err, url, "bad host");
		memcpy(out->host, hp + 1, n);
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return url_fail(err, url, "bad host");
	} else {
		colon = memchr(hp, ':', (size_t)(end - hp));
		n = (size_t)((colon ? colon : end) - hp);
		if (n == 0 || n >= sizeof(out->host))
			return url_fail(err, url, "missing host");
		memcpy(out->host, hp, n);
	}
	out->port = PROXY_DEFAULT_PORT;
	if (colon) {
		unsigned long v = 0;
		const char *d = colon + 1;

		if (d == end)
			return url_fail(err, url, "bad port");
		for (; d < end; d++) {
			if (*d < '0' || *d > '9')
				return url_fail(err, url, "bad port");
			v = v * 10 + (unsigned long)(*d - '0');
			if (v > 65535)
				return url_fail(err, url, "bad port");
		}
		if (v == 0)
			return url_fail(err, url, "bad port");
		out->port = (uint16_t)v;
	}
	return 0;
}

int
skit_proxy_addr(const struct skit_proxy *p, const struct skit_addr *base,
		struct skit_addr *out, struct skit_err *err)
{
	int rc;

	if (base && base->kind == SKIT_KIND_TCP) {
		*out = *base;
		out->opt[SKIT_OPT_PROXY].set = false;
		out->family = AF_UNSPEC;
	} else {
		rc = skit_addr_init(out, SKIT_KIND_TCP, SKIT_ROLE_CONNECT);
		if (rc < 0)
			return skit_err_set(err, rc, "proxy", p->host);
	}
	rc = skit_addr_set_host(out, p->host, err);
	if (rc == 0)
		rc = skit_addr_set_port_num(out, p->port, err);
	return rc;
}

/* --- the reply parsers --------------------------------------------- */

static ssize_t
bad(struct skit_proxy_reply *r, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s", why);
	r->code = SKIT_EPROTO;
	return SKIT_EPROTO;
}

/* 0 with *need set when fewer than want bytes are there. */
static bool
have(size_t len, size_t want, size_t *need)
{
	if (len >= want)
		return true;
	*need = want - len;
	return false;
}

static const struct {
	int code;
	const char *text;
} s5_replies[] = {
	{ 0, "succeeded" },
	{ SKIT_EPROTO, "general SOCKS server failure" },
	{ -EACCES, "connection not allowed by ruleset" },
	{ -ENETUNREACH, "network unreachable" },
	{ -EHOSTUNREACH, "host unreachable" },
	{ -ECONNREFUSED, "connection refused by destination" },
	{ -ETIMEDOUT, "TTL expired" },
	{ SKIT_EPROTO, "command not supported" },
	{ SKIT_EPROTO, "address type not supported" },
};

static ssize_t
parse_s5_reply(const uint8_t *b, size_t len, struct skit_proxy_reply *r,
	       size_t *need)
{
	size_t alen;

	if (!have(len, 5, need))
		return 0;
	if (b[0] != 5)
		return bad(r, "not a SOCKS5 reply");
	r->status = b[1];
	alen = skit__socks5_addr_len(b);
	if (!alen)
		return bad(r, "bad address type in the SOCKS5 reply");
	if (!have(len, 4 + alen + 2, need))
		return 0;
	if (b[1] < sizeof(s5_replies) / sizeof(s5_replies[0])) {
		r->code = s5_replies[b[1]].code;
		snprintf(r->why, sizeof(r->why), "%s (reply %d)",
			 s5_replies[b[1]].text, b[1]);
	} else {
		r->code = SKIT_EPROTO;
		snprintf(r->why, sizeof(r->why), "unknown reply %d", b[1]);
	}
	return (ssize_t)(4 + alen + 2);
}

static ssize_t
parse_s4_reply(const uint8_t *b, size_t len, struct skit_proxy_reply *r,
	       size_t *need)
{
	if (!have(len, 8, need))
		return 0;
	if (b[0] != 0)
		return bad(r, "not a SOCKS4 reply");
	r->status = b[1];
	switch (b[1]) {
	case 0x5a:
		r->code = 0;
		snprintf(r->why, sizeof(r->why), "request granted");
		break;
	case 0x5b:
		r->code = -ECONNREFUSED;
		snprintf(r->why, sizeof(r->why),
			 "request rejected or failed (reply 91)");
		break;
	case 0x5c:
	case 0x5d:
		r->code = -EACCES;
		snprintf(r->why, sizeof(r->why),
			 "request rejected: identd check failed (reply %d)",
			 b[1]);
		break;
	default:
		return bad(r, "unknown SOCKS4 reply");
	}
	return 8;
}

static ssize_t
parse_http_reply(const char *b, size_t len, struct skit_proxy_reply *r,
		 size_t *need)
{
	struct skit_http_resp resp;
	size_t rl;
	ssize_t n;

	if (len >= 5 && memcmp(b, "HTTP/", 5) != 0)
		return bad(r, "not an HTTP response");
	if (len < 5 && memcmp(b, "HTTP/", len) != 0)
		return bad(r, "not an HTTP response");
	n = skit_http_parse_head(b, len, REPLY_MAX, &resp, NULL);
	if (n == 0) {
		if (len >= REPLY_MAX) {
			snprintf(r->why, sizeof(r->why),
				 "response head too long");
			r->code = SKIT_ELIMIT;
			return SKIT_ELIMIT;
		}
		/* A head ends in "\n\n" or "\n\r\n": read no further. */
		*need = len && (b[len - 1] == '\n' || b[len - 1] == '\r') ? 1
									  : 2;
		return 0;
	}
	if (n < 0)
		return bad(r, "malformed HTTP response");
	r->status = resp.status;
	rl = resp.reason_len > 80 ? 80 : resp.reason_len;
	if (resp.status >= 200 && resp.status < 300)
		r->code = 0;
	else if (resp.status == 401 || resp.status == 403 || resp.status == 407)
		r->code = -EACCES;
	else if (resp.status == 504)
		r->code = -ETIMEDOUT;
	else if (resp.status >= 500)
		r->code = -ECONNREFUSED;
	else
		r->code = SKIT_EHTTPSTATUS;
	snprintf(r->why, sizeof(r->why), "%s (%d %.*s)",
		 r->code == 0		    ? "tunnel open"
		 : resp.status == 407	    ? "proxy authentication failed"
		 : r->code == -EACCES	    ? "refused by the proxy"
		 : r->code == -ETIMEDOUT    ? "destination timed out"
		 : r->code == -ECONNREFUSED ? "proxy could not connect"
					    : "proxy said no",
		 resp.status, (int)rl, resp.reason ? resp.reason : "");
	return n;
}

ssize_t
skit_proxy_parse_reply(enum skit_proxy_stage stage, const void *buf, size_t len,
		       struct skit_proxy_reply *r, size_t *need)
{
	const uint8_t *b = buf;

	memset(r, 0, sizeof(*r));
	*need = 1;
	switch (stage) {
	case SKIT_PROXY_S5_METHOD:
		if (!have(len, 2, need))
			return 0;
		if (b[0] != 5)
			return bad(r, "not a SOCKS5 server");
		r->status = b[1];
		if (b[1] == 0xff) {
			r->code = -EACCES;
			snprintf(r->why, sizeof(r->why),
				 "no acceptable authentication method");
		} else if (b[1] != 0 && b[1] != 2) {
			return bad(r, "the proxy chose a method we did not "
				      "offer");
		}
		return 2;
	case SKIT_PROXY_S5_AUTH:
		if (!have(len, 2, need))
			return 0;
		if (b[0] != 1)
			return bad(r, "bad SOCKS5 authentication reply");
		r->status = b[1];
		if (b[1] != 0) {
			r->code = -EACCES;
			snprintf(r->why, sizeof(r->why),
				 "authentication failed (status %d)", b[1]);
		}
		return 2;
	case SKIT_PROXY_S5_REPLY:
		return parse_s5_reply(b, len, r, need);
	case SKIT_PROXY_S4_REPLY:
		return parse_s4_reply(b, len, r, need);
	case SKIT_PROXY_HTTP_REPLY:
		return parse_http_reply(buf, len, r, need);
	}
	return bad(r, "unknown stage");
}

/* --- the requests ---------------------------------------------------- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of s into out (cap >= 4 * (n + 2) / 3 + 1). */
static void
base64(const char *s, size_t n, char *out)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t k = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		out[k++] = b64[p[i] >> 2];
		out[k++] = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[k++] = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[k++] = b64[p[i + 2] & 63];
	}
	if (i < n) {
		out[k++] = b64[p[i] >> 2];
		if (i + 1 < n) {
			out[k++] = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			out[k++] = b64[(p[i + 1] & 15) << 2];
		} else {
			out[k++] = b64[(p[i] & 3) << 4];
			out[k++] = '=';
		}
		out[k++] = '=';
	}
	out[k] = '\0';
}

enum stage {
	ST_SEND = 0, /* writing out[], then reading the reply of `wait` */
	ST_RECV,
	ST_DONE,
	ST_FAILED,
};

struct proxy {
	struct skit_proxy p;
	char host[SKIT_HOST_MAX];
	uint16_t port;
	char text[SKIT_HOST_MAX + 16];
	struct skit_err *err;

	enum stage st;
	enum skit_proxy_stage wait; /* the reply being read */
	int fail;		    /* the code, once failed */
	uint8_t out[1200];
	size_t olen, ooff;
	uint8_t in[REPLY_MAX];
	size_t ilen;
};

static size_t
put(uint8_t *o, size_t k, const void *s, size_t n)
{
	memcpy(o + k, s, n);
	return k + n;
}

static void
req_s5_hello(struct proxy *x)
{
	x->olen = 0;
	x->out[x->olen++] = 5;
	if (x->p.has_auth) {
		x->out[x->olen++] = 2;
		x->out[x->olen++] = 0;
		x->out[x->olen++] = 2;
	} else {
		x->out[x->olen++] = 1;
		x->out[x->olen++] = 0;
	}
}

static void
req_s5_auth(struct proxy *x)
{
	size_t ul = strlen(x->p.user), pl = strlen(x->p.pass);

	if (ul > 255)
		ul = 255;
	if (pl > 255)
		pl = 255;
	x->olen = 0;
	x->out[x->olen++] = 1;
	x->out[x->olen++] = (uint8_t)ul;
	x->olen = put(x->out, x->olen, x->p.user, ul);
	x->out[x->olen++] = (uint8_t)pl;
	x->olen = put(x->out, x->olen, x->p.pass, pl);
}

static void
req_s5_connect(struct proxy *x)
{
	uint8_t a[16];
	size_t hl;

	x->olen = 0;
	x->out[x->olen++] = 5;
	x->out[x->olen++] = 1;
	x->out[x->olen++] = 0;
	if (inet_pton(AF_INET, x->host, a) == 1) {
		x->out[x->olen++] = 1;
		x->olen = put(x->out, x->olen, a, 4);
	} else if (inet_pton(AF_INET6, x->host, a) == 1) {
		x->out[x->olen++] = 4;
		x->olen = put(x->out, x->olen, a, 16);
	} else {
		hl = strlen(x->host);
		x->out[x->olen++] = 3;
		x->out[x->olen++] = (uint8_t)hl;
		x->olen = put(x->out, x->olen, x->host, hl);
	}
	x->out[x->olen++] = (uint8_t)(x->port >> 8);
	x->out[x->olen++] = (uint8_t)(x->port & 0xff);
}

static void
req_s4(struct proxy *x)
{
	uint8_t a[4] = { 0, 0, 0, 1 };
	bool lit = inet_pton(AF_INET, x->host, a) == 1;

	x->olen = 0;
	x->out[x->olen++] = 4;
	x->out[x->olen++] = 1;
	x->out[x->olen++] = (uint8_t)(x->port >> 8);
	x->out[x->olen++] = (uint8_t)(x->port & 0xff);
	x->olen = put(x->out, x->olen, a, 4);
	x->olen = put(x->out, x->olen, x->p.user, strlen(x->p.user) + 1);
	if (!lit)
		x->olen = put(x->out, x->olen, x->host, strlen(x->host) + 1);
}

static void
req_http(struct proxy *x)
{
	bool v6 = strchr(x->host, ':') != NULL;
	char auth[760] = "", cred[520], enc[700];
	int n;

	if (x->p.has_auth) {
		snprintf(cred, sizeof(cred), "%s:%s", x->p.user, x->p.pass);
		base64(cred, strlen(cred), enc);
		snprintf(auth, sizeof(auth),
			 "Proxy-Authorization: Basic %s\r\n", enc);
	}
	n = snprintf((char *)x->out, sizeof(x->out),
		     "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
		     "%s\r\n",
		     v6 ? "[" : "", x->host, v6 ? "]" : "", x->port,
		     v6 ? "[" : "", x->host, v6 ? "]" : "", x->port, auth);
	x->olen = n > 0 && (size_t)n < sizeof(x->out) ? (size_t)n : 0;
}

/* --- the layer ------------------------------------------------------- */

static int
fail(struct proxy *x, int code, const char *why)
{
	char op[32];

	x->st = ST_FAILED;
	x->fail = code;
	snprintf(op, sizeof(op), "%s proxy", skit_proxy_type_name(x->p.type));
	skit_err_setf(x->err, code, op, x->text, 0, "%s", why);
	return code;
}

static int
proxy_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	const struct skit_proxy_cfg *c = cfg;
	struct proxy *x = skit_layer_priv(l);

	if (!c || !c->proxy || !c->host || !c->host[0] ||
	    strlen(c->host) > 255 || c->proxy->type == SKIT_PROXY_NONE)
		return skit_err_set(err, -EINVAL, "proxy",
				    c && c->host ? c->host : "");
	x->p = *c->proxy;
	snprintf(x->host, sizeof(x->host), "%s", c->host);
	x->port = c->port;
	x->err = c->err;
	if (c->proxy_text)
		snprintf(x->text, sizeof(x->text), "%s", c->proxy_text);
	else
		snprintf(x->text, sizeof(x->text), "%s:%u", x->p.host,
			 x->p.port);
	switch (x->p.type) {
	case SKIT_PROXY_SOCKS5:
		req_s5_hello(x);
		x->wait = SKIT_PROXY_S5_METHOD;
		break;
	case SKIT_PROXY_SOCKS4A:
		req_s4(x);
		x->wait = SKIT_PROXY_S4_REPLY;
		break;
	default:
		req_http(x);
		x->wait = SKIT_PROXY_HTTP_REPLY;
		break;
	}
	if (x->olen == 0)
		return skit_err_set(err, SKIT_ETOOLONG, "proxy", c->host);
	return 0;
}

/* A whole reply came: the next request, or done, or the failure. */
static int
on_reply(struct proxy *x, const struct skit_proxy_reply *r)
{
	char why[sizeof(r->why) + 64];

	if (r->code < 0 && x->wait == SKIT_PROXY_S5_METHOD && !x->p.has_auth) {
		snprintf(why, sizeof(why),
			 "%s (it wants a user: socks5://USER:PASS@HOST:PORT)",
			 r->why);
		return fail(x, r->code, why);
	}
	if (r->code < 0)
		return fail(x, r->code, r->why);
	x->ilen = 0;
	x->ooff = 0;
	x->st = ST_SEND;
	switch (x->wait) {
	case SKIT_PROXY_S5_METHOD:
		if (r->status == 2) {
			if (!x->p.has_auth)
				return fail(x, SKIT_EPROTO,
					    "the proxy chose a method we did "
					    "not offer");
			req_s5_auth(x);
			x->wait = SKIT_PROXY_S5_AUTH;
			return 0;
		}
		/* no authentication: straight to the request */
		__attribute__((fallthrough));
	case SKIT_PROXY_S5_AUTH:
		req_s5_connect(x);
		x->wait = SKIT_PROXY_S5_REPLY;
		return 0;
	default:
		x->st = ST_DONE;
		return 0;
	}
}

static int
proxy_handshake(struct skit_layer *l)
{
	struct proxy *x = skit_layer_priv(l);
	struct skit_proxy_reply r;
	ssize_t n;
	size_t need;
	int rc;

	for (;;) {
		switch (x->st) {
		case ST_DONE:
			return 0;
		case ST_FAILED:
			return x->fail;
		case ST_SEND:
			while (x->ooff < x->olen) {
				n = skit_layer_send_below(l, x->out + x->ooff,
							  x->olen - x->ooff);
				if (n == -EAGAIN)
					return -EAGAIN;
				if (n < 0)
					return fail(x, (int)n,
						    "sending the request: "
						    "connection lost");
				x->ooff += (size_t)n;
			}
			x->st = ST_RECV;
			break;
		case ST_RECV:
			n = skit_proxy_parse_reply(x->wait, x->in, x->ilen, &r,
						   &need);
			if (n < 0)
				return fail(x, (int)n, r.why);
			if (n > 0) {
				rc = on_reply(x, &r);
				if (rc < 0)
					return rc;
				break;
			}
			if (need > sizeof(x->in) - x->ilen)
				need = sizeof(x->in) - x->ilen;
			n = skit_layer_recv_below(l, x->in + x->ilen, need);
			if (n == -EAGAIN)
				return -EAGAIN;
			if (n == 0)
				return fail(x, -ECONNRESET,
					    "the proxy closed the connection "
					    "during the handshake");
			if (n < 0)
				return fail(x, (int)n,
					    "reading the reply: connection "
					    "lost");
			x->ilen += (size_t)n;
			break;
		}
	}
}

static unsigned
proxy_events(const struct skit_layer *l, unsigned want)
{
	const struct proxy *x = skit_layer_priv(l);

	if (x->st == ST_SEND)
		return skit_layer_events_below(l, SKIT_EV_WRITE);
	if (x->st == ST_RECV)
		return skit_layer_events_below(l, SKIT_EV_READ);
	return skit_layer_events_below(l, want);
}

const struct skit_layer_ops skit_layer_proxy = {
	.name = "proxy",
	.size = sizeof(struct proxy),
	.needs = SKIT_LAYER_BYTES,
	.offers = SKIT_LAYER_BYTES,
	.open = proxy_open,
	.handshake = proxy_handshake,
	.events = proxy_events,
};
