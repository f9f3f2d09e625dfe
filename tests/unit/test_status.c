// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_status.c - the status JSON from end to end: the supervisor's writer
 * (lab/sv/sv_status.c) on a lab of one LAN, one node (a fixed address, a
 * console and a tcp port) and one [host], read back through the CLI's
 * typed accessors (lab/cli/client_status.c): a key renamed on one side
 * fails here. And a malformed reply (wrong types, missing names) reads as
 * absent values, never a crash.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lab/cli/client_status.h"
#include "lab/lib/topo.h"
#include "lab/sv/sv.h"
#include "tests/unit/tap.h"

static void test_round_trip(void)
{
	static struct lan lan = {.name = (char *)"lan0", .prefix = 24};
	static struct nic nn = {.ifname = "vacm1-0"}, hn = {.ifname = "web-0"};
	static struct node node = {.name = (char *)"vacm1", .image = (char *)"/img/image.bin"};
	static struct host host = {.name = (char *)"web", .command = (char *)"httpd -f"};
	static struct topo t = {.name = (char *)"st", .domain = (char *)"st.test"};
	static struct sv_node sn, *sn_p = &sn;
	static struct sv_lan sl;
	static struct sv_host sh, *sh_p = &sh;
	struct sv sv = {0};
	struct st_lab l;
	struct st_owner o;
	struct st_nic nic;
	struct st_port p;
	struct st_lan ln;
	json_t *st;

	inet_pton(AF_INET, "10.9.0.0", &lan.net);
	inet_pton(AF_INET, "10.9.0.1", &lan.addr);
	nn.lan = hn.lan = &lan;
	nn.lan_name = hn.lan_name = lan.name;
	inet_pton(AF_INET, "10.9.0.5", &nn.addr);
	node.nics = &nn;
	node.n_nics = 1;
	node.n_serial = 2;
	node.serial[0].kind = SERIAL_CONSOLE;
	node.serial[1].kind = SERIAL_TCP;
	node.serial[1].tcp_port = 5555;
	host.nics = &hn;
	host.n_nics = 1;
	t.lans = &lan;
	t.n_lans = 1;
	t.nodes = &node;
	t.n_nodes = 1;
	t.hosts = &host;
	t.n_hosts = 1;
	sn.cfg = &node;
	sn.state = NODE_READY;
	sn.pid = 4242;
	sn.pidfd = 99; /* "running": the pid is reported */
	sn.t_start = 1;
	sn.t_ready = 1501;
	sn.dir = (char *)"/run/st/vacm1";
	sn.qmp_path = (char *)"/run/st/vacm1/qmp.sock";
	sn.disk = (char *)"/state/st/vacm1.qcow2";
	sn.qemu_log = (char *)"/state/st/logs/vacm1.qemu.log";
	sn.ports[0].log_path = (char *)"/state/st/logs/vacm1.ttyS0.log";
	sl.cfg = &lan;
	sl.leases = "/nonexistent/leases";
	sl.log = "/state/st/logs/dnsmasq.log";
	sh.cfg = &host;
	sh.holder = 777;
	sh.cmd_pid = 778;
	sh.cmd_pidfd = 98;
	sh.log = (char *)"/state/st/logs/host-web.log";
	sv.t = &t;
	sv.nodes = &sn_p;
	sv.lans = &sl;
	sv.hosts = &sh_p;
	sv.topo_path = "st.conf";
	sv.rundir = (char *)"/run/st";
	sv.statedir = (char *)"/state/st";
	sv.logdir = (char *)"/state/st/logs";
	sv.phase = PH_RUNNING;
	sv.dns.pid = 555;
	sv.dns.pidfd = -1;
	sv.down_client = -1;

	st = sv_status_json(&sv);
	ok(st_lab_get(st, &l), "st_lab_get");
	is_str(l.lab, "st", "lab");
	is_str(l.domain, "st.test", "domain");
	is_str(l.topology, "st.conf", "topology");
	is_str(l.rundir, "/run/st", "rundir");
	is_str(l.statedir, "/state/st", "statedir");
	is_str(l.logdir, "/state/st/logs", "logdir");
	is_str(l.state, "running", "state");
	is_str(l.accel, "tcg", "accel");
	ok(l.supervisor_pid > 0, "supervisor_pid");
	ok(l.uptime_s >= 0, "uptime_s");
	ok(l.n_nodes == 1 && l.n_hosts == 1 && l.n_lans == 1, "one node, host and LAN");

	ok(st_find_lan(&l, "lan0", &ln), "st_find_lan");
	is_str(ln.bridge, "lan0", "LAN bridge");
	is_str(ln.subnet, "10.9.0.0/24", "LAN subnet");
	is_str(ln.address, "10.9.0.1", "LAN address");
	is_int(ln.dnsmasq_pid, 555, "LAN dnsmasq_pid");
	is_str(ln.leases, "/nonexistent/leases", "LAN leases");
	ok(ln.uplink == NULL, "LAN uplink null: NULL");
	is_str(ln.log, "/state/st/logs/dnsmasq.log", "LAN log");

	ok(st_find_node(&l, "vacm1", &o) && !o.is_host, "st_find_node");
	is_str(o.state, "ready", "node state");
	is_str(o.dns, "vacm1.st.test", "node dns");
	is_int(o.pid, 4242, "node pid");
	is_str(o.image, "/img/image.bin", "node image");
	is_str(o.disk, "/state/st/vacm1.qcow2", "node disk");
	is_str(o.qmp, "/run/st/vacm1/qmp.sock", "node qmp");
	is_str(o.qemu_log, "/state/st/logs/vacm1.qemu.log", "node qemu_log");
	is_str(o.console, "/run/st/vacm1/ttyS0.sock", "node console");
	is_str(o.accel, "tcg", "node accel");
	ok(o.boot_s > 1.49 && o.boot_s < 1.51, "node boot_s (%g)", o.boot_s);
	ok(o.uptime_s >= 0, "node uptime_s");
	ok(o.n_nics == 1 && o.n_ports == 2, "node: 1 NIC, 2 ports");
	ok(st_nic(&o, 0, &nic), "st_nic");
	is_str(nic.ifname, "vacm1-0", "NIC ifname");
	is_str(nic.guest_ifname, "eth0", "NIC guest_ifname");
	is_str(nic.lan, "lan0", "NIC lan");
	is_str(nic.kind, "tap", "NIC kind");
	is_str(nic.address, "10.9.0.5", "NIC address");
	ok(nic.fixed && !nic.lease, "NIC fixed, no lease");
	ok(nic.mac && strlen(nic.mac) == 17, "NIC mac");
	ok(!st_nic(&o, 1, &nic), "no second NIC");
	ok(st_port(&o, 0, &p), "st_port 0");
	is_str(p.port, "ttyS0", "port name");
	is_str(p.kind, "console", "port kind");
	is_int(p.index, 0, "port index");
	is_str(p.socket, "/run/st/vacm1/ttyS0.sock", "console socket");
	is_str(p.socket_ro, "/run/st/vacm1/ttyS0.ro.sock", "console socket_ro");
	is_str(p.log, "/state/st/logs/vacm1.ttyS0.log", "console log");
	ok(st_port(&o, 1, &p), "st_port 1");
	is_str(p.kind, "tcp", "tcp port kind");
	is_str(p.tcp, "127.0.0.1:5555", "tcp port address");
	ok(p.socket == NULL, "a tcp port has no socket");
	ok(!st_port(&o, 2, &p), "no third port");
	ok(!st_find_node(&l, "web", &o), "a host is not a node");

	ok(st_find_host(&l, "web", &o) && o.is_host, "st_find_host");
	is_int(o.holder_pid, 777, "host holder_pid");
	is_int(o.pid, 778, "host pid");
	is_str(o.command, "httpd -f", "host command");
	is_str(o.state, "running", "host state");
	is_str(o.log, "/state/st/logs/host-web.log", "host log");
	ok(st_nic(&o, 0, &nic), "host NIC");
	is_str(nic.kind, "veth", "host NIC kind");
	is_str(nic.ifname, "web-0", "host NIC ifname");
	ok(nic.address == NULL && !nic.fixed, "a dynamic NIC without a lease: address null");
	json_decref(st);
}

static void test_malformed(void)
{
	struct st_lab l;
	struct st_owner o;
	struct st_nic n;
	struct st_port p;
	json_t *j = json_loads("{\"lab\":5,\"nodes\":[{\"pid\":\"x\"},7,{\"name\":\"a\","
			       "\"nics\":{},\"ports\":[3]}],\"hosts\":{}}",
			       0, NULL);

	json_t *arr = json_array();

	ok(!st_lab_get(NULL, &l) && !st_lab_get(arr, &l), "not an object: false");
	json_decref(arr);
	ok(st_lab_get(j, &l), "an object reads");
	ok(l.lab == NULL && l.n_nodes == 3 && l.n_hosts == 0, "a number for a string: NULL");
	ok(!st_node(&l, 0, &o) && o.pid == 0, "a node without a name is not a node");
	ok(!st_node(&l, 1, &o), "a number for a node: false");
	ok(st_find_node(&l, "a", &o), "the named node is found");
	ok(o.n_nics == 0 && !st_nic(&o, 0, &n), "nics not an array: none");
	ok(o.n_ports == 1 && !st_port(&o, 0, &p), "a number for a port: false");
	ok(!st_find_node(&l, NULL, &o) && !st_find_host(&l, "a", &o), "no NULL name, no host");
	json_decref(j);
}

/* Forwards, machines and tunnels (a lab spread over machines), written
 * with the writer's key names; counters absent read 0. */
static void test_forwards_tunnels(void)
{
	json_t *j = json_pack(
		"{s:s,s:[{s:s,s:[{s:s,s:s,s:i,s:i,s:i,s:i},{s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:i}]}],"
		"s:s,s:[{s:s,s:s}],s:[{s:s,s:s,s:i,s:s,s:[{s:s,s:s,s:i}],s:i,s:i},{s:s,s:s}]}",
		SK_LAB, "mm", SK_NODES, SK_NAME, "a", SK_FORWARDS, SK_PROTO, SKV_PROTO_TCP,
		SK_LISTEN, "127.0.0.1:2222", SK_GUEST_PORT, 22, SK_CONNECTIONS, 3, SK_ACTIVE, 1,
		SK_BYTES, 99, SK_PROTO, SKV_PROTO_UDP, SK_LISTEN, "127.0.0.1:5353", SK_GUEST_PORT,
		53, SK_ACTIVE, 2, SK_DATAGRAMS_TO_GUEST, 7, SK_DATAGRAMS_FROM_GUEST, 6,
		SK_DROPPED_TO_GUEST, 1, SK_DROPPED_FROM_GUEST, 2, SK_MACHINE, "m1", SK_AWAY,
		SK_NAME, "b", SK_MACHINE, "m2", SK_TUNNELS, SK_LAN, "lan0", SK_DEVICE, "vx-lan0",
		SK_VNI, 42, SK_HOME, "m1", SK_PEERS, SK_MACHINE, "m2", SK_ADDRESS, "10.0.0.2",
		SK_PORT, 4789, SK_RX_PACKETS, 5, SK_TX_BYTES, 600, SK_LAN, "lan1", SK_TUNNEL_ERROR,
		"No such device");
	struct st_lab l;
	struct st_owner o;
	struct st_fwd f;
	struct st_away a;
	struct st_tunnel t;
	struct st_peer pe;

	ok(j && st_lab_get(j, &l), "a lab over machines reads");
	is_str(l.machine, "m1", "machine");
	ok(l.n_away == 1 && l.n_tunnels == 2, "one away, two tunnels");
	ok(st_find_node(&l, "a", &o) && o.n_forwards == 2, "node with two forwards");
	ok(st_fwd(&o, 0, &f), "st_fwd 0");
	is_str(f.proto, SKV_PROTO_TCP, "tcp forward proto");
	is_str(f.listen, "127.0.0.1:2222", "tcp forward listen");
	ok(f.guest_port == 22 && f.connections == 3 && f.active == 1 && f.bytes == 99,
	   "tcp forward counters");
	ok(f.datagrams_to_guest == 0 && f.dropped_from_guest == 0, "no udp counters: 0");
	ok(st_fwd(&o, 1, &f) && f.active == 2 && f.datagrams_to_guest == 7 &&
		   f.datagrams_from_guest == 6 && f.dropped_to_guest == 1 &&
		   f.dropped_from_guest == 2 && f.connections == 0,
	   "udp forward counters");
	ok(!st_fwd(&o, 2, &f), "no third forward");
	ok(st_away(&l, 0, &a) && !st_away(&l, 1, &a), "st_away");
	ok(st_away(&l, 0, &a) && a.name && !strcmp(a.name, "b") && a.machine &&
		   !strcmp(a.machine, "m2"),
	   "away: b on m2");
	ok(st_tunnel(&l, 0, &t), "st_tunnel 0");
	is_str(t.device, "vx-lan0", "tunnel device");
	is_str(t.home, "m1", "tunnel home");
	ok(t.vni == 42 && t.rx_packets == 5 && t.tx_bytes == 600 && t.rx_bytes == 0 &&
		   t.error == NULL && t.n_peers == 1,
	   "tunnel counters");
	ok(st_peer(&t, 0, &pe) && pe.port == 4789 && !st_peer(&t, 1, &pe), "st_peer");
	ok(st_peer(&t, 0, &pe) && pe.address && !strcmp(pe.address, "10.0.0.2"), "peer address");
	ok(st_tunnel(&l, 1, &t) && t.error && !strcmp(t.error, "No such device") && !t.n_peers,
	   "a tunnel without counters: its error");
	ok(!st_tunnel(&l, 2, &t), "no third tunnel");
	json_decref(j);
	/* A lab on one machine: none of it. */
	j = json_pack("{s:s}", SK_LAB, "one");
	ok(st_lab_get(j, &l) && !l.machine && !st_away(&l, 0, &a) && !st_tunnel(&l, 0, &t),
	   "one machine: no machine, away or tunnels");
	json_decref(j);
}

int main(void)
{
	test_round_trip();
	test_malformed();
	test_forwards_tunnels();
	return done_testing();
}
