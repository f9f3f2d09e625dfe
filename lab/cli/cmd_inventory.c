// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_inventory.c - `vacmlab inventory LAB --format ansible|ssh-config|json`:
 * a running lab's nodes and their addresses in the shape tools that drive
 * appliances read.
 *
 * The addresses are inside the lab, reachable from nowhere else. Two ways
 * in are offered: a node with a TCP forward to its port 22 is reached at the
 * forward's host address; any other node through an ssh ProxyCommand that
 * runs `vacmlab exec LAB -- nc %h %p`, which needs no privilege. Running the
 * tool itself under `vacmlab exec LAB --` works with the plain addresses too.
 */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lab/cli/client.h"
#include "lab/cli/cmds.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"

struct inv_node {
	const char *name, *dns, *addr; /* addr: first NIC's address or NULL */
	json_t *addrs;
	char fwd_host[64];
	int fwd_port; /* >0: a forward to guest port 22 */
};

/* The machine this is, for a lab spread over machines (else NULL). */
static const char *inv_here;

static void node_of(json_t *n, struct inv_node *o)
{
	const char *on = json_string_value(json_object_get(n, SK_MACHINE));

	json_t *x;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->name = json_string_value(json_object_get(n, SK_NAME));
	o->dns = json_string_value(json_object_get(n, SK_DNS));
	o->addrs = json_array();
	json_array_foreach (json_object_get(n, SK_NICS), i, x) {
		const char *a = json_string_value(json_object_get(x, SK_ADDRESS));

		if (!a)
			continue;
		if (!o->addr)
			o->addr = a;
		json_array_append_new(o->addrs, json_string(a));
	}
	/* A node on another machine: its forwards listen there. */
	if (on && inv_here && strcmp(on, inv_here))
		return;
	json_array_foreach (json_object_get(n, SK_FORWARDS), i, x) {
		const char *listen = json_string_value(json_object_get(x, SK_LISTEN));
		const char *colon = listen ? strrchr(listen, ':') : NULL;
		const char *proto = json_string_value(json_object_get(x, SK_PROTO));

		if (json_integer_value(json_object_get(x, SK_GUEST_PORT)) != 22 || !colon ||
		    o->fwd_port || (proto && strcmp(proto, SKV_PROTO_TCP)))
			continue;
		snprintf(o->fwd_host, sizeof(o->fwd_host), "%.*s", (int)(colon - listen), listen);
		o->fwd_port = atoi(colon + 1);
	}
}

/* This very vacmlab binary, for commands the tools run back. */
static void self_path(char self[PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", self, PATH_MAX - 1);

	if (n <= 0)
		snprintf(self, PATH_MAX, "vacmlab");
	else
		self[n] = '\0';
}

/* Ansible group names are identifiers: two-node -> two_node. */
static void group_name(const char *lab, char *out, size_t len)
{
	size_t i;

	for (i = 0; lab[i] && i + 1 < len; i++)
		out[i] = (lab[i] >= 'a' && lab[i] <= 'z') || (lab[i] >= '0' && lab[i] <= '9')
				 ? lab[i]
				 : '_';
	out[i] = '\0';
}

/* The connection plugin installed with vacmlab (contrib/ansible/). */
static void print_ansible_console(const char *lab, json_t *st, const char *self)
{
	char group[64];
	json_t *n;
	size_t i;

	group_name(lab, group, sizeof(group));
	printf("# vacmlab inventory %s --format ansible --connection console\n"
	       "# Commands run over each node's serial console (no sshd or Python needed;\n"
	       "# use the raw module, gather_facts: false). The plugin is vacmlab.py in\n"
	       "# /usr/share/vacmlab/ansible/connection_plugins (or contrib/ansible/ in the\n"
	       "# source tree): ANSIBLE_CONNECTION_PLUGINS=THAT-DIR ansible-playbook -i FILE ...\n"
	       "[%s]\n",
	       lab, group);
	json_array_foreach (json_object_get(st, SK_NODES), i, n) {
		struct inv_node o;

		node_of(n, &o);
		printf("%s vacmlab_dns=%s", o.name, o.dns ? o.dns : "");
		if (o.addr)
			printf(" vacmlab_address=%s", o.addr);
		printf("\n");
		json_decref(o.addrs);
	}
	printf("\n[%s:vars]\nansible_connection=vacmlab\nvacmlab_lab=%s\nvacmlab_program=%s\n",
	       group, lab, self);
}

static void print_ansible(const char *lab, json_t *st, const char *proxy)
{
	char group[64];
	json_t *n;
	size_t i;

	group_name(lab, group, sizeof(group));
	printf("# vacmlab inventory %s --format ansible\n"
	       "# Nodes with a forward to port 22 are reached through it, the others\n"
	       "# through `vacmlab exec %s -- nc` (ssh ProxyCommand). Appliances without\n"
	       "# Python need the raw module: ansible %s -i FILE -m raw -a 'uname -a'\n"
	       "[%s]\n",
	       lab, lab, group, group);
	json_array_foreach (json_object_get(st, SK_NODES), i, n) {
		struct inv_node o;

		node_of(n, &o);
		printf("%s", o.name);
		if (o.fwd_port)
			printf(" ansible_host=%s ansible_port=%d ansible_ssh_common_args='-o "
			       "StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'",
			       o.fwd_host, o.fwd_port);
		else if (o.addr)
			printf(" ansible_host=%s", o.addr);
		printf(" vacmlab_lab=%s vacmlab_dns=%s", lab, o.dns ? o.dns : "");
		if (o.addr)
			printf(" vacmlab_address=%s", o.addr);
		printf("\n");
		json_decref(o.addrs);
	}
	printf("\n[%s:vars]\n"
	       "ansible_connection=ssh\n"
	       "ansible_user=root\n"
	       "ansible_ssh_common_args='-o ProxyCommand=\"%s\" -o StrictHostKeyChecking=no "
	       "-o UserKnownHostsFile=/dev/null'\n",
	       group, proxy);
}

static void print_ssh_config(const char *lab, json_t *st, const char *proxy)
{
	json_t *n;
	size_t i;

	printf("# vacmlab inventory %s --format ssh-config: ssh -F THIS-FILE NODE\n", lab);
	json_array_foreach (json_object_get(st, SK_NODES), i, n) {
		struct inv_node o;

		node_of(n, &o);
		printf("\nHost %s%s%s\n", o.name, o.dns ? " " : "", o.dns ? o.dns : "");
		if (o.fwd_port) {
			printf("    HostName %s\n    Port %d\n", o.fwd_host, o.fwd_port);
		} else {
			printf("    HostName %s\n", o.addr ? o.addr : o.dns ? o.dns : o.name);
			printf("    ProxyCommand %s\n", proxy);
		}
		printf("    User root\n    StrictHostKeyChecking no\n"
		       "    UserKnownHostsFile /dev/null\n");
		json_decref(o.addrs);
	}
}

static void print_json(const char *lab, json_t *st, const char *proxy)
{
	json_t *nodes = json_array(), *hosts = json_array(), *n;
	size_t i;

	json_array_foreach (json_object_get(st, SK_NODES), i, n) {
		struct inv_node o;
		json_t *ssh;

		node_of(n, &o);
		if (o.fwd_port)
			ssh = json_pack("{s:s,s:i}", "host", o.fwd_host, SK_PORT, o.fwd_port);
		else
			ssh = json_pack("{s:s?,s:i,s:s}", "host", o.addr, SK_PORT, 22,
					"proxy_command", proxy);
		json_array_append_new(
			nodes, json_pack("{s:s?,s:s?,s:s?,s:o,s:O?,s:O?,s:o,s:O?,s:O?}", SK_NAME,
					 o.name, SK_DNS, o.dns, SK_ADDRESS, o.addr, "addresses",
					 o.addrs, SK_STATE, json_object_get(n, SK_STATE), SK_NICS,
					 json_object_get(n, SK_NICS), "ssh", ssh, SK_CONSOLE,
					 json_object_get(n, SK_CONSOLE), SK_MACHINE,
					 json_object_get(n, SK_MACHINE)));
	}
	json_array_foreach (json_object_get(st, SK_HOSTS), i, n)
		json_array_append_new(hosts, json_pack("{s:O,s:O?,s:O?}", SK_NAME,
						       json_object_get(n, SK_NAME), SK_DNS,
						       json_object_get(n, SK_DNS), SK_MACHINE,
						       json_object_get(n, SK_MACHINE)));
	json_t *root = json_pack("{s:s,s:O,s:o,s:o}", SK_LAB, lab, SK_DOMAIN,
				 json_object_get(st, SK_DOMAIN), SK_NODES, nodes, SK_HOSTS, hosts);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(root);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vacmlab inventory [--format ansible|ssh-config|json] [--connection "
		   "ssh|console]\n"
		   "                         LAB\n"
		   "\n"
		   "Print the nodes of running lab LAB with their addresses for tools that\n"
		   "drive appliances. Nodes with a forward to port 22 are reached through it;\n"
		   "the others through an ssh ProxyCommand running `vacmlab exec LAB -- nc`.\n"
		   "See docs/harness.md for an Ansible playbook.\n"
		   "\n"
		   "  --format ansible      an INI inventory, one group named after the lab "
		   "(default)\n"
		   "  --format ssh-config   Host blocks for ssh -F\n"
		   "  --format json         nodes, addresses, NICs, ssh endpoint, console\n"
		   "  --connection console  ansible: run commands over the serial consoles with\n"
		   "                        the vacmlab connection plugin (no sshd on the node)\n"
		   "  --help                this text\n");
}

int cmd_inventory(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"connection", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "ansible", *conn = "ssh", *lab;
	_cleanup_free_ char *proxy = NULL;
	char self[PATH_MAX];
	struct vl_err e = {0};
	json_t *st;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'c': conn = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (strcmp(format, "ansible") && strcmp(format, "ssh-config") && strcmp(format, "json")) {
		msg_err("unknown format '%s': ansible, ssh-config or json", format);
		return EXIT_CONFIG;
	}
	if (strcmp(conn, "ssh") && strcmp(conn, "console")) {
		msg_err("unknown connection '%s': ssh or console", conn);
		return EXIT_CONFIG;
	}
	lab = argv[optind];
	if (lab_arg(lab) != EXIT_OK)
		return EXIT_CONFIG;
	st = ctl_status_all(lab, &e);
	if (!st)
		return vl_report(&e);
	inv_here = json_string_value(json_object_get(st, SK_MACHINE));
	self_path(self);
	proxy = xasprintf("%s exec %s -- nc %%h %%p", self, lab);
	if (!strcmp(format, "ansible") && !strcmp(conn, "console"))
		print_ansible_console(lab, st, self);
	else if (!strcmp(format, "ansible"))
		print_ansible(lab, st, proxy);
	else if (!strcmp(format, "ssh-config"))
		print_ssh_config(lab, st, proxy);
	else
		print_json(lab, st, proxy);
	json_decref(st);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_CONFIG;
}
