// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_status.c - typed accessors for the status JSON (client_status.h;
 * schema: docs/control.md). The only place in the CLI that spells its keys.
 */
#include <string.h>

#include "lab/cli/client_status.h"
#include "lab/lib/status_keys.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int pid(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : 0;
}

static double secs(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

/* A counter: 0 when absent, as json_integer_value() has it. */
static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static size_t count(json_t *o, const char *key)
{
	return json_array_size(json_object_get(o, key)); /* 0 if not an array */
}

bool st_lab_get(json_t *st, struct st_lab *l)
{
	memset(l, 0, sizeof(*l));
	l->uptime_s = -1;
	if (!json_is_object(st))
		return false;
	l->j = st;
	l->lab = str(st, SK_LAB);
	l->domain = str(st, SK_DOMAIN);
	l->topology = str(st, SK_TOPOLOGY);
	l->rundir = str(st, SK_RUNDIR);
	l->statedir = str(st, SK_STATEDIR);
	l->logdir = str(st, SK_LOGDIR);
	l->state = str(st, SK_STATE);
	l->accel = str(st, SK_ACCEL);
	l->supervisor_pid = pid(st, SK_SUPERVISOR_PID);
	l->uptime_s = secs(st, SK_UPTIME_S);
	l->no_boot = json_is_true(json_object_get(st, SK_NO_BOOT));
	l->n_nodes = count(st, SK_NODES);
	l->n_hosts = count(st, SK_HOSTS);
	l->n_lans = count(st, SK_LANS);
	l->machine = str(st, SK_MACHINE);
	l->n_away = count(st, SK_AWAY);
	l->n_tunnels = count(st, SK_TUNNELS);
	return true;
}

static bool owner(json_t *o, bool host, struct st_owner *w)
{
	memset(w, 0, sizeof(*w));
	w->uptime_s = w->boot_s = -1;
	if (!json_is_object(o))
		return false;
	w->j = o;
	w->is_host = host;
	w->name = str(o, SK_NAME);
	w->dns = str(o, SK_DNS);
	w->state = str(o, SK_STATE);
	w->pid = pid(o, SK_PID);
	w->n_nics = count(o, SK_NICS);
	w->n_ports = count(o, SK_PORTS);
	w->n_forwards = count(o, SK_FORWARDS);
	if (host) {
		w->command = str(o, SK_COMMAND);
		w->log = str(o, SK_LOG);
		w->holder_pid = pid(o, SK_HOLDER_PID);
	} else {
		w->accel = str(o, SK_ACCEL);
		w->image = str(o, SK_IMAGE);
		w->disk = str(o, SK_DISK);
		w->qmp = str(o, SK_QMP);
		w->qemu_log = str(o, SK_QEMU_LOG);
		w->console = str(o, SK_CONSOLE);
		w->uptime_s = secs(o, SK_UPTIME_S);
		w->boot_s = secs(o, SK_BOOT_S);
	}
	return w->name != NULL;
}

bool st_node(const struct st_lab *l, size_t i, struct st_owner *o)
{
	return owner(json_array_get(json_object_get(l->j, SK_NODES), i), false, o);
}

bool st_host(const struct st_lab *l, size_t i, struct st_owner *o)
{
	return owner(json_array_get(json_object_get(l->j, SK_HOSTS), i), true, o);
}

bool st_lan(const struct st_lab *l, size_t i, struct st_lan *o)
{
	json_t *j = json_array_get(json_object_get(l->j, SK_LANS), i);

	memset(o, 0, sizeof(*o));
	if (!json_is_object(j))
		return false;
	o->name = str(j, SK_NAME);
	o->bridge = str(j, SK_BRIDGE);
	o->subnet = str(j, SK_SUBNET);
	o->address = str(j, SK_ADDRESS);
	o->leases = str(j, SK_LEASES);
	o->uplink = str(j, SK_UPLINK);
	o->log = str(j, SK_LOG);
	o->dnsmasq_pid = pid(j, SK_DNSMASQ_PID);
	return o->name != NULL;
}

bool st_find_node(const struct st_lab *l, const char *name, struct st_owner *o)
{
	for (size_t i = 0; i < l->n_nodes; i++)
		if (st_node(l, i, o) && name && !strcmp(o->name, name))
			return true;
	memset(o, 0, sizeof(*o));
	return false;
}

bool st_find_host(const struct st_lab *l, const char *name, struct st_owner *o)
{
	for (size_t i = 0; i < l->n_hosts; i++)
		if (st_host(l, i, o) && name && !strcmp(o->name, name))
			return true;
	memset(o, 0, sizeof(*o));
	return false;
}

bool st_find_lan(const struct st_lab *l, const char *name, struct st_lan *o)
{
	for (size_t i = 0; i < l->n_lans; i++)
		if (st_lan(l, i, o) && name && !strcmp(o->name, name))
			return true;
	memset(o, 0, sizeof(*o));
	return false;
}

bool st_nic(const struct st_owner *o, size_t i, struct st_nic *n)
{
	json_t *j = json_array_get(json_object_get(o->j, SK_NICS), i);

	memset(n, 0, sizeof(*n));
	if (!json_is_object(j))
		return false;
	n->ifname = str(j, SK_IFNAME);
	n->guest_ifname = str(j, SK_GUEST_IFNAME);
	n->lan = str(j, SK_LAN);
	n->mac = str(j, SK_MAC);
	n->kind = str(j, SK_KIND);
	n->address = str(j, SK_ADDRESS);
	n->lease = json_is_true(json_object_get(j, SK_LEASE));
	n->fixed = json_is_true(json_object_get(j, SK_FIXED));
	return true;
}

bool st_port(const struct st_owner *o, size_t i, struct st_port *p)
{
	json_t *j = json_array_get(json_object_get(o->j, SK_PORTS), i), *x;

	memset(p, 0, sizeof(*p));
	p->index = -1;
	if (!json_is_object(j))
		return false;
	p->port = str(j, SK_PORT);
	p->kind = str(j, SK_KIND);
	p->socket = str(j, SK_SOCKET);
	p->socket_ro = str(j, SK_SOCKET_RO);
	p->log = str(j, SK_LOG);
	p->tcp = str(j, SK_TCP);
	x = json_object_get(j, SK_INDEX);
	p->index = json_is_integer(x) ? (int)json_integer_value(x) : (int)i;
	return true;
}

bool st_fwd(const struct st_owner *o, size_t i, struct st_fwd *f)
{
	json_t *j = json_array_get(json_object_get(o->j, SK_FORWARDS), i);

	memset(f, 0, sizeof(*f));
	if (!json_is_object(j))
		return false;
	f->proto = str(j, SK_PROTO);
	f->listen = str(j, SK_LISTEN);
	f->guest_port = num(j, SK_GUEST_PORT);
	f->connections = num(j, SK_CONNECTIONS);
	f->active = num(j, SK_ACTIVE);
	f->bytes = num(j, SK_BYTES);
	f->datagrams_to_guest = num(j, SK_DATAGRAMS_TO_GUEST);
	f->datagrams_from_guest = num(j, SK_DATAGRAMS_FROM_GUEST);
	f->dropped_to_guest = num(j, SK_DROPPED_TO_GUEST);
	f->dropped_from_guest = num(j, SK_DROPPED_FROM_GUEST);
	return true;
}

bool st_away(const struct st_lab *l, size_t i, struct st_away *a)
{
	json_t *j = json_array_get(json_object_get(l->j, SK_AWAY), i);

	memset(a, 0, sizeof(*a));
	if (!json_is_object(j))
		return false;
	a->name = str(j, SK_NAME);
	a->machine = str(j, SK_MACHINE);
	return true;
}

bool st_tunnel(const struct st_lab *l, size_t i, struct st_tunnel *t)
{
	json_t *j = json_array_get(json_object_get(l->j, SK_TUNNELS), i);

	memset(t, 0, sizeof(*t));
	if (!json_is_object(j))
		return false;
	t->j = j;
	t->lan = str(j, SK_LAN);
	t->device = str(j, SK_DEVICE);
	t->home = str(j, SK_HOME);
	t->error = str(j, SK_TUNNEL_ERROR);
	t->vni = num(j, SK_VNI);
	t->rx_packets = num(j, SK_RX_PACKETS);
	t->rx_bytes = num(j, SK_RX_BYTES);
	t->tx_packets = num(j, SK_TX_PACKETS);
	t->tx_bytes = num(j, SK_TX_BYTES);
	t->n_peers = count(j, SK_PEERS);
	return true;
}

bool st_peer(const struct st_tunnel *t, size_t i, struct st_peer *p)
{
	json_t *j = json_array_get(json_object_get(t->j, SK_PEERS), i);

	memset(p, 0, sizeof(*p));
	if (!json_is_object(j))
		return false;
	p->machine = str(j, SK_MACHINE);
	p->address = str(j, SK_ADDRESS);
	p->port = num(j, SK_PORT);
	return true;
}
