/*
 * skit/ws.h - WebSocket (RFC 6455): the protocol as pure functions
 * over bytes (src/proto/ws.c), and the WebSocket layer
 * (src/layer/ws.c) that carries messages over a byte stream.
 *
 * The codec does no I/O and no allocation, so each piece is unit-tested
 * and fuzzed on its own:
 *   skit_ws_frame_parse / skit_ws_frame_hdr   a frame header, both ways
 *   skit_ws_mask                              (un)masking, at any offset
 *   skit_ws_utf8_feed                         UTF-8, incrementally
 *   skit_ws_rx_feed                           the receiver: frames in,
 *                                             messages, pings and the
 *                                             close out, every rule of
 *                                             section 5 checked
 *   skit_ws_request_* / skit_ws_response_*    the opening handshake
 *
 * Protocol errors carry the close code they call for (rx->close_code):
 * 1002 (protocol error: reserved bits, unknown opcodes, a frame masked
 * the wrong way, a bad continuation, a control frame too long or
 * fragmented, a bad close payload), 1007 (a text message or a close
 * reason that is not UTF-8) and 1009 (a message over max_msg, refused
 * as soon as a frame header says so: never buffered first).
 */
#ifndef SKIT_WS_H
#define SKIT_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "skit/conn.h"
#include "skit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opcodes (section 5.2). */
enum {
	SKIT_WS_OP_CONT = 0x0,
	SKIT_WS_OP_TEXT = 0x1,
	SKIT_WS_OP_BINARY = 0x2,
	SKIT_WS_OP_CLOSE = 0x8,
	SKIT_WS_OP_PING = 0x9,
	SKIT_WS_OP_PONG = 0xa,
};

/* Close codes (section 7.4.1) skit sends or reports. */
enum {
	SKIT_WS_CLOSE_NORMAL = 1000,
	SKIT_WS_CLOSE_GOING_AWAY = 1001,
	SKIT_WS_CLOSE_PROTOCOL = 1002,
	SKIT_WS_CLOSE_NO_STATUS = 1005, /* reported, never sent */
	SKIT_WS_CLOSE_ABNORMAL = 1006,	/* reported, never sent */
	SKIT_WS_CLOSE_INVALID_DATA = 1007,
	SKIT_WS_CLOSE_TOO_BIG = 1009,
	SKIT_WS_CLOSE_INTERNAL = 1011,
};

/* The longest message by default (max-message=): 1 MiB. */
#define SKIT_WS_MAX_DEFAULT (1024 * 1024)
/* The longest frame header: 2 + 8 (length) + 4 (mask key). */
#define SKIT_WS_HDR_MAX 14

/* --- frames ------------------------------------------------------------ */

struct skit_ws_frame {
	bool fin;
	unsigned rsv; /* RSV1..RSV3 as bits 2..0 */
	unsigned op;
	bool masked;
	uint8_t key[4];
	uint64_t len;	/* payload length */
	size_t hdr_len; /* 2..14 */
};

/*
 * Parse the frame header at the start of buf[0..len). Returns its
 * length (> 0) with *f filled, 0 when more bytes are needed, or
 * SKIT_EPROTO for a 64-bit length with its top bit set. Nothing else is
 * checked here (skit_ws_rx_feed checks the rest).
 */
ssize_t skit_ws_frame_parse(const void *buf, size_t len,
			    struct skit_ws_frame *f);

/*
 * Write a frame header into out (SKIT_WS_HDR_MAX bytes): fin, opcode,
 * payload length, and the masking key when key is not NULL. Returns
 * its length.
 */
size_t skit_ws_frame_hdr(uint8_t *out, bool fin, unsigned op, uint64_t len,
			 const uint8_t *key);

/*
 * XOR buf[0..len) with key, as payload bytes that start off bytes into
 * the frame's payload (masking and unmasking are the same).
 */
void skit_ws_mask(void *buf, size_t len, const uint8_t key[4], uint64_t off);

/* Four fresh random bytes from getrandom(): 0 or -errno. */
int skit_ws_mask_key(uint8_t key[4]);

/* --- UTF-8 ------------------------------------------------------------ */

/* Zero it before the first byte. */
struct skit_ws_utf8 {
	uint8_t need;	/* continuation bytes still expected */
	uint8_t lo, hi; /* the range the next one must be in */
};

/*
 * Check the next len bytes of a text (any split: a sequence may
 * straddle calls). false at the first byte that makes it invalid
 * (overlong forms, surrogates and code points over U+10FFFF included).
 */
bool skit_ws_utf8_feed(struct skit_ws_utf8 *u, const void *buf, size_t len);

/* Does the text end at a character boundary? */
static inline bool
skit_ws_utf8_done(const struct skit_ws_utf8 *u)
{
	return u->need == 0;
}

/* --- the receiver ------------------------------------------------------ */

enum skit_ws_ev_type {
	SKIT_WS_EV_NONE = 0, /* more bytes needed */
	SKIT_WS_EV_DATA,     /* payload of the open message (maybe empty) */
	SKIT_WS_EV_PING,     /* answer with a pong carrying data */
	SKIT_WS_EV_PONG,
	SKIT_WS_EV_CLOSE, /* the peer's close: code (1005 when none), reason
			     in data */
};

struct skit_ws_event {
	enum skit_ws_ev_type type;
	unsigned op;	     /* DATA: TEXT or BINARY, the message's opcode */
	bool last;	     /* DATA: this ends the message */
	bool compressed;     /* DATA: permessage-deflate data (RSV1 on the
				message's first frame): the caller inflates
				it and checks its UTF-8 */
	const uint8_t *data; /* into the caller's buffer (or rx's own, for
				control frames) */
	size_t len;
	int code; /* CLOSE */
};

/*
 * The receiving side of one connection. Set server (frames must be
 * masked; a client's must not be), max_msg (0: SKIT_WS_MAX_DEFAULT;
 * of a compressed message: its compressed size) and deflate (RSV1 may
 * mark a compressed message: permessage-deflate was agreed) and zero
 * the rest.
 */
struct skit_ws_rx {
	bool server;
	uint64_t max_msg;
	bool deflate;
	bool msg_compressed;
	/* the frame being read */
	struct skit_ws_frame f;
	bool in_frame;
	uint64_t pos; /* payload bytes of f seen */
	/* the message being read: 0 none, else TEXT or BINARY */
	unsigned msg_op;
	uint64_t msg_len;
	struct skit_ws_utf8 utf8;
	/* a control frame's payload, gathered */
	uint8_t ctl[125];
	/* after an error: the close code to send and why */
	int close_code;
	const char *why;
	bool closed; /* the peer's close was read: nothing more is */
};

/*
 * Read from buf[0..len) (payload is unmasked in place). Returns the
 * bytes used (>= 0) with *ev set, one event per call: NONE means every
 * byte given was used (or the header is not complete: call again with
 * more after the unused ones). DATA points into buf. A negative return
 * is a protocol error (SKIT_EPROTO; SKIT_ELIMIT for a message over
 * max_msg) with rx->close_code and rx->why set; the connection is then
 * over. After CLOSE every call returns 0 with NONE.
 */
ssize_t skit_ws_rx_feed(struct skit_ws_rx *rx, void *buf, size_t len,
			struct skit_ws_event *ev);

/*
 * A close frame's payload: the code (0: none, an empty payload) and a
 * reason (cut at 123 bytes, at a character boundary). out holds 125
 * bytes; returns the length.
 */
size_t skit_ws_close_payload(uint8_t *out, int code, const char *reason);

/* The name of a close code ("normal closure", "protocol error", ...). */
const char *skit_ws_close_name(int code);

/* --- the opening handshake -------------------------------------------- */

/* A fresh Sec-WebSocket-Key (base64 of 16 random bytes): 0 or -errno. */
int skit_ws_new_key(char out[25]);

/*
 * Sec-WebSocket-Accept for a key: base64(SHA-1(key GUID)), 28
 * characters and a NUL.
 */
void skit_ws_accept(const char *key, size_t key_len, char out[29]);

/* --- permessage-deflate (RFC 7692) ----------------------------------- */

/* Its parameters, as offered or agreed. Windows are 8..15 bits. */
struct skit_ws_deflate {
	bool on;
	int client_bits, server_bits; /* *_max_window_bits; 15 when unsaid */
	bool client_no_takeover, server_no_takeover;
};

/*
 * Read a Sec-WebSocket-Extensions value v[0..n): the first
 * permessage-deflate offer (or answer) in it into *d. true when there
 * is one and its parameters are good (unknown ones, repeated ones or
 * bad window sizes make it false; d->on says it was there).
 */
bool skit_ws_deflate_parse(const char *v, size_t n, struct skit_ws_deflate *d);

/*
 * A server's answer to the client's offer: the header value (into out,
 * cap bytes) and the parameters agreed (*agreed). The server keeps no
 * context between its messages and honours a window limit asked for.
 */
void skit_ws_deflate_answer(const struct skit_ws_deflate *offer,
			    struct skit_ws_deflate *agreed, char *out,
			    size_t cap);

/* What a client asks for. */
struct skit_ws_client_req {
	const char *host;     /* the Host value: "name:port", "[v6]:port" */
	const char *path;     /* path and query; NULL or "": "/" */
	const char *key;      /* skit_ws_new_key */
	const char *protocol; /* Sec-WebSocket-Protocol list, or NULL */
	const char *origin;   /* or NULL */
	const char *const *headers; /* extra "Name: value" lines */
	size_t nheaders;
	bool deflate; /* offer permessage-deflate */
};

/*
 * Write the request head into buf. Returns its length, SKIT_ETOOLONG
 * when cap is too small, or SKIT_EOPTION (err says which) for a header
 * line or value that is not one line ("Name: value", no CR or LF).
 */
int skit_ws_request_build(const struct skit_ws_client_req *r, char *buf,
			  size_t cap, struct skit_err *err);

/* What the server's answer says. */
struct skit_ws_answer {
	int status;
	char status_line[128];		/* "HTTP/1.1 404 Not Found" */
	char protocol[128];		/* the subprotocol chosen, "" none */
	char extensions[128];		/* Sec-WebSocket-Extensions, "" none */
	struct skit_ws_deflate deflate; /* agreed, when offered */
};

/*
 * Parse the server's answer at the start of buf[0..len) to a request
 * sent with key and protocol (may be NULL). Returns the head's length
 * (> 0; bytes after it are frames), 0 when incomplete, or:
 *   SKIT_EHTTPSTATUS  not 101 (status_line says what it was)
 *   SKIT_EPROTO       101 without "Upgrade: websocket", "Connection:
 *                     Upgrade", the right Sec-WebSocket-Accept, or with
 *                     a subprotocol or an extension not asked for
 *                     (permessage-deflate only when deflate was offered)
 *   SKIT_EHTTP, SKIT_ELIMIT  not an HTTP head, or one over 16 KiB
 * err (may be NULL) gets the detail.
 */
ssize_t skit_ws_answer_parse(const char *buf, size_t len, const char *key,
			     const char *protocol, bool deflate,
			     struct skit_ws_answer *out, struct skit_err *err);

/* What a client asked a server for. */
struct skit_ws_request {
	char target[1024]; /* path and query as sent */
	char host[256];
	char key[64];
	char protocol[256]; /* the Sec-WebSocket-Protocol list, "" none */
	char origin[256];
	char extensions[256];
	char request_line[256];
};

/*
 * Parse a client's request at the start of buf[0..len). Returns the
 * head's length (> 0), 0 when incomplete, or a code with *status the
 * HTTP status to refuse it with: SKIT_ELIMIT (431: over 16 KiB),
 * SKIT_EHTTP (400: not an HTTP request), SKIT_EPROTO (400: not GET
 * HTTP/1.1 with Upgrade: websocket, Connection: Upgrade, a 16-byte
 * Sec-WebSocket-Key; 426: a Sec-WebSocket-Version other than 13). err
 * (may be NULL) gets the detail.
 */
ssize_t skit_ws_request_parse(const char *buf, size_t len,
			      struct skit_ws_request *rq, int *status,
			      struct skit_err *err);

/*
 * The subprotocol a server with the list ours (comma-separated) picks
 * for a request offering theirs: the first of ours they offer, or ""
 * (out holds cap bytes).
 */
void skit_ws_pick_protocol(const char *ours, const char *theirs, char *out,
			   size_t cap);

/*
 * Write the 101 answer to rq (protocol: the chosen one, or "" / NULL;
 * extensions: the Sec-WebSocket-Extensions value, or NULL), or a
 * refusal with status (400, 426 with Sec-WebSocket-Version: 13, 431,
 * 403). Returns the length, or SKIT_ETOOLONG.
 */
int skit_ws_answer_build(const struct skit_ws_request *rq, const char *protocol,
			 const char *extensions, char *buf, size_t cap);
int skit_ws_refusal_build(int status, char *buf, size_t cap);

/* --- the layer --------------------------------------------------------- */

/* How messages meet a byte stream above the layer. */
enum skit_ws_mode {
	/*
	 * Text: each message sent is a text message (a binary one when it
	 * is not UTF-8), a final "\n" (or "\r\n") taken off; each message
	 * received is given with a "\n" after it. Under --framing line,
	 * one line is one message.
	 */
	SKIT_WS_MODE_TEXT = 0,
	SKIT_WS_MODE_BINARY, /* binary messages, as they are */
	/*
	 * Echo: messages as they are, each sent with the type of the last
	 * one received (an echo server's replies keep their type).
	 */
	SKIT_WS_MODE_ECHO,
};

/* What the layer tells its user (for -v and --json). */
enum skit_ws_note_type {
	SKIT_WS_NOTE_OPEN,	/* handshake done: request_line, protocol,
				   extensions */
	SKIT_WS_NOTE_MSG_IN,	/* op, len */
	SKIT_WS_NOTE_MSG_OUT,	/* op, len */
	SKIT_WS_NOTE_CLOSE_IN,	/* code, reason: the peer's close */
	SKIT_WS_NOTE_CLOSE_OUT, /* code, reason: ours */
};

struct skit_ws_note {
	enum skit_ws_note_type type;
	const char *request_line; /* OPEN: "GET /path HTTP/1.1" */
	const char *status_line;  /* OPEN: "HTTP/1.1 101 Switching ..." */
	const char *protocol;	  /* OPEN: "" when none */
	const char *extensions;	  /* OPEN */
	unsigned op;		  /* MSG_*: TEXT or BINARY */
	size_t len;		  /* MSG_*: payload bytes */
	int code;		  /* CLOSE_*: 1000.., 1005 none, 1006 none
				     at all (the stream ended) */
	const char *reason;	  /* CLOSE_* */
};

/*
 * The layer (needs a byte stream, offers messages: one send, one
 * message). cfg: struct skit_ws_cfg; open copies the strings it needs.
 *
 * handshake: the client sends its request and reads the 101; the
 * server reads the request and answers it (or refuses it with its
 * status, then fails). Bytes after the head stay for recv.
 *
 * send: one message per call (text or binary by mode), masked with a
 * fresh key by a client. The frame is queued whole (flush writes what
 * the socket did not take); send returns -EAGAIN while more than
 * 256 KiB wait. After our close is sent, sends are dropped (counted in
 * dropped_out).
 *
 * recv: one whole message per call (fragments reassembled; a text
 * message's UTF-8 checked as it arrives, across fragments), its real
 * length returned like a message socket's (larger than len when it did
 * not fit). An empty binary message is dropped (counted in
 * dropped_in): 0 would read as EOF. Pings are answered with pongs. 0
 * (EOF) once the peer's
 * close frame is read; ours is sent back at once when not sent yet. A
 * protocol error sends the close it calls for (1002, 1007, 1009) and
 * returns SKIT_EPROTO (SKIT_ELIMIT for 1009); a stream that ends
 * without a close frame is SKIT_ETRUNC (close code 1006).
 *
 * shutdown: sends our close (1000, "") when not sent yet, then shuts
 * the stream below; recv goes on until the peer's close.
 *
 * ping_ms > 0 (needs the conn's loop): a ping every ping_ms while open.
 */
struct skit_ws_cfg {
	bool server;
	enum skit_ws_mode mode;
	uint64_t max_msg; /* 0: SKIT_WS_MAX_DEFAULT */
	int64_t ping_ms;  /* 0: none */
	/* client: */
	const char *host;     /* the Host value */
	const char *path;     /* path and query */
	const char *protocol; /* offered list, or NULL */
	const char *origin;
	const char *const *headers; /* "Name: value" */
	size_t nheaders;
	/* permessage-deflate (zlib): a client offers it, a server accepts
	 * an offer */
	bool deflate;
	/* server: protocol is the list we accept (the first the client
	 * also offers is chosen) */
	/* optional: */
	void (*on_note)(void *data, const struct skit_ws_note *n);
	void *data;
	struct skit_err *err; /* handshake and protocol failures; must
				 outlive the conn; may be NULL */
};
extern const struct skit_layer_ops skit_layer_ws;

/*
 * The type (SKIT_WS_OP_TEXT or SKIT_WS_OP_BINARY) of the last message
 * received on c's ws layer; 0 when none was, or c has no ws layer.
 */
unsigned skit_ws_last_op(const struct skit_conn *c);

/*
 * Send the next message on c's ws layer with type op instead of the
 * mode's choice (a relay of messages keeps their types): BINARY, or
 * TEXT when its payload is UTF-8 (else it goes as binary). Once; 0
 * cancels it. Nothing when c has no ws layer.
 */
void skit_ws_next_op(struct skit_conn *c, unsigned op);

#ifdef __cplusplus
}
#endif

#endif
