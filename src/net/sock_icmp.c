/*
 * sock_icmp.c - the socket calls behind ICMP echo: open a datagram
 * ("ping") socket or a raw one, set the TTL, receive replies with their
 * TTL and kernel timestamp, and read ICMP errors from the error queue.
 */
#include "skit/icmp.h"
#include "skit/io.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int
setint(int fd, int level, int name, int val)
{
	int r = setsockopt(fd, level, name, &val, sizeof(val)) < 0 ? -errno : 0;
	char v[16];

	snprintf(v, sizeof(v), "%d", val);
	skit__trace_sockopt(fd, level, name, v, r);
	return r;
}

/* Let only echo replies and errors through a raw socket. */
static int
set_filter(int fd, int family)
{
	if (family == AF_INET) {
		struct icmp_filter f;

		/* A set bit blocks that type. */
		f.data = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) |
			   (1u << ICMP_SOURCE_QUENCH) | (1u << ICMP_REDIRECT) |
			   (1u << ICMP_TIME_EXCEEDED) |
			   (1u << ICMP_PARAMETERPROB));
		if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)) < 0)
			return -errno;
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
			       sizeof(f)) < 0)
			return -errno;
	}
	return 0;
}

static int
prepare(int fd, int family, bool raw)
{
	int r;

	r = setint(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	if (r < 0)
		return r;
	if (family == AF_INET) {
		r = setint(fd, IPPROTO_IP, IP_RECVTTL, 1);
		if (r == 0 && !raw)
			r = setint(fd, IPPROTO_IP, IP_RECVERR, 1);
	} else {
		r = setint(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
		if (r == 0 && !raw)
			r = setint(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
	}
	if (r == 0 && raw)
		r = set_filter(fd, family);
	return r;
}

int
skit_icmp_open(int family, int flags, struct skit_icmp_open_info *info,
	       struct skit_err *err)
{
	int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	const char *what = family == AF_INET6 ? "icmp6" : "icmp";
	struct skit_icmp_open_info dummy;
	int fd, r;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (family != AF_INET && family != AF_INET6)
		return skit_err_set(err, -EAFNOSUPPORT, "socket", what);
	if (!(flags & SKIT_ICMP_RAW_ONLY)) {
		fd = skit_socket(family, SOCK_DGRAM, proto, true);
		if (fd >= 0) {
			r = prepare(fd, family, false);
			if (r == 0)
				return fd;
			skit_close(fd);
			return skit_err_set(err, r, "setsockopt", what);
		}
		info->dgram_code = fd;
		if (flags & SKIT_ICMP_DGRAM_ONLY)
			return skit_err_setf(err, fd, "socket", what, 0,
					     "datagram ICMP socket: %s",
					     skit_strerror(fd));
	}
	fd = skit_socket(family, SOCK_RAW, proto, true);
	if (fd < 0) {
		info->raw_code = fd;
		return skit_err_setf(err, fd, "socket", what, 0,
				     "raw ICMP socket: %s", skit_strerror(fd));
	}
	info->raw = true;
	r = prepare(fd, family, true);
	if (r < 0) {
		skit_close(fd);
		return skit_err_set(err, r, "setsockopt", what);
	}
	return fd;
}

int
skit_icmp_set_ttl(int fd, int family, int ttl)
{
	if (family == AF_INET)
		return setint(fd, IPPROTO_IP, IP_TTL, ttl);
	return setint(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
}

int
skit_icmp_local_id(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}

ssize_t
skit_icmp_send(int fd, const void *buf, size_t len, const struct sockaddr *dst,
	       socklen_t dstlen)
{
	return skit_sendto(fd, buf, len, 0, dst, dstlen);
}

/* Pick TTL/hop limit and the timestamp out of the ancillary data. */
static void
read_cmsgs(struct msghdr *msg, int *ttl, struct timespec *ts)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*ts)))
			memcpy(ts, CMSG_DATA(c), sizeof(*ts));
		else if (((c->cmsg_level == IPPROTO_IP &&
			   c->cmsg_type == IP_TTL) ||
			  (c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_HOPLIMIT)) &&
			 c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(ttl, CMSG_DATA(c), sizeof(int));
	}
}

ssize_t
skit_icmp_recv(int fd, void *buf, size_t len, struct skit_icmp_rx *rx)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec)) +
			 2 * CMSG_SPACE(sizeof(int)) + 64];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { 0 };
	ssize_t n;

	memset(rx, 0, sizeof(*rx));
	rx->ttl = -1;
	msg.msg_name = &rx->from;
	msg.msg_namelen = sizeof(rx->from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	n = skit_recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return n;
	rx->fromlen = msg.msg_namelen;
	rx->len = (size_t)n;
	read_cmsgs(&msg, &rx->ttl, &rx->ts);
	return n;
}

ssize_t
skit_icmp_recv_err(int fd, void *buf, size_t len, struct skit_icmp_qerr *qe)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				    sizeof(struct sockaddr_in6)) +
			 CMSG_SPACE(sizeof(struct timespec)) +
			 2 * CMSG_SPACE(sizeof(int)) + 64];
		struct cmsghdr align;
	} cbuf;
	struct sockaddr_storage to;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { 0 };
	struct cmsghdr *c;
	ssize_t n;

	memset(qe, 0, sizeof(*qe));
	msg.msg_name = &to;
	msg.msg_namelen = sizeof(to);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	n = skit_recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0)
		return n;
	qe->len = (size_t)n;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		struct sock_extended_err ee;
		const struct sockaddr *off;
		size_t room;

		if (!((c->cmsg_level == IPPROTO_IP &&
		       c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == IPPROTO_IPV6 &&
		       c->cmsg_type == IPV6_RECVERR)) ||
		    c->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		qe->errcode = (int)ee.ee_errno;
		qe->type = ee.ee_type;
		qe->code = ee.ee_code;
		qe->info = ee.ee_info;
		qe->origin_icmp = ee.ee_origin == SO_EE_ORIGIN_ICMP ||
				  ee.ee_origin == SO_EE_ORIGIN_ICMP6;
		/* The offender's address follows the struct, when present. */
		room = c->cmsg_len - CMSG_LEN(sizeof(ee));
		off = (const struct sockaddr *)(CMSG_DATA(c) + sizeof(ee));
		if (room >= sizeof(struct sockaddr_in6) &&
		    off->sa_family == AF_INET6)
			memcpy(&qe->offender, off, sizeof(struct sockaddr_in6));
		else if (room >= sizeof(struct sockaddr_in) &&
			 off->sa_family == AF_INET)
			memcpy(&qe->offender, off, sizeof(struct sockaddr_in));
	}
	return n;
}

int
skit_icmp_resolve(const char *host, int family, bool numeric,
		  struct sockaddr_storage *dst, socklen_t *dstlen,
		  struct skit_err *err)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	int r;

	hints.ai_family = family;
	hints.ai_socktype = SOCK_RAW;
	hints.ai_flags = numeric ? AI_NUMERICHOST : AI_ADDRCONFIG;
	r = getaddrinfo(host, NULL, &hints, &res);
	if (r != 0 && !numeric && r == EAI_NONAME) {
		/* AI_ADDRCONFIG hides ::1 on hosts with only loopback v6. */
		hints.ai_flags = 0;
		r = getaddrinfo(host, NULL, &hints, &res);
	}
	if (r != 0)
		return skit_err_set(err, skit_err_from_gai(r, errno), "resolve",
				    host);
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(*dst))
			break;
	if (!ai) {
		freeaddrinfo(res);
		return skit_err_set(err, SKIT_EAI_NODATA, "resolve", host);
	}
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, ai->ai_addr, ai->ai_addrlen);
	*dstlen = ai->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
