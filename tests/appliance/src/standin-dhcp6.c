// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * standin-dhcp6.c - the stand-in appliance's DHCPv6 client (busybox-static
 * has no udhcpc6): standin-dhcp6 IFACE, run from /init per NIC in the
 * background. It behaves as common clients (systemd-networkd, NetworkManager)
 * do: it asks for DHCPv6 only on a link whose router advertisement sets the
 * M flag ("managed": addresses from DHCPv6), so a LAN without IPv6, or with
 * SLAAC only, sees one router solicitation and nothing more. SLAAC itself
 * is the kernel's (accept_ra).
 *
 * RFC 8415, the least of it: SOLICIT with a DUID-LL client id (the NIC's
 * MAC), one IA_NA and Rapid Commit; a REPLY (rapid commit) or ADVERTISE
 * then REQUEST/REPLY; the address goes on the NIC as ADDR/128 (the on-link
 * /64 comes from the RA) and into /run/lease6.IFACE. At T1 (or half the
 * valid lifetime) it asks again with the same DUID and IAID, so the server
 * gives the same address. Static, no libraries: built by build.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	SOLICIT = 1,
	ADVERTISE = 2,
	REQUEST = 3,
	REPLY = 7
};
enum {
	O_CLIENTID = 1,
	O_SERVERID = 2,
	O_IA_NA = 3,
	O_IAADDR = 5,
	O_ORO = 6,
	O_ELAPSED = 8,
	O_STATUS = 13,
	O_RAPID = 14,
	O_DNS = 23
};

static const char *ifc;
static unsigned ifindex;
static uint8_t duid[10]; /* DUID-LL: type 3, hardware type 1, MAC */

static size_t put_opt(uint8_t *b, size_t n, int code, const void *data, size_t len)
{
	b[n] = (uint8_t)(code >> 8), b[n + 1] = (uint8_t)code;
	b[n + 2] = (uint8_t)(len >> 8), b[n + 3] = (uint8_t)len;
	if (len)
		memcpy(b + n + 4, data, len);
	return n + 4 + len;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The option @code in [@p, @end), or NULL; its length in *@len. */
static const uint8_t *find_opt(const uint8_t *p, const uint8_t *end, unsigned code, size_t *len)
{
	while (end - p >= 4) {
		unsigned c = get16(p), l = get16(p + 2);

		if ((size_t)(end - p - 4) < l)
			return NULL;
		if (c == code) {
			*len = l;
			return p + 4;
		}
		p += 4 + l;
	}
	return NULL;
}

static int read_mac(uint8_t mac[6])
{
	char path[128];
	unsigned m[6];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifc);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
	fclose(f);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return n == 6 ? 0 : -1;
}

/* Wait for a router advertisement on the link and return its M flag; one
 * router solicitation first (the kernel's own may have been answered before
 * we listened). Blocks until an RA comes. */
static int ra_managed(void)
{
	int s = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6), hops = 255;
	struct icmp6_filter flt;
	struct sockaddr_in6 all_routers = {.sin6_family = AF_INET6, .sin6_scope_id = ifindex};
	uint8_t rs[8] = {ND_ROUTER_SOLICIT}, buf[1500];

	if (s < 0)
		return -1;
	ICMP6_FILTER_SETBLOCKALL(&flt);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &flt);
	setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &flt, sizeof(flt));
	setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifc, (socklen_t)strlen(ifc));
	setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
	setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex));
	inet_pton(AF_INET6, "ff02::2", &all_routers.sin6_addr);
	for (int tries = 0;; tries++) {
		struct pollfd pfd = {s, POLLIN, 0};

		if (tries < 3)
			sendto(s, rs, sizeof(rs), 0, (struct sockaddr *)&all_routers,
			       sizeof(all_routers));
		if (poll(&pfd, 1, 4000) <= 0)
			continue;
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n >= 16 && buf[0] == ND_ROUTER_ADVERT) {
			close(s);
			return (buf[5] & 0x80) != 0;
		}
	}
}

/* One exchange: send @type with the options in @opts, wait up to @ms for
 * a reply of the same transaction; its length, or 0 on timeout. */
static ssize_t exchange(int s, int type, const uint8_t *opts, size_t olen, uint8_t *reply,
			size_t rlen, int ms)
{
	uint8_t b[512];
	struct sockaddr_in6 srv = {
		.sin6_family = AF_INET6, .sin6_port = htons(547), .sin6_scope_id = ifindex};
	uint32_t xid = (uint32_t)random() & 0xffffff;
	struct timespec t0, t;

	inet_pton(AF_INET6, "ff02::1:2", &srv.sin6_addr);
	b[0] = (uint8_t)type, b[1] = (uint8_t)(xid >> 16), b[2] = (uint8_t)(xid >> 8);
	b[3] = (uint8_t)xid;
	memcpy(b + 4, opts, olen);
	if (sendto(s, b, 4 + olen, 0, (struct sockaddr *)&srv, sizeof(srv)) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = {s, POLLIN, 0};
		ssize_t n;
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms -
		       (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return 0;
		n = recv(s, reply, rlen, 0);
		if (n >= 4 && (reply[0] == ADVERTISE || reply[0] == REPLY) &&
		    !memcmp(reply + 1, b + 1, 3))
			return n;
	}
}

/* The client's options: client id, elapsed time, ORO (DNS), an IA_NA
 * (@ia, or an empty one), rapid commit on a SOLICIT, server id on a
 * REQUEST. */
static size_t client_opts(uint8_t *o, int type, const uint8_t *ia, size_t ialen, const uint8_t *sid,
			  size_t sidlen)
{
	uint8_t elapsed[2] = {0}, oro[2] = {0, O_DNS}, empty_ia[12] = {0};
	size_t n = 0;

	n = put_opt(o, n, O_CLIENTID, duid, sizeof(duid));
	n = put_opt(o, n, O_ELAPSED, elapsed, sizeof(elapsed));
	n = put_opt(o, n, O_ORO, oro, sizeof(oro));
	if (!ia) {
		empty_ia[0] = (uint8_t)(ifindex >> 24), empty_ia[1] = (uint8_t)(ifindex >> 16);
		empty_ia[2] = (uint8_t)(ifindex >> 8), empty_ia[3] = (uint8_t)ifindex;
		ia = empty_ia, ialen = sizeof(empty_ia);
	}
	n = put_opt(o, n, O_IA_NA, ia, ialen);
	if (type == SOLICIT)
		n = put_opt(o, n, O_RAPID, NULL, 0);
	if (sid)
		n = put_opt(o, n, O_SERVERID, sid, sidlen);
	return n;
}

/* Take the address of a REPLY's IA_NA; its renewal time in seconds, or 0. */
static uint32_t take(const uint8_t *r, size_t n)
{
	size_t ialen, alen, slen;
	const uint8_t *ia = find_opt(r + 4, r + n, O_IA_NA, &ialen), *a, *st;
	char addr[INET6_ADDRSTRLEN], cmd[256];
	uint32_t t1, valid;
	FILE *f;

	if (!ia || ialen < 12)
		return 0;
	st = find_opt(ia + 12, ia + ialen, O_STATUS, &slen);
	if (st && slen >= 2 && get16(st))
		return 0;
	a = find_opt(ia + 12, ia + ialen, O_IAADDR, &alen);
	if (!a || alen < 24)
		return 0;
	t1 = get32(ia + 4);
	valid = get32(a + 20);
	inet_ntop(AF_INET6, a, addr, sizeof(addr));
	snprintf(cmd, sizeof(cmd), "ip -6 addr replace %s/128 dev %s", addr, ifc);
	if (system(cmd) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "/run/lease6.%s", ifc);
	if ((f = fopen(cmd, "w"))) {
		fprintf(f, "%s\n", addr);
		fclose(f);
	}
	if (!t1 || t1 == 0xffffffff)
		t1 = valid == 0xffffffff ? 3600 : valid / 2;
	return t1 ? t1 : 60;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 me = {.sin6_family = AF_INET6, .sin6_port = htons(546)};
	uint8_t opts[512], r[1500];
	int s, wait_ms = 1000;

	if (argc != 2 || !(ifindex = if_nametoindex(argv[1]))) {
		fprintf(stderr, "usage: standin-dhcp6 IFACE\n");
		return 2;
	}
	ifc = argv[1];
	duid[1] = 3, duid[3] = 1;
	if (read_mac(duid + 4) < 0)
		return 1;
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (ra_managed() != 1)
		return 0; /* no DHCPv6 on this link: SLAAC (the kernel's) or nothing */
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifc, (socklen_t)strlen(ifc)) < 0)
		return 1;
	setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex));
	while (bind(s, (struct sockaddr *)&me, sizeof(me)) < 0)
		sleep(1);
	for (;;) {
		size_t olen = client_opts(opts, SOLICIT, NULL, 0, NULL, 0);
		ssize_t n = exchange(s, SOLICIT, opts, olen, r, sizeof(r), wait_ms);
		uint32_t renew = 0;

		/* No usable source address yet (link-local in DAD): try again. */
		if (n > 0 && r[0] == ADVERTISE) {
			size_t ialen, sidlen;
			const uint8_t *ia = find_opt(r + 4, r + n, O_IA_NA, &ialen);
			const uint8_t *sid = find_opt(r + 4, r + n, O_SERVERID, &sidlen);

			if (ia && sid) {
				uint8_t ia_copy[256], sid_copy[256];

				ialen = ialen < sizeof(ia_copy) ? ialen : sizeof(ia_copy);
				sidlen = sidlen < sizeof(sid_copy) ? sidlen : sizeof(sid_copy);
				memcpy(ia_copy, ia, ialen);
				memcpy(sid_copy, sid, sidlen);
				olen = client_opts(opts, REQUEST, ia_copy, ialen, sid_copy, sidlen);
				n = exchange(s, REQUEST, opts, olen, r, sizeof(r), 2000);
			}
		}
		if (n > 0 && r[0] == REPLY)
			renew = take(r, (size_t)n);
		if (renew) {
			wait_ms = 1000;
			sleep(renew);
			continue;
		}
		if (n < 0)
			sleep(1);
		wait_ms = wait_ms < 8000 ? wait_ms * 2 : 8000;
	}
}
