/*
 * io_int.h - deadline helpers shared inside libskit (io.c owns them).
 */
#ifndef SKIT_IO_INT_H
#define SKIT_IO_INT_H

/* Milliseconds on CLOCK_MONOTONIC. */
long long skit__now_ms(void);

/*
 * Milliseconds left until deadline (a skit__now_ms() value; negative
 * means no deadline and gives -1), clamped to what poll() takes.
 */
int skit__left_ms(long long deadline);

#endif
