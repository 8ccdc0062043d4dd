/*
 * test_acl.c - CIDR blocks and allow/deny lists (skit/acl.h): the parser
 * (good and bad spellings), formatting, matching with IPv4-mapped peers,
 * and the acl's rules (deny wins, allow when any, non-IP peers pass).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "skit/acl.h"

/* A peer from text: "1.2.3.4" or "::1" (never a name). */
static struct sockaddr_storage
peer(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static bool
match(const char *cidr, const char *addr)
{
	struct skit_cidr c;
	struct sockaddr_storage ss = peer(addr);

	assert_int_equal(skit_cidr_parse(cidr, strlen(cidr), &c), 0);
	return skit_cidr_match(&c, (struct sockaddr *)&ss);
}

static void
test_parse(void **state)
{
	static const struct {
		const char *text;
		int family, prefix;
		const char *canon;
	} good[] = {
		{ "10.0.0.0/8", AF_INET, 8, "10.0.0.0/8" },
		{ "127.0.0.1", AF_INET, 32, "127.0.0.1/32" },
		{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0/0" },
		{ "10.1.2.3/8", AF_INET, 8, "10.1.2.3/8" },
		{ "::1", AF_INET6, 128, "::1/128" },
		{ "fe80::/10", AF_INET6, 10, "fe80::/10" },
		{ "[fd00::]/8", AF_INET6, 8, "fd00::/8" },
		{ "[::1]", AF_INET6, 128, "::1/128" },
		{ "::/0", AF_INET6, 0, "::/0" },
		{ "::ffff:10.0.0.0/104", AF_INET6, 104, "::ffff:10.0.0.0/104" },
		{ "10.0.0.0/008", AF_INET, 8, "10.0.0.0/8" },
	};
	static const char *const bad[] = {
		"",
		"/8",
		"10.0.0.0/",
		"10.0.0.0/33",
		"::/129",
		"10.0.0.0/-1",
		"10.0.0.0/+8",
		"10.0.0.0/ 8",
		"10.0.0.0/8 ",
		" 10.0.0.0",
		"10.0.0",
		"10.0.0.0.0",
		"host",
		"[10.0.0.0]/8",
		"[::1",
		"::1]",
		"fe80::1%lo",
		"10.0.0.0/8/8",
		"10.0.0.0/1000",
		"1.2.3.4/x",
	};
	struct skit_cidr c;
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		if (skit_cidr_parse(good[i].text, strlen(good[i].text), &c))
			fail_msg("'%s' should parse", good[i].text);
		assert_int_equal(c.family, good[i].family);
		assert_int_equal(c.prefix, good[i].prefix);
		assert_true(skit_cidr_format(&c, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, good[i].canon);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&c, 0x55, sizeof(c));
		if (skit_cidr_parse(bad[i], strlen(bad[i]), &c) != -EINVAL)
			fail_msg("'%s' should not parse", bad[i]);
		assert_int_equal(c.family, 0);
	}
	/* n bytes, not up to a NUL; an embedded NUL is junk. */
	assert_int_equal(skit_cidr_parse("10.0.0.0/8xyz", 10, &c), 0);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(skit_cidr_parse("10.0.0.0\0/8", 11, &c), -EINVAL);
	assert_int_equal(skit_cidr_parse(NULL, 0, &c), -EINVAL);
	memset(&c, 0, sizeof(c));
	assert_int_equal(skit_cidr_format(&c, buf, sizeof(buf)), -EINVAL);
}

static void
test_match(void **state)
{
	(void)state;
	assert_true(match("10.0.0.0/8", "10.200.3.4"));
	assert_false(match("10.0.0.0/8", "11.0.0.1"));
	assert_true(match("10.1.2.3/8", "10.9.9.9")); /* host bits ignored */
	assert_true(match("0.0.0.0/0", "192.0.2.1"));
	assert_true(match("192.0.2.128/25", "192.0.2.200"));
	assert_false(match("192.0.2.128/25", "192.0.2.127"));
	assert_true(match("127.0.0.1", "127.0.0.1"));
	assert_false(match("127.0.0.1", "127.0.0.2"));
	/* IPv4-mapped IPv6 peers match IPv4 blocks (dual-stack listener) */
	assert_true(match("10.0.0.0/8", "::ffff:10.1.2.3"));
	assert_false(match("10.0.0.0/8", "::ffff:11.1.2.3"));
	/* ... but a plain IPv6 peer does not, nor IPv4 an IPv6 block */
	assert_false(match("0.0.0.0/0", "::1"));
	assert_false(match("::/0", "127.0.0.1"));
	assert_true(match("::/0", "::ffff:127.0.0.1"));
	assert_true(match("fe80::/10", "fe80::1"));
	assert_true(match("fe80::/10", "febf::1"));
	assert_false(match("fe80::/10", "fec0::1"));
	assert_true(match("::1", "::1"));
	assert_false(match("::1", "::2"));
}

static void
test_acl_rules(void **state)
{
	struct skit_acl acl = SKIT_ACL_INIT;
	struct sockaddr_storage a;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct skit_cidr c;

	(void)state;
	assert_true(skit_acl_empty(&acl));
	a = peer("192.0.2.1");
	assert_true(skit_acl_permits(&acl, (struct sockaddr *)&a));
	assert_true(skit_acl_permits(NULL, (struct sockaddr *)&a));
	assert_true(skit_acl_permits(&acl, NULL));

	/* deny only: everyone else passes */
	assert_int_equal(skit_acl_add(&acl, false, "127.0.0.2"), 0);
	assert_false(skit_acl_empty(&acl));
	a = peer("127.0.0.2");
	assert_false(skit_acl_permits(&acl, (struct sockaddr *)&a));
	a = peer("::ffff:127.0.0.2");
	assert_false(skit_acl_permits(&acl, (struct sockaddr *)&a));
	a = peer("127.0.0.3");
	assert_true(skit_acl_permits(&acl, (struct sockaddr *)&a));

	/* an allow list: only its blocks, and deny still wins */
	assert_int_equal(skit_acl_add(&acl, true, "127.0.0.0/8"), 0);
	assert_int_equal(skit_cidr_parse("::1", 3, &c), 0);
	assert_int_equal(skit_acl_add_cidr(&acl, true, &c), 0);
	a = peer("127.0.0.3");
	assert_true(skit_acl_permits(&acl, (struct sockaddr *)&a));
	a = peer("127.0.0.2");
	assert_false(skit_acl_permits(&acl, (struct sockaddr *)&a));
	a = peer("10.0.0.1");
	assert_false(skit_acl_permits(&acl, (struct sockaddr *)&a));
	a = peer("::1");
	assert_true(skit_acl_permits(&acl, (struct sockaddr *)&a));
	a = peer("::2");
	assert_false(skit_acl_permits(&acl, (struct sockaddr *)&a));

	/* non-IP peers are not filtered */
	assert_true(skit_acl_permits(&acl, (struct sockaddr *)&un));

	/* a bad block changes nothing */
	assert_int_equal(skit_acl_add(&acl, true, "10.0.0.0/33"), -EINVAL);
	assert_int_equal(skit_acl_add(&acl, true, NULL), -EINVAL);
	memset(&c, 0, sizeof(c));
	assert_int_equal(skit_acl_add_cidr(&acl, true, &c), -EINVAL);
	assert_int_equal(acl.nallow, 2);
	assert_int_equal(acl.ndeny, 1);

	skit_acl_free(&acl);
	assert_true(skit_acl_empty(&acl));
	assert_null(acl.allow);
	skit_acl_free(&acl); /* twice is fine */
	skit_acl_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_acl_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
