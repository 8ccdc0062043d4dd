/*
 * test_err.c - error names, messages and the error record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "skit/err.h"

static void
test_errno_names(void **state)
{
	(void)state;
	assert_string_equal(skit_errname(-ECONNREFUSED), "ECONNREFUSED");
	assert_string_equal(skit_strerror(-ECONNREFUSED), "Connection refused");
	assert_string_equal(skit_errname(0), "OK");
	assert_string_equal(skit_errname(-999999), "EUNKNOWN");
}

static void
test_toolkit_names(void **state)
{
	(void)state;
	assert_string_equal(skit_errname(SKIT_EADDR), "EADDR");
	assert_string_equal(skit_strerror(SKIT_EADDR), "bad address");
	assert_string_equal(skit_errname(SKIT_EAI_NONAME), "EAI_NONAME");
	assert_true(SKIT_IS_EAI(SKIT_EAI_AGAIN));
	assert_false(SKIT_IS_EAI(SKIT_EADDR));
	assert_false(SKIT_IS_EAI(-ENOENT));
}

static void
test_gai_mapping(void **state)
{
	(void)state;
	assert_int_equal(skit_err_from_gai(EAI_NONAME, 0), SKIT_EAI_NONAME);
	assert_int_equal(skit_err_from_gai(EAI_SYSTEM, EMFILE), -EMFILE);
	assert_int_equal(skit_err_from_gai(0, 0), 0);
}

static void
test_format(void **state)
{
	struct skit_err e;
	char buf[256];

	(void)state;
	skit_err_set(&e, -ECONNREFUSED, "connect", "tcp:[::1]:80");
	assert_string_equal(skit_err_format(&e, buf, sizeof(buf)),
			    "connect tcp:[::1]:80: Connection refused");
	skit_err_setf(&e, SKIT_EADDR, "bad address", "tcp:host", 9,
		      "missing ':PORT'");
	assert_string_equal(skit_err_format(&e, buf, sizeof(buf)),
			    "bad address 'tcp:host': missing ':PORT'");
	assert_int_equal(e.column, 9);
	assert_int_equal(skit_err_set(NULL, -EIO, "x", "y"), -EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_toolkit_names),
		cmocka_unit_test(test_gai_mapping),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
