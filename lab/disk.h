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

#include "lab/topo.h"

char *disk_overlay_path(const char *statedir, const char *node);
char *disk_base_id_path(const char *statedir, const char *node);

/* Make sure @node's overlay exists and matches its base image. With
 * @fresh, start from a clean overlay. Returns 0, or -1 with a message. */
int disk_prepare(const char *statedir, const struct node *node, bool fresh, char *err,
		 size_t errlen);
/* Remove @node's overlay and identity. 0 or -1 with a message. */
int disk_reset(const char *statedir, const char *node, char *err, size_t errlen);

#endif
