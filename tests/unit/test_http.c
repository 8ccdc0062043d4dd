/*
 * test_http.c - URLs, request heads, response heads, chunked decoding,
 * content codings and their decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zlib.h>

#include "skit/http.h"

static struct skit_url u, v;

static void
url_ok(const char *text, const char *want)
{
	char buf[SKIT_URL_MAX + 300];
	struct skit_err err;

	skit_err_clear(&err);
	if (skit_url_parse(text, &u, &err)) {
		fail_msg("parse '%s': %s", text, err.detail);
	}
	skit_url_format(&u, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
url_bad(const char *text, const char *detail_has, int column)
{
	struct skit_err err;

	skit_err_clear(&err);
	assert_int_equal(skit_url_parse(text, &u, &err), SKIT_EADDR);
	if (!strstr(err.detail, detail_has))
		fail_msg("'%s': detail '%s' lacks '%s'", text, err.detail,
			 detail_has);
	if (column)
		assert_int_equal(err.column, column);
}

static void
test_url_parse(void **state)
{
	(void)state;
	url_ok("http://example.org", "http://example.org/");
	url_ok("HTTP://Example.ORG/a/b?c=d#frag", "http://example.org/a/b?c=d");
	url_ok("https://h:443/x", "https://h/x");
	url_ok("https://h:8443/x", "https://h:8443/x");
	url_ok("http://127.0.0.1:8080?q", "http://127.0.0.1:8080/?q");
	url_ok("http://[::1]:81/p", "http://[::1]:81/p");
	url_ok("http://[fe80::1%25eth0]/", "http://[fe80::1%25eth0]/");
	url_ok("example.org/x", "http://example.org/x");
	url_ok("http://h/a b\xc3\xa9", "http://h/a%20b%C3%A9");
	url_ok("http://h:/", "http://h/");
	url_ok("http://h/a/./b/../c?x/../y", "http://h/a/c?x/../y");
	url_ok("http://h/..", "http://h/");

	assert_int_equal(skit_url_parse("http://[::1]:81/p", &u, NULL), 0);
	assert_string_equal(u.host, "::1");
	assert_true(u.host_is_ipv6);
	assert_int_equal(u.port, 81);
	assert_true(u.port_explicit);
	assert_string_equal(u.target, "/p");
	assert_int_equal(skit_url_parse("https://a.b", &u, NULL), 0);
	assert_int_equal(u.port, 443);
	assert_int_equal(u.scheme, SKIT_URL_HTTPS);
	assert_false(u.port_explicit);
}

static void
test_url_bad(void **state)
{
	(void)state;
	url_bad("http://user:pw@h/", "user names and passwords", 8);
	url_bad("http://user@h/", "not supported", 8);
	url_bad("ftp://h/", "unsupported scheme", 1);
	url_bad("http:///x", "missing host", 8);
	url_bad("http://h:99999/", "out of range", 10);
	url_bad("http://h:8o/", "not a number", 11);
	url_bad("http://h:0/", "port 0", 0);
	url_bad("http://[::1/", "missing ']'", 0);
	url_bad("http://[::g]/", "bad IPv6", 0);
	url_bad("http://[::1]x/", "expected ':PORT'", 0);
	url_bad("http://h\x01/", "control character", 9);
	url_bad("http://a b/", "bad character in host", 9);
	url_bad("", "empty", 0);
}

static void
resolve_ok(const char *base, const char *ref, const char *want)
{
	char buf[SKIT_URL_MAX + 300];
	struct skit_err err;

	assert_int_equal(skit_url_parse(base, &u, NULL), 0);
	skit_err_clear(&err);
	if (skit_url_resolve(&u, ref, strlen(ref), &v, &err))
		fail_msg("resolve '%s' against '%s': %s", ref, base,
			 err.detail);
	skit_url_format(&v, buf, sizeof(buf));
	if (strcmp(buf, want))
		fail_msg("resolve '%s' against '%s': got '%s' want '%s'", ref,
			 base, buf, want);
}

static void
test_url_resolve(void **state)
{
	const char *b = "http://a/b/c/d;p?q";

	(void)state;
	/* RFC 3986 5.4.1 normal examples (those that make http URLs). */
	resolve_ok(b, "g", "http://a/b/c/g");
	resolve_ok(b, "./g", "http://a/b/c/g");
	resolve_ok(b, "g/", "http://a/b/c/g/");
	resolve_ok(b, "/g", "http://a/g");
	resolve_ok(b, "//g", "http://g/");
	resolve_ok(b, "?y", "http://a/b/c/d;p?y");
	resolve_ok(b, "g?y", "http://a/b/c/g?y");
	resolve_ok(b, "#s", "http://a/b/c/d;p?q");
	resolve_ok(b, "g#s", "http://a/b/c/g");
	resolve_ok(b, ";x", "http://a/b/c/;x");
	resolve_ok(b, "", "http://a/b/c/d;p?q");
	resolve_ok(b, ".", "http://a/b/c/");
	resolve_ok(b, "./", "http://a/b/c/");
	resolve_ok(b, "..", "http://a/b/");
	resolve_ok(b, "../", "http://a/b/");
	resolve_ok(b, "../g", "http://a/b/g");
	resolve_ok(b, "../..", "http://a/");
	resolve_ok(b, "../../", "http://a/");
	resolve_ok(b, "../../g", "http://a/g");
	/* 5.4.2 abnormal examples. */
	resolve_ok(b, "../../../g", "http://a/g");
	resolve_ok(b, "/./g", "http://a/g");
	resolve_ok(b, "/../g", "http://a/g");
	resolve_ok(b, "g.", "http://a/b/c/g.");
	resolve_ok(b, "..g", "http://a/b/c/..g");
	resolve_ok(b, "./../g", "http://a/b/g");
	resolve_ok(b, "./g/.", "http://a/b/c/g/");
	resolve_ok(b, "g/./h", "http://a/b/c/g/h");
	resolve_ok(b, "g/../h", "http://a/b/c/h");
	/* Absolute, scheme change, ports and IPv6 kept. */
	resolve_ok(b, "https://x:8443/y", "https://x:8443/y");
	resolve_ok("https://[::1]:8443/a/b", "c", "https://[::1]:8443/a/c");
	resolve_ok("http://h:81/a", "  /z  ", "http://h:81/z");
	assert_int_equal(skit_url_parse(b, &u, NULL), 0);
	assert_int_equal(skit_url_resolve(&u, "mailto:x@y", 10, &v, NULL),
			 SKIT_EADDR);
}

static void
test_url_filename(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(skit_url_parse("http://h/a/b.tar.gz?x=1", &u, NULL),
			 0);
	skit_url_filename(&u, buf, sizeof(buf));
	assert_string_equal(buf, "b.tar.gz");
	assert_int_equal(skit_url_parse("http://h/a/", &u, NULL), 0);
	skit_url_filename(&u, buf, sizeof(buf));
	assert_string_equal(buf, "index.html");
	assert_int_equal(skit_url_parse("http://h/a%20b", &u, NULL), 0);
	skit_url_filename(&u, buf, sizeof(buf));
	assert_string_equal(buf, "a b");
	assert_int_equal(skit_url_parse("http://h/x/..%2f..%2fetc", &u, NULL),
			 0);
	skit_url_filename(&u, buf, sizeof(buf));
	assert_string_equal(buf, "index.html");
	assert_int_equal(skit_url_parse("http://h/%2e%2e", &u, NULL), 0);
	skit_url_filename(&u, buf, sizeof(buf));
	assert_string_equal(buf, "index.html");
}

static void
test_url_addr_text(void **state)
{
	char buf[300];

	(void)state;
	assert_int_equal(skit_url_parse("https://[::1]/", &u, NULL), 0);
	skit_url_addr_text(&u, AF_UNSPEC, buf, sizeof(buf));
	assert_string_equal(buf, "tcp:[::1]:443");
	assert_int_equal(skit_url_parse("http://h.example:8080/", &u, NULL), 0);
	skit_url_addr_text(&u, AF_INET, buf, sizeof(buf));
	assert_string_equal(buf, "tcp4:h.example:8080");
}

static void
test_request_build(void **state)
{
	char buf[2048];
	const char *hdrs[] = { "X-A: 1", "accept: text/plain", "User-Agent:" };
	struct skit_http_req r = { .url = &u,
				   .user_agent = "skit/0.1.0",
				   .content_length = -1,
				   .range_from = -1 };
	struct skit_err err;
	int n;

	(void)state;
	assert_int_equal(skit_url_parse("http://[::1]:8080/p?q", &u, NULL), 0);
	n = skit_http_request_build(&r, buf, sizeof(buf), NULL);
	assert_true(n > 0);
	assert_string_equal(buf, "GET /p?q HTTP/1.1\r\n"
				 "Host: [::1]:8080\r\n"
				 "User-Agent: skit/0.1.0\r\n"
				 "Accept: */*\r\n"
				 "Connection: close\r\n\r\n");
	r.method = "POST";
	r.content_length = 5;
	r.range_from = 100;
	r.headers = hdrs;
	r.nheaders = 3;
	n = skit_http_request_build(&r, buf, sizeof(buf), NULL);
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "POST /p?q HTTP/1.1\r\n"
				 "Host: [::1]:8080\r\n"
				 "Range: bytes=100-\r\n"
				 "Content-Length: 5\r\n"
				 "Connection: close\r\n"
				 "X-A: 1\r\n"
				 "accept: text/plain\r\n\r\n");
	/* Header injection and bad methods are refused. */
	hdrs[0] = "X-A: 1\r\nEvil: yes";
	assert_int_equal(skit_http_request_build(&r, buf, sizeof(buf), &err),
			 SKIT_EOPTION);
	hdrs[0] = "NoColon";
	assert_int_equal(skit_http_request_build(&r, buf, sizeof(buf), &err),
			 SKIT_EOPTION);
	hdrs[0] = "X-A: 1";
	r.method = "GE T";
	assert_int_equal(skit_http_request_build(&r, buf, sizeof(buf), &err),
			 SKIT_EOPTION);
	r.method = "GET";
	assert_int_equal(skit_http_request_build(&r, buf, 20, &err),
			 SKIT_ETOOLONG);
}

static void
test_request_accept_encoding(void **state)
{
	char buf[2048];
	const char *hdrs[] = { "Accept-Encoding: br" };
	struct skit_http_req r = { .url = &u,
				   .accept_encoding = "gzip, deflate",
				   .content_length = -1,
				   .range_from = -1 };

	(void)state;
	assert_int_equal(skit_url_parse("http://h/", &u, NULL), 0);
	assert_true(skit_http_request_build(&r, buf, sizeof(buf), NULL) > 0);
	assert_string_equal(buf, "GET / HTTP/1.1\r\n"
				 "Host: h\r\n"
				 "Accept: */*\r\n"
				 "Accept-Encoding: gzip, deflate\r\n"
				 "Connection: close\r\n\r\n");
	/* The user's header replaces skit's. */
	r.headers = hdrs;
	r.nheaders = 1;
	assert_true(skit_http_request_build(&r, buf, sizeof(buf), NULL) > 0);
	assert_null(strstr(buf, "gzip"));
	assert_non_null(strstr(buf, "\r\nAccept-Encoding: br\r\n"));
}

static struct skit_http_resp resp;

static void
test_head_parse(void **state)
{
	const char *h = "HTTP/1.1 200 OK\r\n"
			"Content-Length: 12\r\n"
			"X-Empty:\r\n"
			"Server:  nginx \r\n"
			"\r\nbody";
	ssize_t n;

	(void)state;
	n = skit_http_parse_head(h, strlen(h), 65536, &resp, NULL);
	assert_int_equal(n, (ssize_t)strlen(h) - 4);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.version, 11);
	assert_int_equal(resp.reason_len, 2);
	assert_int_equal(resp.nfields, 3);
	assert_int_equal(resp.content_length, 12);
	assert_false(resp.chunked);
	assert_int_equal(skit_http_body_mode(&resp, false),
			 SKIT_HTTP_BODY_LENGTH);
	assert_int_equal(skit_http_body_mode(&resp, true), SKIT_HTTP_BODY_NONE);
	assert_non_null(skit_http_field_get(&resp, "server"));
	assert_int_equal(skit_http_field_get(&resp, "server")->value_len, 5);
	assert_int_equal(skit_http_field_get(&resp, "x-empty")->value_len, 0);
	assert_null(skit_http_field_get(&resp, "nope"));

	/* Incomplete heads need more bytes, at every cut. */
	for (size_t i = 0; i < strlen(h) - 4; i++)
		assert_int_equal(skit_http_parse_head(h, i, 65536, &resp, NULL),
				 0);

	/* Bare LF, no reason, 1.0 means close. */
	h = "HTTP/1.0 204\n\n";
	assert_int_equal(skit_http_parse_head(h, strlen(h), 100, &resp, NULL),
			 (ssize_t)strlen(h));
	assert_int_equal(resp.status, 204);
	assert_true(resp.conn_close);
	assert_int_equal(skit_http_body_mode(&resp, false),
			 SKIT_HTTP_BODY_NONE);

	/* Transfer-Encoding wins over Content-Length; chunked last. */
	h = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: gzip, Chunked\r\n\r\n";
	assert_true(skit_http_parse_head(h, strlen(h), 1000, &resp, NULL) > 0);
	assert_true(resp.chunked);
	assert_int_equal(skit_http_body_mode(&resp, false),
			 SKIT_HTTP_BODY_CHUNKED);
	h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
	assert_true(skit_http_parse_head(h, strlen(h), 1000, &resp, NULL) > 0);
	assert_int_equal(skit_http_body_mode(&resp, false),
			 SKIT_HTTP_BODY_CLOSE);
	h = "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n\r\n";
	assert_true(skit_http_parse_head(h, strlen(h), 1000, &resp, NULL) > 0);
	assert_true(resp.conn_close);
	assert_int_equal(skit_http_body_mode(&resp, false),
			 SKIT_HTTP_BODY_CLOSE);
	h = "HTTP/1.1 100 Continue\r\n\r\n";
	assert_true(skit_http_parse_head(h, strlen(h), 1000, &resp, NULL) > 0);
	assert_int_equal(skit_http_body_mode(&resp, false),
			 SKIT_HTTP_BODY_NONE);
	h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n";
	assert_true(skit_http_parse_head(h, strlen(h), 1000, &resp, NULL) > 0);
	assert_true(resp.chunked);
	h = "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n";
	assert_true(skit_http_parse_head(h, strlen(h), 1000, &resp, NULL) > 0);
	assert_int_equal(resp.content_length, 5);
	/* Nothing is left over from the previous (chunked) parse. */
	assert_false(resp.chunked);
	assert_false(resp.has_te);
	assert_false(resp.conn_close);
}

static void
head_bad(const char *h, int code)
{
	struct skit_err err;

	skit_err_clear(&err);
	if (skit_http_parse_head(h, strlen(h), 1000, &resp, &err) != code)
		fail_msg("'%s' did not give %d", h, code);
	assert_int_equal(err.code, code);
}

static void
test_head_bad(void **state)
{
	char big[1200];
	char many[4000];
	size_t o = 0;

	(void)state;
	head_bad("HTTP/2 200 OK\r\n\r\n", SKIT_EHTTP);
	head_bad("ICY 200 OK\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 20 OK\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 099 OK\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 200OK\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 200 OK\r\nA : b\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 200 OK\r\n: b\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		 "Content-Length: 2\r\n\r\n",
		 SKIT_EHTTP);
	head_bad("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", SKIT_EHTTP);
	head_bad("HTTP/1.1 200 OK\r\nContent-Length: "
		 "99999999999999999999999\r\n\r\n",
		 SKIT_EHTTP);
	/* Over the size limit without an end: a limit error. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	big[sizeof(big) - 1] = '\0';
	head_bad(big, SKIT_ELIMIT);
	/* Too many fields. */
	o = (size_t)snprintf(many, sizeof(many), "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= SKIT_HTTP_MAX_HEADERS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "A%d: b\r\n",
				      i);
	snprintf(many + o, sizeof(many) - o, "\r\n");
	assert_int_equal(
		skit_http_parse_head(many, strlen(many), 65536, &resp, NULL),
		SKIT_ELIMIT);
}

/* Decode all of in, feeding it in pieces of step bytes. */
static int
decode(const char *in, size_t len, size_t step, char *out, size_t *outlen,
       struct skit_chunked *c, size_t *rest)
{
	size_t off = 0;
	int r = 0;

	skit_chunked_init(c);
	*outlen = 0;
	while (off < len && r == 0) {
		size_t n = len - off < step ? len - off : step;
		size_t pos = 0;

		while (pos < n && r == 0) {
			size_t used;
			const char *d;
			size_t dl;

			r = skit_chunked_step(c, in + off + pos, n - pos, &used,
					      &d, &dl, NULL);
			if (r < 0)
				return r;
			memcpy(out + *outlen, d, dl);
			*outlen += dl;
			pos += used;
		}
		off += pos;
	}
	*rest = len - off;
	return r;
}

static struct skit_chunked ch;

static void
test_chunked(void **state)
{
	const char *in = "5\r\nhello\r\n"
			 "1;ext=\"x\"\r\n \r\n"
			 "00a \r\n0123456789\r\n"
			 "0\r\n"
			 "X-Sum: abc\r\n"
			 "X-Two: 2\r\n"
			 "\r\n"
			 "EXTRA";
	char out[256];
	size_t outlen, rest;

	(void)state;
	for (size_t step = 1; step <= strlen(in); step++) {
		assert_int_equal(
			decode(in, strlen(in), step, out, &outlen, &ch, &rest),
			1);
		assert_int_equal(outlen, 16);
		assert_memory_equal(out, "hello 0123456789", 16);
		assert_int_equal(rest, 5);
		assert_int_equal(ch.ntrailers, 2);
		assert_string_equal(ch.trailer, "X-Sum: abc\nX-Two: 2\n");
		assert_true(skit_chunked_done(&ch));
		assert_int_equal(ch.total, 16);
	}
	/* Bare LF framing, no trailers. */
	in = "3\nabc\n0\n\n";
	assert_int_equal(decode(in, strlen(in), 100, out, &outlen, &ch, &rest),
			 1);
	assert_int_equal(outlen, 3);
	/* Incomplete: not done. */
	in = "3\r\nabc\r\n";
	assert_int_equal(decode(in, strlen(in), 100, out, &outlen, &ch, &rest),
			 0);
	assert_false(skit_chunked_done(&ch));
}

static void
test_chunked_bad(void **state)
{
	static const char *const bad[] = {
		"x\r\n",
		"\r\n",
		"3\r\nabcX",
		"3\r\nabc\rX",
		"3 x\rY",
		"0\r\nnocolon\r\n\r\n",
		"0\r\n\r\x01",
		";x\r\n",
		"ffffffffffffffffff\r\n",
		"8000000000000000\r\n",
	};
	char out[64], big[SKIT_CHUNKED_LINE_MAX + 64];
	size_t outlen, rest;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (decode(bad[i], strlen(bad[i]), 100, out, &outlen, &ch,
			   &rest) != SKIT_EHTTP)
			fail_msg("chunked '%s' not rejected", bad[i]);
	memset(big, 'a', sizeof(big));
	memcpy(big, "1;", 2);
	assert_int_equal(
		decode(big, sizeof(big), 1000, out, &outlen, &ch, &rest),
		SKIT_ELIMIT);
	memset(big, 'a', sizeof(big));
	memcpy(big, "0\r\nX:", 5);
	{
		static char huge[SKIT_CHUNKED_TRAILER_MAX + 64];

		memset(huge, 'a', sizeof(huge));
		memcpy(huge, "0\r\nX:", 5);
		assert_int_equal(decode(huge, sizeof(huge), 1000, out, &outlen,
					&ch, &rest),
				 SKIT_ELIMIT);
	}
}

/* Parse a head with the given field lines and check its codings. */
static int
codings_of(const char *fields, struct skit_http_codings *c,
	   struct skit_err *err)
{
	char h[1024];
	int n = snprintf(h, sizeof(h), "HTTP/1.1 200 OK\r\n%s\r\n", fields);

	assert_true(skit_http_parse_head(h, (size_t)n, sizeof(h), &resp, NULL) >
		    0);
	skit_err_clear(err);
	return skit_http_codings(&resp, c, err);
}

static void
test_codings(void **state)
{
	struct skit_http_codings c;
	struct skit_err err;

	(void)state;
	assert_int_equal(codings_of("Content-Length: 3\r\n", &c, &err), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(codings_of("Transfer-Encoding: chunked\r\n"
				    "Content-Encoding: identity\r\n",
				    &c, &err),
			 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(codings_of("Content-Encoding: X-Gzip\r\n", &c, &err),
			 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.coding[0], SKIT_CODING_GZIP);
	/* Lists and repeated fields add up, in the order applied. */
	assert_int_equal(codings_of("Content-Encoding: gzip, ,identity\r\n"
				    "Transfer-Encoding: identity, chunked\r\n"
				    "Content-Encoding: DEFLATE\r\n",
				    &c, &err),
			 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.coding[0], SKIT_CODING_GZIP);
	assert_int_equal(c.coding[1], SKIT_CODING_DEFLATE);
	assert_string_equal(skit_coding_name(c.coding[1]), "deflate");

	/* Codings skit cannot decode are named. */
	assert_int_equal(codings_of("Content-Encoding: gzip, br\r\n", &c, &err),
			 SKIT_ECODING);
	assert_string_equal(err.detail, "unsupported Content-Encoding 'br'");
	assert_int_equal(codings_of("Content-Encoding: zstd\r\n", &c, &err),
			 SKIT_ECODING);
	assert_int_equal(codings_of("Content-Encoding: compress\r\n", &c, &err),
			 SKIT_ECODING);
	assert_int_equal(
		codings_of("Content-Encoding: a\x01\x1b[2J\r\n", &c, &err),
		SKIT_ECODING);
	assert_string_equal(err.detail,
			    "unsupported Content-Encoding 'a??[2J'");
	assert_int_equal(
		codings_of("Transfer-Encoding: gzip, chunked\r\n", &c, &err),
		SKIT_ECODING);
	assert_string_equal(err.detail, "unsupported Transfer-Encoding 'gzip'");
	assert_int_equal(
		codings_of("Transfer-Encoding: chunked;x=1\r\n", &c, &err),
		SKIT_ECODING);
	assert_int_equal(codings_of("Content-Encoding: gzip,gzip,gzip,gzip,"
				    "gzip\r\n",
				    &c, &err),
			 SKIT_ECODING);
	assert_non_null(strstr(err.detail, "more than 4"));
	/* chunked only once, and last. */
	assert_int_equal(
		codings_of("Transfer-Encoding: chunked, chunked\r\n", &c, &err),
		SKIT_EHTTP);
	assert_int_equal(codings_of("Transfer-Encoding: chunked\r\n"
				    "Transfer-Encoding: identity\r\n",
				    &c, &err),
			 SKIT_EHTTP);
}

/* --- the decoder ---------------------------------------------------------- */

#define CONTENT_LEN 150000

static unsigned char content[CONTENT_LEN];
static unsigned char coded[2][CONTENT_LEN + 4096];
static unsigned char got[CONTENT_LEN * 2];

/* Text that compresses well, then bytes that do not. */
static void
make_content(void)
{
	size_t o = 0;
	unsigned x = 7;

	for (int i = 0; o + 40 < CONTENT_LEN / 2; i++)
		o += (size_t)snprintf((char *)content + o, 40,
				      "line %d of the content\n", i);
	while (o < CONTENT_LEN) {
		x = x * 1103515245 + 12345;
		content[o++] = (unsigned char)(x >> 16);
	}
}

/* Compress in[0..n) with zlib's windowBits wbits (31 gzip, 15, -15). */
static size_t
zcode(int wbits, const unsigned char *in, size_t n, unsigned char *out,
      size_t cap)
{
	z_stream z;
	size_t len;

	memset(&z, 0, sizeof(z));
	assert_int_equal(
		deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY),
		Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	len = z.total_out;
	deflateEnd(&z);
	return len;
}

/*
 * Decode in[0..n) fed in pieces of step bytes, into out buffers of ocap
 * bytes, following the feed contract. The decoded bytes go to got,
 * *glen of them. Returns the first error, or finish's result.
 */
static int
decode_all(const struct skit_http_codings *c, const unsigned char *in, size_t n,
	   size_t step, size_t ocap, size_t *glen, struct skit_err *err)
{
	struct skit_http_decoder *d;
	unsigned char obuf[70000];
	size_t off = 0;
	int rc;

	assert_true(ocap <= sizeof(obuf));
	*glen = 0;
	skit_err_clear(err);
	rc = skit_http_decoder_init(&d, c, err);
	if (rc < 0)
		return rc;
	while (off < n) {
		size_t piece = n - off < step ? n - off : step;
		size_t used, made;

		do {
			rc = skit_http_decoder_feed(d, in + off, piece, &used,
						    obuf, ocap, &made, err);
			if (rc < 0)
				goto out;
			assert_true(used <= piece && made <= ocap);
			assert_true(*glen + made <= sizeof(got));
			memcpy(got + *glen, obuf, made);
			*glen += made;
			off += used;
			piece -= used;
		} while (piece > 0 || made == ocap);
	}
	rc = skit_http_decoder_finish(d, err);
	{
		unsigned long long tin, tout;

		skit_http_decoder_totals(d, &tin, &tout);
		assert_int_equal(tin, n);
		assert_int_equal(tout, *glen);
	}
out:
	skit_http_decoder_free(d);
	return rc;
}

static void
expect_content(const struct skit_http_codings *c, const unsigned char *in,
	       size_t n, size_t step, size_t ocap)
{
	struct skit_err err;
	size_t glen;
	int rc = decode_all(c, in, n, step, ocap, &glen, &err);

	if (rc)
		fail_msg("step %zu cap %zu: %d %s", step, ocap, rc, err.detail);
	assert_int_equal(glen, CONTENT_LEN);
	assert_memory_equal(got, content, CONTENT_LEN);
}

static const size_t steps[][2] = {
	{ 1, 1 },    { 1, 65536 },   { 3, 7 },
	{ 4093, 1 }, { 65537, 100 }, { 1000000, 65536 },
};

static void
test_decode(void **state)
{
	struct skit_http_codings gz = { 1, { SKIT_CODING_GZIP } };
	struct skit_http_codings df = { 1, { SKIT_CODING_DEFLATE } };
	size_t n;

	(void)state;
	make_content();
	/* gzip, zlib-wrapped deflate and bare deflate, in any pieces. */
	n = zcode(31, content, CONTENT_LEN, coded[0], sizeof(coded[0]));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		expect_content(&gz, coded[0], n, steps[i][0], steps[i][1]);
	n = zcode(15, content, CONTENT_LEN, coded[0], sizeof(coded[0]));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		expect_content(&df, coded[0], n, steps[i][0], steps[i][1]);
	n = zcode(-15, content, CONTENT_LEN, coded[0], sizeof(coded[0]));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		expect_content(&df, coded[0], n, steps[i][0], steps[i][1]);
}

static void
test_decode_stacked(void **state)
{
	/* "Content-Encoding: gzip, deflate, gzip": undone right to left. */
	struct skit_http_codings c = {
		3, { SKIT_CODING_GZIP, SKIT_CODING_DEFLATE, SKIT_CODING_GZIP }
	};
	size_t n;

	(void)state;
	make_content();
	n = zcode(31, content, CONTENT_LEN, coded[0], sizeof(coded[0]));
	n = zcode(-15, coded[0], n, coded[1], sizeof(coded[1]));
	n = zcode(31, coded[1], n, coded[0], sizeof(coded[0]));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		expect_content(&c, coded[0], n, steps[i][0], steps[i][1]);
}

static void
test_decode_members(void **state)
{
	struct skit_http_codings gz = { 1, { SKIT_CODING_GZIP } };
	size_t n;

	(void)state;
	make_content();
	/* Three members one after the other, as gzip -c a b c writes. */
	n = zcode(31, content, 1000, coded[0], sizeof(coded[0]));
	n += zcode(31, content + 1000, 0, coded[0] + n, sizeof(coded[0]) - n);
	n += zcode(31, content + 1000, CONTENT_LEN - 1000, coded[0] + n,
		   sizeof(coded[0]) - n);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		expect_content(&gz, coded[0], n, steps[i][0], steps[i][1]);
}

/*
 * Decoding in[0..n) with c, in pieces of step bytes into cap, fails with
 * code; err.detail contains detail (when not NULL).
 */
static void
expect_bad(const struct skit_http_codings *c, const unsigned char *in, size_t n,
	   size_t step, size_t cap, int code, const char *detail)
{
	struct skit_err err;
	size_t glen;
	int rc = decode_all(c, in, n, step, cap, &glen, &err);

	if (rc != code || (detail && !strstr(err.detail, detail)))
		fail_msg("%zu bytes, step %zu cap %zu: %d '%s', wanted %d '%s'",
			 n, step, cap, rc, err.detail, code,
			 detail ? detail : "");
}

static void
test_decode_bad(void **state)
{
	struct skit_http_codings gz = { 1, { SKIT_CODING_GZIP } };
	struct skit_http_codings df = { 1, { SKIT_CODING_DEFLATE } };
	struct skit_http_codings none = { 0, { 0 } };
	const char *junk = "bytes after the end of the gzip data";
	struct skit_http_decoder *d;
	struct skit_err err;
	size_t n, glen;

	(void)state;
	make_content();
	n = zcode(31, content, CONTENT_LEN, coded[0], sizeof(coded[0]));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t step = steps[i][0], cap = steps[i][1];
		unsigned char *b = coded[0];

		/* Cut short: finish says so. */
		expect_bad(&gz, b, n / 2, step, cap, SKIT_ETRUNC,
			   "the body ended inside the gzip data");
		expect_bad(&gz, b, n - 1, step, cap, SKIT_ETRUNC, NULL);
		expect_bad(&gz, b, 1, step, cap, SKIT_ETRUNC, NULL);
		/* Junk after the end (not another gzip member). */
		memcpy(b + n, "junk", 4);
		expect_bad(&gz, b, n + 4, step, cap, SKIT_ECODING, junk);
		b[n] = 0;
		expect_bad(&gz, b, n + 1, step, cap, SKIT_ECODING, junk);
		/* The first byte of a member, and no more: cut short. */
		b[n] = 0x1f;
		expect_bad(&gz, b, n + 1, step, cap, SKIT_ETRUNC, NULL);
		/* A member's magic, then junk. */
		memcpy(b + n, "\x1f\x8b\x09junk_junk_junk", 17);
		expect_bad(&gz, b, n + 17, step, cap, SKIT_ECODING, junk);
		/* A wrong CRC-32: every byte decodes, then the check fails. */
		b[n - 8] ^= 1;
		expect_bad(&gz, b, n, step, cap, SKIT_ECODING,
			   "corrupt gzip data (incorrect data check)");
		b[n - 8] ^= 1;
	}
	/* Not gzip at all. */
	expect_bad(&gz, content, 100, 7, 100, SKIT_ECODING,
		   "corrupt gzip data");
	/* A zlib stream with junk after it; a reserved block type. */
	n = zcode(15, content, 5000, coded[0], sizeof(coded[0]));
	coded[0][n] = 'x';
	expect_bad(&df, coded[0], n + 1, 1, 10, SKIT_ECODING,
		   "bytes after the end of the deflate data");
	expect_bad(&df, (const unsigned char *)"\x07\0\0", 3, 1, 10,
		   SKIT_ECODING, "invalid block type");
	/* One byte of deflate: too little to choose a format, cut short. */
	expect_bad(&df, coded[0], 1, 1, 10, SKIT_ETRUNC, NULL);
	/* The smallest bare deflate stream (an empty final block). */
	assert_int_equal(decode_all(&df, (const unsigned char *)"\x03\x00", 2,
				    1, 10, &glen, &err),
			 0);
	assert_int_equal(glen, 0);
	/* An empty body is empty content. */
	assert_int_equal(decode_all(&gz, coded[0], 0, 1, 10, &glen, &err), 0);
	assert_int_equal(glen, 0);
	/* A decoder needs one to four codings. */
	assert_int_equal(skit_http_decoder_init(&d, &none, &err), SKIT_ECODING);
	assert_null(d);
	skit_http_decoder_free(NULL);
}

static void
test_content_range(void **state)
{
	long long a, b, t;
	const char *s;

	(void)state;
	s = "bytes 100-199/200";
	assert_int_equal(skit_http_content_range(s, strlen(s), &a, &b, &t), 0);
	assert_int_equal(a, 100);
	assert_int_equal(b, 199);
	assert_int_equal(t, 200);
	s = "bytes 0-9/*";
	assert_int_equal(skit_http_content_range(s, strlen(s), &a, &b, &t), 0);
	assert_int_equal(t, -1);
	s = "bytes */500";
	assert_int_equal(skit_http_content_range(s, strlen(s), &a, &b, &t), 0);
	assert_int_equal(a, -1);
	assert_int_equal(t, 500);
	s = "bytes 9-1/20";
	assert_int_equal(skit_http_content_range(s, strlen(s), &a, &b, &t),
			 SKIT_EHTTP);
	s = "bytes 0-19/20x";
	assert_int_equal(skit_http_content_range(s, strlen(s), &a, &b, &t),
			 SKIT_EHTTP);
	s = "items 0-1/2";
	assert_int_equal(skit_http_content_range(s, strlen(s), &a, &b, &t),
			 SKIT_EHTTP);
	s = "bytes 0-20/20";
	assert_int_equal(skit_http_content_range(s, strlen(s), &a, &b, &t),
			 SKIT_EHTTP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_url_resolve),
		cmocka_unit_test(test_url_filename),
		cmocka_unit_test(test_url_addr_text),
		cmocka_unit_test(test_request_build),
		cmocka_unit_test(test_head_parse),
		cmocka_unit_test(test_head_bad),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunked_bad),
		cmocka_unit_test(test_content_range),
		cmocka_unit_test(test_request_accept_encoding),
		cmocka_unit_test(test_codings),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_stacked),
		cmocka_unit_test(test_decode_members),
		cmocka_unit_test(test_decode_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
