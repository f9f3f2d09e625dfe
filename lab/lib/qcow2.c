// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2.c - read a QCOW2 v2/v3 image (QEMU's docs/interop/qcow2.txt)
 * without QEMU: the header, its extensions, the L1 and L2 tables, guest
 * bytes through the mapping and the backing chain.
 *
 * The header and L1 parser is qcow2_hdr.c; this file opens the files (the
 * image, its data file, its backing chain), maps guest offsets through the
 * L2 tables and reads guest bytes.
 *
 * DOC: Why read QCOW2 here instead of running `qemu-img`
 *
 * `up` checks every node's image before it starts anything, and `image info`
 * is run on files that may be anything at all. Reading the format ourselves
 * costs a few hundred lines and gives:
 *  - no process per image: `up` of a ten-node lab does not fork ten
 *    qemu-img and parse their JSON; the check is a handful of preads;
 *  - precise errors: we know *which* structure is wrong (an L1 offset beyond
 *    the end of the file, a cluster cut off by truncation, a refcount table
 *    outside the file) and say so, where qemu-img prints one generic line
 *    or, for a raw file, silently probes it as raw;
 *  - usable before anything starts, and on a machine without qemu-utils.
 *
 * What is read: the header (v2 and v3: feature bits, compression type,
 * external data file, extended L2 entries), the header extensions (backing
 * format, data file name), the L1 table and every L2 table (so we know
 * whether any cluster is compressed and that no cluster lies beyond the end
 * of the file), then guest bytes through the mapping: standard, zero,
 * unallocated (from the backing file, else zeros) and zlib-compressed
 * clusters (raw deflate, window bits -15, as QEMU writes them). zstd
 * clusters are recognised but not inflated (no libzstd here): that is a
 * specific error. Encrypted images are refused. The refcount and snapshot
 * tables are not read, only checked to lie inside the file.
 *
 * DOC: Crafted images
 *
 * Time and memory stay bounded whatever the file says: the path is opened
 * O_NONBLOCK and must be a regular file or block device before anything is
 * read (a FIFO must not hang `up`); cluster_bits is 9..21 (QEMU's range), so
 * the four per-layer buffers are at most 8 MiB; the L1 table is read only as
 * far as the virtual size needs and only after it was found inside the file;
 * the L2 walk stops after QCOW_MAX_L2_SCAN bytes of tables; a backing chain
 * may hold QCOW2_MAX_BACKING_DEPTH files and a file (by device and inode)
 * only once. tests/fuzz/fuzz_image.c drives qcow2_open_mem() under
 * ASan/UBSan; tests/unit/test_image.c has a file for each refusal.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "lab/lib/qcow2.h"
#include "lab/lib/qcow2_int.h"
#include "lab/lib/util.h"

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

int qcow2_open_file(const char *path, uint64_t *sizep, struct stat *stp, char *err, size_t errlen)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO given as an image must fail, not hang (opening
	 * one for reading blocks until a writer comes, without it). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		qcow2_seterr(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		qcow2_seterr(err, errlen, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		qcow2_seterr(err, errlen, "is a directory, not a disk image");
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		*sizep = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0) {
			qcow2_seterr(err, errlen, "cannot size block device: %s", strerror(errno));
			close(fd);
			return -1;
		}
		*sizep = (uint64_t)end;
	} else {
		qcow2_seterr(err, errlen,
			     "is %s, not a disk image (a regular file or block device)",
			     file_kind(st.st_mode));
		close(fd);
		return -1;
	}
	if (stp)
		*stp = st;
	return fd;
}

void qcow2_close(struct qcow2 *q)
{
	while (q) {
		struct qcow2 *b = q->backing;

		if (q->data_fd >= 0 && q->ext_data)
			close(q->data_fd);
		if (q->fd >= 0)
			close(q->fd);
		free(q->path);
		free(q->l1);
		free(q->l2);
		free(q->cbuf);
		free(q->dbuf);
		free(q);
		q = b;
	}
}

/* @name relative to the directory of @base, as QEMU resolves backing files. */
static char *path_relative_to(const char *base, const char *name)
{
	const char *slash = strrchr(base, '/');

	if (name[0] == '/' || !slash)
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - base), base, name);
}

/* Describe what a non-QCOW2 file looks like, for the error message. */
static void not_qcow2(const uint8_t *buf, size_t n, char *err, size_t errlen)
{
	if (n >= QCOW_PROBE_LEN && buf[510] == 0x55 && buf[511] == 0xaa)
		qcow2_seterr(err, errlen,
			     "not a QCOW2 image (no QFI\\xfb magic): looks like a raw disk image; "
			     "convert it with qemu-img convert -O qcow2");
	else if (n >= 4)
		qcow2_seterr(
			err, errlen,
			"not a QCOW2 image (no QFI\\xfb magic; it starts with %02x %02x %02x %02x "
			"and has no MBR either): if it is a raw disk image, convert it with "
			"qemu-img convert -O qcow2",
			buf[0], buf[1], buf[2], buf[3]);
	else
		qcow2_seterr(err, errlen,
			     "not a QCOW2 image (no QFI\\xfb magic; only %zu bytes long)", n);
}

static struct qcow2 *layer_open(const char *path, const struct qcow2 *parent, int depth,
				const char *fmt, enum qcow2_refs refs, bool *refused, char *err,
				size_t errlen);

/* QEMU's path_has_protocol(): "WORD:" before any '/' is a protocol (json:,
 * nbd:, http:, file:, ...), not a file name. */
static bool name_is_protocol(const char *name)
{
	return name[strcspn(name, ":/")] == ':';
}

/*
 * The one rule for what a layer may name outside itself (enum qcow2_refs),
 * checked after its header is parsed and before anything it names is
 * opened. @what is "backing file" or "external data file".
 */
static int layer_refs_ok(const struct qcow2 *q, bool backing, const char *name, char *err,
			 size_t errlen)
{
	const char *what = backing ? "backing file" : "external data file";
	_cleanup_free_ char *resolved = NULL;
	bool allowed = q->refs == QCOW2_REFS_ANY;

	if (name_is_protocol(name)) {
		qcow2_seterr(err, errlen,
			     "names %s %s '%.300s' that is a QEMU protocol or JSON string, not a "
			     "file: refused (vacmlab cannot check what it reaches)",
			     backing ? "a" : "an", what, name);
		goto refused;
	}
	if (q->refs == QCOW2_REFS_OVERLAY && backing)
		allowed = true;
	if (allowed)
		return 0;
	resolved = q->mem ? xstrdup(name) : path_relative_to(q->path, name);
	qcow2_seterr(err, errlen,
		     "names %s %s '%.300s' (%.300s): refused, QEMU would show that file's "
		     "content to the guest. A base image must be self-contained: flatten it "
		     "with qemu-img convert -O qcow2, or allow it with VACMLAB_ALLOW_BACKING=1 "
		     "(see docs/topology.md)",
		     backing ? "a" : "an", what, name, resolved);
refused:
	if (q->refused)
		*q->refused = true;
	return -1;
}

/*
 * Probe an opened layer (fd or memory set, file_size known): QCOW2, or raw.
 * @fmt is the format the layer above names ("qcow2", "raw", or "" to probe;
 * a probed non-QCOW2 backing file is raw, as in QEMU). The top image
 * (depth 0) must be QCOW2.
 */
static int layer_probe(struct qcow2 *q, int depth, const char *fmt, char *err, size_t errlen)
{
	uint8_t h[QCOW_PROBE_LEN];
	size_t n;

	q->data_fd = q->fd;
	q->data_size = q->file_size;
	if (q->file_size == 0 && depth == 0) {
		qcow2_seterr(err, errlen, "empty file (0 bytes): not a disk image");
		return -1;
	}
	if (fmt && !strcmp(fmt, "raw"))
		goto raw;
	n = q->file_size < sizeof(h) ? (size_t)q->file_size : sizeof(h);
	memset(h, 0, sizeof(h));
	if (qcow2_pread(q, false, h, n, 0) < 0) {
		qcow2_seterr(err, errlen, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (n < 4 || memcmp(h, QCOW_MAGIC, 4)) {
		if (depth > 0 && !(fmt && fmt[0]))
			goto raw;
		not_qcow2(h, n, err, errlen);
		return -1;
	}
	if (qcow2_hdr_parse(q, h, err, errlen) < 0)
		return -1;
	if ((q->data_file[0] || (q->incompat & INCOMPAT_DATA_FILE)) &&
	    layer_refs_ok(q, false, q->data_file, err, errlen) < 0)
		return -1;
	if (q->backing_name[0] && layer_refs_ok(q, true, q->backing_name, err, errlen) < 0)
		return -1;

	q->data_fd = q->fd;
	q->data_size = q->file_size;
	if (q->incompat & INCOMPAT_DATA_FILE) {
		_cleanup_free_ char *dp = NULL;
		char sub[512];

		if (!q->data_file[0]) {
			qcow2_seterr(err, errlen,
				     "QCOW2 image uses an external data file but does not name it");
			return -1;
		}
		if (q->mem) {
			qcow2_seterr(
				err, errlen,
				"QCOW2 image uses an external data file, not opened from memory");
			return -1;
		}
		dp = path_relative_to(q->path, q->data_file);
		q->data_fd = qcow2_open_file(dp, &q->data_size, NULL, sub, sizeof(sub));
		if (q->data_fd < 0) {
			q->data_fd = q->fd;
			qcow2_seterr(err, errlen, "external data file %s: %s", dp, sub);
			return -1;
		}
		q->ext_data = true;
	}

	if (q->backing_name[0] && !q->mem) {
		_cleanup_free_ char *bp = path_relative_to(q->path, q->backing_name);
		char sub[768];

		if (q->backing_fmt[0] && strcmp(q->backing_fmt, "qcow2") &&
		    strcmp(q->backing_fmt, "raw")) {
			qcow2_seterr(
				err, errlen,
				"backing file %s has format '%s': vacmlab reads qcow2 and raw only",
				bp, q->backing_fmt);
			return -1;
		}
		q->backing = layer_open(bp, q, depth + 1, q->backing_fmt, q->refs, q->refused, sub,
					sizeof(sub));
		if (!q->backing) {
			/* Name only the deepest file at fault, not every level. */
			if (!strncmp(sub, "backing file ", 13))
				qcow2_seterr(err, errlen, "%s", sub);
			else
				qcow2_seterr(err, errlen, "backing file %s: %s", bp, sub);
			return -1;
		}
	}
	return 0;
raw:
	q->raw = true;
	q->size = q->file_size;
	return 0;
}

/* Open one layer from a file and, recursively, its backing chain. */
static struct qcow2 *layer_open(const char *path, const struct qcow2 *parent, int depth,
				const char *fmt, enum qcow2_refs refs, bool *refused, char *err,
				size_t errlen)
{
	struct qcow2 *q;
	struct stat st;

	if (depth > QCOW2_MAX_BACKING_DEPTH) {
		qcow2_seterr(err, errlen, "the backing chain is more than %d files deep",
			     QCOW2_MAX_BACKING_DEPTH);
		return NULL;
	}
	q = xcalloc(1, sizeof(*q));
	q->parent = parent;
	/* Below vacmlab's overlay lies the user's base image. */
	q->refs = !parent			       ? refs
		  : parent->refs == QCOW2_REFS_OVERLAY ? QCOW2_REFS_NONE
						       : parent->refs;
	q->refused = refused;
	q->fd = q->data_fd = -1;
	q->path = xstrdup(path);
	q->fd = qcow2_open_file(path, &q->file_size, &st, err, errlen);
	if (q->fd < 0)
		goto fail;
	q->dev = st.st_dev;
	q->ino = st.st_ino;
	for (const struct qcow2 *a = parent; a; a = a->parent)
		if (a->dev == q->dev && a->ino == q->ino) {
			qcow2_seterr(err, errlen, "the backing chain loops: this is %s again",
				     a->path);
			goto fail;
		}
	if (layer_probe(q, depth, fmt, err, errlen) < 0)
		goto fail;
	return q;
fail:
	qcow2_close(q);
	return NULL;
}

struct qcow2 *qcow2_open_refs(const char *path, enum qcow2_refs refs, bool *refused, char *err,
			      size_t errlen)
{
	qcow2_seterr(err, errlen, "%s", "");
	if (refused)
		*refused = false;
	return layer_open(path, NULL, 0, "", refs, refused, err, errlen);
}

struct qcow2 *qcow2_open(const char *path, char *err, size_t errlen)
{
	return qcow2_open_refs(path, QCOW2_REFS_ANY, NULL, err, errlen);
}

struct qcow2 *qcow2_open_mem_refs(const void *buf, size_t len, enum qcow2_refs refs, char *err,
				  size_t errlen)
{
	struct qcow2 *q = xcalloc(1, sizeof(*q));

	qcow2_seterr(err, errlen, "%s", "");
	q->fd = q->data_fd = -1;
	q->refs = refs;
	q->mem = buf;
	q->file_size = len;
	q->path = xstrdup("(memory)");
	if (layer_probe(q, 0, "", err, errlen) < 0) {
		qcow2_close(q);
		return NULL;
	}
	return q;
}

struct qcow2 *qcow2_open_mem(const void *buf, size_t len, char *err, size_t errlen)
{
	return qcow2_open_mem_refs(buf, len, QCOW2_REFS_ANY, err, errlen);
}

/* Load the L2 table at @l2off (from L1 entry @l1i) into the cache. */
static int qcow2_load_l2(struct qcow2 *q, uint32_t l1i, uint64_t l2off, char *err, size_t errlen)
{
	uint64_t span = q->cs * q->l2_entries;

	if (q->l2_cached == l2off)
		return 0;
	if (l2off % q->cs) {
		qcow2_seterr(err, errlen,
			     "corrupt L1 table: entry %u points to an L2 table at 0x%" PRIx64
			     ", not aligned to a cluster",
			     l1i, l2off);
		return -1;
	}
	if (l2off >= q->file_size || q->cs > q->file_size - l2off) {
		qcow2_seterr(err, errlen,
			     "%s: the L2 table for guest bytes 0x%" PRIx64 "-0x%" PRIx64
			     " lies at 0x%" PRIx64 ", beyond the end of the file (%" PRIu64
			     " bytes)",
			     qcow2_beyond_eof(q, l2off, "corrupt L1 table"), l1i * span,
			     (l1i + 1) * span, l2off, q->file_size);
		return -1;
	}
	if (qcow2_pread(q, false, q->l2, q->cs, l2off) < 0) {
		qcow2_seterr(err, errlen, "cannot read the L2 table at 0x%" PRIx64 ": %s", l2off,
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
			  enum qcow2_kind *kind, uint64_t *host, uint64_t *avail, char *err,
			  size_t errlen)
{
	uint64_t in = goff & (q->cs - 1), hoff, need;

	*avail = q->cs - in;
	if (e & L2E_COMPRESSED) {
		uint32_t x = 62 - (q->cluster_bits - 8);
		uint64_t coff = e & ((1ULL << x) - 1);

		if (q->ext_data) {
			qcow2_seterr(
				err, errlen,
				"corrupt L2 table: compressed cluster at guest offset 0x%" PRIx64
				" in an image with an external data file",
				goff - in);
			return -1;
		}
		if (coff >= q->file_size) {
			qcow2_seterr(err, errlen,
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
		qcow2_seterr(err, errlen,
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
			qcow2_seterr(err, errlen,
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
		qcow2_seterr(err, errlen,
			     "corrupt L2 table: the cluster for guest offset 0x%" PRIx64
			     " lies at 0x%" PRIx64 ", not aligned to a cluster",
			     goff - in, hoff);
		return -1;
	}
	if (hoff >= q->data_size || need > q->data_size - hoff) {
		qcow2_seterr(err, errlen,
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
			uint64_t *avail, char *err, size_t errlen)
{
	uint64_t gc = goff >> q->cluster_bits;
	uint64_t l1i = gc / q->l2_entries, l2i = gc % q->l2_entries, l2off, e, bitmap = 0;

	*avail = q->cs - (goff & (q->cs - 1));
	if (l1i >= q->l1_used || !(l2off = q->l1[l1i] & L1E_OFFSET_MASK)) {
		*kind = QCOW2_UNALLOC;
		return 0;
	}
	if (qcow2_load_l2(q, (uint32_t)l1i, l2off, err, errlen) < 0)
		return -1;
	e = qcow2_be64(q->l2 + l2i * q->l2_entry_size);
	if (q->extl2)
		bitmap = qcow2_be64(q->l2 + l2i * q->l2_entry_size + 8);
	return qcow2_classify(q, goff, e, bitmap, kind, host, avail, err, errlen);
}

/* Inflate the compressed cluster described by L2 entry @e into q->dbuf. */
static int qcow2_inflate(struct qcow2 *q, uint64_t goff, uint64_t e, char *err, size_t errlen)
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
		qcow2_seterr(
			err, errlen,
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
		qcow2_seterr(err, errlen, "cannot read the compressed cluster at 0x%" PRIx64 ": %s",
			     coff, strerror(errno));
		return -1;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK) {
		qcow2_seterr(err, errlen, "zlib: inflateInit2 failed");
		return -1;
	}
	zs.next_in = q->cbuf;
	zs.avail_in = (uInt)want;
	zs.next_out = q->dbuf;
	zs.avail_out = (uInt)q->cs;
	r = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (zs.avail_out != 0 || (r != Z_STREAM_END && r != Z_OK && r != Z_BUF_ERROR)) {
		qcow2_seterr(err, errlen,
			     "corrupt compressed cluster for guest offset 0x%" PRIx64
			     " at 0x%" PRIx64 ": zlib inflate %s",
			     goff, coff,
			     zs.avail_out ? "ended before a full cluster"
			     : zs.msg	  ? zs.msg
					  : "failed");
		return -1;
	}
	q->dbuf_for = e;
	return 0;
}

/* Read guest bytes [@goff, @goff+@len) of a layer, through its backing chain. */
static int layer_read(struct qcow2 *q, uint64_t goff, uint8_t *buf, size_t len, char *err,
		      size_t errlen)
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
				qcow2_seterr(err, errlen, "%s: read error at %" PRIu64 ": %s",
					     q->path, goff, strerror(errno));
				return -1;
			}
		} else {
			if (qcow2_lookup(q, goff, &kind, &host, &avail, err, errlen) < 0)
				return -1;
			chunk = avail < len ? (size_t)avail : len;
			if (chunk > q->size - goff)
				chunk = (size_t)(q->size - goff);
			switch (kind) {
			case QCOW2_DATA:
				if (qcow2_pread(q, true, buf, chunk, host) < 0) {
					qcow2_seterr(err, errlen, "read error at 0x%" PRIx64 ": %s",
						     host, strerror(errno));
					return -1;
				}
				break;
			case QCOW2_ZERO: memset(buf, 0, chunk); break;
			case QCOW2_UNALLOC:
				if (!q->backing)
					memset(buf, 0, chunk);
				else if (layer_read(q->backing, goff, buf, chunk, err, errlen) < 0)
					return -1;
				break;
			case QCOW2_COMPRESSED: {
				uint64_t gc = goff >> q->cluster_bits;
				uint64_t e =
					qcow2_be64(q->l2 + (gc % q->l2_entries) * q->l2_entry_size);

				if (qcow2_inflate(q, goff - (goff & (q->cs - 1)), e, err, errlen) <
				    0)
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
static int layer_scan(struct qcow2 *q, struct qcow2_counts *c, char *err, size_t errlen)
{
	uint64_t scanned = 0;

	for (uint32_t i = 0; i < q->l1_used; i++) {
		uint64_t l2off = q->l1[i] & L1E_OFFSET_MASK;

		if (!l2off)
			continue;
		if (scanned >= QCOW_MAX_L2_SCAN)
			break;
		if (qcow2_load_l2(q, i, l2off, err, errlen) < 0)
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
								   err, errlen) < 0)
							return -1;
					} else if (bitmap >> 32) {
						kind = QCOW2_ZERO;
					}
					goto count;
				}
			}
			if (qcow2_classify(q, goff, e, bitmap, &kind, &host, &avail, err, errlen) <
			    0)
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

int qcow2_scan(struct qcow2 *q, struct qcow2_counts *counts, char *err, size_t errlen)
{
	if (counts)
		memset(counts, 0, sizeof(*counts));
	/* Every layer's tables are checked; the counts are the top image's. */
	for (struct qcow2 *l = q; l; l = l->backing) {
		if (l->raw)
			continue;
		if (layer_scan(l, l == q ? counts : NULL, err, errlen) < 0) {
			if (l != q) {
				char sub[512];

				snprintf(sub, sizeof(sub), "%s", err);
				qcow2_seterr(err, errlen, "backing file %s: %s", l->path, sub);
			}
			return -1;
		}
	}
	return 0;
}

int qcow2_kind_at(struct qcow2 *q, uint64_t goff, enum qcow2_kind *kind, char *err, size_t errlen)
{
	uint64_t host, avail;

	*kind = QCOW2_UNALLOC;
	if (q->raw)
		*kind = QCOW2_DATA;
	if (q->raw || goff >= q->size)
		return 0;
	return qcow2_lookup(q, goff, kind, &host, &avail, err, errlen);
}

int qcow2_read(struct qcow2 *q, uint64_t goff, void *buf, size_t len, char *err, size_t errlen)
{
	return layer_read(q, goff, buf, len, err, errlen);
}
