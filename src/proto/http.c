/*
 * http.c - URLs, request heads, response heads and chunked bodies
 * (include/skit/http.h). Pure functions: no I/O, no allocation.
 */
#include "skit/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* --- small helpers ------------------------------------------------------ */

static bool
is_tchar(unsigned char c)
{
	/* RFC 9110 token characters. */
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool
eq_nocase(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	return alen == blen && !strncasecmp(a, b, alen);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append src[0..n) to dst (cap bytes), percent-encoding what must be. */
static int
append_encoded(char *dst, size_t *dlen, size_t cap, const char *src, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' ||
		    c == '|' || c == '}') {
			if (*dlen + 3 >= cap)
				return -1;
			dst[(*dlen)++] = '%';
			dst[(*dlen)++] = hex[c >> 4];
			dst[(*dlen)++] = hex[c & 15];
		} else {
			if (*dlen + 1 >= cap)
				return -1;
			dst[(*dlen)++] = (char)c;
		}
	}
	dst[*dlen] = '\0';
	return 0;
}

/* --- URLs --------------------------------------------------------------- */

static void remove_dot_segments(char *path);

static int
url_fail(struct skit_err *err, const char *text, size_t pos, const char *msg)
{
	return skit_err_setf(err, SKIT_EADDR, "bad URL", text, (int)pos + 1,
			     "%s", msg);
}

static bool
valid_ipv6(const char *s, size_t n)
{
	char tmp[64];
	struct in6_addr a6;

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, &a6) == 1;
}

int
skit_url_parse(const char *text, struct skit_url *out, struct skit_err *err)
{
	const char *p, *auth, *auth_end, *host, *host_end, *port_s = NULL;
	size_t tlen, hlen, tl = 0;
	struct skit_url u;

	memset(&u, 0, sizeof(u));
	if (!text)
		return url_fail(err, "", 0, "empty URL");
	tlen = strlen(text);
	if (tlen == 0)
		return url_fail(err, text, 0, "empty URL");
	if (tlen >= SKIT_URL_MAX)
		return url_fail(err, text, SKIT_URL_MAX - 1, "URL too long");
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return url_fail(err, text, i,
					"control character in URL");

	/* Scheme; none at all means http:// like wget and curl. */
	p = strstr(text, "://");
	if (p) {
		size_t slen = (size_t)(p - text);

		if (eq_nocase(text, slen, "http"))
			u.scheme = SKIT_URL_HTTP;
		else if (eq_nocase(text, slen, "https"))
			u.scheme = SKIT_URL_HTTPS;
		else
			return url_fail(err, text, 0,
					"unsupported scheme (only http:// and "
					"https://)");
		auth = p + 3;
	} else {
		u.scheme = SKIT_URL_HTTP;
		auth = text;
	}
	u.port = u.scheme == SKIT_URL_HTTPS ? 443 : 80;

	auth_end = auth + strcspn(auth, "/?#");
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			return url_fail(err, text, (size_t)(auth - text),
					"user names and passwords in URLs are "
					"not supported (send an Authorization "
					"header with -H)");

	if (*auth == '[') {
		host = auth + 1;
		host_end = memchr(host, ']', (size_t)(auth_end - host));
		if (!host_end)
			return url_fail(err, text, (size_t)(auth - text),
					"missing ']' after IPv6 address");
		/* A zone id is written %25 in URLs (RFC 6874), or plain %. */
		{
			const char *pct =
				memchr(host, '%', (size_t)(host_end - host));
			size_t alen = pct ? (size_t)(pct - host)
					  : (size_t)(host_end - host);
			size_t o = 0;

			if (!valid_ipv6(host, alen))
				return url_fail(err, text,
						(size_t)(host - text),
						"bad IPv6 address");
			memcpy(u.host, host, alen);
			o = alen;
			if (pct) {
				const char *z = pct + 1;

				if (host_end - z >= 2 && z[0] == '2' &&
				    z[1] == '5')
					z += 2;
				if (z == host_end ||
				    (size_t)(host_end - z) + o + 2 >
					    sizeof(u.host))
					return url_fail(err, text,
							(size_t)(pct - text),
							"bad IPv6 zone id");
				for (const char *s = z; s < host_end; s++)
					if (!isalnum((unsigned char)*s) &&
					    !strchr("-._~", *s))
						return url_fail(
							err, text,
							(size_t)(s - text),
							"bad IPv6 zone id");
				u.host[o++] = '%';
				memcpy(u.host + o, z, (size_t)(host_end - z));
				o += (size_t)(host_end - z);
			}
			u.host[o] = '\0';
		}
		u.host_is_ipv6 = true;
		p = host_end + 1;
		if (p < auth_end && *p != ':')
			return url_fail(err, text, (size_t)(p - text),
					"expected ':PORT' after ']'");
		if (p < auth_end)
			port_s = p + 1;
	} else {
		host = auth;
		host_end = memchr(auth, ':', (size_t)(auth_end - auth));
		if (host_end)
			port_s = host_end + 1;
		else
			host_end = auth_end;
		hlen = (size_t)(host_end - host);
		if (hlen == 0)
			return url_fail(err, text, (size_t)(host - text),
					"missing host name");
		if (hlen >= sizeof(u.host))
			return url_fail(err, text, (size_t)(host - text),
					"host name too long");
		for (size_t i = 0; i < hlen; i++) {
			unsigned char c = (unsigned char)host[i];

			if (!isalnum(c) && c != '-' && c != '.' && c != '_' &&
			    c != '~')
				return url_fail(err, text,
						(size_t)(host - text) + i,
						"bad character in host name");
			u.host[i] = (char)tolower(c);
		}
		u.host[hlen] = '\0';
	}

	if (port_s && port_s < auth_end) {
		unsigned long v = 0;

		for (p = port_s; p < auth_end; p++) {
			if (!isdigit((unsigned char)*p))
				return url_fail(err, text, (size_t)(p - text),
						"port is not a number");
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 65535)
				return url_fail(err, text,
						(size_t)(port_s - text),
						"port out of range");
		}
		if (v == 0)
			return url_fail(err, text, (size_t)(port_s - text),
					"port 0 is not allowed");
		u.port = (uint16_t)v;
		u.port_explicit = true;
	}

	/* Path and query, without the fragment. */
	p = auth_end;
	{
		size_t plen = strcspn(p, "#");

		if (*p != '/') {
			u.target[0] = '/';
			u.target[1] = '\0';
			tl = 1;
		}
		if (append_encoded(u.target, &tl, sizeof(u.target), p, plen))
			return url_fail(err, text, (size_t)(p - text),
					"path too long");
	}
	/* "/a/../b" goes out as "/b", like curl and wget send it. */
	{
		char q[SKIT_URL_MAX];
		size_t pl = strcspn(u.target, "?");

		snprintf(q, sizeof(q), "%s", u.target + pl);
		u.target[pl] = '\0';
		if (strstr(u.target, "/.")) {
			remove_dot_segments(u.target);
			if (!u.target[0])
				snprintf(u.target, sizeof(u.target), "/");
		}
		pl = strlen(u.target);
		snprintf(u.target + pl, sizeof(u.target) - pl, "%s", q);
	}
	*out = u;
	return 0;
}

int
skit_url_authority(const struct skit_url *u, char *buf, size_t len)
{
	bool dflt = u->port == (u->scheme == SKIT_URL_HTTPS ? 443 : 80);
	char port[8] = "";
	char host[SKIT_HOST_MAX * 3];
	size_t hl = 0;

	/* A zone id goes out as %25 (RFC 6874). */
	for (const char *s = u->host; *s && hl + 4 < sizeof(host); s++) {
		if (*s == '%') {
			memcpy(host + hl, "%25", 3);
			hl += 3;
		} else {
			host[hl++] = *s;
		}
	}
	host[hl] = '\0';
	if (!dflt)
		snprintf(port, sizeof(port), ":%u", (unsigned)u->port);
	if (u->host_is_ipv6)
		return snprintf(buf, len, "[%s]%s", host, port);
	return snprintf(buf, len, "%s%s", host, port);
}

int
skit_url_format(const struct skit_url *u, char *buf, size_t len)
{
	char auth[SKIT_HOST_MAX * 3 + 16];

	skit_url_authority(u, auth, sizeof(auth));
	return snprintf(buf, len, "%s://%s%s",
			u->scheme == SKIT_URL_HTTPS ? "https" : "http", auth,
			u->target);
}

int
skit_url_addr_text(const struct skit_url *u, int family, char *buf, size_t len)
{
	const char *kind = family == AF_INET	? "tcp4"
			   : family == AF_INET6 ? "tcp6"
						: "tcp";

	if (u->host_is_ipv6)
		return snprintf(buf, len, "%s:[%s]:%u", kind, u->host,
				(unsigned)u->port);
	return snprintf(buf, len, "%s:%s:%u", kind, u->host, (unsigned)u->port);
}

int
skit_url_filename(const struct skit_url *u, char *buf, size_t len)
{
	const char *path = u->target;
	size_t plen = strcspn(path, "?");
	const char *seg = path;
	char name[SKIT_URL_MAX];
	size_t n = 0;

	for (size_t i = 0; i < plen; i++)
		if (path[i] == '/')
			seg = path + i + 1;
	for (const char *s = seg; s < path + plen; s++) {
		int h, l;

		if (*s == '%' && s + 2 < path + plen + 0 + 1 &&
		    (h = hexval((unsigned char)s[1])) >= 0 &&
		    (l = hexval((unsigned char)s[2])) >= 0) {
			name[n++] = (char)(h * 16 + l);
			s += 2;
		} else {
			name[n++] = *s;
		}
	}
	if (n == 0 || memchr(name, '/', n) || memchr(name, '\0', n) ||
	    (n == 1 && name[0] == '.') ||
	    (n == 2 && name[0] == '.' && name[1] == '.'))
		return snprintf(buf, len, "index.html");
	return snprintf(buf, len, "%.*s", (int)n, name);
}

/*
 * RFC 3986 5.2.4: remove "." and ".." segments from path (in place,
 * NUL-terminated, shorter than SKIT_URL_MAX * 2).
 */
static void
remove_dot_segments(char *path)
{
	char inbuf[SKIT_URL_MAX * 2];
	char *in = inbuf;
	size_t o = 0;

	snprintf(inbuf, sizeof(inbuf), "%s", path);
	while (*in) {
		if (!strncmp(in, "../", 3)) {
			in += 3;
		} else if (!strncmp(in, "./", 2)) {
			in += 2;
		} else if (!strncmp(in, "/./", 3)) {
			in += 2;
		} else if (!strcmp(in, "/.")) {
			in += 1;
			*in = '/';
		} else if (!strncmp(in, "/../", 4) || !strcmp(in, "/..")) {
			if (in[3] == '/') {
				in += 3;
			} else {
				in += 2;
				*in = '/';
			}
			/* Drop the last output segment and its '/'. */
			while (o > 0 && path[--o] != '/')
				;
		} else if (!strcmp(in, ".") || !strcmp(in, "..")) {
			break;
		} else {
			/* Move the first segment (with its leading '/'). */
			do {
				path[o++] = *in++;
			} while (*in && *in != '/');
		}
	}
	path[o] = '\0';
}

static bool
has_scheme(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !isalpha((unsigned char)s[0]))
		return false;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' ||
			 s[i] == '-' || s[i] == '.'))
		i++;
	return i < n && s[i] == ':';
}

int
skit_url_resolve(const struct skit_url *base, const char *ref, size_t ref_len,
		 struct skit_url *out, struct skit_err *err)
{
	char abs[SKIT_URL_MAX + SKIT_HOST_MAX * 3 + 32];
	char path[SKIT_URL_MAX * 2];
	char auth[SKIT_HOST_MAX * 3 + 16];
	const char *q, *end;
	size_t plen, qlen, n;
	const char *scheme = base->scheme == SKIT_URL_HTTPS ? "https" : "http";

	/* Trim whitespace, drop the fragment. */
	while (ref_len && isspace((unsigned char)*ref))
		ref++, ref_len--;
	while (ref_len && isspace((unsigned char)ref[ref_len - 1]))
		ref_len--;
	end = memchr(ref, '#', ref_len);
	if (end)
		ref_len = (size_t)(end - ref);
	if (memchr(ref, '\0', ref_len))
		return url_fail(err, "", 0, "NUL in redirect location");

	if (has_scheme(ref, ref_len)) {
		if (ref_len >= SKIT_URL_MAX)
			return url_fail(err, "", 0, "URL too long");
		memcpy(abs, ref, ref_len);
		abs[ref_len] = '\0';
		return skit_url_parse(abs, out, err);
	}
	if (ref_len >= 2 && ref[0] == '/' && ref[1] == '/') {
		n = (size_t)snprintf(abs, sizeof(abs), "%s:%.*s", scheme,
				     (int)ref_len, ref);
		if (n >= sizeof(abs))
			return url_fail(err, "", 0, "URL too long");
		return skit_url_parse(abs, out, err);
	}

	q = memchr(ref, '?', ref_len);
	plen = q ? (size_t)(q - ref) : ref_len;
	qlen = q ? ref_len - plen : 0;
	if (plen == 0) {
		/* Same path; the reference's query, else the base's. */
		size_t bp = strcspn(base->target, "?");

		if (q)
			n = (size_t)snprintf(path, sizeof(path), "%.*s%.*s",
					     (int)bp, base->target, (int)qlen,
					     q);
		else
			n = (size_t)snprintf(path, sizeof(path), "%s",
					     base->target);
	} else {
		if (ref[0] == '/') {
			n = (size_t)snprintf(path, sizeof(path), "%.*s",
					     (int)plen, ref);
		} else {
			/* Merge: the base path up to its last '/'. */
			size_t bp = strcspn(base->target, "?");
			size_t dir = 0;

			for (size_t i = 0; i < bp; i++)
				if (base->target[i] == '/')
					dir = i + 1;
			n = (size_t)snprintf(path, sizeof(path), "%.*s%.*s",
					     (int)dir, base->target, (int)plen,
					     ref);
		}
		if (n >= sizeof(path))
			return url_fail(err, "", 0, "URL too long");
		remove_dot_segments(path);
		if (!path[0]) {
			path[0] = '/';
			path[1] = '\0';
		}
		n = strlen(path);
		n += (size_t)snprintf(path + n, sizeof(path) - n, "%.*s",
				      (int)qlen, q ? q : "");
	}
	if (n >= sizeof(path))
		return url_fail(err, "", 0, "URL too long");
	skit_url_authority(base, auth, sizeof(auth));
	n = (size_t)snprintf(abs, sizeof(abs), "%s://%s%s", scheme, auth, path);
	if (n >= sizeof(abs) || n >= SKIT_URL_MAX)
		return url_fail(err, "", 0, "URL too long");
	return skit_url_parse(abs, out, err);
}

/* --- Requests ----------------------------------------------------------- */

/* Append to buf; -1 when it does not fit. */
static int put(char *buf, size_t len, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
put(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= len)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *o)
		return -1;
	*o += (size_t)n;
	return 0;
}

/* Split "Name: value": name length, value start/len. -1 when malformed. */
static int
split_header(const char *h, size_t *nlen, const char **val, size_t *vlen)
{
	const char *colon = strchr(h, ':');
	const char *v, *e;

	if (!colon || colon == h)
		return -1;
	for (const char *s = h; s < colon; s++)
		if (!is_tchar((unsigned char)*s))
			return -1;
	for (const char *s = colon; *s; s++)
		if (*s == '\r' || *s == '\n')
			return -1;
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*nlen = (size_t)(colon - h);
	*val = v;
	*vlen = (size_t)(e - v);
	return 0;
}

/* Does the user override (or remove) the default header name? */
static bool
user_has(const struct skit_http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		size_t nl, vl;
		const char *v;

		if (!split_header(r->headers[i], &nl, &v, &vl) &&
		    eq_nocase(r->headers[i], nl, name))
			return true;
	}
	return false;
}

int
skit_http_request_build(const struct skit_http_req *r, char *buf, size_t len,
			struct skit_err *err)
{
	const char *method = r->method ? r->method : "GET";
	char auth[SKIT_HOST_MAX * 3 + 16];
	size_t o = 0;

	if (!*method)
		return skit_err_setf(err, SKIT_EOPTION, "bad option", method, 0,
				     "empty method");
	for (const char *s = method; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return skit_err_setf(err, SKIT_EOPTION, "bad option",
					     method, (int)(s - method) + 1,
					     "not a valid HTTP method");
	for (size_t i = 0; i < r->nheaders; i++) {
		size_t nl, vl;
		const char *v;

		if (split_header(r->headers[i], &nl, &v, &vl))
			return skit_err_setf(
				err, SKIT_EOPTION, "bad option", r->headers[i],
				0,
				"a header is 'Name: value' (a token, a colon, "
				"no line breaks)");
	}
	skit_url_authority(r->url, auth, sizeof(auth));
	if (put(buf, len, &o, "%s %s HTTP/1.1\r\n", method, r->url->target))
		goto toolong;
	if (!user_has(r, "Host") && put(buf, len, &o, "Host: %s\r\n", auth))
		goto toolong;
	if (r->user_agent && !user_has(r, "User-Agent") &&
	    put(buf, len, &o, "User-Agent: %s\r\n", r->user_agent))
		goto toolong;
	if (!user_has(r, "Accept") && put(buf, len, &o, "Accept: */*\r\n"))
		goto toolong;
	if (r->accept_encoding && !user_has(r, "Accept-Encoding") &&
	    put(buf, len, &o, "Accept-Encoding: %s\r\n", r->accept_encoding))
		goto toolong;
	if (r->range_from >= 0 && !user_has(r, "Range") &&
	    put(buf, len, &o, "Range: bytes=%lld-\r\n", r->range_from))
		goto toolong;
	if (r->content_length >= 0 && !user_has(r, "Content-Length") &&
	    put(buf, len, &o, "Content-Length: %lld\r\n", r->content_length))
		goto toolong;
	if (!user_has(r, "Connection") &&
	    put(buf, len, &o, "Connection: close\r\n"))
		goto toolong;
	for (size_t i = 0; i < r->nheaders; i++) {
		size_t nl, vl;
		const char *v;

		split_header(r->headers[i], &nl, &v, &vl);
		if (vl == 0)
			continue; /* "Name:" removes a default header */
		if (put(buf, len, &o, "%.*s: %.*s\r\n", (int)nl, r->headers[i],
			(int)vl, v))
			goto toolong;
	}
	if (put(buf, len, &o, "\r\n"))
		goto toolong;
	return (int)o;
toolong:
	return skit_err_setf(err, SKIT_ETOOLONG, "HTTP request", "", 0,
			     "request head longer than %zu bytes", len);
}

/* --- Responses ---------------------------------------------------------- */

static ssize_t
head_fail(struct skit_err *err, int code, const char *msg)
{
	return skit_err_setf(err, code, "HTTP response", "", 0, "%s", msg);
}

/* Find the end of the head: the byte after the blank line, or 0. */
static size_t
find_head_end(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (p < end && *p == '\n')
			return (size_t)(p + 1 - buf);
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - buf);
	}
	return 0;
}

/* Parse a Content-Length value: digits, or a list of equal ones. */
static int
parse_length(const char *v, size_t n, long long *out)
{
	long long val = -1;
	size_t i = 0;

	while (i < n) {
		long long x = 0;
		size_t start;

		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		start = i;
		while (i < n && isdigit((unsigned char)v[i])) {
			if (x > (INT64_MAX - 9) / 10)
				return -1;
			x = x * 10 + (v[i] - '0');
			i++;
		}
		if (i == start)
			return -1;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < n && v[i] != ',')
			return -1;
		if (i < n)
			i++;
		if (val >= 0 && x != val)
			return -1;
		val = x;
	}
	if (val < 0)
		return -1;
	*out = val;
	return 0;
}

/*
 * The next element of the comma list v[*i..n), trimmed, in *el and
 * *el_len; false at the end. Empty elements are skipped (RFC 9110
 * section 5.6.1).
 */
static bool
list_next(const char *v, size_t n, size_t *i, const char **el, size_t *el_len)
{
	while (*i < n) {
		size_t s, e;

		while (*i < n &&
		       (v[*i] == ' ' || v[*i] == '\t' || v[*i] == ','))
			(*i)++;
		s = *i;
		while (*i < n && v[*i] != ',')
			(*i)++;
		e = *i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s) {
			*el = v + s;
			*el_len = e - s;
			return true;
		}
	}
	return false;
}

/* Is token (case-insensitive) in the comma list v? last: only at the end. */
static bool
list_has(const char *v, size_t n, const char *token, bool last)
{
	size_t i = 0, el_len;
	const char *el;
	bool found = false;

	while (list_next(v, n, &i, &el, &el_len)) {
		found = eq_nocase(el, el_len, token);
		if (found && !last)
			return true;
	}
	return last && found;
}

ssize_t
skit_http_parse_head(const char *buf, size_t len, size_t max_head,
		     struct skit_http_resp *out, struct skit_err *err)
{
	size_t end = find_head_end(buf, len < max_head ? len : max_head);
	const char *p, *eol, *stop;
	bool have_len = false;

	if (end == 0) {
		if (len >= max_head) {
			char msg[96];

			snprintf(msg, sizeof(msg),
				 "response head longer than %zu bytes",
				 max_head);
			return head_fail(err, SKIT_ELIMIT, msg);
		}
		return 0;
	}
	/* Clear all but the (large) field array, which is filled below. */
	memset(out, 0, offsetof(struct skit_http_resp, field));
	out->content_length = -1;
	out->chunked = false;
	out->has_te = false;
	out->conn_close = false;
	out->head_len = end;
	stop = buf + end;

	/* Status line: HTTP/1.x SP 3DIGIT [SP reason]. */
	eol = memchr(buf, '\n', end);
	p = buf;
	if (eol - p < 12 || memcmp(p, "HTTP/1.", 7) ||
	    !isdigit((unsigned char)p[7]) || p[8] != ' ' ||
	    !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
	    !isdigit((unsigned char)p[11]))
		return head_fail(err, SKIT_EHTTP, "bad status line");
	out->version = 10 + (p[7] - '0');
	out->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (out->status < 100)
		return head_fail(err, SKIT_EHTTP, "bad status code");
	{
		const char *r = p + 12, *re = eol;

		if (re > r && re[-1] == '\r')
			re--;
		if (r < re && *r != ' ')
			return head_fail(err, SKIT_EHTTP, "bad status line");
		if (r < re)
			r++;
		for (const char *s = r; s < re; s++)
			if ((unsigned char)*s < 0x20 && *s != '\t')
				return head_fail(err, SKIT_EHTTP,
						 "control character in "
						 "status line");
		out->reason = r;
		out->reason_len = (size_t)(re - r);
	}
	out->conn_close = out->version == 10;

	for (p = eol + 1; p < stop; p = eol + 1) {
		const char *le, *colon, *v, *ve;
		struct skit_http_field *f;

		eol = memchr(p, '\n', (size_t)(stop - p));
		le = eol;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p)
			break; /* the blank line */
		if (*p == ' ' || *p == '\t')
			return head_fail(err, SKIT_EHTTP,
					 "obsolete line folding in header");
		colon = memchr(p, ':', (size_t)(le - p));
		if (!colon || colon == p)
			return head_fail(err, SKIT_EHTTP,
					 "header line without a name");
		for (const char *s = p; s < colon; s++)
			if (!is_tchar((unsigned char)*s))
				return head_fail(err, SKIT_EHTTP,
						 "bad character in header "
						 "name");
		v = colon + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		ve = le;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *s = v; s < ve; s++)
			if (*s == '\0' || *s == '\r' || *s == '\n')
				return head_fail(err, SKIT_EHTTP,
						 "bad character in header "
						 "value");
		if (out->nfields >= SKIT_HTTP_MAX_HEADERS) {
			char msg[96];

			snprintf(msg, sizeof(msg), "more than %d header fields",
				 SKIT_HTTP_MAX_HEADERS);
			return head_fail(err, SKIT_ELIMIT, msg);
		}
		f = &out->field[out->nfields++];
		f->name = p;
		f->name_len = (size_t)(colon - p);
		f->value = v;
		f->value_len = (size_t)(ve - v);

		if (skit_http_field_is(f, "Content-Length")) {
			long long cl;

			if (parse_length(v, f->value_len, &cl) ||
			    (have_len && cl != out->content_length))
				return head_fail(err, SKIT_EHTTP,
						 "bad or conflicting "
						 "Content-Length");
			out->content_length = cl;
			have_len = true;
		} else if (skit_http_field_is(f, "Transfer-Encoding")) {
			out->has_te = true;
			/* The last coding of the last field decides. */
			out->chunked =
				list_has(v, f->value_len, "chunked", true);
		} else if (skit_http_field_is(f, "Connection")) {
			if (list_has(v, f->value_len, "close", false))
				out->conn_close = true;
		}
	}
	return (ssize_t)end;
}

bool
skit_http_field_is(const struct skit_http_field *f, const char *name)
{
	return eq_nocase(f->name, f->name_len, name);
}

const struct skit_http_field *
skit_http_field_get(const struct skit_http_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (skit_http_field_is(&r->field[i], name))
			return &r->field[i];
	return NULL;
}

enum skit_http_body
skit_http_body_mode(const struct skit_http_resp *r, bool head_request)
{
	if (head_request || r->status < 200 || r->status == 204 ||
	    r->status == 304)
		return SKIT_HTTP_BODY_NONE;
	if (r->has_te)
		return r->chunked ? SKIT_HTTP_BODY_CHUNKED
				  : SKIT_HTTP_BODY_CLOSE;
	if (r->content_length >= 0)
		return SKIT_HTTP_BODY_LENGTH;
	return SKIT_HTTP_BODY_CLOSE;
}

/* --- Codings ------------------------------------------------------------ */

/* A coding name from the server, safe to print: 40 bytes, '?' for odd. */
static void
printable(char *dst, size_t cap, const char *src, size_t n)
{
	size_t k = 0;

	for (; k < n && k + 1 < cap && k < 40; k++)
		dst[k] = isprint((unsigned char)src[k]) ? src[k] : '?';
	dst[k] = '\0';
}

static int
unsupported(struct skit_err *err, const char *field, const char *name,
	    size_t len)
{
	char shown[48];

	printable(shown, sizeof(shown), name, len);
	return skit_err_setf(err, SKIT_ECODING, "HTTP response", "", 0,
			     "unsupported %s '%s'", field, shown);
}

int
skit_http_codings(const struct skit_http_resp *r, struct skit_http_codings *out,
		  struct skit_err *err)
{
	bool chunked = false;

	out->n = 0;
	for (size_t k = 0; k < r->nfields; k++) {
		const struct skit_http_field *f = &r->field[k];
		bool te = skit_http_field_is(f, "Transfer-Encoding");
		size_t i = 0, tl;
		const char *t;

		if (!te && !skit_http_field_is(f, "Content-Encoding"))
			continue;
		while (list_next(f->value, f->value_len, &i, &t, &tl)) {
			enum skit_coding c;

			if (te && chunked)
				return skit_err_setf(err, SKIT_EHTTP,
						     "HTTP response", "", 0,
						     "chunked is not the last "
						     "Transfer-Encoding");
			if (eq_nocase(t, tl, "identity"))
				continue;
			if (te) {
				if (!eq_nocase(t, tl, "chunked"))
					return unsupported(err,
							   "Transfer-Encoding",
							   t, tl);
				chunked = true;
				continue;
			}
			if (eq_nocase(t, tl, "gzip") ||
			    eq_nocase(t, tl, "x-gzip"))
				c = SKIT_CODING_GZIP;
			else if (eq_nocase(t, tl, "deflate"))
				c = SKIT_CODING_DEFLATE;
			else
				return unsupported(err, "Content-Encoding", t,
						   tl);
			if (out->n == SKIT_CODINGS_MAX)
				return skit_err_setf(
					err, SKIT_ECODING, "HTTP response", "",
					0, "more than %d Content-Encodings",
					SKIT_CODINGS_MAX);
			out->coding[out->n++] = c;
		}
	}
	return 0;
}

const char *
skit_coding_name(enum skit_coding c)
{
	return c == SKIT_CODING_GZIP ? "gzip" : "deflate";
}

/* Parse digits at v[*i..n) into *out; -1 when none or overflow. */
static int
parse_num(const char *v, size_t n, size_t *i, long long *out)
{
	long long x = 0;
	size_t s = *i;

	while (*i < n && isdigit((unsigned char)v[*i])) {
		if (x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (v[*i] - '0');
		(*i)++;
	}
	if (*i == s)
		return -1;
	*out = x;
	return 0;
}

int
skit_http_content_range(const char *v, size_t len, long long *first,
			long long *last, long long *total)
{
	size_t i = 6;

	if (len < 7 || strncasecmp(v, "bytes ", 6))
		goto bad;
	while (i < len && v[i] == ' ')
		i++;
	if (i < len && v[i] == '*') {
		*first = *last = -1;
		i++;
	} else {
		if (parse_num(v, len, &i, first) || i >= len || v[i] != '-')
			goto bad;
		i++;
		if (parse_num(v, len, &i, last) || *last < *first)
			goto bad;
	}
	if (i >= len || v[i] != '/')
		goto bad;
	i++;
	if (i < len && v[i] == '*') {
		*total = -1;
		i++;
	} else if (parse_num(v, len, &i, total) ||
		   (*last >= 0 && *total <= *last)) {
		goto bad;
	}
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i != len || (*first < 0 && *total < 0))
		goto bad;
	return 0;
bad:
	return SKIT_EHTTP;
}

/* --- Chunked bodies ----------------------------------------------------- */

enum {
	CH_SIZE = 0, /* hex digits of a chunk size */
	CH_EXT,	     /* ";ext" or whitespace after the size */
	CH_SIZE_LF,  /* CR seen at the end of the size line */
	CH_DATA,     /* chunk data */
	CH_DATA_CR,  /* CRLF after chunk data */
	CH_DATA_LF,
	CH_TR_START, /* start of a trailer line or the final CRLF */
	CH_TR_LINE,  /* inside a trailer field line */
	CH_TR_LF,    /* CR seen at the end of a trailer line */
	CH_END_LF,   /* CR of the final blank line seen */
	CH_DONE,
};

void
skit_chunked_init(struct skit_chunked *c)
{
	memset(c, 0, offsetof(struct skit_chunked, trailer));
	c->trailer[0] = '\0';
}

bool
skit_chunked_done(const struct skit_chunked *c)
{
	return c->state == CH_DONE;
}

static int
ch_fail(struct skit_err *err, int code, const char *msg)
{
	return skit_err_setf(err, code, "chunked body", "", 0, "%s", msg);
}

/* A trailer line has ended: check it looks like "name: value". */
static int
trailer_line_end(struct skit_chunked *c, struct skit_err *err)
{
	const char *line, *colon;
	size_t start = c->trailer_len - c->line_len;

	line = c->trailer + start;
	colon = memchr(line, ':', c->line_len);
	if (!colon || colon == line)
		return ch_fail(err, SKIT_EHTTP, "bad trailer field");
	for (const char *s = line; s < colon; s++)
		if (!is_tchar((unsigned char)*s))
			return ch_fail(err, SKIT_EHTTP, "bad trailer field");
	if (++c->ntrailers > SKIT_HTTP_MAX_HEADERS)
		return ch_fail(err, SKIT_ELIMIT, "too many trailer fields");
	c->trailer[c->trailer_len++] = '\n';
	c->trailer[c->trailer_len] = '\0';
	c->line_len = 0;
	c->state = CH_TR_START;
	return 0;
}

/* End of a size line: on to the data or the trailers. */
static void
size_line_end(struct skit_chunked *c)
{
	c->line_len = 0;
	c->state = c->left ? CH_DATA : CH_TR_START;
}

int
skit_chunked_step(struct skit_chunked *c, const char *in, size_t len,
		  size_t *used, const char **data, size_t *data_len,
		  struct skit_err *err)
{
	size_t i = 0;
	int r;

	*data = in;
	*data_len = 0;
	while (i < len && c->state != CH_DONE) {
		unsigned char b = (unsigned char)in[i];
		int h;

		if (c->state == CH_DATA) {
			size_t n = len - i;

			if ((uint64_t)n > c->left)
				n = (size_t)c->left;
			*data = in + i;
			*data_len = n;
			c->left -= n;
			c->total += n;
			i += n;
			if (!c->left)
				c->state = CH_DATA_CR;
			*used = i;
			return 0;
		}
		i++;
		switch (c->state) {
		case CH_SIZE:
			if (++c->line_len > SKIT_CHUNKED_LINE_MAX)
				return ch_fail(err, SKIT_ELIMIT,
					       "chunk size line too long");
			h = hexval(b);
			if (h >= 0) {
				if (c->left > (UINT64_MAX >> 4) ||
				    (c->left << 4) > (uint64_t)INT64_MAX)
					return ch_fail(err, SKIT_EHTTP,
						       "chunk size too large");
				c->left = (c->left << 4) | (uint64_t)h;
				c->size_digit = true;
				break;
			}
			if (!c->size_digit)
				return ch_fail(err, SKIT_EHTTP,
					       "bad chunk size");
			if (b == ';' || b == ' ' || b == '\t')
				c->state = CH_EXT;
			else if (b == '\r')
				c->state = CH_SIZE_LF;
			else if (b == '\n')
				size_line_end(c);
			else
				return ch_fail(err, SKIT_EHTTP,
					       "bad chunk size");
			break;
		case CH_EXT:
			if (++c->line_len > SKIT_CHUNKED_LINE_MAX)
				return ch_fail(err, SKIT_ELIMIT,
					       "chunk size line too long");
			if (b == '\r')
				c->state = CH_SIZE_LF;
			else if (b == '\n')
				size_line_end(c);
			else if (b == 0)
				return ch_fail(err, SKIT_EHTTP,
					       "NUL in chunk extension");
			break;
		case CH_SIZE_LF:
			if (b != '\n')
				return ch_fail(err, SKIT_EHTTP,
					       "bad chunk size line end");
			size_line_end(c);
			break;
		case CH_DATA_CR:
			if (b == '\r')
				c->state = CH_DATA_LF;
			else if (b == '\n')
				goto next_chunk;
			else
				return ch_fail(err, SKIT_EHTTP,
					       "missing CRLF after chunk data");
			break;
		case CH_DATA_LF:
			if (b != '\n')
				return ch_fail(err, SKIT_EHTTP,
					       "missing CRLF after chunk data");
		next_chunk:
			c->state = CH_SIZE;
			c->left = 0;
			c->size_digit = false;
			c->line_len = 0;
			break;
		case CH_TR_START:
			if (b == '\r') {
				c->state = CH_END_LF;
				break;
			}
			if (b == '\n') {
				c->state = CH_DONE;
				break;
			}
			/* The byte starts a trailer line. */
			c->state = CH_TR_LINE;
			__attribute__((fallthrough));
		case CH_TR_LINE:
			if (b == '\r') {
				c->state = CH_TR_LF;
				break;
			}
			if (b == '\n') {
				r = trailer_line_end(c, err);
				if (r < 0)
					return r;
				break;
			}
			if (b == 0)
				return ch_fail(err, SKIT_EHTTP,
					       "NUL in trailer");
			if (c->trailer_len + 2 >= sizeof(c->trailer))
				return ch_fail(err, SKIT_ELIMIT,
					       "trailer section too long");
			c->trailer[c->trailer_len++] = (char)b;
			c->trailer[c->trailer_len] = '\0';
			c->line_len++;
			break;
		case CH_TR_LF:
			if (b != '\n')
				return ch_fail(err, SKIT_EHTTP,
					       "bad trailer line end");
			r = trailer_line_end(c, err);
			if (r < 0)
				return r;
			break;
		case CH_END_LF:
			if (b != '\n')
				return ch_fail(err, SKIT_EHTTP,
					       "bad end of chunked body");
			c->state = CH_DONE;
			break;
		default:
			return ch_fail(err, SKIT_EHTTP, "decoder state");
		}
	}
	*used = i;
	return c->state == CH_DONE ? 1 : 0;
}
