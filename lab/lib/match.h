/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * match.h - the console line matcher and log tails (match.c).
 */
#ifndef VACMLAB_MATCH_H
#define VACMLAB_MATCH_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * The one line matcher, for `ready = console`, `wait`, `send --expect` and `run`: POSIX
 * regex against each line of output, the partial last line included
 * (prompts end without a newline); CR, NUL and terminal escape sequences
 * are dropped first. Feed it chunks; it returns 1 when a line matched
 * (and, if @echo, copies lines to it up to the match, without the match's
 * newline), 0 otherwise. The line is reset after a complete-line match.
 *
 * A partial line may be only the start of a line still on its way: a guest
 * that prints "# Title" can reach the log as "# " then "Title", and '# $'
 * would match the first piece. With @settle set, a partial-line match
 * returns LINE_PARTIAL instead, echoes nothing, and keeps the line: the
 * caller feeds what comes next (the line goes on, and matches again or
 * not), or calls line_matcher_accept() once the output has paused for
 * LINE_SETTLE_MS.
 */
struct line_matcher {
	char *buf;
	size_t len, cap;
	int esc;
	bool settle;
};
enum {
	LINE_NONE,
	LINE_MATCH,
	LINE_PARTIAL
};
#define LINE_SETTLE_MS 50
int line_matcher_feed(struct line_matcher *l, const char *s, size_t n, const regex_t *re,
		      FILE *echo);
/* Take a LINE_PARTIAL match as final: echo the partial line. */
void line_matcher_accept(struct line_matcher *l, FILE *echo);
void line_matcher_free(struct line_matcher *l);
/* Remove terminal escape sequences from @s in place, as the matcher does. */
void text_strip_escapes(char *s);

/* The last @lines lines of the log at @path, malloc'd; NULL if unreadable.
 * If the log rotated and holds fewer lines, they are taken from this run's
 * output: PATH.1 then PATH (never PATH.prev, the last run's). */
char *tail_file(const char *path, int lines);

#endif
