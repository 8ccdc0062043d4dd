/*
 * test_proxy.c - the proxy layer (skit/proxy.h): the URL grammar, every
 * reply parser on good, short, failing and garbage replies, and the
 * handshake on a socketpair against a scripted proxy: the requests it
 * writes, what it does with each reply, and that it never reads past
 * the reply (the tunnel's first bytes stay on the fd).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skit/proxy.h"

static void
test_url(void **state)
{
	struct skit_proxy p;
	struct skit_err err;

	(void)state;
	assert_int_equal(skit_proxy_parse("socks5://127.0.0.1:9050", &p, &err),
			 0);
	assert_int_equal(p.type, SKIT_PROXY_SOCKS5);
	assert_string_equal(p.host, "127.0.0.1");
	assert_int_equal(p.port, 9050);
	assert_false(p.has_auth);

	assert_int_equal(
		skit_proxy_parse("SOCKS5H://u%40x:p%3Aw@[::1]:1", &p, &err), 0);
	assert_string_equal(p.host, "::1");
	assert_string_equal(p.user, "u@x");
	assert_string_equal(p.pass, "p:w");
	assert_true(p.has_auth);

	assert_int_equal(skit_proxy_parse("http://proxy.test/", &p, &err), 0);
	assert_int_equal(p.type, SKIT_PROXY_HTTP);
	assert_int_equal(p.port, 1080);
	assert_int_equal(skit_proxy_parse("socks4a://bob@h:2", &p, &err), 0);
	assert_int_equal(p.type, SKIT_PROXY_SOCKS4A);
	assert_string_equal(p.user, "bob");

	static const char *const bad[] = {
		"127.0.0.1:1080",   "ftp://h:1",	 "socks5://",
		"socks5://h:",	    "socks5://h:0",	 "socks5://h:65536",
		"socks5://h:1x",    "http://h:1/path",	 "socks5://[::1",
		"socks5://u%4@h:1", "socks5://u%00@h:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(skit_proxy_parse(bad[i], &p, &err),
				 SKIT_EOPTION);
		assert_string_equal(err.op, "proxy");
	}
}

static ssize_t
parse(enum skit_proxy_stage st, const char *b, size_t n,
      struct skit_proxy_reply *r, size_t *need)
{
	return skit_proxy_parse_reply(st, b, n, r, need);
}

static void
test_socks5_replies(void **state)
{
	struct skit_proxy_reply r;
	size_t need;

	(void)state;
	/* method choice */
	assert_int_equal(parse(SKIT_PROXY_S5_METHOD, "\x05", 1, &r, &need), 0);
	assert_int_equal(need, 1);
	assert_int_equal(parse(SKIT_PROXY_S5_METHOD, "\x05\x00", 2, &r, &need),
			 2);
	assert_int_equal(r.code, 0);
	assert_int_equal(parse(SKIT_PROXY_S5_METHOD, "\x05\xff", 2, &r, &need),
			 2);
	assert_int_equal(r.code, -EACCES);
	assert_int_equal(parse(SKIT_PROXY_S5_METHOD, "\x05\x01", 2, &r, &need),
			 SKIT_EPROTO);
	assert_int_equal(parse(SKIT_PROXY_S5_METHOD, "HT", 2, &r, &need),
			 SKIT_EPROTO);
	/* RFC 1929 status */
	assert_int_equal(parse(SKIT_PROXY_S5_AUTH, "\x01\x00", 2, &r, &need),
			 2);
	assert_int_equal(r.code, 0);
	assert_int_equal(parse(SKIT_PROXY_S5_AUTH, "\x01\x01", 2, &r, &need),
			 2);
	assert_int_equal(r.code, -EACCES);
	assert_string_equal(r.why, "authentication failed (status 1)");
	/* CONNECT replies: IPv4, IPv6, a name; short; failures */
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY, "\x05\x00\x00\x01\x7f", 5,
			       &r, &need),
			 0);
	assert_int_equal(need, 5);
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY,
			       "\x05\x00\x00\x01\x7f\0\0\x01\x04\x38xyz", 13,
			       &r, &need),
			 10);
	assert_int_equal(r.code, 0);
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY,
			       "\x05\x00\x00\x04"
			       "0123456789abcdef\x01\x02",
			       22, &r, &need),
			 22);
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY, "\x05\x00\x00\x03\x03", 5,
			       &r, &need),
			 0);
	assert_int_equal(need, 5);
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY,
			       "\x05\x00\x00\x03\x03"
			       "abc\x00\x50",
			       10, &r, &need),
			 10);
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY,
			       "\x05\x05\x00\x01\0\0\0\0\0\0", 10, &r, &need),
			 10);
	assert_int_equal(r.code, -ECONNREFUSED);
	assert_int_equal(r.status, 5);
	assert_string_equal(r.why,
			    "connection refused by destination (reply 5)");
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY,
			       "\x05\x02\x00\x01\0\0\0\0\0\0", 10, &r, &need),
			 10);
	assert_int_equal(r.code, -EACCES);
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY,
			       "\x05\x04\x00\x01\0\0\0\0\0\0", 10, &r, &need),
			 10);
	assert_int_equal(r.code, -EHOSTUNREACH);
	assert_int_equal(parse(SKIT_PROXY_S5_REPLY,
			       "\x05\x63\x00\x01\0\0\0\0\0\0", 10, &r, &need),
			 10);
	assert_int_equal(r.code, SKIT_EPROTO);
	assert_int_equal(
		parse(SKIT_PROXY_S5_REPLY, "\x05\x00\x00\x09\0", 5, &r, &need),
		SKIT_EPROTO);
	assert_int_equal(
		parse(SKIT_PROXY_S5_REPLY, "\x04\x5a\x00\x01\0", 5, &r, &need),
		SKIT_EPROTO);
}

static void
test_socks4_replies(void **state)
{
	struct skit_proxy_reply r;
	size_t need;

	(void)state;
	assert_int_equal(parse(SKIT_PROXY_S4_REPLY, "\0\x5a\0", 3, &r, &need),
			 0);
	assert_int_equal(need, 5);
	assert_int_equal(
		parse(SKIT_PROXY_S4_REPLY, "\0\x5a\0\0\0\0\0\0", 8, &r, &need),
		8);
	assert_int_equal(r.code, 0);
	assert_int_equal(
		parse(SKIT_PROXY_S4_REPLY, "\0\x5b\0\0\0\0\0\0", 8, &r, &need),
		8);
	assert_int_equal(r.code, -ECONNREFUSED);
	assert_int_equal(
		parse(SKIT_PROXY_S4_REPLY, "\0\x5d\0\0\0\0\0\0", 8, &r, &need),
		8);
	assert_int_equal(r.code, -EACCES);
	assert_int_equal(
		parse(SKIT_PROXY_S4_REPLY, "\0\x77\0\0\0\0\0\0", 8, &r, &need),
		SKIT_EPROTO);
	assert_int_equal(parse(SKIT_PROXY_S4_REPLY, "\x05\x5a\0\0\0\0\0\0", 8,
			       &r, &need),
			 SKIT_EPROTO);
}

static void
test_http_replies(void **state)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n"
				 "Proxy-Agent: x\r\n\r\nSSH-2.0";
	struct skit_proxy_reply r;
	size_t need;

	(void)state;
	assert_int_equal(parse(SKIT_PROXY_HTTP_REPLY, ok, 20, &r, &need), 0);
	assert_int_equal(need, 2);
	assert_int_equal(parse(SKIT_PROXY_HTTP_REPLY, ok, 37, &r, &need), 0);
	assert_int_equal(need, 1);
	assert_int_equal(
		parse(SKIT_PROXY_HTTP_REPLY, ok, sizeof(ok) - 1, &r, &need),
		(ssize_t)(sizeof(ok) - 1 - 7));
	assert_int_equal(r.code, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(parse(SKIT_PROXY_HTTP_REPLY,
			       "HTTP/1.0 407 Proxy Authentication Required\r\n"
			       "\r\n",
			       46, &r, &need),
			 46);
	assert_int_equal(r.code, -EACCES);
	assert_string_equal(r.why, "proxy authentication failed (407 Proxy "
				   "Authentication Required)");
	assert_int_equal(parse(SKIT_PROXY_HTTP_REPLY,
			       "HTTP/1.0 502 Bad Gateway\n\n", 26, &r, &need),
			 26);
	assert_int_equal(r.code, -ECONNREFUSED);
	assert_int_equal(parse(SKIT_PROXY_HTTP_REPLY,
			       "HTTP/1.0 504 Timeout\n\n", 22, &r, &need),
			 22);
	assert_int_equal(r.code, -ETIMEDOUT);
	assert_int_equal(parse(SKIT_PROXY_HTTP_REPLY, "\x05\x00", 2, &r, &need),
			 SKIT_EPROTO);
	assert_int_equal(
		parse(SKIT_PROXY_HTTP_REPLY, "HTTP/x 2\r\n\r\n", 12, &r, &need),
		SKIT_EPROTO);
}

/*
 * Run the handshake over a socketpair: proxy_side gets the requests and
 * answers with the scripted replies. Returns the handshake's code.
 */
struct script {
	const char *reply[3];
	size_t len[3];
};

static int
run(const struct skit_proxy *p, const char *host, const struct script *s,
    char *seen, size_t *seenlen, struct skit_err *err)
{
	struct skit_proxy_cfg cfg = {
		.proxy = p,
		.host = host,
		.port = 80,
		.proxy_text = "tcp:127.0.0.1:1080",
		.err = err,
	};
	struct skit_conn *c;
	int sv[2], rc, k = 0;
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, false, &c),
			 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_proxy, &cfg, err), 0);
	*seenlen = 0;
	for (int i = 0; i < 20; i++) {
		rc = skit_conn_handshake(c);
		if (rc != -EAGAIN)
			break;
		n = read(sv[1], seen + *seenlen, 1024);
		if (n > 0)
			*seenlen += (size_t)n;
		if (k < 3 && s->reply[k]) {
			if (s->len[k] == 0) {
				shutdown(sv[1], SHUT_WR);
			} else {
				assert_int_equal(
					write(sv[1], s->reply[k], s->len[k]),
					(ssize_t)s->len[k]);
			}
			k++;
		}
	}
	/* What the proxy sent after its reply is still on the fd. */
	if (rc == 0) {
		char b[16];

		n = recv(sv[0], b, sizeof(b), MSG_DONTWAIT);
		assert_int_equal(n, 4);
		assert_memory_equal(b, "DATA", 4);
	}
	skit_conn_free(c);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static void
test_handshake(void **state)
{
	struct skit_proxy p;
	struct skit_err err;
	char seen[2048], errtext[600];
	size_t n;
	struct script s5ok = { { "\x05\x00",
				 "\x05\x00\x00\x01\x7f\0\0\x01\x00\x50"
				 "DATA" },
			       { 2, 14 } };
	struct script s5auth = { { "\x05\x02", "\x01\x00",
				   "\x05\x00\x00\x01\0\0\0\0\0\0DATA" },
				 { 2, 2, 14 } };
	struct script s5bad = { { "\x05\x02", "\x01\x01" }, { 2, 2 } };
	struct script s5cut = { { "\x05\x00", "" }, { 2, 0 } };
	struct script s5refused = {
		{ "\x05\x00", "\x05\x05\x00\x01\0\0\0\0\0\0" }, { 2, 10 }
	};
	struct script s4ok = { { "\0\x5a\0\0\0\0\0\0DATA" }, { 12 } };
	struct script hok = { { "HTTP/1.1 200 OK\r\n\r\nDATA" }, { 23 } };
	struct script hgarbage = { { "SSH-2.0-OpenSSH\r\n" }, { 17 } };

	(void)state;
	assert_int_equal(skit_proxy_parse("socks5://h:1", &p, &err), 0);
	assert_int_equal(run(&p, "example.test", &s5ok, seen, &n, &err), 0);
	assert_int_equal(n, 3 + 5 + 12 + 2);
	assert_memory_equal(seen, "\x05\x01\x00\x05\x01\x00\x03\x0c", 8);
	assert_memory_equal(seen + 8, "example.test\x00\x50", 14);

	assert_int_equal(run(&p, "::1", &s5refused, seen, &n, &err),
			 -ECONNREFUSED);
	assert_memory_equal(seen + 3, "\x05\x01\x00\x04", 4);
	skit_err_format(&err, errtext, sizeof(errtext));
	assert_string_equal(errtext,
			    "socks5 proxy tcp:127.0.0.1:1080: connection "
			    "refused by destination (reply 5)");
	assert_int_equal(run(&p, "10.0.0.1", &s5cut, seen, &n, &err),
			 -ECONNRESET);

	assert_int_equal(skit_proxy_parse("socks5://al:pw@h:1", &p, &err), 0);
	assert_int_equal(run(&p, "10.0.0.1", &s5auth, seen, &n, &err), 0);
	assert_memory_equal(seen,
			    "\x05\x02\x00\x02\x01\x02"
			    "al\x02"
			    "pw",
			    11);
	assert_int_equal(run(&p, "10.0.0.1", &s5bad, seen, &n, &err), -EACCES);

	assert_int_equal(skit_proxy_parse("socks4a://id@h:1", &p, &err), 0);
	assert_int_equal(run(&p, "name.test", &s4ok, seen, &n, &err), 0);
	assert_int_equal(n, 8 + 3 + 10);
	assert_memory_equal(seen, "\x04\x01\x00\x50\0\0\0\x01id\0name.test\0",
			    21);

	assert_int_equal(skit_proxy_parse("http://u:p@h:1", &p, &err), 0);
	assert_int_equal(run(&p, "::1", &hok, seen, &n, &err), 0);
	seen[n] = '\0';
	assert_string_equal(seen, "CONNECT [::1]:80 HTTP/1.1\r\n"
				  "Host: [::1]:80\r\n"
				  "Proxy-Authorization: Basic dTpw\r\n\r\n");
	assert_int_equal(run(&p, "a.test", &hgarbage, seen, &n, &err),
			 SKIT_EPROTO);
	assert_string_equal(err.op, "http proxy");
}

/* socat's proxy kinds parse into tcp-connect with proxy= (addr_proxy.c) */
static void
test_socat_kinds(void **state)
{
	static const struct {
		const char *in, *canon;
	} good[] = {
		{ "SOCKS4A:127.0.0.1:db.test:5432,socksport=9050",
		  "tcp-connect:db.test:5432,proxy=socks4a://127.0.0.1:9050" },
		{ "socks4:10.0.0.1:10.0.0.2:80,socksuser=nobody,nodelay",
		  "tcp-connect:10.0.0.2:80,nodelay,proxy=socks4://"
		  "nobody@10.0.0.1:1080" },
		{ "SOCKS5:[::1]:[fd00::1]:22",
		  "tcp-connect:[fd00::1]:22,proxy=socks5://[::1]:1080" },
		{ "SOCKS5-CONNECT:127.0.0.1:1081:h.test:80",
		  "tcp-connect:h.test:80,proxy=socks5://127.0.0.1:1081" },
		{ "PROXY:127.0.0.1:h.test:443,proxyport=3128,"
		  "proxy-authorization=a:b,connect-timeout=2",
		  "tcp-connect:h.test:443,connect-timeout=2000ms,proxy=http://"
		  "a:b@127.0.0.1:3128" },
		{ "PROXY-CONNECT:127.0.0.1:h.test:80,proxyauth=u:p",
		  "tcp-connect:h.test:80,proxy=http://u:p@127.0.0.1:8080" },
	};
	static const char *const bad[] = {
		"SOCKS4A:127.0.0.1:h.test",
		"PROXY:h.test:80",
		"SOCKS5-CONNECT:127.0.0.1:h.test:80",
		"SOCKS5:a:b:c:d",
	};
	struct skit_addr a;
	struct skit_err err;
	char text[SKIT_ADDR_TEXT_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(skit_addr_parse(good[i].in, SKIT_ROLE_DEFAULT,
						 &a, &err),
				 0);
		assert_true(skit_addr_format(&a, text, sizeof(text)) >= 0);
		assert_string_equal(text, good[i].canon);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
			skit_addr_parse(bad[i], SKIT_ROLE_DEFAULT, &a, &err),
			SKIT_EADDR);
}

/* The server side: what clients send, and the replies. */
static void
test_server_parsers(void **state)
{
	static const char head[] = "CONNECT [::1]:443 HTTP/1.1\r\n"
				   "Host: [::1]:443\r\n"
				   "Proxy-Authorization: Basic YWw6cHc=\r\n"
				   "\r\nDATA";
	struct skit_proxy_request rq;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(80) };
	char out[300];
	size_t need;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST, "\x05\x02",
						 2, &rq, &need),
			 0);
	assert_int_equal(need, 2);
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST,
						 "\x05\x02\x00\x02", 4, &rq,
						 &need),
			 4);
	assert_int_equal(rq.type, SKIT_PROXY_SOCKS5);
	assert_int_equal(rq.methods, 1u << 0 | 1u << 2);
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_AUTH,
						 "\x01\x02"
						 "al\x02"
						 "pw",
						 7, &rq, &need),
			 7);
	assert_string_equal(rq.user, "al");
	assert_string_equal(rq.pass, "pw");
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_REQUEST,
						 "\x05\x01\x00\x03\x06"
						 "a.test\x01\xbb",
						 13, &rq, &need),
			 13);
	assert_string_equal(rq.host, "a.test");
	assert_int_equal(rq.port, 443);
	assert_int_equal(rq.cmd, 1);
	assert_false(rq.host_is_literal);
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_REQUEST,
						 "\x05\x03\x00\x01\x7f\0\0\x01"
						 "\x00\x35",
						 10, &rq, &need),
			 10);
	assert_string_equal(rq.host, "127.0.0.1");
	assert_int_equal(rq.cmd, 3);
	assert_true(rq.host_is_literal);
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_REQUEST,
						 "\x05\x01\x00\x07\x00", 5, &rq,
						 &need),
			 SKIT_EPROTO);
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_REQUEST,
						 "\x05\x01\x00\x03\x00", 5, &rq,
						 &need),
			 SKIT_EPROTO);

	memset(&rq, 0, sizeof(rq));
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST, head, 20,
						 &rq, &need),
			 0);
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST, head,
						 sizeof(head) - 1, &rq, &need),
			 (ssize_t)(sizeof(head) - 1 - 4));
	assert_int_equal(rq.type, SKIT_PROXY_HTTP);
	assert_string_equal(rq.host, "::1");
	assert_int_equal(rq.port, 443);
	assert_true(rq.has_auth);
	assert_string_equal(rq.user, "al");
	assert_string_equal(rq.pass, "pw");
	static const char *const bad[] = {
		"GET https://a.test/ HTTP/1.1\r\n\r\n",
		"GET http://al@a.test/ HTTP/1.1\r\n\r\n",
		"GET http:///x HTTP/1.1\r\n\r\n",
		"GET http://a.test:0/ HTTP/1.1\r\n\r\n",
		"CONNECT a.test HTTP/1.1\r\n\r\n",
		"CONNECT a.test:0 HTTP/1.1\r\n\r\n",
		"CONNECT a.test:99999 HTTP/1.1\r\n\r\n",
		"CONNECT ::1:80 HTTP/1.1\r\n\r\n",
		"CONNECT a.test:80\r\n\r\n",
		"\x03\x01\x00\x50", /* SOCKS3 is nothing (4: SOCKS4) */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST,
							 bad[i], strlen(bad[i]),
							 &rq, &need),
				 SKIT_EPROTO);

	/* replies */
	assert_int_equal(skit_proxy_reply_method(0xff, out, sizeof(out)), 2);
	assert_memory_equal(out, "\x05\xff", 2);
	assert_int_equal(skit_proxy_reply_auth(false, out, sizeof(out)), 2);
	assert_memory_equal(out, "\x01\x01", 2);
	assert_int_equal(skit_proxy_reply_result(SKIT_PROXY_SOCKS5,
						 -ECONNREFUSED, NULL, out,
						 sizeof(out)),
			 10);
	assert_memory_equal(out, "\x05\x05\x00\x01\0\0\0\0\0\0", 10);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(skit_proxy_reply_result(SKIT_PROXY_SOCKS5, 0,
						 (struct sockaddr *)&sin, out,
						 sizeof(out)),
			 10);
	assert_memory_equal(out, "\x05\x00\x00\x01\x7f\0\0\x01\x00\x50", 10);
	assert_true(skit_proxy_reply_result(SKIT_PROXY_HTTP, -ETIMEDOUT, NULL,
					    out, sizeof(out)) > 0);
	assert_true(strncmp(out, "HTTP/1.1 504 ", 13) == 0);
	assert_true(skit_proxy_reply_result(SKIT_PROXY_HTTP, -EPERM, NULL, out,
					    sizeof(out)) > 0);
	assert_non_null(strstr(out, "Proxy-Authenticate: Basic"));
}

/*
 * The server's handshake against a client script on a socketpair: each
 * client message is written when the server waits to read, and what
 * the server wrote is collected.
 */
static int
accept_run(const struct skit_proxy_server_cfg *cfg, const char *const *msg,
	   const size_t *len, int nmsg, struct skit_proxy_request *rq,
	   char *seen, size_t *seenlen)
{
	struct skit_proxy_accept *pa;
	int sv[2], rc = -EAGAIN, k = 0;
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(skit_proxy_accept_new(cfg, &pa), 0);
	*seenlen = 0;
	for (int i = 0; i < 20 && rc == -EAGAIN; i++) {
		rc = skit_proxy_accept_request(pa, sv[0], rq);
		n = recv(sv[1], seen + *seenlen, 512, MSG_DONTWAIT);
		if (n > 0)
			*seenlen += (size_t)n;
		if (rc == -EAGAIN && k < nmsg) {
			if (len[k] == 0)
				shutdown(sv[1], SHUT_WR);
			else
				assert_int_equal(write(sv[1], msg[k], len[k]),
						 (ssize_t)len[k]);
			k++;
		}
	}
	if (rc == 0) {
		assert_int_equal(skit_proxy_accept_answer(pa, sv[0], 0, NULL),
				 0);
		n = recv(sv[1], seen + *seenlen, 512, MSG_DONTWAIT);
		if (n > 0)
			*seenlen += (size_t)n;
		/* the bytes after the request are still on the fd */
		n = recv(sv[0], seen + 1024, 16, MSG_DONTWAIT);
		assert_int_equal(n, 4);
		assert_memory_equal(seen + 1024, "DATA", 4);
	}
	skit_proxy_accept_free(pa);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static void
test_server_accept(void **state)
{
	struct skit_proxy_server_cfg open_cfg = { .socks5 = true,
						  .http = true };
	struct skit_proxy_server_cfg auth_cfg = {
		.socks5 = true, .http = true, .user = "al", .pass = "pw"
	};
	const char *s5[] = { "\x05\x01\x00", "\x05\x01\x00\x03\x06"
					     "a.test\x00\x50"
					     "DATA" };
	size_t s5l[] = { 3, 17 };
	const char *s5a[] = { "\x05\x01\x02",
			      "\x01\x02"
			      "al\x02"
			      "pw",
			      "\x05\x01\x00\x01\x7f\0\0\x01\x00\x50"
			      "DATA" };
	size_t s5al[] = { 3, 7, 14 };
	const char *s5bad[] = { "\x05\x01\x02", "\x01\x02"
						"al\x02"
						"no" };
	size_t s5badl[] = { 3, 7 };
	const char *s5udp[] = { "\x05\x01\x00",
				"\x05\x03\x00\x01\0\0\0\0\0\0" };
	size_t s5udpl[] = { 3, 10 };
	const char *h[] = { "CONNECT 10.0.0.1:22 HTTP/1.1\r\n"
			    "Proxy-Authorization: Basic YWw6cHc=\r\n\r\nDATA" };
	size_t hl[] = { 70 };
	const char *hget[] = { "GET / HTTP/1.1\r\n\r\n" };
	size_t hgetl[] = { 18 };
	const char *cut[] = { "\x05\x01", "" };
	size_t cutl[] = { 2, 0 };
	struct skit_proxy_request rq;
	char seen[2048];
	size_t n;

	(void)state;
	assert_int_equal(accept_run(&open_cfg, s5, s5l, 2, &rq, seen, &n), 0);
	assert_string_equal(rq.host, "a.test");
	assert_int_equal(rq.port, 80);
	assert_int_equal(n, 2 + 10);
	assert_memory_equal(seen, "\x05\x00\x05\x00\x00\x01", 6);

	/* a client without the required method, with a wrong password */
	assert_int_equal(accept_run(&auth_cfg, s5, s5l, 2, &rq, seen, &n),
			 -EACCES);
	assert_memory_equal(seen, "\x05\xff", 2);
	assert_int_equal(accept_run(&auth_cfg, s5a, s5al, 3, &rq, seen, &n), 0);
	assert_string_equal(rq.host, "127.0.0.1");
	assert_memory_equal(seen, "\x05\x02\x01\x00\x05\x00", 6);
	assert_int_equal(accept_run(&auth_cfg, s5bad, s5badl, 2, &rq, seen, &n),
			 -EACCES);
	assert_memory_equal(seen, "\x05\x02\x01\x01", 4);
	/* UDP ASSOCIATE: command not supported (reply 7) */
	assert_int_equal(accept_run(&open_cfg, s5udp, s5udpl, 2, &rq, seen, &n),
			 SKIT_EPROTO);
	assert_memory_equal(seen + 2, "\x05\x07", 2);

	hl[0] = strlen(h[0]);
	assert_int_equal(accept_run(&auth_cfg, h, hl, 1, &rq, seen, &n), 0);
	assert_string_equal(rq.host, "10.0.0.1");
	assert_int_equal(rq.port, 22);
	seen[n] = '\0';
	assert_string_equal(seen,
			    "HTTP/1.1 200 Connection established\r\n\r\n");
	assert_int_equal(accept_run(&open_cfg, hget, hgetl, 1, &rq, seen, &n),
			 SKIT_EPROTO);
	assert_true(strncmp(seen, "HTTP/1.1 405 ", 13) == 0);
	assert_int_equal(accept_run(&open_cfg, cut, cutl, 2, &rq, seen, &n),
			 -ECONNRESET);
}

/* SOCKS4 and 4a requests, and the SOCKS4 answer. */
static void
test_server_socks4(void **state)
{
	static const char s4[] = "\x04\x01\x00\x50\x7f\0\0\x01"
				 "al\0DATA";
	static const char s4a[] = "\x04\x01\x01\xbb\0\0\0\x01"
				  "\0a.test\0DATA";
	struct skit_proxy_request rq;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(80) };
	uint8_t out[64], longid[400];
	size_t need;

	(void)state;
	memset(&rq, 0, sizeof(rq));
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST, s4,
						 sizeof(s4) - 1, &rq, &need),
			 11);
	assert_int_equal(rq.type, SKIT_PROXY_SOCKS4A);
	assert_int_equal(rq.cmd, 1);
	assert_int_equal(rq.port, 80);
	assert_string_equal(rq.host, "127.0.0.1");
	assert_true(rq.host_is_literal);
	assert_string_equal(rq.user, "al");
	assert_false(rq.has_auth);
	/* every prefix is incomplete, asking no further than the NUL */
	for (size_t n = 0; n < 11; n++) {
		assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST, s4,
							 n, &rq, &need),
				 0);
		assert_true(need >= 1 && n + need <= 11);
	}
	memset(&rq, 0, sizeof(rq));
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST, s4a,
						 sizeof(s4a) - 1, &rq, &need),
			 16);
	assert_string_equal(rq.host, "a.test");
	assert_int_equal(rq.port, 443);
	assert_false(rq.host_is_literal);
	for (size_t n = 9; n < 16; n++)
		assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST,
							 s4a, n, &rq, &need),
				 0);
	/* an empty 4a name, a USERID past 255 bytes */
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST,
						 "\x04\x01\0\x50\0\0\0\x01\0\0",
						 10, &rq, &need),
			 SKIT_EPROTO);
	memset(longid, 'u', sizeof(longid));
	memcpy(longid, "\x04\x01\0\x50\x7f\0\0\x01", 8);
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST, longid,
						 sizeof(longid), &rq, &need),
			 SKIT_ELIMIT);

	assert_int_equal(skit_proxy_reply_result(SKIT_PROXY_SOCKS4A, 0,
						 (struct sockaddr *)&sin, out,
						 sizeof(out)),
			 8);
	assert_memory_equal(out, "\0\x5a\0\x50\0\0\0\0", 8);
	assert_int_equal(skit_proxy_reply_result(SKIT_PROXY_SOCKS4A,
						 -ECONNREFUSED, NULL, out,
						 sizeof(out)),
			 8);
	assert_memory_equal(out, "\0\x5b\0\0\0\0\0\0", 8);
}

/* SOCKS5 UDP datagram headers, both ways. */
static void
test_server_udp(void **state)
{
	struct skit_proxy_request rq;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(53) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(7) };
	uint8_t out[64];

	(void)state;
	memset(&rq, 0, sizeof(rq));
	assert_int_equal(skit_proxy_udp_parse("\0\0\0\x01\x7f\0\0\x01\0\x35"
					      "hi",
					      12, &rq),
			 10);
	assert_string_equal(rq.host, "127.0.0.1");
	assert_int_equal(rq.port, 53);
	assert_true(rq.host_is_literal);
	assert_int_equal(skit_proxy_udp_parse("\0\0\0\x03\x06"
					      "a.test\0\x35",
					      13, &rq),
			 13);
	assert_string_equal(rq.host, "a.test");
	assert_false(rq.host_is_literal);
	/* a fragment, a short header, a bad type, an empty name */
	assert_int_equal(
		skit_proxy_udp_parse("\0\0\x01\x01\x7f\0\0\x01\0\x35", 10, &rq),
		SKIT_EPROTO);
	assert_int_equal(
		skit_proxy_udp_parse("\0\0\0\x01\x7f\0\0\x01\0", 9, &rq),
		SKIT_EPROTO);
	assert_int_equal(
		skit_proxy_udp_parse("\0\0\0\x05\x7f\0\0\x01\0\x35", 10, &rq),
		SKIT_EPROTO);
	assert_int_equal(skit_proxy_udp_parse("\0\0\0\x03\0\0\x35", 7, &rq),
			 SKIT_EPROTO);

	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	assert_int_equal(skit_proxy_udp_header((struct sockaddr *)&sin, out,
					       sizeof(out)),
			 10);
	assert_memory_equal(out, "\0\0\0\x01\x0a\x01\x02\x03\0\x35", 10);
	sin6.sin6_addr = in6addr_loopback;
	assert_int_equal(skit_proxy_udp_header((struct sockaddr *)&sin6, out,
					       sizeof(out)),
			 22);
	assert_int_equal(out[3], 4);
	assert_int_equal(out[19], 1);
	assert_int_equal(out[21], 7);
	assert_int_equal(skit_proxy_udp_header((struct sockaddr *)&sin, out, 8),
			 0);
	/* a header written is read back */
	assert_int_equal(skit_proxy_udp_parse(out, 22, &rq), 22);
	assert_string_equal(rq.host, "::1");
	assert_int_equal(rq.port, 7);
}

/* The handshake with SOCKS4 and UDP ASSOCIATE, as the cfg says. */
static void
test_server_accept_more(void **state)
{
	struct skit_proxy_server_cfg no4 = { .socks5 = true, .http = true };
	struct skit_proxy_server_cfg all = {
		.socks5 = true, .http = true, .socks4 = true, .udp = true
	};
	struct skit_proxy_server_cfg auth = {
		.socks5 = true, .socks4 = true, .user = "al", .pass = "pw"
	};
	const char *s4[] = { "\x04\x01\x00\x50\x7f\0\0\x01"
			     "al\0DATA" };
	size_t s4l[] = { 15 };
	const char *bind4[] = { "\x04\x02\x00\x50\x7f\0\0\x01"
				"\0" };
	size_t bind4l[] = { 9 };
	const char *udp[] = { "\x05\x01\x00", "\x05\x03\x00\x01\0\0\0\0\0\0"
					      "DATA" };
	size_t udpl[] = { 3, 14 };
	struct skit_proxy_request rq;
	char seen[2048];
	size_t n;

	(void)state;
	/* SOCKS4 not served: rejected (91) */
	assert_int_equal(accept_run(&no4, s4, s4l, 1, &rq, seen, &n),
			 SKIT_EPROTO);
	assert_int_equal(n, 8);
	assert_memory_equal(seen, "\0\x5b", 2);
	assert_int_equal(accept_run(&all, s4, s4l, 1, &rq, seen, &n), 0);
	assert_int_equal(rq.type, SKIT_PROXY_SOCKS4A);
	assert_string_equal(rq.host, "127.0.0.1");
	assert_int_equal(n, 8);
	assert_memory_equal(seen, "\0\x5a", 2);
	/* SOCKS4 has no password: refused (91) when one is required */
	assert_int_equal(accept_run(&auth, s4, s4l, 1, &rq, seen, &n), -EACCES);
	assert_int_equal(n, 8);
	assert_memory_equal(seen, "\0\x5b", 2);
	/* BIND: not supported */
	assert_int_equal(accept_run(&all, bind4, bind4l, 1, &rq, seen, &n),
			 SKIT_EPROTO);
	assert_memory_equal(seen, "\0\x5b", 2);
	/* UDP ASSOCIATE is the caller's when asked */
	assert_int_equal(accept_run(&all, udp, udpl, 2, &rq, seen, &n), 0);
	assert_int_equal(rq.cmd, 3);
	assert_string_equal(rq.host, "0.0.0.0");
}

/* A plain request with an absolute URI: parsed, rewritten, not answered. */
static void
test_server_forward(void **state)
{
	static const char get[] = "GET http://a.test:8080/x?y HTTP/1.1\r\n"
				  "Host: a.test:8080\r\n"
				  "Proxy-Connection: keep-alive\r\n"
				  "Proxy-Authorization: Basic YWw6cHc=\r\n"
				  "Accept: */*\r\n\r\nBODY";
	static const char want[] = "GET /x?y HTTP/1.1\r\n"
				   "Host: a.test:8080\r\n"
				   "Accept: */*\r\n"
				   "Connection: close\r\n\r\n";
	struct skit_proxy_server_cfg cfg = { .http = true,
					     .user = "al",
					     .pass = "pw" };
	struct skit_proxy_server_cfg open_cfg = { .http = true };
	struct skit_proxy_accept *pa;
	struct skit_proxy_request rq;
	const char *head;
	char buf[64];
	size_t need, len;
	int sv[2];

	(void)state;
	memset(&rq, 0, sizeof(rq));
	assert_int_equal(skit_proxy_parse_client(SKIT_PROXY_C_FIRST, get,
						 sizeof(get) - 1, &rq, &need),
			 (ssize_t)(sizeof(get) - 1 - 4));
	assert_int_equal(rq.cmd, SKIT_PROXY_CMD_FORWARD);
	assert_string_equal(rq.host, "a.test");
	assert_int_equal(rq.port, 8080);
	assert_int_equal(
		skit_proxy_parse_client(SKIT_PROXY_C_FIRST,
					"GET http://[::1] HTTP/1.0\r\n\r\n", 29,
					&rq, &need),
		29);
	assert_string_equal(rq.host, "::1");
	assert_int_equal(rq.port, 80);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(skit_proxy_accept_new(&cfg, &pa), 0);
	assert_int_equal(write(sv[1], get, sizeof(get) - 1),
			 (ssize_t)(sizeof(get) - 1));
	assert_int_equal(skit_proxy_accept_request(pa, sv[0], &rq), 0);
	head = skit_proxy_accept_forward(pa, &len);
	assert_non_null(head);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(head, want, len);
	/* granted: nothing is written, the body is still on the fd */
	assert_int_equal(skit_proxy_accept_answer(pa, sv[0], 0, NULL), 0);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), 4);
	skit_proxy_accept_free(pa);
	close(sv[0]);
	close(sv[1]);

	/* no Host field: the URI's; a refused destination: 502 */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(skit_proxy_accept_new(&open_cfg, &pa), 0);
	assert_int_equal(write(sv[1], "HEAD http://10.0.0.1 HTTP/1.0\n\n", 31),
			 31);
	assert_int_equal(skit_proxy_accept_request(pa, sv[0], &rq), 0);
	head = skit_proxy_accept_forward(pa, &len);
	assert_non_null(head);
	assert_memory_equal(head,
			    "HEAD / HTTP/1.0\nHost: 10.0.0.1\r\n"
			    "Connection: close\r\n\r\n",
			    len);
	assert_int_equal(
		skit_proxy_accept_answer(pa, sv[0], -ECONNREFUSED, NULL), 0);
	assert_int_equal(recv(sv[1], buf, 13, MSG_DONTWAIT), 13);
	assert_memory_equal(buf, "HTTP/1.1 502 ", 13);
	skit_proxy_accept_free(pa);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_socks5_replies),
		cmocka_unit_test(test_socks4_replies),
		cmocka_unit_test(test_http_replies),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_socat_kinds),
		cmocka_unit_test(test_server_parsers),
		cmocka_unit_test(test_server_accept),
		cmocka_unit_test(test_server_socks4),
		cmocka_unit_test(test_server_udp),
		cmocka_unit_test(test_server_accept_more),
		cmocka_unit_test(test_server_forward),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
