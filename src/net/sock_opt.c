/*
 * sock_opt.c - applying an address's options to a socket: the rows of
 * the option table (addr.h, skit_addr_opts) that carry a setsockopt
 * level, plus the bind= source address of the connect role.
 */
#include "skit/io.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h> /* UDP_SEGMENT, UDP_GRO */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#ifndef SOL_UDP
#define SOL_UDP IPPROTO_UDP
#endif

struct sockopt_name {
	int level;
	int optname;
	const char *level_name;
	const char *name;
};

/* Symbolic names for trace lines only. */
static const struct sockopt_name sockopt_names[] = {
	{ SOL_SOCKET, SO_REUSEADDR, "SOL_SOCKET", "SO_REUSEADDR" },
	{ SOL_SOCKET, SO_REUSEPORT, "SOL_SOCKET", "SO_REUSEPORT" },
	{ SOL_SOCKET, SO_KEEPALIVE, "SOL_SOCKET", "SO_KEEPALIVE" },
	{ SOL_SOCKET, SO_RCVBUF, "SOL_SOCKET", "SO_RCVBUF" },
	{ SOL_SOCKET, SO_SNDBUF, "SOL_SOCKET", "SO_SNDBUF" },
	{ SOL_SOCKET, SO_BINDTODEVICE, "SOL_SOCKET", "SO_BINDTODEVICE" },
	{ SOL_SOCKET, SO_MARK, "SOL_SOCKET", "SO_MARK" },
	{ SOL_SOCKET, SO_SNDTIMEO, "SOL_SOCKET", "SO_SNDTIMEO" },
	{ SOL_SOCKET, SO_RCVLOWAT, "SOL_SOCKET", "SO_RCVLOWAT" },
	{ SOL_UDP, UDP_SEGMENT, "SOL_UDP", "UDP_SEGMENT" },
	{ SOL_UDP, UDP_GRO, "SOL_UDP", "UDP_GRO" },
	{ IPPROTO_TCP, TCP_NODELAY, "IPPROTO_TCP", "TCP_NODELAY" },
	{ IPPROTO_IP, IP_TTL, "IPPROTO_IP", "IP_TTL" },
	{ IPPROTO_IP, IP_TOS, "IPPROTO_IP", "IP_TOS" },
	{ IPPROTO_IPV6, IPV6_V6ONLY, "IPPROTO_IPV6", "IPV6_V6ONLY" },
	{ IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPPROTO_IPV6",
	  "IPV6_UNICAST_HOPS" },
	{ IPPROTO_IPV6, IPV6_TCLASS, "IPPROTO_IPV6", "IPV6_TCLASS" },
	{ SOL_SOCKET, SO_BROADCAST, "SOL_SOCKET", "SO_BROADCAST" },
	{ IPPROTO_IP, IP_MULTICAST_TTL, "IPPROTO_IP", "IP_MULTICAST_TTL" },
	{ IPPROTO_IP, IP_MULTICAST_LOOP, "IPPROTO_IP", "IP_MULTICAST_LOOP" },
	{ IPPROTO_IPV6, IPV6_MULTICAST_HOPS, "IPPROTO_IPV6",
	  "IPV6_MULTICAST_HOPS" },
	{ IPPROTO_IPV6, IPV6_MULTICAST_LOOP, "IPPROTO_IPV6",
	  "IPV6_MULTICAST_LOOP" },
	{ SOL_SOCKET, SO_TIMESTAMPNS, "SOL_SOCKET", "SO_TIMESTAMPNS" },
	{ IPPROTO_IP, IP_RECVTTL, "IPPROTO_IP", "IP_RECVTTL" },
	{ IPPROTO_IP, IP_RECVERR, "IPPROTO_IP", "IP_RECVERR" },
	{ IPPROTO_IPV6, IPV6_RECVHOPLIMIT, "IPPROTO_IPV6",
	  "IPV6_RECVHOPLIMIT" },
	{ IPPROTO_IPV6, IPV6_RECVERR, "IPPROTO_IPV6", "IPV6_RECVERR" },
};

void
skit__trace_sockopt(int fd, int level, int optname, const char *val, int r)
{
	const char *ln = NULL, *on = NULL;
	char lbuf[16], obuf[16];

	if (!skit__trace_on())
		return;
	for (size_t i = 0; i < sizeof(sockopt_names) / sizeof(*sockopt_names);
	     i++)
		if (sockopt_names[i].level == level &&
		    sockopt_names[i].optname == optname) {
			ln = sockopt_names[i].level_name;
			on = sockopt_names[i].name;
		}
	if (!ln) {
		snprintf(lbuf, sizeof(lbuf), "%d", level);
		snprintf(obuf, sizeof(obuf), "%d", optname);
		ln = lbuf;
		on = obuf;
	}
	if (r < 0)
		skit__trace("setsockopt(%d, %s, %s, %s) = -1 %s", fd, ln, on,
			    val, strerrorname_np(-r));
	else
		skit__trace("setsockopt(%d, %s, %s, %s) = 0", fd, ln, on, val);
}

/* setsockopt() and its trace line; text is the value as the trace shows it. */
static int
set_traced(int fd, int level, int optname, const void *v, socklen_t len,
	   const char *text)
{
	int r = setsockopt(fd, level, optname, v, len) < 0 ? -errno : 0;

	skit__trace_sockopt(fd, level, optname, text, r);
	return r;
}

int
skit__setsockopt_int(int fd, int level, int optname, int v)
{
	char val[24];

	snprintf(val, sizeof(val), "%d", v);
	return set_traced(fd, level, optname, &v, sizeof(v), val);
}

int
skit_sock_send_timeout(int fd, int timeout_ms)
{
	int ms = timeout_ms < 1 ? 1 : timeout_ms;
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	char val[24];

	snprintf(val, sizeof(val), "%d ms", ms);
	return set_traced(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv), val);
}

int
skit_sock_reset_on_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	return set_traced(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg),
			  "on, 0 s");
}

static int
set_str(int fd, int level, int optname, const char *s)
{
	char val[80];

	snprintf(val, sizeof(val), "\"%s\"", s);
	return set_traced(fd, level, optname, s, (socklen_t)strlen(s), val);
}

static bool
is_inet(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/*
 * IPv4-level options and their IPv6 twins: ttl= is the hop limit and
 * tos= the traffic class on an AF_INET6 socket.
 */
static const struct {
	int v4_optname;
	int v6_optname;
} ip_twins[] = {
	{ IP_TTL, IPV6_UNICAST_HOPS },
	{ IP_TOS, IPV6_TCLASS },
	{ IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS },
	{ IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP },
};

/*
 * Map a row of the option table onto this socket. Rows without a
 * setsockopt are applied by skit itself (bind=, mode=, backlog=...). IP
 * and TCP
 * levels only make sense on inet sockets of the right type: the parser
 * already refused them on the wrong kind, this guards the families a
 * kind may resolve to. Returns false to skip the row.
 */
static bool
row_for_socket(const struct skit_opt_row *row, const struct skit_sockaddr *sa,
	       int *level, int *optname)
{
	*level = row->level;
	*optname = row->optname;
	/*
	 * "Level 0" in the table means skit applies the option itself, but
	 * IPPROTO_IP is 0 too: the IP rows are told apart by their optname
	 * (no IP-level option is numbered 0).
	 */
	if (row->level == 0 && row->optname == 0)
		return false;
	switch (row->level) {
	case SOL_SOCKET:
		return true;
	case IPPROTO_TCP:
		return is_inet(sa->family) && sa->type == SOCK_STREAM;
	case IPPROTO_IPV6:
		return sa->family == AF_INET6;
	case IPPROTO_IP:
		if (sa->family == AF_INET)
			return true;
		if (sa->family != AF_INET6)
			return false;
		for (size_t i = 0; i < sizeof(ip_twins) / sizeof(*ip_twins);
		     i++)
			if (ip_twins[i].v4_optname == row->optname) {
				*level = IPPROTO_IPV6;
				*optname = ip_twins[i].v6_optname;
				return true;
			}
		return false;
	default:
		return true;
	}
}

int
skit_sock_apply_opts(int fd, const struct skit_addr *a,
		     const struct skit_sockaddr *sa, struct skit_err *err)
{
	const struct skit_opt_row *rows;
	bool is_listen = a->role == SKIT_ROLE_LISTEN;
	char text[160];
	size_t n = 0;
	int level, optname, r;
	long long v;

	/*
	 * The listen role on tcp reuses TIME_WAIT ports by default, like
	 * every server (reuseaddr=0 turns it off). A dual-stack listener
	 * ([::] from an empty host on plain tcp/udp) clears IPV6_V6ONLY
	 * explicitly rather than trusting net.ipv6.bindv6only; tcp6/udp6
	 * set it, so they only take IPv6.
	 */
	if (is_listen && is_inet(sa->family) && sa->type == SOCK_STREAM &&
	    !skit_addr_has(a, SKIT_OPT_REUSEADDR)) {
		r = skit__setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
		if (r < 0)
			return skit_err_setf(
				err, r, "setsockopt",
				skit__sa_text(sa, text, sizeof(text)), 0,
				"reuseaddr: %s", skit_strerror(r));
	}
	if (is_listen && sa->family == AF_INET6 &&
	    !skit_addr_has(a, SKIT_OPT_V6ONLY) && a->host[0] == '\0' &&
	    (a->kind == SKIT_KIND_TCP || a->kind == SKIT_KIND_UDP)) {
		r = skit__setsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY,
					 a->family == AF_INET6 ? 1 : 0);
		if (r < 0)
			return skit_err_setf(
				err, r, "setsockopt",
				skit__sa_text(sa, text, sizeof(text)), 0,
				"v6only: %s", skit_strerror(r));
	}

	rows = skit_addr_opts(&n);
	for (size_t i = 0; i < n; i++) {
		if (!skit_addr_has(a, rows[i].id))
			continue;
		if (!row_for_socket(&rows[i], sa, &level, &optname))
			continue;
		if (rows[i].id == SKIT_OPT_BINDTODEVICE) {
			const char *dev = skit_addr_str(a, rows[i].id);

			r = set_str(fd, level, optname, dev ? dev : "");
		} else {
			v = skit_addr_num(a, rows[i].id, 0);
			/* SO_MARK is a u32 passed in an int. */
			if (rows[i].id == SKIT_OPT_MARK && v > INT_MAX &&
			    v <= UINT32_MAX)
				v = (int)(uint32_t)v;
			if (v > INT_MAX || v < INT_MIN)
				return skit_err_setf(
					err, SKIT_EOPTION, "setsockopt",
					skit__sa_text(sa, text, sizeof(text)),
					0, "%s: value out of range",
					rows[i].name);
			r = skit__setsockopt_int(fd, level, optname, (int)v);
		}
		if (r < 0)
			return skit_err_setf(
				err, r, "setsockopt",
				skit__sa_text(sa, text, sizeof(text)), 0,
				"%s: %s", rows[i].name, skit_strerror(r));
	}
	return skit__mcast_apply(fd, a, sa, err);
}

/* bind= on an inet socket: the parsed source host (a name is looked
 * up in the target's family) and port. */
static int
bind_source_inet(int fd, const struct skit_addr_bind *b, const char *v,
		 const struct skit_sockaddr *sa,
		 const struct skit_resolver *res, struct skit_err *err)
{
	struct skit_sockaddr src;
	char port[8];
	struct addrinfo hints, *ai = NULL;
	int g;

	memset(&src, 0, sizeof(src));
	src.family = sa->family;
	src.type = sa->type;
	src.protocol = sa->protocol;
	if (b->host[0] == '\0') {
		/* ":PORT": any address of the target's family. */
		if (sa->family == AF_INET6) {
			struct sockaddr_in6 *s6 = (void *)&src.ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_any;
			s6->sin6_port = htons(b->port);
			src.len = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (void *)&src.ss;

			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
			s4->sin_port = htons(b->port);
			src.len = sizeof(*s4);
		}
		return skit__bind(fd, &src, err);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = sa->family;
	hints.ai_socktype = sa->type;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", (unsigned)b->port);
	if (res && res->getaddrinfo)
		g = res->getaddrinfo(res->data, b->host, port, &hints, &ai);
	else
		g = getaddrinfo(b->host, port, &hints, &ai);
	if (g != 0 || !ai)
		return skit_err_setf(
			err, g ? skit_err_from_gai(g, errno) : SKIT_EAI_NONAME,
			"bind", v, 0, "source address: %s",
			g ? skit_strerror(skit_err_from_gai(g, errno))
			  : "no address of the target's family");
	memcpy(&src.ss, ai->ai_addr, ai->ai_addrlen);
	src.len = ai->ai_addrlen;
	if (res && res->freeaddrinfo)
		res->freeaddrinfo(res->data, ai);
	else
		freeaddrinfo(ai);
	return skit__bind(fd, &src, err);
}

int
skit__bind_source(int fd, const struct skit_addr *a,
		  const struct skit_sockaddr *sa,
		  const struct skit_resolver *res, struct skit_err *err)
{
	const struct skit_addr_bind *b = skit_addr_get_bind(a);
	const char *v = skit_addr_str(a, SKIT_OPT_BIND);
	struct skit_sockaddr src;

	if ((!b || !v) && sa->family == AF_UNIX && sa->type == SOCK_DGRAM)
		return skit__unix_autobind(fd, err);
	if (!b || !v)
		return 0;
	if (is_inet(sa->family) && !b->is_path)
		return bind_source_inet(fd, b, v, sa, res, err);
	if (sa->family == AF_UNIX && b->is_path) {
		if (skit__unix_sockaddr(b->host, b->abstract, sa->type, &src) <
		    0)
			return skit_err_setf(err, SKIT_ETOOLONG, "bind", v, 0,
					     "unix path too long");
		return skit__bind(fd, &src, err);
	}
	return skit_err_setf(err, SKIT_EKIND, "bind", v, 0,
			     "bind= is not supported for %s sockets",
			     skit__af_name(sa->family));
}
