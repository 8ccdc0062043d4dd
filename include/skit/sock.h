/*
 * skit/sock.h - resolve a parsed address and open sockets on it.
 *
 * The layers after parsing (DESIGN.md section 1): resolve turns a
 * struct skit_addr into socket addresses, open creates the socket (born
 * CLOEXEC, and NONBLOCK on request), applies the address's options and
 * binds/listens or connects. A name with several addresses is connected
 * with Happy Eyeballs (RFC 8305).
 *
 * All functions here may block (DNS, connect) unless said otherwise.
 * They never print; on failure they close what they opened and fill the
 * trailing struct skit_err * (may be NULL).
 */
#ifndef SKIT_SOCK_H
#define SKIT_SOCK_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "skit/addr.h"
#include "skit/err.h"

/* A socket address with the socket() triple it goes with. */
struct skit_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
	int type;
	int protocol;
};

/* A list of resolved addresses, in the order to try them. Heap-owned. */
struct skit_resolved {
	size_t n;
	struct skit_sockaddr *v;
};

/*
 * A name-lookup hook, so tests can resolve names without DNS. Same
 * contract as getaddrinfo()/freeaddrinfo(). NULL fields mean the real
 * functions.
 */
struct skit_resolver {
	int (*getaddrinfo)(void *data, const char *node, const char *service,
			   const struct addrinfo *hints, struct addrinfo **res);
	void (*freeaddrinfo)(void *data, struct addrinfo *res);
	void *data;
};

/* Flags for skit_resolve() and skit_open(). */
enum {
	SKIT_OPEN_NONBLOCK = 1 << 0,  /* returned fd is O_NONBLOCK */
	SKIT_OPEN_NOCONNECT = 1 << 1, /* datagram connect role: do not
					 connect(), caller uses sendto() */
	SKIT_OPEN_NUMERIC = 1 << 2,   /* no DNS: AI_NUMERICHOST (nc -n) */
	SKIT_OPEN_PASSIVE = 1 << 3,   /* resolve for bind (listen role) */
};

/*
 * Resolve a to one or more socket addresses in *out (call
 * skit_resolved_free). Names go through getaddrinfo (or res's hook;
 * res may be NULL); unix paths, abstract names, vsock, packet
 * (interface name -> index) and netlink are built directly. A listen
 * role with an empty host on tcp/udp gives one [::] address when IPv6
 * is available (dual-stack), else 0.0.0.0. The result order follows
 * RFC 8305 (interleaved families, the first family first).
 * Returns the number of addresses (>= 1) or a negative code.
 */
int skit_resolve(const struct skit_addr *a, int flags,
		 const struct skit_resolver *res, struct skit_resolved *out,
		 struct skit_err *err);

void skit_resolved_free(struct skit_resolved *r);

/*
 * socket() with SOCK_CLOEXEC (and SOCK_NONBLOCK when nonblock). The only
 * place libskit creates sockets. Returns the fd or -errno.
 */
int skit_socket(int domain, int type, int protocol, bool nonblock);

/*
 * Apply a's socket options that belong before bind/connect/listen
 * (reuseaddr, rcvbuf, ttl, v6only, ...). Returns 0 or a negative code,
 * err naming the option.
 */
int skit_sock_apply_opts(int fd, const struct skit_addr *a,
			 const struct skit_sockaddr *sa, struct skit_err *err);

/*
 * Open a socket for a, in its role (default_role when a->role is
 * DEFAULT):
 *  - listen: bound, and listening for stream/seqpacket (backlog= or
 *    SOMAXCONN); unix sockets get mode=/user=/group= before listen(),
 *    and a stale socket file is removed only when it is a socket and
 *    connecting to it is refused (see skit_unix_prepare);
 *  - connect: connected (Happy Eyeballs over every address, bounded by
 *    connect-timeout=), or for datagrams with SKIT_OPEN_NOCONNECT only
 *    created (and bound with bind=).
 * local and peer (may be NULL) receive the socket's own address and the
 * peer it connected to. Returns the fd or a negative code.
 */
int skit_open(const struct skit_addr *a, enum skit_role default_role, int flags,
	      const struct skit_resolver *res, struct skit_sockaddr *local,
	      struct skit_sockaddr *peer, struct skit_err *err);

/*
 * Happy Eyeballs (RFC 8305): connect to the addresses in r, in order,
 * starting the next attempt every stagger_ms (250 recommended) while
 * earlier ones are still pending, first success wins and the others are
 * closed. timeout_ms < 0 means no limit. On failure err holds the last
 * real error with its address, and detail lists each address's error.
 * Returns the connected fd (NONBLOCK if flags says so) or a code.
 */
int skit_connect_he(const struct skit_addr *a, const struct skit_resolved *r,
		    int stagger_ms, int timeout_ms, int flags,
		    struct skit_sockaddr *peer, struct skit_err *err);

/*
 * accept4() with CLOEXEC (and NONBLOCK when nonblock); peer may be NULL.
 * Returns the fd or -errno (EINTR retried, EAGAIN returned).
 */
int skit_accept(int lfd, bool nonblock, struct skit_sockaddr *peer);

/* getsockname()/getpeername() into a skit_sockaddr (type filled). */
int skit_sock_local(int fd, struct skit_sockaddr *out);
int skit_sock_peer(int fd, struct skit_sockaddr *out);

/* Format a skit_sockaddr in skit's address form (see addr.h). */
int skit_sockaddr_str(const struct skit_sockaddr *sa, char *buf, size_t len);

/*
 * Safe unix-socket lifecycle before bind(): if path exists and is a
 * socket and connecting to it is refused, remove it (stale); if it is a
 * live socket return SKIT_ELIVE; anything else at the path gives
 * SKIT_ESTALE_NOT_SOCKET and is left alone. Only called when the unlink
 * option is set. Returns 0 when the path is free.
 */
int skit_unix_prepare(const char *path, int type, struct skit_err *err);

#endif
