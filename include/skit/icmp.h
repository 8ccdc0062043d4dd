/*
 * skit/icmp.h - ICMP and ICMPv6 echo: build requests, parse what comes
 * back, and open the sockets that carry them.
 *
 * Two kinds of socket carry ICMP echo on Linux:
 *  - the unprivileged "ping" datagram socket (SOCK_DGRAM, IPPROTO_ICMP /
 *    IPPROTO_ICMPV6), allowed when the caller's group is inside
 *    net.ipv4.ping_group_range. The kernel owns the echo identifier (it
 *    rewrites it to the socket's "port"), delivers only replies to this
 *    socket without an IP header, and reports ICMP errors on the socket's
 *    error queue (IP_RECVERR / IPV6_RECVERR);
 *  - the raw socket (SOCK_RAW), which needs CAP_NET_RAW. For IPv4 every
 *    packet read starts with the IP header; for IPv6 it does not (the hop
 *    limit comes as ancillary data). A raw socket sees every ICMP message
 *    of the host, so replies are matched on identifier, sequence and a
 *    payload token.
 *
 * The parsers never read past the length they are given; every field a
 * parser returns was inside the buffer.
 */
#ifndef SKIT_ICMP_H
#define SKIT_ICMP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "skit/err.h"

#define SKIT_ICMP_HDR_LEN 8 /* type, code, checksum, identifier, sequence */

/* The Internet checksum (RFC 1071) of len bytes. Pure. */
uint16_t skit_inet_cksum(const void *data, size_t len);

/*
 * Write an echo request (ICMP type 8 for AF_INET, ICMPv6 type 128 for
 * AF_INET6) with identifier id, sequence seq and plen payload bytes into
 * buf. The ICMPv4 checksum is computed; the ICMPv6 one is left 0 because
 * the kernel fills it (it covers a pseudo-header only the kernel knows).
 * Returns the length written, or -EMSGSIZE when buf is too small,
 * -EAFNOSUPPORT for another family. Pure.
 */
ssize_t skit_icmp_build_echo(int family, uint16_t id, uint16_t seq,
			     const void *payload, size_t plen, void *buf,
			     size_t len);

/* What a received ICMP message is. */
enum skit_icmp_class {
	SKIT_ICMP_OTHER = 0, /* something else (our own request on lo...) */
	SKIT_ICMP_REPLY,     /* an echo reply */
	SKIT_ICMP_ERROR,     /* an error quoting one of our echo requests */
	SKIT_ICMP_MALFORMED, /* too short or inconsistent */
};

/*
 * A parsed ICMP message. Pointers point into the caller's buffer.
 * For SKIT_ICMP_REPLY: id, seq, data/datalen (the echo payload).
 * For SKIT_ICMP_ERROR: type/code of the error and the quoted request's
 * id and seq (orig_id, orig_seq), its destination in orig_dst (the
 * IPv4 address in the first 4 bytes for AF_INET) and info (the next-hop
 * MTU of "fragmentation needed" / "packet too big", the pointer of a
 * parameter problem, else 0).
 */
struct skit_icmp_msg {
	enum skit_icmp_class cls;
	int family;
	uint8_t type, code;
	uint16_t cksum;
	bool cksum_ok; /* checked for ICMPv4 only; true for ICMPv6 */
	uint16_t id, seq;
	const uint8_t *data;
	size_t datalen;
	int ttl; /* from the IPv4 header when there is one, else -1 */
	struct in6_addr ip_src; /* from the IPv4 header when there is one */
	bool has_ip_src;
	uint16_t orig_id, orig_seq;
	struct in6_addr orig_dst;
	uint32_t info;
};

/*
 * Parse one message as read from an ICMP socket of family. has_iphdr:
 * buf starts with an IPv4 header (raw AF_INET sockets). Returns 0 with
 * *out filled (cls says what it is; SKIT_ICMP_MALFORMED when it does not
 * hold together), or -EAFNOSUPPORT. Never reads outside buf[0..len).
 * Pure.
 */
int skit_icmp_parse(int family, bool has_iphdr, const void *buf, size_t len,
		    struct skit_icmp_msg *out);

/*
 * Parse the quoted packet of an error taken from a datagram socket's
 * error queue: for ping sockets the kernel hands back the ICMP header we
 * sent (type, code, checksum, id, seq) and what followed. Fills *id and
 * *seq. Returns 0, or -EBADMSG when too short. Pure.
 */
int skit_icmp_parse_quoted(int family, const void *buf, size_t len,
			   uint16_t *id, uint16_t *seq);

/*
 * The iputils-style text for an ICMP error type/code: "Destination Host
 * Unreachable", "Time to live exceeded", "Destination unreachable: No
 * route". Returns a static string; never NULL.
 */
const char *skit_icmp_describe(int family, uint8_t type, uint8_t code);

/* A short stable name for JSON: "unreachable", "time-exceeded", ... */
const char *skit_icmp_kind_name(int family, uint8_t type);

/* --- sockets (src/net/sock_icmp.c) ------------------------------------- */

/*
 * How skit_icmp_open went: the socket type that worked and, for the
 * attempts that failed, their codes (0 when not tried or when it worked).
 */
struct skit_icmp_open_info {
	bool raw;	/* the socket is SOCK_RAW */
	int dgram_code; /* why the datagram socket failed */
	int raw_code;	/* why the raw socket failed */
};

/* Flags for skit_icmp_open. */
enum {
	SKIT_ICMP_RAW_ONLY = 1 << 0,   /* skip the datagram socket */
	SKIT_ICMP_DGRAM_ONLY = 1 << 1, /* skip the raw socket */
};

/*
 * Open an ICMP echo socket for family (AF_INET or AF_INET6): the
 * unprivileged datagram socket first, then a raw one (STYLE.md rule 13), born
 * CLOEXEC and NONBLOCK. The socket is prepared: it reports TTL/hop limit and
 * receive timestamps as ancillary data, a raw socket gets an ICMP filter (echo
 * replies and errors only), a datagram socket IP_RECVERR/IPV6_RECVERR so errors
 * reach the error queue. Returns the fd, or the code of the last attempt (info
 * tells both), err naming the socket that failed. Does not block.
 */
int skit_icmp_open(int family, int flags, struct skit_icmp_open_info *info,
		   struct skit_err *err);

/*
 * Resolve host (a name or literal) for family (AF_INET, AF_INET6 or
 * AF_UNSPEC: the first address getaddrinfo gives) into *dst and *dstlen.
 * numeric: literals only, no DNS. Returns 0 or a SKIT_EAI_* code with err
 * filled ("resolve", host). Blocks on DNS.
 */
int skit_icmp_resolve(const char *host, int family, bool numeric,
		      struct sockaddr_storage *dst, socklen_t *dstlen,
		      struct skit_err *err);

/* Set the TTL (AF_INET) or unicast hop limit (AF_INET6). 0 or -errno. */
int skit_icmp_set_ttl(int fd, int family, int ttl);

/*
 * The echo identifier the kernel uses for a datagram socket (its bound
 * "port", after an implicit bind on first send), or -errno.
 */
int skit_icmp_local_id(int fd);

/* Send one prepared message to dst; returns bytes sent or -errno. */
ssize_t skit_icmp_send(int fd, const void *buf, size_t len,
		       const struct sockaddr *dst, socklen_t dstlen);

/*
 * One received message: bytes in buf, sender in from, ttl (IPv4 TTL or
 * IPv6 hop limit from ancillary data, -1 when absent), kernel receive
 * time on CLOCK_REALTIME (ts, zero when absent).
 */
struct skit_icmp_rx {
	size_t len;
	struct sockaddr_storage from;
	socklen_t fromlen;
	int ttl;
	struct timespec ts;
};

/*
 * Read one message (nonblocking). Returns its length, -EAGAIN when none
 * is queued, or -errno. A message longer than len is cut to len
 * (rx->len is the part kept). Does not block.
 */
ssize_t skit_icmp_recv(int fd, void *buf, size_t len, struct skit_icmp_rx *rx);

/*
 * An ICMP error taken from the error queue (datagram sockets).
 * offender: the router or host that reported it (zeroed family when the
 * kernel did not say); type/code of the ICMP error; origin_local when
 * the local stack raised it (e.g. no neighbour answered ARP); code is
 * the errno the kernel maps it to; data/len the quoted echo header.
 */
struct skit_icmp_qerr {
	struct sockaddr_storage offender;
	int errcode;
	uint8_t type, code;
	bool origin_icmp;
	uint32_t info;
	size_t len;
};

/*
 * Read one entry of the error queue into *qe and its payload into buf.
 * Returns the payload length, -EAGAIN when the queue is empty, or -errno.
 * Does not block.
 */
ssize_t skit_icmp_recv_err(int fd, void *buf, size_t len,
			   struct skit_icmp_qerr *qe);

#ifdef __cplusplus
}
#endif

#endif
