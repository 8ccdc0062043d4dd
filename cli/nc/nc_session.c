/*
 * nc_session.c - stdin/stdout <-> one connected socket, on the relay
 * engine (relay.h), with netcat's policies on top (docs/half-close.md):
 *
 *  - default: stdin EOF -> shutdown(SHUT_WR) on the socket, keep
 *    printing what the peer sends until it closes (the relay's
 *    half-close state machine);
 *  - --no-shutdown: stdin EOF is not passed on, the socket stays open
 *    both ways until the peer closes;
 *  - -q SECS / --exit-on-eof: end SECS after stdin EOF, once everything
 *    read from stdin has reached the socket;
 *  - -C: "\n" from stdin goes out as "\r\n".
 *
 * The last three need to see stdin's bytes and its EOF, which the relay
 * keeps to itself: for them stdin goes through a small filter here
 * (stdin -> filter -> pipe -> relay), and the relay still moves every
 * byte to the socket. Without them the relay reads stdin directly (and
 * splices when it can).
 */
#include "cli.h"
#include "nc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILTER_BUF (64u << 10)

struct session {
	struct skit_loop *loop;
	struct skit_relay *relay;
	const struct nc_sess_opts *o;
	bool ended;
	uint64_t hexoff[2];

	/* the stdin filter */
	bool filter;
	int pipe[2];
	char *buf; /* filtered bytes not yet in the pipe */
	size_t len, off;
	bool in_eof;
	int64_t quit_timer;
};

static void
on_close(struct skit_relay *r, void *data)
{
	struct session *s = data;

	(void)r;
	s->ended = true;
	skit_loop_stop(s->loop);
}

static void
on_data(struct skit_relay *r, int dir, const void *buf, size_t len, void *data)
{
	struct session *s = data;

	(void)r;
	nc_hexdump(stderr, dir == SKIT_DIR_AB ? ">" : "<", s->hexoff[dir], buf,
		   len);
	s->hexoff[dir] += len;
}

static void
quit_now(struct skit_loop *loop, void *data)
{
	struct session *s = data;

	(void)loop;
	s->quit_timer = 0;
	if (!s->ended)
		skit_relay_close(s->relay);
}

/*
 * After stdin EOF with -q: wait until the relay has written everything
 * that went into the pipe (none left in the pipe, none held by the
 * relay), then start the -q clock. Counting bytes written would not do:
 * length headers and dropped messages never reach the socket as
 * payload.
 */
static void
quit_check(struct skit_loop *loop, void *data)
{
	struct session *s = data;
	int inpipe = 0;

	s->quit_timer = 0;
	if (s->ended)
		return;
	if (ioctl(s->pipe[0], FIONREAD, &inpipe) < 0)
		inpipe = 0;
	if (inpipe == 0 && skit_relay_pending(s->relay, SKIT_DIR_AB) == 0)
		s->quit_timer =
			skit_loop_timer(loop, s->o->quit_ms, quit_now, s);
	else
		s->quit_timer = skit_loop_timer(loop, 5, quit_check, s);
}

static void filter_in(struct skit_loop *loop, int fd, unsigned ev, void *data);

/* Push buffered bytes into the pipe; true when the buffer is empty. */
static bool
filter_flush(struct session *s)
{
	while (s->off < s->len) {
		ssize_t n = skit_write_some(s->pipe[1], s->buf + s->off,
					    s->len - s->off);

		if (n == -EAGAIN)
			return false;
		if (n < 0) {
			/* The relay is gone (or failed): drop the rest. */
			s->off = s->len;
			break;
		}
		s->off += (size_t)n;
	}
	s->off = s->len = 0;
	return true;
}

static void
filter_stdin_eof(struct session *s)
{
	s->in_eof = true;
	skit_loop_del(s->loop, STDIN_FILENO);
	if (!s->o->no_shutdown) {
		/* The relay reads EOF from the pipe and shuts the socket. */
		skit_loop_del(s->loop, s->pipe[1]);
		skit_close(s->pipe[1]);
		s->pipe[1] = -1;
	}
	if (s->o->quit_ms >= 0)
		s->quit_timer = skit_loop_timer(s->loop, 0, quit_check, s);
}

static void
filter_out(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct session *s = data;

	(void)fd;
	(void)ev;
	if (!filter_flush(s))
		return;
	skit_loop_mod(loop, s->pipe[1], 0);
	if (s->in_eof)
		filter_stdin_eof(s);
	else
		skit_loop_add(loop, STDIN_FILENO, SKIT_EV_READ, filter_in, s);
}

static void
filter_in(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct session *s = data;
	char raw[FILTER_BUF / 2];
	ssize_t n;

	(void)ev;
	n = skit_read_some(fd, raw, sizeof(raw));
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		filter_stdin_eof(s);
		return;
	}
	s->off = 0;
	s->len = 0;
	for (ssize_t i = 0; i < n; i++) {
		if (s->o->crlf && raw[i] == '\n' &&
		    !(i > 0 && raw[i - 1] == '\r'))
			s->buf[s->len++] = '\r';
		s->buf[s->len++] = raw[i];
	}
	if (filter_flush(s))
		return;
	/* The pipe is full: stop reading stdin until it drains. */
	skit_loop_del(loop, STDIN_FILENO);
	skit_loop_mod(loop, s->pipe[1], SKIT_EV_WRITE);
}

static int
filter_start(struct session *s)
{
	int r = skit_pipe(s->pipe, false);

	if (r < 0)
		return r;
	r = skit_fd_nonblock(s->pipe[1], true);
	if (r < 0)
		return r;
	s->buf = malloc(FILTER_BUF);
	if (!s->buf)
		return -ENOMEM;
	if (skit_loop_add(s->loop, s->pipe[1], 0, filter_out, s) < 0 ||
	    skit_loop_add(s->loop, STDIN_FILENO, SKIT_EV_READ, filter_in, s) <
		    0)
		return -EINVAL;
	return 0;
}

int
nc_relay_exit(const struct skit_relay_stats *st,
	      const struct cli_relay_names *n)
{
	switch (st->reason) {
	case SKIT_RELAY_EOF:
	case SKIT_RELAY_CLOSED:
	case SKIT_RELAY_RUNNING:
		return CLI_EXIT_OK;
	case SKIT_RELAY_IDLE: /* a time-out (docs/exit-codes.md) */
	case SKIT_RELAY_RESET:
	case SKIT_RELAY_ERROR:
	default:
		break;
	}
	return cli_relay_error(st, n);
}

/*
 * A producer writing into our stdin pipe (or a consumer reading our
 * stdout pipe) is woken once per pipe buffer: 64 KiB by default. A
 * bigger pipe halves and halves again the context switches of a bulk
 * transfer. Best effort: the limit (/proc/sys/fs/pipe-max-size) may
 * refuse it.
 */
static void
grow_pipe(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)skit_pipe_set_size(fd, 1 << 20);
}

int
nc_session_stdio(int fd, const char *peer_text, const struct nc_sess_opts *o)
{
	struct session s = { .o = o, .pipe = { -1, -1 } };
	struct skit_endpoint io;
	struct skit_relay_end a, b;
	struct skit_relay_cfg cfg = { 0 };
	struct skit_addr stdio_addr;
	const struct skit_relay_stats *st;
	struct skit_err err;
	char peer[400];
	int rc;

	memset(&stdio_addr, 0, sizeof(stdio_addr));
	stdio_addr.kind = SKIT_KIND_STDIO;
	rc = skit_endpoint_open(&stdio_addr, SKIT_ROLE_CONNECT, 0, NULL, &io,
				&err);
	if (rc < 0) {
		skit_close(fd);
		return cli_report(&err);
	}
	skit_endpoint_to_end(&io, &a);
	grow_pipe(STDIN_FILENO);
	grow_pipe(STDOUT_FILENO);
	skit_relay_end_from_fd(fd, true, &b);
	rc = skit_loop_new(nc_loop_backend(), &s.loop);
	if (rc < 0)
		goto fail;
	s.filter = o->crlf || o->no_shutdown || o->quit_ms >= 0;
	if (s.filter && (o->dirs & SKIT_RELAY_AB)) {
		rc = filter_start(&s);
		if (rc < 0)
			goto fail;
		a.rfd = s.pipe[0];
	}
	/*
	 * --recv-only: nothing will ever be sent, so the peer learns it at
	 * once (stdin is not read, the socket's write side is shut down).
	 */
	if (!(o->dirs & SKIT_RELAY_AB))
		a.rfd = -1;
	cfg.dirs = o->dirs | SKIT_RELAY_AB;
	cfg.framing = (enum skit_framing)o->framing;
	cfg.idle_ms = o->idle_ms > 0 ? o->idle_ms : 0;
	cfg.send_timeout_ms = o->send_ms;
	cfg.on_close = on_close;
	cfg.on_data = o->hex ? on_data : NULL;
	cfg.data = &s;
	/* A datagram peer never says EOF: -q decides how long to wait. */
	if (o->quit_ms >= 0)
		cfg.linger_ms = o->quit_ms ? o->quit_ms : 1;
	rc = skit_relay_new(s.loop, &a, &b, &cfg, &s.relay);
	if (rc < 0)
		goto fail;
	rc = skit_loop_run(s.loop);
	if (!s.ended)
		skit_relay_close(s.relay);
	st = skit_relay_stats(s.relay);
	/*
	 * Our stdout went away (`skit connect ... | head`): like a filter
	 * killed by SIGPIPE, a normal end, not the peer's fault (side A
	 * NULL: nc_relay_exit leaves stdio's errors to cli_stdout_failed).
	 */
	snprintf(peer, sizeof(peer), "%s %s", o->what, peer_text);
	rc = nc_relay_exit(st, &(const struct cli_relay_names){
				       .side = { NULL, peer },
				       .op = o->op,
				       .addr = { NULL, peer_text },
				       .opt = "-w",
			       });
	skit_relay_free(s.relay);
	goto out;
fail:
	cli_errorf("relay with %s %s: %s", o->what, peer_text,
		   skit_strerror(rc));
	skit_close(fd);
	rc = CLI_EXIT_FAIL;
out:
	if (s.loop) {
		if (s.quit_timer)
			skit_loop_timer_cancel(s.loop, s.quit_timer);
		skit_loop_del(s.loop, STDIN_FILENO);
		if (s.pipe[1] >= 0)
			skit_loop_del(s.loop, s.pipe[1]);
	}
	if (s.pipe[0] >= 0)
		skit_close(s.pipe[0]);
	if (s.pipe[1] >= 0)
		skit_close(s.pipe[1]);
	free(s.buf);
	skit_endpoint_close(&io);
	skit_loop_free(s.loop);
	return rc;
}
