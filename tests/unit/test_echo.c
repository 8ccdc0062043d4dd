/*
 * test_echo.c - the echo server core on one loop, driven in-process:
 * stream echo through the pending-tail path, datagrams (0 bytes
 * included), discard, max_conns, drain; and skit_echo_wake, the handler
 * that ends a blocking read outside the loop; the threaded server's
 * sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include "skit/echo.h"
#include "skit/io.h"
#include "skit/loop.h"
#include "skit/sock.h"

#include "engine/echo_int.h"

struct fixture {
	struct skit_loop *loop;
	struct skit_echo *e;
	int lfd;
	char name[64];
};

static int
open_server(struct fixture *f, const char *kind, enum skit_echo_mode mode,
	    int max_conns)
{
	struct skit_echo_cfg cfg = { .mode = mode, .max_conns = max_conns };
	struct skit_addr a;
	char text[128];

	snprintf(f->name, sizeof(f->name), "skit-test-echo-%d-%s",
		 (int)getpid(), kind);
	snprintf(text, sizeof(text), "%s:@%s", kind, f->name);
	assert_int_equal(skit_addr_parse(text, SKIT_ROLE_LISTEN, &a, NULL), 0);
	f->lfd = skit_open(&a, SKIT_ROLE_LISTEN, SKIT_OPEN_NONBLOCK, NULL, NULL,
			   NULL, NULL);
	assert_true(f->lfd >= 0);
	cfg.type = a.type;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &f->loop), 0);
	assert_int_equal(skit_echo_new(f->loop, f->lfd, &cfg, &f->e), 0);
	return 0;
}

static void
close_server(struct fixture *f)
{
	skit_echo_free(f->e);
	skit_loop_free(f->loop);
	close(f->lfd);
}

static int
client(struct fixture *f, int type)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (type == SOCK_DGRAM) {
		/* Autobind, so the server has somewhere to answer. */
		struct sockaddr_un me = { .sun_family = AF_UNIX };

		assert_int_equal(
			bind(fd, (struct sockaddr *)&me, sizeof(sa_family_t)),
			0);
	}
	un.sun_path[0] = '\0';
	memcpy(un.sun_path + 1, f->name, strlen(f->name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			  strlen(f->name));
	assert_int_equal(connect(fd, (struct sockaddr *)&un, len), 0);
	return fd;
}

static void
pump(struct fixture *f, int n)
{
	for (int i = 0; i < n; i++)
		assert_true(skit_loop_run_once(f->loop, 0) >= 0);
}

static void
test_stream_big(void **state)
{
	struct fixture f;
	struct skit_echo_stats st;
	size_t len = 4u << 20, sent = 0, got = 0;
	char *out = malloc(len), *in = malloc(len);
	int fd, rounds = 0;

	(void)state;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(i * 7 + i / 4096);
	open_server(&f, "unix", SKIT_ECHO_ECHO, 0);
	fd = client(&f, SOCK_STREAM);
	/*
	 * Write more than we read, so the server's writes come up short and
	 * it has to keep a tail and stop reading.
	 */
	while (got < len && rounds++ < 200000) {
		ssize_t n;

		if (sent < len) {
			n = skit_write_some(fd, out + sent, len - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		pump(&f, 1);
		/* Read only now and then, and not at first. */
		if (sent < (1u << 20) && rounds % 8)
			continue;
		n = skit_read_some(fd, in + got, len - got);
		if (n > 0)
			got += (size_t)n;
	}
	assert_int_equal(got, len);
	assert_memory_equal(in, out, len);
	skit_echo_stats(f.e, &st);
	assert_int_equal(st.bytes_in, len);
	assert_int_equal(st.bytes_out, len);
	assert_int_equal(st.active, 1);
	close(fd);
	pump(&f, 4);
	assert_int_equal(skit_echo_active(f.e), 0);
	close_server(&f);
	free(out);
	free(in);
}

static void
test_dgram(void **state)
{
	struct fixture f;
	struct skit_echo_stats st;
	const size_t sizes[] = { 0, 1, 65536 };
	char *buf = malloc(70000), *msg = malloc(65536);
	int fd;

	(void)state;
	memset(msg, 'x', 65536);
	open_server(&f, "unix-dgram", SKIT_ECHO_ECHO, 0);
	fd = client(&f, SOCK_DGRAM);
	for (size_t i = 0; i < 3; i++) {
		ssize_t n = -EAGAIN;

		assert_int_equal(skit_write_some(fd, msg, sizes[i]),
				 (ssize_t)sizes[i]);
		for (int k = 0; k < 100 && n == -EAGAIN; k++) {
			pump(&f, 1);
			n = skit_read_some(fd, buf, 70000);
		}
		assert_int_equal(n, (ssize_t)sizes[i]);
		assert_memory_equal(buf, msg, sizes[i]);
	}
	skit_echo_stats(f.e, &st);
	assert_int_equal(st.msgs_in, 3);
	assert_int_equal(st.msgs_out, 3);
	assert_int_equal(st.dropped, 0);
	/* Drain answers what is queued, then leaves the loop. */
	assert_int_equal(skit_write_some(fd, "late", 4), 4);
	skit_echo_drain(f.e);
	assert_int_equal(skit_read_some(fd, buf, 100), 4);
	close(fd);
	close_server(&f);
	free(buf);
	free(msg);
}

static void
test_discard_and_max_conns(void **state)
{
	struct fixture f;
	struct skit_echo_stats st;
	char buf[16];
	int a, b;

	(void)state;
	open_server(&f, "unix-seqpacket", SKIT_ECHO_DISCARD, 1);
	a = client(&f, SOCK_SEQPACKET);
	b = client(&f, SOCK_SEQPACKET);
	pump(&f, 6);
	assert_int_equal(skit_write_some(a, "hello", 5), 5);
	pump(&f, 3);
	/* Discarded: nothing comes back on a; b was closed at once. */
	assert_int_equal(skit_read_some(a, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(skit_read_some(b, buf, sizeof(buf)), 0);
	skit_echo_stats(f.e, &st);
	assert_int_equal(st.conns, 1);
	assert_int_equal(st.rejected, 1);
	assert_int_equal(st.msgs_in, 1);
	assert_int_equal(st.bytes_out, 0);
	/* Drain: no new connections, a keeps being served. */
	skit_echo_drain(f.e);
	assert_int_equal(skit_echo_active(f.e), 1);
	close(a);
	close(b);
	pump(&f, 3);
	assert_int_equal(skit_echo_active(f.e), 0);
	close_server(&f);
}

static bool
always(void *data)
{
	(void)data;
	return true;
}

/* The loop-less datagram server: with stop already set it answers what
 * is queued, then returns. */
static void
test_dgram_serve_drains(void **state)
{
	struct fixture f;
	struct skit_echo_cfg cfg = { .mode = SKIT_ECHO_ECHO,
				     .type = SOCK_DGRAM };
	struct skit_echo_stats st;
	struct skit_addr a;
	char text[128], buf[64];
	int fd;

	(void)state;
	snprintf(f.name, sizeof(f.name), "skit-test-echo-%d-block",
		 (int)getpid());
	snprintf(text, sizeof(text), "unix-dgram:@%s", f.name);
	assert_int_equal(skit_addr_parse(text, SKIT_ROLE_LISTEN, &a, NULL), 0);
	f.lfd = skit_open(&a, SKIT_ROLE_LISTEN, 0, NULL, NULL, NULL, NULL);
	assert_true(f.lfd >= 0);
	fd = client(&f, SOCK_DGRAM);
	assert_int_equal(skit_write_some(fd, "one", 3), 3);
	assert_int_equal(skit_write_some(fd, "", 0), 0);
	assert_int_equal(skit_write_some(fd, "three", 5), 5);
	assert_int_equal(skit_echo_dgram_serve(f.lfd, &cfg, always, NULL, &st),
			 0);
	assert_int_equal(st.msgs_in, 3);
	assert_int_equal(st.msgs_out, 3);
	assert_int_equal(st.bytes_out, 8);
	assert_int_equal(skit_read_some(fd, buf, sizeof(buf)), 3);
	assert_int_equal(skit_read_some(fd, buf, sizeof(buf)), 0);
	assert_int_equal(skit_read_some(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "three", 5);
	close(fd);
	close(f.lfd);
}

static long
rcvtimeo_us(int fd)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
	return tv.tv_sec * 1000000L + tv.tv_usec;
}

/*
 * The race serve_alone must survive: wake_signal lands after its check of
 * skit__alone_woken and before recv() blocks. The handler runs then (here
 * by raise()), so the read that follows must come back by itself within
 * a clock tick, though the peer stays quiet. Outside serve_alone the
 * handler only sets the flag.
 */
static void
test_wake_before_blocking_read(void **state)
{
	struct sigaction sa = { .sa_handler = skit_echo_wake }, old;
	int sv[2];
	char c;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);

	skit__alone_woken = 0;
	skit__alone_fd = sv[0]; /* as serve_alone, which then checks the flag */
	errno = EINPROGRESS;
	assert_int_equal(raise(SIGUSR1), 0);  /* the signal, just after */
	assert_int_equal(errno, EINPROGRESS); /* the handler keeps errno */
	assert_true(skit__alone_woken);
	assert_true(rcvtimeo_us(sv[0]) > 0);
	alarm(10); /* a read that blocks for good fails the test */
	assert_int_equal(recv(sv[0], &c, 1, 0), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	alarm(0);

	/* Outside serve_alone: the flag, and no socket option. */
	skit__alone_fd = -1;
	skit__alone_woken = 0;
	assert_int_equal(skit__sock_rcvtimeo(sv[0], 0), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_true(skit__alone_woken);
	assert_int_equal(rcvtimeo_us(sv[0]), 0);

	skit__alone_woken = 0;
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The other race: a connection queued on the listener before its signal
 * is armed sends none, and serve_alone would then read its one client
 * blocking while the newcomer waits (seen once in CI). Arming says so
 * (1), and a connection that comes after arming signals.
 */
static volatile sig_atomic_t async_sigs;

static void
count_async(int sig)
{
	(void)sig;
	async_sigs++;
}

static void
test_async_arm_sees_queued(void **state)
{
	struct sigaction sa = { .sa_handler = count_async }, old;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t alen;
	int lfd, c1, c2;

	(void)state;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR2, &sa, &old), 0);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(lfd >= 0);
	/* Autobind: an abstract name of the kernel's choosing. */
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(sa_family_t)),
			 0);
	assert_int_equal(listen(lfd, 4), 0);
	alen = sizeof(a);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);

	/* Nothing queued: armed, 0, and no signal yet. */
	async_sigs = 0;
	assert_int_equal(skit__sock_async(lfd, SIGUSR2, true), 0);
	assert_int_equal(async_sigs, 0);
	/* A connection after arming: the signal (synchronous on loopback). */
	c1 = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(c1, (struct sockaddr *)&a, alen), 0);
	assert_true(async_sigs >= 1);
	assert_int_equal(skit__sock_async(lfd, SIGUSR2, false), 0);

	/* Queued before arming (c1 is not accepted): arming says 1. */
	async_sigs = 0;
	assert_int_equal(skit__sock_async(lfd, SIGUSR2, true), 1);
	assert_int_equal(skit__sock_async(lfd, SIGUSR2, false), 0);
	/* Disarmed: a connection sends nothing. */
	c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(c2, (struct sockaddr *)&a, alen), 0);
	assert_int_equal(async_sigs, 0);

	assert_int_equal(sigaction(SIGUSR2, &old, NULL), 0);
	close(c1);
	close(c2);
	close(lfd);
}

static atomic_int server_done;
static atomic_int server_events;

static void
count_done(void *data)
{
	(void)data;
	atomic_fetch_add(&server_done, 1);
}

static void
count_event(const struct skit_serve_event *ev, void *data)
{
	(void)data;
	if (ev->kind == SKIT_SERVE_LIMIT)
		atomic_fetch_add(&server_events, (int)ev->count);
}

/*
 * The threaded server (skit_echo_server): two loops share one unix
 * listener, a global --max-conns counts across them, a stop drains and
 * closes the listener (new clients refused), the totals add up.
 */
static void
test_server(void **state)
{
	struct skit_echo_server_cfg cfg = { .mode = SKIT_ECHO_ECHO,
					    .threads = 2,
					    .max_conns = 2,
					    .grace_ms = 1000,
					    .on_event = count_event,
					    .on_done = count_done };
	struct skit_echo_server *srv;
	struct skit_echo_stats tot;
	struct skit_sockaddr local;
	struct skit_addr a;
	char text[128], buf[8];
	int c[3];

	(void)state;
	snprintf(text, sizeof(text), "unix:@skit-test-echo-srv-%d",
		 (int)getpid());
	assert_int_equal(skit_addr_parse(text, SKIT_ROLE_LISTEN, &a, NULL), 0);
	assert_int_equal(skit_echo_server_open(&a, &cfg, &srv, &local, NULL),
			 0);
	assert_int_equal(skit_echo_server_start(srv), 0);
	for (int i = 0; i < 3; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(
			connect(c[i], (struct sockaddr *)&local.ss, local.len),
			0);
	}
	/* Two are served; the third is closed at once (the limit). */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(write(c[i], "ping", 4), 4);
		assert_int_equal(skit_read_full(c[i], buf, 4, 5000), 4);
		assert_memory_equal(buf, "ping", 4);
	}
	assert_int_equal(skit_read_full(c[2], buf, 1, 5000), 0);
	assert_false(skit_echo_server_done(srv));
	skit_echo_server_stop(srv, false);
	/* Draining: the open ones still answer; new ones are refused. */
	assert_int_equal(write(c[0], "more", 4), 4);
	assert_int_equal(skit_read_full(c[0], buf, 4, 5000), 4);
	for (int i = 0; i < 100; i++) {
		int x = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int r = connect(x, (struct sockaddr *)&local.ss, local.len);

		close(x);
		if (r < 0) {
			assert_int_equal(errno, ECONNREFUSED);
			break;
		}
		usleep(20000);
	}
	close(c[0]);
	close(c[1]);
	for (int i = 0; i < 500 && !skit_echo_server_done(srv); i++) {
		skit_echo_server_stop(srv, false);
		usleep(10000);
	}
	assert_true(skit_echo_server_done(srv));
	assert_int_equal(atomic_load(&server_done), 2);
	assert_int_equal(skit_echo_server_wait(srv, &tot), 0);
	assert_int_equal(tot.conns, 2);
	/* the third, and a probe the limit caught before the stop got to
	 * its loop; every one reported */
	assert_true(tot.rejected >= 1);
	assert_int_equal(atomic_load(&server_events), (int)tot.rejected);
	assert_int_equal(tot.bytes_in, 12);
	assert_int_equal(tot.bytes_out, 12);
	skit_echo_server_free(srv);
	close(c[2]);
}

/* Listening sockets of this process on the port of local. */
static int
listeners_on(const struct skit_sockaddr *local)
{
	const struct sockaddr_in *want = (const void *)&local->ss;
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);
		int on = 0;
		socklen_t olen = sizeof(on);

		if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
		    sin.sin_family != AF_INET || sin.sin_port != want->sin_port)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) ==
			    0 &&
		    on)
			n++;
	}
	return n;
}

/*
 * Threads on tcp: one listener the loops take turns on (a client
 * connecting again and again stays on one loop); a socket per thread
 * only when asked to share the port (reuseport).
 */
static void
test_server_tcp_sockets(void **state)
{
	struct skit_echo_server_cfg cfg = { .mode = SKIT_ECHO_ECHO,
					    .threads = 2 };
	struct skit_echo_server *srv;
	struct skit_sockaddr local;
	struct skit_addr a;

	(void)state;
	assert_int_equal(
		skit_addr_parse("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, &a, NULL),
		0);
	assert_int_equal(skit_echo_server_open(&a, &cfg, &srv, &local, NULL),
			 0);
	assert_int_equal(listeners_on(&local), 1);
	skit_echo_server_free(srv);
	cfg.reuseport = true;
	assert_int_equal(skit_echo_server_open(&a, &cfg, &srv, &local, NULL),
			 0);
	assert_int_equal(listeners_on(&local), 2);
	skit_echo_server_free(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_big),
		cmocka_unit_test(test_dgram),
		cmocka_unit_test(test_discard_and_max_conns),
		cmocka_unit_test(test_dgram_serve_drains),
		cmocka_unit_test(test_wake_before_blocking_read),
		cmocka_unit_test(test_async_arm_sees_queued),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_server_tcp_sockets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
