/*
 * fuzz_cidr.c - libFuzzer target for the CIDR parser (skit/acl.h), the
 * one behind range= and listen --allow/--deny.
 *
 * Any bytes are parsed as a CIDR block. Whatever parses must format to
 * text that parses back to the same block, and must match (or not) a
 * peer made of the same bytes without crashing; an acl holding it must
 * agree with the block on that peer.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skit/acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skit_cidr c, d;
	struct skit_acl acl = SKIT_ACL_INIT;
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	char buf[128];
	int n;

	if (skit_cidr_parse((const char *)data, size, &c) < 0)
		return 0;
	n = skit_cidr_format(&c, buf, sizeof(buf));
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    skit_cidr_parse(buf, (size_t)n, &d) < 0 ||
	    memcmp(&c, &d, sizeof(c)) != 0) {
		fprintf(stderr, "'%.*s' -> '%s' does not round-trip\n",
			(int)size, (const char *)data, buf);
		abort();
	}
	/* The block's own address is in it, as IPv4 or mapped. */
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	s4.sin_family = AF_INET;
	s6.sin6_family = AF_INET6;
	if (c.family == AF_INET) {
		memcpy(&s4.sin_addr, c.bytes, 4);
		s6.sin6_addr.s6_addr[10] = s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(s6.sin6_addr.s6_addr + 12, c.bytes, 4);
		if (!skit_cidr_match(&c, (struct sockaddr *)&s4))
			abort();
	} else {
		memcpy(&s6.sin6_addr, c.bytes, 16);
	}
	if (!skit_cidr_match(&c, (struct sockaddr *)&s6))
		abort();
	if (skit_acl_add_cidr(&acl, false, &c) < 0)
		return 0;
	if (skit_acl_permits(&acl, (struct sockaddr *)&s6))
		abort();
	skit_acl_free(&acl);
	return 0;
}
