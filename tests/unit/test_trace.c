/*
 * test_trace.c - the narration behind --trace (skit/io.h, core/trace.c):
 * repeated calls on one fd are shown a few times and then summed up when
 * the fd closes or the trace is flushed; errors and ends of file always
 * show; flags and poll sets read as names; a real transfer through the
 * I/O layer accounts for every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/trace_int.h"
#include "skit/io.h"

static char lines[512][256];
static int nlines;

static void
collect(void *data, const char *line)
{
	(void)data;
	if (nlines < 512)
		snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
}

static int
setup(void **state)
{
	(void)state;
	nlines = 0;
	skit_trace_set(collect, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	skit_trace_flush();
	skit_trace_set(NULL, NULL);
	return 0;
}

static void
test_repeats_are_summed_up(void **state)
{
	(void)state;
	for (int i = 0; i < 10; i++)
		skit__trace_io("read", 5, 100, "%d, %d", 5, 4096);
	skit__trace_io("read", 5, -EAGAIN, "%d, %d", 5, 4096);
	/* another fd is counted on its own */
	skit__trace_io("read", 6, 7, "%d, %d", 6, 4096);
	assert_int_equal(nlines, 4);
	assert_string_equal(lines[0], "read(5, 4096) = 100");
	assert_string_equal(lines[3], "read(6, 4096) = 7");
	skit__trace_fd_done(5);
	assert_int_equal(nlines, 5);
	assert_string_equal(lines[4],
			    "... 8 more read(5) calls, 700 bytes, 1 EAGAIN");
	/* nothing left for 5; 6 had nothing counted */
	skit_trace_flush();
	assert_int_equal(nlines, 5);
}

static void
test_errors_and_eof_always_show(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++)
		skit__trace_io("recv", 9, 10, "%d", 9);
	skit__trace_io("recv", 9, -ECONNRESET, "%d", 9);
	skit__trace_io("recv", 9, 0, "%d", 9);
	assert_int_equal(nlines, 5);
	assert_string_equal(lines[3], "recv(9) = -1 ECONNRESET");
	assert_string_equal(lines[4], "recv(9) = 0");
	skit_trace_flush();
	assert_int_equal(nlines, 6);
	assert_string_equal(lines[5], "... 2 more recv(9) calls, 20 bytes");
}

static void
test_calls_without_bytes(void **state)
{
	(void)state;
	for (int i = 0; i < 1000; i++)
		skit__trace_call("epoll_wait", 3, 1, "%d, 256, -1", 3);
	skit__trace_fd_done(3);
	assert_int_equal(nlines, 4);
	assert_string_equal(lines[0], "epoll_wait(3, 256, -1) = 1");
	assert_string_equal(lines[3], "... 997 more epoll_wait(3) calls");
}

static void
test_many_fds_never_lose_a_count(void **state)
{
	(void)state;
	/* more (call, fd) pairs than the table holds: evicted ones report */
	for (int fd = 10; fd < 50; fd++)
		for (int i = 0; i < 4; i++)
			skit__trace_io("send", fd, 1, "%d", fd);
	skit_trace_flush();
	unsigned long long more = 0;
	int shown = 0;

	for (int i = 0; i < nlines; i++) {
		unsigned long long n;

		if (sscanf(lines[i], "... %llu more send(", &n) == 1)
			more += n;
		else
			shown++;
	}
	/* every one of the 160 calls is either shown or counted */
	assert_int_equal((unsigned long long)shown + more, 160);
	assert_true(more > 0);
}

static void
test_flags_by_name(void **state)
{
	static const struct skit__flag_name names[] = { { 1, "ONE" },
							{ 4, "FOUR" },
							{ 0, NULL } };
	struct pollfd p[2] = { { .fd = 5, .events = POLLIN },
			       { .fd = 3, .events = POLLIN | POLLOUT } };
	char b[128];

	(void)state;
	assert_string_equal(skit__trace_flags(b, sizeof(b), 5, names),
			    "ONE|FOUR");
	assert_string_equal(skit__trace_flags(b, sizeof(b), 0, names), "0");
	assert_string_equal(skit__trace_flags(b, sizeof(b), 0x11, names),
			    "ONE|0x10");
	assert_string_equal(skit__trace_pollfds(b, sizeof(b), p, 2),
			    "[5 POLLIN, 3 POLLIN|POLLOUT]");
	assert_string_equal(skit__trace_pollfds(b, sizeof(b), p, 0), "[]");
}

/* A real transfer: the bytes shown plus the bytes summed up = all. */
static void
test_transfer_accounts_for_every_byte(void **state)
{
	int sv[2];
	char buf[1000] = { 0 };
	unsigned long long total = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(skit_write_some(sv[0], buf, sizeof(buf)),
				 (ssize_t)sizeof(buf));
	skit_close(sv[0]);
	skit_close(sv[1]);
	for (int i = 0; i < nlines; i++) {
		unsigned long long n, b;
		char *p = lines[i], *q = lines[i];

		/* "47,000" -> "47000" */
		for (; *p; p++)
			if (*p != ',' || p[1] == ' ')
				*q++ = *p;
		*q = '\0';
		if (sscanf(lines[i], "send(%*d, %*u, MSG_NOSIGNAL) = %llu",
			   &n) == 1)
			total += n;
		else if (sscanf(lines[i], "... %llu more send(%*d) calls, %llu",
				&n, &b) == 2)
			total += b;
	}
	assert_int_equal(total, 50 * sizeof(buf));
	assert_true(nlines < 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_repeats_are_summed_up,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_and_eof_always_show,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_without_bytes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_many_fds_never_lose_a_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_by_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_transfer_accounts_for_every_byte, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
