/*
 * nl.c - NETLINK_ROUTE message parser for links, addresses, routes and
 * neighbours (pure), and the names `ip` prints for their fields.
 *
 * Every header is copied out with memcpy (the buffer may be unaligned
 * when it comes from a fuzzer) and every length is checked against what
 * is left of the buffer before it is used.
 */
#include "skit/nl.h"
#include "proto/nl_int.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define ALIGN4(x) SKIT__NL_ALIGN4(x)

int
skit__nl_next_attr(const uint8_t *p, size_t len, size_t *off,
		   struct skit__nl_attr *a)
{
	struct rtattr h;

	if (*off >= len || len - *off < sizeof(h))
		return 0;
	memcpy(&h, p + *off, sizeof(h));
	if (h.rta_len < sizeof(h) || h.rta_len > len - *off)
		return -EBADMSG;
	a->type = h.rta_type & NLA_TYPE_MASK;
	a->data = p + *off + sizeof(h);
	a->len = h.rta_len - sizeof(h);
	*off += ALIGN4(h.rta_len);
	return 1;
}

void
skit__nl_copy_str(char *dst, size_t dstlen, const struct skit__nl_attr *a)
{
	size_t n = strnlen((const char *)a->data, a->len);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, a->data, n);
	dst[n] = '\0';
}

bool
skit__nl_get_u32(const struct skit__nl_attr *a, uint32_t *v)
{
	if (a->len < sizeof(*v))
		return false;
	memcpy(v, a->data, sizeof(*v));
	return true;
}

int
skit__nl_walk(const void *buf, size_t len, skit__nl_msg_fn fn, void *ctx)
{
	const uint8_t *p = buf;
	size_t off = 0;

	while (off < len && len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		const uint8_t *body;
		size_t blen;
		int r;

		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EBADMSG;
		body = p + off + NLMSG_HDRLEN;
		blen = h.nlmsg_len >= NLMSG_HDRLEN ? h.nlmsg_len - NLMSG_HDRLEN
						   : 0;
		off += ALIGN4(h.nlmsg_len);
		if (h.nlmsg_type == NLMSG_DONE) {
			int32_t e = 0;

			/* A dump the kernel could not run ends with its
			 * error in NLMSG_DONE (sock_diag without a module:
			 * -ENOENT). */
			if (blen >= sizeof(e))
				memcpy(&e, body, sizeof(e));
			return e < 0 && e > -4096 ? e : 1;
		}
		if (h.nlmsg_type == NLMSG_ERROR) {
			int32_t e;

			if (blen < sizeof(e))
				return -EBADMSG;
			memcpy(&e, body, sizeof(e));
			if (e == 0) /* an ACK */
				continue;
			return e < 0 && e > -4096 ? e : -EBADMSG;
		}
		r = fn(h.nlmsg_type, body, blen, ctx);
		if (r)
			return r;
	}
	return 0;
}

static int
parse_linkinfo(const struct skit__nl_attr *li, struct skit_nl_link *l)
{
	struct skit__nl_attr a;
	size_t off = 0;
	int r;

	while ((r = skit__nl_next_attr(li->data, li->len, &off, &a)) > 0)
		if (a.type == IFLA_INFO_KIND)
			skit__nl_copy_str(l->kind, sizeof(l->kind), &a);
	return r;
}

static int
parse_link(const uint8_t *p, size_t len, struct skit_nl_link *l)
{
	struct ifinfomsg ifi;
	struct skit__nl_attr a;
	size_t off;
	uint32_t v;
	int r;

	if (len < sizeof(ifi))
		return -EBADMSG;
	memcpy(&ifi, p, sizeof(ifi));
	memset(l, 0, sizeof(*l));
	l->index = ifi.ifi_index;
	l->flags = ifi.ifi_flags;
	l->type = ifi.ifi_type;
	l->operstate = -1;
	off = ALIGN4(sizeof(ifi));
	while ((r = skit__nl_next_attr(p, len, &off, &a)) > 0) {
		switch (a.type) {
		case IFLA_IFNAME:
			skit__nl_copy_str(l->name, sizeof(l->name), &a);
			break;
		case IFLA_MTU:
			if (skit__nl_get_u32(&a, &v))
				l->mtu = v;
			break;
		case IFLA_OPERSTATE:
			if (a.len >= 1)
				l->operstate = a.data[0];
			break;
		case IFLA_MASTER:
			if (skit__nl_get_u32(&a, &v))
				l->master = (int)v;
			break;
		case IFLA_LINK:
			if (skit__nl_get_u32(&a, &v))
				l->link = (int)v;
			break;
		case IFLA_ADDRESS:
			l->hwaddr_len = a.len < sizeof(l->hwaddr)
						? a.len
						: sizeof(l->hwaddr);
			memcpy(l->hwaddr, a.data, l->hwaddr_len);
			break;
		case IFLA_BROADCAST:
			l->broadcast_len = a.len < sizeof(l->broadcast)
						   ? a.len
						   : sizeof(l->broadcast);
			memcpy(l->broadcast, a.data, l->broadcast_len);
			break;
		case IFLA_LINKINFO:
			if (parse_linkinfo(&a, l) < 0)
				return -EBADMSG;
			break;
		case IFLA_QDISC:
			skit__nl_copy_str(l->qdisc, sizeof(l->qdisc), &a);
			break;
		case IFLA_TXQLEN:
			l->has_txqlen = skit__nl_get_u32(&a, &l->txqlen);
			break;
		case IFLA_GROUP:
			if (skit__nl_get_u32(&a, &v))
				l->group = v;
			break;
		case IFLA_LINK_NETNSID:
			l->link_netnsid = true;
			break;
		}
	}
	return r;
}

static int
parse_addr(const uint8_t *p, size_t len, struct skit_nl_addr *ad)
{
	struct ifaddrmsg ifa;
	struct skit__nl_attr a;
	size_t off, alen;
	bool has_local = false, has_address = false;
	uint8_t address[16] = { 0 };
	uint32_t v;
	int r;

	if (len < sizeof(ifa))
		return -EBADMSG;
	memcpy(&ifa, p, sizeof(ifa));
	memset(ad, 0, sizeof(*ad));
	ad->family = ifa.ifa_family;
	ad->index = (int)ifa.ifa_index;
	ad->prefixlen = ifa.ifa_prefixlen;
	ad->scope = ifa.ifa_scope;
	ad->flags = ifa.ifa_flags;
	ad->valid_lft = ad->preferred_lft = UINT32_MAX;
	if (ad->family != AF_INET && ad->family != AF_INET6)
		return 0;
	alen = ad->family == AF_INET ? 4 : 16;
	off = ALIGN4(sizeof(ifa));
	while ((r = skit__nl_next_attr(p, len, &off, &a)) > 0) {
		switch (a.type) {
		case IFA_LOCAL:
			if (a.len >= alen) {
				memcpy(ad->local, a.data, alen);
				has_local = true;
			}
			break;
		case IFA_ADDRESS:
			if (a.len >= alen) {
				memcpy(address, a.data, alen);
				has_address = true;
			}
			break;
		case IFA_BROADCAST:
			if (a.len >= 4 && ad->family == AF_INET) {
				memcpy(ad->broadcast, a.data, 4);
				ad->has_broadcast = true;
			}
			break;
		case IFA_LABEL:
			skit__nl_copy_str(ad->label, sizeof(ad->label), &a);
			break;
		case IFA_FLAGS:
			if (skit__nl_get_u32(&a, &v))
				ad->flags = v;
			break;
		case IFA_CACHEINFO:
			if (a.len >= sizeof(struct ifa_cacheinfo)) {
				struct ifa_cacheinfo ci;

				memcpy(&ci, a.data, sizeof(ci));
				ad->valid_lft = ci.ifa_valid;
				ad->preferred_lft = ci.ifa_prefered;
			}
			break;
		}
	}
	if (r < 0)
		return r;
	/*
	 * IFA_LOCAL is the address itself; IFA_ADDRESS is the same, or the
	 * peer on a point-to-point link. IPv6 sends only IFA_ADDRESS.
	 */
	if (!has_local && has_address)
		memcpy(ad->local, address, alen);
	else if (has_local && has_address && memcmp(address, ad->local, alen)) {
		memcpy(ad->peer, address, alen);
		ad->has_peer = true;
	}
	return has_local || has_address ? 1 : 0;
}

/* An address attribute of the family's length into dst. */
static bool
get_addr(const struct skit__nl_attr *a, int family, uint8_t *dst)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (a->len < alen)
		return false;
	memcpy(dst, a->data, alen);
	return true;
}

/* RTA_VIA: a family and an address of that family. */
static void
get_via(const struct skit__nl_attr *a, struct skit_nl_route *rt)
{
	uint16_t fam;

	if (a->len < sizeof(fam))
		return;
	memcpy(&fam, a->data, sizeof(fam));
	if (fam != AF_INET && fam != AF_INET6)
		return;
	if (a->len - sizeof(fam) < (fam == AF_INET ? 4u : 16u))
		return;
	memcpy(rt->gateway, a->data + sizeof(fam), fam == AF_INET ? 4 : 16);
	rt->gateway_family = fam;
	rt->has_gateway = true;
}

/* Count the next hops of RTA_MULTIPATH (each a struct rtnexthop). */
static int
count_nexthops(const struct skit__nl_attr *a)
{
	size_t off = 0;
	int n = 0;

	while (off < a->len && a->len - off >= sizeof(struct rtnexthop) &&
	       n < 1024) {
		struct rtnexthop nh;

		memcpy(&nh, a->data + off, sizeof(nh));
		if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > a->len - off)
			return -EBADMSG;
		n++;
		off += ALIGN4(nh.rtnh_len);
	}
	return n;
}

/* 1 for an IPv4/IPv6 route, 0 for another family, or -EBADMSG. */
static int
parse_route(const uint8_t *p, size_t len, struct skit_nl_route *rt)
{
	struct rtmsg rtm;
	struct skit__nl_attr a;
	size_t off;
	uint32_t v;
	int r;

	if (len < sizeof(rtm))
		return -EBADMSG;
	memcpy(&rtm, p, sizeof(rtm));
	memset(rt, 0, sizeof(*rt));
	rt->family = rtm.rtm_family;
	rt->dst_len = rtm.rtm_dst_len;
	rt->src_len = rtm.rtm_src_len;
	rt->tos = rtm.rtm_tos;
	rt->table = rtm.rtm_table;
	rt->protocol = rtm.rtm_protocol;
	rt->scope = rtm.rtm_scope;
	rt->type = rtm.rtm_type;
	rt->flags = rtm.rtm_flags;
	rt->pref = -1;
	if (rt->family != AF_INET && rt->family != AF_INET6)
		return 0;
	rt->gateway_family = rt->family;
	off = ALIGN4(sizeof(rtm));
	while ((r = skit__nl_next_attr(p, len, &off, &a)) > 0) {
		switch (a.type) {
		case RTA_DST:
			rt->has_dst = get_addr(&a, rt->family, rt->dst);
			break;
		case RTA_SRC:
			rt->has_src = get_addr(&a, rt->family, rt->src);
			break;
		case RTA_GATEWAY:
			rt->has_gateway = get_addr(&a, rt->family, rt->gateway);
			break;
		case RTA_VIA:
			get_via(&a, rt);
			break;
		case RTA_PREFSRC:
			rt->has_prefsrc = get_addr(&a, rt->family, rt->prefsrc);
			break;
		case RTA_OIF:
			if (skit__nl_get_u32(&a, &v))
				rt->oif = (int)v;
			break;
		case RTA_TABLE:
			if (skit__nl_get_u32(&a, &v))
				rt->table = v;
			break;
		case RTA_PRIORITY:
			rt->has_metric = skit__nl_get_u32(&a, &rt->metric);
			break;
		case RTA_PREF:
			if (a.len >= 1)
				rt->pref = a.data[0];
			break;
		case RTA_CACHEINFO:
			if (a.len >= sizeof(struct rta_cacheinfo)) {
				struct rta_cacheinfo ci;

				/* In USER_HZ ticks (100 per second). */
				memcpy(&ci, a.data, sizeof(ci));
				rt->expires =
					(long)(int32_t)ci.rta_expires / 100;
			}
			break;
		case RTA_MULTIPATH:
			rt->nexthops = count_nexthops(&a);
			if (rt->nexthops < 0)
				return -EBADMSG;
			break;
		}
	}
	return r < 0 ? r : 1;
}

/* 1 for an IPv4/IPv6 neighbour, 0 for another family, or -EBADMSG. */
static int
parse_neigh(const uint8_t *p, size_t len, struct skit_nl_neigh *n)
{
	struct ndmsg ndm;
	struct skit__nl_attr a;
	size_t off;
	int r;

	if (len < sizeof(ndm))
		return -EBADMSG;
	memcpy(&ndm, p, sizeof(ndm));
	memset(n, 0, sizeof(*n));
	n->family = ndm.ndm_family;
	n->index = ndm.ndm_ifindex;
	n->state = ndm.ndm_state;
	n->flags = ndm.ndm_flags;
	if (n->family != AF_INET && n->family != AF_INET6)
		return 0;
	off = ALIGN4(sizeof(ndm));
	while ((r = skit__nl_next_attr(p, len, &off, &a)) > 0) {
		switch (a.type) {
		case NDA_DST:
			n->has_dst = get_addr(&a, n->family, n->dst);
			break;
		case NDA_LLADDR:
			n->lladdr_len = a.len < sizeof(n->lladdr)
						? a.len
						: sizeof(n->lladdr);
			memcpy(n->lladdr, a.data, n->lladdr_len);
			break;
		}
	}
	return r < 0 ? r : 1;
}

struct parse_ctx {
	skit_nl_cb cb;
	void *data;
};

/* One NETLINK_ROUTE message: the event it holds, to the callback. */
static int
parse_msg(uint16_t type, const uint8_t *body, size_t blen, void *ctx)
{
	struct parse_ctx *c = ctx;
	struct skit_nl_event ev;
	int r;

	memset(&ev, 0, sizeof(ev));
	switch (type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		r = parse_link(body, blen, &ev.u.link);
		ev.what = SKIT_NL_LINK;
		if (r == 0)
			r = 1; /* every link is one */
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		r = parse_addr(body, blen, &ev.u.addr);
		ev.what = SKIT_NL_ADDR;
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		r = parse_route(body, blen, &ev.u.route);
		ev.what = SKIT_NL_ROUTE;
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		r = parse_neigh(body, blen, &ev.u.neigh);
		ev.what = SKIT_NL_NEIGH;
		break;
	default:
		return 0;
	}
	/* r == 0: another family, or an address without an address. */
	if (r <= 0)
		return r;
	ev.deleted = type == RTM_DELLINK || type == RTM_DELADDR ||
		     type == RTM_DELROUTE || type == RTM_DELNEIGH;
	return c->cb ? c->cb(&ev, c->data) : 0;
}

int
skit_nl_parse(const void *buf, size_t len, skit_nl_cb cb, void *data)
{
	struct parse_ctx c = { cb, data };

	return skit__nl_walk(buf, len, parse_msg, &c);
}

const char *
skit_nl_operstate_name(int operstate)
{
	/* IF_OPER_* (RFC 2863 order; linux/if.h clashes with net/if.h). */
	static const char *const names[] = {
		"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
		"TESTING", "DORMANT",	 "UP",
	};

	if (operstate < 0 ||
	    (size_t)operstate >= sizeof(names) / sizeof(names[0]))
		return "UNKNOWN";
	return names[operstate];
}

const char *
skit_nl_scope_name(unsigned scope, char *buf, size_t len)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_SITE:
		return "site";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	case RT_SCOPE_NOWHERE:
		return "nowhere";
	}
	snprintf(buf, len, "%u", scope);
	return buf;
}

/* The flag names, in the order `ip link` prints them. */
static const struct {
	unsigned bit;
	const char *name;
} flag_names[] = {
	{ IFF_LOOPBACK, "LOOPBACK" },
	{ IFF_BROADCAST, "BROADCAST" },
	{ IFF_POINTOPOINT, "POINTOPOINT" },
	{ IFF_MULTICAST, "MULTICAST" },
	{ IFF_NOARP, "NOARP" },
	{ IFF_ALLMULTI, "ALLMULTI" },
	{ IFF_PROMISC, "PROMISC" },
	{ IFF_MASTER, "MASTER" },
	{ IFF_SLAVE, "SLAVE" },
	{ IFF_DEBUG, "DEBUG" },
	{ IFF_DYNAMIC, "DYNAMIC" },
	{ IFF_AUTOMEDIA, "AUTOMEDIA" },
	{ IFF_PORTSEL, "PORTSEL" },
	{ IFF_NOTRAILERS, "NOTRAILERS" },
	{ IFF_UP, "UP" },
	{ 1u << 16, "LOWER_UP" }, /* IFF_LOWER_UP */
	{ 1u << 18, "ECHO" },	  /* IFF_ECHO */
};

char *
skit_nl_flags_str(unsigned flags, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]);
	     i++) {
		int n;

		if (!(flags & flag_names[i].bit))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
			     flag_names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* A number-to-name table row, and the lookup every name function uses. */
struct name {
	unsigned num;
	const char *name;
};

static const char *
lookup(const struct name *t, size_t n, unsigned num, char *buf, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].num == num)
			return t[i].name;
	snprintf(buf, len, "%u", num);
	return buf;
}

#define LOOKUP(t, num, buf, len) \
	lookup(t, sizeof(t) / sizeof(t[0]), num, buf, len)

const char *
skit_nl_rtype_name(unsigned type, char *buf, size_t len)
{
	static const struct name t[] = {
		{ RTN_UNSPEC, "none" },
		{ RTN_UNICAST, "unicast" },
		{ RTN_LOCAL, "local" },
		{ RTN_BROADCAST, "broadcast" },
		{ RTN_ANYCAST, "anycast" },
		{ RTN_MULTICAST, "multicast" },
		{ RTN_BLACKHOLE, "blackhole" },
		{ RTN_UNREACHABLE, "unreachable" },
		{ RTN_PROHIBIT, "prohibit" },
		{ RTN_THROW, "throw" },
		{ RTN_NAT, "nat" },
		{ RTN_XRESOLVE, "xresolve" },
	};

	return LOOKUP(t, type, buf, len);
}

const char *
skit_nl_rtproto_name(unsigned proto, char *buf, size_t len)
{
	/* iproute2's rt_protos, the ones the kernel headers name. */
	static const struct name t[] = {
		{ RTPROT_UNSPEC, "unspec" },
		{ RTPROT_REDIRECT, "redirect" },
		{ RTPROT_KERNEL, "kernel" },
		{ RTPROT_BOOT, "boot" },
		{ RTPROT_STATIC, "static" },
		{ RTPROT_GATED, "gated" },
		{ RTPROT_RA, "ra" },
		{ RTPROT_MRT, "mrt" },
		{ RTPROT_ZEBRA, "zebra" },
		{ RTPROT_BIRD, "bird" },
		{ RTPROT_DNROUTED, "dnrouted" },
		{ RTPROT_XORP, "xorp" },
		{ RTPROT_NTK, "ntk" },
		{ RTPROT_DHCP, "dhcp" },
		{ RTPROT_KEEPALIVED, "keepalived" },
		{ RTPROT_BABEL, "babel" },
		{ RTPROT_OPENR, "openr" },
		{ RTPROT_BGP, "bgp" },
		{ RTPROT_ISIS, "isis" },
		{ RTPROT_OSPF, "ospf" },
		{ RTPROT_RIP, "rip" },
		{ RTPROT_EIGRP, "eigrp" },
	};

	return LOOKUP(t, proto, buf, len);
}

const char *
skit_nl_table_name(uint32_t table, char *buf, size_t len)
{
	static const struct name t[] = {
		{ RT_TABLE_UNSPEC, "unspec" },
		{ RT_TABLE_DEFAULT, "default" },
		{ RT_TABLE_MAIN, "main" },
		{ RT_TABLE_LOCAL, "local" },
	};

	return LOOKUP(t, table, buf, len);
}

/* Append the names of the bits set in v (comma-separated) to buf. */
static char *
bits_str(const struct name *t, size_t n, unsigned v, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int k;

		if (!(v & t[i].num))
			continue;
		k = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
			     t[i].name);
		if (k < 0 || (size_t)k >= len - used)
			break;
		used += (size_t)k;
	}
	return buf;
}

#define BITS(t, v, buf, len) bits_str(t, sizeof(t) / sizeof(t[0]), v, buf, len)

char *
skit_nl_nud_str(unsigned state, char *buf, size_t len)
{
	static const struct name t[] = {
		{ NUD_INCOMPLETE, "INCOMPLETE" },
		{ NUD_REACHABLE, "REACHABLE" },
		{ NUD_STALE, "STALE" },
		{ NUD_DELAY, "DELAY" },
		{ NUD_PROBE, "PROBE" },
		{ NUD_FAILED, "FAILED" },
		{ NUD_NOARP, "NOARP" },
		{ NUD_PERMANENT, "PERMANENT" },
	};

	if (state == NUD_NONE) {
		snprintf(buf, len, "NONE");
		return buf;
	}
	return BITS(t, state, buf, len);
}

char *
skit_nl_rtflags_str(unsigned flags, char *buf, size_t len)
{
	static const struct name t[] = {
		{ RTNH_F_DEAD, "dead" },
		{ RTNH_F_ONLINK, "onlink" },
		{ RTNH_F_PERVASIVE, "pervasive" },
		{ RTNH_F_OFFLOAD, "offload" },
		{ RTNH_F_TRAP, "trap" },
		{ RTM_F_NOTIFY, "notify" },
		{ RTNH_F_LINKDOWN, "linkdown" },
		{ RTNH_F_UNRESOLVED, "unresolved" },
		{ RTM_F_OFFLOAD, "rt_offload" },
		{ RTM_F_TRAP, "rt_trap" },
		{ RTM_F_OFFLOAD_FAILED, "rt_offload_failed" },
	};

	return BITS(t, flags, buf, len);
}

char *
skit_nl_ifa_flags_str(int family, unsigned flags, char *buf, size_t len)
{
	/* `ip addr`'s names and order; a secondary IPv6 is "temporary". */
	static const struct name t[] = {
		{ IFA_F_NODAD, "nodad" },
		{ IFA_F_OPTIMISTIC, "optimistic" },
		{ IFA_F_DADFAILED, "dadfailed" },
		{ IFA_F_HOMEADDRESS, "home" },
		{ IFA_F_DEPRECATED, "deprecated" },
		{ IFA_F_TENTATIVE, "tentative" },
		{ IFA_F_MANAGETEMPADDR, "mngtmpaddr" },
		{ IFA_F_NOPREFIXROUTE, "noprefixroute" },
		{ IFA_F_MCAUTOJOIN, "autojoin" },
		{ IFA_F_STABLE_PRIVACY, "stable-privacy" },
	};
	const char *sec = !(flags & IFA_F_SECONDARY) ? ""
			  : family == AF_INET6	     ? "temporary"
						     : "secondary";
	char rest[256];
	size_t used;

	if (!len)
		return buf;
	BITS(t, flags & ~(unsigned)IFA_F_SECONDARY, rest, sizeof(rest));
	snprintf(buf, len, "%s%s%s", sec, sec[0] && rest[0] ? "," : "", rest);
	/* An address with a finite lifetime (SLAAC, DHCP) is "dynamic". */
	used = strlen(buf);
	if (!(flags & IFA_F_PERMANENT) && len > used)
		snprintf(buf + used, len - used, "%sdynamic", used ? "," : "");
	return buf;
}
