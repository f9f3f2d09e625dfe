/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * warm.h - the warm-start cache (`up --warm`, `run --warm`): one snapshot
 * of every node of a lab, keyed by a hash of what makes it "the same lab",
 * shared by every lab brought up from the same topology.
 */
#ifndef VACMLAB_WARM_H
#define VACMLAB_WARM_H

#include <stdbool.h>
#include <stddef.h>

#include "lab/lib/error.h"
#include "lab/lib/topo.h"

/* The snapshot tag warm nodes are saved under and restored from. */
#define WARM_SNAPSHOT "vacmlab-warm"

/* What makes two labs "the same": one line per part, "PART sha256", and
 * the hash of all of them. */
struct warm_key {
	char hash[65];
	char *lines; /* "topology HEX\nqemu HEX\nimage NODE HEX\nargv NODE HEX\n" */
};

/* Compute the key of topology @t (its file's content, its images by
 * identity, the QEMU binary @qemu and every node's command line with the
 * per-lab parts left out). 0, or -1 with @err set. */
int warm_key_make(const struct topo *t, const char *qemu, bool kvm, struct warm_key *k,
		  struct vl_err *err);
void warm_key_free(struct warm_key *k);

/* Its paths: path_warm_*() in lab/lib/rundir.h. */
/* true if a complete entry for @k exists. */
bool warm_have(const struct warm_key *k);
/* Why @k has no entry: one sentence (malloc'd), comparing with the key
 * last saved for the same topology file. */
char *warm_why_cold(const struct warm_key *k, const struct topo *t);

/* Copy the entry's NODE.qcow2 of every node of @t into @statedir (the
 * nodes' overlays) and its leases to STATEDIR/warm.leases; records the
 * hash in STATEDIR/warm. 0, or -1 with @err set. */
int warm_install(const struct warm_key *k, const struct topo *t, const char *statedir,
		 struct vl_err *err);

/* Saving an entry: warm_store_begin() takes the entry's lock (-1 with @err
 * unset when another lab is saving it right now: nothing to do) and
 * makes a private temporary dir, returned in *@tmp. The caller copies the
 * files into it (warm_copy), then warm_store_commit() renames it into
 * place atomically (a lost race is not an error) and drops the lock. */
int warm_store_begin(const struct warm_key *k, char **tmp, int *lock_fd, struct vl_err *err);
int warm_store_commit(const struct warm_key *k, const struct topo *t, char *tmp, int lock_fd,
		      struct vl_err *err);
void warm_store_abort(char *tmp, int lock_fd);

/* Copy file @src to @dst through a temporary file and rename: @dst is
 * either absent or complete. 0 or -errno. */
int warm_copy(const char *src, const char *dst);

/* Forget the warm entry a lab's state dir points at (rm, reset). */
void warm_forget(const char *statedir);

#endif
