/*
 * skit/relay.h - the pair engine: move data between two endpoints, both
 * directions, until both are done.
 *
 * A pair joins end A and end B. It has two directions, A->B (index
 * SKIT_DIR_AB) and B->A (SKIT_DIR_BA), each with its own state:
 *
 *   RUN    reading from the source, writing to the destination
 *   DRAIN  the source gave EOF; what is still buffered is being written
 *   DONE   everything was written and the destination was half-closed
 *          (its layers ended their streams, then shutdown(SHUT_WR) on a
 *          stream or seqpacket socket, close() of a pipe or file the
 *          pair owns)
 *
 * The pair ends when both directions are DONE (reason SKIT_RELAY_EOF),
 * or on the first error in either direction (RESET or ERROR), or after
 * idle_ms without traffic (IDLE), or when a message destination stays
 * full for send_timeout_ms (ERROR with SKIT_EFULL), or quit_ms after
 * A->B is DONE (EOF), or when the caller closes it (CLOSED).
 * A half-closed pair is never ended early: EOF from A only shuts down
 * B's write side and B may go on sending (STYLE.md rule 11, the diagram
 * is in docs/relay.md).
 *
 * How bytes move, chosen per direction when the pair is created:
 *  - splice: stream socket, pipe or regular file on both sides (or a
 *    character device such as /dev/null as the destination), no
 *    layers, no framing conversion and no on_data hook: splice() into a
 *    private pipe (raised to pipe_size with F_SETPIPE_SZ) and out of it,
 *    zero-copy.
 *    When the source or the destination is itself a pipe, one splice()
 *    moves the bytes straight across (up to pipe_size per call), with no
 *    private pipe. But anything into a TCP socket copies, with a
 *    buffer that grows up to 2 MiB while reads fill it, unless buf_size
 *    is set (send() builds larger fragments than spliced pages:
 *    measured faster into TCP, see relay.c). If the
 *    kernel refuses (EINVAL: a device without splice support, an
 *    O_APPEND file), the direction falls back to copying without losing
 *    a byte.
 *  - copy: read()/write() through a buffer of buf_size bytes, or the
 *    end's layers (conn.h: skit_conn_recv/send) when it has some.
 *  - message: a datagram or seqpacket source is read one message at a
 *    time and a message destination is written one message at a time,
 *    so boundaries survive (message <-> message). Between a byte stream
 *    and a message side the pair puts the framing layer (frame.h,
 *    skit_layer_frame, with cfg.framing) on the message end, which then
 *    moves bytes like a stream.
 *
 * Layers. An end may come as a conn (skit_relay_end.conn): a socket or
 * fds with a chain of layers (TLS, a proxy, the stdio policies, ...).
 * The pair reads and writes it through the chain, waits for the events
 * the chain asks for (skit_conn_events), lets the layers write what
 * they hold when its fds are ready or a layer kicks (skit_conn_flush),
 * reads again at once while skit_conn_pending says so, runs the
 * handshake before any data moves through the end, and calls
 * skit_conn_shutdown again until it is done. An end without layers
 * keeps every fast path above.
 *
 * SIGPIPE: splice() and write() to a pipe cannot suppress it the way
 * send(MSG_NOSIGNAL) does, so a process using the engine must ignore
 * SIGPIPE (the CLI does in main); errors then come back as EPIPE.
 *
 * The engine is driven by a struct skit_loop (loop.h): it registers the
 * ends' fds with callbacks, never blocks, and many pairs can share one
 * loop. skit_relay_run() is the blocking one-pair wrapper.
 */
#ifndef SKIT_RELAY_H
#define SKIT_RELAY_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "skit/conn.h"
#include "skit/err.h"
#include "skit/fault.h"
#include "skit/frame.h"
#include "skit/loop.h"

struct skit_relay;

/* Direction indexes (stats arrays, on_data). */
enum {
	SKIT_DIR_AB = 0, /* from A to B */
	SKIT_DIR_BA = 1, /* from B to A */
};

/* Bits of skit_relay_cfg.dirs. */
enum {
	SKIT_RELAY_AB = 1 << 0,
	SKIT_RELAY_BA = 1 << 1,
	SKIT_RELAY_BOTH = SKIT_RELAY_AB | SKIT_RELAY_BA,
};

/* Why a pair ended. */
enum skit_relay_reason {
	SKIT_RELAY_RUNNING = 0, /* not ended yet */
	SKIT_RELAY_EOF,		/* both directions reached EOF and drained */
	SKIT_RELAY_RESET,	/* a peer reset (ECONNRESET, EPIPE) */
	SKIT_RELAY_ERROR,	/* another I/O or framing error */
	SKIT_RELAY_IDLE,	/* idle_ms passed without traffic */
	SKIT_RELAY_CLOSED,	/* skit_relay_close() */
};

/* "eof", "reset", "error", "idle", "closed", "running". */
const char *skit_relay_reason_name(enum skit_relay_reason r);

/*
 * One end of a pair, as fds. For a socket rfd == wfd; stdio, exec
 * through pipes, and files may have two different fds.
 *  rfd   read from here; -1: nothing to read (the direction out of this
 *        end is at EOF from the start, its destination is half-closed
 *        at once).
 *  wfd   write here; -1: discard what the other end sends (still read
 *        and counted).
 *  type  SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET for sockets; 0 for
 *        byte fds that are not sockets (pipes, ttys, files).
 *        skit_relay_end_from_fd() fills it.
 *  own   the pair closes rfd/wfd when it ends (or is freed).
 *  to    when tolen > 0: write with sendto() to this address (an
 *        unconnected datagram socket shared with others, e.g. a UDP
 *        listener's per-peer session). Such an end's fds are never
 *        registered with the loop and never closed; when the socket is
 *        full (EAGAIN) the message waits and is retried 1 ms later
 *        (for at most cfg.send_timeout_ms).
 *  pushed  the end's input is fed by skit_relay_push() instead of
 *        being read from rfd (a UDP listener demultiplexing peers).
 *  conn  when set, the end is this conn (conn.h): its fds, its type
 *        and its layers; rfd, wfd and type are ignored, pushed and `to`
 *        must not be set. own then means the pair frees the conn when
 *        it ends (and the conn closes the fds it owns); else the caller
 *        frees it after the pair has ended. Push the conn's layers
 *        before: the pair adds only framing, when the conn offers
 *        messages and the other end does not. A conn without layers
 *        (skit_conn_bare) is used as its fds, fast paths and all.
 */
struct skit_relay_end {
	int rfd;
	int wfd;
	int type;
	bool own;
	bool pushed;
	struct sockaddr_storage to;
	socklen_t tolen;
	struct skit_conn *conn;
};

/*
 * Fill *end for one fd used both ways (a socket, a pipe:PATH fifo),
 * with type from SO_TYPE (0 when fd is not a socket). Returns 0 or
 * -errno.
 */
int skit_relay_end_from_fd(int fd, bool own, struct skit_relay_end *end);

struct skit_relay_stats {
	uint64_t bytes[2];   /* payload bytes written, per direction */
	uint64_t msgs[2];    /* messages sent to / read from message sides */
	uint64_t dropped[2]; /* messages dropped (EMSGSIZE, full, refused) */
	bool spliced[2];     /* the direction ran (at least partly) on splice */
	int64_t start_ns;    /* CLOCK_MONOTONIC */
	int64_t end_ns;	     /* 0 while running */
	enum skit_relay_reason reason;
	int error;	      /* the code behind RESET/ERROR, else 0 */
	int error_side;	      /* 0 = A, 1 = B, -1 = none */
	const char *error_op; /* "read", "write", "splice", "frame" or NULL */
	/*
	 * The time limit that ran out, in ms: idle_ms for reason IDLE,
	 * and for error SKIT_EFULL the wait a message destination was
	 * given (send_timeout_ms, or idle_ms when the idle time-out came
	 * first); else 0.
	 */
	int64_t limit_ms;
};

/*
 * Callbacks. on_close fires exactly once, when the pair ends, after its
 * watchers and timers are gone and the fds it owns are closed; the
 * stats are final. It may call skit_relay_free() on r (and anything
 * else); the engine does not touch r after it returns. It may be NULL.
 *
 * on_data (may be NULL) sees every chunk or message as the pair reads it
 * from a source (through the source's layers: a message end facing a
 * stream gives its messages framed); dir is SKIT_DIR_AB or
 * SKIT_DIR_BA. It turns splice off for the pair (the bytes must pass
 * through user space). It must not free r.
 */
typedef void (*skit_relay_close_cb)(struct skit_relay *r, void *data);
typedef void (*skit_relay_data_cb)(struct skit_relay *r, int dir,
				   const void *buf, size_t len, void *data);

struct skit_relay_cfg {
	unsigned dirs;		   /* SKIT_RELAY_AB|BA; 0 means both */
	enum skit_framing framing; /* stream <-> message conversion */
	bool no_splice;		   /* always copy */
	size_t buf_size;	   /* copy buffer per direction; 0 = 256 KiB,
				      growing to 2 MiB into a TCP socket */
	size_t pipe_size;	   /* splice pipe; 0 = 1 MiB (best effort) */
	int64_t idle_ms;	   /* end after this long without traffic; 0 =
				      never */
	/*
	 * A message destination (a datagram or seqpacket socket, or a `to`
	 * end) that refuses a message with EAGAIN (the receiver's queue,
	 * or this socket's send buffer, stays full) is waited for this long;
	 * then the pair ends with reason ERROR, error SKIT_EFULL and
	 * error_op "write". Each message it takes starts the wait again.
	 * 0 = wait as long as it takes. When idle_ms runs out while a
	 * message waits so, the pair also ends with SKIT_EFULL (not IDLE):
	 * the full receiver is why nothing moved. Stream destinations are
	 * not bounded by it (TCP flow control is not an error).
	 */
	int64_t send_timeout_ms;
	/*
	 * A datagram source never gives EOF. When the other direction is
	 * DONE and the remaining one reads from a datagram socket, the pair
	 * ends once linger_ms pass without traffic (like socat's -t, but
	 * counted from the last message). 0 = 500 ms, < 0 = never.
	 */
	int64_t linger_ms;
	/*
	 * A policy of the pair, not of either end's bytes (nc -q): once
	 * A->B is DONE (A said EOF and all of it reached B, B half-closed
	 * or not, as B's layers decide), the pair ends quit_ms later with
	 * reason EOF, even if B->A still runs. 0 = never (to end at once,
	 * use 1).
	 */
	int64_t quit_ms;
	/*
	 * A server's close (listen --exec), when > 0:
	 *  - the stream and seqpacket sockets the pair owns are closed
	 *    lingering (skit/linger.h: shutdown, the peer's bytes read and
	 *    dropped until its EOF or for at most this long, then close)
	 *    when the pair ends, unless by skit_relay_close/free or by an
	 *    error of that very socket: a client never loses to a reset
	 *    what was written to it;
	 *  - a destination whose reader went away (EPIPE: an exec child
	 *    that exits without reading all its input) ends only the
	 *    direction into it, not the pair: what the child wrote still
	 *    reaches the peer, and the pair ends by EOF.
	 * 0 = a plain close, and EPIPE ends the pair (RESET).
	 */
	int64_t close_linger_ms;
	/*
	 * Faults (fault.h) on end A ([0]) and end B ([1]), or NULL: the
	 * pair pushes the fault layer with this cfg on that end (on its
	 * conn, or on one it makes over its fds), below any framing it
	 * adds. Such an end is copied, never spliced. Read during
	 * skit_relay_new only (a live set must outlive the pair).
	 */
	const struct skit_fault_cfg *faults[2];
	skit_relay_close_cb on_close;
	skit_relay_data_cb on_data;
	void *data; /* passed to the callbacks */
};

/*
 * Create a pair on loop and start relaying at once (the first bytes
 * move on the next loop wakeup). The ends are copied. Every fd of a
 * registered end (not one with `to`) is set O_NONBLOCK and watched on
 * loop; each fd must not already be watched there. On success the pair
 * owns the fds of ends with own = true (closed when it ends, also on
 * skit_relay_free). On failure nothing is registered, no fd is closed,
 * and a negative code is returned. Does not block.
 */
int skit_relay_new(struct skit_loop *loop, const struct skit_relay_end *a,
		   const struct skit_relay_end *b,
		   const struct skit_relay_cfg *cfg, struct skit_relay **out);

/*
 * Free a pair. If it is still running it is stopped first without
 * calling on_close (its owned fds are closed). NULL is allowed.
 */
void skit_relay_free(struct skit_relay *r);

/*
 * End a running pair now with reason SKIT_RELAY_CLOSED: on_close fires
 * before this returns (so r may be freed when it returns, if on_close
 * frees it). A no-op on a pair that already ended.
 */
void skit_relay_close(struct skit_relay *r);

/*
 * Feed one message that arrived for end `side` (0 = A, 1 = B) whose
 * `pushed` is set, as if it had been read from it. Returns 0, or
 * -ENOBUFS when the direction's buffer is full (the message is dropped
 * and counted), or -EPIPE when the pair or direction has ended. May end
 * the pair (on_close then fires before it returns).
 */
int skit_relay_push(struct skit_relay *r, int side, const void *msg,
		    size_t len);

/*
 * Would a message of len bytes pushed on side now be taken, not dropped
 * for want of room? (true also when a push would fail for another
 * reason: the pair or direction has ended.) A caller that must not lose
 * messages (a unix datagram server, whose senders the kernel would
 * otherwise hold back) asks before each push; when false it keeps the
 * message, stops reading its source and asks again a little later: the
 * pair makes room as its destination takes bytes.
 */
bool skit_relay_push_fits(const struct skit_relay *r, int side, size_t len);

/*
 * End the direction out of a pushed end as if EOF had been read (for
 * callers that learn EOF out of band). Same return values as push.
 */
int skit_relay_push_eof(struct skit_relay *r, int side);

/*
 * Bytes the direction dir (SKIT_DIR_AB or SKIT_DIR_BA) has read from its
 * source and not yet written or dropped (not counting what the
 * destination's layers hold): 0
 * once everything read so far has been delivered, and after the pair
 * ended. Does not block.
 */
size_t skit_relay_pending(const struct skit_relay *r, int dir);

/* The pair's counters and, once ended, why. Never NULL. */
const struct skit_relay_stats *skit_relay_stats(const struct skit_relay *r);

/* True once the pair has ended (on_close has fired or is firing). */
bool skit_relay_ended(const struct skit_relay *r);

/*
 * The conn of end side (0: A, 1: B) when it has layers (its own or
 * those the pair added: framing, faults), else NULL. For inspection
 * (skit_conn_describe, skit_fault_describe): the pair drives it.
 */
const struct skit_conn *skit_relay_conn(const struct skit_relay *r, int side);

/* The cfg.data pointer the pair was created with. */
void *skit_relay_data(const struct skit_relay *r);

/*
 * Blocking: relay a and b on a private loop until the pair ends. stats
 * (may be NULL) receives the final counters. Returns 0 when the pair
 * ended with EOF or IDLE, else the negative code that ended it (err,
 * may be NULL, says which side and operation). The cfg callbacks are
 * honoured except that on_close must not free the pair.
 */
int skit_relay_run(const struct skit_relay_end *a,
		   const struct skit_relay_end *b,
		   const struct skit_relay_cfg *cfg,
		   struct skit_relay_stats *stats, struct skit_err *err);

#ifdef __cplusplus
}
#endif

#endif
