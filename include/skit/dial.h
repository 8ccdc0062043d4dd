/*
 * skit/dial.h - connect to an address on an event loop: Happy Eyeballs
 * (RFC 8305) with the one retry policy of the address grammar.
 *
 * A dial runs in rounds. A round resolves the address, then connects
 * to what it resolved to the way curl's lib/cf-ip-happy.c does:
 *
 *   RESOLVE   names (tcp:, udp:, icmp:, ip: with a host that is not a
 *             literal, without SKIT_OPEN_NUMERIC) are looked up by
 *             getaddrinfo() (or the skit_resolver hook) in a thread of
 *             the library's own, which reports through an eventfd the
 *             loop watches, so the loop never blocks on DNS. Literals,
 *             unix paths, vsock and the rest are built at once, in the
 *             loop's thread, and never start a thread.
 *   CONNECT   one nonblocking attempt per address, in the resolved
 *             order (families interleaved, see skit_resolve), the next
 *             one stagger_ms after the last while earlier ones are
 *             still pending, at once when one fails; at most 4 in
 *             flight. The first to connect wins and the others are
 *             closed. A unix stream or seqpacket connect that finds the
 *             server's backlog full (EAGAIN) is tried again on a short
 *             timer (1 ms, doubling up to 100 ms) until the round's
 *             time-out: it never blocks. The round's time-out
 *             (connect-timeout=) covers all of its attempts, from the
 *             first one on (not the name lookup).
 *   RETRY     a round that failed with a code skit_dial_retryable()
 *             accepts, while retries are left (retry=N more rounds, or
 *             forever), waits skit_retry_delay() and starts a new round
 *             (a name is looked up again). on_retry, when set, hears of
 *             each one first (skit's -v lines).
 *
 * proxy= (skit/proxy.h): the rounds connect to the proxy (addrs, when
 * given, are the proxy's: skit_resolve resolves the proxy of such an
 * address), and the winner runs the proxy layer's handshake (within
 * connect-timeout=, when set) before on_done hands it over: the fd is
 * then the tunnel to the target. A failed handshake ends the dial
 * with the proxy's code and message; it is not retried.
 *
 * Each attempt's socket is created CLOEXEC and NONBLOCK, gets the
 * address's socket options (skit_sock_apply_opts) and its bind= source
 * (a literal is bound at once; a name in bind= is looked up with a
 * blocking getaddrinfo in the loop's thread: give a literal in loops
 * that must not block). With SKIT_OPEN_NOCONNECT a datagram socket is
 * created and bound but not connected, and wins at once.
 *
 * When every attempt of the last round failed, the error is the last
 * real one with its address (-ETIMEDOUT when the time ran out), and
 * when there were several addresses err->detail lists each one's:
 *   connect tcp:127.0.0.1:80: Connection refused
 *   (detail) "tcp:[::1]:80: Connection refused; tcp:127.0.0.1:80:
 *            Connection refused" ("; +N more" when it does not fit)
 * A failure before connect() on the only address (socket, setsockopt,
 * bind) is reported as that operation. A failed lookup is reported as
 * skit_resolve reports it (op "resolve").
 *
 * Ownership and threads: a dial belongs to its loop's thread; every
 * callback runs from that loop, never from inside skit_dial_start. The
 * winning fd is the on_done callback's. The dial frees itself once
 * on_done returns; skit_dial_cancel() frees it earlier, closing every
 * attempt, without any callback after it returns. The lookup thread
 * holds its own copy of the address and of the hook struct and a
 * reference on what it shares with the dial, so a cancel never waits
 * for getaddrinfo(): the thread finishes on its own and frees what is
 * left. A hook's data must therefore outlive every dial that uses it
 * (static, or for the life of the program), and a hook may be called
 * from that thread. The thread runs with every signal blocked.
 */
#ifndef SKIT_DIAL_H
#define SKIT_DIAL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "skit/addr.h"
#include "skit/err.h"
#include "skit/loop.h"
#include "skit/sock.h"

struct skit_dial;

/* What on_done hands over when the dial connected. */
struct skit_dial_result {
	int fd;			   /* connected; now the callback's to close */
	struct skit_sockaddr peer; /* the address it connected to; type is
				      the socket's (an ICMP socket refused
				      by ping_group_range falls back to
				      SOCK_RAW). skit_sock_local(fd) gives
				      the local end. */
	int attempts;		   /* rounds run: 1 + the retries it took */
};

/*
 * The dial is over: code 0 with res (the fd is yours), or a negative
 * code with err (res NULL). Called exactly once, unless the dial was
 * cancelled first. The dial is freed when this returns: do not use d
 * afterwards (skit_dial_cancel(d) from inside is allowed and a no-op).
 * By then the dial has nothing left on the loop (no watcher, no timer).
 */
typedef void (*skit_dial_cb)(struct skit_dial *d, int code,
			     const struct skit_dial_result *res,
			     const struct skit_err *err, void *data);

/*
 * A round failed with why and round `attempt + 1` starts in delay_ms
 * (attempt counts the retries: 1 for the first). May cancel the dial.
 */
typedef void (*skit_dial_retry_cb)(struct skit_dial *d, int attempt,
				   int64_t delay_ms, const struct skit_err *why,
				   void *data);

/* Special values of skit_dial_cfg fields. */
enum {
	SKIT_DIAL_NONE = -1,	    /* no time-out / no retries */
	SKIT_DIAL_FOREVER = INT_MAX /* retries: without end */
};

/*
 * How to dial. A zeroed struct (plus on_done) does what the address
 * says: connect-timeout=, retry=, forever, interval=.
 */
struct skit_dial_cfg {
	int flags; /* SKIT_OPEN_NONBLOCK (the fd handed over is O_NONBLOCK,
		      else blocking), SKIT_OPEN_NUMERIC, SKIT_OPEN_NOCONNECT */
	const struct skit_resolver *res;   /* name-lookup hook, or NULL */
	const struct skit_resolved *addrs; /* dial these (copied at start)
					      instead of resolving; every
					      round uses them */
	int stagger_ms;			   /* 0: 250 (RFC 8305); at least 10 */
	/* 0: the address's connect-timeout= (none when unset); > 0: this;
	 * SKIT_DIAL_NONE: no limit. Per round, over all its addresses. */
	int64_t connect_timeout_ms;
	/* 0: the address's retry= (forever: SKIT_DIAL_FOREVER); > 0: this
	 * many more rounds; SKIT_DIAL_NONE: one round only. */
	int retries;
	/* 0: the address's interval= (1 s when unset); > 0: this. */
	int64_t interval_ms;
	skit_dial_cb on_done;	     /* required */
	skit_dial_retry_cb on_retry; /* may be NULL */
	void *data;
};

/*
 * Start dialling a (a socket kind; its role is taken as connect) on
 * loop. cfg is copied. Returns 0 with *out set (the handle, for
 * skit_dial_cancel), or a negative code with err filled and no
 * callback to come: SKIT_EKIND when a is not a socket address,
 * -EINVAL without on_done, -ENOMEM. Never blocks; never calls back
 * from inside.
 */
int skit_dial_start(struct skit_loop *loop, const struct skit_addr *a,
		    const struct skit_dial_cfg *cfg, struct skit_dial **out,
		    struct skit_err *err);

/*
 * Stop d: close its attempts, take its timers and watchers off the
 * loop, let go of a lookup in flight (the thread cleans up after
 * itself), and free it. No callback runs after this returns. NULL is
 * allowed.
 */
void skit_dial_cancel(struct skit_dial *d);

/*
 * skit_dial_start on a private loop of its own (the poll backend: no
 * fd of its own), waiting until it is done: the blocking form, for
 * commands and for skit_open. cfg->on_done is ignored; on_retry is
 * called as usual, with cfg->data. stopfd (-1: none) is watched too:
 * when it turns readable (a stop fd, see skit/io.h) every attempt is
 * closed and the dial ends with -ECANCELED (err op "connect"); a name
 * lookup then runs in the lookup thread, so that the stop fd ends that
 * wait too (without one it runs in this thread: nothing could end it
 * early anyway). on_retry may cancel: -ECANCELED too. Returns the fd
 * with *res filled (res may be NULL), or a negative code with err
 * filled. Blocks.
 */
int skit_dial(const struct skit_addr *a, const struct skit_dial_cfg *cfg,
	      int stopfd, struct skit_dial_result *res, struct skit_err *err);

/*
 * The one backoff policy: the wait before retry number attempt + 1
 * (attempt 0 is the first retry) is interval_ms, then twice, four
 * times, and at most eight times that (interval_ms <= 0 means 1 s).
 * Deterministic (no jitter), never overflows.
 */
int64_t skit_retry_delay(int attempt, int64_t interval_ms);

/*
 * Is a dial that failed with code worth another round? Yes for what a
 * server coming (back) up or a network settling cures: refused,
 * unreachable or down networks and hosts, time-outs, resets, a unix
 * socket file that is not there yet, an address not available yet, a
 * DNS "try again". No for everything else (bad addresses and options,
 * permissions, unknown names, out of memory).
 */
bool skit_dial_retryable(int code);

#ifdef __cplusplus
}
#endif

#endif
