/*
 * fuzz_proxy_client.c - the proxy server's parsers of what clients send
 * (skit_proxy_parse_client: a SOCKS5 greeting or HTTP CONNECT head, an
 * RFC 1929 request, a SOCKS5 request) on arbitrary bytes: the first
 * byte picks the stage. A complete message is never longer than the
 * input, an incomplete one asks for at least one more byte, and every
 * string it fills is terminated.
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
	struct skit_proxy_request rq;
	uint8_t *buf;
	size_t need = 0;
	ssize_t n;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	memset(&rq, 0, sizeof(rq));
	n = skit_proxy_parse_client((enum skit_proxy_cstage)(data[0] % 3), buf,
				    size - 1, &rq, &need);
	if (n > (ssize_t)(size - 1) || (n == 0 && need == 0) ||
	    strlen(rq.host) >= sizeof(rq.host) ||
	    strlen(rq.user) >= sizeof(rq.user) ||
	    strlen(rq.pass) >= sizeof(rq.pass))
		abort();
	free(buf);
	return 0;
}
