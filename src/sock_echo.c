/*
 * sock_echo.c - the socket-layer part of the echo server (echo.c): the
 * socket option the blocking datagram server needs.
 */
#include "echo_int.h"
#include "skit/io.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

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
