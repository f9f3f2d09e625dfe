// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_err.c - the errors of a topology file: a list kept in line order and
 * printed as "FILE:LINE: message", one per line, like a compiler's; and the
 * did-you-mean for unknown keys and sections.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/topo_int.h"

static int vadd(struct topo_err *err, int line, bool env, const char *fmt, va_list ap)
{
	struct topo_error *e;
	char msg[TOPO_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* The same complaint twice about one line says nothing new. */
	for (int i = 0; i < err->n; i++)
		if (err->list[i].line == line && !strcmp(err->list[i].msg, msg))
			return -1;
	if (err->n >= TOPO_ERRORS_MAX) {
		err->n_dropped++;
		return -1;
	}
	e = &err->list[err->n++];
	e->line = line;
	e->env = env;
	memcpy(e->msg, msg, sizeof(msg));
	return -1;
}

int topo_err_add(struct topo_err *err, int line, bool env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(err, line, env, fmt, ap);
	va_end(ap);
	return -1;
}

int topo_perr(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(p->err, line, false, fmt, ap);
	va_end(ap);
	return -1;
}

int topo_perr_env(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(p->err, line, true, fmt, ap);
	va_end(ap);
	return -1;
}

void topo_err_finish(struct topo_err *err)
{
	/* Insertion sort, stable: errors of one line keep their order. */
	for (int i = 1; i < err->n; i++) {
		struct topo_error tmp = err->list[i];
		int j = i;

		for (; j > 0 && err->list[j - 1].line > tmp.line; j--)
			err->list[j] = err->list[j - 1];
		err->list[j] = tmp;
	}
	err->env = err->n > 0 && !err->n_dropped;
	for (int i = 0; i < err->n; i++)
		err->env = err->env && err->list[i].env;
	if (err->n > 0) {
		err->line = err->list[0].line;
		memcpy(err->msg, err->list[0].msg, sizeof(err->msg));
	}
}

void topo_err_print(const struct topo_err *err)
{
	for (int i = 0; i < err->n; i++) {
		if (err->list[i].line > 0)
			fprintf(stderr, "%s:%d: %s\n", err->file, err->list[i].line,
				err->list[i].msg);
		else
			fprintf(stderr, "%s: %s\n", err->file, err->list[i].msg);
	}
	if (err->n_dropped)
		fprintf(stderr, "%s: %d more error%s not shown (at most %d are)\n", err->file,
			err->n_dropped, err->n_dropped == 1 ? "" : "s", TOPO_ERRORS_MAX);
}

/*
 * Optimal string alignment distance (Levenshtein plus the swap of two
 * neighbours, the commonest typo: "memroy"), ignoring case. Words here are
 * short; longer ones count as far.
 */
static int osa_distance(const char *a, const char *b)
{
	enum {
		W = 33
	};
	int d[W][W];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= W || lb >= W)
		return W;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j - 1] + (ca != cb);

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *topo_suggest(const char *word, const char *const *cands, int n)
{
	const char *best = NULL;
	int best_d = 0;

	for (int i = 0; i < n; i++) {
		int d = osa_distance(word, cands[i]);
		/* Close means one edit for short words, two for longer ones. */
		int max = strlen(cands[i]) <= 4 ? 1 : 2;

		if (d <= max && (!best || d < best_d)) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}
