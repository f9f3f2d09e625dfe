// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_restore.c - `vacmlab restore LAB [SNAPSHOT]`: every node of a
 * running lab back to a snapshot at once (default: the lab's warm
 * snapshot), so a suite keeps one lab up and starts each test clean.
 *
 * The loads run on all nodes in parallel (client_snap.c). The lab's
 * dnsmasq is then restarted with the leases saved with the snapshot
 * (STATEDIR/warm.leases for the warm one, STATEDIR/SNAPSHOT.leases if
 * there is one), so the lease table agrees with what the restored guests
 * believe they hold. Forwards need nothing: they connect per connection.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/error.h"
#include "lab/cli/client_status.h"
#include "lab/lib/util.h"
#include "lab/lib/warm.h"

static void restore_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab restore [--timeout S] LAB [SNAPSHOT]\n"
		   "Bring every node of running lab LAB back to SNAPSHOT (default: the warm\n"
		   "snapshot the lab was started from, `up --warm`), all nodes at once, with\n"
		   "the DHCP leases saved with it.\n");
}

int cmd_restore(int argc, char **argv)
{
	static const struct option lo[] = {
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *lab, *snap = WARM_SNAPSHOT, *statedir;
	const char **nodes;
	char what[256];
	struct vl_err e = {0};
	double timeout = 300;
	json_t *st;
	struct st_lab l;
	struct st_owner o;
	int c, n = 0, rc;
	long long t0 = now_ms();
	_cleanup_free_ char *leases = NULL;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			if (duration_arg("--timeout", optarg, 3600, &timeout) < 0)
				return EXIT_CONFIG;
			if (timeout <= 0) {
				msg_err("--timeout '%s': must be more than 0", optarg);
				return EXIT_CONFIG;
			}
			break;
		case 'h': restore_usage(stdout); return EXIT_OK;
		default: restore_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		restore_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	if ((rc = lab_arg(lab)) != EXIT_OK)
		return rc;
	if (argc - optind == 2)
		snap = argv[optind + 1];
	st = ctl_status(lab, &e);
	if (!st)
		return vl_report(&e);
	st_lab_get(st, &l);
	statedir = l.statedir;
	nodes = xcalloc(l.n_nodes + 1, sizeof(char *));
	for (size_t i = 0; st_node(&l, i, &o); i++) {
		if (!o.pid) {
			msg_err("node %s of lab %s is not running (state %s)", o.name, lab,
				o.state ?: "?");
			free(nodes);
			json_decref(st);
			return EXIT_STATE;
		}
		nodes[n++] = o.name;
	}
	if (statedir) {
		leases = !strcmp(snap, WARM_SNAPSHOT) ? xasprintf("%s/warm.leases", statedir)
						      : xasprintf("%s/%s.leases", statedir, snap);
		if (access(leases, R_OK) < 0) {
			free(leases);
			leases = NULL;
		}
	}
	snprintf(what, sizeof(what), "restoring lab %s to snapshot %s", lab, snap);
	rc = snap_jobs(lab, nodes, n, "snapshot-load", snap, what, (int)(timeout * 1000));
	if (rc == EXIT_OK && leases) {
		if (ctl_ask(lab, json_pack("{s:s,s:s}", "cmd", "dns-reload", "leases", leases), -1,
			    10000, NULL, &e) < 0) {
			vl_wrap(&e, "lab %s: restoring the DHCP leases", lab);
			rc = vl_report(&e);
		}
	}
	if (rc == EXIT_OK)
		msg_info("lab %s is back at snapshot %s (%d node%s, %.2f s)", lab, snap, n,
			 n == 1 ? "" : "s", (double)(now_ms() - t0) / 1000.0);
	free(nodes);
	json_decref(st);
	return rc;
}
