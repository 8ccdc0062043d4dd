/*
 * cli/cmd_probe.c - `skit probe`: which socket(domain, type, protocol)
 * combinations this kernel and this process may create, the errno of
 * each that fails with a one-line reason, and the sysctls, limits and
 * capabilities that decide the answers. The data lives in libskit
 * (skit/probe.h); this file only filters and prints.
 */
#include "cli.h"
#include "skit/probe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { OPT_JSON = 256, OPT_ONLY, OPT_NO_ENV };

static const struct cli_opt probe_opts[] = {
	{ "json", 0, NULL, OPT_JSON,
	  "NDJSON: one object per combination, then one for the environment" },
	{ "only", 0, "ok|failed", OPT_ONLY,
	  "show only the combinations that work, or only those that fail" },
	{ "family", 'f', "LIST", 'f',
	  "only these domains, comma-separated (inet6,unix or AF_PACKET)" },
	{ "no-env", 0, NULL, OPT_NO_ENV,
	  "leave out the sysctls, limits and capabilities" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_help probe_help = {
	.name = "probe",
	.permute = true,
	.synopsis = "skit probe [--json] [--only ok|failed] [-f LIST] "
		    "[--no-env]",
	.about = "Try socket() for every domain x type x protocol combination "
		 "worth knowing and\nprint ok, or the errno with a reason "
		 "specific to the combination; then the\nsysctls, fd limits "
		 "and capabilities that decide those answers. Nothing is\n"
		 "bound, connected or sent.",
	.opts = probe_opts,
	.extra = "examples:\n"
		 "  skit probe                       the whole table\n"
		 "  skit probe --only failed         what this machine cannot "
		 "do, and why\n"
		 "  skit probe -f inet,inet6 --json  IP rows as NDJSON\n",
};

struct probe_opts {
	bool json;
	bool no_env;
	int only; /* 0 all, 1 ok, -1 failed */
	const char *family;
};

/* True when domain's name matches one item of the comma-separated list. */
static bool
family_wanted(const char *list, int domain)
{
	const char *name = skit_af_name(domain);
	const char *p = list;

	if (!list)
		return true;
	if (!name)
		return false;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *item = p;

		if (n > 3 && !strncasecmp(item, "AF_", 3)) {
			item += 3;
			n -= 3;
		}
		if (n == strlen(name + 3) && !strncasecmp(item, name + 3, n))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

static int
check_family_list(const char *list)
{
	const char *p = list;
	size_t nrows;
	const struct skit_probe_row *rows = skit_probe_rows(&nrows);

	if (!*p) {
		cli_errorf("probe: --family: empty list");
		return -1;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;
		char item[32];

		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		for (size_t i = 0; i < nrows && !found; i++)
			found = family_wanted(item, rows[i].domain);
		if (!found) {
			cli_errorf("probe: --family: no domain '%s' in the "
				   "table",
				   item);
			cli_hint("use names like inet, inet6, unix, packet, "
				 "netlink, vsock");
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

struct probe_line {
	const struct skit_probe_row *row;
	int code;
	char proto[40];
	char why[256];
	const char *fix; /* how to make it work, or NULL */
};

static const char *
name_or_num(const char *name, int num, char *buf, size_t len)
{
	if (name)
		return name;
	snprintf(buf, len, "%d", num);
	return buf;
}

static void
print_text(const struct probe_line *l, size_t n)
{
	int wd = 6, wt = 4, wp = 8, wr = 6;
	char b1[16], b2[16];

	for (size_t i = 0; i < n; i++) {
		const struct skit_probe_row *r = l[i].row;
		int d = (int)strlen(name_or_num(skit_af_name(r->domain),
						r->domain, b1, sizeof(b1)));
		int t = (int)strlen(name_or_num(skit_socktype_name(r->type),
						r->type, b2, sizeof(b2)));
		int p = (int)strlen(l[i].proto);
		int e = l[i].code ? (int)strlen(skit_errname(l[i].code)) : 2;

		wd = d > wd ? d : wd;
		wt = t > wt ? t : wt;
		wp = p > wp ? p : wp;
		wr = e > wr ? e : wr;
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", wd, "DOMAIN", wt, "TYPE", wp,
	       "PROTOCOL", wr, "RESULT", "EXPLANATION");
	for (size_t i = 0; i < n; i++) {
		const struct skit_probe_row *r = l[i].row;

		/* Colour (a terminal without NO_COLOR) only tints RESULT. */
		const char *on = !cli_g.color ? ""
				 : l[i].code  ? "\033[31m"
					      : "\033[32m";

		printf("%-*s  %-*s  %-*s  %s%-*s%s  %s\n", wd,
		       name_or_num(skit_af_name(r->domain), r->domain, b1,
				   sizeof(b1)),
		       wt,
		       name_or_num(skit_socktype_name(r->type), r->type, b2,
				   sizeof(b2)),
		       wp, l[i].proto, on, wr,
		       l[i].code ? skit_errname(l[i].code) : "ok",
		       cli_g.color ? "\033[0m" : "", l[i].why);
	}
}

/* One line per distinct fix, naming the rows it helps. */
static void
print_fixes(const struct probe_line *l, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		size_t count = 0;
		bool seen = false;
		char b1[16], b2[16];

		if (!l[i].fix)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = l[k].fix && !strcmp(l[k].fix, l[i].fix);
		if (seen)
			continue;
		for (size_t k = i; k < n; k++)
			count += l[k].fix && !strcmp(l[k].fix, l[i].fix);
		if (!any)
			printf("\nhints:\n");
		any = true;
		printf("  %s\n    for %s %s %s%s\n", l[i].fix,
		       name_or_num(skit_af_name(l[i].row->domain),
				   l[i].row->domain, b1, sizeof(b1)),
		       name_or_num(skit_socktype_name(l[i].row->type),
				   l[i].row->type, b2, sizeof(b2)),
		       l[i].proto, count > 1 ? " and the like" : "");
	}
}

/*
 * The rows beyond socket() (skit_probe_features), filtered like the
 * table: text with a hint under each failing row, or one JSON object
 * each.
 */
static void
print_features(const struct probe_opts *o, const struct skit_probe_env *env)
{
	struct skit_probe_feature *f = NULL;
	size_t n = 0;
	int w = 8, we = 6;
	bool any = false;

	if (skit_probe_features(env, &f, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		int k = (int)strlen(f[i].what);
		int e = f[i].code ? (int)strlen(skit_errname(f[i].code)) : 2;

		w = k > w ? k : w;
		we = e > we ? e : we;
	}
	for (size_t i = 0; i < n; i++) {
		const struct skit_probe_feature *x = &f[i];

		if (!family_wanted(o->family, x->domain) ||
		    (o->only > 0 && x->code) || (o->only < 0 && !x->code))
			continue;
		if (o->json) {
			struct cli_json j;
			char b[16];

			cli_json_begin(&j, stdout);
			cli_json_str(&j, "event", "feature");
			cli_json_str(&j, "domain",
				     name_or_num(skit_af_name(x->domain),
						 x->domain, b, sizeof(b)));
			cli_json_str(&j, "what", x->what);
			cli_json_bool(&j, "ok", x->code == 0);
			if (x->code)
				cli_json_str(&j, "errno",
					     skit_errname(x->code));
			else
				cli_json_null(&j, "errno");
			cli_json_str(&j, "explanation", x->why);
			cli_json_str(&j, "fix", x->fix[0] ? x->fix : NULL);
			cli_json_end(&j);
			continue;
		}
		if (!any)
			printf("\n%-*s  %-*s  %s\n", w, "FEATURE", we, "RESULT",
			       "EXPLANATION");
		any = true;
		printf("%-*s  %-*s  %s\n", w, x->what, we,
		       x->code ? skit_errname(x->code) : "ok", x->why);
		if (x->fix[0])
			printf("%-*s  %-*s  hint: %s\n", w, "", we, "", x->fix);
	}
	free(f);
}

static void
print_limit(char *buf, size_t len, uint64_t v)
{
	if (v == UINT64_MAX)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void
print_env_text(const struct skit_probe_env *env)
{
	char soft[24], hard[24], v[64];
	int w = 20;

	for (int i = 0; i < SKIT_PROBE_NSYSCTL; i++) {
		int n = (int)strlen(env->sysctl[i].name);

		w = n > w ? n : w;
	}
	printf("\nsysctls:\n");
	for (int i = 0; i < SKIT_PROBE_NSYSCTL; i++) {
		const struct skit_probe_sysctl *s = &env->sysctl[i];

		printf("  %-*s  %-14s  %s\n", w, s->name,
		       s->code ? "(unreadable)" : s->value, s->meaning);
	}
	printf("\nprocess:\n");
	print_limit(soft, sizeof(soft), env->nofile_soft);
	print_limit(hard, sizeof(hard), env->nofile_hard);
	snprintf(v, sizeof(v), "%s/%s", soft, hard);
	printf("  %-*s  %-14s  %s\n", w, "RLIMIT_NOFILE", v,
	       "open files, soft/hard");
	snprintf(v, sizeof(v), "%u/%u", env->uid, env->gid);
	printf("  %-*s  %-14s  %s\n", w, "uid/gid", v, "effective ids");
	for (int i = 0; i < SKIT_PROBE_NCAP; i++) {
		const struct skit_probe_cap *c = &env->cap[i];

		printf("  %-*s  %-14s  %s\n", w, c->name,
		       !env->caps_known ? "unknown"
		       : c->have	? "yes"
					: "no",
		       c->meaning);
	}
}

/* A JSON object built in memory, for cli_json_raw. */
static char *
env_sysctl_json(const struct skit_probe_env *env)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputc('{', f);
	for (int i = 0; i < SKIT_PROBE_NSYSCTL; i++) {
		const struct skit_probe_sysctl *s = &env->sysctl[i];

		if (i)
			fputc(',', f);
		cli_json_quote(f, s->name, strlen(s->name));
		fputc(':', f);
		if (s->code)
			fputs("null", f);
		else
			cli_json_quote(f, s->value, strlen(s->value));
	}
	fputc('}', f);
	if (fclose(f))
		return NULL;
	return buf;
}

static char *
env_caps_json(const struct skit_probe_env *env)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputc('{', f);
	for (int i = 0; i < SKIT_PROBE_NCAP; i++) {
		if (i)
			fputc(',', f);
		cli_json_quote(f, env->cap[i].name, strlen(env->cap[i].name));
		fputs(!env->caps_known	 ? ":null"
		      : env->cap[i].have ? ":true"
					 : ":false",
		      f);
	}
	fputc('}', f);
	if (fclose(f))
		return NULL;
	return buf;
}

static int
print_env_json(const struct skit_probe_env *env)
{
	struct cli_json j;
	char *sysctl = env_sysctl_json(env);
	char *caps = env_caps_json(env);
	char hex[24];

	if (!sysctl || !caps) {
		free(sysctl);
		free(caps);
		cli_errorf("probe: out of memory");
		return CLI_EXIT_FAIL;
	}
	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "environment");
	cli_json_raw(&j, "sysctl", sysctl);
	if (env->nofile_soft == UINT64_MAX)
		cli_json_null(&j, "nofile_soft");
	else
		cli_json_uint(&j, "nofile_soft", env->nofile_soft);
	if (env->nofile_hard == UINT64_MAX)
		cli_json_null(&j, "nofile_hard");
	else
		cli_json_uint(&j, "nofile_hard", env->nofile_hard);
	cli_json_uint(&j, "uid", env->uid);
	cli_json_uint(&j, "gid", env->gid);
	if (env->caps_known) {
		snprintf(hex, sizeof(hex), "%016llx",
			 (unsigned long long)env->cap_eff);
		cli_json_str(&j, "cap_eff", hex);
	} else {
		cli_json_null(&j, "cap_eff");
	}
	cli_json_raw(&j, "capabilities", caps);
	if (env->ping_known)
		cli_json_bool(&j, "ping_group_ok", env->ping_ok);
	else
		cli_json_null(&j, "ping_group_ok");
	cli_json_end(&j);
	free(sysctl);
	free(caps);
	return CLI_EXIT_OK;
}

static void
print_json_row(const struct probe_line *l)
{
	const struct skit_probe_row *r = l->row;
	struct cli_json j;
	char b1[16], b2[16];

	cli_json_begin(&j, stdout);
	cli_json_str(&j, "event", "socket");
	cli_json_str(&j, "domain",
		     name_or_num(skit_af_name(r->domain), r->domain, b1,
				 sizeof(b1)));
	cli_json_str(&j, "type",
		     name_or_num(skit_socktype_name(r->type), r->type, b2,
				 sizeof(b2)));
	cli_json_str(&j, "protocol", l->proto);
	cli_json_int(&j, "domain_num", r->domain);
	cli_json_int(&j, "type_num", r->type);
	cli_json_int(&j, "protocol_num", r->protocol);
	cli_json_str(&j, "what", r->what);
	cli_json_bool(&j, "ok", l->code == 0);
	if (l->code)
		cli_json_str(&j, "errno", skit_errname(l->code));
	else
		cli_json_null(&j, "errno");
	cli_json_str(&j, "explanation", l->why);
	cli_json_str(&j, "fix", l->fix);
	cli_json_end(&j);
}

static int
parse_args(int argc, char **argv, struct probe_opts *o)
{
	struct cli_getopt_state st = { 0 };
	const char *arg;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, &probe_help, &st, &arg)) != -1) {
		switch (c) {
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NO_ENV:
			o->no_env = true;
			break;
		case OPT_ONLY:
			if (!strcmp(arg, "ok")) {
				o->only = 1;
			} else if (!strcmp(arg, "failed") ||
				   !strcmp(arg, "failing")) {
				o->only = -1;
			} else {
				cli_errorf("probe: --only: '%s' is not ok or "
					   "failed",
					   arg);
				rc = -1;
			}
			break;
		case 'f':
			o->family = arg;
			break;
		case -2:
			rc = 1;
			break;
		default:
			rc = -1;
			break;
		}
		if (rc)
			break;
	}
	if (!rc && optind < argc) {
		cli_errorf("probe: unexpected argument '%s'", argv[optind]);
		fprintf(stderr, "usage: %s\n", probe_help.synopsis);
		rc = -1;
	}
	cli_getopt_done(&st);
	if (!rc && o->family && check_family_list(o->family))
		rc = -1;
	return rc;
}

int
cmd_probe(int argc, char **argv)
{
	struct probe_opts o = { 0 };
	struct skit_probe_env env;
	const struct skit_probe_row *rows;
	struct probe_line *lines;
	size_t nrows, n = 0;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;

	skit_probe_env_read(&env);
	rows = skit_probe_rows(&nrows);
	lines = calloc(nrows, sizeof(*lines));
	if (!lines) {
		cli_errorf("probe: out of memory");
		return CLI_EXIT_FAIL;
	}
	for (size_t i = 0; i < nrows; i++) {
		struct probe_line *l = &lines[n];
		int code;

		if (!family_wanted(o.family, rows[i].domain))
			continue;
		code = skit_probe_try(&rows[i]);
		if ((o.only > 0 && code) || (o.only < 0 && !code))
			continue;
		l->row = &rows[i];
		l->code = code;
		skit_proto_str(rows[i].domain, rows[i].protocol, l->proto,
			       sizeof(l->proto));
		skit_probe_explain(&rows[i], code, &env, l->why,
				   sizeof(l->why));
		l->fix = skit_probe_fix(&rows[i], code, &env);
		n++;
	}
	rc = CLI_EXIT_OK;
	if (o.json) {
		for (size_t i = 0; i < n; i++)
			print_json_row(&lines[i]);
		print_features(&o, &env);
		if (!o.no_env)
			rc = print_env_json(&env);
	} else {
		print_text(lines, n);
		print_fixes(lines, n);
		print_features(&o, &env);
		if (!o.no_env)
			print_env_text(&env);
	}
	free(lines);
	return rc;
}
