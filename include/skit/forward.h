/*
 * skit/forward.h - relay each client of a listener to a side opened for
 * it (socat's fork, without forking), or open two sides and relay them
 * once: the engine behind `skit relay`.
 *
 * A forward has two addresses, A and B (skit/addr.h, any kind
 * skit/endpoint.h opens). Its shape comes from lside:
 *
 *   lside -1   one pair: A is opened, then B (each with
 *              skit_endpoint_open_async: a socket that connects is a
 *              dial with the address's retry policy, skit/dial.h), then
 *              the two are relayed (skit/relay.h) until the pair ends.
 *   lside 0/1  that side listens through a serve (skit/serve.h: the one
 *              accept path, max-conns, the acl, EMFILE). Each stream or
 *              seqpacket client, and each new datagram peer (a session,
 *              demultiplexed by sender on the shared socket and
 *              answered with sendto()), gets the other side opened for
 *              it alone, then its own pair. The listener and the other
 *              pairs go on meanwhile: nothing here blocks.
 *
 * A record, struct skit_fwd_pair, follows each client from the moment it
 * arrives: OPENING while its other side opens (or re-dials), then
 * RELAYING. Datagrams of a session that is still opening are kept (up
 * to queue_max bytes; more are dropped and counted on the pair) and
 * pushed once its pair runs. A relaying session whose pair has no room
 * for a datagram (skit_relay_push_fits) gets it held: the listener is
 * paused until there is room, so nothing is dropped (a unix-dgram
 * sender is then held back by the kernel).
 *
 * Address options the forward applies itself, where cfg leaves them
 * unset (0, NULL): idle-timeout= on either side (the smaller) as every
 * pair's idle_ms, and on the listening side fork and max-conns= (not
 * once), max-conns= as serve.max_conns, range= as serve.acl (one allow
 * rule; peers that are not IP always pass). A datagram listener's
 * sessions end after 60 s without traffic unless idle_ms says.
 *
 * An exec:/sh: side opened for a client gets SKIT_PEER (the client's
 * address) and SKIT_LOCAL (the listener's) in its environment.
 *
 * once: the listener takes one client (or datagram peer), then no more:
 * a stream listener is closed (its unix socket file removed, if still
 * ours) as soon as the client is taken.
 *
 * Callbacks run on the loop's thread, never from inside
 * skit_fwd_start. Per record, exactly one of on_open (then on_close) or
 * on_fail is called, unless skit_fwd_free comes first; on_free is
 * called for every record when it goes, whatever its end. The record is
 * valid from the callback that names it until on_free returns.
 *
 * Ownership: the forward owns the listener (closed by skit_fwd_free),
 * the fds of the sides it opened and the pairs (each relay is freed
 * after on_close returns). An exec:/sh: child that has not exited when
 * its pair goes is reaped later with cfg.reap, else by the caller
 * (SIGCHLD).
 * Nothing here prints, exits or handles signals.
 */
#ifndef SKIT_FORWARD_H
#define SKIT_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skit/addr.h"
#include "skit/endpoint.h"
#include "skit/err.h"
#include "skit/loop.h"
#include "skit/relay.h"

#ifdef __cplusplus
extern "C" {
#endif
#include "skit/serve.h"

struct skit_fwd;
struct skit_fwd_pair;

struct skit_fwd_cfg {
	const struct skit_addr *addr[2]; /* A and B; copied */
	int lside;	      /* the side that listens (0 or 1), or -1: none */
	bool once;	      /* a listener takes one client, then closes */
	unsigned ep_flags[2]; /* SKIT_EP_* for opening each side */
	int open_flags;	      /* the listener's skit_open flags */
	/*
	 * The listener's policies (max_conns, limit, acl, batch, msg_max,
	 * linger_ms, pause_ms, report_ms, session_idle_ms: 0 here means
	 * never, the pairs' idle_ms ends sessions); its callbacks and data
	 * are the forward's own and ignored.
	 */
	struct skit_serve_cfg serve;
	/*
	 * Every pair's settings; on_close, on_data and data are ignored.
	 * relay.faults[side] (skit/fault.h) is given to each pair with
	 * conn_id = the record's id (skit_fwd_pair_id), so each connection
	 * draws its own random choices from the set's seed. On a side with
	 * layer[side] the fault layer goes above that layer (the TLS layer
	 * does not wait for bytes a layer under it holds back).
	 */
	struct skit_relay_cfg relay;
	size_t queue_max; /* an opening session's datagrams kept, in bytes;
			     0 = 256 KiB */
	const struct skit_resolver *res; /* name-lookup hook, or NULL */
	/*
	 * A layer for a side (conn.h), NULL for none: its socket (or fds)
	 * becomes a conn with this layer (configured by layer_cfg[side])
	 * before the pair starts, which runs its handshake (TLS). Not for a
	 * datagram session's end. The conn is the record's
	 * (skit_fwd_pair_conn), freed with it, so on_close may still ask it
	 * how it went.
	 */
	const struct skit_layer_ops *layer[2];
	const void *layer_cfg[2];
	/*
	 * Reap exec:/sh: children: one that has not exited when its pair
	 * goes is waited for on a timer, and skit_fwd_free asks those
	 * still running to go (SIGTERM) and waits for them. Without it,
	 * children are the caller's to reap (SIGCHLD).
	 */
	bool reap;

	/* The pair of rec runs (its relay exists from now on). */
	void (*on_open)(struct skit_fwd *f, struct skit_fwd_pair *rec,
			void *data);
	/* The pair ended, with its final stats. */
	void (*on_close)(struct skit_fwd *f, struct skit_fwd_pair *rec,
			 const struct skit_relay_stats *st, void *data);
	/*
	 * The pair could not start: side `side` did not open (after its
	 * retries), or the ends could not be relayed (side -1). code and err
	 * say why. A stream client is then closed (lingering).
	 */
	void (*on_fail)(struct skit_fwd *f, struct skit_fwd_pair *rec, int side,
			int code, const struct skit_err *err, void *data);
	/* A dial of rec's side failed and is tried again (skit/dial.h). */
	void (*on_retry)(struct skit_fwd *f, struct skit_fwd_pair *rec,
			 int attempt, int64_t delay_ms,
			 const struct skit_err *why, void *data);
	/*
	 * May be NULL. Both sides are open: end[0] (A) and end[1] (B) are
	 * about to become the pair. The callback may change them (put a
	 * side's fd under layers: a conn, relay.h). Return 0, or a negative
	 * code to give up: the forward then closes what the ends still own
	 * (fds >= 0 with own, a conn with own) and calls on_fail (side -1).
	 */
	int (*on_ends)(struct skit_fwd *f, struct skit_fwd_pair *rec,
		       struct skit_relay_end end[2], void *data);
	/* As skit_relay_cfg.on_data (turns splice off); may be NULL. */
	void (*on_data)(struct skit_fwd *f, struct skit_fwd_pair *rec, int dir,
			const void *buf, size_t len, void *data);
	/* The serve's reports (skit/serve.h); may be NULL. */
	void (*on_event)(struct skit_fwd *f, const struct skit_serve_event *ev,
			 void *data);
	/* The record goes (after on_close or on_fail, or in skit_fwd_free),
	 * its sides closed (a side's pid is 0 once its child was reaped);
	 * may be NULL. */
	void (*on_free)(struct skit_fwd *f, struct skit_fwd_pair *rec,
			void *data);
	void *data;
};

/*
 * Start: open the listener now (lside >= 0: skit_serve_open, which may
 * block on a name lookup in a listen address), or start opening A
 * (lside -1). cfg is copied. Returns 0 and *out, or a negative code
 * with err filled (the listener's open, or -ENOMEM / -EINVAL) and
 * nothing left open.
 */
int skit_fwd_start(struct skit_loop *loop, const struct skit_fwd_cfg *cfg,
		   struct skit_fwd **out, struct skit_err *err);

/*
 * Free everything: the pairs (no callback but on_free), the opens in
 * progress, the listener (its socket file removed if still ours).
 * NULL is allowed.
 */
void skit_fwd_free(struct skit_fwd *f);

/* The listener's bound address (port 0 resolved); NULL without one. */
const struct skit_sockaddr *skit_fwd_local(const struct skit_fwd *f);

/* Records alive now (opening or relaying) and pairs ended so far. */
unsigned long skit_fwd_live(const struct skit_fwd *f);
unsigned long skit_fwd_served(const struct skit_fwd *f);

/* The live records, newest first: for (r = first(f); r; r = next(r)). */
struct skit_fwd_pair *skit_fwd_first(const struct skit_fwd *f);
struct skit_fwd_pair *skit_fwd_next(const struct skit_fwd_pair *rec);

/* --- a record ------------------------------------------------------ */

/* 1, 2, ... in order of arrival. */
unsigned long skit_fwd_pair_id(const struct skit_fwd_pair *rec);
/*
 * What side `side` is, once open: kind, local and peer addresses (a
 * listener's side: the accepted socket's, or for a datagram session
 * the listener's and the peer's), the exec child's pid. Its fds belong
 * to the pair (-1 here). Before the side opened: kind only, addresses
 * of length 0. Never NULL.
 */
const struct skit_endpoint *skit_fwd_pair_side(const struct skit_fwd_pair *rec,
					       int side);
bool skit_fwd_pair_opened(const struct skit_fwd_pair *rec, int side);
/* Side's conn when cfg.layer[side] was set and the pair started, else
 * NULL. */
struct skit_conn *skit_fwd_pair_conn(const struct skit_fwd_pair *rec, int side);
/* The pair, NULL while OPENING. */
struct skit_relay *skit_fwd_pair_relay(const struct skit_fwd_pair *rec);
/* When the record started (CLOCK_MONOTONIC, skit_now_ns). */
int64_t skit_fwd_pair_start_ns(const struct skit_fwd_pair *rec);
/* Datagrams dropped while the session was opening. */
uint64_t skit_fwd_pair_dropped(const struct skit_fwd_pair *rec);
/* The caller's pointer for this record (NULL at first). */
void *skit_fwd_pair_data(const struct skit_fwd_pair *rec);
void skit_fwd_pair_set_data(struct skit_fwd_pair *rec, void *data);

#ifdef __cplusplus
}
#endif

#endif
