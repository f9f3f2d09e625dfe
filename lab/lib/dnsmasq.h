/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsmasq.h - one dnsmasq per lab, serving every LAN: its generated config and command line,
 * and reading its lease file. Pure builders, unit-tested.
 */
#ifndef VACMLAB_DNSMASQ_H
#define VACMLAB_DNSMASQ_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/lib/topo.h"

struct dnsmasq_paths {
	const char *conf;   /* generated config (runtime dir) */
	const char *leases; /* lease file (runtime dir) */
	const char *pidfile;
	const char *log; /* log file (state dir: survives down) */
};

char *dnsmasq_config(const struct topo *t, const struct dnsmasq_paths *p);
/* NULL-terminated, malloc'd. */
char **dnsmasq_argv(const char *dnsmasq_path, const struct dnsmasq_paths *p);

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

#endif
