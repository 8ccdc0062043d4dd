/*
 * test_nl.c - the NETLINK_ROUTE parser: links, addresses, dumps, errors,
 * and every kind of length field that lies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "skit/nl.h"
#include "nlmsg.h"

static void
build_dump(struct mb *b)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC,
				 .ifi_index = 3,
				 .ifi_type = 1,
				 .ifi_flags = 0x1003 };
	struct ifaddrmsg ifa = { .ifa_family = AF_INET,
				 .ifa_prefixlen = 24,
				 .ifa_scope = RT_SCOPE_UNIVERSE,
				 .ifa_index = 3 };
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 }, oper = 6;
	uint32_t mtu = 1500;
	uint8_t a4[4], a6[16];
	uint8_t kind[64];
	struct mb k = { 0 };

	memset(b, 0, sizeof(*b));
	msg_begin(b, RTM_NEWLINK, &ifi, sizeof(ifi));
	attr(b, IFLA_IFNAME, "veth0", 6);
	attr(b, IFLA_MTU, &mtu, 4);
	attr(b, IFLA_ADDRESS, mac, 6);
	attr(b, IFLA_OPERSTATE, &oper, 1);
	attr(&k, IFLA_INFO_KIND, "veth", 5);
	memcpy(kind, k.buf, k.len);
	attr(b, IFLA_LINKINFO, kind, k.len);
	msg_end(b);

	msg_begin(b, RTM_NEWADDR, &ifa, sizeof(ifa));
	inet_pton(AF_INET, "10.1.2.3", a4);
	attr(b, IFA_ADDRESS, a4, 4);
	attr(b, IFA_LOCAL, a4, 4);
	attr(b, IFA_LABEL, "veth0", 6);
	msg_end(b);

	ifa.ifa_family = AF_INET6;
	ifa.ifa_prefixlen = 64;
	ifa.ifa_scope = RT_SCOPE_LINK;
	msg_begin(b, RTM_NEWADDR, &ifa, sizeof(ifa));
	inet_pton(AF_INET6, "fe80::1", a6);
	attr(b, IFA_ADDRESS, a6, 16);
	msg_end(b);

	msg_begin(b, NLMSG_DONE, &mtu, 4);
	msg_end(b);
}

struct seen {
	int links, addrs;
	struct skit_nl_link link;
	struct skit_nl_addr addr[4];
};

static int
collect(const struct skit_nl_event *ev, void *data)
{
	struct seen *s = data;

	if (ev->what == SKIT_NL_LINK) {
		s->link = ev->u.link;
		s->links++;
	} else if (s->addrs < 4) {
		s->addr[s->addrs++] = ev->u.addr;
	}
	return 0;
}

static void
test_dump(void **state)
{
	struct mb b;
	struct seen s = { 0 };
	char buf[64];
	uint8_t want[16];

	(void)state;
	build_dump(&b);
	assert_int_equal(skit_nl_parse(b.buf, b.len, collect, &s), 1);
	assert_int_equal(s.links, 1);
	assert_int_equal(s.link.index, 3);
	assert_string_equal(s.link.name, "veth0");
	assert_int_equal(s.link.mtu, 1500);
	assert_int_equal(s.link.hwaddr_len, 6);
	assert_int_equal(s.link.hwaddr[5], 1);
	assert_string_equal(s.link.kind, "veth");
	assert_string_equal(skit_nl_operstate_name(s.link.operstate), "UP");
	assert_string_equal(skit_nl_flags_str(s.link.flags, buf, sizeof(buf)),
			    "BROADCAST,MULTICAST,UP");

	assert_int_equal(s.addrs, 2);
	inet_pton(AF_INET, "10.1.2.3", want);
	assert_memory_equal(s.addr[0].local, want, 4);
	assert_false(s.addr[0].has_peer);
	assert_int_equal(s.addr[0].prefixlen, 24);
	assert_string_equal(s.addr[0].label, "veth0");
	inet_pton(AF_INET6, "fe80::1", want);
	assert_memory_equal(s.addr[1].local, want, 16);
	assert_string_equal(
		skit_nl_scope_name(s.addr[1].scope, buf, sizeof(buf)), "link");
	assert_string_equal(skit_nl_scope_name(77, buf, sizeof(buf)), "77");
}

static void
test_truncations(void **state)
{
	struct mb b;

	(void)state;
	build_dump(&b);
	/* Every cut: a verdict, never a read past the cut (ASan). */
	for (size_t k = 0; k < b.len; k++) {
		uint8_t *c = malloc(k ? k : 1);
		struct seen s = { 0 };
		int r;

		memcpy(c, b.buf, k);
		r = skit_nl_parse(c, k, collect, &s);
		assert_true(r == 0 || r == -EBADMSG);
		free(c);
	}
}

static void
test_lying_lengths(void **state)
{
	struct mb b;
	struct seen s = { 0 };
	struct rtattr *a;
	uint32_t big = 100000;

	(void)state;
	build_dump(&b);
	/* The first message claims more than the buffer holds. */
	memcpy(b.buf, &big, 4);
	assert_int_equal(skit_nl_parse(b.buf, b.len, collect, &s), -EBADMSG);

	/* An attribute longer than its message. */
	build_dump(&b);
	a = (struct rtattr *)(b.buf + NLMSG_HDRLEN +
			      NLMSG_ALIGN(sizeof(struct ifinfomsg)));
	a->rta_len = 2000;
	assert_int_equal(skit_nl_parse(b.buf, b.len, collect, &s), -EBADMSG);

	/* An attribute shorter than its own header. */
	a->rta_len = 2;
	assert_int_equal(skit_nl_parse(b.buf, b.len, collect, &s), -EBADMSG);

	/* A message length below the header size. */
	build_dump(&b);
	big = 4;
	memcpy(b.buf, &big, 4);
	assert_int_equal(skit_nl_parse(b.buf, b.len, collect, &s), -EBADMSG);
}

static void
test_error_and_ack(void **state)
{
	struct mb b = { 0 };
	struct nlmsgerr e = { .error = -EPERM };

	(void)state;
	msg_begin(&b, NLMSG_ERROR, &e, sizeof(e));
	msg_end(&b);
	assert_int_equal(skit_nl_parse(b.buf, b.len, NULL, NULL), -EPERM);
	memset(&b, 0, sizeof(b));
	e.error = 0;
	msg_begin(&b, NLMSG_ERROR, &e, sizeof(e));
	msg_end(&b);
	assert_int_equal(skit_nl_parse(b.buf, b.len, NULL, NULL), 0);
}

static int
stop_early(const struct skit_nl_event *ev, void *data)
{
	(void)ev;
	(void)data;
	return -ECANCELED;
}

static void
test_callback_stops(void **state)
{
	struct mb b;

	(void)state;
	build_dump(&b);
	assert_int_equal(skit_nl_parse(b.buf, b.len, stop_early, NULL),
			 -ECANCELED);
}

/* Collect routes and neighbours. */
struct rn {
	struct skit_nl_route rt[4];
	struct skit_nl_neigh ne[4];
	int nrt, nne;
};

static int
collect_rn(const struct skit_nl_event *ev, void *data)
{
	struct rn *r = data;

	if (ev->what == SKIT_NL_ROUTE && r->nrt < 4)
		r->rt[r->nrt++] = ev->u.route;
	if (ev->what == SKIT_NL_NEIGH && r->nne < 4)
		r->ne[r->nne++] = ev->u.neigh;
	return 0;
}

static void
test_routes_neigh(void **state)
{
	struct rtmsg rtm = { .rtm_family = AF_INET6,
			     .rtm_dst_len = 48,
			     .rtm_table = RT_TABLE_MAIN,
			     .rtm_protocol = RTPROT_STATIC,
			     .rtm_scope = RT_SCOPE_UNIVERSE,
			     .rtm_type = RTN_UNICAST,
			     .rtm_flags = RTNH_F_ONLINK };
	struct rtmsg mpls = { .rtm_family = 28 /* AF_MPLS */ };
	struct ndmsg ndm = { .ndm_family = AF_INET,
			     .ndm_ifindex = 3,
			     .ndm_state = NUD_REACHABLE | NUD_PERMANENT,
			     .ndm_flags = NTF_ROUTER };
	struct rta_cacheinfo ci = { .rta_expires = 12345 };
	uint8_t dst[16], gw[16], via[2 + 4], ll[6] = { 2, 0, 0, 0, 0, 9 };
	uint32_t oif = 3, table = 100, prio = 7;
	uint8_t pref = 1;
	uint16_t fam4 = AF_INET;
	struct rtnexthop nh[2] = { { .rtnh_len = sizeof(nh[0]) },
				   { .rtnh_len = sizeof(nh[0]) } };
	struct mb b;
	struct rn r;
	char buf[128];

	(void)state;
	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET6, "fd80::", dst);
	inet_pton(AF_INET6, "fd77::2", gw);
	msg_begin(&b, RTM_NEWROUTE, &rtm, sizeof(rtm));
	attr(&b, RTA_DST, dst, 16);
	attr(&b, RTA_GATEWAY, gw, 16);
	attr(&b, RTA_OIF, &oif, 4);
	attr(&b, RTA_TABLE, &table, 4);
	attr(&b, RTA_PRIORITY, &prio, 4);
	attr(&b, RTA_PREF, &pref, 1);
	attr(&b, RTA_CACHEINFO, &ci, sizeof(ci));
	msg_end(&b);
	/* Another family: skipped. */
	msg_begin(&b, RTM_NEWROUTE, &mpls, sizeof(mpls));
	msg_end(&b);
	/* An IPv4 route through an IPv4 gateway of an IPv6 route (RTA_VIA),
	 * with two next hops. */
	rtm.rtm_family = AF_INET;
	rtm.rtm_dst_len = 0;
	rtm.rtm_type = RTN_BLACKHOLE;
	memcpy(via, &fam4, 2);
	inet_pton(AF_INET, "10.0.0.1", via + 2);
	msg_begin(&b, RTM_DELROUTE, &rtm, sizeof(rtm));
	attr(&b, RTA_VIA, via, sizeof(via));
	attr(&b, RTA_MULTIPATH, nh, sizeof(nh));
	msg_end(&b);
	msg_begin(&b, RTM_NEWNEIGH, &ndm, sizeof(ndm));
	attr(&b, NDA_DST, gw, 4);
	attr(&b, NDA_LLADDR, ll, 6);
	msg_end(&b);
	assert_int_equal(skit_nl_parse(b.buf, b.len, collect_rn, &r), 0);
	assert_int_equal(r.nrt, 2);
	assert_int_equal(r.rt[0].family, AF_INET6);
	assert_true(r.rt[0].has_dst);
	assert_memory_equal(r.rt[0].dst, dst, 16);
	assert_int_equal(r.rt[0].dst_len, 48);
	assert_true(r.rt[0].has_gateway);
	assert_int_equal(r.rt[0].gateway_family, AF_INET6);
	assert_int_equal(r.rt[0].oif, 3);
	assert_int_equal(r.rt[0].table, 100);
	assert_true(r.rt[0].has_metric);
	assert_int_equal(r.rt[0].metric, 7);
	assert_int_equal(r.rt[0].pref, 1);
	assert_int_equal(r.rt[0].expires, 123);
	assert_false(r.rt[0].has_prefsrc);
	assert_int_equal(r.rt[1].family, AF_INET);
	assert_false(r.rt[1].has_dst);
	assert_int_equal(r.rt[1].gateway_family, AF_INET);
	assert_int_equal(r.rt[1].nexthops, 2);
	assert_int_equal(r.rt[1].pref, -1);
	assert_int_equal(r.nne, 1);
	assert_int_equal(r.ne[0].index, 3);
	assert_int_equal(r.ne[0].lladdr_len, 6);
	assert_true(r.ne[0].has_dst);
	assert_int_equal(r.ne[0].flags, NTF_ROUTER);

	/* A next hop whose length lies. */
	nh[1].rtnh_len = 200;
	memset(&b, 0, sizeof(b));
	msg_begin(&b, RTM_NEWROUTE, &rtm, sizeof(rtm));
	attr(&b, RTA_MULTIPATH, nh, sizeof(nh));
	msg_end(&b);
	assert_int_equal(skit_nl_parse(b.buf, b.len, collect_rn, &r), -EBADMSG);

	/*
	 * A next hop whose length is not a multiple of 4 at the end of the
	 * attribute: the aligned step goes past the end, and the walk
	 * stops there (it used to read on; fuzz_nl found it).
	 */
	{
		uint8_t odd[10] = { 0 };

		odd[0] = 9; /* rtnh_len */
		memset(&b, 0, sizeof(b));
		memset(&r, 0, sizeof(r));
		msg_begin(&b, RTM_NEWROUTE, &rtm, sizeof(rtm));
		attr(&b, RTA_MULTIPATH, odd, sizeof(odd));
		msg_end(&b);
		assert_int_equal(skit_nl_parse(b.buf, b.len, collect_rn, &r),
				 0);
		assert_int_equal(r.rt[0].nexthops, 1);
	}

	/* The names ip prints. */
	assert_string_equal(skit_nl_rtype_name(RTN_BLACKHOLE, buf, 16),
			    "blackhole");
	assert_string_equal(skit_nl_rtype_name(99, buf, 16), "99");
	assert_string_equal(skit_nl_rtproto_name(RTPROT_KERNEL, buf, 16),
			    "kernel");
	assert_string_equal(skit_nl_table_name(255, buf, 16), "local");
	assert_string_equal(skit_nl_table_name(100, buf, 16), "100");
	assert_string_equal(skit_nl_nud_str(0, buf, sizeof(buf)), "NONE");
	assert_string_equal(
		skit_nl_nud_str(NUD_STALE | NUD_PERMANENT, buf, sizeof(buf)),
		"STALE,PERMANENT");
	assert_string_equal(skit_nl_rtflags_str(RTNH_F_ONLINK | RTNH_F_LINKDOWN,
						buf, sizeof(buf)),
			    "onlink,linkdown");
	assert_string_equal(skit_nl_ifa_flags_str(AF_INET6,
						  IFA_F_SECONDARY | IFA_F_NODAD,
						  buf, sizeof(buf)),
			    "temporary,nodad,dynamic");
	assert_string_equal(skit_nl_ifa_flags_str(
				    AF_INET, IFA_F_SECONDARY | IFA_F_PERMANENT,
				    buf, sizeof(buf)),
			    "secondary");
	assert_string_equal(skit_nl_ifa_flags_str(AF_INET, IFA_F_PERMANENT, buf,
						  sizeof(buf)),
			    "");
	/* A small buffer stays terminated. */
	skit_nl_ifa_flags_str(AF_INET6, IFA_F_SECONDARY | IFA_F_NODAD, buf, 12);
	assert_true(strlen(buf) < 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_error_and_ack),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_routes_neigh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
