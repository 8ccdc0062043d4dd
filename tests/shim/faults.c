/*
 * faults.c - an LD_PRELOAD shim that makes I/O calls misbehave the way
 * the kernel is allowed to: short counts, EINTR, and EAGAIN, at a
 * seeded rate, so tests can prove that skit's I/O layer and relay
 * survive them.
 *
 * Calls wrapped: read, write, send, recv, sendto, recvfrom, sendmsg,
 * recvmsg, accept4, accept, splice, epoll_wait. Only fds that are sockets or
 * pipes are touched (a regular file never returns EINTR); short counts only on
 * byte streams (a short datagram would be a lost message, not a legal partial
 * transfer); EAGAIN only on nonblocking fds (a blocking fd never returns it).
 *
 * Environment:
 *   SKIT_FAULT_RATE   probability of a fault per call, 0..1 (default
 *                     0; the shim does nothing unless it is set)
 *   SKIT_FAULT_SEED   seed of the pseudo-random sequence (default 1)
 *   SKIT_FAULT_KINDS  comma list of short,eintr,eagain (default all
 *                     three), or einval: splice() refuses the pair
 *                     of fds before moving anything, as for a device
 *                     without splice support (only when named), or
 *                     epoll: epoll_wait() fails (EINVAL), as in an
 *                     event loop gone wrong (only when named)
 *   SKIT_FAULT_COMM   only act in processes with this program name
 *                     (so children such as `cat` under --exec are
 *                     left alone)
 *   SKIT_FAULT_LOG    append "PID calls=N faults=N" here at exit, so a
 *                     test can check that faults were really injected
 *                     (also when skit ends by the signal that stopped
 *                     it, which skips destructors: raise() logs first)
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

enum { F_SHORT = 1, F_EINTR = 2, F_EAGAIN = 4, F_EINVAL = 8, F_EPOLL = 16 };

static bool active;
static double rate;
static unsigned kinds = F_SHORT | F_EINTR | F_EAGAIN;
static uint64_t rng = 1;
static unsigned long n_calls, n_faults;
static const char *logpath;

static uint64_t
next_rand(void)
{
	/* xorshift64*: small, fast, and the same sequence for a seed. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

__attribute__((constructor)) static void
faults_init(void)
{
	const char *s = getenv("SKIT_FAULT_RATE");
	const char *comm = getenv("SKIT_FAULT_COMM");
	const char *k = getenv("SKIT_FAULT_KINDS");
	const char *seed = getenv("SKIT_FAULT_SEED");

	if (!s || !*s)
		return;
	if (comm && *comm && strcmp(comm, program_invocation_short_name))
		return;
	rate = strtod(s, NULL);
	if (rate <= 0)
		return;
	if (k && *k) {
		kinds = 0;
		if (strstr(k, "short"))
			kinds |= F_SHORT;
		if (strstr(k, "eintr"))
			kinds |= F_EINTR;
		if (strstr(k, "eagain"))
			kinds |= F_EAGAIN;
		if (strstr(k, "einval"))
			kinds |= F_EINVAL;
		if (strstr(k, "epoll"))
			kinds |= F_EPOLL;
	}
	rng = seed && *seed ? strtoull(seed, NULL, 0) : 1;
	if (!rng)
		rng = 1;
	rng ^= (uint64_t)getpid() << 20;
	logpath = getenv("SKIT_FAULT_LOG");
	active = true;
}

/*
 * The log line, once. Plain system calls (write() is the wrapper
 * below), so that raise() in a signal handler may log too.
 */
static void
faults_log(void)
{
	static volatile sig_atomic_t logged;
	char line[96];
	int fd, n;

	if (!active || !logpath || logged)
		return;
	logged = 1;
	n = snprintf(line, sizeof(line), "%d calls=%lu faults=%lu\n",
		     (int)getpid(), n_calls, n_faults);
	fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (n > 0)
		(void)syscall(SYS_write, fd, line, (size_t)n);
	close(fd);
}

__attribute__((destructor)) static void
faults_fini(void)
{
	faults_log();
}

static void *
real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* What the fd allows: short counts (byte streams) and EAGAIN (nonblock). */
static unsigned
fd_allows(int fd)
{
	struct stat st;
	unsigned allow = 0;
	int fl;

	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISSOCK(st.st_mode)) {
		int type = 0;
		socklen_t len = sizeof(type);
		static int (*gso)(int, int, int, void *, socklen_t *);

		if (!gso)
			gso = real("getsockopt");
		if (gso(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
		    type == SOCK_STREAM)
			allow |= F_SHORT;
	} else if (S_ISFIFO(st.st_mode)) {
		allow |= F_SHORT;
	} else {
		return 0;
	}
	allow |= F_EINTR;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		allow |= F_EAGAIN;
	return allow & kinds;
}

/* A fault of a kind that only fails (einval, epoll): whether this call
 * gets it. */
static bool
fails(unsigned kind)
{
	if (!active || !(kinds & kind))
		return false;
	n_calls++;
	if ((double)(next_rand() >> 11) / (double)(1ULL << 53) >= rate)
		return false;
	n_faults++;
	return true;
}

/*
 * Decide the fault for this call: 0 (none), F_EINTR, F_EAGAIN, or
 * F_SHORT with *len reduced to 1..len-1.
 */
static unsigned
pick(int fd, size_t *len)
{
	unsigned allow, choice[3], n = 0, f;

	if (!active)
		return 0;
	n_calls++;
	if ((double)(next_rand() >> 11) / (double)(1ULL << 53) >= rate)
		return 0;
	allow = fd_allows(fd);
	if ((allow & F_SHORT) && len && *len > 1)
		choice[n++] = F_SHORT;
	if (allow & F_EINTR)
		choice[n++] = F_EINTR;
	if (allow & F_EAGAIN)
		choice[n++] = F_EAGAIN;
	if (!n)
		return 0;
	f = choice[next_rand() % n];
	if (f == F_SHORT)
		*len = 1 + next_rand() % (*len - 1);
	n_faults++;
	return f;
}

#define FAIL_IF(f)                      \
	do {                            \
		if ((f) == F_EINTR) {   \
			errno = EINTR;  \
			return -1;      \
		}                       \
		if ((f) == F_EAGAIN) {  \
			errno = EAGAIN; \
			return -1;      \
		}                       \
	} while (0)

ssize_t
read(int fd, void *buf, size_t len)
{
	static ssize_t (*fn)(int, void *, size_t);
	unsigned f = pick(fd, &len);

	if (!fn)
		fn = real("read");
	FAIL_IF(f);
	return fn(fd, buf, len);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*fn)(int, const void *, size_t);
	unsigned f = pick(fd, &len);

	if (!fn)
		fn = real("write");
	FAIL_IF(f);
	return fn(fd, buf, len);
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*fn)(int, const void *, size_t, int);
	unsigned f = pick(fd, &len);

	if (!fn)
		fn = real("send");
	FAIL_IF(f);
	return fn(fd, buf, len, flags);
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*fn)(int, void *, size_t, int);
	unsigned f = pick(fd, &len);

	if (!fn)
		fn = real("recv");
	FAIL_IF(f);
	return fn(fd, buf, len, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
       const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t (*fn)(int, const void *, size_t, int,
			     const struct sockaddr *, socklen_t);
	unsigned f = pick(fd, &len);

	if (!fn)
		fn = real("sendto");
	FAIL_IF(f);
	return fn(fd, buf, len, flags, to, tolen);
}

ssize_t
recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
	 socklen_t *fromlen)
{
	static ssize_t (*fn)(int, void *, size_t, int, struct sockaddr *,
			     socklen_t *);
	unsigned f = pick(fd, &len);

	if (!fn)
		fn = real("recvfrom");
	FAIL_IF(f);
	return fn(fd, buf, len, flags, from, fromlen);
}

/*
 * Short sendmsg/recvmsg: trim the iovec array on a copy so the caller's
 * msghdr is untouched.
 */
static int
trim_msg(const struct msghdr *in, struct msghdr *out, struct iovec *iov,
	 size_t max_iov, size_t keep)
{
	size_t n = 0;

	*out = *in;
	for (size_t i = 0; i < in->msg_iovlen && n < max_iov && keep; i++) {
		iov[n] = in->msg_iov[i];
		if (iov[n].iov_len > keep)
			iov[n].iov_len = keep;
		keep -= iov[n].iov_len;
		n++;
	}
	out->msg_iov = iov;
	out->msg_iovlen = n;
	return 0;
}

static size_t
msg_len(const struct msghdr *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->msg_iovlen; i++)
		n += m->msg_iov[i].iov_len;
	return n;
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*fn)(int, const struct msghdr *, int);
	size_t len = msg_len(msg), orig = len;
	unsigned f = pick(fd, &len);
	struct iovec iov[64];
	struct msghdr m;

	if (!fn)
		fn = real("sendmsg");
	FAIL_IF(f);
	if (len < orig && msg->msg_iovlen <= 64) {
		trim_msg(msg, &m, iov, 64, len);
		return fn(fd, &m, flags);
	}
	return fn(fd, msg, flags);
}

ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	static ssize_t (*fn)(int, struct msghdr *, int);
	size_t len = msg_len(msg), orig = len;
	unsigned f = pick(fd, &len);
	struct iovec iov[64];
	struct msghdr m;
	ssize_t r;

	if (!fn)
		fn = real("recvmsg");
	FAIL_IF(f);
	if (len < orig && msg->msg_iovlen <= 64) {
		trim_msg(msg, &m, iov, 64, len);
		r = fn(fd, &m, flags);
		msg->msg_flags = m.msg_flags;
		msg->msg_namelen = m.msg_namelen;
		msg->msg_controllen = m.msg_controllen;
		return r;
	}
	return fn(fd, msg, flags);
}

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*fn)(int, struct sockaddr *, socklen_t *, int);
	unsigned f = pick(fd, NULL);

	if (!fn)
		fn = real("accept4");
	FAIL_IF(f);
	return fn(fd, addr, len, flags);
}

int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*fn)(int, struct sockaddr *, socklen_t *);
	unsigned f = pick(fd, NULL);

	if (!fn)
		fn = real("accept");
	FAIL_IF(f);
	return fn(fd, addr, len);
}

ssize_t
splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
       unsigned int flags)
{
	static ssize_t (*fn)(int, loff_t *, int, loff_t *, size_t,
			     unsigned int);
	unsigned f;

	if (!fn)
		fn = real("splice");
	if (fails(F_EINVAL)) {
		errno = EINVAL;
		return -1;
	}
	/* EAGAIN is legal only with SPLICE_F_NONBLOCK or a nonblock fd. */
	f = pick(in, &len);
	if (f == F_EAGAIN && !(flags & SPLICE_F_NONBLOCK))
		f = 0;
	FAIL_IF(f);
	return fn(in, off_in, out, off_out, len, flags);
}

int
epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	static int (*fn)(int, struct epoll_event *, int, int);

	if (!fn)
		fn = real("epoll_wait");
	if (fails(F_EPOLL)) {
		errno = EINVAL;
		return -1;
	}
	return fn(epfd, evs, max, timeout);
}

/*
 * skit ends by the signal that stopped it (cli/stop.c raises it with the
 * default action), and a process killed by a signal runs no
 * destructors: log now.
 */
int
raise(int sig)
{
	static int (*r)(int);

	if (!r)
		r = real("raise");
	faults_log();
	return r(sig);
}
