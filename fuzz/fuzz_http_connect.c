/*
 * fuzz_http_connect.c - the HTTP CONNECT reply parser (skit/proxy.h)
 * on arbitrary bytes: a complete head is never longer than the input,
 * an incomplete one asks for one or two more bytes (never reading past
 * the head), and the reason is a terminated string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skit_proxy_reply r;
	char *buf = malloc(size ? size : 1);
	size_t need = 0;
	ssize_t n;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	n = skit_proxy_parse_reply(SKIT_PROXY_HTTP_REPLY, buf, size, &r, &need);
	if (n > (ssize_t)size || (n == 0 && (need < 1 || need > 2)) ||
	    strlen(r.why) >= sizeof(r.why))
		abort();
	free(buf);
	return 0;
}
