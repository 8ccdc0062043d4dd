/*
 * nc_addr.c - nc-style operands and flags (HOST PORT, PORT, -u -U -4 -6
 * -s -p) turned into one skit address.
 */
#include "cli.h"
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
	char host[SKIT_HOST_MAX + 2];
	struct skit_err err;
	size_t n;
	int rc;

	if (nargs == 0 && role == SKIT_ROLE_LISTEN && o->port) {
		snprintf(text, textlen, "%s::%s", inet_kind(o), o->port);
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
		cli_errorf("expected ADDRESS, HOST PORT%s",
			   role == SKIT_ROLE_LISTEN ? " or PORT" : "");
		return CLI_EXIT_USAGE;
	}
	/* -s ADDR / -p PORT (connect): the source, as the bind= option. */
	if (role == SKIT_ROLE_CONNECT && (o->src || o->port)) {
		n = strlen(text);
		host_part(o->src ? o->src : "", host, sizeof(host));
		if (o->unix_path || !strncmp(text, "unix", 4))
			snprintf(text + n, textlen - n, ",bind=%s",
				 o->src ? o->src : "");
		else
			snprintf(text + n, textlen - n, ",bind=%s:%s", host,
				 o->port ? o->port : "0");
	}
	skit_err_clear(&err);
	rc = skit_addr_parse(text, role, out, &err);
	if (rc < 0)
		return cli_report(&err);
	/* A unix-dgram client needs a name for the replies to come back. */
	if (role == SKIT_ROLE_CONNECT && out->kind == SKIT_KIND_UNIX_DGRAM &&
	    !skit_addr_has(out, SKIT_OPT_BIND)) {
		char name[64];

		nc_autobind_name("connect", name, sizeof(name));
		n = strlen(text);
		snprintf(text + n, textlen - n, ",bind=%s", name);
		rc = skit_addr_parse(text, role, out, &err);
		if (rc < 0)
			return cli_report(&err);
	}
	if (o->family != AF_UNSPEC) {
		if (out->family != AF_UNSPEC && out->family != o->family &&
		    (out->family == AF_INET || out->family == AF_INET6)) {
			cli_errorf("address '%s' does not match -%c", text,
				   o->family == AF_INET ? '4' : '6');
			return CLI_EXIT_USAGE;
		}
		if (out->kind == SKIT_KIND_TCP || out->kind == SKIT_KIND_UDP)
			out->family = o->family;
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

static const struct cli_opt *
find_long(const struct cli_opt *opts, const char *name, size_t len)
{
	for (const struct cli_opt *o = opts; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static const struct cli_opt *
find_short(const struct cli_opt *opts, int c)
{
	for (const struct cli_opt *o = opts; o->name; o++)
		if (o->shortopt == c)
			return o;
	return NULL;
}

void
nc_permute(int argc, char **argv, const struct cli_opt *opts)
{
	char **ops = calloc((size_t)argc + 1, sizeof(*ops));
	bool dashdash = false;
	int w = 1, nops = 0, i;

	if (!ops)
		return;
	for (i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct cli_opt *o;

		if (!strcmp(a, "--")) {
			/* Everything after "--" is an operand. */
			dashdash = true;
			for (i++; i < argc; i++)
				ops[nops++] = argv[i];
			break;
		}
		if (a[0] != '-' || !a[1]) {
			ops[nops++] = a;
			continue;
		}
		argv[w++] = a;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');

			o = find_long(opts, a + 2,
				      eq ? (size_t)(eq - a - 2)
					 : strlen(a + 2));
			if (o && o->arg && !eq && i + 1 < argc)
				argv[w++] = argv[++i];
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			o = find_short(opts, *p);
			if (o && o->arg) {
				if (!p[1] && i + 1 < argc)
					argv[w++] = argv[++i];
				break;
			}
		}
	}
	if (dashdash)
		argv[w++] = "--";
	for (int k = 0; k < nops; k++)
		argv[w++] = ops[k];
	free(ops);
}
