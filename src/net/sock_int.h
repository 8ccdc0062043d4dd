/*
 * sock_int.h - the bottom of the socket layer: what src/net/sock*.c (the
 * only files of net/ that make socket system calls) offer the rest of
 * libskit. Nothing here resolves, dials or opens an address: that is the
 * top (resolve.c, dial.c, open.c), which calls down into these and never
 * the other way round. Not installed; nothing outside src/ includes it.
 */
#ifndef SKIT_SOCK_INT_H
#define SKIT_SOCK_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "skit/sock.h"
#include "core/io_int.h" /* skit__now_ms */

/* --- sock.c: create, bind, connect, listen, names ------------------- */

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

/*
 * Can a socket of this family be created here (IPv6 compiled in and
 * not disabled at boot)? A probe, not an action: untraced.
 */
bool skit__have_family(int family);

/* bind() with a trace line; err filled with op "bind". */
int skit__bind(int fd, const struct skit_sockaddr *sa, struct skit_err *err);

/*
 * Start a connect() on fd (usually nonblocking). Returns 0 when
 * connected, -EINPROGRESS while pending, or -errno. Traced.
 */
int skit__connect(int fd, const struct skit_sockaddr *sa);

/*
 * listen(fd, backlog) with a trace line; err filled with op "listen"
 * and subject text.
 */
int skit__listen(int fd, int backlog, const char *text, struct skit_err *err);

/* --- sock_opt.c ----------------------------------------------------- */

/*
 * Bind fd to a's bind= source address (connect role) when it has one:
 * "HOST", "HOST:PORT", "[V6]:PORT", ":PORT" for inet sockets, a path or
 * "@name" for unix ones. A unix datagram socket without bind= gets a
 * name of the kernel's choosing (skit__unix_autobind), so the answers of
 * the server it sends to can come back. Returns 0 or a negative code,
 * err filled.
 */
int skit__bind_source(int fd, const struct skit_addr *a,
		      const struct skit_sockaddr *sa,
		      const struct skit_resolver *res, struct skit_err *err);

/*
 * The trace line of a setsockopt() (val: the value as text, r: its
 * result), with the level and option by name ("IPPROTO_IP, IP_TTL").
 */
void skit__trace_sockopt(int fd, int level, int optname, const char *val,
			 int r);

/* setsockopt() of an int, with its trace line. Returns 0 or -errno. */
int skit__setsockopt_int(int fd, int level, int optname, int v);

/* --- sock_unix.c ---------------------------------------------------- */

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

/*
 * Bind a unix socket to an abstract name the kernel picks ("@" and five
 * hex digits: bind() with only the family, unix(7) "Autobind").
 * Returns 0 or a negative code, err filled.
 */
int skit__unix_autobind(int fd, struct skit_err *err);

/* Build a unix sockaddr for path (or abstract name); SKIT_ETOOLONG. */
int skit__unix_sockaddr(const char *name, bool abstract, int type,
			struct skit_sockaddr *out);

/* --- sock_splice.c: for the relay engine and endpoints -------------- */

/*
 * SO_TYPE of fd: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, ...; 0 when fd
 * is not a socket; -errno on other errors.
 */
int skit__sock_type(int fd);

/*
 * A connected pair of unix sockets of type (SOCK_STREAM, ...), both
 * CLOEXEC. Returns 0 or -errno.
 */
int skit__socketpair(int type, int sv[2]);

/*
 * A CLOEXEC|NONBLOCK pipe for splicing, raised to size bytes with
 * F_SETPIPE_SZ when the kernel allows it (best effort: an unprivileged
 * user over pipe-user-pages-soft keeps the default). Returns the
 * pipe's capacity in bytes, or -errno.
 */
long skit__splice_pipe(int p[2], size_t size);

/*
 * Bytes waiting to be read from fd (FIONREAD: a pipe, a stream socket,
 * a regular file), or -errno when fd cannot tell.
 */
int skit__inq(int fd);

/* Is fd a TCP socket (SO_PROTOCOL)? false when not, or on errors. */
bool skit__is_tcp(int fd);

/* --- sock_echo.c: for the echo server (src/engine/echo.c) ----------- */

/*
 * Give a blocking socket a receive time-out (SO_RCVTIMEO), so a thread
 * blocked in recvfrom() comes back now and then to look at its stop
 * flag. Returns 0 or -errno.
 */
int skit__sock_rcvtimeo(int fd, int ms);

/*
 * recvfrom() once with no flags (from may be NULL): on a blocking socket
 * it waits for data, up to the socket's receive time-out (then -EAGAIN).
 * A signal ends the wait with -EINTR (not retried, unlike
 * skit_recvfrom: that is how a blocked server is woken). Returns the
 * byte count, 0 at EOF, or -errno.
 */
ssize_t skit__recvfrom_wait(int fd, void *buf, size_t len,
			    struct sockaddr *from, socklen_t *fromlen);

/*
 * skit_sendto (MSG_NOSIGNAL added, EINTR retried, -errno), without
 * glibc's cancellation point: for the blocking servers' answers.
 */
ssize_t skit__sendto_now(int fd, const void *buf, size_t len, int flags,
			 const struct sockaddr *to, socklen_t tolen);

/*
 * on: signal sig goes to the calling thread whenever fd becomes readable
 * (O_ASYNC, F_SETOWN_EX to this thread, F_SETSIG sig): for a listening
 * socket, when a connection arrives. off: no more signals. Returns 0 or
 * -errno; on also returns 1 when fd was readable already as the signal
 * was armed (a connection queued before that sends no signal: the
 * caller must not wait for one).
 */
int skit__sock_async(int fd, int sig, bool on);

/*
 * serve_alone's side of wake_signal, per thread (defined in
 * sock_echo.c beside the handler; here for echo.c and the unit tests):
 * skit__alone_woken is set by each wake_signal
 * (skit_echo_wake), skit__alone_fd is the connection read blocking, -1
 * outside serve_alone. initial-exec: a handler that touches them first
 * never allocates.
 */
#define SKIT__TLS_IE __attribute__((tls_model("initial-exec")))
extern SKIT__TLS_IE _Thread_local volatile sig_atomic_t skit__alone_woken;
extern SKIT__TLS_IE _Thread_local volatile sig_atomic_t skit__alone_fd;

/* --- sock_udp.c: UDP GSO and GRO (bench_udp.c, echo.c) -------------- */

/*
 * Can fd send UDP GSO (UDP_SEGMENT) in segments of size bytes? Set and
 * cleared again: the segment size goes with each send (a cmsg), so
 * that other sends on fd stay single datagrams. 0 or -errno (not udp,
 * an old kernel, a size the kernel refuses).
 */
int skit__udp_gso_probe(int fd, int size);
/* Write the UDP_SEGMENT cmsg for segments of size bytes into buf (len
 * bytes); returns its length for msg_controllen, 0 when len is short. */
size_t skit__udp_gso_cmsg(char *buf, size_t len, int size);
/* UDP_GRO on fd: a receive may return many datagrams of one size, the
 * size in a cmsg (skit__udp_gro_size). 0 or -errno. */
int skit__udp_gro(int fd, bool on);
/* The gso_size of a received message's UDP_GRO cmsg; 0 when it has
 * none (one datagram). */
size_t skit__udp_gro_size(const struct msghdr *m);
/* recvmsg as skit__recvfrom_wait: a signal ends the wait (-EINTR). */
ssize_t skit__recvmsg_wait(int fd, struct msghdr *m, int flags);

#endif
