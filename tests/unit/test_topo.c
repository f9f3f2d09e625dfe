// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_topo.c - TAP tests of the topology parser and validator: every file in
 * tests/topo/invalid must fail with exactly the message in its .err file
 * (@TOPDIR@ stands for the source tree), every file in tests/topo/valid must
 * load, plus unit checks of defaults, derived names and MACs, paths, impair.
 * Source dir: $SRCDIR, else "." if it holds tests/topo, else from argv[0].
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/lib/dnsmasq.h"
#include "lab/lib/error.h"
#include "lab/lib/topo.h"
#include "lab/lib/topo_int.h" /* topo_suggest */
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of @dir ending in .conf; returns the count. */
static int list_confs(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l > 5 && !strcmp(e->d_name + l - 5, ".conf")) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmpstr);
	*out = v;
	return n;
}

static char *fmt_err(const struct topo_err *err)
{
	if (err->line > 0)
		return xasprintf("%s:%d: %s", err->file, err->line, err->msg);
	return xasprintf("%s: %s", err->file, err->msg);
}

/* Every error, one "FILE:LINE: message" line each, as `vacmlab check`
 * prints them. */
static char *fmt_all(const struct topo_err *err)
{
	char *out = xstrdup("");

	for (int i = 0; i < err->n; i++) {
		char *prev = out;

		if (err->list[i].line > 0)
			out = xasprintf("%s%s%s:%d: %s", prev, i ? "\n" : "", err->file,
					err->list[i].line, err->list[i].msg);
		else
			out = xasprintf("%s%s%s: %s", prev, i ? "\n" : "", err->file,
					err->list[i].msg);
		free(prev);
	}
	return out;
}

/* The lines of @path, without the last newline, with each @TOPDIR@
 * replaced by @top. */
static char *expected_err(const char *path, const char *top)
{
	_cleanup_free_ char *raw = read_file(path, NULL);
	char *out, *at;
	size_t n;

	if (!raw)
		return NULL;
	n = strlen(raw);
	while (n && raw[n - 1] == '\n')
		raw[--n] = '\0';
	out = xstrdup(raw);
	while ((at = strstr(out, "@TOPDIR@"))) {
		char *prev = out;

		*at = '\0';
		out = xasprintf("%s%s%s", prev, top, at + strlen("@TOPDIR@"));
		free(prev);
	}
	return out;
}

/* forward = udp ...: the protocol, the idle time and its default. */
static void test_forward_udp(void)
{
	struct topo *t = NULL;
	struct topo_err err;

	if (!ok(topo_load("tests/topo/valid/forward-udp.conf", &t, &err) == 0,
		"forward-udp.conf loads"))
		return;
	is_int(t->nodes[0].n_forwards, 3, "three forwards");
	ok(t->nodes[0].forwards[0].proto == FORWARD_UDP &&
		   t->nodes[0].forwards[0].idle_s == FORWARD_UDP_IDLE_DEFAULT,
	   "udp without idle= gets the default idle time (%d s)", FORWARD_UDP_IDLE_DEFAULT);
	ok(t->nodes[0].forwards[1].idle_s == 5 &&
		   !strcmp(t->nodes[0].forwards[1].host_addr, "0.0.0.0") &&
		   t->nodes[0].forwards[1].guest_port == 7,
	   "idle=5 is read, beside the address and ports");
	ok(t->nodes[0].forwards[2].proto == FORWARD_TCP, "tcp on the same port number is allowed");
	topo_free(t);
}

/* A lab over machines: placement, homes, VNIs, one machine's dnsmasq. */
static void test_machines(void)
{
	struct topo *t = NULL;
	struct topo_err err;
	struct dnsmasq_paths dp = {"c", "l", "p", "g"};
	struct vl_err why = {0};
	_cleanup_free_ char *conf = NULL;

	if (!ok(topo_load("tests/topo/valid/multi-machine.conf", &t, &err) == 0,
		"multi-machine.conf loads"))
		return;
	is_int(t->n_machines, 2, "two machines");
	is_str(t->lans[0].home->name, "m1", "a LAN's home defaults to its first machine");
	is_str(t->lans[1].home->name, "m2", "home = sets a LAN's home");
	is_int((int)t->lans[1].vni, 4242, "vni = sets the VNI");
	is_int((int)t->lans[0].vni, (int)topo_derive_vni("spread", "lan"), "else it is derived");
	ok(topo_lan_crosses(t, &t->lans[0]) && topo_lan_crosses(t, &t->lans[1]),
	   "both LANs cross machines");
	is_str(t->nodes[0].on->name, "m1", "a node without on = is on the first");
	ok(topo_place(t, NULL, &why) < 0 && strstr(why.msg, "--machine") && why.code == EXIT_CONFIG,
	   "up without --machine is refused: %s", why.msg);
	vl_clear(&why);
	ok(topo_place(t, "m7", &why) < 0 && strstr(why.msg, "no [machine m7]"),
	   "an unknown --machine is refused: %s", why.msg);
	if (!ok(topo_place(t, "m2", &why) == 0, "placing on m2"))
		goto out;
	ok(t->n_nodes == 1 && !strcmp(t->nodes[0].name, "a2") && t->n_away_nodes == 1 &&
		   t->n_hosts == 1 && t->n_away_hosts == 0,
	   "m2 runs a2 and h2; a1 is away");
	conf = dnsmasq_config(t, &dp);
	ok(strstr(conf, "interface=back\n") && !strstr(conf, "interface=lan\n"),
	   "m2's dnsmasq serves back (home m2), not lan (home m1)");
	ok(!strstr(conf, "dhcp-range=set:lan,") && strstr(conf, "dhcp-range=set:back,"),
	   "DHCP ranges only for LANs at home here");
	ok(strstr(conf, "host-record=a1,a1.spread,192.168.0.11") != NULL,
	   "the away node a1 still resolves through m2's dnsmasq");
	ok(strstr(conf, "interface=lo\n") != NULL, "and it listens on the lab's lo");
out:
	topo_free(t);
	{
		struct topo *t1 = NULL;

		topo_load("tests/topo/valid/minimal-node.conf", &t1, &err);
		ok(t1 && topo_place(t1, "m1", &why) < 0,
		   "--machine on a lab without machines is refused");
		ok(t1 && topo_place(t1, NULL, &why) == 0 && !t1->here,
		   "without machines nothing changes");
		topo_free(t1);
	}
}

static void test_invalid(const char *top)
{
	char **names;
	int n = list_confs("tests/topo/invalid", &names);

	ok(n >= 35, "at least 35 invalid topologies (%d)", n);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("tests/topo/invalid/%s", names[i]);
		_cleanup_free_ char *errpath = xasprintf("%.*s.err", (int)strlen(path) - 5, path);
		_cleanup_free_ char *want = expected_err(errpath, top);
		_cleanup_free_ char *got = NULL;
		struct topo *t = NULL;
		struct topo_err err;
		int r = topo_load(path, &t, &err);

		if (!ok(r == -1 && !t, "%s is rejected", names[i])) {
			topo_free(t);
			free(names[i]);
			continue;
		}
		got = fmt_all(&err);
		is_str(got, want, "%s: every error as in its .err", names[i]);
		free(names[i]);
	}
	free(names);
}

static void test_valid(void)
{
	char **names;
	int n = list_confs("tests/topo/valid", &names);

	ok(n >= 4, "valid topologies present (%d)", n);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("tests/topo/valid/%s", names[i]);
		struct topo *t = NULL;
		struct topo_err err;
		int r = topo_load(path, &t, &err);

		if (!ok(r == 0 && t, "%s loads", names[i]))
			printf("#   %s:%d: %s\n", err.file, err.line, err.msg);
		topo_free(t);
		free(names[i]);
	}
	free(names);
}

/* The examples may only fail because the appliance image is not built yet. */
static void test_examples(void)
{
	char **names;
	int n = list_confs("topo", &names);

	ok(n >= 4, "example topologies present (%d)", n);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("topo/%s", names[i]);
		struct topo *t = NULL;
		struct topo_err err;
		int r = topo_load(path, &t, &err);

		ok(r == 0 || strstr(err.msg, "image '../images/image.bin' not found"),
		   "%s loads (or lacks only the appliance image)", names[i]);
		if (r)
			printf("#   %s:%d: %s\n", err.file, err.line, err.msg);
		topo_free(t);
		free(names[i]);
	}
	free(names);
}

static struct topo *load_str(const char *text, const char *path, struct topo_err *err)
{
	struct topo *t = NULL;

	if (topo_load_string(text, path, &t, err) < 0)
		printf("#   load failed: %s:%d: %s\n", err->file, err->line, err->msg);
	return t;
}

static void test_defaults(const char *top)
{
	struct topo_err err;
	_cleanup_free_ char *img = xasprintf("%s/tests/topo/fake.img", top);
	struct topo *t = load_str("[lan net]\n"
				  "subnet = 10.0.0.0/24\n"
				  "dhcp = 10.0.0.100-10.0.0.200\n"
				  "[node vacm1]\n"
				  "image = ../fake.img\n"
				  "nic = net\n"
				  "nic = net 10.0.0.7\n"
				  "[node bare]\n"
				  "image = ../fake.img\n",
				  "tests/topo/valid/my-lab.conf", &err);
	struct node *nd;

	if (!ok(t != NULL, "defaults: loads"))
		return;
	is_str(t->name, "my-lab", "lab name defaults to the file name without .conf");
	is_str(t->domain, "my-lab", "domain defaults to the lab name");
	is_str(t->lans[0].name, "net", "lan name");
	is_int(ntohl(t->lans[0].addr.s_addr), 0x0a0000fe, "lan address defaults to 10.0.0.254");
	ok(t->lans[0].uplink == NULL, "no uplink by default");
	nd = topo_find_node(t, "vacm1");
	if (ok(nd != NULL, "topo_find_node")) {
		is_str(nd->image, img, "relative image resolved against the file's directory");
		is_int(nd->memory_mb, 256, "memory defaults to 256");
		is_int(nd->cpus, 1, "cpus defaults to 1");
		is_str(nd->nic_model, "virtio-net-pci", "nic_model default");
		is_int(nd->n_serial, 1, "one serial port by default");
		ok(nd->serial[0].kind == SERIAL_CONSOLE, "ttyS0 is the console by default");
		ok(nd->ready.conds == (READY_DHCP | READY_CONSOLE) && nd->ready.regex &&
			   !strcmp(nd->ready.regex, "login:"),
		   "ready defaults to dhcp + console \"login:\" with a NIC and a console");
		is_int(nd->ready.timeout_s, 120, "timeout defaults to 120");
		is_int(nd->n_nics, 2, "two NICs");
		is_str(nd->nics[0].ifname, "vacm1-0", "ifname of NIC 0");
		is_str(nd->nics[1].ifname, "vacm1-1", "ifname of NIC 1");
		is_str(nd->nics[1].model, "virtio-net-pci", "NIC model from the node");
		ok(nd->nics[0].lan == &t->lans[0], "NIC resolved to its LAN");
		ok(nd->nics[0].addr.s_addr == 0, "NIC without address is dynamic");
		is_int(ntohl(nd->nics[1].addr.s_addr), 0x0a000007, "fixed address");
		ok(!nd->nics[0].impair.set, "no impairment by default");
	}
	nd = topo_find_node(t, "bare");
	if (ok(nd != NULL, "second node")) {
		ok(nd->ready.conds == READY_CONSOLE && nd->ready.regex &&
			   !strcmp(nd->ready.regex, "login:"),
		   "ready defaults to console \"login:\" without a NIC");
	}
	ok(topo_find_lan(t, "net") && !topo_find_lan(t, "vacm1") && !topo_find_host(t, "net"),
	   "topo_find_* look in their own kind only");
	topo_free(t);

	{
		static const struct {
			const char *ready;
			unsigned conds;
			const char *regex;
			int port;
		} rc[] = {
			{"dhcp console \"login:\"", READY_DHCP | READY_CONSOLE, "login:", 0},
			{"tcp 22 console login:", READY_TCP | READY_CONSOLE, "login:", 22},
			/* unquoted, the regex runs to the end of the line, as before */
			{"console login: dhcp", READY_CONSOLE, "login: dhcp", 0},
			{"tcp 22 dhcp", READY_DHCP | READY_TCP, NULL, 22},
			{"console \"a b\" tcp 80", READY_CONSOLE | READY_TCP, "a b", 80},
			{"dhcp", READY_DHCP, NULL, 0},
		};
		for (size_t i = 0; i < ARRAY_SIZE(rc); i++) {
			char *txt = NULL;
			struct topo *rt;

			if (asprintf(&txt,
				     "[lan l]\nsubnet = 10.0.0.0/24\ndhcp = 10.0.0.100-10.0.0.110\n"
				     "[node a]\nimage = /bin/sh\n"
				     "nic = l\nready = %s\n",
				     rc[i].ready) < 0)
				abort();
			rt = load_str(txt, "r.conf", &err);
			if (ok(rt != NULL, "ready = %s parses", rc[i].ready)) {
				const struct ready *r = &rt->nodes[0].ready;

				ok(r->conds == rc[i].conds &&
					   (!rc[i].regex ||
					    (r->regex && !strcmp(r->regex, rc[i].regex))) &&
					   r->port == rc[i].port,
				   "ready = %s: every condition, in any order", rc[i].ready);
				topo_free(rt);
			}
			free(txt);
		}
	}

	t = load_str("[node a]\nimage = /bin/sh\n", "x.conf", &err);
	if (ok(t != NULL, "absolute image path"))
		is_str(t->nodes[0].image, "/bin/sh", "absolute image path kept");
	topo_free(t);
}

static void test_subnet6(void)
{
	struct topo_err err;
	struct topo *t = load_str("[lan a]\nsubnet = 10.0.0.0/24\ndhcp = 10.0.0.100-10.0.0.199\n"
				  "subnet6 = fd00:a:b:c::/64\n"
				  "[lan b]\nsubnet = 10.1.0.0/24\n"
				  "[node n]\nimage = ../fake.img\n"
				  "nic = a 10.0.0.5 fd00:a:b:c::5 model=e1000\n"
				  "nic = a fd00:a:b:c::6\nnic = b 10.1.0.5\n",
				  "tests/topo/valid/v6.conf", &err);
	char a[INET6_ADDRSTRLEN];

	if (!ok(t != NULL, "subnet6: loads"))
		return;
	ok(t->lans[0].has6 && !t->lans[1].has6, "subnet6: IPv6 on its LAN only");
	is_str(inet_ntop(AF_INET6, &t->lans[0].addr6, a, sizeof(a)), "fd00:a:b:c::254",
	       "subnet6: the bridge's address is PREFIX::254");
	is_str(inet_ntop(AF_INET6, &t->nodes[0].nics[0].addr6, a, sizeof(a)), "fd00:a:b:c::5",
	       "nic = LAN ADDR ADDR6 model=: the IPv6 address");
	is_str(t->nodes[0].nics[0].model, "e1000", "nic = LAN ADDR ADDR6 model=: the model");
	ok(!t->nodes[0].nics[1].addr.s_addr && !topo_addr6_unset(&t->nodes[0].nics[1].addr6),
	   "nic = LAN ADDR6: dynamic IPv4, fixed IPv6");
	ok(topo_addr6_unset(&t->nodes[0].nics[2].addr6), "a NIC without ADDR6 has none");
	topo_free(t);
}

/* A cable fills in its far end: the peer's default console, or a port
 * declaring the same cable back (one cable, owned by the first). */
static void test_cables(void)
{
	struct topo_err err;
	struct topo *t = load_str("[node a]\nimage = ../fake.img\nserial = console cable:b@9600\n"
				  "[node b]\nimage = ../fake.img\n"
				  "[node c]\nimage = ../fake.img\nserial = console cable:d:ttyS1\n"
				  "[node d]\nimage = ../fake.img\nserial = console cable:c:ttyS1\n",
				  "tests/topo/valid/cable.conf", &err);
	const struct serial_port *a1, *b0, *c1, *d1;

	if (!ok(t != NULL, "cables: loads"))
		return;
	a1 = &t->nodes[0].serial[1], b0 = &t->nodes[1].serial[0];
	c1 = &t->nodes[2].serial[1], d1 = &t->nodes[3].serial[1];
	ok(a1->kind == SERIAL_CABLE && !strcmp(a1->peer, "b") && a1->peer_port == 0 &&
		   a1->baud == 9600 && !a1->cable_far,
	   "cable:b@9600: the declaring end, paced");
	ok(b0->kind == SERIAL_CABLE && !strcmp(b0->peer, "a") && b0->peer_port == 1 &&
		   b0->baud == 9600 && b0->cable_far,
	   "the peer's default console becomes the far end");
	ok(!c1->cable_far && d1->cable_far && !strcmp(d1->peer, "c") && d1->peer_port == 1,
	   "a cable declared on both ends is one cable");
	ok(t->nodes[1].ready.conds & READY_CONSOLE,
	   "a node whose ttyS0 is a cable end is ready on its login prompt");
	topo_free(t);
}

static void test_mac(void)
{
	uint8_t a[6], b[6], c[6], d[6];
	char s[18];

	topo_derive_mac("two-node", "vacm1", 0, a);
	topo_derive_mac("two-node", "vacm1", 0, b);
	topo_derive_mac("two-node", "vacm1", 1, c);
	topo_derive_mac("other", "vacm1", 0, d);
	ok(!memcmp(a, b, 6), "MAC is deterministic");
	ok(a[0] == 0x52 && a[1] == 0x54 && a[2] == 0x00, "MAC prefix 52:54:00");
	ok(memcmp(a, c, 6) != 0, "MAC differs by NIC index");
	ok(memcmp(a, d, 6) != 0, "MAC differs by lab");
	/* Pinned: a changed hash would change every lab's leases and MACs. */
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
	is_str(s, "52:54:00:db:a5:91", "MAC of two-node/vacm1/0 is stable across releases");
}

/* impair_parse() with @e cleared first (the first failure wins). */
static int ip(const char *spec, struct impair *im, struct vl_err *e)
{
	vl_clear(e);
	return impair_parse(spec, im, e);
}

static void test_impair(void)
{
	struct impair im;
	struct vl_err e = {0};

	ok(ip("delay 50ms jitter 5ms loss 1% rate 10mbit", &im, &e) == 0,
	   "full impair spec parses");
	ok(im.set, "impair set");
	is_int(im.delay_us, 50000, "delay 50ms");
	is_int(im.jitter_us, 5000, "jitter 5ms");
	ok(im.loss_pct > 0.999 && im.loss_pct < 1.001, "loss 1%%");
	is_int(im.rate_bps, 10000000, "rate 10mbit");
	ok(ip("rate 1.5gbit delay 1.5s", &im, &e) == 0 && im.rate_bps == 1500000000ULL &&
		   im.delay_us == 1500000,
	   "decimals and any order");
	ok(ip("loss 0.25%", &im, &e) == 0 && im.loss_pct == 0.25 && im.delay_us == 0, "loss alone");
	ok(ip("delay 250us rate 64kbit", &im, &e) == 0 && im.delay_us == 250 &&
		   im.rate_bps == 64000,
	   "us and kbit units");
	ok(ip("", &im, &e) < 0 && strstr(e.msg, "empty") && e.code == EXIT_CONFIG,
	   "empty rejected, a usage error");
	ok(ip("delay", &im, &e) < 0 && strstr(e.msg, "needs a value"), "missing value rejected");
	ok(ip("delay 3601s", &im, &e) < 0, "delay above 1 h rejected");
	ok(ip("loss 100.5%", &im, &e) < 0, "loss above 100%% rejected");
	ok(ip("rate 101gbit", &im, &e) < 0, "rate above 100gbit rejected");
	ok(ip("delay -5ms", &im, &e) < 0, "negative time rejected");
	ok(ip("delay 1e3ms", &im, &e) < 0, "exponent rejected");
	ok(ip("delay 5ms loss", &im, &e) < 0, "dangling item rejected");

	/* Directions: "to" by default, one leading word otherwise. */
	ok(ip("rate 1mbit", &im, &e) == 0 && im.dir == IMPAIR_TO, "no direction word: to the node");
	ok(ip("from rate 8mbit", &im, &e) == 0 && im.dir == IMPAIR_FROM && im.rate_bps == 8000000,
	   "from: traffic the node sends");
	ok(ip("both delay 10ms", &im, &e) == 0 && im.dir == IMPAIR_BOTH, "both directions");
	ok(ip("to loss 2%", &im, &e) == 0 && im.dir == IMPAIR_TO, "to, spelled out");
	ok(ip("from", &im, &e) < 0 && strstr(e.msg, "empty"), "a direction alone is empty");
	ok(ip("delay 5ms from", &im, &e) < 0 && strstr(e.msg, "comes first"),
	   "a direction after an item is refused, saying where it goes (%s)", e.msg);
	ok(ip("duplicate 1% corrupt 0.5% delay 20ms reorder 25%", &im, &e) == 0 &&
		   im.duplicate_pct == 1 && im.corrupt_pct == 0.5 && im.reorder_pct == 25,
	   "duplicate, corrupt and reorder");
	ok(ip("reorder 10%", &im, &e) < 0 && strstr(e.msg, "needs a delay"),
	   "reorder without a delay is refused (%s)", e.msg);
	ok(ip("corrupt 101%", &im, &e) < 0 && strstr(e.msg, "corrupt"),
	   "corrupt above 100%% is refused, naming the item (%s)", e.msg);
	ok(ip("loss 1% loss 2%", &im, &e) < 0 && strstr(e.msg, "twice"),
	   "an item given twice is refused");
	{
		char buf[160];

		ip("from delay 1500us loss 1% duplicate 2% rate 1500kbit", &im, &e);
		impair_format(&im, buf, sizeof(buf));
		is_str(buf, "from delay 1500us loss 1% duplicate 2% rate 1500kbit",
		       "impair_format writes the spec back");
		ip("both rate 2mbit", &im, &e);
		impair_format(&im, buf, sizeof(buf));
		is_str(buf, "both rate 2mbit", "impair_format: both, rate alone");
	}
}

static void expect_err(const char *text, const char *want, const char *what)
{
	struct topo *t = NULL;
	struct topo_err err;
	_cleanup_free_ char *got = NULL;

	if (!ok(topo_load_string(text, "t.conf", &t, &err) < 0, "%s: rejected", what)) {
		topo_free(t);
		return;
	}
	got = fmt_err(&err);
	is_str(got, want, "%s: message", what);
}

static void test_lines(void)
{
	struct topo_err err;
	struct topo *t;

	expect_err("[lan a]\nsubnet = 10.0.0.0/24\nbroken line\n[lan b]\nfoo = 1\n",
		   "t.conf:3: syntax error", "syntax error before a key error");
	expect_err("[lan a]\nfoo = 1\nbroken line\n", "t.conf:2: unknown key 'foo' in [lan a]",
		   "key error before a syntax error");
	expect_err("; c\n\n[lan a]\n\n\nsubnet = 10.0.0.0/33\n",
		   "t.conf:6: bad subnet '10.0.0.0/33': expected a CIDR such as 192.168.0.0/24",
		   "line counting over blank lines and comments");
	expect_err("[lab]\nname = x\ndhcp_ping = maybe\n",
		   "t.conf:3: bad dhcp_ping 'maybe': expected yes or no", "dhcp_ping: yes or no");
	expect_err("[lab]\nname = x\nboot_yield = 1\n",
		   "t.conf:3: bad boot_yield '1': expected yes or no", "boot_yield: yes or no");
	expect_err("[lan a]\r\nsubnet = 10.0.0.0/24\r\n[lan a]\r\n",
		   "t.conf:3: duplicate name 'a': already used by [lan a] at line 1", "CRLF lines");
	expect_err("[lan a]\n[lan b]\n", "t.conf:1: missing required key 'subnet' in [lan a]",
		   "empty section is still seen");
	expect_err("", "t.conf: empty lab: no [lan], [node] or [host] section", "empty text");

	/* glibc's regcomp() would need gigabytes for nested repetitions. */
	expect_err("[node a]\nimage = /bin/sh\nready = console ((a{99}){99}){99}\n",
		   "t.conf:3: ready regex '((a{99}){99}){99}' is too complex: stacked or deeply "
		   "nested repetitions such as a?? or ((a{99}){99}){99}",
		   "nested intervals refused before regcomp");
	t = load_str("[node a]\nimage = /bin/sh\nready = console \"[0-9]{1,3}(\\.[0-9]{1,3}){3} "
		     "(a|b)+\"\n",
		     "t.conf", &err);
	ok(t != NULL, "an ordinary regex with intervals is accepted");
	topo_free(t);

	/* An indented key is a key, not a continuation of the previous value. */
	t = load_str("[node a]\nimage = /bin/sh\n   memory = 512\n", "t.conf", &err);
	if (ok(t != NULL, "indented key loads"))
		is_int(t->nodes[0].memory_mb, 512, "indented key is its own key");
	topo_free(t);
	t = load_str("[node a]\nimage = /bin/sh ; the shell\nready = console \"a\\\"b\"\n",
		     "t.conf", &err);
	if (ok(t != NULL, "inline comment and escaped quote load")) {
		is_str(t->nodes[0].image, "/bin/sh", "inline comment stripped");
		is_str(t->nodes[0].ready.regex, "a\"b", "\\\" in a quoted regex is a quote");
	}
	topo_free(t);
}

static void test_files(void)
{
	struct topo *t = NULL;
	struct topo_err err;
	_cleanup_free_ char *got = NULL;
	char tmpl[] = "/tmp/test_topo.XXXXXX";
	int fd;

	ok(topo_load("tests/topo/no-such.conf", &t, &err) < 0 && !t, "missing file rejected");
	got = fmt_err(&err);
	is_str(got, "tests/topo/no-such.conf: cannot open: No such file or directory",
	       "missing file message");
	free(got);
	ok(topo_load("tests/topo", &t, &err) < 0, "directory rejected");
	got = fmt_err(&err);
	is_str(got, "tests/topo: cannot open: Is a directory", "directory message");
	free(got);
	got = NULL;

	fd = mkstemp(tmpl);
	if (ok(fd >= 0, "temp file")) {
		ok(write(fd, "[lan a]\nsub\0net = 1\n", 20) == 20, "write NUL file");
		close(fd);
		ok(topo_load(tmpl, &t, &err) < 0 && err.line == 2 && strstr(err.msg, "NUL"),
		   "NUL byte rejected with its line");
		unlink(tmpl);
	}
}

/* Every error of a file, up to TOPO_ERRORS_MAX, in line order. */
static void test_all_errors(void)
{
	struct topo_err err;
	struct topo *t = NULL;
	_cleanup_free_ char *text = xstrdup("[lan a]\nsubnet = 10.0.0.0/24\n");
	_cleanup_free_ char *img = NULL;
	int r;

	/* Lines in any order of discovery come out sorted. */
	ok(topo_load_string("[lan a]\nfoo = 1\n[nod b]\nbroken\n[lan a]\n", "t.conf", &t, &err) < 0,
	   "four bad lines rejected");
	is_int(err.n, 4, "four errors kept");
	is_int(err.list[0].line, 2, "first: line 2");
	is_int(err.list[1].line, 3, "second: line 3");
	is_int(err.list[2].line, 4, "third: line 4");
	is_int(err.list[3].line, 5, "fourth: line 5");
	ok(strstr(err.list[1].msg, "did you mean [node b]?") != NULL,
	   "a misspelt section type suggests the right one (%s)", err.list[1].msg);
	is_int(err.line, 2, "err.line repeats the first error");
	ok(!err.env, "config errors are not the machine's fault");

	/* The limit: more errors are counted, not kept. */
	for (int i = 0; i < TOPO_ERRORS_MAX + 5; i++) {
		char *prev = text;

		text = xasprintf("%smemroy%d = 1\n", prev, i);
		free(prev);
	}
	ok(topo_load_string(text, "t.conf", &t, &err) < 0, "%d bad keys rejected",
	   TOPO_ERRORS_MAX + 5);
	is_int(err.n, TOPO_ERRORS_MAX, "at most TOPO_ERRORS_MAX errors kept");
	is_int(err.n_dropped, 5, "the rest counted");
	is_int(err.list[TOPO_ERRORS_MAX - 1].line, TOPO_ERRORS_MAX + 2, "the first ones are kept");

	/* The whole-file checks report each node, and only when the lines are
	 * clean: a bad line would make them report consequences. */
	ok(topo_load_string(
		   "[node a]\nimage = /no/such/a\n[node b]\n[node c]\nimage = /no/such/c\n",
		   "t.conf", &t, &err) < 0,
	   "three nodes without a usable image rejected");
	is_int(err.n, 3, "one error per node");
	ok(err.n == 3 && strstr(err.list[0].msg, "not found") &&
		   strstr(err.list[1].msg, "missing") && strstr(err.list[2].msg, "not found"),
	   "each node's own error");
	ok(!err.env, "a missing key among missing images: the file's fault (exit 1)");
	ok(topo_load_string("[node a]\nimage = /no/such/a\n", "t.conf", &t, &err) < 0 && err.env,
	   "only missing images: the machine's fault (exit 2)");
	r = topo_load_string("[lan a]\nsubnet = 10.0.0.0/24\n[node a2]\nimage = /no/such\nnic = "
			     "nolan\ncpus = 0\n",
			     "t.conf", &t, &err);
	ok(r < 0 && err.n == 1 && err.line == 6,
	   "a bad line holds back the whole-file checks (%d: %s)", err.line, err.msg);
	img = xasprintf("[lan a]\nsubnet = 10.0.0.0/24\n[lan b]\nsubnet = 10.0.0.0/16\n"
			"[lan c]\nsubnet = 10.1.0.0/24\naddress = 10.2.0.1\n");
	r = topo_load_string(img, "t.conf", &t, &err);
	ok(r < 0 && err.n == 2 && err.list[0].line == 4 && err.list[1].line == 7,
	   "every lan is checked (%d errors)", err.n);
}

static void test_suggest(void)
{
	static const char *const keys[] = {"image", "memory", "cpus", "nic", "nic_model"};

	is_str(topo_suggest("memroy", keys, 5), "memory", "swapped letters: memroy -> memory");
	is_str(topo_suggest("memry", keys, 5), "memory", "a letter missing");
	is_str(topo_suggest("Memory", keys, 5), "memory", "case ignored");
	is_str(topo_suggest("cpu", keys, 5), "cpus", "short word, one edit");
	is_str(topo_suggest("nic-model", keys, 5), "nic_model", "'-' for '_'");
	ok(topo_suggest("mem", keys, 5) == NULL, "three edits away: no suggestion");
	ok(topo_suggest("xyz", keys, 5) == NULL, "nothing close: no suggestion");
	ok(topo_suggest("ni", keys, 5) != NULL, "nic from ni");
	ok(topo_suggest("name", keys, 5) == NULL, "name is not image");
}

/* The one lab-name rule (topology, up --name, run, reset, snapshot). */
static void test_lab_name(void)
{
	ok(lab_name_check("two-node") == NULL, "two-node is a lab name");
	ok(lab_name_check("a") == NULL, "a one-letter name");
	ok(lab_name_check("abcdefghijklmnopqrstuvwxyz012345") == NULL, "32 characters");
	is_str(lab_name_check("foo-"), "must not end with '-'", "foo- refused: trailing '-'");
	ok(lab_name_check("") != NULL, "empty refused");
	ok(lab_name_check("abcdefghijklmnopqrstuvwxyz0123456") != NULL, "33 characters refused");
	ok(lab_name_check("1lab") != NULL, "digit first refused");
	ok(lab_name_check("Lab") != NULL, "upper case refused");
	ok(lab_name_check("a/b") != NULL, "slash refused");
	ok(lab_name_check("..") != NULL, "dots refused");
}

/* The CLI: exit status and messages, when the Makefile gives us $VACMLAB. */
static void test_cli(void)
{
	const char *bin = getenv("VACMLAB");
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	int st;

	if (!bin || access(bin, X_OK) < 0) {
		printf("ok %d # SKIP VACMLAB not set: no CLI checks\n", ++tap_n);
		return;
	}
	cmd = xasprintf(
		"'%s' check tests/topo/invalid/unknown-key.conf >/dev/null 2>/tmp/test_topo.%d",
		bin, (int)getpid());
	st = system(cmd);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 1, "check on an invalid file exits 1");
	free(cmd);
	cmd = xasprintf("/tmp/test_topo.%d", (int)getpid());
	out = read_file(cmd, NULL);
	unlink(cmd);
	is_str(out,
	       "tests/topo/invalid/unknown-key.conf:9: unknown key 'memroy' in [node vacm1]; did "
	       "you "
	       "mean 'memory'?\n",
	       "check prints FILE:LINE: message");
	free(out);
	free(cmd);
	cmd = xasprintf("'%s' check tests/topo/valid/host-only.conf >/tmp/test_topo.%d 2>&1", bin,
			(int)getpid());
	st = system(cmd);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "check on a valid file exits 0");
	free(cmd);
	cmd = xasprintf("/tmp/test_topo.%d", (int)getpid());
	out = read_file(cmd, NULL);
	unlink(cmd);
	ok(out && strstr(out, "syslog-1 on lan net") && strstr(out, "syslog.example.test") &&
		   strstr(out, "impair rate 1500kbit"),
	   "check prints ifnames, DNS names and impairments");
	free(out);
	out = NULL;
}

int main(int argc, char **argv)
{
	const char *src = getenv("SRCDIR");
	char top[PATH_MAX];
	struct stat st;

	if (!src && stat("tests/topo/invalid", &st) < 0 && strrchr(argv[0], '/')) {
		/* build/tests/test_topo -> the tree two levels above the build dir */
		static char buf[PATH_MAX];

		snprintf(buf, sizeof(buf), "%.*s/../..", (int)(strrchr(argv[0], '/') - argv[0]),
			 argv[0]);
		src = buf;
	}
	if (src && chdir(src) < 0) {
		printf("Bail out! cannot chdir to %s: %s\n", src, strerror(errno));
		return 1;
	}
	if (!getcwd(top, sizeof(top))) {
		printf("Bail out! getcwd: %s\n", strerror(errno));
		return 1;
	}
	(void)argc;
	test_invalid(top);
	test_forward_udp();
	test_valid();
	test_examples();
	test_defaults(top);
	test_mac();
	test_cables();
	test_subnet6();
	test_impair();
	test_lines();
	test_files();
	test_all_errors();
	test_suggest();
	test_lab_name();
	test_cli();
	test_machines();
	return done_testing();
}
