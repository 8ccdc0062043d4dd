/*
 * sock_diag.c - the NETLINK_SOCK_DIAG socket calls (open, dump requests
 * for each kind, destroy notifications) and the /proc walk that finds
 * the process holding each socket.
 */
#include "skit/diag.h"
#include "skit/io.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
skit_diag_open(unsigned groups, struct skit_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd;

	fd = skit_socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG, false);
	if (fd < 0)
		return skit_err_set(err, fd, "socket", "netlink:sock_diag");
	if (groups & SKIT_DIAG_GROUP_DESTROY)
		sa.nl_groups = 1u << (SKNLGRP_INET_TCP_DESTROY - 1) |
			       1u << (SKNLGRP_INET_UDP_DESTROY - 1) |
			       1u << (SKNLGRP_INET6_TCP_DESTROY - 1) |
			       1u << (SKNLGRP_INET6_UDP_DESTROY - 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		skit_close(fd);
		return skit_err_set(err, e, "bind", "netlink:sock_diag");
	}
	skit__trace("bind(%d, netlink sock_diag groups 0x%x) = 0", fd,
		    sa.nl_groups);
	return fd;
}

/* The request for one kind: a header and the kind's fixed part. */
static int
send_dump(int fd, enum skit_diag_kind kind, int family, unsigned flags)
{
	struct {
		struct nlmsghdr h;
		union {
			struct inet_diag_req_v2 inet;
			struct unix_diag_req un;
			struct packet_diag_req pkt;
			struct netlink_diag_req nl;
		} u;
	} req;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	size_t blen;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	switch (kind) {
	case SKIT_DIAG_TCP:
	case SKIT_DIAG_UDP:
	case SKIT_DIAG_RAW:
		req.u.inet.sdiag_family = (uint8_t)family;
		req.u.inet.sdiag_protocol = kind == SKIT_DIAG_TCP ? IPPROTO_TCP
					    : kind == SKIT_DIAG_UDP
						    ? IPPROTO_UDP
						    : IPPROTO_RAW;
		/* Raw: the protocol to match goes in pad; IPPROTO_RAW
		 * there means every raw socket. */
		if (kind == SKIT_DIAG_RAW)
			req.u.inet.pad = IPPROTO_RAW;
		req.u.inet.idiag_states = ~0u;
		if (flags & SKIT_DIAG_WANT_TCP_INFO)
			req.u.inet.idiag_ext = 1u << (INET_DIAG_INFO - 1) |
					       1u << (INET_DIAG_CONG - 1);
		blen = sizeof(req.u.inet);
		break;
	case SKIT_DIAG_UNIX:
		req.u.un.sdiag_family = AF_UNIX;
		req.u.un.udiag_states = ~0u;
		req.u.un.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER |
				      UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID;
		blen = sizeof(req.u.un);
		break;
	case SKIT_DIAG_PACKET:
		req.u.pkt.sdiag_family = AF_PACKET;
		req.u.pkt.pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO;
		blen = sizeof(req.u.pkt);
		break;
	case SKIT_DIAG_NETLINK:
		req.u.nl.sdiag_family = AF_NETLINK;
		req.u.nl.sdiag_protocol = NDIAG_PROTO_ALL;
		req.u.nl.ndiag_show = NDIAG_SHOW_MEMINFO;
		blen = sizeof(req.u.nl);
		break;
	default:
		return -EINVAL;
	}
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = (uint32_t)kind;
	req.h.nlmsg_len = NLMSG_LENGTH(blen);
	n = skit_sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&to,
			sizeof(to));
	return n < 0 ? (int)n : 0;
}

/* Raw sockets from /proc/net/raw{,6}: what ss reads without raw_diag. */
static int
proc_raw(int family, skit_diag_cb cb, void *data)
{
	FILE *f = fopen(family == AF_INET ? "/proc/net/raw" : "/proc/net/raw6",
			"re");
	char line[512];
	int r = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6: none */
	while (r == 0 && fgets(line, sizeof(line), f)) {
		struct skit_diag_sock s;

		if (skit_diag_proc_line(line, family, &s) == 1 && cb)
			r = cb(&s, data);
	}
	fclose(f);
	return r;
}

/* skit_diag_parse as a skit__nl_parse_fn. */
struct diag_ctx {
	enum skit_diag_kind kind;
	skit_diag_cb cb;
	void *data;
};

static int
diag_parse(const void *buf, size_t len, void *ctx)
{
	const struct diag_ctx *c = ctx;

	return skit_diag_parse(buf, len, c->kind, c->cb, c->data);
}

int
skit_diag_dump(int fd, enum skit_diag_kind kind, int family, unsigned flags,
	       skit_diag_cb cb, void *data)
{
	struct diag_ctx c = { kind, cb, data };
	int r = send_dump(fd, kind, family, flags);

	if (r == 0)
		r = skit__nl_recv_dump(fd, diag_parse, &c);
	if (r == -ENOENT && kind == SKIT_DIAG_RAW &&
	    !(flags & SKIT_DIAG_KERNEL_ONLY))
		return proc_raw(family, cb, data);
	return r;
}

int
skit_diag_read(int fd, skit_diag_cb cb, void *data)
{
	/* Destroy notifications are inet records; the protocol attribute
	 * says TCP or UDP. */
	struct diag_ctx c = { SKIT_DIAG_TCP, cb, data };

	return skit__nl_recv_once(fd, diag_parse, &c);
}

/* --- owners from /proc ---------------------------------------------- */

struct owners {
	struct skit_diag_owner *v;
	size_t n, cap;
};

static int
owners_add(struct owners *o, const struct skit_diag_owner *w)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		void *p = realloc(o->v, cap * sizeof(*o->v));

		if (!p)
			return -ENOMEM;
		o->v = p;
		o->cap = cap;
	}
	o->v[o->n++] = *w;
	return 0;
}

/* The short name of pid (/proc/PID/comm), or "?". */
static void
read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Every socket fd of one process. */
static int
scan_pid(struct owners *o, pid_t pid)
{
	char path[64], link[64], comm[16] = "";
	struct dirent *e;
	DIR *d;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return 0; /* gone, or not ours to see */
	while (r == 0 && (e = readdir(d))) {
		struct skit_diag_owner w = { 0 };
		char fdpath[320];
		unsigned long ino;
		ssize_t n;
		char *end;
		long fd;

		fd = strtol(e->d_name, &end, 10);
		if (*end || fd < 0)
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) != 1)
			continue;
		if (!comm[0])
			read_comm(pid, comm, sizeof(comm));
		w.inode = (uint32_t)ino;
		w.pid = pid;
		w.fd = (int)fd;
		memcpy(w.comm, comm, sizeof(w.comm));
		r = owners_add(o, &w);
	}
	closedir(d);
	return r;
}

static int
by_inode(const void *a, const void *b)
{
	const struct skit_diag_owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd - y->fd;
}

int
skit_diag_owners(struct skit_diag_owner **out, size_t *n)
{
	struct owners o = { 0 };
	struct dirent *e;
	DIR *d;
	int r = 0;

	*out = NULL;
	*n = 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while (r == 0 && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		r = scan_pid(&o, (pid_t)pid);
	}
	closedir(d);
	if (r < 0) {
		free(o.v);
		return r;
	}
	if (o.n)
		qsort(o.v, o.n, sizeof(*o.v), by_inode);
	*out = o.v;
	*n = o.n;
	return 0;
}

const struct skit_diag_owner *
skit_diag_owner_find(const struct skit_diag_owner *list, size_t n,
		     uint32_t inode)
{
	size_t lo = 0, hi = n;

	/* The first of equal inodes: a lower bound. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (list[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && list[lo].inode == inode ? &list[lo] : NULL;
}
