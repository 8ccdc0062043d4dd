/*
 * diag.c - NETLINK_SOCK_DIAG reply parser (pure): inet (TCP, UDP, raw),
 * unix, packet and netlink sockets, and ss's names for them.
 *
 * Every fixed header is copied out with memcpy and every attribute read
 * through the bounds-checked walk in proto/nl_int.h, so a lying length
 * ends the parse with -EBADMSG instead of a read past the buffer.
 */
#include "skit/diag.h"
#include "proto/nl_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* tcp_info up to the fields skit reads, so an old kernel's is enough. */
#define TCPI_MIN_LEN offsetof(struct tcp_info, tcpi_rcv_rtt)

static uint64_t
cookie64(const uint32_t c[2])
{
	return (uint64_t)c[1] << 32 | c[0];
}

/*
 * The message's fixed part (n bytes) into m, and the offset of its first
 * attribute into *off: 0, or -EBADMSG when the body is shorter.
 */
static int
fixed_part(const uint8_t *p, size_t len, void *m, size_t n, size_t *off)
{
	if (len < n)
		return -EBADMSG;
	memcpy(m, p, n);
	*off = SKIT__NL_ALIGN4(n);
	return 0;
}

static void
read_tcp_info(const struct skit__nl_attr *a, struct skit_diag_sock *s)
{
	struct tcp_info ti;

	if (a->len < TCPI_MIN_LEN)
		return;
	/* A shorter (older) tcp_info leaves the later fields zero. */
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, a->data, a->len < sizeof(ti) ? a->len : sizeof(ti));
	s->has_tcp = true;
	s->tcp.rtt_us = ti.tcpi_rtt;
	s->tcp.rttvar_us = ti.tcpi_rttvar;
	s->tcp.rto_us = ti.tcpi_rto;
	s->tcp.snd_cwnd = ti.tcpi_snd_cwnd;
	s->tcp.snd_ssthresh = ti.tcpi_snd_ssthresh;
	s->tcp.snd_mss = ti.tcpi_snd_mss;
	s->tcp.rcv_mss = ti.tcpi_rcv_mss;
	s->tcp.retransmits = ti.tcpi_retransmits;
	s->tcp.total_retrans = ti.tcpi_total_retrans;
	s->tcp.lost = ti.tcpi_lost;
	s->tcp.unacked = ti.tcpi_unacked;
	if (a->len >= offsetof(struct tcp_info, tcpi_bytes_acked) + 8)
		s->tcp.bytes_acked = ti.tcpi_bytes_acked;
	if (a->len >= offsetof(struct tcp_info, tcpi_bytes_received) + 8)
		s->tcp.bytes_received = ti.tcpi_bytes_received;
	if (a->len >= offsetof(struct tcp_info, tcpi_min_rtt) + 4)
		s->tcp.min_rtt_us = ti.tcpi_min_rtt;
}

static int
parse_inet(const uint8_t *p, size_t len, enum skit_diag_kind kind,
	   struct skit_diag_sock *s)
{
	struct inet_diag_msg m;
	struct skit__nl_attr a;
	size_t off;
	int r;

	if (fixed_part(p, len, &m, sizeof(m), &off) < 0)
		return -EBADMSG;
	s->family = m.idiag_family;
	if (s->family != AF_INET && s->family != AF_INET6)
		return 0;
	s->kind = kind;
	s->type = kind == SKIT_DIAG_TCP	  ? SOCK_STREAM
		  : kind == SKIT_DIAG_UDP ? SOCK_DGRAM
					  : SOCK_RAW;
	s->state = m.idiag_state;
	s->rqueue = m.idiag_rqueue;
	s->wqueue = m.idiag_wqueue;
	s->inode = m.idiag_inode;
	s->uid = m.idiag_uid;
	s->has_uid = true;
	s->sport = ntohs(m.id.idiag_sport);
	s->dport = ntohs(m.id.idiag_dport);
	memcpy(s->src, m.id.idiag_src, s->family == AF_INET ? 4 : 16);
	memcpy(s->dst, m.id.idiag_dst, s->family == AF_INET ? 4 : 16);
	s->ifindex = (int)m.id.idiag_if;
	s->cookie = cookie64(m.id.idiag_cookie);
	/* A raw socket's "port" is its protocol. */
	if (kind == SKIT_DIAG_RAW)
		s->protocol = s->sport;
	while ((r = skit__nl_next_attr(p, len, &off, &a)) > 0) {
		switch (a.type) {
		case INET_DIAG_INFO:
			if (kind == SKIT_DIAG_TCP)
				read_tcp_info(&a, s);
			break;
		case INET_DIAG_CONG:
			skit__nl_copy_str(s->tcp.cong, sizeof(s->tcp.cong), &a);
			break;
		case INET_DIAG_SKV6ONLY:
			if (a.len >= 1) {
				s->v6only_known = true;
				s->v6only = a.data[0] != 0;
			}
			break;
		case INET_DIAG_PROTOCOL:
			/* Destroy notifications say which protocol. */
			if (a.len >= 1 && a.data[0] == IPPROTO_TCP) {
				s->kind = SKIT_DIAG_TCP;
				s->type = SOCK_STREAM;
			} else if (a.len >= 1 && a.data[0] == IPPROTO_UDP) {
				s->kind = SKIT_DIAG_UDP;
				s->type = SOCK_DGRAM;
			}
			break;
		}
	}
	return r < 0 ? r : 1;
}

static int
parse_unix(const uint8_t *p, size_t len, struct skit_diag_sock *s)
{
	struct unix_diag_msg m;
	struct skit__nl_attr a;
	size_t off;
	int r;

	if (fixed_part(p, len, &m, sizeof(m), &off) < 0)
		return -EBADMSG;
	if (m.udiag_family != AF_UNIX)
		return 0;
	s->kind = SKIT_DIAG_UNIX;
	s->family = AF_UNIX;
	s->type = m.udiag_type;
	s->state = m.udiag_state;
	s->inode = m.udiag_ino;
	s->cookie = cookie64(m.udiag_cookie);
	while ((r = skit__nl_next_attr(p, len, &off, &a)) > 0) {
		switch (a.type) {
		case UNIX_DIAG_NAME:
			/* Bytes, not a string: an abstract name starts with
			 * '\0' and may hold more. */
			s->name_len = a.len < sizeof(s->name) ? a.len
							      : sizeof(s->name);
			memcpy(s->name, a.data, s->name_len);
			/* A path comes with its terminating NUL. */
			if (s->name_len && s->name[0])
				s->name_len = strnlen(s->name, s->name_len);
			break;
		case UNIX_DIAG_PEER:
			s->has_peer = skit__nl_get_u32(&a, &s->peer_inode);
			break;
		case UNIX_DIAG_RQLEN:
			if (a.len >= sizeof(struct unix_diag_rqlen)) {
				struct unix_diag_rqlen q;

				memcpy(&q, a.data, sizeof(q));
				s->rqueue = q.udiag_rqueue;
				s->wqueue = q.udiag_wqueue;
			}
			break;
		case UNIX_DIAG_UID:
			s->has_uid = skit__nl_get_u32(&a, &s->uid);
			break;
		}
	}
	return r < 0 ? r : 1;
}

/* SK_MEMINFO_RMEM_ALLOC and _WMEM_ALLOC from a meminfo attribute. */
static void
read_meminfo(const struct skit__nl_attr *a, struct skit_diag_sock *s, bool wmem)
{
	uint32_t v[SK_MEMINFO_VARS];

	if (a->len < sizeof(uint32_t) * (SK_MEMINFO_WMEM_ALLOC + 1))
		return;
	memset(v, 0, sizeof(v));
	memcpy(v, a->data, a->len < sizeof(v) ? a->len : sizeof(v));
	s->rqueue = v[SK_MEMINFO_RMEM_ALLOC];
	if (wmem)
		s->wqueue = v[SK_MEMINFO_WMEM_ALLOC];
}

static int
parse_packet(const uint8_t *p, size_t len, struct skit_diag_sock *s)
{
	struct packet_diag_msg m;
	struct skit__nl_attr a;
	size_t off;
	int r;

	if (fixed_part(p, len, &m, sizeof(m), &off) < 0)
		return -EBADMSG;
	if (m.pdiag_family != AF_PACKET)
		return 0;
	s->kind = SKIT_DIAG_PACKET;
	s->family = AF_PACKET;
	s->type = m.pdiag_type;
	s->protocol = m.pdiag_num; /* the kernel converted it */
	s->inode = m.pdiag_ino;
	s->cookie = cookie64(m.pdiag_cookie);
	s->state = 7; /* TCP_CLOSE: UNCONN, as ss shows it */
	while ((r = skit__nl_next_attr(p, len, &off, &a)) > 0) {
		switch (a.type) {
		case PACKET_DIAG_INFO:
			if (a.len >= sizeof(struct packet_diag_info)) {
				struct packet_diag_info pi;

				memcpy(&pi, a.data, sizeof(pi));
				s->ifindex = (int)pi.pdi_index;
			}
			break;
		case PACKET_DIAG_UID:
			s->has_uid = skit__nl_get_u32(&a, &s->uid);
			break;
		case PACKET_DIAG_MEMINFO:
			read_meminfo(&a, s, false);
			break;
		}
	}
	return r < 0 ? r : 1;
}

static int
parse_netlink(const uint8_t *p, size_t len, struct skit_diag_sock *s)
{
	struct netlink_diag_msg m;
	struct skit__nl_attr a;
	size_t off;
	int r;

	if (fixed_part(p, len, &m, sizeof(m), &off) < 0)
		return -EBADMSG;
	if (m.ndiag_family != AF_NETLINK)
		return 0;
	s->kind = SKIT_DIAG_NETLINK;
	s->family = AF_NETLINK;
	s->type = m.ndiag_type;
	s->protocol = m.ndiag_protocol;
	s->state = m.ndiag_state;
	s->portid = m.ndiag_portid;
	s->dst_portid = m.ndiag_dst_portid;
	s->dst_group = m.ndiag_dst_group;
	s->inode = m.ndiag_ino;
	s->cookie = cookie64(m.ndiag_cookie);
	while ((r = skit__nl_next_attr(p, len, &off, &a)) > 0)
		if (a.type == NETLINK_DIAG_MEMINFO)
			read_meminfo(&a, s, true);
	return r < 0 ? r : 1;
}

struct parse_ctx {
	enum skit_diag_kind kind;
	skit_diag_cb cb;
	void *data;
};

static int
parse_msg(uint16_t type, const uint8_t *body, size_t blen, void *ctx)
{
	struct parse_ctx *c = ctx;
	struct skit_diag_sock s;
	int r;

	if (type != SOCK_DIAG_BY_FAMILY)
		return 0;
	memset(&s, 0, sizeof(s));
	switch (c->kind) {
	case SKIT_DIAG_TCP:
	case SKIT_DIAG_UDP:
	case SKIT_DIAG_RAW:
		r = parse_inet(body, blen, c->kind, &s);
		break;
	case SKIT_DIAG_UNIX:
		r = parse_unix(body, blen, &s);
		break;
	case SKIT_DIAG_PACKET:
		r = parse_packet(body, blen, &s);
		break;
	case SKIT_DIAG_NETLINK:
		r = parse_netlink(body, blen, &s);
		break;
	default:
		return -EINVAL;
	}
	if (r <= 0)
		return r; /* an error, or a family that was not asked for */
	return c->cb ? c->cb(&s, c->data) : 0;
}

int
skit_diag_parse(const void *buf, size_t len, enum skit_diag_kind kind,
		skit_diag_cb cb, void *data)
{
	struct parse_ctx c = { kind, cb, data };

	return skit__nl_walk(buf, len, parse_msg, &c);
}

/* Hex bytes of an address as /proc/net prints it: each 32-bit word in
 * host order. */
static bool
proc_addr(const char *hex, size_t words, uint8_t *out)
{
	for (size_t w = 0; w < words; w++) {
		char part[9];
		unsigned long v;
		char *end;

		memcpy(part, hex + 8 * w, 8);
		part[8] = '\0';
		v = strtoul(part, &end, 16);
		if (*end)
			return false;
		{
			uint32_t v32 = (uint32_t)v;

			memcpy(out + 4 * w, &v32, 4);
		}
	}
	return true;
}

int
skit_diag_proc_line(const char *line, int family, struct skit_diag_sock *out)
{
	char local[40], remote[40];
	unsigned lport, rport, state, uid;
	unsigned long tx, rx, inode;
	size_t words = family == AF_INET ? 1 : 4;
	const char *colon;
	int n;

	memset(out, 0, sizeof(*out));
	if (family != AF_INET && family != AF_INET6)
		return 0;
	colon = strchr(line, ':');
	if (!colon)
		return 0;
	/* "sl: local:port remote:port st tx:rx tr:when retrnsmt uid
	 * timeout inode ..." */
	n = sscanf(colon + 1,
		   " %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %lx:%lx %*x:%*x "
		   "%*x %u %*d %lu",
		   local, &lport, remote, &rport, &state, &tx, &rx, &uid,
		   &inode);
	if (n != 9 || strlen(local) != 8 * words || strlen(remote) != 8 * words)
		return 0;
	if (!proc_addr(local, words, out->src) ||
	    !proc_addr(remote, words, out->dst))
		return 0;
	out->kind = SKIT_DIAG_RAW;
	out->family = family;
	out->type = SOCK_RAW;
	out->protocol = (int)(lport & 0xffff);
	out->sport = (uint16_t)lport;
	out->dport = (uint16_t)rport;
	out->state = (int)(state & 0xff);
	out->wqueue = (uint32_t)tx;
	out->rqueue = (uint32_t)rx;
	out->uid = uid;
	out->has_uid = true;
	out->inode = (uint32_t)inode;
	return 1;
}

const char *
skit_diag_netid(const struct skit_diag_sock *s)
{
	switch (s->kind) {
	case SKIT_DIAG_TCP:
		return "tcp";
	case SKIT_DIAG_UDP:
		return "udp";
	case SKIT_DIAG_RAW:
		return "raw";
	case SKIT_DIAG_UNIX:
		return s->type == SOCK_DGRAM	   ? "u_dgr"
		       : s->type == SOCK_SEQPACKET ? "u_seq"
						   : "u_str";
	case SKIT_DIAG_PACKET:
		return s->type == SOCK_DGRAM ? "p_dgr" : "p_raw";
	case SKIT_DIAG_NETLINK:
		return "nl";
	}
	return "?";
}

/* TCP_* numbers: ss's names, and the names its filter takes. */
static const struct {
	const char *name;   /* as printed */
	const char *filter; /* as a filter spells it */
} states[] = {
	[0] = { "UNKNOWN", "unknown" },
	[1] = { "ESTAB", "established" },
	[2] = { "SYN-SENT", "syn-sent" },
	[3] = { "SYN-RECV", "syn-recv" },
	[4] = { "FIN-WAIT-1", "fin-wait-1" },
	[5] = { "FIN-WAIT-2", "fin-wait-2" },
	[6] = { "TIME-WAIT", "time-wait" },
	[7] = { "UNCONN", "closed" },
	[8] = { "CLOSE-WAIT", "close-wait" },
	[9] = { "LAST-ACK", "last-ack" },
	[10] = { "LISTEN", "listening" },
	[11] = { "CLOSING", "closing" },
	[12] = { "NEW-SYN-RECV", "new-syn-recv" },
};

const char *
skit_diag_state_name(int state)
{
	if (state <= 0 || (size_t)state >= sizeof(states) / sizeof(states[0]))
		return "UNKNOWN";
	return states[state].name;
}

int
skit_diag_state_parse(const char *s)
{
	for (size_t i = 1; i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcasecmp(s, states[i].filter) ||
		    !strcasecmp(s, states[i].name))
			return (int)i;
	return -1;
}
