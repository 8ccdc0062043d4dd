/*
 * frame.c - the framing codec: where messages start and end in a byte
 * stream, and what goes in front of a message written to one (the
 * rules are in include/skit/relay.h, enum skit_framing).
 *
 * The relay engine (src/engine/relay.c) and the CLI's stdio readers and
 * writers (cli/nc/nc_frame.c) both frame through these functions, so a
 * stream cut into messages by one skit end is put back together by
 * another byte for byte. That is why LINE keeps each line's "\n" in its
 * message and writes messages verbatim: an empty line stays a message
 * ("\n", where an empty message would read as EOF on seqpacket), a
 * line split for being too long and a last line without "\n" come back
 * as they were sent.
 */
#include "skit/relay.h"

#include <errno.h>
#include <string.h>

size_t
skit_frame_hdr_len(enum skit_framing f)
{
	switch (f) {
	case SKIT_FRAMING_LEN32:
		return 4;
	case SKIT_FRAMING_LEN16:
		return 2;
	default:
		return 0;
	}
}

int
skit_frame_hdr(enum skit_framing f, size_t n, unsigned char *hdr)
{
	switch (f) {
	case SKIT_FRAMING_LEN32:
		if (n > 0xffffffffu)
			return SKIT_ELIMIT;
		hdr[0] = (unsigned char)(n >> 24);
		hdr[1] = (unsigned char)(n >> 16);
		hdr[2] = (unsigned char)(n >> 8);
		hdr[3] = (unsigned char)n;
		return 4;
	case SKIT_FRAMING_LEN16:
		if (n > 0xffff)
			return SKIT_ELIMIT;
		hdr[0] = (unsigned char)(n >> 8);
		hdr[1] = (unsigned char)n;
		return 2;
	default:
		return 0;
	}
}

/* A line: up to and with its "\n", or a piece of a long one. */
static int
next_line(const char *buf, size_t len, bool eof, size_t max, size_t *n)
{
	size_t scan = len < max ? len : max;
	const char *nl = memchr(buf, '\n', scan);

	if (nl)
		*n = (size_t)(nl - buf) + 1;
	else if (len >= max)
		*n = max; /* too long for one message: the line goes on */
	else if (eof)
		*n = len; /* the last line, without "\n": as it is */
	else
		return 0;
	return 1;
}

int
skit_frame_next(enum skit_framing f, const char *buf, size_t len, bool eof,
		size_t max, const char **msg, size_t *n, size_t *used)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t hl, l;

	if (max == 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	switch (f) {
	case SKIT_FRAMING_RAW:
		if (max > SKIT_FRAME_MSG_MAX)
			max = SKIT_FRAME_MSG_MAX;
		*msg = buf;
		*n = *used = len < max ? len : max;
		return 1;
	case SKIT_FRAMING_LINE:
		if (max > SKIT_FRAME_MSG_MAX)
			max = SKIT_FRAME_MSG_MAX;
		if (!next_line(buf, len, eof, max, &l))
			return 0;
		*msg = buf;
		*n = *used = l;
		return 1;
	case SKIT_FRAMING_LEN32:
	case SKIT_FRAMING_LEN16:
		hl = skit_frame_hdr_len(f);
		if (len < hl)
			return eof ? SKIT_ETRUNC : 0;
		l = hl == 4 ? (size_t)u[0] << 24 | (size_t)u[1] << 16 |
				      (size_t)u[2] << 8 | u[3]
			    : (size_t)u[0] << 8 | u[1];
		if (l > max)
			return SKIT_ELIMIT;
		if (len - hl < l)
			return eof ? SKIT_ETRUNC : 0;
		*msg = buf + hl;
		*n = l;
		*used = hl + l;
		return 1;
	}
	return -EINVAL;
}
