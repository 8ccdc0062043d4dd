/*
 * io_int.h - deadline and fd-mode helpers shared inside libskit (io.c
 * owns them).
 */
#ifndef SKIT_IO_INT_H
#define SKIT_IO_INT_H

#include <stdbool.h>

#include "skit/io.h"

/* Milliseconds on CLOCK_MONOTONIC. */
long long skit__now_ms(void);

/*
 * Milliseconds left until deadline (a skit__now_ms() value; negative
 * means no deadline and gives -1), clamped to what poll() takes.
 */
int skit__left_ms(long long deadline);

/*
 * One trace line through the hook of skit_trace_set (skit/io.h), and
 * whether one is set: the socket and I/O layer's narration.
 */
void skit__trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool skit__trace_on(void);

/* skit_fd_nonblock (skit/io.h), under the name the engine calls it by. */
static inline int
skit__set_nonblock(int fd, bool on)
{
	return skit_fd_nonblock(fd, on);
}

#endif
