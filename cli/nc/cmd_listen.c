/*
 * cmd_listen.c - `skit listen ADDRESS` (or nc's `skit listen PORT`):
 * serve one client on stdin/stdout, or with -k many at once: each on
 * its own child (--exec, --sh-exec), all together (--broker, --chat),
 * or fanned in to stdout. Datagram addresses (udp, unix-dgram) serve
 * many peers, each with its own session that expires when idle.
 *
 * The library's serve (serve.h) takes the clients: accept, --max-conns,
 * --allow/--deny, running out of fds, datagram sessions by peer and
 * their expiry, the unix socket file; this file says what it reports.
 * Everything runs on one event loop, which a stop signal ends
 * (cli_stop_watch); the bytes move through the relay engine (relay.h),
 * one pair per connection or peer.
 */
#include "cli.h"
#include "faults.h"
#include "nc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* An --exec child's client is closed lingering this long at most. */
#define EXEC_LINGER_MS 2000

enum {
	OPT_MAX_CONNS = NC_OPT__NEXT,
	OPT_EXEC,
	OPT_SH_EXEC,
	OPT_BROKER,
	OPT_CHAT,
	OPT_ALLOW,
	OPT_DENY,
	OPT_IDLE,
};

static const struct cli_opt listen_opts[] = {
	{ "ipv4", '4', NULL, '4', "IPv4 only" },
	{ "ipv6", '6', NULL, '6', "IPv6 only" },
	{ "crlf", 'C', NULL, 'C',
	  "send \"\\r\\n\" for each \"\\n\" read from stdin" },
	{ "unix", 'U', NULL, 'U',
	  "the operand is a unix socket path (or @name)" },
	{ "allow", 0, "CIDR", OPT_ALLOW,
	  "accept only clients in CIDR (repeatable; 10.0.0.0/8, ::1)" },
	{ "broker", 0, NULL, OPT_BROKER,
	  "relay every client's data to every other client (implies -k)" },
	{ "chat", 0, NULL, OPT_CHAT,
	  "like --broker, line by line, prefixed with the sender's address" },
	{ "deny", 0, "CIDR", OPT_DENY, "refuse clients in CIDR (repeatable)" },
	{ "exec", 'e', "'PROG ARGS'", OPT_EXEC,
	  "run PROG (no shell) for each client, on its stdin/stdout" },
	{ "exit-on-eof", 0, NULL, NC_OPT_EXIT_ON_EOF,
	  "end the session as soon as stdin ends (-q 0)" },
	{ "framing", 0, "MODE", NC_OPT_FRAMING,
	  "messages <-> bytes on datagram/seqpacket sockets: line (default: "
	  "a line with its \\n per message; messages are written as they "
	  "are), len, len16, raw" },
	{ "hex", 0, NULL, NC_OPT_HEX, "dump the traffic in hex on stderr" },
	{ "idle-timeout", 0, "SECS", OPT_IDLE,
	  "datagram servers: forget a peer after SECS without traffic "
	  "(default 60)" },
	{ "keep-open", 'k', NULL, 'k',
	  "keep listening after the first client, serve clients at once" },
	{ "listen", 'l', NULL, 'l',
	  "nc's listen flag, accepted: skit listen always listens" },
	{ "max-conns", 'm', "N", OPT_MAX_CONNS,
	  "with -k: at most N clients at once (default 100)" },
	{ "numeric", 'n', NULL, 'n', "numeric addresses only, no DNS" },
	{ "no-shutdown", 0, NULL, NC_OPT_NO_SHUTDOWN,
	  "do not shut down the client's write side at stdin EOF" },
	{ "port", 'p', "PORT", 'p', "the port to listen on (nc -l -p PORT)" },
	{ "quit", 'q', "SECS", 'q', "end the session SECS after stdin EOF" },
	{ "recv-only", 0, NULL, NC_OPT_RECV_ONLY,
	  "only copy client -> stdout (ignore stdin)" },
	{ "send-only", 0, NULL, NC_OPT_SEND_ONLY, "only copy stdin -> client" },
	{ "sh-exec", 'c', "'CMD'", OPT_SH_EXEC,
	  "run CMD with /bin/sh -c for each client" },
	{ "udp", 'u', NULL, 'u', "UDP instead of TCP (PORT form)" },
	{ "verbose", 'v', NULL, 'v',
	  "print \"listening on ADDRESS\" and each client; -vv traces" },
	{ "wait", 'w', "SECS", 'w',
	  "time limit: SECS without traffic end a client's session (exit 5 "
	  "without -k); a full datagram receiver is waited for SECS "
	  "(default 5)" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Address options listen implements: what skit_open applies (-k,
 * --max-conns, --allow/--deny, --idle-timeout are flags, not options). */
static const uint64_t listen_addr_opts =
	SKIT_OPTS_OPEN | SKIT_OPTS_MCAST | SKIT_OPTS_FAULT;

static const struct cli_help listen_help = {
	.name = "listen",
	.permute = true,
	.synopsis = "skit listen [OPTIONS] ADDRESS | PORT | HOST PORT",
	.about = "Listen on ADDRESS. By default serve one client on "
		 "stdin/stdout and exit when it\nis done; with -k serve "
		 "clients at once until killed. Datagram addresses\n(udp, "
		 "unix-dgram) serve many peers, each answered at its own "
		 "address.",
	.opts = listen_opts,
	.extra = "examples:\n"
		 "  skit listen -v 8080                         one client, "
		 "stdio\n"
		 "  skit listen -k tcp::8080 --exec 'cat'       an echo "
		 "server\n"
		 "  skit listen -k unix:/tmp/s --sh-exec 'date'\n"
		 "  skit listen --broker tcp:127.0.0.1:9000     everyone "
		 "hears everyone\n"
		 "  skit listen -k -u udp::5353 --exec 'cat'    per-peer UDP "
		 "echo\n",
};

struct listen_opts {
	struct nc_addr_opts ao;
	struct nc_sess_opts so;
	bool keep;
	long long max_conns;
	const char *exec;
	bool sh;
	bool broker, chat;
	bool framing_set;
	long long idle_ms; /* datagram peers */
	struct skit_acl acl;
};

struct server;

/* One client or datagram peer served through a relay pair. */
struct conn {
	struct server *srv;
	struct skit_relay *relay;
	struct skit_endpoint ep;       /* the --exec child, if any */
	bool dgram;		       /* a datagram peer's pair */
	struct skit_serve_session *ss; /* its session, while it lasts */
	bool expired;		       /* ss ended for want of traffic */
	char name[300];
	uint64_t hexoff[2]; /* --hex: bytes dumped per direction */
	struct conn *next;
};

struct server {
	struct listen_opts *o;
	struct skit_loop *loop;
	struct skit_addr addr;
	struct skit_serve *serve;
	struct skit_sockaddr local;
	char local_text[300];
	bool dgram;
	int64_t reap_timer;
	/* A datagram a session's pair had no room for: kept, the listener
	 * paused, pushed once there is room (see hold_datagram). */
	struct conn *held_conn;
	char *held;
	size_t held_len;
	int64_t held_timer;
	int children;	/* --exec children not reaped yet */
	pid_t *pending; /* those whose connection has ended */
	int npending;
	struct conn *conns;
	int nconns;
	struct nc_hub *hub;
	int exit_code;
	bool done_accepting;	/* without -k: the one client came */
	int first_fd;		/* the one stdio client, once taken */
	unsigned long fault_id; /* --exec clients, for their faults' seed */
	char first_name[300];

	/* datagram server without --exec: stdio */
	struct skit_frame_reader in;
	bool in_open;
	struct sockaddr_storage last;
	socklen_t lastlen;
	bool has_last;
};

/* --- children --------------------------------------------------------- */

static void
reap(struct skit_loop *loop, void *data)
{
	struct server *s = data;
	pid_t pid;
	int st;

	s->reap_timer = 0;
	for (int i = 0; i < s->npending;) {
		pid = waitpid(s->pending[i], &st, WNOHANG);
		if (pid == 0) {
			i++;
			continue;
		}
		s->pending[i] = s->pending[--s->npending];
		s->children--;
	}
	if (s->children > 0)
		s->reap_timer = skit_loop_timer(loop, 100, reap, s);
}

static void
want_reap(struct server *s)
{
	if (!s->reap_timer && s->children > 0)
		s->reap_timer = skit_loop_timer(s->loop, 0, reap, s);
}

/* --- relay pairs -------------------------------------------------------- */

static void
stop_if_done(struct server *s)
{
	if (!s->o->keep && s->done_accepting && s->nconns == 0 &&
	    (!s->hub || nc_hub_count(s->hub) == 0))
		skit_loop_stop(s->loop);
}

/* How a pair ended, said when it matters: one client's trouble is not
 * the server's. Returns the exit code it stands for. */
static int
conn_report(struct server *s, struct conn *c, const struct skit_relay_stats *st)
{
	char cl[340], child[360];

	if (c->expired && !s->o->keep)
		return cli_report_idle("client", c->name, s->o->idle_ms);
	if (st->reason == SKIT_RELAY_RESET || st->reason == SKIT_RELAY_ERROR ||
	    (st->reason == SKIT_RELAY_IDLE && !s->o->keep)) {
		/* An idle client ends a server without -k (a time-out, exit
		 * 5); with -k it is just gone. */
		snprintf(cl, sizeof(cl), "client %s", c->name);
		snprintf(child, sizeof(child), "the %s child of client %s",
			 s->o->sh ? "--sh-exec" : "--exec", c->name);
		return nc_relay_exit(st, &(const struct cli_relay_names){
						 .side = { cl, child },
						 .op = "client",
						 .addr = { c->name, NULL },
						 .opt = "-w",
					 });
	}
	if (cli_g.verbose)
		cli_verbose("%s done (%s, %llu bytes in, %llu out)", c->name,
			    c->expired ? "idle"
				       : skit_relay_reason_name(st->reason),
			    (unsigned long long)st->bytes[SKIT_DIR_AB],
			    (unsigned long long)st->bytes[SKIT_DIR_BA]);
	return CLI_EXIT_OK;
}

static void
conn_closed(struct skit_relay *r, void *data)
{
	struct conn *c = data, **pp;
	struct server *s = c->srv;
	int rc;

	if (s->held_conn == c)
		s->held_conn = NULL; /* nowhere to go now: the timer resumes */
	for (pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->nconns--;
	rc = conn_report(s, c, skit_relay_stats(r));
	if (rc && !s->o->keep)
		s->exit_code = rc;
	/* The client is gone: the serve counts it off (and forgets the
	 * datagram peer, unless it did first). */
	if (c->ss)
		skit_serve_session_end(s->serve, c->ss);
	else if (!c->dgram)
		skit_serve_release(s->serve, -1);
	skit_endpoint_close(&c->ep);
	if (c->ep.pid > 0) {
		/*
		 * The child got EOF on its socket; it usually exits at once.
		 * Reap it now if so, else from the timer.
		 */
		if (skit_endpoint_wait(&c->ep, false, NULL) == 1) {
			s->children--;
		} else {
			pid_t *np =
				realloc(s->pending, (size_t)(s->npending + 1) *
							    sizeof(*np));

			if (np) {
				s->pending = np;
				s->pending[s->npending++] = c->ep.pid;
			}
			want_reap(s);
		}
	}
	skit_relay_free(r);
	free(c);
	stop_if_done(s);
}

/* --hex for an --exec pair: A is the client, B the child. */
static void
conn_hex(struct skit_relay *r, int dir, const void *buf, size_t len, void *data)
{
	struct conn *c = data;

	(void)r;
	nc_hexdump(stderr, dir == SKIT_DIR_AB ? "<" : ">", c->hexoff[dir], buf,
		   len);
	c->hexoff[dir] += len;
}

/*
 * Start the --exec child for a client on fd (taken), or for the
 * datagram peer of session ss (fd -1). Returns the pair's conn or NULL
 * (fd closed, said why).
 */
static struct conn *
start_exec(struct server *s, int fd, const char *name,
	   struct skit_serve_session *ss)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct skit_addr ea;
	struct skit_relay_end a, b;
	struct skit_relay_cfg cfg = { 0 };
	struct skit_fault_cfg fc;
	struct skit_err err;
	char envp[2][320];
	char *env[3] = { envp[0], envp[1], NULL };
	int rc;

	if (!c)
		goto fail;
	c->srv = s;
	c->ss = ss;
	c->dgram = ss != NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	memset(&ea, 0, sizeof(ea));
	ea.kind = s->o->sh ? SKIT_KIND_SH : SKIT_KIND_EXEC;
	snprintf(ea.host, sizeof(ea.host), "%s", s->o->exec);
	snprintf(envp[0], sizeof(envp[0]), "SKIT_PEER=%s", name);
	snprintf(envp[1], sizeof(envp[1]), "SKIT_LOCAL=%s", s->local_text);
	rc = skit_endpoint_open(&ea, SKIT_ROLE_CONNECT, 0, env, &c->ep, &err);
	if (rc < 0) {
		cli_report(&err);
		goto fail;
	}
	s->children++;
	if (fd >= 0) {
		skit_relay_end_from_fd(fd, true, &a);
	} else {
		/* A datagram peer: messages are pushed, replies sent to it. */
		const struct skit_sockaddr *peer = skit_serve_session_peer(ss);

		memset(&a, 0, sizeof(a));
		a.rfd = a.wfd = skit_serve_listen_fd(s->serve);
		a.type = s->local.type;
		a.pushed = true;
		memcpy(&a.to, &peer->ss, peer->len);
		a.tolen = peer->len;
	}
	skit_endpoint_to_end(&c->ep, &b);
	cfg.framing = s->o->so.framing;
	/* A datagram peer's idle time is the serve's (--idle-timeout). */
	cfg.idle_ms = fd >= 0 && s->o->so.idle_ms > 0 ? s->o->so.idle_ms : 0;
	cfg.send_timeout_ms = s->o->so.send_ms;
	cfg.linger_ms = -1;
	/* The child may answer without reading all the client sent: the
	 * client still gets every byte of it (relay.h). */
	cfg.close_linger_ms = EXEC_LINGER_MS;
	cfg.on_close = conn_closed;
	cfg.on_data = s->o->so.hex ? conn_hex : NULL;
	cfg.data = c;
	if (s->o->so.faults) {
		/* the client's end, numbered for the seed */
		fc = *s->o->so.faults;
		fc.conn_id = ++s->fault_id;
		cfg.faults[0] = &fc;
	}
	rc = skit_relay_new(s->loop, &a, &b, &cfg, &c->relay);
	if (rc < 0) {
		cli_errorf("listen: relay for %s: %s", name, skit_strerror(rc));
		skit_endpoint_close(&c->ep);
		want_reap(s);
		goto fail;
	}
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	return c;
fail:
	if (fd >= 0)
		skit_close(fd);
	free(c);
	return NULL;
}

static void
hub_left(void *data)
{
	struct server *s = data;

	skit_serve_release(s->serve, -1);
	stop_if_done(s);
}

/* --- what the serve hands over ------------------------------------- */

/* Without -k: the one client came; nobody else may connect. */
static void
took_the_one(struct server *s)
{
	if (s->o->keep)
		return;
	s->done_accepting = true;
	skit_serve_close(s->serve); /* the listener closes, the file goes */
}

static void
on_conn(struct skit_serve *sv, int fd, const struct skit_sockaddr *peer,
	void *data)
{
	struct server *s = data;
	char pt[300];

	nc_sa_str(peer, pt, sizeof(pt));
	if (cli_g.verbose)
		cli_verbose("connection from %s", pt);
	if (s->first_fd == -2) {
		/* The stdio session, after the loop. */
		s->first_fd = fd;
		snprintf(s->first_name, sizeof(s->first_name), "%s", pt);
		took_the_one(s);
		skit_loop_stop(s->loop);
		return;
	}
	if (s->hub)
		nc_hub_add(s->hub, fd, pt);
	else if (!start_exec(s, fd, pt, NULL))
		skit_serve_release(sv, -1);
	took_the_one(s);
}

static void *
on_session(struct skit_serve *sv, struct skit_serve_session *ss, void *data)
{
	struct server *s = data;
	char pt[300];
	struct conn *c;

	(void)sv;
	nc_sa_str(skit_serve_session_peer(ss), pt, sizeof(pt));
	if (cli_g.verbose)
		cli_verbose("new peer %s", pt);
	c = start_exec(s, -1, pt, ss);
	if (c)
		took_the_one(s);
	return c;
}

static void
on_session_end(struct skit_serve *sv, struct skit_serve_session *ss,
	       enum skit_serve_end why, void *data)
{
	struct conn *c = skit_serve_session_data(ss);

	(void)sv;
	(void)data;
	/* The serve forgot the peer: the pair goes (the child sees EOF). */
	c->ss = NULL;
	c->expired = why == SKIT_SERVE_END_IDLE;
	skit_relay_close(c->relay);
}

/*
 * The held datagram's pair had no room: try again. Once it is pushed
 * (or its pair has ended) the listener is read again.
 */
static void
on_held(struct skit_loop *loop, void *data)
{
	struct server *s = data;
	struct conn *c = s->held_conn;

	s->held_timer = 0;
	if (c && !skit_relay_push_fits(c->relay, 0, s->held_len)) {
		s->held_timer = skit_loop_timer(loop, 2, on_held, s);
		return;
	}
	s->held_conn = NULL;
	skit_serve_pause(s->serve, false);
	/* May end the pair (conn_closed): c is not touched after. */
	if (c)
		skit_relay_push(c->relay, 0, s->held, s->held_len);
}

/*
 * A child slower than its datagram peer: rather than drop a message,
 * keep it and stop reading the listener until the pair has room. A
 * unix-dgram sender is then held back by the kernel (its own time
 * limit applies); UDP senders lose what the socket buffer cannot hold,
 * as UDP does. Every peer waits meanwhile: one listener, one queue.
 */
static bool
hold_datagram(struct server *s, struct conn *c, const void *msg, size_t n)
{
	if (!s->held && !(s->held = malloc(NC_MSG_MAX)))
		return false;
	memcpy(s->held, msg, n);
	s->held_len = n;
	s->held_conn = c;
	skit_serve_pause(s->serve, true);
	s->held_timer = skit_loop_timer(s->loop, 2, on_held, s);
	if (s->held_timer <= 0) {
		s->held_timer = 0;
		s->held_conn = NULL;
		skit_serve_pause(s->serve, false);
		return false;
	}
	return true;
}

static void
on_datagram(struct skit_serve *sv, struct skit_serve_session *ss,
	    const void *msg, size_t n, void *data)
{
	struct server *s = data;
	const struct skit_sockaddr *from = skit_serve_session_peer(ss);
	int rc;

	(void)sv;
	if (s->o->exec) {
		struct conn *c = skit_serve_session_data(ss);

		if (!skit_relay_push_fits(c->relay, 0, n) && n <= NC_MSG_MAX &&
		    hold_datagram(s, c, msg, n))
			return;
		/* May end the pair (conn_closed): c is not touched after. */
		skit_relay_push(c->relay, 0, msg, n);
		return;
	}
	/* stdio: print it; stdin answers the latest sender. */
	memcpy(&s->last, &from->ss, from->len);
	s->lastlen = from->len;
	s->has_last = true;
	if (s->o->so.hex)
		nc_hexdump(stderr, "<", 0, msg, n);
	rc = skit_frame_write(STDOUT_FILENO, s->o->so.framing, NULL, msg, n);
	if (rc == SKIT_ELIMIT) {
		cli_errorf("listen: dropped a %zu-byte datagram: too long for "
			   "--framing len16",
			   n);
	} else if (rc < 0) {
		s->exit_code = cli_stdout_failed(rc);
		skit_loop_stop(s->loop);
	}
}

/* The serve's reports, at most one a second per kind. */
static void
on_event(struct skit_serve *sv, const struct skit_serve_event *ev, void *data)
{
	struct server *s = data;
	char pt[300] = "?", who[360], many[64] = "";

	(void)sv;
	if (ev->peer)
		nc_sa_str(ev->peer, pt, sizeof(pt));
	if (ev->count > 1)
		snprintf(many, sizeof(many), " (%llu times within a second)",
			 (unsigned long long)ev->count);
	if (s->dgram)
		snprintf(who, sizeof(who), "dropped a datagram from %s", pt);
	else
		snprintf(who, sizeof(who), "refused %s", pt);
	switch (ev->kind) {
	case SKIT_SERVE_LIMIT:
		cli_errorf("listen: %s: --max-conns %d reached%s", who,
			   ev->max_conns, many);
		break;
	case SKIT_SERVE_DENIED:
		cli_errorf("listen: %s: not allowed by --allow/--deny%s", who,
			   many);
		break;
	case SKIT_SERVE_NOFD:
		cli_errorf("listen: accept on %s: %s; %s%s", s->local_text,
			   skit_strerror(ev->code),
			   ev->paused ? "pausing accept for 100 ms"
				      : "closed the new client",
			   many);
		break;
	case SKIT_SERVE_UNNAMED:
		cli_errorf("listen: a datagram from an unnamed unix socket "
			   "cannot be answered%s",
			   many);
		break;
	case SKIT_SERVE_TOOBIG:
		cli_errorf("listen: dropped a %zu-byte datagram from %s: "
			   "larger than %d bytes%s",
			   ev->len, pt, NC_MSG_MAX, many);
		break;
	default:
		break;
	}
}

/* stdin of a datagram server without --exec: to the latest sender. */
static void
dgram_stdin(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct server *s = data;
	const char *m;
	size_t len;
	ssize_t n;
	int rc;

	(void)ev;
	rc = skit_frame_reader_fill(&s->in);
	while ((rc = skit_frame_reader_take(&s->in, s->o->so.framing, &m,
					    &len)) > 0) {
		if (!s->has_last) {
			cli_errorf("listen: no peer yet: dropped a message "
				   "from stdin");
			continue;
		}
		/* The socket never blocks: a full peer loses the line. */
		n = skit_sendto(skit_serve_listen_fd(s->serve), m, len, 0,
				(const struct sockaddr *)&s->last, s->lastlen);
		if (n == -EAGAIN)
			cli_errorf("listen: %s (EAGAIN): dropped a message "
				   "from stdin",
				   skit_strerror(SKIT_EFULL));
		else if (n < 0)
			cli_errorf("listen: dropped a %zu-byte message from "
				   "stdin: %s",
				   len, skit_strerror((int)n));
	}
	if (s->in.eof || rc < 0) {
		skit_loop_del(loop, fd);
		s->in_open = false;
	}
}

/* --- setup ------------------------------------------------------------ */

/* A stop signal ends the loop; server_free stops the children. */
static void
on_stop(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	(void)ev;
	(void)data;
	skit_loop_del(loop, fd);
	skit_loop_stop(loop);
}

static int
open_server(struct server *s)
{
	struct listen_opts *o = s->o;
	struct skit_serve_cfg cfg = {
		/* without -k one client: the limit has nothing to count */
		.max_conns = o->keep ? (int)o->max_conns : 0,
		.acl = skit_acl_empty(&o->acl) ? NULL : &o->acl,
		.batch = 64,
		.session_idle_ms = o->idle_ms > 0 ? o->idle_ms : -1,
		.msg_max = NC_MSG_MAX,
		.on_conn = on_conn,
		.on_session = o->exec ? on_session : NULL,
		.on_datagram = on_datagram,
		.on_session_end = on_session_end,
		.on_event = on_event,
		.data = s,
	};
	struct skit_err err;
	int rc;

	rc = skit_loop_new(nc_loop_backend(), &s->loop);
	if (rc == 0)
		rc = cli_stop_watch();
	if (rc == 0)
		rc = skit_loop_add(s->loop, cli_stop_fd(), SKIT_EV_READ,
				   on_stop, s);
	if (rc < 0) {
		cli_errorf("listen: %s", skit_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (skit_serve_open(s->loop, &s->addr, nc_open_flags(&o->ao), &cfg,
			    &s->serve, &err) < 0) {
		rc = cli_report(&err);
		if (err.code == -EADDRINUSE)
			cli_hint("another server uses this address; for a "
				 "stale unix socket file add ',unlink'");
		return rc;
	}
	s->local = *skit_serve_local(s->serve);
	s->dgram = s->local.type == SOCK_DGRAM;
	nc_sa_str(&s->local, s->local_text, sizeof(s->local_text));
	if (cli_g.verbose)
		cli_verbose("listening on %s", s->local_text);
	if (cli_g.verbose >= 2)
		cli_verbose("event loop: %s", skit_loop_backend_name(s->loop));
	return 0;
}

static int
serve_loop(struct server *s)
{
	int rc;

	if (s->dgram && !s->o->exec &&
	    skit_frame_reader_init(&s->in, STDIN_FILENO, NC_MSG_MAX) == 0 &&
	    skit_loop_add(s->loop, STDIN_FILENO, SKIT_EV_READ, dgram_stdin,
			  s) == 0)
		s->in_open = true;
	if (!s->dgram && !s->o->exec) {
		enum nc_hub_mode m = s->o->chat	    ? NC_HUB_CHAT
				     : s->o->broker ? NC_HUB_BROKER
						    : NC_HUB_FAN;

		s->hub = nc_hub_new(s->loop, m, s->o->so.hex,
				    s->local.type == SOCK_SEQPACKET,
				    s->o->so.framing);
		if (!s->hub)
			return CLI_EXIT_FAIL;
		nc_hub_on_leave(s->hub, hub_left, s);
	}
	rc = skit_loop_run(s->loop);
	if (rc < 0)
		cli_errorf("listen: event loop: %s", skit_strerror(rc));
	return s->exit_code;
}

/*
 * One client on stdin/stdout: the loop takes it (or a stop signal
 * comes first), the listener closes, then the session runs; a stop
 * signal ends it at once from there (cli/stop.c), nothing left to
 * clean up.
 */
static int
serve_single_stdio(struct server *s)
{
	int rc;

	s->first_fd = -2; /* on_conn: keep the first client for us */
	rc = skit_loop_run(s->loop);
	if (rc < 0) {
		cli_errorf("listen: event loop: %s", skit_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (s->first_fd < 0)
		return CLI_EXIT_OK; /* stopped by a signal */
	skit_serve_free(s->serve);
	s->serve = NULL;
	cli_stop_unwatch();
	if (cli_stopping())
		return CLI_EXIT_OK;
	rc = nc_session_stdio(s->first_fd, s->first_name, &s->o->so);
	s->first_fd = -1;
	return rc;
}

static void
server_free(struct server *s)
{
	while (s->conns) {
		struct conn *c = s->conns;

		s->conns = c->next;
		if (c->ss)
			skit_serve_session_end(s->serve, c->ss);
		skit_relay_free(c->relay);
		skit_endpoint_close(&c->ep);
		if (c->ep.pid > 0) {
			kill(c->ep.pid, SIGTERM);
			skit_endpoint_wait(&c->ep, true, NULL);
		}
		free(c);
	}
	/*
	 * Children whose client is gone have seen EOF and usually exit by
	 * themselves; one that does not (it ignores its input) is asked to
	 * before skit exits, so no child outlives its server.
	 */
	for (int i = 0; i < s->npending; i++) {
		if (waitpid(s->pending[i], NULL, WNOHANG) == 0) {
			kill(s->pending[i], SIGTERM);
			waitpid(s->pending[i], NULL, 0);
		}
	}
	free(s->pending);
	if (s->held_timer)
		skit_loop_timer_cancel(s->loop, s->held_timer);
	free(s->held);
	nc_hub_free(s->hub);
	if (s->in_open)
		skit_loop_del(s->loop, STDIN_FILENO);
	skit_frame_reader_free(&s->in);
	if (s->first_fd >= 0)
		skit_close(s->first_fd);
	/* Our socket file goes with the serve, if it is still ours. */
	skit_serve_free(s->serve);
	if (s->loop)
		skit_loop_del(s->loop, cli_stop_fd());
	skit_loop_free(s->loop);
}

static int
run_listen(struct listen_opts *o, int nargs, char **args)
{
	struct server s = { .o = o, .first_fd = -1 };
	static struct cli_faults faults; /* lives through the sessions */
	char text[SKIT_ADDR_TEXT_MAX + 300];
	int rc;

	rc = nc_build_addr(nargs, args, SKIT_ROLE_LISTEN, &o->ao, &s.addr, text,
			   sizeof(text));
	if (rc)
		return rc;
	if (!skit_kind_is_socket(s.addr.kind)) {
		cli_errorf("listen: '%s' is not a socket address", text);
		return CLI_EXIT_USAGE;
	}
	rc = cli_addr_check(&s.addr, listen_addr_opts, "skit listen");
	if (rc)
		return rc;
	rc = nc_faults(&faults, &s.addr, "listen", &o->so);
	if (rc)
		return rc;
	if (o->so.faults && !o->exec &&
	    (o->keep || s.addr.type == SOCK_DGRAM)) {
		cli_errorf("listen: faults work on one client on stdio or "
			   "with --exec, not with -k, --broker, --chat or a "
			   "datagram peer on stdio");
		return CLI_EXIT_USAGE;
	}
	rc = open_server(&s);
	if (rc == 0) {
		if (s.dgram && !o->framing_set)
			o->so.framing = SKIT_FRAMING_LINE;
		if (!s.dgram && !o->exec && !o->keep)
			rc = serve_single_stdio(&s);
		else
			rc = serve_loop(&s);
	}
	server_free(&s);
	return rc;
}

int
cmd_listen(int argc, char **argv)
{
	struct listen_opts o = { .max_conns = 100, .idle_ms = 60000 };
	struct cli_getopt_state st = { 0 };
	const char *arg;
	int c, rc = 0;

	o.so.dirs = SKIT_RELAY_BOTH;
	o.so.quit_ms = -1;
	o.so.what = "client";
	o.so.op = "client";
	o.so.framing = SKIT_FRAMING_LINE;
	while ((c = cli_getopt(argc, argv, &listen_help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			cli_getopt_done(&st);
			skit_acl_free(&o.acl);
			return CLI_EXIT_OK;
		case OPT_ALLOW:
			rc = cli_acl_add(&o.acl, true, arg);
			break;
		case OPT_BROKER:
			o.broker = o.keep = true;
			break;
		case OPT_CHAT:
			o.chat = o.keep = true;
			break;
		case OPT_DENY:
			rc = cli_acl_add(&o.acl, false, arg);
			break;
		case OPT_EXEC:
			o.exec = arg;
			o.sh = false;
			break;
		case OPT_IDLE:
			rc = cli_parse_duration_ms("--idle-timeout", arg,
						   &o.idle_ms)
				     ? 2
				     : 0;
			break;
		case 'k':
			o.keep = true;
			break;
		case 'l':
			/* nc's "listen mode": skit listen always is. */
			break;
		case OPT_MAX_CONNS:
			rc = cli_parse_int("--max-conns", arg, 1, 1000000,
					   &o.max_conns)
				     ? 2
				     : 0;
			break;
		case OPT_SH_EXEC:
			o.exec = arg;
			o.sh = true;
			break;
		case 'w':
			rc = cli_parse_duration_ms("-w", arg, &o.so.idle_ms)
				     ? 2
				     : 0;
			break;
		default:
			/* -4 -6 -u -U -n -p -C -q -v and the NC_OPT_* flags. */
			rc = nc_common_opt(c, arg, &o.ao, &o.so,
					   &o.framing_set);
			if (rc < 0)
				rc = CLI_EXIT_USAGE;
		}
		if (rc) {
			cli_getopt_done(&st);
			skit_acl_free(&o.acl);
			return rc;
		}
	}
	cli_getopt_done(&st);
	o.so.send_ms = o.so.idle_ms > 0 ? o.so.idle_ms : CLI_SEND_WAIT_MS;
	if (cli_g.verbose >= 2)
		nc_trace_stderr();
	if (o.exec && (o.broker || o.chat)) {
		cli_errorf("listen: --exec and --broker/--chat do not mix");
		rc = CLI_EXIT_USAGE;
	} else if (o.exec && strlen(o.exec) >= SKIT_HOST_MAX) {
		cli_errorf("listen: the --exec command is longer than %d bytes",
			   SKIT_HOST_MAX - 1);
		rc = CLI_EXIT_USAGE;
	} else {
		rc = run_listen(&o, argc - optind, argv + optind);
	}
	skit_acl_free(&o.acl);
	return rc;
}
