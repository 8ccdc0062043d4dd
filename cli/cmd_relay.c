/*
 * cmd_relay.c - `skit relay A B`: socat's job with skit's grammar.
 *
 * Three shapes, chosen by the addresses:
 *  - no side listens: open A, then B, relay one pair, exit with its
 *    result (7 when a peer reset);
 *  - one side listens on a stream or seqpacket socket: accept; each
 *    connection gets its own freshly opened other side, all pairs on one
 *    event loop (socat's fork, without forking). Without `fork` (or
 *    --max-conns) one connection is relayed, then skit exits;
 *  - one side listens on a datagram socket: one session per peer
 *    address, fed by recvfrom() on the shared socket and answered with
 *    sendto(); sessions end on --idle-timeout (default 60 s).
 * The side that connects may be re-dialled (retry=N, interval=S,
 * forever) while the listener and the other pairs keep going.
 */
#include "cli.h"
#include "faults.h"

#include "skit/endpoint.h"
#include "skit/loop.h"
#include "skit/relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_FRAMING = 256,
	OPT_NO_SPLICE,
	OPT_MAX_CONNS,
	OPT_JSON,
	OPT_CONTROL,
};

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
	  "serve many connections, at most N at once (implies fork)" },
	{ "idle-timeout", 'T', "SECS", 'T',
	  "end a pair after SECS without traffic (UDP sessions: default "
	  "60; exit 5 without fork); a full datagram receiver is waited "
	  "for SECS (default 5)" },
	{ "linger", 't', "SECS", 't',
	  "wait this long for datagram replies once the other direction "
	  "is done (default 0.5)" },
	{ "json", 0, NULL, OPT_JSON,
	  "NDJSON events (listening, open, close, retry, table)" },
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
	{ NULL, 0, NULL, 0, NULL },
};

/*
 * Address options relay implements: all of them (fork=, max-conns=,
 * range=, retry=, interval=, forever, file options through the
 * endpoints) except idle-timeout= (its flag is --idle-timeout).
 */
static const uint64_t relay_addr_opts =
	SKIT_OPTS_ALL & ~SKIT_OPT_BIT(IDLE_TIMEOUT);

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

struct app;

/* One relayed connection (or UDP session, or one waiting for a dial). */
struct conn {
	struct conn *next, *prev;
	struct app *app;
	unsigned long id;
	struct skit_relay *pair;
	struct skit_endpoint other; /* the side opened for this connection */
	int cfd;		    /* accepted fd, until the pair owns it */
	bool dgram;		    /* a datagram listener's session */
	struct skit_sockaddr cpeer; /* the listener side's peer */
	int attempts;
	int64_t timer;
	struct dial_job *job; /* a thread is dialling the other side */
	char envbuf[400];     /* SKIT_PEER=..., SKIT_LOCAL=... */
	char *env[3];
	int64_t start_ns;
	char a_desc[300], b_desc[300];
};

struct app {
	/* options */
	const char *text[2];
	struct skit_addr addr[2];
	unsigned dirs;
	enum skit_framing framing;
	bool no_splice, json, hex, numeric;
	bool fork;
	long long max_conns;
	long long idle_ms;
	long long linger_ms;
	size_t bufsize; /* -b: buffer and pipe size, 0 = defaults */
	bool idle_set;
	/* state */
	struct skit_loop *loop;
	int lside; /* the listening side (0 or 1), -1 when none */
	struct skit_endpoint lep;
	bool lwatched;
	int sigfd;
	int dpipe[2]; /* dialling threads report here */
	char dacc[8 * sizeof(void *)];
	size_t dlen;
	struct conn *conns;
	unsigned long nconns, next_id, served;
	int exit_code;
	bool single_done; /* no fork: the one connection ended */
	FILE *jf;
	char ldesc[140];
	char *dgbuf;
	const char *control; /* --control */
	struct cli_faults faults;
};

/* --- output ---------------------------------------------------------- */

static void
sa_text(const struct skit_sockaddr *sa, char *buf, size_t len)
{
	if (sa->len == 0 || skit_sockaddr_str(sa, buf, len) < 0)
		snprintf(buf, len, "?");
}

static double
secs_since(int64_t t0)
{
	return (double)(skit_now_ns() - t0) / 1e9;
}

/*
 * The --json events go to stdout: once it fails (reported), a server
 * stops, as nobody can follow it any more.
 */
static void
stop_if_stdout_failed(struct app *app)
{
	if (cli_g.stdout_code)
		skit_loop_stop(app->loop);
}

static void
log_open(struct conn *c)
{
	struct app *app = c->app;
	struct cli_json j;

	cli_verbose("relay #%lu open: A %s, B %s", c->id, c->a_desc, c->b_desc);
	if (!app->json)
		return;
	cli_json_begin(&j, app->jf);
	cli_json_str(&j, "event", "open");
	cli_json_uint(&j, "id", c->id);
	cli_json_str(&j, "a", c->a_desc);
	cli_json_str(&j, "b", c->b_desc);
	cli_json_end(&j);
	stop_if_stdout_failed(app);
}

static void
log_close(struct conn *c, const struct skit_relay_stats *st)
{
	struct app *app = c->app;
	double dur = (double)(st->end_ns - st->start_ns) / 1e9;
	char why[200];
	struct cli_json j;

	if (st->error)
		snprintf(why, sizeof(why), "%s (%s %s: %s)",
			 skit_relay_reason_name(st->reason),
			 st->error_op ? st->error_op : "?",
			 st->error_side == 0 ? "A" : "B",
			 skit_strerror(st->error));
	else
		snprintf(why, sizeof(why), "%s",
			 skit_relay_reason_name(st->reason));
	cli_verbose("relay #%lu closed: %s; A->B %llu bytes, B->A %llu "
		    "bytes, %.3f s",
		    c->id, why, (unsigned long long)st->bytes[0],
		    (unsigned long long)st->bytes[1], dur);
	if (!app->json)
		return;
	cli_json_begin(&j, app->jf);
	cli_json_str(&j, "event", "close");
	cli_json_uint(&j, "id", c->id);
	cli_json_str(&j, "reason", skit_relay_reason_name(st->reason));
	cli_json_uint(&j, "bytes_ab", st->bytes[0]);
	cli_json_uint(&j, "bytes_ba", st->bytes[1]);
	cli_json_uint(&j, "msgs_ab", st->msgs[0]);
	cli_json_uint(&j, "msgs_ba", st->msgs[1]);
	cli_json_uint(&j, "dropped_ab", st->dropped[0]);
	cli_json_uint(&j, "dropped_ba", st->dropped[1]);
	cli_json_bool(&j, "splice_ab", st->spliced[0]);
	cli_json_bool(&j, "splice_ba", st->spliced[1]);
	cli_json_double(&j, "duration_s", dur);
	if (st->error) {
		cli_json_str(&j, "error", skit_errname(st->error));
		cli_json_str(&j, "error_side", st->error_side ? "b" : "a");
		cli_json_str(&j, "error_op", st->error_op);
	}
	cli_json_end(&j);
	stop_if_stdout_failed(app);
}

/* The faults in force on c's ends ("A: ... B: ..."), or 0. */
static int
table_faults(const struct conn *c, char *buf, size_t len)
{
	char one[2][200];
	int n = 0;

	for (int i = 0; i < 2; i++) {
		const struct skit_conn *sc =
			c->pair ? skit_relay_conn(c->pair, i) : NULL;

		one[i][0] = '\0';
		if (sc && skit_fault_describe(sc, one[i], sizeof(one[i])) > 0)
			n++;
	}
	if (!n)
		return 0;
	snprintf(buf, len, "%s%s%s%s%s", one[0][0] ? "A: " : "", one[0],
		 one[0][0] && one[1][0] ? "; " : "", one[1][0] ? "B: " : "",
		 one[1]);
	return 1;
}

static void
print_table(struct app *app)
{
	struct cli_json j;
	char fl[420];

	if (app->json) {
		for (struct conn *c = app->conns; c; c = c->next) {
			const struct skit_relay_stats *st =
				c->pair ? skit_relay_stats(c->pair) : NULL;

			cli_json_begin(&j, app->jf);
			cli_json_str(&j, "event", "conn");
			cli_json_uint(&j, "id", c->id);
			cli_json_str(&j, "a", c->a_desc);
			cli_json_str(&j, "b", c->b_desc);
			cli_json_str(&j, "state",
				     c->pair ? "relaying" : "dialling");
			cli_json_uint(&j, "bytes_ab", st ? st->bytes[0] : 0);
			cli_json_uint(&j, "bytes_ba", st ? st->bytes[1] : 0);
			cli_json_double(&j, "age_s", secs_since(c->start_ns));
			if (table_faults(c, fl, sizeof(fl)))
				cli_json_str(&j, "faults", fl);
			cli_json_end(&j);
		}
		cli_json_begin(&j, app->jf);
		cli_json_str(&j, "event", "table");
		cli_json_uint(&j, "conns", app->nconns);
		cli_json_uint(&j, "served", app->served);
		cli_json_end(&j);
		return;
	}
	fprintf(stderr, "skit relay: %lu live, %lu served\n", app->nconns,
		app->served);
	fprintf(stderr, "%6s %9s %12s %12s  %s\n", "id", "age_s", "A->B",
		"B->A", "A | B");
	for (struct conn *c = app->conns; c; c = c->next) {
		const struct skit_relay_stats *st =
			c->pair ? skit_relay_stats(c->pair) : NULL;

		fprintf(stderr, "%6lu %9.1f %12llu %12llu  %s | %s%s\n", c->id,
			secs_since(c->start_ns),
			(unsigned long long)(st ? st->bytes[0] : 0),
			(unsigned long long)(st ? st->bytes[1] : 0), c->a_desc,
			c->b_desc, c->pair ? "" : " (dialling)");
		if (table_faults(c, fl, sizeof(fl)))
			fprintf(stderr, "%6s faults: %s\n", "", fl);
	}
	fflush(stderr);
}

static void
hex_dump(struct skit_relay *r, int dir, const void *buf, size_t len, void *data)
{
	struct conn *c = data;
	const unsigned char *p = buf;

	(void)r;
	fprintf(stderr, "%c #%lu %s %zu bytes\n", dir ? '<' : '>', c->id,
		dir ? "B->A" : "A->B", len);
	for (size_t o = 0; o < len; o += 16) {
		char hex[16 * 3 + 1], asc[17];
		size_t n = len - o < 16 ? len - o : 16;

		for (size_t i = 0; i < 16; i++) {
			if (i < n)
				snprintf(hex + 3 * i, 4, "%02x ", p[o + i]);
			else
				snprintf(hex + 3 * i, 4, "   ");
			if (i < n)
				asc[i] = p[o + i] >= 32 && p[o + i] < 127
						 ? (char)p[o + i]
						 : '.';
		}
		asc[n] = '\0';
		fprintf(stderr, "  %06zx  %s |%s|\n", o, hex, asc);
	}
	fflush(stderr);
}

/* --- connections ----------------------------------------------------- */

/*
 * A connect that can take long (a TCP handshake to a slow or silent
 * host, a name to resolve) runs in a thread of its own, so the loop
 * keeps serving. The job holds copies of all the thread needs and two
 * references: the thread's and the connection's. The thread reports
 * through the app's pipe; whoever lets go last frees the job, so a
 * connection closed mid-dial (skit stopping) never waits for it.
 */
struct dial_job {
	atomic_int refs;
	struct conn *c; /* only handed back, never used by the thread */
	struct skit_addr addr;
	unsigned flags;
	char envbuf[400];
	char *env[3];
	int wfd; /* the thread's own copy of the report pipe */
	int rc;
	struct skit_err err;
	struct skit_endpoint ep;
};

static void
job_release(struct dial_job *job)
{
	if (atomic_fetch_sub(&job->refs, 1) != 1)
		return;
	skit_endpoint_close(&job->ep);
	skit_close(job->wfd);
	free(job);
}

static void *
dial_thread(void *arg)
{
	struct dial_job *job = arg;

	job->rc = skit_endpoint_open(&job->addr, SKIT_ROLE_CONNECT, job->flags,
				     job->env, &job->ep, &job->err);
	/* The pipe is nonblocking: write_all waits and resumes as needed. */
	(void)skit_write_all(job->wfd, &job, sizeof(job), -1);
	job_release(job);
	return NULL;
}

/*
 * Close the listener. Like socat's UNIX-LISTEN, a unix socket file skit
 * created is removed with it, so the next run can bind the path again.
 */
static void
listener_close(struct app *app)
{
	const struct skit_addr *l = &app->addr[app->lside];

	if (app->lep.rfd < 0)
		return;
	(void)skit_loop_del(app->loop, app->lep.rfd);
	skit_endpoint_close(&app->lep);
	app->lwatched = false;
	if (l->family == AF_UNIX && !l->abstract && l->host[0])
		(void)unlink(l->host);
}

static void
listener_watch(struct app *app, bool on)
{
	if (app->lside < 0 || app->lep.rfd < 0 || on == app->lwatched)
		return;
	(void)skit_loop_mod(app->loop, app->lep.rfd, on ? SKIT_EV_READ : 0);
	app->lwatched = on;
}

static bool
at_capacity(const struct app *app)
{
	return app->max_conns > 0 &&
	       app->nconns >= (unsigned long)app->max_conns;
}

static void
conn_free(struct conn *c)
{
	struct app *app = c->app;

	if (c->prev)
		c->prev->next = c->next;
	else
		app->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	app->nconns--;
	if (c->job)
		job_release(c->job); /* the thread cleans up when it is done */
	if (c->timer > 0)
		skit_loop_timer_cancel(app->loop, c->timer);
	skit_relay_free(c->pair);
	skit_close(c->cfd);
	skit_endpoint_close(&c->other);
	/* Reap a finished child now; SIGCHLD catches the others. */
	(void)skit_endpoint_wait(&c->other, false, NULL);
	free(c);
	if (app->fork && !at_capacity(app))
		listener_watch(app, true);
}

/* A connection is over: record it, and in single mode end the run. */
static void
conn_done(struct conn *c, int code)
{
	struct app *app = c->app;

	app->served++;
	if (!app->fork) {
		app->exit_code = code;
		app->single_done = true;
		skit_loop_stop(app->loop);
	}
	conn_free(c);
}

static int
exit_for_stats(const struct skit_relay_stats *st)
{
	switch (st->reason) {
	case SKIT_RELAY_EOF:
	case SKIT_RELAY_CLOSED:
		return CLI_EXIT_OK;
	case SKIT_RELAY_IDLE:
		return CLI_EXIT_TIMEOUT; /* docs/exit-codes.md, "Time limits" */
	case SKIT_RELAY_RESET:
		return CLI_EXIT_RESET;
	default:
		return cli_exit_for(st->error);
	}
}

static void
pair_closed(struct skit_relay *r, void *data)
{
	struct conn *c = data;
	const struct skit_relay_stats *st = skit_relay_stats(r);
	int code = exit_for_stats(st);

	log_close(c, st);
	/*
	 * Single mode: say why the one pair ended when that is the exit
	 * code's reason, an error or a time limit (the -v close line does
	 * not say which limit).
	 */
	if (!c->app->fork && (st->error || st->reason == SKIT_RELAY_IDLE)) {
		struct cli_relay_names n = {
			.side = { c->a_desc, c->b_desc },
			.op = "relay",
			.addr = { c->app->text[0], c->app->text[1] },
			.opt = "-T",
		};

		/* A '-' side is our stdin/stdout: say which of them. */
		for (int i = 0; i < 2; i++)
			if (c->app->addr[i].kind == SKIT_KIND_STDIO)
				n.side[i] = NULL;
		code = cli_relay_error(st, &n);
	}
	conn_done(c, code);
}

static struct conn *
conn_new(struct app *app)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->app = app;
	c->id = ++app->next_id;
	c->cfd = -1;
	c->other.rfd = c->other.wfd = -1;
	c->start_ns = skit_now_ns();
	/* Until the sides are open, they are described by their text. */
	snprintf(c->a_desc, sizeof(c->a_desc), "%s", app->text[0]);
	snprintf(c->b_desc, sizeof(c->b_desc), "%s", app->text[1]);
	c->next = app->conns;
	if (app->conns)
		app->conns->prev = c;
	app->conns = c;
	app->nconns++;
	return c;
}

static void
fill_cfg(struct app *app, struct conn *c, struct skit_relay_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dirs = app->dirs;
	cfg->framing = app->framing;
	cfg->no_splice = app->no_splice;
	cfg->idle_ms = app->idle_ms;
	/* A full message receiver: waited for -T, else the default. */
	cfg->send_timeout_ms = app->idle_set && app->idle_ms > 0
				       ? app->idle_ms
				       : CLI_SEND_WAIT_MS;
	cfg->linger_ms = app->linger_ms;
	cfg->buf_size = app->bufsize;
	cfg->pipe_size = app->bufsize;
	cfg->on_close = pair_closed;
	cfg->on_data = app->hex ? hex_dump : NULL;
	cfg->data = c;
	cli_faults_relay_cfg(&app->faults, c->id, cfg);
}

static void
describe_other(struct conn *c, int side)
{
	char l[140], p[140];
	char *d = side == 0 ? c->a_desc : c->b_desc;
	size_t dl = sizeof(c->a_desc);
	const struct skit_addr *a = &c->app->addr[side];

	if (skit_kind_is_socket(a->kind)) {
		sa_text(&c->other.local, l, sizeof(l));
		sa_text(&c->other.peer, p, sizeof(p));
		snprintf(d, dl, "%s > %s", l, p);
	} else if (c->other.pid > 0) {
		snprintf(d, dl, "%s (pid %d)", c->app->text[side],
			 (int)c->other.pid);
	} else {
		snprintf(d, dl, "%s", c->app->text[side]);
	}
}

/* The other side is open: build the pair of this connection. */
static int
start_pair(struct conn *c, struct skit_relay_end *lend)
{
	struct app *app = c->app;
	struct skit_relay_end oend, *ea, *eb;
	struct skit_relay_cfg cfg;
	int e;

	skit_endpoint_to_end(&c->other, &oend);
	ea = app->lside == 0 ? lend : &oend;
	eb = app->lside == 0 ? &oend : lend;
	fill_cfg(app, c, &cfg);
	e = skit_relay_new(app->loop, ea, eb, &cfg, &c->pair);
	if (e < 0) {
		/* Nothing was taken over: give the fds back to close them. */
		if (oend.own) {
			c->other.rfd = oend.rfd;
			c->other.wfd = oend.wfd;
		}
		cli_errorf("relay #%lu: %s", c->id, skit_strerror(e));
		return e;
	}
	c->cfd = -1; /* the pair owns it now */
	log_open(c);
	return 0;
}

static int64_t
retry_delay(const struct skit_addr *a, int attempt)
{
	/* The one backoff policy (skit/dial.h): interval, 2x, 4x, 8x. */
	return skit_retry_delay(attempt,
				skit_addr_num(a, SKIT_OPT_INTERVAL, 0));
}

static bool
may_retry(const struct skit_addr *a, int attempts, int code)
{
	if (cli_exit_for(code) == CLI_EXIT_USAGE)
		return false;
	if (skit_addr_num(a, SKIT_OPT_FOREVER, 0))
		return true;
	return attempts <= skit_addr_num(a, SKIT_OPT_RETRY, 0);
}

static void
env_for(struct conn *c)
{
	char p[140], l[140];
	size_t len = sizeof(c->envbuf);
	int n;

	sa_text(&c->cpeer, p, sizeof(p));
	sa_text(&c->app->lep.local, l, sizeof(l));
	n = snprintf(c->envbuf, len, "SKIT_PEER=%s", p);
	c->env[0] = c->envbuf;
	c->env[1] = c->envbuf + n + 1;
	snprintf(c->envbuf + n + 1, len - (size_t)n - 1, "SKIT_LOCAL=%s", l);
	c->env[2] = NULL;
}

static int dial(struct conn *c);

static void
dial_cb(struct skit_loop *loop, void *data)
{
	struct conn *c = data;

	(void)loop;
	c->timer = 0;
	(void)dial(c);
}

/* The listener's end of a connection: the accepted socket, or for a
 * datagram session the shared socket with the peer to sendto(). */
static void
listener_end(struct conn *c, struct skit_relay_end *lend)
{
	struct app *app = c->app;

	if (!c->dgram) {
		skit_relay_end_from_fd(c->cfd, true, lend);
		return;
	}
	memset(lend, 0, sizeof(*lend));
	lend->rfd = -1;
	lend->wfd = app->lep.rfd;
	lend->type = SOCK_DGRAM;
	lend->pushed = true;
	memcpy(&lend->to, &c->cpeer.ss, c->cpeer.len);
	lend->tolen = c->cpeer.len;
}

/*
 * The connecting side was opened (e >= 0) or not. On failure with
 * retry=/forever left, dial again later from a timer: the listener and
 * the other pairs keep running meanwhile. Returns 1 when the pair runs,
 * 0 when a retry is scheduled, -1 when the connection was given up (and
 * freed).
 */
static int
dial_result(struct conn *c, int e, const struct skit_err *err)
{
	struct app *app = c->app;
	int oside = !app->lside;
	const struct skit_addr *a = &app->addr[oside];
	struct skit_relay_end lend;

	if (e < 0) {
		char msg[600];

		skit_err_format(err, msg, sizeof(msg));
		if (may_retry(a, c->attempts, e)) {
			int64_t ms = retry_delay(a, c->attempts - 1);

			cli_verbose("relay #%lu: %s; retry %d in %.3f s", c->id,
				    msg, c->attempts, (double)ms / 1000);
			if (app->json) {
				struct cli_json j;

				cli_json_begin(&j, app->jf);
				cli_json_str(&j, "event", "retry");
				cli_json_uint(&j, "id", c->id);
				cli_json_int(&j, "attempt", c->attempts);
				cli_json_str(&j, "error", skit_errname(e));
				cli_json_int(&j, "delay_ms", ms);
				cli_json_end(&j);
			}
			c->timer = skit_loop_timer(app->loop, ms, dial_cb, c);
			if (c->timer > 0)
				return 0;
		}
		cli_report(err);
		conn_done(c, cli_exit_for(e));
		return -1;
	}
	describe_other(c, oside);
	listener_end(c, &lend);
	if (start_pair(c, &lend) < 0) {
		conn_done(c, CLI_EXIT_FAIL);
		return -1;
	}
	return 1;
}

/*
 * Endpoint flags for side: no DNS with -n, and with -u / -U whether the
 * relay only reads or only writes it (file: picks its open mode so).
 */
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

static unsigned
dial_flags(const struct app *app)
{
	return side_flags(app, !app->lside);
}

static void
on_dialled(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct app *app = data;
	struct dial_job *job;
	ssize_t n;

	(void)loop;
	(void)ev;
	/* Reports may arrive in pieces: collect whole pointers. */
	n = skit_read_some(fd, app->dacc + app->dlen,
			   sizeof(app->dacc) - app->dlen);
	if (n <= 0)
		return;
	app->dlen += (size_t)n;
	while (app->dlen >= sizeof(job)) {
		memcpy(&job, app->dacc, sizeof(job));
		app->dlen -= sizeof(job);
		memmove(app->dacc, app->dacc + sizeof(job), app->dlen);
		struct conn *c = job->c;
		int rc = job->rc;
		struct skit_err err = job->err;

		/* The endpoint moves to the connection, then we let go. */
		c->other = job->ep;
		job->ep.rfd = job->ep.wfd = -1;
		job->ep.pid = 0;
		c->job = NULL;
		job_release(job);
		(void)dial_result(c, rc, &err);
	}
}

static int
start_job(struct conn *c)
{
	struct app *app = c->app;
	struct dial_job *job = calloc(1, sizeof(*job));
	pthread_attr_t at;
	pthread_t th;
	int e;

	if (!job)
		return -ENOMEM;
	atomic_init(&job->refs, 2);
	job->c = c;
	job->addr = app->addr[!app->lside];
	job->flags = dial_flags(app);
	memcpy(job->envbuf, c->envbuf, sizeof(job->envbuf));
	job->env[0] = job->envbuf + (c->env[0] - c->envbuf);
	job->env[1] = job->envbuf + (c->env[1] - c->envbuf);
	job->env[2] = NULL;
	job->ep.rfd = job->ep.wfd = -1;
	job->wfd = skit_dup(app->dpipe[1], 3);
	if (job->wfd < 0) {
		e = job->wfd;
		free(job);
		return e;
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&th, &at, dial_thread, job);
	pthread_attr_destroy(&at);
	if (e != 0) {
		skit_close(job->wfd);
		free(job);
		return -e;
	}
	c->job = job;
	return 0;
}

/* Does opening this address wait on the network (a handshake, DNS)? */
static bool
dial_may_block(const struct skit_addr *a)
{
	if (a->kind == SKIT_KIND_TCP || a->kind == SKIT_KIND_VSOCK)
		return true;
	return (a->kind == SKIT_KIND_UDP || a->kind == SKIT_KIND_IP) &&
	       !a->host_is_literal;
}

/*
 * Open the connecting side for an accepted connection or a new datagram
 * peer: in a thread when it may block, else at once. Same returns as
 * dial_result(); 0 also while a thread is dialling.
 */
static int
dial(struct conn *c)
{
	struct app *app = c->app;
	const struct skit_addr *a = &app->addr[!app->lside];
	struct skit_err err;
	int e;

	c->attempts++;
	env_for(c);
	/*
	 * A datagram session dials at once: the datagram that opened it is
	 * pushed right after, and a UDP "connect" does not wait anyway.
	 */
	if (!c->dgram && app->dpipe[1] >= 0 && dial_may_block(a) &&
	    start_job(c) == 0)
		return 0;
	skit_err_clear(&err);
	e = skit_endpoint_open(a, SKIT_ROLE_CONNECT, dial_flags(app), c->env,
			       &c->other, &err);
	return dial_result(c, e, &err);
}

/*
 * socat's range=ADDR[/PREFIX]: may a peer at sa connect? range= is an
 * acl with one allow rule (skit/acl.h): non-IP peers (unix) always may,
 * an IPv4-mapped IPv6 peer matches an IPv4 range.
 */
static bool
range_permits(const struct skit_addr *a, const struct skit_sockaddr *sa)
{
	const struct skit_cidr *r = skit_addr_get_range(a);
	struct skit_cidr one;
	struct skit_acl acl = SKIT_ACL_INIT;

	if (!r)
		return true;
	one = *r;
	acl.allow = &one;
	acl.nallow = 1;
	return skit_acl_permits(&acl, (const struct sockaddr *)&sa->ss);
}

static void
on_accept(struct app *app)
{
	for (int i = 0; i < 64 && !at_capacity(app); i++) {
		struct skit_sockaddr peer = { 0 }, local = { 0 };
		char p[140], l[140];
		struct conn *c;
		int fd = skit_accept(app->lep.rfd, true, &peer);

		if (fd == -EAGAIN || fd == -EWOULDBLOCK)
			return;
		if (fd < 0) {
			/* EMFILE and friends: try again on the next round. */
			cli_errorf("relay: accept %s: %s", app->ldesc,
				   skit_strerror(fd));
			return;
		}
		if (!range_permits(&app->addr[app->lside], &peer)) {
			sa_text(&peer, p, sizeof(p));
			cli_verbose("relay: %s is outside range=, closed", p);
			skit_close(fd);
			continue;
		}
		c = conn_new(app);
		if (!c) {
			skit_close(fd);
			return;
		}
		c->cfd = fd;
		c->cpeer = peer;
		skit_sock_local(fd, &local);
		sa_text(&peer, p, sizeof(p));
		sa_text(&local, l, sizeof(l));
		snprintf(app->lside == 0 ? c->a_desc : c->b_desc,
			 sizeof(c->a_desc), "%s > %s", p, l);
		if (!app->fork) {
			/* socat without fork: one client, then no more. */
			listener_close(app);
		}
		(void)dial(c);
		if (app->lep.rfd < 0)
			return;
	}
	if (at_capacity(app))
		listener_watch(app, false);
}

static struct conn *
find_session(struct app *app, const struct skit_sockaddr *peer)
{
	for (struct conn *c = app->conns; c; c = c->next)
		if (c->cpeer.len == peer->len &&
		    !memcmp(&c->cpeer.ss, &peer->ss, peer->len))
			return c;
	return NULL;
}

/* A datagram listener: demultiplex by peer address into sessions. */
static void
on_datagram(struct app *app)
{
	for (int i = 0; i < 256; i++) {
		struct skit_sockaddr peer = { 0 };
		struct conn *c;
		char p[140];
		ssize_t n;

		peer.len = sizeof(peer.ss);
		n = skit_recvfrom(app->lep.rfd, app->dgbuf, 65536, 0,
				  (struct sockaddr *)&peer.ss, &peer.len);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0) {
			if (n == -ECONNREFUSED)
				continue;
			cli_errorf("relay: recvfrom %s: %s", app->ldesc,
				   skit_strerror((int)n));
			return;
		}
		peer.family = peer.ss.ss_family;
		peer.type = SOCK_DGRAM;
		c = find_session(app, &peer);
		if (!c && !range_permits(&app->addr[app->lside], &peer))
			continue;
		if (!c) {
			if ((!app->fork && app->served + app->nconns > 0) ||
			    at_capacity(app))
				continue; /* not taking new peers */
			c = conn_new(app);
			if (!c)
				return;
			c->cpeer = peer;
			sa_text(&peer, p, sizeof(p));
			snprintf(app->lside == 0 ? c->a_desc : c->b_desc,
				 sizeof(c->a_desc), "%s > %s", p, app->ldesc);
			c->dgram = true;
			if (dial(c) < 0) {
				if (app->single_done)
					return;
				continue;
			}
		}
		if (!c->pair)
			continue; /* still dialling: drop, like a full queue */
		(void)skit_relay_push(c->pair, app->lside, app->dgbuf,
				      (size_t)n);
		if (app->single_done)
			return;
	}
}

static void
on_listener(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct app *app = data;

	(void)loop;
	(void)fd;
	(void)ev;
	if (app->lep.type == SOCK_DGRAM)
		on_datagram(app);
	else
		on_accept(app);
}

static void
on_signal(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct app *app = data;
	struct signalfd_siginfo si;

	(void)ev;
	while (skit_read_some(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			print_table(app);
			break;
		case SIGCHLD:
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			break;
		}
	}
}

/* A stop signal (cli/stop.c): close everything; main() ends by it. */
static void
on_stop(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct app *app = data;

	(void)ev;
	cli_verbose("relay: stopping on a signal");
	(void)skit_loop_del(loop, fd);
	app->single_done = true;
	skit_loop_stop(loop);
}

/*
 * From here a stop signal is the loop's to handle: the pairs are closed
 * and a unix socket file removed before the process ends.
 */
static int
watch_stop(struct app *app)
{
	int e = cli_stop_watch();

	if (e == 0)
		e = skit_loop_add(app->loop, cli_stop_fd(), SKIT_EV_READ,
				  on_stop, app);
	return e;
}

/* --- setup ----------------------------------------------------------- */

static int
parse_args(int argc, char **argv, struct app *app)
{
	struct cli_getopt_state gs = { 0 };
	const char *arg;
	long long v;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, &relay_help, &gs, &arg)) != -1) {
		switch (c) {
		case -2:
			rc = -1;
			goto out;
		case 'u':
			app->dirs = SKIT_RELAY_AB;
			break;
		case 'U':
			app->dirs = SKIT_RELAY_BA;
			break;
		case 'n':
			app->numeric = true;
			break;
		case 'v':
			cli_g.verbose++;
			break;
		case OPT_FRAMING:
			if (skit_framing_parse(arg, &app->framing) < 0) {
				cli_errorf("relay: --framing: '%s' is not raw, "
					   "line, len, len32 or len16",
					   arg);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_NO_SPLICE:
			app->no_splice = true;
			break;
		case OPT_MAX_CONNS:
			if (cli_parse_int("--max-conns", arg, 1, 100000, &v)) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			app->max_conns = v;
			app->fork = true;
			break;
		case 'T':
			if (cli_parse_duration_ms("--idle-timeout", arg,
						  &app->idle_ms)) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			app->idle_set = true;
			break;
		case 't':
			if (cli_parse_duration_ms("--linger", arg, &v)) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			app->linger_ms = v ? v : -1;
			break;
		case OPT_JSON:
			app->json = true;
			break;
		case OPT_CONTROL:
			app->control = arg;
			break;
		case 'b':
			if (cli_parse_size("--buffer", arg, &v) || v < 4096 ||
			    v > (1 << 30)) {
				if (v < 4096 || v > (1 << 30))
					cli_errorf("relay: --buffer: 4k to 1g");
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			app->bufsize = (size_t)v;
			break;
		case 'x':
			app->hex = true;
			break;
		default:
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if (argc - optind != 2) {
		cli_errorf("relay: needs two addresses, A and B");
		fprintf(stderr, "usage: %s\n", relay_help.synopsis);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	app->text[0] = argv[optind];
	app->text[1] = argv[optind + 1];
out:
	cli_getopt_done(&gs);
	return rc;
}

static int
parse_addrs(struct app *app)
{
	struct skit_err err;
	int rc;

	for (int i = 0; i < 2; i++) {
		skit_err_clear(&err);
		if (skit_addr_parse(app->text[i], SKIT_ROLE_CONNECT,
				    &app->addr[i], &err) < 0)
			return cli_report(&err);
		rc = cli_addr_check(&app->addr[i], relay_addr_opts,
				    "skit relay");
		if (rc)
			return rc;
	}
	app->lside = -1;
	for (int i = 0; i < 2; i++) {
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
	if (app->lside >= 0) {
		const struct skit_addr *l = &app->addr[app->lside];

		if (skit_addr_num(l, SKIT_OPT_FORK, 0))
			app->fork = true;
		if (skit_addr_has(l, SKIT_OPT_MAX_CONNS)) {
			app->max_conns =
				skit_addr_num(l, SKIT_OPT_MAX_CONNS, 0);
			app->fork = true;
		}
		if (app->fork &&
		    app->addr[!app->lside].kind == SKIT_KIND_STDIO) {
			cli_errorf("relay: '%s' cannot be opened once per "
				   "connection (fork)",
				   app->text[!app->lside]);
			return CLI_EXIT_USAGE;
		}
		if (l->type == SOCK_DGRAM && !app->idle_set)
			app->idle_ms = 60000;
	} else {
		app->fork = false;
	}
	return 0;
}

/* SIGUSR1 (the table) and SIGCHLD through a signalfd in the loop. */
static int
setup_signals(struct app *app)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	app->sigfd = skit_signalfd(&set);
	if (app->sigfd < 0)
		return app->sigfd;
	return skit_loop_add(app->loop, app->sigfd, SKIT_EV_READ, on_signal,
			     app);
}

/* Single mode: open a side, re-dialling in place with retry=/forever. */
static int
open_side(struct app *app, int side, struct skit_endpoint *ep)
{
	const struct skit_addr *a = &app->addr[side];
	unsigned fl = side_flags(app, side);
	struct skit_err err;
	int e, attempts = 0;

	for (;;) {
		skit_err_clear(&err);
		e = skit_endpoint_open(a, SKIT_ROLE_CONNECT, fl, NULL, ep,
				       &err);
		if (e >= 0)
			return 0;
		attempts++;
		if (!may_retry(a, attempts, e))
			return cli_report(&err);
		{
			int64_t ms = retry_delay(a, attempts - 1);
			struct timespec ts = { ms / 1000,
					       (ms % 1000) * 1000000 };
			char msg[600];

			skit_err_format(&err, msg, sizeof(msg));
			cli_verbose("relay: %s; retry %d in %.3f s", msg,
				    attempts, (double)ms / 1000);
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
}

static int
run_single(struct app *app)
{
	struct skit_endpoint ep[2];
	struct skit_relay_end end[2];
	struct skit_relay_cfg cfg;
	struct conn *c;
	int rc, e;

	rc = open_side(app, 0, &ep[0]);
	if (rc)
		return rc;
	rc = open_side(app, 1, &ep[1]);
	if (rc) {
		skit_endpoint_close(&ep[0]);
		return rc;
	}
	c = conn_new(app);
	if (!c) {
		skit_endpoint_close(&ep[0]);
		skit_endpoint_close(&ep[1]);
		return CLI_EXIT_FAIL;
	}
	for (int i = 0; i < 2; i++) {
		c->other = ep[i];
		describe_other(c, i);
	}
	/* c->other stays empty: ep[] keeps what the pair does not own. */
	memset(&c->other, 0, sizeof(c->other));
	c->other.rfd = c->other.wfd = -1;
	skit_endpoint_to_end(&ep[0], &end[0]);
	skit_endpoint_to_end(&ep[1], &end[1]);
	fill_cfg(app, c, &cfg);
	e = watch_stop(app);
	if (e == 0)
		e = skit_relay_new(app->loop, &end[0], &end[1], &cfg, &c->pair);
	if (e < 0) {
		cli_errorf("relay: %s", skit_strerror(e));
		for (int i = 0; i < 2; i++) {
			if (!end[i].own)
				continue;
			ep[i].rfd = end[i].rfd;
			ep[i].wfd = end[i].wfd;
		}
		rc = CLI_EXIT_FAIL;
	} else {
		log_open(c);
		skit_loop_run(app->loop);
		rc = app->exit_code;
	}
	/* The pair closed its fds; this restores stdio's flags. */
	if (app->conns == c)
		conn_free(c);
	skit_endpoint_close(&ep[0]);
	skit_endpoint_close(&ep[1]);
	return rc;
}

static int
run_server(struct app *app)
{
	const struct skit_addr *l = &app->addr[app->lside];
	struct skit_err err;
	int e;

	skit_err_clear(&err);
	e = skit_endpoint_open(l, SKIT_ROLE_LISTEN,
			       SKIT_EP_NONBLOCK |
				       (app->numeric ? SKIT_EP_NUMERIC : 0),
			       NULL, &app->lep, &err);
	if (e < 0)
		return cli_report(&err);
	sa_text(&app->lep.local, app->ldesc, sizeof(app->ldesc));
	if (l->family == AF_UNIX && !l->abstract && l->host[0])
		cli_stop_unlink(l->host);
	e = watch_stop(app);
	if (e < 0) {
		cli_errorf("relay: signals: %s", skit_strerror(e));
		listener_close(app);
		return CLI_EXIT_FAIL;
	}
	if (app->lep.type == SOCK_DGRAM) {
		app->dgbuf = malloc(65536);
		if (!app->dgbuf) {
			skit_endpoint_close(&app->lep);
			return CLI_EXIT_FAIL;
		}
	}
	if (skit_pipe(app->dpipe, true) < 0 ||
	    skit_loop_add(app->loop, app->dpipe[0], SKIT_EV_READ, on_dialled,
			  app) < 0) {
		/* No threads then: every dial happens in the loop. */
		skit_close(app->dpipe[0]);
		skit_close(app->dpipe[1]);
		app->dpipe[0] = app->dpipe[1] = -1;
	}
	e = skit_loop_add(app->loop, app->lep.rfd, SKIT_EV_READ, on_listener,
			  app);
	if (e < 0) {
		cli_errorf("relay: watch %s: %s", app->ldesc, skit_strerror(e));
		skit_endpoint_close(&app->lep);
		return CLI_EXIT_FAIL;
	}
	app->lwatched = true;
	cli_verbose("relay: listening on %s", app->ldesc);
	if (app->json) {
		struct cli_json j;

		cli_json_begin(&j, app->jf);
		cli_json_str(&j, "event", "listening");
		cli_json_str(&j, "address", app->ldesc);
		cli_json_bool(&j, "fork", app->fork);
		cli_json_end(&j);
		stop_if_stdout_failed(app);
	}
	skit_loop_run(app->loop);
	return app->exit_code;
}

int
cmd_relay(int argc, char **argv)
{
	struct app app = { 0 };
	int rc, e;

	app.dirs = SKIT_RELAY_BOTH;
	app.sigfd = -1;
	app.dpipe[0] = app.dpipe[1] = -1;
	app.lep.rfd = app.lep.wfd = -1;
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
	if (e < 0) {
		cli_errorf("relay: event loop: %s", skit_strerror(e));
		return CLI_EXIT_FAIL;
	}
	rc = cli_faults_init(&app.faults, app.addr, app.lside,
			     app.json ? app.jf : NULL);
	if (rc == 0 && app.control)
		rc = cli_faults_control(&app.faults, app.loop, app.control);
	e = rc ? 0 : setup_signals(&app);
	if (rc) {
		/* said */
	} else if (e < 0) {
		cli_errorf("relay: signals: %s", skit_strerror(e));
		rc = CLI_EXIT_FAIL;
	} else if (app.lside >= 0) {
		rc = run_server(&app);
	} else {
		rc = run_single(&app);
	}
	while (app.conns)
		conn_free(app.conns);
	cli_faults_close(&app.faults);
	if (app.lside >= 0)
		listener_close(&app);
	if (app.sigfd >= 0) {
		(void)skit_loop_del(app.loop, app.sigfd);
		skit_close(app.sigfd);
	}
	(void)skit_loop_del(app.loop, cli_stop_fd());
	if (app.dpipe[0] >= 0) {
		(void)skit_loop_del(app.loop, app.dpipe[0]);
		skit_close(app.dpipe[0]);
		skit_close(app.dpipe[1]);
	}
	free(app.dgbuf);
	skit_loop_free(app.loop);
	cli_stdout_flush();
	return rc;
}
