/*
 * relay.h - `skit relay`'s files: cmd_relay.c (options, addresses,
 * the forward's callbacks and exit codes), relay_out.c (what it
 * prints: -v lines, --json events, the SIGUSR1 table, --hex) and
 * relay_ws.c (WebSocket sides).
 */
#ifndef SKIT_CLI_RELAY_H
#define SKIT_CLI_RELAY_H

#include "cli.h"
#include "cli_tls.h"
#include "faults.h"

#include "skit/forward.h"

struct app {
	const char *text[2];
	struct skit_addr addr[2];
	unsigned dirs;
	enum skit_framing framing;
	bool no_splice, json, hex, numeric, fork;
	long long max_conns, idle_ms, linger_ms;
	size_t bufsize; /* -b: buffer and pipe size, 0 = defaults */
	int lside;	/* the listening side (0 or 1), -1 when none */
	struct skit_loop *loop;
	struct skit_fwd *fwd;
	int sigfd;
	int exit_code;
	FILE *jf;
	char ldesc[300];
	struct cli_tls tls[2]; /* a side with the tls option */
	const char *control;   /* --control */
	struct cli_faults faults;
};

/* A side as the messages name it (see relay_out.c). Returns buf. */
const char *relay_side_desc(const struct app *app,
			    const struct skit_fwd_pair *rec, int side,
			    char *buf, size_t len);
/* End a --json event; a server stops once stdout has failed. */
void relay_json_end(struct app *app, struct cli_json *j);
/* The pair of rec runs: -v "relay #N open" and the open event. */
void relay_on_open(struct skit_fwd *f, struct skit_fwd_pair *rec, void *data);
/* A pair ended: -v "relay #N closed" and the close event. */
void relay_log_close(struct app *app, const struct skit_fwd_pair *rec,
		     const struct skit_relay_stats *st);
/* A dial of rec's side is tried again: the retry event. */
void relay_retry_event(struct app *app, const struct skit_fwd_pair *rec,
		       int attempt, int64_t delay_ms,
		       const struct skit_err *why);
/* SIGUSR1: the live pairs, on stderr (or as --json events). */
void relay_table(struct app *app);
/* --hex: one pair's chunk, A->B (">") or B->A ("<"). */
void relay_hex(struct skit_fwd *f, struct skit_fwd_pair *rec, int dir,
	       const void *buf, size_t len, void *data);

/* --- WebSocket sides (relay_ws.c) --- */

/* Check the ws sides' options once (wss is refused), and let a side's
 * ws-mode= pick the framing. 0 or an exit code (said). */
int relay_ws_check(struct app *app);
/* cfg.on_ends: each ws side under the layer, its settings and failure
 * the record's data. 0 or a negative code. */
int relay_ws_ends(struct app *app, struct skit_fwd_pair *rec,
		  struct skit_relay_end end[2]);
/* After the pair: a ws side's failure said, its exit code; else -1. */
int relay_ws_failed(const struct skit_fwd_pair *rec);
/* cfg.on_free: the record's WebSocket data. */
void relay_ws_free(struct skit_fwd *f, struct skit_fwd_pair *rec, void *data);

#endif
