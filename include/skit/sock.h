/*
 * skit/sock.h - resolve a parsed address and open sockets on it.
 *
 * The layers after parsing (DESIGN.md section 1): resolve turns a
 * struct skit_addr into socket addresses, open creates the socket (born
 * CLOEXEC, and NONBLOCK on request), applies the address's options and
 * binds/listens or connects. A name with several addresses is connected
 * with Happy Eyeballs (RFC 8305): a dial (skit/dial.h), here on a
 * private loop; dial.h does the same on a caller's loop, with retries.
 *
 * All functions here may block (DNS, connect) unless said otherwise.
 * They never print; on failure they close what they opened and fill the
 * trailing struct skit_err * (may be NULL).
 */
#ifndef SKIT_SOCK_H
#define SKIT_SOCK_H

#ifdef __cplusplus
extern "C" {
#endif

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
 * functions. skit_resolve calls it for host names only (never for IP
 * literals, nor with SKIT_OPEN_NUMERIC), with a numeric service and
 * AI_NUMERICSERV in the hints; it may return addresses of any port.
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
 * is available (dual-stack), else 0.0.0.0; tcp4/tcp6 keep to their
 * family. A connect role with an empty host gives the loopback
 * addresses. The result order follows RFC 8305 (interleaved families,
 * the first family first); duplicates are dropped.
 *
 * The listen role is taken from a->role, or from SKIT_OPEN_PASSIVE.
 * With SKIT_OPEN_NUMERIC names fail (SKIT_EAI_NONAME, err->detail says
 * lookups are off) without any lookup. Service names ("http") come
 * from the local services database. Blocks in getaddrinfo for names.
 * Returns the number of addresses (>= 1) or a negative code (a
 * SKIT_EAI_* code, -ENODEV for an unknown packet interface,
 * SKIT_ETOOLONG for an over-long unix path, SKIT_EKIND for kinds that
 * are not sockets); *out is empty on failure.
 */
int skit_resolve(const struct skit_addr *a, int flags,
		 const struct skit_resolver *res, struct skit_resolved *out,
		 struct skit_err *err);

/* Free r's addresses and empty it (NULL and empty lists are fine). */
void skit_resolved_free(struct skit_resolved *r);

/*
 * socket() with SOCK_CLOEXEC (and SOCK_NONBLOCK when nonblock). The only
 * place libskit creates sockets. Traced as
 * "socket(AF_UNIX, SOCK_SEQPACKET, 0) = 3". Returns the fd or -errno.
 */
int skit_socket(int domain, int type, int protocol, bool nonblock);

/*
 * Apply a's socket options that belong before bind/connect/listen
 * (reuseaddr, reuseport, nodelay, keepalive, rcvbuf, sndbuf, ttl (the
 * hop limit on IPv6), tos (the traffic class on IPv6), v6only,
 * bindtodevice, mark), each as a traced setsockopt(). Options that do
 * not apply to sa's family or type are skipped. With a->role LISTEN on
 * a TCP socket SO_REUSEADDR is on unless reuseaddr=0 says otherwise,
 * and an empty-host tcp/udp listener on AF_INET6 gets IPV6_V6ONLY=0
 * (plain tcp/udp: dual-stack) or 1 (tcp6/udp6) unless v6only= is given.
 * Returns 0 or a negative code, err naming the option in detail.
 */
int skit_sock_apply_opts(int fd, const struct skit_addr *a,
			 const struct skit_sockaddr *sa, struct skit_err *err);

/*
 * Bound how long a send on the blocking socket fd may sleep in the
 * kernel waiting for room (SO_SNDTIMEO): a unix datagram receiver whose
 * queue is full, or fd's own send buffer. A send that found no room for
 * timeout_ms then fails with -EAGAIN (skit_sendto, skit_write_some;
 * a signal restarts the wait). timeout_ms < 1 means 1 ms (0 would be
 * "forever" to the kernel). Nonblocking fds are not affected. Traced.
 * Returns 0 or -errno.
 */
int skit_sock_send_timeout(int fd, int timeout_ms);

/*
 * Make the close of the stream socket fd a reset (SO_LINGER 0): the
 * peer gets RST instead of FIN (the fault layer's reset-after=).
 * Traced. Returns 0 or -errno.
 */
int skit_sock_reset_on_close(int fd);

/*
 * Open a socket for a, in its role (default_role when a->role is
 * DEFAULT):
 *  - listen: bound, and listening for stream/seqpacket (backlog= or
 *    SOMAXCONN); unix sockets get mode=/user=/group= before listen(),
 *    and a stale socket file is removed only when it is a socket and
 *    connecting to it is refused (see skit_unix_prepare);
 *  - connect: connected (a dial, skit/dial.h: Happy Eyeballs over
 *    every address, bounded by connect-timeout=), or for datagrams with
 *    SKIT_OPEN_NOCONNECT only created (and bound with bind=).
 * Options: see skit_sock_apply_opts; bind= (connect role) binds the
 * source address first ("HOST", "HOST:PORT", "[V6]:PORT", ":PORT", or
 * a unix path / "@name", which a unix-dgram client needs to get
 * replies). Packet sockets are bound in either role (they cannot
 * connect). An ICMP datagram socket refused by ping_group_range falls
 * back to a raw one (peer->type says which).
 * One round: retry=, interval= and forever are left to the caller
 * (skit_dial and skit_dial_start follow them).
 * flags: SKIT_OPEN_NONBLOCK for an O_NONBLOCK fd, SKIT_OPEN_NUMERIC,
 * SKIT_OPEN_NOCONNECT. res: the resolver hook (NULL: getaddrinfo).
 * local and peer (may be NULL) receive the socket's own address and the
 * peer it connected to (for a listener, peer is left zeroed). Blocks
 * in resolution and connect (not in accept). Returns the fd or a
 * negative code with err filled: op "resolve", "socket", "setsockopt",
 * "bind", "listen", "connect", "chmod", "chown"; subject the address
 * in skit's form.
 */
int skit_open(const struct skit_addr *a, enum skit_role default_role, int flags,
	      const struct skit_resolver *res, struct skit_sockaddr *local,
	      struct skit_sockaddr *peer, struct skit_err *err);

/*
 * skit_open that also gives up, closing every attempt, as soon as
 * stopfd turns readable (a stop fd, see skit/io.h; -1: none):
 * -ECANCELED with err op "connect". With a stop fd a name is looked up
 * in a thread, so the stop ends that wait too. Listeners and unconnected
 * sockets never wait and ignore it.
 */
int skit_open_stop(const struct skit_addr *a, enum skit_role default_role,
		   int flags, const struct skit_resolver *res, int stopfd,
		   struct skit_sockaddr *local, struct skit_sockaddr *peer,
		   struct skit_err *err);

/*
 * Happy Eyeballs (RFC 8305): connect to the addresses in r, in order,
 * starting the next attempt every stagger_ms (250 recommended) while
 * earlier ones are still pending, first success wins and the others are
 * closed. At most 4 attempts are in flight; an attempt that fails
 * starts the next one at once. Each attempt gets a's options and
 * bind= source (looked up without a hook). A unix stream socket that
 * finds the server's backlog full tries again, bounded by timeout_ms.
 * timeout_ms < 0 means no limit (0 is taken as 1 ms). A dial
 * (skit/dial.h) with cfg.addrs = r and no retries, on a private loop. On
 * failure err holds the last real error with its address (-ETIMEDOUT when the
 * time ran out), and when there were several addresses detail lists each one's
 * error: "tcp:[::1]:80: Connection refused; tcp:127.0.0.1:80: Connection
 * refused". Returns the connected fd (NONBLOCK if flags says so) or a
 * code. Blocks up to timeout_ms.
 */
int skit_connect_he(const struct skit_addr *a, const struct skit_resolved *r,
		    int stagger_ms, int timeout_ms, int flags,
		    struct skit_sockaddr *peer, struct skit_err *err);

/*
 * skit_connect_he that also gives up, closing every attempt, as soon as
 * stopfd turns readable (a stop fd, see skit/io.h; -1: none): -ECANCELED
 * with err op "connect".
 */
int skit_connect_he_stop(const struct skit_addr *a,
			 const struct skit_resolved *r, int stagger_ms,
			 int timeout_ms, int flags, int stopfd,
			 struct skit_sockaddr *peer, struct skit_err *err);

/*
 * accept4() with CLOEXEC (and NONBLOCK when nonblock); peer may be NULL.
 * Blocks when lfd is blocking. Traced.
 * Returns the fd or -errno (EINTR retried, EAGAIN returned).
 */
int skit_accept(int lfd, bool nonblock, struct skit_sockaddr *peer);

/*
 * getsockname()/getpeername() into a skit_sockaddr (family, type and,
 * for protocols other than TCP/UDP, protocol filled). 0 or -errno
 * (-ENOTCONN for a peer that is not there).
 */
int skit_sock_local(int fd, struct skit_sockaddr *out);
int skit_sock_peer(int fd, struct skit_sockaddr *out);

/*
 * The socket's pending error (getsockopt SO_ERROR), which reading
 * clears: 0 or -errno. poll() and epoll report POLLERR for as long as
 * it is set, so a loop that sees POLLERR on a socket it does not read
 * (a packet capture ring, a connect in progress) takes it with this, or
 * it wakes at once again and again.
 */
int skit_sock_error(int fd);

/*
 * Format a skit_sockaddr in skit's address form (skit_sockaddr_format
 * in addr.h): "tcp:[::1]:8080", "unix-dgram:@name". Returns the length
 * it needed, like snprintf, or a negative code.
 */
int skit_sockaddr_str(const struct skit_sockaddr *sa, char *buf, size_t len);

/*
 * Safe unix-socket lifecycle before bind(): if path exists and is a
 * socket and connecting to it is refused, remove it (stale); if it is a
 * live socket return SKIT_ELIVE (a connect that works, or one refused
 * as the wrong type, or a full backlog); anything else at the path (a
 * file, a directory, a symlink, even to a socket) gives
 * SKIT_ESTALE_NOT_SOCKET and is left alone. skit_open calls it when the
 * unlink option is set; without it bind() reports -EADDRINUSE. type is
 * the socket type to probe with (SOCK_STREAM when 0). Blocks only in a
 * local connect(). Returns 0 when the path is free.
 */
int skit_unix_prepare(const char *path, int type, struct skit_err *err);

#ifdef __cplusplus
}
#endif

#endif
