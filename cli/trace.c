/*
 * cli/trace.c - where `--trace` and `-vv` lines go: stderr as text
 * ("skit: trace: read(5, 65536) = 4096"), or with --trace=json one JSON
 * object per call (docs/json.md, "trace"): the library hands over the
 * line (skit/io.h), this splits it into its parts.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double trace_t0;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
trace_text(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "skit: trace: %s\n", line);
}

/* "4,096" -> 4096; the end of the number in *end. */
static unsigned long long
grouped_num(const char *s, const char **end)
{
	unsigned long long v = 0;

	for (; (*s >= '0' && *s <= '9') || *s == ','; s++)
		if (*s != ',')
			v = v * 10 + (unsigned long long)(*s - '0');
	*end = s;
	return v;
}

/* "... 4,096 more read(5) calls, 268,435,456 bytes, 3 EAGAIN" */
static bool
json_summary(struct cli_json *j, const char *line)
{
	const char *p = line + 4, *e, *paren;
	unsigned long long n;

	if (strncmp(line, "... ", 4))
		return false;
	n = grouped_num(p, &e);
	if (strncmp(e, " more ", 6))
		return false;
	p = e + 6;
	paren = strchr(p, '(');
	if (!paren)
		return false;
	cli_json_strn(j, "call", p, (size_t)(paren - p));
	cli_json_int(j, "fd", strtol(paren + 1, NULL, 10));
	cli_json_uint(j, "more", n);
	for (p = strchr(paren, ','); p; p = strchr(p + 1, ',')) {
		unsigned long long v;

		if (p[1] != ' ')
			continue;
		v = grouped_num(p + 2, &e);
		if (!strncmp(e, " bytes", 6))
			cli_json_uint(j, "bytes", v);
		else if (!strncmp(e, " EAGAIN", 7))
			cli_json_uint(j, "eagain", v);
		p = e - 1;
	}
	return true;
}

/* "call(args) = result[ note]" */
static void
json_call(struct cli_json *j, const char *line)
{
	const char *open = strchr(line, '('), *eq = strstr(line, ") = ");
	const char *r, *e;
	char *end;
	long long v;

	if (!open || !eq || eq < open)
		return;
	cli_json_strn(j, "call", line, (size_t)(open - line));
	cli_json_strn(j, "args", open + 1, (size_t)(eq - open - 1));
	r = eq + 4;
	v = strtoll(r, &end, 10);
	if (end == r) {
		/* not a number: "ECONNREFUSED", "[5, 6]" */
		cli_json_str(j, "result", r);
		return;
	}
	cli_json_int(j, "result", v);
	e = end;
	if (v == -1 && *e == ' ') {
		const char *sp = strchr(e + 1, ' ');

		cli_json_strn(j, "errno", e + 1,
			      sp ? (size_t)(sp - e - 1) : strlen(e + 1));
		e = sp ? sp : e + strlen(e);
	}
	if (*e == ' ')
		cli_json_str(j, "note", e + 1);
}

static void
trace_json(void *data, const char *line)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct cli_json j;

	(void)data;
	if (!m)
		return;
	cli_json_begin(&j, m);
	cli_json_str(&j, "event", "trace");
	cli_json_double(&j, "t", now_s() - trace_t0);
	if (!json_summary(&j, line))
		json_call(&j, line);
	cli_json_str(&j, "text", line);
	cli_json_end(&j);
	fclose(m);
	/* one write: stderr is shared with threads and children */
	fwrite(buf, 1, len, stderr);
	free(buf);
}

void
cli_trace_start(bool json)
{
	trace_t0 = now_s();
	skit_trace_set(json ? trace_json : trace_text, NULL);
}
