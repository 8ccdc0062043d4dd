/*
 * dial.c - Happy Eyeballs (RFC 8305) on an event loop, and the one
 * retry policy (include/skit/dial.h has the contract). The shape follows
 * curl's lib/cf-ip-happy.c: start the next attempt every stagger while
 * earlier ones are pending (at once when one fails), cap how many run
 * together, keep the first that connects and close the rest, and on
 * total failure report the last real error with its address plus every
 * address's own error.
 *
 * Every wait is the loop's: attempts are watched for writability, the
 * stagger, the round's time-out, a unix backlog's re-try and the delay
 * between rounds are loop timers, and a name lookup is a thread of its
 * own that reports through an eventfd (struct lookup).
 */
#include "skit/dial.h"
#include "skit/io.h"
#include "skit/proxy.h"
#include "net/sock_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* At most this many attempts in flight (RFC 8305 leaves it open). */
#define HE_MAX_INFLIGHT 4
#define STAGGER_DEFAULT 250
#define STAGGER_MIN	10
/* A unix connect meeting a full backlog is tried again after this. */
#define BACKLOG_FIRST_MS 1
#define BACKLOG_MAX_MS	 100
#define INTERVAL_DEFAULT 1000
#define DELAY_MAX_MS	 (8LL * 24 * 3600 * 1000)

/*
 * A name lookup in flight, shared by the dial and the thread: two
 * references, and whoever lets go last frees it, so that a cancelled
 * dial never waits for getaddrinfo(). The thread writes the result
 * fields, then sets done (release) and signals efd; the dial reads them
 * after it sees done (acquire).
 */
struct lookup {
	atomic_int refs;
	atomic_bool done;
	int efd;
	struct skit_addr addr;
	int flags;
	bool hooked;
	struct skit_resolver hook;
	int rc;
	struct skit_resolved out;
	struct skit_err err;
};

struct attempt {
	struct skit_dial *d;
	int fd; /* -1: free slot */
	size_t idx;
	struct skit_sockaddr sa; /* its address (type after an ICMP fallback) */
	int64_t timer;		 /* a unix backlog re-try, 0 none */
	int backoff_ms;
};

struct sync_state;

struct skit_dial {
	struct skit_loop *loop;
	struct skit_addr a;
	struct skit_dial_cfg cfg;
	struct skit_resolved fixed; /* cfg->addrs, copied */
	bool use_fixed;
	bool thread_ok; /* names may be looked up in a thread */
	int stagger_ms;
	int64_t timeout_ms; /* < 0: none */
	int retries;	    /* more rounds allowed (SKIT_DIAL_FOREVER) */
	int64_t interval_ms;
	int rounds;

	struct lookup *lk;
	int64_t step_timer;	/* kick, stagger or the delay between rounds */
	int64_t deadline_timer; /* the round's time-out */

	/* This round (Happy Eyeballs state). */
	struct skit_resolved r;
	int *errs; /* per address: 0 not tried or pending, else a code */
	bool *tried;
	struct attempt act[HE_MAX_INFLIGHT];
	int nact;
	size_t next;
	int64_t next_at; /* ns, when the next attempt may start */
	int last_err;
	size_t last_idx;
	bool setup_failed; /* last error came before connect() */
	struct skit_err setup_err;

	int in_cb;	/* inside a user callback: free after it returns */
	bool cancelled; /* skit_dial_cancel seen inside a callback */
	bool finished;	/* on_done called */
	struct sync_state *sync;

	/* proxy=: a is the proxy's address; the tunnel's handshake runs
	 * on the winner before on_done (skit/proxy.h) */
	struct tunnel *tun;
};

static void pump(struct skit_dial *d);
static void round_begin(struct skit_dial *d);
static void user_on_done(struct skit_dial *d, int code,
			 const struct skit_dial_result *res,
			 const struct skit_err *err);
static void dial_free(struct skit_dial *d);

/* --- proxy=: the tunnel through the proxy ------------------------------ */

struct tunnel {
	struct skit_proxy proxy;
	char host[SKIT_HOST_MAX]; /* the target, for the proxy to resolve */
	uint16_t port;
	struct skit_conn *conn; /* during the handshake, else NULL */
	int fd;
	int64_t timer;
	struct skit_dial_result res;
	struct skit_err err;
};

/* Take the proxy from a's proxy= and dial the proxy instead. */
static int
tunnel_setup(struct skit_dial *d, const struct skit_addr *a,
	     struct skit_err *err)
{
	struct tunnel *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return skit_err_set(err, -ENOMEM, "connect", a->host);
	t->fd = -1;
	d->tun = t;
	rc = skit_proxy_parse(skit_addr_str(a, SKIT_OPT_PROXY), &t->proxy, err);
	if (rc < 0)
		return rc;
	if (a->port_lo == 0 || a->port_is_range)
		return skit_err_setf(err, SKIT_EOPTION, "proxy", a->port, 0,
				     "a proxy needs the target's port as a "
				     "number");
	snprintf(t->host, sizeof(t->host), "%s", a->host);
	t->port = a->port_lo;
	rc = skit_proxy_addr(&t->proxy, a, &d->a, err);
	d->a.role = SKIT_ROLE_CONNECT;
	return rc;
}

/* Stop the handshake: off the loop, the conn freed, the fd closed. */
static void
tunnel_clear(struct skit_dial *d)
{
	struct tunnel *t = d->tun;

	if (!t)
		return;
	if (t->timer > 0)
		skit_loop_timer_cancel(d->loop, t->timer);
	t->timer = 0;
	if (t->conn) {
		(void)skit_loop_del(d->loop, t->fd);
		skit_conn_free(t->conn);
		t->conn = NULL;
		skit_close(t->fd);
		t->fd = -1;
	}
}

static void
tunnel_end(struct skit_dial *d, int code)
{
	struct tunnel *t = d->tun;
	int fd = t->fd;

	if (t->timer > 0)
		skit_loop_timer_cancel(d->loop, t->timer);
	t->timer = 0;
	(void)skit_loop_del(d->loop, fd);
	skit_conn_free(t->conn);
	t->conn = NULL;
	t->fd = -1;
	if (code == 0) {
		code = skit_fd_nonblock(fd, d->cfg.flags & SKIT_OPEN_NONBLOCK);
		if (code < 0)
			skit_err_set(&t->err, code, "fcntl", d->a.host);
	}
	d->finished = true;
	if (code < 0) {
		skit_close(fd);
		user_on_done(d, code, NULL, &t->err);
	} else {
		t->res.fd = fd;
		user_on_done(d, 0, &t->res, NULL);
	}
	dial_free(d);
}

static void
tunnel_step(struct skit_dial *d)
{
	struct tunnel *t = d->tun;
	int rc = skit_conn_handshake(t->conn);

	if (rc == -EAGAIN) {
		rc = skit_loop_mod(d->loop, t->fd,
				   skit_conn_events(t->conn, 0));
		if (rc == 0)
			return;
		skit_err_set(&t->err, rc, "poll", d->a.host);
	}
	tunnel_end(d, rc);
}

static void
tunnel_on_fd(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	(void)loop;
	(void)fd;
	(void)ev;
	tunnel_step(data);
}

static void
tunnel_on_deadline(struct skit_loop *loop, void *data)
{
	struct skit_dial *d = data;
	struct tunnel *t = d->tun;
	char op[32];

	(void)loop;
	t->timer = 0;
	snprintf(op, sizeof(op), "%s proxy",
		 skit_proxy_type_name(t->proxy.type));
	skit_err_setf(&t->err, -ETIMEDOUT, op, d->a.host, 0,
		      "no reply from the proxy in time");
	tunnel_end(d, -ETIMEDOUT);
}

/* The proxy answered the connect: ask it for the target. */
static void
tunnel_start(struct skit_dial *d, int fd, const struct skit_dial_result *res)
{
	struct tunnel *t = d->tun;
	char text[160];
	struct skit_proxy_cfg pc = {
		.proxy = &t->proxy,
		.host = t->host,
		.port = t->port,
		.proxy_text = skit__sa_text(&res->peer, text, sizeof(text)),
		.err = &t->err,
	};
	int rc;

	t->res = *res;
	t->fd = fd;
	rc = skit_conn_new(fd, fd, SOCK_STREAM, false, &t->conn);
	if (rc < 0) {
		skit_err_set(&t->err, rc, "proxy", text);
		tunnel_end(d, rc);
		return;
	}
	rc = skit_conn_push(t->conn, &skit_layer_proxy, &pc, &t->err);
	if (rc == 0)
		rc = skit_loop_add(d->loop, fd, SKIT_EV_WRITE, tunnel_on_fd, d);
	if (rc < 0) {
		if (!t->err.code)
			skit_err_set(&t->err, rc, "proxy", text);
		tunnel_end(d, rc);
		return;
	}
	if (d->timeout_ms > 0)
		t->timer = skit_loop_timer(d->loop, d->timeout_ms,
					   tunnel_on_deadline, d);
	tunnel_step(d);
}

/* --- the retry policy ------------------------------------------------ */

int64_t
skit_retry_delay(int attempt, int64_t interval_ms)
{
	int sh = attempt < 0 ? 0 : attempt < 3 ? attempt : 3;

	if (interval_ms <= 0)
		interval_ms = INTERVAL_DEFAULT;
	/* interval= is at most a day (the grammar), but callers may pass
	 * anything: saturate instead of overflowing. */
	if (interval_ms > INT64_MAX >> 3)
		return INT64_MAX;
	return interval_ms << sh;
}

bool
skit_dial_retryable(int code)
{
	switch (code) {
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ECONNABORTED:
	case -ETIMEDOUT:
	case -ENETUNREACH:
	case -ENETDOWN:
	case -EHOSTUNREACH:
	case -EHOSTDOWN:
	case -EADDRNOTAVAIL:
	case -ENOENT: /* a unix socket file not there (yet) */
	case -EAGAIN: /* a unix backlog full */
	case SKIT_EAI_AGAIN:
		return true;
	default:
		return false;
	}
}

/* --- the lookup thread ------------------------------------------------ */

static void
lookup_release(struct lookup *lk)
{
	if (atomic_fetch_sub(&lk->refs, 1) != 1)
		return;
	skit_close(lk->efd);
	skit_resolved_free(&lk->out);
	free(lk);
}

static void *
lookup_thread(void *arg)
{
	struct lookup *lk = arg;

	lk->rc =
		skit_resolve(&lk->addr, lk->flags,
			     lk->hooked ? &lk->hook : NULL, &lk->out, &lk->err);
	atomic_store_explicit(&lk->done, true, memory_order_release);
	(void)skit_eventfd_signal(lk->efd);
	lookup_release(lk);
	return NULL;
}

/* Does resolving a wait for a name lookup (DNS, /etc/hosts, a hook)? */
static bool
needs_lookup(const struct skit_addr *a, int flags)
{
	switch (a->kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
	case SKIT_KIND_ICMP:
	case SKIT_KIND_IP:
		return a->host[0] && !a->host_is_literal &&
		       !(flags & SKIT_OPEN_NUMERIC);
	default:
		return false;
	}
}

/*
 * A detached thread with every signal blocked (signals are the
 * program's business, on its own threads). Returns 0 or -errno.
 */
static int
spawn_detached(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	sigset_t all, old;
	pthread_t th;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&th, &at, fn, arg);
	pthread_attr_destroy(&at);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}

/* --- small helpers ----------------------------------------------------- */

static void
user_on_done(struct skit_dial *d, int code, const struct skit_dial_result *res,
	     const struct skit_err *err)
{
	d->in_cb++;
	d->cfg.on_done(d, code, res, err, d->cfg.data);
	d->in_cb--;
}

static void
attempt_close(struct skit_dial *d, struct attempt *at)
{
	if (at->timer > 0)
		skit_loop_timer_cancel(d->loop, at->timer);
	at->timer = 0;
	if (at->fd >= 0) {
		(void)skit_loop_del(d->loop, at->fd);
		skit_close(at->fd);
		d->nact--;
	}
	at->fd = -1;
}

static void
round_clear(struct skit_dial *d)
{
	for (int k = 0; k < HE_MAX_INFLIGHT; k++)
		attempt_close(d, &d->act[k]);
	if (d->deadline_timer > 0)
		skit_loop_timer_cancel(d->loop, d->deadline_timer);
	d->deadline_timer = 0;
	free(d->errs);
	free(d->tried);
	d->errs = NULL;
	d->tried = NULL;
	skit_resolved_free(&d->r);
}

/*
 * Take everything off the loop and let go of a lookup: done before
 * on_done runs, so the dial has nothing on the loop once it is told.
 */
static void
dial_detach(struct skit_dial *d)
{
	round_clear(d);
	if (d->step_timer > 0)
		skit_loop_timer_cancel(d->loop, d->step_timer);
	d->step_timer = 0;
	if (d->lk) {
		(void)skit_loop_del(d->loop, d->lk->efd);
		lookup_release(d->lk);
		d->lk = NULL;
	}
}

static void
dial_free(struct skit_dial *d)
{
	dial_detach(d);
	tunnel_clear(d);
	free(d->tun);
	skit_resolved_free(&d->fixed);
	free(d);
}

static void
set_step(struct skit_dial *d, int64_t when_ns, skit_timer_cb cb)
{
	if (d->step_timer > 0)
		skit_loop_timer_cancel(d->loop, d->step_timer);
	d->step_timer = skit_loop_timer_at(d->loop, when_ns, cb, d);
}

/* --- ending ------------------------------------------------------------ */

static void
finish_ok(struct skit_dial *d, struct attempt *at)
{
	struct skit_dial_result res;
	char text[160];
	int e, fd = at->fd;

	/* The winner leaves the table; every other attempt is closed. */
	(void)skit_loop_del(d->loop, fd);
	at->fd = -1;
	d->nact--;
	res.peer = at->sa;
	res.attempts = d->rounds;
	dial_detach(d);
	if (d->tun) {
		tunnel_start(d, fd, &res);
		return;
	}
	e = skit_fd_nonblock(fd, d->cfg.flags & SKIT_OPEN_NONBLOCK);
	d->finished = true;
	if (e < 0) {
		struct skit_err err;

		skit_close(fd);
		skit_err_set(&err, e, "fcntl",
			     skit__sa_text(&res.peer, text, sizeof(text)));
		user_on_done(d, e, NULL, &err);
	} else {
		res.fd = fd;
		user_on_done(d, 0, &res, NULL);
	}
	dial_free(d);
}

/* A round is due: the first one (kicked off by start) or a retry. */
static void
on_round_due(struct skit_loop *loop, void *data)
{
	struct skit_dial *d = data;

	(void)loop;
	d->step_timer = 0;
	round_begin(d);
}

/*
 * The round failed with code: another one after the policy's delay
 * when the code and the retries left allow, else the end.
 */
static void
round_fail(struct skit_dial *d, int code, const struct skit_err *err)
{
	struct skit_err e = *err;
	int done = d->rounds - 1; /* retries used so far */

	round_clear(d);
	if (skit_dial_retryable(code) &&
	    (d->retries == SKIT_DIAL_FOREVER || done < d->retries)) {
		int64_t ms = skit_retry_delay(done, d->interval_ms);

		/* interval= is at most a day; the clock must not wrap. */
		if (ms > DELAY_MAX_MS)
			ms = DELAY_MAX_MS;
		if (d->cfg.on_retry) {
			d->in_cb++;
			d->cfg.on_retry(d, done + 1, ms, &e, d->cfg.data);
			d->in_cb--;
			if (d->cancelled) {
				dial_free(d);
				return;
			}
		}
		set_step(d, skit_now_ns() + ms * 1000000, on_round_due);
		if (d->step_timer > 0)
			return;
		code = (int)d->step_timer;
		skit_err_set(&e, code, "connect", d->a.host);
	}
	d->finished = true;
	dial_detach(d);
	user_on_done(d, code, NULL, &e);
	dial_free(d);
}

static void
record(struct skit_dial *d, size_t idx, int code)
{
	d->errs[idx] = code;
	d->last_err = code;
	d->last_idx = idx;
	d->setup_failed = false;
}

/*
 * "tcp:[::1]:80: Connection refused; tcp:127.0.0.1:80: ...": every
 * address tried, whole entries only; when the next one does not fit,
 * "; +N more" says how many are left out.
 */
static void
he_detail(const struct skit_dial *d, struct skit_err *err)
{
	char text[160], entry[256];
	size_t used = 0, more = 0, cap = sizeof(err->detail);
	int w;

	err->detail[0] = '\0';
	for (size_t i = 0; i < d->r.n; i++) {
		if (!d->tried[i])
			continue;
		skit__sa_text(&d->r.v[i], text, sizeof(text));
		w = snprintf(
			entry, sizeof(entry), "%s%s: %s", used ? "; " : "",
			text,
			skit_strerror(d->errs[i] ? d->errs[i] : -ETIMEDOUT));
		/* Keep room for "; +NNNN more" after the last whole entry. */
		if (more || w < 0 || used + (size_t)w + 16 > cap) {
			more++;
			continue;
		}
		memcpy(err->detail + used, entry, (size_t)w + 1);
		used += (size_t)w;
	}
	if (more)
		snprintf(err->detail + used, cap - used, "%s+%zu more",
			 used ? "; " : "", more);
}

/* Every attempt failed (or the time ran out): the round's report. */
static void
he_fail(struct skit_dial *d, bool timed_out)
{
	struct skit_err err;
	char text[160];
	int code;

	for (int k = 0; k < HE_MAX_INFLIGHT; k++) {
		if (d->act[k].fd < 0)
			continue;
		d->errs[d->act[k].idx] = -ETIMEDOUT;
		d->last_idx = d->act[k].idx;
		attempt_close(d, &d->act[k]);
	}
	if (d->r.n == 1 && d->setup_failed && !timed_out) {
		err = d->setup_err;
		round_fail(d, d->last_err, &err);
		return;
	}
	code = timed_out ? -ETIMEDOUT : d->last_err;
	skit_err_set(&err, code, "connect",
		     skit__sa_text(&d->r.v[d->last_idx], text, sizeof(text)));
	if (d->r.n > 1)
		he_detail(d, &err);
	round_fail(d, code, &err);
}

/* --- attempts ---------------------------------------------------------- */

static void on_attempt(struct skit_loop *loop, int fd, unsigned ev, void *data);
static void on_backlog(struct skit_loop *loop, void *data);

static struct attempt *
free_slot(struct skit_dial *d)
{
	for (int k = 0; k < HE_MAX_INFLIGHT; k++)
		if (d->act[k].fd < 0)
			return &d->act[k];
	return NULL;
}

/* An attempt failed: record it, and let the next one start now. */
static void
attempt_failed(struct skit_dial *d, struct attempt *at, int code)
{
	record(d, at->idx, code);
	attempt_close(d, at);
	d->next_at = skit_now_ns();
}

/*
 * A unix stream/seqpacket connect found the backlog full: keep the
 * socket, and try connect() again after a short, growing pause.
 */
static int
backlog_wait(struct skit_dial *d, struct attempt *at)
{
	at->backoff_ms = at->backoff_ms ? at->backoff_ms * 2 : BACKLOG_FIRST_MS;
	if (at->backoff_ms > BACKLOG_MAX_MS)
		at->backoff_ms = BACKLOG_MAX_MS;
	at->timer = skit_loop_timer(d->loop, at->backoff_ms, on_backlog, at);
	return at->timer > 0 ? 0 : (int)at->timer;
}

/*
 * Start the attempt on address idx in slot at. Returns 1 when it won
 * (connected at once), 0 while it is pending, or a negative code when
 * it failed (recorded; the slot is free again).
 */
static int
he_start(struct skit_dial *d, struct attempt *at, size_t idx)
{
	struct skit_err e;
	int fd, r;

	skit_err_clear(&e);
	d->tried[idx] = true;
	at->d = d;
	at->idx = idx;
	at->sa = d->r.v[idx];
	at->timer = 0;
	at->backoff_ms = 0;
	fd = skit__sock_create(&at->sa, true, &e);
	if (fd < 0) {
		r = fd;
		goto setup_fail;
	}
	r = skit_sock_apply_opts(fd, &d->a, &at->sa, &e);
	if (r >= 0)
		r = skit__bind_source(fd, &d->a, &at->sa, NULL, &e);
	if (r < 0) {
		skit_close(fd);
		goto setup_fail;
	}
	at->fd = fd;
	d->nact++;
	if ((d->cfg.flags & SKIT_OPEN_NOCONNECT) &&
	    at->sa.type != SOCK_STREAM && at->sa.type != SOCK_SEQPACKET)
		return 1; /* created and bound is all it takes */
	r = skit__connect(fd, &at->sa);
	if (r == 0)
		return 1;
	if (r == -EINPROGRESS) {
		r = skit_loop_add(d->loop, fd, SKIT_EV_WRITE, on_attempt, at);
		if (r == 0)
			return 0;
	} else if (r == -EAGAIN && at->sa.family == AF_UNIX) {
		r = backlog_wait(d, at);
		if (r == 0)
			return 0;
	}
	attempt_failed(d, at, r);
	return r;
setup_fail:
	record(d, idx, r);
	d->setup_failed = true;
	d->setup_err = e;
	return r;
}

static void
on_attempt(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct attempt *at = data;
	struct skit_dial *d = at->d;
	int e;

	(void)loop;
	e = skit_sock_error(fd);
	if (e == 0 && (ev & SKIT_EV_WRITE)) {
		skit__trace("connect(%d) = 0 (after wait)", fd);
		finish_ok(d, at);
		return;
	}
	if (e == 0)
		e = -ECONNREFUSED;
	skit__trace("connect(%d) = -1 %s (after wait)", fd, skit_errname(e));
	attempt_failed(d, at, e);
	pump(d);
}

static void
on_backlog(struct skit_loop *loop, void *data)
{
	struct attempt *at = data;
	struct skit_dial *d = at->d;
	int r;

	(void)loop;
	at->timer = 0;
	r = skit__connect(at->fd, &at->sa);
	if (r == 0) {
		finish_ok(d, at);
		return;
	}
	if (r == -EAGAIN && backlog_wait(d, at) == 0)
		return;
	attempt_failed(d, at, r);
	pump(d);
}

static void
on_stagger(struct skit_loop *loop, void *data)
{
	struct skit_dial *d = data;

	(void)loop;
	d->step_timer = 0;
	pump(d);
}

static void
on_deadline(struct skit_loop *loop, void *data)
{
	struct skit_dial *d = data;

	(void)loop;
	d->deadline_timer = 0;
	he_fail(d, true);
}

/*
 * Start what is due (the first at once, then one every stagger, at
 * once after a failure), and decide when nothing is left.
 */
static void
pump(struct skit_dial *d)
{
	struct attempt *at;
	int64_t now = skit_now_ns();
	int r;

	while (d->next < d->r.n && (at = free_slot(d)) != NULL &&
	       now >= d->next_at) {
		r = he_start(d, at, d->next++);
		if (r == 1) {
			finish_ok(d, at);
			return;
		}
		now = skit_now_ns();
		/* A failure frees the slot for the next one now. */
		d->next_at =
			r == 0 ? now + (int64_t)d->stagger_ms * 1000000 : now;
	}
	if (d->nact == 0 && d->next >= d->r.n) {
		he_fail(d, false);
		return;
	}
	if (d->next < d->r.n && d->nact < HE_MAX_INFLIGHT)
		set_step(d, d->next_at, on_stagger);
}

/* --- rounds ------------------------------------------------------------ */

/* The round has its addresses in d->r: connect. */
static void
attempts_begin(struct skit_dial *d)
{
	struct skit_err err;

	if (d->r.n == 0) {
		skit_err_set(&err, SKIT_EAI_NODATA, "connect", d->a.host);
		round_fail(d, SKIT_EAI_NODATA, &err);
		return;
	}
	d->errs = calloc(d->r.n, sizeof(*d->errs));
	d->tried = calloc(d->r.n, sizeof(*d->tried));
	if (!d->errs || !d->tried) {
		skit_err_set(&err, -ENOMEM, "connect", d->a.host);
		round_fail(d, -ENOMEM, &err);
		return;
	}
	d->nact = 0;
	d->next = 0;
	d->last_err = -ETIMEDOUT;
	d->last_idx = 0;
	d->setup_failed = false;
	d->next_at = skit_now_ns();
	if (d->timeout_ms >= 0) {
		d->deadline_timer =
			skit_loop_timer(d->loop, d->timeout_ms, on_deadline, d);
		if (d->deadline_timer < 0) {
			int code = (int)d->deadline_timer;

			d->deadline_timer = 0;
			skit_err_set(&err, code, "connect", d->a.host);
			round_fail(d, code, &err);
			return;
		}
	}
	pump(d);
}

static void
on_lookup(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct skit_dial *d = data;
	struct lookup *lk = d->lk;
	struct skit_err err;
	int rc;

	(void)loop;
	(void)ev;
	if (!atomic_load_explicit(&lk->done, memory_order_acquire))
		return;
	(void)skit_loop_del(d->loop, fd);
	d->lk = NULL;
	rc = lk->rc;
	err = lk->err;
	d->r = lk->out; /* moved: the lookup lets go of it */
	lk->out.v = NULL;
	lk->out.n = 0;
	lookup_release(lk);
	if (rc < 0) {
		round_fail(d, rc, &err);
		return;
	}
	attempts_begin(d);
}

/* Start a lookup thread. Returns 0, or -errno when none could start. */
static int
lookup_start(struct skit_dial *d)
{
	struct lookup *lk = calloc(1, sizeof(*lk));
	int e;

	if (!lk)
		return -ENOMEM;
	atomic_init(&lk->refs, 2);
	atomic_init(&lk->done, false);
	lk->addr = d->a;
	lk->flags = d->cfg.flags;
	if (d->cfg.res) {
		lk->hooked = true;
		lk->hook = *d->cfg.res;
	}
	lk->efd = skit_eventfd();
	if (lk->efd < 0) {
		e = lk->efd;
		free(lk);
		return e;
	}
	e = skit_loop_add(d->loop, lk->efd, SKIT_EV_READ, on_lookup, d);
	if (e == 0)
		e = spawn_detached(lookup_thread, lk);
	if (e < 0) {
		(void)skit_loop_del(d->loop, lk->efd);
		skit_close(lk->efd);
		free(lk);
		return e;
	}
	d->lk = lk;
	return 0;
}

static void
round_begin(struct skit_dial *d)
{
	struct skit_err err;
	int rc;

	d->rounds++;
	skit_err_clear(&err);
	if (d->use_fixed) {
		d->r.v = malloc(d->fixed.n * sizeof(*d->r.v));
		if (!d->r.v && d->fixed.n) {
			skit_err_set(&err, -ENOMEM, "connect", d->a.host);
			round_fail(d, -ENOMEM, &err);
			return;
		}
		if (d->fixed.n)
			memcpy(d->r.v, d->fixed.v,
			       d->fixed.n * sizeof(*d->r.v));
		d->r.n = d->fixed.n;
		attempts_begin(d);
		return;
	}
	if (d->thread_ok && needs_lookup(&d->a, d->cfg.flags) &&
	    lookup_start(d) == 0)
		return;
	/* At once: nothing to wait for, or no thread to be had. */
	rc = skit_resolve(&d->a, d->cfg.flags, d->cfg.res, &d->r, &err);
	if (rc < 0) {
		round_fail(d, rc, &err);
		return;
	}
	attempts_begin(d);
}

/* --- the API ----------------------------------------------------------- */

static int
dial_new(struct skit_loop *loop, const struct skit_addr *a,
	 const struct skit_dial_cfg *cfg, struct skit_dial **out,
	 struct skit_err *err)
{
	struct skit_dial *d;
	int64_t n;

	*out = NULL;
	skit_err_clear(err);
	if (!skit_kind_is_socket(a->kind))
		return skit_err_set(err, SKIT_EKIND, "connect", a->host);
	if (!cfg->on_done)
		return skit_err_set(err, -EINVAL, "connect", a->host);
	d = calloc(1, sizeof(*d));
	if (!d)
		return skit_err_set(err, -ENOMEM, "connect", a->host);
	d->loop = loop;
	d->a = *a;
	d->a.role = SKIT_ROLE_CONNECT;
	d->cfg = *cfg;
	d->cfg.flags &= ~SKIT_OPEN_PASSIVE;
	d->thread_ok = true;
	for (int k = 0; k < HE_MAX_INFLIGHT; k++)
		d->act[k].fd = -1;
	if (skit_addr_has(a, SKIT_OPT_PROXY)) {
		int rc = tunnel_setup(d, a, err);

		if (rc < 0) {
			free(d->tun);
			free(d);
			return rc;
		}
	}
	if (cfg->addrs) {
		d->use_fixed = true;
		d->fixed.n = cfg->addrs->n;
		if (cfg->addrs->n) {
			d->fixed.v =
				malloc(cfg->addrs->n * sizeof(*d->fixed.v));
			if (!d->fixed.v) {
				free(d);
				return skit_err_set(err, -ENOMEM, "connect",
						    a->host);
			}
			memcpy(d->fixed.v, cfg->addrs->v,
			       cfg->addrs->n * sizeof(*d->fixed.v));
		}
	}
	d->stagger_ms = cfg->stagger_ms > 0 ? cfg->stagger_ms : STAGGER_DEFAULT;
	if (d->stagger_ms < STAGGER_MIN)
		d->stagger_ms = STAGGER_MIN;
	if (cfg->connect_timeout_ms > 0)
		d->timeout_ms = cfg->connect_timeout_ms;
	else if (cfg->connect_timeout_ms < 0)
		d->timeout_ms = -1;
	else
		d->timeout_ms = skit_addr_num(a, SKIT_OPT_CONNECT_TIMEOUT, -1);
	if (cfg->retries > 0) {
		d->retries = cfg->retries;
	} else if (cfg->retries < 0) {
		d->retries = 0;
	} else if (skit_addr_num(a, SKIT_OPT_FOREVER, 0)) {
		d->retries = SKIT_DIAL_FOREVER;
	} else {
		n = skit_addr_num(a, SKIT_OPT_RETRY, 0);
		d->retries = n < 0 ? 0 : n > INT_MAX - 1 ? INT_MAX - 1 : (int)n;
	}
	d->interval_ms =
		cfg->interval_ms > 0
			? cfg->interval_ms
			: skit_addr_num(a, SKIT_OPT_INTERVAL, INTERVAL_DEFAULT);
	*out = d;
	return 0;
}

int
skit_dial_start(struct skit_loop *loop, const struct skit_addr *a,
		const struct skit_dial_cfg *cfg, struct skit_dial **out,
		struct skit_err *err)
{
	struct skit_dial *d;
	int r = dial_new(loop, a, cfg, &d, err);

	if (r < 0)
		return r;
	/* The first round starts from the loop: no callback from in here. */
	d->step_timer = skit_loop_timer(loop, 0, on_round_due, d);
	if (d->step_timer < 0) {
		r = (int)d->step_timer;
		d->step_timer = 0;
		dial_free(d);
		return skit_err_set(err, r, "connect", a->host);
	}
	*out = d;
	return 0;
}

void
skit_dial_cancel(struct skit_dial *d)
{
	if (!d || d->cancelled)
		return;
	d->cancelled = true;
	/* From inside a callback the dial frees itself when it returns. */
	if (d->in_cb || d->finished)
		return;
	dial_free(d);
}

/* --- the blocking form ------------------------------------------------- */

struct sync_state {
	struct skit_dial *d;
	skit_dial_retry_cb on_retry;
	void *data;
	bool done;
	int code;
	struct skit_dial_result res;
	struct skit_err err;
};

static void
sync_done(struct skit_dial *d, int code, const struct skit_dial_result *res,
	  const struct skit_err *err, void *data)
{
	struct sync_state *s = data;

	(void)d;
	s->done = true;
	s->code = code;
	if (res)
		s->res = *res;
	if (err)
		s->err = *err;
	s->d = NULL;
}

/* What a cancelled dial names: its last address, else the host. */
static const char *
dial_subject(const struct skit_dial *d, char *text, size_t len)
{
	return d->r.n ? skit__sa_text(&d->r.v[d->last_idx], text, len)
		      : d->a.host;
}

static void
sync_retry(struct skit_dial *d, int attempt, int64_t delay_ms,
	   const struct skit_err *why, void *data)
{
	struct sync_state *s = data;
	char text[160];

	s->on_retry(d, attempt, delay_ms, why, s->data);
	if (d->cancelled) {
		s->done = true;
		s->code = skit_err_set(&s->err, -ECANCELED, "connect",
				       dial_subject(d, text, sizeof(text)));
		s->d = NULL;
	}
}

static void
sync_stop(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct sync_state *s = data;
	char text[160];

	(void)ev;
	(void)skit_loop_del(loop, fd);
	if (s->done)
		return; /* the dial ended earlier in this same wakeup */
	s->done = true;
	s->code = skit_err_set(&s->err, -ECANCELED, "connect",
			       dial_subject(s->d, text, sizeof(text)));
	skit_dial_cancel(s->d);
	s->d = NULL;
}

int
skit_dial(const struct skit_addr *a, const struct skit_dial_cfg *cfg,
	  int stopfd, struct skit_dial_result *res, struct skit_err *err)
{
	struct skit_dial_cfg c = *cfg;
	struct sync_state s;
	struct skit_loop *loop;
	struct skit_dial *d;
	int r;

	skit_err_clear(err);
	memset(&s, 0, sizeof(s));
	s.on_retry = cfg->on_retry;
	s.data = cfg->data;
	c.on_done = sync_done;
	c.on_retry = cfg->on_retry ? sync_retry : NULL;
	c.data = &s;
	/* poll(): a private loop needs no epoll fd of its own. */
	r = skit_loop_new(SKIT_LOOP_POLL, &loop);
	if (r < 0)
		return skit_err_set(err, r, "connect", a->host);
	r = dial_new(loop, a, &c, &d, err);
	if (r < 0) {
		skit_loop_free(loop);
		return r;
	}
	s.d = d;
	d->thread_ok = stopfd >= 0;
	if (stopfd >= 0) {
		r = skit_loop_add(loop, stopfd, SKIT_EV_READ, sync_stop, &s);
		if (r < 0) {
			dial_free(d);
			skit_loop_free(loop);
			return skit_err_set(err, r, "connect", a->host);
		}
	}
	/* The first round at once: this caller is waiting anyway. */
	round_begin(d);
	while (!s.done) {
		r = skit_loop_run_once(loop, -1);
		if (r < 0 && !s.done) {
			skit_dial_cancel(s.d);
			s.done = true;
			s.code = skit_err_set(&s.err, r, "poll", a->host);
		}
	}
	skit_loop_free(loop);
	if (s.code < 0) {
		if (err)
			*err = s.err;
		return s.code;
	}
	if (res)
		*res = s.res;
	return s.res.fd;
}
