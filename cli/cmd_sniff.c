/*
 * cli/cmd_sniff.c - `skit sniff`: packet capture on AF_PACKET with a
 * TPACKET_V3 ring, tcpdump-like one-line summaries, NDJSON, pcap output,
 * and tcpdump filter expressions (with the --proto/--port/--host
 * shorthands) compiled by libpcap and run in the kernel.
 */
#include "cli.h"
#include "skit/nl.h"
#include "skit/pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_JSON = 256, OPT_PROTO, OPT_PORT, OPT_HOST, OPT_PRINT, OPT_DURATION };

static const struct cli_opt opts[] = {
	{ "interface", 'i', "IFACE", 'i',
	  "capture on IFACE only (default: all interfaces)" },
	{ "count", 'c', "N", 'c', "stop after N packets" },
	{ "hex", 'x', NULL, 'x', "hex dump of each frame (link header too)" },
	{ "json", 0, NULL, OPT_JSON, "NDJSON: one object per packet + stats" },
	{ "proto", 0, "PROTO", OPT_PROTO,
	  "only tcp, udp, icmp (with ICMPv6), icmp6 or arp (repeat: any)" },
	{ "port", 0, "N", OPT_PORT,
	  "only packets with source or dest port N (repeat: any)" },
	{ "host", 0, "ADDR", OPT_HOST,
	  "only IPv4/IPv6 packets from or to ADDR (repeat: any)" },
	{ "dump", 'd', NULL, 'd',
	  "print the compiled filter like tcpdump -d and exit" },
	{ "write", 'w', "FILE", 'w', "write packets to a pcap FILE" },
	{ "print", 0, NULL, OPT_PRINT, "with -w: print summaries as well" },
	{ "snaplen", 's', "BYTES", 's', "keep at most BYTES of each frame" },
	{ "duration", 0, "SECS", OPT_DURATION, "stop after SECS" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_help help = {
	.name = "sniff",
	.permute = true,
	.synopsis = "skit sniff [-x] [-c N] [-i IFACE] [--proto P] [--port N] "
		    "[--host ADDR]\n"
		    "                  [-w FILE] [--json] [-d] [EXPRESSION]",
	.about = "Capture packets with an AF_PACKET socket and a TPACKET_V3 "
		 "ring and print one\nline per packet like tcpdump. "
		 "EXPRESSION is tcpdump's filter language, compiled\nby "
		 "libpcap into classic BPF that runs in the kernel, so "
		 "unwanted frames never\nreach skit; --proto, --port and "
		 "--host are shorthands ANDed with it (each\nrepeated one "
		 "ORed). Needs CAP_NET_RAW; every privilege is dropped once "
		 "the\ncapture is open. Kernel drop counts are printed at "
		 "the end. With -v it says\n\"listening on packet:IFACE\" "
		 "once the capture runs.",
	.opts = opts,
	.extra = "examples:\n"
		 "  skit sniff -i lo 'tcp port 80 and host 127.0.0.1'\n"
		 "  skit sniff -i lo --port 8080 --port 8443\n"
		 "  skit sniff --proto icmp -c 4\n"
		 "  skit sniff -i eth0 --host 192.0.2.1 -w out.pcap\n"
		 "  skit sniff -i lo -d 'udp and not port 53'\n",
};

struct sniff_opts {
	const char *iface;
	long long count;
	bool hex, json, print, dump;
	char *filter; /* the whole expression, shorthands included */
	const char *write;
	long long snaplen;
	long long duration_ms;
};

struct sniff {
	struct sniff_opts o;
	int ifindex;
	struct skit_capture *cap;
	struct skit_pcap *pcap;
	int pcap_fd;
	bool pcap_sll;
	uint64_t captured;
	int write_err;
	char names[64][IF_NAMESIZE]; /* ifindex -> name cache */
};

/* --proto NAME as a filter expression. */
static const struct {
	const char *name;
	const char *expr;
	bool ports; /* can carry a port */
	bool hosts; /* has IP addresses */
} protos[] = {
	{ "tcp", "tcp", true, true },
	{ "udp", "udp", true, true },
	{ "icmp", "icmp or icmp6", false, true },
	{ "icmp6", "icmp6", false, true },
	{ "arp", "arp", false, false },
};

/*
 * The shorthands gathered while parsing: each kind is a list of
 * alternatives ("port 80 or port 443"), the kinds and the expression
 * operands must all hold.
 */
struct shorthands {
	char proto[128], port[512], host[1024];
	bool port_proto, host_proto; /* a --proto with ports, addresses */
	int nproto;
};

/* Append "or WORD" to one list. 0, or -1 when it no longer fits. */
static int
add_alt(char *list, size_t len, const char *fmt, const char *val)
{
	size_t used = strlen(list);
	int n;

	n = snprintf(list + used, len - used, "%s", used ? " or " : "");
	if (n < 0 || (size_t)n >= len - used)
		return -1;
	used += (size_t)n;
	n = snprintf(list + used, len - used, fmt, val);
	return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

static int
add_proto(struct shorthands *sh, const char *arg)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcasecmp(arg, protos[i].name))
			continue;
		sh->nproto++;
		sh->port_proto |= protos[i].ports;
		sh->host_proto |= protos[i].hosts;
		return add_alt(sh->proto, sizeof(sh->proto), "%s",
			       protos[i].expr);
	}
	cli_errorf("sniff: --proto: '%s' is not tcp, udp, icmp, icmp6 or arp",
		   arg);
	return -1;
}

/*
 * Join the shorthands and the expression words into one expression,
 * each part in parentheses when there are several. Returns a malloc'd
 * string, or NULL.
 */
static char *
join_filter(const struct shorthands *sh, int nwords, char **words)
{
	const char *part[3] = { sh->proto, sh->port, sh->host };
	int nparts = nwords > 0;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	bool first = true;

	if (!f)
		return NULL;
	for (int i = 0; i < 3; i++)
		nparts += part[i][0] != '\0';
	for (int i = 0; i < 3; i++) {
		if (!part[i][0])
			continue;
		fprintf(f, nparts > 1 ? "%s(%s)" : "%s%s", first ? "" : " and ",
			part[i]);
		first = false;
	}
	if (nwords) {
		fputs(first ? "" : " and ", f);
		fputs(nparts > 1 ? "(" : "", f);
		for (int i = 0; i < nwords; i++)
			fprintf(f, "%s%s", i ? " " : "", words[i]);
		fputs(nparts > 1 ? ")" : "", f);
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

static int
parse_args(int argc, char **argv, struct sniff_opts *o)
{
	struct cli_getopt_state st = { 0 };
	struct shorthands sh = { 0 };
	unsigned char a6[16];
	const char *arg, *fmt;
	long long v;
	int c, rc = -1;

	memset(o, 0, sizeof(*o));
	o->snaplen = 262144;
	while ((c = cli_getopt(argc, argv, &help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			rc = -2;
			goto out;
		case 'i':
			o->iface = arg;
			break;
		case 'c':
			if (cli_parse_int("-c", arg, 1, 1LL << 40, &o->count))
				goto out;
			break;
		case 'x':
			o->hex = true;
			break;
		case 'd':
			o->dump = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_PROTO:
			if (add_proto(&sh, arg) < 0)
				goto out;
			break;
		case OPT_PORT:
			if (cli_parse_int("--port", arg, 0, 65535, &v))
				goto out;
			if (add_alt(sh.port, sizeof(sh.port), "port %s", arg)) {
				cli_errorf("sniff: too many --port");
				goto out;
			}
			break;
		case OPT_HOST:
			/*
			 * Literals only (no name is looked up), and IP
			 * packets only: tcpdump's bare "host" matches ARP.
			 */
			if (inet_pton(AF_INET, arg, a6) == 1) {
				fmt = "ip host %s";
			} else if (inet_pton(AF_INET6, arg, a6) == 1) {
				fmt = "ip6 host %s";
			} else {
				cli_errorf("sniff: --host: '%s' is not an IPv4 "
					   "or IPv6 address",
					   arg);
				goto out;
			}
			if (add_alt(sh.host, sizeof(sh.host), fmt, arg)) {
				cli_errorf("sniff: too many --host");
				goto out;
			}
			break;
		case 'w':
			o->write = arg;
			break;
		case OPT_PRINT:
			o->print = true;
			break;
		case 's':
			if (cli_parse_size_range("-s", arg, 64, 262144,
						 &o->snaplen))
				goto out;
			break;
		case OPT_DURATION:
			if (cli_parse_duration_ms("--duration", arg,
						  &o->duration_ms))
				goto out;
			break;
		default:
			goto out;
		}
	}
	/*
	 * An operand naming an interface, when -i is not given, is the
	 * interface (skit sniff eth0); the other operands are the filter.
	 */
	if (optind < argc && !o->iface && if_nametoindex(argv[optind]))
		o->iface = argv[optind++];
	if (sh.nproto && ((!sh.port_proto && sh.port[0]) ||
			  (!sh.host_proto && sh.host[0]))) {
		cli_errorf("sniff: --port/--host do not go with --proto %s",
			   sh.proto);
		goto out;
	}
	o->filter = join_filter(&sh, argc - optind, argv + optind);
	if (!o->filter) {
		cli_errorf("sniff: out of memory");
		goto out;
	}
	rc = 0;
out:
	cli_getopt_done(&st);
	return rc;
}

static const char *
ifname(struct sniff *s, int index)
{
	static char unknown[IF_NAMESIZE];

	if (index > 0 && index < 64) {
		if (!s->names[index][0] &&
		    !if_indextoname((unsigned)index, s->names[index]))
			snprintf(s->names[index], IF_NAMESIZE, "if%d", index);
		return s->names[index];
	}
	snprintf(unknown, sizeof(unknown), "if%d", index);
	return unknown;
}

static const char *
direction(uint8_t pkttype)
{
	switch (pkttype) {
	case PACKET_HOST:
		return "In";
	case PACKET_BROADCAST:
		return "B";
	case PACKET_MULTICAST:
		return "M";
	case PACKET_OTHERHOST:
		return "P";
	case PACKET_OUTGOING:
		return "Out";
	}
	return "?";
}

static void
hexdump(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t off = 0; off < n; off += 16) {
		fprintf(f, "\t0x%04zx: ", off);
		for (size_t i = off; i < off + 16 && i < n; i++)
			fprintf(f, "%s%02x", (i - off) % 2 ? "" : " ", p[i]);
		fputc('\n', f);
	}
}

static void
hex_string(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
print_json(struct sniff *s, const struct skit_frame *f,
	   const struct skit_pkt *p, const char *sum)
{
	struct cli_json j;
	char buf[64], mac[18];

	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "packet");
	snprintf(buf, sizeof(buf), "%lld.%09ld", (long long)f->ts.tv_sec,
		 f->ts.tv_nsec);
	cli_json_raw(&j, "time", buf);
	cli_json_str(&j, "ifname", ifname(s, f->ifindex));
	cli_json_int(&j, "ifindex", f->ifindex);
	cli_json_str(&j, "direction", direction(f->pkttype));
	cli_json_uint(&j, "len", f->len);
	cli_json_uint(&j, "caplen", f->caplen);
	if (p->has_eth) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 p->eth_src[0], p->eth_src[1], p->eth_src[2],
			 p->eth_src[3], p->eth_src[4], p->eth_src[5]);
		cli_json_str(&j, "eth_src", mac);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 p->eth_dst[0], p->eth_dst[1], p->eth_dst[2],
			 p->eth_dst[3], p->eth_dst[4], p->eth_dst[5]);
		cli_json_str(&j, "eth_dst", mac);
	}
	snprintf(buf, sizeof(buf), "0x%04x", p->ethertype);
	cli_json_str(&j, "ethertype", buf);
	if (f->vlan_valid)
		cli_json_uint(&j, "vlan", f->vlan_tci & 0x0fff);
	if (p->ip_version) {
		char a[INET6_ADDRSTRLEN];
		int fam = p->ip_version == 4 ? AF_INET : AF_INET6;

		cli_json_int(&j, "ip_version", p->ip_version);
		cli_json_str(&j, "src",
			     inet_ntop(fam, p->ip_src, a, sizeof(a)));
		cli_json_str(&j, "dst",
			     inet_ntop(fam, p->ip_dst, a, sizeof(a)));
		cli_json_str(&j, "proto",
			     skit_pkt_proto_name(p->proto, buf, sizeof(buf)));
		cli_json_uint(&j, "ttl", p->ttl);
	}
	if (p->has_l4 && (p->proto == 6 || p->proto == 17)) {
		cli_json_uint(&j, "sport", p->sport);
		cli_json_uint(&j, "dport", p->dport);
	}
	if (p->has_l4 && p->proto == 6) {
		cli_json_str(
			&j, "tcp_flags",
			skit_pkt_tcp_flags(p->tcp_flags, buf, sizeof(buf)));
		cli_json_uint(&j, "seq", p->tcp_seq);
		cli_json_uint(&j, "ack", p->tcp_ack);
		cli_json_uint(&j, "win", p->tcp_win);
	}
	if (p->has_l4 && (p->proto == 1 || p->proto == 58)) {
		cli_json_uint(&j, "icmp_type", p->icmp_type);
		cli_json_uint(&j, "icmp_code", p->icmp_code);
	}
	if (p->has_l4)
		cli_json_uint(&j, "payload_len", p->payload_len);
	if (p->malformed)
		cli_json_str(&j, "malformed", p->malformed);
	cli_json_str(&j, "summary", sum);
	if (s->o.hex) {
		char *h = malloc(f->caplen * 2 + 1);

		if (h) {
			hex_string(f->data, f->caplen, h);
			cli_json_str(&j, "hex", h);
			free(h);
		}
	}
	cli_json_end(&j);
}

static int
on_frame(const struct skit_frame *f, void *data)
{
	struct sniff *s = data;
	struct skit_pkt p;
	enum skit_link link = SKIT_LINK_L3;
	size_t off = 0;
	char sum[512];

	if (s->o.count && s->captured >= (uint64_t)s->o.count)
		return -ECANCELED;
	s->captured++;
	if (s->pcap) {
		int r = skit_pcap_write(s->pcap, f, f->netoff);

		if (r < 0 && !s->write_err)
			s->write_err = r;
	}
	if (s->o.write && !s->o.print)
		return 0;
	if (f->hatype == ARPHRD_ETHER || f->hatype == ARPHRD_LOOPBACK)
		link = SKIT_LINK_ETHER;
	else
		off = f->netoff <= f->caplen ? f->netoff : f->caplen;
	skit_pkt_decode(f->data + off, f->caplen - off, link, f->protocol, &p);
	{
		/* The kernel strips the outer VLAN tag into the ring header. */
		int n = 0;

		if (f->vlan_valid)
			n = snprintf(sum, sizeof(sum), "vlan %u, ",
				     f->vlan_tci & 0x0fff);
		skit_pkt_summary(&p, sum + n, sizeof(sum) - (size_t)n);
	}
	if (s->o.json) {
		print_json(s, f, &p, sum);
	} else {
		struct tm tm;
		time_t t = f->ts.tv_sec;

		localtime_r(&t, &tm);
		printf("%02d:%02d:%02d.%06ld %-8s %-3s %s%s\n", tm.tm_hour,
		       tm.tm_min, tm.tm_sec, f->ts.tv_nsec / 1000,
		       ifname(s, f->ifindex), direction(f->pkttype), sum,
		       f->caplen < f->len ? " [|snap]" : "");
		if (s->o.hex)
			hexdump(stdout, f->data, f->caplen);
	}
	return 0;
}

/* Find one interface by name in a link dump: its index and ARPHRD type. */
struct iface_find {
	const char *name;
	int index;
	unsigned type;
};

static int
iface_match(const struct skit_nl_event *ev, void *data)
{
	struct iface_find *f = data;

	if (ev->what == SKIT_NL_LINK && !strcmp(ev->u.link.name, f->name)) {
		f->index = ev->u.link.index;
		f->type = ev->u.link.type;
	}
	return 0;
}

/*
 * The capture's interface (s->ifindex) and the link type its frames
 * start with (-1: all interfaces), from NETLINK_ROUTE, which sees this
 * network namespace's devices whatever /sys shows. An exit code on
 * failure (the message was printed).
 */
static int
find_iface(struct sniff *s, int *hatype)
{
	struct iface_find f = { .name = s->o.iface };
	struct skit_err err;
	int fd, r;

	*hatype = -1;
	/* "any" is all interfaces, as in tcpdump -i any. */
	if (s->o.iface && !strcmp(s->o.iface, "any"))
		s->o.iface = NULL;
	if (!s->o.iface)
		return 0;
	skit_err_clear(&err);
	fd = skit_nl_open(0, &err);
	if (fd < 0)
		return cli_report(&err);
	r = skit_nl_dump(fd, SKIT_NL_LINK, iface_match, &f);
	skit_close(fd);
	if (r < 0) {
		cli_errorf("sniff: dump netlink:route: %s", skit_strerror(r));
		return cli_exit_for(r);
	}
	if (!f.index) {
		cli_errorf("sniff: no interface '%s'", s->o.iface);
		return CLI_EXIT_REFUSED;
	}
	s->ifindex = f.index;
	*hatype = (int)f.type;
	return 0;
}

/*
 * Compile the filter for the link type the capture sees (hatype) into
 * *out; with -d print it like tcpdump -d instead. An exit code on
 * failure.
 */
static int
compile_filter(struct sniff *s, int hatype, struct skit_bpf *out)
{
	struct skit_bpf prog;
	struct skit_err err;
	int dlt = skit_bpf_dlt(hatype), r;

	skit_err_clear(&err);
	r = skit_bpf_compile(s->o.filter, dlt, (uint32_t)s->o.snaplen, &prog,
			     &err);
	if (r < 0) {
		snprintf(err.op, sizeof(err.op), "sniff: bad filter");
		return cli_report(&err);
	}
	if (s->o.dump) {
		char line[128];

		cli_verbose("sniff: link type %s", skit_bpf_dlt_name(dlt));
		for (int i = 0; i < prog.len; i++)
			printf("%s\n",
			       skit_bpf_image(&prog, i, line, sizeof(line)));
		skit_bpf_free(&prog);
		return 0;
	}
	r = skit_bpf_fit(&prog, out);
	skit_bpf_free(&prog);
	if (r == -EOPNOTSUPP) {
		cli_errorf("sniff: filter '%s' reads the link-layer header, "
			   "which a capture on %s does not have",
			   s->o.filter,
			   s->o.iface ? s->o.iface : "all interfaces");
		cli_hint("capture on one Ethernet interface with -i IFACE");
		return CLI_EXIT_USAGE;
	}
	if (r < 0) {
		cli_errorf("sniff: filter '%s': %s", s->o.filter,
			   skit_strerror(r));
		return cli_exit_for(r);
	}
	return 0;
}

static int
open_all(struct sniff *s, int hatype, const struct skit_bpf *prog)
{
	struct skit_err err;
	int r;

	skit_err_clear(&err);
	if (s->o.write) {
		s->pcap_fd =
			open(s->o.write,
			     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->pcap_fd < 0) {
			r = -errno;
			cli_errorf("sniff: open '%s': %s", s->o.write,
				   skit_strerror(r));
			return cli_exit_for(r);
		}
	}
	r = skit_capture_open(s->ifindex, prog->insn, prog->len, &s->cap, &err);
	if (r < 0) {
		cli_report(&err);
		if (r == -EPERM || r == -EACCES)
			cli_hint("capturing needs CAP_NET_RAW: run as root or "
				 "setcap cap_net_raw+ep on the skit binary");
		return cli_exit_for(r);
	}
	r = cli_drop_privileges();
	if (r < 0) {
		cli_errorf("sniff: drop privileges: %s", skit_strerror(r));
		return CLI_EXIT_PERM;
	}
	if (s->o.write) {
		/*
		 * One Ethernet-like interface: plain Ethernet records.
		 * All interfaces (mixed link types): Linux cooked headers,
		 * like tcpdump -i any.
		 */
		s->pcap_sll = skit_bpf_dlt(hatype) != SKIT_DLT_EN10MB;
		r = skit_pcap_open(s->pcap_fd,
				   s->pcap_sll ? SKIT_PCAP_LINKTYPE_LINUX_SLL
					       : SKIT_PCAP_LINKTYPE_ETHERNET,
				   (uint32_t)s->o.snaplen, &s->pcap);
		if (r < 0) {
			cli_errorf("sniff: write '%s': %s", s->o.write,
				   skit_strerror(r));
			return cli_exit_for(r);
		}
	}
	return 0;
}

/*
 * POLLERR on the capture socket: the kernel stopped the capture (the
 * interface went down or away sets ENETDOWN) and keeps reporting it
 * until the error is read, so read it (an unread error made poll()
 * return at once forever). Returns the error, or 0 when there was none.
 */
static int
capture_error(struct sniff *s, short revents)
{
	int e = skit_sock_error(skit_capture_fd(s->cap));

	if (e == 0 && (revents & (POLLHUP | POLLNVAL)))
		e = revents & POLLNVAL ? -EBADF : -ENETDOWN;
	return e;
}

/*
 * Capture until -c, -d, a stop signal (0) or an error (< 0). Frames the
 * ring holds are taken first in every case, so the pcap file ends with
 * the last frame captured.
 */
static int
loop(struct sniff *s)
{
	int64_t deadline = 0;
	struct timespec now;

	if (s->o.duration_ms) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec +
			   s->o.duration_ms * 1000000;
	}
	cli_verbose("listening on packet:%s", s->o.iface ? s->o.iface : "any");
	for (int err = 0;;) {
		struct pollfd pfd[2] = {
			{ .fd = skit_capture_fd(s->cap), .events = POLLIN },
			{ .fd = cli_stop_fd(), .events = POLLIN },
		};
		int64_t wait_ns = 3600 * INT64_C(1000000000);
		int r;

		r = skit_capture_next(s->cap, on_frame, s);
		/* Stop once stdout fails (cli_stdout_flush said why). */
		if (cli_stdout_flush() < 0 || r == -ECANCELED ||
		    (s->o.count && s->captured >= (uint64_t)s->o.count))
			return 0;
		if (r < 0)
			return r;
		if (err || cli_stopping())
			return err;
		if (deadline) {
			int64_t left;

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = deadline -
			       ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
			if (left <= 0)
				return 0;
			wait_ns = left;
		}
		r = skit_poll(pfd, 2, wait_ns);
		if (r < 0)
			return r;
		/* An error ends the capture after one last look at the
		 * ring, like a stop signal (seen at the top). */
		if (r > 0 && (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)))
			err = capture_error(s, pfd[0].revents);
	}
}

/* The message for an error that ended the capture. */
static int
report_capture_error(const struct sniff *s, int r)
{
	char name[IF_NAMESIZE];

	if (r != -ENETDOWN || !s->ifindex) {
		cli_errorf("sniff: capture on packet:%s: %s",
			   s->o.iface ? s->o.iface : "any", skit_strerror(r));
		return cli_exit_for(r);
	}
	/* ENETDOWN: the interface was taken down, or deleted. */
	cli_errorf("sniff -i %s: interface went %s (%s)", s->o.iface,
		   if_indextoname((unsigned)s->ifindex, name) ? "down" : "away",
		   skit_errname(r));
	return CLI_EXIT_FAIL;
}

int
cmd_sniff(int argc, char **argv)
{
	struct sniff *s;
	struct skit_bpf prog = { 0 };
	uint64_t received = 0, dropped = 0;
	int r, rc, hatype;

	s = calloc(1, sizeof(*s));
	if (!s) {
		cli_errorf("sniff: out of memory");
		return CLI_EXIT_FAIL;
	}
	s->pcap_fd = -1;
	r = parse_args(argc, argv, &s->o);
	if (r < 0) {
		free(s->o.filter);
		free(s);
		return r == -2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	rc = find_iface(s, &hatype);
	if (!rc)
		rc = compile_filter(s, hatype, &prog);
	if (rc || s->o.dump)
		goto out;
	rc = open_all(s, hatype, &prog);
	if (rc)
		goto out;
	/* From here a stop signal ends the loop: the counts and a complete
	 * pcap file are owed. */
	r = cli_stop_watch();
	if (r == 0)
		r = loop(s);
	if (r < 0)
		rc = report_capture_error(s, r);
	if (s->pcap) {
		int e = skit_pcap_close(s->pcap);

		s->pcap = NULL;
		if (e < 0 && !s->write_err)
			s->write_err = e;
	}
	if (s->write_err) {
		cli_errorf("sniff: write '%s': %s", s->o.write,
			   skit_strerror(s->write_err));
		rc = cli_exit_for(s->write_err);
	}
	skit_capture_stats(s->cap, &received, &dropped);
	if (s->o.json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "summary");
		cli_json_uint(&j, "captured", s->captured);
		cli_json_uint(&j, "received", received);
		cli_json_uint(&j, "dropped", dropped);
		cli_json_end(&j);
	}
	fprintf(stderr,
		"%llu packets captured\n%llu packets received by filter\n"
		"%llu packets dropped by kernel\n",
		(unsigned long long)s->captured, (unsigned long long)received,
		(unsigned long long)dropped);
out:
	skit_pcap_close(s->pcap);
	skit_capture_close(s->cap);
	skit_close(s->pcap_fd);
	skit_bpf_free(&prog);
	free(s->o.filter);
	free(s);
	return rc;
}
