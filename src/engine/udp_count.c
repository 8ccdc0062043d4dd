/*
 * udp_count.c - counting the numbered datagrams of udp throughput (see
 * udp_count.h), for the client that gets them back from an echo server
 * and for a discard server that answers stats requests.
 */
#include "engine/udp_count.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "skit/bench.h" /* SKIT_BENCH_UDP_HDR */

#define FLOWS	   1024 /* streams a discard server keeps */
#define FLOW_IDLE  (60 * 1000000000LL)
#define ANSWER_LEN SKIT__UDP_CTL_LEN

static const char magic_data[4] = { 'S', 'K', 'I', 'T' };
static const char magic_ask[4] = { 'S', 'K', 'I', 'Q' };
static const char magic_answer[4] = { 'S', 'K', 'I', 'A' };

/* Remember seq as seen; false when it was seen already. */
static bool
mark_seen(struct skit__udp_count *c, uint64_t seq)
{
	uint64_t off;

	if (seq >= c->win_base + SKIT__UDP_WIN) {
		uint64_t nb = seq - SKIT__UDP_WIN + 1;

		if (nb - c->win_base >= SKIT__UDP_WIN) {
			memset(c->seen, 0, sizeof(c->seen));
		} else {
			for (uint64_t k = c->win_base; k < nb; k++)
				c->seen[(k % SKIT__UDP_WIN) / 64] &=
					~(1ull << (k % 64));
		}
		c->win_base = nb;
	}
	off = seq % SKIT__UDP_WIN;
	if (c->seen[off / 64] & (1ull << (off % 64)))
		return false;
	c->seen[off / 64] |= 1ull << (off % 64);
	return true;
}

bool
skit__udp_count_add(struct skit__udp_count *c, uint64_t seq, size_t n,
		    int64_t transit)
{
	if (seq + SKIT__UDP_WIN < c->expected) {
		c->ooo++; /* too old to tell: counted late, not again */
		return false;
	}
	if (!mark_seen(c, seq)) {
		c->dup++;
		return false;
	}
	c->recv++;
	c->bytes += n;
	if (seq + 1 > c->expected)
		c->expected = seq + 1;
	else
		c->ooo++;
	if (c->have_transit) {
		int64_t d = skit__udp_ns_diff(transit, c->last_transit);
		uint64_t ad = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;

		c->jitter += ((double)ad - c->jitter) / 16.0;
	}
	c->last_transit = transit;
	c->have_transit = true;
	return true;
}

/* --- the wire ---------------------------------------------------------- */

enum skit__udp_kind
skit__udp_kind(const char *d, size_t n)
{
	if (n >= SKIT_BENCH_UDP_HDR && memcmp(d, magic_data, 4) == 0)
		return SKIT__UDP_DATA;
	if (n >= SKIT__UDP_CTL_LEN && memcmp(d, magic_ask, 4) == 0)
		return SKIT__UDP_ASK;
	if (n >= ANSWER_LEN && memcmp(d, magic_answer, 4) == 0)
		return SKIT__UDP_ANSWER;
	return SKIT__UDP_OTHER;
}

static void
put32(char *b, uint32_t v)
{
	v = htobe32(v);
	memcpy(b, &v, 4);
}

static void
put64(char *b, uint64_t v)
{
	v = htobe64(v);
	memcpy(b, &v, 8);
}

static uint32_t
get32(const char *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return be32toh(v);
}

static uint64_t
get64(const char *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return be64toh(v);
}

void
skit__udp_stamp(char *b, uint32_t stream, bool counted, uint64_t seq,
		int64_t now_ns)
{
	memcpy(b, magic_data, 4);
	put32(b + 4, stream | (counted ? SKIT__UDP_STREAM_COUNTED : 0));
	put64(b + 8, seq);
	put64(b + 16, (uint64_t)now_ns);
}

void
skit__udp_unstamp(const char *b, uint32_t *stream, bool *counted, uint64_t *seq,
		  int64_t *t_ns)
{
	uint32_t s = get32(b + 4);

	*stream = s & ~SKIT__UDP_STREAM_COUNTED;
	*counted = (s & SKIT__UDP_STREAM_COUNTED) != 0;
	*seq = get64(b + 8);
	*t_ns = (int64_t)get64(b + 16);
}

double
skit__udp_owed(double credit, double per_ns, int64_t dt_ns, int min,
	       int catch_ms)
{
	double cap = per_ns * (double)catch_ms * 1e6;

	if (cap < min)
		cap = min;
	credit += per_ns * (double)dt_ns;
	return credit > cap ? cap : credit;
}

size_t
skit__udp_stamp_segs(char *b, size_t size, int n, uint32_t stream, bool counted,
		     uint64_t seq, int64_t now_ns)
{
	for (int i = 0; i < n; i++)
		skit__udp_stamp(b + (size_t)i * size, stream, counted,
				seq + (uint64_t)i, now_ns);
	return (size_t)n * size;
}

void
skit__udp_segs_init(struct skit__udp_segs *s, const char *d, size_t n,
		    size_t gso)
{
	s->d = d;
	s->n = n;
	s->gso = gso ? gso : n;
	s->off = 0;
}

bool
skit__udp_seg_next(struct skit__udp_segs *s, const char **p, size_t *len)
{
	size_t l;

	/* An empty datagram is one (n 0, gso 0): given once. */
	if (s->off > s->n || (s->off == s->n && s->n))
		return false;
	l = s->n - s->off < s->gso ? s->n - s->off : s->gso;
	*p = s->d + s->off;
	*len = l;
	s->off += l ? l : 1;
	return true;
}

void
skit__udp_ask(char *b, uint32_t stream, uint64_t ask, uint64_t sent)
{
	memset(b, 0, SKIT__UDP_CTL_LEN);
	memcpy(b, magic_ask, 4);
	put32(b + 4, stream);
	put64(b + 8, ask);
	put64(b + 16, sent);
}

bool
skit__udp_answer_read(const char *b, size_t n, struct skit__udp_answer *a)
{
	if (skit__udp_kind(b, n) != SKIT__UDP_ANSWER)
		return false;
	a->stream = get32(b + 4);
	a->ask = get64(b + 8);
	a->recv = get64(b + 16);
	a->ooo = get64(b + 24);
	a->dup = get64(b + 32);
	a->jitter_ns = get64(b + 40);
	a->bytes = get64(b + 48);
	a->expected = get64(b + 56);
	return true;
}

/* --- a discard server's streams ---------------------------------------- */

struct flow {
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint32_t stream;
	int64_t last_ns;
	struct skit__udp_count c;
};

struct skit__udp_flows {
	int n;
	struct flow *slot[FLOWS]; /* open addressing, never emptied */
	struct flow *last;	  /* the one flow_get gave last */
};

int
skit__udp_flows_new(struct skit__udp_flows **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void
skit__udp_flows_free(struct skit__udp_flows *f)
{
	if (!f)
		return;
	for (int i = 0; i < FLOWS; i++)
		free(f->slot[i]);
	free(f);
}

static unsigned
flow_hash(const struct sockaddr *from, socklen_t len, uint32_t stream)
{
	const unsigned char *p = (const unsigned char *)from;
	uint32_t h = 2166136261u ^ stream;

	for (socklen_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % FLOWS;
}

static bool
flow_is(const struct flow *fl, const struct sockaddr *from, socklen_t len,
	uint32_t stream)
{
	return fl->stream == stream && fl->fromlen == len &&
	       memcmp(&fl->from, from, (size_t)len) == 0;
}

/* The flow of (from, stream): found, or made (the oldest one's slot
 * when all are taken); NULL when out of memory or create is false and
 * there is none. */
static struct flow *
flow_get(struct skit__udp_flows *f, const struct sockaddr *from, socklen_t len,
	 uint32_t stream, int64_t now, bool create)
{
	unsigned h;
	struct flow *fl = NULL, *oldest = NULL;

	if (len > (socklen_t)sizeof(fl->from))
		return NULL;
	/* The datagrams of one GRO receive come from one sender, and a
	 * stream's come in runs: the last one first, without the hash. */
	fl = f->last;
	if (fl && flow_is(fl, from, len, stream)) {
		if (now - fl->last_ns > FLOW_IDLE)
			memset(&fl->c, 0, sizeof(fl->c));
		fl->last_ns = now;
		return fl;
	}
	fl = NULL;
	h = flow_hash(from, len, stream);
	for (int i = 0; i < FLOWS; i++) {
		struct flow *x = f->slot[(h + (unsigned)i) % FLOWS];

		if (!x) {
			if (!create)
				return NULL;
			fl = calloc(1, sizeof(*fl));
			if (!fl)
				return NULL;
			f->slot[(h + (unsigned)i) % FLOWS] = fl;
			f->n++;
			break;
		}
		if (flow_is(x, from, len, stream)) {
			if (now - x->last_ns > FLOW_IDLE)
				memset(&x->c, 0, sizeof(x->c));
			x->last_ns = now;
			f->last = x;
			return x;
		}
		if (!oldest || x->last_ns < oldest->last_ns)
			oldest = x;
	}
	if (!fl) {
		if (!create)
			return NULL;
		fl = oldest; /* every slot taken: the one idle longest */
	}
	memset(fl, 0, sizeof(*fl));
	memcpy(&fl->from, from, (size_t)len);
	fl->fromlen = len;
	fl->stream = stream;
	fl->last_ns = now;
	f->last = fl;
	return fl;
}

size_t
skit__udp_flows_input(struct skit__udp_flows *f, const char *d, size_t n,
		      const struct sockaddr *from, socklen_t fromlen,
		      int64_t now_ns, char *ans)
{
	enum skit__udp_kind k = skit__udp_kind(d, n);
	struct flow *fl;
	uint32_t stream;

	if (k == SKIT__UDP_DATA) {
		uint64_t seq;
		int64_t t;
		bool counted;

		skit__udp_unstamp(d, &stream, &counted, &seq, &t);
		if (!counted)
			return 0; /* the warm-up's */
		fl = flow_get(f, from, fromlen, stream, now_ns, true);
		if (fl)
			skit__udp_count_add(&fl->c, seq, n,
					    skit__udp_ns_diff(now_ns, t));
		return 0;
	}
	if (k != SKIT__UDP_ASK)
		return 0;
	stream = get32(d + 4);
	/* A stream never seen: all zero, every datagram it sent was lost. */
	fl = flow_get(f, from, fromlen, stream, now_ns, false);
	memset(ans, 0, ANSWER_LEN);
	memcpy(ans, magic_answer, 4);
	put32(ans + 4, stream);
	memcpy(ans + 8, d + 8, 8); /* the request's number */
	if (fl) {
		put64(ans + 16, fl->c.recv);
		put64(ans + 24, fl->c.ooo);
		put64(ans + 32, fl->c.dup);
		put64(ans + 40, (uint64_t)(fl->c.jitter + 0.5));
		put64(ans + 48, fl->c.bytes);
		put64(ans + 56, fl->c.expected);
	}
	return ANSWER_LEN;
}
