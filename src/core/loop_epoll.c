/*
 * loop_epoll.c - the epoll backend of the event loop (level-triggered).
 */
#include "core/loop_backend.h"
#include "core/trace_int.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

/* The most events one epoll_wait() returns; also sizes the buffer. */
#define EPOLL_BATCH 256

struct epoll_state {
	int epfd;
	struct epoll_event evs[EPOLL_BATCH];
};

static uint32_t
to_epoll(unsigned events)
{
	uint32_t e = 0;

	if (events & SKIT_EV_READ)
		e |= EPOLLIN;
	if (events & SKIT_EV_WRITE)
		e |= EPOLLOUT;
	if (events & SKIT_EV_EXCLUSIVE)
		e |= EPOLLEXCLUSIVE;
	return e;
}

static unsigned
from_epoll(uint32_t e)
{
	unsigned events = 0;

	if (e & (EPOLLIN | EPOLLPRI | EPOLLRDHUP))
		events |= SKIT_EV_READ;
	if (e & EPOLLOUT)
		events |= SKIT_EV_WRITE;
	if (e & EPOLLERR)
		events |= SKIT_EV_ERROR;
	if (e & EPOLLHUP)
		events |= SKIT_EV_HUP;
	return events;
}

static int
ep_init(void **out)
{
	struct epoll_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->epfd = epoll_create1(EPOLL_CLOEXEC);
	skit__trace_call("epoll_create1", -1, st->epfd < 0 ? -errno : st->epfd,
			 "EPOLL_CLOEXEC");
	if (st->epfd < 0) {
		int e = -errno;

		free(st);
		return e;
	}
	*out = st;
	return 0;
}

static void
ep_free(void *p)
{
	struct epoll_state *st = p;

	if (!st)
		return;
	close(st->epfd);
	skit__trace_fd_done(st->epfd);
	skit__trace_call("close", st->epfd, 0, "%d", st->epfd);
	free(st);
}

static int
ep_ctl(void *p, int op, int fd, unsigned events)
{
	struct epoll_state *st = p;
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };

	if (epoll_ctl(st->epfd, op, fd, &ev) < 0)
		return -errno;
	return 0;
}

static int
ep_add(void *p, int fd, unsigned events)
{
	return ep_ctl(p, EPOLL_CTL_ADD, fd, events);
}

static int
ep_mod(void *p, int fd, unsigned events)
{
	return ep_ctl(p, EPOLL_CTL_MOD, fd, events);
}

static int
ep_del(void *p, int fd)
{
	return ep_ctl(p, EPOLL_CTL_DEL, fd, 0);
}

static int
ep_wait(void *p, struct skit__loop_event *out, int max, int timeout_ms)
{
	struct epoll_state *st = p;
	int n;

	if (max > EPOLL_BATCH)
		max = EPOLL_BATCH;
	n = epoll_wait(st->epfd, st->evs, max, timeout_ms);
	skit__trace_call("epoll_wait", st->epfd, n < 0 ? -errno : n,
			 "%d, %d, %d", st->epfd, max, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		out[i].fd = st->evs[i].data.fd;
		out[i].events = from_epoll(st->evs[i].events);
	}
	return n;
}

const struct skit__loop_backend skit__loop_epoll = {
	.name = "epoll",
	.close_unregisters = true,
	.init = ep_init,
	.free = ep_free,
	.add = ep_add,
	.mod = ep_mod,
	.del = ep_del,
	.wait = ep_wait,
};
