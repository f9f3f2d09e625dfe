// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_config.c - `vacmlab config export|import|erase`: a node's /etc/config
 * (sda3) or nvlog (sda4) out to a directory or tar, or in from one, without
 * a console session and without root (lab/lib/part.c says how).
 *
 * Export works on a lab that is down (the lab's lock is held, so no `up`
 * opens the disk meanwhile) and on a running node: then QEMU makes a
 * point-in-time copy of the disk (part_backup_running(), QMP
 * blockdev-backup) and the files come from that copy, never from a
 * filesystem the guest has mounted. Import rewrites the partition, so the
 * node must not run; it writes into a copy of the overlay and renames it
 * over the original when complete: a bad archive or a crash changes
 * nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/cli/client.h"
#include "lab/cli/client_status.h"
#include "lab/cli/cmds.h"
#include "lab/lib/disk.h"
#include "lab/lib/error.h"
#include "lab/lib/part.h"
#include "lab/lib/rundir.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

static void config_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab config export [OPTIONS] LAB NODE -o DIR|FILE.tar|FILE.tar.gz|-\n"
		   "       vacmlab config import [OPTIONS] LAB NODE DIR|FILE.tar|FILE.tar.gz\n"
		   "       vacmlab config erase [--nvlog] [--state DIR] LAB NODE\n"
		   "Copy a node's /etc/config (sda3) or nvlog (sda4) out of its disk, or replace\n"
		   "it with the files of a directory or tar (owner root, modes from the source).\n"
		   "Export works on a lab that is down and on a running node (from a\n"
		   "point-in-time copy of its disk); import needs the node stopped. Erase\n"
		   "empties /etc/config (and nvlog with --nvlog), keeping the firmware: the\n"
		   "node is factory-fresh; a running node is powered off, erased, started.\n\n"
		   "  --part config|nvlog  which partition (default config)\n"
		   "  -o, --output OUT     export: a new or empty directory, a tar, or - (stdout)\n"
		   "  --state DIR          the lab's state dir, if `up` was given --state DIR\n"
		   "  --timeout SECONDS    export from a running node: wait this long (default "
		   "120)\n");
}

/* The node's entry in a running lab's status: its QMP socket if QEMU
 * runs. Returns 0 (found), -1 (no such node; message printed). */
static int node_live(json_t *st, const char *lab, const char *node, const char **qmp)
{
	struct st_lab l;
	struct st_owner o;

	*qmp = NULL;
	if (!st_lab_get(st, &l) || !st_find_node(&l, node, &o)) {
		msg_err("lab '%s' has no node '%s'", lab, node);
		return -1;
	}
	if (o.pid)
		*qmp = o.qmp;
	return 0;
}

/* The state dir a running lab's supervisor reports, else the default. */
static char *live_statedir(json_t *st, const char *lab, const char *state)
{
	struct st_lab l;

	return st_lab_get(st, &l) && l.statedir ? xstrdup(l.statedir)
						: statedir_lab(lab, state, NULL);
}

/* QMP goes through the lab's supervisor, QEMU's only QMP client. */
struct qmp_via {
	const char *lab, *node;
	int timeout_ms;
};

/*
 * Where @node's disk is, and whether its QEMU runs: on a running lab the
 * status names the state dir and *@running says whether the node is up;
 * a lab that is down is held down in @h for @what. A disk no QEMU has open
 * is recovered from an interrupted write first. Returns EXIT_OK with *@statedir set (caller
 * frees), or the exit status with the error printed.
 */
static int config_locate(const char *lab, const char *node, const char *state, const char *what,
			 bool *running, char **statedir, struct lab_hold *h)
{
	_cleanup_free_ char *rd = rundir_lab(lab, NULL);
	struct vl_err e = {0};
	const char *qmp = NULL;
	json_t *st;
	int rc;

	*running = false;
	*statedir = NULL;
	if (!lab_is_up(rd)) {
		*statedir = statedir_lab(lab, state, NULL);
		rc = lab_hold_down(lab, what, h);
		if (rc) {
			lab_release(h);
			return rc;
		}
		disk_recover(*statedir, node);
		return EXIT_OK;
	}
	st = ctl_status(lab, &e);
	if (!st)
		return vl_report(&e);
	if (node_live(st, lab, node, &qmp) < 0) {
		json_decref(st);
		return EXIT_CONFIG;
	}
	*running = qmp != NULL;
	*statedir = live_statedir(st, lab, state);
	json_decref(st);
	if (!*running)
		disk_recover(*statedir, node);
	return EXIT_OK;
}

/* The finished copy @copy takes the overlay @ov's place in one rename, so
 * the node's disk is either the old one or the new one, never half of
 * each; on failure the copy goes and the overlay is as it was. */
static int overlay_replace(const char *copy, const char *ov)
{
	if (rename(copy, ov) == 0)
		return EXIT_OK;
	msg_err("renaming %s to %s: %s", copy, ov, strerror(errno));
	unlink(copy);
	return EXIT_ENV;
}

static int qmp_exec_via(void *ctx, const char *cmd, json_t *args, json_t **ret, struct vl_err *e)
{
	const struct qmp_via *v = ctx;

	return ctl_qmp(v->lab, v->node, cmd, args, ret, v->timeout_ms, e);
}

static int do_export(const char *lab, const char *node, unsigned int part, const char *out,
		     const char *state, double timeout)
{
	_cleanup_free_ char *statedir = NULL, *ov = NULL, *wd = NULL;
	struct lab_hold h = {.fd = -1};
	struct vl_err e = {0};
	bool running;
	int rc;

	if (!strcmp(out, "-") && isatty(1)) {
		msg_err("not writing a tar to a terminal: redirect stdout, or -o FILE.tar");
		return EXIT_CONFIG;
	}
	rc = config_locate(lab, node, state, "config export", &running, &statedir, &h);
	if (rc)
		return rc;
	ov = disk_overlay_path(statedir, node);
	if (access(ov, F_OK) < 0) {
		msg_err("node %s of lab %s has no disk in %s (never started, or reset)", node, lab,
			statedir);
		rc = EXIT_STATE;
		goto out;
	}
	wd = part_workdir(statedir, &e);
	if (!wd)
		goto fail;
	if (running) {
		_cleanup_free_ char *copy = xasprintf("%s/backup.qcow2", wd);

		struct qmp_via via = {lab, node, (int)(timeout * 1000)};
		struct part_qmp t = {qmp_exec_via, &via};

		if (part_backup_running(&t, DISK_NODE, copy, (int)(timeout * 1000), &e) < 0) {
			vl_wrap(&e, "node %s: point-in-time copy of its disk", node);
			goto fail;
		}
		if (part_export(copy, part, out, wd, &e) < 0)
			goto fail;
	} else if (part_export(ov, part, out, wd, &e) < 0) {
		goto fail;
	}
	fprintf(stderr, "exported %s of node %s (lab %s%s) to %s\n", part_name(part), node, lab,
		running ? ", running: point-in-time copy" : "", strcmp(out, "-") ? out : "stdout");
	goto out;
fail:
	vl_wrap(&e, "exporting %s of node %s", part_name(part), node);
	rc = vl_report(&e);
out:
	if (wd)
		rm_rf(wd);
	lab_release(&h);
	return rc;
}

static int do_import(const char *lab, const char *node, unsigned int part, const char *src,
		     const char *state)
{
	_cleanup_free_ char *statedir = NULL, *ov = NULL, *ovn = NULL;
	_cleanup_free_ char *wd = NULL, *abs = NULL;
	struct lab_hold h = {.fd = -1};
	struct vl_err e = {0};
	struct stat sb;
	bool running;
	int rc;

	if (stat(src, &sb) < 0) {
		msg_err("%s: %s", src, strerror(errno));
		return EXIT_CONFIG;
	}
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
		msg_err("%s: neither a directory nor a tar file", src);
		return EXIT_CONFIG;
	}
	abs = realpath(src, NULL);
	rc = config_locate(lab, node, state, "config import", &running, &statedir, &h);
	if (rc)
		return rc;
	if (running) {
		msg_err("node %s of lab %s is running: import rewrites its disk, which QEMU has "
			"open; `vacmlab down %s` first (export works while it runs)",
			node, lab, lab);
		return EXIT_STATE;
	}
	ov = disk_overlay_path(statedir, node);
	ovn = xasprintf("%s.new", ov);
	if (access(ov, F_OK) < 0) {
		msg_err("node %s of lab %s has no disk in %s yet: bring it up once, or give its "
			"first boot the files with `%s = PATH` in its [node] section",
			node, lab, statedir, part == PART_CONFIG ? "config" : "nvlog");
		rc = EXIT_STATE;
		goto out;
	}
	wd = part_workdir(statedir, &e);
	/* Into a copy, renamed over the overlay only when complete. */
	if (!wd || part_copy_file(ov, ovn, &e) < 0 || part_seed(ovn, part, abs, wd, &e) < 0) {
		unlink(ovn);
		vl_wrap(&e, "importing %s into %s of node %s (nothing was changed)", src,
			part_name(part), node);
		rc = vl_report(&e);
		goto out;
	}
	rc = overlay_replace(ovn, ov);
	if (rc)
		goto out;
	printf("imported %s into %s of node %s (lab %s): its next boot sees it\n", src,
	       part_name(part), node, lab);
out:
	if (wd)
		rm_rf(wd);
	lab_release(&h);
	return rc;
}

/* `vacmlab node stop|start LAB NODE` through the supervisor: 0, or the
 * exit status with the error printed. */
static int node_op(const char *lab, const char *node, const char *op)
{
	json_t *req = json_pack("{s:s, s:s, s:s}", "cmd", "node", "node", node, "op", op);
	struct vl_err e = {0};

	if (ctl_ask(lab, req, -1, 600000, NULL, &e) < 0) {
		vl_wrap(&e, "lab '%s': node %s %s", lab, op, node);
		return vl_report(&e);
	}
	return 0;
}

/*
 * `config erase`: the node factory-fresh. sda3 (and with --nvlog sda4)
 * becomes an empty file system of its own label (part_seed() of an empty
 * directory), in a copy of the overlay renamed over it when complete;
 * sda1, sda2 (the firmware) and the rest are the disk's as they were. On a
 * running lab the node is powered off first and started again after.
 */
static int do_erase(const char *lab, const char *node, bool nvlog, const char *state)
{
	_cleanup_free_ char *statedir = NULL, *ov = NULL, *ovn = NULL;
	_cleanup_free_ char *wd = NULL, *empty = NULL;
	struct lab_hold h = {.fd = -1};
	struct vl_err e = {0};
	bool restart = false, running;
	int rc;

	rc = config_locate(lab, node, state, "config erase", &running, &statedir, &h);
	if (rc)
		return rc;
	if (running) {
		rc = node_op(lab, node, "stop");
		if (rc)
			return rc;
		restart = true;
		disk_recover(statedir, node);
	}
	ov = disk_overlay_path(statedir, node);
	ovn = xasprintf("%s.new", ov);
	if (access(ov, F_OK) < 0) {
		msg_err("node %s of lab %s has no disk in %s: it is factory-fresh already", node,
			lab, statedir);
		rc = EXIT_STATE;
		goto out;
	}
	wd = part_workdir(statedir, &e);
	empty = wd ? xasprintf("%s/empty", wd) : NULL;
	if (!wd || mkdir(empty, 0755) < 0 || part_copy_file(ov, ovn, &e) < 0 ||
	    part_seed(ovn, PART_CONFIG, empty, wd, &e) < 0 ||
	    (nvlog && part_seed(ovn, PART_NVLOG, empty, wd, &e) < 0)) {
		unlink(ovn);
		if (!e.code)
			vl_fail_errno(&e, EXIT_ENV, errno, "making %s",
				      empty ? empty : "a work dir");
		vl_wrap(&e, "erasing node %s (nothing was changed)", node);
		rc = vl_report(&e);
		goto out;
	}
	rc = overlay_replace(ovn, ov);
	if (rc)
		goto out;
	printf("erased %s of node %s (lab %s): factory-fresh, firmware kept\n",
	       nvlog ? "config and nvlog" : "config", node, lab);
out:
	if (wd)
		rm_rf(wd);
	lab_release(&h);
	if (restart) {
		int r = node_op(lab, node, "start");

		if (!rc)
			rc = r;
	}
	return rc;
}

int cmd_config(int argc, char **argv)
{
	static const struct option lo[] = {
		{"part", required_argument, NULL, 'p'},
		{"output", required_argument, NULL, 'o'},
		{"state", required_argument, NULL, 'S'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"nvlog", no_argument, NULL, 'N'},
		{0},
	};
	bool nvlog = false;
	const char *op, *state = NULL, *out = NULL, *lab, *node;
	unsigned int part = PART_CONFIG;
	double timeout = 120;
	int c;

	while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!strcmp(optarg, "config")) {
				part = PART_CONFIG;
			} else if (!strcmp(optarg, "nvlog")) {
				part = PART_NVLOG;
			} else {
				msg_err("--part must be config or nvlog, not '%s'", optarg);
				return EXIT_CONFIG;
			}
			break;
		case 'o': out = optarg; break;
		case 'N': nvlog = true; break;
		case 'S': state = optarg; break;
		case 't':
			if (duration_arg("--timeout", optarg, 3600, &timeout) < 0)
				return EXIT_CONFIG;
			if (timeout <= 0) {
				msg_err("--timeout '%s': must be more than 0", optarg);
				return EXIT_CONFIG;
			}
			break;
		case 'h': config_usage(stdout); return EXIT_OK;
		default: config_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind >= argc) {
		config_usage(stderr);
		return EXIT_CONFIG;
	}
	op = argv[optind++];
	if (strcmp(op, "export") && strcmp(op, "import") && strcmp(op, "erase")) {
		msg_err("config: unknown operation '%s' (export, import or erase)", op);
		return EXIT_CONFIG;
	}
	if (!strcmp(op, "erase")) {
		if (argc - optind != 2 || out || part != PART_CONFIG) {
			config_usage(stderr);
			return EXIT_CONFIG;
		}
	} else if (argc - optind != (op[0] == 'e' ? 2 : 3) || (op[0] == 'e' && !out) ||
		   (op[0] == 'i' && out) || nvlog) {
		config_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	node = argv[optind + 1];
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	if (!node[0] || strchr(node, '/') || node[0] == '.') {
		msg_err("bad node name '%s'", node);
		return EXIT_CONFIG;
	}
	if (!strcmp(op, "erase"))
		return do_erase(lab, node, nvlog, state);
	if (op[0] == 'e')
		return do_export(lab, node, part, out, state, timeout);
	return do_import(lab, node, part, argv[optind + 2], state);
}
