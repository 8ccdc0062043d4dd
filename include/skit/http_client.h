/*
 * skit/http_client.h - an HTTP/1.1 client: one call fetches a URL.
 *
 * skit_http_fetch() runs the whole exchange that `skit get` makes, with
 * the pure pieces of skit/http.h, the dial of skit/dial.h and the TLS
 * of skit/tls.h:
 *
 *   DIAL      the URL's host and port (or cfg->via, any stream address
 *             such as unix:/run/app.sock) through skit_dial: Happy
 *             Eyeballs, one round per attempt, connect_timeout_ms per
 *             round; https runs the TLS handshake within the same
 *             connect time-out.
 *   REQUEST   the request head (skit_http_request_build) and the body,
 *             one request per connection ("Connection: close").
 *   HEAD      1xx interim responses are skipped (101 is an error).
 *   REDIRECT  301, 302, 303, 307, 308 with a Location (relative ones
 *             resolved against the current URL) are followed, at most
 *             max_redirects times; a URL seen before is a loop
 *             (SKIT_EREDIRECT), https to http is refused unless
 *             allow_downgrade (SKIT_EDOWNGRADE). 301/302/303 turn any
 *             method but GET and HEAD into a GET without a body;
 *             Authorization, Cookie and Proxy-Authorization headers are
 *             dropped when a redirect leaves the scheme, host and port.
 *   BODY      framed as RFC 9112 says (none, Content-Length, chunked,
 *             until close), gzip and deflate decoded, handed to the
 *             sink as it arrives.
 *   RESUME    range_from > 0 asks for "Range: bytes=N-" with
 *             "Accept-Encoding: identity". A 206 must start at N (its
 *             Content-Range is checked); a 200 is the whole body again
 *             (SKIT_HTTP_EV_RANGE_IGNORED); a 416 whose total is N
 *             means the whole body is already there (res->complete).
 *   RETRY     an attempt that failed on the connection (what
 *             skit_dial_retryable accepts, and a reset, a broken pipe or
 *             a body cut short), on a time-out or with a 5xx status is
 *             tried again, retries more times per URL of the redirect
 *             chain, after skit_retry_delay(attempt, interval_ms): the
 *             one backoff policy of the address grammar. Not once body
 *             bytes reached the sink, unless retry_after_body says the
 *             sink can throw them away (a file written aside); a 206
 *             body that was kept continues where it stopped (the next
 *             Range starts after the bytes delivered).
 *
 * Time limits (in ms; the cfg fields say what 0 and < 0 mean):
 * connect_timeout_ms per attempt for the connect and the TLS
 * handshake; idle_timeout_ms without a byte while waiting for the
 * response or reading the body (-ETIMEDOUT, detail "no data for N
 * ms"); total_timeout_ms for the whole call,
 * retries and their waits included (-ETIMEDOUT, detail "the transfer
 * took longer than N ms"). stopfd (-1: none; see skit/io.h) ends every
 * wait, the name lookup and the retry waits too, with -ECANCELED.
 *
 * The sink. For each response that is the answer (not a 1xx, not a
 * redirect that is followed, not an error status) the fetch calls
 * on_head once, then on_body for each piece of the (decoded) body, then
 * on_end exactly once: with 0 when the body is complete (the sink
 * commits: its return value is the fetch's), or with the failure's
 * negative code (the sink discards what it can; its return value is
 * ignored), also when on_head itself failed. A retry then starts over
 * with a new on_head. A negative return from on_head or on_body ends
 * the fetch with that code (no retry). on_event (may be NULL) hears what a -v
 * trace prints. The pointers in the structs passed to callbacks are valid
 * during the call only.
 *
 * Threads: the call blocks in the caller's thread (the name lookup may
 * run in skit_dial's lookup thread), keeps no state after it returns,
 * and never prints. Errors: a negative code with err filled: those of
 * skit_dial, skit/tls.h and skit/http.h, SKIT_EHTTPSTATUS for a status
 * of 400 or more ("server said 404 Not Found", res->status says
 * which), SKIT_EREDIRECT, SKIT_EDOWNGRADE, SKIT_ETRUNC for a response
 * or body cut short, -ETIMEDOUT, -ECANCELED. op is "fetch" when no
 * lower layer names the operation, the subject the URL.
 */
#ifndef SKIT_HTTP_CLIENT_H
#define SKIT_HTTP_CLIENT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skit/addr.h"
#include "skit/err.h"
#include "skit/http.h"
#include "skit/sock.h"
#include "skit/tls.h"

/* What to ask for. */
struct skit_http_fetch_req {
	const struct skit_url *url;
	const char *method;	    /* NULL: "GET", or "POST" with has_body */
	const char *const *headers; /* "Name: value" lines, see
				       skit_http_req */
	size_t nheaders;
	const char *user_agent; /* NULL: none */
	const void *body;	/* sent with Content-Length when has_body */
	size_t body_len;
	bool has_body;
	bool compressed;      /* send "Accept-Encoding: gzip, deflate" */
	long long range_from; /* > 0: resume from this byte */
};

/* How to fetch. A zeroed struct (stopfd -1) is a sane default. */
struct skit_http_fetch_cfg {
	int family; /* AF_UNSPEC, AF_INET, AF_INET6 */
	/* Dial this stream address instead of the URL's host and port (the
	 * Host header still names the URL's); its connect-timeout=,
	 * retry=, interval= and idle-timeout= apply where the fields below
	 * are 0. NULL: the URL's. */
	const struct skit_addr *via;
	/* These four: 0 takes via's option (none without via); < 0: none */
	int64_t connect_timeout_ms;
	int64_t idle_timeout_ms;
	int retries;		  /* per URL of the redirect chain */
	int64_t interval_ms;	  /* first retry wait; 0: via's, or 1 s */
	int64_t total_timeout_ms; /* <= 0: none */
	int max_redirects;	  /* 0: follow none */
	bool allow_downgrade;	  /* follow https -> http */
	bool retry_after_body;	  /* the sink can discard a failed body */
	size_t max_head;	  /* 0: SKIT_HTTP_HEAD_DEFAULT */
	const struct skit_tls_opts *tls; /* for https; NULL: defaults */
	int stopfd;			 /* -1: none */
	/*
	 * Proxy URLs (skit/proxy.h: socks5://, socks4a://, http://) for
	 * http:// and https:// URLs, NULL: none; the connection is always
	 * a tunnel (HTTP CONNECT, curl's --proxytunnel), TLS inside it.
	 * no_proxy: hosts that go direct, comma-separated ("*": all; an
	 * entry matches the host and its subdomains, a leading dot is
	 * ignored). Not used with via.
	 */
	const char *http_proxy;
	const char *https_proxy;
	const char *no_proxy;
};

/* Does host match the no_proxy list (see skit_http_fetch_cfg)? */
bool skit_http_no_proxy(const char *no_proxy, const char *host);

/* What on_head hears about the response that answers. */
struct skit_http_answer {
	const struct skit_url *url;	   /* the URL that answered */
	const struct skit_http_resp *resp; /* its parsed head */
	const char *head;		   /* the head's bytes */
	size_t head_len;
	enum skit_http_body mode; /* how its body is framed */
	long long range_from;	  /* > 0: the body continues at this byte (206);
				     0: the whole body */
	long long expected;	  /* body bytes on the wire, -1 unknown */
};

/* What a -v trace prints, as it happens. */
enum skit_http_event_kind {
	SKIT_HTTP_EV_CONNECTED,	    /* peer, local */
	SKIT_HTTP_EV_TLS,	    /* tls: the session (verified or not) */
	SKIT_HTTP_EV_REQUEST,	    /* text: the request head */
	SKIT_HTTP_EV_HEAD,	    /* text: a response head, 1xx and
				       redirects too; status */
	SKIT_HTTP_EV_REDIRECT,	    /* status, url: where it goes next */
	SKIT_HTTP_EV_RANGE_IGNORED, /* a 200 to a Range: all of it again */
	SKIT_HTTP_EV_DECODING,	    /* text: "gzip, deflate" */
	SKIT_HTTP_EV_DECODED,	    /* in, out: body bytes coded, decoded */
	SKIT_HTTP_EV_TRAILERS,	    /* text: the chunked trailer lines */
	SKIT_HTTP_EV_RETRY,	    /* attempt (1 = the first retry) of
				       retries, delay_ms, why */
};

struct skit_http_event {
	enum skit_http_event_kind kind;
	const struct skit_url *url; /* the current URL (REDIRECT: the next) */
	int status;
	const char *text;
	size_t len;
	const struct skit_sockaddr *peer, *local;
	const struct skit_tls_info *tls;
	unsigned long long in, out;
	int attempt, retries;
	int64_t delay_ms;
	const struct skit_err *why;
};

/* Where the answer goes (see the top of this file). */
struct skit_http_sink {
	int (*on_head)(const struct skit_http_answer *a, void *data);
	/* received: body bytes so far as they came on the wire (coded) */
	int (*on_body)(const void *buf, size_t len, long long received,
		       void *data);
	int (*on_end)(int code, void *data);
	void (*on_event)(const struct skit_http_event *ev, void *data);
	void *data;
};

/* How it went (also on failure). */
struct skit_http_fetch_result {
	int status;    /* the last HTTP status, 0 before one */
	bool complete; /* resume: the server said it is all there (416);
			  no on_head */
	int redirects; /* followed */
	int retries;   /* waited for, over the whole chain */
};

/*
 * Fetch req->url (see the top of this file). sink->on_body is required;
 * the other callbacks may be NULL. res may be NULL. Returns 0 or a
 * negative code with err filled. Blocks.
 */
int skit_http_fetch(const struct skit_http_fetch_req *req,
		    const struct skit_http_fetch_cfg *cfg,
		    const struct skit_http_sink *sink,
		    struct skit_http_fetch_result *res, struct skit_err *err);

#ifdef __cplusplus
}
#endif

#endif
