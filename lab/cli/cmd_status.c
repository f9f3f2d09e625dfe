// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_status.c - `vacmlab status [--json] [LAB]` and `vacmlab ls [--json]`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/cli/client_status.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

/* --json, and (@here non-NULL: status) --here. */
static int parse_json_flag(int argc, char **argv, bool *json, bool *here, const char *usage)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, 'j'},
		{"here", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "hj", lo, NULL)) != -1) {
		switch (c) {
		case 'j': *json = true; break;
		case 'H':
			if (!here) {
				fprintf(stderr, "%s", usage);
				return -1;
			}
			*here = true;
			break;
		case 'h': printf("%s", usage); return 1;
		default: fprintf(stderr, "%s", usage); return -1;
		}
	}
	return 0;
}

/* A UDP forward: clients now and datagrams each way (sv_udp.c). */
static void udp_line(const struct st_owner *n, const struct st_fwd *f)
{
	printf("  forward udp %s -> %s:%lld (%lld clients, %lld datagrams to the guest, %lld "
	       "back, %lld dropped)\n",
	       f->listen, n->name, f->guest_port, f->active, f->datagrams_to_guest,
	       f->datagrams_from_guest, f->dropped_to_guest + f->dropped_from_guest);
}

/* The lines after the table: machines and tunnels, then forwards. */
static void print_more(const struct st_lab *l)
{
	struct st_owner n;
	struct st_tunnel tn;
	struct st_away a;
	struct st_peer pe;
	struct st_fwd f;
	size_t i;
	json_t *m;

	if (l->machine) {
		printf("  machine %s (this one)", l->machine);
		for (i = 0; st_away(l, i, &a); i++)
			printf("%s %s on %s", i ? "," : "; elsewhere:", a.name, a.machine);
		printf("\n");
		json_array_foreach (json_object_get(l->j, SK_MACHINES), i, m) {
			json_t *rc = json_object_get(m, SK_REACHED);

			if (json_is_true(json_object_get(m, SK_HERE)) || !rc)
				continue;
			printf("  machine %s %s:%lld: %s%s\n",
			       json_string_value(json_object_get(m, SK_NAME)),
			       json_string_value(json_object_get(m, SK_ADDRESS)),
			       json_integer_value(json_object_get(m, SK_PORT)),
			       json_is_true(rc) ? "answered" : "did not answer: ",
			       json_is_true(rc) ? ""
						: json_string_value(
							  json_object_get(m, SK_MACHINE_ERROR)) ?: "?");
		}
		for (i = 0; st_tunnel(l, i, &tn); i++) {
			printf("  tunnel %s lan %s vni %lld (home %s):", tn.device, tn.lan, tn.vni,
			       tn.home);
			for (size_t j = 0; st_peer(&tn, j, &pe); j++)
				printf(" %s=%s:%lld", pe.machine, pe.address, pe.port);
			printf("; rx %lld pkts %lld B, tx %lld pkts %lld B\n", tn.rx_packets,
			       tn.rx_bytes, tn.tx_packets, tn.tx_bytes);
		}
	}
	for (i = 0; i < l->n_nodes; i++) {
		const char *on;

		if (!st_node(l, i, &n))
			continue;
		/* A node elsewhere: its forwards listen on its machine. */
		on = json_string_value(json_object_get(n.j, SK_MACHINE));
		if (on && l->machine && strcmp(on, l->machine))
			continue;
		for (size_t j = 0; st_fwd(&n, j, &f); j++) {
			if (f.proto && !strcmp(f.proto, SKV_PROTO_UDP)) {
				udp_line(&n, &f);
				continue;
			}
			printf("  forward %s -> %s:%lld (%lld connections)\n", f.listen, n.name,
			       f.guest_port, f.connections);
		}
	}
}

int cmd_status(int argc, char **argv)
{
	const char *usage = "usage: vacmlab status [--json] [--here] [LAB]\n"
			    "Each node's state, MAC, addresses, DNS name, console and uptime.\n"
			    "Without LAB: every running lab of yours. A lab spread over machines\n"
			    "shows every machine's part (asked over the underlay); --here only\n"
			    "this machine's.\n";
	bool json = false, here = false;
	int r = parse_json_flag(argc, argv, &json, &here, usage), rc = EXIT_OK;
	char **labs;
	struct vl_err e = {0};
	json_t *all = json_array();
	struct st_lab lab;

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
		json_t *st = here ? ctl_status(*l, &e) : ctl_status_all(*l, &e);

		if (!st) {
			if (optind < argc)
				rc = vl_report(&e);
			vl_clear(&e);
			continue;
		}
		if (json) {
			json_array_append_new(all, st);
			continue;
		}
		st_lab_get(st, &lab);
		printf("lab %s: %s, up %.0f s, %s, runtime %s\n", *l, lab.state, lab.uptime_s,
		       lab.accel, lab.rundir);
		print_status_table(st, stdout);
		print_more(&lab);
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
	int r = parse_json_flag(argc, argv, &json, NULL, usage);
	char **labs = lab_list();
	struct vl_err e = {0};
	json_t *arr = json_array();

	if (r)
		return r > 0 ? EXIT_OK : EXIT_CONFIG;
	if (!json)
		printf("%-20s %-9s %-6s %-8s %s\n", "LAB", "STATE", "NODES", "UPTIME", "TOPOLOGY");
	for (char **l = labs; *l; l++) {
		json_t *st = ctl_status(*l, &e);
		size_t nn = 0, ready = 0, i;
		json_t *n;

		if (!st)
			continue;
		json_array_foreach (json_object_get(st, SK_NODES), i, n) {
			nn++;
			if (!strcmp(json_string_value(json_object_get(n, SK_STATE)), SKV_READY))
				ready++;
		}
		if (json) {
			json_array_append_new(
				arr,
				json_pack("{s:s,s:s,s:O,s:I,s:I,s:O,s:O}", SK_LAB, *l, SK_STATE,
					  json_string_value(json_object_get(st, SK_STATE)),
					  SK_TOPOLOGY, json_object_get(st, SK_TOPOLOGY),
					  SK_LS_NODES, (json_int_t)nn, SK_LS_READY,
					  (json_int_t)ready, SK_UPTIME_S,
					  json_object_get(st, SK_UPTIME_S), SK_SUPERVISOR_PID,
					  json_object_get(st, SK_SUPERVISOR_PID)));
		} else {
			char nodes[32];

			snprintf(nodes, sizeof(nodes), "%zu/%zu", ready, nn);
			printf("%-20s %-9s %-6s %-8.0f %s\n", *l,
			       json_string_value(json_object_get(st, SK_STATE)), nodes,
			       json_number_value(json_object_get(st, SK_UPTIME_S)),
			       json_string_value(json_object_get(st, SK_TOPOLOGY)));
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
