/*
 * test_linger.c - the lingering close (linger.h): a peer whose data we
 * never read still gets everything written to it and a clean EOF, no
 * reset; the wait ends at the peer's EOF or at the deadline; a peer at
 * EOF already is closed at once; and a loop freed meanwhile closes the
 * socket (no leak: make check runs this under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>

#include "skit/linger.h"
#include "skit/loop.h"
#include "sockhelp.h"

/* A connected TCP pair on loopback: *srv (nonblocking) and *cli. */
static void
tcp_pair(int *srv, int *cli)
{
	struct skit_sockaddr local, peer;
	int l = th_open("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &local, NULL);

	*cli = skit_socket(AF_INET, SOCK_STREAM, 0, false);
	assert_true(*cli >= 0);
	assert_int_equal(
		connect(*cli, (const struct sockaddr *)&local.ss, local.len),
		0);
	*srv = skit_accept(l, true, &peer);
	assert_true(*srv >= 0);
	close(l);
}

static void
never(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	(void)loop;
	(void)fd;
	(void)ev;
	(void)data;
	fail_msg("a watcher of a closed fd ran");
}

static bool
is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Run until fd is closed (by the loop) or 5 s. */
static void
run_until_closed(struct skit_loop *loop, int fd)
{
	int64_t until = skit_now_ns() + 5000000000LL;

	while (skit_loop_count(loop) > 0 && skit_now_ns() < until)
		assert_true(skit_loop_run_once(loop, 20) >= 0);
	assert_int_equal(skit_loop_count(loop), 0);
	assert_false(is_open(fd));
}

/*
 * The peer sent 1 MB we never read; we wrote a reply and close. A plain
 * close would reset the connection and the reply could be lost; the
 * lingering one delivers it, then EOF.
 */
static void
test_unread_data(void **state)
{
	static char big[1 << 20];
	struct skit_loop *loop;
	char buf[64];
	ssize_t n, got = 0;
	int srv, cli;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	tcp_pair(&srv, &cli);
	assert_int_equal(fcntl(cli, F_SETFL, O_NONBLOCK), 0);
	n = send(cli, big, sizeof(big), MSG_NOSIGNAL);
	assert_true(n > 0);
	assert_int_equal(send(srv, "reply", 5, MSG_NOSIGNAL), 5);
	assert_int_equal(skit_linger_close(loop, srv, 5000), 0);
	assert_int_equal(skit_loop_count(loop), 1); /* waiting for EOF */
	/* The client reads the reply and a clean EOF. */
	while (got < 5) {
		assert_true(skit_loop_run_once(loop, 10) >= 0);
		n = recv(cli, buf + got, sizeof(buf) - (size_t)got, 0);
		if (n > 0)
			got += n;
		else
			assert_int_equal(errno, EAGAIN);
	}
	assert_memory_equal(buf, "reply", 5);
	for (;;) {
		assert_true(skit_loop_run_once(loop, 10) >= 0);
		n = recv(cli, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		assert_int_equal(n, -1);
		assert_int_equal(errno, EAGAIN);
	}
	/* Our EOF ends the wait. */
	shutdown(cli, SHUT_WR);
	run_until_closed(loop, srv);
	skit_loop_free(loop);
	close(cli);
}

/* A peer that never says EOF: closed at the deadline. */
static void
test_deadline(void **state)
{
	struct skit_loop *loop;
	int srv, cli;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	tcp_pair(&srv, &cli);
	assert_int_equal(skit_linger_close(loop, srv, 50), 0);
	assert_int_equal(skit_loop_count(loop), 1);
	run_until_closed(loop, srv);
	skit_loop_free(loop);
	close(cli);
}

/* EOF already there, a watched fd, ms <= 0: closed before returning. */
static void
test_at_once(void **state)
{
	struct skit_loop *loop;
	int srv, cli;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	tcp_pair(&srv, &cli);
	assert_int_equal(send(cli, "x", 1, 0), 1);
	shutdown(cli, SHUT_WR);
	assert_int_equal(skit_wait_fd(srv, POLLIN, 5000), 1);
	/* Watched by the caller: the watcher goes too. */
	assert_int_equal(skit_loop_add(loop, srv, SKIT_EV_READ, never, NULL),
			 0);
	assert_int_equal(skit_linger_close(loop, srv, 5000), 0);
	assert_int_equal(skit_loop_count(loop), 0);
	assert_false(is_open(srv));
	close(cli);
	tcp_pair(&srv, &cli);
	assert_int_equal(skit_linger_close(loop, srv, 0), 0);
	assert_false(is_open(srv));
	skit_loop_free(loop);
	close(cli);
}

/* The loop goes first: it closes the lingering socket. */
static void
test_loop_free(void **state)
{
	struct skit_loop *loop;
	char c;
	int srv, cli;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	tcp_pair(&srv, &cli);
	assert_int_equal(skit_linger_close(loop, srv, 60000), 0);
	assert_true(is_open(srv));
	skit_loop_free(loop);
	assert_false(is_open(srv));
	assert_int_equal(skit_wait_fd(cli, POLLIN, 5000), 1);
	assert_int_equal(recv(cli, &c, 1, 0), 0);
	close(cli);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unread_data),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_at_once),
		cmocka_unit_test(test_loop_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
