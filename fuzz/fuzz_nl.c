/*
 * fuzz_nl.c - the NETLINK_ROUTE parser over arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
use(const struct skit_nl_event *ev, void *data)
{
	char buf[256];

	(void)data;
	if (ev->what == SKIT_NL_LINK) {
		skit_nl_flags_str(ev->u.link.flags, buf, sizeof(buf));
		skit_nl_operstate_name(ev->u.link.operstate);
		if (strlen(ev->u.link.name) >= sizeof(ev->u.link.name))
			abort();
	} else {
		skit_nl_scope_name(ev->u.addr.scope, buf, sizeof(buf));
		if (strlen(ev->u.addr.label) >= sizeof(ev->u.addr.label))
			abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	skit_nl_parse(copy, size, use, NULL);
	free(copy);
	return 0;
}
