/*
 * proxy_server.c - the server side of the proxy protocols (skit/proxy.h):
 * parsers for what a client sends a SOCKS5 (RFC 1928, RFC 1929) or
 * HTTP CONNECT proxy, and the replies a server sends back. Pure
 * functions over bytes, for a proxy server on the serve engine, the
 * unit tests and the fuzzer.
 */
#include "skit/proxy.h"
#include "layer/proxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "skit/io.h"

#define HEAD_MAX 8192

static ssize_t
need_more(size_t have, size_t want, size_t *need)
{
	*need = want - have;
	return 0;
}

/* --- SOCKS5 ------------------------------------------------------------ */

/*
 * The length of a SOCKS5 request or UDP header from its 5 first bytes
 * (ATYP at b[3]): 0 for an unknown type or an empty name.
 */
static size_t
s5_msg_len(const uint8_t *b)
{
	size_t alen = skit__socks5_addr_len(b);

	return !alen || (b[3] == 3 && b[4] == 0) ? 0 : 4 + alen + 2;
}

/*
 * The address of a SOCKS5 request or UDP header b[0..n) (ATYP at b[3],
 * the port in its last two bytes; n from skit__socks5_addr_len) into
 * rq: n, or SKIT_EPROTO for a name with a NUL.
 */
static ssize_t
s5_addr_read(const uint8_t *b, size_t n, struct skit_proxy_request *rq)
{
	if (b[3] == 3) {
		if (memchr(b + 5, 0, b[4]))
			return SKIT_EPROTO;
		memcpy(rq->host, b + 5, b[4]);
		rq->host[b[4]] = '\0';
		rq->host_is_literal = false;
	} else {
		inet_ntop(b[3] == 1 ? AF_INET : AF_INET6, b + 4, rq->host,
			  sizeof(rq->host));
		rq->host_is_literal = true;
	}
	rq->port = (uint16_t)(b[n - 2] << 8 | b[n - 1]);
	return (ssize_t)n;
}

/*
 * ATYP, address and port of sa (AF_INET6, else IPv4: 0.0.0.0:0 when sa
 * is NULL or not IPv4) at o[3..): the message's length, 22 or 10.
 */
static size_t
s5_addr_put(uint8_t *o, const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		o[3] = 4;
		memcpy(o + 4, &s6->sin6_addr, 16);
		memcpy(o + 20, &s6->sin6_port, 2);
		return 22;
	}
	o[3] = 1;
	memset(o + 4, 0, 6);
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		memcpy(o + 4, &s4->sin_addr, 4);
		memcpy(o + 8, &s4->sin_port, 2);
	}
	return 10;
}

static ssize_t
s5_hello(const uint8_t *b, size_t len, struct skit_proxy_request *rq,
	 size_t *need)
{
	size_t n;

	if (len < 2)
		return need_more(len, 2, need);
	if (b[1] == 0)
		return SKIT_EPROTO;
	n = 2 + (size_t)b[1];
	if (len < n)
		return need_more(len, n, need);
	rq->type = SKIT_PROXY_SOCKS5;
	rq->methods = 0;
	for (size_t i = 2; i < n; i++)
		if (b[i] < 8)
			rq->methods |= 1u << b[i];
	return (ssize_t)n;
}

static ssize_t
s5_auth(const uint8_t *b, size_t len, struct skit_proxy_request *rq,
	size_t *need)
{
	size_t ul, pl;

	if (len < 2)
		return need_more(len, 2, need);
	if (b[0] != 1)
		return SKIT_EPROTO;
	ul = b[1];
	if (len < 3 + ul)
		return need_more(len, 3 + ul, need);
	pl = b[2 + ul];
	if (len < 3 + ul + pl)
		return need_more(len, 3 + ul + pl, need);
	if (memchr(b + 2, 0, ul) || memchr(b + 3 + ul, 0, pl))
		return SKIT_EPROTO;
	memcpy(rq->user, b + 2, ul);
	rq->user[ul] = '\0';
	memcpy(rq->pass, b + 3 + ul, pl);
	rq->pass[pl] = '\0';
	rq->has_auth = true;
	return (ssize_t)(3 + ul + pl);
}

static ssize_t
s5_request(const uint8_t *b, size_t len, struct skit_proxy_request *rq,
	   size_t *need)
{
	size_t n;

	if (len < 5)
		return need_more(len, 5, need);
	n = s5_msg_len(b);
	if (b[0] != 5 || b[2] != 0 || !n)
		return SKIT_EPROTO;
	if (len < n)
		return need_more(len, n, need);
	rq->type = SKIT_PROXY_SOCKS5;
	rq->cmd = b[1];
	return s5_addr_read(b, n, rq);
}

/* --- SOCKS4 and 4a ------------------------------------------------------ */

/*
 * A NUL-terminated field of at most 255 bytes at b[off..len): its
 * length (without the NUL), -1 when the NUL has not come yet, or
 * SKIT_ELIMIT.
 */
static ssize_t
s4_field(const uint8_t *b, size_t off, size_t len)
{
	const uint8_t *z = off < len ? memchr(b + off, 0, len - off) : NULL;

	if (!z)
		return len - off > 255 ? SKIT_ELIMIT : -1;
	if ((size_t)(z - (b + off)) > 255)
		return SKIT_ELIMIT;
	return z - (b + off);
}

static ssize_t
s4_request(const uint8_t *b, size_t len, struct skit_proxy_request *rq,
	   size_t *need)
{
	ssize_t ul, hl = 0;
	bool named;

	if (len < 9)
		return need_more(len, 9, need);
	ul = s4_field(b, 8, len);
	if (ul < -1)
		return ul;
	if (ul < 0)
		return 0; /* *need is 1: never past the NUL */
	/* SOCKS4a: DSTIP 0.0.0.x (x != 0), the name after the USERID */
	named = !b[4] && !b[5] && !b[6] && b[7];
	if (named) {
		hl = s4_field(b, 9 + (size_t)ul, len);
		if (hl < -1)
			return hl;
		if (hl < 0)
			return 0;
		if (hl == 0)
			return SKIT_EPROTO;
	}
	rq->type = SKIT_PROXY_SOCKS4A;
	rq->cmd = b[1];
	rq->port = (uint16_t)(b[2] << 8 | b[3]);
	memcpy(rq->user, b + 8, (size_t)ul + 1);
	rq->has_auth = false;
	if (named) {
		memcpy(rq->host, b + 9 + ul, (size_t)hl + 1);
		rq->host_is_literal = false;
		return 9 + ul + hl + 1;
	}
	inet_ntop(AF_INET, b + 4, rq->host, sizeof(rq->host));
	rq->host_is_literal = true;
	return 9 + ul;
}

/* --- SOCKS5 UDP relay datagrams ------------------------------------------ */

ssize_t
skit_proxy_udp_parse(const void *buf, size_t len, struct skit_proxy_request *rq)
{
	const uint8_t *b = buf;
	size_t n;

	if (len < 5 || b[0] || b[1] || b[2])
		return SKIT_EPROTO;
	n = s5_msg_len(b);
	if (!n || len < n)
		return SKIT_EPROTO;
	return s5_addr_read(b, n, rq);
}

size_t
skit_proxy_udp_header(const struct sockaddr *from, void *buf, size_t cap)
{
	uint8_t *o = buf;

	if (cap < 22 || !from ||
	    (from->sa_family != AF_INET && from->sa_family != AF_INET6))
		return 0;
	memset(o, 0, 3);
	return s5_addr_put(o, from);
}

/* --- HTTP CONNECT -------------------------------------------------------- */

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Base64 s[0..n) into out (NUL-terminated): the length, or -1. */
static int
unbase64(const char *s, size_t n, char *out, size_t cap)
{
	unsigned acc = 0;
	size_t k = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v;

		if (s[i] == '=')
			break;
		v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k + 1 >= cap)
				return -1;
			out[k++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[k] = '\0';
	return (int)k;
}

/* Basic credentials of a Proxy-Authorization value. */
static void
basic_auth(const char *v, size_t n, struct skit_proxy_request *rq)
{
	char dec[520], *colon;
	size_t ul, pl;
	int dl;

	if (n < 6 || strncasecmp(v, "Basic ", 6))
		return;
	v += 6;
	n -= 6;
	while (n && *v == ' ') {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\r'))
		n--;
	dl = unbase64(v, n, dec, sizeof(dec));
	if (dl < 0 || memchr(dec, 0, (size_t)dl))
		return;
	colon = strchr(dec, ':');
	if (!colon)
		return;
	ul = (size_t)(colon - dec);
	pl = strlen(colon + 1);
	if (ul >= sizeof(rq->user) || pl >= sizeof(rq->pass))
		return;
	memcpy(rq->user, dec, ul);
	rq->user[ul] = '\0';
	memcpy(rq->pass, colon + 1, pl + 1);
	rq->has_auth = true;
}

/* HOST:PORT or [V6]:PORT of a CONNECT request line. */
static int
authority(const char *t, size_t n, struct skit_proxy_request *rq)
{
	const char *colon, *h = t;
	size_t hl;
	unsigned long port = 0;
	unsigned char a[16];

	if (n && t[0] == '[') {
		const char *rb = memchr(t, ']', n);

		if (!rb || rb + 1 >= t + n || rb[1] != ':')
			return SKIT_EPROTO;
		h = t + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = memchr(t, ':', n);
		if (!colon ||
		    memchr(colon + 1, ':', (size_t)(t + n - colon - 1)))
			return SKIT_EPROTO;
		hl = (size_t)(colon - t);
	}
	if (hl == 0 || hl >= sizeof(rq->host) || colon + 1 >= t + n)
		return SKIT_EPROTO;
	for (const char *d = colon + 1; d < t + n; d++) {
		if (*d < '0' || *d > '9')
			return SKIT_EPROTO;
		port = port * 10 + (unsigned long)(*d - '0');
		if (port > 65535)
			return SKIT_EPROTO;
	}
	if (port == 0)
		return SKIT_EPROTO;
	memcpy(rq->host, h, hl);
	rq->host[hl] = '\0';
	if (memchr(rq->host, 0, hl) || strpbrk(rq->host, " /@\t"))
		return SKIT_EPROTO;
	rq->port = (uint16_t)port;
	rq->host_is_literal = inet_pton(AF_INET, rq->host, a) == 1 ||
			      inet_pton(AF_INET6, rq->host, a) == 1;
	return 0;
}

/* An HTTP method: 1 to 16 capitals. */
static bool
method_token(const char *b, size_t n)
{
	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b[i] < 'A' || b[i] > 'Z')
			return false;
	return true;
}

/*
 * The authority of an absolute http:// URI t[0..n): its length after
 * "http://" (it ends at '/', '?', '#' or the end), or -1 when t is not
 * one (another scheme, user info, no host).
 */
static ssize_t
uri_authority(const char *t, size_t n)
{
	size_t al = 0;

	if (n <= 7 || strncasecmp(t, "http://", 7))
		return -1;
	while (7 + al < n && !strchr("/?#", t[7 + al]))
		al++;
	if (al == 0 || memchr(t + 7, '@', al))
		return -1;
	return (ssize_t)al;
}

/* An absolute http:// URI's host and port (80 when not given). */
static int
absolute_uri(const char *t, size_t n, struct skit_proxy_request *rq)
{
	ssize_t al = uri_authority(t, n);
	const char *a = t + 7, *rb;
	char tmp[SKIT_HOST_MAX + 16];
	bool port;

	if (al < 0 || (size_t)al + 4 > sizeof(tmp))
		return SKIT_EPROTO;
	rb = a[0] == '[' ? memchr(a, ']', (size_t)al) : NULL;
	if (a[0] == '[')
		port = rb && rb + 1 < a + al && rb[1] == ':';
	else
		port = memchr(a, ':', (size_t)al) != NULL;
	memcpy(tmp, a, (size_t)al);
	if (!port)
		memcpy(tmp + al, ":80", 3);
	return authority(tmp, (size_t)al + (port ? 0 : 3), rq);
}

static ssize_t
http_connect(const char *b, size_t len, struct skit_proxy_request *rq,
	     size_t *need)
{
	const char *end = NULL, *sp1, *sp2, *line, *eol;
	size_t hl;
	bool connect;

	rq->type = SKIT_PROXY_HTTP;
	for (size_t i = 1; i < len; i++) {
		if (b[i] == '\n' &&
		    (b[i - 1] == '\n' ||
		     (i >= 2 && b[i - 1] == '\r' && b[i - 2] == '\n'))) {
			end = b + i + 1;
			break;
		}
	}
	if (!end) {
		if (len >= HEAD_MAX)
			return SKIT_ELIMIT;
		*need = len && (b[len - 1] == '\n' || b[len - 1] == '\r') ? 1
									  : 2;
		return 0;
	}
	hl = (size_t)(end - b);
	eol = memchr(b, '\n', hl);
	sp1 = memchr(b, ' ', (size_t)(eol - b));
	if (!sp1)
		return SKIT_EPROTO;
	connect = (size_t)(sp1 - b) == 7 && !memcmp(b, "CONNECT", 7);
	if (!connect && !method_token(b, (size_t)(sp1 - b)))
		return SKIT_EPROTO;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || eol - sp2 < 9 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return SKIT_EPROTO;
	if (connect ? authority(sp1 + 1, (size_t)(sp2 - sp1 - 1), rq) < 0
		    : absolute_uri(sp1 + 1, (size_t)(sp2 - sp1 - 1), rq) < 0)
		return SKIT_EPROTO;
	rq->cmd = connect ? 1 : SKIT_PROXY_CMD_FORWARD;
	for (line = eol + 1; line < end; line = eol + 1) {
		size_t ll;

		eol = memchr(line, '\n', (size_t)(end - line));
		ll = (size_t)(eol - line);
		if (ll > 20 && !strncasecmp(line, "Proxy-Authorization:", 20)) {
			const char *v = line + 20;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			basic_auth(v, (size_t)(eol - v), rq);
		}
	}
	return (ssize_t)hl;
}

ssize_t
skit_proxy_parse_client(enum skit_proxy_cstage stage, const void *buf,
			size_t len, struct skit_proxy_request *rq, size_t *need)
{
	const uint8_t *b = buf;

	*need = 1;
	switch (stage) {
	case SKIT_PROXY_C_FIRST:
		if (len < 1)
			return 0;
		if (b[0] == 5)
			return s5_hello(b, len, rq, need);
		if (b[0] == 4)
			return s4_request(b, len, rq, need);
		if (b[0] >= 'A' && b[0] <= 'Z')
			return http_connect(buf, len, rq, need);
		return SKIT_EPROTO;
	case SKIT_PROXY_C_AUTH:
		return s5_auth(b, len, rq, need);
	case SKIT_PROXY_C_REQUEST:
		return s5_request(b, len, rq, need);
	}
	return SKIT_EPROTO;
}

/* --- replies ------------------------------------------------------------ */

size_t
skit_proxy_reply_method(int method, void *buf, size_t cap)
{
	uint8_t *o = buf;

	if (cap < 2)
		return 0;
	o[0] = 5;
	o[1] = (uint8_t)method;
	return 2;
}

size_t
skit_proxy_reply_auth(bool ok, void *buf, size_t cap)
{
	uint8_t *o = buf;

	if (cap < 2)
		return 0;
	o[0] = 1;
	o[1] = ok ? 0 : 1;
	return 2;
}

static int
s5_code(int code)
{
	if (code == 0)
		return 0;
	if (code == -ECONNREFUSED)
		return 5;
	if (code == -ENETUNREACH || code == -ENETDOWN)
		return 3;
	if (code == -EHOSTUNREACH || code == -EHOSTDOWN ||
	    (code <= -11000 && code > -12000))
		return 4;
	if (code == -ETIMEDOUT)
		return 6;
	if (code == -EACCES || code == -EPERM)
		return 2;
	if (code == SKIT_EPROTO)
		return 7;
	return 1;
}

size_t
skit_proxy_reply_result(enum skit_proxy_type type, int code,
			const struct sockaddr *bound, void *buf, size_t cap)
{
	uint8_t *o = buf;
	int n;

	if (type == SKIT_PROXY_SOCKS4A) {
		if (cap < 8)
			return 0;
		memset(o, 0, 8);
		o[1] = code == 0 ? 90 : 91;
		if (bound && bound->sa_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)bound;

			memcpy(o + 2, &s4->sin_port, 2);
			memcpy(o + 4, &s4->sin_addr, 4);
		}
		return 8;
	}
	if (type == SKIT_PROXY_SOCKS5) {
		if (cap < 22)
			return 0;
		o[0] = 5;
		o[1] = (uint8_t)s5_code(code);
		o[2] = 0;
		return s5_addr_put(o, bound);
	}
	if (code == 0)
		n = snprintf(buf, cap,
			     "HTTP/1.1 200 Connection established\r\n\r\n");
	else if (code == -EPERM)
		n = snprintf(buf, cap,
			     "HTTP/1.1 407 Proxy Authentication Required\r\n"
			     "Proxy-Authenticate: Basic realm=\"skit\"\r\n"
			     "Content-Length: 0\r\n\r\n");
	else
		n = snprintf(buf, cap,
			     "HTTP/1.1 %s\r\nContent-Length: 0\r\n\r\n",
			     code == -EACCES	   ? "403 Forbidden"
			     : code == -ETIMEDOUT  ? "504 Gateway Timeout"
			     : code == SKIT_EPROTO ? "405 Method Not Allowed"
						   : "502 Bad Gateway");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* --- the server's handshake on one client ------------------------------ */

enum astate {
	A_READ = 0, /* reading the message of `stage` */
	A_WRITE,    /* writing out[], then going to `next` */
	A_READY,    /* the request is the caller's: dial, then answer */
	A_DONE,
	A_FAILED,
};

struct skit_proxy_accept {
	bool socks5, http, socks4, udp;
	char user[256], pass[256];
	bool auth;

	enum astate st, next;
	enum skit_proxy_cstage stage;
	int fail;
	struct skit_proxy_request rq;
	uint8_t in[HEAD_MAX];
	size_t ilen;
	uint8_t out[300];
	size_t olen, ooff;
	char fwd[HEAD_MAX + 512]; /* a plain request, rewritten for the
				     origin server */
	size_t fwdlen;
};

int
skit_proxy_accept_new(const struct skit_proxy_server_cfg *cfg,
		      struct skit_proxy_accept **out)
{
	struct skit_proxy_accept *pa;

	*out = NULL;
	if (!cfg || (!cfg->socks5 && !cfg->http && !cfg->socks4) ||
	    (cfg->user && strlen(cfg->user) >= sizeof(pa->user)) ||
	    (cfg->pass && strlen(cfg->pass) >= sizeof(pa->pass)))
		return -EINVAL;
	pa = calloc(1, sizeof(*pa));
	if (!pa)
		return -ENOMEM;
	pa->socks5 = cfg->socks5;
	pa->http = cfg->http;
	pa->socks4 = cfg->socks4;
	pa->udp = cfg->udp;
	if (cfg->user) {
		pa->auth = true;
		snprintf(pa->user, sizeof(pa->user), "%s", cfg->user);
		snprintf(pa->pass, sizeof(pa->pass), "%s",
			 cfg->pass ? cfg->pass : "");
	}
	*out = pa;
	return 0;
}

void
skit_proxy_accept_free(struct skit_proxy_accept *pa)
{
	free(pa);
}

unsigned
skit_proxy_accept_events(const struct skit_proxy_accept *pa)
{
	return pa->st == A_WRITE ? SKIT_EV_WRITE : SKIT_EV_READ;
}

/* Write out[len] next, then go to next (A_FAILED: with code). */
static void
queue(struct skit_proxy_accept *pa, size_t len, enum astate next, int code)
{
	pa->olen = len;
	pa->ooff = 0;
	pa->st = A_WRITE;
	pa->next = next;
	pa->fail = code;
}

static bool
creds_ok(const struct skit_proxy_accept *pa,
	 const struct skit_proxy_request *rq)
{
	return rq->has_auth && !strcmp(rq->user, pa->user) &&
	       !strcmp(rq->pass, pa->pass);
}

/* Append s[0..n) to the forward head; false when it does not fit. */
static bool
fwd_add(struct skit_proxy_accept *pa, const char *s, size_t n)
{
	if (pa->fwdlen + n > sizeof(pa->fwd))
		return false;
	memcpy(pa->fwd + pa->fwdlen, s, n);
	pa->fwdlen += n;
	return true;
}

/*
 * The head of a plain request (in[0..hl), parsed: an absolute http://
 * URI) as the origin server wants it: the URI's path (origin form),
 * without the hop-by-hop and proxy fields, a Host field (the URI's,
 * when the client sent none), and "Connection: close": one request per
 * tunnel, so that a client reusing its connection for another host
 * cannot reach the wrong server.
 */
static bool
build_forward(struct skit_proxy_accept *pa, size_t hl)
{
	static const char *const drop[] = { "proxy-authorization:",
					    "proxy-connection:",
					    "connection:",
					    "keep-alive:",
					    "te:",
					    "upgrade:" };
	const char *b = (const char *)pa->in, *end = b + hl, *eol, *line;
	const char *sp1, *sp2, *uri, *path;
	ssize_t al;
	bool host = false, ok;

	pa->fwdlen = 0;
	eol = memchr(b, '\n', hl);
	sp1 = memchr(b, ' ', (size_t)(eol - b));
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	uri = sp1 + 1;
	al = uri_authority(uri, (size_t)(sp2 - uri));
	path = uri + 7 + al;
	ok = fwd_add(pa, b, (size_t)(uri - b)) &&
	     (path < sp2 && *path == '/' ? true : fwd_add(pa, "/", 1)) &&
	     fwd_add(pa, path, (size_t)(sp2 - path)) &&
	     fwd_add(pa, sp2, (size_t)(eol - sp2)) && fwd_add(pa, "\n", 1);
	for (line = eol + 1; ok && line < end; line = eol + 1) {
		size_t ll, k;

		eol = memchr(line, '\n', (size_t)(end - line));
		ll = (size_t)(eol - line);
		if (ll == 0 || (ll == 1 && line[0] == '\r'))
			break;
		for (k = 0; k < sizeof(drop) / sizeof(drop[0]); k++)
			if (ll >= strlen(drop[k]) &&
			    !strncasecmp(line, drop[k], strlen(drop[k])))
				break;
		if (k < sizeof(drop) / sizeof(drop[0]))
			continue;
		if (ll >= 5 && !strncasecmp(line, "host:", 5))
			host = true;
		ok = fwd_add(pa, line, ll + 1);
	}
	if (ok && !host)
		ok = fwd_add(pa, "Host: ", 6) &&
		     fwd_add(pa, uri + 7, (size_t)al) && fwd_add(pa, "\r\n", 2);
	return ok && fwd_add(pa, "Connection: close\r\n\r\n", 21);
}

const void *
skit_proxy_accept_forward(const struct skit_proxy_accept *pa, size_t *len)
{
	if (pa->rq.type != SKIT_PROXY_HTTP ||
	    pa->rq.cmd != SKIT_PROXY_CMD_FORWARD || !pa->fwdlen)
		return NULL;
	*len = pa->fwdlen;
	return pa->fwd;
}

/* A whole message arrived: what to send and where to go. */
static void
on_message(struct skit_proxy_accept *pa)
{
	struct skit_proxy_request *rq = &pa->rq;
	int m;

	pa->ilen = 0;
	switch (pa->stage) {
	case SKIT_PROXY_C_FIRST:
		if (rq->type == SKIT_PROXY_HTTP) {
			if (!pa->http) {
				pa->st = A_FAILED;
				pa->fail = SKIT_EPROTO;
			} else if (pa->auth && !creds_ok(pa, rq)) {
				queue(pa,
				      skit_proxy_reply_result(
					      SKIT_PROXY_HTTP, -EPERM, NULL,
					      pa->out, sizeof(pa->out)),
				      A_FAILED, -EACCES);
			} else {
				pa->st = A_READY;
			}
			return;
		}
		if (rq->type == SKIT_PROXY_SOCKS4A) {
			int code = !pa->socks4	  ? SKIT_EPROTO
				   : pa->auth	  ? -EACCES
				   : rq->cmd != 1 ? SKIT_EPROTO
						  : 0;

			if (code == 0)
				pa->st = A_READY;
			else
				queue(pa,
				      skit_proxy_reply_result(
					      SKIT_PROXY_SOCKS4A, code, NULL,
					      pa->out, sizeof(pa->out)),
				      A_FAILED, code);
			return;
		}
		if (!pa->socks5) {
			pa->st = A_FAILED;
			pa->fail = SKIT_EPROTO;
			return;
		}
		m = pa->auth ? (rq->methods & 1u << 2 ? 2 : 0xff)
			     : (rq->methods & 1u ? 0 : 0xff);
		pa->stage = m == 2 ? SKIT_PROXY_C_AUTH : SKIT_PROXY_C_REQUEST;
		queue(pa, skit_proxy_reply_method(m, pa->out, sizeof(pa->out)),
		      m == 0xff ? A_FAILED : A_READ, -EACCES);
		return;
	case SKIT_PROXY_C_AUTH:
		m = creds_ok(pa, rq);
		pa->stage = SKIT_PROXY_C_REQUEST;
		queue(pa, skit_proxy_reply_auth(m, pa->out, sizeof(pa->out)),
		      m ? A_READ : A_FAILED, -EACCES);
		return;
	case SKIT_PROXY_C_REQUEST:
		if (rq->cmd != 1 && !(rq->cmd == 3 && pa->udp)) {
			queue(pa,
			      skit_proxy_reply_result(SKIT_PROXY_SOCKS5,
						      SKIT_EPROTO, NULL,
						      pa->out, sizeof(pa->out)),
			      A_FAILED, SKIT_EPROTO);
			return;
		}
		pa->st = A_READY;
		return;
	}
}

/* Write what is queued: 0 when out, -EAGAIN, or a code. */
static int
drain(struct skit_proxy_accept *pa, int fd)
{
	ssize_t n;

	while (pa->ooff < pa->olen) {
		n = skit_sendto(fd, pa->out + pa->ooff, pa->olen - pa->ooff,
				MSG_DONTWAIT, NULL, 0);
		if (n < 0)
			return (int)n;
		pa->ooff += (size_t)n;
	}
	pa->st = pa->next;
	return pa->st == A_FAILED ? pa->fail : 0;
}

int
skit_proxy_accept_request(struct skit_proxy_accept *pa, int fd,
			  struct skit_proxy_request *rq)
{
	ssize_t n;
	size_t need;
	int rc;

	for (;;) {
		switch (pa->st) {
		case A_READY:
			*rq = pa->rq;
			return 0;
		case A_DONE:
			return -EINVAL;
		case A_FAILED:
			return pa->fail;
		case A_WRITE:
			rc = drain(pa, fd);
			if (rc < 0)
				return rc == -EAGAIN ? rc : (pa->fail = rc);
			break;
		case A_READ:
			n = skit_proxy_parse_client(pa->stage, pa->in, pa->ilen,
						    &pa->rq, &need);
			if (n < 0) {
				bool http = pa->rq.type == SKIT_PROXY_HTTP;

				pa->fail = (int)n;
				if (!http || !pa->http) {
					pa->st = A_FAILED;
					return (int)n;
				}
				queue(pa,
				      skit_proxy_reply_result(
					      SKIT_PROXY_HTTP, SKIT_EPROTO,
					      NULL, pa->out, sizeof(pa->out)),
				      A_FAILED, (int)n);
				break;
			}
			if (n > 0 && pa->stage == SKIT_PROXY_C_FIRST &&
			    pa->rq.type == SKIT_PROXY_HTTP &&
			    pa->rq.cmd == SKIT_PROXY_CMD_FORWARD &&
			    !build_forward(pa, (size_t)n)) {
				pa->fail = SKIT_ELIMIT;
				queue(pa,
				      skit_proxy_reply_result(
					      SKIT_PROXY_HTTP, SKIT_EPROTO,
					      NULL, pa->out, sizeof(pa->out)),
				      A_FAILED, SKIT_ELIMIT);
				break;
			}
			if (n > 0) {
				on_message(pa);
				break;
			}
			if (need > sizeof(pa->in) - pa->ilen)
				need = sizeof(pa->in) - pa->ilen;
			n = skit_recvfrom(fd, pa->in + pa->ilen, need,
					  MSG_DONTWAIT, NULL, NULL);
			if (n == 0) {
				pa->st = A_FAILED;
				return pa->fail = -ECONNRESET;
			}
			if (n < 0)
				return (int)n;
			pa->ilen += (size_t)n;
			break;
		}
	}
}

int
skit_proxy_accept_answer(struct skit_proxy_accept *pa, int fd, int code,
			 const struct sockaddr *bound)
{
	int rc;

	if (pa->st == A_READY && code == 0 &&
	    pa->rq.cmd == SKIT_PROXY_CMD_FORWARD &&
	    pa->rq.type == SKIT_PROXY_HTTP)
		queue(pa, 0, A_DONE, 0); /* the origin server answers */
	else if (pa->st == A_READY)
		queue(pa,
		      skit_proxy_reply_result(pa->rq.type, code, bound, pa->out,
					      sizeof(pa->out)),
		      code == 0 ? A_DONE : A_FAILED, code);
	if (pa->st == A_DONE)
		return 0;
	if (pa->st != A_WRITE)
		return pa->st == A_FAILED ? pa->fail : -EINVAL;
	rc = drain(pa, fd);
	if (rc == -EAGAIN)
		return rc;
	return pa->ooff == pa->olen ? 0 : rc;
}
