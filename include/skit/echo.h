/*
 * skit/echo.h - an echo (RFC 862), discard (RFC 863) and chargen-style
 * source server, on one event loop, and the multi-threaded server built
 * from it (struct skit_echo_server).
 *
 * One struct skit_echo serves one listening (stream, seqpacket) or bound
 * (datagram) socket on one loop, taking connections through serve.h
 * (the accept path, max-conns, the EMFILE policy). Several threads each
 * run their own loop and their own skit_echo, on their own SO_REUSEPORT
 * socket or on a shared one: skit_echo_server does that for a caller
 * that only wants "serve this address with N threads".
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
 * message instead of three): see wake_signal below. That, and the
 * blocking datagram server (skit_echo_dgram_serve), are the one place
 * where a skit server reads outside its event loop, for latency.
 *
 * Nothing here prints or installs signal handlers (skit_echo_wake is
 * one, for the caller to install).
 */
#ifndef SKIT_ECHO_H
#define SKIT_ECHO_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skit/addr.h"
#include "skit/err.h"
#include "skit/conn.h"
#include "skit/fault.h"
#include "skit/loop.h"
#include "skit/serve.h"
#include "skit/sock.h"
#include "skit/tls.h"

enum skit_echo_mode {
	SKIT_ECHO_ECHO = 0, /* send back what arrives */
	SKIT_ECHO_DISCARD,  /* read and drop (RFC 863) */
	SKIT_ECHO_SOURCE,   /* send an endless chargen pattern, drop input */
};

struct skit_echo_cfg {
	enum skit_echo_mode mode;
	int type; /* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET of the fd */
	/*
	 * Connections open at once, 0 for no limit; or, when limit is set, a
	 * count and limit shared by several skit_echo (threads: the limit
	 * is then global). A connection over the limit is accepted and
	 * closed at once, so the client sees EOF instead of waiting in the
	 * backlog, and on_event hears of it (serve.h's reports).
	 */
	int max_conns;
	struct skit_serve_limit *limit;
	/*
	 * Several loops serve this one listener: they take turns on it
	 * (serve.h's share; one skit_echo per loop joins it), or, without
	 * a share, exclusive wakes one of them per connection.
	 */
	struct skit_serve_share *share;
	bool exclusive;
	/*
	 * Refusals and accept failures for want of fds, rate-limited (see
	 * serve.h); called on the loop's thread. May be NULL.
	 */
	void (*on_event)(const struct skit_serve_event *ev, void *data);
	void *data;
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
	/*
	 * Faults (fault.h) on every stream or seqpacket connection, above
	 * cfg.layer (on TLS's plaintext), or NULL. Each connection gets a
	 * copy numbered first_id, first_id + id_step, ... in the order
	 * accepted (0 and 0: 1, 2, 3, ...), the number its random choices
	 * are drawn with. The set must stay valid while the server runs;
	 * a live one is read on the loop's thread. A faulted connection is
	 * served on the loop, and a datagram echo refuses faults
	 * (-EINVAL from skit_echo_new).
	 */
	const struct skit_fault_cfg *faults;
	uint64_t first_id;
	unsigned id_step;
	/* A second layer pushed on the first (ws over tls), or NULL. */
	const struct skit_layer_ops *layer2;
	const void *layer2_cfg;
};

/* Totals since skit_echo_new (read them from the loop's thread, or after
 * it stopped). */
struct skit_echo_stats {
	uint64_t conns;	    /* connections accepted and served */
	uint64_t rejected;  /* connections closed at once (max_conns) */
	uint64_t nofd;	    /* accepts that failed for want of fds */
	uint64_t bytes_in;  /* bytes received */
	uint64_t bytes_out; /* bytes sent */
	uint64_t msgs_in;   /* datagrams / seqpacket messages received */
	uint64_t msgs_out;  /* datagrams / seqpacket messages sent */
	uint64_t dropped;   /* datagrams not echoed (no return address,
			       send buffer full, error) */
	int active;	    /* connections open now */
	/* With a layer (tls): the first session's details, the client's
	 * certificate when it sent one */
	bool have_tls;
	struct skit_tls_info tls;
};

struct skit_echo;

/*
 * The handler of cfg.wake_signal (async-signal-safe): marks the thread
 * woken, so that a blocking read outside the loop returns to it, even
 * one the signal came just before.
 */
void skit_echo_wake(int sig);

/*
 * Start serving fd (listening for stream/seqpacket, bound for
 * datagrams; made nonblocking) on loop. fd stays the caller's: it is
 * never closed here. Returns 0 and *out, or a negative code (-ENOMEM,
 * or the loop's error).
 */
int skit_echo_new(struct skit_loop *loop, int fd,
		  const struct skit_echo_cfg *cfg, struct skit_echo **out);

/*
 * Graceful stop, step one: stop accepting (the listening fd leaves the
 * loop, still open: the caller closes it, so that new clients are
 * refused). Connections keep being served until their peers
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
 * that a stop is seen within that time; with it the caller wakes the
 * thread (see struct skit_echo_cfg). Several threads may serve the same
 * fd. stopped(data) is asked after every batch: the caller's own stop
 * flag behind it (an atomic one when another thread sets it). Once it
 * says true, the datagrams already queued are answered, then it
 * returns 0 (or a negative code if the socket cannot be set up). The
 * totals go to *st. Blocks until then.
 */
typedef bool (*skit_echo_stopped_fn)(void *data);
int skit_echo_dgram_serve(int fd, const struct skit_echo_cfg *cfg,
			  skit_echo_stopped_fn stopped, void *data,
			  struct skit_echo_stats *st);

/* Connections open now (after skit_echo_drain: how many are left). */
int skit_echo_active(const struct skit_echo *e);

/* Copy the totals into *out. */
void skit_echo_stats(const struct skit_echo *e, struct skit_echo_stats *out);

/*
 * Close every connection, leave the loop, free e. The listening fd is
 * not closed. NULL is allowed.
 */
void skit_echo_free(struct skit_echo *e);

/* --- the server: N threads, each a loop with its skit_echo ---------- */

/*
 * Sockets: a udp address with more than one thread gets one
 * SO_REUSEPORT socket per thread, so the kernel spreads flows over
 * them; SO_REUSEPORT is set only after a plain bind showed the port
 * free, so a second server on the port is refused unless reuseport (or
 * the address's reuseport option) asks to share it, and then tcp gets
 * one socket per thread too. Other stream listeners (tcp, unix) are one
 * socket, which one loop at a time watches (serve.h's share): a client
 * connecting again and again is served by one loop, as by a lone one
 * (with a socket per thread the kernel spread one client's connections
 * over the threads: 0.90 of echo-min's rate), and many clients spread
 * over all. TCP gets TCP_NODELAY (inherited by accepted connections)
 * unless the address sets nodelay. Datagram sockets are served
 * blocking, without a loop (skit_echo_dgram_serve).
 *
 * Stopping (skit_echo_server_stop): each worker stops accepting (the
 * last one to stop using a shared socket closes it, so new clients are
 * refused, not left in the backlog), serves its open connections until
 * their peers close them or grace_ms runs out, and returns; a datagram
 * worker answers what is already queued. The unix socket file is
 * removed at skit_echo_server_free if it is still the one bound here
 * (serve.h).
 *
 * Threads: started by skit_echo_server_start, with the caller's signal
 * mask: block the signals the caller takes with sigwait() before
 * starting them. wake_signal, when set, must not be blocked in them
 * (skit_echo_cfg.wake_signal: the caller installs skit_echo_wake as its
 * handler, without SA_RESTART).
 */
struct skit_echo_server;

struct skit_echo_server_cfg {
	enum skit_echo_mode mode;
	int threads;	  /* loops (threads), >= 1 */
	int max_conns;	  /* over every thread; 0 = no limit */
	bool reuseport;	  /* share the port with other servers (inet) */
	int64_t grace_ms; /* after a stop, open connections get this long */
	int wake_signal;  /* see skit_echo_cfg; 0 = none */
	/* A layer on every stream connection (tls), as in skit_echo_cfg;
	 * layer_cfg must stay valid until skit_echo_server_free. */
	const struct skit_layer_ops *layer;
	const void *layer_cfg;
	/* Faults on every stream or seqpacket connection, as in
	 * skit_echo_cfg, numbered over every thread (worker i of n takes
	 * i + 1, i + 1 + n, ...); must stay valid until
	 * skit_echo_server_free. */
	const struct skit_fault_cfg *faults;
	/* A second layer pushed on the first (ws over tls), or NULL. */
	const struct skit_layer_ops *layer2;
	const void *layer2_cfg;
	/* Reports from the workers' serves, on their threads (may be
	 * NULL): the caller's function must be thread-safe. */
	void (*on_event)(const struct skit_serve_event *ev, void *data);
	/* A worker returned, on its thread (may be NULL): for a caller
	 * asleep in sigwait(), which this can wake (kill a blocked signal
	 * to the process). */
	void (*on_done)(void *data);
	/*
	 * A loop worker's loop (worker i) starts serving (start) or is
	 * about to be freed (!start), on the worker's thread (may be
	 * NULL): the caller may watch fds of its own on it meanwhile (a
	 * control socket that changes a live fault set on the thread that
	 * reads it). Not called for datagram workers (no loop).
	 */
	void (*on_loop)(struct skit_loop *loop, int i, bool start, void *data);
	void *data;
};

/*
 * Open the sockets for a (listen role) as described above; no thread
 * runs yet. local (may be NULL) receives the bound address, port 0
 * resolved. Returns 0 and *out, or a negative code with err filled
 * (skit_open's: "bind tcp:...: Address already in use").
 */
int skit_echo_server_open(const struct skit_addr *a,
			  const struct skit_echo_server_cfg *cfg,
			  struct skit_echo_server **out,
			  struct skit_sockaddr *local, struct skit_err *err);

/*
 * Start the threads. Returns 0, or -errno when one could not be
 * started: those that did run; stop and wait for them as usual.
 */
int skit_echo_server_start(struct skit_echo_server *srv);

/*
 * Ask the workers to stop (see above); hurry: end the grace at once.
 * Every call also sends wake_signal to the workers still running, so a
 * worker about to block when the previous signal came is woken too:
 * call it again now and then (every 100 ms) until
 * skit_echo_server_done(). Thread-safe; not async-signal-safe.
 */
void skit_echo_server_stop(struct skit_echo_server *srv, bool hurry);

/* Have all the workers started returned? */
bool skit_echo_server_done(const struct skit_echo_server *srv);

/*
 * Wait for every worker (blocks until they have returned: stop them
 * first), add up their totals into *tot. Returns 0, or the first
 * worker's error (its event loop failed).
 */
int skit_echo_server_wait(struct skit_echo_server *srv,
			  struct skit_echo_stats *tot);

/*
 * Free the server after skit_echo_server_wait (or when it never
 * started): close the sockets still open, remove the unix socket file if
 * it is still ours. NULL is allowed.
 */
void skit_echo_server_free(struct skit_echo_server *srv);

#ifdef __cplusplus
}
#endif

#endif
