/*
 * echo_int.h - internals of the echo server shared by echo.c and its
 * socket-layer part, sock_echo.c.
 */
#ifndef SKIT_ECHO_INT_H
#define SKIT_ECHO_INT_H

/*
 * Give a blocking socket a receive time-out (SO_RCVTIMEO), so a thread
 * blocked in recvfrom() comes back now and then to look at its stop
 * flag. Returns 0 or -errno.
 */
int skit__sock_rcvtimeo(int fd, int ms);

#endif
