/*
 * json.c - a small JSON reader (skit/json.h): recursive descent over
 * the text with a depth limit, one value struct per value.
 */
#include "skit/json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *s;
	size_t len, pos;
	int depth;
	int code;
	struct skit_err *err;
};

static int
fail(struct parser *p, const char *what)
{
	if (!p->code) {
		p->code = SKIT_EPROTO;
		if (p->err) {
			skit_err_set(p->err, SKIT_EPROTO, "parse", "json");
			snprintf(p->err->detail, sizeof(p->err->detail),
				 "byte %zu: %s", p->pos, what);
		}
	}
	return -1;
}

static int
oom(struct parser *p)
{
	if (!p->code) {
		p->code = -ENOMEM;
		if (p->err)
			skit_err_set(p->err, -ENOMEM, "parse", "json");
	}
	return -1;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len &&
	       (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
		p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static bool
lit(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static int
hex4(struct parser *p, unsigned *out)
{
	unsigned v = 0;

	if (p->len - p->pos < 4)
		return fail(p, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t
utf8(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The one-letter escapes and what they stand for. */
static const char esc_from[] = "\"\\/bfnrt";
static const char esc_to[] = "\"\\/\b\f\n\r\t";

/* A string at p->pos (on its opening quote) into a fresh buffer. The
 * decoded text is never longer than the escaped one. */
static int
string(struct parser *p, char **out, size_t *outlen)
{
	size_t start = ++p->pos, n = 0;
	char *buf;

	while (p->pos < p->len && p->s[p->pos] != '"')
		p->pos += p->s[p->pos] == '\\' ? 2 : 1;
	if (p->pos >= p->len)
		return fail(p, "unterminated string");
	buf = malloc(p->pos - start + 1);
	if (!buf)
		return oom(p);
	p->pos = start;
	while (p->s[p->pos] != '"') {
		unsigned char c = (unsigned char)p->s[p->pos++];
		unsigned cp, lo;

		if (c < 0x20) {
			free(buf);
			return fail(p, "control character in a string");
		}
		if (c != '\\') {
			buf[n++] = (char)c;
			continue;
		}
		c = (unsigned char)p->s[p->pos++];
		if (c != 'u') {
			const char *e = c ? strchr(esc_from, c) : NULL;

			if (!e) {
				free(buf);
				return fail(p, "bad escape");
			}
			buf[n++] = esc_to[e - esc_from];
			continue;
		}
		if (hex4(p, &cp) < 0) {
			free(buf);
			return -1;
		}
		if (cp >= 0xd800 && cp < 0xdc00) {
			if (!lit(p, "\\u") || hex4(p, &lo) < 0 || lo < 0xdc00 ||
			    lo > 0xdfff) {
				free(buf);
				return fail(p, "lone surrogate");
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if ((cp >= 0xdc00 && cp < 0xe000) || cp == 0) {
			free(buf);
			return fail(p,
				    cp ? "lone surrogate" : "NUL in a string");
		}
		n += utf8(cp, buf + n);
	}
	p->pos++;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

/* One or more digits. */
static int
digits(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > start ? 0 : fail(p, "expected a digit");
}

static int
number(struct parser *p, double *out)
{
	size_t start = p->pos;
	char tmp[64], *end;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (p->pos < p->len && p->s[p->pos] >= '1' && p->s[p->pos] <= '9')
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		       p->s[p->pos] <= '9')
			p->pos++;
	else
		return fail(p, "expected a value");
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (digits(p) < 0)
			return -1;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len &&
		    (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (digits(p) < 0)
			return -1;
	}
	if (p->pos - start >= sizeof(tmp))
		return fail(p, "number too long");
	memcpy(tmp, p->s + start, p->pos - start);
	tmp[p->pos - start] = '\0';
	*out = strtod(tmp, &end);
	return 0;
}

static int value(struct parser *p, struct skit_json *v);

/* Items of an array or object, after its opening bracket. */
static int
items(struct parser *p, struct skit_json *v, char close, bool obj)
{
	size_t cap = 0;

	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		size_t klen;

		if (v->n == cap) {
			size_t nc = cap ? cap * 2 : 4;
			struct skit_json *it =
				realloc(v->items, nc * sizeof(*it));
			char **ks;

			if (!it)
				return oom(p);
			v->items = it;
			if (obj) {
				ks = realloc(v->keys, nc * sizeof(*ks));
				if (!ks)
					return oom(p);
				v->keys = ks;
			}
			cap = nc;
		}
		skip_ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a key");
			if (string(p, &key, &klen) < 0)
				return -1;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				return fail(p, "expected ':'");
			}
			p->pos++;
			v->keys[v->n] = key;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		v->n++;
		if (value(p, &v->items[v->n - 1]) < 0)
			return -1;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail(p, obj ? "expected ',' or '}'"
				   : "expected ',' or ']'");
	}
}

static int
value(struct parser *p, struct skit_json *v)
{
	int r;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "expected a value");
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		if (++p->depth > SKIT_JSON_MAX_DEPTH)
			return fail(p, "nested too deep");
		v->type = p->s[p->pos] == '{' ? SKIT_JSON_OBJ : SKIT_JSON_ARR;
		p->pos++;
		r = items(p, v, v->type == SKIT_JSON_OBJ ? '}' : ']',
			  v->type == SKIT_JSON_OBJ);
		p->depth--;
		return r;
	case '"':
		v->type = SKIT_JSON_STR;
		return string(p, &v->str, &v->n);
	case 't':
	case 'f':
		v->type = SKIT_JSON_BOOL;
		v->b = p->s[p->pos] == 't';
		return lit(p, v->b ? "true" : "false")
			       ? 0
			       : fail(p, "expected a value");
	case 'n':
		v->type = SKIT_JSON_NULL;
		return lit(p, "null") ? 0 : fail(p, "expected a value");
	default:
		v->type = SKIT_JSON_NUM;
		return number(p, &v->num);
	}
}

static void
clear(struct skit_json *v)
{
	for (size_t i = 0; v->items && i < v->n; i++) {
		clear(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

int
skit_json_parse(const char *text, size_t len, struct skit_json **out,
		struct skit_err *err)
{
	struct parser p = { .s = text, .len = len, .err = err };
	struct skit_json *v = calloc(1, sizeof(*v));

	*out = NULL;
	skit_err_clear(err);
	if (!v) {
		oom(&p);
		return p.code;
	}
	if (value(&p, v) == 0) {
		skip_ws(&p);
		if (p.pos != p.len)
			fail(&p, "text after the value");
	}
	if (p.code) {
		skit_json_free(v);
		return p.code;
	}
	*out = v;
	return 0;
}

void
skit_json_free(struct skit_json *v)
{
	if (!v)
		return;
	clear(v);
	free(v);
}

const struct skit_json *
skit_json_get(const struct skit_json *v, const char *key)
{
	if (!v || v->type != SKIT_JSON_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const struct skit_json *
skit_json_at(const struct skit_json *v, size_t i)
{
	if (!v || v->type != SKIT_JSON_ARR || i >= v->n)
		return NULL;
	return &v->items[i];
}

double
skit_json_num(const struct skit_json *v, double dflt)
{
	return v && v->type == SKIT_JSON_NUM ? v->num : dflt;
}

const char *
skit_json_str(const struct skit_json *v, const char *dflt)
{
	return v && v->type == SKIT_JSON_STR ? v->str : dflt;
}
