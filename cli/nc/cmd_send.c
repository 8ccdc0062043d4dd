/*
 * cmd_send.c - `skit send ADDRESS [MESSAGE...]`: one sendto() per
 * message (the arguments, or stdin split by --framing), optionally on a
 * connected datagram socket (--connect), from a chosen source (--bind),
 * and optionally waiting for the replies (--wait).
 */
#include "cli.h"
#include "nc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_CONNECT = 256,
	OPT_BIND,
	OPT_FRAMING,
	OPT_JSON,
	OPT_REPLIES,
};

static const struct cli_opt send_opts[] = {
	{ "bind", 0, "ADDR", OPT_BIND,
	  "source address (unix-dgram: path or @name, so replies can come "
	  "back)" },
	{ "connect", 0, NULL, OPT_CONNECT,
	  "connect the datagram socket (the kernel records the peer and "
	  "reports ICMP errors)" },
	{ "crlf", 'C', NULL, 'C',
	  "line framing: lines go out ending in \"\\r\\n\", replies are "
	  "printed with it" },
	{ "framing", 0, "MODE", OPT_FRAMING,
	  "how stdin and replies map to messages: line (default: a line with "
	  "its \\n per message), len, len16, raw" },
	{ "json", 0, NULL, OPT_JSON,
	  "print one JSON object per message sent, and per reply" },
	{ "replies", 0, "N", OPT_REPLIES,
	  "with --wait: stop as soon as N replies came" },
	{ "wait", 'w', "SECS", 'w',
	  "wait up to SECS for a full receiver to take each message "
	  "(default 5), and after sending print replies until SECS pass "
	  "without one" },
	{ "verbose", 'v', NULL, 'v',
	  "more diagnostics (\"listening on\", each message); -vv traces" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Address options send implements: skit_open's, with its connect
 * time-out. */
static const uint64_t send_addr_opts = SKIT_OPTS_OPEN | SKIT_OPTS_DIAL |
				       SKIT_OPTS_MCAST |
				       SKIT_OPT_BIT(IDLE_TIMEOUT);

static const struct cli_help send_help = {
	.name = "send",
	.permute = true,
	.synopsis = "skit send [OPTIONS] ADDRESS [MESSAGE...]",
	.about = "Send each MESSAGE (or each message read from stdin) as one "
		 "datagram to ADDRESS:\nudp, udp4, udp6, unix-dgram (path or "
		 "@abstract), unix-seqpacket, ip with proto=.",
	.opts = send_opts,
	.extra = "examples:\n"
		 "  skit send udp:127.0.0.1:5000 hello world    two "
		 "datagrams\n"
		 "  printf 'a\\nb\\n' | skit send unix-dgram:@logs      "
		 "one per line\n"
		 "  skit send -w 1 udp:127.0.0.1:53 ping          print the "
		 "replies\n",
};

struct send_opts {
	const char *addr;
	const char *bind;
	bool connect;
	bool crlf;
	bool json;
	enum skit_framing framing;
	long long wait_ms; /* -1: do not wait */
	long long replies; /* 0: until the wait runs out */
};

struct sender {
	int fd;
	struct skit_sockaddr peer;
	bool connected;
	const struct send_opts *o;
	char peer_text[300];
	unsigned long long sent;
	long long send_ms; /* how long a full receiver is waited for */
	/* how long replies are waited for once sent (-w, or idle-timeout=
	 * on the address); -1: they are not */
	long long reply_ms;
};

static int
send_one(struct sender *s, const char *msg, size_t len)
{
	ssize_t n;
	int rc;

	if (s->connected)
		n = skit_sendto(s->fd, msg, len, 0, NULL, 0);
	else
		n = skit_sendto(s->fd, msg, len, 0,
				(const struct sockaddr *)&s->peer.ss,
				s->peer.len);
	if (n == -EAGAIN)
		return cli_report_full("send", s->peer_text, s->send_ms, "-w");
	if (n < 0) {
		struct skit_err err;

		skit_err_set(&err, (int)n, "send", s->peer_text);
		if (n == -EMSGSIZE)
			cli_hint("a %zu-byte message is larger than this "
				 "socket accepts (sndbuf=, or a smaller "
				 "message)",
				 len);
		rc = cli_report(&err);
		if (n == -EACCES)
			cli_hint("a broadcast address needs ,broadcast on the "
				 "address (SO_BROADCAST)");
		return rc;
	}
	s->sent++;
	if (s->o->json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "sent");
		cli_json_str(&j, "to", s->peer_text);
		cli_json_uint(&j, "length", (unsigned long long)n);
		cli_json_end(&j);
	} else if (cli_g.verbose) {
		cli_verbose("sent %zd bytes to %s", n, s->peer_text);
	}
	return 0;
}

/*
 * -C: a line that ends in a bare "\n" goes out ending in "\r\n". One at
 * the size limit already sends its "\r\n" as a message of its own.
 */
static int
send_crlf(struct sender *s, const char *m, size_t len)
{
	char *b;
	int rc;

	if (!len || m[len - 1] != '\n' || (len > 1 && m[len - 2] == '\r'))
		return send_one(s, m, len);
	if (len >= SKIT_FRAME_MSG_MAX) {
		rc = send_one(s, m, len - 1);
		return rc ? rc : send_one(s, "\r\n", 2);
	}
	b = malloc(len + 1);
	if (!b)
		return CLI_EXIT_FAIL;
	memcpy(b, m, len - 1);
	memcpy(b + len - 1, "\r\n", 2);
	rc = send_one(s, b, len + 1);
	free(b);
	return rc;
}

/* Print replies until wait_ms of silence. Exit code. */
static int
wait_replies(struct sender *s)
{
	char *buf = malloc(NC_MSG_MAX);
	unsigned long long got = 0;
	int rc = CLI_EXIT_OK;

	if (!buf)
		return CLI_EXIT_FAIL;
	while (!s->o->replies || got < (unsigned long long)s->o->replies) {
		struct skit_sockaddr from = { .len = sizeof(from.ss) };
		int w = skit_wait_fd(s->fd, POLLIN, (int)s->reply_ms);
		ssize_t n;

		if (w <= 0)
			break;
		n = skit_recvfrom(s->fd, buf, NC_MSG_MAX, MSG_DONTWAIT,
				  (struct sockaddr *)&from.ss, &from.len);
		if (n == -EAGAIN)
			continue;
		if (n < 0) {
			struct skit_err err;

			skit_err_set(&err, (int)n, "receive", s->peer_text);
			rc = cli_report(&err);
			break;
		}
		if (n == 0 && s->peer.type == SOCK_SEQPACKET)
			break; /* the peer closed the connection */
		got++;
		if (s->o->json) {
			/* --json: replies are objects too, never raw lines */
			struct cli_json j;
			char ft[300];

			from.family = from.ss.ss_family;
			from.type = s->peer.type;
			from.protocol = s->peer.protocol;
			cli_json_begin(&j, stdout);
			cli_json_str(&j, "event", "reply");
			cli_json_str(&j, "from",
				     nc_sa_str(&from, ft, sizeof(ft)));
			cli_json_uint(&j, "length", (unsigned long long)n);
			if (cli_json_payload(&j, buf, (size_t)n) < 0) {
				rc = CLI_EXIT_FAIL;
				break;
			}
			cli_json_end(&j);
			continue;
		}
		if (skit_frame_write(STDOUT_FILENO, s->o->framing,
				     s->o->crlf ? "\r\n" : "\n", buf,
				     (size_t)n) < 0)
			break;
	}
	free(buf);
	if (rc == CLI_EXIT_OK && !got) {
		cli_errorf("send %s: no reply within %lld ms", s->peer_text,
			   s->reply_ms);
		rc = CLI_EXIT_FAIL;
	}
	return rc;
}

static int
run_send(const struct send_opts *o, int nmsg, char **msgs)
{
	struct skit_addr a;
	struct skit_err err;
	struct sender s = { .fd = -1, .o = o };
	char autob[64];
	const char *bind = o->bind;
	int flags = 0, rc;

	skit_err_clear(&err);
	if (skit_addr_parse(o->addr, SKIT_ROLE_CONNECT, &a, &err) < 0)
		return cli_report(&err);
	if (!skit_kind_is_socket(a.kind)) {
		cli_errorf("send: '%s' is not a socket address", o->addr);
		return CLI_EXIT_USAGE;
	}
	rc = cli_addr_check(&a, send_addr_opts, "skit send");
	if (rc)
		return rc;
	/* idle-timeout= on the address: the reply wait of -w (replies are
	 * printed until that long passes without one) */
	s.reply_ms = skit_addr_has(&a, SKIT_OPT_IDLE_TIMEOUT)
			     ? skit_addr_num(&a, SKIT_OPT_IDLE_TIMEOUT, 0)
			     : o->wait_ms;
	/*
	 * An unbound unix datagram socket has no name, so nothing can
	 * answer it: give it one unless --bind did.
	 */
	if (!bind && a.kind == SKIT_KIND_UNIX_DGRAM &&
	    !skit_addr_has(&a, SKIT_OPT_BIND)) {
		nc_autobind_name("send", autob, sizeof(autob));
		bind = autob;
	}
	if (bind && skit_addr_set_str(&a, SKIT_OPT_BIND, bind, &err) < 0)
		return cli_report(&err);
	s.connected =
		o->connect || a.type == SOCK_STREAM || a.type == SOCK_SEQPACKET;
	if (!s.connected)
		flags |= SKIT_OPEN_NOCONNECT;
	{
		/* The address's connect-timeout=, retry= and forever. */
		struct skit_dial_cfg cfg = { .flags = flags };
		struct skit_dial_result dr;

		s.fd = cli_dial(&a, &cfg, -1, &dr, &err);
		if (s.fd < 0)
			return cli_report(&err);
		s.peer = dr.peer;
	}
	nc_sa_str(&s.peer, s.peer_text, sizeof(s.peer_text));
	/*
	 * A blocking sendto() to a unix receiver that stopped reading
	 * sleeps until it reads again: bound the sleep (-w, else the
	 * default), then say so (exit 5).
	 */
	s.send_ms = o->wait_ms >= 0 ? o->wait_ms : CLI_SEND_WAIT_MS;
	rc = skit_sock_send_timeout(s.fd, (int)s.send_ms);
	if (rc < 0) {
		cli_errorf("send %s: %s", s.peer_text, skit_strerror(rc));
		skit_close(s.fd);
		return cli_exit_for(rc);
	}
	rc = 0;
	if (nmsg > 0) {
		for (int i = 0; i < nmsg && !rc; i++)
			rc = send_one(&s, msgs[i], strlen(msgs[i]));
	} else {
		struct skit_frame_reader r;
		const char *m;
		size_t len;
		int n;

		if (skit_frame_reader_init(&r, STDIN_FILENO, NC_MSG_MAX) < 0) {
			skit_close(s.fd);
			return CLI_EXIT_FAIL;
		}
		while (!rc && (n = skit_frame_reader_next(&r, o->framing, &m,
							  &len)) > 0)
			rc = o->crlf && o->framing == SKIT_FRAMING_LINE
				     ? send_crlf(&s, m, len)
				     : send_one(&s, m, len);
		if (!rc && n < 0) {
			cli_errorf("send: read from stdin: %s",
				   skit_strerror(n));
			rc = cli_exit_for(n);
		}
		skit_frame_reader_free(&r);
	}
	if (!rc && s.reply_ms >= 0)
		rc = wait_replies(&s);
	skit_close(s.fd);
	return rc;
}

int
cmd_send(int argc, char **argv)
{
	struct send_opts o = { .framing = SKIT_FRAMING_LINE, .wait_ms = -1 };
	struct cli_getopt_state st = { 0 };
	const char *arg;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, &send_help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			cli_getopt_done(&st);
			return CLI_EXIT_OK;
		case OPT_BIND:
			o.bind = arg;
			break;
		case OPT_CONNECT:
			o.connect = true;
			break;
		case 'C':
			o.crlf = true;
			break;
		case OPT_FRAMING:
			rc = nc_parse_framing(arg, &o.framing);
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_REPLIES:
			rc = cli_parse_int("--replies", arg, 1, INT64_MAX,
					   &o.replies)
				     ? 2
				     : 0;
			break;
		case 'w':
			rc = cli_parse_duration_ms("--wait", arg, &o.wait_ms)
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
	if (optind >= argc) {
		cli_errorf("send: missing ADDRESS");
		fprintf(stderr, "usage: %s\n", send_help.synopsis);
		return CLI_EXIT_USAGE;
	}
	o.addr = argv[optind];
	return run_send(&o, argc - optind - 1, argv + optind + 1);
}
