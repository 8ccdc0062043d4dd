/*
 * sock_netlink.c - the NETLINK_ROUTE socket calls: open (with multicast
 * groups for --watch), dump requests (links, addresses, routes,
 * neighbours) and reads.
 */
#include "skit/io.h"
#include "skit/nl.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_BUF (64 * 1024)

int
skit_nl_open(unsigned groups, struct skit_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, one = 1;

	fd = skit_socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, false);
	if (fd < 0)
		return skit_err_set(err, fd, "socket", "netlink:route");
	if (groups & SKIT_NL_GROUP_LINK)
		sa.nl_groups |= RTMGRP_LINK;
	if (groups & SKIT_NL_GROUP_ADDR)
		sa.nl_groups |= RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (groups & SKIT_NL_GROUP_ROUTE)
		sa.nl_groups |= RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
	if (groups & SKIT_NL_GROUP_NEIGH)
		sa.nl_groups |= RTMGRP_NEIGH;
	/* Extended ACKs make errors say what was wrong; optional. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		skit_close(fd);
		return skit_err_set(err, e, "bind", "netlink:route");
	}
	skit__trace("bind(%d, netlink groups 0x%x) = 0", fd, sa.nl_groups);
	return fd;
}

static int
send_dump(int fd, enum skit_nl_what what, uint32_t seq)
{
	/* The request: a header and the family-less fixed part. */
	static const struct {
		enum skit_nl_what what;
		uint16_t type;
		size_t len;
	} req_of[] = {
		{ SKIT_NL_LINK, RTM_GETLINK, sizeof(struct ifinfomsg) },
		{ SKIT_NL_ADDR, RTM_GETADDR, sizeof(struct ifaddrmsg) },
		{ SKIT_NL_ROUTE, RTM_GETROUTE, sizeof(struct rtmsg) },
		{ SKIT_NL_NEIGH, RTM_GETNEIGH, sizeof(struct ndmsg) },
	};
	struct {
		struct nlmsghdr h;
		union {
			struct ifinfomsg link;
			struct ifaddrmsg addr;
			struct rtmsg route;
			struct ndmsg neigh;
		} u;
	} req;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	size_t i = 0;
	ssize_t n;

	while (i < sizeof(req_of) / sizeof(req_of[0]) && req_of[i].what != what)
		i++;
	if (i == sizeof(req_of) / sizeof(req_of[0]))
		return -EINVAL;
	/* Zeroed: every family (AF_UNSPEC), every table, no filter. */
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.h.nlmsg_type = req_of[i].type;
	req.h.nlmsg_len = NLMSG_LENGTH(req_of[i].len);
	n = skit_sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&to,
			sizeof(to));
	return n < 0 ? (int)n : 0;
}

int
skit__nl_recv_dump(int fd, skit__nl_parse_fn parse, void *ctx)
{
	uint8_t *buf = malloc(NL_BUF);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	while (r == 0) {
		ssize_t n = skit_recvfrom(fd, buf, NL_BUF, 0, NULL, NULL);

		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0) {
			r = -EPROTO;
			break;
		}
		r = parse(buf, (size_t)n, ctx);
	}
	free(buf);
	return r == 1 ? 0 : r;
}

int
skit__nl_recv_once(int fd, skit__nl_parse_fn parse, void *ctx)
{
	uint8_t *buf = malloc(NL_BUF);
	ssize_t n;
	int r;

	if (!buf)
		return -ENOMEM;
	n = skit_recvfrom(fd, buf, NL_BUF, 0, NULL, NULL);
	r = n < 0 ? (int)n : parse(buf, (size_t)n, ctx);
	free(buf);
	return r == 1 ? 0 : r;
}

/* skit_nl_parse as a skit__nl_parse_fn. */
struct nl_ctx {
	skit_nl_cb cb;
	void *data;
};

static int
nl_parse(const void *buf, size_t len, void *ctx)
{
	const struct nl_ctx *c = ctx;

	return skit_nl_parse(buf, len, c->cb, c->data);
}

int
skit_nl_dump(int fd, enum skit_nl_what what, skit_nl_cb cb, void *data)
{
	struct nl_ctx c = { cb, data };
	int r = send_dump(fd, what, (uint32_t)what);

	return r < 0 ? r : skit__nl_recv_dump(fd, nl_parse, &c);
}

int
skit_nl_read(int fd, skit_nl_cb cb, void *data)
{
	struct nl_ctx c = { cb, data };

	return skit__nl_recv_once(fd, nl_parse, &c);
}
