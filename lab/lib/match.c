// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * match.c - the one console line matcher: feeds bytes, drops terminal
 * escape sequences, and matches a regex against each line and against a
 * partial last line (prompts such as "login: " end without a newline;
 * with settle, such a match is LINE_PARTIAL until the caller has seen the
 * output pause). `wait`, `send --expect`, `ready = console` and `run` all
 * use it; and
 * tail_file(), the last lines of a log for failure reports (across a
 * rotation: LOG.1 then LOG).
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/logfile.h"
#include "lab/lib/match.h"
#include "lab/lib/util.h"

/* The longest line kept: a regex never needs more than this of one line
 * (a flood with no newline must not grow memory without bound). */
#define LINE_MAX_KEEP (64 * 1024)

static void line_add(struct line_matcher *l, char ch)
{
	if (l->len + 2 > l->cap) {
		if (l->cap >= LINE_MAX_KEEP) {
			memmove(l->buf, l->buf + l->len / 2, l->len - l->len / 2);
			l->len -= l->len / 2;
		} else {
			l->cap = l->cap ? l->cap * 2 : 256;
			l->buf = xrealloc(l->buf, l->cap);
		}
	}
	l->buf[l->len++] = ch;
	l->buf[l->len] = '\0';
}

/*
 * Terminal control sequences are not text: busybox's line editor, for
 * one, follows its "# " prompt with ESC [ 6 n (a cursor position query),
 * which would defeat a '# $' regex. Drop CSI (ESC [ ... final), OSC
 * (ESC ] ... BEL), ESC with intermediates (ESC ( B, the charset reset
 * that tput sgr0 emits) and two-byte ESC sequences.
 */
enum {
	ESC_NONE,
	ESC_START,
	ESC_CSI,
	ESC_OSC,
	ESC_INTER, /* ESC, intermediates 0x20-0x2f, a final: ESC ( B */
};

static bool esc_filter(struct line_matcher *l, unsigned char ch)
{
	/* No sequence spans a newline: binary noise (an ESC ] with no BEL)
	 * must not swallow the lines that follow it. */
	if (ch == '\n') {
		l->esc = ESC_NONE;
		return false;
	}
	switch (l->esc) {
	case ESC_START:
		l->esc = ch == '['		    ? ESC_CSI
			 : ch == ']'		    ? ESC_OSC
			 : ch >= 0x20 && ch <= 0x2f ? ESC_INTER
						    : ESC_NONE;
		return true;
	case ESC_INTER:
		if (ch >= 0x20 && ch <= 0x2f)
			return true;
		l->esc = ESC_NONE;
		return ch >= 0x30 && ch <= 0x7e;
	case ESC_CSI:
		if (ch >= 0x20 && ch <= 0x3f)
			return true;
		l->esc = ESC_NONE;
		return ch >= 0x40 && ch <= 0x7e;
	case ESC_OSC:
		if (ch == 0x07)
			l->esc = ESC_NONE;
		else if (ch == 0x1b)
			l->esc = ESC_START;
		return true;
	default:
		if (ch == 0x1b) {
			l->esc = ESC_START;
			return true;
		}
		return false;
	}
}

void text_strip_escapes(char *s)
{
	struct line_matcher l = {0};
	char *o = s;

	for (; *s; s++)
		if (!esc_filter(&l, (unsigned char)*s))
			*o++ = *s;
	*o = '\0';
}

int line_matcher_feed(struct line_matcher *l, const char *s, size_t n, const regex_t *re,
		      FILE *echo)
{
	if (!l->buf) {
		l->cap = 256;
		l->buf = xcalloc(1, l->cap);
	}
	for (size_t i = 0; i < n; i++) {
		if (esc_filter(l, (unsigned char)s[i]) || s[i] == '\r' || s[i] == '\0')
			continue;
		if (s[i] != '\n') {
			line_add(l, s[i]);
			continue;
		}
		/* The matching line is echoed without its newline, like a
		 * partial one, so the caller ends the output the same way. */
		if (regexec(re, l->buf, 0, NULL, 0) == 0) {
			if (echo)
				fwrite(l->buf, 1, l->len, echo);
			l->len = 0;
			l->buf[0] = '\0';
			return LINE_MATCH;
		}
		if (echo) {
			fwrite(l->buf, 1, l->len, echo);
			fputc('\n', echo);
		}
		l->len = 0;
		l->buf[0] = '\0';
	}
	/* Prompts such as "login: " end without a newline. */
	if (l->len && regexec(re, l->buf, 0, NULL, 0) == 0) {
		if (l->settle)
			return LINE_PARTIAL;
		line_matcher_accept(l, echo);
		return LINE_MATCH;
	}
	return LINE_NONE;
}

void line_matcher_accept(struct line_matcher *l, FILE *echo)
{
	if (echo && l->len)
		fwrite(l->buf, 1, l->len, echo);
}

void line_matcher_free(struct line_matcher *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

static int count_lines(const char *s, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len && s[len - 1] != '\n');
}

char *tail_file(const char *path, int lines)
{
	size_t len;
	char *txt = read_file(path, &len), *s;
	int seen = 0;

	if (!txt)
		return NULL;
	/* A log that has just rotated holds a line or two: the rest of this
	 * run's output is in LOG.1 (logfile.h), which comes first. */
	if (count_lines(txt, len) < lines) {
		_cleanup_free_ char *op = logfile_older(path);
		size_t olen;
		char *old = read_file(op, &olen);

		if (old) {
			old = xrealloc(old, olen + len + 1);
			memcpy(old + olen, txt, len);
			old[olen + len] = '\0';
			free(txt);
			txt = old;
			len += olen;
		}
	}
	s = txt + len;
	if (s > txt && s[-1] == '\n')
		s--;
	while (s > txt) {
		if (s[-1] == '\n' && ++seen == lines)
			break;
		s--;
	}
	/* Strip carriage returns and other control bytes for a clean print. */
	char *out = xmalloc(len - (size_t)(s - txt) + 2), *o = out;

	for (; s < txt + len; s++) /* not *s: binary output may hold NULs */
		if (*s == '\n' || *s == '\t' || (unsigned char)*s >= 0x20)
			*o++ = *s;
	if (o > out && o[-1] != '\n')
		*o++ = '\n';
	*o = '\0';
	free(txt);
	return out;
}
