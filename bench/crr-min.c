/*
 * bench/crr-min.c - the floor for skit bench --mode crr: a minimal
 * connect, request, reply, close client, one connection at a time, for
 * comparing skit bench's connection rate with (issue 18, "Honest
 * numbers"). Not part of skit.
 *   crr-min tcp PORT SECS [SIZE] | unix PATH SECS [SIZE]
 * Blocking calls, TCP_NODELAY, a 64-byte request by default; prints
 * "CYCLES/s p50_us" after SECS seconds (the p50 from a sorted sample).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int unixp, size, one = 1;
	double secs, t0, end;
	static double lat[4000000];
	long n = 0;
	char req[65536], rep[65536];

	if (argc < 4) {
		fprintf(stderr, "usage: crr-min tcp PORT SECS [SIZE] | unix PATH SECS [SIZE]\n");
		return 2;
	}
	unixp = !strcmp(argv[1], "unix");
	secs = atof(argv[3]);
	size = argc > 4 ? atoi(argv[4]) : 64;
	if (size < 1 || size > (int)sizeof(req))
		return 2;
	memset(req, 'a', sizeof(req));
	if (unixp) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", argv[2]);
		sl = sizeof(*un);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)atoi(argv[2]));
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*in);
	}
	t0 = now();
	end = t0 + secs;
	for (double t = t0; t < end; n++) {
		int fd = socket(unixp ? AF_UNIX : AF_INET, SOCK_STREAM, 0);
		int got = 0;

		if (fd < 0 || (!unixp && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
						      &one, sizeof(one)) < 0) ||
		    connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
		    write(fd, req, (size_t)size) != size) {
			perror("crr-min");
			return 1;
		}
		while (got < size) {
			ssize_t r = read(fd, rep, (size_t)(size - got));

			if (r <= 0) {
				perror("crr-min: read");
				return 1;
			}
			got += (int)r;
		}
		close(fd);
		{
			double t1 = now();

			if (n < (long)(sizeof(lat) / sizeof(lat[0])))
				lat[n] = t1 - t;
			t = t1;
		}
	}
	qsort(lat, (size_t)(n < 4000000 ? n : 4000000), sizeof(double), cmp);
	printf("%.1f %.2f\n", (double)n / (now() - t0),
	       n ? lat[(n < 4000000 ? n : 4000000) / 2] * 1e6 : 0.0);
	return 0;
}
