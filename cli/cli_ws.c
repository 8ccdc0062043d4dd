/*
 * cli_ws.c - WebSocket for the commands (cli_ws.h).
 */
#include "cli.h"
#include "cli_ws.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

static const char *
op_name(unsigned op)
{
	return op == SKIT_WS_OP_TEXT ? "text" : "binary";
}

/* -v and --json lines for what the layer tells. */
static void
on_note(void *data, const struct skit_ws_note *n)
{
	struct cli_ws *w = data;
	struct cli_json j;
	bool in = n->type == SKIT_WS_NOTE_MSG_IN ||
		  n->type == SKIT_WS_NOTE_CLOSE_IN;

	switch (n->type) {
	case SKIT_WS_NOTE_OPEN:
		cli_verbose("websocket %s: %s -> %s%s%s%s%s", w->peer,
			    n->request_line, n->status_line,
			    *n->protocol ? ", subprotocol " : "", n->protocol,
			    *n->extensions ? ", extensions " : "",
			    n->extensions);
		if (w->json) {
			cli_json_begin(&j, w->json);
			cli_json_str(&j, "event", "ws-open");
			cli_json_str(&j, "peer", w->peer);
			cli_json_str(&j, "request", n->request_line);
			cli_json_str(&j, "status", n->status_line);
			cli_json_str(&j, "protocol", n->protocol);
			cli_json_str(&j, "extensions", n->extensions);
			cli_json_end(&j);
		}
		break;
	case SKIT_WS_NOTE_MSG_IN:
	case SKIT_WS_NOTE_MSG_OUT:
		if (w->json) {
			cli_json_begin(&j, w->json);
			cli_json_str(&j, "event", "ws-message");
			cli_json_str(&j, "peer", w->peer);
			cli_json_str(&j, "dir", in ? "in" : "out");
			cli_json_str(&j, "type", op_name(n->op));
			cli_json_uint(&j, "size", n->len);
			cli_json_end(&j);
		}
		break;
	case SKIT_WS_NOTE_CLOSE_IN:
	case SKIT_WS_NOTE_CLOSE_OUT:
		/* a close that is not normal is worth a line without -v */
		if (in && n->code != SKIT_WS_CLOSE_NORMAL &&
		    n->code != SKIT_WS_CLOSE_NO_STATUS &&
		    n->code != SKIT_WS_CLOSE_ABNORMAL)
			cli_errorf(
				"websocket: the %s %s closed with %d (%s)%s%s",
				w->who, w->peer, n->code,
				skit_ws_close_name(n->code),
				*n->reason ? ": " : "", n->reason);
		else
			cli_verbose("websocket close %s %s: %d (%s)%s%s",
				    in ? "from" : "to", w->peer, n->code,
				    skit_ws_close_name(n->code),
				    *n->reason ? ": " : "", n->reason);
		if (w->json) {
			cli_json_begin(&j, w->json);
			cli_json_str(&j, "event", "ws-close");
			cli_json_str(&j, "peer", w->peer);
			cli_json_str(&j, "dir", in ? "in" : "out");
			cli_json_int(&j, "code", n->code);
			cli_json_str(&j, "reason", n->reason);
			cli_json_end(&j);
		}
		break;
	}
}

int
cli_ws_init(struct cli_ws *w, const struct skit_addr *a, bool server,
	    bool framing_set, enum skit_framing framing)
{
	const char *mode = skit_addr_str(a, SKIT_OPT_WS_MODE);
	const char *s;
	size_t nh = 0;

	memset(w, 0, sizeof(*w));
	w->who = server ? "client" : "server";
	w->cfg.server = server;
	w->cfg.max_msg = (uint64_t)skit_addr_num(a, SKIT_OPT_WS_MAX_MESSAGE, 0);
	w->cfg.ping_ms = skit_addr_num(a, SKIT_OPT_WS_PING_INTERVAL, 0);
	w->cfg.deflate = skit_addr_num(a, SKIT_OPT_WS_DEFLATE, 0);
	w->cfg.on_note = on_note;
	w->cfg.data = w;
	w->cfg.err = &w->err;
	w->cfg.mode = SKIT_WS_MODE_TEXT;
	w->framing = SKIT_FRAMING_LINE;
	if (mode && !strcmp(mode, "binary")) {
		w->cfg.mode = SKIT_WS_MODE_BINARY;
		w->framing = framing_set ? framing : SKIT_FRAMING_LEN32;
	} else if (mode && !strcmp(mode, "raw")) {
		w->cfg.mode = SKIT_WS_MODE_BINARY;
		w->framing = SKIT_FRAMING_RAW;
		w->raw = true;
	}
	/* the subprotocol list: ';' in the address, ", " on the wire */
	s = skit_addr_str(a, SKIT_OPT_WS_PROTOCOL);
	if (s) {
		size_t k = 0;

		for (; *s && k + 3 < sizeof(w->protocol); s++) {
			if (*s == ';') {
				w->protocol[k++] = ',';
				w->protocol[k++] = ' ';
			} else {
				w->protocol[k++] = *s;
			}
		}
		w->protocol[k] = '\0';
		w->cfg.protocol = w->protocol;
	}
	if (server)
		return 0;
	snprintf(w->host, sizeof(w->host), "%s%s%s:%s",
		 strchr(a->host, ':') ? "[" : "", a->host,
		 strchr(a->host, ':') ? "]" : "", a->port);
	if (a->kind != SKIT_KIND_TCP)
		snprintf(w->host, sizeof(w->host), "localhost");
	w->cfg.host = w->host;
	w->cfg.path = skit_addr_str(a, SKIT_OPT_WS_PATH);
	w->cfg.origin = skit_addr_str(a, SKIT_OPT_WS_ORIGIN);
	s = skit_addr_str(a, SKIT_OPT_WS_HEADER);
	if (s) {
		char *p;

		snprintf(w->hbuf, sizeof(w->hbuf), "%s", s);
		p = w->hbuf;
		while (p && *p && nh < CLI_WS_HEADERS) {
			char *bar = strchr(p, '|');

			if (bar)
				*bar = '\0';
			w->hdrs[nh++] = p;
			p = bar ? bar + 1 : NULL;
		}
		w->cfg.headers = w->hdrs;
		w->cfg.nheaders = nh;
	}
	return 0;
}

void
cli_ws_copy(struct cli_ws *dst, const struct cli_ws *src, const char *peer)
{
	*dst = *src;
	skit_err_clear(&dst->err);
	dst->cfg.data = dst;
	dst->cfg.err = &dst->err;
	if (src->cfg.protocol)
		dst->cfg.protocol = dst->protocol;
	if (src->cfg.host)
		dst->cfg.host = dst->host;
	if (src->cfg.headers) {
		for (size_t i = 0; i < src->cfg.nheaders; i++)
			dst->hdrs[i] = dst->hbuf + (src->hdrs[i] - src->hbuf);
		dst->cfg.headers = dst->hdrs;
	}
	snprintf(dst->peer, sizeof(dst->peer), "%s", peer);
}

int
cli_ws_push(struct cli_ws *w, struct skit_conn *c)
{
	struct skit_frame_cfg fc = { .framing = w->framing };
	int rc;

	fc.max_msg =
		(w->cfg.max_msg ? w->cfg.max_msg : SKIT_WS_MAX_DEFAULT) + 1;
	rc = skit_conn_push(c, &skit_layer_ws, &w->cfg, &w->err);
	if (rc == 0)
		rc = skit_conn_push(c, &skit_layer_frame, &fc, NULL);
	return rc;
}

int
cli_ws_end(struct cli_ws *w, struct skit_relay_end *e, bool framed)
{
	struct skit_conn *conn;
	int rc = cli_end_conn(e, &conn);

	if (rc)
		return rc;
	return framed ? cli_ws_push(w, conn)
		      : skit_conn_push(conn, &skit_layer_ws, &w->cfg, &w->err);
}

int
cli_ws_handshake(struct cli_ws *w, struct skit_conn *c, long long timeout_ms)
{
	long long left = timeout_ms;
	int rc;

	for (;;) {
		unsigned ev;
		short pev = 0;
		int step = left < 0 || left > 100 ? 100 : (int)left;

		rc = skit_conn_handshake(c);
		if (rc != -EAGAIN)
			break;
		if (cli_stopping()) {
			rc = -ECANCELED;
			break;
		}
		if (timeout_ms >= 0 && left <= 0) {
			rc = skit_err_setf(&w->err, -ETIMEDOUT, "websocket", "",
					   0, "no answer in time");
			break;
		}
		ev = skit_conn_events(c, 0);
		if (ev & SKIT_EV_READ)
			pev |= POLLIN;
		if (ev & SKIT_EV_WRITE)
			pev |= POLLOUT;
		(void)skit_wait_fd(skit_conn_rfd(c), pev, step);
		if (left > 0)
			left -= step;
	}
	if (rc == 0)
		return 0;
	if (!w->err.code)
		skit_err_set(&w->err, rc, "websocket handshake with", w->peer);
	snprintf(w->err.op, sizeof(w->err.op), "websocket handshake with %s",
		 w->who);
	snprintf(w->err.subject, sizeof(w->err.subject), "%s", w->peer);
	return cli_report(&w->err);
}

int
cli_ws_report(struct cli_ws *w)
{
	if (!w->err.code)
		return -1;
	snprintf(w->err.op, sizeof(w->err.op), "websocket with %s", w->who);
	snprintf(w->err.subject, sizeof(w->err.subject), "%s", w->peer);
	return cli_report(&w->err);
}
