/*
 * echo_server.c - the multi-threaded echo server of echo.h
 * (struct skit_echo_server): its sockets, one thread per loop, and the
 * stop protocol. The caller keeps the signal policy: it blocks its stop
 * signals before the threads start, takes them itself (sigwait), and
 * calls skit_echo_server_stop; the library only sends wake_signal to its
 * own threads (pthread_kill) to end a blocking read.
 *
 * A socket shared by several workers (stream listeners, one udp socket) is
 * counted: each worker lets go of it when it stops accepting, and the
 * last one closes it, so a client that comes after the stop is refused
 * instead of waiting in a backlog nobody reads.
 */
#include "skit/echo.h"
#include "skit/io.h"
#include "skit/serve.h"
#include "skit/sock.h"

#include "net/serve_int.h" /* the socket file's identity */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GRACE_STEP_MS 50 /* a draining loop looks at hurry this often */

struct worker {
	struct skit_echo_server *srv;
	pthread_t tid;
	int sock;      /* index in srv->fds */
	bool released; /* this worker no longer uses its socket */
	atomic_bool returned;
	struct skit_echo *e;
	struct skit_echo_stats st;
	int rc;
};

struct skit_echo_server {
	struct skit_echo_server_cfg cfg;
	struct skit_echo_cfg ecfg;
	struct skit_serve_limit *limit;
	struct skit_serve_share *share; /* one socket, several loops */
	int *fds;	   /* nfds sockets: one per worker, or one shared */
	atomic_int *users; /* workers still using each socket */
	int nfds;
	int stopfd; /* an eventfd: readable once a stop was asked */
	atomic_bool stop, hurry;
	atomic_int done; /* workers returned */
	struct worker *w;
	int started;
	char *path; /* our unix socket file */
	struct skit__file_id file;
};

/* --- the workers ------------------------------------------------------ */

/* The worker is done with its socket; the last user closes it. */
static void
release_sock(struct worker *w)
{
	struct skit_echo_server *srv = w->srv;

	if (w->released)
		return;
	w->released = true;
	if (atomic_fetch_sub(&srv->users[w->sock], 1) == 1) {
		skit_close(srv->fds[w->sock]);
		srv->fds[w->sock] = -1;
	}
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
	release_sock(w);
}

static void
finished(struct worker *w)
{
	atomic_store(&w->returned, true);
	atomic_fetch_add(&w->srv->done, 1);
	if (w->srv->cfg.on_done)
		w->srv->cfg.on_done(w->srv->cfg.data);
}

static void
serve_loop(struct worker *w)
{
	struct skit_echo_server *srv = w->srv;
	struct skit_loop *loop = NULL;
	struct skit_echo *e = NULL;
	struct skit_echo_cfg ecfg = srv->ecfg;
	bool hooked = false;
	int64_t deadline;
	int r;

	/* the faults' connection numbers: this worker's, none shared */
	ecfg.first_id = (uint64_t)(w - srv->w) + 1;
	ecfg.id_step = (unsigned)srv->cfg.threads;
	r = skit_loop_new(SKIT_LOOP_AUTO, &loop);
	if (r == 0)
		r = skit_echo_new(loop, srv->fds[w->sock], &ecfg, &e);
	w->e = e;
	if (r == 0)
		r = skit_loop_add(loop, srv->stopfd, SKIT_EV_READ, on_stop, w);
	if (r == 0 && srv->cfg.on_loop) {
		srv->cfg.on_loop(loop, (int)(w - srv->w), true, srv->cfg.data);
		hooked = true;
	}
	if (r == 0)
		r = skit_loop_run(loop);
	/* Stopped: serve what is open until it closes or grace runs out. */
	deadline = skit_now_ns() + srv->cfg.grace_ms * 1000000;
	while (r >= 0 && e && skit_echo_active(e) > 0 &&
	       !atomic_load(&srv->hurry) && skit_now_ns() < deadline)
		r = skit_loop_run_once(loop, GRACE_STEP_MS);
	if (r > 0)
		r = 0;
	if (e)
		skit_echo_stats(e, &w->st);
	skit_echo_free(e);
	if (hooked)
		srv->cfg.on_loop(loop, (int)(w - srv->w), false, srv->cfg.data);
	skit_loop_free(loop);
	w->rc = r;
}

/* The blocking datagram server's question: has a stop been asked? */
static bool
stop_asked(void *data)
{
	struct skit_echo_server *srv = data;

	return atomic_load(&srv->stop);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct skit_echo_server *srv = w->srv;

	if (srv->ecfg.type == SOCK_DGRAM)
		w->rc = skit_echo_dgram_serve(srv->fds[w->sock], &srv->ecfg,
					      stop_asked, srv, &w->st);
	else
		serve_loop(w);
	release_sock(w); /* if the loop failed before on_stop */
	finished(w);
	return NULL;
}

/* --- sockets ----------------------------------------------------------- */

static bool
is_inet(const struct skit_addr *a)
{
	return a->kind == SKIT_KIND_TCP || a->kind == SKIT_KIND_UDP;
}

static void
set_flag(struct skit_addr *a, enum skit_opt id)
{
	(void)skit_addr_set_flag(a, id, true, NULL);
}

/* The port the kernel chose, for the next sockets on it. */
static void
set_port(struct skit_addr *a, const struct skit_sockaddr *sa)
{
	const struct sockaddr *s = (const struct sockaddr *)&sa->ss;
	unsigned port = 0;

	if (s->sa_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)s)->sin_port);
	else if (s->sa_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)s)->sin6_port);
	(void)skit_addr_set_port_num(a, port, NULL);
}

/* Open srv->fds (see echo.h); returns 0 or a code, err filled. */
static int
open_sockets(struct skit_echo_server *srv, const struct skit_addr *a,
	     struct skit_sockaddr *local, struct skit_err *err)
{
	struct skit_addr b = *a;
	/* Datagram sockets block (skit_echo_dgram_serve), others sit in a
	 * loop. */
	int flags = SKIT_OPEN_PASSIVE |
		    (a->type == SOCK_DGRAM ? 0 : SKIT_OPEN_NONBLOCK);
	bool shared = is_inet(a) && (srv->cfg.reuseport ||
				     skit_addr_has(a, SKIT_OPT_REUSEPORT));
	int fd;

	if (a->kind == SKIT_KIND_TCP && !skit_addr_has(a, SKIT_OPT_NODELAY))
		set_flag(&b, SKIT_OPT_NODELAY); /* inherited by accepted fds */
	srv->nfds = 1;
	/* One socket per thread for udp, and tcp asked to share its port;
	 * else one, shared (echo.h). */
	if (is_inet(a) && srv->cfg.threads > 1 &&
	    (a->type == SOCK_DGRAM || shared)) {
		srv->nfds = srv->cfg.threads;
		if (!shared) {
			/* Is the port free? A plain bind says. */
			fd = skit_open(&b, SKIT_ROLE_LISTEN, flags, NULL, local,
				       NULL, err);
			if (fd < 0)
				return fd;
			set_port(&b, local);
			skit_close(fd);
		}
		set_flag(&b, SKIT_OPT_REUSEPORT);
	} else if (shared) {
		set_flag(&b, SKIT_OPT_REUSEPORT);
	}
	for (int i = 0; i < srv->nfds; i++) {
		fd = skit_open(&b, SKIT_ROLE_LISTEN, flags, NULL,
			       i ? NULL : local, NULL, err);
		if (fd < 0)
			return fd;
		if (i == 0 && is_inet(a))
			set_port(&b, local);
		srv->fds[i] = fd;
		atomic_init(&srv->users[i], 1);
	}
	if (srv->nfds == 1)
		atomic_init(&srv->users[0], srv->cfg.threads);
	/* A socket file we bound: removed at the end if still ours. */
	if (local->family == AF_UNIX && !a->abstract && a->host[0]) {
		(void)skit__file_id(a->host, &srv->file);
		srv->path = strdup(a->host);
		if (!srv->path)
			return skit_err_set(err, -ENOMEM, "listen", a->host);
	}
	return 0;
}

/* --- the API ----------------------------------------------------------- */

int
skit_echo_server_open(const struct skit_addr *a,
		      const struct skit_echo_server_cfg *cfg,
		      struct skit_echo_server **out,
		      struct skit_sockaddr *local, struct skit_err *err)
{
	struct skit_echo_server *srv;
	struct skit_sockaddr here;
	int n = cfg->threads > 0 ? cfg->threads : 1, r;

	*out = NULL;
	skit_err_clear(err);
	if (cfg->faults && a->type == SOCK_DGRAM)
		return skit_err_set(err, -EINVAL, "echo",
				    "faults on datagrams");
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return skit_err_set(err, -ENOMEM, "listen", a->host);
	srv->cfg = *cfg;
	srv->cfg.threads = n;
	srv->stopfd = -1;
	srv->fds = malloc((size_t)n * sizeof(*srv->fds));
	srv->users = calloc((size_t)n, sizeof(*srv->users));
	srv->w = calloc((size_t)n, sizeof(*srv->w));
	if (!srv->fds || !srv->users || !srv->w) {
		r = skit_err_set(err, -ENOMEM, "listen", a->host);
		goto fail;
	}
	for (int i = 0; i < n; i++)
		srv->fds[i] = -1;
	if (cfg->max_conns > 0 &&
	    (r = skit_serve_limit_new(cfg->max_conns, &srv->limit)) < 0) {
		skit_err_set(err, r, "listen", a->host);
		goto fail;
	}
	srv->stopfd = skit_eventfd();
	if (srv->stopfd < 0) {
		r = skit_err_set(err, srv->stopfd, "eventfd", a->host);
		goto fail;
	}
	r = open_sockets(srv, a, local ? local : &here, err);
	if (r < 0)
		goto fail;
	if (srv->nfds == 1 && n > 1 && a->type != SOCK_DGRAM &&
	    (r = skit_serve_share_new(n, &srv->share)) < 0) {
		skit_err_set(err, r, "listen", a->host);
		goto fail;
	}
	srv->ecfg = (struct skit_echo_cfg){
		.mode = cfg->mode,
		.type = a->type,
		.max_conns = cfg->max_conns,
		.limit = srv->limit,
		/* one listener for several loops: they take turns on it */
		.share = srv->share,
		.on_event = cfg->on_event,
		.data = cfg->data,
		.wake_signal = cfg->wake_signal,
		.layer = cfg->layer,
		.layer_cfg = cfg->layer_cfg,
		.faults = cfg->faults,
		.layer2 = cfg->layer2,
		.layer2_cfg = cfg->layer2_cfg,
	};
	*out = srv;
	return 0;
fail:
	skit_echo_server_free(srv);
	return r;
}

int
skit_echo_server_start(struct skit_echo_server *srv)
{
	int r = 0;

	for (int i = 0; i < srv->cfg.threads; i++) {
		struct worker *w = &srv->w[i];

		w->srv = srv;
		w->sock = srv->nfds > 1 ? i : 0;
		atomic_init(&w->returned, false);
		r = -pthread_create(&w->tid, NULL, worker_main, w);
		if (r < 0)
			break;
		srv->started++;
	}
	/* Sockets of workers that did not start: their share goes now. */
	for (int i = srv->started; i < srv->cfg.threads; i++) {
		srv->w[i].srv = srv;
		srv->w[i].sock = srv->nfds > 1 ? i : 0;
		release_sock(&srv->w[i]);
	}
	return r;
}

void
skit_echo_server_stop(struct skit_echo_server *srv, bool hurry)
{
	if (!atomic_exchange(&srv->stop, true))
		(void)skit_eventfd_signal(srv->stopfd);
	if (hurry)
		atomic_store(&srv->hurry, true);
	/* Wake blocked reads, again at each call: a worker may have been
	 * about to block when the last signal came. */
	for (int i = 0; srv->cfg.wake_signal && i < srv->started; i++)
		if (!atomic_load(&srv->w[i].returned))
			pthread_kill(srv->w[i].tid, srv->cfg.wake_signal);
}

bool
skit_echo_server_done(const struct skit_echo_server *srv)
{
	return atomic_load(&srv->done) >= srv->started;
}

int
skit_echo_server_wait(struct skit_echo_server *srv, struct skit_echo_stats *tot)
{
	int rc = 0;

	memset(tot, 0, sizeof(*tot));
	for (int i = 0; i < srv->started; i++) {
		struct worker *w = &srv->w[i];

		pthread_join(w->tid, NULL);
		tot->conns += w->st.conns;
		tot->rejected += w->st.rejected;
		tot->nofd += w->st.nofd;
		tot->bytes_in += w->st.bytes_in;
		tot->bytes_out += w->st.bytes_out;
		tot->msgs_in += w->st.msgs_in;
		tot->msgs_out += w->st.msgs_out;
		tot->dropped += w->st.dropped;
		if (w->st.have_tls && !tot->have_tls) {
			tot->have_tls = true;
			tot->tls = w->st.tls;
		}
		if (w->rc < 0 && rc == 0)
			rc = w->rc;
	}
	srv->started = 0;
	return rc;
}

void
skit_echo_server_free(struct skit_echo_server *srv)
{
	if (!srv)
		return;
	for (int i = 0; srv->fds && i < srv->nfds; i++)
		if (srv->fds[i] >= 0)
			skit_close(srv->fds[i]);
	if (srv->path)
		(void)skit__file_remove(srv->path, &srv->file);
	if (srv->stopfd >= 0)
		skit_close(srv->stopfd);
	skit_serve_limit_free(srv->limit);
	skit_serve_share_free(srv->share);
	free(srv->path);
	free(srv->fds);
	free(srv->users);
	free(srv->w);
	free(srv);
}
