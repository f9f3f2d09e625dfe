// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_logfile.c - TAP tests of bounded logs (lab/lib/logfile.c) on real
 * files: a log written through logfile_write never passes its cap and
 * rotates at a line end; a new run moves the last run's log to .prev and
 * drops its .1; copy and truncate keeps what another process appended with
 * O_APPEND, which goes on at offset 0; [lab] log_max sizes parse.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/logfile.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

static long long fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static void test_write(const char *dir)
{
	_cleanup_free_ char *p = xasprintf("%s/a.log", dir);
	_cleanup_free_ char *p1 = logfile_older(p);
	_cleanup_free_ char *pp = logfile_prev(p);
	struct logfile lf;
	char line[100], *head;
	long long total = 0;

	ok(logfile_start(&lf, p, LOG_MAX_MIN) == 0, "logfile_start");
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(line, sizeof(line), "line %05d of the log, padded to be long\n",
				 i);

		if (logfile_write(&lf, line, (size_t)n) < 0)
			break;
		total += n;
	}
	ok(fsize(p) <= LOG_MAX_MIN, "the log stays within the cap (%lld)", fsize(p));
	ok(fsize(p1) > 0 && fsize(p1) <= LOG_MAX_MIN, "one rotated part (%lld)", fsize(p1));
	ok(total > 3 * LOG_MAX_MIN, "more than three caps were written (%lld)", total);
	head = read_file(p, NULL);
	ok(head && !strncmp(head, "line ", 5), "the log starts at a line start");
	ok(head && strstr(head, "line 04999 "), "the newest line is in the log");
	free(head);
	head = read_file(p1, NULL);
	ok(head && !strncmp(head, "line ", 5) && head[fsize(p1) - 1] == '\n',
	   "the rotated part holds whole lines");
	free(head);
	/* A chunk without any line end, larger than the room left. */
	{
		char big[LOG_MAX_MIN / 2];

		memset(big, 'x', sizeof(big));
		logfile_write(&lf, big, sizeof(big));
		logfile_write(&lf, big, sizeof(big));
		ok(fsize(p) <= LOG_MAX_MIN, "a line longer than the room left starts a new file");
	}
	logfile_close(&lf);
	ok(access(pp, F_OK) < 0, "no .prev on a first run");
	ok(logfile_start(&lf, p, LOG_MAX_MIN) == 0 && fsize(p) == 0, "a new run starts empty");
	ok(fsize(pp) > 0 && access(p1, F_OK) < 0, "the last run's log is .prev, its .1 is gone");
	logfile_close(&lf);
}

static void test_copytruncate(const char *dir)
{
	_cleanup_free_ char *p = xasprintf("%s/q.log", dir);
	_cleanup_free_ char *p1 = logfile_older(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
	char buf[1000];
	pid_t pid;

	memset(buf, 'q', sizeof(buf));
	buf[sizeof(buf) - 1] = '\n';
	for (int i = 0; i < 100; i++)
		write_all(fd, buf, sizeof(buf));
	ok(logfile_copytruncate(p, 200000) == 0, "copytruncate: below the cap, nothing done");
	ok(logfile_copytruncate(p, LOG_MAX_MIN) == 1, "over the cap: rotated");
	ok(fsize(p1) == 100000 && fsize(p) == 0,
	   "all 100000 bytes in .1, the log empty (%lld, %lld)", fsize(p1), fsize(p));
	write_all(fd, "after\n", 6);
	ok(fsize(p) == 6, "the writer's next append lands at offset 0 (O_APPEND): no hole");
	close(fd);
	/* A writer appending while it rotates: no byte of it may be doubled,
	 * and what is lost is at most the few bytes of the window. */
	unlink(p);
	unlink(p1);
	pid = fork();
	if (pid == 0) {
		int w = open(p, O_WRONLY | O_CREAT | O_APPEND, 0600);

		for (int i = 0; i < 20000; i++) {
			char l[64];
			int n = snprintf(l, sizeof(l), "%08d\n", i);

			write_all(w, l, (size_t)n);
			if (i % 100 == 0)
				usleep(1000);
		}
		_exit(0);
	}
	{
		int rotations = 0, st;
		long long kept = 0;

		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (logfile_copytruncate(p, LOG_MAX_MIN) == 1) {
				rotations++;
				kept += fsize(p1);
			}
			usleep(5000);
		}
		kept += fsize(p);
		ok(rotations >= 2, "rotated %d times while a writer appended", rotations);
		ok(kept >= 180000 - 9 * rotations * 4 && kept <= 180000,
		   "%lld of 180000 bytes kept across the rotations", kept);
	}
}

static void test_parse(void)
{
	long long v;

	ok(logfile_parse_size("16M", &v) == 0 && v == 16LL << 20, "16M");
	ok(logfile_parse_size("512K", &v) == 0 && v == 512LL << 10, "512K");
	ok(logfile_parse_size("1GiB", &v) == 0 && v == 1LL << 30, "1GiB");
	ok(logfile_parse_size("70000", &v) == 0 && v == 70000, "bytes");
	ok(logfile_parse_size("0", &v) == 0 && v == 0, "0");
	ok(logfile_parse_size("1.5M", &v) < 0, "1.5M refused");
	ok(logfile_parse_size("M", &v) < 0, "M refused");
	ok(logfile_parse_size("-1M", &v) < 0, "-1M refused");
	ok(logfile_parse_size("16Q", &v) < 0, "16Q refused");
	ok(logfile_parse_size("99999999999999G", &v) < 0, "an absurd size refused");
}

int main(void)
{
	char dir[] = "/tmp/test_logfile.XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	test_write(dir);
	test_copytruncate(dir);
	test_parse();
	rm_rf(dir);
	return done_testing();
}
