// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * part_export.c - `config export`: a partition of a node's disk read out
 * as a tar (or a directory) without root: a private raw copy of the
 * partition, its journal replayed (part_read_fsck()), its files dumped with
 * debugfs rdump, then archived with owners, modes and times from the
 * filesystem (see part.c's theory of operation).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/part.h"
#include "lab/lib/spawn.h"
#include "lab/lib/tar.h"
#include "lab/lib/util.h"

static bool tar_name(const char *out, bool *gz)
{
	size_t n = strlen(out);

	*gz = (n > 7 && !strcmp(out + n - 7, ".tar.gz")) || (n > 4 && !strcmp(out + n - 4, ".tgz"));
	return *gz || (n > 4 && !strcmp(out + n - 4, ".tar"));
}

int part_export(const char *disk, unsigned int index, const char *out, const char *workdir,
		struct vl_err *e)
{
	_cleanup_free_ char *raw = xasprintf("%s/export.raw", workdir);
	_cleanup_free_ char *tree = xasprintf("%s/tree", workdir);
	_cleanup_free_ char *rdump = NULL, *lf = NULL;
	const char *dest = tree;
	bool to_stdout = !strcmp(out, "-"), gz = false, is_tar = to_stdout || tar_name(out, &gz);
	struct part_loc loc;
	struct part_fs fs;
	struct stat st;
	int r = -1;

	if (!is_tar) {
		if (lstat(out, &st) == 0) {
			DIR *d;
			struct dirent *de;
			int n = 0;

			if (!S_ISDIR(st.st_mode))
				return vl_fail(e, EXIT_CONFIG,
					       "%s exists and is not a directory (name a new "
					       "directory, FILE.tar, FILE.tar.gz or -)",
					       out);
			d = opendir(out);
			while (d && (de = readdir(d)))
				n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
			if (d)
				closedir(d);
			if (n)
				return vl_fail(
					e, EXIT_CONFIG,
					"%s is not empty: export into a new or empty directory",
					out);
		} else if (mkdir(out, 0700) < 0) { /* /etc/config holds secrets */
			return vl_fail_errno(e, EXIT_CONFIG, errno, "creating %s", out);
		}
		dest = out;
	} else if (!to_stdout && lstat(out, &st) == 0) {
		return vl_fail(e, EXIT_CONFIG, "%s exists: not overwriting it", out);
	}
	if (part_locate(disk, index, &loc, e) < 0 || part_probe(disk, &loc, workdir, &fs, e) < 0)
		return -1;
	if (part_read_fsck(disk, &loc, raw, e) < 0)
		return -1;
	if (dest == tree && mkdir(tree, 0700) < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "mkdir %s", tree);
	rdump = xasprintf("rdump / \"%s\"", dest);
	{
		char *argv[] = {(char *)"debugfs", (char *)"-R", rdump, raw, NULL};
		_cleanup_free_ char *o = xmalloc(PART_TOOL_OUT);

		r = part_tool_out(argv, "e2fsprogs", o, PART_TOOL_OUT, e);
		if (r != 0) {
			if (r > 0)
				vl_fail(e, EXIT_ENV, "debugfs rdump: %s", o);
			goto out;
		}
	}
	/* lost+found is the filesystem's, not the appliance's. */
	lf = xasprintf("%s/lost+found", dest);
	rmdir(lf);
	/* The guest chose these modes, owners and links (tree.c). A tar
	 * keeps its symlinks: they are data there, restored by import. */
	{
		struct tree_fix fix;

		if (tree_make_safe(dest, !is_tar, &fix, e) < 0 ||
		    (dest == out && chmod(out, 0700) < 0 &&
		     vl_fail_errno(e, EXIT_ENV, errno, "chmod %s", out))) {
			r = -1;
			goto out;
		}
		if (fix.removed)
			msg_warn("%s: left out %u entr%s the host should not get, such as %s",
				 part_name(index), fix.removed, fix.removed == 1 ? "y" : "ies",
				 fix.first);
	}
	if (is_tar) {
		_cleanup_free_ char *tmp =
			to_stdout ? NULL : xasprintf("%s.tmp%d", out, (int)getpid());
		_cleanup_free_ char *tarp = find_program("tar");
		char *argv[] = {tarp,
				(char *)"-C",
				(char *)dest,
				(char *)"--numeric-owner",
				(char *)"--owner=0",
				(char *)"--group=0",
				(char *)"--sort=name",
				gz ? (char *)"-czf" : (char *)"-cf",
				to_stdout ? (char *)"-" : tmp,
				(char *)".",
				NULL};
		struct spawn_opts so = {.name = "tar",
					.path = tarp,
					.argv = argv,
					.stdin_fd = -1,
					.stdout_fd = to_stdout ? 1 : 2,
					.stderr_fd = 2};
		pid_t pid;
		int status;

		if (!tarp) {
			r = vl_fail(e, EXIT_ENV, "tar not found: install the Debian package tar");
			goto out;
		}
		/* Made 0600 here, so tar (which would use the umask) only
		 * truncates it: the archive is never readable by others. */
		if (tmp) {
			int tfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

			if (tfd < 0) {
				r = vl_fail_errno(e, EXIT_ENV, errno, "creating %s", tmp);
				goto out;
			}
			close(tfd);
		}
		fflush(stdout);
		pid = spawn(&so, NULL, e);
		if (pid < 0) {
			/* A tar that cannot start is the machine's lack: exit 2. */
			e->code = EXIT_ENV;
			r = -1;
			goto out;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			if (tmp)
				unlink(tmp);
			r = vl_fail(e, EXIT_ENV, "tar failed writing %s", out);
			goto out;
		}
		if (tmp && rename(tmp, out) < 0) {
			r = vl_fail_errno(e, EXIT_ENV, errno, "renaming %s to %s", tmp, out);
			unlink(tmp);
			goto out;
		}
	}
	r = 0;
out:
	unlink(raw);
	rm_rf(tree);
	return r < 0 ? -1 : 0;
}
