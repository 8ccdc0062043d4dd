/*
 * pkt.c - frame decoders (Ethernet, VLAN, ARP, IPv4, IPv6 with extension
 * headers, TCP, UDP, ICMP, ICMPv6) and tcpdump-like summaries. Pure: no
 * I/O.
 *
 * Every read is preceded by a check against the bytes left; fields are
 * read byte by byte (get16/get32), never through casts, so unaligned or
 * short buffers are safe.
 */
#include "skit/pkt.h"
#include "core/bytes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define ETH_HDR	 14
#define ET_IPV4	 0x0800
#define ET_ARP	 0x0806
#define ET_IPV6	 0x86dd
#define ET_VLAN	 0x8100
#define ET_QINQ	 0x88a8
#define P_ICMP	 1
#define P_TCP	 6
#define P_UDP	 17
#define P_ICMPV6 58

/*
 * The transport header at p: avail bytes captured, declared bytes per the
 * IP header (the payload length the packet claims to have).
 */
static void
decode_l4(const uint8_t *p, size_t avail, size_t declared, struct skit_pkt *o)
{
	switch (o->proto) {
	case P_TCP: {
		size_t doff;

		if (avail < 20) {
			o->malformed = "tcp";
			return;
		}
		doff = (size_t)(p[12] >> 4) * 4;
		if (doff < 20 || doff > declared) {
			o->malformed = "tcp";
			return;
		}
		o->sport = skit__get16(p);
		o->dport = skit__get16(p + 2);
		o->tcp_seq = skit__get32(p + 4);
		o->tcp_ack = skit__get32(p + 8);
		o->tcp_flags = p[13];
		o->tcp_win = skit__get16(p + 14);
		o->payload_len = declared - doff;
		o->has_l4 = true;
		return;
	}
	case P_UDP: {
		size_t ulen;

		if (avail < 8) {
			o->malformed = "udp";
			return;
		}
		ulen = skit__get16(p + 4);
		if (ulen < 8 || ulen > declared) {
			o->malformed = "udp";
			return;
		}
		o->sport = skit__get16(p);
		o->dport = skit__get16(p + 2);
		o->payload_len = ulen - 8;
		o->has_l4 = true;
		return;
	}
	case P_ICMP:
	case P_ICMPV6:
		if (avail < 4 || declared < 4) {
			o->malformed = o->proto == P_ICMP ? "icmp" : "icmp6";
			return;
		}
		o->icmp_type = p[0];
		o->icmp_code = p[1];
		if (avail >= 8) {
			o->icmp_id = skit__get16(p + 4);
			o->icmp_seq = skit__get16(p + 6);
		}
		o->payload_len = declared;
		o->has_l4 = true;
		return;
	}
}

static void
decode_ipv4(const uint8_t *p, size_t len, struct skit_pkt *o)
{
	size_t ihl, tot;

	if (len < 20 || (p[0] >> 4) != 4) {
		o->malformed = "ipv4";
		return;
	}
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = skit__get16(p + 2);
	if (ihl < 20 || ihl > len || tot < ihl) {
		o->malformed = "ipv4";
		return;
	}
	o->ip_version = 4;
	o->ip_len = tot;
	o->ttl = p[8];
	o->proto = p[9];
	memcpy(o->ip_src, p + 12, 4);
	memcpy(o->ip_dst, p + 16, 4);
	if (skit__get16(p + 6) & 0x1fff) {
		o->ip_fragment = true;
		return;
	}
	/* Link padding may follow the datagram; a snaplen may cut it. */
	decode_l4(p + ihl, (tot < len ? tot : len) - ihl, tot - ihl, o);
}

static bool
is_ext_header(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static void
decode_ipv6(const uint8_t *p, size_t len, struct skit_pkt *o)
{
	size_t plen, off = 40, end, avail;
	uint8_t nh;
	int n;

	if (len < 40 || (p[0] >> 4) != 6) {
		o->malformed = "ipv6";
		return;
	}
	plen = skit__get16(p + 4);
	o->ip_version = 6;
	o->ip_len = 40 + plen;
	o->ttl = p[7];
	nh = p[6];
	memcpy(o->ip_src, p + 8, 16);
	memcpy(o->ip_dst, p + 24, 16);
	end = 40 + plen;
	avail = end < len ? end : len;
	/* A bounded walk over the extension headers. */
	for (n = 0; is_ext_header(nh) && n < 8; n++) {
		size_t hlen;

		if (avail < off + 8) {
			o->malformed = "ipv6-ext";
			return;
		}
		if (nh == 44) {
			hlen = 8;
			if (skit__get16(p + off + 2) & 0xfff8)
				o->ip_fragment = true;
		} else if (nh == 51) {
			hlen = ((size_t)p[off + 1] + 2) * 4;
		} else {
			hlen = ((size_t)p[off + 1] + 1) * 8;
		}
		if (off + hlen > avail || off + hlen > end) {
			o->malformed = "ipv6-ext";
			return;
		}
		nh = p[off];
		off += hlen;
	}
	o->proto = nh;
	if (is_ext_header(nh)) {
		o->malformed = "ipv6-ext";
		return;
	}
	if (o->ip_fragment)
		return;
	decode_l4(p + off, avail - off, end - off, o);
}

static void
decode_arp(const uint8_t *p, size_t len, struct skit_pkt *o)
{
	size_t hl, pl;

	if (len < 8) {
		o->malformed = "arp";
		return;
	}
	hl = p[4];
	pl = p[5];
	if (len < 8 + 2 * (hl + pl)) {
		o->malformed = "arp";
		return;
	}
	o->is_arp = true;
	o->arp_op = skit__get16(p + 6);
	if (hl == 6 && pl == 4) {
		memcpy(o->arp_sha, p + 8, 6);
		memcpy(o->arp_spa, p + 14, 4);
		memcpy(o->arp_tha, p + 18, 6);
		memcpy(o->arp_tpa, p + 24, 4);
	}
}

static void
decode_l3(const uint8_t *p, size_t len, uint16_t type, struct skit_pkt *o)
{
	o->ethertype = type;
	switch (type) {
	case ET_IPV4:
		decode_ipv4(p, len, o);
		break;
	case ET_IPV6:
		decode_ipv6(p, len, o);
		break;
	case ET_ARP:
		decode_arp(p, len, o);
		break;
	}
}

int
skit_pkt_decode(const uint8_t *frame, size_t len, enum skit_link link,
		uint16_t protocol, struct skit_pkt *out)
{
	size_t off = ETH_HDR;
	uint16_t type;

	memset(out, 0, sizeof(*out));
	out->caplen = len;
	if (link == SKIT_LINK_L3) {
		/* No link header: the first nibble tells IPv4 from IPv6. */
		if (protocol == 0 && len)
			protocol = (frame[0] >> 4) == 6 ? ET_IPV6 : ET_IPV4;
		decode_l3(frame, len, protocol, out);
		return 0;
	}
	if (len < ETH_HDR) {
		out->malformed = "ethernet";
		return 0;
	}
	out->has_eth = true;
	memcpy(out->eth_dst, frame, 6);
	memcpy(out->eth_src, frame + 6, 6);
	type = skit__get16(frame + 12);
	while ((type == ET_VLAN || type == ET_QINQ) && out->nvlan < 2) {
		if (len < off + 4) {
			out->ethertype = type;
			out->malformed = "vlan";
			return 0;
		}
		out->vlan[out->nvlan++] = skit__get16(frame + off) & 0x0fff;
		type = skit__get16(frame + off + 2);
		off += 4;
	}
	decode_l3(frame + off, len - off, type, out);
	return 0;
}

/* Summaries */

char *
skit_pkt_tcp_flags(uint8_t flags, char *buf, size_t len)
{
	static const struct {
		uint8_t bit;
		char c;
	} f[] = {
		{ SKIT_TCP_SYN, 'S' }, { SKIT_TCP_FIN, 'F' },
		{ SKIT_TCP_PSH, 'P' }, { SKIT_TCP_RST, 'R' },
		{ SKIT_TCP_URG, 'U' }, { SKIT_TCP_ECE, 'E' },
		{ SKIT_TCP_CWR, 'W' }, { SKIT_TCP_ACK, '.' },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]) && n + 1 < len; i++)
		if (flags & f[i].bit)
			buf[n++] = f[i].c;
	if (n == 0 && len > 4) {
		memcpy(buf, "none", 4);
		n = 4;
	}
	if (len)
		buf[n < len ? n : len - 1] = '\0';
	return buf;
}

const char *
skit_pkt_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case P_TCP:
		return "tcp";
	case P_UDP:
		return "udp";
	case P_ICMP:
		return "icmp";
	case P_ICMPV6:
		return "icmp6";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

/* An appending printf into a fixed buffer that counts what it needed. */
struct out {
	char *buf;
	size_t len, used;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->used < o->len ? o->buf + o->used : NULL,
		      o->used < o->len ? o->len - o->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static const char *
icmp4_text(uint8_t type)
{
	switch (type) {
	case 0:
		return "echo reply";
	case 3:
		return "unreachable";
	case 5:
		return "redirect";
	case 8:
		return "echo request";
	case 11:
		return "time exceeded in-transit";
	case 12:
		return "parameter problem";
	}
	return NULL;
}

static const char *
icmp6_text(uint8_t type)
{
	switch (type) {
	case 1:
		return "destination unreachable";
	case 2:
		return "packet too big";
	case 3:
		return "time exceeded in-transit";
	case 4:
		return "parameter problem";
	case 128:
		return "echo request";
	case 129:
		return "echo reply";
	case 133:
		return "router solicitation";
	case 134:
		return "router advertisement";
	case 135:
		return "neighbor solicitation";
	case 136:
		return "neighbor advertisement";
	case 143:
		return "multicast listener report v2";
	}
	return NULL;
}

static void
put_ip(struct out *o, int version, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(version == 4 ? AF_INET : AF_INET6, a, s, sizeof(s));
	put(o, "%s", s);
}

static void
summary_ip(struct out *o, const struct skit_pkt *p)
{
	bool ports = p->has_l4 && (p->proto == P_TCP || p->proto == P_UDP);
	char tmp[16];

	put(o, "%s ", p->ip_version == 4 ? "IP" : "IP6");
	put_ip(o, p->ip_version, p->ip_src);
	if (ports)
		put(o, ".%u", p->sport);
	put(o, " > ");
	put_ip(o, p->ip_version, p->ip_dst);
	if (ports)
		put(o, ".%u", p->dport);
	put(o, ": ");
	if (p->ip_fragment) {
		put(o, "ip-proto-%u (frag)", p->proto);
		return;
	}
	if (!p->has_l4) {
		if (!p->malformed)
			put(o, "ip-proto-%u, length %zu", p->proto, p->ip_len);
		return;
	}
	switch (p->proto) {
	case P_TCP:
		put(o, "Flags [%s], seq %u",
		    skit_pkt_tcp_flags(p->tcp_flags, tmp, sizeof(tmp)),
		    p->tcp_seq);
		if (p->tcp_flags & SKIT_TCP_ACK)
			put(o, ", ack %u", p->tcp_ack);
		put(o, ", win %u, length %zu", p->tcp_win, p->payload_len);
		break;
	case P_UDP:
		put(o, "UDP, length %zu", p->payload_len);
		break;
	case P_ICMP:
	case P_ICMPV6: {
		bool v4 = p->proto == P_ICMP;
		const char *t = v4 ? icmp4_text(p->icmp_type)
				   : icmp6_text(p->icmp_type);
		bool echo = v4 ? (p->icmp_type == 0 || p->icmp_type == 8)
			       : (p->icmp_type == 128 || p->icmp_type == 129);

		put(o, "%s", v4 ? "ICMP " : "ICMP6, ");
		if (t)
			put(o, "%s", t);
		else
			put(o, "type %u code %u", p->icmp_type, p->icmp_code);
		if (echo)
			put(o, ", id %u, seq %u", p->icmp_id, p->icmp_seq);
		put(o, ", length %zu", p->payload_len);
		break;
	}
	}
}

static void
summary_arp(struct out *o, const struct skit_pkt *p)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, p->arp_spa, a, sizeof(a));
	inet_ntop(AF_INET, p->arp_tpa, b, sizeof(b));
	if (p->arp_op == 1)
		put(o, "ARP, Request who-has %s tell %s", b, a);
	else if (p->arp_op == 2)
		put(o, "ARP, Reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x", a,
		    p->arp_sha[0], p->arp_sha[1], p->arp_sha[2], p->arp_sha[3],
		    p->arp_sha[4], p->arp_sha[5]);
	else
		put(o, "ARP, op %u", p->arp_op);
	put(o, ", length 28");
}

int
skit_pkt_summary(const struct skit_pkt *p, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	for (int i = 0; i < p->nvlan; i++)
		put(&o, "vlan %u, ", p->vlan[i]);
	if (p->ip_version)
		summary_ip(&o, p);
	else if (p->is_arp)
		summary_arp(&o, p);
	else if (p->has_eth || p->ethertype)
		put(&o, "ethertype 0x%04x, length %zu", p->ethertype,
		    p->caplen);
	if (p->malformed)
		put(&o, "%s[malformed %s]", o.used ? " " : "", p->malformed);
	return (int)o.used;
}
