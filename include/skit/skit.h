/*
 * skit/skit.h - umbrella header for libskit.
 */
#ifndef SKIT_SKIT_H
#define SKIT_SKIT_H

#define SKIT_VERSION "0.1.0"

#include "skit/err.h"
#include "skit/addr.h"
#include "skit/sock.h"
#include "skit/io.h"

/* The library version string, "0.1.0". */
const char *skit_version(void);

#endif
