/*
 * cli/cmd_sniff.c - `skit sniff`: packet capture on AF_PACKET with a
 * TPACKET_V3 ring, tcpdump-like one-line summaries, NDJSON, pcap output
 * and --proto/--port/--host compiled to classic BPF in the kernel.
 */
#include "cli.h"
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

enum { OPT_JSON = 256, OPT_PROTO, OPT_PORT, OPT_HOST, OPT_PRINT };

static const struct cli_opt opts[] = {
	{ "interface", 'i', "IFACE", 'i',
	  "capture on IFACE only (default: all interfaces)" },
	{ "count", 'c', "N", 'c', "stop after N packets" },
	{ "hex", 'x', NULL, 'x', "hex dump of each frame (link header too)" },
	{ "json", 0, NULL, OPT_JSON, "NDJSON: one object per packet + stats" },
	{ "proto", 0, "PROTO", OPT_PROTO,
	  "only tcp, udp, icmp (with ICMPv6) or arp" },
	{ "port", 0, "N", OPT_PORT, "only TCP/UDP with source or dest port N" },
	{ "host", 0, "ADDR", OPT_HOST,
	  "only IPv4/IPv6 packets from or to ADDR" },
	{ "write", 'w', "FILE", 'w', "write packets to a pcap FILE" },
	{ "print", 0, NULL, OPT_PRINT, "with -w: print summaries as well" },
	{ "snaplen", 's', "BYTES", 's', "keep at most BYTES of each frame" },
	{ "duration", 'd', "SECS", 'd', "stop after SECS" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_help help = {
	.name = "sniff",
	.permute = true,
	.synopsis = "skit sniff [-x] [-c N] [-i IFACE] [--proto P] [--port N] "
		    "[--host ADDR]\n"
		    "                  [-w FILE] [--json] [IFACE]",
	.about = "Capture packets with an AF_PACKET socket and a TPACKET_V3 "
		 "ring and print one\nline per packet like tcpdump. Filters "
		 "run in the kernel as classic BPF, so\nunwanted frames never "
		 "reach skit. Needs CAP_NET_RAW; every privilege is\ndropped "
		 "once the capture is open. Kernel drop counts are printed at "
		 "the end.\nWith -v it says \"listening on packet:IFACE\" "
		 "once the capture runs.",
	.opts = opts,
	.extra = "examples:\n"
		 "  skit sniff -i lo --port 8080\n"
		 "  skit sniff --proto icmp -c 4\n"
		 "  skit sniff -i eth0 --host 192.0.2.1 -w out.pcap\n",
};

struct sniff_opts {
	const char *iface;
	long long count;
	bool hex, json, print;
	struct skit_pkt_filter filter;
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

static int
parse_args(int argc, char **argv, struct sniff_opts *o)
{
	struct cli_getopt_state st = { 0 };
	const char *arg;
	long long v;
	int c, rc = -1;

	memset(o, 0, sizeof(*o));
	o->filter.port = -1;
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
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_PROTO:
			if (skit_pkt_proto_parse(arg, &o->filter.proto) < 0) {
				cli_errorf("sniff: --proto: '%s' is not tcp, "
					   "udp, icmp or arp",
					   arg);
				goto out;
			}
			break;
		case OPT_PORT:
			if (cli_parse_int("--port", arg, 0, 65535, &v))
				goto out;
			o->filter.port = (int)v;
			break;
		case OPT_HOST:
			if (inet_pton(AF_INET, arg, o->filter.host) == 1) {
				o->filter.host_family = AF_INET;
			} else if (inet_pton(AF_INET6, arg, o->filter.host) ==
				   1) {
				o->filter.host_family = AF_INET6;
			} else {
				cli_errorf("sniff: --host: '%s' is not an IPv4 "
					   "or IPv6 address",
					   arg);
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
		case 'd':
			if (cli_parse_duration_ms("-d", arg, &o->duration_ms))
				goto out;
			break;
		default:
			goto out;
		}
	}
	if (optind < argc && !o->iface)
		o->iface = argv[optind++];
	if (optind < argc) {
		cli_errorf("sniff: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if ((o->filter.proto == SKIT_PKT_ARP &&
	     (o->filter.port >= 0 || o->filter.host_family)) ||
	    (o->filter.proto == SKIT_PKT_ICMP && o->filter.port >= 0)) {
		cli_errorf("sniff: --port/--host do not go with --proto %s",
			   o->filter.proto == SKIT_PKT_ARP ? "arp" : "icmp");
		goto out;
	}
	o->filter.snaplen = (uint32_t)o->snaplen;
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
	cli_json_str(&j, "type", "packet");
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

static int
open_all(struct sniff *s)
{
	struct sock_filter prog[SKIT_BPF_MAX];
	struct skit_err err;
	int n, r;

	skit_err_clear(&err);
	if (s->o.iface) {
		s->ifindex = (int)if_nametoindex(s->o.iface);
		if (!s->ifindex) {
			cli_errorf("sniff: no interface '%s'", s->o.iface);
			return CLI_EXIT_REFUSED;
		}
	}
	n = skit_pkt_filter_compile(&s->o.filter, prog);
	if (n < 0) {
		cli_errorf("sniff: cannot compile the filter");
		return CLI_EXIT_USAGE;
	}
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
	r = skit_capture_open(s->ifindex, prog, n, &s->cap, &err);
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
		unsigned type = 0;

		/*
		 * One Ethernet-like interface: plain Ethernet records.
		 * All interfaces (mixed link types): Linux cooked headers,
		 * like tcpdump -i any.
		 */
		if (s->ifindex) {
			char path[64 + IF_NAMESIZE];
			FILE *f;

			snprintf(path, sizeof(path), "/sys/class/net/%s/type",
				 s->o.iface);
			f = fopen(path, "r");
			if (f) {
				if (fscanf(f, "%u", &type) != 1)
					type = 0;
				fclose(f);
			}
		}
		s->pcap_sll =
			!(type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK);
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
	uint64_t received = 0, dropped = 0;
	int r, rc;

	s = calloc(1, sizeof(*s));
	if (!s) {
		cli_errorf("sniff: out of memory");
		return CLI_EXIT_FAIL;
	}
	s->pcap_fd = -1;
	r = parse_args(argc, argv, &s->o);
	if (r < 0) {
		free(s);
		return r == -2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	rc = open_all(s);
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
		cli_json_str(&j, "type", "summary");
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
	free(s);
	return rc;
}
