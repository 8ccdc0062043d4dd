/*
 * test_frame.c - framing (src/layer/frame.c): the codec (where messages
 * start and end in a byte stream, the headers written in front of them,
 * and that cutting a stream into messages and writing them back gives
 * the same bytes for every framing); the framing layer on a conn, over
 * a message layer the test controls (every framing, a byte at a time
 * and in large chunks, messages sent from and received into the
 * caller's buffer, unfinished tails, EOF, the quiet flush); the stdio
 * reader and writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skit/conn.h"
#include "skit/frame.h"
#include "skit/io.h"
#include "skit/loop.h"

/* One step of the codec over a C string; returns its result. */
static int
next(enum skit_framing f, const char *s, size_t len, bool eof, const char **msg,
     size_t *n, size_t *used)
{
	return skit_frame_next(f, s, len, eof, 1 << 20, msg, n, used);
}

static void
expect(enum skit_framing f, const char *s, bool eof, const char *want_msg,
       size_t want_used)
{
	const char *m = NULL;
	size_t n = 0, used = 0;

	assert_int_equal(next(f, s, strlen(s), eof, &m, &n, &used), 1);
	assert_int_equal(n, strlen(want_msg));
	assert_memory_equal(m, want_msg, n);
	assert_int_equal(used, want_used);
}

static void
test_line_keeps_newline(void **state)
{
	(void)state;
	expect(SKIT_FRAMING_LINE, "one\ntwo\n", false, "one\n", 4);
	/* "\r\n" is kept whole: the message is the line as it came. */
	expect(SKIT_FRAMING_LINE, "a\r\nb", false, "a\r\n", 3);
}

static void
test_line_empty_is_newline(void **state)
{
	(void)state;
	/* An empty line is the message "\n", never an empty message. */
	expect(SKIT_FRAMING_LINE, "\n\nx", false, "\n", 1);
}

static void
test_line_last_without_newline(void **state)
{
	const char *m;
	size_t n, used;

	(void)state;
	/* Not at EOF: wait for the rest of the line. */
	assert_int_equal(
		next(SKIT_FRAMING_LINE, "tail", 4, false, &m, &n, &used), 0);
	/* At EOF: the last line is sent as it is, no "\n" added. */
	expect(SKIT_FRAMING_LINE, "tail", true, "tail", 4);
	/* Nothing at all is no message, even at EOF. */
	assert_int_equal(next(SKIT_FRAMING_LINE, "", 0, true, &m, &n, &used),
			 0);
}

static void
test_line_too_long_is_split(void **state)
{
	size_t len = SKIT_FRAME_MSG_MAX + 10;
	char *b = malloc(len);
	const char *m;
	size_t n, used;

	(void)state;
	assert_non_null(b);
	memset(b, 'x', len);
	b[len - 1] = '\n';
	/* The first SKIT_FRAME_MSG_MAX bytes go; the line goes on. */
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LINE, b, len, false,
					 1 << 20, &m, &n, &used),
			 1);
	assert_ptr_equal(m, b);
	assert_int_equal(n, SKIT_FRAME_MSG_MAX);
	assert_int_equal(used, SKIT_FRAME_MSG_MAX);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LINE, b + used,
					 len - used, false, 1 << 20, &m, &n,
					 &used),
			 1);
	assert_int_equal(n, 10);
	assert_int_equal(m[9], '\n');
	/* A smaller caller limit cuts smaller pieces. */
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LINE, b, len, false, 100,
					 &m, &n, &used),
			 1);
	assert_int_equal(n, 100);
	free(b);
}

static void
test_raw(void **state)
{
	size_t len = SKIT_FRAME_MSG_MAX + 1;
	char *b = calloc(1, len);
	const char *m;
	size_t n, used;

	(void)state;
	assert_non_null(b);
	expect(SKIT_FRAMING_RAW, "a\n\nb", false, "a\n\nb", 4);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_RAW, b, len, false,
					 1 << 20, &m, &n, &used),
			 1);
	assert_int_equal(n, SKIT_FRAME_MSG_MAX);
	free(b);
}

static void
test_len(void **state)
{
	const char *m;
	size_t n, used;

	(void)state;
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN16, "\0\3abcz", 6,
					 false, 100, &m, &n, &used),
			 1);
	assert_int_equal(n, 3);
	assert_memory_equal(m, "abc", 3);
	assert_int_equal(used, 5);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN32, "\0\0\0\0", 4,
					 false, 100, &m, &n, &used),
			 1);
	assert_int_equal(n, 0);
	assert_int_equal(used, 4);
	/* Incomplete: wait, or at EOF an error. */
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN32, "\0\0\0\5ab", 6,
					 false, 100, &m, &n, &used),
			 0);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN32, "\0\0\0\5ab", 6,
					 true, 100, &m, &n, &used),
			 SKIT_ETRUNC);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN16, "\0", 1, true, 100,
					 &m, &n, &used),
			 SKIT_ETRUNC);
	/* A length over the caller's limit. */
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN16, "\0\145", 2, false,
					 100, &m, &n, &used),
			 SKIT_ELIMIT);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LINE, "x", 1, true, 0, &m,
					 &n, &used),
			 -EINVAL);
}

static void
test_hdr(void **state)
{
	unsigned char h[4];

	(void)state;
	assert_int_equal(skit_frame_hdr_len(SKIT_FRAMING_LINE), 0);
	assert_int_equal(skit_frame_hdr_len(SKIT_FRAMING_RAW), 0);
	assert_int_equal(skit_frame_hdr_len(SKIT_FRAMING_LEN16), 2);
	assert_int_equal(skit_frame_hdr_len(SKIT_FRAMING_LEN32), 4);
	/* LINE and RAW: nothing around the message (written verbatim). */
	assert_int_equal(skit_frame_hdr(SKIT_FRAMING_LINE, 5, h), 0);
	assert_int_equal(skit_frame_hdr(SKIT_FRAMING_LEN32, 0x01020304, h), 4);
	assert_memory_equal(h, "\1\2\3\4", 4);
	assert_int_equal(skit_frame_hdr(SKIT_FRAMING_LEN16, 0x0102, h), 2);
	assert_memory_equal(h, "\1\2", 2);
	assert_int_equal(skit_frame_hdr(SKIT_FRAMING_LEN16, 65536, h),
			 SKIT_ELIMIT);
}

/*
 * Cut a stream into messages, each as a datagram would carry it, then
 * write each back as a receiver does (header + bytes): the same stream.
 * The stream arrives in pieces, so messages are cut mid-buffer too.
 */
static void
roundtrip(enum skit_framing f, const unsigned char *in, size_t len)
{
	size_t cap = 2 * len + 64, have = 0, off = 0, outlen = 0, fed = 0;
	char *buf = malloc(len + 1), *out = malloc(cap);
	unsigned nmsg = 0;

	assert_non_null(buf);
	assert_non_null(out);
	while (fed < len || off < have) {
		const char *m;
		size_t n, used, step = 777 + (fed % 5000);
		bool eof;
		int rc;

		if (fed < len) {
			if (step > len - fed)
				step = len - fed;
			memcpy(buf + have, in + fed, step);
			have += step;
			fed += step;
		}
		eof = fed == len;
		while ((rc = skit_frame_next(f, buf + off, have - off, eof,
					     len + 1, &m, &n, &used)) == 1) {
			int hl = skit_frame_hdr(f, n,
						(unsigned char *)out + outlen);

			assert_true(hl >= 0);
			/* LINE never makes an empty message. */
			if (f == SKIT_FRAMING_LINE)
				assert_true(n > 0);
			assert_true(n <= SKIT_FRAME_MSG_MAX ||
				    f == SKIT_FRAMING_LEN32);
			memcpy(out + outlen + (size_t)hl, m, n);
			outlen += (size_t)hl + n;
			off += used;
			nmsg++;
		}
		assert_int_equal(rc, 0);
		if (eof)
			break;
	}
	assert_int_equal(off, have);
	assert_true(nmsg > 0);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, in, len);
	free(buf);
	free(out);
}

static void
test_roundtrip(void **state)
{
	size_t len = 300000;
	unsigned char *d = malloc(len);
	uint32_t seed = 7;

	(void)state;
	assert_non_null(d);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		d[i] = (unsigned char)(seed >> 16);
	}
	/* Runs of empty lines and a line longer than any message. */
	memset(d + 1000, '\n', 50);
	memset(d + 2000, 'x', 2 * SKIT_FRAME_MSG_MAX + 3);
	d[len - 1] = 'z'; /* the last line has no "\n" */
	roundtrip(SKIT_FRAMING_LINE, d, len);
	roundtrip(SKIT_FRAMING_RAW, d, len);
	free(d);
}

/* --- the framing layer -------------------------------------------------- */

/*
 * A message layer for the test to stand in for a socket: what is sent
 * is kept (each message, and where it was sent from); what recv gives
 * is what the test queued (and recv notes where it wrote). It can
 * refuse sends (EAGAIN) on demand.
 */
#define MAXM 4096

struct wire {
	/* sent */
	char *out[MAXM];
	size_t outlen[MAXM];
	const char *from[MAXM];
	int nout;
	bool full; /* refuse sends */
	/* to receive */
	const char *in[MAXM];
	size_t inlen[MAXM];
	int nin, next;
	char *into; /* where the last recv wrote */
	bool shut;
};

static struct wire *W;

static int
wire_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	(void)l;
	(void)err;
	W = (struct wire *)cfg;
	return 0;
}

static ssize_t
wire_send(struct skit_layer *l, const void *buf, size_t len)
{
	(void)l;
	if (W->full)
		return -EAGAIN;
	assert_true(W->nout < MAXM);
	W->out[W->nout] = malloc(len + 1);
	memcpy(W->out[W->nout], buf, len);
	W->outlen[W->nout] = len;
	W->from[W->nout] = buf;
	W->nout++;
	return (ssize_t)len;
}

static ssize_t
wire_recv(struct skit_layer *l, void *buf, size_t len)
{
	size_t n;

	(void)l;
	if (W->next == W->nin)
		return -EAGAIN;
	n = W->inlen[W->next];
	memcpy(buf, W->in[W->next], n < len ? n : len);
	W->into = buf;
	W->next++;
	return (ssize_t)n; /* like MSG_TRUNC: the real length */
}

static int
wire_shutdown(struct skit_layer *l)
{
	(void)l;
	W->shut = true;
	return 0;
}

static const struct skit_layer_ops wire_ops = {
	.name = "wire",
	.offers = SKIT_LAYER_MSGS,
	.open = wire_open,
	.send = wire_send,
	.recv = wire_recv,
	.shutdown = wire_shutdown,
};

static void
wire_free(struct wire *w)
{
	for (int i = 0; i < w->nout; i++)
		free(w->out[i]);
	memset(w, 0, sizeof(*w));
}

/* A conn: the wire under the framing layer (framing f, max 1000). */
static struct skit_conn *
framed(struct wire *w, enum skit_framing f, int type)
{
	struct skit_frame_cfg fc = { .framing = f, .max_msg = 1000 };
	struct skit_conn *c;

	memset(w, 0, sizeof(*w));
	assert_int_equal(skit_conn_new(-1, -1, type, false, &c), 0);
	assert_int_equal(skit_conn_push(c, &wire_ops, w, NULL), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_frame, &fc, NULL), 0);
	assert_false(skit_conn_is_message(c));
	return c;
}

/* Send all of s, step bytes per call. */
static void
send_steps(struct skit_conn *c, const char *s, size_t len, size_t step)
{
	for (size_t at = 0; at < len;) {
		size_t n = len - at < step ? len - at : step;
		ssize_t k = skit_conn_send(c, s + at, n);

		assert_true(k > 0);
		at += (size_t)k;
	}
}

/* Sent messages joined with each one's header: the stream back. */
static size_t
joined(const struct wire *w, enum skit_framing f, char *out)
{
	size_t at = 0;

	for (int i = 0; i < w->nout; i++) {
		int hl = skit_frame_hdr(f, w->outlen[i],
					(unsigned char *)out + at);

		assert_true(hl >= 0);
		memcpy(out + at + hl, w->out[i], w->outlen[i]);
		at += (size_t)hl + w->outlen[i];
	}
	return at;
}

/*
 * Every framing, a byte at a time and in one large chunk: the same
 * messages, and the stream they make is the one sent.
 */
static void
test_layer_send(void **state)
{
	static const char lines[] = "one\n\ntwo\nthe last";
	static const char lens[] = "\0\0\0\3abc\0\0\0\0\0\0\0\5hello";
	static const char lens16[] = "\0\2hi\0\0\0\1!";
	const struct {
		enum skit_framing f;
		const char *s;
		size_t len;
		int nmsg;
	} cases[] = {
		{ SKIT_FRAMING_LINE, lines, sizeof(lines) - 1, 4 },
		{ SKIT_FRAMING_LEN32, lens, sizeof(lens) - 1, 3 },
		{ SKIT_FRAMING_LEN16, lens16, sizeof(lens16) - 1, 3 },
	};
	struct wire w;
	char out[256];
	size_t steps[] = { 1, 3, 1000 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t k = 0; k < 3; k++) {
			struct skit_conn *c =
				framed(&w, cases[i].f, SOCK_DGRAM);

			send_steps(c, cases[i].s, cases[i].len, steps[k]);
			assert_int_equal(skit_conn_shutdown(c), 0);
			assert_true(w.shut);
			assert_int_equal(w.nout, cases[i].nmsg);
			assert_int_equal(joined(&w, cases[i].f, out),
					 cases[i].len);
			assert_memory_equal(out, cases[i].s, cases[i].len);
			skit_conn_free(c);
			wire_free(&w);
		}
	}
}

/*
 * Complete messages go from the caller's buffer (a length header
 * skipped, not copied); an unfinished one is taken into the layer and
 * sent from there once complete.
 */
static void
test_layer_send_inplace(void **state)
{
	static const char s[] = "\0\3abc\0\4de", line[] = "ab\ncd";
	struct wire w;
	struct skit_conn *c = framed(&w, SKIT_FRAMING_LEN16, SOCK_DGRAM);

	(void)state;
	assert_int_equal(skit_conn_send(c, s, 9), 9); /* all taken */
	assert_int_equal(w.nout, 1);
	assert_ptr_equal(w.from[0], s + 2);
	assert_memory_equal(w.out[0], "abc", 3);
	assert_int_equal(skit_conn_send(c, "fg!", 3), 3); /* "!" kept */
	assert_int_equal(w.nout, 2);
	assert_true(w.from[1] < s || w.from[1] > s + sizeof(s));
	assert_memory_equal(w.out[1], "defg", 4);
	assert_int_equal(skit_conn_shutdown(c), SKIT_ETRUNC);
	skit_conn_free(c);
	wire_free(&w);
	/* LINE: a line is sent from where it is, "\n" and all. */
	c = framed(&w, SKIT_FRAMING_LINE, SOCK_DGRAM);
	assert_int_equal(skit_conn_send(c, line, 5), 5);
	assert_int_equal(w.nout, 1);
	assert_ptr_equal(w.from[0], line);
	assert_int_equal(w.outlen[0], 3);
	assert_int_equal(skit_conn_shutdown(c), 0);
	assert_int_equal(w.nout, 2);
	assert_memory_equal(w.out[1], "cd", 2);
	skit_conn_free(c);
	wire_free(&w);
}

/*
 * A full wire: a complete message in the caller's buffer is not taken
 * (EAGAIN); one completed in the layer is taken and owed, asked for
 * with WRITE and sent by flush.
 */
static void
test_layer_send_full(void **state)
{
	struct wire w;
	struct skit_conn *c = framed(&w, SKIT_FRAMING_LINE, SOCK_DGRAM);

	(void)state;
	w.full = true;
	assert_int_equal(skit_conn_send(c, "a\nb", 3), -EAGAIN);
	assert_int_equal(skit_conn_events(c, 0), 0);
	w.full = false;
	assert_int_equal(skit_conn_send(c, "a\nb", 3), 3);
	w.full = true;
	assert_int_equal(skit_conn_send(c, "c\nd", 3), 2); /* "bc\n" owed */
	assert_int_equal(skit_conn_events(c, SKIT_EV_READ),
			 SKIT_EV_READ | SKIT_EV_WRITE);
	assert_int_equal(skit_conn_send(c, "d", 1), -EAGAIN);
	assert_int_equal(skit_conn_flush(c), -EAGAIN);
	assert_int_equal(skit_conn_shutdown(c), -EAGAIN);
	w.full = false;
	assert_int_equal(skit_conn_flush(c), 0);
	assert_int_equal(skit_conn_events(c, 0), 0);
	assert_int_equal(w.nout, 2);
	assert_memory_equal(w.out[1], "bc\n", 3);
	assert_int_equal(skit_conn_send(c, "d", 1), 1);
	assert_int_equal(skit_conn_shutdown(c), 0);
	assert_int_equal(w.nout, 3);
	assert_memory_equal(w.out[2], "d", 1);
	skit_conn_free(c);
	wire_free(&w);
}

/*
 * EOF inside a length-framed message is SKIT_ETRUNC; a length over the
 * limit SKIT_ELIMIT, and it sticks. An empty LINE is never a message;
 * an empty len frame is not sent on seqpacket (it reads as EOF there).
 */
static void
test_layer_send_errors(void **state)
{
	struct wire w;
	struct skit_conn *c = framed(&w, SKIT_FRAMING_LEN32, SOCK_DGRAM);

	(void)state;
	assert_int_equal(skit_conn_send(c, "\0\0\0\5ab", 6), 6);
	assert_int_equal(skit_conn_shutdown(c), SKIT_ETRUNC);
	assert_int_equal(skit_conn_shutdown(c), SKIT_ETRUNC);
	assert_false(w.shut);
	skit_conn_free(c);
	wire_free(&w);
	c = framed(&w, SKIT_FRAMING_LEN16, SOCK_DGRAM);
	assert_int_equal(skit_conn_send(c, "\0\1x\3\351", 5), 3);
	assert_int_equal(skit_conn_send(c, "\3\351", 2), SKIT_ELIMIT);
	assert_int_equal(skit_conn_send(c, "\0\1x", 3), SKIT_ELIMIT);
	assert_int_equal(w.nout, 1);
	skit_conn_free(c);
	wire_free(&w);
	c = framed(&w, SKIT_FRAMING_LEN16, SOCK_SEQPACKET);
	assert_int_equal(skit_conn_send(c, "\0\0\0\1z", 5), 5);
	assert_int_equal(w.nout, 1);
	assert_int_equal(skit_conn_stats(c)->dropped_out, 1);
	skit_conn_free(c);
	wire_free(&w);
}

/* A line longer than max goes in pieces of max; RAW cuts each send. */
static void
test_layer_send_long(void **state)
{
	char big[2500];
	struct wire w;
	struct skit_conn *c = framed(&w, SKIT_FRAMING_LINE, SOCK_DGRAM);

	(void)state;
	memset(big, 'x', sizeof(big));
	send_steps(c, big, sizeof(big), 700);
	assert_int_equal(w.nout, 2);
	assert_int_equal(w.outlen[0], 1000);
	assert_int_equal(w.outlen[1], 1000);
	assert_int_equal(skit_conn_shutdown(c), 0);
	assert_int_equal(w.outlen[2], 500);
	skit_conn_free(c);
	wire_free(&w);
	c = framed(&w, SKIT_FRAMING_RAW, SOCK_DGRAM);
	assert_int_equal(skit_conn_send(c, big, sizeof(big)), 2500);
	assert_int_equal(w.nout, 3);
	assert_ptr_equal(w.from[1], big + 1000);
	skit_conn_free(c);
	wire_free(&w);
}

/*
 * Receiving: each message into the caller's buffer after room for its
 * header; a small buffer gets it in pieces; a message too long to take
 * or to frame is dropped (-EMSGSIZE, counted); an empty message gives
 * nothing under LINE.
 */
static void
test_layer_recv(void **state)
{
	char big[1200], buf[1100], small[3];
	struct wire w;
	struct skit_conn *c = framed(&w, SKIT_FRAMING_LEN16, SOCK_DGRAM);

	(void)state;
	memset(big, 'y', sizeof(big));
	w.in[0] = "abc";
	w.inlen[0] = 3;
	w.in[1] = big; /* over max (1000) */
	w.inlen[1] = sizeof(big);
	w.in[2] = "hello";
	w.inlen[2] = 5;
	w.nin = 3;
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), 5);
	assert_ptr_equal(w.into, buf + 2);
	assert_memory_equal(buf, "\0\3abc", 5);
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), -EMSGSIZE);
	assert_int_equal(skit_conn_stats(c)->dropped_in, 1);
	/* A buffer smaller than a message may be: pieces, pending between. */
	assert_int_equal(skit_conn_recv(c, small, sizeof(small)), 3);
	assert_memory_equal(small, "\0\5h", 3);
	assert_true(skit_conn_pending(c));
	assert_int_equal(skit_conn_recv(c, small, sizeof(small)), 3);
	assert_memory_equal(small, "ell", 3);
	assert_int_equal(skit_conn_recv(c, small, sizeof(small)), 1);
	assert_false(skit_conn_pending(c));
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), -EAGAIN);
	skit_conn_free(c);
	wire_free(&w);
	c = framed(&w, SKIT_FRAMING_LINE, SOCK_DGRAM);
	w.in[0] = "";
	w.inlen[0] = 0;
	w.in[1] = "no newline";
	w.inlen[1] = 10;
	w.nin = 2;
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), 10);
	assert_ptr_equal(w.into, buf);
	assert_memory_equal(buf, "no newline", 10);
	skit_conn_free(c);
	wire_free(&w);
	/* seqpacket: an empty message is the peer's EOF. */
	c = framed(&w, SKIT_FRAMING_LINE, SOCK_SEQPACKET);
	w.in[0] = "";
	w.nin = 1;
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), 0);
	skit_conn_free(c);
	wire_free(&w);
}

static int kicks;

static void
on_kick(struct skit_conn *c, void *data)
{
	(void)c;
	(void)data;
	kicks++;
}

/*
 * LINE: a line left unfinished goes as it is once the stream has been
 * quiet for quiet_ms: the layer kicks its user, whose flush sends it.
 */
static void
test_layer_quiet(void **state)
{
	struct skit_frame_cfg fc = { .framing = SKIT_FRAMING_LINE,
				     .quiet_ms = 20 };
	struct skit_loop *loop;
	struct skit_conn *c;
	struct wire w = { 0 };

	(void)state;
	kicks = 0;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	assert_int_equal(skit_conn_new(-1, -1, SOCK_DGRAM, false, &c), 0);
	skit_conn_set_loop(c, loop, on_kick, NULL);
	assert_int_equal(skit_conn_push(c, &wire_ops, &w, NULL), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_frame, &fc, NULL), 0);
	assert_int_equal(skit_conn_send(c, "a\n$ ", 4), 4);
	assert_int_equal(w.nout, 1);
	assert_int_equal(skit_conn_flush(c), 0); /* not due yet */
	assert_int_equal(w.nout, 1);
	/* Bounded: 5 s on a slow machine. */
	for (int i = 0; i < 500 && !kicks; i++)
		skit_loop_run_once(loop, 10);
	assert_int_equal(kicks, 1);
	assert_int_equal(skit_conn_events(c, 0), SKIT_EV_WRITE);
	assert_int_equal(skit_conn_flush(c), 0);
	assert_int_equal(w.nout, 2);
	assert_memory_equal(w.out[1], "$ ", 2);
	/* The rest of the line is a message of its own. */
	assert_int_equal(skit_conn_send(c, "ls\n", 3), 3);
	assert_int_equal(w.nout, 3);
	assert_memory_equal(w.out[2], "ls\n", 3);
	/* Freed with a timer pending: it is cancelled. */
	assert_int_equal(skit_conn_send(c, "x", 1), 1);
	skit_conn_free(c);
	for (int i = 0; i < 5; i++)
		skit_loop_run_once(loop, 10);
	assert_int_equal(kicks, 1);
	wire_free(&w);
	skit_loop_free(loop);
}

/*
 * A random stream through the layer in random steps, and back from the
 * messages it sent, for LINE and RAW: the same bytes.
 */
static void
test_layer_roundtrip(void **state)
{
	size_t len = 200000, at = 0, outlen;
	char *in = malloc(len), *out = malloc(len + 1);
	enum skit_framing fs[] = { SKIT_FRAMING_LINE, SKIT_FRAMING_RAW };
	uint32_t seed = 11;

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		in[i] = (char)(seed >> 16);
	}
	memset(in + 5000, '\n', 30);
	for (size_t k = 0; k < 2; k++) {
		struct wire *w = calloc(1, sizeof(*w));
		struct skit_frame_cfg fc = { .framing = fs[k],
					     .max_msg = 65536 };
		struct skit_conn *c;

		assert_int_equal(skit_conn_new(-1, -1, SOCK_DGRAM, false, &c),
				 0);
		assert_int_equal(skit_conn_push(c, &wire_ops, w, NULL), 0);
		assert_int_equal(
			skit_conn_push(c, &skit_layer_frame, &fc, NULL), 0);
		for (at = 0; at < len;) {
			size_t n = 1 + (at * 31) % 3000;

			if (n > len - at)
				n = len - at;
			assert_int_equal(skit_conn_send(c, in + at, n),
					 (ssize_t)n);
			at += n;
		}
		assert_int_equal(skit_conn_shutdown(c), 0);
		outlen = joined(w, fs[k], out);
		assert_int_equal(outlen, len);
		assert_memory_equal(out, in, len);
		skit_conn_free(c);
		wire_free(w);
		free(w);
	}
	free(in);
	free(out);
}

/* --- stdio helpers ------------------------------------------------------ */

/* What the reader says of a LEN32 stream s (max 100). */
static void
reader_err(const char *s, size_t len, int want)
{
	struct skit_frame_reader r;
	const char *m;
	size_t n;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(skit_write_all(p[1], s, len, 1000), (ssize_t)len);
	close(p[1]);
	assert_int_equal(skit_frame_reader_init(&r, p[0], 100), 0);
	assert_int_equal(skit_frame_reader_next(&r, SKIT_FRAMING_LEN32, &m, &n),
			 want);
	skit_frame_reader_free(&r);
	close(p[0]);
}

/* The reader cuts a pipe's stream; the writer frames messages. */
static void
test_stdio(void **state)
{
	struct skit_frame_reader r;
	const char *m;
	size_t n;
	int p[2];
	char got[32];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(
		skit_frame_write(p[1], SKIT_FRAMING_LEN16, NULL, "ab", 2), 0);
	assert_int_equal(
		skit_frame_write(p[1], SKIT_FRAMING_LEN16, NULL, "", 0), 0);
	assert_int_equal(
		skit_frame_write(p[1], SKIT_FRAMING_LEN16, NULL, got, 70000),
		SKIT_ELIMIT);
	close(p[1]);
	assert_int_equal(skit_frame_reader_init(&r, p[0], 100), 0);
	assert_int_equal(skit_frame_reader_next(&r, SKIT_FRAMING_LEN16, &m, &n),
			 1);
	assert_int_equal(n, 2);
	assert_memory_equal(m, "ab", 2);
	assert_int_equal(skit_frame_reader_next(&r, SKIT_FRAMING_LEN16, &m, &n),
			 1);
	assert_int_equal(n, 0);
	assert_int_equal(skit_frame_reader_next(&r, SKIT_FRAMING_LEN16, &m, &n),
			 0);
	skit_frame_reader_free(&r);
	close(p[0]);
	/* LINE for a reader's eyes: eol after a message without one. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(
		skit_frame_write(p[1], SKIT_FRAMING_LINE, "\r\n", "x", 1), 0);
	assert_int_equal(
		skit_frame_write(p[1], SKIT_FRAMING_LINE, "\r\n", "y\n", 2), 0);
	assert_int_equal(
		skit_frame_write(p[1], SKIT_FRAMING_LINE, NULL, "z", 1), 0);
	close(p[1]);
	assert_int_equal(skit_read_full(p[0], got, sizeof(got), 1000), 6);
	assert_memory_equal(got, "x\r\ny\nz", 6);
	close(p[0]);
	/* A len frame over the reader's max; one cut short by EOF. */
	reader_err("\0\0\1\0", 4, SKIT_ELIMIT);
	reader_err("\0\0\0\2a", 5, SKIT_ETRUNC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_keeps_newline),
		cmocka_unit_test(test_line_empty_is_newline),
		cmocka_unit_test(test_line_last_without_newline),
		cmocka_unit_test(test_line_too_long_is_split),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_len),
		cmocka_unit_test(test_hdr),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_layer_send),
		cmocka_unit_test(test_layer_send_inplace),
		cmocka_unit_test(test_layer_send_full),
		cmocka_unit_test(test_layer_send_errors),
		cmocka_unit_test(test_layer_send_long),
		cmocka_unit_test(test_layer_recv),
		cmocka_unit_test(test_layer_quiet),
		cmocka_unit_test(test_layer_roundtrip),
		cmocka_unit_test(test_stdio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
