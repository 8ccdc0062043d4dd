/*
 * cmd_proxy.c - `skit proxy [ADDRESS]`: a SOCKS5 (RFC 1928, with UDP
 * ASSOCIATE and the user/password method of RFC 1929), SOCKS4/4a and
 * HTTP CONNECT proxy server on one listener, the protocol told by the
 * client's first byte, and plain HTTP requests with an absolute
 * http:// URI (forwarded, one per connection). Many clients on one
 * event loop: the serve
 * (serve.h) accepts, the library's server handshake (proxy.h,
 * skit_proxy_accept_*) reads each request, a dial (dial.h) connects to
 * the destination without blocking, and the relay engine (relay.h)
 * moves the tunnel's bytes. This file owns the options, the acls on
 * destinations, the UDP relay of an association and the words.
 *
 * A tunnel goes HANDSHAKE (reading the request) -> DIAL -> ANSWER
 * (writing the reply) -> RELAY (a relay pair owns both fds) or UDP (an
 * association: the client's control connection and a UDP socket of
 * ours). SIGINT/SIGTERM: the stop fd ends the loop; every tunnel is
 * closed and skit ends by the signal.
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROXY_DEFAULT "tcp:127.0.0.1:1080"
#define UDP_PEERS     16    /* destinations an association answers from */
#define UDP_MSG_MAX   65536 /* largest datagram relayed */
#define UDP_BATCH     64    /* datagrams read per wakeup */

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

enum tstate { T_HANDSHAKE = 0, T_DIAL, T_ANSWER, T_RELAY, T_UDP };

struct app;

struct tunnel {
	struct app *app;
	struct tunnel *prev, *next;
	unsigned long long id;
	enum tstate st;
	int cfd, dfd;
	struct skit_proxy_accept *pa;
	struct skit_proxy_request rq;
	struct skit_dial *dial;
	struct skit_relay *relay;
	int64_t timer;
	int64_t start_ns;
	int code; /* the answer's code */
	struct skit_sockaddr bound;
	char client[300], dest[300], why[300];
	/* UDP ASSOCIATE */
	int ufd;
	struct skit_sockaddr cpeer; /* the client's control peer */
	struct sockaddr_storage uc; /* the client's UDP address, once known */
	socklen_t uclen;
	struct sockaddr_storage peers[UDP_PEERS];
	socklen_t peerlen[UDP_PEERS];
	int npeers, nextpeer;
	uint64_t bytes[2], msgs[2], dropped;
};

struct app {
	struct proxy_opts *o;
	struct skit_loop *loop;
	struct skit_serve *serve;
	struct skit_proxy_server_cfg pcfg;
	struct skit_resolver hook;
	struct tunnel *tunnels;
	unsigned long long next_id;
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

/* --- destinations ----------------------------------------------------- */

/*
 * The name-lookup hook of a dial when destinations are filtered: the
 * addresses the acl refuses are dropped before any is connected to;
 * none left is -EACCES (EAI_SYSTEM with errno). Runs in the dial's
 * lookup thread; the acl is only read.
 */
static int
dest_gai(void *data, const char *node, const char *service,
	 const struct addrinfo *hints, struct addrinfo **res)
{
	const struct skit_acl *acl = data;
	struct addrinfo *all, *keep = NULL, **kt = &keep, *drop = NULL,
			      **dt = &drop, *ai, *next;
	int g = getaddrinfo(node, service, hints, &all);

	if (g)
		return g;
	for (ai = all; ai; ai = next) {
		next = ai->ai_next;
		ai->ai_next = NULL;
		if (skit_acl_permits(acl, ai->ai_addr)) {
			*kt = ai;
			kt = &ai->ai_next;
		} else {
			*dt = ai;
			dt = &ai->ai_next;
		}
	}
	if (drop)
		freeaddrinfo(drop);
	if (!keep) {
		errno = EACCES;
		return EAI_SYSTEM;
	}
	*res = keep;
	return 0;
}

static void
dest_freeaddrinfo(void *data, struct addrinfo *res)
{
	(void)data;
	freeaddrinfo(res);
}

/* A literal destination the acl refuses? */
static bool
dest_refused(const struct proxy_opts *o, const char *host, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (void *)&ss;
	struct sockaddr_in6 *s6 = (void *)&ss;

	if (skit_acl_empty(&o->dest))
		return false;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	} else {
		return false; /* a name: the lookup hook filters it */
	}
	return !skit_acl_permits(&o->dest, (struct sockaddr *)&ss);
}

static void
dest_text(const struct skit_proxy_request *rq, char *buf, size_t len)
{
	if (strchr(rq->host, ':'))
		snprintf(buf, len, "[%s]:%u", rq->host, rq->port);
	else
		snprintf(buf, len, "%s:%u", rq->host, rq->port);
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
json_open(const struct tunnel *t, const char *udp_relay)
{
	struct cli_json j;

	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "open");
	cli_json_uint(&j, "id", t->id);
	cli_json_str(&j, "protocol", type_name(t->rq.type));
	cli_json_str(&j, "command", command_name(t->rq.cmd));
	cli_json_str(&j, "client", t->client);
	cli_json_str(&j, "destination", t->dest);
	if (udp_relay)
		cli_json_str(&j, "udp_relay", udp_relay);
	if (t->rq.has_auth)
		cli_json_str(&j, "user", t->rq.user);
	cli_json_end(&j);
	cli_stdout_flush();
}

static void
json_close(const struct tunnel *t, const uint64_t bytes[2],
	   const uint64_t *msgs, double secs, const char *reason,
	   const char *error)
{
	struct cli_json j;

	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "close");
	cli_json_uint(&j, "id", t->id);
	cli_json_str(&j, "client", t->client);
	cli_json_str(&j, "destination", t->dest);
	cli_json_uint(&j, "bytes_up", bytes[0]);
	cli_json_uint(&j, "bytes_down", bytes[1]);
	if (msgs) {
		cli_json_uint(&j, "datagrams_up", msgs[0]);
		cli_json_uint(&j, "datagrams_down", msgs[1]);
		cli_json_uint(&j, "dropped", t->dropped);
	}
	cli_json_double(&j, "duration_s", secs);
	cli_json_str(&j, "reason", reason);
	if (error)
		cli_json_str(&j, "error", error);
	cli_json_end(&j);
	cli_stdout_flush();
}

/* A client refused before any tunnel: -v line and a JSON event. */
static void
report_refused(const struct tunnel *t, const char *why)
{
	if (cli_g.verbose)
		cli_verbose("proxy: #%llu %s%s%s: %s", t->id, t->client,
			    t->dest[0] ? " -> " : "", t->dest, why);
	if (t->app->o->json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "refused");
		cli_json_uint(&j, "id", t->id);
		cli_json_str(&j, "client", t->client);
		if (t->dest[0])
			cli_json_str(&j, "destination", t->dest);
		cli_json_str(&j, "reason", why);
		cli_json_end(&j);
		cli_stdout_flush();
	}
}

/* --- tunnels ------------------------------------------------------------ */

static void
unlink_tunnel(struct tunnel *t)
{
	struct app *app = t->app;

	if (t->prev)
		t->prev->next = t->next;
	else
		app->tunnels = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

/* Close a tunnel that has no relay pair (yet, or any more). */
static void
tunnel_free(struct tunnel *t)
{
	struct app *app = t->app;

	unlink_tunnel(t);
	if (t->timer)
		skit_loop_timer_cancel(app->loop, t->timer);
	skit_dial_cancel(t->dial);
	skit_proxy_accept_free(t->pa);
	if (t->dfd >= 0)
		skit_close(t->dfd);
	if (t->ufd >= 0) {
		skit_loop_del(app->loop, t->ufd);
		skit_close(t->ufd);
	}
	if (t->cfd >= 0) {
		skit_loop_del(app->loop, t->cfd);
		if (app->serve)
			skit_serve_release(app->serve, t->cfd);
		else
			skit_close(t->cfd);
	}
	free(t);
}

static void on_client(struct skit_loop *loop, int fd, unsigned ev, void *data);
static void refuse(struct tunnel *t, int code, const char *why);

static void
on_timer(struct skit_loop *loop, void *data)
{
	struct tunnel *t = data;
	char s[32];

	(void)loop;
	t->timer = 0;
	if (t->st == T_DIAL) {
		/* the dial's own time-out does not cover a name lookup */
		skit_dial_cancel(t->dial);
		t->dial = NULL;
		refuse(t, -ETIMEDOUT, "timed out looking up and connecting");
		return;
	}
	cli_secs(t->app->o->timeout_ms, s, sizeof(s));
	snprintf(t->why, sizeof(t->why), "timed out after %s s %s", s,
		 t->st == T_HANDSHAKE ? "in the handshake"
				      : "writing the answer");
	report_refused(t, t->why);
	tunnel_free(t);
}

/* The tunnel's time limit: --timeout from now, times `times`. */
static void
arm_timer(struct tunnel *t, int times)
{
	struct app *app = t->app;

	if (t->timer)
		skit_loop_timer_cancel(app->loop, t->timer);
	t->timer = skit_loop_timer(app->loop, app->o->timeout_ms * times,
				   on_timer, t);
	if (t->timer < 0)
		t->timer = 0;
}

static void
relay_closed(struct skit_relay *r, void *data)
{
	struct tunnel *t = data;
	const struct skit_relay_stats *st = skit_relay_stats(r);
	double secs = (double)(st->end_ns - t->start_ns) / 1e9;
	const char *reason = skit_relay_reason_name(st->reason);
	const char *error = st->error ? skit_strerror(st->error) : NULL;

	if (cli_g.verbose)
		cli_verbose("proxy: #%llu closed: %llu bytes up, %llu down, "
			    "%.3f s (%s%s%s)",
			    t->id, (unsigned long long)st->bytes[0],
			    (unsigned long long)st->bytes[1], secs, reason,
			    error ? ": " : "", error ? error : "");
	if (t->app->o->json)
		json_close(t, st->bytes, NULL, secs, reason, error);
	/* the pair closed both fds */
	t->cfd = t->dfd = -1;
	if (t->app->serve)
		skit_serve_release(t->app->serve, -1);
	skit_relay_free(r);
	t->relay = NULL;
	tunnel_free(t);
}

static void
start_relay(struct tunnel *t)
{
	struct app *app = t->app;
	struct skit_relay_end a, b;
	struct skit_relay_cfg cfg = { 0 };
	int rc;

	if (t->timer)
		skit_loop_timer_cancel(app->loop, t->timer);
	t->timer = 0;
	skit_loop_del(app->loop, t->cfd);
	skit_relay_end_from_fd(t->cfd, true, &a);
	skit_relay_end_from_fd(t->dfd, true, &b);
	cfg.on_close = relay_closed;
	cfg.data = t;
	rc = skit_relay_new(app->loop, &a, &b, &cfg, &t->relay);
	if (rc < 0) {
		cli_errorf("proxy: relay for %s: %s", t->client,
			   skit_strerror(rc));
		tunnel_free(t);
		return;
	}
	t->st = T_RELAY;
	if (cli_g.verbose)
		cli_verbose("proxy: #%llu %s -> %s (%s%s)", t->id, t->client,
			    t->dest, type_name(t->rq.type),
			    t->rq.cmd == SKIT_PROXY_CMD_FORWARD ? " forward"
								: "");
	if (app->o->json)
		json_open(t, NULL);
}

static void udp_start(struct tunnel *t);

/* Write the answer (code t->code); then the relay, or the end. */
static void
answer(struct tunnel *t)
{
	struct app *app = t->app;
	int rc;

	rc = skit_proxy_accept_answer(
		t->pa, t->cfd, t->code,
		t->bound.len ? (struct sockaddr *)&t->bound.ss : NULL);
	if (rc == -EAGAIN) {
		if (t->st != T_ANSWER) {
			t->st = T_ANSWER;
			arm_timer(t, 1);
		}
		skit_loop_mod(app->loop, t->cfd, SKIT_EV_WRITE);
		return;
	}
	if (t->code < 0) {
		report_refused(t, t->why);
		tunnel_free(t);
		return;
	}
	if (rc < 0) {
		snprintf(t->why, sizeof(t->why), "write the answer: %s",
			 skit_strerror(rc));
		report_refused(t, t->why);
		tunnel_free(t);
		return;
	}
	if (t->rq.cmd == 3)
		udp_start(t);
	else
		start_relay(t);
}

/* Answer with a refusal (code) said as why. */
static void
refuse(struct tunnel *t, int code, const char *why)
{
	t->code = code;
	snprintf(t->why, sizeof(t->why), "%s", why);
	answer(t);
}

/*
 * A plain HTTP request (GET http://...): its rewritten head goes to the
 * origin server first (a fresh socket takes a head of a few KiB at
 * once). false when it could not: the client has had its 502.
 */
static bool
send_forward(struct tunnel *t)
{
	size_t len;
	const void *head = skit_proxy_accept_forward(t->pa, &len);
	ssize_t n;

	if (!head)
		return true;
	n = skit_sendto(t->dfd, head, len, MSG_DONTWAIT, NULL, 0);
	if (n == (ssize_t)len)
		return true;
	refuse(t, n < 0 ? (int)n : -EIO,
	       n < 0 ? skit_strerror((int)n)
		     : "the request did not fit the socket at once");
	return false;
}

static void
dial_done(struct skit_dial *d, int code, const struct skit_dial_result *res,
	  const struct skit_err *err, void *data)
{
	struct tunnel *t = data;
	const struct proxy_opts *o = t->app->o;

	(void)d;
	t->dial = NULL;
	if (code < 0) {
		char msg[300];

		skit_err_format(err, msg, sizeof(msg));
		refuse(t, code,
		       code == -EACCES ? "destination not allowed" : msg);
		return;
	}
	t->dfd = res->fd;
	if (!skit_acl_empty(&o->dest) &&
	    !skit_acl_permits(&o->dest,
			      (const struct sockaddr *)&res->peer.ss)) {
		refuse(t, -EACCES, "destination not allowed");
		return;
	}
	if (skit_sock_local(t->dfd, &t->bound) < 0)
		t->bound.len = 0;
	if (!send_forward(t))
		return;
	t->code = 0;
	answer(t);
}

static void
start_dial(struct tunnel *t)
{
	struct app *app = t->app;
	struct skit_addr a;
	struct skit_dial_cfg cfg = { 0 };
	struct skit_err err;
	char msg[300];

	skit_err_clear(&err);
	if (skit_addr_init(&a, SKIT_KIND_TCP, SKIT_ROLE_CONNECT) < 0 ||
	    skit_addr_set_host(&a, t->rq.host, &err) < 0 ||
	    skit_addr_set_port_num(&a, t->rq.port, &err) < 0) {
		refuse(t, -EHOSTUNREACH, "not a host name");
		return;
	}
	cfg.flags = SKIT_OPEN_NONBLOCK;
	cfg.connect_timeout_ms = app->o->timeout_ms;
	cfg.retries = SKIT_DIAL_NONE;
	if (!skit_acl_empty(&app->o->dest))
		cfg.res = &app->hook;
	cfg.on_done = dial_done;
	cfg.data = t;
	/* a guard over the lookup and the connect (which has its own) */
	arm_timer(t, 2);
	t->st = T_DIAL;
	/* nothing to read from the client until the answer: only its
	 * hang-up (always reported) */
	skit_loop_mod(app->loop, t->cfd, 0);
	if (skit_dial_start(app->loop, &a, &cfg, &t->dial, &err) < 0) {
		skit_err_format(&err, msg, sizeof(msg));
		refuse(t, err.code, msg);
	}
}

/* The request is in: check it, then dial (or relay UDP). */
static void
on_request(struct tunnel *t)
{
	struct app *app = t->app;

	dest_text(&t->rq, t->dest, sizeof(t->dest));
	if (t->rq.cmd == 3) {
		/* UDP ASSOCIATE: the address is where the client will send
		 * from (0: unknown yet) */
		t->code = 0;
		udp_start(t);
		return;
	}
	if (dest_refused(app->o, t->rq.host, t->rq.port)) {
		refuse(t, -EACCES, "destination not allowed");
		return;
	}
	start_dial(t);
}

static void
on_client(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct tunnel *t = data;
	int rc;

	(void)loop;
	(void)fd;
	switch (t->st) {
	case T_HANDSHAKE:
		rc = skit_proxy_accept_request(t->pa, t->cfd, &t->rq);
		if (rc == -EAGAIN) {
			skit_loop_mod(t->app->loop, t->cfd,
				      skit_proxy_accept_events(t->pa));
			return;
		}
		if (rc < 0) {
			report_refused(
				t, rc == -EACCES       ? "authentication failed"
				   : rc == SKIT_EPROTO ? "not a SOCKS or HTTP "
							 "CONNECT request (or "
							 "not served)"
				   : rc == SKIT_ELIMIT ? "request too long"
				   : rc == -ECONNRESET ? "closed in the "
							 "handshake"
						       : skit_strerror(rc));
			tunnel_free(t);
			return;
		}
		on_request(t);
		return;
	case T_DIAL:
		if (ev & (SKIT_EV_HUP | SKIT_EV_ERROR)) {
			report_refused(t, "the client closed while connecting");
			tunnel_free(t);
		}
		return;
	case T_ANSWER:
		answer(t);
		return;
	default:
		return;
	}
}

/* --- UDP ASSOCIATE ---------------------------------------------------- */

static bool
same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			       &((const struct sockaddr_in *)b)->sin_addr, 4);
	if (a->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       16);
	return false;
}

static bool
same_port(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_port ==
		       ((const struct sockaddr_in *)b)->sin_port;
	return ((const struct sockaddr_in6 *)a)->sin6_port ==
	       ((const struct sockaddr_in6 *)b)->sin6_port;
}

static int
find_peer(const struct tunnel *t, const struct sockaddr *sa, socklen_t len)
{
	for (int i = 0; i < t->npeers; i++)
		if (t->peerlen[i] == len && !memcmp(&t->peers[i], sa, len))
			return i;
	return -1;
}

/* A datagram from the client: unwrap it and send it on. */
static void
udp_from_client(struct tunnel *t, const uint8_t *msg, size_t len)
{
	const struct proxy_opts *o = t->app->o;
	struct skit_proxy_request rq = { 0 };
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (void *)&ss;
	struct sockaddr_in6 *s6 = (void *)&ss;
	socklen_t sl;
	ssize_t h = skit_proxy_udp_parse(msg, len, &rq);

	if (h < 0 || !rq.host_is_literal) {
		/* not a header, a fragment, or a name: names are not looked
		 * up for datagrams (that would block the loop) */
		t->dropped++;
		return;
	}
	if (inet_pton(AF_INET, rq.host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(rq.port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, rq.host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(rq.port);
		sl = sizeof(*s6);
	} else {
		t->dropped++;
		return;
	}
	if (!skit_acl_permits(&o->dest, (struct sockaddr *)&ss)) {
		t->dropped++;
		return;
	}
	if (skit_sendto(t->ufd, msg + h, len - (size_t)h, MSG_DONTWAIT,
			(struct sockaddr *)&ss, sl) < 0) {
		t->dropped++;
		return;
	}
	t->bytes[0] += len - (size_t)h;
	t->msgs[0]++;
	if (find_peer(t, (struct sockaddr *)&ss, sl) < 0) {
		int i = t->nextpeer;

		memcpy(&t->peers[i], &ss, sl);
		t->peerlen[i] = sl;
		t->nextpeer = (i + 1) % UDP_PEERS;
		if (t->npeers < UDP_PEERS)
			t->npeers++;
	}
}

/* A datagram from a destination: wrap it and send it to the client. */
static void
udp_to_client(struct tunnel *t, const struct sockaddr *from, socklen_t flen,
	      const uint8_t *msg, size_t len)
{
	static uint8_t out[UDP_MSG_MAX + 32];
	size_t h;

	if (!t->uclen || find_peer(t, from, flen) < 0 || len > UDP_MSG_MAX) {
		t->dropped++;
		return;
	}
	h = skit_proxy_udp_header(from, out, sizeof(out));
	memcpy(out + h, msg, len);
	if (skit_sendto(t->ufd, out, h + len, MSG_DONTWAIT,
			(struct sockaddr *)&t->uc, t->uclen) < 0) {
		t->dropped++;
		return;
	}
	t->bytes[1] += len;
	t->msgs[1]++;
}

static void
on_udp(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	static uint8_t buf[UDP_MSG_MAX];
	struct tunnel *t = data;

	(void)loop;
	(void)ev;
	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		const struct sockaddr *f = (struct sockaddr *)&from;
		ssize_t n = skit_recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
					  (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		if (same_ip(f, (struct sockaddr *)&t->cpeer.ss) &&
		    (!t->uclen || same_port(f, (struct sockaddr *)&t->uc))) {
			if (!t->uclen) {
				memcpy(&t->uc, &from, fl);
				t->uclen = fl;
			}
			udp_from_client(t, buf, (size_t)n);
		} else {
			udp_to_client(t, f, fl, buf, (size_t)n);
		}
	}
}

/* The control connection: the association lasts as long as it does. */
static void
on_control(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct tunnel *t = data;
	char buf[512];
	ssize_t n =
		skit_recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL);
	double secs;

	(void)loop;
	(void)ev;
	if (n > 0 || n == -EAGAIN)
		return; /* nothing is to come on it: dropped */
	secs = (double)(skit_now_ns() - t->start_ns) / 1e9;
	if (cli_g.verbose)
		cli_verbose("proxy: #%llu closed: %llu bytes up, %llu down in "
			    "%llu/%llu datagrams (%llu dropped), %.3f s (%s)",
			    t->id, (unsigned long long)t->bytes[0],
			    (unsigned long long)t->bytes[1],
			    (unsigned long long)t->msgs[0],
			    (unsigned long long)t->msgs[1],
			    (unsigned long long)t->dropped, secs,
			    n == 0 ? "eof" : "reset");
	if (t->app->o->json)
		json_close(t, t->bytes, t->msgs, secs, n == 0 ? "eof" : "reset",
			   n < 0 ? skit_strerror((int)n) : NULL);
	tunnel_free(t);
}

/*
 * UDP ASSOCIATE: open the relay socket on the address the client
 * reached us at (port 0), answer with it, then relay until the control
 * connection ends. Called twice: to answer, then once answered.
 */
static void
udp_start(struct tunnel *t)
{
	struct app *app = t->app;
	struct skit_sockaddr local;
	struct skit_addr a;
	struct skit_err err;
	char host[INET6_ADDRSTRLEN], text[300];

	if (t->st == T_HANDSHAKE) {
		skit_err_clear(&err);
		if (skit_sock_local(t->cfd, &local) < 0 ||
		    skit_sock_peer(t->cfd, &t->cpeer) < 0 ||
		    (local.family != AF_INET && local.family != AF_INET6)) {
			refuse(t, SKIT_EPROTO,
			       "UDP ASSOCIATE needs an IP client");
			return;
		}
		if (local.family == AF_INET)
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&local.ss)->sin_addr,
				  host, sizeof(host));
		else
			inet_ntop(
				AF_INET6,
				&((struct sockaddr_in6 *)&local.ss)->sin6_addr,
				host, sizeof(host));
		if (skit_addr_init(&a, SKIT_KIND_UDP, SKIT_ROLE_LISTEN) < 0 ||
		    skit_addr_set_host(&a, host, &err) < 0 ||
		    skit_addr_set_port_num(&a, 0, &err) < 0 ||
		    (t->ufd = skit_open(&a, SKIT_ROLE_LISTEN,
					SKIT_OPEN_NONBLOCK | SKIT_OPEN_NUMERIC,
					NULL, &t->bound, NULL, &err)) < 0) {
			t->ufd = -1;
			skit_err_format(&err, text, sizeof(text));
			refuse(t, -ENETUNREACH, text);
			return;
		}
		/* the client said where it will send from: only that port */
		if (t->rq.port) {
			memcpy(&t->uc, &t->cpeer.ss, t->cpeer.len);
			t->uclen = t->cpeer.len;
			if (t->cpeer.family == AF_INET)
				((struct sockaddr_in *)&t->uc)->sin_port =
					htons(t->rq.port);
			else
				((struct sockaddr_in6 *)&t->uc)->sin6_port =
					htons(t->rq.port);
		}
		t->st = T_DIAL;
		t->code = 0;
		answer(t);
		return;
	}
	/* answered */
	if (t->timer)
		skit_loop_timer_cancel(app->loop, t->timer);
	t->timer = 0;
	t->st = T_UDP;
	t->start_ns = skit_now_ns();
	skit_loop_del(app->loop, t->cfd);
	if (skit_loop_add(app->loop, t->cfd, SKIT_EV_READ, on_control, t) < 0 ||
	    skit_loop_add(app->loop, t->ufd, SKIT_EV_READ, on_udp, t) < 0) {
		tunnel_free(t);
		return;
	}
	skit_sockaddr_str(&t->bound, text, sizeof(text));
	if (cli_g.verbose)
		cli_verbose("proxy: #%llu %s: UDP ASSOCIATE, relay at %s",
			    t->id, t->client, text);
	if (app->o->json)
		json_open(t, text);
}

/* --- the server ------------------------------------------------------- */

static void
on_conn(struct skit_serve *sv, int fd, const struct skit_sockaddr *peer,
	void *data)
{
	struct app *app = data;
	struct tunnel *t = calloc(1, sizeof(*t));

	if (!t || skit_proxy_accept_new(&app->pcfg, &t->pa) < 0) {
		free(t);
		skit_serve_release(sv, fd);
		return;
	}
	t->app = app;
	t->id = ++app->next_id;
	t->cfd = fd;
	t->dfd = t->ufd = -1;
	t->start_ns = skit_now_ns();
	if (skit_sockaddr_str(peer, t->client, sizeof(t->client)) < 0)
		snprintf(t->client, sizeof(t->client), "?");
	t->next = app->tunnels;
	if (t->next)
		t->next->prev = t;
	app->tunnels = t;
	if (skit_loop_add(app->loop, fd, SKIT_EV_READ, on_client, t) < 0) {
		t->cfd = -1;
		skit_serve_release(sv, fd);
		tunnel_free(t);
		return;
	}
	arm_timer(t, 1);
}

static void
on_event(struct skit_serve *s, const struct skit_serve_event *ev, void *data)
{
	struct app *app = data;
	char peer[300] = "a client";

	(void)s;
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
	struct skit_serve_cfg cfg = {
		.max_conns = o->max_conns,
		.acl = skit_acl_empty(&o->acl) ? NULL : &o->acl,
		.batch = 16,
		.on_conn = on_conn,
		.on_event = on_event,
		.data = app,
	};
	struct skit_err err;
	int rc;

	rc = skit_loop_new(SKIT_LOOP_AUTO, &app->loop);
	if (rc == 0)
		rc = cli_stop_watch();
	if (rc == 0)
		rc = skit_loop_add(app->loop, cli_stop_fd(), SKIT_EV_READ,
				   on_stop, app);
	if (rc < 0) {
		cli_errorf("proxy: %s", skit_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	skit_err_clear(&err);
	if (skit_serve_open(app->loop, a, 0, &cfg, &app->serve, &err) < 0) {
		rc = cli_report(&err);
		if (err.code == -EADDRINUSE)
			cli_hint("another server has this port; pick another "
				 "(port 0: any free one)");
		return rc;
	}
	skit_sockaddr_str(skit_serve_local(app->serve), app->local,
			  sizeof(app->local));
	cli_verbose("listening on %s", app->local);
	if (skit_serve_local(app->serve)->family == AF_UNIX)
		cli_verbose("proxy: a unix socket: clients on this machine "
			    "only");
	else if (loopback_only(skit_serve_local(app->serve)))
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
		cli_json_bool(&j, "loopback_only",
			      loopback_only(skit_serve_local(app->serve)));
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
	app.pcfg.socks5 = app.pcfg.socks4 = app.pcfg.http = true;
	app.pcfg.udp = true;
	if (o.auth) {
		app.pcfg.user = o.user;
		app.pcfg.pass = o.pass;
	}
	app.hook.getaddrinfo = dest_gai;
	app.hook.freeaddrinfo = dest_freeaddrinfo;
	app.hook.data = &o.dest;
	rc = run(&app, &a);
	/* a stop signal or a failed loop: every tunnel goes */
	skit_serve_free(app.serve);
	app.serve = NULL;
	while (app.tunnels) {
		struct tunnel *t = app.tunnels;

		if (t->relay) {
			skit_relay_free(t->relay);
			t->relay = NULL;
			t->cfd = t->dfd = -1;
		}
		tunnel_free(t);
	}
	skit_loop_free(app.loop);
out:
	skit_acl_free(&o.acl); /* o.dest stays for such a lookup */
	return rc < 0 ? CLI_EXIT_OK : rc;
}
