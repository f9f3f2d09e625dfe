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
	ok(has_arg(v, "-machine", "q35"), "q35 machine");
	ok(has_arg(v, "-m", "300") && has_arg(v, "-smp", "2"), "memory and cpus");
	ok(count_opt(v, "-nodefaults") == 1 && has_arg(v, "-display", "none"),
	   "-nodefaults -display none");
	ok(has_arg(v, "-accel", "tcg") && !has_arg(v, "-accel", "kvm"), "TCG unless KVM asked for");
	ok(has_arg(v, "-drive",
		   "file=/s/n1.qcow2,format=qcow2,if=ide,index=0,media=disk,node-name=" DISK_NODE),
	   "boots from its own overlay, format given explicitly");
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
	ok(has_arg(v, "-accel", "kvm") && has_arg(v, "-accel", "tcg"),
	   "KVM with TCG fallback when asked");
	ok(has_arg(v, "-loadvm", "base"), "--snapshot becomes -loadvm");
	ok(has_arg(v, "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:00") ||
		   count_opt(v, "-device") == 1,
	   "default NIC model is virtio-net-pci");
	is_int(count_opt(v, "-serial"), 1, "default: one serial port");
	strv_free(v);

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
	free(c);
	v = dnsmasq_argv("/usr/sbin/dnsmasq", &p);
	ok(has_arg(v, "--user=root", "--group=") && !strcmp(v[1], "--keep-in-foreground"),
	   "dnsmasq: --user=root --group= (user namespace), foreground");
	strv_free(v);
	topo_free(t);
	return done_testing();
}
