/*
 * test_conn.c - connections as chains of layers (src/layer/conn.c) and
 * the small layers (stdio.c: crlf, no-shutdown; tap.c): the order of
 * calls through a chain, handshakes bottom first, EAGAIN from below,
 * shutdown retried, pending and events adjusted by a layer, what may
 * be pushed when, and the order layers are freed in. Over socketpairs
 * only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skit/conn.h"
#include "skit/frame.h"
#include "skit/io.h"

static void
pair(int type, int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
}

/* --- a layer that records what is called on it ------------------------ */

static char calls[1024]; /* "A.open B.open B.send A.send ..." */

static void
note(const char *name, const char *what)
{
	size_t at = strlen(calls);

	snprintf(calls + at, sizeof(calls) - at, "%s%s.%s", at ? " " : "", name,
		 what);
}

struct rec_cfg {
	const char *name;
	int hs_wait;	   /* handshake: -EAGAIN this many times first */
	bool pending;	   /* claims decoded input */
	unsigned add_ev;   /* events it adds to the caller's */
	int shut_wait;	   /* shutdown: -EAGAIN this many times first */
	bool send_eagain;  /* send: refuse everything */
	const char *close; /* noted when closed (may be NULL) */
};

static int
rec_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	struct rec_cfg *c = skit_layer_priv(l);

	(void)err;
	*c = *(const struct rec_cfg *)cfg;
	note(c->name, "open");
	return 0;
}

static int
rec_handshake(struct skit_layer *l)
{
	struct rec_cfg *c = skit_layer_priv(l);

	note(c->name, "hs");
	if (c->hs_wait > 0) {
		c->hs_wait--;
		return -EAGAIN;
	}
	return 0;
}

static ssize_t
rec_send(struct skit_layer *l, const void *buf, size_t len)
{
	struct rec_cfg *c = skit_layer_priv(l);

	note(c->name, "send");
	if (c->send_eagain)
		return -EAGAIN;
	return skit_layer_send_below(l, buf, len);
}

static ssize_t
rec_recv(struct skit_layer *l, void *buf, size_t len)
{
	struct rec_cfg *c = skit_layer_priv(l);

	note(c->name, "recv");
	return skit_layer_recv_below(l, buf, len);
}

static int
rec_shutdown(struct skit_layer *l)
{
	struct rec_cfg *c = skit_layer_priv(l);

	note(c->name, "shut");
	if (c->shut_wait > 0) {
		c->shut_wait--;
		return -EAGAIN;
	}
	return skit_layer_shutdown_below(l);
}

static bool
rec_pending(const struct skit_layer *l)
{
	const struct rec_cfg *c = skit_layer_priv(l);

	return c->pending || skit_layer_pending_below(l);
}

static unsigned
rec_events(const struct skit_layer *l, unsigned want)
{
	const struct rec_cfg *c = skit_layer_priv(l);

	return skit_layer_events_below(l, want | c->add_ev);
}

static void
rec_close(struct skit_layer *l)
{
	struct rec_cfg *c = skit_layer_priv(l);

	note(c->name, "close");
}

static const struct skit_layer_ops rec_ops = {
	.name = "rec",
	.size = sizeof(struct rec_cfg),
	.open = rec_open,
	.handshake = rec_handshake,
	.send = rec_send,
	.recv = rec_recv,
	.shutdown = rec_shutdown,
	.pending = rec_pending,
	.events = rec_events,
	.close = rec_close,
};

/* A layer with no functions at all: every call passes through it. */
static const struct skit_layer_ops pass_ops = { .name = "pass" };

/* --- tests ------------------------------------------------------------ */

static void
test_bare(void **state)
{
	struct skit_conn *c;
	char buf[16], desc[64];
	int sv[2];

	(void)state;
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c), 0);
	assert_true(skit_conn_bare(c));
	assert_false(skit_conn_is_message(c));
	assert_false(skit_conn_handshaking(c));
	assert_string_equal(skit_conn_describe(c, desc, sizeof(desc)), "");
	assert_int_equal(skit_conn_rfd(c), sv[0]);
	assert_int_equal(skit_conn_wfd(c), sv[0]);
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(skit_conn_send(c, "hey", 3), 3);
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), 3);
	assert_int_equal(skit_write_some(sv[1], "yo", 2), 2);
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), 2);
	assert_int_equal(skit_conn_stats(c)->bytes_out, 3);
	assert_int_equal(skit_conn_stats(c)->bytes_in, 2);
	assert_int_equal(skit_conn_events(c, SKIT_EV_WRITE), SKIT_EV_WRITE);
	assert_false(skit_conn_pending(c));
	assert_int_equal(skit_conn_shutdown(c), 0);
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), 0);
	/* Owned: freeing the conn closed the fd. */
	skit_conn_free(c);
	assert_int_equal(fcntl(sv[0], F_GETFD), -1);
	close(sv[1]);
	skit_conn_free(NULL);
}

/*
 * Calls walk down the chain from the top; handshakes run bottom first;
 * freeing closes the top layer first. A layer without an op passes it.
 */
static void
test_order(void **state)
{
	struct rec_cfg a = { .name = "A" }, b = { .name = "B" };
	struct skit_conn *c;
	char buf[8], desc[64];
	int sv[2];

	(void)state;
	calls[0] = '\0';
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c), 0);
	assert_int_equal(skit_conn_push(c, &rec_ops, &a, NULL), 0);
	assert_int_equal(skit_conn_push(c, &pass_ops, NULL, NULL), 0);
	assert_int_equal(skit_conn_push(c, &rec_ops, &b, NULL), 0);
	assert_false(skit_conn_bare(c));
	assert_string_equal(skit_conn_describe(c, desc, sizeof(desc)),
			    "rec/pass/rec");
	assert_true(skit_conn_handshaking(c));
	assert_int_equal(skit_conn_send(c, "x", 1), 1);
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), 1);
	assert_int_equal(skit_write_some(sv[1], "y", 1), 1);
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), 1);
	assert_int_equal(skit_conn_shutdown(c), 0);
	skit_conn_free(c);
	assert_string_equal(calls, "A.open B.open A.hs B.hs B.send A.send "
				   "B.recv A.recv B.shut A.shut B.close "
				   "A.close");
	close(sv[1]);
}

/* A handshake that waits: data waits too; no push once data moved. */
static void
test_handshake(void **state)
{
	struct rec_cfg a = { .name = "A", .hs_wait = 2 };
	struct skit_conn *c;
	struct skit_err err;
	char buf[8];
	int sv[2];

	(void)state;
	calls[0] = '\0';
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c), 0);
	assert_int_equal(skit_conn_push(c, &rec_ops, &a, NULL), 0);
	assert_int_equal(skit_conn_send(c, "x", 1), -EAGAIN);
	assert_int_equal(skit_conn_handshake(c), -EAGAIN);
	assert_true(skit_conn_handshaking(c));
	/* Pushing is still allowed: no byte moved yet. */
	assert_int_equal(skit_conn_push(c, &pass_ops, NULL, NULL), 0);
	assert_int_equal(skit_conn_send(c, "x", 1), 1);
	assert_false(skit_conn_handshaking(c));
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), 1);
	assert_int_equal(skit_conn_push(c, &pass_ops, NULL, &err), -EBUSY);
	assert_int_equal(err.code, -EBUSY);
	skit_conn_free(c);
	assert_string_equal(calls, "A.open A.hs A.hs A.hs A.send A.close");
	close(sv[1]);
}

/*
 * shutdown returning -EAGAIN is called again; pending and events as a
 * layer says; EAGAIN from below comes up as it is.
 */
static void
test_shutdown_pending_events(void **state)
{
	struct rec_cfg a = { .name = "A",
			     .shut_wait = 2,
			     .pending = true,
			     .add_ev = SKIT_EV_READ };
	struct rec_cfg b = { .name = "B" };
	struct skit_conn *c;
	char buf[8];
	int sv[2];

	(void)state;
	calls[0] = '\0';
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, false, &c),
			 0);
	assert_int_equal(skit_conn_push(c, &rec_ops, &a, NULL), 0);
	assert_int_equal(skit_conn_push(c, &rec_ops, &b, NULL), 0);
	assert_true(skit_conn_pending(c));
	assert_int_equal(skit_conn_events(c, SKIT_EV_WRITE),
			 SKIT_EV_READ | SKIT_EV_WRITE);
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(skit_conn_shutdown(c), -EAGAIN);
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(skit_conn_shutdown(c), -EAGAIN);
	assert_int_equal(skit_conn_shutdown(c), 0);
	/* Now the peer reads EOF. */
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), 0);
	skit_conn_free(c);
	/* Not owned: the fd is still open. */
	assert_true(fcntl(sv[0], F_GETFD) >= 0);
	close(sv[0]);
	close(sv[1]);
}

/* A layer's needs are checked; message sockets offer messages. */
static void
test_needs(void **state)
{
	struct skit_frame_cfg fc = { .framing = SKIT_FRAMING_LINE };
	struct skit_conn *c;
	struct skit_err err;
	int sv[2];

	(void)state;
	pair(SOCK_SEQPACKET, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_SEQPACKET, true, &c),
			 0);
	assert_true(skit_conn_is_message(c));
	assert_int_equal(skit_conn_push(c, &skit_layer_crlf, NULL, &err),
			 -EINVAL);
	assert_string_equal(err.detail, "it needs a byte stream below it");
	assert_int_equal(skit_conn_push(c, &pass_ops, NULL, NULL), 0);
	assert_true(skit_conn_is_message(c)); /* pass offers what is below */
	assert_int_equal(skit_conn_push(c, &skit_layer_frame, &fc, NULL), 0);
	assert_false(skit_conn_is_message(c));
	assert_int_equal(skit_conn_push(c, &skit_layer_crlf, NULL, NULL), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_frame, &fc, &err),
			 -EINVAL);
	assert_string_equal(err.detail, "it needs messages below it");
	skit_conn_free(c);
	close(sv[1]);
}

/* Send s through c; the peer's bytes so far go to out. */
static size_t
drain(int fd, char *out, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap && (n = skit_read_some(fd, out + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

/*
 * crlf: "\n" becomes "\r\n" unless a "\r" came before it, also when
 * the "\r" or the "\n" is the last byte of one send and the other the
 * first of the next.
 */
static void
test_crlf(void **state)
{
	struct skit_conn *c;
	char out[256];
	int sv[2];

	(void)state;
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_crlf, NULL, NULL), 0);
	assert_int_equal(skit_conn_send(c, "a\n", 2), 2);
	assert_int_equal(skit_conn_send(c, "\nb", 2), 2);
	assert_int_equal(skit_conn_send(c, "c\r", 2), 2);
	assert_int_equal(skit_conn_send(c, "\nd\r\n", 4), 4);
	assert_int_equal(skit_conn_send(c, "plain", 5), 5);
	assert_int_equal(drain(sv[1], out, sizeof(out)), 17);
	assert_memory_equal(out, "a\r\n\r\nbc\r\nd\r\nplain", 17);
	/* recv is untouched */
	assert_int_equal(skit_write_some(sv[1], "x\ny", 3), 3);
	assert_int_equal(skit_conn_recv(c, out, sizeof(out)), 3);
	assert_memory_equal(out, "x\ny", 3);
	skit_conn_free(c);
	close(sv[1]);
}

/*
 * crlf with recv (socat's crnl): "\r\n" received becomes "\n", also
 * split across two reads; a lone "\r" stays, also the last byte before
 * EOF.
 */
static void
test_crlf_recv(void **state)
{
	struct skit_crlf_cfg cc = { .recv = true };
	struct skit_conn *c;
	char out[256];
	int sv[2];

	(void)state;
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_crlf, &cc, NULL), 0);
	assert_int_equal(skit_conn_send(c, "a\n", 2), 2);
	assert_int_equal(drain(sv[1], out, 3), 3);
	assert_memory_equal(out, "a\r\n", 3);
	assert_int_equal(skit_write_some(sv[1], "x\r\ny\rz\r", 7), 7);
	assert_int_equal(skit_conn_recv(c, out, sizeof(out)), 5);
	assert_memory_equal(out, "x\ny\rz", 5);
	/* The held "\r" meets its "\n" in the next read. */
	assert_int_equal(skit_write_some(sv[1], "\nw\r", 3), 3);
	assert_int_equal(skit_conn_recv(c, out, sizeof(out)), 2);
	assert_memory_equal(out, "\nw", 2);
	/* Nothing more to read: the held "\r" waits. */
	assert_int_equal(skit_conn_recv(c, out, sizeof(out)), -EAGAIN);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	assert_int_equal(skit_conn_recv(c, out, sizeof(out)), 1);
	assert_memory_equal(out, "\r", 1);
	assert_int_equal(skit_conn_recv(c, out, sizeof(out)), 0);
	skit_conn_free(c);
	close(sv[1]);
}

/*
 * crlf over a full socket: what it took is held, asked for with WRITE,
 * written by flush; shutdown waits for it, then shuts the socket down.
 */
static void
test_crlf_full(void **state)
{
	size_t total = 0, got = 0, len = 1 << 20;
	char *in = malloc(len), *out = malloc(2 * len);
	struct skit_conn *c;
	int sv[2], sh;
	ssize_t n;

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	for (size_t i = 0; i < len; i++)
		in[i] = i % 7 == 6 ? '\n' : 'x';
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_crlf, NULL, NULL), 0);
	/* Until the socket is full. */
	while ((n = skit_conn_send(c, in + total, len - total)) > 0)
		total += (size_t)n;
	assert_int_equal(n, -EAGAIN);
	assert_true(total > 0 && total < len);
	assert_int_equal(skit_conn_events(c, 0), SKIT_EV_WRITE);
	assert_int_equal(skit_conn_flush(c), -EAGAIN);
	for (sh = -EAGAIN; sh == -EAGAIN && got < 2 * len;) {
		got += drain(sv[1], out + got, 2 * len - got);
		sh = skit_conn_shutdown(c);
	}
	assert_int_equal(sh, 0);
	got += drain(sv[1], out + got, 2 * len - got);
	assert_int_equal(skit_read_some(sv[1], out, 1), 0); /* EOF */
	/* Every "\n" taken went out as "\r\n". */
	assert_int_equal(got, total + total / 7);
	assert_int_equal(skit_conn_events(c, 0), 0);
	skit_conn_free(c);
	close(sv[1]);
	free(in);
	free(out);
}

/*
 * no-shutdown: the stream never ends (shutdown -EAGAIN, no event
 * asked), the peer never reads EOF, bytes still move.
 */
static void
test_no_shutdown(void **state)
{
	struct skit_conn *c;
	char buf[8];
	int sv[2];

	(void)state;
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_no_shutdown, NULL, NULL),
			 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_crlf, NULL, NULL), 0);
	assert_int_equal(skit_conn_send(c, "a\n", 2), 2);
	assert_int_equal(skit_conn_shutdown(c), -EAGAIN);
	assert_int_equal(skit_conn_events(c, 0), 0);
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), 3);
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), -EAGAIN);
	skit_conn_free(c);
	close(sv[1]);
}

struct seen {
	char buf[2][64];
	size_t len[2];
};

static void
on_tap(void *data, int dir, const void *buf, size_t len)
{
	struct seen *s = data;

	memcpy(s->buf[dir] + s->len[dir], buf, len);
	s->len[dir] += len;
}

/* tap under crlf sees the wire: what went out, what came in. */
static void
test_tap(void **state)
{
	struct seen s = { 0 };
	struct skit_tap_cfg tc = { .fn = on_tap, .data = &s };
	struct skit_conn *c;
	char buf[8];
	int sv[2];

	(void)state;
	pair(SOCK_STREAM, sv);
	assert_int_equal(skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &c), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_tap, NULL, NULL),
			 -EINVAL);
	assert_int_equal(skit_conn_push(c, &skit_layer_tap, &tc, NULL), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_crlf, NULL, NULL), 0);
	assert_int_equal(skit_conn_send(c, "a\n", 2), 2);
	assert_int_equal(skit_write_some(sv[1], "in", 2), 2);
	assert_int_equal(skit_conn_recv(c, buf, sizeof(buf)), 2);
	assert_int_equal(s.len[SKIT_TAP_OUT], 3);
	assert_memory_equal(s.buf[SKIT_TAP_OUT], "a\r\n", 3);
	assert_int_equal(s.len[SKIT_TAP_IN], 2);
	assert_memory_equal(s.buf[SKIT_TAP_IN], "in", 2);
	skit_conn_free(c);
	close(sv[1]);
}

/* A pipe pair: the write fd closes on its own; the read one stays. */
static void
test_pipes(void **state)
{
	struct skit_conn *c;
	int in[2], out[2];
	char buf[8];

	(void)state;
	assert_int_equal(pipe2(in, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(skit_conn_new(in[0], out[1], 0, true, &c), 0);
	assert_false(skit_conn_is_message(c));
	assert_int_equal(skit_conn_send(c, "ab", 2), 2);
	assert_int_equal(skit_conn_shutdown(c), 0); /* a pipe: nothing */
	assert_int_equal(skit_conn_close_write(c), 0);
	assert_int_equal(skit_conn_wfd(c), -1);
	assert_int_equal(skit_conn_close_write(c), -EINVAL);
	assert_int_equal(skit_read_some(out[0], buf, sizeof(buf)), 2);
	assert_int_equal(skit_read_some(out[0], buf, sizeof(buf)), 0);
	assert_int_equal(skit_conn_send(c, "x", 1), -EPIPE);
	skit_conn_free(c);
	close(in[1]);
	close(out[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_shutdown_pending_events),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_crlf_recv),
		cmocka_unit_test(test_crlf_full),
		cmocka_unit_test(test_no_shutdown),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_pipes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
