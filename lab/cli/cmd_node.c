// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_node.c - `vacmlab node stop|start|restart|reset|kill LAB NODE` and
 * `vacmlab host restart LAB HOST`: the lifecycle of one node (or a test
 * service host's command) of a running lab, for tests that cause failures.
 * The supervisor does the work (control methods "node" and "host",
 * lab/sv/sv_ctl.c) and answers when it is done: stop when QEMU is gone,
 * start and restart when the node is ready again.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/cli/console.h"
#include "lab/lib/error.h"
#include "lab/lib/util.h"
#include "lab/sv/supervisor.h"

/* The operations and their help: supervisor.h's table (NODE_OPS). */
static void node_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab node [--timeout S] ");
	for (int op = OP_STOP; op < N_NODE_OPS; op++)
		fprintf(f, "%s%s", op > OP_STOP ? "|" : "", node_op_name(op));
	fprintf(f, " LAB NODE\n");
	for (int op = OP_STOP; op < N_NODE_OPS; op++)
		fprintf(f, "  %-8s %s\n", node_op_name(op), node_op_help(op));
}

static int node_call(const char *lab, json_t *req, const char *what, int timeout_ms)
{
	struct vl_err e = {0};

	if (ctl_ask(lab, req, -1, timeout_ms, NULL, &e) < 0) {
		vl_wrap(&e, "%s", what);
		return vl_report(&e);
	}
	return EXIT_OK;
}

int cmd_node(int argc, char **argv)
{
	static const struct option lo[] = {
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	double timeout = 20;
	const char *op, *lab, *node;
	char what[256];
	int c, rc;
	long long t0;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			if (duration_arg("--timeout", optarg, DURATION_MAX_S, &timeout) < 0)
				return EXIT_CONFIG;
			break;
		case 'h': node_usage(stdout); return EXIT_OK;
		default: node_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind != 3) {
		node_usage(stderr);
		return EXIT_CONFIG;
	}
	op = argv[optind];
	lab = argv[optind + 1];
	node = argv[optind + 2];
	if ((rc = lab_arg(lab)) != EXIT_OK)
		return rc;
	if (node_op_parse(op) == OP_NONE) {
		msg_err("unknown node operation '%s'", op);
		node_usage(stderr);
		return EXIT_CONFIG;
	}
	snprintf(what, sizeof(what), "node %s %s of lab %s", op, node, lab);
	t0 = now_ms();
	/* start waits for readiness (up to the node's timeout, at most an
	 * hour); stop for the power-off and its escalation. */
	rc = node_call(lab,
		       json_pack("{s:s,s:s,s:s,s:f}", "cmd", "node", "op", op, "node", node,
				 "timeout", timeout),
		       what, (int)(timeout * 1000) + 3600 * 1000);
	if (rc == EXIT_OK)
		msg_info("%s: done in %.1f s", what, (double)(now_ms() - t0) / 1000.0);
	return rc;
}

int cmd_host(int argc, char **argv)
{
	char what[256];

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: vacmlab host restart LAB HOST\n"
		       "Restart the command of test-service host HOST (its whole process tree).\n");
		return EXIT_OK;
	}
	if (argc != 4 || strcmp(argv[1], "restart")) {
		fprintf(stderr, "usage: vacmlab host restart LAB HOST\n");
		return EXIT_CONFIG;
	}
	if (lab_arg(argv[2]) != EXIT_OK)
		return EXIT_CONFIG;
	snprintf(what, sizeof(what), "host restart %s of lab %s", argv[3], argv[2]);
	return node_call(
		argv[2],
		json_pack("{s:s,s:s,s:s}", "cmd", "host", "op", "restart", "host", argv[3]), what,
		30000);
}
