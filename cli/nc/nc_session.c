/*
 * nc_session.c - stdin/stdout <-> one connected socket, on the relay
 * engine (relay.h), with netcat's policies on top (docs/half-close.md):
 *
 *  - default: stdin EOF -> shutdown(SHUT_WR) on the socket, keep
 *    printing what the peer sends until it closes (the relay's
 *    half-close state machine);
 *  - --no-shutdown: stdin EOF is not passed on, the socket stays open
 *    both ways until the peer closes (the no-shutdown layer);
 *  - -q SECS / --exit-on-eof: end SECS after stdin EOF, once everything
 *    read from stdin has reached the socket (the pair's quit_ms);
 *  - -C: "\n" from stdin goes out as "\r\n" (the crlf layer);
 *  - --hex: what goes over the socket, dumped on stderr (a tap layer).
 *
 * The layers sit on the socket's conn (conn.h); the relay reads stdin
 * once and writes each byte once. Without them the socket is bare and
 * the relay splices when it can.
 */
#include "cli.h"
#include "cli_tls.h"
#include "cli_ws.h"
#include "nc.h"
#include "faults.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct session {
	struct skit_loop *loop;
	struct skit_relay *relay;
	bool ended;
	uint64_t hexoff[2];
};

static void
on_close(struct skit_relay *r, void *data)
{
	struct session *s = data;

	(void)r;
	s->ended = true;
	skit_loop_stop(s->loop);
}

/* --hex: sent (>) and received (<) bytes, as they cross the socket. */
static void
on_tap(void *data, int dir, const void *buf, size_t len)
{
	struct session *s = data;

	cli_hexdump(stderr, dir == SKIT_TAP_OUT ? ">" : "<", s->hexoff[dir],
		    buf, len);
	s->hexoff[dir] += len;
}

/*
 * The layers below TLS: the address's faults right on the socket when
 * there is no TLS (the TLS layer does not wait for bytes a layer under
 * it holds back: with TLS they go above it), the tap (it sees what they
 * let by), then no-shutdown.
 */
struct below {
	const struct nc_sess_opts *o;
	struct session *s;
	bool noshut;
	const struct skit_fault_cfg *faults;
};

static int
push_below(struct skit_conn *c, void *data)
{
	struct below *b = data;
	struct skit_tap_cfg tap = { .fn = on_tap, .data = b->s };
	int rc = 0;

	if (b->faults)
		rc = skit_conn_push(c, &skit_layer_fault, b->faults, NULL);
	if (rc == 0 && b->o->hex)
		rc = skit_conn_push(c, &skit_layer_tap, &tap, NULL);
	if (rc == 0 && b->noshut)
		rc = skit_conn_push(c, &skit_layer_no_shutdown, NULL, NULL);
	return rc;
}

/*
 * The socket end b (fd, taken) with the layers the options ask for, from
 * the transport up: the address's faults, the tap sees the wire,
 * no-shutdown keeps the socket's write side open while the layers above
 * still end their streams, TLS (its handshake done here, so a failure is
 * named before any byte moves), framing (on a message socket) turns
 * messages into the byte stream that crlf works on. None asked: b stays
 * bare. Returns 0, a negative code (fd closed), or an exit code (> 0:
 * the TLS handshake failed and said why).
 */
static int
session_conn(int fd, const struct nc_sess_opts *o, struct session *s,
	     struct skit_relay_end *b, const char *peer_text)
{
	struct skit_frame_cfg fc = { .framing = (enum skit_framing)o->framing };
	bool sends = o->dirs & SKIT_RELAY_AB;
	bool crlf = o->crlf && sends, noshut = o->no_shutdown && sends;
	bool tls = o->tls && o->tls->ctx;
	struct below bl = { .o = o,
			    .s = s,
			    .noshut = noshut,
			    .faults = tls ? NULL : o->faults };
	struct skit_conn *c;
	char who[400];
	int rc;

	if (!o->hex && !crlf && !noshut && !tls && !o->ws && !o->faults)
		return 0;
	if (tls) {
		rc = cli_tls_conn(o->tls, fd, b->type, push_below, &bl, &c);
		if (rc < 0)
			return rc;
		b->conn = c;
		b->own = false; /* kept to say why TLS failed, then freed */
		snprintf(who, sizeof(who), "%s %s", o->what, peer_text);
		rc = cli_tls_handshake(c, o->tls_wait_ms, who);
		if (rc)
			return rc;
		/* the faults on the plaintext, the handshake done */
		if (o->faults)
			rc = skit_conn_push(c, &skit_layer_fault, o->faults,
					    NULL);
	} else {
		rc = skit_conn_new(fd, fd, b->type, true, &c);
		if (rc < 0) {
			skit_close(fd);
			return rc;
		}
		b->conn = c;
		rc = push_below(c, &bl);
	}
	if (rc == 0 && o->ws)
		rc = cli_ws_push(o->ws, c);
	else if (rc == 0 && nc_is_msg_type(b->type) &&
		 (o->hex || crlf || noshut))
		rc = skit_conn_push(c, &skit_layer_frame, &fc, NULL);
	if (rc == 0 && crlf)
		rc = skit_conn_push(c, &skit_layer_crlf, NULL, NULL);
	return rc;
}

int
nc_relay_exit(const struct skit_relay_stats *st,
	      const struct cli_relay_names *n)
{
	switch (st->reason) {
	case SKIT_RELAY_EOF:
	case SKIT_RELAY_CLOSED:
	case SKIT_RELAY_RUNNING:
		return CLI_EXIT_OK;
	case SKIT_RELAY_IDLE: /* a time-out (docs/exit-codes.md) */
	case SKIT_RELAY_RESET:
	case SKIT_RELAY_ERROR:
	default:
		break;
	}
	return cli_relay_error(st, n);
}

/*
 * A producer writing into our stdin pipe (or a consumer reading our
 * stdout pipe) is woken once per pipe buffer: 64 KiB by default. A
 * bigger pipe halves and halves again the context switches of a bulk
 * transfer. Best effort: the limit (/proc/sys/fs/pipe-max-size) may
 * refuse it.
 */
static void
grow_pipe(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)skit_pipe_set_size(fd, 1 << 20);
}

void
nc_json_connected(const char *local, const char *peer,
		  const struct skit_conn *c)
{
	struct cli_json j;

	cli_json_begin(&j, NULL);
	cli_json_str(&j, "event", "connected");
	cli_json_str(&j, "local", local);
	cli_json_str(&j, "peer", peer);
	cli_tls_json(&j, c, "");
	cli_json_end(&j);
}

void
nc_json_closed(const char *peer, uint64_t sent, uint64_t received, double secs,
	       const char *reason, int error, const struct skit_conn *c)
{
	struct cli_json j;

	cli_json_begin(&j, NULL);
	cli_json_str(&j, "event", "closed");
	cli_json_str(&j, "peer", peer);
	cli_json_uint(&j, "bytes_sent", sent);
	cli_json_uint(&j, "bytes_received", received);
	cli_json_double(&j, "duration_s", secs);
	cli_json_str(&j, "reason", reason);
	if (error)
		cli_json_str(&j, "error", skit_errname(error));
	cli_tls_json(&j, c, "");
	cli_json_end(&j);
}

/* The relay's stats as --json's "closed". */
static void
json_closed(const char *peer_text, const struct skit_relay_stats *st)
{
	nc_json_closed(peer_text, st->bytes[SKIT_DIR_AB],
		       st->bytes[SKIT_DIR_BA],
		       st->end_ns > st->start_ns
			       ? (double)(st->end_ns - st->start_ns) / 1e9
			       : 0,
		       skit_relay_reason_name(st->reason), st->error, NULL);
}

int
nc_session_stdio(int fd, const char *peer_text, const struct nc_sess_opts *o)
{
	struct session s = { 0 };
	struct skit_endpoint io;
	struct skit_relay_end a, b;
	struct skit_relay_cfg cfg = { 0 };
	struct skit_addr stdio_addr;
	const struct skit_relay_stats *st;
	struct skit_err err;
	bool sends = o->dirs & SKIT_RELAY_AB;
	char peer[400];
	int rc;

	memset(&stdio_addr, 0, sizeof(stdio_addr));
	stdio_addr.kind = SKIT_KIND_STDIO;
	rc = skit_endpoint_open(&stdio_addr, SKIT_ROLE_CONNECT, 0, NULL, &io,
				&err);
	if (rc < 0) {
		skit_close(fd);
		return cli_report(&err);
	}
	skit_endpoint_to_end(&io, &a);
	grow_pipe(STDIN_FILENO);
	grow_pipe(STDOUT_FILENO);
	skit_relay_end_from_fd(fd, true, &b);
	rc = session_conn(fd, o, &s, &b, peer_text);
	if (rc > 0) {
		skit_conn_free(b.conn);
		goto out;
	}
	if (rc < 0) {
		fd = -1; /* closed, or b.conn's */
		goto fail;
	}
	if (o->ws) {
		/* the opening handshake first, so that its failure is named */
		rc = cli_ws_handshake(o->ws, b.conn,
				      o->idle_ms > 0 ? o->idle_ms : -1);
		if (rc) {
			skit_conn_free(b.conn);
			skit_endpoint_close(&io);
			return rc;
		}
	}
	rc = skit_loop_new(nc_loop_backend(), &s.loop);
	if (rc == 0 && o->control)
		rc = cli_faults_attach(o->control, s.loop);
	if (rc < 0)
		goto fail;
	/*
	 * --recv-only: nothing will ever be sent, so the peer learns it at
	 * once (stdin is not read, the socket's write side is shut down).
	 */
	if (!sends)
		a.rfd = -1;
	cfg.dirs = o->dirs | SKIT_RELAY_AB;
	cfg.framing = (enum skit_framing)o->framing;
	cfg.idle_ms = o->idle_ms > 0 ? o->idle_ms : 0;
	cfg.send_timeout_ms = o->send_ms;
	cfg.on_close = on_close;
	cfg.data = &s;
	if (o->quit_ms >= 0 && sends) {
		cfg.quit_ms = o->quit_ms ? o->quit_ms : 1;
		/* A datagram peer never says EOF: -q decides how long. */
		cfg.linger_ms = cfg.quit_ms;
	}
	if (o->json) {
		struct skit_sockaddr local;
		char lt[300];

		if (skit_sock_local(fd, &local) < 0)
			memset(&local, 0, sizeof(local));
		nc_json_connected(nc_sa_str(&local, lt, sizeof(lt)), peer_text,
				  b.conn);
	}
	rc = skit_relay_new(s.loop, &a, &b, &cfg, &s.relay);
	if (rc < 0)
		goto fail;
	rc = skit_loop_run(s.loop);
	/*
	 * --no-shutdown without -q or -w, and the peer is done: stdin's EOF
	 * was not passed on, so the session stays open with nothing left
	 * to wait for. It ends by a stop signal, like any wait of connect.
	 */
	while (rc == 0 && !s.ended && o->no_shutdown && sends &&
	       !cli_stopping())
		pause();
	if (!s.ended)
		skit_relay_close(s.relay);
	st = skit_relay_stats(s.relay);
	if (o->json)
		json_closed(peer_text, st);
	/*
	 * Our stdout went away (`skit connect ... | head`): like a filter
	 * killed by SIGPIPE, a normal end, not the peer's fault (side A
	 * NULL: nc_relay_exit leaves stdio's errors to cli_stdout_failed).
	 */
	snprintf(peer, sizeof(peer), "%s %s", o->what, peer_text);
	rc = b.conn && !b.own ? cli_tls_failed(b.conn, peer) : 0;
	if (rc == 0 && o->ws && cli_ws_report(o->ws) >= 0)
		rc = cli_exit_for(o->ws->err.code);
	else if (rc == 0)
		rc = nc_relay_exit(st, &(const struct cli_relay_names){
					       .side = { NULL, peer },
					       .op = o->op,
					       .addr = { NULL, peer_text },
					       .opt = "-w",
				       });
	skit_relay_free(s.relay);
	if (b.conn && !b.own)
		skit_conn_free(b.conn);
	goto out;
fail:
	cli_errorf("relay with %s %s: %s", o->what, peer_text,
		   skit_strerror(rc));
	if (b.conn)
		skit_conn_free(b.conn);
	else if (fd >= 0)
		skit_close(fd);
	rc = CLI_EXIT_FAIL;
out:
	skit_endpoint_close(&io);
	if (o->control)
		cli_faults_detach(o->control);
	skit_loop_free(s.loop);
	return rc;
}
