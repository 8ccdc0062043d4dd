/*
 * skit/http.h - HTTP/1.1 client pieces as pure functions over bytes.
 *
 * Nothing here does I/O, allocates or keeps global state, so every
 * function can be unit-tested and fuzzed on its own:
 *
 *   skit_url_parse / skit_url_resolve / skit_url_format
 *                              http:// and https:// URLs, RFC 3986
 *                              reference resolution for Location
 *   skit_http_request_build    the request head a client sends
 *   skit_http_parse_head       a response status line and headers,
 *                              with limits on size and header count
 *   skit_http_body_mode        how the body is framed (RFC 9112 6.3)
 *   skit_chunked_step          a streaming chunked-body decoder that
 *                              keeps the trailer fields
 *   skit_http_content_range    "bytes A-B/N" of a 206 response
 *   skit_http_codings          which codings a response's body has,
 *                              and whether skit can undo them
 *   skit_http_decoder_*        a streaming gzip/deflate decoder
 *                              (init/feed/finish) for the content
 *                              codings
 *
 * The decoder is the one exception to "no allocation": it holds zlib's
 * state, freed by skit_http_decoder_free.
 *
 * Errors: SKIT_EADDR for URLs (err->column points at the problem),
 * SKIT_EHTTP for malformed responses, SKIT_ELIMIT when a head or a
 * trailer section goes over its limit, SKIT_ECODING for a coding skit
 * cannot decode or coded data that is corrupt, SKIT_ETRUNC for coded
 * data that ends early.
 */
#ifndef SKIT_HTTP_H
#define SKIT_HTTP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "skit/addr.h"
#include "skit/err.h"

/* --- URLs --------------------------------------------------------------- */

enum skit_url_scheme {
	SKIT_URL_HTTP = 0,
	SKIT_URL_HTTPS,
};

#define SKIT_URL_MAX 8192 /* longest URL text and request-target accepted */

/*
 * A parsed http(s) URL. The fragment is dropped (it never goes on the
 * wire). target is the request-target: the path (at least "/") and the
 * query, with spaces and bytes >= 0x80 percent-encoded.
 */
struct skit_url {
	enum skit_url_scheme scheme;
	char host[SKIT_HOST_MAX]; /* name or literal, IPv6 without [] */
	bool host_is_ipv6;	  /* the URL had a [v6] literal */
	bool port_explicit;	  /* the URL said :PORT */
	uint16_t port;		  /* effective port (80/443 by default) */
	char target[SKIT_URL_MAX];
};

/*
 * Parse an absolute http:// or https:// URL into *out. The scheme is
 * case-insensitive; the host is lower-cased. Userinfo ("user:pw@") is
 * rejected: credentials in URLs leak into logs and redirects.
 * Returns 0, or SKIT_EADDR with err filled (op "bad URL", subject the
 * text, detail the problem, column the 1-based position).
 */
int skit_url_parse(const char *text, struct skit_url *out,
		   struct skit_err *err);

/*
 * Resolve a reference (a Location header value) against base, as RFC
 * 3986 section 5 says: absolute URLs, "//host/path", "/path",
 * "relative/path", "?query" and "" (the base itself) all work, and dot
 * segments are removed. ref need not be NUL-terminated. Returns 0 or
 * SKIT_EADDR.
 */
int skit_url_resolve(const struct skit_url *base, const char *ref,
		     size_t ref_len, struct skit_url *out,
		     struct skit_err *err);

/*
 * Write u as text: "https://example.org/a?b", "http://[::1]:8080/".
 * The default port is left out. Returns the length needed (like
 * snprintf); buf is always NUL-terminated when len > 0.
 */
int skit_url_format(const struct skit_url *u, char *buf, size_t len);

/*
 * Write the "Host:" header value: the host (IPv6 in brackets) and the
 * port when it is not the scheme's default. Returns the length needed.
 */
int skit_url_authority(const struct skit_url *u, char *buf, size_t len);

/*
 * The file name a download of u would get (like wget): the last path
 * segment, percent-decoded, or "index.html" when it is empty, ".", ".."
 * or would contain a '/' or NUL. Returns the length needed.
 */
int skit_url_filename(const struct skit_url *u, char *buf, size_t len);

/*
 * The address of u's host and port in skit's grammar, for
 * skit_addr_parse(): "tcp:example.org:443", "tcp:[::1]:8080" (family
 * "tcp4:"/"tcp6:" when family is AF_INET/AF_INET6). Returns the length
 * needed.
 */
int skit_url_addr_text(const struct skit_url *u, int family, char *buf,
		       size_t len);

/* --- Requests ----------------------------------------------------------- */

/*
 * A request to build. headers are the user's "Name: value" lines; one
 * whose name matches a default header (Host, User-Agent, Accept,
 * Connection, Accept-Encoding) replaces it, and "Name:" with an empty
 * value removes that default header (like curl -H). content_length < 0
 * sends no Content-Length; range_from >= 0 sends "Range: bytes=N-".
 */
struct skit_http_req {
	const char *method; /* "GET" when NULL */
	const struct skit_url *url;
	const char *const *headers;
	size_t nheaders;
	const char *user_agent;	     /* NULL: no User-Agent */
	const char *accept_encoding; /* NULL: no Accept-Encoding */
	long long content_length;
	long long range_from;
};

/*
 * Write the request head (request line, headers, blank line) into buf.
 * Returns the length written, SKIT_ETOOLONG when buf is too small, or
 * SKIT_EOPTION (err filled) when a method or header line is malformed
 * (no colon, CR/LF inside, bad token) so no header can be injected.
 */
int skit_http_request_build(const struct skit_http_req *r, char *buf,
			    size_t len, struct skit_err *err);

/* --- Responses ---------------------------------------------------------- */

#define SKIT_HTTP_MAX_HEADERS  100	   /* header (and trailer) fields */
#define SKIT_HTTP_HEAD_DEFAULT (64 * 1024) /* default limit on a head */

/* A header field: pointers into the parsed buffer, not NUL-terminated. */
struct skit_http_field {
	const char *name;
	size_t name_len;
	const char *value; /* leading and trailing whitespace trimmed */
	size_t value_len;
};

struct skit_http_resp {
	int version;	    /* 10 for HTTP/1.0, 11 for HTTP/1.1 */
	int status;	    /* 100..999 */
	const char *reason; /* into the buffer */
	size_t reason_len;
	size_t head_len; /* bytes of the head, blank line included */
	size_t nfields;
	struct skit_http_field field[SKIT_HTTP_MAX_HEADERS];

	/* Derived from the fields by skit_http_parse_head: */
	long long content_length; /* -1 when absent */
	bool chunked;		  /* Transfer-Encoding ends in chunked */
	bool has_te;		  /* any Transfer-Encoding at all */
	bool conn_close;	  /* Connection: close, or HTTP/1.0 */
};

/*
 * Parse a response head at the start of buf[0..len). Accepts CRLF and
 * bare LF line ends. Returns:
 *   > 0           the head is complete; that many bytes were the head
 *                 (*out filled, its pointers point into buf)
 *   0             incomplete: read more (only while len < max_head)
 *   SKIT_ELIMIT   the head is longer than max_head bytes or has more
 *                 than SKIT_HTTP_MAX_HEADERS fields
 *   SKIT_EHTTP    malformed (status line, field syntax, conflicting
 *                 Content-Length, obsolete line folding)
 * err (may be NULL) gets op "HTTP response" and a detail.
 */
ssize_t skit_http_parse_head(const char *buf, size_t len, size_t max_head,
			     struct skit_http_resp *out, struct skit_err *err);

/*
 * The first field named name (case-insensitive), or NULL.
 */
const struct skit_http_field *
skit_http_field_get(const struct skit_http_resp *r, const char *name);

/* True when name names a field (case-insensitive). */
bool skit_http_field_is(const struct skit_http_field *f, const char *name);

enum skit_http_body {
	SKIT_HTTP_BODY_NONE = 0, /* HEAD, 1xx, 204, 304 */
	SKIT_HTTP_BODY_LENGTH,	 /* exactly content_length bytes */
	SKIT_HTTP_BODY_CHUNKED,	 /* chunked transfer coding */
	SKIT_HTTP_BODY_CLOSE,	 /* until the server closes */
};

/*
 * How the body of r is framed, for a request with method head_request
 * (true for HEAD). Follows RFC 9112 section 6.3.
 */
enum skit_http_body skit_http_body_mode(const struct skit_http_resp *r,
					bool head_request);

/*
 * Parse a Content-Range value "bytes FIRST-LAST/TOTAL" (TOTAL may be
 * "*": *total = -1). Returns 0 or SKIT_EHTTP.
 */
int skit_http_content_range(const char *v, size_t len, long long *first,
			    long long *last, long long *total);

/* --- Chunked bodies ----------------------------------------------------- */

#define SKIT_CHUNKED_TRAILER_MAX 8192 /* trailer section bytes kept */
#define SKIT_CHUNKED_LINE_MAX	 4096 /* a chunk-size line with extensions */

/*
 * Decoder state. Zero it (or skit_chunked_init) before the first call.
 * trailer holds the trailer section's field lines as received, each
 * ending in "\n" (CR removed), ntrailers counts them.
 */
struct skit_chunked {
	int state;
	uint64_t left;	 /* data bytes left in this chunk */
	size_t line_len; /* bytes seen on the current framing line */
	bool size_digit; /* the size line had at least one hex digit */
	size_t trailer_len;
	unsigned ntrailers;
	uint64_t total; /* data bytes decoded so far */
	char trailer[SKIT_CHUNKED_TRAILER_MAX];
};

void skit_chunked_init(struct skit_chunked *c);

/*
 * Feed len bytes of chunked body. The decoder consumes *used bytes of
 * in (0 < *used <= len when len > 0) and points *data and *data_len at the
 * body data among them (a span inside in; *data_len may be 0 when only
 * framing was consumed). Call again with the rest of in. Returns 0 to
 * go on, 1 when the last chunk and the trailers are done (bytes after
 * that are not part of the body), SKIT_EHTTP on bad framing,
 * SKIT_ELIMIT when a size line or the trailers are too long.
 */
int skit_chunked_step(struct skit_chunked *c, const char *in, size_t len,
		      size_t *used, const char **data, size_t *data_len,
		      struct skit_err *err);

/* True when the decoder has seen the whole body. */
bool skit_chunked_done(const struct skit_chunked *c);

/* --- Codings ------------------------------------------------------------ */

/*
 * The content codings skit decodes (RFC 9110 section 8.4.1). br, zstd,
 * compress and unknown names are refused by skit_http_codings.
 */
enum skit_coding {
	SKIT_CODING_GZIP = 1, /* "gzip", "x-gzip": RFC 1952 members */
	SKIT_CODING_DEFLATE,  /* "deflate": a zlib stream (RFC 1950), or a
				 bare deflate stream (RFC 1951) as browsers
				 also accept */
};

#define SKIT_CODINGS_MAX 4 /* stacked content codings undone */

/* A body's content codings, in the order the server applied them. */
struct skit_http_codings {
	unsigned n; /* 0: the body is the content as it is */
	enum skit_coding coding[SKIT_CODINGS_MAX];
};

/*
 * Check the codings of response r and list its content codings in *out.
 * Transfer-Encoding may hold only "chunked" (once, last) and "identity":
 * skit never asks for another transfer coding (it sends no TE header).
 * Content-Encoding may hold "gzip", "x-gzip", "deflate" and "identity"
 * (skipped); several fields add up to one list. Names are
 * case-insensitive. Returns:
 *   0             *out filled
 *   SKIT_ECODING  a coding skit cannot decode, named in err->detail:
 *                 "unsupported Content-Encoding 'br'", "unsupported
 *                 Transfer-Encoding 'gzip'", or more than
 *                 SKIT_CODINGS_MAX content codings
 *   SKIT_EHTTP    "chunked" twice or not last
 * Call it only for a response that has a body (skit_http_body_mode).
 */
int skit_http_codings(const struct skit_http_resp *r,
		      struct skit_http_codings *out, struct skit_err *err);

/* "gzip" or "deflate" (static strings). */
const char *skit_coding_name(enum skit_coding c);

/* --- Decoding content codings ------------------------------------------- */

/* Opaque: one zlib inflate stream per coding, and buffers between them. */
struct skit_http_decoder;

/*
 * A decoder that undoes the codings in c, last applied first (so
 * "Content-Encoding: gzip, deflate" is inflated, then gunzipped).
 * *out is the caller's, to free with skit_http_decoder_free. Allocates
 * about 60 KiB per coding. Does not block. Returns 0, -ENOMEM, or
 * SKIT_ECODING when c has no coding or more than SKIT_CODINGS_MAX.
 */
int skit_http_decoder_init(struct skit_http_decoder **out,
			   const struct skit_http_codings *c,
			   struct skit_err *err);

/*
 * Feed len bytes of the coded body and decode into out[0..cap). On
 * return *used bytes of in were consumed and *out_len bytes written.
 * The call stops when all of in is consumed and out still has room, or
 * when out is full (*out_len == cap): call again with the rest of in
 * (an empty rest too) until *used == len and *out_len < cap. Then every
 * byte decodable so far has been written.
 *
 * A gzip body may hold several members one after the other (as gzip -c
 * a b writes); any other byte after the end of the coded data is an
 * error. Returns 0, or SKIT_ECODING with err->detail saying what is
 * wrong ("corrupt gzip data (invalid block type)", "bytes after the
 * end of the deflate data"), or -ENOMEM.
 */
int skit_http_decoder_feed(struct skit_http_decoder *d, const void *in,
			   size_t len, size_t *used, void *out, size_t cap,
			   size_t *out_len, struct skit_err *err);

/*
 * The body has ended (its framing says so). Returns 0 when every coded
 * stream ended too, or the body was empty (no byte fed: empty content);
 * SKIT_ETRUNC ("the body ended inside the gzip data") when one did not.
 */
int skit_http_decoder_finish(struct skit_http_decoder *d, struct skit_err *err);

/* Bytes fed in and decoded out so far (for -v). */
void skit_http_decoder_totals(const struct skit_http_decoder *d,
			      unsigned long long *in, unsigned long long *out);

/* Free d and its zlib state. NULL is allowed. */
void skit_http_decoder_free(struct skit_http_decoder *d);

#ifdef __cplusplus
}
#endif

#endif
