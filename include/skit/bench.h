/*
 * skit/bench.h - a load generator for echo, discard and source servers:
 * the engine behind `skit bench`.
 *
 * Modes:
 *   THROUGHPUT  each stream writes SIZE bytes at a time as fast as the
 *               socket takes them (unless receiving only) and reads
 *               whatever comes back; by duration or until BYTES moved.
 *               Over udp (and unix-dgram), iperf3 -u's job: each stream
 *               sends datagrams of SIZE bytes at bitrate bit/s (0: as
 *               fast as the socket takes them), each carrying a header
 *               (SKIT_BENCH_UDP_HDR: magic, stream, sequence number,
 *               send time); against an echo server the datagrams that
 *               come back give loss, out-of-order and duplicate counts
 *               and the jitter (RFC 3550, over the round-trip times);
 *               a discard server that counts them (skit echo
 *               --discard) answers a stats request at the end with the
 *               same counts, taken where they arrived; against another
 *               discard server only the sending is measured.
 *               By duration; after it, datagrams still on their way are
 *               waited for (until all are back or the server's counts
 *               settle, 500 ms without one, or the time-out).
 *   RR          each connection has one request of SIZE bytes in
 *               flight: write it, read it back, check it, record the
 *               round trip in a histogram, send the next. Requests carry
 *               their number in their first 8 bytes, so a datagram reply
 *               that comes after its time-out is recognised and ignored
 *               (the request was counted lost). With a pipeline
 *               (streams, seqpacket) each connection keeps that many
 *               requests in flight, checked in order.
 *   CRR         the same with a fresh connection per request; the
 *               sample covers connect, request, reply and close. A
 *               connection that breaks before its reply (reset, EOF) is
 *               counted and the cycle tried again, up to 50 in a row.
 *   CONNS       open NCONNS connections one after another (per thread),
 *               send each a probe of SIZE bytes (0: none) and wait for
 *               its echo, then hold them for the duration.
 *
 * Threads: skit_bench_run starts `threads` worker threads, each with its
 * own event loop (skit/loop.h) and its share of the connections, and
 * waits for them in the caller's thread, which also calls on_sample
 * every interval_ms and times out requests of the blocking fast path
 * (RR, and CRR over streams, with one connection on a thread work in
 * blocking calls: the reply is waited for in read(), as sockperf does,
 * so the figure is the transport's and not the poller's). Connections are
 * dialled with skit/dial.h on the worker's loop (the fast path with skit_dial),
 * with the address's connect-timeout= or else timeout_ms as the time-out, and
 * without retries; CRR's fast path to a tcp address with one resolved
 * address (no proxy=, bind=, connect-timeout=) connects as a minimal client
 * does, a blocking connect() that the watchdog times like a request.
 *
 * The warm-up (warmup_ms) is run but not counted: counters, samples and
 * the histogram see only what was started after it. Samples use
 * CLOCK_MONOTONIC (skit_now_ns).
 *
 * Stopping: a stop fd given to skit_bench_run (a stop fd, see
 * skit/io.h: readable = stop) or skit_bench_stop() from another thread
 * ends every worker within a loop turn or the fast path's watchdog
 * period (20 ms), pending dials included; the result then holds what was
 * counted so far and stopped is set.
 *
 * Nothing here prints, exits or installs signal handlers; a fatal error
 * of a worker (the server closed, the reply is not an echo, ...) ends
 * the run and is in the result (code, err). The caller prints.
 */
#ifndef SKIT_BENCH_H
#define SKIT_BENCH_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdint.h>

#include "skit/addr.h"
#include "skit/err.h"
#include "skit/hist.h"
#include "skit/tls.h"

struct skit_layer_ops;

enum skit_bench_mode {
	SKIT_BENCH_THROUGHPUT = 0,
	SKIT_BENCH_RR,
	SKIT_BENCH_CRR,
	SKIT_BENCH_CONNS,
};

enum skit_bench_dir {
	SKIT_BENCH_SEND = 1,
	SKIT_BENCH_RECV = 2,
	SKIT_BENCH_BOTH = 3,
};

/*
 * sockperf's message header (sockperf = true): a 64-bit sequence number,
 * 16 bits of flags and a 32-bit length, big-endian. A client sets
 * "client" and "pong request"; the server answers with "client" cleared.
 */
#define SKIT_BENCH_SOCKPERF_HDR 14

/*
 * The header of a udp throughput datagram, big-endian: "SKIT" (4
 * bytes), the stream number (4; its top bit is set on the datagrams
 * counted, after the warm-up), the sequence number (8, from 0 per
 * stream), the send time (8, CLOCK_MONOTONIC ns); the rest of SIZE is a
 * fixed pattern. A receiver such as skit recv sees it as data. The
 * stats request ("SKIQ") and its answer ("SKIA") are in docs/bench.md.
 */
#define SKIT_BENCH_UDP_HDR 24

/* The most requests in flight per connection (cfg.pipeline). */
#define SKIT_BENCH_PIPELINE_MAX 4096

/* How udp throughput's datagrams left (the least batched way any
 * stream used): one sendto each (cfg.no_gso, or a size too large to
 * batch), sendmmsg (no UDP GSO here), or one UDP GSO send per batch. */
enum skit_bench_sent_by {
	SKIT_BENCH_SENT_SENDTO = 0,
	SKIT_BENCH_SENT_SENDMMSG,
	SKIT_BENCH_SENT_GSO,
};

/* udp throughput: over the counted window (sums over the streams). */
struct skit_bench_udp {
	uint64_t sent;	       /* datagrams sent */
	uint64_t received;     /* distinct ones that came back */
	uint64_t lost;	       /* sent - received */
	uint64_t out_of_order; /* came back after a later one */
	uint64_t duplicates;   /* came back more than once */
	double jitter_ms;      /* RFC 3550, the streams' mean */
	bool echoed;	       /* any came back at all */
	bool receiver;	       /* the counts (of some streams) are a discard
				  server's, its answer to the stats request */
	unsigned char sent_by; /* enum skit_bench_sent_by */
};

/* Counted so far, for one connection (or stream) or for the whole run. */
struct skit_bench_counts {
	uint64_t requests; /* completed requests (rr, crr) */
	uint64_t tx, rx;   /* bytes sent, received */
	uint64_t lost;	   /* datagram requests without a reply in time */
};

/*
 * One interval's sample: cumulative counts at time t since the run
 * started (the warm-up included), handed to on_sample. conn[i] are the
 * counts of connection i (THROUGHPUT, RR, CRR; nconn is 0 in CONNS
 * mode). Valid during the callback only.
 */
struct skit_bench_sample {
	int index;	 /* 1, 2, ... */
	int64_t t_ns;	 /* since the start of the run */
	int64_t dt_ns;	 /* since the previous sample */
	bool counting;	 /* the warm-up is over on every thread */
	uint64_t opened; /* connections opened so far (every mode) */
	struct skit_bench_counts total;
	int nconn;
	const struct skit_bench_counts *conn;
};

typedef void (*skit_bench_sample_cb)(const struct skit_bench_sample *s,
				     void *data);

/*
 * What to run. Sizes and counts are the caller's, already checked and
 * defaulted (skit_bench_new refuses only what the engine cannot run).
 */
struct skit_bench_cfg {
	enum skit_bench_mode mode;
	enum skit_bench_dir dir; /* THROUGHPUT; 0 = SEND */
	int threads;		 /* >= 1; at most one per connection */
	int conc;		 /* connections (rr, crr) or streams */
	int64_t nconns;		 /* CONNS: how many to open */
	int64_t size;	     /* request, write or probe size (1 .. 16 MiB; CONNS
				may be 0); a datagram request is one message */
	int64_t requests;    /* RR, CRR: stop after this many (0: by time) */
	int64_t bytes;	     /* THROUGHPUT: stop after this many (0: by time) */
	int64_t duration_ms; /* counted time (CONNS: the hold); 0 with
				requests or bytes */
	int64_t warmup_ms;   /* run first, not counted */
	int64_t timeout_ms;  /* no reply this long: an error (streams) or a
				loss (datagrams); the connect time-out
				unless the address has connect-timeout=; a
				datagram send to a full receiver waits this
				long, then SKIT_EFULL */
	int64_t interval_ms; /* on_sample period (0: no samples) */
	int64_t bitrate;     /* udp throughput: bit/s per stream (0: as fast
				as the socket takes them) */
	bool sockperf;	     /* frame requests as sockperf pings */
	bool no_gso;	     /* udp throughput: one datagram per send call (else
				UDP GSO, or sendmmsg where GSO is missing) */
	/*
	 * RR over a stream or seqpacket (not datagrams: -EINVAL): requests
	 * in flight per connection (0 or 1: one). The window is refilled
	 * by one write of every request due; a request's round trip runs
	 * from that write to the read that brought its reply's last byte.
	 */
	int pipeline;
	/*
	 * A layer type (skit/conn.h) pushed on every stream connection
	 * once dialled, with its cfg (valid for the run), or NULL: the tls
	 * layer (skit/tls.h) benches a TLS server. Its handshake is part of
	 * the connection's setup (crr: inside the cycle's time; a failed
	 * one counts as a failed connect, with the layer's reason). With a
	 * layer every thread runs on its loop (no blocking fast path).
	 * Stream addresses only (skit_bench_new: -EINVAL).
	 */
	const struct skit_layer_ops *layer;
	const void *layer_cfg;
	/* A second layer pushed on the first (ws over tls), or NULL. */
	const struct skit_layer_ops *layer2;
	const void *layer2_cfg;
	skit_bench_sample_cb on_sample; /* from skit_bench_run's thread */
	void *data;
};

/*
 * The outcome. Counts cover the counted window (after the warm-up),
 * secs its length (the first thread's start of counting to the last
 * one's end). hist holds one sample per completed request in ns (RR:
 * the round trip; CRR: the whole cycle). code is 0, or the first fatal
 * error of a worker with err; conn_code/conn_err the first failed
 * connect (CRR and CONNS go on after one).
 */
struct skit_bench_result {
	struct skit_bench_counts total;
	uint64_t late;	    /* datagram replies after their time-out */
	uint64_t conn_ok;   /* connections opened */
	uint64_t conn_fail; /* connects that failed */
	uint64_t breaks;    /* CRR: broken before the reply, tried again */
	uint64_t served;    /* CONNS: probes answered */
	uint64_t closed;    /* CONNS: closed by the server while held */
	uint64_t held;	    /* CONNS: open at the end */
	double secs;	    /* the counted window */
	double setup_secs;  /* CONNS: time to open them all */
	const struct skit_hist *hist; /* the bench's: valid until free */
	int nconn;		      /* 0 in CONNS mode */
	const struct skit_bench_counts *conn; /* per connection */
	struct skit_bench_udp udp;	      /* udp throughput */
	bool stopped;			      /* ended by a stop request */
	int code;
	struct skit_err err;
	int conn_code;
	struct skit_err conn_err;
	/* With a tls layer: the first handshake's session (version,
	 * cipher, the server's certificate) */
	bool have_tls;
	struct skit_tls_info tls;
};

struct skit_bench;

/*
 * Prepare a run against a (a socket kind of the connect role: tcp, udp,
 * unix, unix-dgram, unix-seqpacket, vsock; it is copied): resolves it
 * (blocking) and allocates every buffer. Returns 0 and *out, or a
 * negative code with err: -EINVAL for a cfg the engine cannot run,
 * SKIT_EKIND for another kind, a resolve error, -ENOMEM.
 */
int skit_bench_new(const struct skit_addr *a, const struct skit_bench_cfg *cfg,
		   struct skit_bench **out, struct skit_err *err);

/* The address as measured ("tcp:127.0.0.1:7"), and its socket type. */
const char *skit_bench_where(const struct skit_bench *b);
int skit_bench_type(const struct skit_bench *b);

/*
 * Run it: start the threads, wait for them in this thread (samples,
 * watchdog, stopfd: -1 for none), join them. Returns 0 when the run
 * took place (its outcome, fatal errors included, is in the result), or
 * a negative code with err when it could not start (threads). Call
 * once. Blocks for the run's length.
 */
int skit_bench_run(struct skit_bench *b, int stopfd, struct skit_err *err);

/* Ask a running bench to stop, from any thread (not a signal handler). */
void skit_bench_stop(struct skit_bench *b);

/* The outcome, once skit_bench_run returned; owned by b. */
const struct skit_bench_result *skit_bench_result(const struct skit_bench *b);

/* Free b (after skit_bench_run returned, or instead of it). NULL is ok. */
void skit_bench_free(struct skit_bench *b);

/* "throughput", "rr", "crr", "conns"; and back (0, or -EINVAL). */
const char *skit_bench_mode_name(enum skit_bench_mode m);
int skit_bench_mode_parse(const char *s, enum skit_bench_mode *m);

#ifdef __cplusplus
}
#endif

#endif
