/*
 * skit/conn.h - a connection: a socket (or a pair of fds) plus a chain
 * of layers, in the spirit of curl's connection filters
 * (lib/cfilters.h).
 *
 * The chain. At the bottom sits the transport: the fd(s) themselves.
 * On it the caller stacks layers, each one of a type described by a
 * const ops table (struct skit_layer_ops). A layer knows only the one
 * right below it: it moves its bytes with skit_layer_send_below() and
 * skit_layer_recv_below(). The caller talks to the top of the chain with
 * skit_conn_send() and skit_conn_recv(). With no layer the chain is the
 * bare socket (skit_conn_bare() is true), and a caller may then bypass
 * the conn altogether and use the fd's fast paths (splice(), sendfile):
 * the relay does.
 *
 * The transport:
 *  - on a socket, send() with MSG_NOSIGNAL and recv(); on other fds
 *    (pipes, ttys, files) write() and read(), which raise SIGPIPE on a
 *    pipe whose reader has gone: a process using conns over pipes must
 *    ignore SIGPIPE (the CLI does) and then sees -EPIPE;
 *  - on a message socket (SOCK_DGRAM, SOCK_SEQPACKET) one call is one
 *    message. recv returns the message's real length, which is larger
 *    than len when the message did not fit (the rest is lost, like
 *    recv(MSG_TRUNC)); a layer or caller must check;
 *  - with skit_conn_set_peer() every send goes to that address
 *    (sendto(): a datagram socket shared by many peers).
 *
 * States of a conn, in order:
 *   NEW          layers may be pushed (skit_conn_push)
 *   HANDSHAKING  skit_conn_handshake() runs each layer's handshake,
 *                bottom layer first (a proxy before the TLS over it);
 *                it returns -EAGAIN until all are done
 *   OPEN         bytes move: skit_conn_send/recv/flush
 *   SHUTTING     skit_conn_shutdown() returned -EAGAIN: call it again
 *                when the events skit_conn_events() asks for are ready
 *   WRITE SHUT   skit_conn_shutdown() returned 0: every layer ended its
 *                stream (a framing layer sent its last message, TLS its
 *                close_notify) and the transport's write side is shut
 *                (shutdown(SHUT_WR) on a stream or seqpacket socket;
 *                nothing on a datagram socket or another fd: see
 *                skit_conn_close_write). recv still works.
 *   FREED        skit_conn_free()
 * A layer may be pushed until the first byte moves through the chain
 * (the first skit_conn_send or skit_conn_recv); after that
 * skit_conn_push fails with -EBUSY. send and recv drive the handshake
 * themselves while it is not done, returning what it returns.
 *
 * Who owns what. The conn owns its layers (closed by skit_conn_free,
 * the top one first) and, when created with own = true, its fds (closed
 * last). A layer never closes an fd. skit_conn_free may be called in any
 * state; it does not block and sends nothing (a shutdown that was not
 * asked for is not made up).
 *
 * Waiting. Nothing here blocks when the fds are nonblocking: every call
 * returns -EAGAIN instead, and the caller waits on the fds for
 * skit_conn_events(conn, want), which are the events the chain needs
 * given what the caller wants (SKIT_EV_READ: to recv; SKIT_EV_WRITE: to
 * send). A layer may change them: TLS asks for READ while the caller
 * wants to write in the middle of a renegotiation; a layer that holds
 * bytes it accepted asks for WRITE even when the caller wants nothing.
 * READ is about the read fd and WRITE about the write fd. When the fds
 * are ready call skit_conn_flush() (the layers write what they hold)
 * and then send/recv as usual. After a recv, skit_conn_pending() says
 * whether another recv would give data without the fd being readable
 * (bytes a layer has decoded already, TLS records): the caller must
 * recv again instead of waiting.
 *
 * The loop. A layer that needs time (a framing layer sending a line
 * left unfinished, a fault layer's delays, a keepalive) takes timers on
 * the loop the caller gave with skit_conn_set_loop(). From a timer it
 * never does I/O: it changes its state and calls skit_layer_kick(),
 * which calls the caller's kick function; the caller then soon calls
 * skit_conn_flush() (and send/recv). The kick may also come from inside
 * a conn call: the caller should only schedule work in it.
 *
 * Threads: a conn is used by one thread at a time.
 */
#ifndef SKIT_CONN_H
#define SKIT_CONN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "skit/err.h"
#include "skit/loop.h"

struct skit_conn;
struct skit_layer;

/* What a layer needs below it and offers above it. */
enum skit_layer_kind {
	SKIT_LAYER_SAME = 0, /* needs: anything; offers: what is below it */
	SKIT_LAYER_BYTES,    /* a byte stream */
	SKIT_LAYER_MSGS,     /* messages: one send, one message */
};

/*
 * A layer type. Every function gets the layer; its private state
 * (size bytes, zeroed) is at skit_layer_priv(). A NULL function passes
 * the call on to the layer below (pending, events, flush, shutdown,
 * send, recv) or does nothing (open, handshake, close). Codes are 0 or
 * a count on success, -EAGAIN to wait (for skit_conn_events), or a
 * negative code (-errno, SKIT_E*).
 */
struct skit_layer_ops {
	const char *name;
	size_t size; /* private state, allocated with the layer */
	enum skit_layer_kind needs;  /* below it; SAME = anything */
	enum skit_layer_kind offers; /* above it; SAME = what is below */
	/* Set up from cfg (the layer type's own struct, may be NULL). */
	int (*open)(struct skit_layer *l, const void *cfg,
		    struct skit_err *err);
	/* 0 when done; -EAGAIN: call again when events() are ready. */
	int (*handshake)(struct skit_layer *l);
	/*
	 * Take up to len bytes (or one message, when the layer offers
	 * messages): the count taken (> 0; once taken, the bytes are the
	 * layer's to deliver), or -EAGAIN when it can take none now. A
	 * layer that keeps bytes it took must write them in flush() and
	 * ask for WRITE in events() until they are out.
	 */
	ssize_t (*send)(struct skit_layer *l, const void *buf, size_t len);
	/* > 0 bytes, 0 EOF, -EAGAIN, or a code (messages: see above). */
	ssize_t (*recv)(struct skit_layer *l, void *buf, size_t len);
	/* Write what the layer holds and is due: 0 when nothing is left. */
	int (*flush)(struct skit_layer *l);
	/*
	 * End the stream this way: write what is held and the layer's own
	 * end mark, then shut down the layer below (or not: a policy layer
	 * may keep it open). 0 done, -EAGAIN call again when events() are
	 * ready (so a layer waiting to write must ask for WRITE there).
	 */
	int (*shutdown)(struct skit_layer *l);
	/* recv would give data without the fd being readable. */
	bool (*pending)(const struct skit_layer *l);
	/* The fd events needed, given those the caller wants. */
	unsigned (*events)(const struct skit_layer *l, unsigned want);
	/* Free what open() took (never an fd). */
	void (*close)(struct skit_layer *l);
};

/*
 * Counters kept by the transport (what went over the fds) and the
 * layers (what they dropped). Messages count on message sockets only.
 */
struct skit_conn_stats {
	uint64_t bytes_in, bytes_out; /* payload bytes received / sent */
	uint64_t msgs_in, msgs_out;   /* messages received / sent */
	/* messages a layer lost: too long to frame, refused by the kernel */
	uint64_t dropped_in, dropped_out;
};

/*
 * A conn over rfd (read) and wfd (write); for a socket both are the
 * same fd. type: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET, or 0 for an
 * fd that is not a socket. Either fd may be -1 (nothing to read, or
 * nothing to write: recv gives EOF, send -EPIPE). own: the conn closes
 * the fds when freed. The fds are used as they are (blocking or not).
 * Returns 0 or -ENOMEM/-EINVAL; on failure nothing is closed.
 */
int skit_conn_new(int rfd, int wfd, int type, bool own, struct skit_conn **out);

/*
 * Send every message to this address with sendto() (a datagram socket
 * shared with other peers, e.g. a UDP server's session). 0 or -EINVAL.
 */
int skit_conn_set_peer(struct skit_conn *c, const struct sockaddr *to,
		       socklen_t len);

/*
 * The loop the layers may use for timers and the function that wakes
 * the conn's user (see "The loop" above). Both may be NULL (a blocking
 * user: layers then do without timers). Set it before pushing layers
 * that need it.
 */
typedef void (*skit_conn_kick_cb)(struct skit_conn *c, void *data);
void skit_conn_set_loop(struct skit_conn *c, struct skit_loop *loop,
			skit_conn_kick_cb kick, void *data);

/*
 * Push a layer of type ops on top of the chain, configured by cfg (the
 * type's own struct; copied or read by open, not kept). Fails with
 * -EBUSY once bytes have moved, -EINVAL (err says why) when the layer
 * below does not offer what ops needs, or open's code. On failure the
 * chain is as it was.
 */
int skit_conn_push(struct skit_conn *c, const struct skit_layer_ops *ops,
		   const void *cfg, struct skit_err *err);

/* Run the layers' handshakes: 0 when all are done, -EAGAIN, or a code. */
int skit_conn_handshake(struct skit_conn *c);

/*
 * Run the handshakes, waiting on c's read fd (blocking: poll) for what
 * the chain asks for, each wait up to timeout_ms (< 0: none); ends with
 * -ECANCELED when stopfd (a stop fd, skit/io.h; -1: none) turns
 * readable, -ETIMEDOUT after a wait that timed out. 0 or a negative
 * code (a tls layer's reason: skit_conn_tls_err).
 */
int skit_conn_handshake_wait(struct skit_conn *c, int timeout_ms, int stopfd);

/* true while a layer's handshake has not finished. */
bool skit_conn_handshaking(const struct skit_conn *c);

/* Through the top of the chain; see struct skit_layer_ops. */
ssize_t skit_conn_send(struct skit_conn *c, const void *buf, size_t len);
ssize_t skit_conn_recv(struct skit_conn *c, void *buf, size_t len);
int skit_conn_flush(struct skit_conn *c);
int skit_conn_shutdown(struct skit_conn *c);
bool skit_conn_pending(const struct skit_conn *c);
unsigned skit_conn_events(const struct skit_conn *c, unsigned want);

/*
 * Cork (on) while several sends follow one another: a layer that
 * queues what it frames (ws) then holds it for one write instead of one
 * write per send (up to its own limit). Uncork, then skit_conn_flush()
 * writes what is held. A bare conn or a layer that writes through is
 * not changed by it.
 */
void skit_conn_cork(struct skit_conn *c, bool on);

/*
 * Close the write fd when it is not the read fd and the conn owns it:
 * the end of the stream for a pipe's reader, which shutdown cannot
 * give. The caller stops watching it first. 0, or -EINVAL when the conn
 * has no such fd.
 */
int skit_conn_close_write(struct skit_conn *c);

int skit_conn_rfd(const struct skit_conn *c);
int skit_conn_wfd(const struct skit_conn *c);
int skit_conn_type(const struct skit_conn *c);

/* Does the top of the chain offer messages (else a byte stream)? */
bool skit_conn_is_message(const struct skit_conn *c);

/* No layer: the conn is its fds, fast paths allowed. */
bool skit_conn_bare(const struct skit_conn *c);

/* The layer types pushed, top first, joined by "/"; "" when bare. */
const char *skit_conn_describe(const struct skit_conn *c, char *buf,
			       size_t len);

/* The topmost layer of type ops, or NULL when none was pushed. */
struct skit_layer *skit_conn_find(const struct skit_conn *c,
				  const struct skit_layer_ops *ops);

/* The counters. Never NULL. */
const struct skit_conn_stats *skit_conn_stats(const struct skit_conn *c);

/* Free the layers (top first), then the fds if owned. NULL is allowed. */
void skit_conn_free(struct skit_conn *c);

/* --- for layer implementations --------------------------------------- */

void *skit_layer_priv(const struct skit_layer *l);
struct skit_conn *skit_layer_conn(const struct skit_layer *l);

/* The same calls, on the layer below l (the transport at the bottom). */
ssize_t skit_layer_send_below(struct skit_layer *l, const void *buf,
			      size_t len);
ssize_t skit_layer_recv_below(struct skit_layer *l, void *buf, size_t len);
int skit_layer_flush_below(struct skit_layer *l);
int skit_layer_shutdown_below(struct skit_layer *l);
bool skit_layer_pending_below(const struct skit_layer *l);
unsigned skit_layer_events_below(const struct skit_layer *l, unsigned want);
bool skit_layer_below_is_message(const struct skit_layer *l);

/* The conn's loop (NULL if none) and the wake-up of its user. */
struct skit_loop *skit_layer_loop(const struct skit_layer *l);
void skit_layer_kick(struct skit_layer *l);

/* Is the conn corked (skit_conn_cork)? */
bool skit_layer_corked(const struct skit_layer *l);

/* The conn's counters, for a layer to count what it drops. */
struct skit_conn_stats *skit_layer_stats(struct skit_layer *l);

/*
 * The private state of the topmost layer of type ops on c, or NULL when
 * c has none (for a layer type's own queries, e.g. skit_fault_describe).
 */
void *skit_conn_layer_priv(const struct skit_conn *c,
			   const struct skit_layer_ops *ops);

/* --- layer types: stdio policies (src/layer/stdio.c) ----------------- */

/*
 * crlf (nc -C): every "\n" sent that does not follow a "\r" goes out
 * as "\r\n", also when the "\r" came at the end of the previous send.
 * Needs a byte stream below. cfg NULL: recv is untouched; a struct
 * skit_crlf_cfg with recv set also turns each "\r\n" received into
 * "\n" (socat's crnl), also across two reads.
 */
struct skit_crlf_cfg {
	bool recv;
};
extern const struct skit_layer_ops skit_layer_crlf;

/*
 * no-shutdown (nc --no-shutdown): the stream is never ended, so the
 * peer never reads EOF from us. shutdown lets the layers above it end
 * their streams (a framing layer sends its last message) and those
 * below write what they hold, then returns -EAGAIN for ever, asking
 * for no event: the caller keeps that way open (a relay pair then ends
 * by quit_ms, idle_ms, an error or its caller). Push it first, right
 * on the transport. cfg NULL.
 */
extern const struct skit_layer_ops skit_layer_no_shutdown;

/* --- layer type: tap (src/layer/tap.c) ------------------------------- */

enum {
	SKIT_TAP_IN = 0,  /* bytes received from below */
	SKIT_TAP_OUT = 1, /* bytes sent below */
};

/*
 * tap: fn sees every chunk (or message) that passes the layer, both
 * ways, as it passes (for --hex dumps and traces); the bytes are not
 * changed. Pushed first, it sees what goes over the wire. cfg: a
 * struct skit_tap_cfg (copied).
 */
struct skit_tap_cfg {
	void (*fn)(void *data, int dir, const void *buf, size_t len);
	void *data;
};
extern const struct skit_layer_ops skit_layer_tap;

#ifdef __cplusplus
}
#endif

#endif
