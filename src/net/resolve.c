/*
 * resolve.c - from a parsed address to the socket addresses to try:
 * getaddrinfo() for names (or the caller's hook), direct construction
 * for literals' "any" forms, unix paths and abstract names, vsock,
 * packet and netlink. Results are ordered per RFC 8305 section 4.
 */
#include "skit/io.h"
#include "skit/proxy.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void
skit_resolved_free(struct skit_resolved *r)
{
	if (!r)
		return;
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static int
push(struct skit_resolved *r, const struct skit_sockaddr *sa)
{
	struct skit_sockaddr *v;

	v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->v = v;
	r->v[r->n++] = *sa;
	return 0;
}

static int
default_type(enum skit_kind kind)
{
	switch (kind) {
	case SKIT_KIND_UDP:
	case SKIT_KIND_UNIX_DGRAM:
	case SKIT_KIND_ICMP:
		return SOCK_DGRAM;
	case SKIT_KIND_UNIX_SEQPACKET:
		return SOCK_SEQPACKET;
	case SKIT_KIND_IP:
	case SKIT_KIND_PACKET:
	case SKIT_KIND_NETLINK:
		return SOCK_RAW;
	default:
		return SOCK_STREAM;
	}
}

static void
base(struct skit_sockaddr *sa, const struct skit_addr *a, int family)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = family;
	sa->type = a->type ? a->type : default_type(a->kind);
	sa->protocol = a->protocol;
}

static void
make_inet(struct skit_sockaddr *sa, int family, const void *addr, uint16_t port)
{
	sa->family = family;
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa->ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, sizeof(s6->sin6_addr));
		s6->sin6_port = htons(port);
		sa->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa->ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr, sizeof(s4->sin_addr));
		s4->sin_port = htons(port);
		sa->len = sizeof(*s4);
	}
}

/*
 * The port as a number. Service names ("http") are looked up in the
 * services database with a NULL node, which never touches DNS.
 */
static int
port_number(const struct skit_addr *a, int type, uint16_t *port,
	    struct skit_err *err)
{
	struct addrinfo hints, *ai = NULL;
	char *end;
	long n;
	int g;

	*port = 0;
	if (a->port[0] == '\0')
		return 0;
	if (a->port_lo || a->port_is_range) {
		*port = a->port_lo;
		return 0;
	}
	n = strtol(a->port, &end, 10);
	if (*end == '\0' && n >= 0 && n <= 65535) {
		*port = (uint16_t)n;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = type == SOCK_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	g = getaddrinfo(NULL, a->port, &hints, &ai);
	if (g != 0 || !ai) {
		g = g ? skit_err_from_gai(g, errno) : SKIT_EAI_SERVICE;
		return skit_err_setf(
			err, g == SKIT_EAI_NONAME ? SKIT_EAI_SERVICE : g,
			"resolve", a->port, 0, "unknown service '%s'", a->port);
	}
	*port = ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port);
	freeaddrinfo(ai);
	return 0;
}

/*
 * RFC 8305 section 4: keep the resolver's (RFC 6724) order within each
 * family, but alternate families starting with the first one, so a
 * broken family costs one stagger step, not a timeout per address.
 */
static int
interleave(struct skit_resolved *r)
{
	struct skit_sockaddr *out;
	size_t i6 = 0, i4 = 0, k = 0;
	int first;

	if (r->n < 2)
		return 0;
	first = r->v[0].family;
	out = malloc(r->n * sizeof(*out));
	if (!out)
		return -ENOMEM;
	/* i6 walks the first family, i4 the others. */
	while (k < r->n) {
		while (i6 < r->n && r->v[i6].family != first)
			i6++;
		if (i6 < r->n)
			out[k++] = r->v[i6++];
		while (i4 < r->n && r->v[i4].family == first)
			i4++;
		if (i4 < r->n)
			out[k++] = r->v[i4++];
	}
	free(r->v);
	r->v = out;
	return 0;
}

static bool
same_addr(const struct skit_sockaddr *x, const struct skit_sockaddr *y)
{
	return x->len == y->len && x->type == y->type &&
	       memcmp(&x->ss, &y->ss, x->len) == 0;
}

/* Names and literals through getaddrinfo (or the hook). */
static int
resolve_inet(const struct skit_addr *a, int flags,
	     const struct skit_resolver *res, struct skit_resolved *out,
	     struct skit_err *err)
{
	bool passive =
		(flags & SKIT_OPEN_PASSIVE) || a->role == SKIT_ROLE_LISTEN;
	bool icmp = a->kind == SKIT_KIND_ICMP || a->kind == SKIT_KIND_IP;
	struct addrinfo hints, *ai = NULL, *p;
	struct skit_sockaddr sa;
	/*
	 * Literals and numeric mode use the real getaddrinfo with
	 * AI_NUMERICHOST: it never leaves the process, and a hook has no
	 * business answering for them.
	 */
	bool hook = res && res->getaddrinfo && !a->host_is_literal &&
		    !(flags & SKIT_OPEN_NUMERIC);
	char service[8];
	uint16_t port = 0;
	int g, r;

	r = port_number(a, a->type, &port, err);
	if (r < 0)
		return r;

	if (a->host[0] == '\0') {
		/*
		 * No host. Listening: one [::] socket that is dual-stack
		 * (see skit_sock_apply_opts) when IPv6 works, else 0.0.0.0.
		 * Connecting: the loopback addresses, like getaddrinfo with
		 * a NULL node.
		 */
		int fam = a->family;
		bool v6 = fam == AF_INET6 ||
			  (fam == AF_UNSPEC && skit__have_family(AF_INET6));

		base(&sa, a, AF_INET);
		if (passive) {
			if (v6 && fam != AF_INET)
				make_inet(&sa, AF_INET6, &in6addr_any, port);
			else {
				struct in_addr any = { htonl(INADDR_ANY) };

				make_inet(&sa, AF_INET, &any, port);
			}
			return push(out, &sa);
		}
		if (v6 && fam != AF_INET) {
			make_inet(&sa, AF_INET6, &in6addr_loopback, port);
			if ((r = push(out, &sa)) < 0)
				return r;
		}
		if (fam != AF_INET6) {
			struct in_addr lo = { htonl(INADDR_LOOPBACK) };

			base(&sa, a, AF_INET);
			make_inet(&sa, AF_INET, &lo, port);
			if ((r = push(out, &sa)) < 0)
				return r;
		}
		return 0;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = a->family;
	hints.ai_socktype = icmp ? 0 : a->type;
	hints.ai_flags = AI_NUMERICSERV;
	if (passive)
		hints.ai_flags |= AI_PASSIVE;
	if ((flags & SKIT_OPEN_NUMERIC) || a->host_is_literal)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	if (hook)
		g = res->getaddrinfo(res->data, a->host, service, &hints, &ai);
	else
		g = getaddrinfo(a->host, service, &hints, &ai);
	if (g != 0) {
		int code = skit_err_from_gai(g, errno);

		if ((flags & SKIT_OPEN_NUMERIC) && g == EAI_NONAME)
			return skit_err_setf(err, code, "resolve", a->host, 0,
					     "not a numeric address (name "
					     "lookups are off)");
		return skit_err_set(err, code, "resolve", a->host);
	}
	r = 0;
	for (p = ai; p && r == 0; p = p->ai_next) {
		bool dup = false;

		if (p->ai_family != AF_INET && p->ai_family != AF_INET6)
			continue;
		if (p->ai_addrlen > sizeof(sa.ss))
			continue;
		base(&sa, a, p->ai_family);
		memcpy(&sa.ss, p->ai_addr, p->ai_addrlen);
		sa.len = p->ai_addrlen;
		if (a->kind == SKIT_KIND_ICMP)
			sa.protocol = p->ai_family == AF_INET6 ? IPPROTO_ICMPV6
							       : IPPROTO_ICMP;
		else if (a->kind == SKIT_KIND_IP && !sa.protocol)
			sa.protocol = (int)skit_addr_num(a, SKIT_OPT_PROTO, 0);
		for (size_t i = 0; i < out->n && !dup; i++)
			dup = same_addr(&out->v[i], &sa);
		if (!dup)
			r = push(out, &sa);
	}
	if (hook && res->freeaddrinfo)
		res->freeaddrinfo(res->data, ai);
	else if (!hook)
		freeaddrinfo(ai);
	if (r < 0)
		return r;
	if (out->n == 0)
		return skit_err_set(err, SKIT_EAI_NODATA, "resolve", a->host);
	return interleave(out);
}

static int
resolve_unix(const struct skit_addr *a, struct skit_resolved *out,
	     struct skit_err *err)
{
	struct skit_sockaddr sa;
	int r;

	r = skit__unix_sockaddr(a->host, a->abstract,
				a->type ? a->type : default_type(a->kind), &sa);
	if (r == SKIT_ETOOLONG)
		return skit_err_setf(
			err, r, "resolve", a->host, 0,
			"unix path longer than %zu bytes",
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	if (r < 0)
		return skit_err_setf(err, r, "resolve", a->host, 0,
				     "empty unix path");
	return push(out, &sa);
}

static int
resolve_vsock(const struct skit_addr *a, int flags, struct skit_resolved *out)
{
	struct sockaddr_vm *vm;
	struct skit_sockaddr sa;

	base(&sa, a, AF_VSOCK);
	vm = (struct sockaddr_vm *)&sa.ss;
	vm->svm_family = AF_VSOCK;
	vm->svm_cid = a->vsock_cid;
	if ((flags & SKIT_OPEN_PASSIVE) && a->host[0] == '\0')
		vm->svm_cid = VMADDR_CID_ANY;
	vm->svm_port = a->vsock_port;
	/* Listening on port 0 means any free port, as with TCP: vsock's
	 * VMADDR_PORT_ANY (bind would take a literal port 0). */
	if ((flags & SKIT_OPEN_PASSIVE) && a->vsock_port == 0)
		vm->svm_port = VMADDR_PORT_ANY;
	sa.len = sizeof(*vm);
	return push(out, &sa);
}

static int
resolve_packet(const struct skit_addr *a, struct skit_resolved *out,
	       struct skit_err *err)
{
	uint16_t ethertype =
		(uint16_t)skit_addr_num(a, SKIT_OPT_ETHERTYPE, ETH_P_ALL);
	struct sockaddr_ll *ll;
	struct skit_sockaddr sa;
	unsigned idx = 0;

	if (a->host[0]) {
		idx = if_nametoindex(a->host);
		if (idx == 0)
			return skit_err_setf(err, -ENODEV, "resolve", a->host,
					     0, "no such interface '%s'",
					     a->host);
	}
	base(&sa, a, AF_PACKET);
	/* socket(AF_PACKET, ..., protocol) takes the ethertype too. */
	sa.protocol = htons(ethertype);
	ll = (struct sockaddr_ll *)&sa.ss;
	ll->sll_family = AF_PACKET;
	ll->sll_protocol = htons(ethertype);
	ll->sll_ifindex = (int)idx;
	sa.len = sizeof(*ll);
	return push(out, &sa);
}

static int
resolve_netlink(const struct skit_addr *a, struct skit_resolved *out)
{
	struct sockaddr_nl *nl;
	struct skit_sockaddr sa;

	base(&sa, a, AF_NETLINK);
	sa.protocol = a->netlink_proto;
	nl = (struct sockaddr_nl *)&sa.ss;
	nl->nl_family = AF_NETLINK;
	/* nl_pid 0: the kernel when connecting, "assign one" when bound. */
	nl->nl_pid = 0;
	sa.len = sizeof(*nl);
	return push(out, &sa);
}

/*
 * proxy=: what is connected to is the proxy (its name looked up here);
 * the target's name is the proxy's to resolve.
 */
static int
resolve_proxy(const struct skit_addr *a, int flags,
	      const struct skit_resolver *res, struct skit_resolved *out,
	      struct skit_err *err)
{
	struct skit_proxy p;
	struct skit_addr pa;
	int r;

	r = skit_proxy_parse(skit_addr_str(a, SKIT_OPT_PROXY), &p, err);
	if (r == 0)
		r = skit_proxy_addr(&p, a, &pa, err);
	if (r < 0)
		return r;
	return resolve_inet(&pa, flags, res, out, err);
}

int
skit_resolve(const struct skit_addr *a, int flags,
	     const struct skit_resolver *res, struct skit_resolved *out,
	     struct skit_err *err)
{
	int r;

	out->n = 0;
	out->v = NULL;
	if (a->role == SKIT_ROLE_LISTEN)
		flags |= SKIT_OPEN_PASSIVE;
	switch (a->kind) {
	case SKIT_KIND_TCP:
		if (skit_addr_has(a, SKIT_OPT_PROXY) &&
		    a->role != SKIT_ROLE_LISTEN) {
			r = resolve_proxy(a, flags, res, out, err);
			break;
		}
		__attribute__((fallthrough));
	case SKIT_KIND_UDP:
	case SKIT_KIND_ICMP:
	case SKIT_KIND_IP:
		r = resolve_inet(a, flags, res, out, err);
		break;
	case SKIT_KIND_UNIX:
	case SKIT_KIND_UNIX_DGRAM:
	case SKIT_KIND_UNIX_SEQPACKET:
		r = resolve_unix(a, out, err);
		break;
	case SKIT_KIND_VSOCK:
		r = resolve_vsock(a, flags, out);
		break;
	case SKIT_KIND_PACKET:
		r = resolve_packet(a, out, err);
		break;
	case SKIT_KIND_NETLINK:
		r = resolve_netlink(a, out);
		break;
	default:
		r = skit_err_setf(err, SKIT_EKIND, "resolve", a->kind_text, 0,
				  "'%s' is not a socket address", a->kind_text);
		break;
	}
	if (r == -ENOMEM)
		skit_err_set(err, r, "resolve", a->host);
	if (r < 0) {
		skit_resolved_free(out);
		return r;
	}
	return (int)out->n;
}
