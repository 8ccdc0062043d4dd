/*
 * serve_int.h - the socket-layer part of serve (sock_serve.c), shared
 * by serve.c and the echo server's runner: accept4 without the
 * per-accept getsockopt, the reserve fd of the EMFILE policy, and the
 * identity of a unix socket file, so a server removes only the file it
 * bound.
 */
#ifndef SKIT_SERVE_INT_H
#define SKIT_SERVE_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "skit/sock.h"

/*
 * accept4(lfd, flags) with EINTR retried and failures traced (not
 * EAGAIN); the peer's address in *peer (len and family only). Returns
 * the fd or -errno. skit_accept and skit__accept_peer are built on it.
 */
int skit__accept4(int lfd, int flags, struct skit_sockaddr *peer);

/*
 * accept4(CLOEXEC | NONBLOCK) on lfd, the peer's address in *peer with
 * family and len, and type set to the listener's type (the caller
 * knows it: no getsockopt per connection). Traced. Returns the fd or
 * -errno (EINTR retried, -EAGAIN when none is queued).
 */
int skit__accept_peer(int lfd, int type, struct skit_sockaddr *peer);

/*
 * The reserve fd: a descriptor held so that, when the process is out
 * of them (EMFILE), closing it makes room for one accept(). Returns an
 * fd on /dev/null or -errno.
 */
int skit__reserve_fd(void);

/* Which file a unix socket path named when its server bound it. */
struct skit__file_id {
	dev_t dev;
	ino_t ino;
	bool set;
};

/*
 * Record in *id the file path names now (lstat); id->set stays false
 * when it is not a socket or cannot be seen. Returns 0 or -errno.
 */
int skit__file_id(const char *path, struct skit__file_id *id);

/*
 * Remove path only if it is still the socket file *id recorded (same
 * device and inode): never another server's live socket that replaced
 * ours, nor anything else put there since. Returns 1 when removed, 0
 * when left alone, or -errno.
 */
int skit__file_remove(const char *path, const struct skit__file_id *id);

#endif
