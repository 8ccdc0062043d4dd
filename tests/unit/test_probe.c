/*
 * test_probe.c - the probe table, its explanations and the socket()
 * argument names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "skit/probe.h"

static const struct skit_probe_row *
find(int d, int t, int p)
{
	size_t n;
	const struct skit_probe_row *rows = skit_probe_rows(&n);

	for (size_t i = 0; i < n; i++)
		if (rows[i].domain == d && rows[i].type == t &&
		    rows[i].protocol == p)
			return &rows[i];
	return NULL;
}

static void
test_table(void **state)
{
	size_t n;
	const struct skit_probe_row *rows = skit_probe_rows(&n);

	(void)state;
	assert_true(n >= 25);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(rows[i].what);
		assert_non_null(skit_af_name(rows[i].domain));
		assert_non_null(skit_socktype_name(rows[i].type));
		/* no duplicate rows */
		for (size_t k = i + 1; k < n; k++)
			assert_false(rows[i].domain == rows[k].domain &&
				     rows[i].type == rows[k].type &&
				     rows[i].protocol == rows[k].protocol);
	}
	assert_non_null(find(AF_UNIX, SOCK_SEQPACKET, 0));
	assert_non_null(find(AF_INET, SOCK_SEQPACKET, 0));
	assert_non_null(find(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	assert_non_null(find(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
	assert_non_null(find(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
	assert_non_null(find(AF_VSOCK, SOCK_SEQPACKET, 0));
	assert_non_null(find(AF_TIPC, SOCK_RDM, 0));
}

static void
test_try_unix(void **state)
{
	(void)state;
	assert_int_equal(skit_probe_try(find(AF_UNIX, SOCK_STREAM, 0)), 0);
	assert_int_equal(skit_probe_try(find(AF_UNIX, SOCK_SEQPACKET, 0)), 0);
	assert_int_equal(
		skit_probe_try(find(AF_INET, SOCK_STREAM, IPPROTO_UDP)),
		-EPROTONOSUPPORT);
}

static void
test_explain(void **state)
{
	struct skit_probe_env env;
	char buf[256];

	(void)state;
	memset(&env, 0, sizeof(env));
	env.caps_known = true;
	env.ping_known = true;
	env.ping_lo = 1;
	env.ping_hi = 0;
	env.gid = 65534;

	skit_probe_explain(find(AF_INET, SOCK_SEQPACKET, 0), -ESOCKTNOSUPPORT,
			   &env, buf, sizeof(buf));
	assert_non_null(strstr(buf, "type not supported by this family"));

	skit_probe_explain(find(AF_INET, SOCK_RAW, IPPROTO_ICMP), -EPERM, &env,
			   buf, sizeof(buf));
	assert_non_null(strstr(buf, "needs CAP_NET_RAW"));

	env.cap_eff = 1ull << 13;
	skit_probe_explain(find(AF_INET, SOCK_RAW, IPPROTO_ICMP), 0, &env, buf,
			   sizeof(buf));
	assert_non_null(strstr(buf, "CAP_NET_RAW present"));

	skit_probe_explain(find(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), -EACCES,
			   &env, buf, sizeof(buf));
	assert_non_null(strstr(buf, "net.ipv4.ping_group_range (1 0)"));
	assert_non_null(strstr(buf, "gid 65534"));

	skit_probe_explain(find(AF_TIPC, SOCK_RDM, 0), -EAFNOSUPPORT, &env, buf,
			   sizeof(buf));
	assert_non_null(strstr(buf, "not compiled into this kernel"));
	assert_non_null(strstr(buf, "tipc"));

	skit_probe_explain(find(AF_INET6, SOCK_STREAM, IPPROTO_TCP),
			   -EAFNOSUPPORT, &env, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ipv6.disable=1"));

	skit_probe_explain(find(AF_INET, SOCK_STREAM, IPPROTO_MPTCP),
			   -ENOPROTOOPT, &env, buf, sizeof(buf));
	assert_non_null(strstr(buf, "net.mptcp.enabled"));

	/* fixes: only where one is known */
	env.cap_eff = 0;
	assert_non_null(
		strstr(skit_probe_fix(find(AF_INET, SOCK_RAW, IPPROTO_ICMP),
				      -EPERM, &env),
		       "cap_net_raw"));
	assert_non_null(
		strstr(skit_probe_fix(find(AF_INET, SOCK_DGRAM, IPPROTO_ICMP),
				      -EACCES, &env),
		       "ping_group_range"));
	assert_null(
		skit_probe_fix(find(AF_INET, SOCK_RAW, IPPROTO_ICMP), 0, &env));
	assert_null(skit_probe_fix(find(AF_TIPC, SOCK_RDM, 0), -EAFNOSUPPORT,
				   &env));
	assert_null(
		skit_probe_fix(find(AF_UNIX, SOCK_STREAM, 0), -EACCES, &env));

	/* tiny buffers stay terminated */
	skit_probe_explain(find(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), -EACCES,
			   &env, buf, 5);
	assert_int_equal(strlen(buf), 4);
}

static void
test_env(void **state)
{
	struct skit_probe_env env;

	(void)state;
	skit_probe_env_read(&env);
	assert_non_null(skit_probe_sysctl_value(&env, "net.core.somaxconn"));
	assert_null(skit_probe_sysctl_value(&env, "no.such.sysctl"));
	assert_true(env.nofile_soft > 0);
	assert_true(env.nofile_soft <= env.nofile_hard);
	assert_string_equal(env.cap[0].name, "CAP_NET_RAW");
	assert_int_equal(skit_probe_has_cap(&env, 13), env.cap[0].have);
}

static void
test_names(void **state)
{
	char buf[40];

	(void)state;
	assert_string_equal(skit_af_name(AF_INET6), "AF_INET6");
	assert_null(skit_af_name(12345));
	assert_string_equal(skit_socktype_name(SOCK_SEQPACKET | SOCK_CLOEXEC),
			    "SOCK_SEQPACKET");
	assert_string_equal(skit_proto_str(AF_INET, IPPROTO_TCP, buf, 40),
			    "IPPROTO_TCP");
	assert_string_equal(skit_proto_str(AF_INET6, 0, buf, 40), "0");
	assert_string_equal(skit_proto_str(AF_NETLINK, NETLINK_ROUTE, buf, 40),
			    "NETLINK_ROUTE");
	assert_string_equal(
		skit_proto_str(AF_PACKET, htons(ETH_P_ALL), buf, 40),
		"htons(ETH_P_ALL)");
	assert_string_equal(skit_proto_str(AF_PACKET, htons(0x88b5), buf, 40),
			    "htons(0x88b5)");
	assert_string_equal(skit_proto_str(AF_UNIX, 7, buf, 40), "7");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	cmocka_unit_test(test_try_unix),
		cmocka_unit_test(test_explain), cmocka_unit_test(test_env),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
