// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_check.c - the rules of a topology beyond one value's syntax: the
 * naming rules (lab names, DNS domains, lan/node/host names) and the checks
 * of the whole file once every line is read (a NIC's LAN, addresses inside
 * subnets and outside DHCP ranges, readiness against serial ports and NICs,
 * images, derived names and MACs). Each rule adds its error and the checks
 * go on with the next section, so one run reports them all.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/rundir.h"
#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

static const char *char_str(char c, char buf[8])
{
	if (isprint((unsigned char)c))
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned char)c);
	return buf;
}

/* --------------------------------------------------------------- names */

const char *topo_check_domain(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0)
		return "is empty";
	if (n > 253)
		return "is too long: at most 253 characters";
	for (size_t i = 0; i <= n; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0)
				return "has an empty label";
			if (s[i - 1] == '-')
				return "has a label ending in '-'";
			label = 0;
			continue;
		}
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return "may only hold a-z, 0-9, '-' and '.'";
		if (label == 0 && s[i] == '-')
			return "has a label starting with '-'";
		if (++label > 63)
			return "has a label longer than 63 characters";
	}
	return NULL;
}

/* Check a lan/node/host name and its uniqueness; 0 or -1 (error set). */
int topo_check_name(struct parser *p, const char *name)
{
	struct topo *t = p->t;
	size_t n = strlen(name);
	char cb[8];

	if (n > TOPO_NAME_MAX) {
		topo_perr(p, p->line,
			  "name '%s' is too long: at most %d characters, so that interface '%s-0' "
			  "fits "
			  "in 15",
			  name, TOPO_NAME_MAX, name);
		return -1;
	}
	if (!islower((unsigned char)name[0])) {
		topo_perr(p, p->line, "name '%s' must start with a letter (a-z)", name);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '-') {
			topo_perr(p, p->line,
				  "name '%s' has the invalid character %s: use a-z, 0-9 and '-'",
				  name, char_str(name[i], cb));
			return -1;
		}
	}
	if (name[n - 1] == '-') {
		topo_perr(p, p->line, "name '%s' must not end with '-'", name);
		return -1;
	}
	if (!strcmp(name, "lo")) {
		topo_perr(p, p->line, "name 'lo' is reserved (the loopback interface)");
		return -1;
	}
	for (int i = 0; i < t->n_lans; i++)
		if (!strcmp(t->lans[i].name, name))
			goto dup_lan;
	for (int i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name)) {
			topo_perr(p, p->line,
				  "duplicate name '%s': already used by [node %s] at line %d", name,
				  name, t->nodes[i].line);
			return -1;
		}
	for (int i = 0; i < t->n_hosts; i++)
		if (!strcmp(t->hosts[i].name, name)) {
			topo_perr(p, p->line,
				  "duplicate name '%s': already used by [host %s] at line %d", name,
				  name, t->hosts[i].line);
			return -1;
		}
	return 0;
dup_lan:
	for (int i = 0; i < t->n_lans; i++)
		if (!strcmp(t->lans[i].name, name))
			topo_perr(p, p->line,
				  "duplicate name '%s': already used by [lan %s] at line %d", name,
				  name, t->lans[i].line);
	return -1;
}

/* ---------------------------------------------------------- validation */

/* Why @a cannot be a host address on @lan, or NULL if it can. */
static const char *addr_problem(const struct lan *lan, struct in_addr a)
{
	uint32_t mask = prefix_mask(lan->prefix), net = h32(lan->net), h = h32(a);

	if ((h & mask) != net)
		return "outside";
	if (h == net)
		return "network";
	if (h == (net | ~mask))
		return "broadcast";
	return NULL;
}

static void addr_error(struct parser *p, int line, const char *what, const struct lan *lan,
		       struct in_addr a, const char *why)
{
	if (!strcmp(why, "outside"))
		topo_perr(p, line, "%s %s is outside lan '%s' (%s/%d)", what, IP(a), lan->name,
			  IP(lan->net), lan->prefix);
	else
		topo_perr(p, line, "%s %s is the %s address of lan '%s' (%s/%d)", what, IP(a), why,
			  lan->name, IP(lan->net), lan->prefix);
}

static bool in_dhcp(const struct lan *lan, struct in_addr a)
{
	return lan->dhcp_lo.s_addr && h32(a) >= h32(lan->dhcp_lo) && h32(a) <= h32(lan->dhcp_hi);
}

/* Errors so far: a check compares it before and after to see its own. */
static int n_errors(const struct parser *p)
{
	return p->err->n + p->err->n_dropped;
}

/* Each LAN on its own, against the LANs before it. */
static void check_lans(struct parser *p)
{
	struct topo *t = p->t;

	for (int i = 0; i < t->n_lans; i++) {
		struct lan *lan = &t->lans[i];
		struct pextra *x = &p->lan_x[i];
		uint32_t mask, net;
		const char *why;
		int j;

		if (!x->subnet_set) {
			topo_perr(p, lan->line, "missing required key 'subnet' in [lan %s]",
				  lan->name);
			continue;
		}
		for (j = 0; lan->has6 && j < i; j++) {
			struct lan *o = &t->lans[j];

			if (o->has6 && !memcmp(&o->net6, &lan->net6, sizeof(lan->net6))) {
				topo_perr(p, x->kl[LANK_SUBNET6],
					  "subnet6 %s/64 is also lan '%s''s (line %d)",
					  IP6(&lan->net6), o->name, o->line);
				break;
			}
		}
		mask = prefix_mask(lan->prefix);
		net = h32(lan->net);
		for (j = 0; j < i; j++) {
			struct lan *o = &t->lans[j];
			uint32_t omask = prefix_mask(o->prefix);

			if (!p->lan_x[j].subnet_set)
				continue;
			if ((net & omask) == h32(o->net) || (h32(o->net) & mask) == net)
				break;
		}
		if (j < i) {
			struct lan *o = &t->lans[j];

			topo_perr(p, x->kl[LANK_SUBNET],
				  "subnet %s/%d overlaps lan '%s' (%s/%d, line %d)", IP(lan->net),
				  lan->prefix, o->name, IP(o->net), o->prefix, o->line);
			continue;
		}
		if (!x->addr_set)
			lan->addr = mk_addr((net | ~mask) - 1); /* last usable host */
		why = addr_problem(lan, lan->addr);
		if (why) {
			addr_error(p, x->kl[LANK_ADDRESS], "address", lan, lan->addr, why);
			continue;
		}
		if (!x->dhcp_set)
			continue;
		why = addr_problem(lan, lan->dhcp_lo);
		if (!why)
			why = addr_problem(lan, lan->dhcp_hi);
		if (why) {
			if (!strcmp(why, "outside"))
				topo_perr(p, x->kl[LANK_DHCP],
					  "dhcp range %s-%s is not inside lan '%s' (%s/%d)",
					  IP(lan->dhcp_lo), IP(lan->dhcp_hi), lan->name,
					  IP(lan->net), lan->prefix);
			else
				topo_perr(p, x->kl[LANK_DHCP],
					  "dhcp range %s-%s includes the %s address of lan '%s' "
					  "(%s/%d)",
					  IP(lan->dhcp_lo), IP(lan->dhcp_hi), why, lan->name,
					  IP(lan->net), lan->prefix);
			continue;
		}
		if (in_dhcp(lan, lan->addr))
			topo_perr(p, x->kl[LANK_DHCP],
				  "dhcp range %s-%s contains the lan's own address %s",
				  IP(lan->dhcp_lo), IP(lan->dhcp_hi), IP(lan->addr));
	}
}

/* A fixed IPv6 address of a NIC: inside its LAN's /64, not the bridge's,
 * not the subnet-router anycast PREFIX::, not in the DHCPv6 pool. */
static void check_nic6(struct parser *p, const struct nic *nic, const struct lan *lan)
{
	struct in6_addr lo = topo_lan6_addr(lan, TOPO_LAN6_POOL_LO);
	struct in6_addr hi = topo_lan6_addr(lan, TOPO_LAN6_POOL_HI);

	if (!lan->has6) {
		topo_perr(p, nic->line,
			  "address %s: lan '%s' has no IPv6 (set subnet6 = PREFIX/64 in [lan %s])",
			  IP6(&nic->addr6), lan->name, lan->name);
		return;
	}
	if (memcmp(&nic->addr6, &lan->net6, 8))
		topo_perr(p, nic->line, "address %s is outside lan '%s' (%s/64)", IP6(&nic->addr6),
			  lan->name, IP6(&lan->net6));
	else if (!memcmp(&nic->addr6, &lan->net6, sizeof(lan->net6)))
		topo_perr(p, nic->line,
			  "address %s is the subnet-router anycast address of lan '%s'",
			  IP6(&nic->addr6), lan->name);
	else if (!memcmp(&nic->addr6, &lan->addr6, sizeof(lan->addr6)))
		topo_perr(p, nic->line, "address %s is the address of lan '%s' itself (line %d)",
			  IP6(&nic->addr6), lan->name, lan->line);
	else if (memcmp(&nic->addr6, &lo, sizeof(lo)) >= 0 &&
		 memcmp(&nic->addr6, &hi, sizeof(hi)) <= 0)
		topo_perr(p, nic->line, "address %s is inside the DHCPv6 range %s-%s of lan '%s'",
			  IP6(&nic->addr6), IP6(&lo), IP6(&hi), lan->name);
}

/* One NIC of a node or host: its LAN, name, MAC, model and address. */
static void check_nic(struct parser *p, struct nic *nic, const char *owner, int idx,
		      const char *model)
{
	struct topo *t = p->t;
	bool is_node = model != NULL;
	struct lan *lan = topo_find_lan(t, nic->lan_name);
	const char *why;

	snprintf(nic->ifname, sizeof(nic->ifname), "%s-%d", owner, idx);
	if (!lan) {
		topo_perr(p, nic->line, "nic refers to undefined lan '%s'", nic->lan_name);
		return;
	}
	nic->lan = lan;
	if (is_node && !nic->model)
		nic->model = xstrdup(model);
	topo_derive_mac(t->name, owner, idx, nic->mac);
	if (!topo_addr6_unset(&nic->addr6))
		check_nic6(p, nic, lan);
	if (!nic->addr.s_addr) {
		if (!is_node)
			topo_perr(p, nic->line,
				  "nic on lan '%s' needs a fixed address: hosts run no DHCP client",
				  lan->name);
		else if (!lan->dhcp_lo.s_addr)
			topo_perr(p, nic->line,
				  "nic on lan '%s' has no fixed address and the lan has no dhcp "
				  "range",
				  lan->name);
		return;
	}
	why = addr_problem(lan, nic->addr);
	if (why)
		addr_error(p, nic->line, "address", lan, nic->addr, why);
	else if (nic->addr.s_addr == lan->addr.s_addr)
		topo_perr(p, nic->line, "address %s is the address of lan '%s' itself (line %d)",
			  IP(nic->addr), lan->name, lan->line);
	else if (in_dhcp(lan, nic->addr))
		topo_perr(p, nic->line, "address %s is inside the dhcp range %s-%s of lan '%s'",
			  IP(nic->addr), IP(lan->dhcp_lo), IP(lan->dhcp_hi), lan->name);
}

/* NICs of a node or host (@model NULL), then its impair lines. */
static void check_nics(struct parser *p, const char *kind, const char *owner, struct nic *nics,
		       int n_nics, struct pextra *x, const char *model)
{
	int imp_line[TOPO_MAX_NICS] = {0};

	for (int i = 0; i < n_nics; i++)
		check_nic(p, &nics[i], owner, i, model);
	for (int i = 0; i < x->n_imp; i++) {
		struct pimpair *pi = &x->imp[i];

		if (n_nics == 0) {
			topo_perr(p, pi->line, "impair, but %s %s has no nic", kind, owner);
			continue;
		}
		if (pi->eth >= n_nics) {
			if (n_nics == 1)
				topo_perr(p, pi->line,
					  "impair names eth%d, but %s %s has only eth0", pi->eth,
					  kind, owner);
			else
				topo_perr(p, pi->line,
					  "impair names eth%d, but %s %s has only eth0..eth%d",
					  pi->eth, kind, owner, n_nics - 1);
			continue;
		}
		for (int e = 0; e < n_nics; e++) {
			if (pi->eth >= 0 && e != pi->eth)
				continue;
			if (imp_line[e]) {
				topo_perr(p, pi->line,
					  "eth%d of %s %s is impaired twice (first at line %d)", e,
					  kind, owner, imp_line[e]);
				break;
			}
			imp_line[e] = pi->line;
			nics[e].impair = pi->im;
		}
	}
}

/* An image that is missing or unreadable is the machine's fault, not the
 * file's: those errors are "env" (exit 2). */
static void check_image(struct parser *p, struct node *nd, struct pextra *x)
{
	struct stat st;
	const char *raw = x->image_raw;
	int line = x->kl[NODEK_IMAGE];

	if (!raw) {
		topo_perr(p, nd->line, "missing required key 'image' in [node %s]", nd->name);
		return;
	}
	nd->image = topo_join_path(p->t->dir, raw);
	if (stat(nd->image, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			topo_perr_env(p, line,
				      "image '%s' not found (resolved to %s): run `make appliance` "
				      "or put your image.bin there",
				      raw, nd->image);
		else
			topo_perr_env(p, line, "image '%s' cannot be accessed (resolved to %s): %s",
				      raw, nd->image, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		topo_perr_env(p, line, "image '%s' is not a regular file (resolved to %s)", raw,
			      nd->image);
	else if (access(nd->image, R_OK) < 0)
		topo_perr_env(p, line, "image '%s' is not readable (resolved to %s): %s", raw,
			      nd->image, strerror(errno));
}

/* Defaults: a node with a NIC and a console is ready when it has its
 * addresses AND offers a login (so the first thing a script does, log in on
 * the console, works); a NIC alone: dhcp; a console alone: "login:". */
static void check_ready(struct parser *p, struct node *nd, struct pextra *x)
{
	int rl = x->kl[NODEK_READY];
	bool cons = nd->serial[0].kind == SERIAL_CONSOLE || nd->serial[0].kind == SERIAL_CABLE ||
		    nd->serial[0].kind == SERIAL_DEVICE || nd->serial[0].kind == SERIAL_PTY;

	if (!rl) {
		if (nd->n_nics > 0)
			nd->ready.conds |= READY_DHCP;
		if (cons) {
			nd->ready.conds |= READY_CONSOLE;
			nd->ready.regex = xstrdup("login:");
		}
		if (!nd->ready.conds)
			topo_perr(p, nd->line,
				  "node %s has no nic and ttyS0 is not a console: say how to tell "
				  "it is up with ready = ...",
				  nd->name);
		return;
	}
	if ((nd->ready.conds & READY_CONSOLE) && !cons)
		topo_perr(p, rl,
			  "ready = console needs ttyS0 to be a console, but it is %s (line %d)",
			  serial_kind_name(nd->serial[0].kind), x->kl[NODEK_SERIAL]);
	if ((nd->ready.conds & READY_DHCP) && !nd->n_nics)
		topo_perr(p, rl, "ready = dhcp needs a nic, but node %s has none", nd->name);
	if ((nd->ready.conds & READY_TCP) && !nd->n_nics)
		topo_perr(p, rl, "ready = tcp needs a nic, but node %s has none", nd->name);
}

/*
 * The node's machine model from its own keys, else [lab]'s, else the
 * defaults (pc; the disk bus -hda gives on the machine). Errors point at
 * the line that made the choice.
 */
static void check_machine(struct parser *p, struct node *nd, struct pextra *x)
{
	const struct topo *t = p->t;
	int ml = x->kl[NODEK_MACHINE] ? x->kl[NODEK_MACHINE] : p->lab_kl[LABK_MACHINE];
	int dl = x->kl[NODEK_DISK] ? x->kl[NODEK_DISK] : p->lab_kl[LABK_DISK];
	int cl = x->kl[NODEK_CPU] ? x->kl[NODEK_CPU] : p->lab_kl[LABK_CPU];
	const char *why;

	if (!x->kl[NODEK_MACHINE])
		nd->machine = t->machine;
	if (!x->kl[NODEK_DISK])
		nd->disk = t->disk;
	if (nd->disk == DISK_AUTO)
		nd->disk = disk_bus_default(nd->machine);
	if (!x->kl[NODEK_CPU] && t->cpu)
		nd->cpu = xstrdup(t->cpu);
	why = disk_bus_problem(nd->machine, nd->disk);
	if (why) {
		topo_perr(p, dl ? dl : ml, "node %s: disk = %s on machine = %s: %s", nd->name,
			  disk_bus_name(nd->disk), machine_name(nd->machine), why);
		return;
	}
	if (nd->cpu && cpu_needs_kvm(nd->cpu) && t->accel == ACCEL_TCG)
		topo_perr(p, cl,
			  "node %s: cpu = %s needs KVM, but the lab runs under TCG (accel = tcg at "
			  "line %d): use a CPU model such as max",
			  nd->name, nd->cpu, t->accel_line);
}

static void check_node(struct parser *p, struct node *nd, struct pextra *x)
{
	check_image(p, nd, x);
	check_machine(p, nd, x);
	check_nics(p, "node", nd->name, nd->nics, nd->n_nics, x, nd->nic_model);
	check_ready(p, nd, x);
	if (nd->n_forwards && !nd->n_nics)
		topo_perr(p, nd->forwards[0].line, "forward needs a nic, but node %s has none",
			  nd->name);
}

/* A LAN's bridge is named after the LAN: it must not take a NIC's name. */
static void check_bridge_names(struct parser *p)
{
	struct topo *t = p->t;

	for (int l = 0; l < t->n_lans; l++) {
		for (int i = 0; i < t->n_nodes; i++)
			for (int j = 0; j < t->nodes[i].n_nics; j++)
				if (!strcmp(t->lans[l].name, t->nodes[i].nics[j].ifname))
					topo_perr(p, t->lans[l].line,
						  "lan name '%s' is also the interface of eth%d of "
						  "node %s: rename the lan",
						  t->lans[l].name, j, t->nodes[i].name);
		for (int i = 0; i < t->n_hosts; i++)
			for (int j = 0; j < t->hosts[i].n_nics; j++)
				if (!strcmp(t->lans[l].name, t->hosts[i].nics[j].ifname))
					topo_perr(p, t->lans[l].line,
						  "lan name '%s' is also the interface of eth%d of "
						  "host %s: rename the lan",
						  t->lans[l].name, j, t->hosts[i].name);
	}
}

/* 24 hash bits: a collision is unlikely but would break DHCP silently. */
static void check_macs(struct parser *p)
{
	struct topo *t = p->t;
	_cleanup_free_ struct nic **all =
		xcalloc((size_t)(t->n_nodes + t->n_hosts) * TOPO_MAX_NICS, sizeof(*all));
	int n = 0;

	for (int i = 0; i < t->n_nodes; i++)
		for (int j = 0; j < t->nodes[i].n_nics; j++)
			all[n++] = &t->nodes[i].nics[j];
	for (int i = 0; i < t->n_hosts; i++)
		for (int j = 0; j < t->hosts[i].n_nics; j++)
			all[n++] = &t->hosts[i].nics[j];
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (!memcmp(all[i]->mac, all[j]->mac, 6)) {
				topo_perr(p, all[i]->line,
					  "derived MAC address of %s equals that of %s (line %d): "
					  "rename one of them",
					  all[i]->ifname, all[j]->ifname, all[j]->line);
				break;
			}
}

/* after = NODE...: every name a node, none the node itself, no cycle. */
static void check_after(struct parser *p)
{
	struct topo *t = p->t;
	_cleanup_free_ int *mark = xcalloc((size_t)t->n_nodes + 1, sizeof(int));
	_cleanup_free_ int *stack = xcalloc((size_t)t->n_nodes + 1, sizeof(int));

	for (int i = 0; i < t->n_nodes; i++) {
		struct node *nd = &t->nodes[i];

		if (!nd->n_after)
			continue;
		nd->after_idx = xcalloc((size_t)nd->n_after, sizeof(int));
		for (int j = 0; j < nd->n_after; j++) {
			struct node *dep = topo_find_node(t, nd->after[j]);

			if (!dep)
				topo_perr(p, nd->after_line, "after: no node '%s' in this lab",
					  nd->after[j]);
			else if (dep == nd)
				topo_perr(p, nd->after_line, "node %s cannot start after itself",
					  nd->name);
			nd->after_idx[j] = dep ? (int)(dep - t->nodes) : -1;
		}
	}
	if (n_errors(p))
		return;
	/* Depth-first walk; mark 1 = on the current path, 2 = done. */
	for (int s = 0; s < t->n_nodes; s++) {
		int depth = 0;

		if (mark[s])
			continue;
		stack[depth++] = s;
		mark[s] = 1;
		while (depth) {
			int v = stack[depth - 1], next = -1;
			struct node *nd = &t->nodes[v];

			for (int j = 0; j < nd->n_after && next < 0; j++) {
				int w = nd->after_idx[j];

				if (mark[w] == 1) {
					topo_perr(
						p, nd->after_line,
						"after: node %s waits for %s, which waits (through "
						"after) for %s: a cycle",
						nd->name, t->nodes[w].name, nd->name);
					return;
				}
				if (!mark[w])
					next = w;
			}
			if (next >= 0) {
				mark[next] = 1;
				stack[depth++] = next;
			} else {
				mark[v] = 2;
				depth--;
			}
		}
	}
}

/*
 * The checks of the whole file, in stages: each stage runs only if the
 * ones before it found nothing, since it builds on them (NICs on LANs with
 * a subnet, MACs of NICs on known LANs); within a stage every error counts.
 */
void topo_check_all(struct parser *p)
{
	struct topo *t = p->t;

	if (!t->n_lans && !t->n_nodes && !t->n_hosts) {
		topo_perr(p, 0, "empty lab: no [lan], [node] or [host] section");
		return;
	}
	if (!t->name) {
		const char *base = strrchr(t->path, '/');
		_cleanup_free_ char *name = xstrdup(base ? base + 1 : t->path);
		size_t n = strlen(name);
		const char *why;

		if (n > 5 && !strcmp(name + n - 5, ".conf"))
			name[n - 5] = '\0';
		why = lab_name_check(name);
		if (why) {
			topo_perr(p, 0,
				  "lab name '%s' (from the file name) %s: set name = ... in [lab]",
				  name, why);
			return;
		}
		t->name = xstrdup(name);
	}
	if (!t->domain)
		t->domain = xstrdup(t->name);

	check_lans(p);
	if (n_errors(p))
		return;
	topo_check_cables(p);
	topo_check_devices(p);
	for (int i = 0; i < t->n_nodes; i++)
		check_node(p, &t->nodes[i], &p->node_x[i]);
	for (int i = 0; i < t->n_hosts; i++) {
		struct host *h = &t->hosts[i];

		if (!h->n_nics)
			topo_perr(p, h->line, "missing required key 'nic' in [host %s]", h->name);
		else
			check_nics(p, "host", h->name, h->nics, h->n_nics, &p->host_x[i], NULL);
	}
	if (n_errors(p))
		return;
	check_bridge_names(p);
	check_macs(p);
	check_after(p);
	if (n_errors(p))
		return;
	topo_check_machines(p);
	topo_check_cable_machines(p);
}
