/*
 * skit/echo.h - an echo (RFC 862), discard (RFC 863) and chargen-style
 * source server, on one event loop.
 *
 * One struct skit_echo serves one listening (stream, seqpacket) or bound
 * (datagram) socket on one loop; several threads each run their own
 * loop and their own skit_echo, on their own SO_REUSEPORT socket or on
 * a shared one (the caller decides and opens the sockets).
 *
 * Memory: an idle connection costs one small record (no buffer). Data is
 * read into one scratch buffer per skit_echo and written straight back;
 * only when the peer's receive window is full does the connection get a
 * heap copy of the unsent tail, and it stops reading until that is
 * written. So a million idle connections cost tens of megabytes, and a
 * slow reader never makes the server buffer more than one read.
 *
 * One stream connection alone on its thread, exchanging messages, can be
 * served with blocking reads outside the loop (two system calls per
 * message instead of three): see wake_signal below.
 *
 * Nothing here prints or installs signal handlers (skit_echo_wake is
 * one, for the caller to install).
 */
#ifndef SKIT_ECHO_H
#define SKIT_ECHO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skit/conn.h"
#include "skit/loop.h"

enum skit_echo_mode {
	SKIT_ECHO_ECHO = 0, /* send back what arrives */
	SKIT_ECHO_DISCARD,  /* read and drop (RFC 863) */
	SKIT_ECHO_SOURCE,   /* send an endless chargen pattern, drop input */
};

struct skit_echo_cfg {
	enum skit_echo_mode mode;
	int type; /* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET of the fd */
	/*
	 * Connections open at once, 0 for no limit. When count is not
	 * NULL it is shared by every skit_echo of a process (the limit is
	 * then global); a connection over the limit is accepted and closed
	 * at once, so the client sees EOF instead of waiting in the
	 * backlog.
	 */
	int max_conns;
	atomic_int *count;
	/*
	 * 0, or a signal the caller has set up to interrupt blocking reads:
	 * its handler is skit_echo_wake (or calls it), installed without
	 * SA_RESTART, and the signal is unblocked in the loop's thread.
	 * With it:
	 * - a stream connection alone on its loop, read more than once (echo
	 *   and discard modes), is read blocking with no time-out, as a
	 *   one-client server would, until wake_signal comes to the thread:
	 *   the listener sends it when a connection arrives (O_ASYNC), the
	 *   caller sends it (pthread_kill) to make the loop look at its
	 *   other fds, e.g. a stop request. Timers of the loop do not end
	 *   such a read, so give such a loop little else to do;
	 * - skit_echo_dgram_serve blocks with no time-out, and the caller
	 *   wakes it after setting *stop by sending wake_signal to the
	 *   thread (pthread_kill), again now and then until it returns.
	 * Without it the loop serves every connection, and the datagram
	 * server polls *stop every 100 ms (SO_RCVTIMEO): a receive
	 * time-out arms a kernel timer for each wait, which costs about a
	 * microsecond per message.
	 */
	int wake_signal;
	/*
	 * A layer type (conn.h) pushed on every stream connection, with its
	 * cfg (read by the layer's open: it must stay valid while the server
	 * runs), or NULL: TLS (tls.h's skit_layer_tls) makes a TLS echo
	 * server. Its handshake runs first; at the peer's EOF the layer's
	 * shutdown (close_notify) ends our side. A layered connection is
	 * always served on the loop (no blocking reads).
	 */
	const struct skit_layer_ops *layer;
	const void *layer_cfg;
};

/* Totals since skit_echo_new (read them from the loop's thread, or after
 * it stopped). */
struct skit_echo_stats {
	uint64_t conns;	    /* connections accepted and served */
	uint64_t rejected;  /* connections closed at once (max_conns) */
	uint64_t bytes_in;  /* bytes received */
	uint64_t bytes_out; /* bytes sent */
	uint64_t msgs_in;   /* datagrams / seqpacket messages received */
	uint64_t msgs_out;  /* datagrams / seqpacket messages sent */
	uint64_t dropped;   /* datagrams not echoed (no return address,
			       send buffer full, error) */
	int active;	    /* connections open now */
};

struct skit_echo;

/*
 * The handler of cfg.wake_signal (async-signal-safe): marks the thread
 * woken, so that a blocking read outside the loop returns to it, even
 * one the signal came just before.
 */
void skit_echo_wake(int sig);

/*
 * Start serving fd (nonblocking; listening for stream/seqpacket, bound
 * for datagrams) on loop. fd stays the caller's: it is never closed
 * here. Returns 0 and *out, or a negative code (-ENOMEM, or the loop's
 * error).
 */
int skit_echo_new(struct skit_loop *loop, int fd,
		  const struct skit_echo_cfg *cfg, struct skit_echo **out);

/*
 * Graceful stop, step one: stop accepting (the listening fd leaves the
 * loop, still open). Connections keep being served until their peers
 * close them. A datagram server first answers every datagram already
 * queued on its socket, then leaves the loop. Call from the loop's
 * thread.
 */
void skit_echo_drain(struct skit_echo *e);

/*
 * The datagram server without a loop: block in recvfrom() and answer,
 * two system calls per datagram where the loop needs a third (its
 * epoll_wait). fd is a bound datagram socket in blocking mode. Without
 * cfg->wake_signal it gets a 100 ms receive time-out (SO_RCVTIMEO) so
 * that *stop is seen within that time; with it the caller wakes the
 * thread (see struct skit_echo_cfg). Several threads may serve the same
 * fd. When *stop
 * becomes true, the datagrams already queued are answered, then it
 * returns 0 (or a negative code if the socket cannot be set up). The
 * totals go to *st. Blocks until then.
 */
int skit_echo_dgram_serve(int fd, const struct skit_echo_cfg *cfg,
			  const atomic_bool *stop, struct skit_echo_stats *st);

/* Connections open now (after skit_echo_drain: how many are left). */
int skit_echo_active(const struct skit_echo *e);

/* Copy the totals into *out. */
void skit_echo_stats(const struct skit_echo *e, struct skit_echo_stats *out);

/*
 * Close every connection, leave the loop, free e. The listening fd is
 * not closed. NULL is allowed.
 */
void skit_echo_free(struct skit_echo *e);

#endif
