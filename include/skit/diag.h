/*
 * skit/diag.h - every socket in the network namespace, over
 * NETLINK_SOCK_DIAG (what `ss` reads): TCP, UDP and raw IPv4/IPv6
 * sockets, unix sockets of every type, packet and netlink sockets, with
 * state, queues, addresses, inode, owner uid and, for TCP, tcp_info.
 *
 * The parser (src/proto/diag.c) is pure and bounds-checked like the
 * NETLINK_ROUTE one (skit/nl.h): every message and attribute length is
 * checked against the bytes left before it is used. It is fuzzed
 * (fuzz/fuzz_diag.c). The socket calls and the /proc walk that finds
 * each socket's process are in src/net/sock_diag.c.
 */
#ifndef SKIT_DIAG_H
#define SKIT_DIAG_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "skit/err.h"

/* What a dump asks for and a record is. */
enum skit_diag_kind {
	SKIT_DIAG_TCP = 1,
	SKIT_DIAG_UDP,
	SKIT_DIAG_RAW,
	SKIT_DIAG_UNIX,
	SKIT_DIAG_PACKET,
	SKIT_DIAG_NETLINK,
};

#define SKIT_DIAG_NAME_MAX 108 /* sun_path */

/* TCP's own numbers (tcp_info), when asked for. Times in microseconds. */
struct skit_diag_tcp {
	uint32_t rtt_us, rttvar_us, rto_us, min_rtt_us;
	uint32_t snd_cwnd, snd_ssthresh, snd_mss, rcv_mss;
	uint32_t retransmits; /* in a row, now */
	uint32_t total_retrans;
	uint32_t lost, unacked;
	uint64_t bytes_acked, bytes_received; /* 0 on old kernels */
	char cong[16];			      /* "cubic", "bbr", or "" */
};

/*
 * One socket. Which fields mean something depends on kind; the others
 * are zero.
 */
struct skit_diag_sock {
	enum skit_diag_kind kind;
	int family;   /* AF_INET, AF_INET6, AF_UNIX, AF_PACKET, AF_NETLINK */
	int type;     /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW */
	int protocol; /* raw: IP protocol; packet: ethertype (host order);
			 netlink: NETLINK_*; else 0 */
	int state;    /* TCP_* numbers (unix and UDP use them too) */
	uint32_t rqueue, wqueue; /* a listener: backlog now and its limit */
	uint32_t inode;
	uint64_t cookie;
	uint32_t uid;
	bool has_uid;

	/* tcp, udp, raw */
	uint8_t src[16], dst[16]; /* 4 bytes for AF_INET */
	uint16_t sport, dport;	  /* host order; raw: the protocol */
	int ifindex;		  /* bound device; packet: its interface */
	bool v6only_known, v6only;

	/* unix: the name as bound (abstract names start with '\0') */
	char name[SKIT_DIAG_NAME_MAX];
	size_t name_len; /* 0: unnamed */
	uint32_t peer_inode;
	bool has_peer;

	/* netlink */
	uint32_t portid, dst_portid, dst_group;

	bool has_tcp;
	struct skit_diag_tcp tcp;
};

/* Called for each socket; return nonzero to stop the walk. */
typedef int (*skit_diag_cb)(const struct skit_diag_sock *s, void *data);

/*
 * Walk the SOCK_DIAG_BY_FAMILY replies in buf[0..len) to a dump of kind
 * (an inet reply names its protocol only when the kernel adds
 * INET_DIAG_PROTOCOL, so the request's kind fills it in) and call cb for
 * each socket. Returns 1 when NLMSG_DONE ended the dump, 0 when the
 * buffer was used up, cb's nonzero value, -EBADMSG when a message or
 * attribute does not fit, or the negative errno an NLMSG_ERROR carried.
 * Pure; never reads outside buf.
 */
int skit_diag_parse(const void *buf, size_t len, enum skit_diag_kind kind,
		    skit_diag_cb cb, void *data);

/*
 * One line of /proc/net/raw or /proc/net/raw6 (family AF_INET or
 * AF_INET6) into *out as a SKIT_DIAG_RAW socket, for kernels without the
 * raw_diag module (ss reads the same files then). Returns 1 for a
 * socket line, 0 for the header or a line that does not parse. Pure.
 */
int skit_diag_proc_line(const char *line, int family,
			struct skit_diag_sock *out);

/*
 * ss's short names: "tcp", "udp", "raw", "u_str", "u_dgr", "u_seq",
 * "p_raw", "p_dgr", "nl". Never NULL.
 */
const char *skit_diag_netid(const struct skit_diag_sock *s);

/*
 * ss's state names: "ESTAB", "LISTEN", "UNCONN", "SYN-SENT", "TIME-WAIT",
 * ... for a TCP_* number ("UNKNOWN" for others). Never NULL.
 */
const char *skit_diag_state_name(int state);

/*
 * Parse a state as ss's filter spells it ("established", "syn-sent",
 * "listening", "closed", "time-wait", ...): the TCP_* number, or -1.
 */
int skit_diag_state_parse(const char *s);

/* --- sockets (src/net/sock_diag.c) ------------------------------------- */

/*
 * Dump flags: SKIT_DIAG_WANT_TCP_INFO asks for tcp_info and the
 * congestion control; SKIT_DIAG_KERNEL_ONLY makes a raw dump without
 * raw_diag fail with -ENOENT instead of reading /proc/net/raw.
 */
enum {
	SKIT_DIAG_WANT_TCP_INFO = 1 << 0,
	SKIT_DIAG_KERNEL_ONLY = 1 << 1,
};

/* Groups for skit_diag_open: the kernel's destroy notifications. */
enum {
	SKIT_DIAG_GROUP_DESTROY = 1 << 0, /* TCP and UDP, IPv4 and IPv6 */
};

/*
 * Open a NETLINK_SOCK_DIAG socket (CLOEXEC), joined to groups (joining
 * needs CAP_NET_ADMIN: -EPERM without it). Returns the fd or a negative
 * code with err filled. Does not block.
 */
int skit_diag_open(unsigned groups, struct skit_err *err);

/*
 * Dump every socket of kind in this namespace (family AF_INET or
 * AF_INET6 for tcp, udp and raw; ignored for the others) and call cb
 * for each. Raw sockets come from /proc/net/raw{,6} when the kernel has
 * no raw_diag module. Returns 0, cb's negative value, -ENOENT when the
 * kernel has no diag module for the kind, or another negative code.
 * Blocks until the kernel has answered.
 */
int skit_diag_dump(int fd, enum skit_diag_kind kind, int family, unsigned flags,
		   skit_diag_cb cb, void *data);

/*
 * Read one batch of destroy notifications (the fd was opened with
 * SKIT_DIAG_GROUP_DESTROY; blocking unless it is nonblocking) and call
 * cb for each. Returns 0, cb's negative value, -ENOBUFS when the kernel
 * dropped notifications, or -errno.
 */
int skit_diag_read(int fd, skit_diag_cb cb, void *data);

/* A process holding a socket, from /proc/PID/fd. */
struct skit_diag_owner {
	uint32_t inode;
	pid_t pid;
	int fd;
	char comm[16];
};

/*
 * Walk /proc/[pid]/fd and list every socket fd this process may see
 * (other users' processes need CAP_SYS_PTRACE or root), sorted by
 * inode. Returns 0 with *out (free() it) and *n, or -errno. Reads /proc
 * only; a process that ends during the walk is skipped.
 */
int skit_diag_owners(struct skit_diag_owner **out, size_t *n);

/* The first owner of inode in a sorted list, or NULL. */
const struct skit_diag_owner *
skit_diag_owner_find(const struct skit_diag_owner *list, size_t n,
		     uint32_t inode);

#ifdef __cplusplus
}
#endif

#endif
