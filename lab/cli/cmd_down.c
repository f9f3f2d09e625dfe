// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_down.c - `vacmlab down LAB`: ask the supervisor to power every node
 * off (QMP system_powerdown, then quit, SIGTERM, SIGKILL, each bounded),
 * stop dnsmasq and exit; wait until nothing of the lab is left.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"

static void down_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab down [--timeout TIME] LAB...\n"
		   "Power every node off gracefully (ACPI power button), waiting up to\n"
		   "TIME (default 20 s; as 90, 90s, 1.5, 2m) before QMP quit, SIGTERM and\n"
		   "SIGKILL; then stop dnsmasq and remove the lab. Disks and logs are kept\n"
		   "(see `vacmlab rm`).\n");
}

int cmd_down(int argc, char **argv)
{
	static const struct option lo[] = {
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	double timeout = 20;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "ht:", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			if (duration_arg("--timeout", optarg, 3600, &timeout) < 0)
				return EXIT_CONFIG;
			break;
		case 'h': down_usage(stdout); return EXIT_OK;
		default: down_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind >= argc) {
		down_usage(stderr);
		return EXIT_CONFIG;
	}
	/* Every name first: a bad one stops before any lab goes down. */
	for (int i = optind; i < argc; i++)
		if ((rc = lab_arg(argv[i])) != EXIT_OK)
			return rc;
	for (int i = optind; i < argc; i++) {
		int r = lab_down(argv[i], timeout, false);

		if (r)
			rc = r;
	}
	return rc;
}
