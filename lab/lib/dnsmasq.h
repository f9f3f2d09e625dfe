/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsmasq.h - one dnsmasq per lab, serving every LAN: its generated config and command line,
 * and reading its lease file. Pure builders, unit-tested.
 */
#ifndef VACMLAB_DNSMASQ_H
#define VACMLAB_DNSMASQ_H

#include <netinet/in.h>
#include <stdint.h>

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

/* Look up @mac in a dnsmasq lease file. Returns 1 and fills @addr (and
 * @hostname, if non-NULL, up to @hlen) when a lease exists, 0 if not. */
int lease_lookup(const char *leases_path, const uint8_t mac[6], struct in_addr *addr,
		 char *hostname, size_t hlen);

#endif
