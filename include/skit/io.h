/*
 * skit/io.h - the only place that loops on read/write-style syscalls.
 *
 * These helpers own EINTR (always retried) and partial transfers. On a
 * nonblocking fd they return -EAGAIN when nothing could be done (and a
 * short count when part of it could); on a blocking fd the *_all
 * helpers loop until done. All return a count >= 0 or -errno.
 * SIGPIPE: send-style helpers use MSG_NOSIGNAL on sockets; for pipes
 * the CLI ignores SIGPIPE.
 *
 * Stopping a wait: since EINTR is retried (and skit installs no signal
 * handlers), a signal never ends a wait in here, and -EINTR never
 * reaches the caller. A program that must stop waiting (on SIGINT, or
 * when another thread says so) passes a stop fd to the *_stop
 * variants: any fd that turns readable to ask for a stop and stays
 * readable (an eventfd or a pipe written by the program's signal
 * handler, a signalfd). They watch it beside fd and return -ECANCELED
 * as soon as it is readable, without reading it. stopfd < 0 watches
 * nothing: the plain functions are the variants with -1.
 */
#ifndef SKIT_IO_H
#define SKIT_IO_H

#ifdef __cplusplus
extern "C" {
#endif

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* One read(); 0 means EOF. */
ssize_t skit_read_some(int fd, void *buf, size_t len);

/*
 * One send(MSG_NOSIGNAL), or write() when fd is not a socket (found out
 * by send() failing with ENOTSOCK); may be short.
 */
ssize_t skit_write_some(int fd, const void *buf, size_t len);

/*
 * One write(), for an fd known not to be a socket (a pipe, a file, a
 * tty), where skit_write_some would pay a failed send() each time. On a
 * socket it works too, but a closed peer raises SIGPIPE. May be short.
 */
ssize_t skit_write_plain(int fd, const void *buf, size_t len);

/*
 * Write all len bytes. On a nonblocking fd it waits with poll() for the
 * fd to drain (timeout_ms < 0: forever; -ETIMEDOUT when it runs out). On
 * a blocking fd the kernel blocks inside write() and timeout_ms cannot
 * interrupt it: pass a nonblocking fd when the timeout matters (or set
 * SO_SNDTIMEO on a socket). Returns len or -errno (the
 * bytes written before an error are lost to the caller: use
 * skit_write_some in event loops).
 */
ssize_t skit_write_all(int fd, const void *buf, size_t len, int timeout_ms);

/*
 * skit_write_all that also ends with -ECANCELED when stopfd turns
 * readable (see the top of this file). With a stop fd a blocking socket
 * is written with MSG_DONTWAIT, so the time-out and the stop fd work on
 * it too; a blocking pipe or file is written after poll() says it has
 * room, and a write larger than that room can still block.
 */
ssize_t skit_write_all_stop(int fd, const void *buf, size_t len, int timeout_ms,
			    int stopfd);

/* Read exactly len bytes unless EOF comes first; returns bytes read. */
ssize_t skit_read_full(int fd, void *buf, size_t len, int timeout_ms);

/*
 * skit_read_full that also ends with -ECANCELED when stopfd turns
 * readable; with a stop fd each read waits in poll() first, so a
 * blocking fd honours the time-out and the stop fd too.
 */
ssize_t skit_read_full_stop(int fd, void *buf, size_t len, int timeout_ms,
			    int stopfd);

/*
 * sendto() (send() when to is NULL) with MSG_NOSIGNAL, EINTR retried.
 * On a blocking socket it sleeps while there is no room (a full unix
 * datagram receiver, a full send buffer): for ever, unless
 * skit_sock_send_timeout() bounded it (then -EAGAIN). Pass MSG_DONTWAIT
 * in flags to never sleep.
 */
ssize_t skit_sendto(int fd, const void *buf, size_t len, int flags,
		    const struct sockaddr *to, socklen_t tolen);
ssize_t skit_recvfrom(int fd, void *buf, size_t len, int flags,
		      struct sockaddr *from, socklen_t *fromlen);
ssize_t skit_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t skit_recvmsg(int fd, struct msghdr *msg, int flags);
/*
 * sendmmsg() with MSG_NOSIGNAL, EINTR retried: several messages in one
 * system call. The count of messages sent (each whole), or -errno.
 */
struct mmsghdr; /* <sys/socket.h> with _GNU_SOURCE */
int skit_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags);

/*
 * splice() between fds (one must be a pipe), with the flags given.
 * splice() has no MSG_NOSIGNAL: splicing into a socket whose peer is gone
 * raises SIGPIPE, so a program using it must ignore SIGPIPE.
 */
ssize_t skit_splice(int fd_in, int fd_out, size_t len, unsigned flags);

/* shutdown() and close() that never fail loudly; close retries nothing. */
int skit_shutdown(int fd, int how);
int skit_close(int fd);

/*
 * Wait for fd to become readable/writable; 1 ready (POLLERR and POLLHUP
 * count as ready: the next read or write returns the error or EOF), 0
 * timeout, -errno.
 */
int skit_wait_fd(int fd, short events, int timeout_ms);

/* skit_wait_fd that also ends with -ECANCELED when stopfd turns readable
 * (it wins when both are ready). */
int skit_wait_fd_stop(int fd, short events, int timeout_ms, int stopfd);

/*
 * poll() over n fds with a timeout in nanoseconds (timeout_ns < 0:
 * forever), for waits a loop would be too much for and that need more
 * than millisecond precision (a drift-free schedule). EINTR is retried
 * with the time that is left. Returns the number of fds with revents,
 * 0 at the time-out, or -errno.
 */
int skit_poll(struct pollfd *fds, size_t n, int64_t timeout_ns);

/*
 * Descriptors. Every fd libskit makes is born CLOEXEC (STYLE.md 9).
 *
 * skit_pipe: a pipe, both ends CLOEXEC, and NONBLOCK when nonblock.
 * skit_eventfd: an eventfd with counter 0, CLOEXEC and NONBLOCK: a stop
 * fd (see the top of this file) or a wake-up for a loop.
 * skit_eventfd_signal: add 1 to it (it turns readable); one write(),
 * async-signal-safe, so a signal handler may call it.
 * skit_signalfd: a signalfd for mask, CLOEXEC and NONBLOCK (the caller
 * blocks the signals); read struct signalfd_siginfo with skit_read_some.
 * skit_dup: a CLOEXEC duplicate of fd numbered at least min_fd.
 * All return the fd (or 0 for pipe and signal) or -errno.
 */
int skit_pipe(int p[2], bool nonblock);
int skit_eventfd(void);
int skit_eventfd_signal(int fd);
int skit_signalfd(const sigset_t *mask);
int skit_dup(int fd, int min_fd);

/*
 * File status flags (fcntl F_GETFL / F_SETFL), to save and restore what
 * a shared fd (stdin of a shell) had. Return the flags or 0, or -errno.
 */
int skit_fd_flags(int fd);
int skit_fd_set_flags(int fd, int flags);

/* Set (on) or clear O_NONBLOCK on fd, only when it changes. 0 or -errno. */
int skit_fd_nonblock(int fd, bool on);

/*
 * Grow (or shrink) the pipe fd to at least size bytes (F_SETPIPE_SZ).
 * Returns the pipe's new capacity, or -errno (-EPERM over the user's
 * limit, -EBADF/-EINVAL when fd is not a pipe).
 */
int skit_pipe_set_size(int fd, int size);

/*
 * The trace hook behind `skit -vv`/--trace: when set, every socket and
 * fd call of the socket and I/O layer reports one line, as strace would
 * write it, with symbolic constants ("socket(AF_UNIX, SOCK_SEQPACKET, 0)
 * = 3", "splice(5, NULL, 7, NULL, 1048576, SPLICE_F_MOVE|
 * SPLICE_F_NONBLOCK) = 65536", "read(5, 65536) = -1 EAGAIN"). Calls
 * that repeat on one fd (a bulk transfer) are shown a few times and then
 * counted: "... 4,096 more splice(5) calls, 268,435,456 bytes" comes
 * when the fd is closed, or from skit_trace_flush(). It is process-wide
 * state: set it once at start-up, before any thread or loop runs. NULL
 * turns tracing off.
 *
 * skit_trace_flush: report what this thread counted and has not yet
 * reported (call it at the end of a run).
 */
typedef void (*skit_trace_fn)(void *data, const char *line);
void skit_trace_set(skit_trace_fn fn, void *data);
void skit_trace_flush(void);

#ifdef __cplusplus
}
#endif

#endif
