// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_up.c - `vacmlab up`: validate, lock, prepare disks and host-side
 * sockets, fork the supervisor and report its progress.
 *
 * Everything that can fail because of the user's input or machine is
 * checked here, before the fork, so a bad topology, a taken port, a missing
 * program or a bad image changes nothing. Sockets that must live in the
 * host namespace (forwards, tcp: serial ports) are made here too: the
 * supervisor inherits them before it unshares.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/disk.h"
#include "lab/lib/env.h"
#include "lab/lib/image.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/sv/supervisor.h"
#include "lab/lib/util.h"

static void up_usage(FILE *f)
{
	fprintf(f,
		"usage: vacmlab up [OPTIONS] TOPO\n"
		"Bring the lab described by TOPO up: bridges, taps, dnsmasq and one QEMU per\n"
		"node inside a user+network namespace of your own. Returns once every node\n"
		"is ready (or fails, naming the node, with nothing left behind).\n\n"
		"  --foreground       stay attached, print state changes, tear down on Ctrl-C\n"
		"  --no-boot          build the network and dnsmasq, boot no guest\n"
		"  --fresh            start every node from a clean disk (config is lost)\n"
		"  --upgrade          a node whose image changed gets its disk rebuilt on the\n"
		"                     new image, keeping its /etc/config and nvlog\n"
		"  --snapshot NAME    start nodes from a saved snapshot (vacmlab snapshot)\n"
		"  --warm             start from the warm snapshot of this topology; boot\n"
		"                     cold and save it when there is none (or it is stale)\n"
		"  --state DIR        keep disks and logs in DIR (default: see README)\n"
		"  --name NAME        override the lab name of the topology\n"
		"  --json             print the final status as JSON instead of a table\n"
		"  --any-image        boot an image that is not VACM-shaped (another appliance)\n"
		"  --machine NAME     bring up only the part of the lab on [machine NAME]\n"
		"                     (a lab spread over machines: docs/multi-machine.md)\n"
		"  --accel MODE       auto (default: KVM if usable, else TCG), kvm or tcg;\n"
		"                     overrides VACMLAB_ACCEL and the topology's [lab] accel\n"

		"  --parallel N       boot at most N nodes at once (default: [lab] boot_parallel,\n"
		"                     else the CPUs under TCG, 4x that under KVM)\n"
		"  --force            boot even if the guests' memory exceeds MemAvailable\n"
		"  --quiet            print nothing but errors\n");
}

int cmd_up(int argc, char **argv)
{
	static const struct option lo[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"no-boot", no_argument, NULL, 'n'},
		{"fresh", no_argument, NULL, 'F'},
		{"snapshot", required_argument, NULL, 's'},
		{"state", required_argument, NULL, 'S'},
		{"name", required_argument, NULL, 'N'},
		{"json", no_argument, NULL, 'j'},
		{"any-image", no_argument, NULL, 'A'},
		{"upgrade", no_argument, NULL, 'U'},
		{"accel", required_argument, NULL, 'X'},
		{"parallel", required_argument, NULL, 'P'},
		{"force", no_argument, NULL, 'F' + 256},
		{"quiet", no_argument, NULL, 'q'},
		{"warm", no_argument, NULL, 'W'},
		{"machine", required_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct up_opts o = {0};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o.foreground = true; break;
		case 'n': o.no_boot = true; break;
		case 'F': o.fresh = true; break;
		case 's': o.snapshot = optarg; break;
		case 'S': o.state_dir = optarg; break;
		case 'N': o.name = optarg; break;
		case 'j': o.json = true; break;
		case 'A': o.any_image = true; break;
		case 'W': o.warm = true; break;
		case 'U': o.upgrade = true; break;
		case 'M': o.machine = optarg; break;
		case 'X': o.accel = optarg; break;
		case 'P':
			o.parallel = parse_parallel(optarg);
			if (o.parallel < 0)
				return EXIT_CONFIG;
			break;
		case 'F' + 256: o.force = true; break;
		case 'q': o.quiet = true; break;
		case 'h': up_usage(stdout); return EXIT_OK;
		default: up_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind != argc - 1) {
		up_usage(stderr);
		return EXIT_CONFIG;
	}
	o.topo_path = argv[optind];
	if (o.warm && (o.snapshot || o.fresh || o.no_boot || o.upgrade)) {
		msg_err("--warm cannot go with %s", o.upgrade	 ? "--upgrade"
						    : o.snapshot ? "--snapshot"
						    : o.fresh	 ? "--fresh"
								 : "--no-boot");
		return EXIT_CONFIG;
	}
	if (o.upgrade && (o.fresh || o.no_boot || o.snapshot)) {
		msg_err("--upgrade cannot go with %s",
			o.fresh	    ? "--fresh (which throws the config away)"
			: o.no_boot ? "--no-boot"
				    : "--snapshot (snapshots belong to the old image)");
		return EXIT_CONFIG;
	}
	if (o.snapshot && (o.fresh || o.no_boot)) {
		msg_err("--snapshot cannot go with %s",
			o.fresh ? "--fresh (a clean disk has no snapshots)" : "--no-boot");
		return EXIT_CONFIG;
	}
	return up_lab(&o);
}
