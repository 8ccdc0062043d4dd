/*
 * cmd_echo.c - `skit echo ADDRESS`: an echo (RFC 862), discard (RFC 863)
 * or source server for every socket kind, one event loop per thread: the
 * library's skit_echo_server (echo.h) runs the threads; this file owns
 * the options, the signals and the words.
 *
 * Signals: SIGINT/SIGTERM/SIGHUP are blocked in every thread and taken by
 * the main thread with sigwaitinfo(); skit_echo_server_stop then has
 * each loop stop accepting and serve its connections until their peers
 * close them or --grace runs out; a second signal ends the grace at
 * once. The process then ends by the first signal (cli_stop_note,
 * cli/stop.c). Until the first signal the main thread sleeps with no
 * time-out, so that nothing wakes on a schedule beside a
 * latency-sensitive worker; a worker that ends (its loop failed) tells
 * it with DONE_SIGNAL, blocked like the others (on_done).
 *
 * Blocking reads: a datagram worker, and a loop's only connection, read
 * with no time-out (skit_echo_cfg.wake_signal). SIGRTMIN, with the
 * library's handler skit_echo_wake and no SA_RESTART, is what interrupts
 * them: the listener sends it when a connection arrives while one is
 * served outside the loop, and skit_echo_server_stop sends it to every
 * worker, once per tick, from the first SIGINT/SIGTERM until they have
 * all returned.
 */
#include "cli.h"
#include "cli_tls.h"
#include "cli_ws.h"
#include "faults.h"
#include "skit/echo.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define DONE_SIGNAL (SIGRTMIN + 1) /* a worker has returned */

enum {
	OPT_DISCARD = 256,
	OPT_SOURCE,
	OPT_MAX_CONNS,
	OPT_REUSEPORT,
	OPT_GRACE,
	OPT_JSON,
	OPT_CONTROL,
};

static const struct cli_opt echo_opts[] = {
	{ "discard", 0, NULL, OPT_DISCARD,
	  "read and drop everything (RFC 863 discard server)" },
	{ "source", 0, NULL, OPT_SOURCE,
	  "send an endless chargen pattern, drop what arrives" },
	{ "threads", 't', "N", 't',
	  "event loops (threads), default one per core" },
	{ "max-conns", 0, "N", OPT_MAX_CONNS,
	  "at most N connections at once; more are closed at once" },
	{ "reuseport", 0, NULL, OPT_REUSEPORT,
	  "share the port with other servers (SO_REUSEPORT)" },
	{ "grace", 0, "SECS", OPT_GRACE,
	  "on SIGTERM/SIGINT, serve open connections this long (10)" },
	{ "control", 0, "unix:PATH", OPT_CONTROL,
	  "change the address's faults while running: NDJSON commands on "
	  "this socket (docs/faults.md); one thread" },
	{ "json", 0, NULL, OPT_JSON,
	  "NDJSON on stdout: the listening address, fault events and the "
	  "totals" },
	{ "verbose", 'v', NULL, 'v',
	  "say the address, the fd limit and the totals on stderr" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Address options echo implements: what skit_open applies (its own
 * --max-conns, --reuseport and threads are flags, not options). */
static const uint64_t echo_addr_opts =
	SKIT_OPTS_OPEN | SKIT_OPTS_TLS | SKIT_OPTS_WS | SKIT_OPTS_FAULT;

static const struct cli_help echo_help = {
	.name = "echo",
	.permute = true,
	.synopsis = "skit echo [OPTIONS] ADDRESS",
	.about = "Serve echo (RFC 862) on ADDRESS: stream kinds send back the "
		 "bytes they\nreceive, datagram and seqpacket kinds each "
		 "message to its sender. Kinds:\ntcp, udp (v4/v6), unix, "
		 "unix-dgram, unix-seqpacket (path or @abstract), vsock.\n"
		 "A bare PORT means tcp::PORT. SIGTERM/SIGINT stop accepting "
		 "and let open\nconnections finish (--grace), then skit ends "
		 "by the signal.",
	.opts = echo_opts,
	.extra = "examples:\n"
		 "  skit -v echo tcp::7                  echo on port 7, one "
		 "loop per core\n"
		 "  skit echo --discard udp:[::1]:9      discard server\n"
		 "  skit echo -t 1 unix-seqpacket:@echo  abstract seqpacket "
		 "echo\n",
};

struct echo_opts {
	enum skit_echo_mode mode;
	int threads;
	bool threads_set;
	const char *control;
	struct cli_faults *faults;
	int max_conns;
	bool reuseport;
	bool json;
	long long grace_ms;
};

/* Raise the soft fd limit to the hard one; say so with -v. */
static void
raise_nofile(void)
{
	struct rlimit rl;
	rlim_t old;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == rl.rlim_max)
		return;
	old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		cli_verbose("echo: open-file limit raised from %llu to %llu",
			    (unsigned long long)old,
			    (unsigned long long)rl.rlim_max);
}

static bool
is_inet(const struct skit_addr *a)
{
	return a->kind == SKIT_KIND_TCP || a->kind == SKIT_KIND_UDP;
}

static int
open_fail(const struct skit_err *err, bool inet, bool shared)
{
	int rc = cli_report(err);

	if (err->code == -EADDRINUSE && inet && shared)
		cli_hint("the server on this port does not share it: every "
			 "server on it needs --reuseport");
	else if (err->code == -EADDRINUSE && inet)
		cli_hint("another server has this port; --reuseport shares "
			 "it (SO_REUSEPORT)");
	else if (err->code == SKIT_ELIVE || err->code == -EADDRINUSE)
		cli_hint("another server has this socket; stop it, or pick "
			 "another name");
	return rc;
}

static int
parse_opts(int argc, char **argv, struct echo_opts *o, int *argi)
{
	struct cli_getopt_state st = { 0 };
	const char *arg;
	long long v;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, &echo_help, &st, &arg)) != -1) {
		switch (c) {
		case OPT_DISCARD:
			o->mode = SKIT_ECHO_DISCARD;
			break;
		case OPT_SOURCE:
			o->mode = SKIT_ECHO_SOURCE;
			break;
		case 't':
			if (cli_parse_int("--threads", arg, 1, 1024, &v) < 0)
				rc = CLI_EXIT_USAGE;
			o->threads = (int)v;
			o->threads_set = true;
			break;
		case OPT_CONTROL:
			o->control = arg;
			break;
		case OPT_MAX_CONNS:
			if (cli_parse_int("--max-conns", arg, 1, INT32_MAX,
					  &v) < 0)
				rc = CLI_EXIT_USAGE;
			o->max_conns = (int)v;
			break;
		case OPT_REUSEPORT:
			o->reuseport = true;
			break;
		case OPT_GRACE:
			if (cli_parse_duration_ms("--grace", arg,
						  &o->grace_ms) < 0)
				rc = CLI_EXIT_USAGE;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'v':
			cli_g.verbose++;
			break;
		case -2:
			rc = -1;
			break;
		default:
			rc = CLI_EXIT_USAGE;
			break;
		}
		if (rc)
			break;
	}
	*argi = optind;
	cli_getopt_done(&st);
	return rc;
}

static void
report_totals(const struct echo_opts *o, const struct skit_echo_stats *t)
{
	struct cli_json j;

	cli_verbose(
		"echo: %llu connections (%llu rejected), %llu bytes in, "
		"%llu bytes out, %llu messages in, %llu out, %llu dropped",
		(unsigned long long)t->conns, (unsigned long long)t->rejected,
		(unsigned long long)t->bytes_in,
		(unsigned long long)t->bytes_out,
		(unsigned long long)t->msgs_in, (unsigned long long)t->msgs_out,
		(unsigned long long)t->dropped);
	if (!o->json)
		return;
	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "totals");
	cli_json_uint(&j, "connections", t->conns);
	cli_json_uint(&j, "rejected", t->rejected);
	cli_json_uint(&j, "bytes_in", t->bytes_in);
	cli_json_uint(&j, "bytes_out", t->bytes_out);
	cli_json_uint(&j, "messages_in", t->msgs_in);
	cli_json_uint(&j, "messages_out", t->msgs_out);
	cli_json_uint(&j, "dropped", t->dropped);
	if (t->have_tls)
		cli_tls_json_info(&j, &t->tls, "");
	cli_json_end(&j);
}

/* What the serves report, rate-limited (serve.h); from any worker. */
static void
on_event(const struct skit_serve_event *ev, void *data)
{
	const struct echo_opts *o = data;
	char peer[300] = "a client";

	if (ev->peer)
		skit_sockaddr_str(ev->peer, peer, sizeof(peer));
	switch (ev->kind) {
	case SKIT_SERVE_LIMIT:
		if (ev->count > 1)
			cli_errorf("echo: refused %llu clients: --max-conns "
				   "%d reached (the last %s)",
				   (unsigned long long)ev->count, o->max_conns,
				   peer);
		else
			cli_errorf("echo: refused %s: --max-conns %d reached",
				   peer, o->max_conns);
		break;
	case SKIT_SERVE_NOFD:
		cli_errorf("echo: accept: %s; %s%s", skit_strerror(ev->code),
			   ev->paused ? "pausing accept for 100 ms"
				      : "closed the new client",
			   ev->count > 1 ? " (and before, within a second)"
					 : "");
		if (!ev->paused && ev->code == -EMFILE)
			cli_hint("raise the open-file limit (ulimit -n) or "
				 "lower --max-conns");
		break;
	default:
		break;
	}
}

/*
 * The address's faults, on each connection of a stream or seqpacket
 * echo (numbered over the threads for seed=). 0 or an exit code.
 */
static int
echo_faults(struct cli_faults *f, const struct skit_addr *a,
	    struct echo_opts *o)
{
	struct skit_addr two[2];
	int rc;

	memset(&two[0], 0, sizeof(two[0]));
	two[1] = *a;
	rc = cli_faults_init(f, two, -1, o->json ? stdout : NULL);
	if (rc)
		return rc;
	f->who = "echo";
	if (o->control && a->type != SOCK_DGRAM) {
		/*
		 * The control changes the set on the loop's thread: the
		 * connections that read it must all be served there.
		 */
		if (o->threads_set && o->threads > 1) {
			cli_errorf("echo: --control serves one loop: use -t 1 "
				   "(or leave -t out)");
			return CLI_EXIT_USAGE;
		}
		o->threads = 1;
		rc = cli_faults_control(f, NULL, o->control);
		if (rc)
			return rc;
	}
	if (!f->on[1] && !o->control)
		return 0;
	if (a->type == SOCK_DGRAM) {
		cli_errorf("echo: faults work on stream and seqpacket echo, "
			   "not on datagrams");
		cli_hint("put a relay with the faults in front: skit relay "
			 "udp-listen:PORT,fork 'udp:ECHO,drop=10%%'");
		return CLI_EXIT_USAGE;
	}
	if (skit_addr_has(a, SKIT_OPT_WS)) {
		cli_errorf("echo: faults do not work with ws yet");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* --control: served on the one worker's loop, the thread that reads
 * the faults. */
static void
on_loop(struct skit_loop *loop, int i, bool start, void *data)
{
	struct echo_opts *o = data;

	if (!start) {
		cli_faults_detach(o->faults);
	} else if (i == 0 && cli_faults_attach(o->faults, loop) < 0) {
		cli_errorf("--control: cannot watch %s", o->control);
	}
}

/* A worker returned: wake the main thread from sigwaitinfo. */
static void
on_done(void *data)
{
	(void)data;
	kill(getpid(), DONE_SIGNAL);
}

/* Run the server until a stop signal; returns an exit code. */
static int
run(const struct echo_opts *o, struct skit_echo_server *srv, sigset_t *set)
{
	struct skit_echo_stats tot;
	struct timespec tick = { 0, 100 * 1000000 };
	int rc = CLI_EXIT_OK, r;

	r = skit_echo_server_start(srv);
	if (r < 0) {
		cli_errorf("echo: cannot start a thread: %s", skit_strerror(r));
		rc = CLI_EXIT_FAIL;
	} else {
		while (!skit_echo_server_done(srv)) {
			int sig = sigwaitinfo(set, NULL);

			if (sig > 0 && sig != DONE_SIGNAL) {
				cli_stop_note(sig);
				break;
			}
		}
	}
	/* First signal (or a loop that failed): drain. */
	skit_echo_server_stop(srv, false);
	while (!skit_echo_server_done(srv)) {
		int sig = sigtimedwait(set, NULL, &tick);
		bool hurry = sig > 0 && sig != DONE_SIGNAL;

		if (hurry)
			cli_stop_note(sig);
		/* again each tick: wakes a worker about to block */
		skit_echo_server_stop(srv, hurry);
	}
	r = skit_echo_server_wait(srv, &tot);
	if (r < 0) {
		cli_errorf("echo: event loop: %s", skit_strerror(r));
		rc = CLI_EXIT_FAIL;
	}
	report_totals(o, &tot);
	return rc;
}

int
cmd_echo(int argc, char **argv)
{
	struct echo_opts o = { .grace_ms = 10000 };
	struct skit_echo_server_cfg cfg = { 0 };
	struct skit_echo_server *srv;
	struct cli_ws ws;
	struct sigaction sa = { .sa_handler = skit_echo_wake };
	struct skit_addr a;
	struct skit_sockaddr local;
	struct skit_err err;
	char text[SKIT_ADDR_TEXT_MAX + 16], where[512];
	const char *arg;
	static struct cli_faults faults; /* the workers read it */
	sigset_t set;
	int argi, rc;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	struct cli_tls tls;

	o.threads = nproc > 0 ? (int)(nproc > 64 ? 64 : nproc) : 1;
	rc = parse_opts(argc, argv, &o, &argi);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (argi != argc - 1) {
		cli_errorf("echo: expected one ADDRESS");
		fprintf(stderr, "usage: %s\n", echo_help.synopsis);
		return CLI_EXIT_USAGE;
	}
	arg = argv[argi];
	if (arg[0] && strspn(arg, "0123456789") == strlen(arg)) {
		snprintf(text, sizeof(text), "tcp::%s", arg);
		arg = text;
	}
	skit_err_clear(&err);
	if (skit_addr_parse(arg, SKIT_ROLE_LISTEN, &a, &err) < 0)
		return cli_report(&err);
	if (a.role == SKIT_ROLE_CONNECT || !skit_kind_is_socket(a.kind) ||
	    a.kind > SKIT_KIND_VSOCK) {
		cli_errorf("echo: '%s': an echo server needs a tcp, udp, "
			   "unix, unix-dgram, unix-seqpacket or vsock address",
			   arg);
		return CLI_EXIT_USAGE;
	}
	rc = cli_addr_check(&a, echo_addr_opts, "skit echo");
	if (rc)
		return rc;
	/*
	 * A udp discard server takes skit bench -u's GSO sends whole (UDP
	 * GRO), tens of Gbit/s on loopback: a 4 MiB receive buffer (as far
	 * as net.core.rmem_max allows) rides out the moments it is not
	 * running (measured at load 7: loss 33-40% against 45-63% with
	 * the default). rcvbuf= in the address overrides it.
	 */
	if (o.mode == SKIT_ECHO_DISCARD && a.kind == SKIT_KIND_UDP &&
	    !skit_addr_has(&a, SKIT_OPT_RCVBUF) &&
	    skit_addr_set_opt(&a, SKIT_OPT_RCVBUF, "4m", &err) < 0)
		return cli_report(&err);
	rc = cli_tls_setup(&a, true, &tls);
	if (rc)
		return rc;
	raise_nofile();
	cfg.mode = o.mode;
	cfg.max_conns = o.max_conns;
	cfg.reuseport = o.reuseport;
	cfg.grace_ms = o.grace_ms;
	cfg.on_event = on_event;
	cfg.on_done = on_done;
	cfg.data = &o;
	if (skit_addr_has(&a, SKIT_OPT_WS)) {
		/*
		 * A WebSocket echo: each message back whole, with its type.
		 * A message must fit the echo's buffer (256 KiB); the layer's
		 * notes would come from every worker, so -v says less here.
		 */
		rc = cli_ws_init(&ws, &a, true, false, SKIT_FRAMING_RAW);
		if (rc)
			return rc;
		ws.cfg.mode = SKIT_WS_MODE_ECHO;
		ws.cfg.on_note = NULL;
		ws.cfg.err = NULL;
		if (!ws.cfg.max_msg || ws.cfg.max_msg > CLI_WS_ECHO_MAX)
			ws.cfg.max_msg = CLI_WS_ECHO_MAX;
		cfg.layer = &skit_layer_ws;
		cfg.layer_cfg = &ws.cfg;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) == 0)
		cfg.wake_signal = SIGRTMIN;
	if (tls.ctx) {
		/* wss: the WebSocket over the TLS */
		cfg.layer2 = cfg.layer;
		cfg.layer2_cfg = cfg.layer_cfg;
		cfg.layer = &skit_layer_tls;
		cfg.layer_cfg = &tls.lc;
	}
	o.faults = &faults;
	rc = echo_faults(&faults, &a, &o);
	if (rc) {
		cli_faults_close(&faults);
		cli_tls_free(&tls);
		return rc;
	}
	cfg.faults = faults.on[1] ? &faults.cfg[1] : NULL;
	if (o.control)
		cfg.on_loop = on_loop;
	cfg.threads = o.threads; /* --control: 1 */
	if (skit_echo_server_open(&a, &cfg, &srv, &local, &err) < 0) {
		cli_faults_close(&faults);
		cli_tls_free(&tls);
		return open_fail(
			&err, is_inet(&a),
			is_inet(&a) && (o.reuseport ||
					skit_addr_has(&a, SKIT_OPT_REUSEPORT)));
	}
	skit_sockaddr_str(&local, where, sizeof(where));
	cli_verbose("listening on %s", where);
	if (o.json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "listening");
		cli_json_str(&j, "address", where);
		cli_json_int(&j, "threads", o.threads);
		cli_json_end(&j);
	}
	/* The stop signals are ours to take (sigwaitinfo), in every thread
	 * the server starts. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, DONE_SIGNAL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	rc = run(&o, srv, &set);
	/* Our socket file goes with us, if it is still ours. */
	skit_echo_server_free(srv);
	cli_faults_close(&faults);
	cli_tls_free(&tls);
	return rc;
}
