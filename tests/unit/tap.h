/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a tiny TAP producer for the C unit tests, read by prove(1).
 * ok(cond, fmt, ...) prints one test line; done_testing() prints the plan
 * and returns the exit status (non-zero if any test failed).
 */
#ifndef VACMLAB_TAP_H
#define VACMLAB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* Compare two strings; on mismatch print both as TAP diagnostics. */
#define is_str(got, want, ...)                                                                     \
	({                                                                                         \
		const char *g_ = (got), *w_ = (want);                                              \
		int r_ = ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__);                         \
		if (!r_)                                                                           \
			printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)",             \
			       w_ ? w_ : "(null)");                                                \
		r_;                                                                                \
	})

#define is_int(got, want, ...)                                                                     \
	({                                                                                         \
		long long g_ = (got), w_ = (want);                                                 \
		int r_ = ok(g_ == w_, __VA_ARGS__);                                                \
		if (!r_)                                                                           \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_);                        \
		r_;                                                                                \
	})

__attribute__((unused)) static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
