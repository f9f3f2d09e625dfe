// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2.c - read a QCOW2 v2/v3 image (QEMU's docs/interop/qcow2.txt)
 * without QEMU: the header, its extensions, the L1 and L2 tables, guest
 * bytes through the mapping and the backing chain.
 *
 * The header and L1 parser is qcow2_hdr.c; this file opens the files (the
 * image, its data file, its backing chain); qcow2_read.c maps guest offsets
 * through the L2 tables and reads guest bytes.
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
#include <fcntl.h>
#include <string.h>

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

int qcow2_open_file(const char *path, uint64_t *sizep, struct stat *stp, struct vl_err *err)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO given as an image must fail, not hang (opening
	 * one for reading blocks until a writer comes, without it). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		vl_fail(err, EXIT_ENV, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		vl_fail(err, EXIT_ENV, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		vl_fail(err, EXIT_ENV, "is a directory, not a disk image");
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		*sizep = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0) {
			vl_fail(err, EXIT_ENV, "cannot size block device: %s", strerror(errno));
			close(fd);
			return -1;
		}
		*sizep = (uint64_t)end;
	} else {
		vl_fail(err, EXIT_ENV, "is %s, not a disk image (a regular file or block device)",
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
static void not_qcow2(const uint8_t *buf, size_t n, struct vl_err *err)
{
	if (n >= QCOW_PROBE_LEN && buf[510] == 0x55 && buf[511] == 0xaa)
		vl_fail(err, EXIT_ENV,
			"not a QCOW2 image (no QFI\\xfb magic): looks like a raw disk image; "
			"convert it with qemu-img convert -O qcow2");
	else if (n >= 4)
		vl_fail(err, EXIT_ENV,
			"not a QCOW2 image (no QFI\\xfb magic; it starts with %02x %02x %02x %02x "
			"and has no MBR either): if it is a raw disk image, convert it with "
			"qemu-img convert -O qcow2",
			buf[0], buf[1], buf[2], buf[3]);
	else
		vl_fail(err, EXIT_ENV, "not a QCOW2 image (no QFI\\xfb magic; only %zu bytes long)",
			n);
}

static struct qcow2 *layer_open(const char *path, const struct qcow2 *parent, int depth,
				const char *fmt, enum qcow2_refs refs, bool *refused,
				struct vl_err *err);

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
static int layer_refs_ok(const struct qcow2 *q, bool backing, const char *name, struct vl_err *err)
{
	const char *what = backing ? "backing file" : "external data file";
	_cleanup_free_ char *resolved = NULL;
	bool allowed = q->refs == QCOW2_REFS_ANY;

	if (name_is_protocol(name)) {
		vl_fail(err, EXIT_ENV,
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
	vl_fail(err, EXIT_ENV,
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
static int layer_probe(struct qcow2 *q, int depth, const char *fmt, struct vl_err *err)
{
	uint8_t h[QCOW_PROBE_LEN];
	size_t n;

	q->data_fd = q->fd;
	q->data_size = q->file_size;
	if (q->file_size == 0 && depth == 0) {
		vl_fail(err, EXIT_ENV, "empty file (0 bytes): not a disk image");
		return -1;
	}
	if (fmt && !strcmp(fmt, "raw"))
		goto raw;
	n = q->file_size < sizeof(h) ? (size_t)q->file_size : sizeof(h);
	memset(h, 0, sizeof(h));
	if (qcow2_pread(q, false, h, n, 0) < 0) {
		vl_fail(err, EXIT_ENV, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (n < 4 || memcmp(h, QCOW_MAGIC, 4)) {
		if (depth > 0 && !(fmt && fmt[0]))
			goto raw;
		not_qcow2(h, n, err);
		return -1;
	}
	if (qcow2_hdr_parse(q, h, err) < 0)
		return -1;
	if ((q->data_file[0] || (q->incompat & INCOMPAT_DATA_FILE)) &&
	    layer_refs_ok(q, false, q->data_file, err) < 0)
		return -1;
	if (q->backing_name[0] && layer_refs_ok(q, true, q->backing_name, err) < 0)
		return -1;

	q->data_fd = q->fd;
	q->data_size = q->file_size;
	if (q->incompat & INCOMPAT_DATA_FILE) {
		_cleanup_free_ char *dp = NULL;

		if (!q->data_file[0]) {
			vl_fail(err, EXIT_ENV,
				"QCOW2 image uses an external data file but does not name it");
			return -1;
		}
		if (q->mem) {
			vl_fail(err, EXIT_ENV,
				"QCOW2 image uses an external data file, not opened from memory");
			return -1;
		}
		dp = path_relative_to(q->path, q->data_file);
		q->data_fd = qcow2_open_file(dp, &q->data_size, NULL, err);
		if (q->data_fd < 0) {
			q->data_fd = q->fd;
			return vl_wrap(err, "external data file %s", dp);
		}
		q->ext_data = true;
	}

	if (q->backing_name[0] && !q->mem) {
		_cleanup_free_ char *bp = path_relative_to(q->path, q->backing_name);

		if (q->backing_fmt[0] && strcmp(q->backing_fmt, "qcow2") &&
		    strcmp(q->backing_fmt, "raw")) {
			vl_fail(err, EXIT_ENV,
				"backing file %s has format '%s': vacmlab reads qcow2 and raw only",
				bp, q->backing_fmt);
			return -1;
		}
		q->backing = layer_open(bp, q, depth + 1, q->backing_fmt, q->refs, q->refused, err);
		if (!q->backing) {
			/* Name only the deepest file at fault, not every level. */
			if (vl_failed(err) && !strncmp(err->msg, "backing file ", 13))
				return -1;
			return vl_wrap(err, "backing file %s", bp);
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
				const char *fmt, enum qcow2_refs refs, bool *refused,
				struct vl_err *err)
{
	struct qcow2 *q;
	struct stat st;

	if (depth > QCOW2_MAX_BACKING_DEPTH) {
		vl_fail(err, EXIT_ENV, "the backing chain is more than %d files deep",
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
	q->fd = qcow2_open_file(path, &q->file_size, &st, err);
	if (q->fd < 0)
		goto fail;
	q->dev = st.st_dev;
	q->ino = st.st_ino;
	for (const struct qcow2 *a = parent; a; a = a->parent)
		if (a->dev == q->dev && a->ino == q->ino) {
			vl_fail(err, EXIT_ENV, "the backing chain loops: this is %s again",
				a->path);
			goto fail;
		}
	if (layer_probe(q, depth, fmt, err) < 0)
		goto fail;
	return q;
fail:
	qcow2_close(q);
	return NULL;
}

struct qcow2 *qcow2_open_refs(const char *path, enum qcow2_refs refs, bool *refused,
			      struct vl_err *err)
{
	if (refused)
		*refused = false;
	return layer_open(path, NULL, 0, "", refs, refused, err);
}

struct qcow2 *qcow2_open(const char *path, struct vl_err *err)
{
	return qcow2_open_refs(path, QCOW2_REFS_ANY, NULL, err);
}

struct qcow2 *qcow2_open_mem_refs(const void *buf, size_t len, enum qcow2_refs refs,
				  struct vl_err *err)
{
	struct qcow2 *q = xcalloc(1, sizeof(*q));

	q->fd = q->data_fd = -1;
	q->refs = refs;
	q->mem = buf;
	q->file_size = len;
	q->path = xstrdup("(memory)");
	if (layer_probe(q, 0, "", err) < 0) {
		qcow2_close(q);
		return NULL;
	}
	return q;
}

struct qcow2 *qcow2_open_mem(const void *buf, size_t len, struct vl_err *err)
{
	return qcow2_open_mem_refs(buf, len, QCOW2_REFS_ANY, err);
}
