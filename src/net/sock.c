/*
 * sock.c - the bottom of the socket layer: socket creation, bind,
 * connect, listen, accept, names and errors, each one traced system
 * call (net/sock_int.h). Options live in sock_opt.c and unix socket
 * files in sock_unix.c; the top, which resolves an address and opens it
 * (open.c, dial.c, resolve.c), calls down into these.
 */
#include "skit/sock.h"
#include "skit/io.h"
#include "net/serve_int.h" /* skit__accept4 */
#include "net/sock_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct name_row {
	int value;
	const char *name;
};

static const struct name_row af_names[] = {
	{ AF_UNSPEC, "AF_UNSPEC" }, { AF_UNIX, "AF_UNIX" },
	{ AF_INET, "AF_INET" },	    { AF_INET6, "AF_INET6" },
	{ AF_PACKET, "AF_PACKET" }, { AF_NETLINK, "AF_NETLINK" },
	{ AF_VSOCK, "AF_VSOCK" },   { AF_TIPC, "AF_TIPC" },
};

static const struct name_row type_names[] = {
	{ SOCK_STREAM, "SOCK_STREAM" },
	{ SOCK_DGRAM, "SOCK_DGRAM" },
	{ SOCK_SEQPACKET, "SOCK_SEQPACKET" },
	{ SOCK_RAW, "SOCK_RAW" },
	{ SOCK_RDM, "SOCK_RDM" },
};

static const char *
find_name(const struct name_row *rows, size_t n, int value)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].value == value)
			return rows[i].name;
	return NULL;
}

const char *
skit__af_name(int af)
{
	const char *s =
		find_name(af_names, sizeof(af_names) / sizeof(*af_names), af);

	return s ? s : "AF_?";
}

const char *
skit__type_name(int type)
{
	const char *s = find_name(
		type_names, sizeof(type_names) / sizeof(*type_names), type);

	return s ? s : "SOCK_?";
}

const char *
skit__sa_text(const struct skit_sockaddr *sa, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (skit_sockaddr_format((const struct sockaddr *)&sa->ss, sa->len,
				 sa->type, sa->protocol, buf, len) < 0)
		snprintf(buf, len, "%s address",
			 skit__af_name(sa->ss.ss_family));
	return buf;
}

int
skit_socket(int domain, int type, int protocol, bool nonblock)
{
	int fd;

	fd = socket(domain,
		    type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
		    protocol);
	if (fd < 0) {
		int e = errno;

		skit__trace("socket(%s, %s, %d) = -1 %s", skit__af_name(domain),
			    skit__type_name(type), protocol,
			    strerrorname_np(e));
		return -e;
	}
	skit__trace("socket(%s, %s, %d) = %d", skit__af_name(domain),
		    skit__type_name(type), protocol, fd);
	return fd;
}

int
skit__sock_create(struct skit_sockaddr *sa, bool nonblock, struct skit_err *err)
{
	char text[160];
	int fd;

	fd = skit_socket(sa->family, sa->type, sa->protocol, nonblock);
	/*
	 * Unprivileged ICMP "ping" sockets exist only for the groups in
	 * net.ipv4.ping_group_range; a raw socket is the privileged path.
	 */
	if ((fd == -EACCES || fd == -EPERM) && sa->type == SOCK_DGRAM &&
	    (sa->protocol == IPPROTO_ICMP || sa->protocol == IPPROTO_ICMPV6)) {
		int raw = skit_socket(sa->family, SOCK_RAW, sa->protocol,
				      nonblock);

		if (raw >= 0) {
			sa->type = SOCK_RAW;
			return raw;
		}
	}
	if (fd < 0)
		return skit_err_set(err, fd, "socket",
				    skit__sa_text(sa, text, sizeof(text)));
	return fd;
}

int
skit__bind(int fd, const struct skit_sockaddr *sa, struct skit_err *err)
{
	char text[160];
	int e;

	skit__sa_text(sa, text, sizeof(text));
	if (bind(fd, (const struct sockaddr *)&sa->ss, sa->len) < 0) {
		e = errno;
		skit__trace("bind(%d, %s) = -1 %s", fd, text,
			    strerrorname_np(e));
		return skit_err_set(err, -e, "bind", text);
	}
	skit__trace("bind(%d, %s) = 0", fd, text);
	return 0;
}

int
skit__connect(int fd, const struct skit_sockaddr *sa)
{
	char text[160];
	int r, e;

	do
		r = connect(fd, (const struct sockaddr *)&sa->ss, sa->len);
	while (r < 0 && errno == EINTR);
	e = r < 0 ? errno : 0;
	if (skit__trace_on()) {
		skit__sa_text(sa, text, sizeof(text));
		if (r < 0)
			skit__trace("connect(%d, %s) = -1 %s", fd, text,
				    strerrorname_np(e));
		else
			skit__trace("connect(%d, %s) = 0", fd, text);
	}
	return r == 0 ? 0 : -e;
}

static int
sock_name(int fd, struct skit_sockaddr *out, bool peer)
{
	socklen_t l = sizeof(int);
	int r;

	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (peer)
		r = getpeername(fd, (struct sockaddr *)&out->ss, &out->len);
	else
		r = getsockname(fd, (struct sockaddr *)&out->ss, &out->len);
	if (r < 0)
		return -errno;
	out->family = out->ss.ss_family;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &out->type, &l) < 0)
		return -errno;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &out->protocol, &l) < 0)
		out->protocol = 0;
	/* The formatter names TCP/UDP by type; keep protocol 0 for those. */
	if (out->protocol == IPPROTO_TCP || out->protocol == IPPROTO_UDP)
		out->protocol = 0;
	return 0;
}

int
skit_sock_local(int fd, struct skit_sockaddr *out)
{
	return sock_name(fd, out, false);
}

int
skit_sock_peer(int fd, struct skit_sockaddr *out)
{
	return sock_name(fd, out, true);
}

int
skit_sock_error(int fd)
{
	int e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		return -errno;
	if (e)
		skit__trace("getsockopt(%d, SO_ERROR) = %s", fd,
			    strerrorname_np(e));
	return -e;
}

int
skit_sockaddr_str(const struct skit_sockaddr *sa, char *buf, size_t len)
{
	return skit_sockaddr_format((const struct sockaddr *)&sa->ss, sa->len,
				    sa->type, sa->protocol, buf, len);
}

int
skit_accept(int lfd, bool nonblock, struct skit_sockaddr *peer)
{
	struct skit_sockaddr tmp;
	char text[160];
	int fd;

	memset(&tmp, 0, sizeof(tmp));
	fd = skit__accept4(lfd, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
			   &tmp);
	if (fd < 0)
		return fd;
	if (!peer && !skit__trace_on())
		return fd; /* nobody asks who it is: no getsockopt per accept */
	{
		socklen_t l = sizeof(int);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &tmp.type, &l) < 0)
			tmp.type = SOCK_STREAM;
	}
	if (skit__trace_on())
		skit__trace("accept4(%d) = %d from %s", lfd, fd,
			    skit__sa_text(&tmp, text, sizeof(text)));
	if (peer)
		*peer = tmp;
	return fd;
}

int
skit__listen(int fd, int backlog, const char *text, struct skit_err *err)
{
	int e;

	if (listen(fd, backlog) < 0) {
		e = errno;
		skit__trace("listen(%d, %d) = -1 %s", fd, backlog,
			    strerrorname_np(e));
		return skit_err_set(err, -e, "listen", text);
	}
	skit__trace("listen(%d, %d) = 0", fd, backlog);
	return 0;
}

bool
skit__have_family(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	skit_close(fd);
	return true;
}
