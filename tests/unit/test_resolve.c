/*
 * test_resolve.c - skit_resolve: names through the resolver hook (never
 * DNS), RFC 8305 ordering, "any" addresses for the listen role, and the
 * directly built unix, packet, netlink and vsock addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "sockhelp.h"

/*
 * The fake resolver: a table of names, each with its addresses in the
 * order a real getaddrinfo (RFC 6724) would give them.
 */
struct fake {
	int calls;
	struct addrinfo last_hints;
	char last_service[16];
};

static const struct {
	const char *name;
	const char *addrs[5];
} fake_names[] = {
	{ "v6first.test", { "::1", "::2", "127.0.0.1", "127.0.0.2", NULL } },
	{ "v4first.test", { "127.0.0.1", "127.0.0.2", "::1", NULL } },
	{ "dup.test", { "127.0.0.1", "127.0.0.1", "::1", "::1", NULL } },
	{ "one.test", { "127.0.0.9", NULL } },
};

static struct addrinfo *
fake_ai(const char *lit, const char *service)
{
	struct addrinfo *ai = calloc(1, sizeof(*ai));
	struct sockaddr_storage *ss = calloc(1, sizeof(*ss));
	uint16_t port = (uint16_t)strtoul(service, NULL, 10);

	assert_non_null(ai);
	assert_non_null(ss);
	if (strchr(lit, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, lit, &s6->sin6_addr), 1);
		ai->ai_addrlen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, lit, &s4->sin_addr), 1);
		ai->ai_addrlen = sizeof(*s4);
	}
	ai->ai_family = ss->ss_family;
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_addr = (struct sockaddr *)ss;
	return ai;
}

static int
fake_getaddrinfo(void *data, const char *node, const char *service,
		 const struct addrinfo *hints, struct addrinfo **res)
{
	struct fake *f = data;
	struct addrinfo *head = NULL, **tail = &head;

	f->calls++;
	f->last_hints = *hints;
	snprintf(f->last_service, sizeof(f->last_service), "%s", service);
	for (size_t i = 0; i < sizeof(fake_names) / sizeof(*fake_names); i++) {
		if (strcmp(node, fake_names[i].name) != 0)
			continue;
		for (int k = 0; fake_names[i].addrs[k]; k++) {
			const char *lit = fake_names[i].addrs[k];
			int fam = strchr(lit, ':') ? AF_INET6 : AF_INET;

			if (hints->ai_family != AF_UNSPEC &&
			    hints->ai_family != fam)
				continue;
			*tail = fake_ai(lit, service);
			tail = &(*tail)->ai_next;
		}
		*res = head;
		return head ? 0 : EAI_NODATA;
	}
	return EAI_NONAME;
}

static void
fake_freeaddrinfo(void *data, struct addrinfo *ai)
{
	(void)data;
	while (ai) {
		struct addrinfo *next = ai->ai_next;

		free(ai->ai_addr);
		free(ai);
		ai = next;
	}
}

static struct fake fake_state;
static const struct skit_resolver fake = {
	.getaddrinfo = fake_getaddrinfo,
	.freeaddrinfo = fake_freeaddrinfo,
	.data = &fake_state,
};

/* Resolve text; fill texts[] with the results in skit's form. */
static int
resolve_texts(const char *text, enum skit_role role, int flags,
	      char texts[][80], int max, struct skit_err *err)
{
	struct skit_resolved r;
	struct skit_addr a;
	int n;

	th_parse(text, role, &a);
	n = skit_resolve(&a, flags, &fake, &r, err);
	if (n < 0)
		return n;
	assert_int_equal((size_t)n, r.n);
	for (int i = 0; i < n && i < max; i++)
		th_str(&r.v[i], texts[i], 80);
	skit_resolved_free(&r);
	return n;
}

static void
test_rfc8305_interleave(void **state)
{
	char t[8][80];
	struct skit_err err;

	(void)state;
	assert_int_equal(resolve_texts("tcp:v6first.test:80", SKIT_ROLE_CONNECT,
				       0, t, 8, &err),
			 4);
	assert_string_equal(t[0], "tcp:[::1]:80");
	assert_string_equal(t[1], "tcp:127.0.0.1:80");
	assert_string_equal(t[2], "tcp:[::2]:80");
	assert_string_equal(t[3], "tcp:127.0.0.2:80");
	/* The hook saw a numeric service and the socket type. */
	assert_string_equal(fake_state.last_service, "80");
	assert_int_equal(fake_state.last_hints.ai_socktype, SOCK_STREAM);
	assert_true(fake_state.last_hints.ai_flags & AI_NUMERICSERV);

	/* The first family leads, whichever it is. */
	assert_int_equal(resolve_texts("udp:v4first.test:53", SKIT_ROLE_CONNECT,
				       0, t, 8, &err),
			 3);
	assert_string_equal(t[0], "udp:127.0.0.1:53");
	assert_string_equal(t[1], "udp:[::1]:53");
	assert_string_equal(t[2], "udp:127.0.0.2:53");
	assert_int_equal(fake_state.last_hints.ai_socktype, SOCK_DGRAM);
}

static void
test_family_and_dups(void **state)
{
	char t[8][80];
	struct skit_err err;

	(void)state;
	assert_int_equal(resolve_texts("tcp4:v6first.test:80",
				       SKIT_ROLE_CONNECT, 0, t, 8, &err),
			 2);
	assert_string_equal(t[0], "tcp:127.0.0.1:80");
	assert_string_equal(t[1], "tcp:127.0.0.2:80");
	assert_int_equal(fake_state.last_hints.ai_family, AF_INET);
	assert_int_equal(resolve_texts("tcp6:v6first.test:80",
				       SKIT_ROLE_CONNECT, 0, t, 8, &err),
			 2);
	assert_string_equal(t[0], "tcp:[::1]:80");
	assert_int_equal(resolve_texts("tcp:dup.test:1", SKIT_ROLE_CONNECT, 0,
				       t, 8, &err),
			 2);
	assert_string_equal(t[0], "tcp:127.0.0.1:1");
	assert_string_equal(t[1], "tcp:[::1]:1");
}

static void
test_errors(void **state)
{
	char t[8][80], msg[300];
	struct skit_err err;
	int calls;

	(void)state;
	assert_int_equal(resolve_texts("tcp:nowhere.test:80", SKIT_ROLE_CONNECT,
				       0, t, 8, &err),
			 SKIT_EAI_NONAME);
	assert_string_equal(err.op, "resolve");
	assert_string_equal(err.subject, "nowhere.test");
	skit_err_format(&err, msg, sizeof(msg));
	assert_string_equal(msg,
			    "resolve nowhere.test: name or service not known");
	/* tcp6 on a name with only IPv4 addresses. */
	assert_int_equal(resolve_texts("tcp6:one.test:80", SKIT_ROLE_CONNECT, 0,
				       t, 8, &err),
			 SKIT_EAI_NODATA);

	/* Numeric mode never asks the hook (nor DNS) about a name. */
	calls = fake_state.calls;
	assert_true(resolve_texts("tcp:one.test:80", SKIT_ROLE_CONNECT,
				  SKIT_OPEN_NUMERIC, t, 8, &err) < 0);
	assert_true(SKIT_IS_EAI(err.code));
	assert_non_null(strstr(err.detail, "numeric"));
	assert_int_equal(fake_state.calls, calls);
}

static void
test_literals_skip_hook(void **state)
{
	char t[8][80];
	struct skit_err err;
	int calls = fake_state.calls;

	(void)state;
	assert_int_equal(resolve_texts("tcp:[::1]:8080", SKIT_ROLE_CONNECT,
				       SKIT_OPEN_NUMERIC, t, 8, &err),
			 1);
	assert_string_equal(t[0], "tcp:[::1]:8080");
	assert_int_equal(resolve_texts("udp4:127.0.0.1:53", SKIT_ROLE_CONNECT,
				       0, t, 8, &err),
			 1);
	assert_string_equal(t[0], "udp:127.0.0.1:53");
	assert_int_equal(fake_state.calls, calls);
}

static void
test_listen_any(void **state)
{
	char t[8][80];
	struct skit_err err;
	bool v6 = th_have_ipv6();

	(void)state;
	assert_int_equal(
		resolve_texts("tcp::8080", SKIT_ROLE_LISTEN, 0, t, 8, &err), 1);
	assert_string_equal(t[0], v6 ? "tcp:[::]:8080" : "tcp:0.0.0.0:8080");
	assert_int_equal(
		resolve_texts("tcp4::8080", SKIT_ROLE_LISTEN, 0, t, 8, &err),
		1);
	assert_string_equal(t[0], "tcp:0.0.0.0:8080");
	assert_int_equal(
		resolve_texts("udp6::53", SKIT_ROLE_LISTEN, 0, t, 8, &err), 1);
	assert_string_equal(t[0], "udp:[::]:53");
	/* The passive flag works without a listen role in the text too. */
	assert_int_equal(resolve_texts("udp4::53", SKIT_ROLE_CONNECT,
				       SKIT_OPEN_PASSIVE, t, 8, &err),
			 1);
	assert_string_equal(t[0], "udp:0.0.0.0:53");
}

static void
test_service_name(void **state)
{
	char t[8][80];
	struct skit_err err;
	struct addrinfo hints, *ai = NULL;

	(void)state;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(NULL, "http", &hints, &ai) != 0) {
		print_message("skip: no services database (netbase)\n");
		skip();
	}
	freeaddrinfo(ai);
	assert_int_equal(resolve_texts("tcp:127.0.0.1:http", SKIT_ROLE_CONNECT,
				       0, t, 8, &err),
			 1);
	assert_string_equal(t[0], "tcp:127.0.0.1:80");
}

static void
test_unix_lengths(void **state)
{
	struct skit_resolved r;
	struct skit_addr a;
	struct skit_err err;
	struct sockaddr_un *un;

	(void)state;
	th_parse("unix:@abc", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	un = (struct sockaddr_un *)&r.v[0].ss;
	assert_int_equal(r.v[0].len,
			 offsetof(struct sockaddr_un, sun_path) + 4);
	assert_int_equal(un->sun_path[0], '\0');
	assert_memory_equal(un->sun_path + 1, "abc", 3);
	assert_int_equal(r.v[0].type, SOCK_STREAM);
	skit_resolved_free(&r);

	th_parse("unix-seqpacket:/run/x.sock", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	un = (struct sockaddr_un *)&r.v[0].ss;
	assert_int_equal(r.v[0].len, offsetof(struct sockaddr_un, sun_path) +
					     strlen("/run/x.sock") + 1);
	assert_string_equal(un->sun_path, "/run/x.sock");
	assert_int_equal(r.v[0].type, SOCK_SEQPACKET);
	skit_resolved_free(&r);

	th_parse("unix-dgram:@x", SKIT_ROLE_LISTEN, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	assert_int_equal(r.v[0].type, SOCK_DGRAM);
	skit_resolved_free(&r);
}

static void
test_packet_netlink(void **state)
{
	struct skit_resolved r;
	struct skit_addr a;
	struct skit_err err;
	struct sockaddr_ll *ll;
	struct sockaddr_nl *nl;

	(void)state;
	th_parse("packet:lo,ethertype=0x0800", SKIT_ROLE_LISTEN, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	ll = (struct sockaddr_ll *)&r.v[0].ss;
	assert_int_equal(r.v[0].family, AF_PACKET);
	assert_int_equal(ll->sll_family, AF_PACKET);
	assert_int_equal(ll->sll_ifindex, (int)if_nametoindex("lo"));
	assert_int_equal(ll->sll_protocol, htons(ETH_P_IP));
	assert_int_equal(r.v[0].protocol, htons(ETH_P_IP));
	skit_resolved_free(&r);

	th_parse("packet:skitnosuch0", SKIT_ROLE_LISTEN, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), -ENODEV);
	assert_non_null(strstr(err.detail, "skitnosuch0"));
	assert_null(r.v);

	th_parse("netlink:route", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	nl = (struct sockaddr_nl *)&r.v[0].ss;
	assert_int_equal(nl->nl_family, AF_NETLINK);
	assert_int_equal(nl->nl_pid, 0);
	assert_int_equal(r.v[0].protocol, NETLINK_ROUTE);
	assert_int_equal(r.v[0].type, SOCK_RAW);
	assert_int_equal(r.v[0].len, sizeof(*nl));
	skit_resolved_free(&r);
}

static void
test_vsock(void **state)
{
	struct skit_resolved r;
	struct skit_addr a;
	struct skit_err err;
	struct sockaddr_vm *vm;

	(void)state;
	th_parse("vsock:2:1234", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	vm = (struct sockaddr_vm *)&r.v[0].ss;
	assert_int_equal(vm->svm_family, AF_VSOCK);
	assert_int_equal(vm->svm_cid, 2);
	assert_int_equal(vm->svm_port, 1234);
	skit_resolved_free(&r);
	/* Listening: any CID; port 0 is any free port, not port 0. */
	th_parse("vsock-listen:0", SKIT_ROLE_LISTEN, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	vm = (struct sockaddr_vm *)&r.v[0].ss;
	assert_int_equal(vm->svm_cid, VMADDR_CID_ANY);
	assert_int_equal(vm->svm_port, VMADDR_PORT_ANY);
	skit_resolved_free(&r);
	th_parse("vsock-listen:1234", SKIT_ROLE_LISTEN, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	vm = (struct sockaddr_vm *)&r.v[0].ss;
	assert_int_equal(vm->svm_port, 1234);
	skit_resolved_free(&r);
}

static void
test_netlink_open(void **state)
{
	struct skit_sockaddr local, peer;
	int fd;

	(void)state;
	/* A route netlink socket is unprivileged: open and bind it. */
	fd = th_open("netlink:route", SKIT_ROLE_CONNECT, 0, &local, &peer);
	assert_int_equal(local.family, AF_NETLINK);
	close(fd);
}

static void
test_icmp(void **state)
{
	struct skit_resolved r;
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	th_parse("icmp:127.0.0.1", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	assert_int_equal(r.v[0].family, AF_INET);
	assert_int_equal(r.v[0].protocol, IPPROTO_ICMP);
	skit_resolved_free(&r);
	th_parse("icmp6:::1", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	assert_int_equal(r.v[0].family, AF_INET6);
	assert_int_equal(r.v[0].protocol, IPPROTO_ICMPV6);
	skit_resolved_free(&r);
}

static void
test_not_a_socket(void **state)
{
	struct skit_resolved r;
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	th_parse("file:/dev/null", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), SKIT_EKIND);
	assert_int_equal(r.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8305_interleave),
		cmocka_unit_test(test_family_and_dups),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_literals_skip_hook),
		cmocka_unit_test(test_listen_any),
		cmocka_unit_test(test_service_name),
		cmocka_unit_test(test_unix_lengths),
		cmocka_unit_test(test_packet_netlink),
		cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_netlink_open),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_not_a_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
