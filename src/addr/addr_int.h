/*
 * addr_int.h - internals shared by addr.c (parser), addr_table.c (kind
 * and option tables) and addr_format.c (formatters). Not installed.
 */
#ifndef SKIT_ADDR_INT_H
#define SKIT_ADDR_INT_H

#include "skit/addr.h"

/* What each kind is, indexed by enum skit_kind. */
struct skit__kind_info {
	const char *name; /* canonical name for the kind's default family */
	bool socket;	  /* a socket kind (takes -listen/-connect) */
	int family;	  /* default family (AF_UNSPEC for tcp/udp) */
	int type;	  /* socket type, 0 for non-socket kinds */
	const char *noun; /* "tcp", "unix" in "does not apply to %s" */
};

const struct skit__kind_info *skit__kind_info(enum skit_kind kind);

/* The canonical name for a kind and family: "tcp", "tcp6", "icmp6". */
const char *skit__kind_canon(enum skit_kind kind, int family);

/* Look a kind name up (case-insensitive, exact), NULL when unknown. */
const struct skit_kind_row *skit__kind_find(const char *name, size_t n);

/* The row of an option id. */
const struct skit_opt_row *skit__opt_row(enum skit_opt id);

/* Special handling an option name asks for. */
enum {
	SKIT__OPT_PLAIN = 0,
	SKIT__OPT_SOURCEPORT, /* socat sp=/sourceport=: the port of bind= */
};

struct skit__opt_alias {
	const char *name;
	enum skit_opt id;
	int special;
};

/* Look an option name or alias up (case-insensitive), NULL if unknown. */
const struct skit__opt_alias *skit__opt_find(const char *name, size_t n);

/*
 * The closest known name to s (a kind or an option), for "did you
 * mean" hints; NULL when nothing is close.
 */
const char *skit__kind_suggest(const char *s, size_t n);
const char *skit__opt_suggest(const char *s, size_t n);

/* Netlink families: name -> number (-1 unknown), number -> name/NULL. */
int skit__netlink_lookup(const char *s);
const char *skit__netlink_name(int proto);

/* IP protocol names ("gre" -> 47), -1 when unknown. */
int skit__ipproto_lookup(const char *s);

/* Edit distance of two short strings (case-insensitive). */
size_t skit__distance(const char *a, size_t an, const char *b, size_t bn);

#endif
