/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rx.h - the one door for user regexes (ready = console, wait --console,
 * send --expect): a cost guard that refuses patterns glibc's regcomp()
 * cannot compile in bounded time and memory, then regcomp() itself.
 */
#ifndef VACMLAB_RX_H
#define VACMLAB_RX_H

#include <regex.h>
#include <stdbool.h>

#include "lab/lib/error.h"

/*
 * rx_compile() - compile a user's POSIX extended regex (REG_EXTENDED |
 * REG_NOSUB) after the cost guard.
 * @re:      the compiled regex on success (regfree() it); NULL only checks
 * @pattern: the user's text
 * @what:    its name in messages, e.g. "regex" or "ready regex"
 * @e:       filled on failure with EXIT_CONFIG and "WHAT 'P' is too complex:
 *           ..." or "bad WHAT 'P': regerror text"
 *
 * Return: 0, or -1 with @e set.
 */
int rx_compile(regex_t *re, const char *pattern, const char *what, struct vl_err *e);

/* rx_too_costly() - true if glibc's regcomp() would expand @pattern
 * beyond the guard's bound (the test behind rx_compile()). */
bool rx_too_costly(const char *pattern);

#endif
