/*
 * bench/echo-min.c - the floor: a minimal single-threaded epoll echo
 * server (TCP or unix stream), for bench/echo.sh to compare skit echo
 * against. Not part of skit.
 *
 *   cc -O2 -o echo-min bench/echo-min.c
 *   echo-min tcp PORT       (0: any; prints the port bound)
 *   echo-min unix PATH
 *
 * Level-triggered, one 64 KiB buffer shared by every connection; a short
 * write waits with poll() (good enough for request/response loads).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[65536];

static int
open_listener(const char *kind, const char *where)
{
	int fd, one = 1;

	if (!strcmp(kind, "unix")) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };

		snprintf(un.sun_path, sizeof(un.sun_path), "%s", where);
		unlink(where);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (void *)&un, sizeof(un)) < 0)
			return -1;
		printf("unix:%s\n", where);
	} else {
		struct sockaddr_in in = { .sin_family = AF_INET };
		socklen_t len = sizeof(in);

		in.sin_port = htons((unsigned short)strtoul(where, NULL, 10));
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (void *)&in, sizeof(in)) < 0 ||
		    getsockname(fd, (void *)&in, &len) < 0)
			return -1;
		printf("tcp:127.0.0.1:%u\n", ntohs(in.sin_port));
	}
	fflush(stdout);
	return listen(fd, 4096) < 0 ? -1 : fd;
}

static int
write_all(int fd, const char *p, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, (size_t)n);

		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			poll(&pf, 1, -1);
			continue;
		}
		if (w < 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	struct rlimit rl;
	int ep, lfd, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: echo-min tcp PORT | unix PATH\n");
		return 2;
	}
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
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

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
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0 || write_all(fd, buf, r) < 0)
				close(fd); /* also leaves the epoll set */
		}
	}
}
