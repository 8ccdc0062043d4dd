/*
 * cli/ifaces/ifaces_route.c - routes and neighbours for `skit ifaces
 * --routes` and `--neigh`: one line like `ip route show table all` /
 * `ip neigh`, or the fields of `ip -j route` / `ip -j neigh`.
 */
#include "ifaces.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
ifaces_name(const struct ifaces_names *n, int index, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	for (size_t i = 0; n && i < n->nlinks; i++)
		if (n->links[i].index == index)
			return n->links[i].name;
	if (if_indextoname((unsigned)index, name))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "if%d", index);
	return buf;
}

char *
ifaces_hex(const uint8_t *p, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 4 <= len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%02x",
					 i ? ":" : "", p[i]);
	return buf;
}

void
ifaces_json_list(struct cli_json *j, const char *key, const char *list)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *p = list;

	if (!f)
		return;
	fputc('[', f);
	while (*p) {
		size_t n = strcspn(p, ",");

		if (p != list)
			fputc(',', f);
		cli_json_quote(f, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	fputc(']', f);
	if (fclose(f) == 0)
		cli_json_raw(j, key, buf);
	free(buf);
}

/* An address of family af, or "?" (buf holds at least 46 bytes). */
static const char *
ntop(int af, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(af, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/*
 * `ip route`'s prefix text: "default", "10.0.0.0/8", "10.0.0.1" (a host
 * route has no length), "0/8" when the kernel sent a length without an
 * address.
 */
static const char *
prefix_str(int af, const uint8_t *a, bool has, unsigned plen, char *buf,
	   size_t len)
{
	char s[INET6_ADDRSTRLEN];
	unsigned host = af == AF_INET ? 32 : 128;

	if (!has && !plen)
		snprintf(buf, len, "default");
	else if (!has)
		snprintf(buf, len, "0/%u", plen);
	else if (plen == host)
		snprintf(buf, len, "%s", ntop(af, a, s, sizeof(s)));
	else
		snprintf(buf, len, "%s/%u", ntop(af, a, s, sizeof(s)), plen);
	return buf;
}

/* RTA_PREF as `ip -6 route` prints it. */
static const char *
pref_name(int pref, char *buf, size_t len)
{
	switch (pref) {
	case 0:
		return "medium";
	case 1:
		return "high";
	case 3:
		return "low";
	}
	snprintf(buf, len, "%d", pref);
	return buf;
}

/* The fields in `ip route`'s order, for both printers. */
struct route_fields {
	char type[16], dst[64], from[64], gw[INET6_ADDRSTRLEN], dev[32];
	char table[16], proto[16], scope[16], prefsrc[INET6_ADDRSTRLEN];
	char flags[128], pref[16];
	const char *type_p, *table_p, *proto_p, *scope_p, *pref_p;
};

static void
route_fields(const struct ifaces_names *n, const struct skit_nl_route *rt,
	     struct route_fields *f)
{
	memset(f, 0, sizeof(*f));
	/* Like ip: the type when not unicast, the table when not main,
	 * the protocol when not boot, the scope when not global. */
	if (rt->type != RTN_UNICAST)
		f->type_p =
			skit_nl_rtype_name(rt->type, f->type, sizeof(f->type));
	prefix_str(rt->family, rt->dst, rt->has_dst, rt->dst_len, f->dst,
		   sizeof(f->dst));
	if (rt->has_src || rt->src_len)
		prefix_str(rt->family, rt->src, rt->has_src, rt->src_len,
			   f->from, sizeof(f->from));
	if (rt->has_gateway)
		ntop(rt->gateway_family, rt->gateway, f->gw, sizeof(f->gw));
	if (rt->oif) {
		char b[32];

		snprintf(f->dev, sizeof(f->dev), "%s",
			 ifaces_name(n, rt->oif, b, sizeof(b)));
	}
	if (rt->table != RT_TABLE_MAIN)
		f->table_p = skit_nl_table_name(rt->table, f->table,
						sizeof(f->table));
	if (rt->protocol != RTPROT_BOOT)
		f->proto_p = skit_nl_rtproto_name(rt->protocol, f->proto,
						  sizeof(f->proto));
	if (rt->scope != RT_SCOPE_UNIVERSE)
		f->scope_p = skit_nl_scope_name(rt->scope, f->scope,
						sizeof(f->scope));
	if (rt->has_prefsrc)
		ntop(rt->family, rt->prefsrc, f->prefsrc, sizeof(f->prefsrc));
	skit_nl_rtflags_str(rt->flags, f->flags, sizeof(f->flags));
	if (rt->pref >= 0)
		f->pref_p = pref_name(rt->pref, f->pref, sizeof(f->pref));
}

bool
ifaces_route_listed(const struct skit_nl_route *rt)
{
	return !(rt->flags & RTM_F_CLONED);
}

bool
ifaces_neigh_listed(const struct skit_nl_neigh *ne)
{
	return ne->state != NUD_NONE && !(ne->state & NUD_NOARP);
}

void
ifaces_route_text(const struct ifaces_names *n, const struct skit_nl_route *rt,
		  const char *prefix)
{
	struct route_fields f;

	route_fields(n, rt, &f);
	printf("%s", prefix);
	if (f.type_p)
		printf("%s ", f.type_p);
	printf("%s", f.dst);
	if (f.from[0])
		printf(" from %s", f.from);
	if (rt->tos)
		printf(" tos 0x%x", rt->tos);
	if (f.gw[0])
		printf(" via %s%s",
		       rt->gateway_family != rt->family
			       ? (rt->gateway_family == AF_INET ? "inet "
								: "inet6 ")
			       : "",
		       f.gw);
	if (f.dev[0])
		printf(" dev %s", f.dev);
	if (f.table_p)
		printf(" table %s", f.table_p);
	if (f.proto_p)
		printf(" proto %s", f.proto_p);
	if (f.scope_p)
		printf(" scope %s", f.scope_p);
	if (f.prefsrc[0])
		printf(" src %s", f.prefsrc);
	if (rt->has_metric)
		printf(" metric %u", rt->metric);
	for (char *p = f.flags; *p; p++)
		if (*p == ',')
			*p = ' ';
	if (f.flags[0])
		printf(" %s", f.flags);
	if (rt->expires)
		printf(" expires %ldsec", rt->expires);
	if (f.pref_p)
		printf(" pref %s", f.pref_p);
	if (rt->nexthops)
		printf(" nexthops %d", rt->nexthops);
	printf("\n");
}

void
ifaces_route_json(struct cli_json *j, const struct ifaces_names *n,
		  const struct skit_nl_route *rt)
{
	struct route_fields f;

	route_fields(n, rt, &f);
	if (f.type_p)
		cli_json_str(j, "type", f.type_p);
	cli_json_str(j, "dst", f.dst);
	if (f.from[0])
		cli_json_str(j, "from", f.from);
	if (rt->tos) {
		char t[16];

		snprintf(t, sizeof(t), "0x%x", rt->tos);
		cli_json_str(j, "tos", t);
	}
	if (f.gw[0] && rt->gateway_family == rt->family)
		cli_json_str(j, "gateway", f.gw);
	if (f.gw[0] && rt->gateway_family != rt->family) {
		char via[128];

		snprintf(
			via, sizeof(via), "{\"family\":\"%s\",\"host\":\"%s\"}",
			rt->gateway_family == AF_INET ? "inet" : "inet6", f.gw);
		cli_json_raw(j, "via", via);
	}
	if (f.dev[0])
		cli_json_str(j, "dev", f.dev);
	if (f.table_p)
		cli_json_str(j, "table", f.table_p);
	if (f.proto_p)
		cli_json_str(j, "protocol", f.proto_p);
	if (f.scope_p)
		cli_json_str(j, "scope", f.scope_p);
	if (f.prefsrc[0])
		cli_json_str(j, "prefsrc", f.prefsrc);
	if (rt->has_metric)
		cli_json_uint(j, "metric", rt->metric);
	ifaces_json_list(j, "flags", f.flags);
	if (rt->expires)
		cli_json_int(j, "expires", rt->expires);
	if (f.pref_p)
		cli_json_str(j, "pref", f.pref_p);
	if (rt->nexthops)
		cli_json_int(j, "nexthops_count", rt->nexthops);
	/* skit's own: the family and the table as a number. */
	cli_json_str(j, "family", rt->family == AF_INET ? "inet" : "inet6");
	cli_json_uint(j, "table_id", rt->table);
}

void
ifaces_neigh_text(const struct ifaces_names *n, const struct skit_nl_neigh *ne,
		  const char *prefix)
{
	char dst[INET6_ADDRSTRLEN] = "?", dev[32], ll[100], st[128];

	if (ne->has_dst)
		ntop(ne->family, ne->dst, dst, sizeof(dst));
	printf("%s%s dev %s", prefix, dst,
	       ifaces_name(n, ne->index, dev, sizeof(dev)));
	if (ne->lladdr_len)
		printf(" lladdr %s",
		       ifaces_hex(ne->lladdr, ne->lladdr_len, ll, sizeof(ll)));
	if (ne->flags & NTF_ROUTER)
		printf(" router");
	if (ne->flags & NTF_PROXY)
		printf(" proxy");
	skit_nl_nud_str(ne->state, st, sizeof(st));
	for (char *p = st; *p; p++)
		if (*p == ',')
			*p = ' ';
	printf(" %s\n", st);
}

void
ifaces_neigh_json(struct cli_json *j, const struct ifaces_names *n,
		  const struct skit_nl_neigh *ne)
{
	char dst[INET6_ADDRSTRLEN] = "?", dev[32], ll[100], st[128];

	if (ne->has_dst)
		ntop(ne->family, ne->dst, dst, sizeof(dst));
	cli_json_str(j, "dst", dst);
	cli_json_str(j, "dev", ifaces_name(n, ne->index, dev, sizeof(dev)));
	if (ne->lladdr_len)
		cli_json_str(
			j, "lladdr",
			ifaces_hex(ne->lladdr, ne->lladdr_len, ll, sizeof(ll)));
	if (ne->flags & NTF_ROUTER)
		cli_json_null(j, "router");
	if (ne->flags & NTF_PROXY)
		cli_json_null(j, "proxy");
	ifaces_json_list(j, "state",
			 skit_nl_nud_str(ne->state, st, sizeof(st)));
	cli_json_str(j, "family", ne->family == AF_INET ? "inet" : "inet6");
	cli_json_int(j, "ifindex", ne->index);
}
