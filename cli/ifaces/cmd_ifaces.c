/*
 * cli/ifaces/cmd_ifaces.c - `skit ifaces`: interfaces and addresses over
 * NETLINK_ROUTE, like `ip -br link` / `ip -br addr`, routes of every
 * table and neighbours (ifaces_route.c), as NDJSON with the field names
 * of `ip -j`, and --watch for changes as they happen.
 */
#include "ifaces.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_JSON = 256 };

static const struct cli_opt opts[] = {
	{ "brief", 'b', NULL, 'b',
	  "one line per interface with its addresses (ip -br addr)" },
	{ "json", 0, NULL, OPT_JSON,
	  "NDJSON, one object per interface (ip -j addr names)" },
	{ "routes", 'r', NULL, 'r',
	  "routes of every table (ip route show table all)" },
	{ "neigh", 'n', NULL, 'n', "neighbours: ARP and NDP (ip neigh)" },
	{ "watch", 'w', NULL, 'w',
	  "print changes as they happen (links and addresses, or with "
	  "-r/-n routes/neighbours)" },
	{ "count", 'c', "N", 'c', "with --watch: exit after N changes" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_help help = {
	.name = "ifaces",
	.permute = true,
	.synopsis = "skit ifaces [-b] [--json] [--watch [-c N]] [IFACE]\n"
		    "       skit ifaces --routes|--neigh [--json] [IFACE]\n"
		    "       skit ifaces --watch [--routes] [--neigh] [-c N] "
		    "[--json] [IFACE]",
	.about = "List network interfaces (name, index, state, flags, MTU, "
		 "MAC) and their IPv4\nand IPv6 addresses with prefix length "
		 "and scope, read over NETLINK_ROUTE;\nwith --routes the "
		 "routes of every table, with --neigh the neighbours.\nWith "
		 "--watch, print changes as they happen until interrupted\n"
		 "(with -v it says \"listening on netlink:route\" once "
		 "subscribed).",
	.opts = opts,
	.extra = "examples:\n"
		 "  skit ifaces\n"
		 "  skit ifaces -b\n"
		 "  skit ifaces --json lo\n"
		 "  skit ifaces --routes\n"
		 "  skit ifaces --neigh --json eth0\n"
		 "  skit ifaces --watch\n"
		 "  skit ifaces --watch --routes --neigh\n",
};

struct ifaces_opts {
	bool brief, json, watch, routes, neigh;
	long long count;
	const char *only;
};

/* What the dumps returned, in the kernel's order. */
struct table {
	struct skit_nl_link *links;
	size_t nlinks, caplinks;
	struct skit_nl_addr *addrs;
	size_t naddrs, capaddrs;
	struct skit_nl_route *routes;
	size_t nroutes, caproutes;
	struct skit_nl_neigh *neigh;
	size_t nneigh, capneigh;
};

/* Make room for one more element of size sz in *arr. */
static int
grow(void **arr, size_t *n, size_t *cap, size_t sz)
{
	void *p;
	size_t c;

	if (*n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*arr, c * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

#define PUSH(arr, n, cap, val)                                   \
	(grow((void **)&(arr), &(n), &(cap), sizeof(*(arr))) < 0 \
		 ? -ENOMEM                                       \
		 : ((arr)[(n)++] = (val), 0))

static int
collect(const struct skit_nl_event *ev, void *data)
{
	struct table *t = data;

	switch (ev->what) {
	case SKIT_NL_LINK:
		return PUSH(t->links, t->nlinks, t->caplinks, ev->u.link);
	case SKIT_NL_ADDR:
		return PUSH(t->addrs, t->naddrs, t->capaddrs, ev->u.addr);
	case SKIT_NL_ROUTE:
		return PUSH(t->routes, t->nroutes, t->caproutes, ev->u.route);
	case SKIT_NL_NEIGH:
		return PUSH(t->neigh, t->nneigh, t->capneigh, ev->u.neigh);
	}
	return 0;
}

static const char *
link_type(unsigned type, char *buf, size_t len)
{
	switch (type) {
	case ARPHRD_ETHER:
		return "ether";
	case ARPHRD_LOOPBACK:
		return "loopback";
	case ARPHRD_NONE:
		return "none";
	case ARPHRD_TUNNEL:
		return "ipip";
	case ARPHRD_TUNNEL6:
		return "tunnel6";
	case ARPHRD_SIT:
		return "sit";
	case ARPHRD_IPGRE:
		return "gre";
	case ARPHRD_IEEE80211:
		return "ieee802.11";
	case ARPHRD_VOID:
		return "void";
	}
	snprintf(buf, len, "%u", type);
	return buf;
}

static const char *
addr_str(const struct skit_nl_addr *a, const uint8_t *bytes, char *buf,
	 size_t len)
{
	if (!inet_ntop(a->family, bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* One address as `ip -j addr` shows it in addr_info. */
static void
addr_info_json(const struct skit_nl_addr *a, char *out, size_t len)
{
	char s[INET6_ADDRSTRLEN], b[INET_ADDRSTRLEN], sc[16], fl[256];
	char p[INET6_ADDRSTRLEN];
	FILE *f = fmemopen(out, len, "w");
	struct cli_json j;

	if (!f) {
		snprintf(out, len, "{}");
		return;
	}
	cli_json_begin(&j, f);
	cli_json_str(&j, "family", a->family == AF_INET ? "inet" : "inet6");
	cli_json_str(&j, "local", addr_str(a, a->local, s, sizeof(s)));
	if (a->has_peer)
		cli_json_str(&j, "address", addr_str(a, a->peer, p, sizeof(p)));
	cli_json_uint(&j, "prefixlen", a->prefixlen);
	if (a->has_broadcast)
		cli_json_str(&j, "broadcast",
			     inet_ntop(AF_INET, a->broadcast, b, sizeof(b))
				     ? b
				     : "?");
	cli_json_str(&j, "scope", skit_nl_scope_name(a->scope, sc, sizeof(sc)));
	/* Each flag is a boolean key, as in ip -j. */
	skit_nl_ifa_flags_str(a->family, a->flags, fl, sizeof(fl));
	for (char *tok = fl, *end; *tok; tok = end) {
		end = tok + strcspn(tok, ",");
		if (*end)
			*end++ = '\0';
		cli_json_bool(&j, tok, true);
	}
	if (a->label[0])
		cli_json_str(&j, "label", a->label);
	cli_json_uint(&j, "valid_life_time", a->valid_lft);
	cli_json_uint(&j, "preferred_life_time", a->preferred_lft);
	fputc('}', f);
	/* An object that did not fit is cut: say nothing rather. */
	if (fclose(f) || strnlen(out, len) >= len - 1)
		snprintf(out, len, "{}");
}

static void
link_json(struct cli_json *j, const struct skit_nl_link *l,
	  const struct ifaces_names *names)
{
	char buf[512], t[16], name[32];

	cli_json_int(j, "ifindex", l->index);
	/* ip names the link (a veth peer) when it is in this namespace. */
	if (l->link && !l->link_netnsid)
		cli_json_str(j, "link",
			     ifaces_name(names, l->link, name, sizeof(name)));
	cli_json_str(j, "ifname", l->name);
	ifaces_json_list(j, "flags",
			 skit_nl_flags_str(l->flags, buf, sizeof(buf)));
	cli_json_uint(j, "mtu", l->mtu);
	if (l->qdisc[0])
		cli_json_str(j, "qdisc", l->qdisc);
	if (l->master)
		cli_json_str(j, "master",
			     ifaces_name(names, l->master, name, sizeof(name)));
	cli_json_str(j, "operstate", skit_nl_operstate_name(l->operstate));
	if (l->group)
		cli_json_str(j, "group",
			     (snprintf(t, sizeof(t), "%u", l->group), t));
	else
		cli_json_str(j, "group", "default");
	if (l->has_txqlen)
		cli_json_uint(j, "txqlen", l->txqlen);
	cli_json_str(j, "link_type", link_type(l->type, t, sizeof(t)));
	if (l->hwaddr_len)
		cli_json_str(
			j, "address",
			ifaces_hex(l->hwaddr, l->hwaddr_len, buf, sizeof(buf)));
	if (l->broadcast_len)
		cli_json_str(j, "broadcast",
			     ifaces_hex(l->broadcast, l->broadcast_len, buf,
					sizeof(buf)));
	if (l->kind[0])
		cli_json_str(j, "kind", l->kind);
	if (l->master)
		cli_json_int(j, "master_index", l->master);
	if (l->link)
		cli_json_int(j, "link_index", l->link);
}

static void
print_json(const struct table *t, const struct skit_nl_link *l)
{
	struct ifaces_names names = { t->links, t->nlinks };
	struct cli_json j;
	size_t cap = 64 + t->naddrs * 512, used = 1;
	char *arr = malloc(cap);

	cli_json_begin(&j, stdout);
	link_json(&j, l, &names);
	if (arr) {
		arr[0] = '[';
		arr[1] = '\0';
		for (size_t i = 0; i < t->naddrs; i++) {
			char one[512];

			if (t->addrs[i].index != l->index)
				continue;
			addr_info_json(&t->addrs[i], one, sizeof(one));
			used += (size_t)snprintf(arr + used, cap - used, "%s%s",
						 used > 1 ? "," : "", one);
		}
		snprintf(arr + used, cap - used, "]");
		cli_json_raw(&j, "addr_info", arr);
		free(arr);
	}
	cli_json_end(&j);
}

static void
print_text(const struct table *t, const struct skit_nl_link *l, bool brief)
{
	char mac[100], flags[256], s[INET6_ADDRSTRLEN], sc[16];

	skit_nl_flags_str(l->flags, flags, sizeof(flags));
	ifaces_hex(l->hwaddr, l->hwaddr_len, mac, sizeof(mac));
	if (brief) {
		printf("%-16s %-14s", l->name,
		       skit_nl_operstate_name(l->operstate));
		for (size_t i = 0; i < t->naddrs; i++)
			if (t->addrs[i].index == l->index)
				printf(" %s/%u",
				       addr_str(&t->addrs[i], t->addrs[i].local,
						s, sizeof(s)),
				       t->addrs[i].prefixlen);
		printf("\n");
		return;
	}
	printf("%d: %-12s %-8s mtu %-6u %-17s <%s>\n", l->index, l->name,
	       skit_nl_operstate_name(l->operstate), l->mtu,
	       l->hwaddr_len ? mac : "-", flags);
	for (size_t i = 0; i < t->naddrs; i++) {
		const struct skit_nl_addr *a = &t->addrs[i];

		if (a->index != l->index)
			continue;
		printf("    %-5s %s/%u scope %s\n",
		       a->family == AF_INET ? "inet" : "inet6",
		       addr_str(a, a->local, s, sizeof(s)), a->prefixlen,
		       skit_nl_scope_name(a->scope, sc, sizeof(sc)));
	}
}

static int
parse_args(int argc, char **argv, struct ifaces_opts *o)
{
	struct cli_getopt_state st = { 0 };
	const char *arg;
	int c, rc = -1;

	memset(o, 0, sizeof(*o));
	while ((c = cli_getopt(argc, argv, &help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			rc = -2;
			goto out;
		case 'b':
			o->brief = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'w':
			o->watch = true;
			break;
		case 'r':
			o->routes = true;
			break;
		case 'n':
			o->neigh = true;
			break;
		case 'c':
			if (cli_parse_int("-c", arg, 1, 1LL << 40, &o->count))
				goto out;
			break;
		default:
			goto out;
		}
	}
	if (optind < argc - 1) {
		cli_errorf("ifaces: one IFACE at most");
		goto out;
	}
	if (optind == argc - 1)
		o->only = argv[optind];
	if (o->routes && o->neigh && !o->watch) {
		cli_errorf("ifaces: --routes or --neigh, one at a time "
			   "(both go together with --watch)");
		goto out;
	}
	if (o->brief && (o->routes || o->neigh)) {
		cli_errorf("ifaces: -b is for interfaces, not --routes or "
			   "--neigh");
		goto out;
	}
	rc = 0;
out:
	cli_getopt_done(&st);
	return rc;
}

/* --watch */

struct watch {
	const struct ifaces_opts *o;
	long long seen;
};

/* The interface an event is about. */
static int
event_index(const struct skit_nl_event *ev)
{
	switch (ev->what) {
	case SKIT_NL_LINK:
		return ev->u.link.index;
	case SKIT_NL_ADDR:
		return ev->u.addr.index;
	case SKIT_NL_ROUTE:
		return ev->u.route.oif;
	case SKIT_NL_NEIGH:
		return ev->u.neigh.index;
	}
	return 0;
}

static void
event_json(const struct skit_nl_event *ev, const char *name)
{
	static const char *const what[] = { "", "link", "address", "route",
					    "neigh" };
	struct cli_json j;
	char one[512];

	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", ev->deleted ? "deleted" : "new");
	cli_json_str(&j, "what", what[ev->what]);
	switch (ev->what) {
	case SKIT_NL_LINK:
		link_json(&j, &ev->u.link, NULL);
		break;
	case SKIT_NL_ADDR:
		cli_json_int(&j, "ifindex", ev->u.addr.index);
		cli_json_str(&j, "ifname", name);
		addr_info_json(&ev->u.addr, one, sizeof(one));
		cli_json_raw(&j, "addr_info", one);
		break;
	case SKIT_NL_ROUTE:
		ifaces_route_json(&j, NULL, &ev->u.route);
		break;
	case SKIT_NL_NEIGH:
		ifaces_neigh_json(&j, NULL, &ev->u.neigh);
		break;
	}
	cli_json_end(&j);
}

static void
event_text(const struct skit_nl_event *ev, const char *name)
{
	char s[INET6_ADDRSTRLEN], sc[16], flags[256], mac[100];

	switch (ev->what) {
	case SKIT_NL_LINK: {
		const struct skit_nl_link *l = &ev->u.link;

		skit_nl_flags_str(l->flags, flags, sizeof(flags));
		ifaces_hex(l->hwaddr, l->hwaddr_len, mac, sizeof(mac));
		if (ev->deleted)
			printf("deleted link %d: %s\n", l->index, name);
		else
			printf("link %d: %s %s mtu %u %s <%s>\n", l->index,
			       name, skit_nl_operstate_name(l->operstate),
			       l->mtu, l->hwaddr_len ? mac : "-", flags);
		break;
	}
	case SKIT_NL_ADDR: {
		const struct skit_nl_addr *a = &ev->u.addr;

		printf("%s %d: %s %s %s/%u scope %s\n",
		       ev->deleted ? "deleted address" : "new address",
		       a->index, name, a->family == AF_INET ? "inet" : "inet6",
		       addr_str(a, a->local, s, sizeof(s)), a->prefixlen,
		       skit_nl_scope_name(a->scope, sc, sizeof(sc)));
		break;
	}
	case SKIT_NL_ROUTE:
		ifaces_route_text(NULL, &ev->u.route,
				  ev->deleted ? "deleted route "
					      : "new route ");
		break;
	case SKIT_NL_NEIGH:
		ifaces_neigh_text(NULL, &ev->u.neigh,
				  ev->deleted ? "deleted neigh " : "neigh ");
		break;
	}
}

static int
on_event(const struct skit_nl_event *ev, void *data)
{
	struct watch *w = data;
	char name[IF_NAMESIZE] = "";
	int index = event_index(ev);

	if (ev->what == SKIT_NL_LINK)
		snprintf(name, sizeof(name), "%s", ev->u.link.name);
	else if (!index || !if_indextoname((unsigned)index, name))
		snprintf(name, sizeof(name), "?");
	if (w->o->only && strcmp(w->o->only, name))
		return 0;
	if (w->o->json)
		event_json(ev, name);
	else
		event_text(ev, name);
	cli_stdout_flush();
	w->seen++;
	/* Stop at --count, or once stdout fails (it was reported). */
	if ((w->o->count && w->seen >= w->o->count) || cli_g.stdout_code)
		return -ECANCELED;
	return 0;
}

static int
watch(const struct ifaces_opts *o)
{
	struct skit_err err;
	struct watch w = { .o = o };
	unsigned groups = 0;
	int fd, r = 0;

	/* What the listing would show: links and addresses, or -r/-n. */
	if (o->routes)
		groups |= SKIT_NL_GROUP_ROUTE;
	if (o->neigh)
		groups |= SKIT_NL_GROUP_NEIGH;
	if (!groups)
		groups = SKIT_NL_GROUP_LINK | SKIT_NL_GROUP_ADDR;

	skit_err_clear(&err);
	fd = skit_nl_open(groups, &err);
	if (fd < 0)
		return cli_report(&err);
	/*
	 * Each event is printed and flushed as it comes: nothing is owed on
	 * a stop signal, which ends the process at once wherever it waits
	 * (cli/stop.c), the blocking netlink read included.
	 */
	cli_verbose("listening on netlink:route");
	for (;;) {
		r = skit_nl_read(fd, on_event, &w);
		if (r == -ENOBUFS) {
			cli_errorf("ifaces: the kernel dropped notifications "
				   "(reader too slow)");
			continue;
		}
		if (r < 0)
			break;
	}
	skit_close(fd);
	if (r == -ECANCELED)
		return CLI_EXIT_OK;
	cli_errorf("ifaces: read netlink:route: %s", skit_strerror(r));
	return cli_exit_for(r);
}

/* Print the dumped routes or neighbours (only those via o->only). */
static void
print_routes_neigh(const struct ifaces_opts *o, const struct table *t,
		   int only_index)
{
	struct ifaces_names names = { t->links, t->nlinks };
	struct cli_json j;

	for (size_t i = 0; o->routes && i < t->nroutes; i++) {
		const struct skit_nl_route *rt = &t->routes[i];

		if (!ifaces_route_listed(rt) ||
		    (only_index && rt->oif != only_index))
			continue;
		if (o->json) {
			cli_json_begin(&j, stdout);
			ifaces_route_json(&j, &names, rt);
			cli_json_end(&j);
		} else {
			ifaces_route_text(&names, rt, "");
		}
	}
	for (size_t i = 0; o->neigh && i < t->nneigh; i++) {
		const struct skit_nl_neigh *ne = &t->neigh[i];

		if (!ifaces_neigh_listed(ne) ||
		    (only_index && ne->index != only_index))
			continue;
		if (o->json) {
			cli_json_begin(&j, stdout);
			ifaces_neigh_json(&j, &names, ne);
			cli_json_end(&j);
		} else {
			ifaces_neigh_text(&names, ne, "");
		}
	}
}

int
cmd_ifaces(int argc, char **argv)
{
	struct ifaces_opts o;
	struct table t = { 0 };
	struct skit_err err;
	int fd, r, rc = CLI_EXIT_OK, only_index = 0;

	r = parse_args(argc, argv, &o);
	if (r == -2)
		return CLI_EXIT_OK;
	if (r < 0)
		return CLI_EXIT_USAGE;
	if (o.watch)
		return watch(&o);
	skit_err_clear(&err);
	fd = skit_nl_open(0, &err);
	if (fd < 0)
		return cli_report(&err);
	r = skit_nl_dump(fd, SKIT_NL_LINK, collect, &t);
	if (r == 0 && !o.routes && !o.neigh)
		r = skit_nl_dump(fd, SKIT_NL_ADDR, collect, &t);
	if (r == 0 && o.routes)
		r = skit_nl_dump(fd, SKIT_NL_ROUTE, collect, &t);
	if (r == 0 && o.neigh)
		r = skit_nl_dump(fd, SKIT_NL_NEIGH, collect, &t);
	skit_close(fd);
	if (r < 0) {
		cli_errorf("ifaces: dump netlink:route: %s", skit_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	for (size_t i = 0; i < t.nlinks; i++) {
		if (o.only && strcmp(o.only, t.links[i].name))
			continue;
		if (o.only)
			only_index = t.links[i].index;
		if (o.routes || o.neigh)
			continue;
		if (o.json)
			print_json(&t, &t.links[i]);
		else
			print_text(&t, &t.links[i], o.brief);
	}
	if (o.only && !only_index) {
		cli_errorf("ifaces: no interface '%s'", o.only);
		rc = CLI_EXIT_REFUSED;
		goto out;
	}
	print_routes_neigh(&o, &t, only_index);
out:
	free(t.links);
	free(t.addrs);
	free(t.routes);
	free(t.neigh);
	return rc;
}
