// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rx.c - the regex guard: every regex a user writes goes through
 * rx_compile(), which refuses what glibc cannot compile cheaply.
 *
 * DOC: Theory of operation
 *
 * glibc's regcomp() copies the operand of "+" (x+ is xx*) and of an interval
 * x{n,m} (m copies) before building its automaton, so repetitions of
 * repetitions grow exponentially: the fuzzer found that "yn++++++++...+"
 * (45 '+') exhausts memory, as does "((a{99}){99}){99}" (and
 * "((a{1,100}){1,100}){1,100}" takes 2 s and 1.1 GB), and "y?????????????"
 * spins in the epsilon closure for minutes. re_cost() estimates the expanded
 * size with the same rules, and rx_compile() refuses patterns above
 * RX_COST_MAX before regcomp() ever sees them.
 */
#include <ctype.h>
#include <string.h>

#include "lab/lib/rx.h"

#define RX_COST_MAX 10000.0

static const char *re_skip_bracket(const char *s)
{
	s++; /* '[' */
	if (*s == '^')
		s++;
	if (*s == ']')
		s++; /* a leading ']' is a literal */
	while (*s && *s != ']') {
		if (s[0] == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
			char end = s[1];

			for (s += 2; *s && !(s[0] == end && s[1] == ']'); s++)
				;
			if (*s)
				s += 2;
			continue;
		}
		s++;
	}
	return *s ? s + 1 : s;
}

/* "{n}", "{n,}", "{n,m}": the number of copies glibc makes, or -1. */
static double re_interval(const char **sp)
{
	const char *s = *sp + 1;
	double n = 0, m = -1;
	bool comma = false;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s))
		n = n < 1e6 ? n * 10 + (*s++ - '0') : (s++, n);
	if (*s == ',') {
		comma = true;
		s++;
		if (isdigit((unsigned char)*s))
			m = 0;
		while (isdigit((unsigned char)*s))
			m = m < 1e6 ? m * 10 + (*s++ - '0') : (s++, m);
	}
	if (*s != '}')
		return -1;
	*sp = s + 1;
	if (m >= 0)
		return m > n ? m : n;
	return comma ? n + 1 : n;
}

static double re_cost(const char **sp, int depth)
{
	const char *s = *sp;
	double total = 0, atom = 0, k;
	bool rep = false; /* the last thing seen was a repetition */

	if (depth > 32)
		return RX_COST_MAX * 2;
	while (*s && *s != ')' && total + atom <= RX_COST_MAX) {
		switch (*s) {
		case '(':
			s++;
			total += atom;
			atom = re_cost(&s, depth + 1) + 1;
			if (*s == ')')
				s++;
			break;
		case '[':
			total += atom;
			atom = 1;
			s = re_skip_bracket(s);
			break;
		case '\\':
			total += atom;
			atom = 1;
			s++;
			if (*s)
				s++;
			break;
		case '+':
		case '*':
		case '?':
			/* Stacked operators ("a??", "a*+") are undefined in POSIX and
			 * make glibc's epsilon closures explode: refuse them. */
			if (rep)
				return RX_COST_MAX * 2;
			atom = atom * 2 + 1;
			s++;
			rep = true;
			continue;
		case '{':
			k = re_interval(&s);
			if (k < 0) {
				total += atom; /* a literal '{' */
				atom = 1;
				s++;
			} else {
				if (rep)
					return RX_COST_MAX * 2;
				atom = atom * (k + 1) + 1;
				rep = true;
				continue;
			}
			break;
		case '|':
			total += atom + 1;
			atom = 0;
			s++;
			break;
		default:
			total += atom;
			atom = 1;
			s++;
		}
		rep = false;
	}
	*sp = s;
	return total + atom;
}

bool rx_too_costly(const char *pattern)
{
	const char *re = pattern;
	double cost = 0;

	while (*re && cost <= RX_COST_MAX) {
		if (*re == ')') { /* unbalanced: regcomp() will say so */
			re++;
			continue;
		}
		cost += re_cost(&re, 0);
	}
	return cost > RX_COST_MAX;
}

int rx_compile(regex_t *re, const char *pattern, const char *what, struct vl_err *e)
{
	regex_t tmp, *r = re ? re : &tmp;
	int rc;

	if (rx_too_costly(pattern))
		return vl_fail(e, EXIT_CONFIG,
			       "%s '%s' is too complex: stacked or deeply nested repetitions such "
			       "as a?? or ((a{99}){99}){99}",
			       what, pattern);
	rc = regcomp(r, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char eb[128];

		regerror(rc, r, eb, sizeof(eb));
		return vl_fail(e, EXIT_CONFIG, "bad %s '%s': %s", what, pattern, eb);
	}
	if (!re)
		regfree(r);
	return 0;
}
