/*
 * addr_cidr.c - CIDR blocks (skit/acl.h): the one parser and matcher,
 * pure, so that the address grammar (range=) and the acl lists
 * (src/net/acl.c) share them.
 */
#include "skit/acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int
skit_cidr_parse(const char *text, size_t n, struct skit_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash, *as = text;
	size_t an;
	int max, prefix;

	memset(out, 0, sizeof(*out));
	if (!text || memchr(text, '\0', n))
		return -EINVAL;
	slash = memchr(text, '/', n);
	an = slash ? (size_t)(slash - text) : n;
	if (an >= 2 && as[0] == '[' && as[an - 1] == ']') {
		as++;
		an -= 2;
	}
	if (an == 0 || an >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, as, an);
	buf[an] = '\0';
	if (as == text && inet_pton(AF_INET, buf, out->bytes) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->bytes) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	prefix = max;
	if (slash) {
		const char *p = slash + 1, *end = text + n;

		if (p == end || end - p > 3)
			goto bad;
		prefix = 0;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				goto bad;
			prefix = prefix * 10 + (*p - '0');
		}
		if (prefix > max)
			goto bad;
	}
	out->prefix = prefix;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int
skit_cidr_format(const struct skit_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!c || (c->family != AF_INET && c->family != AF_INET6) ||
	    !inet_ntop(c->family, c->bytes, a, sizeof(a)))
		return -EINVAL;
	return snprintf(buf, len, "%s/%d", a, c->prefix);
}

static bool
prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (a[whole] & mask) == (b[whole] & mask);
	}
	return true;
}

bool
skit_cidr_match(const struct skit_cidr *c, const struct sockaddr *sa)
{
	const uint8_t *a6;

	if (!c || !sa)
		return false;
	if (sa->sa_family == AF_INET)
		return c->family == AF_INET &&
		       prefix_equal(c->bytes,
				    (const uint8_t *)&(
					    (const struct sockaddr_in *)sa)
					    ->sin_addr,
				    c->prefix);
	if (sa->sa_family != AF_INET6)
		return false;
	a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	if (c->family == AF_INET6)
		return prefix_equal(c->bytes, a6, c->prefix);
	/* An IPv4-mapped peer (::ffff:a.b.c.d) matches IPv4 blocks. */
	return IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a6) &&
	       prefix_equal(c->bytes, a6 + 12, c->prefix);
}
