/*
 * skit/probe.h - which socket(domain, type, protocol) combinations this
 * kernel and this process may create, and why the others fail.
 *
 * The data behind `skit probe`: a const table of combinations worth
 * knowing, a function that tries one (socket(), then close()), a
 * one-line explanation of each errno specific to the combination, and a
 * snapshot of the sysctls, limits and capabilities that decide the
 * answers. Also the symbolic names of socket() arguments ("AF_INET6",
 * "SOCK_SEQPACKET", "IPPROTO_TCP") used by `skit resolve`.
 *
 * Nothing here prints. Trying a combination creates and closes a socket
 * and may make the kernel load the family's module (as socket() always
 * may); it never binds, connects or sends.
 */
#ifndef SKIT_PROBE_H
#define SKIT_PROBE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a combination needs beyond an ordinary process. */
enum skit_probe_need {
	SKIT_PROBE_NEED_NONE = 0,
	SKIT_PROBE_NEED_NET_RAW,   /* CAP_NET_RAW (raw IP, packet, XDP) */
	SKIT_PROBE_NEED_NET_ADMIN, /* CAP_NET_ADMIN */
	SKIT_PROBE_NEED_PING,	   /* a group in net.ipv4.ping_group_range */
};

/*
 * One combination. what says what it is ("TCP", "ICMP echo (ping
 * socket)"); hint, when not NULL, follows the generic text of
 * EAFNOSUPPORT, EPROTONOSUPPORT and ESOCKTNOSUPPORT for this row, naming
 * the module or build option ("SCTP: module sctp not built or not
 * loaded").
 */
struct skit_probe_row {
	int domain;
	int type;
	int protocol;
	const char *what;
	enum skit_probe_need need;
	const char *hint;
};

/* The table (at least 25 rows, grouped by domain). Never NULL. */
const struct skit_probe_row *skit_probe_rows(size_t *n);

/* A sysctl that decides some answers, read from /proc/sys. */
struct skit_probe_sysctl {
	const char *name;    /* "net.ipv4.ping_group_range" */
	const char *meaning; /* one line */
	char value[64];	     /* whitespace collapsed; "" when unreadable */
	int code;	     /* 0, or -errno when the file could not be read */
};

/* A capability that decides some answers (bit in CapEff). */
struct skit_probe_cap {
	const char *name; /* "CAP_NET_RAW" */
	int bit;
	const char *meaning;
	bool have;
};

#define SKIT_PROBE_NSYSCTL 11
#define SKIT_PROBE_NCAP	   3

/*
 * The environment of this process: sysctls, RLIMIT_NOFILE, ids and
 * effective capabilities. caps_known is false when /proc/self/status
 * has no CapEff line (then every have is false). nofile_* are
 * RLIM_INFINITY as UINT64_MAX.
 */
struct skit_probe_env {
	struct skit_probe_sysctl sysctl[SKIT_PROBE_NSYSCTL];
	struct skit_probe_cap cap[SKIT_PROBE_NCAP];
	bool caps_known;
	uint64_t cap_eff;
	uint64_t nofile_soft, nofile_hard;
	unsigned uid, gid; /* effective */
	/* ping_group_range parsed; ping_ok: a group of ours is in it. */
	long long ping_lo, ping_hi;
	bool ping_known, ping_ok;
};

/*
 * Fill env from /proc/sys, /proc/self/status, getrlimit() and the
 * process's groups. Never fails: what cannot be read is marked so.
 * Does not block (beyond reading /proc).
 */
void skit_probe_env_read(struct skit_probe_env *env);

/* The value of a sysctl in env by name, or NULL when unknown/unreadable. */
const char *skit_probe_sysctl_value(const struct skit_probe_env *env,
				    const char *name);

/* True when env says the process has capability bit (CAP_NET_RAW...). */
bool skit_probe_has_cap(const struct skit_probe_env *env, int bit);

/*
 * Try row: create the socket (CLOEXEC) and close it at once. Returns 0
 * when it could be created, else the negative errno of socket().
 */
int skit_probe_try(const struct skit_probe_row *row);

/*
 * A one-line explanation of result code (0 or -errno, as from
 * skit_probe_try) for row in env, written into buf (always
 * NUL-terminated). For 0 it says what works and, when it matters, why
 * (the capability or the ping group). Returns buf.
 */
char *skit_probe_explain(const struct skit_probe_row *row, int code,
			 const struct skit_probe_env *env, char *buf,
			 size_t len);

/*
 * How to make a failing row work, when there is a known way: "run as
 * root, or: setcap cap_net_raw+ep on the binary", "sysctl -w
 * net.ipv4.ping_group_range=...", "sysctl -w net.mptcp.enabled=1".
 * NULL when code is 0 or nothing simple helps (a family the kernel
 * lacks: socket() already tried to load its module). Returns a static
 * string.
 */
const char *skit_probe_fix(const struct skit_probe_row *row, int code,
			   const struct skit_probe_env *env);

/*
 * What the commands below the transport need beyond socket() itself,
 * each with its answer: the sock_diag dumps `skit sockets` makes (one
 * per kind; a kernel may lack a kind's module), multicast on each
 * interface (its MULTICAST flag and state; nothing is joined or sent),
 * and whether capturing (`skit sniff`) works for this process and for
 * an unprivileged user running this binary (its file capabilities or
 * setuid bit).
 *   domain  the family the row is about (for --family filters)
 *   what    "sock_diag tcp (IPv4)", "multicast on eth0", "capture ..."
 *   code    0 when it works, else a negative errno that says why
 *   why     one line
 *   fix     how to make it work, "" when there is no simple way
 */
struct skit_probe_feature {
	int domain;
	char what[64];
	int code;
	char why[192];
	char fix[160];
};

/*
 * Find the answers for every feature: dumps over NETLINK_SOCK_DIAG
 * (answers only), NETLINK_ROUTE for the interfaces, /proc/self/exe's
 * capabilities. Returns 0 with *out (free() it) and *n, or -errno. Does
 * not send anything to a network.
 */
int skit_probe_features(const struct skit_probe_env *env,
			struct skit_probe_feature **out, size_t *n);

/*
 * Symbolic names of socket() arguments: "AF_INET6", "SOCK_SEQPACKET"
 * (type flags SOCK_CLOEXEC/SOCK_NONBLOCK ignored). NULL when unknown.
 */
const char *skit_af_name(int domain);
const char *skit_socktype_name(int type);

/*
 * The protocol argument as C would spell it for this domain:
 * "IPPROTO_TCP", "NETLINK_ROUTE", "htons(ETH_P_IP)", "CAN_RAW", "0";
 * a number when there is no name. Writes into buf (NUL-terminated) and
 * returns buf.
 */
char *skit_proto_str(int domain, int protocol, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
