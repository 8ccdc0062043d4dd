/*
 * sock.c - socket creation, bind/listen/accept, and skit_open(): the
 * "open" layer of DESIGN.md section 1. Options live in sock_opt.c, unix
 * socket files in sock_unix.c, resolution in resolve.c and Happy
 * Eyeballs in connect.c.
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

static int
do_listen(int fd, const struct skit_addr *a, const char *text,
	  struct skit_err *err)
{
	int backlog = (int)skit_addr_num(a, SKIT_OPT_BACKLOG, SOMAXCONN);
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

static bool
type_listens(int type)
{
	return type == SOCK_STREAM || type == SOCK_SEQPACKET;
}

/* One listen attempt on one resolved address. */
static int
open_listen_one(const struct skit_addr *a, struct skit_sockaddr *sa, int flags,
		struct skit_err *err)
{
	char text[160];
	int fd, r;

	if (sa->family == AF_UNIX && !a->abstract &&
	    skit_addr_has(a, SKIT_OPT_UNLINK) &&
	    skit_addr_num(a, SKIT_OPT_UNLINK, 0)) {
		r = skit_unix_prepare(a->host, sa->type, err);
		if (r < 0)
			return r;
	}
	fd = skit__sock_create(sa, flags & SKIT_OPEN_NONBLOCK, err);
	if (fd < 0)
		return fd;
	r = skit_sock_apply_opts(fd, a, sa, err);
	if (r < 0)
		goto fail;
	if (sa->family == AF_UNIX)
		r = skit__unix_bind(fd, a, sa, err);
	else
		r = skit__bind(fd, sa, err);
	if (r < 0)
		goto fail;
	if (type_listens(sa->type)) {
		r = do_listen(fd, a, skit__sa_text(sa, text, sizeof(text)),
			      err);
		if (r < 0)
			goto fail;
	}
	return fd;
fail:
	skit_close(fd);
	return r;
}

static int
open_listen(const struct skit_addr *a, struct skit_resolved *r, int flags,
	    struct skit_err *err)
{
	int fd = SKIT_EKIND;

	/* Several addresses (a name): the first one that binds wins. */
	for (size_t i = 0; i < r->n; i++) {
		fd = open_listen_one(a, &r->v[i], flags, err);
		if (fd >= 0)
			return fd;
	}
	return fd;
}

/* Datagram/raw sockets that are not connected: created and bound. */
static int
open_unconnected(const struct skit_addr *a, struct skit_sockaddr *sa, int flags,
		 const struct skit_resolver *res, struct skit_err *err)
{
	int fd, r;

	fd = skit__sock_create(sa, flags & SKIT_OPEN_NONBLOCK, err);
	if (fd < 0)
		return fd;
	r = skit_sock_apply_opts(fd, a, sa, err);
	if (r >= 0)
		r = skit__bind_source(fd, a, sa, res, err);
	if (r < 0) {
		skit_close(fd);
		return r;
	}
	return fd;
}

/* skit_open with an explicit a->role. */
static int
open_once(const struct skit_addr *a, int flags, const struct skit_resolver *res,
	  struct skit_sockaddr *local, struct skit_sockaddr *peer,
	  struct skit_err *err)
{
	enum skit_role role = a->role;
	struct skit_resolved r = { 0 };
	struct skit_sockaddr pa;
	int fd, n, timeout;

	n = skit_resolve(a, flags, res, &r, err);
	if (n < 0)
		return n;
	memset(&pa, 0, sizeof(pa));
	if (role == SKIT_ROLE_LISTEN) {
		fd = open_listen(a, &r, flags, err);
	} else if (a->kind == SKIT_KIND_PACKET ||
		   ((flags & SKIT_OPEN_NOCONNECT) &&
		    r.v[0].type != SOCK_STREAM &&
		    r.v[0].type != SOCK_SEQPACKET)) {
		/*
		 * Packet sockets cannot connect(): they are bound to the
		 * interface and the caller uses sendto() with the address.
		 */
		if (a->kind == SKIT_KIND_PACKET)
			fd = open_listen(a, &r, flags, err);
		else
			fd = open_unconnected(a, &r.v[0], flags, res, err);
		pa = r.v[0];
	} else {
		timeout = (int)skit_addr_num(a, SKIT_OPT_CONNECT_TIMEOUT, -1);
		fd = skit_connect_he(a, &r, 250, timeout, flags, &pa, err);
	}
	if (fd >= 0) {
		if (peer)
			*peer = pa;
		if (local && skit_sock_local(fd, local) < 0)
			memset(local, 0, sizeof(*local));
		if (local && local->family == 0) {
			local->family = r.v[0].family;
			local->type = r.v[0].type;
		}
		if (local && r.v[0].protocol && !local->protocol)
			local->protocol = r.v[0].protocol;
	}
	skit_resolved_free(&r);
	return fd;
}

int
skit_open(const struct skit_addr *a, enum skit_role default_role, int flags,
	  const struct skit_resolver *res, struct skit_sockaddr *local,
	  struct skit_sockaddr *peer, struct skit_err *err)
{
	enum skit_role role =
		a->role != SKIT_ROLE_DEFAULT ? a->role : default_role;
	struct skit_addr ac;

	skit_err_clear(err);
	if (!skit_kind_is_socket(a->kind))
		return skit_err_set(err, SKIT_EKIND, "open", a->host);
	if (role == SKIT_ROLE_DEFAULT)
		role = SKIT_ROLE_CONNECT;
	/* From here on the role is explicit, for the option code too. */
	ac = *a;
	ac.role = role;
	if (role == SKIT_ROLE_LISTEN)
		flags |= SKIT_OPEN_PASSIVE;
	else
		flags &= ~SKIT_OPEN_PASSIVE;
	return open_once(&ac, flags, res, local, peer, err);
}
