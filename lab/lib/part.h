/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * part.h - the appliance's partitions inside a node's qcow2 disk, rootless:
 * locate them (MBR), read one out, write one in, build an ext2/3/4 image
 * from a directory or tar (seeding, import), extract its files (export),
 * copy sda3/sda4 from one disk into another (upgrade), take a point-in-time
 * copy of a running node's disk over QMP, and the firmware identity of sda2.
 * The theory of operation is at the top of part.c; the QMP copy is in
 * part_qmp.c, the firmware identity in part_fw.c.
 */
#ifndef VACMLAB_PART_H
#define VACMLAB_PART_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <stddef.h>

#include "lab/lib/error.h"

#define PART_FIRMWARE 2
#define PART_CONFIG 3
#define PART_NVLOG 4

/* Where partition @index (1..4) lies in the guest disk. */
struct part_loc {
	unsigned int index;
	uint64_t offset, size; /* bytes */
};

/* The filesystem found at a partition's start. */
struct part_fs {
	char type[8];	/* "ext2", "ext3", "ext4" */
	char label[17]; /* volume label, "" if none */
};

/* Run @argv (argv[0] a program name looked up in PATH) to completion;
 * on failure @e says "@what: PROGRAM OUTPUT", or which package @pkg to
 * install when the program is missing. 0 or -1. */
int part_run(char **argv, const char *pkg, const char *what, struct vl_err *e);
/* Bytes [@off, @off+@size) of the guest disk @disk into the new raw file
 * @out (qemu-img convert over the raw driver's offset/size). @share:
 * without QEMU's image lock (the disk may be in use, read-only peek). */
int part_read_range(const char *disk, uint64_t off, uint64_t size, const char *out, bool share,
		    struct vl_err *e);

/* The name of partition @index for messages: "sda3 (/etc/config)". */
const char *part_name(unsigned int index);

/* Locate partition @index of @disk (a qcow2 file; backing chain followed)
 * from its MBR. 0, or -1 with @e set. */
int part_locate(const char *disk, unsigned int index, struct part_loc *loc, struct vl_err *e);

/* Find the filesystem of partition @loc of @disk from its superblock;
 * anything but ext2/3/4 is an error naming what was found. */
int part_probe(const char *disk, const struct part_loc *loc, const char *workdir,
	       struct part_fs *fs, struct vl_err *e);

/* A private work directory under @parent (mkdtemp), for rm_rf when done. */
char *part_workdir(const char *parent, struct vl_err *e);

/**
 * part_seed() - replace partition @index of qcow2 @disk with a fresh
 * filesystem holding exactly the tree at @src (a directory, .tar or .tar.gz)
 * @workdir:	private scratch space (same file system as @disk preferably)
 *
 * Owners are root, modes and mtimes those of the tar or the files. The
 * filesystem type and label are those the partition has now. Checks
 * everything (the source, the fit) before @disk is written. The write
 * itself is not atomic: callers write into a copy or a disk not yet in use.
 */
int part_seed(const char *disk, unsigned int index, const char *src, const char *workdir,
	      struct vl_err *e);

/**
 * part_export() - the files of partition @index of @disk to @out: a
 * directory (created; must be empty if it exists), FILE.tar, FILE.tar.gz
 * (FILE.tgz), or "-" (a tar on stdout). The partition is read into a
 * private copy and its journal replayed there (e2fsck), never in @disk.
 */
int part_export(const char *disk, unsigned int index, const char *out, const char *workdir,
		struct vl_err *e);

/**
 * part_copy() - copy partition @index of qcow2 @from into the same
 * partition of qcow2 @to (an upgrade). The partition in @to must be at
 * least as large; a larger one gets the filesystem grown (resize2fs).
 */
int part_copy(const char *from, const char *to, unsigned int index, const char *workdir,
	      struct vl_err *e);

/* How QMP commands reach the node's QEMU: @exec runs @cmd with @args
 * (stolen; may be NULL), 0 with *@ret (if non-NULL) set, or -1 with @e set
 * (QEMU's message). The CLI's goes through the lab's supervisor. */
struct part_qmp {
	int (*exec)(void *ctx, const char *cmd, json_t *args, json_t **ret, struct vl_err *e);
	void *ctx;
};

/**
 * part_backup_running() - a point-in-time copy of a running node's disk
 * @t:		the QMP transport to the node's QEMU
 * @node_name:	QEMU's node name of the disk (DISK_NODE)
 * @copy:	the qcow2 to create, with the disk's size and backing file
 *
 * QMP query-named-block-nodes (size, backing file), blockdev-add of
 * @copy, blockdev-backup sync=top (copy-before-write: what the overlay
 * held at the job's start, whatever the guest writes meanwhile), wait for
 * the job to conclude, blockdev-del. The one place the QMP sequence lives,
 * so it can move behind the supervisor later (part_qmp.c).
 */
int part_backup_running(const struct part_qmp *t, const char *node_name, const char *copy,
			int timeout_ms, struct vl_err *e);

/* Firmware identity: partition sda2 of an image. */
struct part_firmware {
	uint64_t size;	  /* partition size in bytes */
	char sha256[65];  /* of the whole partition */
	char version[64]; /* "" when no version string is found */
};

/* The superblock at byte 1024 of a partition, as read into @sb (1024 bytes):
 * ext2/3/4 and its label (quotable), or an error naming @where. No I/O. */
int part_sb_parse(const uint8_t *sb, const char *where, struct part_fs *fs, struct vl_err *e);
/* A version string in the firmware blob @b: "version" (any case), then '=',
 * ':' or blanks, then a token that starts with a digit; "" if none. No I/O. */
void part_fw_version(const uint8_t *b, size_t n, char *out, size_t outlen);

/* Read sda2 of @disk (into a temp file in @workdir) and identify it. */
int part_firmware_id(const char *disk, const char *workdir, struct part_firmware *fw,
		     struct vl_err *e);
/* "version 2, sha256 1234abcd..." or "no version string, sha256 ...". */
void part_firmware_str(const struct part_firmware *fw, char *buf, size_t len);

/* Copy a regular file keeping its holes (SEEK_DATA/SEEK_HOLE), fsync it.
 * @dst is created (O_EXCL). 0 or -1 with @e set. */
int part_copy_file(const char *src, const char *dst, struct vl_err *e);

/* ---- shared by part.c and part_export.c */

/* The bound on a tool's captured output. */
#define PART_TOOL_OUT 8192
/* Run @argv (a program of Debian package @pkg), its stdout and stderr in
 * @out: its exit status (>= 0), or -1 with @e set when it cannot run. */
int part_tool_out(char **argv, const char *pkg, char *out, size_t outlen, struct vl_err *e);
/* Read partition @loc of @disk into the raw file @raw and replay its
 * journal there (the private copy only). 0 or -1 with @e set. */
int part_read_fsck(const char *disk, const struct part_loc *loc, const char *raw, struct vl_err *e);

#endif
