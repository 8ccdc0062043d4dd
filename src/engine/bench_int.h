/*
 * bench_int.h - internals of the load generator (skit/bench.h): the
 * workers (one thread and one loop each), their connections, and what
 * bench.c (the API, the caller's thread), bench_run.c (the event-loop
 * path), bench_fast.c (the blocking fast path) and bench_conn.c (what
 * both paths do with a connection) share.
 *
 * Counters read by the caller's thread while the workers run (samples)
 * have one writer each, the worker's thread: it adds with a relaxed load
 * and store (a plain move, no locked instruction), the reader loads them
 * relaxed.
 */
#ifndef SKIT_BENCH_INT_H
#define SKIT_BENCH_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "skit/bench.h"
#include "skit/conn.h"
#include "skit/dial.h"
#include "skit/hist.h"
#include "skit/io.h"
#include "skit/loop.h"
#include "skit/sock.h"
#include "skit/tls.h"

#define BENCH_SOCKPERF_FLAGS  9 /* the flags' low byte */
#define BENCH_SOCKPERF_CLIENT 1
#define BENCH_SOCKPERF_PONG   2

/* A counter with one writer thread. */
typedef atomic_uint_least64_t bench_ctr;

static inline void
bench_add(bench_ctr *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t
bench_get(const bench_ctr *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct bench_ctrs {
	bench_ctr requests, tx, rx, lost;
};

enum conn_state {
	C_IDLE = 0, /* closed (crr between cycles, conns failed) */
	C_DIAL,	    /* connecting */
	C_HS,	    /* connected, the layer's handshake running */
	C_SEND,	    /* request partly written */
	C_WAIT,	    /* request written, reply partly read */
	C_HOLD,	    /* conns: open, probe answered (or none) */
	C_STREAM,   /* throughput */
	C_DONE,	    /* finished its share */
};

struct bench_worker;
struct bench_udp;
struct bench_pipe;

struct bench_conn {
	struct bench_worker *w;
	int fd;
	int idx;     /* global connection number */
	unsigned ev; /* the events the loop watches fd for */
	enum conn_state st;
	struct skit_dial *dial; /* while C_DIAL */
	uint64_t seq;
	size_t sent, got;
	int64_t t0, tcycle;  /* request start, crr cycle start */
	uint64_t quota_left; /* throughput --bytes: this stream's share */
	bool shut;	     /* throughput: SHUT_WR sent */
	bool counted;	     /* the request started after the warm-up */
	struct bench_ctrs ctr;
	struct bench_udp *udp;	 /* udp throughput (bench_udp.c) */
	struct skit_conn *lc;	 /* cfg->layer's conn over fd, or NULL */
	struct bench_pipe *pipe; /* rr with a window (bench_pipe.c) */
};

struct bench_worker {
	pthread_t tid;
	int id;
	struct skit_bench *b;
	const struct skit_bench_cfg *cfg;
	struct skit_loop *loop;
	struct skit_hist *hist; /* rr, crr: ns per request/cycle */

	int nconn; /* connections this worker runs */
	int first; /* global index of its first connection */
	struct bench_conn *conns;
	uint64_t quota;	 /* requests (or bytes) for this worker; 0 = none */
	uint64_t issued; /* counted requests started */
	uint64_t seqno;	 /* every request started */
	uint64_t done;	 /* requests completed (counted or not) */

	atomic_bool counting; /* warm-up over */
	bool stopping;
	int64_t t_begin, t_count, t_end; /* ns */
	int64_t setup_ns;		 /* conns: time to open them all */

	uint64_t late;	   /* datagram replies after their time-out */
	uint64_t breaks;   /* crr: connections broken before the reply */
	int breaks_row;	   /* crr: ... in a row */
	int fails_row;	   /* crr: failed connects in a row */
	uint64_t served;   /* conns: probe answered */
	uint64_t closed;   /* conns: closed by the server while held */
	uint64_t open_now; /* conns: open at the end of the hold */
	bench_ctr conn_ok, conn_fail;

	int err; /* first fatal error, 0 if none */
	struct skit_err errrec;
	int conn_err; /* first connect error (crr, conns) */
	struct skit_err conn_errrec;
	bool have_tls; /* tls_info: the first session's */
	struct skit_tls_info tls_info;

	char *sbuf, *rbuf;
	size_t bufsz;
	atomic_bool finished;

	/* udp throughput (bench_udp.c) */
	int64_t pace_last; /* the pacing timer's last run */
	bool udp_draining; /* sending is over, echoes awaited */
	int64_t udp_drain_start;
	int64_t udp_last_rx; /* last datagram that came back */

	/*
	 * The blocking fast path (rr, one connection on the thread): the
	 * worker waits in read() like sockperf does, and the caller's
	 * thread is its watchdog: a request older than the time-out, or a
	 * stop, gets the socket shut down under fdlock, which wakes the
	 * read.
	 */
	bool fast;
	pthread_mutex_t fdlock;
	int fast_fd;		  /* -1 when closed */
	atomic_llong inflight_t0; /* ns; 0 when no request is in flight */
	atomic_bool wd_fired;
	atomic_bool abort;
};

struct skit_bench {
	struct skit_bench_cfg cfg;
	struct skit_addr addr;	  /* nodelay added for tcp */
	struct skit_resolved res; /* resolved once */
	char where[300];	  /* the target, in skit's form */
	int type;		  /* SOCK_STREAM / DGRAM / SEQPACKET */
	int stopfd;		  /* an eventfd: readable = stop now */
	int nconn;		  /* connections in all (0 in conns mode) */
	struct bench_worker *w;
	struct skit_hist *hist;		/* merged at the end */
	struct skit_bench_counts *snap; /* per connection, for samples */
	struct skit_bench_result res_out;
	bool started;
};

static inline bool
bench_is_dgram(const struct skit_bench *b)
{
	return b->type == SOCK_DGRAM;
}

static inline bool
bench_msg_based(const struct skit_bench *b)
{
	return b->type != SOCK_STREAM;
}

/* bench_conn.c */
void bench_fatal(struct bench_worker *w, int code, const char *op,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void bench_stamp(const struct skit_bench_cfg *cfg, char *buf, uint64_t seq);
bool bench_check_reply(struct bench_conn *c, const char *got, size_t off,
		       size_t n);
void bench_conn_failed(struct bench_conn *c, int code,
		       const struct skit_err *err);
/* The dial's settings for b (the address's connect-timeout= or the
 * bench's time-out, no retries); on_done is the caller's. */
void bench_dial_cfg(const struct skit_bench *b, struct skit_dial_cfg *dc);
/* c's conn with cfg->layer over fd (not owned): 0 or a code with err. */
int bench_layer_open(struct bench_conn *c, int fd, struct skit_err *err);
/* Why c's layer failed its handshake with code: the tls layer's reason,
 * else err filled. */
void bench_layer_done(struct bench_conn *c);
const struct skit_err *bench_layer_err(const struct bench_conn *c, int code,
				       struct skit_err *err);
/* Dial c and wait (skit_dial; the stop fd ends a connect that waits),
 * then its layer's handshake (cfg->layer): the fd (c->lc over it), or
 * a negative code, the failure counted (bench_conn_failed); -ECANCELED
 * when stopped. flags: SKIT_OPEN_NONBLOCK or 0. */
int bench_dial_wait(struct bench_conn *c, int flags);
/* A unix-dgram client needs a name to be answered at: a copy of b's
 * address with one bound in own, else b's address. */
const struct skit_addr *bench_dial_addr(const struct bench_conn *c,
					struct skit_addr *own);

/* I/O on c: through its layers when it has some. */
static inline ssize_t
bench_send(struct bench_conn *c, const void *buf, size_t len)
{
	return c->lc ? skit_conn_send(c->lc, buf, len)
		     : skit_write_some(c->fd, buf, len);
}

static inline ssize_t
bench_recv(struct bench_conn *c, void *buf, size_t len)
{
	return c->lc ? skit_conn_recv(c->lc, buf, len)
		     : skit_recvfrom(c->fd, buf, len, 0, NULL, NULL);
}

/* bench_run.c */
void *bench_worker_main(void *arg);
void bench_want(struct bench_conn *c, unsigned ev);
/* May the worker start another request (not stopping, quota left)? */
bool bench_more_requests(struct bench_worker *w);
/* The worker's share is done (or it stops): end its loop. */
void bench_worker_done(struct bench_worker *w, int64_t now);

/* bench_pipe.c: rr with a window of requests in flight (cfg->pipeline) */
int bench_pipe_new(struct bench_conn *c);
void bench_pipe_free(struct bench_conn *c);
/* c is connected: fill its window. */
void bench_pipe_start(struct bench_conn *c);
void bench_pipe_io(struct bench_conn *c, unsigned events);

/* bench_udp.c: udp throughput */
int bench_udp_start(struct bench_conn *c);
void bench_udp_io(struct bench_conn *c, unsigned events);
/* The duration is over: stop sending, wait for what is on its way;
 * false when there is nothing to wait for. */
bool bench_udp_drain(struct bench_worker *w);
void bench_udp_sum(const struct skit_bench *b, struct skit_bench_udp *out);

/* bench_fast.c */
void bench_run_fast(struct bench_worker *w);
void bench_watchdog(struct skit_bench *b);

#endif
