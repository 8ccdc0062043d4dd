/*
 * cmd_proxy.c - `skit proxy [ADDRESS]`: a SOCKS5 (RFC 1928, with UDP
 * ASSOCIATE and the user/password method of RFC 1929), SOCKS4/4a and
 * HTTP CONNECT proxy server on one listener, the protocol told by the
 * client's first byte, and plain HTTP requests with an absolute
 * http:// URI (forwarded, one per connection). The engine is the
 * library's (skit/proxy_serve.h: a serve, each client's handshake,
 * the destination acl, a dial, then a relay pair or a UDP association);
 * this file owns the options and the words (-v lines, NDJSON events).
 * SIGINT/SIGTERM: the stop fd ends the loop; every tunnel is closed and
 * skit ends by the signal.
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROXY_DEFAULT "tcp:127.0.0.1:1080"

enum {
	OPT_AUTH = 256,
	OPT_ALLOW,
	OPT_DENY,
	OPT_ALLOW_DEST,
	OPT_DENY_DEST,
	OPT_MAX_CONNS,
	OPT_TIMEOUT,
	OPT_JSON,
};

static const struct cli_opt proxy_opts[] = {
	{ "auth", 0, "USER:PASS", OPT_AUTH,
	  "require this user and password (SOCKS5 RFC 1929, HTTP Basic)" },
	{ "allow", 0, "CIDR", OPT_ALLOW,
	  "accept clients only from CIDR (repeatable)" },
	{ "deny", 0, "CIDR", OPT_DENY,
	  "refuse clients from CIDR (repeatable)" },
	{ "allow-dest", 0, "CIDR", OPT_ALLOW_DEST,
	  "connect only to destinations in CIDR (repeatable)" },
	{ "deny-dest", 0, "CIDR", OPT_DENY_DEST,
	  "refuse destinations in CIDR (repeatable)" },
	{ "max-conns", 0, "N", OPT_MAX_CONNS,
	  "at most N clients at once; more are closed at once" },
	{ "timeout", 'w', "SECS", OPT_TIMEOUT,
	  "time limit of a handshake and of a connect (10)" },
	{ "json", 0, NULL, OPT_JSON,
	  "NDJSON on stdout: listening, each tunnel's open and close" },
	{ "verbose", 'v', NULL, 'v',
	  "say the address, each tunnel and each refusal on stderr" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_help proxy_help = {
	.name = "proxy",
	.permute = true,
	.synopsis = "skit proxy [OPTIONS] [ADDRESS]",
	.about = "Serve SOCKS5 (CONNECT and UDP ASSOCIATE), SOCKS4/4a CONNECT "
		 "and HTTP CONNECT on\nADDRESS (default " PROXY_DEFAULT
		 ": loopback only), one listener for all of\nthem (and "
		 "plain http:// requests), many clients on one event loop.\n"
		 "A bare PORT means tcp:127.0.0.1:PORT. Destinations are named "
		 "by the client and\nresolved here (socks5h).",
	.opts = proxy_opts,
	.extra = "examples:\n"
		 "  skit -v proxy                         SOCKS5/4a and HTTP "
		 "CONNECT on 127.0.0.1:1080\n"
		 "  curl --socks5-hostname 127.0.0.1:1080 http://10.0.0.2/\n"
		 "  skit proxy --auth al:pw --deny-dest 10.0.0.0/8 "
		 "tcp:0.0.0.0:1080\n",
};

/* Address options proxy implements on its listener. */
static const uint64_t proxy_addr_opts = SKIT_OPTS_OPEN;

struct proxy_opts {
	char user[256], pass[256];
	bool auth;
	struct skit_acl acl, dest;
	int max_conns;
	long long timeout_ms;
	bool json;
};

struct app {
	struct proxy_opts *o;
	struct skit_loop *loop;
	struct skit_proxy_serve *ps;
	char local[300];
};

static const char *
type_name(enum skit_proxy_type t)
{
	return t == SKIT_PROXY_SOCKS4A ? "socks4" : skit_proxy_type_name(t);
}

/* --- options -------------------------------------------------------- */

static int
parse_auth(const char *arg, struct proxy_opts *o)
{
	const char *colon = strchr(arg, ':');
	size_t ul = colon ? (size_t)(colon - arg) : 0;

	if (!colon || ul == 0 || ul >= sizeof(o->user) ||
	    strlen(colon + 1) >= sizeof(o->pass) || strlen(colon + 1) > 255 ||
	    ul > 255) {
		cli_errorf("proxy: --auth wants USER:PASS (each 1 to 255 "
			   "bytes), got '%s'",
			   arg);
		return CLI_EXIT_USAGE;
	}
	memcpy(o->user, arg, ul);
	o->user[ul] = '\0';
	snprintf(o->pass, sizeof(o->pass), "%s", colon + 1);
	o->auth = true;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct proxy_opts *o, int *argi)
{
	struct cli_getopt_state st = { 0 };
	const char *arg;
	long long v;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, &proxy_help, &st, &arg)) != -1) {
		switch (c) {
		case OPT_AUTH:
			rc = parse_auth(arg, o);
			break;
		case OPT_ALLOW:
		case OPT_DENY:
			rc = cli_acl_add(&o->acl, c == OPT_ALLOW, arg);
			break;
		case OPT_ALLOW_DEST:
		case OPT_DENY_DEST:
			rc = cli_acl_add(&o->dest, c == OPT_ALLOW_DEST, arg);
			break;
		case OPT_MAX_CONNS:
			if (cli_parse_int("--max-conns", arg, 1, INT32_MAX,
					  &v) < 0)
				rc = CLI_EXIT_USAGE;
			o->max_conns = (int)v;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_duration_ms("--timeout", arg,
						  &o->timeout_ms) < 0 ||
			    o->timeout_ms <= 0) {
				if (o->timeout_ms <= 0)
					cli_errorf("proxy: --timeout must be "
						   "more than 0");
				rc = CLI_EXIT_USAGE;
			}
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'v':
			cli_g.verbose++;
			break;
		case -2:
			rc = -1;
			break;
		default:
			rc = CLI_EXIT_USAGE;
			break;
		}
		if (rc)
			break;
	}
	*argi = optind;
	cli_getopt_done(&st);
	return rc;
}

/* --- events ------------------------------------------------------------ */

static const char *
command_name(int cmd)
{
	if (cmd == 3)
		return "udp-associate";
	return cmd == SKIT_PROXY_CMD_FORWARD ? "forward" : "connect";
}

static void
on_open(struct skit_proxy_serve *ps, const struct skit_proxy_tunnel *t,
	void *data)
{
	const struct app *app = data;
	const struct skit_proxy_request *rq = skit_proxy_tunnel_request(t);
	const char *udp = skit_proxy_tunnel_udp_relay(t);
	struct cli_json j;

	(void)ps;
	if (cli_g.verbose && udp)
		cli_verbose("proxy: #%llu %s: UDP ASSOCIATE, relay at %s",
			    skit_proxy_tunnel_id(t),
			    skit_proxy_tunnel_client(t), udp);
	else if (cli_g.verbose)
		cli_verbose(
			"proxy: #%llu %s -> %s (%s%s)", skit_proxy_tunnel_id(t),
			skit_proxy_tunnel_client(t), skit_proxy_tunnel_dest(t),
			type_name(rq->type),
			rq->cmd == SKIT_PROXY_CMD_FORWARD ? " forward" : "");
	if (!app->o->json)
		return;
	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "open");
	cli_json_uint(&j, "id", skit_proxy_tunnel_id(t));
	cli_json_str(&j, "protocol", type_name(rq->type));
	cli_json_str(&j, "command", command_name(rq->cmd));
	cli_json_str(&j, "client", skit_proxy_tunnel_client(t));
	cli_json_str(&j, "destination", skit_proxy_tunnel_dest(t));
	if (udp)
		cli_json_str(&j, "udp_relay", udp);
	if (rq->has_auth)
		cli_json_str(&j, "user", rq->user);
	cli_json_end(&j);
	cli_stdout_flush();
}

static void
on_close(struct skit_proxy_serve *ps, const struct skit_proxy_tunnel *t,
	 const struct skit_proxy_tunnel_stats *st, void *data)
{
	const struct app *app = data;
	double secs = (double)(st->end_ns - st->start_ns) / 1e9;
	const char *error = st->error ? skit_strerror(st->error) : NULL;
	struct cli_json j;

	(void)ps;
	if (cli_g.verbose && st->udp)
		cli_verbose("proxy: #%llu closed: %llu bytes up, %llu down in "
			    "%llu/%llu datagrams (%llu dropped), %.3f s (%s)",
			    skit_proxy_tunnel_id(t),
			    (unsigned long long)st->bytes[0],
			    (unsigned long long)st->bytes[1],
			    (unsigned long long)st->msgs[0],
			    (unsigned long long)st->msgs[1],
			    (unsigned long long)st->dropped, secs, st->reason);
	else if (cli_g.verbose)
		cli_verbose("proxy: #%llu closed: %llu bytes up, %llu down, "
			    "%.3f s (%s%s%s)",
			    skit_proxy_tunnel_id(t),
			    (unsigned long long)st->bytes[0],
			    (unsigned long long)st->bytes[1], secs, st->reason,
			    error ? ": " : "", error ? error : "");
	if (!app->o->json)
		return;
	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "close");
	cli_json_uint(&j, "id", skit_proxy_tunnel_id(t));
	cli_json_str(&j, "client", skit_proxy_tunnel_client(t));
	cli_json_str(&j, "destination", skit_proxy_tunnel_dest(t));
	cli_json_uint(&j, "bytes_up", st->bytes[0]);
	cli_json_uint(&j, "bytes_down", st->bytes[1]);
	if (st->udp) {
		cli_json_uint(&j, "datagrams_up", st->msgs[0]);
		cli_json_uint(&j, "datagrams_down", st->msgs[1]);
		cli_json_uint(&j, "dropped", st->dropped);
	}
	cli_json_double(&j, "duration_s", secs);
	cli_json_str(&j, "reason", st->reason);
	if (error)
		cli_json_str(&j, "error", error);
	cli_json_end(&j);
	cli_stdout_flush();
}

/* A client refused before any tunnel: -v line and a JSON event. */
static void
on_refused(struct skit_proxy_serve *ps, const struct skit_proxy_tunnel *t,
	   const char *why, void *data)
{
	const struct app *app = data;
	const char *dest = skit_proxy_tunnel_dest(t);
	struct cli_json j;

	(void)ps;
	if (cli_g.verbose)
		cli_verbose("proxy: #%llu %s%s%s: %s", skit_proxy_tunnel_id(t),
			    skit_proxy_tunnel_client(t), dest[0] ? " -> " : "",
			    dest, why);
	if (!app->o->json)
		return;
	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "refused");
	cli_json_uint(&j, "id", skit_proxy_tunnel_id(t));
	cli_json_str(&j, "client", skit_proxy_tunnel_client(t));
	if (dest[0])
		cli_json_str(&j, "destination", dest);
	cli_json_str(&j, "reason", why);
	cli_json_end(&j);
	cli_stdout_flush();
}

/* --- the server ------------------------------------------------------- */

static void
on_event(struct skit_proxy_serve *ps, const struct skit_serve_event *ev,
	 void *data)
{
	struct app *app = data;
	char peer[300] = "a client";

	(void)ps;
	if (ev->peer)
		skit_sockaddr_str(ev->peer, peer, sizeof(peer));
	switch (ev->kind) {
	case SKIT_SERVE_DENIED:
		/* (only under -v: a refused client is no fault of the proxy) */
		if (cli_g.verbose)
			cli_verbose("proxy: refused %s: not allowed "
				    "(--allow/--deny)%s",
				    peer,
				    ev->count > 1 ? " (and others, within a "
						    "second)"
						  : "");
		break;
	default:
		/* --max-conns and EMFILE: the message listen, echo and relay
		 * print */
		cli_serve_event("proxy", ev, false, app->local, NULL, 0);
		break;
	}
}

static void
on_stop(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	(void)ev;
	(void)data;
	skit_loop_del(loop, fd);
	skit_loop_stop(loop);
}

/* Is the listener on loopback only? */
static bool
loopback_only(const struct skit_sockaddr *sa)
{
	if (sa->family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&sa->ss)
				      ->sin_addr.s_addr) >>
			24) == 127;
	if (sa->family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)&sa->ss)->sin6_addr);
	return true; /* unix, vsock: not the network */
}

static int
run(struct app *app, const struct skit_addr *a)
{
	struct proxy_opts *o = app->o;
	struct skit_proxy_serve_cfg cfg = {
		.proto = { .socks5 = true,
			   .socks4 = true,
			   .http = true,
			   .udp = true },
		.dest = &o->dest,
		.timeout_ms = o->timeout_ms,
		.serve = { .max_conns = o->max_conns,
			   .acl = skit_acl_empty(&o->acl) ? NULL : &o->acl,
			   .batch = 16 },
		.on_open = on_open,
		.on_close = on_close,
		.on_refused = on_refused,
		.on_event = on_event,
		.data = app,
	};
	const struct skit_sockaddr *local;
	struct skit_err err;
	int rc;

	rc = skit_loop_new(SKIT_LOOP_AUTO, &app->loop);
	if (rc == 0)
		rc = cli_stop_watch_loop(app->loop, on_stop, app);
	if (rc < 0) {
		cli_errorf("proxy: %s", skit_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (o->auth) {
		cfg.proto.user = o->user;
		cfg.proto.pass = o->pass;
	}
	skit_err_clear(&err);
	if (skit_proxy_serve_open(app->loop, a, 0, &cfg, &app->ps, &err) < 0) {
		rc = cli_report(&err);
		if (err.code == -EADDRINUSE)
			cli_hint("another server has this port; pick another "
				 "(port 0: any free one)");
		return rc;
	}
	local = skit_proxy_serve_local(app->ps);
	skit_sockaddr_str(local, app->local, sizeof(app->local));
	cli_verbose("listening on %s", app->local);
	if (local->family == AF_UNIX)
		cli_verbose("proxy: a unix socket: clients on this machine "
			    "only");
	else if (loopback_only(local))
		cli_verbose("proxy: loopback only: give an address such as "
			    "tcp:0.0.0.0:1080 to serve other hosts");
	else if (!o->auth && skit_acl_empty(&o->acl))
		cli_errorf("proxy: warning: %s is an open proxy for every host "
			   "that reaches it; limit it with --allow or --auth",
			   app->local);
	if (o->json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "listening");
		cli_json_str(&j, "address", app->local);
		cli_json_bool(&j, "loopback_only", loopback_only(local));
		cli_json_end(&j);
		cli_stdout_flush();
	}
	rc = skit_loop_run(app->loop);
	if (rc < 0) {
		cli_errorf("proxy: event loop: %s", skit_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

int
cmd_proxy(int argc, char **argv)
{
	/* static: a name lookup still running when skit proxy returns
	 * reads the destination acl from its thread (dial.h) */
	static struct proxy_opts o = { .timeout_ms = 10000 };
	struct app app = { .o = &o };
	struct skit_addr a;
	struct skit_err err;
	char text[SKIT_ADDR_TEXT_MAX + 32];
	const char *arg = PROXY_DEFAULT;
	int argi, rc;

	rc = parse_opts(argc, argv, &o, &argi);
	if (rc)
		goto out;
	if (argi < argc - 1) {
		cli_errorf("proxy: expected at most one ADDRESS");
		fprintf(stderr, "usage: %s\n", proxy_help.synopsis);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (argi == argc - 1)
		arg = argv[argi];
	if (arg[0] && strspn(arg, "0123456789") == strlen(arg)) {
		snprintf(text, sizeof(text), "tcp:127.0.0.1:%s", arg);
		arg = text;
	}
	skit_err_clear(&err);
	if (skit_addr_parse(arg, SKIT_ROLE_LISTEN, &a, &err) < 0) {
		rc = cli_report(&err);
		goto out;
	}
	if (a.role == SKIT_ROLE_CONNECT || a.type != SOCK_STREAM ||
	    (a.kind != SKIT_KIND_TCP && a.kind != SKIT_KIND_UNIX)) {
		cli_errorf("proxy: '%s': a proxy listens on a tcp (or unix) "
			   "address",
			   arg);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = cli_addr_check(&a, proxy_addr_opts, "skit proxy");
	if (rc)
		goto out;
	rc = run(&app, &a);
	/* a stop signal or a failed loop: every tunnel goes */
	skit_proxy_serve_free(app.ps);
	skit_loop_free(app.loop);
out:
	skit_acl_free(&o.acl); /* o.dest stays for such a lookup */
	return rc < 0 ? CLI_EXIT_OK : rc;
}
