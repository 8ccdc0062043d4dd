/*
 * relay_limits.c - the pair engine's time limits (relay_int.h): idle_ms
 * without traffic, and send_timeout_ms for a message destination that
 * stays full. (quit_ms and linger_ms are part of the half-close state
 * machine, in relay.c.)
 */
#include "engine/relay_int.h"

/* --- a full message destination -------------------------------------- */

/* d's destination stayed full for limit_ms: the pair ends (SKIT_EFULL). */
static void
full(struct skit_relay *r, struct dir *d, int64_t limit_ms)
{
	r->st.limit_ms = limit_ms;
	skit__relay_fail(r, side_of(r, d->dst), "write", SKIT_EFULL);
}

/*
 * The stall timer: a message destination refused its next message
 * send_timeout_ms ago and has taken none since. A datagram receiver
 * that stopped reading would otherwise hold the pair (and whoever waits
 * for it) forever: the loop would wait for a POLLOUT that never comes.
 */
static void
on_stall(struct skit_loop *loop, void *data)
{
	struct skit_relay *r = data;
	int64_t now = skit_loop_now(loop), next = 0, id;
	int64_t tmo = r->cfg.send_timeout_ms * 1000000;

	r->stall_id = 0;
	for (int i = 0; i < 2; i++) {
		struct dir *d = &r->dir[i];

		if (!d->stall_ns)
			continue;
		if (now >= d->stall_ns + tmo) {
			full(r, d, r->cfg.send_timeout_ms);
			skit__relay_notify(r);
			return;
		}
		if (!next || d->stall_ns + tmo < next)
			next = d->stall_ns + tmo;
	}
	if (!next)
		return; /* both take messages again */
	id = skit_loop_timer_at(loop, next, on_stall, r);
	if (id < 0) {
		skit__relay_fail(r, -1, "timer", (int)id);
		skit__relay_notify(r);
		return;
	}
	r->stall_id = id;
}

/*
 * d's message destination refused a message (EAGAIN): note when that
 * began (the first refusal; a message taken clears it) and make sure the
 * stall timer runs. Returns 0, or -1 when the pair failed.
 */
int
skit__relay_stalled(struct skit_relay *r, struct dir *d)
{
	int64_t id;

	if (!d->stall_ns)
		d->stall_ns = skit_loop_now(r->loop);
	if (r->cfg.send_timeout_ms <= 0 || r->stall_id)
		return 0;
	id = skit_loop_timer_at(r->loop,
				d->stall_ns + r->cfg.send_timeout_ms * 1000000,
				on_stall, r);
	if (id < 0) {
		skit__relay_fail(r, -1, "timer", (int)id);
		return -1;
	}
	r->stall_id = id;
	return 0;
}

void
skit__relay_on_idle(struct skit_loop *loop, void *data)
{
	struct skit_relay *r = data;
	int64_t due = r->last_ns + r->cfg.idle_ms * 1000000;
	int64_t now = skit_loop_now(loop), id;

	r->idle_id = 0;
	if (now >= due) {
		/*
		 * No traffic for idle_ms: the pair ends (any state). When a
		 * message waits for a full receiver, that is why: say so.
		 */
		for (int i = 0; i < 2; i++) {
			if (r->dir[i].stall_ns) {
				full(r, &r->dir[i], r->cfg.idle_ms);
				skit__relay_notify(r);
				return;
			}
		}
		r->st.limit_ms = r->cfg.idle_ms;
		skit__relay_finish(r, SKIT_RELAY_IDLE);
		skit__relay_notify(r);
		return;
	}
	id = skit_loop_timer_at(loop, due, skit__relay_on_idle, r);
	if (id < 0) {
		skit__relay_fail(r, -1, "timer", (int)id);
		skit__relay_notify(r);
		return;
	}
	r->idle_id = id;
}
