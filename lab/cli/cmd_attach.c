// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_attach.c - `vacmlab attach`: run the privileged helper vacmlab-attach
 * through sudo (directly when already root), and the helper's derived
 * host-side interface name, which `down` checks is gone.
 *
 * The helper trusts nothing from here: it derives the uid from sudo, finds
 * and verifies the lab itself. This wrapper only saves typing.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"

static char *helper_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		char *p = xasprintf("%s/vacmlab-attach", dirname(self));

		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return find_program("vacmlab-attach");
}

int cmd_attach(int argc, char **argv)
{
	_cleanup_free_ char *helper = NULL;
	char **v;
	int k = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: vacmlab attach LAB LAN --bridge HOSTBR | --address CIDR\n"
		       "       vacmlab attach --detach LAB LAN\n"
		       "Connect a lab LAN to the outside through the privileged helper\n"
		       "vacmlab-attach, run with `sudo -n` (see docs/attach.md for the sudoers\n"
		       "line and the allow file %s).\n",
		       VACMLAB_ATTACH_CONF);
		return argc < 2 ? EXIT_CONFIG : EXIT_OK;
	}
	/* LAB is the first word that is not an option or an option's value:
	 * the one name rule, before sudo is even asked. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bridge") || !strcmp(argv[i], "--address")) {
			i++;
		} else if (!strcmp(argv[i], "--")) {
			if (i + 1 < argc && lab_arg(argv[i + 1]) != EXIT_OK)
				return EXIT_CONFIG;
			break;
		} else if (argv[i][0] != '-') {
			if (lab_arg(argv[i]) != EXIT_OK)
				return EXIT_CONFIG;
			break;
		}
	}
	helper = helper_path();
	if (!helper) {
		msg_err("vacmlab-attach not found next to vacmlab or in PATH (make install)");
		return EXIT_ENV;
	}
	v = xcalloc((size_t)argc + 3, sizeof(char *));
	if (geteuid() != 0) {
		v[k++] = (char *)"sudo";
		v[k++] = (char *)"-n";
	}
	v[k++] = helper;
	for (int i = 1; i < argc; i++)
		v[k++] = argv[i];
	execvp(v[0], v);
	msg_err("exec %s: %s", v[0], strerror(errno));
	return 127;
}
