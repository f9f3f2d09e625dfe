// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_qmp.c - `vacmlab qmp LAB NODE COMMAND [ARGUMENTS-JSON]`: one QMP
 * command on a running node, through the lab's supervisor (QEMU's one QMP
 * client), its "return" printed as JSON. For what vacmlab does not model:
 * `vacmlab qmp lab n1 stop`, `vacmlab qmp lab n1 query-status`.
 */
#include <stdio.h>
#include <string.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/util.h"

int cmd_qmp(int argc, char **argv)
{
	json_t *args = NULL, *ret = NULL;
	json_error_t je;
	struct vl_err e = {0};

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: vacmlab qmp LAB NODE COMMAND [ARGUMENTS-JSON]\n"
		       "Run one QMP command on a running node through the lab's supervisor\n"
		       "and print its return value as JSON.\n");
		return EXIT_OK;
	}
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: vacmlab qmp LAB NODE COMMAND [ARGUMENTS-JSON]\n");
		return EXIT_CONFIG;
	}
	if (lab_arg(argv[1]) != EXIT_OK)
		return EXIT_CONFIG;
	if (argc == 5) {
		args = json_loads(argv[4], 0, &je);
		if (!json_is_object(args)) {
			msg_err("arguments must be a JSON object: %s", args ? argv[4] : je.text);
			json_decref(args);
			return EXIT_CONFIG;
		}
	}
	if (ctl_qmp(argv[1], argv[2], argv[3], args, &ret, 60000, &e) < 0) {
		vl_wrap(&e, "%s %s", argv[2], argv[3]);
		return vl_report(&e);
	}
	json_dumpf(ret ? ret : json_null(), stdout, JSON_COMPACT | JSON_ENCODE_ANY);
	fputc('\n', stdout);
	json_decref(ret);
	return EXIT_OK;
}
