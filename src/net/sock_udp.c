/*
 * sock_udp.c - UDP segmentation offload for the datagram benches: GSO
 * on the sending side (skit bench -u, one send call carries many
 * datagrams), GRO on the receiving side (skit echo --discard udp:, one
 * receive returns many), and the batched send that stands in where GSO
 * is missing.
 */
#include "net/sock_int.h"

#include <errno.h>
#include <linux/udp.h> /* UDP_SEGMENT, UDP_GRO */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SOL_UDP
#define SOL_UDP IPPROTO_UDP
#endif

int
skit__udp_gso_probe(int fd, int size)
{
	int r = skit__setsockopt_int(fd, SOL_UDP, UDP_SEGMENT, size);

	if (r == 0)
		r = skit__setsockopt_int(fd, SOL_UDP, UDP_SEGMENT, 0);
	return r;
}

int
skit__udp_gro(int fd, bool on)
{
	return skit__setsockopt_int(fd, SOL_UDP, UDP_GRO, on ? 1 : 0);
}

size_t
skit__udp_gso_cmsg(char *buf, size_t len, int size)
{
	struct cmsghdr *cm = (struct cmsghdr *)buf;
	uint16_t v = (uint16_t)size;

	if (len < CMSG_SPACE(sizeof(v)))
		return 0;
	memset(buf, 0, CMSG_SPACE(sizeof(v)));
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(v));
	memcpy(CMSG_DATA(cm), &v, sizeof(v));
	return CMSG_SPACE(sizeof(v));
}

size_t
skit__udp_gro_size(const struct msghdr *m)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR((struct msghdr *)m); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)m, cm)) {
		int v;

		if (cm->cmsg_level != SOL_UDP || cm->cmsg_type != UDP_GRO ||
		    cm->cmsg_len < CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(cm), sizeof(v));
		return v > 0 ? (size_t)v : 0;
	}
	return 0;
}

ssize_t
skit__recvmsg_wait(int fd, struct msghdr *m, int flags)
{
	long n = syscall(SYS_recvmsg, fd, m, flags);

	return n < 0 ? -errno : n;
}
