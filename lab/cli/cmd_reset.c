// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_reset.c - `vacmlab reset LAB [NODE...]` (start nodes from a clean
 * disk on their next `up`) and `vacmlab rm LAB` (remove a lab's state).
 *
 * Both work on a lab that is down and need no topology: the overlays are
 * found in the state dir. Both hold the lab's lock while they work, so an
 * `up` of the same lab in the meantime is refused instead of opening a
 * disk that is being deleted.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/lib/error.h"
#include "lab/lib/disk.h"
#include "lab/lib/qemu.h"
#include "lab/lib/rundir.h"
#include "lab/cli/client.h"
#include "lab/lib/util.h"
#include "lab/lib/warm.h"

static void reset_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab reset [--state DIR] LAB [NODE...]\n"
		   "Delete the disks (qcow2 overlays and base-image records) of the named nodes\n"
		   "of LAB, or of all its nodes if none is named, so that the next `up` starts\n"
		   "them from the clean image: their /etc/config, nvlog and snapshots are lost.\n"
		   "The lab must be down (`up --fresh` does the same while bringing it up).\n\n"
		   "  --state DIR   the lab's state dir, if `up` was given --state DIR\n");
}

int cmd_reset(int argc, char **argv)
{
	static const struct option lo[] = {
		{"state", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *state = NULL, *lab;
	_cleanup_free_ char *dir = NULL;
	struct lab_hold h;
	char **have;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'S': state = optarg; break;
		case 'h': reset_usage(stdout); return EXIT_OK;
		default: reset_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind >= argc) {
		reset_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind++];
	if ((rc = lab_arg(lab)) != EXIT_OK)
		return rc;
	dir = statedir_lab(lab, state, NULL); /* checked above */
	have = disk_nodes(dir);
	/* Check every name first: a typo must not reset half the nodes. */
	if (lab_nodes_have_disks(lab, dir, have, argv + optind, argc - optind) != EXIT_OK) {
		strv_free(have);
		return EXIT_CONFIG;
	}
	rc = lab_hold_down(lab, "reset", &h);
	if (rc) {
		lab_release(&h);
		strv_free(have);
		return rc;
	}
	if (!have[0])
		msg_info("lab '%s' has no node disks in %s: nothing to reset", lab, dir);
	/* The warm snapshot covers every node: resetting any drops it. */
	warm_forget(dir);
	for (char **p = have; *p && rc == EXIT_OK; p++) {
		bool named = optind == argc;

		for (int i = optind; i < argc; i++)
			named |= !strcmp(*p, argv[i]);
		if (!named)
			continue;
		struct vl_err e = {0};

		if (disk_reset(dir, *p, &e) < 0) {
			rc = vl_report(&e); /* EXIT_ENV */
		} else {
			printf("reset node %s of lab %s (its disk %s/%s.qcow2 is gone; the next "
			       "`up` "
			       "starts it from the image)\n",
			       *p, lab, dir, *p);
		}
	}
	lab_release(&h);
	strv_free(have);
	return rc;
}

static void rm_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab rm [--yes] [--state DIR] LAB\n"
		   "Remove everything vacmlab keeps for LAB: its state dir with every node's disk\n"
		   "(configuration, nvlog, snapshots) and its logs. Asks on a terminal; scripts\n"
		   "must pass --yes. The lab must be down.\n\n"
		   "  --yes, -y     do not ask\n"
		   "  --state DIR   the lab's state dir, if `up` was given --state DIR\n");
}

/* A --state DIR is the user's choice: before deleting it whole, check it
 * looks like what `up` made (a logs/ dir or node disks), not e.g. $HOME. */
static bool looks_like_state_dir(const char *dir, char **nodes)
{
	_cleanup_free_ char *logs = path_in(dir, LF_LOGS);
	struct stat st;

	return nodes[0] || (lstat(logs, &st) == 0 && S_ISDIR(st.st_mode));
}

int cmd_rm(int argc, char **argv)
{
	static const struct option lo[] = {
		{"yes", no_argument, NULL, 'y'},
		{"state", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *state = NULL, *lab;
	_cleanup_free_ char *dir = NULL;
	struct lab_hold h;
	struct stat st;
	bool yes = false;
	char **nodes;
	int c, rc, r;

	while ((c = getopt_long(argc, argv, "yh", lo, NULL)) != -1) {
		switch (c) {
		case 'y': yes = true; break;
		case 'S': state = optarg; break;
		case 'h': rm_usage(stdout); return EXIT_OK;
		default: rm_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind != argc - 1) {
		rm_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	if ((rc = lab_arg(lab)) != EXIT_OK)
		return rc;
	dir = statedir_lab(lab, state, NULL); /* checked above */
	if (lstat(dir, &st) < 0) {
		msg_info("lab '%s' has no state in %s: nothing to remove", lab, dir);
		return EXIT_OK;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
		msg_err("%s is not a directory of yours (a symlink?): not removing it", dir);
		return EXIT_STATE;
	}
	nodes = disk_nodes(dir);
	if (!looks_like_state_dir(dir, nodes)) {
		msg_err("%s does not look like a vacmlab state dir (no node disks, no logs/): "
			"not removing it",
			dir);
		strv_free(nodes);
		return EXIT_STATE;
	}
	rc = lab_hold_down(lab, "rm", &h);
	if (rc)
		goto out_unlock;
	if (!yes) {
		_cleanup_free_ char *list = strv_join(nodes);
		char ans[16] = "";

		if (!isatty(0) || !isatty(2)) {
			msg_err("not removing %s without confirmation: no terminal to ask on; "
				"pass --yes",
				dir);
			rc = EXIT_CONFIG;
			goto out_unlock;
		}
		fprintf(stderr,
			"Remove lab %s's state in %s\n  (disks of node%s %s: their "
			"configuration, nvlog and snapshots; and the logs)? [y/N] ",
			lab, dir, nodes[0] && nodes[1] ? "s" : "", nodes[0] ? list : "(none)");
		fflush(stderr);
		if (!fgets(ans, sizeof(ans), stdin) || (ans[0] != 'y' && ans[0] != 'Y')) {
			fprintf(stderr, "not removed\n");
			rc = EXIT_STATE;
			goto out_unlock;
		}
	}
	warm_forget(dir);
	r = rm_rf(dir);
	if (r) {
		msg_err("removing %s: %s", dir, strerror(-r));
		rc = EXIT_ENV;
	} else {
		printf("removed lab %s's state %s\n", lab, dir);
	}
out_unlock:
	lab_release(&h);
	strv_free(nodes);
	return rc;
}
