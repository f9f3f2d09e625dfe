// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2_read.c - guest bytes of an opened QCOW2 chain (qcow2.c opens it):
 * guest offsets mapped through the L2 tables (standard, zero, unallocated,
 * compressed clusters, extended L2 subclusters), zlib clusters inflated,
 * every layer's tables scanned (qcow2_scan()). Bounds: see qcow2.c's
 * "Crafted images".
 */
#include <inttypes.h>
#include <string.h>

#include <zlib.h>

#include "lab/lib/qcow2.h"
#include "lab/lib/qcow2_int.h"
#include "lab/lib/util.h"

/* Load the L2 table at @l2off (from L1 entry @l1i) into the cache. */
static int qcow2_load_l2(struct qcow2 *q, uint32_t l1i, uint64_t l2off, struct vl_err *err)
{
	uint64_t span = q->cs * q->l2_entries;

	if (q->l2_cached == l2off)
		return 0;
	if (l2off % q->cs) {
		vl_fail(err, EXIT_ENV,
			"corrupt L1 table: entry %u points to an L2 table at 0x%" PRIx64
			", not aligned to a cluster",
			l1i, l2off);
		return -1;
	}
	if (l2off >= q->file_size || q->cs > q->file_size - l2off) {
		vl_fail(err, EXIT_ENV,
			"%s: the L2 table for guest bytes 0x%" PRIx64 "-0x%" PRIx64
			" lies at 0x%" PRIx64 ", beyond the end of the file (%" PRIu64 " bytes)",
			qcow2_beyond_eof(q, l2off, "corrupt L1 table"), l1i * span,
			(l1i + 1) * span, l2off, q->file_size);
		return -1;
	}
	if (qcow2_pread(q, false, q->l2, q->cs, l2off) < 0) {
		vl_fail(err, EXIT_ENV, "cannot read the L2 table at 0x%" PRIx64 ": %s", l2off,
			strerror(errno));
		return -1;
	}
	q->l2_cached = l2off;
	return 0;
}

/*
 * Classify an L2 entry for guest offset @goff (@in = offset inside its
 * cluster). Sets @host to where the bytes at @goff live (DATA, COMPRESSED:
 * the descriptor's start) and @avail to how many bytes from @goff share this
 * kind. Checks that allocated clusters lie inside the file.
 */
static int qcow2_classify(struct qcow2 *q, uint64_t goff, uint64_t e, uint64_t bitmap,
			  enum qcow2_kind *kind, uint64_t *host, uint64_t *avail,
			  struct vl_err *err)
{
	uint64_t in = goff & (q->cs - 1), hoff, need;

	*avail = q->cs - in;
	if (e & L2E_COMPRESSED) {
		uint32_t x = 62 - (q->cluster_bits - 8);
		uint64_t coff = e & ((1ULL << x) - 1);

		if (q->ext_data) {
			vl_fail(err, EXIT_ENV,
				"corrupt L2 table: compressed cluster at guest offset 0x%" PRIx64
				" in an image with an external data file",
				goff - in);
			return -1;
		}
		if (coff >= q->file_size) {
			vl_fail(err, EXIT_ENV,
				"%s: the compressed cluster for guest offset 0x%" PRIx64
				" lies at 0x%" PRIx64 ", beyond the end of the file (%" PRIu64
				" bytes)",
				qcow2_beyond_eof(q, coff, "corrupt L2 table"), goff - in, coff,
				q->file_size);
			return -1;
		}
		*kind = QCOW2_COMPRESSED;
		*host = coff;
		return 0;
	}
	if (e & L2E_STD_RESERVED || (q->version < 3 && e & L2E_ZERO) ||
	    (q->extl2 && e & L2E_ZERO)) {
		vl_fail(err, EXIT_ENV,
			"corrupt L2 table: entry 0x%016" PRIx64 " for guest offset 0x%" PRIx64
			" has reserved bits set",
			e, goff - in);
		return -1;
	}
	hoff = e & L2E_OFFSET_MASK;
	need = q->cs;
	if (q->extl2) {
		uint64_t scs = q->cs / 32, sc = in / scs;
		bool alloc = bitmap >> sc & 1, zero = bitmap >> (32 + sc) & 1;

		*avail = scs - in % scs;
		if (alloc && zero) {
			vl_fail(err, EXIT_ENV,
				"corrupt L2 table: subcluster %" PRIu64
				" of guest offset 0x%" PRIx64 " is both allocated and zero",
				sc, goff - in);
			return -1;
		}
		if (zero) {
			*kind = QCOW2_ZERO;
			return 0;
		}
		if (!alloc) {
			*kind = QCOW2_UNALLOC;
			return 0;
		}
		/* Only allocated subclusters are written: the file may end
		 * after the last one. */
		need = (32 - (uint64_t)__builtin_clz((uint32_t)bitmap)) * scs;
	} else if (e & L2E_ZERO) {
		*kind = QCOW2_ZERO;
		return 0;
	} else if (!hoff && !(q->ext_data && e & L2E_COPIED)) {
		*kind = QCOW2_UNALLOC;
		return 0;
	}
	if (hoff % q->cs) {
		vl_fail(err, EXIT_ENV,
			"corrupt L2 table: the cluster for guest offset 0x%" PRIx64
			" lies at 0x%" PRIx64 ", not aligned to a cluster",
			goff - in, hoff);
		return -1;
	}
	if (hoff >= q->data_size || need > q->data_size - hoff) {
		vl_fail(err, EXIT_ENV,
			"%s: the cluster for guest offset 0x%" PRIx64 " lies at 0x%" PRIx64
			", beyond the end of the %sfile (%" PRIu64 " bytes)",
			qcow2_beyond_eof(q, hoff, "corrupt L2 table"), goff - in, hoff,
			q->ext_data ? "data " : "", q->data_size);
		return -1;
	}
	*kind = QCOW2_DATA;
	*host = hoff + in;
	return 0;
}

/* Map guest offset @goff of a QCOW2 layer. */
static int qcow2_lookup(struct qcow2 *q, uint64_t goff, enum qcow2_kind *kind, uint64_t *host,
			uint64_t *avail, struct vl_err *err)
{
	uint64_t gc = goff >> q->cluster_bits;
	uint64_t l1i = gc / q->l2_entries, l2i = gc % q->l2_entries, l2off, e, bitmap = 0;

	*avail = q->cs - (goff & (q->cs - 1));
	if (l1i >= q->l1_used || !(l2off = q->l1[l1i] & L1E_OFFSET_MASK)) {
		*kind = QCOW2_UNALLOC;
		return 0;
	}
	if (qcow2_load_l2(q, (uint32_t)l1i, l2off, err) < 0)
		return -1;
	e = qcow2_be64(q->l2 + l2i * q->l2_entry_size);
	if (q->extl2)
		bitmap = qcow2_be64(q->l2 + l2i * q->l2_entry_size + 8);
	return qcow2_classify(q, goff, e, bitmap, kind, host, avail, err);
}

/* Inflate the compressed cluster described by L2 entry @e into q->dbuf. */
static int qcow2_inflate(struct qcow2 *q, uint64_t goff, uint64_t e, struct vl_err *err)
{
	uint32_t x = 62 - (q->cluster_bits - 8);
	uint64_t coff = e & ((1ULL << x) - 1);
	uint64_t nsec = ((e & ~(L2E_COMPRESSED | L2E_COPIED)) >> x) + 1;
	uint64_t want = nsec * 512 - (coff & 511);
	z_stream zs;
	int r;

	if (q->dbuf_for == e)
		return 0;
	if (q->compression_type != 0) {
		vl_fail(err, EXIT_ENV,
			"the cluster at guest offset 0x%" PRIx64 " is zstd-compressed, which "
			"vacmlab cannot read: convert the image with qemu-img convert -O qcow2 "
			"(without -c) or with -o compression_type=zlib",
			goff);
		return -1;
	}
	/* The last sector may be partial, and the file may end inside it. */
	if (want > 2 * q->cs)
		want = 2 * q->cs;
	if (want > q->file_size - coff)
		want = q->file_size - coff;
	if (qcow2_pread(q, false, q->cbuf, want, coff) < 0) {
		vl_fail(err, EXIT_ENV, "cannot read the compressed cluster at 0x%" PRIx64 ": %s",
			coff, strerror(errno));
		return -1;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK) {
		vl_fail(err, EXIT_ENV, "zlib: inflateInit2 failed");
		return -1;
	}
	zs.next_in = q->cbuf;
	zs.avail_in = (uInt)want;
	zs.next_out = q->dbuf;
	zs.avail_out = (uInt)q->cs;
	r = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (zs.avail_out != 0 || (r != Z_STREAM_END && r != Z_OK && r != Z_BUF_ERROR)) {
		vl_fail(err, EXIT_ENV,
			"corrupt compressed cluster for guest offset 0x%" PRIx64 " at 0x%" PRIx64
			": zlib inflate %s",
			goff, coff,
			zs.avail_out ? "ended before a full cluster"
			: zs.msg     ? zs.msg
				     : "failed");
		return -1;
	}
	q->dbuf_for = e;
	return 0;
}

/* Read guest bytes [@goff, @goff+@len) of a layer, through its backing chain. */
static int layer_read(struct qcow2 *q, uint64_t goff, uint8_t *buf, size_t len, struct vl_err *err)
{
	while (len) {
		enum qcow2_kind kind;
		uint64_t host = 0, avail;
		size_t chunk;

		if (goff >= q->size) {
			/* A backing file smaller than the image reads as zeros. */
			memset(buf, 0, len);
			return 0;
		}
		if (q->raw) {
			chunk = len;
			if (chunk > q->size - goff)
				chunk = (size_t)(q->size - goff);
			if (qcow2_pread(q, false, buf, chunk, goff) < 0) {
				vl_fail(err, EXIT_ENV, "%s: read error at %" PRIu64 ": %s", q->path,
					goff, strerror(errno));
				return -1;
			}
		} else {
			if (qcow2_lookup(q, goff, &kind, &host, &avail, err) < 0)
				return -1;
			chunk = avail < len ? (size_t)avail : len;
			if (chunk > q->size - goff)
				chunk = (size_t)(q->size - goff);
			switch (kind) {
			case QCOW2_DATA:
				if (qcow2_pread(q, true, buf, chunk, host) < 0) {
					vl_fail(err, EXIT_ENV, "read error at 0x%" PRIx64 ": %s",
						host, strerror(errno));
					return -1;
				}
				break;
			case QCOW2_ZERO: memset(buf, 0, chunk); break;
			case QCOW2_UNALLOC:
				if (!q->backing)
					memset(buf, 0, chunk);
				else if (layer_read(q->backing, goff, buf, chunk, err) < 0)
					return -1;
				break;
			case QCOW2_COMPRESSED: {
				uint64_t gc = goff >> q->cluster_bits;
				uint64_t e =
					qcow2_be64(q->l2 + (gc % q->l2_entries) * q->l2_entry_size);

				if (qcow2_inflate(q, goff - (goff & (q->cs - 1)), e, err) < 0)
					return -1;
				memcpy(buf, q->dbuf + (goff & (q->cs - 1)), chunk);
				break;
			}
			}
		}
		buf += chunk;
		goff += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * Walk every L2 table of a QCOW2 layer: count data, zero and compressed
 * clusters, and find any table or cluster beyond the end of the file.
 */
static int layer_scan(struct qcow2 *q, struct qcow2_counts *c, struct vl_err *err)
{
	uint64_t scanned = 0;

	for (uint32_t i = 0; i < q->l1_used; i++) {
		uint64_t l2off = q->l1[i] & L1E_OFFSET_MASK;

		if (!l2off)
			continue;
		if (scanned >= QCOW_MAX_L2_SCAN)
			break;
		if (qcow2_load_l2(q, i, l2off, err) < 0)
			return -1;
		scanned += q->cs;
		for (uint64_t j = 0; j < q->l2_entries; j++) {
			uint64_t goff = ((uint64_t)i * q->l2_entries + j) << q->cluster_bits;
			uint64_t e = qcow2_be64(q->l2 + j * q->l2_entry_size), bitmap = 0, host,
				 avail;
			enum qcow2_kind kind = QCOW2_UNALLOC;

			if (goff >= q->size)
				break;
			if (q->extl2) {
				bitmap = qcow2_be64(q->l2 + j * q->l2_entry_size + 8);
				if (!(e & L2E_COMPRESSED)) {
					/* Count by the cluster's subclusters as a whole. */
					uint64_t alloc = bitmap & 0xffffffffu;

					if (alloc) {
						unsigned int sc =
							(unsigned int)__builtin_ctzll(alloc);

						if (qcow2_classify(q, goff + sc * (q->cs / 32), e,
								   bitmap, &kind, &host, &avail,
								   err) < 0)
							return -1;
					} else if (bitmap >> 32) {
						kind = QCOW2_ZERO;
					}
					goto count;
				}
			}
			if (qcow2_classify(q, goff, e, bitmap, &kind, &host, &avail, err) < 0)
				return -1;
		count:
			if (!c)
				continue;
			switch (kind) {
			case QCOW2_DATA: c->data++; break;
			case QCOW2_ZERO: c->zero++; break;
			case QCOW2_COMPRESSED: c->compressed++; break;
			case QCOW2_UNALLOC: break;
			}
		}
	}
	return 0;
}

int qcow2_scan(struct qcow2 *q, struct qcow2_counts *counts, struct vl_err *err)
{
	if (counts)
		memset(counts, 0, sizeof(*counts));
	/* Every layer's tables are checked; the counts are the top image's. */
	for (struct qcow2 *l = q; l; l = l->backing) {
		if (l->raw)
			continue;
		if (layer_scan(l, l == q ? counts : NULL, err) < 0) {
			if (l != q)
				vl_wrap(err, "backing file %s", l->path);
			return -1;
		}
	}
	return 0;
}

int qcow2_kind_at(struct qcow2 *q, uint64_t goff, enum qcow2_kind *kind, struct vl_err *err)
{
	uint64_t host, avail;

	*kind = QCOW2_UNALLOC;
	if (q->raw)
		*kind = QCOW2_DATA;
	if (q->raw || goff >= q->size)
		return 0;
	return qcow2_lookup(q, goff, kind, &host, &avail, err);
}

int qcow2_read(struct qcow2 *q, uint64_t goff, void *buf, size_t len, struct vl_err *err)
{
	return layer_read(q, goff, buf, len, err);
}
