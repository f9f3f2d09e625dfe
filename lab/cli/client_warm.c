// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_warm.c - warm starts for `up --warm` and `run --warm` (the cache
 * itself: lab/lib/warm.c). Before the fork: look the lab up in the cache
 * and, on a hit, give every node a copy of its warm disk and start it
 * from the snapshot; on a miss, say in one line why and boot cold from
 * clean disks. Once a cold lab is ready: save the snapshot on every node
 * at once, pause them, copy the overlays and leases into the cache, run
 * them again.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/lib/disk.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"
#include "lab/lib/warm.h"

int warm_check_disks(const struct topo *t, const char *statedir)
{
	_cleanup_free_ char *mark = path_in(statedir, LF_WARM);

	if (access(mark, F_OK) == 0)
		return EXIT_OK;
	for (int i = 0; i < t->n_nodes; i++) {
		_cleanup_free_ char *d = disk_overlay_path(statedir, t->nodes[i].name);

		if (access(d, F_OK) < 0)
			continue;
		msg_err("lab %s has disks of its own (%s): a warm start would replace them with "
			"the snapshot's. Keep them and warm-start another lab (--name NAME), or "
			"drop them (up --warm --fresh, or `vacmlab reset %s`)",
			t->name, d, t->name);
		return EXIT_STATE;
	}
	return EXIT_OK;
}

int warm_up_prepare(struct warm_up *w, const struct topo *t, const char *qemu, bool kvm,
		    const char *statedir, bool quiet)
{
	struct vl_err e = {0};

	w->hit = false;
	w->qemu = qemu;
	w->kvm = kvm;
	if (warm_key_make(t, qemu, kvm, &w->key, &e) < 0) {
		vl_wrap(&e, "warm start");
		return vl_report(&e); /* EXIT_ENV */
	}
	if (!warm_have(&w->key)) {
		_cleanup_free_ char *why = warm_why_cold(&w->key, t);
		_cleanup_free_ char *mark = path_in(statedir, LF_WARM);

		fprintf(stderr, "vacmlab: booting cold: %s\n", why);
		/* Its clean disks are a warm lab's, whether or not the save
		 * succeeds: the next warm start may replace them. */
		write_file(mark, "cold\n");
		return EXIT_OK;
	}
	if (warm_install(&w->key, t, statedir, &e) < 0) {
		msg_warn("warm start: %s; booting cold", e.msg);
		return EXIT_OK;
	}
	w->hit = true;
	w->leases = path_in(statedir, LF_WARM_LEASES);
	if (access(w->leases, R_OK) < 0) {
		free(w->leases);
		w->leases = NULL;
	}
	fprintf(stderr, "vacmlab: warm start from snapshot %.12s\n", w->key.hash);
	return EXIT_OK;
}

/* The key was made with the accelerator `up` decided. Under accel = auto a
 * KVM internal error boots the nodes again under TCG, and the next `up`
 * goes straight to TCG (the fact is remembered): the snapshot is of TCG
 * guests, so it is keyed as TCG, or the next run would boot cold ("argv
 * changed"). Nodes under both: saved under neither. 0 or -1 (warned). */
static int rekey_for_accel(struct warm_up *w, const char *lab, const struct topo *t)
{
	struct vl_err e = {0};
	json_t *st = ctl_status(lab, &e), *o;
	int n_kvm = 0, n = 0;
	size_t i;

	if (!st) {
		msg_warn("saving the warm snapshot: %s", e.msg);
		return -1;
	}
	json_array_foreach (json_object_get(st, SK_NODES), i, o) {
		n++;
		n_kvm += !strcmp(json_string_value(json_object_get(o, SK_ACCEL)) ?: "", SKV_KVM);
	}
	json_decref(st);
	if (n_kvm == n && w->kvm)
		return 0;
	if (n_kvm == 0 && !w->kvm)
		return 0;
	if (n_kvm) {
		msg_warn("not saving the warm snapshot: %d of the %d nodes run under KVM, the "
			 "others under TCG (a KVM fallback)",
			 n_kvm, n);
		return -1;
	}
	warm_key_free(&w->key);
	if (warm_key_make(t, w->qemu, false, &w->key, &e) < 0) {
		msg_warn("saving the warm snapshot: %s", e.msg);
		return -1;
	}
	w->kvm = false;
	return 0;
}

int warm_up_save(struct warm_up *w, const char *lab, const struct topo *t, const char *rundir,
		 const char *statedir)
{
	const char **nodes = xcalloc((size_t)t->n_nodes + 1, sizeof(char *));
	_cleanup_free_ char *lsrc = path_dns(rundir, "leases");
	_cleanup_free_ char *ldst = NULL;
	struct vl_err e = {0};
	char *tmp = NULL;
	int lock = -1, rc;
	long long t0 = now_ms();

	for (int i = 0; i < t->n_nodes; i++)
		nodes[i] = t->nodes[i].name;
	if (rekey_for_accel(w, lab, t) < 0) {
		free(nodes);
		return -1;
	}
	if (warm_store_begin(&w->key, &tmp, &lock, &e) < 0) {
		free(nodes);
		if (vl_failed(&e)) {
			msg_warn("saving the warm snapshot: %s", e.msg);
			return -1;
		}
		msg_info("another lab is saving this warm snapshot; not saving it twice");
		return 0;
	}
	rc = snap_jobs(lab, nodes, t->n_nodes, "snapshot-save", WARM_SNAPSHOT,
		       "saving the warm snapshot", 600000);
	if (rc) {
		warm_store_abort(tmp, lock);
		free(nodes);
		return -1;
	}
	/* QMP stop drains and flushes every disk: the overlays are
	 * consistent files until cont. */
	for (int i = 0; i < t->n_nodes && !rc; i++)
		if (ctl_qmp(lab, nodes[i], "stop", NULL, NULL, 30000, &e) < 0) {
			msg_warn("saving the warm snapshot: pausing node %s: %s", nodes[i], e.msg);
			rc = -1;
		}
	for (int i = 0; i < t->n_nodes && !rc; i++) {
		_cleanup_free_ char *src = disk_overlay_path(statedir, nodes[i]);
		_cleanup_free_ char *dst = path_disk(tmp, nodes[i], "qcow2");
		int r = warm_copy(src, dst);

		if (r) {
			msg_warn("saving the warm snapshot: copying %s: %s", src, strerror(-r));
			rc = -1;
		}
	}
	if (!rc) {
		_cleanup_free_ char *d = path_in(tmp, LF_WARM_ENTRY_LEASES);

		warm_copy(lsrc, d); /* no LAN, no leases */
	}
	for (int i = 0; i < t->n_nodes; i++) {
		vl_clear(&e);
		if (ctl_qmp(lab, nodes[i], "cont", NULL, NULL, 30000, &e) < 0)
			msg_warn("resuming node %s: %s", nodes[i], e.msg);
	}
	vl_clear(&e);
	free(nodes);
	if (rc) {
		warm_store_abort(tmp, lock);
		return -1;
	}
	if (warm_store_commit(&w->key, t, tmp, lock, &e) < 0) {
		msg_warn("saving the warm snapshot: %s", e.msg);
		return -1;
	}
	/* This lab can be restored to it too (`vacmlab restore`). */
	ldst = path_in(statedir, LF_WARM_LEASES);
	warm_copy(lsrc, ldst);
	{
		_cleanup_free_ char *wp = path_in(statedir, LF_WARM);
		_cleanup_free_ char *wt = xasprintf("%s\n", w->key.hash);

		write_file(wp, wt);
	}
	fprintf(stderr, "vacmlab: saved the warm snapshot %.12s in %.1f s\n", w->key.hash,
		(double)(now_ms() - t0) / 1000.0);
	return 0;
}
