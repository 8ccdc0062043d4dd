/*
 * test_proxy_serve.c - the proxy server engine (skit/proxy_serve.h),
 * driven in-process on one loop with loopback sockets: a SOCKS5 CONNECT
 * relayed both ways (on_open, on_close with the byte counts), an HTTP
 * CONNECT, the destination acl refusing a literal (reply 2 / 403) and a
 * connected peer by name, the client acl (the serve's DENIED report),
 * wrong credentials, a silent client timed out, and a SOCKS5 UDP
 * ASSOCIATE: a datagram unwrapped to its destination and the answer
 * wrapped back, one to a destination the acl refuses dropped and
 * counted, the association ended with its control connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>

#include "skit/loop.h"
#include "skit/proxy_serve.h"
#include "sockhelp.h"

struct seen {
	int opens, closes, refusals, events[SKIT_SERVE_EVENT_KINDS];
	struct skit_proxy_tunnel_stats st;
	char why[300], dest[300], udp[300];
};

static void
on_open(struct skit_proxy_serve *ps, const struct skit_proxy_tunnel *t,
	void *data)
{
	struct seen *w = data;
	const char *u = skit_proxy_tunnel_udp_relay(t);

	(void)ps;
	w->opens++;
	snprintf(w->dest, sizeof(w->dest), "%s", skit_proxy_tunnel_dest(t));
	snprintf(w->udp, sizeof(w->udp), "%s", u ? u : "");
	assert_true(skit_proxy_tunnel_id(t) >= 1);
	assert_non_null(skit_proxy_tunnel_client(t));
}

static void
on_close(struct skit_proxy_serve *ps, const struct skit_proxy_tunnel *t,
	 const struct skit_proxy_tunnel_stats *st, void *data)
{
	struct seen *w = data;

	(void)ps;
	(void)t;
	w->closes++;
	w->st = *st;
	assert_true(st->end_ns >= st->start_ns);
	assert_non_null(st->reason);
}

static void
on_refused(struct skit_proxy_serve *ps, const struct skit_proxy_tunnel *t,
	   const char *why, void *data)
{
	struct seen *w = data;

	(void)ps;
	w->refusals++;
	snprintf(w->why, sizeof(w->why), "%s", why);
	snprintf(w->dest, sizeof(w->dest), "%s", skit_proxy_tunnel_dest(t));
}

static void
on_event(struct skit_proxy_serve *ps, const struct skit_serve_event *ev,
	 void *data)
{
	struct seen *w = data;

	(void)ps;
	w->events[ev->kind]++;
}

/* the acl is read from lookup threads: static, as the header says */
static struct skit_acl dest_acl, client_acl;

struct fx {
	struct skit_loop *loop;
	struct skit_proxy_serve *ps;
	struct seen w;
	char addr[64];
};

static uint16_t
port_of(const struct skit_sockaddr *sa)
{
	return ntohs(((const struct sockaddr_in *)&sa->ss)->sin_port);
}

static void
fx_start(struct fx *x, const char *user, const char *pass, int64_t timeout_ms)
{
	struct skit_proxy_serve_cfg cfg = {
		.proto = { .socks5 = true,
			   .socks4 = true,
			   .http = true,
			   .udp = true,
			   .user = user,
			   .pass = pass },
		.dest = &dest_acl,
		.timeout_ms = timeout_ms,
		.serve = { .acl = &client_acl },
		.on_open = on_open,
		.on_close = on_close,
		.on_refused = on_refused,
		.on_event = on_event,
	};
	struct skit_addr a;
	struct skit_err err;

	memset(&x->w, 0, sizeof(x->w));
	cfg.data = &x->w;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &x->loop), 0);
	th_parse("tcp:127.0.0.1:0", SKIT_ROLE_LISTEN, &a);
	assert_int_equal(
		skit_proxy_serve_open(x->loop, &a, 0, &cfg, &x->ps, &err), 0);
	snprintf(x->addr, sizeof(x->addr), "tcp:127.0.0.1:%u",
		 port_of(skit_proxy_serve_local(x->ps)));
}

static void
fx_stop(struct fx *x)
{
	skit_proxy_serve_free(x->ps);
	skit_loop_free(x->loop);
	skit_acl_free(&dest_acl);
	skit_acl_free(&client_acl);
}

/* Run the loop until fd is readable (at most 5 s). */
static void
pump_fd(struct fx *x, int fd)
{
	for (int i = 0; i < 500; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			return;
		skit_loop_run_once(x->loop, 10);
	}
	fail_msg("fd %d never became readable", fd);
}

/* Run the loop until *n reaches want (at most 5 s). */
static void
pump_count(struct fx *x, const int *n, int want)
{
	for (int i = 0; i < 500 && *n < want; i++)
		skit_loop_run_once(x->loop, 10);
	assert_int_equal(*n, want);
}

/* Read exactly len bytes once the loop made them arrive. */
static void
read_n(struct fx *x, int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		pump_fd(x, fd);
		n = skit_recvfrom(fd, (char *)buf + got, len - got,
				  MSG_DONTWAIT, NULL, NULL);
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0);
		got += (size_t)n;
	}
}

static void
send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(skit_write_all(fd, buf, len, 1000), (int)len);
}

/* A client that did the SOCKS5 greeting (no auth). */
static int
socks5_client(struct fx *x)
{
	uint8_t r[2];
	int c = th_open(x->addr, SKIT_ROLE_CONNECT, 0, NULL, NULL);

	send_all(c, "\x05\x01\x00", 3);
	read_n(x, c, r, 2);
	assert_int_equal(r[0], 5);
	assert_int_equal(r[1], 0);
	return c;
}

/* A SOCKS5 request: cmd to 127.0.0.1:port; the reply's code. */
static int
socks5_request(struct fx *x, int c, int cmd, uint16_t port,
	       struct sockaddr_in *bound)
{
	uint8_t q[10] = { 5, (uint8_t)cmd, 0, 1, 127, 0, 0, 1, 0, 0 };
	uint8_t r[10];

	q[8] = (uint8_t)(port >> 8);
	q[9] = (uint8_t)port;
	send_all(c, q, sizeof(q));
	read_n(x, c, r, 2);
	if (r[1] != 0)
		return r[1];
	read_n(x, c, r + 2, 8);
	assert_int_equal(r[3], 1);
	if (bound) {
		memset(bound, 0, sizeof(*bound));
		bound->sin_family = AF_INET;
		memcpy(&bound->sin_addr, r + 4, 4);
		memcpy(&bound->sin_port, r + 8, 2);
	}
	return 0;
}

static void
test_socks5_connect_relays(void **state)
{
	struct fx x;
	struct skit_sockaddr dl;
	int lfd, c, d;
	char buf[8], buf2[32];

	(void)state;
	fx_start(&x, NULL, NULL, 5000);
	lfd = th_open("tcp:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &dl, NULL);
	c = socks5_client(&x);
	assert_int_equal(socks5_request(&x, c, 1, port_of(&dl), NULL), 0);
	d = skit_accept(lfd, false, NULL);
	assert_true(d >= 0);
	assert_int_equal(x.w.opens, 1);
	snprintf(buf2, sizeof(buf2), "127.0.0.1:%u", port_of(&dl));
	assert_string_equal(x.w.dest, buf2);
	send_all(c, "ping", 4);
	read_n(&x, d, buf, 4);
	assert_memory_equal(buf, "ping", 4);
	send_all(d, "pong!", 5);
	read_n(&x, c, buf, 5);
	assert_memory_equal(buf, "pong!", 5);
	assert_int_equal(skit_proxy_serve_live(x.ps), 1);
	skit_close(c);
	pump_fd(&x, d); /* the EOF passed on */
	skit_close(d);
	pump_count(&x, &x.w.closes, 1);
	assert_int_equal(x.w.st.bytes[0], 4);
	assert_int_equal(x.w.st.bytes[1], 5);
	assert_false(x.w.st.udp);
	assert_int_equal(x.w.refusals, 0);
	assert_int_equal(skit_proxy_serve_live(x.ps), 0);
	skit_close(lfd);
	fx_stop(&x);
}

static void
test_http_connect(void **state)
{
	struct fx x;
	struct skit_sockaddr dl;
	char req[128], head[40];
	int lfd, c, d, n;

	(void)state;
	fx_start(&x, NULL, NULL, 5000);
	lfd = th_open("tcp:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &dl, NULL);
	c = th_open(x.addr, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	n = snprintf(req, sizeof(req),
		     "CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: x\r\n\r\n",
		     port_of(&dl));
	send_all(c, req, (size_t)n);
	read_n(&x, c, head, 12);
	assert_memory_equal(head, "HTTP/1.1 200", 12);
	d = skit_accept(lfd, false, NULL);
	assert_true(d >= 0);
	assert_int_equal(x.w.opens, 1);
	skit_close(c);
	skit_close(d);
	pump_count(&x, &x.w.closes, 1);
	skit_close(lfd);
	fx_stop(&x);
}

static void
test_dest_acl_refuses(void **state)
{
	struct fx x;
	struct skit_sockaddr dl;
	char head[12];
	int lfd, c;

	(void)state;
	assert_int_equal(skit_acl_add(&dest_acl, false, "127.0.0.0/8"), 0);
	assert_int_equal(skit_acl_add(&dest_acl, false, "::1/128"), 0);
	fx_start(&x, NULL, NULL, 5000);
	lfd = th_open("tcp:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &dl, NULL);
	/* a literal: refused before any dial, reply 2 */
	c = socks5_client(&x);
	assert_int_equal(socks5_request(&x, c, 1, port_of(&dl), NULL), 2);
	pump_count(&x, &x.w.refusals, 1);
	assert_string_equal(x.w.why, "destination not allowed");
	skit_close(c);
	/* HTTP CONNECT to a name whose address is refused: 403 (the
	 * lookup hook drops it) */
	c = th_open(x.addr, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	send_all(c, "CONNECT localhost:9 HTTP/1.1\r\n\r\n", 32);
	read_n(&x, c, head, 12);
	assert_memory_equal(head, "HTTP/1.1 403", 12);
	pump_count(&x, &x.w.refusals, 2);
	assert_string_equal(x.w.dest, "localhost:9");
	assert_int_equal(x.w.opens, 0);
	skit_close(c);
	/* nothing reached the destination */
	{
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		assert_int_equal(poll(&p, 1, 0), 0);
	}
	skit_close(lfd);
	fx_stop(&x);
}

static void
test_client_acl_refuses(void **state)
{
	struct fx x;
	char b;
	int c;

	(void)state;
	assert_int_equal(skit_acl_add(&client_acl, false, "127.0.0.0/8"), 0);
	fx_start(&x, NULL, NULL, 5000);
	c = th_open(x.addr, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	send_all(c, "\x05\x01\x00", 3);
	pump_fd(&x, c);
	/* closed at once: EOF (or a reset) */
	assert_true(skit_recvfrom(c, &b, 1, MSG_DONTWAIT, NULL, NULL) <= 0);
	pump_count(&x, &x.w.events[SKIT_SERVE_DENIED], 1);
	assert_int_equal(x.w.refusals, 0);
	skit_close(c);
	fx_stop(&x);
}

static void
test_auth_and_timeout(void **state)
{
	struct fx x;
	uint8_t r[2];
	int c;

	(void)state;
	fx_start(&x, "al", "pw", 200);
	/* wrong password: RFC 1929 status not 0 */
	c = th_open(x.addr, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	send_all(c, "\x05\x01\x02", 3);
	read_n(&x, c, r, 2);
	assert_int_equal(r[1], 2);
	send_all(c,
		 "\x01\x02"
		 "al"
		 "\x02"
		 "no",
		 7);
	read_n(&x, c, r, 2);
	assert_int_not_equal(r[1], 0);
	pump_count(&x, &x.w.refusals, 1);
	assert_string_equal(x.w.why, "authentication failed");
	skit_close(c);
	/* a client that says nothing: timed out */
	c = th_open(x.addr, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	pump_count(&x, &x.w.refusals, 2);
	assert_string_equal(x.w.why, "timed out after 0.2 s in the handshake");
	skit_close(c);
	fx_stop(&x);
}

/* A SOCKS5 UDP datagram for 127.0.0.1:port. */
static size_t
udp_wrap(uint16_t port, const char *msg, uint8_t *out)
{
	uint8_t h[10] = { 0, 0, 0, 1, 127, 0, 0, 1, 0, 0 };

	h[8] = (uint8_t)(port >> 8);
	h[9] = (uint8_t)port;
	memcpy(out, h, 10);
	memcpy(out + 10, msg, strlen(msg));
	return 10 + strlen(msg);
}

static void
test_udp_associate(void **state)
{
	struct fx x;
	struct skit_sockaddr ul, dl, rl;
	struct sockaddr_in relay;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	uint8_t dg[128], buf[128];
	size_t len;
	ssize_t n;
	int c, u, dst, far;

	(void)state;
	/* destinations: 127.0.0.1 yes, 127.0.0.2 no */
	assert_int_equal(skit_acl_add(&dest_acl, false, "127.0.0.2/32"), 0);
	fx_start(&x, NULL, NULL, 5000);
	u = th_open("udp:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &ul, NULL);
	dst = th_open("udp:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &dl, NULL);
	far = th_open("udp:127.0.0.2:0", SKIT_ROLE_LISTEN, 0, &rl, NULL);
	c = socks5_client(&x);
	/* the client names the port it sends from */
	assert_int_equal(socks5_request(&x, c, 3, port_of(&ul), &relay), 0);
	pump_count(&x, &x.w.opens, 1);
	assert_true(x.w.udp[0] != '\0');
	assert_int_equal(relay.sin_addr.s_addr, htonl(0x7f000001));
	/* up: unwrapped to the destination */
	len = udp_wrap(port_of(&dl), "hello", dg);
	assert_int_equal(skit_sendto(u, dg, len, 0, (struct sockaddr *)&relay,
				     sizeof(relay)),
			 (ssize_t)len);
	pump_fd(&x, dst);
	n = skit_recvfrom(dst, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			  &fl);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	/* down: the answer wrapped, from the destination's address */
	assert_int_equal(
		skit_sendto(dst, "hi!", 3, 0, (struct sockaddr *)&from, fl), 3);
	pump_fd(&x, u);
	n = skit_recvfrom(u, buf, sizeof(buf), 0, NULL, NULL);
	assert_int_equal(n, 13);
	assert_int_equal(buf[3], 1);
	assert_memory_equal(buf + 8, dg + 8, 2);
	assert_memory_equal(buf + 10, "hi!", 3);
	/* to a refused destination: dropped */
	len = udp_wrap(port_of(&rl), "nope", dg);
	dg[7] = 2; /* 127.0.0.2 */
	assert_int_equal(skit_sendto(u, dg, len, 0, (struct sockaddr *)&relay,
				     sizeof(relay)),
			 (ssize_t)len);
	/* a datagram that follows it arrives: the refused one went first */
	len = udp_wrap(port_of(&dl), "again", dg);
	skit_sendto(u, dg, len, 0, (struct sockaddr *)&relay, sizeof(relay));
	pump_fd(&x, dst);
	n = skit_recvfrom(dst, buf, sizeof(buf), 0, NULL, NULL);
	assert_int_equal(n, 5);
	{
		struct pollfd p = { .fd = far, .events = POLLIN };

		assert_int_equal(poll(&p, 1, 0), 0);
	}
	/* the control connection ends the association */
	skit_close(c);
	pump_count(&x, &x.w.closes, 1);
	assert_true(x.w.st.udp);
	assert_int_equal(x.w.st.msgs[0], 2);
	assert_int_equal(x.w.st.msgs[1], 1);
	assert_int_equal(x.w.st.bytes[0], 10);
	assert_int_equal(x.w.st.bytes[1], 3);
	assert_int_equal(x.w.st.dropped, 1);
	assert_string_equal(x.w.st.reason, "eof");
	skit_close(u);
	skit_close(dst);
	skit_close(far);
	fx_stop(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socks5_connect_relays),
		cmocka_unit_test(test_http_connect),
		cmocka_unit_test(test_dest_acl_refuses),
		cmocka_unit_test(test_client_acl_refuses),
		cmocka_unit_test(test_auth_and_timeout),
		cmocka_unit_test(test_udp_associate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
