/*
 * skit/skit.h - umbrella header for libskit.
 */
#ifndef SKIT_SKIT_H
#define SKIT_SKIT_H

#ifdef __cplusplus
extern "C" {
#endif

#define SKIT_VERSION "0.1.0"

#include "skit/err.h"
#include "skit/units.h"
#include "skit/acl.h"
#include "skit/addr.h"
#include "skit/sock.h"
#include "skit/io.h"
#include "skit/loop.h"
#include "skit/conn.h"
#include "skit/frame.h"
#include "skit/relay.h"
#include "skit/serve.h"
#include "skit/linger.h"
#include "skit/endpoint.h"
#include "skit/forward.h"
#include "skit/dial.h"
#include "skit/echo.h"
#include "skit/hist.h"
#include "skit/bench.h"
#include "skit/plot.h"
#include "skit/json.h"
#include "skit/http.h"
#include "skit/http_client.h"
#include "skit/tls.h"
#include "skit/icmp.h"
#include "skit/pkt.h"
#include "skit/nl.h"
#include "skit/probe.h"
#include "skit/proxy.h"
#include "skit/proxy_serve.h"

/* The library version string, "0.1.0". */
const char *skit_version(void);

#ifdef __cplusplus
}
#endif

#endif
