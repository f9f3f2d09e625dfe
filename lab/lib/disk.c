// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk.c - per-node qcow2 overlays (see disk.h).
 *
 * The overlay names its backing file by absolute path with the backing
 * format given explicitly (-F qcow2): QEMU then never probes the format of
 * a file the user controls. The identity (size, mtime, inode, sha256 of
 * the first MiB) is checked on every `up`: an overlay over a changed base
 * reads a mix of old and new clusters, which is silent corruption.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lib/disk.h"
#include "lab/lib/image.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *disk_overlay_path(const char *statedir, const char *node)
{
	return path_disk(statedir, node, "qcow2");
}

char *disk_base_id_path(const char *statedir, const char *node)
{
	return path_disk(statedir, node, "base");
}

int disk_reset(const char *statedir, const char *node, char *err, size_t errlen)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, node);
	_cleanup_free_ char *id = disk_base_id_path(statedir, node);

	if ((unlink(ov) < 0 && errno != ENOENT) || (unlink(id) < 0 && errno != ENOENT)) {
		snprintf(err, errlen, "removing the disk of node %s (%s): %s", node, ov,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The `vacmlab reset` command line for @node: the lab's name is the state
 * dir's last component when the state dir is the default one. */
static char *reset_hint(const char *statedir, const char *node)
{
	const char *slash = strrchr(statedir, '/');
	const char *lab = slash ? slash + 1 : statedir;
	_cleanup_free_ char *dflt = statedir_lab(lab, NULL);

	if (!strcmp(dflt, statedir))
		return xasprintf("vacmlab reset %s %s", lab, node);
	return xasprintf("vacmlab reset --state %s LAB %s", statedir, node);
}

int disk_prepare(const char *statedir, const struct node *n, bool fresh, char *err, size_t errlen)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, n->name);
	_cleanup_free_ char *idp = disk_base_id_path(statedir, n->name);
	_cleanup_free_ char *qemu_img = NULL;
	struct image_id cur, rec;
	char out[2048], what[512];
	int r;

	if (fresh && disk_reset(statedir, n->name, err, errlen) < 0)
		return -1;
	r = image_identity(n->image, &cur);
	if (r) {
		snprintf(err, errlen, "node %s: reading image %s: %s", n->name, n->image,
			 strerror(-r));
		return -1;
	}
	if (access(ov, F_OK) == 0) {
		_cleanup_free_ char *reset_cmd = reset_hint(statedir, n->name);

		r = image_id_load(idp, &rec);
		if (r) {
			snprintf(err, errlen,
				 "node %s: its disk %s has no readable record of its base image "
				 "(%s): "
				 "run `%s` or `vacmlab up --fresh`",
				 n->name, ov, idp, reset_cmd);
			return -1;
		}
		if (image_id_compare(&rec, &cur, what, sizeof(what))) {
			snprintf(err, errlen,
				 "node %s: base image %s changed since the node's disk was made "
				 "(%s); "
				 "its overlay %s would read as a corrupt mix of old and new data.\n"
				 "  Start the node afresh (its /etc/config and nvlog are lost): "
				 "`%s` or `vacmlab up --fresh TOPO`",
				 n->name, n->image, what, ov, reset_cmd);
			return -1;
		}
		return 0;
	}
	qemu_img = find_program("qemu-img");
	if (!qemu_img) {
		snprintf(err, errlen, "qemu-img not found: install the Debian package qemu-utils");
		return -1;
	}
	_cleanup_free_ char *b = xasprintf("backing_file=%s,backing_fmt=qcow2", n->image);
	char *argv[] = {qemu_img,
			(char *)"create",
			(char *)"-q",
			(char *)"-f",
			(char *)"qcow2",
			(char *)"-o",
			b,
			ov,
			NULL};
	r = run_capture("qemu-img", argv, out, sizeof(out));
	if (r != 0) {
		snprintf(err, errlen, "node %s: creating its disk %s: %s", n->name, ov, out);
		unlink(ov);
		return -1;
	}
	r = image_id_save(idp, &cur);
	if (r) {
		snprintf(err, errlen, "node %s: writing %s: %s", n->name, idp, strerror(-r));
		unlink(ov);
		return -1;
	}
	return 0;
}

char **disk_nodes(const char *statedir)
{
	DIR *d = opendir(statedir);
	struct dirent *de;
	char **v = xcalloc(1, sizeof(char *));
	size_t n = 0;

	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l <= 6 || strcmp(de->d_name + l - 6, ".qcow2") || de->d_name[0] == '.')
			continue;
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n] = xstrdup(de->d_name);
		v[n][l - 6] = '\0';
		v[++n] = NULL;
	}
	if (d)
		closedir(d);
	qsort(v, n, sizeof(char *), cmp_str);
	return v;
}

/* qemu-img with -U (force-share): reading the snapshot table of an overlay
 * that no QEMU holds is safe; if one does (the lab is up), use QMP. */
json_t *disk_snapshots(const char *statedir, const char *node, char *err, size_t errlen)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, node);
	_cleanup_free_ char *qemu_img = find_program("qemu-img");
	_cleanup_free_ char *out = xmalloc(1 << 16);
	json_error_t je;
	json_t *info, *snaps;
	int r;

	if (!qemu_img) {
		snprintf(err, errlen, "qemu-img not found: install the Debian package qemu-utils");
		return NULL;
	}
	if (access(ov, F_OK) < 0) {
		snprintf(err, errlen, "node %s has no disk in %s (never started, or reset)", node,
			 statedir);
		return NULL;
	}
	char *argv[] = {qemu_img,     (char *)"info",  (char *)"-U", (char *)"--output=json",
			(char *)"-f", (char *)"qcow2", ov,	     NULL};
	r = run_capture("qemu-img", argv, out, 1 << 16);
	if (r != 0) {
		snprintf(err, errlen, "node %s: reading %s: %s", node, ov, out);
		return NULL;
	}
	info = json_loads(out, 0, &je);
	if (!info) {
		snprintf(err, errlen, "node %s: qemu-img info %s: bad JSON: %s", node, ov, je.text);
		return NULL;
	}
	snaps = json_object_get(info, "snapshots");
	snaps = snaps ? json_incref(snaps) : json_array();
	json_decref(info);
	return snaps;
}

int disk_snapshot_delete(const char *statedir, const char *node, const char *name, char *err,
			 size_t errlen)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, node);
	_cleanup_free_ char *qemu_img = find_program("qemu-img");
	char out[2048];

	if (!qemu_img) {
		snprintf(err, errlen, "qemu-img not found: install the Debian package qemu-utils");
		return -1;
	}
	char *argv[] = {qemu_img, (char *)"snapshot", (char *)"-q", (char *)"-d", (char *)name, ov,
			NULL};
	if (run_capture("qemu-img", argv, out, sizeof(out)) != 0) {
		snprintf(err, errlen, "node %s: deleting snapshot '%s' from %s: %s", node, name, ov,
			 out);
		return -1;
	}
	return 0;
}

bool snapshot_list_has(json_t *snaps, const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach (snaps, i, s) {
		const char *nm = json_string_value(json_object_get(s, "name"));

		if (nm && !strcmp(nm, name))
			return true;
	}
	return false;
}
