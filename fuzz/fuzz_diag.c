/*
 * fuzz_diag.c - the NETLINK_SOCK_DIAG parser over arbitrary bytes. The
 * first byte picks the dump's kind (1 tcp ... 6 netlink; 0: the rest
 * is a /proc/net/raw line instead, and bit 7 makes it an IPv6 one).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "skit/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
use(const struct skit_diag_sock *s, void *data)
{
	(void)data;
	skit_diag_netid(s);
	skit_diag_state_name(s->state);
	if (s->name_len > sizeof(s->name) ||
	    strnlen(s->tcp.cong, sizeof(s->tcp.cong)) >= sizeof(s->tcp.cong))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	int kind;

	if (size < 1)
		return 0;
	kind = data[0] & 7;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (kind == 0) {
		struct skit_diag_sock s;

		copy[size - 1] = '\0';
		skit_diag_proc_line((char *)copy,
				    data[0] & 0x80 ? AF_INET6 : AF_INET, &s);
	} else if (kind <= 6) {
		skit_diag_parse(copy, size - 1, (enum skit_diag_kind)kind, use,
				NULL);
	}
	free(copy);
	return 0;
}
