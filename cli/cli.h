/*
 * cli/cli.h - what every subcommand shares.
 *
 * How to add a subcommand:
 *   1. write cli/cmd_<name>.c with one entry point
 *        int cmd_<name>(int argc, char **argv);
 *      argv[0] is the command name; return an exit code (enum cli_exit);
 *   2. describe its options in a const struct cli_opt table and parse
 *      them with cli_getopt(), so `skit <name> --help` is generated
 *      from the table (cli_usage) and stays true;
 *   3. add a row, in sorted order, to the commands[] table in
 *      cli/main.c and a declaration below;
 *   4. add docs/<name>.md (every --long option of its --help must
 *      appear there; it becomes skit-<name>(1)), a paragraph in
 *      docs/skit.md (skit(1)), and
 *      tests/cli/<name>.bats; tests/cli/docs.bats checks the first two
 *      for every command `skit --help` lists;
 *   5. if it can run for long, give it a case in tests/cli/signals.bats:
 *      SIGINT/SIGTERM end it at once unless it registers files
 *      (cli_stop_unlink) or owes work and watches cli_stop_fd() in every
 *      wait (cli_stop_watch; see below and cli/stop.c).
 * The command only uses libskit's public headers (include/skit/).
 */
#ifndef SKIT_CLI_H
#define SKIT_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "skit/skit.h"

/* Exit codes (DESIGN.md section 5, documented in docs/skit.md). */
enum cli_exit {
	CLI_EXIT_OK = 0,      /* success */
	CLI_EXIT_FAIL = 1,    /* the operation failed (no reply, HTTP status) */
	CLI_EXIT_USAGE = 2,   /* usage or address syntax */
	CLI_EXIT_RESOLVE = 3, /* name resolution */
	CLI_EXIT_REFUSED = 4, /* refused or unreachable */
	CLI_EXIT_TIMEOUT = 5, /* timed out */
	CLI_EXIT_PERM = 6,    /* permission */
	CLI_EXIT_RESET = 7,   /* connection reset or data cut short */
	CLI_EXIT_TLS = 8,     /* TLS */
};

/* Map any libskit error code to the exit code it deserves. */
int cli_exit_for(int code);

/*
 * An option row. name is the long name ("timeout"); shortopt its short
 * letter or 0; arg the value's placeholder ("SECS") or NULL for a flag;
 * help one line. id is what cli_getopt returns for it, whichever form
 * was given (the short letter when there is one, else a value >= 256;
 * a row with a short letter may still use an id >= 256).
 */
struct cli_opt {
	const char *name;
	int shortopt;
	const char *arg;
	int id;
	const char *help;
};

/*
 * A command's description for --help: synopsis lines (after "usage: "),
 * a paragraph, the option table (terminated by a row with name NULL),
 * and optional trailing text (examples).
 */
/*
 * An option users bring from another tool (curl, wget, nc) that this
 * command does not take: refused as any unknown option, then `hint:`.
 * flag is "-o" or "--long".
 */
struct cli_habit {
	const char *flag;
	const char *hint;
};

struct cli_help {
	const char *name;
	const char *synopsis;
	const char *about;
	const struct cli_opt *opts;
	const char *extra;
	/*
	 * Accept options after operands too (GNU permutation), as users of
	 * ping, curl and wget expect: `skit ping 127.0.0.1 -c 3`. Leave it
	 * false for commands whose operands may start with '-' (messages,
	 * command lines); "--" ends options either way.
	 */
	bool permute;
	const struct cli_habit *habits; /* ends with { NULL } */
};

/* Print --help text generated from h to f. */
void cli_usage(FILE *f, const struct cli_help *h);

/*
 * getopt_long over h->opts, plus -h/--help (prints usage to stdout and
 * returns -2 so the caller exits 0). Returns the option's id, -1 at the
 * end of options, '?' on a bad option (a message was printed; exit 2).
 * *optarg_out receives the value. Call repeatedly like getopt_long;
 * state lives in the struct.
 */
struct cli_getopt_state {
	bool started;
	char shortopts[128];
	struct option *longopts;
};
int cli_getopt(int argc, char **argv, const struct cli_help *h,
	       struct cli_getopt_state *st, const char **optarg_out);
void cli_getopt_done(struct cli_getopt_state *st);

/* Diagnostics to stderr, prefixed "skit: " (or "skit <cmd>: "). */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print err as "skit: <message>" (with a caret line under the address
 * for syntax errors) and return cli_exit_for(err->code).
 */
int cli_report(const struct skit_err *err);

/*
 * A command's dial (skit/dial.h) with the address's retry policy and
 * its one retry line, the same in every command: skit_dial with
 * on_retry printing "skit: <why>; retry N of M in X ms" on stderr
 * ("retry N in X ms" with forever), always (a wait the user should see).
 * cfg may set flags, addrs, time-out and retries (0: the address's);
 * on_retry and data are the helper's. Returns the fd or a code, as
 * skit_dial.
 */
int cli_dial(const struct skit_addr *a, struct skit_dial_cfg *cfg, int stopfd,
	     struct skit_dial_result *res, struct skit_err *err);

/*
 * The one retry line: "skit: <why>; retry N of M in X ms" ("retry N in
 * X ms" when of is SKIT_DIAL_FOREVER). cli_dial and get print it.
 */
void cli_retry_line(const struct skit_err *why, int attempt, long long of,
		    long long delay_ms);

/* The retries a dial of a makes: retry=, or SKIT_DIAL_FOREVER. */
long long cli_retry_of(const struct skit_addr *a);

/*
 * A serve's report (skit/serve.h) as every server says it, on stderr:
 * "CMD: refused PEER: --max-conns N reached", "CMD: refused PEER:
 * DENIED" (what refused it: "outside range="), "CMD: accept on LOCAL:
 * <reason>; pausing accept for 100 ms", ... dgram: the listener is a
 * datagram socket (a peer's datagram is dropped, not a client refused).
 */
void cli_serve_event(const char *cmd, const struct skit_serve_event *ev,
		     bool dgram, const char *local, const char *denied,
		     size_t msg_max);

/*
 * A forward's or relay's end e as a conn, for a command to put layers
 * on (crnl, WebSocket): e's conn when it has one, or else a new conn
 * over e's fds, which the pair then owns as it owned the fds. 0 and
 * *out, or a negative code (e unchanged). On a later failure the
 * forward frees the conn with the end (skit/forward.h on_ends).
 */
int cli_end_conn(struct skit_relay_end *e, struct skit_conn **out);

/* The --hex dump of buf (offset: of its first byte), 16 bytes a line,
 * each line led by dir ("<", ">"). */
void cli_hexdump(FILE *f, const char *dir, uint64_t offset, const void *buf,
		 size_t len);

/*
 * Time limits (docs/exit-codes.md, "Time limits"). A datagram sender
 * waits this long for a full receiver when its command has no time
 * limit of its own (-w, -T, --timeout, -W).
 */
#define CLI_SEND_WAIT_MS 5000

/* ms as seconds for messages: "2", "0.5", "0.25". Returns buf. */
const char *cli_secs(long long ms, char *buf, size_t len);

/*
 * The two ends a time limit gives a command, each one line on stderr,
 * both exit 5 (the return value):
 *   "skit: OP SUBJECT: idle for N s, closing"
 *   "skit: OP SUBJECT: the receiver's queue is full (EAGAIN) after N s"
 * the second with a hint naming opt, the option that sets the limit
 * ("-w", "--timeout"; NULL: no hint).
 */
int cli_report_idle(const char *op, const char *subject, long long ms);
int cli_report_full(const char *op, const char *subject, long long ms,
		    const char *opt);

/*
 * Failed I/O says operation, object and reason: cli_io_error prints
 * "skit: <op> <object>: <strerror>" ("write to stdout", "read from
 * stdin", "write '/tmp/x'") and returns cli_exit_for(code).
 */
int cli_io_error(const char *op, const char *object, int code);

/*
 * A write to stdout failed with code (-errno): say "skit: write to
 * stdout: <reason>" (once per run) and return 1. A reader that went
 * away (-EPIPE: `skit ping ... | head`) ends skit quietly, as SIGPIPE
 * would if skit did not ignore it: no message, and 0.
 */
int cli_stdout_failed(int code);

/*
 * Flush stdout: 0 when everything printed so far has been written, else
 * the negative code, reported by cli_stdout_failed; what could not be
 * written is dropped. Commands that print as they go call it after each
 * record and stop once cli_g.stdout_code is set; main flushes and
 * closes stdout after every command (a full disk shows only there when
 * the output fits in stdio's buffer).
 */
int cli_stdout_flush(void);

/*
 * How the end of a relay pair is told (cli_relay_error).
 *   side  side[0] and side[1] name sides A and B in an I/O error
 *         ("skit: write to SIDE: <reason>"); NULL is our own stdin/stdout
 *         (stdout's errors go through cli_stdout_failed)
 *   op, addr  a time limit names the pair by op and the addresses of
 *         its sides, NULL where a side has none ("relay A B", "connect
 *         tcp:..."; cli_report_idle), and a full receiver by op and its
 *         own address (cli_report_full)
 *   opt   the option that sets the wait for a full receiver ("-w", "-T"),
 *         named in the hint
 */
struct cli_relay_names {
	const char *side[2];
	const char *op;
	const char *addr[2];
	const char *opt;
};

/*
 * Report why a relay pair ended with an error (st->error set) or an idle
 * time-out (reason IDLE): a full receiver (SKIT_EFULL) and an idle
 * time-out as docs/exit-codes.md "Time limits" says, any other error as
 * "skit: write to SIDE: <reason>". Returns the exit code it deserves.
 */
int cli_relay_error(const struct skit_relay_stats *st,
		    const struct cli_relay_names *n);

/* Parse helpers: 0 on success, else a message was printed (exit 2). */
int cli_parse_int(const char *opt, const char *s, long long min, long long max,
		  long long *out);
int cli_parse_duration_ms(const char *opt, const char *s, long long *out);
int cli_parse_size(const char *opt, const char *s, long long *out);
/* A size from min to max bytes; 0, or prints and returns -1. */
int cli_parse_size_range(const char *opt, const char *s, long long min,
			 long long max, long long *out);

/* --allow/--deny CIDR: add it to acl; 0, or prints and returns 2 (1 when
 * out of memory). */
int cli_acl_add(struct skit_acl *acl, bool allow, const char *text);

/*
 * Refuse an address option the command does not implement: supported is
 * the command's mask (next to its option table), cmd its name ("skit
 * echo"). 0, or prints the error (pointing at the option) and returns 2.
 */
int cli_addr_check(const struct skit_addr *a, uint64_t supported,
		   const char *cmd);

/*
 * NDJSON output: one object per line. Build one object with
 * cli_json_begin, add fields, cli_json_end writes "}\n" and flushes.
 * f NULL: the object goes to stderr, in one write (events of commands
 * whose stdout is the data: connect, listen).
 */
struct cli_json {
	FILE *f;
	int n;
	/* cli_json_begin(j, NULL): built in memory, written to stderr in
	 * one write by cli_json_end (stderr is shared with children) */
	char *mem;
	size_t memlen;
	bool to_stderr;
};
void cli_json_begin(struct cli_json *j, FILE *f);
void cli_json_str(struct cli_json *j, const char *key, const char *val);
void cli_json_strn(struct cli_json *j, const char *key, const char *val,
		   size_t len);
void cli_json_int(struct cli_json *j, const char *key, long long val);
void cli_json_uint(struct cli_json *j, const char *key, unsigned long long val);
void cli_json_double(struct cli_json *j, const char *key, double val);
void cli_json_bool(struct cli_json *j, const char *key, bool val);
void cli_json_null(struct cli_json *j, const char *key);
/* A raw, already-valid JSON value (an array or object built elsewhere). */
void cli_json_raw(struct cli_json *j, const char *key, const char *json);
/*
 * A message's bytes: "payload" when they are text (valid UTF-8 without
 * control characters other than tab and line ends), else "payload_hex".
 * 0 or -ENOMEM.
 */
int cli_json_payload(struct cli_json *j, const void *p, size_t n);
void cli_json_end(struct cli_json *j);
/*
 * A JSON number as text into b (CLI_NUM_LEN bytes is enough): fixed
 * notation, never an exponent, "null" for NaN and infinities.
 */
#define CLI_NUM_LEN 340
const char *cli_json_num(double val, char *b, size_t len);
/* Write s as a JSON string literal (with quotes) to f. */
void cli_json_quote(FILE *f, const char *s, size_t len);

/*
 * Global flags parsed by main before the command: -v count, etc.
 * stdout_code is the first failed write to stdout (-errno), 0 if none.
 */
struct cli_globals {
	int verbose;
	bool trace;
	bool trace_json; /* --trace=json */
	bool color;
	int stdout_code;
};
extern struct cli_globals cli_g;

/*
 * Drop privileges right after the privileged socket is open: back to the
 * real uid/gid when running setuid/setgid, else clear all capabilities.
 * Returns 0 or -errno.
 */
int cli_drop_privileges(void);

/*
 * Ending on SIGINT, SIGTERM and SIGHUP (cli/stop.c, docs/exit-codes.md):
 * a command ends within a second, then by the signal itself (status
 * 128 + N), after finishing what it owes.
 *
 * cli_stop_init: main() installs the handler before any command runs;
 * until a command calls cli_stop_watch, a stop signal ends the process
 * at once.
 *
 * cli_stop_unlink: remove path (a socket file, a temporary file, made
 * just before) if a signal ends the process, as long as it is still the
 * same file (inode): one another process put there since is left alone.
 * Two paths at most.
 * cli_stop_remove: the normal way out: remove path on the same terms,
 * and forget it.
 * cli_stop_keep: forget path again (renamed into place, or removed).
 *
 * cli_stop_watch: from now on a stop signal makes cli_stop_fd()
 * readable (and it stays so) instead of ending the process; the command
 * watches that fd in every wait, finishes and returns. A second signal,
 * or one second without returning, ends it anyway. 0 or -errno.
 * cli_stop_watch_loop: cli_stop_watch, and cb called on loop when
 * a stop signal has come (a watcher of cli_stop_fd(), which a command
 * removes with skit_loop_del when it stops watching). 0 or -errno.
 * cli_stop_unwatch: back to ending at once, for a command whose work
 * left owes nothing (listen's one-client session, once its socket file
 * is gone); a signal that came before still ends it (cli_stopping).
 * cli_stopping: has a stop signal come?
 *
 * cli_stop_note: a command that took a stop signal itself (sigwait)
 * records it, so the process still ends by it.
 *
 * cli_stop_end: main() passes the command's exit code once it has
 * flushed and closed stdout; after a stop signal it ends the process by
 * that signal, unless writing stdout failed (then rc, which is 1).
 */
/* Seconds on CLOCK_MONOTONIC (durations in messages and JSON). */
double cli_now_s(void);

/* --trace / -vv: the library's trace lines to stderr, as text or JSON. */
void cli_trace_start(bool json);

void cli_stop_init(void);
void cli_stop_unlink(const char *path);
void cli_stop_remove(const char *path);
void cli_stop_keep(const char *path);
int cli_stop_watch(void);
int cli_stop_watch_loop(struct skit_loop *loop, skit_fd_cb cb, void *data);
void cli_stop_unwatch(void);
int cli_stop_fd(void);
bool cli_stopping(void);
void cli_stop_note(int sig);
int cli_stop_end(int rc);

/* The subcommands (sorted). */
int cmd_bench(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_ifaces(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_sniff(int argc, char **argv);
int cmd_sockets(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
