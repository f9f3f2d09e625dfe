// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_launch.c - the QEMU command line and dnsmasq configuration builders,
 * from topologies parsed by the real parser.
 */
#include <stdlib.h>
#include <string.h>

#include "lab/lib/disk.h"
#include "lab/lib/dnsmasq.h"
#include "lab/lib/qemu.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

static int has_arg(char **v, const char *opt, const char *val)
{
	for (; v[0] && v[1]; v++)
		if (!strcmp(v[0], opt) && !strcmp(v[1], val))
			return 1;
	return 0;
}

static int count_opt(char **v, const char *opt)
{
	int n = 0;

	for (; *v; v++)
		n += !strcmp(*v, opt);
	return n;
}

/* The index of option @opt with value @val, or -1. */
static int arg_at(char **v, const char *opt, const char *val)
{
	for (int i = 0; v[i] && v[i + 1]; i++)
		if (!strcmp(v[i], opt) && !strcmp(v[i + 1], val))
			return i;
	return -1;
}

/* "machine = q35\ndisk = ahci\n" -> "machine = q35; disk = ahci" (static). */
static const char *one_line(const char *keys)
{
	static char buf[256];
	size_t o = 0;

	for (const char *c = keys; *c && o + 3 < sizeof(buf); c++) {
		if (*c != '\n') {
			buf[o++] = *c;
		} else if (c[1]) {
			buf[o++] = ';';
			buf[o++] = ' ';
		}
	}
	buf[o] = '\0';
	return o ? buf : "defaults";
}

static char **argv_of2(const char *lab_keys, const char *node_keys, struct qemu_launch *l,
		       struct topo **t)
{
	_cleanup_free_ char *text = xasprintf(
		"[lab]\nname = m\n%s[lan lan]\nsubnet = 10.1.0.0/24\ndhcp = 10.1.0.100-10.1.0.110\n"
		"[node n]\nimage = ../topo/fake.img\nnic = lan\n%s",
		lab_keys, node_keys);
	struct topo_err e;

	if (topo_load_string(text, "tests/unit/machine.conf", t, &e) < 0) {
		ok(0, "parse '%s': %s:%d: %s", node_keys, e.file, e.line, e.msg);
		return NULL;
	}
	l->node = &(*t)->nodes[0];
	return qemu_argv("/q", l);
}

static char **argv_of(const char *node_keys, struct qemu_launch *l, struct topo **t)
{
	return argv_of2("", node_keys, l, t);
}

#define DRIVE_IDE "file=/s/n1.qcow2,format=qcow2,if=ide,index=0,media=disk,node-name=" DISK_NODE
#define DRIVE_NONE "file=/s/n1.qcow2,format=qcow2,if=none,id=hd0,media=disk,node-name=" DISK_NODE

/* Every machine and disk combination, cpu and qemu_args. */
static void test_machines(struct qemu_launch *l)
{
	static const struct {
		const char *keys, *machine, *drive, *dev1, *dev2;
	} cases[] = {
		{"", "pc", DRIVE_IDE, NULL, NULL},
		{"machine = pc\ndisk = ide\n", "pc", DRIVE_IDE, NULL, NULL},
		{"machine = q35\n", "q35", DRIVE_IDE, NULL, NULL},
		{"machine = q35\ndisk = ahci\n", "q35", DRIVE_IDE, NULL, NULL},
		{"disk = ahci\n", "pc", DRIVE_NONE, "ahci,id=ahci0",
		 "ide-hd,drive=hd0,bus=ahci0.0,bootindex=0"},
		{"disk = virtio\n", "pc", DRIVE_NONE, "virtio-blk-pci,drive=hd0,bootindex=0", NULL},
		{"machine = q35\ndisk = virtio\n", "q35", DRIVE_NONE,
		 "virtio-blk-pci,drive=hd0,bootindex=0", NULL},
		{"disk = scsi\n", "pc", DRIVE_NONE, "virtio-scsi-pci,id=scsi0",
		 "scsi-hd,drive=hd0,bus=scsi0.0,bootindex=0"},
		{"machine = q35\ndisk = scsi\n", "q35", DRIVE_NONE, "virtio-scsi-pci,id=scsi0",
		 "scsi-hd,drive=hd0,bus=scsi0.0,bootindex=0"},
	};
	struct topo *t;
	char **v;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int d1, d2;

		v = argv_of(cases[i].keys, l, &t);
		if (!v)
			continue;
		ok(has_arg(v, "-machine", cases[i].machine) && count_opt(v, "-machine") == 1 &&
			   has_arg(v, "-drive", cases[i].drive) && count_opt(v, "-drive") == 1,
		   "%s: -machine %s, -drive %s", one_line(cases[i].keys), cases[i].machine,
		   cases[i].drive);
		d1 = cases[i].dev1 ? arg_at(v, "-device", cases[i].dev1) : 0;
		d2 = cases[i].dev2 ? arg_at(v, "-device", cases[i].dev2) : d1 + 1;
		ok(d1 >= 0 && d2 > d1 &&
			   count_opt(v, "-device") == 3 + !!cases[i].dev1 + !!cases[i].dev2,
		   "%s: disk devices %s %s", one_line(cases[i].keys),
		   cases[i].dev1 ? cases[i].dev1 : "(none)", cases[i].dev2 ? cases[i].dev2 : "");
		strv_free(v);
		topo_free(t);
	}

	v = argv_of("cpu = Skylake-Client,+ssse3,-avx\n", l, &t);
	ok(v && has_arg(v, "-cpu", "Skylake-Client,+ssse3,-avx") && count_opt(v, "-cpu") == 1,
	   "cpu = MODEL becomes -cpu MODEL");
	strv_free(v);
	topo_free(t);

	v = argv_of("qemu_args = -device 'virtio-rng-pci,id=rng0' -smbios \"type=1,serial=A B\" "
		    "-global kvm-pit.lost_tick_policy=discard\n",
		    l, &t);
	{
		int n = 0, at;

		while (v && v[n])
			n++;
		at = v ? arg_at(v, "-smbios", "type=1,serial=A B") : -1;
		ok(v && has_arg(v, "-device", "virtio-rng-pci,id=rng0") && at > 0 &&
			   !strcmp(v[n - 2], "-global") &&
			   !strcmp(v[n - 1], "kvm-pit.lost_tick_policy=discard"),
		   "qemu_args: split like a shell (quotes kept together), appended last");
	}
	strv_free(v);
	topo_free(t);

	v = argv_of2("machine = q35\ncpu = max\n", "", l, &t);
	ok(v && has_arg(v, "-machine", "q35") && has_arg(v, "-cpu", "max") &&
		   has_arg(v, "-drive", DRIVE_IDE),
	   "[lab] machine and cpu are defaults for the nodes (q35: -hda's AHCI)");
	strv_free(v);
	topo_free(t);
	v = argv_of2("machine = q35\ndisk = virtio\n", "machine = pc\n", l, &t);
	ok(v && has_arg(v, "-machine", "pc") && has_arg(v, "-drive", DRIVE_NONE) &&
		   arg_at(v, "-device", "virtio-blk-pci,drive=hd0,bootindex=0") > 0,
	   "a node's own machine wins over [lab]'s, [lab] disk still applies");
	strv_free(v);
	topo_free(t);

	/* check --qemu: fds named, not numbered. */
	l->symbolic_fds = true;
	v = argv_of("serial = console tcp:7123\n", l, &t);
	ok(v && has_arg(v, "-netdev", "tap,id=n0,fd=<tap:n:0>") &&
		   has_arg(v, "-chardev", "socket,id=s0,fd=<console:n:ttyS0>,server=off") &&
		   has_arg(v, "-chardev",
			   "socket,id=s1,fd=<tcp:n:ttyS1>,server=on,wait=off,telnet=on"),
	   "symbolic fds: fd=<tap:NODE:N>, fd=<console:NODE:ttyS0>, fd=<tcp:NODE:ttyS1>");
	l->symbolic_fds = false;
	strv_free(v);
	topo_free(t);
}

/* IPv6 on one LAN (subnet6): RAs, the DHCPv6 pool, fixed [ADDR6], AAAA. */
static void test_dnsmasq6(void)
{
	const char *text = "[lab]\nname = t6\n"
			   "[lan v6]\nsubnet = 10.6.0.0/24\ndhcp = 10.6.0.100-10.6.0.110\n"
			   "subnet6 = fd06:1::/64\n"
			   "[lan v4]\nsubnet = 10.4.0.0/24\ndhcp = 10.4.0.10-10.4.0.20\n"
			   "[node n1]\nimage = ../topo/fake.img\nnic = v6 10.6.0.11 fd06:1::11\n"
			   "nic = v4\n"
			   "[node n2]\nimage = ../topo/fake.img\nnic = v6 fd06:1::12\n";
	struct dnsmasq_paths p = {"/r/d.conf", "/r/d.leases", "/r/d.pid", "/s/d.log"};
	struct topo *t;
	struct topo_err e;
	char *c, want[128];
	const uint8_t *m;

	if (topo_load_string(text, "tests/unit/launch6.conf", &t, &e) < 0) {
		ok(0, "parse v6: %s:%d: %s", e.file, e.line, e.msg);
		return;
	}
	c = dnsmasq_config(t, &p);
	ok(strstr(c, "\nenable-ra\n") != NULL, "v6: router advertisements on");
	ok(strstr(c, "dhcp-range=set:v6,fd06:1::100,fd06:1::1ff,ra-names,64,12h\n") != NULL,
	   "v6: a DHCPv6 pool ::100-::1ff, SLAAC too (ra-names)");
	ok(strstr(c, "dhcp-option=tag:v6,option6:dns-server,[fd06:1::254]\n") != NULL,
	   "v6: DNS at the bridge's PREFIX::254");
	ok(strstr(c, "host-record=v6-gw,v6-gw.t6,10.6.0.254,fd06:1::254\n") != NULL,
	   "v6: the gateway's name has both addresses");
	ok(strstr(c, "host-record=n1,n1.t6,10.6.0.11,fd06:1::11\n") != NULL,
	   "v6: a fixed ADDR6 is an AAAA of the node's name");
	m = t->nodes[0].nics[0].mac;
	snprintf(want, sizeof(want),
		 "dhcp-host=%02x:%02x:%02x:%02x:%02x:%02x,10.6.0.11,[fd06:1::11],n1\n", m[0], m[1],
		 m[2], m[3], m[4], m[5]);
	ok(strstr(c, want) != NULL, "v6: dhcp-host MAC -> ADDR, [ADDR6], name");
	m = t->nodes[1].nics[0].mac;
	snprintf(want, sizeof(want), "dhcp-host=%02x:%02x:%02x:%02x:%02x:%02x,[fd06:1::12],n2\n",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	ok(strstr(c, want) != NULL, "v6: a dynamic IPv4 NIC with a fixed ADDR6");
	ok(!strstr(c, "set:v4,fd") && !strstr(c, "tag:v4,option6"), "v6: the IPv4 LAN gets none");
	free(c);
	topo_free(t);
	/* No subnet6 anywhere: no IPv6 line at all. */
	ok(topo_load_string("[lan a]\nsubnet = 10.0.0.0/24\n[node x]\nimage = ../topo/fake.img\n"
			    "nic = a 10.0.0.5\n",
			    "tests/unit/launch4.conf", &t, &e) == 0,
	   "v4-only lab parses");
	c = dnsmasq_config(t, &p);
	ok(!strstr(c, "enable-ra") && !strstr(c, "option6") && !strstr(c, "ra-names"),
	   "v4-only lab: no RA, no DHCPv6");
	free(c);
	topo_free(t);
}

int main(void)
{
	const char *text = "[lab]\nname = t\n"
			   "[lan lan]\nsubnet = 10.1.0.0/24\naddress = 10.1.0.254\ndhcp = "
			   "10.1.0.100-10.1.0.110\n"
			   "[lan b]\nsubnet = 10.2.0.0/24\ndhcp = 10.2.0.10-10.2.0.20\n"
			   "[node n1]\nimage = ../topo/fake.img\nmemory = 300\ncpus = 2\n"
			   "nic = lan 10.1.0.11\nnic = b\nnic_model = e1000\n"
			   "serial = console loop tcp:7001 none log unix ringbuf console\n"
			   "[node n2]\nimage = ../topo/fake.img\nnic = lan\n";
	struct topo *t;
	struct topo_err e;
	char **v;
	int taps[2] = {10, 11}, ports[8] = {20, -1, 21, -1, -1, -1, -1, 22};

	if (topo_load_string(text, "tests/unit/launch.conf", &t, &e) < 0) {
		ok(0, "parse: %s:%d: %s", e.file, e.line, e.msg);
		return done_testing();
	}
	struct qemu_launch l = {
		.lab = "t",
		.node = &t->nodes[0],
		.disk = "/s/n1.qcow2",
		.qmp_path = "/r/n1/qmp.sock",
		.port_dir = "/r/n1",
		.log_dir = "/s/logs",
		.tap_fds = taps,
		.port_fds = ports,
	};
	v = qemu_argv("/usr/bin/qemu-system-x86_64", &l);
	ok(has_arg(v, "-machine", "pc"), "default machine: pc, what the seed's -hda boots");
	ok(has_arg(v, "-m", "300") && has_arg(v, "-smp", "2"), "memory and cpus");
	ok(count_opt(v, "-nodefaults") == 1 && has_arg(v, "-display", "none"),
	   "-nodefaults -display none");
	ok(has_arg(v, "-accel", "tcg") && count_opt(v, "-accel") == 1,
	   "-accel tcg unless KVM decided");
	ok(count_opt(v, "-cpu") == 0, "no -cpu unless cpu = is given");
	ok(has_arg(v, "-drive",
		   "file=/s/n1.qcow2,format=qcow2,if=ide,index=0,media=disk,node-name=" DISK_NODE),
	   "pc: the overlay where -hda puts it (PIIX IDE), format given explicitly");
	is_int(count_opt(v, "-device"), 5, "pc + ide: no disk controller device added");
	ok(has_arg(v, "-device", "qemu-xhci,id=usb") && !has_arg(v, "-device", "usb-storage"),
	   "every node has a USB controller, no key unless one is given");
	ok(has_arg(v, "-device", "pvpanic") && has_arg(v, "-action", "panic=pause"),
	   "a pvpanic device, and QEMU keeps a panicked guest paused");
	ok(has_arg(v, "-sandbox",
		   "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"),
	   "QEMU's seccomp sandbox: no exec, no setuid, no scheduler changes");
	ok(has_arg(v, "-qmp", "unix:/r/n1/qmp.sock,server=on,wait=off"), "QMP socket");
	ok(has_arg(v, "-netdev", "tap,id=n0,fd=10") && has_arg(v, "-netdev", "tap,id=n1,fd=11"),
	   "taps passed as fds");
	char mac[64];

	snprintf(mac, sizeof(mac), "e1000,netdev=n0,mac=%02x:%02x:%02x:%02x:%02x:%02x",
		 t->nodes[0].nics[0].mac[0], t->nodes[0].nics[0].mac[1], t->nodes[0].nics[0].mac[2],
		 t->nodes[0].nics[0].mac[3], t->nodes[0].nics[0].mac[4],
		 t->nodes[0].nics[0].mac[5]);
	ok(has_arg(v, "-device", mac), "NIC model from nic_model, derived MAC");
	ok(has_arg(v, "-chardev", "socket,id=s0,fd=20,server=off"), "console: socketpair fd");
	ok(has_arg(v, "-chardev", "pipe,id=s1,path=/r/n1/ttyS1"), "loop: pipe chardev on the FIFO");
	ok(has_arg(v, "-chardev", "socket,id=s2,fd=21,server=on,wait=off,telnet=on"),
	   "tcp: passed listener, telnet");
	ok(has_arg(v, "-chardev", "null,id=s3"), "none: null chardev");
	ok(has_arg(v, "-chardev", "file,id=s4,path=/s/logs/n1.ttyS4.log,append=on"),
	   "log: file chardev");
	ok(has_arg(v, "-chardev", "socket,id=s5,path=/r/n1/ttyS5.sock,server=on,wait=off"),
	   "unix: QEMU-owned socket");
	ok(has_arg(v, "-chardev", "ringbuf,id=s6,size=65536"), "ringbuf");
	is_int(count_opt(v, "-serial"), 4, "four ISA serial ports");
	ok(has_arg(v, "-device",
		   "pci-serial-4x,id=serialcard0,chardev1=s4,chardev2=s5,chardev3=s6,chardev4=s7"),
	   "ports 4..7 on a pci-serial-4x card");
	strv_free(v);

	l.node = &t->nodes[1];
	l.loadvm = "base";
	l.kvm = true;
	v = qemu_argv("/q", &l);
	ok(has_arg(v, "-accel", "kvm") && count_opt(v, "-accel") == 1,
	   "-accel kvm only when KVM was decided (the supervisor restarts under TCG)");
	ok(has_arg(v, "-loadvm", "base"), "--snapshot becomes -loadvm");
	ok(has_arg(v, "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:00") ||
		   count_opt(v, "-device") == 3,
	   "default NIC model is virtio-net-pci");
	is_int(count_opt(v, "-serial"), 1, "default: one serial port");
	strv_free(v);
	l.usb_image = "/r/n,1/usb.img";
	v = qemu_argv("/q", &l);
	ok(has_arg(v, "-drive", "if=none,id=usbkey,format=raw,readonly=on,file=/r/n,,1/usb.img") &&
		   has_arg(v, "-device",
			   "usb-storage,bus=usb.0,drive=usbkey,id=usbkey,removable=on"),
	   "a USB key: read-only raw image (commas doubled) as usb-storage on the controller");
	strv_free(v);
	l.usb_image = NULL;

	test_machines(&l);

	struct dnsmasq_paths p = {"/r/d.conf", "/r/d.leases", "/r/d.pid", "/s/d.log"};
	char *c = dnsmasq_config(t, &p);

	ok(strstr(c, "interface=lan\ninterface=b\nbind-interfaces\n") != NULL,
	   "one dnsmasq bound to every LAN's bridge");
	ok(strstr(c, "dhcp-range=set:b,10.2.0.10,10.2.0.20,255.255.255.0,12h\n") != NULL &&
		   strstr(c, "dhcp-option=tag:b,option:router,10.2.0.254\n") != NULL,
	   "the second LAN has its own range and its own router");
	ok(strstr(c, "no-resolv\nno-hosts\n") != NULL, "no-resolv, no-hosts");
	ok(strstr(c, "dhcp-range=set:lan,10.1.0.100,10.1.0.110,255.255.255.0,12h\n") != NULL,
	   "dynamic range, tagged with its LAN");
	ok(strstr(c, "domain=t\n") && strstr(c, "local=/t/\n"), "the lab's domain");
	ok(strstr(c, "host-record=n1,n1.t,10.1.0.11\n") != NULL, "DNS record for a fixed address");
	snprintf(mac, sizeof(mac), "dhcp-host=%02x:%02x:%02x:%02x:%02x:%02x,10.1.0.11,n1\n",
		 t->nodes[0].nics[0].mac[0], t->nodes[0].nics[0].mac[1], t->nodes[0].nics[0].mac[2],
		 t->nodes[0].nics[0].mac[3], t->nodes[0].nics[0].mac[4],
		 t->nodes[0].nics[0].mac[5]);
	ok(strstr(c, mac) != NULL, "dhcp-host MAC -> fixed address and name");
	ok(strstr(c, "dhcp-leasefile=/r/d.leases\n") && strstr(c, "log-facility=/s/d.log\n") &&
		   strstr(c, "pid-file=/r/d.pid\n"),
	   "lease, log and pid files at our paths");
	ok(strstr(c, "dhcp-option=tag:lan,option:router,10.1.0.254\n") != NULL,
	   "default route via the LAN's own bridge address");
	ok(strstr(c, "\nno-ping\n") != NULL, "no ping check before an offer by default");
	free(c);
	t->dhcp_ping = true;
	c = dnsmasq_config(t, &p);
	ok(!strstr(c, "no-ping"), "dhcp_ping = yes: dnsmasq keeps its ping check");
	free(c);
	v = dnsmasq_argv("/usr/sbin/dnsmasq", &p);
	ok(has_arg(v, "--user=root", "--group=") && !strcmp(v[1], "--keep-in-foreground"),
	   "dnsmasq: --user=root --group= (user namespace), foreground");
	strv_free(v);
	topo_free(t);
	test_dnsmasq6();
	return done_testing();
}
