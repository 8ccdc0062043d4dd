/*
 * cli/ifaces/ifaces.h - what `skit ifaces` shares between its files:
 * interfaces and addresses (cmd_ifaces.c), routes and neighbours
 * (ifaces_route.c), printed as text like `ip` or as NDJSON with
 * `ip -j`'s field names.
 */
#ifndef SKIT_CLI_IFACES_H
#define SKIT_CLI_IFACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "skit/nl.h"

/* Interface index -> name: from the dump when there is one, else asked. */
struct ifaces_names {
	const struct skit_nl_link *links;
	size_t nlinks;
};
const char *ifaces_name(const struct ifaces_names *n, int index, char *buf,
			size_t len);

/* A link-layer address as "02:00:00:00:00:01" into buf; returns buf. */
char *ifaces_hex(const uint8_t *p, size_t n, char *buf, size_t len);

/*
 * A comma-separated list ("UP,LOWER_UP") as a JSON array of strings
 * into j under key.
 */
void ifaces_json_list(struct cli_json *j, const char *key, const char *list);

/*
 * One route or neighbour: text like one line of `ip route show table
 * all` / `ip neigh` (prefix before it, "" for none), or the fields of
 * `ip -j route` / `ip -j neigh` added to j.
 */
void ifaces_route_text(const struct ifaces_names *n,
		       const struct skit_nl_route *rt, const char *prefix);
void ifaces_route_json(struct cli_json *j, const struct ifaces_names *n,
		       const struct skit_nl_route *rt);
void ifaces_neigh_text(const struct ifaces_names *n,
		       const struct skit_nl_neigh *ne, const char *prefix);
void ifaces_neigh_json(struct cli_json *j, const struct ifaces_names *n,
		       const struct skit_nl_neigh *ne);

/*
 * What `ip route show table all` and `ip neigh` list: no cloned routes
 * (the route cache), no NOARP or NONE neighbours.
 */
bool ifaces_route_listed(const struct skit_nl_route *rt);
bool ifaces_neigh_listed(const struct skit_nl_neigh *ne);

#endif
