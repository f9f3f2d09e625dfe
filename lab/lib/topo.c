// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo.c - the topology model's helpers: free, lookups by name, the derived
 * MAC addresses, names of the kinds, and path joining. The parser that
 * builds the model is topo_load.c (see the DOC there).
 */
#include <stdio.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

static void free_nics(struct nic *nics, int n)
{
	for (int i = 0; i < n; i++) {
		free(nics[i].lan_name);
		free(nics[i].model);
	}
	free(nics);
}

void topo_dhcp_set_free(struct dhcp_set *d)
{
	free(d->opts);
	free(d->opt_lines);
	free(d->vendor_class);
	free(d->ztp_config);
	free(d->ztp_firmware);
}

static void free_node(struct node *nd)
{
	free(nd->name);
	free(nd->image);
	free(nd->nic_model);
	free(nd->cpu);
	free(nd->config_seed);
	free(nd->nvlog_seed);
	qemu_args_free(nd->qemu_args);
	for (int j = 0; j < nd->n_after; j++)
		free(nd->after[j]);
	free(nd->after);
	free(nd->after_idx);
	free_nics(nd->nics, nd->n_nics);
	free(nd->ready.regex);
	for (int j = 0; j < nd->n_forwards; j++)
		free(nd->forwards[j].host_addr);
	free(nd->forwards);
	free(nd->on_name);
	topo_dhcp_set_free(&nd->dhcp);
	free(nd->usb);
	for (int j = 0; j < TOPO_MAX_SERIAL; j++)
		free(nd->serial[j].peer);
}

static void free_host(struct host *h)
{
	free(h->name);
	free(h->command);
	free(h->serve_dir);
	free(h->on_name);
	free_nics(h->nics, h->n_nics);
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n_away_nodes; i++)
		free_node(&t->away_nodes[i]);
	for (int i = 0; i < t->n_away_hosts; i++)
		free_host(&t->away_hosts[i]);
	free(t->away_nodes);
	free(t->away_hosts);
	for (int i = 0; i < t->n_machines; i++) {
		free(t->machines[i].name);
		free(t->machines[i].host);
	}
	free(t->machines);
	for (int i = 0; i < t->n_lans; i++) {
		free(t->lans[i].name);
		free(t->lans[i].uplink);
		free(t->lans[i].home_name);
		topo_dhcp_set_free(&t->lans[i].dhcp);
		free(t->lans[i].tftp_dir);
	}
	for (int i = 0; i < t->n_nodes; i++)
		free_node(&t->nodes[i]);
	for (int i = 0; i < t->n_hosts; i++)
		free_host(&t->hosts[i]);
	free(t->lans);
	free(t->nodes);
	free(t->hosts);
	for (int i = 0; i < t->n_devices; i++) {
		free(t->devices[i].name);
		free(t->devices[i].command);
	}
	free(t->devices);
	free(t->path);
	free(t->dir);
	free(t->name);
	free(t->domain);
	free(t->cpu);
	free(t);
}

struct in6_addr topo_lan6_addr(const struct lan *l, uint32_t iid)
{
	struct in6_addr a = l->net6;
	uint32_t be = htonl(iid);

	memcpy(&a.s6_addr[12], &be, 4);
	return a;
}

bool topo_addr6_unset(const struct in6_addr *a)
{
	static const struct in6_addr zero;

	return !memcmp(a, &zero, sizeof(zero));
}

struct lan *topo_find_lan(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_lans; i++)
		if (!strcmp(t->lans[i].name, name))
			return &t->lans[i];
	return NULL;
}

struct node *topo_find_node(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name))
			return &t->nodes[i];
	return NULL;
}

struct host *topo_find_host(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_hosts; i++)
		if (!strcmp(t->hosts[i].name, name))
			return &t->hosts[i];
	return NULL;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *c = data;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void topo_derive_mac(const char *lab, const char *owner, int idx, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char i = (unsigned char)idx;

	/* The NUL separators keep ("ab","c") and ("a","bc") apart. */
	h = fnv1a(h, lab, strlen(lab) + 1);
	h = fnv1a(h, owner, strlen(owner) + 1);
	h = fnv1a(h, &i, 1);
	/* FNV-1a mixes its last bytes poorly into the low bits: finish with
	 * MurmurHash3's fmix64 so NICs of one node differ in all 24 bits. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

uint32_t topo_derive_vni(const char *lab, const char *lan)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t v;

	h = fnv1a(h, "vni", 4);
	h = fnv1a(h, lab, strlen(lab) + 1);
	h = fnv1a(h, lan, strlen(lan) + 1);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	v = (uint32_t)h & 0xffffff;
	return v ? v : 1;
}

void topo_vxlan_ifname(const struct lan *l, char dev[16])
{
	snprintf(dev, 16, "vx-%s", l->name);
}

bool topo_lan_crosses(const struct topo *t, const struct lan *l)
{
	(void)t;
	return __builtin_popcount(l->machines) >= 2;
}

bool topo_lan_home_here(const struct topo *t, const struct lan *l)
{
	return !t->here || l->home == t->here;
}

struct in_addr topo_lan_machine_addr(const struct topo *t, const struct lan *l,
				     const struct machine *m)
{
	uint32_t mask = l->prefix ? ~0u << (32 - l->prefix) : 0;
	uint32_t a = (ntohl(l->net.s_addr) | ~mask) - 1, own = ntohl(l->addr.s_addr);
	long idx = m - t->machines;

	if (m == l->home)
		return l->addr;
	for (long k = 0;; a--) {
		if (a == own)
			continue;
		if (k++ == idx)
			break;
	}
	return (struct in_addr){htonl(a)};
}

int topo_place(struct topo *t, const char *machine, struct vl_err *e)
{
	struct machine *m = NULL;
	int k = 0;

	if (!t->n_machines) {
		if (machine)
			return vl_fail(e, EXIT_CONFIG,
				       "--machine %s: the topology has no [machine] sections",
				       machine);
		return 0;
	}
	if (!machine)
		return vl_fail(
			e, EXIT_CONFIG,
			"the lab spreads over %d machines: say which one this is with --machine "
			"NAME (e.g. --machine %s)",
			t->n_machines, t->machines[0].name);
	for (int i = 0; i < t->n_machines; i++)
		if (!strcmp(t->machines[i].name, machine))
			m = &t->machines[i];
	if (!m)
		return vl_fail(e, EXIT_CONFIG, "--machine %s: no [machine %s] in the topology",
			       machine, machine);
	t->here = m;
	/* Local nodes and hosts keep their order; the others move away. */
	t->away_nodes = xcalloc((size_t)t->n_nodes + 1, sizeof(*t->away_nodes));
	_cleanup_free_ int *idx = xcalloc((size_t)t->n_nodes + 1, sizeof(int));

	for (int i = 0; i < t->n_nodes; i++) {
		idx[i] = t->nodes[i].on == m ? k : -1;
		if (t->nodes[i].on != m)
			t->away_nodes[t->n_away_nodes++] = t->nodes[i];
		else
			t->nodes[k++] = t->nodes[i];
	}
	t->n_nodes = k;
	/* after = indexes nodes: renumber, and drop the nodes away (a start
	 * order across machines is not kept; docs/multi-machine.md). */
	for (int i = 0; i < t->n_nodes; i++) {
		struct node *nd = &t->nodes[i];
		int n = 0;

		for (int j = 0; j < nd->n_after; j++) {
			if (idx[nd->after_idx[j]] < 0) {
				free(nd->after[j]);
				continue;
			}
			nd->after[n] = nd->after[j];
			nd->after_idx[n++] = idx[nd->after_idx[j]];
		}
		nd->n_after = n;
	}
	k = 0;
	t->away_hosts = xcalloc((size_t)t->n_hosts + 1, sizeof(*t->away_hosts));
	for (int i = 0; i < t->n_hosts; i++) {
		if (t->hosts[i].on != m)
			t->away_hosts[t->n_away_hosts++] = t->hosts[i];
		else
			t->hosts[k++] = t->hosts[i];
	}
	t->n_hosts = k;
	return 0;
}

const char *serial_kind_name(enum serial_kind k)
{
	switch (k) {
	case SERIAL_CONSOLE: return SKV_PORT_CONSOLE;
	case SERIAL_LOOP: return SKV_PORT_LOOP;
	case SERIAL_RINGBUF: return SKV_PORT_RINGBUF;
	case SERIAL_TCP: return SKV_PORT_TCP;
	case SERIAL_UNIX: return SKV_PORT_UNIX;
	case SERIAL_LOG: return SKV_PORT_LOG;
	case SERIAL_NONE: return SKV_PORT_NONE;
	case SERIAL_CABLE: return SKV_PORT_CABLE;
	case SERIAL_DEVICE: return SKV_PORT_DEVICE;
	case SERIAL_PTY: return SKV_PORT_PTY;
	}
	return "?";
}

const char *ready_cond_name(enum ready_cond c)
{
	switch (c) {
	case READY_DHCP: return "dhcp";
	case READY_CONSOLE: return "console";
	case READY_TCP: return "tcp";
	}
	return "?";
}

void ready_describe(const struct ready *r, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (r->none || !r->conds) {
		snprintf(buf, len, "none");
		return;
	}
	if (r->conds & READY_DHCP)
		o += (size_t)snprintf(buf + o, len - o, "dhcp");
	if ((r->conds & READY_CONSOLE) && o < len) {
		o += (size_t)snprintf(buf + o, len - o, "%sconsole \"", o ? " " : "");
		for (const char *c = r->regex; c && *c && o + 3 < len; c++) {
			if (*c == '"')
				buf[o++] = '\\';
			buf[o++] = *c;
		}
		if (o + 1 < len)
			buf[o++] = '"';
		buf[o < len ? o : len - 1] = '\0';
	}
	if ((r->conds & READY_TCP) && o < len)
		snprintf(buf + o, len - o, "%stcp %d", o ? " " : "", r->port);
}

/* Join @dir and @rel, and drop "." and ".." lexically (@dir is a realpath,
 * so ".." right after it means its parent). */
char *topo_join_path(const char *dir, const char *rel)
{
	_cleanup_free_ char *in = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", dir, rel);
	char *out = xmalloc(strlen(in) + 2), *tok, *save = NULL;
	size_t o = 0;

	for (tok = strtok_r(in, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, tok, strlen(tok));
		o += strlen(tok);
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}
