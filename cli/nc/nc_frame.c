/*
 * nc_frame.c - how messages (datagrams, seqpackets) map to a byte
 * stream on stdio: --framing line|len|raw.
 */
#include "cli.h"
#include "nc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

int
nc_parse_framing(const char *s, enum skit_framing *out)
{
	if (skit_framing_parse(s, out) < 0) {
		cli_errorf("--framing: '%s' is not line, len, len16 or raw", s);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int
nc_reader_init(struct nc_reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = NC_MSG_MAX + 8;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -ENOMEM;
}

void
nc_reader_free(struct nc_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Read more into the buffer; 1 got bytes, 0 EOF, negative on error. */
static int
fill(struct nc_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->start > 0 && (r->end == r->cap || r->start > r->cap / 2)) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap)
		return SKIT_ELIMIT;
	for (;;) {
		n = skit_read_some(r->fd, r->buf + r->end, r->cap - r->end);
		if (n == -EAGAIN) {
			int w = skit_wait_fd(r->fd, POLLIN, -1);

			if (w < 0)
				return w;
			continue;
		}
		break;
	}
	if (n < 0)
		return (int)n;
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

int
nc_reader_take(struct nc_reader *r, enum skit_framing f, const char **msg,
	       size_t *len)
{
	size_t used;
	int rc;

	rc = skit_frame_next(f, r->buf + r->start, r->end - r->start, r->eof,
			     NC_MSG_MAX, msg, len, &used);
	/*
	 * The buffer holds NC_MSG_MAX + 8 bytes, so every message the codec
	 * may wait for fits: a length frame over NC_MSG_MAX is SKIT_ELIMIT.
	 */
	if (rc > 0)
		r->start += used;
	return rc;
}

int
nc_reader_fill(struct nc_reader *r)
{
	return fill(r);
}

int
nc_reader_next(struct nc_reader *r, enum skit_framing f, const char **msg,
	       size_t *len)
{
	int rc;

	for (;;) {
		rc = nc_reader_take(r, f, msg, len);
		if (rc != 0)
			return rc;
		if (r->eof)
			return 0;
		rc = fill(r);
		if (rc < 0)
			return rc;
	}
}

int
nc_write_msg(int fd, enum skit_framing f, const char *eol, const void *msg,
	     size_t len)
{
	char stackbuf[4096], *b = stackbuf;
	unsigned char hdr[4];
	int hl = skit_frame_hdr(f, len, hdr);
	size_t tl = 0, total;
	ssize_t n;

	if (hl < 0)
		return hl;
	if (eol && f == SKIT_FRAMING_LINE &&
	    (len == 0 || ((const char *)msg)[len - 1] != '\n'))
		tl = strlen(eol);
	total = (size_t)hl + len + tl;
	if (total == len) {
		n = skit_write_all(fd, msg, len, -1);
		return n < 0 ? (int)n : 0;
	}
	/*
	 * One write per message: two would let another writer's bytes in
	 * between (--broker writes from several sources).
	 */
	if (total > sizeof(stackbuf)) {
		b = malloc(total);
		if (!b)
			return -ENOMEM;
	}
	memcpy(b, hdr, (size_t)hl);
	if (len)
		memcpy(b + hl, msg, len);
	if (tl)
		memcpy(b + hl + len, eol, tl);
	n = skit_write_all(fd, b, total, -1);
	if (b != stackbuf)
		free(b);
	return n < 0 ? (int)n : 0;
}
