/*
 * sock.c - socket creation and options (the socket layer).
 */
#include "skit/sock.h"
#include "skit/io.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int
skit_socket(int domain, int type, int protocol, bool nonblock)
{
	int fd;

	fd = socket(domain,
		    type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
		    protocol);
	if (fd < 0) {
		int e = errno;

		skit__trace("socket(%d, %d, %d) = -1 %s", domain, type,
			    protocol, strerrorname_np(e));
		return -e;
	}
	skit__trace("socket(%d, %d, %d) = %d", domain, type, protocol, fd);
	return fd;
}
