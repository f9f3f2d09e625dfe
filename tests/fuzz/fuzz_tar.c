// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_tar.c - libFuzzer target for the tar reader of lab/lib/tar.c (ustar,
 * GNU long names, pax records, gzip): any bytes, as the archive `config
 * import` or a topology's `config =` names, must be extracted or refused
 * with one message, never a crash, a leak, undefined behaviour or a write
 * outside the staging directory. The input goes through a memfd (the reader
 * takes a path) and is extracted into a private directory, emptied after
 * each run; every path in the seed list must be normalised (relative, no
 * "." or ".." component, no doubled '/') and, for a success, exist there
 * with the type listed, never through a symlink. Built and run by `make fuzz`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/error.h"
#include "lab/lib/tar.h"
#include "lab/lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[64], stage[96];

static bool normalised(const char *p)
{
	const char *c = p;

	if (p[0] == '/')
		return false;
	while (*c) {
		size_t len = strcspn(c, "/");

		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && !strncmp(c, "..", 2)))
			return false;
		c += len;
		if (*c == '/' && !*++c)
			return false; /* trailing '/' */
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seed_list l;
	struct vl_err e = {0};
	char path[64];
	int fd, r;

	if (!top[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(top, sizeof(top), "%s/fuzz_tar.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
		if (!mkdtemp(top))
			abort();
		snprintf(stage, sizeof(stage), "%s/stage", top);
	}
	rm_rf(stage);
	if (mkdir(stage, 0700) < 0)
		abort();
	fd = memfd_create("fuzz_tar", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, data, size) < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = tar_extract(path, stage, 1 << 20, &l, &e);
	close(fd);
	if (r < 0) {
		if (r != -1 || !e.msg[0])
			abort(); /* a failure must say why */
		return 0;
	}
	if (l.bytes > 1 << 20)
		abort();
	for (size_t i = 0; i < l.n; i++) {
		const struct seed_ent *s = &l.v[i];
		struct stat st;

		if (!s->path[0])
			continue;
		if (!normalised(s->path))
			abort();
		/* fstatat from the stage: the entry is where the list says, of
		 * its type (a symlink is never followed here). */
		{
			int dfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (fstatat(dfd, s->path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    (st.st_mode & S_IFMT) != (s->mode & S_IFMT))
				abort();
			close(dfd);
		}
	}
	seed_list_free(&l);
	return 0;
}
