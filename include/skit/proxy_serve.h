/*
 * skit/proxy_serve.h - a proxy server on one event loop: SOCKS5 (RFC
 * 1928: CONNECT and UDP ASSOCIATE, RFC 1929 user/password), SOCKS4/4a
 * CONNECT, HTTP CONNECT and plain http:// requests on one listener, the
 * protocol told by the client's first byte. The engine behind
 * `skit proxy`.
 *
 * A serve (skit/serve.h) accepts (max-conns, the client acl, EMFILE);
 * each client becomes a tunnel that goes
 *
 *   HANDSHAKE  the request is read (skit_proxy_accept_request,
 *              skit/proxy.h), within timeout_ms
 *   DIAL       the destination is checked against cfg.dest (a literal
 *              at once, a name's addresses before any is connected to,
 *              the connected peer again), then dialled without blocking
 *              (skit/dial.h: no retries, timeout_ms for the connect and
 *              twice that for lookup and connect together)
 *   ANSWER     the reply is written (granted, or the refusal the
 *              protocol has for the dial's code), within timeout_ms
 *   RELAY      a relay pair (skit/relay.h) owns both fds until it ends
 *   UDP        (UDP ASSOCIATE) a UDP socket of ours on the address the
 *              client reached, port 0: the client's datagrams (from its
 *              control connection's IP; from the port it named, else the
 *              first port heard) are unwrapped and sent on if cfg.dest
 *              permits their destination (literals only: a name would
 *              block the loop); answers from the last 16 destinations
 *              written to are wrapped and sent back; everything else is
 *              dropped and counted. The association lasts as long as the
 *              control connection.
 *
 * Each tunnel ends in exactly one of on_refused (it never reached RELAY
 * or UDP: why in words) or on_open then on_close, unless
 * skit_proxy_serve_free comes first (then no callback). The tunnel is
 * valid during the callback that names it.
 *
 * cfg.dest is read from the dial's lookup thread (dial.h), which may
 * outlive the serve: it must stay valid for the life of the program
 * (static). Callbacks run on the loop's thread, never from inside
 * skit_proxy_serve_open. Nothing here prints, exits or handles signals.
 */
#ifndef SKIT_PROXY_SERVE_H
#define SKIT_PROXY_SERVE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdint.h>

#include "skit/acl.h"
#include "skit/addr.h"
#include "skit/err.h"
#include "skit/loop.h"
#include "skit/proxy.h"
#include "skit/serve.h"
#include "skit/sock.h"

struct skit_proxy_serve;
struct skit_proxy_tunnel;

/* How a tunnel that ran ended (on_close). */
struct skit_proxy_tunnel_stats {
	uint64_t bytes[2];  /* [0] up (client to destination), [1] down */
	bool udp;	    /* an association: msgs and dropped count */
	uint64_t msgs[2];   /* UDP: datagrams relayed up, down */
	uint64_t dropped;   /* UDP: datagrams dropped */
	int64_t start_ns;   /* relaying began (skit_now_ns) */
	int64_t end_ns;	    /* it ended */
	const char *reason; /* "eof", "reset", "idle", ... */
	int error;	    /* the code that ended it, or 0 */
};

struct skit_proxy_serve_cfg {
	/* The protocols served and the credentials required (pointers
	 * kept: they must outlive the serve). */
	struct skit_proxy_server_cfg proto;
	/* Destinations allowed; NULL or empty: all. See the top. */
	const struct skit_acl *dest;
	/* A handshake's, an answer's and a connect's time limit; 0 =
	 * 10000. */
	int64_t timeout_ms;
	/* The listener's policies (max_conns, acl, batch, ...); its
	 * callbacks and data are the proxy's own and ignored. */
	struct skit_serve_cfg serve;

	/* A tunnel runs (RELAY or UDP). */
	void (*on_open)(struct skit_proxy_serve *ps,
			const struct skit_proxy_tunnel *t, void *data);
	/* It ended, with its totals. */
	void (*on_close)(struct skit_proxy_serve *ps,
			 const struct skit_proxy_tunnel *t,
			 const struct skit_proxy_tunnel_stats *st, void *data);
	/* A client went before its tunnel ran: a bad or refused request, a
	 * refused or failed destination (answered as the protocol says), a
	 * time limit, a client that closed. */
	void (*on_refused)(struct skit_proxy_serve *ps,
			   const struct skit_proxy_tunnel *t, const char *why,
			   void *data);
	/* The serve's reports (skit/serve.h); may be NULL. */
	void (*on_event)(struct skit_proxy_serve *ps,
			 const struct skit_serve_event *ev, void *data);
	void *data;
};

/*
 * Open the listener (skit_serve_open(loop, a, open_flags, ...): a stream
 * address) and serve it. cfg is copied. Returns 0 and *out, or a
 * negative code with err filled and nothing left open.
 */
int skit_proxy_serve_open(struct skit_loop *loop, const struct skit_addr *a,
			  int open_flags,
			  const struct skit_proxy_serve_cfg *cfg,
			  struct skit_proxy_serve **out, struct skit_err *err);

/* Close the listener and every tunnel (no callbacks). NULL is allowed. */
void skit_proxy_serve_free(struct skit_proxy_serve *ps);

/* The listener's bound address (port 0 resolved). */
const struct skit_sockaddr *
skit_proxy_serve_local(const struct skit_proxy_serve *ps);

/* Tunnels alive now (in any state). */
unsigned long skit_proxy_serve_live(const struct skit_proxy_serve *ps);

/* --- a tunnel ------------------------------------------------------- */

/* 1, 2, ... in order of arrival. */
unsigned long long skit_proxy_tunnel_id(const struct skit_proxy_tunnel *t);
/* The client's address as text ("127.0.0.1:5000"). */
const char *skit_proxy_tunnel_client(const struct skit_proxy_tunnel *t);
/* The destination as text ("host:port", "[v6]:port"); "" before the
 * request is read. */
const char *skit_proxy_tunnel_dest(const struct skit_proxy_tunnel *t);
/* The request (type, cmd, host, port, user); zeroed before it is read. */
const struct skit_proxy_request *
skit_proxy_tunnel_request(const struct skit_proxy_tunnel *t);
/* UDP ASSOCIATE: the relay socket's address as text; NULL otherwise. */
const char *skit_proxy_tunnel_udp_relay(const struct skit_proxy_tunnel *t);

#ifdef __cplusplus
}
#endif

#endif
