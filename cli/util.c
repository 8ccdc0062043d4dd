/*
 * cli/util.c - shared CLI helpers: exit codes, messages, option parsing
 * and --help generated from option tables, NDJSON output.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

struct cli_globals cli_g;

int
cli_exit_for(int code)
{
	if (code >= 0)
		return CLI_EXIT_OK;
	if (SKIT_IS_EAI(code))
		return CLI_EXIT_RESOLVE;
	switch (code) {
	case SKIT_EADDR:
	case SKIT_EOPTION:
	case SKIT_EKIND:
	case SKIT_ETOOLONG:
		return CLI_EXIT_USAGE;
	case SKIT_ETLS:
	case SKIT_ETLSVERIFY:
		return CLI_EXIT_TLS;
	case SKIT_ETRUNC:
		return CLI_EXIT_RESET;
	case SKIT_EUSER:
		return CLI_EXIT_USAGE;
	case -ECONNREFUSED:
	case -ENETUNREACH:
	case -EHOSTUNREACH:
	case -EHOSTDOWN:
	case -ENETDOWN:
	case -EADDRNOTAVAIL:
	case -ENOENT: /* unix socket path missing */
	case -ENODEV:
		return CLI_EXIT_REFUSED;
	case -ETIMEDOUT:
	case SKIT_EFULL: /* a receiver stayed full until a time limit */
		return CLI_EXIT_TIMEOUT;
	case -EACCES:
	case -EPERM:
		return CLI_EXIT_PERM;
	case -ECONNRESET:
	case -EPIPE:
	case -ECONNABORTED:
		return CLI_EXIT_RESET;
	default:
		return CLI_EXIT_FAIL;
	}
}

/*
 * One line, written with one write(): stderr is shared with children
 * (--exec) and other processes, and a line written in pieces can be
 * cut in two by theirs.
 */
static void
vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char buf[2048];
	size_t p = strlen(prefix);
	int n;

	memcpy(buf, prefix, p);
	n = vsnprintf(buf + p, sizeof(buf) - p - 1, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - p - 2)
		n = (int)(sizeof(buf) - p - 2); /* cut: the line still ends */
	buf[p + (size_t)n] = '\n';
	fwrite(buf, 1, p + (size_t)n + 1, stderr);
}

void
cli_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("skit: ", fmt, ap);
	va_end(ap);
}

void
cli_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("hint: ", fmt, ap);
	va_end(ap);
}

void
cli_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!cli_g.verbose)
		return;
	va_start(ap, fmt);
	vmsg("skit: ", fmt, ap);
	va_end(ap);
}

int
cli_report(const struct skit_err *err)
{
	char buf[768];
	const char *prefix = "skit: ";

	skit_err_format(err, buf, sizeof(buf));
	fprintf(stderr, "%s%s\n", prefix, buf);
	/*
	 * For syntax errors, point at the column under the quoted text:
	 * "skit: bad address '" is where the subject starts.
	 */
	if ((err->code == SKIT_EADDR || err->code == SKIT_EOPTION) &&
	    err->column > 0) {
		int pad = (int)strlen(prefix) +
			  (int)strlen(err->op[0] ? err->op : "bad address") +
			  2 + err->column - 1;
		fprintf(stderr, "%*s^\n", pad, "");
	}
	return cli_exit_for(err->code);
}

void
cli_retry_line(const struct skit_err *why, int attempt, long long of,
	       long long delay_ms)
{
	char buf[600], m[48] = "";

	if (of != SKIT_DIAL_FOREVER)
		snprintf(m, sizeof(m), " of %lld", of);
	cli_errorf("%s; retry %d%s in %lld ms",
		   skit_err_format(why, buf, sizeof(buf)), attempt, m,
		   delay_ms);
}

static void
dial_retry(struct skit_dial *d, int attempt, int64_t delay_ms,
	   const struct skit_err *why, void *data)
{
	const long long *of = data;

	(void)d;
	cli_retry_line(why, attempt, *of, (long long)delay_ms);
}

int
cli_dial(const struct skit_addr *a, struct skit_dial_cfg *cfg, int stopfd,
	 struct skit_dial_result *res, struct skit_err *err)
{
	long long of;

	if (cfg->retries)
		of = cfg->retries < 0 ? 0 : cfg->retries;
	else
		of = cli_retry_of(a);
	cfg->on_retry = dial_retry;
	cfg->data = &of;
	return skit_dial(a, cfg, stopfd, res, err);
}

int
cli_io_error(const char *op, const char *object, int code)
{
	cli_errorf("%s %s: %s", op, object, skit_strerror(code));
	return cli_exit_for(code);
}

int
cli_stdout_failed(int code)
{
	if (!cli_g.stdout_code) {
		cli_g.stdout_code = code;
		if (code != -EPIPE)
			cli_io_error("write to", "stdout", code);
	}
	return code == -EPIPE ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int
cli_stdout_flush(void)
{
	int before = errno, code;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout)) {
		errno = before;
		return 0;
	}
	/*
	 * glibc drops a buffer it failed to write and only keeps the error
	 * flag: when the failure was inside an earlier printf, errno from
	 * then is the best account of why.
	 */
	code = errno ? -errno : before ? -before : -EIO;
	__fpurge(stdout);
	clearerr(stdout);
	cli_stdout_failed(code);
	return code;
}

/* A relay side that is our stdio: stdin is read, stdout written. */
static int
stdio_failed(const char *op, int code)
{
	if (!strcmp(op, "write") || (!strcmp(op, "splice") && code == -EPIPE))
		return cli_stdout_failed(code);
	if (!strcmp(op, "read"))
		return cli_io_error("read from", "stdin", code);
	return cli_io_error(op, "stdin/stdout", code);
}

/*
 * The addresses a time limit's message names after its op: side's when
 * side is 0 or 1, else every address the pair has ("A B").
 */
static const char *
limit_subject(const struct cli_relay_names *n, int side, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < 2 && at < len; i++)
		if (n->addr[i] && (side < 0 || side == i))
			at += (size_t)snprintf(buf + at, len - at, "%s%s",
					       at ? " " : "", n->addr[i]);
	return buf;
}

int
cli_relay_error(const struct skit_relay_stats *st,
		const struct cli_relay_names *n)
{
	const char *op = st->error_op ? st->error_op : "relay";
	/* Side -1 (a timer, a watch) is the pair's: name it by B. */
	int side = st->error_side == 0 ? 0 : 1;
	const char *who = n->side[side];
	char subj[2 * SKIT_ADDR_TEXT_MAX + 2];

	if (st->reason == SKIT_RELAY_IDLE)
		return cli_report_idle(n->op,
				       limit_subject(n, -1, subj, sizeof(subj)),
				       st->limit_ms);
	if (st->error == SKIT_EFULL) {
		/* A side without an address (stdout) is named by the other. */
		if (!n->addr[side])
			side = 1 - side;
		return cli_report_full(
			n->op, limit_subject(n, side, subj, sizeof(subj)),
			st->limit_ms, n->opt);
	}
	if (!who)
		return stdio_failed(op, st->error);
	if (!strcmp(op, "write"))
		op = "write to";
	else if (!strcmp(op, "read"))
		op = "read from";
	cli_io_error(op, who, st->error);
	return st->reason == SKIT_RELAY_RESET ? CLI_EXIT_RESET
					      : cli_exit_for(st->error);
}

/* --help */

/*
 * Write text at column indent, wrapped at word boundaries so lines stay
 * within 79 columns; first_col is where the cursor is now.
 */
static void
wrap_text(FILE *f, const char *text, int indent, int first_col)
{
	int col = first_col;
	const char *p = text;

	while (*p) {
		size_t w = strcspn(p, " ");

		if (col > indent && col + 1 + (int)w > 79) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += (int)w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static void
usage_line(FILE *f, const char *left, const char *help)
{
	enum { HELP_COL = 31 };
	int n = fprintf(f, "  %s", left);

	/* A long option name gets its help on the next line. */
	if (n + 2 > HELP_COL) {
		fprintf(f, "\n%*s", HELP_COL, "");
		n = HELP_COL;
	} else {
		fprintf(f, "%*s", HELP_COL - n, "");
		n = HELP_COL;
	}
	wrap_text(f, help, HELP_COL, n);
}

void
cli_usage(FILE *f, const struct cli_help *h)
{
	const struct cli_opt *o;
	char left[64];

	fprintf(f, "usage: %s\n", h->synopsis);
	if (h->about)
		fprintf(f, "\n%s\n", h->about);
	fprintf(f, "\noptions:\n");
	for (o = h->opts; o && o->name; o++) {
		if (o->shortopt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
				 o->shortopt, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		usage_line(f, left, o->help);
	}
	usage_line(f, "-h, --help", "show this help and exit");
	if (h->extra)
		fprintf(f, "\n%s", h->extra);
}

/* An unknown option another tool has: its hint (see struct cli_habit). */
static void
habit_hint(const struct cli_help *h, int optopt, const char *arg)
{
	const struct cli_habit *x;
	size_t n = strcspn(arg, "=");

	for (x = h->habits; x && x->flag; x++) {
		bool shortopt = x->flag[1] != '-';

		if (shortopt ? optopt && optopt < 256 && x->flag[1] == optopt
			     : !optopt && strlen(x->flag) == n &&
				       !strncmp(x->flag, arg, n)) {
			cli_hint("%s", x->hint);
			return;
		}
	}
}

int
cli_getopt(int argc, char **argv, const struct cli_help *h,
	   struct cli_getopt_state *st, const char **optarg_out)
{
	const struct cli_opt *o;
	size_t n = 0, k = 0, si = 0;
	int c, longindex = -1;

	if (!st->started) {
		for (o = h->opts; o && o->name; o++)
			n++;
		st->longopts = calloc(n + 2, sizeof(*st->longopts));
		if (!st->longopts) {
			cli_errorf("out of memory");
			return '?';
		}
		/*
		 * '+': stop at the first operand, like POSIX, unless the
		 * command asks for GNU permutation (options after operands).
		 */
		if (!h->permute)
			st->shortopts[si++] = '+';
		st->shortopts[si++] = ':';
		for (o = h->opts; o && o->name; o++) {
			st->longopts[k].name = o->name;
			st->longopts[k].has_arg =
				o->arg ? required_argument : no_argument;
			st->longopts[k].flag = NULL;
			st->longopts[k].val = o->id;
			k++;
			if (o->shortopt && si + 3 < sizeof(st->shortopts)) {
				st->shortopts[si++] = (char)o->shortopt;
				if (o->arg)
					st->shortopts[si++] = ':';
			}
		}
		st->longopts[k].name = "help";
		st->longopts[k].val = 'h';
		st->shortopts[si++] = 'h';
		st->shortopts[si] = '\0';
		st->started = true;
		/*
		 * 0, not 1: glibc then forgets the state of any earlier
		 * scan (a half-read cluster like -vn of another argv).
		 */
		optind = 0;
		opterr = 0;
	}
	c = getopt_long(argc, argv, st->shortopts, st->longopts, &longindex);
	*optarg_out = optarg;
	/*
	 * A short letter names the row whose shortopt it is; return that
	 * row's id, which need not be the letter (-e for OPT_EXEC). A long
	 * option already came back as its id (longindex says which).
	 */
	if (longindex < 0 && c > 0 && c < 256 && c != ':' && c != '?')
		for (o = h->opts; o && o->name; o++)
			if (o->shortopt == c)
				return o->id;
	if (c == 'h') {
		cli_usage(stdout, h);
		return -2;
	}
	if (c == '?') {
		/*
		 * A known option that got a value it does not take
		 * ("--json=x"): glibc reports it as '?' with optopt set to
		 * the option's id.
		 */
		for (o = h->opts; optopt && o && o->name; o++)
			if (o->id == optopt && !o->arg &&
			    !strncmp(argv[optind - 1], "--", 2)) {
				cli_errorf("%s: option '--%s' takes no value",
					   h->name, o->name);
				return '?';
			}
		if (optopt && optopt < 256 && isprint(optopt))
			cli_errorf("%s: unknown option '-%c'", h->name, optopt);
		else
			cli_errorf("%s: unknown option '%s'", h->name,
				   argv[optind - 1]);
		habit_hint(h, optopt, argv[optind - 1]);
		fprintf(stderr, "usage: %s\n", h->synopsis);
		return '?';
	}
	if (c == ':') {
		cli_errorf("%s: option '%s' needs a value", h->name,
			   argv[optind - 1]);
		return '?';
	}
	return c;
}

void
cli_getopt_done(struct cli_getopt_state *st)
{
	free(st->longopts);
	st->longopts = NULL;
	st->started = false;
}

/* Value parsers */

const char *
cli_secs(long long ms, char *buf, size_t len)
{
	snprintf(buf, len, "%g", (double)ms / 1000);
	return buf;
}

int
cli_report_idle(const char *op, const char *subject, long long ms)
{
	char s[32];

	cli_errorf("%s %s: idle for %s s, closing", op, subject,
		   cli_secs(ms, s, sizeof(s)));
	return CLI_EXIT_TIMEOUT;
}

int
cli_report_full(const char *op, const char *subject, long long ms,
		const char *opt)
{
	char s[32];

	cli_errorf("%s %s: %s (EAGAIN) after %s s", op, subject,
		   skit_strerror(SKIT_EFULL), cli_secs(ms, s, sizeof(s)));
	if (opt)
		cli_hint("is the receiver reading? %s SECS waits longer", opt);
	return CLI_EXIT_TIMEOUT;
}

int
cli_parse_int(const char *opt, const char *s, long long min, long long max,
	      long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		cli_errorf("%s: '%s' is not a whole number from %lld to %lld",
			   opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
cli_parse_size_range(const char *opt, const char *s, long long min,
		     long long max, long long *out)
{
	long long v;

	if (cli_parse_size(opt, s, &v))
		return -1;
	if (v < min || v > max) {
		cli_errorf("%s: '%s' is not a size from %lld to %lld bytes",
			   opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
cli_acl_add(struct skit_acl *acl, bool allow, const char *text)
{
	int rc = skit_acl_add(acl, allow, text);

	if (rc == -ENOMEM) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	if (rc < 0) {
		cli_errorf("--%s: '%s' is not an address or CIDR block "
			   "(10.0.0.0/8, ::1, fe80::/10)",
			   allow ? "allow" : "deny", text);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int
cli_addr_check(const struct skit_addr *a, uint64_t supported, const char *cmd)
{
	struct skit_err err;

	if (skit_addr_check(a, supported, cmd, &err) < 0)
		return cli_report(&err);
	return 0;
}

/* The grammars are the library's (skit/units.h); these only report. */
int
cli_parse_duration_ms(const char *opt, const char *s, long long *out)
{
	int64_t ms;
	int rc = skit_parse_duration_ms(s, &ms);

	if (rc == 0) {
		*out = ms;
		return 0;
	}
	cli_errorf("%s: '%s' is %s (seconds, or with ns/us/ms/s/m/h/d)", opt, s,
		   rc == -ERANGE ? "too long a duration" : "not a duration");
	return -1;
}

int
cli_parse_size(const char *opt, const char *s, long long *out)
{
	uint64_t v;
	int rc = skit_parse_size(s, &v);

	if (rc == 0) {
		*out = (long long)v;
		return 0;
	}
	cli_errorf("%s: '%s' is %s (bytes, or with k/m/g/t, x1024)", opt, s,
		   rc == -ERANGE ? "too large a size" : "not a size");
	return -1;
}

/* NDJSON */

void
cli_json_quote(FILE *f, const char *s, size_t len)
{
	char small[512], *big = NULL, *out = small;
	size_t n = skit_json_quote(small, sizeof(small), s, len);

	if (n >= sizeof(small)) {
		big = malloc(n + 1);
		if (!big) {
			fputs("\"\"", f); /* out of memory: still valid JSON */
			return;
		}
		skit_json_quote(big, n + 1, s, len);
		out = big;
	}
	fwrite(out, 1, n, f);
	free(big);
}

static void
json_key(struct cli_json *j, const char *key)
{
	fputc(j->n++ ? ',' : '{', j->f);
	cli_json_quote(j->f, key, strlen(key));
	fputc(':', j->f);
}

void
cli_json_begin(struct cli_json *j, FILE *f)
{
	j->f = f;
	j->n = 0;
}

void
cli_json_strn(struct cli_json *j, const char *key, const char *val, size_t len)
{
	json_key(j, key);
	cli_json_quote(j->f, val, len);
}

void
cli_json_str(struct cli_json *j, const char *key, const char *val)
{
	if (!val) {
		cli_json_null(j, key);
		return;
	}
	cli_json_strn(j, key, val, strlen(val));
}

void
cli_json_int(struct cli_json *j, const char *key, long long val)
{
	json_key(j, key);
	fprintf(j->f, "%lld", val);
}

void
cli_json_uint(struct cli_json *j, const char *key, unsigned long long val)
{
	json_key(j, key);
	fprintf(j->f, "%llu", val);
}

const char *
cli_json_num(double val, char *b, size_t len)
{
	int n;

	/*
	 * Never in exponent form (docs/json.md): fixed, nine decimals at
	 * most, trailing zeros dropped ("0.000099728", "1234567.5", "3").
	 */
	if (val != val || val > 1e300 || val < -1e300) {
		snprintf(b, len, "null");
		return b;
	}
	n = snprintf(b, len, "%.9f", val);
	if (n < 0 || (size_t)n >= len) {
		snprintf(b, len, "null");
		return b;
	}
	while (n > 1 && b[n - 1] == '0')
		b[--n] = '\0';
	if (n > 1 && b[n - 1] == '.')
		b[--n] = '\0';
	if (!strcmp(b, "-0"))
		snprintf(b, len, "0");
	return b;
}

void
cli_json_double(struct cli_json *j, const char *key, double val)
{
	char b[CLI_NUM_LEN];

	json_key(j, key);
	fputs(cli_json_num(val, b, sizeof(b)), j->f);
}

int
cli_json_payload(struct cli_json *j, const void *p, size_t n)
{
	const unsigned char *b = p;
	bool text = skit_utf8_valid(p, n);
	char *hex;

	for (size_t i = 0; text && i < n; i++)
		if ((b[i] < 0x20 && b[i] != '\n' && b[i] != '\r' &&
		     b[i] != '\t') ||
		    b[i] == 0x7f)
			text = false;
	if (text) {
		cli_json_strn(j, "payload", p, n);
		return 0;
	}
	hex = malloc(2 * n + 1);
	if (!hex)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	hex[2 * n] = '\0';
	cli_json_str(j, "payload_hex", hex);
	free(hex);
	return 0;
}

void
cli_json_bool(struct cli_json *j, const char *key, bool val)
{
	json_key(j, key);
	fputs(val ? "true" : "false", j->f);
}

void
cli_json_null(struct cli_json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

void
cli_json_raw(struct cli_json *j, const char *key, const char *json)
{
	json_key(j, key);
	fputs(json, j->f);
}

void
cli_json_end(struct cli_json *j)
{
	if (!j->n)
		fputc('{', j->f);
	fputs("}\n", j->f);
	if (j->f == stdout)
		cli_stdout_flush();
	else
		fflush(j->f);
}

/* The --hex traffic dump, like ncat's --hex-dump. */
void
cli_hexdump(FILE *f, const char *dir, uint64_t offset, const void *buf,
	    size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i += 16) {
		size_t n = len - i < 16 ? len - i : 16;

		fprintf(f, "%s %08llx ", dir, (unsigned long long)(offset + i));
		for (size_t k = 0; k < 16; k++) {
			if (k < n)
				fprintf(f, " %02x", p[i + k]);
			else
				fputs("   ", f);
		}
		fputs("  |", f);
		for (size_t k = 0; k < n; k++)
			fputc(isprint(p[i + k]) ? p[i + k] : '.', f);
		fputs("|\n", f);
	}
	fflush(f);
}

long long
cli_retry_of(const struct skit_addr *a)
{
	if (skit_addr_num(a, SKIT_OPT_FOREVER, 0))
		return SKIT_DIAL_FOREVER;
	return skit_addr_num(a, SKIT_OPT_RETRY, 0);
}

void
cli_serve_event(const char *cmd, const struct skit_serve_event *ev, bool dgram,
		const char *local, const char *denied, size_t msg_max)
{
	char pt[300] = "?", who[360], many[64] = "";

	if (ev->peer && skit_sockaddr_str(ev->peer, pt, sizeof(pt)) < 0)
		snprintf(pt, sizeof(pt), "?");
	if (ev->count > 1)
		snprintf(many, sizeof(many), " (%llu times within a second)",
			 (unsigned long long)ev->count);
	snprintf(who, sizeof(who), "%s %s",
		 dgram ? "dropped a datagram from" : "refused", pt);
	switch (ev->kind) {
	case SKIT_SERVE_LIMIT:
		cli_errorf("%s: %s: --max-conns %d reached%s", cmd, who,
			   ev->max_conns, many);
		break;
	case SKIT_SERVE_DENIED:
		cli_errorf("%s: %s: %s%s", cmd, who, denied, many);
		break;
	case SKIT_SERVE_NOFD:
		cli_errorf("%s: accept on %s: %s; %s%s", cmd, local,
			   skit_strerror(ev->code),
			   ev->paused ? "pausing accept for 100 ms"
				      : "closed the new client",
			   many);
		break;
	case SKIT_SERVE_UNNAMED:
		cli_errorf("%s: a datagram from an unnamed unix socket "
			   "cannot be answered%s",
			   cmd, many);
		break;
	case SKIT_SERVE_TOOBIG:
		cli_errorf("%s: dropped a %zu-byte datagram from %s: larger "
			   "than %zu bytes%s",
			   cmd, ev->len, pt, msg_max, many);
		break;
	default:
		break;
	}
}
