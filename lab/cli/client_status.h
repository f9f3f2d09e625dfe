/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_status.h - the status JSON of a running lab read through typed
 * accessors (client_status.c) instead of string-keyed lookups in each verb.
 * The schema is docs/control.md; the writer is lab/sv/sv_status.c. Every
 * string is borrowed from the JSON object (valid while it lives) and NULL
 * when the key is absent, null or not a string; numbers absent are 0 (pids)
 * or -1 (times). A malformed reply never crashes a reader.
 */
#ifndef VACMLAB_CLIENT_STATUS_H
#define VACMLAB_CLIENT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct st_lab {
	json_t *j;
	const char *lab, *domain, *topology, *rundir, *statedir, *logdir, *state, *accel;
	int supervisor_pid;
	double uptime_s;
	bool no_boot;
	size_t n_nodes, n_hosts, n_lans;
};

/* A node or a [host]: what both have, and each one's own. */
struct st_owner {
	json_t *j;
	bool is_host;
	const char *name, *dns, *state;
	int pid; /* QEMU's, or the host command's; 0: none */
	size_t n_nics, n_ports;
	/* nodes */
	const char *accel, *image, *disk, *qmp, *qemu_log, *console;
	double uptime_s, boot_s;
	/* hosts */
	const char *command, *log;
	int holder_pid;
};

struct st_nic {
	const char *ifname, *guest_ifname, *lan, *mac, *kind, *address;
	bool lease, fixed;
};

struct st_port {
	const char *port, *kind, *socket, *socket_ro, *log, *tcp;
	int index;
};

struct st_lan {
	const char *name, *bridge, *subnet, *address, *leases, *uplink, *log;
	int dnsmasq_pid;
};

/* Read the top of a status reply; false if @st is not an object. */
bool st_lab_get(json_t *st, struct st_lab *l);
/* The @i-th node, host or LAN; false past the end. */
bool st_node(const struct st_lab *l, size_t i, struct st_owner *o);
bool st_host(const struct st_lab *l, size_t i, struct st_owner *o);
bool st_lan(const struct st_lab *l, size_t i, struct st_lan *o);
/* By name; false if there is none. */
bool st_find_node(const struct st_lab *l, const char *name, struct st_owner *o);
bool st_find_host(const struct st_lab *l, const char *name, struct st_owner *o);
bool st_find_lan(const struct st_lab *l, const char *name, struct st_lan *o);
/* A node's or host's @i-th NIC and (nodes) serial port; false past the end. */
bool st_nic(const struct st_owner *o, size_t i, struct st_nic *n);
bool st_port(const struct st_owner *o, size_t i, struct st_port *p);

#endif
