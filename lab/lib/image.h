/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * image.h - inspect an appliance disk (image.bin: QCOW2 holding an MBR with
 * four partitions) without booting it, and record the identity of a base
 * image so that per-node overlays notice when their base changed.
 */
#ifndef VACMLAB_IMAGE_H
#define VACMLAB_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vl_err;

#define IMAGE_MAX_PROBLEMS 16
#define IMAGE_PROBLEM_LEN 200

/* One primary MBR partition entry (index 1..4 = sda1..sda4). */
struct image_part {
	unsigned int index;
	bool present;	   /* type != 0 and sectors != 0 */
	bool boot;	   /* boot flag 0x80 */
	uint8_t boot_byte; /* raw status byte (0x00 or 0x80 when valid) */
	uint8_t type;
	uint32_t start_lba;
	uint32_t sectors;
	const char *type_name; /* static string: "FAT32 (LBA)", "Linux", ... */
	const char *role;      /* static string: VACM role of this slot */
};

struct image_info {
	uint64_t file_size;

	/* QCOW2 header */
	uint32_t version; /* 2 or 3 */
	uint32_t cluster_bits;
	uint64_t cluster_size;
	uint64_t virtual_size;
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t incompatible_features;
	uint64_t compatible_features;
	uint64_t autoclear_features;
	uint32_t refcount_order;
	uint32_t nb_snapshots;
	uint8_t compression_type;      /* 0 zlib, 1 zstd */
	bool dirty;		       /* incompatible bit 0 */
	bool extended_l2;	       /* incompatible bit 4 */
	char external_data_file[1024]; /* "" when none */
	char backing_file[1024];       /* as written in the header, "" if none */
	char backing_format[32];       /* from the header extension, "" if none */
	int backing_depth;	       /* 0: no backing file; 1: one level, ... */

	/* Clusters of the top image, from a scan of every L2 table. */
	uint64_t clusters_data;
	uint64_t clusters_zero;
	uint64_t clusters_compressed;
	bool compressed;     /* clusters_compressed > 0 */
	bool mbr_compressed; /* guest cluster 0 is compressed */

	/* MBR, read through the QCOW2 mapping (and the backing chain) */
	bool mbr_signature; /* 55 AA at bytes 510-511 */
	uint8_t mbr_sig_bytes[2];
	uint32_t disk_signature;	/* bytes 0x1B8-0x1BB, little endian */
	bool boot_code;			/* any non-zero byte in 0..0x1B7 */
	unsigned int boot_code_nonzero; /* how many of those 440 bytes */
	struct image_part part[4];
	unsigned int nparts; /* present partitions */

	/* Verdict */
	bool vacm_shaped;
	unsigned int nproblems;
	char problems[IMAGE_MAX_PROBLEMS][IMAGE_PROBLEM_LEN];
};

/*
 * A base image that names a backing file or an external data file would
 * show that file (any file the user can read) to the guest: QEMU follows
 * both. image_inspect(), image_check*() and image_refs_check() refuse such
 * an image, naming the file, unless the user set VACMLAB_ALLOW_BACKING=1
 * in the environment (never from a topology file: a topology from a
 * stranger must not be able to allow it). JSON and protocol names
 * ("json:{...}", "nbd:...") are refused even then.
 */
#define IMAGE_ALLOW_BACKING_ENV "VACMLAB_ALLOW_BACKING"
/* True when the user allowed backing and data files (the variable is "1"
 * or "yes"). */
bool image_backing_allowed(void);

/**
 * image_refs_check() - refuse a base image that names another file
 * @path:	the base image
 * @e:		"PATH: names a backing file ..." (EXIT_ENV)
 *
 * Reads the header of a QCOW2 @path only: 0 for anything that names no
 * file (including a file that is not QCOW2 at all, which image_check()
 * judges), -1 for a refused backing or data file. For `check`.
 */
int image_refs_check(const char *path, struct vl_err *e);

/**
 * image_inspect() - read an image's QCOW2 header, L1/L2 tables and MBR
 * @path:	the image file
 * @info:	filled in (zeroed first)
 * @e:		a specific message (EXIT_ENV) when the image cannot be read
 *
 * @path is a user's base image: a backing or data file is refused (above).
 *
 * Returns 0 when the QCOW2 structure was read: the verdict is in
 * @info->vacm_shaped and every difference from a VACM image is one line in
 * @info->problems. Returns -1 when the file is missing, empty, not QCOW2,
 * truncated or corrupt, with the reason in @err (no path prefix).
 */
int image_inspect(const char *path, struct image_info *info, struct vl_err *e);
/* The same for a node's disk, vacmlab's own overlay: its backing file (the
 * base image) is followed and judged as a base image. */
int image_inspect_disk(const char *path, struct image_info *info, struct vl_err *e);
/* The same for an image held in memory (the fuzzer's entry point): a backing
 * file is named but not followed, an external data file is refused. */
int image_inspect_mem(const void *buf, size_t len, struct image_info *info, struct vl_err *e);

/**
 * image_check() - the check `up` runs on every image before starting
 * @path:	the image file
 * @e:		"PATH: message" (EXIT_ENV) when the check fails
 *
 * Returns 0 if the image looks bootable (a readable QCOW2 whose MBR has the
 * 55AA signature and boot code), -1 otherwise. A bootable image that is not
 * VACM-shaped passes; image_check_warn() also returns why it is not.
 */
int image_check(const char *path, struct vl_err *e);
/* As image_check(); @warn gets "PATH: not VACM-shaped: ..." or "". */
int image_check_warn(const char *path, struct vl_err *e, char *warn, size_t warnlen);

/* Identity of a base image, recorded next to each per-node overlay. */
struct image_id {
	uint64_t size;
	int64_t mtime_ns;
	uint64_t ino, dev;
	char sha256[65]; /* hex sha256 of the first MiB, then le64(size) */
};

/* Fill @id from @path. 0, or -errno. */
int image_identity(const char *path, struct image_id *id);
/* Write @id to @path (key=value lines, atomically via rename). 0 or -errno. */
int image_id_save(const char *path, const struct image_id *id);
/* Read @id from @path. 0, -errno, or -EINVAL for a malformed file. */
int image_id_load(const char *path, struct image_id *id);
/**
 * image_id_compare() - what changed between a recorded and a current identity
 * Returns 0 when identical; 1 when something changed, with a sentence in
 * @what such as "size changed from 1048576 to 2097152 bytes; content of the
 * first MiB changed".
 */
int image_id_compare(const struct image_id *saved, const struct image_id *now, char *what,
		     size_t whatlen);
/**
 * image_id_verify() - compare @image with the identity saved in @idfile
 * Returns 0 unchanged, 1 changed (sentence in @what), -1 with @e set
 * (EXIT_ENV).
 */
int image_id_verify(const char *image, const char *idfile, char *what, size_t whatlen,
		    struct vl_err *e);

#endif
