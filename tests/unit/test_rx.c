// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rx.c - TAP tests of the regex guard (lab/lib/rx.c): ordinary regexes
 * compile and match; patterns that would cost glibc's regcomp() seconds and
 * gigabytes are refused at once with a message naming them; regcomp's own
 * errors come back in its words.
 */
#include <regex.h>
#include <string.h>
#include <time.h>

#include "lab/lib/rx.h"
#include "tests/unit/tap.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* @pattern is refused by the guard, quickly, with a "too complex" message. */
static void refused(const char *pattern, const char *what)
{
	struct vl_err e = {0};
	regex_t re;
	double t0 = now_s(), dt;
	int r = rx_compile(&re, pattern, "regex", &e);

	dt = now_s() - t0;
	ok(r == -1 && e.code == EXIT_CONFIG, "%s: refused with EXIT_CONFIG", what);
	ok(strstr(e.msg, "is too complex") && strstr(e.msg, pattern), "%s: message names it (%s)",
	   what, e.msg);
	ok(dt < 0.1, "%s: refused in %.3f s", what, dt);
}

static void accepted(const char *pattern, const char *line, const char *what)
{
	struct vl_err e = {0};
	regex_t re;

	if (!ok(rx_compile(&re, pattern, "regex", &e) == 0 && !e.code, "%s: compiles", what)) {
		printf("#   %s\n", e.msg);
		return;
	}
	ok(regexec(&re, line, 0, NULL, 0) == 0, "%s: matches '%s'", what, line);
	regfree(&re);
}

int main(void)
{
	struct vl_err e = {0};
	char plus[64];

	accepted("login:", "vacm1 login: ", "a plain word");
	accepted("[0-9]{1,3}(\\.[0-9]{1,3}){3} (a|b)+", "10.0.0.1 ab", "intervals and groups");
	accepted("^# $", "# ", "a prompt");
	accepted("(a{1,100}){1,10}", "aaaa", "two nested intervals of ordinary size");

	refused("((a{1,100}){1,100}){1,100}", "three nested intervals (2 s and 1.1 GB in glibc)");
	refused("((a{99}){99}){99}", "nested exact intervals");
	memset(plus, '+', 45);
	plus[45] = '\0';
	{
		char pat[80];

		snprintf(pat, sizeof(pat), "yn%s", plus);
		refused(pat, "45 stacked '+' (out of memory in glibc)");
	}
	refused("y?????????????", "stacked '?' (minutes in the epsilon closure)");
	refused("a??", "a??");
	refused("a*+", "a*+");
	refused("((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))",
		"groups nested deeper than 32");

	ok(rx_compile(NULL, "login((", "ready regex", &e) == -1 && e.code == EXIT_CONFIG,
	   "a broken regex: refused");
	is_str(e.msg, "bad ready regex 'login((': Unmatched ( or \\(",
	       "with regcomp's words and the caller's name for it");
	vl_clear(&e);
	ok(rx_compile(NULL, "login:", "regex", &e) == 0, "re NULL: only checks");
	ok(rx_too_costly("((a{99}){99}){99}") && !rx_too_costly("a{99}"),
	   "rx_too_costly: the test behind rx_compile");
	ok(!rx_too_costly("a)b") && !rx_too_costly("[a-z]{1,3}\\{"),
	   "unbalanced ')' and a literal '{' are left to regcomp");
	return done_testing();
}
