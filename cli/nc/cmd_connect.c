/*
 * cmd_connect.c - `skit connect ADDRESS` (or nc's `HOST PORT`): connect
 * and relay stdin -> socket and socket -> stdout, with netcat's
 * half-close policy (docs/half-close.md), the address's retry policy
 * (--retry, retry=, interval=, forever, connect-timeout=: a dial,
 * skit/dial.h) and -z probes of a port or a port range.
 */
#include "cli.h"
#include "cli_tls.h"
#include "cli_ws.h"
#include "faults.h"
#include "nc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_RETRY = NC_OPT__NEXT,
	OPT_PROXY,
	OPT_PROXY_TYPE,
	OPT_PROXY_AUTH,
	OPT_TLS, /* CLI_TLS_NOPTS ids from here */
};

static const struct cli_opt connect_opts[] = {
	{ "ipv4", '4', NULL, '4', "IPv4 only" },
	{ "ipv6", '6', NULL, '6', "IPv6 only" },
	{ "crlf", 'C', NULL, 'C',
	  "send \"\\r\\n\" for each \"\\n\" read from stdin" },
	{ "unix", 'U', NULL, 'U',
	  "the operand is a unix socket path (or @name)" },
	{ "exit-on-eof", 0, NULL, NC_OPT_EXIT_ON_EOF,
	  "exit as soon as stdin ends and its bytes are sent (-q 0)" },
	{ "framing", 0, "MODE", NC_OPT_FRAMING,
	  "messages <-> stdio on datagram/seqpacket sockets: line (default: "
	  "a line with its \\n per message; messages are written as they "
	  "are), len, len16, raw" },
	{ "hex", 0, NULL, NC_OPT_HEX, "dump the traffic in hex on stderr" },
	{ "numeric", 'n', NULL, 'n', "numeric addresses only, no DNS" },
	{ "no-shutdown", 0, NULL, NC_OPT_NO_SHUTDOWN,
	  "do not shut down the socket's write side at stdin EOF" },
	{ "source-port", 'p', "PORT", 'p', "local port to connect from" },
	{ "quit", 'q', "SECS", 'q', "quit SECS after stdin EOF" },
	{ "json", 0, NULL, NC_OPT_JSON,
	  "events on stderr as NDJSON: connected (the 5-tuple, TLS), closed "
	  "(bytes each way, duration, reason)" },
	{ "recv-only", 0, NULL, NC_OPT_RECV_ONLY,
	  "only copy socket -> stdout (ignore stdin)" },
	{ "proxy", 0, "HOST[:PORT]|URL", OPT_PROXY,
	  "connect through this proxy (ncat; the same as the address's "
	  "proxy=URL)" },
	{ "proxy-auth", 0, "USER:PASS", OPT_PROXY_AUTH,
	  "the proxy's user and password (ncat)" },
	{ "proxy-type", 0, "TYPE", OPT_PROXY_TYPE,
	  "socks5, socks4 or http (the default, port 3128) (ncat)" },
	{ "retry", 0, "N", OPT_RETRY,
	  "retry a refused or timed-out connect N times (retry=N): after "
	  "interval= (1s), then 2x, 4x, at most 8x that" },
	{ "source", 's', "ADDR", 's', "local address to connect from" },
	CLI_TLS_OPTS(OPT_TLS),
	{ "send-only", 0, NULL, NC_OPT_SEND_ONLY,
	  "only copy stdin -> socket (exit when it is sent)" },
	{ "udp", 'u', NULL, 'u', "UDP instead of TCP (HOST PORT form)" },
	{ "verbose", 'v', NULL, 'v',
	  "print the connection's addresses; -vv traces each socket call" },
	{ "wait", 'w', "SECS", 'w',
	  "time limit: connecting, then SECS without traffic end the "
	  "session (exit 5); a full datagram receiver is waited for SECS "
	  "(default 5)" },
	{ "zero", 'z', NULL, 'z',
	  "only probe: is the port (or each port of a range, 20-25) open" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Address options connect implements: skit_open's, with its connect
 * time-out (also -w). Not retry= (its flag is --retry). */
static const uint64_t connect_addr_opts =
	SKIT_OPTS_OPEN | SKIT_OPTS_DIAL | SKIT_OPTS_TLS | SKIT_OPT_BIT(PROXY) |
	SKIT_OPT_BIT(IDLE_TIMEOUT) | SKIT_OPTS_WS | SKIT_OPTS_FAULT;

static const struct cli_help connect_help = {
	.name = "connect",
	.permute = true,
	.synopsis = "skit connect [OPTIONS] ADDRESS | HOST PORT",
	.about = "Connect to ADDRESS and copy stdin to the socket and the "
		 "socket to stdout.\nAt stdin EOF the socket's write side is "
		 "shut down and skit goes on printing\nwhat the peer sends "
		 "until it closes (docs/half-close.md).",
	.opts = connect_opts,
	.extra = "examples:\n"
		 "  skit connect tcp:example.org:80\n"
		 "  skit connect -v 127.0.0.1 8080          nc style\n"
		 "  skit connect unix-seqpacket:@ctl --framing len\n"
		 "  skit connect -z -v tcp:127.0.0.1:20-25  probe a range\n"
		 "  skit connect -v tls:example.org:443      TLS "
		 "(docs/tls.md)\n",
};

struct connect_opts {
	struct nc_addr_opts ao;
	struct nc_sess_opts so;
	bool zero;
	bool framing_set;
	long long wait_ms; /* -1: none */
	long long retry;
	bool retry_set;
	struct cli_tls_flags tlsf;
	const char *proxy, *proxy_type, *proxy_auth; /* ncat's --proxy* */
};

/*
 * ncat's --proxy HOST[:PORT] --proxy-type TYPE --proxy-auth USER:PASS
 * as the address's proxy=URL (a URL in --proxy is taken as it is).
 */
static int
ncat_proxy(const struct connect_opts *o, struct skit_addr *a)
{
	const char *type = o->proxy_type ? o->proxy_type : "http";
	char url[1024];
	struct skit_err err;
	const char *colon;
	bool has_port;

	if (!o->proxy) {
		if (o->proxy_type || o->proxy_auth) {
			cli_errorf("connect: --proxy-type and --proxy-auth "
				   "need --proxy");
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if (strcmp(type, "socks5") && strcmp(type, "socks4") &&
	    strcmp(type, "http")) {
		cli_errorf("connect: --proxy-type '%s': socks5, socks4 or "
			   "http",
			   type);
		return CLI_EXIT_USAGE;
	}
	colon = strchr(o->proxy, ':');
	if (o->proxy[0] == '[')
		has_port = strstr(o->proxy, "]:") != NULL;
	else
		has_port = colon && colon == strrchr(o->proxy, ':');
	if (strstr(o->proxy, "://"))
		snprintf(url, sizeof(url), "%s", o->proxy);
	else
		snprintf(url, sizeof(url), "%s://%s%s%s%s%s%s", type,
			 o->proxy_auth ? o->proxy_auth : "",
			 o->proxy_auth ? "@" : "",
			 colon && !has_port && o->proxy[0] != '[' ? "[" : "",
			 o->proxy,
			 colon && !has_port && o->proxy[0] != '[' ? "]" : "",
			 has_port		 ? ""
			 : !strcmp(type, "http") ? ":3128"
						 : ":1080");
	if (skit_addr_set_opt(a, SKIT_OPT_PROXY, url, &err) < 0)
		return cli_report(&err);
	return 0;
}

/*
 * How the dial runs: the address's connect-timeout=, retry=, forever
 * and interval=, with -w as the connect time-out when the address has
 * none and --retry N as retry=N.
 */
static void
dial_cfg(const struct connect_opts *o, const struct skit_addr *a,
	 struct skit_dial_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->flags = SKIT_OPEN_NONBLOCK | nc_open_flags(&o->ao);
	if (o->wait_ms >= 0 && !skit_addr_has(a, SKIT_OPT_CONNECT_TIMEOUT))
		cfg->connect_timeout_ms = o->wait_ms > 0 ? o->wait_ms : 1;
	if (o->retry_set)
		cfg->retries = o->retry > 0 ? (int)o->retry : SKIT_DIAL_NONE;
}

/* -z on a datagram port: an ICMP port unreachable says closed. */
static int
probe_udp(int fd, long long wait_ms)
{
	char c;
	ssize_t n;
	int w;

	/*
	 * Never sleep in the send: a unix receiver whose queue is full
	 * (EAGAIN) is there, so the port counts as open.
	 */
	n = skit_sendto(fd, "", 0, MSG_DONTWAIT, NULL, 0);
	if (n < 0 && n != -EAGAIN)
		return (int)n;
	w = skit_wait_fd(fd, POLLIN, (int)(wait_ms >= 0 ? wait_ms : 1000));
	if (w <= 0)
		return 0; /* open or filtered: nc counts it as open */
	n = skit_recvfrom(fd, &c, 1, MSG_DONTWAIT, NULL, NULL);
	return n < 0 && n != -EAGAIN ? (int)n : 0;
}

static int
run_probe(struct connect_opts *o, struct skit_addr *a)
{
	unsigned lo = a->port_lo, hi = a->port_is_range ? a->port_hi : lo;
	int last = 0, open = 0;

	if (!a->port_is_range && !lo) {
		lo = hi = 0; /* a service name: one probe as written */
	}
	for (unsigned p = lo; p <= hi; p++) {
		struct skit_addr pa = *a;
		struct skit_dial_result dr;
		struct skit_dial_cfg cfg;
		struct skit_sockaddr peer;
		struct skit_err err;
		char pt[300], buf[512];
		int fd;

		if (a->port_is_range) {
			snprintf(pa.port, sizeof(pa.port), "%u", p);
			pa.port_lo = pa.port_hi = (uint16_t)p;
			pa.port_is_range = false;
		}
		skit_err_clear(&err);
		dial_cfg(o, &pa, &cfg);
		cfg.flags &= ~SKIT_OPEN_NONBLOCK;
		cfg.retries = SKIT_DIAL_NONE; /* a scan asks each port once */
		fd = skit_dial(&pa, &cfg, -1, &dr, &err);
		if (fd >= 0)
			peer = dr.peer;
		if (fd >= 0 && pa.type == SOCK_DGRAM) {
			int r = probe_udp(fd, o->wait_ms);

			if (r < 0) {
				skit_close(fd);
				fd = skit_err_set(
					&err, r, "connect",
					nc_sa_str(&peer, pt, sizeof(pt)));
			}
		}
		if (fd >= 0) {
			open++;
			if (cli_g.verbose)
				fprintf(stderr, "skit: %s open\n",
					nc_sa_str(&peer, pt, sizeof(pt)));
			skit_close(fd);
		} else {
			last = fd;
			/* A bad name or address will not get better. */
			if (cli_exit_for(fd) == CLI_EXIT_RESOLVE ||
			    cli_exit_for(fd) == CLI_EXIT_USAGE)
				return cli_report(&err);
			if (cli_g.verbose)
				fprintf(stderr, "skit: %s\n",
					skit_err_format(&err, buf,
							sizeof(buf)));
		}
		if (p == 65535)
			break;
	}
	if (open)
		return CLI_EXIT_OK;
	return cli_exit_for(last);
}

static int
run_connect(struct connect_opts *o, int nargs, char **args)
{
	struct skit_addr a;
	struct skit_dial_result dr;
	struct skit_dial_cfg cfg;
	struct skit_err err;
	struct cli_ws ws;
	char text[SKIT_ADDR_TEXT_MAX + 300], lt[300], pt[300];
	struct cli_tls tls;
	static struct cli_faults faults; /* lives through the session */
	int fd, rc;

	rc = nc_build_addr(nargs, args, SKIT_ROLE_CONNECT, &o->ao, &a, text,
			   sizeof(text));
	if (rc)
		return rc;
	if (!skit_kind_is_socket(a.kind)) {
		cli_errorf("connect: '%s' is not a socket address", text);
		return CLI_EXIT_USAGE;
	}
	rc = cli_tls_flags_apply(&o->tlsf, &a);
	if (rc)
		return rc;
	rc = ncat_proxy(o, &a);
	if (rc)
		return rc;
	rc = cli_addr_check(&a, connect_addr_opts, "skit connect");
	if (rc)
		return rc;
	/* idle-timeout= on the address: the idle part of -w */
	if (skit_addr_has(&a, SKIT_OPT_IDLE_TIMEOUT)) {
		o->so.idle_ms = skit_addr_num(&a, SKIT_OPT_IDLE_TIMEOUT, 0);
		o->so.send_ms =
			o->so.idle_ms > 0 ? o->so.idle_ms : CLI_SEND_WAIT_MS;
	}
	if (o->zero)
		return run_probe(o, &a);
	if (a.port_is_range) {
		cli_errorf("connect: a port range needs -z");
		return CLI_EXIT_USAGE;
	}
	if (!o->framing_set)
		o->so.framing = SKIT_FRAMING_LINE;
	rc = nc_faults(&faults, &a, "connect", &o->so);
	if (rc == 0)
		rc = cli_tls_setup(&a, false, &tls);
	if (rc)
		return rc;
	if (skit_addr_has(&a, SKIT_OPT_WS)) {
		rc = cli_ws_init(&ws, &a, false, o->framing_set,
				 (enum skit_framing)o->so.framing);
		if (rc)
			return rc;
		/* --json: its events with "connected" and "closed" */
		ws.json = o->so.json ? stderr : NULL;
		o->so.ws = &ws;
	}
	skit_err_clear(&err);
	dial_cfg(o, &a, &cfg);
	fd = cli_dial(&a, &cfg, -1, &dr, &err);
	if (fd < 0) {
		rc = cli_report(&err);
		if (rc == CLI_EXIT_TIMEOUT)
			cli_hint("nothing answered within the connect "
				 "timeout; is a firewall dropping packets?");
		cli_tls_free(&tls);
		return rc;
	}
	nc_sa_str(&dr.peer, pt, sizeof(pt));
	if (cli_g.verbose) {
		struct skit_sockaddr local;

		if (skit_sock_local(fd, &local) < 0)
			memset(&local, 0, sizeof(local));
		cli_verbose("connected %s -> %s",
			    nc_sa_str(&local, lt, sizeof(lt)), pt);
		if (skit_addr_has(&a, SKIT_OPT_PROXY))
			cli_verbose("tunnel to %s%s%s:%s through the proxy %s",
				    strchr(a.host, ':') ? "[" : "", a.host,
				    strchr(a.host, ':') ? "]" : "", a.port, pt);
	}
	if (o->so.ws)
		snprintf(ws.peer, sizeof(ws.peer), "%.199s", pt);
	o->so.tls = &tls;
	o->so.tls_wait_ms = o->wait_ms;
	rc = nc_session_stdio(fd, pt, &o->so);
	cli_tls_free(&tls);
	return rc;
}

int
cmd_connect(int argc, char **argv)
{
	struct connect_opts o = { .wait_ms = -1 };
	struct cli_getopt_state st = { 0 };
	const char *arg;
	long long v;
	int c, rc = 0;

	o.so.dirs = SKIT_RELAY_BOTH;
	o.so.quit_ms = -1;
	o.so.what = "server";
	o.so.op = "connect";
	while ((c = cli_getopt(argc, argv, &connect_help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			cli_getopt_done(&st);
			return CLI_EXIT_OK;
		case OPT_RETRY:
			rc = cli_parse_int("--retry", arg, 0, 1000, &v) ? 2 : 0;
			o.retry = v;
			o.retry_set = true;
			break;
		case OPT_PROXY:
			o.proxy = arg;
			break;
		case OPT_PROXY_TYPE:
			o.proxy_type = arg;
			break;
		case OPT_PROXY_AUTH:
			o.proxy_auth = arg;
			break;
		case 's':
			o.ao.src = arg;
			break;
		case 'w':
			rc = cli_parse_duration_ms("-w", arg, &o.wait_ms) ? 2
									  : 0;
			o.so.idle_ms = o.wait_ms;
			break;
		case 'z':
			o.zero = true;
			break;
		default:
			if (c >= OPT_TLS && c < OPT_TLS + CLI_TLS_NOPTS) {
				cli_tls_flag(&o.tlsf, c - OPT_TLS, arg);
				break;
			}
			/* -4 -6 -u -U -n -p -C -q -v and the NC_OPT_* flags. */
			rc = nc_common_opt(c, arg, &o.ao, &o.so,
					   &o.framing_set);
			if (rc < 0)
				rc = CLI_EXIT_USAGE;
		}
		if (rc) {
			cli_getopt_done(&st);
			return rc;
		}
	}
	cli_getopt_done(&st);
	o.so.send_ms = o.so.idle_ms > 0 ? o.so.idle_ms : CLI_SEND_WAIT_MS;
	if (cli_g.verbose >= 2)
		nc_trace_stderr();
	if (o.so.dirs != SKIT_RELAY_BOTH && (o.so.crlf || o.so.no_shutdown) &&
	    o.so.dirs == SKIT_RELAY_BA) {
		cli_errorf("connect: --recv-only ignores stdin: -C and "
			   "--no-shutdown do not apply");
		return CLI_EXIT_USAGE;
	}
	return run_connect(&o, argc - optind, argv + optind);
}
