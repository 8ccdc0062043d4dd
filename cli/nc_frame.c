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
	size_t avail = r->end - r->start;
	char *p = r->buf + r->start;

	if (f == SKIT_FRAMING_RAW && avail) {
		*msg = p;
		*len = avail;
		r->start = r->end;
		return 1;
	}
	if (f == SKIT_FRAMING_LINE) {
		char *nl = memchr(p, '\n', avail);

		if (nl || (r->eof && avail)) {
			size_t l = nl ? (size_t)(nl - p) : avail;

			r->start += nl ? l + 1 : l;
			if (r->crlf && l && p[l - 1] == '\r')
				l--;
			*msg = p;
			*len = l;
			return 1;
		}
	}
	if (f == SKIT_FRAMING_LEN32 || f == SKIT_FRAMING_LEN16) {
		const unsigned char *u = (const unsigned char *)p;
		size_t hl = f == SKIT_FRAMING_LEN32 ? 4 : 2, l;

		if (avail >= hl) {
			l = hl == 4 ? (size_t)u[0] << 24 | (size_t)u[1] << 16 |
					      (size_t)u[2] << 8 | u[3]
				    : (size_t)u[0] << 8 | u[1];
			if (l > NC_MSG_MAX)
				return SKIT_ELIMIT;
			if (avail >= hl + l) {
				*msg = p + hl;
				*len = l;
				r->start += hl + l;
				return 1;
			}
		}
	}
	if (r->eof && avail &&
	    (f == SKIT_FRAMING_LEN32 || f == SKIT_FRAMING_LEN16))
		return SKIT_ETRUNC;
	if (!r->eof && r->end == r->cap && r->start == 0)
		return SKIT_ELIMIT;
	return 0;
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
nc_write_msg(int fd, enum skit_framing f, bool crlf, const void *msg,
	     size_t len)
{
	char stackbuf[4096], *b = stackbuf;
	size_t hl = f == SKIT_FRAMING_LEN32   ? 4
		    : f == SKIT_FRAMING_LEN16 ? 2
					      : 0;
	size_t tl = f == SKIT_FRAMING_LINE ? (crlf ? 2 : 1) : 0;
	size_t total = hl + len + tl;
	ssize_t n;

	if (hl == 2 && len > 0xffff)
		return SKIT_ELIMIT;
	if (f == SKIT_FRAMING_RAW) {
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
	if (hl == 4) {
		b[0] = (char)(len >> 24);
		b[1] = (char)(len >> 16);
		b[2] = (char)(len >> 8);
		b[3] = (char)len;
	} else if (hl == 2) {
		b[0] = (char)(len >> 8);
		b[1] = (char)len;
	}
	if (len)
		memcpy(b + hl, msg, len);
	if (tl)
		memcpy(b + hl + len, crlf ? "\r\n" : "\n", tl);
	n = skit_write_all(fd, b, total, -1);
	if (b != stackbuf)
		free(b);
	return n < 0 ? (int)n : 0;
}
