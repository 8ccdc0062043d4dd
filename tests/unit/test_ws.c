/*
 * test_ws.c - WebSocket (skit/ws.h): frame headers both ways, masking
 * at any offset, UTF-8 split anywhere, the receiver's rules (every
 * close code it calls for, fed whole and a byte at a time), the
 * opening handshake both sides, and the layer on a socketpair: client
 * and server conns exchanging messages, pings and the close handshake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skit/ws.h"

static void
test_frame_hdr(void **state)
{
	static const uint64_t lens[] = { 0,	125,	 126,	    65535,
					 65536, 1 << 20, 1ull << 32 };
	uint8_t key[4] = { 1, 2, 3, 4 }, b[SKIT_WS_HDR_MAX];
	struct skit_ws_frame f;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int m = 0; m < 2; m++) {
			size_t h =
				skit_ws_frame_hdr(b, i & 1, SKIT_WS_OP_BINARY,
						  lens[i], m ? key : NULL);

			for (size_t k = 0; k < h; k++)
				assert_int_equal(skit_ws_frame_parse(b, k, &f),
						 0);
			assert_int_equal(skit_ws_frame_parse(b, h, &f),
					 (ssize_t)h);
			assert_true(f.len == lens[i]);
			assert_int_equal(f.fin, i & 1);
			assert_int_equal(f.masked, m);
			assert_int_equal(f.op, SKIT_WS_OP_BINARY);
			if (m)
				assert_memory_equal(f.key, key, 4);
		}
	}
	/* minimal lengths: 7, 7+16, 7+64 bits */
	assert_int_equal(skit_ws_frame_hdr(b, 1, 1, 125, NULL), 2);
	assert_int_equal(skit_ws_frame_hdr(b, 1, 1, 126, NULL), 4);
	assert_int_equal(skit_ws_frame_hdr(b, 1, 1, 65536, NULL), 10);
	/* a 64-bit length with its top bit set */
	memcpy(b, "\x82\x7f\x80\0\0\0\0\0\0\0", 10);
	assert_int_equal(skit_ws_frame_parse(b, 10, &f), SKIT_EPROTO);
	/* reserved bits are reported, not judged, here */
	memcpy(b, "\xf1\x00", 2);
	assert_int_equal(skit_ws_frame_parse(b, 2, &f), 2);
	assert_int_equal(f.rsv, 7);
}

static void
test_mask(void **state)
{
	uint8_t key[4], a[100], b[100];

	(void)state;
	assert_int_equal(skit_ws_mask_key(key), 0);
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i * 7);
	/* whole, then in pieces at every offset: the same bytes */
	skit_ws_mask(a, sizeof(a), key, 0);
	for (size_t i = 0; i < sizeof(b); i++)
		assert_int_equal(a[i], (uint8_t)(b[i] ^ key[i & 3]));
	for (size_t cut = 0; cut <= sizeof(b); cut++) {
		uint8_t c[100];

		memcpy(c, b, sizeof(c));
		skit_ws_mask(c, cut, key, 0);
		skit_ws_mask(c + cut, sizeof(c) - cut, key, cut);
		assert_memory_equal(c, a, sizeof(a));
	}
}

static bool
utf8_ok(const char *s, size_t n)
{
	struct skit_ws_utf8 u = { 0 };

	return skit_ws_utf8_feed(&u, s, n) && skit_ws_utf8_done(&u);
}

static void
test_utf8(void **state)
{
	static const char good[] = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4"
				   "\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"
				   "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce"
				   "\xb5 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf "
				   "\xef\xbf\xbf plain ascii run of text";
	static const char *const bad[] = {
		"\x80",
		"\xc0\x80",
		"\xc1\xbf",
		"\xe0\x80\x80",
		"\xe0\x9f\xbf",
		"\xed\xa0\x80",
		"\xed\xbf\xbf",
		"\xf0\x80\x80\x80",
		"\xf0\x8f\xbf\xbf",
		"\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80",
		"\xff",
		"\xce\xba\xe1\xbd", /* ends inside a character */
		"a\xc2",
		"\xc2\x41",
	};
	size_t n = sizeof(good) - 1;

	(void)state;
	assert_true(utf8_ok(good, n));
	/* any split, in two and three pieces */
	for (size_t i = 0; i <= n; i++) {
		for (size_t j = i; j <= n; j += 5) {
			struct skit_ws_utf8 u = { 0 };

			assert_true(skit_ws_utf8_feed(&u, good, i));
			assert_true(skit_ws_utf8_feed(&u, good + i, j - i));
			assert_true(skit_ws_utf8_feed(&u, good + j, n - j));
			assert_true(skit_ws_utf8_done(&u));
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(utf8_ok(bad[i], strlen(bad[i])));
	/* fail fast: the bad byte is found before the text ends */
	{
		struct skit_ws_utf8 u = { 0 };

		assert_false(skit_ws_utf8_feed(&u, "ok\xed\xa0", 4));
	}
}

/* --- the receiver ----------------------------------------------------- */

/* A frame into out (masked when key): its length. */
static size_t
frame(uint8_t *out, bool fin, unsigned op, const void *p, size_t n, bool mask)
{
	uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = skit_ws_frame_hdr(out, fin, op, n, mask ? key : NULL);

	memcpy(out + h, p, n);
	if (mask)
		skit_ws_mask(out + h, n, key, 0);
	return h + n;
}

/*
 * Feed buf to a receiver step bytes at a time (0: all at once) and
 * write what it reports into log: "D<op>:<data>|" per message, "P:" a
 * ping, "p:" a pong, "C<code>:<reason>" the close; returns the error
 * (then rx's close code) or 0.
 */
static int
run_rx(struct skit_ws_rx *rx, const uint8_t *in, size_t len, size_t step,
       char *log, size_t cap)
{
	uint8_t buf[70000];
	size_t have = 0, off = 0, fed = 0, ll = 0;
	bool in_msg = false;

	log[0] = '\0';
	assert_true(len <= sizeof(buf));
	while (fed < len || off < have) {
		struct skit_ws_event ev;
		size_t add = step ? step : len;
		ssize_t n;

		if (add > len - fed)
			add = len - fed;
		/* the unused bytes stay; new ones join them */
		memmove(buf, buf + off, have - off);
		have -= off;
		off = 0;
		memcpy(buf + have, in + fed, add);
		have += add;
		fed += add;
		do {
			n = skit_ws_rx_feed(rx, buf + off, have - off, &ev);
			if (n < 0)
				return (int)n;
			off += (size_t)n;
			switch (ev.type) {
			case SKIT_WS_EV_DATA:
				if (!in_msg)
					ll += (size_t)snprintf(log + ll,
							       cap - ll,
							       "D%u:", ev.op);
				in_msg = !ev.last;
				ll += (size_t)snprintf(log + ll, cap - ll,
						       "%.*s", (int)ev.len,
						       (const char *)ev.data);
				if (ev.last)
					ll += (size_t)snprintf(log + ll,
							       cap - ll, "|");
				break;
			case SKIT_WS_EV_PING:
				ll += (size_t)snprintf(log + ll, cap - ll,
						       "P:%.*s|", (int)ev.len,
						       (const char *)ev.data);
				break;
			case SKIT_WS_EV_PONG:
				ll += (size_t)snprintf(log + ll, cap - ll,
						       "p:%.*s|", (int)ev.len,
						       (const char *)ev.data);
				break;
			case SKIT_WS_EV_CLOSE:
				ll += (size_t)snprintf(log + ll, cap - ll,
						       "C%d:%.*s|", ev.code,
						       (int)ev.len,
						       (const char *)ev.data);
				break;
			default:
				break;
			}
		} while (ev.type != SKIT_WS_EV_NONE && off < have);
		if (fed == len && ev.type == SKIT_WS_EV_NONE)
			break;
	}
	return 0;
}

/* Run in whole and a byte at a time: the same outcome both ways. */
static void
expect(bool server, const uint8_t *in, size_t len, int rc, int close_code,
       const char *log_want)
{
	static const size_t steps[] = { 0, 1, 3 };

	for (size_t i = 0; i < 3; i++) {
		struct skit_ws_rx rx = { .server = server, .max_msg = 1000 };
		char log[4096];
		uint8_t copy[4096];

		memcpy(copy, in, len);
		assert_int_equal(
			run_rx(&rx, copy, len, steps[i], log, sizeof(log)), rc);
		assert_int_equal(rx.close_code, close_code);
		if (log_want)
			assert_string_equal(log, log_want);
	}
}

static void
test_rx_messages(void **state)
{
	uint8_t b[4096];
	size_t n = 0;

	(void)state;
	/* a fragmented text message with a ping between its fragments,
	 * then a binary message, a pong and a close */
	n += frame(b + n, false, SKIT_WS_OP_TEXT, "fra", 3, true);
	n += frame(b + n, false, SKIT_WS_OP_CONT, "", 0, true);
	n += frame(b + n, true, SKIT_WS_OP_PING, "hi", 2, true);
	n += frame(b + n, true, SKIT_WS_OP_CONT, "gment\xc3\xa9", 7, true);
	n += frame(b + n, true, SKIT_WS_OP_BINARY, "\x01\x02", 2, true);
	n += frame(b + n, true, SKIT_WS_OP_PONG, "", 0, true);
	n += frame(b + n, true, SKIT_WS_OP_CLOSE,
		   "\x03\xe8"
		   "bye",
		   5, true);
	expect(true, b, n, 0, 0,
	       "D1:fraP:hi|gment\xc3\xa9|D2:\x01\x02|p:|C1000:bye|");
	/* a client reads unmasked frames; an empty close is 1005 */
	n = frame(b, true, SKIT_WS_OP_TEXT, "x", 1, false);
	n += frame(b + n, true, SKIT_WS_OP_CLOSE, "", 0, false);
	expect(false, b, n, 0, 0, "D1:x|C1005:|");
	/* an empty text message */
	n = frame(b, true, SKIT_WS_OP_TEXT, "", 0, true);
	expect(true, b, n, 0, 0, "D1:|");
}

static void
test_rx_errors(void **state)
{
	uint8_t b[4096], big[2000];
	size_t n;

	(void)state;
	memset(big, 'a', sizeof(big));
	/* reserved bits */
	n = frame(b, true, SKIT_WS_OP_TEXT, "x", 1, true);
	b[0] |= 0x40;
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	/* unknown opcodes, data and control */
	for (unsigned op = 3; op < 16; op++) {
		if (op >= 8 && op <= 10)
			continue;
		n = frame(b, true, op, "", 0, true);
		expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	}
	/* a server reading an unmasked frame, a client a masked one */
	n = frame(b, true, SKIT_WS_OP_TEXT, "x", 1, false);
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	n = frame(b, true, SKIT_WS_OP_TEXT, "x", 1, true);
	expect(false, b, n, SKIT_EPROTO, 1002, NULL);
	/* a continuation without a message; a new one inside one */
	n = frame(b, true, SKIT_WS_OP_CONT, "x", 1, true);
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	n = frame(b, false, SKIT_WS_OP_TEXT, "x", 1, true);
	n += frame(b + n, true, SKIT_WS_OP_TEXT, "y", 1, true);
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	/* control frames: fragmented, over 125 bytes */
	n = frame(b, false, SKIT_WS_OP_PING, "x", 1, true);
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	n = frame(b, true, SKIT_WS_OP_PING, big, 126, true);
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	/* close payloads: 1 byte, codes that may not be sent, bad UTF-8 */
	n = frame(b, true, SKIT_WS_OP_CLOSE, "\x03", 1, true);
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	n = frame(b, true, SKIT_WS_OP_CLOSE, "\x03\xed", 2, true); /* 1005 */
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	n = frame(b, true, SKIT_WS_OP_CLOSE, "\x03\xe7", 2, true); /* 999 */
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	n = frame(b, true, SKIT_WS_OP_CLOSE, "\x13\x88", 2, true); /* 5000 */
	expect(true, b, n, SKIT_EPROTO, 1002, NULL);
	n = frame(b, true, SKIT_WS_OP_CLOSE, "\x0b\xb8", 2, true); /* 3000 */
	expect(true, b, n, 0, 0, "C3000:|");
	n = frame(b, true, SKIT_WS_OP_CLOSE, "\x03\xe8\xff", 3, true);
	expect(true, b, n, SKIT_EPROTO, 1007, NULL);
	/* UTF-8: invalid inside one frame, and split across fragments
	 * (the first fragment is fine alone: "\xce" starts a character) */
	n = frame(b, true, SKIT_WS_OP_TEXT, "a\xff", 2, true);
	expect(true, b, n, SKIT_EPROTO, 1007, NULL);
	n = frame(b, false, SKIT_WS_OP_TEXT, "\xce", 1, true);
	n += frame(b + n, true, SKIT_WS_OP_CONT, "\x41", 1, true);
	expect(true, b, n, SKIT_EPROTO, 1007, NULL);
	n = frame(b, true, SKIT_WS_OP_TEXT, "\xce", 1, true);
	expect(true, b, n, SKIT_EPROTO, 1007, NULL);
	/* binary is not checked */
	n = frame(b, true, SKIT_WS_OP_BINARY, "\xff", 1, true);
	expect(true, b, n, 0, 0, "D2:\xff|");
	/* max_msg (1000): one frame over it, and fragments adding up;
	 * refused at the header, before the payload */
	n = frame(b, true, SKIT_WS_OP_BINARY, big, 1001, true);
	expect(true, b, 14, SKIT_ELIMIT, 1009, NULL);
	n = frame(b, false, SKIT_WS_OP_BINARY, big, 600, true);
	n += frame(b + n, true, SKIT_WS_OP_CONT, big, 401, true);
	expect(true, b, n, SKIT_ELIMIT, 1009, NULL);
	n = frame(b, true, SKIT_WS_OP_BINARY, big, 1000, true);
	expect(true, b, n, 0, 0, NULL);
}

static void
test_close_payload(void **state)
{
	uint8_t b[125];
	char r[200];

	(void)state;
	assert_int_equal(skit_ws_close_payload(b, 0, "x"), 0);
	assert_int_equal(skit_ws_close_payload(b, 1000, NULL), 2);
	assert_memory_equal(b, "\x03\xe8", 2);
	assert_int_equal(skit_ws_close_payload(b, 1002, "why"), 5);
	/* cut at 123 bytes, not inside a character */
	memset(r, 'a', sizeof(r));
	r[122] = '\xc3';
	r[123] = '\xa9';
	r[150] = '\0';
	assert_int_equal(skit_ws_close_payload(b, 1000, r), 2 + 122);
	assert_string_equal(skit_ws_close_name(1009), "message too big");
}

/* --- the handshake ---------------------------------------------------- */

static void
test_accept(void **state)
{
	char out[29], key[25], k2[25];

	(void)state;
	/* RFC 6455 section 1.3 */
	skit_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(skit_ws_new_key(key), 0);
	assert_int_equal(skit_ws_new_key(k2), 0);
	assert_int_equal(strlen(key), 24);
	assert_string_not_equal(key, k2);
}

static void
test_handshake(void **state)
{
	static const char *const hdrs[] = { "X-One: 1", "Authorization: b x" };
	struct skit_ws_client_req cr = {
		.host = "127.0.0.1:8080",
		.path = "/chat?room=1",
		.key = "dGhlIHNhbXBsZSBub25jZQ==",
		.protocol = "chat, superchat",
		.origin = "http://example.test",
		.headers = hdrs,
		.nheaders = 2,
	};
	struct skit_ws_request rq;
	struct skit_ws_answer a;
	struct skit_err err;
	char req[2048], ans[1024], pick[64];
	int n, st;

	(void)state;
	n = skit_ws_request_build(&cr, req, sizeof(req), &err);
	assert_true(n > 0);
	assert_non_null(strstr(req, "GET /chat?room=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "\r\nX-One: 1\r\n"));
	/* incomplete, then whole; the server's view */
	assert_int_equal(
		skit_ws_request_parse(req, (size_t)n - 1, &rq, &st, &err), 0);
	assert_int_equal(skit_ws_request_parse(req, (size_t)n, &rq, &st, &err),
			 n);
	assert_string_equal(rq.target, "/chat?room=1");
	assert_string_equal(rq.host, "127.0.0.1:8080");
	assert_string_equal(rq.origin, "http://example.test");
	assert_string_equal(rq.protocol, "chat, superchat");
	assert_string_equal(rq.request_line, "GET /chat?room=1 HTTP/1.1");
	skit_ws_pick_protocol("superchat,chat", rq.protocol, pick,
			      sizeof(pick));
	assert_string_equal(pick, "superchat");
	skit_ws_pick_protocol("other", rq.protocol, pick, sizeof(pick));
	assert_string_equal(pick, "");
	/* the answer, and the client's view of it (bytes after it are
	 * frames, not looked at) */
	n = skit_ws_answer_build(&rq, "chat", NULL, ans, sizeof(ans));
	assert_true(n > 0);
	assert_non_null(strstr(ans, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
	memcpy(ans + n, "\x81\x00", 2);
	assert_int_equal(skit_ws_answer_parse(ans, (size_t)n + 2, cr.key,
					      cr.protocol, false, &a, &err),
			 n);
	assert_string_equal(a.protocol, "chat");
	/* a subprotocol not offered */
	assert_int_equal(skit_ws_answer_parse(ans, (size_t)n, cr.key, NULL,
					      false, &a, &err),
			 SKIT_EPROTO);
	/* a wrong accept */
	assert_int_equal(skit_ws_answer_parse(ans, (size_t)n,
					      "AAAAAAAAAAAAAAAAAAAAAA==",
					      cr.protocol, false, &a, &err),
			 SKIT_EPROTO);
	/* not 101: the status line is in the error */
	snprintf(ans, sizeof(ans), "%s",
		 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(skit_ws_answer_parse(ans, strlen(ans), cr.key, NULL,
					      false, &a, &err),
			 SKIT_EHTTPSTATUS);
	assert_string_equal(a.status_line, "HTTP/1.1 404 Not Found");
	assert_non_null(strstr(err.detail, "HTTP/1.1 404 Not Found"));
	/* 101 without Upgrade */
	snprintf(ans, sizeof(ans), "%s",
		 "HTTP/1.1 101 OK\r\nConnection: upgrade\r\n\r\n");
	assert_int_equal(skit_ws_answer_parse(ans, strlen(ans), cr.key, NULL,
					      false, &a, &err),
			 SKIT_EPROTO);
}

static void
test_deflate_params(void **state)
{
	struct skit_ws_deflate d, agreed;
	struct skit_ws_request rq;
	struct skit_ws_answer a;
	struct skit_err err;
	char out[256], ans[1024];
	static const char *const bad[] = {
		"permessage-deflate; client_max_window_bits=7",
		"permessage-deflate; server_max_window_bits",
		"permessage-deflate; server_max_window_bits=16",
		"permessage-deflate; x-unknown",
		"permessage-deflate; client_no_context_takeover=1",
		"permessage-deflate; server_no_context_takeover; "
		"server_no_context_takeover",
		"x-webkit-deflate-frame",
	};
	int n;

	(void)state;
	/* python3-websockets' offer, and a list whose second offer is it */
	static const char offer[] =
		"permessage-deflate; client_max_window_bits";
	assert_true(skit_ws_deflate_parse(offer, strlen(offer), &d));
	assert_true(d.on);
	assert_int_equal(d.client_bits, 15);
	static const char two[] =
		"x-foo, permessage-deflate; server_max_window_bits=\"10\"; "
		"client_no_context_takeover, permessage-deflate";
	assert_true(skit_ws_deflate_parse(two, strlen(two), &d));
	assert_int_equal(d.server_bits, 10);
	assert_true(d.client_no_takeover);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(skit_ws_deflate_parse(bad[i], strlen(bad[i]), &d));
	/* the server's answer says what it honours */
	assert_true(skit_ws_deflate_parse(two, strlen(two), &d));
	skit_ws_deflate_answer(&d, &agreed, out, sizeof(out));
	assert_string_equal(out, "permessage-deflate; "
				 "server_no_context_takeover; "
				 "client_no_context_takeover; "
				 "server_max_window_bits=10");
	assert_true(agreed.server_no_takeover);
	/* a client takes it only when it offered deflate */
	memset(&rq, 0, sizeof(rq));
	snprintf(rq.key, sizeof(rq.key), "dGhlIHNhbXBsZSBub25jZQ==");
	n = skit_ws_answer_build(&rq, NULL, out, ans, sizeof(ans));
	assert_true(n > 0);
	assert_int_equal(skit_ws_answer_parse(ans, (size_t)n, rq.key, NULL,
					      true, &a, &err),
			 n);
	assert_true(a.deflate.on);
	assert_int_equal(a.deflate.server_bits, 10);
	assert_int_equal(skit_ws_answer_parse(ans, (size_t)n, rq.key, NULL,
					      false, &a, &err),
			 SKIT_EPROTO);
}

static void
test_request_refusals(void **state)
{
	static const struct {
		const char *req;
		int status;
	} cases[] = {
		{ "POST / HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.0\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
		  "Upgrade\r\nSec-WebSocket-Version: 12\r\n\r\n",
		  426 },
		{ "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: "
		  "Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		  "Sec-WebSocket-Key: short\r\n\r\n",
		  400 },
		{ "GET / HTTP/1.1\r\nUpgrade: websocket\r\n"
		  "Sec-WebSocket-Version: 13\r\n"
		  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		  400 },
	};
	static const char *const inject[] = { "X: a\r\nY: b", "NoColon",
					      "Bad Name: x" };
	struct skit_ws_request rq;
	struct skit_err err;
	char buf[512];
	int st;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(skit_ws_request_parse(cases[i].req,
						  strlen(cases[i].req), &rq,
						  &st, &err) < 0);
		assert_int_equal(st, cases[i].status);
		assert_true(skit_ws_refusal_build(st, buf, sizeof(buf)) > 0);
	}
	assert_true(skit_ws_refusal_build(426, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "Sec-WebSocket-Version: 13\r\n"));
	for (size_t i = 0; i < 3; i++) {
		struct skit_ws_client_req cr = { .host = "h",
						 .key = "k",
						 .headers = &inject[i],
						 .nheaders = 1 };

		assert_int_equal(
			skit_ws_request_build(&cr, buf, sizeof(buf), &err),
			SKIT_EOPTION);
	}
}

/* --- the layer on a socketpair ---------------------------------------- */

struct notes {
	int opens, msgs_in, msgs_out, close_in, close_out;
	char protocol[64];
};

static void
on_note(void *data, const struct skit_ws_note *n)
{
	struct notes *t = data;

	switch (n->type) {
	case SKIT_WS_NOTE_OPEN:
		t->opens++;
		snprintf(t->protocol, sizeof(t->protocol), "%s", n->protocol);
		break;
	case SKIT_WS_NOTE_MSG_IN:
		t->msgs_in++;
		break;
	case SKIT_WS_NOTE_MSG_OUT:
		t->msgs_out++;
		break;
	case SKIT_WS_NOTE_CLOSE_IN:
		t->close_in = n->code;
		break;
	case SKIT_WS_NOTE_CLOSE_OUT:
		t->close_out = n->code;
		break;
	}
}

struct pair {
	int fd[2];
	struct skit_conn *c[2]; /* 0 client, 1 server */
	struct notes n[2];
	struct skit_err err[2];
};

static void pair_open_z(struct pair *p, enum skit_ws_mode mode, uint64_t max,
			bool deflate);

static void
pair_open(struct pair *p, enum skit_ws_mode mode, uint64_t max)
{
	pair_open_z(p, mode, max, false);
}

static void
pair_open_z(struct pair *p, enum skit_ws_mode mode, uint64_t max, bool deflate)
{
	struct skit_ws_cfg cc = { .mode = mode,
				  .host = "h:1",
				  .path = "/p",
				  .protocol = "b, a",
				  .max_msg = max,
				  .on_note = on_note,
				  .data = &p->n[0],
				  .err = &p->err[0],
				  .deflate = deflate };
	struct skit_ws_cfg sc = { .server = true,
				  .mode = mode,
				  .protocol = "a",
				  .max_msg = max,
				  .on_note = on_note,
				  .data = &p->n[1],
				  .err = &p->err[1],
				  .deflate = deflate };
	int rc0 = -EAGAIN, rc1 = -EAGAIN;

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, p->fd),
			 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(skit_conn_new(p->fd[i], p->fd[i], SOCK_STREAM,
					       true, &p->c[i]),
				 0);
	assert_int_equal(skit_conn_push(p->c[0], &skit_layer_ws, &cc, NULL), 0);
	assert_int_equal(skit_conn_push(p->c[1], &skit_layer_ws, &sc, NULL), 0);
	assert_true(skit_conn_is_message(p->c[0]));
	for (int i = 0; i < 100 && (rc0 || rc1); i++) {
		if (rc0)
			rc0 = skit_conn_handshake(p->c[0]);
		if (rc1)
			rc1 = skit_conn_handshake(p->c[1]);
	}
	assert_int_equal(rc0, 0);
	assert_int_equal(rc1, 0);
	assert_string_equal(p->n[0].protocol, "a");
	assert_int_equal(p->n[0].opens, 1);
	assert_int_equal(p->n[1].opens, 1);
}

/* recv on conn i, retrying a while on -EAGAIN (the peer has written). */
static ssize_t
recv_on(struct pair *p, int i, void *buf, size_t len)
{
	ssize_t n = -EAGAIN;

	for (int k = 0; k < 200 && n == -EAGAIN; k++) {
		(void)skit_conn_flush(p->c[!i]);
		n = skit_conn_recv(p->c[i], buf, len);
	}
	return n;
}

/* The server side's raw socket sends one unmasked frame to the client. */
static void
fl_send(struct pair *p, unsigned op, const char *s)
{
	uint8_t f[256];
	size_t fl = frame(f, true, op, s, strlen(s), false);

	assert_int_equal(write(p->fd[1], f, fl), (ssize_t)fl);
}

static void
pair_free(struct pair *p)
{
	skit_conn_free(p->c[0]);
	skit_conn_free(p->c[1]);
}

static void
test_layer_messages(void **state)
{
	struct pair p;
	char buf[4096];
	ssize_t n;

	(void)state;
	pair_open(&p, SKIT_WS_MODE_TEXT, 0);
	/* text mode: a line is a message, the "\n" comes back */
	assert_int_equal(skit_conn_send(p.c[0], "hello\n", 6), 6);
	n = recv_on(&p, 1, buf, sizeof(buf));
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "hello\n", 6);
	assert_int_equal(skit_conn_send(p.c[1], "back\r\n", 6), 6);
	n = recv_on(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "back\n", 5);
	/* a message longer than the caller's buffer: its real length */
	assert_int_equal(skit_conn_send(p.c[0], "0123456789\n", 11), 11);
	n = recv_on(&p, 1, buf, 4);
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(p.n[1].msgs_in, 2);
	assert_int_equal(p.n[0].msgs_out, 2);
	/* a line in pieces (a framing layer's 64 KiB cut) is one message,
	 * fragmented; a piece left open at the end is finished by the close */
	assert_int_equal(skit_conn_send(p.c[0], "lo", 2), 2);
	assert_int_equal(skit_conn_send(p.c[0], "ng", 2), 2);
	assert_int_equal(skit_conn_send(p.c[0], " line\n", 6), 6);
	n = recv_on(&p, 1, buf, sizeof(buf));
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "long line\n", 10);
	assert_int_equal(skit_conn_send(p.c[0], "open", 4), 4);
	/* our close; the peer reads EOF and answers; we read its close */
	assert_int_equal(skit_conn_shutdown(p.c[0]), 0);
	assert_int_equal(p.n[0].close_out, 1000);
	n = recv_on(&p, 1, buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "open\n", 5);
	n = recv_on(&p, 1, buf, sizeof(buf));
	assert_int_equal(n, 0);
	assert_int_equal(p.n[1].close_in, 1000);
	assert_int_equal(p.n[1].close_out, 1000);
	n = recv_on(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, 0);
	assert_int_equal(p.n[0].close_in, 1000);
	pair_free(&p);
}

static void
test_layer_binary_and_limits(void **state)
{
	struct pair p;
	static char big[3000];
	char buf[4096];
	ssize_t n;

	(void)state;
	pair_open(&p, SKIT_WS_MODE_BINARY, 2000);
	memset(big, 0xab, sizeof(big));
	assert_int_equal(skit_conn_send(p.c[1], big, 2000), 2000);
	n = recv_on(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, 2000);
	assert_memory_equal(buf, big, 2000);
	/* over max-message: the reader closes with 1009 */
	assert_int_equal(skit_conn_send(p.c[1], big, 2001), 2001);
	n = recv_on(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, SKIT_ELIMIT);
	assert_int_equal(p.n[0].close_out, 1009);
	assert_non_null(strstr(p.err[0].detail, "1009"));
	n = recv_on(&p, 1, buf, sizeof(buf));
	assert_int_equal(n, 0);
	assert_int_equal(p.n[1].close_in, 1009);
	pair_free(&p);
}

static void
test_layer_echo_mode(void **state)
{
	struct pair p;
	uint8_t f[64];
	char buf[256];
	ssize_t n;

	(void)state;
	pair_open(&p, SKIT_WS_MODE_ECHO, 0);
	/* a text message, then a binary one: each reply takes its type */
	fl_send(&p, SKIT_WS_OP_TEXT, "t");
	n = recv_on(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, 1);
	assert_int_equal(skit_conn_send(p.c[0], buf, 1), 1);
	n = read(p.fd[1], f, sizeof(f));
	assert_int_equal(n, 2 + 4 + 1);
	assert_int_equal(f[0], 0x80 | SKIT_WS_OP_TEXT);
	fl_send(&p, SKIT_WS_OP_BINARY, "b");
	n = recv_on(&p, 0, buf, sizeof(buf));
	assert_int_equal(skit_conn_send(p.c[0], buf, 1), 1);
	n = read(p.fd[1], f, sizeof(f));
	assert_int_equal(f[0], 0x80 | SKIT_WS_OP_BINARY);
	pair_free(&p);
}

/*
 * Pipelined messages read in one go: the answers wait for the last one
 * and go out in one write (the layer's batching), not one write each.
 */
static void
test_layer_batch(void **state)
{
	struct pair p;
	uint8_t f[64];
	char buf[256];
	ssize_t n;

	(void)state;
	pair_open(&p, SKIT_WS_MODE_BINARY, 0);
	/* the client's keys come from a pool: still fresh for each frame */
	for (int i = 0; i < 70; i++)
		assert_int_equal(skit_conn_send(p.c[0], "k", 1), 1);
	assert_int_equal(recv(p.fd[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	for (int i = 1; i < 8; i++)
		assert_memory_not_equal(f + 2, f + 2 + 7 * i, 4);
	for (int i = 0; i < 70 * 7 - (int)sizeof(f); i++)
		assert_int_equal(recv(p.fd[1], f, 1, 0), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(skit_conn_send(p.c[0], "abc", 3), 3);
	for (int i = 0; i < 3; i++) {
		n = skit_conn_recv(p.c[1], buf, sizeof(buf));
		assert_int_equal(n, 3);
		assert_true(i == 2 || skit_conn_pending(p.c[1]));
		assert_int_equal(skit_conn_send(p.c[1], buf, 3), 3);
		/* held while more input waits */
		if (i < 2)
			assert_int_equal(
				recv(p.fd[0], f, sizeof(f), MSG_DONTWAIT), -1);
	}
	/* nothing more to read: what is held goes out, all at once */
	assert_int_equal(skit_conn_recv(p.c[1], buf, sizeof(buf)), -EAGAIN);
	n = recv(p.fd[0], f, sizeof(f), MSG_DONTWAIT);
	assert_int_equal(n, 3 * (2 + 3));
	assert_int_equal(f[0], 0x80 | SKIT_WS_OP_BINARY);
	assert_int_equal(f[5], 0x80 | SKIT_WS_OP_BINARY);
	/* the last answer of a batch goes at once (nothing left to read) */
	assert_int_equal(skit_conn_send(p.c[0], "de", 2), 2);
	n = recv_on(&p, 1, buf, sizeof(buf));
	assert_int_equal(n, 2);
	assert_int_equal(skit_conn_send(p.c[1], buf, 2), 2);
	assert_int_equal(recv(p.fd[0], f, sizeof(f), MSG_DONTWAIT), 2 + 2);
	pair_free(&p);
}

/*
 * A corked conn (skit_conn_cork: a client sending a window of
 * requests) holds the messages it is given and writes them all at once
 * when flushed: one write, not one each.
 */
static void
test_layer_cork(void **state)
{
	struct pair p;
	uint8_t f[256];
	char buf[64];

	(void)state;
	pair_open(&p, SKIT_WS_MODE_BINARY, 0);
	skit_conn_cork(p.c[0], true);
	for (int i = 0; i < 5; i++)
		assert_int_equal(skit_conn_send(p.c[0], "abcd", 4), 4);
	/* held: nothing written yet */
	assert_int_equal(recv(p.fd[1], f, sizeof(f), MSG_DONTWAIT), -1);
	skit_conn_cork(p.c[0], false);
	assert_int_equal(skit_conn_flush(p.c[0]), 0);
	/* five masked frames of 2 + 4 + 4 bytes, in one write */
	assert_int_equal(recv(p.fd[1], f, sizeof(f), MSG_DONTWAIT), 5 * 10);
	/* uncorked, a message goes at once */
	assert_int_equal(skit_conn_send(p.c[0], "e", 1), 1);
	assert_int_equal(recv(p.fd[1], f, sizeof(f), MSG_DONTWAIT), 2 + 4 + 1);
	pair_free(&p);
	/* a conn without layers is not changed by it */
	{
		struct skit_conn *bare;
		int sv[2];

		assert_int_equal(
			socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
			0);
		assert_int_equal(
			skit_conn_new(sv[0], sv[0], SOCK_STREAM, true, &bare),
			0);
		skit_conn_cork(bare, true);
		assert_int_equal(skit_conn_send(bare, "xy", 2), 2);
		assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT),
				 2);
		skit_conn_free(bare);
		close(sv[1]);
	}
}

/*
 * A relay of messages keeps their types: skit_ws_last_op tells the
 * type of the message received, skit_ws_next_op sends the next one with
 * a type the mode would not choose (binary UTF-8 in text mode; text in
 * binary mode, when it is UTF-8), once.
 */
static void
test_layer_keep_type(void **state)
{
	struct pair p;
	uint8_t f[64];
	char buf[64];

	(void)state;
	pair_open(&p, SKIT_WS_MODE_TEXT, 0);
	assert_int_equal(skit_ws_last_op(p.c[0]), 0);
	fl_send(&p, SKIT_WS_OP_BINARY, "abc");
	assert_int_equal(recv_on(&p, 0, buf, sizeof(buf)), 4);
	assert_int_equal(skit_ws_last_op(p.c[0]), SKIT_WS_OP_BINARY);
	skit_ws_next_op(p.c[0], SKIT_WS_OP_BINARY);
	assert_int_equal(skit_conn_send(p.c[0], "abc\n", 4), 4);
	assert_int_equal(recv(p.fd[1], f, sizeof(f), MSG_DONTWAIT), 2 + 4 + 3);
	assert_int_equal(f[0], 0x80 | SKIT_WS_OP_BINARY);
	/* once: the next one is the mode's again */
	assert_int_equal(skit_conn_send(p.c[0], "abc\n", 4), 4);
	assert_int_equal(recv(p.fd[1], f, sizeof(f), MSG_DONTWAIT), 2 + 4 + 3);
	assert_int_equal(f[0], 0x80 | SKIT_WS_OP_TEXT);
	pair_free(&p);
	pair_open(&p, SKIT_WS_MODE_BINARY, 0);
	skit_ws_next_op(p.c[0], SKIT_WS_OP_TEXT);
	assert_int_equal(skit_conn_send(p.c[0], "ab", 2), 2);
	assert_int_equal(recv(p.fd[1], f, sizeof(f), MSG_DONTWAIT), 2 + 4 + 2);
	assert_int_equal(f[0], 0x80 | SKIT_WS_OP_TEXT);
	/* text that is not UTF-8 cannot be: binary */
	skit_ws_next_op(p.c[0], SKIT_WS_OP_TEXT);
	assert_int_equal(skit_conn_send(p.c[0], "\xff", 1), 1);
	assert_int_equal(recv(p.fd[1], f, sizeof(f), MSG_DONTWAIT), 2 + 4 + 1);
	assert_int_equal(f[0], 0x80 | SKIT_WS_OP_BINARY);
	pair_free(&p);
}

static void
test_layer_ping_and_errors(void **state)
{
	struct pair p;
	uint8_t f[64];
	char buf[256];
	size_t fl;
	ssize_t n;

	(void)state;
	pair_open(&p, SKIT_WS_MODE_BINARY, 0);
	/* a ping from the server (unmasked), answered by a pong */
	fl = frame(f, true, SKIT_WS_OP_PING, "abc", 3, false);
	assert_int_equal(write(p.fd[1], f, fl), (ssize_t)fl);
	n = skit_conn_recv(p.c[0], buf, sizeof(buf));
	assert_int_equal(n, -EAGAIN);
	n = read(p.fd[1], buf, sizeof(buf));
	assert_int_equal(n, 2 + 4 + 3);
	assert_int_equal((uint8_t)buf[0], 0x80 | SKIT_WS_OP_PONG);
	assert_int_equal((uint8_t)buf[1], 0x80 | 3); /* masked */
	skit_ws_mask(buf + 6, 3, (uint8_t *)buf + 2, 0);
	assert_memory_equal(buf + 6, "abc", 3);
	/* reserved bits from the server: the client closes with 1002 */
	fl = frame(f, true, SKIT_WS_OP_TEXT, "x", 1, false);
	f[0] |= 0x20;
	assert_int_equal(write(p.fd[1], f, fl), (ssize_t)fl);
	n = skit_conn_recv(p.c[0], buf, sizeof(buf));
	assert_int_equal(n, SKIT_EPROTO);
	assert_int_equal(p.n[0].close_out, 1002);
	n = read(p.fd[1], buf, sizeof(buf));
	assert_true(n >= 2 + 4 + 2);
	assert_int_equal((uint8_t)buf[0], 0x80 | SKIT_WS_OP_CLOSE);
	skit_ws_mask(buf + 6, (size_t)n - 6, (uint8_t *)buf + 2, 0);
	assert_memory_equal(buf + 6, "\x03\xea", 2);
	pair_free(&p);
	/* the stream ends without a close frame: 1006, cut short */
	pair_open(&p, SKIT_WS_MODE_BINARY, 0);
	shutdown(p.fd[1], SHUT_WR);
	n = recv_on(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, SKIT_ETRUNC);
	assert_int_equal(p.n[0].close_in, 1006);
	pair_free(&p);
}

static void
test_layer_deflate(void **state)
{
	struct pair p;
	static char big[200000], buf[300000];
	uint8_t raw[4096];
	ssize_t n;

	(void)state;
	pair_open_z(&p, SKIT_WS_MODE_BINARY, 100000, true);
	/* compressible bytes both ways, several messages (the inflater
	 * keeps its context, the compressor starts each one afresh) */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = "skit websocket "[i % 15];
	for (int k = 0; k < 3; k++) {
		assert_int_equal(skit_conn_send(p.c[0], big, 50000), 50000);
		n = recv_on(&p, 1, buf, sizeof(buf));
		assert_int_equal(n, 50000);
		assert_memory_equal(buf, big, 50000);
		assert_int_equal(skit_conn_send(p.c[1], big + k, 1000), 1000);
		n = recv_on(&p, 0, buf, sizeof(buf));
		assert_int_equal(n, 1000);
		assert_memory_equal(buf, big + k, 1000);
	}
	/* the wire is compressed: a small frame with RSV1 for 1000 bytes */
	assert_int_equal(skit_conn_send(p.c[1], big, 1000), 1000);
	n = read(p.fd[0], raw, sizeof(raw));
	assert_true(n > 2 && n < 100);
	assert_int_equal(raw[0], 0x80 | 0x40 | SKIT_WS_OP_BINARY);
	pair_free(&p);
	/* an inflated message over max-message: 1009, however small its
	 * compressed frames */
	pair_open_z(&p, SKIT_WS_MODE_BINARY, 100000, true);
	assert_int_equal(skit_conn_send(p.c[0], big, 150000), 150000);
	n = recv_on(&p, 1, buf, sizeof(buf));
	assert_int_equal(n, SKIT_ELIMIT);
	assert_int_equal(p.n[1].close_out, 1009);
	pair_free(&p);
}

static void
test_layer_refusal(void **state)
{
	struct skit_ws_cfg sc = { .server = true };
	struct skit_conn *c;
	struct skit_err err;
	int fd[2], rc = -EAGAIN;
	char buf[512];
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	(void)state;
	sc.err = &err;
	assert_int_equal(
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0);
	assert_int_equal(skit_conn_new(fd[1], fd[1], SOCK_STREAM, true, &c), 0);
	assert_int_equal(skit_conn_push(c, &skit_layer_ws, &sc, NULL), 0);
	assert_int_equal(write(fd[0], req, sizeof(req) - 1),
			 (ssize_t)sizeof(req) - 1);
	for (int i = 0; i < 10 && rc == -EAGAIN; i++)
		rc = skit_conn_handshake(c);
	assert_int_equal(rc, SKIT_EPROTO);
	assert_true(read(fd[0], buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "HTTP/1.1 400 ", 13);
	skit_conn_free(c);
	close(fd[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_hdr),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_rx_messages),
		cmocka_unit_test(test_rx_errors),
		cmocka_unit_test(test_close_payload),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_deflate_params),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_layer_messages),
		cmocka_unit_test(test_layer_binary_and_limits),
		cmocka_unit_test(test_layer_echo_mode),
		cmocka_unit_test(test_layer_batch),
		cmocka_unit_test(test_layer_cork),
		cmocka_unit_test(test_layer_keep_type),
		cmocka_unit_test(test_layer_ping_and_errors),
		cmocka_unit_test(test_layer_deflate),
		cmocka_unit_test(test_layer_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
