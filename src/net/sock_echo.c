/*
 * sock_echo.c - the socket-layer part of the echo server (echo.c): the
 * receive time-out of the blocking servers, the receive a signal can
 * interrupt, the listener's signal on a new connection, and that
 * signal's handler.
 */
#include "skit/io.h"
#include "net/sock_int.h"

#include "skit/echo.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

int
skit__sock_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	int r = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	skit__trace("setsockopt(%d, SOL_SOCKET, SO_RCVTIMEO, %d ms) = %d%s%s",
		    fd, ms, r, r < 0 ? " " : "",
		    r < 0 ? strerrorname_np(errno) : "");
	return r < 0 ? -errno : 0;
}

/*
 * The per-message system calls of the blocking servers go straight to
 * the kernel (syscall()), not through glibc's wrappers: in a process
 * with threads those are cancellation points, two atomic updates around
 * each call (measured: 30-40 ns per round trip, a third of a percent of
 * a loopback one). skit never cancels a thread.
 */
ssize_t
skit__recvfrom_wait(int fd, void *buf, size_t len, struct sockaddr *from,
		    socklen_t *fromlen)
{
	long n = syscall(SYS_recvfrom, fd, buf, len, 0, from, fromlen);

	return n < 0 ? -errno : n;
}

ssize_t
skit__sendto_now(int fd, const void *buf, size_t len, int flags,
		 const struct sockaddr *to, socklen_t tolen)
{
	long n;

	do
		n = syscall(SYS_sendto, fd, buf, len, flags | MSG_NOSIGNAL, to,
			    tolen);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

int
skit__sock_async(int fd, int sig, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if (on) {
		struct f_owner_ex own = { .type = F_OWNER_TID,
					  .pid = gettid() };

		if (fcntl(fd, F_SETOWN_EX, &own) < 0 ||
		    fcntl(fd, F_SETSIG, sig) < 0)
			return -errno;
	}
	fl = on ? fl | O_ASYNC : fl & ~O_ASYNC;
	if (fcntl(fd, F_SETFL, fl) < 0)
		return -errno;
	if (on) {
		/* Armed first, then looked: whatever arrives from here on
		 * signals, and what came before is seen now. */
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			return 1;
	}
	return 0;
}

SKIT__TLS_IE _Thread_local volatile sig_atomic_t skit__alone_woken;
SKIT__TLS_IE _Thread_local volatile sig_atomic_t skit__alone_fd = -1;

void
skit_echo_wake(int sig)
{
	int saved = errno, fd = skit__alone_fd;

	(void)sig;
	skit__alone_woken = 1;
	if (fd >= 0) {
		/* serve_alone may be past its check of skit__alone_woken, about
		 * to block: its read now waits one clock tick at most. */
		struct timeval tv = { .tv_usec = 1 };

		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	errno = saved;
}
