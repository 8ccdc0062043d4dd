/*
 * addr_format.c - the other direction: struct skit_addr and socket
 * addresses -> text in skit's address form, which parses back to the
 * same address (docs/addresses.md, "Round trip").
 */
#include "addr/addr_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>

#define ETH_ALL 0x0003 /* ETH_P_ALL */

/* A bounded string builder that counts what it would need. */
struct sb {
	char *buf;
	size_t len;
	size_t pos;
};

static void
sb_putn(struct sb *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, b->pos++)
		if (b->pos + 1 < b->len)
			b->buf[b->pos] = s[i];
}

static void
sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[96];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_putn(b, tmp,
			(size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Escape ',' and '\' (the grammar's two escapes) in n bytes of s. */
static void
sb_esc(struct sb *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ',' || s[i] == '\\')
			sb_putn(b, "\\", 1);
		if (s[i] == '\0')
			sb_puts(b, "\\x00"); /* not representable: shown */
		else
			sb_putn(b, s + i, 1);
	}
}

static int
sb_finish(struct sb *b)
{
	if (b->len > 0)
		b->buf[b->pos < b->len ? b->pos : b->len - 1] = '\0';
	return b->pos > 0x7fffffff ? -EOVERFLOW : (int)b->pos;
}

static void
put_inet_host(struct sb *b, const char *host)
{
	if (strchr(host, ':')) {
		sb_puts(b, "[");
		sb_puts(b, host);
		sb_puts(b, "]");
	} else {
		sb_puts(b, host);
	}
}

int
skit_addr_format(const struct skit_addr *a, char *buf, size_t len)
{
	struct sb b = { buf, len, 0 };
	const struct skit_opt_row *row;

	if (!a || (int)a->kind <= SKIT_KIND_NONE || a->kind >= SKIT_KIND__COUNT)
		return -EINVAL;
	if (a->kind == SKIT_KIND_STDIO) {
		sb_puts(&b, "-");
	} else {
		sb_puts(&b, skit__kind_canon(a->kind, a->family));
		if (skit_kind_is_socket(a->kind)) {
			if (a->role == SKIT_ROLE_LISTEN)
				sb_puts(&b, "-listen");
			else if (a->role == SKIT_ROLE_CONNECT)
				sb_puts(&b, "-connect");
		}
		if (a->kind != SKIT_KIND_PIPE || a->host[0])
			sb_puts(&b, ":");
	}
	switch (a->kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
		put_inet_host(&b, a->host);
		sb_puts(&b, ":");
		sb_puts(&b, a->port);
		break;
	case SKIT_KIND_UNIX:
	case SKIT_KIND_UNIX_DGRAM:
	case SKIT_KIND_UNIX_SEQPACKET:
		if (a->abstract)
			sb_puts(&b, "@");
		sb_esc(&b, a->host, strlen(a->host));
		break;
	case SKIT_KIND_VSOCK:
		sb_puts(&b, a->host);
		sb_puts(&b, ":");
		sb_puts(&b, a->port);
		break;
	case SKIT_KIND_ICMP:
	case SKIT_KIND_IP:
	case SKIT_KIND_PACKET:
	case SKIT_KIND_NETLINK:
		sb_puts(&b, a->host);
		break;
	case SKIT_KIND_FILE:
	case SKIT_KIND_EXEC:
	case SKIT_KIND_SH:
	case SKIT_KIND_PIPE:
		sb_esc(&b, a->host, strlen(a->host));
		break;
	default:
		break;
	}
	for (int i = 0; i < SKIT_OPT__COUNT; i++) {
		const struct skit_optval *v = &a->opt[i];

		if (!v->set)
			continue;
		row = skit__opt_row((enum skit_opt)i);
		sb_puts(&b, ",");
		sb_puts(&b, row->name);
		switch (row->type) {
		case SKIT_OPTV_FLAG:
			if (!v->num)
				sb_puts(&b, "=0");
			break;
		case SKIT_OPTV_INT:
		case SKIT_OPTV_SIZE:
			sb_printf(&b, "=%lld", v->num);
			break;
		case SKIT_OPTV_DURATION:
			sb_printf(&b, "=%lldms", v->num);
			break;
		case SKIT_OPTV_MODE:
			sb_printf(&b, "=0%llo", (unsigned long long)v->num);
			break;
		case SKIT_OPTV_HEX16:
			sb_printf(&b, "=0x%04llx", (unsigned long long)v->num);
			break;
		case SKIT_OPTV_STRING: {
			const char *s = skit_addr_str(a, (enum skit_opt)i);

			sb_puts(&b, "=");
			if (s)
				sb_esc(&b, s, strlen(s));
			break;
		}
		}
	}
	return sb_finish(&b);
}

bool
skit_addr_equal(const struct skit_addr *a, const struct skit_addr *b)
{
	if (a->kind != b->kind || a->role != b->role ||
	    a->family != b->family || a->type != b->type ||
	    a->protocol != b->protocol || strcmp(a->host, b->host) != 0 ||
	    strcmp(a->port, b->port) != 0 || a->port_lo != b->port_lo ||
	    a->port_hi != b->port_hi || a->port_is_range != b->port_is_range ||
	    a->abstract != b->abstract ||
	    a->host_is_literal != b->host_is_literal ||
	    a->vsock_cid != b->vsock_cid || a->vsock_port != b->vsock_port ||
	    a->netlink_proto != b->netlink_proto)
		return false;
	for (int i = 0; i < SKIT_OPT__COUNT; i++) {
		const char *sa, *sb;

		if (a->opt[i].set != b->opt[i].set)
			return false;
		if (!a->opt[i].set)
			continue;
		if (a->opt[i].num != b->opt[i].num)
			return false;
		sa = skit_addr_str(a, (enum skit_opt)i);
		sb = skit_addr_str(b, (enum skit_opt)i);
		if ((sa == NULL) != (sb == NULL) || (sa && strcmp(sa, sb) != 0))
			return false;
	}
	return true;
}

/* --- socket addresses ----------------------------------------------- */

/* The inet kind for a socket's type and protocol. */
static enum skit_kind
inet_kind(int type, int protocol)
{
	switch (type) {
	case SOCK_DGRAM:
		if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6)
			return SKIT_KIND_ICMP;
		return SKIT_KIND_UDP;
	case SOCK_RAW:
		if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6)
			return SKIT_KIND_ICMP;
		return SKIT_KIND_IP;
	default:
		return SKIT_KIND_TCP;
	}
}

static int
format_inet(struct sb *b, const struct sockaddr *sa, socklen_t salen, int type,
	    int protocol)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	enum skit_kind kind = inet_kind(type, protocol);
	unsigned port;
	int family = sa->sa_family;

	if (family == AF_INET) {
		struct sockaddr_in in;

		if (salen < sizeof(in))
			return -EINVAL;
		memcpy(&in, sa, sizeof(in));
		inet_ntop(AF_INET, &in.sin_addr, host, sizeof(host));
		port = ntohs(in.sin_port);
	} else {
		struct sockaddr_in6 in6;
		char ifname[IF_NAMESIZE];
		size_t n;

		if (salen < sizeof(in6))
			return -EINVAL;
		memcpy(&in6, sa, sizeof(in6));
		inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof(host));
		port = ntohs(in6.sin6_port);
		if (in6.sin6_scope_id) {
			n = strlen(host);
			if (if_indextoname(in6.sin6_scope_id, ifname))
				snprintf(host + n, sizeof(host) - n, "%%%s",
					 ifname);
			else
				snprintf(host + n, sizeof(host) - n, "%%%u",
					 in6.sin6_scope_id);
		}
	}
	/*
	 * tcp and udp stay family-neutral ("tcp:[::1]:80" already says
	 * IPv6); icmp and ip need their 6 for the socket's protocol.
	 */
	sb_puts(b, skit__kind_canon(kind, kind == SKIT_KIND_TCP ||
							  kind == SKIT_KIND_UDP
						  ? AF_UNSPEC
						  : family));
	sb_puts(b, ":");
	switch (kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
		put_inet_host(b, host);
		sb_printf(b, ":%u", port);
		break;
	case SKIT_KIND_IP:
		sb_puts(b, host);
		if (protocol > 0 && protocol <= 255)
			sb_printf(b, ",proto=%d", protocol);
		break;
	default:
		sb_puts(b, host);
		break;
	}
	return 0;
}

static int
format_unix(struct sb *b, const struct sockaddr *sa, socklen_t salen, int type)
{
	struct sockaddr_un un;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t plen;

	memset(&un, 0, sizeof(un));
	plen = salen > off ? salen - off : 0;
	if (plen > sizeof(un.sun_path))
		plen = sizeof(un.sun_path);
	memcpy(&un, sa, off + plen);
	sb_puts(b, type == SOCK_DGRAM	    ? "unix-dgram:"
		   : type == SOCK_SEQPACKET ? "unix-seqpacket:"
					    : "unix:");
	if (plen == 0)
		return 0; /* unnamed */
	if (un.sun_path[0] == '\0') {
		/* Abstract: the name is exactly the rest of salen. */
		sb_puts(b, "@");
		sb_esc(b, un.sun_path + 1, plen - 1);
		return 0;
	}
	/* A relative path starting with '@' would read as abstract. */
	if (un.sun_path[0] == '@')
		sb_puts(b, "./");
	sb_esc(b, un.sun_path, strnlen(un.sun_path, plen));
	return 0;
}

int
skit_sockaddr_format(const struct sockaddr *sa, socklen_t salen, int type,
		     int protocol, char *buf, size_t len)
{
	struct sb b = { buf, len, 0 };
	int rc = 0;

	if (buf && len)
		buf[0] = '\0';
	if (!sa || salen < sizeof(sa_family_t))
		return -EINVAL;
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	switch (sa->sa_family) {
	case AF_INET:
	case AF_INET6:
		rc = format_inet(&b, sa, salen, type, protocol);
		break;
	case AF_UNIX:
		rc = format_unix(&b, sa, salen, type);
		break;
	case AF_VSOCK: {
		struct sockaddr_vm vm;

		if (salen < sizeof(vm))
			return -EINVAL;
		memcpy(&vm, sa, sizeof(vm));
		if (vm.svm_cid == VMADDR_CID_ANY)
			sb_printf(&b, "vsock::%u", vm.svm_port);
		else
			sb_printf(&b, "vsock:%u:%u", vm.svm_cid, vm.svm_port);
		break;
	}
	case AF_PACKET: {
		struct sockaddr_ll ll;
		char ifname[IF_NAMESIZE];
		unsigned et;

		if (salen < offsetof(struct sockaddr_ll, sll_addr))
			return -EINVAL;
		memset(&ll, 0, sizeof(ll));
		memcpy(&ll, sa, salen < sizeof(ll) ? salen : sizeof(ll));
		sb_puts(&b, "packet:");
		if (ll.sll_ifindex > 0) {
			if (if_indextoname((unsigned)ll.sll_ifindex, ifname))
				sb_puts(&b, ifname);
			else
				sb_printf(&b, "%d", ll.sll_ifindex);
		}
		et = ntohs(ll.sll_protocol ? ll.sll_protocol
					   : (uint16_t)protocol);
		if (et && et != ETH_ALL)
			sb_printf(&b, ",ethertype=0x%04x", et);
		break;
	}
	case AF_NETLINK: {
		const char *name = skit__netlink_name(protocol);

		if (name)
			sb_printf(&b, "netlink:%s", name);
		else
			sb_printf(&b, "netlink:%d", protocol);
		break;
	}
	default:
		return -EAFNOSUPPORT;
	}
	if (rc < 0)
		return rc;
	return sb_finish(&b);
}
