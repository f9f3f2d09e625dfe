/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * logfile.h - bounded log files: every log of a lab (consoles, QEMU's
 * stderr, dnsmasq, the supervisor) is capped at [lab] log_max bytes per
 * file and rotated, keeping one older part. The names, one meaning each:
 *   LOG        this run, the newest part (at most log_max bytes)
 *   LOG.1      this run, the part before LOG (present once LOG rotated)
 *   LOG.prev   the previous run's last part (its LOG, moved at `up`)
 * So LOG.1 then LOG is this run's output, oldest first, and LOG.prev is
 * never mixed into it.
 */
#ifndef VACMLAB_LOGFILE_H
#define VACMLAB_LOGFILE_H

#include <stddef.h>
#include <sys/types.h>

#define LOG_MAX_DEFAULT (16LL << 20)
#define LOG_MAX_MIN (64LL << 10)

/* LOG.1 and LOG.prev of @path, malloc'd. */
char *logfile_older(const char *path);
char *logfile_prev(const char *path);

/* A new run's log at @path: the last run's LOG becomes LOG.prev, its LOG.1
 * goes, and an empty LOG is opened for appending. The fd or -errno. */
int logfile_open_run(const char *path);
/* Make LOG.prev of the last run and remove its LOG.1 without opening LOG
 * (for files another program opens itself). */
void logfile_new_run(const char *path);

/* A log this process writes: the size is tracked, and a write that would
 * take LOG past @max first fills it up to a line end, then LOG becomes
 * LOG.1 (replacing the old one) and a fresh LOG takes the rest. */
struct logfile {
	int fd;
	const char *path;
	long long size;
	long long max; /* 0: no limit */
};
/* Open @path for a new run (logfile_open_run); 0 or -errno. */
int logfile_start(struct logfile *lf, const char *path, long long max);
/* Write all of @buf; 0 or -errno (the log is then closed: fd -1). */
int logfile_write(struct logfile *lf, const void *buf, size_t len);
void logfile_close(struct logfile *lf);

/* Rotate LOG to LOG.1 by renaming and open a fresh LOG: for a writer that
 * can reopen (the supervisor dups the new fd over its stderr, dnsmasq
 * reopens on SIGUSR2). The new fd or -errno. */
int logfile_rotate(const char *path);

/* For a file another process appends to (O_APPEND) and cannot reopen
 * (QEMU's stderr, QEMU `log` ports): if it is over @max, copy it to LOG.1
 * and truncate it, as logrotate's copytruncate. The writer's next append
 * lands at offset 0. Bytes appended between the last read of the copy and
 * the truncation are lost; the copy re-reads until the size is still, so
 * that window is a few microseconds. 1 if rotated, 0 if not needed, or
 * -errno. */
int logfile_copytruncate(const char *path, long long max);

/* Parse a size: digits with an optional K, M or G suffix (powers of 1024,
 * an optional trailing B or iB); 0 or -1. */
int logfile_parse_size(const char *s, long long *out);

#endif
