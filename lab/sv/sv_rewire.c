// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_rewire.c - what `vacmlab apply` changes on serial ports without a
 * restart: devices, and moving a port between a console, a cable, a device
 * and a pty.
 *
 * DOC: Theory of operation
 * A console, cable, device or pty port is the same thing to QEMU: a socket
 * chardev on a socketpair whose other end the supervisor holds. Which of
 * the four it is only says what the supervisor does with its end, so a
 * port moves between them as a real cable is moved from one socket to
 * another: the old connection is pulled (its bytes in flight lost and
 * counted, a line in the cable's log), the new one plugged, and QEMU, its
 * guest and the node's other consoles never notice. What QEMU itself sees
 * (the number of ports, a unix:, tcp:, file or loopback port) still
 * restarts the node (sv_apply.c's node_diff()).
 *  1. sv_rewire_plan(): each device added, removed, restarted (its command
 *     or restart = changed) or kept; each cable a kept node pulls or plugs,
 *     named after its ends (vacm1:ttyS1-vacm2:ttyS0, vacm1:ttyS2-device:ups,
 *     vacm1:ttyS3-pty), once however many of its ends change.
 *  2. sv_rewire_pull(), while the old topology is the lab's: every changed
 *     port of a kept node is pulled from its cable (a pty port's pair
 *     closed); removed devices are stopped (their PID namespace killed by
 *     pidfd, their log kept). A node that apply removes or restarts leaves
 *     its cables through sv_rewire_node_goes(), which says so in their logs.
 *  3. sv_rewire_switch(), once the new topology is the lab's: the devices'
 *     array follows it (a kept or restarted device keeps its struct);
 *     changed devices restart on a fresh pty; every changed port is made a
 *     console again (sv_port_rewire(): its log, its read-write socket) or
 *     plugged into its new cable, device or pty.
 * The log of a port that changes kind starts afresh; the last wiring's is
 * LOG.prev (lib/logfile.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lib/util.h"
#include "lab/sv/sv.h"

struct sv_rewire {
	struct topo *nt;
	struct sv_node **node_from; /* borrowed from the apply */
	const bool *node_restart;
	struct sv_device **dev_from; /* per new device: the running one, or NULL */
	bool *dev_restart;
	struct sv_device **dev_gone; /* removed devices, NULL-terminated */
	unsigned *changed;	     /* per new node: bit k, its ttySk is re-cabled */
};

bool sv_rewire_relayed(enum serial_kind k)
{
	switch (k) {
	case SERIAL_CONSOLE:
	case SERIAL_CABLE:
	case SERIAL_DEVICE:
	case SERIAL_PTY: return true;
	case SERIAL_TCP:
	case SERIAL_LOOP:
	case SERIAL_LOG:
	case SERIAL_RINGBUF:
	case SERIAL_UNIX:
	case SERIAL_NONE: return false;
	}
	return false;
}

bool sv_rewire_same_qemu(const struct serial_port *a, const struct serial_port *b)
{
	if (sv_rewire_relayed(a->kind) && sv_rewire_relayed(b->kind))
		return true;
	return a->kind == b->kind && a->tcp_port == b->tcp_port;
}

/* Port @k of @n as the plan names its wiring: "console", or the cable's
 * name, its declaring end first. */
static void wire_name(const struct node *n, int k, char *buf, size_t len)
{
	const struct serial_port *sp = &n->serial[k];
	char baud[24] = "";

	if (sp->baud)
		snprintf(baud, sizeof(baud), "@%d", sp->baud);
	switch (sp->kind) {
	case SERIAL_CABLE:
		if (sp->cable_far)
			snprintf(buf, len, "%s:ttyS%d-%s:ttyS%d%s", sp->peer, sp->peer_port,
				 n->name, k, baud);
		else
			snprintf(buf, len, "%s:ttyS%d-%s:ttyS%d%s", n->name, k, sp->peer,
				 sp->peer_port, baud);
		return;
	case SERIAL_DEVICE: snprintf(buf, len, "%s:ttyS%d-device:%s", n->name, k, sp->peer); return;
	case SERIAL_PTY: snprintf(buf, len, "%s:ttyS%d-pty", n->name, k); return;
	case SERIAL_CONSOLE:
	case SERIAL_TCP:
	case SERIAL_LOOP:
	case SERIAL_LOG:
	case SERIAL_RINGBUF:
	case SERIAL_UNIX:
	case SERIAL_NONE: snprintf(buf, len, "%s", serial_kind_name(sp->kind)); return;
	}
}

static void plan_cable(json_t *plan, const char *name, const char *action)
{
	size_t i;
	json_t *p;

	json_array_foreach (plan, i, p)
		if (!strcmp(json_string_value(json_object_get(p, "name")), name) &&
		    !strcmp(json_string_value(json_object_get(p, "action")), action))
			return; /* both ends of one cable change */
	json_array_append_new(
		plan, json_pack("{s:s,s:s,s:s}", "kind", "cable", "name", name, "action", action));
}

static struct sv_device *old_device(struct sv *sv, const char *name)
{
	for (int i = 0; i < sv->t->n_devices; i++)
		if (!strcmp(sv->devices[i]->cfg->name, name))
			return sv->devices[i];
	return NULL;
}

/* Node @i of the new topology is kept and its QEMU runs or ran: its ports
 * are live, and a changed one is re-cabled. */
static struct sv_node *kept(struct sv_rewire *w, int i)
{
	struct sv_node *n = w->node_from[i];

	return n && !w->node_restart[i] && n->boots ? n : NULL;
}

/* Does port @k of kept node @i change its wiring? */
static bool port_changes(struct sv_rewire *w, int i, int k)
{
	return w->changed[i] & (1u << k);
}

struct sv_rewire *sv_rewire_plan(struct sv *sv, struct topo *nt, struct sv_node **node_from,
				 const bool *node_restart, json_t *plan)
{
	struct sv_rewire *w = xcalloc(1, sizeof(*w));
	int gone = 0;

	w->nt = nt;
	w->node_from = node_from;
	w->node_restart = node_restart;
	w->dev_from = xcalloc((size_t)nt->n_devices + 1, sizeof(*w->dev_from));
	w->dev_restart = xcalloc((size_t)nt->n_devices + 1, sizeof(bool));
	w->dev_gone = xcalloc((size_t)sv->t->n_devices + 1, sizeof(*w->dev_gone));
	w->changed = xcalloc((size_t)nt->n_nodes + 1, sizeof(unsigned));
	for (int i = 0; i < nt->n_devices; i++) {
		struct device *c = &nt->devices[i];
		struct sv_device *o = old_device(sv, c->name);
		const char *why = !o					? NULL
				  : strcmp(o->cfg->command, c->command) ? "command"
				  : o->cfg->restart != c->restart	? "restart"
									: NULL;
		json_t *e = json_pack("{s:s,s:s,s:s}", "kind", "device", "name", c->name, "action",
				      !o    ? "add"
				      : why ? "restart"
					    : "keep");

		if (why)
			json_object_set_new(e, "why", json_string(why));
		json_array_append_new(plan, e);
		w->dev_from[i] = o;
		w->dev_restart[i] = why != NULL;
	}
	for (int i = 0; i < sv->t->n_devices; i++) {
		const char *name = sv->devices[i]->cfg->name;
		bool stays = false;

		for (int j = 0; j < nt->n_devices; j++)
			stays |= !strcmp(nt->devices[j].name, name);
		if (stays)
			continue;
		json_array_append_new(plan, json_pack("{s:s,s:s,s:s}", "kind", "device", "name",
						      name, "action", "remove"));
		w->dev_gone[gone++] = sv->devices[i];
	}
	for (int i = 0; i < nt->n_nodes; i++) {
		struct sv_node *n = node_from[i];

		if (!n || node_restart[i])
			continue;
		for (int k = 0; k < nt->nodes[i].n_serial; k++) {
			char x[160], y[160];

			wire_name(n->cfg, k, x, sizeof(x));
			wire_name(&nt->nodes[i], k, y, sizeof(y));
			if (!strcmp(x, y))
				continue;
			w->changed[i] |= 1u << k;
			if (n->cfg->serial[k].kind != SERIAL_CONSOLE)
				plan_cable(plan, x, "pull");
			if (nt->nodes[i].serial[k].kind != SERIAL_CONSOLE)
				plan_cable(plan, y, "plug");
		}
	}
	return w;
}

void sv_rewire_node_goes(struct sv *sv, struct sv_node *n, bool removed)
{
	for (int k = 0; k < TOPO_MAX_SERIAL; k++) {
		char why[160];

		if (!n->ports[k].cable)
			continue;
		snprintf(why, sizeof(why), "%s:ttyS%d %s by apply", n->cfg->name, k,
			 removed ? "removed" : "restarted");
		sv_cable_pull(sv, &n->ports[k], why);
	}
}

void sv_rewire_pull(struct sv *sv, struct sv_rewire *w)
{
	/* Removed devices first, while their cables still have a log to say
	 * so in. */
	for (struct sv_device **g = w->dev_gone; *g; g++) {
		char why[160];

		snprintf(why, sizeof(why), "device %s removed by apply", (*g)->cfg->name);
		sv_cable_pull(sv, &(*g)->port, why);
		sv_device_stop(sv, *g);
		fprintf(stderr, "apply: %s\n", why);
	}
	for (int i = 0; i < w->nt->n_nodes; i++) {
		struct sv_node *n = kept(w, i);

		for (int k = 0; n && k < n->cfg->n_serial; k++) {
			struct sv_port *p = &n->ports[k];

			if (!port_changes(w, i, k))
				continue;
			sv_cable_pull(sv, p, "pulled by apply");
			if (p->kind == SERIAL_PTY)
				sv_pty_drop(sv, p);
		}
	}
}

/* Plug port @k of kept node @n (made a cable end by sv_port_rewire())
 * into the cable, device or pty the new topology says. */
static int plug(struct sv *sv, struct sv_node *n, int k, struct vl_err *e)
{
	struct sv_port *p = &n->ports[k];
	int r = 0;

	switch (n->cfg->serial[k].kind) {
	case SERIAL_CABLE: r = sv_cable_plug(sv, n, k, e); break;
	case SERIAL_DEVICE: r = sv_device_plug(sv, n, k, e); break;
	case SERIAL_PTY: r = sv_pty_plug(sv, n, k, e); break;
	case SERIAL_CONSOLE:
	case SERIAL_TCP:
	case SERIAL_LOOP:
	case SERIAL_LOG:
	case SERIAL_RINGBUF:
	case SERIAL_UNIX:
	case SERIAL_NONE: return 0;
	}
	/* An end without its cable must not be read (sv_cable.c reads a
	 * cable's ends only): it carries nothing. */
	if (r < 0 && !p->cable && p->fd >= 0)
		loop_unwatch(&sv->loop, p->fd);
	return r < 0 ? vl_wrap(e, "node %s", n->cfg->name) : 0;
}

int sv_rewire_switch(struct sv *sv, struct sv_rewire *w, struct vl_err *e)
{
	struct topo *nt = w->nt;
	struct sv_device **devs = xcalloc((size_t)nt->n_devices + 1, sizeof(*devs));

	for (int i = 0; i < nt->n_devices; i++) {
		devs[i] = w->dev_from[i];
		if (!devs[i]) {
			devs[i] = xcalloc(1, sizeof(**devs));
			sv_device_init(sv, devs[i], &nt->devices[i]);
		}
		devs[i]->cfg = &nt->devices[i];
	}
	free(sv->devices);
	sv->devices = devs;
	/* Stopped and out of every cable (sv_rewire_pull()). */
	for (struct sv_device **g = w->dev_gone; *g; g++) {
		free((*g)->pty);
		free((*g)->port.in);
		free(*g);
	}
	w->dev_gone[0] = NULL;
	for (int i = 0; i < nt->n_devices; i++) {
		char why[160];

		if (!w->dev_restart[i])
			continue;
		snprintf(why, sizeof(why), "device %s restarted by apply", nt->devices[i].name);
		if (sv_device_restart(sv, devs[i], why, e) < 0)
			return vl_wrap(e, "device %s", nt->devices[i].name);
	}
	/* Every changed port's kind first, then the plugs: a new cable's log
	 * takes the name of its declaring end, whose old log must be moved
	 * aside before, not after. */
	for (int i = 0; i < nt->n_nodes; i++) {
		struct sv_node *n = kept(w, i);

		for (int k = 0; n && k < n->cfg->n_serial; k++)
			if (port_changes(w, i, k) &&
			    sv_port_rewire(sv, &n->ports[k], n->cfg->serial[k].kind, e) < 0)
				return vl_wrap(e, "node %s", n->cfg->name);
	}
	for (int i = 0; i < nt->n_nodes; i++) {
		struct sv_node *n = kept(w, i);

		for (int k = 0; n && k < n->cfg->n_serial; k++)
			if (port_changes(w, i, k) && plug(sv, n, k, e) < 0)
				return -1;
	}
	return 0;
}

void sv_rewire_free(struct sv_rewire *w)
{
	if (!w)
		return;
	free(w->dev_from);
	free(w->dev_restart);
	free(w->dev_gone);
	free(w->changed);
	free(w);
}
