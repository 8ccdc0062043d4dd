/*
 * linger.c - the lingering close of skit/linger.h: shutdown(SHUT_WR),
 * read and discard until the peer's EOF or a deadline, then close.
 *
 * A socket still lingering has one small record, the data of its loop
 * watcher, which the loop owns (skit_loop_own): the record goes at EOF,
 * at the deadline, or with the loop.
 */
#include "skit/linger.h"
#include "skit/io.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#define DRAIN_BUF   16384
#define DRAIN_READS 64 /* reads per wakeup: a firehose peer cannot hog */

struct lingering {
	struct skit_loop *loop;
	int fd;
	int64_t timer;
};

/*
 * Read and drop what fd holds. Returns true when fd is done with: EOF,
 * an error, or nothing more can come; false when it would block.
 */
static bool
drain(int fd)
{
	char buf[DRAIN_BUF];

	for (int i = 0; i < DRAIN_READS; i++) {
		ssize_t n = skit_recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
					  NULL, NULL);

		if (n == -EAGAIN)
			return false;
		if (n <= 0)
			return true;
	}
	return false; /* more to come: the loop brings us back */
}

static void
finish(struct lingering *l)
{
	if (l->timer)
		skit_loop_timer_cancel(l->loop, l->timer);
	(void)skit_loop_close(l->loop, l->fd);
	free(l);
}

static void
on_read(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	(void)loop;
	(void)events;
	if (drain(fd))
		finish(data);
}

static void
on_deadline(struct skit_loop *loop, void *data)
{
	struct lingering *l = data;

	(void)loop;
	l->timer = 0;
	finish(l);
}

/* skit_loop_free with the socket still lingering. */
static void
release(int fd, void *data)
{
	(void)skit_close(fd);
	free(data);
}

int
skit_linger_close(struct skit_loop *loop, int fd, int64_t ms)
{
	struct lingering *l;

	(void)skit_loop_del(loop, fd);
	if (ms <= 0 || skit_shutdown(fd, SHUT_WR) < 0 || drain(fd))
		return skit_close(fd);
	l = malloc(sizeof(*l));
	if (!l)
		return skit_close(fd);
	*l = (struct lingering){ .loop = loop, .fd = fd };
	if (skit_loop_add(loop, fd, SKIT_EV_READ, on_read, l) < 0) {
		free(l);
		return skit_close(fd);
	}
	(void)skit_loop_own(loop, fd, release);
	l->timer = skit_loop_timer(loop, ms, on_deadline, l);
	if (l->timer < 0) {
		l->timer = 0;
		finish(l);
	}
	return 0;
}
