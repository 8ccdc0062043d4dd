/*
 * bench_conn.c - what both paths of the load generator (bench_run.c on
 * the loop, bench_fast.c blocking) share about one connection: how it
 * is dialled, what a request looks like, how a reply is checked, and how
 * a worker records its first error.
 */
#include "engine/bench_int.h"
#include "skit/io.h"
#include "skit/tls.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
bench_fatal(struct bench_worker *w, int code, const char *op, const char *fmt,
	    ...)
{
	va_list ap;

	if (!w->err) {
		w->err = code;
		skit_err_clear(&w->errrec);
		w->errrec.code = code;
		snprintf(w->errrec.op, sizeof(w->errrec.op), "%s", op);
		snprintf(w->errrec.subject, sizeof(w->errrec.subject), "%.250s",
			 w->b->where);
		if (fmt) {
			va_start(ap, fmt);
			vsnprintf(w->errrec.detail, sizeof(w->errrec.detail),
				  fmt, ap);
			va_end(ap);
		}
	}
	w->stopping = true;
	if (w->loop)
		skit_loop_stop(w->loop);
}

/*
 * The request bytes: a fixed pattern, the first 8 bytes the sequence.
 * With sockperf they start with sockperf's header instead: sequence,
 * flags "client" and "pong request", length, big-endian, which is what
 * a sockperf server answers (clearing the client flag).
 */
void
bench_stamp(const struct skit_bench_cfg *cfg, char *buf, uint64_t seq)
{
	size_t size = (size_t)cfg->size;

	if (cfg->sockperf && size >= SKIT_BENCH_SOCKPERF_HDR) {
		uint64_t s = htobe64(seq);
		uint16_t flags =
			htobe16(BENCH_SOCKPERF_CLIENT | BENCH_SOCKPERF_PONG);
		uint32_t len = htobe32((uint32_t)size);

		memcpy(buf, &s, 8);
		memcpy(buf + 8, &flags, 2);
		memcpy(buf + 10, &len, 4);
	} else if (size >= 8) {
		memcpy(buf, &seq, 8);
	}
}

void
bench_dial_cfg(const struct skit_bench *b, struct skit_dial_cfg *dc)
{
	memset(dc, 0, sizeof(*dc));
	dc->flags = SKIT_OPEN_NONBLOCK;
	dc->addrs = &b->res;
	dc->stagger_ms = 250;
	/* connect-timeout= when the address has one, else the time-out. */
	dc->connect_timeout_ms =
		skit_addr_has(&b->addr, SKIT_OPT_CONNECT_TIMEOUT)
			? 0
			: (b->cfg.timeout_ms > 0 ? b->cfg.timeout_ms
						 : SKIT_DIAL_NONE);
	dc->retries = SKIT_DIAL_NONE;
}

const struct skit_addr *
bench_dial_addr(const struct bench_conn *c, struct skit_addr *own)
{
	const struct skit_bench *b = c->w->b;
	char name[96];

	if (b->addr.kind != SKIT_KIND_UNIX_DGRAM ||
	    skit_addr_has(&b->addr, SKIT_OPT_BIND))
		return &b->addr;
	*own = b->addr;
	snprintf(name, sizeof(name), "@skit-bench-%d-%lx-%d", (int)getpid(),
		 (unsigned long)(uintptr_t)b & 0xffffff, c->idx);
	(void)skit_addr_set_str(own, SKIT_OPT_BIND, name, NULL);
	return own;
}

/* c's conn with cfg->layer over fd (not owned): 0 or a code with err. */
int
bench_layer_open(struct bench_conn *c, int fd, struct skit_err *err)
{
	const struct skit_bench_cfg *cfg = c->w->cfg;
	int rc;

	rc = skit_conn_new(fd, fd, SOCK_STREAM, false, &c->lc);
	if (rc == 0)
		rc = skit_conn_push(c->lc, cfg->layer, cfg->layer_cfg, err);
	else
		skit_err_set(err, rc, "bench", c->w->b->where);
	if (rc == 0 && cfg->layer2)
		rc = skit_conn_push(c->lc, cfg->layer2, cfg->layer2_cfg, err);
	if (rc < 0) {
		skit_conn_free(c->lc);
		c->lc = NULL;
	}
	return rc;
}

/* c's handshake is done: its worker keeps the first session's details. */
void
bench_layer_done(struct bench_conn *c)
{
	struct bench_worker *w = c->w;

	if (!w->have_tls && c->lc &&
	    skit_conn_tls_info(c->lc, &w->tls_info) == 0)
		w->have_tls = true;
}

/* Why c's handshake failed (the tls layer's reason, else code). */
const struct skit_err *
bench_layer_err(const struct bench_conn *c, int code, struct skit_err *err)
{
	const struct skit_err *why = skit_conn_tls_err(c->lc);

	if (why)
		return why;
	skit_err_set(err, code, "handshake with", c->w->b->where);
	return err;
}

/* c's layer over fd and its handshake, waited for (the stop fd
 * watched, each wait up to the time-out): 0, or a code with err (its
 * conn gone). */
static int
layer_wait(struct bench_conn *c, int fd, struct skit_err *err)
{
	int64_t to = c->w->cfg->timeout_ms;
	int rc = bench_layer_open(c, fd, err);

	if (rc < 0)
		return rc;
	rc = skit_conn_handshake_wait(
		c->lc, to > 0 && to < 86400000 ? (int)to : -1, c->w->b->stopfd);
	if (rc < 0) {
		const struct skit_err *why = bench_layer_err(c, rc, err);

		if (why != err)
			*err = *why;
		skit_conn_free(c->lc);
		c->lc = NULL;
	}
	return rc;
}

int
bench_dial_wait(struct bench_conn *c, int flags)
{
	struct bench_worker *w = c->w;
	struct skit_dial_cfg dc;
	struct skit_dial_result res;
	struct skit_addr own;
	struct skit_err err;
	int fd;

	bench_dial_cfg(w->b, &dc);
	dc.flags = flags;
	fd = skit_dial(bench_dial_addr(c, &own), &dc, w->b->stopfd, &res, &err);
	if (fd == -ECANCELED) {
		/* Stopped, not failed: the results so far stand. */
		w->stopping = true;
		return fd;
	}
	if (fd < 0) {
		bench_conn_failed(c, fd, &err);
		return fd;
	}
	if (w->cfg->layer) {
		int rc = layer_wait(c, fd, &err);

		if (rc < 0) {
			skit_close(fd);
			if (rc == -ECANCELED)
				w->stopping = true;
			else
				bench_conn_failed(c, rc, &err);
			return rc;
		}
		bench_layer_done(c);
	}
	bench_add(&w->conn_ok, 1);
	return fd;
}

/* A connect failed: counted; the first one kept. */
void
bench_conn_failed(struct bench_conn *c, int code, const struct skit_err *err)
{
	struct bench_worker *w = c->w;

	bench_add(&w->conn_fail, 1);
	if (!w->conn_err) {
		w->conn_err = code;
		if (err)
			w->conn_errrec = *err;
		else
			skit_err_set(&w->conn_errrec, code, "connect",
				     w->b->where);
	}
}

/* Reply byte i (of the request) as it may come back: itself, or with
 * sockperf the flags' low byte with the client flag cleared, as a
 * sockperf server answers. */
static bool
reply_byte_ok(const struct skit_bench_cfg *cfg, const char *sbuf, size_t i,
	      char b)
{
	return b == sbuf[i] || (cfg->sockperf && i == BENCH_SOCKPERF_FLAGS &&
				(unsigned char)b == ((unsigned char)sbuf[i] &
						     ~BENCH_SOCKPERF_CLIENT));
}

/* Compare reply bytes [off, off + n) with what was sent; false (and
 * fatal) if they differ. */
bool
bench_check_reply(struct bench_conn *c, const char *got, size_t off, size_t n)
{
	struct bench_worker *w = c->w;
	size_t fl = BENCH_SOCKPERF_FLAGS;

	if (w->cfg->sockperf && off <= fl && fl < off + n) {
		/* Around the flags byte, which may differ. */
		if (reply_byte_ok(w->cfg, w->sbuf, fl, got[fl - off]) &&
		    !memcmp(got, w->sbuf + off, fl - off) &&
		    !memcmp(got + (fl - off) + 1, w->sbuf + fl + 1,
			    off + n - fl - 1))
			return true;
	} else if (!memcmp(got, w->sbuf + off, n)) {
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!reply_byte_ok(w->cfg, w->sbuf, off + i, got[i])) {
			bench_fatal(
				w, SKIT_EPROTO, "bench",
				"the reply is not an echo of the request (byte "
				"%zu differs)",
				off + i);
			break;
		}
	return false;
}
