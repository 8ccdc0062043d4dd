/*
 * echo_int.h - internals of the echo server shared by echo.c and its
 * socket-layer part, sock_echo.c.
 */
#ifndef SKIT_ECHO_INT_H
#define SKIT_ECHO_INT_H

#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

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
 * -errno.
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

#endif
