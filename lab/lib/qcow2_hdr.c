// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2_hdr.c - parse one QCOW2 layer's header (v2 and v3), its extensions
 * (backing format, data file name), the backing file name and the L1 table.
 * Every field is checked against QEMU's limits and against the size of the
 * file before anything is allocated or read from where it points: an absurd
 * cluster_bits, L1 size, refcount table or snapshot count is refused with a
 * message naming the field. See qcow2.c for the rest of the reader.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/qcow2_int.h"
#include "lab/lib/util.h"

/* Parse header extensions in the first cluster: backing format, data file. */
static int qcow2_extensions(struct qcow2 *q, const uint8_t *c0, size_t n, struct vl_err *err)
{
	size_t pos = q->version >= 3 ? q->hdr_len : QCOW_HDR_V2;

	for (int i = 0; i < 1024 && pos + 8 <= n; i++) {
		uint32_t type = qcow2_be32(c0 + pos), len = qcow2_be32(c0 + pos + 4);

		if (type == EXT_END)
			return 0;
		if (len > n - pos - 8) {
			vl_fail(err, EXIT_ENV,
				"corrupt QCOW2 header: extension 0x%08x at byte %zu has length %u, "
				"beyond the first cluster",
				type, pos, len);
			return -1;
		}
		if (type == EXT_BACKING_FMT) {
			size_t l =
				len < sizeof(q->backing_fmt) - 1 ? len : sizeof(q->backing_fmt) - 1;

			memcpy(q->backing_fmt, c0 + pos + 8, l);
			q->backing_fmt[l] = 0;
		} else if (type == EXT_DATA_FILE) {
			size_t l = len < sizeof(q->data_file) - 1 ? len : sizeof(q->data_file) - 1;

			memcpy(q->data_file, c0 + pos + 8, l);
			q->data_file[l] = 0;
		}
		pos += 8 + (((size_t)len + 7) & ~(size_t)7);
	}
	return 0;
}

/*
 * The refcount and snapshot tables are not read, but a pointer to them
 * outside the file is a corrupt (or truncated) image: say so here rather
 * than let QEMU find it when the lab boots.
 */
static int layer_check_tables(const struct qcow2 *q, struct vl_err *err)
{
	uint64_t rt_bytes = (uint64_t)q->refcount_clusters * q->cs;

	if (q->refcount_off % q->cs || q->refcount_off == 0) {
		vl_fail(err, EXIT_ENV, "corrupt refcount table: offset 0x%" PRIx64 " is %s",
			q->refcount_off,
			q->refcount_off ? "not aligned to a cluster" : "0, over the header");
		return -1;
	}
	if (q->refcount_clusters == 0 || rt_bytes > QCOW_MAX_REFTABLE_BYTES) {
		vl_fail(err, EXIT_ENV,
			"corrupt refcount table: %u clusters (1 to %" PRIu64 " bytes' worth)",
			q->refcount_clusters, (uint64_t)QCOW_MAX_REFTABLE_BYTES);
		return -1;
	}
	if (q->refcount_off >= q->file_size || rt_bytes > q->file_size - q->refcount_off) {
		vl_fail(err, EXIT_ENV,
			"%s: the refcount table (0x%" PRIx64 "-0x%" PRIx64
			") runs beyond the end of the file (%" PRIu64 " bytes)",
			qcow2_beyond_eof(q, q->refcount_off, "corrupt refcount table offset"),
			q->refcount_off, q->refcount_off + rt_bytes, q->file_size);
		return -1;
	}
	if (q->nb_snapshots > QCOW_MAX_SNAPSHOTS) {
		vl_fail(err, EXIT_ENV, "corrupt QCOW2 header: %u snapshots (QEMU's limit is %u)",
			q->nb_snapshots, QCOW_MAX_SNAPSHOTS);
		return -1;
	}
	if (q->nb_snapshots && (q->snapshots_off % 8 || q->snapshots_off >= q->file_size)) {
		vl_fail(err, EXIT_ENV,
			"corrupt snapshot table: offset 0x%" PRIx64 " is %s (the file has %" PRIu64
			" bytes)",
			q->snapshots_off,
			q->snapshots_off % 8 ? "not aligned to 8 bytes"
					     : "beyond the end of the file",
			q->file_size);
		return -1;
	}
	return 0;
}

int qcow2_hdr_parse(struct qcow2 *q, const uint8_t *h, struct vl_err *err)
{
	uint64_t backing_off, needed, l1_bytes;
	uint32_t backing_len, crypt;
	_cleanup_free_ uint8_t *c0 = NULL;
	size_t c0len;

	q->version = qcow2_be32(h + 4);
	if (q->file_size < QCOW_HDR_V2) {
		vl_fail(err, EXIT_ENV,
			"truncated QCOW2 header: the file has %" PRIu64 " bytes, a header needs "
			"at least %u",
			q->file_size, QCOW_HDR_V2);
		return -1;
	}
	if (q->version != 2 && q->version != 3) {
		vl_fail(err, EXIT_ENV,
			"QCOW version %u is not supported (only versions 2 and 3): convert it "
			"with qemu-img convert -O qcow2",
			q->version);
		return -1;
	}
	if (q->version == 3 && q->file_size < QCOW_HDR_V3) {
		vl_fail(err, EXIT_ENV,
			"truncated QCOW2 header: the file has %" PRIu64 " bytes, a version 3 "
			"header needs %u",
			q->file_size, QCOW_HDR_V3);
		return -1;
	}
	backing_off = qcow2_be64(h + 8);
	backing_len = qcow2_be32(h + 16);
	q->cluster_bits = qcow2_be32(h + 20);
	q->size = qcow2_be64(h + 24);
	crypt = qcow2_be32(h + 32);
	q->l1_size = qcow2_be32(h + 36);
	q->l1_off = qcow2_be64(h + 40);
	q->refcount_off = qcow2_be64(h + 48);
	q->refcount_clusters = qcow2_be32(h + 56);
	q->nb_snapshots = qcow2_be32(h + 60);
	q->snapshots_off = qcow2_be64(h + 64);
	q->refcount_order = 4;
	q->hdr_len = QCOW_HDR_V2;
	if (q->version >= 3) {
		q->incompat = qcow2_be64(h + 72);
		q->compat = qcow2_be64(h + 80);
		q->autoclear = qcow2_be64(h + 88);
		q->refcount_order = qcow2_be32(h + 96);
		q->hdr_len = qcow2_be32(h + 100);
	}
	if (q->cluster_bits < QCOW_MIN_CLUSTER_BITS || q->cluster_bits > QCOW_MAX_CLUSTER_BITS) {
		vl_fail(err, EXIT_ENV, "corrupt QCOW2 header: cluster_bits %u (must be %u to %u)",
			q->cluster_bits, QCOW_MIN_CLUSTER_BITS, QCOW_MAX_CLUSTER_BITS);
		return -1;
	}
	q->cs = 1ULL << q->cluster_bits;
	if (q->version >= 3 && (q->hdr_len < QCOW_HDR_V3 || q->hdr_len % 8 || q->hdr_len > q->cs)) {
		vl_fail(err, EXIT_ENV,
			"corrupt QCOW2 header: header_length %u (must be a multiple of 8 "
			"from %u to the cluster size)",
			q->hdr_len, QCOW_HDR_V3);
		return -1;
	}
	if (q->refcount_order > 6) {
		vl_fail(err, EXIT_ENV, "corrupt QCOW2 header: refcount_order %u (at most 6)",
			q->refcount_order);
		return -1;
	}
	if (q->size > QCOW_MAX_VIRTUAL_SIZE) {
		vl_fail(err, EXIT_ENV,
			"corrupt QCOW2 header: virtual size %" PRIu64
			" bytes is beyond the format's 64 PiB",
			q->size);
		return -1;
	}
	if (crypt) {
		vl_fail(err, EXIT_ENV,
			"encrypted QCOW2 image (%s): vacmlab cannot read its MBR and the lab "
			"cannot boot it unattended",
			crypt == 1   ? "AES"
			: crypt == 2 ? "LUKS"
				     : "unknown method");
		return -1;
	}
	if (q->incompat & ~INCOMPAT_KNOWN) {
		vl_fail(err, EXIT_ENV,
			"QCOW2 image uses unknown incompatible features 0x%" PRIx64
			" (made by a newer QEMU?)",
			(uint64_t)(q->incompat & ~INCOMPAT_KNOWN));
		return -1;
	}
	if (q->incompat & INCOMPAT_CORRUPT) {
		vl_fail(err, EXIT_ENV,
			"QCOW2 image is marked corrupt (incompatible feature bit 1): check it "
			"with qemu-img check");
		return -1;
	}
	q->extl2 = q->incompat & INCOMPAT_EXTL2;
	if (q->extl2 && q->cluster_bits < 14) {
		vl_fail(err, EXIT_ENV,
			"corrupt QCOW2 header: extended L2 entries with %" PRIu64
			"-byte clusters (at least 16384)",
			q->cs);
		return -1;
	}
	if (q->version >= 3 && q->hdr_len > QCOW_HDR_V3)
		q->compression_type = h[104];
	if (!!(q->incompat & INCOMPAT_COMPRESSION) != !!q->compression_type ||
	    q->compression_type > 1) {
		vl_fail(err, EXIT_ENV,
			"corrupt QCOW2 header: compression type %u with the compression "
			"feature bit %s",
			q->compression_type, q->incompat & INCOMPAT_COMPRESSION ? "set" : "clear");
		return -1;
	}
	q->l2_entry_size = q->extl2 ? 16 : 8;
	q->l2_entries = q->cs / q->l2_entry_size;
	if (layer_check_tables(q, err) < 0)
		return -1;

	/* The first cluster holds the header extensions and, usually, the
	 * backing file name. */
	c0len = q->file_size < q->cs ? (size_t)q->file_size : (size_t)q->cs;
	c0 = xmalloc(c0len);
	if (qcow2_pread(q, false, c0, c0len, 0) < 0) {
		vl_fail(err, EXIT_ENV, "cannot read the QCOW2 header: %s", strerror(errno));
		return -1;
	}
	if (qcow2_extensions(q, c0, c0len, err) < 0)
		return -1;

	if (backing_off) {
		if (backing_len == 0 || backing_len > 1023) {
			vl_fail(err, EXIT_ENV,
				"corrupt QCOW2 header: backing file name length %u (1 to 1023)",
				backing_len);
			return -1;
		}
		if (backing_off > q->file_size || backing_len > q->file_size - backing_off) {
			vl_fail(err, EXIT_ENV,
				"%s: the backing file name at byte %" PRIu64
				" lies beyond the end of the file (%" PRIu64 " bytes)",
				qcow2_beyond_eof(q, backing_off, "corrupt QCOW2 header"),
				backing_off, q->file_size);
			return -1;
		}
		if (qcow2_pread(q, false, q->backing_name, backing_len, backing_off) < 0) {
			vl_fail(err, EXIT_ENV, "cannot read the backing file name: %s",
				strerror(errno));
			return -1;
		}
		q->backing_name[backing_len] = 0;
		if (strlen(q->backing_name) != backing_len) {
			vl_fail(err, EXIT_ENV,
				"corrupt QCOW2 header: the backing file name contains a NUL byte");
			return -1;
		}
	}

	/* L1: sane size, enough entries for the virtual size, inside the file. */
	if (q->l1_size > QCOW_MAX_L1_ENTRIES) {
		vl_fail(err, EXIT_ENV,
			"corrupt L1 table: %u entries is absurd (QEMU's limit is %u)", q->l1_size,
			QCOW_MAX_L1_ENTRIES);
		return -1;
	}
	{
		uint64_t per_l1 = q->cs * q->l2_entries; /* <= 2^39 */

		needed = q->size / per_l1 + !!(q->size % per_l1);
	}
	if (needed > q->l1_size) {
		vl_fail(err, EXIT_ENV,
			"corrupt L1 table: %u entries cover %" PRIu64 " bytes, but the virtual "
			"size is %" PRIu64,
			q->l1_size, (uint64_t)q->l1_size * q->cs * q->l2_entries, q->size);
		return -1;
	}
	q->l1_used = (uint32_t)needed;
	if (q->l1_used) {
		if (q->l1_off % q->cs) {
			vl_fail(err, EXIT_ENV,
				"corrupt L1 table: offset 0x%" PRIx64
				" is not aligned to a cluster "
				"(%" PRIu64 " bytes)",
				q->l1_off, q->cs);
			return -1;
		}
		if (q->l1_off == 0) {
			vl_fail(err, EXIT_ENV, "corrupt L1 table: offset 0 overlaps the header");
			return -1;
		}
		if (q->l1_off >= q->file_size) {
			vl_fail(err, EXIT_ENV,
				"%s: the L1 table at 0x%" PRIx64 " lies beyond the end of the "
				"file (%" PRIu64 " bytes)",
				qcow2_beyond_eof(q, q->l1_off, "corrupt L1 table offset"),
				q->l1_off, q->file_size);
			return -1;
		}
		l1_bytes = (uint64_t)q->l1_used * 8;
		if (l1_bytes > q->file_size - q->l1_off) {
			vl_fail(err, EXIT_ENV,
				"truncated QCOW2: the L1 table (0x%" PRIx64 "-0x%" PRIx64
				") runs beyond the end of the file (%" PRIu64 " bytes)",
				q->l1_off, q->l1_off + l1_bytes, q->file_size);
			return -1;
		}
		q->l1 = xmalloc(l1_bytes);
		if (qcow2_pread(q, false, q->l1, l1_bytes, q->l1_off) < 0) {
			vl_fail(err, EXIT_ENV, "cannot read the L1 table: %s", strerror(errno));
			return -1;
		}
		for (uint32_t i = 0; i < q->l1_used; i++)
			q->l1[i] = qcow2_be64((uint8_t *)&q->l1[i]);
	}
	q->l2 = xmalloc(q->cs);
	q->cbuf = xmalloc(2 * q->cs);
	q->dbuf = xmalloc(q->cs);

	return 0;
}
