/*
 * connect.c - Happy Eyeballs (RFC 8305): connect to a list of addresses
 * with staggered, overlapping nonblocking attempts. The shape follows
 * curl's lib/cf-ip-happy.c: start the next attempt every stagger_ms
 * while earlier ones are pending (at once when one fails), cap how many
 * run together, keep the first that connects and close the rest, and on
 * total failure report the last real error with its address plus every
 * address's own error.
 */
#include "skit/io.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* At most this many attempts in flight (RFC 8305 leaves it open). */
#define HE_MAX_INFLIGHT 4

struct he_attempt {
	int fd;
	size_t idx;
};

struct he_state {
	const struct skit_addr *a;
	const struct skit_resolved *r;
	int *errs; /* per address: 0 not tried or pending, else a code */
	bool *tried;
	struct he_attempt act[HE_MAX_INFLIGHT];
	int nact;
	int last_err;
	size_t last_idx;
	long long deadline; /* monotonic ms, -1 for none */
	bool setup_failed;  /* last error came before connect() */
	struct skit_err setup_err;
};

static void
record(struct he_state *st, size_t idx, int code)
{
	st->errs[idx] = code;
	st->last_err = code;
	st->last_idx = idx;
	st->setup_failed = false;
}

/*
 * Start one attempt. Returns the fd when connected at once, -EINPROGRESS
 * when it is pending (added to st->act), or a negative code when it
 * failed (recorded).
 */
static int
he_start(struct he_state *st, size_t idx)
{
	struct skit_sockaddr sa = st->r->v[idx];
	struct skit_err e;
	bool unix_blocking;
	int fd, r;

	skit_err_clear(&e);
	st->tried[idx] = true;
	/*
	 * A unix stream connect never waits for the network, only for room
	 * in a busy server's backlog, and a nonblocking one fails with
	 * EAGAIN instead of waiting. So unix sockets connect blocking,
	 * bounded by SO_SNDTIMEO (which unix connect() honours).
	 */
	unix_blocking = sa.family == AF_UNIX;
	fd = skit__sock_create(&sa, !unix_blocking, &e);
	if (fd < 0) {
		r = fd;
		goto setup_fail;
	}
	r = skit_sock_apply_opts(fd, st->a, &sa, &e);
	if (r >= 0)
		r = skit__bind_source(fd, st->a, &sa, NULL, &e);
	if (r < 0) {
		skit_close(fd);
		goto setup_fail;
	}
	if (unix_blocking && st->deadline >= 0) {
		long long left = st->deadline - skit__now_ms();
		struct timeval tv;

		if (left < 1)
			left = 1;
		tv.tv_sec = (time_t)(left / 1000);
		tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) <
		    0) {
			r = skit_err_set(&e, -errno, "setsockopt", "");
			skit_close(fd);
			goto setup_fail;
		}
	}
	r = skit__connect(fd, &sa);
	if (unix_blocking && (r == -EAGAIN || r == -EINPROGRESS))
		r = -ETIMEDOUT;
	if (r == 0 && unix_blocking && st->deadline >= 0) {
		/* The time-out was for connect() only: later sends wait. */
		struct timeval zero = { 0, 0 };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof(zero));
	}
	if (r == 0)
		return fd;
	if (r == -EINPROGRESS) {
		st->act[st->nact].fd = fd;
		st->act[st->nact].idx = idx;
		st->nact++;
		return -EINPROGRESS;
	}
	skit_close(fd);
	record(st, idx, r);
	return r;
setup_fail:
	record(st, idx, r);
	st->setup_failed = true;
	st->setup_err = e;
	return r;
}

static void
he_drop(struct he_state *st, int k)
{
	skit_close(st->act[k].fd);
	st->act[k] = st->act[--st->nact];
}

/*
 * "tcp:[::1]:80: Connection refused; tcp:127.0.0.1:80: ...": every
 * address tried, whole entries only; when the next one does not fit,
 * "; +N more" says how many are left out.
 */
static void
he_detail(struct he_state *st, struct skit_err *err)
{
	char text[160], entry[256];
	size_t used = 0, more = 0, cap = sizeof(err->detail);
	int w;

	err->detail[0] = '\0';
	for (size_t i = 0; i < st->r->n; i++) {
		if (!st->tried[i])
			continue;
		skit__sa_text(&st->r->v[i], text, sizeof(text));
		w = snprintf(
			entry, sizeof(entry), "%s%s: %s", used ? "; " : "",
			text,
			skit_strerror(st->errs[i] ? st->errs[i] : -ETIMEDOUT));
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

static int
he_fail(struct he_state *st, bool timed_out, struct skit_err *err)
{
	char text[160];
	int code;

	for (int k = st->nact - 1; k >= 0; k--) {
		st->errs[st->act[k].idx] = -ETIMEDOUT;
		st->last_idx = st->act[k].idx;
		he_drop(st, k);
	}
	if (st->r->n == 1 && st->setup_failed && !timed_out) {
		if (err)
			*err = st->setup_err;
		return st->last_err;
	}
	code = timed_out ? -ETIMEDOUT : st->last_err;
	skit_err_set(
		err, code, "connect",
		skit__sa_text(&st->r->v[st->last_idx], text, sizeof(text)));
	if (err && st->r->n > 1)
		he_detail(st, err);
	return code;
}

/* The winner gets the blocking mode the caller asked for. */
static int
he_win(struct he_state *st, int fd, size_t idx, int flags,
       struct skit_sockaddr *peer, struct skit_err *err)
{
	char text[160];
	int e;

	while (st->nact > 0)
		he_drop(st, st->nact - 1);
	e = skit__set_nonblock(fd, flags & SKIT_OPEN_NONBLOCK);
	if (e < 0) {
		skit_close(fd);
		return skit_err_set(
			err, e, "fcntl",
			skit__sa_text(&st->r->v[idx], text, sizeof(text)));
	}
	if (peer) {
		socklen_t l = sizeof(int);
		int type;

		*peer = st->r->v[idx];
		/* An ICMP socket may have fallen back to SOCK_RAW. */
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == 0)
			peer->type = type;
	}
	return fd;
}

int
skit_connect_he_stop(const struct skit_addr *a, const struct skit_resolved *r,
		     int stagger_ms, int timeout_ms, int flags, int stopfd,
		     struct skit_sockaddr *peer, struct skit_err *err)
{
	struct pollfd pfd[HE_MAX_INFLIGHT + 1];
	struct he_state st;
	long long now, deadline, next_at;
	size_t next = 0;
	int fd = -1, ret, wait, so_err, k;
	socklen_t l;

	skit_err_clear(err);
	if (!r || r->n == 0)
		return skit_err_set(err, SKIT_EAI_NODATA, "connect", a->host);
	memset(&st, 0, sizeof(st));
	st.a = a;
	st.r = r;
	st.last_err = -ETIMEDOUT;
	st.errs = calloc(r->n, sizeof(*st.errs));
	st.tried = calloc(r->n, sizeof(*st.tried));
	if (!st.errs || !st.tried) {
		free(st.errs);
		free(st.tried);
		return skit_err_set(err, -ENOMEM, "connect", a->host);
	}
	if (stagger_ms < 10)
		stagger_ms = 10;
	now = skit__now_ms();
	deadline = timeout_ms < 0 ? -1 : now + timeout_ms;
	st.deadline = deadline;
	next_at = now;

	for (;;) {
		now = skit__now_ms();
		/* Start what is due: the first at once, then every stagger. */
		while (next < r->n && st.nact < HE_MAX_INFLIGHT &&
		       now >= next_at) {
			size_t idx = next++;

			ret = he_start(&st, idx);
			if (ret >= 0) {
				fd = he_win(&st, ret, idx, flags, peer, err);
				goto out;
			}
			/* A failure frees the slot for the next one now. */
			next_at = ret == -EINPROGRESS ? now + stagger_ms : now;
		}
		if (st.nact == 0 && next >= r->n) {
			fd = he_fail(&st, false, err);
			goto out;
		}
		if (deadline >= 0 && now >= deadline) {
			fd = he_fail(&st, true, err);
			goto out;
		}
		wait = -1;
		if (deadline >= 0)
			wait = (int)(deadline - now);
		if (next < r->n && st.nact < HE_MAX_INFLIGHT &&
		    (wait < 0 || next_at - now < wait))
			wait = (int)(next_at - now < 0 ? 0 : next_at - now);
		for (k = 0; k < st.nact; k++) {
			pfd[k].fd = st.act[k].fd;
			pfd[k].events = POLLOUT;
			pfd[k].revents = 0;
		}
		/* The stop fd sits after the attempts (-1: poll skips it). */
		pfd[k].fd = stopfd;
		pfd[k].events = POLLIN;
		pfd[k].revents = 0;
		ret = poll(pfd, (nfds_t)st.nact + 1, wait);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			while (st.nact > 0)
				he_drop(&st, st.nact - 1);
			fd = skit_err_set(err, ret, "poll", a->host);
			goto out;
		}
		if (ret <= 0)
			continue;
		if (pfd[st.nact].revents) {
			char text[160];

			while (st.nact > 0)
				he_drop(&st, st.nact - 1);
			fd = skit_err_set(err, -ECANCELED, "connect",
					  skit__sa_text(&r->v[st.last_idx],
							text, sizeof(text)));
			goto out;
		}
		/* Walk backwards: he_drop moves the last entry into k. */
		for (k = st.nact - 1; k >= 0; k--) {
			size_t idx = st.act[k].idx;

			if (!pfd[k].revents)
				continue;
			so_err = 0;
			l = sizeof(so_err);
			if (getsockopt(st.act[k].fd, SOL_SOCKET, SO_ERROR,
				       &so_err, &l) < 0)
				so_err = errno;
			if (so_err == 0 && (pfd[k].revents & POLLOUT)) {
				int winner = st.act[k].fd;

				st.act[k] = st.act[--st.nact];
				skit__trace("connect(%d) = 0 (after wait)",
					    winner);
				fd = he_win(&st, winner, idx, flags, peer, err);
				goto out;
			}
			if (so_err == 0)
				so_err = ECONNREFUSED;
			skit__trace("connect(%d) = -1 %s (after wait)",
				    st.act[k].fd, strerrorname_np(so_err));
			record(&st, idx, -so_err);
			he_drop(&st, k);
			next_at = skit__now_ms();
		}
	}
out:
	free(st.errs);
	free(st.tried);
	return fd;
}

int
skit_connect_he(const struct skit_addr *a, const struct skit_resolved *r,
		int stagger_ms, int timeout_ms, int flags,
		struct skit_sockaddr *peer, struct skit_err *err)
{
	return skit_connect_he_stop(a, r, stagger_ms, timeout_ms, flags, -1,
				    peer, err);
}
