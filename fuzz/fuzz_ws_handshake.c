/*
 * fuzz_ws_handshake.c - the opening handshake's parsers on arbitrary
 * bytes: the server's reading of a request (and the answer or refusal
 * it builds from it) and the client's reading of an answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skit_ws_request rq;
	struct skit_ws_answer a;
	struct skit_err err;
	struct skit_ws_deflate d, agreed;
	char *buf = malloc(size ? size : 1), out[2048], pick[128],
	     ext[256] = "";
	ssize_t n;
	int st;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	n = skit_ws_request_parse(buf, size, &rq, &st, &err);
	if (n > (ssize_t)size)
		abort();
	if (n > 0) {
		skit_ws_pick_protocol("chat, b", rq.protocol, pick,
				      sizeof(pick));
		if (skit_ws_deflate_parse(rq.extensions, strlen(rq.extensions),
					  &d))
			skit_ws_deflate_answer(&d, &agreed, ext, sizeof(ext));
		if (skit_ws_answer_build(&rq, pick, ext, out, sizeof(out)) < 0)
			abort();
	} else if (n < 0) {
		if (st < 400 ||
		    skit_ws_refusal_build(st, out, sizeof(out)) <= 0)
			abort();
	}
	n = skit_ws_answer_parse(buf, size, "dGhlIHNhbXBsZSBub25jZQ==", "chat",
				 true, &a, &err);
	if (n > (ssize_t)size)
		abort();
	free(buf);
	return 0;
}
