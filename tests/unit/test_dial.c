/*
 * test_connect.c - Happy Eyeballs through the resolver hook: one family
 * dead, every address dead (each error reported), a pending attempt
 * overtaken by the next, and connect-timeout against a listener whose
 * accept queue is full (SYNs dropped: a local blackhole).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <time.h>

#include "sockhelp.h"

/*
 * The hook answers every name with the sockaddrs in hook_addrs, in
 * order, ignoring the service (so one name can carry several ports).
 */
static struct sockaddr_storage hook_addrs[32];
static int hook_n;

static int
hook_gai(void *data, const char *node, const char *service,
	 const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo *head = NULL, **tail = &head;

	(void)data;
	(void)node;
	(void)service;
	for (int i = 0; i < hook_n; i++) {
		struct addrinfo *ai = calloc(1, sizeof(*ai));
		struct sockaddr_storage *ss = malloc(sizeof(*ss));

		assert_non_null(ai);
		assert_non_null(ss);
		*ss = hook_addrs[i];
		ai->ai_family = ss->ss_family;
		ai->ai_socktype = hints->ai_socktype;
		ai->ai_addr = (struct sockaddr *)ss;
		ai->ai_addrlen = ss->ss_family == AF_INET6
					 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
		*tail = ai;
		tail = &ai->ai_next;
	}
	*res = head;
	return head ? 0 : EAI_NONAME;
}

static void
hook_free(void *data, struct addrinfo *ai)
{
	(void)data;
	while (ai) {
		struct addrinfo *next = ai->ai_next;

		free(ai->ai_addr);
		free(ai);
		ai = next;
	}
}

static const struct skit_resolver hook = {
	.getaddrinfo = hook_gai,
	.freeaddrinfo = hook_free,
};

static void
hook_add(const char *lit, uint16_t port)
{
	struct sockaddr_storage *ss;

	assert_true(hook_n < (int)(sizeof(hook_addrs) / sizeof(hook_addrs[0])));
	ss = &hook_addrs[hook_n++];

	memset(ss, 0, sizeof(*ss));
	if (strchr(lit, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, lit, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, lit, &s4->sin_addr), 1);
	}
}

static uint16_t
port_of(const struct skit_sockaddr *sa)
{
	if (sa->family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&sa->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&sa->ss)->sin_port);
}

/*
 * A port that refuses connections on both 127.0.0.1 and ::1: a TCP
 * socket bound there but not listening answers SYNs with RST. Bound
 * sockets (not listening) keep anyone else off the port meanwhile.
 * Returns the port; fds[0..1] are the holders. Bounded retries.
 */
static uint16_t
refusing_port(int fds[2])
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct skit_sockaddr l;

	for (int tries = 0; tries < 50; tries++) {
		fds[0] = skit_socket(AF_INET, SOCK_STREAM, 0, false);
		assert_true(fds[0] >= 0);
		s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(
			bind(fds[0], (struct sockaddr *)&s4, sizeof(s4)), 0);
		assert_int_equal(skit_sock_local(fds[0], &l), 0);
		if (!th_have_ipv6()) {
			fds[1] = -1;
			return port_of(&l);
		}
		fds[1] = skit_socket(AF_INET6, SOCK_STREAM, 0, false);
		assert_true(fds[1] >= 0);
		s6.sin6_addr = in6addr_loopback;
		s6.sin6_port = htons(port_of(&l));
		if (bind(fds[1], (struct sockaddr *)&s6, sizeof(s6)) == 0)
			return port_of(&l);
		close(fds[0]);
		close(fds[1]);
	}
	fail_msg("no port free on both 127.0.0.1 and ::1");
	return 0;
}

static int
open_hooked(const char *text, struct skit_sockaddr *peer, struct skit_err *err)
{
	struct skit_addr a;

	th_parse(text, SKIT_ROLE_CONNECT, &a);
	return skit_open(&a, SKIT_ROLE_CONNECT, 0, &hook, NULL, peer, err);
}

/* dual.test -> ::1, 127.0.0.1; only the IPv4 one listens. */
static void
test_one_family_listens(void **state)
{
	struct skit_sockaddr peer, local;
	struct skit_err err;
	char t[100], msg[300];
	int holders[2], lfd, fd, s;
	uint16_t port;

	(void)state;
	if (!th_have_ipv6()) {
		print_message("skip: no IPv6 loopback\n");
		skip();
	}
	port = refusing_port(holders);
	/* Make the IPv4 side listen: replace the holder by a listener. */
	close(holders[0]);
	snprintf(t, sizeof(t), "tcp4:127.0.0.1:%u", port);
	lfd = th_open(t, SKIT_ROLE_LISTEN, 0, &local, NULL);
	hook_n = 0;
	hook_add("::1", port);
	hook_add("127.0.0.1", port);
	snprintf(t, sizeof(t), "tcp:dual.test:%u", port);
	fd = open_hooked(t, &peer, &err);
	if (fd < 0)
		fail_msg("%s", skit_err_format(&err, msg, sizeof(msg)));
	assert_int_equal(peer.family, AF_INET);
	assert_int_equal(port_of(&peer), port);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	s = skit_accept(lfd, false, NULL);
	assert_true(s >= 0);
	assert_int_equal(skit_write_all(fd, "he", 2, 1000), 2);
	assert_int_equal(skit_read_full(s, t, 2, 1000), 2);
	close(s);
	close(fd);
	close(lfd);

	/* The mirror image: only ::1 listens, and IPv4 comes first. */
	snprintf(t, sizeof(t), "tcp6:[::1]:%u", port);
	close(holders[1]);
	lfd = th_open(t, SKIT_ROLE_LISTEN, 0, &local, NULL);
	hook_n = 0;
	hook_add("127.0.0.1", port);
	hook_add("::1", port);
	snprintf(t, sizeof(t), "tcp:dual.test:%u", port);
	fd = open_hooked(t, &peer, &err);
	if (fd < 0) {
		/* 127.0.0.1:port may have been taken meanwhile: say so. */
		fail_msg("%s", skit_err_format(&err, msg, sizeof(msg)));
	}
	assert_int_equal(peer.family, AF_INET6);
	close(fd);
	close(lfd);
}

/* Every address refuses: each one's error is in the report. */
static void
test_all_fail(void **state)
{
	struct skit_err err;
	char t[100], want[300], msg[600];
	int holders[2], r;
	uint16_t port;

	(void)state;
	if (!th_have_ipv6()) {
		print_message("skip: no IPv6 loopback\n");
		skip();
	}
	port = refusing_port(holders);
	hook_n = 0;
	hook_add("::1", port);
	hook_add("127.0.0.1", port);
	snprintf(t, sizeof(t), "tcp:dual.test:%u", port);
	r = open_hooked(t, NULL, &err);
	assert_int_equal(r, -ECONNREFUSED);
	assert_int_equal(err.code, -ECONNREFUSED);
	assert_string_equal(err.op, "connect");
	/* The last real error, with its address. */
	snprintf(want, sizeof(want), "tcp:127.0.0.1:%u", port);
	assert_string_equal(err.subject, want);
	snprintf(want, sizeof(want),
		 "tcp:[::1]:%u: Connection refused; "
		 "tcp:127.0.0.1:%u: Connection refused",
		 port, port);
	assert_string_equal(err.detail, want);
	skit_err_format(&err, msg, sizeof(msg));
	assert_non_null(strstr(msg, want));
	close(holders[0]);
	if (holders[1] >= 0)
		close(holders[1]);
}

/* One address: the plain message, no list. */
static void
test_single_refused(void **state)
{
	struct skit_err err;
	char t[100], want[200], msg[300];
	int holders[2];
	uint16_t port;

	(void)state;
	port = refusing_port(holders);
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u", port);
	assert_int_equal(th_open_err(t, SKIT_ROLE_CONNECT, 0, NULL, &err),
			 -ECONNREFUSED);
	skit_err_format(&err, msg, sizeof(msg));
	snprintf(want, sizeof(want),
		 "connect tcp:127.0.0.1:%u: Connection refused", port);
	assert_string_equal(msg, want);
	close(holders[0]);
	if (holders[1] >= 0)
		close(holders[1]);
}

/*
 * A listener with backlog 0 and its accept queue full drops new SYNs:
 * connecting to it stays pending, like a blackholed address, without
 * leaving loopback. Returns the listener; filler fds in fill[].
 */
static int
full_listener(uint16_t *port, int fill[8], int *nfill)
{
	struct skit_sockaddr local;
	int lfd, fd, r;

	lfd = th_open("tcp4:127.0.0.1:0,backlog=0", SKIT_ROLE_LISTEN, 0, &local,
		      NULL);
	*port = port_of(&local);
	*nfill = 0;
	/*
	 * With backlog 0 the queue holds one connection (the kernel calls
	 * it full when more than backlog are queued). Fill until one
	 * filler has connected and the next one stays pending. Bounded:
	 * eight fillers, a few seconds.
	 */
	int done = 0;

	while (*nfill < 8) {
		struct sockaddr_in s4 = { .sin_family = AF_INET };

		fd = skit_socket(AF_INET, SOCK_STREAM, 0, true);
		assert_true(fd >= 0);
		fill[(*nfill)++] = fd;
		s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4.sin_port = htons(*port);
		r = connect(fd, (struct sockaddr *)&s4, sizeof(s4));
		if (r < 0 && errno != EINPROGRESS)
			fail_msg("filler connect: %s", strerror(errno));
		if (r < 0 &&
		    skit_wait_fd(fd, POLLOUT, done ? 300 : 5000) == 0) {
			if (done)
				return lfd;
			fail_msg("the first filler never connected");
		}
		done++;
	}
	fail_msg("accept queue never filled");
	return -1;
}

static void
test_connect_timeout(void **state)
{
	struct skit_err err;
	char t[100], msg[300];
	int fill[8], nfill, lfd;
	uint16_t port;

	(void)state;
	lfd = full_listener(&port, fill, &nfill);
	snprintf(t, sizeof(t), "tcp4:127.0.0.1:%u,connect-timeout=200ms", port);
	assert_int_equal(th_open_err(t, SKIT_ROLE_CONNECT, 0, NULL, &err),
			 -ETIMEDOUT);
	skit_err_format(&err, msg, sizeof(msg));
	snprintf(t, sizeof(t), "connect tcp:127.0.0.1:%u: Connection timed out",
		 port);
	assert_string_equal(msg, t);
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
}

/*
 * A connect that waits (full queue), with no time-out: a stop fd that
 * turns readable (here a timerfd, in skit a signal's eventfd) ends it,
 * -ECANCELED with op "connect", every attempt closed.
 */
static void
test_connect_stop(void **state)
{
	struct itimerspec it = { .it_value = { 0, 100 * 1000000 } };
	struct skit_resolved r = { 0 };
	struct skit_addr a;
	struct skit_err err;
	char t[100];
	int fill[8], nfill, lfd, stop, fd;
	uint16_t port;

	(void)state;
	lfd = full_listener(&port, fill, &nfill);
	snprintf(t, sizeof(t), "tcp4:127.0.0.1:%u", port);
	th_parse(t, SKIT_ROLE_CONNECT, &a);
	assert_true(skit_resolve(&a, SKIT_OPEN_NUMERIC, NULL, &r, &err) >= 0);
	stop = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	assert_true(stop >= 0);
	assert_int_equal(timerfd_settime(stop, 0, &it, NULL), 0);
	fd = skit_connect_he_stop(&a, &r, 250, -1, 0, stop, NULL, &err);
	assert_int_equal(fd, -ECANCELED);
	assert_int_equal(err.code, -ECANCELED);
	assert_string_equal(err.op, "connect");
	skit_resolved_free(&r);
	close(stop);
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
}

/*
 * The first address hangs (full queue); after the stagger the second
 * starts and wins, and the hanging attempt is abandoned.
 */
static void
test_stagger_overtakes(void **state)
{
	struct skit_sockaddr local, peer;
	struct skit_err err;
	char msg[300];
	int fill[8], nfill, lfd, good, fd, s;
	uint16_t port, gport;

	(void)state;
	lfd = full_listener(&port, fill, &nfill);
	good = th_open("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	gport = port_of(&local);
	hook_n = 0;
	hook_add("127.0.0.1", port);
	hook_add("127.0.0.1", gport);
	fd = open_hooked("tcp:slow.test:1,connect-timeout=20s", &peer, &err);
	if (fd < 0)
		fail_msg("%s", skit_err_format(&err, msg, sizeof(msg)));
	assert_int_equal(port_of(&peer), gport);
	s = skit_accept(good, false, NULL);
	assert_true(s >= 0);
	close(s);
	close(fd);
	close(good);
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
}

/* Several pending attempts, all hanging: the overall limit holds. */
static void
test_timeout_many(void **state)
{
	struct skit_err err;
	int fill[8], nfill, lfd, fd;
	uint16_t port;

	(void)state;
	lfd = full_listener(&port, fill, &nfill);
	hook_n = 0;
	hook_add("127.0.0.1", port);
	hook_add("127.0.0.2", port);
	fd = open_hooked("tcp:slow.test:1,connect-timeout=400ms", NULL, &err);
	/*
	 * 127.0.0.1 hangs; 127.0.0.2 (if its turn comes before the limit)
	 * is refused, as the listener is bound to 127.0.0.1 only. Either
	 * way the overall time-out is the verdict, and the hanging
	 * address is reported as timed out.
	 */
	assert_int_equal(fd, -ETIMEDOUT);
	assert_int_equal(err.code, -ETIMEDOUT);
	assert_non_null(strstr(err.detail, "tcp:127.0.0.1:"));
	assert_non_null(strstr(err.detail, "Connection timed out"));
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
}

/*
 * Unix stream sockets wait for room in a busy server's backlog (a
 * nonblocking connect would fail with EAGAIN); connect-timeout bounds
 * the wait, and the blocking mode asked for is what comes back.
 */
static void
test_unix_busy_backlog(void **state)
{
	struct skit_err err;
	char name[80], t[160];
	int lfd, c1, c2 = -1;

	(void)state;
	snprintf(name, sizeof(name), "@skit-busy-%d", (int)getpid());
	snprintf(t, sizeof(t), "unix:%s,backlog=0", name);
	lfd = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	snprintf(t, sizeof(t), "unix:%s,connect-timeout=10s", name);
	c1 = th_open(t, SKIT_ROLE_CONNECT, SKIT_OPEN_NONBLOCK, NULL, NULL);
	assert_true(fcntl(c1, F_GETFL) & O_NONBLOCK);
	/* Fill the queue (bounded): then the next one has to wait. */
	snprintf(t, sizeof(t), "unix:%s,connect-timeout=100ms", name);
	for (int i = 0; i < 4; i++) {
		struct skit_addr a;

		th_parse(t, SKIT_ROLE_CONNECT, &a);
		c2 = skit_open(&a, SKIT_ROLE_CONNECT, 0, NULL, NULL, NULL,
			       &err);
		if (c2 < 0)
			break;
		assert_false(fcntl(c2, F_GETFL) & O_NONBLOCK);
		close(c2);
	}
	assert_int_equal(c2, -ETIMEDOUT);
	assert_string_equal(err.op, "connect");
	close(c1);
	close(lfd);
}

/* Many addresses, all refused: whole entries that fit, then how many
 * more; never overrun. */
static void
test_many_refused(void **state)
{
	struct skit_err err;
	char lit[32];
	int holders[2], fd;
	uint16_t port;

	(void)state;
	port = refusing_port(holders);
	hook_n = 0;
	for (int i = 1; i <= 20; i++) {
		snprintf(lit, sizeof(lit), "127.0.0.%d", i);
		hook_add(lit, port);
	}
	fd = open_hooked("tcp:many.test:1", NULL, &err);
	assert_int_equal(fd, -ECONNREFUSED);
	assert_true(strlen(err.detail) < sizeof(err.detail));
	assert_true(strncmp(err.detail, "tcp:127.0.0.1:", 14) == 0);
	{
		/* Every entry whole, and the count of the rest. */
		const char *p = err.detail, *m = strstr(err.detail, "; +");
		int whole = 0, rest = 0;

		while ((p = strstr(p, ": Connection refused")) != NULL) {
			whole++;
			p++;
		}
		assert_non_null(m);
		assert_int_equal(sscanf(m, "; +%d more", &rest), 1);
		assert_true(whole > 1);
		assert_int_equal(whole + rest, 20);
	}
	/* The last address tried is the subject. */
	snprintf(lit, sizeof(lit), "tcp:127.0.0.20:%u", port);
	assert_string_equal(err.subject, lit);
	close(holders[0]);
	if (holders[1] >= 0)
		close(holders[1]);
}

static void
test_empty_list(void **state)
{
	struct skit_resolved r = { 0 };
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	th_parse("tcp:127.0.0.1:1", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_connect_he(&a, &r, 250, 100, 0, NULL, &err),
			 SKIT_EAI_NODATA);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_family_listens),
		cmocka_unit_test(test_all_fail),
		cmocka_unit_test(test_single_refused),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_connect_stop),
		cmocka_unit_test(test_stagger_overtakes),
		cmocka_unit_test(test_timeout_many),
		cmocka_unit_test(test_unix_busy_backlog),
		cmocka_unit_test(test_many_refused),
		cmocka_unit_test(test_empty_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
