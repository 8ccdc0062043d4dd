/*
 * cli/get/cmd_get.c - `skit get URL`: a wget-like HTTP/1.1 and HTTPS client
 * on skit's sockets. Options, the redirect and retry loops, and one
 * request/response exchange; the connection lives in get_conn.c, the
 * output file and progress bar in get_out.c, the protocol parsing in
 * libskit (skit/http.h, skit/tls.h).
 */
#include "cli.h"
#include "get.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_HEAD = 'I',
	OPT_REQUEST = 'X',
	OPT_DATA = 'd',
	OPT_HEADER = 'H',
	OPT_UA = 'A',
	OPT_OUTPUT = 'O',
	OPT_CONTINUE = 'c',
	OPT_QUIET = 'q',
	OPT_SERVER_RESPONSE = 'S',
	OPT_VERBOSE = 'v',
	OPT_INSECURE = 'k',
	OPT_V4 = '4',
	OPT_V6 = '6',
	OPT_DATA_FILE = 256,
	OPT_MAX_REDIRECT,
	OPT_ALLOW_DOWNGRADE,
	OPT_REMOTE_NAME,
	OPT_CONNECT_TIMEOUT,
	OPT_TIMEOUT,
	OPT_RETRY,
	OPT_RETRY_DELAY,
	OPT_CA_FILE,
	OPT_MAX_HEAD,
	OPT_COMPRESSED,
};

static const struct cli_opt get_opts_table[] = {
	{ "ipv4", '4', NULL, OPT_V4, "connect over IPv4 only" },
	{ "ipv6", '6', NULL, OPT_V6, "connect over IPv6 only" },
	{ "head", 'I', NULL, OPT_HEAD,
	  "send HEAD and print the response head to stdout" },
	{ "request", 'X', "METHOD", OPT_REQUEST,
	  "request method (default GET, or POST with --data)" },
	{ "data", 'd', "STRING", OPT_DATA,
	  "send STRING as the request body (POST)" },
	{ "data-file", 0, "FILE", OPT_DATA_FILE,
	  "send FILE's contents as the request body (POST)" },
	{ "header", 'H', "'NAME: VALUE'", OPT_HEADER,
	  "add a request header (repeatable; 'NAME:' removes one)" },
	{ "user-agent", 'A', "STRING", OPT_UA,
	  "User-Agent header (default skit/VERSION)" },
	{ "max-redirect", 0, "N", OPT_MAX_REDIRECT,
	  "follow at most N redirects (default 20, 0: none)" },
	{ "allow-downgrade", 0, NULL, OPT_ALLOW_DOWNGRADE,
	  "follow redirects from https to http" },
	{ "output", 'O', "FILE", OPT_OUTPUT,
	  "write the body to FILE ('-': stdout)" },
	{ "remote-name", 0, NULL, OPT_REMOTE_NAME,
	  "write to a file named like the URL's last path segment" },
	{ "continue", 'c', NULL, OPT_CONTINUE,
	  "resume a partial file with a Range request" },
	{ "compressed", 0, NULL, OPT_COMPRESSED,
	  "ask for a gzip or deflate body (Accept-Encoding); it is decoded" },
	{ "quiet", 'q', NULL, OPT_QUIET, "no progress bar or messages" },
	{ "server-response", 'S', NULL, OPT_SERVER_RESPONSE,
	  "print the response headers on stderr" },
	{ "verbose", 'v', NULL, OPT_VERBOSE,
	  "print addresses, the 5-tuple, TLS details and the exchange" },
	{ "connect-timeout", 0, "SECS", OPT_CONNECT_TIMEOUT,
	  "connect time-out: give up connecting (and the TLS handshake) "
	  "after SECS" },
	{ "timeout", 0, "SECS", OPT_TIMEOUT,
	  "idle time-out: give up when no data arrives for SECS (default "
	  "900)" },
	{ "retry", 0, "N", OPT_RETRY,
	  "retry N times on connection failures, time-outs and 5xx" },
	{ "retry-delay", 0, "SECS", OPT_RETRY_DELAY,
	  "first retry delay, doubled each time (default 1)" },
	{ "ca-file", 0, "FILE", OPT_CA_FILE,
	  "trust the CA certificates in FILE (PEM) instead of the system's" },
	{ "insecure", 'k', NULL, OPT_INSECURE,
	  "do not verify the server's certificate (warns)" },
	{ "max-head", 0, "SIZE", OPT_MAX_HEAD,
	  "largest response head accepted (default 64k)" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_help get_help = {
	.name = "get",
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
		 "\nexit codes: 0 ok, 1 HTTP error status or bad response, "
		 "2 usage, 3 name\nresolution, 4 refused/unreachable, 5 timed "
		 "out, 7 cut short or reset, 8 TLS\n",
};

#define BUF_SIZE    (256 * 1024)
#define DECODE_SIZE (64 * 1024) /* decoded bytes per write */

/* One run of the command: options, TLS context, buffers, output. */
struct get_run {
	struct get_opts *o;
	struct skit_tls_ctx *tls;
	char *buf;
	size_t cap;
	const char *out_path; /* NULL: stdout */
	struct get_out out;
	bool out_open;
	bool delivered; /* body bytes went to stdout: no retry */
	int status;	/* last HTTP status, 0 before one */
	const char *method;
	const char *body;
	size_t body_len;
	bool send_body;
	const char **headers; /* current request headers */
	size_t nheaders;
	struct skit_http_decoder *dec; /* this response's content codings */
	char *dbuf;		       /* DECODE_SIZE bytes for dec */
};

/* Set err's subject to text (cut to fit). */
static void
set_subject(struct skit_err *err, const char *text)
{
	size_t n = strlen(text);

	if (!err)
		return;
	if (n >= sizeof(err->subject))
		n = sizeof(err->subject) - 1;
	memcpy(err->subject, text, n);
	err->subject[n] = '\0';
}

/* Print the response head: -v as "< line", -S as "  line". */
static void
show_head(const struct get_run *run, const char *head, size_t len)
{
	const char *p = head, *end = head + len;
	const char *prefix = run->o->verbose ? "< " : "  ";

	if (!run->o->verbose && !run->o->show_headers)
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l && p[l - 1] == '\r')
			l--;
		if (l)
			fprintf(stderr, "%s%.*s\n", prefix, (int)l, p);
		p = nl ? nl + 1 : end;
	}
}

/* Print the request head with -v as "> line". */
static void
show_request(const struct get_run *run, const char *req, size_t len)
{
	const char *p = req, *end = req + len;

	if (!run->o->verbose)
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l && p[l - 1] == '\r')
			l--;
		if (l)
			fprintf(stderr, "> %.*s\n", (int)l, p);
		p = nl ? nl + 1 : end;
	}
}

static int
ensure_tls(struct get_run *run, struct skit_err *err)
{
	struct skit_tls_opts to = { .ca_file = run->o->ca_file,
				    .insecure = run->o->insecure,
				    .alpn = "http/1.1" };

	if (run->tls)
		return 0;
	return skit_tls_ctx_new(&to, &run->tls, err);
}

/* Open the output for a response (once per attempt). */
static int
open_output(struct get_run *run, long long resume_from, long long expected,
	    struct skit_err *err)
{
	int rc;

	run->out.progress =
		isatty(STDERR_FILENO) && !run->o->quiet && !run->o->head;
	rc = get_out_open(&run->out, run->out_path, resume_from, err);
	if (rc < 0)
		return rc;
	run->out.expected = expected;
	run->out_open = true;
	return 0;
}

static int
out_write(struct get_run *run, const void *p, size_t n, struct skit_err *err)
{
	if (n && !run->out_path)
		run->delivered = true;
	return get_out_write(&run->out, p, n, err);
}

/*
 * Body bytes as the framing delivers them: counted for the progress bar
 * (bytes on the wire, as Content-Length counts them), then decoded when
 * the response has content codings, then written.
 */
static int
body_data(struct get_run *run, const char *p, size_t n, struct skit_err *err)
{
	size_t used, made;
	int rc;

	run->out.received += (long long)n;
	if (!run->dec)
		return out_write(run, p, n, err);
	do {
		rc = skit_http_decoder_feed(run->dec, p, n, &used, run->dbuf,
					    DECODE_SIZE, &made, err);
		if (rc == 0)
			rc = out_write(run, run->dbuf, made, err);
		if (rc < 0)
			return rc;
		p += used;
		n -= used;
	} while (n > 0 || made == DECODE_SIZE);
	return 0;
}

/*
 * Feed body bytes through the framing. Returns 1 when the body is
 * complete, 0 to read more, or a code.
 */
struct body {
	enum skit_http_body mode;
	long long left; /* LENGTH: bytes still to come */
	struct skit_chunked ch;
};

static int
body_feed(struct get_run *run, struct body *b, const char *p, size_t n,
	  struct skit_err *err)
{
	int rc;

	switch (b->mode) {
	case SKIT_HTTP_BODY_NONE:
		return 1;
	case SKIT_HTTP_BODY_LENGTH:
		if ((long long)n > b->left)
			n = (size_t)b->left;
		rc = body_data(run, p, n, err);
		if (rc < 0)
			return rc;
		b->left -= (long long)n;
		return b->left == 0;
	case SKIT_HTTP_BODY_CHUNKED:
		while (n > 0) {
			size_t used;
			const char *d;
			size_t dl;

			rc = skit_chunked_step(&b->ch, p, n, &used, &d, &dl,
					       err);
			if (rc < 0)
				return rc;
			if (dl) {
				int w = body_data(run, d, dl, err);

				if (w < 0)
					return w;
			}
			p += used;
			n -= used;
			if (rc == 1)
				return 1;
		}
		return 0;
	case SKIT_HTTP_BODY_CLOSE:
		rc = body_data(run, p, n, err);
		return rc < 0 ? rc : 0;
	}
	return 0;
}

/*
 * What to send as Accept-Encoding. A resume asks for the identity
 * coding: a range of gzip data cannot be decoded on its own (RFC 9110
 * section 14.1.2: ranges count the coded bytes), and the partial file
 * holds decoded bytes.
 */
static const char *
accept_encoding(const struct get_opts *o, long long resume_from)
{
	if (resume_from > 0)
		return "identity";
	return o->compressed ? "gzip, deflate" : NULL;
}

/* The codings of r as the server listed them: "gzip, deflate". */
static void
codings_text(const struct skit_http_codings *c, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < c->n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      skit_coding_name(c->coding[i]));
}

/*
 * Check the response's codings before any byte is written: a coding
 * skit cannot decode is an error, and a gzip or deflate body gets a
 * decoder. Returns 0 or a code.
 */
static int
start_decoding(struct get_run *run, const struct skit_http_resp *resp,
	       long long resume_from, struct skit_err *err)
{
	struct skit_http_codings c;
	char names[64];
	int rc;

	rc = skit_http_codings(resp, &c, err);
	if (rc < 0 || c.n == 0)
		return rc;
	codings_text(&c, names, sizeof(names));
	if (resume_from > 0)
		return skit_err_setf(err, SKIT_ECODING, "get", "", 0,
				     "the server sent a range of %s-coded "
				     "data, which cannot be decoded on its "
				     "own",
				     names);
	if (!run->dbuf) {
		run->dbuf = malloc(DECODE_SIZE);
		if (!run->dbuf)
			return skit_err_set(err, -ENOMEM, "get", "");
	}
	if (run->o->verbose)
		cli_verbose("decoding Content-Encoding %s", names);
	return skit_http_decoder_init(&run->dec, &c, err);
}

/* Result of one exchange besides success and errors. */
enum { EXCHANGE_DONE = 0, EXCHANGE_REDIRECT = 1 };

/*
 * One request and response on a new connection. Returns EXCHANGE_DONE
 * (body written and committed), EXCHANGE_REDIRECT (*next filled), or a
 * negative code with err filled.
 */
static int
exchange(struct get_run *run, const struct skit_url *u, struct skit_url *next,
	 struct skit_err *err)
{
	struct get_opts *o = run->o;
	struct get_conn c = { .fd = -1 };
	struct skit_http_resp *resp = NULL;
	struct body b;
	char req[SKIT_URL_MAX + 8192];
	char utxt[SKIT_URL_MAX + 300];
	long long resume_from = -1;
	size_t len = 0;
	ssize_t head_len = 0, n;
	int rc, reqlen;
	bool head_req = run->o->head || !strcasecmp(run->method, "HEAD");

	skit_url_format(u, utxt, sizeof(utxt));
	run->status = 0;
	if (o->resume && run->out_path) {
		long long sz = get_out_size(run->out_path);

		if (sz > 0)
			resume_from = sz;
	}
	{
		struct skit_http_req r = {
			.method = run->method,
			.url = u,
			.headers = run->headers,
			.nheaders = run->nheaders,
			.user_agent = o->user_agent,
			.accept_encoding = accept_encoding(o, resume_from),
			.content_length =
				run->send_body ? (long long)run->body_len : -1,
			.range_from = resume_from,
		};

		reqlen = skit_http_request_build(&r, req, sizeof(req), err);
		if (reqlen < 0)
			return reqlen;
	}
	if (u->scheme == SKIT_URL_HTTPS) {
		rc = ensure_tls(run, err);
		if (rc < 0)
			return rc;
	}
	rc = get_conn_open(&c, u, o, run->tls, err);
	if (rc < 0)
		return rc;
	show_request(run, req, (size_t)reqlen);
	n = get_conn_write(&c, req, (size_t)reqlen, err);
	if (n >= 0 && run->send_body && run->body_len)
		n = get_conn_write(&c, run->body, run->body_len, err);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}

	resp = malloc(sizeof(*resp));
	if (!resp) {
		rc = skit_err_set(err, -ENOMEM, "get", utxt);
		goto out;
	}
	/* The head, skipping 1xx interim responses. */
	for (;;) {
		head_len = len ? skit_http_parse_head(run->buf, len,
						      o->max_head, resp, err)
			       : 0;
		if (head_len < 0) {
			rc = (int)head_len;
			set_subject(err, utxt);
			goto out;
		}
		if (head_len > 0) {
			show_head(run, run->buf, (size_t)head_len);
			if (resp->status >= 200)
				break;
			if (resp->status == 101) {
				rc = skit_err_setf(err, SKIT_EHTTP,
						   "HTTP response", utxt, 0,
						   "unexpected 101 Switching "
						   "Protocols");
				goto out;
			}
			memmove(run->buf, run->buf + head_len,
				len - (size_t)head_len);
			len -= (size_t)head_len;
			continue;
		}
		n = get_conn_read(&c, run->buf + len, run->cap - len, err);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		if (n == 0) {
			rc = skit_err_setf(
				err, SKIT_ETRUNC, "HTTP response", utxt, 0,
				len ? "connection closed in the middle of the "
				      "response head"
				    : "connection closed before a response");
			goto out;
		}
		len += (size_t)n;
	}
	run->status = resp->status;

	/* Redirects. */
	if (resp->status == 301 || resp->status == 302 || resp->status == 303 ||
	    resp->status == 307 || resp->status == 308) {
		const struct skit_http_field *loc =
			skit_http_field_get(resp, "Location");

		if (loc && loc->value_len) {
			rc = skit_url_resolve(u, loc->value, loc->value_len,
					      next, err);
			if (rc < 0) {
				/* The server's fault, not a usage error. */
				char why[sizeof(err->detail)];

				snprintf(why, sizeof(why), "%s",
					 err ? err->detail : "");
				rc = skit_err_setf(
					err, SKIT_EHTTP, "redirect from", utxt,
					0, "bad Location '%.*s': %s",
					(int)(loc->value_len > 60
						      ? 60
						      : loc->value_len),
					loc->value, why);
				goto out;
			}
			rc = EXCHANGE_REDIRECT;
			goto out;
		}
	}
	if (resp->status >= 400 && !(resp->status == 416 && resume_from > 0)) {
		rc = skit_err_setf(err, SKIT_EHTTPSTATUS, "get", utxt, 0,
				   "server said %d %.*s", resp->status,
				   (int)resp->reason_len, resp->reason);
		goto out;
	}

	memset(&b, 0, sizeof(b));
	b.mode = skit_http_body_mode(resp, head_req);
	b.left = resp->content_length;
	skit_chunked_init(&b.ch);

	if (resume_from > 0) {
		const struct skit_http_field *cr =
			skit_http_field_get(resp, "Content-Range");
		long long first = -1, last = -1, total = -1;

		if (cr && skit_http_content_range(cr->value, cr->value_len,
						  &first, &last, &total)) {
			rc = skit_err_setf(err, SKIT_EHTTP, "resume", utxt, 0,
					   "bad Content-Range '%.*s'",
					   (int)cr->value_len, cr->value);
			goto out;
		}
		if (resp->status == 416) {
			if (total == resume_from) {
				if (!o->quiet)
					cli_errorf("%s is already complete "
						   "(%lld bytes)",
						   run->out_path, total);
				rc = EXCHANGE_DONE;
				goto out;
			}
			rc = skit_err_setf(err, SKIT_EHTTPSTATUS, "get", utxt,
					   0, "server said %d %.*s",
					   resp->status, (int)resp->reason_len,
					   resp->reason);
			goto out;
		}
		if (resp->status == 206) {
			if (!cr || first != resume_from) {
				rc = skit_err_setf(
					err, SKIT_EHTTP, "resume", utxt, 0,
					"asked for bytes from %lld, the server "
					"sent %lld",
					resume_from, cr ? first : -1);
				goto out;
			}
		} else {
			if (!o->quiet)
				cli_errorf("%s ignored the range request; "
					   "downloading the whole file again",
					   u->host);
			resume_from = 0;
		}
	}
	if (b.mode != SKIT_HTTP_BODY_NONE) {
		rc = start_decoding(run, resp, resume_from, err);
		if (rc < 0)
			goto out;
	}
	if (o->head) {
		/* --head: the response head is the payload. */
		rc = open_output(run, 0, -1, err);
		if (rc == 0)
			rc = out_write(run, run->buf, (size_t)head_len, err);
		if (rc < 0)
			goto out;
		rc = get_out_commit(&run->out, err);
		run->out_open = false;
		goto out;
	}
	rc = open_output(run, resume_from,
			 b.mode == SKIT_HTTP_BODY_LENGTH ? b.left : -1, err);
	if (rc < 0)
		goto out;

	/* The body: what came with the head, then the rest. */
	rc = b.mode == SKIT_HTTP_BODY_NONE ? 1 : 0;
	if (rc == 0 && b.mode == SKIT_HTTP_BODY_LENGTH && b.left == 0)
		rc = 1;
	if (rc == 0 && len > (size_t)head_len)
		rc = body_feed(run, &b, run->buf + head_len,
			       len - (size_t)head_len, err);
	while (rc == 0) {
		n = get_conn_read(&c, run->buf, run->cap, err);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0) {
			if (b.mode == SKIT_HTTP_BODY_CLOSE) {
				rc = 1;
				break;
			}
			if (b.mode == SKIT_HTTP_BODY_LENGTH)
				rc = skit_err_setf(
					err, SKIT_ETRUNC, "get", utxt, 0,
					"connection closed after %lld of %lld "
					"body bytes",
					resp->content_length - b.left,
					resp->content_length);
			else
				rc = skit_err_setf(
					err, SKIT_ETRUNC, "get", utxt, 0,
					"connection closed in the middle of "
					"the chunked body (%llu bytes)",
					(unsigned long long)b.ch.total);
			break;
		}
		rc = body_feed(run, &b, run->buf, (size_t)n, err);
	}
	if (rc >= 0 && run->dec) {
		unsigned long long in, outn;

		rc = skit_http_decoder_finish(run->dec, err);
		skit_http_decoder_totals(run->dec, &in, &outn);
		if (rc == 0 && o->verbose)
			cli_verbose("decoded %llu body bytes into %llu", in,
				    outn);
	}
	if (rc < 0)
		goto out;
	if (b.mode == SKIT_HTTP_BODY_CHUNKED && b.ch.ntrailers &&
	    (o->show_headers || o->verbose))
		show_head(run, b.ch.trailer, b.ch.trailer_len);
	rc = get_out_commit(&run->out, err);
	run->out_open = false;
	if (rc == 0)
		rc = EXCHANGE_DONE;
out:
	if (rc < 0 && err && !err->subject[0])
		set_subject(err, utxt);
	/*
	 * The library's coding errors (op "HTTP response" or "decode") read
	 * "get URL: unsupported Content-Encoding 'br'".
	 */
	if (rc < 0 && err &&
	    (err->code == SKIT_ECODING || !strcmp(err->op, "decode")))
		snprintf(err->op, sizeof(err->op), "get");
	skit_http_decoder_free(run->dec);
	run->dec = NULL;
	if (rc < 0 && run->out_open) {
		get_out_abort(&run->out);
		run->out_open = false;
	}
	get_conn_close(&c, rc >= 0);
	free(resp);
	return rc;
}

/* Worth another try? Connection trouble and 5xx, before any output. */
static bool
retryable(const struct get_run *run, int rc)
{
	if (run->delivered)
		return false;
	if (rc == SKIT_EHTTPSTATUS)
		return run->status >= 500;
	switch (rc) {
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ECONNABORTED:
	case -ENETUNREACH:
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
	case -EPIPE:
	case SKIT_ETRUNC:
	case SKIT_EAI_AGAIN:
		return true;
	default:
		return false;
	}
}

static void
sleep_ms(long long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Read a whole file into memory (for --data-file). */
static int
read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 65536, n = 0;
	char *buf;
	ssize_t r;

	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	for (;;) {
		if (!buf) {
			skit_close(fd);
			return -ENOMEM;
		}
		r = skit_read_some(fd, buf + n, cap - n);
		if (r < 0) {
			free(buf);
			skit_close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	skit_close(fd);
	*out = buf;
	*len = n;
	return 0;
}

/* Drop credentials when a redirect leaves the origin (like curl). */
static void
drop_credentials(struct get_run *run)
{
	size_t k = 0;

	for (size_t i = 0; i < run->nheaders; i++) {
		const char *h = run->headers[i];

		if (!strncasecmp(h, "Authorization:", 14) ||
		    !strncasecmp(h, "Cookie:", 7) ||
		    !strncasecmp(h, "Proxy-Authorization:", 20))
			continue;
		run->headers[k++] = h;
	}
	run->nheaders = k;
}

static bool
same_origin(const struct skit_url *a, const struct skit_url *b)
{
	return a->scheme == b->scheme && a->port == b->port &&
	       !strcmp(a->host, b->host);
}

static void
report(const struct skit_err *err, const struct get_opts *o)
{
	cli_report(err);
	if (err->code == SKIT_ETLSVERIFY) {
		if (strstr(err->detail, "hostname mismatch") ||
		    strstr(err->detail, "IP address mismatch"))
			cli_hint("the certificate is not for '%s'",
				 err->subject);
		else
			cli_hint("trust the server's CA with --ca-file FILE "
				 "(or skip verification with --insecure)");
	} else if (err->code == -ETIMEDOUT) {
		cli_hint("raise --connect-timeout / --timeout, or check "
			 "that the server answers");
	} else if (err->code == SKIT_ELIMIT) {
		cli_hint("--max-head SIZE raises the limit on the response "
			 "head");
	} else if (err->code == SKIT_ECODING &&
		   strstr(err->detail, "cannot be decoded on its own")) {
		cli_hint("remove the file (or drop -c) to download it whole");
	} else if (err->code == SKIT_ECODING && !o->compressed &&
		   strstr(err->detail, "unsupported Content-Encoding")) {
		cli_hint("skit decodes gzip and deflate: --compressed asks "
			 "the server for those");
	}
}

/* Follow redirects from the first URL, with retries per hop. */
static int
run_get(struct get_run *run, const struct skit_url *first, struct skit_err *err)
{
	struct get_opts *o = run->o;
	struct skit_url *cur = malloc(sizeof(*cur));
	struct skit_url *next = malloc(sizeof(*next));
	char **seen = calloc((size_t)o->max_redirect + 2, sizeof(*seen));
	char txt[SKIT_URL_MAX + 300];
	size_t nseen = 0;
	long long hops = 0;
	int rc;

	if (!cur || !next || !seen) {
		rc = skit_err_set(err, -ENOMEM, "get", "");
		goto out;
	}
	*cur = *first;
	skit_url_format(cur, txt, sizeof(txt));
	seen[nseen++] = strdup(txt);
	for (;;) {
		long long delay = o->retry_delay_ms;

		for (long long attempt = 0;; attempt++) {
			skit_err_clear(err);
			rc = exchange(run, cur, next, err);
			if (rc >= 0 || attempt >= o->retries ||
			    !retryable(run, rc))
				break;
			if (!o->quiet) {
				char m[768];

				skit_err_format(err, m, sizeof(m));
				cli_errorf("%s; retrying in %.1f s (%lld of "
					   "%lld)",
					   m, (double)delay / 1000.0,
					   attempt + 1, o->retries);
			}
			sleep_ms(delay);
			delay = delay * 2 > 60000 ? 60000 : delay * 2;
		}
		if (rc != EXCHANGE_REDIRECT)
			break;

		skit_url_format(next, txt, sizeof(txt));
		if (hops >= o->max_redirect) {
			rc = skit_err_setf(err, SKIT_EREDIRECT, "redirect to",
					   txt, 0,
					   "more than %lld redirects "
					   "(--max-redirect)",
					   o->max_redirect);
			break;
		}
		for (size_t i = 0; i < nseen; i++) {
			if (seen[i] && !strcmp(seen[i], txt)) {
				rc = skit_err_setf(err, SKIT_EREDIRECT,
						   "redirect to", txt, 0,
						   "redirect loop (this URL "
						   "was already visited)");
				goto out;
			}
		}
		if (cur->scheme == SKIT_URL_HTTPS &&
		    next->scheme == SKIT_URL_HTTP && !o->allow_downgrade) {
			rc = skit_err_setf(err, SKIT_EDOWNGRADE, "redirect to",
					   txt, 0,
					   "refusing to follow https to http "
					   "(--allow-downgrade)");
			break;
		}
		if (!o->quiet && (o->verbose || o->show_headers))
			cli_errorf("redirected (%d) to %s", run->status, txt);
		/* 301/302/303 turn a POST into a GET, like browsers. */
		if ((run->status == 301 || run->status == 302 ||
		     run->status == 303) &&
		    strcmp(run->method, "GET") && strcmp(run->method, "HEAD")) {
			run->method = "GET";
			run->send_body = false;
		}
		if (!same_origin(cur, next))
			drop_credentials(run);
		seen[nseen++] = strdup(txt);
		*cur = *next;
		hops++;
	}
out:
	if (seen)
		for (size_t i = 0; i < nseen; i++)
			free(seen[i]);
	free(seen);
	free(cur);
	free(next);
	return rc;
}

int
cmd_get(int argc, char **argv)
{
	struct cli_getopt_state st = { 0 };
	struct get_opts o = {
		.family = AF_UNSPEC,
		.max_redirect = 20,
		.connect_timeout_ms = -1,
		.idle_timeout_ms = 900000,
		.retry_delay_ms = 1000,
		.max_head = SKIT_HTTP_HEAD_DEFAULT,
	};
	struct get_run run = { .o = &o };
	struct skit_err err;
	struct skit_url *url = NULL;
	char ua[64], *data_buf = NULL, *name = NULL;
	const char *arg, *method = NULL;
	long long v;
	int c, rc = CLI_EXIT_OK;
	bool has_ctype = false;

	snprintf(ua, sizeof(ua), "skit/%s", skit_version());
	o.user_agent = ua;
	o.verbose = cli_g.verbose;
	o.headers = calloc((size_t)argc + 1, sizeof(*o.headers));
	if (!o.headers) {
		cli_errorf("get: out of memory");
		return CLI_EXIT_FAIL;
	}
	while ((c = cli_getopt(argc, argv, &get_help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			rc = CLI_EXIT_OK;
			goto done;
		case '?':
			rc = CLI_EXIT_USAGE;
			goto done;
		case OPT_V4:
			o.family = AF_INET;
			break;
		case OPT_V6:
			o.family = AF_INET6;
			break;
		case OPT_HEAD:
			o.head = true;
			break;
		case OPT_REQUEST:
			method = arg;
			break;
		case OPT_DATA:
			o.data = arg;
			o.data_len = strlen(arg);
			o.have_data = true;
			break;
		case OPT_DATA_FILE: {
			size_t n = 0;

			free(data_buf);
			data_buf = NULL;
			rc = read_file(arg, &data_buf, &n);
			if (rc < 0) {
				cli_errorf("read %s: %s", arg,
					   skit_strerror(rc));
				rc = cli_exit_for(rc) == CLI_EXIT_PERM
					     ? CLI_EXIT_PERM
					     : CLI_EXIT_USAGE;
				goto done;
			}
			rc = CLI_EXIT_OK;
			o.data = data_buf;
			o.data_len = n;
			o.have_data = true;
			break;
		}
		case OPT_HEADER:
			if (!strncasecmp(arg, "Content-Type:", 13))
				has_ctype = true;
			o.headers[o.nheaders++] = arg;
			break;
		case OPT_UA:
			o.user_agent = arg;
			break;
		case OPT_MAX_REDIRECT:
			if (cli_parse_int("--max-redirect", arg, 0, 1000, &v)) {
				rc = CLI_EXIT_USAGE;
				goto done;
			}
			o.max_redirect = v;
			break;
		case OPT_ALLOW_DOWNGRADE:
			o.allow_downgrade = true;
			break;
		case OPT_OUTPUT:
			o.output = arg;
			break;
		case OPT_REMOTE_NAME:
			o.remote_name = true;
			break;
		case OPT_CONTINUE:
			o.resume = true;
			break;
		case OPT_COMPRESSED:
			o.compressed = true;
			break;
		case OPT_QUIET:
			o.quiet = true;
			break;
		case OPT_SERVER_RESPONSE:
			o.show_headers = true;
			break;
		case OPT_VERBOSE:
			o.verbose++;
			cli_g.verbose++;
			break;
		case OPT_CONNECT_TIMEOUT:
		case OPT_TIMEOUT:
		case OPT_RETRY_DELAY:
			if (cli_parse_duration_ms(c == OPT_CONNECT_TIMEOUT
							  ? "--connect-timeout"
						  : c == OPT_TIMEOUT
							  ? "--timeout"
							  : "--retry-delay",
						  arg, &v)) {
				rc = CLI_EXIT_USAGE;
				goto done;
			}
			if (v > 1 << 30)
				v = 1 << 30;
			if (c == OPT_CONNECT_TIMEOUT)
				o.connect_timeout_ms = (int)v;
			else if (c == OPT_TIMEOUT)
				o.idle_timeout_ms = v ? (int)v : -1;
			else
				o.retry_delay_ms = v;
			break;
		case OPT_RETRY:
			if (cli_parse_int("--retry", arg, 0, 1000, &v)) {
				rc = CLI_EXIT_USAGE;
				goto done;
			}
			o.retries = v;
			break;
		case OPT_CA_FILE:
			o.ca_file = arg;
			break;
		case OPT_INSECURE:
			o.insecure = true;
			break;
		case OPT_MAX_HEAD:
			if (cli_parse_size("--max-head", arg, &v)) {
				rc = CLI_EXIT_USAGE;
				goto done;
			}
			if (v < 64 || v > 16 << 20) {
				cli_errorf("--max-head: '%s' is not from 64 "
					   "to 16m",
					   arg);
				rc = CLI_EXIT_USAGE;
				goto done;
			}
			o.max_head = (size_t)v;
			break;
		default:
			break;
		}
	}
	if (optind != argc - 1) {
		cli_errorf("get: %s", optind >= argc ? "missing URL"
						     : "one URL at a time");
		fprintf(stderr, "usage: %s\n", get_help.synopsis);
		rc = CLI_EXIT_USAGE;
		goto done;
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

	/* Where the body goes. */
	if (o.output && strcmp(o.output, "-")) {
		run.out_path = o.output;
	} else if (!o.output &&
		   (o.remote_name || (!o.head && isatty(STDOUT_FILENO)))) {
		name = malloc(SKIT_URL_MAX);
		if (!name) {
			rc = CLI_EXIT_FAIL;
			goto done;
		}
		skit_url_filename(url, name, SKIT_URL_MAX);
		run.out_path = name;
		if (!o.quiet && !o.remote_name)
			cli_errorf("stdout is a terminal: saving to '%s'",
				   name);
	}
	if (o.resume && !run.out_path) {
		cli_errorf("get: -c needs an output file (-O FILE or "
			   "--remote-name)");
		rc = CLI_EXIT_USAGE;
		goto done;
	}

	run.method = method	   ? method
		     : o.head	   ? "HEAD"
		     : o.have_data ? "POST"
				   : "GET";
	run.body = o.data;
	run.body_len = o.data_len;
	run.send_body = o.have_data;
	if (o.have_data && !has_ctype)
		o.headers[o.nheaders++] =
			"Content-Type: application/x-www-form-urlencoded";
	run.headers = o.headers;
	run.nheaders = o.nheaders;
	run.cap = o.max_head + BUF_SIZE;
	run.buf = malloc(run.cap);
	if (!run.buf) {
		cli_errorf("get: out of memory");
		rc = CLI_EXIT_FAIL;
		goto done;
	}

	skit_err_clear(&err);
	rc = run_get(&run, url, &err);
	if (rc < 0) {
		report(&err, &o);
		rc = cli_exit_for(err.code ? err.code : rc);
	} else {
		rc = CLI_EXIT_OK;
	}
done:
	cli_getopt_done(&st);
	skit_tls_ctx_free(run.tls);
	free(run.buf);
	free(run.dbuf);
	free(url);
	free(name);
	free(data_buf);
	free(o.headers);
	return rc;
}
