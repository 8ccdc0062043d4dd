/*
 * frame.c - framing: where messages start and end in a byte stream, and
 * what goes in front of a message written to one (the rules are in
 * include/skit/frame.h, enum skit_framing). One implementation, used
 * three ways: the codec (pure functions), the framing layer on a conn
 * over a message socket (the relay puts it on the message end of a
 * pair), and the stdio reader and writer the CLI's send, recv and
 * listen use.
 *
 * A stream cut into messages by one skit end is put back together by
 * another byte for byte. That is why LINE keeps each line's "\n" in its
 * message and writes messages verbatim: an empty line stays a message
 * ("\n", where an empty message would read as EOF on seqpacket), a
 * line split for being too long and a last line without "\n" come back
 * as they were sent.
 */
#include "skit/frame.h"
#include "skit/io.h"
#include "skit/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define QUIET_MS 100 /* LINE: a line unfinished this long goes as it is */

/* --- the codec ---------------------------------------------------------- */

int
skit_framing_parse(const char *s, enum skit_framing *out)
{
	static const struct {
		const char *name;
		enum skit_framing f;
	} tab[] = {
		{ "raw", SKIT_FRAMING_RAW },
		{ "line", SKIT_FRAMING_LINE },
		{ "len", SKIT_FRAMING_LEN32 },
		{ "len32", SKIT_FRAMING_LEN32 },
		{ "len16", SKIT_FRAMING_LEN16 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (!strcmp(s, tab[i].name)) {
			*out = tab[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
skit_framing_name(enum skit_framing f)
{
	switch (f) {
	case SKIT_FRAMING_RAW:
		return "raw";
	case SKIT_FRAMING_LINE:
		return "line";
	case SKIT_FRAMING_LEN32:
		return "len32";
	case SKIT_FRAMING_LEN16:
		return "len16";
	}
	return "?";
}

size_t
skit_frame_hdr_len(enum skit_framing f)
{
	switch (f) {
	case SKIT_FRAMING_LEN32:
		return 4;
	case SKIT_FRAMING_LEN16:
		return 2;
	default:
		return 0;
	}
}

int
skit_frame_hdr(enum skit_framing f, size_t n, unsigned char *hdr)
{
	switch (f) {
	case SKIT_FRAMING_LEN32:
		if (n > 0xffffffffu)
			return SKIT_ELIMIT;
		hdr[0] = (unsigned char)(n >> 24);
		hdr[1] = (unsigned char)(n >> 16);
		hdr[2] = (unsigned char)(n >> 8);
		hdr[3] = (unsigned char)n;
		return 4;
	case SKIT_FRAMING_LEN16:
		if (n > 0xffff)
			return SKIT_ELIMIT;
		hdr[0] = (unsigned char)(n >> 8);
		hdr[1] = (unsigned char)n;
		return 2;
	default:
		return 0;
	}
}

/* A line: up to and with its "\n", or a piece of a long one. */
static int
next_line(const char *buf, size_t len, bool eof, size_t max, size_t *n)
{
	size_t scan = len < max ? len : max;
	const char *nl = memchr(buf, '\n', scan);

	if (nl)
		*n = (size_t)(nl - buf) + 1;
	else if (len >= max)
		*n = max; /* too long for one message: the line goes on */
	else if (eof)
		*n = len; /* the last line, without "\n": as it is */
	else
		return 0;
	return 1;
}

/* The length in a LEN32/LEN16 header. */
static size_t
hdr_value(enum skit_framing f, const char *h)
{
	const unsigned char *u = (const unsigned char *)h;

	if (f == SKIT_FRAMING_LEN16)
		return (size_t)u[0] << 8 | u[1];
	return (size_t)u[0] << 24 | (size_t)u[1] << 16 | (size_t)u[2] << 8 |
	       u[3];
}

int
skit_frame_next(enum skit_framing f, const char *buf, size_t len, bool eof,
		size_t max, const char **msg, size_t *n, size_t *used)
{
	size_t hl, l;

	if (max == 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	switch (f) {
	case SKIT_FRAMING_RAW:
		if (max > SKIT_FRAME_MSG_MAX)
			max = SKIT_FRAME_MSG_MAX;
		*msg = buf;
		*n = *used = len < max ? len : max;
		return 1;
	case SKIT_FRAMING_LINE:
		if (max > SKIT_FRAME_MSG_MAX)
			max = SKIT_FRAME_MSG_MAX;
		if (!next_line(buf, len, eof, max, &l))
			return 0;
		*msg = buf;
		*n = *used = l;
		return 1;
	case SKIT_FRAMING_LEN32:
	case SKIT_FRAMING_LEN16:
		hl = skit_frame_hdr_len(f);
		if (len < hl)
			return eof ? SKIT_ETRUNC : 0;
		l = hdr_value(f, buf);
		if (l > max)
			return SKIT_ELIMIT;
		if (len - hl < l)
			return eof ? SKIT_ETRUNC : 0;
		*msg = buf + hl;
		*n = l;
		*used = hl + l;
		return 1;
	}
	return -EINVAL;
}

/* --- the framing layer -------------------------------------------------- */

/*
 * Sending, the stream is cut into messages. A message wholly inside the
 * caller's buffer is sent from there. The tail t holds a message the
 * caller has not finished (copied, and taken: send counts it as sent);
 * once complete it is owed and goes before anything else. LINE sends
 * an unfinished tail as it is once the stream has been quiet for
 * quiet_ms (due), from flush() after the timer kicked the conn's user.
 *
 * Receiving, one message gives one recv: into the caller's buffer after
 * room for the header, or through r when the buffer is smaller than a
 * message may be (then given out in pieces).
 */
struct frame {
	enum skit_framing f;
	size_t hl;	  /* header length: 4, 2 or 0 */
	size_t max;	  /* the longest message */
	size_t cut;	  /* LINE/RAW: the longest message sent */
	int64_t quiet_ms; /* < 0: no quiet flush */
	int err;	  /* a framing error: every later call fails with it */
	struct skit_layer *l;
	/* sending */
	char *t;
	size_t tcap, tlen;
	bool owed;   /* t holds a complete message */
	bool due;    /* LINE: quiet long enough, t goes as it is */
	bool ending; /* shutdown asked: t is the last message */
	int64_t in_ns, timer;
	struct skit_loop *loop; /* the timer's */
	/* receiving */
	char *r;
	size_t rlen, roff;
};

static int
f_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	const struct skit_frame_cfg *c = cfg;
	struct frame *fr = skit_layer_priv(l);
	enum skit_framing f = c ? c->framing : SKIT_FRAMING_RAW;

	if ((unsigned)f > SKIT_FRAMING_LEN16)
		return skit_err_set(err, -EINVAL, "push layer", "frame");
	fr->f = f;
	fr->l = l;
	fr->hl = skit_frame_hdr_len(f);
	fr->max = c && c->max_msg ? c->max_msg : SKIT_FRAME_DEFAULT_MAX;
	fr->cut = fr->max < SKIT_FRAME_MSG_MAX ? fr->max : SKIT_FRAME_MSG_MAX;
	fr->quiet_ms = !c || !c->quiet_ms ? QUIET_MS : c->quiet_ms;
	if (f != SKIT_FRAMING_LINE)
		fr->quiet_ms = -1;
	return 0;
}

static void
f_close(struct skit_layer *l)
{
	struct frame *fr = skit_layer_priv(l);

	if (fr->timer > 0)
		skit_loop_timer_cancel(fr->loop, fr->timer);
	free(fr->t);
	free(fr->r);
}

static bool
below_dgram(const struct skit_layer *l)
{
	return skit_conn_type(skit_layer_conn(l)) == SOCK_DGRAM;
}

/*
 * One message below. 0 when sent or dropped (datagram semantics: a
 * message the kernel will not take is lost, not retried), -EAGAIN, or
 * a code.
 */
static int
send_msg(struct skit_layer *l, const char *p, size_t n)
{
	ssize_t k;

	/* An empty seqpacket message would read as EOF: it is dropped. */
	if (n == 0 && skit_conn_type(skit_layer_conn(l)) == SOCK_SEQPACKET) {
		skit_layer_stats(l)->dropped_out++;
		return 0;
	}
	k = skit_layer_send_below(l, p, n);
	if (k >= 0)
		return 0;
	if (k == -EMSGSIZE || k == -ENOBUFS ||
	    (k == -ECONNREFUSED && below_dgram(l))) {
		skit_layer_stats(l)->dropped_out++;
		return 0;
	}
	return (int)k;
}

/* Send the tail (owed, due, or the last one at EOF): 0, -EAGAIN, code. */
static int
send_tail(struct skit_layer *l, struct frame *fr)
{
	int rc;

	rc = send_msg(l, fr->t + fr->hl, fr->tlen - fr->hl);
	if (rc < 0)
		return rc;
	fr->tlen = 0;
	fr->owed = fr->due = false;
	return 0;
}

/*
 * Before anything else: a sticky error, or the tail when it is owed
 * (complete) or due (quiet long enough). 0, -EAGAIN, or a code.
 */
static int
send_owed(struct skit_layer *l, struct frame *fr)
{
	if (fr->err)
		return fr->err;
	if (fr->owed || (fr->due && fr->tlen))
		return send_tail(l, fr);
	return 0;
}

static void
on_quiet(struct skit_loop *loop, void *data)
{
	struct frame *fr = data;
	int64_t due = fr->in_ns + fr->quiet_ms * 1000000;
	int64_t id;

	fr->timer = 0;
	if (fr->tlen == 0 || fr->owed)
		return;
	if (skit_loop_now(loop) < due) {
		id = skit_loop_timer_at(loop, due, on_quiet, fr);
		fr->timer = id > 0 ? id : 0;
		if (id > 0)
			return;
	}
	/* Quiet long enough (or no timer to wait with): it goes as it is. */
	fr->due = true;
	skit_layer_kick(fr->l);
}

/* The tail grew: note when, and make sure the quiet timer runs. */
static void
tail_grew(struct skit_layer *l, struct frame *fr)
{
	struct skit_loop *loop = skit_layer_loop(l);
	int64_t id;

	if (fr->quiet_ms < 0 || !loop || fr->owed)
		return;
	fr->in_ns = skit_loop_now(loop);
	if (fr->timer)
		return;
	id = skit_loop_timer_at(loop, fr->in_ns + fr->quiet_ms * 1000000,
				on_quiet, fr);
	fr->timer = id > 0 ? id : 0;
	fr->loop = loop;
}

static int
tail_room(struct frame *fr)
{
	size_t cap = fr->f == SKIT_FRAMING_LINE ? fr->cut : fr->hl + fr->max;

	if (fr->t)
		return 0;
	fr->t = malloc(cap);
	if (!fr->t)
		return -ENOMEM;
	fr->tcap = cap;
	return 0;
}

/*
 * Add to the unfinished tail from buf: the bytes taken. Sets owed when
 * the message is complete, or err for a bad length header.
 */
static size_t
tail_add(struct frame *fr, const char *buf, size_t len)
{
	size_t take, want;

	if (fr->f == SKIT_FRAMING_LINE) {
		const char *nl;

		take = fr->cut - fr->tlen < len ? fr->cut - fr->tlen : len;
		nl = memchr(buf, '\n', take);
		if (nl)
			take = (size_t)(nl - buf) + 1;
		memcpy(fr->t + fr->tlen, buf, take);
		fr->tlen += take;
		fr->owed = nl || fr->tlen == fr->cut;
		return take;
	}
	/* LEN32/LEN16 (RAW never keeps a tail) */
	take = 0;
	if (fr->tlen < fr->hl) {
		take = fr->hl - fr->tlen < len ? fr->hl - fr->tlen : len;
		memcpy(fr->t + fr->tlen, buf, take);
		fr->tlen += take;
		if (fr->tlen < fr->hl)
			return take;
	}
	want = hdr_value(fr->f, fr->t);
	if (want > fr->max) {
		fr->err = SKIT_ELIMIT;
		return take;
	}
	want = fr->hl + want - fr->tlen;
	if (want > len - take)
		want = len - take;
	memcpy(fr->t + fr->tlen, buf + take, want);
	fr->tlen += want;
	fr->owed = fr->tlen == fr->hl + hdr_value(fr->f, fr->t);
	return take + want;
}

static ssize_t
f_send(struct skit_layer *l, const void *buf, size_t len)
{
	struct frame *fr = skit_layer_priv(l);
	const char *p = buf, *m;
	size_t done = 0, n, used;
	int rc;

	rc = send_owed(l, fr);
	if (rc < 0)
		return rc;
	while (done < len) {
		if (fr->tlen > 0) {
			done += tail_add(fr, p + done, len - done);
			if (fr->err)
				return done ? (ssize_t)done : fr->err;
			if (!fr->owed)
				break; /* all of it went into the tail */
			rc = send_tail(l, fr);
			if (rc == -EAGAIN)
				return (ssize_t)done; /* taken: it is owed */
			if (rc < 0)
				return rc;
			continue;
		}
		rc = skit_frame_next(fr->f, p + done, len - done, false,
				     fr->max, &m, &n, &used);
		if (rc < 0) {
			fr->err = rc;
			return done ? (ssize_t)done : rc;
		}
		if (rc == 0) {
			/* Unfinished: the layer keeps it. */
			rc = tail_room(fr);
			if (rc < 0)
				return done ? (ssize_t)done : rc;
			memcpy(fr->t, p + done, len - done);
			fr->tlen = len - done;
			done = len;
			break;
		}
		rc = send_msg(l, m, n);
		if (rc == -EAGAIN)
			return done ? (ssize_t)done : -EAGAIN;
		if (rc < 0)
			return rc;
		done += used;
	}
	if (fr->tlen > 0 && !fr->owed)
		tail_grew(l, fr);
	return (ssize_t)done;
}

static int
f_flush(struct skit_layer *l)
{
	int rc = send_owed(l, skit_layer_priv(l));

	return rc < 0 ? rc : skit_layer_flush_below(l);
}

/* The end of the stream: what is left is the last message. */
static int
f_shutdown(struct skit_layer *l)
{
	struct frame *fr = skit_layer_priv(l);
	int rc;

	if (fr->err)
		return fr->err;
	fr->ending = true;
	if (fr->tlen > 0) {
		if (!fr->owed && fr->hl) {
			/* A length-framed message cut short by EOF. */
			fr->err = SKIT_ETRUNC;
			return fr->err;
		}
		rc = send_tail(l, fr);
		if (rc < 0)
			return rc;
	}
	if (fr->timer > 0)
		skit_loop_timer_cancel(fr->loop, fr->timer);
	fr->timer = 0;
	return skit_layer_shutdown_below(l);
}

static unsigned
f_events(const struct skit_layer *l, unsigned want)
{
	const struct frame *fr = skit_layer_priv(l);

	if (fr->tlen && (fr->owed || fr->due || fr->ending))
		want |= SKIT_EV_WRITE;
	return skit_layer_events_below(l, want);
}

static bool
f_pending(const struct skit_layer *l)
{
	const struct frame *fr = skit_layer_priv(l);

	return fr->roff < fr->rlen || skit_layer_pending_below(l);
}

/* Give out what is left of a message received through r. */
static size_t
give(struct frame *fr, void *buf, size_t len)
{
	size_t n = fr->rlen - fr->roff < len ? fr->rlen - fr->roff : len;

	memcpy(buf, fr->r + fr->roff, n);
	fr->roff += n;
	if (fr->roff == fr->rlen)
		fr->roff = fr->rlen = 0;
	return n;
}

#define RECV_TRIES 64 /* empty messages and ICMP errors skipped per call */

static ssize_t
f_recv(struct skit_layer *l, void *buf, size_t len)
{
	struct frame *fr = skit_layer_priv(l);
	bool direct = len >= fr->hl + fr->max;
	char *at;
	size_t room;
	ssize_t n;

	if (fr->roff < fr->rlen)
		return (ssize_t)give(fr, buf, len);
	if (len == 0)
		return -EINVAL;
	if (!direct && !fr->r) {
		fr->r = malloc(fr->hl + fr->max);
		if (!fr->r)
			return -ENOMEM;
	}
	at = direct ? buf : fr->r;
	room = fr->max;
	for (int i = 0; i < RECV_TRIES; i++) {
		n = skit_layer_recv_below(l, at + fr->hl, room);
		/* An ICMP error for an earlier send: not ours to report. */
		if (n == -ECONNREFUSED && below_dgram(l))
			continue;
		if (n < 0)
			return n;
		if (n == 0 && !below_dgram(l))
			return 0; /* seqpacket: the peer shut down */
		if ((size_t)n > room ||
		    skit_frame_hdr(fr->f, (size_t)n, (unsigned char *)at) < 0) {
			/* Too long to take or to frame: dropped whole. */
			skit_layer_stats(l)->dropped_in++;
			return -EMSGSIZE;
		}
		if (n == 0 && fr->hl == 0)
			continue; /* an empty message adds nothing to a stream
				   */
		if (direct)
			return (ssize_t)fr->hl + n;
		fr->rlen = fr->hl + (size_t)n;
		fr->roff = 0;
		return (ssize_t)give(fr, buf, len);
	}
	return -EAGAIN;
}

const struct skit_layer_ops skit_layer_frame = {
	.name = "frame",
	.size = sizeof(struct frame),
	.needs = SKIT_LAYER_MSGS,
	.offers = SKIT_LAYER_BYTES,
	.open = f_open,
	.send = f_send,
	.recv = f_recv,
	.flush = f_flush,
	.shutdown = f_shutdown,
	.pending = f_pending,
	.events = f_events,
	.close = f_close,
};

/* --- stdio helpers ------------------------------------------------------ */

int
skit_frame_reader_init(struct skit_frame_reader *r, int fd, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->max = max ? max : SKIT_FRAME_DEFAULT_MAX;
	/* Room for the longest message and its header. */
	r->cap = r->max + 8;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -ENOMEM;
}

void
skit_frame_reader_free(struct skit_frame_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

int
skit_frame_reader_fill(struct skit_frame_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->start > 0 && (r->end == r->cap || r->start > r->cap / 2)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap)
		return SKIT_ELIMIT;
	for (;;) {
		n = skit_read_some(r->fd, r->buf + r->end, r->cap - r->end);
		if (n == -EAGAIN) {
			int w = skit_wait_fd(r->fd, POLLIN, -1);

			if (w < 0)
				return w;
			continue;
		}
		break;
	}
	if (n < 0)
		return (int)n;
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

int
skit_frame_reader_take(struct skit_frame_reader *r, enum skit_framing f,
		       const char **msg, size_t *len)
{
	size_t used;
	int rc;

	/*
	 * The buffer holds max + 8 bytes, so every message the codec may
	 * wait for fits: a length frame over max is SKIT_ELIMIT.
	 */
	rc = skit_frame_next(f, r->buf + r->start, r->end - r->start, r->eof,
			     r->max, msg, len, &used);
	if (rc > 0)
		r->start += used;
	return rc;
}

int
skit_frame_reader_next(struct skit_frame_reader *r, enum skit_framing f,
		       const char **msg, size_t *len)
{
	int rc;

	for (;;) {
		rc = skit_frame_reader_take(r, f, msg, len);
		if (rc != 0)
			return rc;
		if (r->eof)
			return 0;
		rc = skit_frame_reader_fill(r);
		if (rc < 0)
			return rc;
	}
}

int
skit_frame_write(int fd, enum skit_framing f, const char *eol, const void *msg,
		 size_t len)
{
	char stackbuf[4096], *b = stackbuf;
	unsigned char hdr[4];
	int hl = skit_frame_hdr(f, len, hdr);
	size_t tl = 0, total;
	ssize_t n;

	if (hl < 0)
		return hl;
	if (eol && f == SKIT_FRAMING_LINE &&
	    (len == 0 || ((const char *)msg)[len - 1] != '\n'))
		tl = strlen(eol);
	total = (size_t)hl + len + tl;
	if (total == len) {
		n = skit_write_all(fd, msg, len, -1);
		return n < 0 ? (int)n : 0;
	}
	/*
	 * One write per message: two would let another writer's bytes in
	 * between (listen --broker writes from several sources).
	 */
	if (total > sizeof(stackbuf)) {
		b = malloc(total);
		if (!b)
			return -ENOMEM;
	}
	memcpy(b, hdr, (size_t)hl);
	if (len)
		memcpy(b + hl, msg, len);
	if (tl)
		memcpy(b + hl + len, eol, tl);
	n = skit_write_all(fd, b, total, -1);
	if (b != stackbuf)
		free(b);
	return n < 0 ? (int)n : 0;
}
