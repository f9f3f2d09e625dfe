// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_status.c - typed accessors for the status JSON (client_status.h;
 * schema: docs/control.md). The only place in the CLI that spells its keys.
 */
#include <string.h>

#include "lab/cli/client_status.h"

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
	l->lab = str(st, "lab");
	l->domain = str(st, "domain");
	l->topology = str(st, "topology");
	l->rundir = str(st, "rundir");
	l->statedir = str(st, "statedir");
	l->logdir = str(st, "logdir");
	l->state = str(st, "state");
	l->accel = str(st, "accel");
	l->supervisor_pid = pid(st, "supervisor_pid");
	l->uptime_s = secs(st, "uptime_s");
	l->no_boot = json_is_true(json_object_get(st, "no_boot"));
	l->n_nodes = count(st, "nodes");
	l->n_hosts = count(st, "hosts");
	l->n_lans = count(st, "lans");
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
	w->name = str(o, "name");
	w->dns = str(o, "dns");
	w->state = str(o, "state");
	w->pid = pid(o, "pid");
	w->n_nics = count(o, "nics");
	w->n_ports = count(o, "ports");
	if (host) {
		w->command = str(o, "command");
		w->log = str(o, "log");
		w->holder_pid = pid(o, "holder_pid");
	} else {
		w->accel = str(o, "accel");
		w->image = str(o, "image");
		w->disk = str(o, "disk");
		w->qmp = str(o, "qmp");
		w->qemu_log = str(o, "qemu_log");
		w->console = str(o, "console");
		w->uptime_s = secs(o, "uptime_s");
		w->boot_s = secs(o, "boot_s");
	}
	return w->name != NULL;
}

bool st_node(const struct st_lab *l, size_t i, struct st_owner *o)
{
	return owner(json_array_get(json_object_get(l->j, "nodes"), i), false, o);
}

bool st_host(const struct st_lab *l, size_t i, struct st_owner *o)
{
	return owner(json_array_get(json_object_get(l->j, "hosts"), i), true, o);
}

bool st_lan(const struct st_lab *l, size_t i, struct st_lan *o)
{
	json_t *j = json_array_get(json_object_get(l->j, "lans"), i);

	memset(o, 0, sizeof(*o));
	if (!json_is_object(j))
		return false;
	o->name = str(j, "name");
	o->bridge = str(j, "bridge");
	o->subnet = str(j, "subnet");
	o->address = str(j, "address");
	o->leases = str(j, "leases");
	o->uplink = str(j, "uplink");
	o->log = str(j, "log");
	o->dnsmasq_pid = pid(j, "dnsmasq_pid");
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
	json_t *j = json_array_get(json_object_get(o->j, "nics"), i);

	memset(n, 0, sizeof(*n));
	if (!json_is_object(j))
		return false;
	n->ifname = str(j, "ifname");
	n->guest_ifname = str(j, "guest_ifname");
	n->lan = str(j, "lan");
	n->mac = str(j, "mac");
	n->kind = str(j, "kind");
	n->address = str(j, "address");
	n->lease = json_is_true(json_object_get(j, "lease"));
	n->fixed = json_is_true(json_object_get(j, "fixed"));
	return true;
}

bool st_port(const struct st_owner *o, size_t i, struct st_port *p)
{
	json_t *j = json_array_get(json_object_get(o->j, "ports"), i), *x;

	memset(p, 0, sizeof(*p));
	p->index = -1;
	if (!json_is_object(j))
		return false;
	p->port = str(j, "port");
	p->kind = str(j, "kind");
	p->socket = str(j, "socket");
	p->socket_ro = str(j, "socket_ro");
	p->log = str(j, "log");
	p->tcp = str(j, "tcp");
	x = json_object_get(j, "index");
	p->index = json_is_integer(x) ? (int)json_integer_value(x) : (int)i;
	return true;
}
