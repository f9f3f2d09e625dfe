/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2.h - a read-only QCOW2 v2/v3 reader (header, L1/L2 tables, zlib
 * clusters, backing chain) for files users download: every size and offset
 * read from the file is bounded before use, and each failure is one specific
 * message. image.c builds the VACM check on it.
 */
#ifndef VACMLAB_QCOW2_H
#define VACMLAB_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct vl_err;

/* Files in a backing chain below the top image, at most. */
#define QCOW2_MAX_BACKING_DEPTH 8

#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)

enum qcow2_kind {
	QCOW2_UNALLOC,
	QCOW2_ZERO,
	QCOW2_DATA,
	QCOW2_COMPRESSED,
};

/* What a chain may name outside its top file: a backing file or an external
 * data file. QEMU follows both when it boots the image, so the guest reads
 * whatever file they name. */
enum qcow2_refs {
	QCOW2_REFS_ANY,	    /* follow both (names that are files: see below) */
	QCOW2_REFS_NONE,    /* a user's base image: both are refused, named */
	QCOW2_REFS_OVERLAY, /* vacmlab's own overlay: the top layer's backing
			     * file is followed, and judged as REFS_NONE */
};

/*
 * One layer of a chain: a QCOW2 file, or a raw backing file. The header
 * fields are for callers to read; the rest is the reader's own state.
 */
struct qcow2 {
	/* Header, as read (host byte order). */
	uint64_t file_size;
	bool raw; /* a raw backing file: only file_size and size are set */
	uint32_t version;
	uint32_t cluster_bits;
	uint64_t cs;   /* cluster size */
	uint64_t size; /* virtual size */
	uint32_t hdr_len;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint64_t refcount_off;
	uint32_t refcount_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_off;
	uint8_t compression_type; /* 0 zlib, 1 zstd */
	bool extl2;
	uint32_t l1_size; /* as in the header */
	uint64_t l1_off;
	char backing_name[1024]; /* as written in the header, "" if none */
	char backing_fmt[32];	 /* from the header extension, "" if none */
	char data_file[1024];	 /* external data file, "" if none */
	char *path;
	struct qcow2 *backing; /* NULL at the bottom */

	/* Reader state. */
	int fd;			/* -1 for an image in memory */
	int data_fd;		/* external data file, or == fd */
	bool ext_data;		/* guest clusters live in data_fd */
	const uint8_t *mem;	/* the image, when read from memory */
	uint64_t dev, ino;	/* to detect a backing chain that loops */
	uint64_t data_size;	/* size of the file guest clusters live in */
	uint32_t l2_entry_size; /* 8, or 16 with extended L2 entries */
	uint64_t l2_entries;
	uint32_t l1_used;	    /* entries read: those covering the virtual size */
	uint64_t *l1;		    /* host byte order */
	uint8_t *l2;		    /* one cached L2 table */
	uint64_t l2_cached;	    /* its host offset, 0 if none */
	uint8_t *cbuf;		    /* compressed input, up to 2 clusters */
	uint8_t *dbuf;		    /* one inflated cluster */
	uint64_t dbuf_for;	    /* descriptor it was inflated from, 0 if none */
	const struct qcow2 *parent; /* the layer above, while opening */
	enum qcow2_refs refs;	    /* what this layer may name */
	bool *refused;		    /* set when a name was refused by @refs */
};

/* Clusters of one layer, from a scan of every L2 table. */
struct qcow2_counts {
	uint64_t data, zero, compressed;
};

/**
 * qcow2_open() - open a QCOW2 image and its whole backing chain
 * @path:	the image; it must be a regular file or a block device (a FIFO,
 *		a character device or a directory is refused without reading)
 * @e:		the reason on failure, EXIT_ENV (no path prefix for the top image;
 *		"backing file PATH: ..." for a layer below)
 *
 * Reads the header, its extensions and the L1 table of each layer. Backing
 * names are resolved relative to the image's directory, as QEMU does; a
 * backing file that is not QCOW2 and has no format named is raw. Returns
 * the top layer (free with qcow2_close()), or NULL.
 */
struct qcow2 *qcow2_open(const char *path, struct vl_err *err);

/**
 * qcow2_open_refs() - qcow2_open() under a rule for what the chain names
 * @refs:	see enum qcow2_refs; qcow2_open() is QCOW2_REFS_ANY
 * @refused:	if non-NULL, set to whether a failure was such a refusal
 *
 * Whatever @refs says, a backing or data file name that QEMU would read as
 * a protocol or JSON ("json:{...}", "nbd:...", any "WORD:" before the
 * first '/') is refused: vacmlab cannot see what it reaches. A refused
 * reference is refused before anything of it is opened, and the message
 * names it as written and as resolved.
 */
struct qcow2 *qcow2_open_refs(const char *path, enum qcow2_refs refs, bool *refused,
			      struct vl_err *err);

/**
 * qcow2_open_mem() - the same for an image held in memory (fuzzing, tests)
 * @buf, @len:	the image; it must outlive the returned object
 *
 * Nothing is opened on the filesystem: a backing file is named but not
 * followed (the layer reads as if it had none), and an external data file
 * is refused.
 */
struct qcow2 *qcow2_open_mem(const void *buf, size_t len, struct vl_err *err);
/* The same under a rule for what the image names (qcow2_open_refs()). */
struct qcow2 *qcow2_open_mem_refs(const void *buf, size_t len, enum qcow2_refs refs,
				  struct vl_err *err);

void qcow2_close(struct qcow2 *q);

/**
 * qcow2_scan() - walk every L2 table of every layer of the chain
 * @counts:	filled with the top layer's clusters (may be NULL)
 *
 * Finds any table or cluster beyond the end of its file. The walk stops
 * after 256 MiB of L2 tables per layer (the counts are then a lower bound).
 * 0, or -1 with the reason.
 */
int qcow2_scan(struct qcow2 *q, struct qcow2_counts *counts, struct vl_err *err);

/* What guest offset @goff of the top layer maps to. 0, or -1 + reason. */
int qcow2_kind_at(struct qcow2 *q, uint64_t goff, enum qcow2_kind *kind, struct vl_err *err);

/* Read guest bytes [@goff, @goff+@len) through the chain (beyond the virtual
 * size reads as zeros). 0, or -1 with the reason. */
int qcow2_read(struct qcow2 *q, uint64_t goff, void *buf, size_t len, struct vl_err *err);

/**
 * qcow2_open_file() - open a disk image file read-only, never blocking
 * @sizep:	its size (a block device's by lseek)
 * @stp:	its stat, if non-NULL
 *
 * O_NONBLOCK, then fstat before any read: a FIFO, a socket, a character
 * device (such as /dev/zero) or a directory is refused with a message saying
 * which. Returns the fd (O_CLOEXEC), or -1 with the reason.
 */
int qcow2_open_file(const char *path, uint64_t *sizep, struct stat *stp, struct vl_err *err);

#endif
