/*
 * skit/nl.h - NETLINK_ROUTE: dump and watch interfaces, addresses,
 * routes and neighbours.
 *
 * The parser (src/proto/nl.c) is pure and bounds-checked: it takes the bytes a
 * netlink socket returned, walks every message and attribute with
 * explicit length checks (never trusting a length field past the
 * buffer), and hands each link, address, route or neighbour to a
 * callback as a plain struct. The socket calls are in src/net/sock_netlink.c.
 */
#ifndef SKIT_NL_H
#define SKIT_NL_H

#ifdef __cplusplus
extern "C" {
#endif

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
	char qdisc[32];	   /* IFLA_QDISC ("noqueue"), or "" */
	uint32_t txqlen;   /* IFLA_TXQLEN */
	bool has_txqlen;   /* IFLA_TXQLEN was present */
	uint32_t group;	   /* IFLA_GROUP (0 is "default") */
	bool link_netnsid; /* IFLA_LINK is in another namespace */
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

/*
 * One route, from RTM_NEWROUTE / RTM_DELROUTE (IPv4 and IPv6 only). An
 * address field is valid when its has_ flag is set; lengths are prefix
 * lengths.
 */
struct skit_nl_route {
	int family; /* AF_INET or AF_INET6 */
	unsigned dst_len, src_len;
	uint8_t dst[16], src[16], gateway[16], prefsrc[16];
	bool has_dst, has_src, has_gateway, has_prefsrc;
	int gateway_family; /* RTA_VIA may name the other family */
	int oif;	    /* RTA_OIF, 0 when none */
	uint32_t table;	    /* RTA_TABLE, else rtm_table */
	unsigned protocol;  /* RTPROT_* */
	unsigned scope;	    /* RT_SCOPE_* */
	unsigned type;	    /* RTN_UNICAST, RTN_LOCAL, ... */
	unsigned flags;	    /* rtm_flags (RTNH_F_*, RTM_F_CLONED) */
	unsigned tos;
	uint32_t metric; /* RTA_PRIORITY */
	bool has_metric;
	int pref;     /* IPv6 RTA_PREF (ICMPV6_ROUTER_PREF_*), -1 when none */
	long expires; /* seconds left (RTA_CACHEINFO); 0: does not expire */
	int nexthops; /* entries in RTA_MULTIPATH, 0 when none */
};

/* One neighbour, from RTM_NEWNEIGH / RTM_DELNEIGH (IPv4 and IPv6). */
struct skit_nl_neigh {
	int family;
	int index;
	uint8_t dst[16];
	bool has_dst;
	uint8_t lladdr[SKIT_NL_HWADDR_MAX];
	size_t lladdr_len; /* 0 when absent (INCOMPLETE, FAILED) */
	unsigned state;	   /* NUD_* bits */
	unsigned flags;	   /* NTF_* (NTF_ROUTER, NTF_PROXY) */
};

/* What one message held. */
enum skit_nl_what {
	SKIT_NL_LINK = 1,
	SKIT_NL_ADDR,
	SKIT_NL_ROUTE,
	SKIT_NL_NEIGH,
};

struct skit_nl_event {
	enum skit_nl_what what;
	bool deleted; /* RTM_DEL* */
	union {
		struct skit_nl_link link;
		struct skit_nl_addr addr;
		struct skit_nl_route route;
		struct skit_nl_neigh neigh;
	} u;
};

/* Called for each item; return nonzero to stop parsing. */
typedef int (*skit_nl_cb)(const struct skit_nl_event *ev, void *data);

/*
 * Walk the netlink messages in buf[0..len) and call cb for every link,
 * address, route and neighbour (of IPv4 and IPv6; other families and
 * message types are skipped). Returns:
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

/*
 * The names `ip route` and `ip neigh` use. Each returns a static name,
 * or writes the number into buf and returns buf:
 *   skit_nl_rtype_name     "unicast", "local", "broadcast", "blackhole"...
 *   skit_nl_rtproto_name   "kernel", "boot", "static", "ra", "dhcp"...
 *   skit_nl_table_name     "main", "local", "default", or the number
 */
const char *skit_nl_rtype_name(unsigned type, char *buf, size_t len);
const char *skit_nl_rtproto_name(unsigned proto, char *buf, size_t len);
const char *skit_nl_table_name(uint32_t table, char *buf, size_t len);

/*
 * The NUD states as `ip neigh` prints them, comma-separated:
 * "REACHABLE", "PERMANENT", "NOARP", "NONE" for 0. Returns buf.
 */
char *skit_nl_nud_str(unsigned state, char *buf, size_t len);

/*
 * The route's flags (RTNH_F_*) as `ip route` names them, comma-separated
 * ("onlink,linkdown"), "" when none. Returns buf.
 */
char *skit_nl_rtflags_str(unsigned flags, char *buf, size_t len);

/*
 * The address flags as `ip -j addr` names them, comma-separated
 * ("secondary", "nodad", "tentative", ...; "dynamic" for an IPv6
 * address that is not permanent). Returns buf.
 */
char *skit_nl_ifa_flags_str(int family, unsigned flags, char *buf, size_t len);

/* --- sockets (src/net/sock_netlink.c) ----------------------------------- */

/* Multicast groups for skit_nl_open. */
enum {
	SKIT_NL_GROUP_LINK = 1 << 0,
	SKIT_NL_GROUP_ADDR = 1 << 1,  /* IPv4 and IPv6 addresses */
	SKIT_NL_GROUP_ROUTE = 1 << 2, /* IPv4 and IPv6 routes */
	SKIT_NL_GROUP_NEIGH = 1 << 3,
};

/*
 * Open a NETLINK_ROUTE socket (CLOEXEC), subscribed to groups (0 for
 * none). Returns the fd or -errno with err filled. Does not block.
 */
int skit_nl_open(unsigned groups, struct skit_err *err);

/*
 * Dump every link (what = SKIT_NL_LINK), address (SKIT_NL_ADDR), route
 * of every table (SKIT_NL_ROUTE) or neighbour (SKIT_NL_NEIGH) and call
 * cb for each: sends the request and reads until NLMSG_DONE.
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

#ifdef __cplusplus
}
#endif

#endif
