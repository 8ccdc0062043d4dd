/*
 * skit/nl.h - NETLINK_ROUTE: dump and watch interfaces and addresses.
 *
 * The parser (src/proto/nl.c) is pure and bounds-checked: it takes the bytes a
 * netlink socket returned, walks every message and attribute with
 * explicit length checks (never trusting a length field past the
 * buffer), and hands each link or address to a callback as a plain
 * struct. The socket calls are in src/net/sock_netlink.c.
 */
#ifndef SKIT_NL_H
#define SKIT_NL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "skit/err.h"

#define SKIT_NL_HWADDR_MAX 32

/* One interface, from RTM_NEWLINK / RTM_DELLINK. */
struct skit_nl_link {
	int index;
	char name[IF_NAMESIZE];
	unsigned flags; /* IFF_UP, IFF_LOOPBACK, ... (ifi_flags) */
	unsigned type;	/* ARPHRD_ETHER, ARPHRD_LOOPBACK, ... */
	unsigned mtu;	/* 0 when absent */
	int operstate;	/* IF_OPER_*; -1 when absent */
	int master;	/* index of the master device, 0 when none */
	int link;	/* IFLA_LINK (veth peer index...), 0 when none */
	char kind[16];	/* IFLA_LINKINFO/IFLA_INFO_KIND ("veth"), or "" */
	uint8_t hwaddr[SKIT_NL_HWADDR_MAX];
	size_t hwaddr_len; /* 0 when absent */
	uint8_t broadcast[SKIT_NL_HWADDR_MAX];
	size_t broadcast_len;
};

/* One address, from RTM_NEWADDR / RTM_DELADDR. */
struct skit_nl_addr {
	int family; /* AF_INET or AF_INET6 */
	int index;
	unsigned prefixlen;
	unsigned scope;	   /* RT_SCOPE_* */
	unsigned flags;	   /* IFA_F_* (IFA_FLAGS when present) */
	uint8_t local[16]; /* IFA_LOCAL, else IFA_ADDRESS */
	uint8_t peer[16];  /* IFA_ADDRESS when it differs (point-to-point) */
	bool has_peer;
	uint8_t broadcast[4]; /* IPv4 IFA_BROADCAST */
	bool has_broadcast;
	char label[IF_NAMESIZE];	   /* IFA_LABEL or "" */
	uint32_t valid_lft, preferred_lft; /* IFA_CACHEINFO, else ~0 */
};

/* What one message held. */
enum skit_nl_what {
	SKIT_NL_LINK = 1,
	SKIT_NL_ADDR,
};

struct skit_nl_event {
	enum skit_nl_what what;
	bool deleted; /* RTM_DEL* */
	union {
		struct skit_nl_link link;
		struct skit_nl_addr addr;
	} u;
};

/* Called for each link or address; return nonzero to stop parsing. */
typedef int (*skit_nl_cb)(const struct skit_nl_event *ev, void *data);

/*
 * Walk the netlink messages in buf[0..len) and call cb for every link
 * and address. Other message types are skipped. Returns:
 *   1 when an NLMSG_DONE ended a dump,
 *   0 when the buffer was used up (more may follow),
 *   the callback's nonzero value when it stopped the walk (as a
 *   positive number is ambiguous, callbacks should return < 0),
 *   -EBADMSG when a message or attribute does not fit its buffer,
 *   the negative errno an NLMSG_ERROR carried.
 * Pure; never reads outside buf.
 */
int skit_nl_parse(const void *buf, size_t len, skit_nl_cb cb, void *data);

/* "UP", "DOWN", "UNKNOWN", "LOWERLAYERDOWN", ... for IF_OPER_*. */
const char *skit_nl_operstate_name(int operstate);

/* "global", "link", "host", "site", "nowhere", or the number as text. */
const char *skit_nl_scope_name(unsigned scope, char *buf, size_t len);

/*
 * Write the interface flags like `ip link`: "LOOPBACK,UP,LOWER_UP".
 * Returns buf (always terminated).
 */
char *skit_nl_flags_str(unsigned flags, char *buf, size_t len);

/* --- sockets (src/net/sock_netlink.c) ----------------------------------- */

/* Multicast groups for skit_nl_open. */
enum {
	SKIT_NL_GROUP_LINK = 1 << 0,
	SKIT_NL_GROUP_ADDR = 1 << 1, /* IPv4 and IPv6 addresses */
};

/*
 * Open a NETLINK_ROUTE socket (CLOEXEC), subscribed to groups (0 for
 * none). Returns the fd or -errno with err filled. Does not block.
 */
int skit_nl_open(unsigned groups, struct skit_err *err);

/*
 * Dump every link (what = SKIT_NL_LINK) or every address (SKIT_NL_ADDR)
 * and call cb for each: sends the request and reads until NLMSG_DONE.
 * Returns 0, the callback's negative value, or a negative code. Blocks
 * until the kernel has answered.
 */
int skit_nl_dump(int fd, enum skit_nl_what what, skit_nl_cb cb, void *data);

/*
 * Read one batch of notifications (blocking unless fd is nonblocking)
 * and call cb for each. Returns 0, the callback's negative value,
 * -ENOBUFS when the kernel dropped notifications, or -errno.
 */
int skit_nl_read(int fd, skit_nl_cb cb, void *data);

#endif
