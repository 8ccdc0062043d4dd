/*
 * echo_int.h - internals of the echo server. Its socket-layer part
 * (src/net/sock_echo.c: receive time-outs, the interruptible receive,
 * the listener's signal and its handler's per-thread state) is declared
 * in net/sock_int.h: a header of engine/ may not be included from net/
 * (scripts/checksrc, the stage order).
 */
#ifndef SKIT_ECHO_INT_H
#define SKIT_ECHO_INT_H

#include "net/sock_int.h"

#endif
