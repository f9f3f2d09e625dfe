// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk.c - per-node qcow2 overlays (see disk.h).
 *
 * The overlay names its backing file by absolute path with the backing
 * format given explicitly (-F qcow2): QEMU then never probes the format of
 * a file the user controls. The identity (size, mtime, inode, sha256 of
 * the first MiB) is checked on every `up`: an overlay over a changed base
 * reads a mix of old and new clusters, which is silent corruption.
 *
 * DOC: New overlays and upgrades are built aside, then renamed
 *
 * A new overlay (first boot, with its sda3/sda4 seeded) and an upgraded
 * one (on the new base, with sda3/sda4 copied from the old overlay) are
 * made as NODE.qcow2.new and only renamed over NODE.qcow2 once complete
 * and fsynced, so a crash at any point leaves the old overlay (or none)
 * usable. An upgrade writes NODE.base.new before the rename and renames
 * it over NODE.base after; disk_recover(), run before every use, finishes
 * or undoes a half-done one from what is on disk:
 *   NODE.qcow2.new present           -> incomplete: delete the .new files
 *   only NODE.base.new present       -> the overlay was renamed: rename
 *                                       NODE.base.new over NODE.base
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/disk.h"
#include "lab/lib/image.h"
#include "lab/lib/part.h"
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

char *disk_firmware_path(const char *statedir, const char *node)
{
	return xasprintf("%s/%s.firmware", statedir, node);
}

int disk_recover(const char *statedir, const char *node)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, node);
	_cleanup_free_ char *id = disk_base_id_path(statedir, node);
	_cleanup_free_ char *ovn = xasprintf("%s.new", ov);
	_cleanup_free_ char *idn = xasprintf("%s.new", id);
	_cleanup_free_ char *idt = xasprintf("%s.tmp", idn);

	unlink(idt);
	if (access(ovn, F_OK) == 0) {
		msg_debug("node %s: removing an incomplete new disk %s", node, ovn);
		unlink(ovn);
		unlink(idn);
		return 0;
	}
	if (access(idn, F_OK) == 0) {
		if (access(ov, F_OK) == 0) {
			msg_debug("node %s: finishing an upgrade (%s)", node, idn);
			return rename(idn, id) < 0 ? -errno : 0;
		}
		unlink(idn);
	}
	return 0;
}

/* Record the firmware (sda2) of @image for @node: `status` shows it. */
static void firmware_record(const char *statedir, const char *node, const char *image)
{
	/* Nodes of a lab mostly share one image: identify it once. */
	static struct {
		char *path;
		dev_t dev;
		ino_t ino;
		struct timespec mtime;
		struct part_firmware fw;
	} last;
	_cleanup_free_ char *path = disk_firmware_path(statedir, node);
	_cleanup_free_ char *wd = NULL, *text = NULL;
	struct part_firmware fw;
	struct vl_err e = {0};
	struct stat st;

	if (stat(image, &st) < 0) {
		unlink(path);
		return;
	}
	if (last.path && !strcmp(last.path, image) && last.dev == st.st_dev &&
	    last.ino == st.st_ino && last.mtime.tv_sec == st.st_mtim.tv_sec &&
	    last.mtime.tv_nsec == st.st_mtim.tv_nsec) {
		fw = last.fw;
	} else {
		wd = part_workdir(statedir, &e);
		if (!wd || part_firmware_id(image, wd, &fw, &e) < 0) {
			msg_debug("node %s: no firmware identity: %s", node, e.msg);
			unlink(path);
			if (wd)
				rm_rf(wd);
			return;
		}
		rm_rf(wd);
		free(last.path);
		last.path = xstrdup(image);
		last.dev = st.st_dev;
		last.ino = st.st_ino;
		last.mtime = st.st_mtim;
		last.fw = fw;
	}
	text = xasprintf("image=%s\nversion=%s\nsha256=%s\nsize=%llu\n", image, fw.version,
			 fw.sha256, (unsigned long long)fw.size);
	write_file(path, text);
}

int disk_reset(const char *statedir, const char *node, struct vl_err *e)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, node);
	_cleanup_free_ char *id = disk_base_id_path(statedir, node);
	_cleanup_free_ char *fwp = disk_firmware_path(statedir, node);

	disk_recover(statedir, node);
	unlink(fwp);
	if ((unlink(ov) < 0 && errno != ENOENT) || (unlink(id) < 0 && errno != ENOENT))
		return vl_fail_errno(e, EXIT_ENV, errno, "removing the disk of node %s (%s)", node,
				     ov);
	return 0;
}

/* The `vacmlab reset` command line for @node: the lab's name is the state
 * dir's last component when the state dir is the default one. */
static char *reset_hint(const char *statedir, const char *node)
{
	const char *slash = strrchr(statedir, '/');
	const char *lab = slash ? slash + 1 : statedir;
	_cleanup_free_ char *dflt = statedir_lab(lab, NULL, NULL);

	if (dflt && !strcmp(dflt, statedir))
		return xasprintf("vacmlab reset %s %s", lab, node);
	return xasprintf("vacmlab reset --state %s LAB %s", statedir, node);
}

int disk_prepare(const char *statedir, const struct node *n, bool fresh, struct vl_err *e)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, n->name);
	_cleanup_free_ char *idp = disk_base_id_path(statedir, n->name);
	_cleanup_free_ char *qemu_img = NULL;
	struct image_id cur, rec;
	char out[2048], what[512];
	int r;

	disk_recover(statedir, n->name);
	if (fresh && disk_reset(statedir, n->name, e) < 0)
		return -1;
	r = image_identity(n->image, &cur);
	if (r) {
		vl_fail(e, EXIT_STATE, "node %s: reading image %s: %s", n->name, n->image,
			strerror(-r));
		return -1;
	}
	if (access(ov, F_OK) == 0) {
		_cleanup_free_ char *reset_cmd = reset_hint(statedir, n->name);

		r = image_id_load(idp, &rec);
		if (r) {
			vl_fail(e, EXIT_STATE,
				"node %s: its disk %s has no readable record of its base image "
				"(%s): "
				"run `%s` or `vacmlab up --fresh`",
				n->name, ov, idp, reset_cmd);
			return -1;
		}
		if (image_id_compare(&rec, &cur, what, sizeof(what))) {
			vl_fail(e, EXIT_STATE,
				"node %s: base image %s changed since the node's disk was made "
				"(%s); "
				"its overlay %s would read as a corrupt mix of old and new data.\n"
				"  Keep its /etc/config and nvlog on the new image: "
				"`vacmlab up --upgrade TOPO`;\n"
				"  or start the node afresh (its /etc/config and nvlog are lost): "
				"`%s` or `vacmlab up --fresh TOPO`",
				n->name, n->image, what, ov, reset_cmd);
			return -1;
		}
		return 0;
	}
	qemu_img = find_program("qemu-img");
	if (!qemu_img) {
		vl_fail(e, EXIT_STATE, "qemu-img not found: install the Debian package qemu-utils");
		return -1;
	}
	_cleanup_free_ char *b = xasprintf("backing_file=%s,backing_fmt=qcow2", n->image);
	_cleanup_free_ char *ovn = xasprintf("%s.new", ov);
	char *argv[] = {qemu_img,
			(char *)"create",
			(char *)"-q",
			(char *)"-f",
			(char *)"qcow2",
			(char *)"-o",
			b,
			ovn,
			NULL};
	unlink(ovn);
	r = run_capture("qemu-img", argv, out, sizeof(out));
	if (r != 0) {
		vl_fail(e, EXIT_STATE, "node %s: creating its disk %s: %s", n->name, ov, out);
		unlink(ovn);
		return -1;
	}
	/* First boot: sda3/sda4 from the topology's config = / nvlog =. */
	r = disk_seed(statedir, ovn, n, e);
	if (r < 0) {
		unlink(ovn);
		return r;
	}
	r = image_id_save(idp, &cur);
	if (r) {
		vl_fail(e, EXIT_STATE, "node %s: writing %s: %s", n->name, idp, strerror(-r));
		unlink(ovn);
		return -1;
	}
	if (rename(ovn, ov) < 0) {
		vl_fail(e, EXIT_STATE, "node %s: renaming %s: %s", n->name, ovn, strerror(errno));
		unlink(ovn);
		return -1;
	}
	firmware_record(statedir, n->name, n->image);
	return 0;
}

int disk_seed(const char *statedir, const char *disk, const struct node *n, struct vl_err *e)
{
	const char *src[2] = {n->config_seed, n->nvlog_seed};
	const unsigned int idx[2] = {PART_CONFIG, PART_NVLOG};
	_cleanup_free_ char *wd = NULL;
	int r = 0;

	if (!src[0] && !src[1])
		return 0;
	wd = part_workdir(statedir, e);
	for (int i = 0; wd && r == 0 && i < 2; i++)
		if (src[i] && part_seed(disk, idx[i], src[i], wd, e) < 0)
			r = vl_wrap(e, "node %s: %s = %s", n->name, i ? "nvlog" : "config", src[i]);
	if (wd)
		rm_rf(wd);
	return !wd || r < 0 ? -1 : 0;
}

int disk_base_changed(const char *statedir, const struct node *n, char *what, size_t whatlen,
		      struct vl_err *e)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, n->name);
	_cleanup_free_ char *idp = disk_base_id_path(statedir, n->name);

	disk_recover(statedir, n->name);
	if (access(ov, F_OK) < 0)
		return 0;
	return image_id_verify(n->image, idp, what, whatlen, e);
}

int disk_upgrade(const char *statedir, const char *node, const char *image, struct vl_err *e)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, node);
	_cleanup_free_ char *idp = disk_base_id_path(statedir, node);
	_cleanup_free_ char *ovn = xasprintf("%s.new", ov);
	_cleanup_free_ char *idn = xasprintf("%s.new", idp);
	_cleanup_free_ char *b = NULL, *wd = NULL;
	struct image_id cur;
	char out[2048];
	int r, fd;

	disk_recover(statedir, node);
	if (access(ov, F_OK) < 0)
		return vl_fail(e, EXIT_STATE, "node %s has no disk in %s: nothing to upgrade", node,
			       statedir);
	r = image_identity(image, &cur);
	if (r)
		return vl_fail_errno(e, EXIT_ENV, r, "node %s: reading image %s", node, image);
	if (image_check(image, e) < 0)
		return vl_wrap(e, "node %s", node);
	/* The partition tables first: nothing is built for a layout that
	 * cannot take the old sda3/sda4. */
	for (unsigned int i = PART_CONFIG; i <= PART_NVLOG; i++) {
		struct part_loc was, now;

		if (part_locate(ov, i, &was, e) < 0 || part_locate(image, i, &now, e) < 0)
			return vl_wrap(e, "node %s: comparing partition tables", node);
		if (now.size < was.size)
			return vl_fail(e, EXIT_CONFIG,
				       "node %s: %s is %llu bytes in %s, smaller than the %llu "
				       "bytes of the node's disk: not upgrading (export the files, "
				       "reset, import them if they fit)",
				       node, part_name(i), (unsigned long long)now.size, image,
				       (unsigned long long)was.size);
	}
	wd = part_workdir(statedir, e);
	if (!wd)
		return -1;
	b = xasprintf("backing_file=%s,backing_fmt=qcow2", image);
	{
		_cleanup_free_ char *qemu_img = find_program("qemu-img");
		char *argv[] = {qemu_img,
				(char *)"create",
				(char *)"-q",
				(char *)"-f",
				(char *)"qcow2",
				(char *)"-o",
				b,
				ovn,
				NULL};

		if (!qemu_img) {
			r = vl_fail(e, EXIT_ENV,
				    "qemu-img not found: install the Debian package qemu-utils");
			goto out;
		}
		if (run_capture("qemu-img", argv, out, sizeof(out)) != 0) {
			r = vl_fail(e, EXIT_ENV, "node %s: creating %s: %s", node, ovn, out);
			goto out;
		}
	}
	/* sda3 and sda4 from the old overlay; the rest (MBR, sda1, sda2) is
	 * the new image's, as the new overlay starts empty. */
	for (unsigned int i = PART_CONFIG; i <= PART_NVLOG; i++) {
		r = part_copy(ov, ovn, i, wd, e);
		if (r < 0) {
			vl_wrap(e, "node %s: carrying %s over to %s", node, part_name(i), image);
			goto out;
		}
	}
	fd = open(ovn, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		r = vl_fail_errno(e, EXIT_ENV, errno, "syncing %s", ovn);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	r = image_id_save(idn, &cur);
	if (r) {
		r = vl_fail_errno(e, EXIT_ENV, r, "writing %s", idn);
		goto out;
	}
	/* The commit point: from here on disk_recover() rolls forward. */
	if (rename(ovn, ov) < 0) {
		r = vl_fail_errno(e, EXIT_ENV, errno, "renaming %s to %s", ovn, ov);
		goto out;
	}
	if (rename(idn, idp) < 0) {
		r = vl_fail_errno(e, EXIT_ENV, errno, "renaming %s to %s", idn, idp);
		goto out;
	}
	firmware_record(statedir, node, image);
	r = 0;
out:
	if (r < 0) {
		unlink(ovn);
		unlink(idn);
	}
	rm_rf(wd);
	return r < 0 ? -1 : 0;
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
json_t *disk_snapshots(const char *statedir, const char *node, struct vl_err *e)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, node);
	_cleanup_free_ char *qemu_img = find_program("qemu-img");
	_cleanup_free_ char *out = xmalloc(1 << 16);
	json_error_t je;
	json_t *info, *snaps;
	int r;

	if (!qemu_img) {
		vl_fail(e, EXIT_STATE, "qemu-img not found: install the Debian package qemu-utils");
		return NULL;
	}
	if (access(ov, F_OK) < 0) {
		vl_fail(e, EXIT_STATE, "node %s has no disk in %s (never started, or reset)", node,
			statedir);
		return NULL;
	}
	char *argv[] = {qemu_img,     (char *)"info",  (char *)"-U", (char *)"--output=json",
			(char *)"-f", (char *)"qcow2", ov,	     NULL};
	r = run_capture("qemu-img", argv, out, 1 << 16);
	if (r != 0) {
		vl_fail(e, EXIT_STATE, "node %s: reading %s: %s", node, ov, out);
		return NULL;
	}
	info = json_loads(out, 0, &je);
	if (!info) {
		vl_fail(e, EXIT_STATE, "node %s: qemu-img info %s: bad JSON: %s", node, ov,
			je.text);
		return NULL;
	}
	snaps = json_object_get(info, "snapshots");
	snaps = snaps ? json_incref(snaps) : json_array();
	json_decref(info);
	return snaps;
}

int disk_snapshot_delete(const char *statedir, const char *node, const char *name, struct vl_err *e)
{
	_cleanup_free_ char *ov = disk_overlay_path(statedir, node);
	_cleanup_free_ char *qemu_img = find_program("qemu-img");
	char out[2048];

	if (!qemu_img) {
		vl_fail(e, EXIT_CHILD, "qemu-img not found: install the Debian package qemu-utils");
		return -1;
	}
	char *argv[] = {qemu_img, (char *)"snapshot", (char *)"-q", (char *)"-d", (char *)name, ov,
			NULL};
	if (run_capture("qemu-img", argv, out, sizeof(out)) != 0) {
		vl_fail(e, EXIT_CHILD, "node %s: deleting snapshot '%s' from %s: %s", node, name,
			ov, out);
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
