/*
 * skit/proxy.h - connect through a proxy: SOCKS5 (RFC 1928, with the
 * user/password method of RFC 1929), SOCKS4a and HTTP CONNECT (with
 * Basic auth), as a layer type (skit/conn.h).
 *
 * The dial (skit/dial.h) connects to the proxy; the layer's handshake
 * then asks the proxy for the target and, once the proxy agrees, passes
 * bytes through untouched. The target's name is sent to the proxy,
 * which resolves it (curl's socks5h): skit never looks it up. The
 * handshake never reads past the proxy's reply, so once it is done the
 * fd is the tunnel, and a caller may drop the layer and use the bare fd
 * (the dial does: a TLS layer pushed later sits above the tunnel).
 *
 * An address asks for a proxy with proxy=URL:
 *   socks5://[USER:PASS@]HOST[:PORT]   (socks5h:// too; port 1080)
 *   socks4a://[USER@]HOST[:PORT]       (socks4:// too; port 1080)
 *   http://[USER:PASS@]HOST[:PORT]     (HTTP CONNECT; port 1080)
 * USER and PASS may be %-encoded.
 *
 * Errors name the proxy and its reply, e.g.
 *   socks5 proxy tcp:127.0.0.1:1080: connection refused by destination
 *   (reply 5)
 * with codes: -ECONNREFUSED, -ENETUNREACH, -EHOSTUNREACH, -ETIMEDOUT
 * (the destination, as the proxy reports it), -EACCES (authentication
 * failed or refused by the proxy's rules), -ECONNRESET (the proxy
 * closed during the handshake), SKIT_EPROTO (not the protocol).
 */
#ifndef SKIT_PROXY_H
#define SKIT_PROXY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "skit/addr.h"
#include "skit/conn.h"
#include "skit/err.h"
#include "skit/loop.h"

enum skit_proxy_type {
	SKIT_PROXY_NONE = 0,
	SKIT_PROXY_SOCKS5,
	SKIT_PROXY_SOCKS4A,
	SKIT_PROXY_HTTP,
};

/* A proxy, parsed from its URL. */
struct skit_proxy {
	enum skit_proxy_type type;
	char host[SKIT_HOST_MAX]; /* name or literal, without brackets */
	uint16_t port;
	bool has_auth;
	char user[256];
	char pass[256];
};

/*
 * Parse a proxy URL (see above) into *out. 0, or SKIT_EOPTION with err
 * (op "proxy") saying what is wrong.
 */
int skit_proxy_parse(const char *url, struct skit_proxy *out,
		     struct skit_err *err);

/* "socks5", "socks4a", "http" (the protocol's name in messages). */
const char *skit_proxy_type_name(enum skit_proxy_type t);

/*
 * The proxy as an address: "tcp:HOST:PORT" ([V6] bracketed) with the
 * socket options of base (may be NULL) except proxy=. 0 or a code.
 */
int skit_proxy_addr(const struct skit_proxy *p, const struct skit_addr *base,
		    struct skit_addr *out, struct skit_err *err);

/*
 * The layer. cfg: struct skit_proxy_cfg, copied by open. The layer
 * needs a byte stream and offers one. On failure its handshake returns
 * the code and fills *err (when set; it must outlive the handshake)
 * with op "<type> proxy", subject the proxy's address text (cfg's
 * proxy_text, else "HOST:PORT") and the reply as detail.
 */
struct skit_proxy_cfg {
	const struct skit_proxy *proxy;
	const char *host; /* the target: a name or a literal */
	uint16_t port;
	const char *proxy_text; /* names the proxy in errors; may be NULL */
	struct skit_err *err;	/* may be NULL */
};
extern const struct skit_layer_ops skit_layer_proxy;

/* --- the reply parsers (pure: no I/O, for tests and fuzzing) --------- */

/*
 * What a reply says. status: the reply byte (SOCKS) or HTTP status;
 * code: 0 when the proxy agrees, else the code above; why: the reason
 * in words ("connection refused by destination (reply 5)").
 */
struct skit_proxy_reply {
	int status;
	int code;
	char why[160];
};

/* Which reply a parser reads. */
enum skit_proxy_stage {
	SKIT_PROXY_S5_METHOD = 0, /* SOCKS5 method choice (2 bytes) */
	SKIT_PROXY_S5_AUTH,	  /* RFC 1929 status (2 bytes) */
	SKIT_PROXY_S5_REPLY,	  /* SOCKS5 CONNECT reply */
	SKIT_PROXY_S4_REPLY,	  /* SOCKS4 reply (8 bytes) */
	SKIT_PROXY_HTTP_REPLY,	  /* an HTTP CONNECT response head */
};

/*
 * Parse buf[0..len) as the reply of that stage. Returns:
 *   > 0   the reply is complete and that many bytes long; *r filled
 *         (r->code says whether the proxy agreed)
 *   0     incomplete: *need is how many more bytes to read at most
 *         without reading past the reply (always >= 1)
 *   < 0   not that protocol (SKIT_EPROTO) or too long (SKIT_ELIMIT);
 *         r->why says what
 * buf may hold bytes after the reply; they are not looked at.
 */
ssize_t skit_proxy_parse_reply(enum skit_proxy_stage stage, const void *buf,
			       size_t len, struct skit_proxy_reply *r,
			       size_t *need);

/* --- the server side (for a proxy server: pure, no I/O) ------------ */

/* An HTTP request with an absolute http:// URI (GET http://h/p ...):
 * a plain request for the proxy to forward. */
#define SKIT_PROXY_CMD_FORWARD 0x100

/* What a client asks a proxy server for. */
struct skit_proxy_request {
	enum skit_proxy_type type; /* SKIT_PROXY_SOCKS5, SKIT_PROXY_SOCKS4A
				      (SOCKS4 and 4a) or SKIT_PROXY_HTTP */
	int cmd;		   /* SOCKS5: 1 CONNECT, 2 BIND, 3 UDP
				      ASSOCIATE; SOCKS4: 1 CONNECT, 2 BIND;
				      HTTP: 1 CONNECT, or
				      SKIT_PROXY_CMD_FORWARD */
	char host[SKIT_HOST_MAX];  /* a name or a literal (no brackets) */
	uint16_t port;
	bool host_is_literal;
	/* SOCKS5: the methods offered (bit m for method m < 8); HTTP: the
	 * Basic credentials, when sent; SOCKS4: user is the USERID field
	 * (has_auth stays false) */
	unsigned methods;
	bool has_auth;
	char user[256];
	char pass[256];
};

/* Which client message a server parser reads. */
enum skit_proxy_cstage {
	SKIT_PROXY_C_FIRST = 0, /* the first message: a SOCKS5 greeting,
				   a SOCKS4/4a request or an HTTP
				   CONNECT head, told apart by the
				   first byte (5, 4, a capital) */
	SKIT_PROXY_C_AUTH,	/* RFC 1929 user/password request */
	SKIT_PROXY_C_REQUEST,	/* the SOCKS5 request (CONNECT, ...) */
};

/*
 * Parse a client's message at the start of buf[0..len) into *rq (the
 * fields that message carries; others kept). Returns the message's
 * length (> 0), 0 when incomplete (*need: at most this many more
 * bytes belong to it, >= 1), or SKIT_EPROTO / SKIT_ELIMIT for what is
 * not a SOCKS or HTTP proxy request (an HTTP request that is neither
 * CONNECT nor a method with an absolute http:// URI, cmd
 * SKIT_PROXY_CMD_FORWARD, is SKIT_EPROTO with rq->type SKIT_PROXY_HTTP
 * so the server can answer 405). Never reads past the message.
 */
ssize_t skit_proxy_parse_client(enum skit_proxy_cstage stage, const void *buf,
				size_t len, struct skit_proxy_request *rq,
				size_t *need);

/*
 * The server's replies, into buf (cap >= 64 for SOCKS, 256 for HTTP):
 * the count written (0 when cap is too small).
 *  - skit_proxy_reply_method: SOCKS5 method choice (0, 2 or 0xff)
 *  - skit_proxy_reply_auth:   RFC 1929 status (ok or not)
 *  - skit_proxy_reply_result: the answer to the request: code 0
 *    (granted; SOCKS5 with bound, may be NULL for 0.0.0.0:0) or the
 *    dial's code mapped to the reply (-ECONNREFUSED: SOCKS5 5, HTTP
 *    502; -ENETUNREACH 3; -EHOSTUNREACH and resolver errors 4 / 502;
 *    -ETIMEDOUT 6 / 504; -EACCES 2 / 403; SKIT_EPROTO 7 (command not
 *    supported) / 405; anything else 1 / 502). HTTP answers 407 with
 *    Proxy-Authenticate for -EPERM. SOCKS4A: 90 granted, else 91
 *    (8 bytes, with bound when it is IPv4).
 */
size_t skit_proxy_reply_method(int method, void *buf, size_t cap);
size_t skit_proxy_reply_auth(bool ok, void *buf, size_t cap);
size_t skit_proxy_reply_result(enum skit_proxy_type type, int code,
			       const struct sockaddr *bound, void *buf,
			       size_t cap);

/*
 * SOCKS5 UDP relay datagrams (RFC 1928 section 7): RSV(2) FRAG ATYP
 * DST.ADDR DST.PORT DATA. skit_proxy_udp_parse reads the header of a
 * client's datagram into rq->host/port/host_is_literal: the header's
 * length (the data follows), or SKIT_EPROTO (not a header, or FRAG is
 * not 0: fragments are dropped, as RFC 1928 allows). skit_proxy_udp_header
 * writes the header for a reply from `from` (AF_INET or AF_INET6) into
 * buf (cap >= 22): its length, or 0.
 */
ssize_t skit_proxy_udp_parse(const void *buf, size_t len,
			     struct skit_proxy_request *rq);
size_t skit_proxy_udp_header(const struct sockaddr *from, void *buf,
			     size_t cap);

/*
 * The server's handshake on one accepted client, nonblocking: read the
 * client's request (SOCKS5 with or without RFC 1929 authentication,
 * SOCKS4/4a, or HTTP CONNECT with Basic auth), then, once the caller has
 * dialled the target, write the answer. Nothing past the request is read, so
 * after the answer the fd is the client's end of the tunnel.
 */
struct skit_proxy_server_cfg {
	bool socks5, http;	 /* the protocols served */
	bool socks4;		 /* SOCKS4 and 4a CONNECT too (no
				    credentials: refused when user is set) */
	bool udp;		 /* SOCKS5 UDP ASSOCIATE is the caller's
				    (else refused, reply 7) */
	const char *user, *pass; /* required credentials; NULL: none */
};
struct skit_proxy_accept;

int skit_proxy_accept_new(const struct skit_proxy_server_cfg *cfg,
			  struct skit_proxy_accept **out);

/*
 * Read the request from fd: 0 with *rq filled (dial rq->host:rq->port,
 * then answer), -EAGAIN (wait for skit_proxy_accept_events), or a code:
 * the client speaks another protocol (SKIT_EPROTO), gave wrong
 * credentials (-EACCES), closed (-ECONNRESET). On a code the refusal
 * the protocol has for it (method 0xff, auth failure, 407, 405) has
 * been sent when the socket took it; close the fd.
 */
int skit_proxy_accept_request(struct skit_proxy_accept *pa, int fd,
			      struct skit_proxy_request *rq);

/*
 * Answer the request with the dial's code (0: granted, bound is the
 * local end of the dialled socket, may be NULL) and write it: 0 when
 * written, -EAGAIN (wait), or a code.
 */
int skit_proxy_accept_answer(struct skit_proxy_accept *pa, int fd, int code,
			     const struct sockaddr *bound);

/*
 * A plain HTTP request (rq->cmd SKIT_PROXY_CMD_FORWARD): the head to
 * send the origin server once dialled (origin-form target, proxy and
 * hop-by-hop fields dropped, "Connection: close"), and its length; NULL
 * for other requests. Answering such a request with code 0 writes
 * nothing: the origin server's response is the answer.
 */
const void *skit_proxy_accept_forward(const struct skit_proxy_accept *pa,
				      size_t *len);

/* SKIT_EV_READ or SKIT_EV_WRITE: what the handshake waits for. */
unsigned skit_proxy_accept_events(const struct skit_proxy_accept *pa);

void skit_proxy_accept_free(struct skit_proxy_accept *pa);

#ifdef __cplusplus
}
#endif

#endif
