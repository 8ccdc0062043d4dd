/*
 * nc_acl.c - --allow / --deny CIDR lists, checked right after accept()
 * (or per datagram sender).
 */
#include "cli.h"
#include "nc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int
nc_acl_add(struct nc_acl *acl, bool allow, const char *text)
{
	struct nc_cidr c = { 0 };
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t hl = slash ? (size_t)(slash - text) : strlen(text);
	struct nc_cidr **v = allow ? &acl->allow : &acl->deny;
	size_t *n = allow ? &acl->nallow : &acl->ndeny;
	struct nc_cidr *nv;
	int max;

	if (hl >= sizeof(buf))
		goto bad;
	memcpy(buf, text, hl);
	buf[hl] = '\0';
	if (inet_pton(AF_INET, buf, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	c.bits = max;
	if (slash) {
		long long bits;
		char *end;

		bits = strtoll(slash + 1, &end, 10);
		if (end == slash + 1 || *end || bits < 0 || bits > max)
			goto bad;
		c.bits = (int)bits;
	}
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	nv[(*n)++] = c;
	*v = nv;
	return 0;
bad:
	cli_errorf("--%s: '%s' is not an address or CIDR block (10.0.0.0/8, "
		   "::1, fe80::/10)",
		   allow ? "allow" : "deny", text);
	return CLI_EXIT_USAGE;
}

static bool
prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole))
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		return (a[whole] & mask) == (b[whole] & mask);
	}
	return true;
}

static bool
list_match(const struct nc_cidr *v, size_t n, int family,
	   const unsigned char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].family == family &&
		    prefix_match(v[i].addr, addr, v[i].bits))
			return true;
	return false;
}

bool
nc_acl_permits(const struct nc_acl *acl, const struct sockaddr *sa)
{
	unsigned char a4[4], a6[16];
	bool v4 = false, v6 = false, denied, allowed;

	if (sa->sa_family == AF_INET) {
		memcpy(a4, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		v4 = true;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;

		memcpy(a6, in6, 16);
		v6 = true;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			memcpy(a4, a6 + 12, 4);
			v4 = true;
		}
	} else {
		return true;
	}
	denied = (v4 && list_match(acl->deny, acl->ndeny, AF_INET, a4)) ||
		 (v6 && list_match(acl->deny, acl->ndeny, AF_INET6, a6));
	if (denied)
		return false;
	if (!acl->nallow)
		return true;
	allowed = (v4 && list_match(acl->allow, acl->nallow, AF_INET, a4)) ||
		  (v6 && list_match(acl->allow, acl->nallow, AF_INET6, a6));
	return allowed;
}

bool
nc_acl_empty(const struct nc_acl *acl)
{
	return !acl->nallow && !acl->ndeny;
}

void
nc_acl_free(struct nc_acl *acl)
{
	free(acl->allow);
	free(acl->deny);
	acl->allow = acl->deny = NULL;
	acl->nallow = acl->ndeny = 0;
}
