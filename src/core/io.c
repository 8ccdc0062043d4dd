/*
 * io.c - the one place that retries EINTR and handles partial transfers
 * (STYLE.md rule 10). Nothing else in skit loops on these syscalls.
 */
#include "skit/io.h"
#include "core/io_int.h"
#include "core/trace_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "skit/err.h"

static const struct skit__flag_name msg_flags[] = {
	{ MSG_NOSIGNAL, "MSG_NOSIGNAL" },
	{ MSG_DONTWAIT, "MSG_DONTWAIT" },
	{ MSG_PEEK, "MSG_PEEK" },
	{ MSG_TRUNC, "MSG_TRUNC" },
	{ MSG_WAITALL, "MSG_WAITALL" },
	{ MSG_MORE, "MSG_MORE" },
	{ MSG_CTRUNC, "MSG_CTRUNC" },
	{ MSG_ERRQUEUE, "MSG_ERRQUEUE" },
	{ MSG_OOB, "MSG_OOB" },
	{ MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC" },
	{ 0, NULL }
};
static const struct skit__flag_name splice_flags[] = {
	{ SPLICE_F_MOVE, "SPLICE_F_MOVE" },
	{ SPLICE_F_NONBLOCK, "SPLICE_F_NONBLOCK" },
	{ SPLICE_F_MORE, "SPLICE_F_MORE" },
	{ 0, NULL }
};
static const struct skit__flag_name open_flags[] = { { O_CLOEXEC, "O_CLOEXEC" },
						     { O_NONBLOCK,
						       "O_NONBLOCK" },
						     { O_APPEND, "O_APPEND" },
						     { O_ASYNC, "O_ASYNC" },
						     { O_RDWR, "O_RDWR" },
						     { O_WRONLY, "O_WRONLY" },
						     { 0, NULL } };

static void
trace_poll(const struct pollfd *fds, size_t n, long long ms, int r)
{
	char b[160];

	if (skit__trace_on())
		skit__trace_call("poll", n ? fds[0].fd : -1, r < 0 ? -errno : r,
				 "%s, %zu, %lld",
				 skit__trace_pollfds(b, sizeof(b), fds, n), n,
				 ms);
}

static void
trace_xfer(const char *call, int fd, long long r, size_t len, int flags,
	   const struct skit__flag_name *names)
{
	char f[96];

	if (!skit__trace_on() || fd == STDERR_FILENO)
		return;
	if (names)
		skit__trace_io(call, fd, r, "%d, %zu, %s", fd, len,
			       skit__trace_flags(f, sizeof(f), (unsigned)flags,
						 names));
	else
		skit__trace_io(call, fd, r, "%d, %zu", fd, len);
}

long long
skit__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
skit__left_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - skit__now_ms();
	return left < 0 ? 0 : (int)(left > 1 << 30 ? 1 << 30 : left);
}

int
skit_fd_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL), want;

	char f[96];
	int r = 0;

	if (fl < 0)
		return -errno;
	want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (want == fl)
		return 0;
	if (fcntl(fd, F_SETFL, want) < 0)
		r = -errno;
	if (skit__trace_on())
		skit__trace_call("fcntl", fd, r, "%d, F_SETFL, %s", fd,
				 skit__trace_flags(f, sizeof(f),
						   (unsigned)want & ~O_ACCMODE,
						   open_flags));
	return r;
}

int
skit_fd_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -errno : fl;
}

int
skit_fd_set_flags(int fd, int flags)
{
	return fcntl(fd, F_SETFL, flags) < 0 ? -errno : 0;
}

int
skit_pipe_set_size(int fd, int size)
{
	int r = fcntl(fd, F_SETPIPE_SZ, size);

	return r < 0 ? -errno : r;
}

int
skit_dup(int fd, int min_fd)
{
	int r = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);

	r = r < 0 ? -errno : r;
	skit__trace_call("fcntl", fd, r, "%d, F_DUPFD_CLOEXEC, %d", fd, min_fd);
	return r;
}

int
skit_pipe(int p[2], bool nonblock)
{
	if (pipe2(p, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)) < 0) {
		skit__trace("pipe2() = -1 %s", skit_errname(-errno));
		return -errno;
	}
	skit__trace("pipe2([%d, %d], O_CLOEXEC%s) = 0", p[0], p[1],
		    nonblock ? "|O_NONBLOCK" : "");
	return 0;
}

int
skit_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	fd = fd < 0 ? -errno : fd;
	skit__trace_call("eventfd", -1, fd, "0, EFD_CLOEXEC|EFD_NONBLOCK");
	return fd;
}

int
skit_eventfd_signal(int fd)
{
	uint64_t one = 1;

	/* No trace and no retry loop: this runs in signal handlers. */
	return write(fd, &one, sizeof(one)) < 0 ? -errno : 0;
}

int
skit_signalfd(const sigset_t *mask)
{
	int fd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int
skit_poll(struct pollfd *fds, size_t n, int64_t timeout_ns)
{
	int64_t deadline = 0, left = -1;
	struct timespec ts, *tp = NULL;
	struct timespec now;
	int r;

	if (timeout_ns >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec +
			   timeout_ns;
		tp = &ts;
	}
	for (;;) {
		if (tp) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = deadline -
			       ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
			if (left < 0)
				left = 0;
			ts.tv_sec = (time_t)(left / 1000000000);
			ts.tv_nsec = (long)(left % 1000000000);
		}
		r = ppoll(fds, (nfds_t)n, tp, NULL);
		trace_poll(fds, n, tp ? left / 1000000 : -1, r);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return -errno;
	}
}

int
skit_wait_fd_stop(int fd, short events, int timeout_ms, int stopfd)
{
	struct pollfd p[2] = { { .fd = fd, .events = events },
			       { .fd = stopfd, .events = POLLIN } };
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	nfds_t n = stopfd >= 0 ? 2 : 1;
	int r;

	for (;;) {
		int ms = skit__left_ms(deadline);

		r = poll(p, n, ms);
		trace_poll(p, n, ms, r);
		if (r < 0 && errno != EINTR)
			return -errno;
		/* A stop wins over readiness: the caller asked to end. */
		if (r > 0 && n == 2 && p[1].revents)
			return -ECANCELED;
		if (r >= 0)
			return r > 0 ? 1 : 0;
	}
}

int
skit_wait_fd(int fd, short events, int timeout_ms)
{
	return skit_wait_fd_stop(fd, events, timeout_ms, -1);
}

/*
 * The wait of the write-all and read-full loops: 0 when fd is ready,
 * -ETIMEDOUT at the deadline, -ECANCELED on a stop, or -errno.
 */
static int
wait_ready(int fd, short events, long long deadline, int stopfd)
{
	int r = skit_wait_fd_stop(fd, events, skit__left_ms(deadline), stopfd);

	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : r;
}

/* Is fd a socket? send() with MSG_NOSIGNAL only works on sockets. */
static bool
is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

ssize_t
skit_read_some(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : n;
	trace_xfer("read", fd, n, len, 0, NULL);
	return n;
}

ssize_t
skit_write_some(int fd, const void *buf, size_t len)
{
	ssize_t n;

	bool sock = true;

	for (;;) {
		n = sock ? send(fd, buf, len, MSG_NOSIGNAL) : -1;
		if (sock && n < 0 && errno == ENOTSOCK)
			sock = false;
		if (!sock)
			n = write(fd, buf, len);
		if (n >= 0 || errno != EINTR)
			break;
	}
	n = n < 0 ? -errno : n;
	if (sock)
		trace_xfer("send", fd, n, len, MSG_NOSIGNAL, msg_flags);
	else
		trace_xfer("write", fd, n, len, 0, NULL);
	return n;
}

ssize_t
skit_write_plain(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : n;
	trace_xfer("write", fd, n, len, 0, NULL);
	return n;
}

/*
 * With a stop fd, a blocking fd must not block in the kernel either: a
 * socket is written with MSG_DONTWAIT and read only once poll() said it
 * may be, so that every wait is a poll() that watches stopfd.
 */
ssize_t
skit_write_all_stop(int fd, const void *buf, size_t len, int timeout_ms,
		    int stopfd)
{
	const char *p = buf;
	size_t done = 0;
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	bool sock = is_socket(fd);
	int flags = MSG_NOSIGNAL | (stopfd >= 0 ? MSG_DONTWAIT : 0);
	ssize_t n;
	int r;

	while (done < len) {
		if (sock) {
			n = send(fd, p + done, len - done, flags);
			trace_xfer("send", fd, n < 0 ? -errno : n, len - done,
				   flags, msg_flags);
		} else {
			if (stopfd >= 0) {
				r = wait_ready(fd, POLLOUT, deadline, stopfd);
				if (r < 0)
					return r;
			}
			n = write(fd, p + done, len - done);
			trace_xfer("write", fd, n < 0 ? -errno : n, len - done,
				   0, NULL);
		}
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = wait_ready(fd, POLLOUT, deadline, stopfd);
			if (r < 0)
				return r;
			continue;
		}
		return n < 0 ? -errno : -EIO;
	}
	return (ssize_t)done;
}

ssize_t
skit_write_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	return skit_write_all_stop(fd, buf, len, timeout_ms, -1);
}

ssize_t
skit_read_full_stop(int fd, void *buf, size_t len, int timeout_ms, int stopfd)
{
	char *p = buf;
	size_t done = 0;
	long long deadline = timeout_ms < 0 ? -1 : skit__now_ms() + timeout_ms;
	ssize_t n;
	int r;

	while (done < len) {
		if (stopfd >= 0) {
			/* Readable (or EOF, or an error): read() returns. */
			r = wait_ready(fd, POLLIN, deadline, stopfd);
			if (r < 0)
				return r;
		}
		n = read(fd, p + done, len - done);
		trace_xfer("read", fd, n < 0 ? -errno : n, len - done, 0, NULL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			r = wait_ready(fd, POLLIN, deadline, stopfd);
			if (r < 0)
				return r;
			continue;
		}
		return -errno;
	}
	return (ssize_t)done;
}

ssize_t
skit_read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	return skit_read_full_stop(fd, buf, len, timeout_ms, -1);
}

ssize_t
skit_sendto(int fd, const void *buf, size_t len, int flags,
	    const struct sockaddr *to, socklen_t tolen)
{
	ssize_t n;

	do
		n = sendto(fd, buf, len, flags | MSG_NOSIGNAL, to, tolen);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : n;
	trace_xfer("sendto", fd, n, len, flags | MSG_NOSIGNAL, msg_flags);
	return n;
}

ssize_t
skit_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
	      socklen_t *fromlen)
{
	ssize_t n;

	do
		n = recvfrom(fd, buf, len, flags, from, fromlen);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : n;
	trace_xfer("recvfrom", fd, n, len, flags, msg_flags);
	return n;
}

/* The bytes a msghdr's buffers hold (the length a trace shows). */
static size_t
msg_len(const struct msghdr *msg)
{
	size_t n = 0;

	for (size_t i = 0; i < msg->msg_iovlen; i++)
		n += msg->msg_iov[i].iov_len;
	return n;
}

ssize_t
skit_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t n;

	do
		n = sendmsg(fd, msg, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : n;
	trace_xfer("sendmsg", fd, n, msg_len(msg), flags | MSG_NOSIGNAL,
		   msg_flags);
	return n;
}

int
skit_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	int r;

	do
		r = sendmmsg(fd, v, n, flags | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	r = r < 0 ? -errno : r;
	/* (what it returns is a count of datagrams, not bytes) */
	skit__trace_call("sendmmsg", fd, r, "%d, %u datagrams", fd, n);
	return r;
}

ssize_t
skit_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t n;

	do
		n = recvmsg(fd, msg, flags);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : n;
	trace_xfer("recvmsg", fd, n, msg_len(msg), flags, msg_flags);
	return n;
}

ssize_t
skit_splice(int fd_in, int fd_out, size_t len, unsigned flags)
{
	ssize_t n;

	do
		n = splice(fd_in, NULL, fd_out, NULL, len, flags);
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : n;
	if (skit__trace_on()) {
		char f[96];

		skit__trace_io(
			"splice", fd_in, n, "%d, NULL, %d, NULL, %zu, %s",
			fd_in, fd_out, len,
			skit__trace_flags(f, sizeof(f), flags, splice_flags));
	}
	return n;
}

int
skit_shutdown(int fd, int how)
{
	int r = shutdown(fd, how) < 0 ? -errno : 0;

	skit__trace_call("shutdown", fd, r, "%d, %s", fd,
			 how == SHUT_WR	  ? "SHUT_WR"
			 : how == SHUT_RD ? "SHUT_RD"
					  : "SHUT_RDWR");
	return r;
}

int
skit_close(int fd)
{
	/*
	 * Never retry close() on EINTR: on Linux the fd is gone either way
	 * and a retry could close a descriptor another thread just got.
	 */
	int r;

	if (fd < 0)
		return 0;
	r = close(fd) < 0 && errno != EINTR ? -errno : 0;
	if (skit__trace_on()) {
		skit__trace_fd_done(fd);
		skit__trace_call("close", fd, r, "%d", fd);
	}
	return r;
}
