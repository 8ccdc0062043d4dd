/*
 * addr_opt.c - the options of an address: "NAME[=VALUE]" after the
 * target, checked against the option table (addr_table.c) for kind,
 * role, type and range; bind= and range= parsed into their typed fields.
 * Called by the parser (addr.c) and by the builder (addr_build.c), so an
 * option means one thing however it is set.
 */
#include "addr/addr_int.h"
#include "skit/fault.h"
#include "skit/units.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int
store_str(struct pctx *p, size_t pos, const char *s, size_t n, uint16_t *off)
{
	struct skit_addr *a = p->a;

	if (a->strbuf_used + n + 1 > sizeof(a->strbuf))
		return skit__addr_fail(
			p, SKIT_EOPTION, pos,
			"option values are too long (%zu bytes at most "
			"together)",
			sizeof(a->strbuf) - 2);
	*off = a->strbuf_used;
	memcpy(a->strbuf + a->strbuf_used, s, n);
	a->strbuf[a->strbuf_used + n] = '\0';
	a->strbuf_used = (uint16_t)(a->strbuf_used + n + 1);
	return 0;
}

/* Decimal, or 0x hex when hex; false on junk or overflow. */
static bool
parse_num(const char *s, size_t n, bool hex, unsigned long long *out)
{
	unsigned long long v = 0;

	if (hex && n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (size_t i = 2; i < n; i++) {
			int d;

			if (skit__is_digit(s[i]))
				d = s[i] - '0';
			else if (s[i] >= 'a' && s[i] <= 'f')
				d = s[i] - 'a' + 10;
			else if (s[i] >= 'A' && s[i] <= 'F')
				d = s[i] - 'A' + 10;
			else
				return false;
			if (i > 17)
				return false;
			v = v * 16 + (unsigned)d;
		}
		*out = v;
		return true;
	}
	return skit__parse_u64(s, n, 1ULL << 60, out);
}

/* A user or group: a name ([A-Za-z0-9_.-], not starting with '-'). */
static bool
good_account(const char *s, size_t n)
{
	if (n == 0 || n > 32 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!skit__is_alpha(s[i]) && !skit__is_digit(s[i]) &&
		    !strchr("_.-$", s[i]))
			return false;
	return true;
}

/* The value of bind= for this kind (HOST[:PORT], or a unix path). */
static int
check_bind(struct pctx *p, const struct seg *val)
{
	struct skit_addr *a = p->a;
	struct hostport hp;
	struct port port;
	char host[SKIT_HOST_MAX];
	int rc, litfam;

	switch (a->kind) {
	case SKIT_KIND_UNIX:
	case SKIT_KIND_UNIX_DGRAM:
	case SKIT_KIND_UNIX_SEQPACKET: {
		bool abs = val->s[0] == '@';

		rc = skit__check_unix_name(p, val, abs ? 1 : 0, abs,
					   SKIT_EOPTION);
		if (rc < 0)
			return rc;
		memset(&a->bind, 0, sizeof(a->bind));
		a->bind.is_path = true;
		a->bind.abstract = abs;
		memcpy(a->bind.host, val->s + abs, val->n - abs + 1);
		return 0;
	}
	default:
		break;
	}
	rc = skit__split_hostport(p, val, 0, true, SKIT_EOPTION, &hp);
	if (rc < 0)
		return rc;
	rc = skit__check_host(p, val, &hp, a->family, SKIT_EOPTION, host,
			      &litfam);
	if (rc < 0)
		return rc;
	if (hp.has_port) {
		if (a->kind != SKIT_KIND_TCP && a->kind != SKIT_KIND_UDP)
			return skit__addr_fail(
				p, SKIT_EOPTION, (size_t)val->map[hp.h1],
				"bind= takes no port on %s addresses",
				p->kname);
		rc = skit__check_port(p, val, hp.p0, hp.p1, true, false,
				      SKIT_EOPTION, &port);
		if (rc < 0)
			return rc;
	}
	if (!hp.has_port && host[0] == '\0')
		return skit__addr_fail(p, SKIT_EOPTION, (size_t)val->map[0],
				       "option 'bind' needs a value");
	memset(&a->bind, 0, sizeof(a->bind));
	memcpy(a->bind.host, host, strlen(host) + 1);
	a->bind.family = litfam;
	a->bind.has_port = hp.has_port;
	a->bind.port = hp.has_port ? port.lo : 0;
	return 0;
}

/*
 * socat's TCP-LISTEN:8080,bind=127.0.0.1 listens on 127.0.0.1: on a
 * listening tcp/udp address bind= names the address to listen on. It is
 * moved into the target (the canonical form is tcp-listen:127.0.0.1:8080)
 * so that format and parse stay exact inverses, and the bind option is
 * left unset.
 */
static int
listen_bind(struct pctx *p, size_t s0, const struct seg *val)
{
	struct skit_addr *a = p->a;
	struct hostport hp;
	int rc, litfam;

	rc = skit__split_hostport(p, val, 0, true, SKIT_EOPTION, &hp);
	if (rc < 0)
		return rc;
	if (hp.has_port)
		return skit__addr_fail(
			p, SKIT_EOPTION, (size_t)val->map[hp.h1],
			"bind= on a listening address takes no port: "
			"the port is the target's");
	if (a->host[0])
		return skit__addr_fail(
			p, SKIT_EOPTION, s0,
			"the listening address is given twice (in the "
			"target and in bind=)");
	rc = skit__check_host(p, val, &hp, a->family, SKIT_EOPTION, a->host,
			      &litfam);
	if (rc < 0)
		return rc;
	if (a->host[0] == '\0')
		return skit__addr_fail(p, SKIT_EOPTION, (size_t)val->map[0],
				       "option 'bind' needs a value");
	a->host_is_literal = litfam != AF_UNSPEC;
	return 0;
}

/* The fault options given as text: the fault layer's own parser. */
static int
check_fault(struct pctx *p, enum skit_opt id, const char *name,
	    const struct seg *val)
{
	struct skit_fault f;
	struct skit_err e;
	unsigned dir;
	double pr;

	if (id == SKIT_OPT_DIR && skit_fault_parse_dir(val->s, &dir) < 0)
		return skit__addr_fail(p, SKIT_EOPTION, (size_t)val->map[0],
				       "bad dir '%.40s' (up, down or both)",
				       val->s);
	if (id == SKIT_OPT_TOXICITY && skit_fault_parse_prob(val->s, &pr) < 0)
		return skit__addr_fail(
			p, SKIT_EOPTION, (size_t)val->map[0],
			"bad toxicity '%.40s' (a share: 0.3 or 30%%)", val->s);
	if (id == SKIT_OPT_DIR || id == SKIT_OPT_TOXICITY)
		return 0;
	skit_err_clear(&e);
	if (skit_fault_parse(name, val->s, &f, &e) < 0)
		return skit__addr_fail(p, SKIT_EOPTION, (size_t)val->map[0],
				       "%s", e.detail);
	return 0;
}

static int
check_string(struct pctx *p, enum skit_opt id, const char *name,
	     const struct seg *val)
{
	switch (id) {
	case SKIT_OPT_BIND:
		return check_bind(p, val);
	case SKIT_OPT_BINDTODEVICE:
		return skit__check_ifname(p, val, 0, SKIT_EOPTION);
	case SKIT_OPT_USER:
	case SKIT_OPT_GROUP:
		if (!good_account(val->s, val->n))
			return skit__addr_fail(
				p, SKIT_EOPTION, (size_t)val->map[0],
				"bad %s name '%.40s'", name, val->s);
		return 0;
	case SKIT_OPT_SLICER:
	case SKIT_OPT_RESET_AFTER:
	case SKIT_OPT_DROP:
	case SKIT_OPT_DUP:
	case SKIT_OPT_REORDER:
	case SKIT_OPT_CORRUPT:
	case SKIT_OPT_DIR:
	case SKIT_OPT_TOXICITY:
		return check_fault(p, id, name, val);
	case SKIT_OPT_RANGE:
		if (skit_cidr_parse(val->s, val->n, &p->a->range) < 0)
			return skit__addr_fail(
				p, SKIT_EOPTION, (size_t)val->map[0],
				"bad range '%.60s' (ADDRESS/PREFIX, as in "
				"10.0.0.0/8)",
				val->s);
		return 0;
	default:
		return 0;
	}
}

static int
parse_value(struct pctx *p, const struct skit_opt_row *row, const char *name,
	    const struct seg *val, bool has_value, long long *num)
{
	unsigned long long v = 0;
	const char *s = val->s;
	size_t n = val->n, pos = (size_t)val->map[0];
	bool ok;

	if (row->type == SKIT_OPTV_FLAG) {
		if (!has_value) {
			*num = 1;
			return 0;
		}
		if (!strcmp(s, "1") || !strcasecmp(s, "yes") ||
		    !strcasecmp(s, "on") || !strcasecmp(s, "true"))
			*num = 1;
		else if (!strcmp(s, "0") || !strcasecmp(s, "no") ||
			 !strcasecmp(s, "off") || !strcasecmp(s, "false"))
			*num = 0;
		else
			return skit__addr_fail(
				p, SKIT_EOPTION, pos,
				"option '%s' is a flag (no value, or "
				"=0/=1), not '%.40s'",
				name, s);
		return 0;
	}
	if (!has_value || n == 0)
		return skit__addr_fail(p, SKIT_EOPTION, pos,
				       "option '%s' needs a value (%s=%s)",
				       name, name,
				       row->value ? row->value : "VALUE");
	switch (row->type) {
	case SKIT_OPTV_INT:
		ok = parse_num(s, n, true, &v);
		if (!ok && row->id == SKIT_OPT_PROTO) {
			int pr = skit__ipproto_lookup(s);

			ok = pr > 0;
			v = (unsigned long long)pr;
		}
		break;
	case SKIT_OPTV_SIZE: {
		uint64_t b;

		ok = skit_parse_size(s, &b) == 0;
		v = b;
		break;
	}
	case SKIT_OPTV_DURATION: {
		int64_t ms;

		ok = skit_parse_duration_ms(s, &ms) == 0;
		v = (unsigned long long)ms;
		break;
	}
	case SKIT_OPTV_MODE:
		ok = n <= 5;
		for (size_t i = 0; ok && i < n; i++) {
			if (s[i] < '0' || s[i] > '7')
				ok = false;
			else
				v = v * 8 + (unsigned)(s[i] - '0');
		}
		break;
	case SKIT_OPTV_HEX16:
		ok = parse_num(s, n, true, &v);
		break;
	default:
		*num = 0;
		return 0;
	}
	if (!ok)
		return skit__addr_fail(
			p, SKIT_EOPTION, pos,
			"bad value '%.40s' for option '%s' (expected %s)", s,
			name, row->value ? row->value : "a number");
	if ((long long)v < row->min || (long long)v > row->max) {
		if (row->type == SKIT_OPTV_MODE)
			return skit__addr_fail(
				p, SKIT_EOPTION, pos,
				"mode %.40s is out of range (0-07777)", s);
		if (row->type == SKIT_OPTV_DURATION)
			return skit__addr_fail(
				p, SKIT_EOPTION, pos,
				"option '%s' is at most 24 hours, not "
				"'%.40s'",
				name, s);
		return skit__addr_fail(
			p, SKIT_EOPTION, pos,
			"option '%s' must be %lld-%lld, not %.40s", name,
			row->min, row->max, s);
	}
	*num = (long long)v;
	return 0;
}

/* The written order of option id: after every other option set. */
static uint8_t
next_seq(const struct skit_addr *a, enum skit_opt id)
{
	unsigned seq = 0;

	for (int i = 0; i < SKIT_OPT__COUNT; i++)
		if (i != (int)id && a->opt[i].set && a->opt[i].seq > seq)
			seq = a->opt[i].seq;
	return (uint8_t)(seq < 255 ? seq + 1 : 255);
}

int
skit__parse_option(struct pctx *p, size_t s0, size_t e, struct optstate *st)
{
	struct skit_addr *a = p->a;
	const struct skit__opt_alias *al;
	const struct skit_opt_row *row;
	size_t eq = s0;
	char name[40];
	struct seg val;
	bool has_value;
	long long num = 0;
	int rc;

	while (eq < e && p->text[eq] != '=')
		eq++;
	if (eq == s0)
		return skit__addr_fail(
			p, SKIT_EOPTION, s0,
			eq == e ? "empty option after ','"
				: "missing option name before '='");
	snprintf(name, sizeof(name), "%.*s", (int)(eq - s0), p->text + s0);
	al = skit__opt_find(p->text + s0, eq - s0);
	if (!al) {
		const char *hint = skit__opt_suggest(p->text + s0, eq - s0);

		if (hint)
			return skit__addr_fail(
				p, SKIT_EOPTION, s0,
				"unknown option '%.30s' (did you mean "
				"'%s'?)",
				name, hint);
		return skit__addr_fail(p, SKIT_EOPTION, s0,
				       "unknown option '%.30s'", name);
	}
	row = skit__opt_row(al->id);
	if (al->id == SKIT_OPT_TLS && (a->kind == SKIT_KIND_UNIX_SEQPACKET ||
				       a->kind == SKIT_KIND_UNIX_DGRAM))
		return skit__addr_fail(
			p, SKIT_EOPTION, s0,
			"option 'tls' does not apply to %s addresses (TLS "
			"needs a byte stream: a record split over messages "
			"would be cut; use unix:)",
			skit__kind_info(a->kind)->noun);
	if (!(row->kinds & (1u << a->kind)))
		return skit__addr_fail(
			p, SKIT_EOPTION, s0,
			"option '%s' does not apply to %s addresses", name,
			skit__kind_info(a->kind)->noun);
	if (al->id == SKIT_OPT_BIND && a->role == SKIT_ROLE_LISTEN &&
	    (a->kind == SKIT_KIND_TCP || a->kind == SKIT_KIND_UDP) &&
	    al->special != SKIT__OPT_SOURCEPORT) {
		if (eq >= e)
			return skit__addr_fail(p, SKIT_EOPTION, s0,
					       "option 'bind' needs a value");
		skit__seg_take(p->text, eq + 1, e, &val);
		return listen_bind(p, s0, &val);
	}
	if (row->roles && a->role != SKIT_ROLE_DEFAULT &&
	    !(row->roles & (1u << a->role)))
		return skit__addr_fail(
			p, SKIT_EOPTION, s0,
			"option '%s' applies only to %s addresses", name,
			row->roles & (1u << SKIT_ROLE_LISTEN)
				? "listening (-listen)"
				: "connecting");
	has_value = eq < e;
	if (has_value) {
		skit__seg_take(p->text, eq + 1, e, &val);
	} else {
		val.n = 0;
		val.s[0] = '\0';
		val.map[0] = (int)e;
	}
	if (al->special == SKIT__OPT_SOURCEPORT) {
		unsigned long long v;

		if (a->kind != SKIT_KIND_TCP && a->kind != SKIT_KIND_UDP)
			return skit__addr_fail(
				p, SKIT_EOPTION, s0,
				"option '%s' does not apply to %s "
				"addresses",
				name, skit__kind_info(a->kind)->noun);
		if (!has_value || !skit__parse_u64(val.s, val.n, 65535, &v))
			return skit__addr_fail(
				p, SKIT_EOPTION, (size_t)val.map[0],
				"option '%s' needs a port number 0-65535",
				name);
		st->sp_set = true;
		st->sp = (unsigned)v;
		st->sp_pos = s0;
		return 0;
	}
	rc = parse_value(p, row, name, &val, has_value, &num);
	if (rc < 0)
		return rc;
	a->opt[al->id].set = true;
	a->opt[al->id].num = num;
	a->opt[al->id].str = 0;
	a->opt[al->id].seq = next_seq(a, al->id);
	if (row->type == SKIT_OPTV_STRING) {
		rc = check_string(p, al->id, name, &val);
		if (rc < 0)
			return rc;
		rc = store_str(p, s0, val.s, val.n, &a->opt[al->id].str);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* sp=PORT joins bind=: bind=HOST,sp=N is bind=HOST:N. */
int
skit__merge_sourceport(struct pctx *p, const struct optstate *st)
{
	struct skit_addr *a = p->a;
	const char *bind = skit_addr_str(a, SKIT_OPT_BIND);
	char buf[SKIT_HOST_MAX + 40];
	int n;

	if (!bind) {
		memset(&a->bind, 0, sizeof(a->bind));
		n = snprintf(buf, sizeof(buf), ":%u", st->sp);
	} else if (a->bind.has_port) {
		return skit__addr_fail(p, SKIT_EOPTION, st->sp_pos,
				       "sp=%u and a port in bind=%s: say the "
				       "port once",
				       st->sp, bind);
	} else {
		n = snprintf(buf, sizeof(buf),
			     strchr(a->bind.host, ':') ? "[%s]:%u" : "%s:%u",
			     a->bind.host, st->sp);
	}
	a->bind.has_port = true;
	a->bind.port = (uint16_t)st->sp;
	a->opt[SKIT_OPT_BIND].set = true;
	return store_str(p, st->sp_pos, buf, (size_t)n,
			 &a->opt[SKIT_OPT_BIND].str);
}
