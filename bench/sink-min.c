/*
 * bench/sink-min.c - a minimal TCP discard server for bench/honest.sh:
 * blocking, one connection at a time, reading into a 1 MiB buffer until
 * the end, as iperf3 -s reads what an `iperf3 -l 1M` client sends. With
 * it, skit bench's client can be compared with iperf3's on a server that
 * reads like iperf3's (skit echo --discard reads in gulps: SO_RCVLOWAT).
 * Not part of skit.
 *   sink-min PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF (1 << 20)

int
main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int l, one = 1;
	char *buf = malloc(BUF);

	if (argc != 2 || !buf) {
		fprintf(stderr, "usage: sink-min PORT\n");
		return 2;
	}
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 16) < 0) {
		perror("sink-min");
		return 1;
	}
	for (;;) {
		int c = accept(l, NULL, NULL);

		if (c < 0)
			continue;
		while (recv(c, buf, BUF, 0) > 0)
			;
		close(c);
	}
}
