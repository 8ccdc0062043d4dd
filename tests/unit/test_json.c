/*
 * test_json.c - the JSON reader (skit/json.h): every kind of value,
 * escapes and surrogate pairs to UTF-8, nesting and its limit, the
 * errors (with their byte offset), and a skit bench --json line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skit/json.h"

static struct skit_json *
parse_ok(const char *text)
{
	struct skit_json *v = NULL;
	struct skit_err err;

	if (skit_json_parse(text, strlen(text), &v, &err) != 0)
		fail_msg("'%s': %s", text, err.detail);
	return v;
}

static void
parse_bad(const char *text, const char *detail)
{
	struct skit_json *v = (struct skit_json *)1;
	struct skit_err err;

	assert_int_equal(skit_json_parse(text, strlen(text), &v, &err),
			 SKIT_EPROTO);
	assert_null(v);
	if (!strstr(err.detail, detail))
		fail_msg("'%s': '%s' has no '%s'", text, err.detail, detail);
}

static void
test_values(void **state)
{
	struct skit_json *v;

	(void)state;
	v = parse_ok(" {\"n\": -12.5e1, \"t\": true, \"f\": false, \"z\": null,"
		     " \"s\": \"a\\\"b\\\\c\\/\\n\", \"a\": [1, [], {}],"
		     " \"n\": 7}\n");
	assert_int_equal(v->type, SKIT_JSON_OBJ);
	assert_true(skit_json_num(skit_json_get(v, "n"), 0) == -125);
	assert_true(skit_json_get(v, "t")->b);
	assert_false(skit_json_get(v, "f")->b);
	assert_int_equal(skit_json_get(v, "z")->type, SKIT_JSON_NULL);
	assert_string_equal(skit_json_str(skit_json_get(v, "s"), ""),
			    "a\"b\\c/\n");
	assert_int_equal(skit_json_get(v, "a")->n, 3);
	assert_true(skit_json_num(skit_json_at(skit_json_get(v, "a"), 0), 0) ==
		    1);
	assert_null(skit_json_at(skit_json_get(v, "a"), 3));
	assert_null(skit_json_get(v, "missing"));
	assert_null(skit_json_get(skit_json_get(v, "a"), "n"));
	assert_true(skit_json_num(skit_json_get(v, "s"), 42) == 42);
	assert_string_equal(skit_json_str(skit_json_get(v, "n"), "d"), "d");
	skit_json_free(v);
	v = parse_ok("0");
	assert_true(v->num == 0);
	skit_json_free(v);
	skit_json_free(NULL);
}

static void
test_unicode(void **state)
{
	struct skit_json *v;

	(void)state;
	v = parse_ok("\"\\u00e9\\u20ac\\ud83d\\ude00x\"");
	assert_string_equal(v->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80x");
	assert_int_equal(v->n, 10);
	skit_json_free(v);
	parse_bad("\"\\ud800\"", "lone surrogate");
	parse_bad("\"\\udc00\"", "lone surrogate");
	parse_bad("\"\\u0000\"", "NUL");
	parse_bad("\"\\u12\"", "escape");
	parse_bad("\"a\tb\"", "control character");
}

static void
test_errors(void **state)
{
	char deep[2 * SKIT_JSON_MAX_DEPTH + 8];
	struct skit_json *v;
	size_t n = 0;

	(void)state;
	parse_bad("", "expected a value");
	parse_bad("{\"k\" 1}", "byte 5: expected ':'");
	parse_bad("[1,]", "expected a value");
	parse_bad("[1 2]", "expected ',' or ']'");
	parse_bad("{\"a\":1,}", "expected a key");
	parse_bad("01", "text after the value");
	parse_bad("1.", "expected a digit");
	parse_bad("-", "expected a value");
	parse_bad("tru", "expected a value");
	parse_bad("\"abc", "unterminated");
	parse_bad("{} x", "text after the value");
	for (int i = 0; i < SKIT_JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < SKIT_JSON_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	v = parse_ok(deep);
	skit_json_free(v);
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	deep[n + 1] = ']';
	deep[n + 2] = '\0';
	parse_bad(deep, "nested too deep");
}

/* What skit bench --json writes reads back. */
static void
test_bench_line(void **state)
{
	struct skit_json *v;

	(void)state;
	v = parse_ok(
		"{\"mode\":\"rr\",\"seconds\":1.00001,\"latency_us\":"
		"{\"p50\":25.327},\"spectrum\":{\"percentile\":[0,8.66654],"
		"\"latency_us\":[11.6,12.1]},\"command\":"
		"\"skit bench 'a b'\"}");
	assert_string_equal(skit_json_str(skit_json_get(v, "mode"), ""), "rr");
	assert_true(skit_json_num(skit_json_get(skit_json_get(v, "latency_us"),
						"p50"),
				  0) == 25.327);
	assert_int_equal(
		skit_json_get(skit_json_get(v, "spectrum"), "percentile")->n,
		2);
	skit_json_free(v);
}

/* The writer: any bytes in, valid UTF-8 JSON out, read back the same. */
static void
test_quote(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "l1\nl2\r\t", 7, "\"l1\\nl2\\r\\t\"" },
		{ "\x01\x7f", 2, "\"\\u0001\\u007f\"" },
		{ "\0x", 2, "\"\\u0000x\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		/* not UTF-8: a lone continuation, a cut sequence, an overlong,
		 * a surrogate, beyond U+10FFFF, 0xff */
		{ "\x80", 1, "\"\\ufffd\"" },
		{ "\xc3", 1, "\"\\ufffd\"" },
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"" },
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "a\xff"
		  "b",
		  3, "\"a\\ufffdb\"" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t n = skit_json_quote(buf, sizeof(buf), cases[i].in,
					   cases[i].len);

		assert_string_equal(buf, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		assert_true(skit_utf8_valid(buf, n));
		assert_int_equal(skit_utf8_valid(cases[i].in, cases[i].len),
				 strstr(cases[i].out, "ufffd") == NULL);
	}
	/* too small: cut, NUL-terminated, and the length it needs */
	assert_int_equal(skit_json_quote(buf, 4, "abcdef", 6), 8);
	assert_string_equal(buf, "\"ab");
	assert_int_equal(skit_json_quote(NULL, 0, "ab", 2), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bench_line),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
