/*
 * proxy_udp.c - a SOCKS5 UDP ASSOCIATE's relay (skit/proxy_serve.h):
 * a UDP socket of ours on the IP the client reached; the client's
 * datagrams unwrapped (RFC 1928 section 7) and sent on when the
 * destination acl permits, answers from the destinations written to
 * wrapped and sent back, for as long as the control connection lasts.
 */
#include "engine/proxy_serve_int.h"
#include "skit/io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define UDP_BATCH 64 /* datagrams read per wakeup */

static bool
same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			       &((const struct sockaddr_in *)b)->sin_addr, 4);
	if (a->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       16);
	return false;
}

static bool
same_port(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_port ==
		       ((const struct sockaddr_in *)b)->sin_port;
	return ((const struct sockaddr_in6 *)a)->sin6_port ==
	       ((const struct sockaddr_in6 *)b)->sin6_port;
}

static int
find_peer(const struct skit_proxy_tunnel *t, const struct sockaddr *sa,
	  socklen_t len)
{
	for (int i = 0; i < t->npeers; i++)
		if (t->peerlen[i] == len && !memcmp(&t->peers[i], sa, len))
			return i;
	return -1;
}

/* A datagram from the client: unwrap it and send it on. */
static void
udp_from_client(struct skit_proxy_tunnel *t, const uint8_t *msg, size_t len)
{
	struct skit_proxy_request rq = { 0 };
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t h = skit_proxy_udp_parse(msg, len, &rq);

	/* not a header, a fragment, or a name: names are not looked up for
	 * datagrams (that would block the loop) */
	if (h < 0 || !rq.host_is_literal ||
	    !(sl = skit__proxy_literal_sa(rq.host, rq.port, &ss)) ||
	    !skit__proxy_dest_ok(t->ps, (struct sockaddr *)&ss) ||
	    skit_sendto(t->ufd, msg + h, len - (size_t)h, MSG_DONTWAIT,
			(struct sockaddr *)&ss, sl) < 0) {
		t->dropped++;
		return;
	}
	t->bytes[0] += len - (size_t)h;
	t->msgs[0]++;
	if (find_peer(t, (struct sockaddr *)&ss, sl) < 0) {
		int i = t->nextpeer;

		memcpy(&t->peers[i], &ss, sl);
		t->peerlen[i] = sl;
		t->nextpeer = (i + 1) % PROXY_UDP_PEERS;
		if (t->npeers < PROXY_UDP_PEERS)
			t->npeers++;
	}
}

/* A datagram from a destination (at out + 32): wrap it and send it to
 * the client. */
static void
udp_to_client(struct skit_proxy_tunnel *t, const struct sockaddr *from,
	      socklen_t flen, uint8_t *out, size_t len)
{
	uint8_t hdr[32];
	size_t h;

	if (!t->uclen || find_peer(t, from, flen) < 0 ||
	    !(h = skit_proxy_udp_header(from, hdr, sizeof(hdr)))) {
		t->dropped++;
		return;
	}
	memcpy(out + 32 - h, hdr, h);
	if (skit_sendto(t->ufd, out + 32 - h, h + len, MSG_DONTWAIT,
			(struct sockaddr *)&t->uc, t->uclen) < 0) {
		t->dropped++;
		return;
	}
	t->bytes[1] += len;
	t->msgs[1]++;
}

static void
on_udp(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct skit_proxy_tunnel *t = data;
	uint8_t *buf = t->ps->ubuf + 32; /* room for a header before it */

	(void)loop;
	(void)ev;
	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		const struct sockaddr *f = (struct sockaddr *)&from;
		ssize_t n = skit_recvfrom(fd, buf, PROXY_UDP_MAX, MSG_DONTWAIT,
					  (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		if (same_ip(f, (struct sockaddr *)&t->cpeer.ss) &&
		    (!t->uclen || same_port(f, (struct sockaddr *)&t->uc))) {
			if (!t->uclen) {
				memcpy(&t->uc, &from, fl);
				t->uclen = fl;
			}
			udp_from_client(t, buf, (size_t)n);
		} else {
			udp_to_client(t, f, fl, t->ps->ubuf, (size_t)n);
		}
	}
}

/* The control connection: the association lasts as long as it does. */
static void
on_control(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct skit_proxy_tunnel *t = data;
	struct skit_proxy_serve *ps = t->ps;
	char buf[512];
	ssize_t n =
		skit_recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL);
	struct skit_proxy_tunnel_stats st = {
		.bytes = { t->bytes[0], t->bytes[1] },
		.udp = true,
		.msgs = { t->msgs[0], t->msgs[1] },
		.dropped = t->dropped,
		.start_ns = t->start_ns,
	};

	(void)loop;
	(void)ev;
	if (n > 0 || n == -EAGAIN)
		return; /* nothing is to come on it: dropped */
	st.end_ns = skit_now_ns();
	st.reason = n == 0 ? "eof" : "reset";
	st.error = n < 0 ? (int)n : 0;
	if (ps->cfg.on_close)
		ps->cfg.on_close(ps, t, &st, ps->cfg.data);
	skit__proxy_tunnel_free(t);
}

/* Open the association's UDP socket on the IP the client reached. */
static int
udp_open(struct skit_proxy_tunnel *t, const struct skit_sockaddr *local,
	 struct skit_err *err)
{
	struct skit_addr a;
	char host[INET6_ADDRSTRLEN];
	const void *ip =
		local->family == AF_INET
			? (const void *)&(
				  (const struct sockaddr_in *)&local->ss)
				  ->sin_addr
			: (const void *)&(
				  (const struct sockaddr_in6 *)&local->ss)
				  ->sin6_addr;

	inet_ntop(local->family, ip, host, sizeof(host));
	if (skit_addr_init(&a, SKIT_KIND_UDP, SKIT_ROLE_LISTEN) < 0 ||
	    skit_addr_set_host(&a, host, err) < 0 ||
	    skit_addr_set_port_num(&a, 0, err) < 0)
		return err->code ? err->code : -EINVAL;
	t->ufd = skit_open(&a, SKIT_ROLE_LISTEN,
			   SKIT_OPEN_NONBLOCK | SKIT_OPEN_NUMERIC, NULL,
			   &t->bound, NULL, err);
	return t->ufd;
}

int
skit__proxy_udp_open(struct skit_proxy_tunnel *t, char *why, size_t len)
{
	struct skit_sockaddr local;
	struct skit_err err;

	skit_err_clear(&err);
	if (skit_sock_local(t->cfd, &local) < 0 ||
	    skit_sock_peer(t->cfd, &t->cpeer) < 0 ||
	    (local.family != AF_INET && local.family != AF_INET6)) {
		snprintf(why, len, "UDP ASSOCIATE needs an IP client");
		return SKIT_EPROTO;
	}
	if (udp_open(t, &local, &err) < 0) {
		t->ufd = -1;
		skit_err_format(&err, why, len);
		return -ENETUNREACH;
	}
	/* the client said where it will send from: only that port */
	if (t->rq.port) {
		memcpy(&t->uc, &t->cpeer.ss, t->cpeer.len);
		t->uclen = t->cpeer.len;
		if (t->cpeer.family == AF_INET)
			((struct sockaddr_in *)&t->uc)->sin_port =
				htons(t->rq.port);
		else
			((struct sockaddr_in6 *)&t->uc)->sin6_port =
				htons(t->rq.port);
	}
	return 0;
}

int
skit__proxy_udp_run(struct skit_proxy_tunnel *t)
{
	struct skit_proxy_serve *ps = t->ps;

	t->start_ns = skit_now_ns();
	skit_loop_del(ps->loop, t->cfd);
	if (skit_loop_add(ps->loop, t->cfd, SKIT_EV_READ, on_control, t) < 0 ||
	    skit_loop_add(ps->loop, t->ufd, SKIT_EV_READ, on_udp, t) < 0)
		return -ENOMEM;
	skit_sockaddr_str(&t->bound, t->udp_relay, sizeof(t->udp_relay));
	if (ps->cfg.on_open)
		ps->cfg.on_open(ps, t, ps->cfg.data);
	return 0;
}
