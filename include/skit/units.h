/*
 * skit/units.h - the one grammar for durations and the one for sizes,
 * used by address options (connect-timeout=, interval=, rcvbuf=, ...)
 * and by every command-line flag that takes a time or a size (-w, -i,
 * -q, --duration, --buffer, ...). docs/addresses.md, "Durations and
 * sizes", is the user's description; this header is the contract.
 *
 *   DURATION := NUMBER [ " " ] [ UNIT ]      NUMBER := DIGITS [ "." DIGITS ]
 *                                                    | "." DIGITS
 *   UNIT     := "ns" | "us" | "ms" | "s" | "m" | "h" | "d"   (no unit: s)
 *
 *   SIZE     := DIGITS [ " " ] [ PREFIX [ "i" ] [ "b" ] | "b" ]
 *   PREFIX   := "k" | "m" | "g" | "t"      (case-insensitive, x1024 each)
 *
 * Durations are kept in whole milliseconds: a fraction of a millisecond
 * rounds up, so a duration that is not zero never becomes 0 ("1us" is
 * 1 ms, "0.0001" is 1 ms, "0ns" is 0). "m" is minutes ("ms" is
 * milliseconds). Sizes are binary: "64k", "64K", "64kb", "64KiB" all mean
 * 65536 bytes; there are no decimal (x1000) units and no fractions. No
 * sign, no leading or trailing blanks, no exponent: "-1", " 5", "1e3"
 * are errors. One space between the number and the unit is accepted so
 * that what the formatters below write ("1.5 s", "64 KiB") reads back.
 *
 * All functions are pure: no allocation, no I/O, no global state.
 */
#ifndef SKIT_UNITS_H
#define SKIT_UNITS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a duration into milliseconds. Returns 0 with *ms set, -EINVAL
 * for text that is not a duration (NULL, empty, junk, a sign), or
 * -ERANGE when the value does not fit in an int64_t of milliseconds.
 * *ms is left alone on failure.
 */
int skit_parse_duration_ms(const char *s, int64_t *ms);

/*
 * Parse a size into bytes. Returns 0 with *bytes set, -EINVAL for text
 * that is not a size, or -ERANGE when it exceeds INT64_MAX bytes.
 * *bytes is left alone on failure.
 */
int skit_parse_size(const char *s, uint64_t *bytes);

/*
 * Write a duration for a message: "250 ms" below one second, else
 * seconds with up to three decimals and no trailing zeros ("2 s",
 * "1.5 s", "3600 s"). What it writes parses back to the same value
 * (for ms >= 0). Returns the length it needed, like snprintf (buf may
 * be NULL when len is 0).
 */
int skit_format_duration(int64_t ms, char *buf, size_t len);

/*
 * Write a size for a message in the largest binary unit that divides it
 * exactly: "64 KiB", "3 MiB", "1000 B", "0 B". What it writes parses
 * back to the same value. Returns the length it needed, like snprintf.
 */
int skit_format_size(uint64_t bytes, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
