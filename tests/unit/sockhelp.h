/*
 * sockhelp.h - small helpers shared by the socket-layer unit tests
 * (test_sock.c, test_resolve.c, test_connect.c, test_unix.c). Include
 * after cmocka.h. Everything is static: each test is its own program.
 */
#ifndef SKIT_TEST_SOCKHELP_H
#define SKIT_TEST_SOCKHELP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skit/addr.h"
#include "skit/err.h"
#include "skit/io.h"
#include "skit/sock.h"

/* Parse text or fail the test with the parser's message. */
static inline void
th_parse(const char *text, enum skit_role role, struct skit_addr *a)
{
	struct skit_err err;
	char msg[512];
	int r;

	skit_err_clear(&err);
	r = skit_addr_parse(text, role, a, &err);
	if (r != 0) {
		skit_err_format(&err, msg, sizeof(msg));
		fail_msg("parse '%s': %s", text, msg);
	}
}

/* skit_open(text) in role; fails the test when it does not work. */
static inline int
th_open(const char *text, enum skit_role role, int flags,
	struct skit_sockaddr *local, struct skit_sockaddr *peer)
{
	struct skit_addr a;
	struct skit_err err;
	char msg[512];
	int fd;

	th_parse(text, role, &a);
	fd = skit_open(&a, role, flags, NULL, local, peer, &err);
	if (fd < 0) {
		skit_err_format(&err, msg, sizeof(msg));
		fail_msg("open '%s': %s (%s)", text, msg, skit_errname(fd));
	}
	return fd;
}

/* skit_open(text) expected to fail: returns the code, err filled. */
static inline int
th_open_err(const char *text, enum skit_role role, int flags,
	    const struct skit_resolver *res, struct skit_err *err)
{
	struct skit_addr a;
	int fd;

	th_parse(text, role, &a);
	fd = skit_open(&a, role, flags, res, NULL, NULL, err);
	if (fd >= 0) {
		close(fd);
		fail_msg("open '%s' unexpectedly worked", text);
	}
	return fd;
}

/* The address text of a skit_sockaddr (static buffer per call site). */
static inline const char *
th_str(const struct skit_sockaddr *sa, char *buf, size_t len)
{
	int r = skit_sockaddr_str(sa, buf, len);

	assert_true(r > 0);
	assert_true((size_t)r < len);
	return buf;
}

/* A private directory for socket files, removed by th_rmdir. */
static inline void
th_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/skit-test-XXXXXX");
	assert_non_null(mkdtemp(buf));
}

static inline void
th_rmdir(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Is IPv6 loopback usable here? */
static inline bool
th_have_ipv6(void)
{
	FILE *f = fopen("/proc/net/if_inet6", "r");
	char line[256];
	bool lo = false;

	if (!f)
		return false;
	while (!lo && fgets(line, sizeof(line), f))
		lo = strncmp(line, "00000000000000000000000000000001", 32) ==
		     0;
	fclose(f);
	return lo;
}

#endif
