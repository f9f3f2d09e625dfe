// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_impair.c - `vacmlab impair LAB NODE[:NIC] SPEC|clear`: change the link
 * impairment (netem, tbf for rate) of a running lab's NIC through the
 * supervisor's control socket. The spec is checked here first with the same
 * parser the topology uses, so a typo never reaches the supervisor.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/error.h"
#include "lab/lib/impair.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

static void impair_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab impair LAB NODE[:NIC] SPEC...\n"
		   "       vacmlab impair LAB NODE[:NIC] clear\n"
		   "Set (replace) or clear the impairment of a node's or host's NIC(s) in a\n"
		   "running lab. NIC is ethN or N; without it every NIC of NODE is changed.\n"
		   "SPEC: [to|from|both] [delay TIME [jitter TIME]] [loss PCT%%]\n"
		   "      [duplicate PCT%%] [corrupt PCT%%] [reorder PCT%% (needs delay)]\n"
		   "      [rate RATE], e.g.\n"
		   "  vacmlab impair two-node vacm1:eth0 delay 100ms jitter 10ms loss 1%%\n"
		   "  vacmlab impair two-node vacm1 from rate 8mbit\n"
		   "Direction: to (the default) shapes what reaches the node or host, from\n"
		   "what it sends, both both. clear removes both. A rate alone needs only\n"
		   "tbf; the rest needs the kernel's netem. See docs/harness.md.\n");
}

/* "vacm1", "vacm1:eth1", "vacm1:1" -> owner, nic index (-1: all). */
static int parse_target(const char *arg, char **owner, int *nic)
{
	const char *colon = strchr(arg, ':');
	char *end;
	long v;

	*nic = -1;
	if (!colon) {
		*owner = xstrdup(arg);
		return 0;
	}
	*owner = xasprintf("%.*s", (int)(colon - arg), arg);
	colon++;
	if (!strncmp(colon, "eth", 3))
		colon += 3;
	v = strtol(colon, &end, 10);
	if (!*colon || *end || v < 0 || v >= TOPO_MAX_NICS)
		return -1;
	*nic = (int)v;
	return 0;
}

int cmd_impair(int argc, char **argv)
{
	static const struct option lo[] = {
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	_cleanup_free_ char *owner = NULL, *spec = NULL;
	struct impair im;
	struct vl_err e = {0};
	const char *lab;
	json_t *req;
	int c, nic;
	size_t len = 0;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': impair_usage(stdout); return EXIT_OK;
		default: impair_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind < 3) {
		impair_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	if (parse_target(argv[optind + 1], &owner, &nic) < 0 || !owner[0]) {
		msg_err("bad target '%s': expected NODE, NODE:ethN or NODE:N", argv[optind + 1]);
		return EXIT_CONFIG;
	}
	for (int i = optind + 2; i < argc; i++)
		len += strlen(argv[i]) + 1;
	spec = xcalloc(1, len + 1);
	for (int i = optind + 2; i < argc; i++) {
		if (i > optind + 2)
			strcat(spec, " ");
		strcat(spec, argv[i]);
	}
	if (strcmp(spec, "clear") && impair_parse(spec, &im, &e) < 0) {
		vl_wrap(&e, "bad impairment '%s'", spec);
		return vl_report(&e); /* EXIT_CONFIG */
	}
	req = json_pack("{s:s,s:s,s:s}", "cmd", "impair", "node", owner, "spec", spec);
	if (nic >= 0)
		json_object_set_new(req, "nic", json_integer(nic));
	if (ctl_ask(lab, req, -1, 10000, NULL, &e) < 0) {
		vl_wrap(&e, "lab '%s'", lab);
		return vl_report(&e);
	}
	if (nic >= 0)
		msg_info("%s:eth%d: %s", owner, nic,
			 !strcmp(spec, "clear") ? "impairment cleared" : spec);
	else
		msg_info("%s (every NIC): %s", owner,
			 !strcmp(spec, "clear") ? "impairment cleared" : spec);
	return EXIT_OK;
}
