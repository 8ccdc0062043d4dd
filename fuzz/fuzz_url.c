/*
 * fuzz_url.c - the URL parser, the formatter round trip, and reference
 * resolution against a fixed base.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct skit_url u, u2, base;
static char text[SKIT_URL_MAX + 1], out[SKIT_URL_MAX * 2];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SKIT_URL_MAX)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (skit_url_parse(text, &u, NULL) == 0) {
		/* Formatting and parsing again gives the same URL. */
		if (skit_url_format(&u, out, sizeof(out)) < (int)sizeof(out)) {
			if (skit_url_parse(out, &u2, NULL) == 0 &&
			    (strcmp(u.host, u2.host) || u.port != u2.port ||
			     strcmp(u.target, u2.target)))
				abort();
		}
		skit_url_filename(&u, out, sizeof(out));
		if (strchr(out, '/'))
			abort();
		skit_url_addr_text(&u, 0, out, sizeof(out));
	}
	if (skit_url_parse("http://a.example:81/b/c/d;p?q", &base, NULL))
		abort();
	if (skit_url_resolve(&base, (const char *)data, size, &u, NULL) == 0 &&
	    u.target[0] != '/')
		abort();
	return 0;
}
