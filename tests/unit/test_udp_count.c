/*
 * test_udp_count.c - udp throughput's counting (engine/udp_count.h):
 * distinct, out-of-order and duplicate datagrams and RFC 3550 jitter;
 * the header and the stats request/answer on the wire; a discard
 * server's streams, one count per sender and stream number; the
 * datagrams of one GSO send (stamped end to end) and of one GRO
 * receive (split by the segment size, the last one short).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "engine/udp_count.h"
#include "skit/bench.h" /* SKIT_BENCH_UDP_HDR */
#include "skit/loop.h"	/* skit_now_ns */

static void
test_count(void **state)
{
	struct skit__udp_count *c = calloc(1, sizeof(*c));

	(void)state;
	for (uint64_t s = 0; s < 10; s++)
		assert_true(skit__udp_count_add(c, s, 100, 1000));
	assert_int_equal(c->recv, 10);
	assert_int_equal(c->bytes, 1000);
	assert_int_equal(c->expected, 10);
	assert_int_equal(c->ooo, 0);
	assert_true(c->jitter == 0.0); /* constant transit */
	assert_false(skit__udp_count_add(c, 5, 100, 1000));
	assert_int_equal(c->dup, 1);
	/* 12 before 11: 11 is out of order, 10 is missing (not counted). */
	assert_true(skit__udp_count_add(c, 12, 100, 1000));
	assert_true(skit__udp_count_add(c, 11, 100, 1000 + 160));
	assert_int_equal(c->ooo, 1);
	assert_int_equal(c->recv, 12);
	assert_int_equal(c->expected, 13);
	/* J += (|D| - J) / 16: 160 / 16 */
	assert_true(c->jitter > 9.99 && c->jitter < 10.01);
	free(c);
}

/* Send times come off the wire: any value, and no signed overflow
 * (the sanitizer build aborts on one) in the transit or the jitter. */
static void
test_count_wild_times(void **state)
{
	struct skit__udp_count *c = calloc(1, sizeof(*c));

	(void)state;
	assert_int_equal(skit__udp_ns_diff(INT64_MIN, 1), INT64_MAX);
	assert_int_equal(skit__udp_ns_diff(5, 7), -2);
	assert_true(skit__udp_count_add(c, 0, 1, INT64_MAX));
	assert_true(skit__udp_count_add(c, 1, 1, INT64_MIN));
	assert_true(skit__udp_count_add(c, 2, 1, INT64_MAX));
	assert_true(c->jitter > 0 && c->jitter < 1e19);
	free(c);
}

static void
test_count_window(void **state)
{
	struct skit__udp_count *c = calloc(1, sizeof(*c));

	(void)state;
	assert_true(skit__udp_count_add(c, 0, 1, 0));
	assert_true(skit__udp_count_add(c, 1, 1, 0));
	/* Far ahead: the window moves past 0 and 1. */
	assert_true(skit__udp_count_add(c, SKIT__UDP_WIN + 10, 1, 0));
	/* Too old to tell a duplicate from a late one: counted late. */
	assert_false(skit__udp_count_add(c, 1, 1, 0));
	assert_int_equal(c->ooo, 1);
	assert_int_equal(c->dup, 0);
	/* Within the window, not seen: a late one, counted. */
	assert_true(skit__udp_count_add(c, SKIT__UDP_WIN + 5, 1, 0));
	assert_int_equal(c->recv, 4);
	assert_int_equal(c->ooo, 2);
	free(c);
}

static void
test_wire(void **state)
{
	char b[SKIT__UDP_CTL_LEN];
	uint32_t stream;
	bool counted;
	uint64_t seq;
	int64_t t;

	(void)state;
	skit__udp_stamp(b, 7, true, 123456789012ull, 42);
	assert_int_equal(skit__udp_kind(b, 24), SKIT__UDP_DATA);
	assert_int_equal(skit__udp_kind(b, 23), SKIT__UDP_OTHER);
	assert_memory_equal(b, "SKIT\x80\0\0\x07", 8);
	skit__udp_unstamp(b, &stream, &counted, &seq, &t);
	assert_int_equal(stream, 7);
	assert_true(counted);
	assert_int_equal(seq, 123456789012ull);
	assert_int_equal(t, 42);
	skit__udp_stamp(b, 7, false, 1, 42);
	skit__udp_unstamp(b, &stream, &counted, &seq, &t);
	assert_false(counted);
	skit__udp_ask(b, 3, 9, 1000);
	assert_int_equal(skit__udp_kind(b, sizeof(b)), SKIT__UDP_ASK);
	/* A short request is not one (no answer larger than the question). */
	assert_int_equal(skit__udp_kind(b, sizeof(b) - 1), SKIT__UDP_OTHER);
}

static void
test_owed(void **state)
{
	/* 10 Gbit/s of 1460-byte datagrams: 856 a millisecond. */
	double per_ns = 10e9 / 8 / 1460 / 1e9;

	(void)state;
	/* A tick on time owes one millisecond's. */
	assert_int_equal((int)skit__udp_owed(0, per_ns, 1000000, 512, 10), 856);
	/* One 3 ms late makes them up, past 512 (the floor of the cap). */
	assert_int_equal((int)skit__udp_owed(0, per_ns, 3000000, 512, 10),
			 2568);
	assert_int_equal((int)skit__udp_owed(100, per_ns, 3000000, 512, 10),
			 2668);
	/* A stall makes up catch_ms at most. */
	assert_int_equal((int)skit__udp_owed(0, per_ns, 1000000000, 512, 10),
			 8561);
	/* A slow stream: at most min (512), as long a stall as it takes. */
	assert_int_equal(
		(int)skit__udp_owed(0, 85.6 / 1e9, 1000000000, 512, 10), 85);
	assert_int_equal(
		(int)skit__udp_owed(0, 85.6 / 1e9, 60000000000, 512, 10), 512);
}

static void
test_stamp_segs(void **state)
{
	char b[5 * 100 + 1];
	uint32_t stream;
	bool counted;
	uint64_t seq;
	int64_t t;

	(void)state;
	memset(b, 'x', sizeof(b));
	assert_int_equal(skit__udp_stamp_segs(b, 100, 5, 3, true, 1000, 77),
			 500);
	for (int i = 0; i < 5; i++) {
		const char *d = b + i * 100;

		assert_int_equal(skit__udp_kind(d, 100), SKIT__UDP_DATA);
		skit__udp_unstamp(d, &stream, &counted, &seq, &t);
		assert_int_equal(stream, 3);
		assert_true(counted);
		assert_int_equal(seq, 1000 + i);
		assert_int_equal(t, 77);
		/* The payload after each header is left alone. */
		assert_int_equal(d[SKIT_BENCH_UDP_HDR], 'x');
		assert_int_equal(d[99], 'x');
	}
	assert_int_equal(b[500], 'x'); /* nothing past the fifth */
	assert_int_equal(skit__udp_stamp_segs(b, 100, 0, 3, true, 1, 1), 0);
}

/* Split n bytes by gso into at most 8 lengths; how many. */
static int
split(const char *d, size_t n, size_t gso, size_t *lens, const char **at)
{
	struct skit__udp_segs s;
	const char *p;
	size_t len;
	int k = 0;

	skit__udp_segs_init(&s, d, n, gso);
	while (k < 8 && skit__udp_seg_next(&s, &p, &len)) {
		at[k] = p;
		lens[k++] = len;
	}
	return k;
}

static void
test_segs_split(void **state)
{
	char b[1000];
	const char *at[8];
	size_t lens[8];

	(void)state;
	memset(b, 0, sizeof(b));
	/* Three whole segments and a short last one. */
	assert_int_equal(split(b, 3 * 100 + 64, 100, lens, at), 4);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lens[i], 100);
		assert_ptr_equal(at[i], b + i * 100);
	}
	assert_int_equal(lens[3], 64);
	assert_ptr_equal(at[3], b + 300);
	/* Exactly whole segments: no empty one at the end. */
	assert_int_equal(split(b, 300, 100, lens, at), 3);
	assert_int_equal(lens[2], 100);
	/* No GRO (gso 0), or one shorter than the segment size: one. */
	assert_int_equal(split(b, 300, 0, lens, at), 1);
	assert_int_equal(lens[0], 300);
	assert_int_equal(split(b, 64, 100, lens, at), 1);
	assert_int_equal(lens[0], 64);
	/* An empty datagram is still one. */
	assert_int_equal(split(b, 0, 0, lens, at), 1);
	assert_int_equal(lens[0], 0);
}

/* A GRO receive counted segment by segment at a discard server: every
 * one of them, the short stats request at the end answered. */
static void
test_flows_gro(void **state)
{
	struct skit__udp_flows *f;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	char b[4 * 200 + SKIT__UDP_CTL_LEN], ans[SKIT__UDP_CTL_LEN];
	struct skit__udp_answer r;
	struct skit__udp_segs s;
	const char *p;
	size_t len, out = 0;
	int k = 0;

	(void)state;
	assert_int_equal(skit__udp_flows_new(&f), 0);
	memset(b, 'x', sizeof(b));
	skit__udp_stamp_segs(b, 200, 4, 1, true, 0, 5);
	skit__udp_ask(b + 800, 1, 1, 4);
	skit__udp_segs_init(&s, b, sizeof(b), 200);
	while (skit__udp_seg_next(&s, &p, &len)) {
		out = skit__udp_flows_input(f, p, len,
					    (const struct sockaddr *)&a,
					    sizeof(a), 10, ans);
		k++;
	}
	assert_int_equal(k, 5);
	assert_int_equal(out, SKIT__UDP_CTL_LEN);
	assert_true(skit__udp_answer_read(ans, sizeof(ans), &r));
	assert_int_equal(r.recv, 4);
	assert_int_equal(r.bytes, 800);
	assert_int_equal(r.expected, 4);
	assert_int_equal(r.ooo + r.dup, 0);
	skit__udp_flows_free(f);
}

static void
data(struct skit__udp_flows *f, const struct sockaddr_in *from, uint32_t stream,
     bool counted, uint64_t seq)
{
	char b[100], ans[SKIT__UDP_CTL_LEN];

	memset(b, 'x', sizeof(b));
	skit__udp_stamp(b, stream, counted, seq, 0);
	assert_int_equal(skit__udp_flows_input(
				 f, b, sizeof(b), (const struct sockaddr *)from,
				 sizeof(*from), skit_now_ns(), ans),
			 0);
}

static struct skit__udp_answer
ask(struct skit__udp_flows *f, const struct sockaddr_in *from, uint32_t stream,
    uint64_t n)
{
	char b[SKIT__UDP_CTL_LEN], ans[SKIT__UDP_CTL_LEN];
	struct skit__udp_answer a;

	skit__udp_ask(b, stream, n, 0);
	assert_int_equal(skit__udp_flows_input(
				 f, b, sizeof(b), (const struct sockaddr *)from,
				 sizeof(*from), skit_now_ns(), ans),
			 SKIT__UDP_CTL_LEN);
	assert_true(skit__udp_answer_read(ans, sizeof(ans), &a));
	assert_int_equal(a.stream, stream);
	assert_int_equal(a.ask, n);
	return a;
}

static void
test_flows(void **state)
{
	struct skit__udp_flows *f;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(5000),
				 .sin_addr.s_addr = htonl(0x7f000001) };
	struct sockaddr_in b = a;
	struct skit__udp_answer r;
	char ans[SKIT__UDP_CTL_LEN];

	(void)state;
	b.sin_port = htons(5001);
	assert_int_equal(skit__udp_flows_new(&f), 0);
	data(f, &a, 0, false, 0); /* the warm-up's: not counted */
	for (uint64_t s = 1; s <= 5; s++)
		data(f, &a, 0, true, s);
	data(f, &a, 0, true, 3); /* a duplicate */
	data(f, &a, 1, true, 0); /* another stream, same sender */
	data(f, &b, 0, true, 9); /* another sender, same stream number */
	data(f, &b, 0, true, 8); /* out of order */
	r = ask(f, &a, 0, 1);
	assert_int_equal(r.recv, 5);
	assert_int_equal(r.dup, 1);
	assert_int_equal(r.ooo, 0);
	assert_int_equal(r.bytes, 500);
	assert_int_equal(r.expected, 6);
	r = ask(f, &a, 1, 2);
	assert_int_equal(r.recv, 1);
	r = ask(f, &b, 0, 3);
	assert_int_equal(r.recv, 2);
	assert_int_equal(r.ooo, 1);
	/* A stream never seen: all zero. */
	r = ask(f, &b, 7, 4);
	assert_int_equal(r.recv, 0);
	assert_int_equal(r.expected, 0);
	/* Anything else: no answer. */
	assert_int_equal(skit__udp_flows_input(f, "hello", 5,
					       (const struct sockaddr *)&a,
					       sizeof(a), skit_now_ns(), ans),
			 0);
	skit__udp_flows_free(f);
}

/* More streams than the table holds: the one idle longest makes room. */
static void
test_flows_full(void **state)
{
	struct skit__udp_flows *f;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(5000),
				 .sin_addr.s_addr = htonl(0x7f000001) };

	(void)state;
	assert_int_equal(skit__udp_flows_new(&f), 0);
	for (uint32_t s = 0; s < 3000; s++)
		data(f, &a, s, true, 0);
	assert_int_equal(ask(f, &a, 2999, 1).recv, 1);
	skit__udp_flows_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_count_window),
		cmocka_unit_test(test_count_wild_times),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_owed),
		cmocka_unit_test(test_stamp_segs),
		cmocka_unit_test(test_segs_split),
		cmocka_unit_test(test_flows_gro),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_flows_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
