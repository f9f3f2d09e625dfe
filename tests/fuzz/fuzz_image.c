// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_image.c - libFuzzer target for the QCOW2/MBR reader: any bytes, as a
 * disk image held in memory, must give a verdict or one error message, never
 * a crash, a leak, undefined behaviour, a hang or an allocation beyond the
 * reader's bounds. Beyond image_inspect_mem() (header, L1/L2 walk, MBR), it
 * reads guest bytes at offsets the input picks, so compressed, zero and
 * extended-L2 clusters anywhere in the image are decoded too.
 * Seeds: tests/fuzz/make-image-seeds.sh. Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/image.h"
#include "lab/lib/qcow2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_around(const uint8_t *data, size_t size)
{
	static uint8_t buf[8192];
	struct qcow2 *q;
	static struct vl_err err;
	uint64_t pick = 0;

	vl_clear(&err);
	q = qcow2_open_mem(data, size, &err);
	if (!q) {
		if (!vl_failed(&err) || !err.msg[0])
			abort(); /* a failure must say why */
		return;
	}
	/* The last 8 bytes choose a guest offset (images rarely end in
	 * metadata, so this costs the mutator little). */
	if (size >= 8)
		memcpy(&pick, data + size - 8, 8);
	if (q->size) {
		uint64_t offs[3] = {q->size / 2, q->size > sizeof(buf) ? q->size - sizeof(buf) : 0,
				    pick % q->size};

		for (int i = 0; i < 3; i++) {
			vl_clear(&err);
			if (qcow2_read(q, offs[i], buf, sizeof(buf), &err) < 0 &&
			    (!vl_failed(&err) || !err.msg[0]))
				abort();
		}
	}
	qcow2_close(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_info *info = malloc(sizeof(*info));
	struct vl_err e = {0};
	int r;

	if (!info)
		return 0;
	r = image_inspect_mem(data, size, info, &e);
	if (r == 0) {
		/* A verdict must be consistent. */
		if (info->nproblems > IMAGE_MAX_PROBLEMS ||
		    info->vacm_shaped != (info->nproblems == 0))
			abort();
		for (unsigned int i = 0; i < info->nproblems; i++)
			if (!memchr(info->problems[i], 0, IMAGE_PROBLEM_LEN) ||
			    !info->problems[i][0])
				abort();
		read_around(data, size);
	} else if (r != -1 || !e.msg[0] || !memchr(e.msg, 0, sizeof(e.msg))) {
		abort(); /* a failure must say why */
	}
	free(info);
	return 0;
}
