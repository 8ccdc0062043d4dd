/*
 * json_write.c - JSON string literals for every NDJSON line skit writes
 * (skit/json.h): whatever bytes come in, what goes out is valid UTF-8
 * JSON. Quotes, backslashes and control characters are escaped; a byte
 * that does not belong to a well-formed UTF-8 sequence (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF) becomes U+FFFD, the
 * replacement character, written as "\ufffd".
 */
#include "skit/json.h"

#include <stdio.h>
#include <string.h>

/*
 * The length of the well-formed UTF-8 sequence at s (n bytes left), or
 * 0 when the bytes there are not one.
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* the second byte's range rules out overlongs and surrogates */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

bool
skit_utf8_valid(const void *buf, size_t len)
{
	const unsigned char *s = buf;

	for (size_t i = 0, k; i < len; i += k) {
		k = utf8_len(s + i, len - i);
		if (!k)
			return false;
	}
	return true;
}

/* Append n bytes of p at *o, keeping what fits (room for the NUL). */
static void
put(char *out, size_t cap, size_t *o, const void *p, size_t n)
{
	if (*o + n < cap)
		memcpy(out + *o, p, n);
	else if (*o + 1 < cap)
		memcpy(out + *o, p, cap - *o - 1);
	*o += n;
}

size_t
skit_json_quote(char *out, size_t cap, const void *buf, size_t len)
{
	const unsigned char *s = buf;
	size_t o = 0;
	char esc[8];

	put(out, cap, &o, "\"", 1);
	for (size_t i = 0, k; i < len; i += k) {
		unsigned char c = s[i];

		k = utf8_len(s + i, len - i);
		if (!k) {
			put(out, cap, &o, "\\ufffd", 6);
			k = 1;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(out, cap, &o, esc, 2);
		} else if (c == '\n') {
			put(out, cap, &o, "\\n", 2);
		} else if (c == '\r') {
			put(out, cap, &o, "\\r", 2);
		} else if (c == '\t') {
			put(out, cap, &o, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(out, cap, &o, esc, 6);
		} else {
			put(out, cap, &o, s + i, k);
		}
	}
	put(out, cap, &o, "\"", 1);
	if (cap)
		out[o < cap ? o : cap - 1] = '\0';
	return o;
}
