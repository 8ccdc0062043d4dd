/*
 * test_frame.c - the framing codec (src/layer/frame.c): where messages start
 * and end in a byte stream, the headers written in front of them, and
 * that cutting a stream into messages and writing them back gives the
 * same bytes for every framing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "skit/relay.h"

/* One step of the codec over a C string; returns its result. */
static int
next(enum skit_framing f, const char *s, size_t len, bool eof, const char **msg,
     size_t *n, size_t *used)
{
	return skit_frame_next(f, s, len, eof, 1 << 20, msg, n, used);
}

static void
expect(enum skit_framing f, const char *s, bool eof, const char *want_msg,
       size_t want_used)
{
	const char *m = NULL;
	size_t n = 0, used = 0;

	assert_int_equal(next(f, s, strlen(s), eof, &m, &n, &used), 1);
	assert_int_equal(n, strlen(want_msg));
	assert_memory_equal(m, want_msg, n);
	assert_int_equal(used, want_used);
}

static void
test_line_keeps_newline(void **state)
{
	(void)state;
	expect(SKIT_FRAMING_LINE, "one\ntwo\n", false, "one\n", 4);
	/* "\r\n" is kept whole: the message is the line as it came. */
	expect(SKIT_FRAMING_LINE, "a\r\nb", false, "a\r\n", 3);
}

static void
test_line_empty_is_newline(void **state)
{
	(void)state;
	/* An empty line is the message "\n", never an empty message. */
	expect(SKIT_FRAMING_LINE, "\n\nx", false, "\n", 1);
}

static void
test_line_last_without_newline(void **state)
{
	const char *m;
	size_t n, used;

	(void)state;
	/* Not at EOF: wait for the rest of the line. */
	assert_int_equal(
		next(SKIT_FRAMING_LINE, "tail", 4, false, &m, &n, &used), 0);
	/* At EOF: the last line is sent as it is, no "\n" added. */
	expect(SKIT_FRAMING_LINE, "tail", true, "tail", 4);
	/* Nothing at all is no message, even at EOF. */
	assert_int_equal(next(SKIT_FRAMING_LINE, "", 0, true, &m, &n, &used),
			 0);
}

static void
test_line_too_long_is_split(void **state)
{
	size_t len = SKIT_FRAME_MSG_MAX + 10;
	char *b = malloc(len);
	const char *m;
	size_t n, used;

	(void)state;
	assert_non_null(b);
	memset(b, 'x', len);
	b[len - 1] = '\n';
	/* The first SKIT_FRAME_MSG_MAX bytes go; the line goes on. */
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LINE, b, len, false,
					 1 << 20, &m, &n, &used),
			 1);
	assert_ptr_equal(m, b);
	assert_int_equal(n, SKIT_FRAME_MSG_MAX);
	assert_int_equal(used, SKIT_FRAME_MSG_MAX);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LINE, b + used,
					 len - used, false, 1 << 20, &m, &n,
					 &used),
			 1);
	assert_int_equal(n, 10);
	assert_int_equal(m[9], '\n');
	/* A smaller caller limit cuts smaller pieces. */
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LINE, b, len, false, 100,
					 &m, &n, &used),
			 1);
	assert_int_equal(n, 100);
	free(b);
}

static void
test_raw(void **state)
{
	size_t len = SKIT_FRAME_MSG_MAX + 1;
	char *b = calloc(1, len);
	const char *m;
	size_t n, used;

	(void)state;
	assert_non_null(b);
	expect(SKIT_FRAMING_RAW, "a\n\nb", false, "a\n\nb", 4);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_RAW, b, len, false,
					 1 << 20, &m, &n, &used),
			 1);
	assert_int_equal(n, SKIT_FRAME_MSG_MAX);
	free(b);
}

static void
test_len(void **state)
{
	const char *m;
	size_t n, used;

	(void)state;
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN16, "\0\3abcz", 6,
					 false, 100, &m, &n, &used),
			 1);
	assert_int_equal(n, 3);
	assert_memory_equal(m, "abc", 3);
	assert_int_equal(used, 5);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN32, "\0\0\0\0", 4,
					 false, 100, &m, &n, &used),
			 1);
	assert_int_equal(n, 0);
	assert_int_equal(used, 4);
	/* Incomplete: wait, or at EOF an error. */
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN32, "\0\0\0\5ab", 6,
					 false, 100, &m, &n, &used),
			 0);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN32, "\0\0\0\5ab", 6,
					 true, 100, &m, &n, &used),
			 SKIT_ETRUNC);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN16, "\0", 1, true, 100,
					 &m, &n, &used),
			 SKIT_ETRUNC);
	/* A length over the caller's limit. */
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LEN16, "\0\145", 2, false,
					 100, &m, &n, &used),
			 SKIT_ELIMIT);
	assert_int_equal(skit_frame_next(SKIT_FRAMING_LINE, "x", 1, true, 0, &m,
					 &n, &used),
			 -EINVAL);
}

static void
test_hdr(void **state)
{
	unsigned char h[4];

	(void)state;
	assert_int_equal(skit_frame_hdr_len(SKIT_FRAMING_LINE), 0);
	assert_int_equal(skit_frame_hdr_len(SKIT_FRAMING_RAW), 0);
	assert_int_equal(skit_frame_hdr_len(SKIT_FRAMING_LEN16), 2);
	assert_int_equal(skit_frame_hdr_len(SKIT_FRAMING_LEN32), 4);
	/* LINE and RAW: nothing around the message (written verbatim). */
	assert_int_equal(skit_frame_hdr(SKIT_FRAMING_LINE, 5, h), 0);
	assert_int_equal(skit_frame_hdr(SKIT_FRAMING_LEN32, 0x01020304, h), 4);
	assert_memory_equal(h, "\1\2\3\4", 4);
	assert_int_equal(skit_frame_hdr(SKIT_FRAMING_LEN16, 0x0102, h), 2);
	assert_memory_equal(h, "\1\2", 2);
	assert_int_equal(skit_frame_hdr(SKIT_FRAMING_LEN16, 65536, h),
			 SKIT_ELIMIT);
}

/*
 * Cut a stream into messages, each as a datagram would carry it, then
 * write each back as a receiver does (header + bytes): the same stream.
 * The stream arrives in pieces, so messages are cut mid-buffer too.
 */
static void
roundtrip(enum skit_framing f, const unsigned char *in, size_t len)
{
	size_t cap = 2 * len + 64, have = 0, off = 0, outlen = 0, fed = 0;
	char *buf = malloc(len + 1), *out = malloc(cap);
	unsigned nmsg = 0;

	assert_non_null(buf);
	assert_non_null(out);
	while (fed < len || off < have) {
		const char *m;
		size_t n, used, step = 777 + (fed % 5000);
		bool eof;
		int rc;

		if (fed < len) {
			if (step > len - fed)
				step = len - fed;
			memcpy(buf + have, in + fed, step);
			have += step;
			fed += step;
		}
		eof = fed == len;
		while ((rc = skit_frame_next(f, buf + off, have - off, eof,
					     len + 1, &m, &n, &used)) == 1) {
			int hl = skit_frame_hdr(f, n,
						(unsigned char *)out + outlen);

			assert_true(hl >= 0);
			/* LINE never makes an empty message. */
			if (f == SKIT_FRAMING_LINE)
				assert_true(n > 0);
			assert_true(n <= SKIT_FRAME_MSG_MAX ||
				    f == SKIT_FRAMING_LEN32);
			memcpy(out + outlen + (size_t)hl, m, n);
			outlen += (size_t)hl + n;
			off += used;
			nmsg++;
		}
		assert_int_equal(rc, 0);
		if (eof)
			break;
	}
	assert_int_equal(off, have);
	assert_true(nmsg > 0);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, in, len);
	free(buf);
	free(out);
}

static void
test_roundtrip(void **state)
{
	size_t len = 300000;
	unsigned char *d = malloc(len);
	uint32_t seed = 7;

	(void)state;
	assert_non_null(d);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		d[i] = (unsigned char)(seed >> 16);
	}
	/* Runs of empty lines and a line longer than any message. */
	memset(d + 1000, '\n', 50);
	memset(d + 2000, 'x', 2 * SKIT_FRAME_MSG_MAX + 3);
	d[len - 1] = 'z'; /* the last line has no "\n" */
	roundtrip(SKIT_FRAMING_LINE, d, len);
	roundtrip(SKIT_FRAMING_RAW, d, len);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_keeps_newline),
		cmocka_unit_test(test_line_empty_is_newline),
		cmocka_unit_test(test_line_last_without_newline),
		cmocka_unit_test(test_line_too_long_is_split),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_len),
		cmocka_unit_test(test_hdr),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
