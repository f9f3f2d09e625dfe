// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_lease.c - libFuzzer target for dnsmasq lease files: the input is a
 * whole lease file. Each line through lease_parse_line() and
 * lease6_parse_line() must parse to a lease that prints and parses back to
 * itself, or be skipped; the whole file
 * through lease_lookup_stream() must never crash, leak or hit undefined
 * behaviour. Built and run by `make fuzz`.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/dnsmasq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct lease *l)
{
	char line[600], a[INET_ADDRSTRLEN];
	const uint8_t *m = l->mac;
	struct lease back;

	if (!memchr(l->hostname, 0, sizeof(l->hostname)) || strpbrk(l->hostname, " \t\r\n"))
		abort();
	snprintf(line, sizeof(line), "%lld %02x:%02x:%02x:%02x:%02x:%02x %s %s *\n", l->expiry,
		 m[0], m[1], m[2], m[3], m[4], m[5], inet_ntop(AF_INET, &l->addr, a, sizeof(a)),
		 l->hostname[0] ? l->hostname : "*");
	if (lease_parse_line(line, &back) != 1 || back.expiry != l->expiry ||
	    memcmp(back.mac, l->mac, 6) || back.addr.s_addr != l->addr.s_addr ||
	    strcmp(back.hostname, l->hostname))
		abort();
}

static void round_trip6(const struct lease6 *l)
{
	char line[700], a[INET6_ADDRSTRLEN];
	const uint8_t *m = l->mac;
	struct lease6 back;

	if (!memchr(l->hostname, 0, sizeof(l->hostname)) || strpbrk(l->hostname, " \t\r\n"))
		abort();
	if (!l->has_mac)
		return;
	snprintf(line, sizeof(line), "%lld 1 %s %s 00:03:00:01:%02x:%02x:%02x:%02x:%02x:%02x\n",
		 l->expiry, inet_ntop(AF_INET6, &l->addr, a, sizeof(a)),
		 l->hostname[0] ? l->hostname : "*", m[0], m[1], m[2], m[3], m[4], m[5]);
	if (lease6_parse_line(line, &back) != 1 || back.expiry != l->expiry || !back.has_mac ||
	    memcmp(back.mac, l->mac, 6) || memcmp(&back.addr, &l->addr, sizeof(l->addr)) ||
	    strcmp(back.hostname, l->hostname))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;
	uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	char host[64];
	struct in_addr a;
	FILE *f;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* The whole file, as the supervisor reads it (first 6 bytes: the MAC). */
	if (size >= 6)
		memcpy(mac, data, 6);
	f = fmemopen(text, size ? size : 1, "r");
	if (f) {
		lease_lookup_stream(f, mac, &a, host, sizeof(host));
		fclose(f);
	}
	f = fmemopen(text, size ? size : 1, "r");
	if (f) {
		struct in6_addr a6;

		lease6_lookup_stream(f, mac, &a6);
		fclose(f);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct lease l;
		struct lease6 l6;

		if (lease_parse_line(line, &l) == 1)
			round_trip(&l);
		if (lease6_parse_line(line, &l6) == 1)
			round_trip6(&l6);
	}
	free(text);
	return 0;
}
