/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2_int.h - what qcow2.c (open, chain, mapping) and qcow2_hdr.c (header
 * and L1 parsing) share: the format's constants and a few inline helpers.
 * Private to those two files.
 */
#ifndef VACMLAB_QCOW2_INT_H
#define VACMLAB_QCOW2_INT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/qcow2.h"
#include "lab/lib/util.h"

#define QCOW_MAGIC "QFI\xfb"
#define QCOW_HDR_V2 72u
#define QCOW_HDR_V3 104u
/* QEMU's own limits: clusters of 512 B .. 2 MiB, L1 tables up to 32 MiB. */
#define QCOW_MIN_CLUSTER_BITS 9u
#define QCOW_MAX_CLUSTER_BITS 21u
#define QCOW_MAX_L1_ENTRIES (32u * 1024 * 1024 / 8)
/* 64 PB: host and guest offsets have 56 bits. */
#define QCOW_MAX_VIRTUAL_SIZE (1ULL << 56)
/* Stop scanning L2 tables after this much: a 1 TiB image with 64 KiB
 * clusters has 128 MiB of them. Counts are then a lower bound. */
#define QCOW_MAX_L2_SCAN (256ULL << 20)

#define INCOMPAT_CORRUPT (1ULL << 1)
#define INCOMPAT_DATA_FILE (1ULL << 2)
#define INCOMPAT_COMPRESSION (1ULL << 3)
#define INCOMPAT_EXTL2 (1ULL << 4)
#define INCOMPAT_KNOWN 0x1fULL

#define EXT_END 0x00000000u
#define EXT_BACKING_FMT 0xe2792acau
#define EXT_DATA_FILE 0x44415441u

#define L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define L2E_COMPRESSED (1ULL << 62)
#define L2E_COPIED (1ULL << 63)
#define L2E_ZERO 1ULL
#define L2E_STD_RESERVED 0x3f000000000001feULL

/* QEMU's limits on the refcount table (8 MiB) and on snapshots. */
#define QCOW_MAX_REFTABLE_BYTES (8ULL << 20)
#define QCOW_MAX_SNAPSHOTS 65536u
/* Bytes probed at the start of a file: the header, or a raw disk's MBR. */
#define QCOW_PROBE_LEN 512u

static inline uint64_t qcow2_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline uint32_t qcow2_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Read exactly @len bytes at @off of the image (@data: of the file guest
 * clusters live in). 0, or -errno (-EIO when the file ends first) with errno
 * set, for callers that quote strerror(errno).
 */
static inline int qcow2_pread(const struct qcow2 *q, bool data, void *buf, size_t len, uint64_t off)
{
	int r;

	if (q->mem) {
		if (off > q->file_size || len > q->file_size - off) {
			errno = EIO;
			return -EIO;
		}
		memcpy(buf, q->mem + off, len);
		return 0;
	}
	r = pread_full(data ? q->data_fd : q->fd, buf, len, off);
	if (r < 0)
		errno = -r;
	return r;
}

/*
 * An offset beyond the end of the file means truncation when it is below
 * what the file could have grown to (about twice the virtual size plus
 * metadata; anything with internal snapshots, which hold RAM, may be larger),
 * and a corrupt pointer beyond that. Only the wording depends on it.
 */
static inline const char *qcow2_beyond_eof(const struct qcow2 *q, uint64_t off, const char *corrupt)
{
	uint64_t plausible = 2 * q->size + (64ULL << 20);

	if (q->nb_snapshots || off < plausible)
		return "truncated QCOW2";
	return corrupt;
}

/*
 * qcow2_hdr_parse() - the header (@h: its first QCOW_PROBE_LEN bytes, zero
 * padded), its extensions, the backing file name and the L1 table of layer
 * @q, whose fd or memory and file_size are set. Allocates the layer's
 * buffers. Opens nothing: the data file and the backing file are qcow2.c's.
 * 0, or -1 with the reason.
 */
int qcow2_hdr_parse(struct qcow2 *q, const uint8_t *h, struct vl_err *err);

#endif
