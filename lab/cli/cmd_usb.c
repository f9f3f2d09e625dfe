// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_usb.c - `vacmlab usb LAB NODE insert DIR|IMAGE` and `eject`: a USB
 * key in a running node (control method "usb", lab/sv/sv_usb.c). A
 * directory becomes a FAT image (lab/lib/usbkey.c); an image file is
 * attached read-only as it is.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/cli/client.h"
#include "lab/cli/cmds.h"
#include "lab/lib/error.h"
#include "lab/lib/util.h"

static void usb_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab usb LAB NODE insert DIR|IMAGE\n"
		   "       vacmlab usb LAB NODE eject\n"
		   "Plug a USB key into a running node, or pull it out. A directory becomes a\n"
		   "FAT image (mtools, no root); an image file is attached read-only. The key\n"
		   "stays in the node across its restarts until it is ejected.\n");
}

int cmd_usb(int argc, char **argv)
{
	static const struct option lo[] = {
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char abs[PATH_MAX];
	const char *lab, *node, *op;
	struct vl_err e = {0};
	json_t *req;
	int c, nargs;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': usb_usage(stdout); return EXIT_OK;
		default: usb_usage(stderr); return EXIT_CONFIG;
		}
	}
	nargs = argc - optind;
	if (nargs < 3) {
		usb_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind], node = argv[optind + 1], op = argv[optind + 2];
	if (!((!strcmp(op, "insert") && nargs == 4) || (!strcmp(op, "eject") && nargs == 3))) {
		usb_usage(stderr);
		return EXIT_CONFIG;
	}
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	if (nargs == 4 && !realpath(argv[optind + 3], abs)) {
		msg_err("usb key %s: %m", argv[optind + 3]);
		return EXIT_CONFIG;
	}
	req = json_pack("{s:s, s:s, s:s}", "cmd", "usb", "node", node, "op", op);
	if (nargs == 4)
		json_object_set_new(req, "path", json_string(abs));
	if (ctl_ask(lab, req, -1, 30000, NULL, &e) < 0) {
		vl_wrap(&e, "lab '%s': usb %s on %s", lab, op, node);
		return vl_report(&e);
	}
	return EXIT_OK;
}
