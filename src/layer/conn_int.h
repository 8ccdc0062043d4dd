/*
 * src/layer/conn_int.h - conn internals for the relay engine: a
 * transport whose input is pushed in by the caller instead of read from
 * an fd (a datagram listener hands each peer's messages to that peer's
 * pair). Not installed.
 */
#ifndef SKIT_CONN_INT_H
#define SKIT_CONN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "skit/conn.h"

/* From now on the transport's input comes from skit__conn_feed only. */
void skit__conn_set_pushed(struct skit_conn *c);

/*
 * Offer one message as the transport's next input. It is not copied:
 * the caller keeps it alive and calls skit__conn_fed() after its recv
 * calls to learn whether it was taken (then or never: the caller drops
 * it, and skit__conn_feed(c, NULL, 0) withdraws it).
 */
void skit__conn_feed(struct skit_conn *c, const void *msg, size_t len);

/* Is the fed message still waiting to be read? */
bool skit__conn_fed(const struct skit_conn *c);

#endif
