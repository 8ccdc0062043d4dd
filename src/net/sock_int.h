/*
 * sock_int.h - internals shared by the socket layer (sock*.c, resolve.c,
 * connect.c). Not installed; nothing outside src/ includes it.
 */
#ifndef SKIT_SOCK_INT_H
#define SKIT_SOCK_INT_H

#include "skit/sock.h"
#include "core/io_int.h" /* skit__now_ms */

/* Symbolic names for trace lines: "AF_INET6", "SOCK_SEQPACKET". */
const char *skit__af_name(int af);
const char *skit__type_name(int type);

/*
 * sa in skit's address form ("tcp:[::1]:80"), falling back to
 * "family N" when the formatter cannot say. Always NUL-terminates buf.
 */
const char *skit__sa_text(const struct skit_sockaddr *sa, char *buf,
			  size_t len);

/*
 * Create the socket for sa (CLOEXEC, NONBLOCK on request). An ICMP
 * datagram socket refused by ping_group_range falls back to a raw one,
 * and sa->type is updated. Returns the fd or -errno, err filled.
 */
int skit__sock_create(struct skit_sockaddr *sa, bool nonblock,
		      struct skit_err *err);

/* bind() with a trace line; err filled with op "bind". */
int skit__bind(int fd, const struct skit_sockaddr *sa, struct skit_err *err);

/*
 * Start a connect() on fd (usually nonblocking). Returns 0 when
 * connected, -EINPROGRESS while pending, or -errno. Traced.
 */
int skit__connect(int fd, const struct skit_sockaddr *sa);

/*
 * Bind fd to a's bind= source address (connect role) when it has one:
 * "HOST", "HOST:PORT", "[V6]:PORT", ":PORT" for inet sockets, a path or
 * "@name" for unix ones. Returns 0 or a negative code, err filled.
 */
int skit__bind_source(int fd, const struct skit_addr *a,
		      const struct skit_sockaddr *sa,
		      const struct skit_resolver *res, struct skit_err *err);

/*
 * Unix listen sockets: bind sa with mode=/user=/group= of a in force
 * before anyone can connect (fchmod before bind, chmod/chown after bind
 * and before listen). Returns 0 or a negative code, err filled.
 */
int skit__unix_bind(int fd, const struct skit_addr *a,
		    const struct skit_sockaddr *sa, struct skit_err *err);

/*
 * Multicast on an inet datagram socket (src/net/sock_mcast.c): iface=
 * (the interface for sending and joining; else the target's IPv6 scope),
 * join= and join-source=. Returns 0 or a negative code, err filled.
 */
int skit__mcast_apply(int fd, const struct skit_addr *a,
		      const struct skit_sockaddr *sa, struct skit_err *err);

/*
 * The receive side of netlink (src/net/sock_netlink.c, for
 * NETLINK_ROUTE and NETLINK_SOCK_DIAG): skit__nl_recv_dump reads
 * replies and hands each batch to parse until parse returns nonzero
 * (1: NLMSG_DONE) or a read fails; skit__nl_recv_once reads one batch
 * (notifications). Both return 0 for done, parse's negative value, or
 * -errno (-EPROTO for an empty read during a dump).
 */
typedef int (*skit__nl_parse_fn)(const void *buf, size_t len, void *ctx);
int skit__nl_recv_dump(int fd, skit__nl_parse_fn parse, void *ctx);
int skit__nl_recv_once(int fd, skit__nl_parse_fn parse, void *ctx);

/* Build a unix sockaddr for path (or abstract name); SKIT_ETOOLONG. */
int skit__unix_sockaddr(const char *name, bool abstract, int type,
			struct skit_sockaddr *out);

#endif
