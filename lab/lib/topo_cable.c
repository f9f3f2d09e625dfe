// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_cable.c - serial cables between nodes, checked once every node is
 * read: `serial = console cable:vacm2[:ttySN][@BAUD]` in [node vacm1] joins
 * vacm1's ttyS1 to vacm2's ttyS0 (or ttySN). A cable is declared on one
 * end; the other end's port must be left a `console` (it becomes the
 * cable's far end here) or declare the same cable back. Everything else is
 * an error at the declaring line: an unknown node, the node itself, a port
 * the peer lacks, a far port of another kind, a port in two cables, and
 * (topo_check_cable_machines) a cable between machines. A node whose ttyS0
 * is a cable end may still be `ready = console`: the supervisor matches what
 * the node writes into the cable (topo_check.c's check_ready).
 * Devices too: [device NAME] (a program on a pseudo-terminal) and
 * `serial = device:NAME`, one device per port, each device on a port.
 */
#include <string.h>

#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

static int node_index(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name))
			return i;
	return -1;
}

static void unknown_peer(struct parser *p, const struct node *nd, int k)
{
	const struct serial_port *sp = &nd->serial[k];
	const char **names = xcalloc((size_t)p->t->n_nodes + 1, sizeof(*names));
	const char *best;

	for (int i = 0; i < p->t->n_nodes; i++)
		names[i] = p->t->nodes[i].name;
	best = topo_suggest(sp->peer, names, p->t->n_nodes);
	if (best)
		topo_perr(p, sp->line,
			  "cable from %s:ttyS%d to unknown node '%s'; did you mean '%s'?", nd->name,
			  k, sp->peer, best);
	else
		topo_perr(p, sp->line, "cable from %s:ttyS%d to unknown node '%s'", nd->name, k,
			  sp->peer);
	free(names);
}

/* Whether port @sp is a cable end that names @name:@port as its peer. */
static bool names_end(const struct serial_port *sp, const char *name, int port)
{
	return sp->kind == SERIAL_CABLE && sp->peer && !strcmp(sp->peer, name) &&
	       sp->peer_port == port;
}

/* The cable declared at @a (port @k of node @nd) to @b (port @m of @peer). */
static void join(struct parser *p, struct node *nd, int k, struct node *peer, int m)
{
	struct serial_port *a = &nd->serial[k], *b = &peer->serial[m];

	if (b->kind == SERIAL_CONSOLE) {
		b->kind = SERIAL_CABLE;
		b->peer = xstrdup(nd->name);
		b->peer_port = k;
		b->baud = a->baud;
		b->cable_far = true;
		return;
	}
	if (b->kind == SERIAL_CABLE && !b->cable_far && names_end(b, nd->name, k)) {
		/* Declared on both ends: one cable, owned by the first. */
		b->cable_far = true;
		if (b->baud && a->baud && b->baud != a->baud) {
			topo_perr(p, b->line,
				  "cable %s:ttyS%d - %s:ttyS%d is paced at %d here but at %d at "
				  "line %d",
				  peer->name, m, nd->name, k, b->baud, a->baud, a->line);
			return;
		}
		a->baud = b->baud = a->baud ? a->baud : b->baud;
		return;
	}
	if (b->kind == SERIAL_CABLE) {
		/* The other cable's line: where it was declared. */
		int j = b->cable_far ? node_index(p->t, b->peer) : -1;
		int line = j >= 0 ? p->t->nodes[j].serial[b->peer_port].line : b->line;

		topo_perr(p, a->line,
			  "%s:ttyS%d would be in two cables: to %s:ttyS%d here and to %s:ttyS%d "
			  "(line %d)",
			  peer->name, m, nd->name, k, b->peer, b->peer_port, line);
		return;
	}
	topo_perr(p, a->line,
		  "cable from %s:ttyS%d to %s:ttyS%d, but that port is '%s' (line %d): leave it "
		  "console or declare cable:%s:ttyS%d there",
		  nd->name, k, peer->name, m, serial_kind_name(b->kind), b->line, nd->name, k);
}

void topo_check_cables(struct parser *p)
{
	struct topo *t = p->t;

	for (int i = 0; i < t->n_nodes; i++) {
		struct node *nd = &t->nodes[i];

		for (int k = 0; k < nd->n_serial; k++) {
			struct serial_port *sp = &nd->serial[k];
			int j;

			if (sp->kind != SERIAL_CABLE || sp->cable_far)
				continue;
			j = node_index(t, sp->peer);
			if (j < 0) {
				unknown_peer(p, nd, k);
				continue;
			}
			if (j == i) {
				topo_perr(p, sp->line,
					  "cable from %s:ttyS%d to its own node: a cable joins two "
					  "nodes",
					  nd->name, k);
				continue;
			}
			if (sp->peer_port >= t->nodes[j].n_serial) {
				topo_perr(p, sp->line,
					  "cable to %s:ttyS%d, but node %s has only ttyS0..ttyS%d: "
					  "give it more ports with serial = ...",
					  sp->peer, sp->peer_port, sp->peer,
					  t->nodes[j].n_serial - 1);
				continue;
			}
			join(p, nd, k, &t->nodes[j], sp->peer_port);
		}
	}
}

void topo_check_cable_machines(struct parser *p)
{
	struct topo *t = p->t;

	if (p->err->n || !t->n_machines)
		return;
	for (int i = 0; i < t->n_nodes; i++) {
		struct node *nd = &t->nodes[i];

		for (int k = 0; k < nd->n_serial; k++) {
			const struct serial_port *sp = &nd->serial[k];
			int j = sp->kind == SERIAL_CABLE && !sp->cable_far ? node_index(t, sp->peer)
									   : -1;

			if (j < 0 || t->nodes[j].on == nd->on)
				continue;
			topo_perr(p, sp->line,
				  "cable %s:ttyS%d - %s:ttyS%d joins machines %s and %s: a cable "
				  "is relayed by one machine's supervisor; put both nodes on one "
				  "machine (on = ...)",
				  nd->name, k, sp->peer, sp->peer_port, nd->on ? nd->on->name : "?",
				  t->nodes[j].on ? t->nodes[j].on->name : "?");
		}
	}
}

/* [device NAME] */

void topo_device_command(struct parser *p, const char *value)
{
	struct device *d = &p->t->devices[p->cur];

	free(d->command);
	d->command = xstrdup(value);
}

void topo_device_restart(struct parser *p, const char *value)
{
	if (strcmp(value, "yes") && strcmp(value, "no")) {
		topo_perr(p, p->line, "bad restart '%s' in %s: expected yes or no", value,
			  p->label);
		return;
	}
	p->t->devices[p->cur].restart = !strcmp(value, "yes");
}

/* Every serial = device:NAME names a device that no other port uses, and
 * every device has a command and a port (a device on no port would run
 * for nothing: an error at its section, like a typo in the port's name). */
void topo_check_devices(struct parser *p)
{
	struct topo *t = p->t;
	const char **names = xcalloc((size_t)t->n_devices + 1, sizeof(*names));

	for (int i = 0; i < t->n_devices; i++)
		names[i] = t->devices[i].name;
	for (int i = 0; i < t->n_nodes; i++) {
		struct node *nd = &t->nodes[i];

		for (int k = 0; k < nd->n_serial; k++) {
			const struct serial_port *sp = &nd->serial[k];
			struct device *d = NULL;
			const char *best;

			if (sp->kind != SERIAL_DEVICE)
				continue;
			for (int j = 0; j < t->n_devices; j++)
				if (!strcmp(t->devices[j].name, sp->peer))
					d = &t->devices[j];
			if (!d) {
				best = topo_suggest(sp->peer, names, t->n_devices);
				if (best)
					topo_perr(p, sp->line,
						  "%s:ttyS%d: unknown device '%s'; did you mean "
						  "'%s'?",
						  nd->name, k, sp->peer, best);
				else
					topo_perr(p, sp->line,
						  "%s:ttyS%d: unknown device '%s': declare it with "
						  "[device %s]",
						  nd->name, k, sp->peer, sp->peer);
				continue;
			}
			if (d->node) {
				const struct node *o = NULL;

				for (int j = 0; j < t->n_nodes; j++)
					if (!strcmp(t->nodes[j].name, d->node))
						o = &t->nodes[j];
				topo_perr(p, sp->line,
					  "device %s on two ports: %s:ttyS%d here and %s:ttyS%d "
					  "(line %d); one device per port",
					  d->name, nd->name, k, d->node, d->port,
					  o ? o->serial[d->port].line : 0);
				continue;
			}
			d->node = nd->name;
			d->port = k;
		}
	}
	for (int i = 0; i < t->n_devices; i++) {
		const struct device *d = &t->devices[i];

		if (!d->command)
			topo_perr(p, d->line, "missing required key 'command' in [device %s]",
				  d->name);
		else if (!d->node)
			topo_perr(p, d->line,
				  "device %s is on no port: connect it with serial = ... "
				  "device:%s in a [node]",
				  d->name, d->name);
	}
	free(names);
}
