/*
 * nc_addr.c - nc-style operands and flags (HOST PORT, PORT, -u -U -4 -6
 * -s -p) turned into one skit address.
 */
#include "cli.h"
#include "faults.h"
#include "nc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool
all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* "host" or "[v6]" for an address text. */
static void
host_part(const char *h, char *out, size_t len)
{
	if (strchr(h, ':') && h[0] != '[')
		snprintf(out, len, "[%s]", h);
	else
		snprintf(out, len, "%s", h);
}

static const char *
inet_kind(const struct nc_addr_opts *o)
{
	if (o->family == AF_INET)
		return o->udp ? "udp4" : "tcp4";
	if (o->family == AF_INET6)
		return o->udp ? "udp6" : "tcp6";
	return o->udp ? "udp" : "tcp";
}

int
nc_build_addr(int nargs, char **args, enum skit_role role,
	      const struct nc_addr_opts *o, struct skit_addr *out, char *text,
	      size_t textlen)
{
	const char *cmd = role == SKIT_ROLE_LISTEN ? "listen" : "connect";
	char host[SKIT_HOST_MAX + 2];
	struct skit_err err;
	int rc;

	if (role == SKIT_ROLE_LISTEN && o->port &&
	    (nargs > 1 || o->unix_path ||
	     (nargs == 1 && all_digits(args[0])))) {
		cli_errorf("%s: -p %s and the operand%s '%s' both name what "
			   "to listen on: give one",
			   cmd, o->port, nargs > 1 ? "s" : "", args[0]);
		return CLI_EXIT_USAGE;
	} else if (nargs == 0 && role == SKIT_ROLE_LISTEN && o->port) {
		snprintf(text, textlen, "%s::%s", inet_kind(o), o->port);
	} else if (nargs == 1 && role == SKIT_ROLE_LISTEN && o->port) {
		/* nc -l -p PORT HOST: the HOST PORT form. */
		host_part(args[0], host, sizeof(host));
		snprintf(text, textlen, "%s:%s:%s", inet_kind(o), host,
			 o->port);
	} else if (nargs == 1 && o->unix_path) {
		snprintf(text, textlen, "%s:%s", o->udp ? "unix-dgram" : "unix",
			 args[0]);
	} else if (nargs == 1 && role == SKIT_ROLE_LISTEN &&
		   all_digits(args[0])) {
		snprintf(text, textlen, "%s::%s", inet_kind(o), args[0]);
	} else if (nargs == 1) {
		snprintf(text, textlen, "%s", args[0]);
	} else if (nargs == 2) {
		host_part(args[0], host, sizeof(host));
		snprintf(text, textlen, "%s:%s:%s", inet_kind(o), host,
			 args[1]);
	} else {
		cli_errorf("%s: %s: expected ADDRESS, HOST PORT%s", cmd,
			   nargs ? "too many operands" : "missing ADDRESS",
			   role == SKIT_ROLE_LISTEN ? " or PORT" : "");
		return CLI_EXIT_USAGE;
	}
	skit_err_clear(&err);
	rc = skit_addr_parse(text, role, out, &err);
	if (rc < 0)
		return cli_report(&err);
	/* -s ADDR / -p PORT (connect): the source, as the bind= option. */
	if (role == SKIT_ROLE_CONNECT && (o->src || o->port)) {
		char src[SKIT_HOST_MAX + 40];

		host_part(o->src ? o->src : "", host, sizeof(host));
		if (o->unix_path || out->family == AF_UNIX)
			snprintf(src, sizeof(src), "%s", o->src ? o->src : "");
		else
			snprintf(src, sizeof(src), "%s:%s", host,
				 o->port ? o->port : "0");
		if (skit_addr_set_str(out, SKIT_OPT_BIND, src, &err) < 0)
			return cli_report(&err);
	}
	/* A unix-dgram client needs a name for the replies to come back. */
	if (role == SKIT_ROLE_CONNECT && out->kind == SKIT_KIND_UNIX_DGRAM &&
	    !skit_addr_has(out, SKIT_OPT_BIND)) {
		char name[64];

		nc_autobind_name("connect", name, sizeof(name));
		if (skit_addr_set_str(out, SKIT_OPT_BIND, name, &err) < 0)
			return cli_report(&err);
	}
	if (o->family != AF_UNSPEC) {
		if (out->family != AF_UNSPEC && out->family != o->family &&
		    (out->family == AF_INET || out->family == AF_INET6)) {
			cli_errorf("address '%s' does not match -%c", text,
				   o->family == AF_INET ? '4' : '6');
			return CLI_EXIT_USAGE;
		}
		if ((out->kind == SKIT_KIND_TCP ||
		     out->kind == SKIT_KIND_UDP) &&
		    skit_addr_set_family(out, o->family, &err) < 0)
			return cli_report(&err);
	}
	return 0;
}

void
nc_autobind_name(const char *who, char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, len, "@skit-%s-%d-%lx", who, (int)getpid(),
		 (unsigned long)ts.tv_nsec);
}

int
nc_open_flags(const struct nc_addr_opts *o)
{
	return o->numeric ? SKIT_OPEN_NUMERIC : 0;
}

bool
nc_is_msg_type(int type)
{
	return type == SOCK_DGRAM || type == SOCK_SEQPACKET || type == SOCK_RAW;
}

const char *
nc_sa_str(const struct skit_sockaddr *sa, char *buf, size_t len)
{
	if (skit_sockaddr_str(sa, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

int
nc_common_opt(int c, const char *arg, struct nc_addr_opts *ao,
	      struct nc_sess_opts *so, bool *framing_set)
{
	switch (c) {
	case '4':
		ao->family = AF_INET;
		return 0;
	case '6':
		ao->family = AF_INET6;
		return 0;
	case 'U':
		ao->unix_path = true;
		return 0;
	case 'u':
		ao->udp = true;
		return 0;
	case 'n':
		ao->numeric = true;
		return 0;
	case 'p':
		ao->port = arg;
		return 0;
	case 'C':
		so->crlf = true;
		return 0;
	case 'q':
		return cli_parse_duration_ms("-q", arg, &so->quit_ms)
			       ? CLI_EXIT_USAGE
			       : 0;
	case 'v':
		cli_g.verbose++;
		return 0;
	case NC_OPT_EXIT_ON_EOF:
		so->quit_ms = 0;
		return 0;
	case NC_OPT_FRAMING:
		*framing_set = true;
		return nc_parse_framing(arg, (enum skit_framing *)&so->framing);
	case NC_OPT_HEX:
		so->hex = true;
		return 0;
	case NC_OPT_NO_SHUTDOWN:
		so->no_shutdown = true;
		return 0;
	case NC_OPT_RECV_ONLY:
		so->dirs = SKIT_RELAY_BA;
		return 0;
	case NC_OPT_JSON:
		so->json = true;
		return 0;
	case NC_OPT_SEND_ONLY:
		so->dirs = SKIT_RELAY_AB;
		return 0;
	default:
		return -1;
	}
}

int
nc_parse_framing(const char *s, enum skit_framing *out)
{
	if (skit_framing_parse(s, out) < 0) {
		cli_errorf("--framing: '%s' is not line, len, len16 or raw", s);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int
nc_faults(struct cli_faults *f, const struct skit_addr *a, const char *who,
	  struct nc_sess_opts *so)
{
	struct skit_addr two[2];
	int rc;

	memset(&two[0], 0, sizeof(two[0]));
	two[1] = *a;
	rc = cli_faults_init(f, two, -1, NULL);
	if (rc)
		return rc;
	f->who = who;
	f->cfg[1].conn_id = 1;
	so->faults = f->on[1] ? &f->cfg[1] : NULL;
	return 0;
}
