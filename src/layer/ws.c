/*
 * ws.c - the WebSocket layer (skit/ws.h): the opening handshake as the
 * layer's handshake, then messages over the byte stream below, with the
 * protocol's own traffic (pongs, pings, the close handshake) kept
 * inside. The rules live in src/proto/ws.c; this file moves bytes.
 *
 * Buffers: in holds bytes read from below that the receiver has not
 * used yet; msg the message being reassembled (at most max_msg, plus a
 * "\n" in text mode); out the frames queued for below, written in
 * order, so that a pong or a close never cuts into a message's frame.
 */
#include "skit/ws.h"
#include "skit/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zlib.h>

#define IN_CHUNK  (64 * 1024)
#define OUT_LIMIT (256 * 1024) /* send says -EAGAIN over this */
#define OUT_BATCH (64 * 1024)  /* held for a batch at most this much */
#define HEAD_MAX  (16 * 1024)
#define REQ_MAX	  (8 * 1024)

enum phase {
	PH_SEND_HEAD, /* client: the request; server: the answer */
	PH_READ_HEAD, /* client: the answer; server: the request */
	PH_REFUSE,    /* server: writing a refusal, then fail */
	PH_OPEN,
	PH_FAILED,
};

struct ws {
	struct skit_ws_cfg cfg;
	char *host, *path, *protocol, *origin;
	char **headers;
	enum phase phase;
	int fail_code;
	char key[25];
	struct skit_ws_rx rx;

	uint8_t *in;
	size_t in_cap, in_off, in_len; /* in[in_off..in_len) unused */
	bool starved;		       /* the receiver needs more bytes */
	bool eof_below;

	uint8_t *msg;
	size_t msg_len, msg_cap;
	unsigned msg_op;
	unsigned last_op; /* the type of the last message received */
	unsigned next_op; /* the next message's type (skit_ws_next_op) */
	/* text mode: a line longer than one send goes out in fragments */
	bool frag_open;
	unsigned frag_op;
	size_t frag_len;
	struct skit_ws_utf8 frag_utf8;
	bool msg_ready;

	uint8_t *out;
	size_t out_cap, out_off, out_len;
	/* a client's masking keys: random bytes, one getrandom() for 64
	 * frames instead of one each */
	uint8_t keys[256];
	size_t keys_left;

	bool close_sent, close_rcvd, eof_given;
	int close_code_in;
	char reason_in[124];

	int64_t ping_timer;
	bool ping_due;
	char request_line[256];
	char status_line[128];
	char chosen[128];
	char extensions[128];

	/* permessage-deflate, when agreed: our compressor (reset for each
	 * message) and the peer's inflater (its context kept) */
	struct skit_ws_deflate dfl;
	z_stream zout, zin;
	bool zout_ok, zin_ok;
	uint8_t *ztmp;
	size_t ztmp_cap;
	struct skit_ws_utf8 zutf8; /* an inflated text message's UTF-8 */
};

static int msg_append(struct ws *w, const uint8_t *p, size_t n);

/* --- the queue of frames for below ------------------------------------ */

static int
out_reserve(struct ws *w, size_t n)
{
	if (w->out_off == w->out_len)
		w->out_off = w->out_len = 0;
	if (w->out_len + n <= w->out_cap)
		return 0;
	if (w->out_off) {
		memmove(w->out, w->out + w->out_off, w->out_len - w->out_off);
		w->out_len -= w->out_off;
		w->out_off = 0;
		if (w->out_len + n <= w->out_cap)
			return 0;
	}
	{
		size_t cap = w->out_cap ? w->out_cap : 4096;
		uint8_t *p;

		while (cap < w->out_len + n)
			cap *= 2;
		p = realloc(w->out, cap);
		if (!p)
			return -ENOMEM;
		w->out = p;
		w->out_cap = cap;
	}
	return 0;
}

static int queue_frame(struct ws *w, unsigned op, const void *data, size_t len,
		       bool fin, bool rsv1);

/* A whole message, or a control frame. */
static int
queue_whole(struct ws *w, unsigned op, const void *data, size_t len)
{
	return queue_frame(w, op, data, len, true, false);
}

/* The next fresh masking key (section 5.3: from a strong source). */
static int
next_key(struct ws *w, uint8_t key[4])
{
	if (w->keys_left < 4) {
		ssize_t n = getrandom(w->keys, sizeof(w->keys), 0);

		if (n < 0)
			return -errno;
		if (n < 4)
			return -EIO;
		w->keys_left = (size_t)n & ~(size_t)3;
	}
	w->keys_left -= 4;
	memcpy(key, w->keys + w->keys_left, 4);
	/* a key is used once: not kept once taken */
	memset(w->keys + w->keys_left, 0, 4);
	return 0;
}

/*
 * Queue one frame, masked with a fresh key by a client (fin: a
 * message's last; rsv1: a compressed message's first).
 */
static int
queue_frame(struct ws *w, unsigned op, const void *data, size_t len, bool fin,
	    bool rsv1)
{
	uint8_t key[4], *p;
	size_t h;
	int rc;

	rc = out_reserve(w, SKIT_WS_HDR_MAX + len);
	if (rc < 0)
		return rc;
	if (!w->cfg.server) {
		rc = next_key(w, key);
		if (rc < 0)
			return rc;
	}
	p = w->out + w->out_len;
	h = skit_ws_frame_hdr(p, fin, op, len, w->cfg.server ? NULL : key);
	if (rsv1)
		p[0] |= 0x40;
	if (len)
		memcpy(p + h, data, len);
	if (!w->cfg.server)
		skit_ws_mask(p + h, len, key, 0);
	w->out_len += h + len;
	return 0;
}

static void
note(struct ws *w, const struct skit_ws_note *n)
{
	if (w->cfg.on_note)
		w->cfg.on_note(w->cfg.data, n);
}

static int
queue_close(struct ws *w, int code, const char *reason)
{
	uint8_t pl[125];
	size_t n;

	if (w->close_sent)
		return 0;
	w->close_sent = true;
	n = skit_ws_close_payload(pl, code, reason);
	note(w, &(struct skit_ws_note){ .type = SKIT_WS_NOTE_CLOSE_OUT,
					.code = code,
					.reason = reason ? reason : "" });
	return queue_whole(w, SKIT_WS_OP_CLOSE, pl, n);
}

/* Write what is queued: 0 when all is out, -EAGAIN, or a code. */
static int
drain(struct skit_layer *l, struct ws *w)
{
	while (w->out_off < w->out_len) {
		ssize_t n = skit_layer_send_below(l, w->out + w->out_off,
						  w->out_len - w->out_off);

		if (n < 0)
			return (int)n;
		w->out_off += (size_t)n;
	}
	w->out_off = w->out_len = 0;
	return skit_layer_flush_below(l);
}

/*
 * Input read from below that the receiver has not looked at yet: the
 * caller will recv again before it waits (pending() says so). Frames
 * queued meanwhile wait for it (a drain before the next read from below,
 * or before a recv returns nothing), so the answers to a batch of
 * pipelined messages go out in one write instead of one each. A corked
 * conn (skit_conn_cork: the caller sends several messages, then
 * flushes) batches its sends the same way.
 */
static bool
batching(const struct skit_layer *l, const struct ws *w)
{
	return ((!w->starved && w->in_len > w->in_off) ||
		skit_layer_corked(l)) &&
	       w->out_len - w->out_off < OUT_BATCH;
}

/* --- setup ------------------------------------------------------------- */

static char *
dup_or_null(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

static void ws_close(struct skit_layer *l);

static void
on_ping_timer(struct skit_loop *loop, void *data)
{
	struct skit_layer *l = data;
	struct ws *w = skit_layer_priv(l);

	w->ping_timer = skit_loop_timer(loop, w->cfg.ping_ms, on_ping_timer, l);
	if (w->phase == PH_OPEN && !w->close_sent) {
		w->ping_due = true;
		skit_layer_kick(l);
	}
}

static int
ws_open(struct skit_layer *l, const void *cfgp, struct skit_err *err)
{
	struct ws *w = skit_layer_priv(l);
	const struct skit_ws_cfg *cfg = cfgp;
	bool ok = true;
	int rc;

	if (!cfg)
		return skit_err_set(err, -EINVAL, "websocket", "");
	w->cfg = *cfg;
	if (!w->cfg.max_msg)
		w->cfg.max_msg = SKIT_WS_MAX_DEFAULT;
	w->host = dup_or_null(cfg->host, &ok);
	w->path = dup_or_null(cfg->path, &ok);
	w->protocol = dup_or_null(cfg->protocol, &ok);
	w->origin = dup_or_null(cfg->origin, &ok);
	w->cfg.host = w->host;
	w->cfg.path = w->path;
	w->cfg.protocol = w->protocol;
	w->cfg.origin = w->origin;
	if (ok && cfg->nheaders) {
		w->headers = calloc(cfg->nheaders, sizeof(*w->headers));
		ok = w->headers != NULL;
		for (size_t i = 0; ok && i < cfg->nheaders; i++)
			w->headers[i] = dup_or_null(cfg->headers[i], &ok);
		w->cfg.headers = (const char *const *)w->headers;
	}
	w->rx.server = cfg->server;
	w->rx.max_msg = w->cfg.max_msg;
	w->phase = cfg->server ? PH_READ_HEAD : PH_SEND_HEAD;
	if (!ok) {
		rc = -ENOMEM;
		goto fail;
	}
	if (!cfg->server) {
		char req[REQ_MAX];
		struct skit_ws_client_req r = {
			.host = w->host,
			.path = w->path,
			.key = w->key,
			.protocol = w->protocol,
			.origin = w->origin,
			.headers = w->cfg.headers,
			.nheaders = cfg->nheaders,
			.deflate = cfg->deflate,
		};

		rc = skit_ws_new_key(w->key);
		if (rc == 0)
			rc = skit_ws_request_build(&r, req, sizeof(req), err);
		if (rc < 0)
			goto fail;
		{
			char *eol = memchr(req, '\r', (size_t)rc);

			snprintf(w->request_line, sizeof(w->request_line),
				 "%.*s", eol ? (int)(eol - req) : 0, req);
		}
		if (out_reserve(w, (size_t)rc) < 0) {
			rc = -ENOMEM;
			goto fail;
		}
		memcpy(w->out, req, (size_t)rc);
		w->out_len = (size_t)rc;
	}
	return 0;
fail:
	if (err && !err->code)
		skit_err_set(err, rc, "websocket", "");
	ws_close(l);
	memset(w, 0, sizeof(*w));
	return rc;
}

static void
ws_close(struct skit_layer *l)
{
	struct ws *w = skit_layer_priv(l);

	if (w->ping_timer > 0 && skit_layer_loop(l))
		skit_loop_timer_cancel(skit_layer_loop(l), w->ping_timer);
	w->ping_timer = 0;
	free(w->host);
	free(w->path);
	free(w->protocol);
	free(w->origin);
	if (w->headers)
		for (size_t i = 0; i < w->cfg.nheaders; i++)
			free(w->headers[i]);
	free(w->headers);
	free(w->in);
	free(w->msg);
	free(w->out);
	if (w->zout_ok)
		deflateEnd(&w->zout);
	if (w->zin_ok)
		inflateEnd(&w->zin);
	w->zout_ok = w->zin_ok = false;
	free(w->ztmp);
	w->ztmp = NULL;
	w->host = w->path = w->protocol = w->origin = NULL;
	w->headers = NULL;
	w->in = w->msg = w->out = NULL;
}

/*
 * ping-interval=: the timer starts once the conn has a loop (it may be
 * given one after the layer is pushed).
 */
static void
ping_arm(struct skit_layer *l, struct ws *w)
{
	if (w->cfg.ping_ms > 0 && !w->ping_timer && skit_layer_loop(l))
		w->ping_timer = skit_loop_timer(
			skit_layer_loop(l), w->cfg.ping_ms, on_ping_timer, l);
}

/* --- reading from below ------------------------------------------------ */

/* Read once from below into in: > 0, 0 EOF, -EAGAIN, or a code. */
static ssize_t
fill(struct skit_layer *l, struct ws *w, size_t max)
{
	ssize_t n;

	if (w->in_off == w->in_len)
		w->in_off = w->in_len = 0;
	if (w->in_off && w->in_cap - w->in_len < 4096) {
		memmove(w->in, w->in + w->in_off, w->in_len - w->in_off);
		w->in_len -= w->in_off;
		w->in_off = 0;
	}
	if (!w->in || w->in_cap - w->in_len < 2048) {
		size_t cap = w->in_cap ? w->in_cap * 2 : IN_CHUNK;
		uint8_t *p;

		if (cap > max + IN_CHUNK)
			return SKIT_ELIMIT;
		p = realloc(w->in, cap);
		if (!p)
			return -ENOMEM;
		w->in = p;
		w->in_cap = cap;
	}
	n = skit_layer_recv_below(l, w->in + w->in_len, w->in_cap - w->in_len);
	if (n > 0) {
		w->in_len += (size_t)n;
		w->starved = false;
	}
	return n;
}

/* --- permessage-deflate ------------------------------------------------ */

/*
 * Start compression with the parameters agreed: our window is the one
 * the peer allows us (zlib's raw deflate has no 8-bit window: 9), the
 * peer's is inflated with the largest.
 */
static int
deflate_start(struct ws *w, const struct skit_ws_deflate *d)
{
	int bits = w->cfg.server ? d->server_bits : d->client_bits;

	w->dfl = *d;
	if (bits < 9)
		bits = 9;
	if (deflateInit2(&w->zout, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	w->zout_ok = true;
	if (inflateInit2(&w->zin, -15) != Z_OK)
		return -ENOMEM;
	w->zin_ok = true;
	w->rx.deflate = true;
	return 0;
}

/*
 * Compress a message, or a fragment of one (first: it starts the
 * message; fin: it ends it), into ztmp: its length, or a negative code.
 */
static ssize_t
compress_msg(struct ws *w, const void *buf, size_t len, bool first, bool fin)
{
	size_t out = 0;
	int rc;

	if (first && deflateReset(&w->zout) != Z_OK)
		return -EINVAL;
	w->zout.next_in = (Bytef *)(uintptr_t)buf;
	w->zout.avail_in = (uInt)len;
	do {
		if (w->ztmp_cap - out < 64) {
			size_t cap = w->ztmp_cap ? w->ztmp_cap * 2 : 4096;
			uint8_t *p;

			while (cap < len / 2 + 64)
				cap *= 2;
			p = realloc(w->ztmp, cap);
			if (!p)
				return -ENOMEM;
			w->ztmp = p;
			w->ztmp_cap = cap;
		}
		w->zout.next_out = w->ztmp + out;
		w->zout.avail_out = (uInt)(w->ztmp_cap - out);
		rc = deflate(&w->zout, Z_SYNC_FLUSH);
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -EINVAL;
		out = w->ztmp_cap - w->zout.avail_out;
	} while (w->zout.avail_out == 0 || w->zout.avail_in > 0);
	/* the message's last flush, 00 00 ff ff, is left off (RFC 7692
	 * 7.2.1); an empty message is one empty block */
	if (fin && out >= 4 && !memcmp(w->ztmp + out - 4, "\0\0\xff\xff", 4))
		out -= 4;
	if (first && fin && out == 0)
		w->ztmp[out++] = 0;
	return (ssize_t)out;
}

/*
 * Inflate a compressed message's bytes (the tail 00 00 ff ff at its
 * end) onto msg, within max_msg: 0, or a code with the close code set.
 */
static int
inflate_into(struct ws *w, const uint8_t *p, size_t n, bool last)
{
	static const uint8_t tail[4] = { 0, 0, 0xff, 0xff };

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			if (!last)
				break;
			p = tail;
			n = 4;
		}
		w->zin.next_in = (Bytef *)(uintptr_t)p;
		w->zin.avail_in = (uInt)n;
		while (w->zin.avail_in > 0) {
			uint8_t chunk[16384];
			size_t got;
			int rc;

			w->zin.next_out = chunk;
			w->zin.avail_out = sizeof(chunk);
			rc = inflate(&w->zin, Z_SYNC_FLUSH);
			got = sizeof(chunk) - w->zin.avail_out;
			if (rc != Z_OK && rc != Z_STREAM_END &&
			    !(rc == Z_BUF_ERROR && got == 0)) {
				w->rx.close_code = SKIT_WS_CLOSE_INVALID_DATA;
				w->rx.why = "compressed data that does not "
					    "inflate";
				return SKIT_EPROTO;
			}
			if (w->msg_len + got > w->cfg.max_msg) {
				w->rx.close_code = SKIT_WS_CLOSE_TOO_BIG;
				w->rx.why = "a message over max-message "
					    "(inflated)";
				return SKIT_ELIMIT;
			}
			if (w->msg_op == SKIT_WS_OP_TEXT &&
			    !skit_ws_utf8_feed(&w->zutf8, chunk, got)) {
				w->rx.close_code = SKIT_WS_CLOSE_INVALID_DATA;
				w->rx.why = "a text message that is not UTF-8";
				return SKIT_EPROTO;
			}
			if (got && msg_append(w, chunk, got) < 0)
				return -ENOMEM;
			if (rc == Z_STREAM_END) {
				/* a final block: the next message starts a
				 * new stream */
				inflateReset(&w->zin);
				break;
			}
			if (rc == Z_BUF_ERROR)
				break;
		}
	}
	if (last && w->msg_op == SKIT_WS_OP_TEXT &&
	    !skit_ws_utf8_done(&w->zutf8)) {
		w->rx.close_code = SKIT_WS_CLOSE_INVALID_DATA;
		w->rx.why = "a text message that ends inside a character";
		return SKIT_EPROTO;
	}
	return 0;
}

/* --- the handshake ----------------------------------------------------- */

static int
hs_fail(struct ws *w, int code)
{
	w->phase = PH_FAILED;
	w->fail_code = code;
	return code;
}

static void
note_open(struct ws *w)
{
	note(w, &(struct skit_ws_note){ .type = SKIT_WS_NOTE_OPEN,
					.request_line = w->request_line,
					.status_line = w->status_line,
					.protocol = w->chosen,
					.extensions = w->extensions });
}

/* Client: the server's answer is in in[]? */
static int
hs_client_read(struct ws *w)
{
	struct skit_ws_answer a;
	ssize_t n;

	n = skit_ws_answer_parse((const char *)w->in + w->in_off,
				 w->in_len - w->in_off, w->key, w->protocol,
				 w->cfg.deflate, &a, w->cfg.err);
	snprintf(w->status_line, sizeof(w->status_line), "%s", a.status_line);
	if (n < 0)
		return hs_fail(w, (int)n);
	if (n == 0)
		return -EAGAIN;
	w->in_off += (size_t)n;
	snprintf(w->chosen, sizeof(w->chosen), "%s", a.protocol);
	snprintf(w->extensions, sizeof(w->extensions), "%s", a.extensions);
	if (a.deflate.on && deflate_start(w, &a.deflate) < 0)
		return hs_fail(w, -ENOMEM);
	w->phase = PH_OPEN;
	note_open(w);
	return 0;
}

/* Server: the client's request is in in[]? */
static int
hs_server_read(struct ws *w)
{
	struct skit_ws_request rq;
	char ans[1024];
	int status = 0, k;
	ssize_t n;

	n = skit_ws_request_parse((const char *)w->in + w->in_off,
				  w->in_len - w->in_off, &rq, &status,
				  w->cfg.err);
	if (n == 0)
		return -EAGAIN;
	snprintf(w->request_line, sizeof(w->request_line), "%s",
		 rq.request_line);
	if (n < 0) {
		k = skit_ws_refusal_build(status, ans, sizeof(ans));
		w->fail_code = (int)n;
		w->phase = PH_REFUSE;
		if (k > 0 && out_reserve(w, (size_t)k) == 0) {
			memcpy(w->out + w->out_len, ans, (size_t)k);
			w->out_len += (size_t)k;
		}
		return -EAGAIN;
	}
	w->in_off += (size_t)n;
	skit_ws_pick_protocol(w->protocol, rq.protocol, w->chosen,
			      sizeof(w->chosen));
	if (w->cfg.deflate) {
		struct skit_ws_deflate offer, agreed;

		if (skit_ws_deflate_parse(rq.extensions, strlen(rq.extensions),
					  &offer)) {
			skit_ws_deflate_answer(&offer, &agreed, w->extensions,
					       sizeof(w->extensions));
			if (deflate_start(w, &agreed) < 0)
				return hs_fail(w, -ENOMEM);
		}
	}
	k = skit_ws_answer_build(&rq, w->chosen, w->extensions, ans,
				 sizeof(ans));
	if (k < 0 || out_reserve(w, (size_t)k) < 0)
		return hs_fail(w, k < 0 ? k : -ENOMEM);
	memcpy(w->out + w->out_len, ans, (size_t)k);
	w->out_len += (size_t)k;
	snprintf(w->status_line, sizeof(w->status_line),
		 "HTTP/1.1 101 Switching Protocols");
	w->phase = PH_SEND_HEAD;
	return 0;
}

static int
ws_handshake(struct skit_layer *l)
{
	struct ws *w = skit_layer_priv(l);
	ssize_t n;
	int rc;

	for (;;) {
		switch (w->phase) {
		case PH_OPEN:
			return 0;
		case PH_FAILED:
			return w->fail_code;
		case PH_REFUSE:
			rc = drain(l, w);
			if (rc == -EAGAIN)
				return rc;
			return hs_fail(w, w->fail_code);
		case PH_SEND_HEAD:
			rc = drain(l, w);
			if (rc < 0)
				return rc == -EAGAIN ? rc : hs_fail(w, rc);
			if (w->cfg.server) {
				w->phase = PH_OPEN;
				note_open(w);
				return 0;
			}
			w->phase = PH_READ_HEAD;
			break;
		case PH_READ_HEAD:
			rc = w->in_len > w->in_off
				     ? (w->cfg.server ? hs_server_read(w)
						      : hs_client_read(w))
				     : -EAGAIN;
			if (rc < 0 && rc != -EAGAIN)
				return rc;
			if (rc == 0 || w->phase != PH_READ_HEAD)
				break; /* done, or a refusal to write */
			n = fill(l, w, HEAD_MAX);
			if (n == 0) {
				skit_err_setf(w->cfg.err, -ECONNRESET,
					      "websocket handshake", "", 0,
					      "the peer closed before the "
					      "%s",
					      w->cfg.server ? "request"
							    : "answer");
				return hs_fail(w, -ECONNRESET);
			}
			if (n < 0)
				return n == -EAGAIN ? -EAGAIN
						    : hs_fail(w, (int)n);
			break;
		}
	}
}

/* --- messages ---------------------------------------------------------- */

/* Before a send, recv or shutdown: the handshake done, or its code. */
static int
ready(struct skit_layer *l, struct ws *w)
{
	if (w->phase == PH_FAILED)
		return w->fail_code;
	return w->phase == PH_OPEN ? 0 : ws_handshake(l);
}

static int
msg_append(struct ws *w, const uint8_t *p, size_t n)
{
	if (w->msg_len + n + 1 > w->msg_cap) {
		size_t cap = w->msg_cap ? w->msg_cap : 4096;
		uint8_t *q;

		while (cap < w->msg_len + n + 1)
			cap *= 2;
		q = realloc(w->msg, cap);
		if (!q)
			return -ENOMEM;
		w->msg = q;
		w->msg_cap = cap;
	}
	memcpy(w->msg + w->msg_len, p, n);
	w->msg_len += n;
	return 0;
}

/* A protocol error: our close with its code, then the error. */
static ssize_t
proto_fail(struct skit_layer *l, struct ws *w, ssize_t code)
{
	(void)queue_close(w, w->rx.close_code, w->rx.why);
	(void)drain(l, w);
	skit_err_setf(w->cfg.err, (int)code, "websocket", "", 0, "%s (%d %s)",
		      w->rx.why, w->rx.close_code,
		      skit_ws_close_name(w->rx.close_code));
	w->phase = PH_FAILED;
	w->fail_code = (int)code;
	return code;
}

/* Feed what is in in[] to the receiver until a message is whole. */
static ssize_t
feed(struct skit_layer *l, struct ws *w)
{
	while (!w->msg_ready && !w->close_rcvd && !w->starved) {
		struct skit_ws_event ev;
		ssize_t n = skit_ws_rx_feed(&w->rx, w->in + w->in_off,
					    w->in_len - w->in_off, &ev);

		if (n < 0)
			return proto_fail(l, w, n);
		w->in_off += (size_t)n;
		switch (ev.type) {
		case SKIT_WS_EV_NONE:
			w->starved = true;
			break;
		case SKIT_WS_EV_DATA:
			if (w->msg_len == 0)
				memset(&w->zutf8, 0, sizeof(w->zutf8));
			w->msg_op = ev.op;
			if (ev.compressed) {
				int zrc = inflate_into(w, ev.data, ev.len,
						       ev.last);

				if (zrc < 0)
					return proto_fail(l, w, zrc);
			} else if (msg_append(w, ev.data, ev.len) < 0) {
				return -ENOMEM;
			}
			if (ev.last) {
				if (w->cfg.mode == SKIT_WS_MODE_TEXT)
					w->msg[w->msg_len++] = '\n';
				w->msg_ready = true;
				w->last_op = ev.op;
				note(w, &(struct skit_ws_note){
						.type = SKIT_WS_NOTE_MSG_IN,
						.op = ev.op,
						.len = w->msg_len -
						       (w->cfg.mode ==
							SKIT_WS_MODE_TEXT),
					});
			}
			break;
		case SKIT_WS_EV_PING:
			if (!w->close_sent && queue_whole(w, SKIT_WS_OP_PONG,
							  ev.data, ev.len) < 0)
				return -ENOMEM;
			break;
		case SKIT_WS_EV_PONG:
			break;
		case SKIT_WS_EV_CLOSE:
			w->close_rcvd = true;
			w->close_code_in = ev.code;
			snprintf(w->reason_in, sizeof(w->reason_in), "%.*s",
				 (int)ev.len, (const char *)ev.data);
			note(w, &(struct skit_ws_note){
					.type = SKIT_WS_NOTE_CLOSE_IN,
					.code = ev.code,
					.reason = w->reason_in,
				});
			/* Echo the code (section 5.5.1); 1005 is never sent. */
			if (queue_close(w,
					ev.code == SKIT_WS_CLOSE_NO_STATUS
						? 0
						: ev.code,
					"") < 0)
				return -ENOMEM;
			break;
		}
		if (w->in_off == w->in_len)
			w->starved = true;
	}
	return 0;
}

static ssize_t
ws_recv(struct skit_layer *l, void *buf, size_t len)
{
	struct ws *w = skit_layer_priv(l);
	ssize_t n;
	int rc;

	rc = ready(l, w);
	if (rc < 0)
		return rc;
	ping_arm(l, w);
	for (;;) {
		n = feed(l, w);
		if (n < 0)
			return n;
		/*
		 * pongs and the close's answer go out as soon as may be: now,
		 * or with the frames of a batch (batching)
		 */
		rc = w->msg_ready && !w->close_rcvd && batching(l, w)
			     ? 0
			     : drain(l, w);
		if (rc < 0 && rc != -EAGAIN && !w->close_rcvd)
			return rc;
		if (w->msg_ready && w->msg_len == 0) {
			/* an empty binary message would read as EOF above */
			skit_layer_stats(l)->dropped_in++;
			w->msg_ready = false;
			continue;
		}
		if (w->msg_ready) {
			size_t m = w->msg_len;

			memcpy(buf, w->msg, m < len ? m : len);
			w->msg_ready = false;
			w->msg_len = 0;
			return (ssize_t)m;
		}
		if (w->close_rcvd) {
			w->eof_given = true;
			return 0;
		}
		n = fill(l, w, w->cfg.max_msg);
		if (n == 0) {
			w->close_code_in = SKIT_WS_CLOSE_ABNORMAL;
			note(w, &(struct skit_ws_note){
					.type = SKIT_WS_NOTE_CLOSE_IN,
					.code = SKIT_WS_CLOSE_ABNORMAL,
					.reason = "",
				});
			skit_err_setf(w->cfg.err, SKIT_ETRUNC, "websocket", "",
				      0,
				      "the stream ended without a close "
				      "frame (1006)");
			w->phase = PH_FAILED;
			w->fail_code = SKIT_ETRUNC;
			return SKIT_ETRUNC;
		}
		if (n < 0)
			return n;
	}
}

/* A message or a fragment of one, compressed when agreed. */
static int
queue_msg(struct ws *w, unsigned op, const void *buf, size_t n, bool first,
	  bool fin)
{
	ssize_t z;

	if (!w->zout_ok)
		return queue_frame(w, first ? op : SKIT_WS_OP_CONT, buf, n, fin,
				   false);
	z = compress_msg(w, buf, n, first, fin);
	if (z < 0)
		return (int)z;
	return queue_frame(w, first ? op : SKIT_WS_OP_CONT, w->ztmp, (size_t)z,
			   fin, first);
}

/*
 * Text mode: a line (what the framing layer above gives: up to its
 * "\n", or a piece of a longer line) is a text message, "\n" and "\r"
 * taken off; the pieces of a long line are fragments of one message. A
 * line whose first piece is not UTF-8 goes as binary.
 */
static int
send_line(struct ws *w, const char *p, size_t n)
{
	bool fin = n && p[n - 1] == '\n', first = !w->frag_open;
	int rc;

	if (fin) {
		n--;
		if (n && p[n - 1] == '\r')
			n--;
	}
	if (first) {
		memset(&w->frag_utf8, 0, sizeof(w->frag_utf8));
		w->frag_op = w->next_op != SKIT_WS_OP_BINARY &&
					     skit_ws_utf8_feed(&w->frag_utf8, p,
							       n) &&
					     (!fin ||
					      skit_ws_utf8_done(&w->frag_utf8))
				     ? SKIT_WS_OP_TEXT
				     : SKIT_WS_OP_BINARY;
		w->next_op = 0;
		w->frag_len = 0;
	}
	rc = queue_msg(w, w->frag_op, p, n, first, fin);
	if (rc < 0)
		return rc;
	w->frag_len += n;
	w->frag_open = !fin;
	if (fin)
		note(w, &(struct skit_ws_note){ .type = SKIT_WS_NOTE_MSG_OUT,
						.op = w->frag_op,
						.len = w->frag_len });
	return 0;
}

static ssize_t
ws_send(struct skit_layer *l, const void *buf, size_t len)
{
	struct ws *w = skit_layer_priv(l);
	unsigned op = SKIT_WS_OP_BINARY;
	size_t n = len;
	int rc;

	rc = ready(l, w);
	if (rc < 0)
		return rc;
	if (w->close_sent) {
		skit_layer_stats(l)->dropped_out++;
		return (ssize_t)len;
	}
	if (w->out_len - w->out_off > OUT_LIMIT) {
		rc = drain(l, w);
		if (rc < 0)
			return rc;
	}
	if (w->cfg.mode == SKIT_WS_MODE_TEXT) {
		rc = send_line(w, buf, len);
		if (rc < 0)
			return rc;
		rc = batching(l, w) ? 0 : drain(l, w);
		if (rc < 0 && rc != -EAGAIN)
			return rc;
		return (ssize_t)len;
	}
	if (w->cfg.mode == SKIT_WS_MODE_ECHO && w->last_op)
		op = w->last_op;
	if (w->next_op) {
		struct skit_ws_utf8 u = { 0 };

		if (w->next_op == SKIT_WS_OP_BINARY ||
		    (skit_ws_utf8_feed(&u, buf, n) && skit_ws_utf8_done(&u)))
			op = w->next_op;
		else
			op = SKIT_WS_OP_BINARY;
		w->next_op = 0;
	}
	rc = queue_msg(w, op, buf, n, true, true);
	if (rc < 0)
		return rc;
	note(w, &(struct skit_ws_note){
			.type = SKIT_WS_NOTE_MSG_OUT, .op = op, .len = n });
	rc = batching(l, w) ? 0 : drain(l, w);
	if (rc < 0 && rc != -EAGAIN)
		return rc;
	return (ssize_t)len;
}

static int
ws_flush(struct skit_layer *l)
{
	struct ws *w = skit_layer_priv(l);
	int rc;

	if (w->phase != PH_OPEN) {
		rc = ws_handshake(l);
		if (rc < 0)
			return rc;
	}
	ping_arm(l, w);
	if (w->ping_due && !w->close_sent) {
		w->ping_due = false;
		rc = queue_whole(w, SKIT_WS_OP_PING, "skit", 4);
		if (rc < 0)
			return rc;
	}
	return drain(l, w);
}

static int
ws_shutdown(struct skit_layer *l)
{
	struct ws *w = skit_layer_priv(l);
	int rc;

	rc = ready(l, w);
	if (rc < 0)
		return rc;
	/* a line left open ends here (its last, empty fragment) */
	if (w->frag_open && !w->close_sent) {
		rc = queue_msg(w, w->frag_op, "", 0, false, true);
		if (rc < 0)
			return rc;
		w->frag_open = false;
	}
	rc = queue_close(w, SKIT_WS_CLOSE_NORMAL, "");
	if (rc < 0)
		return rc;
	rc = drain(l, w);
	/*
	 * A peer that has gone after the close handshake (its close read)
	 * cannot take ours: the stream is over either way, and saying so
	 * is not an error.
	 */
	if (w->close_rcvd && (rc == -EPIPE || rc == -ECONNRESET)) {
		w->out_off = w->out_len = 0;
		(void)skit_layer_shutdown_below(l);
		return 0;
	}
	if (rc < 0)
		return rc;
	/*
	 * Over TLS a close_notify ends the whole connection for most peers
	 * (python's ssl, browsers), so their close frame would be lost: the
	 * close frame is our end mark there, and the stream below ends
	 * with the connection, after the peer's close (section 7.1.1: the
	 * server closes first).
	 */
	if (!w->close_rcvd &&
	    skit_conn_find(skit_layer_conn(l), &skit_layer_tls))
		return 0;
	rc = skit_layer_shutdown_below(l);
	if (w->close_rcvd &&
	    (rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN))
		rc = 0;
	return rc;
}

static bool
ws_pending(const struct skit_layer *l)
{
	const struct ws *w = skit_layer_priv(l);

	if (w->phase != PH_OPEN)
		return false;
	return w->msg_ready || (w->close_rcvd && !w->eof_given) ||
	       (!w->starved && w->in_len > w->in_off) ||
	       skit_layer_pending_below(l);
}

static unsigned
ws_events(const struct skit_layer *l, unsigned want)
{
	const struct ws *w = skit_layer_priv(l);
	unsigned ev = 0;

	switch (w->phase) {
	case PH_SEND_HEAD:
	case PH_REFUSE:
		ev = SKIT_EV_WRITE;
		break;
	case PH_READ_HEAD:
		ev = SKIT_EV_READ;
		break;
	case PH_FAILED:
		ev = want;
		break;
	case PH_OPEN:
		ev = want;
		if (w->out_len > w->out_off || w->ping_due)
			ev |= SKIT_EV_WRITE;
		break;
	}
	return skit_layer_events_below(l, ev);
}

unsigned
skit_ws_last_op(const struct skit_conn *c)
{
	const struct ws *w = skit_conn_layer_priv(c, &skit_layer_ws);

	return w ? w->last_op : 0;
}

void
skit_ws_next_op(struct skit_conn *c, unsigned op)
{
	struct ws *w = skit_conn_layer_priv(c, &skit_layer_ws);

	if (w)
		w->next_op = op;
}

const struct skit_layer_ops skit_layer_ws = {
	.name = "websocket",
	.size = sizeof(struct ws),
	.needs = SKIT_LAYER_BYTES,
	.offers = SKIT_LAYER_MSGS,
	.open = ws_open,
	.handshake = ws_handshake,
	.send = ws_send,
	.recv = ws_recv,
	.flush = ws_flush,
	.shutdown = ws_shutdown,
	.pending = ws_pending,
	.events = ws_events,
	.close = ws_close,
};
