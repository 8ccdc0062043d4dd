/*
 * fault_spec.c - faults as text (include/skit/fault.h): the names, the
 * values of the address grammar and of the control socket, a set's
 * changes, and the faults written on an address.
 */
#include "skit/addr.h"
#include "skit/fault.h"
#include "skit/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum skit_fault_kind kind;
	enum skit_opt opt;
} names[] = {
	{ "latency", SKIT_FAULT_LATENCY, SKIT_OPT_LATENCY },
	{ "bandwidth", SKIT_FAULT_BANDWIDTH, SKIT_OPT_BANDWIDTH },
	{ "slicer", SKIT_FAULT_SLICER, SKIT_OPT_SLICER },
	{ "limit-data", SKIT_FAULT_LIMIT_DATA, SKIT_OPT_LIMIT_DATA },
	{ "reset-after", SKIT_FAULT_RESET_AFTER, SKIT_OPT_RESET_AFTER },
	{ "timeout", SKIT_FAULT_TIMEOUT, SKIT_OPT_TIMEOUT },
	{ "slow-close", SKIT_FAULT_SLOW_CLOSE, SKIT_OPT_SLOW_CLOSE },
	{ "stall", SKIT_FAULT_STALL, SKIT_OPT_STALL },
	{ "half-open", SKIT_FAULT_HALF_OPEN, SKIT_OPT_HALF_OPEN },
	{ "delay", SKIT_FAULT_DELAY, SKIT_OPT_DELAY },
	{ "rate", SKIT_FAULT_RATE, SKIT_OPT_RATE },
	{ "drop", SKIT_FAULT_DROP, SKIT_OPT_DROP },
	{ "dup", SKIT_FAULT_DUP, SKIT_OPT_DUP },
	{ "reorder", SKIT_FAULT_REORDER, SKIT_OPT_REORDER },
	{ "corrupt", SKIT_FAULT_CORRUPT, SKIT_OPT_CORRUPT },
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

const char *
skit_fault_name(enum skit_fault_kind kind)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (names[i].kind == kind)
			return names[i].name;
	return NULL;
}

enum skit_fault_kind
skit_fault_kind(const char *name)
{
	for (size_t i = 0; name && i < NNAMES; i++)
		if (!strcmp(names[i].name, name))
			return names[i].kind;
	return SKIT_FAULT_NONE;
}

bool
skit_fault_for_msgs(enum skit_fault_kind kind)
{
	return kind == SKIT_FAULT_LATENCY || kind == SKIT_FAULT_DELAY ||
	       kind == SKIT_FAULT_RATE || kind == SKIT_FAULT_DROP ||
	       kind == SKIT_FAULT_DUP || kind == SKIT_FAULT_REORDER ||
	       kind == SKIT_FAULT_CORRUPT;
}

bool
skit_fault_for_streams(enum skit_fault_kind kind)
{
	return kind != SKIT_FAULT_NONE && kind < SKIT_FAULT__COUNT &&
	       (kind == SKIT_FAULT_LATENCY || !skit_fault_for_msgs(kind));
}

int
skit_fault_parse_dir(const char *s, unsigned *dir)
{
	if (!strcmp(s, "up"))
		*dir = SKIT_FAULT_UP;
	else if (!strcmp(s, "down"))
		*dir = SKIT_FAULT_DOWN;
	else if (!strcmp(s, "both"))
		*dir = SKIT_FAULT_BOTH;
	else
		return -EINVAL;
	return 0;
}

int
skit_fault_parse_prob(const char *s, double *p)
{
	char *end;
	double v;

	if (!s || !*s || ((*s < '0' || *s > '9') && *s != '.'))
		return -EINVAL;
	v = strtod(s, &end);
	if (*end == '%') {
		v /= 100;
		end++;
	}
	if (*end || !(v >= 0 && v <= 1))
		return -EINVAL;
	*p = v;
	return 0;
}

static int
bad(struct skit_err *err, const char *name, const char *value, const char *want)
{
	return skit_err_setf(err, SKIT_EOPTION, "bad fault", name, 0,
			     "bad value '%.40s' for fault '%s' (expected %s)",
			     value ? value : "", name, want);
}

/* "A[/B]": A into a, B into b (or "" when there is no '/'). */
static int
split(const char *v, char *a, size_t an, const char **b)
{
	const char *sl = strchr(v, '/');
	size_t n = sl ? (size_t)(sl - v) : strlen(v);

	if (n >= an)
		return -EINVAL;
	memcpy(a, v, n);
	a[n] = '\0';
	*b = sl ? sl + 1 : "";
	return 0;
}

/* The size of reset-after= and the like: no time unit at the end. */
static bool
has_time_unit(const char *v)
{
	size_t n = strlen(v);

	return n && (v[n - 1] == 's' || v[n - 1] == 'h' || v[n - 1] == 'd');
}

int
skit_fault_parse(const char *name, const char *value, struct skit_fault *f,
		 struct skit_err *err)
{
	enum skit_fault_kind k = skit_fault_kind(name);
	const char *v = value ? value : "";
	char a[64];
	const char *b;
	uint64_t sz;
	int64_t ms;
	unsigned long gap;
	char *end;

	memset(f, 0, sizeof(*f));
	f->kind = k;
	f->dir = SKIT_FAULT_BOTH;
	f->toxicity = 1;
	switch (k) {
	case SKIT_FAULT_NONE:
	case SKIT_FAULT__COUNT:
		return skit_err_setf(err, SKIT_EOPTION, "bad fault",
				     name ? name : "", 0,
				     "unknown fault '%.40s'", name ? name : "");
	case SKIT_FAULT_LATENCY:
	case SKIT_FAULT_DELAY:
	case SKIT_FAULT_TIMEOUT:
	case SKIT_FAULT_SLOW_CLOSE:
	case SKIT_FAULT_STALL:
		if (skit_parse_duration_ms(v, &ms) < 0)
			return bad(err, name, v, "a time: 100ms, 2s");
		f->ms = ms;
		return 0;
	case SKIT_FAULT_BANDWIDTH:
	case SKIT_FAULT_RATE:
		if (skit_parse_size(v, &sz) < 0 || sz == 0)
			return bad(err, name, v,
				   "bytes per second, not 0: 100k, 1m");
		f->bytes = sz;
		return 0;
	case SKIT_FAULT_LIMIT_DATA:
		if (skit_parse_size(v, &sz) < 0)
			return bad(err, name, v, "a size: 1000, 64k");
		f->bytes = sz;
		return 0;
	case SKIT_FAULT_SLICER:
		if (split(v, a, sizeof(a), &b) < 0 ||
		    skit_parse_size(a, &sz) < 0 || sz == 0 ||
		    (*b && skit_parse_duration_ms(b, &ms) < 0))
			return bad(err, name, v, "SIZE[/TIME]: 16, 64/5ms");
		f->bytes = sz;
		f->ms = *b ? ms : 0;
		return 0;
	case SKIT_FAULT_RESET_AFTER:
		if (!has_time_unit(v) && skit_parse_size(v, &sz) == 0 && sz) {
			f->bytes = sz;
			return 0;
		}
		if (skit_parse_duration_ms(v, &ms) == 0 &&
		    (has_time_unit(v) || ms == 0)) {
			f->ms = ms;
			return 0;
		}
		return bad(err, name, v, "bytes or a time: 1000, 64k, 2s");
	case SKIT_FAULT_HALF_OPEN:
		if (*v && strcmp(v, "1") && strcasecmp(v, "yes") &&
		    strcasecmp(v, "on") && strcasecmp(v, "true"))
			return bad(err, name, v, "no value");
		return 0;
	case SKIT_FAULT_DROP:
	case SKIT_FAULT_DUP:
	case SKIT_FAULT_CORRUPT:
		if (skit_fault_parse_prob(v, &f->p) < 0)
			return bad(err, name, v, "a probability: 0.1, 10%");
		return 0;
	case SKIT_FAULT_REORDER:
		gap = 1;
		if (split(v, a, sizeof(a), &b) < 0 ||
		    skit_fault_parse_prob(a, &f->p) < 0)
			return bad(err, name, v, "P[/GAP]: 0.25, 25%/3");
		if (*b) {
			gap = strtoul(b, &end, 10);
			if (*b < '0' || *b > '9' || *end || gap < 1 ||
			    gap > 1000)
				return bad(err, name, v,
					   "P[/GAP] with GAP 1-1000");
		}
		f->gap = (unsigned)gap;
		return 0;
	}
	return 0;
}

int
skit_fault_set_put(struct skit_fault_set *s, const struct skit_fault *f)
{
	for (int i = 0; i < s->n; i++) {
		if (s->f[i].kind == f->kind && s->f[i].dir == f->dir) {
			s->f[i] = *f;
			s->gen++;
			return 0;
		}
	}
	if (s->n >= SKIT_FAULT_MAX)
		return -ENOSPC;
	s->f[s->n++] = *f;
	s->gen++;
	return 0;
}

int
skit_fault_set_clear(struct skit_fault_set *s, enum skit_fault_kind kind)
{
	int j = 0, gone;

	for (int i = 0; i < s->n; i++)
		if (kind != SKIT_FAULT_NONE && s->f[i].kind != kind)
			s->f[j++] = s->f[i];
	gone = s->n - j;
	s->n = j;
	s->gen++;
	return gone;
}

/* A probability as written back: "10%" style, shortest. */
static int
fmt_prob(double p, char *buf, size_t len)
{
	return snprintf(buf, len, "%g%%", p * 100);
}

/* The formatters write "100 ms": the grammar takes it without the
 * space too, which is the form to show. */
static void
unspace(char *s)
{
	char *d = s;

	for (;; s++) {
		if (*s != ' ')
			*d++ = *s;
		if (!*s)
			break;
	}
}

int
skit_fault_format(const struct skit_fault *f, char *buf, size_t len)
{
	char v[64] = "", t[32], x[64] = "";
	const char *name = skit_fault_name(f->kind);
	int n;

	switch (f->kind) {
	case SKIT_FAULT_LATENCY:
	case SKIT_FAULT_DELAY:
		skit_format_duration(f->ms, v, sizeof(v));
		if (f->jitter_ms) {
			skit_format_duration(f->jitter_ms, t, sizeof(t));
			snprintf(x, sizeof(x), ",jitter=%s", t);
		}
		break;
	case SKIT_FAULT_TIMEOUT:
	case SKIT_FAULT_SLOW_CLOSE:
	case SKIT_FAULT_STALL:
		skit_format_duration(f->ms, v, sizeof(v));
		break;
	case SKIT_FAULT_BANDWIDTH:
	case SKIT_FAULT_RATE:
	case SKIT_FAULT_LIMIT_DATA:
		skit_format_size(f->bytes, v, sizeof(v));
		break;
	case SKIT_FAULT_SLICER:
		n = skit_format_size(f->bytes, v, sizeof(v));
		if (f->ms && n > 0 && (size_t)n < sizeof(v)) {
			skit_format_duration(f->ms, t, sizeof(t));
			snprintf(v + n, sizeof(v) - (size_t)n, "/%s", t);
		}
		break;
	case SKIT_FAULT_RESET_AFTER:
		if (f->bytes)
			skit_format_size(f->bytes, v, sizeof(v));
		else
			skit_format_duration(f->ms, v, sizeof(v));
		break;
	case SKIT_FAULT_DROP:
	case SKIT_FAULT_DUP:
	case SKIT_FAULT_CORRUPT:
		fmt_prob(f->p, v, sizeof(v));
		break;
	case SKIT_FAULT_REORDER:
		n = fmt_prob(f->p, v, sizeof(v));
		if (n > 0 && (size_t)n < sizeof(v))
			snprintf(v + n, sizeof(v) - (size_t)n, "/%u", f->gap);
		break;
	default:
		break;
	}
	unspace(v);
	unspace(x);
	return snprintf(buf, len, "%s%s%s%s%s%s", name ? name : "?",
			*v ? "=" : "", v, x,
			f->dir == SKIT_FAULT_UP	    ? ",dir=up"
			: f->dir == SKIT_FAULT_DOWN ? ",dir=down"
						    : "",
			f->toxicity < 1 ? ",toxicity<1" : "");
}

int
skit_fault_from_addr(const struct skit_addr *a, struct skit_fault_set *out,
		     bool *has_seed, struct skit_err *err)
{
	enum skit_opt order[NNAMES];
	unsigned dir = SKIT_FAULT_BOTH;
	double tox = 1;
	int64_t jitter = skit_addr_num(a, SKIT_OPT_JITTER, 0);
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (skit_addr_str(a, SKIT_OPT_DIR))
		(void)skit_fault_parse_dir(skit_addr_str(a, SKIT_OPT_DIR),
					   &dir);
	if (skit_addr_str(a, SKIT_OPT_TOXICITY))
		(void)skit_fault_parse_prob(skit_addr_str(a, SKIT_OPT_TOXICITY),
					    &tox);
	*has_seed = skit_addr_has(a, SKIT_OPT_SEED);
	out->seed = (uint64_t)skit_addr_num(a, SKIT_OPT_SEED, 0);
	for (size_t i = 0; i < NNAMES; i++)
		if (skit_addr_has(a, names[i].opt))
			order[n++] = names[i].opt;
	/* in the order written (insertion sort on seq: a handful) */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i;
		     j > 0 && a->opt[order[j]].seq < a->opt[order[j - 1]].seq;
		     j--) {
			enum skit_opt t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		const struct skit_opt_row *row = NULL;
		struct skit_fault f;
		size_t nrows;
		const char *s = skit_addr_str(a, order[i]);
		char num[32];

		row = &skit_addr_opts(&nrows)[order[i]];
		if (row->type == SKIT_OPTV_DURATION)
			snprintf(num, sizeof(num), "%lldms",
				 skit_addr_num(a, order[i], 0));
		else if (row->type == SKIT_OPTV_SIZE)
			snprintf(num, sizeof(num), "%lld",
				 skit_addr_num(a, order[i], 0));
		else
			num[0] = '\0'; /* half-open, a flag */
		rc = skit_fault_parse(skit_opt_name(order[i]),
				      row->type == SKIT_OPTV_STRING ? s : num,
				      &f, err);
		if (rc < 0)
			return rc;
		if (f.kind == SKIT_FAULT_HALF_OPEN &&
		    !skit_addr_num(a, order[i], 0))
			continue; /* half-open=0 */
		f.dir = dir;
		f.toxicity = tox;
		if (f.kind == SKIT_FAULT_LATENCY || f.kind == SKIT_FAULT_DELAY)
			f.jitter_ms = jitter;
		out->f[out->n++] = f;
	}
	return 0;
}
