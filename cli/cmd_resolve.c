/*
 * cli/cmd_resolve.c - `skit resolve ADDRESS...`: what an address means,
 * without opening anything. For each address: its kind and role, the
 * options with their values, and every socket address it resolves to
 * with the socket(domain, type, protocol) call skit would make for it.
 * Parsing is skit_addr_parse, resolution skit_resolve (the same code
 * every other command uses), so what this prints is what they do.
 */
#include "cli.h"
#include "skit/probe.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { OPT_JSON = 256, OPT_LISTEN };

static const struct cli_opt resolve_opts[] = {
	{ "numeric", 'n', NULL, 'n',
	  "numeric addresses only: never look a name up (no DNS)" },
	{ "ipv4", '4', NULL, '4', "IPv4 addresses only" },
	{ "ipv6", '6', NULL, '6', "IPv6 addresses only" },
	{ "listen", 'l', NULL, 'l',
	  "resolve as a server would (bind addresses; :PORT means any)" },
	{ "json", 0, NULL, OPT_JSON, "NDJSON: one object per address" },
	{ NULL, 0, NULL, 0, NULL },
};

/* resolve opens nothing and explains every option. */
static const uint64_t resolve_addr_opts = SKIT_OPTS_ALL;

static const struct cli_help resolve_help = {
	.name = "resolve",
	.permute = true,
	.synopsis = "skit resolve [-n] [-4|-6] [-l] [--json] ADDRESS...",
	.about = "Explain what each ADDRESS means, without opening anything: "
		 "its kind and role,\nits options with their values, and "
		 "every socket address it resolves to, with\nthe "
		 "socket(domain, type, protocol) call skit makes for it. "
		 "Addresses are\nprinted in skit's own form, so each can be "
		 "pasted back as an address.",
	.opts = resolve_opts,
	.extra = "examples:\n"
		 "  skit resolve tcp:localhost:http       names and services "
		 "looked up\n"
		 "  skit resolve -l tcp::8080             dual-stack [::] "
		 "listener\n"
		 "  skit resolve unix-seqpacket:@ctl      abstract name, exact "
		 "length\n"
		 "  skit resolve --json netlink:route     as NDJSON\n",
};

struct resolve_opts {
	bool numeric;
	bool json;
	bool listen;
	int family; /* AF_UNSPEC, AF_INET or AF_INET6 */
};

static const char *
role_name(enum skit_role r)
{
	return r == SKIT_ROLE_LISTEN ? "listen" : "connect";
}

/* "name" or "name=value" for one option, as the grammar writes it. */
static void
opt_text(const struct skit_addr *a, const struct skit_opt_row *o, char *buf,
	 size_t len)
{
	long long v = skit_addr_num(a, o->id, 0);
	const char *s;

	switch (o->type) {
	case SKIT_OPTV_FLAG:
		snprintf(buf, len, "%s%s", o->name, v ? "" : "=0");
		break;
	case SKIT_OPTV_DURATION:
		snprintf(buf, len, "%s=%lldms", o->name, v);
		break;
	case SKIT_OPTV_MODE:
		snprintf(buf, len, "%s=0%llo", o->name, (unsigned long long)v);
		break;
	case SKIT_OPTV_HEX16:
		snprintf(buf, len, "%s=0x%04llx", o->name,
			 (unsigned long long)v);
		break;
	case SKIT_OPTV_STRING:
		s = skit_addr_str(a, o->id);
		snprintf(buf, len, "%s=%s", o->name, s ? s : "");
		break;
	default:
		snprintf(buf, len, "%s=%lld", o->name, v);
		break;
	}
}

/* "socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP)" */
static void
socket_call(const struct skit_sockaddr *sa, char *buf, size_t len)
{
	char d[16], t[16], p[40];
	const char *dn = skit_af_name(sa->family);
	const char *tn = skit_socktype_name(sa->type);

	if (!dn)
		snprintf(d, sizeof(d), "%d", sa->family);
	if (!tn)
		snprintf(t, sizeof(t), "%d", sa->type);
	skit_proto_str(sa->family, sa->protocol, p, sizeof(p));
	snprintf(buf, len, "socket(%s, %s, %s)", dn ? dn : d, tn ? tn : t, p);
}

/*
 * What skit does with the socket after creating it, for the reader:
 * a listening [::] socket without v6only is dual-stack.
 */
static const char *
sockaddr_note(const struct skit_addr *a, const struct skit_sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const void *)&sa->ss;

	if (sa->type == SOCK_DGRAM &&
	    (sa->protocol == IPPROTO_ICMP || sa->protocol == IPPROTO_ICMPV6))
		return "SOCK_RAW when ping_group_range refuses";
	if (a->role != SKIT_ROLE_LISTEN || sa->family != AF_INET6 ||
	    !IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
		return NULL;
	if (skit_addr_num(a, SKIT_OPT_V6ONLY, 0))
		return "IPv6 only (IPV6_V6ONLY=1)";
	return "dual-stack (IPV6_V6ONLY=0)";
}

static void
print_text(const char *text, const struct skit_addr *a, const char *canon,
	   const struct skit_resolved *r)
{
	size_t nopts;
	const struct skit_opt_row *opts = skit_addr_opts(&nopts);
	char buf[300], call[96];
	int nset = 0;

	printf("%s\n", text);
	printf("  kind       %s", skit_kind_name(a->kind));
	if (strcasecmp(a->kind_text, skit_kind_name(a->kind)))
		printf(" (written %s)", a->kind_text);
	printf("\n  role       %s\n", role_name(a->role));
	printf("  canonical  %s\n", canon);
	printf("  options   ");
	for (size_t i = 0; i < nopts; i++) {
		if (!skit_addr_has(a, opts[i].id))
			continue;
		opt_text(a, &opts[i], buf, sizeof(buf));
		printf(" %s", buf);
		nset++;
	}
	printf("%s\n", nset ? "" : " (none)");
	if (!r) {
		printf("  resolves   nothing: not a socket address\n");
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const char *note = sockaddr_note(a, &r->v[i]);

		socket_call(&r->v[i], call, sizeof(call));
		if (skit_sockaddr_str(&r->v[i], buf, sizeof(buf)) < 0)
			snprintf(buf, sizeof(buf), "?");
		printf("  %-9s  %-44s %s%s%s\n", i ? "" : "resolves", call, buf,
		       note ? "  " : "", note ? note : "");
	}
}

/* The options as a JSON object, built in memory for cli_json_raw. */
static char *
opts_json(const struct skit_addr *a)
{
	size_t nopts, len = 0;
	const struct skit_opt_row *opts = skit_addr_opts(&nopts);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	if (!f)
		return NULL;
	fputc('{', f);
	for (size_t i = 0; i < nopts; i++) {
		long long v = skit_addr_num(a, opts[i].id, 0);
		const char *s;

		if (!skit_addr_has(a, opts[i].id))
			continue;
		if (n++)
			fputc(',', f);
		cli_json_quote(f, opts[i].name, strlen(opts[i].name));
		fputc(':', f);
		switch (opts[i].type) {
		case SKIT_OPTV_FLAG:
			fputs(v ? "true" : "false", f);
			break;
		case SKIT_OPTV_STRING:
			s = skit_addr_str(a, opts[i].id);
			s = s ? s : "";
			cli_json_quote(f, s, strlen(s));
			break;
		default:
			fprintf(f, "%lld", v);
			break;
		}
	}
	fputc('}', f);
	if (fclose(f))
		return NULL;
	return buf;
}

static char *
sockaddrs_json(const struct skit_addr *a, const struct skit_resolved *r)
{
	char *buf = NULL, text[300], call[96], p[40];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputc('[', f);
	for (size_t i = 0; r && i < r->n; i++) {
		const struct skit_sockaddr *sa = &r->v[i];
		const char *note = sockaddr_note(a, sa);
		const char *dn = skit_af_name(sa->family);
		const char *tn = skit_socktype_name(sa->type);

		if (skit_sockaddr_str(sa, text, sizeof(text)) < 0)
			text[0] = '\0';
		socket_call(sa, call, sizeof(call));
		skit_proto_str(sa->family, sa->protocol, p, sizeof(p));
		fputs(i ? ",{" : "{", f);
		fputs("\"address\":", f);
		cli_json_quote(f, text, strlen(text));
		fputs(",\"socket\":", f);
		cli_json_quote(f, call, strlen(call));
		fputs(",\"domain\":", f);
		if (dn)
			cli_json_quote(f, dn, strlen(dn));
		else
			fprintf(f, "%d", sa->family);
		fputs(",\"type\":", f);
		if (tn)
			cli_json_quote(f, tn, strlen(tn));
		else
			fprintf(f, "%d", sa->type);
		fputs(",\"protocol\":", f);
		cli_json_quote(f, p, strlen(p));
		fprintf(f,
			",\"domain_num\":%d,\"type_num\":%d,"
			"\"protocol_num\":%d,\"length\":%u",
			sa->family, sa->type, sa->protocol, (unsigned)sa->len);
		if (note) {
			fputs(",\"note\":", f);
			cli_json_quote(f, note, strlen(note));
		}
		fputc('}', f);
	}
	fputc(']', f);
	if (fclose(f))
		return NULL;
	return buf;
}

static int
print_json(const char *text, const struct skit_addr *a, const char *canon,
	   const struct skit_resolved *r)
{
	struct cli_json j;
	char *o = opts_json(a);
	char *s = sockaddrs_json(a, r);

	if (!o || !s) {
		free(o);
		free(s);
		cli_errorf("resolve: out of memory");
		return CLI_EXIT_FAIL;
	}
	cli_json_begin(&j, stdout);
	cli_json_str(&j, "input", text);
	cli_json_bool(&j, "ok", true);
	cli_json_str(&j, "kind", skit_kind_name(a->kind));
	cli_json_str(&j, "kind_text", a->kind_text);
	cli_json_str(&j, "role", role_name(a->role));
	cli_json_str(&j, "canonical", canon);
	cli_json_bool(&j, "socket", r != NULL);
	cli_json_raw(&j, "options", o);
	cli_json_raw(&j, "sockaddrs", s);
	cli_json_end(&j);
	free(o);
	free(s);
	return CLI_EXIT_OK;
}

static void
print_json_error(const char *text, const struct skit_err *err)
{
	struct cli_json j;
	char msg[768];

	skit_err_format(err, msg, sizeof(msg));
	cli_json_begin(&j, stdout);
	cli_json_str(&j, "input", text);
	cli_json_bool(&j, "ok", false);
	cli_json_str(&j, "error", skit_errname(err->code));
	cli_json_str(&j, "message", msg);
	if (err->column > 0)
		cli_json_int(&j, "column", err->column);
	cli_json_int(&j, "exit", cli_exit_for(err->code));
	cli_json_end(&j);
}

/*
 * -4/-6 narrow an IP kind; a kind that says the other family (tcp6 with
 * -4) is an error, reported like a syntax error of the address.
 */
static int
apply_family(const struct resolve_opts *o, struct skit_addr *a,
	     const char *text, struct skit_err *err)
{
	bool ip = a->kind == SKIT_KIND_TCP || a->kind == SKIT_KIND_UDP ||
		  a->kind == SKIT_KIND_ICMP || a->kind == SKIT_KIND_IP;

	if (!o->family || !ip)
		return 0;
	if (a->family != AF_UNSPEC && a->family != o->family)
		return skit_err_setf(err, SKIT_EADDR, "bad address", text, 0,
				     "-%c conflicts with '%s'",
				     o->family == AF_INET ? '4' : '6',
				     a->kind_text);
	if (skit_addr_set_family(a, o->family, err) < 0)
		return skit_err_setf(err, SKIT_EADDR, "bad address", text, 0,
				     "-%c conflicts with '%s'",
				     o->family == AF_INET ? '4' : '6', a->host);
	return 0;
}

static int
resolve_one(const struct resolve_opts *o, const char *text)
{
	struct skit_addr a;
	struct skit_err err;
	struct skit_resolved r = { 0 };
	char canon[SKIT_ADDR_TEXT_MAX + 64];
	bool sock;
	int rc;

	skit_err_clear(&err);
	rc = skit_addr_parse(text,
			     o->listen ? SKIT_ROLE_LISTEN : SKIT_ROLE_CONNECT,
			     &a, &err);
	if (rc < 0)
		goto fail;
	rc = skit_addr_check(&a, resolve_addr_opts, "skit resolve", &err);
	if (rc < 0)
		goto fail;
	rc = apply_family(o, &a, text, &err);
	if (rc < 0)
		goto fail;
	if (skit_addr_format(&a, canon, sizeof(canon)) < 0)
		snprintf(canon, sizeof(canon), "%s", text);
	sock = skit_kind_is_socket(a.kind);
	if (sock) {
		rc = skit_resolve(&a,
				  (o->numeric ? SKIT_OPEN_NUMERIC : 0) |
					  (a.role == SKIT_ROLE_LISTEN
						   ? SKIT_OPEN_PASSIVE
						   : 0),
				  NULL, &r, &err);
		if (rc < 0)
			goto fail;
	}
	if (o->json) {
		rc = print_json(text, &a, canon, sock ? &r : NULL);
	} else {
		print_text(text, &a, canon, sock ? &r : NULL);
		rc = CLI_EXIT_OK;
	}
	skit_resolved_free(&r);
	return rc;
fail:
	if (o->json)
		print_json_error(text, &err);
	rc = cli_report(&err);
	if (o->numeric && SKIT_IS_EAI(err.code))
		cli_hint("-n is on: only numeric addresses are accepted");
	return rc;
}

int
cmd_resolve(int argc, char **argv)
{
	struct resolve_opts o = { 0 };
	struct cli_getopt_state st = { 0 };
	const char *arg;
	int c, rc = 0, first = 0;

	while ((c = cli_getopt(argc, argv, &resolve_help, &st, &arg)) != -1) {
		switch (c) {
		case 'n':
			o.numeric = true;
			break;
		case '4':
			o.family = AF_INET;
			break;
		case '6':
			o.family = AF_INET6;
			break;
		case 'l':
			o.listen = true;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case -2:
			rc = -2;
			break;
		default:
			rc = -1;
			break;
		}
		if (rc)
			break;
	}
	cli_getopt_done(&st);
	if (rc)
		return rc == -2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (optind >= argc) {
		cli_errorf("resolve: no ADDRESS given");
		fprintf(stderr, "usage: %s\n", resolve_help.synopsis);
		return CLI_EXIT_USAGE;
	}
	/* Every address is explained; the exit code is the first failure's. */
	for (int i = optind; i < argc; i++) {
		if (!o.json && i > optind)
			putchar('\n');
		rc = resolve_one(&o, argv[i]);
		if (rc && !first)
			first = rc;
	}
	return first;
}
