/*
 * test_http_client.c - skit_http_fetch against a scripted server in a
 * thread on 127.0.0.1 (port 0): each connection gets the next canned
 * response, byte for byte, and the server keeps each request it read.
 * Redirects (relative, loop, max, 303 after POST), chunked with
 * trailers, until close, 1xx, 204/304/HEAD without a body, resume (206,
 * a bad Content-Range, 416 complete), retries (503 then 200, none after
 * a body went out, a kept 206 continued), the idle and total time-outs,
 * and the stop fd in a read and in a retry wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "sockhelp.h"

#include "skit/http_client.h"
#include "skit/loop.h"

#define MAX_STEPS 8

/* One connection: what the server answers, then how long it stays. */
struct step {
	const char *resp;
	int hold_ms; /* keep the connection open this long (or until EOF) */
};

struct srv {
	int lfd, quit[2];
	uint16_t port;
	const struct step *steps;
	int nsteps;
	int served;
	char req[MAX_STEPS][2048];
	pthread_t th;
};

/* Read a request head (and no more) into buf. */
static void
read_request(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	while (n + 1 < cap && !strstr(buf, "\r\n\r\n")) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			return;
		r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			return;
		n += (size_t)r;
		buf[n] = '\0';
	}
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;

	for (int i = 0; i < s->nsteps; i++) {
		struct pollfd p[2] = { { .fd = s->lfd, .events = POLLIN },
				       { .fd = s->quit[0], .events = POLLIN } };
		const struct step *st = &s->steps[i];
		int c;

		if (poll(p, 2, 10000) <= 0 || p[1].revents)
			break;
		c = accept(s->lfd, NULL, NULL);
		if (c < 0)
			break;
		read_request(c, s->req[i], sizeof(s->req[i]));
		s->served++;
		if (st->resp)
			(void)skit_write_all(c, st->resp, strlen(st->resp), -1);
		if (st->hold_ms) {
			struct pollfd h[2] = { { .fd = c, .events = POLLIN },
					       { .fd = s->quit[0],
						 .events = POLLIN } };
			char junk[256];

			/* Until the client closes, the quit pipe, or the time.
			 */
			while (poll(h, 2, st->hold_ms) > 0 && !h[1].revents &&
			       read(c, junk, sizeof(junk)) > 0)
				;
		}
		close(c);
	}
	return NULL;
}

static void
srv_start(struct srv *s, const struct step *steps, int n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->steps = steps;
	s->nsteps = n;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->lfd, 16), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	assert_int_equal(pipe(s->quit), 0);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void
srv_stop(struct srv *s)
{
	assert_int_equal(write(s->quit[1], "q", 1), 1);
	pthread_join(s->th, NULL);
	close(s->lfd);
	close(s->quit[0]);
	close(s->quit[1]);
}

/* --- the sink: everything recorded ------------------------------------- */

struct rec {
	char body[4096];
	size_t len;
	int heads, ends, ok_ends, events[16];
	long long range_from, expected, received;
	int last_end;
	char trailers[256];
	int fail_head; /* on_head returns this when set */
	int fail_body; /* on_body returns this when set */
};

static int
r_head(const struct skit_http_answer *a, void *data)
{
	struct rec *r = data;

	r->heads++;
	r->len = 0;
	r->range_from = a->range_from;
	r->expected = a->expected;
	return r->fail_head;
}

static int
r_body(const void *buf, size_t len, long long received, void *data)
{
	struct rec *r = data;

	if (r->fail_body)
		return r->fail_body;
	assert_true(r->len + len <= sizeof(r->body));
	memcpy(r->body + r->len, buf, len);
	r->len += len;
	r->received = received;
	return 0;
}

static int
r_end(int code, void *data)
{
	struct rec *r = data;

	r->ends++;
	r->ok_ends += code == 0;
	r->last_end = code;
	return 0;
}

static void
r_event(const struct skit_http_event *ev, void *data)
{
	struct rec *r = data;

	r->events[ev->kind]++;
	if (ev->kind == SKIT_HTTP_EV_TRAILERS)
		snprintf(r->trailers, sizeof(r->trailers), "%.*s", (int)ev->len,
			 ev->text);
}

/* A fetch of http://127.0.0.1:PORT/path with cfg (stopfd -1 if 0). */
struct run {
	struct rec rec;
	struct skit_http_fetch_result res;
	struct skit_err err;
	char msg[1024];
	int rc;
	long long ms;
};

static void
fetch(struct srv *s, const char *path, struct skit_http_fetch_req *req,
      struct skit_http_fetch_cfg *cfg, struct run *out)
{
	struct skit_http_sink sink = { r_head, r_body, r_end, r_event,
				       &out->rec };
	struct skit_url u;
	char text[128];
	long long t0 = skit_now_ns();

	snprintf(text, sizeof(text), "http://127.0.0.1:%u%s", s->port, path);
	assert_int_equal(skit_url_parse(text, &u, NULL), 0);
	req->url = &u;
	if (!cfg->idle_timeout_ms)
		cfg->idle_timeout_ms = 5000;
	skit_err_clear(&out->err);
	out->rc = skit_http_fetch(req, cfg, &sink, &out->res, &out->err);
	out->ms = (skit_now_ns() - t0) / 1000000;
	skit_err_format(&out->err, out->msg, sizeof(out->msg));
}

/* One fetch against steps; the server stopped after it. */
static void
fetch_steps(const struct step *steps, int n, const char *path,
	    struct skit_http_fetch_req *req, struct skit_http_fetch_cfg *cfg,
	    struct run *out, struct srv *s)
{
	srv_start(s, steps, n);
	fetch(s, path, req, cfg, out);
	srv_stop(s);
}

#define OK200(body) "HTTP/1.1 200 OK\r\nContent-Length: " #body "\r\n\r\n"

static void
test_plain(void **state)
{
	static const struct step st[] = {
		{ .resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" },
	};
	struct skit_http_fetch_req req = { 0 };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1 };
	struct run r = { 0 };
	struct srv s;

	(void)state;
	fetch_steps(st, 1, "/x", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.res.status, 200);
	assert_int_equal(r.rec.len, 5);
	assert_memory_equal(r.rec.body, "hello", 5);
	assert_int_equal(r.rec.heads, 1);
	assert_int_equal(r.rec.ok_ends, 1);
	assert_int_equal(r.rec.expected, 5);
	assert_int_equal(r.rec.received, 5);
	assert_non_null(strstr(s.req[0], "GET /x HTTP/1.1\r\n"));
	assert_int_equal(r.rec.events[SKIT_HTTP_EV_CONNECTED], 1);
	assert_int_equal(r.rec.events[SKIT_HTTP_EV_REQUEST], 1);
}

static void
test_redirect_relative(void **state)
{
	static const struct step st[] = {
		{ .resp = "HTTP/1.1 302 Found\r\nLocation: b/c?q=1\r\n"
			  "Content-Length: 0\r\n\r\n" },
		{ .resp = "HTTP/1.1 301 Moved\r\nLocation: ../d\r\n"
			  "Content-Length: 0\r\n\r\n" },
		{ .resp = OK200(2) "ok" },
	};
	struct skit_http_fetch_req req = {
		.method = "POST", .body = "x=1", .body_len = 3, .has_body = true
	};
	struct skit_http_fetch_cfg cfg = { .stopfd = -1, .max_redirects = 5 };
	struct run r = { 0 };
	struct srv s;

	(void)state;
	fetch_steps(st, 3, "/a/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.res.redirects, 2);
	assert_memory_equal(r.rec.body, "ok", 2);
	assert_non_null(strstr(s.req[0], "POST /a/ HTTP/1.1\r\n"));
	/* 302 and 301 turn the POST into a GET without a body. */
	assert_non_null(strstr(s.req[1], "GET /a/b/c?q=1 HTTP/1.1\r\n"));
	assert_null(strstr(s.req[1], "Content-Length"));
	assert_non_null(strstr(s.req[2], "GET /a/d HTTP/1.1\r\n"));
	assert_int_equal(r.rec.events[SKIT_HTTP_EV_REDIRECT], 2);
	/* Only the answer reaches the sink. */
	assert_int_equal(r.rec.heads, 1);
}

static void
test_redirect_loop_and_max(void **state)
{
	static const struct step loop[] = {
		{ .resp = "HTTP/1.1 302 Found\r\nLocation: /b\r\n\r\n" },
		{ .resp = "HTTP/1.1 302 Found\r\nLocation: a\r\n\r\n" },
	};
	static const struct step chain[] = {
		{ .resp = "HTTP/1.1 307 T\r\nLocation: /2\r\n\r\n" },
		{ .resp = "HTTP/1.1 308 P\r\nLocation: /3\r\n\r\n" },
	};
	struct skit_http_fetch_req req = { 0 };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1, .max_redirects = 5 };
	struct run r = { 0 };
	struct srv s;

	(void)state;
	fetch_steps(loop, 2, "/a", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EREDIRECT);
	assert_non_null(strstr(r.msg, "redirect loop"));
	assert_int_equal(r.rec.heads, 0);

	memset(&r, 0, sizeof(r));
	cfg.max_redirects = 1;
	fetch_steps(chain, 2, "/1", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EREDIRECT);
	assert_non_null(strstr(r.msg, "more than 1 redirects"));
	assert_int_equal(s.served, 2);

	/* max_redirects 0 follows none. */
	memset(&r, 0, sizeof(r));
	cfg.max_redirects = 0;
	fetch_steps(chain, 1, "/1", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EREDIRECT);
}

static void
test_chunked_close_1xx(void **state)
{
	static const struct step chunked[] = {
		{ .resp = "HTTP/1.1 100 Continue\r\n\r\n"
			  "HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
			  "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
			  "chunked\r\n\r\n"
			  "3;ext=1\r\nabc\r\n1\r\nd\r\n0\r\nX-Sum: 4\r\n\r\n",
		  6000 },
	};
	static const struct step until_close[] = {
		{ .resp = "HTTP/1.0 200 OK\r\n\r\nuntil close" },
	};
	static const struct step s101[] = {
		{ .resp = "HTTP/1.1 101 Switching Protocols\r\n\r\n" },
	};
	struct skit_http_fetch_req req = { 0 };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1 };
	struct run r = { 0 };
	struct srv s;

	(void)state;
	/* The chunked body ends at its last chunk: no wait for the close. */
	fetch_steps(chunked, 1, "/c", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rec.len, 4);
	assert_memory_equal(r.rec.body, "abcd", 4);
	assert_int_equal(r.rec.events[SKIT_HTTP_EV_HEAD], 3);
	assert_int_equal(r.rec.expected, -1);
	assert_string_equal(r.rec.trailers, "X-Sum: 4\n");
	assert_true(r.ms < 5000);

	memset(&r, 0, sizeof(r));
	fetch_steps(until_close, 1, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rec.len, 11);
	assert_memory_equal(r.rec.body, "until close", 11);

	memset(&r, 0, sizeof(r));
	fetch_steps(s101, 1, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EHTTP);
	assert_non_null(strstr(r.msg, "101"));
}

static void
test_no_body(void **state)
{
	/* The server keeps each connection: waiting for a body would hang
	 * until the hold ends. */
	static const struct step st[] = {
		{ .resp = "HTTP/1.1 204 No Content\r\n\r\n", 6000 },
		{ .resp = "HTTP/1.1 304 Not Modified\r\nContent-Length: "
			  "9\r\n\r\n",
		  6000 },
		{ .resp = "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n",
		  6000 },
	};
	const char *methods[] = { NULL, NULL, "HEAD" };

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct skit_http_fetch_req req = { .method = methods[i] };
		struct skit_http_fetch_cfg cfg = { .stopfd = -1 };
		struct run r = { 0 };
		struct srv s;

		fetch_steps(&st[i], 1, "/", &req, &cfg, &r, &s);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.rec.len, 0);
		assert_int_equal(r.rec.ok_ends, 1);
		assert_true(r.ms < 5000);
	}
}

static void
test_resume(void **state)
{
	static const struct step ok206[] = {
		{ .resp = "HTTP/1.1 206 Partial\r\nContent-Range: bytes "
			  "5-9/10\r\n"
			  "Content-Length: 5\r\n\r\n56789" },
	};
	static const struct step bad206[] = {
		{ .resp = "HTTP/1.1 206 Partial\r\nContent-Range: bytes "
			  "3-9/10\r\n"
			  "Content-Length: 7\r\n\r\n3456789" },
	};
	static const struct step garbled[] = {
		{ .resp = "HTTP/1.1 206 Partial\r\nContent-Range: bytes "
			  "five\r\n"
			  "Content-Length: 5\r\n\r\n56789" },
	};
	static const struct step whole[] = {
		{ .resp = OK200(10) "0123456789" },
	};
	static const struct step done416[] = {
		{ .resp = "HTTP/1.1 416 Range Not Satisfiable\r\n"
			  "Content-Range: bytes */10\r\nContent-Length: "
			  "0\r\n\r\n" },
	};
	struct skit_http_fetch_req req = { .range_from = 5,
					   .compressed = true };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1 };
	struct run r = { 0 };
	struct srv s;

	(void)state;
	fetch_steps(ok206, 1, "/f", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rec.range_from, 5);
	assert_memory_equal(r.rec.body, "56789", 5);
	assert_non_null(strstr(s.req[0], "Range: bytes=5-\r\n"));
	/* A range asks for the identity coding, even with compressed. */
	assert_non_null(strstr(s.req[0], "Accept-Encoding: identity\r\n"));

	memset(&r, 0, sizeof(r));
	fetch_steps(bad206, 1, "/f", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EHTTP);
	assert_non_null(strstr(r.msg, "asked for bytes from 5"));
	assert_int_equal(r.rec.heads, 0);

	memset(&r, 0, sizeof(r));
	fetch_steps(garbled, 1, "/f", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EHTTP);
	assert_non_null(strstr(r.msg, "bad Content-Range"));

	/* A 200: the whole body again, from 0. */
	memset(&r, 0, sizeof(r));
	fetch_steps(whole, 1, "/f", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rec.range_from, 0);
	assert_int_equal(r.rec.len, 10);
	assert_int_equal(r.rec.events[SKIT_HTTP_EV_RANGE_IGNORED], 1);

	memset(&r, 0, sizeof(r));
	req.range_from = 10;
	fetch_steps(done416, 1, "/f", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_true(r.res.complete);
	assert_int_equal(r.rec.heads, 0);

	/* A 416 for another size is an error status. */
	memset(&r, 0, sizeof(r));
	req.range_from = 7;
	fetch_steps(done416, 1, "/f", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EHTTPSTATUS);
	assert_int_equal(r.res.status, 416);
}

static void
test_retry_5xx(void **state)
{
	static const struct step st[] = {
		{ .resp = "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n" },
		{ .resp = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n" },
		{ .resp = OK200(2) "ok" },
	};
	static const struct step s404[] = {
		{ .resp = "HTTP/1.1 404 Not Found\r\nContent-Length: "
			  "0\r\n\r\n" },
	};
	struct skit_http_fetch_req req = { 0 };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1,
					   .retries = 3,
					   .interval_ms = 10 };
	struct run r = { 0 };
	struct srv s;

	(void)state;
	fetch_steps(st, 3, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.res.retries, 2);
	assert_int_equal(r.rec.events[SKIT_HTTP_EV_RETRY], 2);
	assert_memory_equal(r.rec.body, "ok", 2);
	assert_int_equal(r.rec.heads, 1);

	/* Out of retries: the last status. */
	memset(&r, 0, sizeof(r));
	cfg.retries = 1;
	fetch_steps(st, 2, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EHTTPSTATUS);
	assert_int_equal(r.res.status, 500);
	assert_non_null(strstr(r.msg, "server said 500 Oops"));

	/* A 4xx is not retried. */
	memset(&r, 0, sizeof(r));
	cfg.retries = 3;
	fetch_steps(s404, 1, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_EHTTPSTATUS);
	assert_int_equal(r.res.retries, 0);
}

static void
test_retry_after_body(void **state)
{
	static const struct step cut[] = {
		{ .resp = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n012" },
		{ .resp = OK200(10) "0123456789" },
	};
	static const struct step cut206[] = {
		{ .resp = "HTTP/1.1 206 P\r\nContent-Range: bytes 2-9/10\r\n"
			  "Content-Length: 8\r\n\r\n234" },
		{ .resp = "HTTP/1.1 206 P\r\nContent-Range: bytes 5-9/10\r\n"
			  "Content-Length: 5\r\n\r\n56789" },
	};
	struct skit_http_fetch_req req = { 0 };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1,
					   .retries = 2,
					   .interval_ms = 10 };
	struct run r = { 0 };
	struct srv s;

	(void)state;
	/* A stream sink: bytes went out, no retry. */
	fetch_steps(cut, 2, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, SKIT_ETRUNC);
	assert_non_null(strstr(r.msg, "after 3 of 10 body bytes"));
	assert_int_equal(s.served, 1);
	assert_int_equal(r.rec.ends, 1);
	assert_int_equal(r.rec.last_end, SKIT_ETRUNC);

	/* A sink that can throw the body away: retried, whole. */
	memset(&r, 0, sizeof(r));
	cfg.retry_after_body = true;
	fetch_steps(cut, 2, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rec.ends, 2);
	assert_int_equal(r.rec.ok_ends, 1);
	assert_memory_equal(r.rec.body, "0123456789", 10);

	/* A kept 206 goes on where it stopped. */
	memset(&r, 0, sizeof(r));
	req.range_from = 2;
	fetch_steps(cut206, 2, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(s.req[0], "Range: bytes=2-\r\n"));
	assert_non_null(strstr(s.req[1], "Range: bytes=5-\r\n"));
	assert_int_equal(r.rec.range_from, 5);

	/* A sink that fails is never retried. */
	memset(&r, 0, sizeof(r));
	req.range_from = 0;
	r.rec.fail_body = -ENOSPC;
	fetch_steps(cut, 2, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, -ENOSPC);
	assert_int_equal(s.served, 1);

	/* Nor one whose on_head fails; it still hears on_end. */
	memset(&r, 0, sizeof(r));
	r.rec.fail_head = -EACCES;
	fetch_steps(cut, 2, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, -EACCES);
	assert_int_equal(s.served, 1);
	assert_int_equal(r.rec.ends, 1);
	assert_int_equal(r.rec.last_end, -EACCES);
}

static void
test_refused_retry(void **state)
{
	struct skit_http_fetch_req req = { 0 };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1,
					   .retries = 2,
					   .interval_ms = 5 };
	struct run r = { 0 };
	struct srv s;
	static const struct step none[] = { { NULL } };

	(void)state;
	/* A port that was just closed refuses. */
	srv_start(&s, none, 0);
	srv_stop(&s);
	fetch(&s, "/", &req, &cfg, &r);
	assert_int_equal(r.rc, -ECONNREFUSED);
	assert_int_equal(r.res.retries, 2);
	assert_string_equal(r.err.op, "connect");
}

static void
test_idle_and_total_timeout(void **state)
{
	static const struct step silent[] = { { NULL, 6000 } };
	static const struct step slow[] = {
		{ .resp = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0",
		  6000 },
	};
	struct skit_http_fetch_req req = { 0 };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1,
					   .idle_timeout_ms = 100 };
	struct run r = { 0 };
	struct srv s;

	(void)state;
	fetch_steps(silent, 1, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, -ETIMEDOUT);
	assert_non_null(strstr(r.msg, "no data for 100 ms"));
	assert_true(r.ms < 5000);

	memset(&r, 0, sizeof(r));
	cfg.idle_timeout_ms = 0;
	cfg.total_timeout_ms = 150;
	fetch_steps(slow, 1, "/", &req, &cfg, &r, &s);
	assert_int_equal(r.rc, -ETIMEDOUT);
	assert_non_null(strstr(r.msg, "took longer than 150 ms"));
	assert_int_equal(r.rec.last_end, -ETIMEDOUT);
	assert_true(r.ms < 5000);
}

/* Signal the stop fd after 100 ms. */
static void *
stopper(void *arg)
{
	struct timespec ts = { 0, 100 * 1000000 };

	nanosleep(&ts, NULL);
	skit_eventfd_signal(*(int *)arg);
	return NULL;
}

static void
test_stop_fd(void **state)
{
	static const struct step silent[] = { { NULL, 6000 } };
	static const struct step busy[] = {
		{ .resp = "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n" },
	};
	struct skit_http_fetch_req req = { 0 };
	struct skit_http_fetch_cfg cfg = { .idle_timeout_ms = 10000 };
	struct run r = { 0 };
	struct srv s;
	pthread_t th;
	int efd = skit_eventfd();

	(void)state;
	assert_true(efd >= 0);
	cfg.stopfd = efd;
	/* In a read. */
	assert_int_equal(pthread_create(&th, NULL, stopper, &efd), 0);
	fetch_steps(silent, 1, "/", &req, &cfg, &r, &s);
	pthread_join(th, NULL);
	assert_int_equal(r.rc, -ECANCELED);
	assert_true(r.ms < 5000);
	skit_close(efd);

	/* In a retry wait of 10 s. */
	efd = skit_eventfd();
	cfg.stopfd = efd;
	cfg.retries = 3;
	cfg.interval_ms = 10000;
	memset(&r, 0, sizeof(r));
	assert_int_equal(pthread_create(&th, NULL, stopper, &efd), 0);
	fetch_steps(busy, 1, "/", &req, &cfg, &r, &s);
	pthread_join(th, NULL);
	assert_int_equal(r.rc, -ECANCELED);
	assert_int_equal(r.rec.events[SKIT_HTTP_EV_RETRY], 1);
	assert_true(r.ms < 5000);
	skit_close(efd);
}

static void
test_via_and_credentials(void **state)
{
	static const struct step st[] = {
		{ .resp = "HTTP/1.1 302 Found\r\nLocation: "
			  "http://other.test/z\r\n\r\n" },
		{ .resp = OK200(1) "z" },
	};
	const char *hdrs[] = { "Authorization: Basic eA==", "X-Keep: 1" };
	struct skit_http_fetch_req req = { .headers = hdrs, .nheaders = 2 };
	struct skit_http_fetch_cfg cfg = { .stopfd = -1, .max_redirects = 2 };
	struct skit_http_sink sink = { r_head, r_body, r_end, r_event, NULL };
	struct skit_addr via;
	struct skit_url u;
	struct run r = { 0 };
	char text[64];
	struct srv s;

	(void)state;
	srv_start(&s, st, 2);
	snprintf(text, sizeof(text), "tcp:127.0.0.1:%u", s.port);
	th_parse(text, SKIT_ROLE_CONNECT, &via);
	cfg.via = &via;
	cfg.idle_timeout_ms = 5000;
	sink.data = &r.rec;
	assert_int_equal(skit_url_parse("http://app.test/a", &u, NULL), 0);
	req.url = &u;
	r.rc = skit_http_fetch(&req, &cfg, &sink, &r.res, &r.err);
	srv_stop(&s);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(s.req[0], "Host: app.test\r\n"));
	assert_non_null(strstr(s.req[0], "Authorization: Basic"));
	/* Another origin: the credentials stay behind. */
	assert_non_null(strstr(s.req[1], "Host: other.test\r\n"));
	assert_null(strstr(s.req[1], "Authorization"));
	assert_non_null(strstr(s.req[1], "X-Keep: 1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_redirect_relative),
		cmocka_unit_test(test_redirect_loop_and_max),
		cmocka_unit_test(test_chunked_close_1xx),
		cmocka_unit_test(test_no_body),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_retry_5xx),
		cmocka_unit_test(test_retry_after_body),
		cmocka_unit_test(test_refused_retry),
		cmocka_unit_test(test_idle_and_total_timeout),
		cmocka_unit_test(test_stop_fd),
		cmocka_unit_test(test_via_and_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
