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
#include "faults.h"
#include "listen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
	OPT_CONTROL,
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
	{ "control", 0, "unix:PATH", OPT_CONTROL,
	  "change the address's faults while running (one client on stdio "
	  "or --exec): NDJSON commands on this socket (docs/faults.md)" },
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
	{ "json", 0, NULL, NC_OPT_JSON,
	  "events on stderr as NDJSON: listening, and for one client on "
	  "stdio connected (the 5-tuple, TLS) and closed (bytes each way, "
	  "duration, reason)" },
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
	SKIT_OPTS_OPEN | SKIT_OPTS_MCAST | SKIT_OPTS_TLS | SKIT_OPTS_WS |
	SKIT_OPT_BIT(IDLE_TIMEOUT) | SKIT_OPTS_FAULT;

/* nc's and ncat's letters that skit listen does another way. */
static const struct cli_habit listen_habits[] = {
	{ "-N", "skit shuts the client's write side down at stdin EOF by "
		"default (--no-shutdown keeps it open)" },
	{ "-d", "did you mean --recv-only? (nc -d: do not read stdin)" },
	{ "-z", "skit listen does not scan; skit connect -w 1 HOST PORT "
		"</dev/null tests one port" },
	{ "-s", "give the local address in the operand: skit listen "
		"tcp:ADDR:PORT" },
	{ "-i", "-w SECS ends a client's session after SECS without "
		"traffic (ncat's -i); skit does not pace lines (nc's -i)" },
	{ "-t", "skit does not answer telnet negotiation" },
	{ "-b", "allow broadcasts with the broadcast address option: "
		"skit listen udp::PORT,broadcast" },
	{ "-T", "set the TOS with the tos= address option: skit listen "
		"tcp::PORT,tos=0x10" },
	{ "-I", "set the receive buffer with rcvbuf=: skit listen "
		"tcp::PORT,rcvbuf=256k" },
	{ "-O", "set the send buffer with sndbuf=: skit listen "
		"tcp::PORT,sndbuf=256k" },
	{ "-M", "set the TTL with ttl=: skit listen udp::PORT,ttl=8" },
	{ "-D", "skit -vv listen ... (or skit --trace) traces every socket "
		"call" },
	{ "-x", "did you mean --hex? (hex dump on stderr; skit listen does "
		"not go through a proxy)" },
	{ "-X", "skit listen does not go through a proxy (skit connect "
		"--proxy does)" },
	{ "-o", "redirect stdout instead: skit listen ... >FILE (--hex "
		"dumps the traffic)" },
	{ "--output", "redirect stdout instead: skit listen ... >FILE" },
	{ "--hex-dump", "did you mean --hex? (the dump goes to stderr)" },
	{ "--lua-exec", "skit runs no Lua: --exec 'PROG ARGS' or --sh-exec "
			"'CMD'" },
	{ "--telnet", "skit does not answer telnet negotiation" },
	{ "--source", "give the local address in the operand: skit listen "
		      "tcp:ADDR:PORT" },
	{ NULL, NULL },
};

static const struct cli_help listen_help = {
	.name = "listen",
	.habits = listen_habits,
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

/* --- relay pairs -------------------------------------------------------- */

static void
stop_if_done(struct server *s)
{
	if (!s->o->keep && s->done_accepting &&
	    (!s->hub || nc_hub_count(s->hub) == 0))
		skit_loop_stop(s->loop);
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
	if (s->o->so.json)
		nc_json_connected(s->local_text, pt, NULL);
	nc_hub_add(s->hub, fd, pt);
	took_the_one(s);
}

/* The serve's reports, at most one a second per kind. */
static void
on_event(struct skit_serve *sv, const struct skit_serve_event *ev, void *data)
{
	struct server *s = data;

	(void)sv;
	cli_serve_event("listen", ev, s->dgram, s->local_text,
			"not allowed by --allow/--deny", NC_MSG_MAX);
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
		.msg_max = NC_MSG_MAX,
		.on_conn = on_conn,
		.on_datagram = listen_dgram_in,
		.on_event = on_event,
		.data = s,
	};
	struct skit_err err;
	int rc;

	rc = skit_loop_new(nc_loop_backend(), &s->loop);
	if (rc == 0)
		rc = cli_stop_watch_loop(s->loop, on_stop, s);
	if (rc < 0) {
		cli_errorf("listen: %s", skit_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (o->exec ? listen_exec_start(s, &err) < 0
		    : skit_serve_open(s->loop, &s->addr, nc_open_flags(&o->ao),
				      &cfg, &s->serve, &err) < 0) {
		rc = cli_report(&err);
		if (err.code == -EADDRINUSE)
			cli_hint("another server uses this address; for a "
				 "stale unix socket file add ',unlink'");
		return rc;
	}
	if (s->serve)
		s->local = *skit_serve_local(s->serve);
	s->dgram = s->local.type == SOCK_DGRAM;
	if (o->so.json && s->dgram && !o->exec) {
		cli_errorf("listen: --json: a datagram listener on stdio has "
			   "no connections to report; use skit recv --json, "
			   "or --exec");
		return CLI_EXIT_USAGE;
	}
	nc_sa_str(&s->local, s->local_text, sizeof(s->local_text));
	if (cli_g.verbose)
		cli_verbose("listening on %s", s->local_text);
	if (o->so.json) {
		struct cli_json j;

		cli_json_begin(&j, NULL);
		cli_json_str(&j, "event", "listening");
		cli_json_str(&j, "address", s->local_text);
		cli_json_end(&j);
	}
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
	    skit_loop_add(s->loop, STDIN_FILENO, SKIT_EV_READ,
			  listen_dgram_stdin, s) == 0)
		s->in_open = true;
	if (!s->dgram && !s->o->exec) {
		enum nc_hub_mode m = s->o->chat	    ? NC_HUB_CHAT
				     : s->o->broker ? NC_HUB_BROKER
						    : NC_HUB_FAN;

		s->hub =
			nc_hub_new(s->loop, m, s->o->so.hex,
				   s->local.type == SOCK_SEQPACKET || s->ws,
				   s->ws ? s->ws1.framing
					 : (enum skit_framing)s->o->so.framing);
		if (!s->hub || (s->ws && nc_hub_set_ws(s->hub, &s->ws1) < 0))
			return CLI_EXIT_FAIL;
		s->ws1.json = s->o->so.json ? stderr : NULL;
		nc_hub_on_leave(s->hub, hub_left, s);
		nc_hub_set_json(s->hub, s->o->so.json);
		nc_hub_set_tls(s->hub, &s->o->tls);
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
	if (s->ws) {
		rc = cli_ws_init(&s->ws1, &s->addr, true, s->o->framing_set,
				 (enum skit_framing)s->o->so.framing);
		if (rc)
			return rc;
		snprintf(s->ws1.peer, sizeof(s->ws1.peer), "%.199s",
			 s->first_name);
		s->ws1.json = s->o->so.json ? stderr : NULL;
		s->o->so.ws = &s->ws1;
	}
	rc = nc_session_stdio(s->first_fd, s->first_name, &s->o->so);
	s->first_fd = -1;
	return rc;
}

static void
server_free(struct server *s)
{
	skit_fwd_free(s->fwd); /* its children asked to go, if still there */
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
	rc = cli_tls_flags_apply(&o->tlsf, &s.addr);
	if (rc == 0)
		rc = cli_addr_check(&s.addr, listen_addr_opts, "skit listen");
	if (rc == 0)
		rc = cli_tls_setup(&s.addr, true, &o->tls);
	if (rc)
		return rc;
	/* idle-timeout= on the address: as -w, each client's idle limit */
	if (skit_addr_has(&s.addr, SKIT_OPT_IDLE_TIMEOUT)) {
		o->so.idle_ms =
			skit_addr_num(&s.addr, SKIT_OPT_IDLE_TIMEOUT, 0);
		o->so.send_ms =
			o->so.idle_ms > 0 ? o->so.idle_ms : CLI_SEND_WAIT_MS;
	}
	rc = nc_faults(&faults, &s.addr, "listen", &o->so);
	if (rc == 0 && o->control) {
		/* the control's changes reach a layer on every client */
		rc = cli_faults_control(&faults, NULL, o->control);
		o->so.faults = &faults.cfg[1];
		o->so.control = &faults;
	}
	if (rc) {
		cli_faults_close(&faults);
		return rc;
	}
	if (o->so.faults && !o->exec &&
	    (o->keep || s.addr.type == SOCK_DGRAM)) {
		cli_errorf("listen: faults work on one client on stdio or "
			   "with --exec, not with -k, --broker, --chat or a "
			   "datagram peer on stdio");
		return CLI_EXIT_USAGE;
	}
	o->so.tls = &o->tls;
	o->so.tls_wait_ms = o->so.idle_ms > 0 ? o->so.idle_ms : -1;
	s.ws = skit_addr_has(&s.addr, SKIT_OPT_WS);
	/* the ws options checked once, not per client */
	if (s.ws && (rc = cli_ws_init(&s.ws1, &s.addr, true, o->framing_set,
				      (enum skit_framing)o->so.framing)))
		return rc;
	rc = open_server(&s);
	if (rc == 0 && cli_faults_attach(&faults, s.loop) < 0) {
		cli_errorf("--control: cannot watch %s", o->control);
		rc = CLI_EXIT_FAIL;
	}
	if (rc == 0) {
		if (s.dgram && !o->framing_set)
			o->so.framing = SKIT_FRAMING_LINE;
		if (!s.dgram && !o->exec && !o->keep)
			rc = serve_single_stdio(&s);
		else
			rc = serve_loop(&s);
	}
	cli_faults_close(&faults); /* before its loop goes */
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
		case OPT_CONTROL:
			o.control = arg;
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
