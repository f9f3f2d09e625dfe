// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_capture.c - `vacmlab capture LAB TARGET [-w FILE|-] [-c N]
 * [--duration S] [FILTER...]`: join the lab's namespaces and capture with
 * libpcap on a LAN's bridge or on the lab-side interface of a node's or
 * host's NIC, writing a pcap file (or a stream on stdout, flushed per
 * packet, for `| wireshark -k -i -`). Stops cleanly on SIGINT/SIGTERM, a
 * packet count or a duration; the file is always complete.
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/cli/cmds.h"
#include "lab/cli/client.h"
#include "lab/cli/client_status.h"
#include "lab/lib/error.h"
#include "lab/lib/util.h"

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static void capture_usage(FILE *f)
{
	fprintf(f, "usage: vacmlab capture LAB LAN|NODE[:NIC]|HOST[:NIC] [-w FILE.pcap|-w -]\n"
		   "                       [-c COUNT] [--duration S] [-q] [FILTER...]\n"
		   "Capture packets inside a running lab, in pcap format.\n"
		   "  LAN          the LAN's bridge: every frame on the LAN\n"
		   "  NODE[:NIC]   the lab-side tap of the node's NIC (ethN or N; default eth0)\n"
		   "  HOST[:NIC]   the lab-side veth end of a test-service host's NIC\n"
		   "  -w FILE      write to FILE (default LAB-TARGET.pcap); -w - streams to\n"
		   "               stdout, flushed per packet:\n"
		   "                 vacmlab capture two-node lan -w - | wireshark -k -i -\n"
		   "  -c COUNT     stop after COUNT packets\n"
		   "  --duration S stop after S seconds\n"
		   "  FILTER       a pcap filter expression, e.g. icmp or 'tcp port 80'\n"
		   "Stops on Ctrl-C / SIGTERM too; the file is complete either way.\n");
}

/* Resolve TARGET to the interface name inside the lab, from the status. */
static int resolve_target(const char *lab, const char *target, char *ifname, size_t len,
			  struct vl_err *e)
{
	json_t *st = ctl_status(lab, e);
	_cleanup_free_ char *owner = xstrdup(target);
	char *colon = strchr(owner, ':'), *end;
	struct st_lab l;
	struct st_owner o;
	struct st_lan lan;
	long nic = 0;
	int r = -1;

	if (!st)
		return -1;
	if (colon) {
		*colon++ = '\0';
		if (!strncmp(colon, "eth", 3))
			colon += 3;
		nic = strtol(colon, &end, 10);
		if (!*colon || *end || nic < 0) {
			vl_fail(e, EXIT_CONFIG, "bad NIC in '%s': expected ethN or N", target);
			goto out;
		}
	}
	st_lab_get(st, &l);
	if (!colon && st_find_lan(&l, owner, &lan) && lan.bridge) {
		snprintf(ifname, len, "%s", lan.bridge);
		r = 0;
		goto out;
	}
	if (st_find_node(&l, owner, &o) || st_find_host(&l, owner, &o)) {
		struct st_nic n;

		if (!st_nic(&o, (size_t)nic, &n) || !n.ifname) {
			vl_fail(e, EXIT_CONFIG, "%s %s has no NIC eth%ld (it has %zu)",
				o.is_host ? "host" : "node", owner, nic, o.n_nics);
			goto out;
		}
		snprintf(ifname, len, "%s", n.ifname);
		r = 0;
		goto out;
	}
	vl_fail(e, EXIT_CONFIG, "lab '%s' has no LAN, node or host named '%s'", lab, owner);
out:
	json_decref(st);
	return r;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	pcap_dump(user, h, bytes);
	pcap_dump_flush((pcap_dumper_t *)user);
}

int cmd_capture(int argc, char **argv)
{
	static const struct option lo[] = {
		{"write", required_argument, NULL, 'w'},    {"count", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'}, {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},	    {0},
	};
	const char *out = NULL, *lab, *target;
	_cleanup_free_ char *defout = NULL, *filter = NULL;
	char ifname[64], perr[PCAP_ERRBUF_SIZE] = "";
	struct vl_err e = {0};
	long count = 0, got = 0;
	double duration = 0;
	bool quiet = false;
	pcap_t *p;
	pcap_dumper_t *d;
	struct bpf_program prog;
	long long deadline = 0;
	int c, r, rc = EXIT_OK;
	char *end;

	while ((c = getopt_long(argc, argv, "hw:c:q", lo, NULL)) != -1) {
		switch (c) {
		case 'w': out = optarg; break;
		case 'c':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				msg_err("bad count '%s'", optarg);
				return EXIT_CONFIG;
			}
			break;
		case 'd':
			if (duration_arg("--duration", optarg, DURATION_MAX_S, &duration) < 0)
				return EXIT_CONFIG;
			if (duration <= 0) {
				msg_err("--duration '%s': must be more than 0", optarg);
				return EXIT_CONFIG;
			}
			break;
		case 'q': quiet = true; break;
		case 'h': capture_usage(stdout); return EXIT_OK;
		default: capture_usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind < 2) {
		capture_usage(stderr);
		return EXIT_CONFIG;
	}
	lab = argv[optind++];
	target = argv[optind++];
	if ((r = lab_arg(lab)) != EXIT_OK)
		return r;
	if (optind < argc) {
		size_t len = 0;

		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		filter = xcalloc(1, len + 1);
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(filter, " ");
			strcat(filter, argv[i]);
		}
	}
	if (!out) {
		defout = xasprintf("%s-%s.pcap", lab, target);
		for (char *s = defout; *s; s++)
			if (*s == ':' || *s == '/')
				*s = '-';
		out = defout;
	}
	if (resolve_target(lab, target, ifname, sizeof(ifname), &e) < 0)
		return vl_report(&e);
	/* Open the output before entering the lab: a relative path means the
	 * caller's directory, and the file is the caller's. */
	FILE *of = strcmp(out, "-") ? fopen(out, "wbe") : stdout;

	if (!of) {
		msg_err("opening %s: %s", out, strerror(errno));
		return EXIT_ENV;
	}
	if (lab_enter(lab, NULL, &e) < 0)
		return vl_report(&e);
	p = pcap_create(ifname, perr);
	if (!p) {
		msg_err("capturing on %s: %s", ifname, perr);
		return EXIT_ENV;
	}
	pcap_set_snaplen(p, 262144);
	pcap_set_promisc(p, 1);
	/* Deliver each packet at once: a live viewer must not wait for a
	 * buffer to fill. */
	pcap_set_immediate_mode(p, 1);
	r = pcap_activate(p);
	if (r < 0) {
		msg_err("capturing on %s in lab %s: %s", ifname, lab, pcap_geterr(p));
		pcap_close(p);
		return EXIT_ENV;
	}
	if (filter) {
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
		    pcap_setfilter(p, &prog) < 0) {
			msg_err("filter '%s': %s", filter, pcap_geterr(p));
			pcap_close(p);
			return EXIT_CONFIG;
		}
		pcap_freecode(&prog);
	}
	d = pcap_dump_fopen(p, of);
	if (!d) {
		msg_err("writing %s: %s", out, pcap_geterr(p));
		pcap_close(p);
		return EXIT_ENV;
	}
	/* The header is on disk from now on: a reader (or `run`) can tell
	 * that the capture is live. */
	pcap_dump_flush(d);
	pcap_setnonblock(p, 1, perr);

	struct sigaction sa = {.sa_handler = on_stop};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!quiet)
		fprintf(stderr, "vacmlab: capturing on %s (%s) in lab %s -> %s%s%s\n", ifname,
			target, lab, strcmp(out, "-") ? out : "stdout", filter ? ", filter: " : "",
			filter ? filter : "");
	if (duration > 0)
		deadline = now_ms() + (long long)(duration * 1000);

	struct pollfd pfd = {pcap_get_selectable_fd(p), POLLIN, 0};

	while (!stop_sig) {
		int timeout = 200;

		if (deadline) {
			long long left = deadline - now_ms();

			if (left <= 0)
				break;
			if (left < timeout)
				timeout = (int)left;
		}
		r = poll(&pfd, 1, timeout);
		if (r < 0 && errno != EINTR) {
			msg_err("poll: %s", strerror(errno));
			rc = EXIT_ENV;
			break;
		}
		r = pcap_dispatch(p, count ? (int)(count - got) : -1, on_packet, (u_char *)d);
		if (r < 0) {
			if (r == PCAP_ERROR_BREAK)
				break;
			msg_err("capture on %s: %s", ifname, pcap_geterr(p));
			rc = EXIT_ENV;
			break;
		}
		got += r;
		if (ferror(of)) {
			/* The reader went away (e.g. wireshark closed): not an error. */
			break;
		}
		if (count && got >= count)
			break;
	}
	pcap_dump_flush(d);
	if (!quiet) {
		struct pcap_stat ps;

		if (pcap_stats(p, &ps) == 0)
			fprintf(stderr,
				"vacmlab: %ld packet%s captured, %u dropped by the kernel\n", got,
				got == 1 ? "" : "s", ps.ps_drop);
	}
	pcap_dump_close(d); /* closes @of */
	pcap_close(p);
	return rc;
}
