/*
 * test_mcast.c - the multicast and broadcast address options: parsed
 * for udp, refused for other kinds, and applied by skit_open (the
 * socket's options read back with getsockopt). Joins and traffic
 * between namespaces are in tests/cli/multicast.bats.
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
#include <sys/socket.h>
#include <unistd.h>

#include "skit/skit.h"

static void
test_parse(void **state)
{
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	assert_int_equal(skit_addr_parse("udp:239.1.2.3:5000,join=239.1.2.3,"
					 "iface=lo,multicast-ttl=3,"
					 "multicast-loop=0,broadcast",
					 SKIT_ROLE_CONNECT, &a, &err),
			 0);
	assert_string_equal(skit_addr_str(&a, SKIT_OPT_JOIN), "239.1.2.3");
	assert_string_equal(skit_addr_str(&a, SKIT_OPT_IFACE), "lo");
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_MULTICAST_TTL, -1), 3);
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_MULTICAST_LOOP, -1), 0);
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_BROADCAST, -1), 1);
	/* socat's names. */
	assert_int_equal(skit_addr_parse("udp-recv:5000,ip-add-membership="
					 "239.1.2.3:eth0,so-broadcast,"
					 "ip-multicast-ttl=9",
					 SKIT_ROLE_LISTEN, &a, &err),
			 0);
	assert_string_equal(skit_addr_str(&a, SKIT_OPT_JOIN), "239.1.2.3:eth0");
	assert_int_equal(skit_addr_num(&a, SKIT_OPT_MULTICAST_TTL, -1), 9);
	assert_true(skit_addr_has(&a, SKIT_OPT_BROADCAST));
	/* Not for streams; the TTL is a byte. */
	assert_int_equal(skit_addr_parse("tcp:127.0.0.1:1,join=239.1.1.1",
					 SKIT_ROLE_CONNECT, &a, &err),
			 SKIT_EOPTION);
	assert_int_equal(skit_addr_parse("udp:127.0.0.1:1,multicast-ttl=256",
					 SKIT_ROLE_CONNECT, &a, &err),
			 SKIT_EOPTION);
	assert_int_equal(skit_addr_parse("unix-dgram:@x,broadcast",
					 SKIT_ROLE_CONNECT, &a, &err),
			 SKIT_EOPTION);
}

static int
get_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) < 0)
		return -errno;
	/* IP_MULTICAST_TTL/LOOP may come back as one byte. */
	return len == 1 ? (int)(unsigned char)v : v;
}

static void
test_open(void **state)
{
	struct skit_addr a;
	struct skit_err err;
	int fd;

	(void)state;
	assert_int_equal(skit_addr_parse("udp:127.0.0.1:9,multicast-ttl=5,"
					 "multicast-loop=0,broadcast",
					 SKIT_ROLE_CONNECT, &a, &err),
			 0);
	fd = skit_open(&a, SKIT_ROLE_CONNECT, SKIT_OPEN_NUMERIC, NULL, NULL,
		       NULL, &err);
	assert_true(fd >= 0);
	assert_int_equal(get_int(fd, IPPROTO_IP, IP_MULTICAST_TTL), 5);
	assert_int_equal(get_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP), 0);
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_BROADCAST), 1);
	close(fd);
	/* The IPv6 twins. */
	assert_int_equal(skit_addr_parse("udp:[::1]:9,multicast-ttl=6,"
					 "multicast-loop=0",
					 SKIT_ROLE_CONNECT, &a, &err),
			 0);
	fd = skit_open(&a, SKIT_ROLE_CONNECT, SKIT_OPEN_NUMERIC, NULL, NULL,
		       NULL, &err);
	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL)
		skip(); /* no IPv6 here */
	assert_true(fd >= 0);
	assert_int_equal(get_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 6);
	assert_int_equal(get_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 0);
	close(fd);
	/* A group that is not one, an interface that does not exist. */
	assert_int_equal(skit_addr_parse("udp:127.0.0.1:9,join=10.1.1.1",
					 SKIT_ROLE_CONNECT, &a, &err),
			 0);
	assert_int_equal(skit_open(&a, SKIT_ROLE_CONNECT, SKIT_OPEN_NUMERIC,
				   NULL, NULL, NULL, &err),
			 SKIT_EOPTION);
	assert_non_null(strstr(err.detail, "not an IPv4 multicast group"));
	assert_int_equal(skit_addr_parse("udp:239.1.1.1:9,iface=nosuch0",
					 SKIT_ROLE_CONNECT, &a, &err),
			 0);
	assert_int_equal(skit_open(&a, SKIT_ROLE_CONNECT, SKIT_OPEN_NUMERIC,
				   NULL, NULL, NULL, &err),
			 -ENODEV);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
