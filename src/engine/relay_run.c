/*
 * relay_run.c - the blocking wrapper of the pair engine (relay.h's
 * skit_relay_run): a private loop, one pair on it, run until the pair
 * ends.
 */
#include "skit/relay.h"

#include "engine/relay_int.h"

#include <errno.h>

struct run_ctx {
	struct skit_loop *loop;
	skit_relay_close_cb user_close;
	skit_relay_data_cb user_data_cb;
	void *user_data;
};

static void
run_closed(struct skit_relay *r, void *data)
{
	struct run_ctx *c = data;

	if (c->user_close)
		c->user_close(r, c->user_data);
	skit_loop_stop(c->loop);
}

static void
run_data(struct skit_relay *r, int dir, const void *buf, size_t len, void *data)
{
	struct run_ctx *c = data;

	c->user_data_cb(r, dir, buf, len, c->user_data);
}

int
skit_relay_run(const struct skit_relay_end *a, const struct skit_relay_end *b,
	       const struct skit_relay_cfg *cfg, struct skit_relay_stats *stats,
	       struct skit_err *err)
{
	struct skit_relay_cfg c = { 0 };
	struct run_ctx ctx = { 0 };
	struct skit_relay *r = NULL;
	struct skit_loop *loop = NULL;
	int e;

	if (cfg)
		c = *cfg;
	e = skit_loop_new(SKIT_LOOP_AUTO, &loop);
	if (e < 0)
		return skit_err_set(err, e, "relay", "loop");
	/* Our callbacks wrap the caller's, which get the caller's data. */
	ctx.loop = loop;
	ctx.user_close = c.on_close;
	ctx.user_data_cb = c.on_data;
	ctx.user_data = c.data;
	c.on_close = run_closed;
	c.on_data = c.on_data ? run_data : NULL;
	c.data = &ctx;
	e = skit_relay_new(loop, a, b, &c, &r);
	if (e < 0) {
		skit_loop_free(loop);
		return skit_err_set(err, e, "relay", "setup");
	}
	e = skit_loop_run(loop);
	if (!r->ended)
		skit__relay_finish(r, SKIT_RELAY_CLOSED);
	if (stats)
		*stats = r->st;
	if (e >= 0 && r->st.reason != SKIT_RELAY_EOF &&
	    r->st.reason != SKIT_RELAY_IDLE)
		e = r->st.error ? r->st.error : -ECANCELED;
	if (e < 0)
		skit_err_set(err, e, r->st.error_op ? r->st.error_op : "relay",
			     r->st.error_side == 0   ? "A"
			     : r->st.error_side == 1 ? "B"
						     : "pair");
	skit_relay_free(r);
	skit_loop_free(loop);
	return e < 0 ? e : 0;
}
