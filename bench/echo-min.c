/*
 * bench/echo-min.c - the floor: a minimal single-threaded epoll echo
 * (TCP, unix stream; UDP blocking) for bench/echo.sh. Not part of skit.
 *   echo-min tcp|udp PORT [sockperf] | unix PATH [sockperf]
 * Level-triggered, one shared 64 KiB buffer, blocking writes. With
 * "sockperf", a sockperf ping (client bit in byte 9, length in bytes
 * 10-13) goes back with the client bit cleared, like sockperf's server,
 * so sockperf's client and skit bench can measure the same server.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[65536];
static int sockperf;

/* sockperf's client only counts replies marked by a server. */
static void
mark(ssize_t n)
{
	unsigned char *b = (unsigned char *)buf;

	if (sockperf && n >= 14 && (b[9] & 1) &&
	    ((b[10] << 24 | b[11] << 16 | b[12] << 8 | b[13]) == n))
		b[9] &= (unsigned char)~1;
}

static int
open_listener(const char *kind, const char *where)
{
	int fd, one = 1;

	if (!strcmp(kind, "unix")) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };

		snprintf(un.sun_path, sizeof(un.sun_path), "%s", where);
		unlink(where);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (void *)&un, sizeof(un)) < 0)
			return -1;
		printf("unix:%s\n", where);
	} else {
		struct sockaddr_in in = { .sin_family = AF_INET };
		socklen_t len = sizeof(in);

		in.sin_port = htons((unsigned short)strtoul(where, NULL, 10));
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET,
			    (kind[0] == 'u' ? SOCK_DGRAM : SOCK_STREAM), 0);
		if (fd < 0)
			return -1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (void *)&in, sizeof(in)) < 0 ||
		    getsockname(fd, (void *)&in, &len) < 0)
			return -1;
		printf("%s:127.0.0.1:%u\n", kind, ntohs(in.sin_port));
	}
	fflush(stdout);
	if (kind[0] == 'u' && kind[1] == 'd')
		return fd;
	return listen(fd, 4096) < 0 ? -1 : fd;
}

/* Client sockets block: epoll says when to read, a write waits. */
static int
write_all(int fd, const char *p, ssize_t n)
{
	for (ssize_t w; n > 0; p += w, n -= w)
		if ((w = write(fd, p, (size_t)n)) < 0)
			return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	struct rlimit rl;
	int ep, lfd, one = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: echo-min tcp|udp PORT | unix PATH "
				"[sockperf]\n");
		return 2;
	}
	sockperf = argc > 3;
	signal(SIGPIPE, SIG_IGN); /* a client gone mid-echo */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	lfd = open_listener(argv[1], argv[2]);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (lfd < 0 || ep < 0) {
		perror("echo-min");
		return 1;
	}
	while (!strcmp(argv[1], "udp")) { /* blocking: one socket only */
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(lfd, buf, sizeof(buf), 0, (void *)&from,
				     &flen);

		mark(n);
		if (n >= 0)
			sendto(lfd, buf, (size_t)n, 0, (void *)&from, flen);
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int c = accept4(lfd, NULL, NULL, 0);

				if (c < 0)
					continue;
				if (argv[1][0] == 't')
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
						   &one, sizeof(one));
				ev.events = EPOLLIN;
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			mark(r);
			if (r <= 0 || write_all(fd, buf, r) < 0)
				close(fd); /* also leaves the epoll set */
		}
	}
}
