/*
 * proxy_serve.c - the proxy server engine (skit/proxy_serve.h): a
 * serve's clients each read (the handshake of skit/proxy.h), checked
 * against the destination acl, dialled (skit/dial.h), answered, then
 * relayed (skit/relay.h) or, for a SOCKS5 UDP ASSOCIATE, served by a
 * UDP socket of ours.
 */
#include "engine/proxy_serve_int.h"
#include "skit/io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- destinations ----------------------------------------------------- */

/*
 * The name-lookup hook of a dial when destinations are filtered: the
 * addresses the acl refuses are dropped before any is connected to;
 * none left is -EACCES (EAI_SYSTEM with errno). Runs in the dial's
 * lookup thread; the acl is only read.
 */
static int
dest_gai(void *data, const char *node, const char *service,
	 const struct addrinfo *hints, struct addrinfo **res)
{
	const struct skit_acl *acl = data;
	struct addrinfo *all, *keep = NULL, **kt = &keep, *drop = NULL,
			      **dt = &drop, *ai, *next;
	int g = getaddrinfo(node, service, hints, &all);

	if (g)
		return g;
	for (ai = all; ai; ai = next) {
		next = ai->ai_next;
		ai->ai_next = NULL;
		if (skit_acl_permits(acl, ai->ai_addr)) {
			*kt = ai;
			kt = &ai->ai_next;
		} else {
			*dt = ai;
			dt = &ai->ai_next;
		}
	}
	if (drop)
		freeaddrinfo(drop);
	if (!keep) {
		errno = EACCES;
		return EAI_SYSTEM;
	}
	*res = keep;
	return 0;
}

static void
dest_freeaddrinfo(void *data, struct addrinfo *res)
{
	(void)data;
	freeaddrinfo(res);
}

static bool
filtered(const struct skit_proxy_serve *ps)
{
	return ps->cfg.dest && !skit_acl_empty(ps->cfg.dest);
}

socklen_t
skit__proxy_literal_sa(const char *host, uint16_t port,
		       struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	return 0;
}

bool
skit__proxy_dest_ok(const struct skit_proxy_serve *ps,
		    const struct sockaddr *sa)
{
	return !filtered(ps) || skit_acl_permits(ps->cfg.dest, sa);
}

/* A literal destination the acl refuses? (A name: the hook filters.) */
static bool
dest_refused(const struct skit_proxy_serve *ps, const char *host, uint16_t port)
{
	struct sockaddr_storage ss;

	if (!skit__proxy_literal_sa(host, port, &ss))
		return false;
	return !skit__proxy_dest_ok(ps, (struct sockaddr *)&ss);
}

static void
dest_text(const struct skit_proxy_request *rq, char *buf, size_t len)
{
	if (strchr(rq->host, ':'))
		snprintf(buf, len, "[%s]:%u", rq->host, rq->port);
	else
		snprintf(buf, len, "%s:%u", rq->host, rq->port);
}

/* --- tunnels ------------------------------------------------------------ */

static void
report_refused(struct skit_proxy_tunnel *t, const char *why)
{
	struct skit_proxy_serve *ps = t->ps;

	if (ps->cfg.on_refused)
		ps->cfg.on_refused(ps, t, why, ps->cfg.data);
}

void
skit__proxy_tunnel_free(struct skit_proxy_tunnel *t)
{
	struct skit_proxy_serve *ps = t->ps;

	if (t->prev)
		t->prev->next = t->next;
	else
		ps->tunnels = t->next;
	if (t->next)
		t->next->prev = t->prev;
	ps->live--;
	if (t->timer)
		skit_loop_timer_cancel(ps->loop, t->timer);
	skit_dial_cancel(t->dial);
	skit_proxy_accept_free(t->pa);
	if (t->dfd >= 0)
		skit_close(t->dfd);
	if (t->ufd >= 0) {
		skit_loop_del(ps->loop, t->ufd);
		skit_close(t->ufd);
	}
	if (t->cfd >= 0) {
		skit_loop_del(ps->loop, t->cfd);
		if (ps->serve)
			skit_serve_release(ps->serve, t->cfd);
		else
			skit_close(t->cfd);
	}
	free(t);
}

/* Report why and close. */
static void
tunnel_refused(struct skit_proxy_tunnel *t, const char *why)
{
	report_refused(t, why);
	skit__proxy_tunnel_free(t);
}

static void refuse(struct skit_proxy_tunnel *t, int code, const char *why);

static void
on_timer(struct skit_loop *loop, void *data)
{
	struct skit_proxy_tunnel *t = data;
	int64_t ms = t->ps->cfg.timeout_ms;

	(void)loop;
	t->timer = 0;
	if (t->st == T_DIAL) {
		/* the dial's own time-out does not cover a name lookup */
		skit_dial_cancel(t->dial);
		t->dial = NULL;
		refuse(t, -ETIMEDOUT, "timed out looking up and connecting");
		return;
	}
	snprintf(t->why, sizeof(t->why), "timed out after %g s %s",
		 (double)ms / 1000,
		 t->st == T_HANDSHAKE ? "in the handshake"
				      : "writing the answer");
	tunnel_refused(t, t->why);
}

/* The tunnel's time limit: timeout_ms from now, times `times`. */
static void
arm_timer(struct skit_proxy_tunnel *t, int times)
{
	struct skit_proxy_serve *ps = t->ps;

	if (t->timer)
		skit_loop_timer_cancel(ps->loop, t->timer);
	t->timer = skit_loop_timer(ps->loop, ps->cfg.timeout_ms * times,
				   on_timer, t);
	if (t->timer < 0)
		t->timer = 0;
}

static void
disarm_timer(struct skit_proxy_tunnel *t)
{
	if (t->timer)
		skit_loop_timer_cancel(t->ps->loop, t->timer);
	t->timer = 0;
}

static void
relay_closed(struct skit_relay *r, void *data)
{
	struct skit_proxy_tunnel *t = data;
	struct skit_proxy_serve *ps = t->ps;
	const struct skit_relay_stats *rs = skit_relay_stats(r);
	struct skit_proxy_tunnel_stats st = {
		.bytes = { rs->bytes[0], rs->bytes[1] },
		.start_ns = t->start_ns,
		.end_ns = rs->end_ns,
		.reason = skit_relay_reason_name(rs->reason),
		.error = rs->error,
	};

	if (ps->cfg.on_close)
		ps->cfg.on_close(ps, t, &st, ps->cfg.data);
	/* the pair closed both fds */
	t->cfd = t->dfd = -1;
	if (ps->serve)
		skit_serve_release(ps->serve, -1);
	skit_relay_free(r);
	t->relay = NULL;
	skit__proxy_tunnel_free(t);
}

static void
start_relay(struct skit_proxy_tunnel *t)
{
	struct skit_proxy_serve *ps = t->ps;
	struct skit_relay_end a, b;
	struct skit_relay_cfg cfg = { 0 };
	int rc;

	disarm_timer(t);
	skit_loop_del(ps->loop, t->cfd);
	skit_relay_end_from_fd(t->cfd, true, &a);
	skit_relay_end_from_fd(t->dfd, true, &b);
	cfg.on_close = relay_closed;
	cfg.data = t;
	rc = skit_relay_new(ps->loop, &a, &b, &cfg, &t->relay);
	if (rc < 0) {
		snprintf(t->why, sizeof(t->why), "relay: %s",
			 skit_strerror(rc));
		tunnel_refused(t, t->why);
		return;
	}
	t->st = T_RELAY;
	if (ps->cfg.on_open)
		ps->cfg.on_open(ps, t, ps->cfg.data);
}

static void answer(struct skit_proxy_tunnel *t);

/*
 * UDP ASSOCIATE: open the relay socket, answer with its address, then
 * relay until the control connection ends. Called twice: to answer,
 * then once answered.
 */
static void
udp_start(struct skit_proxy_tunnel *t)
{
	char why[300];
	int rc;

	if (t->st == T_HANDSHAKE) {
		rc = skit__proxy_udp_open(t, why, sizeof(why));
		if (rc < 0) {
			refuse(t, rc, why);
			return;
		}
		t->st = T_DIAL;
		t->code = 0;
		answer(t);
		return;
	}
	disarm_timer(t);
	t->st = T_UDP;
	if (skit__proxy_udp_run(t) < 0)
		tunnel_refused(t, "out of memory");
}

/* Write the answer (code t->code); then the relay, or the end. */
static void
answer(struct skit_proxy_tunnel *t)
{
	int rc;

	rc = skit_proxy_accept_answer(
		t->pa, t->cfd, t->code,
		t->bound.len ? (struct sockaddr *)&t->bound.ss : NULL);
	if (rc == -EAGAIN) {
		if (t->st != T_ANSWER) {
			t->st = T_ANSWER;
			arm_timer(t, 1);
		}
		skit_loop_mod(t->ps->loop, t->cfd, SKIT_EV_WRITE);
		return;
	}
	if (t->code < 0) {
		tunnel_refused(t, t->why);
		return;
	}
	if (rc < 0) {
		snprintf(t->why, sizeof(t->why), "write the answer: %s",
			 skit_strerror(rc));
		tunnel_refused(t, t->why);
		return;
	}
	if (t->rq.cmd == PROXY_UDP_ASSOCIATE)
		udp_start(t);
	else
		start_relay(t);
}

/* Answer with a refusal (code) said as why. */
static void
refuse(struct skit_proxy_tunnel *t, int code, const char *why)
{
	t->code = code;
	snprintf(t->why, sizeof(t->why), "%s", why);
	answer(t);
}

/*
 * A plain HTTP request (GET http://...): its rewritten head goes to the
 * origin server first (a fresh socket takes a head of a few KiB at
 * once). false when it could not: the client has had its 502.
 */
static bool
send_forward(struct skit_proxy_tunnel *t)
{
	size_t len;
	const void *head = skit_proxy_accept_forward(t->pa, &len);
	ssize_t n;

	if (!head)
		return true;
	n = skit_sendto(t->dfd, head, len, MSG_DONTWAIT, NULL, 0);
	if (n == (ssize_t)len)
		return true;
	refuse(t, n < 0 ? (int)n : -EIO,
	       n < 0 ? skit_strerror((int)n)
		     : "the request did not fit the socket at once");
	return false;
}

static void
dial_done(struct skit_dial *d, int code, const struct skit_dial_result *res,
	  const struct skit_err *err, void *data)
{
	struct skit_proxy_tunnel *t = data;

	(void)d;
	t->dial = NULL;
	if (code < 0) {
		char msg[300];

		skit_err_format(err, msg, sizeof(msg));
		refuse(t, code,
		       code == -EACCES ? "destination not allowed" : msg);
		return;
	}
	t->dfd = res->fd;
	if (!skit__proxy_dest_ok(t->ps,
				 (const struct sockaddr *)&res->peer.ss)) {
		refuse(t, -EACCES, "destination not allowed");
		return;
	}
	if (skit_sock_local(t->dfd, &t->bound) < 0)
		t->bound.len = 0;
	if (!send_forward(t))
		return;
	t->code = 0;
	answer(t);
}

static void
start_dial(struct skit_proxy_tunnel *t)
{
	struct skit_proxy_serve *ps = t->ps;
	struct skit_addr a;
	struct skit_dial_cfg cfg = { 0 };
	struct skit_err err;
	char msg[300];

	skit_err_clear(&err);
	if (skit_addr_init(&a, SKIT_KIND_TCP, SKIT_ROLE_CONNECT) < 0 ||
	    skit_addr_set_host(&a, t->rq.host, &err) < 0 ||
	    skit_addr_set_port_num(&a, t->rq.port, &err) < 0) {
		refuse(t, -EHOSTUNREACH, "not a host name");
		return;
	}
	cfg.flags = SKIT_OPEN_NONBLOCK;
	cfg.connect_timeout_ms = ps->cfg.timeout_ms;
	cfg.retries = SKIT_DIAL_NONE;
	if (filtered(ps))
		cfg.res = &ps->hook;
	cfg.on_done = dial_done;
	cfg.data = t;
	/* a guard over the lookup and the connect (which has its own) */
	arm_timer(t, 2);
	t->st = T_DIAL;
	/* nothing to read from the client until the answer: only its
	 * hang-up (always reported) */
	skit_loop_mod(ps->loop, t->cfd, 0);
	if (skit_dial_start(ps->loop, &a, &cfg, &t->dial, &err) < 0) {
		skit_err_format(&err, msg, sizeof(msg));
		refuse(t, err.code, msg);
	}
}

/* The request is in: check it, then dial (or relay UDP). */
static void
on_request(struct skit_proxy_tunnel *t)
{
	dest_text(&t->rq, t->dest, sizeof(t->dest));
	if (t->rq.cmd == PROXY_UDP_ASSOCIATE) {
		/* the address is where the client will send from (0:
		 * unknown yet) */
		t->code = 0;
		udp_start(t);
		return;
	}
	if (dest_refused(t->ps, t->rq.host, t->rq.port)) {
		refuse(t, -EACCES, "destination not allowed");
		return;
	}
	start_dial(t);
}

static const char *
request_error(int rc)
{
	switch (rc) {
	case -EACCES:
		return "authentication failed";
	case SKIT_EPROTO:
		return "not a SOCKS or HTTP CONNECT request (or not served)";
	case SKIT_ELIMIT:
		return "request too long";
	case -ECONNRESET:
		return "closed in the handshake";
	default:
		return skit_strerror(rc);
	}
}

static void
on_client(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct skit_proxy_tunnel *t = data;
	int rc;

	(void)loop;
	(void)fd;
	switch (t->st) {
	case T_HANDSHAKE:
		rc = skit_proxy_accept_request(t->pa, t->cfd, &t->rq);
		if (rc == -EAGAIN) {
			skit_loop_mod(t->ps->loop, t->cfd,
				      skit_proxy_accept_events(t->pa));
			return;
		}
		if (rc < 0) {
			tunnel_refused(t, request_error(rc));
			return;
		}
		on_request(t);
		return;
	case T_DIAL:
		if (ev & (SKIT_EV_HUP | SKIT_EV_ERROR))
			tunnel_refused(t, "the client closed while connecting");
		return;
	case T_ANSWER:
		answer(t);
		return;
	default:
		return;
	}
}

/* --- the server ------------------------------------------------------- */

static void
on_conn(struct skit_serve *sv, int fd, const struct skit_sockaddr *peer,
	void *data)
{
	struct skit_proxy_serve *ps = data;
	struct skit_proxy_tunnel *t = calloc(1, sizeof(*t));

	if (!t || skit_proxy_accept_new(&ps->cfg.proto, &t->pa) < 0) {
		free(t);
		skit_serve_release(sv, fd);
		return;
	}
	t->ps = ps;
	t->id = ++ps->next_id;
	t->cfd = fd;
	t->dfd = t->ufd = -1;
	t->start_ns = skit_now_ns();
	if (skit_sockaddr_str(peer, t->client, sizeof(t->client)) < 0)
		snprintf(t->client, sizeof(t->client), "?");
	t->next = ps->tunnels;
	if (t->next)
		t->next->prev = t;
	ps->tunnels = t;
	ps->live++;
	if (skit_loop_add(ps->loop, fd, SKIT_EV_READ, on_client, t) < 0) {
		t->cfd = -1;
		skit_serve_release(sv, fd);
		skit__proxy_tunnel_free(t);
		return;
	}
	arm_timer(t, 1);
}

static void
on_event(struct skit_serve *s, const struct skit_serve_event *ev, void *data)
{
	struct skit_proxy_serve *ps = data;

	(void)s;
	if (ps->cfg.on_event)
		ps->cfg.on_event(ps, ev, ps->cfg.data);
}

int
skit_proxy_serve_open(struct skit_loop *loop, const struct skit_addr *a,
		      int open_flags, const struct skit_proxy_serve_cfg *cfg,
		      struct skit_proxy_serve **out, struct skit_err *err)
{
	struct skit_proxy_serve *ps = calloc(1, sizeof(*ps));
	struct skit_serve_cfg sc;
	int rc;

	*out = NULL;
	if (ps)
		ps->ubuf = malloc(PROXY_UDP_MAX + 32);
	if (!ps || !ps->ubuf) {
		if (ps)
			free(ps);
		return skit_err_set(err, -ENOMEM, "proxy", NULL);
	}
	ps->cfg = *cfg;
	if (ps->cfg.timeout_ms <= 0)
		ps->cfg.timeout_ms = 10000;
	ps->loop = loop;
	ps->hook.getaddrinfo = dest_gai;
	ps->hook.freeaddrinfo = dest_freeaddrinfo;
	ps->hook.data = (void *)cfg->dest;
	sc = cfg->serve;
	sc.on_conn = on_conn;
	sc.on_session = NULL;
	sc.on_datagram = NULL;
	sc.on_session_end = NULL;
	sc.on_event = on_event;
	sc.data = ps;
	rc = skit_serve_open(loop, a, open_flags, &sc, &ps->serve, err);
	if (rc < 0) {
		free(ps->ubuf);
		free(ps);
		return rc;
	}
	*out = ps;
	return 0;
}

void
skit_proxy_serve_free(struct skit_proxy_serve *ps)
{
	if (!ps)
		return;
	skit_serve_free(ps->serve);
	ps->serve = NULL;
	while (ps->tunnels) {
		struct skit_proxy_tunnel *t = ps->tunnels;

		if (t->relay) {
			skit_relay_free(t->relay);
			t->relay = NULL;
			t->cfd = t->dfd = -1;
		}
		skit__proxy_tunnel_free(t);
	}
	free(ps->ubuf);
	free(ps);
}

const struct skit_sockaddr *
skit_proxy_serve_local(const struct skit_proxy_serve *ps)
{
	return skit_serve_local(ps->serve);
}

unsigned long
skit_proxy_serve_live(const struct skit_proxy_serve *ps)
{
	return ps->live;
}

unsigned long long
skit_proxy_tunnel_id(const struct skit_proxy_tunnel *t)
{
	return t->id;
}

const char *
skit_proxy_tunnel_client(const struct skit_proxy_tunnel *t)
{
	return t->client;
}

const char *
skit_proxy_tunnel_dest(const struct skit_proxy_tunnel *t)
{
	return t->dest;
}

const struct skit_proxy_request *
skit_proxy_tunnel_request(const struct skit_proxy_tunnel *t)
{
	return &t->rq;
}

const char *
skit_proxy_tunnel_udp_relay(const struct skit_proxy_tunnel *t)
{
	return t->udp_relay[0] ? t->udp_relay : NULL;
}
