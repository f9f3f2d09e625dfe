// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - vacmlab's entry point: a command table, iproute2 style.
 */
#include <string.h>

#include "lab/cli/cmds.h"
#include "lab/lib/util.h"

#ifndef VACMLAB_VERSION
#define VACMLAB_VERSION "0.1"
#endif

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

static const struct verb verbs[] = {
	{"check", cmd_check,
	 "check [--json|--qemu] TOPO validate a topology, print the lab or its QEMU commands"},
	{"up", cmd_up,
	 "up [--foreground] [--no-boot] [--fresh|--upgrade] [--snapshot NAME] [--accel MODE] "
	 "[--warm] TOPO"},
	{"apply", cmd_apply, "apply [--dry-run] TOPO       change a running lab to TOPO"},
	{"down", cmd_down,
	 "down [--timeout S] LAB         power nodes off gracefully, remove the lab"},
	{"status", cmd_status, "status [--json] [LAB]        node states, addresses, consoles"},
	{"ls", cmd_ls, "ls [--json]                  this user's labs"},
	{"exec", cmd_exec, "exec LAB [--host NAME] -- CMD  run CMD inside the lab's namespaces"},
	{"console", cmd_console,
	 "console [--ro] LAB NODE [PORT] attach to a serial port (Ctrl-] leaves)"},
	{"logs", cmd_logs, "logs [-f] LAB NODE [PORT]    print or follow a port's log"},
	{"wait", cmd_wait, "wait LAB NODE --console RE [--port N] [--timeout S]"},
	{"send", cmd_send, "send LAB NODE [--port N] TEXT write to a serial port"},
	{"forward", cmd_forward, "forward LAB NODE [ADDR:]HOSTPORT GUESTPORT  add a port forward"},
	{"image", cmd_image,
	 "image info [--json] IMAGE    inspect an image.bin without booting it"},
	{"reset", cmd_reset, "reset LAB [NODE...]          fresh disks for a lab that is down"},
	{"rm", cmd_rm, "rm [--yes] LAB               remove a lab's state (disks, logs)"},
	{"snapshot", cmd_snapshot, "snapshot LAB NODE save|load|list|rm [NAME]"},
	{"restore", cmd_restore,
	 "restore LAB [SNAPSHOT]       every node back to a snapshot (warm)"},
	{"usb", cmd_usb, "usb LAB NODE insert DIR|IMAGE | eject  a USB key in a running node"},
	{"link", cmd_link,
	 "link down|up LAB NODE[:ethN|:ttySN]  pull or plug a NIC's link or a serial cable"},
	{"config", cmd_config,
	 "config export|import|erase LAB NODE ...  a node's /etc/config or nvlog"},
	{"upgrade", cmd_upgrade, "upgrade LAB NODE... --image NEW.bin  new firmware, same config"},
	{"run", cmd_run, "run TOPO [--artifacts DIR] [--junit F] -- CMD  up, run a test, down"},
	{"impair", cmd_impair, "impair LAB NODE[:NIC] SPEC|clear  link impairment (netem)"},
	{"capture", cmd_capture, "capture LAB LAN|NODE[:NIC] -w FILE|-  packet capture (pcap)"},
	{"attach", cmd_attach,
	 "attach LAB LAN (--bridge BR | --address CIDR)  via sudo vacmlab-attach"},
	{"doctor", cmd_doctor, "doctor [--json]              check this machine can run labs"},
	{"node", cmd_node, "node stop|start|restart|reset|kill LAB NODE  one node's lifecycle"},
	{"qmp", cmd_qmp, "qmp LAB NODE COMMAND [JSON]    one QMP command through the supervisor"},
	{"host", cmd_host, "host restart LAB HOST         restart a test-service host's command"},
	{"graph", cmd_graph, "graph [--format dot|mermaid] TOPO|LAB  draw LANs, nodes, hosts"},
	{"inventory", cmd_inventory,
	 "inventory [--format ansible|ssh-config|json] LAB  node addresses for tools"},
	{"kube", cmd_kube,
	 "kube [--image IMAGE] TOPO     Kubernetes manifests that run a lab (YAML)"},
	{"web", cmd_web, "web [--listen ADDR:PORT] [LAB...]  the labs in a browser (token URL)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vacmlab [-v] VERB ARGS...\n\nVerbs:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %s\n", verbs[i].synopsis);
	fprintf(f, "\nExit status:\n"
		   "  0    success\n"
		   "  1    usage or topology error; nothing was started\n"
		   "  2    environment: user namespaces unavailable, /dev/net/tun not\n"
		   "       accessible, qemu-system-x86_64 or dnsmasq missing, bad image\n"
		   "  3    a child (QEMU, dnsmasq) failed\n"
		   "  4    readiness or wait timed out\n"
		   "  5    lab state: not running, already running\n"
		   "  125  `run`: the lab could not come up (otherwise CMD's status)\n"
		   "\n`vacmlab VERB --help` shows a verb's options. See README.md.\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--list-verbs")) {
			/* Hidden: one verb a line, for shell completion and the
			 * test that every verb has its man page section. */
			for (size_t v = 0; v < ARRAY_SIZE(verbs); v++)
				printf("%s\n", verbs[v].name);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("vacmlab %s\n", VACMLAB_VERSION);
			return EXIT_OK;
		} else {
			msg_err("unknown option '%s'", argv[i]);
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	for (size_t v = 0; v < ARRAY_SIZE(verbs); v++) {
		if (strcmp(argv[i], verbs[v].name))
			continue;
		return verbs[v].fn(argc - i, argv + i);
	}
	msg_err("unknown verb '%s'", argv[i]);
	usage(stderr);
	return EXIT_CONFIG;
}
