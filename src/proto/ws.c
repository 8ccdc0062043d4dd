/*
 * ws.c - WebSocket (RFC 6455) as pure functions over bytes
 * (include/skit/ws.h): frame headers, masking, UTF-8, the receiver's
 * rules, the close payload and the opening handshake both ways.
 */
#include "skit/ws.h"
#include "skit/http.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define WS_GUID	    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_HEAD_MAX (16 * 1024)

/* --- frames ------------------------------------------------------------ */

ssize_t
skit_ws_frame_parse(const void *buf, size_t len, struct skit_ws_frame *f)
{
	const uint8_t *b = buf;
	size_t h = 2;
	uint64_t n;

	if (len < 2)
		return 0;
	f->fin = b[0] & 0x80;
	f->rsv = (b[0] >> 4) & 7;
	f->op = b[0] & 0x0f;
	f->masked = b[1] & 0x80;
	n = b[1] & 0x7f;
	if (n == 126)
		h += 2;
	else if (n == 127)
		h += 8;
	if (f->masked)
		h += 4;
	if (len < h)
		return 0;
	if (n == 126) {
		n = (uint64_t)b[2] << 8 | b[3];
	} else if (n == 127) {
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | b[2 + i];
		if (n >> 63)
			return SKIT_EPROTO;
	}
	if (f->masked)
		memcpy(f->key, b + h - 4, 4);
	else
		memset(f->key, 0, 4);
	f->len = n;
	f->hdr_len = h;
	return (ssize_t)h;
}

size_t
skit_ws_frame_hdr(uint8_t *out, bool fin, unsigned op, uint64_t len,
		  const uint8_t *key)
{
	size_t h = 2;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | (op & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
	} else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		h = 10;
	}
	if (key) {
		out[1] |= 0x80;
		memcpy(out + h, key, 4);
		h += 4;
	}
	return h;
}

void
skit_ws_mask(void *buf, size_t len, const uint8_t key[4], uint64_t off)
{
	uint8_t *p = buf, k[8];
	size_t i = 0;
	uint64_t w;

	for (int j = 0; j < 8; j++)
		k[j] = key[(off + (uint64_t)j) & 3];
	/* Eight bytes at a time: the key, rotated to off, repeats. */
	memcpy(&w, k, 8);
	for (; i + 8 <= len; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		v ^= w;
		memcpy(p + i, &v, 8);
	}
	for (; i < len; i++)
		p[i] ^= k[i & 7];
}

int
skit_ws_mask_key(uint8_t key[4])
{
	ssize_t n = getrandom(key, 4, 0);

	if (n < 0)
		return -errno;
	return n == 4 ? 0 : -EIO;
}

/* --- UTF-8 ------------------------------------------------------------ */

bool
skit_ws_utf8_feed(struct skit_ws_utf8 *u, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];

		if (u->need) {
			if (c < u->lo || c > u->hi)
				return false;
			u->need--;
			u->lo = 0x80;
			u->hi = 0xbf;
			i++;
			continue;
		}
		if (c < 0x80) {
			/* ASCII runs, eight bytes at a time */
			uint64_t w;

			while (i + 8 <= len) {
				memcpy(&w, p + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			if (i < len && p[i] < 0x80)
				i++;
			continue;
		}
		u->lo = 0x80;
		u->hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			u->need = 1;
		} else if (c == 0xe0) {
			u->need = 2;
			u->lo = 0xa0; /* no overlong forms */
		} else if (c == 0xed) {
			u->need = 2;
			u->hi = 0x9f; /* no surrogates */
		} else if (c >= 0xe1 && c <= 0xef) {
			u->need = 2;
		} else if (c == 0xf0) {
			u->need = 3;
			u->lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3) {
			u->need = 3;
		} else if (c == 0xf4) {
			u->need = 3;
			u->hi = 0x8f; /* at most U+10FFFF */
		} else {
			return false;
		}
		i++;
	}
	return true;
}

/* --- the receiver ------------------------------------------------------ */

static ssize_t
rx_fail(struct skit_ws_rx *rx, int close_code, const char *why)
{
	rx->close_code = close_code;
	rx->why = why;
	return close_code == SKIT_WS_CLOSE_TOO_BIG ? SKIT_ELIMIT : SKIT_EPROTO;
}

/* Is code one a peer may send (section 7.4)? */
static bool
close_code_ok(int code)
{
	if (code >= 3000 && code <= 4999)
		return true;
	switch (code) {
	case 1000:
	case 1001:
	case 1002:
	case 1003:
	case 1007:
	case 1008:
	case 1009:
	case 1010:
	case 1011:
	case 1012:
	case 1013:
	case 1014:
		return true;
	default:
		return false;
	}
}

/* A new frame's header f: is it allowed here? */
static ssize_t
rx_check(struct skit_ws_rx *rx, const struct skit_ws_frame *f)
{
	uint64_t max = rx->max_msg
			       ? rx->max_msg
			       : SKIT_WS_MAX_DEFAULT; /* RSV1 marks a compressed
							 message, on its first
							 frame only */
	if (f->rsv & ~(rx->deflate && (f->op == SKIT_WS_OP_TEXT ||
				       f->op == SKIT_WS_OP_BINARY)
			       ? 4u
			       : 0u))
		return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
			       rx->deflate ? "reserved bits set"
					   : "reserved bits set (no extension "
					     "was agreed)");
	if (f->masked != rx->server)
		return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
			       rx->server ? "a client frame was not masked"
					  : "a server frame was masked");
	switch (f->op) {
	case SKIT_WS_OP_CLOSE:
	case SKIT_WS_OP_PING:
	case SKIT_WS_OP_PONG:
		if (!f->fin)
			return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
				       "a fragmented control frame");
		if (f->len > 125)
			return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
				       "a control frame over 125 bytes");
		if (f->op == SKIT_WS_OP_CLOSE && f->len == 1)
			return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
				       "a close frame of 1 byte");
		return 0;
	case SKIT_WS_OP_CONT:
		if (!rx->msg_op)
			return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
				       "a continuation frame without a "
				       "message");
		break;
	case SKIT_WS_OP_TEXT:
	case SKIT_WS_OP_BINARY:
		if (rx->msg_op)
			return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
				       "a new message inside a fragmented "
				       "one");
		rx->msg_op = f->op;
		rx->msg_compressed = f->rsv & 4;
		rx->msg_len = 0;
		memset(&rx->utf8, 0, sizeof(rx->utf8));
		break;
	default:
		return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL, "an unknown opcode");
	}
	if (f->len > max || rx->msg_len + f->len > max)
		return rx_fail(rx, SKIT_WS_CLOSE_TOO_BIG,
			       "a message over max-message");
	rx->msg_len += f->len;
	return 0;
}

/* A control frame's payload is all in rx->ctl: what does it say? */
static ssize_t
rx_control(struct skit_ws_rx *rx, struct skit_ws_event *ev)
{
	size_t n = (size_t)rx->f.len;

	ev->data = rx->ctl;
	ev->len = n;
	if (rx->f.op == SKIT_WS_OP_PING) {
		ev->type = SKIT_WS_EV_PING;
		return 0;
	}
	if (rx->f.op == SKIT_WS_OP_PONG) {
		ev->type = SKIT_WS_EV_PONG;
		return 0;
	}
	ev->type = SKIT_WS_EV_CLOSE;
	ev->code = SKIT_WS_CLOSE_NO_STATUS;
	if (n >= 2) {
		struct skit_ws_utf8 u = { 0 };

		ev->code = rx->ctl[0] << 8 | rx->ctl[1];
		ev->data = rx->ctl + 2;
		ev->len = n - 2;
		if (!close_code_ok(ev->code))
			return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
				       "a close code that may not be sent");
		if (!skit_ws_utf8_feed(&u, ev->data, ev->len) ||
		    !skit_ws_utf8_done(&u))
			return rx_fail(rx, SKIT_WS_CLOSE_INVALID_DATA,
				       "a close reason that is not UTF-8");
	}
	rx->closed = true;
	return 0;
}

ssize_t
skit_ws_rx_feed(struct skit_ws_rx *rx, void *buf, size_t len,
		struct skit_ws_event *ev)
{
	uint8_t *b = buf;
	size_t used = 0, take;
	ssize_t rc;

	memset(ev, 0, sizeof(*ev));
	if (rx->closed || rx->close_code)
		return rx->close_code ? rx_fail(rx, rx->close_code, rx->why)
				      : 0;
	if (!rx->in_frame) {
		rc = skit_ws_frame_parse(b, len, &rx->f);
		if (rc < 0)
			return rx_fail(rx, SKIT_WS_CLOSE_PROTOCOL,
				       "a frame length over 2^63");
		if (rc == 0)
			return 0;
		used = (size_t)rc;
		rc = rx_check(rx, &rx->f);
		if (rc < 0)
			return rc;
		rx->in_frame = true;
		rx->pos = 0;
	}
	take = len - used;
	if (take > rx->f.len - rx->pos)
		take = (size_t)(rx->f.len - rx->pos);
	if (rx->f.masked)
		skit_ws_mask(b + used, take, rx->f.key, rx->pos);
	if (rx->f.op & 0x8) {
		/* control: gathered, reported once whole */
		memcpy(rx->ctl + rx->pos, b + used, take);
		rx->pos += take;
		used += take;
		if (rx->pos < rx->f.len)
			return (ssize_t)used;
		rx->in_frame = false;
		rc = rx_control(rx, ev);
		return rc < 0 ? rc : (ssize_t)used;
	}
	if (take == 0 && rx->f.len > 0)
		return (ssize_t)used; /* a header alone, payload to come */
	ev->compressed = rx->msg_compressed;
	if (rx->msg_op == SKIT_WS_OP_TEXT && !rx->msg_compressed &&
	    !skit_ws_utf8_feed(&rx->utf8, b + used, take))
		return rx_fail(rx, SKIT_WS_CLOSE_INVALID_DATA,
			       "a text message that is not UTF-8");
	ev->type = SKIT_WS_EV_DATA;
	ev->op = rx->msg_op;
	ev->data = b + used;
	ev->len = take;
	rx->pos += take;
	used += take;
	if (rx->pos == rx->f.len) {
		rx->in_frame = false;
		if (rx->f.fin) {
			if (rx->msg_op == SKIT_WS_OP_TEXT &&
			    !rx->msg_compressed &&
			    !skit_ws_utf8_done(&rx->utf8))
				return rx_fail(rx, SKIT_WS_CLOSE_INVALID_DATA,
					       "a text message that ends "
					       "inside a character");
			ev->last = true;
			rx->msg_op = 0;
		}
	}
	return (ssize_t)used;
}

size_t
skit_ws_close_payload(uint8_t *out, int code, const char *reason)
{
	size_t n;

	if (code <= 0)
		return 0;
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	n = reason ? strlen(reason) : 0;
	if (n > 123) {
		n = 123;
		/* back off to a character boundary */
		while (n > 0 && ((uint8_t)reason[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(out + 2, reason, n);
	return 2 + n;
}

const char *
skit_ws_close_name(int code)
{
	switch (code) {
	case 1000:
		return "normal closure";
	case 1001:
		return "going away";
	case 1002:
		return "protocol error";
	case 1003:
		return "unsupported data";
	case 1005:
		return "no status code";
	case 1006:
		return "closed without a close frame";
	case 1007:
		return "invalid data";
	case 1008:
		return "policy violation";
	case 1009:
		return "message too big";
	case 1010:
		return "extension required";
	case 1011:
		return "internal error";
	default:
		return code >= 3000 && code <= 4999 ? "application code"
						    : "unknown code";
	}
}

/* --- the opening handshake -------------------------------------------- */

int
skit_ws_new_key(char out[25])
{
	uint8_t raw[16];
	ssize_t n = getrandom(raw, sizeof(raw), 0);

	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(raw))
		return -EIO;
	EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw));
	return 0;
}

void
skit_ws_accept(const char *key, size_t key_len, char out[29])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(md, 0, sizeof(md));
	if (c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) &&
	    EVP_DigestUpdate(c, key, key_len) &&
	    EVP_DigestUpdate(c, WS_GUID, sizeof(WS_GUID) - 1))
		(void)EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

/* One header line the user gave: "Name: value", a token, no CR/LF. */
static bool
header_ok(const char *h)
{
	const char *c = strchr(h, ':');

	if (!c || c == h || strpbrk(h, "\r\n"))
		return false;
	for (const char *p = h; p < c; p++)
		if (!isgraph((unsigned char)*p) ||
		    strchr("()<>@,;\\\"/[]?={}", *p))
			return false;
	return true;
}

/* Is a value one line? */
static bool
value_ok(const char *v)
{
	return !v || !strpbrk(v, "\r\n");
}

int
skit_ws_request_build(const struct skit_ws_client_req *r, char *buf, size_t cap,
		      struct skit_err *err)
{
	const char *path = r->path && *r->path ? r->path : "/";
	size_t n;
	int k;

	if (!value_ok(r->host) || !value_ok(path) || strchr(path, ' ') ||
	    !value_ok(r->protocol) || !value_ok(r->origin))
		return skit_err_setf(err, SKIT_EOPTION, "websocket", path, 0,
				     "a value with a line break or space");
	for (size_t i = 0; i < r->nheaders; i++)
		if (!header_ok(r->headers[i]))
			return skit_err_setf(err, SKIT_EOPTION, "websocket",
					     r->headers[i], 0,
					     "a header is one line "
					     "'Name: value'");
	k = snprintf(buf, cap,
		     "GET %s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Version: 13\r\n",
		     path, r->host ? r->host : "", r->key);
	if (k < 0 || (size_t)k >= cap)
		return SKIT_ETOOLONG;
	n = (size_t)k;
	if (r->protocol && *r->protocol) {
		k = snprintf(buf + n, cap - n, "Sec-WebSocket-Protocol: %s\r\n",
			     r->protocol);
		if (k < 0 || (size_t)k >= cap - n)
			return SKIT_ETOOLONG;
		n += (size_t)k;
	}
	if (r->origin && *r->origin) {
		k = snprintf(buf + n, cap - n, "Origin: %s\r\n", r->origin);
		if (k < 0 || (size_t)k >= cap - n)
			return SKIT_ETOOLONG;
		n += (size_t)k;
	}
	if (r->deflate) {
		k = snprintf(buf + n, cap - n,
			     "Sec-WebSocket-Extensions: permessage-deflate; "
			     "client_max_window_bits\r\n");
		if (k < 0 || (size_t)k >= cap - n)
			return SKIT_ETOOLONG;
		n += (size_t)k;
	}
	for (size_t i = 0; i < r->nheaders; i++) {
		k = snprintf(buf + n, cap - n, "%s\r\n", r->headers[i]);
		if (k < 0 || (size_t)k >= cap - n)
			return SKIT_ETOOLONG;
		n += (size_t)k;
	}
	if (cap - n < 3)
		return SKIT_ETOOLONG;
	memcpy(buf + n, "\r\n", 3);
	return (int)(n + 2);
}

/* Does the comma-separated list v[0..n) hold token tok (any case)? */
static bool
list_has(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return true;
	}
	return false;
}

static void
copy_val(char *out, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

static ssize_t
answer_fail(struct skit_err *err, int code, const char *why)
{
	return skit_err_setf(err, code, "websocket handshake", "", 0, "%s",
			     why);
}

ssize_t
skit_ws_answer_parse(const char *buf, size_t len, const char *key,
		     const char *protocol, bool deflate,
		     struct skit_ws_answer *out, struct skit_err *err)
{
	struct skit_http_resp r;
	const struct skit_http_field *f;
	char want[29];
	ssize_t n;
	int k;

	memset(out, 0, sizeof(*out));
	n = skit_http_parse_head(buf, len, WS_HEAD_MAX, &r, err);
	if (n <= 0)
		return n;
	out->status = r.status;
	k = snprintf(out->status_line, sizeof(out->status_line),
		     "HTTP/1.%d %d %.*s", r.version % 10, r.status,
		     (int)(r.reason_len > 80 ? 80 : r.reason_len), r.reason);
	(void)k;
	if (r.status != 101)
		return skit_err_setf(
			err, SKIT_EHTTPSTATUS, "websocket handshake", "", 0,
			"the server answered '%s'", out->status_line);
	f = skit_http_field_get(&r, "Upgrade");
	if (!f || !list_has(f->value, f->value_len, "websocket"))
		return answer_fail(err, SKIT_EPROTO,
				   "101 without 'Upgrade: websocket'");
	f = skit_http_field_get(&r, "Connection");
	if (!f || !list_has(f->value, f->value_len, "upgrade"))
		return answer_fail(err, SKIT_EPROTO,
				   "101 without 'Connection: Upgrade'");
	skit_ws_accept(key, strlen(key), want);
	f = skit_http_field_get(&r, "Sec-WebSocket-Accept");
	if (!f || f->value_len != 28 || memcmp(f->value, want, 28) != 0)
		return answer_fail(err, SKIT_EPROTO,
				   "a wrong Sec-WebSocket-Accept");
	f = skit_http_field_get(&r, "Sec-WebSocket-Protocol");
	if (f) {
		copy_val(out->protocol, sizeof(out->protocol), f->value,
			 f->value_len);
		if (!protocol ||
		    !list_has(protocol, strlen(protocol), out->protocol) ||
		    strchr(out->protocol, ','))
			return answer_fail(err, SKIT_EPROTO,
					   "the server chose a subprotocol "
					   "that was not offered");
	}
	f = skit_http_field_get(&r, "Sec-WebSocket-Extensions");
	if (f && f->value_len) {
		copy_val(out->extensions, sizeof(out->extensions), f->value,
			 f->value_len);
		/* one extension, permessage-deflate, and only when offered */
		if (!deflate || memchr(f->value, ',', f->value_len) ||
		    !skit_ws_deflate_parse(f->value, f->value_len,
					   &out->deflate))
			return answer_fail(err, SKIT_EPROTO,
					   "the server chose an extension "
					   "that was not offered");
	}
	return n;
}

/* The end of a head in buf[0..len): its length, or 0. */
static size_t
head_end(const char *b, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (b[i] == '\n' &&
		    (b[i - 1] == '\n' ||
		     (i >= 2 && b[i - 1] == '\r' && b[i - 2] == '\n')))
			return i + 1;
	return 0;
}

static ssize_t
req_fail(struct skit_err *err, int *status, int st, int code, const char *why)
{
	*status = st;
	return skit_err_setf(err, code, "websocket handshake", "", 0, "%s",
			     why);
}

ssize_t
skit_ws_request_parse(const char *buf, size_t len, struct skit_ws_request *rq,
		      int *status, struct skit_err *err)
{
	const char *line, *eol, *end, *sp;
	size_t hl, ll;
	bool upgrade = false, conn = false, version = false;

	memset(rq, 0, sizeof(*rq));
	*status = 0;
	hl = head_end(buf, len);
	if (!hl) {
		if (len >= WS_HEAD_MAX)
			return req_fail(err, status, 431, SKIT_ELIMIT,
					"a request head over 16 KiB");
		return 0;
	}
	end = buf + hl;
	eol = memchr(buf, '\n', hl);
	ll = (size_t)(eol - buf);
	if (ll && buf[ll - 1] == '\r')
		ll--;
	copy_val(rq->request_line, sizeof(rq->request_line), buf, ll);
	if (ll < 14 || memcmp(buf, "GET ", 4) != 0)
		return req_fail(err, status, 400, SKIT_EHTTP,
				"not an HTTP GET request");
	sp = memchr(buf + 4, ' ', ll - 4);
	if (!sp || sp == buf + 4 || (size_t)(buf + ll - sp) != 9 ||
	    memcmp(sp + 1, "HTTP/1.1", 8) != 0)
		return req_fail(err, status, 400, SKIT_EHTTP,
				"not an HTTP/1.1 request line");
	copy_val(rq->target, sizeof(rq->target), buf + 4,
		 (size_t)(sp - buf - 4));
	for (line = eol + 1; line < end; line = eol + 1) {
		const char *colon, *v, *ve;

		eol = memchr(line, '\n', (size_t)(end - line));
		ve = eol;
		if (ve > line && ve[-1] == '\r')
			ve--;
		if (ve == line)
			break; /* the blank line */
		colon = memchr(line, ':', (size_t)(ve - line));
		if (!colon || colon == line || *line == ' ' || *line == '\t')
			return req_fail(err, status, 400, SKIT_EHTTP,
					"a malformed header line");
		v = colon + 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
#define IS(name)                                       \
	((size_t)(colon - line) == sizeof(name) - 1 && \
	 strncasecmp(line, name, sizeof(name) - 1) == 0)
		if (IS("Upgrade")) {
			upgrade = list_has(v, (size_t)(ve - v), "websocket");
		} else if (IS("Connection")) {
			conn = conn || list_has(v, (size_t)(ve - v), "upgrade");
		} else if (IS("Sec-WebSocket-Version")) {
			version = ve - v == 2 && memcmp(v, "13", 2) == 0;
			if (!version)
				return req_fail(err, status, 426, SKIT_EPROTO,
						"a Sec-WebSocket-Version "
						"other than 13");
		} else if (IS("Sec-WebSocket-Key")) {
			copy_val(rq->key, sizeof(rq->key), v, (size_t)(ve - v));
		} else if (IS("Host")) {
			copy_val(rq->host, sizeof(rq->host), v,
				 (size_t)(ve - v));
		} else if (IS("Origin")) {
			copy_val(rq->origin, sizeof(rq->origin), v,
				 (size_t)(ve - v));
		} else if (IS("Sec-WebSocket-Protocol")) {
			size_t n = strlen(rq->protocol);

			/* several lines make one list */
			snprintf(rq->protocol + n, sizeof(rq->protocol) - n,
				 "%s%.*s", n ? ", " : "", (int)(ve - v), v);
		} else if (IS("Sec-WebSocket-Extensions")) {
			copy_val(rq->extensions, sizeof(rq->extensions), v,
				 (size_t)(ve - v));
		}
#undef IS
	}
	if (!upgrade)
		return req_fail(err, status, 400, SKIT_EPROTO,
				"no 'Upgrade: websocket'");
	if (!conn)
		return req_fail(err, status, 400, SKIT_EPROTO,
				"no 'Connection: Upgrade'");
	if (!version)
		return req_fail(err, status, 426, SKIT_EPROTO,
				"no 'Sec-WebSocket-Version: 13'");
	{
		unsigned char raw[20];
		int k = (int)strlen(rq->key);

		if (k != 24 ||
		    EVP_DecodeBlock(raw, (const unsigned char *)rq->key, k) !=
			    18 ||
		    rq->key[22] != '=' || rq->key[23] != '=')
			return req_fail(err, status, 400, SKIT_EPROTO,
					"no 16-byte Sec-WebSocket-Key");
	}
	return (ssize_t)hl;
}

void
skit_ws_pick_protocol(const char *ours, const char *theirs, char *out,
		      size_t cap)
{
	const char *p = ours;

	out[0] = '\0';
	if (!ours || !theirs)
		return;
	while (*p) {
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ", ");
		if (n) {
			char tok[128];

			copy_val(tok, sizeof(tok), p, n);
			if (list_has(theirs, strlen(theirs), tok)) {
				copy_val(out, cap, p, n);
				return;
			}
		}
		p += n;
	}
}

int
skit_ws_answer_build(const struct skit_ws_request *rq, const char *protocol,
		     const char *extensions, char *buf, size_t cap)
{
	char acc[29];
	int k;

	skit_ws_accept(rq->key, strlen(rq->key), acc);
	k = snprintf(
		buf, cap,
		"HTTP/1.1 101 Switching Protocols\r\n"
		"Upgrade: websocket\r\n"
		"Connection: Upgrade\r\n"
		"Sec-WebSocket-Accept: %s\r\n"
		"%s%s%s"
		"%s%s%s"
		"\r\n",
		acc, protocol && *protocol ? "Sec-WebSocket-Protocol: " : "",
		protocol && *protocol ? protocol : "",
		protocol && *protocol ? "\r\n" : "",
		extensions && *extensions ? "Sec-WebSocket-Extensions: " : "",
		extensions && *extensions ? extensions : "",
		extensions && *extensions ? "\r\n" : "");
	return k < 0 || (size_t)k >= cap ? SKIT_ETOOLONG : k;
}

int
skit_ws_refusal_build(int status, char *buf, size_t cap)
{
	const char *reason;
	int k;

	switch (status) {
	case 426:
		reason = "Upgrade Required";
		break;
	case 431:
		reason = "Request Header Fields Too Large";
		break;
	case 403:
		reason = "Forbidden";
		break;
	default:
		status = 400;
		reason = "Bad Request";
		break;
	}
	k = snprintf(buf, cap,
		     "HTTP/1.1 %d %s\r\n"
		     "%s"
		     "Content-Length: 0\r\n"
		     "Connection: close\r\n"
		     "\r\n",
		     status, reason,
		     status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "");
	return k < 0 || (size_t)k >= cap ? SKIT_ETOOLONG : k;
}

/* --- permessage-deflate ------------------------------------------------ */

/* A window size parameter's value: 8..15, or -1 when bad. */
static int
window_bits(const char *v, size_t n)
{
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n == 1 && v[0] >= '8' && v[0] <= '9')
		return v[0] - '0';
	if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
		return 10 + v[1] - '0';
	return -1;
}

/* One parameter s[0..n) of a permessage-deflate offer into d. */
static bool
deflate_param(const char *s, size_t n, struct skit_ws_deflate *d, bool seen[4])
{
	const char *eq = memchr(s, '=', n), *vs;
	size_t nl = (size_t)((eq ? eq : s + n) - s);
	int bits = 0, i;

	while (nl && (s[nl - 1] == ' ' || s[nl - 1] == '\t'))
		nl--;
	if (eq) {
		vs = eq + 1;
		while (vs < s + n && (*vs == ' ' || *vs == '\t'))
			vs++;
		bits = window_bits(vs, (size_t)(s + n - vs));
		if (bits < 0)
			return false;
	}
	if (nl == 22 && !strncasecmp(s, "client_max_window_bits", 22)) {
		i = 0;
		if (eq)
			d->client_bits = bits;
	} else if (nl == 22 && !strncasecmp(s, "server_max_window_bits", 22)) {
		i = 1;
		if (!eq)
			return false;
		d->server_bits = bits;
	} else if (nl == 26 &&
		   !strncasecmp(s, "client_no_context_takeover", 26)) {
		i = 2;
		d->client_no_takeover = true;
	} else if (nl == 26 &&
		   !strncasecmp(s, "server_no_context_takeover", 26)) {
		i = 3;
		d->server_no_takeover = true;
	} else {
		return false;
	}
	if (seen[i] || (i >= 2 && eq))
		return false;
	seen[i] = true;
	return true;
}

/*
 * The next item of a header value from p: skip the characters in skip,
 * then take what comes before the next ';' or ',' (trailing blanks
 * left off) as [*s, *e). Returns where the item stopped.
 */
static const char *
item(const char *p, const char *end, const char *skip, const char **s,
     const char **e)
{
	while (p < end && strchr(skip, *p))
		p++;
	*s = p;
	while (p < end && *p != ';' && *p != ',')
		p++;
	*e = p;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
	return p;
}

bool
skit_ws_deflate_parse(const char *v, size_t n, struct skit_ws_deflate *d)
{
	const char *end = v + n, *p = v;
	bool seen[4] = { false, false, false, false };

	memset(d, 0, sizeof(*d));
	d->client_bits = d->server_bits = 15;
	/* the first offer named permessage-deflate */
	for (;;) {
		const char *e, *s;

		p = item(p, end, ", \t", &s, &e);
		if (s >= end)
			return false;
		if (e - s == 18 &&
		    strncasecmp(s, "permessage-deflate", 18) == 0)
			break;
		while (p < end && *p != ',')
			p++;
	}
	d->on = true;
	/* its parameters, up to the next ',' */
	while (p < end && *p == ';') {
		const char *s, *e;

		p = item(p + 1, end, " \t", &s, &e);
		if (!deflate_param(s, (size_t)(e - s), d, seen))
			return false;
	}
	return true;
}

void
skit_ws_deflate_answer(const struct skit_ws_deflate *offer,
		       struct skit_ws_deflate *agreed, char *out, size_t cap)
{
	*agreed = *offer;
	/* we keep no context between our messages: say so */
	agreed->server_no_takeover = true;
	snprintf(out, cap, "permessage-deflate; server_no_context_takeover%s",
		 offer->client_no_takeover ? "; client_no_context_takeover"
					   : "");
	if (offer->server_bits < 15) {
		size_t n = strlen(out);

		snprintf(out + n, cap > n ? cap - n : 0,
			 "; server_max_window_bits=%d", offer->server_bits);
	}
}
