/*
 * cli/cli_ws.h - WebSocket for the commands (docs/websocket.md): an
 * address's ws options turned into the layer's settings, the opening
 * handshake run before the relay (so its failure is named), and what
 * -v and --json say about it.
 */
#ifndef SKIT_CLI_WS_H
#define SKIT_CLI_WS_H

#include <stdbool.h>
#include <stdio.h>

#include "skit/frame.h"
#include "skit/skit.h"
#include "skit/ws.h"

#define CLI_WS_HEADERS 16
/* skit echo's longest WebSocket message: its receive buffer */
#define CLI_WS_ECHO_MAX (256 * 1024)

struct cli_ws {
	struct skit_ws_cfg cfg;	   /* for skit_conn_push(&skit_layer_ws) */
	enum skit_framing framing; /* the stdio side's framing */
	bool raw;		   /* ws-mode=raw */
	struct skit_err err;	   /* the layer's failure, if any */
	FILE *json;		   /* --json lines, or NULL */
	const char *who;	   /* "server" / "client": the peer */
	char peer[200];		   /* its address, for messages */
	/* storage for cfg's strings */
	char host[SKIT_HOST_MAX + 40];
	char protocol[256];
	char hbuf[512];
	const char *hdrs[CLI_WS_HEADERS];
};

/*
 * Fill w from a's ws options for a client (role connect) or a server.
 * framing: the --framing the user gave (framing_set), used in binary
 * mode (default len); text mode is line, raw mode raw. 0, or an exit
 * code after a message.
 */
int cli_ws_init(struct cli_ws *w, const struct skit_addr *a, bool server,
		bool framing_set, enum skit_framing framing);

/*
 * dst as src (from cli_ws_init), for another connection: its own
 * error, notes and peer name (--json lines to src's json).
 */
void cli_ws_copy(struct cli_ws *dst, const struct cli_ws *src,
		 const char *peer);

/*
 * Push the websocket layer, then the framing layer over it (so the
 * conn is a byte stream again, for stdio, crlf and the relay). 0 or a
 * negative code.
 */
int cli_ws_push(struct cli_ws *w, struct skit_conn *c);

/*
 * A forward's end e (relay, listen --exec) over WebSocket: the ws layer
 * on e's conn (cli_end_conn), and with framed the framing layer above
 * it (a byte stream again). 0 or a negative code (the forward frees
 * what e holds).
 */
int cli_ws_end(struct cli_ws *w, struct skit_relay_end *e, bool framed);

/*
 * Run the handshake on c (its fd nonblocking), waiting at most
 * timeout_ms (< 0: no limit). 0, or an exit code after a message
 * naming the peer: "skit: websocket handshake with server tcp:...: the
 * server answered 'HTTP/1.1 404 Not Found'".
 */
int cli_ws_handshake(struct cli_ws *w, struct skit_conn *c,
		     long long timeout_ms);

/*
 * After the relay: when the layer failed (a protocol error, the stream
 * ended without a close frame) print why and return its exit code;
 * else -1.
 */
int cli_ws_report(struct cli_ws *w);

#endif
