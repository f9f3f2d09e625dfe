// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * logfile.c - bounded log files with one rotated part (see logfile.h for
 * the names): rotation by rename for writers that can reopen, by copy and
 * truncate for those that cannot, and size parsing for [lab] log_max.
 */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/logfile.h"
#include "lab/lib/util.h"

char *logfile_older(const char *path)
{
	return xasprintf("%s.1", path);
}

char *logfile_prev(const char *path)
{
	return xasprintf("%s.prev", path);
}

static int open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

void logfile_new_run(const char *path)
{
	_cleanup_free_ char *prev = logfile_prev(path);
	_cleanup_free_ char *older = logfile_older(path);

	/* The last run's .1 is older than its last part: it goes, so a
	 * port never holds more than three files. */
	unlink(older);
	/* No LOG (a node restarted within a run moved it aside): keep .prev. */
	rename(path, prev);
}

int logfile_open_run(const char *path)
{
	logfile_new_run(path);
	unlink(path); /* if the rename failed, start empty anyway */
	return open_append(path);
}

int logfile_rotate(const char *path)
{
	_cleanup_free_ char *older = logfile_older(path);

	if (rename(path, older) < 0 && errno != ENOENT)
		return -errno;
	return open_append(path);
}

int logfile_start(struct logfile *lf, const char *path, long long max)
{
	lf->path = path;
	lf->max = max;
	lf->size = 0;
	lf->fd = logfile_open_run(path);
	return lf->fd < 0 ? lf->fd : 0;
}

void logfile_close(struct logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
}

/*
 * How much of @buf goes into a file of @size bytes capped at @max. Lines
 * stay whole across a rotation: once the file passes a soft limit (4 KiB
 * below the cap) it ends at the first line end, so a line begun in this
 * file is finished here (a chunk read from a console often ends mid-line).
 * Only a line longer than that slack is split, at the cap itself.
 */
static size_t fit(const char *buf, size_t len, long long size, long long max)
{
	long long soft = max > 8192 ? max - 4096 : max;
	size_t room = size < max ? (size_t)(max - size) : 0;
	size_t from = size < soft ? (size_t)(soft - size) : 0;

	if (size + (long long)len <= soft)
		return len;
	for (size_t i = from; i < len && i < room; i++)
		if (buf[i] == '\n')
			return i + 1;
	if (len <= room)
		return len; /* no line end yet, and it fits: the next chunk ends it */
	for (size_t i = room; i > 0; i--)
		if (buf[i - 1] == '\n')
			return i;
	return size == 0 ? room : 0;
}

int logfile_write(struct logfile *lf, const void *data, size_t len)
{
	const char *buf = data;

	while (len && lf->fd >= 0) {
		size_t n;
		int r;

		if (!lf->max) {
			n = len;
		} else {
			n = fit(buf, len, lf->size, lf->max);
		}
		if (n) {
			r = write_all(lf->fd, buf, n);
			if (r < 0) {
				logfile_close(lf);
				return r;
			}
			lf->size += (long long)n;
			buf += n;
			len -= n;
		}
		if (len) {
			close(lf->fd);
			lf->fd = logfile_rotate(lf->path);
			lf->size = 0;
			if (lf->fd < 0) {
				r = lf->fd;
				lf->fd = -1;
				return r;
			}
		}
	}
	return lf->fd < 0 ? -EBADF : 0;
}

static int copy_fd(int in, int out, off_t *done)
{
	char buf[65536];

	for (;;) {
		ssize_t n = pread(in, buf, sizeof(buf), *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (write_all(out, buf, (size_t)n) < 0)
			return -errno;
		*done += n;
	}
}

int logfile_copytruncate(const char *path, long long max)
{
	_cleanup_free_ char *older = logfile_older(path);
	_cleanup_free_ char *tmp = xasprintf("%s.1.tmp", path);
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;
	off_t done = 0;
	int r;

	if (!max)
		return 0;
	in = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(in, &st) < 0)
		return -errno;
	if (st.st_size <= max)
		return 0;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	/* Copy until a fstat finds nothing new, then truncate at once. */
	for (int tries = 0; tries < 20; tries++) {
		r = copy_fd(in, out, &done);
		if (r < 0)
			goto fail;
		if (fstat(in, &st) < 0) {
			r = -errno;
			goto fail;
		}
		if (st.st_size <= done)
			break;
	}
	if (ftruncate(in, 0) < 0) {
		r = -errno;
		goto fail;
	}
	if (rename(tmp, older) < 0) {
		r = -errno;
		goto fail;
	}
	return 1;
fail:
	unlink(tmp);
	return r;
}

int logfile_parse_size(const char *s, long long *out)
{
	unsigned long long v = 0, mul = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (v > (1ULL << 50))
			return -1;
		v = v * 10 + (unsigned)(*p++ - '0');
	}
	switch (toupper((unsigned char)*p)) {
	case 'K':
		mul = 1ULL << 10;
		p++;
		break;
	case 'M':
		mul = 1ULL << 20;
		p++;
		break;
	case 'G':
		mul = 1ULL << 30;
		p++;
		break;
	default: break;
	}
	if (mul > 1 && *p == 'i')
		p++;
	if (toupper((unsigned char)*p) == 'B')
		p++;
	if (*p || v > (1ULL << 40) / mul)
		return -1;
	*out = (long long)(v * mul);
	return 0;
}
