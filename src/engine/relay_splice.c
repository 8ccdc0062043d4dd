/*
 * relay_splice.c - splice mode of the pair engine (relay_int.h): a
 * direction between stream sockets, pipes and files moves its bytes
 * with splice(), through a private pipe, or straight across when one
 * side is a pipe already. Zero-copy; when the kernel refuses a pair of
 * fds the direction falls back to copying without losing a byte.
 */
#include "engine/relay_int.h"
#include "engine/relay_priv.h"
#include "skit/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#define SPLICE_FLAGS (SPLICE_F_MOVE | SPLICE_F_NONBLOCK)

static bool
is_fifo(int fd, int type)
{
	struct stat st;

	return type == 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/*
 * Can splice() use this fd: a stream socket, a pipe, a regular file, or
 * (writing) a character device such as /dev/null? A device that turns
 * out not to support it fails with EINVAL, and the direction copies.
 */
static bool
splice_ok(int fd, int type, bool writing)
{
	struct stat st;
	int fl;

	if (type == SOCK_STREAM)
		return true;
	if (type != 0 || fstat(fd, &st) < 0)
		return false;
	if (S_ISFIFO(st.st_mode))
		return true;
	if (writing && S_ISCHR(st.st_mode))
		return true;
	if (!S_ISREG(st.st_mode))
		return false;
	/* The kernel refuses to splice into an O_APPEND file. */
	fl = skit_fd_flags(fd);
	return !(writing && fl >= 0 && (fl & O_APPEND));
}

/*
 * Set d up for splice when both of its fds allow it (and nothing needs
 * the bytes in user space): *done true then. Returns 0 or -errno.
 */
int
skit__relay_setup_splice(struct skit_relay *r, struct dir *d, bool *done)
{
	struct end *src = d->src, *dst = d->dst;
	long cap;

	*done = false;
	if (!(!src->conn && !dst->conn &&
	      splice_ok(src->e.rfd, src->e.type, false) &&
	      splice_ok(dst->e.wfd, dst->e.type, true)))
		return 0;
	/*
	 * One end is a pipe already: splice straight between them, when
	 * FIONREAD can tell an empty source from a full destination after
	 * an EAGAIN.
	 */
	if ((is_fifo(src->e.rfd, src->e.type) ||
	     is_fifo(dst->e.wfd, dst->e.type)) &&
	    skit__inq(src->e.rfd) >= 0) {
		d->pipecap = r->cfg.pipe_size;
		d->splice = d->direct = true;
		*done = true;
		return 0;
	}
	cap = skit__splice_pipe(d->pipe, r->cfg.pipe_size);
	if (cap < 0)
		return (int)cap;
	d->pipecap = (size_t)cap;
	d->splice = true;
	*done = true;
	return 0;
}

/*
 * splice() refused the pair of fds: go on copying. Bytes already in the
 * pipe are read back into the buffer first, so none is lost.
 */
static int
splice_fallback(struct skit_relay *r, struct dir *d)
{
	size_t cap =
		r->cfg.buf_size > d->pipecap ? r->cfg.buf_size : d->pipecap;
	ssize_t n;

	d->buf = malloc(cap);
	if (!d->buf)
		return -ENOMEM;
	d->cap = cap;
	d->off = d->len = 0;
	while (d->inpipe > 0) {
		n = skit_read_some(d->pipe[0], d->buf + d->len,
				   d->cap - d->len);
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		d->len += (size_t)n;
		d->inpipe -= (size_t)n;
	}
	d->splice = false;
	return 0;
}

long
skit__relay_step_splice(struct skit_relay *r, struct dir *d)
{
	long did = 0;
	ssize_t n;
	int e;

	if (d->inpipe > 0) {
		n = skit_splice(d->pipe[0], d->dst->e.wfd, d->inpipe,
				SPLICE_FLAGS);
		if (n == -EINVAL || n == -ENOSYS) {
			e = splice_fallback(r, d);
			if (e < 0) {
				skit__relay_fail(r, side_of(r, d->dst),
						 "splice", e);
				return -1;
			}
			return 1;
		}
		if (n < 0 && n != -EAGAIN) {
			skit__relay_fail(r, side_of(r, d->dst), "write",
					 (int)n);
			return -1;
		}
		if (n > 0) {
			d->inpipe -= (size_t)n;
			d->pfull = false;
			r->st.bytes[d->idx] += (uint64_t)n;
			r->st.spliced[d->idx] = true;
			traffic(r);
			did += n;
		}
	}
	/*
	 * Read on while the pipe has room, so the pipe absorbs bursts while
	 * the destination catches up. An EAGAIN with bytes in the pipe may
	 * mean the pipe is out of slots (not bytes): then stop reading
	 * until the destination takes some, or a readable source would
	 * wake the loop for nothing.
	 */
	if (d->st == D_RUN && d->inpipe < d->pipecap && !d->pfull) {
		n = skit_splice(d->src->e.rfd, d->pipe[1],
				d->pipecap - d->inpipe, SPLICE_FLAGS);
		if (n == -EAGAIN) {
			d->pfull = d->inpipe > 0;
		} else if (n == -EINVAL || n == -ENOSYS) {
			if (d->inpipe == 0) {
				e = splice_fallback(r, d);
				if (e < 0) {
					skit__relay_fail(r, side_of(r, d->src),
							 "splice", e);
					return -1;
				}
				return 1;
			}
			d->pfull = true;
		} else if (n < 0) {
			skit__relay_fail(r, side_of(r, d->src), "read", (int)n);
			return -1;
		} else if (n == 0) {
			/* RUN -> DRAIN: the source said EOF. */
			skit__relay_src_eof(d);
			did += 1;
		} else {
			d->inpipe += (size_t)n;
			traffic(r);
			did += n;
		}
	}
	if (d->st == D_DRAIN && d->inpipe == 0) {
		skit__relay_dir_done(r, d);
		return did + 1;
	}
	return did;
}

/*
 * Direct splice: one of the two fds is a pipe, so splice() moves the
 * bytes straight from the source to the destination. Nothing is held in
 * between, so an EAGAIN does not say which side is not ready: ask the
 * source how much it holds (FIONREAD) to decide what to wait for.
 */
long
skit__relay_step_direct(struct skit_relay *r, struct dir *d)
{
	ssize_t n;
	int e, side;

	if (d->st != D_RUN) {
		skit__relay_dir_done(r, d);
		return 1;
	}
	n = skit_splice(d->src->e.rfd, d->dst->e.wfd, d->pipecap, SPLICE_FLAGS);
	if (n > 0) {
		d->dblk = false;
		r->st.bytes[d->idx] += (uint64_t)n;
		r->st.spliced[d->idx] = true;
		traffic(r);
		return n;
	}
	if (n == 0) {
		/* RUN -> DRAIN -> DONE: EOF, and nothing is held here. */
		skit__relay_src_eof(d);
		skit__relay_dir_done(r, d);
		return 1;
	}
	if (n == -EAGAIN) {
		d->dblk = !d->src->rpoll || skit__inq(d->src->e.rfd) > 0;
		return 0;
	}
	if (n == -EINVAL || n == -ENOSYS) {
		/* Refused before moving anything: copy from here on. */
		e = splice_fallback(r, d);
		if (e < 0) {
			skit__relay_fail(r, side_of(r, d->src), "splice", e);
			return -1;
		}
		d->direct = d->dblk = false;
		return 1;
	}
	/*
	 * Which side failed? A pipe never resets: EPIPE is the
	 * destination's, other errors belong to the socket end.
	 */
	if (n == -EPIPE || (d->dst->e.type != 0 && d->src->e.type == 0))
		side = side_of(r, d->dst);
	else
		side = side_of(r, d->src);
	skit__relay_fail(r, side, side == side_of(r, d->dst) ? "write" : "read",
			 (int)n);
	return -1;
}
