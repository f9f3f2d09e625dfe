// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_match.c - TAP tests of the one line matcher and log tails
 * (lab/lib/match.c): the same console output, cut into two chunks at every
 * byte position (and fed byte by byte), matches at the same point and
 * echoes the same text; escape sequences, CR and NUL split across chunks
 * are still dropped; a partial last line (a prompt) matches and is kept,
 * a complete matching line is reset; regex anchors apply to one line;
 * a flood without newlines stays bounded. tail_file gives the last lines
 * of a log, and of this run's output when the log has just rotated (LOG.1
 * then LOG). A partial match waits for the output to pause (settle):
 * "# " then "Title" is not the prompt '# $' looks for; log_wait_regex
 * (the `wait` and `send --expect` loop) takes a partial match only after
 * LINE_SETTLE_MS of quiet, and goes on when the line goes on.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/cli/console.h"
#include "lab/lib/logfile.h"
#include "lab/lib/match.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

static regex_t rx(const char *pat)
{
	regex_t re;

	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB)) {
		fprintf(stderr, "bad test regex %s\n", pat);
		exit(2);
	}
	return re;
}

/* Feed @s in chunks cut at @cuts (ascending, -1 ends); returns the end
 * offset of the chunk that matched (0 if none) and the echo in *echo. */
static size_t feed_cut(const char *s, size_t len, const size_t *cuts, const regex_t *re,
		       char **echo)
{
	struct line_matcher l = {0};
	size_t echo_len = 0, at = 0, matched = 0;
	FILE *f = open_memstream(echo, &echo_len);

	for (int i = 0;; i++) {
		size_t end = cuts[i] == (size_t)-1 ? len : cuts[i];

		if (line_matcher_feed(&l, s + at, end - at, re, f)) {
			matched = end;
			break;
		}
		at = end;
		if (end == len)
			break;
	}
	fclose(f);
	line_matcher_free(&l);
	return matched;
}

/* Every cut into two chunks, then byte by byte: the match comes with the
 * chunk holding @match_at (the offset just past the byte that completes
 * the match), the echo is @want_echo. */
static void every_split(const char *name, const char *s, size_t len, const char *pat,
			size_t match_at, const char *want_echo)
{
	regex_t re = rx(pat);
	int bad_match = 0, bad_echo = 0;
	size_t *cuts = xcalloc(len + 1, sizeof(size_t));
	char *echo;

	for (size_t cut = 0; cut <= len; cut++) {
		size_t c2[] = {cut, (size_t)-1};
		size_t got = feed_cut(s, len, c2, &re, &echo);
		size_t want = match_at == 0 ? 0 : cut >= match_at ? cut : len;

		if (got != want) {
			if (!bad_match++)
				printf("# cut at %zu: matched with the chunk ending at %zu, want "
				       "%zu\n",
				       cut, got, want);
		}
		if (strcmp(echo, want_echo) && !bad_echo++)
			printf("# cut at %zu: echo '%s'\n", cut, echo);
		free(echo);
	}
	ok(!bad_match, "%s: split at each of %zu positions, the match comes at the same byte", name,
	   len + 1);
	ok(!bad_echo, "%s: and the echo is the same", name);

	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	cuts[len] = (size_t)-1;
	is_int((long long)feed_cut(s, len, cuts, &re, &echo), (long long)match_at,
	       "%s: fed byte by byte, the match comes at byte %zu", name, match_at);
	is_str(echo, want_echo, "%s: byte by byte, the same echo", name);
	free(echo);
	free(cuts);
	regfree(&re);
}

static void test_splits(void)
{
	/* A boot: CRLF line ends, a NUL, colour escapes, an OSC title, then
	 * busybox's prompt followed by a cursor position query. */
	static const char boot[] = "Booting\r\n\x1b[1;32mOK\x1b[0m net\r\n"
				   "\x1b]0;vacm1\x07title set\r\nnoise\0 here\r\n"
				   "vacm1 login: ";
	static const char shell[] = "welcome\r\n~ # \x1b[6n";

	every_split("login prompt (partial line)", boot, sizeof(boot) - 1, "^vacm1 login: $",
		    sizeof(boot) - 1, "Booting\nOK net\ntitle set\nnoise here\nvacm1 login: ");
	every_split("'# $' after ESC [ 6 n", shell, sizeof(shell) - 1, "# $",
		    sizeof(shell) - 1 - 4 /* the query is not needed */, "welcome\n~ # ");
	/* It matches as a partial line as soon as "net" is in. */
	every_split("a line in the middle", boot, sizeof(boot) - 1, "^OK net$",
		    (size_t)(strstr(boot, "net\r\n") - boot) + 3, "Booting\nOK net");
	every_split("no match", boot, sizeof(boot) - 1, "^panic", 0,
		    "Booting\nOK net\ntitle set\nnoise here\n");
}

static int feed_str(struct line_matcher *l, const char *s, const regex_t *re)
{
	return line_matcher_feed(l, s, strlen(s), re, NULL);
}

static void test_anchors(void)
{
	regex_t re = rx("^ready$");
	struct line_matcher l = {0};

	is_int(feed_str(&l, "not ready\nready now\n", &re), 0,
	       "^ready$ : not in 'not ready' or 'ready now'");
	is_int(feed_str(&l, "rea", &re), 0, "a partial 'rea' does not match");
	is_int(feed_str(&l, "dy", &re), 1,
	       "'ready' completed across chunks matches (partial line)");
	is_int(feed_str(&l, " not\n", &re), 0, "it was kept: 'ready not' does not match");
	is_int(feed_str(&l, "ready\n", &re), 1, "a whole line 'ready' matches");
	is_int(feed_str(&l, "", &re), 0, "the line was reset after a complete-line match");
	is_int(l.len, 0, "nothing left in the line");
	line_matcher_free(&l);
	regfree(&re);

	/* Each line on its own: ^ does not match after a newline within a
	 * chunk, a line does not see its neighbours. */
	re = rx("a$");
	is_int(feed_str(&l, "xa\rb\n", &re), 0, "CR is dropped: 'xab' does not end in a");
	is_int(feed_str(&l, "b\na", &re), 1, "'a' on a partial line matches");
	line_matcher_free(&l);
	regfree(&re);
	re = rx("^b a$");
	is_int(feed_str(&l, "b\na\n", &re), 0, "two lines are never joined");
	line_matcher_free(&l);
	regfree(&re);
}

static void test_escapes(void)
{
	regex_t re = rx("^after$");
	struct line_matcher l = {0};
	char s[] = "a\x1b[31mb\x1b]0;t\x07"
		   "c\x1b(B";

	/* An OSC with no BEL ends at the line end: the next line is seen. */
	is_int(feed_str(&l, "\x1b]0;never ended\nafter\n", &re), 1,
	       "an unterminated OSC does not swallow the next line");
	line_matcher_free(&l);
	regfree(&re);
	text_strip_escapes(s);
	is_str(s, "abc", "text_strip_escapes drops CSI, OSC and two-byte sequences");
}

static void test_flood(void)
{
	regex_t re = rx("END$");
	struct line_matcher l = {0};
	char chunk[4096];
	int r = 0;

	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 1024 && !r; i++) /* 4 MiB, no newline */
		r = line_matcher_feed(&l, chunk, sizeof(chunk), &re, NULL);
	is_int(r, 0, "4 MiB without a newline: no match");
	ok(l.cap <= 64 * 1024 && l.len < l.cap, "the line stays bounded (%zu of %zu)", l.len,
	   l.cap);
	is_int(feed_str(&l, "END", &re), 1, "the end of a flooded line still matches");
	line_matcher_free(&l);
	regfree(&re);
}

static char *write_tmp(const char *dir, const char *name, const char *txt, size_t len)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	if (f) {
		fwrite(txt, 1, len, f);
		fclose(f);
	}
	return p;
}

static void test_tail(const char *dir)
{
	static const char bin[] = "one\ntwo\r\nth\0r\x01"
				  "ee\nfour\nfive";
	_cleanup_free_ char *p = write_tmp(dir, "a.log", bin, sizeof(bin) - 1);
	_cleanup_free_ char *none = xasprintf("%s/missing.log", dir);
	char *t;

	t = tail_file(p, 2);
	is_str(t, "four\nfive\n", "last 2 lines; a newline ends an unfinished last line");
	free(t);
	t = tail_file(p, 4);
	is_str(t, "two\nthree\nfour\nfive\n", "last 4: CR, NUL and control bytes dropped");
	free(t);
	t = tail_file(p, 50);
	is_str(t, "one\ntwo\nthree\nfour\nfive\n", "more lines asked than there are: all");
	free(t);
	ok(tail_file(none, 5) == NULL, "a missing file: NULL");
	free(write_tmp(dir, "a.log", "", 0));
	t = tail_file(p, 3);
	is_str(t, "", "an empty file: empty");
	free(t);
}

/* A log that has just rotated: LOG holds a line or two, LOG.1 the rest
 * of this run. The tail is of the run, not of the new part alone. */
static void test_tail_rotated(const char *dir)
{
	_cleanup_free_ char *p = xasprintf("%s/console.log", dir);
	_cleanup_free_ char *older = logfile_older(p);
	_cleanup_free_ char *prev = logfile_prev(p);
	struct logfile lf;
	char line[64];
	char *t;
	int i, rotated_at = -1;

	/* The last run's log must never show up. */
	free(write_tmp(dir, "console.log", "LAST RUN\n", 9));
	ok(logfile_start(&lf, p, LOG_MAX_MIN) == 0, "a run's log");
	for (i = 0; i < 100000; i++) {
		int n = snprintf(line, sizeof(line), "line %06d\n", i);

		if (logfile_write(&lf, line, (size_t)n) < 0)
			break;
		if (access(older, F_OK) == 0) {
			rotated_at = i;
			break;
		}
	}
	ok(rotated_at > 0, "the log rotated after line %d", rotated_at);
	t = tail_file(p, 5);
	{
		char want[256] = "";

		for (int k = rotated_at - 4; k <= rotated_at; k++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "line %06d\n",
				 k);
		is_str(t, want, "tail of a just-rotated log: the run's last 5 lines, across LOG.1");
	}
	free(t);
	ok(access(prev, F_OK) == 0, "the last run's log is LOG.prev");
	t = tail_file(p, 100000);
	ok(t && !strstr(t, "LAST RUN") && !strncmp(t, "line 000000\n", 12),
	   "the whole run starts at its first line, without the last run");
	free(t);
	logfile_close(&lf);
}

static void test_settle(void)
{
	regex_t re = rx("# $");
	struct line_matcher l = {.settle = true};
	size_t len = 0;
	char *echo = NULL;
	FILE *f = open_memstream(&echo, &len);

	is_int(line_matcher_feed(&l, "cmd\r\n# ", 7, &re, f), LINE_PARTIAL,
	       "settle: '# ' on a partial line is only a partial match");
	fflush(f);
	is_str(echo, "cmd\n", "  nothing of the partial line is echoed yet");
	is_int(line_matcher_feed(&l, "Title\r\n", 7, &re, f), LINE_NONE,
	       "  the line goes on as '# Title': no match");
	is_int(line_matcher_feed(&l, "vacm1:/root# ", 13, &re, f), LINE_PARTIAL,
	       "  the prompt is a partial match again");
	line_matcher_accept(&l, f);
	fclose(f);
	is_str(echo, "cmd\n# Title\nvacm1:/root# ", "  accepted: the echo ends with the prompt");
	free(echo);
	line_matcher_free(&l);
	regfree(&re);

	re = rx("^ok");
	l = (struct line_matcher){.settle = true};
	is_int(line_matcher_feed(&l, "ok", 2, &re, NULL), LINE_PARTIAL, "'^ok' on 'ok': partial");
	is_int(line_matcher_feed(&l, " done\n", 6, &re, NULL), LINE_MATCH,
	       "  the completed line 'ok done' is a match");
	line_matcher_free(&l);
	regfree(&re);
	re = rx("# $");
	l = (struct line_matcher){0};
	is_int(line_matcher_feed(&l, "# ", 2, &re, NULL), LINE_MATCH,
	       "without settle (ready = console) a partial match is a match");
	line_matcher_free(&l);
	regfree(&re);
}

static void append(const char *path, const char *s)
{
	FILE *f = fopen(path, "a");

	if (!f || fputs(s, f) < 0 || fclose(f))
		exit(3);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* log_wait_regex on a log a child writes the way a serial console does:
 * "# " and "Title" arrive apart (5 ms, well inside the settle time). */
static void test_wait_settle(const char *dir)
{
	_cleanup_free_ char *p = xasprintf("%s/settle.log", dir);
	regex_t re = rx("# $");
	size_t len = 0;
	char *echo = NULL;
	FILE *f;
	pid_t pid;
	long long t0;
	int r, st;

	append(p, "old output\n");
	f = open_memstream(&echo, &len);
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		append(p, "cmd\n# ");
		usleep(5000);
		append(p, "Title\n");
		usleep(5000);
		append(p, "root# ");
		_exit(0);
	}
	r = log_wait_regex(p, 11, &re, 10000, NULL, f);
	fclose(f);
	waitpid(pid, &st, 0);
	is_int(r, 0, "log_wait_regex: '# $' matched");
	is_str(echo, "cmd\n# Title\nroot# ",
	       "  at the prompt, not at the '# ' that starts '# Title'");
	free(echo);

	/* A prompt and nothing after it: taken after the settle time. */
	f = open_memstream(&echo, &len);
	t0 = ms_now();
	r = log_wait_regex(p, 0, &re, 10000, NULL, f);
	fclose(f);
	is_int(r, 0, "a log ending in a prompt matches");
	ok(ms_now() - t0 >= LINE_SETTLE_MS, "  once the output has paused for %d ms (took %lld ms)",
	   LINE_SETTLE_MS, ms_now() - t0);
	is_str(echo, "old output\ncmd\n# Title\nroot# ", "  its echo is the whole log");
	free(echo);

	/* A timeout shorter than the settle time: the pending match stands. */
	r = log_wait_regex(p, 0, &re, 10, NULL, NULL);
	is_int(r, 0, "a pending match at the deadline is a match, not a timeout");
	regfree(&re);
}

int main(void)
{
	char dir[] = "/tmp/test_match.XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	test_splits();
	test_anchors();
	test_escapes();
	test_flood();
	test_tail(dir);
	test_tail_rotated(dir);
	test_settle();
	test_wait_settle(dir);
	{
		_cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			ok(0, "cleanup");
	}
	return done_testing();
}
