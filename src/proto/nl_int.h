/*
 * proto/nl_int.h - what the netlink parsers share (src/proto/nl.c for
 * NETLINK_ROUTE, src/proto/diag.c for NETLINK_SOCK_DIAG): the message
 * walk and bounds-checked attribute reads. Internal to libskit.
 */
#ifndef SKIT_PROTO_NL_INT_H
#define SKIT_PROTO_NL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKIT__NL_ALIGN4(x) (((x) + 3u) & ~(size_t)3u)

/* One attribute: its type (flags stripped) and payload. */
struct skit__nl_attr {
	unsigned type;
	const uint8_t *data;
	size_t len;
};

/*
 * Next attribute in p[0..len) at *off (start at the aligned end of the
 * message's fixed part). Returns 1 with *a filled, 0 at the end,
 * -EBADMSG when the attribute does not fit.
 */
int skit__nl_next_attr(const uint8_t *p, size_t len, size_t *off,
		       struct skit__nl_attr *a);

/* A u32 attribute: false when it is too short. */
bool skit__nl_get_u32(const struct skit__nl_attr *a, uint32_t *v);

/* A string attribute into dst (always terminated, cut to fit). */
void skit__nl_copy_str(char *dst, size_t dstlen, const struct skit__nl_attr *a);

/*
 * Called for each message that is not NLMSG_DONE, NLMSG_ERROR or an
 * ACK: its type and body. Return 0 to go on, nonzero to end the walk
 * with that value.
 */
typedef int (*skit__nl_msg_fn)(uint16_t type, const uint8_t *body, size_t blen,
			       void *ctx);

/*
 * Walk the messages in buf[0..len): 1 at NLMSG_DONE, 0 at the end of the
 * buffer, -EBADMSG when a message does not fit, the errno of an
 * NLMSG_ERROR, or fn's nonzero value.
 */
int skit__nl_walk(const void *buf, size_t len, skit__nl_msg_fn fn, void *ctx);

#endif
