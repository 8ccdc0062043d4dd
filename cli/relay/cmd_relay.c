/*
 * cmd_relay.c - `skit relay A B`: socat's job with skit's grammar.
 *
 * Options, addresses, output and exit codes; the work is the library's
 * forward (skit/forward.h): with no listening side, A and B are opened
 * and relayed once (exit with the pair's result: 7 when a peer reset);
 * with a -listen side, each client (or datagram peer) gets its own
 * freshly opened other side and pair, all on one loop (socat's fork,
 * without forking; without fork one client, then skit exits). The side
 * that connects is a dial with the address's retry policy.
 */
#include "relay.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

enum {
	OPT_FRAMING = 256,
	OPT_NO_SPLICE,
	OPT_MAX_CONNS,
	OPT_JSON,
	OPT_DEBUG,
	OPT_CONTROL,
};

/* A server's close of the sockets it owns (relay.h close_linger_ms). */
#define RELAY_LINGER_MS 2000

static const struct cli_opt relay_opts[] = {
	{ "unidirectional", 'u', NULL, 'u', "relay A -> B only" },
	{ "reverse", 'U', NULL, 'U', "relay B -> A only" },
	{ "framing", 0, "MODE", OPT_FRAMING,
	  "stream <-> message framing: raw (default), line (a line with its "
	  "\\n per message), len (len32) or len16; messages are written to "
	  "the stream as they are" },
	{ "no-splice", 0, NULL, OPT_NO_SPLICE,
	  "copy through a buffer instead of splice()" },
	{ "max-conns", 0, "N", OPT_MAX_CONNS,
	  "serve many connections, at most N at once (implies fork); one "
	  "more is closed at once, with a message" },
	{ "idle-timeout", 'T', "SECS", 'T',
	  "end a pair after SECS without traffic (idle-timeout= on an "
	  "address; UDP sessions: default 60; exit 5 without fork); a full "
	  "datagram receiver is waited for SECS (default 5)" },
	{ "linger", 't', "SECS", 't',
	  "wait this long for datagram replies once the other direction "
	  "is done (default 0.5)" },
	{ "json", 0, NULL, OPT_JSON,
	  "NDJSON events (listening, open, close, retry, fault, table)" },
	{ "control", 0, "unix:PATH", OPT_CONTROL,
	  "change the address's faults while running: NDJSON commands on "
	  "this socket (docs/faults.md)" },
	{ "hex", 'x', NULL, 'x', "hex dump of the traffic on stderr" },
	{ "buffer", 'b', "SIZE", 'b',
	  "copy buffer and splice pipe size (default 256k, growing to 2m "
	  "into TCP, and 1m)" },
	{ "numeric", 'n', NULL, 'n', "no DNS lookups" },
	{ "verbose", 'v', NULL, 'v',
	  "log listening address, each connection and its close" },
	{ "debug", 'd', NULL, OPT_DEBUG,
	  "socat's -d: the same as -v (-d -d is -vv)" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Address options relay implements: all of them (fork=, max-conns=,
 * range=, retry=, interval=, forever, connect-timeout=, idle-timeout=,
 * file options through the endpoints). */
static const uint64_t relay_addr_opts = SKIT_OPTS_ALL;

static const struct cli_help relay_help = {
	.name = "relay",
	.synopsis = "skit relay [options] ADDRESS_A ADDRESS_B",
	.about = "Relay data both ways between two endpoints of any kind "
		 "(sockets in either role, - for stdio, file:, pipe, exec:, "
		 "sh:), zero-copy with splice() where the kernel allows. A "
		 "side whose kind ends in -listen accepts connections; with "
		 "its fork option each connection gets its own fresh other "
		 "side. socat's address names work too (TCP-LISTEN:8080,fork,"
		 "reuseaddr). SIGUSR1 prints the live connection table.",
	.opts = relay_opts,
	.extra =
		"examples:\n"
		"  skit relay tcp-listen:8080,fork,reuseaddr tcp:10.0.0.2:80\n"
		"  skit relay unix-listen:/run/app.sock,unlink tcp:[::1]:9000\n"
		"  skit relay udp-listen:5353,fork udp:127.0.0.1:53\n"
		"  skit relay tcp-listen:7000,fork exec:'tr a-z A-Z'\n"
		"  skit relay -u - file:/tmp/out,create,trunc\n"
		"  skit relay 'TCP-LISTEN:8080,fork' "
		"'TCP:127.0.0.1:80,retry=10,interval=0.5'\n",
};

/* --- what the forward reports ----------------------------------------- */

/* Without fork, the one pair's end (or failure) is the run's. */
static void
one_done(struct app *app, int code)
{
	if (app->fork)
		return;
	app->exit_code = code;
	skit_loop_stop(app->loop);
}

static void
on_close(struct skit_fwd *f, struct skit_fwd_pair *rec,
	 const struct skit_relay_stats *st, void *data)
{
	struct app *app = data;
	char a[300], b[300];
	int code;

	(void)f;
	relay_log_close(app, rec, st);
	/* A TLS side that failed says why (a handshake, a truncation). */
	for (int i = 0; i < 2; i++) {
		const struct skit_conn *c = skit_fwd_pair_conn(rec, i);
		code = c ? cli_tls_failed(c, relay_side_desc(app, rec, i, a,
							     sizeof(a)))
			 : 0;

		if (code) {
			one_done(app, code);
			return;
		}
	}
	/* So does a WebSocket side (a protocol error, no close frame). */
	if ((code = relay_ws_failed(rec)) >= 0) {
		one_done(app, code);
		return;
	}
	/* Without fork the pair's end is the run's: an error or a time
	 * limit is said and gives the exit code. */
	if (!app->fork && (st->error || st->reason == SKIT_RELAY_IDLE)) {
		struct cli_relay_names n = {
			.side = { relay_side_desc(app, rec, 0, a, sizeof(a)),
				  relay_side_desc(app, rec, 1, b, sizeof(b)) },
			.op = "relay",
			.addr = { app->text[0], app->text[1] },
			.opt = "-T",
		};

		/* A '-' side is our stdin/stdout: say which of them. */
		for (int i = 0; i < 2; i++)
			if (app->addr[i].kind == SKIT_KIND_STDIO)
				n.side[i] = NULL;
		one_done(app, cli_relay_error(st, &n));
	} else {
		one_done(app, CLI_EXIT_OK);
	}
}

static void
on_fail(struct skit_fwd *f, struct skit_fwd_pair *rec, int side, int code,
	const struct skit_err *err, void *data)
{
	struct app *app = data;

	(void)f, (void)side, (void)code;
	if (app->lside >= 0)
		cli_verbose("relay #%lu: not opened", skit_fwd_pair_id(rec));
	one_done(app, cli_report(err));
}

static void
on_retry(struct skit_fwd *f, struct skit_fwd_pair *rec, int attempt,
	 int64_t delay_ms, const struct skit_err *why, void *data)
{
	struct app *app = data;
	int side = !app->lside; /* the side that dials: not the listener */

	(void)f;
	if (app->lside < 0) /* one pair: A first, then B */
		side = skit_fwd_pair_opened(rec, 0);
	if (cli_g.verbose)
		cli_retry_line(why, attempt, cli_retry_of(&app->addr[side]),
			       (long long)delay_ms);
	if (app->json)
		relay_retry_event(app, rec, attempt, delay_ms, why);
}

/* The listener's reports (serve.h), as every server says them. */
static void
on_event(struct skit_fwd *f, const struct skit_serve_event *ev, void *data)
{
	struct app *app = data;

	(void)f;
	cli_serve_event("relay", ev, app->addr[app->lside].type == SOCK_DGRAM,
			app->ldesc, "outside range=", 65536);
	if (ev->kind == SKIT_SERVE_NOFD && !ev->paused && ev->code == -EMFILE)
		cli_hint("raise the open-file limit (ulimit -n) or lower "
			 "--max-conns");
}

/* SIGUSR1: the table; SIGCHLD: reap; a stop signal: end the loop. */
static void
on_signal(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct app *app = data;
	struct signalfd_siginfo si;

	(void)ev;
	while (skit_read_some(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			relay_table(app);
		else if (si.ssi_signo == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
}

static void
on_stop(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	(void)ev;
	(void)data;
	cli_verbose("relay: stopping on a signal");
	(void)skit_loop_del(loop, fd);
	skit_loop_stop(loop);
}

/* --- setup ----------------------------------------------------------- */

static int
parse_args(int argc, char **argv, struct app *app)
{
	struct cli_getopt_state gs = { 0 };
	const char *arg;
	long long v;
	int c, rc = 0;

	while (!rc &&
	       (c = cli_getopt(argc, argv, &relay_help, &gs, &arg)) != -1) {
		switch (c) {
		case -2:
			rc = -1;
			break;
		case 'u':
		case 'U':
			app->dirs = c == 'u' ? SKIT_RELAY_AB : SKIT_RELAY_BA;
			break;
		case 'n':
			app->numeric = true;
			break;
		case 'v':
		case OPT_DEBUG: /* socat's -d */
			cli_g.verbose++;
			break;
		case OPT_FRAMING:
			if (skit_framing_parse(arg, &app->framing) < 0) {
				cli_errorf("relay: --framing: '%s' is not raw, "
					   "line, len, len32 or len16",
					   arg);
				rc = CLI_EXIT_USAGE;
			}
			break;
		case OPT_NO_SPLICE:
			app->no_splice = true;
			break;
		case OPT_MAX_CONNS:
			rc = cli_parse_int("--max-conns", arg, 1, 100000,
					   &app->max_conns)
				     ? CLI_EXIT_USAGE
				     : 0;
			app->fork = true;
			break;
		case 'T':
			rc = cli_parse_duration_ms("--idle-timeout", arg,
						   &app->idle_ms)
				     ? CLI_EXIT_USAGE
				     : 0;
			break;
		case 't':
			rc = cli_parse_duration_ms("--linger", arg, &v)
				     ? CLI_EXIT_USAGE
				     : 0;
			app->linger_ms = v ? v : -1;
			break;
		case OPT_JSON:
			app->json = true;
			break;
		case OPT_CONTROL:
			app->control = arg;
			break;
		case 'b':
			rc = cli_parse_size_range("--buffer", arg, 4096,
						  1 << 30, &v)
				     ? CLI_EXIT_USAGE
				     : 0;
			app->bufsize = (size_t)v;
			break;
		case 'x':
			app->hex = true;
			break;
		default:
			rc = CLI_EXIT_USAGE;
		}
	}
	cli_getopt_done(&gs);
	if (rc)
		return rc < 0 ? rc : CLI_EXIT_USAGE;
	if (argc - optind != 2) {
		cli_errorf("relay: needs two addresses, A and B");
		fprintf(stderr, "usage: %s\n", relay_help.synopsis);
		return CLI_EXIT_USAGE;
	}
	app->text[0] = argv[optind];
	app->text[1] = argv[optind + 1];
	/* -vv (socat's -d -d) also traces the socket calls. */
	if (cli_g.verbose >= 2)
		cli_trace_start(cli_g.trace_json);
	return 0;
}

static int
parse_addrs(struct app *app)
{
	const struct skit_addr *l;
	struct skit_err err;
	int rc;

	app->lside = -1;
	for (int i = 0; i < 2; i++) {
		skit_err_clear(&err);
		if (skit_addr_parse(app->text[i], SKIT_ROLE_CONNECT,
				    &app->addr[i], &err) < 0)
			return cli_report(&err);
		rc = cli_addr_check(&app->addr[i], relay_addr_opts,
				    "skit relay");
		if (rc)
			return rc;
		if (app->addr[i].role != SKIT_ROLE_LISTEN)
			continue;
		if (app->lside >= 0) {
			cli_errorf("relay: only one side may listen ('%s' and "
				   "'%s' both do)",
				   app->text[0], app->text[1]);
			return CLI_EXIT_USAGE;
		}
		app->lside = i;
	}
	for (int i = 0; i < 2; i++) {
		rc = cli_tls_setup(&app->addr[i], i == app->lside,
				   &app->tls[i]);
		if (rc)
			return rc;
	}
	rc = relay_ws_check(app);
	if (rc || app->lside < 0)
		return rc;
	l = &app->addr[app->lside];
	/* The forward applies max-conns=, range= and idle-timeout=. */
	app->fork = app->fork || skit_addr_num(l, SKIT_OPT_FORK, 0) ||
		    skit_addr_has(l, SKIT_OPT_MAX_CONNS);
	if (app->fork && app->addr[!app->lside].kind == SKIT_KIND_STDIO) {
		cli_errorf("relay: '%s' cannot be opened once per connection "
			   "(fork)",
			   app->text[!app->lside]);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* The loop's own: SIGUSR1, SIGCHLD, and the stop signals (cli/stop.c). */
static int
watch_signals(struct app *app)
{
	sigset_t set;
	int e;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	app->sigfd = skit_signalfd(&set);
	if (app->sigfd < 0)
		return app->sigfd;
	e = skit_loop_add(app->loop, app->sigfd, SKIT_EV_READ, on_signal, app);
	if (e == 0)
		e = cli_stop_watch_loop(app->loop, on_stop, app);
	return e;
}

/* -u / -U: whether the relay only reads or only writes a side (file:
 * picks its open mode so); -n: no DNS. */
static unsigned
side_flags(const struct app *app, int side)
{
	unsigned fl = app->numeric ? SKIT_EP_NUMERIC : 0;

	if (app->dirs == SKIT_RELAY_AB)
		fl |= side == 0 ? SKIT_EP_READ : SKIT_EP_WRITE;
	else if (app->dirs == SKIT_RELAY_BA)
		fl |= side == 0 ? SKIT_EP_WRITE : SKIT_EP_READ;
	return fl;
}

/*
 * socat's crnl (the crlf address option) on end e: the crlf layer both
 * ways ("\n" written as "\r\n", "\r\n" read as "\n"), on top of the
 * side's conn when it has one (TLS, WebSocket), or else on a new conn
 * over e's fds (cli_end_conn). 0 or a negative code.
 */
static int
crnl_end(struct skit_relay_end *e)
{
	struct skit_crlf_cfg cc = { .recv = true };
	struct skit_conn *conn;
	int rc = cli_end_conn(e, &conn);

	return rc ? rc : skit_conn_push(conn, &skit_layer_crlf, &cc, NULL);
}

/* cfg.on_ends: the ws sides (relay_ws.c), then the sides whose
 * address asks for crnl (over the WebSocket's messages). */
static int
crnl_ends(struct skit_fwd *f, struct skit_fwd_pair *rec,
	  struct skit_relay_end end[2], void *data)
{
	struct app *app = data;
	int rc = relay_ws_ends(app, rec, end);

	(void)f;
	for (int i = 0; i < 2 && rc == 0; i++)
		if (skit_addr_num(&app->addr[i], SKIT_OPT_CRLF, 0))
			rc = crnl_end(&end[i]);
	return rc;
}

static int
run(struct app *app)
{
	struct skit_fwd_cfg cfg = {
		.addr = { &app->addr[0], &app->addr[1] },
		.lside = app->lside,
		.once = !app->fork,
		.ep_flags = { side_flags(app, 0), side_flags(app, 1) },
		.open_flags = app->numeric ? SKIT_OPEN_NUMERIC : 0,
		.serve = {
			.max_conns = app->fork ? (int)app->max_conns : 0,
			.msg_max = 65536,
		},
		.relay = {
			.dirs = app->dirs,
			.framing = app->framing,
			.no_splice = app->no_splice,
			.idle_ms = app->idle_ms,
			/* a full message receiver: waited for -T */
			.send_timeout_ms = app->idle_ms > 0 ? app->idle_ms
							    : CLI_SEND_WAIT_MS,
			.linger_ms = app->linger_ms,
			.buf_size = app->bufsize,
			.pipe_size = app->bufsize,
			.close_linger_ms = app->lside >= 0 ? RELAY_LINGER_MS : 0,
		},
		.on_open = relay_on_open,
		.on_close = on_close,
		.on_fail = on_fail,
		.on_retry = on_retry,
		.on_ends = crnl_ends,
		/* a side with the tls option: the pair runs its handshake */
		.layer = { app->tls[0].ctx ? &skit_layer_tls : NULL,
			   app->tls[1].ctx ? &skit_layer_tls : NULL },
		.layer_cfg = { &app->tls[0].lc, &app->tls[1].lc },
		.on_data = app->hex ? relay_hex : NULL,
		.on_event = on_event,
		.on_free = relay_ws_free,
		.data = app,
	};
	struct skit_err err;
	struct cli_json j;

	/* the faults of each side: the forward numbers them per pair */
	cli_faults_relay_cfg(&app->faults, 0, &cfg.relay);
	skit_err_clear(&err);
	if (skit_fwd_start(app->loop, &cfg, &app->fwd, &err) < 0) {
		int rc = cli_report(&err);

		if (err.code == -EADDRINUSE)
			cli_hint("another server uses this address; for a "
				 "stale unix socket file add ',unlink'");
		return rc;
	}
	if (app->lside >= 0) {
		if (skit_sockaddr_str(skit_fwd_local(app->fwd), app->ldesc,
				      sizeof(app->ldesc)) < 0)
			snprintf(app->ldesc, sizeof(app->ldesc), "?");
		cli_verbose("relay: listening on %s", app->ldesc);
	}
	if (app->lside >= 0 && app->json) {
		cli_json_begin(&j, app->jf);
		cli_json_str(&j, "event", "listening");
		cli_json_str(&j, "address", app->ldesc);
		cli_json_bool(&j, "fork", app->fork);
		relay_json_end(app, &j);
	}
	skit_loop_run(app->loop);
	return app->exit_code;
}

int
cmd_relay(int argc, char **argv)
{
	struct app app = { .dirs = SKIT_RELAY_BOTH, .sigfd = -1 };
	int rc, e;

	rc = parse_args(argc, argv, &app);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	rc = parse_addrs(&app);
	if (rc)
		return rc;
	/* Events go to stdout, unless stdout carries a side's payload. */
	app.jf = app.addr[0].kind == SKIT_KIND_STDIO ||
				 app.addr[1].kind == SKIT_KIND_STDIO
			 ? stderr
			 : stdout;
	e = skit_loop_new(SKIT_LOOP_AUTO, &app.loop);
	if (e == 0)
		e = watch_signals(&app);
	if (e == 0)
		rc = cli_faults_init(&app.faults, app.addr, app.lside,
				     app.json ? app.jf : NULL);
	if (e == 0 && rc == 0 && app.control)
		rc = cli_faults_control(&app.faults, app.loop, app.control);
	if (e < 0) {
		cli_errorf("relay: %s", skit_strerror(e));
		rc = CLI_EXIT_FAIL;
	} else if (rc == 0) {
		rc = run(&app);
	}
	skit_fwd_free(app.fwd);
	cli_faults_close(&app.faults);
	if (app.loop) {
		(void)skit_loop_del(app.loop, cli_stop_fd());
		if (app.sigfd >= 0)
			(void)skit_loop_del(app.loop, app.sigfd);
	}
	skit_close(app.sigfd);
	skit_loop_free(app.loop);
	cli_tls_free(&app.tls[0]);
	cli_tls_free(&app.tls[1]);
	cli_stdout_flush();
	return rc;
}
