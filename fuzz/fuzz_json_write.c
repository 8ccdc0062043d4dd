/*
 * fuzz_json_write.c - libFuzzer target for the JSON writer
 * (skit_json_quote, skit/json.h) that every NDJSON line goes through.
 *
 * Any bytes are quoted. The literal must be valid UTF-8, must read back
 * with skit_json_parse as one string (when the input has no NUL: the
 * reader refuses "\u0000", valid JSON as it is), and that string must be
 * the input itself whenever the input was valid UTF-8; a literal cut
 * short by a small buffer must still be NUL-terminated and no longer
 * than the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t need = skit_json_quote(NULL, 0, data, size);
	char *out = malloc(need + 1), small[7];
	struct skit_json *v;

	if (!out)
		return 0;
	if (skit_json_quote(out, need + 1, data, size) != need ||
	    strlen(out) != need)
		abort();
	if (!skit_utf8_valid(out, need))
		abort();
	if (!memchr(data, 0, size)) {
		if (skit_json_parse(out, need, &v, NULL) < 0 ||
		    v->type != SKIT_JSON_STR)
			abort();
		if (skit_utf8_valid(data, size) &&
		    (v->n != size || memcmp(v->str, data, size)))
			abort();
		skit_json_free(v);
	}
	skit_json_quote(small, sizeof(small), data, size);
	if (strlen(small) >= sizeof(small))
		abort();
	free(out);
	return 0;
}
