// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * part_qmp.c - part_backup_running(): the one QMP sequence of the
 * partition code, a point-in-time copy of a running node's disk. The
 * transport is the caller's (struct part_qmp): the CLI sends each command
 * through the lab's supervisor, QEMU's only QMP client (ctl_qmp()).
 *
 * blockdev-backup with sync=top copies what the overlay itself holds, as
 * it was when the job started: QEMU's copy-before-write filter saves any
 * cluster the guest overwrites meanwhile before the write goes through.
 * The target is a qcow2 with the disk's backing file and size (asked of
 * QEMU: the live overlay is never parsed behind its back), opened by QEMU
 * without its backing (it only writes), so reading the copy later gives
 * the whole disk at that instant. The filesystem in it is in the state a
 * power cut would leave (the guest may have it mounted): readers replay its
 * journal on their own private copy (part.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lab/lib/part.h"
#include "lab/lib/util.h"

/* Poll query-jobs for @id until it concludes (we do not wait for events:
 * our QMP client drops events that arrive before a command's reply, and a
 * short job concludes before that). Dismisses it. 0 or -1 with @e set. */
static int wait_job(const struct part_qmp *t, const char *id, int timeout_ms, struct vl_err *e)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		json_t *jobs = NULL, *j, *mine = NULL;
		const char *status;
		size_t i;

		if (t->exec(t->ctx, "query-jobs", NULL, &jobs, e) < 0)
			return -1;
		json_array_foreach (jobs, i, j)
			if (!strcmp(json_string_value(json_object_get(j, "id")) ?: "", id))
				mine = j;
		if (!mine) {
			json_decref(jobs);
			return vl_fail(e, EXIT_CHILD, "QEMU job %s vanished", id);
		}
		status = json_string_value(json_object_get(mine, "status")) ?: "";
		if (!strcmp(status, "concluded")) {
			const char *je = json_string_value(json_object_get(mine, "error"));
			int r = je ? vl_fail(e, EXIT_CHILD, "QEMU job %s: %s", id, je) : 0;

			json_decref(jobs);
			t->exec(t->ctx, "job-dismiss", json_pack("{s:s}", "id", id), NULL, NULL);
			return r;
		}
		json_decref(jobs);
		if (now_ms() > deadline) {
			t->exec(t->ctx, "job-cancel", json_pack("{s:s}", "id", id), NULL, NULL);
			return vl_fail(e, EXIT_TIMEOUT, "QEMU job %s not done after %d s", id,
				       timeout_ms / 1000);
		}
		usleep(20000);
	}
}

/* The running disk's virtual size and backing file, from QEMU itself
 * (the overlay is being written: we do not parse it behind QEMU's back). */
static int disk_shape(const struct part_qmp *t, const char *node_name, char **size, char **bopt,
		      struct vl_err *e)
{
	json_t *nodes = NULL, *n;
	size_t i;
	int r = -1;

	if (t->exec(t->ctx, "query-named-block-nodes", json_pack("{s:b}", "flat", 1), &nodes, e) <
	    0)
		return -1;
	json_array_foreach (nodes, i, n) {
		json_t *img = json_object_get(n, "image");
		const char *bf =
			json_string_value(json_object_get(img, "full-backing-filename"))
				?: json_string_value(json_object_get(img, "backing-filename"));
		const char *fmt =
			json_string_value(json_object_get(img, "backing-filename-format"));

		if (strcmp(json_string_value(json_object_get(n, "node-name")) ?: "", node_name))
			continue;
		*size = xasprintf("%" JSON_INTEGER_FORMAT,
				  json_integer_value(json_object_get(img, "virtual-size")));
		*bopt = bf ? xasprintf("backing_file=%s,backing_fmt=%s", bf, fmt ? fmt : "qcow2")
			   : NULL;
		r = 0;
		break;
	}
	json_decref(nodes);
	if (r < 0)
		vl_fail(e, EXIT_CHILD, "QEMU has no block node '%s'", node_name);
	return r;
}

int part_backup_running(const struct part_qmp *t, const char *node_name, const char *copy,
			int timeout_ms, struct vl_err *e)
{
	_cleanup_free_ char *id = xasprintf("vacmlab-backup-%d", (int)getpid());
	/* Named per process: a copy whose command was killed leaves its node
	 * in QEMU (until QEMU exits), and must not block the next one. */
	_cleanup_free_ char *bnode = xasprintf("vacmlab-copy-%d", (int)getpid());
	_cleanup_free_ char *size = NULL, *bopt = NULL;
	int r = -1;

	/* The copy has the disk's backing file and size: a sync=top backup
	 * copies only what the overlay itself holds. */
	if (disk_shape(t, node_name, &size, &bopt, e) < 0)
		return -1;
	{
		char *argv[] = {(char *)"qemu-img",
				(char *)"create",
				(char *)"-q",
				(char *)"-f",
				(char *)"qcow2",
				(char *)copy,
				size,
				NULL,
				NULL,
				NULL};

		if (bopt) {
			argv[5] = (char *)"-o";
			argv[6] = bopt;
			argv[7] = (char *)copy;
			argv[8] = size;
		}
		if (part_run(argv, "qemu-utils", "creating the backup target", e) < 0)
			return -1;
	}
	if (t->exec(t->ctx, "blockdev-add",
		    json_pack("{s:s,s:s,s:{s:s,s:s},s:n}", "driver", "qcow2", "node-name", bnode,
			      "file", "driver", "file", "filename", copy, "backing"),
		    NULL, e) < 0)
		goto out_close;
	if (t->exec(t->ctx, "blockdev-backup",
		    json_pack("{s:s,s:s,s:s,s:s,s:b}", "job-id", id, "device", node_name, "target",
			      bnode, "sync", "top", "auto-dismiss", 0),
		    NULL, e) < 0)
		goto out_del;
	r = wait_job(t, id, timeout_ms, e);
out_del:
	/* After a failure @e keeps the first one; a failed delete after a
	 * good copy is the error. */
	if (t->exec(t->ctx, "blockdev-del", json_pack("{s:s}", "node-name", bnode), NULL,
		    r == 0 ? e : NULL) < 0 &&
	    r == 0)
		r = -1;
out_close:
	if (r < 0)
		unlink(copy);
	return r;
}
