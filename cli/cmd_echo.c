/*
 * cmd_echo.c - `skit echo ADDRESS`: an echo (RFC 862), discard (RFC 863)
 * or source server for every socket kind, one event loop per thread.
 *
 * Threads: an inet listener gets one SO_REUSEPORT socket per thread, so
 * the kernel spreads connections (and UDP flows) over them; other kinds
 * share one socket. SO_REUSEPORT is set only on skit's own sockets and
 * only after a plain bind showed the port is free, so a second server on
 * the same port is refused (unless --reuseport asks to share it).
 *
 * Signals: SIGINT/SIGTERM/SIGHUP are blocked in every thread and taken by
 * the main thread with sigwaitinfo(); it wakes the loops through one eventfd
 * (never read, so it stays readable for all of them). Each loop stops
 * accepting and serves its connections until their peers close them or
 * --grace runs out; a second signal ends the grace at once. The process
 * then ends by the first signal (cli_stop_note, cli/stop.c). Until the
 * first signal the main thread sleeps with no time-out, so that nothing
 * wakes on a schedule beside a latency-sensitive worker; a worker that
 * ends (its loop failed) tells it with DONE_SIGNAL, blocked like the
 * others.
 *
 * Blocking reads: a datagram worker, and a loop's only connection, read
 * with no time-out (skit_echo_cfg.wake_signal). SIGRTMIN, with the
 * library's handler skit_echo_wake and no SA_RESTART, is what interrupts
 * them: the listener sends it when a connection arrives while one is
 * served outside the loop, and the main thread sends it to every worker,
 * once per tick, from the first SIGINT/SIGTERM until they have all
 * returned.
 */
#include "cli.h"
#include "cli_tls.h"
#include "skit/echo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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
	{ "json", 0, NULL, OPT_JSON,
	  "NDJSON on stdout: the listening address and the totals" },
	{ "verbose", 'v', NULL, 'v',
	  "say the address, the fd limit and the totals on stderr" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Address options echo implements: what skit_open applies (its own
 * --max-conns, --reuseport and threads are flags, not options). */
static const uint64_t echo_addr_opts = SKIT_OPTS_OPEN | SKIT_OPTS_TLS;

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
	int max_conns;
	bool reuseport;
	bool json;
	long long grace_ms;
};

struct worker {
	pthread_t tid;
	pthread_t main; /* told DONE_SIGNAL when this worker returns */
	int fd;		/* the socket this loop serves */
	int stopfd;
	const struct echo_opts *o;
	const struct skit_echo_cfg *cfg;
	atomic_bool *hurry;
	atomic_bool *stop; /* datagram servers: set on the first signal */
	atomic_int *done;
	atomic_int *fd_users; /* loops still using fd; the last closes it */
	bool released;	      /* this worker no longer uses fd */
	struct skit_echo_stats st;
	struct skit_echo *e;
	int rc;
};

/* This worker is done with its socket; the last user closes it. */
static void
release_fd(struct worker *w)
{
	if (w->released)
		return;
	w->released = true;
	if (atomic_fetch_sub(w->fd_users, 1) == 1)
		skit_close(w->fd);
}

static void
on_stop(struct skit_loop *loop, int fd, unsigned events, void *data)
{
	struct worker *w = data;

	(void)events;
	skit_echo_drain(w->e);
	skit_loop_del(loop, fd);
	skit_loop_stop(loop);
	/* New clients are refused from now on, not left in the backlog. */
	release_fd(w);
}

/* Count this worker as returned and tell the main thread. */
static void
finished(struct worker *w)
{
	atomic_fetch_add(w->done, 1);
	pthread_kill(w->main, DONE_SIGNAL);
}

/* A datagram socket: served without a loop (see skit_echo_dgram_serve). */
static void
dgram_main(struct worker *w)
{
	w->rc = skit_echo_dgram_serve(w->fd, w->cfg, w->stop, &w->st);
	release_fd(w);
	finished(w);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct skit_loop *loop = NULL;
	struct skit_echo *e = NULL;
	int64_t deadline;
	int r;

	if (w->cfg->type == SOCK_DGRAM) {
		dgram_main(w);
		return NULL;
	}
	r = skit_loop_new(SKIT_LOOP_AUTO, &loop);
	if (r == 0)
		r = skit_echo_new(loop, w->fd, w->cfg, &e);
	w->e = e;
	if (r == 0)
		r = skit_loop_add(loop, w->stopfd, SKIT_EV_READ, on_stop, w);
	if (r == 0)
		r = skit_loop_run(loop);
	/* Stopped: serve what is open until it closes or grace runs out. */
	deadline = skit_now_ns() + w->o->grace_ms * 1000000;
	while (r >= 0 && e && skit_echo_active(e) > 0 &&
	       !atomic_load(w->hurry) && skit_now_ns() < deadline)
		r = skit_loop_run_once(loop, 50); /* >= 0: callbacks run */
	if (r > 0)
		r = 0;
	if (e)
		skit_echo_stats(e, &w->st);
	skit_echo_free(e);
	skit_loop_free(loop);
	release_fd(w); /* if the loop failed before on_stop */
	w->rc = r;
	finished(w);
	return NULL;
}

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

/* A unix socket with a file (not an abstract name): ours to remove. */
static bool
is_unix_file(const struct skit_addr *a)
{
	return (a->kind == SKIT_KIND_UNIX || a->kind == SKIT_KIND_UNIX_DGRAM ||
		a->kind == SKIT_KIND_UNIX_SEQPACKET) &&
	       !a->abstract && a->host[0];
}

static unsigned
port_of(const struct skit_sockaddr *sa)
{
	const struct sockaddr *s = (const struct sockaddr *)&sa->ss;

	if (s->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)s)->sin_port);
	if (s->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)s)->sin6_port);
	return 0;
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

/*
 * Open the sockets: fds[0..n-1] for inet with threads (SO_REUSEPORT),
 * else fds[0] only. Returns how many, or -(exit code).
 */
static int
open_sockets(const struct skit_addr *a, const struct echo_opts *o, int *fds,
	     struct skit_sockaddr *local)
{
	struct skit_addr b = *a;
	struct skit_err err;
	/* Datagram sockets block (skit_echo_dgram_serve), others sit in a
	 * loop. */
	int flags = SKIT_OPEN_PASSIVE |
		    (a->type == SOCK_DGRAM ? 0 : SKIT_OPEN_NONBLOCK);
	int n = 1, fd;
	bool shared = is_inet(a) &&
		      (o->reuseport || skit_addr_has(a, SKIT_OPT_REUSEPORT));

	skit_err_clear(&err);
	if (a->kind == SKIT_KIND_TCP && !skit_addr_has(a, SKIT_OPT_NODELAY))
		(void)skit_addr_set_flag(&b, SKIT_OPT_NODELAY, true,
					 NULL); /* inherited by accepted fds */
	if (is_inet(a) && o->threads > 1) {
		n = o->threads;
		if (!o->reuseport && !skit_addr_has(a, SKIT_OPT_REUSEPORT)) {
			/* Is the port free? A plain bind says. */
			fd = skit_open(&b, SKIT_ROLE_LISTEN, flags, NULL, local,
				       NULL, &err);
			if (fd < 0)
				return -open_fail(&err, true, false);
			(void)skit_addr_set_port_num(&b, port_of(local), NULL);
			skit_close(fd);
		}
		(void)skit_addr_set_flag(&b, SKIT_OPT_REUSEPORT, true, NULL);
	} else if (shared) {
		(void)skit_addr_set_flag(&b, SKIT_OPT_REUSEPORT, true, NULL);
	}
	for (int i = 0; i < n; i++) {
		fd = skit_open(&b, SKIT_ROLE_LISTEN, flags, NULL,
			       i ? NULL : local, NULL, &err);
		if (fd < 0) {
			while (i--)
				skit_close(fds[i]);
			return -open_fail(&err, is_inet(a), shared);
		}
		if (i == 0 && is_inet(a))
			(void)skit_addr_set_port_num(&b, port_of(local), NULL);
		fds[i] = fd;
	}
	return n;
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
	cli_json_end(&j);
}

/* Start the workers, wait for signals, stop them; returns an exit code. */
static int
serve(const struct echo_opts *o, const struct skit_addr *a, int *fds, int nfds,
      const struct cli_tls *tls)
{
	struct skit_echo_cfg cfg = { .mode = o->mode, .type = a->type };
	struct skit_echo_stats tot = { 0 };
	struct worker *w;
	atomic_int count = 0, done = 0, *users;
	atomic_bool hurry = false, stop = false;
	sigset_t set;
	int stopfd, started = 0, rc = CLI_EXIT_OK;
	struct timespec tick = { 0, 100 * 1000000 };

	struct sigaction sa = { .sa_handler = skit_echo_wake };

	cfg.max_conns = o->max_conns;
	cfg.count = &count;
	if (tls->ctx) {
		cfg.layer = &skit_layer_tls;
		cfg.layer_cfg = &tls->lc;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) == 0)
		cfg.wake_signal = SIGRTMIN;
	stopfd = skit_eventfd();
	w = calloc((size_t)o->threads, sizeof(*w));
	users = calloc((size_t)nfds, sizeof(*users));
	for (int i = 0; users && i < nfds; i++)
		atomic_init(&users[i], nfds > 1 ? 1 : o->threads);
	if (stopfd < 0 || !w || !users) {
		cli_errorf("echo: %s", strerror(errno ? errno : ENOMEM));
		free(w);
		free(users);
		for (int i = 0; i < nfds; i++)
			skit_close(fds[i]);
		skit_close(stopfd);
		return CLI_EXIT_FAIL;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, DONE_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < o->threads; i++) {
		w[i] = (struct worker){ .main = pthread_self(),
					.fd = fds[nfds > 1 ? i : 0],
					.stopfd = stopfd,
					.o = o,
					.cfg = &cfg,
					.hurry = &hurry,
					.stop = &stop,
					.done = &done,
					.fd_users = &users[nfds > 1 ? i : 0] };
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	/* Sockets of threads that did not start are closed here. */
	for (int i = started; i < o->threads; i++)
		if (atomic_fetch_sub(&users[nfds > 1 ? i : 0], 1) == 1)
			skit_close(fds[nfds > 1 ? i : 0]);
	if (started < o->threads) {
		cli_errorf("echo: cannot start thread %d: %s", started + 1,
			   strerror(errno));
		rc = CLI_EXIT_FAIL;
	} else {
		while (atomic_load(&done) < started) {
			int sig = sigwaitinfo(&set, NULL);

			if (sig > 0 && sig != DONE_SIGNAL) {
				cli_stop_note(sig);
				break;
			}
		}
	}
	/* First signal (or a loop that failed): drain. */
	atomic_store(&stop, true);
	if (skit_eventfd_signal(stopfd) < 0)
		rc = CLI_EXIT_FAIL;
	while (atomic_load(&done) < started) {
		int sig;

		/* Wake blocked reads; again each tick, in case a datagram
		 * worker was about to block when the last signal came. */
		for (int i = 0; cfg.wake_signal && i < started; i++)
			pthread_kill(w[i].tid, cfg.wake_signal);
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig > 0 && sig != DONE_SIGNAL) {
			cli_stop_note(sig);
			atomic_store(&hurry, true);
		}
	}
	for (int i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		tot.conns += w[i].st.conns;
		tot.rejected += w[i].st.rejected;
		tot.bytes_in += w[i].st.bytes_in;
		tot.bytes_out += w[i].st.bytes_out;
		tot.msgs_in += w[i].st.msgs_in;
		tot.msgs_out += w[i].st.msgs_out;
		tot.dropped += w[i].st.dropped;
		if (w[i].rc < 0) {
			cli_errorf("echo: event loop: %s",
				   skit_strerror(w[i].rc));
			rc = CLI_EXIT_FAIL;
		}
	}
	report_totals(o, &tot);
	free(w);
	free(users);
	skit_close(stopfd);
	return rc;
}

int
cmd_echo(int argc, char **argv)
{
	struct echo_opts o = { .grace_ms = 10000 };
	struct skit_addr a;
	struct skit_sockaddr local;
	struct skit_err err;
	char text[SKIT_ADDR_TEXT_MAX + 16], where[512];
	const char *arg;
	int argi, rc, nfds, *fds;
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
	rc = cli_tls_setup(&a, true, &tls);
	if (rc)
		return rc;
	raise_nofile();
	fds = calloc((size_t)o.threads, sizeof(*fds));
	if (!fds) {
		cli_tls_free(&tls);
		return CLI_EXIT_FAIL;
	}
	nfds = open_sockets(&a, &o, fds, &local);
	if (nfds < 0) {
		free(fds);
		cli_tls_free(&tls);
		return -nfds;
	}
	skit_sockaddr_str(&local, where, sizeof(where));
	if (is_unix_file(&a))
		cli_stop_unlink(a.host); /* a signal before serve() */
	cli_verbose("listening on %s", where);
	if (o.json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "listening");
		cli_json_str(&j, "address", where);
		cli_json_int(&j, "threads", o.threads);
		cli_json_end(&j);
	}
	rc = serve(&o, &a, fds, nfds, &tls); /* closes fds */
	cli_tls_free(&tls);
	/* Our socket file goes with us (abstract names vanish by
	 * themselves). */
	if (is_unix_file(&a))
		unlink(a.host);
	free(fds);
	return rc;
}
