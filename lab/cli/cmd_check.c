// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_check.c - `vacmlab check [--json] TOPO`: validate a topology without
 * starting anything and print the lab as vacmlab would build it (derived
 * names, MACs, addresses, defaults), as text or JSON.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/cli/client.h"
#include "lab/cli/cmds.h"
#include "lab/lib/disk.h"
#include "lab/lib/error.h"
#include "lab/lib/image.h"
#include "lab/lib/impair.h"
#include "lab/lib/qemu.h"
#include "lab/lib/rundir.h"
#include "lab/lib/spawn.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: vacmlab check [--json | --qemu [--accel MODE]] TOPO\n"
		   "\n"
		   "Validate the topology file TOPO without starting anything. On success\n"
		   "print the resolved lab (LANs, nodes, hosts, NICs with derived interface\n"
		   "names, MACs, addresses and DNS names) and exit 0; on error print\n"
		   "FILE:LINE: message and exit 1. See docs/topology.md for the syntax.\n"
		   "\n"
		   "  --json    print the resolved lab as JSON\n"
		   "  --qemu    print each node's exact QEMU command line instead, as `up`\n"
		   "            would run it (after the accelerator decision; file\n"
		   "            descriptors vacmlab passes are shown as fd=<tap:NODE:N>,\n"
		   "            fd=<console:NODE:ttySN>, fd=<tcp:NODE:ttySN>)\n"
		   "  --accel MODE  with --qemu: auto, kvm or tcg, as `up --accel`\n"
		   "  --help    this text\n");
}

static const char *ip(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void mac_str(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void print_nics(const struct topo *t, const char *owner, const struct nic *nics, int n)
{
	char a[INET_ADDRSTRLEN], m[18], im[160];

	for (int i = 0; i < n; i++) {
		const struct nic *nic = &nics[i];

		mac_str(nic->mac, m);
		impair_format(&nic->impair, im, sizeof(im));
		printf("  eth%d    %s on lan %s, mac %s, %s, %s.%s", i, nic->ifname, nic->lan->name,
		       m, nic->addr.s_addr ? ip(nic->addr, a) : "dhcp", owner, t->domain);
		if (nic->model)
			printf(", %s", nic->model);
		if (*im)
			printf(", impair %s", im);
		printf("\n");
	}
}

/* A [lan]'s or [node]'s own DHCP options, as a client receives them. */
static void print_dhcp(const struct dhcp_set *d)
{
	char v[4 * DHCPOPT_LEN_MAX];

	for (int i = 0; i < d->n_opts; i++) {
		const struct dhcpopt *o = &d->opts[i];

		dhcpopt_describe(o, v, sizeof(v));
		printf("  option  %d%s%s%s %s (%d bytes)%s%s\n", o->code,
		       *dhcpopt_name(o->code) ? " (" : "", dhcpopt_name(o->code),
		       *dhcpopt_name(o->code) ? ")" : "", v, o->len,
		       d->vendor_class ? ", vendor class " : "",
		       d->vendor_class ? d->vendor_class : "");
	}
	if (d->ztp_config)
		printf("  ztp     config=%s%s%s (option 43 above)\n", d->ztp_config,
		       d->ztp_firmware ? " firmware=" : "", d->ztp_firmware ? d->ztp_firmware : "");
}

static json_t *json_dhcp(const struct dhcp_set *d)
{
	json_t *arr = json_array();
	char v[4 * DHCPOPT_LEN_MAX], hex[4 * DHCPOPT_LEN_MAX];

	for (int i = 0; i < d->n_opts; i++) {
		struct dhcpopt o = d->opts[i];

		dhcpopt_describe(&o, v, sizeof(v));
		o.addrs = false;
		o.len = o.len == 1 ? 1 : o.len;
		dhcpopt_dnsmasq_value(&o, hex, sizeof(hex));
		json_array_append_new(
			arr,
			json_pack("{s:i, s:s, s:s, s:s, s:o}", "code", o.code, "name",
				  dhcpopt_name(o.code), "value", v, "dnsmasq", hex, "vendor_class",
				  d->vendor_class ? json_string(d->vendor_class) : json_null()));
	}
	return arr;
}

static void print_text(const struct topo *t)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	printf("lab %s\n  file    %s\n  domain  %s\n", t->name, t->path, t->domain);
	for (int i = 0; i < t->n_machines; i++)
		printf("\nmachine %s\n  address %s\n  port    %d (VXLAN, UDP)\n",
		       t->machines[i].name, ip(t->machines[i].addr, a), t->machines[i].port);
	if (t->accel_set)
		printf("  accel   %s\n", accel_mode_name(t->accel));
	for (int i = 0; i < t->n_lans; i++) {
		const struct lan *l = &t->lans[i];

		printf("\nlan %s\n  bridge  %s\n  subnet  %s/%d\n  address %s\n", l->name, l->name,
		       ip(l->net, a), l->prefix, ip(l->addr, b));
		if (l->dhcp_lo.s_addr)
			printf("  dhcp    %s-%s\n", ip(l->dhcp_lo, a), ip(l->dhcp_hi, b));
		else
			printf("  dhcp    none (fixed addresses only)\n");
		printf("  uplink  %s\n", l->uplink ? l->uplink : "none");
		if (l->tftp_dir)
			printf("  tftp    %s (read-only, tftp://%s/)\n", l->tftp_dir,
			       ip(l->addr, a));
		print_dhcp(&l->dhcp);
		if (t->n_machines) {
			printf("  home    %s (its DHCP)\n  on     ", l->home->name);
			for (int m = 0; m < t->n_machines; m++)
				if (l->machines & (1u << m))
					printf(" %s", t->machines[m].name);
			if (topo_lan_crosses(t, l))
				printf(" (VXLAN vni %u, device vx-%s)", l->vni, l->name);
			printf("\n");
		}
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *nd = &t->nodes[i];

		printf("\nnode %s\n  image   %s\n  memory  %d MiB\n  cpus    %d\n", nd->name,
		       nd->image, nd->memory_mb, nd->cpus);
		if (nd->on)
			printf("  on      %s\n", nd->on->name);
		printf("  machine %s, disk %s\n", machine_name(nd->machine),
		       disk_bus_name(nd->disk));
		if (nd->cpu)
			printf("  cpu     %s\n", nd->cpu);
		if (nd->qemu_args) {
			_cleanup_free_ char *qa = strv_join(nd->qemu_args);

			printf("  qemu    %s\n", qa);
		}
		if (nd->config_seed)
			printf("  config  %s (sda3 on first boot)\n", nd->config_seed);
		if (nd->nvlog_seed)
			printf("  nvlog   %s (sda4 on first boot)\n", nd->nvlog_seed);
		if (nd->usb)
			printf("  usb     %s (a USB key at boot)\n", nd->usb);
		print_dhcp(&nd->dhcp);
		{
			char rd[512];

			ready_describe(&nd->ready, rd, sizeof(rd));
			printf("  ready   %s (timeout %d s)\n  serial ", rd, nd->ready.timeout_s);
		}
		for (int s = 0; s < nd->n_serial; s++) {
			printf(" ttyS%d=%s", s, serial_kind_name(nd->serial[s].kind));
			if (nd->serial[s].kind == SERIAL_TCP)
				printf(":%d", nd->serial[s].tcp_port);
			if (nd->serial[s].kind == SERIAL_CABLE)
				printf(":%s:ttyS%d", nd->serial[s].peer, nd->serial[s].peer_port);
			if (nd->serial[s].kind == SERIAL_DEVICE)
				printf(":%s", nd->serial[s].peer);
			if (nd->serial[s].baud)
				printf("@%d", nd->serial[s].baud);
		}
		printf("\n");
		for (int f = 0; f < nd->n_forwards; f++) {
			const struct forward *fw = &nd->forwards[f];

			printf("  forward %s %s:%d -> %s:%d",
			       fw->proto == FORWARD_TCP ? "tcp" : "udp", fw->host_addr,
			       fw->host_port, nd->name, fw->guest_port);
			if (fw->proto == FORWARD_UDP)
				printf(" (idle %d s)", fw->idle_s);
			printf("\n");
		}
		print_nics(t, nd->name, nd->nics, nd->n_nics);
	}
	for (int i = 0; i < t->n_devices; i++) {
		const struct device *d = &t->devices[i];

		printf("\ndevice %s\n  command %s\n  restart %s\n  port    %s:ttyS%d\n", d->name,
		       d->command, d->restart ? "yes" : "no", d->node, d->port);
	}
	for (int i = 0; i < t->n_hosts; i++) {
		const struct host *h = &t->hosts[i];

		printf("\nhost %s\n  command %s\n", h->name, h->command ? h->command : "(none)");
		if (h->serve_dir)
			printf("  serve   %s (HTTP, port %d)\n", h->serve_dir, h->serve_port);
		if (h->on)
			printf("  on      %s\n", h->on->name);
		print_nics(t, h->name, h->nics, h->n_nics);
	}
}

static json_t *json_nics(const struct topo *t, const char *owner, const struct nic *nics, int n)
{
	json_t *arr = json_array();
	char a[INET_ADDRSTRLEN], m[18];

	for (int i = 0; i < n; i++) {
		const struct nic *nic = &nics[i];
		json_t *o;

		mac_str(nic->mac, m);
		o = json_pack("{s:s, s:s, s:s, s:s}", "ifname", nic->ifname, "lan", nic->lan->name,
			      "mac", m, "address", nic->addr.s_addr ? ip(nic->addr, a) : "dhcp");
		json_object_set_new(o, "dns", json_sprintf("%s.%s", owner, t->domain));
		json_object_set_new(o, "guest_if", json_sprintf("eth%d", i));
		if (nic->model)
			json_object_set_new(o, "model", json_string(nic->model));
		if (nic->impair.set)
			json_object_set_new(
				o, "impair",
				json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:I}", "direction",
					  nic->impair.dir == IMPAIR_BOTH   ? "both"
					  : nic->impair.dir == IMPAIR_FROM ? "from"
									   : "to",
					  "delay_us", (json_int_t)nic->impair.delay_us, "jitter_us",
					  (json_int_t)nic->impair.jitter_us, "loss_pct",
					  nic->impair.loss_pct, "duplicate_pct",
					  nic->impair.duplicate_pct, "corrupt_pct",
					  nic->impair.corrupt_pct, "reorder_pct",
					  nic->impair.reorder_pct, "rate_bps",
					  (json_int_t)nic->impair.rate_bps));
		json_array_append_new(arr, o);
	}
	return arr;
}

static void print_json(const struct topo *t)
{
	json_t *root = json_pack("{s:s, s:s, s:s, s:s}", "name", t->name, "domain", t->domain,
				 "file", t->path, "accel", accel_mode_name(t->accel));
	json_t *lans = json_array(), *nodes = json_array(), *hosts = json_array();
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	for (int i = 0; i < t->n_lans; i++) {
		const struct lan *l = &t->lans[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", l->name, "bridge", l->name,
				      "address", ip(l->addr, a));

		json_object_set_new(o, "subnet", json_sprintf("%s/%d", ip(l->net, b), l->prefix));
		if (l->dhcp_lo.s_addr)
			json_object_set_new(
				o, "dhcp",
				json_sprintf("%s-%s", ip(l->dhcp_lo, a), ip(l->dhcp_hi, b)));
		else
			json_object_set_new(o, "dhcp", json_null());
		json_object_set_new(o, "uplink", l->uplink ? json_string(l->uplink) : json_null());
		json_object_set_new(o, "tftp",
				    l->tftp_dir ? json_string(l->tftp_dir) : json_null());
		json_object_set_new(o, "dhcp_options", json_dhcp(&l->dhcp));
		json_array_append_new(lans, o);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *nd = &t->nodes[i];
		json_t *ser = json_array(), *fw = json_array(), *ready;
		json_t *o = json_pack("{s:s, s:s, s:i, s:i}", "name", nd->name, "image", nd->image,
				      "memory_mb", nd->memory_mb, "cpus", nd->cpus);

		if (nd->config_seed)
			json_object_set_new(o, "config", json_string(nd->config_seed));
		if (nd->nvlog_seed)
			json_object_set_new(o, "nvlog", json_string(nd->nvlog_seed));
		json_object_set_new(o, "usb", nd->usb ? json_string(nd->usb) : json_null());
		json_object_set_new(o, "dhcp_options", json_dhcp(&nd->dhcp));

		json_object_set_new(o, "machine", json_string(machine_name(nd->machine)));
		json_object_set_new(o, "disk", json_string(disk_bus_name(nd->disk)));
		json_object_set_new(o, "cpu", nd->cpu ? json_string(nd->cpu) : json_null());
		{
			json_t *qa = json_array();

			for (char **w = nd->qemu_args; w && *w; w++)
				json_array_append_new(qa, json_string(*w));
			json_object_set_new(o, "qemu_args", qa);
		}
		ready = json_pack("{s:[], s:i}", "conditions", "timeout_s", nd->ready.timeout_s);
		for (int rb = 0; rb < READY_CONDS; rb++)
			if (nd->ready.conds & (1u << rb))
				json_array_append_new(json_object_get(ready, "conditions"),
						      json_string(ready_cond_name(1u << rb)));
		/* "kind": the first condition, as before combined conditions */
		json_object_set_new(
			ready, "kind",
			json_string(nd->ready.none ? "none"
				    : json_array_size(json_object_get(ready, "conditions"))
					    ? json_string_value(json_array_get(
						      json_object_get(ready, "conditions"), 0))
					    : "none"));
		if (nd->ready.conds & READY_CONSOLE)
			json_object_set_new(ready, "regex", json_string(nd->ready.regex));
		if (nd->ready.conds & READY_TCP)
			json_object_set_new(ready, "port", json_integer(nd->ready.port));
		json_object_set_new(o, "ready", ready);
		for (int s = 0; s < nd->n_serial; s++) {
			json_t *so = json_object();

			json_object_set_new(so, "tty", json_sprintf("ttyS%d", s));
			json_object_set_new(so, "kind",
					    json_string(serial_kind_name(nd->serial[s].kind)));
			if (nd->serial[s].kind == SERIAL_TCP)
				json_object_set_new(so, "port",
						    json_integer(nd->serial[s].tcp_port));
			json_array_append_new(ser, so);
		}
		json_object_set_new(o, "serial", ser);
		for (int f = 0; f < nd->n_forwards; f++) {
			const struct forward *x = &nd->forwards[f];

			json_array_append_new(fw,
					      json_pack("{s:s, s:s, s:i, s:i}", "proto",
							x->proto == FORWARD_TCP ? "tcp" : "udp",
							"host_addr", x->host_addr, "host_port",
							x->host_port, "guest_port", x->guest_port));
			if (x->proto == FORWARD_UDP)
				json_object_set_new(json_array_get(fw, json_array_size(fw) - 1),
						    "idle_s", json_integer(x->idle_s));
		}
		json_object_set_new(o, "forwards", fw);
		json_object_set_new(o, "nics", json_nics(t, nd->name, nd->nics, nd->n_nics));
		json_array_append_new(nodes, o);
	}
	for (int i = 0; i < t->n_hosts; i++) {
		const struct host *h = &t->hosts[i];
		json_t *o = json_pack("{s:s}", "name", h->name);

		json_object_set_new(o, "command",
				    h->command ? json_string(h->command) : json_null());
		if (h->serve_dir)
			json_object_set_new(o, "serve",
					    json_pack("{s:s, s:i}", "dir", h->serve_dir, "port",
						      h->serve_port));
		json_object_set_new(o, "nics", json_nics(t, h->name, h->nics, h->n_nics));
		json_array_append_new(hosts, o);
	}
	json_object_set_new(root, "lans", lans);
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "hosts", hosts);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(root);
}

static void print_key(const char *section, const char *key, void *arg)
{
	(void)arg;
	printf("%s %s\n", section, key);
}

/* What `up` would run for each node, with symbolic fds (see usage). */
static int print_qemu(const struct topo *t, const char *accel)
{
	struct accel_choice ac;
	struct vl_err e = {0};
	_cleanup_free_ char *qemu = find_program("qemu-system-x86_64");
	/* t->name passed the name rule when the topology was loaded. */
	_cleanup_free_ char *rundir = rundir_lab(t->name, &e);
	_cleanup_free_ char *statedir = statedir_lab(t->name, NULL, &e);
	_cleanup_free_ char *logdir = statedir ? path_in(statedir, LF_LOGS) : NULL;

	if (!rundir || !statedir)
		return vl_report(&e);

	if (t->n_nodes && up_decide_accel(t, accel, &ac, &e) < 0)
		return vl_report(&e);
	if (t->n_nodes)
		printf("# accel %s\n", ac.reason);
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *nd = &t->nodes[i];
		_cleanup_free_ char *dir = path_node_dir(rundir, nd->name);
		_cleanup_free_ char *qmp = path_qmp(dir);
		_cleanup_free_ char *disk = disk_overlay_path(statedir, nd->name);
		struct qemu_launch l = {
			.lab = t->name,
			.node = nd,
			.disk = disk,
			.qmp_path = qmp,
			.port_dir = dir,
			.log_dir = logdir,
			.kvm = ac.kvm,
			.symbolic_fds = true,
		};
		/* A usb = DIR becomes this image when the node starts. */
		_cleanup_free_ char *usb = nd->usb ? path_usb_key(dir) : NULL;
		struct stat ust;

		if (nd->usb)
			l.usb_image =
				stat(nd->usb, &ust) == 0 && S_ISREG(ust.st_mode) ? nd->usb : usb;
		char **v = qemu_argv(qemu ? qemu : "qemu-system-x86_64", &l);
		_cleanup_free_ char *line = strv_join(v);

		printf("# node %s (machine %s, disk %s; overlay of %s)\n%s\n", nd->name,
		       machine_name(nd->machine), disk_bus_name(nd->disk), nd->image, line);
		strv_free(v);
	}
	return EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"qemu", no_argument, NULL, 'q'},
		{"accel", required_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		/* hidden: SECTION KEY per line, from the parser's tables */
		{"list-keys", no_argument, NULL, 'K'},
		{NULL, 0, NULL, 0},
	};
	struct topo *t;
	struct topo_err err;
	bool json = false, qemu = false;
	const char *accel = NULL;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'q': qemu = true; break;
		case 'X': accel = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'K': topo_keys_foreach(print_key, NULL); return EXIT_OK;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (argc - optind != 1 || (json && qemu) || (accel && !qemu)) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (topo_load(argv[optind], &t, &err) < 0) {
		topo_err_print(&err);
		return err.env ? EXIT_ENV : EXIT_CONFIG;
	}
	/* A base image naming another file is refused where `up` would. */
	for (int i = 0; i < t->n_nodes; i++) {
		struct vl_err e = {0};

		if (image_refs_check(t->nodes[i].image, &e) < 0) {
			fprintf(stderr, "%s:%d: node %s: image %s\n", t->path, t->nodes[i].line,
				t->nodes[i].name, e.msg);
			topo_free(t);
			return EXIT_ENV;
		}
	}
	r = EXIT_OK;
	if (qemu)
		r = print_qemu(t, accel);
	else if (json)
		print_json(t);
	else
		print_text(t);
	topo_free(t);
	return fflush(stdout) == 0 ? r : EXIT_CONFIG;
}
