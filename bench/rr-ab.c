/*
 * rr-ab.c - two loopback servers measured in one run, request by request:
 * a 64-byte sockperf-framed ping to A, then to B, then to B, then to A
 * (ABBA, so neither always goes first), one connection each, for SECONDS
 * after a one-second warm-up. Whatever disturbs the machine during the
 * run falls on both servers alike, which back-to-back runs cannot give:
 * on a shared machine their p99 swings by more than the difference that
 * bench/echo.sh looks for.
 *
 *   rr-ab tcp|udp PORT_A PORT_B SECONDS
 *
 * Prints, per server, the round trip in microseconds at p50 p90 p99
 * p99.9, then B/A for each. A reply must be the request, or the request
 * with sockperf's "client" flag cleared (sockperf's server). Exit 1 on
 * any error. A measuring tool for bench/echo.sh, not part of skit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG	 64
#define MAX_SAMP (8u << 20) /* per server: far more than SECONDS allow */

static const double pct[] = { 50, 90, 99, 99.9 };

static int64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
open_to(int udp, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);

	if (fd < 0 ||
	    (!udp &&
	     setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("rr-ab: socket/connect");
		exit(1);
	}
	return fd;
}

/* One round trip on fd; returns its length in ns. */
static int64_t
ping(int fd, uint64_t seq)
{
	unsigned char req[MSG] = { 0 }, rep[MSG];
	uint64_t be = __builtin_bswap64(seq);
	size_t got = 0;
	int64_t t0;

	memcpy(req, &be, 8);
	req[9] = 3;    /* flags (16 bits): client | pong request */
	req[13] = MSG; /* length (32 bits) */
	t0 = now_ns();
	if (send(fd, req, MSG, 0) != MSG) {
		perror("rr-ab: send");
		exit(1);
	}
	while (got < MSG) {
		ssize_t n = recv(fd, rep + got, MSG - got, 0);

		if (n <= 0) {
			fprintf(stderr, "rr-ab: recv: %s\n",
				n ? "error" : "EOF");
			exit(1);
		}
		got += (size_t)n;
	}
	t0 = now_ns() - t0;
	if (rep[9] == 2) /* sockperf's server cleared the client flag */
		rep[9] = 3;
	if (memcmp(req, rep, MSG)) {
		fprintf(stderr, "rr-ab: reply %llu is not the request\n",
			(unsigned long long)seq);
		exit(1);
	}
	return t0;
}

int
main(int argc, char **argv)
{
	static int64_t s[2][MAX_SAMP];
	size_t n[2] = { 0, 0 };
	int fd[2], udp;
	double secs;
	int64_t start, warm, end;
	uint64_t seq = 0;

	if (argc != 5 || (strcmp(argv[1], "tcp") && strcmp(argv[1], "udp"))) {
		fprintf(stderr, "usage: rr-ab tcp|udp PORT_A PORT_B SECONDS\n");
		return 2;
	}
	udp = argv[1][0] == 'u';
	fd[0] = open_to(udp, atoi(argv[2]));
	fd[1] = open_to(udp, atoi(argv[3]));
	secs = atof(argv[4]);
	start = now_ns();
	warm = start + 1000000000LL;
	end = warm + (int64_t)(secs * 1e9);
	for (unsigned k = 0; now_ns() < end; k++) {
		/* ABBA: k = 0 A, 1 B, 2 B, 3 A, ... */
		int i = (k & 1) ^ ((k >> 1) & 1);
		int64_t t = ping(fd[i], ++seq);

		if (now_ns() > warm && n[i] < MAX_SAMP)
			s[i][n[i]++] = t;
	}
	if (!n[0] || !n[1]) {
		fprintf(stderr, "rr-ab: no samples\n");
		return 1;
	}
	for (int i = 0; i < 2; i++)
		qsort(s[i], n[i], sizeof(s[i][0]), cmp64);
	for (int i = 0; i < 2; i++) {
		printf("%c %zu", 'A' + i, n[i]);
		for (size_t j = 0; j < sizeof(pct) / sizeof(pct[0]); j++)
			printf(" %.3f",
			       s[i][(size_t)((double)n[i] * pct[j] / 100)] /
				       1e3);
		printf("\n");
	}
	printf("B/A");
	for (size_t j = 0; j < sizeof(pct) / sizeof(pct[0]); j++) {
		size_t a = (size_t)((double)n[0] * pct[j] / 100),
		       b = (size_t)((double)n[1] * pct[j] / 100);

		printf(" %.3f", (double)s[1][b] / (double)s[0][a]);
	}
	printf("\n");
	close(fd[0]);
	close(fd[1]);
	return 0;
}
