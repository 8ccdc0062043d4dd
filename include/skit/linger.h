/*
 * skit/linger.h - a lingering close: end a connection without a reset.
 *
 * close() of a TCP socket that still has unread data in its receive
 * buffer sends RST instead of FIN, and a peer that gets the RST may lose
 * what was written to it a moment before (the kernel drops its unread
 * data and the unsent rest of ours). A server that closes a client
 * before reading everything it sent (an exec child that answered
 * without reading the whole request, a max-conns refusal) closes
 * lingering instead:
 *
 *   shutdown(SHUT_WR)   the peer reads our data, then EOF
 *   read and discard    until the peer's EOF (or an error), or ms pass
 *   close()
 *
 * The peer sees every byte and a clean end. Memory is bounded: what
 * arrives is read into a small stack buffer and dropped.
 */
#ifndef SKIT_LINGER_H
#define SKIT_LINGER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "skit/loop.h"

/*
 * Close the stream or seqpacket socket fd lingering, on loop, for at
 * most ms milliseconds (ms <= 0: a plain close now). fd becomes the
 * loop's at once, whatever happens: if loop watches it, that watcher is
 * dropped (its data stays the caller's). When the peer has already
 * said EOF, or the socket is not connected, fd is closed before this
 * returns; else it waits on loop, and skit_loop_free() closes it if
 * the loop goes first (skit_loop_own). Never blocks. Returns 0, or the
 * -errno of a close() done at once.
 */
int skit_linger_close(struct skit_loop *loop, int fd, int64_t ms);

#ifdef __cplusplus
}
#endif

#endif
