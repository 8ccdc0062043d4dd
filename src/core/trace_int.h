/*
 * trace_int.h - how the I/O and socket layer narrates its calls
 * (trace.c; the public hook is skit_trace_set in skit/io.h).
 */
#ifndef SKIT_TRACE_INT_H
#define SKIT_TRACE_INT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * One trace line through the hook of skit_trace_set (skit/io.h), and
 * whether one is set (internal: declared here, not in the public
 * header, so libskit.so does not export them).
 */
void skit__trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool skit__trace_on(void);

/*
 * One call that may repeat (read, send, splice, epoll_wait, ...): shown
 * as "call(ARGS) = ret" (ret < 0: "= -1 ENAME"), where ARGS is fmt
 * formatted; after the first few of one (call, fd) only counted, and
 * summed up when fd is closed or the trace is flushed. call must be a
 * string literal (compared by address). Costs one test when tracing is
 * off; callers that format arguments check skit__trace_on() first.
 */
void skit__trace_io(const char *call, int fd, long long ret, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));

/*
 * The same for a call whose result is not a byte count (poll,
 * epoll_wait, fcntl, close, ...): its summary has no bytes.
 */
void skit__trace_call(const char *call, int fd, long long ret, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

/* fd is closed: report what was counted on it. */
void skit__trace_fd_done(int fd);

/* Flag names for skit__trace_flags; the table ends with { 0, NULL }. */
struct skit__flag_name {
	unsigned bit;
	const char *name;
};

/* "MSG_NOSIGNAL|MSG_DONTWAIT" (unknown bits in hex, "0" for none). */
const char *skit__trace_flags(char *buf, size_t len, unsigned v,
			      const struct skit__flag_name *names);

/* "[5 POLLIN, 3 POLLIN]": the fds a poll() waits on. */
struct pollfd;
const char *skit__trace_pollfds(char *buf, size_t len, const struct pollfd *fds,
				size_t n);

#endif
