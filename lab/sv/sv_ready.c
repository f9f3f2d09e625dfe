// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_ready.c - readiness: when a booting node counts as ready (ready =
 * dhcp: every NIC has its lease; tcp PORT: a connection to its address
 * succeeds; console REGEX: matched in sv_port.c as output arrives; none),
 * and the per-node readiness timeout, counted from the node's own start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/lib/dnsmasq.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
/*
 * ready = dhcp means reachable. A lease on file means dnsmasq sent its ACK,
 * not that the guest has put the address on its NIC yet: with two NICs, 1
 * run in 4 had an address that did not answer a ping right after `up`
 * (measured). So once every NIC has its lease, each address is pinged from
 * the lab side (an ICMP ping socket: ping_group_range is open in the lab)
 * every 250 ms until it answers; the node is ready when all have.
 */
static int ping_fd(struct sv *sv)
{
	if (sv->ping_fd)
		return sv->ping_fd;
	sv->ping_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (sv->ping_fd < 0) {
		sv->ping_fd = -1;
		sv_event(sv,
			 "W no ICMP ping socket in the lab (%s): ready = dhcp trusts the "
			 "leases alone",
			 strerror(errno));
		return -1;
	}
	loop_watch(&sv->loop, sv->ping_fd, EPOLLIN, EV_PING, NULL);
	return sv->ping_fd;
}

static void ping_send(struct sv *sv, struct in_addr a, uint16_t seq)
{
	struct icmphdr h = {.type = ICMP_ECHO};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = a};
	int fd = ping_fd(sv);

	if (fd < 0)
		return;
	h.un.echo.sequence = htons(seq);
	sendto(fd, &h, sizeof(h), MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa));
}

/* The NIC of a node whose current address is @a, or -1. */
static int nic_of(struct sv *sv, struct sv_node *n, struct in_addr a)
{
	for (int j = 0; j < n->cfg->n_nics; j++) {
		struct nic *nic = &n->cfg->nics[j];
		struct in_addr cur = nic->addr;

		if (!cur.s_addr)
			lease_lookup(sv->lans[nic->lan - sv->t->lans].leases, nic->mac, &cur, NULL,
				     0);
		if (cur.s_addr == a.s_addr)
			return j;
	}
	return -1;
}

void sv_ready_ping_reply(struct sv *sv)
{
	char buf[256];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);

	while (recvfrom(sv->ping_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) >=
	       (ssize_t)sizeof(struct icmphdr)) {
		struct icmphdr *h = (struct icmphdr *)buf;

		fl = sizeof(from);
		if (h->type != ICMP_ECHOREPLY)
			continue;
		for (int i = 0; i < sv->t->n_nodes; i++) {
			struct sv_node *n = sv->nodes[i];
			int j;

			if (n->state != NODE_BOOTING)
				continue;
			j = nic_of(sv, n, from.sin_addr);
			if (j >= 0)
				n->nics_answered |= 1u << j;
		}
	}
}

static void probe_dhcp(struct sv *sv, struct sv_node *n, long long now)
{
	unsigned all = 0;
	int have = 0;
	struct in_addr addr[TOPO_MAX_NICS];

	for (int i = 0; i < n->cfg->n_nics; i++) {
		struct nic *nic = &n->cfg->nics[i];
		struct sv_lan *l = &sv->lans[nic->lan - sv->t->lans];

		all |= 1u << i;
		if (lease_lookup(l->leases, nic->mac, &addr[i], NULL, 0))
			have++;
	}
	if (!n->cfg->n_nics || have < n->cfg->n_nics)
		return;
	if ((n->nics_answered & all) == all || ping_fd(sv) < 0) {
		/* No ping socket (it should not happen: see sv_net.c): the
		 * leases are all that can be checked. */
		sv_node_cond_met(sv, n, READY_DHCP);
		return;
	}
	if (now < n->next_ping)
		return;
	n->next_ping = now + 250;
	for (int i = 0; i < n->cfg->n_nics; i++)
		if (!(n->nics_answered & (1u << i)))
			ping_send(sv, addr[i], (uint16_t)(n->boots * TOPO_MAX_NICS + i)); /* any */
}

static void probe_tcp_start(struct sv *sv, struct sv_node *n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd;

	sa.sin_addr = sv_node_addr(sv, n);
	sa.sin_port = htons((uint16_t)n->cfg->ready.port);
	if (!sa.sin_addr.s_addr)
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		sv_node_cond_met(sv, n, READY_TCP);
		return;
	}
	if (errno != EINPROGRESS) {
		close(fd);
		return;
	}
	n->probe_fd = fd;
	loop_watch(&sv->loop, fd, EPOLLOUT, EV_PROBE, n);
}

void sv_ready_probe_done(struct sv *sv, struct sv_node *n)
{
	int e = 0;
	socklen_t l = sizeof(e);

	getsockopt(n->probe_fd, SOL_SOCKET, SO_ERROR, &e, &l);
	loop_unwatch(&sv->loop, n->probe_fd);
	close(n->probe_fd);
	n->probe_fd = -1;
	if (e == 0)
		sv_node_cond_met(sv, n, READY_TCP);
}

/* A node started with -loadvm resumes exactly where it was saved (and
 * `vacmlab snapshot save` only saves a ready node), but it prints nothing
 * new on its console and sends no DHCP request (its lease lives in its
 * restored RAM; this run's dnsmasq has none on file). So for console and
 * dhcp conditions a restored node is ready once QEMU has loaded the
 * snapshot and runs it: query-status says "running" only after -loadvm
 * completed and the VM started. tcp probes are kept as they are: they test
 * the guest itself. The query goes through the node's QMP connection, so
 * nothing blocks while QEMU is still loading. */
static void probe_loadvm(struct sv *sv, struct sv_node *n, long long now)
{
	if (n->vm_status_seen && n->vm_running) {
		sv_node_cond_met(sv, n, READY_DHCP | READY_CONSOLE);
		return;
	}
	if (now < n->next_probe)
		return;
	n->next_probe = now + 200;
	sv_qmp_send(sv, n, "query-status", NULL, QW_STATUS, -1);
}

void sv_ready_check(struct sv *sv)
{
	long long now = now_ms();

	for (int i = 0; i < sv->t->n_nodes; i++) {
		struct sv_node *n = sv->nodes[i];
		const struct ready *r = &n->cfg->ready;

		if (n->state != NODE_BOOTING || n->restart_pending)
			continue;
		if (r->none || !r->conds) {
			sv_node_set_ready(sv, n);
			continue;
		}
		if (n->from_snapshot && (r->conds & (READY_DHCP | READY_CONSOLE)))
			probe_loadvm(sv, n, now);
		/* console: matched as output arrives (sv_port.c) */
		if ((r->conds & READY_DHCP) && !(n->ready_met & READY_DHCP))
			probe_dhcp(sv, n, now);
		if ((r->conds & READY_TCP) && !(n->ready_met & READY_TCP) && n->probe_fd < 0 &&
		    now >= n->next_probe) {
			n->next_probe = now + 500;
			probe_tcp_start(sv, n);
		}
		if (n->state == NODE_BOOTING && now - n->t_start > (long long)r->timeout_s * 1000) {
			char what[600], missing[512];
			struct ready m = *r;

			/* Name what is still missing, as a topology says it. */
			m.conds = r->conds & ~n->ready_met;
			ready_describe(&m, missing, sizeof(missing));
			snprintf(what, sizeof(what), "not ready after %d s: still waiting for %s%s",
				 r->timeout_s, missing,
				 r->conds & n->ready_met ? " (the other conditions hold)" : "");
			sv_node_failed(sv, n, EXIT_TIMEOUT, what);
		}
	}
}

bool sv_ready_all(struct sv *sv)
{
	if (sv->no_boot)
		return true;
	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i]->state != NODE_READY)
			return false;
	return true;
}
