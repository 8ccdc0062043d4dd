/*
 * serve.c - one listener on one loop (include/skit/serve.h): the accept
 * path with its EMFILE policy, max-conns and the acl, datagram
 * sessions by peer, rate-limited reports, and the socket file removed
 * only while it is ours.
 *
 * Re-entrancy: callbacks may end sessions and free the serve. While a
 * callback runs, depth > 0: skit_serve_free then only closes and marks
 * the serve (freed), and the dispatcher frees it once the outermost
 * callback has returned; a session ended during a callback about it is
 * unlinked at once and freed after that callback (cur).
 *
 * Sessions sit in a hash by peer address (chained, doubled at load 1)
 * and in a list from the least to the most recently heard; one timer
 * per serve expires the head of that list, so a datagram costs a
 * lookup and a move to the tail, never a timer operation.
 */
#include "skit/serve.h"
#include "skit/io.h"
#include "skit/linger.h"

#include "core/io_int.h" /* skit__set_nonblock */
#include "net/serve_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEF_BATCH     16
#define DEF_PAUSE_MS  100
#define DEF_LINGER_MS 2000
#define DEF_IDLE_MS   60000
#define DEF_REPORT_MS 1000
#define DEF_MSG_MAX   (256 * 1024)
#define MIN_BUCKETS   16

struct skit_serve_limit {
	atomic_int count;
	int max;
};

/* A member of a share: one serve, on its own loop. */
struct share_member {
	atomic_int active; /* its connections, for the hand-over */
	atomic_bool open;  /* joined and not closed */
	atomic_bool away;  /* reading outside its loop: hand it nothing */
	int bell;	   /* an eventfd its loop watches: "it is yours" */
};

struct skit_serve_share {
	atomic_int holder; /* the member watching the listener, -1: none */
	atomic_int joined;
	int n;
	struct share_member m[];
};

struct skit_serve_session {
	struct skit_serve *s;
	struct skit_serve_session *hnext;	/* hash chain */
	struct skit_serve_session *prev, *next; /* oldest heard first */
	void *data;
	int64_t last_ns;
	uint32_t hash;
	bool dead; /* ended; freed when the callback about it returns */
	struct skit_sockaddr peer;
};

/* One kind of report: when the last went out, and those held back. */
struct report {
	struct skit_serve *s;
	int64_t last_ns;
	uint64_t held;
	int64_t timer;
	struct skit_serve_event ev; /* the last one held */
	struct skit_sockaddr peer;
};

struct skit_serve {
	struct skit_loop *loop;
	struct skit_serve_cfg cfg;
	int lfd;
	bool own;     /* lfd is ours to close */
	bool dgram;   /* datagrams, not accept() */
	bool watched; /* lfd is registered with the loop */
	bool closed;  /* skit_serve_close */
	bool paused;  /* skit_serve_pause */
	bool resting; /* out of fds: pause timer running */
	bool freed;   /* skit_serve_free while a callback runs */
	bool holding; /* share: this loop watches the listener */
	struct skit_serve_share *share;
	int me;	     /* share: this serve's member index */
	int depth;   /* callbacks running */
	int reserve; /* the reserve fd, or -1 */
	int64_t pause_timer;
	struct skit_sockaddr local;
	char *path; /* our unix socket file, or NULL */
	struct skit__file_id file;
	struct skit_serve_stats st;
	struct report rep[SKIT_SERVE_EVENT_KINDS];

	/* datagrams */
	char *buf;
	struct skit_serve_session **tab;
	size_t nbucket, nsess;
	struct skit_serve_session *oldest, *newest;
	struct skit_serve_session *cur; /* the session a callback is about */
	int64_t expire_timer;
};

static void serve_destroy(struct skit_serve *s);

/* --- callbacks and re-entrancy --------------------------------------- */

static void
enter(struct skit_serve *s)
{
	s->depth++;
}

/* Leave a callback; true when the serve is gone (freed meanwhile). */
static bool
leave(struct skit_serve *s)
{
	if (--s->depth > 0 || !s->freed)
		return s->freed;
	serve_destroy(s);
	return true;
}

/* --- the limit -------------------------------------------------------- */

int
skit_serve_limit_new(int max, struct skit_serve_limit **out)
{
	struct skit_serve_limit *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return -ENOMEM;
	atomic_init(&l->count, 0);
	l->max = max;
	*out = l;
	return 0;
}

void
skit_serve_limit_free(struct skit_serve_limit *l)
{
	free(l);
}

int
skit_serve_limit_count(const struct skit_serve_limit *l)
{
	return atomic_load(&l->count);
}

static int
max_conns(const struct skit_serve *s)
{
	return s->cfg.limit ? s->cfg.limit->max : s->cfg.max_conns;
}

/* Count one more connection; false (nothing counted) over the limit. */
static bool
take_slot(struct skit_serve *s)
{
	struct skit_serve_limit *l = s->cfg.limit;

	if (l) {
		int n = atomic_fetch_add(&l->count, 1) + 1;

		if (l->max > 0 && n > l->max) {
			atomic_fetch_sub(&l->count, 1);
			return false;
		}
	} else if (s->cfg.max_conns > 0 && s->st.active >= s->cfg.max_conns) {
		return false;
	}
	s->st.active++;
	if (s->share)
		atomic_store(&s->share->m[s->me].active, s->st.active);
	return true;
}

static void
give_slot(struct skit_serve *s)
{
	s->st.active--;
	if (s->share)
		atomic_store(&s->share->m[s->me].active, s->st.active);
	if (s->cfg.limit)
		atomic_fetch_sub(&s->cfg.limit->count, 1);
}

/* --- a listener shared by several loops -------------------------------- */

static void rewatch(struct skit_serve *s);

/*
 * One member at a time watches the listener (the holder) and takes every
 * connection, as a lone loop would: no other loop wakes, no accept()
 * comes back empty. After each connection it takes, a holder with more
 * connections than the least busy other member (by more than
 * SHARE_SLACK) hands the listener over: it stops watching, names the
 * new holder and rings its bell (an eventfd its loop watches). So one
 * client connecting again and again stays on one loop, and many spread
 * over all of them.
 *
 * A member reading outside its loop (echo's blocking reads) is away:
 * nothing is handed to it. The race between going away and being
 * handed the listener is settled by order: the member says it is away,
 * then looks whether it was named holder meanwhile; the holder names a
 * member only after looking that it is not away (seq_cst atomics).
 */
/*
 * Not 1: a client that connects again and again often has its next
 * connection taken before the end of the last one is read (one epoll
 * batch), and a slack of 1 then handed the listener back and forth.
 */
#define SHARE_SLACK 4

int
skit_serve_share_new(int n, struct skit_serve_share **out)
{
	struct skit_serve_share *sh;

	*out = NULL;
	if (n < 1)
		return -EINVAL;
	sh = calloc(1, sizeof(*sh) + (size_t)n * sizeof(sh->m[0]));
	if (!sh)
		return -ENOMEM;
	sh->n = n;
	atomic_init(&sh->holder, -1);
	atomic_init(&sh->joined, 0);
	for (int i = 0; i < n; i++) {
		atomic_init(&sh->m[i].active, 0);
		atomic_init(&sh->m[i].open, false);
		atomic_init(&sh->m[i].away, false);
		/* The share's own, so that ringing a member that just left
		 * never writes to an fd number reused meanwhile. */
		sh->m[i].bell = skit_eventfd();
		if (sh->m[i].bell < 0) {
			int r = sh->m[i].bell;

			skit_serve_share_free(sh);
			return r;
		}
	}
	*out = sh;
	return 0;
}

void
skit_serve_share_free(struct skit_serve_share *sh)
{
	if (!sh)
		return;
	for (int i = 0; i < sh->n; i++)
		if (sh->m[i].bell >= 0)
			skit_close(sh->m[i].bell);
	free(sh);
}

static void
on_bell(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	struct skit_serve *s = data;
	uint64_t v;

	(void)loop;
	(void)events;
	(void)skit_read_some(fd, &v, sizeof(v));
	s->holding = atomic_load(&s->share->holder) == s->me;
	rewatch(s);
}

/* The open member other than us with the fewest connections, or -1. */
static int
least_busy(const struct skit_serve *s, int *active)
{
	const struct skit_serve_share *sh = s->share;
	int best = -1;

	for (int j = 0; j < sh->n; j++) {
		int v = atomic_load(&sh->m[j].active);

		if (j == s->me || !atomic_load(&sh->m[j].open) ||
		    atomic_load(&sh->m[j].away))
			continue;
		if (best < 0 || v < *active) {
			best = j;
			*active = v;
		}
	}
	return best;
}

/*
 * Name member `to` holder, then look: if it left or went away
 * meanwhile, take the listener back (false). It does the same in the
 * other order (skit_serve_quiet, share_leave), so one of the two sees
 * the other.
 */
static bool
hand_over(struct skit_serve *s, int to)
{
	struct skit_serve_share *sh = s->share;
	atomic_store(&sh->holder, to);
	if (!atomic_load(&sh->m[to].open) || atomic_load(&sh->m[to].away)) {
		atomic_store(&sh->holder, s->me);
		return false;
	}
	s->holding = false;
	rewatch(s);
	(void)skit_eventfd_signal(sh->m[to].bell);
	return true;
}

/* After a connection taken: hand the listener to a less busy loop? */
static void
balance(struct skit_serve *s)
{
	int active = 0, to = least_busy(s, &active);

	if (to >= 0 && s->st.active > active + SHARE_SLACK)
		(void)hand_over(s, to);
}

/* This member joins its share; the first one holds the listener. */
static int
share_join(struct skit_serve *s)
{
	struct skit_serve_share *sh = s->share;
	int none = -1, r;

	s->me = atomic_fetch_add(&sh->joined, 1);
	if (s->me >= sh->n)
		return -EINVAL;
	r = skit_loop_add(s->loop, sh->m[s->me].bell, SKIT_EV_READ, on_bell, s);
	if (r < 0)
		return r;
	atomic_store(&sh->m[s->me].open, true);
	s->holding = atomic_compare_exchange_strong(&sh->holder, &none, s->me);
	return 0;
}

/* This member is done: the listener goes to another one, if it had it. */
static void
share_leave(struct skit_serve *s)
{
	struct skit_serve_share *sh = s->share;
	int active = 0, to;

	if (!sh || s->me >= sh->n || !atomic_load(&sh->m[s->me].open))
		return;
	atomic_store(&sh->m[s->me].open, false);
	if (atomic_load(&sh->holder) == s->me) {
		to = least_busy(s, &active);
		if (to < 0 || !hand_over(s, to))
			atomic_store(&sh->holder, -1);
	}
	s->holding = false;
	(void)skit_loop_del(s->loop, sh->m[s->me].bell);
}

int
skit_serve_quiet(struct skit_serve *s, bool quiet)
{
	struct skit_serve_share *sh = s->share;

	if (!sh)
		return !quiet || skit_serve_accepting(s) ? 1 : -1;
	if (!quiet) {
		int none = -1;

		atomic_store(&sh->m[s->me].away, false);
		/* Left with nobody to hand it to while we were away? */
		if (atomic_compare_exchange_strong(&sh->holder, &none, s->me)) {
			s->holding = true;
			rewatch(s);
		}
		return 0;
	}
	/* Say so first, then look (see hand_over). */
	atomic_store(&sh->m[s->me].away, true);
	if (atomic_load(&sh->holder) != s->me)
		return 0;
	if (s->holding && skit_serve_accepting(s))
		return 1;
	/* Handed over a moment ago (the bell is not heard yet), or resting:
	 * this loop must look at its fds. */
	atomic_store(&sh->m[s->me].away, false);
	return -1;
}

/* --- reports ---------------------------------------------------------- */

static void
deliver(struct skit_serve *s, const struct skit_serve_event *ev)
{
	enter(s);
	s->cfg.on_event(s, ev, s->cfg.data);
	s->depth--; /* the dispatcher that called us frees, if need be */
}

static void
on_report(struct skit_loop *loop, void *data)
{
	struct report *r = data;
	struct skit_serve *s = r->s;

	r->timer = 0;
	if (!r->held)
		return;
	r->ev.count = r->held;
	r->ev.peer = r->ev.peer ? &r->peer : NULL;
	r->held = 0;
	r->last_ns = skit_loop_now(loop);
	enter(s);
	s->cfg.on_event(s, &r->ev, s->cfg.data);
	leave(s);
}

/*
 * Report ev: at once when none of its kind went out within report_ms,
 * else held back, counted, and reported when the period ends.
 */
static void
report(struct skit_serve *s, struct skit_serve_event *ev)
{
	struct report *r = &s->rep[ev->kind];
	int64_t now = skit_loop_now(s->loop);
	int64_t period = s->cfg.report_ms * 1000000;

	if (!s->cfg.on_event)
		return;
	if (!r->held && (!r->last_ns || now - r->last_ns >= period)) {
		r->last_ns = now;
		ev->count = 1;
		deliver(s, ev);
		return;
	}
	r->held++;
	r->ev = *ev;
	if (ev->peer)
		r->peer = *ev->peer;
	if (!r->timer) {
		int64_t id = skit_loop_timer_at(s->loop, r->last_ns + period,
						on_report, r);

		r->timer = id > 0 ? id : 0;
	}
}

/* Hand over what is held back now (skit_serve_free). */
static void
flush_reports(struct skit_serve *s)
{
	for (int k = 0; k < SKIT_SERVE_EVENT_KINDS; k++) {
		struct report *r = &s->rep[k];

		if (r->timer)
			skit_loop_timer_cancel(s->loop, r->timer);
		r->timer = 0;
		if (r->held && s->cfg.on_event) {
			r->ev.count = r->held;
			r->ev.peer = r->ev.peer ? &r->peer : NULL;
			r->held = 0;
			deliver(s, &r->ev);
		}
	}
}

static void
refused(struct skit_serve *s, enum skit_serve_event_kind kind,
	const struct skit_sockaddr *peer)
{
	struct skit_serve_event ev = { .kind = kind,
				       .peer = peer,
				       .max_conns = max_conns(s) };

	s->st.refused++;
	report(s, &ev);
}

static bool
permitted(const struct skit_serve *s, const struct skit_sockaddr *peer)
{
	return !s->cfg.acl ||
	       skit_acl_permits(s->cfg.acl, (const struct sockaddr *)&peer->ss);
}

/* --- watching the socket -------------------------------------------- */

static void on_listen(struct skit_loop *loop, int fd, unsigned ev, void *data);
static void on_dgram(struct skit_loop *loop, int fd, unsigned ev, void *data);

/* Watch the socket when it should be, and not when not (a member of a
 * share that does not hold the listener must not: it would wake for
 * every connection and, not taking it, spin). */
static void
rewatch(struct skit_serve *s)
{
	bool off = s->closed || s->paused || s->resting ||
		   (s->share && !s->holding);
	unsigned want = off ? 0 : SKIT_EV_READ;

	if (s->watched && skit_loop_mod(s->loop, s->lfd, want) < 0)
		s->resting = true; /* cannot happen on a registered fd */
}

/* --- accepting ------------------------------------------------------- */

static bool
out_of_fds(int code)
{
	return code == -EMFILE || code == -ENFILE || code == -ENOBUFS ||
	       code == -ENOMEM;
}

static void
on_rested(struct skit_loop *loop, void *data)
{
	struct skit_serve *s = data;

	(void)loop;
	s->pause_timer = 0;
	s->resting = false;
	if (s->reserve < 0 && !s->dgram)
		s->reserve = skit__reserve_fd();
	rewatch(s);
}

/*
 * accept() failed for want of fds (or memory): a queued client would
 * make every wakeup report the listener ready again, a busy loop. Free
 * the reserve fd, take the client, close it at once (it sees the
 * connection end), take the reserve back. When that cannot be done,
 * rest for pause_ms. Returns true when the batch may go on.
 */
static bool
no_fds(struct skit_serve *s, int code)
{
	struct skit_serve_event ev = { .kind = SKIT_SERVE_NOFD, .code = code };
	struct skit_sockaddr peer;
	int fd = -1;

	if (s->reserve >= 0) {
		skit_close(s->reserve);
		s->reserve = -1;
		fd = skit__accept_peer(s->lfd, s->local.type, &peer);
		if (fd >= 0) {
			skit_close(fd);
			ev.peer = &peer;
		}
		s->reserve = skit__reserve_fd();
		/*
		 * accept4() takes an fd before it looks at the queue: with
		 * room made, an empty queue says so. Nobody was refused.
		 */
		if (fd == -EAGAIN && s->reserve >= 0)
			return false;
	}
	s->st.nofd++;
	ev.paused = fd < 0 || s->reserve < 0;
	if (ev.paused && !s->pause_timer) {
		int64_t id =
			skit_loop_timer(s->loop, s->cfg.pause_ms, on_rested, s);

		if (id > 0) {
			s->pause_timer = id;
			s->resting = true;
			rewatch(s);
		}
	}
	report(s, &ev);
	return !ev.paused;
}

static void
on_listen(struct skit_loop *loop, int lfd, unsigned events, void *data)
{
	struct skit_serve *s = data;

	(void)loop;
	(void)events;
	s->st.wakeups++;
	enter(s);
	for (int i = 0; i < s->cfg.batch && !s->freed; i++) {
		struct skit_sockaddr peer;
		int fd;

		if (s->closed || s->paused || s->resting ||
		    (s->share && !s->holding))
			break;
		fd = skit__accept_peer(lfd, s->local.type, &peer);
		if (fd == -EAGAIN)
			break;
		if (out_of_fds(fd)) {
			if (!no_fds(s, fd))
				break;
			continue;
		}
		if (fd < 0)
			continue; /* ECONNABORTED and such: the next one */
		if (!permitted(s, &peer)) {
			skit_close(fd);
			refused(s, SKIT_SERVE_DENIED, &peer);
			continue;
		}
		if (!take_slot(s)) {
			/* Closed at once: the client reads EOF, not a hang. */
			skit_close(fd);
			refused(s, SKIT_SERVE_LIMIT, &peer);
			continue;
		}
		s->st.accepted++;
		s->cfg.on_conn(s, fd, &peer, s->cfg.data);
		if (s->share && !s->freed && s->holding)
			balance(s);
	}
	leave(s);
}

/* --- datagram sessions ---------------------------------------------- */

static uint32_t
hash_peer(const struct skit_sockaddr *p)
{
	const unsigned char *b = (const unsigned char *)&p->ss;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (socklen_t i = 0; i < p->len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static struct skit_serve_session *
find_session(const struct skit_serve *s, const struct skit_sockaddr *p,
	     uint32_t h)
{
	if (!s->nbucket)
		return NULL;
	for (struct skit_serve_session *ss = s->tab[h & (s->nbucket - 1)]; ss;
	     ss = ss->hnext)
		if (ss->hash == h && ss->peer.len == p->len &&
		    !memcmp(&ss->peer.ss, &p->ss, p->len))
			return ss;
	return NULL;
}

static int
grow_table(struct skit_serve *s)
{
	size_t n = s->nbucket ? s->nbucket * 2 : MIN_BUCKETS;
	struct skit_serve_session **t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < s->nbucket; i++) {
		struct skit_serve_session *ss = s->tab[i], *next;

		for (; ss; ss = next) {
			next = ss->hnext;
			ss->hnext = t[ss->hash & (n - 1)];
			t[ss->hash & (n - 1)] = ss;
		}
	}
	free(s->tab);
	s->tab = t;
	s->nbucket = n;
	return 0;
}

static void
list_unlink(struct skit_serve *s, struct skit_serve_session *ss)
{
	if (ss->prev)
		ss->prev->next = ss->next;
	else
		s->oldest = ss->next;
	if (ss->next)
		ss->next->prev = ss->prev;
	else
		s->newest = ss->prev;
	ss->prev = ss->next = NULL;
}

static void
list_append(struct skit_serve *s, struct skit_serve_session *ss)
{
	ss->prev = s->newest;
	ss->next = NULL;
	if (s->newest)
		s->newest->next = ss;
	else
		s->oldest = ss;
	s->newest = ss;
}

static void on_expire(struct skit_loop *loop, void *data);

/* Heard from ss now: it goes to the end of the expiry list. */
static void
touch(struct skit_serve *s, struct skit_serve_session *ss)
{
	ss->last_ns = skit_loop_now(s->loop);
	if (s->newest != ss) {
		list_unlink(s, ss);
		list_append(s, ss);
	}
	if (!s->expire_timer && s->cfg.session_idle_ms >= 0) {
		int64_t id = skit_loop_timer_at(
			s->loop,
			s->oldest->last_ns + s->cfg.session_idle_ms * 1000000,
			on_expire, s);

		s->expire_timer = id > 0 ? id : 0;
	}
}

/* Take ss out of the hash and the list, count it off: it is dead. */
static void
forget_session(struct skit_serve *s, struct skit_serve_session *ss)
{
	struct skit_serve_session **pp = &s->tab[ss->hash & (s->nbucket - 1)];

	while (*pp != ss)
		pp = &(*pp)->hnext;
	*pp = ss->hnext;
	list_unlink(s, ss);
	s->nsess--;
	ss->dead = true;
	give_slot(s);
}

/* Free a dead session unless a callback about it is running. */
static void
drop_session(struct skit_serve *s, struct skit_serve_session *ss)
{
	if (s->cur != ss)
		free(ss);
}

/* End ss by itself (idle, free): tell the caller, then free it. */
static void
end_session(struct skit_serve *s, struct skit_serve_session *ss,
	    enum skit_serve_end why)
{
	struct skit_serve_session *was = s->cur;

	forget_session(s, ss);
	if (s->cfg.on_session_end) {
		s->cur = ss;
		s->cfg.on_session_end(s, ss, why, s->cfg.data);
		s->cur = was;
	}
	drop_session(s, ss);
}

static void
on_expire(struct skit_loop *loop, void *data)
{
	struct skit_serve *s = data;
	int64_t now = skit_loop_now(loop), idle = s->cfg.session_idle_ms;

	s->expire_timer = 0;
	enter(s);
	while (s->oldest && !s->freed &&
	       s->oldest->last_ns + idle * 1000000 <= now)
		end_session(s, s->oldest, SKIT_SERVE_END_IDLE);
	if (!s->freed && s->oldest) {
		int64_t id = skit_loop_timer_at(
			loop, s->oldest->last_ns + idle * 1000000, on_expire,
			s);

		s->expire_timer = id > 0 ? id : 0;
	}
	leave(s);
}

/* A datagram from a peer without a session: open one, or refuse. */
static struct skit_serve_session *
new_session(struct skit_serve *s, const struct skit_sockaddr *peer, uint32_t h)
{
	struct skit_serve_session *ss;
	void *data;

	if (s->closed)
		return NULL; /* no new peers, quietly (skit_serve_close) */
	if (!permitted(s, peer)) {
		refused(s, SKIT_SERVE_DENIED, peer);
		return NULL;
	}
	if ((s->nsess + 1 > s->nbucket && grow_table(s) < 0) ||
	    !(ss = calloc(1, sizeof(*ss))))
		return NULL;
	if (!take_slot(s)) {
		free(ss);
		refused(s, SKIT_SERVE_LIMIT, peer);
		return NULL;
	}
	ss->s = s;
	ss->peer = *peer;
	ss->hash = h;
	ss->hnext = s->tab[h & (s->nbucket - 1)];
	s->tab[h & (s->nbucket - 1)] = ss;
	list_append(s, ss);
	s->nsess++;
	s->cur = ss;
	data = s->cfg.on_session(s, ss, s->cfg.data);
	s->cur = NULL;
	if (ss->dead || s->freed) {
		drop_session(s, ss);
		return NULL;
	}
	if (!data) {
		forget_session(s, ss);
		free(ss);
		s->st.refused++;
		return NULL;
	}
	ss->data = data;
	s->st.accepted++;
	return ss;
}

static void
datagram(struct skit_serve *s, struct skit_sockaddr *from, size_t n)
{
	struct skit_serve_session tmp, *ss;
	uint32_t h;

	if (!s->cfg.on_session) {
		if (!permitted(s, from)) {
			refused(s, SKIT_SERVE_DENIED, from);
			return;
		}
		memset(&tmp, 0, sizeof(tmp));
		tmp.s = s;
		tmp.peer = *from;
		tmp.dead = true; /* never in the table */
		s->cur = &tmp;
		s->cfg.on_datagram(s, &tmp, s->buf, n, s->cfg.data);
		s->cur = NULL;
		return;
	}
	if (from->len <= (socklen_t)sizeof(sa_family_t)) {
		struct skit_serve_event ev = { .kind = SKIT_SERVE_UNNAMED,
					       .peer = from };

		report(s, &ev);
		return;
	}
	h = hash_peer(from);
	ss = find_session(s, from, h);
	if (!ss && !(ss = new_session(s, from, h)))
		return;
	touch(s, ss);
	s->cur = ss;
	s->cfg.on_datagram(s, ss, s->buf, n, s->cfg.data);
	s->cur = NULL;
	if (ss->dead)
		free(ss);
}

static void
on_dgram(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	struct skit_serve *s = data;

	(void)loop;
	(void)events;
	s->st.wakeups++;
	enter(s);
	for (int i = 0; i < s->cfg.batch && !s->freed && !s->paused; i++) {
		struct skit_sockaddr from = { .len = sizeof(from.ss) };
		ssize_t n;

		/* MSG_TRUNC: n is the real length even if it did not fit. */
		n = skit_recvfrom(fd, s->buf, s->cfg.msg_max,
				  MSG_DONTWAIT | MSG_TRUNC,
				  (struct sockaddr *)&from.ss, &from.len);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			continue; /* an ICMP error for an earlier reply */
		s->st.datagrams++;
		from.family = from.ss.ss_family;
		from.type = s->local.type;
		from.protocol = s->local.protocol;
		if ((size_t)n > s->cfg.msg_max) {
			struct skit_serve_event ev = {
				.kind = SKIT_SERVE_TOOBIG,
				.len = (size_t)n,
				.peer = &from
			};

			report(s, &ev);
			continue;
		}
		datagram(s, &from, (size_t)n);
	}
	leave(s);
}

const struct skit_sockaddr *
skit_serve_session_peer(const struct skit_serve_session *ss)
{
	return &ss->peer;
}

void *
skit_serve_session_data(const struct skit_serve_session *ss)
{
	return ss->data;
}

ssize_t
skit_serve_sendto(struct skit_serve *s, struct skit_serve_session *ss,
		  const void *msg, size_t len)
{
	ssize_t n = skit_sendto(s->lfd, msg, len, MSG_DONTWAIT,
				(const struct sockaddr *)&ss->peer.ss,
				ss->peer.len);

	if (!ss->dead)
		touch(s, ss);
	return n;
}

void
skit_serve_session_end(struct skit_serve *s, struct skit_serve_session *ss)
{
	if (ss->dead)
		return;
	forget_session(s, ss);
	drop_session(s, ss);
}

/* --- creating and ending -------------------------------------------- */

static int
serve_new(struct skit_loop *loop, int lfd, bool own,
	  const struct skit_serve_cfg *cfg, struct skit_serve **out)
{
	struct skit_serve *s = calloc(1, sizeof(*s));
	unsigned ev = SKIT_EV_READ;
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->cfg = *cfg;
	s->lfd = lfd;
	s->own = own;
	s->reserve = -1;
	if (s->cfg.batch <= 0)
		s->cfg.batch = DEF_BATCH;
	if (s->cfg.pause_ms <= 0)
		s->cfg.pause_ms = DEF_PAUSE_MS;
	if (s->cfg.linger_ms == 0)
		s->cfg.linger_ms = DEF_LINGER_MS;
	if (s->cfg.session_idle_ms == 0)
		s->cfg.session_idle_ms = DEF_IDLE_MS;
	if (s->cfg.report_ms <= 0)
		s->cfg.report_ms = DEF_REPORT_MS;
	if (s->cfg.msg_max == 0)
		s->cfg.msg_max = DEF_MSG_MAX;
	for (int k = 0; k < SKIT_SERVE_EVENT_KINDS; k++)
		s->rep[k].s = s;
	r = skit_sock_local(lfd, &s->local);
	if (r == 0)
		r = skit__set_nonblock(lfd, true);
	if (r < 0)
		goto fail;
	s->dgram =
		s->local.type != SOCK_STREAM && s->local.type != SOCK_SEQPACKET;
	if (s->dgram) {
		s->buf = malloc(s->cfg.msg_max);
		if (!s->buf || !s->cfg.on_datagram) {
			r = s->buf ? -EINVAL : -ENOMEM;
			goto fail;
		}
	} else {
		if (!s->cfg.on_conn) {
			r = -EINVAL;
			goto fail;
		}
		s->reserve = skit__reserve_fd();
	}
	s->share = s->dgram ? NULL : s->cfg.share;
	if (s->share && (r = share_join(s)) < 0)
		goto fail;
	if (s->share && !s->holding)
		ev = 0; /* another loop holds it */
	else if (s->cfg.exclusive)
		ev |= SKIT_EV_EXCLUSIVE;
	r = skit_loop_add(loop, lfd, ev, s->dgram ? on_dgram : on_listen, s);
	if (r < 0)
		goto fail;
	s->watched = true;
	*out = s;
	return 0;
fail:
	share_leave(s);
	if (s->reserve >= 0)
		skit_close(s->reserve);
	free(s->buf);
	free(s);
	return r;
}

int
skit_serve_fd(struct skit_loop *loop, int lfd, const struct skit_serve_cfg *cfg,
	      struct skit_serve **out)
{
	return serve_new(loop, lfd, false, cfg, out);
}

int
skit_serve_open(struct skit_loop *loop, const struct skit_addr *a,
		int open_flags, const struct skit_serve_cfg *cfg,
		struct skit_serve **out, struct skit_err *err)
{
	struct skit_sockaddr local;
	struct skit__file_id file = { 0 };
	char text[160], *path = NULL;
	bool is_file;
	int fd, r = 0;

	*out = NULL;
	skit_err_clear(err);
	if (a->role == SKIT_ROLE_CONNECT)
		return skit_err_set(err, SKIT_EKIND, "serve", a->host);
	fd = skit_open(a, SKIT_ROLE_LISTEN, open_flags | SKIT_OPEN_NONBLOCK,
		       NULL, &local, NULL, err);
	if (fd < 0)
		return fd;
	/* A socket file we just bound: ours, removed at the end if still
	 * ours. */
	is_file = local.family == AF_UNIX && !a->abstract && a->host[0];
	if (is_file) {
		(void)skit__file_id(a->host, &file);
		path = strdup(a->host);
		if (!path)
			r = -ENOMEM;
	}
	if (r == 0)
		r = serve_new(loop, fd, true, cfg, out);
	if (r < 0) {
		skit_close(fd);
		if (is_file)
			(void)skit__file_remove(a->host, &file);
		free(path);
		skit_sockaddr_str(&local, text, sizeof(text));
		return skit_err_set(err, r, "serve", text);
	}
	(*out)->path = path;
	(*out)->file = file;
	return 0;
}

const struct skit_sockaddr *
skit_serve_local(const struct skit_serve *s)
{
	return &s->local;
}

int
skit_serve_listen_fd(const struct skit_serve *s)
{
	return s->lfd;
}

int
skit_serve_release(struct skit_serve *s, int fd)
{
	give_slot(s);
	if (fd < 0)
		return 0;
	if (s->cfg.linger_ms < 0)
		return skit_loop_close(s->loop, fd);
	return skit_linger_close(s->loop, fd, s->cfg.linger_ms);
}

void
skit_serve_pause(struct skit_serve *s, bool paused)
{
	s->paused = paused;
	rewatch(s);
}

bool
skit_serve_accepting(const struct skit_serve *s)
{
	return s->watched && !s->closed && !s->paused && !s->resting &&
	       (!s->share || s->holding);
}

void
skit_serve_close(struct skit_serve *s)
{
	if (s->closed)
		return;
	s->closed = true;
	if (s->dgram)
		return; /* the sessions still answer from the socket */
	share_leave(s);
	if (s->pause_timer)
		skit_loop_timer_cancel(s->loop, s->pause_timer);
	s->pause_timer = 0;
	if (s->watched)
		(void)skit_loop_del(s->loop, s->lfd);
	s->watched = false;
	if (s->own) {
		skit_close(s->lfd);
		s->lfd = -1;
	}
	if (s->path)
		(void)skit__file_remove(s->path, &s->file);
	if (s->reserve >= 0)
		skit_close(s->reserve);
	s->reserve = -1;
}

void
skit_serve_stats(const struct skit_serve *s, struct skit_serve_stats *out)
{
	*out = s->st;
}

/* Everything but the struct itself (and a session a callback holds). */
static void
serve_close_all(struct skit_serve *s)
{
	skit_serve_close(s);
	if (s->pause_timer)
		skit_loop_timer_cancel(s->loop, s->pause_timer);
	s->pause_timer = 0;
	if (s->expire_timer)
		skit_loop_timer_cancel(s->loop, s->expire_timer);
	s->expire_timer = 0;
	while (s->oldest)
		end_session(s, s->oldest, SKIT_SERVE_END_FREE);
	if (s->watched)
		(void)skit_loop_del(s->loop, s->lfd);
	s->watched = false;
	if (s->own && s->lfd >= 0) {
		skit_close(s->lfd);
		s->lfd = -1;
		if (s->path)
			(void)skit__file_remove(s->path, &s->file);
	}
	flush_reports(s);
}

static void
serve_destroy(struct skit_serve *s)
{
	free(s->tab);
	free(s->buf);
	free(s->path);
	free(s);
}

void
skit_serve_free(struct skit_serve *s)
{
	if (!s || s->freed)
		return;
	s->depth++;
	s->freed = true; /* callbacks from here on cannot free it again */
	serve_close_all(s);
	leave(s);
}
