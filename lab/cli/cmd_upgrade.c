// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_upgrade.c - `vacmlab upgrade LAB NODE... --image NEW.bin`: move
 * chosen nodes of a lab that is down to another firmware image, keeping
 * their /etc/config (sda3) and nvlog (sda4). disk_upgrade() does the work
 * (new overlay built aside, renamed over the old one when complete);
 * `vacmlab up --upgrade TOPO` does the same for every node whose image
 * changed. The topology is not read: the next `up` must name the same image
 * (or `up` refuses the node as having a changed base).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/cli/client.h"
#include "lab/cli/cmds.h"
#include "lab/lib/disk.h"
#include "lab/lib/error.h"
#include "lab/lib/part.h"
#include "lab/lib/qemu.h"
#include "lab/lib/rundir.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

static void upgrade_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab upgrade [--state DIR] LAB NODE... --image NEW.bin\n"
		   "Rebuild the disks of the named nodes of LAB (which must be down) on the\n"
		   "image NEW.bin: sda1/sda2 (boot, firmware) and everything else come from\n"
		   "NEW.bin, sda3 (/etc/config) and sda4 (nvlog) from the node's old disk. The\n"
		   "old disk is kept until the new one is complete. Point the topology at\n"
		   "NEW.bin for the next `up` (`up --upgrade TOPO` does both in one step).\n\n"
		   "  --image FILE  the new image.bin\n"
		   "  --state DIR   the lab's state dir, if `up` was given --state DIR\n");
}

int cmd_upgrade(int argc, char **argv)
{
	static const struct option lo[] = {
		{"image", required_argument, NULL, 'i'},
		{"state", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *state = NULL, *image = NULL, *lab;
	_cleanup_free_ char *dir = NULL, *abs = NULL;
	struct lab_hold h = {.fd = -1};
	char **have;
	int c, rc, first;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		case 'S': state = optarg; break;
		case 'h': upgrade_usage(stdout); return EXIT_OK;
		default: upgrade_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind < 2 || !image) {
		upgrade_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	first = optind + 1;
	if ((rc = lab_arg(lab)) != EXIT_OK)
		return rc;
	abs = realpath(image, NULL);
	if (!abs) {
		msg_err("image %s: %s", image, strerror(errno));
		return EXIT_ENV;
	}
	dir = statedir_lab(lab, state, NULL); /* checked above */
	have = disk_nodes(dir);
	/* Every name first: a typo must not upgrade half the nodes. */
	if (lab_nodes_have_disks(lab, dir, have, argv + first, argc - first) != EXIT_OK) {
		strv_free(have);
		return EXIT_CONFIG;
	}
	strv_free(have);
	rc = lab_hold_down(lab, "upgrade", &h);
	for (int i = first; rc == EXIT_OK && i < argc; i++) {
		struct vl_err e = {0};
		long long t0 = now_ms();

		if (disk_upgrade(dir, argv[i], abs, &e) < 0) {
			rc = vl_report(&e);
			break;
		}
		printf("upgraded node %s of lab %s to %s in %.1f s (sda3, sda4 kept)\n", argv[i],
		       lab, abs, (double)(now_ms() - t0) / 1000.0);
	}
	lab_release(&h);
	return rc;
}
