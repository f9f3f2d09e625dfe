// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dnsmasq.c - the lab's dnsmasq configuration: one dnsmasq serves every LAN.
 *
 * One process per lab, not per LAN: starting 200 dnsmasqs cost 1.3 s of a
 * 200-LAN lab's `up` (bench/netbuild.sh), and each read every LAN's names
 * anyway. It listens on each LAN's bridge only (interface= per bridge,
 * bind-interfaces); each LAN's DHCP range is chosen by the bridge a request
 * arrives on (dnsmasq matches a range to the interface's subnet), and its
 * router and DNS options are tagged with the LAN's name, so a LAN's
 * clients only ever see their own bridge's address.
 *
 * In a user namespace dnsmasq must run with --user=root --group= (measured:
 * otherwise it exits 5 on setgroups or on the unmapped uid 65534), with its
 * pid, lease and log files at paths the user owns, and in the foreground
 * (-k) so the supervisor reaps it. Every fixed address gets a dhcp-host line
 * (MAC -> address, name) and a host-record, so lab names resolve from the
 * start, before any lease exists.
 *
 * A lab spread over machines (docs/multi-machine.md): this machine's
 * dnsmasq serves DHCP only on the LANs whose home is here (a LAN of another
 * home has no interface= and no range: its home's dnsmasq answers over the
 * VXLAN), but carries the host-records of every node and host of the lab,
 * here or away, and also listens on the lab's loopback, so `vacmlab exec`
 * resolves every name on every machine (resolv.conf points at 127.0.0.1).
 * A LAN with subnet6 (docs/ipv6.md) also gets a DHCPv6 pool PREFIX::100 to
 * PREFIX::1ff in ra-names mode: router advertisements (enable-ra) carry the
 * prefix with both the M flag (ask DHCPv6) and the A flag (do SLAAC), so a
 * guest of either kind gets an address; a SLAAC guest's AAAA name comes
 * from its IPv4 lease's name and MAC (dnsmasq pings the EUI-64 address it
 * derives and names it when it answers), a DHCPv6 guest's from its lease.
 * A fixed IPv6 address is a [ADDR6] in the NIC's dhcp-host line and a
 * second address of its host-record.
 * The lease file is read back (lease_lookup) for `status` and the
 * supervisor's readiness and address lookups: dnsmasq writes it, but from what DHCP clients (the appliances under
 * test) send, so lease_parse_line() takes nothing on trust and is fuzzed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/dnsmasq.h"
#include "lab/lib/landlock.h"
#include "lab/lib/qemu.h"
#include "lab/lib/util.h"

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void appendf(char **s, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void appendf(char **s, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *add;
	size_t n;

	va_start(ap, fmt);
	if (vasprintf(&add, fmt, ap) < 0)
		abort();
	va_end(ap);
	n = strlen(add);
	*s = xrealloc(*s, *len + n + 1);
	memcpy(*s + *len, add, n + 1);
	*len += n;
	free(add);
}

/* ",[ADDR6]" for a dhcp-host line, ",ADDR6" for a host-record, or "". */
static const char *v6_suffix(const struct nic *nic, bool brackets, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (topo_addr6_unset(&nic->addr6))
		return "";
	inet_ntop(AF_INET6, &nic->addr6, a, sizeof(a));
	snprintf(buf, len, brackets ? ",[%s]" : ",%s", a);
	return buf;
}

static void nic_lines(char **s, size_t *len, const char *owner, const struct nic *nics, int n,
		      const char *domain, const struct dhcp_set *dhcp)
{
	char tag[32] = "";

	/* A node's own DHCP options reach its NICs through its tag. */
	if (dhcp && dhcp->n_opts)
		snprintf(tag, sizeof(tag), ",set:node_%s", owner);
	char a[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN + 4];
	bool first_named = false;

	for (int i = 0; i < n; i++) {
		const struct nic *nic = &nics[i];
		const uint8_t *m = nic->mac;

		if (!nic->addr.s_addr)
			continue;
		/* The plain name resolves to the owner's first fixed address;
		 * NAME-ethI to each of its NICs. */
		if (!first_named) {
			appendf(s, len, "host-record=%s,%s.%s,%s%s\n", owner, owner, domain,
				ip(nic->addr, a), v6_suffix(nic, false, v6, sizeof(v6)));
			first_named = true;
		}
		appendf(s, len, "host-record=%s-eth%d,%s-eth%d.%s,%s%s\n", owner, i, owner, i,
			domain, ip(nic->addr, a), v6_suffix(nic, false, v6, sizeof(v6)));
		appendf(s, len, "dhcp-host=%02x:%02x:%02x:%02x:%02x:%02x%s,%s%s,%s\n", m[0], m[1],
			m[2], m[3], m[4], m[5], tag, ip(nic->addr, a),
			v6_suffix(nic, true, v6, sizeof(v6)), owner);
	}
	/* Dynamic NICs still get their name on the lease (and a fixed IPv6
	 * address, if they have one, named by their DHCPv6 lease). */
	for (int i = 0; i < n; i++) {
		const uint8_t *m = nics[i].mac;

		if (nics[i].addr.s_addr)
			continue;
		appendf(s, len, "dhcp-host=%02x:%02x:%02x:%02x:%02x:%02x%s%s,%s\n", m[0], m[1],
			m[2], m[3], m[4], m[5], tag, v6_suffix(&nics[i], true, v6, sizeof(v6)),
			owner);
	}
}

/*
 * The options of a [lan] or [node] (`dhcp_option`, `ztp`): each tagged with
 * the section's tag (the LAN's from its dhcp-range, a node's from its
 * dhcp-host lines) and, with `vendor_class`, with a tag dnsmasq sets only
 * when a client's option 60 holds that string (dnsmasq matches it as a
 * substring). A node's tag comes from dhcp-host, not a range, so dnsmasq
 * ranks its options above the LAN's for the same code.
 */
static void opt_lines(char **s, size_t *len, const char *tag, const struct dhcp_set *d)
{
	char vc[48] = "", val[4 * DHCPOPT_LEN_MAX];

	if (!d->n_opts)
		return;
	if (d->vendor_class) {
		snprintf(vc, sizeof(vc), "tag:vc_%s,", tag);
		appendf(s, len, "dhcp-vendorclass=set:vc_%s,%s\n", tag, d->vendor_class);
	}
	for (int i = 0; i < d->n_opts; i++) {
		dhcpopt_dnsmasq_value(&d->opts[i], val, sizeof(val));
		appendf(s, len, "dhcp-option=tag:%s,%s%d,%s\n", tag, vc, d->opts[i].code, val);
	}
}

/* TFTP (`tftp = DIR` in [lan]): dnsmasq's own server, on the bridges of
 * the LANs that have it, each rooted at its own directory. dnsmasq's TFTP
 * is read-only (it has no write request) and refuses names that leave
 * the root. */
static void tftp_lines(char **s, size_t *len, const struct topo *t)
{
	bool any = false;

	for (int i = 0; i < t->n_lans; i++) {
		const struct lan *l = &t->lans[i];

		if (!l->tftp_dir || !topo_lan_home_here(t, l))
			continue;
		appendf(s, len, "%s%s", any ? "," : "enable-tftp=", l->name);
		any = true;
	}
	if (!any)
		return;
	appendf(s, len, "\n");
	for (int i = 0; i < t->n_lans; i++)
		if (t->lans[i].tftp_dir && topo_lan_home_here(t, &t->lans[i]))
			appendf(s, len, "tftp-root=%s,%s\n", t->lans[i].tftp_dir, t->lans[i].name);
}

char *dnsmasq_config(const struct topo *t, const struct dnsmasq_paths *p)
{
	char *s = NULL;
	size_t len = 0;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];

	appendf(&s, &len, "# generated by vacmlab for lab %s\n", t->name);
	for (int i = 0; i < t->n_lans; i++)
		if (topo_lan_home_here(t, &t->lans[i]))
			appendf(&s, &len, "interface=%s\n", t->lans[i].name);
	/* Spread over machines: lo too, the names of every node for `exec`. */
	appendf(&s, &len, "bind-interfaces\n%s",
		t->here ? "interface=lo\n" : "except-interface=lo\n");
	appendf(&s, &len,
		"no-resolv\nno-hosts\nno-poll\nlocal=/%s/\ndomain=%s\n"
		"dhcp-authoritative\nlog-dhcp\n"
		"dhcp-leasefile=%s\npid-file=%s\nlog-facility=%s\n",
		t->domain, t->domain, p->leases, p->pidfile, p->log);
	/* dnsmasq pings an address before it offers it and, single-threaded,
	 * answers nothing else for those 3 s: every DHCP boot waited 3 s, and
	 * the nodes of a lab waited for each other's checks in turn. A lab
	 * LAN's addresses are all given out here or fixed in the topology;
	 * dhcp_ping = yes keeps the check for a LAN bridged to a desk network
	 * with a pool (docs/attach.md). */
	if (!t->dhcp_ping)
		appendf(&s, &len, "no-ping\n");
	for (int i = 0; i < t->n_lans; i++)
		if (t->lans[i].has6 && topo_lan_home_here(t, &t->lans[i])) {
			appendf(&s, &len, "enable-ra\n");
			break;
		}
	for (int i = 0; i < t->n_lans; i++) {
		const struct lan *lan = &t->lans[i];
		struct in_addr m = {htonl(lan->prefix ? ~0U << (32 - lan->prefix) : 0)};

		ip(m, mask);
		if (!topo_lan_home_here(t, lan)) {
			appendf(&s, &len, "# LAN %s: served by machine %s\n", lan->name,
				lan->home->name);
			appendf(&s, &len, "host-record=%s-gw,%s-gw.%s,%s\n", lan->name, lan->name,
				t->domain, ip(lan->addr, a));
			continue;
		}
		appendf(&s, &len, "# LAN %s\n", lan->name);
		if (lan->dhcp_lo.s_addr)
			appendf(&s, &len, "dhcp-range=set:%s,%s,%s,%s,12h\n", lan->name,
				ip(lan->dhcp_lo, a), ip(lan->dhcp_hi, b), mask);
		/* A static range so dhcp-host addresses are served without a pool. */
		appendf(&s, &len, "dhcp-range=set:%s,%s,static,%s,12h\n", lan->name,
			ip(lan->net, a), mask);
		appendf(&s, &len, "dhcp-option=tag:%s,option:router,%s\n", lan->name,
			ip(lan->addr, a));
		appendf(&s, &len, "dhcp-option=tag:%s,option:dns-server,%s\n", lan->name,
			ip(lan->addr, a));
		if (lan->has6) {
			struct in6_addr lo = topo_lan6_addr(lan, TOPO_LAN6_POOL_LO);
			struct in6_addr hi = topo_lan6_addr(lan, TOPO_LAN6_POOL_HI);
			char a6[INET6_ADDRSTRLEN], b6[INET6_ADDRSTRLEN];

			appendf(&s, &len, "dhcp-range=set:%s,%s,%s,ra-names,64,12h\n", lan->name,
				inet_ntop(AF_INET6, &lo, a6, sizeof(a6)),
				inet_ntop(AF_INET6, &hi, b6, sizeof(b6)));
			inet_ntop(AF_INET6, &lan->addr6, a6, sizeof(a6));
			appendf(&s, &len, "dhcp-option=tag:%s,option6:dns-server,[%s]\n", lan->name,
				a6);
			appendf(&s, &len, "host-record=%s-gw,%s-gw.%s,%s,%s\n", lan->name,
				lan->name, t->domain, ip(lan->addr, a), a6);
		} else {
			appendf(&s, &len, "host-record=%s-gw,%s-gw.%s,%s\n", lan->name, lan->name,
				t->domain, ip(lan->addr, a));
		}
		opt_lines(&s, &len, lan->name, &lan->dhcp);
	}
	tftp_lines(&s, &len, t);
	/* host.DOMAIN: the host behind the uplink (pasta maps its gateway
	 * address to the host's own loopback). A node or host named "host"
	 * keeps its name: topo_check.c has no such rule, so check here. */
	if (p->host_addr.s_addr && !topo_find_node(t, "host") && !topo_find_host(t, "host"))
		appendf(&s, &len, "host-record=host,host.%s,%s\n", t->domain, ip(p->host_addr, a));
	for (int i = 0; i < t->n_nodes; i++)
		nic_lines(&s, &len, t->nodes[i].name, t->nodes[i].nics, t->nodes[i].n_nics,
			  t->domain, &t->nodes[i].dhcp);
	for (int i = 0; i < t->n_hosts; i++)
		nic_lines(&s, &len, t->hosts[i].name, t->hosts[i].nics, t->hosts[i].n_nics,
			  t->domain, NULL);
	/* Away nodes and hosts: their names, and DHCP on LANs served here. */
	for (int i = 0; i < t->n_away_nodes; i++)
		nic_lines(&s, &len, t->away_nodes[i].name, t->away_nodes[i].nics,
			  t->away_nodes[i].n_nics, t->domain, &t->away_nodes[i].dhcp);
	for (int i = 0; i < t->n_away_hosts; i++)
		nic_lines(&s, &len, t->away_hosts[i].name, t->away_hosts[i].nics,
			  t->away_hosts[i].n_nics, t->domain, NULL);
	for (int i = 0; i < t->n_nodes; i++) {
		_cleanup_free_ char *tag = xasprintf("node_%s", t->nodes[i].name);

		opt_lines(&s, &len, tag, &t->nodes[i].dhcp);
	}
	for (int i = 0; i < t->n_away_nodes; i++) {
		_cleanup_free_ char *tag = xasprintf("node_%s", t->away_nodes[i].name);

		opt_lines(&s, &len, tag, &t->away_nodes[i].dhcp);
	}
	return s;
}

char **dnsmasq_argv(const char *dnsmasq_path, const struct dnsmasq_paths *p)
{
	char **v = xcalloc(8, sizeof(char *));

	v[0] = xstrdup(dnsmasq_path);
	v[1] = xstrdup("--keep-in-foreground");
	v[2] = xasprintf("--conf-file=%s", p->conf);
	v[3] = xstrdup("--user=root");
	v[4] = xstrdup("--group=");
	v[5] = xstrdup("--port=53");
	return v;
}

void dnsmasq_confine_rules(const struct topo *t, const struct dnsmasq_paths *p, struct ll_rules *r)
{
	_cleanup_free_ char *rundir = xstrdup(p->leases), *logdir = xstrdup(p->log);

	ll_rules_add_system(r);
	ll_rules_add(r, p->conf, LL_READ);
	/* The lease and pid files are replaced, the log re-made after a
	 * rotation (sv_logs.c): their directories, the lab's own. */
	*strrchr(rundir, '/') = '\0';
	*strrchr(logdir, '/') = '\0';
	ll_rules_add(r, rundir, LL_READ | LL_WRITE | LL_CREATE);
	ll_rules_add(r, logdir, LL_READ | LL_WRITE | LL_CREATE);
	/* Each LAN's TFTP root (`tftp = DIR`), read only: dnsmasq serves
	 * files from there and writes nothing. */
	for (int i = 0; i < t->n_lans; i++)
		if (t->lans[i].tftp_dir)
			ll_rules_add(r, t->lans[i].tftp_dir, LL_READ);
	/* DNS over TCP on port 53; no-resolv: it forwards nowhere else. */
	ll_rules_add_port(r, true, 53);
}

/* "52:54:00:12:34:56" exactly (either case). */
static bool parse_mac(const char *s, size_t n, uint8_t mac[6])
{
	if (n != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* The next space-separated field of *@p: its start and length (0 at end). */
static size_t field(const char **p, const char **start)
{
	const char *s = *p;
	size_t n;

	s += strspn(s, " \t");
	n = strcspn(s, " \t\r\n");
	*start = s;
	*p = s + n;
	return n;
}

/* EXPIRY (both lease kinds): decimal seconds, 0 for infinite leases. */
static bool field_expiry(const char *s, size_t n, long long *out)
{
	char num[24];

	if (!n || n >= sizeof(num) || strspn(s, "0123456789") < n)
		return false;
	memcpy(num, s, n);
	num[n] = 0;
	errno = 0;
	*out = strtoll(num, NULL, 10);
	return errno == 0;
}

/* An address of family @af (AF_INET or AF_INET6) into @dst. */
static bool field_addr(int af, const char *s, size_t n, void *dst)
{
	char addr[INET6_ADDRSTRLEN];

	if (!n || n >= sizeof(addr))
		return false;
	memcpy(addr, s, n);
	addr[n] = 0;
	return inet_pton(af, addr, dst) == 1;
}

/* HOSTNAME: "*" for none; dnsmasq writes at most a DNS label. */
static void field_hostname(const char *s, size_t n, char *buf, size_t len)
{
	size_t k = n < len ? n : len - 1;

	if (!n || (n == 1 && s[0] == '*'))
		return;
	memcpy(buf, s, k);
	buf[k] = 0;
}

int lease_parse_line(const char *line, struct lease *l)
{
	const char *p = line, *f[4];
	size_t n[4];

	memset(l, 0, sizeof(*l));
	for (int i = 0; i < 4; i++)
		n[i] = field(&p, &f[i]);
	if (!field_expiry(f[0], n[0], &l->expiry) || !parse_mac(f[1], n[1], l->mac) ||
	    !field_addr(AF_INET, f[2], n[2], &l->addr))
		return 0;
	field_hostname(f[3], n[3], l->hostname, sizeof(l->hostname));
	return 1;
}

/* The next whole line of a lease file into @line; false at the end. The
 * rest of a line longer than the buffer is not a line of its own (a long
 * client-id must not read as a lease): such a line is skipped whole. */
static bool next_line(FILE *f, char *line, int len)
{
	bool continued = false;

	while (fgets(line, len, f)) {
		bool whole = strchr(line, '\n') || feof(f);

		if (!continued && whole)
			return true;
		continued = !whole;
	}
	return false;
}

int lease_lookup_stream(FILE *f, const uint8_t mac[6], struct in_addr *addr, char *hostname,
			size_t hlen)
{
	char line[1024];
	int found = 0;

	while (next_line(f, line, sizeof(line))) {
		struct lease l;

		if (!lease_parse_line(line, &l) || memcmp(l.mac, mac, 6))
			continue;
		*addr = l.addr;
		if (hostname)
			snprintf(hostname, hlen, "%s", l.hostname);
		found = 1;
	}
	return found;
}

int lease_lookup(const char *leases_path, const uint8_t mac[6], struct in_addr *addr,
		 char *hostname, size_t hlen)
{
	FILE *f = fopen(leases_path, "re");
	int found;

	if (!f)
		return 0;
	found = lease_lookup_stream(f, mac, addr, hostname, hlen);
	fclose(f);
	return found;
}

/* "hh:hh:...": up to @max bytes into @out; the count, or -1. */
static int parse_hex_colons(const char *s, size_t n, uint8_t *out, int max)
{
	int k = 0;

	for (size_t i = 0; i < n; k++) {
		int hi, lo;

		if (k == max || i + 2 > n || (hi = hexval(s[i])) < 0 || (lo = hexval(s[i + 1])) < 0)
			return -1;
		out[k] = (uint8_t)(hi << 4 | lo);
		i += 2;
		if (i < n && s[i++] != ':')
			return -1;
		if (i == n && s[n - 1] == ':')
			return -1;
	}
	return k;
}

int lease6_parse_line(const char *line, struct lease6 *l)
{
	const char *p = line, *f[5];
	size_t n[5];
	uint8_t duid[130];
	const char *iaid;
	size_t iaid_n;
	int dn;

	memset(l, 0, sizeof(*l));
	for (int i = 0; i < 5; i++)
		n[i] = field(&p, &f[i]);
	if (!field_expiry(f[0], n[0], &l->expiry))
		return 0;
	/* IAID: decimal, "T" first for a temporary address. */
	iaid = f[1], iaid_n = n[1];
	if (iaid_n && *iaid == 'T')
		iaid++, iaid_n--;
	if (!iaid_n || iaid_n > 10 || strspn(iaid, "0123456789") != iaid_n)
		return 0;
	if (!field_addr(AF_INET6, f[2], n[2], &l->addr))
		return 0;
	field_hostname(f[3], n[3], l->hostname, sizeof(l->hostname));
	/* DUID-LLT (1) and DUID-LL (3) of hardware type 1 end in the MAC. */
	dn = parse_hex_colons(f[4], n[4], duid, (int)sizeof(duid));
	if ((dn == 10 && !memcmp(duid, "\0\3\0\1", 4)) ||
	    (dn == 14 && !memcmp(duid, "\0\1\0\1", 4))) {
		memcpy(l->mac, duid + dn - 6, 6);
		l->has_mac = true;
	}
	return 1;
}

int lease6_lookup_stream(FILE *f, const uint8_t mac[6], struct in6_addr *addr)
{
	char line[1024];
	int found = 0;

	while (next_line(f, line, sizeof(line))) {
		struct lease6 l;

		if (!lease6_parse_line(line, &l) || !l.has_mac || memcmp(l.mac, mac, 6))
			continue;
		*addr = l.addr;
		found = 1;
	}
	return found;
}

int lease6_lookup(const char *leases_path, const uint8_t mac[6], struct in6_addr *addr)
{
	FILE *f = fopen(leases_path, "re");
	int found;

	if (!f)
		return 0;
	found = lease6_lookup_stream(f, mac, addr);
	fclose(f);
	return found;
}
