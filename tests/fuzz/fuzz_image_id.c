// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_image_id.c - libFuzzer target for the image-identity loader
 * (image_id_load(): the NODE.base file beside each overlay, key=value
 * lines) and image_id_compare() on what it loads. Any bytes must load to a
 * complete identity (a 64-digit hex sha256) or -EINVAL, and a loaded
 * identity must save and load back the same. Built and run by `make fuzz`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lab/lib/image.h"
#include "lab/lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	struct image_id id, back, other;
	char path[64], saved[96], what[512];
	int fd = memfd_create("fuzz_image_id", MFD_CLOEXEC), r;

	if (fd < 0 || write_all(fd, data, size) < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = image_id_load(path, &id);
	close(fd);
	if (r == -EINVAL)
		return 0;
	if (r != 0 || strlen(id.sha256) != 64 || strspn(id.sha256, "0123456789abcdef") != 64)
		abort();
	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/fuzz_image_id.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(saved, sizeof(saved), "%s/n1.base", dir);
	if (image_id_save(saved, &id) < 0 || image_id_load(saved, &back) < 0)
		abort();
	if (image_id_compare(&id, &back, what, sizeof(what)) != 0)
		abort(); /* a round trip changes nothing */
	other = id;
	other.size++;
	other.mtime_ns = id.mtime_ns == INT64_MAX ? 0 : id.mtime_ns + 1;
	if (image_id_compare(&id, &other, what, sizeof(what)) != 1 || !what[0] ||
	    !memchr(what, 0, sizeof(what)))
		abort();
	return 0;
}
