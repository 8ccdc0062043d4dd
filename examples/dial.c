/*
 * examples/dial.c - a client: connect with Happy Eyeballs and the
 * address's retry policy (skit/dial.h), send one line, print the reply.
 *
 *   dial 'tcp:localhost:7000,retry=5,interval=200ms' hello
 *   dial 'unix:/run/app.sock,forever,connect-timeout=2s' ping
 */
#include <skit/skit.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A round failed and another one comes: say why, as skit connect -v. */
static void
on_retry(struct skit_dial *d, int attempt, int64_t delay_ms,
	 const struct skit_err *why, void *data)
{
	char msg[512];

	(void)d, (void)data;
	fprintf(stderr, "dial: %s; retry %d in %lld ms\n",
		skit_err_format(why, msg, sizeof(msg)), attempt,
		(long long)delay_ms);
}

int
main(int argc, char **argv)
{
	struct skit_dial_cfg cfg = { .on_retry = on_retry };
	struct skit_dial_result res;
	struct skit_addr a;
	struct skit_err err;
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: dial ADDRESS LINE\n");
		return 2;
	}
	if (skit_addr_parse(argv[1], SKIT_ROLE_CONNECT, &a, &err) < 0 ||
	    (fd = skit_dial(&a, &cfg, -1, &res, &err)) < 0) {
		fprintf(stderr, "dial: %s\n",
			skit_err_format(&err, buf, sizeof(buf)));
		return 1;
	}
	skit_sockaddr_str(&res.peer, buf, sizeof(buf));
	fprintf(stderr, "dial: connected to %s (round %d)\n", buf,
		res.attempts);
	/* The line, then EOF our way; the reply is read to the peer's EOF. */
	snprintf(buf, sizeof(buf), "%s\n", argv[2]);
	if (skit_write_all(fd, buf, strlen(buf), 5000) < 0 ||
	    skit_shutdown(fd, SHUT_WR) < 0)
		return 1;
	while ((n = skit_read_some(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	skit_close(fd);
	return n < 0;
}
