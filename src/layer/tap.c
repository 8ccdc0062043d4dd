/*
 * tap.c - a layer that shows what passes through it, both ways, without
 * changing a byte (conn.h, skit_layer_tap): --hex dumps of what goes
 * over the wire when it sits right on the transport.
 */
#include "skit/conn.h"

#include <errno.h>

static int
tap_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	const struct skit_tap_cfg *c = cfg;
	struct skit_tap_cfg *t = skit_layer_priv(l);

	if (!c || !c->fn)
		return skit_err_set(err, -EINVAL, "push layer", "tap");
	*t = *c;
	return 0;
}

static ssize_t
tap_send(struct skit_layer *l, const void *buf, size_t len)
{
	const struct skit_tap_cfg *t = skit_layer_priv(l);
	ssize_t n = skit_layer_send_below(l, buf, len);

	if (n > 0)
		t->fn(t->data, SKIT_TAP_OUT, buf, (size_t)n);
	return n;
}

static ssize_t
tap_recv(struct skit_layer *l, void *buf, size_t len)
{
	const struct skit_tap_cfg *t = skit_layer_priv(l);
	ssize_t n = skit_layer_recv_below(l, buf, len);

	/* A message longer than buf (MSG_TRUNC): what of it is there. */
	if (n > 0)
		t->fn(t->data, SKIT_TAP_IN, buf,
		      (size_t)n < len ? (size_t)n : len);
	return n;
}

const struct skit_layer_ops skit_layer_tap = {
	.name = "tap",
	.size = sizeof(struct skit_tap_cfg),
	.open = tap_open,
	.send = tap_send,
	.recv = tap_recv,
};
