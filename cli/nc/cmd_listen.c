/*
 * cmd_listen.c - `skit listen ADDRESS` (or nc's `skit listen PORT`):
 * serve one client on stdin/stdout, or with -k many at once: each on
 * its own child (--exec, --sh-exec), all together (--broker, --chat),
 * or fanned in to stdout. Datagram addresses (udp, unix-dgram) serve
 * many peers, each with its own session that expires when idle.
 *
 * Everything runs on one event loop; the bytes move through the relay
 * engine (relay.h), one pair per connection or peer.
 */
#include "cli.h"
#include "cli_tls.h"
#include "nc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	OPT_MAX_CONNS = NC_OPT__NEXT,
	OPT_EXEC,
	OPT_SH_EXEC,
	OPT_BROKER,
	OPT_CHAT,
	OPT_ALLOW,
	OPT_DENY,
	OPT_IDLE,
	OPT_TLS, /* CLI_TLS_NOPTS ids from here */
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
	CLI_TLS_OPTS(OPT_TLS),
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
	SKIT_OPTS_OPEN | SKIT_OPTS_MCAST | SKIT_OPTS_TLS;

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
	struct cli_tls_flags tlsf;
	struct cli_tls tls;
};

struct server;

/* One client or datagram peer served through a relay pair. */
struct conn {
	struct server *srv;
	struct skit_relay *relay;
	struct skit_endpoint ep; /* the --exec child, if any */
	struct skit_conn *tls;	 /* the client's TLS conn, if any */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	char name[300];
	uint64_t hexoff[2]; /* --hex: bytes dumped per direction */
	struct conn *next;
};

struct server {
	struct listen_opts *o;
	struct skit_loop *loop;
	struct skit_addr addr;
	int lfd;
	struct skit_sockaddr local;
	char local_text[300];
	int reserve_fd;
	int64_t resume_timer;
	int64_t reap_timer;
	int nconns;
	int children;	/* --exec children not reaped yet */
	pid_t *pending; /* those whose connection has ended */
	int npending;
	struct conn *conns;
	struct nc_hub *hub;
	int exit_code;
	bool done_accepting;
	int64_t last_emfile_ns;

	/* datagram server without --exec: stdio */
	char *dbuf;
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

static void stop_if_done(struct server *s);

static void
conn_closed(struct skit_relay *r, void *data)
{
	struct conn *c = data, **pp;
	struct server *s = c->srv;
	const struct skit_relay_stats *st = skit_relay_stats(r);
	int rc;

	for (pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->nconns--;
	if (c->tls && (rc = cli_tls_failed(c->tls, c->name)) != 0) {
		if (!s->o->keep)
			s->exit_code = rc;
	} else if (st->reason == SKIT_RELAY_RESET ||
		   st->reason == SKIT_RELAY_ERROR ||
		   (st->reason == SKIT_RELAY_IDLE && !s->o->keep)) {
		/*
		 * One client's trouble is not the server's: say it. An idle
		 * client ends a server without -k (a time-out, exit 5); with
		 * -k it is just gone.
		 */
		char cl[340], child[360];

		snprintf(cl, sizeof(cl), "client %s", c->name);
		snprintf(child, sizeof(child), "the %s child of client %s",
			 s->o->sh ? "--sh-exec" : "--exec", c->name);
		rc = nc_relay_exit(st, &(const struct cli_relay_names){
					       .side = { cl, child },
					       .op = "client",
					       .addr = { c->name, NULL },
					       .opt = "-w",
				       });
		if (!s->o->keep)
			s->exit_code = rc;
	} else if (cli_g.verbose) {
		cli_verbose("%s done (%s, %llu bytes in, %llu out)", c->name,
			    skit_relay_reason_name(st->reason),
			    (unsigned long long)st->bytes[SKIT_DIR_AB],
			    (unsigned long long)st->bytes[SKIT_DIR_BA]);
	}
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
	skit_conn_free(c->tls);
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

/* Start the --exec child for a client on fd (taken). */
static int
start_exec(struct server *s, int fd, const char *name,
	   const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct skit_addr ea;
	struct skit_relay_end a, b;
	struct skit_relay_cfg cfg = { 0 };
	struct skit_err err;
	char envp[2][320];
	char *env[3] = { envp[0], envp[1], NULL };
	int rc;

	if (!c) {
		if (fd >= 0)
			skit_close(fd);
		return -ENOMEM;
	}
	c->srv = s;
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
	if (fd >= 0 && s->o->tls.ctx) {
		/* The pair runs the handshake; conn_closed frees the conn. */
		rc = cli_tls_conn(&s->o->tls, fd, SOCK_STREAM, NULL, NULL,
				  &c->tls);
		fd = -1; /* taken */
		if (rc < 0) {
			cli_errorf("listen: TLS for %s: %s", name,
				   skit_strerror(rc));
			skit_endpoint_close(&c->ep);
			want_reap(s);
			goto fail;
		}
		memset(&a, 0, sizeof(a));
		a.conn = c->tls;
		a.own = false;
	} else if (fd >= 0) {
		skit_relay_end_from_fd(fd, true, &a);
	} else {
		/* A datagram peer: messages are pushed, replies sent to it. */
		memset(&a, 0, sizeof(a));
		a.rfd = a.wfd = s->lfd;
		a.type = s->local.type;
		a.pushed = true;
		memcpy(&a.to, peer, peerlen);
		a.tolen = peerlen;
		memcpy(&c->peer, peer, peerlen);
		c->peerlen = peerlen;
	}
	skit_endpoint_to_end(&c->ep, &b);
	cfg.framing = s->o->so.framing;
	cfg.idle_ms = fd >= 0 ? (s->o->so.idle_ms > 0 ? s->o->so.idle_ms : 0)
			      : s->o->idle_ms;
	cfg.send_timeout_ms = s->o->so.send_ms;
	cfg.linger_ms = -1;
	cfg.on_close = conn_closed;
	cfg.on_data = s->o->so.hex ? conn_hex : NULL;
	cfg.data = c;
	rc = skit_relay_new(s->loop, &a, &b, &cfg, &c->relay);
	if (rc < 0) {
		cli_errorf("listen: relay for %s: %s", name, skit_strerror(rc));
		skit_endpoint_close(&c->ep);
		want_reap(s);
		skit_conn_free(c->tls);
		goto fail;
	}
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	return 0;
fail:
	if (fd >= 0)
		skit_close(fd);
	free(c);
	return rc < 0 ? rc : -EINVAL;
}

static void
stop_if_done(struct server *s)
{
	if (!s->o->keep && s->done_accepting && s->nconns == 0 &&
	    (!s->hub || nc_hub_count(s->hub) == 0))
		skit_loop_stop(s->loop);
}

static void
hub_left(void *data)
{
	stop_if_done(data);
}

/* --- accepting ---------------------------------------------------------- */

static int
active_clients(const struct server *s)
{
	return s->nconns + (s->hub ? nc_hub_count(s->hub) : 0);
}

static void accept_cb(struct skit_loop *loop, int fd, unsigned ev, void *data);

static void
resume_accept(struct skit_loop *loop, void *data)
{
	struct server *s = data;

	s->resume_timer = 0;
	if (s->reserve_fd < 0)
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	skit_loop_mod(loop, s->lfd, SKIT_EV_READ);
}

/*
 * Out of fds: the pending client would make every wakeup report the
 * listener ready again, a busy loop. Free the reserve fd, accept the
 * client, close it at once (it sees the connection end), take the
 * reserve back. If even that fails, stop watching the listener for a
 * while.
 */
static void
on_emfile(struct server *s, int code)
{
	int64_t now = skit_now_ns();
	int fd = -1;

	if (s->reserve_fd >= 0) {
		skit_close(s->reserve_fd);
		s->reserve_fd = -1;
		fd = skit_accept(s->lfd, true, NULL);
		if (fd >= 0)
			skit_close(fd);
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (now - s->last_emfile_ns > 1000000000LL) {
		cli_errorf("listen: accept on %s: %s; %s", s->local_text,
			   skit_strerror(code),
			   fd >= 0 ? "closed the new client"
				   : "pausing accept for 100 ms");
		s->last_emfile_ns = now;
	}
	if (fd < 0 || s->reserve_fd < 0) {
		skit_loop_mod(s->loop, s->lfd, 0);
		if (!s->resume_timer)
			s->resume_timer =
				skit_loop_timer(s->loop, 100, resume_accept, s);
	}
}

static void
stop_accepting(struct server *s)
{
	if (s->done_accepting)
		return;
	s->done_accepting = true;
	skit_loop_del(s->loop, s->lfd);
	skit_close(s->lfd);
	s->lfd = -1;
}

static void
accept_cb(struct skit_loop *loop, int lfd, unsigned ev, void *data)
{
	struct server *s = data;

	(void)loop;
	(void)ev;
	for (int i = 0; i < 64 && !s->done_accepting; i++) {
		struct skit_sockaddr peer;
		char pt[300];
		int fd = skit_accept(lfd, true, &peer);

		if (fd == -EAGAIN)
			return;
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS ||
		    fd == -ENOMEM) {
			on_emfile(s, fd);
			return;
		}
		if (fd < 0)
			continue; /* ECONNABORTED and such: the next one */
		peer.type = s->local.type;
		peer.protocol = s->local.protocol;
		nc_sa_str(&peer, pt, sizeof(pt));
		if (!skit_acl_permits(&s->o->acl,
				      (struct sockaddr *)&peer.ss)) {
			cli_errorf("listen: refused %s: not allowed by "
				   "--allow/--deny",
				   pt);
			skit_close(fd);
			continue;
		}
		if (active_clients(s) >= s->o->max_conns) {
			cli_errorf("listen: refused %s: --max-conns %lld "
				   "reached",
				   pt, s->o->max_conns);
			skit_close(fd);
			continue;
		}
		if (cli_g.verbose)
			cli_verbose("connection from %s", pt);
		if (s->hub)
			nc_hub_add(s->hub, fd, pt);
		else
			start_exec(s, fd, pt, NULL, 0);
		if (!s->o->keep)
			stop_accepting(s);
	}
}

/* --- datagram servers ----------------------------------------------- */

static struct conn *
find_peer(struct server *s, const struct sockaddr_storage *ss, socklen_t len)
{
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->peerlen == len && !memcmp(&c->peer, ss, len))
			return c;
	return NULL;
}

static void
dgram_stdout(struct server *s, const char *p, size_t n)
{
	int rc = skit_frame_write(STDOUT_FILENO, s->o->so.framing, NULL, p, n);

	if (rc == SKIT_ELIMIT) {
		cli_errorf("listen: dropped a %zu-byte datagram: too long for "
			   "--framing len16",
			   n);
	} else if (rc < 0) {
		s->exit_code = cli_stdout_failed(rc);
		skit_loop_stop(s->loop);
	}
}

static void
dgram_cb(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct server *s = data;

	(void)ev;
	for (int i = 0; i < 64; i++) {
		struct skit_sockaddr from = { .len = sizeof(from.ss) };
		struct conn *c;
		char pt[300];
		ssize_t n;

		/* MSG_TRUNC: n is the real length even if it did not fit. */
		n = skit_recvfrom(fd, s->dbuf, NC_MSG_MAX,
				  MSG_DONTWAIT | MSG_TRUNC,
				  (struct sockaddr *)&from.ss, &from.len);
		if (n == -EAGAIN)
			return;
		if (n < 0)
			continue; /* ICMP errors of earlier replies */
		from.family = from.ss.ss_family;
		from.type = s->local.type;
		if (!skit_acl_permits(&s->o->acl, (struct sockaddr *)&from.ss))
			continue;
		if (from.family == AF_UNIX &&
		    from.len <= (socklen_t)sizeof(sa_family_t))
			snprintf(pt, sizeof(pt), "(unnamed)");
		else
			nc_sa_str(&from, pt, sizeof(pt));
		if (n > NC_MSG_MAX) {
			/* Dropped whole: a cut message would pass for one. */
			cli_errorf("listen: dropped a %zd-byte datagram from "
				   "%s: larger than %d bytes",
				   n, pt, NC_MSG_MAX);
			continue;
		}
		if (!s->o->exec) {
			/* stdio: print it; stdin answers the latest sender. */
			memcpy(&s->last, &from.ss, from.len);
			s->lastlen = from.len;
			s->has_last = true;
			if (s->o->so.hex)
				nc_hexdump(stderr, "<", 0, s->dbuf, (size_t)n);
			dgram_stdout(s, s->dbuf, (size_t)n);
			continue;
		}
		c = find_peer(s, &from.ss, from.len);
		if (!c) {
			if (from.len <= (socklen_t)sizeof(sa_family_t)) {
				cli_errorf("listen: a datagram from an unnamed "
					   "unix socket cannot be answered");
				continue;
			}
			if (active_clients(s) >= s->o->max_conns) {
				cli_errorf("listen: dropped a datagram from "
					   "%s: --max-conns %lld reached",
					   pt, s->o->max_conns);
				continue;
			}
			if (s->done_accepting)
				continue;
			if (cli_g.verbose)
				cli_verbose("new peer %s", pt);
			if (start_exec(s, -1, pt, &from.ss, from.len) < 0)
				continue;
			c = s->conns;
			if (!s->o->keep)
				s->done_accepting = true;
		}
		skit_relay_push(c->relay, 0, s->dbuf, (size_t)n);
	}
	(void)loop;
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
		n = skit_sendto(s->lfd, m, len, 0,
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

static int
serve_single_stdio(struct server *s)
{
	struct skit_sockaddr peer;
	char pt[300];
	int fd, w;

	for (;;) {
		w = skit_wait_fd(s->lfd, POLLIN, -1);
		if (w < 0)
			return CLI_EXIT_FAIL;
		fd = skit_accept(s->lfd, true, &peer);
		if (fd == -EAGAIN || fd == -ECONNABORTED)
			continue;
		if (fd < 0) {
			cli_errorf("listen %s: accept: %s", s->local_text,
				   skit_strerror(fd));
			return cli_exit_for(fd);
		}
		peer.type = s->local.type;
		nc_sa_str(&peer, pt, sizeof(pt));
		if (!skit_acl_permits(&s->o->acl,
				      (struct sockaddr *)&peer.ss)) {
			cli_errorf("listen: refused %s: not allowed by "
				   "--allow/--deny",
				   pt);
			skit_close(fd);
			continue;
		}
		break;
	}
	/* One client: nobody else may connect while it is served. */
	skit_close(s->lfd);
	s->lfd = -1;
	if (cli_g.verbose)
		cli_verbose("connection from %s", pt);
	return nc_session_stdio(fd, pt, &s->o->so);
}

/* --exec: a stop signal ends the loop; server_free stops the children. */
static void
on_stop(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	(void)ev;
	(void)data;
	skit_loop_del(loop, fd);
	skit_loop_stop(loop);
}

static int
serve_loop(struct server *s)
{
	int rc;

	rc = skit_loop_new(nc_loop_backend(), &s->loop);
	if (rc < 0)
		return CLI_EXIT_FAIL;
	/*
	 * Children are owed a SIGTERM when skit stops; without them a stop
	 * signal only has the socket file to remove (cli_stop_unlink).
	 */
	if (s->o->exec) {
		rc = cli_stop_watch();
		if (rc == 0)
			rc = skit_loop_add(s->loop, cli_stop_fd(), SKIT_EV_READ,
					   on_stop, s);
		if (rc < 0) {
			cli_errorf("listen: signals: %s", skit_strerror(rc));
			return CLI_EXIT_FAIL;
		}
	}
	if (cli_g.verbose >= 2)
		cli_verbose("event loop: %s", skit_loop_backend_name(s->loop));
	s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->local.type == SOCK_DGRAM) {
		s->dbuf = malloc(NC_MSG_MAX);
		if (!s->dbuf)
			return CLI_EXIT_FAIL;
		skit_loop_add(s->loop, s->lfd, SKIT_EV_READ, dgram_cb, s);
		if (!s->o->exec &&
		    skit_frame_reader_init(&s->in, STDIN_FILENO, NC_MSG_MAX) ==
			    0 &&
		    skit_loop_add(s->loop, STDIN_FILENO, SKIT_EV_READ,
				  dgram_stdin, s) == 0)
			s->in_open = true;
	} else {
		if (!s->o->exec) {
			enum nc_hub_mode m = s->o->chat	    ? NC_HUB_CHAT
					     : s->o->broker ? NC_HUB_BROKER
							    : NC_HUB_FAN;

			s->hub = nc_hub_new(s->loop, m, s->o->so.hex,
					    s->local.type == SOCK_SEQPACKET,
					    s->o->so.framing);
			if (!s->hub)
				return CLI_EXIT_FAIL;
			nc_hub_on_leave(s->hub, hub_left, s);
			nc_hub_set_tls(s->hub, &s->o->tls);
		}
		skit_loop_add(s->loop, s->lfd, SKIT_EV_READ, accept_cb, s);
	}
	rc = skit_loop_run(s->loop);
	if (rc < 0)
		cli_errorf("listen: event loop: %s", skit_strerror(rc));
	return s->exit_code;
}

static void
server_free(struct server *s)
{
	while (s->conns) {
		struct conn *c = s->conns;

		s->conns = c->next;
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
	nc_hub_free(s->hub);
	if (s->in_open)
		skit_loop_del(s->loop, STDIN_FILENO);
	if (s->loop)
		skit_loop_del(s->loop, cli_stop_fd());
	skit_frame_reader_free(&s->in);
	if (s->lfd >= 0) {
		if (s->loop)
			skit_loop_del(s->loop, s->lfd);
		skit_close(s->lfd);
	}
	if (s->reserve_fd >= 0)
		skit_close(s->reserve_fd);
	skit_loop_free(s->loop);
	free(s->dbuf);
	/* We made the socket file: remove it. */
	if (s->addr.kind != SKIT_KIND_NONE && s->local.family == AF_UNIX &&
	    !s->addr.abstract && s->addr.host[0])
		unlink(s->addr.host);
}

static int
run_listen(struct listen_opts *o, int nargs, char **args)
{
	struct server s = { .o = o, .lfd = -1, .reserve_fd = -1 };
	struct skit_err err;
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
	rc = cli_tls_flags_apply(&o->tlsf, &s.addr);
	if (rc)
		return rc;
	rc = cli_addr_check(&s.addr, listen_addr_opts, "skit listen");
	if (rc)
		return rc;
	rc = cli_tls_setup(&s.addr, true, &o->tls);
	if (rc)
		return rc;
	o->so.tls = &o->tls;
	o->so.tls_wait_ms = o->so.idle_ms > 0 ? o->so.idle_ms : -1;
	skit_err_clear(&err);
	s.lfd = skit_open(&s.addr, SKIT_ROLE_LISTEN,
			  SKIT_OPEN_NONBLOCK | nc_open_flags(&o->ao), NULL,
			  &s.local, NULL, &err);
	if (s.lfd < 0) {
		s.addr.kind = SKIT_KIND_NONE; /* not ours to unlink */
		rc = cli_report(&err);
		if (err.code == -EADDRINUSE)
			cli_hint("another server uses this address; for a "
				 "stale unix socket file add ',unlink'");
		return rc;
	}
	nc_sa_str(&s.local, s.local_text, sizeof(s.local_text));
	if (s.local.family == AF_UNIX && !s.addr.abstract && s.addr.host[0])
		cli_stop_unlink(s.addr.host);
	if (cli_g.verbose)
		cli_verbose("listening on %s", s.local_text);
	if (s.local.type == SOCK_DGRAM && !o->framing_set)
		o->so.framing = SKIT_FRAMING_LINE;
	if (s.local.type != SOCK_DGRAM && !o->exec && !o->keep)
		rc = serve_single_stdio(&s);
	else
		rc = serve_loop(&s);
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
			if (c >= OPT_TLS && c < OPT_TLS + CLI_TLS_NOPTS) {
				cli_tls_flag(&o.tlsf, c - OPT_TLS, arg);
				break;
			}
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
	cli_tls_free(&o.tls);
	skit_acl_free(&o.acl);
	return rc;
}
