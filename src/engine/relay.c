/*
 * relay.c - the pair engine (see include/skit/relay.h for the model):
 * creating and ending pairs, the half-close state machine, the time
 * limits and the push API. How bytes move is in relay_copy.c and
 * relay_splice.c, readiness in relay_watch.c, the blocking wrapper is
 * relay_run.c; the shared state in relay_int.h.
 *
 * Each pair has two directions. A direction moves bytes from its source
 * end to its destination end in one of two ways: splice (through a
 * private pipe, zero-copy) or copy (through a buffer, where message
 * boundaries are kept). The state of a direction only moves forward:
 * RUN -> DRAIN -> DONE; the comments at each transition say why.
 *
 * An end may carry layers (struct skit_conn, conn.h): its bytes then
 * pass through them, always by copy. Between a message end and a stream
 * end the pair pushes the framing layer (frame.h) on the message end
 * itself, so the pair has no framing code: it moves bytes, or messages
 * one per message when both ends are message sockets.
 */
#include "skit/relay.h"
#include "skit/io.h"
#include "skit/linger.h"

#include "core/io_int.h" /* skit__set_nonblock */
#include "engine/relay_int.h"
#include "engine/relay_priv.h"
#include "layer/conn_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *
skit_relay_reason_name(enum skit_relay_reason r)
{
	static const char *const names[] = {
		[SKIT_RELAY_RUNNING] = "running",
		[SKIT_RELAY_EOF] = "eof",
		[SKIT_RELAY_RESET] = "reset",
		[SKIT_RELAY_ERROR] = "error",
		[SKIT_RELAY_IDLE] = "idle",
		[SKIT_RELAY_CLOSED] = "closed",
	};

	if ((unsigned)r < sizeof(names) / sizeof(names[0]))
		return names[r];
	return "?";
}

int
skit_relay_end_from_fd(int fd, bool own, struct skit_relay_end *end)
{
	int type = skit__sock_type(fd);

	if (type < 0)
		return type;
	memset(end, 0, sizeof(*end));
	end->rfd = fd;
	end->wfd = fd;
	end->type = type;
	end->own = own;
	return 0;
}

/* --- ending a pair ------------------------------------------------- */

static void
cancel(struct skit_relay *r, int64_t *id)
{
	if (*id > 0)
		skit_loop_timer_cancel(r->loop, *id);
	*id = 0;
}

/*
 * Does end i's socket close lingering (cfg.close_linger_ms)? When the
 * pair ended by itself, and not by an error of that socket.
 */
static bool
lingers(const struct skit_relay *r, int i)
{
	const struct end *e = &r->end[i];

	return r->cfg.close_linger_ms > 0 && r->ended &&
	       r->st.reason != SKIT_RELAY_CLOSED && r->st.error_side != i &&
	       (e->e.type == SOCK_STREAM || e->e.type == SOCK_SEQPACKET) &&
	       e->e.rfd >= 0 && e->e.rfd == e->e.wfd;
}

/* Release everything the pair holds: watchers, timers, fds, buffers. */
static void
teardown(struct skit_relay *r)
{
	for (int i = 0; i < r->nw; i++)
		skit__relay_unwatch(r, &r->w[i]);
	cancel(r, &r->kick_id);
	cancel(r, &r->idle_id);
	cancel(r, &r->linger_id);
	cancel(r, &r->stall_id);
	cancel(r, &r->quit_id);
	for (int i = 0; i < 2; i++) {
		struct end *e = &r->end[i];
		struct dir *d = &r->dir[i];

		/*
		 * The conn's layers go first, and its fds with it if it owns
		 * them (one the pair made owns none). One the caller keeps
		 * no longer wakes this pair.
		 */
		if (e->conn && e->conn_own)
			skit_conn_free(e->conn);
		else if (e->conn)
			skit_conn_set_loop(e->conn, NULL, NULL, NULL);
		if (e->keep && e->conn_own)
			skit_conn_free(e->keep);
		e->conn = e->keep = NULL;
		if (e->e.own && e->e.tolen == 0 && lingers(r, i)) {
			(void)skit_linger_close(r->loop, e->e.rfd,
						r->cfg.close_linger_ms);
		} else if (e->e.own && e->e.tolen == 0) {
			if (e->e.rfd >= 0)
				skit_close(e->e.rfd);
			if (e->e.wfd >= 0 && e->e.wfd != e->e.rfd)
				skit_close(e->e.wfd);
		}
		e->e.rfd = e->e.wfd = -1;
		if (d->pipe[0] >= 0) {
			skit_close(d->pipe[0]);
			skit_close(d->pipe[1]);
			d->pipe[0] = d->pipe[1] = -1;
		}
		free(d->buf);
		d->buf = NULL;
	}
}

/*
 * The pair ends (any state -> ended). Everything is released now so the
 * peers see their connections close at once; on_close is owed and paid
 * by the entry point that is running (notify()), as its last act.
 */
void
skit__relay_finish(struct skit_relay *r, enum skit_relay_reason why)
{
	if (r->ended)
		return;
	r->ended = true;
	r->notify = true;
	r->st.reason = why;
	r->st.end_ns = skit_now_ns();
	teardown(r);
}

void
skit__relay_fail(struct skit_relay *r, int side, const char *op, int code)
{
	if (r->ended)
		return;
	if (code == -EPIPE && r->cfg.close_linger_ms > 0 && side >= 0 &&
	    !strcmp(op, "write")) {
		/*
		 * The reader of this end is gone (an exec child done with
		 * its input): the direction into it is over, what it holds
		 * is dropped, and the other direction goes on (the child's
		 * answer is still queued there).
		 */
		struct dir *d = &r->dir[!side];

		d->off = d->len = d->inpipe = 0;
		(void)skit__relay_dir_done(r, d);
		return;
	}
	r->st.error = code;
	r->st.error_side = side;
	r->st.error_op = op;
	skit__relay_finish(r, code == -ECONNRESET || code == -EPIPE ||
					      code == -ECONNABORTED
				      ? SKIT_RELAY_RESET
				      : SKIT_RELAY_ERROR);
}

/* Pay the on_close owed; must be the last thing an entry point does. */
void
skit__relay_notify(struct skit_relay *r)
{
	if (!r->notify)
		return;
	r->notify = false;
	if (r->cfg.on_close)
		r->cfg.on_close(r, r->cfg.data);
}

/* --- half-close ---------------------------------------------------- */

static bool
can_eof(const struct dir *d)
{
	/* A datagram source (or a pushed one) never says EOF by itself. */
	return !(d->src->e.pushed ||
		 (d->src->e.type == SOCK_DGRAM && d->src->e.rfd >= 0));
}

static void
on_linger(struct skit_loop *loop, void *data)
{
	struct skit_relay *r = data;

	(void)loop;
	r->linger_id = 0;
	/* DONE on one side, the other can never see EOF: end it now. */
	skit__relay_finish(r, SKIT_RELAY_EOF);
	skit__relay_notify(r);
}

static void
on_quit(struct skit_loop *loop, void *data)
{
	struct skit_relay *r = data;

	(void)loop;
	r->quit_id = 0;
	/* quit_ms after A's EOF reached B: the pair's policy ends it. */
	skit__relay_finish(r, SKIT_RELAY_EOF);
	skit__relay_notify(r);
}

/* Start a timer for the pair into *id (0 = none yet). */
static void
start_timer(struct skit_relay *r, int64_t *id, int64_t ms, skit_timer_cb cb)
{
	int64_t t;

	if (*id)
		return;
	t = skit_loop_timer(r->loop, ms, cb, r);
	if (t < 0)
		skit__relay_fail(r, -1, "timer", (int)t);
	else
		*id = t;
}

/*
 * The destination of d is told no more data comes. Returns 0, or
 * -EAGAIN while its layers still write (call again when writable).
 */
static int
shut_dst(struct skit_relay *r, struct dir *d)
{
	struct end *dst = d->dst;
	int rc;

	if (dst->conn) {
		rc = skit_conn_shutdown(dst->conn);
		skit__relay_conn_sync(r, dst);
		d->shut_wait = rc == -EAGAIN;
		if (skit__relay_framed_wait(r, d, rc) < 0)
			return 0;
		if (rc == -EAGAIN)
			return rc;
		if (rc < 0) {
			skit__relay_conn_fail(r, d, dst, "write", rc);
			return 0;
		}
		/* A pipe's reader learns the end when it is closed. */
		if (dst->e.type == 0 && dst->e.wfd >= 0 &&
		    dst->e.wfd != dst->e.rfd) {
			if (dst->ww)
				skit__relay_unwatch(r, dst->ww);
			if (skit_conn_close_write(dst->conn) == 0) {
				dst->e.wfd = -1;
				if (dst->ww)
					dst->ww->fd = -1;
				dst->ww = NULL;
			}
		}
		return 0;
	}
	if (dst->e.wfd >= 0 && dst->e.tolen == 0) {
		if (dst->e.type == SOCK_STREAM ||
		    dst->e.type == SOCK_SEQPACKET) {
			(void)skit_shutdown(dst->e.wfd, SHUT_WR);
		} else if (dst->e.type == 0 && dst->e.own &&
			   dst->e.wfd != dst->e.rfd) {
			if (dst->ww)
				skit__relay_unwatch(r, dst->ww);
			skit_close(dst->e.wfd);
			dst->e.wfd = -1;
			if (dst->ww)
				dst->ww->fd = -1;
			dst->ww = NULL;
		}
	}
	return 0;
}

/*
 * DRAIN -> DONE: everything read from the source was written. Tell the
 * destination no more data comes: its layers end their streams (a
 * framing layer sends its last message), then shutdown(SHUT_WR) on a
 * stream or seqpacket socket (the peer reads EOF but may still send:
 * the other direction goes on), close() for a pipe or file the pair
 * owns. A datagram destination has no EOF to give. Returns -EAGAIN
 * (still DRAIN) while the layers wait (for the events they ask for;
 * the no-shutdown layer waits for ever, keeping the direction open).
 */
int
skit__relay_dir_done(struct skit_relay *r, struct dir *d)
{
	struct dir *other = &r->dir[!d->idx];

	/* -q: A said EOF and all of it went to B; B has quit_ms more. */
	if (d->idx == SKIT_DIR_AB && r->cfg.quit_ms > 0)
		start_timer(r, &r->quit_id, r->cfg.quit_ms, on_quit);
	if (shut_dst(r, d) == -EAGAIN || r->ended)
		return r->ended ? 0 : -EAGAIN;
	d->st = D_DONE;
	/* Both directions DONE: the pair ends normally. */
	if (other->st == D_DONE) {
		skit__relay_finish(r, SKIT_RELAY_EOF);
		return 0;
	}
	/*
	 * The other direction reads a datagram socket, which never gives
	 * EOF: wait linger_ms for late replies, then end (socat's -t).
	 */
	if (!can_eof(other) && r->cfg.linger_ms >= 0)
		start_timer(r, &r->linger_id,
			    r->cfg.linger_ms ? r->cfg.linger_ms
					     : DEFAULT_LINGER,
			    on_linger);
	return 0;
}

/* RUN -> DRAIN: the source said EOF (read returned 0). */
void
skit__relay_src_eof(struct dir *d)
{
	if (d->st == D_RUN)
		d->st = D_DRAIN;
}

/* --- creating a pair ----------------------------------------------- */

/* Messages fit the buffer of a direction with a message side. */
static size_t
msg_cap(const struct skit_relay *r)
{
	return r->cfg.buf_size < MIN_MSG_BUF ? MIN_MSG_BUF : r->cfg.buf_size;
}

static int
setup_dir(struct skit_relay *r, struct dir *d)
{
	struct end *src = d->src, *dst = d->dst;
	bool to_tcp, spliced;
	int err;

	d->pipe[0] = d->pipe[1] = -1;
	if (!(r->cfg.dirs &
	      (d->idx == SKIT_DIR_AB ? SKIT_RELAY_AB : SKIT_RELAY_BA))) {
		d->st = D_DONE; /* -u / -U: this direction is not relayed */
		return 0;
	}
	/* Nothing to read from the source: it is at EOF from the start. */
	d->st = src->e.rfd < 0 && !src->e.pushed ? D_DRAIN : D_RUN;
	/*
	 * Anything into a TCP socket is copied: splice() hands TCP the
	 * pages it gets one fragment each, while send() fills large page
	 * fragments. Unless buf_size was given, the buffer starts at the
	 * default and grows while reads fill it, up to TCP_BUF. Measured on
	 * loopback (6.18): `head | skit connect` ran about 15% faster by
	 * copy; a TCP -> TCP relay 2.61 GiB/s by 1 MiB copies against 2.02
	 * by splice (median of 5), at the same CPU cost, and 2.91 by 2 MiB
	 * copies (2.82 by 4 MiB); unix -> TCP 2.4-2.7 against 1.9-2.4.
	 * Splicing *from* TCP stays: TCP -> unix ran 2.4-3.8 GiB/s by
	 * splice, 1.7-2.3 by copy.
	 */
	to_tcp = dst->e.type == SOCK_STREAM && skit__is_tcp(dst->e.wfd);
	if (d->st == D_RUN && !r->cfg.no_splice && !r->cfg.on_data &&
	    !src->e.pushed && dst->e.tolen == 0 && dst->e.wfd >= 0 && !to_tcp) {
		err = skit__relay_setup_splice(r, d, &spliced);
		if (err < 0 || spliced)
			return err;
	}
	d->cap = r->cfg.buf_size;
	if (src->msg || dst->msg || src->framed || dst->framed || src->e.pushed)
		d->cap = msg_cap(r);
	d->maxcap = d->cap;
	if (to_tcp && r->buf_default && !src->msg && !src->framed &&
	    !src->e.pushed)
		d->maxcap = TCP_BUF;
	d->buf = malloc(d->cap);
	return d->buf ? 0 : -ENOMEM;
}

static int
setup_end(struct skit_relay *r, struct end *e, const struct skit_relay_end *in)
{
	int err;

	e->e = *in;
	e->msg = in->type == SOCK_DGRAM || in->type == SOCK_SEQPACKET;
	if (in->conn) {
		/* The conn's fds; closing them is the conn's business. */
		if (in->pushed || in->tolen)
			return -EINVAL;
		e->conn_own = in->own;
		/* No layer: the fds themselves, with every fast path. */
		if (skit_conn_bare(in->conn))
			e->keep = in->conn;
		else
			e->conn = in->conn;
		e->e.rfd = skit_conn_rfd(in->conn);
		e->e.wfd = skit_conn_wfd(in->conn);
		e->e.type = skit_conn_type(in->conn);
		e->e.own = false;
		e->msg = skit_conn_is_message(in->conn);
		/* The caller's framing (or WebSocket...): bytes over messages
		 */
		e->framed = !e->msg && (e->e.type == SOCK_DGRAM ||
					e->e.type == SOCK_SEQPACKET);
	}
	if (e->e.rfd >= 0 && !in->pushed) {
		err = skit__set_nonblock(e->e.rfd, true);
		if (err < 0)
			return err;
		e->rw = skit__relay_watch_for(r, e->e.rfd);
	}
	if (e->e.wfd >= 0 && in->tolen == 0) {
		err = skit__set_nonblock(e->e.wfd, true);
		if (err < 0)
			return err;
		e->ww = skit__relay_watch_for(r, e->e.wfd);
	}
	return 0;
}

/*
 * e's conn, for a layer the pair adds: the caller's (a bare one is taken
 * over, as the pair's), or one the pair makes over e's fds.
 */
static int
end_conn(struct skit_relay *r, struct end *e, struct skit_conn **out)
{
	struct skit_conn *c = e->conn;
	int err;

	if (!c && e->keep) {
		/* The caller's bare conn takes the layer. */
		c = e->conn = e->keep;
		e->keep = NULL;
		skit_conn_set_loop(c, r->loop, skit__relay_conn_kick, r);
		e->seen = *skit_conn_stats(c);
	} else if (!c) {
		err = skit_conn_new(e->e.pushed ? -1 : e->e.rfd, e->e.wfd,
				    e->e.type, false, &c);
		if (err < 0)
			return err;
		e->conn = c;
		e->conn_own = true;
		if (e->e.tolen)
			(void)skit_conn_set_peer(c, (struct sockaddr *)&e->e.to,
						 e->e.tolen);
		if (e->e.pushed)
			skit__conn_set_pushed(c);
		skit_conn_set_loop(c, r->loop, skit__relay_conn_kick, r);
	}
	*out = c;
	return 0;
}

/*
 * e is a message end and the other end a stream: put the framing layer
 * on e (on the caller's conn, or on one the pair makes over e's fds),
 * so that e moves bytes too.
 */
static int
add_framing(struct skit_relay *r, struct end *e)
{
	struct skit_frame_cfg fc = { .framing = r->cfg.framing };
	struct skit_conn *c;
	int err = end_conn(r, e, &c);

	if (err < 0)
		return err;
	fc.max_msg = msg_cap(r) - skit_frame_hdr_len(r->cfg.framing);
	return skit_conn_push(c, &skit_layer_frame, &fc, NULL);
}

/* cfg.faults: the fault layer on e, under any framing the pair adds. */
static int
add_faults(struct skit_relay *r, struct end *e, const struct skit_fault_cfg *fc)
{
	struct skit_conn *c;
	int err = end_conn(r, e, &c);

	if (err < 0)
		return err;
	return skit_conn_push(c, &skit_layer_fault, fc, NULL);
}

/* Undo setup without closing the caller's fds or freeing its conns. */
static void
free_unowned(struct skit_relay *r)
{
	for (int i = 0; i < r->nw; i++)
		skit__relay_unwatch(r, &r->w[i]);
	cancel(r, &r->kick_id);
	cancel(r, &r->idle_id);
	cancel(r, &r->stall_id);
	for (int i = 0; i < 2; i++) {
		struct dir *d = &r->dir[i];
		struct end *e = &r->end[i];

		if (e->conn && e->conn_own && e->e.conn == NULL)
			skit_conn_free(e->conn);
		if (d->pipe[0] >= 0) {
			skit_close(d->pipe[0]);
			skit_close(d->pipe[1]);
		}
		free(d->buf);
	}
	free(r);
}

/*
 * The ends' conns: which message end faces a stream (and is framed:
 * add_framing, at the end of setup), the loop, the counters.
 */
static int
setup_conns(struct skit_relay *r)
{
	for (int i = 0; i < 2; i++) {
		struct end *e = &r->end[i], *o = &r->end[!i];

		if (e->msg && !o->msg) {
			e->framed = e->add_frame = true;
			e->msg = false;
			r->any_conn = true;
		}
	}
	for (int i = 0; i < 2; i++) {
		struct end *e = &r->end[i];

		if (!e->conn)
			continue;
		r->any_conn = true;
		skit_conn_set_loop(e->conn, r->loop, skit__relay_conn_kick, r);
		e->hs = skit_conn_handshaking(e->conn);
		e->seen = *skit_conn_stats(e->conn);
	}
	return 0;
}

/* One fd on both ends would need two watchers: refuse. */
static bool
same_fd(const struct skit_relay_end *a, const struct skit_relay_end *b)
{
	int fa[2] = { a->rfd, a->wfd }, fb[2] = { b->rfd, b->wfd };

	if (a->conn) {
		fa[0] = skit_conn_rfd(a->conn);
		fa[1] = skit_conn_wfd(a->conn);
	}
	if (b->conn) {
		fb[0] = skit_conn_rfd(b->conn);
		fb[1] = skit_conn_wfd(b->conn);
	}
	for (int i = 0; i < 2; i++)
		if (fa[i] >= 0 && (fa[i] == fb[0] || fa[i] == fb[1]))
			return true;
	return false;
}

int
skit_relay_new(struct skit_loop *loop, const struct skit_relay_end *a,
	       const struct skit_relay_end *b, const struct skit_relay_cfg *cfg,
	       struct skit_relay **out)
{
	struct skit_relay *r;
	int err;

	if (!loop || !a || !b || !out)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->loop = loop;
	if (cfg)
		r->cfg = *cfg;
	if (!r->cfg.dirs)
		r->cfg.dirs = SKIT_RELAY_BOTH;
	if (!r->cfg.buf_size) {
		r->cfg.buf_size = DEFAULT_BUF;
		r->buf_default = true;
	}
	if (!r->cfg.pipe_size)
		r->cfg.pipe_size = DEFAULT_PIPE;
	r->st.error_side = -1;
	r->st.start_ns = skit_now_ns();
	r->last_ns = r->st.start_ns;
	for (int i = 0; i < 2; i++) {
		r->dir[i].r = r;
		r->dir[i].idx = i;
		r->dir[i].src = &r->end[i];
		r->dir[i].dst = &r->end[!i];
		r->dir[i].pipe[0] = r->dir[i].pipe[1] = -1;
	}
	err = same_fd(a, b) ? -EINVAL : setup_end(r, &r->end[0], a);
	if (err == 0)
		err = setup_end(r, &r->end[1], b);
	for (int i = 0; i < 2 && err == 0; i++)
		if (r->cfg.faults[i])
			err = add_faults(r, &r->end[i], r->cfg.faults[i]);
	if (err == 0)
		err = setup_conns(r);
	for (int i = 0; i < 2 && err == 0; i++)
		err = setup_dir(r, &r->dir[i]);
	/* Probe which fds the loop can watch (regular files cannot). */
	for (int i = 0; i < r->nw && err == 0; i++) {
		struct watch *w = &r->w[i];

		err = skit__relay_probe_watch(r, w);
		if (err == -EPERM) {
			w->pollable = false;
			err = 0;
		} else if (err == 0) {
			w->reg = true;
		}
	}
	for (int i = 0; i < 2; i++) {
		struct end *e = &r->end[i];

		e->rpoll = e->rw && e->rw->pollable;
		e->wpoll = e->ww && e->ww->pollable;
	}
	if (err == 0 && r->cfg.idle_ms > 0) {
		int64_t id = skit_loop_timer(loop, r->cfg.idle_ms,
					     skit__relay_on_idle, r);

		if (id < 0)
			err = (int)id;
		else
			r->idle_id = id;
	}
	if (err == 0) {
		/* The first round runs on the next wakeup, from the kick. */
		int64_t id = skit_loop_timer(loop, 0, skit__relay_on_kick, r);

		if (id < 0)
			err = (int)id;
		else
			r->kick_id = id;
	}
	/* Last, so that a failure leaves the caller's conns as they were. */
	for (int i = 0; i < 2 && err == 0; i++)
		if (r->end[i].add_frame)
			err = add_framing(r, &r->end[i]);
	if (err < 0) {
		free_unowned(r);
		return err;
	}
	*out = r;
	return 0;
}

void
skit_relay_free(struct skit_relay *r)
{
	if (!r)
		return;
	if (!r->ended) {
		r->ended = true;
		r->st.reason = SKIT_RELAY_CLOSED;
		r->st.end_ns = skit_now_ns();
		teardown(r);
	}
	free(r);
}

void
skit_relay_close(struct skit_relay *r)
{
	if (!r || r->ended)
		return;
	/* The caller ends it (any state -> ended). */
	skit__relay_finish(r, SKIT_RELAY_CLOSED);
	skit__relay_notify(r);
}

/*
 * A message for a pushed end whose other end is a stream: offered to
 * its conn (framing) and read from there like any input, into the
 * buffer's free room. false when it did not fit (dropped).
 */
static bool
push_framed(struct skit_relay *r, struct dir *d, const void *msg, size_t len)
{
	struct skit_conn *c = d->src->conn;

	skit__conn_feed(c, msg, len);
	while (skit__conn_fed(c) && !r->ended && d->len < d->cap)
		if (skit__relay_fill_in(r, d) <= 0)
			break;
	if (!skit__conn_fed(c))
		return true;
	skit__conn_feed(c, NULL, 0);
	return false;
}

int
skit_relay_push(struct skit_relay *r, int side, const void *msg, size_t len)
{
	struct dir *d;
	size_t need;

	if (!r || side < 0 || side > 1)
		return -EINVAL;
	d = &r->dir[side];
	if (!d->src->e.pushed)
		return -EINVAL;
	if (r->ended || d->st != D_RUN)
		return -EPIPE;
	if (d->src->conn) {
		if (!push_framed(r, d, msg, len)) {
			r->st.dropped[d->idx]++;
			return -ENOBUFS;
		}
	} else {
		if (r->cfg.on_data)
			r->cfg.on_data(r, d->idx, msg, len, r->cfg.data);
		traffic(r);
		if (d->dst->e.wfd < 0) {
			r->st.bytes[d->idx] += len;
			r->st.msgs[d->idx]++;
			return 0;
		}
		/* Queued as a message: the destination takes messages. */
		skit__relay_compact(d);
		need = INTERNAL_HDR + len;
		if (need > d->cap - d->len || len > UINT32_MAX) {
			r->st.dropped[d->idx]++;
			return -ENOBUFS;
		}
		{
			uint32_t v = (uint32_t)len;

			memcpy(d->buf + d->len, &v, sizeof(v));
		}
		memcpy(d->buf + d->len + INTERNAL_HDR, msg, len);
		d->len += need;
	}
	skit__relay_pump(r, d);
	if (!r->ended)
		skit__relay_update(r);
	skit__relay_notify(r);
	return 0;
}

bool
skit_relay_push_fits(const struct skit_relay *r, int side, size_t len)
{
	const struct dir *d;
	size_t held, need;

	if (!r || side < 0 || side > 1 || r->ended)
		return true; /* a push would not drop it for want of room */
	d = &r->dir[side];
	if (!d->src->e.pushed || d->st != D_RUN)
		return true;
	/* A framed message may gain a header (len, len16): room for one. */
	need = len + (d->src->conn ? 8 : INTERNAL_HDR);
	held = d->len - d->off;
	return held <= d->cap && d->cap - held >= need;
}

int
skit_relay_push_eof(struct skit_relay *r, int side)
{
	struct dir *d;

	if (!r || side < 0 || side > 1)
		return -EINVAL;
	d = &r->dir[side];
	if (!d->src->e.pushed)
		return -EINVAL;
	if (r->ended || d->st != D_RUN)
		return -EPIPE;
	/* RUN -> DRAIN: the caller says the pushed source is at EOF. */
	skit__relay_src_eof(d);
	skit__relay_pump(r, d);
	if (!r->ended)
		skit__relay_update(r);
	skit__relay_notify(r);
	return 0;
}

size_t
skit_relay_pending(const struct skit_relay *r, int dir)
{
	const struct dir *d;

	if (!r || dir < 0 || dir > 1 || r->ended)
		return 0;
	d = &r->dir[dir];
	return d->splice ? d->inpipe : d->len - d->off;
}

const struct skit_relay_stats *
skit_relay_stats(const struct skit_relay *r)
{
	return &r->st;
}

bool
skit_relay_ended(const struct skit_relay *r)
{
	return r->ended;
}

void *
skit_relay_data(const struct skit_relay *r)
{
	return r->cfg.data;
}

const struct skit_conn *
skit_relay_conn(const struct skit_relay *r, int side)
{
	if (side < 0 || side > 1)
		return NULL;
	return r->end[side].conn;
}
