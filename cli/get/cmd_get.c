/*
 * cli/get/cmd_get.c - `skit get URL`: a wget-like HTTP/1.1 and HTTPS
 * client. Options -> libskit's skit_http_fetch (skit/http_client.h:
 * dial, TLS, redirects, body framing and decoding, resume checks,
 * retries) -> output: the sink below writes stdout or the file
 * (get_out.c), get_show.c prints the trace and the messages, and this
 * file maps the errors onto hints and exit codes.
 */
#include "cli.h"
#include "get.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	OPT_DATA_FILE = 256,
	OPT_MAX_REDIRECT,
	OPT_ALLOW_DOWNGRADE,
	OPT_REMOTE_NAME,
	OPT_CONNECT_TIMEOUT,
	OPT_TIMEOUT,
	OPT_MAX_TIME,
	OPT_RETRY,
	OPT_RETRY_DELAY,
	OPT_VIA,
	OPT_CA_FILE,
	OPT_MAX_HEAD,
	OPT_COMPRESSED,
	OPT_NOPROXY,
};

static const struct cli_opt get_opts_table[] = {
	{ "ipv4", '4', NULL, '4', "connect over IPv4 only" },
	{ "ipv6", '6', NULL, '6', "connect over IPv6 only" },
	{ "head", 'I', NULL, 'I',
	  "send HEAD and print the response head to stdout" },
	{ "request", 'X', "METHOD", 'X',
	  "request method (default GET, or POST with --data)" },
	{ "data", 'd', "STRING", 'd',
	  "send STRING as the request body (POST)" },
	{ "data-file", 0, "FILE", OPT_DATA_FILE,
	  "send FILE's contents as the request body (POST)" },
	{ "header", 'H', "'NAME: VALUE'", 'H',
	  "add a request header (repeatable; 'NAME:' removes one)" },
	{ "user-agent", 'A', "STRING", 'A',
	  "User-Agent header (default skit/VERSION)" },
	{ "max-redirect", 0, "N", OPT_MAX_REDIRECT,
	  "follow at most N redirects (default 20, 0: none)" },
	{ "allow-downgrade", 0, NULL, OPT_ALLOW_DOWNGRADE,
	  "follow redirects from https to http" },
	{ "output", 'O', "FILE", 'O', "write the body to FILE ('-': stdout)" },
	{ "remote-name", 0, NULL, OPT_REMOTE_NAME,
	  "write to a file named like the URL's last path segment" },
	{ "continue", 'c', NULL, 'c',
	  "resume a partial file with a Range request" },
	{ "compressed", 0, NULL, OPT_COMPRESSED,
	  "ask for a gzip or deflate body (Accept-Encoding); it is decoded" },
	{ "quiet", 'q', NULL, 'q', "no progress bar or messages" },
	{ "server-response", 'S', NULL, 'S',
	  "print the response headers on stderr" },
	{ "verbose", 'v', NULL, 'v',
	  "print the 5-tuple, TLS details and the exchange" },
	{ "connect-timeout", 0, "SECS", OPT_CONNECT_TIMEOUT,
	  "connect time-out (connect-timeout=): give up connecting (and the "
	  "TLS handshake) after SECS" },
	{ "timeout", 0, "SECS", OPT_TIMEOUT,
	  "idle time-out (idle-timeout=): give up when no data arrives for "
	  "SECS (default 900)" },
	{ "max-time", 'm', "SECS", OPT_MAX_TIME,
	  "give up when the whole transfer (retries too) takes SECS" },
	{ "retry", 0, "N", OPT_RETRY,
	  "retry N times on connection failures, time-outs and 5xx (retry=)" },
	{ "retry-delay", 0, "SECS", OPT_RETRY_DELAY,
	  "first retry delay (interval=, default 1), then 2x, 4x, at most 8x" },
	{ "via", 0, "ADDRESS", OPT_VIA,
	  "connect to ADDRESS (tcp:, unix:) instead of the URL's host; its "
	  "retry=, interval=, connect-timeout=, idle-timeout= apply" },
	{ "proxy", 'x', "URL", 'x',
	  "tunnel through this proxy: socks5://, socks4a://, http:// "
	  "(HOST:PORT means http://); else $http_proxy, $https_proxy, "
	  "$all_proxy" },
	{ "noproxy", 0, "HOSTS", OPT_NOPROXY,
	  "hosts to reach directly, comma-separated ('*': all); else "
	  "$no_proxy" },
	{ "ca-file", 0, "FILE", OPT_CA_FILE,
	  "trust the CA certificates in FILE (PEM) instead of the system's" },
	{ "insecure", 'k', NULL, 'k',
	  "do not verify the server's certificate (warns)" },
	{ "max-head", 0, "SIZE", OPT_MAX_HEAD,
	  "largest response head accepted (default 64k)" },
	{ NULL, 0, NULL, 0, NULL },
};

/* curl's and wget's letters that mean something else here. */
static const struct cli_habit get_habits[] = {
	{ "-o", "did you mean -O FILE? (curl's -o FILE; wget's -o is a log "
		"file, which skit does not write)" },
	{ "-L", "skit follows redirects by default (--max-redirect N limits "
		"them)" },
	{ "--location", "skit follows redirects by default (--max-redirect "
			"N limits them)" },
	{ "-s", "did you mean -q? (curl's -s: no progress, no messages)" },
	{ "--silent", "did you mean -q? (no progress, no messages)" },
	{ "-f", "skit get fails on an HTTP error status by default (exit 1)" },
	{ "--fail",
	  "skit get fails on an HTTP error status by default (exit 1)" },
	{ "-i", "did you mean -S? (the response headers, on stderr)" },
	{ "--include", "did you mean -S? (the response headers, on stderr)" },
	{ "-t", "did you mean --retry N? (wget's -t/--tries)" },
	{ "--tries", "did you mean --retry N?" },
	{ "-T", "did you mean --timeout SECS? (wget's -T)" },
	{ "--no-check-certificate", "did you mean -k? (--insecure)" },
	{ "--output-document", "did you mean -O FILE? (--output FILE)" },
	{ "-r", "skit get fetches one URL; it does not recurse" },
	{ "--recursive", "skit get fetches one URL; it does not recurse" },
	{ "--no-clobber", "skit never replaces a file it names itself (it "
			  "saves NAME.1); -O FILE replaces FILE" },
	{ NULL, NULL },
};

static const struct cli_help get_help = {
	.name = "get",
	.habits = get_habits,
	.permute = true,
	.synopsis = "skit get [OPTIONS] URL",
	.about = "Fetch an http:// or https:// URL, like wget: redirects "
		 "followed, the body to\nstdout (or a file when stdout is a "
		 "terminal or with -O), certificates\nverified against the "
		 "system's CAs.",
	.opts = get_opts_table,
	.extra = "examples:\n"
		 "  skit get http://127.0.0.1:8080/file.bin > file.bin\n"
		 "  skit get -O page.html https://example.org/\n"
		 "  skit get -c --remote-name https://example.org/big.iso\n"
		 "  skit get -S --head http://[::1]:8080/\n"
		 "  skit get -d 'a=1' -H 'X-Trace: 1' http://127.0.0.1/api\n"
		 "  skit get --via unix:/run/app.sock http://app/status\n"
		 "\nexit codes: 0 ok, 1 HTTP error status or bad response, "
		 "2 usage, 3 name\nresolution, 4 refused/unreachable, 5 timed "
		 "out, 7 cut short or reset, 8 TLS\n",
};

/* Address options get implements on --via's address. */
static const uint64_t get_addr_opts =
	SKIT_OPTS_OPEN | SKIT_OPTS_DIAL | SKIT_OPT_BIT(IDLE_TIMEOUT);

/* One run: the options, the output, and the sink's own error. */
struct get_run {
	struct get_opts o;
	const char *out_path; /* NULL: stdout */
	struct get_out out;
	bool out_open;
	struct skit_err err; /* a failure of the sink (the output) */
	const char **hdrs;   /* -H lines, the request's headers */
};

/* --- the sink ----------------------------------------------------------- */

static int
on_head(const struct skit_http_answer *a, void *data)
{
	struct get_run *run = data;
	int rc;

	run->out.progress =
		isatty(STDERR_FILENO) && !run->o.quiet && !run->o.head;
	rc = get_out_open(&run->out, run->out_path, a->range_from, &run->err);
	if (rc < 0)
		return rc;
	run->out.expected = a->expected;
	run->out_open = true;
	/* --head: the response head is the payload. */
	if (run->o.head)
		return get_out_write(&run->out, a->head, a->head_len,
				     &run->err);
	return 0;
}

static int
on_body(const void *buf, size_t len, long long received, void *data)
{
	struct get_run *run = data;

	run->out.received = received;
	return get_out_write(&run->out, buf, len, &run->err);
}

static int
on_end(int code, void *data)
{
	struct get_run *run = data;
	int rc = 0;

	if (!run->out_open)
		return 0;
	run->out_open = false;
	if (code == 0)
		rc = get_out_commit(&run->out, &run->err);
	else
		get_out_abort(&run->out);
	return rc;
}

static void
on_event(const struct skit_http_event *ev, void *data)
{
	get_show_event(ev, &((struct get_run *)data)->o);
}

/* --- options ------------------------------------------------------------ */

/* Read a whole file into memory (for --data-file). */
static int
read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 65536, n = 0;
	char *buf, *nb;
	ssize_t r;

	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		r = skit_read_some(fd, buf + n, cap - n);
		if (r <= 0) {
			skit_close(fd);
			if (r < 0)
				free(buf);
			*out = r < 0 ? NULL : buf;
			*len = n;
			return (int)r;
		}
		n += (size_t)r;
		if (n < cap)
			continue;
		nb = realloc(buf, cap * 2);
		if (!nb)
			free(buf);
		buf = nb;
		cap *= 2;
	}
	skit_close(fd);
	return -ENOMEM;
}

/* Parse and check --via's address. 0 or an exit code. */
static int
parse_via(const char *text, struct skit_addr *a)
{
	struct skit_err err;

	skit_err_clear(&err);
	if (skit_addr_parse(text, SKIT_ROLE_CONNECT, a, &err))
		return cli_report(&err);
	if (!skit_kind_is_socket(a->kind) || a->type != SOCK_STREAM) {
		cli_errorf("get: --via '%s' is not a stream socket address",
			   text);
		return CLI_EXIT_USAGE;
	}
	return cli_addr_check(a, get_addr_opts, "skit get");
}

/* One option; 0, or an exit code. */
/* The proxies: -x, else curl's environment variables. */
struct get_proxies {
	const char *given, *no; /* -x, --noproxy */
	char http[1024], https[1024];
};

static const char *
env2(const char *lower, const char *upper)
{
	const char *v = getenv(lower);

	return v && *v ? v : upper ? getenv(upper) : NULL;
}

/* "HOST:PORT" is an http:// proxy, as with curl. */
static const char *
proxy_url(const char *v, char *buf, size_t len)
{
	if (!v || !*v)
		return NULL;
	if (strstr(v, "://"))
		snprintf(buf, len, "%s", v);
	else
		snprintf(buf, len, "http://%s", v);
	return buf;
}

static void
pick_proxies(struct get_proxies *px, struct skit_http_fetch_cfg *cfg)
{
	const char *all = env2("all_proxy", "ALL_PROXY");
	const char *h = px->given, *hs = px->given;

	if (!px->given) {
		/* curl reads only the lower-case http_proxy (CGI's HTTP_*) */
		h = env2("http_proxy", NULL);
		hs = env2("https_proxy", "HTTPS_PROXY");
		h = h && *h ? h : all;
		hs = hs && *hs ? hs : all;
	}
	cfg->http_proxy = proxy_url(h, px->http, sizeof(px->http));
	cfg->https_proxy = proxy_url(hs, px->https, sizeof(px->https));
	cfg->no_proxy = px->no ? px->no : env2("no_proxy", "NO_PROXY");
}

static int
get_option(int c, const char *arg, struct skit_http_fetch_req *q,
	   struct skit_http_fetch_cfg *cfg, struct get_run *run,
	   char **data_buf)
{
	static const char *const dur_name[] = {
		[OPT_CONNECT_TIMEOUT - OPT_CONNECT_TIMEOUT] =
			"--connect-timeout",
		[OPT_TIMEOUT - OPT_CONNECT_TIMEOUT] = "--timeout",
		[OPT_MAX_TIME - OPT_CONNECT_TIMEOUT] = "--max-time",
	};
	long long v;
	int rc;

	switch (c) {
	case '4':
	case '6':
		cfg->family = c == '4' ? AF_INET : AF_INET6;
		return 0;
	case 'I':
		run->o.head = true;
		return 0;
	case 'X':
		q->method = arg;
		return 0;
	case 'd':
		q->body = arg;
		q->body_len = strlen(arg);
		q->has_body = true;
		return 0;
	case OPT_DATA_FILE:
		free(*data_buf);
		rc = read_file(arg, data_buf, &q->body_len);
		if (rc < 0) {
			cli_errorf("read %s: %s", arg, skit_strerror(rc));
			return cli_exit_for(rc) == CLI_EXIT_PERM
				       ? CLI_EXIT_PERM
				       : CLI_EXIT_USAGE;
		}
		q->body = *data_buf;
		q->has_body = true;
		return 0;
	case 'H':
		run->hdrs[q->nheaders++] = arg;
		return 0;
	case 'A':
		q->user_agent = arg;
		return 0;
	case OPT_MAX_REDIRECT:
	case OPT_RETRY:
		if (cli_parse_int(c == OPT_RETRY ? "--retry" : "--max-redirect",
				  arg, 0, 1000, &v))
			return CLI_EXIT_USAGE;
		if (c == OPT_RETRY)
			cfg->retries = v ? (int)v : -1;
		else
			cfg->max_redirects = (int)v;
		return 0;
	case OPT_ALLOW_DOWNGRADE:
		cfg->allow_downgrade = true;
		return 0;
	case 'O':
		run->out_path = arg;
		return 0;
	case OPT_COMPRESSED:
		q->compressed = true;
		return 0;
	case 'q':
		run->o.quiet = true;
		return 0;
	case 'S':
		run->o.show_headers = true;
		return 0;
	case 'v':
		run->o.verbose++;
		cli_g.verbose++;
		return 0;
	case OPT_CONNECT_TIMEOUT:
	case OPT_TIMEOUT:
	case OPT_MAX_TIME:
		if (cli_parse_duration_ms(dur_name[c - OPT_CONNECT_TIMEOUT],
					  arg, &v))
			return CLI_EXIT_USAGE;
		v = v > 1 << 30 ? 1 << 30 : v ? v : -1; /* 0: none */
		if (c == OPT_CONNECT_TIMEOUT)
			cfg->connect_timeout_ms = v > 0 ? v : 1;
		else if (c == OPT_TIMEOUT)
			cfg->idle_timeout_ms = v;
		else
			cfg->total_timeout_ms = v;
		return 0;
	case OPT_RETRY_DELAY:
		if (cli_parse_duration_ms("--retry-delay", arg, &v))
			return CLI_EXIT_USAGE;
		cfg->interval_ms = v > 0 ? v : 1;
		return 0;
	case 'k':
		run->o.insecure = true;
		return 0;
	case OPT_MAX_HEAD:
		if (cli_parse_size_range("--max-head", arg, 64, 16 << 20, &v))
			return CLI_EXIT_USAGE;
		cfg->max_head = (size_t)v;
		return 0;
	default:
		return 0;
	}
}

/*
 * Where the body goes: stdout, -O FILE (replaced, as wget -O and curl
 * -o do), or a name from the URL. A name skit picks never replaces a
 * file: when NAME exists the body goes to NAME.1 (NAME.2, ...), as
 * wget does, and skit says so; with -c it is the file to resume.
 */
static int
pick_output(struct get_run *run, bool remote_name, bool resume,
	    const struct skit_url *u, char **name)
{
	char url_name[SKIT_URL_MAX];
	bool tty = !remote_name;
	int rc;

	if (run->out_path && !strcmp(run->out_path, "-")) {
		run->out_path = NULL;
		return 0;
	}
	if (run->out_path ||
	    !(remote_name || (!run->o.head && isatty(STDOUT_FILENO))))
		return 0;
	*name = malloc(SKIT_URL_MAX + 8);
	if (!*name)
		return CLI_EXIT_FAIL;
	skit_url_filename(u, url_name, sizeof(url_name));
	run->out_path = *name;
	if (resume) {
		snprintf(*name, SKIT_URL_MAX + 8, "%s", url_name);
		return 0;
	}
	rc = get_free_name(url_name, *name, SKIT_URL_MAX + 8);
	if (rc < 0) {
		cli_errorf("get: %s and %s.1 to %s.999 exist", url_name,
			   url_name, url_name);
		cli_hint("name the file with -O FILE");
		return CLI_EXIT_FAIL;
	}
	run->out.no_clobber = true;
	if (run->o.quiet)
		return 0;
	if (strcmp(*name, url_name))
		cli_errorf("'%s' exists: saving to '%s'", url_name, *name);
	else if (tty)
		cli_errorf("stdout is a terminal: saving to '%s'", *name);
	return 0;
}

int
cmd_get(int argc, char **argv)
{
	struct cli_getopt_state st = { 0 };
	struct get_run run = { .out.fd = -1 };
	struct skit_tls_opts tls = { .alpn = "http/1.1" };
	struct skit_http_fetch_cfg cfg = { .max_redirects = 20, .tls = &tls };
	struct skit_http_fetch_req q = { 0 };
	struct skit_http_sink sink = { on_head, on_body, on_end, on_event,
				       &run };
	struct skit_http_fetch_result res;
	struct get_proxies px = { 0 };
	struct skit_addr via;
	struct skit_err err;
	struct skit_url *url = NULL;
	char ua[64], *data_buf = NULL, *name = NULL;
	const char *arg, *via_text = NULL;
	bool remote_name = false, resume = false, has_ctype = false;
	int c, rc = CLI_EXIT_OK;

	snprintf(ua, sizeof(ua), "skit/%s", skit_version());
	q.user_agent = ua;
	run.o.verbose = cli_g.verbose;
	run.hdrs = calloc((size_t)argc + 1, sizeof(*run.hdrs));
	q.headers = run.hdrs;
	if (!run.hdrs) {
		cli_errorf("get: out of memory");
		return CLI_EXIT_FAIL;
	}
	while ((c = cli_getopt(argc, argv, &get_help, &st, &arg)) != -1) {
		if (c == -2 || c == '?') {
			rc = c == -2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
			goto done;
		}
		if (c == 'x' || c == OPT_NOPROXY) {
			*(c == 'x' ? &px.given : &px.no) = arg;
			continue;
		}
		if (c == OPT_REMOTE_NAME || c == 'c' || c == OPT_VIA ||
		    c == OPT_CA_FILE) {
			remote_name |= c == OPT_REMOTE_NAME;
			resume |= c == 'c';
			via_text = c == OPT_VIA ? arg : via_text;
			tls.ca_file = c == OPT_CA_FILE ? arg : tls.ca_file;
			continue;
		}
		if (c == 'H' && !strncasecmp(arg, "Content-Type:", 13))
			has_ctype = true;
		rc = get_option(c, arg, &q, &cfg, &run, &data_buf);
		if (rc)
			goto done;
	}
	if (optind != argc - 1) {
		cli_errorf("get: %s", optind >= argc ? "missing URL"
						     : "one URL at a time");
		fprintf(stderr, "usage: %s\n", get_help.synopsis);
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	if (via_text) {
		rc = parse_via(via_text, &via);
		if (rc)
			goto done;
		cfg.via = &via;
	} else {
		pick_proxies(&px, &cfg);
	}
	url = malloc(sizeof(*url));
	if (!url) {
		rc = CLI_EXIT_FAIL;
		goto done;
	}
	skit_err_clear(&err);
	if (skit_url_parse(argv[optind], url, &err)) {
		rc = cli_report(&err);
		goto done;
	}
	rc = pick_output(&run, remote_name, resume, url, &name);
	if (rc)
		goto done;
	if (resume && !run.out_path) {
		cli_errorf("get: -c needs an output file (-O FILE or "
			   "--remote-name)");
		rc = CLI_EXIT_USAGE;
		goto done;
	}

	/* The request, and the limits the flags did not set. */
	q.url = url;
	if (!q.method && run.o.head)
		q.method = "HEAD";
	if (q.has_body && !has_ctype)
		run.hdrs[q.nheaders++] =
			"Content-Type: application/x-www-form-urlencoded";
	q.range_from = resume ? get_out_size(run.out_path) : -1;
	if (!cfg.idle_timeout_ms &&
	    !(cfg.via && skit_addr_has(cfg.via, SKIT_OPT_IDLE_TIMEOUT)))
		cfg.idle_timeout_ms = 900000;
	tls.insecure = run.o.insecure;
	/* A file is written aside: a failed body there can be retried. */
	cfg.retry_after_body = run.out_path != NULL;
	cfg.stopfd = -1; /* SIGINT and SIGTERM end get at once (stop.c) */

	skit_err_clear(&err);
	skit_err_clear(&run.err);
	rc = skit_http_fetch(&q, &cfg, &sink, &res, &err);
	if (rc < 0) {
		if (run.err.code)
			err = run.err;
		get_report(&err, q.compressed);
		rc = cli_exit_for(err.code ? err.code : rc);
	} else {
		if (res.complete && !run.o.quiet)
			cli_errorf("%s is already complete (%lld bytes)",
				   run.out_path, q.range_from);
		rc = CLI_EXIT_OK;
	}
done:
	cli_getopt_done(&st);
	free(url);
	free(name);
	free(data_buf);
	free(run.hdrs);
	return rc;
}
