// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_machines.c - the checks of a lab spread over machines ([machine]
 * sections, `on =`, `home =`): every node and host placed, every LAN's
 * home resolved, the machines each LAN spans. Moved out of topo_check.c,
 * which keeps the single-machine rules.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

/*
 * `[machine] address` as a DNS name (a headless Service's pod name on
 * Kubernetes, an /etc/hosts entry): resolved once, when the file is read,
 * to its first IPv4 address; the machine keeps the name for messages.
 */
int topo_machine_resolve(struct parser *p, struct machine *m, const char *value)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res = NULL;
	int r;

	/* `vacmlab kube`: the names are the cluster's, resolved in the pods. */
	if (p->no_resolve) {
		free(m->host);
		m->host = xstrdup(value);
		return 1;
	}
	r = getaddrinfo(value, NULL, &hints, &res);

	if (r || !res) {
		topo_perr(p, p->line,
			  "machine address '%s' is not an IPv4 address and does not resolve: %s",
			  value, r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	m->addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	free(m->host);
	m->host = xstrdup(value);
	return 0;
}

static int n_errors(const struct parser *p)
{
	return p->err->n + p->err->n_dropped;
}

/* Resolve an `on =` or `home =` value written at @line; NULL (error added) if none. */
static struct machine *find_machine(struct parser *p, const char *name, int line, const char *label)
{
	struct topo *t = p->t;
	const char *names[TOPO_MACHINES_MAX];
	const char *best;

	for (int i = 0; i < t->n_machines; i++) {
		if (!strcmp(t->machines[i].name, name))
			return &t->machines[i];
		names[i] = t->machines[i].name;
	}
	if (!t->n_machines) {
		topo_perr(p, line,
			  "unknown machine '%s' in %s: the file has no [machine %s] section", name,
			  label, name);
		return NULL;
	}
	best = topo_suggest(name, names, t->n_machines);
	if (best)
		topo_perr(p, line, "unknown machine '%s' in %s; did you mean '%s'?", name, label,
			  best);
	else
		topo_perr(p, line, "unknown machine '%s' in %s", name, label);
	return NULL;
}

static void lan_member(struct topo *t, struct nic *nics, int n, struct machine *m)
{
	for (int j = 0; j < n; j++)
		nics[j].lan->machines |= 1u << (m - t->machines);
}

/* Is @a the fixed address of one of @nics on LAN @l? */
static bool fixed_on(const struct nic *nics, int n, const struct lan *l, struct in_addr a)
{
	for (int k = 0; k < n; k++)
		if (nics[k].lan == l && nics[k].addr.s_addr == a.s_addr)
			return true;
	return false;
}

/*
 * The bridge of a LAN that crosses machines has an address on every machine
 * of the LAN (topo_lan_machine_addr(): the LAN's own on its home, derived
 * elsewhere), so `vacmlab exec` reaches the LAN from each. A derived one
 * must be a host address of the subnet, outside the DHCP range and nobody's
 * fixed address.
 */
static void check_machine_addrs(struct parser *p, struct lan *l)
{
	struct topo *t = p->t;
	uint32_t mask = prefix_mask(l->prefix);

	for (int m = 0; m < t->n_machines; m++) {
		struct machine *mc = &t->machines[m];
		struct in_addr a;
		const char *who = NULL;
		uint32_t h;

		if (mc == l->home || !(l->machines & (1u << m)))
			continue;
		a = topo_lan_machine_addr(t, l, mc);
		h = h32(a);
		for (int j = 0; j < t->n_nodes && !who; j++)
			if (fixed_on(t->nodes[j].nics, t->nodes[j].n_nics, l, a))
				who = t->nodes[j].name;
		for (int j = 0; j < t->n_hosts && !who; j++)
			if (fixed_on(t->hosts[j].nics, t->hosts[j].n_nics, l, a))
				who = t->hosts[j].name;
		if ((h & mask) != h32(l->net) || h == h32(l->net))
			topo_perr(p, l->line,
				  "lan %s (%s/%d) is too small for a bridge address on machine %s "
				  "(the addresses below the lan's own, counted down from the top, "
				  "one per machine): use a larger subnet",
				  l->name, IP(l->net), l->prefix, mc->name);
		else if (l->dhcp_lo.s_addr && h >= h32(l->dhcp_lo) && h <= h32(l->dhcp_hi))
			topo_perr(p, l->line,
				  "lan %s: machine %s's bridge address %s (derived: counted down "
				  "from the top of the subnet) is in the dhcp range %s-%s: end the "
				  "range lower",
				  l->name, mc->name, IP(a), IP(l->dhcp_lo), IP(l->dhcp_hi));
		else if (who)
			topo_perr(p, l->line,
				  "lan %s: machine %s's bridge address %s (derived: counted down "
				  "from the top of the subnet) is %s's fixed address: give %s "
				  "another",
				  l->name, mc->name, IP(a), who, who);
	}
}

/*
 * Machines: every node and host placed (default: the first [machine]),
 * each LAN's set of machines and its home (`home =`, else the first
 * machine with a member), its VNI (`vni =`, else derived from the lab and
 * LAN names), and the file:line errors: an unknown machine, a machine
 * without or with a duplicate address, a VNI used twice.
 */
void topo_check_machines(struct parser *p)
{
	struct topo *t = p->t;
	char label[64];

	for (int i = 0; i < t->n_machines; i++) {
		struct machine *m = &t->machines[i];

		if (!p->mach_x[i].kl[MACHK_ADDRESS]) {
			topo_perr(p, m->line, "missing required key 'address' in [machine %s]",
				  m->name);
			continue;
		}
		for (int j = 0; j < i; j++)
			if (t->machines[j].addr.s_addr == m->addr.s_addr && m->addr.s_addr &&
			    p->mach_x[j].kl[MACHK_ADDRESS])
				topo_perr(p, p->mach_x[i].kl[MACHK_ADDRESS],
					  "duplicate machine address %s: [machine %s] has it too "
					  "(line %d)",
					  IP(m->addr), t->machines[j].name,
					  p->mach_x[j].kl[MACHK_ADDRESS]);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		struct node *nd = &t->nodes[i];

		snprintf(label, sizeof(label), "[node %s]", nd->name);
		if (nd->on_name)
			nd->on = find_machine(p, nd->on_name, p->node_x[i].kl[NODEK_ON], label);
		else if (t->n_machines)
			nd->on = &t->machines[0];
	}
	for (int i = 0; i < t->n_hosts; i++) {
		struct host *h = &t->hosts[i];

		snprintf(label, sizeof(label), "[host %s]", h->name);
		if (h->on_name)
			h->on = find_machine(p, h->on_name, p->host_x[i].kl[HOSTK_ON], label);
		else if (t->n_machines)
			h->on = &t->machines[0];
	}
	for (int i = 0; i < t->n_lans; i++) {
		struct lan *l = &t->lans[i];

		snprintf(label, sizeof(label), "[lan %s]", l->name);
		if (l->home_name)
			l->home = find_machine(p, l->home_name, p->lan_x[i].kl[LANK_HOME], label);
	}
	if (n_errors(p) || !t->n_machines)
		return;
	for (int i = 0; i < t->n_nodes; i++)
		lan_member(t, t->nodes[i].nics, t->nodes[i].n_nics, t->nodes[i].on);
	for (int i = 0; i < t->n_hosts; i++)
		lan_member(t, t->hosts[i].nics, t->hosts[i].n_nics, t->hosts[i].on);
	for (int i = 0; i < t->n_lans; i++) {
		struct lan *l = &t->lans[i];

		if (!l->home) {
			int first = l->machines ? __builtin_ctz(l->machines) : 0;

			l->home = &t->machines[first];
		}
		l->machines |= 1u << (l->home - t->machines);
		/* ready = dhcp reads this machine's lease file: the LAN's
		 * lease is in its home's. */
		for (int j = 0; j < t->n_nodes; j++) {
			struct node *nd = &t->nodes[j];

			for (int k = 0; k < nd->n_nics; k++) {
				if (nd->nics[k].lan != l || nd->on == l->home ||
				    !(nd->ready.conds & READY_DHCP))
					continue;
				/* The default (dhcp + login) drops dhcp here. */
				if (!p->node_x[j].kl[NODEK_READY] &&
				    nd->serial[0].kind == SERIAL_CONSOLE) {
					nd->ready.conds &= ~(unsigned)READY_DHCP;
					continue;
				}
				topo_perr(p, nd->nics[k].line,
					  "node %s on machine %s has ready = dhcp, but lan "
					  "%s "
					  "takes its leases on machine %s: use ready = "
					  "console "
					  "or tcp",
					  nd->name, nd->on->name, l->name, l->home->name);
			}
		}
		if (!l->vni)
			l->vni = topo_derive_vni(t->name, l->name);
		for (int j = 0; j < i; j++)
			if (t->lans[j].vni == l->vni) {
				int line = p->lan_x[i].kl[LANK_VNI] ? p->lan_x[i].kl[LANK_VNI]
								    : l->line;

				topo_perr(
					p, line,
					"vni %u of [lan %s] is used twice: [lan %s] (line %d) has "
					"it too%s",
					l->vni, l->name, t->lans[j].name, t->lans[j].line,
					p->lan_x[i].kl[LANK_VNI] ? "" : " (derived: set vni = N)");
			}
		if (topo_lan_crosses(t, l))
			check_machine_addrs(p, l);
		/* The LAN's VXLAN device is vx-LAN (sv_net.c). */
		for (int j = 0; j < t->n_lans; j++)
			if (!strncmp(t->lans[j].name, "vx-", 3) &&
			    !strcmp(t->lans[j].name + 3, l->name) && topo_lan_crosses(t, l))
				topo_perr(
					p, t->lans[j].line,
					"lan name '%s' is also the VXLAN device of lan %s: rename "
					"the lan",
					t->lans[j].name, l->name);
	}
}
