/*
 * cli/get/get.h - the pieces of `skit get` shared by cmd_get.c (options,
 * redirects, retries), get_conn.c (connect, TLS, timed reads) and
 * get_out.c (output file, progress bar).
 */
#ifndef SKIT_CLI_GET_H
#define SKIT_CLI_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "skit/http.h"
#include "skit/sock.h"
#include "skit/tls.h"

/* Everything the options say. */
struct get_opts {
	int family; /* AF_UNSPEC, AF_INET (-4), AF_INET6 (-6) */
	const char *method;
	bool head;
	const char *data; /* request body (--data / --data-file) */
	size_t data_len;
	bool have_data;
	const char **headers;
	size_t nheaders;
	const char *user_agent;
	long long max_redirect;
	bool allow_downgrade;
	const char *output; /* -O FILE; "-" is stdout */
	bool remote_name;
	bool resume;
	bool compressed; /* --compressed: ask for gzip and deflate */
	bool quiet;
	bool show_headers; /* -S */
	int verbose;
	int connect_timeout_ms; /* -1: none */
	int idle_timeout_ms;	/* -1: none */
	long long retries;
	long long retry_delay_ms;
	const char *ca_file;
	bool insecure;
	size_t max_head;
};

/* One connection: a socket, and a TLS session on it for https. */
struct get_conn {
	int fd;
	struct skit_tls *tls;
	int idle_ms;
};

/*
 * Resolve and connect to u's host (Happy Eyeballs), run the TLS
 * handshake for https with tls (may be NULL for http). Prints -v lines.
 * Returns 0 or a negative code with err filled.
 */
int get_conn_open(struct get_conn *c, const struct skit_url *u,
		  const struct get_opts *o, struct skit_tls_ctx *tls,
		  struct skit_err *err);

/* Read some bytes (> 0), 0 at EOF, or a code (-ETIMEDOUT when idle). */
ssize_t get_conn_read(struct get_conn *c, void *buf, size_t len,
		      struct skit_err *err);

/* Write all of buf; len or a code. */
ssize_t get_conn_write(struct get_conn *c, const void *buf, size_t len,
		       struct skit_err *err);

/* Close (TLS close_notify when clean is true). Safe to call twice. */
void get_conn_close(struct get_conn *c, bool clean);

/*
 * The output: stdout, or a file written through a temporary file that
 * is renamed over the target on success, or (resume) the existing file
 * appended in place.
 */
struct get_out {
	const char *path; /* NULL: stdout */
	char tmp[4096];	  /* the temporary file, "" when none */
	int fd;
	bool appending;	    /* resume: writing into path itself */
	long long existing; /* bytes already in path (resume) */
	long long written;  /* body bytes written by this transfer */
	long long received; /* body bytes as sent, before content decoding:
			       what the progress bar counts */
	long long expected; /* body bytes announced, -1 unknown */
	/* progress bar */
	bool progress;
	long long start_ms, last_ms;
	int bar_len;
};

/* Size of path when it is a regular file, else -1. */
long long get_out_size(const char *path);

/*
 * Open the output for one response. resume_from > 0 appends to path;
 * 0 writes a new temporary file next to path. Returns 0 or a code.
 */
int get_out_open(struct get_out *out, const char *path, long long resume_from,
		 struct skit_err *err);

/* Write body bytes; 0 or a code. Updates the progress bar. */
int get_out_write(struct get_out *out, const void *buf, size_t len,
		  struct skit_err *err);

/* Success: flush, rename the temporary file into place. 0 or a code. */
int get_out_commit(struct get_out *out, struct skit_err *err);

/* Failure: remove the temporary file (a resumed file is kept). */
void get_out_abort(struct get_out *out);

/* Draw or finish the progress bar (stderr is a terminal). */
void get_progress(struct get_out *out, bool final);

#endif
