/*
 * fuzz_udp_count.c - what a udp discard server (skit echo --discard
 * udp:) and the bench client make of datagrams from anyone: the first
 * byte picks UDP GRO's segment size (0: one datagram) and the sender's
 * port; the rest is what one receive returned, split into datagrams
 * (skit__udp_segs) and given to the discard server's counting
 * (skit__udp_flows_input) and to the client's answer decoder
 * (skit__udp_answer_read). Checks that the segments tile the input
 * exactly and that an answer is either nothing or a whole one.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/udp_count.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t gsos[] = { 0, 1, 4, 24, 63, 64, 200, 1460 };
	static struct skit__udp_flows *flows;
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct skit__udp_segs s;
	struct skit__udp_answer a;
	char ans[SKIT__UDP_CTL_LEN];
	const char *p;
	size_t len, total = 0;
	int64_t now = 1000000000;

	if (size < 1)
		return 0;
	if (!flows && skit__udp_flows_new(&flows) < 0)
		abort();
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	from.sin_port = htons((uint16_t)(data[0] >> 3));
	skit__udp_segs_init(&s, (const char *)data + 1, size - 1,
			    gsos[data[0] & 7]);
	while (skit__udp_seg_next(&s, &p, &len)) {
		size_t r;

		/* (an empty datagram is one: a receive of 0 bytes) */
		if (p != (const char *)data + 1 + total ||
		    (len == 0 && size > 1) ||
		    (gsos[data[0] & 7] && len > gsos[data[0] & 7]))
			abort();
		total += len;
		r = skit__udp_flows_input(flows, p, len,
					  (const struct sockaddr *)&from,
					  sizeof(from), now, ans);
		if (r != 0 && r != SKIT__UDP_CTL_LEN)
			abort();
		if (r && !skit__udp_answer_read(ans, r, &a))
			abort(); /* our own answer must decode */
		(void)skit__udp_answer_read(p, len, &a);
		now += 1000;
	}
	if (total != size - 1)
		abort();
	return 0;
}
