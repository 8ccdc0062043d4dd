/*
 * examples/echo_serve.c - an echo server on the library's one accept
 * path (skit/serve.h): each client's bytes back; at most MAX at once.
 *   echo_serve tcp-listen:127.0.0.1:7000 8
 */
#include <errno.h>
#include <skit/skit.h>
#include <stdio.h>
#include <stdlib.h>

/* A client's bytes, back to it; at its EOF (or an error) it is let go. */
static void
on_read(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	char buf[16384];
	ssize_t n = skit_read_some(fd, buf, sizeof(buf));

	(void)ev;
	if (n == -EAGAIN)
		return;
	if (n > 0 && skit_write_all(fd, buf, (size_t)n, 5000) == 0)
		return;
	skit_loop_del(loop, fd);
	skit_serve_release(data, fd); /* a lingering close */
}

static void
on_conn(struct skit_serve *s, int fd, const struct skit_sockaddr *peer,
	void *data)
{
	(void)peer;
	if (skit_loop_add(data, fd, SKIT_EV_READ, on_read, s) < 0)
		skit_serve_release(s, fd);
}

int
main(int argc, char **argv)
{
	struct skit_loop *loop;
	struct skit_serve_cfg cfg = { .on_conn = on_conn };
	struct skit_serve *s;
	struct skit_addr a;
	struct skit_err err;
	char buf[512];

	if (argc < 2 || skit_loop_new(SKIT_LOOP_AUTO, &loop) < 0)
		return 2;
	cfg.max_conns = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 0;
	cfg.data = loop;
	if (skit_addr_parse(argv[1], SKIT_ROLE_LISTEN, &a, &err) < 0 ||
	    skit_serve_open(loop, &a, 0, &cfg, &s, &err) < 0) {
		fprintf(stderr, "echo_serve: %s\n",
			skit_err_format(&err, buf, sizeof(buf)));
		return 1;
	}
	skit_sockaddr_str(skit_serve_local(s), buf, sizeof(buf));
	fprintf(stderr, "echo_serve: listening on %s\n", buf);
	return skit_loop_run(loop) < 0;
}
