// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * image.c - read an appliance disk (QCOW2 v2/v3 holding an MBR) without
 * booting it, judge whether it is shaped like VACM's image.bin, and record a
 * base image's identity for the per-node overlays built on it.
 *
 * DOC: Why read QCOW2 here instead of running `qemu-img`
 *
 * `up` checks every node's image before it starts anything, and `image info`
 * is run on files that may be anything at all. Reading the format ourselves
 * (QEMU's docs/interop/qcow2.txt) costs a few hundred lines and gives:
 *  - no process per image: `up` of a ten-node lab does not fork ten
 *    qemu-img and parse their JSON; the check is a handful of preads;
 *  - precise errors: we know *which* structure is wrong (an L1 offset beyond
 *    the end of the file, a cluster cut off by truncation, an MBR without
 *    55AA) and say so, where qemu-img prints one generic line or, for a raw
 *    file, silently probes it as raw;
 *  - usable before anything starts, and on a machine without qemu-utils.
 *
 * What is read: the header (v2 and v3: feature bits, compression type,
 * external data file, extended L2 entries), the header extensions (backing
 * format, data file name), the L1 table and every L2 table (so we know
 * whether any cluster is compressed and that no cluster lies beyond the end
 * of the file), then the first guest sector through the mapping: standard,
 * zero, unallocated (from the backing file, else zeros) and zlib-compressed
 * clusters (raw deflate, window bits -15, as QEMU writes them). zstd
 * clusters are recognised but not inflated (no libzstd here): that is a
 * specific error. Encrypted images are refused. Backing chains are followed
 * to IMAGE_MAX_BACKING_DEPTH files. Every size read from the file is bounded
 * before use; tests/unit/test_image.c corrupts an image at random and
 * accepts only a message or a result, never a crash or a hang.
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
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <zlib.h>

#include "lab/lib/image.h"
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

#define INCOMPAT_DIRTY (1ULL << 0)
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

#define MBR_SIZE 512u
#define MBR_CODE_LEN 0x1b8u /* boot code: bytes 0..0x1B7 */
#define MBR_PART_OFF 0x1beu
#define IMAGE_ID_HASH_LEN (1024u * 1024)

/* One layer of a chain: a QCOW2 file, or a raw backing file. */
struct qimg {
	int fd;
	int data_fd; /* external data file, or == fd */
	char *path;
	uint64_t dev, ino; /* to detect a backing chain that loops */
	uint64_t file_size;
	uint64_t data_size; /* size of the file guest clusters live in */
	bool raw;

	uint32_t version;
	uint32_t cluster_bits;
	uint64_t cs;   /* cluster size */
	uint64_t size; /* virtual size */
	uint32_t hdr_len;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint32_t nb_snapshots;
	uint8_t compression_type;
	bool extl2;
	uint32_t l2_entry_size; /* 8, or 16 with extended L2 entries */
	uint64_t l2_entries;
	uint32_t l1_size; /* as in the header */
	uint32_t l1_used; /* entries read: those covering the virtual size */
	uint64_t l1_off;
	uint64_t *l1;	    /* host byte order */
	uint8_t *l2;	    /* one cached L2 table */
	uint64_t l2_cached; /* its host offset, 0 if none */
	uint8_t *cbuf;	    /* compressed input, up to 2 clusters */
	uint8_t *dbuf;	    /* one inflated cluster */
	uint64_t dbuf_for;  /* descriptor it was inflated from, 0 if none */

	char backing_name[1024];
	char backing_fmt[32];
	char data_file[1024];
	struct qimg *backing;
	const struct qimg *parent; /* the layer above, while opening */
};

enum cl_kind {
	CL_UNALLOC,
	CL_ZERO,
	CL_DATA,
	CL_COMPRESSED,
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* pread exactly @len bytes. 0, or -errno (-EIO when the file ends first). */
static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			errno = EIO; /* callers quote strerror(errno) */
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Open read-only and size a regular file or block device. */
static int open_sized(const char *path, int *fdp, uint64_t *sizep, struct stat *stp, char *err,
		      size_t errlen)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO given as an image must fail, not hang. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		seterr(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		seterr(err, errlen, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "is a directory, not a disk image");
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		*sizep = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0) {
			seterr(err, errlen, "cannot size block device: %s", strerror(errno));
			close(fd);
			return -1;
		}
		*sizep = (uint64_t)end;
	} else {
		seterr(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	*fdp = fd;
	if (stp)
		*stp = st;
	return 0;
}

static void qimg_free(struct qimg *q)
{
	while (q) {
		struct qimg *b = q->backing;

		if (q->data_fd >= 0 && q->data_fd != q->fd)
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

/*
 * An offset beyond the end of the file means truncation when it is below
 * what the file could have grown to (about twice the virtual size plus
 * metadata; anything with internal snapshots, which hold RAM, may be larger),
 * and a corrupt pointer beyond that. Only the wording depends on it.
 */
static const char *beyond_eof_what(const struct qimg *q, uint64_t off, const char *corrupt)
{
	uint64_t plausible = 2 * q->size + (64ULL << 20);

	if (q->nb_snapshots || off < plausible)
		return "truncated QCOW2";
	return corrupt;
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
	if (n >= MBR_SIZE && buf[510] == 0x55 && buf[511] == 0xaa)
		seterr(err, errlen,
		       "not a QCOW2 image (no QFI\\xfb magic): looks like a raw disk image; "
		       "convert it with qemu-img convert -O qcow2");
	else if (n >= 4)
		seterr(err, errlen,
		       "not a QCOW2 image (no QFI\\xfb magic; it starts with %02x %02x %02x %02x "
		       "and has no MBR either): if it is a raw disk image, convert it with "
		       "qemu-img convert -O qcow2",
		       buf[0], buf[1], buf[2], buf[3]);
	else
		seterr(err, errlen, "not a QCOW2 image (no QFI\\xfb magic; only %zu bytes long)",
		       n);
}

/* Parse header extensions in the first cluster: backing format, data file. */
static int qimg_extensions(struct qimg *q, const uint8_t *c0, size_t n, char *err, size_t errlen)
{
	size_t pos = q->version >= 3 ? q->hdr_len : QCOW_HDR_V2;

	for (int i = 0; i < 1024 && pos + 8 <= n; i++) {
		uint32_t type = be32(c0 + pos), len = be32(c0 + pos + 4);

		if (type == EXT_END)
			return 0;
		if (len > n - pos - 8) {
			seterr(err, errlen,
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

static struct qimg *qimg_open(const char *path, const struct qimg *parent, int depth,
			      const char *fmt, char *err, size_t errlen);

/* Header, extensions, names and L1 table of a QCOW2 layer. */
static int qimg_open_qcow2(struct qimg *q, const uint8_t *h, int depth, char *err, size_t errlen)
{
	uint64_t backing_off, needed, l1_bytes;
	uint32_t backing_len, crypt;
	_cleanup_free_ uint8_t *c0 = NULL;
	size_t c0len;

	q->version = be32(h + 4);
	if (q->file_size < QCOW_HDR_V2) {
		seterr(err, errlen,
		       "truncated QCOW2 header: the file has %" PRIu64 " bytes, a header needs "
		       "at least %u",
		       q->file_size, QCOW_HDR_V2);
		return -1;
	}
	if (q->version != 2 && q->version != 3) {
		seterr(err, errlen,
		       "QCOW version %u is not supported (only versions 2 and 3): convert it "
		       "with qemu-img convert -O qcow2",
		       q->version);
		return -1;
	}
	if (q->version == 3 && q->file_size < QCOW_HDR_V3) {
		seterr(err, errlen,
		       "truncated QCOW2 header: the file has %" PRIu64 " bytes, a version 3 "
		       "header needs %u",
		       q->file_size, QCOW_HDR_V3);
		return -1;
	}
	backing_off = be64(h + 8);
	backing_len = be32(h + 16);
	q->cluster_bits = be32(h + 20);
	q->size = be64(h + 24);
	crypt = be32(h + 32);
	q->l1_size = be32(h + 36);
	q->l1_off = be64(h + 40);
	q->nb_snapshots = be32(h + 60);
	q->refcount_order = 4;
	q->hdr_len = QCOW_HDR_V2;
	if (q->version >= 3) {
		q->incompat = be64(h + 72);
		q->compat = be64(h + 80);
		q->autoclear = be64(h + 88);
		q->refcount_order = be32(h + 96);
		q->hdr_len = be32(h + 100);
	}
	if (q->cluster_bits < QCOW_MIN_CLUSTER_BITS || q->cluster_bits > QCOW_MAX_CLUSTER_BITS) {
		seterr(err, errlen, "corrupt QCOW2 header: cluster_bits %u (must be %u to %u)",
		       q->cluster_bits, QCOW_MIN_CLUSTER_BITS, QCOW_MAX_CLUSTER_BITS);
		return -1;
	}
	q->cs = 1ULL << q->cluster_bits;
	if (q->version >= 3 && (q->hdr_len < QCOW_HDR_V3 || q->hdr_len % 8 || q->hdr_len > q->cs)) {
		seterr(err, errlen,
		       "corrupt QCOW2 header: header_length %u (must be a multiple of 8 "
		       "from %u to the cluster size)",
		       q->hdr_len, QCOW_HDR_V3);
		return -1;
	}
	if (q->refcount_order > 6) {
		seterr(err, errlen, "corrupt QCOW2 header: refcount_order %u (at most 6)",
		       q->refcount_order);
		return -1;
	}
	if (q->size > QCOW_MAX_VIRTUAL_SIZE) {
		seterr(err, errlen,
		       "corrupt QCOW2 header: virtual size %" PRIu64
		       " bytes is beyond the format's 64 PiB",
		       q->size);
		return -1;
	}
	if (crypt) {
		seterr(err, errlen,
		       "encrypted QCOW2 image (%s): vacmlab cannot read its MBR and the lab "
		       "cannot boot it unattended",
		       crypt == 1   ? "AES"
		       : crypt == 2 ? "LUKS"
				    : "unknown method");
		return -1;
	}
	if (q->incompat & ~INCOMPAT_KNOWN) {
		seterr(err, errlen,
		       "QCOW2 image uses unknown incompatible features 0x%" PRIx64
		       " (made by a newer QEMU?)",
		       (uint64_t)(q->incompat & ~INCOMPAT_KNOWN));
		return -1;
	}
	if (q->incompat & INCOMPAT_CORRUPT) {
		seterr(err, errlen,
		       "QCOW2 image is marked corrupt (incompatible feature bit 1): check it "
		       "with qemu-img check");
		return -1;
	}
	q->extl2 = q->incompat & INCOMPAT_EXTL2;
	if (q->extl2 && q->cluster_bits < 14) {
		seterr(err, errlen,
		       "corrupt QCOW2 header: extended L2 entries with %" PRIu64
		       "-byte clusters (at least 16384)",
		       q->cs);
		return -1;
	}
	if (q->version >= 3 && q->hdr_len > QCOW_HDR_V3)
		q->compression_type = h[104];
	if (!!(q->incompat & INCOMPAT_COMPRESSION) != !!q->compression_type ||
	    q->compression_type > 1) {
		seterr(err, errlen,
		       "corrupt QCOW2 header: compression type %u with the compression "
		       "feature bit %s",
		       q->compression_type, q->incompat & INCOMPAT_COMPRESSION ? "set" : "clear");
		return -1;
	}
	q->l2_entry_size = q->extl2 ? 16 : 8;
	q->l2_entries = q->cs / q->l2_entry_size;

	/* The first cluster holds the header extensions and, usually, the
	 * backing file name. */
	c0len = q->file_size < q->cs ? (size_t)q->file_size : (size_t)q->cs;
	c0 = xmalloc(c0len);
	if (pread_full(q->fd, c0, c0len, 0) < 0) {
		seterr(err, errlen, "cannot read the QCOW2 header: %s", strerror(errno));
		return -1;
	}
	if (qimg_extensions(q, c0, c0len, err, errlen) < 0)
		return -1;

	if (backing_off) {
		if (backing_len == 0 || backing_len > 1023) {
			seterr(err, errlen,
			       "corrupt QCOW2 header: backing file name length %u (1 to 1023)",
			       backing_len);
			return -1;
		}
		if (backing_off > q->file_size || backing_len > q->file_size - backing_off) {
			seterr(err, errlen,
			       "truncated QCOW2: the backing file name at byte %" PRIu64
			       " lies beyond the end of the file (%" PRIu64 " bytes)",
			       backing_off, q->file_size);
			return -1;
		}
		if (pread_full(q->fd, q->backing_name, backing_len, backing_off) < 0) {
			seterr(err, errlen, "cannot read the backing file name: %s",
			       strerror(errno));
			return -1;
		}
		q->backing_name[backing_len] = 0;
		if (strlen(q->backing_name) != backing_len) {
			seterr(err, errlen,
			       "corrupt QCOW2 header: the backing file name contains a NUL byte");
			return -1;
		}
	}

	q->data_fd = q->fd;
	q->data_size = q->file_size;
	if (q->incompat & INCOMPAT_DATA_FILE) {
		_cleanup_free_ char *dp = NULL;
		char sub[512];

		if (!q->data_file[0]) {
			seterr(err, errlen,
			       "QCOW2 image uses an external data file but does not name it");
			return -1;
		}
		dp = path_relative_to(q->path, q->data_file);
		if (open_sized(dp, &q->data_fd, &q->data_size, NULL, sub, sizeof(sub)) < 0) {
			q->data_fd = q->fd;
			seterr(err, errlen, "external data file %s: %s", dp, sub);
			return -1;
		}
	}

	/* L1: sane size, enough entries for the virtual size, inside the file. */
	if (q->l1_size > QCOW_MAX_L1_ENTRIES) {
		seterr(err, errlen, "corrupt L1 table: %u entries is absurd (QEMU's limit is %u)",
		       q->l1_size, QCOW_MAX_L1_ENTRIES);
		return -1;
	}
	{
		uint64_t per_l1 = q->cs * q->l2_entries; /* <= 2^39 */

		needed = q->size / per_l1 + !!(q->size % per_l1);
	}
	if (needed > q->l1_size) {
		seterr(err, errlen,
		       "corrupt L1 table: %u entries cover %" PRIu64 " bytes, but the virtual "
		       "size is %" PRIu64,
		       q->l1_size, (uint64_t)q->l1_size * q->cs * q->l2_entries, q->size);
		return -1;
	}
	q->l1_used = (uint32_t)needed;
	if (q->l1_used) {
		if (q->l1_off % q->cs) {
			seterr(err, errlen,
			       "corrupt L1 table: offset 0x%" PRIx64 " is not aligned to a cluster "
			       "(%" PRIu64 " bytes)",
			       q->l1_off, q->cs);
			return -1;
		}
		if (q->l1_off == 0) {
			seterr(err, errlen, "corrupt L1 table: offset 0 overlaps the header");
			return -1;
		}
		if (q->l1_off >= q->file_size) {
			seterr(err, errlen,
			       "%s: the L1 table at 0x%" PRIx64 " lies beyond the end of the "
			       "file (%" PRIu64 " bytes)",
			       beyond_eof_what(q, q->l1_off, "corrupt L1 table offset"), q->l1_off,
			       q->file_size);
			return -1;
		}
		l1_bytes = (uint64_t)q->l1_used * 8;
		if (l1_bytes > q->file_size - q->l1_off) {
			seterr(err, errlen,
			       "truncated QCOW2: the L1 table (0x%" PRIx64 "-0x%" PRIx64
			       ") runs beyond the end of the file (%" PRIu64 " bytes)",
			       q->l1_off, q->l1_off + l1_bytes, q->file_size);
			return -1;
		}
		q->l1 = xmalloc(l1_bytes);
		if (pread_full(q->fd, q->l1, l1_bytes, q->l1_off) < 0) {
			seterr(err, errlen, "cannot read the L1 table: %s", strerror(errno));
			return -1;
		}
		for (uint32_t i = 0; i < q->l1_used; i++)
			q->l1[i] = be64((uint8_t *)&q->l1[i]);
	}
	q->l2 = xmalloc(q->cs);
	q->cbuf = xmalloc(2 * q->cs);
	q->dbuf = xmalloc(q->cs);

	if (q->backing_name[0]) {
		_cleanup_free_ char *bp = path_relative_to(q->path, q->backing_name);
		char sub[768];

		if (q->backing_fmt[0] && strcmp(q->backing_fmt, "qcow2") &&
		    strcmp(q->backing_fmt, "raw")) {
			seterr(err, errlen,
			       "backing file %s has format '%s': vacmlab reads qcow2 and raw only",
			       bp, q->backing_fmt);
			return -1;
		}
		q->backing = qimg_open(bp, q, depth + 1, q->backing_fmt, sub, sizeof(sub));
		if (!q->backing) {
			/* Name only the deepest file at fault, not every level. */
			if (!strncmp(sub, "backing file ", 13))
				seterr(err, errlen, "%s", sub);
			else
				seterr(err, errlen, "backing file %s: %s", bp, sub);
			return -1;
		}
	}
	return 0;
}

/*
 * Open one layer and, recursively, its backing chain. @fmt is the format the
 * layer above names ("qcow2", "raw", or "" to probe; a probed non-QCOW2
 * backing file is raw, as in QEMU). The top image (depth 0) must be QCOW2.
 */
static struct qimg *qimg_open(const char *path, const struct qimg *parent, int depth,
			      const char *fmt, char *err, size_t errlen)
{
	struct qimg *q;
	uint8_t h[MBR_SIZE];
	struct stat st;
	size_t n;

	if (depth > IMAGE_MAX_BACKING_DEPTH) {
		seterr(err, errlen, "backing chain deeper than %d files (a loop?)",
		       IMAGE_MAX_BACKING_DEPTH);
		return NULL;
	}
	q = xcalloc(1, sizeof(*q));
	q->parent = parent;
	q->fd = q->data_fd = -1;
	q->path = xstrdup(path);
	if (open_sized(path, &q->fd, &q->file_size, &st, err, errlen) < 0)
		goto fail;
	q->dev = st.st_dev;
	q->ino = st.st_ino;
	for (const struct qimg *a = parent; a; a = a->parent)
		if (a->dev == q->dev && a->ino == q->ino) {
			seterr(err, errlen, "the backing chain loops: this is %s again", a->path);
			goto fail;
		}
	q->data_fd = q->fd;
	q->data_size = q->file_size;
	if (q->file_size == 0 && depth == 0) {
		seterr(err, errlen, "empty file (0 bytes): not a disk image");
		goto fail;
	}
	if (fmt && !strcmp(fmt, "raw"))
		goto raw;
	n = q->file_size < sizeof(h) ? (size_t)q->file_size : sizeof(h);
	memset(h, 0, sizeof(h));
	if (pread_full(q->fd, h, n, 0) < 0) {
		seterr(err, errlen, "cannot read: %s", strerror(errno));
		goto fail;
	}
	if (n < 4 || memcmp(h, QCOW_MAGIC, 4)) {
		if (depth > 0 && !(fmt && fmt[0]))
			goto raw;
		not_qcow2(h, n, err, errlen);
		goto fail;
	}
	if (qimg_open_qcow2(q, h, depth, err, errlen) < 0)
		goto fail;
	return q;
raw:
	q->raw = true;
	q->size = q->file_size;
	return q;
fail:
	qimg_free(q);
	return NULL;
}

/* Load the L2 table at @l2off (from L1 entry @l1i) into the cache. */
static int qimg_load_l2(struct qimg *q, uint32_t l1i, uint64_t l2off, char *err, size_t errlen)
{
	uint64_t span = q->cs * q->l2_entries;

	if (q->l2_cached == l2off)
		return 0;
	if (l2off % q->cs) {
		seterr(err, errlen,
		       "corrupt L1 table: entry %u points to an L2 table at 0x%" PRIx64
		       ", not aligned to a cluster",
		       l1i, l2off);
		return -1;
	}
	if (l2off >= q->file_size || q->cs > q->file_size - l2off) {
		seterr(err, errlen,
		       "%s: the L2 table for guest bytes 0x%" PRIx64 "-0x%" PRIx64
		       " lies at 0x%" PRIx64 ", beyond the end of the file (%" PRIu64 " bytes)",
		       beyond_eof_what(q, l2off, "corrupt L1 table"), l1i * span, (l1i + 1) * span,
		       l2off, q->file_size);
		return -1;
	}
	if (pread_full(q->fd, q->l2, q->cs, l2off) < 0) {
		seterr(err, errlen, "cannot read the L2 table at 0x%" PRIx64 ": %s", l2off,
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
static int qimg_classify(struct qimg *q, uint64_t goff, uint64_t e, uint64_t bitmap,
			 enum cl_kind *kind, uint64_t *host, uint64_t *avail, char *err,
			 size_t errlen)
{
	uint64_t in = goff & (q->cs - 1), hoff, need;

	*avail = q->cs - in;
	if (e & L2E_COMPRESSED) {
		uint32_t x = 62 - (q->cluster_bits - 8);
		uint64_t coff = e & ((1ULL << x) - 1);

		if (q->data_fd != q->fd) {
			seterr(err, errlen,
			       "corrupt L2 table: compressed cluster at guest offset 0x%" PRIx64
			       " in an image with an external data file",
			       goff - in);
			return -1;
		}
		if (coff >= q->file_size) {
			seterr(err, errlen,
			       "%s: the compressed cluster for guest offset 0x%" PRIx64
			       " lies at 0x%" PRIx64 ", beyond the end of the file (%" PRIu64
			       " bytes)",
			       beyond_eof_what(q, coff, "corrupt L2 table"), goff - in, coff,
			       q->file_size);
			return -1;
		}
		*kind = CL_COMPRESSED;
		*host = coff;
		return 0;
	}
	if (e & L2E_STD_RESERVED || (q->version < 3 && e & L2E_ZERO) ||
	    (q->extl2 && e & L2E_ZERO)) {
		seterr(err, errlen,
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
			seterr(err, errlen,
			       "corrupt L2 table: subcluster %" PRIu64 " of guest offset 0x%" PRIx64
			       " is both allocated and zero",
			       sc, goff - in);
			return -1;
		}
		if (zero) {
			*kind = CL_ZERO;
			return 0;
		}
		if (!alloc) {
			*kind = CL_UNALLOC;
			return 0;
		}
		/* Only allocated subclusters are written: the file may end
		 * after the last one. */
		need = (32 - (uint64_t)__builtin_clz((uint32_t)bitmap)) * scs;
	} else if (e & L2E_ZERO) {
		*kind = CL_ZERO;
		return 0;
	} else if (!hoff && !(q->data_fd != q->fd && e & L2E_COPIED)) {
		*kind = CL_UNALLOC;
		return 0;
	}
	if (hoff % q->cs) {
		seterr(err, errlen,
		       "corrupt L2 table: the cluster for guest offset 0x%" PRIx64
		       " lies at 0x%" PRIx64 ", not aligned to a cluster",
		       goff - in, hoff);
		return -1;
	}
	if (hoff >= q->data_size || need > q->data_size - hoff) {
		seterr(err, errlen,
		       "%s: the cluster for guest offset 0x%" PRIx64 " lies at 0x%" PRIx64
		       ", beyond the end of the %sfile (%" PRIu64 " bytes)",
		       beyond_eof_what(q, hoff, "corrupt L2 table"), goff - in, hoff,
		       q->data_fd != q->fd ? "data " : "", q->data_size);
		return -1;
	}
	*kind = CL_DATA;
	*host = hoff + in;
	return 0;
}

/* Map guest offset @goff of a QCOW2 layer. */
static int qimg_lookup(struct qimg *q, uint64_t goff, enum cl_kind *kind, uint64_t *host,
		       uint64_t *avail, char *err, size_t errlen)
{
	uint64_t gc = goff >> q->cluster_bits;
	uint64_t l1i = gc / q->l2_entries, l2i = gc % q->l2_entries, l2off, e, bitmap = 0;

	*avail = q->cs - (goff & (q->cs - 1));
	if (l1i >= q->l1_used || !(l2off = q->l1[l1i] & L1E_OFFSET_MASK)) {
		*kind = CL_UNALLOC;
		return 0;
	}
	if (qimg_load_l2(q, (uint32_t)l1i, l2off, err, errlen) < 0)
		return -1;
	e = be64(q->l2 + l2i * q->l2_entry_size);
	if (q->extl2)
		bitmap = be64(q->l2 + l2i * q->l2_entry_size + 8);
	return qimg_classify(q, goff, e, bitmap, kind, host, avail, err, errlen);
}

/* Inflate the compressed cluster described by L2 entry @e into q->dbuf. */
static int qimg_inflate(struct qimg *q, uint64_t goff, uint64_t e, char *err, size_t errlen)
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
		seterr(err, errlen,
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
	if (pread_full(q->fd, q->cbuf, want, coff) < 0) {
		seterr(err, errlen, "cannot read the compressed cluster at 0x%" PRIx64 ": %s", coff,
		       strerror(errno));
		return -1;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK) {
		seterr(err, errlen, "zlib: inflateInit2 failed");
		return -1;
	}
	zs.next_in = q->cbuf;
	zs.avail_in = (uInt)want;
	zs.next_out = q->dbuf;
	zs.avail_out = (uInt)q->cs;
	r = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (zs.avail_out != 0 || (r != Z_STREAM_END && r != Z_OK && r != Z_BUF_ERROR)) {
		seterr(err, errlen,
		       "corrupt compressed cluster for guest offset 0x%" PRIx64 " at 0x%" PRIx64
		       ": zlib inflate %s",
		       goff, coff,
		       zs.avail_out ? "ended before a full cluster"
		       : zs.msg	    ? zs.msg
				    : "failed");
		return -1;
	}
	q->dbuf_for = e;
	return 0;
}

/* Read guest bytes [@goff, @goff+@len) of a layer, through its backing chain. */
static int qimg_read(struct qimg *q, uint64_t goff, uint8_t *buf, size_t len, char *err,
		     size_t errlen)
{
	while (len) {
		enum cl_kind kind;
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
			if (pread_full(q->fd, buf, chunk, goff) < 0) {
				seterr(err, errlen, "%s: read error at %" PRIu64 ": %s", q->path,
				       goff, strerror(errno));
				return -1;
			}
		} else {
			if (qimg_lookup(q, goff, &kind, &host, &avail, err, errlen) < 0)
				return -1;
			chunk = avail < len ? (size_t)avail : len;
			if (chunk > q->size - goff)
				chunk = (size_t)(q->size - goff);
			switch (kind) {
			case CL_DATA:
				if (pread_full(q->data_fd, buf, chunk, host) < 0) {
					seterr(err, errlen, "read error at 0x%" PRIx64 ": %s", host,
					       strerror(errno));
					return -1;
				}
				break;
			case CL_ZERO: memset(buf, 0, chunk); break;
			case CL_UNALLOC:
				if (!q->backing)
					memset(buf, 0, chunk);
				else if (qimg_read(q->backing, goff, buf, chunk, err, errlen) < 0)
					return -1;
				break;
			case CL_COMPRESSED: {
				uint64_t gc = goff >> q->cluster_bits;
				uint64_t e = be64(q->l2 + (gc % q->l2_entries) * q->l2_entry_size);

				if (qimg_inflate(q, goff - (goff & (q->cs - 1)), e, err, errlen) <
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
static int qimg_scan(struct qimg *q, struct image_info *info, char *err, size_t errlen)
{
	uint64_t scanned = 0;

	for (uint32_t i = 0; i < q->l1_used; i++) {
		uint64_t l2off = q->l1[i] & L1E_OFFSET_MASK;

		if (!l2off)
			continue;
		if (scanned >= QCOW_MAX_L2_SCAN)
			break;
		if (qimg_load_l2(q, i, l2off, err, errlen) < 0)
			return -1;
		scanned += q->cs;
		for (uint64_t j = 0; j < q->l2_entries; j++) {
			uint64_t goff = ((uint64_t)i * q->l2_entries + j) << q->cluster_bits;
			uint64_t e = be64(q->l2 + j * q->l2_entry_size), bitmap = 0, host, avail;
			enum cl_kind kind = CL_UNALLOC;

			if (goff >= q->size)
				break;
			if (q->extl2) {
				bitmap = be64(q->l2 + j * q->l2_entry_size + 8);
				if (!(e & L2E_COMPRESSED)) {
					/* Count by the cluster's subclusters as a whole. */
					uint64_t alloc = bitmap & 0xffffffffu;

					if (alloc) {
						unsigned int sc =
							(unsigned int)__builtin_ctzll(alloc);

						if (qimg_classify(q, goff + sc * (q->cs / 32), e,
								  bitmap, &kind, &host, &avail, err,
								  errlen) < 0)
							return -1;
					} else if (bitmap >> 32) {
						kind = CL_ZERO;
					}
					goto count;
				}
			}
			if (qimg_classify(q, goff, e, bitmap, &kind, &host, &avail, err, errlen) <
			    0)
				return -1;
		count:
			if (!info)
				continue;
			switch (kind) {
			case CL_DATA: info->clusters_data++; break;
			case CL_ZERO: info->clusters_zero++; break;
			case CL_COMPRESSED: info->clusters_compressed++; break;
			case CL_UNALLOC: break;
			}
		}
	}
	return 0;
}

static void add_problem(struct image_info *info, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_problem(struct image_info *info, const char *fmt, ...)
{
	va_list ap;

	if (info->nproblems >= IMAGE_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(info->problems[info->nproblems++], IMAGE_PROBLEM_LEN, fmt, ap);
	va_end(ap);
}

static const char *const part_roles[4] = {
	"boot args/fset",
	"firmware image (FSK)",
	"/etc/config",
	"/var/mnt/nvlog",
};
/* Short forms for "sda3 (/etc/config) missing". */
static const char *const part_roles_short[4] = {
	"boot args/fset",
	"firmware image",
	"/etc/config",
	"nvlog",
};

static const char *part_type_name(uint8_t t)
{
	switch (t) {
	case 0x00: return "empty";
	case 0x01: return "FAT12";
	case 0x04: return "FAT16 <32M";
	case 0x05: return "extended";
	case 0x06: return "FAT16";
	case 0x07: return "NTFS/exFAT";
	case 0x0b: return "FAT32";
	case 0x0c: return "FAT32 (LBA)";
	case 0x0e: return "FAT16 (LBA)";
	case 0x0f: return "extended (LBA)";
	case 0x82: return "Linux swap";
	case 0x83: return "Linux";
	case 0x85: return "Linux extended";
	case 0x8e: return "Linux LVM";
	case 0xda: return "non-FS data";
	case 0xee: return "GPT protective";
	case 0xef: return "EFI system";
	case 0xfd: return "Linux raid";
	default: return "unknown";
	}
}

static bool part_is_extended(uint8_t t)
{
	return t == 0x05 || t == 0x0f || t == 0x85;
}

/* Decode the MBR and list every way it differs from image.bin's. */
static void judge_mbr(struct image_info *info, const uint8_t *mbr)
{
	uint64_t disk_sectors = info->virtual_size / 512;
	unsigned int missing[4], nmissing = 0;

	info->mbr_sig_bytes[0] = mbr[510];
	info->mbr_sig_bytes[1] = mbr[511];
	info->mbr_signature = mbr[510] == 0x55 && mbr[511] == 0xaa;
	info->disk_signature = le32(mbr + 0x1b8);
	for (unsigned int i = 0; i < MBR_CODE_LEN; i++)
		info->boot_code_nonzero += mbr[i] != 0;
	info->boot_code = info->boot_code_nonzero > 0;

	if (!info->mbr_signature) {
		add_problem(info,
			    "no MBR: bytes 510-511 are %02x %02x, not the 55 AA boot signature",
			    mbr[510], mbr[511]);
		return;
	}
	if (!info->boot_code)
		add_problem(info, "no boot code: MBR bytes 0-439 are all zero, the BIOS cannot "
				  "boot this disk");

	for (unsigned int i = 0; i < 4; i++) {
		const uint8_t *e = mbr + MBR_PART_OFF + 16 * i;
		struct image_part *p = &info->part[i];

		p->index = i + 1;
		p->boot_byte = e[0];
		p->boot = e[0] == 0x80;
		p->type = e[4];
		p->start_lba = le32(e + 8);
		p->sectors = le32(e + 12);
		p->type_name = part_type_name(p->type);
		p->role = part_roles[i];
		p->present = p->type != 0 && p->sectors != 0;
		if (p->present)
			info->nparts++;
		else
			missing[nmissing++] = i;
	}

	for (unsigned int i = 0; i < 4; i++)
		if (info->part[i].type == 0xee) {
			add_problem(
				info,
				"a GPT disk (protective MBR entry of type 0xee): VACM uses a plain "
				"MBR partition table");
			break;
		}
	if (nmissing) {
		char list[IMAGE_PROBLEM_LEN] = "";
		size_t off = 0;

		for (unsigned int k = 0; k < nmissing && off < sizeof(list); k++) {
			const char *sep = k == 0 ? "" : k == nmissing - 1 ? " and " : ", ";
			int w = snprintf(list + off, sizeof(list) - off, "%ssda%u (%s)", sep,
					 missing[k] + 1, part_roles_short[missing[k]]);

			if (w > 0)
				off += (size_t)w;
		}
		if (info->nparts == 0)
			add_problem(info, "no partitions: %s missing", list);
		else
			add_problem(info, "only %u partition%s: %s missing", info->nparts,
				    info->nparts == 1 ? "" : "s", list);
	}
	for (unsigned int i = 0; i < 4; i++) {
		const struct image_part *p = &info->part[i];
		uint64_t end = (uint64_t)p->start_lba + p->sectors;

		if (p->boot_byte != 0 && p->boot_byte != 0x80)
			add_problem(info,
				    "sda%u has an invalid status byte 0x%02x (not 0x00 or 0x80)",
				    p->index, p->boot_byte);
		if (!p->present)
			continue;
		if (part_is_extended(p->type))
			add_problem(info,
				    "sda%u is an extended partition (type 0x%02x): VACM uses four "
				    "primary partitions",
				    p->index, p->type);
		if (p->start_lba == 0)
			add_problem(info, "sda%u starts at sector 0, over the MBR", p->index);
		if (end > disk_sectors)
			add_problem(info,
				    "sda%u ends at sector %" PRIu64
				    ", beyond the end of the disk (%" PRIu64 " sectors)",
				    p->index, end, disk_sectors);
		for (unsigned int j = i + 1; j < 4; j++) {
			const struct image_part *o = &info->part[j];
			uint64_t oend = (uint64_t)o->start_lba + o->sectors;

			if (o->present && p->start_lba < oend && o->start_lba < end)
				add_problem(info,
					    "sda%u (sectors %u-%" PRIu64
					    ") and sda%u (sectors %u-%" PRIu64 ") overlap",
					    p->index, p->start_lba, end - 1, o->index, o->start_lba,
					    oend - 1);
		}
	}
}

int image_inspect(const char *path, struct image_info *info, char *err, size_t errlen)
{
	struct qimg *q;
	uint8_t mbr[MBR_SIZE];
	enum cl_kind k0 = CL_UNALLOC;
	uint64_t host, avail;
	int ret = -1;

	memset(info, 0, sizeof(*info));
	seterr(err, errlen, "%s", "");
	q = qimg_open(path, NULL, 0, "", err, errlen);
	if (!q)
		return -1;
	info->file_size = q->file_size;
	info->version = q->version;
	info->cluster_bits = q->cluster_bits;
	info->cluster_size = q->cs;
	info->virtual_size = q->size;
	info->l1_size = q->l1_size;
	info->l1_offset = q->l1_off;
	info->incompatible_features = q->incompat;
	info->compatible_features = q->compat;
	info->autoclear_features = q->autoclear;
	info->refcount_order = q->refcount_order;
	info->nb_snapshots = q->nb_snapshots;
	info->compression_type = q->compression_type;
	info->dirty = q->incompat & INCOMPAT_DIRTY;
	info->extended_l2 = q->extl2;
	snprintf(info->external_data_file, sizeof(info->external_data_file), "%s", q->data_file);
	snprintf(info->backing_file, sizeof(info->backing_file), "%s", q->backing_name);
	snprintf(info->backing_format, sizeof(info->backing_format), "%s", q->backing_fmt);
	for (struct qimg *b = q->backing; b; b = b->backing)
		info->backing_depth++;

	/* Every layer's tables are checked; the counts are the top image's. */
	for (struct qimg *l = q; l; l = l->backing) {
		if (l->raw)
			continue;
		if (qimg_scan(l, l == q ? info : NULL, err, errlen) < 0) {
			if (l != q) {
				char sub[512];

				snprintf(sub, sizeof(sub), "%s", err);
				seterr(err, errlen, "backing file %s: %s", l->path, sub);
			}
			goto out;
		}
	}
	info->compressed = info->clusters_compressed > 0;

	if (q->size < MBR_SIZE) {
		seterr(err, errlen,
		       "virtual size %" PRIu64 " bytes is smaller than one sector: no MBR",
		       q->size);
		goto out;
	}
	if (qimg_lookup(q, 0, &k0, &host, &avail, err, errlen) < 0)
		goto out;
	info->mbr_compressed = k0 == CL_COMPRESSED;
	if (qimg_read(q, 0, mbr, sizeof(mbr), err, errlen) < 0)
		goto out;
	judge_mbr(info, mbr);
	info->vacm_shaped = info->nproblems == 0;
	ret = 0;
out:
	qimg_free(q);
	return ret;
}

int image_check_warn(const char *path, char *err, size_t errlen, char *warn, size_t warnlen)
{
	struct image_info *info = xmalloc(sizeof(*info));
	char why[512];
	int ret = -1;

	seterr(warn, warnlen, "%s", "");
	if (image_inspect(path, info, why, sizeof(why)) < 0) {
		seterr(err, errlen, "%s: %s", path, why);
		goto out;
	}
	/* judge_mbr() puts the MBR's fatal problems first. */
	if (!info->mbr_signature || !info->boot_code) {
		seterr(err, errlen, "%s: %s", path, info->problems[0]);
		goto out;
	}
	if (!info->vacm_shaped && warn && warnlen) {
		size_t off = (size_t)snprintf(warn, warnlen, "%s: not VACM-shaped: ", path);

		for (unsigned int i = 0; i < info->nproblems && off < warnlen; i++)
			off += (size_t)snprintf(warn + off, warnlen - off, "%s%s", i ? "; " : "",
						info->problems[i]);
	}
	ret = 0;
out:
	free(info);
	return ret;
}

int image_check(const char *path, char *err, size_t errlen)
{
	return image_check_warn(path, err, errlen, NULL, 0);
}

/* ---- base image identity ---- */

int image_identity(const char *path, struct image_id *id)
{
	static const char hex[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t n;

	memset(id, 0, sizeof(*id));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	id->size = (uint64_t)st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	id->ino = st.st_ino;
	id->dev = st.st_dev;
	n = id->size < IMAGE_ID_HASH_LEN ? (size_t)id->size : IMAGE_ID_HASH_LEN;
	buf = xmalloc(n ? n : 1);
	if (n && pread_full(fd, buf, n, 0) < 0)
		return -EIO;
	sha256_init(&ctx);
	sha256_update(&ctx, n, buf);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest); i++) {
		id->sha256[2 * i] = hex[digest[i] >> 4];
		id->sha256[2 * i + 1] = hex[digest[i] & 15];
	}
	id->sha256[64] = 0;
	return 0;
}

int image_id_save(const char *path, const struct image_id *id)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
	_cleanup_free_ char *text =
		xasprintf("# vacmlab: identity of this overlay's base image (lab/image.c)\n"
			  "size=%" PRIu64 "\nmtime_ns=%" PRId64 "\nino=%" PRIu64 "\ndev=%" PRIu64
			  "\nsha256_first_mib=%s\n",
			  id->size, id->mtime_ns, id->ino, id->dev, id->sha256);
	int fd, r;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int image_id_load(const char *path, struct image_id *id)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[256];
	unsigned int seen = 0;

	memset(id, 0, sizeof(*id));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char hash[80];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "size=%" SCNu64, &id->size) == 1)
			seen |= 1;
		else if (sscanf(line, "mtime_ns=%" SCNd64, &id->mtime_ns) == 1)
			seen |= 2;
		else if (sscanf(line, "ino=%" SCNu64, &id->ino) == 1)
			seen |= 4;
		else if (sscanf(line, "dev=%" SCNu64, &id->dev) == 1)
			seen |= 8;
		else if (sscanf(line, "sha256_first_mib=%79s", hash) == 1 && strlen(hash) == 64 &&
			 strspn(hash, "0123456789abcdef") == 64) {
			memcpy(id->sha256, hash, 65);
			seen |= 16;
		} else {
			return -EINVAL;
		}
	}
	return seen == 31 ? 0 : -EINVAL;
}

static void fmt_time_ns(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char d[32];

	if (!localtime_r(&s, &tm) || !strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(d, sizeof(d), "%lld", (long long)s);
	snprintf(buf, len, "%s.%09lld", d, (long long)(ns % 1000000000));
}

int image_id_compare(const struct image_id *saved, const struct image_id *now, char *what,
		     size_t whatlen)
{
	size_t off = 0;
	int changed = 0;

#define SAY(...)                                                                                   \
	do {                                                                                       \
		if (what && off < whatlen)                                                         \
			off += (size_t)snprintf(what + off, whatlen - off, "%s",                   \
						changed ? "; " : "");                              \
		if (what && off < whatlen)                                                         \
			off += (size_t)snprintf(what + off, whatlen - off, __VA_ARGS__);           \
		changed = 1;                                                                       \
	} while (0)

	seterr(what, whatlen, "%s", "");
	if (saved->ino != now->ino || saved->dev != now->dev)
		SAY("the file was replaced (inode %" PRIu64 " on device %" PRIu64
		    ", was inode %" PRIu64 " on device %" PRIu64 ")",
		    now->ino, now->dev, saved->ino, saved->dev);
	if (saved->size != now->size)
		SAY("size changed from %" PRIu64 " to %" PRIu64 " bytes", saved->size, now->size);
	if (strcmp(saved->sha256, now->sha256))
		SAY("content of the first MiB changed");
	if (saved->mtime_ns != now->mtime_ns) {
		char a[64], b[64];

		fmt_time_ns(saved->mtime_ns, a, sizeof(a));
		fmt_time_ns(now->mtime_ns, b, sizeof(b));
		SAY("modification time changed from %s to %s", a, b);
	}
#undef SAY
	return changed;
}

int image_id_verify(const char *image, const char *idfile, char *what, size_t whatlen)
{
	struct image_id saved, now;
	int r;

	r = image_id_load(idfile, &saved);
	if (r < 0) {
		seterr(what, whatlen, "cannot read the base image identity %s: %s", idfile,
		       r == -EINVAL ? "malformed file" : strerror(-r));
		return -1;
	}
	r = image_identity(image, &now);
	if (r < 0) {
		seterr(what, whatlen, "base image %s: %s", image,
		       r == -EINVAL ? "not a regular file" : strerror(-r));
		return -1;
	}
	return image_id_compare(&saved, &now, what, whatlen);
}
