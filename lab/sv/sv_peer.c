// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sv_peer.c - this machine's side of the underlay towards its peers, for a
 * lab spread over machines (docs/multi-machine.md): which host interface
 * reaches them, so pasta works where the machine has no default route, and
 * the read-only status endpoint the other machines' `vacmlab status` asks.
 *
 * DOC: Theory of operation
 *
 *  1. sv_peer_route(): in the host namespace, before pasta is made. A
 *     connect()ed UDP socket towards each peer asks the kernel for the
 *     route (no packet is sent). Without an IPv4 default route pasta finds
 *     no "external interface" and refuses to start; it is then given the
 *     interface that routes to the peers (-i) and a gateway on its subnet
 *     (-g: pasta maps its gateway to the host itself, so it is one address
 *     no peer and not this machine has).
 *  2. sv_peer_listen(): in the host namespace too, since the supervisor
 *     has no capability there once it is in its own namespaces: a TCP
 *     listener on the machine's [machine] port (the number VXLAN uses over
 *     UDP), all addresses.
 *  3. sv_peer_accept(): a connection from an address that is not one of the
 *     lab's machines is refused (and logged). Any other gets the status
 *     JSON, written as the control socket writes it, and is closed. No
 *     request is read: the endpoint has no method, so nothing a peer sends
 *     can change the lab, reach QMP or a console.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/lib/util.h"
#include "lab/sv/sv.h"

static bool has_default_route(void)
{
	_cleanup_free_ char *rt = read_file("/proc/net/route", NULL);
	char *line, *save = NULL;

	for (line = rt ? strtok_r(rt, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned dst, mask;

		if (sscanf(line, "%*s %x %*x %*x %*d %*d %*d %x", &dst, &mask) == 2 && !dst &&
		    !mask)
			return true;
	}
	return false;
}

/* The source address the kernel picks towards @peer; -errno if no route. */
static int route_src(struct in_addr peer, int port, struct in_addr *src)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	sa.sin_addr = peer;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		r = -errno;
	close(fd);
	*src = sa.sin_addr;
	return r;
}

static bool is_machine_addr(const struct topo *t, uint32_t a)
{
	for (int i = 0; i < t->n_machines; i++)
		if (t->machines[i].addr.s_addr == a)
			return true;
	return false;
}

int sv_peer_route(struct sv *sv, char ifname[IF_NAMESIZE], char gw[INET_ADDRSTRLEN])
{
	struct topo *t = sv->t;
	struct ifaddrs *ifa = NULL;
	struct in_addr src = {0};
	const struct machine *peer = NULL;
	int r;

	ifname[0] = gw[0] = '\0';
	if (!t->here || has_default_route())
		return 0;
	for (int i = 0; i < t->n_machines; i++) {
		const struct machine *m = &t->machines[i];

		if (m == t->here)
			continue;
		if ((r = route_src(m->addr, m->port, &src)) < 0) {
			sv_fail(sv, EXIT_ENV,
				"the VXLAN underlay: machine %s has no default route and no route "
				"to machine %s (%s): %s; give it a route to its peers (ip route "
				"add %s dev IFACE) or a default route",
				t->here->name, m->name, inet_ntoa(m->addr), strerror(-r),
				inet_ntoa(m->addr));
			return -1;
		}
		if (!peer)
			peer = m;
	}
	if (!peer || getifaddrs(&ifa) < 0)
		return 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;
		struct sockaddr_in *nm = (struct sockaddr_in *)i->ifa_netmask;
		uint32_t mask, h;

		if (!a || a->sin_family != AF_INET || a->sin_addr.s_addr != src.s_addr || !nm)
			continue;
		snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
		mask = ntohl(nm->sin_addr.s_addr);
		/* The gateway pasta is told of: an address of the subnet that
		 * is neither this machine's nor any peer's, from the top. */
		for (h = (ntohl(src.s_addr) | ~mask) - 1;
		     (h & mask) == (ntohl(src.s_addr) & mask) && h != (ntohl(src.s_addr) & mask);
		     h--)
			if (htonl(h) != src.s_addr && !is_machine_addr(t, htonl(h))) {
				inet_ntop(AF_INET, &(struct in_addr){htonl(h)}, gw,
					  INET_ADDRSTRLEN);
				break;
			}
		break;
	}
	freeifaddrs(ifa);
	if (!ifname[0] || !gw[0]) {
		sv_fail(sv, EXIT_ENV,
			"the VXLAN underlay: machine %s has no default route, and pasta needs "
			"one, or an interface with a subnet that has room for a gateway "
			"address, towards machine %s (%s; route source %s%s%s): add a default "
			"route (ip route add default dev IFACE)",
			t->here->name, peer->name, inet_ntoa(peer->addr), inet_ntoa(src),
			ifname[0] ? " on " : "", ifname);
		ifname[0] = '\0';
		return -1;
	}
	sv_event(sv, "underlay: no default route; pasta uses %s (gateway %s) towards %s", ifname,
		 gw, peer->name);
	return 1;
}

int sv_peer_listen(struct sv *sv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
	struct topo *t = sv->t;
	int fd, one = 1;

	sv->peer_fd = -1;
	if (!t->here || t->n_machines < 2)
		return 0;
	sa.sin_port = htons((uint16_t)t->here->port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		sv_fail(sv, EXIT_ENV,
			"machine %s: the status endpoint, TCP port %d (the machine's VXLAN port "
			"number), for the other machines: %s%s",
			t->here->name, t->here->port, strerror(e),
			e == EADDRINUSE ? " (another lab on this machine? give each lab its own "
					  "[machine] port)"
					: "");
		return -1;
	}
	sv->peer_fd = fd;
	loop_watch(&sv->loop, fd, EPOLLIN, EV_PEER, NULL);
	return 0;
}

void sv_peer_accept(struct sv *sv)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = accept4(sv->peer_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* The underlay is between the user's own machines: only they ask. */
	if (sa.sin_family != AF_INET || !is_machine_addr(sv->t, sa.sin_addr.s_addr)) {
		fprintf(stderr, "status endpoint: refused %s: not one of the lab's machines\n",
			sa.sin_family == AF_INET ? inet_ntoa(sa.sin_addr) : "a non-IPv4 peer");
		close(fd);
		return;
	}
	/* A peer that does not read must not wedge the lab. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){2, 0}, sizeof(struct timeval));
	sv_reply(sv, fd, sv_status_json(sv));
}
