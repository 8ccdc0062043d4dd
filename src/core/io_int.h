/*
 * io_int.h - deadline and fd-mode helpers shared inside libskit (io.c
 * owns them).
 */
#ifndef SKIT_IO_INT_H
#define SKIT_IO_INT_H

#include <stdbool.h>

#include "skit/io.h"
#include "core/trace_int.h" /* skit__trace */

/* Milliseconds on CLOCK_MONOTONIC. */
long long skit__now_ms(void);

/*
 * Milliseconds left until deadline (a skit__now_ms() value; negative
 * means no deadline and gives -1), clamped to what poll() takes.
 */
int skit__left_ms(long long deadline);

/* skit_fd_nonblock (skit/io.h), under the name the engine calls it by. */
static inline int
skit__set_nonblock(int fd, bool on)
{
	return skit_fd_nonblock(fd, on);
}

#endif
