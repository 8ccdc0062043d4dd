/*
 * probe.c - the table behind `skit probe`: socket() combinations, what
 * each errno means for them, and the sysctls and capabilities that
 * decide the answers.
 */
#include "skit/probe.h"
#include "skit/io.h"
#include "skit/sock.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/can.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bluetooth protocol numbers (<bluetooth/bluetooth.h> is not in libc). */
#define BTPROTO_L2CAP  0
#define BTPROTO_HCI    1
#define BTPROTO_RFCOMM 3

#define RAW   SKIT_PROBE_NEED_NET_RAW
#define ADMIN SKIT_PROBE_NEED_NET_ADMIN
#define PING  SKIT_PROBE_NEED_PING

static const char sctp_hint[] = "SCTP: module sctp not built or not loaded";
static const char mptcp_hint[] = "MPTCP: CONFIG_MPTCP not set";
static const char udplite_hint[] =
	"UDP-Lite: removed from or not built into this kernel";
static const char ipseq_hint[] =
	"IP has SEQPACKET only through SCTP, module sctp not loaded";

/*
 * The combinations. Grouped by domain; within a domain the common ones
 * first. A row that fails on most machines is still worth a line when
 * its errno teaches something (SEQPACKET over IP, STREAM with UDP).
 */
static const struct skit_probe_row rows[] = {
	{ AF_INET, SOCK_STREAM, IPPROTO_TCP, "TCP", 0, NULL },
	{ AF_INET, SOCK_STREAM, IPPROTO_MPTCP, "Multipath TCP", 0, mptcp_hint },
	{ AF_INET, SOCK_STREAM, IPPROTO_SCTP, "SCTP one-to-one", 0, sctp_hint },
	{ AF_INET, SOCK_STREAM, IPPROTO_UDP, "UDP is not a stream protocol", 0,
	  "UDP only comes as SOCK_DGRAM" },
	{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, "UDP", 0, NULL },
	{ AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, "UDP-Lite", 0, udplite_hint },
	{ AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "ICMP echo (ping socket)", PING,
	  NULL },
	{ AF_INET, SOCK_SEQPACKET, 0, "SEQPACKET over IP (SCTP)", 0,
	  ipseq_hint },
	{ AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP, "SCTP one-to-many", 0,
	  sctp_hint },
	{ AF_INET, SOCK_RAW, IPPROTO_ICMP, "raw ICMP", RAW, NULL },
	{ AF_INET, SOCK_RAW, IPPROTO_UDP, "raw IP carrying UDP", RAW, NULL },
	{ AF_INET, SOCK_RAW, IPPROTO_RAW, "raw IP, send only (IP_HDRINCL)", RAW,
	  NULL },
	{ AF_INET6, SOCK_STREAM, IPPROTO_TCP, "TCP over IPv6", 0, NULL },
	{ AF_INET6, SOCK_STREAM, IPPROTO_MPTCP, "Multipath TCP over IPv6", 0,
	  mptcp_hint },
	{ AF_INET6, SOCK_STREAM, IPPROTO_SCTP, "SCTP one-to-one over IPv6", 0,
	  sctp_hint },
	{ AF_INET6, SOCK_DGRAM, IPPROTO_UDP, "UDP over IPv6", 0, NULL },
	{ AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE, "UDP-Lite over IPv6", 0,
	  udplite_hint },
	{ AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, "ICMPv6 echo (ping socket)",
	  PING, NULL },
	{ AF_INET6, SOCK_SEQPACKET, 0, "SEQPACKET over IPv6 (SCTP)", 0,
	  ipseq_hint },
	{ AF_INET6, SOCK_SEQPACKET, IPPROTO_SCTP, "SCTP one-to-many over IPv6",
	  0, sctp_hint },
	{ AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, "raw ICMPv6", RAW, NULL },
	{ AF_INET6, SOCK_RAW, IPPROTO_RAW, "raw IPv6, send only", RAW, NULL },
	{ AF_UNIX, SOCK_STREAM, 0, "unix stream", 0, NULL },
	{ AF_UNIX, SOCK_DGRAM, 0, "unix datagram", 0, NULL },
	{ AF_UNIX, SOCK_SEQPACKET, 0, "unix seqpacket (kept boundaries)", 0,
	  NULL },
	{ AF_UNIX, SOCK_RAW, 0,
	  "unix SOCK_RAW (the kernel makes it SOCK_DGRAM)", 0,
	  "unix: STREAM, DGRAM and SEQPACKET only" },
	{ AF_PACKET, SOCK_RAW, 0, "link-layer frames with headers", RAW,
	  "CONFIG_PACKET not set" },
	{ AF_PACKET, SOCK_DGRAM, 0, "link-layer payloads (cooked)", RAW,
	  "CONFIG_PACKET not set" },
	{ AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, "routes, links, addresses", 0,
	  NULL },
	{ AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE, "netlink as datagrams", 0,
	  NULL },
	{ AF_NETLINK, SOCK_RAW, NETLINK_GENERIC, "generic netlink families", 0,
	  NULL },
	{ AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG, "socket diagnostics (ss)", 0,
	  NULL },
	{ AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER, "netfilter (nftables)", 0,
	  "module nfnetlink not loaded" },
	{ AF_NETLINK, SOCK_RAW, NETLINK_AUDIT, "kernel audit", 0,
	  "no audit in this kernel or network namespace" },
	{ AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT, "device events (udev)",
	  0, NULL },
	{ AF_VSOCK, SOCK_STREAM, 0, "VM sockets stream", 0,
	  "module vsock: VMs and their hosts" },
	{ AF_VSOCK, SOCK_DGRAM, 0, "VM sockets datagram", 0,
	  "module vsock: VMs and their hosts" },
	{ AF_VSOCK, SOCK_SEQPACKET, 0, "VM sockets seqpacket", 0,
	  "module vsock: VMs and their hosts" },
	{ AF_TIPC, SOCK_RDM, 0, "TIPC reliable datagrams", 0,
	  "module tipc not built or not loaded" },
	{ AF_CAN, SOCK_RAW, CAN_RAW, "CAN bus frames", 0,
	  "modules can, can-raw" },
	{ AF_CAN, SOCK_DGRAM, CAN_BCM, "CAN broadcast manager", 0,
	  "modules can, can-bcm" },
	{ AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP, "Bluetooth L2CAP", 0,
	  "module bluetooth" },
	{ AF_BLUETOOTH, SOCK_STREAM, BTPROTO_RFCOMM, "Bluetooth RFCOMM", 0,
	  "modules bluetooth, rfcomm" },
	{ AF_BLUETOOTH, SOCK_RAW, BTPROTO_HCI, "Bluetooth HCI", RAW,
	  "module bluetooth" },
	{ AF_ALG, SOCK_SEQPACKET, 0, "kernel crypto API", 0, "module af_alg" },
	{ AF_XDP, SOCK_RAW, 0, "XDP zero-copy packet rings", RAW,
	  "CONFIG_XDP_SOCKETS not set" },
};

const struct skit_probe_row *
skit_probe_rows(size_t *n)
{
	*n = sizeof(rows) / sizeof(rows[0]);
	return rows;
}

int
skit_probe_try(const struct skit_probe_row *row)
{
	int fd = skit_socket(row->domain, row->type, row->protocol, false);

	if (fd < 0)
		return fd;
	skit_close(fd);
	return 0;
}

/* Environment */

static const struct {
	const char *name;
	const char *meaning;
} sysctls[SKIT_PROBE_NSYSCTL] = {
	{ "net.ipv4.ping_group_range",
	  "groups that may open ICMP ping sockets (gid range)" },
	{ "net.ipv4.ip_unprivileged_port_start",
	  "lowest port bindable without CAP_NET_BIND_SERVICE" },
	{ "net.ipv4.ip_local_port_range", "ephemeral ports for port 0" },
	{ "net.ipv6.bindv6only", "[::] sockets are IPv6-only by default" },
	{ "net.ipv6.conf.all.disable_ipv6", "IPv6 switched off" },
	{ "net.core.somaxconn", "cap on listen() backlog" },
	{ "net.ipv4.tcp_fastopen",
	  "TCP Fast Open (1 client, 2 server, 3 both)" },
	{ "net.mptcp.enabled", "MPTCP sockets allowed" },
	{ "net.core.rmem_max", "largest SO_RCVBUF without CAP_NET_ADMIN" },
	{ "net.core.wmem_max", "largest SO_SNDBUF without CAP_NET_ADMIN" },
	{ "net.unix.max_dgram_qlen", "unix datagram queue length" },
};

static const struct {
	const char *name;
	int bit;
	const char *meaning;
} caps[SKIT_PROBE_NCAP] = {
	{ "CAP_NET_RAW", 13, "raw IP, packet and XDP sockets" },
	{ "CAP_NET_ADMIN", 12, "interfaces, routes, buffer limits, marks" },
	{ "CAP_NET_BIND_SERVICE", 10,
	  "bind ports below ip_unprivileged_port_start" },
};

static int
read_sysctl(const char *name, char *buf, size_t len)
{
	char path[128], raw[128];
	size_t n, o = 0;
	FILE *f;
	bool space = false;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(raw, 1, sizeof(raw) - 1, f);
	fclose(f);
	raw[n] = '\0';
	/* "1\t0\n" -> "1 0": one space between fields, none at the ends. */
	for (size_t i = 0; i < n && o + 1 < len; i++) {
		if (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < len)
			buf[o++] = ' ';
		space = false;
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return 0;
}

static bool
read_capeff(uint64_t *out)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "CapEff:", 7)) {
			char *end;

			errno = 0;
			*out = strtoull(line + 7, &end, 16);
			found = !errno && end != line + 7;
			break;
		}
	}
	fclose(f);
	return found;
}

static bool
gid_in(long long lo, long long hi, gid_t g)
{
	return (long long)g >= lo && (long long)g <= hi;
}

/* The kernel's ping_group_range check: the egid or a supplementary group. */
static bool
ping_allowed(long long lo, long long hi)
{
	gid_t groups[256];
	int n;

	if (gid_in(lo, hi, getegid()))
		return true;
	n = getgroups(256, groups);
	for (int i = 0; i < n; i++)
		if (gid_in(lo, hi, groups[i]))
			return true;
	return false;
}

void
skit_probe_env_read(struct skit_probe_env *env)
{
	struct rlimit rl;
	const char *pg;

	memset(env, 0, sizeof(*env));
	for (int i = 0; i < SKIT_PROBE_NSYSCTL; i++) {
		env->sysctl[i].name = sysctls[i].name;
		env->sysctl[i].meaning = sysctls[i].meaning;
		env->sysctl[i].code =
			read_sysctl(sysctls[i].name, env->sysctl[i].value,
				    sizeof(env->sysctl[i].value));
	}
	env->caps_known = read_capeff(&env->cap_eff);
	for (int i = 0; i < SKIT_PROBE_NCAP; i++) {
		env->cap[i].name = caps[i].name;
		env->cap[i].bit = caps[i].bit;
		env->cap[i].meaning = caps[i].meaning;
		env->cap[i].have =
			env->caps_known && (env->cap_eff >> caps[i].bit) & 1;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		env->nofile_soft =
			rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
		env->nofile_hard =
			rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
	}
	env->uid = geteuid();
	env->gid = getegid();
	pg = skit_probe_sysctl_value(env, "net.ipv4.ping_group_range");
	if (pg && sscanf(pg, "%lld %lld", &env->ping_lo, &env->ping_hi) == 2) {
		env->ping_known = true;
		env->ping_ok = ping_allowed(env->ping_lo, env->ping_hi);
	}
}

const char *
skit_probe_sysctl_value(const struct skit_probe_env *env, const char *name)
{
	for (int i = 0; i < SKIT_PROBE_NSYSCTL; i++)
		if (env->sysctl[i].name && !strcmp(env->sysctl[i].name, name))
			return env->sysctl[i].code ? NULL
						   : env->sysctl[i].value;
	return NULL;
}

bool
skit_probe_has_cap(const struct skit_probe_env *env, int bit)
{
	return env->caps_known && bit >= 0 && bit < 64 &&
	       ((env->cap_eff >> bit) & 1);
}

/* Explanations */

static const char *
generic_missing(int code)
{
	switch (code) {
	case -EAFNOSUPPORT:
		return "address family not compiled into this kernel";
	case -EPROTONOSUPPORT:
		return "protocol not supported";
	default:
		return "type not supported by this family";
	}
}

static void
explain_perm(const struct skit_probe_row *row, int code,
	     const struct skit_probe_env *env, char *buf, size_t len)
{
	switch (row->need) {
	case SKIT_PROBE_NEED_NET_RAW:
		if (skit_probe_has_cap(env, 13))
			snprintf(buf, len,
				 "refused although CAP_NET_RAW is present "
				 "(LSM policy, or a user namespace that does "
				 "not own the network namespace)");
		else
			snprintf(buf, len,
				 "needs CAP_NET_RAW (this process lacks it)");
		return;
	case SKIT_PROBE_NEED_NET_ADMIN:
		snprintf(buf, len, "needs CAP_NET_ADMIN%s",
			 skit_probe_has_cap(env, 12)
				 ? " (present, so an LSM refused)"
				 : " (this process lacks it)");
		return;
	case SKIT_PROBE_NEED_PING:
		if (env->ping_known)
			snprintf(buf, len,
				 "blocked by net.ipv4.ping_group_range (%lld "
				 "%lld): no group of this process (gid %u) "
				 "is in range",
				 env->ping_lo, env->ping_hi, env->gid);
		else
			snprintf(buf, len,
				 "blocked by net.ipv4.ping_group_range (gid "
				 "not in range)");
		return;
	case SKIT_PROBE_NEED_NONE:
		break;
	}
	snprintf(buf, len, "%s (LSM or seccomp policy)",
		 code == -EPERM ? "operation not permitted"
				: "permission denied");
}

static void
explain_ok(const struct skit_probe_row *row, const struct skit_probe_env *env,
	   char *buf, size_t len)
{
	switch (row->need) {
	case SKIT_PROBE_NEED_NET_RAW:
		snprintf(buf, len, "%s (CAP_NET_RAW present)", row->what);
		return;
	case SKIT_PROBE_NEED_NET_ADMIN:
		snprintf(buf, len, "%s (CAP_NET_ADMIN present)", row->what);
		return;
	case SKIT_PROBE_NEED_PING:
		if (env->ping_known)
			snprintf(buf, len,
				 "%s (a group of this process is in "
				 "ping_group_range %lld %lld)",
				 row->what, env->ping_lo, env->ping_hi);
		else
			snprintf(buf, len, "%s", row->what);
		return;
	case SKIT_PROBE_NEED_NONE:
		break;
	}
	snprintf(buf, len, "%s", row->what);
}

char *
skit_probe_explain(const struct skit_probe_row *row, int code,
		   const struct skit_probe_env *env, char *buf, size_t len)
{
	const char *s;

	if (!len)
		return buf;
	switch (code) {
	case 0:
		explain_ok(row, env, buf, len);
		break;
	case -EAFNOSUPPORT:
	case -EPROTONOSUPPORT:
	case -ESOCKTNOSUPPORT:
		/*
		 * The kernel's answer, then the row's own hint naming the
		 * module or option. IPv6 switched off at boot is the one
		 * family whose absence surprises people, so it says so.
		 */
		s = row->hint;
		if (code == -EAFNOSUPPORT && row->domain == AF_INET6)
			s = "ipv6.disable=1 on the kernel command line, or "
			    "CONFIG_IPV6 not set";
		else if (code == -EAFNOSUPPORT && !s)
			s = "or its module is not loaded";
		if (s)
			snprintf(buf, len, "%s (%s)", generic_missing(code), s);
		else
			snprintf(buf, len, "%s", generic_missing(code));
		break;
	case -EPROTOTYPE:
		snprintf(buf, len, "protocol does not match the socket type");
		break;
	case -EACCES:
	case -EPERM:
		explain_perm(row, code, env, buf, len);
		break;
	case -ENOPROTOOPT:
		if (row->protocol == IPPROTO_MPTCP)
			snprintf(buf, len,
				 "MPTCP switched off by "
				 "net.mptcp.enabled = 0");
		else
			snprintf(buf, len, "protocol switched off here");
		break;
	case -ENODEV:
		if (row->domain == AF_VSOCK)
			snprintf(buf, len,
				 "no loaded vsock transport supports this "
				 "type (virtio, vmci, hyperv, loopback)");
		else
			snprintf(buf, len,
				 "no device or transport for this "
				 "type");
		break;
	case -EMFILE:
	case -ENFILE:
		snprintf(buf, len,
			 "out of file descriptors (RLIMIT_NOFILE "
			 "or fs.file-max)");
		break;
	case -ENOMEM:
	case -ENOBUFS:
		snprintf(buf, len, "out of kernel memory");
		break;
	case -EINVAL:
		snprintf(buf, len,
			 "the kernel rejects this type and protocol here");
		break;
	default:
		snprintf(buf, len, "%s", skit_strerror(code));
		break;
	}
	return buf;
}

const char *
skit_probe_fix(const struct skit_probe_row *row, int code,
	       const struct skit_probe_env *env)
{
	switch (code) {
	case -EACCES:
	case -EPERM:
		switch (row->need) {
		case SKIT_PROBE_NEED_NET_RAW:
			if (skit_probe_has_cap(env, 13))
				return NULL;
			return "run as root, or: setcap cap_net_raw+ep on the "
			       "binary";
		case SKIT_PROBE_NEED_NET_ADMIN:
			return "run as root, or: setcap cap_net_admin+ep on "
			       "the binary";
		case SKIT_PROBE_NEED_PING:
			return "sysctl -w net.ipv4.ping_group_range=\"0 "
			       "2147483647\" (as root; per network namespace)";
		case SKIT_PROBE_NEED_NONE:
			return NULL;
		}
		return NULL;
	case -ENOPROTOOPT:
		return row->protocol == IPPROTO_MPTCP
			       ? "sysctl -w net.mptcp.enabled=1 (as root)"
			       : NULL;
	/*
	 * A missing family or protocol has no fix to offer here: socket()
	 * already asked the kernel to load its module, and that found
	 * none (the explanation names it).
	 */
	default:
		return NULL;
	}
}

/* Names */

struct name_row {
	int num;
	const char *name;
};

static const struct name_row af_names[] = {
	{ AF_UNSPEC, "AF_UNSPEC" },
	{ AF_UNIX, "AF_UNIX" },
	{ AF_INET, "AF_INET" },
	{ AF_INET6, "AF_INET6" },
	{ AF_NETLINK, "AF_NETLINK" },
	{ AF_PACKET, "AF_PACKET" },
	{ AF_VSOCK, "AF_VSOCK" },
	{ AF_TIPC, "AF_TIPC" },
	{ AF_CAN, "AF_CAN" },
	{ AF_BLUETOOTH, "AF_BLUETOOTH" },
	{ AF_ALG, "AF_ALG" },
	{ AF_XDP, "AF_XDP" },
	{ AF_KEY, "AF_KEY" },
	{ AF_RDS, "AF_RDS" },
	{ AF_SMC, "AF_SMC" },
	{ AF_KCM, "AF_KCM" },
	{ AF_QIPCRTR, "AF_QIPCRTR" },
	{ AF_LLC, "AF_LLC" },
	{ AF_IEEE802154, "AF_IEEE802154" },
	{ AF_MCTP, "AF_MCTP" },
};

static const struct name_row type_names[] = {
	{ SOCK_STREAM, "SOCK_STREAM" },
	{ SOCK_DGRAM, "SOCK_DGRAM" },
	{ SOCK_RAW, "SOCK_RAW" },
	{ SOCK_RDM, "SOCK_RDM" },
	{ SOCK_SEQPACKET, "SOCK_SEQPACKET" },
	{ SOCK_DCCP, "SOCK_DCCP" },
	{ SOCK_PACKET, "SOCK_PACKET" },
};

static const struct name_row ip_proto_names[] = {
	{ IPPROTO_IP, "0" },
	{ IPPROTO_ICMP, "IPPROTO_ICMP" },
	{ IPPROTO_IGMP, "IPPROTO_IGMP" },
	{ IPPROTO_IPIP, "IPPROTO_IPIP" },
	{ IPPROTO_TCP, "IPPROTO_TCP" },
	{ IPPROTO_EGP, "IPPROTO_EGP" },
	{ IPPROTO_UDP, "IPPROTO_UDP" },
	{ IPPROTO_IPV6, "IPPROTO_IPV6" },
	{ IPPROTO_RSVP, "IPPROTO_RSVP" },
	{ IPPROTO_GRE, "IPPROTO_GRE" },
	{ IPPROTO_ESP, "IPPROTO_ESP" },
	{ IPPROTO_AH, "IPPROTO_AH" },
	{ IPPROTO_ICMPV6, "IPPROTO_ICMPV6" },
	{ IPPROTO_PIM, "IPPROTO_PIM" },
	{ IPPROTO_SCTP, "IPPROTO_SCTP" },
	{ IPPROTO_UDPLITE, "IPPROTO_UDPLITE" },
	{ IPPROTO_MPLS, "IPPROTO_MPLS" },
	{ IPPROTO_RAW, "IPPROTO_RAW" },
	{ IPPROTO_MPTCP, "IPPROTO_MPTCP" },
};

static const struct name_row netlink_names[] = {
	{ NETLINK_ROUTE, "NETLINK_ROUTE" },
	{ NETLINK_USERSOCK, "NETLINK_USERSOCK" },
	{ NETLINK_FIREWALL, "NETLINK_FIREWALL" },
	{ NETLINK_SOCK_DIAG, "NETLINK_SOCK_DIAG" },
	{ NETLINK_NFLOG, "NETLINK_NFLOG" },
	{ NETLINK_XFRM, "NETLINK_XFRM" },
	{ NETLINK_SELINUX, "NETLINK_SELINUX" },
	{ NETLINK_ISCSI, "NETLINK_ISCSI" },
	{ NETLINK_AUDIT, "NETLINK_AUDIT" },
	{ NETLINK_FIB_LOOKUP, "NETLINK_FIB_LOOKUP" },
	{ NETLINK_CONNECTOR, "NETLINK_CONNECTOR" },
	{ NETLINK_NETFILTER, "NETLINK_NETFILTER" },
	{ NETLINK_IP6_FW, "NETLINK_IP6_FW" },
	{ NETLINK_DNRTMSG, "NETLINK_DNRTMSG" },
	{ NETLINK_KOBJECT_UEVENT, "NETLINK_KOBJECT_UEVENT" },
	{ NETLINK_GENERIC, "NETLINK_GENERIC" },
	{ NETLINK_SCSITRANSPORT, "NETLINK_SCSITRANSPORT" },
	{ NETLINK_ECRYPTFS, "NETLINK_ECRYPTFS" },
	{ NETLINK_RDMA, "NETLINK_RDMA" },
	{ NETLINK_CRYPTO, "NETLINK_CRYPTO" },
	{ NETLINK_SMC, "NETLINK_SMC" },
};

static const struct name_row ethertype_names[] = {
	{ ETH_P_ALL, "ETH_P_ALL" },   { ETH_P_IP, "ETH_P_IP" },
	{ ETH_P_ARP, "ETH_P_ARP" },   { ETH_P_8021Q, "ETH_P_8021Q" },
	{ ETH_P_IPV6, "ETH_P_IPV6" }, { ETH_P_LLDP, "ETH_P_LLDP" },
};

static const struct name_row can_names[] = {
	{ CAN_RAW, "CAN_RAW" },	    { CAN_BCM, "CAN_BCM" },
	{ CAN_TP16, "CAN_TP16" },   { CAN_TP20, "CAN_TP20" },
	{ CAN_MCNET, "CAN_MCNET" }, { CAN_ISOTP, "CAN_ISOTP" },
	{ CAN_J1939, "CAN_J1939" },
};

static const struct name_row bt_names[] = {
	{ BTPROTO_L2CAP, "BTPROTO_L2CAP" },
	{ BTPROTO_HCI, "BTPROTO_HCI" },
	{ BTPROTO_RFCOMM, "BTPROTO_RFCOMM" },
};

#define LOOKUP(tab, num) lookup(tab, sizeof(tab) / sizeof(tab[0]), num)

static const char *
lookup(const struct name_row *tab, size_t n, int num)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].num == num)
			return tab[i].name;
	return NULL;
}

const char *
skit_af_name(int domain)
{
	return LOOKUP(af_names, domain);
}

const char *
skit_socktype_name(int type)
{
	return LOOKUP(type_names, type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK));
}

char *
skit_proto_str(int domain, int protocol, char *buf, size_t len)
{
	const char *s = NULL;

	if (!len)
		return buf;
	switch (domain) {
	case AF_INET:
	case AF_INET6:
		s = LOOKUP(ip_proto_names, protocol);
		break;
	case AF_NETLINK:
		s = LOOKUP(netlink_names, protocol);
		break;
	case AF_CAN:
		s = LOOKUP(can_names, protocol);
		break;
	case AF_BLUETOOTH:
		s = LOOKUP(bt_names, protocol);
		break;
	case AF_PACKET:
		/* The protocol is an ethertype in network byte order. */
		if (protocol) {
			int et = ntohs((uint16_t)protocol);

			s = LOOKUP(ethertype_names, et);
			if (s)
				snprintf(buf, len, "htons(%s)", s);
			else
				snprintf(buf, len, "htons(0x%04x)", et);
			return buf;
		}
		break;
	default:
		break;
	}
	if (s)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%d", protocol);
	return buf;
}
