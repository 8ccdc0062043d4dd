/*
 * sock_mcast.c - multicast on an inet datagram socket: the interface
 * (iface=, or the scope of an ff02::1%eth0 target), any-source joins
 * (join=) and source-specific ones (join-source=), for IPv4 and IPv6
 * alike through the protocol-independent calls of RFC 3678
 * (MCAST_JOIN_GROUP, MCAST_JOIN_SOURCE_GROUP). multicast-ttl=,
 * multicast-loop= and broadcast are plain setsockopt rows of the option
 * table (src/net/sock_opt.c).
 */
#include "skit/io.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* setsockopt with a trace line naming the call. */
static int
set_traced(int fd, int level, int optname, const void *v, socklen_t len,
	   const char *what)
{
	int r = setsockopt(fd, level, optname, v, len) < 0 ? -errno : 0;

	if (r < 0)
		skit__trace("setsockopt(%d, %s) = -1 %s", fd, what,
			    strerrorname_np(-r));
	else
		skit__trace("setsockopt(%d, %s) = 0", fd, what);
	return r;
}

/* An interface name or index: its index, or 0. */
static unsigned
iface_index(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s && !*end && v > 0 && v < 1u << 24)
		return (unsigned)v;
	return if_nametoindex(s);
}

/*
 * A group or source "ADDR", "ADDR%IFACE" (IPv6 zone), or socat's
 * "ADDR:IFACE" (IPv4) of the socket's family into ss; the interface it
 * names (0 when none) into *ifindex. 0, -EINVAL (not an address of the
 * family) or -ENODEV (no such interface).
 */
static int
parse_addr(const char *text, int family, struct sockaddr_storage *ss,
	   unsigned *ifindex)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *iface = NULL;

	*ifindex = 0;
	memset(ss, 0, sizeof(*ss));
	snprintf(buf, sizeof(buf), "%s", text);
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		iface = strchr(buf, '%');
		if (iface)
			*iface++ = '\0';
		if (inet_pton(AF_INET6, buf, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		iface = strchr(buf, ':');
		if (iface)
			*iface++ = '\0';
		if (inet_pton(AF_INET, buf, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
	}
	if (iface) {
		*ifindex = iface_index(iface);
		if (!*ifindex)
			return -ENODEV;
	}
	return 0;
}

static bool
is_multicast(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(
			&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return IN_MULTICAST(
		ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr));
}

/* The interface for sending multicast (IP_MULTICAST_IF and its twin). */
static int
set_send_iface(int fd, int family, unsigned ifindex)
{
	char what[64];

	if (family == AF_INET6) {
		int i = (int)ifindex;

		snprintf(what, sizeof(what),
			 "IPPROTO_IPV6, IPV6_MULTICAST_IF, %u", ifindex);
		return set_traced(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &i,
				  sizeof(i), what);
	} else {
		struct ip_mreqn m = { .imr_ifindex = (int)ifindex };

		snprintf(what, sizeof(what), "IPPROTO_IP, IP_MULTICAST_IF, %u",
			 ifindex);
		return set_traced(fd, IPPROTO_IP, IP_MULTICAST_IF, &m,
				  sizeof(m), what);
	}
}

/* The group join= names, or else the target's address (join-source= alone). */
static int
group_of(const struct skit_addr *a, const struct skit_sockaddr *sa,
	 struct sockaddr_storage *group, unsigned *ifindex)
{
	const char *join = skit_addr_str(a, SKIT_OPT_JOIN);

	if (join)
		return parse_addr(join, sa->family, group, ifindex);
	*ifindex = 0;
	memcpy(group, &sa->ss, sizeof(*group));
	if (sa->family == AF_INET6)
		((struct sockaddr_in6 *)group)->sin6_port = 0;
	else
		((struct sockaddr_in *)group)->sin_port = 0;
	return 0;
}

static int
join(int fd, const struct skit_addr *a, const struct skit_sockaddr *sa,
     unsigned ifindex, const char *text, struct skit_err *err)
{
	const char *src = skit_addr_str(a, SKIT_OPT_JOIN_SOURCE);
	const char *join_text = skit_addr_str(a, SKIT_OPT_JOIN);
	int level = sa->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	struct sockaddr_storage group;
	unsigned zone = 0;
	char what[160];
	int r;

	r = group_of(a, sa, &group, &zone);
	if (r == -ENODEV)
		return skit_err_setf(err, r, "join", text, 0,
				     "join=%s: no such interface", join_text);
	if (r < 0 || !is_multicast(&group))
		return skit_err_setf(err, SKIT_EOPTION, "join", text, 0,
				     "join=%s: not an %s multicast group",
				     join_text ? join_text : "(the target)",
				     sa->family == AF_INET6 ? "IPv6" : "IPv4");
	if (zone)
		ifindex = zone;
	if (src) {
		struct group_source_req gsr;
		unsigned ignored;

		memset(&gsr, 0, sizeof(gsr));
		gsr.gsr_interface = ifindex;
		memcpy(&gsr.gsr_group, &group, sizeof(group));
		if (parse_addr(src, sa->family, &gsr.gsr_source, &ignored) < 0)
			return skit_err_setf(
				err, SKIT_EOPTION, "join", text, 0,
				"join-source=%s: not an %s address", src,
				sa->family == AF_INET6 ? "IPv6" : "IPv4");
		snprintf(what, sizeof(what),
			 "%s, MCAST_JOIN_SOURCE_GROUP, %s from %s on %u",
			 level == IPPROTO_IP ? "IPPROTO_IP" : "IPPROTO_IPV6",
			 join_text ? join_text : "the target", src, ifindex);
		r = set_traced(fd, level, MCAST_JOIN_SOURCE_GROUP, &gsr,
			       sizeof(gsr), what);
	} else {
		struct group_req gr;

		memset(&gr, 0, sizeof(gr));
		gr.gr_interface = ifindex;
		memcpy(&gr.gr_group, &group, sizeof(group));
		snprintf(what, sizeof(what), "%s, MCAST_JOIN_GROUP, %s on %u",
			 level == IPPROTO_IP ? "IPPROTO_IP" : "IPPROTO_IPV6",
			 join_text, ifindex);
		r = set_traced(fd, level, MCAST_JOIN_GROUP, &gr, sizeof(gr),
			       what);
	}
	if (r < 0)
		return skit_err_setf(err, r, "join", text, 0, "%s%s: %s",
				     src ? "join-source=" : "join=",
				     src ? src : join_text, skit_strerror(r));
	return 0;
}

int
skit__mcast_apply(int fd, const struct skit_addr *a,
		  const struct skit_sockaddr *sa, struct skit_err *err)
{
	const char *iface = skit_addr_str(a, SKIT_OPT_IFACE);
	unsigned ifindex = 0;
	char text[160];
	int r;

	if (sa->family != AF_INET && sa->family != AF_INET6)
		return 0;
	skit__sa_text(sa, text, sizeof(text));
	if (iface) {
		ifindex = iface_index(iface);
		if (!ifindex)
			return skit_err_setf(err, -ENODEV, "setsockopt", text,
					     0, "iface=%s: no such interface",
					     iface);
	} else if (sa->family == AF_INET6) {
		/* udp:[ff02::1%eth0]:5000: the scope is the interface. */
		ifindex = ((const struct sockaddr_in6 *)&sa->ss)->sin6_scope_id;
	}
	if (ifindex && (iface || is_multicast(&sa->ss))) {
		r = set_send_iface(fd, sa->family, ifindex);
		if (r < 0)
			return skit_err_setf(err, r, "setsockopt", text, 0,
					     "iface=%s: %s", iface ? iface : "",
					     skit_strerror(r));
	}
	if (!skit_addr_has(a, SKIT_OPT_JOIN) &&
	    !skit_addr_has(a, SKIT_OPT_JOIN_SOURCE))
		return 0;
	return join(fd, a, sa, ifindex, text, err);
}
