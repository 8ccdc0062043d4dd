/*
 * open.c - the top of the open stage (DESIGN.md section 1): skit_open()
 * resolves an address and opens it in its role. A listener is created,
 * given its options, bound (unix files safely, sock_unix.c) and set
 * listening here; a connecting socket is a dial (dial.c) on a private
 * loop; an unconnected datagram or packet socket is created and bound.
 * Only calls down: resolve.c, dial.c and the bottom (net/sock_int.h).
 */
#include "skit/dial.h"
#include "skit/io.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <string.h>
#include <sys/socket.h>

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
		r = skit__listen(
			fd, (int)skit_addr_num(a, SKIT_OPT_BACKLOG, SOMAXCONN),
			skit__sa_text(sa, text, sizeof(text)), err);
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

/*
 * Listeners, packet sockets (bound to the interface: they cannot
 * connect(), the caller uses sendto()) and unconnected datagram sockets.
 */
static int
open_bound(const struct skit_addr *a, int flags,
	   const struct skit_resolver *res, struct skit_sockaddr *peer,
	   struct skit_sockaddr *first, struct skit_err *err)
{
	struct skit_resolved r = { 0 };
	int n, fd;

	n = skit_resolve(a, flags, res, &r, err);
	if (n < 0)
		return n;
	if (a->role == SKIT_ROLE_LISTEN || a->kind == SKIT_KIND_PACKET)
		fd = open_listen(a, &r, flags, err);
	else
		fd = open_unconnected(a, &r.v[0], flags, res, err);
	*first = r.v[0];
	if (peer && a->role != SKIT_ROLE_LISTEN)
		*peer = r.v[0];
	skit_resolved_free(&r);
	return fd;
}

/* The socket type a's kind gets (what skit_resolve puts in each sa). */
static bool
kind_is_message(const struct skit_addr *a)
{
	if (a->type)
		return a->type != SOCK_STREAM && a->type != SOCK_SEQPACKET;
	return a->kind != SKIT_KIND_TCP && a->kind != SKIT_KIND_UNIX &&
	       a->kind != SKIT_KIND_UNIX_SEQPACKET &&
	       a->kind != SKIT_KIND_VSOCK;
}

int
skit_open_stop(const struct skit_addr *a, enum skit_role default_role,
	       int flags, const struct skit_resolver *res, int stopfd,
	       struct skit_sockaddr *local, struct skit_sockaddr *peer,
	       struct skit_err *err)
{
	enum skit_role role =
		a->role != SKIT_ROLE_DEFAULT ? a->role : default_role;
	struct skit_sockaddr first;
	struct skit_addr ac;
	int fd;

	skit_err_clear(err);
	if (!skit_kind_is_socket(a->kind))
		return skit_err_set(err, SKIT_EKIND, "open", a->host);
	if (role == SKIT_ROLE_DEFAULT)
		role = SKIT_ROLE_CONNECT;
	/* From here on the role is explicit, for the option code too. */
	ac = *a;
	ac.role = role;
	if (peer)
		memset(peer, 0, sizeof(*peer));
	if (role == SKIT_ROLE_LISTEN || a->kind == SKIT_KIND_PACKET ||
	    ((flags & SKIT_OPEN_NOCONNECT) && kind_is_message(a))) {
		if (role == SKIT_ROLE_LISTEN)
			flags |= SKIT_OPEN_PASSIVE;
		else
			flags &= ~SKIT_OPEN_PASSIVE;
		fd = open_bound(&ac, flags, res, peer, &first, err);
	} else {
		/* One round: retry= is the caller's (see sock.h). */
		struct skit_dial_cfg cfg = {
			.flags = flags & ~SKIT_OPEN_PASSIVE,
			.res = res,
			.retries = SKIT_DIAL_NONE,
		};
		struct skit_dial_result dr;

		fd = skit_dial(&ac, &cfg, stopfd, &dr, err);
		if (fd >= 0) {
			first = dr.peer;
			if (peer)
				*peer = dr.peer;
		}
	}
	if (fd >= 0 && local) {
		if (skit_sock_local(fd, local) < 0)
			memset(local, 0, sizeof(*local));
		if (local->family == 0) {
			local->family = first.family;
			local->type = first.type;
		}
		if (first.protocol && !local->protocol)
			local->protocol = first.protocol;
	}
	return fd;
}

int
skit_open(const struct skit_addr *a, enum skit_role default_role, int flags,
	  const struct skit_resolver *res, struct skit_sockaddr *local,
	  struct skit_sockaddr *peer, struct skit_err *err)
{
	return skit_open_stop(a, default_role, flags, res, -1, local, peer,
			      err);
}

int
skit_connect_he_stop(const struct skit_addr *a, const struct skit_resolved *r,
		     int stagger_ms, int timeout_ms, int flags, int stopfd,
		     struct skit_sockaddr *peer, struct skit_err *err)
{
	struct skit_dial_cfg cfg = {
		.flags = flags,
		.addrs = r,
		.stagger_ms = stagger_ms,
		/* 0 would mean "the address's" to a dial. */
		.connect_timeout_ms = timeout_ms < 0	? SKIT_DIAL_NONE
				      : timeout_ms == 0 ? 1
							: timeout_ms,
		.retries = SKIT_DIAL_NONE,
	};
	struct skit_dial_result dr;
	int fd;

	skit_err_clear(err);
	if (!r || r->n == 0)
		return skit_err_set(err, SKIT_EAI_NODATA, "connect", a->host);
	fd = skit_dial(a, &cfg, stopfd, &dr, err);
	if (fd >= 0 && peer)
		*peer = dr.peer;
	return fd;
}

int
skit_connect_he(const struct skit_addr *a, const struct skit_resolved *r,
		int stagger_ms, int timeout_ms, int flags,
		struct skit_sockaddr *peer, struct skit_err *err)
{
	return skit_connect_he_stop(a, r, stagger_ms, timeout_ms, flags, -1,
				    peer, err);
}
