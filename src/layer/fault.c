/*
 * fault.c - the fault layer (include/skit/fault.h): each chunk that
 * enters a way (a send from above, a read from below) goes through the
 * faults in order and lands in that way's queue with the time it is due
 * (or is dropped, duplicated, held back, cut short); the queue's head
 * leaves when it is due and the way's token bucket allows. One loop
 * timer, at the earliest time anything changes, kicks the conn's user.
 *
 * End marks travel in the queues like data, so an end (EOF, the cut of
 * limit-data, the RST of reset-after) comes after the bytes before it,
 * delayed like them.
 */
#include "skit/fault.h"
#include "skit/loop.h"
#include "skit/sock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define READ_MAX	65536		  /* one read from below, one message */
#define REORDER_WAIT_NS (100 * 1000000LL) /* a held message's latest */
#define BUCKET_NS	(20 * 1000000LL)  /* burst: 20 ms of the rate */
#define NEVER		INT64_MAX
#define NS(ms)		((int64_t)(ms)*1000000)

enum { UP = 0, DOWN = 1 };

enum mark {
	M_DATA = 0,
	M_EOF,	 /* down: the end of the stream from below */
	M_CUT,	 /* limit-data reached: both ways end */
	M_RESET, /* reset-after reached */
};

struct chunk {
	struct chunk *next;
	int64_t due; /* ns, monotonic */
	size_t len, off;
	enum mark mark;
	unsigned char data[];
};

struct way {
	struct chunk *head, *tail;
	size_t held;	  /* data bytes queued */
	int64_t last_due; /* streams keep order: never before this */
	uint64_t passed;  /* data bytes taken in */
	double tokens;	  /* token bucket, bytes */
	int64_t tok_ns;
	struct chunk *reo; /* a message reorder= holds back */
	unsigned reo_left;
	int64_t reo_due;
	bool closed;	/* no more intake (a limit was reached) */
	bool eof_below; /* down: below gave EOF */
	bool eof_given; /* down: we gave EOF above */
	bool shut;	/* up: slow close started */
	int64_t shut_due;
	bool told[SKIT_FAULT_MAX]; /* the "held" event was sent */
};

struct fl {
	struct skit_layer *l;
	struct skit_fault_cfg cfg;
	struct skit_fault f[SKIT_FAULT_MAX];
	bool on[SKIT_FAULT_MAX]; /* toxicity drew it for this connection */
	int n;
	uint64_t seed;
	unsigned gen;
	uint64_t rng;
	bool msg;   /* messages below */
	bool dgram; /* ... and a 0-byte message is a message, not EOF */
	struct way w[2];
	int64_t t0;
	bool cut;   /* both ways ended by a fault */
	bool reset; /* reset-after fired */
	unsigned char *tmp;
	struct skit_loop *loop; /* the timer's */
	int64_t timer, timer_due;
};

/* --- randomness ---------------------------------------------------------- */

static uint64_t
mix(uint64_t x)
{
	/* splitmix64's finaliser */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static double
unit(uint64_t x)
{
	return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

static double
draw(struct fl *fl)
{
	fl->rng = mix(fl->rng);
	return unit(fl->rng);
}

/* Toxicity: one draw per connection, fault and generation of the set. */
static void
decide(struct fl *fl)
{
	for (int i = 0; i < fl->n; i++) {
		uint64_t h = mix(fl->seed ^ mix(fl->cfg.conn_id) ^
				 mix((uint64_t)i + 1000 * (uint64_t)fl->gen));

		fl->on[i] =
			fl->f[i].toxicity >= 1 || unit(h) < fl->f[i].toxicity;
	}
}

static void
load(struct fl *fl, const struct skit_fault_set *s)
{
	fl->n = s->n < SKIT_FAULT_MAX ? s->n : SKIT_FAULT_MAX;
	memcpy(fl->f, s->f, sizeof(fl->f[0]) * (size_t)fl->n);
	fl->seed = s->seed;
	fl->gen = s->gen;
	decide(fl);
}

static void
reload(struct fl *fl)
{
	if (fl->cfg.live && fl->cfg.set->gen != fl->gen)
		load(fl, fl->cfg.set);
}

static bool
applies(const struct fl *fl, int i, int way)
{
	unsigned dir = fl->f[i].dir ? fl->f[i].dir : SKIT_FAULT_BOTH;

	return fl->on[i] && (dir & (1u << way));
}

static int
find(const struct fl *fl, enum skit_fault_kind k, int way)
{
	for (int i = 0; i < fl->n; i++)
		if (fl->f[i].kind == k && applies(fl, i, way))
			return i;
	return -1;
}

static void
tell(struct fl *fl, enum skit_fault_kind k, int way, const char *what,
     uint64_t bytes, int64_t ms)
{
	struct skit_fault_event ev = {
		.conn_id = fl->cfg.conn_id,
		.kind = k,
		.way = way == UP ? SKIT_FAULT_UP : SKIT_FAULT_DOWN,
		.what = what,
		.bytes = bytes,
		.ms = ms,
	};

	if (fl->cfg.on_event)
		fl->cfg.on_event(fl->cfg.data, &ev);
}

/* --- queues -------------------------------------------------------------- */

static struct chunk *
chunk_new(const void *buf, size_t len, int64_t due, enum mark mark)
{
	struct chunk *c = malloc(sizeof(*c) + len);

	if (!c)
		return NULL;
	c->next = NULL;
	c->due = due;
	c->len = len;
	c->off = 0;
	c->mark = mark;
	if (len)
		memcpy(c->data, buf, len);
	return c;
}

/* Streams: at the tail, never before the one ahead (order kept).
 * Messages: by due time, after those due at the same time. */
static void
enqueue(struct fl *fl, struct way *w, struct chunk *c)
{
	struct chunk **pp = &w->head;

	if (!fl->msg || c->mark != M_DATA) {
		if (c->due < w->last_due)
			c->due = w->last_due;
	}
	if (c->due > w->last_due)
		w->last_due = c->due;
	if (!fl->msg || c->mark != M_DATA) {
		pp = w->tail ? &w->tail->next : &w->head;
	} else {
		while (*pp && (*pp)->due <= c->due)
			pp = &(*pp)->next;
	}
	c->next = *pp;
	*pp = c;
	if (!c->next)
		w->tail = c;
	w->held += c->len;
}

static void
pop(struct way *w)
{
	struct chunk *c = w->head;

	w->head = c->next;
	if (!w->head)
		w->tail = NULL;
	w->held -= c->len;
	free(c);
}

static void
drain(struct way *w)
{
	while (w->head)
		pop(w);
	free(w->reo);
	w->reo = NULL;
}

static int64_t
now_ns(void)
{
	return skit_now_ns();
}

/* --- token bucket ------------------------------------------------------ */

static uint64_t
rate_of(const struct fl *fl, int way)
{
	uint64_t r = 0;

	for (int i = 0; i < fl->n; i++) {
		enum skit_fault_kind k = fl->f[i].kind;

		if ((k == SKIT_FAULT_BANDWIDTH || k == SKIT_FAULT_RATE) &&
		    applies(fl, i, way) && fl->f[i].bytes &&
		    (r == 0 || fl->f[i].bytes < r))
			r = fl->f[i].bytes;
	}
	return r;
}

static double
burst_of(uint64_t rate)
{
	double b = (double)rate * (double)BUCKET_NS / 1e9;

	return b < 1 ? 1 : b;
}

static void
refill(struct way *w, uint64_t rate, int64_t now)
{
	double b = burst_of(rate);

	if (w->tok_ns == 0) {
		w->tok_ns = now;
		w->tokens = b;
		return;
	}
	w->tokens += (double)(now - w->tok_ns) * (double)rate / 1e9;
	if (w->tokens > b)
		w->tokens = b;
	w->tok_ns = now;
}

/*
 * When the head of w may leave (ns; <= now: now; NEVER: empty), and
 * how many of its bytes may (*allow).
 */
static int64_t
ready_at(struct fl *fl, int way, int64_t now, size_t *allow)
{
	struct way *w = &fl->w[way];
	struct chunk *c = w->head;
	uint64_t rate;
	double need;

	if (!c)
		return NEVER;
	if (c->due > now)
		return c->due;
	*allow = c->len - c->off;
	rate = rate_of(fl, way);
	if (c->mark != M_DATA || rate == 0)
		return now;
	refill(w, rate, now);
	/* a stream waits for a millisecond's worth (or what is left):
	 * fewer, larger writes */
	need = fl->msg ? (double)c->len : (double)rate / 1000;
	if (!fl->msg && need > (double)*allow)
		need = (double)*allow;
	if (need < 1)
		need = 1;
	if (need > burst_of(rate))
		need = burst_of(rate);
	if (w->tokens >= need) {
		if (!fl->msg && (double)*allow > w->tokens)
			*allow = (size_t)w->tokens;
		return now;
	}
	return now + (int64_t)((need - w->tokens) * 1e9 / (double)rate) + 1;
}

static void
spend(struct fl *fl, int way, size_t n)
{
	if (rate_of(fl, way))
		fl->w[way].tokens -= (double)n;
}

/* --- ends ------------------------------------------------------------- */

static void
trip_reset(struct fl *fl, enum skit_fault_kind k)
{
	struct skit_conn *c = skit_layer_conn(fl->l);
	int fd = skit_conn_rfd(c);

	if (fl->reset)
		return;
	fl->reset = true;
	/* The close that follows the error sends RST instead of FIN. */
	if (fd >= 0 && skit_conn_type(c) == SOCK_STREAM)
		(void)skit_sock_reset_on_close(fd);
	drain(&fl->w[UP]);
	drain(&fl->w[DOWN]);
	tell(fl, k, UP, "reset", fl->w[UP].passed + fl->w[DOWN].passed, 0);
}

/* Both ways end: what is held downward is still given, then EOF. */
static void
trip_cut(struct fl *fl, enum skit_fault_kind k, const char *what)
{
	if (fl->cut)
		return;
	fl->cut = true;
	fl->w[UP].closed = fl->w[DOWN].closed = true;
	drain(&fl->w[UP]);
	(void)skit_layer_shutdown_below(fl->l);
	if (k != SKIT_FAULT_LIMIT_DATA) /* told when it was reached */
		tell(fl, k, UP, what, fl->w[UP].passed + fl->w[DOWN].passed, 0);
}

/* A way stops taking in (stall=) until this time (NEVER: for ever). */
static int64_t
stalled_until(const struct fl *fl, int way, int64_t now)
{
	int i = find(fl, SKIT_FAULT_STALL, way);
	int64_t end;

	if (i < 0)
		return 0;
	if (fl->f[i].ms == 0)
		return NEVER;
	end = fl->t0 + NS(fl->f[i].ms);
	return end > now ? end : 0;
}

/* Data that enters this way vanishes (half-open, timeout=). */
static int
black_hole(const struct fl *fl, int way)
{
	int i = find(fl, SKIT_FAULT_HALF_OPEN, way);

	return i >= 0 ? i : find(fl, SKIT_FAULT_TIMEOUT, way);
}

/*
 * Nothing on this way would change or hold a chunk (latency=0, or
 * faults of the other way only): with nothing queued, chunks go
 * straight through, without a copy.
 */
static bool
passthrough(const struct fl *fl, int way)
{
	const struct way *w = &fl->w[way];

	if (w->head || w->reo || w->closed)
		return false;
	for (int i = 0; i < fl->n; i++) {
		const struct skit_fault *f = &fl->f[i];

		if (!applies(fl, i, way))
			continue;
		if ((f->kind == SKIT_FAULT_LATENCY ||
		     f->kind == SKIT_FAULT_DELAY) &&
		    f->ms == 0 && f->jitter_ms == 0)
			continue;
		return false;
	}
	return true;
}

/* Time passed: ends due by the clock, held-back messages let go. */
static void
tick(struct fl *fl, int64_t now)
{
	for (int i = 0; i < fl->n && !fl->reset; i++) {
		const struct skit_fault *f = &fl->f[i];

		if (!fl->on[i])
			continue;
		if (f->kind == SKIT_FAULT_TIMEOUT && f->ms > 0 &&
		    now >= fl->t0 + NS(f->ms))
			trip_cut(fl, f->kind, "timeout");
		if (f->kind == SKIT_FAULT_RESET_AFTER && f->bytes == 0 &&
		    now >= fl->t0 + NS(f->ms))
			trip_reset(fl, f->kind);
	}
	for (int way = 0; way < 2; way++) {
		struct way *w = &fl->w[way];

		if (w->reo && now >= w->reo_due) {
			struct chunk *c = w->reo;

			w->reo = NULL;
			c->due = now;
			enqueue(fl, w, c);
		}
	}
}

/* --- taking a chunk in -------------------------------------------------- */

/* A chunk or message enters way: the faults in order. 0 or -ENOMEM. */
static int
admit(struct fl *fl, int way, const unsigned char *buf, size_t len, int64_t now)
{
	struct way *w = &fl->w[way];
	enum mark after = M_DATA;
	enum skit_fault_kind after_kind = SKIT_FAULT_NONE;
	int64_t delay = 0, gap = 0;
	size_t seg = 0;
	int copies = 1, flip = -1, dk = -1;
	bool hold = false;
	int i;

	if (w->closed)
		return 0;
	i = black_hole(fl, way);
	if (i >= 0) {
		if (!w->told[i])
			tell(fl, fl->f[i].kind, way, "dropped", len, 0);
		w->told[i] = true;
		return 0;
	}
	for (i = 0; i < fl->n; i++) {
		const struct skit_fault *f = &fl->f[i];
		uint64_t left;

		if (!applies(fl, i, way))
			continue;
		switch (f->kind) {
		case SKIT_FAULT_LIMIT_DATA:
		case SKIT_FAULT_RESET_AFTER:
			if (f->kind == SKIT_FAULT_RESET_AFTER && !f->bytes)
				break;
			left = f->bytes > w->passed ? f->bytes - w->passed : 0;
			if (len >= left) {
				len = (size_t)left;
				after = f->kind == SKIT_FAULT_LIMIT_DATA
						? M_CUT
						: M_RESET;
				after_kind = f->kind;
			}
			break;
		case SKIT_FAULT_DROP:
			if (draw(fl) < f->p) {
				struct skit_conn_stats *st =
					skit_layer_stats(fl->l);

				if (way == UP)
					st->dropped_out++;
				else
					st->dropped_in++;
				tell(fl, f->kind, way, "dropped", len, 0);
				return 0;
			}
			break;
		case SKIT_FAULT_DUP:
			if (draw(fl) < f->p) {
				copies++;
				tell(fl, f->kind, way, "duplicated", len, 0);
			}
			break;
		case SKIT_FAULT_CORRUPT:
			if (draw(fl) < f->p && len) {
				flip = (int)(draw(fl) * (double)len * 8);
				tell(fl, f->kind, way, "corrupted", len, 0);
			}
			break;
		case SKIT_FAULT_REORDER:
			if (!w->reo && draw(fl) < f->p) {
				hold = true;
				w->reo_left = f->gap ? f->gap : 1;
				tell(fl, f->kind, way, "reordered", len, 0);
			}
			break;
		case SKIT_FAULT_LATENCY:
		case SKIT_FAULT_DELAY: {
			int64_t d = NS(f->ms);

			if (f->jitter_ms)
				d += (int64_t)((draw(fl) * 2 - 1) *
					       (double)NS(f->jitter_ms));
			delay += d > 0 ? d : 0;
			if (dk < 0 && d > 0)
				dk = i;
			break;
		}
		case SKIT_FAULT_SLICER:
			seg = (size_t)f->bytes;
			gap = NS(f->ms);
			break;
		default:
			break;
		}
	}
	if (dk >= 0 && !w->told[dk]) {
		w->told[dk] = true;
		tell(fl, fl->f[dk].kind, way, "held", len, delay / 1000000);
	}
	for (int k = 0; k < copies && len; k++) {
		size_t off = 0, n;
		int64_t due = now + delay;

		do {
			struct chunk *c;

			n = seg && !fl->msg && len - off > seg ? seg
							       : len - off;
			c = chunk_new(buf + off, n, due, M_DATA);
			if (!c)
				return -ENOMEM;
			if (flip >= 0 && k == 0)
				c->data[flip / 8] ^=
					(unsigned char)(1u << (flip % 8));
			if (hold && k == 0) {
				c->due = now;
				w->reo = c;
				w->reo_due = now + delay + REORDER_WAIT_NS;
			} else {
				enqueue(fl, w, c);
				if (w->reo && w->reo_left && --w->reo_left == 0)
					w->reo_due = now;
			}
			off += n;
			due += gap;
		} while (off < len);
	}
	if (fl->msg && !len && copies && !hold && after == M_DATA) {
		/* an empty datagram is a message too */
		struct chunk *c = chunk_new(NULL, 0, now + delay, M_DATA);

		if (!c)
			return -ENOMEM;
		enqueue(fl, w, c);
	}
	w->passed += len;
	if (after != M_DATA) {
		struct chunk *c = chunk_new(NULL, 0, now + delay, after);

		if (!c)
			return -ENOMEM;
		enqueue(fl, w, c);
		w->closed = true;
		tell(fl, after_kind, way, "limit", w->passed, 0);
	}
	tick(fl, now); /* a reordered message whose gap just passed */
	return 0;
}

/* --- the timer ------------------------------------------------------------ */

static void
on_timer(struct skit_loop *loop, void *data)
{
	struct fl *fl = data;

	(void)loop;
	fl->timer = 0;
	tick(fl, now_ns());
	skit_layer_kick(fl->l);
}

/*
 * Arm the timer for the next time anything changes. What is ready now
 * is said by events() (held bytes to send: WRITE) and pending() (held
 * bytes to read), except to a reader that asked pending() a moment
 * ago and now waits for READ (reading): the bytes it waits for may
 * have become ready in between (the bucket refilled, the delay
 * passed) and the fd will not say so, since they were read already.
 * Such a reader is woken at once.
 */
static void
plan(struct fl *fl, int64_t now, bool reading)
{
	struct skit_loop *loop = skit_layer_loop(fl->l);
	int64_t next = NEVER, t;
	size_t allow;

	for (int way = 0; way < 2; way++) {
		struct way *w = &fl->w[way];

		t = ready_at(fl, way, now, &allow);
		if (way == DOWN && reading && t <= now)
			next = now;
		if (t > now && t < next)
			next = t;
		if (w->reo && w->reo_due < next)
			next = w->reo_due;
		t = stalled_until(fl, way, now);
		if (t > now && t < next)
			next = t;
		if (w->shut && w->shut_due > now && w->shut_due < next)
			next = w->shut_due;
	}
	for (int i = 0; i < fl->n && !fl->reset; i++) {
		const struct skit_fault *f = &fl->f[i];

		if (!fl->on[i])
			continue;
		t = fl->t0 + NS(f->ms);
		if (((f->kind == SKIT_FAULT_TIMEOUT && f->ms > 0 && !fl->cut) ||
		     (f->kind == SKIT_FAULT_RESET_AFTER && !f->bytes)) &&
		    t > now && t < next)
			next = t;
	}
	/* a timer due before next stays: waking early only asks again */
	if (fl->timer && (fl->loop != loop || next < fl->timer_due)) {
		skit_loop_timer_cancel(fl->loop, fl->timer);
		fl->timer = 0;
	}
	if (!loop || next == NEVER || fl->timer)
		return;
	t = skit_loop_timer_at(loop, next, on_timer, fl);
	if (t > 0) {
		fl->timer = t;
		fl->timer_due = next;
		fl->loop = loop;
	}
}

/* --- the layer ---------------------------------------------------------- */

static int
fault_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	const struct skit_fault_cfg *c = cfg;
	struct fl *fl = skit_layer_priv(l);
	int type = skit_conn_type(skit_layer_conn(l));

	if (!c || !c->set)
		return skit_err_set(err, -EINVAL, "push layer", "fault");
	fl->l = l;
	fl->cfg = *c;
	fl->msg = skit_layer_below_is_message(l);
	fl->dgram = type == SOCK_DGRAM;
	fl->rng = mix(c->set->seed ^ mix(c->conn_id ^ 0x5eedull));
	fl->t0 = now_ns();
	load(fl, c->set);
	for (int i = 0; i < fl->n; i++) {
		enum skit_fault_kind k = fl->f[i].kind;

		if (fl->msg ? !skit_fault_for_msgs(k)
			    : !skit_fault_for_streams(k))
			return skit_err_setf(
				err, -EINVAL, "push layer", "fault", 0,
				"fault '%s' applies to %s only",
				skit_fault_name(k),
				fl->msg ? "byte streams" : "messages");
	}
	return 0;
}

static ssize_t
fault_flush_up(struct fl *fl, int64_t now)
{
	struct way *w = &fl->w[UP];
	size_t allow = 0;
	ssize_t n;

	while (w->head && !fl->reset) {
		struct chunk *c = w->head;

		if (ready_at(fl, UP, now, &allow) > now)
			return -EAGAIN;
		if (c->mark == M_RESET) {
			trip_reset(fl, SKIT_FAULT_RESET_AFTER);
			return -ECONNRESET;
		}
		if (c->mark == M_CUT) {
			pop(w);
			trip_cut(fl, SKIT_FAULT_LIMIT_DATA, "limit");
			return 0;
		}
		if (c->mark != M_DATA) {
			pop(w);
			continue;
		}
		n = skit_layer_send_below(fl->l, c->data + c->off,
					  fl->msg ? c->len : allow);
		if (n < 0 && n != -EAGAIN && fl->msg) {
			pop(w); /* that message is lost; the error is told */
			return n;
		}
		if (n < 0)
			return n;
		spend(fl, UP, fl->msg ? c->len : (size_t)n);
		c->off += fl->msg ? c->len : (size_t)n;
		if (c->off >= c->len)
			pop(w);
	}
	return fl->reset ? -ECONNRESET : 0;
}

static ssize_t
fault_send(struct skit_layer *l, const void *buf, size_t len)
{
	struct fl *fl = skit_layer_priv(l);
	struct way *w = &fl->w[UP];
	int64_t now = now_ns();
	ssize_t r;

	reload(fl);
	tick(fl, now);
	if (fl->reset)
		return -ECONNRESET;
	if (fl->cut || w->closed)
		return (ssize_t)len; /* the peer is gone for us: discarded */
	if (stalled_until(fl, UP, now))
		return -EAGAIN;
	if (passthrough(fl, UP)) {
		r = skit_layer_send_below(l, buf, len);
		if (r > 0)
			w->passed += (uint64_t)r;
		return r;
	}
	if (w->held >= SKIT_FAULT_HOLD_MAX) {
		r = fault_flush_up(fl, now);
		if (r < 0 && r != -EAGAIN)
			return r;
		if (w->held >= SKIT_FAULT_HOLD_MAX)
			return -EAGAIN;
	}
	if (!fl->msg && len > SKIT_FAULT_HOLD_MAX - w->held)
		len = SKIT_FAULT_HOLD_MAX - w->held;
	if (admit(fl, UP, buf, len, now) < 0)
		return -ENOMEM;
	r = fault_flush_up(fl, now);
	if (r < 0 && r != -EAGAIN && !fl->msg)
		return r;
	return (ssize_t)len;
}

/* Read one chunk from below into the down queue. 0, or an error. */
static ssize_t
fill(struct fl *fl, int64_t now)
{
	struct way *w = &fl->w[DOWN];
	ssize_t n;
	int i;

	if (fl->cut || w->closed || w->eof_below ||
	    stalled_until(fl, DOWN, now) || w->held >= SKIT_FAULT_HOLD_MAX)
		return 0;
	if (!fl->tmp) {
		fl->tmp = malloc(READ_MAX);
		if (!fl->tmp)
			return -ENOMEM;
	}
	n = skit_layer_recv_below(fl->l, fl->tmp, READ_MAX);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return n;
	if (n > 0 || (fl->dgram && fl->msg))
		return admit(fl, DOWN, fl->tmp,
			     n > READ_MAX ? READ_MAX : (size_t)n, now);
	w->eof_below = true;
	if (black_hole(fl, DOWN) >= 0)
		return 0; /* no end is ever seen */
	i = find(fl, SKIT_FAULT_SLOW_CLOSE, DOWN);
	{
		int64_t d = i >= 0 ? NS(fl->f[i].ms) : 0;
		struct chunk *c = chunk_new(NULL, 0, now + d, M_EOF);

		if (!c)
			return -ENOMEM;
		enqueue(fl, w, c);
		if (i >= 0)
			tell(fl, SKIT_FAULT_SLOW_CLOSE, DOWN, "slow-close", 0,
			     fl->f[i].ms);
	}
	return 0;
}

static ssize_t
fault_recv(struct skit_layer *l, void *buf, size_t len)
{
	struct fl *fl = skit_layer_priv(l);
	struct way *w = &fl->w[DOWN];
	int64_t now = now_ns();
	size_t allow = 0, k;
	struct chunk *c;
	ssize_t r;

	reload(fl);
	tick(fl, now);
	if (fl->reset)
		return -ECONNRESET;
	if (w->eof_given)
		return 0;
	if (!fl->cut && passthrough(fl, DOWN)) {
		r = skit_layer_recv_below(l, buf, len);
		if (r > 0)
			w->passed += (uint64_t)(fl->msg && (size_t)r > len
							? len
							: (size_t)r);
		if (r == 0 && !(fl->msg && fl->dgram))
			w->eof_given = w->eof_below = true;
		return r;
	}
	r = fill(fl, now);
	if (r < 0 && !w->head)
		return r;
	c = w->head;
	if (!c)
		return fl->cut ? 0 : -EAGAIN;
	if (ready_at(fl, DOWN, now, &allow) > now)
		return -EAGAIN;
	switch (c->mark) {
	case M_RESET:
		trip_reset(fl, SKIT_FAULT_RESET_AFTER);
		return -ECONNRESET;
	case M_CUT:
		pop(w);
		trip_cut(fl, SKIT_FAULT_LIMIT_DATA, "limit");
		w->eof_given = true;
		return 0;
	case M_EOF:
		pop(w);
		w->eof_given = true;
		return 0;
	default:
		break;
	}
	if (fl->msg) {
		r = (ssize_t)c->len;
		memcpy(buf, c->data, c->len < len ? c->len : len);
		spend(fl, DOWN, c->len);
		pop(w);
		return r;
	}
	k = allow < len ? allow : len;
	memcpy(buf, c->data + c->off, k);
	c->off += k;
	spend(fl, DOWN, k);
	if (c->off >= c->len)
		pop(w);
	return (ssize_t)k;
}

static int
fault_flush(struct skit_layer *l)
{
	struct fl *fl = skit_layer_priv(l);
	int64_t now = now_ns();
	ssize_t r;

	reload(fl);
	tick(fl, now);
	r = fault_flush_up(fl, now);
	if (r == 0 && fl->w[UP].head)
		r = -EAGAIN;
	plan(fl, now, false);
	if (r < 0)
		return (int)r;
	return skit_layer_flush_below(l);
}

static int
fault_shutdown(struct skit_layer *l)
{
	struct fl *fl = skit_layer_priv(l);
	struct way *w = &fl->w[UP];
	int64_t now = now_ns();
	ssize_t r;
	int i;

	reload(fl);
	tick(fl, now);
	if (fl->reset)
		return -ECONNRESET;
	if (fl->cut)
		return 0; /* shut already */
	if (find(fl, SKIT_FAULT_HALF_OPEN, UP) >= 0)
		return 0; /* silently: no end goes out */
	i = find(fl, SKIT_FAULT_SLOW_CLOSE, UP);
	if (i >= 0 && !w->shut) {
		w->shut = true;
		w->shut_due = now + NS(fl->f[i].ms);
		tell(fl, SKIT_FAULT_SLOW_CLOSE, UP, "slow-close", 0,
		     fl->f[i].ms);
	}
	if (w->shut && now < w->shut_due) {
		plan(fl, now, false);
		return -EAGAIN;
	}
	r = fault_flush_up(fl, now);
	if (r < 0 || w->head) {
		plan(fl, now, false);
		return r < 0 && r != -EAGAIN ? (int)r : -EAGAIN;
	}
	return skit_layer_shutdown_below(l);
}

static bool
fault_pending(const struct skit_layer *l)
{
	struct fl *fl = skit_layer_priv(l);
	int64_t now = now_ns();
	size_t allow;

	if (fl->reset || fl->w[DOWN].eof_given)
		return true;
	if (fl->cut && !fl->w[DOWN].head)
		return true;
	if (fl->w[DOWN].head && ready_at(fl, DOWN, now, &allow) <= now)
		return true;
	return !stalled_until(fl, DOWN, now) && skit_layer_pending_below(l);
}

static unsigned
fault_events(const struct skit_layer *l, unsigned want)
{
	struct fl *fl = skit_layer_priv(l);
	int64_t now = now_ns();
	unsigned ev = 0;
	size_t allow;

	reload(fl);
	tick(fl, now);
	if (fl->reset || fl->cut) {
		/* what is still held downward */
		plan(fl, now, want & SKIT_EV_READ);
		return skit_layer_events_below(l, 0);
	}
	if ((want & SKIT_EV_READ) && !fl->w[DOWN].eof_below &&
	    !stalled_until(fl, DOWN, now) &&
	    fl->w[DOWN].held < SKIT_FAULT_HOLD_MAX)
		ev |= SKIT_EV_READ;
	/* While bytes are held up the socket's room is not what the
	 * writer waits for: the head's time is (WRITE when it is due,
	 * below, and the timer's kick before), else a writer waiting to
	 * shut down would spin on a writable socket. */
	if ((want & SKIT_EV_WRITE) && !stalled_until(fl, UP, now) &&
	    fl->w[UP].held < SKIT_FAULT_HOLD_MAX && !fl->w[UP].head &&
	    !(fl->w[UP].shut && now < fl->w[UP].shut_due))
		ev |= SKIT_EV_WRITE;
	if (fl->w[UP].head && ready_at(fl, UP, now, &allow) <= now)
		ev |= SKIT_EV_WRITE;
	plan(fl, now, want & SKIT_EV_READ);
	return skit_layer_events_below(l, ev);
}

static void
fault_close(struct skit_layer *l)
{
	struct fl *fl = skit_layer_priv(l);

	if (fl->timer)
		skit_loop_timer_cancel(fl->loop, fl->timer);
	fl->timer = 0;
	drain(&fl->w[UP]);
	drain(&fl->w[DOWN]);
	free(fl->tmp);
	fl->tmp = NULL;
}

const struct skit_layer_ops skit_layer_fault = {
	.name = "fault",
	.size = sizeof(struct fl),
	.open = fault_open,
	.send = fault_send,
	.recv = fault_recv,
	.flush = fault_flush,
	.shutdown = fault_shutdown,
	.pending = fault_pending,
	.events = fault_events,
	.close = fault_close,
};

int
skit_fault_describe(const struct skit_conn *c, char *buf, size_t len)
{
	const struct fl *fl = skit_conn_layer_priv(c, &skit_layer_fault);
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	for (int i = 0; fl && i < fl->n; i++) {
		if (!fl->on[i])
			continue;
		if (at && at + 1 < len)
			buf[at] = ' ';
		if (at)
			at++;
		at += (size_t)skit_fault_format(&fl->f[i],
						at < len ? buf + at : NULL,
						at < len ? len - at : 0);
	}
	if (len && at < len)
		buf[at] = '\0';
	return (int)at;
}
