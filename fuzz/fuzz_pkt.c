/*
 * fuzz_pkt.c - the frame decoders and summaries. First byte: bit 0 picks
 * a frame without link header (then bytes 1-2 are the ethertype); the
 * rest is the frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skit_pkt p;
	enum skit_link link;
	uint16_t proto = 0;
	size_t skip = 1;
	char sum[512], tiny[16];
	uint8_t *copy;

	if (size < 1)
		return 0;
	link = data[0] & 1 ? SKIT_LINK_L3 : SKIT_LINK_ETHER;
	if (link == SKIT_LINK_L3 && size >= 3) {
		proto = (uint16_t)(data[1] << 8 | data[2]);
		skip = 3;
	}
	copy = malloc(size - skip ? size - skip : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + skip, size - skip);
	skit_pkt_decode(copy, size - skip, link, proto, &p);
	skit_pkt_summary(&p, sum, sizeof(sum));
	skit_pkt_summary(&p, tiny, sizeof(tiny));
	free(copy);
	return 0;
}
