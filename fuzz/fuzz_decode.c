/*
 * fuzz_decode.c - the content-coding decoder on arbitrary bytes. The
 * first byte picks the codings (1 to 4, each gzip or deflate), the
 * second the piece size and the output room, the rest is the coded
 * body. Checks the feed contract (a call returns with all of its input
 * used or its output full), the totals, and that finish agrees.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_CAP	  65536
#define OUT_LIMIT (16u << 20) /* stop decoding a bomb after 16 MiB */

static unsigned char obuf[OUT_CAP];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skit_http_codings c = { 0 };
	struct skit_http_decoder *d;
	size_t step, cap, off = 0;
	unsigned long long out = 0, tin, tout;
	volatile unsigned sum = 0;
	int rc = 0;

	if (size < 2)
		return 0;
	c.n = (data[0] & 3) + 1;
	for (unsigned i = 0; i < c.n; i++)
		c.coding[i] = data[0] & (4u << i) ? SKIT_CODING_DEFLATE
						  : SKIT_CODING_GZIP;
	step = data[1] & 0x0f ? data[1] & 0x0f : 4096;
	cap = data[1] >> 4 ? (size_t)(data[1] >> 4) * 3 : OUT_CAP;
	data += 2;
	size -= 2;
	if (skit_http_decoder_init(&d, &c, NULL))
		abort();
	while (off < size && rc == 0 && out < OUT_LIMIT) {
		size_t piece = size - off < step ? size - off : step;
		/* A copy the size of the piece, so ASan sees any overread. */
		unsigned char *p = malloc(piece);
		size_t pos = 0, used, made;

		if (!p)
			break;
		memcpy(p, data + off, piece);
		do {
			rc = skit_http_decoder_feed(d, p + pos, piece - pos,
						    &used, obuf, cap, &made,
						    NULL);
			if (rc < 0)
				break;
			if (used > piece - pos || made > cap)
				abort();
			if (made < cap && pos + used < piece)
				abort(); /* stopped with input and room left */
			for (size_t k = 0; k < made; k++)
				sum += obuf[k];
			pos += used;
			out += made;
		} while ((pos < piece || made == cap) && out < OUT_LIMIT);
		free(p);
		off += pos;
	}
	if (rc == 0 && out < OUT_LIMIT) {
		skit_http_decoder_totals(d, &tin, &tout);
		if (tin != size || tout != out)
			abort();
		rc = skit_http_decoder_finish(d, NULL);
		if (rc != 0 && rc != SKIT_ETRUNC)
			abort();
	}
	skit_http_decoder_free(d);
	return 0;
}
