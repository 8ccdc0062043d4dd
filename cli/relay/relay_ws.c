/*
 * relay_ws.c - `skit relay`'s WebSocket sides (ws://, ws-listen:,
 * docs/websocket.md): a side with the ws option speaks WebSocket
 * through the layer (the server on the listening side), each pair with
 * its own layer settings and failure, kept as the record's data.
 */
#include "cli_ws.h"
#include "relay.h"

#include <errno.h>
#include <stdlib.h>

/* A pair's WebSocket sides (skit_fwd_pair_data). */
struct relay_ws {
	struct cli_ws ws[2];
	bool on[2];
};

/*
 * Fill w for side i of app. ws-mode= on a side picks the pair's framing
 * (text: line; binary: --framing; raw: raw); without it the side is
 * binary and --framing applies. 0 or an exit code (said).
 */
static int
side_init(const struct app *app, int i, struct cli_ws *w)
{
	const struct skit_addr *a = &app->addr[i];
	int rc = cli_ws_init(w, a, i == app->lside, true, app->framing);

	if (rc == 0 && !skit_addr_has(a, SKIT_OPT_WS_MODE))
		w->cfg.mode = SKIT_WS_MODE_BINARY;
	return rc;
}

int
relay_ws_check(struct app *app)
{
	struct cli_ws w;
	int rc;

	for (int i = 0; i < 2; i++) {
		if (!skit_addr_has(&app->addr[i], SKIT_OPT_WS))
			continue;
		rc = side_init(app, i, &w);
		if (rc)
			return rc;
		if (skit_addr_has(&app->addr[i], SKIT_OPT_WS_MODE))
			app->framing = w.framing;
	}
	return 0;
}

int
relay_ws_ends(struct app *app, struct skit_fwd_pair *rec,
	      struct skit_relay_end end[2])
{
	struct relay_ws *r = NULL;
	int rc;

	for (int i = 0; i < 2; i++) {
		struct cli_ws *w;

		if (!skit_addr_has(&app->addr[i], SKIT_OPT_WS))
			continue;
		if (!r) {
			r = calloc(1, sizeof(*r));
			if (!r)
				return -ENOMEM;
			skit_fwd_pair_set_data(rec, r); /* relay_ws_free */
		}
		w = &r->ws[i];
		if (side_init(app, i, w))
			return -EINVAL; /* checked before: not seen */
		w->json = app->json ? app->jf : NULL;
		relay_side_desc(app, rec, i, w->peer, sizeof(w->peer));
		rc = cli_ws_end(w, &end[i], false);
		if (rc < 0)
			return rc;
		r->on[i] = true;
	}
	return 0;
}

int
relay_ws_failed(const struct skit_fwd_pair *rec)
{
	struct relay_ws *r = skit_fwd_pair_data(rec);
	int rc;

	for (int i = 0; r && i < 2; i++)
		if (r->on[i] && (rc = cli_ws_report(&r->ws[i])) >= 0)
			return rc;
	return -1;
}

void
relay_ws_free(struct skit_fwd *f, struct skit_fwd_pair *rec, void *data)
{
	(void)f, (void)data;
	free(skit_fwd_pair_data(rec));
}
