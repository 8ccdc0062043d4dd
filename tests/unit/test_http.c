/*
 * test_http.c - URLs, request heads, response heads, chunked decoding.
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
