/*
 * test_icmp.c - ICMP/ICMPv6 echo build, checksum and reply/error parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "skit/icmp.h"

static void
test_cksum_rfc1071(void **state)
{
	/* The worked example of RFC 1071 section 3. */
	const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(skit_inet_cksum(b, sizeof(b)), 0x220d);
	/* Odd length: the last byte is padded with zero. */
	assert_int_equal(skit_inet_cksum(b, 1), (uint16_t)~0x0000);
	assert_int_equal(skit_inet_cksum(b, 3), (uint16_t) ~(0x0001 + 0xf200));
}

static void
test_build_echo(void **state)
{
	uint8_t buf[64], small[10];
	const char payload[] = "abcdefgh";

	(void)state;
	assert_int_equal(skit_icmp_build_echo(AF_INET, 0x1234, 7, payload, 8,
					      buf, sizeof(buf)),
			 16);
	assert_int_equal(buf[0], 8);
	assert_int_equal(buf[4], 0x12);
	assert_int_equal(buf[7], 7);
	assert_int_equal(skit_inet_cksum(buf, 16), 0); /* checksum valid */
	assert_memory_equal(buf + 8, payload, 8);

	assert_int_equal(skit_icmp_build_echo(AF_INET6, 1, 2, payload, 8, buf,
					      sizeof(buf)),
			 16);
	assert_int_equal(buf[0], 128);
	assert_int_equal(buf[2] | buf[3], 0); /* the kernel fills it */

	assert_int_equal(skit_icmp_build_echo(AF_INET, 1, 2, payload, 8, small,
					      sizeof(small)),
			 -EMSGSIZE);
	assert_int_equal(
		skit_icmp_build_echo(AF_UNIX, 1, 2, NULL, 0, buf, sizeof(buf)),
		-EAFNOSUPPORT);
}

/* An IPv4 header for proto with total length tot, src and dst. */
static void
ip4(uint8_t *p, size_t tot, uint8_t proto, uint8_t ttl, const char *src,
    const char *dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = ttl;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
}

static size_t
reply4(uint8_t *buf, bool iphdr, uint16_t id, uint16_t seq)
{
	uint8_t *icmp = iphdr ? buf + 20 : buf;
	const char data[] = "TOKEN123rest";

	skit_icmp_build_echo(AF_INET, id, seq, data, 12, icmp, 64);
	icmp[0] = 0;
	icmp[2] = icmp[3] = 0;
	{
		uint16_t c = skit_inet_cksum(icmp, 20);

		icmp[2] = (uint8_t)(c >> 8);
		icmp[3] = (uint8_t)c;
	}
	if (iphdr)
		ip4(buf, 40, 1, 63, "10.0.0.2", "10.0.0.1");
	return iphdr ? 40 : 20;
}

static void
test_parse_reply4(void **state)
{
	uint8_t buf[128];
	struct skit_icmp_msg m;
	size_t n;

	(void)state;
	n = reply4(buf, false, 0xbeef, 3);
	assert_int_equal(skit_icmp_parse(AF_INET, false, buf, n, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_REPLY);
	assert_int_equal(m.id, 0xbeef);
	assert_int_equal(m.seq, 3);
	assert_true(m.cksum_ok);
	assert_int_equal(m.datalen, 12);
	assert_memory_equal(m.data, "TOKEN123", 8);
	assert_int_equal(m.ttl, -1);

	n = reply4(buf, true, 0xbeef, 4);
	assert_int_equal(skit_icmp_parse(AF_INET, true, buf, n, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_REPLY);
	assert_int_equal(m.seq, 4);
	assert_int_equal(m.ttl, 63);
	assert_true(m.has_ip_src);

	/* A flipped bit breaks the checksum. */
	buf[30] ^= 1;
	assert_int_equal(skit_icmp_parse(AF_INET, true, buf, n, &m), 0);
	assert_false(m.cksum_ok);

	/* Ethernet-style padding after the datagram is ignored. */
	n = reply4(buf, true, 1, 5);
	memset(buf + n, 0xaa, 6);
	assert_int_equal(skit_icmp_parse(AF_INET, true, buf, n + 6, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_REPLY);
	assert_true(m.cksum_ok);
	assert_int_equal(m.datalen, 12);
}

static void
test_parse_error4(void **state)
{
	uint8_t buf[128];
	struct skit_icmp_msg m;
	struct in_addr want;

	(void)state;
	/* outer IP | ICMP time exceeded | quoted IP | quoted echo header */
	ip4(buf, 20 + 8 + 20 + 8, 1, 64, "10.0.0.254", "10.0.0.1");
	memset(buf + 20, 0, 8);
	buf[20] = 11;
	ip4(buf + 28, 84, 1, 1, "10.0.0.1", "10.9.9.9");
	skit_icmp_build_echo(AF_INET, 0x4242, 9, NULL, 0, buf + 48, 8);
	assert_int_equal(skit_icmp_parse(AF_INET, true, buf, 56, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_ERROR);
	assert_int_equal(m.type, 11);
	assert_int_equal(m.orig_id, 0x4242);
	assert_int_equal(m.orig_seq, 9);
	inet_pton(AF_INET, "10.9.9.9", &want);
	assert_memory_equal(&m.orig_dst, &want, 4);
	assert_string_equal(skit_icmp_describe(AF_INET, m.type, m.code),
			    "Time to live exceeded");

	/* The quoted packet cut short: not an error we can match. */
	assert_int_equal(skit_icmp_parse(AF_INET, true, buf, 52, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_OTHER);

	/* Quoting something that is not an echo request. */
	buf[48] = 13;
	assert_int_equal(skit_icmp_parse(AF_INET, true, buf, 56, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_OTHER);
}

static void
test_parse_v6(void **state)
{
	uint8_t buf[128];
	struct skit_icmp_msg m;

	(void)state;
	skit_icmp_build_echo(AF_INET6, 7, 8, "TOKEN123", 8, buf, sizeof(buf));
	buf[0] = 129;
	assert_int_equal(skit_icmp_parse(AF_INET6, false, buf, 16, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_REPLY);
	assert_int_equal(m.seq, 8);
	assert_true(m.cksum_ok);

	/* Our own request (seen on lo by a raw socket) is not a reply. */
	buf[0] = 128;
	assert_int_equal(skit_icmp_parse(AF_INET6, false, buf, 16, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_OTHER);

	/* Destination unreachable quoting our echo. */
	memset(buf, 0, sizeof(buf));
	buf[0] = 1;
	buf[1] = 3;
	buf[8] = 0x60;
	buf[8 + 6] = 58;
	buf[8 + 7] = 1;
	inet_pton(AF_INET6, "fd00::9", buf + 8 + 24);
	skit_icmp_build_echo(AF_INET6, 5, 6, NULL, 0, buf + 48, 8);
	assert_int_equal(skit_icmp_parse(AF_INET6, false, buf, 56, &m), 0);
	assert_int_equal(m.cls, SKIT_ICMP_ERROR);
	assert_int_equal(m.orig_seq, 6);
	assert_string_equal(skit_icmp_describe(AF_INET6, 1, 3),
			    "Destination unreachable: Address unreachable");
	assert_string_equal(skit_icmp_kind_name(AF_INET6, 3), "time-exceeded");
}

static void
test_every_prefix(void **state)
{
	uint8_t buf[128];
	struct skit_icmp_msg m;
	size_t n = reply4(buf, true, 1, 1);

	(void)state;
	/* Each cut gives a verdict and never reads past the cut (ASan). */
	for (size_t k = 0; k <= n; k++) {
		uint8_t *copy = malloc(k ? k : 1);

		memcpy(copy, buf, k);
		assert_int_equal(skit_icmp_parse(AF_INET, true, copy, k, &m),
				 0);
		if (k < 28)
			assert_int_equal(m.cls, SKIT_ICMP_MALFORMED);
		free(copy);
	}
	assert_int_equal(skit_icmp_parse(AF_UNIX, false, buf, n, &m),
			 -EAFNOSUPPORT);
}

static void
test_quoted(void **state)
{
	uint8_t buf[16];
	uint16_t id, seq;

	(void)state;
	skit_icmp_build_echo(AF_INET, 0x0102, 0x0304, NULL, 0, buf, 16);
	assert_int_equal(skit_icmp_parse_quoted(AF_INET, buf, 8, &id, &seq), 0);
	assert_int_equal(id, 0x0102);
	assert_int_equal(seq, 0x0304);
	assert_int_equal(skit_icmp_parse_quoted(AF_INET, buf, 7, &id, &seq),
			 -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cksum_rfc1071),
		cmocka_unit_test(test_build_echo),
		cmocka_unit_test(test_parse_reply4),
		cmocka_unit_test(test_parse_error4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_quoted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
