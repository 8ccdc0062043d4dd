/*
 * fuzz_chunked.c - the chunked decoder on arbitrary bytes, fed in
 * pieces whose sizes come from the first input byte. Checks that the
 * data spans stay inside the input and add up to the decoder's total.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct skit_chunked ch;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step, off = 0;
	uint64_t total = 0;
	volatile unsigned sum = 0;
	int r = 0;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 16) + 1;
	data++;
	size--;
	skit_chunked_init(&ch);
	while (off < size && r == 0) {
		size_t n = size - off < step ? size - off : step;
		char *piece = malloc(n);
		size_t pos = 0;

		if (!piece)
			return 0;
		memcpy(piece, data + off, n);
		while (pos < n && r == 0) {
			size_t used = 0, dl;
			const char *d;

			r = skit_chunked_step(&ch, piece + pos, n - pos, &used,
					      &d, &dl, NULL);
			if (r < 0)
				break;
			if (used == 0 || used > n - pos)
				abort();
			if (dl && (d < piece || d + dl > piece + n))
				abort();
			for (size_t k = 0; k < dl; k++)
				sum += (unsigned char)d[k];
			total += dl;
			pos += used;
		}
		free(piece);
		off += pos;
	}
	if (r >= 0 && total != ch.total)
		abort();
	if (strlen(ch.trailer) != ch.trailer_len)
		abort();
	return 0;
}
