// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_link.c - `vacmlab link down|up LAB NODE[:ethN]`: pull and plug a
 * cable. A node's NIC: QEMU's set_link on the NIC's netdev (id nN, see
 * lib/qemu.c), which sets the link of the netdev and of the guest's NIC:
 * the guest sees carrier 0 and no frame passes either way. A [host]'s NIC:
 * the lab end of its veth goes down (control method "link"), so the host's
 * end loses its carrier. Without :ethN every NIC of the node or host.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/error.h"
#include "lab/cli/client_status.h"
#include "lab/lib/util.h"

static void link_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab link down|up LAB NODE[:ethN]\n"
		   "       vacmlab link down|up LAB NODE:ttySN\n"
		   "Pull (down) or plug (up) the cable of a node's or host's NIC (every NIC\n"
		   "without :ethN): the guest sees its carrier go and traffic stops.\n"
		   "NODE:ttySN pulls or plugs a serial cable (serial = cable:...) at either\n"
		   "end: bytes sent while it is pulled are lost.\n");
}

/* The number of NICs of @owner in status @st; *@host if a [host]. -1 if
 * there is no such node or host. */
static int nic_count(json_t *st, const char *owner, bool *host)
{
	struct st_lab l;
	struct st_owner o;

	if (!st_lab_get(st, &l))
		return -1;
	if (!st_find_node(&l, owner, &o) && !st_find_host(&l, owner, &o))
		return -1;
	*host = o.is_host;
	return (int)o.n_nics;
}

/* NODE:ttySN: a serial cable between two nodes (the supervisor relays
 * it; control method "cable"). */
static int link_cable(const char *lab, const char *target, bool up)
{
	const char *colon = strchr(target, ':');
	_cleanup_free_ char *node = xasprintf("%.*s", (int)(colon - target), target);
	struct vl_err e = {0};
	char *end;
	long v = strtol(colon + 5, &end, 10);
	json_t *req;

	if (!colon[5] || *end || v < 0 || v >= TOPO_MAX_SERIAL) {
		msg_err("bad target '%s': expected NODE:ttySN (0..%d)", target,
			TOPO_MAX_SERIAL - 1);
		return EXIT_CONFIG;
	}
	req = json_pack("{s:s,s:s,s:i,s:b}", "cmd", "cable", "node", node, "port", (int)v, "up",
			up);
	if (ctl_ask(lab, req, -1, 10000, NULL, &e) < 0) {
		vl_wrap(&e, "lab '%s'", lab);
		return vl_report(&e);
	}
	msg_info("%s: serial cable %s", target, up ? "plugged in" : "pulled");
	return EXIT_OK;
}

int cmd_link(int argc, char **argv)
{
	static const struct option lo[] = {
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *lab, *target, *colon;
	_cleanup_free_ char *owner = NULL;
	struct vl_err e = {0};
	bool up, host = false;
	int c, nic = -1, n;
	json_t *st;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h': link_usage(stdout); return EXIT_OK;
		default: link_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind != 3 || (strcmp(argv[optind], "down") && strcmp(argv[optind], "up"))) {
		link_usage(stderr);
		return EXIT_CONFIG;
	}
	up = !strcmp(argv[optind], "up");
	lab = argv[optind + 1];
	target = argv[optind + 2];
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	colon = strchr(target, ':');
	if (colon && !strncmp(colon + 1, "ttyS", 4))
		return link_cable(lab, target, up);
	if (colon) {
		char *end;
		const char *x = colon + 1;
		long v;

		if (!strncmp(x, "eth", 3))
			x += 3;
		v = strtol(x, &end, 10);
		if (!*x || *end || v < 0 || v >= TOPO_MAX_NICS) {
			msg_err("bad target '%s': expected NODE or NODE:ethN", target);
			return EXIT_CONFIG;
		}
		nic = (int)v;
		owner = xasprintf("%.*s", (int)(colon - target), target);
	} else {
		owner = xstrdup(target);
	}
	st = ctl_status(lab, &e);
	if (!st)
		return vl_report(&e);
	n = nic_count(st, owner, &host);
	json_decref(st);
	if (n < 0) {
		msg_err("lab '%s' has no node or host '%s'", lab, owner);
		return EXIT_CONFIG;
	}
	if (nic >= n) {
		msg_err("%s has no eth%d (it has %d NIC%s)", owner, nic, n, n == 1 ? "" : "s");
		return EXIT_CONFIG;
	}
	for (int i = nic >= 0 ? nic : 0; i < (nic >= 0 ? nic + 1 : n); i++) {
		if (host) {
			json_t *req = json_pack("{s:s,s:s,s:i,s:b}", "cmd", "link", "node", owner,
						"nic", i, "up", up);
			if (ctl_ask(lab, req, -1, 10000, NULL, &e) < 0) {
				vl_wrap(&e, "lab '%s'", lab);
				return vl_report(&e);
			}
		} else {
			_cleanup_free_ char *id = xasprintf("n%d", i);

			if (ctl_qmp(lab, owner, "set_link",
				    json_pack("{s:s,s:b}", "name" /* not status */, id, "up", up),
				    NULL, 10000, &e) < 0) {
				vl_wrap(&e, "%s:eth%d: set_link", owner, i);
				return vl_report(&e);
			}
		}
		msg_info("%s:eth%d: cable %s", owner, i, up ? "plugged in" : "pulled");
	}
	return EXIT_OK;
}
