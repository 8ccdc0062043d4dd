/*
 * test_io.c - the I/O layer: partial transfers, EINTR, time-outs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "skit/io.h"
#include "core/io_int.h" /* skit__trace_on */

#define BIG (1 << 20)

static volatile sig_atomic_t signals_seen;

static void
on_usr1(int sig)
{
	(void)sig;
	signals_seen++;
}

/* SIGUSR1 without SA_RESTART, so blocking calls fail with EINTR. */
static void
install_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
}

static void
small_pair(int sv[2])
{
	int v = 4096;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	assert_int_equal(
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

static char *
pattern(size_t n)
{
	char *p = malloc(n);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(i * 7 + i / 251);
	return p;
}

/* Is thread tid asleep in the kernel (state S in its stat file)? */
static bool
thread_sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool s = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		s = p && p[1] == ' ' && p[2] == 'S';
	}
	fclose(f);
	return s;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * The interrupter: waits until the target thread sleeps in the kernel,
 * signals it, waits for the handler to run, and repeats a few times;
 * then does its job (write or drain). Bounded: at most ~5 s of polling.
 */
struct interrupter {
	pthread_t target;
	pid_t target_tid;
	int fd;
	char *buf;
	size_t len;
	bool drain; /* read len bytes from fd, else write buf to fd */
	int interrupts;
	ssize_t result;
};

static void *
interrupter_main(void *arg)
{
	struct interrupter *it = arg;
	int before;

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 2500 && !thread_sleeping(it->target_tid);
		     i++)
			sleep_ms(2);
		before = signals_seen;
		pthread_kill(it->target, SIGUSR1);
		for (int i = 0; i < 2500 && signals_seen == before; i++)
			sleep_ms(2);
		if (signals_seen != before)
			it->interrupts++;
	}
	if (it->drain)
		it->result = skit_read_full(it->fd, it->buf, it->len, 10000);
	else
		it->result = skit_write_all(it->fd, it->buf, it->len, 10000);
	return NULL;
}

static void
test_write_some_partial(void **state)
{
	int sv[2];
	char *data = pattern(BIG);
	ssize_t n;

	(void)state;
	small_pair(sv);
	set_nonblock(sv[0]);
	n = skit_write_some(sv[0], data, BIG);
	assert_true(n > 0);
	assert_true(n < BIG);
	/* Full now: the next call has nothing to do. */
	while ((n = skit_write_some(sv[0], data, BIG)) > 0)
		;
	assert_int_equal(n, -EAGAIN);
	close(sv[0]);
	close(sv[1]);
	free(data);
}

static void
test_write_all_timeout(void **state)
{
	int sv[2];
	char *data = pattern(BIG);

	(void)state;
	small_pair(sv);
	set_nonblock(sv[0]);
	/* Nobody reads: the buffer fills and the deadline passes. */
	assert_int_equal(skit_write_all(sv[0], data, BIG, 50), -ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
	free(data);
}

static void
test_read_full_timeout_and_eof(void **state)
{
	int sv[2];
	char buf[16];

	(void)state;
	small_pair(sv);
	set_nonblock(sv[1]);
	assert_int_equal(skit_read_full(sv[1], buf, sizeof(buf), 20),
			 -ETIMEDOUT);
	assert_int_equal(skit_write_all(sv[0], "abc", 3, -1), 3);
	assert_int_equal(skit_shutdown(sv[0], SHUT_WR), 0);
	/* EOF before len: the short count. */
	assert_int_equal(skit_read_full(sv[1], buf, sizeof(buf), 1000), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), 0);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A stop fd that turns readable ms from now and stays so: a timerfd,
 * like the eventfd a signal handler writes.
 */
static int
stop_after(int ms)
{
	struct itimerspec it = { .it_value = { ms / 1000,
					       (long)(ms % 1000) * 1000000 } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(timerfd_settime(fd, 0, &it, NULL), 0);
	return fd;
}

static void
test_wait_fd_stop(void **state)
{
	int sv[2], stop;
	char c;

	(void)state;
	small_pair(sv);
	/* Not stopped: ready, then a time-out, as skit_wait_fd. */
	stop = stop_after(10000);
	assert_int_equal(skit_write_all(sv[0], "x", 1, -1), 1);
	assert_int_equal(skit_wait_fd_stop(sv[1], POLLIN, 1000, stop), 1);
	assert_int_equal(skit_read_some(sv[1], &c, 1), 1);
	assert_int_equal(skit_wait_fd_stop(sv[1], POLLIN, 20, stop), 0);
	close(stop);
	/* No time-out and nothing comes: the stop fd ends the wait. */
	stop = stop_after(50);
	assert_int_equal(skit_wait_fd_stop(sv[1], POLLIN, -1, stop),
			 -ECANCELED);
	/* It is not read: it still stops, and wins over readiness. */
	assert_int_equal(skit_write_all(sv[0], "x", 1, -1), 1);
	assert_int_equal(skit_wait_fd_stop(sv[1], POLLIN, -1, stop),
			 -ECANCELED);
	close(stop);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A blocking socket nobody reads from: plain skit_write_all would block
 * inside send() for good; with a stop fd the stop and the time-out both
 * end it.
 */
static void
test_write_all_stop(void **state)
{
	int sv[2], p[2], stop;
	char *data = pattern(BIG);

	(void)state;
	small_pair(sv);
	stop = stop_after(50);
	assert_int_equal(skit_write_all_stop(sv[0], data, BIG, -1, stop),
			 -ECANCELED);
	close(stop);
	stop = stop_after(10000);
	assert_int_equal(skit_write_all_stop(sv[0], data, BIG, 50, stop),
			 -ETIMEDOUT);
	close(stop);
	/* A nonblocking pipe (not a socket) as well. */
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	stop = stop_after(50);
	assert_int_equal(skit_write_all_stop(p[1], data, BIG, -1, stop),
			 -ECANCELED);
	close(stop);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	free(data);
}

/* The same for reads on a blocking socket that stays silent. */
static void
test_read_full_stop(void **state)
{
	int sv[2], stop;
	char buf[16];

	(void)state;
	small_pair(sv);
	stop = stop_after(50);
	assert_int_equal(skit_read_full_stop(sv[1], buf, sizeof(buf), -1, stop),
			 -ECANCELED);
	close(stop);
	stop = stop_after(10000);
	assert_int_equal(skit_read_full_stop(sv[1], buf, sizeof(buf), 30, stop),
			 -ETIMEDOUT);
	/* Data and EOF before len: the short count, as skit_read_full. */
	assert_int_equal(skit_write_all(sv[0], "abc", 3, -1), 3);
	assert_int_equal(skit_shutdown(sv[0], SHUT_WR), 0);
	assert_int_equal(
		skit_read_full_stop(sv[1], buf, sizeof(buf), 1000, stop), 3);
	assert_memory_equal(buf, "abc", 3);
	close(stop);
	close(sv[0]);
	close(sv[1]);
}

/* A blocking write of 1 MiB through a 4 KiB pipe, interrupted. */
static void
test_write_all_partial_and_eintr(void **state)
{
	struct interrupter it;
	pthread_t th;
	char *data = pattern(BIG), *got = malloc(BIG);
	int sv[2];

	(void)state;
	assert_non_null(got);
	install_usr1();
	signals_seen = 0;
	small_pair(sv);
	memset(&it, 0, sizeof(it));
	it.target = pthread_self();
	it.target_tid = (pid_t)syscall(SYS_gettid);
	it.fd = sv[1];
	it.buf = got;
	it.len = BIG;
	it.drain = true;
	assert_int_equal(pthread_create(&th, NULL, interrupter_main, &it), 0);
	/*
	 * Blocks in send() with a full buffer; the signals interrupt it
	 * (EINTR, or a short count after a partial send) and the helper
	 * must carry on until every byte is through.
	 */
	assert_int_equal(skit_write_all(sv[0], data, BIG, -1), BIG);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(it.interrupts > 0);
	assert_int_equal(it.result, BIG);
	assert_memory_equal(got, data, BIG);
	close(sv[0]);
	close(sv[1]);
	free(data);
	free(got);
}

/* A blocking read interrupted by signals, then data arrives. */
static void
test_read_eintr(void **state)
{
	struct interrupter it;
	pthread_t th;
	char buf[64];
	int sv[2];

	(void)state;
	install_usr1();
	signals_seen = 0;
	small_pair(sv);
	memset(&it, 0, sizeof(it));
	it.target = pthread_self();
	it.target_tid = (pid_t)syscall(SYS_gettid);
	it.fd = sv[0];
	it.buf = (char *)"hello";
	it.len = 5;
	assert_int_equal(pthread_create(&th, NULL, interrupter_main, &it), 0);
	assert_int_equal(skit_read_some(sv[1], buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(it.interrupts > 0);
	assert_int_equal(it.result, 5);
	close(sv[0]);
	close(sv[1]);
}

static void
test_write_pipe_and_wait(void **state)
{
	int p[2];
	char buf[8];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(skit_wait_fd(p[0], POLLIN, 0), 0);
	/* Not a socket: send() fails with ENOTSOCK and write() is used. */
	assert_int_equal(skit_write_some(p[1], "xy", 2), 2);
	assert_int_equal(skit_write_all(p[1], "z", 1, 100), 1);
	/* ...and skit_write_plain goes straight to write(). */
	assert_int_equal(skit_write_plain(p[1], "w", 1), 1);
	assert_int_equal(skit_wait_fd(p[0], POLLIN, 1000), 1);
	assert_int_equal(skit_read_full(p[0], buf, 4, 1000), 4);
	assert_memory_equal(buf, "xyzw", 4);
	assert_int_equal(skit_write_plain(-1, "w", 1), -EBADF);
	close(p[1]);
	assert_int_equal(skit_read_some(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	assert_int_equal(skit_read_some(p[0], buf, sizeof(buf)), -EBADF);
	assert_int_equal(skit_close(-1), 0);
}

static void
test_send_recv_msg(void **state)
{
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct msghdr m;
	struct iovec iov[2];
	char buf[16];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv),
			 0);
	iov[0].iov_base = (char *)"ab";
	iov[0].iov_len = 2;
	iov[1].iov_base = (char *)"cd";
	iov[1].iov_len = 2;
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	assert_int_equal(skit_sendmsg(sv[0], &m, 0), 4);
	assert_int_equal(skit_recvfrom(sv[1], buf, sizeof(buf), 0,
				       (struct sockaddr *)&from, &fl),
			 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(skit_sendto(sv[1], "xyz", 3, 0, NULL, 0), 3);
	iov[0].iov_base = buf;
	iov[0].iov_len = sizeof(buf);
	m.msg_iovlen = 1;
	assert_int_equal(skit_recvmsg(sv[0], &m, 0), 3);
	assert_memory_equal(buf, "xyz", 3);
	/* A datagram socket with no data, nonblocking: -EAGAIN. */
	assert_int_equal(skit_recvmsg(sv[0], &m, MSG_DONTWAIT), -EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

static void
test_splice(void **state)
{
	int sv[2], p[2];
	char buf[8];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(skit_write_all(sv[0], "spl", 3, -1), 3);
	assert_int_equal(skit_splice(sv[1], p[1], 3, SPLICE_F_MOVE), 3);
	assert_int_equal(skit_read_full(p[0], buf, 3, 1000), 3);
	assert_memory_equal(buf, "spl", 3);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

struct trace_rec {
	int n;
	char last[256];
};

static void
trace_cb(void *data, const char *line)
{
	struct trace_rec *t = data;

	t->n++;
	snprintf(t->last, sizeof(t->last), "%s", line);
}

static void
test_trace_hook(void **state)
{
	struct trace_rec t = { 0 };
	int sv[2];

	(void)state;
	assert_false(skit__trace_on());
	skit_trace_set(trace_cb, &t);
	assert_true(skit__trace_on());
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(skit_shutdown(sv[0], SHUT_WR), 0);
	assert_int_equal(t.n, 1);
	assert_true(strstr(t.last, "shutdown(") == t.last);
	assert_non_null(strstr(t.last, "SHUT_WR) = 0"));
	skit_trace_set(NULL, NULL);
	assert_int_equal(skit_shutdown(sv[1], SHUT_RDWR), 0);
	assert_int_equal(t.n, 1);
	close(sv[0]);
	close(sv[1]);
}

/* Pipes, dup and the file status flags, all born CLOEXEC. */
static void
test_fd_helpers(void **state)
{
	int p[2], d, fl;

	(void)state;
	assert_int_equal(skit_pipe(p, true), 0);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(p[1], F_GETFD) & FD_CLOEXEC);
	fl = skit_fd_flags(p[0]);
	assert_true(fl >= 0 && (fl & O_NONBLOCK));
	assert_int_equal(skit_fd_nonblock(p[0], false), 0);
	assert_false(skit_fd_flags(p[0]) & O_NONBLOCK);
	assert_int_equal(skit_fd_set_flags(p[0], fl), 0);
	assert_true(skit_fd_flags(p[0]) & O_NONBLOCK);
	assert_true(skit_pipe_set_size(p[1], 1 << 16) >= 1 << 16);
	d = skit_dup(p[1], 100);
	assert_true(d >= 100);
	assert_true(fcntl(d, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(skit_write_all(d, "x", 1, 1000), 1);
	assert_int_equal(skit_read_some(p[0], &fl, 1), 1);
	close(d);
	close(p[0]);
	close(p[1]);
	assert_int_equal(skit_pipe(p, false), 0);
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
	close(p[0]);
	close(p[1]);
	assert_int_equal(skit_fd_flags(-1), -EBADF);
	assert_int_equal(skit_dup(-1, 0), -EBADF);
	assert_int_equal(skit_pipe_set_size(-1, 1 << 16), -EBADF);
}

/* An eventfd as a stop fd: quiet until signalled, then stays readable. */
static void
test_eventfd(void **state)
{
	uint64_t v = 0;
	int fd;

	(void)state;
	fd = skit_eventfd();
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(skit_wait_fd(fd, POLLIN, 0), 0);
	assert_int_equal(skit_eventfd_signal(fd), 0);
	assert_int_equal(skit_eventfd_signal(fd), 0);
	assert_int_equal(skit_wait_fd(fd, POLLIN, 0), 1);
	assert_int_equal(skit_wait_fd(fd, POLLIN, 0), 1);
	assert_int_equal(skit_read_some(fd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 2);
	assert_int_equal(skit_read_some(fd, &v, sizeof(v)), -EAGAIN);
	close(fd);
}

static void
test_signalfd(void **state)
{
	struct signalfd_siginfo si;
	sigset_t set, old;
	int fd;

	(void)state;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
	fd = skit_signalfd(&set);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(skit_read_some(fd, &si, sizeof(si)), -EAGAIN);
	assert_int_equal(pthread_kill(pthread_self(), SIGUSR2), 0);
	assert_int_equal(skit_read_some(fd, &si, sizeof(si)), sizeof(si));
	assert_int_equal(si.ssi_signo, SIGUSR2);
	close(fd);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}

struct poker {
	pthread_t target;
	int n;
};

static void *
poker_main(void *arg)
{
	struct poker *pk = arg;

	for (int i = 0; i < pk->n; i++) {
		sleep_ms(20);
		pthread_kill(pk->target, SIGUSR1);
	}
	return NULL;
}

/*
 * skit_poll: a time-out in ns, EINTR retried with the time left (the
 * wait is never cut short by a signal), readiness reported.
 */
static void
test_poll(void **state)
{
	struct pollfd pfd;
	struct poker pk = { .target = pthread_self(), .n = 3 };
	pthread_t th;
	int p[2], before;
	int64_t t0;
	struct timespec a, b;

	(void)state;
	install_usr1();
	assert_int_equal(skit_pipe(p, true), 0);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	before = signals_seen;
	assert_int_equal(pthread_create(&th, NULL, poker_main, &pk), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(skit_poll(&pfd, 1, 200 * 1000000LL), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(th, NULL);
	t0 = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	assert_true(t0 >= 200 * 1000000LL);
	assert_true(signals_seen > before);
	assert_int_equal(skit_write_all(p[1], "x", 1, 1000), 1);
	assert_int_equal(skit_poll(&pfd, 1, -1), 1);
	assert_true(pfd.revents & POLLIN);
	assert_int_equal(skit_poll(&pfd, 1, 0), 1);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_some_partial),
		cmocka_unit_test(test_write_all_timeout),
		cmocka_unit_test(test_read_full_timeout_and_eof),
		cmocka_unit_test(test_wait_fd_stop),
		cmocka_unit_test(test_write_all_stop),
		cmocka_unit_test(test_read_full_stop),
		cmocka_unit_test(test_write_all_partial_and_eintr),
		cmocka_unit_test(test_read_eintr),
		cmocka_unit_test(test_write_pipe_and_wait),
		cmocka_unit_test(test_send_recv_msg),
		cmocka_unit_test(test_splice),
		cmocka_unit_test(test_trace_hook),
		cmocka_unit_test(test_fd_helpers),
		cmocka_unit_test(test_eventfd),
		cmocka_unit_test(test_signalfd),
		cmocka_unit_test(test_poll),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
