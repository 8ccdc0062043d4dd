/*
 * addr.c - the address parser: text -> struct skit_addr (DESIGN.md
 * section 3, docs/addresses.md). Pure: no I/O, no DNS, no allocation,
 * so it is tested case by case and fuzzed (fuzz/fuzz_addr.c).
 *
 * The text is split on unescaped commas: the first piece is KIND[:TARGET],
 * the rest are options. Each piece is unescaped ("\," and "\\") into a
 * struct seg that remembers, for every byte, where it came from in the
 * text, so every error can point at its column.
 *
 * Longer than 800 lines on purpose: the host, port and name checks and
 * one target parser per kind are one grammar, read top to bottom; the
 * options are in addr_opt.c, the builder in addr_build.c.
 */
#include "addr/addr_int.h"
#include "skit/units.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#define UNIX_LIMIT (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define CID_ANY	   0xffffffffu
#define ETH_ALL	   0x0003 /* ETH_P_ALL */
#define NAME_LIMIT 253	  /* longest DNS name */

int
skit__addr_fail(struct pctx *p, int code, size_t pos, const char *fmt, ...)
{
	char detail[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return skit_err_setf(p->err, code, "bad address", p->text, (int)pos + 1,
			     "%s", detail);
}

/* Index of the next unescaped ',' at or after i, or len. */
static size_t
seg_end(const char *t, size_t i, size_t len)
{
	while (i < len && t[i] != ',') {
		if (t[i] == '\\' && i + 1 < len)
			i += 2;
		else
			i++;
	}
	return i;
}

/*
 * Unescape t[from, to) into sg: "\," is a comma, "\\" a backslash; any
 * other backslash stays as it is (so shell commands keep theirs).
 */
void
skit__seg_take(const char *t, size_t from, size_t to, struct seg *sg)
{
	size_t n = 0;

	for (size_t i = from; i < to; i++) {
		sg->map[n] = (int)i;
		if (t[i] == '\\' && i + 1 < to &&
		    (t[i + 1] == ',' || t[i + 1] == '\\'))
			i++;
		sg->s[n++] = t[i];
	}
	sg->map[n] = (int)to;
	sg->s[n] = '\0';
	sg->n = n;
}

void
skit__seg_raw(const char *s, size_t n, struct seg *sg)
{
	if (n > SKIT__SEG_MAX - 1)
		n = SKIT__SEG_MAX - 1;
	memcpy(sg->s, s, n);
	for (size_t i = 0; i <= n; i++)
		sg->map[i] = (int)i;
	sg->s[n] = '\0';
	sg->n = n;
}

/* A printable rendering of one byte for messages. */
const char *
skit__show_char(char c, char buf[8])
{
	if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
		snprintf(buf, 8, "\\x%02x", (unsigned char)c);
	else
		snprintf(buf, 8, "%c", c);
	return buf;
}

/* Copy s[0, n) into dst[SKIT_HOST_MAX], or fail with what it is. */
static int
put_host(struct pctx *p, const struct seg *sg, size_t from, size_t n,
	 const char *what, size_t limit)
{
	if (n > limit || n >= sizeof(p->a->host))
		return skit__addr_fail(
			p, SKIT_EADDR, (size_t)sg->map[from],
			"%s is %zu bytes; the limit is %zu", what, n,
			limit < sizeof(p->a->host) ? limit
						   : sizeof(p->a->host) - 1);
	memcpy(p->a->host, sg->s + from, n);
	p->a->host[n] = '\0';
	return 0;
}

/* --- host and port -------------------------------------------------- */

static bool
is_v6_literal(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	struct in6_addr in6;
	const char *pct;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	pct = strchr(buf, '%');
	if (pct)
		buf[pct - buf] = '\0';
	return inet_pton(AF_INET6, buf, &in6) == 1;
}

/*
 * Split HOST:PORT, [V6]:PORT, :PORT, HOST, [V6]. An unbracketed text
 * with several colons is an IPv6 literal without a port when
 * port_optional, else an error (it needs brackets).
 */
int
skit__split_hostport(struct pctx *p, const struct seg *sg, size_t from,
		     bool port_optional, int code, struct hostport *hp)
{
	const char *s = sg->s + from;
	size_t n = sg->n - from;
	const char *c, *rb;

	memset(hp, 0, sizeof(*hp));
	if (n > 0 && s[0] == '[') {
		rb = memchr(s, ']', n);
		if (!rb)
			return skit__addr_fail(
				p, code, (size_t)sg->map[sg->n],
				"missing ']' after the IPv6 address");
		hp->bracketed = true;
		hp->h0 = from + 1;
		hp->h1 = from + (size_t)(rb - s);
		if (hp->h1 + 1 == sg->n)
			return 0;
		if (sg->s[hp->h1 + 1] != ':') {
			char cb[8];

			return skit__addr_fail(
				p, code, (size_t)sg->map[hp->h1 + 1],
				"unexpected '%s' after ']' (expected "
				"':PORT')",
				skit__show_char(sg->s[hp->h1 + 1], cb));
		}
		hp->has_port = true;
		hp->p0 = hp->h1 + 2;
		hp->p1 = sg->n;
		return 0;
	}
	hp->h0 = from;
	c = n ? memrchr(s, ':', n) : NULL;
	if (!c) {
		hp->h1 = sg->n;
		return 0;
	}
	if (memchr(s, ':', (size_t)(c - s))) {
		if (port_optional && is_v6_literal(s, n)) {
			hp->h1 = sg->n;
			return 0;
		}
		return skit__addr_fail(p, code, (size_t)sg->map[from],
				       "an IPv6 address needs brackets, as in "
				       "[::1]:PORT");
	}
	hp->h1 = from + (size_t)(c - s);
	hp->has_port = true;
	hp->p0 = hp->h1 + 1;
	hp->p1 = sg->n;
	return 0;
}

/*
 * Check a host (name or literal) and report its literal family
 * (AF_UNSPEC for a name, for an empty host). family: the kind's
 * family, AF_UNSPEC for either. Writes it to out[SKIT_HOST_MAX].
 */
int
skit__check_host(struct pctx *p, const struct seg *sg,
		 const struct hostport *hp, int family, int code, char *out,
		 int *litfam)
{
	const char *s = sg->s + hp->h0;
	size_t n = hp->h1 - hp->h0;
	size_t pos = (size_t)sg->map[hp->h0];
	struct in_addr in4;
	char buf[SKIT_HOST_MAX];
	char cb[8];

	*litfam = AF_UNSPEC;
	if (n == 0) {
		if (hp->bracketed)
			return skit__addr_fail(p, code, pos,
					       "empty IPv6 address in '[]'");
		out[0] = '\0';
		return 0;
	}
	if (n > NAME_LIMIT)
		return skit__addr_fail(p, code, pos,
				       "host is %zu bytes; the limit is %d", n,
				       NAME_LIMIT);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (hp->bracketed || memchr(buf, ':', n)) {
		char *pct = strchr(buf, '%');
		struct in6_addr in6;

		if (pct)
			*pct = '\0';
		if (inet_pton(AF_INET6, buf, &in6) != 1) {
			if (!hp->bracketed)
				return skit__addr_fail(
					p, code, pos,
					"bad host '%s' (an IPv6 address "
					"goes in brackets: [::1]:PORT)",
					buf);
			return skit__addr_fail(p, code, pos,
					       "bad IPv6 address '%s'", buf);
		}
		if (pct) {
			const char *zone = pct + 1;
			size_t zn = strlen(zone);
			size_t zoff = hp->h0 + (size_t)(zone - buf);

			if (zn == 0)
				return skit__addr_fail(
					p, code, (size_t)sg->map[zoff - 1],
					"empty zone id after '%%'");
			if (zn >= IF_NAMESIZE)
				return skit__addr_fail(
					p, code, (size_t)sg->map[zoff],
					"zone id '%s' is too long (%d "
					"bytes at most)",
					zone, IF_NAMESIZE - 1);
			for (size_t i = 0; i < zn; i++) {
				char c = zone[i];

				if (skit__is_alpha(c) || skit__is_digit(c) ||
				    strchr("_.-", c))
					continue;
				return skit__addr_fail(
					p, code, (size_t)sg->map[zoff + i],
					"bad character '%s' in zone id",
					skit__show_char(c, cb));
			}
			*pct = '%';
		}
		*litfam = AF_INET6;
	} else if (inet_pton(AF_INET, buf, &in4) == 1) {
		*litfam = AF_INET;
	} else {
		bool numeric = true;

		for (size_t i = 0; i < n; i++) {
			if (!skit__is_digit(buf[i]) && buf[i] != '.')
				numeric = false;
			if (!skit__is_alpha(buf[i]) &&
			    !skit__is_digit(buf[i]) && !strchr("-._", buf[i]))
				return skit__addr_fail(
					p, code, (size_t)sg->map[hp->h0 + i],
					"bad character '%s' in host name",
					skit__show_char(buf[i], cb));
		}
		if (numeric)
			return skit__addr_fail(p, code, pos,
					       "bad IPv4 address '%s'", buf);
	}
	if (family == AF_INET && *litfam == AF_INET6)
		return skit__addr_fail(p, code, pos,
				       "%s needs an IPv4 address, not '%s'",
				       p->kname, buf);
	if (family == AF_INET6 && *litfam == AF_INET)
		return skit__addr_fail(p, code, pos,
				       "%s needs an IPv6 address, not '%s'",
				       p->kname, buf);
	memcpy(out, buf, n + 1);
	return 0;
}

/* A port: number, "LO-HI" range, or a service name. */
int
skit__check_port(struct pctx *p, const struct seg *sg, size_t p0, size_t p1,
		 bool allow0, bool allow_range, int code, struct port *out)
{
	const char *s = sg->s + p0;
	size_t n = p1 - p0;
	size_t pos = (size_t)sg->map[p0];
	unsigned long long v, w;
	const char *dash;
	char cb[8];

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return skit__addr_fail(p, code, pos, "missing port after ':'");
	if (n >= sizeof(out->text))
		return skit__addr_fail(p, code, pos,
				       "port '%.20s...' is too long", s);
	if (skit__all_digits(s, n)) {
		if (!skit__parse_u64(s, n, 65535, &v))
			return skit__addr_fail(
				p, code, pos,
				"port %.*s is out of range (1-65535)", (int)n,
				s);
		if (v == 0 && !allow0)
			return skit__addr_fail(
				p, code, pos,
				"port 0 is only valid when listening "
				"(a server binds port 0)");
		snprintf(out->text, sizeof(out->text), "%u", (unsigned)v);
		out->lo = out->hi = (uint16_t)v;
		return 0;
	}
	dash = memchr(s, '-', n);
	if (dash && skit__all_digits(s, (size_t)(dash - s)) &&
	    skit__all_digits(dash + 1, n - (size_t)(dash - s) - 1)) {
		size_t ln = (size_t)(dash - s);

		if (!allow_range)
			return skit__addr_fail(
				p, code, pos,
				"a port range ('%.*s') is only valid when "
				"connecting (nc -z)",
				(int)n, s);
		if (!skit__parse_u64(s, ln, 65535, &v) ||
		    !skit__parse_u64(dash + 1, n - ln - 1, 65535, &w) ||
		    v == 0 || w == 0)
			return skit__addr_fail(
				p, code, pos,
				"port range %.*s is out of range "
				"(1-65535)",
				(int)n, s);
		if (v > w)
			return skit__addr_fail(
				p, code, pos,
				"port range %.*s is backwards (low-high)",
				(int)n, s);
		snprintf(out->text, sizeof(out->text), "%u-%u", (unsigned)v,
			 (unsigned)w);
		out->lo = (uint16_t)v;
		out->hi = (uint16_t)w;
		out->range = true;
		return 0;
	}
	if (!skit__is_alpha(s[0]))
		return skit__addr_fail(
			p, code, pos,
			"bad port '%.*s' (a number 1-65535 or a service "
			"name)",
			(int)n, s);
	for (size_t i = 0; i < n; i++)
		if (!skit__is_alpha(s[i]) && !skit__is_digit(s[i]) &&
		    !strchr("-._+", s[i]))
			return skit__addr_fail(
				p, code, (size_t)sg->map[p0 + i],
				"bad character '%s' in port '%.*s'",
				skit__show_char(s[i], cb), (int)n, s);
	memcpy(out->text, s, n);
	out->text[n] = '\0';
	return 0;
}

/* --- targets, one parser per kind ----------------------------------- */

static int
target_inet(struct pctx *p, const struct seg *sg)
{
	struct skit_addr *a = p->a;
	struct hostport hp;
	struct port port;
	int rc, litfam;

	if (sg->n == 0)
		return skit__addr_fail(p, SKIT_EADDR, (size_t)sg->map[0],
				       a->role == SKIT_ROLE_LISTEN
					       ? "missing PORT after ':'"
					       : "missing HOST:PORT after ':'");
	/* netcat habit: a listening address may be just "PORT". */
	if (a->role == SKIT_ROLE_LISTEN && sg->s[0] != '[' &&
	    !memchr(sg->s, ':', sg->n) && !is_v6_literal(sg->s, sg->n) &&
	    !memchr(sg->s, '.', sg->n)) {
		rc = skit__check_port(p, sg, 0, sg->n, true, false, SKIT_EADDR,
				      &port);
		if (rc < 0)
			return rc;
		a->host[0] = '\0';
	} else {
		rc = skit__split_hostport(p, sg, 0, false, SKIT_EADDR, &hp);
		if (rc < 0)
			return rc;
		if (!hp.has_port)
			return skit__addr_fail(p, SKIT_EADDR,
					       (size_t)sg->map[sg->n],
					       "missing ':PORT'");
		rc = skit__check_host(p, sg, &hp, a->family, SKIT_EADDR,
				      a->host, &litfam);
		if (rc < 0)
			return rc;
		a->host_is_literal = litfam != AF_UNSPEC;
		rc = skit__check_port(
			p, sg, hp.p0, hp.p1, a->role != SKIT_ROLE_CONNECT,
			a->role == SKIT_ROLE_CONNECT, SKIT_EADDR, &port);
		if (rc < 0)
			return rc;
	}
	skit__put_port(a, &port);
	return 0;
}

void
skit__put_port(struct skit_addr *a, const struct port *port)
{
	memcpy(a->port, port->text, sizeof(a->port));
	a->port_lo = port->lo;
	a->port_hi = port->hi;
	a->port_is_range = port->range;
}

int
skit__check_unix_name(struct pctx *p, const struct seg *sg, size_t from,
		      bool abstract, int code)
{
	size_t n = sg->n - from;
	size_t pos = (size_t)sg->map[from];

	if (abstract && n == 0)
		return skit__addr_fail(p, code, pos,
				       "empty abstract socket name");
	if (!abstract && n == 0)
		return skit__addr_fail(p, code, pos,
				       "missing unix socket path");
	if (n > UNIX_LIMIT)
		return skit__addr_fail(p, code, pos,
				       "%s is %zu bytes; the limit is %zu",
				       abstract ? "abstract name" : "unix path",
				       n, UNIX_LIMIT);
	return 0;
}

static int
target_unix(struct pctx *p, const struct seg *sg)
{
	struct skit_addr *a = p->a;
	size_t from = 0;
	int rc;

	if (p->row->abstract) {
		a->abstract = true;
	} else if (sg->n > 0 && sg->s[0] == '@') {
		a->abstract = true;
		from = 1;
	}
	rc = skit__check_unix_name(p, sg, from, a->abstract, SKIT_EADDR);
	if (rc < 0)
		return rc;
	return put_host(p, sg, from, sg->n - from, "unix path", UNIX_LIMIT);
}

static int
target_vsock(struct pctx *p, const struct seg *sg)
{
	struct skit_addr *a = p->a;
	const char *c = memchr(sg->s, ':', sg->n);
	unsigned long long cid = CID_ANY, port;
	size_t p0 = 0;

	if (sg->n == 0)
		return skit__addr_fail(p, SKIT_EADDR, (size_t)sg->map[0],
				       "missing CID:PORT after ':'");
	if (c) {
		size_t cn = (size_t)(c - sg->s);

		if (cn > 0 && !skit__parse_u64(sg->s, cn, 0xffffffffu, &cid))
			return skit__addr_fail(
				p, SKIT_EADDR, (size_t)sg->map[0],
				"bad vsock CID '%.*s' (a number: 1 local, "
				"2 the host, 3+ a VM)",
				(int)cn, sg->s);
		p0 = cn + 1;
	} else if (a->role != SKIT_ROLE_LISTEN) {
		return skit__addr_fail(
			p, SKIT_EADDR, (size_t)sg->map[sg->n],
			"missing ':PORT' (vsock addresses are CID:PORT)");
	}
	if (!skit__parse_u64(sg->s + p0, sg->n - p0, 0xffffffffu, &port))
		return skit__addr_fail(
			p, SKIT_EADDR, (size_t)sg->map[p0],
			sg->n == p0 ? "missing port after ':'"
				    : "bad vsock port '%s' (a number)",
			sg->s + p0);
	a->vsock_cid = (uint32_t)cid;
	a->vsock_port = (uint32_t)port;
	if (cid == CID_ANY)
		a->host[0] = '\0';
	else
		snprintf(a->host, sizeof(a->host), "%llu", cid);
	snprintf(a->port, sizeof(a->port), "%llu", port);
	return 0;
}

/* HOST or [HOST] (icmp), and for ip also HOST:PROTO / [V6]:PROTO. */
static int
target_host(struct pctx *p, const struct seg *sg, int *proto)
{
	struct skit_addr *a = p->a;
	struct hostport hp;
	int rc, litfam;

	*proto = -1;
	if (sg->n == 0) {
		if (a->role == SKIT_ROLE_LISTEN)
			return 0;
		return skit__addr_fail(p, SKIT_EADDR, (size_t)sg->map[0],
				       "missing HOST after ':'");
	}
	rc = skit__split_hostport(p, sg, 0, true, SKIT_EADDR, &hp);
	if (rc < 0)
		return rc;
	if (hp.has_port) {
		const char *s = sg->s + hp.p0;
		size_t n = hp.p1 - hp.p0;
		unsigned long long v;
		char buf[32];

		if (a->kind != SKIT_KIND_IP)
			return skit__addr_fail(
				p, SKIT_EADDR, (size_t)sg->map[hp.h1],
				"%s addresses take no port", p->kname);
		if (n < sizeof(buf)) {
			memcpy(buf, s, n);
			buf[n] = '\0';
		} else {
			buf[0] = '\0';
		}
		if (skit__parse_u64(s, n, 255, &v) && v > 0)
			*proto = (int)v;
		else if ((*proto = skit__ipproto_lookup(buf)) < 0)
			return skit__addr_fail(
				p, SKIT_EADDR, (size_t)sg->map[hp.p0],
				"bad IP protocol '%.*s' (1-255 or a name "
				"like gre)",
				(int)n, s);
	}
	rc = skit__check_host(p, sg, &hp, a->family, SKIT_EADDR, a->host,
			      &litfam);
	if (rc < 0)
		return rc;
	if (a->host[0] == '\0' && a->role != SKIT_ROLE_LISTEN)
		return skit__addr_fail(p, SKIT_EADDR, (size_t)sg->map[0],
				       "missing HOST after ':'");
	a->host_is_literal = litfam != AF_UNSPEC;
	return 0;
}

int
skit__check_ifname(struct pctx *p, const struct seg *sg, size_t from, int code)
{
	size_t n = sg->n - from;
	char cb[8];

	if (n >= IF_NAMESIZE)
		return skit__addr_fail(
			p, code, (size_t)sg->map[from],
			"interface name '%s' is too long (%d bytes at "
			"most)",
			sg->s + from, IF_NAMESIZE - 1);
	if ((n == 1 && sg->s[from] == '.') ||
	    (n == 2 && sg->s[from] == '.' && sg->s[from + 1] == '.'))
		return skit__addr_fail(p, code, (size_t)sg->map[from],
				       "bad interface name '%s'", sg->s + from);
	for (size_t i = from; i < sg->n; i++) {
		unsigned char c = (unsigned char)sg->s[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == ',' ||
		    c == '\\')
			return skit__addr_fail(
				p, code, (size_t)sg->map[i],
				"bad character '%s' in interface name",
				skit__show_char((char)c, cb));
	}
	return 0;
}

static int
target_netlink(struct pctx *p, const struct seg *sg)
{
	struct skit_addr *a = p->a;
	unsigned long long v;
	const char *name;
	int proto;

	if (sg->n == 0)
		return skit__addr_fail(
			p, SKIT_EADDR, (size_t)sg->map[0],
			"missing netlink family (route, generic, ... or "
			"a number 0-31)");
	if (skit__all_digits(sg->s, sg->n)) {
		if (!skit__parse_u64(sg->s, sg->n, 31, &v))
			return skit__addr_fail(
				p, SKIT_EADDR, (size_t)sg->map[0],
				"netlink family %s is out of range (0-31)",
				sg->s);
		proto = (int)v;
	} else {
		proto = skit__netlink_lookup(sg->s);
		if (proto < 0)
			return skit__addr_fail(
				p, SKIT_EADDR, (size_t)sg->map[0],
				"unknown netlink family '%.40s' (route, "
				"generic, audit, ... or a number)",
				sg->s);
	}
	a->netlink_proto = proto;
	name = skit__netlink_name(proto);
	if (name)
		snprintf(a->host, sizeof(a->host), "%s", name);
	else
		snprintf(a->host, sizeof(a->host), "%d", proto);
	return 0;
}

static int
target_text(struct pctx *p, const struct seg *sg, bool optional,
	    const char *what)
{
	if (sg->n == 0 && !optional)
		return skit__addr_fail(p, SKIT_EADDR, (size_t)sg->map[0],
				       "missing %s after '%s:'", what,
				       p->kname);
	return put_host(p, sg, 0, sg->n, what, SKIT_HOST_MAX - 1);
}

int
skit__parse_target(struct pctx *p, const struct seg *sg, int *proto)
{
	struct skit_addr *a = p->a;
	int rc;

	*proto = -1;
	switch (a->kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
		return target_inet(p, sg);
	case SKIT_KIND_UNIX:
	case SKIT_KIND_UNIX_DGRAM:
	case SKIT_KIND_UNIX_SEQPACKET:
		return target_unix(p, sg);
	case SKIT_KIND_VSOCK:
		return target_vsock(p, sg);
	case SKIT_KIND_ICMP:
	case SKIT_KIND_IP:
		return target_host(p, sg, proto);
	case SKIT_KIND_PACKET:
		rc = skit__check_ifname(p, sg, 0, SKIT_EADDR);
		if (rc < 0)
			return rc;
		return put_host(p, sg, 0, sg->n, "interface name",
				IF_NAMESIZE - 1);
	case SKIT_KIND_NETLINK:
		return target_netlink(p, sg);
	case SKIT_KIND_STDIO:
		if (sg->n > 0)
			return skit__addr_fail(p, SKIT_EADDR,
					       (size_t)sg->map[0],
					       "'-' (stdio) takes no target");
		return 0;
	case SKIT_KIND_FILE:
		return target_text(p, sg, false, "file path");
	case SKIT_KIND_EXEC:
	case SKIT_KIND_SH:
		return target_text(p, sg, false, "command");
	case SKIT_KIND_PIPE:
		return target_text(p, sg, true, "pipe path");
	default:
		return skit__addr_fail(p, SKIT_EADDR, 0, "unknown kind");
	}
}

/* --- the kind ------------------------------------------------------- */

static int
find_kind(struct pctx *p, size_t k, enum skit_role *suffix_role)
{
	static const struct {
		const char *s;
		enum skit_role role;
	} sfx[] = { { "-listen", SKIT_ROLE_LISTEN },
		    { "-connect", SKIT_ROLE_CONNECT } };
	const char *t = p->text;
	const char *hint;

	*suffix_role = SKIT_ROLE_DEFAULT;
	p->row = skit__kind_find(t, k);
	if (p->row)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		size_t sl = strlen(sfx[i].s);
		const struct skit_kind_row *base;

		if (k <= sl || strncasecmp(t + k - sl, sfx[i].s, sl) != 0)
			continue;
		base = skit__kind_find(t, k - sl);
		if (base && base->role == SKIT_ROLE_DEFAULT &&
		    skit_kind_is_socket(base->kind)) {
			p->row = base;
			*suffix_role = sfx[i].role;
			return 0;
		}
		if (base && skit_kind_is_socket(base->kind))
			return skit__addr_fail(
				p, SKIT_EADDR, k - sl,
				"'%s' already implies a role; drop '%s'",
				base->name, sfx[i].s);
		if (base)
			return skit__addr_fail(
				p, SKIT_EADDR, k - sl,
				"'%s' takes no '%s' suffix (only socket "
				"kinds do)",
				base->name, sfx[i].s);
		hint = skit__kind_suggest(t, k - sl);
		if (hint)
			return skit__addr_fail(
				p, SKIT_EADDR, 0,
				"unknown kind '%.*s' (did you mean "
				"'%s%s'?)",
				(int)(k < 40 ? k : 40), t, hint, sfx[i].s);
	}
	for (size_t i = 0; i < k; i++)
		if (!skit__is_alpha(t[i]) && !skit__is_digit(t[i]) &&
		    t[i] != '-' && t[i] != '_')
			return skit__addr_fail(
				p, SKIT_EADDR, 0,
				"unknown kind '%.*s' (an address starts "
				"with a kind, as in tcp:HOST:PORT)",
				(int)(k < 40 ? k : 40), t);
	hint = skit__kind_suggest(t, k);
	if (hint)
		return skit__addr_fail(
			p, SKIT_EADDR, 0,
			"unknown kind '%.*s' (did you mean '%s'?)",
			(int)(k < 40 ? k : 40), t, hint);
	return skit__addr_fail(
		p, SKIT_EADDR, 0,
		"unknown kind '%.*s' (tcp, udp, unix, unix-dgram, "
		"unix-seqpacket, vsock, icmp, ip, packet, netlink, -, "
		"file, exec, sh, pipe)",
		(int)(k < 40 ? k : 40), t);
}

/* The target after a kind with no ':' at all. */
static const char *
target_hint(const struct pctx *p)
{
	switch (p->a->kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
		return p->a->role == SKIT_ROLE_LISTEN ? ":[HOST]:PORT"
						      : ":HOST:PORT";
	case SKIT_KIND_VSOCK:
		return p->a->role == SKIT_ROLE_LISTEN ? ":PORT" : ":CID:PORT";
	default:
		return NULL;
	}
}

void
skit__addr_protocol(struct skit_addr *a)
{
	switch (a->kind) {
	case SKIT_KIND_ICMP:
		a->protocol =
			a->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		break;
	case SKIT_KIND_IP:
		a->protocol = (int)a->opt[SKIT_OPT_PROTO].num;
		break;
	case SKIT_KIND_PACKET:
		a->protocol = htons((uint16_t)skit_addr_num(
			a, SKIT_OPT_ETHERTYPE, ETH_ALL));
		break;
	case SKIT_KIND_NETLINK:
		a->protocol = a->netlink_proto;
		break;
	default:
		break;
	}
}

/* --- tls:KIND:TARGET ------------------------------------------------ */

/* tls:unix:PATH, tls-listen:unix:@NAME, tls:vsock:CID:PORT (and tcp,
 * unix-seqpacket, unix-dgram, so that those say why they refuse): the
 * tls kinds over another stream kind are that address with ",tls".
 * tls-listen/tls-connect give the inner kind their role. Returns 1 with
 * the rewritten address in out, 0 if text is not of this form, or a
 * negative code. */
static int
tls_over(const char *text, char *out, size_t cap, struct skit_err *err)
{
	static const char *const outer[] = { "tls", "tls-connect",
					     "tls-listen" };
	static const char *const inner[] = { "unix",	   "unix-seqpacket",
					     "unix-dgram", "vsock",
					     "tcp",	   "tcp4",
					     "tcp6" };
	static const char *const sfx[] = { "", "-connect", "-listen" };
	size_t k = strcspn(text, ":,"), ik, bl;
	const char *in;
	int o = -1, s = -1, n;

	for (size_t i = 0; i < 3; i++)
		if (strlen(outer[i]) == k && !strncasecmp(text, outer[i], k))
			o = (int)i;
	if (o < 0 || text[k] != ':')
		return 0;
	in = text + k + 1;
	ik = strcspn(in, ":,");
	if (in[ik] != ':')
		return 0;
	for (size_t i = 0; s < 0 && i < sizeof(inner) / sizeof(inner[0]); i++) {
		bl = strlen(inner[i]);
		if (ik < bl || strncasecmp(in, inner[i], bl))
			continue;
		for (size_t j = 0; j < 3; j++)
			if (ik - bl == strlen(sfx[j]) &&
			    !strncasecmp(in + bl, sfx[j], ik - bl)) {
				s = (int)j;
				break;
			}
	}
	if (s < 0)
		return 0;
	if (o > 0 && s > 0 && o != s)
		return skit_err_setf(err, SKIT_EADDR, "bad address", text,
				     (int)k + 2,
				     "'%s' and '%.*s' want two roles", outer[o],
				     (int)ik, in);
	n = snprintf(out, cap, "%.*s%s%s,tls", (int)ik, in, s > 0 ? "" : sfx[o],
		     in + ik);
	if (n < 0 || (size_t)n >= cap)
		return skit_err_setf(err, SKIT_EADDR, "bad address", text, 0,
				     "address is longer than %d bytes",
				     SKIT_ADDR_TEXT_MAX);
	return 1;
}

/*
 * ws://HOST[:PORT][/PATH][?QUERY][,OPTIONS] is written
 * ws:HOST:PORT,path=/PATH?QUERY,OPTIONS (port 80 by default), and
 * wss://... wss:... (port 443): 1 with that in out, 0 when text is not
 * such a URL, or SKIT_EADDR.
 */
static int
ws_url(struct pctx *p, char *out, size_t cap)
{
	const char *t = p->text, *hp, *ue, *pe, *kind;
	size_t i, hl;
	bool port = false;
	int n;

	if (strncasecmp(t, "ws://", 5) == 0)
		kind = "ws";
	else if (strncasecmp(t, "wss://", 6) == 0)
		kind = "wss";
	else
		return 0;
	hp = t + strlen(kind) + 3;
	/* the URL ends at the first unescaped ',' */
	for (i = 0; hp[i] && hp[i] != ','; i++)
		if (hp[i] == '\\' && hp[i + 1])
			i++;
	ue = hp + i;
	pe = hp;
	while (pe < ue && *pe != '/' && *pe != '?')
		pe++;
	hl = (size_t)(pe - hp);
	if (hl == 0)
		return skit__addr_fail(p, SKIT_EADDR, (size_t)(hp - t),
				       "missing host after '%s://'", kind);
	/* a port after the host ("h:1", "[::1]:1"), not inside "[::1]" */
	for (i = hl; i > 0; i--) {
		if (hp[i - 1] == ']')
			break;
		if (hp[i - 1] == ':') {
			port = true;
			break;
		}
	}
	n = snprintf(out, cap, "%s:%.*s%s,path=%s%.*s%s", kind, (int)hl, hp,
		     port      ? ""
		     : kind[2] ? ":443"
			       : ":80",
		     pe < ue && *pe == '?' ? "/" : "", (int)(ue - pe), pe, ue);
	if (pe == ue)
		n = snprintf(out, cap, "%s:%.*s%s%s", kind, (int)hl, hp,
			     port      ? ""
			     : kind[2] ? ":443"
				       : ":80",
			     ue);
	if (n < 0 || (size_t)n >= cap)
		return skit__addr_fail(p, SKIT_EADDR, 0,
				       "address is longer than %d bytes",
				       SKIT_ADDR_TEXT_MAX);
	return 1;
}

int
skit_addr_parse(const char *text, enum skit_role default_role,
		struct skit_addr *out, struct skit_err *err)
{
	struct pctx p;
	struct skit_addr *a = out;
	const struct skit__kind_info *ki;
	enum skit_role sfx_role;
	struct optstate st;
	struct seg target;
	size_t len, k, tend;
	int rc, proto = -1;

	memset(out, 0, sizeof(*out));
	out->strbuf_used = 1;
	memset(&p, 0, sizeof(p));
	memset(&st, 0, sizeof(st));
	p.text = text ? text : "";
	p.a = a;
	p.err = err;
	p.kname = "";
	skit_err_clear(err);
	if (!text || !text[0])
		return skit__addr_fail(
			&p, SKIT_EADDR, 0,
			"empty address (expected KIND:TARGET, as in "
			"tcp:HOST:PORT)");
	len = strnlen(text, SKIT_ADDR_TEXT_MAX + 1);
	if (len > SKIT_ADDR_TEXT_MAX)
		return skit__addr_fail(&p, SKIT_EADDR, SKIT_ADDR_TEXT_MAX,
				       "address is longer than %d bytes",
				       SKIT_ADDR_TEXT_MAX);
	p.len = len;
	{
		char rw[SKIT_ADDR_TEXT_MAX + 1];

		rc = ws_url(&p, rw, sizeof(rw));
		if (rc != 0)
			return rc < 0 ? rc
				      : skit_addr_parse(rw, default_role, out,
							err);
		rc = skit__addr_socat_proxy(text, rw, sizeof(rw), err);
		if (rc == 0)
			rc = tls_over(text, rw, sizeof(rw), err);
		if (rc != 0)
			return rc < 0 ? rc
				      : skit_addr_parse(rw, default_role, out,
							err);
	}

	k = 0;
	while (k < len && text[k] != ':' && text[k] != ',')
		k++;
	if (k == 0)
		return skit__addr_fail(
			&p, SKIT_EADDR, 0,
			"missing kind before '%c' (as in tcp:HOST:PORT)",
			text[0]);
	rc = find_kind(&p, k, &sfx_role);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	ki = skit__kind_info(p.row->kind);
	a->kind = p.row->kind;
	a->family = p.row->family;
	a->type = p.row->type ? p.row->type : ki->type;
	a->protocol = 0;
	snprintf(a->kind_text, sizeof(a->kind_text), "%.*s",
		 (int)(k < sizeof(a->kind_text) - 1 ? k
						    : sizeof(a->kind_text) - 1),
		 text);
	if (!ki->socket)
		a->role = SKIT_ROLE_DEFAULT;
	else if (p.row->role != SKIT_ROLE_DEFAULT)
		a->role = p.row->role;
	else if (sfx_role != SKIT_ROLE_DEFAULT)
		a->role = sfx_role;
	else
		a->role = default_role;
	p.kname = skit__kind_canon(a->kind, a->family);
	if (a->kind == SKIT_KIND_VSOCK)
		a->vsock_cid = CID_ANY;

	/* The target. */
	if (k < len && text[k] == ':') {
		tend = seg_end(text, k + 1, len);
		skit__seg_take(text, k + 1, tend, &target);
	} else {
		tend = k;
		if (a->kind != SKIT_KIND_STDIO && a->kind != SKIT_KIND_PIPE &&
		    a->kind != SKIT_KIND_PACKET) {
			const char *h = target_hint(&p);

			rc = h ? skit__addr_fail(&p, SKIT_EADDR, k,
						 "missing '%s'", h)
			       : skit__addr_fail(&p, SKIT_EADDR, k,
						 "missing ':%s' after '%.*s'",
						 p.row->target, (int)k, text);
			memset(out, 0, sizeof(*out));
			return rc;
		}
		target.n = 0;
		target.s[0] = '\0';
		target.map[0] = (int)k;
	}
	rc = skit__parse_target(&p, &target, &proto);

	/* Options: implied ones first, so written ones override them. */
	for (int i = 0; rc == 0 && i < SKIT_OPT__COUNT; i++)
		if (p.row->implies & SKIT_OPT_MASK_BIT(i)) {
			a->opt[i].set = true;
			a->opt[i].num = 1;
		}
	for (size_t i = tend; rc == 0 && i < len;) {
		size_t e = seg_end(text, i + 1, len);

		rc = skit__parse_option(&p, i + 1, e, &st);
		i = e;
	}
	if (rc == 0 && st.sp_set)
		rc = skit__merge_sourceport(&p, &st);
	if (rc == 0 && a->kind == SKIT_KIND_IP) {
		if (proto > 0 && skit_addr_has(a, SKIT_OPT_PROTO) &&
		    a->opt[SKIT_OPT_PROTO].num != proto)
			rc = skit__addr_fail(
				&p, SKIT_EOPTION, k,
				"protocol given twice (in the target and "
				"in proto=)");
		else if (proto > 0) {
			a->opt[SKIT_OPT_PROTO].set = true;
			a->opt[SKIT_OPT_PROTO].num = proto;
		} else if (!skit_addr_has(a, SKIT_OPT_PROTO))
			rc = skit__addr_fail(
				&p, SKIT_EOPTION, len,
				"%s addresses need proto=N (the IP "
				"protocol, e.g. proto=47)",
				p.kname);
	}
	if (rc == 0 && !skit_addr_has(a, SKIT_OPT_TLS)) {
		for (int i = SKIT_OPT_VERIFY; i <= SKIT_OPT_KTLS; i++)
			if (a->opt[i].set) {
				rc = skit__addr_fail(&p, SKIT_EOPTION, k,
						     "%s= needs tls (add ,tls)",
						     skit_opt_name(i));
				break;
			}
	}
	if (rc == 0 && !skit_addr_has(a, SKIT_OPT_WS)) {
		for (int i = SKIT_OPT_WS_PATH; i <= SKIT_OPT_WS_MODE; i++)
			if (a->opt[i].set) {
				rc = skit__addr_fail(&p, SKIT_EOPTION, k,
						     "%s= needs ws (add ,ws)",
						     skit_opt_name(i));
				break;
			}
	}
	if (rc == 0 && skit_addr_has(a, SKIT_OPT_WS_MODE)) {
		const char *m = skit_addr_str(a, SKIT_OPT_WS_MODE);

		if (strcmp(m, "text") && strcmp(m, "binary") &&
		    strcmp(m, "raw"))
			rc = skit__addr_fail(&p, SKIT_EOPTION, k,
					     "ws-mode= is text, binary or "
					     "raw, not '%s'",
					     m);
	}
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}

	skit__addr_protocol(a);
	return 0;
}
