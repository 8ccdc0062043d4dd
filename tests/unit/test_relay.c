/*
 * test_relay.c - the pair engine and endpoints, over socketpairs, pipes
 * and files (no network needed): integrity both ways, half-close,
 * splice and copy, message boundaries, framing, errors, idle, push,
 * exec children, ends with layers (conn.h), quit_ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/relay_priv.h"
#include "skit/conn.h"
#include "skit/endpoint.h"
#include "skit/frame.h"
#include "skit/io.h"
#include "skit/loop.h"
#include "skit/relay.h"

struct closed {
	int calls;
	struct skit_relay_stats st;
};

static void
on_close(struct skit_relay *r, void *data)
{
	struct closed *c = data;

	c->calls++;
	c->st = *skit_relay_stats(r);
}

static void
sp(int type, int v[2])
{
	assert_int_equal(skit__socketpair(type, v), 0);
}

static void
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

/*
 * A peer: writes out[0..olen) then shuts down (if shut), reads into in
 * until EOF. Driven without blocking from the test's loop.
 */
struct peer {
	int fd;
	const unsigned char *out;
	size_t olen, osent;
	bool shut, shut_done;
	unsigned char *in;
	size_t icap, ilen;
	bool eof;
};

static void
peer_step(struct peer *p)
{
	ssize_t n;

	while (p->osent < p->olen) {
		n = skit_write_some(p->fd, p->out + p->osent,
				    p->olen - p->osent);
		if (n <= 0)
			break;
		p->osent += (size_t)n;
	}
	if (p->osent == p->olen && p->shut && !p->shut_done) {
		assert_int_equal(skit_shutdown(p->fd, SHUT_WR), 0);
		p->shut_done = true;
	}
	while (!p->eof) {
		n = skit_read_some(p->fd, p->in + p->ilen, p->icap - p->ilen);
		if (n == 0)
			p->eof = true;
		if (n <= 0)
			break;
		p->ilen += (size_t)n;
		assert_true(p->ilen <= p->icap);
	}
}

/* Relay between two socketpairs of type; both peers send and shut. */
static void
run_stream(int type, bool no_splice, size_t na, size_t nb)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb;
	struct skit_relay_cfg cfg = { 0 };
	struct closed c = { 0 };
	int pa[2], pb[2];
	unsigned char *da = malloc(na + 1), *db = malloc(nb + 1);
	unsigned char *ra = malloc(nb + 1), *rb = malloc(na + 1);
	struct peer A, B;
	int rounds = 0;

	fill(da, na, 1);
	fill(db, nb, 2);
	sp(type, pa);
	sp(type, pb);
	nonblock(pa[0]);
	nonblock(pb[1]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	assert_int_equal(skit_relay_end_from_fd(pa[1], true, &ea), 0);
	assert_int_equal(skit_relay_end_from_fd(pb[0], true, &eb), 0);
	cfg.no_splice = no_splice;
	cfg.on_close = on_close;
	cfg.data = &c;
	cfg.pipe_size = 65536;
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	A = (struct peer){ .fd = pa[0],
			   .out = da,
			   .olen = na,
			   .shut = true,
			   .in = ra,
			   .icap = nb + 1 };
	B = (struct peer){ .fd = pb[1],
			   .out = db,
			   .olen = nb,
			   .shut = true,
			   .in = rb,
			   .icap = na + 1 };
	while ((!A.eof || !B.eof || !c.calls) && rounds++ < 100000) {
		peer_step(&A);
		peer_step(&B);
		assert_true(skit_loop_run_once(loop, 50) >= 0);
	}
	assert_true(A.eof && B.eof);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(B.ilen, na);
	assert_int_equal(A.ilen, nb);
	assert_memory_equal(rb, da, na);
	assert_memory_equal(ra, db, nb);
	assert_int_equal(c.st.bytes[SKIT_DIR_AB], na);
	assert_int_equal(c.st.bytes[SKIT_DIR_BA], nb);
	if (type == SOCK_STREAM && !no_splice && na > 0)
		assert_true(c.st.spliced[SKIT_DIR_AB]);
	if (no_splice)
		assert_false(c.st.spliced[SKIT_DIR_AB]);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(pb[1]);
	free(da);
	free(db);
	free(ra);
	free(rb);
}

static void
test_stream_splice(void **state)
{
	(void)state;
	run_stream(SOCK_STREAM, false, 0, 0);
	run_stream(SOCK_STREAM, false, 1, 0);
	run_stream(SOCK_STREAM, false, 3 << 20, 65535);
}

static void
test_stream_copy(void **state)
{
	(void)state;
	run_stream(SOCK_STREAM, true, 0, 1);
	run_stream(SOCK_STREAM, true, 3 << 20, 1 << 20);
}

/* One side shuts down first; the other keeps sending for a while. */
static void
test_half_close(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb;
	struct skit_relay_cfg cfg = { .on_close = on_close };
	struct closed c = { 0 };
	int pa[2], pb[2];
	char buf[64];
	ssize_t n;

	(void)state;
	cfg.data = &c;
	sp(SOCK_STREAM, pa);
	sp(SOCK_STREAM, pb);
	nonblock(pa[0]);
	nonblock(pb[1]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	skit_relay_end_from_fd(pa[1], true, &ea);
	skit_relay_end_from_fd(pb[0], true, &eb);
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	/* A says EOF: B must read EOF, the pair must not end. */
	assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
	for (int i = 0; i < 20; i++)
		skit_loop_run_once(loop, 10);
	n = skit_read_some(pb[1], buf, sizeof(buf));
	assert_int_equal(n, 0);
	assert_int_equal(c.calls, 0);
	/* B still talks to A. */
	assert_int_equal(skit_write_some(pb[1], "late", 4), 4);
	for (int i = 0; i < 20 && skit_read_some(pa[0], buf, 4) != 4; i++)
		skit_loop_run_once(loop, 10);
	assert_memory_equal(buf, "late", 4);
	assert_int_equal(c.calls, 0);
	/* B says EOF too: now the pair ends. */
	assert_int_equal(skit_shutdown(pb[1], SHUT_WR), 0);
	for (int i = 0; i < 50 && !c.calls; i++)
		skit_loop_run_once(loop, 10);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(skit_read_some(pa[0], buf, sizeof(buf)), 0);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(pb[1]);
}

/* Message <-> message keeps every boundary, empty messages included. */
static void
run_msgs(int type)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb;
	struct skit_relay_cfg cfg = { .on_close = on_close };
	struct closed c = { 0 };
	int pa[2], pb[2];
	unsigned char msg[5000], got[6000];
	int sent = 0, recvd = 0;
	/*
	 * A zero-length seqpacket message reads as EOF (the kernel cannot
	 * tell them apart), so seqpacket messages here are never empty.
	 */
	size_t extra = type == SOCK_SEQPACKET ? 1 : 0;

	cfg.data = &c;
	sp(type, pa);
	sp(type, pb);
	nonblock(pa[0]);
	nonblock(pb[1]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	skit_relay_end_from_fd(pa[1], true, &ea);
	skit_relay_end_from_fd(pb[0], true, &eb);
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	for (int rounds = 0; recvd < 300 && rounds < 10000; rounds++) {
		while (sent < 300) {
			size_t len = (size_t)(sent * 37) % 4000 + extra;

			memset(msg, sent & 0xff, len);
			if (skit_write_some(pa[0], msg, len) < 0)
				break;
			sent++;
		}
		skit_loop_run_once(loop, 10);
		for (;;) {
			ssize_t n = skit_read_some(pb[1], got, sizeof(got));

			if (n < 0)
				break;
			assert_int_equal(n, (recvd * 37) % 4000 + (int)extra);
			for (ssize_t i = 0; i < n; i++)
				assert_int_equal(got[i], recvd & 0xff);
			recvd++;
		}
	}
	assert_int_equal(recvd, 300);
	assert_int_equal(skit_relay_stats(r)->msgs[SKIT_DIR_AB], 300);
	skit_relay_close(r);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_CLOSED);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(pb[1]);
}

static void
test_dgram_boundaries(void **state)
{
	(void)state;
	run_msgs(SOCK_DGRAM);
	run_msgs(SOCK_SEQPACKET);
}

/* Pump a loop until the pair closed or rounds run out. */
static void
spin(struct skit_loop *loop, struct closed *c, int rounds)
{
	for (int i = 0; i < rounds && !c->calls; i++)
		skit_loop_run_once(loop, 10);
}

/*
 * A pair for the framing tests: a stream socketpair pa (A is pa[1], the
 * test writes pa[0]) and a socketpair pb of type (B is pb[0], the test
 * reads pb[1]), the test's ends nonblocking.
 */
static struct skit_relay *
frame_pair(struct skit_loop **loop, struct skit_relay_cfg *cfg, int type,
	   int pa[2], int pb[2])
{
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb;

	sp(SOCK_STREAM, pa);
	sp(type, pb);
	nonblock(pa[0]);
	nonblock(pb[1]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, loop), 0);
	skit_relay_end_from_fd(pa[1], true, &ea);
	skit_relay_end_from_fd(pb[0], true, &eb);
	assert_int_equal(skit_relay_new(*loop, &ea, &eb, cfg, &r), 0);
	return r;
}

static void
frame_pair_free(struct skit_loop *loop, struct skit_relay *r, int pa[2],
		int pb[2])
{
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(pb[1]);
}

/* The next message on fd while the loop runs (bounded: 5 s). */
static ssize_t
next_msg(struct skit_loop *loop, int fd, char *buf, size_t len)
{
	ssize_t n = -EAGAIN;

	for (int i = 0; i < 500 && n == -EAGAIN; i++) {
		skit_loop_run_once(loop, 10);
		n = skit_read_some(fd, buf, len);
	}
	return n;
}

/*
 * stream -> seqpacket with line framing and back: a line keeps its "\n"
 * (an empty line is the message "\n", not an empty message, which would
 * read as EOF), the last line goes as it is, and messages come back
 * verbatim (no "\n" added to one without).
 */
static void
test_framing_line(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .framing = SKIT_FRAMING_LINE };
	struct closed c = { 0 };
	int pa[2], pb[2];
	char got[100];

	(void)state;
	cfg.data = &c;
	r = frame_pair(&loop, &cfg, SOCK_SEQPACKET, pa, pb);
	assert_int_equal(skit_write_some(pa[0], "one\ntwo\n\nthr", 12), 12);
	assert_int_equal(skit_write_some(pb[1], "back", 4), 4);
	assert_int_equal(skit_write_some(pb[1], "line\n", 5), 5);
	for (int i = 0; i < 20; i++)
		skit_loop_run_once(loop, 5);
	assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
	assert_int_equal(skit_shutdown(pb[1], SHUT_WR), 0);
	spin(loop, &c, 200);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(c.st.dropped[SKIT_DIR_AB], 0);
	assert_int_equal(c.st.msgs[SKIT_DIR_AB], 4);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 4);
	assert_memory_equal(got, "one\n", 4);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 4);
	assert_memory_equal(got, "two\n", 4);
	/* the empty line */
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 1);
	assert_memory_equal(got, "\n", 1);
	/* the last line, without "\n", at EOF */
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 3);
	assert_memory_equal(got, "thr", 3);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 0);
	/* back: both messages as they were, nothing added */
	assert_int_equal(skit_read_full(pa[0], got, sizeof(got), 1000), 9);
	assert_memory_equal(got, "backline\n", 9);
	frame_pair_free(loop, r, pa, pb);
}

/*
 * A line longer than SKIT_FRAME_MSG_MAX goes out over UDP-sized
 * datagrams, cut at the limit, and nothing of it is lost.
 */
static void
test_framing_long_line(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .framing = SKIT_FRAMING_LINE,
				      .dirs = SKIT_RELAY_AB };
	struct closed c = { 0 };
	size_t len = 2 * SKIT_FRAME_MSG_MAX + 100, got = 0;
	char *line = malloc(len), *back = malloc(len + 1);
	size_t sizes[4] = { 0 }, k = 0;
	int pa[2], pb[2];
	ssize_t n;

	(void)state;
	assert_non_null(line);
	assert_non_null(back);
	memset(line, 'x', len);
	line[len - 1] = '\n';
	cfg.data = &c;
	r = frame_pair(&loop, &cfg, SOCK_DGRAM, pa, pb);
	assert_int_equal(skit_write_all(pa[0], line, len, 1000), (ssize_t)len);
	assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
	/* Read while the relay runs: the datagram socket holds only a few. */
	while (k < 4 && got < len &&
	       (n = next_msg(loop, pb[1], back + got, len + 1 - got)) > 0) {
		sizes[k++] = (size_t)n;
		got += (size_t)n;
	}
	spin(loop, &c, 200);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(c.st.dropped[SKIT_DIR_AB], 0);
	assert_int_equal(k, 3);
	assert_int_equal(sizes[0], SKIT_FRAME_MSG_MAX);
	assert_int_equal(sizes[1], SKIT_FRAME_MSG_MAX);
	assert_int_equal(sizes[2], 100);
	assert_int_equal(got, len);
	assert_memory_equal(back, line, len);
	frame_pair_free(loop, r, pa, pb);
	free(line);
	free(back);
}

/*
 * A line that stops halfway (a prompt) goes as a message once the
 * stream has been quiet a while, without waiting for EOF; a complete
 * line after it is a message of its own.
 */
static void
test_framing_line_pause(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .framing = SKIT_FRAMING_LINE,
				      .dirs = SKIT_RELAY_AB };
	struct closed c = { 0 };
	int pa[2], pb[2];
	char got[100];

	(void)state;
	cfg.data = &c;
	r = frame_pair(&loop, &cfg, SOCK_DGRAM, pa, pb);
	assert_int_equal(skit_write_some(pa[0], "a\n$ ", 4), 4);
	assert_int_equal(next_msg(loop, pb[1], got, sizeof(got)), 2);
	assert_memory_equal(got, "a\n", 2);
	/* The pause is 100 ms; next_msg waits up to 5 s (a slow machine). */
	assert_int_equal(next_msg(loop, pb[1], got, sizeof(got)), 2);
	assert_memory_equal(got, "$ ", 2);
	assert_false(c.calls); /* the stream is still open */
	assert_int_equal(skit_write_some(pa[0], "ls\n", 3), 3);
	assert_int_equal(next_msg(loop, pb[1], got, sizeof(got)), 3);
	assert_memory_equal(got, "ls\n", 3);
	frame_pair_free(loop, r, pa, pb);
}

/* stream -> dgram with len16 framing; a frame cut short is an error. */
static void
test_framing_len(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .framing = SKIT_FRAMING_LEN16,
				      .dirs = SKIT_RELAY_AB };
	struct closed c = { 0 };
	int pa[2], pb[2];
	char got[100];

	(void)state;
	cfg.data = &c;
	r = frame_pair(&loop, &cfg, SOCK_DGRAM, pa, pb);
	assert_int_equal(skit_write_some(pa[0], "\0\3abc\0\0\0\5xy", 12), 12);
	assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
	spin(loop, &c, 200);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_ERROR);
	assert_int_equal(c.st.error, SKIT_ETRUNC);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 3);
	assert_memory_equal(got, "abc", 3);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 0);
	frame_pair_free(loop, r, pa, pb);
}

/* Writing to a peer that is gone is a reset. */
static void
test_reset(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb;
	struct skit_relay_cfg cfg = { .on_close = on_close };
	struct closed c = { 0 };
	int pa[2], pb[2];

	(void)state;
	cfg.data = &c;
	sp(SOCK_STREAM, pa);
	sp(SOCK_STREAM, pb);
	nonblock(pa[0]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	skit_relay_end_from_fd(pa[1], true, &ea);
	skit_relay_end_from_fd(pb[0], true, &eb);
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	close(pb[1]);
	assert_int_equal(skit_write_some(pa[0], "data", 4), 4);
	spin(loop, &c, 200);
	assert_int_equal(c.calls, 1);
	/* Either B's EOF came first (then A's data hits EPIPE) or not. */
	assert_int_equal(c.st.reason, SKIT_RELAY_RESET);
	assert_int_equal(c.st.error_side, 1);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
}

/*
 * close_linger_ms, a server's close: B (an exec child) answers and goes
 * away without reading what A sent. The direction into B ends alone
 * (EPIPE), B's answer reaches A, the pair ends by EOF, and A's socket
 * is closed lingering: it reads our answer and EOF, and is closed only
 * once it says EOF itself (a plain close could reset it, losing the
 * answer on TCP).
 */
static void
test_close_linger(void **state)
{
	static char big[1 << 20];
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .close_linger_ms = 5000 };
	struct closed c = { 0 };
	char buf[64];
	ssize_t n;
	int pa[2], pb[2];

	(void)state;
	cfg.data = &c;
	r = frame_pair(&loop, &cfg, SOCK_STREAM, pa, pb);
	/* A sends more than B will ever read; B answers and exits. */
	assert_true(skit_write_some(pa[0], big, sizeof(big)) > 0);
	assert_int_equal(skit_write_some(pb[1], "reply", 5), 5);
	assert_int_equal(skit_shutdown(pb[1], SHUT_RDWR), 0);
	spin(loop, &c, 500);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(c.st.bytes[SKIT_DIR_BA], 5);
	n = skit_read_some(pa[0], buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "reply", 5);
	assert_int_equal(skit_read_some(pa[0], buf, sizeof(buf)), 0);
	/* Lingering: A's socket waits for A's EOF, reading what comes. */
	assert_int_equal(skit_loop_count(loop), 1);
	assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
	for (int i = 0; i < 500 && skit_loop_count(loop) > 0; i++)
		skit_loop_run_once(loop, 10);
	assert_int_equal(skit_loop_count(loop), 0);
	frame_pair_free(loop, r, pa, pb);
}

static void
test_idle(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb;
	struct skit_relay_cfg cfg = { .on_close = on_close, .idle_ms = 30 };
	struct closed c = { 0 };
	int pa[2], pb[2];

	(void)state;
	cfg.data = &c;
	sp(SOCK_STREAM, pa);
	sp(SOCK_STREAM, pb);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	skit_relay_end_from_fd(pa[1], true, &ea);
	skit_relay_end_from_fd(pb[0], true, &eb);
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	assert_int_equal(skit_loop_run(loop), 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_IDLE);
	assert_int_equal(c.st.limit_ms, 30);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(pb[1]);
}

/* An end fed by skit_relay_push, as a UDP listener's session is. */
static const struct skit_relay_end pushed_dgram = {
	.rfd = -1,
	.wfd = -1,
	.pushed = true,
	.type = SOCK_DGRAM,
};

/*
 * Pushed messages into a datagram socket whose peer never reads: once
 * its send buffer is full the message waits; after send_timeout_ms (or
 * idle_ms, when that comes first) the pair ends with SKIT_EFULL and the
 * limit that ran out, instead of waiting for ever.
 */
static void
full_case(int64_t send_ms, int64_t idle_ms, int64_t want_limit)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea = pushed_dgram, eb;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .send_timeout_ms = send_ms,
				      .idle_ms = idle_ms };
	struct closed c = { 0 };
	char msg[1000];
	int pb[2], small = 4096;

	cfg.data = &c;
	memset(msg, 'm', sizeof(msg));
	sp(SOCK_DGRAM, pb);
	assert_int_equal(
		setsockopt(pb[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)),
		0);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	skit_relay_end_from_fd(pb[0], true, &eb);
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	/* More than the send buffer holds; pb[1] never reads. */
	for (int i = 0; i < 100 && !c.calls; i++) {
		(void)skit_relay_push(r, 0, msg, sizeof(msg));
		skit_loop_run_once(loop, 0);
	}
	spin(loop, &c, 500);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_ERROR);
	assert_int_equal(c.st.error, SKIT_EFULL);
	assert_int_equal(c.st.error_side, 1);
	assert_string_equal(c.st.error_op, "write");
	assert_int_equal(c.st.limit_ms, want_limit);
	assert_true(c.st.msgs[SKIT_DIR_AB] > 0);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pb[1]);
}

/*
 * The same from a stream through the framing layer the pair adds, into
 * a `to` end (a shared datagram socket, as listen's per-peer sessions
 * have): the lines come in pieces, so the layer completes lines it took
 * and holds them for the full receiver. That counts as a message
 * waiting, too, also once no more data comes.
 */
static void
full_framed_case(int64_t send_ms, int64_t idle_ms, int64_t want_limit)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb = { .rfd = -1, .type = SOCK_DGRAM };
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .framing = SKIT_FRAMING_LINE,
				      .dirs = SKIT_RELAY_AB,
				      .send_timeout_ms = send_ms,
				      .idle_ms = idle_ms };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct closed c = { 0 };
	char piece[600];
	int pa[2], rx, small = 4096;
	socklen_t len;

	cfg.data = &c;
	memset(piece, 'p', sizeof(piece));
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
		 "skit-test-relay-%d", (int)getpid());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			  strlen(sun.sun_path + 1));
	rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(rx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&sun, len), 0);
	eb.wfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(eb.wfd >= 0);
	assert_int_equal(setsockopt(eb.wfd, SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)),
			 0);
	memcpy(&eb.to, &sun, len);
	eb.tolen = len;
	sp(SOCK_STREAM, pa);
	nonblock(pa[0]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	skit_relay_end_from_fd(pa[1], true, &ea);
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	/* Half a line, then its end and half the next, ...; never read. */
	for (int i = 0; i < 200 && !c.calls; i++) {
		piece[sizeof(piece) - 1] = i % 2 ? '\n' : 'p';
		(void)skit_write_some(pa[0], piece, sizeof(piece));
		for (int k = 0; k < 3; k++)
			skit_loop_run_once(loop, 0);
	}
	spin(loop, &c, 500);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.error, SKIT_EFULL);
	assert_int_equal(c.st.error_side, 1);
	assert_int_equal(c.st.limit_ms, want_limit);
	assert_true(c.st.msgs[SKIT_DIR_AB] > 0);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(eb.wfd);
	close(rx);
}

static void
test_full(void **state)
{
	(void)state;
	full_case(50, 0, 50);	 /* the send time-out */
	full_case(0, 60, 60);	 /* the idle time-out, with a message stuck */
	full_case(2000, 40, 40); /* whichever comes first */
	full_framed_case(50, 0, 50);
	full_framed_case(0, 60, 60);
}

/* file -> socket -> file through the blocking wrapper (regular files). */
static void
test_files(void **state)
{
	char in[] = "/tmp/skit-test-relay-in-XXXXXX";
	char out[] = "/tmp/skit-test-relay-out-XXXXXX";
	int fi = mkstemp(in), fo = mkstemp(out), p[2], q[2];
	size_t n = (1 << 20) + 7;
	unsigned char *d = malloc(n), *g = malloc(n + 1);
	struct skit_relay_end ea = { 0 }, eb = { 0 };
	struct skit_relay_stats st;
	struct skit_relay_cfg cfg = { .dirs = SKIT_RELAY_AB };

	(void)state;
	assert_true(fi >= 0 && fo >= 0);
	fill(d, n, 7);
	assert_int_equal(skit_write_all(fi, d, n, -1), (ssize_t)n);
	assert_int_equal(lseek(fi, 0, SEEK_SET), 0);
	/* file -> pipe p (the relay); pipe q feeds the second relay. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	ea = (struct skit_relay_end){ .rfd = fi, .wfd = -1, .own = true };
	eb = (struct skit_relay_end){ .rfd = -1, .wfd = p[1], .own = true };
	(void)q;
	if (fork() == 0) {
		close(p[0]);
		_exit(skit_relay_run(&ea, &eb, &cfg, &st, NULL) == 0 ? 0 : 1);
	}
	close(fi);
	close(p[1]);
	ea = (struct skit_relay_end){ .rfd = p[0], .wfd = -1, .own = true };
	eb = (struct skit_relay_end){ .rfd = -1, .wfd = fo, .own = true };
	cfg.no_splice = true;
	assert_int_equal(skit_relay_run(&ea, &eb, &cfg, &st, NULL), 0);
	assert_int_equal(st.bytes[SKIT_DIR_AB], n);
	fo = open(out, O_RDONLY);
	assert_int_equal(skit_read_full(fo, g, n + 1, -1), (ssize_t)n);
	assert_memory_equal(g, d, n);
	close(fo);
	unlink(in);
	unlink(out);
	free(d);
	free(g);
}

/* A pushed end (a UDP listener session) into a stream with len32. */
static void
test_push(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea = pushed_dgram, eb;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .framing = SKIT_FRAMING_LEN32 };
	struct closed c = { 0 };
	int pb[2];
	char got[100];

	(void)state;
	cfg.data = &c;
	sp(SOCK_STREAM, pb);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	skit_relay_end_from_fd(pb[0], true, &eb);
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	assert_int_equal(skit_relay_push(r, 0, "hi", 2), 0);
	assert_int_equal(skit_relay_push(r, 0, "", 0), 0);
	assert_int_equal(skit_relay_push(r, 1, "x", 1), -EINVAL);
	assert_int_equal(skit_read_full(pb[1], got, 10, 1000), 10);
	assert_memory_equal(got, "\0\0\0\2hi\0\0\0\0", 10);
	assert_int_equal(skit_relay_push_eof(r, 0), 0);
	assert_int_equal(skit_shutdown(pb[1], SHUT_WR), 0);
	spin(loop, &c, 100);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(skit_read_some(pb[1], got, 10), 0);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pb[1]);
}

/*
 * A pushed message the pair's buffer cannot hold whole (the stream
 * behind it is slow) is taken in pieces: the rest waits in the framing
 * layer and goes on without another push; a message that finds no room
 * at all is dropped (ENOBUFS). Every byte of the others arrives.
 */
static void
test_push_pieces(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea = pushed_dgram, eb;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .framing = SKIT_FRAMING_LEN32,
				      .buf_size = 65536 };
	struct closed c = { 0 };
	size_t mlen = 40000, want = 2 * (mlen + 4), got = 0;
	char *msg = malloc(mlen), *back = malloc(want + 1);
	int pb[2], small = 4096, rc = 0;
	ssize_t n;

	(void)state;
	assert_non_null(msg);
	assert_non_null(back);
	cfg.data = &c;
	sp(SOCK_STREAM, pb);
	nonblock(pb[1]);
	assert_int_equal(
		setsockopt(pb[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)),
		0);
	assert_int_equal(
		setsockopt(pb[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
		0);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	skit_relay_end_from_fd(pb[0], true, &eb);
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	skit_loop_run_once(loop, 0);
	memset(msg, 'a', mlen);
	assert_int_equal(skit_relay_push(r, 0, msg, mlen), 0);
	memset(msg, 'b', mlen);
	assert_int_equal(skit_relay_push(r, 0, msg, mlen), 0);
	/* Nothing drained yet: no room for a third. */
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = skit_relay_push(r, 0, msg, mlen);
	assert_int_equal(rc, -ENOBUFS);
	for (int i = 0; i < 500 && got < want; i++) {
		skit_loop_run_once(loop, 10);
		while ((n = skit_read_some(pb[1], back + got, want + 1 - got)) >
		       0)
			got += (size_t)n;
	}
	assert_int_equal(got, want);
	assert_memory_equal(back,
			    "\0\0\x9c"
			    "\x40"
			    "aaaa",
			    8);
	assert_memory_equal(back + mlen + 4,
			    "\0\0\x9c"
			    "\x40"
			    "bbbb",
			    8);
	assert_true(c.calls == 0);
	assert_true(skit_relay_stats(r)->dropped[SKIT_DIR_AB] >= 1);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pb[1]);
	free(msg);
	free(back);
}

static void
test_exec_split(void **state)
{
	char buf[128];
	char *v[8];

	(void)state;
	assert_int_equal(skit_exec_split("tr a-z  A-Z", buf, sizeof(buf), v, 8),
			 3);
	assert_string_equal(v[0], "tr");
	assert_string_equal(v[2], "A-Z");
	assert_null(v[3]);
	assert_int_equal(skit_exec_split("echo 'a b' \"c\\\"d\" e\\ f ''", buf,
					 sizeof(buf), v, 8),
			 5);
	assert_string_equal(v[1], "a b");
	assert_string_equal(v[2], "c\"d");
	assert_string_equal(v[3], "e f");
	assert_string_equal(v[4], "");
	assert_int_equal(skit_exec_split("a 'b", buf, sizeof(buf), v, 8),
			 -EINVAL);
	assert_int_equal(skit_exec_split("   ", buf, sizeof(buf), v, 8),
			 -EINVAL);
	assert_int_equal(skit_exec_split("a b c d", buf, sizeof(buf), v, 3),
			 -E2BIG);
}

/* exec: and sh: children on a socketpair, env passed, reaped. */
static void
test_exec(void **state)
{
	struct skit_addr a;
	struct skit_endpoint ep;
	struct skit_err err;
	char *env[] = { "SKIT_TEST_VAR=hello", NULL };
	char got[64];
	int st = 0;
	ssize_t n;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.kind = SKIT_KIND_EXEC;
	snprintf(a.host, sizeof(a.host), "tr a-z A-Z");
	assert_int_equal(
		skit_endpoint_open(&a, SKIT_ROLE_CONNECT, 0, NULL, &ep, &err),
		0);
	assert_int_equal(ep.type, SOCK_STREAM);
	assert_true(ep.pid > 0);
	assert_int_equal(skit_write_all(ep.wfd, "abc", 3, -1), 3);
	assert_int_equal(skit_shutdown(ep.wfd, SHUT_WR), 0);
	n = skit_read_full(ep.rfd, got, sizeof(got), 5000);
	assert_int_equal(n, 3);
	assert_memory_equal(got, "ABC", 3);
	skit_endpoint_close(&ep);
	assert_int_equal(skit_endpoint_wait(&ep, true, &st), 1);
	assert_int_equal(st, 0);

	a.kind = SKIT_KIND_SH;
	snprintf(a.host, sizeof(a.host),
		 "printf %%s \"$SKIT_TEST_VAR\"; ls /proc/self/fd | wc -l");
	assert_int_equal(
		skit_endpoint_open(&a, SKIT_ROLE_CONNECT, 0, env, &ep, &err),
		0);
	n = skit_read_full(ep.rfd, got, sizeof(got) - 1, 5000);
	assert_true(n > 5);
	got[n] = '\0';
	/* 0, 1, 2 and the one ls opens to list the directory: 4 */
	assert_string_equal(got, "hello4\n");
	skit_endpoint_close(&ep);
	assert_int_equal(skit_endpoint_wait(&ep, true, &st), 1);

	a.kind = SKIT_KIND_EXEC;
	snprintf(a.host, sizeof(a.host), "/nonexistent/prog");
	assert_true(skit_endpoint_open(&a, SKIT_ROLE_CONNECT, 0, NULL, &ep,
				       &err) < 0);
	assert_int_equal(err.code, -ENOENT);
}

/*
 * socat's address forms and options (the ones issue 4 lists) parse to
 * the same address as their skit spelling.
 */
static void
test_socat_aliases(void **state)
{
	static const char *const pairs[][2] = {
		{ "TCP-LISTEN:8080,fork,reuseaddr",
		  "tcp-listen:8080,fork,reuseaddr" },
		{ "TCP:127.0.0.1:80", "tcp:127.0.0.1:80" },
		{ "TCP4:127.0.0.1:80", "tcp4:127.0.0.1:80" },
		{ "TCP6:[::1]:80", "tcp6:[::1]:80" },
		{ "TCP4-LISTEN:8080", "tcp4-listen:8080" },
		{ "TCP6-LISTEN:8080", "tcp6-listen:8080" },
		{ "UNIX-CONNECT:/tmp/s", "unix:/tmp/s" },
		{ "UNIX-CLIENT:/tmp/s", "unix:/tmp/s" },
		{ "UNIX-LISTEN:/tmp/s,fork,unlink-early,mode=600",
		  "unix-listen:/tmp/s,fork,unlink,mode=600" },
		{ "UNIX-LISTEN:/tmp/s,perm=0600",
		  "unix-listen:/tmp/s,mode=0600" },
		{ "ABSTRACT-LISTEN:name", "unix-listen:@name" },
		{ "ABSTRACT-CONNECT:name", "unix:@name" },
		{ "UDP-RECVFROM:5353", "udp-listen:5353" },
		{ "UDP-LISTEN:5353,fork", "udp-listen:5353,fork" },
		{ "UDP-SENDTO:127.0.0.1:53", "udp:127.0.0.1:53" },
		{ "STDIO", "-" },
		{ "EXEC:cat", "exec:cat" },
		{ "SYSTEM:tr a-z A-Z", "sh:tr a-z A-Z" },
		{ "OPEN:/tmp/f", "file:/tmp/f" },
		{ "CREATE:/tmp/f", "file:/tmp/f,create,trunc" },
		{ "PIPE", "pipe" },
		{ "PIPE:/tmp/fifo", "pipe:/tmp/fifo" },
		{ "TCP:127.0.0.1:80,bind=127.0.0.2",
		  "tcp:127.0.0.1:80,bind=127.0.0.2" },
		{ "TCP-LISTEN:8080,range=127.0.0.0/8",
		  "tcp-listen:8080,range=127.0.0.0/8" },
		{ "TCP:127.0.0.1:80,nodelay,keepalive",
		  "tcp:127.0.0.1:80,nodelay,keepalive" },
		{ "TCP:127.0.0.1:80,tcp-nodelay,so-keepalive",
		  "tcp:127.0.0.1:80,nodelay,keepalive" },
		{ "TCP:127.0.0.1:80,rcvbuf=65536,sndbuf=65536",
		  "tcp:127.0.0.1:80,rcvbuf=64k,sndbuf=64k" },
		{ "TCP:127.0.0.1:80,retry=5,interval=0.5",
		  "tcp:127.0.0.1:80,retry=5,interval=500ms" },
		{ "TCP:127.0.0.1:80,forever,interval=1",
		  "tcp:127.0.0.1:80,forever,interval=1s" },
		{ "TCP:127.0.0.1:80,connect-timeout=2",
		  "tcp:127.0.0.1:80,connect-timeout=2000ms" },
		{ "TCP-LISTEN:8080,reuseaddr,max-children=10",
		  "tcp-listen:8080,reuseaddr,max-conns=10" },
	};
	struct skit_addr a, b;
	struct skit_err err;
	char fa[SKIT_ADDR_TEXT_MAX], fb[SKIT_ADDR_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		int ra = skit_addr_parse(pairs[i][0], SKIT_ROLE_CONNECT, &a,
					 &err);
		int rb;

		if (ra < 0)
			fail_msg("%s: %s", pairs[i][0], err.detail);
		rb = skit_addr_parse(pairs[i][1], SKIT_ROLE_CONNECT, &b, &err);
		if (rb < 0)
			fail_msg("%s: %s", pairs[i][1], err.detail);
		assert_true(skit_addr_format(&a, fa, sizeof(fa)) > 0);
		assert_true(skit_addr_format(&b, fb, sizeof(fb)) > 0);
		if (strcmp(fa, fb) != 0 || a.kind != b.kind ||
		    a.role != b.role || a.family != b.family ||
		    a.type != b.type || a.abstract != b.abstract)
			fail_msg("%s -> '%s' but %s -> '%s'", pairs[i][0], fa,
				 pairs[i][1], fb);
	}
}

/* Open fds of this process (to see whether a private pipe was made). */
static int
count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/*
 * One end is a pair of pipes (as stdin/stdout of `cat | skit connect |
 * cat`), the other a socket: both directions splice directly, with no
 * private pipe, and every byte arrives in order both ways.
 */
static void
test_pipe_direct(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea = { .rfd = -1, .wfd = -1 }, eb;
	struct skit_relay_cfg cfg = { .on_close = on_close };
	struct closed c = { 0 };
	size_t na = 5 << 20, nb = 3 << 20, sent = 0, got = 0;
	unsigned char *da = malloc(na), *db = malloc(nb);
	unsigned char *ra = malloc(nb + 1), *rb = malloc(na + 1);
	int in[2], out[2], s[2], before, rounds = 0;
	bool eof = false;
	struct peer B;
	ssize_t n;

	(void)state;
	fill(da, na, 3);
	fill(db, nb, 4);
	assert_int_equal(pipe2(in, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
	sp(SOCK_STREAM, s);
	nonblock(s[1]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	ea.rfd = in[0];
	ea.wfd = out[1];
	ea.own = true;
	assert_int_equal(skit_relay_end_from_fd(s[0], true, &eb), 0);
	cfg.data = &c;
	before = count_fds();
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	/* Direct splice both ways: no private pipe was created. */
	assert_int_equal(count_fds(), before);
	B = (struct peer){ .fd = s[1],
			   .out = db,
			   .olen = nb,
			   .shut = true,
			   .in = rb,
			   .icap = na + 1 };
	while ((!eof || !B.eof || !c.calls) && rounds++ < 100000) {
		while (in[1] >= 0 && sent < na) {
			n = skit_write_some(in[1], da + sent, na - sent);
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		if (in[1] >= 0 && sent == na) {
			close(in[1]);
			in[1] = -1;
		}
		while (!eof) {
			n = skit_read_some(out[0], ra + got, nb + 1 - got);
			if (n == 0)
				eof = true;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		peer_step(&B);
		assert_true(skit_loop_run_once(loop, 50) >= 0);
	}
	assert_true(eof && B.eof);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(B.ilen, na);
	assert_int_equal(got, nb);
	assert_memory_equal(rb, da, na);
	assert_memory_equal(ra, db, nb);
	assert_true(c.st.spliced[SKIT_DIR_AB]);
	assert_true(c.st.spliced[SKIT_DIR_BA]);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(out[0]);
	close(s[1]);
	free(da);
	free(db);
	free(ra);
	free(rb);
}

/* A socket into /dev/null (a character device): spliced, all counted. */
static void
test_devnull_splice(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb = { .rfd = -1, .wfd = -1 };
	struct skit_relay_cfg cfg = { .on_close = on_close };
	struct closed c = { 0 };
	size_t na = 4 << 20;
	unsigned char *da = malloc(na), dummy[16];
	int s[2], rounds = 0;
	struct peer A;

	(void)state;
	fill(da, na, 5);
	sp(SOCK_STREAM, s);
	nonblock(s[0]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	assert_int_equal(skit_relay_end_from_fd(s[1], true, &ea), 0);
	eb.wfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(eb.wfd >= 0);
	eb.own = true;
	cfg.data = &c;
	assert_int_equal(skit_relay_new(loop, &ea, &eb, &cfg, &r), 0);
	A = (struct peer){ .fd = s[0],
			   .out = da,
			   .olen = na,
			   .shut = true,
			   .in = dummy,
			   .icap = sizeof(dummy) };
	while ((!A.eof || !c.calls) && rounds++ < 100000) {
		peer_step(&A);
		assert_true(skit_loop_run_once(loop, 50) >= 0);
	}
	assert_true(A.eof);
	assert_int_equal(A.ilen, 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.bytes[SKIT_DIR_AB], na);
	assert_true(c.st.spliced[SKIT_DIR_AB]);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(s[0]);
	free(da);
}

/* --- ends with layers (conn.h) ------------------------------------------ */

/* A conn over one end of a new socketpair pb of type (pb[1]: the test's). */
static struct skit_conn *
conn_over(int type, int pb[2])
{
	struct skit_conn *conn;

	sp(type, pb);
	nonblock(pb[1]);
	assert_int_equal(skit_conn_new(pb[0], pb[0], type, true, &conn), 0);
	return conn;
}

/*
 * A pair: A a stream socketpair pa (the test writes pa[0]), B the conn
 * (owned by the pair).
 */
static struct skit_relay *
pair_with(struct skit_loop **loop, struct skit_relay_cfg *cfg,
	  struct skit_conn *conn, int pa[2])
{
	struct skit_relay *r = NULL;
	struct skit_relay_end ea, eb = { .own = true, .conn = conn };

	sp(SOCK_STREAM, pa);
	nonblock(pa[0]);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, loop), 0);
	skit_relay_end_from_fd(pa[1], true, &ea);
	assert_int_equal(skit_relay_new(*loop, &ea, &eb, cfg, &r), 0);
	return r;
}

/*
 * B is a conn over seqpacket with the framing layer the caller pushed
 * (line) and crlf on top: the stream from A goes through crlf, then is
 * cut into lines; B's messages come to A as they are. The pair adds no
 * framing of its own (its cfg says len16) and counts the messages.
 */
static void
test_conn_framed(void **state)
{
	struct skit_frame_cfg fc = { .framing = SKIT_FRAMING_LINE };
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close,
				      .framing = SKIT_FRAMING_LEN16 };
	struct closed c = { 0 };
	struct skit_conn *conn;
	int pa[2], pb[2];
	char got[64];

	(void)state;
	cfg.data = &c;
	conn = conn_over(SOCK_SEQPACKET, pb);
	assert_int_equal(skit_conn_push(conn, &skit_layer_frame, &fc, NULL), 0);
	assert_int_equal(skit_conn_push(conn, &skit_layer_crlf, NULL, NULL), 0);
	r = pair_with(&loop, &cfg, conn, pa);
	assert_int_equal(skit_write_some(pa[0], "ab\nz", 4), 4);
	assert_int_equal(skit_write_some(pb[1], "back", 4), 4);
	assert_int_equal(next_msg(loop, pb[1], got, sizeof(got)), 4);
	assert_memory_equal(got, "ab\r\n", 4);
	assert_int_equal(skit_read_full(pa[0], got, 4, 1000), 4);
	assert_memory_equal(got, "back", 4);
	/* A's EOF: the last line goes as it is, then B's peer reads EOF. */
	assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
	assert_int_equal(next_msg(loop, pb[1], got, sizeof(got)), 1);
	assert_memory_equal(got, "z", 1);
	assert_int_equal(next_msg(loop, pb[1], got, sizeof(got)), 0);
	assert_int_equal(skit_shutdown(pb[1], SHUT_WR), 0);
	spin(loop, &c, 200);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(c.st.msgs[SKIT_DIR_AB], 2);
	assert_int_equal(c.st.bytes[SKIT_DIR_AB], 5);
	assert_int_equal(c.st.bytes[SKIT_DIR_BA], 4);
	assert_false(c.st.spliced[SKIT_DIR_BA]);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(pb[1]);
}

/*
 * A layer whose handshake waits for the peer to say "ok" (2 bytes)
 * before any data moves: the pair drives it when the fd is readable,
 * and relays nothing through the end until it is done.
 */
static int
greet_handshake(struct skit_layer *l)
{
	char *got = skit_layer_priv(l);
	ssize_t n;

	while (strlen(got) < 2) {
		n = skit_layer_recv_below(l, got + strlen(got),
					  2 - strlen(got));
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ECONNRESET;
	}
	return strcmp(got, "ok") ? -EPROTO : 0;
}

static unsigned
greet_events(const struct skit_layer *l, unsigned want)
{
	const char *got = skit_layer_priv(l);

	return strlen(got) < 2 ? SKIT_EV_READ : want;
}

static const struct skit_layer_ops greet_ops = {
	.name = "greet",
	.size = 4,
	.handshake = greet_handshake,
	.events = greet_events,
};

static void
test_conn_handshake(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close };
	struct closed c = { 0 };
	struct skit_conn *conn;
	int pa[2], pb[2];
	char got[16];

	(void)state;
	cfg.data = &c;
	conn = conn_over(SOCK_STREAM, pb);
	assert_int_equal(skit_conn_push(conn, &greet_ops, NULL, NULL), 0);
	r = pair_with(&loop, &cfg, conn, pa);
	assert_int_equal(skit_write_some(pa[0], "data", 4), 4);
	for (int i = 0; i < 10; i++)
		skit_loop_run_once(loop, 5);
	/* Nothing through B before its handshake. */
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), -EAGAIN);
	assert_int_equal(skit_write_some(pb[1], "o", 1), 1);
	for (int i = 0; i < 10; i++)
		skit_loop_run_once(loop, 5);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), -EAGAIN);
	assert_int_equal(skit_write_some(pb[1], "kreply", 6), 6);
	assert_int_equal(skit_read_full(pb[1], got, 4, 1000), -ETIMEDOUT);
	for (int i = 0; i < 20; i++)
		skit_loop_run_once(loop, 5);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 4);
	assert_memory_equal(got, "data", 4);
	assert_int_equal(skit_read_some(pa[0], got, sizeof(got)), 5);
	assert_memory_equal(got, "reply", 5);
	assert_int_equal(c.calls, 0);
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(pb[1]);
}

/* A conn without layers is its fds: the pair splices, then frees it. */
static void
test_conn_bare(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close };
	struct closed c = { 0 };
	int pa[2], pb[2];
	char got[8];

	(void)state;
	cfg.data = &c;
	r = pair_with(&loop, &cfg, conn_over(SOCK_STREAM, pb), pa);
	assert_int_equal(skit_write_some(pa[0], "abc", 3), 3);
	assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
	assert_int_equal(skit_shutdown(pb[1], SHUT_WR), 0);
	spin(loop, &c, 200);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_true(c.st.spliced[SKIT_DIR_AB]);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 3);
	assert_int_equal(fcntl(pb[0], F_GETFD), -1); /* freed, fd closed */
	skit_relay_free(r);
	skit_loop_free(loop);
	close(pa[0]);
	close(pb[1]);
}

/*
 * quit_ms: once A's EOF has reached B, the pair ends quit_ms later
 * (reason EOF) though B never says EOF.
 */
static void
test_quit(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close, .quit_ms = 30 };
	struct closed c = { 0 };
	int pa[2], pb[2];
	char got[16];

	(void)state;
	cfg.data = &c;
	r = frame_pair(&loop, &cfg, SOCK_STREAM, pa, pb);
	assert_int_equal(skit_write_some(pa[0], "bye", 3), 3);
	assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
	spin(loop, &c, 500);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 3);
	assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 0);
	frame_pair_free(loop, r, pa, pb);
}

/*
 * B with the no-shutdown layer: A's EOF never reaches B and the
 * direction stays open, so the pair outlives B's own EOF; -q (quit_ms)
 * still ends it.
 */
static void
test_no_shutdown(void **state)
{
	struct skit_loop *loop;
	struct skit_relay *r;
	struct skit_relay_cfg cfg = { .on_close = on_close };
	struct closed c = { 0 };
	struct skit_conn *conn;
	int pa[2], pb[2];
	char got[16];

	(void)state;
	cfg.data = &c;
	for (int quit = 0; quit < 2; quit++) {
		cfg.quit_ms = quit ? 20 : 0;
		c.calls = 0;
		conn = conn_over(SOCK_STREAM, pb);
		assert_int_equal(skit_conn_push(conn, &skit_layer_no_shutdown,
						NULL, NULL),
				 0);
		r = pair_with(&loop, &cfg, conn, pa);
		assert_int_equal(skit_write_some(pa[0], "x", 1), 1);
		assert_int_equal(skit_shutdown(pa[0], SHUT_WR), 0);
		assert_int_equal(skit_shutdown(pb[1], SHUT_WR), 0);
		spin(loop, &c, quit ? 500 : 30);
		assert_int_equal(skit_read_some(pb[1], got, sizeof(got)), 1);
		if (quit) {
			assert_int_equal(c.calls, 1);
			assert_int_equal(c.st.reason, SKIT_RELAY_EOF);
		} else {
			assert_int_equal(c.calls, 0);
			assert_int_equal(
				skit_read_some(pb[1], got, sizeof(got)),
				-EAGAIN);
			assert_int_equal(
				skit_read_some(pa[0], got, sizeof(got)), 0);
		}
		skit_relay_free(r);
		skit_loop_free(loop);
		close(pa[0]);
		close(pb[1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_splice),
		cmocka_unit_test(test_stream_copy),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_dgram_boundaries),
		cmocka_unit_test(test_framing_line),
		cmocka_unit_test(test_framing_long_line),
		cmocka_unit_test(test_framing_line_pause),
		cmocka_unit_test(test_framing_len),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_close_linger),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_push_pieces),
		cmocka_unit_test(test_exec_split),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_socat_aliases),
		cmocka_unit_test(test_pipe_direct),
		cmocka_unit_test(test_devnull_splice),
		cmocka_unit_test(test_conn_framed),
		cmocka_unit_test(test_conn_handshake),
		cmocka_unit_test(test_conn_bare),
		cmocka_unit_test(test_quit),
		cmocka_unit_test(test_no_shutdown),
	};

	/* As the CLI does: splice() into a dead socket raises SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
