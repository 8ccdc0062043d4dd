/*
 * loop_backend.h - the private interface between loop.c and its kernel
 * backends (loop_epoll.c, loop_poll.c).
 *
 * loop.c owns the watcher table, the timers and the dispatch rules; a
 * backend only registers fds with the kernel and waits. A backend never
 * sees an fd with an empty event mask: loop.c removes idle fds from the
 * backend (so epoll's unconditional EPOLLHUP cannot make an idle
 * watcher spin) and adds them back when they get events again.
 */
#ifndef SKIT_LOOP_BACKEND_H
#define SKIT_LOOP_BACKEND_H

#include "skit/loop.h"

#include <stdbool.h>

/* One ready fd as reported by a backend (SKIT_EV_* bits). */
struct skit__loop_event {
	int fd;
	unsigned events;
};

struct skit__loop_backend {
	const char *name;
	/* Does close() of an fd's last reference unregister it (epoll)? */
	bool close_unregisters;
	/* Create the backend's state in *out. 0 or -errno. */
	int (*init)(void **out);
	void (*free)(void *st);
	/*
	 * events is never 0. 0 or -errno (-EPERM: fd cannot be polled).
	 * add may carry SKIT_EV_EXCLUSIVE (wake one of the loops sharing
	 * fd); mod never sees such an fd (loop.c deletes and adds it).
	 */
	int (*add)(void *st, int fd, unsigned events);
	int (*mod)(void *st, int fd, unsigned events);
	int (*del)(void *st, int fd);
	/*
	 * Wait up to timeout_ms (-1 forever, 0 poll) and store at most max
	 * ready fds in out. Returns the count (0 on time-out or EINTR) or
	 * -errno.
	 */
	int (*wait)(void *st, struct skit__loop_event *out, int max,
		    int timeout_ms);
};

extern const struct skit__loop_backend skit__loop_epoll;
extern const struct skit__loop_backend skit__loop_poll;

#endif
