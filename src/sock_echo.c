/*
 * sock_echo.c - the socket-layer part of the echo server (echo.c): the
 * receive time-out of the blocking servers, the receive a signal can
 * interrupt, and the listener's signal on a new connection.
 */
#include "echo_int.h"
#include "skit/io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
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

ssize_t
skit__recvfrom_wait(int fd, void *buf, size_t len, struct sockaddr *from,
		    socklen_t *fromlen)
{
	ssize_t n = recvfrom(fd, buf, len, 0, from, fromlen);

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
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}
