/*
 * fuzz_socks.c - the SOCKS5 and SOCKS4 reply parsers (skit/proxy.h) on
 * arbitrary bytes: the first byte picks the stage, the rest is the
 * reply. A complete reply is never longer than the input, an
 * incomplete one always asks for at least one more byte, and the
 * reason is a terminated string.
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
	static const enum skit_proxy_stage stages[] = {
		SKIT_PROXY_S5_METHOD,
		SKIT_PROXY_S5_AUTH,
		SKIT_PROXY_S5_REPLY,
		SKIT_PROXY_S4_REPLY,
	};
	struct skit_proxy_reply r;
	uint8_t *buf;
	size_t need = 0;
	ssize_t n;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	n = skit_proxy_parse_reply(stages[data[0] % 4], buf, size - 1, &r,
				   &need);
	if (n > (ssize_t)(size - 1) || (n == 0 && need == 0) ||
	    strlen(r.why) >= sizeof(r.why))
		abort();
	free(buf);
	return 0;
}
