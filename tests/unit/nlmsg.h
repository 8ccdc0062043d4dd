/*
 * tests/unit/nlmsg.h - a netlink message builder over a byte buffer, for
 * the parser tests (test_nl.c, test_diag.c): msg_begin a message with
 * its fixed part, attr each attribute, msg_end to write its length.
 */
#ifndef SKIT_TEST_NLMSG_H
#define SKIT_TEST_NLMSG_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mb {
	uint8_t buf[4096];
	size_t len;
	size_t msg; /* offset of the open message */
};

static void
msg_begin(struct mb *b, uint16_t type, const void *body, size_t blen)
{
	struct nlmsghdr h = { 0 };

	b->msg = b->len;
	h.nlmsg_type = type;
	memcpy(b->buf + b->len, &h, sizeof(h));
	b->len += NLMSG_HDRLEN;
	memcpy(b->buf + b->len, body, blen);
	b->len += NLMSG_ALIGN(blen);
}

static void
attr(struct mb *b, uint16_t type, const void *data, size_t dlen)
{
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(dlen),
			    .rta_type = type };

	memcpy(b->buf + b->len, &a, sizeof(a));
	memset(b->buf + b->len + sizeof(a), 0, RTA_SPACE(dlen) - sizeof(a));
	memcpy(b->buf + b->len + sizeof(a), data, dlen);
	b->len += RTA_SPACE(dlen);
}

static void
msg_end(struct mb *b)
{
	uint32_t len = (uint32_t)(b->len - b->msg);

	memcpy(b->buf + b->msg, &len, sizeof(len));
}

#endif
