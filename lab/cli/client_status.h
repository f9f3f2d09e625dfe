/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_status.h - the status JSON of a running lab read through typed
 * accessors (client_status.c) instead of string-keyed lookups in each verb.
 * The schema is docs/control.md; the writer is lab/sv/sv_status.c. Every
 * string is borrowed from the JSON object (valid while it lives) and NULL
 * when the key is absent, null or not a string; numbers absent are 0 (pids)
 * or -1 (times), counters absent are 0. A malformed reply never crashes a
 * reader. The keys are spelled in lab/lib/status_keys.h (included here, so
 * readers compare states with its SKV_ names).
 */
#ifndef VACMLAB_CLIENT_STATUS_H
#define VACMLAB_CLIENT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "lab/lib/status_keys.h"

struct st_lab {
	json_t *j;
	const char *lab, *domain, *topology, *rundir, *statedir, *logdir, *state, *accel;
	int supervisor_pid;
	double uptime_s;
	bool no_boot;
	size_t n_nodes, n_hosts, n_lans;
	/* a lab spread over machines: this machine, or NULL */
	const char *machine;
	size_t n_away, n_tunnels;
};

/* A node or a [host]: what both have, and each one's own. */
struct st_owner {
	json_t *j;
	bool is_host;
	const char *name, *dns, *state;
	int pid; /* QEMU's, or the host command's; 0: none */
	size_t n_nics, n_ports, n_forwards;
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

/* A node's forward (sv_fwd.c, sv_udp.c); the datagram and drop counters
 * are udp's. */
struct st_fwd {
	const char *proto, *listen;
	long long guest_port, connections, active, bytes;
	long long datagrams_to_guest, datagrams_from_guest, dropped_to_guest, dropped_from_guest;
};

/* A node or host on another machine. */
struct st_away {
	const char *name, *machine;
};

struct st_tunnel {
	json_t *j;
	const char *lan, *device, *home, *error;
	long long vni, rx_packets, rx_bytes, tx_packets, tx_bytes;
	size_t n_peers;
};

struct st_peer {
	const char *machine, *address;
	long long port;
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
/* A node's @i-th forward; the @i-th away node or host, tunnel, and a
 * tunnel's @i-th peer; false past the end. */
bool st_fwd(const struct st_owner *o, size_t i, struct st_fwd *f);
bool st_away(const struct st_lab *l, size_t i, struct st_away *a);
bool st_tunnel(const struct st_lab *l, size_t i, struct st_tunnel *t);
bool st_peer(const struct st_tunnel *t, size_t i, struct st_peer *p);

#endif
