/*
 * relay_watch.c - readiness in the pair engine (relay_int.h): what each
 * direction waits for, the loop's callbacks, and the pump that moves
 * what can move when they fire. Also the ends' layers (conn.h): their
 * handshakes, their own writes, and their counters.
 *
 * A direction waits for exactly one thing at a time. When it holds
 * data it could not write yet, it waits for its destination to be
 * writable, and does not read more (the kernel's socket buffers then
 * push back on the sender: TCP flow control does the rest). When it
 * holds nothing, it waits for its source to be readable. This keeps a
 * level-triggered loop from spinning on a readable source whose data
 * has nowhere to go.
 *
 * An end with a conn asks the conn which fd events that takes
 * (skit_conn_events): a layer may want to write on its own (bytes it
 * holds) or read to write (TLS). Any event on such an end's fds runs
 * its layers' pending work (skit_conn_flush) and pumps both directions
 * through it; a conn holding decoded input (skit_conn_pending) is read
 * again at once instead of waiting for the fd.
 *
 * Regular files cannot be watched by epoll (EPERM): such fds are marked
 * "always ready" and a zero-delay timer (the kick) pumps the directions
 * that wait on them.
 */
#include "engine/relay_int.h"

#include <errno.h>

/* --- watches ----------------------------------------------------------- */

void
skit__relay_unwatch(struct skit_relay *r, struct watch *w)
{
	if (w->reg)
		(void)skit_loop_del(r->loop, w->fd);
	w->reg = false;
	w->cur = 0;
}

struct watch *
skit__relay_watch_for(struct skit_relay *r, int fd)
{
	for (int i = 0; i < r->nw; i++)
		if (r->w[i].fd == fd)
			return &r->w[i];
	r->w[r->nw] = (struct watch){ .r = r, .fd = fd, .pollable = true };
	return &r->w[r->nw++];
}

/* --- the ends' layers ---------------------------------------------------- */

/*
 * Add what e's conn counted since the last look to the pair's stats:
 * what went out on it to the direction into e; for the framing layer
 * the pair put there, the messages read to the direction out of it.
 */
void
skit__relay_conn_sync(struct skit_relay *r, struct end *e)
{
	const struct skit_conn_stats *cs = skit_conn_stats(e->conn);
	int out = side_of(r, e), in = !out;

	/* A message taken (or refused for good): the wait starts again. */
	if (e->framed && (cs->msgs_out != e->seen.msgs_out ||
			  cs->dropped_out != e->seen.dropped_out))
		r->dir[in].stall_ns = 0;
	r->st.bytes[in] += cs->bytes_out - e->seen.bytes_out;
	r->st.msgs[in] += cs->msgs_out - e->seen.msgs_out;
	r->st.dropped[in] += cs->dropped_out - e->seen.dropped_out;
	r->st.dropped[out] += cs->dropped_in - e->seen.dropped_in;
	if (e->framed)
		r->st.msgs[out] += (cs->msgs_in - e->seen.msgs_in) -
				   (cs->dropped_in - e->seen.dropped_in);
	e->seen = *cs;
}

/*
 * d writes to a framed end (bytes cut into messages), and an operation
 * on it returned rc: a receiver that does not take the messages is
 * waited for as long as for any message (send_timeout_ms), whether the
 * layer refused the bytes (-EAGAIN) or took them and holds a message
 * it could not send (it asks for WRITE). Returns 0, or -1 when the
 * pair failed.
 */
int
skit__relay_framed_wait(struct skit_relay *r, struct dir *d, int rc)
{
	if (!d->dst->framed || r->ended)
		return 0;
	if (rc == -EAGAIN || rc == -EWOULDBLOCK ||
	    (rc >= 0 && (skit_conn_events(d->dst->conn, 0) & SKIT_EV_WRITE)))
		return skit__relay_stalled(r, d);
	return 0;
}

/*
 * An operation op on e's conn failed for direction d. A framing error
 * is about the stream's bytes: the stream side (d's source) is named
 * with op "frame".
 */
void
skit__relay_conn_fail(struct skit_relay *r, struct dir *d, struct end *e,
		      const char *op, int code)
{
	if (code == SKIT_ETRUNC || code == SKIT_ELIMIT)
		skit__relay_fail(r, side_of(r, d->src), "frame", code);
	else
		skit__relay_fail(r, side_of(r, e), op, code);
}

/* A layer of an end woke us: pump on the next round. */
void
skit__relay_conn_kick(struct skit_conn *c, void *data)
{
	struct skit_relay *r = data;
	int64_t id;

	(void)c;
	if (r->ended || r->kick_id)
		return;
	id = skit_loop_timer(r->loop, 0, skit__relay_on_kick, r);
	if (id < 0) {
		skit__relay_fail(r, -1, "timer", (int)id);
		skit__relay_notify(r);
		return;
	}
	r->kick_id = id;
}

/* Run e's handshake, then let its layers write what they hold. */
static void
conn_service(struct skit_relay *r, struct end *e)
{
	struct dir *into = &r->dir[!side_of(r, e)];
	int rc;

	if (e->hs) {
		rc = skit_conn_handshake(e->conn);
		skit__relay_conn_sync(r, e);
		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			skit__relay_fail(r, side_of(r, e), "handshake", rc);
			return;
		}
		e->hs = false;
	}
	rc = skit_conn_flush(e->conn);
	skit__relay_conn_sync(r, e);
	if (skit__relay_framed_wait(r, into, rc) < 0)
		return;
	if (rc < 0 && rc != -EAGAIN)
		skit__relay_conn_fail(r, into, e, "write", rc);
}

/* --- moving ------------------------------------------------------------ */

/* Move what can move now in direction d, within the budget. */
void
skit__relay_pump(struct skit_relay *r, struct dir *d)
{
	size_t moved = 0;
	long k;

	/* No data moves through an end whose handshake still runs. */
	if (r->any_conn && (d->src->hs || d->dst->hs))
		return;
	while (!r->ended && d->st != D_DONE && moved < PUMP_BUDGET) {
		k = d->direct	? skit__relay_step_direct(r, d)
		    : d->splice ? skit__relay_step_splice(r, d)
				: skit__relay_step_copy(r, d);
		if (k <= 0)
			break;
		moved += (size_t)k;
	}
}

void
skit__relay_on_kick(struct skit_loop *loop, void *data)
{
	struct skit_relay *r = data;

	(void)loop;
	r->kick_id = 0;
	for (int i = 0; i < 2 && r->any_conn && !r->ended; i++)
		if (r->end[i].conn)
			conn_service(r, &r->end[i]);
	skit__relay_pump(r, &r->dir[0]);
	skit__relay_pump(r, &r->dir[1]);
	if (!r->ended)
		skit__relay_update(r);
	skit__relay_notify(r);
}

static void
on_fd(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct watch *w = data;
	struct skit_relay *r = w->r;

	if (w->cur == 0) {
		/*
		 * Only ERROR/HUP, which the loop reports even when not asked:
		 * stop watching until we want something from this fd again,
		 * or a level-triggered loop would spin on it.
		 */
		(void)skit_loop_del(loop, fd);
		w->reg = false;
		return;
	}
	for (int i = 0; i < 2 && r->any_conn && !r->ended; i++) {
		struct end *e = &r->end[i];

		if (e->conn && (e->rw == w || e->ww == w))
			conn_service(r, e);
	}
	for (int i = 0; i < 2 && !r->ended; i++) {
		struct dir *d = &r->dir[i];
		bool rd = d->src->rw == w &&
			  (ev & (SKIT_EV_READ | SKIT_EV_ERROR | SKIT_EV_HUP));
		bool wr = d->dst->ww == w &&
			  (ev & (SKIT_EV_WRITE | SKIT_EV_ERROR | SKIT_EV_HUP));

		/* A conn may have asked for either event for either way. */
		if (r->any_conn)
			rd = rd || (d->src->conn && d->src->rw == w) ||
			     (d->dst->conn && d->dst->ww == w);
		if (rd || wr)
			skit__relay_pump(r, d);
	}
	if (!r->ended)
		skit__relay_update(r);
	skit__relay_notify(r);
}

/* --- waiting ----------------------------------------------------------- */

/*
 * e has a conn: turn what the directions want of its fds into what its
 * layers need (while its handshake runs: what the handshake needs).
 * Sets *kick when nothing can be waited for, *retry when a write must
 * be tried again on an fd we may not watch (a `to` end).
 */
static void
conn_want(struct end *e, bool *kick, bool *retry)
{
	unsigned want = 0, ev;

	if (!e->hs) {
		if (e->rw && (e->rw->want & SKIT_EV_READ))
			want |= SKIT_EV_READ;
		if (e->ww && (e->ww->want & SKIT_EV_WRITE))
			want |= SKIT_EV_WRITE;
	}
	ev = skit_conn_events(e->conn, want);
	if (e->rw && e->rw == e->ww) {
		e->rw->want = ev & (SKIT_EV_READ | SKIT_EV_WRITE);
	} else {
		if (e->rw)
			e->rw->want = ev & SKIT_EV_READ;
		if (e->ww)
			e->ww->want = ev & SKIT_EV_WRITE;
		if ((ev & SKIT_EV_WRITE) && !e->ww && e->e.tolen)
			*retry = true;
	}
	if (((ev & SKIT_EV_READ) && e->rw && !e->rpoll) ||
	    ((ev & SKIT_EV_WRITE) && e->ww && !e->wpoll))
		*kick = true;
	if (e->hs && !ev)
		*kick = true; /* a handshake that waits for nothing goes on */
}

/*
 * Ask the loop for what each direction waits on now: WRITE on the
 * destination while data is pending, else READ on the source.
 */
void
skit__relay_update(struct skit_relay *r)
{
	bool kick = false, retry = false;
	int e;

	for (int i = 0; i < r->nw; i++)
		r->w[i].want = 0;
	for (int i = 0; i < 2; i++) {
		struct dir *d = &r->dir[i];
		bool pending;

		if (d->st == D_DONE)
			continue;
		if (r->any_conn && (d->src->hs || d->dst->hs))
			continue; /* the handshake says (conn_want) */
		if (d->direct) {
			if (d->st != D_RUN)
				kick = true;
			else if (d->dblk && d->dst->ww && d->dst->wpoll)
				d->dst->ww->want |= SKIT_EV_WRITE;
			else if (d->dblk)
				kick = true;
			else if (d->src->rpoll)
				d->src->rw->want |= SKIT_EV_READ;
			else
				kick = true;
			continue;
		}
		pending = d->splice ? d->inpipe > 0 : d->off < d->len;
		if (d->splice && pending && d->st == D_RUN && !d->pfull &&
		    d->inpipe < d->pipecap && d->src->rw && d->src->rpoll)
			d->src->rw->want |= SKIT_EV_READ;
		if (pending) {
			if (d->dst->ww && d->dst->wpoll)
				d->dst->ww->want |= SKIT_EV_WRITE;
			else if (d->dst->e.tolen == 0)
				kick = true;
			else
				retry = true;
		} else if (d->shut_wait) {
			/* The destination's layers ask for what they need. */
		} else if (d->st == D_DRAIN) {
			kick = true; /* finish it on the next round */
		} else if (d->src->conn && skit_conn_pending(d->src->conn)) {
			kick = true; /* decoded input waits: read it now */
		} else if (d->src->rw) {
			if (d->src->rpoll)
				d->src->rw->want |= SKIT_EV_READ;
			else
				kick = true;
		}
	}
	for (int i = 0; i < 2 && r->any_conn; i++)
		if (r->end[i].conn)
			conn_want(&r->end[i], &kick, &retry);
	for (int i = 0; i < r->nw; i++) {
		struct watch *w = &r->w[i];

		if (w->fd < 0 || !w->pollable || w->want == w->cur)
			continue;
		if (!w->reg && w->want) {
			e = skit_loop_add(r->loop, w->fd, w->want, on_fd, w);
			if (e == 0)
				w->reg = true;
		} else if (w->reg) {
			e = skit_loop_mod(r->loop, w->fd, w->want);
		} else {
			e = 0;
		}
		if (e < 0) {
			skit__relay_fail(r, -1, "watch", e);
			return;
		}
		w->cur = w->want;
	}
	/*
	 * A shared socket we may not watch (a `to` end) was full: try again
	 * in a millisecond instead of spinning on it.
	 */
	if ((kick || retry) && !r->kick_id) {
		int64_t id = skit_loop_timer(r->loop, kick ? 0 : 1,
					     skit__relay_on_kick, r);

		if (id < 0) {
			skit__relay_fail(r, -1, "timer", (int)id);
			return;
		}
		r->kick_id = id;
	}
}

/* Register fd with the loop without events (used to probe it). */
int
skit__relay_probe_watch(struct skit_relay *r, struct watch *w)
{
	return skit_loop_add(r->loop, w->fd, 0, on_fd, w);
}
