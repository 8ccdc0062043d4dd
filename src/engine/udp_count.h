/*
 * udp_count.h - the sequenced datagrams of udp throughput (skit bench -u),
 * counted where they arrive: back at the client from an echo server
 * (bench_udp.c), or at a discard server (echo.c), which answers the
 * client's stats request with its counts. The wire format is in
 * skit/bench.h and docs/bench.md.
 */
#ifndef SKIT_UDP_COUNT_H
#define SKIT_UDP_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SKIT__UDP_WIN 4096 /* sequence numbers remembered per stream */

/* What one receiver saw of one stream. */
struct skit__udp_count {
	uint64_t recv, ooo, dup; /* distinct, out of order, duplicates */
	uint64_t bytes;		 /* of the distinct ones */
	uint64_t expected;	 /* 1 + the highest number seen (0: none yet) */
	uint64_t win_base;	 /* seen[] covers [win_base, +SKIT__UDP_WIN) */
	uint64_t seen[SKIT__UDP_WIN / 64];
	double jitter; /* ns, RFC 3550 */
	int64_t last_transit;
	bool have_transit;
};

/*
 * Count datagram number seq (n bytes, in transit for transit ns by the
 * receiver's reckoning: only its changes matter) into c: distinct, out
 * of order (lower than one already seen), duplicate (seen before,
 * within the last SKIT__UDP_WIN), and the jitter of RFC 3550 section
 * 6.4.1, J += (|D| - J) / 16. Returns true when it was a new one.
 */
bool skit__udp_count_add(struct skit__udp_count *c, uint64_t seq, size_t n,
			 int64_t transit);

/* a - b in ns, wrapping instead of overflowing: a time that came off
 * the wire can be anything. */
static inline int64_t
skit__udp_ns_diff(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

/*
 * The answer to a stats request, as the client decodes it (c's counts,
 * jitter rounded to ns).
 */
struct skit__udp_answer {
	uint32_t stream;
	uint64_t ask; /* the request's number, echoed */
	uint64_t recv, ooo, dup, jitter_ns, bytes, expected;
};

#define SKIT__UDP_STREAM_COUNTED 0x80000000u /* the stream field's flag */
#define SKIT__UDP_CTL_LEN	 64	     /* request and answer */

/* The magic of a datagram's first 4 bytes. */
enum skit__udp_kind {
	SKIT__UDP_OTHER = 0,
	SKIT__UDP_DATA,	  /* "SKIT": a numbered datagram */
	SKIT__UDP_ASK,	  /* "SKIQ": a stats request */
	SKIT__UDP_ANSWER, /* "SKIA": its answer */
};
enum skit__udp_kind skit__udp_kind(const char *d, size_t n);

/* Write the header of data datagram seq of stream (counted: the flag
 * set) at b, sent at now_ns. */
void skit__udp_stamp(char *b, uint32_t stream, bool counted, uint64_t seq,
		     int64_t now_ns);
/* Read one back: the stream (flag cleared), its flag, seq and time. */
void skit__udp_unstamp(const char *b, uint32_t *stream, bool *counted,
		       uint64_t *seq, int64_t *t_ns);
/*
 * Stamp n datagrams of size bytes each, laid end to end at b (one UDP
 * GSO send, or a sendmmsg batch), with the numbers seq .. seq + n - 1
 * of stream; all get the one time now_ns (one clock read per send
 * call: they leave together). Returns n * size.
 */
size_t skit__udp_stamp_segs(char *b, size_t size, int n, uint32_t stream,
			    bool counted, uint64_t seq, int64_t now_ns);

/*
 * The datagrams in what one receive returned: n bytes at d, gso bytes
 * each (UDP GRO's gso_size; the last one may be shorter), or one
 * datagram when gso is 0. skit__udp_seg_next gives the next one's
 * start and length, false when there is none left.
 */
struct skit__udp_segs {
	const char *d;
	size_t n, gso, off;
};
void skit__udp_segs_init(struct skit__udp_segs *s, const char *d, size_t n,
			 size_t gso);
bool skit__udp_seg_next(struct skit__udp_segs *s, const char **p, size_t *len);

/*
 * The pacing of a stream at per_ns datagrams a nanosecond: what it owes
 * after dt_ns more, credit owed before. A stalled loop does not make up
 * for lost time at once: at most what catch_ms owe (a tick late by a
 * few ms, as on a busy machine, still keeps the rate), and never less
 * than min datagrams.
 */
double skit__udp_owed(double credit, double per_ns, int64_t dt_ns, int min,
		      int catch_ms);

/* A stats request (SKIT__UDP_CTL_LEN bytes at b): ask number ask of
 * stream, which sent `sent` counted datagrams. */
void skit__udp_ask(char *b, uint32_t stream, uint64_t ask, uint64_t sent);
/* Decode an answer (n bytes): false when it is not one. */
bool skit__udp_answer_read(const char *b, size_t n, struct skit__udp_answer *a);

/*
 * A discard server's streams: one count per (sender address, stream
 * number), at most SKIT__UDP_FLOWS of them (the one idle the longest
 * makes room for a new one; one idle 60 s starts again from zero).
 * Owned by one thread.
 */
struct skit__udp_flows;
int skit__udp_flows_new(struct skit__udp_flows **out);
void skit__udp_flows_free(struct skit__udp_flows *f);
/*
 * A datagram d of n bytes from `from` arrived at now_ns (skit_now_ns;
 * one reading will do for all that one receive brought): a counted data
 * datagram is counted; a stats request gets its answer written at ans
 * (SKIT__UDP_CTL_LEN bytes), and the answer's length is returned, for
 * the caller to send back to from; else 0.
 */
size_t skit__udp_flows_input(struct skit__udp_flows *f, const char *d, size_t n,
			     const struct sockaddr *from, socklen_t fromlen,
			     int64_t now_ns, char *ans);

#endif
