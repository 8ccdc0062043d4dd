/*
 * test_udp_count.c - udp throughput's counting (engine/udp_count.h):
 * distinct, out-of-order and duplicate datagrams and RFC 3550 jitter;
 * the header and the stats request/answer on the wire; a discard
 * server's streams, one count per sender and stream number.
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
data(struct skit__udp_flows *f, const struct sockaddr_in *from, uint32_t stream,
     bool counted, uint64_t seq)
{
	char b[100], ans[SKIT__UDP_CTL_LEN];

	memset(b, 'x', sizeof(b));
	skit__udp_stamp(b, stream, counted, seq, 0);
	assert_int_equal(skit__udp_flows_input(f, b, sizeof(b),
					       (const struct sockaddr *)from,
					       sizeof(*from), ans),
			 0);
}

static struct skit__udp_answer
ask(struct skit__udp_flows *f, const struct sockaddr_in *from, uint32_t stream,
    uint64_t n)
{
	char b[SKIT__UDP_CTL_LEN], ans[SKIT__UDP_CTL_LEN];
	struct skit__udp_answer a;

	skit__udp_ask(b, stream, n, 0);
	assert_int_equal(skit__udp_flows_input(f, b, sizeof(b),
					       (const struct sockaddr *)from,
					       sizeof(*from), ans),
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
					       sizeof(a), ans),
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
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_flows_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
