/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * match.h - the console line matcher and log tails (match.c).
 */
#ifndef VACMLAB_MATCH_H
#define VACMLAB_MATCH_H

#include <regex.h>
#include <stddef.h>
#include <stdio.h>

/*
 * The one line matcher, for `ready = console`, `wait`, `send --expect` and `run`: POSIX
 * regex against each line of output, the partial last line included
 * (prompts end without a newline); CR, NUL and terminal escape sequences
 * are dropped first. Feed it chunks; it returns 1 when a line matched
 * (and, if @echo, copies lines to it up to the match, without the match's
 * newline), 0 otherwise. The line is reset after a complete-line match.
 */
struct line_matcher {
	char *buf;
	size_t len, cap;
	int esc;
};
int line_matcher_feed(struct line_matcher *l, const char *s, size_t n, const regex_t *re,
		      FILE *echo);
void line_matcher_free(struct line_matcher *l);
/* Remove terminal escape sequences from @s in place, as the matcher does. */
void text_strip_escapes(char *s);

/* The last @lines lines of the log at @path, malloc'd; NULL if unreadable.
 * If the log rotated and holds fewer lines, they are taken from this run's
 * output: PATH.1 then PATH (never PATH.prev, the last run's). */
char *tail_file(const char *path, int lines);

#endif
