/*
 * cli/bench/bench.h - the load generator behind `skit bench` (private to the
 * CLI): cmd_bench.c parses options and prints, bench_run.c drives the
 * connections, one event loop per thread.
 */
#ifndef SKIT_CLI_BENCH_H
#define SKIT_CLI_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "skit/skit.h"
#include "skit/tls.h"
#include "skit/hist.h"
#include "skit/loop.h"

enum bench_mode {
	BENCH_THROUGHPUT,
	BENCH_RR,
	BENCH_CRR,
	BENCH_CONNS,
};

enum bench_dir {
	BENCH_SEND = 1,
	BENCH_RECV = 2,
	BENCH_BOTH = 3,
};

/* What to run; filled by cmd_bench.c, read-only for the workers. */
struct bench_cfg {
	enum bench_mode mode;
	enum bench_dir dir;
	struct skit_addr addr;
	struct skit_resolved res; /* resolved once */
	char where[300];	  /* the target, in skit's form */
	int type;		  /* SOCK_STREAM / DGRAM / SEQPACKET */
	int threads;
	int conc;	    /* connections (rr, crr) or streams */
	long long nconns;   /* conns mode: how many to open */
	long long size;	    /* request / write size */
	long long requests; /* 0: by duration */
	long long bytes;    /* throughput: 0: by duration */
	long long duration_ms;
	long long warmup_ms;
	long long timeout_ms; /* no reply: error (streams) or loss (dgram) */
	long long interval_ms;
	int stopfd;    /* an eventfd: readable = stop now (SIGINT) */
	bool sockperf; /* requests framed as sockperf pings */
	/* TLS on every connection (its handshake is in crr's time), or NULL */
	const struct skit_tls_layer_cfg *tls;
};

/* Live counters, read by the main thread while workers run. */
struct bench_live {
	atomic_ullong requests; /* completed, counted */
	atomic_ullong tx, rx;	/* bytes, counted */
	atomic_ullong lost;	/* datagram requests without a reply */
	atomic_ullong conn_ok, conn_fail;
};

struct bench_stream {
	uint64_t tx, rx;
};

struct bench_worker {
	pthread_t tid;
	int id;
	const struct bench_cfg *cfg;
	struct skit_loop *loop;
	struct bench_live live;
	struct skit_hist *hist; /* rr, crr: ns per request/cycle */

	int nconn; /* connections this worker runs */
	int first; /* global index of its first connection */
	struct bench_conn *conns;
	uint64_t quota;	 /* requests (or bytes) for this worker; 0 = none */
	uint64_t issued; /* counted requests started */
	uint64_t seqno;	 /* every request started */
	uint64_t done;	 /* requests completed (counted or not) */

	bool counting; /* warm-up over */
	bool stopping;
	int64_t t_begin, t_count, t_end; /* ns */
	int64_t setup_ns;		 /* conns: time to open them all */

	uint64_t late;	   /* datagram replies after their time-out */
	uint64_t breaks;   /* crr: connections broken before the reply */
	int breaks_row;	   /* crr: ... in a row */
	uint64_t served;   /* conns: probe answered */
	uint64_t closed;   /* conns: closed by the server while held */
	uint64_t open_now; /* conns: open at the end of the hold */
	struct bench_stream *streams; /* throughput: per connection */

	int err; /* first fatal error, 0 if none */
	struct skit_err errrec;
	int conn_err; /* first connect error (crr, conns) */
	struct skit_err conn_errrec;

	char *sbuf, *rbuf;
	size_t bufsz;
	atomic_bool finished;

	/*
	 * The blocking fast path (rr, one connection on the thread): the
	 * worker waits in read() like sockperf does, and the main thread is
	 * its watchdog: a request older than --timeout, or an abort, gets
	 * the socket shut down under fdlock, which wakes the read.
	 */
	bool fast;
	pthread_mutex_t fdlock;
	int fast_fd;		  /* -1 when closed */
	atomic_llong inflight_t0; /* ns; 0 when no request is in flight */
	atomic_bool wd_fired;
	atomic_bool abort;
};

/* The watchdog of the fast path; call now and then from the main thread. */
void bench_watchdog(const struct bench_cfg *cfg, struct bench_worker *w);

enum conn_state {
	C_IDLE = 0, /* closed (crr between cycles, conns failed) */
	C_SEND,	    /* request partly written */
	C_WAIT,	    /* request written, reply partly read */
	C_HOLD,	    /* conns: open, probe answered (or none) */
	C_STREAM,   /* throughput */
	C_DONE,	    /* finished its share */
};

struct bench_conn {
	struct bench_worker *w;
	int fd;
	int idx; /* global connection number */
	enum conn_state st;
	uint64_t seq;
	size_t sent, got;
	int64_t t0, tcycle;   /* request start, crr cycle start */
	uint64_t quota_left;  /* throughput --bytes: this stream's share */
	bool shut;	      /* throughput: SHUT_WR sent */
	bool counted;	      /* the request started after the warm-up */
	struct skit_conn *lc; /* the TLS conn over fd (cfg->tls), or NULL */
};

/* Shared by bench_run.c (the event-loop path) and bench_fast.c. */
bool bench_is_dgram(const struct bench_cfg *cfg);
bool bench_msg_based(const struct bench_cfg *cfg);
void bench_fatal(struct bench_worker *w, int code, const char *op,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * sockperf's message header (--sockperf): a 64-bit sequence number, 16
 * bits of flags and a 32-bit length, big-endian. A client sets "client"
 * and "pong request"; the server answers with "client" cleared.
 */
#define BENCH_SOCKPERF_HDR    14
#define BENCH_SOCKPERF_FLAGS  9 /* the flags' low byte */
#define BENCH_SOCKPERF_CLIENT 1
#define BENCH_SOCKPERF_PONG   2
void bench_stamp(const struct bench_cfg *cfg, char *buf, uint64_t seq);
int bench_conn_open(struct bench_conn *c, bool blocking);
bool bench_check_reply(struct bench_conn *c, const char *got, size_t off,
		       size_t n);
void bench_run_fast(struct bench_worker *w);

/* Totals over the workers (bench_report.c). */
struct bench_sum {
	uint64_t requests, tx, rx, lost, late, conn_ok, conn_fail, breaks;
	uint64_t served, closed, open_now;
	double secs;	   /* counted window */
	double setup_secs; /* conns */
	struct skit_hist *hist;
};

extern const char *const bench_mode_names[];
void bench_sum_up(const struct bench_cfg *cfg, struct bench_worker *w,
		  struct bench_sum *s);
double bench_per_s(uint64_t n, double secs);
/* A human rate into buf: "1.23 G", "456.7 k". Returns buf. */
const char *bench_human(double v, char *buf, size_t len);
void bench_print_json(const struct bench_cfg *cfg, struct bench_worker *w,
		      const struct bench_sum *s, bool stream);
void bench_print_text(const struct bench_cfg *cfg, struct bench_worker *w,
		      const struct bench_sum *s);

/* Start the workers (threads); 0 or a negative code. */
int bench_start(const struct bench_cfg *cfg, struct bench_worker *w);

/* Tell every worker to stop now (from the main thread). */
void bench_abort(const struct bench_cfg *cfg, struct bench_worker *w);

/* Wait for every worker and release their loops (not hist/streams). */
void bench_join(const struct bench_cfg *cfg, struct bench_worker *w);

/* Free what bench_start allocated in w. */
void bench_free(const struct bench_cfg *cfg, struct bench_worker *w);

#endif
