/*
 * fuzz_addr.c - libFuzzer target for the address parser.
 *
 * Any bytes are parsed as address text (an embedded NUL ends it, as in
 * C) in each role. Whatever parses must format to text that parses back
 * to an equal address, and formatting that again must give the same
 * text, and setting its text options again through the builder must
 * change nothing. The bytes are also read as a unix socket address and
 * formatted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "skit/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The builder agrees with the parser: setting each text option of a
 * parsed address again, from its own value, is accepted and changes
 * nothing (bind= and range= are parsed again into their typed fields).
 */
static void
check_builder(const struct skit_addr *a, const char *text)
{
	static char val[SKIT_ADDR_TEXT_MAX + 1];
	struct skit_addr b = *a;
	struct skit_err err;
	size_t n;
	const struct skit_opt_row *rows = skit_addr_opts(&n);

	for (size_t i = 0; i < n; i++) {
		const char *v = skit_addr_str(a, rows[i].id);

		if (rows[i].type != SKIT_OPTV_STRING || !v)
			continue;
		snprintf(val, sizeof(val), "%s", v);
		if (skit_addr_set_str(&b, rows[i].id, val, &err) < 0) {
			/* only the string space may run out */
			if (strstr(err.detail, "too long"))
				return;
			fprintf(stderr, "'%s': set %s='%s' refused: %s\n", text,
				rows[i].name, val, err.detail);
			abort();
		}
	}
	if (!skit_addr_equal(a, &b) ||
	    memcmp(&a->bind, &b.bind, sizeof(a->bind)) != 0 ||
	    memcmp(&a->range, &b.range, sizeof(a->range)) != 0) {
		fprintf(stderr, "'%s': the builder made another address\n",
			text);
		abort();
	}
}

static void
check_round_trip(const char *text, enum skit_role role)
{
	static char buf1[4 * SKIT_ADDR_TEXT_MAX], buf2[4 * SKIT_ADDR_TEXT_MAX];
	struct skit_addr a, b;
	struct skit_err err;
	int n1, n2;

	if (skit_addr_parse(text, role, &a, &err) < 0) {
		if (err.code == 0 || err.column < 1) {
			fprintf(stderr, "error without code/column: '%s'\n",
				text);
			abort();
		}
		return;
	}
	n1 = skit_addr_format(&a, buf1, sizeof(buf1));
	if (n1 < 0 || (size_t)n1 >= sizeof(buf1)) {
		fprintf(stderr, "format failed (%d): '%s'\n", n1, text);
		abort();
	}
	if (skit_addr_parse(buf1, role, &b, &err) < 0) {
		fprintf(stderr, "'%s' -> '%s' does not parse: %s\n", text, buf1,
			err.detail);
		abort();
	}
	if (!skit_addr_equal(&a, &b)) {
		fprintf(stderr, "'%s' -> '%s' parses to another address\n",
			text, buf1);
		abort();
	}
	n2 = skit_addr_format(&b, buf2, sizeof(buf2));
	if (n2 != n1 || strcmp(buf1, buf2) != 0) {
		fprintf(stderr, "format not stable: '%s' vs '%s'\n", buf1,
			buf2);
		abort();
	}
	check_builder(&a, text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[SKIT_ADDR_TEXT_MAX + 64];
	struct sockaddr_un un;
	char out[512];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

	memcpy(text, data, n);
	text[n] = '\0';
	check_round_trip(text, SKIT_ROLE_DEFAULT);
	check_round_trip(text, SKIT_ROLE_CONNECT);
	check_round_trip(text, SKIT_ROLE_LISTEN);

	/* The same bytes as a unix socket address of any length. */
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	n = size < sizeof(un.sun_path) ? size : sizeof(un.sun_path);
	memcpy(un.sun_path, data, n);
	if (skit_sockaddr_format(
		    (struct sockaddr *)&un,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n),
		    SOCK_SEQPACKET, 0, out, sizeof(out)) < 0)
		abort();
	return 0;
}
