/*
 * fuzz_frame.c - the framing codec on arbitrary bytes. The first byte
 * picks the framing and the caller's limit. Checks that every message
 * lies inside the input, that each step consumes something, and that
 * for line and raw framing the messages put back together are the
 * input (nothing lost, nothing added).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = { 1, 2, 7, 100, 65507, 1 << 20 };
	enum skit_framing f;
	size_t max, off = 0, joined = 0;
	const char *buf;
	int rc;

	if (size < 1)
		return 0;
	f = (enum skit_framing)(data[0] & 3);
	max = limits[(data[0] >> 2) % 6];
	buf = (const char *)data + 1;
	size--;
	for (;;) {
		const char *m;
		size_t n, used;

		rc = skit_frame_next(f, buf + off, size - off, true, max, &m,
				     &n, &used);
		if (rc != 1)
			break;
		if (used == 0 || used > size - off || n > used)
			abort();
		if (m < buf + off || m + n > buf + off + used)
			abort();
		if (n > max)
			abort();
		if ((f == SKIT_FRAMING_LINE || f == SKIT_FRAMING_RAW) &&
		    (n == 0 || n > SKIT_FRAME_MSG_MAX || m != buf + off))
			abort();
		joined += n;
		off += used;
	}
	if (rc > 1)
		abort();
	if ((f == SKIT_FRAMING_LINE || f == SKIT_FRAMING_RAW) &&
	    (rc != 0 || off != size || joined != size))
		abort();
	return 0;
}
