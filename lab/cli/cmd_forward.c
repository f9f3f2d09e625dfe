// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_forward.c - `vacmlab forward [--udp] LAB NODE [ADDR:]HOSTPORT GUESTPORT`:
 * add a rootless TCP (or UDP) port forward to a running lab, and `vacmlab
 * forward LAB --list`.
 *
 * The CLI runs in the host's network namespace, so it binds the listening
 * socket here (a taken port is reported by us, with nothing changed in the
 * lab) and hands it to the supervisor over the control socket (SCM_RIGHTS).
 * The supervisor, inside the lab, accepts on it and splices (sv_fwd.c), or
 * relays datagrams per client (sv_udp.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/lib/error.h"
#include "lab/lib/status_keys.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

static const char forward_usage[] =
	"usage: vacmlab forward [--udp [--idle SECONDS]] LAB NODE [ADDR:]HOSTPORT GUESTPORT\n"
	"       vacmlab forward [--json] LAB --list\n"
	"Listen on ADDR:HOSTPORT in the host's network namespace (ADDR defaults to\n"
	"127.0.0.1; any address you may bind) and carry each TCP connection to\n"
	"GUESTPORT on NODE's first address inside the lab. No root, no extra\n"
	"process: the lab's supervisor splices the connections. The forward lasts\n"
	"as long as the lab. --list prints the lab's forwards (also in `status`).\n"
	"--udp relays datagrams instead, both ways, with one socket in the lab per\n"
	"client address, closed after --idle SECONDS (default 60) without traffic.\n";

/* "[ADDR:]PORT" -> @addr (dotted quad, default 127.0.0.1) and @port. */
static int parse_hostport(const char *s, char *addr, size_t addrlen, int *port)
{
	const char *colon = strrchr(s, ':');
	const char *ps = colon ? colon + 1 : s;
	struct in_addr a;
	char *end;
	long v;

	if (colon) {
		if ((size_t)(colon - s) >= addrlen)
			return -1;
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		if (inet_pton(AF_INET, addr, &a) != 1)
			return -1;
	} else {
		snprintf(addr, addrlen, "127.0.0.1");
	}
	errno = 0;
	v = strtol(ps, &end, 10);
	if (!*ps || *end || errno || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int parse_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

static int list_forwards(const char *lab, bool json)
{
	struct vl_err e = {0};
	json_t *st = ctl_status(lab, &e), *out = json_array();
	size_t i, j;
	json_t *n, *f;

	if (!st) {
		json_decref(out);
		return vl_report(&e);
	}
	if (!json)
		printf("%-22s %-13s %-6s %-5s %-7s %-6s %s\n", "LISTEN", "NODE", "GUEST", "PROTO",
		       "CONNS", "ACTIVE", "BYTES");
	json_array_foreach (json_object_get(st, SK_NODES), i, n) {
		const char *node = json_string_value(json_object_get(n, SK_NAME));

		json_array_foreach (json_object_get(n, SK_FORWARDS), j, f) {
			if (json) {
				json_t *o = json_deep_copy(f);

				json_object_set_new(o, "node", json_string(node ? node : "?"));
				json_array_append_new(out, o);
				continue;
			}
			printf("%-22s %-13s %-6lld %-5s %-7lld %-6lld %lld\n",
			       json_string_value(json_object_get(f, SK_LISTEN)), node ? node : "?",
			       json_integer_value(json_object_get(f, SK_GUEST_PORT)),
			       json_string_value(json_object_get(f, SK_PROTO)),
			       json_integer_value(json_object_get(f, SK_CONNECTIONS)),
			       json_integer_value(json_object_get(f, SK_ACTIVE)),
			       json_integer_value(json_object_get(f, SK_BYTES)));
		}
	}
	if (json) {
		char *s = json_dumps(out, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
	}
	json_decref(out);
	json_decref(st);
	return EXIT_OK;
}

int cmd_forward(int argc, char **argv)
{
	static const struct option lo[] = {
		{"list", no_argument, NULL, 'l'}, {"json", no_argument, NULL, 'j'},
		{"udp", no_argument, NULL, 'u'},  {"idle", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'}, {0},
	};
	bool list = false, json = false, udp = false;
	char addr[INET_ADDRSTRLEN + 1], desc[64];
	const char *lab, *node, *proto_word;
	int c, hport, gport, fd, idle = 0, r;
	struct vl_err e = {0};

	/* Permute so `forward LAB --list` works as well as `--list LAB`. */
	while ((c = getopt_long(argc, argv, "hljui:", lo, NULL)) != -1) {
		switch (c) {
		case 'l': list = true; break;
		case 'j': json = true; break;
		case 'u': udp = true; break;
		case 'i': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || v < 1 || v > FORWARD_UDP_IDLE_MAX) {
				msg_err("bad --idle '%s': expected 1..%d seconds", optarg,
					FORWARD_UDP_IDLE_MAX);
				return EXIT_CONFIG;
			}
			idle = (int)v;
			break;
		}
		case 'h': printf("%s", forward_usage); return EXIT_OK;
		default: fprintf(stderr, "%s", forward_usage); return EXIT_CONFIG;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && lab_arg(argv[0]) != EXIT_OK)
		return EXIT_CONFIG;
	proto_word = udp ? "udp " : "";
	if (list) {
		if (argc != 1) {
			fprintf(stderr, "%s", forward_usage);
			return EXIT_CONFIG;
		}
		return list_forwards(argv[0], json);
	}
	if (argc != 4) {
		fprintf(stderr, "%s", forward_usage);
		return EXIT_CONFIG;
	}
	lab = argv[0];
	node = argv[1];
	if (parse_hostport(argv[2], addr, sizeof(addr), &hport) < 0) {
		msg_err("bad host side '%s': expected [ADDR:]PORT, ADDR an IPv4 address, PORT "
			"1..65535",
			argv[2]);
		return EXIT_CONFIG;
	}
	gport = parse_port(argv[3]);
	if (gport < 0) {
		msg_err("bad guest port '%s': expected 1..65535", argv[3]);
		return EXIT_CONFIG;
	}
	if (idle && !udp) {
		msg_err("--idle is for UDP forwards (--udp) only");
		return EXIT_CONFIG;
	}
	snprintf(desc, sizeof(desc), "%s:%d", addr, hport);
	fd = host_listen(addr, hport, udp, 128);
	if (fd < 0) {
		msg_err("forward %s%s -> %s:%d: cannot listen: %s", proto_word, desc, node, gport,
			strerror(-fd));
		return EXIT_CONFIG;
	}
	r = ctl_ask(lab,
		    json_pack("{s:s,s:s,s:i,s:s,s:s,s:i}", "cmd", "forward", "node", node,
			      "guest_port", gport, "listen", desc, "proto", udp ? "udp" : "tcp",
			      "idle", idle ? idle : FORWARD_UDP_IDLE_DEFAULT),
		    fd, 5000, NULL, &e);
	/* The supervisor has its own copy now (or none, on failure). */
	close(fd);
	if (r < 0) {
		vl_wrap(&e, "forward %s%s -> %s:%d", proto_word, desc, node, gport);
		return vl_report(&e);
	}
	printf("forward %s%s -> %s:%d (lab %s)\n", proto_word, desc, node, gport, lab);
	return EXIT_OK;
}
