/*
 * icmp.c - ICMP/ICMPv6 echo messages: build, checksum, parse (pure; the
 * socket calls are in sock_icmp.c).
 */
#include "skit/icmp.h"
#include "core/bytes.h"

#include <errno.h>
#include <string.h>

/* Field offsets of the 8-byte ICMP header (the same for ICMPv6). */
enum {
	OFF_TYPE = 0,
	OFF_CODE = 1,
	OFF_CKSUM = 2,
	OFF_ID = 4,
	OFF_SEQ = 6,
};

#define ICMP4_ECHO_REQUEST 8
#define ICMP4_ECHO_REPLY   0
#define ICMP6_ECHO_REQ	   128
#define ICMP6_ECHO_REP	   129
#define IP6_HDR_LEN	   40

uint16_t
skit_inet_cksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += skit__get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

ssize_t
skit_icmp_build_echo(int family, uint16_t id, uint16_t seq, const void *payload,
		     size_t plen, void *buf, size_t len)
{
	uint8_t *p = buf;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < SKIT_ICMP_HDR_LEN || plen > len - SKIT_ICMP_HDR_LEN)
		return -EMSGSIZE;
	p[OFF_TYPE] = family == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQ;
	p[OFF_CODE] = 0;
	skit__put16(p + OFF_CKSUM, 0);
	skit__put16(p + OFF_ID, id);
	skit__put16(p + OFF_SEQ, seq);
	if (plen)
		memcpy(p + SKIT_ICMP_HDR_LEN, payload, plen);
	if (family == AF_INET)
		skit__put16(p + OFF_CKSUM,
			    skit_inet_cksum(p, SKIT_ICMP_HDR_LEN + plen));
	return (ssize_t)(SKIT_ICMP_HDR_LEN + plen);
}

static bool
is_error_type(int family, uint8_t type)
{
	if (family == AF_INET)
		return type == 3 || type == 4 || type == 5 || type == 11 ||
		       type == 12;
	return type >= 1 && type <= 4;
}

/*
 * The quoted packet inside an ICMPv4 error: an IPv4 header and at least
 * the 8 bytes of our echo request's header.
 */
static int
parse_quoted4(const uint8_t *q, size_t qlen, struct skit_icmp_msg *m)
{
	size_t ihl;

	if (qlen < 20 || (q[0] >> 4) != 4)
		return -1;
	ihl = (size_t)(q[0] & 0x0f) * 4;
	if (ihl < 20 || qlen < ihl + SKIT_ICMP_HDR_LEN)
		return -1;
	if (q[9] != IPPROTO_ICMP || q[ihl + OFF_TYPE] != ICMP4_ECHO_REQUEST)
		return -1;
	memset(&m->orig_dst, 0, sizeof(m->orig_dst));
	memcpy(&m->orig_dst, q + 16, 4);
	m->orig_id = skit__get16(q + ihl + OFF_ID);
	m->orig_seq = skit__get16(q + ihl + OFF_SEQ);
	return 0;
}

/* The quoted packet inside an ICMPv6 error: an IPv6 header + our echo. */
static int
parse_quoted6(const uint8_t *q, size_t qlen, struct skit_icmp_msg *m)
{
	if (qlen < IP6_HDR_LEN + SKIT_ICMP_HDR_LEN || (q[0] >> 4) != 6)
		return -1;
	/* Echo requests skit sends carry no extension headers. */
	if (q[6] != IPPROTO_ICMPV6 ||
	    q[IP6_HDR_LEN + OFF_TYPE] != ICMP6_ECHO_REQ)
		return -1;
	memcpy(&m->orig_dst, q + 24, 16);
	m->orig_id = skit__get16(q + IP6_HDR_LEN + OFF_ID);
	m->orig_seq = skit__get16(q + IP6_HDR_LEN + OFF_SEQ);
	return 0;
}

int
skit_icmp_parse(int family, bool has_iphdr, const void *buf, size_t len,
		struct skit_icmp_msg *out)
{
	const uint8_t *p = buf;
	uint8_t reply_type;

	memset(out, 0, sizeof(*out));
	out->family = family;
	out->ttl = -1;
	out->cls = SKIT_ICMP_MALFORMED;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (has_iphdr) {
		size_t ihl, tot;

		if (family != AF_INET || len < 20 || (p[0] >> 4) != 4)
			return 0;
		ihl = (size_t)(p[0] & 0x0f) * 4;
		tot = skit__get16(p + 2);
		if (ihl < 20 || len < ihl || p[9] != IPPROTO_ICMP)
			return 0;
		/* Padding may follow the datagram: stop at its length. */
		if (tot >= ihl && tot < len)
			len = tot;
		out->ttl = p[8];
		memcpy(&out->ip_src, p + 12, 4);
		out->has_ip_src = true;
		p += ihl;
		len -= ihl;
	}
	if (len < SKIT_ICMP_HDR_LEN)
		return 0;
	out->type = p[OFF_TYPE];
	out->code = p[OFF_CODE];
	out->cksum = skit__get16(p + OFF_CKSUM);
	out->cksum_ok = family == AF_INET6 || skit_inet_cksum(p, len) == 0;
	out->id = skit__get16(p + OFF_ID);
	out->seq = skit__get16(p + OFF_SEQ);
	reply_type = family == AF_INET ? ICMP4_ECHO_REPLY : ICMP6_ECHO_REP;
	if (out->type == reply_type) {
		out->cls =
			out->code == 0 ? SKIT_ICMP_REPLY : SKIT_ICMP_MALFORMED;
		out->data = p + SKIT_ICMP_HDR_LEN;
		out->datalen = len - SKIT_ICMP_HDR_LEN;
		return 0;
	}
	if (is_error_type(family, out->type)) {
		const uint8_t *q = p + SKIT_ICMP_HDR_LEN;
		size_t qlen = len - SKIT_ICMP_HDR_LEN;
		int r;

		out->info = skit__get32(p + 4);
		if (family == AF_INET) {
			/* Only the MTU (low 16 bits) and pointer mean a thing.
			 */
			if (out->type == 3 && out->code == 4)
				out->info &= 0xffff;
			else if (out->type == 12)
				out->info >>= 24;
			else
				out->info = 0;
		} else if (out->type != 2 && out->type != 4) {
			out->info = 0;
		}
		r = family == AF_INET ? parse_quoted4(q, qlen, out)
				      : parse_quoted6(q, qlen, out);
		out->cls = r == 0 ? SKIT_ICMP_ERROR : SKIT_ICMP_OTHER;
		return 0;
	}
	out->cls = SKIT_ICMP_OTHER;
	return 0;
}

int
skit_icmp_parse_quoted(int family, const void *buf, size_t len, uint16_t *id,
		       uint16_t *seq)
{
	const uint8_t *p = buf;

	(void)family;
	if (len < SKIT_ICMP_HDR_LEN)
		return -EBADMSG;
	*id = skit__get16(p + OFF_ID);
	*seq = skit__get16(p + OFF_SEQ);
	return 0;
}

/* One row per (family, type, code) with a text; code -1 = any code. */
struct icmp_text {
	int family;
	int type;
	int code;
	const char *text;
};

static const struct icmp_text texts[] = {
	{ AF_INET, 3, 0, "Destination Net Unreachable" },
	{ AF_INET, 3, 1, "Destination Host Unreachable" },
	{ AF_INET, 3, 2, "Destination Protocol Unreachable" },
	{ AF_INET, 3, 3, "Destination Port Unreachable" },
	{ AF_INET, 3, 4, "Frag needed" },
	{ AF_INET, 3, 5, "Source Route Failed" },
	{ AF_INET, 3, 6, "Destination Net Unknown" },
	{ AF_INET, 3, 7, "Destination Host Unknown" },
	{ AF_INET, 3, 9, "Destination Net Prohibited" },
	{ AF_INET, 3, 10, "Destination Host Prohibited" },
	{ AF_INET, 3, 13, "Packet filtered" },
	{ AF_INET, 3, -1, "Destination Unreachable" },
	{ AF_INET, 4, -1, "Source Quench" },
	{ AF_INET, 5, -1, "Redirect" },
	{ AF_INET, 11, 0, "Time to live exceeded" },
	{ AF_INET, 11, 1, "Frag reassembly time exceeded" },
	{ AF_INET, 12, -1, "Parameter problem" },
	{ AF_INET6, 1, 0, "Destination unreachable: No route" },
	{ AF_INET6, 1, 1,
	  "Destination unreachable: Administratively "
	  "prohibited" },
	{ AF_INET6, 1, 3, "Destination unreachable: Address unreachable" },
	{ AF_INET6, 1, 4, "Destination unreachable: Port unreachable" },
	{ AF_INET6, 1, -1, "Destination unreachable" },
	{ AF_INET6, 2, -1, "Packet too big" },
	{ AF_INET6, 3, 0, "Time exceeded: Hop limit" },
	{ AF_INET6, 3, -1, "Time exceeded: Defragmentation failure" },
	{ AF_INET6, 4, -1, "Parameter problem" },
};

const char *
skit_icmp_describe(int family, uint8_t type, uint8_t code)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].family == family && texts[i].type == type &&
		    (texts[i].code < 0 || texts[i].code == code))
			return texts[i].text;
	return "Unknown ICMP error";
}

const char *
skit_icmp_kind_name(int family, uint8_t type)
{
	if (family == AF_INET) {
		switch (type) {
		case 0:
			return "echo-reply";
		case 3:
			return "unreachable";
		case 4:
			return "source-quench";
		case 5:
			return "redirect";
		case 8:
			return "echo-request";
		case 11:
			return "time-exceeded";
		case 12:
			return "parameter-problem";
		}
	} else {
		switch (type) {
		case 1:
			return "unreachable";
		case 2:
			return "packet-too-big";
		case 3:
			return "time-exceeded";
		case 4:
			return "parameter-problem";
		case 128:
			return "echo-request";
		case 129:
			return "echo-reply";
		}
	}
	return "other";
}
