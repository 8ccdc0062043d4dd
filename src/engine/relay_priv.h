/*
 * src/engine/relay_priv.h - internal helpers of the relay engine and endpoints
 * (src/net/sock_splice.c), kept out of the public headers.
 */
#ifndef SKIT_RELAY_PRIV_H
#define SKIT_RELAY_PRIV_H

#include <stdbool.h>
#include <stddef.h>

/*
 * SO_TYPE of fd: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, ...; 0 when fd
 * is not a socket; -errno on other errors.
 */
int skit__sock_type(int fd);

/*
 * A connected pair of unix sockets of type (SOCK_STREAM, ...), both
 * CLOEXEC. Returns 0 or -errno.
 */
int skit__socketpair(int type, int sv[2]);

/*
 * A CLOEXEC|NONBLOCK pipe for splicing, raised to size bytes with
 * F_SETPIPE_SZ when the kernel allows it (best effort: an unprivileged
 * user over pipe-user-pages-soft keeps the default). Returns the
 * pipe's capacity in bytes, or -errno.
 */
long skit__splice_pipe(int p[2], size_t size);

/*
 * Bytes waiting to be read from fd (FIONREAD: a pipe, a stream socket,
 * a regular file), or -errno when fd cannot tell.
 */
int skit__inq(int fd);

/* Is fd a TCP socket (SO_PROTOCOL)? false when not, or on errors. */
bool skit__is_tcp(int fd);

#endif
