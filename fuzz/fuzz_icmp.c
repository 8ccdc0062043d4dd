/*
 * fuzz_icmp.c - the ICMP reply/error parser. The first byte picks the
 * family (bit 0: IPv6) and whether an IPv4 header leads (bit 1); the
 * rest is the message as a socket would return it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skit_icmp_msg m;
	uint16_t id, seq;
	int family;
	uint8_t *copy;

	if (size < 1)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	/* An exact-size heap copy, so any overread trips ASan. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	skit_icmp_parse(family, data[0] & 2, copy, size - 1, &m);
	if (m.cls == SKIT_ICMP_REPLY && m.datalen)
		(void)m.data[m.datalen - 1];
	skit_icmp_describe(family, m.type, m.code);
	skit_icmp_parse_quoted(family, copy, size - 1, &id, &seq);
	free(copy);
	return 0;
}
