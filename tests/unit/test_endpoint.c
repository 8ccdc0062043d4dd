/*
 * test_endpoint.c - skit_endpoint_open_async: every kind opens from the
 * loop (never from inside the call), a connecting socket through a dial
 * (its retry policy and on_retry), exec:'s environment copied at start,
 * cancels before anything opened. (The blocking skit_endpoint_open and
 * skit_exec_split are in test_relay.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <netinet/in.h>

#include "sockhelp.h"

#include "skit/endpoint.h"
#include "skit/loop.h"

struct res {
	int calls;
	int code;
	struct skit_endpoint ep;
	struct skit_err err;
	int retries;
};

static void
on_done(struct skit_endpoint_op *op, int code, struct skit_endpoint *ep,
	const struct skit_err *err, void *data)
{
	struct res *r = data;

	r->calls++;
	r->code = code;
	if (ep)
		r->ep = *ep;
	if (err)
		r->err = *err;
	assert_true(code == 0 ? ep != NULL : ep == NULL);
	skit_endpoint_open_cancel(op); /* a no-op from inside */
}

static void
on_retry(struct skit_dial *d, int attempt, int64_t delay_ms,
	 const struct skit_err *why, void *data)
{
	struct res *r = data;

	(void)d;
	(void)delay_ms;
	(void)why;
	r->retries++;
	assert_int_equal(attempt, r->retries);
}

static void
run_until(struct skit_loop *loop, const int *flag)
{
	int64_t end = skit_now_ns() + 5000 * 1000000LL;

	while (!*flag && skit_now_ns() < end)
		assert_true(skit_loop_run_once(loop, 20) >= 0);
	assert_true(*flag);
}

static struct skit_endpoint_op *
open_async(struct skit_loop *loop, const char *text, unsigned flags,
	   char *const *env, struct res *r)
{
	struct skit_endpoint_async cfg = {
		.default_role = SKIT_ROLE_CONNECT,
		.flags = flags,
		.env = env,
		.on_done = on_done,
		.on_retry = on_retry,
		.data = r,
	};
	struct skit_endpoint_op *op = NULL;
	struct skit_addr a;
	struct skit_err err;
	char msg[300];

	memset(r, 0, sizeof(*r));
	th_parse(text, SKIT_ROLE_CONNECT, &a);
	if (skit_endpoint_open_async(loop, &a, &cfg, &op, &err) < 0)
		fail_msg("%s", skit_err_format(&err, msg, sizeof(msg)));
	assert_non_null(op);
	assert_int_equal(r->calls, 0); /* never from inside */
	return op;
}

/* pipe: opens on the next turn; what goes in comes back. */
static void
test_pipe_next_turn(void **state)
{
	struct skit_loop *loop;
	struct res r;
	char buf[4];

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	open_async(loop, "pipe", 0, NULL, &r);
	run_until(loop, &r.calls);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.ep.kind, SKIT_KIND_PIPE);
	assert_true(r.ep.rfd >= 0 && r.ep.wfd >= 0);
	assert_int_equal(skit_write_all(r.ep.wfd, "abc", 3, 1000), 3);
	assert_int_equal(skit_read_full(r.ep.rfd, buf, 3, 1000), 3);
	assert_memory_equal(buf, "abc", 3);
	skit_endpoint_close(&r.ep);
	skit_loop_free(loop);
}

/* A connecting socket is a dial: connected, nonblocking on request. */
static void
test_tcp_dialled(void **state)
{
	struct skit_sockaddr local;
	struct skit_loop *loop;
	struct res r;
	char t[100];
	int lfd, s;

	(void)state;
	lfd = th_open("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u",
		 ntohs(((struct sockaddr_in *)&local.ss)->sin_port));
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	open_async(loop, t, SKIT_EP_NONBLOCK, NULL, &r);
	run_until(loop, &r.calls);
	assert_int_equal(r.code, 0);
	assert_true(r.ep.rfd >= 0);
	assert_int_equal(r.ep.rfd, r.ep.wfd);
	assert_int_equal(r.ep.type, SOCK_STREAM);
	assert_false(r.ep.listening);
	assert_int_equal(r.ep.peer.family, AF_INET);
	assert_int_equal(r.ep.local.family, AF_INET);
	assert_true(fcntl(r.ep.rfd, F_GETFL) & O_NONBLOCK);
	s = skit_accept(lfd, false, NULL);
	assert_true(s >= 0);
	close(s);
	skit_endpoint_close(&r.ep);
	skit_loop_free(loop);
	close(lfd);
}

/* retry= on a refused address: on_retry once, then the error. */
static void
test_retry_then_refused(void **state)
{
	struct skit_sockaddr local;
	struct skit_loop *loop;
	struct res r;
	char t[100];
	int hold;

	(void)state;
	/* Bound, not listening: connecting is refused. */
	{
		struct sockaddr_in s4 = { .sin_family = AF_INET };

		s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		hold = skit_socket(AF_INET, SOCK_STREAM, 0, false);
		assert_true(hold >= 0);
		assert_int_equal(bind(hold, (struct sockaddr *)&s4, sizeof(s4)),
				 0);
		assert_int_equal(skit_sock_local(hold, &local), 0);
	}
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u,retry=1,interval=10ms",
		 ntohs(((struct sockaddr_in *)&local.ss)->sin_port));
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	open_async(loop, t, 0, NULL, &r);
	run_until(loop, &r.calls);
	assert_int_equal(r.code, -ECONNREFUSED);
	assert_int_equal(r.retries, 1);
	assert_string_equal(r.err.op, "connect");
	skit_loop_free(loop);
	close(hold);
}

/* exec:/sh: get the environment as it was at the call. */
static void
test_env_copied(void **state)
{
	struct skit_loop *loop;
	struct res r;
	char var[32] = "SKIT_EP_TEST=first";
	char *env[] = { var, NULL };
	char got[32];
	ssize_t n;
	int st;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	open_async(loop, "sh:printf %s \"$SKIT_EP_TEST\"", 0, env, &r);
	/* The caller's buffer changes before the open happens. */
	snprintf(var, sizeof(var), "SKIT_EP_TEST=later");
	env[0] = NULL;
	run_until(loop, &r.calls);
	assert_int_equal(r.code, 0);
	assert_true(r.ep.pid > 0);
	n = skit_read_full(r.ep.rfd, got, sizeof(got) - 1, 5000);
	assert_int_equal(n, 5);
	got[n] = '\0';
	assert_string_equal(got, "first");
	skit_endpoint_close(&r.ep);
	assert_int_equal(skit_endpoint_wait(&r.ep, true, &st), 1);
	skit_loop_free(loop);
}

/* Listeners open from the loop too, without a dial. */
static void
test_listener(void **state)
{
	struct skit_loop *loop;
	struct res r;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	open_async(loop, "tcp-listen:127.0.0.1:0", 0, NULL, &r);
	run_until(loop, &r.calls);
	assert_int_equal(r.code, 0);
	assert_true(r.ep.listening);
	assert_int_not_equal(r.ep.local.len, 0);
	skit_endpoint_close(&r.ep);
	skit_loop_free(loop);
}

/*
 * Cancelled before the loop ran: nothing opens, no callback; the same
 * for a dial and for a kind opened on the next turn.
 */
static void
test_cancel(void **state)
{
	struct skit_endpoint_op *op;
	struct skit_loop *loop;
	struct res r;
	int none = 0;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	op = open_async(loop, "sh:exit 0", 0, NULL, &r);
	skit_endpoint_open_cancel(op);
	op = open_async(loop, "tcp:127.0.0.1:1", 0, NULL, &r);
	skit_endpoint_open_cancel(op);
	assert_int_equal(skit_loop_count(loop), 0);
	for (int i = 0; i < 5; i++)
		assert_true(skit_loop_run_once(loop, 10) >= 0);
	assert_int_equal(r.calls, none);
	skit_loop_free(loop);
}

/* Refused at once, with no callback to come: no on_done. */
static void
test_refusals(void **state)
{
	struct skit_endpoint_async cfg = { 0 };
	struct skit_endpoint_op *op = NULL;
	struct skit_loop *loop;
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	th_parse("pipe", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_endpoint_open_async(loop, &a, &cfg, &op, &err),
			 -EINVAL);
	assert_null(op);
	skit_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_next_turn),
		cmocka_unit_test(test_tcp_dialled),
		cmocka_unit_test(test_retry_then_refused),
		cmocka_unit_test(test_env_copied),
		cmocka_unit_test(test_listener),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
