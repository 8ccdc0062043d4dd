/*
 * addr_table.c - the address kinds and options: const tables of typed
 * rows. Adding a kind or an option is a row here (and, for a new kind,
 * its target parser in addr.c).
 */
#include "addr/addr_int.h"

#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Indexed by enum skit_kind. */
static const struct skit__kind_info kind_info[SKIT_KIND__COUNT] = {
	[SKIT_KIND_NONE] = { "none", false, AF_UNSPEC, 0, "no" },
	[SKIT_KIND_TCP] = { "tcp", true, AF_UNSPEC, SOCK_STREAM, "tcp" },
	[SKIT_KIND_UDP] = { "udp", true, AF_UNSPEC, SOCK_DGRAM, "udp" },
	[SKIT_KIND_UNIX] = { "unix", true, AF_UNIX, SOCK_STREAM, "unix" },
	[SKIT_KIND_UNIX_DGRAM] = { "unix-dgram", true, AF_UNIX, SOCK_DGRAM,
				   "unix-dgram" },
	[SKIT_KIND_UNIX_SEQPACKET] = { "unix-seqpacket", true, AF_UNIX,
				       SOCK_SEQPACKET, "unix-seqpacket" },
	[SKIT_KIND_VSOCK] = { "vsock", true, AF_VSOCK, SOCK_STREAM, "vsock" },
	[SKIT_KIND_ICMP] = { "icmp", true, AF_INET, SOCK_DGRAM, "icmp" },
	[SKIT_KIND_IP] = { "ip", true, AF_INET, SOCK_RAW, "ip" },
	[SKIT_KIND_PACKET] = { "packet", true, AF_PACKET, SOCK_RAW, "packet" },
	[SKIT_KIND_NETLINK] = { "netlink", true, AF_NETLINK, SOCK_RAW,
				"netlink" },
	[SKIT_KIND_STDIO] = { "-", false, AF_UNSPEC, 0, "stdio" },
	[SKIT_KIND_FILE] = { "file", false, AF_UNSPEC, 0, "file" },
	[SKIT_KIND_EXEC] = { "exec", false, AF_UNSPEC, 0, "exec" },
	[SKIT_KIND_SH] = { "sh", false, AF_UNSPEC, 0, "sh" },
	[SKIT_KIND_PIPE] = { "pipe", false, AF_UNSPEC, 0, "pipe" },
};

const struct skit__kind_info *
skit__kind_info(enum skit_kind kind)
{
	if ((int)kind < 0 || kind >= SKIT_KIND__COUNT)
		kind = SKIT_KIND_NONE;
	return &kind_info[kind];
}

const char *
skit__kind_canon(enum skit_kind kind, int family)
{
	switch (kind) {
	case SKIT_KIND_TCP:
		return family == AF_INET    ? "tcp4"
		       : family == AF_INET6 ? "tcp6"
					    : "tcp";
	case SKIT_KIND_UDP:
		return family == AF_INET    ? "udp4"
		       : family == AF_INET6 ? "udp6"
					    : "udp";
	case SKIT_KIND_ICMP:
		return family == AF_INET6 ? "icmp6" : "icmp";
	case SKIT_KIND_IP:
		return family == AF_INET6 ? "ip6" : "ip";
	default:
		return skit__kind_info(kind)->name;
	}
}

const char *
skit_kind_name(enum skit_kind kind)
{
	return skit__kind_info(kind)->name;
}

bool
skit_kind_is_socket(enum skit_kind kind)
{
	return skit__kind_info(kind)->socket;
}

const char *
skit_role_name(enum skit_role role)
{
	switch (role) {
	case SKIT_ROLE_CONNECT:
		return "connect";
	case SKIT_ROLE_LISTEN:
		return "listen";
	default:
		return "default";
	}
}

#define D	   SKIT_ROLE_DEFAULT
#define C	   SKIT_ROLE_CONNECT
#define L	   SKIT_ROLE_LISTEN
#define U	   AF_UNSPEC
#define I4	   AF_INET
#define I6	   AF_INET6
#define IMPLIES(o) (1ull << SKIT_OPT_##o)

#define HP  "HOST:PORT"
#define PTH "PATH or @NAME"
#define ABS "NAME (abstract, no '@')"
#define LP  "[HOST]:PORT or PORT"
#define ROW(name, kind, role, fam, type, alias, target, summary)         \
	{                                                                \
		name, SKIT_KIND_##kind, role, fam, type, alias, summary, \
			target, false, 0                                 \
	}

/*
 * Every name a kind may be written as. The skit names come first, so a
 * case-insensitive lookup of "TCP" finds "tcp". Any socket kind's skit
 * name also takes a "-listen" or "-connect" suffix (handled in addr.c);
 * the socat rows spell out the names socat users type.
 */
static const struct skit_kind_row kind_rows[] = {
	ROW("tcp", TCP, D, U, 0, false, HP, "TCP over IPv4 or IPv6"),
	ROW("tcp4", TCP, D, I4, 0, false, HP, "TCP over IPv4 only"),
	ROW("tcp6", TCP, D, I6, 0, false, HP, "TCP over IPv6 only"),
	ROW("udp", UDP, D, U, 0, false, HP, "UDP over IPv4 or IPv6"),
	ROW("udp4", UDP, D, I4, 0, false, HP, "UDP over IPv4 only"),
	ROW("udp6", UDP, D, I6, 0, false, HP, "UDP over IPv6 only"),
	ROW("unix", UNIX, D, AF_UNIX, 0, false, PTH, "unix stream socket"),
	ROW("unix-dgram", UNIX_DGRAM, D, AF_UNIX, 0, false, PTH,
	    "unix datagram socket"),
	ROW("unix-seqpacket", UNIX_SEQPACKET, D, AF_UNIX, 0, false, PTH,
	    "unix seqpacket socket (reliable, message boundaries)"),
	ROW("vsock", VSOCK, D, AF_VSOCK, 0, false, "CID:PORT",
	    "virtio socket to a VM or its host"),
	ROW("icmp", ICMP, D, I4, 0, false, "HOST",
	    "ICMP echo (datagram socket, else raw)"),
	ROW("icmp6", ICMP, D, I6, 0, false, "HOST", "ICMPv6 echo"),
	ROW("ip", IP, D, I4, 0, false, "HOST",
	    "raw IPv4 with proto=N (needs CAP_NET_RAW)"),
	ROW("ip6", IP, D, I6, 0, false, "HOST",
	    "raw IPv6 with proto=N (needs CAP_NET_RAW)"),
	ROW("packet", PACKET, D, AF_PACKET, 0, false, "IFACE",
	    "link-layer frames on an interface, ethertype=0x...."),
	ROW("netlink", NETLINK, D, AF_NETLINK, 0, false,
	    "route|generic|...|NUMBER", "netlink socket to the kernel"),
	ROW("-", STDIO, D, U, 0, false, "", "standard input and output"),
	ROW("stdio", STDIO, D, U, 0, false, "", "standard input and output"),
	ROW("file", FILE, D, U, 0, false, "PATH", "a file"),
	ROW("exec", EXEC, D, U, 0, false, "PROGRAM ARGS",
	    "a program's stdin/stdout (argv split on spaces, no shell)"),
	ROW("sh", SH, D, U, 0, false, "COMMAND",
	    "a shell command's stdin/stdout (/bin/sh -c)"),
	ROW("pipe", PIPE, D, U, 0, false, "[PATH]",
	    "echo back (no path) or a named pipe"),

	ROW("TCP", TCP, D, U, 0, true, HP, "= tcp"),
	ROW("TCP4", TCP, D, I4, 0, true, HP, "= tcp4"),
	ROW("TCP6", TCP, D, I6, 0, true, HP, "= tcp6"),
	ROW("TCP-CONNECT", TCP, C, U, 0, true, HP, "= tcp-connect"),
	ROW("TCP4-CONNECT", TCP, C, I4, 0, true, HP, "= tcp4-connect"),
	ROW("TCP6-CONNECT", TCP, C, I6, 0, true, HP, "= tcp6-connect"),
	ROW("TCP-LISTEN", TCP, L, U, 0, true, LP, "= tcp-listen"),
	ROW("TCP4-LISTEN", TCP, L, I4, 0, true, LP, "= tcp4-listen"),
	ROW("TCP6-LISTEN", TCP, L, I6, 0, true, LP, "= tcp6-listen"),
	ROW("TCP-L", TCP, L, U, 0, true, LP, "= tcp-listen"),
	ROW("UDP", UDP, D, U, 0, true, HP, "= udp"),
	ROW("UDP4", UDP, D, I4, 0, true, HP, "= udp4"),
	ROW("UDP6", UDP, D, I6, 0, true, HP, "= udp6"),
	ROW("UDP-CONNECT", UDP, C, U, 0, true, HP, "= udp-connect"),
	ROW("UDP-LISTEN", UDP, L, U, 0, true, LP, "= udp-listen"),
	ROW("UDP4-LISTEN", UDP, L, I4, 0, true, LP, "= udp4-listen"),
	ROW("UDP6-LISTEN", UDP, L, I6, 0, true, LP, "= udp6-listen"),
	ROW("UDP4-CONNECT", UDP, C, I4, 0, true, HP, "= udp4-connect"),
	ROW("UDP6-CONNECT", UDP, C, I6, 0, true, HP, "= udp6-connect"),
	ROW("UDP-SENDTO", UDP, C, U, 0, true, HP, "= udp-connect"),
	ROW("UDP4-SENDTO", UDP, C, I4, 0, true, HP, "= udp4-connect"),
	ROW("UDP6-SENDTO", UDP, C, I6, 0, true, HP, "= udp6-connect"),
	ROW("UDP-DATAGRAM", UDP, C, U, 0, true, HP,
	    "= udp-connect (replies from that peer only)"),
	ROW("UDP4-DATAGRAM", UDP, C, I4, 0, true, HP,
	    "= udp4-connect (replies from that peer only)"),
	ROW("UDP6-DATAGRAM", UDP, C, I6, 0, true, HP,
	    "= udp6-connect (replies from that peer only)"),
	ROW("UDP-RECVFROM", UDP, L, U, 0, true, LP, "= udp-listen"),
	ROW("UDP4-RECVFROM", UDP, L, I4, 0, true, LP, "= udp4-listen"),
	ROW("UDP6-RECVFROM", UDP, L, I6, 0, true, LP, "= udp6-listen"),
	ROW("UDP-RECV", UDP, L, U, 0, true, LP, "= udp-listen"),
	ROW("UDP4-RECV", UDP, L, I4, 0, true, LP, "= udp4-listen"),
	ROW("UDP6-RECV", UDP, L, I6, 0, true, LP, "= udp6-listen"),
	ROW("UNIX-CONNECT", UNIX, C, AF_UNIX, 0, true, PTH, "= unix-connect"),
	ROW("UNIX-LISTEN", UNIX, L, AF_UNIX, 0, true, PTH, "= unix-listen"),
	ROW("UNIX-CLIENT", UNIX, C, AF_UNIX, 0, true, PTH, "= unix-connect"),
	ROW("UNIX-SENDTO", UNIX_DGRAM, C, AF_UNIX, 0, true, PTH,
	    "= unix-dgram-connect"),
	ROW("UNIX-RECVFROM", UNIX_DGRAM, L, AF_UNIX, 0, true, PTH,
	    "= unix-dgram-listen"),
	ROW("UNIX-RECV", UNIX_DGRAM, L, AF_UNIX, 0, true, PTH,
	    "= unix-dgram-listen"),
	{ "ABSTRACT-CONNECT", SKIT_KIND_UNIX, C, AF_UNIX, 0, true,
	  "= unix-connect:@NAME", ABS, true, 0 },
	{ "ABSTRACT-LISTEN", SKIT_KIND_UNIX, L, AF_UNIX, 0, true,
	  "= unix-listen:@NAME", ABS, true, 0 },
	{ "ABSTRACT-CLIENT", SKIT_KIND_UNIX, C, AF_UNIX, 0, true,
	  "= unix-connect:@NAME", ABS, true, 0 },
	{ "ABSTRACT-SENDTO", SKIT_KIND_UNIX_DGRAM, C, AF_UNIX, 0, true,
	  "= unix-dgram-connect:@NAME", ABS, true, 0 },
	{ "ABSTRACT-RECVFROM", SKIT_KIND_UNIX_DGRAM, L, AF_UNIX, 0, true,
	  "= unix-dgram-listen:@NAME", ABS, true, 0 },
	ROW("VSOCK-CONNECT", VSOCK, C, AF_VSOCK, 0, true, "CID:PORT",
	    "= vsock-connect"),
	ROW("VSOCK-LISTEN", VSOCK, L, AF_VSOCK, 0, true, "PORT",
	    "= vsock-listen"),
	ROW("STDIO", STDIO, D, U, 0, true, "", "= -"),
	ROW("STDIN", STDIO, D, U, 0, true, "", "= - (skit reads and writes)"),
	ROW("STDOUT", STDIO, D, U, 0, true, "", "= - (skit reads and writes)"),
	ROW("EXEC", EXEC, D, U, 0, true, "PROGRAM ARGS", "= exec"),
	ROW("SYSTEM", SH, D, U, 0, true, "COMMAND", "= sh"),
	ROW("OPEN", FILE, D, U, 0, true, "PATH", "= file"),
	{ "CREATE", SKIT_KIND_FILE, D, U, 0, true, "= file,create,trunc",
	  "PATH", false, IMPLIES(CREATE) | IMPLIES(TRUNC) },
	ROW("GOPEN", FILE, D, U, 0, true, "PATH", "= file"),
	ROW("FILE", FILE, D, U, 0, true, "PATH", "= file"),
	ROW("PIPE", PIPE, D, U, 0, true, "[PATH]", "= pipe"),
	ROW("IP-SENDTO", IP, D, I4, 0, true, "HOST:PROTO", "= ip,proto="),
	ROW("IP4-SENDTO", IP, D, I4, 0, true, "HOST:PROTO", "= ip,proto="),
	ROW("IP6-SENDTO", IP, D, I6, 0, true, "[HOST]:PROTO", "= ip6,proto="),
	ROW("INTERFACE", PACKET, D, AF_PACKET, 0, true, "IFACE", "= packet"),
	/* TLS: a tcp address with the tls option (docs/tls.md). */
	{ "tls", SKIT_KIND_TCP, D, U, 0, true, "= tcp,tls", HP, false,
	  IMPLIES(TLS) },
	{ "tls-connect", SKIT_KIND_TCP, C, U, 0, true, "= tcp-connect,tls", HP,
	  false, IMPLIES(TLS) },
	{ "tls-listen", SKIT_KIND_TCP, L, U, 0, true, "= tcp-listen,tls", LP,
	  false, IMPLIES(TLS) },
	{ "OPENSSL", SKIT_KIND_TCP, C, U, 0, true, "= tcp-connect,tls", HP,
	  false, IMPLIES(TLS) },
	{ "OPENSSL-CONNECT", SKIT_KIND_TCP, C, U, 0, true, "= tcp-connect,tls",
	  HP, false, IMPLIES(TLS) },
	{ "OPENSSL-LISTEN", SKIT_KIND_TCP, L, U, 0, true, "= tcp-listen,tls",
	  LP, false, IMPLIES(TLS) },
	{ "SSL", SKIT_KIND_TCP, C, U, 0, true, "= tcp-connect,tls", HP, false,
	  IMPLIES(TLS) },
	{ "SSL-L", SKIT_KIND_TCP, L, U, 0, true, "= tcp-listen,tls", LP, false,
	  IMPLIES(TLS) },
	/* WebSocket: a tcp address with the ws option (docs/websocket.md);
	 * ws://HOST:PORT/PATH is rewritten to ws:HOST:PORT,path=/PATH */
	{ "ws", SKIT_KIND_TCP, D, U, 0, true, "= tcp,ws", HP, false,
	  IMPLIES(WS) },
	{ "ws-connect", SKIT_KIND_TCP, C, U, 0, true, "= tcp-connect,ws", HP,
	  false, IMPLIES(WS) },
	{ "ws-listen", SKIT_KIND_TCP, L, U, 0, true, "= tcp-listen,ws", LP,
	  false, IMPLIES(WS) },
	/* WebSocket over TLS; wss://HOST:PORT/PATH likewise (port 443) */
	{ "wss", SKIT_KIND_TCP, D, U, 0, true, "= tcp,tls,ws", HP, false,
	  IMPLIES(TLS) | IMPLIES(WS) },
	{ "wss-connect", SKIT_KIND_TCP, C, U, 0, true, "= tcp-connect,tls,ws",
	  HP, false, IMPLIES(TLS) | IMPLIES(WS) },
	{ "wss-listen", SKIT_KIND_TCP, L, U, 0, true, "= tcp-listen,tls,ws", LP,
	  false, IMPLIES(TLS) | IMPLIES(WS) },
};

const struct skit_kind_row *
skit_addr_kinds(size_t *n)
{
	if (n)
		*n = sizeof(kind_rows) / sizeof(kind_rows[0]);
	return kind_rows;
}

const struct skit_kind_row *
skit__kind_find(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(kind_rows) / sizeof(kind_rows[0]); i++)
		if (strlen(kind_rows[i].name) == n &&
		    strncasecmp(kind_rows[i].name, name, n) == 0)
			return &kind_rows[i];
	return NULL;
}

/* Kind masks for the option table. */
#define K(x)   (1u << SKIT_KIND_##x)
#define KINET  (K(TCP) | K(UDP))
#define KIP    (KINET | K(ICMP) | K(IP))
#define KUNIX  (K(UNIX) | K(UNIX_DGRAM) | K(UNIX_SEQPACKET))
#define KCONN  (K(TCP) | K(UNIX) | K(UNIX_SEQPACKET) | K(VSOCK))
#define KSOCK  (KIP | KUNIX | K(VSOCK) | K(PACKET) | K(NETLINK))
#define KSERV  (KINET | KUNIX | K(VSOCK))
#define KALL   ((1u << SKIT_KIND__COUNT) - 2u)
#define KTLS   (K(TCP) | K(UNIX) | K(VSOCK))
#define KWS    (K(TCP) | K(UNIX) | K(VSOCK))
#define RL     (1u << SKIT_ROLE_LISTEN)
#define RC     (1u << SKIT_ROLE_CONNECT)
#define SOL    SOL_SOCKET
#define DAY_MS (24LL * 3600 * 1000)
/* fault options: on byte streams, on messages, on either */
#define KFSTREAM (K(TCP) | K(UNIX) | K(VSOCK))
#define KFMSG	 (K(UDP) | K(UNIX_DGRAM) | K(UNIX_SEQPACKET))
#define KFAULT	 (KFSTREAM | KFMSG)

/* The option names, from SKIT_OPT_TABLE in addr.h (one source). */
#define SKIT_X_(id, name, type) static const char name_##id[] = name;
SKIT_OPT_TABLE(SKIT_X_)
#undef SKIT_X_

#define OPT(id, type, level, optname, kinds, roles, value, lo, hi, sum) \
	[SKIT_OPT_##id] = { name_##id,                                  \
			    SKIT_OPT_##id,                              \
			    SKIT_OPTV_##type,                           \
			    level,                                      \
			    optname,                                    \
			    kinds,                                      \
			    roles,                                      \
			    sum,                                        \
			    value,                                      \
			    lo,                                         \
			    hi }

/*
 * Indexed by enum skit_opt; the names come from SKIT_OPT_TABLE in
 * addr.h (filled in by opt_names below). level/optname are for the
 * options skit_sock_apply_opts() sets with setsockopt(); 0 means skit
 * applies the option itself.
 */
static const struct skit_opt_row opt_rows[SKIT_OPT__COUNT] = {
	OPT(REUSEADDR, FLAG, SOL, SO_REUSEADDR, KINET, 0, NULL, 0, 1,
	    "bind even when the address is in TIME_WAIT (SO_REUSEADDR)"),
	OPT(REUSEPORT, FLAG, SOL, SO_REUSEPORT, KINET, 0, NULL, 0, 1,
	    "let several sockets bind the same port (SO_REUSEPORT)"),
	OPT(NODELAY, FLAG, IPPROTO_TCP, TCP_NODELAY, K(TCP), 0, NULL, 0, 1,
	    "send small segments at once (TCP_NODELAY)"),
	OPT(KEEPALIVE, FLAG, SOL, SO_KEEPALIVE, K(TCP), 0, NULL, 0, 1,
	    "probe idle connections (SO_KEEPALIVE)"),
	OPT(RCVBUF, SIZE, SOL, SO_RCVBUF, KSOCK, 0, "SIZE", 1, INT_MAX / 2,
	    "receive buffer size (SO_RCVBUF), k/m/g suffixes"),
	OPT(SNDBUF, SIZE, SOL, SO_SNDBUF, KSOCK, 0, "SIZE", 1, INT_MAX / 2,
	    "send buffer size (SO_SNDBUF), k/m/g suffixes"),
	OPT(BIND, STRING, 0, 0, KIP | KUNIX, RC, "HOST[:PORT]|PATH", 0, 0,
	    "local address to bind before connecting"),
	OPT(BACKLOG, INT, 0, 0, KCONN, RL, "N", 0, 65535,
	    "listen() backlog (default SOMAXCONN)"),
	OPT(TTL, INT, IPPROTO_IP, IP_TTL, KIP, 0, "N", 1, 255,
	    "IP time to live / IPv6 hop limit"),
	OPT(TOS, INT, IPPROTO_IP, IP_TOS, KIP, 0, "N", 0, 255,
	    "IP type of service / IPv6 traffic class"),
	OPT(V6ONLY, FLAG, IPPROTO_IPV6, IPV6_V6ONLY, KINET, 0, NULL, 0, 1,
	    "IPv6 socket without IPv4-mapped addresses (IPV6_V6ONLY)"),
	OPT(BINDTODEVICE, STRING, SOL, SO_BINDTODEVICE, KIP, 0, "IFACE", 0, 0,
	    "send and receive only through this interface"),
	OPT(MARK, INT, SOL, SO_MARK, KIP | K(PACKET), 0, "N", 0, UINT32_MAX,
	    "firewall mark (SO_MARK, needs CAP_NET_ADMIN)"),
	OPT(MODE, MODE, 0, 0, KUNIX, RL, "OCTAL", 0, 07777,
	    "socket file mode, set before listen()"),
	OPT(USER, STRING, 0, 0, KUNIX, RL, "NAME|UID", 0, 0,
	    "socket file owner, set before listen()"),
	OPT(GROUP, STRING, 0, 0, KUNIX, RL, "NAME|GID", 0, 0,
	    "socket file group, set before listen()"),
	OPT(UNLINK, FLAG, 0, 0, KUNIX, RL, NULL, 0, 1,
	    "remove a stale socket file (a socket nobody listens on)"),
	OPT(CONNECT_TIMEOUT, DURATION, 0, 0, KCONN, RC, "TIME", 0, DAY_MS,
	    "give up connecting after this long"),
	OPT(RETRY, INT, 0, 0, KSOCK, 0, "N", 0, 1000000,
	    "try connecting (or binding) N more times"),
	OPT(INTERVAL, DURATION, 0, 0, KSOCK, 0, "TIME", 0, DAY_MS,
	    "wait between retries (default 1s)"),
	OPT(FOREVER, FLAG, 0, 0, KSOCK, 0, NULL, 0, 1, "retry without end"),
	OPT(FORK, FLAG, 0, 0, KSERV, RL, NULL, 0, 1,
	    "serve each client separately and keep listening"),
	OPT(MAX_CONNS, INT, 0, 0, KSERV, RL, "N", 1, 1000000,
	    "at most N clients at once"),
	OPT(RANGE, STRING, 0, 0, KINET, RL, "ADDR/PREFIX", 0, 0,
	    "accept clients from this network only"),
	OPT(PROTO, INT, 0, 0, K(IP), 0, "N|NAME", 1, 255,
	    "IP protocol number for raw ip sockets (47, gre, ...)"),
	OPT(ETHERTYPE, HEX16, 0, 0, K(PACKET), 0, "0xHHHH", 0, 65535,
	    "frames of this ethertype only (default all)"),
	OPT(APPEND, FLAG, 0, 0, K(FILE), 0, NULL, 0, 1,
	    "write at the end of the file (O_APPEND)"),
	OPT(CREATE, FLAG, 0, 0, K(FILE), 0, NULL, 0, 1,
	    "create the file if missing (O_CREAT)"),
	OPT(TRUNC, FLAG, 0, 0, K(FILE), 0, NULL, 0, 1,
	    "truncate the file when opening (O_TRUNC)"),
	OPT(IDLE_TIMEOUT, DURATION, 0, 0, KALL, 0, "TIME", 0, DAY_MS,
	    "close after this long without data"),
	OPT(JOIN, STRING, 0, 0, K(UDP), 0, "GROUP[%IFACE]", 0, 0,
	    "join a multicast group (MCAST_JOIN_GROUP)"),
	OPT(JOIN_SOURCE, STRING, 0, 0, K(UDP), 0, "SOURCE", 0, 0,
	    "source-specific join: the group's datagrams from SOURCE only"),
	OPT(IFACE, STRING, 0, 0, K(UDP), 0, "IFACE", 0, 0,
	    "interface to join on and send multicast through"),
	OPT(MULTICAST_TTL, INT, IPPROTO_IP, IP_MULTICAST_TTL, K(UDP) | K(IP), 0,
	    "N", 0, 255, "TTL / hop limit of multicast datagrams (default 1)"),
	OPT(MULTICAST_LOOP, FLAG, IPPROTO_IP, IP_MULTICAST_LOOP, K(UDP) | K(IP),
	    0, NULL, 0, 1,
	    "deliver our own multicast datagrams here too (default on)"),
	OPT(BROADCAST, FLAG, SOL, SO_BROADCAST, K(UDP) | K(IP) | K(ICMP), 0,
	    NULL, 0, 1, "allow sending to broadcast addresses (SO_BROADCAST)"),
	OPT(TLS, FLAG, 0, 0, KTLS, 0, NULL, 0, 1,
	    "TLS over the stream (client when connecting, server when "
	    "listening)"),
	OPT(VERIFY, FLAG, 0, 0, KTLS, 0, NULL, 0, 1,
	    "verify the peer's certificate (default on; verify=0 warns; "
	    "listening: require client certificates)"),
	OPT(CA, STRING, 0, 0, KTLS, 0, "FILE", 0, 0,
	    "trust these PEM CA certificates instead of the system store "
	    "(listening: = client-ca)"),
	OPT(SNI, STRING, 0, 0, KTLS, RC, "NAME", 0, 0,
	    "server name to send (default the host name; none for an IP)"),
	OPT(ALPN, STRING, 0, 0, KTLS, 0, "PROTO[;PROTO...]", 0, 0,
	    "application protocols to offer or accept (h2;http/1.1)"),
	OPT(MIN_VERSION, STRING, 0, 0, KTLS, 0, "1.2|1.3", 0, 0,
	    "oldest TLS version allowed (default 1.2)"),
	OPT(CIPHERS, STRING, 0, 0, KTLS, 0, "LIST", 0, 0,
	    "OpenSSL cipher list (TLS 1.2) or TLS 1.3 suites"),
	OPT(CERT, STRING, 0, 0, KTLS, 0, "FILE", 0, 0,
	    "our certificate chain (PEM): a server's, or a client's for "
	    "mutual TLS"),
	OPT(KEY, STRING, 0, 0, KTLS, 0, "FILE", 0, 0,
	    "the private key of cert= (PEM; default: in cert=)"),
	OPT(CLIENT_CA, STRING, 0, 0, KTLS, RL, "FILE", 0, 0,
	    "require client certificates signed by these PEM CAs"),
	OPT(KTLS, FLAG, 0, 0, KTLS, 0, NULL, 0, 1,
	    "kernel TLS when the kernel offers it (else user-space TLS)"),
	OPT(PROXY, STRING, 0, 0, K(TCP), RC, "URL", 0, 0,
	    "connect through a proxy: socks5://, socks4a://, http://"),
	OPT(CRLF, FLAG, 0, 0,
	    K(TCP) | K(UNIX) | K(VSOCK) | K(STDIO) | K(FILE) | K(EXEC) | K(SH) |
		    K(PIPE),
	    0, NULL, 0, 1,
	    "lines: \\n written as \\r\\n, \\r\\n read as \\n (socat's crnl)"),
	OPT(WS, FLAG, 0, 0, KWS, 0, NULL, 0, 1,
	    "WebSocket over the stream (client when connecting, server when "
	    "listening)"),
	OPT(WS_PATH, STRING, 0, 0, KWS, RC, "/PATH[?QUERY]", 0, 0,
	    "the WebSocket request's path and query (default /)"),
	OPT(WS_PROTOCOL, STRING, 0, 0, KWS, 0, "NAME[;NAME...]", 0, 0,
	    "WebSocket subprotocols to offer (client) or accept (server)"),
	OPT(WS_HEADER, STRING, 0, 0, KWS, RC, "NAME: VALUE[|...]", 0, 0,
	    "extra WebSocket request headers, separated by |"),
	OPT(WS_ORIGIN, STRING, 0, 0, KWS, RC, "ORIGIN", 0, 0,
	    "the WebSocket request's Origin header"),
	OPT(WS_MAX_MESSAGE, SIZE, 0, 0, KWS, 0, "SIZE", 1, 1LL << 30,
	    "longest WebSocket message accepted (default 1m; 1009 over it)"),
	OPT(WS_PING_INTERVAL, DURATION, 0, 0, KWS, 0, "DURATION", 1, DAY_MS,
	    "send a WebSocket ping this often"),
	OPT(WS_DEFLATE, FLAG, 0, 0, KWS, 0, NULL, 0, 1,
	    "WebSocket permessage-deflate (RFC 7692): offer it, or accept "
	    "an offer"),
	OPT(WS_MODE, STRING, 0, 0, KWS, 0, "text|binary|raw", 0, 0,
	    "WebSocket messages on stdio: a line (text), --framing (binary), "
	    "any bytes (raw)"),
	/* Faults (skit/fault.h, docs/faults.md): the fault layer. */
	OPT(LATENCY, DURATION, 0, 0, KFAULT, 0, "TIME", 0, DAY_MS,
	    "fault: delay every chunk this long, order kept"),
	OPT(JITTER, DURATION, 0, 0, KFAULT, 0, "TIME", 0, DAY_MS,
	    "fault: latency= or delay= varies this much, +/-"),
	OPT(BANDWIDTH, SIZE, 0, 0, KFSTREAM, 0, "SIZE", 1, INT64_MAX,
	    "fault: at most this many bytes per second"),
	OPT(SLICER, STRING, 0, 0, KFSTREAM, 0, "SIZE[/TIME]", 0, 0,
	    "fault: split into segments this big, TIME apart"),
	OPT(LIMIT_DATA, SIZE, 0, 0, KFSTREAM, 0, "SIZE", 0, INT64_MAX,
	    "fault: both ways end after this many bytes"),
	OPT(RESET_AFTER, STRING, 0, 0, KFSTREAM, 0, "SIZE|TIME", 0, 0,
	    "fault: reset (RST) after this many bytes or this long"),
	OPT(TIMEOUT, DURATION, 0, 0, KFSTREAM, 0, "TIME", 0, DAY_MS,
	    "fault: pass nothing, end after TIME (0: never)"),
	OPT(SLOW_CLOSE, DURATION, 0, 0, KFSTREAM, 0, "TIME", 0, DAY_MS,
	    "fault: delay the end of the stream this long"),
	OPT(STALL, DURATION, 0, 0, KFSTREAM, 0, "TIME", 0, DAY_MS,
	    "fault: read nothing for TIME (0: never again)"),
	OPT(HALF_OPEN, FLAG, 0, 0, KFSTREAM, 0, NULL, 0, 1,
	    "fault: nothing passes and no end is seen"),
	OPT(DELAY, DURATION, 0, 0, KFMSG, 0, "TIME", 0, DAY_MS,
	    "fault: delay every message this long"),
	OPT(RATE, SIZE, 0, 0, KFMSG, 0, "SIZE", 1, INT64_MAX,
	    "fault: at most this many message bytes per second"),
	OPT(DROP, STRING, 0, 0, KFMSG, 0, "P", 0, 0,
	    "fault: drop a message with probability P (0.1 or 10%)"),
	OPT(DUP, STRING, 0, 0, KFMSG, 0, "P", 0, 0,
	    "fault: send a message twice with probability P"),
	OPT(REORDER, STRING, 0, 0, KFMSG, 0, "P[/GAP]", 0, 0,
	    "fault: hold a message back behind GAP later ones"),
	OPT(CORRUPT, STRING, 0, 0, KFMSG, 0, "P", 0, 0,
	    "fault: flip one bit of a message with probability P"),
	OPT(DIR, STRING, 0, 0, KFAULT, 0, "up|down|both", 0, 0,
	    "fault: the way the address's faults apply (both)"),
	OPT(TOXICITY, STRING, 0, 0, KFAULT, 0, "P", 0, 0,
	    "fault: the share of connections the faults hit (1)"),
	OPT(SEED, INT, 0, 0, KFAULT, 0, "N", 0, INT64_MAX,
	    "fault: seed of every random choice (replayable)"),
};

const struct skit_opt_row *
skit__opt_row(enum skit_opt id)
{
	if ((int)id < 0 || id >= SKIT_OPT__COUNT)
		id = 0;
	return &opt_rows[id];
}

const struct skit_opt_row *
skit_addr_opts(size_t *n)
{
	if (n)
		*n = SKIT_OPT__COUNT;
	return opt_rows;
}

const char *
skit_opt_name(enum skit_opt id)
{
	if ((int)id < 0 || id >= SKIT_OPT__COUNT)
		return "?";
	return opt_rows[id].name;
}

/*
 * Other names for options: socat's spellings. The canonical names are
 * found through opt_rows; sp/sourceport set the port of bind=.
 */
static const struct skit__opt_alias opt_aliases[] = {
	{ "perm", SKIT_OPT_MODE, SKIT__OPT_PLAIN },
	{ "unlink-early", SKIT_OPT_UNLINK, SKIT__OPT_PLAIN },
	{ "unlink-close", SKIT_OPT_UNLINK, SKIT__OPT_PLAIN },
	{ "sp", SKIT_OPT_BIND, SKIT__OPT_SOURCEPORT },
	{ "sourceport", SKIT_OPT_BIND, SKIT__OPT_SOURCEPORT },
	{ "so-reuseaddr", SKIT_OPT_REUSEADDR, SKIT__OPT_PLAIN },
	{ "so-reuseport", SKIT_OPT_REUSEPORT, SKIT__OPT_PLAIN },
	{ "so-keepalive", SKIT_OPT_KEEPALIVE, SKIT__OPT_PLAIN },
	{ "keepalive", SKIT_OPT_KEEPALIVE, SKIT__OPT_PLAIN },
	{ "tcp-nodelay", SKIT_OPT_NODELAY, SKIT__OPT_PLAIN },
	{ "so-rcvbuf", SKIT_OPT_RCVBUF, SKIT__OPT_PLAIN },
	{ "so-sndbuf", SKIT_OPT_SNDBUF, SKIT__OPT_PLAIN },
	{ "so-bindtodevice", SKIT_OPT_BINDTODEVICE, SKIT__OPT_PLAIN },
	{ "interface", SKIT_OPT_BINDTODEVICE, SKIT__OPT_PLAIN },
	{ "so-mark", SKIT_OPT_MARK, SKIT__OPT_PLAIN },
	{ "ip-ttl", SKIT_OPT_TTL, SKIT__OPT_PLAIN },
	{ "ip-tos", SKIT_OPT_TOS, SKIT__OPT_PLAIN },
	{ "ipv6only", SKIT_OPT_V6ONLY, SKIT__OPT_PLAIN },
	{ "ipv6-v6only", SKIT_OPT_V6ONLY, SKIT__OPT_PLAIN },
	{ "creat", SKIT_OPT_CREATE, SKIT__OPT_PLAIN },
	{ "max-children", SKIT_OPT_MAX_CONNS, SKIT__OPT_PLAIN },
	{ "protocol", SKIT_OPT_PROTO, SKIT__OPT_PLAIN },
	{ "ip-add-membership", SKIT_OPT_JOIN, SKIT__OPT_PLAIN },
	{ "ipv6-join-group", SKIT_OPT_JOIN, SKIT__OPT_PLAIN },
	{ "ip-multicast-ttl", SKIT_OPT_MULTICAST_TTL, SKIT__OPT_PLAIN },
	{ "ip-multicast-loop", SKIT_OPT_MULTICAST_LOOP, SKIT__OPT_PLAIN },
	{ "so-broadcast", SKIT_OPT_BROADCAST, SKIT__OPT_PLAIN },
	{ "cafile", SKIT_OPT_CA, SKIT__OPT_PLAIN },
	{ "certificate", SKIT_OPT_CERT, SKIT__OPT_PLAIN },
	{ "snihost", SKIT_OPT_SNI, SKIT__OPT_PLAIN },
	{ "cipher", SKIT_OPT_CIPHERS, SKIT__OPT_PLAIN },
	{ "min-proto-version", SKIT_OPT_MIN_VERSION, SKIT__OPT_PLAIN },
	{ "crnl", SKIT_OPT_CRLF, SKIT__OPT_PLAIN },
};

const struct skit__opt_alias *
skit__opt_find(const char *name, size_t n)
{
	/* Canonical names map to themselves: one static row per option. */
	static const struct skit__opt_alias canon[SKIT_OPT__COUNT] = {
#define SKIT_X_(id, name_, type) \
	[SKIT_OPT_##id] = { name_, SKIT_OPT_##id, SKIT__OPT_PLAIN },
		SKIT_OPT_TABLE(SKIT_X_)
#undef SKIT_X_
	};

	for (size_t i = 0; i < SKIT_OPT__COUNT; i++)
		if (strlen(canon[i].name) == n &&
		    strncasecmp(canon[i].name, name, n) == 0)
			return &canon[i];
	for (size_t i = 0; i < sizeof(opt_aliases) / sizeof(opt_aliases[0]);
	     i++)
		if (strlen(opt_aliases[i].name) == n &&
		    strncasecmp(opt_aliases[i].name, name, n) == 0)
			return &opt_aliases[i];
	return NULL;
}

size_t
skit__distance(const char *a, size_t an, const char *b, size_t bn)
{
	size_t row[40], prev, tmp;

	/* Optimal string alignment distance on short strings only. */
	if (an >= 40 || bn >= 40)
		return 99;
	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= an; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t best, cost;

			cost = strncasecmp(a + i - 1, b + j - 1, 1) != 0;
			tmp = row[j];
			best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[bn];
}

/* Transpositions count as one edit ("tpc" -> "tcp"). */
static size_t
distance_t(const char *a, size_t an, const char *b, size_t bn)
{
	size_t d = skit__distance(a, an, b, bn);

	if (an == bn && an >= 2) {
		for (size_t i = 0; i + 1 < an; i++) {
			if (strncasecmp(a, b, i) == 0 &&
			    strncasecmp(a + i, b + i + 1, 1) == 0 &&
			    strncasecmp(a + i + 1, b + i, 1) == 0 &&
			    strncasecmp(a + i + 2, b + i + 2, an - i - 2) == 0)
				return 1;
		}
	}
	return d;
}

static size_t
limit_for(size_t n)
{
	return n <= 3 ? 1 : n <= 6 ? 2 : 3;
}

const char *
skit__kind_suggest(const char *s, size_t n)
{
	const char *best = NULL;
	size_t bd = 99;

	for (size_t i = 0; i < sizeof(kind_rows) / sizeof(kind_rows[0]); i++) {
		const char *name = kind_rows[i].name;
		size_t d;

		if (kind_rows[i].socat_alias)
			continue;
		d = distance_t(s, n, name, strlen(name));
		if (d < bd) {
			bd = d;
			best = name;
		}
	}
	return bd <= limit_for(n) ? best : NULL;
}

const char *
skit__opt_suggest(const char *s, size_t n)
{
	const char *best = NULL;
	size_t bd = 99;

	for (size_t i = 0; i < SKIT_OPT__COUNT; i++) {
		const char *name = opt_rows[i].name;
		size_t d = distance_t(s, n, name, strlen(name));

		if (d < bd) {
			bd = d;
			best = name;
		}
	}
	return bd <= limit_for(n) ? best : NULL;
}

/* Netlink families by name (linux/netlink.h numbers). */
static const struct {
	const char *name;
	int proto;
} netlink_names[] = {
	{ "route", 0 },
	{ "usersock", 2 },
	{ "firewall", 3 },
	{ "sock_diag", 4 },
	{ "inet_diag", 4 },
	{ "nflog", 5 },
	{ "xfrm", 6 },
	{ "selinux", 7 },
	{ "iscsi", 8 },
	{ "audit", 9 },
	{ "fib_lookup", 10 },
	{ "connector", 11 },
	{ "netfilter", 12 },
	{ "ip6_fw", 13 },
	{ "dnrtmsg", 14 },
	{ "uevent", 15 },
	{ "kobject_uevent", 15 },
	{ "generic", 16 },
	{ "scsitransport", 18 },
	{ "ecryptfs", 19 },
	{ "rdma", 20 },
	{ "crypto", 21 },
	{ "smc", 22 },
};

int
skit__netlink_lookup(const char *s)
{
	for (size_t i = 0; i < sizeof(netlink_names) / sizeof(netlink_names[0]);
	     i++)
		if (strcasecmp(netlink_names[i].name, s) == 0)
			return netlink_names[i].proto;
	return -1;
}

const char *
skit__netlink_name(int proto)
{
	for (size_t i = 0; i < sizeof(netlink_names) / sizeof(netlink_names[0]);
	     i++)
		if (netlink_names[i].proto == proto)
			return netlink_names[i].name;
	return NULL;
}

/* A few IP protocol names, so no /etc/protocols read is needed. */
static const struct {
	const char *name;
	int proto;
} ipproto_names[] = {
	{ "icmp", 1 },	     { "igmp", 2 },   { "ipip", 4 },
	{ "tcp", 6 },	     { "egp", 8 },    { "udp", 17 },
	{ "ipv6", 41 },	     { "rsvp", 46 },  { "gre", 47 },
	{ "esp", 50 },	     { "ah", 51 },    { "icmpv6", 58 },
	{ "ipv6-icmp", 58 }, { "ospf", 89 },  { "pim", 103 },
	{ "vrrp", 112 },     { "l2tp", 115 }, { "sctp", 132 },
	{ "udplite", 136 },  { "mpls", 137 }, { "raw", 255 },
};

int
skit__ipproto_lookup(const char *s)
{
	for (size_t i = 0; i < sizeof(ipproto_names) / sizeof(ipproto_names[0]);
	     i++)
		if (strcasecmp(ipproto_names[i].name, s) == 0)
			return ipproto_names[i].proto;
	return -1;
}
