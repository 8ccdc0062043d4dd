/*
 * cli/cmd_ifaces.c - `skit ifaces`: interfaces and addresses over
 * NETLINK_ROUTE, like `ip -br link` / `ip -br addr`, as NDJSON with the
 * field names of `ip -j addr`, and --watch for changes as they happen.
 */
#include "cli.h"
#include "skit/nl.h"

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
	{ "watch", 'w', NULL, 'w',
	  "print link and address changes as they happen" },
	{ "count", 'c', "N", 'c', "with --watch: exit after N changes" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_help help = {
	.name = "ifaces",
	.permute = true,
	.synopsis = "skit ifaces [-b] [--json] [--watch [-c N]] [IFACE]",
	.about = "List network interfaces (name, index, state, flags, MTU, "
		 "MAC) and their IPv4\nand IPv6 addresses with prefix length "
		 "and scope, read over NETLINK_ROUTE.\nWith --watch, print "
		 "changes to links and addresses until interrupted\n(with -v "
		 "it says \"listening on netlink:route\" once subscribed).",
	.opts = opts,
	.extra = "examples:\n"
		 "  skit ifaces\n"
		 "  skit ifaces -b\n"
		 "  skit ifaces --json lo\n"
		 "  skit ifaces --watch\n",
};

struct ifaces_opts {
	bool brief, json, watch;
	long long count;
	const char *only;
};

struct table {
	struct skit_nl_link *links;
	size_t nlinks, caplinks;
	struct skit_nl_addr *addrs;
	size_t naddrs, capaddrs;
};

static int
collect(const struct skit_nl_event *ev, void *data)
{
	struct table *t = data;

	if (ev->what == SKIT_NL_LINK) {
		if (t->nlinks == t->caplinks) {
			size_t cap = t->caplinks ? t->caplinks * 2 : 16;
			void *n = realloc(t->links, cap * sizeof(*t->links));

			if (!n)
				return -ENOMEM;
			t->links = n;
			t->caplinks = cap;
		}
		t->links[t->nlinks++] = ev->u.link;
	} else {
		if (t->naddrs == t->capaddrs) {
			size_t cap = t->capaddrs ? t->capaddrs * 2 : 16;
			void *n = realloc(t->addrs, cap * sizeof(*t->addrs));

			if (!n)
				return -ENOMEM;
			t->addrs = n;
			t->capaddrs = cap;
		}
		t->addrs[t->naddrs++] = ev->u.addr;
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

static char *
hex_colon(const uint8_t *p, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 4 <= len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%02x",
					 i ? ":" : "", p[i]);
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

/* s as the inside of a JSON string (interface names may hold '"'). */
static const char *
json_esc(const char *s, char *buf, size_t len)
{
	size_t used = 0;

	for (; *s && used + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			used += (size_t)snprintf(buf + used, len - used, "\\%c",
						 c);
		else if (c < 0x20 || c == 0x7f)
			used += (size_t)snprintf(buf + used, len - used,
						 "\\u%04x", c);
		else
			buf[used++] = (char)c;
	}
	buf[used] = '\0';
	return buf;
}

/* The flags as a JSON array: ["LOOPBACK","UP","LOWER_UP"]. */
static void
flags_json(unsigned flags, char *out, size_t len)
{
	char f[256], *tok, *save = NULL;
	size_t used = 0;

	skit_nl_flags_str(flags, f, sizeof(f));
	used += (size_t)snprintf(out, len, "[");
	for (tok = strtok_r(f, ",", &save); tok && used < len;
	     tok = strtok_r(NULL, ",", &save))
		used += (size_t)snprintf(out + used, len - used, "%s\"%s\"",
					 used > 1 ? "," : "", tok);
	if (used < len)
		snprintf(out + used, len - used, "]");
}

static void
addr_info_json(const struct skit_nl_addr *a, char *out, size_t len)
{
	char s[INET6_ADDRSTRLEN], b[INET_ADDRSTRLEN], sc[16];
	char p[INET6_ADDRSTRLEN], lab[IFNAMSIZ * 6 + 1];
	int n;

	n = snprintf(out, len,
		     "{\"family\":\"%s\",\"local\":\"%s\",\"prefixlen\":%u",
		     a->family == AF_INET ? "inet" : "inet6",
		     addr_str(a, a->local, s, sizeof(s)), a->prefixlen);
	if (a->has_peer && n > 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, ",\"address\":\"%s\"",
			      addr_str(a, a->peer, p, sizeof(p)));
	if (a->has_broadcast && n > 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, ",\"broadcast\":\"%s\"",
			      inet_ntop(AF_INET, a->broadcast, b, sizeof(b))
				      ? b
				      : "?");
	if (n > 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, ",\"scope\":\"%s\"",
			      skit_nl_scope_name(a->scope, sc, sizeof(sc)));
	if (a->label[0] && n > 0 && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, ",\"label\":\"%s\"",
			      json_esc(a->label, lab, sizeof(lab)));
	if (n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "}");
}

static void
link_json(struct cli_json *j, const struct skit_nl_link *l)
{
	char buf[512], t[16];

	cli_json_int(j, "ifindex", l->index);
	cli_json_str(j, "ifname", l->name);
	flags_json(l->flags, buf, sizeof(buf));
	cli_json_raw(j, "flags", buf);
	cli_json_uint(j, "mtu", l->mtu);
	cli_json_str(j, "operstate", skit_nl_operstate_name(l->operstate));
	cli_json_str(j, "link_type", link_type(l->type, t, sizeof(t)));
	if (l->hwaddr_len)
		cli_json_str(
			j, "address",
			hex_colon(l->hwaddr, l->hwaddr_len, buf, sizeof(buf)));
	if (l->broadcast_len)
		cli_json_str(j, "broadcast",
			     hex_colon(l->broadcast, l->broadcast_len, buf,
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
	struct cli_json j;
	size_t cap = 64 + t->naddrs * 256, used = 1;
	char *arr = malloc(cap);

	cli_json_begin(&j, stdout);
	link_json(&j, l);
	if (arr) {
		arr[0] = '[';
		arr[1] = '\0';
		for (size_t i = 0; i < t->naddrs; i++) {
			char one[256];

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
	hex_colon(l->hwaddr, l->hwaddr_len, mac, sizeof(mac));
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

static int
on_event(const struct skit_nl_event *ev, void *data)
{
	struct watch *w = data;
	char name[IF_NAMESIZE] = "";
	char s[INET6_ADDRSTRLEN], sc[16], flags[256], mac[100];
	int index =
		ev->what == SKIT_NL_LINK ? ev->u.link.index : ev->u.addr.index;

	if (ev->what == SKIT_NL_LINK)
		snprintf(name, sizeof(name), "%s", ev->u.link.name);
	else if (!if_indextoname((unsigned)index, name))
		snprintf(name, sizeof(name), "?");
	if (w->o->only && strcmp(w->o->only, name))
		return 0;
	if (w->o->json) {
		struct cli_json j;
		char one[256];

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", ev->deleted ? "deleted" : "new");
		if (ev->what == SKIT_NL_LINK) {
			cli_json_str(&j, "what", "link");
			link_json(&j, &ev->u.link);
		} else {
			cli_json_str(&j, "what", "address");
			cli_json_int(&j, "ifindex", index);
			cli_json_str(&j, "ifname", name);
			addr_info_json(&ev->u.addr, one, sizeof(one));
			cli_json_raw(&j, "addr_info", one);
		}
		cli_json_end(&j);
	} else if (ev->what == SKIT_NL_LINK) {
		const struct skit_nl_link *l = &ev->u.link;

		skit_nl_flags_str(l->flags, flags, sizeof(flags));
		hex_colon(l->hwaddr, l->hwaddr_len, mac, sizeof(mac));
		if (ev->deleted)
			printf("deleted link %d: %s\n", index, name);
		else
			printf("link %d: %s %s mtu %u %s <%s>\n", index, name,
			       skit_nl_operstate_name(l->operstate), l->mtu,
			       l->hwaddr_len ? mac : "-", flags);
	} else {
		const struct skit_nl_addr *a = &ev->u.addr;

		printf("%s %d: %s %s %s/%u scope %s\n",
		       ev->deleted ? "deleted address" : "new address", index,
		       name, a->family == AF_INET ? "inet" : "inet6",
		       addr_str(a, a->local, s, sizeof(s)), a->prefixlen,
		       skit_nl_scope_name(a->scope, sc, sizeof(sc)));
	}
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
	int fd, r = 0;

	skit_err_clear(&err);
	fd = skit_nl_open(SKIT_NL_GROUP_LINK | SKIT_NL_GROUP_ADDR, &err);
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

int
cmd_ifaces(int argc, char **argv)
{
	struct ifaces_opts o;
	struct table t = { 0 };
	struct skit_err err;
	int fd, r, rc = CLI_EXIT_OK;
	bool found = false;

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
	if (r == 0)
		r = skit_nl_dump(fd, SKIT_NL_ADDR, collect, &t);
	skit_close(fd);
	if (r < 0) {
		cli_errorf("ifaces: dump netlink:route: %s", skit_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	for (size_t i = 0; i < t.nlinks; i++) {
		if (o.only && strcmp(o.only, t.links[i].name))
			continue;
		found = true;
		if (o.json)
			print_json(&t, &t.links[i]);
		else
			print_text(&t, &t.links[i], o.brief);
	}
	if (o.only && !found) {
		cli_errorf("ifaces: no interface '%s'", o.only);
		rc = CLI_EXIT_REFUSED;
	}
out:
	free(t.links);
	free(t.addrs);
	return rc;
}
