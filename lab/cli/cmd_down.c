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
	fprintf(f, "usage: vacmlab down [--timeout SECONDS] LAB\n"
		   "Power every node off gracefully (ACPI power button), waiting up to\n"
		   "SECONDS (default 20) before QMP quit, SIGTERM and SIGKILL; then stop\n"
		   "dnsmasq and remove the lab. Disks and logs are kept (see `vacmlab rm`).\n");
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

	while ((c = getopt_long(argc, argv, "+ht:", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			timeout = atof(optarg);
			if (timeout < 0 || timeout > 3600) {
				msg_err("--timeout must be 0..3600 seconds");
				return EXIT_CONFIG;
			}
			break;
		case 'h': down_usage(stdout); return EXIT_OK;
		default: down_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind >= argc) {
		down_usage(stderr);
		return EXIT_CONFIG;
	}
	for (int i = optind; i < argc; i++) {
		int r = lab_down(argv[i], timeout, false);

		if (r)
			rc = r;
	}
	return rc;
}
