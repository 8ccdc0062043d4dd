/*
 * test_sock.c - skit_open for both roles over every domain x type this
 * machine supports, with bytes exchanged; options; trace lines; vsock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <linux/if_packet.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/un.h>

#include "sockhelp.h"
#include "skit/loop.h" /* skit_now_ns */

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	th_tmpdir(tmpdir, sizeof(tmpdir));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	th_rmdir(tmpdir);
	return 0;
}

static int
getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);

	assert_int_equal(getsockopt(fd, level, name, &v, &l), 0);
	return v;
}

/* Send "msg" on from, expect it on to (one message for datagrams). */
static void
pass(int from, int to, const char *msg)
{
	char buf[64];
	size_t n = strlen(msg);

	assert_int_equal(skit_write_all(from, msg, n, 5000), (ssize_t)n);
	assert_int_equal(skit_read_full(to, buf, n, 5000), (ssize_t)n);
	assert_memory_equal(buf, msg, n);
}

/*
 * Listen on ltext, connect to the address the listener reports (so the
 * formatter round-trips through the parser too), and exchange bytes in
 * both directions. Datagram servers answer with sendto() to the
 * sender's address, which needs the client bound: cbind is its bind=.
 */
static void
roundtrip(const char *ltext, const char *cbind)
{
	struct skit_sockaddr local, peer, clocal, apeer;
	char ctext[400], ltxt[300], buf[64];
	int lfd, cfd, sfd;

	lfd = th_open(ltext, SKIT_ROLE_LISTEN, 0, &local, NULL);
	th_str(&local, ltxt, sizeof(ltxt));
	snprintf(ctext, sizeof(ctext), "%s%s%s", ltxt, cbind ? ",bind=" : "",
		 cbind ? cbind : "");
	cfd = th_open(ctext, SKIT_ROLE_CONNECT, 0, &clocal, &peer);
	assert_int_equal(peer.family, local.family);
	assert_int_equal(peer.type, local.type);
	assert_int_equal(clocal.type, local.type);
	/* Born CLOEXEC, blocking by default. */
	assert_true(fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	assert_false(fcntl(cfd, F_GETFL) & O_NONBLOCK);

	if (local.type == SOCK_DGRAM) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);

		assert_int_equal(skit_write_all(cfd, "ping", 4, 5000), 4);
		assert_int_equal(skit_recvfrom(lfd, buf, sizeof(buf), 0,
					       (struct sockaddr *)&from, &fl),
				 4);
		assert_memory_equal(buf, "ping", 4);
		if (local.family != AF_UNIX || cbind) {
			assert_int_equal(skit_sendto(lfd, "pong", 4, 0,
						     (struct sockaddr *)&from,
						     fl),
					 4);
			assert_int_equal(skit_read_some(cfd, buf, sizeof(buf)),
					 4);
			assert_memory_equal(buf, "pong", 4);
		}
	} else {
		sfd = skit_accept(lfd, false, &apeer);
		assert_true(sfd >= 0);
		assert_true(fcntl(sfd, F_GETFD) & FD_CLOEXEC);
		assert_int_equal(apeer.type, local.type);
		pass(cfd, sfd, "hello server");
		pass(sfd, cfd, "hello client");
		if (local.type == SOCK_SEQPACKET) {
			/* Record boundaries hold: two sends, two reads. */
			assert_int_equal(skit_write_all(cfd, "ab", 2, 5000), 2);
			assert_int_equal(skit_write_all(cfd, "cd", 2, 5000), 2);
			assert_int_equal(skit_read_some(sfd, buf, sizeof(buf)),
					 2);
			assert_int_equal(skit_read_some(sfd, buf, sizeof(buf)),
					 2);
			assert_memory_equal(buf, "cd", 2);
		}
		/* Half-close: EOF reaches the other side. */
		assert_int_equal(skit_shutdown(cfd, SHUT_WR), 0);
		assert_int_equal(skit_read_some(sfd, buf, sizeof(buf)), 0);
		close(sfd);
	}
	close(cfd);
	close(lfd);
}

static void
test_tcp4(void **state)
{
	(void)state;
	roundtrip("tcp4:127.0.0.1:0", NULL);
}

static void
test_tcp6(void **state)
{
	(void)state;
	if (!th_have_ipv6()) {
		print_message("skip: no IPv6 loopback\n");
		skip();
	}
	roundtrip("tcp6:[::1]:0", NULL);
}

static void
test_udp4(void **state)
{
	(void)state;
	roundtrip("udp4:127.0.0.1:0", NULL);
}

/*
 * A UDP socket connected to a port nobody serves: the ICMP port
 * unreachable becomes its pending error (POLLERR), which
 * skit_sock_error takes, and then it is gone.
 */
static void
test_sock_error(void **state)
{
	struct skit_sockaddr local;
	struct pollfd p;
	char t[64];
	int l, fd;

	(void)state;
	l = th_open("udp4:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	snprintf(t, sizeof(t), "udp4:127.0.0.1:%u",
		 ntohs(((struct sockaddr_in *)&local.ss)->sin_port));
	close(l); /* the port is closed now */
	fd = th_open(t, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	assert_int_equal(skit_sock_error(fd), 0);
	assert_int_equal(skit_write_some(fd, "x", 1), 1);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_true(p.revents & POLLERR);
	assert_int_equal(skit_sock_error(fd), -ECONNREFUSED);
	assert_int_equal(skit_sock_error(fd), 0);
	p.revents = 0;
	assert_int_equal(poll(&p, 1, 0), 0);
	close(fd);
}

static void
test_udp6(void **state)
{
	(void)state;
	if (!th_have_ipv6()) {
		print_message("skip: no IPv6 loopback\n");
		skip();
	}
	roundtrip("udp6:[::1]:0", NULL);
}

static void
test_unix_paths(void **state)
{
	char t[200], b[200];

	(void)state;
	snprintf(t, sizeof(t), "unix:%s/stream.sock", tmpdir);
	roundtrip(t, NULL);
	snprintf(t, sizeof(t), "unix-seqpacket:%s/seq.sock", tmpdir);
	roundtrip(t, NULL);
	snprintf(t, sizeof(t), "unix-dgram:%s/dgram.sock", tmpdir);
	snprintf(b, sizeof(b), "%s/dgram-client.sock", tmpdir);
	roundtrip(t, b);
	/* Without a bound client the datagram still goes one way. */
	snprintf(t, sizeof(t), "unix-dgram:%s/dgram2.sock", tmpdir);
	roundtrip(t, NULL);
}

static void
test_unix_abstract(void **state)
{
	char t[200], b[200];
	int pid = (int)getpid();

	(void)state;
	snprintf(t, sizeof(t), "unix:@skit-test-%d-stream", pid);
	roundtrip(t, NULL);
	snprintf(t, sizeof(t), "unix-seqpacket:@skit-test-%d-seq", pid);
	roundtrip(t, NULL);
	snprintf(t, sizeof(t), "unix-dgram:@skit-test-%d-dgram", pid);
	snprintf(b, sizeof(b), "@skit-test-%d-dgram-client", pid);
	roundtrip(t, b);
}

static void
test_abstract_exact_length(void **state)
{
	struct skit_sockaddr local;
	char t[200], want[100];
	int fd, pid = (int)getpid();

	(void)state;
	snprintf(t, sizeof(t), "unix:@skit-len-%d", pid);
	snprintf(want, sizeof(want), "skit-len-%d", pid);
	fd = th_open(t, SKIT_ROLE_LISTEN, 0, &local, NULL);
	/* The kernel reports exactly the bytes we bound: no NUL padding. */
	assert_int_equal(local.len, offsetof(struct sockaddr_un, sun_path) + 1 +
					    strlen(want));
	close(fd);
}

/* tcp::PORT listens on one [::] socket that also takes IPv4. */
static void
test_dual_stack_listen(void **state)
{
	struct skit_sockaddr local, peer;
	char t[100], ltxt[200];
	int lfd, c4, c6, s;
	uint16_t port;

	(void)state;
	if (!th_have_ipv6()) {
		print_message("skip: no IPv6 loopback\n");
		skip();
	}
	lfd = th_open("tcp::0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	assert_int_equal(local.family, AF_INET6);
	assert_int_equal(getint(lfd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	assert_int_equal(getint(lfd, SOL_SOCKET, SO_REUSEADDR), 1);
	port = ntohs(((struct sockaddr_in6 *)&local.ss)->sin6_port);
	th_str(&local, ltxt, sizeof(ltxt));
	assert_non_null(strstr(ltxt, "[::]"));
	snprintf(t, sizeof(t), "tcp:127.0.0.1:%u", port);
	c4 = th_open(t, SKIT_ROLE_CONNECT, 0, NULL, &peer);
	assert_int_equal(peer.family, AF_INET);
	snprintf(t, sizeof(t), "tcp:[::1]:%u", port);
	c6 = th_open(t, SKIT_ROLE_CONNECT, 0, NULL, &peer);
	assert_int_equal(peer.family, AF_INET6);
	for (int i = 0; i < 2; i++) {
		s = skit_accept(lfd, false, NULL);
		assert_true(s >= 0);
		close(s);
	}
	close(c4);
	close(c6);
	close(lfd);

	/* tcp6 keeps to IPv6, tcp4 to IPv4. */
	lfd = th_open("tcp6::0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	assert_int_equal(local.family, AF_INET6);
	assert_int_equal(getint(lfd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	close(lfd);
	lfd = th_open("tcp4::0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	assert_int_equal(local.family, AF_INET);
	close(lfd);
	/* An explicit v6only wins over the dual-stack default. */
	lfd = th_open("tcp::0,v6only", SKIT_ROLE_LISTEN, 0, &local, NULL);
	assert_int_equal(getint(lfd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	close(lfd);
}

static void
test_options_applied(void **state)
{
	struct skit_sockaddr local, clocal;
	char t[200];
	int lfd, cfd, s;
	uint16_t port;

	(void)state;
	lfd = th_open("tcp4:127.0.0.1:0,reuseport,rcvbuf=64k,backlog=3",
		      SKIT_ROLE_LISTEN, SKIT_OPEN_NONBLOCK, &local, NULL);
	assert_true(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(getint(lfd, SOL_SOCKET, SO_REUSEPORT), 1);
	assert_true(getint(lfd, SOL_SOCKET, SO_RCVBUF) >= 64 * 1024);
	assert_int_equal(getint(lfd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	/* Nothing pending: nonblocking accept says so. */
	assert_int_equal(skit_accept(lfd, true, NULL), -EAGAIN);
	port = ntohs(((struct sockaddr_in *)&local.ss)->sin_port);
	snprintf(t, sizeof(t),
		 "tcp4:127.0.0.1:%u,nodelay,keepalive,sndbuf=32k,ttl=7,"
		 "tos=16,bind=127.0.0.2",
		 port);
	cfd = th_open(t, SKIT_ROLE_CONNECT, SKIT_OPEN_NONBLOCK, &clocal, NULL);
	assert_true(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(getint(cfd, IPPROTO_TCP, TCP_NODELAY), 1);
	assert_int_equal(getint(cfd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_true(getint(cfd, SOL_SOCKET, SO_SNDBUF) >= 32 * 1024);
	assert_int_equal(getint(cfd, IPPROTO_IP, IP_TTL), 7);
	assert_int_equal(getint(cfd, IPPROTO_IP, IP_TOS), 16);
	/* bind= chose the source address. */
	assert_int_equal(((struct sockaddr_in *)&clocal.ss)->sin_addr.s_addr,
			 htonl(0x7f000002));
	assert_int_equal(skit_wait_fd(lfd, POLLIN, 5000), 1);
	s = skit_accept(lfd, true, NULL);
	assert_true(s >= 0);
	assert_true(fcntl(s, F_GETFL) & O_NONBLOCK);
	close(s);
	close(cfd);
	close(lfd);
}

/* Root-only options: bindtodevice and mark. */
static void
test_privileged_options(void **state)
{
	struct skit_sockaddr local;
	char t[200], dev[IFNAMSIZ] = "";
	socklen_t l = sizeof(dev);
	int lfd, cfd, s;

	(void)state;
	if (geteuid() != 0) {
		print_message("skip: bindtodevice= and mark= need root\n");
		skip();
	}
	lfd = th_open("udp4:127.0.0.1:0,bindtodevice=lo,mark=7",
		      SKIT_ROLE_LISTEN, 0, &local, NULL);
	assert_int_equal(getint(lfd, SOL_SOCKET, SO_MARK), 7);
	assert_int_equal(getsockopt(lfd, SOL_SOCKET, SO_BINDTODEVICE, dev, &l),
			 0);
	assert_string_equal(dev, "lo");
	close(lfd);
	lfd = th_open("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	snprintf(t, sizeof(t), "tcp4:127.0.0.1:%u,bindtodevice=lo,mark=9",
		 ntohs(((struct sockaddr_in *)&local.ss)->sin_port));
	cfd = th_open(t, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	assert_int_equal(getint(cfd, SOL_SOCKET, SO_MARK), 9);
	{
		/* The whole u32 range of SO_MARK. */
		int m = th_open("udp4:127.0.0.1:0,mark=4294967295",
				SKIT_ROLE_LISTEN, 0, NULL, NULL);

		assert_int_equal((uint32_t)getint(m, SOL_SOCKET, SO_MARK),
				 UINT32_MAX);
		close(m);
	}
	s = skit_accept(lfd, false, NULL);
	assert_true(s >= 0);
	close(s);
	close(cfd);
	close(lfd);
}

/* Packet sockets bind to their interface; ICMP falls back to raw. */
static void
test_packet_icmp_open(void **state)
{
	struct skit_sockaddr local, peer;
	struct sockaddr_ll *ll;
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("skip: packet sockets need CAP_NET_RAW\n");
		skip();
	}
	fd = th_open("packet:lo,ethertype=0x88b5", SKIT_ROLE_LISTEN, 0, &local,
		     NULL);
	ll = (struct sockaddr_ll *)&local.ss;
	assert_int_equal(local.family, AF_PACKET);
	assert_int_equal(ll->sll_ifindex, (int)if_nametoindex("lo"));
	assert_int_equal(ll->sll_protocol, htons(0x88b5));
	close(fd);
	{
		/* Raw IP, protocol 253 (experimental): a datagram goes. */
		char buf[128];
		int l = th_open("ip:127.0.0.1,proto=253", SKIT_ROLE_LISTEN, 0,
				NULL, NULL);
		int c = th_open("ip:127.0.0.1,proto=253", SKIT_ROLE_CONNECT, 0,
				NULL, &peer);

		assert_int_equal(peer.type, SOCK_RAW);
		assert_int_equal(peer.protocol, 253);
		assert_int_equal(skit_write_all(c, "raw!", 4, 1000), 4);
		/* IPv4 raw sockets receive the IP header too. */
		assert_int_equal(skit_wait_fd(l, POLLIN, 5000), 1);
		assert_int_equal(skit_read_some(l, buf, sizeof(buf)), 24);
		assert_memory_equal(buf + 20, "raw!", 4);
		close(c);
		close(l);
	}
	fd = th_open("icmp:127.0.0.1", SKIT_ROLE_CONNECT, 0, &local, &peer);
	assert_true(peer.type == SOCK_DGRAM || peer.type == SOCK_RAW);
	assert_int_equal(peer.protocol, IPPROTO_ICMP);
	assert_int_equal(getint(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_ICMP);
	close(fd);
}

/* udp::PORT is dual-stack too: IPv4 senders arrive v4-mapped. */
static void
test_udp_dual_stack(void **state)
{
	struct skit_sockaddr local;
	char t[100], buf[8];
	int lfd, cfd;

	(void)state;
	if (!th_have_ipv6()) {
		print_message("skip: no IPv6 loopback\n");
		skip();
	}
	lfd = th_open("udp::0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	assert_int_equal(local.family, AF_INET6);
	assert_int_equal(getint(lfd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	snprintf(t, sizeof(t), "udp:127.0.0.1:%u",
		 ntohs(((struct sockaddr_in6 *)&local.ss)->sin6_port));
	cfd = th_open(t, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	assert_int_equal(skit_write_all(cfd, "v4", 2, 1000), 2);
	assert_int_equal(skit_read_some(lfd, buf, sizeof(buf)), 2);
	close(cfd);
	close(lfd);
}

/* ttl= and tos= land on their IPv6 twins on an AF_INET6 socket. */
static void
test_options_ipv6(void **state)
{
	int fd;

	(void)state;
	if (!th_have_ipv6()) {
		print_message("skip: no IPv6 loopback\n");
		skip();
	}
	fd = th_open("udp6:[::1]:0,ttl=9,tos=32", SKIT_ROLE_LISTEN, 0, NULL,
		     NULL);
	assert_int_equal(getint(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 9);
	assert_int_equal(getint(fd, IPPROTO_IPV6, IPV6_TCLASS), 32);
	close(fd);
}

/* mode= on an abstract name would protect nothing: refused. */
static void
test_abstract_mode_refused(void **state)
{
	struct skit_err err;
	char t[100];

	(void)state;
	snprintf(t, sizeof(t), "unix:@skit-mode-%d,mode=0600", (int)getpid());
	assert_int_equal(th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			 SKIT_EOPTION);
	assert_non_null(strstr(err.detail, "abstract"));
}

static void
test_errors(void **state)
{
	struct skit_sockaddr local;
	struct skit_err err;
	char t[100], msg[300];
	int lfd, r;
	uint16_t port;

	(void)state;
	lfd = th_open("tcp4:127.0.0.1:0,reuseaddr=0", SKIT_ROLE_LISTEN, 0,
		      &local, NULL);
	port = ntohs(((struct sockaddr_in *)&local.ss)->sin_port);
	snprintf(t, sizeof(t), "tcp4:127.0.0.1:%u", port);
	r = th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err);
	assert_int_equal(r, -EADDRINUSE);
	assert_string_equal(err.op, "bind");
	skit_err_format(&err, msg, sizeof(msg));
	snprintf(t, sizeof(t), "bind tcp:127.0.0.1:%u: Address already in use",
		 port);
	assert_string_equal(msg, t);
	close(lfd);

	/* A non-socket kind is not for skit_open. */
	{
		struct skit_addr a;

		th_parse("file:/dev/null", SKIT_ROLE_CONNECT, &a);
		assert_int_equal(skit_open(&a, SKIT_ROLE_CONNECT, 0, NULL, NULL,
					   NULL, &err),
				 SKIT_EKIND);
	}
}

struct trace_log {
	char lines[32][256];
	int n;
};

static void
trace_cb(void *data, const char *line)
{
	struct trace_log *t = data;

	if (t->n < 32)
		snprintf(t->lines[t->n++], sizeof(t->lines[0]), "%s", line);
}

static bool
traced(const struct trace_log *t, const char *want)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->lines[i], want) == 0)
			return true;
	return false;
}

static void
test_trace(void **state)
{
	struct trace_log t;
	char text[200], want[300];
	int fd, cfd, s;

	(void)state;
	memset(&t, 0, sizeof(t));
	skit_trace_set(trace_cb, &t);
	snprintf(text, sizeof(text), "unix-seqpacket:@skit-trace-%d",
		 (int)getpid());
	fd = th_open(text, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	snprintf(want, sizeof(want), "socket(AF_UNIX, SOCK_SEQPACKET, 0) = %d",
		 fd);
	assert_true(traced(&t, want));
	snprintf(want, sizeof(want), "bind(%d, %s) = 0", fd, text);
	assert_true(traced(&t, want));
	snprintf(want, sizeof(want), "listen(%d, %d) = 0", fd, SOMAXCONN);
	assert_true(traced(&t, want));
	cfd = th_open(text, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	snprintf(want, sizeof(want), "connect(%d, %s) = 0", cfd, text);
	assert_true(traced(&t, want));
	s = skit_accept(fd, false, NULL);
	assert_true(s >= 0);
	snprintf(want, sizeof(want),
		 "accept4(%d) = %d from unix-seqpacket:", fd, s);
	assert_true(traced(&t, want));
	close(s);
	close(cfd);
	close(fd);

	t.n = 0;
	fd = th_open("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, NULL, NULL);
	snprintf(want, sizeof(want),
		 "setsockopt(%d, SOL_SOCKET, SO_REUSEADDR, 1) = 0", fd);
	assert_true(traced(&t, want));
	close(fd);
	skit_trace_set(NULL, NULL);
}

static void
test_local_peer(void **state)
{
	struct skit_sockaddr local, a, b;
	char t1[200], t2[200];
	int lfd, cfd, s;

	(void)state;
	lfd = th_open("tcp4:127.0.0.1:0", SKIT_ROLE_LISTEN, 0, &local, NULL);
	th_str(&local, t1, sizeof(t1));
	cfd = th_open(t1, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	s = skit_accept(lfd, false, &a);
	assert_true(s >= 0);
	assert_int_equal(skit_sock_local(cfd, &b), 0);
	assert_string_equal(th_str(&a, t1, sizeof(t1)),
			    th_str(&b, t2, sizeof(t2)));
	assert_int_equal(skit_sock_peer(cfd, &b), 0);
	assert_string_equal(th_str(&local, t1, sizeof(t1)),
			    th_str(&b, t2, sizeof(t2)));
	assert_int_equal(skit_sock_peer(lfd, &b), -ENOTCONN);
	close(s);
	close(cfd);
	close(lfd);
}

/*
 * A blocking unix-dgram sendto() to a receiver that never reads sleeps
 * once its queue is full; skit_sock_send_timeout bounds the sleep
 * (-EAGAIN), for unconnected and connected senders alike.
 */
static void
test_send_timeout(void **state)
{
	char name[64];
	int rfd;

	(void)state;
	snprintf(name, sizeof(name), "unix-dgram:@skit-test-full-%d",
		 (int)getpid());
	rfd = th_open(name, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	for (int connected = 0; connected < 2; connected++) {
		struct skit_sockaddr peer;
		ssize_t n = 0;
		int64_t t0 = 0;
		int fd, i;

		fd = th_open(name, SKIT_ROLE_CONNECT,
			     connected ? 0 : SKIT_OPEN_NOCONNECT, NULL, &peer);
		assert_int_equal(skit_sock_send_timeout(fd, 50), 0);
		for (i = 0; i < 100000; i++) {
			t0 = skit_now_ns();
			n = connected ? skit_sendto(fd, "x", 1, 0, NULL, 0)
				      : skit_sendto(fd, "x", 1, 0,
						    (struct sockaddr *)&peer.ss,
						    peer.len);
			if (n < 0)
				break;
		}
		assert_int_equal(n, -EAGAIN);
		/* It waited (about 50 ms), and not for ever. */
		assert_true(skit_now_ns() - t0 >= 40 * 1000000LL);
		assert_true(skit_now_ns() - t0 < 5000 * 1000000LL);
		close(fd);
	}
	close(rfd);
}

static void
test_vsock_create(void **state)
{
	struct skit_resolved r;
	struct skit_addr a;
	struct skit_err err;
	struct sockaddr_vm *vm;
	int fd;

	(void)state;
	th_parse("vsock:2:1234", SKIT_ROLE_CONNECT, &a);
	assert_int_equal(skit_resolve(&a, 0, NULL, &r, &err), 1);
	vm = (struct sockaddr_vm *)&r.v[0].ss;
	assert_int_equal(r.v[0].family, AF_VSOCK);
	assert_int_equal(r.v[0].type, SOCK_STREAM);
	assert_int_equal(r.v[0].len, sizeof(*vm));
	assert_int_equal(vm->svm_cid, 2);
	assert_int_equal(vm->svm_port, 1234);
	skit_resolved_free(&r);
	fd = skit_socket(AF_VSOCK, SOCK_STREAM, 0, true);
	if (fd == -EAFNOSUPPORT) {
		print_message("skip: AF_VSOCK not in this kernel\n");
		skip();
	}
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);

	/* Listening needs no peer: bind to any CID and listen. */
	{
		struct skit_sockaddr local;
		struct skit_err e2;
		char t[64];
		int l;

		snprintf(t, sizeof(t), "vsock::%d",
			 40000 + (int)getpid() % 20000);
		th_parse(t, SKIT_ROLE_LISTEN, &a);
		l = skit_open(&a, SKIT_ROLE_LISTEN, 0, NULL, &local, NULL, &e2);
		if (l == -EADDRNOTAVAIL || l == -ENODEV) {
			print_message("skip: no vsock transport to bind\n");
			skip();
		}
		assert_true(l >= 0);
		assert_int_equal(local.family, AF_VSOCK);
		assert_int_equal(getint(l, SOL_SOCKET, SO_ACCEPTCONN), 1);
		close(l);
	}
}

static void
test_vsock_connect(void **state)
{
	(void)state;
	/*
	 * Connecting needs a vsock transport with a peer (a VM, or the
	 * vsock_loopback module, which this machine does not have).
	 */
	print_message("skip: no vsock loopback here\n");
	skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_udp4),
		cmocka_unit_test(test_udp6),
		cmocka_unit_test(test_sock_error),
		cmocka_unit_test(test_unix_paths),
		cmocka_unit_test(test_unix_abstract),
		cmocka_unit_test(test_abstract_exact_length),
		cmocka_unit_test(test_dual_stack_listen),
		cmocka_unit_test(test_options_applied),
		cmocka_unit_test(test_privileged_options),
		cmocka_unit_test(test_packet_icmp_open),
		cmocka_unit_test(test_udp_dual_stack),
		cmocka_unit_test(test_options_ipv6),
		cmocka_unit_test(test_abstract_mode_refused),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_local_peer),
		cmocka_unit_test(test_send_timeout),
		cmocka_unit_test(test_vsock_create),
		cmocka_unit_test(test_vsock_connect),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
