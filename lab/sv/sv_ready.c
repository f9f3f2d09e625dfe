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
	if (sv->ping_fd > 0)
		return sv->ping_fd;
	sv->ping_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (sv->ping_fd < 0) {
		sv->ping_fd = 0;
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
			struct sv_node *n = &sv->nodes[i];
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
	if ((n->nics_answered & all) == all) {
		sv_node_set_ready(sv, n);
		return;
	}
	if (now < n->next_ping)
		return;
	n->next_ping = now + 250;
	for (int i = 0; i < n->cfg->n_nics; i++)
		if (!(n->nics_answered & (1u << i)))
			ping_send(sv, addr[i], (uint16_t)((n - sv->nodes) * TOPO_MAX_NICS + i));
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
		sv_node_set_ready(sv, n);
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
		sv_node_set_ready(sv, n);
}

/* A node started with -loadvm resumes exactly where it was saved (and
 * `vacmlab snapshot save` only saves a ready node), but it prints nothing
 * new on its console and sends no DHCP request (its lease lives in its
 * restored RAM; this run's dnsmasq has none on file). So for console and
 * dhcp readiness a restored node is ready once QEMU has loaded the
 * snapshot and runs it: query-status says "running" only after -loadvm
 * completed and the VM started. tcp probes are kept as they are: they test
 * the guest itself. The query goes through the node's QMP connection, so
 * nothing blocks while QEMU is still loading. */
static void probe_loadvm(struct sv *sv, struct sv_node *n, long long now)
{
	if (n->vm_status_seen && n->vm_running) {
		sv_node_set_ready(sv, n);
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
		struct sv_node *n = &sv->nodes[i];

		if (n->state != NODE_BOOTING || n->restart_pending)
			continue;
		if (sv->loadvm &&
		    (n->cfg->ready.kind == READY_DHCP || n->cfg->ready.kind == READY_CONSOLE))
			probe_loadvm(sv, n, now);
		switch (n->cfg->ready.kind) {
		case READY_DHCP: probe_dhcp(sv, n, now); break;
		case READY_TCP:
			if (n->probe_fd < 0 && now >= n->next_probe) {
				n->next_probe = now + 500;
				probe_tcp_start(sv, n);
			}
			break;
		case READY_CONSOLE: /* matched as output arrives (sv_port.c) */ break;
		case READY_NONE: sv_node_set_ready(sv, n); break;
		}
		if (n->state == NODE_BOOTING &&
		    now - n->t_start > (long long)n->cfg->ready.timeout_s * 1000) {
			char what[128];

			snprintf(what, sizeof(what), "not ready after %d s (ready = %s)",
				 n->cfg->ready.timeout_s, ready_kind_name(n->cfg->ready.kind));
			sv_node_failed(sv, n, EXIT_TIMEOUT, what);
		}
	}
}

bool sv_ready_all(struct sv *sv)
{
	if (sv->no_boot)
		return true;
	for (int i = 0; i < sv->t->n_nodes; i++)
		if (sv->nodes[i].state != NODE_READY)
			return false;
	return true;
}
