/*
 * cmd_recv.c - `skit recv ADDRESS`: bind, and print each datagram that
 * arrives with its sender (recvfrom), optionally answering each sender
 * (--reply). unix-seqpacket (and stream) addresses accept connections
 * one after another on the serve (skit/serve.h: the accept path and
 * EMFILE policy of every server) and print each message.
 */
#include "cli.h"
#include "nc.h"

#include <errno.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_FRAMING = 256,
	OPT_JSON,
	OPT_REPLY,
	OPT_HEX,
};

static const struct cli_opt recv_opts[] = {
	{ "count", 'c', "N", 'c', "exit after N messages" },
	{ "framing", 0, "MODE", OPT_FRAMING,
	  "how messages are written to stdout: line (default: a \\n after "
	  "each that has none), len, len16, raw (exactly as they came)" },
	{ "hex", 0, NULL, OPT_HEX, "also dump each message in hex on stderr" },
	{ "json", 0, NULL, OPT_JSON,
	  "one JSON object per message on stdout (from, length, payload or "
	  "payload_hex)" },
	{ "reply", 0, "TEXT", OPT_REPLY, "answer each message with TEXT" },
	{ "timeout", 't', "SECS", 't',
	  "give up after SECS without a message (exit 5 if none came, or "
	  "fewer than --count)" },
	{ "verbose", 'v', NULL, 'v',
	  "more diagnostics (\"listening on\", each message); -vv traces" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Address options recv implements: what skit_open applies. */
static const uint64_t recv_addr_opts = SKIT_OPTS_OPEN | SKIT_OPTS_MCAST;

static const struct cli_help recv_help = {
	.name = "recv",
	.permute = true,
	.synopsis = "skit recv [OPTIONS] ADDRESS",
	.about = "Bind ADDRESS and print each message that arrives: the "
		 "payload on stdout, the\nsender on stderr (or both in "
		 "--json). With -v, print \"listening on ADDRESS\"\nfirst. "
		 "udp, udp4, udp6, unix-dgram, unix-seqpacket, ip with proto= "
		 "(root).",
	.opts = recv_opts,
	.extra = "examples:\n"
		 "  skit -v recv udp:127.0.0.1:0 --count 1\n"
		 "  skit recv unix-dgram:@logs --json\n"
		 "  skit recv udp::5000 --reply ok\n",
};

struct recv_opts {
	const char *addr;
	long long count; /* 0: forever */
	long long timeout_ms;
	enum skit_framing framing;
	bool json, hex;
	const char *reply;
};

struct receiver {
	const struct recv_opts *o;
	struct skit_sockaddr local;
	char *buf;
	unsigned long long got;
	uint64_t hexoff;
	int stop_rc; /* the exit code once print_msg says stop */
};

static void
sender_text(const struct skit_sockaddr *from, char *buf, size_t len)
{
	if (from->family == AF_UNIX &&
	    from->len <= (socklen_t)sizeof(sa_family_t))
		snprintf(buf, len, "(unnamed)");
	else
		nc_sa_str(from, buf, len);
}

/*
 * Print one message: 0, or -1 to stop with r->stop_rc (stdout failed,
 * or its reader has gone: then quietly, with 0).
 */
static int
stop_printing(struct receiver *r, int code)
{
	r->stop_rc = cli_stdout_failed(code);
	return -1;
}

static int
print_msg(struct receiver *r, const struct skit_sockaddr *from, const char *p,
	  size_t n, bool truncated)
{
	char ft[300];
	int rc;

	sender_text(from, ft, sizeof(ft));
	if (r->o->hex) {
		cli_hexdump(stderr, "<", r->hexoff, p, n);
		r->hexoff += n;
	}
	if (r->o->json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "message");
		cli_json_str(&j, "from", ft);
		cli_json_uint(&j, "length", n);
		if (truncated)
			cli_json_bool(&j, "truncated", true);
		if (cli_json_payload(&j, p, n) < 0) {
			cli_errorf("recv: out of memory");
			r->stop_rc = CLI_EXIT_FAIL;
			return -1;
		}
		cli_json_end(&j);
		return cli_g.stdout_code ? stop_printing(r, cli_g.stdout_code)
					 : 0;
	}
	fprintf(stderr, "from %s: %zu bytes%s\n", ft, n,
		truncated ? " (truncated)" : "");
	rc = skit_frame_write(STDOUT_FILENO, r->o->framing, "\n", p, n);
	if (rc == SKIT_ELIMIT) {
		cli_errorf("recv: not printed: %zu bytes are too long for "
			   "--framing len16",
			   n);
		return 0;
	}
	return rc < 0 ? stop_printing(r, rc) : 0;
}

/* Strip the IPv4 header a raw socket hands over. */
static void
strip_ip_header(const struct skit_sockaddr *local, const char **p, size_t *n)
{
	const struct iphdr *ip = (const struct iphdr *)*p;
	size_t hl;

	if (local->type != SOCK_RAW || local->family != AF_INET ||
	    *n < sizeof(*ip))
		return;
	hl = (size_t)ip->ihl * 4;
	if (hl > *n)
		return;
	*p += hl;
	*n -= hl;
}

static bool
done(const struct receiver *r)
{
	return r->o->count && r->got >= (unsigned long long)r->o->count;
}

/* Exit code when the wait ran out. */
static int
timed_out(const struct receiver *r)
{
	if (r->got && !r->o->count)
		return CLI_EXIT_OK;
	cli_errorf("recv: timed out after %lld ms with %llu of %lld messages",
		   r->o->timeout_ms, r->got, r->o->count ? r->o->count : 1);
	return CLI_EXIT_TIMEOUT;
}

/* Datagram sockets: recvfrom, print, maybe reply. */
static int
serve_dgram(struct receiver *r, int fd)
{
	while (!done(r)) {
		struct skit_sockaddr from = { .len = sizeof(from.ss) };
		const char *p = r->buf;
		char lt[300];
		ssize_t n;
		size_t len;
		int w;

		w = skit_wait_fd(fd, POLLIN, (int)r->o->timeout_ms);
		if (w < 0)
			return CLI_EXIT_FAIL;
		if (w == 0)
			return timed_out(r);
		n = skit_recvfrom(fd, r->buf, NC_MSG_MAX,
				  MSG_DONTWAIT | MSG_TRUNC,
				  (struct sockaddr *)&from.ss, &from.len);
		if (n == -EAGAIN)
			continue;
		if (n < 0) {
			/* An ICMP error for an earlier reply: not fatal. */
			if (n == -ECONNREFUSED)
				continue;
			cli_errorf("recv: recvfrom %s: %s",
				   nc_sa_str(&r->local, lt, sizeof(lt)),
				   skit_strerror((int)n));
			return cli_exit_for((int)n);
		}
		from.family = from.ss.ss_family;
		from.type = r->local.type;
		from.protocol = r->local.protocol;
		len = (size_t)n > NC_MSG_MAX ? NC_MSG_MAX : (size_t)n;
		strip_ip_header(&r->local, &p, &len);
		r->got++;
		if (print_msg(r, &from, p, len, (size_t)n > NC_MSG_MAX) < 0)
			return r->stop_rc;
		if (r->o->reply) {
			if (from.family == AF_UNIX &&
			    from.len <= (socklen_t)sizeof(sa_family_t)) {
				cli_errorf("recv: cannot reply to an unnamed "
					   "sender (it needs --bind)");
				continue;
			}
			/* A sender that stopped reading must not hold us. */
			n = skit_sendto(fd, r->o->reply, strlen(r->o->reply),
					MSG_DONTWAIT,
					(const struct sockaddr *)&from.ss,
					from.len);
			if (n == -EAGAIN)
				cli_errorf("recv: reply: %s (EAGAIN): dropped",
					   skit_strerror(SKIT_EFULL));
			else if (n < 0)
				cli_errorf("recv: reply to %s: %s",
					   nc_sa_str(&from, lt, sizeof(lt)),
					   skit_strerror((int)n));
		}
	}
	return CLI_EXIT_OK;
}

/*
 * Connection kinds (seqpacket, stream): one connection after another,
 * on the serve (skit/serve.h: the accept path, EMFILE, the reports).
 * While a connection is served the serve is paused, so the next client
 * waits in the backlog. --timeout is the wait for a connection or a
 * message.
 */
struct conn_recv {
	struct receiver *r;
	struct skit_loop *loop;
	struct skit_serve *serve;
	int cfd;
	struct skit_sockaddr from;
	int64_t timer;
	int rc;
	char local[300];
};

/* The end: rc, and the loop stops. */
static void
conn_end(struct conn_recv *c, int rc)
{
	c->rc = rc;
	skit_loop_stop(c->loop);
}

static void
on_timeout(struct skit_loop *loop, void *data)
{
	struct conn_recv *c = data;

	(void)loop;
	c->timer = 0;
	conn_end(c, timed_out(c->r));
}

/* --timeout from now (again). */
static void
arm_timeout(struct conn_recv *c)
{
	if (c->r->o->timeout_ms < 0)
		return;
	if (c->timer)
		skit_loop_timer_cancel(c->loop, c->timer);
	c->timer = skit_loop_timer(c->loop, c->r->o->timeout_ms, on_timeout, c);
	if (c->timer < 0)
		c->timer = 0;
}

/* The connection is over: the next one may come. */
static void
conn_close(struct conn_recv *c)
{
	skit_serve_release(c->serve, c->cfd);
	c->cfd = -1;
	skit_serve_pause(c->serve, false);
}

static void
on_msg(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct conn_recv *c = data;
	struct receiver *r = c->r;
	ssize_t n = skit_recvfrom(fd, r->buf, NC_MSG_MAX, 0, NULL, NULL);

	(void)loop;
	(void)ev;
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	arm_timeout(c);
	r->got++;
	if (print_msg(r, &c->from, r->buf, (size_t)n, false) < 0) {
		conn_end(c, r->stop_rc);
		return;
	}
	if (r->o->reply)
		/* bounded (1 s): a client that stopped reading */
		(void)skit_write_all(fd, r->o->reply, strlen(r->o->reply),
				     1000);
	if (done(r))
		conn_end(c, CLI_EXIT_OK);
}

static void
on_accept(struct skit_serve *sv, int fd, const struct skit_sockaddr *peer,
	  void *data)
{
	struct conn_recv *c = data;

	c->cfd = fd;
	c->from = *peer;
	skit_serve_pause(sv, true);
	arm_timeout(c);
	if (skit_loop_add(c->loop, fd, SKIT_EV_READ, on_msg, c) < 0)
		conn_close(c);
}

static void
on_serve_event(struct skit_serve *sv, const struct skit_serve_event *ev,
	       void *data)
{
	struct conn_recv *c = data;

	(void)sv;
	cli_serve_event("recv", ev, false, c->local, "", 0);
}

static int
serve_conn(struct receiver *r, int lfd)
{
	struct conn_recv c = { .r = r, .cfd = -1, .rc = CLI_EXIT_OK };
	struct skit_serve_cfg cfg = {
		.batch = 1,
		.on_conn = on_accept,
		.on_event = on_serve_event,
		.data = &c,
	};
	int rc;

	nc_sa_str(&r->local, c.local, sizeof(c.local));
	rc = skit_loop_new(nc_loop_backend(), &c.loop);
	if (rc == 0)
		rc = skit_serve_fd(c.loop, lfd, &cfg, &c.serve);
	if (rc == 0) {
		if (cli_g.verbose)
			cli_verbose("listening on %s", c.local);
		arm_timeout(&c);
		rc = skit_loop_run(c.loop);
	}
	if (rc < 0) {
		cli_errorf("recv: %s: %s", c.local, skit_strerror(rc));
		c.rc = cli_exit_for(rc);
	}
	if (c.cfd >= 0)
		skit_serve_release(c.serve, c.cfd);
	skit_serve_free(c.serve);
	skit_loop_free(c.loop);
	return c.rc;
}

static int
run_recv(const struct recv_opts *o)
{
	struct receiver r = { .o = o };
	struct skit_addr a;
	struct skit_err err;
	char lt[300];
	bool conn;
	int fd, rc;

	skit_err_clear(&err);
	if (skit_addr_parse(o->addr, SKIT_ROLE_LISTEN, &a, &err) < 0)
		return cli_report(&err);
	if (!skit_kind_is_socket(a.kind)) {
		cli_errorf("recv: '%s' is not a socket address", o->addr);
		return CLI_EXIT_USAGE;
	}
	rc = cli_addr_check(&a, recv_addr_opts, "skit recv");
	if (rc)
		return rc;
	fd = skit_open(&a, SKIT_ROLE_LISTEN, 0, NULL, &r.local, NULL, &err);
	if (fd < 0)
		return cli_report(&err);
	/* A stop signal removes the socket file we made, then ends us. */
	if (a.family == AF_UNIX && !a.abstract && a.host[0])
		cli_stop_unlink(a.host);
	conn = r.local.type == SOCK_STREAM || r.local.type == SOCK_SEQPACKET;
	/* a connection kind says so once its serve is set up */
	if (cli_g.verbose && !conn)
		cli_verbose("listening on %s",
			    nc_sa_str(&r.local, lt, sizeof(lt)));
	r.buf = malloc(NC_MSG_MAX);
	if (!r.buf) {
		skit_close(fd);
		return CLI_EXIT_FAIL;
	}
	if (conn)
		rc = serve_conn(&r, fd);
	else
		rc = serve_dgram(&r, fd);
	free(r.buf);
	skit_close(fd);
	cli_stop_remove(a.host);
	return rc;
}

int
cmd_recv(int argc, char **argv)
{
	struct recv_opts o = { .framing = SKIT_FRAMING_LINE, .timeout_ms = -1 };
	struct cli_getopt_state st = { 0 };
	const char *arg;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, &recv_help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			cli_getopt_done(&st);
			return CLI_EXIT_OK;
		case 'c':
			rc = cli_parse_int("--count", arg, 1, INT64_MAX,
					   &o.count)
				     ? 2
				     : 0;
			break;
		case OPT_FRAMING:
			rc = nc_parse_framing(arg, &o.framing);
			break;
		case OPT_HEX:
			o.hex = true;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_REPLY:
			o.reply = arg;
			break;
		case 't':
			rc = cli_parse_duration_ms("--timeout", arg,
						   &o.timeout_ms)
				     ? 2
				     : 0;
			break;
		case 'v':
			cli_g.verbose++;
			break;
		default:
			rc = CLI_EXIT_USAGE;
		}
		if (rc) {
			cli_getopt_done(&st);
			return rc;
		}
	}
	cli_getopt_done(&st);
	if (cli_g.verbose >= 2)
		nc_trace_stderr();
	if (optind != argc - 1) {
		cli_errorf("recv: expected one ADDRESS");
		fprintf(stderr, "usage: %s\n", recv_help.synopsis);
		return CLI_EXIT_USAGE;
	}
	o.addr = argv[optind];
	return run_recv(&o);
}
