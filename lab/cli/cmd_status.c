// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_status.c - `vacmlab status [--json] [LAB]` and `vacmlab ls [--json]`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/rundir.h"
#include "lab/lib/util.h"

static int parse_json_flag(int argc, char **argv, bool *json, const char *usage)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "hj", lo, NULL)) != -1) {
		switch (c) {
		case 'j': *json = true; break;
		case 'h': printf("%s", usage); return 1;
		default: fprintf(stderr, "%s", usage); return -1;
		}
	}
	return 0;
}

static long long jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* A UDP forward: clients now and datagrams each way (sv_udp.c). */
static void udp_line(json_t *n, json_t *f)
{
	printf("  forward udp %s -> %s:%lld (%lld clients, %lld datagrams to the guest, %lld "
	       "back, %lld dropped)\n",
	       json_string_value(json_object_get(f, "listen")),
	       json_string_value(json_object_get(n, "name")), jint(f, "guest_port"),
	       jint(f, "active"), jint(f, "datagrams_to_guest"), jint(f, "datagrams_from_guest"),
	       jint(f, "dropped_to_guest") + jint(f, "dropped_from_guest"));
}

int cmd_status(int argc, char **argv)
{
	const char *usage = "usage: vacmlab status [--json] [LAB]\n"
			    "Each node's state, MAC, addresses, DNS name, console and uptime.\n"
			    "Without LAB: every running lab of yours.\n";
	bool json = false;
	int r = parse_json_flag(argc, argv, &json, usage), rc = EXIT_OK;
	char **labs, err[512];
	json_t *all = json_array();

	if (r)
		return r > 0 ? EXIT_OK : EXIT_CONFIG;
	for (int i = optind; i < argc; i++)
		if (lab_arg(argv[i]) != EXIT_OK)
			return EXIT_CONFIG;
	if (optind < argc) {
		labs = xcalloc((size_t)(argc - optind) + 1, sizeof(char *));
		for (int i = optind; i < argc; i++)
			labs[i - optind] = xstrdup(argv[i]);
	} else {
		labs = lab_list();
	}
	for (char **l = labs; *l; l++) {
		json_t *st = ctl_status(*l, err, sizeof(err));

		if (!st) {
			if (optind < argc) {
				msg_err("%s", err);
				rc = EXIT_STATE;
			}
			continue;
		}
		if (json) {
			json_array_append_new(all, st);
			continue;
		}
		printf("lab %s: %s, up %.0f s, %s, runtime %s\n", *l,
		       json_string_value(json_object_get(st, "state")),
		       json_number_value(json_object_get(st, "uptime_s")),
		       json_string_value(json_object_get(st, "accel")),
		       json_string_value(json_object_get(st, "rundir")));
		print_status_table(st, stdout);
		if (json_object_get(st, "machine")) {
			size_t i, j;
			json_t *n, *tn, *pe;

			printf("  machine %s (this one)",
			       json_string_value(json_object_get(st, "machine")));
			json_array_foreach (json_object_get(st, "away"), i, n)
				printf("%s %s on %s", i ? "," : "; elsewhere:",
				       json_string_value(json_object_get(n, "name")),
				       json_string_value(json_object_get(n, "machine")));
			printf("\n");
			json_array_foreach (json_object_get(st, "tunnels"), i, tn) {
				printf("  tunnel %s lan %s vni %lld (home %s):",
				       json_string_value(json_object_get(tn, "device")),
				       json_string_value(json_object_get(tn, "lan")),
				       json_integer_value(json_object_get(tn, "vni")),
				       json_string_value(json_object_get(tn, "home")));
				json_array_foreach (json_object_get(tn, "peers"), j, pe)
					printf(" %s=%s:%lld",
					       json_string_value(json_object_get(pe, "machine")),
					       json_string_value(json_object_get(pe, "address")),
					       json_integer_value(json_object_get(pe, "port")));
				printf("; rx %lld pkts %lld B, tx %lld pkts %lld B\n",
				       json_integer_value(json_object_get(tn, "rx_packets")),
				       json_integer_value(json_object_get(tn, "rx_bytes")),
				       json_integer_value(json_object_get(tn, "tx_packets")),
				       json_integer_value(json_object_get(tn, "tx_bytes")));
			}
		}
		{
			size_t i, j;
			json_t *n, *f;

			json_array_foreach (json_object_get(st, "nodes"), i, n) {
				json_array_foreach (json_object_get(n, "forwards"), j, f) {
					const char *pr =
						json_string_value(json_object_get(f, "proto"));

					if (pr && !strcmp(pr, "udp")) {
						udp_line(n, f);
						continue;
					}
					printf("  forward %s -> %s:%lld (%lld connections)\n",
					       json_string_value(json_object_get(f, "listen")),
					       json_string_value(json_object_get(n, "name")),
					       json_integer_value(json_object_get(f, "guest_port")),
					       json_integer_value(
						       json_object_get(f, "connections")));
				}
			}
		}
		json_decref(st);
	}
	if (json) {
		/* One lab asked for: its object; otherwise an array. */
		json_t *out = (optind == argc - 1 && json_array_size(all) == 1)
				      ? json_incref(json_array_get(all, 0))
				      : json_incref(all);

		if (!(optind == argc - 1 && rc))
			json_dumpf(out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(out);
	} else if (!labs[0]) {
		printf("no labs are up\n");
	}
	json_decref(all);
	for (char **l = labs; *l; l++)
		free(*l);
	free(labs);
	return rc;
}

int cmd_ls(int argc, char **argv)
{
	const char *usage = "usage: vacmlab ls [--json]\nThis user's running labs.\n";
	bool json = false;
	int r = parse_json_flag(argc, argv, &json, usage);
	char **labs = lab_list(), err[512];
	json_t *arr = json_array();

	if (r)
		return r > 0 ? EXIT_OK : EXIT_CONFIG;
	if (!json)
		printf("%-20s %-9s %-6s %-8s %s\n", "LAB", "STATE", "NODES", "UPTIME", "TOPOLOGY");
	for (char **l = labs; *l; l++) {
		json_t *st = ctl_status(*l, err, sizeof(err));
		size_t nn = 0, ready = 0, i;
		json_t *n;

		if (!st)
			continue;
		json_array_foreach (json_object_get(st, "nodes"), i, n) {
			nn++;
			if (!strcmp(json_string_value(json_object_get(n, "state")), "ready"))
				ready++;
		}
		if (json) {
			json_array_append_new(
				arr,
				json_pack("{s:s,s:s,s:O,s:I,s:I,s:O,s:O}", "lab", *l, "state",
					  json_string_value(json_object_get(st, "state")),
					  "topology", json_object_get(st, "topology"), "nodes",
					  (json_int_t)nn, "ready", (json_int_t)ready, "uptime_s",
					  json_object_get(st, "uptime_s"), "supervisor_pid",
					  json_object_get(st, "supervisor_pid")));
		} else {
			char nodes[32];

			snprintf(nodes, sizeof(nodes), "%zu/%zu", ready, nn);
			printf("%-20s %-9s %-6s %-8.0f %s\n", *l,
			       json_string_value(json_object_get(st, "state")), nodes,
			       json_number_value(json_object_get(st, "uptime_s")),
			       json_string_value(json_object_get(st, "topology")));
		}
		json_decref(st);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	json_decref(arr);
	for (char **l = labs; *l; l++)
		free(*l);
	free(labs);
	return EXIT_OK;
}
