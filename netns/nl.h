/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl.h - netlink mechanism for the lab's network namespace: bridges, taps,
 * veths, addresses, netem. Built on libnl-route-3. Every function returns 0
 * or a negative errno; libnl's -NLE_* codes are translated in exactly one
 * place (nl_errno() in nl.c). Nothing here knows about QEMU or topologies.
 */
#ifndef VACMLAB_NETNS_NL_H
#define VACMLAB_NETNS_NL_H

#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

struct nlx;

/* Open a route netlink socket in the caller's current network namespace. */
int nlx_open(struct nlx **out);
void nlx_close(struct nlx *nl);

/* Create a bridge (STP off, forward delay 0 so ports forward at once). */
int nlx_bridge_add(struct nlx *nl, const char *name);
/* Add an IPv4 address with a prefix length to @ifname. */
int nlx_addr_add(struct nlx *nl, const char *ifname, struct in_addr addr, int prefix);
/* An IPv6 address, usable at once (IFA_F_NODAD: the lab's LAN is new and
 * its address the lab's to give). */
int nlx_addr6_add(struct nlx *nl, const char *ifname, const struct in6_addr *addr, int prefix);
/* Bring @ifname up; with @master non-NULL enslave it first (one request). */
int nlx_link_up(struct nlx *nl, const char *ifname, const char *master);
/* Create a veth pair @name <-> @peer; the peer goes into the network
 * namespace of @peer_pid when it is > 0. */
/* Set @ifname administratively down (a veth's peer then has no carrier). */
int nlx_link_down(struct nlx *nl, const char *ifname);
/* Delete link @ifname (a bridge: its ports are released). */
int nlx_link_del(struct nlx *nl, const char *ifname);
int nlx_veth_add(struct nlx *nl, const char *name, const char *peer, pid_t peer_pid);
/* Add a default route via @gw. */
int nlx_route_default(struct nlx *nl, struct in_addr gw);
/* Rename @ifname to @newname (inside the namespace it lives in). */
int nlx_link_rename(struct nlx *nl, const char *ifname, const char *newname);

/* Create a VXLAN device @name with network identifier @vni on UDP port
 * @port (listening and default destination), no multicast group, address
 * learning off, MTU @mtu (0: the kernel's choice). It is not enslaved. */
int nlx_vxlan_add(struct nlx *nl, const char *name, uint32_t vni, uint16_t port, int mtu);
/* Append an all-zeros FDB entry on VXLAN device @dev towards the VTEP at
 * @dst:@port (`bridge fdb append 00:00:00:00:00:00 dev DEV dst DST port P`):
 * frames for unknown and broadcast MACs are sent to every such entry. */
int nlx_fdb_append(struct nlx *nl, const char *dev, struct in_addr dst, uint16_t port);
/* The link's packet and byte counters. */
struct nlx_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped, tx_errors;
};
int nlx_link_stats(struct nlx *nl, const char *name, struct nlx_stats *st);

/* Traffic control (netns/tc.c). netem on the egress of @ifname: delay and
 * jitter in microseconds, loss/duplicate/corrupt/reorder in percent, rate
 * in bits per second (0 = unset; a rate alone is a tbf, no netem needed).
 * Replaces any root qdisc. */
struct nlx_netem {
	uint32_t delay_us, jitter_us;
	double loss_pct, duplicate_pct, corrupt_pct, reorder_pct;
	uint64_t rate_bps;
};
int nlx_netem_set(struct nlx *nl, const char *ifname, const struct nlx_netem *ne);
/* Remove the root qdisc of @ifname (back to the default). */
int nlx_qdisc_clear(struct nlx *nl, const char *ifname);
/* The same impairment on what arrives on @ifname (for a tap: what its
 * guest sends), through an IFB device the ingress is redirected to.
 * Replaces an earlier one. */
int nlx_ingress_netem_set(struct nlx *nl, const char *ifname, const struct nlx_netem *ne);
/* Remove the ingress impairment of @ifname (none: 0). */
int nlx_ingress_clear(struct nlx *nl, const char *ifname);

/* Open a tap on /dev/net/tun named @name with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR.
 * The tap is persistent: it outlives the fd and goes away with its network
 * namespace (batched by the kernel; see nl.c). Must be called inside the
 * target network namespace. Returns fd or -errno. */
int tap_open(const char *name);

#endif
