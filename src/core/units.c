/*
 * units.c - the duration and size grammars (include/skit/units.h): one
 * parser and one formatter each, in integer arithmetic so that every
 * spelling gives the same exact value wherever it is used.
 */
#include "skit/units.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NS_PER_MS 1000000ull

/* Duration units, longest name first where one is a prefix of another. */
static const struct {
	const char *name;
	uint64_t ns;
} dur_units[] = {
	{ "ns", 1ull },
	{ "us", 1000ull },
	{ "ms", NS_PER_MS },
	{ "s", 1000ull * NS_PER_MS },
	{ "m", 60ull * 1000 * NS_PER_MS },
	{ "h", 3600ull * 1000 * NS_PER_MS },
	{ "d", 86400ull * 1000 * NS_PER_MS },
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read DIGITS into *v; -ERANGE past max (the digits are still consumed,
 * so the caller can tell junk from a too-large number).
 */
static int
read_digits(const char **p, uint64_t max, uint64_t *v, size_t *count)
{
	int rc = 0;

	*v = 0;
	*count = 0;
	for (; is_digit(**p); (*p)++, (*count)++) {
		unsigned d = (unsigned)(**p - '0');

		if (rc == 0 && *v > (max - d) / 10)
			rc = -ERANGE;
		else if (rc == 0)
			*v = *v * 10 + d;
	}
	return rc;
}

/* The unit after the number: an optional space, then a name or none. */
static const char *
unit_text(const char *p)
{
	if (p[0] == ' ' && p[1] != '\0' && p[1] != ' ')
		return p + 1;
	return p;
}

int
skit_parse_duration_ms(const char *s, int64_t *ms)
{
	const char *p = s, *u;
	uint64_t ip, fp = 0, scale = 1, unit = 0, q, r, whole, frac, total;
	size_t ni, nf = 0;
	bool sticky = false; /* a non-zero digit past the ninth decimal */
	int rc;

	if (!s)
		return -EINVAL;
	rc = read_digits(&p, UINT64_MAX, &ip, &ni);
	if (*p == '.') {
		p++;
		for (; is_digit(*p); p++, nf++) {
			if (nf < 9) {
				fp = fp * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			} else if (*p != '0') {
				sticky = true;
			}
		}
		if (nf == 0)
			return -EINVAL;
	}
	if (ni == 0 && nf == 0)
		return -EINVAL;
	u = unit_text(p);
	if (*u == '\0' && u == p) {
		unit = dur_units[3].ns; /* seconds */
	} else {
		for (size_t i = 0; i < sizeof(dur_units) / sizeof(dur_units[0]);
		     i++)
			if (!strcmp(u, dur_units[i].name))
				unit = dur_units[i].ns;
		if (!unit)
			return -EINVAL;
	}
	if (rc < 0)
		return rc;
	/*
	 * fp/scale of a unit, in ns, exactly: unit = q*scale + r, so
	 * fp*unit/scale = fp*q + fp*r/scale, and fp*r < 10^18 fits.
	 */
	q = unit / scale;
	r = unit % scale;
	frac = fp * q + fp * r / scale;
	if ((fp * r) % scale)
		sticky = true;
	/* Whole milliseconds of ip units, then what is left in ns. */
	if (unit >= NS_PER_MS) {
		uint64_t per = unit / NS_PER_MS;

		if (ip > (uint64_t)INT64_MAX / per)
			return -ERANGE;
		whole = ip * per;
		total = frac;
	} else {
		if (ip > UINT64_MAX / unit)
			return -ERANGE;
		whole = 0;
		total = ip * unit + frac; /* frac < unit: no overflow */
		if (total < frac)
			return -ERANGE;
	}
	/* Round what is left up to whole milliseconds. */
	whole += total / NS_PER_MS;
	if (total % NS_PER_MS || sticky)
		whole++;
	if (whole > (uint64_t)INT64_MAX)
		return -ERANGE;
	*ms = (int64_t)whole;
	return 0;
}

int
skit_parse_size(const char *s, uint64_t *bytes)
{
	static const char prefixes[] = "kmgt";
	const char *p = s, *u, *pre;
	uint64_t v, mul = 1;
	size_t n;
	int rc;

	if (!s)
		return -EINVAL;
	rc = read_digits(&p, UINT64_MAX, &v, &n);
	if (n == 0)
		return -EINVAL;
	u = unit_text(p);
	if (u != p && *u == '\0')
		return -EINVAL;
	if (*u) {
		pre = strchr(prefixes, u[0] | 0x20);
		if (pre && u[0] != '\0') {
			for (const char *k = prefixes; k <= pre; k++)
				mul *= 1024;
			u++;
			if ((*u | 0x20) == 'i' && (u[1] | 0x20) == 'b')
				u++;
		}
		if ((*u | 0x20) == 'b')
			u++;
		if (*u != '\0' || (mul == 1 && u == unit_text(p)))
			return -EINVAL;
	}
	if (rc < 0 || v > (uint64_t)INT64_MAX / mul)
		return -ERANGE;
	*bytes = v * mul;
	return 0;
}

int
skit_format_duration(int64_t ms, char *buf, size_t len)
{
	uint64_t a = ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms;
	const char *sign = ms < 0 ? "-" : "";
	char frac[8];
	unsigned f;

	if (a < 1000)
		return snprintf(buf, len, "%s%llu ms", sign,
				(unsigned long long)a);
	f = (unsigned)(a % 1000);
	frac[0] = '\0';
	if (f) {
		snprintf(frac, sizeof(frac), ".%03u", f);
		for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
	}
	return snprintf(buf, len, "%s%llu%s s", sign,
			(unsigned long long)(a / 1000), frac);
}

int
skit_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t i = 0;

	while (bytes && i + 1 < sizeof(names) / sizeof(names[0]) &&
	       bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	return snprintf(buf, len, "%llu %s", (unsigned long long)bytes,
			names[i]);
}
