/*
 * fuzz_json.c - libFuzzer target for the JSON reader (skit/json.h), the
 * one skit bench --compare reads saved results with.
 *
 * Any bytes are parsed. Whatever parses is walked in full (every key,
 * string, number and item looked at), and every string holds exactly
 * its length in bytes with no NUL inside.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skit/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
walk(const struct skit_json *v, int depth)
{
	size_t n = 1;

	if (depth > SKIT_JSON_MAX_DEPTH + 1)
		abort();
	if (v->type == SKIT_JSON_STR && strlen(v->str) != v->n)
		abort();
	for (size_t i = 0;
	     (v->type == SKIT_JSON_ARR || v->type == SKIT_JSON_OBJ) && i < v->n;
	     i++) {
		if (v->type == SKIT_JSON_OBJ &&
		    skit_json_get(v, v->keys[i]) == NULL)
			abort();
		n += walk(&v->items[i], depth + 1);
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skit_json *v;

	if (skit_json_parse((const char *)data, size, &v, NULL) < 0)
		return 0;
	(void)skit_json_num(skit_json_get(v, "seconds"), 0);
	(void)skit_json_str(skit_json_at(v, 0), "");
	if (walk(v, 0) > size + 1)
		abort(); /* every value takes at least one byte */
	skit_json_free(v);
	return 0;
}
