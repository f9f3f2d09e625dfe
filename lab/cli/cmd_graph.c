// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_graph.c - `vacmlab graph [--format dot|mermaid] TOPO|LAB`: draw a lab's
 * LANs, nodes, hosts and the NICs between them (with addresses), its pasta
 * uplinks and, for a running lab, its vacmlab-attach links.
 *
 * Both sources are first turned into one small JSON model (lans, nodes,
 * hosts, each NIC with lan and address), so the two printers know nothing
 * of where it came from: a topology file (addresses as written, "dhcp" for
 * dynamic ones) or a running lab's status (leased addresses too).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/cli/client.h"
#include "lab/cli/cmds.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

static json_t *model_nics(const struct nic *nics, int n)
{
	json_t *arr = json_array();
	char a[INET_ADDRSTRLEN];

	for (int i = 0; i < n; i++)
		json_array_append_new(
			arr,
			json_pack("{s:s,s:s,s:s}", "if", "", SK_LAN, nics[i].lan->name, SK_ADDRESS,
				  nics[i].addr.s_addr
					  ? inet_ntop(AF_INET, &nics[i].addr, a, sizeof(a))
					  : "dhcp"));
	for (int i = 0; i < n; i++)
		json_object_set_new(json_array_get(arr, (size_t)i), "if", json_sprintf("eth%d", i));
	return arr;
}

/* A serial cable of the model: its ends (NODE, ttySN) and a label. */
static void add_cable(json_t *cables, const char *node, int port, const char *peer, bool plugged,
		      int baud)
{
	const char *colon = strrchr(peer, ':');
	_cleanup_free_ char *pnode = xasprintf("%.*s", colon ? (int)(colon - peer) : 0, peer);
	char label[96];
	int off =
		snprintf(label, sizeof(label), "serial ttyS%d - %s", port, colon ? colon + 1 : "");

	if (baud)
		off += snprintf(label + off, sizeof(label) - (size_t)off, " @%d", baud);
	if (!plugged)
		snprintf(label + off, sizeof(label) - (size_t)off, " (pulled)");
	json_array_append_new(cables, json_pack("{s:s,s:s,s:s,s:b}", "a", node, "b", pnode, "label",
						label, SK_PLUGGED, plugged));
}

/* A device or pty port of the model: the node's port and what is on it
 * (a device's name and state; a pty's path), drawn as a far end of its own. */
static void add_end(json_t *ends, const char *kind, const char *node, int port, const char *name,
		    const char *detail)
{
	json_array_append_new(ends,
			      json_pack("{s:s,s:s,s:i,s:s?,s:s?}", SK_KIND, kind, "node", node,
					SK_INDEX, port, SK_NAME, name, "detail", detail));
}

static json_t *model_from_topo(const struct topo *t)
{
	json_t *lans = json_array(), *nodes = json_array(), *hosts = json_array();
	json_t *cables = json_array(), *ends = json_array();
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	for (int i = 0; i < t->n_lans; i++) {
		const struct lan *l = &t->lans[i];

		json_array_append_new(lans, json_pack("{s:s,s:s,s:s,s:s?}", SK_NAME, l->name,
						      SK_SUBNET, "", SK_ADDRESS,
						      inet_ntop(AF_INET, &l->addr, a, sizeof(a)),
						      SK_UPLINK, l->uplink));
		json_object_set_new(json_array_get(lans, (size_t)i), SK_SUBNET,
				    json_sprintf("%s/%d", inet_ntop(AF_INET, &l->net, b, sizeof(b)),
						 l->prefix));
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *nd = &t->nodes[i];
		json_t *fw = json_array();

		for (int f = 0; f < nd->n_forwards; f++)
			json_array_append_new(
				fw,
				json_sprintf("%s %s:%d -> %d",
					     nd->forwards[f].proto == FORWARD_TCP ? "tcp" : "udp",
					     nd->forwards[f].host_addr, nd->forwards[f].host_port,
					     nd->forwards[f].guest_port));
		json_array_append_new(nodes,
				      json_pack("{s:s,s:o,s:o}", SK_NAME, nd->name, SK_NICS,
						model_nics(nd->nics, nd->n_nics), SK_FORWARDS, fw));
	}
	for (int i = 0; i < t->n_hosts; i++)
		json_array_append_new(hosts,
				      json_pack("{s:s,s:o}", SK_NAME, t->hosts[i].name, SK_NICS,
						model_nics(t->hosts[i].nics, t->hosts[i].n_nics)));
	for (int i = 0; i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_serial; k++) {
			const struct serial_port *sp = &t->nodes[i].serial[k];
			_cleanup_free_ char *peer = NULL;

			if (sp->kind == SERIAL_DEVICE)
				add_end(ends, SKV_PORT_DEVICE, t->nodes[i].name, k, sp->peer, NULL);
			else if (sp->kind == SERIAL_PTY)
				add_end(ends, SKV_PORT_PTY, t->nodes[i].name, k, NULL, NULL);
			if (sp->kind != SERIAL_CABLE || sp->cable_far)
				continue;
			peer = xasprintf("%s:ttyS%d", sp->peer, sp->peer_port);
			add_cable(cables, t->nodes[i].name, k, peer, true, sp->baud);
		}
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:[],s:o,s:o}", SK_LAB, t->name, "source",
			 "topology", SK_LANS, lans, SK_NODES, nodes, SK_HOSTS, hosts, "attachments",
			 "cables", cables, "ends", ends);
}

/* The NICs of a running lab's status, as the model has them. */
static json_t *model_status_nics(json_t *nics)
{
	json_t *arr = json_array(), *n;
	size_t i;

	json_array_foreach (nics, i, n) {
		const char *addr = json_string_value(json_object_get(n, SK_ADDRESS));

		json_array_append_new(
			arr, json_pack("{s:s?,s:s?,s:s}", "if",
				       json_string_value(json_object_get(n, SK_GUEST_IFNAME)),
				       SK_LAN, json_string_value(json_object_get(n, SK_LAN)),
				       SK_ADDRESS, addr ? addr : "no lease yet"));
	}
	return arr;
}

/* The lab's topology as its supervisor read it: the status names the
 * path as given to `up`, relative to the supervisor's working directory. */
static struct topo *lab_topo(json_t *st)
{
	const char *path = json_string_value(json_object_get(st, SK_TOPOLOGY));
	json_int_t pid = json_integer_value(json_object_get(st, SK_SUPERVISOR_PID));
	_cleanup_free_ char *full = NULL;
	struct topo *t = NULL;
	struct topo_err err;

	if (!path)
		return NULL;
	full = path[0] == '/' ? xstrdup(path)
			      : xasprintf("/proc/%lld/cwd/%s", (long long)pid, path);
	if (topo_load(full, &t, &err) < 0)
		return NULL;
	return t;
}

static json_t *model_from_status(const char *lab, json_t *st)
{
	json_t *lans = json_array(), *nodes = json_array(), *hosts = json_array();
	json_t *att = json_array(), *o, *cables = json_array(), *seen = json_object();
	json_t *ends = json_array();
	struct topo *t = NULL;
	size_t i, j;

	json_array_foreach (json_object_get(st, SK_LANS), i, o) {
		const char *name = json_string_value(json_object_get(o, SK_NAME));
		char ifn[16];

		json_array_append_new(lans, json_pack("{s:s?,s:O,s:O,s:O}", SK_NAME, name,
						      SK_SUBNET, json_object_get(o, SK_SUBNET),
						      SK_ADDRESS, json_object_get(o, SK_ADDRESS),
						      SK_UPLINK, json_object_get(o, SK_UPLINK)));
		/* vacmlab-attach's host end lives in our namespace under a
		 * name derived from uid, lab and LAN: its presence is the
		 * attachment (the inner end is on the LAN's bridge). */
		attach_host_ifname(getuid(), lab, name, ifn);
		if (if_nametoindex(ifn))
			json_array_append_new(att,
					      json_pack("{s:s,s:s}", SK_LAN, name, SK_IFNAME, ifn));
	}
	json_array_foreach (json_object_get(st, SK_NODES), i, o) {
		json_t *fw = json_array(), *f;

		json_array_foreach (json_object_get(o, SK_FORWARDS), j, f)
			json_array_append_new(
				fw, json_sprintf(
					    "%s %s -> %lld",
					    json_string_value(json_object_get(f, SK_PROTO)),
					    json_string_value(json_object_get(f, SK_LISTEN)),
					    json_integer_value(json_object_get(f, SK_GUEST_PORT))));
		json_array_append_new(
			nodes,
			json_pack("{s:O,s:o,s:o,s:O?,s:O?}", SK_NAME, json_object_get(o, SK_NAME),
				  SK_NICS, model_status_nics(json_object_get(o, SK_NICS)),
				  SK_FORWARDS, fw, SK_STATE, json_object_get(o, SK_STATE),
				  SK_MACHINE, json_object_get(o, SK_MACHINE)));
		/* Each cable once: from the first end met. */
		json_array_foreach (json_object_get(o, SK_PORTS), j, f) {
			const char *peer = json_string_value(json_object_get(f, SK_PEER));
			const char *name = json_string_value(json_object_get(o, SK_NAME));
			_cleanup_free_ char *me = NULL;
			int idx = (int)json_integer_value(json_object_get(f, SK_INDEX));
			const char *kind = json_string_value(json_object_get(f, SK_KIND)) ?: "";

			if (name && !strcmp(kind, SKV_PORT_DEVICE)) {
				const char *ex =
					json_string_value(json_object_get(f, SK_DEVICE_EXIT));
				_cleanup_free_ char *d = xasprintf(
					"%s%s%s, %lld restarts",
					json_string_value(json_object_get(f, SK_DEVICE_STATE))
						?: "?",
					ex ? " " : "", ex ?: "",
					json_integer_value(json_object_get(f, SK_DEVICE_RESTARTS)));

				add_end(ends, kind, name, idx,
					json_string_value(json_object_get(f, SK_DEVICE)), d);
			} else if (name && !strcmp(kind, SKV_PORT_PTY)) {
				add_end(ends, kind, name, idx, NULL,
					json_string_value(json_object_get(f, SK_PTY)));
			}
			if (!peer || !name ||
			    strcmp(json_string_value(json_object_get(f, SK_KIND)) ?: "",
				   SKV_PORT_CABLE) ||
			    json_object_get(seen, peer))
				continue;
			me = xasprintf("%s:ttyS%d", name, idx);
			json_object_set_new(seen, me, json_true());
			add_cable(cables, name, idx, peer,
				  json_is_true(json_object_get(f, SK_PLUGGED)),
				  (int)json_integer_value(json_object_get(f, SK_BAUD)));
		}
	}
	json_array_foreach (json_object_get(st, SK_HOSTS), i, o) {
		const char *name = json_string_value(json_object_get(o, SK_NAME));
		json_t *nics = json_object_get(o, SK_NICS);

		if (nics) {
			nics = model_status_nics(nics);
		} else {
			/* The status has no host NICs: take them from the file. */
			struct host *h;

			if (!t)
				t = lab_topo(st);
			h = t && name ? topo_find_host(t, name) : NULL;
			nics = h ? model_nics(h->nics, h->n_nics) : json_array();
		}
		json_array_append_new(hosts,
				      json_pack("{s:s?,s:o,s:O?,s:O?}", SK_NAME, name, SK_NICS,
						nics, SK_STATE, json_object_get(o, SK_STATE),
						SK_MACHINE, json_object_get(o, SK_MACHINE)));
	}
	if (t)
		topo_free(t);
	json_decref(seen);
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", SK_LAB, lab, "source", "running lab",
			 SK_LANS, lans, SK_NODES, nodes, SK_HOSTS, hosts, "attachments", att,
			 "cables", cables, "ends", ends);
}

/* ---- printers */

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* A DOT double-quoted string body: escape " and \. */
static void dot_q(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void dot_nics(const char *id, json_t *nics)
{
	json_t *n;
	size_t i;

	json_array_foreach (nics, i, n) {
		char label[96];

		snprintf(label, sizeof(label), "%s %s", str(n, "if"), str(n, SK_ADDRESS));
		printf("  \"%s\" -- \"lan:%s\" [label=", id, str(n, SK_LAN));
		dot_q(label);
		printf("];\n");
	}
}

static void print_dot(json_t *m)
{
	json_t *o;
	size_t i, j;

	printf("graph ");
	dot_q(str(m, SK_LAB));
	printf(" {\n  graph [label=");
	{
		char l[128];

		snprintf(l, sizeof(l), "lab %s (%s)", str(m, SK_LAB), str(m, "source"));
		dot_q(l);
	}
	printf(", labelloc=t, fontname=\"sans\"];\n  node [fontname=\"sans\"];\n"
	       "  edge [fontname=\"sans\", fontsize=10];\n");
	json_array_foreach (json_object_get(m, SK_LANS), i, o) {
		char l[160];

		snprintf(l, sizeof(l), "LAN %s\\n%s\\ngateway %s", str(o, SK_NAME),
			 str(o, SK_SUBNET), str(o, SK_ADDRESS));
		printf("  \"lan:%s\" [shape=box, style=\"rounded,filled\", fillcolor=\"#dde8f5\", "
		       "label=\"",
		       str(o, SK_NAME));
		/* \n must reach DOT as is: print without dot_q's escaping of \. */
		for (const char *c = l; *c; c++)
			printf(*c == '"' ? "\\\"" : "%c", *c);
		printf("\"];\n");
		if (json_string_value(json_object_get(o, SK_UPLINK))) {
			printf("  \"uplink:%s\" [shape=doubleoctagon, label=\"%s "
			       "uplink\\n(outside)\"];\n",
			       str(o, SK_NAME), str(o, SK_UPLINK));
			printf("  \"lan:%s\" -- \"uplink:%s\" [style=dashed, label=\"NAT\"];\n",
			       str(o, SK_NAME), str(o, SK_NAME));
		}
	}
	json_array_foreach (json_object_get(m, SK_NODES), i, o) {
		char id[64];
		json_t *f;

		snprintf(id, sizeof(id), "node:%s", str(o, SK_NAME));
		printf("  \"%s\" [shape=box3d, label=\"node %s", id, str(o, SK_NAME));
		if (*str(o, SK_MACHINE)) /* a lab spread over machines */
			printf("\\non %s (%s)", str(o, SK_MACHINE), str(o, SK_STATE));
		json_array_foreach (json_object_get(o, SK_FORWARDS), j, f)
			printf("\\nforward %s", json_string_value(f));
		printf("\"];\n");
		dot_nics(id, json_object_get(o, SK_NICS));
	}
	json_array_foreach (json_object_get(m, SK_HOSTS), i, o) {
		char id[64];

		snprintf(id, sizeof(id), "host:%s", str(o, SK_NAME));
		printf("  \"%s\" [shape=ellipse, label=\"host %s", id, str(o, SK_NAME));
		if (*str(o, SK_MACHINE))
			printf("\\non %s (%s)", str(o, SK_MACHINE), str(o, SK_STATE));
		printf("\"];\n");
		dot_nics(id, json_object_get(o, SK_NICS));
	}
	json_array_foreach (json_object_get(m, "attachments"), i, o) {
		printf("  \"attach:%s\" [shape=diamond, label=\"vacmlab-attach\\nhost %s\"];\n",
		       str(o, SK_LAN), str(o, SK_IFNAME));
		printf("  \"lan:%s\" -- \"attach:%s\" [style=bold, label=\"veth\"];\n",
		       str(o, SK_LAN), str(o, SK_LAN));
	}
	/* A serial cable: node to node, its own style (dotted, brown). */
	json_array_foreach (json_object_get(m, "cables"), i, o) {
		printf("  \"node:%s\" -- \"node:%s\" [style=%s, color=\"#a0522d\", penwidth=2, "
		       "label=",
		       str(o, "a"), str(o, "b"),
		       json_is_true(json_object_get(o, SK_PLUGGED)) ? "dotted" : "invis");
		dot_q(str(o, "label"));
		printf("];\n");
	}
	/* A device: a node of its own (component) on a serial edge; a pty: a
	 * small host-side endpoint. */
	json_array_foreach (json_object_get(m, "ends"), i, o) {
		bool dev = !strcmp(str(o, SK_KIND), SKV_PORT_DEVICE);
		int port = (int)json_integer_value(json_object_get(o, SK_INDEX));
		char id[96];
		_cleanup_free_ char *label =
			dev ? xasprintf("device %s%s%s%s", str(o, SK_NAME),
					*str(o, "detail") ? " (" : "", str(o, "detail"),
					*str(o, "detail") ? ")" : "")
			    : xasprintf("pty%s%s", *str(o, "detail") ? " " : "", str(o, "detail"));

		if (dev)
			snprintf(id, sizeof(id), "device:%s", str(o, SK_NAME));
		else
			snprintf(id, sizeof(id), "pty:%s:ttyS%d", str(o, "node"), port);
		printf("  \"%s\" [shape=%s, label=", id,
		       dev ? "component" : "cds, fontsize=9, height=0.2");
		dot_q(label);
		printf("];\n  \"node:%s\" -- \"%s\" [style=dashed, color=\"#a0522d\", "
		       "label=\"serial "
		       "ttyS%d\"];\n",
		       str(o, "node"), id, port);
	}
	printf("}\n");
}

/* Mermaid ids: letters, digits and _ only. */
static void mm_id(const char *kind, const char *name)
{
	printf("%s_", kind);
	for (; *name; name++)
		putchar(isalnum((unsigned char)*name) ? *name : '_');
}

/* Mermaid label text: " would end the label, use its entity. */
static void mm_text(const char *s)
{
	for (; *s; s++)
		if (*s == '"')
			printf("#quot;");
		else
			putchar(*s);
}

static void mm_nics(const char *kind, const char *name, json_t *nics)
{
	json_t *n;
	size_t i;

	json_array_foreach (nics, i, n) {
		printf("    ");
		mm_id(kind, name);
		printf(" ---|\"");
		mm_text(str(n, "if"));
		printf(" ");
		mm_text(str(n, SK_ADDRESS));
		printf("\"| ");
		mm_id("lan", str(n, SK_LAN));
		printf("\n");
	}
}

static void print_mermaid(json_t *m)
{
	json_t *o, *f;
	size_t i, j;

	printf("graph LR\n  subgraph ");
	mm_id("lab", str(m, SK_LAB));
	printf(" [\"lab ");
	mm_text(str(m, SK_LAB));
	printf("\"]\n");
	json_array_foreach (json_object_get(m, SK_LANS), i, o) {
		printf("    ");
		mm_id("lan", str(o, SK_NAME));
		printf("[(\"LAN ");
		mm_text(str(o, SK_NAME));
		printf("<br/>%s<br/>gateway %s\")]\n", str(o, SK_SUBNET), str(o, SK_ADDRESS));
		if (json_string_value(json_object_get(o, SK_UPLINK))) {
			printf("    ");
			mm_id("uplink", str(o, SK_NAME));
			printf("{{\"%s uplink\"}}\n    ", str(o, SK_UPLINK));
			mm_id("lan", str(o, SK_NAME));
			printf(" -.-|NAT| ");
			mm_id("uplink", str(o, SK_NAME));
			printf("\n");
		}
	}
	json_array_foreach (json_object_get(m, SK_NODES), i, o) {
		printf("    ");
		mm_id("node", str(o, SK_NAME));
		printf("[\"node ");
		mm_text(str(o, SK_NAME));
		if (*str(o, SK_MACHINE)) {
			printf("<br/>on ");
			mm_text(str(o, SK_MACHINE));
			printf(" (%s)", str(o, SK_STATE));
		}
		json_array_foreach (json_object_get(o, SK_FORWARDS), j, f) {
			printf("<br/>forward ");
			mm_text(json_string_value(f));
		}
		printf("\"]\n");
		mm_nics("node", str(o, SK_NAME), json_object_get(o, SK_NICS));
	}
	json_array_foreach (json_object_get(m, SK_HOSTS), i, o) {
		printf("    ");
		mm_id("host", str(o, SK_NAME));
		printf("([\"host ");
		mm_text(str(o, SK_NAME));
		if (*str(o, SK_MACHINE)) {
			printf("<br/>on ");
			mm_text(str(o, SK_MACHINE));
			printf(" (%s)", str(o, SK_STATE));
		}
		printf("\"])\n");
		mm_nics("host", str(o, SK_NAME), json_object_get(o, SK_NICS));
	}
	json_array_foreach (json_object_get(m, "attachments"), i, o) {
		printf("    ");
		mm_id("attach", str(o, SK_LAN));
		printf("{\"vacmlab-attach<br/>host %s\"}\n    ", str(o, SK_IFNAME));
		mm_id("lan", str(o, SK_LAN));
		printf(" ===|veth| ");
		mm_id("attach", str(o, SK_LAN));
		printf("\n");
	}
	json_array_foreach (json_object_get(m, "cables"), i, o) {
		printf("    ");
		mm_id("node", str(o, "a"));
		printf(" -. \"");
		mm_text(str(o, "label"));
		printf("\" .- ");
		mm_id("node", str(o, "b"));
		printf("\n");
	}
	json_array_foreach (json_object_get(m, "ends"), i, o) {
		bool dev = !strcmp(str(o, SK_KIND), SKV_PORT_DEVICE);
		int port = (int)json_integer_value(json_object_get(o, SK_INDEX));
		_cleanup_free_ char *pid = xasprintf("%s_ttyS%d", str(o, "node"), port);

		printf("    ");
		mm_id(dev ? "device" : "pty", dev ? str(o, SK_NAME) : pid);
		printf(dev ? "[/\"device " : ">\"pty");
		if (!dev && *str(o, "detail"))
			putchar(' ');
		mm_text(dev ? str(o, SK_NAME) : str(o, "detail"));
		printf(dev ? "\"/]\n    " : "\"]\n    ");
		mm_id("node", str(o, "node"));
		printf(" -.-|\"serial ttyS%d\"| ", port);
		mm_id(dev ? "device" : "pty", dev ? str(o, SK_NAME) : pid);
		printf("\n");
	}
	printf("  end\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vacmlab graph [--format dot|mermaid] TOPO|LAB\n"
		"\n"
		"Draw a lab: its LANs, nodes and hosts, the NICs between them with their\n"
		"addresses, pasta uplinks and, for a running LAB, vacmlab-attach links.\n"
		"TOPO is a topology file (an argument naming an existing file or ending\n"
		"in .conf); anything else is a running lab's name.\n"
		"\n"
		"  --format dot       Graphviz (default): vacmlab graph LAB | dot -Tsvg >lab.svg\n"
		"  --format mermaid   a Mermaid flowchart, for Markdown pages\n"
		"  --help             this text\n");
}

int cmd_graph(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "dot", *arg;
	struct stat sb;
	json_t *model;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind != 1 || (strcmp(format, "dot") && strcmp(format, "mermaid"))) {
		if (argc - optind == 1)
			msg_err("unknown format '%s': dot or mermaid", format);
		usage(stderr);
		return EXIT_CONFIG;
	}
	arg = argv[optind];
	if (stat(arg, &sb) == 0 || strchr(arg, '/') ||
	    (strlen(arg) > 5 && !strcmp(arg + strlen(arg) - 5, ".conf"))) {
		struct topo *t;
		struct topo_err err;

		if (topo_load(arg, &t, &err) < 0) {
			topo_err_print(&err);
			return err.env ? EXIT_ENV : EXIT_CONFIG;
		}
		model = model_from_topo(t);
		topo_free(t);
	} else {
		struct vl_err e = {0};
		json_t *st;

		if (lab_arg(arg) != EXIT_OK)
			return EXIT_CONFIG;
		st = ctl_status_all(arg, &e);

		if (!st)
			return vl_report(&e);
		model = model_from_status(arg, st);
		json_decref(st);
	}
	if (!strcmp(format, "dot"))
		print_dot(model);
	else
		print_mermaid(model);
	json_decref(model);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_CONFIG;
}
