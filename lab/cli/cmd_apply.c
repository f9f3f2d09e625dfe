// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_apply.c - `vacmlab apply [--dry-run] TOPO`: change a running lab to
 * the topology TOPO. New LANs, nodes and hosts start, removed ones stop
 * (nodes gracefully, as `down` stops them), a node whose definition changed
 * restarts, the rest is not touched (QEMU, consoles, forwards, captures).
 *
 * The supervisor does the planning and the work (control method "apply",
 * lab/sv/sv_apply.c). This side checks the file (file:line errors), asks
 * for the plan (a dry run), prepares what only the host side can: the
 * disks of nodes that start, the images' checks, the listeners of new
 * nodes' forwards; then asks for the change and waits until the new nodes
 * are ready.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/cli/console.h"
#include "lab/lib/disk.h"
#include "lab/lib/env.h"
#include "lab/lib/error.h"
#include "lab/lib/image.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

static void apply_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab apply [--dry-run] [--name NAME] [--timeout S] TOPO\n"
		   "Change the running lab to the topology TOPO: new LANs, nodes and hosts\n"
		   "start, removed ones stop (nodes gracefully, as at down), a node whose\n"
		   "definition changed restarts; untouched nodes keep running, with their\n"
		   "consoles, forwards and captures. A change that cannot be made live (the\n"
		   "lab's name, a LAN's subnet) is refused with the reason, changing nothing.\n"
		   "Returns when the new and restarted nodes are ready.\n\n"
		   "  --dry-run          print the plan, change nothing\n"
		   "  --force            apply even if the starting nodes' memory exceeds\n"
		   "                     MemAvailable\n"
		   "  --name NAME        the lab's name, as given to `up --name`\n"
		   "  --timeout S        power-off time for stopping nodes (default 20)\n");
}

/* Send @req; NULL (message printed, *@rc set) unless the reply says ok. */
static json_t *apply_call(const char *lab, json_t *req, int timeout_ms, bool print_plan, int *rc)
{
	struct vl_err e = {0};
	json_t *rep;

	if (ctl_ask(lab, req, -1, timeout_ms, &rep, &e) < 0) {
		if (!rep) { /* no reply: the lab not up, no answer */
			msg_err("%s", e.msg);
			*rc = EXIT_STATE;
			return NULL;
		}
		*rc = e.code;
		msg_err("apply to lab %s: %s%s", lab, e.msg,
			*rc == EXIT_CONFIG && !print_plan ? " (nothing was changed)" : "");
		json_decref(rep);
		return NULL;
	}
	return rep;
}

static const char *plan_action(json_t *plan, const char *kind, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach (plan, i, p)
		if (!strcmp(json_string_value(json_object_get(p, "kind" /* not status */)), kind) &&
		    !strcmp(json_string_value(json_object_get(p, "name" /* not status */)), name))
			return json_string_value(json_object_get(p, "action"));
	return "keep";
}

static void print_plan(json_t *plan, bool all)
{
	size_t i;
	json_t *p;

	json_array_foreach (plan, i, p) {
		const char *a = json_string_value(json_object_get(p, "action"));
		const char *why = json_string_value(json_object_get(p, "why"));

		if (!all && !strcmp(a, "keep"))
			continue;
		printf("%-8s %-5s %s%s%s%s\n", a,
		       json_string_value(json_object_get(p, "kind" /* not status */)),
		       json_string_value(json_object_get(p, "name" /* not status */)),
		       why ? " (" : "", why ? why : "", why ? " changed)" : "");
	}
}

/* The guest memory the plan's starting nodes add, against MemAvailable
 * (as up checks the whole lab's). */
static int check_memory(json_t *plan, bool force)
{
	long more = 0;
	int n = 0;
	size_t i;
	json_t *p;

	json_array_foreach (plan, i, p) {
		json_t *m = json_object_get(p, "memory_more_mb");

		if (json_is_integer(m)) {
			more += (long)json_integer_value(m);
			n++;
		}
	}
	return more > 0 ? apply_check_memory(more, n, force) : 0;
}

/* The host side of nodes that start: images, /dev/net/tun, disks. */
static int prepare_nodes(const struct topo *t, json_t *plan, const char *statedir)
{
	char warn[512];

	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		const char *a = plan_action(plan, "node", n->name);

		if (strcmp(a, "add") && strcmp(a, "restart"))
			continue;
		struct vl_err e = {0};

		warn[0] = '\0';
		if (image_check_warn(n->image, &e, warn, sizeof(warn)) < 0) {
			vl_wrap(&e, "node %s", n->name);
			return vl_report(&e); /* EXIT_ENV */
		}
		if (warn[0])
			msg_warn("node %s: %s", n->name, warn);
		if (n->n_nics && tun_check(&e) < 0)
			return vl_report(&e); /* EXIT_ENV */
		if (disk_prepare(statedir, n, false, &e) < 0) {
			msg_err("%s", e.msg);
			return e.code == EXIT_CONFIG ? EXIT_CONFIG : EXIT_STATE;
		}
	}
	return EXIT_OK;
}

/* The topology's forwards of added nodes: listeners here, handed over. */
static int add_forwards(const char *lab, const struct topo *t, json_t *plan, const char *path)
{
	int rc = EXIT_OK;

	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		if (strcmp(plan_action(plan, "node", n->name), "add"))
			continue;
		for (int j = 0; j < n->n_forwards; j++) {
			const struct forward *f = &n->forwards[j];
			char desc[64];
			int fd = host_listen(f->host_addr, f->host_port, false, 128);
			struct vl_err e = {0};

			if (fd < 0) {
				msg_err("%s:%d: forward %s:%d -> %s:%d: cannot listen: %s", path,
					f->line, f->host_addr, f->host_port, n->name, f->guest_port,
					strerror(-fd));
				rc = EXIT_CONFIG;
				continue;
			}
			snprintf(desc, sizeof(desc), "%s:%d", f->host_addr, f->host_port);
			if (ctl_ask(lab,
				    json_pack("{s:s,s:s,s:i,s:s,s:s}", "cmd", "forward", "node",
					      n->name, "guest_port", f->guest_port, "listen", desc,
					      "proto", "tcp"),
				    fd, 5000, NULL, &e) < 0) {
				msg_err("forward %s -> %s:%d: %s", desc, n->name, f->guest_port,
					e.msg);
				rc = EXIT_STATE;
			}
			close(fd);
		}
	}
	return rc;
}

int cmd_apply(int argc, char **argv)
{
	static const struct option lo[] = {
		{"dry-run", no_argument, NULL, 'n'},	{"force", no_argument, NULL, 'f'},
		{"name", required_argument, NULL, 'N'}, {"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},	{0},
	};
	bool dry = false, force = false;
	const char *name = NULL, *lab;
	double timeout = 20;
	char abs[PATH_MAX];
	struct vl_err e = {0};
	struct topo_err te;
	struct topo *t = NULL;
	json_t *st, *rep, *plan;
	int c, rc = EXIT_OK;
	long long t0 = now_ms();

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'n': dry = true; break;
		case 'f': force = true; break;
		case 'N': name = optarg; break;
		case 't':
			if (duration_arg("--timeout", optarg, DURATION_MAX_S, &timeout) < 0)
				return EXIT_CONFIG;
			break;
		case 'h': apply_usage(stdout); return EXIT_OK;
		default: apply_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind != argc - 1) {
		apply_usage(stderr);
		return EXIT_CONFIG;
	}
	if (topo_load(argv[optind], &t, &te) < 0) {
		topo_err_print(&te);
		return te.env ? EXIT_ENV : EXIT_CONFIG;
	}
	if (name && lab_arg(name) != EXIT_OK)
		return EXIT_CONFIG;
	if (name) {
		t->name = xstrdup(name);
		t->domain = xstrdup(name);
	}
	lab = t->name;
	if (!realpath(argv[optind], abs)) {
		msg_err("%s: %s", argv[optind], strerror(errno));
		return EXIT_CONFIG;
	}
	st = ctl_status(lab, &e);
	if (!st) {
		msg_err("%s (apply changes a running lab; `vacmlab up %s` starts it)", e.msg,
			argv[optind]);
		return EXIT_STATE;
	}
	/* The plan first: a refusal or a dry run changes nothing. */
	rep = apply_call(lab,
			 json_pack("{s:s,s:s,s:s?,s:b}", "cmd", "apply", "topo", abs, "name", name,
				   "dry_run", 1),
			 10000, dry, &rc);
	if (!rep)
		return rc;
	plan = json_incref(json_object_get(rep, "plan"));
	json_decref(rep);
	if (dry) {
		print_plan(plan, true);
		return EXIT_OK;
	}
	if (check_memory(plan, force) < 0) {
		json_decref(plan);
		json_decref(st);
		return EXIT_ENV;
	}
	rc = prepare_nodes(t, plan, json_string_value(json_object_get(st, SK_STATEDIR)));
	if (rc != EXIT_OK)
		return rc;
	/* Stopping nodes (timeout each, escalating) and booting new ones
	 * (their ready timeouts, at most an hour). */
	rep = apply_call(lab,
			 json_pack("{s:s,s:s,s:s?,s:b,s:f}", "cmd", "apply", "topo", abs, "name",
				   name, "dry_run", 0, "timeout", timeout),
			 (int)(timeout * 1000) + 15000 + 3600 * 1000, false, &rc);
	print_plan(plan, false);
	if (!rep)
		return rc;
	json_decref(rep);
	rc = add_forwards(lab, t, plan, argv[optind]);
	msg_info("lab %s: applied %s in %.1f s", lab, argv[optind],
		 (double)(now_ms() - t0) / 1000.0);
	json_decref(plan);
	json_decref(st);
	return rc;
}
