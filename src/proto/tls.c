/*
 * tls.c - blocking TLS client sessions over connected fds
 * (include/skit/tls.h): the tls layer (src/layer/tls.c) on a conn over
 * the fd, waited for with poll() up to a deadline and a stop fd. skit
 * get's HTTPS runs on them.
 */
#include "core/io_int.h"
#include "layer/tls_int.h"
#include "skit/conn.h"
#include "skit/io.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct skit_tls {
	struct skit_conn *c; /* the fd (not owned) and the tls layer */
	int fd;
	int stopfd; /* -1: none */
	bool eof_clean;
};

/*
 * Wait until the conn's fd is ready for what the layer needs, given
 * want (SKIT_EV_READ or SKIT_EV_WRITE): 0, -ETIMEDOUT after the
 * deadline, -ECANCELED (stop fd), or -errno; err filled on failure.
 */
static int
wait_for(struct skit_tls *t, unsigned want, long long deadline, const char *op,
	 const char *subject, struct skit_err *err)
{
	unsigned ev = skit_conn_events(t->c, want);
	int w = skit_wait_fd_stop(t->fd,
				  (short)((ev & SKIT_EV_READ ? POLLIN : 0) |
					  (ev & SKIT_EV_WRITE ? POLLOUT : 0)),
				  skit__left_ms(deadline), t->stopfd);

	if (w > 0)
		return 0;
	return skit_err_set(err, w == 0 ? -ETIMEDOUT : w, op, subject);
}

/* The layer failed with code: its reason, under op. */
static int
layer_fail(struct skit_tls *t, int code, const char *op, const char *subject,
	   struct skit_err *err)
{
	const struct skit_err *why = skit_conn_tls_err(t->c);

	if (!why)
		return skit_err_set(err, code, op, subject);
	if (err) {
		*err = *why;
		snprintf(err->op, sizeof(err->op), "%s", op);
		snprintf(err->subject, sizeof(err->subject), "%s", subject);
	}
	return why->code;
}

int
skit_tls_connect(struct skit_tls_ctx *ctx, int fd, const char *host,
		 int timeout_ms, struct skit_tls **out, struct skit_err *err)
{
	return skit_tls_connect_stop(ctx, fd, host, timeout_ms, -1, out, err);
}

int
skit_tls_connect_stop(struct skit_tls_ctx *ctx, int fd, const char *host,
		      int timeout_ms, int stopfd, struct skit_tls **out,
		      struct skit_err *err)
{
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	struct skit_tls_layer_cfg lc = { .ctx = ctx, .host = host };
	struct skit_tls *t;
	int rc;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return skit_err_set(err, -ENOMEM, "TLS handshake", host);
	t->fd = fd;
	t->stopfd = stopfd;
	rc = skit_conn_new(fd, fd, SOCK_STREAM, false, &t->c);
	if (rc < 0) {
		free(t);
		return skit_err_set(err, rc, "TLS handshake", host);
	}
	rc = skit_conn_push(t->c, &skit_layer_tls, &lc, err);
	while (rc == 0) {
		rc = skit_conn_handshake(t->c);
		if (rc == 0)
			break;
		if (rc != -EAGAIN) {
			rc = layer_fail(t, rc, "TLS handshake", host, err);
			break;
		}
		rc = wait_for(t, SKIT_EV_READ, deadline, "TLS handshake", host,
			      err);
	}
	if (rc < 0) {
		skit_tls_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

ssize_t
skit_tls_read(struct skit_tls *t, void *buf, size_t len, int timeout_ms,
	      struct skit_err *err)
{
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	ssize_t n;
	int rc;

	if (len == 0)
		return 0;
	for (;;) {
		n = skit_conn_recv(t->c, buf, len);
		if (n > 0)
			return n;
		if (n == 0) {
			t->eof_clean = true;
			return 0;
		}
		if (n == SKIT_ETRUNC)
			return 0; /* the peer closed TCP without close_notify */
		if (n != -EAGAIN)
			return layer_fail(t, (int)n, "TLS read", "", err);
		rc = wait_for(t, SKIT_EV_READ, deadline, "TLS read", "", err);
		if (rc < 0)
			return rc;
	}
}

ssize_t
skit_tls_write(struct skit_tls *t, const void *buf, size_t len, int timeout_ms,
	       struct skit_err *err)
{
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	size_t done = 0;
	ssize_t n;
	int rc;

	for (;;) {
		n = done < len ? skit_conn_send(t->c, (const char *)buf + done,
						len - done)
			       : skit_conn_flush(t->c);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0 && done == len)
			return (ssize_t)len; /* taken and written */
		if (n != -EAGAIN)
			return layer_fail(t, n ? (int)n : -EPIPE, "TLS write",
					  "", err);
		rc = wait_for(t, SKIT_EV_WRITE, deadline, "TLS write", "", err);
		if (rc < 0)
			return rc;
	}
}

bool
skit_tls_eof_clean(const struct skit_tls *t)
{
	return t->eof_clean;
}

int
skit_tls_shutdown(struct skit_tls *t, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	int rc;

	for (;;) {
		rc = skit_conn_shutdown(t->c);
		if (rc != -EAGAIN)
			return rc;
		rc = wait_for(t, SKIT_EV_WRITE, deadline, "TLS shutdown", "",
			      NULL);
		if (rc < 0)
			return rc;
	}
}

void
skit_tls_free(struct skit_tls *t)
{
	if (!t)
		return;
	skit_conn_free(t->c); /* the fd stays open: not the conn's */
	free(t);
}

void
skit_tls_info(const struct skit_tls *t, struct skit_tls_info *info)
{
	if (skit_conn_tls_info(t->c, info) < 0)
		memset(info, 0, sizeof(*info));
}
