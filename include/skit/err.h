/*
 * skit/err.h - error codes and the error record every fallible call fills.
 *
 * Every fallible libskit function returns an int or ssize_t: >= 0 means
 * success (an fd, a count), a negative value is an error code:
 *
 *   -errno                     a system call failed (-ECONNREFUSED, ...)
 *   SKIT_EAI_* (-11001 ...)    name resolution failed (getaddrinfo's EAI_*)
 *   SKIT_E*    (-12001 ...)    a toolkit error (address syntax, HTTP, TLS...)
 *
 * skit_strerror() and skit_errname() describe any of them; the names
 * ("ECONNREFUSED", "EADDR") are stable and used in tests and JSON.
 */
#ifndef SKIT_ERR_H
#define SKIT_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

/*
 * Resolver errors: X(NAME, number, message). The code is -(11000 + number).
 * skit_err_from_gai() maps a getaddrinfo() return value onto these.
 */
#define SKIT_EAI_TABLE(X)                                              \
	X(EAI_NONAME, 1, "name or service not known")                  \
	X(EAI_AGAIN, 2, "temporary failure in name resolution")        \
	X(EAI_FAIL, 3, "non-recoverable failure in name resolution")   \
	X(EAI_FAMILY, 4, "address family not supported for this name") \
	X(EAI_SERVICE, 5, "service not known for this socket type")    \
	X(EAI_NODATA, 6, "name has no address")                        \
	X(EAI_MEMORY, 7, "out of memory while resolving")              \
	X(EAI_OTHER, 8, "name resolution failed")

/*
 * Toolkit errors: X(NAME, number, message). The code is -(12000 + number).
 * Add a row to add an error; skit_strerror/skit_errname follow.
 */
#define SKIT_ETK_TABLE(X)                                               \
	X(EADDR, 1, "bad address")                                      \
	X(EOPTION, 2, "bad option")                                     \
	X(EKIND, 3, "operation not supported for this kind of address") \
	X(ETOOLONG, 4, "name too long")                                 \
	X(EHTTP, 5, "bad HTTP response")                                \
	X(ETLS, 6, "TLS failure")                                       \
	X(ETLSVERIFY, 7, "TLS certificate verification failed")         \
	X(EPROTO, 8, "protocol error")                                  \
	X(ETRUNC, 9, "data cut short")                                  \
	X(ESTALE_NOT_SOCKET, 10, "path exists and is not a socket")     \
	X(ELIVE, 11, "a live server is listening on this socket")       \
	X(ENOREPLY, 12, "no reply")                                     \
	X(ELIMIT, 13, "limit exceeded")                                 \
	X(EREDIRECT, 14, "too many redirects or redirect loop")         \
	X(EHTTPSTATUS, 15, "server returned an error status")           \
	X(EDOWNGRADE, 16, "redirect from https to http refused")        \
	X(EUSER, 17, "unknown user or group")                           \
	X(ECODING, 18, "unsupported or corrupt content coding")         \
	X(EFULL, 19, "the receiver's queue is full")

#define SKIT_EAI_BASE 11000
#define SKIT_ETK_BASE 12000

enum skit_errcode {
#define SKIT_X_(name, num, msg) SKIT_##name = -(SKIT_EAI_BASE + (num)),
	SKIT_EAI_TABLE(SKIT_X_)
#undef SKIT_X_
#define SKIT_X_(name, num, msg) SKIT_##name = -(SKIT_ETK_BASE + (num)),
		SKIT_ETK_TABLE(SKIT_X_)
#undef SKIT_X_
};

/* True when code is in the resolver range. */
#define SKIT_IS_EAI(code) \
	((code) <= -(SKIT_EAI_BASE + 1) && (code) > -(SKIT_EAI_BASE + 1000))

/*
 * A human description of any code (negative errno, SKIT_EAI_*, SKIT_E*).
 * Returns a static string; never NULL. 0 gives "success".
 */
const char *skit_strerror(int code);

/*
 * A stable symbolic name: "ECONNREFUSED", "EAI_NONAME", "EADDR".
 * Returns a static string; never NULL ("EUNKNOWN" for unknown codes).
 */
const char *skit_errname(int code);

/* Map a getaddrinfo() return value (and errno for EAI_SYSTEM) to a code. */
int skit_err_from_gai(int gai, int saved_errno);

/*
 * The error record. Calls that touch an address take a trailing
 * struct skit_err * (may be NULL) and fill it on failure, so the CLI can
 * say operation, subject and reason:
 *
 *   connect tcp:[::1]:80: Connection refused
 *   bad address 'tcp:host': missing ':PORT'
 *
 * op is the operation ("connect", "bind", "bad address", ...), subject
 * the address in skit's own form or the text being parsed, detail an
 * optional reason that replaces skit_strerror(code), column the 1-based
 * position in subject the error points at (0 when none).
 */
struct skit_err {
	int code;
	int column;
	char op[32];
	char subject[256];
	char detail[512];
};

/* Clear an error record (all fields empty, code 0). NULL is allowed. */
void skit_err_clear(struct skit_err *err);

/*
 * Fill err (may be NULL) and return code, so a caller can write
 *   return skit_err_set(err, -errno, "connect", addrtext);
 */
int skit_err_set(struct skit_err *err, int code, const char *op,
		 const char *subject);

/* Like skit_err_set, with a printf-style detail replacing strerror. */
int skit_err_setf(struct skit_err *err, int code, const char *op,
		  const char *subject, int column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * Write the one-line message into buf (always NUL-terminated):
 *   "<op> <subject>: <reason>"             for system and resolver errors
 *   "<op> '<subject>': <detail>"           for SKIT_EADDR / SKIT_EOPTION
 * Returns buf.
 */
char *skit_err_format(const struct skit_err *err, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
