/*
 * nc_hex.c - the --hex traffic dump (stderr), like ncat's --hex-dump.
 */
#include "nc.h"

#include <ctype.h>

void
nc_hexdump(FILE *f, const char *dir, uint64_t offset, const void *buf,
	   size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i += 16) {
		size_t n = len - i < 16 ? len - i : 16;

		fprintf(f, "%s %08llx ", dir, (unsigned long long)(offset + i));
		for (size_t k = 0; k < 16; k++) {
			if (k < n)
				fprintf(f, " %02x", p[i + k]);
			else
				fputs("   ", f);
		}
		fputs("  |", f);
		for (size_t k = 0; k < n; k++)
			fputc(isprint(p[i + k]) ? p[i + k] : '.', f);
		fputs("|\n", f);
	}
	fflush(f);
}
