/*
 * cli/ping/ping.h - what `skit ping`'s two halves share: the ICMP echo in
 * cmd_ping.c and the transport round trips (tcp:, udp:, unix:) in
 * ping_transport.c. Statistics and the summary live in ping_stats.c.
 */
#ifndef SKIT_CLI_PING_H
#define SKIT_CLI_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define PING_TOKEN_LEN 8

struct ping_opts {
	int family;
	long long count; /* 0 = forever */
	long long interval_ms;
	long long timeout_ms;
	long long deadline_ms; /* 0 = none */
	long long size;
	long long ttl; /* 0 = system default */
	uint8_t pattern[16];
	size_t pattern_len;
	bool quiet, timestamp, numeric, json;
	int sock_flags;
	const char *target;
};

struct ping_stats {
	uint64_t sent, received, dups, errors, late, reordered;
	double *rtts;
	size_t nrtts, rtts_cap;
	int64_t start_mono, end_mono;
};

/* CLOCK_MONOTONIC in ns. */
int64_t ping_mono_ns(void);

/* The address options ping implements (cmd_ping.c, next to its table). */
extern const uint64_t ping_addr_opts;

/* Record one round trip time (ms). 0 or -ENOMEM. */
int ping_stats_add(struct ping_stats *st, double ms);

/*
 * The summary: iputils' lines plus p50/p90/p99, or a JSON "summary"
 * object. Sorts st->rtts.
 */
void ping_summary(const struct ping_opts *o, struct ping_stats *st,
		  const char *address, const char *socket_kind);

/* -D: "[UNIX.usec] " before a line. */
void ping_line_prefix(const struct ping_opts *o);

/* "time": UNIX time with microseconds, into a JSON object. */
void ping_json_time(struct cli_json *j);

/* True when target names a transport (tcp:, udp:, unix: ...). */
bool ping_is_transport(const char *target);

/* Run the transport ping; returns the exit code. */
int ping_transport(const struct ping_opts *o);

#endif
