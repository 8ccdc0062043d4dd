/*
 * cli/cmd_sockets.c - `skit sockets`: the job of `ss` over
 * NETLINK_SOCK_DIAG. Every TCP, UDP, raw, unix, packet and netlink
 * socket in the namespace with state, queues, addresses in skit's form
 * (a line's address pastes into `skit connect`), the owning process from
 * /proc, TCP info with -i, filters by kind, state and port, NDJSON, and
 * --watch for sockets as they come and go.
 */
#include "cli.h"
#include "skit/diag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { OPT_JSON = 256, OPT_NETLINK, OPT_INTERVAL };

static const struct cli_opt opts[] = {
	{ "all", 'a', NULL, 'a', "every socket (the default; as ss -a)" },
	{ "listening", 'l', NULL, 'l',
	  "only listening and unconnected sockets (LISTEN, UNCONN)" },
	{ "tcp", 't', NULL, 't', "TCP sockets" },
	{ "udp", 'u', NULL, 'u', "UDP sockets" },
	{ "raw", 'w', NULL, 'w', "raw IP sockets" },
	{ "unix", 'x', NULL, 'x', "unix sockets" },
	{ "packet", '0', NULL, '0', "packet sockets" },
	{ "netlink", 0, NULL, OPT_NETLINK, "netlink sockets" },
	{ "ipv4", '4', NULL, '4', "only IPv4 TCP/UDP/raw sockets" },
	{ "ipv6", '6', NULL, '6', "only IPv6 TCP/UDP/raw sockets" },
	{ "info", 'i', NULL, 'i', "TCP internals: rtt, cwnd, retransmits" },
	{ "processes", 'p', NULL, 'p',
	  "the owning process (always shown; as ss -p)" },
	{ "no-header", 'H', NULL, 'H', "no header line" },
	{ "json", 0, NULL, OPT_JSON, "NDJSON: one object per socket" },
	{ "watch", 'W', NULL, 'W',
	  "print sockets as they are made and closed" },
	{ "count", 'c', "N", 'c', "with --watch: exit after N events" },
	{ "interval", 0, "SECS", OPT_INTERVAL,
	  "with --watch: look for new sockets every SECS (default 1)" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_help help = {
	.name = "sockets",
	.permute = true,
	.synopsis = "skit sockets [-l] [-tuwx0] [--netlink] [-4|-6] [-i] "
		    "[--json] [KIND...] [FILTER...]\n"
		    "       skit sockets --watch [-c N] [--interval SECS] "
		    "[KIND...] [FILTER...]",
	.about = "List every socket in this network namespace, like ss -a, "
		 "read over\nNETLINK_SOCK_DIAG: NETID, STATE, RECV-Q, SEND-Q, "
		 "the local and peer address\nin skit's form (paste one into "
		 "skit connect), and the owning process.\nKIND is tcp, udp, "
		 "raw, unix, packet or netlink (tcp4, udp6... for one\n"
		 "family). FILTER is state STATE, sport N, dport N or port N "
		 "(ss's\n\"dport = :443\" works too); a repeated filter "
		 "matches any of its values,\ndifferent ones must all match. "
		 "No privilege is needed; other users'\nprocesses show only "
		 "to root. With -v, --watch says \"listening on\nnetlink:"
		 "sock_diag\" once it runs.",
	.opts = opts,
	.extra = "examples:\n"
		 "  skit sockets\n"
		 "  skit sockets -l tcp\n"
		 "  skit sockets state established dport 443\n"
		 "  skit sockets -i tcp --json\n"
		 "  skit sockets --watch tcp\n",
};

#define NKINDS 6

struct sockets_opts {
	unsigned kinds;	 /* 1 << kind; 0: all */
	int family;	 /* AF_INET, AF_INET6, 0 for both */
	unsigned states; /* 1 << TCP_*; 0: all */
	bool info, json, header, watch;
	long long count, interval_ms;
	int sport[16], dport[16], port[16];
	int nsport, ndport, nport;
};

/* KIND operands and the options that name kinds. */
static const struct {
	const char *name;
	enum skit_diag_kind kind;
	int family;
} kind_words[] = {
	{ "tcp", SKIT_DIAG_TCP, 0 },
	{ "tcp4", SKIT_DIAG_TCP, AF_INET },
	{ "tcp6", SKIT_DIAG_TCP, AF_INET6 },
	{ "udp", SKIT_DIAG_UDP, 0 },
	{ "udp4", SKIT_DIAG_UDP, AF_INET },
	{ "udp6", SKIT_DIAG_UDP, AF_INET6 },
	{ "raw", SKIT_DIAG_RAW, 0 },
	{ "unix", SKIT_DIAG_UNIX, 0 },
	{ "packet", SKIT_DIAG_PACKET, 0 },
	{ "netlink", SKIT_DIAG_NETLINK, 0 },
};

static int
add_port(const char *what, const char *arg, int *list, int *n)
{
	long long v;

	if (*arg == ':')
		arg++;
	if (*n >= 16) {
		cli_errorf("sockets: too many %s filters", what);
		return -1;
	}
	if (cli_parse_int(what, arg, 0, 65535, &v))
		return -1;
	list[(*n)++] = (int)v;
	return 0;
}

/*
 * One FILTER from argv[*i]: "state X", "sport N", "dport = :N", ...
 * Advances *i past it. 0, or -1 after a message.
 */
static int
parse_filter(int argc, char **argv, int *i, struct sockets_opts *o)
{
	const char *key = argv[*i];
	const char *val;
	int st;

	if (*i + 1 >= argc) {
		cli_errorf("sockets: '%s' needs a value", key);
		return -1;
	}
	val = argv[++*i];
	/* ss's "dport = :443", "sport == 22", "dport eq 80". */
	if ((!strcmp(val, "=") || !strcmp(val, "==") || !strcmp(val, "eq")) &&
	    *i + 1 < argc)
		val = argv[++*i];
	++*i;
	if (!strcmp(key, "state")) {
		if (!strcasecmp(val, "all")) {
			o->states = ~0u;
			return 0;
		}
		if (!strcasecmp(val, "connected")) {
			/* Every state but LISTEN and CLOSE. */
			o->states |= ~(1u << 10 | 1u << 7 | 1u);
			return 0;
		}
		st = skit_diag_state_parse(val);
		if (st < 0) {
			cli_errorf("sockets: state '%s' is not one of "
				   "established, syn-sent, syn-recv, "
				   "fin-wait-1, fin-wait-2, time-wait, closed, "
				   "close-wait, last-ack, listening, closing, "
				   "connected, all",
				   val);
			return -1;
		}
		o->states |= 1u << st;
		return 0;
	}
	if (!strcmp(key, "sport"))
		return add_port("sport", val, o->sport, &o->nsport);
	if (!strcmp(key, "dport"))
		return add_port("dport", val, o->dport, &o->ndport);
	return add_port("port", val, o->port, &o->nport);
}

static int
parse_args(int argc, char **argv, struct sockets_opts *o)
{
	struct cli_getopt_state st = { 0 };
	const char *arg;
	int c, rc = -1;

	memset(o, 0, sizeof(*o));
	o->header = true;
	o->interval_ms = 1000;
	while ((c = cli_getopt(argc, argv, &help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			rc = -2;
			goto out;
		case 'a':
		case 'p':
			break;
		case 'l':
			o->states |= 1u << 10 | 1u << 7; /* LISTEN, CLOSE */
			break;
		case 't':
			o->kinds |= 1u << SKIT_DIAG_TCP;
			break;
		case 'u':
			o->kinds |= 1u << SKIT_DIAG_UDP;
			break;
		case 'w':
			o->kinds |= 1u << SKIT_DIAG_RAW;
			break;
		case 'x':
			o->kinds |= 1u << SKIT_DIAG_UNIX;
			break;
		case '0':
			o->kinds |= 1u << SKIT_DIAG_PACKET;
			break;
		case OPT_NETLINK:
			o->kinds |= 1u << SKIT_DIAG_NETLINK;
			break;
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case 'i':
			o->info = true;
			break;
		case 'H':
			o->header = false;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'W':
			o->watch = true;
			break;
		case 'c':
			if (cli_parse_int("-c", arg, 1, 1LL << 40, &o->count))
				goto out;
			break;
		case OPT_INTERVAL:
			if (cli_parse_duration_ms("--interval", arg,
						  &o->interval_ms))
				goto out;
			if (o->interval_ms < 10)
				o->interval_ms = 10;
			break;
		default:
			goto out;
		}
	}
	for (int i = optind; i < argc;) {
		size_t k;

		if (!strcmp(argv[i], "state") || !strcmp(argv[i], "sport") ||
		    !strcmp(argv[i], "dport") || !strcmp(argv[i], "port")) {
			if (parse_filter(argc, argv, &i, o) < 0)
				goto out;
			continue;
		}
		for (k = 0; k < sizeof(kind_words) / sizeof(kind_words[0]); k++)
			if (!strcasecmp(argv[i], kind_words[k].name))
				break;
		if (k == sizeof(kind_words) / sizeof(kind_words[0])) {
			cli_errorf("sockets: '%s' is neither a kind (tcp, udp, "
				   "raw, unix, packet, netlink) nor a filter "
				   "(state, sport, dport, port)",
				   argv[i]);
			goto out;
		}
		o->kinds |= 1u << kind_words[k].kind;
		if (kind_words[k].family)
			o->family = kind_words[k].family;
		i++;
	}
	rc = 0;
out:
	cli_getopt_done(&st);
	return rc;
}

static bool
port_in(int port, const int *list, int n)
{
	for (int i = 0; i < n; i++)
		if (list[i] == port)
			return true;
	return false;
}

static bool
is_inet(const struct skit_diag_sock *s)
{
	return s->kind == SKIT_DIAG_TCP || s->kind == SKIT_DIAG_UDP ||
	       s->kind == SKIT_DIAG_RAW;
}

/* Does s pass every filter? */
static bool
wanted(const struct sockets_opts *o, const struct skit_diag_sock *s)
{
	if (o->kinds && !(o->kinds & 1u << s->kind))
		return false;
	if (o->family && is_inet(s) && s->family != o->family)
		return false;
	if (o->states && !(o->states & 1u << (s->state & 31)))
		return false;
	if ((o->nsport || o->ndport || o->nport) &&
	    (s->kind != SKIT_DIAG_TCP && s->kind != SKIT_DIAG_UDP))
		return false;
	if (o->nsport && !port_in(s->sport, o->sport, o->nsport))
		return false;
	if (o->ndport && !port_in(s->dport, o->dport, o->ndport))
		return false;
	if (o->nport && !port_in(s->sport, o->port, o->nport) &&
	    !port_in(s->dport, o->port, o->nport))
		return false;
	return true;
}

/* --- addresses --------------------------------------------------------- */

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* An inet end as a skit address; "" for an unconnected peer. */
static void
inet_end(const struct skit_diag_sock *s, bool peer, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const uint8_t *a = peer ? s->dst : s->src;
	uint16_t port = peer ? s->dport : s->sport;

	buf[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (peer && !port && all_zero(a, s->family == AF_INET ? 4 : 16))
		return;
	if (s->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(s->kind == SKIT_DIAG_RAW ? 0 : port);
		memcpy(&in->sin_addr, a, 4);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(s->kind == SKIT_DIAG_RAW ? 0 : port);
		memcpy(&in6->sin6_addr, a, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
			in6->sin6_scope_id = (uint32_t)s->ifindex;
		sl = sizeof(*in6);
	}
	if (skit_sockaddr_format((struct sockaddr *)&ss, sl, s->type,
				 s->protocol, buf, len) < 0)
		snprintf(buf, len, "?");
}

/* A unix name as a skit address ("unix:@x", "unix-dgram:/p"), or "". */
static void
unix_addr(int type, const char *name, size_t nlen, char *buf, size_t len)
{
	struct sockaddr_un un;

	buf[0] = '\0';
	if (!nlen)
		return;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	if (nlen > sizeof(un.sun_path))
		nlen = sizeof(un.sun_path);
	memcpy(un.sun_path, name, nlen);
	if (skit_sockaddr_format(
		    (struct sockaddr *)&un,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + nlen),
		    type, 0, buf, len) < 0)
		snprintf(buf, len, "?");
}

static void
packet_addr(const struct skit_diag_sock *s, char *buf, size_t len)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };

	ll.sll_ifindex = s->ifindex;
	ll.sll_protocol = htons((uint16_t)s->protocol);
	if (skit_sockaddr_format((struct sockaddr *)&ll, sizeof(ll), s->type, 0,
				 buf, len) < 0)
		snprintf(buf, len, "?");
	/* All interfaces: the kind alone would not parse back. */
	if (!s->ifindex && !strncmp(buf, "packet:", 7) && !buf[7])
		snprintf(buf, len, "packet:any");
}

static void
netlink_addr(const struct skit_diag_sock *s, char *buf, size_t len)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };

	if (skit_sockaddr_format((struct sockaddr *)&nl, sizeof(nl), SOCK_RAW,
				 s->protocol, buf, len) < 0)
		snprintf(buf, len, "netlink:%d", s->protocol);
}

/* --- the table ----------------------------------------------------------- */

/* One socket with what is printed for it (copied: rows outlive dumps). */
#define MAX_OWNERS 4
struct row {
	struct skit_diag_sock s;
	char local[192], peer[192];
	struct skit_diag_owner owner[MAX_OWNERS];
	int nowners, more_owners;
};

struct table {
	struct row *rows;
	size_t n, cap;
	const struct sockets_opts *o;
};

static int
collect(const struct skit_diag_sock *s, void *data)
{
	struct table *t = data;

	if (!wanted(t->o, s))
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		void *p = realloc(t->rows, cap * sizeof(*t->rows));

		if (!p)
			return -ENOMEM;
		t->rows = p;
		t->cap = cap;
	}
	memset(&t->rows[t->n], 0, sizeof(t->rows[t->n]));
	t->rows[t->n++].s = *s;
	return 0;
}

/* The name of the unix socket with inode ino among the rows, as ss does. */
static const struct skit_diag_sock *
unix_by_inode(const struct table *t, uint32_t ino)
{
	for (size_t i = 0; ino && i < t->n; i++)
		if (t->rows[i].s.kind == SKIT_DIAG_UNIX &&
		    t->rows[i].s.inode == ino)
			return &t->rows[i].s;
	return NULL;
}

/* Fill the address columns of row r. */
static void
addresses(const struct table *t, struct row *r)
{
	const struct skit_diag_sock *s = &r->s;
	char a[150];

	switch (s->kind) {
	case SKIT_DIAG_TCP:
	case SKIT_DIAG_UDP:
	case SKIT_DIAG_RAW:
		inet_end(s, false, r->local, sizeof(r->local));
		inet_end(s, true, r->peer, sizeof(r->peer));
		break;
	case SKIT_DIAG_UNIX: {
		const struct skit_diag_sock *p =
			s->has_peer ? unix_by_inode(t, s->peer_inode) : NULL;

		unix_addr(s->type, s->name, s->name_len, a, sizeof(a));
		snprintf(r->local, sizeof(r->local), "%s %u", a[0] ? a : "*",
			 s->inode);
		a[0] = '\0';
		if (p)
			unix_addr(p->type, p->name, p->name_len, a, sizeof(a));
		snprintf(r->peer, sizeof(r->peer), "%s %u", a[0] ? a : "*",
			 s->has_peer ? s->peer_inode : 0);
		break;
	}
	case SKIT_DIAG_PACKET:
		packet_addr(s, r->local, sizeof(r->local));
		break;
	case SKIT_DIAG_NETLINK:
		netlink_addr(s, a, sizeof(a));
		if (s->portid)
			snprintf(r->local, sizeof(r->local), "%s %u", a,
				 s->portid);
		else
			snprintf(r->local, sizeof(r->local), "%s kernel", a);
		break;
	}
}

static void
tcp_info_text(const struct skit_diag_tcp *ti)
{
	printf("\trtt:%.3f/%.3f rto:%u cwnd:%u", ti->rtt_us / 1000.0,
	       ti->rttvar_us / 1000.0, ti->rto_us / 1000, ti->snd_cwnd);
	if (ti->snd_ssthresh && ti->snd_ssthresh < 0x7fffffff)
		printf(" ssthresh:%u", ti->snd_ssthresh);
	printf(" mss:%u rcvmss:%u retrans:%u/%u", ti->snd_mss, ti->rcv_mss,
	       ti->retransmits, ti->total_retrans);
	if (ti->lost)
		printf(" lost:%u", ti->lost);
	if (ti->unacked)
		printf(" unacked:%u", ti->unacked);
	if (ti->cong[0])
		printf(" cong:%s", ti->cong);
	printf(" bytes_acked:%llu bytes_received:%llu minrtt:%.3f\n",
	       (unsigned long long)ti->bytes_acked,
	       (unsigned long long)ti->bytes_received, ti->min_rtt_us / 1000.0);
}

static void
tcp_info_json(struct cli_json *j, const struct skit_diag_tcp *ti)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"rtt_ms\":%.3f,\"rttvar_ms\":%.3f,\"rto_ms\":%u,"
		 "\"min_rtt_ms\":%.3f,\"cwnd\":%u,\"ssthresh\":%u,"
		 "\"mss\":%u,\"rcv_mss\":%u,\"retransmits\":%u,"
		 "\"total_retrans\":%u,\"lost\":%u,\"unacked\":%u,"
		 "\"bytes_acked\":%llu,\"bytes_received\":%llu}",
		 ti->rtt_us / 1000.0, ti->rttvar_us / 1000.0, ti->rto_us / 1000,
		 ti->min_rtt_us / 1000.0, ti->snd_cwnd, ti->snd_ssthresh,
		 ti->snd_mss, ti->rcv_mss, ti->retransmits, ti->total_retrans,
		 ti->lost, ti->unacked, (unsigned long long)ti->bytes_acked,
		 (unsigned long long)ti->bytes_received);
	cli_json_raw(j, "tcp_info", buf);
	if (ti->cong[0])
		cli_json_str(j, "cong", ti->cong);
}

static const char *
family_name(int family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	case AF_PACKET:
		return "packet";
	}
	return "netlink";
}

static const char *
type_name(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	}
	return "raw";
}

/* The processes holding the socket as a JSON array. */
static void
owners_json(struct cli_json *j, const struct row *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fputc('[', f);
	for (int i = 0; i < r->nowners; i++) {
		const struct skit_diag_owner *w = &r->owner[i];

		fprintf(f, "%s{\"pid\":%d,\"comm\":", i ? "," : "",
			(int)w->pid);
		cli_json_quote(f, w->comm, strlen(w->comm));
		fprintf(f, ",\"fd\":%d}", w->fd);
	}
	fputc(']', f);
	if (fclose(f) == 0)
		cli_json_raw(j, "process", buf);
	free(buf);
}

static void
print_json(const struct row *r, const char *event)
{
	const struct skit_diag_sock *s = &r->s;
	struct cli_json j;
	char a[INET6_ADDRSTRLEN];

	cli_json_begin(&j, stdout);
	if (event)
		cli_json_str(&j, "event", event);
	cli_json_str(&j, "netid", skit_diag_netid(s));
	cli_json_str(&j, "family", family_name(s->family));
	cli_json_str(&j, "type", type_name(s->type));
	cli_json_str(&j, "state", skit_diag_state_name(s->state));
	cli_json_uint(&j, "recv_q", s->rqueue);
	cli_json_uint(&j, "send_q", s->wqueue);
	if (s->kind == SKIT_DIAG_UNIX) {
		char addr[150];

		unix_addr(s->type, s->name, s->name_len, addr, sizeof(addr));
		cli_json_str(&j, "local", addr[0] ? addr : NULL);
		cli_json_str(&j, "peer", NULL);
	} else if (s->kind == SKIT_DIAG_NETLINK) {
		char addr[64];

		netlink_addr(s, addr, sizeof(addr));
		cli_json_str(&j, "local", addr);
		cli_json_str(&j, "peer", NULL);
	} else {
		cli_json_str(&j, "local", r->local[0] ? r->local : NULL);
		cli_json_str(&j, "peer", r->peer[0] ? r->peer : NULL);
	}
	if (is_inet(s)) {
		int af = s->family;

		cli_json_str(&j, "src", inet_ntop(af, s->src, a, sizeof(a)));
		cli_json_uint(&j, "sport", s->sport);
		cli_json_str(&j, "dst", inet_ntop(af, s->dst, a, sizeof(a)));
		cli_json_uint(&j, "dport", s->dport);
		if (s->kind == SKIT_DIAG_RAW)
			cli_json_int(&j, "protocol", s->protocol);
	}
	if (s->kind == SKIT_DIAG_UNIX) {
		if (s->name_len)
			cli_json_strn(&j, "name", s->name, s->name_len);
		cli_json_uint(&j, "peer_inode",
			      s->has_peer ? s->peer_inode : 0);
	}
	if (s->kind == SKIT_DIAG_PACKET) {
		char ifn[IF_NAMESIZE];

		cli_json_int(&j, "protocol", s->protocol);
		cli_json_int(&j, "ifindex", s->ifindex);
		if (s->ifindex && if_indextoname((unsigned)s->ifindex, ifn))
			cli_json_str(&j, "ifname", ifn);
	}
	if (s->kind == SKIT_DIAG_NETLINK) {
		cli_json_int(&j, "protocol", s->protocol);
		cli_json_uint(&j, "portid", s->portid);
		cli_json_uint(&j, "dst_portid", s->dst_portid);
		cli_json_uint(&j, "dst_group", s->dst_group);
	}
	cli_json_uint(&j, "inode", s->inode);
	cli_json_uint(&j, "cookie", s->cookie);
	if (s->has_uid)
		cli_json_uint(&j, "uid", s->uid);
	owners_json(&j, r);
	if (s->has_tcp)
		tcp_info_json(&j, &s->tcp);
	cli_json_end(&j);
}

static void
owner_text(const struct row *r, char *buf, size_t len)
{
	buf[0] = '\0';
	if (r->nowners)
		snprintf(buf, len, "%s/%d%s", r->owner[0].comm,
			 (int)r->owner[0].pid,
			 r->nowners + r->more_owners > 1 ? "+" : "");
}

static void
print_line(const struct row *r, int wl, int wp, const char *prefix)
{
	char own[64];

	owner_text(r, own, sizeof(own));
	printf("%s%-5s %-10s %-6u %-6u %-*s %-*s %s\n", prefix,
	       skit_diag_netid(&r->s), skit_diag_state_name(r->s.state),
	       r->s.rqueue, r->s.wqueue, wl, r->local[0] ? r->local : "*", wp,
	       r->peer[0] ? r->peer : "*", own);
	if (r->s.has_tcp)
		tcp_info_text(&r->s.tcp);
}

/* Dump every kind asked for into t. 0 or a negative code. */
static int
dump_all(int fd, const struct sockets_opts *o, struct table *t)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	unsigned flags = o->info ? SKIT_DIAG_WANT_TCP_INFO : 0;

	for (int k = 1; k <= NKINDS; k++) {
		enum skit_diag_kind kind = (enum skit_diag_kind)k;
		bool inet = k <= SKIT_DIAG_RAW;

		if (o->kinds && !(o->kinds & 1u << k))
			continue;
		for (int f = 0; f < (inet ? 2 : 1); f++) {
			int r;

			if (inet && o->family && o->family != fams[f])
				continue;
			r = skit_diag_dump(fd, kind, fams[f], flags, collect,
					   t);
			/* A kernel without this kind's diag module. */
			if (r == -ENOENT || r == -EOPNOTSUPP ||
			    r == -EPROTONOSUPPORT) {
				cli_verbose("sockets: the kernel cannot list "
					    "%s sockets (%s)",
					    k == SKIT_DIAG_RAW ? "raw"
					    : inet	       ? "inet"
							       : "these",
					    skit_errname(r));
				continue;
			}
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Owners and addresses for every row (after all dumps). */
static int
finish_rows(struct table *t, struct skit_diag_owner **owners, size_t *nown)
{
	int r = skit_diag_owners(owners, nown);

	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n; i++) {
		struct row *row = &t->rows[i];
		const struct skit_diag_owner *w =
			row->s.inode ? skit_diag_owner_find(*owners, *nown,
							    row->s.inode)
				     : NULL;

		row->nowners = row->more_owners = 0;
		for (; w && w < *owners + *nown && w->inode == row->s.inode;
		     w++) {
			if (row->nowners < MAX_OWNERS)
				row->owner[row->nowners++] = *w;
			else
				row->more_owners++;
		}
		addresses(t, row);
	}
	return 0;
}

static void
widths(const struct table *t, int *wl, int *wp)
{
	*wl = 20;
	*wp = 20;
	for (size_t i = 0; i < t->n; i++) {
		int l = (int)strlen(t->rows[i].local);
		int p = (int)strlen(t->rows[i].peer);

		*wl = l > *wl ? l : *wl;
		*wp = p > *wp ? p : *wp;
	}
}

static int
list(const struct sockets_opts *o)
{
	struct table t = { .o = o };
	struct skit_diag_owner *owners = NULL;
	size_t nown = 0;
	struct skit_err err;
	int fd, r, wl, wp;

	skit_err_clear(&err);
	fd = skit_diag_open(0, &err);
	if (fd < 0)
		return cli_report(&err);
	r = dump_all(fd, o, &t);
	skit_close(fd);
	if (r == 0)
		r = finish_rows(&t, &owners, &nown);
	if (r < 0) {
		cli_errorf("sockets: dump netlink:sock_diag: %s",
			   skit_strerror(r));
		free(t.rows);
		free(owners);
		return cli_exit_for(r);
	}
	widths(&t, &wl, &wp);
	if (!o->json && o->header)
		printf("%-5s %-10s %-6s %-6s %-*s %-*s %s\n", "NETID", "STATE",
		       "RECV-Q", "SEND-Q", wl, "LOCAL", wp, "PEER", "PROCESS");
	for (size_t i = 0; i < t.n; i++) {
		if (o->json)
			print_json(&t.rows[i], NULL);
		else
			print_line(&t.rows[i], wl, wp, "");
		if (cli_g.stdout_code)
			break;
	}
	free(t.rows);
	free(owners);
	return CLI_EXIT_OK;
}

/* --- --watch ---------------------------------------------------------- */

struct watch {
	const struct sockets_opts *o;
	struct table known; /* the sockets seen so far */
	long long events;
};

/* The same socket: kind and cookie (TIME-WAIT sockets have no inode). */
static bool
same(const struct skit_diag_sock *a, const struct skit_diag_sock *b)
{
	return a->kind == b->kind && a->cookie == b->cookie &&
	       a->inode == b->inode;
}

static bool
event(struct watch *w, struct row *r, const char *what)
{
	if (w->o->json) {
		print_json(r, what);
	} else {
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "%-7s", what);
		print_line(r, 0, 0, prefix);
	}
	cli_stdout_flush();
	w->events++;
	return (w->o->count && w->events >= w->o->count) || cli_g.stdout_code;
}

/*
 * Dump again and report what is new and what is gone since the last
 * dump. The first dump only learns. Returns 1 when -c is reached, 0, or
 * a negative code.
 */
static int
rescan(int fd, struct watch *w, bool report)
{
	struct table now = { .o = w->o };
	struct skit_diag_owner *owners = NULL;
	size_t nown = 0;
	int r = dump_all(fd, w->o, &now);
	int done = 0;

	if (r == 0)
		r = finish_rows(&now, &owners, &nown);
	free(owners);
	if (r < 0) {
		free(now.rows);
		return r;
	}
	for (size_t i = 0; report && !done && i < w->known.n; i++) {
		bool still = false;

		for (size_t k = 0; k < now.n && !still; k++)
			still = same(&w->known.rows[i].s, &now.rows[k].s);
		if (!still)
			done = event(w, &w->known.rows[i], "closed");
	}
	for (size_t i = 0; report && !done && i < now.n; i++) {
		bool seen = false;

		for (size_t k = 0; k < w->known.n && !seen; k++)
			seen = same(&w->known.rows[k].s, &now.rows[i].s);
		if (!seen)
			done = event(w, &now.rows[i], "new");
	}
	free(w->known.rows);
	w->known = now;
	return done;
}

/* A destroy notification from the kernel: TCP and UDP close at once. */
static int
on_destroy(const struct skit_diag_sock *s, void *data)
{
	struct watch *w = data;
	struct row r = { .s = *s };

	if (!wanted(w->o, s))
		return 0;
	/* Reported now, so the next rescan must not report it again. */
	for (size_t i = 0; i < w->known.n; i++)
		if (w->known.rows[i].s.kind == s->kind &&
		    w->known.rows[i].s.cookie == s->cookie) {
			r = w->known.rows[i];
			w->known.rows[i] = w->known.rows[--w->known.n];
			break;
		}
	if (!r.local[0])
		addresses(&w->known, &r);
	return event(w, &r, "closed") ? -ECANCELED : 0;
}

static int
watch(const struct sockets_opts *o)
{
	struct watch w = { .o = o };
	struct skit_err err;
	int fd, events = -1, r;

	w.known.o = o;
	skit_err_clear(&err);
	fd = skit_diag_open(0, &err);
	if (fd < 0)
		return cli_report(&err);
	/* Closing TCP and UDP sockets as the kernel reports them (needs
	 * CAP_NET_ADMIN); everything else by comparing dumps. */
	events = skit_diag_open(SKIT_DIAG_GROUP_DESTROY, NULL);
	if (events < 0)
		cli_verbose("sockets: no destroy notifications (%s); closed "
			    "sockets show at the next look",
			    skit_errname(events));
	r = rescan(fd, &w, false);
	if (r == 0)
		r = cli_stop_watch();
	if (r == 0)
		cli_verbose("listening on netlink:sock_diag");
	while (r == 0) {
		struct pollfd pfd[2] = {
			{ .fd = cli_stop_fd(), .events = POLLIN },
			{ .fd = events, .events = POLLIN },
		};
		int n = skit_poll(pfd, events >= 0 ? 2 : 1,
				  (int64_t)o->interval_ms * 1000000);

		if (n < 0) {
			r = n;
			break;
		}
		if (cli_stopping())
			break;
		if (n > 0 && events >= 0 && (pfd[1].revents & POLLIN)) {
			r = skit_diag_read(events, on_destroy, &w);
			if (r == -ENOBUFS) {
				cli_errorf("sockets: the kernel dropped "
					   "notifications (reader too slow)");
				r = 0;
			}
			if (r == -ECANCELED) {
				r = 1;
				break;
			}
			if (r < 0)
				break;
		}
		r = rescan(fd, &w, true);
	}
	skit_close(fd);
	if (events >= 0)
		skit_close(events);
	free(w.known.rows);
	if (r < 0) {
		cli_errorf("sockets: watch netlink:sock_diag: %s",
			   skit_strerror(r));
		return cli_exit_for(r);
	}
	return CLI_EXIT_OK;
}

int
cmd_sockets(int argc, char **argv)
{
	struct sockets_opts o;
	int r = parse_args(argc, argv, &o);

	if (r == -2)
		return CLI_EXIT_OK;
	if (r < 0)
		return CLI_EXIT_USAGE;
	return o.watch ? watch(&o) : list(&o);
}
