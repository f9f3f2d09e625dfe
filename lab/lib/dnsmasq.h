/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsmasq.h - one dnsmasq per lab, serving every LAN: its generated config and command line,
 * and reading its lease file. Pure builders, unit-tested.
 */
#ifndef VACMLAB_DNSMASQ_H
#define VACMLAB_DNSMASQ_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/lib/topo.h"

struct dnsmasq_paths {
	const char *conf;   /* generated config (runtime dir) */
	const char *leases; /* lease file (runtime dir) */
	const char *pidfile;
	const char *log; /* log file (state dir: survives down) */
	/* With an uplink: the address that reaches the host, named host.DOMAIN
	 * (0.0.0.0: no uplink). */
	struct in_addr host_addr;
};

char *dnsmasq_config(const struct topo *t, const struct dnsmasq_paths *p);
/* NULL-terminated, malloc'd. */
char **dnsmasq_argv(const char *dnsmasq_path, const struct dnsmasq_paths *p);

struct ll_rules;
/* dnsmasq's Landlock rules: its config read-only, its lease, pid and log
 * files' directories (the lab's runtime and log dirs), TCP 53. */
void dnsmasq_confine_rules(const struct topo *t, const struct dnsmasq_paths *p, struct ll_rules *r);

/* One IPv4 lease: "EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID" in dnsmasq's
 * lease file ("*" for no hostname). */
struct lease {
	long long expiry;
	uint8_t mac[6];
	struct in_addr addr;
	char hostname[256]; /* "" when dnsmasq wrote "*" */
};

/**
 * lease_parse_line() - parse one line of a dnsmasq lease file (no I/O:
 * fuzzed; the file is written by dnsmasq from what DHCP clients send)
 * @line:	NUL-terminated, with or without its newline
 *
 * Returns 1 and fills @l for an IPv4 lease of a 6-byte MAC; 0 for anything
 * else (DHCPv6 lines, the "duid" line, other hardware types, garbage).
 */
int lease_parse_line(const char *line, struct lease *l);

/* Look up @mac in a dnsmasq lease file. Returns 1 and fills @addr (and
 * @hostname, if non-NULL, up to @hlen) when a lease exists, 0 if not. The
 * last matching line wins, as dnsmasq appends. */
int lease_lookup(const char *leases_path, const uint8_t mac[6], struct in_addr *addr,
		 char *hostname, size_t hlen);
/* The same over an open stream. */
int lease_lookup_stream(FILE *f, const uint8_t mac[6], struct in_addr *addr, char *hostname,
			size_t hlen);

/* One DHCPv6 lease: "EXPIRY IAID ADDRESS HOSTNAME CLIENT-DUID" (IAID with a
 * "T" before it for a temporary address). The MAC is the DUID's when the
 * DUID carries one (DUID-LL and DUID-LLT of Ethernet): how a lease is
 * matched to a NIC, since DHCPv6 itself has no hardware address. */
struct lease6 {
	long long expiry;
	struct in6_addr addr;
	bool has_mac;
	uint8_t mac[6];
	char hostname[256];
};

/**
 * lease6_parse_line() - parse one DHCPv6 line of a dnsmasq lease file (no
 * I/O: fuzzed, as lease_parse_line())
 * Returns 1 and fills @l for an IPv6 lease; 0 for anything else (IPv4
 * leases, the "duid" line, garbage).
 */
int lease6_parse_line(const char *line, struct lease6 *l);
/* Look up the DHCPv6 lease of the client whose DUID carries @mac; 1 and
 * @addr filled, or 0. The last matching line wins. */
int lease6_lookup_stream(FILE *f, const uint8_t mac[6], struct in6_addr *addr);
int lease6_lookup(const char *leases_path, const uint8_t mac[6], struct in6_addr *addr);

#endif
