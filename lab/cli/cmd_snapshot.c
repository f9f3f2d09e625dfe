// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_snapshot.c - `vacmlab snapshot LAB NODE save|load|list|rm [NAME]`:
 * internal qcow2 snapshots (disk + RAM + device state) in the node's
 * overlay, taken and restored through QMP while the node runs.
 *
 * DOC: Theory of operation
 * The jobs (snapshot-save/-load/-delete, polled through query-jobs) are
 * client_snap.c's snap_jobs(). The vmstate goes into the same overlay as
 * the disk snapshot (node name DISK_NODE, set on QEMU's -drive line): the
 * image is never written, and `vacmlab reset` discards snapshots with the
 * disk.
 *
 * The base image is read-only and shared, so it is not part of the
 * snapshot: a snapshot is only meaningful on top of the same base, which
 * disk.c checks on every `up`.
 *
 * QEMU's monitor serves one client, the lab's supervisor: every command
 * goes through it (control method "qmp", lab/sv/sv_qmp.c).
 *
 * With the lab down, list and rm work on the overlay offline (qemu-img);
 * save and load need the running node (`up --snapshot NAME` boots from one).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/error.h"
#include "lab/lib/disk.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

static void snapshot_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab snapshot [OPTIONS] LAB NODE save NAME\n"
		   "       vacmlab snapshot [OPTIONS] LAB NODE load NAME\n"
		   "       vacmlab snapshot [OPTIONS] LAB NODE list\n"
		   "       vacmlab snapshot [OPTIONS] LAB NODE rm NAME\n"
		   "Save a running node's whole state (disk, RAM, devices) under NAME in its\n"
		   "disk overlay, jump it back to a saved state, list or delete snapshots.\n"
		   "`vacmlab up --snapshot NAME TOPO` starts every node from snapshot NAME,\n"
		   "skipping the boot. save and load need the lab up; list and rm also work\n"
		   "on a lab that is down. Save only a node that is ready: a node started from\n"
		   "a snapshot counts as ready as soon as QEMU has restored it.\n\n"
		   "  --timeout SECONDS  give up waiting for QEMU after this long (default 300)\n"
		   "  --state DIR        the lab's state dir (lab down; if `up` had --state)\n"
		   "  --json             list: print QEMU's snapshot records as JSON\n");
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	/* QEMU would take more, but a name must not look like a numeric id
	 * (qcow2 matches snapshots by id too) nor hold shell/JSON surprises. */
	if (n < 1 || n > 64 || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || strchr("-_.", name[i])))
			return false;
	return true;
}

/* QMP goes through the lab's supervisor, QEMU's one QMP client. */
struct qmp_via {
	const char *lab, *node;
};

static int qmp_exec_via(struct qmp_via *q, const char *cmd, json_t *args, json_t **ret,
			struct vl_err *e)
{
	return ctl_qmp(q->lab, q->node, cmd, args, ret, 30000, e);
}

/* Snapshots of a running node, from QEMU (the overlay is locked by it). */
static json_t *live_snapshots(struct qmp_via *q, struct vl_err *e)
{
	json_t *nodes = NULL, *n, *out = NULL;
	size_t i;

	if (qmp_exec_via(q, "query-named-block-nodes", json_pack("{s:b}", "flat", 1), &nodes, e) <
	    0)
		return NULL;
	json_array_foreach (nodes, i, n) {
		if (strcmp(json_string_value(json_object_get(n, "node-name")) ?: "", DISK_NODE))
			continue;
		out = json_object_get(json_object_get(n, "image" /* not status */), "snapshots");
		out = out ? json_incref(out) : json_array();
	}
	json_decref(nodes);
	if (!out)
		vl_fail(e, EXIT_CHILD,
			"QEMU has no block node '%s' (a node started by an older "
			"vacmlab? restart the lab)",
			DISK_NODE);
	return out;
}

static void print_list(json_t *snaps, const char *node, bool json)
{
	size_t i;
	json_t *s;

	if (json) {
		json_dumpf(snaps, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		return;
	}
	if (!json_array_size(snaps)) {
		printf("node %s has no snapshots\n", node);
		return;
	}
	printf("%-24s %10s  %-19s  %s\n", "NAME", "VMSTATE", "TAKEN", "GUEST UPTIME");
	json_array_foreach (snaps, i, s) {
		time_t when = (time_t)json_integer_value(json_object_get(s, "date-sec"));
		long long up = json_integer_value(json_object_get(s, "vm-clock-sec"));
		double mib =
			(double)json_integer_value(json_object_get(s, "vm-state-size")) / 1048576.0;
		char date[32];

		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", localtime(&when));
		printf("%-24s %6.1f MiB  %-19s  %lld:%02lld:%02lld\n",
		       json_string_value(json_object_get(s, "name" /* not status */)), mib, date,
		       up / 3600, up / 60 % 60, up % 60);
	}
}

enum snap_op {
	OP_SAVE,
	OP_LOAD,
	OP_LIST,
	OP_RM
};

/* The lab is down: list and rm on the overlay with qemu-img. */
static int offline(const char *lab, const char *node, enum snap_op op, const char *name,
		   const char *state, bool json)
{
	struct vl_err e = {0};
	_cleanup_free_ char *dir = statedir_lab(lab, state, &e);
	json_t *snaps;
	int rc = EXIT_OK;

	switch (op) {
	case OP_SAVE:
	case OP_LOAD:
		msg_err("lab '%s' is not up: `snapshot %s` needs the running node (to start "
			"nodes from a snapshot: `vacmlab up --snapshot NAME TOPO`)",
			lab, op == OP_SAVE ? "save" : "load");
		return EXIT_STATE;
	case OP_LIST:
	case OP_RM: break;
	}
	snaps = disk_snapshots(dir, node, &e);
	if (!snaps)
		return vl_report(&e); /* EXIT_STATE */
	if (op == OP_LIST) {
		print_list(snaps, node, json);
	} else if (!snapshot_list_has(snaps, name)) {
		msg_err("node %s has no snapshot '%s'", node, name);
		rc = EXIT_STATE;
	} else if (disk_snapshot_delete(dir, node, name, &e) < 0) {
		rc = vl_report(&e); /* EXIT_CHILD */
	} else {
		printf("deleted snapshot %s of node %s\n", name, node);
	}
	json_decref(snaps);
	return rc;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option lo[] = {
		{"timeout", required_argument, NULL, 't'},
		{"state", required_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const ops[] = {"save", "load", "list", "rm"};
	const char *lab, *node, *name = NULL, *state = NULL, *qmp_path = NULL, *nstate = NULL;
	double timeout = 300;
	bool json = false;
	enum snap_op op = OP_LIST;
	char what[256];
	struct vl_err e = {0};
	json_t *st, *n, *snaps = NULL;
	struct qmp_via via, *q = &via;
	size_t i;
	int c, rc = EXIT_OK, k;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			if (duration_arg("--timeout", optarg, 3600, &timeout) < 0)
				return EXIT_CONFIG;
			if (timeout <= 0) {
				msg_err("--timeout '%s': must be more than 0", optarg);
				return EXIT_CONFIG;
			}
			break;
		case 'S': state = optarg; break;
		case 'j': json = true; break;
		case 'h': snapshot_usage(stdout); return EXIT_OK;
		default: snapshot_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind < 3) {
		snapshot_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	node = argv[optind + 1];
	if ((rc = lab_arg(lab)) != EXIT_OK)
		return rc;
	for (k = 0; k < (int)ARRAY_SIZE(ops) && strcmp(argv[optind + 2], ops[k]); k++)
		;
	if (k == (int)ARRAY_SIZE(ops)) {
		msg_err("unknown snapshot operation '%s' (save, load, list or rm)",
			argv[optind + 2]);
		return EXIT_CONFIG;
	}
	op = (enum snap_op)k;
	if (argc - optind != (op == OP_LIST ? 3 : 4)) {
		snapshot_usage(stderr);
		return EXIT_CONFIG;
	}
	if (op != OP_LIST) {
		name = argv[optind + 3];
		if (!name_ok(name)) {
			msg_err("bad snapshot name '%s': 1 to 64 of A-Z a-z 0-9 - _ ., not "
				"starting "
				"with a digit",
				name);
			return EXIT_CONFIG;
		}
	}

	{
		_cleanup_free_ char *rd = rundir_lab(lab, NULL);

		if (!lab_is_up(rd))
			return offline(lab, node, op, name, state, json);
	}
	st = ctl_status(lab, &e);
	if (!st)
		return vl_report(&e);
	json_array_foreach (json_object_get(st, SK_NODES), i, n) {
		if (strcmp(json_string_value(json_object_get(n, SK_NAME)) ?: "", node))
			continue;
		qmp_path = json_string_value(json_object_get(n, SK_QMP));
		nstate = json_string_value(json_object_get(n, SK_STATE));
		if (!json_is_integer(json_object_get(n, SK_PID)))
			qmp_path = NULL;
	}
	if (!nstate) {
		msg_err("lab '%s' has no node '%s'", lab, node);
		json_decref(st);
		return EXIT_CONFIG;
	}
	if (!qmp_path) {
		msg_err("node %s of lab %s is not running (state %s)", node, lab, nstate);
		json_decref(st);
		return EXIT_STATE;
	}
	/* `up --snapshot` takes a restored node as ready at once: only a
	 * node that was ready when saved may be saved. */
	if (op == OP_SAVE && strcmp(nstate, SKV_READY)) {
		msg_err("node %s is %s, not ready: save a snapshot once it is (`vacmlab status "
			"%s`)",
			node, nstate, lab);
		json_decref(st);
		return EXIT_STATE;
	}
	json_decref(st); /* qmp_path pointed into it */
	via.lab = lab;
	via.node = node;
	snaps = live_snapshots(q, &e);
	if (!snaps) {
		vl_wrap(&e, "node %s", node);
		return vl_report(&e);
	}
	switch (op) {
	case OP_LIST: print_list(snaps, node, json); break;
	case OP_SAVE:
		if (snapshot_list_has(snaps, name)) {
			msg_err("node %s already has a snapshot '%s' (`vacmlab snapshot %s %s rm "
				"%s` "
				"first)",
				node, name, lab, node, name);
			rc = EXIT_STATE;
			break;
		}
		snprintf(what, sizeof(what), "saving snapshot %s of node %s", name, node);
		rc = snap_jobs(lab, &node, 1, "snapshot-save", name, what, (int)(timeout * 1000));
		break;
	case OP_LOAD:
	case OP_RM:
		if (!snapshot_list_has(snaps, name)) {
			msg_err("node %s has no snapshot '%s' (`vacmlab snapshot %s %s list`)",
				node, name, lab, node);
			rc = EXIT_STATE;
			break;
		}
		snprintf(what, sizeof(what), "%s snapshot %s of node %s",
			 op == OP_LOAD ? "loading" : "deleting", name, node);
		rc = snap_jobs(lab, &node, 1, op == OP_LOAD ? "snapshot-load" : "snapshot-delete",
			       name, what, (int)(timeout * 1000));
		break;
	}
	json_decref(snaps);
	if (rc == EXIT_OK && op != OP_LIST) {
		json_t *ret = NULL;

		/* Say what the node is doing now: a failed load can leave the
		 * guest stopped (its old state is gone, the new one incomplete). */
		if (qmp_exec_via(q, "query-status", NULL, &ret, NULL) == 0 &&
		    !json_is_true(json_object_get(ret, "running"))) {
			msg_warn("node %s is %s after the %s", node,
				 json_string_value(json_object_get(ret, "status")),
				 op == OP_SAVE	 ? "save"
				 : op == OP_LOAD ? "load"
						 : "delete");
		}
		json_decref(ret);
		if (op == OP_SAVE) {
			json_t *after = live_snapshots(q, NULL);
			size_t j;
			json_t *s;

			json_array_foreach (after, j, s) {
				if (strcmp(json_string_value(
						   json_object_get(s, "name" /* not status */))
						   ?: "",
					   name))
					continue;
				printf("saved snapshot %s of node %s (vmstate %.1f MiB)\n", name,
				       node,
				       (double)json_integer_value(
					       json_object_get(s, "vm-state-size")) /
					       1048576.0);
			}
			json_decref(after);
		} else if (op == OP_LOAD) {
			printf("node %s is back at snapshot %s\n", node, name);
		} else {
			printf("deleted snapshot %s of node %s\n", name, node);
		}
	}
	return rc;
}
