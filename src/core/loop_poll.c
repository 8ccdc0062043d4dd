/*
 * loop_poll.c - the poll() backend of the event loop: the portable
 * fallback (SKIT_LOOP_POLL). A dense pollfd array plus an fd -> slot
 * index; removal swaps the last slot in, so every operation is O(1)
 * and a wait is O(number of fds).
 */
#include "core/loop_backend.h"
#include "core/trace_int.h"
#include "skit/io.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct poll_state {
	struct pollfd *pfd; /* dense, n used */
	int n, cap;
	int *slot; /* fd -> index in pfd, -1 when absent */
	int slot_cap;
	int start; /* where the next scan of results begins (fairness) */
};

static short
to_poll(unsigned events)
{
	short e = 0;

	if (events & SKIT_EV_READ)
		e |= POLLIN;
	if (events & SKIT_EV_WRITE)
		e |= POLLOUT;
	return e;
}

static unsigned
from_poll(short e)
{
	unsigned events = 0;

	if (e & (POLLIN | POLLPRI | POLLRDHUP))
		events |= SKIT_EV_READ;
	if (e & POLLOUT)
		events |= SKIT_EV_WRITE;
	if (e & (POLLERR | POLLNVAL))
		events |= SKIT_EV_ERROR;
	if (e & POLLHUP)
		events |= SKIT_EV_HUP;
	return events;
}

static int
pl_init(void **out)
{
	struct poll_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	*out = st;
	return 0;
}

static void
pl_free(void *p)
{
	struct poll_state *st = p;

	if (!st)
		return;
	free(st->pfd);
	free(st->slot);
	free(st);
}

static int
slot_of(const struct poll_state *st, int fd)
{
	return fd < st->slot_cap ? st->slot[fd] : -1;
}

static int
pl_add(void *p, int fd, unsigned events)
{
	struct poll_state *st = p;

	if (fd < 0)
		return -EBADF;
	if (slot_of(st, fd) >= 0)
		return -EEXIST;
	if (fd >= st->slot_cap) {
		int ncap = st->slot_cap ? st->slot_cap : 64;
		int *ns;

		while (ncap <= fd)
			ncap *= 2;
		ns = realloc(st->slot, (size_t)ncap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		for (int i = st->slot_cap; i < ncap; i++)
			ns[i] = -1;
		st->slot = ns;
		st->slot_cap = ncap;
	}
	if (st->n == st->cap) {
		int ncap = st->cap ? st->cap * 2 : 64;
		struct pollfd *np;

		np = realloc(st->pfd, (size_t)ncap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		st->pfd = np;
		st->cap = ncap;
	}
	st->pfd[st->n] = (struct pollfd){ .fd = fd, .events = to_poll(events) };
	st->slot[fd] = st->n++;
	return 0;
}

static int
pl_mod(void *p, int fd, unsigned events)
{
	struct poll_state *st = p;
	int i = slot_of(st, fd);

	if (i < 0)
		return -ENOENT;
	st->pfd[i].events = to_poll(events);
	return 0;
}

static int
pl_del(void *p, int fd)
{
	struct poll_state *st = p;
	int i = slot_of(st, fd);

	if (i < 0)
		return -ENOENT;
	st->n--;
	if (i != st->n) {
		st->pfd[i] = st->pfd[st->n];
		st->slot[st->pfd[i].fd] = i;
	}
	st->slot[fd] = -1;
	return 0;
}

static int
pl_wait(void *p, struct skit__loop_event *out, int max, int timeout_ms)
{
	struct poll_state *st = p;
	int n, got = 0;

	n = poll(st->pfd, (nfds_t)st->n, timeout_ms);
	if (skit__trace_on()) {
		char b[256];

		skit__trace_call("poll", st->n ? st->pfd[0].fd : -1,
				 n < 0 ? -errno : n, "%s, %zu, %d",
				 skit__trace_pollfds(b, sizeof(b), st->pfd,
						     (size_t)st->n),
				 (size_t)st->n, timeout_ms);
	}
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0 || st->n == 0)
		return 0;
	/*
	 * Start the scan where the last one stopped, so that with more
	 * ready fds than max the ones at the end of the array get their
	 * turn too.
	 */
	if (st->start >= st->n)
		st->start = 0;
	for (int k = 0; k < st->n && got < max && got < n; k++) {
		int i = (st->start + k) % st->n;

		if (!st->pfd[i].revents)
			continue;
		out[got].fd = st->pfd[i].fd;
		out[got].events = from_poll(st->pfd[i].revents);
		got++;
		if (got == max)
			st->start = (i + 1) % st->n;
	}
	return got;
}

const struct skit__loop_backend skit__loop_poll = {
	.name = "poll",
	.init = pl_init,
	.free = pl_free,
	.add = pl_add,
	.mod = pl_mod,
	.del = pl_del,
	.wait = pl_wait,
};
