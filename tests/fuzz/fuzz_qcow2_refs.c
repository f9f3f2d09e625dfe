// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_qcow2_refs.c - libFuzzer target for what a QCOW2 header names
 * outside itself: the backing file name, its format extension and the
 * external data file extension, judged by qcow2_open_mem_refs() under each
 * rule (enum qcow2_refs; the last input byte picks it, so that any image
 * is a seed as it is). A base image
 * (QCOW2_REFS_NONE) that opens must name nothing; no rule may accept a
 * name QEMU would read as JSON or a protocol; every refusal says why, and
 * a refused reference is never followed. Seeds: make-image-seeds.sh (one
 * names a backing file). Built and run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/qcow2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool protocol(const char *name)
{
	return name[strcspn(name, ":/")] == ':';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum qcow2_refs rules[] = {QCOW2_REFS_ANY, QCOW2_REFS_NONE,
						QCOW2_REFS_OVERLAY};
	enum qcow2_refs refs;
	struct qcow2 *q;
	static struct vl_err err;

	if (size < 1)
		return 0;
	refs = rules[data[size - 1] % 3];
	size--;
	vl_clear(&err);
	q = qcow2_open_mem_refs(data, size, refs, &err);
	if (!q) {
		if (!vl_failed(&err) || !err.msg[0] || !memchr(err.msg, 0, sizeof(err.msg)))
			abort();
		return 0;
	}
	if (!memchr(q->backing_name, 0, sizeof(q->backing_name)) ||
	    !memchr(q->data_file, 0, sizeof(q->data_file)) ||
	    !memchr(q->backing_fmt, 0, sizeof(q->backing_fmt)))
		abort();
	if (protocol(q->backing_name) || protocol(q->data_file))
		abort();
	if (refs == QCOW2_REFS_NONE && (q->backing_name[0] || q->data_file[0]))
		abort();
	if (q->backing)
		abort(); /* from memory nothing is followed */
	qcow2_close(q);
	return 0;
}
