/*
 * skit/addr.h - the address grammar (DESIGN.md section 3).
 *
 *   ADDRESS := KIND ":" TARGET { "," OPTION }     KIND is case-insensitive
 *            | "-"                                stdin/stdout
 *   OPTION  := NAME [ "=" VALUE ]
 *
 * Parsing is pure: no I/O, no DNS, no allocation. A parsed address is a
 * self-contained value (it can be copied with memcpy). Port numbers and
 * numeric literals are checked here; host names and service names are
 * looked up later by skit_resolve() (sock.h).
 *
 * A comma or backslash inside a target or option value is written "\,"
 * or "\\" (for exec:/sh: command lines in particular).
 */
#ifndef SKIT_ADDR_H
#define SKIT_ADDR_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "skit/acl.h"
#include "skit/err.h"

/* Address kinds. One row each in the kind table of addr.c. */
enum skit_kind {
	SKIT_KIND_NONE = 0,
	SKIT_KIND_TCP,		  /* tcp tcp4 tcp6 */
	SKIT_KIND_UDP,		  /* udp udp4 udp6 */
	SKIT_KIND_UNIX,		  /* unix (stream) */
	SKIT_KIND_UNIX_DGRAM,	  /* unix-dgram */
	SKIT_KIND_UNIX_SEQPACKET, /* unix-seqpacket */
	SKIT_KIND_VSOCK,	  /* vsock (stream) */
	SKIT_KIND_ICMP,		  /* icmp icmp6 */
	SKIT_KIND_IP,		  /* ip ip6 with proto= */
	SKIT_KIND_PACKET,	  /* packet with ethertype= */
	SKIT_KIND_NETLINK,	  /* netlink route|NUMBER */
	SKIT_KIND_STDIO,	  /* "-" or stdio */
	SKIT_KIND_FILE,		  /* file:PATH */
	SKIT_KIND_EXEC,		  /* exec:PROG ARGS (argv, no shell) */
	SKIT_KIND_SH,		  /* sh:COMMAND (through /bin/sh -c) */
	SKIT_KIND_PIPE,		  /* pipe (echo back) or pipe:PATH (fifo) */
	SKIT_KIND__COUNT
};

enum skit_role {
	SKIT_ROLE_DEFAULT = 0, /* not said by the text: the command decides */
	SKIT_ROLE_CONNECT,
	SKIT_ROLE_LISTEN,
};

/*
 * Socket options and other per-address settings: one row each in the
 * option table of addr.c (name, value type, socket level and optname,
 * which kinds and roles it applies to). X(ID, "name", type).
 */
enum skit_optval_type {
	SKIT_OPTV_FLAG,	    /* no value, or =0/1/yes/no/on/off */
	SKIT_OPTV_INT,	    /* decimal integer */
	SKIT_OPTV_SIZE,	    /* a size (skit/units.h): 64k, 1MiB; bytes */
	SKIT_OPTV_DURATION, /* a duration (skit/units.h): 1.5, 250ms; ms */
	SKIT_OPTV_MODE,	    /* octal file mode */
	SKIT_OPTV_STRING,   /* free text */
	SKIT_OPTV_HEX16,    /* 0x0800 style or decimal, 0..65535 */
};

#define SKIT_OPT_TABLE(X)                                         \
	X(REUSEADDR, "reuseaddr", SKIT_OPTV_FLAG)                 \
	X(REUSEPORT, "reuseport", SKIT_OPTV_FLAG)                 \
	X(NODELAY, "nodelay", SKIT_OPTV_FLAG)                     \
	X(KEEPALIVE, "keepalive", SKIT_OPTV_FLAG)                 \
	X(RCVBUF, "rcvbuf", SKIT_OPTV_SIZE)                       \
	X(SNDBUF, "sndbuf", SKIT_OPTV_SIZE)                       \
	X(BIND, "bind", SKIT_OPTV_STRING)                         \
	X(BACKLOG, "backlog", SKIT_OPTV_INT)                      \
	X(TTL, "ttl", SKIT_OPTV_INT)                              \
	X(TOS, "tos", SKIT_OPTV_INT)                              \
	X(V6ONLY, "v6only", SKIT_OPTV_FLAG)                       \
	X(BINDTODEVICE, "bindtodevice", SKIT_OPTV_STRING)         \
	X(MARK, "mark", SKIT_OPTV_INT)                            \
	X(MODE, "mode", SKIT_OPTV_MODE)                           \
	X(USER, "user", SKIT_OPTV_STRING)                         \
	X(GROUP, "group", SKIT_OPTV_STRING)                       \
	X(UNLINK, "unlink", SKIT_OPTV_FLAG)                       \
	X(CONNECT_TIMEOUT, "connect-timeout", SKIT_OPTV_DURATION) \
	X(RETRY, "retry", SKIT_OPTV_INT)                          \
	X(INTERVAL, "interval", SKIT_OPTV_DURATION)               \
	X(FOREVER, "forever", SKIT_OPTV_FLAG)                     \
	X(FORK, "fork", SKIT_OPTV_FLAG)                           \
	X(MAX_CONNS, "max-conns", SKIT_OPTV_INT)                  \
	X(RANGE, "range", SKIT_OPTV_STRING)                       \
	X(PROTO, "proto", SKIT_OPTV_INT)                          \
	X(ETHERTYPE, "ethertype", SKIT_OPTV_HEX16)                \
	X(APPEND, "append", SKIT_OPTV_FLAG)                       \
	X(CREATE, "create", SKIT_OPTV_FLAG)                       \
	X(TRUNC, "trunc", SKIT_OPTV_FLAG)                         \
	X(IDLE_TIMEOUT, "idle-timeout", SKIT_OPTV_DURATION)       \
	X(JOIN, "join", SKIT_OPTV_STRING)                         \
	X(JOIN_SOURCE, "join-source", SKIT_OPTV_STRING)           \
	X(IFACE, "iface", SKIT_OPTV_STRING)                       \
	X(MULTICAST_TTL, "multicast-ttl", SKIT_OPTV_INT)          \
	X(MULTICAST_LOOP, "multicast-loop", SKIT_OPTV_FLAG)       \
	X(BROADCAST, "broadcast", SKIT_OPTV_FLAG)                 \
	X(TLS, "tls", SKIT_OPTV_FLAG)                             \
	X(VERIFY, "verify", SKIT_OPTV_FLAG)                       \
	X(CA, "ca", SKIT_OPTV_STRING)                             \
	X(SNI, "sni", SKIT_OPTV_STRING)                           \
	X(ALPN, "alpn", SKIT_OPTV_STRING)                         \
	X(MIN_VERSION, "min-version", SKIT_OPTV_STRING)           \
	X(CIPHERS, "ciphers", SKIT_OPTV_STRING)                   \
	X(CERT, "cert", SKIT_OPTV_STRING)                         \
	X(KEY, "key", SKIT_OPTV_STRING)                           \
	X(CLIENT_CA, "client-ca", SKIT_OPTV_STRING)               \
	X(KTLS, "ktls", SKIT_OPTV_FLAG)                           \
	X(PROXY, "proxy", SKIT_OPTV_STRING)                       \
	X(CRLF, "crlf", SKIT_OPTV_FLAG)                           \
	X(WS, "ws", SKIT_OPTV_FLAG)                               \
	X(WS_PATH, "path", SKIT_OPTV_STRING)                      \
	X(WS_PROTOCOL, "protocol", SKIT_OPTV_STRING)              \
	X(WS_HEADER, "header", SKIT_OPTV_STRING)                  \
	X(WS_ORIGIN, "origin", SKIT_OPTV_STRING)                  \
	X(WS_MAX_MESSAGE, "max-message", SKIT_OPTV_SIZE)          \
	X(WS_PING_INTERVAL, "ping-interval", SKIT_OPTV_DURATION)  \
	X(WS_DEFLATE, "deflate", SKIT_OPTV_FLAG)                  \
	X(WS_MODE, "ws-mode", SKIT_OPTV_STRING)                   \
	X(LATENCY, "latency", SKIT_OPTV_DURATION)                 \
	X(JITTER, "jitter", SKIT_OPTV_DURATION)                   \
	X(BANDWIDTH, "bandwidth", SKIT_OPTV_SIZE)                 \
	X(SLICER, "slicer", SKIT_OPTV_STRING)                     \
	X(LIMIT_DATA, "limit-data", SKIT_OPTV_SIZE)               \
	X(RESET_AFTER, "reset-after", SKIT_OPTV_STRING)           \
	X(TIMEOUT, "timeout", SKIT_OPTV_DURATION)                 \
	X(SLOW_CLOSE, "slow-close", SKIT_OPTV_DURATION)           \
	X(STALL, "stall", SKIT_OPTV_DURATION)                     \
	X(HALF_OPEN, "half-open", SKIT_OPTV_FLAG)                 \
	X(DELAY, "delay", SKIT_OPTV_DURATION)                     \
	X(RATE, "rate", SKIT_OPTV_SIZE)                           \
	X(DROP, "drop", SKIT_OPTV_STRING)                         \
	X(DUP, "dup", SKIT_OPTV_STRING)                           \
	X(REORDER, "reorder", SKIT_OPTV_STRING)                   \
	X(CORRUPT, "corrupt", SKIT_OPTV_STRING)                   \
	X(DIR, "dir", SKIT_OPTV_STRING)                           \
	X(TOXICITY, "toxicity", SKIT_OPTV_STRING)                 \
	X(SEED, "seed", SKIT_OPTV_INT)

enum skit_opt {
#define SKIT_X_(id, name, type) SKIT_OPT_##id,
	SKIT_OPT_TABLE(SKIT_X_)
#undef SKIT_X_
		SKIT_OPT__COUNT
};

/* One option's value. str is an offset into skit_addr.strbuf (0 = none). */
struct skit_optval {
	bool set;
	long long num; /* FLAG: 0/1; INT/SIZE/MODE/HEX16: value; DURATION: ms */
	uint16_t str;  /* STRING: offset of the NUL-terminated value */
	uint8_t seq;   /* the order it was written in (1 = first set);
			  the fault options compose in this order */
};

#define SKIT_ADDR_TEXT_MAX 1024 /* longest address text accepted */
#define SKIT_HOST_MAX	   256

/*
 * The bit of an option in a mask of options (skit_addr_check). There are
 * more options than the mask's 64 bits: the fault options (LATENCY and
 * those after it, SKIT_OPTS_FAULT) share its top bit, so a command takes
 * all of them or none.
 */
#define SKIT_OPT_MASK_BIT(i) (1ull << ((i) < SKIT_OPT_LATENCY ? (i) : 63))
#define SKIT_OPT_BIT(id)     SKIT_OPT_MASK_BIT(SKIT_OPT_##id)

/*
 * bind= parsed: the local address a connecting socket binds before it
 * connects (skit_addr_get_bind() returns it when the option is set).
 */
struct skit_addr_bind {
	bool is_path;  /* unix kinds: host is a socket path or abstract name */
	bool abstract; /* unix "@name": host holds the name without '@' */
	bool has_port; /* tcp/udp: a port was given ("HOST:PORT", sp=) */
	uint16_t port; /* tcp/udp: that port; 0 = any */
	int family;    /* AF_INET/AF_INET6 for a literal host, else AF_UNSPEC */
	/* a host name or literal without brackets ("" = any address of the
	 * target's family), or the unix path / abstract name */
	char host[SKIT_HOST_MAX];
};

/*
 * A parsed address. Fields that do not apply to the kind are zero/empty.
 */
struct skit_addr {
	enum skit_kind kind;
	enum skit_role role;
	int family;   /* AF_INET, AF_INET6, AF_UNIX, ...; AF_UNSPEC = either */
	int type;     /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW */
	int protocol; /* third argument of socket(), 0 for the default */

	/*
	 * The target. host: a host name or literal without brackets (zone
	 * id kept: "fe80::1%eth0"), empty for "any"; or a unix path / the
	 * abstract name without its '@'; or an interface name (packet); or
	 * a file path, command line (exec, sh). port: the service text as
	 * written ("8080", "http"), empty when none.
	 */
	char host[SKIT_HOST_MAX];
	char port[32];
	uint16_t port_lo, port_hi; /* numeric port or range; 0 when by name */
	bool port_is_range;	   /* "20-25" (connect -z only) */
	bool abstract;		   /* unix @name (Linux abstract namespace) */
	bool host_is_literal;	   /* an IP literal: no DNS needed */
	uint32_t vsock_cid;	   /* vsock CID (VMADDR_CID_ANY for listen) */
	uint32_t vsock_port;
	int netlink_proto; /* NETLINK_ROUTE, ... */

	/* The name the user wrote for the kind ("TCP-LISTEN", "tcp6"). */
	char kind_text[32];

	/*
	 * Options. Read them with the accessors below and write them with
	 * the builder (skit_addr_set_*): the layout of opt[] and strbuf is
	 * the library's.
	 */
	struct skit_optval opt[SKIT_OPT__COUNT];
	char strbuf[512]; /* option string values; offset 0 is "" */
	uint16_t strbuf_used;

	/* bind= and range= parsed, valid when the option is set (the
	 * option's string keeps the text as written, for skit_addr_format) */
	struct skit_addr_bind bind;
	struct skit_cidr range;
};

/*
 * Parse text into *out. default_role applies when the text does not say
 * (no "-listen"/"-connect" suffix, no socat alias that implies a role);
 * non-socket kinds always get SKIT_ROLE_DEFAULT. The role decides:
 *  - a listening tcp/udp address may be just "PORT" ("tcp-listen:8080");
 *  - port 0 is accepted when listening or when the role is DEFAULT,
 *    an error when connecting;
 *  - a port range "20-25" is accepted only when connecting;
 *  - options that apply to one role only (mode=, fork, connect-timeout=)
 *    are checked against it (not when the role is DEFAULT).
 * Kind-specific results: family/type/protocol are socket()'s arguments
 * (AF_UNSPEC for tcp/udp; packet's protocol is htons(ethertype or
 * ETH_P_ALL)); vsock_cid is VMADDR_CID_ANY for ":PORT"; netlink's host
 * is the family's name ("route") or its number.
 * Returns 0, or SKIT_EADDR (kind, target) / SKIT_EOPTION (an option)
 * with err filled: op "bad address", subject the whole text, detail the
 * problem, column the 1-based position it points at. On failure *out is
 * all zero. Never does I/O; text may be NULL (an error).
 */
int skit_addr_parse(const char *text, enum skit_role default_role,
		    struct skit_addr *out, struct skit_err *err);

/*
 * Write the canonical text of a parsed address: "tcp:[::1]:8080,nodelay",
 * "unix-listen:@name", "udp4:127.0.0.1:53". The kind is skit's lower-case
 * name with "-listen"/"-connect" when the role is not DEFAULT, options
 * come in table order, ',' and '\' are escaped. Parsing the result
 * gives an address skit_addr_equal() to a (with the same default role;
 * with any when a's role is not DEFAULT, since the text says it); it always
 * fits in SKIT_ADDR_TEXT_MAX + 1 bytes. Returns the length it needed
 * (like snprintf; buf may be NULL when len is 0), or -EINVAL for an
 * address that was not parsed.
 */
int skit_addr_format(const struct skit_addr *a, char *buf, size_t len);

/*
 * Write a socket address in skit's address form, itself a valid address:
 * "tcp:127.0.0.1:80", "tcp:[::1]:8080", "udp:[fe80::1%eth0]:53",
 * "unix:/run/a.sock", "unix-seqpacket:@name", "vsock:2:1234". type and
 * protocol pick the kind (SOCK_STREAM -> tcp/unix, ...). An unnamed unix
 * socket is written "unix:" followed by nothing (not re-parseable).
 * Returns the length it needed, or a negative code. Does no DNS.
 */
int skit_sockaddr_format(const struct sockaddr *sa, socklen_t salen, int type,
			 int protocol, char *buf, size_t len);

/*
 * True when a and b mean the same address: every field the parser sets
 * except kind_text (the spelling), with option strings compared by
 * content. Used for format -> parse round trips.
 */
bool skit_addr_equal(const struct skit_addr *a, const struct skit_addr *b);

/* "connect", "listen" or "default". */
const char *skit_role_name(enum skit_role role);

/* Option accessors. */
static inline bool
skit_addr_has(const struct skit_addr *a, enum skit_opt id)
{
	return a->opt[id].set;
}

static inline long long
skit_addr_num(const struct skit_addr *a, enum skit_opt id, long long dflt)
{
	return a->opt[id].set ? a->opt[id].num : dflt;
}

/* The string value of an option, or NULL when not set. */
static inline const char *
skit_addr_str(const struct skit_addr *a, enum skit_opt id)
{
	return a->opt[id].set && a->opt[id].str ? a->strbuf + a->opt[id].str
						: NULL;
}

/* bind= parsed, or NULL when the address has no bind= (or sp=). */
static inline const struct skit_addr_bind *
skit_addr_get_bind(const struct skit_addr *a)
{
	return a->opt[SKIT_OPT_BIND].set ? &a->bind : NULL;
}

/* range= parsed (one CIDR block), or NULL when not set. */
static inline const struct skit_cidr *
skit_addr_get_range(const struct skit_addr *a)
{
	return a->opt[SKIT_OPT_RANGE].set ? &a->range : NULL;
}

/* --- the builder --------------------------------------------------------
 *
 * Make an address without writing text, or change a parsed one. Each
 * setter checks its value with the parser's own code (the same messages,
 * the same limits), so a built address is skit_addr_equal() to the one
 * parsing the equivalent text gives. On failure a setter returns
 * SKIT_EADDR/SKIT_EOPTION/SKIT_EKIND with err filled (op "bad address",
 * subject the value, column into it) and leaves the address unchanged.
 * Nothing here allocates or does I/O.
 */

/*
 * Start an address of this kind and role (non-socket kinds always get
 * SKIT_ROLE_DEFAULT), with the kind's default family, type and protocol,
 * no target and no option. Returns 0 or -EINVAL for a bad kind (*a is
 * then zeroed).
 */
int skit_addr_init(struct skit_addr *a, enum skit_kind kind,
		   enum skit_role role);

/*
 * The target as the text after "KIND:" would give it ("127.0.0.1:80",
 * "@name", "route", "cat -n"), taken literally (no "\," escapes).
 */
int skit_addr_set_target(struct skit_addr *a, const char *target,
			 struct skit_err *err);

/*
 * tcp, udp, icmp, ip: the host (a name, "127.0.0.1", "::1" or "[::1]",
 * "fe80::1%eth0"; "" = any). vsock: the CID. Other kinds: SKIT_EKIND.
 */
int skit_addr_set_host(struct skit_addr *a, const char *host,
		       struct skit_err *err);

/*
 * tcp, udp: the port, a number or a service name ("8080", "http"; port 0
 * and ranges follow the role as in the parser); vsock: the port number.
 * Other kinds: SKIT_EKIND. set_port_num is the same with a number.
 */
int skit_addr_set_port(struct skit_addr *a, const char *port,
		       struct skit_err *err);
int skit_addr_set_port_num(struct skit_addr *a, unsigned port,
			   struct skit_err *err);

/*
 * unix kinds: the socket path, or "@name" for an abstract name; file,
 * pipe: the path; exec, sh: the command; packet: the interface; netlink:
 * the family. tcp, udp, icmp, ip, vsock: SKIT_EKIND (use set_host/port).
 */
int skit_addr_set_path(struct skit_addr *a, const char *path,
		       struct skit_err *err);

/*
 * tcp, udp: AF_INET, AF_INET6 or AF_UNSPEC (either); icmp, ip: AF_INET
 * or AF_INET6. Refused when the host is a literal of the other family.
 * Other kinds: only their own family.
 */
int skit_addr_set_family(struct skit_addr *a, int family, struct skit_err *err);

/*
 * Change the role of a socket address (for a command that takes an
 * address whose text did not say). Refused when a set option applies
 * to the other role only, or for a non-socket kind (which has none).
 */
int skit_addr_set_role(struct skit_addr *a, enum skit_role role,
		       struct skit_err *err);

/*
 * Set option id from its value text exactly as "name=value" in an
 * address is parsed: kinds, role, type, range and value checks, typed
 * fields (bind=, range=). value NULL means the option written alone (a
 * flag). When the option is set twice the last one wins; the strings of
 * replaced values stay in strbuf, so an address takes 512 bytes of
 * string values in all (SKIT_EOPTION past that).
 */
int skit_addr_set_opt(struct skit_addr *a, enum skit_opt id, const char *value,
		      struct skit_err *err);

/* set_opt for a number (INT, SIZE, DURATION in ms, MODE, HEX16). */
int skit_addr_set_num(struct skit_addr *a, enum skit_opt id, long long v,
		      struct skit_err *err);

/* set_opt for a flag, on or off. */
int skit_addr_set_flag(struct skit_addr *a, enum skit_opt id, bool on,
		       struct skit_err *err);

/* set_opt for a string option (bind=, user=, range=, ...). */
int skit_addr_set_str(struct skit_addr *a, enum skit_opt id, const char *s,
		      struct skit_err *err);

/* Unset an option (as if it had not been written). */
void skit_addr_unset(struct skit_addr *a, enum skit_opt id);

/*
 * Applicability per command. Each command declares, next to its option
 * table, the mask of address options it implements (SKIT_OPT_BIT(id)
 * bits, usually SKIT_OPTS_OPEN plus its own). skit_addr_check() refuses
 * the first option that is set but not in supported: SKIT_EOPTION,
 * "option 'retry' does not apply to 'skit echo'", op "bad address",
 * subject the address's canonical text (skit_addr_format) and column
 * pointing at the option in it. cmd is the command's name for the
 * message. Options a kind or role rules out are refused by the parser
 * already; this is the third check, the command's. Options implied by a
 * socat name (CREATE's create and trunc) count as written.
 */
int skit_addr_check(const struct skit_addr *a, uint64_t supported,
		    const char *cmd, struct skit_err *err);

/*
 * The options skit_open() and skit_resolve() apply themselves, so every
 * command that opens its address through them (or through
 * skit_connect_he) implements them: the socket options (setsockopt), the
 * source (bind=), the listening stage (backlog=, and for unix files
 * mode=, user=, group=, unlink) and the socket's protocol (proto=,
 * ethertype=). connect-timeout= is skit_open's too but not
 * skit_connect_he's: a command adds it when it opens through skit_open.
 */
#define SKIT_OPTS_OPEN                                                      \
	(SKIT_OPT_BIT(REUSEADDR) | SKIT_OPT_BIT(REUSEPORT) |                \
	 SKIT_OPT_BIT(NODELAY) | SKIT_OPT_BIT(KEEPALIVE) |                  \
	 SKIT_OPT_BIT(RCVBUF) | SKIT_OPT_BIT(SNDBUF) | SKIT_OPT_BIT(BIND) | \
	 SKIT_OPT_BIT(BACKLOG) | SKIT_OPT_BIT(TTL) | SKIT_OPT_BIT(TOS) |    \
	 SKIT_OPT_BIT(V6ONLY) | SKIT_OPT_BIT(BINDTODEVICE) |                \
	 SKIT_OPT_BIT(MARK) | SKIT_OPT_BIT(MODE) | SKIT_OPT_BIT(USER) |     \
	 SKIT_OPT_BIT(GROUP) | SKIT_OPT_BIT(UNLINK) | SKIT_OPT_BIT(PROTO) | \
	 SKIT_OPT_BIT(ETHERTYPE))

/*
 * Multicast and broadcast (skit_open applies them too): the datagram
 * commands that open through skit_open add them to their masks.
 */
#define SKIT_OPTS_MCAST                                      \
	(SKIT_OPT_BIT(JOIN) | SKIT_OPT_BIT(JOIN_SOURCE) |    \
	 SKIT_OPT_BIT(IFACE) | SKIT_OPT_BIT(MULTICAST_TTL) | \
	 SKIT_OPT_BIT(MULTICAST_LOOP) | SKIT_OPT_BIT(BROADCAST))

/*
 * The options a dial implements (dial.h: skit_dial, skit_dial_start,
 * skit_open's connect role): how long one round may take and the one
 * retry policy. A command that connects through a dial adds these.
 */
#define SKIT_OPTS_DIAL                                         \
	(SKIT_OPT_BIT(CONNECT_TIMEOUT) | SKIT_OPT_BIT(RETRY) | \
	 SKIT_OPT_BIT(INTERVAL) | SKIT_OPT_BIT(FOREVER))

/*
 * TLS on a stream socket (tls.h's layer over the socket): tls itself
 * and the settings that need it. A command that pushes the tls layer
 * on its streams adds these.
 */
#define SKIT_OPTS_TLS                                                         \
	(SKIT_OPT_BIT(TLS) | SKIT_OPT_BIT(VERIFY) | SKIT_OPT_BIT(CA) |        \
	 SKIT_OPT_BIT(SNI) | SKIT_OPT_BIT(ALPN) | SKIT_OPT_BIT(MIN_VERSION) | \
	 SKIT_OPT_BIT(CIPHERS) | SKIT_OPT_BIT(CERT) | SKIT_OPT_BIT(KEY) |     \
	 SKIT_OPT_BIT(CLIENT_CA) | SKIT_OPT_BIT(KTLS))

/*
 * WebSocket on a stream socket (ws.h's layer over the socket): ws
 * itself and the settings that need it. A command that pushes the
 * websocket layer on its streams adds these.
 */
#define SKIT_OPTS_WS                                                 \
	(SKIT_OPT_BIT(WS) | SKIT_OPT_BIT(WS_PATH) |                  \
	 SKIT_OPT_BIT(WS_PROTOCOL) | SKIT_OPT_BIT(WS_HEADER) |       \
	 SKIT_OPT_BIT(WS_ORIGIN) | SKIT_OPT_BIT(WS_MAX_MESSAGE) |    \
	 SKIT_OPT_BIT(WS_PING_INTERVAL) | SKIT_OPT_BIT(WS_DEFLATE) | \
	 SKIT_OPT_BIT(WS_MODE))

/*
 * The faults (skit/fault.h, docs/faults.md): a command that puts the
 * fault layer on its connections adds these.
 */
#define SKIT_OPTS_FAULT                                                        \
	(SKIT_OPT_BIT(LATENCY) | SKIT_OPT_BIT(JITTER) |                        \
	 SKIT_OPT_BIT(BANDWIDTH) | SKIT_OPT_BIT(SLICER) |                      \
	 SKIT_OPT_BIT(LIMIT_DATA) | SKIT_OPT_BIT(RESET_AFTER) |                \
	 SKIT_OPT_BIT(TIMEOUT) | SKIT_OPT_BIT(SLOW_CLOSE) |                    \
	 SKIT_OPT_BIT(STALL) | SKIT_OPT_BIT(HALF_OPEN) | SKIT_OPT_BIT(DELAY) | \
	 SKIT_OPT_BIT(RATE) | SKIT_OPT_BIT(DROP) | SKIT_OPT_BIT(DUP) |         \
	 SKIT_OPT_BIT(REORDER) | SKIT_OPT_BIT(CORRUPT) | SKIT_OPT_BIT(DIR) |   \
	 SKIT_OPT_BIT(TOXICITY) | SKIT_OPT_BIT(SEED))

/* Every option (skit resolve, which opens nothing, explains them all). */
#define SKIT_OPTS_ALL (~0ull)

/* The option's name as written in the grammar ("connect-timeout"). */
const char *skit_opt_name(enum skit_opt id);

/* The kind's canonical name ("tcp", "unix-seqpacket"). */
const char *skit_kind_name(enum skit_kind kind);

/* True when the kind is a socket (not stdio, file, exec, sh, pipe). */
bool skit_kind_is_socket(enum skit_kind kind);

/*
 * One row per kind and per alias, for help text and docs: name, the
 * kind, the role it implies (or DEFAULT), family, and a one-line summary.
 * skit_addr_kinds() returns the table and its length.
 */
struct skit_kind_row {
	const char *name;
	enum skit_kind kind;
	enum skit_role role;
	int family;
	int type; /* 0 = the kind's default */
	bool socat_alias;
	const char *summary;
	const char *target; /* what follows the ':' ("HOST:PORT", "PATH") */
	bool abstract;	    /* socat ABSTRACT-*: the target is an abstract
			       name written without its '@' */
	uint64_t implies;   /* options this name sets (bit 1ull << opt),
			       e.g. socat CREATE sets create and trunc */
};
const struct skit_kind_row *skit_addr_kinds(size_t *n);

/* One row per option, for help text and docs. */
struct skit_opt_row {
	const char *name;
	enum skit_opt id;
	enum skit_optval_type type;
	int level;	/* setsockopt level, 0 when skit applies it itself */
	int optname;	/* setsockopt name */
	unsigned kinds; /* bit (1u << kind) for each kind it applies to */
	unsigned roles; /* bit (1u << role); 0 = any role */
	const char *summary;
	const char *value;  /* the value's shape for help ("N", "SIZE"), or
			       NULL for a flag */
	long long min, max; /* accepted range of the number (INT, SIZE,
			       DURATION in ms, MODE, HEX16) */
};
const struct skit_opt_row *skit_addr_opts(size_t *n);

#ifdef __cplusplus
}
#endif

#endif
