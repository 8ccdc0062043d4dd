/*
 * skit/json.h - a small JSON reader (RFC 8259), for reading back what
 * skit wrote (skit bench --compare reads --json results).
 *
 * skit_json_parse builds a tree of values from untrusted text: nesting
 * is limited (SKIT_JSON_MAX_DEPTH), strings are decoded to UTF-8
 * (\uXXXX escapes and surrogate pairs included; a lone surrogate or a
 * NUL is refused), numbers are doubles, duplicate keys are kept (the
 * first one wins in skit_json_get). The whole text must be one value,
 * with white space around it only. Nothing here does I/O.
 *
 * Ownership: the tree is one allocation per value, freed with
 * skit_json_free on the root; pointers into it (strings, items) live
 * as long as the root does.
 */
#ifndef SKIT_JSON_H
#define SKIT_JSON_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>

#include "skit/err.h"

#define SKIT_JSON_MAX_DEPTH 64

enum skit_json_type {
	SKIT_JSON_NULL = 0,
	SKIT_JSON_BOOL,
	SKIT_JSON_NUM,
	SKIT_JSON_STR,
	SKIT_JSON_ARR,
	SKIT_JSON_OBJ,
};

struct skit_json {
	enum skit_json_type type;
	bool b;			 /* BOOL */
	double num;		 /* NUM */
	char *str;		 /* STR: NUL-terminated UTF-8 (no NUL inside) */
	size_t n;		 /* ARR, OBJ: items; STR: bytes */
	struct skit_json *items; /* ARR, OBJ: n values */
	char **keys;		 /* OBJ: n keys, one per item */
};

/*
 * Parse len bytes of text. Returns 0 and *out (free it with
 * skit_json_free), or SKIT_EPROTO with err naming the byte offset and
 * what was wrong ("json: byte 17: expected ':'"), or -ENOMEM.
 */
int skit_json_parse(const char *text, size_t len, struct skit_json **out,
		    struct skit_err *err);

void skit_json_free(struct skit_json *v);

/* The member key of an object (the first one of that name), or NULL
 * (also when v is NULL or not an object). */
const struct skit_json *skit_json_get(const struct skit_json *v,
				      const char *key);

/* Item i of an array, or NULL. */
const struct skit_json *skit_json_at(const struct skit_json *v, size_t i);

/* v's number (dflt when v is NULL or not a number) and string (dflt when
 * not a string). */
double skit_json_num(const struct skit_json *v, double dflt);
const char *skit_json_str(const struct skit_json *v, const char *dflt);

/*
 * Writing JSON (every NDJSON line skit prints goes through here):
 *
 * skit_json_quote: buf (len bytes, any bytes at all) as a JSON string
 * literal, quotes included, into out (cap bytes, always NUL-terminated
 * when cap > 0). Returns the length the whole literal needs, without the
 * NUL, like snprintf: call again with a larger out when it is >= cap.
 * The result is always valid UTF-8 JSON: '"', '\\' and control
 * characters are escaped, and each byte that is not part of well-formed
 * UTF-8 becomes "\ufffd" (U+FFFD). A caller that must keep arbitrary
 * bytes exactly checks skit_utf8_valid first and writes them as hex.
 *
 * skit_utf8_valid: are the len bytes well-formed UTF-8 (RFC 3629)?
 */
size_t skit_json_quote(char *out, size_t cap, const void *buf, size_t len);
bool skit_utf8_valid(const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
