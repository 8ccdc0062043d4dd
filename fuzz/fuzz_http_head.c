/*
 * fuzz_http_head.c - the response-head parser on arbitrary bytes, with
 * every field it returns read back (so ASan sees a bad pointer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct skit_http_resp resp;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;
	volatile unsigned sum = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	n = skit_http_parse_head(buf, size, 4096, &resp, NULL);
	if (n > 0) {
		if ((size_t)n > size || resp.nfields > SKIT_HTTP_MAX_HEADERS)
			abort();
		for (size_t i = 0; i < resp.reason_len; i++)
			sum += (unsigned char)resp.reason[i];
		for (size_t i = 0; i < resp.nfields; i++) {
			const struct skit_http_field *f = &resp.field[i];

			for (size_t k = 0; k < f->name_len; k++)
				sum += (unsigned char)f->name[k];
			for (size_t k = 0; k < f->value_len; k++)
				sum += (unsigned char)f->value[k];
		}
		(void)skit_http_body_mode(&resp, false);
		{
			struct skit_http_codings c;

			if (skit_http_codings(&resp, &c, NULL) == 0 &&
			    c.n > SKIT_CODINGS_MAX)
				abort();
		}
		if (skit_http_field_get(&resp, "content-range")) {
			const struct skit_http_field *f =
				skit_http_field_get(&resp, "content-range");
			long long a, b, t;

			(void)skit_http_content_range(f->value, f->value_len,
						      &a, &b, &t);
		}
	}
	free(buf);
	return 0;
}
