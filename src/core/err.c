/*
 * err.c - error names and messages, and the error record.
 */
#include "skit/err.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
	int code;
	const char *name;
	const char *msg;
};

static const struct err_row err_rows[] = {
#define SKIT_X_(name, num, msg) { SKIT_##name, #name, msg },
	SKIT_EAI_TABLE(SKIT_X_) SKIT_ETK_TABLE(SKIT_X_)
#undef SKIT_X_
};

static const struct err_row *
find_row(int code)
{
	for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
		if (err_rows[i].code == code)
			return &err_rows[i];
	return NULL;
}

const char *
skit_strerror(int code)
{
	const struct err_row *row;
	const char *s;

	if (code == 0)
		return "success";
	row = find_row(code);
	if (row)
		return row->msg;
	if (code < 0 && code > -4096) {
		/* strerrordesc_np is thread-safe and never formats. */
		s = strerrordesc_np(-code);
		if (s)
			return s;
	}
	return "unknown error";
}

const char *
skit_errname(int code)
{
	const struct err_row *row;
	const char *s;

	if (code == 0)
		return "OK";
	row = find_row(code);
	if (row)
		return row->name;
	if (code < 0 && code > -4096) {
		s = strerrorname_np(-code);
		if (s)
			return s;
	}
	return "EUNKNOWN";
}

int
skit_err_from_gai(int gai, int saved_errno)
{
	switch (gai) {
	case 0:
		return 0;
	case EAI_NONAME:
		return SKIT_EAI_NONAME;
	case EAI_AGAIN:
		return SKIT_EAI_AGAIN;
	case EAI_FAIL:
		return SKIT_EAI_FAIL;
	case EAI_FAMILY:
	case EAI_ADDRFAMILY:
		return SKIT_EAI_FAMILY;
	case EAI_SERVICE:
	case EAI_SOCKTYPE:
		return SKIT_EAI_SERVICE;
	case EAI_NODATA:
		return SKIT_EAI_NODATA;
	case EAI_MEMORY:
		return SKIT_EAI_MEMORY;
	case EAI_SYSTEM:
		return saved_errno > 0 ? -saved_errno : SKIT_EAI_OTHER;
	default:
		return SKIT_EAI_OTHER;
	}
}

void
skit_err_clear(struct skit_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int
skit_err_set(struct skit_err *err, int code, const char *op,
	     const char *subject)
{
	if (!err)
		return code;
	err->code = code;
	err->column = 0;
	snprintf(err->op, sizeof(err->op), "%s", op ? op : "");
	snprintf(err->subject, sizeof(err->subject), "%s",
		 subject ? subject : "");
	err->detail[0] = '\0';
	return code;
}

int
skit_err_setf(struct skit_err *err, int code, const char *op,
	      const char *subject, int column, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	skit_err_set(err, code, op, subject);
	err->column = column;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
		va_end(ap);
	}
	return code;
}

char *
skit_err_format(const struct skit_err *err, char *buf, size_t len)
{
	const char *reason;

	if (!buf || len == 0)
		return buf;
	if (!err) {
		snprintf(buf, len, "unknown error");
		return buf;
	}
	reason = err->detail[0] ? err->detail : skit_strerror(err->code);
	if (err->code == SKIT_EADDR || err->code == SKIT_EOPTION)
		snprintf(buf, len, "%s '%s': %s",
			 err->op[0] ? err->op : "bad address", err->subject,
			 reason);
	else if (err->op[0] && err->subject[0])
		snprintf(buf, len, "%s %s: %s", err->op, err->subject, reason);
	else if (err->op[0])
		snprintf(buf, len, "%s: %s", err->op, reason);
	else
		snprintf(buf, len, "%s", reason);
	return buf;
}
