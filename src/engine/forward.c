/*
 * forward.c - a listener's clients each relayed to a side opened for
 * them, or two sides relayed once (skit/forward.h): serve + async
 * endpoint opens + relay pairs, and the bookkeeping between them.
 * (Over 800 lines by its accessors: the record's life is one story.)
 */
#include "skit/forward.h"
#include "skit/io.h"
#include "skit/sock.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define DEF_QUEUE_MAX	    (256 * 1024)
#define HOLD_RETRY_MS	    2
#define DEF_SESSION_IDLE_MS 60000
#define REAP_MS		    100

/* A datagram kept while its session's other side opens. */
struct qmsg {
	struct qmsg *next;
	size_t len;
	char data[];
};

struct skit_fwd_pair {
	struct skit_fwd_pair *next, *prev;
	struct skit_fwd *f;
	unsigned long id;
	struct skit_endpoint side[2];
	bool opened[2];
	int opening;		       /* the side being opened, -1 none */
	struct skit_endpoint_op *op;   /* its open in progress */
	int cfd;		       /* a stream client, until the pair */
	struct skit_serve_session *ss; /* a datagram peer's session */
	bool dgram;		       /* a datagram peer's record */
	bool pushing;		       /* in push(): its pair may end */
	bool doomed;		       /* it did: free once push() is done */
	struct skit_relay *relay;
	struct skit_conn *conn[2]; /* cfg.layer's, not the pair's */
	struct qmsg *qhead, **qtail;
	size_t qbytes;
	uint64_t dropped;
	int64_t start_ns;
	void *data;
	char envbuf[2][320];
};

struct skit_fwd {
	struct skit_loop *loop;
	struct skit_fwd_cfg cfg;
	struct skit_addr addr[2];
	struct skit_serve *serve;
	struct skit_cidr range; /* range=, as an acl of one allow rule */
	struct skit_acl acl;
	struct skit_sockaddr local;
	char local_text[300];
	struct skit_fwd_pair *recs;
	unsigned long live, served, next_id;
	/* a datagram a relaying session had no room for (hold) */
	struct skit_fwd_pair *held_rec;
	char *held;
	size_t held_len;
	int64_t held_timer;
	/* children whose pair has gone and who have not exited yet (reap) */
	pid_t *kids;
	int nkids;
	int64_t reap_timer;
};

static int open_side(struct skit_fwd_pair *rec, int side, struct skit_err *err);

/* --- records --------------------------------------------------------- */

/* cfg.reap: wait for the children that outlive their pair. */
static void
reap(struct skit_loop *loop, void *data)
{
	struct skit_fwd *f = data;

	f->reap_timer = 0;
	for (int i = 0; i < f->nkids;) {
		if (waitpid(f->kids[i], NULL, WNOHANG) == 0)
			i++;
		else
			f->kids[i] = f->kids[--f->nkids];
	}
	if (f->nkids > 0)
		f->reap_timer = skit_loop_timer(loop, REAP_MS, reap, f);
}

static void
keep_kid(struct skit_fwd *f, pid_t pid)
{
	pid_t *k = realloc(f->kids, (size_t)(f->nkids + 1) * sizeof(*k));

	if (!k)
		return; /* left to the caller's SIGCHLD, if any */
	f->kids = k;
	f->kids[f->nkids++] = pid;
	if (!f->reap_timer)
		f->reap_timer = skit_loop_timer(f->loop, REAP_MS, reap, f);
}

static struct skit_fwd_pair *
rec_new(struct skit_fwd *f)
{
	struct skit_fwd_pair *rec = calloc(1, sizeof(*rec));

	if (!rec)
		return NULL;
	rec->f = f;
	rec->id = ++f->next_id;
	rec->cfd = -1;
	rec->opening = -1;
	rec->qtail = &rec->qhead;
	rec->start_ns = skit_now_ns();
	for (int i = 0; i < 2; i++) {
		rec->side[i].kind = f->addr[i].kind;
		rec->side[i].rfd = rec->side[i].wfd = -1;
	}
	rec->next = f->recs;
	if (f->recs)
		f->recs->prev = rec;
	f->recs = rec;
	f->live++;
	return rec;
}

static void
queue_clear(struct skit_fwd_pair *rec)
{
	while (rec->qhead) {
		struct qmsg *m = rec->qhead;

		rec->qhead = m->next;
		free(m);
	}
	rec->qtail = &rec->qhead;
	rec->qbytes = 0;
}

/*
 * The record goes: everything it still holds is closed, and the serve
 * counts the client off (release), unless the serve is being freed.
 */
static void
rec_free(struct skit_fwd_pair *rec, bool release)
{
	struct skit_fwd *f = rec->f;

	if (rec->prev)
		rec->prev->next = rec->next;
	else
		f->recs = rec->next;
	if (rec->next)
		rec->next->prev = rec->prev;
	f->live--;
	if (f->held_rec == rec)
		f->held_rec = NULL; /* nowhere to go: the hold timer resumes */
	skit_endpoint_open_cancel(rec->op);
	skit_relay_free(rec->relay);
	queue_clear(rec);
	skit_conn_free(rec->conn[0]);
	skit_conn_free(rec->conn[1]);
	for (int i = 0; i < 2; i++) {
		/* Restores stdio's flags; reaps a child that is done. */
		skit_endpoint_close(&rec->side[i]);
		(void)skit_endpoint_wait(&rec->side[i], false, NULL);
		if (rec->side[i].pid > 0 && f->cfg.reap)
			keep_kid(f, rec->side[i].pid);
	}
	if (f->cfg.on_free)
		f->cfg.on_free(f, rec, f->cfg.data);
	if (rec->ss) /* the serve forgets the peer (no callback) */
		skit_serve_session_end(f->serve, rec->ss);
	else if (release && !rec->dgram && f->cfg.lside >= 0)
		skit_serve_release(f->serve, rec->cfd); /* -1: count only */
	else if (rec->cfd >= 0)
		skit_close(rec->cfd);
	free(rec);
}

static void
rec_failed(struct skit_fwd_pair *rec, int side, int code,
	   const struct skit_err *err)
{
	struct skit_fwd *f = rec->f;

	f->served++;
	if (f->cfg.on_fail)
		f->cfg.on_fail(f, rec, side, code, err, f->cfg.data);
	rec_free(rec, true);
}

/* --- the pair -------------------------------------------------------- */

static void
pair_closed(struct skit_relay *r, void *data)
{
	struct skit_fwd_pair *rec = data;
	struct skit_fwd *f = rec->f;

	f->served++;
	if (f->cfg.on_close)
		f->cfg.on_close(f, rec, skit_relay_stats(r), f->cfg.data);
	if (rec->pushing)
		rec->doomed = true; /* push() frees it */
	else
		rec_free(rec, true);
}

/*
 * Feed datagrams to rec's pair (all of rec's queue with msg NULL). A
 * push may end the pair: rec is freed then, here, and the caller must
 * not touch it after.
 */
static void
push(struct skit_fwd_pair *rec, const void *msg, size_t len)
{
	int side = rec->f->cfg.lside;

	rec->pushing = true;
	if (msg)
		(void)skit_relay_push(rec->relay, side, msg, len);
	while (!msg && rec->qhead && !rec->doomed) {
		struct qmsg *m = rec->qhead;

		rec->qhead = m->next;
		if (!rec->qhead)
			rec->qtail = &rec->qhead;
		rec->qbytes -= m->len;
		(void)skit_relay_push(rec->relay, side, m->data, m->len);
		free(m);
	}
	rec->pushing = false;
	if (rec->doomed)
		rec_free(rec, true);
}

static void
pair_data(struct skit_relay *r, int dir, const void *buf, size_t len,
	  void *data)
{
	struct skit_fwd_pair *rec = data;

	(void)r;
	rec->f->cfg.on_data(rec->f, rec, dir, buf, len, rec->f->cfg.data);
}

/* The listener's end of rec: the client socket, or the session's peer
 * answered with sendto() on the shared socket, its messages pushed. */
static void
listener_end(struct skit_fwd_pair *rec, struct skit_relay_end *e)
{
	struct skit_fwd *f = rec->f;
	const struct skit_sockaddr *peer;

	if (!rec->ss) {
		skit_relay_end_from_fd(rec->cfd, true, e);
		return;
	}
	peer = skit_serve_session_peer(rec->ss);
	memset(e, 0, sizeof(*e));
	e->rfd = e->wfd = skit_serve_listen_fd(f->serve);
	e->type = f->local.type;
	e->pushed = true;
	memcpy(&e->to, &peer->ss, peer->len);
	e->tolen = peer->len;
}

static void
end_close(struct skit_relay_end *e)
{
	if (e->conn) {
		if (e->own)
			skit_conn_free(e->conn);
	} else if (e->own && !e->pushed && !e->tolen) {
		if (e->wfd >= 0 && e->wfd != e->rfd)
			skit_close(e->wfd);
		skit_close(e->rfd);
	}
	e->rfd = e->wfd = -1;
	e->conn = NULL;
}

/* cfg.layer[side]: e becomes a conn with that layer over e's fds (the
 * record's, the pair does not own it). 0 or a negative code. */
static int
layer_end(struct skit_fwd_pair *rec, int side, struct skit_relay_end *e)
{
	const struct skit_fwd_cfg *c = &rec->f->cfg;
	struct skit_conn *conn;
	struct skit_err err;
	int rc;

	if (!c->layer[side] || e->pushed || e->tolen || e->conn)
		return 0;
	rc = skit_conn_new(e->rfd, e->wfd, e->type, e->own, &conn);
	if (rc < 0)
		return rc;
	e->own = false; /* the conn has them now */
	rec->conn[side] = conn;
	rc = skit_conn_push(conn, c->layer[side], c->layer_cfg[side], &err);
	if (rc < 0)
		return rc;
	memset(e, 0, sizeof(*e));
	e->rfd = e->wfd = -1;
	e->conn = conn;
	return 0;
}

/* Both sides are open: the pair starts. */
static void
start_pair(struct skit_fwd_pair *rec)
{
	struct skit_fwd *f = rec->f;
	struct skit_relay_end end[2];
	struct skit_relay_cfg cfg = f->cfg.relay;
	struct skit_fault_cfg fc[2];
	struct skit_err err;
	int ls = f->cfg.lside, e = 0;

	for (int i = 0; i < 2; i++) {
		if (cfg.faults[i]) { /* numbered by the record: its seed */
			fc[i] = *cfg.faults[i];
			fc[i].conn_id = rec->id;
			cfg.faults[i] = &fc[i];
		}
		if (i == ls)
			listener_end(rec, &end[i]);
		else
			(void)skit_endpoint_to_end(&rec->side[i], &end[i]);
	}
	if (ls >= 0)
		rec->cfd = -1; /* the end has it now */
	for (int i = 0; i < 2 && e == 0; i++)
		e = layer_end(rec, i, &end[i]);
	if (e == 0 && f->cfg.on_ends)
		e = f->cfg.on_ends(f, rec, end, f->cfg.data);
	cfg.on_close = pair_closed;
	cfg.on_data = f->cfg.on_data ? pair_data : NULL;
	cfg.data = rec;
	if (e == 0)
		e = skit_relay_new(f->loop, &end[0], &end[1], &cfg,
				   &rec->relay);
	if (e < 0) {
		for (int i = 0; i < 2; i++)
			end_close(&end[i]);
		skit_err_set(&err, e, "relay", "");
		rec_failed(rec, -1, e, &err);
		return;
	}
	if (f->cfg.on_open)
		f->cfg.on_open(f, rec, f->cfg.data);
	if (rec->ss) /* what the session received while opening */
		push(rec, NULL, 0);
}

/* --- opening the sides ------------------------------------------------ */

static void
side_opened(struct skit_endpoint_op *op, int code, struct skit_endpoint *ep,
	    const struct skit_err *err, void *data)
{
	struct skit_fwd_pair *rec = data;
	int side = rec->opening;

	(void)op;
	rec->op = NULL;
	rec->opening = -1;
	if (code < 0) {
		rec_failed(rec, side, code, err);
		return;
	}
	rec->side[side] = *ep;
	rec->opened[side] = true;
	/* One pair: A first, then B. */
	if (!rec->opened[!side]) {
		struct skit_err oerr;
		int e = open_side(rec, !side, &oerr);

		if (e < 0)
			rec_failed(rec, !side, e, &oerr);
		return;
	}
	start_pair(rec);
}

static void
side_retry(struct skit_dial *d, int attempt, int64_t delay_ms,
	   const struct skit_err *why, void *data)
{
	struct skit_fwd_pair *rec = data;
	struct skit_fwd *f = rec->f;

	(void)d;
	if (f->cfg.on_retry)
		f->cfg.on_retry(f, rec, attempt, delay_ms, why, f->cfg.data);
}

/* Start opening side; 0, or a negative code with err (nothing started). */
static int
open_side(struct skit_fwd_pair *rec, int side, struct skit_err *err)
{
	struct skit_fwd *f = rec->f;
	char *env[3] = { rec->envbuf[0], rec->envbuf[1], NULL };
	struct skit_endpoint_async cfg = {
		.default_role = SKIT_ROLE_CONNECT,
		.flags = f->cfg.ep_flags[side],
		.env = f->cfg.lside >= 0 ? env : NULL,
		.res = f->cfg.res,
		.on_done = side_opened,
		.on_retry = side_retry,
		.data = rec,
	};
	int e;

	rec->opening = side;
	skit_err_clear(err);
	e = skit_endpoint_open_async(f->loop, &f->addr[side], &cfg, &rec->op,
				     err);
	if (e < 0)
		rec->opening = -1;
	return e;
}

/* A new client (fd >= 0) or datagram peer: its record, and the other
 * side opening. NULL when out of memory. */
static struct skit_fwd_pair *
client_new(struct skit_fwd *f, int fd, const struct skit_sockaddr *peer,
	   struct skit_serve_session *ss)
{
	struct skit_fwd_pair *rec = rec_new(f);
	struct skit_endpoint *ls;
	char pt[300];

	if (!rec)
		return NULL;
	rec->cfd = fd;
	rec->ss = ss;
	rec->dgram = fd < 0;
	ls = &rec->side[f->cfg.lside];
	ls->type = f->local.type;
	ls->peer = *peer;
	if (fd < 0 || skit_sock_local(fd, &ls->local) < 0)
		ls->local = f->local;
	rec->opened[f->cfg.lside] = true;
	if (skit_sockaddr_str(peer, pt, sizeof(pt)) < 0)
		snprintf(pt, sizeof(pt), "?");
	snprintf(rec->envbuf[0], sizeof(rec->envbuf[0]), "SKIT_PEER=%s", pt);
	snprintf(rec->envbuf[1], sizeof(rec->envbuf[1]), "SKIT_LOCAL=%s",
		 f->local_text);
	return rec;
}

/* --- the serve's callbacks -------------------------------------------- */

static void
on_conn(struct skit_serve *s, int fd, const struct skit_sockaddr *peer,
	void *data)
{
	struct skit_fwd *f = data;
	struct skit_fwd_pair *rec = client_new(f, fd, peer, NULL);
	struct skit_err err;
	int e;

	if (!rec) {
		skit_serve_release(s, fd);
		return;
	}
	if (f->cfg.once)
		skit_serve_close(s); /* one client: the listener goes */
	e = open_side(rec, !f->cfg.lside, &err);
	if (e < 0)
		rec_failed(rec, !f->cfg.lside, e, &err);
}

static void *
on_session(struct skit_serve *s, struct skit_serve_session *ss, void *data)
{
	struct skit_fwd *f = data;
	struct skit_fwd_pair *rec =
		client_new(f, -1, skit_serve_session_peer(ss), ss);
	struct skit_err err;
	int e;

	if (!rec)
		return NULL;
	/* Opens on a later loop turn: the session's data is set by then. */
	e = open_side(rec, !f->cfg.lside, &err);
	if (e < 0) {
		rec->ss = NULL; /* refused: the serve drops the datagram */
		rec_failed(rec, !f->cfg.lside, e, &err);
		return NULL;
	}
	if (f->cfg.once)
		skit_serve_close(s);
	return rec;
}

/* The held datagram's pair had no room: try again; once it is pushed
 * (or its pair has gone) the listener is read again. */
static void
on_held(struct skit_loop *loop, void *data)
{
	struct skit_fwd *f = data;
	struct skit_fwd_pair *rec = f->held_rec;

	f->held_timer = 0;
	if (rec &&
	    !skit_relay_push_fits(rec->relay, f->cfg.lside, f->held_len)) {
		f->held_timer =
			skit_loop_timer(loop, HOLD_RETRY_MS, on_held, f);
		if (f->held_timer > 0)
			return;
		f->held_timer = 0;
	}
	f->held_rec = NULL;
	skit_serve_pause(f->serve, false);
	if (rec) /* may end the pair: rec is not touched after */
		push(rec, f->held, f->held_len);
}

static bool
hold(struct skit_fwd *f, struct skit_fwd_pair *rec, const void *msg, size_t len)
{
	char *p = realloc(f->held, len ? len : 1);

	if (!p)
		return false;
	f->held = p;
	memcpy(p, msg, len);
	f->held_len = len;
	f->held_timer = skit_loop_timer(f->loop, HOLD_RETRY_MS, on_held, f);
	if (f->held_timer <= 0) {
		f->held_timer = 0;
		return false;
	}
	f->held_rec = rec;
	skit_serve_pause(f->serve, true);
	return true;
}

static void
on_datagram(struct skit_serve *s, struct skit_serve_session *ss,
	    const void *msg, size_t len, void *data)
{
	struct skit_fwd *f = data;
	struct skit_fwd_pair *rec = skit_serve_session_data(ss);
	struct qmsg *m;

	(void)s;
	if (!rec)
		return;
	if (!rec->relay) {
		/* Still opening: keep it for the pair, within bounds. */
		size_t max =
			f->cfg.queue_max ? f->cfg.queue_max : DEF_QUEUE_MAX;

		if (rec->qbytes + len > max ||
		    !(m = malloc(sizeof(*m) + len))) {
			rec->dropped++;
			return;
		}
		m->next = NULL;
		m->len = len;
		memcpy(m->data, msg, len);
		*rec->qtail = m;
		rec->qtail = &m->next;
		rec->qbytes += len;
		return;
	}
	if (!skit_relay_push_fits(rec->relay, f->cfg.lside, len) &&
	    hold(f, rec, msg, len))
		return;
	/* May end the pair: rec is not touched after. */
	push(rec, msg, len);
}

static void
on_session_end(struct skit_serve *s, struct skit_serve_session *ss,
	       enum skit_serve_end why, void *data)
{
	struct skit_fwd_pair *rec = skit_serve_session_data(ss);

	(void)s;
	(void)why;
	(void)data;
	if (!rec)
		return;
	rec->ss = NULL; /* the serve forgot the peer */
	if (rec->relay)
		skit_relay_close(rec->relay);
	else
		rec_free(rec, false);
}

static void
on_event(struct skit_serve *s, const struct skit_serve_event *ev, void *data)
{
	struct skit_fwd *f = data;

	(void)s;
	if (f->cfg.on_event)
		f->cfg.on_event(f, ev, f->cfg.data);
}

/* --- the forward ------------------------------------------------------ */

static int
start_listener(struct skit_fwd *f, struct skit_err *err)
{
	struct skit_serve_cfg sc = f->cfg.serve;
	int e;

	sc.session_idle_ms = sc.session_idle_ms ? sc.session_idle_ms : -1;
	sc.on_conn = on_conn;
	sc.on_session = on_session;
	sc.on_datagram = on_datagram;
	sc.on_session_end = on_session_end;
	sc.on_event = on_event;
	sc.data = f;
	e = skit_serve_open(f->loop, &f->addr[f->cfg.lside], f->cfg.open_flags,
			    &sc, &f->serve, err);
	if (e < 0)
		return e;
	f->local = *skit_serve_local(f->serve);
	if (skit_sockaddr_str(&f->local, f->local_text, sizeof(f->local_text)) <
	    0)
		snprintf(f->local_text, sizeof(f->local_text), "?");
	return 0;
}

/* The address options the forward implements (see the header). */
static void
apply_opts(struct skit_fwd *f)
{
	struct skit_fwd_cfg *c = &f->cfg;
	const struct skit_addr *l = c->lside >= 0 ? &f->addr[c->lside] : NULL;

	for (int i = 0; i < 2 && !c->relay.idle_ms; i++) {
		int64_t ms =
			skit_addr_num(&f->addr[!i], SKIT_OPT_IDLE_TIMEOUT, 0);
		int64_t other =
			skit_addr_num(&f->addr[i], SKIT_OPT_IDLE_TIMEOUT, 0);

		if (ms > 0 && (!other || ms <= other))
			c->relay.idle_ms = ms;
	}
	if (!l)
		return;
	if (skit_addr_num(l, SKIT_OPT_FORK, 0) ||
	    skit_addr_has(l, SKIT_OPT_MAX_CONNS))
		c->once = false;
	if (!c->serve.max_conns && !c->serve.limit)
		c->serve.max_conns =
			(int)skit_addr_num(l, SKIT_OPT_MAX_CONNS, 0);
	if (!c->serve.acl && skit_addr_get_range(l)) {
		f->range = *skit_addr_get_range(l);
		f->acl.allow = &f->range;
		f->acl.nallow = 1;
		c->serve.acl = &f->acl;
	}
	if (!c->relay.idle_ms && l->type == SOCK_DGRAM)
		c->relay.idle_ms = DEF_SESSION_IDLE_MS;
}

int
skit_fwd_start(struct skit_loop *loop, const struct skit_fwd_cfg *cfg,
	       struct skit_fwd **out, struct skit_err *err)
{
	struct skit_fwd *f;
	struct skit_fwd_pair *rec;
	int e;

	*out = NULL;
	if (!loop || !cfg->addr[0] || !cfg->addr[1] || cfg->lside < -1 ||
	    cfg->lside > 1)
		return skit_err_set(err, -EINVAL, "relay", "");
	f = calloc(1, sizeof(*f));
	if (!f)
		return skit_err_set(err, -ENOMEM, "relay", "");
	f->loop = loop;
	f->cfg = *cfg;
	f->addr[0] = *cfg->addr[0];
	f->addr[1] = *cfg->addr[1];
	f->cfg.addr[0] = &f->addr[0];
	f->cfg.addr[1] = &f->addr[1];
	apply_opts(f);
	if (cfg->lside >= 0) {
		e = start_listener(f, err);
		if (e < 0) {
			free(f);
			return e;
		}
	} else {
		rec = rec_new(f);
		e = rec ? open_side(rec, 0, err)
			: skit_err_set(err, -ENOMEM, "relay", "");
		if (e < 0) {
			f->cfg.on_free = NULL; /* no callback from here */
			if (rec)
				rec_free(rec, false);
			free(f);
			return e;
		}
	}
	*out = f;
	return 0;
}

void
skit_fwd_free(struct skit_fwd *f)
{
	if (!f)
		return;
	if (f->held_timer > 0)
		skit_loop_timer_cancel(f->loop, f->held_timer);
	while (f->recs)
		rec_free(f->recs, false);
	if (f->reap_timer > 0)
		skit_loop_timer_cancel(f->loop, f->reap_timer);
	/* No child outlives the forward: one still running is asked to go. */
	for (int i = 0; i < f->nkids; i++) {
		if (waitpid(f->kids[i], NULL, WNOHANG) == 0) {
			kill(f->kids[i], SIGTERM);
			(void)waitpid(f->kids[i], NULL, 0);
		}
	}
	free(f->kids);
	skit_serve_free(f->serve);
	free(f->held);
	free(f);
}

const struct skit_sockaddr *
skit_fwd_local(const struct skit_fwd *f)
{
	return f->serve ? &f->local : NULL;
}

unsigned long
skit_fwd_live(const struct skit_fwd *f)
{
	return f->live;
}

unsigned long
skit_fwd_served(const struct skit_fwd *f)
{
	return f->served;
}

struct skit_fwd_pair *
skit_fwd_first(const struct skit_fwd *f)
{
	return f->recs;
}

struct skit_fwd_pair *
skit_fwd_next(const struct skit_fwd_pair *rec)
{
	return rec->next;
}

unsigned long
skit_fwd_pair_id(const struct skit_fwd_pair *rec)
{
	return rec->id;
}

const struct skit_endpoint *
skit_fwd_pair_side(const struct skit_fwd_pair *rec, int side)
{
	return &rec->side[side ? 1 : 0];
}

bool
skit_fwd_pair_opened(const struct skit_fwd_pair *rec, int side)
{
	return rec->opened[side ? 1 : 0];
}

struct skit_conn *
skit_fwd_pair_conn(const struct skit_fwd_pair *rec, int side)
{
	return rec->conn[side ? 1 : 0];
}

struct skit_relay *
skit_fwd_pair_relay(const struct skit_fwd_pair *rec)
{
	return rec->relay;
}

int64_t
skit_fwd_pair_start_ns(const struct skit_fwd_pair *rec)
{
	return rec->start_ns;
}

uint64_t
skit_fwd_pair_dropped(const struct skit_fwd_pair *rec)
{
	return rec->dropped;
}

void *
skit_fwd_pair_data(const struct skit_fwd_pair *rec)
{
	return rec->data;
}

void
skit_fwd_pair_set_data(struct skit_fwd_pair *rec, void *data)
{
	rec->data = data;
}
