// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_net.c - the lab's network, built inside its namespaces with netlink:
 * lo, one bridge per LAN with its address, one tap per node NIC (opened
 * here, handed to QEMU as fd=N), impairments, and the network namespaces
 * of test-service hosts with their veths.
 *
 * A host is a network namespace held by a forked child that only waits
 * for its parent to die. Its veth is created from the lab namespace with
 * the peer placed in the holder's namespace; the inside is configured by a
 * short-lived child that joins it, so the supervisor itself never leaves
 * the lab namespace. No link is ever deleted one by one: the kernel removes
 * them all with the namespace.
 *
 * A LAN that crosses machines (docs/multi-machine.md) also gets a VXLAN
 * device vx-LAN on its bridge, with one all-zeros FDB entry per other
 * machine of the LAN (a unicast full mesh, no multicast), and its bridge
 * has the LAN's address only on the LAN's home machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/env.h"
#include "lab/lib/impair.h"
#include "lab/lib/spawn.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
#include "netns/nl.h"
#include "netns/ns.h"

/*
 * IPv6 on the bridge of a LAN with subnet6 (and only there: every other
 * link of the lab is made with IPv6 off, see sv_net_build). The bridge's
 * ports (taps, veths) need none of their own: a bridge forwards frames,
 * whatever their protocol. No DAD on the bridge: its global and link-local
 * addresses are usable at once, so dnsmasq binds the one and sends router
 * advertisements from the other as soon as it starts; no RAs taken either
 * (the lab is the LAN's router, never its host).
 */
static int bridge_v6(struct sv *sv, const struct lan *l, struct vl_err *e)
{
	char key[96];
	int r;

	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_dad", l->name);
	if (!(r = ns_sysctl(key, "0"))) {
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", l->name);
		r = ns_sysctl(key, "0");
	}
	if (!r) {
		snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", l->name);
		r = ns_sysctl(key, "0");
	}
	if (r) {
		vl_fail(e, EXIT_ENV, "enabling IPv6 on bridge %s (/proc/sys/%s): %s%s", l->name,
			key, strerror(-r), r == -ENOENT ? " (has the kernel IPv6?)" : "");
		return -1;
	}
	if ((r = nlx_addr6_add(sv->nl, l->name, &l->addr6, 64))) {
		char a[INET6_ADDRSTRLEN];

		vl_fail(e, EXIT_ENV, "adding address %s/64 to bridge %s: %s",
			inet_ntop(AF_INET6, &l->addr6, a, sizeof(a)), l->name, strerror(-r));
		return -1;
	}
	return 0;
}

/*
 * The VXLAN devices of the LANs that cross machines and have this one among
 * theirs. MTU 1500, so the bridge (whose MTU is its smallest port's) keeps
 * the guests' 1500: the 50 bytes of encapsulation go into the datagram that
 * pasta sends from a host socket, and the host kernel fragments it where
 * the underlay's MTU is smaller (docs/multi-machine.md, "MTU").
 */
static int vxlan_build(struct sv *sv, struct vl_err *e)
{
	struct topo *t = sv->t;
	int r;

	if (!t->here)
		return 0;
	for (int i = 0; i < t->n_lans; i++) {
		struct lan *l = &t->lans[i];
		char dev[16];

		if (!topo_lan_crosses(t, l) || !(l->machines & (1u << (t->here - t->machines))))
			continue;
		topo_vxlan_ifname(l, dev);
		if ((r = nlx_vxlan_add(sv->nl, dev, l->vni, (uint16_t)t->here->port, 1500))) {
			vl_fail(e, EXIT_ENV, "creating VXLAN device %s (vni %u) for lan %s: %s%s",
				dev, l->vni, l->name, strerror(-r),
				r == -EOPNOTSUPP ? " (is the vxlan kernel module available?)" : "");
			return -1;
		}
		for (int m = 0; m < t->n_machines; m++) {
			struct machine *mc = &t->machines[m];

			if (mc == t->here || !(l->machines & (1u << m)))
				continue;
			if ((r = nlx_fdb_append(sv->nl, dev, mc->addr, (uint16_t)mc->port))) {
				vl_fail(e, EXIT_ENV, "adding peer %s (machine %s) to %s: %s",
					inet_ntoa(mc->addr), mc->name, dev, strerror(-r));
				return -1;
			}
		}
		if ((r = nlx_link_up(sv->nl, dev, l->name))) {
			vl_fail(e, EXIT_ENV, "enslaving %s to bridge %s: %s", dev, l->name,
				strerror(-r));
			return -1;
		}
	}
	return 0;
}

int sv_net_lan_add(struct sv *sv, struct lan *l, struct vl_err *e)
{
	int r;

	if ((r = nlx_bridge_add(sv->nl, l->name))) {
		vl_fail(e, EXIT_ENV, "creating bridge %s: %s", l->name, strerror(-r));
		return -1;
	}
	/* Two bridges answering ARP for one gateway on one L2 would
	 * fight: away from home the bridge has an address of its own,
	 * derived per machine (topo_lan_machine_addr()), so `exec` on this
	 * machine reaches the LAN; the gateway and DHCP stay the home's. */
	struct in_addr a = l->addr;
	bool has = topo_lan_home_here(sv->t, l);

	if (!has && topo_lan_crosses(sv->t, l) &&
	    (l->machines & (1u << (sv->t->here - sv->t->machines)))) {
		a = topo_lan_machine_addr(sv->t, l, sv->t->here);
		has = true;
	}
	if (has && (r = nlx_addr_add(sv->nl, l->name, a, l->prefix))) {
		vl_fail(e, EXIT_ENV, "adding address %s/%d to bridge %s: %s", inet_ntoa(a),
			l->prefix, l->name, strerror(-r));
		return -1;
	}
	if (l->has6 && topo_lan_home_here(sv->t, l) && bridge_v6(sv, l, e) < 0)
		return -1;
	if ((r = nlx_link_up(sv->nl, l->name, NULL))) {
		vl_fail(e, EXIT_ENV, "bringing up bridge %s: %s", l->name, strerror(-r));
		return -1;
	}
	return 0;
}

int sv_net_node_taps(struct sv *sv, struct sv_node *n, struct vl_err *e)
{
	int r;

	n->tap_fds = xcalloc((size_t)n->cfg->n_nics + 1, sizeof(int));
	for (int j = 0; j < n->cfg->n_nics; j++) {
		struct nic *nic = &n->cfg->nics[j];
		int fd = tap_open(nic->ifname);

		if (fd < 0) {
			vl_fail(e, EXIT_ENV, "creating tap %s on bridge %s: %s%s", nic->ifname,
				nic->lan->name, strerror(-fd),
				fd == -EACCES || fd == -EPERM
					? " (is /dev/net/tun accessible? see README)"
					: "");
			return -1;
		}
		n->tap_fds[j] = fd;
		if ((r = nlx_link_up(sv->nl, nic->ifname, nic->lan->name))) {
			vl_fail(e, EXIT_ENV, "enslaving tap %s to bridge %s: %s", nic->ifname,
				nic->lan->name, strerror(-r));
			return -1;
		}
	}
	return 0;
}

/* Closing a tap's last fd removes it: a node's taps go with their fds. */
void sv_net_node_untap(struct sv_node *n)
{
	for (int j = 0; n->tap_fds && j < n->cfg->n_nics; j++)
		if (n->tap_fds[j] >= 0)
			close(n->tap_fds[j]);
	free(n->tap_fds);
	n->tap_fds = NULL;
}

int sv_net_build(struct sv *sv, struct vl_err *e)
{
	struct topo *t = sv->t;
	int r;

	r = ns_lo_up();
	if (r) {
		vl_fail(e, EXIT_ENV, "bringing up lo in the lab: %s", strerror(-r));
		return -1;
	}
	/* ping(8) as the lab's root without raw sockets; harmless if absent. */
	/* Only gid 0 is mapped in the lab's user namespace: a wider range
	 * is refused (EIO) and would leave ping sockets closed. */
	ns_sysctl("net/ipv4/ping_group_range", "0 0");
	/* IPv6 is off on every link made from here on (measured: 15% of the
	 * time to build 1200 links, link-local set-up on each bridge and tap);
	 * bridge_v6() turns it on for the bridge of a LAN with subnet6. */
	ns_sysctl("net/ipv6/conf/default/disable_ipv6", "1");
	r = nlx_open(&sv->nl);
	if (r) {
		vl_fail(e, EXIT_ENV, "opening netlink in the lab: %s", strerror(-r));
		return -1;
	}
	for (int i = 0; i < t->n_lans; i++)
		if (sv_net_lan_add(sv, &t->lans[i], e) < 0)
			return -1;
	if (vxlan_build(sv, e) < 0)
		return -1;
	for (int i = 0; i < t->n_nodes; i++)
		if (sv_net_node_taps(sv, sv->nodes[i], e) < 0)
			return -1;
	for (int i = 0; i < t->n_hosts; i++)
		if (sv_net_host_add(sv, sv->hosts[i], e) < 0)
			return -1;
	return 0;
}

int sv_net_impair_nic(struct sv *sv, const char *ifname, const struct impair *im)
{
	struct nlx_netem ne = im ? impair_netem(im) : (struct nlx_netem){0};
	int r = 0;

	/* Each direction either gets its qdisc or loses it. */
	if (im && (im->dir & IMPAIR_TO))
		r = nlx_netem_set(sv->nl, ifname, &ne);
	else
		r = nlx_qdisc_clear(sv->nl, ifname);
	if (!r && im && (im->dir & IMPAIR_FROM))
		r = nlx_ingress_netem_set(sv->nl, ifname, &ne);
	else if (!r)
		r = nlx_ingress_clear(sv->nl, ifname);
	/* All or nothing: a half-applied impairment (to set, from refused)
	 * would shape traffic the user was told is not shaped. */
	if (r && im) {
		nlx_qdisc_clear(sv->nl, ifname);
		nlx_ingress_clear(sv->nl, ifname);
	}
	return r;
}

void sv_net_node_impair(struct sv *sv, struct node *n, struct vl_err *e)
{
	for (int j = 0; j < n->n_nics; j++) {
		struct impair *im = &n->nics[j].impair;
		int r;

		if (!im->set)
			continue;
		r = sv_net_impair_nic(sv, n->nics[j].ifname, im);
		if (r)
			vl_fail(e, EXIT_ENV, "%s:%d: impairing %s of node %s: %s%s", sv->topo_path,
				n->nics[j].line, n->nics[j].ifname, n->name, strerror(-r),
				impair_hint(r));
	}
}

void sv_net_impair(struct sv *sv, struct vl_err *e)
{
	for (int i = 0; i < sv->t->n_nodes; i++)
		sv_net_node_impair(sv, &sv->t->nodes[i], e);
}

/*
 * A host is a network namespace held by a forked child that only waits
 * for its parent to die. Its veth is created from the lab namespace with
 * the peer placed in the holder's namespace; the inside is configured by a
 * short-lived child that joins it, so the supervisor itself never leaves
 * the lab namespace.
 */
static pid_t fork_holder(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork_child(SIGKILL);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		ns_lo_up();
		if (write(p[1], "x", 1) < 0)
			_exit(1);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* The temporary name of a host's NIC @idx inner veth end, created in the
 * host's namespace and renamed ethN there. */
static void host_peer_name(int idx, char peer[16])
{
	snprintf(peer, 16, "vacmlab-p%u", (unsigned)idx % 100);
}

static int host_inside(struct sv_host *h, struct vl_err *e)
{
	struct nlx *nl;
	int r;

	if ((r = ns_join(getpid(), h->holder)) || (r = nlx_open(&nl))) {
		vl_fail_errno(e, EXIT_ENV, r, "entering host %s", h->cfg->name);
		return r;
	}
	for (int j = 0; j < h->cfg->n_nics; j++) {
		struct nic *nic = &h->cfg->nics[j];
		char in[16];

		snprintf(in, sizeof(in), "eth%d", j);
		char peer[16];

		host_peer_name(j, peer);
		if ((r = nlx_link_rename(nl, peer, in)) ||
		    (nic->addr.s_addr && (r = nlx_addr_add(nl, in, nic->addr, nic->lan->prefix))) ||
		    (!topo_addr6_unset(&nic->addr6) &&
		     (r = nlx_addr6_add(nl, in, &nic->addr6, 64))) ||
		    (r = nlx_link_up(nl, in, NULL))) {
			vl_fail_errno(e, EXIT_ENV, r, "configuring %s of host %s", in,
				      h->cfg->name);
			return r;
		}
	}
	if (h->cfg->n_nics && h->cfg->nics[0].addr.s_addr &&
	    (r = nlx_route_default(nl, h->cfg->nics[0].lan->addr))) {
		vl_fail_errno(e, EXIT_ENV, r, "default route of host %s", h->cfg->name);
		return r;
	}
	nlx_close(nl);
	return 0;
}

int sv_net_host_add(struct sv *sv, struct sv_host *h, struct vl_err *e)
{
	int r, st, p[2];
	pid_t pid;
	char err[512] = "";

	h->holder = fork_holder();
	if (h->holder < 0) {
		vl_fail(e, EXIT_ENV, "creating the namespace of host %s: %s", h->cfg->name,
			strerror(errno));
		return -1;
	}
	h->holder_pidfd = pidfd_open_pid(h->holder);
	for (int j = 0; j < h->cfg->n_nics; j++) {
		struct nic *nic = &h->cfg->nics[j];
		char peer[16];

		host_peer_name(j, peer);
		/* The lab end keeps the NIC's name; the host end is renamed
		 * ethN inside. Create with the inner end's temporary name. */
		if ((r = nlx_veth_add(sv->nl, nic->ifname, peer, h->holder))) {
			vl_fail(e, EXIT_ENV, "creating veth %s for host %s: %s", nic->ifname,
				h->cfg->name, strerror(-r));
			return -1;
		}
		if ((r = nlx_link_up(sv->nl, nic->ifname, nic->lan->name))) {
			vl_fail(e, EXIT_ENV, "enslaving %s to bridge %s: %s", nic->ifname,
				nic->lan->name, strerror(-r));
			return -1;
		}
	}
	/* Configure the inside from a short-lived child, which renames the
	 * veth peers ethN. */
	if (pipe2(p, O_CLOEXEC) < 0)
		return vl_fail_errno(e, EXIT_ENV, errno, "host %s: pipe", h->cfg->name);
	pid = fork_child(SIGKILL);
	if (pid == 0) {
		struct vl_err ce = {0};

		/* The child's error travels to us over the pipe (crun's model). */
		close(p[0]);
		r = host_inside(h, &ce);
		if (r && write(p[1], ce.msg, strlen(ce.msg)) < 0)
			_exit(2);
		_exit(r ? 1 : 0);
	}
	close(p[1]);
	ssize_t n = read(p[0], err, sizeof(err) - 1);

	close(p[0]);
	if (n > 0)
		err[n] = '\0';
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		vl_fail(e, EXIT_ENV, "%s", err[0] ? err : "configuring a host namespace failed");
		return -1;
	}
	for (int j = 0; j < h->cfg->n_nics; j++) {
		struct impair *im = &h->cfg->nics[j].impair;

		if (im->set && (r = sv_net_impair_nic(sv, h->cfg->nics[j].ifname, im))) {
			vl_fail(e, EXIT_ENV, "impairing %s of host %s: %s%s",
				h->cfg->nics[j].ifname, h->cfg->name, strerror(-r), impair_hint(r));
			return -1;
		}
	}
	return 0;
}
