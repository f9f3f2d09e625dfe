// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_snap.c - QEMU snapshot jobs on the nodes of a running lab, through
 * the supervisor (ctl_qmp): used by `snapshot`, `restore` and warm starts.
 *
 * DOC: Theory of operation
 * QEMU 7.2's snapshot-save / snapshot-load / snapshot-delete are jobs: the
 * command returns at once and the work runs in QEMU's main loop (the guest
 * is stopped meanwhile; save and load resume it if it was running). We poll
 * query-jobs for our job id rather than wait for JOB_STATUS_CHANGE events:
 * the job often concludes before the command's own reply reaches us.
 * query-jobs is the authority anyway: a concluded job carries its "error",
 * and must be dismissed (job-dismiss) or it stays in QEMU's job list. The
 * vmstate goes into the same overlay as the disk snapshot (node name
 * DISK_NODE). Jobs on several nodes are all started first and then polled
 * together: every QEMU works at once.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/lib/disk.h"
#include "lab/lib/error.h"
#include "lab/lib/util.h"

struct job {
	const char *node;
	char id[128];
	int rc; /* -1 running */
};

static json_t *job_args(const char *cmd, const char *tag)
{
	if (!strcmp(cmd, "snapshot-delete"))
		return json_pack("{s:s,s:[s]}", "tag", tag, "devices", DISK_NODE);
	return json_pack("{s:s,s:s,s:[s]}", "tag", tag, "vmstate", DISK_NODE, "devices", DISK_NODE);
}

/* One poll of @j: its rc once concluded (0, or an exit code after a
 * message). */
static void job_poll(const char *lab, struct job *j, const char *what, long long deadline)
{
	json_t *jobs = NULL, *x, *mine = NULL;
	struct vl_err err = {0};
	size_t i;

	if (ctl_qmp(lab, j->node, "query-jobs", NULL, &jobs, 30000, &err) < 0) {
		/* QEMU's main loop is busy with the job (a big vmstate): the
		 * reply comes later. */
		if (now_ms() < deadline && strstr(err.msg, "no answer"))
			return;
		vl_wrap(&err, "%s, node %s", what, j->node);
		vl_report(&err);
		j->rc = EXIT_CHILD;
		return;
	}
	json_array_foreach (jobs, i, x)
		if (!strcmp(json_string_value(json_object_get(x, "id")) ?: "", j->id))
			mine = x;
	if (!mine) {
		msg_err("%s, node %s: job %s vanished from QEMU's job list", what, j->node, j->id);
		j->rc = EXIT_CHILD;
	} else if (!strcmp(json_string_value(json_object_get(mine, "status")) ?: "", "concluded")) {
		const char *e = json_string_value(json_object_get(mine, "error"));

		if (e)
			msg_err("%s, node %s: %s", what, j->node, e);
		j->rc = e ? EXIT_CHILD : 0;
		if (ctl_qmp(lab, j->node, "job-dismiss", json_pack("{s:s}", "id", j->id), NULL,
			    30000, &err) < 0)
			msg_warn("dismissing QEMU job %s: %s", j->id, err.msg);
	} else if (now_ms() > deadline) {
		msg_err("%s, node %s: not done in time (job %s is %s); it may still finish", what,
			j->node, j->id, json_string_value(json_object_get(mine, "status")));
		j->rc = EXIT_TIMEOUT;
	}
	json_decref(jobs);
}

int snap_jobs(const char *lab, const char *const *nodes, int n, const char *cmd, const char *tag,
	      const char *what, int timeout_ms)
{
	struct job *jobs = xcalloc((size_t)n + 1, sizeof(*jobs));
	long long t0 = now_ms(), deadline = t0 + timeout_ms;
	bool tty = isatty(2), shown = false;
	int left = 0, rc = 0;
	struct vl_err err = {0};

	for (int i = 0; i < n; i++) {
		json_t *args = job_args(cmd, tag);

		jobs[i].node = nodes[i];
		snprintf(jobs[i].id, sizeof(jobs[i].id), "vacmlab-%s-%d-%d", cmd, (int)getpid(), i);
		json_object_set_new(args, "job-id", json_string(jobs[i].id));
		if (ctl_qmp(lab, nodes[i], cmd, args, NULL, 30000, &err) < 0) {
			vl_wrap(&err, "%s, node %s", what, nodes[i]);
			vl_report(&err);
			jobs[i].rc = EXIT_CHILD;
		} else {
			jobs[i].rc = -1;
			left++;
		}
	}
	while (left) {
		for (int i = 0; i < n; i++) {
			if (jobs[i].rc >= 0)
				continue;
			job_poll(lab, &jobs[i], what, deadline);
			if (jobs[i].rc >= 0)
				left--;
		}
		if (!left)
			break;
		if (tty && now_ms() - t0 > 500) {
			fprintf(stderr, "\r%s... %.1f s", what, (double)(now_ms() - t0) / 1000.0);
			shown = true;
		}
		usleep(50000);
	}
	if (shown)
		fprintf(stderr, "\r%s... done      \n", what);
	for (int i = 0; i < n; i++)
		if (jobs[i].rc > 0 && !rc)
			rc = jobs[i].rc;
	free(jobs);
	return rc;
}
