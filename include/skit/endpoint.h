/*
 * skit/endpoint.h - open any address of the grammar as fds for the
 * relay engine (relay.h): sockets (through skit_open), "-" (stdio),
 * file:, pipe, exec: and sh:.
 *
 *   kind            fds                            type
 *   tcp, unix, ...  one socket, rfd == wfd         SOCK_STREAM, ...
 *   -, stdio        rfd 0, wfd 1 (not owned)       0 (or the socket type
 *                                                  when stdin is a socket)
 *   file:PATH       read-only, or write-only with  0
 *                   create/append/trunc
 *   pipe            an anonymous pipe: what is     0
 *                   written comes back (echo)
 *   pipe:PATH       a fifo (created if missing),   0
 *                   opened read-write
 *   exec:PROG ARGS  a child on a socketpair: its   SOCK_STREAM
 *                   stdin and stdout, argv split
 *                   on blanks ('...' "..." \x quote), no shell
 *   sh:COMMAND      the same through /bin/sh -c    SOCK_STREAM
 *
 * Children inherit only fds 0, 1 (the socketpair) and 2 (skit's
 * stderr); every other fd is closed in the child. SIGPIPE is reset to
 * the default there and the signal mask cleared. Children are not
 * reaped automatically: call skit_endpoint_wait().
 *
 * skit_endpoint_open blocks (DNS, connect); skit_endpoint_open_async
 * does the same on an event loop: a connecting socket is a dial
 * (skit/dial.h, with the address's retry policy), every other kind
 * opens on the loop's next turn.
 */
#ifndef SKIT_ENDPOINT_H
#define SKIT_ENDPOINT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <sys/types.h>

#include "skit/addr.h"
#include "skit/dial.h"
#include "skit/err.h"
#include "skit/loop.h"
#include "skit/relay.h"
#include "skit/sock.h"

/* Flags for skit_endpoint_open(). */
enum {
	SKIT_EP_READ = 1 << 0,	   /* the relay reads from it */
	SKIT_EP_WRITE = 1 << 1,	   /* the relay writes to it */
	SKIT_EP_NONBLOCK = 1 << 2, /* sockets: returned O_NONBLOCK */
	SKIT_EP_NUMERIC = 1 << 3,  /* sockets: no DNS (SKIT_OPEN_NUMERIC) */
};

struct skit_endpoint {
	enum skit_kind kind;
	int rfd;	/* -1 when none (or moved to a relay end) */
	int wfd;	/* -1 when none; == rfd for sockets */
	int type;	/* SOCK_* for sockets, 0 for other fds */
	bool listening; /* a listen-role socket: accept() or recvfrom() it */
	bool stdio;	/* rfd/wfd are the process's 0 and 1 */
	pid_t pid;	/* exec:/sh: child, 0 when none */
	struct skit_sockaddr local; /* sockets: own address (len 0: none) */
	struct skit_sockaddr peer;  /* connected sockets: the peer */
	int saved_fl[2];	    /* stdio: fcntl flags to restore */
};

/*
 * Open address a. default_role applies when a does not say (relay: a
 * side is a listener only with a "-listen" kind, so CONNECT). flags:
 * SKIT_EP_READ / SKIT_EP_WRITE say which ways the relay will use it
 * (0 means both; file: picks its open mode from them), plus the socket
 * flags. env (may be NULL): extra "NAME=value" strings, NULL-terminated,
 * added to an exec:/sh: child's environment (e.g. SKIT_PEER=...).
 * Returns 0 with *ep filled, or a negative code with err filled and
 * nothing left open. May block (DNS, connect).
 */
int skit_endpoint_open(const struct skit_addr *a, enum skit_role default_role,
		       unsigned flags, char *const *env,
		       struct skit_endpoint *ep, struct skit_err *err);

/*
 * The asynchronous open: an operation on a loop, one callback at the
 * end.
 */
struct skit_endpoint_op;

/*
 * The open is over: code 0 and *ep, which is now the callback's (a
 * value: copy it, hand it to a relay end with skit_endpoint_to_end, or
 * skit_endpoint_close it), or a negative code with err (ep NULL).
 * Called once, unless cancelled first. The operation is freed when this
 * returns (skit_endpoint_open_cancel from inside is a no-op).
 */
typedef void (*skit_endpoint_cb)(struct skit_endpoint_op *op, int code,
				 struct skit_endpoint *ep,
				 const struct skit_err *err, void *data);

struct skit_endpoint_async {
	enum skit_role default_role; /* as skit_endpoint_open's */
	unsigned flags;		     /* SKIT_EP_*, as skit_endpoint_open's */
	char *const *env;	     /* exec:/sh: extras, copied at start */
	const struct skit_resolver *res; /* sockets: name-lookup hook */
	skit_endpoint_cb on_done;	 /* required */
	/* A connecting socket's dial retries (retry=, forever): told first,
	 * with data (see skit_dial_retry_cb). May be NULL. */
	skit_dial_retry_cb on_retry;
	void *data;
};

/*
 * Open a like skit_endpoint_open, without blocking loop: a socket that
 * connects is dialled (Happy Eyeballs, names looked up in the library's
 * thread, connect-timeout=, retry=/interval=/forever: skit/dial.h);
 * every other kind (stdio, file:, pipe, exec:, sh:, listeners, packet
 * and unconnected sockets, none of which waits on the network) is opened
 * from a 0 ms timer, on the loop's next turn. cfg is copied. Returns 0
 * and *out (for skit_endpoint_open_cancel), or a negative code with err
 * filled and no callback to come. Never calls back from inside.
 */
int skit_endpoint_open_async(struct skit_loop *loop, const struct skit_addr *a,
			     const struct skit_endpoint_async *cfg,
			     struct skit_endpoint_op **out,
			     struct skit_err *err);

/*
 * Stop an open in progress: a dial is cancelled (its attempts closed),
 * nothing is opened any more, no callback runs after this returns; op
 * is freed. NULL is allowed.
 */
void skit_endpoint_open_cancel(struct skit_endpoint_op *op);

/*
 * Hand the endpoint's fds to a relay end: fills *end (own = true except
 * for stdio) and marks ep's fds as moved (-1), so skit_endpoint_close()
 * will not close them. Returns 0 or a negative code.
 */
int skit_endpoint_to_end(struct skit_endpoint *ep, struct skit_relay_end *end);

/*
 * Close what the endpoint still holds (fds not moved to a relay end)
 * and restore stdio's file status flags (the relay sets O_NONBLOCK).
 * Does not wait for a child. Safe to call twice.
 */
void skit_endpoint_close(struct skit_endpoint *ep);

/*
 * Reap the exec:/sh: child: with block, wait for it; without, only
 * check. Returns 1 and *status (waitpid status, may be NULL) when it
 * was reaped, 0 when it still runs (or there is none), or -errno.
 */
int skit_endpoint_wait(struct skit_endpoint *ep, bool block, int *status);

/*
 * Split an exec: command line into argv: blanks separate words, '...'
 * and "..." quote, a backslash quotes the next character. Writes at
 * most max - 1 pointers into argv (NULL-terminated) pointing into buf
 * (size len, receives the unquoted words). Returns the word count, or
 * -EINVAL (unbalanced quote, empty) / -E2BIG.
 */
int skit_exec_split(const char *cmd, char *buf, size_t len, char **argv,
		    int max);

#ifdef __cplusplus
}
#endif

#endif
