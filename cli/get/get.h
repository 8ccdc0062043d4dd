/*
 * cli/get/get.h - the pieces of `skit get` shared by cmd_get.c (options,
 * the request, exit codes), get_show.c (what -v, -S and the messages
 * print while libskit's skit_http_fetch runs) and get_out.c (output
 * file, progress bar).
 */
#ifndef SKIT_CLI_GET_H
#define SKIT_CLI_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "skit/http_client.h"

/* What the options say that the output and the messages need. */
struct get_opts {
	bool head;	   /* --head: the response head is the output */
	bool quiet;	   /* -q */
	bool show_headers; /* -S */
	int verbose;
	bool insecure;
	bool json; /* --json: events on stderr as NDJSON */
};

/* The `skit get` sink's events (skit_http_sink.on_event). */
void get_show_event(const struct skit_http_event *ev, const struct get_opts *o);

/*
 * --json's last event: the final status, body bytes, how long, where
 * the body went (a file's name, "stdout"), the exit code's error.
 */
void get_json_done(int status, long long bytes, double secs, const char *output,
		   const struct skit_err *err);

/*
 * Print a failed fetch's error (the library's "fetch" reads as "get")
 * with a hint when the fix is known.
 */
void get_report(struct skit_err *err, bool compressed);

/*
 * The output: stdout, or a file written through a temporary file that
 * is renamed over the target on success, or (resume) the existing file
 * appended in place.
 */
struct get_out {
	const char *path;   /* NULL: stdout */
	const char *target; /* what the temporary file replaces: path, or
			       the file a symbolic link at path names */
	char tmp[4096];	    /* the temporary file, "" when none */
	/*
	 * A name skit picked (from the URL) never replaces a file: commit
	 * then takes path or, when that appeared meanwhile, the next free
	 * "path.N" (wget's way), into final.
	 */
	bool no_clobber;
	char final[4096];
	int fd;
	bool appending;	    /* resume: writing into path itself */
	long long existing; /* bytes already in path (resume) */
	long long written;  /* body bytes written by this transfer */
	long long received; /* body bytes as sent, before content decoding:
			       what the progress bar counts */
	long long expected; /* body bytes announced, -1 unknown */
	/* progress bar */
	bool progress;
	long long start_ns, last_ms;
	int bar_len;
};

/*
 * The first of name, name.1, name.2, ... that does not exist, into buf
 * (wget's naming when a download would replace a file). 0, or -EEXIST
 * when name.1 to name.999 all exist too.
 */
int get_free_name(const char *name, char *buf, size_t len);

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

/* get's long options (get_opts.c's table, cmd_get.c's switch). */
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
	OPT_JSON,
};

/* get's options, habits and help text (get_opts.c). */
extern const struct cli_help get_help;

#endif
