/*
 * skit/serve.h - one listener on one event loop, for every kind: the
 * single accept path of libskit's servers (listen, echo, and later
 * relay and bench).
 *
 * A struct skit_serve watches one socket on a loop (loop.h) and turns
 * what arrives into callbacks:
 *  - stream and seqpacket listeners: each new connection goes to
 *    on_conn as a nonblocking, CLOEXEC fd that is the callback's from
 *    then on;
 *  - datagram sockets: each datagram goes to on_datagram. With
 *    on_session set, datagrams are grouped by sender into sessions (a
 *    hash by peer address): on_session opens one for a new peer,
 *    on_datagram gets each of its datagrams, and a session that hears
 *    nothing for session_idle_ms ends (on_session_end). Without
 *    on_session every datagram comes alone.
 *
 * Policies, the same for every server built on it:
 *  - accept: accept4() in batches of cfg.batch per wakeup, never a
 *    level-triggered spin. ECONNABORTED and its kind are skipped. Out of
 *    fds or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), the reserve fd (a
 *    descriptor held for this) is closed, one client is accepted and
 *    closed at once, so it sees the connection end instead of waiting
 *    in the backlog, and the reserve is taken back; when even that
 *    fails, accepting pauses for pause_ms.
 *  - max-conns: a connection over the limit is accepted and closed at
 *    once (the client reads EOF); a new datagram peer over it has its
 *    datagram dropped. The count is this serve's own (max_conns), or a
 *    struct skit_serve_limit shared by several serves (threads).
 *  - allow/deny: an acl (skit/acl.h) decides on each new client or
 *    datagram peer; a refused one is closed at once (or dropped).
 *  - reports: refusals, and accept failures for want of fds, reach
 *    on_event at most once per report_ms (1 s) per kind: the first at
 *    once, the ones after it counted and reported together when the
 *    period ends (event.count). The caller prints them.
 *  - unix socket files (skit_serve_open): created by skit_open (stale
 *    file check with ',unlink', mode=/user=/group= before listen());
 *    the serve records the file's device and inode once bound, and
 *    removes the path when it closes only if it is still that file, so
 *    a server never deletes another server's live socket that took the
 *    path meanwhile. Nothing removes it on a signal: a program ends
 *    through its loop and frees its serve.
 *  - several loops on one listener (threads sharing a unix socket, or
 *    an inet one without SO_REUSEPORT): cfg.exclusive asks the kernel
 *    to wake one loop per connection (SKIT_EV_EXCLUSIVE).
 *
 * Ownership: skit_serve_open's socket is the serve's (closed by
 * skit_serve_close/free); skit_serve_fd's stays the caller's. A
 * connection fd handed to on_conn is the callback's: it closes it with
 * skit_serve_release() (a lingering close, see skit/linger.h, and one
 * count off the limit), or closes it by other means and calls
 * skit_serve_release(s, -1) when it ends. Session data is the caller's;
 * the serve keeps the session record and the peer address.
 *
 * Callbacks run on the loop's thread. They may call any function here
 * on this serve, skit_serve_free() included (the serve is then freed
 * once the callback returns); a session ended in a callback is freed
 * once that callback returns. Nothing here blocks, prints or handles
 * signals.
 */
#ifndef SKIT_SERVE_H
#define SKIT_SERVE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "skit/acl.h"
#include "skit/addr.h"
#include "skit/err.h"
#include "skit/loop.h"
#include "skit/sock.h"

struct skit_serve;
struct skit_serve_session;
struct skit_serve_limit;
struct skit_serve_share;

/* What on_event reports. */
enum skit_serve_event_kind {
	/* Over max-conns: a client closed at once, or a new datagram peer's
	 * datagram dropped. */
	SKIT_SERVE_LIMIT = 0,
	/* The acl refused a client (closed at once) or a datagram peer (its
	 * datagram dropped). */
	SKIT_SERVE_DENIED,
	/* accept() failed for want of fds or memory (code): the client was
	 * closed at once through the reserve fd, or, with paused, accepting
	 * stopped for pause_ms. */
	SKIT_SERVE_NOFD,
	/* A datagram from an unbound unix socket, with sessions on: no
	 * address to answer or to know the sender by; dropped. */
	SKIT_SERVE_UNNAMED,
	/* A datagram longer than msg_max: dropped whole (a cut one would
	 * pass for a message). */
	SKIT_SERVE_TOOBIG,
	SKIT_SERVE_EVENT_KINDS
};

struct skit_serve_event {
	enum skit_serve_event_kind kind;
	uint64_t count; /* events this report stands for (>= 1) */
	int code;	/* NOFD: -EMFILE, -ENFILE, -ENOBUFS or -ENOMEM */
	bool paused;	/* NOFD: accepting paused for pause_ms */
	int max_conns;	/* LIMIT: the limit in force */
	size_t len;	/* TOOBIG: the datagram's length */
	/* the client or sender (the last one when count > 1); NULL when
	 * unknown (NOFD) */
	const struct skit_sockaddr *peer;
};

/* Why a session ended (on_session_end). */
enum skit_serve_end {
	SKIT_SERVE_END_IDLE = 1, /* session_idle_ms without a datagram */
	SKIT_SERVE_END_FREE,	 /* skit_serve_free() */
};

struct skit_serve_cfg {
	/* Connections (and sessions) open at once; 0 = no limit. Ignored
	 * when limit is set. */
	int max_conns;
	/* A count and limit shared with other serves, e.g. one per thread
	 * (skit_serve_limit_new); NULL = this serve's own. */
	struct skit_serve_limit *limit;
	/* Which clients and new datagram peers may in (skit_acl_permits:
	 * peers that are not IP always may); NULL = everyone. The acl is
	 * the caller's and must outlive the serve; it is only read. */
	const struct skit_acl *acl;
	/* accept4() (or recvfrom()) calls per wakeup, 0 = 16. 1 suits a
	 * server where a connection is rare next to its traffic: level
	 * triggering brings the listener back when more are queued, and a
	 * second accept4() that finds none is one system call saved. */
	int batch;
	int64_t pause_ms;	 /* accepting paused when out of fds; 0 = 100 */
	int64_t linger_ms;	 /* skit_serve_release's lingering close: 0 =
				    2000, < 0 = a plain close */
	int64_t session_idle_ms; /* datagram sessions end after this long
				    without a datagram; 0 = 60 s, < 0 never */
	int64_t report_ms;	 /* on_event at most this often per kind; 0 =
				    1000 */
	size_t msg_max;		 /* largest datagram taken; 0 = 256 KiB */
	/* Several loops watch this listener: wake one per connection
	 * (SKIT_EV_EXCLUSIVE). */
	bool exclusive;
	/* Or several loops take turns on it (skit_serve_share_new): one
	 * watches it at a time. Set with skit_serve_fd, one serve per loop;
	 * exclusive is then ignored. */
	struct skit_serve_share *share;

	/*
	 * Stream/seqpacket: a new connection. fd is the callback's (see the
	 * top); peer is the client's address (valid during the call).
	 */
	void (*on_conn)(struct skit_serve *s, int fd,
			const struct skit_sockaddr *peer, void *data);
	/*
	 * Datagrams, sessions on when set: a datagram from a new peer
	 * (permitted and under the limit). Return the session's data (any
	 * non-NULL pointer, kept by the serve) to open the session, NULL to
	 * refuse the peer (its datagram is dropped, nothing is reported;
	 * the next one asks again).
	 */
	void *(*on_session)(struct skit_serve *s, struct skit_serve_session *ss,
			    void *data);
	/*
	 * A datagram (msg valid during the call). With sessions, ss is the
	 * sender's; without, ss stands for this datagram alone (its peer
	 * and skit_serve_sendto work during the call; its data is NULL).
	 */
	void (*on_datagram)(struct skit_serve *s, struct skit_serve_session *ss,
			    const void *msg, size_t len, void *data);
	/* A session ends by itself (why); ss goes when it returns. Not
	 * called for skit_serve_session_end. */
	void (*on_session_end)(struct skit_serve *s,
			       struct skit_serve_session *ss,
			       enum skit_serve_end why, void *data);
	/* A report (see the top); may be NULL. */
	void (*on_event)(struct skit_serve *s,
			 const struct skit_serve_event *ev, void *data);
	void *data; /* passed to the callbacks */
};

/* Totals since the serve started. */
struct skit_serve_stats {
	uint64_t accepted;  /* connections handed to on_conn, sessions opened */
	uint64_t refused;   /* closed or dropped at once: limit, acl,
			       on_session */
	uint64_t nofd;	    /* accept failures for want of fds or memory */
	uint64_t wakeups;   /* times the loop reported the socket ready */
	uint64_t datagrams; /* datagrams received */
	int active;	    /* connections and sessions of this serve open */
};

/*
 * Open a listener for a (listen role: bound, and listening for stream
 * and seqpacket kinds) with skit_open(a, SKIT_ROLE_LISTEN, open_flags |
 * SKIT_OPEN_NONBLOCK, ...) and serve it on loop. The socket is the
 * serve's. A unix socket file it creates is removed when the serve
 * closes, if still ours (see the top). Returns 0 and *out, or a
 * negative code with err filled (skit_open's, or op "serve"). Blocks
 * only where skit_open does (a name lookup).
 */
int skit_serve_open(struct skit_loop *loop, const struct skit_addr *a,
		    int open_flags, const struct skit_serve_cfg *cfg,
		    struct skit_serve **out, struct skit_err *err);

/*
 * Serve lfd, a socket opened elsewhere (listening, or a bound datagram
 * socket), on loop: for several loops sharing one listener (set
 * cfg.exclusive). lfd is made nonblocking and stays the caller's: it
 * outlives the serve and is never closed here. Returns 0 and *out, or a
 * negative code (-ENOMEM, the loop's, getsockname's).
 */
int skit_serve_fd(struct skit_loop *loop, int lfd,
		  const struct skit_serve_cfg *cfg, struct skit_serve **out);

/* The bound address (port 0 resolved), and the socket. */
const struct skit_sockaddr *skit_serve_local(const struct skit_serve *s);
int skit_serve_listen_fd(const struct skit_serve *s);

/*
 * A connection handed to on_conn is over: one count off the limit, and
 * fd >= 0 is closed, lingering (linger_ms, skit/linger.h; any watcher of
 * fd on the serve's loop is dropped first) or at once. fd < 0: only the
 * count (the caller closed the fd, or gave it to something that will,
 * such as a relay). Returns 0, or the -errno of a close done at once.
 */
int skit_serve_release(struct skit_serve *s, int fd);

/*
 * Stop (paused) or resume taking connections or datagrams; the socket
 * stays open, so new clients wait in the backlog. Pausing also holds
 * back a resume after running out of fds until it is lifted.
 */
void skit_serve_pause(struct skit_serve *s, bool paused);

/*
 * No new connections, for good: a stream/seqpacket listener leaves the
 * loop and, if it is the serve's own, is closed now (new clients are
 * refused, not left in the backlog) and its socket file removed if
 * still ours. A datagram serve stops opening sessions (datagrams of new
 * peers are dropped) and keeps its socket for the sessions it has.
 * Connections handed out stay counted until released.
 */
void skit_serve_close(struct skit_serve *s);

/* True while the socket is watched: not paused, closed, or resting
 * after running out of fds. */
bool skit_serve_accepting(const struct skit_serve *s);

/* Copy the totals into *out. */
void skit_serve_stats(const struct skit_serve *s, struct skit_serve_stats *out);

/*
 * Free the serve: skit_serve_close, then every session still open gets
 * on_session_end(SKIT_SERVE_END_FREE), reports still held back are
 * given to on_event, timers are cancelled. Connections handed out are
 * not touched (release them first if a shared limit must see them go).
 * NULL is allowed.
 */
void skit_serve_free(struct skit_serve *s);

/* --- datagram sessions ---------------------------------------------- */

/* The session's peer address and data (NULL until on_session returns). */
const struct skit_sockaddr *
skit_serve_session_peer(const struct skit_serve_session *ss);
void *skit_serve_session_data(const struct skit_serve_session *ss);

/*
 * Send msg to the session's peer from the serve's socket, never
 * waiting (MSG_DONTWAIT): the bytes sent, -EAGAIN when the socket (or a
 * unix receiver) is full, or -errno. It counts as the session's
 * traffic for session_idle_ms.
 */
ssize_t skit_serve_sendto(struct skit_serve *s, struct skit_serve_session *ss,
			  const void *msg, size_t len);

/*
 * End a session now (the caller's choice: on_session_end is not
 * called): the serve forgets the peer (its next datagram opens a new
 * session) and counts it off. ss is gone when this returns (or, from a
 * callback about ss, when that returns).
 */
void skit_serve_session_end(struct skit_serve *s,
			    struct skit_serve_session *ss);

/* --- a listener shared by several loops ---------------------------- */

/*
 * Several serves, one per loop (thread), on one listener (skit_serve_fd
 * with cfg.share): one of them at a time watches the listener and takes
 * the connections (the first to join, at the start), so a client that
 * connects again and again is served by one loop, as by a lone one, and
 * no loop wakes for a connection another takes. After each connection,
 * a holder with more connections open than the least busy other member
 * (by more than 4) hands the listener over to it, through an eventfd
 * that member's loop watches: many clients spread over every loop. A
 * member that closes hands it over too (to one that is not quiet; if
 * all are, the first to come back takes it). n is the number of serves
 * that will join. Free the share after every serve in it. Returns 0 and
 * *out, or -EINVAL, -ENOMEM.
 */
int skit_serve_share_new(int n, struct skit_serve_share **out);
void skit_serve_share_free(struct skit_serve_share *sh);

/*
 * The loop is about to read outside itself for a while (quiet: a
 * blocking read, echo's lone connection), or is back (!quiet). Going
 * quiet returns 1 when the loop must still hear of new connections (it
 * watches the listener: ask the kernel for a signal, O_ASYNC), 0 when
 * they are not its business (another member of its share holds the
 * listener, and nothing is handed to a quiet member), or -1 when it
 * must not go quiet now (it rests after running out of fds, is paused
 * or closed, or the listener is being handed to it). Without a share:
 * 1, or -1 when not accepting. Coming back returns 0.
 */
int skit_serve_quiet(struct skit_serve *s, bool quiet);

/* --- a limit shared by several serves ----------------------------- */

/*
 * A count of open connections with a maximum (max > 0), for several
 * serves, each on its own loop and thread (the count is atomic). Free
 * it after every serve using it. Returns 0 and *out, or -ENOMEM.
 */
int skit_serve_limit_new(int max, struct skit_serve_limit **out);
void skit_serve_limit_free(struct skit_serve_limit *l);
/* Connections counted now. */
int skit_serve_limit_count(const struct skit_serve_limit *l);

#ifdef __cplusplus
}
#endif

#endif
