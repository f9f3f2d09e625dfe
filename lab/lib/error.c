// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * error.c - the error object of lab/ (see error.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lab/lib/error.h"

static int vfail(struct vl_err *e, int code, int errnum, const char *fmt, va_list ap)
{
	char buf[VL_ERR_MAX];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s",
			 strerror(errnum < 0 ? -errnum : errnum));
	if (!e) {
		msg_debug("%s", buf);
		return -1;
	}
	if (e->code)
		return -1; /* the first failure is the one to report */
	e->code = code ? code : EXIT_CHILD;
	memcpy(e->msg, buf, sizeof(buf));
	return -1;
}

int vl_fail(struct vl_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(e, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int vl_fail_errno(struct vl_err *e, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(e, code, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int vl_wrap(struct vl_err *e, const char *fmt, ...)
{
	char ctx[1024], old[VL_ERR_MAX];
	va_list ap;

	if (!e || !e->code)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Context first; a message cut at the end is better than none. */
	size_t n = strnlen(ctx, sizeof(ctx) - 1);

	memcpy(e->msg, ctx, n);
	e->msg[n] = '\0';
	if (n + 3 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 2);
		strncpy(e->msg + n + 2, old, sizeof(e->msg) - n - 3);
		e->msg[sizeof(e->msg) - 1] = '\0';
	}
	return -1;
}

int vl_report(struct vl_err *e)
{
	int code = e->code;

	if (code)
		msg_err("%s", e->msg);
	vl_clear(e);
	return code;
}
