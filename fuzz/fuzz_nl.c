/*
 * fuzz_nl.c - the NETLINK_ROUTE parser over arbitrary bytes (links,
 * addresses, routes, neighbours) and the names of what it found.
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
	switch (ev->what) {
	case SKIT_NL_LINK:
		skit_nl_flags_str(ev->u.link.flags, buf, sizeof(buf));
		skit_nl_operstate_name(ev->u.link.operstate);
		if (strlen(ev->u.link.name) >= sizeof(ev->u.link.name) ||
		    strlen(ev->u.link.qdisc) >= sizeof(ev->u.link.qdisc))
			abort();
		break;
	case SKIT_NL_ADDR:
		skit_nl_scope_name(ev->u.addr.scope, buf, sizeof(buf));
		skit_nl_ifa_flags_str(ev->u.addr.family, ev->u.addr.flags, buf,
				      16);
		if (strlen(ev->u.addr.label) >= sizeof(ev->u.addr.label))
			abort();
		break;
	case SKIT_NL_ROUTE:
		skit_nl_rtype_name(ev->u.route.type, buf, sizeof(buf));
		skit_nl_rtproto_name(ev->u.route.protocol, buf, sizeof(buf));
		skit_nl_table_name(ev->u.route.table, buf, sizeof(buf));
		skit_nl_rtflags_str(ev->u.route.flags, buf, 20);
		if (ev->u.route.nexthops < 0)
			abort();
		break;
	case SKIT_NL_NEIGH:
		skit_nl_nud_str(ev->u.neigh.state, buf, 12);
		if (ev->u.neigh.lladdr_len > sizeof(ev->u.neigh.lladdr))
			abort();
		break;
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
