/*
 * cli/get/get_opts.c - what `skit get` accepts: its options, the curl
 * and wget habits it answers with a hint, and its --help (cmd_get.c
 * parses with them).
 */
#include "cli.h"
#include "get.h"

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
	{ "json", 0, NULL, OPT_JSON,
	  "events on stderr as NDJSON: connected (the 5-tuple), tls, "
	  "response (status, headers), redirect, retry, done (status, "
	  "bytes, duration, output)" },
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

const struct cli_help get_help = {
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
