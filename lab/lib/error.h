/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * error.h - the one error object of lab/ (after crun's libcrun_error_t):
 * a failing function fills it with vl_fail() (a code from enum vacmlab_exit
 * and a message) and returns -1; each caller on the way up may add context
 * with vl_wrap(); main() prints it once with vl_report() and exits with its
 * code. netns/ keeps 0/-errno; lab/ turns those into an error in one call,
 * vl_fail_errno().
 */
#ifndef VACMLAB_ERROR_H
#define VACMLAB_ERROR_H

#include <stdbool.h>

#include "lab/lib/util.h"

#define VL_ERR_MAX 8192

struct vl_err {
	int code; /* enum vacmlab_exit; 0: no error */
	char msg[VL_ERR_MAX];
};

/* Set @e (the first failure wins: an error already set is kept) and return
 * -1. @e may be NULL (the error is then only logged at debug level). */
int vl_fail(struct vl_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, with ": strerror(errnum)" appended; @errnum may be negative. */
int vl_fail_errno(struct vl_err *e, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prefix context: "CONTEXT: previous message". Returns -1. */
int vl_wrap(struct vl_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the message once (msg_err) and return the exit code (EXIT_OK when
 * unset); clears @e. */
int vl_report(struct vl_err *e);
static inline bool vl_failed(const struct vl_err *e)
{
	return e && e->code;
}
static inline void vl_clear(struct vl_err *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}
/* Keep @src in @dst unless @dst holds an error already (the first failure
 * wins, as in vl_fail()): a slot that collects errors made elsewhere. */
static inline void vl_keep(struct vl_err *dst, const struct vl_err *src)
{
	if (!dst->code && src->code)
		*dst = *src;
}

#endif
