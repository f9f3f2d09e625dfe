/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tar.h - unpack a user's .tar / .tar.gz safely into a private staging
 * directory, and describe a tree (from a tar or a directory) as the list of
 * entries a partition seed is made of: path, type and mode, owner root.
 */
#ifndef VACMLAB_TAR_H
#define VACMLAB_TAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lab/lib/error.h"

/* One entry of a seed tree. @path is relative ("" is the root directory),
 * normalised (no ".", "..", leading or doubled '/'). @mode is a full
 * st_mode: S_IFREG, S_IFDIR or S_IFLNK plus the permission bits. */
struct seed_ent {
	char *path;
	mode_t mode;
	int64_t mtime;
};

struct seed_list {
	struct seed_ent *v;
	size_t n;
	uint64_t bytes; /* sum of regular file sizes */
};

void seed_list_free(struct seed_list *l);

/**
 * tar_extract() - unpack @tarpath (tar, or tar compressed with gzip) into
 * the existing, empty directory @dir
 * @limit:	refuse a tar whose files hold more than this many bytes
 * @list:	filled with every entry (and implied parent directory)
 *
 * Every member is checked before anything of it is written: absolute
 * paths, ".." components, hard links, devices, FIFOs, names debugfs cannot
 * quote (control characters, '"', '\\') and paths through a symlink of the
 * archive are refused, naming the member. Files are created 0600, dirs
 * 0700 (the final modes go into the filesystem later, from @list).
 * Returns 0, or -1 with @e set (EXIT_CONFIG: the archive is at fault).
 */
int tar_extract(const char *tarpath, const char *dir, uint64_t limit, struct seed_list *list,
		struct vl_err *e);

/**
 * tree_scan() - the seed list of directory @dir (not following symlinks)
 * Refuses devices, FIFOs, sockets and unquotable names like tar_extract().
 */
int tree_scan(const char *dir, uint64_t limit, struct seed_list *list, struct vl_err *e);

/* What tree_make_safe() removed: how many entries, the first one and why. */
struct tree_fix {
	unsigned int removed;
	char first[256];
};

/**
 * tree_make_safe() - make a tree a guest chose (an export) safe on the host
 * @links_inside:	remove every symlink whose target is absolute or has
 *			a ".." component (it could point out of @dir)
 *
 * Below @dir, never following a symlink: permission bits become mode &
 * 0755 (nothing group- or world-writable, no setuid/setgid/sticky), owners
 * the caller's, and devices, FIFOs and sockets are removed. 0 or -1 + @e.
 */
int tree_make_safe(const char *dir, bool links_inside, struct tree_fix *fix, struct vl_err *e);

#endif
