/*
 * relay_copy.c - copy mode of the pair engine (relay_int.h): a
 * direction reads its source into a buffer and writes the buffer to its
 * destination. Bytes move as they come; messages (a message source
 * relayed to a message destination) are queued one after the other,
 * each behind its native length (INTERNAL_HDR), and written one message
 * per message. An end with layers (a conn) is read and written through
 * them: a message end facing a stream has the framing layer, so here it
 * is a stream like any other.
 */
#include "engine/relay_int.h"
#include "skit/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Make room at the end of the buffer by moving pending bytes down. */
void
skit__relay_compact(struct dir *d)
{
	if (d->off == 0)
		return;
	memmove(d->buf, d->buf + d->off, d->len - d->off);
	d->len -= d->off;
	d->off = 0;
}

/*
 * A read filled the whole buffer: the source has more queued than it
 * holds, a bulk transfer. Double the buffer (up to maxcap), so the
 * next reads and writes move more per system call. Best effort.
 */
static void
grow_buf(struct dir *d)
{
	size_t cap = d->cap * 2 > d->maxcap ? d->maxcap : d->cap * 2;
	char *p = realloc(d->buf, cap);

	if (p) {
		d->buf = p;
		d->cap = cap;
	}
}

/* Write bytes to a stream destination: its conn, or the fd. */
static ssize_t
write_bytes(struct end *dst, const char *p, size_t n)
{
	if (dst->conn)
		return skit_conn_send(dst->conn, p, n);
	/* Not a socket (type 0): no send() to fail first. */
	return dst->e.type ? skit_write_some(dst->e.wfd, p, n)
			   : skit_write_plain(dst->e.wfd, p, n);
}

/*
 * One message from the queue at buf + off to a message destination.
 * Returns what it moved (1 per message), 0 when it would block, -1
 * when the pair failed.
 */
static long
flush_msg(struct skit_relay *r, struct dir *d)
{
	struct end *dst = d->dst;
	int side = side_of(r, dst);
	const char *p = d->buf + d->off + INTERNAL_HDR;
	uint32_t len;
	ssize_t n;

	memcpy(&len, d->buf + d->off, sizeof(len));
	if (len == 0 && dst->e.type == SOCK_SEQPACKET) {
		/*
		 * An empty seqpacket message reads as EOF on the other side:
		 * it cannot be relayed, so it is dropped.
		 */
		r->st.dropped[d->idx]++;
		d->off += INTERNAL_HDR;
		return 1;
	}
	if (dst->conn) {
		n = skit_conn_send(dst->conn, p, len);
		skit__relay_conn_sync(r, dst);
	} else {
		n = skit_sendto(dst->e.wfd, p, len, 0,
				dst->e.tolen ? (struct sockaddr *)&dst->e.to
					     : NULL,
				dst->e.tolen);
	}
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		/* full: retried when writable (or soon), not forever */
		return skit__relay_stalled(r, d) < 0 ? -1 : 0;
	d->stall_ns = 0;
	if (n < 0 && n != -EMSGSIZE && n != -ENOBUFS &&
	    !(dst->e.type == SOCK_DGRAM && n == -ECONNREFUSED)) {
		skit__relay_fail(r, side, "write", (int)n);
		return -1;
	}
	if (n < 0) {
		/*
		 * Datagram semantics: a message the kernel will not take
		 * (too big, no buffer, a refused peer) is lost, not retried.
		 */
		r->st.dropped[d->idx]++;
	} else if (!dst->conn) {
		r->st.bytes[d->idx] += (uint64_t)n;
		r->st.msgs[d->idx]++;
	}
	d->off += INTERNAL_HDR + len;
	return len ? (long)len : 1;
}

/*
 * Write what is buffered. Returns bytes (or 1 per message) moved, 0 when
 * the destination would block, or -1 when the pair failed.
 */
static long
flush_out(struct skit_relay *r, struct dir *d)
{
	struct end *dst = d->dst;
	long did = 0, k;
	ssize_t n;

	while (d->off < d->len) {
		if (dst->msg) {
			k = flush_msg(r, d);
			if (k <= 0)
				return k < 0 ? -1 : did;
			did += k;
			continue;
		}
		n = write_bytes(dst, d->buf + d->off, d->len - d->off);
		if (dst->conn) {
			skit__relay_conn_sync(r, dst);
			if (skit__relay_framed_wait(r, d, (int)n) < 0)
				return -1;
		}
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return did;
		if (n < 0) {
			if (dst->conn)
				skit__relay_conn_fail(r, d, dst, "write",
						      (int)n);
			else
				skit__relay_fail(r, side_of(r, dst), "write",
						 (int)n);
			return -1;
		}
		d->off += (size_t)n;
		if (!dst->conn)
			r->st.bytes[d->idx] += (uint64_t)n;
		did += n;
	}
	d->off = d->len = 0;
	return did;
}

/* A message source: one message into the queue. Like fill_in. */
static long
fill_msg(struct skit_relay *r, struct dir *d)
{
	struct end *src = d->src;
	int side = side_of(r, src);
	bool discard = d->dst->e.wfd < 0;
	char *at = d->buf + d->len + INTERNAL_HDR;
	size_t room = d->cap - d->len - INTERNAL_HDR;
	uint32_t v;
	ssize_t n;

	/* MSG_TRUNC: n is the real length even if it did not fit. */
	if (src->conn) {
		n = skit_conn_recv(src->conn, at, room);
		skit__relay_conn_sync(r, src);
	} else {
		n = skit_recvfrom(src->e.rfd, at, room, MSG_TRUNC, NULL, NULL);
	}
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return 0;
	if (n == -ECONNREFUSED && src->e.type == SOCK_DGRAM)
		return 1; /* an ICMP error for an earlier send */
	if (n < 0) {
		skit__relay_fail(r, side, "read", (int)n);
		return -1;
	}
	if (n == 0 && src->e.type == SOCK_SEQPACKET) {
		/* RUN -> DRAIN: the seqpacket peer shut down. */
		skit__relay_src_eof(d);
		return 1;
	}
	if ((size_t)n > room) {
		r->st.dropped[d->idx]++;
		return 1;
	}
	if (r->cfg.on_data)
		r->cfg.on_data(r, d->idx, at, (size_t)n, r->cfg.data);
	traffic(r);
	if (discard) {
		r->st.bytes[d->idx] += (uint64_t)n;
		r->st.msgs[d->idx]++;
		return n ? n : 1;
	}
	v = (uint32_t)n;
	memcpy(d->buf + d->len, &v, sizeof(v));
	d->len += INTERNAL_HDR + (size_t)n;
	return n ? n : 1;
}

/*
 * Read once from the source into the buffer. Returns bytes (or 1 for a
 * message or EOF) read, 0 when the source would block, -1 on failure.
 */
long
skit__relay_fill_in(struct skit_relay *r, struct dir *d)
{
	struct end *src = d->src;
	size_t room;
	ssize_t n;

	skit__relay_compact(d);
	if (src->msg)
		return fill_msg(r, d);
	room = d->cap - d->len;
	if (room == 0)
		return 0;
	if (src->conn) {
		n = skit_conn_recv(src->conn, d->buf + d->len, room);
		skit__relay_conn_sync(r, src);
		if (n == -EMSGSIZE)
			return 1; /* a message dropped (and counted) */
	} else {
		n = skit_read_some(src->e.rfd, d->buf + d->len, room);
	}
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return 0;
	if (n < 0) {
		if (src->conn)
			skit__relay_conn_fail(r, d, src, "read", (int)n);
		else
			skit__relay_fail(r, side_of(r, src), "read", (int)n);
		return -1;
	}
	if (n == 0) {
		/* RUN -> DRAIN: the source said EOF. */
		skit__relay_src_eof(d);
		return 1;
	}
	if (r->cfg.on_data)
		r->cfg.on_data(r, d->idx, d->buf + d->len, (size_t)n,
			       r->cfg.data);
	traffic(r);
	if (d->dst->e.wfd < 0) {
		/* No destination: the bytes are counted and dropped. */
		r->st.bytes[d->idx] += (uint64_t)n;
		return n;
	}
	d->len += (size_t)n;
	if (d->len == d->cap && d->cap < d->maxcap)
		grow_buf(d);
	return n;
}

long
skit__relay_step_copy(struct skit_relay *r, struct dir *d)
{
	long did = 0, k;

	if (d->off < d->len) {
		k = flush_out(r, d);
		if (k < 0)
			return -1;
		if (k > 0)
			traffic(r);
		did += k;
		if (d->off < d->len)
			return did; /* the destination is full: wait for it */
	}
	/* A pushed source is read when a message comes (or its conn still
	 * holds some of the last one). */
	if (d->st == D_RUN &&
	    (!d->src->e.pushed ||
	     (d->src->conn && skit_conn_pending(d->src->conn)))) {
		k = skit__relay_fill_in(r, d);
		if (k < 0)
			return -1;
		did += k;
	}
	if (d->st == D_DRAIN && d->off >= d->len) {
		d->off = d->len = 0;
		if (skit__relay_dir_done(r, d) == -EAGAIN)
			return did; /* the destination finishes when writable */
		return did + 1;
	}
	return did;
}
