/*
 * listen_dgram.c - a datagram server without --exec (`skit listen -u`):
 * each datagram is written to stdout as it is (framed), and what stdin
 * gives goes to the latest sender.
 */
#include "listen.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* A datagram: to stdout; its sender is the one stdin answers. */
void
listen_dgram_in(struct skit_serve *sv, struct skit_serve_session *ss,
		const void *msg, size_t n, void *data)
{
	struct server *s = data;
	const struct skit_sockaddr *from = skit_serve_session_peer(ss);
	int rc;

	(void)sv;
	/* stdio: print it; stdin answers the latest sender. */
	memcpy(&s->last, &from->ss, from->len);
	s->lastlen = from->len;
	s->has_last = true;
	if (s->o->so.hex)
		cli_hexdump(stderr, "<", 0, msg, n);
	rc = skit_frame_write(STDOUT_FILENO, s->o->so.framing, NULL, msg, n);
	if (rc == SKIT_ELIMIT) {
		cli_errorf("listen: dropped a %zu-byte datagram: too long for "
			   "--framing len16",
			   n);
	} else if (rc < 0) {
		s->exit_code = cli_stdout_failed(rc);
		skit_loop_stop(s->loop);
	}
}

/* stdin of a datagram server without --exec: to the latest sender. */
void
listen_dgram_stdin(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct server *s = data;
	const char *m;
	size_t len;
	ssize_t n;
	int rc;

	(void)ev;
	rc = skit_frame_reader_fill(&s->in);
	while ((rc = skit_frame_reader_take(&s->in, s->o->so.framing, &m,
					    &len)) > 0) {
		if (!s->has_last) {
			cli_errorf("listen: no peer yet: dropped a message "
				   "from stdin");
			continue;
		}
		/* The socket never blocks: a full peer loses the line. */
		n = skit_sendto(skit_serve_listen_fd(s->serve), m, len, 0,
				(const struct sockaddr *)&s->last, s->lastlen);
		if (n == -EAGAIN)
			cli_errorf("listen: %s (EAGAIN): dropped a message "
				   "from stdin",
				   skit_strerror(SKIT_EFULL));
		else if (n < 0)
			cli_errorf("listen: dropped a %zu-byte message from "
				   "stdin: %s",
				   len, skit_strerror((int)n));
	}
	if (s->in.eof || rc < 0) {
		skit_loop_del(loop, fd);
		s->in_open = false;
	}
}
