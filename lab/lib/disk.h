/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk.h - per-node disks: a qcow2 overlay per node in the lab's state dir,
 * backed by the (never written) image, with the base image's identity
 * recorded beside it so a changed base is refused, not silently corrupted.
 */
#ifndef VACMLAB_DISK_H
#define VACMLAB_DISK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lab/lib/error.h"
#include "lab/lib/topo.h"

/* QEMU's node name for the overlay (-drive node-name=): QMP snapshot
 * commands name the disk that holds the snapshot and the vmstate by it. */
#define DISK_NODE "disk0"

char *disk_overlay_path(const char *statedir, const char *node);
char *disk_base_id_path(const char *statedir, const char *node);

/* Make sure @node's overlay exists and matches its base image. With
 * @fresh, start from a clean overlay. A new overlay gets the node's
 * config = / nvlog = seeds. Returns 0, or -1 with @e set: EXIT_CONFIG when
 * a seed is at fault (bad input, not the machine), else EXIT_STATE (or
 * the seeding's code). */
int disk_prepare(const char *statedir, const struct node *node, bool fresh, struct vl_err *e);
/* Finish or undo an upgrade or overlay creation that a crash interrupted
 * (see disk.c). 0 or -errno. */
int disk_recover(const char *statedir, const char *node);
/* Write @n's config = / nvlog = seeds into partitions of @disk (a new
 * overlay nothing uses yet). 0 (also when there are none), or -1 with @e
 * set (EXIT_CONFIG: the seed is at fault). */
int disk_seed(const char *statedir, const char *disk, const struct node *n, struct vl_err *e);
/* 1 if @n has a disk whose base image is no longer @n->image (sentence in
 * @what), 0 if not (or no disk), -1 with @e set. */
int disk_base_changed(const char *statedir, const struct node *n, char *what, size_t whatlen,
		      struct vl_err *e);
/**
 * disk_upgrade() - rebuild @node's overlay on @image, keeping its sda3 and
 * sda4 (the new image's must be at least as large) and taking everything
 * else from @image. Built aside and renamed into place; the old overlay is
 * untouched until the new one is complete. Internal snapshots of the old
 * overlay (states of the old firmware) are not carried over.
 */
int disk_upgrade(const char *statedir, const char *node, const char *image, struct vl_err *e);
/* NODE.firmware: the firmware identity recorded when the disk was made. */
char *disk_firmware_path(const char *statedir, const char *node);

/* Remove @node's overlay and identity. 0 or -1 with @e set (EXIT_ENV). */
int disk_reset(const char *statedir, const char *node, struct vl_err *e);

/* Names of the nodes that have a disk in @statedir (NODE.qcow2), sorted,
 * NULL-terminated, malloc'd (free with strv_free). */
char **disk_nodes(const char *statedir);

/* Snapshots stored in @node's overlay, read with qemu-img (the overlay must
 * not be in use: for a running node ask QEMU). A JSON array shaped like
 * QMP's ImageInfo.snapshots (name, id, vm-state-size, date-sec, ...), or
 * NULL with @e set (EXIT_STATE). */
json_t *disk_snapshots(const char *statedir, const char *node, struct vl_err *e);
/* Delete snapshot @name from a node's overlay offline. 0, or -1 with @e
 * set (EXIT_CHILD: qemu-img failed). */
int disk_snapshot_delete(const char *statedir, const char *node, const char *name,
			 struct vl_err *e);
/* true if the array @snaps (as above) holds a snapshot named @name. */
bool snapshot_list_has(json_t *snaps, const char *name);

#endif
