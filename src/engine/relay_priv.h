/*
 * src/engine/relay_priv.h - internal helpers of the relay engine. The
 * socket-layer ones it uses (socket type, socketpair, splice pipes,
 * FIONREAD, is-TCP) are implemented in src/net/sock_splice.c and
 * declared with the rest of the socket layer's bottom in
 * net/sock_int.h: a header of engine/ may not be included from net/
 * (scripts/checksrc, the stage order).
 */
#ifndef SKIT_RELAY_PRIV_H
#define SKIT_RELAY_PRIV_H

#include "net/sock_int.h"

#endif
