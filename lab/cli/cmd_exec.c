// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_exec.c - `vacmlab exec LAB [--host NAME] -- CMD...`: run CMD inside
 * the lab's user and network namespaces (or a test-service host's network
 * namespace) and return its exit status.
 *
 * Like `ip netns exec`, it gives CMD a private mount namespace in which
 * the lab's resolv.conf is bind-mounted over /etc/resolv.conf, so lab
 * names (vacm1, vacm1.two-node) resolve through the lab's dnsmasq.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"
#include "netns/ns.h"

static void exec_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab exec LAB [--host NAME] -- CMD [ARGS...]\n"
		   "Run CMD inside the lab's network namespace (as the lab's root, which is\n"
		   "you outside), or inside test-service host NAME. Lab DNS names resolve.\n"
		   "Returns CMD's exit status (127 if it cannot be run).\n");
}

int cmd_exec(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *host = NULL, *lab = NULL;
	struct vl_err e = {0};
	int c, rc;

	/* Options before or after LAB; CMD is what follows LAB and its
	 * options (after `--`, or the first other word): nothing of CMD is
	 * ever read as an option. Two "+" passes, the second over the words
	 * after LAB (optind 0 starts getopt afresh at their argv[1]). */
	for (int pass = 0; pass < 2; pass++) {
		while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
			switch (c) {
			case 'H': host = optarg; break;
			case 'h': exec_usage(stdout); return EXIT_OK;
			default: exec_usage(stderr); return EXIT_CONFIG;
			}
		}
		if (pass == 0) {
			if (optind >= argc) {
				exec_usage(stderr);
				return EXIT_CONFIG;
			}
			lab = argv[optind];
			argv += optind;
			argc -= optind;
			optind = 0;
		}
	}
	if ((rc = lab_arg(lab)) != EXIT_OK)
		return rc;
	if (optind >= argc) {
		exec_usage(stderr);
		return EXIT_CONFIG;
	}
	if (lab_enter(lab, host, &e) < 0) {
		vl_report(&e);
		return EXIT_STATE;
	}
	execvp(argv[optind], argv + optind);
	msg_err("exec %s: %s", argv[optind], strerror(errno));
	return 127;
}
