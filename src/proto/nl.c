/*
 * nl.c - NETLINK_ROUTE message parser for links and addresses (pure).
 *
 * Every header is copied out with memcpy (the buffer may be unaligned
 * when it comes from a fuzzer) and every length is checked against what
 * is left of the buffer before it is used.
 */
#include "skit/nl.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define ALIGN4(x) (((x) + 3u) & ~(size_t)3u)

/* One attribute: its type (flags stripped) and payload. */
struct attr {
	unsigned type;
	const uint8_t *data;
	size_t len;
};

/*
 * Next attribute in p[0..len) at *off. Returns 1 with *a filled, 0 at
 * the end, -EBADMSG when the attribute does not fit.
 */
static int
next_attr(const uint8_t *p, size_t len, size_t *off, struct attr *a)
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

static void
copy_str(char *dst, size_t dstlen, const struct attr *a)
{
	size_t n = strnlen((const char *)a->data, a->len);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, a->data, n);
	dst[n] = '\0';
}

static bool
get_u32(const struct attr *a, uint32_t *v)
{
	if (a->len < sizeof(*v))
		return false;
	memcpy(v, a->data, sizeof(*v));
	return true;
}

static int
parse_linkinfo(const struct attr *li, struct skit_nl_link *l)
{
	struct attr a;
	size_t off = 0;
	int r;

	while ((r = next_attr(li->data, li->len, &off, &a)) > 0)
		if (a.type == IFLA_INFO_KIND)
			copy_str(l->kind, sizeof(l->kind), &a);
	return r;
}

static int
parse_link(const uint8_t *p, size_t len, struct skit_nl_link *l)
{
	struct ifinfomsg ifi;
	struct attr a;
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
	while ((r = next_attr(p, len, &off, &a)) > 0) {
		switch (a.type) {
		case IFLA_IFNAME:
			copy_str(l->name, sizeof(l->name), &a);
			break;
		case IFLA_MTU:
			if (get_u32(&a, &v))
				l->mtu = v;
			break;
		case IFLA_OPERSTATE:
			if (a.len >= 1)
				l->operstate = a.data[0];
			break;
		case IFLA_MASTER:
			if (get_u32(&a, &v))
				l->master = (int)v;
			break;
		case IFLA_LINK:
			if (get_u32(&a, &v))
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
		}
	}
	return r;
}

static int
parse_addr(const uint8_t *p, size_t len, struct skit_nl_addr *ad)
{
	struct ifaddrmsg ifa;
	struct attr a;
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
	while ((r = next_attr(p, len, &off, &a)) > 0) {
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
			copy_str(ad->label, sizeof(ad->label), &a);
			break;
		case IFA_FLAGS:
			if (get_u32(&a, &v))
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

int
skit_nl_parse(const void *buf, size_t len, skit_nl_cb cb, void *data)
{
	const uint8_t *p = buf;
	size_t off = 0;

	while (off < len && len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		const uint8_t *body;
		size_t blen;
		struct skit_nl_event ev;
		int r;

		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EBADMSG;
		body = p + off + NLMSG_HDRLEN;
		blen = h.nlmsg_len >= NLMSG_HDRLEN ? h.nlmsg_len - NLMSG_HDRLEN
						   : 0;
		off += ALIGN4(h.nlmsg_len);
		memset(&ev, 0, sizeof(ev));
		switch (h.nlmsg_type) {
		case NLMSG_DONE:
			return 1;
		case NLMSG_ERROR: {
			struct nlmsgerr e;

			if (blen < sizeof(e.error))
				return -EBADMSG;
			memcpy(&e.error, body, sizeof(e.error));
			if (e.error == 0) /* an ACK */
				continue;
			return e.error < 0 && e.error > -4096 ? e.error
							      : -EBADMSG;
		}
		case RTM_NEWLINK:
		case RTM_DELLINK:
			r = parse_link(body, blen, &ev.u.link);
			if (r < 0)
				return r;
			ev.what = SKIT_NL_LINK;
			ev.deleted = h.nlmsg_type == RTM_DELLINK;
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			r = parse_addr(body, blen, &ev.u.addr);
			if (r < 0)
				return r;
			if (r == 0)
				continue; /* another family, or no address */
			ev.what = SKIT_NL_ADDR;
			ev.deleted = h.nlmsg_type == RTM_DELADDR;
			break;
		default:
			continue;
		}
		if (cb) {
			r = cb(&ev, data);
			if (r)
				return r;
		}
	}
	return 0;
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
