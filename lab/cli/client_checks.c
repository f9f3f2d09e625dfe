// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client_checks.c - what `up` checks of the machine and its options before
 * anything starts: guest memory against MemAvailable, --parallel; and
 * `apply`'s memory check (the nodes it starts or grows).
 */
#include <stdio.h>
#include <stdlib.h>

#include "lab/cli/client.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

int parse_parallel(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 1 || v > 1024) {
		msg_err("--parallel '%s': a number of nodes from 1 to 1024", s);
		return -1;
	}
	return (int)v;
}

/* MemAvailable in MiB, or -1 if /proc/meminfo does not say. */
static long mem_available_mib(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long kb;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			return kb / 1024;
	return -1;
}

/* Guests that do not fit in memory swap the host to a crawl or meet the
 * OOM killer half-way through a boot: refuse before anything starts. */
int up_check_memory(const struct topo *t, bool force)
{
	long want = 0, avail = mem_available_mib();

	for (int i = 0; i < t->n_nodes; i++)
		want += t->nodes[i].memory_mb;
	if (avail < 0 || want <= avail)
		return 0;
	if (force) {
		msg_warn("the guests need %ld MiB, more than the %ld MiB available (--force)", want,
			 avail);
		return 0;
	}
	msg_err("the lab's %d node%s need %ld MiB of guest memory, more than the %ld MiB "
		"available (MemAvailable): lower memory = or boot fewer nodes; --force boots "
		"anyway",
		t->n_nodes, t->n_nodes == 1 ? "" : "s", want, avail);
	return -1;
}

int apply_check_memory(long more_mb, int n_nodes, bool force)
{
	long avail = mem_available_mib();

	if (avail < 0 || more_mb <= avail)
		return 0;
	if (force) {
		msg_warn("the nodes that start need %ld MiB more guest memory, more than the %ld "
			 "MiB "
			 "available (--force)",
			 more_mb, avail);
		return 0;
	}
	msg_err("the %d node%s that would start need %ld MiB more guest memory, more than the "
		"%ld MiB available (MemAvailable): lower memory = or add fewer nodes; --force "
		"applies anyway (nothing was changed)",
		n_nodes, n_nodes == 1 ? "" : "s", more_mb, avail);
	return -1;
}
