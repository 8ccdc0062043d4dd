/*
 * sock_serve.c - the socket-layer part of serve (serve_int.h): accept,
 * the reserve fd, and socket files removed only while they are ours.
 */
#include "net/serve_int.h"
#include "net/sock_int.h"
#include "skit/io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int
skit__accept4(int lfd, int flags, struct skit_sockaddr *peer)
{
	int fd, e;

	peer->len = sizeof(peer->ss);
	do
		fd = accept4(lfd, (struct sockaddr *)&peer->ss, &peer->len,
			     flags);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		e = errno;
		if (e != EAGAIN)
			skit__trace("accept4(%d) = -1 %s", lfd,
				    strerrorname_np(e));
		return -e;
	}
	peer->family = peer->ss.ss_family;
	return fd;
}

int
skit__accept_peer(int lfd, int type, struct skit_sockaddr *peer)
{
	char text[160];
	int fd = skit__accept4(lfd, SOCK_CLOEXEC | SOCK_NONBLOCK, peer);

	if (fd < 0)
		return fd;
	peer->type = type;
	peer->protocol = 0;
	if (skit__trace_on())
		skit__trace("accept4(%d) = %d from %s", lfd, fd,
			    skit__sa_text(peer, text, sizeof(text)));
	return fd;
}

int
skit__reserve_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int
skit__file_id(const char *path, struct skit__file_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return 0;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->set = true;
	return 0;
}

int
skit__file_remove(const char *path, const struct skit__file_id *id)
{
	struct stat st;

	if (!id->set)
		return 0;
	/*
	 * Another process may have removed our file and bound its own
	 * socket there since (a restarted server): that one is live and
	 * not ours. Only the inode we bound goes.
	 */
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode) || st.st_dev != id->dev ||
	    st.st_ino != id->ino)
		return 0;
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	skit__trace("unlink(\"%s\") = 0", path);
	return 1;
}
