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
/*
 * socat's SOCKS4:, SOCKS4A:, SOCKS5:, SOCKS5-CONNECT:, PROXY: and
 * PROXY-CONNECT: rewritten as tcp-connect:...,proxy=URL into out
 * (addr_proxy.c): 1 when rewritten, 0 when text is not one of them, or
 * SKIT_EADDR with err.
 */
int skit__addr_socat_proxy(const char *text, char *out, size_t cap,
			   struct skit_err *err);

int skit__netlink_lookup(const char *s);
const char *skit__netlink_name(int proto);

/* IP protocol names ("gre" -> 47), -1 when unknown. */
int skit__ipproto_lookup(const char *s);

/* Edit distance of two short strings (case-insensitive). */
size_t skit__distance(const char *a, size_t an, const char *b, size_t bn);

/* --- the parser's pieces, shared by addr.c (text, targets), addr_opt.c
 * (options) and addr_build.c (the builder): one implementation of each
 * check, whichever way an address is made. ------------------------- */

#define SKIT__SEG_MAX (SKIT_ADDR_TEXT_MAX + 1)

/* One unescaped piece of the text, with each byte's column. */
struct seg {
	size_t n;
	int map[SKIT__SEG_MAX + 1]; /* map[i]: index in the text of s[i] */
	char s[SKIT__SEG_MAX];
};

/* What a parse (or one builder call) works on. */
struct pctx {
	const char *text; /* the subject of error messages */
	size_t len;
	struct skit_addr *a;
	struct skit_err *err;
	const struct skit_kind_row *row; /* NULL in the builder */
	const char *kname;		 /* canonical kind name, for messages */
};

/* HOST:PORT split into sg->s offsets. */
struct hostport {
	size_t h0, h1; /* host in sg->s, brackets excluded */
	size_t p0, p1; /* port in sg->s */
	bool has_port;
	bool bracketed;
};

struct port {
	char text[32];
	uint16_t lo, hi;
	bool range;
};

/* Option state that spans options (socat's sp= joins bind=). */
struct optstate {
	bool sp_set;
	unsigned sp;
	size_t sp_pos;
};

static inline bool
skit__is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
skit__is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
skit__all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!skit__is_digit(s[i]))
			return false;
	return true;
}

/*
 * Decimal digits to a number no larger than max; false on anything
 * else (empty, junk, too large).
 */
static inline bool
skit__parse_u64(const char *s, size_t n, unsigned long long max,
		unsigned long long *out)
{
	unsigned long long v = 0;

	if (!skit__all_digits(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* Fill p->err (op "bad address", subject p->text, column pos + 1). */
int skit__addr_fail(struct pctx *p, int code, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Unescape t[from, to) into sg ("\," and "\\"). */
void skit__seg_take(const char *t, size_t from, size_t to, struct seg *sg);

/* sg = n raw bytes of s (no unescaping), columns 0..n-1. */
void skit__seg_raw(const char *s, size_t n, struct seg *sg);

/* A printable rendering of one byte for messages. */
const char *skit__show_char(char c, char buf[8]);

int skit__split_hostport(struct pctx *p, const struct seg *sg, size_t from,
			 bool port_optional, int code, struct hostport *hp);
int skit__check_host(struct pctx *p, const struct seg *sg,
		     const struct hostport *hp, int family, int code, char *out,
		     int *litfam);
int skit__check_port(struct pctx *p, const struct seg *sg, size_t p0, size_t p1,
		     bool allow0, bool allow_range, int code, struct port *out);
int skit__check_unix_name(struct pctx *p, const struct seg *sg, size_t from,
			  bool abstract, int code);
int skit__check_ifname(struct pctx *p, const struct seg *sg, size_t from,
		       int code);

/* Store a checked port (text, number or range) in a. */
void skit__put_port(struct skit_addr *a, const struct port *port);

/* The target after "KIND:" for p->a's kind; *proto: ip's ":PROTO". */
int skit__parse_target(struct pctx *p, const struct seg *sg, int *proto);

/* One option, text[s0, e) = "NAME[=VALUE]" (addr_opt.c). */
int skit__parse_option(struct pctx *p, size_t s0, size_t e,
		       struct optstate *st);

/* After the options: sp=PORT joins bind= (addr_opt.c). */
int skit__merge_sourceport(struct pctx *p, const struct optstate *st);

/* socket()'s protocol from the kind and options (proto=, ethertype=). */
void skit__addr_protocol(struct skit_addr *a);

#endif
