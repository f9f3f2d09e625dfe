// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_status.c - the status JSON, the answer to the control method
 * "status" and the source of `vacmlab status`, `up`'s table, `run`'s
 * artifacts and every client lookup. Its schema is written down once, in
 * docs/control.md; the CLI reads it through the typed accessors of
 * lab/cli/client_status.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/dnsmasq.h"
#include "lab/lib/rundir.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
#include "netns/nl.h"
/* A JSON string of malloc'd @s, which it frees. */
static json_t *jstr_take(char *s)
{
	json_t *j = json_string(s);

	free(s);
	return j;
}

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static json_t *ip6_json(const struct in6_addr *a)
{
	char b[INET6_ADDRSTRLEN];

	return json_string(inet_ntop(AF_INET6, a, b, sizeof(b)));
}

/* A NIC's IPv6 address: its fixed one, else its DHCPv6 lease's (a SLAAC
 * address is the guest's own business: dnsmasq names it, status does not
 * guess it); null on a LAN without subnet6. */
static json_t *nic6_json(struct sv_lan *l, const struct nic *nic)
{
	struct in6_addr a;

	if (!topo_addr6_unset(&nic->addr6))
		return ip6_json(&nic->addr6);
	if (nic->lan->has6 && lease6_lookup(l->leases, nic->mac, &a))
		return ip6_json(&a);
	return json_null();
}

static json_t *nics_json(struct sv *sv, struct nic *nics, int n, bool tap, const bool *down)
{
	json_t *arr = json_array();
	char a[INET_ADDRSTRLEN], mac[18];

	for (int i = 0; i < n; i++) {
		struct nic *nic = &nics[i];
		struct sv_lan *l = &sv->lans[nic->lan - sv->t->lans];
		struct in_addr lease = {0};
		bool leased = lease_lookup(l->leases, nic->mac, &lease, NULL, 0);
		json_t *o;

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", nic->mac[0],
			 nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5]);
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", SK_IFNAME, nic->ifname, SK_GUEST_IFNAME,
			      "", SK_LAN, nic->lan->name, SK_MAC, mac, SK_KIND,
			      tap ? SKV_TAP : SKV_VETH, SK_LEASE, leased);
		json_object_set_new(o, SK_GUEST_IFNAME, json_sprintf("eth%d", i));
		if (nic->addr.s_addr)
			json_object_set_new(o, SK_ADDRESS, json_string(ip(nic->addr, a)));
		else if (leased)
			json_object_set_new(o, SK_ADDRESS, json_string(ip(lease, a)));
		else
			json_object_set_new(o, SK_ADDRESS, json_null());
		json_object_set_new(o, SK_FIXED, json_boolean(nic->addr.s_addr != 0));
		json_object_set_new(o, SK_ADDRESS6, nic6_json(l, nic));
		json_object_set_new(o, SK_FIXED6, json_boolean(!topo_addr6_unset(&nic->addr6)));
		if (down)
			json_object_set_new(o, SK_LINK,
					    json_string(down[i] ? SKV_LINK_DOWN : SKV_LINK_UP));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *ports_json(struct sv *sv, struct sv_node *n)
{
	json_t *arr = json_array();

	for (int i = 0; i < n->cfg->n_serial; i++) {
		const struct serial_port *sp = &n->cfg->serial[i];
		json_t *o =
			json_pack("{s:s,s:s}", SK_PORT, "", SK_KIND, serial_kind_name(sp->kind));

		json_object_set_new(o, SK_PORT, json_sprintf("ttyS%d", i));
		json_object_set_new(o, SK_INDEX, json_integer(i));
		switch (sp->kind) {
		case SERIAL_CONSOLE:
			json_object_set_new(o, SK_SOCKET,
					    jstr_take(port_sock_path(n->dir, i, false)));
			json_object_set_new(o, SK_SOCKET_RO,
					    jstr_take(port_sock_path(n->dir, i, true)));
			json_object_set_new(
				o, SK_LOG,
				json_string(n->ports[i].log_path ? n->ports[i].log_path : ""));
			json_object_set_new(o, SK_CLIENTS, json_integer(0));
			{
				int c = 0;

				for (struct sv_client *cl = n->ports[i].clients; cl; cl = cl->next)
					c++;
				json_object_set_new(o, SK_CLIENTS, json_integer(c));
			}
			json_object_set_new(o, SK_BYTES,
					    json_integer((json_int_t)n->ports[i].bytes_out));
			break;
		case SERIAL_CABLE:
		case SERIAL_DEVICE:
		case SERIAL_PTY:
			json_object_set_new(o, SK_SOCKET_RO,
					    jstr_take(port_sock_path(n->dir, i, true)));
			json_object_set_new(
				o, SK_LOG,
				json_string(n->ports[i].log_path ? n->ports[i].log_path : ""));
			{
				json_t *cj = sv_cable_json(&n->ports[i]);

				json_object_update(o, cj);
				json_decref(cj);
			}
			if (sp->kind == SERIAL_PTY && n->ports[i].pty)
				json_object_set_new(o, SK_PTY, json_string(n->ports[i].pty->pty));
			for (int d = 0; sp->kind == SERIAL_DEVICE && d < sv->t->n_devices; d++) {
				json_t *dj;

				if (strcmp(sv->devices[d]->cfg->name, sp->peer))
					continue;
				dj = sv_device_json(sv->devices[d]);
				json_object_update(o, dj);
				json_decref(dj);
			}
			break;
		case SERIAL_TCP:
			json_object_set_new(o, SK_TCP, json_sprintf("127.0.0.1:%d", sp->tcp_port));
			break;
		case SERIAL_UNIX:
			json_object_set_new(o, SK_SOCKET,
					    jstr_take(port_sock_path(n->dir, i, false)));
			break;
		case SERIAL_LOG:
			json_object_set_new(
				o, SK_LOG,
				json_string(n->ports[i].log_path ? n->ports[i].log_path : ""));
			break;
		case SERIAL_LOOP:
		case SERIAL_RINGBUF:
		case SERIAL_NONE: break;
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

/* A lab spread over machines: each VXLAN device, its peers, its counters
 * (the link's netlink stats). */
static json_t *tunnels_json(struct sv *sv)
{
	struct topo *t = sv->t;
	json_t *a = json_array();

	for (int i = 0; i < t->n_lans; i++) {
		struct lan *l = &t->lans[i];
		struct nlx_stats st = {0};
		json_t *o, *peers = json_array();
		char dev[16];
		int r;

		if (!topo_lan_crosses(t, l) || !(l->machines & (1u << (t->here - t->machines))))
			continue;
		topo_vxlan_ifname(l, dev);
		for (int m = 0; m < t->n_machines; m++)
			if (&t->machines[m] != t->here && (l->machines & (1u << m)))
				json_array_append_new(peers,
						      json_pack("{s:s,s:s,s:i}", SK_MACHINE,
								t->machines[m].name, SK_ADDRESS,
								inet_ntoa(t->machines[m].addr),
								SK_PORT, t->machines[m].port));
		r = sv->nl ? nlx_link_stats(sv->nl, dev, &st) : -ENODEV;
		o = json_pack("{s:s,s:s,s:i,s:s,s:b,s:o}", SK_LAN, l->name, SK_DEVICE, dev, SK_VNI,
			      (int)l->vni, SK_HOME, l->home->name, SK_HOME_HERE, l->home == t->here,
			      SK_PEERS, peers);
		if (r == 0) {
			json_object_set_new(o, SK_RX_PACKETS,
					    json_integer((json_int_t)st.rx_packets));
			json_object_set_new(o, SK_TX_PACKETS,
					    json_integer((json_int_t)st.tx_packets));
			json_object_set_new(o, SK_RX_BYTES, json_integer((json_int_t)st.rx_bytes));
			json_object_set_new(o, SK_TX_BYTES, json_integer((json_int_t)st.tx_bytes));
			json_object_set_new(o, SK_RX_DROPPED,
					    json_integer((json_int_t)st.rx_dropped));
			json_object_set_new(o, SK_TX_DROPPED,
					    json_integer((json_int_t)st.tx_dropped));
			json_object_set_new(o, SK_TX_ERRORS,
					    json_integer((json_int_t)st.tx_errors));
		} else {
			json_object_set_new(o, SK_TUNNEL_ERROR, json_string(strerror(-r)));
		}
		json_array_append_new(a, o);
	}
	return a;
}

json_t *sv_status_json(struct sv *sv)
{
	json_t *root = json_object(), *lans = json_array(), *nodes = json_array(),
	       *hosts = json_array();
	long long now = now_ms();
	char a[INET_ADDRSTRLEN];

	json_object_set_new(root, SK_LAB, json_string(sv->t->name));
	json_object_set_new(root, SK_DOMAIN, json_string(sv->t->domain));
	json_object_set_new(root, SK_TOPOLOGY, json_string(sv->topo_path));
	json_object_set_new(root, SK_SUPERVISOR_PID, json_integer(getpid()));
	json_object_set_new(root, SK_RUNDIR, json_string(sv->rundir));
	json_object_set_new(root, SK_STATEDIR, json_string(sv->statedir));
	json_object_set_new(root, SK_LOGDIR, json_string(sv->logdir));
	json_object_set_new(root, SK_UPTIME_S, json_real((double)(now - sv->t0) / 1000.0));
	json_object_set_new(root, SK_NO_BOOT, json_boolean(sv->no_boot));
	json_object_set_new(root, SK_ACCEL, json_string(sv->kvm ? SKV_KVM : SKV_TCG));
	json_object_set_new(root, SK_STATE,
			    json_string(sv->phase == PH_STARTING  ? SKV_LAB_STARTING
					: sv->phase == PH_RUNNING ? SKV_LAB_RUNNING
								  : SKV_LAB_STOPPING));
	for (int i = 0; i < sv->t->n_lans; i++) {
		struct sv_lan *l = &sv->lans[i];
		json_t *o = json_object();

		json_object_set_new(o, SK_NAME, json_string(l->cfg->name));
		json_object_set_new(o, SK_BRIDGE, json_string(l->cfg->name));
		json_object_set_new(o, SK_SUBNET,
				    json_sprintf("%s/%d", ip(l->cfg->net, a), l->cfg->prefix));
		json_object_set_new(o, SK_ADDRESS, json_string(ip(l->cfg->addr, a)));
		if (l->cfg->has6) {
			char b6[INET6_ADDRSTRLEN];

			json_object_set_new(o, SK_SUBNET6,
					    json_sprintf("%s/64", inet_ntop(AF_INET6, &l->cfg->net6,
									    b6, sizeof(b6))));
			json_object_set_new(o, SK_ADDRESS6, ip6_json(&l->cfg->addr6));
		} else {
			json_object_set_new(o, SK_SUBNET6, json_null());
			json_object_set_new(o, SK_ADDRESS6, json_null());
		}
		json_object_set_new(o, SK_DNSMASQ_PID,
				    sv->dns.pid > 0 ? json_integer(sv->dns.pid) : json_null());
		json_object_set_new(o, SK_LEASES, json_string(l->leases));
		json_object_set_new(o, SK_UPLINK,
				    l->cfg->uplink ? json_string(l->cfg->uplink) : json_null());
		/* The host, from this LAN's guests: by name and by address. */
		if (l->cfg->uplink && sv->uplink_gw.s_addr) {
			json_object_set_new(o, SK_HOST_ADDRESS, json_string(ip(sv->uplink_gw, a)));
			json_object_set_new(o, SK_HOST_NAME,
					    json_sprintf("host.%s", sv->t->domain));
		}
		json_object_set_new(o, SK_LOG, json_string(l->log));
		json_array_append_new(lans, o);
	}
	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];
		json_t *o = json_object();

		json_object_set_new(o, SK_NAME, json_string(n->cfg->name));
		json_object_set_new(o, SK_STATE, json_string(node_state_name(n->state)));
		json_object_set_new(o, SK_PID, n->pidfd >= 0 ? json_integer(n->pid) : json_null());
		json_object_set_new(o, SK_DNS, json_sprintf("%s.%s", n->cfg->name, sv->t->domain));
		json_object_set_new(o, SK_IMAGE, json_string(n->cfg->image));
		json_object_set_new(o, SK_DISK, json_string(n->disk));
		json_object_set_new(o, SK_QMP, json_string(n->qmp_path));
		json_object_set_new(o, SK_USB, n->usb_src ? json_string(n->usb_src) : json_null());
		json_object_set_new(o, SK_CONSOLE,
				    n->cfg->n_serial && n->cfg->serial[0].kind == SERIAL_CONSOLE
					    ? jstr_take(port_sock_path(n->dir, 0, false))
					    : json_null());
		json_object_set_new(o, SK_QEMU_LOG, json_string(n->qemu_log));
		if (n->t_start)
			json_object_set_new(
				o, SK_UPTIME_S,
				json_real((double)((n->state == NODE_EXITED ? n->t_exit : now) -
						   n->t_start) /
					  1000.0));
		if (n->t_ready)
			json_object_set_new(o, SK_BOOT_S,
					    json_real((double)(n->t_ready - n->t_start) / 1000.0));
		if (n->state == NODE_EXITED) {
			if (WIFEXITED(n->status))
				json_object_set_new(o, SK_EXIT_STATUS,
						    json_integer(WEXITSTATUS(n->status)));
			else if (WIFSIGNALED(n->status))
				json_object_set_new(o, SK_EXIT_SIGNAL,
						    json_integer(WTERMSIG(n->status)));
		}
		json_object_set_new(o, SK_ACCEL, json_string(n->use_kvm ? SKV_KVM : SKV_TCG));
		json_object_set_new(o, SK_ATTEMPT, json_integer(n->attempt ? n->attempt : 1));
		json_object_set_new(o, SK_RETRIES, json_integer(n->cfg->retries));
		json_object_set_new(o, SK_BOOTS, json_integer(n->boots));
		{
			json_t *rd = json_object();

			for (int b = 0; b < READY_CONDS; b++)
				if (n->cfg->ready.conds & (1u << b))
					json_object_set_new(rd, ready_cond_name(1u << b),
							    json_boolean(n->ready_met & (1u << b) ||
									 n->state == NODE_READY));
			json_object_set_new(o, SK_READY, rd);
		}
		json_object_set_new(o, SK_RUNSTATE,
				    n->runstate[0] ? json_string(n->runstate) : json_null());
		json_object_set_new(o, SK_VM_EVENT,
				    n->vm_event[0] ? json_string(n->vm_event) : json_null());
		json_object_set_new(o, SK_NICS,
				    nics_json(sv, n->cfg->nics, n->cfg->n_nics, true, n->nic_down));
		json_object_set_new(o, SK_PORTS, ports_json(sv, n));
		{
			json_t *fw = sv_fwd_json(sv, n);

			sv_udp_json(sv, n, fw);
			json_object_set_new(o, SK_FORWARDS, fw);
		}
		json_array_append_new(nodes, o);
	}
	for (int i = 0; i < sv->t->n_hosts; i++) {
		struct sv_host *h = sv->hosts[i];
		json_t *o = json_object();

		json_object_set_new(o, SK_NAME, json_string(h->cfg->name));
		json_object_set_new(o, SK_DNS, json_sprintf("%s.%s", h->cfg->name, sv->t->domain));
		json_object_set_new(o, SK_HOLDER_PID, json_integer(h->holder));
		json_object_set_new(o, SK_COMMAND,
				    h->cfg->command ? json_string(h->cfg->command) : json_null());
		json_object_set_new(o, SK_STATE,
				    json_string(!h->cfg->command && !h->cfg->serve_dir ? SKV_READY
						: h->cmd_exited			       ? SKV_EXITED
								: SKV_RUNNING));
		json_object_set_new(o, SK_PID,
				    h->cmd_pidfd >= 0 ? json_integer(h->cmd_pid) : json_null());
		json_object_set_new(o, SK_LOG, json_string(h->log));
		json_object_set_new(
			o, SK_NICS,
			nics_json(sv, h->cfg->nics, h->cfg->n_nics, false, h->nic_down));
		json_array_append_new(hosts, o);
	}
	if (sv->t->here) {
		json_t *away = json_array();

		json_t *machines = json_array();
		struct topo *t = sv->t;

		/* Their NICs: the addresses this machine knows (fixed, or the
		 * leases of the LANs whose home it is), which the CLI gives the
		 * node's own machine (lab/cli/client_peers.c). */
		for (int i = 0; i < t->n_away_nodes; i++)
			json_array_append_new(
				away, json_pack("{s:s,s:s,s:s,s:o}", SK_NAME, t->away_nodes[i].name,
						SK_MACHINE, t->away_nodes[i].on->name, SK_KIND,
						SKV_NODE, SK_NICS,
						nics_json(sv, t->away_nodes[i].nics,
							  t->away_nodes[i].n_nics, true, NULL)));
		for (int i = 0; i < t->n_away_hosts; i++)
			json_array_append_new(
				away, json_pack("{s:s,s:s,s:s,s:o}", SK_NAME, t->away_hosts[i].name,
						SK_MACHINE, t->away_hosts[i].on->name, SK_KIND,
						SKV_HOST, SK_NICS,
						nics_json(sv, t->away_hosts[i].nics,
							  t->away_hosts[i].n_nics, false, NULL)));
		for (int i = 0; i < t->n_machines; i++)
			json_array_append_new(machines,
					      json_pack("{s:s,s:s,s:i,s:b}", SK_NAME,
							t->machines[i].name, SK_ADDRESS,
							ip(t->machines[i].addr, a), SK_PORT,
							t->machines[i].port, SK_HERE,
							&t->machines[i] == t->here));
		json_object_set_new(root, SK_MACHINES, machines);
		json_object_set_new(root, SK_MACHINE, json_string(sv->t->here->name));
		json_object_set_new(root, SK_AWAY, away);
		json_object_set_new(root, SK_TUNNELS, tunnels_json(sv));
	}
	json_object_set_new(root, SK_LANS, lans);
	json_object_set_new(root, SK_NODES, nodes);
	json_object_set_new(root, SK_HOSTS, hosts);
	return root;
}
