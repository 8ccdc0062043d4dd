/*
 * loop.c - the event loop (include/skit/loop.h): the watcher table,
 * the timer heap and the dispatch rules, over a kernel backend
 * (loop_epoll.c or loop_poll.c, see loop_backend.h).
 *
 * Dispatch rules that make callbacks safe to do anything:
 *  - each wakeup first copies the backend's ready list, with every
 *    watcher's generation number, into the loop's own array; a watcher
 *    removed (or removed and re-added on a reused fd number) by an
 *    earlier callback of the same wakeup is skipped, because its
 *    generation changed;
 *  - the events delivered are masked with the watcher's interest at the
 *    moment of the call, so a callback that turns off WRITE on another
 *    fd is obeyed at once;
 *  - timers run after fd callbacks; a timer added while timers are
 *    firing waits for the next wakeup even if it is already due, so a
 *    timer that re-arms itself with 0 ms cannot starve the fds.
 * The per-wakeup work budget is SKIT_LOOP_BUDGET fd callbacks: level
 * triggering reports the rest again at the next wakeup, and both
 * backends rotate which fds come first.
 */
#include "skit/loop.h"
#include "skit/io.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/loop_backend.h"

#define SKIT_LOOP_BUDGET 256

struct watcher {
	skit_fd_cb cb;
	void *data;
	uint64_t gen;	 /* 0 = not watched */
	unsigned events; /* interest */
	bool in_backend; /* registered with the kernel backend */
	bool always;	 /* fd cannot be polled (regular file): always ready */
	bool exclusive;	 /* SKIT_EV_EXCLUSIVE: re-added, never modified */
	void (*release)(int fd, void *data); /* skit_loop_own */
};

struct timer {
	int64_t when;
	uint64_t seq; /* insertion order, breaks ties between equal whens */
	int64_t id;   /* 0 = free slot */
	skit_timer_cb cb;
	void *data;
	int heap; /* index in loop->heap */
};

struct ready {
	int fd;
	unsigned events;
	uint64_t gen;
};

struct skit_loop {
	const struct skit__loop_backend *be;
	void *be_st;

	struct watcher *w; /* indexed by fd */
	int wcap;
	int nwatch;  /* registered watchers */
	int nactive; /* watchers with a non-empty interest */
	int nalways; /* active watchers with always set */
	uint64_t next_gen;

	struct timer *t; /* slots; id encodes slot and a use counter */
	int tcap;
	int *freet; /* free slot stack */
	int nfree;
	int *heap; /* slot indices, a binary min-heap on (when, seq) */
	int nheap;
	uint64_t next_seq;
	uint32_t tuse;

	struct skit__loop_event evbuf[SKIT_LOOP_BUDGET];
	struct ready ready[SKIT_LOOP_BUDGET];

	int64_t now;
	bool stop;
};

int64_t
skit_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
skit_loop_new(enum skit_loop_backend backend, struct skit_loop **out)
{
	struct skit_loop *l;
	int rc;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	switch (backend) {
	case SKIT_LOOP_AUTO:
	case SKIT_LOOP_EPOLL:
		l->be = &skit__loop_epoll;
		break;
	case SKIT_LOOP_POLL:
		l->be = &skit__loop_poll;
		break;
	default:
		free(l);
		return -EINVAL;
	}
	rc = l->be->init(&l->be_st);
	if (rc < 0 && backend == SKIT_LOOP_AUTO) {
		l->be = &skit__loop_poll;
		rc = l->be->init(&l->be_st);
	}
	if (rc < 0) {
		free(l);
		return rc;
	}
	l->next_gen = 1;
	l->now = skit_now_ns();
	*out = l;
	return 0;
}

static int forget(struct skit_loop *l, int fd, bool closing);

void
skit_loop_free(struct skit_loop *l)
{
	if (!l)
		return;
	/* Watchers that live on the loop by themselves go with it. */
	for (int fd = 0; fd < l->wcap; fd++) {
		struct watcher *w = &l->w[fd];

		if (w->gen && w->release) {
			void (*release)(int, void *) = w->release;
			void *data = w->data;

			(void)forget(l, fd, true);
			release(fd, data);
		}
	}
	l->be->free(l->be_st);
	free(l->w);
	free(l->t);
	free(l->freet);
	free(l->heap);
	free(l);
}

const char *
skit_loop_backend_name(const struct skit_loop *l)
{
	return l->be->name;
}

static struct watcher *
watcher_of(const struct skit_loop *l, int fd)
{
	if (fd < 0 || fd >= l->wcap || !l->w[fd].gen)
		return NULL;
	return &l->w[fd];
}

static int
grow_watchers(struct skit_loop *l, int fd)
{
	int ncap = l->wcap ? l->wcap : 64;
	struct watcher *nw;

	if (fd < l->wcap)
		return 0;
	while (ncap <= fd) {
		if (ncap > INT_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	nw = realloc(l->w, (size_t)ncap * sizeof(*nw));
	if (!nw)
		return -ENOMEM;
	memset(nw + l->wcap, 0, (size_t)(ncap - l->wcap) * sizeof(*nw));
	l->w = nw;
	l->wcap = ncap;
	return 0;
}

/* Bring the backend registration of w in line with w->events. */
static int
sync_backend(struct skit_loop *l, int fd, struct watcher *w)
{
	int rc = 0;

	if (w->always)
		return 0;
	if (w->events && w->in_backend && w->exclusive) {
		/* epoll cannot modify an exclusive registration: renew it. */
		(void)l->be->del(l->be_st, fd);
		w->in_backend = false;
	}
	if (w->events && !w->in_backend) {
		rc = l->be->add(l->be_st, fd,
				w->events |
					(w->exclusive ? SKIT_EV_EXCLUSIVE : 0));
		if (rc == -EPERM) {
			/*
			 * epoll refuses regular files and directories: they
			 * are always readable and writable, so the loop
			 * reports them as ready at every wakeup (what poll()
			 * does for them anyway).
			 */
			w->always = true;
			return 0;
		}
		if (rc == 0)
			w->in_backend = true;
	} else if (w->events && w->in_backend) {
		rc = l->be->mod(l->be_st, fd, w->events);
	} else if (!w->events && w->in_backend) {
		rc = l->be->del(l->be_st, fd);
		w->in_backend = false;
	}
	return rc;
}

static void
count_active(struct skit_loop *l, const struct watcher *w, int sign)
{
	if (w->events) {
		l->nactive += sign;
		if (w->always)
			l->nalways += sign;
	}
}

int
skit_loop_add(struct skit_loop *l, int fd, unsigned events, skit_fd_cb cb,
	      void *data)
{
	struct watcher *w;
	int rc;

	if (fd < 0 || !cb)
		return fd < 0 ? -EBADF : -EINVAL;
	if (watcher_of(l, fd))
		return -EEXIST;
	rc = grow_watchers(l, fd);
	if (rc < 0)
		return rc;
	w = &l->w[fd];
	*w = (struct watcher){ .cb = cb,
			       .data = data,
			       .events =
				       events & (SKIT_EV_READ | SKIT_EV_WRITE),
			       .exclusive = events & SKIT_EV_EXCLUSIVE };
	rc = sync_backend(l, fd, w);
	if (rc < 0) {
		memset(w, 0, sizeof(*w));
		return rc;
	}
	w->gen = l->next_gen++;
	l->nwatch++;
	count_active(l, w, +1);
	return 0;
}

int
skit_loop_mod(struct skit_loop *l, int fd, unsigned events)
{
	struct watcher *w = watcher_of(l, fd);
	unsigned old;
	int rc;

	if (!w)
		return -ENOENT;
	old = w->events;
	count_active(l, w, -1);
	w->events = events & (SKIT_EV_READ | SKIT_EV_WRITE);
	rc = sync_backend(l, fd, w);
	if (rc < 0)
		w->events = old;
	count_active(l, w, +1);
	return rc;
}

/*
 * Drop fd's watcher. closing: fd is about to be closed, so a backend
 * that close() unregisters from (epoll) is not asked to.
 */
static int
forget(struct skit_loop *l, int fd, bool closing)
{
	struct watcher *w = watcher_of(l, fd);

	if (!w)
		return -ENOENT;
	count_active(l, w, -1);
	if (w->in_backend && !(closing && l->be->close_unregisters))
		l->be->del(l->be_st, fd);
	memset(w, 0, sizeof(*w));
	l->nwatch--;
	return 0;
}

int
skit_loop_del(struct skit_loop *l, int fd)
{
	return forget(l, fd, false);
}

int
skit_loop_close(struct skit_loop *l, int fd)
{
	/* epoll forgets the fd when close() drops its last reference: no
	 * epoll_ctl(DEL), one system call per fd saved. */
	(void)forget(l, fd, true);
	return skit_close(fd);
}

int
skit_loop_own(struct skit_loop *l, int fd, void (*release)(int fd, void *data))
{
	struct watcher *w = watcher_of(l, fd);

	if (!w)
		return -ENOENT;
	w->release = release;
	return 0;
}

int
skit_loop_count(const struct skit_loop *l)
{
	return l->nwatch;
}

/* --- timers ----------------------------------------------------------- */

static bool
timer_before(const struct skit_loop *l, int a, int b)
{
	const struct timer *x = &l->t[a], *y = &l->t[b];

	return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

static void
heap_set(struct skit_loop *l, int i, int slot)
{
	l->heap[i] = slot;
	l->t[slot].heap = i;
}

static void
heap_up(struct skit_loop *l, int i)
{
	int slot = l->heap[i];

	while (i > 0) {
		int parent = (i - 1) / 2;

		if (!timer_before(l, slot, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, slot);
}

static void
heap_down(struct skit_loop *l, int i)
{
	int slot = l->heap[i];

	for (;;) {
		int c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap &&
		    timer_before(l, l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l, l->heap[c], slot))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, slot);
}

static void
heap_remove(struct skit_loop *l, int i)
{
	l->nheap--;
	if (i == l->nheap)
		return;
	heap_set(l, i, l->heap[l->nheap]);
	heap_down(l, i);
	heap_up(l, l->t[l->heap[i]].heap);
}

static void
timer_release(struct skit_loop *l, int slot)
{
	l->t[slot].id = 0;
	l->freet[l->nfree++] = slot;
}

static int
timer_slot(struct skit_loop *l)
{
	if (!l->nfree) {
		int ncap = l->tcap ? l->tcap * 2 : 16;
		struct timer *nt;
		int *nf, *nh;

		if (ncap > (1 << 30))
			return -ENOMEM;
		nt = realloc(l->t, (size_t)ncap * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		l->t = nt;
		nf = realloc(l->freet, (size_t)ncap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		l->freet = nf;
		nh = realloc(l->heap, (size_t)ncap * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		l->heap = nh;
		for (int i = ncap - 1; i >= l->tcap; i--) {
			l->t[i].id = 0;
			l->freet[l->nfree++] = i;
		}
		l->tcap = ncap;
	}
	return l->freet[--l->nfree];
}

int64_t
skit_loop_timer_at(struct skit_loop *l, int64_t when_ns, skit_timer_cb cb,
		   void *data)
{
	struct timer *t;
	int slot;

	if (!cb)
		return -EINVAL;
	slot = timer_slot(l);
	if (slot < 0)
		return slot;
	t = &l->t[slot];
	/*
	 * The id: the slot in the low 31 bits, a use counter above, so an
	 * id that fired and whose slot was reused is not cancelled by
	 * mistake.
	 */
	if (!++l->tuse)
		l->tuse = 1;
	t->id = ((int64_t)l->tuse << 31) | (int64_t)slot;
	t->when = when_ns;
	t->seq = l->next_seq++;
	t->cb = cb;
	t->data = data;
	l->heap[l->nheap] = slot;
	t->heap = l->nheap++;
	heap_up(l, t->heap);
	return t->id;
}

int64_t
skit_loop_timer(struct skit_loop *l, int64_t ms, skit_timer_cb cb, void *data)
{
	if (ms < 0)
		ms = 0;
	if (ms > INT64_MAX / 2000000)
		ms = INT64_MAX / 2000000;
	return skit_loop_timer_at(l, skit_now_ns() + ms * 1000000, cb, data);
}

void
skit_loop_timer_cancel(struct skit_loop *l, int64_t id)
{
	int64_t slot = id & (((int64_t)1 << 31) - 1);

	if (id <= 0 || slot >= l->tcap || l->t[slot].id != id)
		return;
	heap_remove(l, l->t[slot].heap);
	timer_release(l, (int)slot);
}

/* Fire the timers due at the start of this wakeup. */
static int
run_timers(struct skit_loop *l)
{
	uint64_t limit = l->next_seq;
	int fired = 0;

	while (l->nheap && !l->stop) {
		int slot = l->heap[0];
		struct timer *t = &l->t[slot];
		skit_timer_cb cb;
		void *data;

		if (t->when > l->now || t->seq >= limit)
			break;
		cb = t->cb;
		data = t->data;
		heap_remove(l, 0);
		timer_release(l, slot);
		cb(l, data);
		fired++;
	}
	return fired;
}

/* --- running ---------------------------------------------------------- */

static int
wait_timeout(struct skit_loop *l, int timeout_ms)
{
	if (l->nalways)
		return 0;
	if (l->nheap) {
		int64_t d = l->t[l->heap[0]].when - skit_now_ns();
		int64_t ms;

		/* Round up: waking early would only spin. */
		ms = d <= 0 ? 0 : (d + 999999) / 1000000;
		if (ms > INT_MAX)
			ms = INT_MAX;
		if (timeout_ms < 0 || ms < timeout_ms)
			timeout_ms = (int)ms;
	}
	return timeout_ms;
}

int
skit_loop_run_once(struct skit_loop *l, int timeout_ms)
{
	int n, nready = 0, calls = 0;

	l->stop = false;
	n = l->be->wait(l->be_st, l->evbuf, SKIT_LOOP_BUDGET,
			wait_timeout(l, timeout_ms));
	if (n < 0)
		return n;
	l->now = skit_now_ns();
	for (int i = 0; i < n; i++) {
		struct watcher *w = watcher_of(l, l->evbuf[i].fd);

		if (!w)
			continue;
		l->ready[nready++] =
			(struct ready){ .fd = l->evbuf[i].fd,
					.events = l->evbuf[i].events,
					.gen = w->gen };
	}
	for (int fd = 0;
	     l->nalways && fd < l->wcap && nready < SKIT_LOOP_BUDGET; fd++) {
		struct watcher *w = &l->w[fd];

		if (w->gen && w->always && w->events)
			l->ready[nready++] = (struct ready){
				.fd = fd, .events = w->events, .gen = w->gen
			};
	}
	for (int i = 0; i < nready && !l->stop; i++) {
		struct ready *r = &l->ready[i];
		struct watcher *w = watcher_of(l, r->fd);
		unsigned ev;

		if (!w || w->gen != r->gen || !w->events)
			continue;
		ev = r->events & (w->events | SKIT_EV_ERROR | SKIT_EV_HUP);
		if (!ev)
			continue;
		w->cb(l, r->fd, ev, w->data);
		calls++;
	}
	if (!l->stop)
		calls += run_timers(l);
	return calls;
}

int
skit_loop_run(struct skit_loop *l)
{
	int rc = 0;

	while (!l->stop && (l->nactive || l->nheap)) {
		rc = skit_loop_run_once(l, -1);
		if (rc < 0)
			break;
		rc = 0;
	}
	l->stop = false;
	return rc;
}

void
skit_loop_stop(struct skit_loop *l)
{
	l->stop = true;
}

int64_t
skit_loop_now(const struct skit_loop *l)
{
	return l->now;
}
