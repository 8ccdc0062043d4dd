/*
 * trace.c - the narration behind `skit --trace` / `-vv` (skit/io.h).
 *
 * Every socket and fd call of the I/O and socket layer reports one line,
 * "call(args) = result", as strace would write it, with symbolic names
 * for constants. A bulk transfer makes the same call on the same fd
 * thousands of times: each thread keeps a small table keyed by (call,
 * fd) that lets the first TRACE_SHOWN calls through and then counts,
 * and reports the count and the bytes moved as one line when that fd is
 * closed, or when skit_trace_flush() is called (the command's end).
 * Errors other than EAGAIN and an end of file are always shown.
 *
 * The hook and the flag are process-wide, set once at start-up before
 * any thread exists; the tables are per thread (_Thread_local), so no
 * lock is taken on a traced call and nothing at all when tracing is
 * off.
 */
#include "skit/io.h"
#include "core/trace_int.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "skit/err.h"

#define TRACE_SHOWN 3 /* calls of one (call, fd) shown before counting */
#define TRACE_SLOTS 16

static skit_trace_fn trace_fn;
static void *trace_data;

struct trace_slot {
	const char *call; /* a string literal: compared by address */
	int fd;
	unsigned shown;
	bool moves; /* its results are bytes moved */
	unsigned long long more, bytes, again;
};

static _Thread_local struct trace_slot slots[TRACE_SLOTS];

void
skit_trace_set(skit_trace_fn fn, void *data)
{
	trace_fn = fn;
	trace_data = data;
}

bool
skit__trace_on(void)
{
	return trace_fn != NULL;
}

static void
emit(const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	trace_fn(trace_data, line);
}

void
skit__trace(const char *fmt, ...)
{
	va_list ap;

	if (!trace_fn)
		return;
	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

/* 1234567 -> "1,234,567" */
static const char *
grouped(unsigned long long v, char *buf, size_t len)
{
	char digits[32];
	size_t n = (size_t)snprintf(digits, sizeof(digits), "%llu", v), o = 0;

	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static void
slot_flush(struct trace_slot *s)
{
	char calls[40], bytes[40], again[48] = "";

	if (s->call && s->more) {
		if (s->again)
			snprintf(again, sizeof(again), ", %s EAGAIN",
				 grouped(s->again, bytes, sizeof(bytes)));
		if (s->moves)
			say("... %s more %s(%d) calls, %s bytes%s",
			    grouped(s->more, calls, sizeof(calls)), s->call,
			    s->fd, grouped(s->bytes, bytes, sizeof(bytes)),
			    again);
		else
			say("... %s more %s(%d) calls%s",
			    grouped(s->more, calls, sizeof(calls)), s->call,
			    s->fd, again);
	}
	memset(s, 0, sizeof(*s));
}

void
skit_trace_flush(void)
{
	if (!trace_fn)
		return;
	for (int i = 0; i < TRACE_SLOTS; i++)
		slot_flush(&slots[i]);
}

void
skit__trace_fd_done(int fd)
{
	for (int i = 0; i < TRACE_SLOTS; i++)
		if (slots[i].call && slots[i].fd == fd)
			slot_flush(&slots[i]);
}

/*
 * Is this one of the repeated calls to count rather than show? Errors
 * other than EAGAIN and results of 0 (an end of file, a closed peer)
 * are always shown.
 */
static bool
counted(const char *call, int fd, long long ret, bool moves)
{
	struct trace_slot *s = NULL, *free_slot = NULL;

	if (ret == 0 || (ret < 0 && ret != -EAGAIN))
		return false;
	for (int i = 0; i < TRACE_SLOTS && !s; i++) {
		if (slots[i].call == call && slots[i].fd == fd)
			s = &slots[i];
		else if (!slots[i].call && !free_slot)
			free_slot = &slots[i];
	}
	if (!s) {
		s = free_slot;
		if (!s) {
			/* all taken: the first one says what it counted */
			s = &slots[0];
			slot_flush(s);
		}
		s->call = call;
		s->fd = fd;
		s->moves = moves;
	}
	if (s->shown < TRACE_SHOWN) {
		s->shown++;
		return false;
	}
	s->more++;
	if (ret > 0)
		s->bytes += (unsigned long long)ret;
	else
		s->again++;
	return true;
}

static void
call_say(const char *call, long long ret, const char *fmt, va_list ap)
{
	char args[256];

	vsnprintf(args, sizeof(args), fmt, ap);
	if (ret < 0)
		say("%s(%s) = -1 %s", call, args, skit_errname((int)ret));
	else
		say("%s(%s) = %lld", call, args, ret);
}

void
skit__trace_io(const char *call, int fd, long long ret, const char *fmt, ...)
{
	va_list ap;

	if (!trace_fn || counted(call, fd, ret, true))
		return;
	va_start(ap, fmt);
	call_say(call, ret, fmt, ap);
	va_end(ap);
}

void
skit__trace_call(const char *call, int fd, long long ret, const char *fmt, ...)
{
	va_list ap;

	if (!trace_fn || counted(call, fd, ret, false))
		return;
	va_start(ap, fmt);
	call_say(call, ret, fmt, ap);
	va_end(ap);
}

const char *
skit__trace_flags(char *buf, size_t len, unsigned v,
		  const struct skit__flag_name *names)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; names->name; names++) {
		if (!(v & names->bit))
			continue;
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
				      o ? "|" : "", names->name);
		v &= ~names->bit;
	}
	if (v || !o)
		snprintf(buf + (o < len ? o : len - 1), o < len ? len - o : 1,
			 "%s%#x", o ? "|" : "", v);
	return buf;
}

static const struct skit__flag_name poll_events[] = {
	{ POLLIN, "POLLIN" },	  { POLLOUT, "POLLOUT" },
	{ POLLPRI, "POLLPRI" },	  { POLLERR, "POLLERR" },
	{ POLLHUP, "POLLHUP" },	  { POLLRDHUP, "POLLRDHUP" },
	{ POLLNVAL, "POLLNVAL" }, { 0, NULL }
};

const char *
skit__trace_pollfds(char *buf, size_t len, const struct pollfd *fds, size_t n)
{
	size_t o = 0;
	char ev[64];

	o += (size_t)snprintf(buf, len, "[");
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(
			buf + o, len - o, "%s%d %s", i ? ", " : "", fds[i].fd,
			skit__trace_flags(
				ev, sizeof(ev),
				(unsigned)(unsigned short)fds[i].events,
				poll_events));
	if (o < len)
		snprintf(buf + o, len - o, "]");
	return buf;
}
