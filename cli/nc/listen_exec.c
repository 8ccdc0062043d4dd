/*
 * listen_exec.c - `skit listen --exec/--sh-exec`: the library's forward
 * (skit/forward.h) serves the address and relays each client, or each
 * datagram peer, to a child of its own; this file says what it reports
 * and what the exit code is.
 */
#include "listen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An --exec child's client is closed lingering this long at most. */
#define EXEC_LINGER_MS 2000

/* A pair's own: --hex's offset each way, the client's WebSocket. */
struct ex_rec {
	uint64_t off[2];
	struct cli_ws ws;
};

/* rec's ex_rec, made at first need; NULL when out of memory. */
static struct ex_rec *
ex_rec(struct skit_fwd_pair *rec)
{
	struct ex_rec *x = skit_fwd_pair_data(rec);

	if (!x && (x = calloc(1, sizeof(*x))))
		skit_fwd_pair_set_data(rec, x); /* ex_free */
	return x;
}

/* The client (or datagram peer) of rec, as messages name it. */
static const char *
client_name(const struct skit_fwd_pair *rec, char *buf, size_t len)
{
	return nc_sa_str(&skit_fwd_pair_side(rec, 0)->peer, buf, len);
}

static void
ex_open(struct skit_fwd *f, struct skit_fwd_pair *rec, void *data)
{
	struct server *s = data;
	char pt[300];

	(void)f;
	if (cli_g.verbose)
		cli_verbose("%s %s", s->dgram ? "new peer" : "connection from",
			    client_name(rec, pt, sizeof(pt)));
	if (s->o->so.json)
		nc_json_connected(s->local_text,
				  client_name(rec, pt, sizeof(pt)), NULL);
}

/* How a pair ended, said when it matters: one client's trouble is not
 * the server's. Without -k it is the exit code. */
static void
ex_close(struct skit_fwd *f, struct skit_fwd_pair *rec,
	 const struct skit_relay_stats *st, void *data)
{
	struct server *s = data;
	const struct skit_conn *tls = skit_fwd_pair_conn(rec, 0);
	char name[300], cl[340], child[360];
	int rc = CLI_EXIT_OK;

	(void)f;
	client_name(rec, name, sizeof(name));
	/* A is the client, B the child: sent = child -> client */
	if (s->o->so.json)
		nc_json_closed(
			name, st->bytes[SKIT_DIR_BA], st->bytes[SKIT_DIR_AB],
			st->end_ns > st->start_ns
				? (double)(st->end_ns - st->start_ns) / 1e9
				: 0,
			skit_relay_reason_name(st->reason), st->error, tls);
	if (tls && (rc = cli_tls_failed(tls, name)) != 0)
		; /* a failed handshake or a truncation: said */
	else if (st->reason == SKIT_RELAY_RESET ||
		 st->reason == SKIT_RELAY_ERROR ||
		 (st->reason == SKIT_RELAY_IDLE && !s->o->keep)) {
		/* An idle client ends a server without -k (a time-out, exit
		 * 5); with -k it is just gone. */
		snprintf(cl, sizeof(cl), "client %s", name);
		snprintf(child, sizeof(child), "the %s child of client %s",
			 s->o->sh ? "--sh-exec" : "--exec", name);
		rc = nc_relay_exit(st, &(const struct cli_relay_names){
					       .side = { cl, child },
					       .op = "client",
					       .addr = { name, NULL },
					       .opt = "-w",
				       });
	} else if (cli_g.verbose) {
		cli_verbose("%s done (%s, %llu bytes in, %llu out)", name,
			    skit_relay_reason_name(st->reason),
			    (unsigned long long)st->bytes[SKIT_DIR_AB],
			    (unsigned long long)st->bytes[SKIT_DIR_BA]);
	}
	if (!s->o->keep) {
		s->exit_code = rc;
		skit_loop_stop(s->loop);
	}
}

static void
ex_fail(struct skit_fwd *f, struct skit_fwd_pair *rec, int side, int code,
	const struct skit_err *err, void *data)
{
	struct server *s = data;
	int rc = cli_report(err);

	(void)f, (void)rec, (void)side, (void)code;
	if (!s->o->keep) {
		s->exit_code = rc;
		skit_loop_stop(s->loop);
	}
}

/* --hex for an --exec pair: A is the client, B the child; each way's
 * offset runs on (kept as the record's data). */
static void
ex_hex(struct skit_fwd *f, struct skit_fwd_pair *rec, int dir, const void *buf,
       size_t len, void *data)
{
	struct ex_rec *x = ex_rec(rec);

	(void)f, (void)data;
	cli_hexdump(stderr, dir == SKIT_DIR_AB ? "<" : ">", x ? x->off[dir] : 0,
		    buf, len);
	if (x)
		x->off[dir] += len;
}

/*
 * cfg.on_ends with ws: the client speaks WebSocket (the layer, then the
 * framing layer, so the child sees lines or framed messages), with the
 * pair's own settings (the client named in -v lines, its failure).
 */
static int
ex_ws_ends(struct skit_fwd *f, struct skit_fwd_pair *rec,
	   struct skit_relay_end end[2], void *data)
{
	struct server *s = data;
	struct ex_rec *x = ex_rec(rec);

	(void)f;
	if (!x)
		return -ENOMEM;
	if (cli_ws_init(&x->ws, &s->addr, true, s->o->framing_set,
			(enum skit_framing)s->o->so.framing))
		return -EINVAL; /* checked before (run_listen): not seen */
	client_name(rec, x->ws.peer, sizeof(x->ws.peer));
	return cli_ws_end(&x->ws, &end[0], true);
}

static void
ex_free(struct skit_fwd *f, struct skit_fwd_pair *rec, void *data)
{
	(void)f, (void)data;
	free(skit_fwd_pair_data(rec));
}

static void
ex_event(struct skit_fwd *f, const struct skit_serve_event *ev, void *data)
{
	struct server *s = data;

	(void)f;
	cli_serve_event("listen", ev, s->dgram, s->local_text,
			"not allowed by --allow/--deny", NC_MSG_MAX);
}

/*
 * --exec: the forward serves the address, each client (or datagram
 * peer) relayed to its own child. 0 or the exit code (said).
 */
int
listen_exec_start(struct server *s, struct skit_err *err)
{
	struct listen_opts *o = s->o;
	bool dgram = s->addr.type == SOCK_DGRAM;
	struct skit_addr ea;
	struct skit_fwd_cfg cfg = {
		.addr = { &s->addr, &ea },
		.lside = 0,
		.once = !o->keep,
		.reap = true,
		.open_flags = nc_open_flags(&o->ao),
		.serve = {
			.max_conns = o->keep ? (int)o->max_conns : 0,
			.acl = skit_acl_empty(&o->acl) ? NULL : &o->acl,
			.batch = 64,
			.msg_max = NC_MSG_MAX,
		},
		.relay = {
			.framing = o->so.framing,
			/* datagram peers: --idle-timeout; clients: -w */
			.idle_ms = dgram ? (o->idle_ms > 0 ? o->idle_ms : -1)
					 : o->so.idle_ms,
			.send_timeout_ms = o->so.send_ms,
			.linger_ms = -1,
			/* The child may answer without reading all the client
			 * sent: the client still gets every byte of it. */
			.close_linger_ms = EXEC_LINGER_MS,
			/* the address's faults on the client's end, numbered
			 * per client by the forward (their seed) */
			.faults = { o->so.faults },
		},
		.on_open = ex_open,
		.on_close = ex_close,
		.on_fail = ex_fail,
		.on_data = o->so.hex ? ex_hex : NULL,
		/* TLS (--ssl, tls): the pair runs the client's handshake */
		.layer = { o->tls.ctx && !dgram ? &skit_layer_tls : NULL },
		.layer_cfg = { &o->tls.lc },
		/* ws: the client's WebSocket (not for datagrams) */
		.on_ends = s->ws && !dgram ? ex_ws_ends : NULL,
		.on_event = ex_event,
		.on_free = ex_free,
		.data = s,
	};
	memset(&ea, 0, sizeof(ea));
	ea.kind = o->sh ? SKIT_KIND_SH : SKIT_KIND_EXEC;
	snprintf(ea.host, sizeof(ea.host), "%s", o->exec);
	if (skit_fwd_start(s->loop, &cfg, &s->fwd, err) < 0)
		return -1;
	s->local = *skit_fwd_local(s->fwd);
	return 0;
}
