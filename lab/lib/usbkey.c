// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usbkey.c - a directory as a FAT USB key, without root: mkfs.fat makes
 * the file system in a plain file (-C), mcopy copies the tree into it
 * (mtools works on an image file, no mount). The key is rebuilt on each
 * start of the node, so it always holds what the directory holds.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/spawn.h"
#include "lab/lib/usbkey.h"
#include "lab/lib/util.h"

/* Bytes under @path (files only, rounded up to 4 KiB clusters each). */
static long long tree_size(const char *path, int depth)
{
	struct stat st;
	long long sum = 0;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (st.st_size + 4095) / 4096 * 4096;
	if (depth > 16 || !(d = opendir(path)))
		return 0;
	while ((de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		sum += 4096 + tree_size(sub, depth + 1);
	}
	closedir(d);
	return sum;
}

static int run(const char *what, char *const *argv, struct vl_err *e)
{
	char out[512];
	int rc = run_capture(what, argv, out, sizeof(out));

	if (rc != 0)
		return vl_fail(e, EXIT_ENV, "%s: %s", what,
			       *out	? out
			       : rc < 0 ? "could not run"
					: "failed");
	return 0;
}

char *usbkey_image(const char *src, const char *out, struct vl_err *e)
{
	_cleanup_free_ char *mkfs = find_program("mkfs.fat");
	_cleanup_free_ char *mcopy = find_program("mcopy");
	struct stat st;
	long long kib;
	DIR *d;
	struct dirent *de;

	if (stat(src, &st) < 0) {
		vl_fail_errno(e, EXIT_CONFIG, errno, "usb key %s", src);
		return NULL;
	}
	if (S_ISREG(st.st_mode))
		return xstrdup(src);
	if (!mkfs || !mcopy) {
		vl_fail(e, EXIT_ENV,
			"usb key %s: mkfs.fat and mcopy are needed (packages "
			"dosfstools, mtools)",
			src);
		return NULL;
	}
	kib = tree_size(src, 0) / 1024 * 5 / 4 + 4096;
	unlink(out);
	{
		_cleanup_free_ char *blocks = xasprintf("%lld", kib);
		char *argv[] = {mkfs,	     (char *)"-C", (char *)"-n", (char *)"VACMUSB",
				(char *)out, blocks,	   NULL};

		if (run("mkfs.fat", argv, e) < 0)
			return NULL;
	}
	if (!(d = opendir(src))) {
		vl_fail_errno(e, EXIT_CONFIG, errno, "usb key %s", src);
		return NULL;
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", src, de->d_name);
		char *argv[] = {mcopy,	     (char *)"-s", (char *)"-Q",  (char *)"-i",
				(char *)out, path,	   (char *)"::/", NULL};

		if (run("mcopy", argv, e) < 0) {
			closedir(d);
			vl_wrap(e, "usb key %s", src);
			return NULL;
		}
	}
	closedir(d);
	return xstrdup(out);
}
