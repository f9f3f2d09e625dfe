// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tree.c - make a tree the guest chose safe to leave on the host: what
 * `config export` writes comes from a guest's filesystem (debugfs rdump
 * keeps its modes, owners and symlinks), and the guest is not trusted.
 *
 * Every step works from directory fds with O_NOFOLLOW and AT_SYMLINK_NOFOLLOW,
 * so nothing the guest made (a symlink to ~/.ssh, say) is ever followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/tar.h"
#include "lab/lib/util.h"

/* A relative target without a ".." component stays inside the tree
 * whatever the other links are; anything else may not. */
static bool link_inside(const char *target)
{
	const char *p = target;

	if (!target[0] || target[0] == '/')
		return false;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len;
		p += strspn(p, "/");
	}
	return true;
}

static void note(struct tree_fix *fix, const char *rel, const char *why)
{
	if (!fix->removed++)
		snprintf(fix->first, sizeof(fix->first), "%.200s (%s)", rel, why);
}

static int walk(int dfd, const char *rel, bool links_inside, struct tree_fix *fix, struct vl_err *e,
		const char *top, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		close(dfd);
		return vl_fail_errno(e, EXIT_ENV, errno, "%s/%s", top, rel);
	}
	while (ret == 0 && (de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct stat st;
		int fd = dirfd(d);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = vl_fail_errno(e, EXIT_ENV, errno, "%s/%s", top, path);
			break;
		}
		/* Owned by whoever runs vacmlab, never by a guest's uid (root
		 * running rdump would keep those). */
		if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
		    fchownat(fd, de->d_name, geteuid(), getegid(), AT_SYMLINK_NOFOLLOW) < 0) {
			ret = vl_fail_errno(e, EXIT_ENV, errno, "%s/%s: chown", top, path);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(fd, de->d_name, target, sizeof(target) - 1);

			target[n > 0 ? n : 0] = '\0';
			if (links_inside && !link_inside(target)) {
				if (unlinkat(fd, de->d_name, 0) < 0) {
					ret = vl_fail_errno(e, EXIT_ENV, errno, "%s/%s", top, path);
					break;
				}
				note(fix, path, "a symlink that may point out of the tree");
			}
			continue;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			if (unlinkat(fd, de->d_name, 0) < 0) {
				ret = vl_fail_errno(e, EXIT_ENV, errno, "%s/%s", top, path);
				break;
			}
			note(fix, path, "a device, FIFO or socket");
			continue;
		}
		/* Owner's bits, group and others read/exec: nothing writable
		 * by anyone else, no setuid, setgid or sticky bit. */
		if ((st.st_mode & 07777) != (st.st_mode & 0755) &&
		    fchmodat(fd, de->d_name, st.st_mode & 0755, 0) < 0) {
			ret = vl_fail_errno(e, EXIT_ENV, errno, "%s/%s: chmod", top, path);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub;

			if (depth > 256) {
				ret = vl_fail(e, EXIT_ENV, "%s/%s: more than 256 levels deep", top,
					      path);
				break;
			}
			sub = openat(fd, de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				ret = vl_fail_errno(e, EXIT_ENV, errno, "%s/%s", top, path);
				break;
			}
			ret = walk(sub, path, links_inside, fix, e, top, depth + 1);
		}
	}
	closedir(d);
	return ret;
}

int tree_make_safe(const char *dir, bool links_inside, struct tree_fix *fix, struct vl_err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	struct stat st;

	memset(fix, 0, sizeof(*fix));
	if (fd < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "%s", dir);
	/* The top too: rdump gives it the guest's root directory mode. */
	if (fstat(fd, &st) < 0 || fchmod(fd, st.st_mode & 0755) < 0) {
		close(fd);
		return vl_fail_errno(e, EXIT_ENV, errno, "%s: chmod", dir);
	}
	return walk(fd, "", links_inside, fix, e, dir, 0);
}
