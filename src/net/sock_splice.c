/*
 * sock_splice.c - socket-layer helpers for the relay engine and
 * endpoints: socket type probing, socketpair() for exec: children, and
 * the sized pipes that splice() moves data through.
 */
#include "skit/io.h"
#include "net/sock_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int
skit__sock_type(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return errno == ENOTSOCK ? 0 : -errno;
	return type;
}

int
skit__socketpair(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	skit__trace("socketpair(AF_UNIX, %s, 0) = [%d, %d]",
		    skit__type_name(type), sv[0], sv[1]);
	return 0;
}

long
skit__splice_pipe(int p[2], size_t size)
{
	long cap;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	/*
	 * A larger pipe means fewer splice() calls per byte. The kernel caps
	 * it at /proc/sys/fs/pipe-max-size and refuses (EPERM) once this
	 * user's pipes exceed pipe-user-pages-soft; the default size still
	 * works, so the failure is not an error.
	 */
	if (size > 0)
		(void)fcntl(p[0], F_SETPIPE_SZ, (int)size);
	cap = fcntl(p[0], F_GETPIPE_SZ);
	if (cap <= 0)
		cap = 65536;
	return cap;
}

int
skit__inq(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) < 0)
		return -errno;
	return n;
}

bool
skit__is_tcp(int fd)
{
	int proto = 0;
	socklen_t len = sizeof(proto);

	return fd >= 0 &&
	       getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	       proto == IPPROTO_TCP;
}
