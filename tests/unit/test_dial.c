/*
 * test_dial.c - Happy Eyeballs through the resolver hook: one family
 * dead, every address dead (each error reported), a pending attempt
 * overtaken by the next, and connect-timeout against a listener whose
 * accept queue is full (SYNs dropped: a local blackhole). Then the dial
 * on a caller's loop (dial.h): the stagger seen in the trace, names
 * looked up in the library's thread, cancels in every state (nothing
 * leaks: the sanitizer pass checks), the retry policy and its
 * callbacks, a full unix backlog waited out on a timer. (Long because
 * it is dial.c's whole contract, blocking and on a loop, in one place.)
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

#include <dirent.h>
#include <stdatomic.h>

#include "skit/dial.h"
#include "skit/loop.h"

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

/* --- the dial on a caller's loop (dial.h) ----------------------------- */

struct dres {
	int calls;
	int code;
	struct skit_dial_result res;
	struct skit_err err;
	int retries;
	int64_t delays[16];
	int cancel_at; /* on_retry cancels at this attempt (0: never) */
};

static void
d_done(struct skit_dial *d, int code, const struct skit_dial_result *res,
       const struct skit_err *err, void *data)
{
	struct dres *r = data;

	r->calls++;
	r->code = code;
	if (res)
		r->res = *res;
	else
		r->res.fd = -1;
	if (err)
		r->err = *err;
	assert_true(code == 0 ? res != NULL : err != NULL);
	skit_dial_cancel(d); /* allowed from inside: a no-op */
}

static void
d_retry(struct skit_dial *d, int attempt, int64_t delay_ms,
	const struct skit_err *why, void *data)
{
	struct dres *r = data;

	if (r->retries < 16)
		r->delays[r->retries] = delay_ms;
	r->retries++;
	assert_int_equal(attempt, r->retries);
	assert_non_null(why);
	assert_true(why->code < 0);
	if (r->cancel_at && attempt >= r->cancel_at)
		skit_dial_cancel(d);
}

/* Run loop until *flag, at most ms (bounded: a stuck dial fails). */
static void
run_until(struct skit_loop *loop, const int *flag, int64_t ms)
{
	int64_t end = skit_now_ns() + ms * 1000000;

	while (!*flag && skit_now_ns() < end)
		assert_true(skit_loop_run_once(loop, 20) >= 0);
}

static void
run_for(struct skit_loop *loop, int64_t ms)
{
	int never = 0;

	run_until(loop, &never, ms);
}

/*
 * How many of this process's fds are of a kind ("socket:",
 * "anon_inode:[eventfd]"): the sanitizers open files and pipes of
 * their own now and then, so a plain count would not do.
 */
static int
open_fds(const char *kind)
{
	char path[300], link[300];
	struct dirent *e;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;
	ssize_t l;

	assert_non_null(dir);
	while ((e = readdir(dir)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = '\0';
		if (strncmp(link, kind, strlen(kind)) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

static struct skit_dial *
start(struct skit_loop *loop, const char *text, struct skit_dial_cfg *cfg,
      struct dres *r)
{
	struct skit_dial *d = NULL;
	struct skit_addr a;
	struct skit_err err;
	char msg[300];

	memset(r, 0, sizeof(*r));
	r->res.fd = -1;
	cfg->on_done = d_done;
	cfg->on_retry = d_retry;
	cfg->data = r;
	th_parse(text, SKIT_ROLE_CONNECT, &a);
	if (skit_dial_start(loop, &a, cfg, &d, &err) < 0)
		fail_msg("%s", skit_err_format(&err, msg, sizeof(msg)));
	assert_non_null(d);
	/* Never a callback from inside start. */
	assert_int_equal(r->calls, 0);
	return d;
}

/* Trace lines of connect() calls, with their time. */
struct tline {
	int64_t ns;
	char text[200];
};
static struct tline tlines[16];
static int ntlines;

static void
trace_connects(void *data, const char *line)
{
	(void)data;
	if (strncmp(line, "connect(", 8) == 0 && !strstr(line, "after") &&
	    ntlines < 16) {
		tlines[ntlines].ns = skit_now_ns();
		snprintf(tlines[ntlines].text, sizeof(tlines[0].text), "%s",
			 line);
		ntlines++;
	}
}

/*
 * Two families through the hook (so the name goes through the lookup
 * thread): 127.0.0.1 silent (its queue full), then ::1 refusing. The
 * second attempt starts one stagger after the first (the first is
 * still pending), is refused, and the round times out on the first:
 * both errors in the report, the hanging one as timed out.
 */
static void
test_stagger_two_families(void **state)
{
	struct skit_dial_cfg cfg = { .stagger_ms = 150 };
	struct skit_loop *loop;
	struct dres r;
	char t[100], want[300];
	int fill[8], nfill, lfd, holders[2];
	uint16_t silent, refusing;

	(void)state;
	if (!th_have_ipv6()) {
		print_message("skip: no IPv6 loopback\n");
		skip();
	}
	lfd = full_listener(&silent, fill, &nfill);
	refusing = refusing_port(holders);
	hook_n = 0;
	hook_add("127.0.0.1", silent);
	hook_add("::1", refusing);
	cfg.res = &hook;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	ntlines = 0;
	skit_trace_set(trace_connects, NULL);
	start(loop, "tcp:dual.test:1,connect-timeout=700ms", &cfg, &r);
	run_until(loop, &r.calls, 5000);
	skit_trace_set(NULL, NULL);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.code, -ETIMEDOUT);
	assert_int_equal(r.retries, 0);
	snprintf(want, sizeof(want), "tcp:127.0.0.1:%u", silent);
	assert_string_equal(r.err.subject, want);
	snprintf(want, sizeof(want),
		 "tcp:127.0.0.1:%u: Connection timed out; "
		 "tcp:[::1]:%u: Connection refused",
		 silent, refusing);
	assert_string_equal(r.err.detail, want);
	/* The stagger: the second connect() no sooner than 150 ms after. */
	assert_int_equal(ntlines, 2);
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u", silent);
	assert_non_null(strstr(tlines[0].text, t));
	assert_non_null(strstr(tlines[1].text, "tcp:[::1]:"));
	assert_true(tlines[1].ns - tlines[0].ns >= 150 * 1000000LL);
	skit_loop_free(loop);
	close(holders[0]);
	close(holders[1]);
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
}

/* Every address refuses: the same report as skit_open's, from a loop. */
static void
test_loop_all_refused(void **state)
{
	struct skit_dial_cfg cfg = { 0 };
	struct skit_loop *loop;
	struct dres r;
	char want[300];
	int holders[2];
	uint16_t port;

	(void)state;
	port = refusing_port(holders);
	hook_n = 0;
	hook_add("127.0.0.1", port);
	hook_add("127.0.0.2", port);
	cfg.res = &hook;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	start(loop, "tcp:two.test:1", &cfg, &r);
	run_until(loop, &r.calls, 5000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.code, -ECONNREFUSED);
	assert_string_equal(r.err.op, "connect");
	snprintf(want, sizeof(want), "tcp:127.0.0.2:%u", port);
	assert_string_equal(r.err.subject, want);
	snprintf(want, sizeof(want),
		 "tcp:127.0.0.1:%u: Connection refused; "
		 "tcp:127.0.0.2:%u: Connection refused",
		 port, port);
	assert_string_equal(r.err.detail, want);
	assert_int_equal(skit_loop_count(loop), 0);
	skit_loop_free(loop);
	close(holders[0]);
	if (holders[1] >= 0)
		close(holders[1]);
}

/* A connect that works, from a loop: the fd, its peer, its mode. */
static void
test_loop_connects(void **state)
{
	struct skit_dial_cfg cfg = { .flags = SKIT_OPEN_NONBLOCK };
	struct skit_sockaddr local;
	struct skit_loop *loop;
	struct dres r;
	char t[100];
	int lfd, s;

	(void)state;
	lfd = th_open("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u", port_of(&local));
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	start(loop, t, &cfg, &r);
	run_until(loop, &r.calls, 5000);
	assert_int_equal(r.code, 0);
	assert_true(r.res.fd >= 0);
	assert_int_equal(r.res.attempts, 1);
	assert_int_equal(port_of(&r.res.peer), port_of(&local));
	assert_int_equal(r.res.peer.type, SOCK_STREAM);
	assert_true(fcntl(r.res.fd, F_GETFL) & O_NONBLOCK);
	s = skit_accept(lfd, false, NULL);
	assert_true(s >= 0);
	close(s);
	close(r.res.fd);
	skit_loop_free(loop);
	close(lfd);
}

static atomic_int slow_calls;
static atomic_bool slow_returned;
static int slow_ms;

/* A hook that takes slow_ms, then answers 127.0.0.1. */
static int
slow_gai(void *data, const char *node, const char *service,
	 const struct addrinfo *hints, struct addrinfo **res)
{
	struct timespec ts = { slow_ms / 1000, (slow_ms % 1000) * 1000000L };

	atomic_fetch_add(&slow_calls, 1);
	nanosleep(&ts, NULL);
	hook_n = 0;
	hook_add("127.0.0.1", 1);
	return hook_gai(data, node, service, hints, res);
}

static void
slow_free(void *data, struct addrinfo *ai)
{
	hook_free(data, ai);
	atomic_store(&slow_returned, true);
}

static const struct skit_resolver slow_hook = {
	.getaddrinfo = slow_gai,
	.freeaddrinfo = slow_free,
};

/* Wait (bounded) until the process has n fds of kind open again. */
static void
fds_back_to(const char *kind, int n)
{
	for (int i = 0; i < 500 && open_fds(kind) != n; i++)
		usleep(10000);
	assert_int_equal(open_fds(kind), n);
}

/*
 * Cancelled while the name is being looked up: no callback, ever; the
 * loop is left empty at once, and the thread, when its lookup returns,
 * frees what is left (its eventfd closed: the fd count comes back).
 */
static void
test_cancel_during_lookup(void **state)
{
	struct skit_dial_cfg cfg = { .res = &slow_hook };
	struct skit_loop *loop;
	struct skit_dial *d;
	struct dres r;
	int before;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	/* Earlier tests' lookup threads let go of theirs on their own. */
	fds_back_to("anon_inode:[eventfd]", 0);
	before = 0;
	slow_ms = 300;
	atomic_store(&slow_calls, 0);
	atomic_store(&slow_returned, false);
	d = start(loop, "tcp:slow.test:80", &cfg, &r);
	for (int i = 0; i < 250 && atomic_load(&slow_calls) == 0; i++)
		run_for(loop, 20);
	assert_int_equal(atomic_load(&slow_calls), 1);
	skit_dial_cancel(d);
	assert_int_equal(skit_loop_count(loop), 0);
	for (int i = 0; i < 500 && !atomic_load(&slow_returned); i++)
		usleep(10000);
	assert_true(atomic_load(&slow_returned));
	fds_back_to("anon_inode:[eventfd]", before);
	run_for(loop, 50);
	assert_int_equal(r.calls, 0);
	skit_loop_free(loop);
}

/* Cancelled with attempts in flight: every socket closed, no callback. */
static void
test_cancel_during_attempts(void **state)
{
	struct skit_dial_cfg cfg = { 0 };
	struct skit_loop *loop;
	struct skit_dial *d;
	struct skit_sockaddr v[2];
	struct skit_resolved one, two = { 2, v };
	struct skit_addr a;
	struct dres r;
	char t[100];
	int fill[2][8], nfill[2], lfd[2], before;
	uint16_t port[2];

	(void)state;
	lfd[0] = full_listener(&port[0], fill[0], &nfill[0]);
	lfd[1] = full_listener(&port[1], fill[1], &nfill[1]);
	/* A fixed list (no lookup thread, whose fd comes and goes). */
	for (int k = 0; k < 2; k++) {
		snprintf(t, sizeof(t), "tcp:127.0.0.1:%u", port[k]);
		th_parse(t, SKIT_ROLE_CONNECT, &a);
		assert_int_equal(skit_resolve(&a, 0, NULL, &one, NULL), 1);
		two.v[k] = one.v[0];
		skit_resolved_free(&one);
	}
	cfg.addrs = &two;
	cfg.stagger_ms = 20;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	before = open_fds("socket:");
	d = start(loop, "tcp:hang.test:1", &cfg, &r);
	run_for(loop, 200);
	assert_int_equal(r.calls, 0);
	/* Both attempts are pending (their sockets open, watched). */
	assert_int_equal(skit_loop_count(loop), 2);
	assert_int_equal(open_fds("socket:"), before + 2);
	skit_dial_cancel(d);
	assert_int_equal(skit_loop_count(loop), 0);
	assert_int_equal(open_fds("socket:"), before);
	run_for(loop, 50);
	assert_int_equal(r.calls, 0);
	skit_loop_free(loop);
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < nfill[k]; i++)
			close(fill[k][i]);
		close(lfd[k]);
	}
}

/* The one backoff policy, and which codes it retries. */
static void
test_retry_policy(void **state)
{
	(void)state;
	assert_int_equal(skit_retry_delay(0, 100), 100);
	assert_int_equal(skit_retry_delay(1, 100), 200);
	assert_int_equal(skit_retry_delay(2, 100), 400);
	assert_int_equal(skit_retry_delay(3, 100), 800);
	assert_int_equal(skit_retry_delay(50, 100), 800);
	assert_int_equal(skit_retry_delay(0, 0), 1000);
	assert_int_equal(skit_retry_delay(4, -5), 8000);
	assert_true(skit_retry_delay(3, INT64_MAX / 2) == INT64_MAX);
	assert_true(skit_dial_retryable(-ECONNREFUSED));
	assert_true(skit_dial_retryable(-ETIMEDOUT));
	assert_true(skit_dial_retryable(-ENOENT));
	assert_true(skit_dial_retryable(-EHOSTUNREACH));
	assert_true(skit_dial_retryable(SKIT_EAI_AGAIN));
	assert_false(skit_dial_retryable(SKIT_EAI_NONAME));
	assert_false(skit_dial_retryable(-EACCES));
	assert_false(skit_dial_retryable(SKIT_EADDR));
	assert_false(skit_dial_retryable(-ENOMEM));
	assert_false(skit_dial_retryable(-ECANCELED));
}

/* retry=2: three rounds, on_retry before each new one, then the end. */
static void
test_retry_refused(void **state)
{
	struct skit_dial_cfg cfg = { 0 };
	struct skit_loop *loop;
	struct dres r;
	char t[100];
	int holders[2];
	uint16_t port;

	(void)state;
	port = refusing_port(holders);
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u,retry=2,interval=10ms", port);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	start(loop, t, &cfg, &r);
	run_until(loop, &r.calls, 5000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.code, -ECONNREFUSED);
	assert_int_equal(r.retries, 2);
	assert_int_equal(r.delays[0], 10);
	assert_int_equal(r.delays[1], 20);
	/* cfg overrides the address: no retries. */
	cfg.retries = SKIT_DIAL_NONE;
	start(loop, t, &cfg, &r);
	run_until(loop, &r.calls, 5000);
	assert_int_equal(r.code, -ECONNREFUSED);
	assert_int_equal(r.retries, 0);
	skit_loop_free(loop);
	close(holders[0]);
	if (holders[1] >= 0)
		close(holders[1]);
}

/*
 * forever, bounded by the test: on_retry cancels the dial at the 5th
 * retry; no on_done then, and nothing left on the loop. The blocking
 * form ends with -ECANCELED when on_retry cancels.
 */
static void
test_forever_cancelled(void **state)
{
	struct skit_dial_cfg cfg = { 0 };
	struct skit_dial_result res;
	struct skit_loop *loop;
	struct skit_addr a;
	struct skit_err err;
	struct dres r;
	char t[100];
	int holders[2];
	uint16_t port;

	(void)state;
	port = refusing_port(holders);
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u,forever,interval=1ms", port);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	start(loop, t, &cfg, &r);
	r.cancel_at = 5;
	for (int i = 0; i < 250 && r.retries < 5; i++)
		run_for(loop, 20);
	assert_int_equal(r.retries, 5);
	assert_int_equal(skit_loop_count(loop), 0);
	run_for(loop, 50);
	assert_int_equal(r.calls, 0);
	assert_int_equal(r.retries, 5);
	skit_loop_free(loop);

	memset(&r, 0, sizeof(r));
	r.cancel_at = 3;
	cfg.on_retry = d_retry;
	cfg.data = &r;
	th_parse(t, SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_dial(&a, &cfg, -1, &res, &err), -ECANCELED);
	assert_string_equal(err.op, "connect");
	assert_int_equal(r.retries, 3);
	close(holders[0]);
	if (holders[1] >= 0)
		close(holders[1]);
}

static atomic_int again_calls;

static int
again_gai(void *data, const char *node, const char *service,
	  const struct addrinfo *hints, struct addrinfo **res)
{
	(void)data;
	(void)node;
	(void)service;
	(void)hints;
	(void)res;
	atomic_fetch_add(&again_calls, 1);
	return EAI_AGAIN;
}

static const struct skit_resolver again_hook = {
	.getaddrinfo = again_gai,
	.freeaddrinfo = hook_free,
};

/* A lookup that says "try again" is retried, and looked up anew. */
static void
test_retry_lookup(void **state)
{
	struct skit_dial_cfg cfg = { .res = &again_hook };
	struct skit_loop *loop;
	struct dres r;

	(void)state;
	atomic_store(&again_calls, 0);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	start(loop, "tcp:again.test:80,retry=2,interval=5ms", &cfg, &r);
	run_until(loop, &r.calls, 5000);
	assert_int_equal(r.code, SKIT_EAI_AGAIN);
	assert_string_equal(r.err.op, "resolve");
	assert_int_equal(r.retries, 2);
	assert_int_equal(atomic_load(&again_calls), 3);
	skit_loop_free(loop);
}

/*
 * A unix server whose backlog is full: the dial neither blocks nor
 * fails; it tries again on a timer, and connects once the server
 * accepts one and makes room.
 */
static void
test_loop_unix_backlog(void **state)
{
	struct skit_dial_cfg cfg = { 0 };
	struct skit_loop *loop;
	struct skit_err err;
	struct dres r;
	char name[80], t[160];
	int lfd, c1, c2 = -1, s;

	(void)state;
	snprintf(name, sizeof(name), "@skit-dial-busy-%d", (int)getpid());
	snprintf(t, sizeof(t), "unix:%s,backlog=0", name);
	lfd = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	snprintf(t, sizeof(t), "unix:%s,connect-timeout=10s", name);
	c1 = th_open(t, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	snprintf(t, sizeof(t), "unix:%s,connect-timeout=50ms", name);
	for (int i = 0; i < 4; i++) {
		struct skit_addr a;

		th_parse(t, SKIT_ROLE_CONNECT, &a);
		c2 = skit_open(&a, SKIT_ROLE_CONNECT, 0, NULL, NULL, NULL,
			       &err);
		if (c2 < 0)
			break;
		close(c2);
	}
	assert_int_equal(c2, -ETIMEDOUT);
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	snprintf(t, sizeof(t), "unix:%s,connect-timeout=20s", name);
	start(loop, t, &cfg, &r);
	run_for(loop, 150);
	assert_int_equal(r.calls, 0); /* still waiting for room */
	s = skit_accept(lfd, false, NULL);
	assert_true(s >= 0);
	run_until(loop, &r.calls, 5000);
	assert_int_equal(r.code, 0);
	assert_false(fcntl(r.res.fd, F_GETFL) & O_NONBLOCK);
	close(r.res.fd);
	close(s);
	close(c1);
	skit_loop_free(loop);
	close(lfd);
}

/*
 * The blocking form with a stop fd: the name lookup runs in the thread
 * and the stop ends the wait for it, well before the lookup returns.
 */
static void
test_stop_during_lookup(void **state)
{
	struct itimerspec it = { .it_value = { 0, 50 * 1000000 } };
	struct skit_dial_cfg cfg = { .res = &slow_hook };
	struct skit_addr a;
	struct skit_err err;
	int64_t t0;
	int stop;

	(void)state;
	slow_ms = 4000;
	atomic_store(&slow_calls, 0);
	th_parse("tcp:slow.test:80", SKIT_ROLE_CONNECT, &a);
	stop = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	assert_true(stop >= 0);
	assert_int_equal(timerfd_settime(stop, 0, &it, NULL), 0);
	t0 = skit_now_ns();
	assert_int_equal(skit_dial(&a, &cfg, stop, NULL, &err), -ECANCELED);
	assert_string_equal(err.op, "connect");
	/* Generous: the point is not waiting the lookup's 4 s. */
	assert_true(skit_now_ns() - t0 < 3000 * 1000000LL);
	close(stop);
}

static void
test_not_a_socket(void **state)
{
	struct skit_dial_cfg cfg = { .on_done = d_done };
	struct skit_loop *loop;
	struct skit_dial *d = NULL;
	struct skit_addr a;
	struct skit_err err;

	(void)state;
	assert_int_equal(skit_loop_new(SKIT_LOOP_AUTO, &loop), 0);
	th_parse("file:/dev/null", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_dial_start(loop, &a, &cfg, &d, &err), SKIT_EKIND);
	assert_null(d);
	cfg.on_done = NULL;
	th_parse("tcp:127.0.0.1:1", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_dial_start(loop, &a, &cfg, &d, &err), -EINVAL);
	assert_int_equal(skit_loop_count(loop), 0);
	skit_loop_free(loop);
}

/*
 * skit_open_stop: a connect that waits ends on the stop fd (every
 * attempt closed); a listener never waits and ignores it.
 */
static void
test_open_stop(void **state)
{
	struct itimerspec it = { .it_value = { 0, 100 * 1000000 } };
	struct skit_sockaddr local;
	struct skit_addr a;
	struct skit_err err;
	char t[100];
	int fill[8], nfill, lfd, stop, fd, before;
	uint16_t port;

	(void)state;
	lfd = full_listener(&port, fill, &nfill);
	snprintf(t, sizeof(t), "tcp4:127.0.0.1:%u", port);
	th_parse(t, SKIT_ROLE_CONNECT, &a);
	stop = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	assert_true(stop >= 0);
	assert_int_equal(timerfd_settime(stop, 0, &it, NULL), 0);
	before = open_fds("socket:");
	fd = skit_open_stop(&a, SKIT_ROLE_CONNECT, 0, NULL, stop, NULL, NULL,
			    &err);
	assert_int_equal(fd, -ECANCELED);
	assert_string_equal(err.op, "connect");
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u", port);
	assert_string_equal(err.subject, t);
	assert_int_equal(open_fds("socket:"), before);
	/* The stop fd is readable now; a listener opens all the same. */
	th_parse("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, &a);
	fd = skit_open_stop(&a, SKIT_ROLE_LISTEN, 0, NULL, stop, &local, NULL,
			    &err);
	assert_true(fd >= 0);
	assert_int_equal(local.family, AF_INET);
	close(fd);
	close(stop);
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
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
		cmocka_unit_test(test_stagger_two_families),
		cmocka_unit_test(test_loop_all_refused),
		cmocka_unit_test(test_loop_connects),
		cmocka_unit_test(test_cancel_during_lookup),
		cmocka_unit_test(test_cancel_during_attempts),
		cmocka_unit_test(test_retry_policy),
		cmocka_unit_test(test_retry_refused),
		cmocka_unit_test(test_forever_cancelled),
		cmocka_unit_test(test_retry_lookup),
		cmocka_unit_test(test_loop_unix_backlog),
		cmocka_unit_test(test_stop_during_lookup),
		cmocka_unit_test(test_not_a_socket),
		cmocka_unit_test(test_open_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
