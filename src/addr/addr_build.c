/*
 * addr_build.c - the address builder (addr.h, "the builder"): make or
 * change a struct skit_addr field by field, through the parser's own
 * checks (addr.c for targets, addr_opt.c for options), so a built
 * address equals the parsed one. Also skit_addr_check(), the per-command
 * applicability of options.
 */
#include "addr/addr_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CID_ANY 0xffffffffu

/* The kind's own row (skit's name, no implied role or option). */
static const struct skit_kind_row *
kind_row(enum skit_kind kind)
{
	size_t n;
	const struct skit_kind_row *r = skit_addr_kinds(&n);

	for (size_t i = 0; i < n; i++)
		if (r[i].kind == kind && !r[i].socat_alias)
			return &r[i];
	return &r[0];
}

static void
ctx(struct pctx *p, struct skit_addr *a, const char *text, struct skit_err *err)
{
	memset(p, 0, sizeof(*p));
	p->text = text;
	p->len = strlen(text);
	p->a = a;
	p->err = err;
	p->row = kind_row(a->kind);
	p->kname = skit__kind_canon(a->kind, a->family);
	skit_err_clear(err);
}

static bool
valid(const struct skit_addr *a)
{
	return (int)a->kind > SKIT_KIND_NONE && a->kind < SKIT_KIND__COUNT;
}

int
skit_addr_init(struct skit_addr *a, enum skit_kind kind, enum skit_role role)
{
	const struct skit__kind_info *ki;

	memset(a, 0, sizeof(*a));
	if ((int)kind <= SKIT_KIND_NONE || kind >= SKIT_KIND__COUNT ||
	    (int)role < SKIT_ROLE_DEFAULT || role > SKIT_ROLE_LISTEN)
		return -EINVAL;
	ki = skit__kind_info(kind);
	a->kind = kind;
	a->role = ki->socket ? role : SKIT_ROLE_DEFAULT;
	a->family = ki->family;
	a->type = ki->type;
	a->strbuf_used = 1;
	if (kind == SKIT_KIND_VSOCK)
		a->vsock_cid = CID_ANY;
	snprintf(a->kind_text, sizeof(a->kind_text), "%s",
		 skit__kind_canon(kind, a->family));
	skit__addr_protocol(a);
	return 0;
}

static int
not_built(struct skit_err *err)
{
	return skit_err_setf(err, -EINVAL, "bad address", "", 0,
			     "the address was not made by skit_addr_init or "
			     "skit_addr_parse");
}

static int
wrong_kind(struct pctx *p, const char *what, const char *instead)
{
	return skit_err_setf(p->err, SKIT_EKIND, "bad address", p->text, 0,
			     "%s addresses have no %s (use %s)", p->kname, what,
			     instead);
}

/* Forget the target, so a new one is parsed onto a clean slate. */
static void
clear_target(struct skit_addr *a)
{
	memset(a->host, 0, sizeof(a->host));
	memset(a->port, 0, sizeof(a->port));
	a->port_lo = a->port_hi = 0;
	a->port_is_range = false;
	a->abstract = false;
	a->host_is_literal = false;
	a->vsock_cid = a->kind == SKIT_KIND_VSOCK ? CID_ANY : 0;
	a->vsock_port = 0;
	a->netlink_proto = 0;
}

/*
 * The start of a setter that takes a value text: a made address, the
 * context for messages about the value (NULL is ""), and the value as
 * a segment. Returns 0 or the error.
 */
static int
begin(struct pctx *p, struct skit_addr *a, const char **value, const char *what,
      struct seg *sg, struct skit_err *err)
{
	if (!valid(a))
		return not_built(err);
	if (!*value)
		*value = "";
	ctx(p, a, *value, err);
	if (p->len >= SKIT__SEG_MAX)
		return skit__addr_fail(p, SKIT_EADDR, 0,
				       "%s is longer than %d bytes", what,
				       SKIT__SEG_MAX - 1);
	skit__seg_raw(*value, p->len, sg);
	return 0;
}

int
skit_addr_set_target(struct skit_addr *a, const char *target,
		     struct skit_err *err)
{
	struct skit_addr save;
	struct pctx p;
	struct seg sg;
	int rc, proto;

	rc = begin(&p, a, &target, "target", &sg, err);
	if (rc < 0)
		return rc;
	save = *a;
	clear_target(a);
	rc = skit__parse_target(&p, &sg, &proto);
	if (rc == 0 && a->kind == SKIT_KIND_IP && proto > 0) {
		if (skit_addr_has(a, SKIT_OPT_PROTO) &&
		    a->opt[SKIT_OPT_PROTO].num != proto) {
			rc = skit__addr_fail(&p, SKIT_EOPTION, 0,
					     "protocol given twice (in the "
					     "target and in proto=)");
		} else {
			a->opt[SKIT_OPT_PROTO].set = true;
			a->opt[SKIT_OPT_PROTO].num = proto;
		}
	}
	if (rc < 0) {
		*a = save;
		return rc;
	}
	skit__addr_protocol(a);
	return 0;
}

int
skit_addr_set_path(struct skit_addr *a, const char *path, struct skit_err *err)
{
	struct pctx p;

	if (!valid(a))
		return not_built(err);
	switch (a->kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
	case SKIT_KIND_ICMP:
	case SKIT_KIND_IP:
	case SKIT_KIND_VSOCK:
		ctx(&p, a, path ? path : "", err);
		return wrong_kind(&p, "path", "skit_addr_set_host");
	default:
		return skit_addr_set_target(a, path, err);
	}
}

int
skit_addr_set_host(struct skit_addr *a, const char *host, struct skit_err *err)
{
	unsigned long long cid;
	struct hostport hp;
	struct pctx p;
	struct seg sg;
	char out[SKIT_HOST_MAX];
	int rc, litfam;

	rc = begin(&p, a, &host, "host", &sg, err);
	if (rc < 0)
		return rc;
	switch (a->kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
	case SKIT_KIND_ICMP:
	case SKIT_KIND_IP:
		break;
	case SKIT_KIND_VSOCK:
		if (p.len == 0) {
			a->vsock_cid = CID_ANY;
			memset(a->host, 0, sizeof(a->host));
			return 0;
		}
		if (!skit__parse_u64(host, p.len, 0xffffffffu, &cid) ||
		    cid == CID_ANY)
			return skit__addr_fail(&p, SKIT_EADDR, 0,
					       "bad vsock CID '%.40s' (a "
					       "number: 1 local, 2 the host, "
					       "3+ a VM)",
					       host);
		a->vsock_cid = (uint32_t)cid;
		memset(a->host, 0, sizeof(a->host));
		snprintf(a->host, sizeof(a->host), "%llu", cid);
		return 0;
	default:
		return wrong_kind(&p, "host", "skit_addr_set_path");
	}
	memset(&hp, 0, sizeof(hp));
	hp.h1 = sg.n;
	if (sg.n >= 2 && sg.s[0] == '[' && sg.s[sg.n - 1] == ']') {
		hp.bracketed = true;
		hp.h0 = 1;
		hp.h1 = sg.n - 1;
	}
	rc = skit__check_host(&p, &sg, &hp, a->family, SKIT_EADDR, out,
			      &litfam);
	if (rc < 0)
		return rc;
	if (out[0] == '\0' &&
	    (a->kind == SKIT_KIND_ICMP || a->kind == SKIT_KIND_IP) &&
	    a->role != SKIT_ROLE_LISTEN)
		return skit__addr_fail(&p, SKIT_EADDR, 0, "missing HOST");
	memset(a->host, 0, sizeof(a->host));
	memcpy(a->host, out, strlen(out) + 1);
	a->host_is_literal = litfam != AF_UNSPEC;
	return 0;
}

int
skit_addr_set_port(struct skit_addr *a, const char *port, struct skit_err *err)
{
	unsigned long long v;
	struct port pt;
	struct pctx p;
	struct seg sg;
	int rc;

	rc = begin(&p, a, &port, "port", &sg, err);
	if (rc < 0)
		return rc;
	switch (a->kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
		rc = skit__check_port(
			&p, &sg, 0, sg.n, a->role != SKIT_ROLE_CONNECT,
			a->role == SKIT_ROLE_CONNECT, SKIT_EADDR, &pt);
		if (rc < 0)
			return rc;
		skit__put_port(a, &pt);
		return 0;
	case SKIT_KIND_VSOCK:
		if (!skit__parse_u64(port, p.len, 0xffffffffu, &v))
			return skit__addr_fail(&p, SKIT_EADDR, 0,
					       "bad vsock port '%.40s' (a "
					       "number)",
					       port);
		a->vsock_port = (uint32_t)v;
		snprintf(a->port, sizeof(a->port), "%llu", v);
		return 0;
	default:
		return wrong_kind(&p, "port", "skit_addr_set_path");
	}
}

int
skit_addr_set_port_num(struct skit_addr *a, unsigned port, struct skit_err *err)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", port);
	return skit_addr_set_port(a, buf, err);
}

/* The family a literal host (or bind= host) is written in. */
static int
literal_family(const char *host, bool literal)
{
	if (!literal || !host[0])
		return AF_UNSPEC;
	return strchr(host, ':') ? AF_INET6 : AF_INET;
}

int
skit_addr_set_family(struct skit_addr *a, int family, struct skit_err *err)
{
	const struct skit__kind_info *ki;
	int lit, blit;
	bool ok;
	struct pctx p;

	if (!valid(a))
		return not_built(err);
	ki = skit__kind_info(a->kind);
	ctx(&p, a, a->host, err);
	switch (a->kind) {
	case SKIT_KIND_TCP:
	case SKIT_KIND_UDP:
		ok = family == AF_UNSPEC || family == AF_INET ||
		     family == AF_INET6;
		break;
	case SKIT_KIND_ICMP:
	case SKIT_KIND_IP:
		ok = family == AF_INET || family == AF_INET6;
		break;
	default:
		ok = family == ki->family;
		break;
	}
	if (!ok)
		return skit_err_setf(err, SKIT_EKIND, "bad address", p.kname, 0,
				     "%s addresses cannot be of family %d",
				     p.kname, family);
	lit = literal_family(a->host, a->host_is_literal);
	blit = skit_addr_get_bind(a) ? a->bind.family : AF_UNSPEC;
	if (family != AF_UNSPEC &&
	    ((lit && lit != family) || (blit && blit != family)))
		return skit__addr_fail(
			&p, SKIT_EADDR, 0, "%s needs an %s address, not '%s'",
			skit__kind_canon(a->kind, family),
			family == AF_INET ? "IPv4" : "IPv6",
			lit && lit != family ? a->host : a->bind.host);
	a->family = family;
	snprintf(a->kind_text, sizeof(a->kind_text), "%s",
		 skit__kind_canon(a->kind, family));
	skit__addr_protocol(a);
	return 0;
}

int
skit_addr_set_role(struct skit_addr *a, enum skit_role role,
		   struct skit_err *err)
{
	char text[SKIT_ADDR_TEXT_MAX + 1];

	if (!valid(a))
		return not_built(err);
	skit_err_clear(err);
	if ((int)role < SKIT_ROLE_DEFAULT || role > SKIT_ROLE_LISTEN)
		return skit_err_setf(err, -EINVAL, "bad address", "", 0,
				     "no such role");
	if (!skit_kind_is_socket(a->kind)) {
		if (role == SKIT_ROLE_DEFAULT)
			return 0;
		skit_addr_format(a, text, sizeof(text));
		return skit_err_setf(err, SKIT_EKIND, "bad address", text, 0,
				     "%s addresses neither connect nor listen",
				     skit_kind_name(a->kind));
	}
	for (int i = 0; role != SKIT_ROLE_DEFAULT && i < SKIT_OPT__COUNT; i++) {
		const struct skit_opt_row *row = skit__opt_row(i);

		if (!a->opt[i].set || !row->roles ||
		    (row->roles & (1u << role)))
			continue;
		skit_addr_format(a, text, sizeof(text));
		return skit_err_setf(err, SKIT_EOPTION, "bad address", text, 0,
				     "option '%s' applies only to %s addresses",
				     row->name,
				     row->roles & (1u << SKIT_ROLE_LISTEN)
					     ? "listening (-listen)"
					     : "connecting");
	}
	if ((a->kind == SKIT_KIND_TCP || a->kind == SKIT_KIND_UDP) &&
	    ((role == SKIT_ROLE_CONNECT && a->port[0] && a->port_hi == 0 &&
	      skit__all_digits(a->port, strlen(a->port))) ||
	     (role != SKIT_ROLE_CONNECT && a->port_is_range))) {
		skit_addr_format(a, text, sizeof(text));
		return skit_err_setf(err, SKIT_EADDR, "bad address", text, 0,
				     role == SKIT_ROLE_CONNECT
					     ? "port 0 is only valid when "
					       "listening"
					     : "a port range is only valid "
					       "when connecting (nc -z)");
	}
	a->role = role;
	return 0;
}

/* "name" or "name=value" with ',' and '\' escaped, as in an address. */
static int
opt_text(enum skit_opt id, const char *value, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s", skit_opt_name(id));

	if (!value)
		return (int)n;
	if (n + 1 < len)
		buf[n++] = '=';
	for (const char *s = value; *s; s++) {
		if (n + 3 >= len)
			return -1;
		if (*s == ',' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return (int)n;
}

int
skit_addr_set_opt(struct skit_addr *a, enum skit_opt id, const char *value,
		  struct skit_err *err)
{
	char text[SKIT_ADDR_TEXT_MAX + 1];
	struct optstate st;
	struct skit_addr save;
	struct pctx p;
	int n, rc;

	if (!valid(a))
		return not_built(err);
	if ((int)id < 0 || id >= SKIT_OPT__COUNT)
		return skit_err_setf(err, SKIT_EOPTION, "bad address", "", 0,
				     "unknown option number %d", (int)id);
	n = opt_text(id, value, text, sizeof(text));
	ctx(&p, a, text, err);
	if (n < 0)
		return skit__addr_fail(&p, SKIT_EOPTION, 0,
				       "option value is longer than %d bytes",
				       SKIT_ADDR_TEXT_MAX);
	memset(&st, 0, sizeof(st));
	save = *a;
	rc = skit__parse_option(&p, 0, (size_t)n, &st);
	if (rc == 0 && st.sp_set)
		rc = skit__merge_sourceport(&p, &st);
	if (rc < 0) {
		*a = save;
		return rc;
	}
	skit__addr_protocol(a);
	return 0;
}

int
skit_addr_set_num(struct skit_addr *a, enum skit_opt id, long long v,
		  struct skit_err *err)
{
	char buf[32];

	if ((int)id < 0 || id >= SKIT_OPT__COUNT)
		return skit_addr_set_opt(a, id, NULL, err);
	switch (skit__opt_row(id)->type) {
	case SKIT_OPTV_FLAG:
		return skit_addr_set_flag(a, id, v != 0, err);
	case SKIT_OPTV_DURATION:
		snprintf(buf, sizeof(buf), "%lldms", v);
		break;
	case SKIT_OPTV_MODE:
		if (v < 0)
			snprintf(buf, sizeof(buf), "%lld", v);
		else
			snprintf(buf, sizeof(buf), "%llo",
				 (unsigned long long)v);
		break;
	case SKIT_OPTV_STRING:
		return skit_err_setf(err, SKIT_EOPTION, "bad address",
				     skit_opt_name(id), 0,
				     "option '%s' takes text, not a number",
				     skit_opt_name(id));
	default:
		snprintf(buf, sizeof(buf), "%lld", v);
		break;
	}
	return skit_addr_set_opt(a, id, buf, err);
}

int
skit_addr_set_flag(struct skit_addr *a, enum skit_opt id, bool on,
		   struct skit_err *err)
{
	return skit_addr_set_opt(a, id, on ? NULL : "0", err);
}

int
skit_addr_set_str(struct skit_addr *a, enum skit_opt id, const char *s,
		  struct skit_err *err)
{
	if ((int)id >= 0 && id < SKIT_OPT__COUNT &&
	    skit__opt_row(id)->type != SKIT_OPTV_STRING)
		return skit_err_setf(
			err, SKIT_EOPTION, "bad address", skit_opt_name(id), 0,
			"option '%s' is not a text option", skit_opt_name(id));
	return skit_addr_set_opt(a, id, s ? s : "", err);
}

void
skit_addr_unset(struct skit_addr *a, enum skit_opt id)
{
	if ((int)id < 0 || id >= SKIT_OPT__COUNT)
		return;
	memset(&a->opt[id], 0, sizeof(a->opt[id]));
	if (id == SKIT_OPT_BIND)
		memset(&a->bind, 0, sizeof(a->bind));
	if (id == SKIT_OPT_RANGE)
		memset(&a->range, 0, sizeof(a->range));
	skit__addr_protocol(a);
}

/* 1-based column of option name's ",name" in canonical text, or 0. */
static int
opt_column(const char *text, const char *name)
{
	size_t nl = strlen(name);

	for (const char *s = strchr(text, ','); s; s = strchr(s + 1, ',')) {
		size_t bs = 0;

		/* A comma after an odd run of backslashes is escaped. */
		while (s - bs > text && s[-(long)bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0 && !strncmp(s + 1, name, nl) &&
		    (s[1 + nl] == '=' || s[1 + nl] == ',' || !s[1 + nl]))
			return (int)(s - text) + 2;
	}
	return 0;
}

/* The mask's top bit is the fault options' (SKIT_OPT_MASK_BIT). */
_Static_assert(SKIT_OPT_LATENCY <= 63, "more options than mask bits");

int
skit_addr_check(const struct skit_addr *a, uint64_t supported, const char *cmd,
		struct skit_err *err)
{
	char text[SKIT_ADDR_TEXT_MAX + 1];

	skit_err_clear(err);
	for (int i = 0; i < SKIT_OPT__COUNT; i++) {
		const char *name = skit_opt_name(i);

		if (!a->opt[i].set || (supported & SKIT_OPT_MASK_BIT(i)))
			continue;
		if (skit_addr_format(a, text, sizeof(text)) < 0)
			text[0] = '\0';
		return skit_err_setf(err, SKIT_EOPTION, "bad address", text,
				     opt_column(text, name),
				     "option '%s' does not apply to '%s'", name,
				     cmd ? cmd : "this command");
	}
	return 0;
}
