// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * part_qmp.c - part_backup_running(): the one QMP sequence of the
 * partition code, a point-in-time copy of a running node's disk, kept in
 * one function so that it can move behind the supervisor (which will own
 * the QMP connection) without touching its callers.
 *
 * blockdev-backup with sync=top copies what the overlay itself holds, as
 * it was when the job started: QEMU's copy-before-write filter saves any
 * cluster the guest overwrites meanwhile before the write goes through.
 * The target is a qcow2 with the overlay's backing file and size, opened
 * by QEMU without its backing (it only writes), so reading the copy later
 * gives the whole disk at that instant. The filesystem in it is in the
 * state a power cut would leave (the guest may have it mounted): readers
 * replay its journal on their own private copy (part.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lab/lib/image.h"
#include "lab/lib/part.h"
#include "lab/lib/qmp.h"
#include "lab/lib/util.h"

/* Poll query-jobs for @id until it concludes (we do not wait for events:
 * our QMP client drops events that arrive before a command's reply, and a
 * short job concludes before that). Dismisses it. 0 or -1 with @e set. */
static int wait_job(struct qmp *q, const char *id, int timeout_ms, struct vl_err *e)
{
	long long deadline = now_ms() + timeout_ms;
	char err[1024];

	for (;;) {
		json_t *jobs = NULL, *j, *mine = NULL;
		const char *status;
		size_t i;

		if (qmp_exec(q, "query-jobs", NULL, &jobs, err, sizeof(err)) < 0)
			return vl_fail(e, EXIT_CHILD, "%s", err);
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
			qmp_exec(q, "job-dismiss", json_pack("{s:s}", "id", id), NULL, err,
				 sizeof(err));
			return r;
		}
		json_decref(jobs);
		if (now_ms() > deadline) {
			qmp_exec(q, "job-cancel", json_pack("{s:s}", "id", id), NULL, err,
				 sizeof(err));
			return vl_fail(e, EXIT_TIMEOUT, "QEMU job %s not done after %d s", id,
				       timeout_ms / 1000);
		}
		usleep(20000);
	}
}

int part_backup_running(const char *qmp_path, const char *node_name, const char *overlay,
			const char *copy, int timeout_ms, struct vl_err *e)
{
	struct image_info *info = xmalloc(sizeof(*info));
	_cleanup_free_ char *id = xasprintf("vacmlab-backup-%d", (int)getpid());
	/* Named per process: a copy whose command was killed leaves its node
	 * in QEMU (until QEMU exits), and must not block the next one. */
	_cleanup_free_ char *bnode = xasprintf("vacmlab-copy-%d", (int)getpid());
	_cleanup_free_ char *size = NULL, *bopt = NULL;
	char why[1024];
	struct qmp *q;
	int r = -1;

	/* The copy has the overlay's backing file and size: a sync=top
	 * backup copies only what the overlay itself holds. */
	if (image_inspect(overlay, info, why, sizeof(why)) < 0) {
		vl_fail(e, EXIT_ENV, "%s: %s", overlay, why);
		free(info);
		return -1;
	}
	size = xasprintf("%" PRIu64, info->virtual_size);
	if (info->backing_file[0]) {
		char *abs = info->backing_file[0] == '/'
				    ? xstrdup(info->backing_file)
				    : xasprintf("%.*s/%s", (int)(strrchr(overlay, '/') - overlay),
						overlay, info->backing_file);

		bopt = xasprintf("backing_file=%s,backing_fmt=%s", abs,
				 info->backing_format[0] ? info->backing_format : "qcow2");
		free(abs);
	}
	free(info);
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
	q = qmp_open(qmp_path, 10000, why, sizeof(why));
	if (!q) {
		unlink(copy);
		return vl_fail(e, EXIT_CHILD, "%s", why);
	}
	if (qmp_exec(q, "blockdev-add",
		     json_pack("{s:s,s:s,s:{s:s,s:s},s:n}", "driver", "qcow2", "node-name", bnode,
			       "file", "driver", "file", "filename", copy, "backing"),
		     NULL, why, sizeof(why)) < 0) {
		vl_fail(e, EXIT_CHILD, "%s", why);
		goto out_close;
	}
	if (qmp_exec(q, "blockdev-backup",
		     json_pack("{s:s,s:s,s:s,s:s,s:b}", "job-id", id, "device", node_name, "target",
			       bnode, "sync", "top", "auto-dismiss", 0),
		     NULL, why, sizeof(why)) < 0) {
		vl_fail(e, EXIT_CHILD, "%s", why);
		goto out_del;
	}
	r = wait_job(q, id, timeout_ms, e);
out_del:
	if (qmp_exec(q, "blockdev-del", json_pack("{s:s}", "node-name", bnode), NULL, why,
		     sizeof(why)) < 0 &&
	    r == 0)
		r = vl_fail(e, EXIT_CHILD, "%s", why);
out_close:
	qmp_close(q);
	if (r < 0)
		unlink(copy);
	return r;
}
