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
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/lib/dnsmasq.h"
#include "lab/lib/util.h"
#include "lab/sv/sv.h"
static void probe_dhcp(struct sv *sv, struct sv_node *n)
{
	int want = 0, have = 0;

	for (int i = 0; i < n->cfg->n_nics; i++) {
		struct nic *nic = &n->cfg->nics[i];
		struct sv_lan *l = &sv->lans[nic->lan - sv->t->lans];
		struct in_addr a;

		want++;
		if (lease_lookup(l->leases, nic->mac, &a, NULL, 0))
			have++;
	}
	if (want && have == want)
		sv_node_set_ready(sv, n);
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

		if (n->state != NODE_BOOTING)
			continue;
		if (sv->loadvm &&
		    (n->cfg->ready.kind == READY_DHCP || n->cfg->ready.kind == READY_CONSOLE))
			probe_loadvm(sv, n, now);
		switch (n->cfg->ready.kind) {
		case READY_DHCP: probe_dhcp(sv, n); break;
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
			sv_node_fail(sv, n, EXIT_TIMEOUT, what);
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
