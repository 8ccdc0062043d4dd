/*
 * src/engine/relay_int.h - the pair engine's state, shared by its files:
 *   relay.c         pairs: creating, ending, half-close, time limits,
 *                   the push API, the blocking wrapper
 *   relay_watch.c   readiness: what each direction waits for, the loop
 *                   callbacks, the pump, the ends' layers (conns)
 *   relay_copy.c    copy mode: bytes and messages through a buffer
 *   relay_splice.c  splice mode: through a pipe, or straight across
 *   relay_limits.c  the time limits: idle, a full message destination
 * Not installed.
 */
#ifndef SKIT_RELAY_INT_H
#define SKIT_RELAY_INT_H

#include "skit/conn.h"
#include "skit/relay.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEFAULT_BUF    (256 * 1024)
#define TCP_BUF	       (2 * 1024 * 1024) /* a copy into TCP grows to this */
#define DEFAULT_PIPE   (1024 * 1024)
#define DEFAULT_LINGER 500
#define MIN_MSG_BUF    (65536 + 16)
#define PUMP_BUDGET    (16u << 20) /* bytes per direction per wakeup */
#define INTERNAL_HDR   4 /* native length before each queued message */
#define N_WATCH	       4

enum dstate {
	D_RUN,	 /* reading the source and writing the destination */
	D_DRAIN, /* the source is at EOF; flushing what is buffered */
	D_DONE,	 /* flushed and the destination half-closed (or disabled) */
};

/* One watched fd; an end with rfd == wfd has one watch for both. */
struct watch {
	struct skit_relay *r;
	int fd;
	bool reg;      /* registered with the loop */
	bool pollable; /* false: a regular file, always ready */
	unsigned cur;  /* events currently asked of the loop */
	unsigned want; /* events wanted after this round */
};

struct end {
	struct skit_relay_end e;
	/*
	 * A datagram or seqpacket socket (or a conn offering messages)
	 * whose other end takes messages too: relayed one message per
	 * message. A message end facing a stream gets the framing layer
	 * instead (framed) and moves bytes.
	 */
	bool msg;
	/*
	 * The chain of layers the end's bytes pass (conn.h), or NULL: the
	 * bare fds, with every fast path. conn_own: the pair frees it (or
	 * keep).
	 * hs: its handshake still runs (no data moves yet). seen: its
	 * counters already added to the pair's stats.
	 */
	struct skit_conn *conn;
	struct skit_conn *keep; /* the caller's bare conn: only its fds used */
	bool conn_own;
	bool framed;	/* a message socket under layers offering bytes */
	bool add_frame; /* the pair pushes the framing layer (at setup) */
	bool hs;
	struct skit_conn_stats seen;
	struct watch *rw;  /* watch of rfd (NULL: pushed or none) */
	struct watch *ww;  /* watch of wfd (NULL: `to` or none) */
	bool rpoll, wpoll; /* rfd/wfd pollable */
};

struct dir {
	struct skit_relay *r;
	int idx; /* SKIT_DIR_AB or SKIT_DIR_BA */
	struct end *src, *dst;
	enum dstate st;
	/* the destination's conn asked to be called again to shut down */
	bool shut_wait;
	bool splice;
	/*
	 * direct: the source or the destination is itself a pipe, so one
	 * splice() moves the bytes (no private pipe); dblk: the last one
	 * found the source readable and the destination full.
	 */
	bool direct, dblk;
	/* splice: the private pipe and how much sits in it */
	int pipe[2];
	size_t inpipe, pipecap;
	bool pfull; /* the pipe refused more: wait for the destination */
	/* copy: buf[off..len) holds data not yet written */
	char *buf;
	size_t off, len, cap;
	size_t maxcap; /* a read that fills buf doubles it, up to this */
	/*
	 * A message destination refused the next message (EAGAIN) first at
	 * this loop time; 0 while it takes them (cfg.send_timeout_ms).
	 */
	int64_t stall_ns;
};

struct skit_relay {
	struct skit_loop *loop;
	struct skit_relay_cfg cfg;
	struct end end[2];
	struct dir dir[2];
	struct watch w[N_WATCH];
	int nw;
	int64_t kick_id, idle_id, linger_id, stall_id, quit_id;
	int64_t last_ns; /* last traffic, for idle_ms */
	bool ended;
	bool notify;	  /* on_close is owed */
	bool buf_default; /* cfg.buf_size was 0: grow to TCP_BUF into TCP */
	bool any_conn;	  /* an end has a conn: its branches are live */
	struct skit_relay_stats st;
};

static inline int
side_of(const struct skit_relay *r, const struct end *e)
{
	return e == &r->end[0] ? 0 : 1;
}

static inline void
traffic(struct skit_relay *r)
{
	r->last_ns = skit_loop_now(r->loop);
}

/* relay.c */
void skit__relay_finish(struct skit_relay *r, enum skit_relay_reason why);
void skit__relay_fail(struct skit_relay *r, int side, const char *op, int code);
void skit__relay_notify(struct skit_relay *r);
void skit__relay_src_eof(struct dir *d);
int skit__relay_dir_done(struct skit_relay *r, struct dir *d);

/* relay_limits.c */
int skit__relay_stalled(struct skit_relay *r, struct dir *d);
void skit__relay_on_idle(struct skit_loop *loop, void *data);

/* relay_watch.c */
void skit__relay_pump(struct skit_relay *r, struct dir *d);
void skit__relay_update(struct skit_relay *r);
void skit__relay_on_kick(struct skit_loop *loop, void *data);
void skit__relay_unwatch(struct skit_relay *r, struct watch *w);
struct watch *skit__relay_watch_for(struct skit_relay *r, int fd);
int skit__relay_probe_watch(struct skit_relay *r, struct watch *w);
void skit__relay_conn_kick(struct skit_conn *c, void *data);
void skit__relay_conn_sync(struct skit_relay *r, struct end *e);
int skit__relay_framed_wait(struct skit_relay *r, struct dir *d, int rc);
void skit__relay_conn_fail(struct skit_relay *r, struct dir *d, struct end *e,
			   const char *op, int code);

/* relay_copy.c */
long skit__relay_step_copy(struct skit_relay *r, struct dir *d);
long skit__relay_fill_in(struct skit_relay *r, struct dir *d);
void skit__relay_compact(struct dir *d);

/* relay_splice.c */
int skit__relay_setup_splice(struct skit_relay *r, struct dir *d, bool *done);
long skit__relay_step_splice(struct skit_relay *r, struct dir *d);
long skit__relay_step_direct(struct skit_relay *r, struct dir *d);

#endif
