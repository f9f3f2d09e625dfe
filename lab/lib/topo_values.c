// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo_values.c - the grammars of the structured values of [node] and
 * [host] keys: nic = LAN [ADDR] [ADDR6] [model=M], serial = KIND..., ready = ...,
 * forward = PROTO [ADDR:]HOSTPORT GUESTPORT [idle=S], impair = [ethN] SPEC, and
 * whole numbers in a range, and [lan] subnet = / subnet6 =; with the
 * lab-wide registries of fixed addresses and host-side listeners they are
 * checked against. The key tables that call them are in topo_keys.c.
 */
#include <ctype.h>
#include <string.h>

#include "lab/lib/error.h"
#include "lab/lib/rx.h"
#include "lab/lib/topo_int.h"
#include "lab/lib/util.h"

static const char *const nic_models[] = {
	"virtio-net-pci", "e1000", "e1000e", "rtl8139", "i82559er", "vmxnet3",
};

/* A decimal integer in [min, max], digits only. 0, -1 not a number,
 * -2 out of range. */
int topo_parse_int(const char *s, long min, long max, long *out)
{
	long v = 0;
	const char *c;

	if (!*s)
		return -1;
	for (c = s; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return -1;
		if (v > 1000000000L)
			return -2;
		v = v * 10 + (*c - '0');
	}
	if (v < min || v > max)
		return -2;
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- keys */

/* A fixed address, unique in the lab; 0 or -1 (error added). */
static int add_fixed(struct parser *p, struct in_addr a, const char *kind, const char *owner)
{
	for (int i = 0; i < p->n_fixed; i++) {
		if (p->fixed[i].addr.s_addr != a.s_addr)
			continue;
		return topo_perr(p, p->line, "address %s is already used by %s %s (line %d)", IP(a),
				 p->fixed[i].kind, p->fixed[i].owner, p->fixed[i].line);
	}
	p->fixed = xrealloc(p->fixed, (p->n_fixed + 1) * sizeof(*p->fixed));
	p->fixed[p->n_fixed++] = (struct fixed){a, kind, owner, p->line};
	return 0;
}

static int add_fixed6(struct parser *p, const struct in6_addr *a, const char *kind,
		      const char *owner)
{
	for (int i = 0; i < p->n_fixed6; i++) {
		if (memcmp(&p->fixed6[i].addr, a, sizeof(*a)))
			continue;
		return topo_perr(p, p->line, "address %s is already used by %s %s (line %d)",
				 IP6(a), p->fixed6[i].kind, p->fixed6[i].owner, p->fixed6[i].line);
	}
	p->fixed6 = xrealloc(p->fixed6, (p->n_fixed6 + 1) * sizeof(*p->fixed6));
	p->fixed6[p->n_fixed6++] = (struct fixed6){*a, kind, owner, p->line};
	return 0;
}

static bool known_model(const char *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(nic_models); i++)
		if (!strcmp(m, nic_models[i]))
			return true;
	return false;
}

int topo_value_model(struct parser *p, const char *m)
{
	if (known_model(m))
		return 0;
	return topo_perr(
		p, p->line,
		"unknown NIC model '%s': use virtio-net-pci, e1000, e1000e, rtl8139, i82559er or "
		"vmxnet3",
		m);
}

/* "LAN [ADDR] [ADDR6] [model=MODEL]" (model= on nodes only; an address
 * with a ':' is the IPv6 one). */
void topo_value_nic(struct parser *p, const char *value, struct nic **nics, int *n_nics,
		    const char *kind, const char *owner)
{
	_cleanup_free_ char *buf = xstrdup(value);
	bool is_node = !strcmp(kind, "node");
	char *tok[5];
	int n = str_split(buf, tok, 4);
	struct nic nic = {0};
	const char *model = NULL;
	bool have_addr = false, have_addr6 = false;

	if (*n_nics >= TOPO_MAX_NICS) {
		topo_perr(p, p->line, "too many NICs in %s: at most %d (eth0..eth%d)", p->label,
			  TOPO_MAX_NICS, TOPO_MAX_NICS - 1);
		return;
	}
	if (n > 4) {
		topo_perr(p, p->line, "bad nic '%s': expected %s", value,
			  is_node ? "LAN [ADDR] [ADDR6] [model=MODEL]" : "LAN [ADDR] [ADDR6]");
		return;
	}
	for (int i = 1; i < n; i++) {
		if (!strncmp(tok[i], "model=", 6)) {
			if (!is_node) {
				topo_perr(p, p->line, "bad nic '%s': model= applies to nodes only",
					  value);
				return;
			}
			if (model) {
				topo_perr(p, p->line, "bad nic '%s': model= given twice", value);
				return;
			}
			model = tok[i] + 6;
			if (topo_value_model(p, model) < 0)
				return;
			continue;
		}
		if (strchr(tok[i], ':')) {
			if (have_addr6 || !parse_ip6(tok[i], &nic.addr6)) {
				topo_perr(p, p->line, "bad nic '%s': '%s' is not an IPv6 address%s",
					  value, tok[i], have_addr6 ? " (one per nic)" : "");
				return;
			}
			have_addr6 = true;
			continue;
		}
		if (have_addr || !parse_ip(tok[i], &nic.addr)) {
			topo_perr(p, p->line, "bad nic '%s': '%s' is not an IPv4 address%s", value,
				  tok[i], is_node ? " or model=MODEL" : "");
			return;
		}
		have_addr = true;
	}
	if (have_addr && nic.addr.s_addr == 0) {
		topo_perr(p, p->line, "bad nic '%s': 0.0.0.0 is not a fixed address", value);
		return;
	}
	if (have_addr6 && topo_addr6_unset(&nic.addr6)) {
		topo_perr(p, p->line, "bad nic '%s': :: is not a fixed address", value);
		return;
	}
	if (have_addr && add_fixed(p, nic.addr, kind, owner) < 0)
		return;
	if (have_addr6 && add_fixed6(p, &nic.addr6, kind, owner) < 0)
		return;
	nic.lan_name = xstrdup(tok[0]);
	nic.model = model ? xstrdup(model) : NULL;
	nic.line = p->line;
	*nics = xrealloc(*nics, (*n_nics + 1) * sizeof(**nics));
	(*nics)[(*n_nics)++] = nic;
}

/* A host-side listener, unique in the lab; 0 or -1 (error added). */
static int add_listener(struct parser *p, enum forward_proto proto, struct in_addr addr, int port,
			const char *owner, int serial_idx)
{
	for (int i = 0; i < p->n_lis; i++) {
		struct listener *l = &p->lis[i];

		if (l->proto != proto || l->port != port)
			continue;
		/* 0.0.0.0 overlaps every address: bind() would fail. */
		if (l->addr.s_addr != addr.s_addr && l->addr.s_addr != INADDR_ANY &&
		    addr.s_addr != INADDR_ANY)
			continue;
		if (l->serial_idx >= 0)
			topo_perr(p, p->line,
				  "%s port %s:%d is already used by serial ttyS%d of node %s (line "
				  "%d)",
				  proto == FORWARD_TCP ? "tcp" : "udp", IP(addr), port,
				  l->serial_idx, l->owner, l->line);
		else
			topo_perr(p, p->line,
				  "%s port %s:%d is already used by a forward of node %s (line %d)",
				  proto == FORWARD_TCP ? "tcp" : "udp", IP(addr), port, l->owner,
				  l->line);
		return -1;
	}
	p->lis = xrealloc(p->lis, (p->n_lis + 1) * sizeof(*p->lis));
	p->lis[p->n_lis++] = (struct listener){proto, addr, port, owner, serial_idx, p->line};
	return 0;
}

/* cable:NODE[:ttySN][@BAUD]; 0 or -1 (error added). The peer is checked
 * once every node is known (topo_cable.c). */
static int value_cable(struct parser *p, struct serial_port *sp, int idx, const char *spec)
{
	static const int rates[] = {300,   600,	  1200,	  2400,	  4800,	  9600,	 19200,
				    38400, 57600, 115200, 230400, 460800, 921600};
	_cleanup_free_ char *buf = xstrdup(spec + 6);
	char *at = strchr(buf, '@'), *colon;
	long port = 0, baud = 0;
	bool std = false;

	if (at) {
		*at++ = '\0';
		if (topo_parse_int(at, 1, TOPO_BAUD_MAX, &baud) < 0) {
			topo_perr(p, p->line,
				  "bad baud rate '%s' in '%s' (ttyS%d): expected "
				  "cable:NODE[:ttySN][@BAUD], e.g. cable:vacm2@9600",
				  at, spec, idx);
			return -1;
		}
		for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
			std |= rates[i] == baud;
		if (!std) {
			topo_perr(p, p->line,
				  "baud rate %ld in '%s' (ttyS%d) is not a standard rate: use 300, "
				  "600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, "
				  "230400, 460800 or 921600",
				  baud, spec, idx);
			return -1;
		}
	}
	colon = strchr(buf, ':');
	if (colon) {
		*colon++ = '\0';
		if (strncmp(colon, "ttyS", 4) ||
		    topo_parse_int(colon + 4, 0, TOPO_MAX_SERIAL - 1, &port) < 0) {
			topo_perr(p, p->line,
				  "bad cable end '%s' in '%s' (ttyS%d): expected ttyS0..ttyS%d",
				  colon, spec, idx, TOPO_MAX_SERIAL - 1);
			return -1;
		}
	}
	if (!*buf) {
		topo_perr(
			p, p->line,
			"cable without a node in '%s' (ttyS%d): expected cable:NODE[:ttySN][@BAUD]",
			spec, idx);
		return -1;
	}
	sp->kind = SERIAL_CABLE;
	sp->peer = xstrdup(buf);
	sp->peer_port = (int)port;
	sp->baud = (int)baud;
	return 0;
}

void topo_value_serial(struct parser *p, struct node *nd, const char *value)
{
	_cleanup_free_ char *buf = xstrdup(value);
	char *tok[TOPO_MAX_SERIAL + 1];
	int n = str_split(buf, tok, TOPO_MAX_SERIAL);

	if (n > TOPO_MAX_SERIAL) {
		topo_perr(p, p->line, "too many serial ports: at most %d (ttyS0..ttyS%d)",
			  TOPO_MAX_SERIAL, TOPO_MAX_SERIAL - 1);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct serial_port *sp = &nd->serial[i];
		long port;

		sp->tcp_port = 0;
		sp->line = p->line;
		if (!strcmp(tok[i], "console"))
			sp->kind = SERIAL_CONSOLE;
		else if (!strcmp(tok[i], "loop"))
			sp->kind = SERIAL_LOOP;
		else if (!strcmp(tok[i], "ringbuf"))
			sp->kind = SERIAL_RINGBUF;
		else if (!strcmp(tok[i], "unix"))
			sp->kind = SERIAL_UNIX;
		else if (!strcmp(tok[i], "log"))
			sp->kind = SERIAL_LOG;
		else if (!strcmp(tok[i], "none"))
			sp->kind = SERIAL_NONE;
		else if (!strcmp(tok[i], "pty"))
			sp->kind = SERIAL_PTY;
		else if (!strncmp(tok[i], "cable:", 6)) {
			if (value_cable(p, sp, i, tok[i]) < 0)
				return;
		} else if (!strncmp(tok[i], "device:", 7) && tok[i][7]) {
			sp->kind = SERIAL_DEVICE; /* checked in topo_check_devices() */
			free(sp->peer);
			sp->peer = xstrdup(tok[i] + 7);
		} else if (!strncmp(tok[i], "tcp:", 4)) {
			int r = topo_parse_int(tok[i] + 4, 1, 65535, &port);

			if (r == -2) {
				topo_perr(p, p->line, "serial port '%s' out of range: 1..65535",
					  tok[i]);
				return;
			}
			if (r < 0) {
				topo_perr(p, p->line, "bad serial port '%s': expected tcp:PORT",
					  tok[i]);
				return;
			}
			sp->kind = SERIAL_TCP;
			sp->tcp_port = (int)port;
			if (add_listener(p, FORWARD_TCP, mk_addr(INADDR_LOOPBACK), (int)port,
					 nd->name, i) < 0)
				return;
		} else {
			topo_perr(p, p->line,
				  "unknown serial port kind '%s' (ttyS%d): use console, loop, "
				  "ringbuf, tcp:PORT, unix, log, none, pty, cable:NODE[:ttySN] "
				  "or device:NAME",
				  tok[i], i);
			return;
		}
	}
	nd->n_serial = n;
}

/* "[ethN] SPEC" on an impair key. */
void topo_value_impair(struct parser *p, struct pextra *x, const char *value)
{
	const char *spec = value;
	int eth = -1;
	struct impair im;
	struct vl_err e = {0};

	if (!strncmp(value, "eth", 3) && isdigit((unsigned char)value[3])) {
		const char *c = value + 3;
		long v = 0;

		while (isdigit((unsigned char)*c) && v < 1000)
			v = v * 10 + (*c++ - '0');
		if (*c && !isspace((unsigned char)*c)) {
			topo_perr(p, p->line, "bad impair '%s': expected [ethN] SPEC", value);
			return;
		}
		if (v >= TOPO_MAX_NICS) {
			topo_perr(p, p->line, "impair names eth%ld: NICs are eth0..eth%d", v,
				  TOPO_MAX_NICS - 1);
			return;
		}
		eth = (int)v;
		spec = c;
	}
	if (impair_parse(spec, &im, &e) < 0) {
		topo_perr(p, p->line, "%s", e.msg);
		return;
	}
	x->imp = xrealloc(x->imp, (x->n_imp + 1) * sizeof(*x->imp));
	x->imp[x->n_imp++] = (struct pimpair){.eth = eth, .im = im, .line = p->line};
}

/* ready = dhcp | console "REGEX" | console REGEX | tcp PORT | none */
/*
 * ready = COND...: dhcp, console REGEX ("quoted", \" for a quote; unquoted
 * it runs to the end of the line), tcp PORT, or none alone. Every condition listed must hold, in any
 * order; each may be given once.
 */
void topo_value_ready(struct parser *p, struct node *nd, const char *value)
{
	const char *c = value;
	struct ready r = {.timeout_s = nd->ready.timeout_s};
	struct vl_err e = {0};
	_cleanup_free_ char *rx = NULL;

	while (*c) {
		char word[64];
		size_t n = 0;
		unsigned bit;

		while (isspace((unsigned char)*c))
			c++;
		if (!*c)
			break;
		while (*c && !isspace((unsigned char)*c) && n + 1 < sizeof(word))
			word[n++] = *c++;
		word[n] = '\0';
		if (!strcmp(word, "none")) {
			if (r.conds || r.none) {
				topo_perr(p, p->line,
					  "bad ready '%s': none cannot go with another condition",
					  value);
				return;
			}
			r.none = true;
			continue;
		}
		bit = !strcmp(word, "dhcp")	 ? READY_DHCP
		      : !strcmp(word, "console") ? READY_CONSOLE
		      : !strcmp(word, "tcp")	 ? READY_TCP
						 : 0;
		if (!bit) {
			topo_perr(
				p, p->line,
				"bad ready '%s': unknown condition '%s' (dhcp, console \"REGEX\", "
				"tcp PORT or none)",
				value, word);
			return;
		}
		if (r.none) {
			topo_perr(p, p->line,
				  "bad ready '%s': none cannot go with another condition", value);
			return;
		}
		if (r.conds & bit) {
			topo_perr(p, p->line, "bad ready '%s': %s given twice", value, word);
			return;
		}
		r.conds |= bit;
		if (bit == READY_DHCP)
			continue;
		while (isspace((unsigned char)*c))
			c++;
		if (bit == READY_TCP) {
			char arg[32];
			long port;
			int rr;

			n = 0;
			while (*c && !isspace((unsigned char)*c) && n + 1 < sizeof(arg))
				arg[n++] = *c++;
			arg[n] = '\0';
			rr = topo_parse_int(arg, 1, 65535, &port);
			if (rr == -2) {
				topo_perr(p, p->line, "ready tcp port '%s' out of range: 1..65535",
					  arg);
				return;
			}
			if (rr < 0) {
				topo_perr(p, p->line, "bad ready '%s': expected tcp PORT", value);
				return;
			}
			r.port = (int)port;
			continue;
		}
		/* console REGEX */
		rx = xmalloc(strlen(c) + 1);
		n = 0;
		if (*c == '"') {
			for (c++; *c && *c != '"'; c++) {
				if (c[0] == '\\' && c[1] == '"')
					c++;
				rx[n++] = *c;
			}
			if (*c != '"') {
				topo_perr(p, p->line, "bad ready '%s': unterminated quote", value);
				return;
			}
			c++;
			if (*c && !isspace((unsigned char)*c)) {
				topo_perr(p, p->line,
					  "bad ready '%s': text after the closing quote", value);
				return;
			}
		} else {
			/* Unquoted, it runs to the end of the line (as it always
			 * did): console goes last, or its regex is quoted. */
			while (*c)
				rx[n++] = *c++;
			while (n && isspace((unsigned char)rx[n - 1]))
				n--;
		}
		rx[n] = '\0';
		if (!n) {
			topo_perr(p, p->line, "bad ready '%s': expected console \"REGEX\"", value);
			return;
		}
		if (rx_compile(NULL, rx, "ready regex", &e) < 0) {
			topo_perr(p, p->line, "%s", e.msg);
			return;
		}
	}
	if (!r.conds && !r.none) {
		topo_perr(p, p->line,
			  "bad ready '': expected dhcp, console \"REGEX\", tcp PORT or none");
		return;
	}
	free(nd->ready.regex);
	r.regex = rx;
	rx = NULL;
	nd->ready = r;
}

/* A UDP forward's `idle=SECONDS`; 0 or -1 (error added). */
static int forward_idle(struct parser *p, struct forward *f, const char *tok)
{
	long v;
	int r;

	if (strncmp(tok, "idle=", 5)) {
		topo_perr(p, p->line, "bad forward option '%s': expected idle=SECONDS (udp only)",
			  tok);
		return -1;
	}
	if (f->proto != FORWARD_UDP) {
		topo_perr(p, p->line, "forward option '%s' is for udp forwards only", tok);
		return -1;
	}
	r = topo_parse_int(tok + 5, 1, FORWARD_UDP_IDLE_MAX, &v);
	if (r < 0) {
		topo_perr(p, p->line,
			  r == -2 ? "forward idle time '%s' out of range: 1..%d seconds"
				  : "bad forward idle time '%s': expected seconds",
			  tok + 5, FORWARD_UDP_IDLE_MAX);
		return -1;
	}
	f->idle_s = (int)v;
	return 0;
}

/* forward = tcp|udp [ADDR:]HOSTPORT GUESTPORT, udp: [idle=SECONDS] */
void topo_value_forward(struct parser *p, struct node *nd, const char *value)
{
	_cleanup_free_ char *buf = xstrdup(value);
	char *tok[5], *colon, *hp;
	int n = str_split(buf, tok, 4);
	struct forward f = {.idle_s = FORWARD_UDP_IDLE_DEFAULT};
	struct in_addr a = {.s_addr = htonl(INADDR_LOOPBACK)};
	long port;
	int r;

	if (n != 3 && n != 4) {
		topo_perr(p, p->line,
			  "bad forward '%s': expected tcp|udp [ADDR:]HOSTPORT GUESTPORT", value);
		return;
	}
	if (!strcmp(tok[0], "tcp"))
		f.proto = FORWARD_TCP;
	else if (!strcmp(tok[0], "udp"))
		f.proto = FORWARD_UDP;
	else {
		topo_perr(p, p->line, "bad forward protocol '%s': expected tcp or udp", tok[0]);
		return;
	}
	hp = tok[1];
	colon = strrchr(tok[1], ':');
	if (colon) {
		*colon = '\0';
		hp = colon + 1;
		if (!parse_ip(tok[1], &a)) {
			topo_perr(p, p->line, "bad forward address '%s': expected an IPv4 address",
				  tok[1]);
			return;
		}
	}
	r = topo_parse_int(hp, 1, 65535, &port);
	if (r < 0) {
		topo_perr(p, p->line,
			  r == -2 ? "forward host port '%s' out of range: 1..65535"
				  : "bad forward host port '%s': expected a number",
			  hp);
		return;
	}
	f.host_port = (int)port;
	r = topo_parse_int(tok[2], 1, 65535, &port);
	if (r < 0) {
		topo_perr(p, p->line,
			  r == -2 ? "forward guest port '%s' out of range: 1..65535"
				  : "bad forward guest port '%s': expected a number",
			  tok[2]);
		return;
	}
	f.guest_port = (int)port;
	if (n == 4 && forward_idle(p, &f, tok[3]) < 0)
		return;
	if (nd->n_forwards >= TOPO_MAX_FORWARDS) {
		topo_perr(p, p->line, "too many forwards in %s: at most %d", p->label,
			  TOPO_MAX_FORWARDS);
		return;
	}
	if (add_listener(p, f.proto, a, f.host_port, nd->name, -1) < 0)
		return;
	f.host_addr = xstrdup(IP(a));
	f.line = p->line;
	nd->forwards = xrealloc(nd->forwards, (nd->n_forwards + 1) * sizeof(*nd->forwards));
	nd->forwards[nd->n_forwards++] = f;
}

void topo_value_int(struct parser *p, const char *key, const char *value, long min, long max,
		    const char *unit, int *out)
{
	long v;
	int r = topo_parse_int(value, min, max, &v);

	if (r == -1)
		topo_perr(p, p->line, "bad %s '%s': expected a whole number%s%s", key, value,
			  *unit ? " of " : "", unit);
	else if (r == -2)
		topo_perr(p, p->line, "%s '%s' out of range: %ld..%ld%s%s", key, value, min, max,
			  *unit ? " " : "", unit);
	else
		*out = (int)v;
}

/* subnet = CIDR (IPv4) of a [lan]. */
void topo_value_subnet(struct parser *p, struct lan *lan, const char *value)
{
	_cleanup_free_ char *buf = xstrdup(value);
	char *slash = strchr(buf, '/');
	long prefix;
	uint32_t net, mask;

	if (!slash) {
		topo_perr(p, p->line, "bad subnet '%s': expected a CIDR such as 192.168.0.0/24",
			  value);
		return;
	}
	*slash = '\0';
	if (!parse_ip(buf, &lan->net) || topo_parse_int(slash + 1, 0, 32, &prefix) < 0) {
		topo_perr(p, p->line, "bad subnet '%s': expected a CIDR such as 192.168.0.0/24",
			  value);
		return;
	}
	if (prefix < 8 || prefix > 30) {
		topo_perr(p, p->line, "subnet '%s': prefix /%ld out of range: /8../30", value,
			  prefix);
		return;
	}
	mask = prefix_mask((int)prefix);
	net = h32(lan->net);
	if (net & ~mask) {
		topo_perr(p, p->line, "subnet '%s' has host bits set: did you mean %s/%ld?", value,
			  IP(mk_addr(net & mask)), prefix);
		return;
	}
	/* 0/8, loopback, multicast and class E cannot be a LAN. */
	if ((net >> 24) == 0 || (net >> 24) == 127 || (net >> 24) >= 224) {
		topo_perr(p, p->line,
			  "subnet '%s' is not usable for a lan: 0.0.0.0/8, 127.0.0.0/8 and "
			  "224.0.0.0/3 are reserved",
			  value);
		return;
	}
	lan->prefix = (int)prefix;
	p->lan_x[p->cur].subnet_set = true;
}

/* subnet6 = PREFIX/64: IPv6 on this LAN (the bridge's address, RAs and
 * DHCPv6 from the lab's dnsmasq). Only a /64: SLAAC needs one, and so do
 * the fixed interface IDs of the bridge and the pool (topo.h). */
void topo_value_subnet6(struct parser *p, struct lan *lan, const char *value)
{
	_cleanup_free_ char *buf = xstrdup(value);
	char *slash = strchr(buf, '/');
	struct in6_addr a, net;
	long prefix;
	static const uint8_t zero[8];

	if (slash)
		*slash = '\0';
	if (!slash || !parse_ip6(buf, &a) || topo_parse_int(slash + 1, 0, 128, &prefix) < 0) {
		topo_perr(p, p->line,
			  "bad subnet6 '%s': expected an IPv6 prefix such as fd00:1::/64", value);
		return;
	}
	if (prefix != 64) {
		topo_perr(
			p, p->line,
			"subnet6 '%s': prefix /%ld is not /64 (SLAAC and the lab's addresses need "
			"a /64)",
			value, prefix);
		return;
	}
	net = a;
	memset(&net.s6_addr[8], 0, 8);
	if (memcmp(&a, &net, sizeof(a))) {
		topo_perr(p, p->line, "subnet6 '%s' has host bits set: did you mean %s/64?", value,
			  IP6(&net));
		return;
	}
	/* fe80::/10 is every link's own, ff00::/8 multicast; a prefix of
	 * zeros is ::, ::1 or an IPv4-mapped range. */
	if ((net.s6_addr[0] == 0xfe && (net.s6_addr[1] & 0xc0) == 0x80) || net.s6_addr[0] == 0xff ||
	    !memcmp(net.s6_addr, zero, 8)) {
		topo_perr(p, p->line,
			  "subnet6 '%s' is not usable for a lan: link-local fe80::/10, multicast "
			  "ff00::/8 and ::/64 are reserved",
			  value);
		return;
	}
	lan->net6 = net;
	lan->addr6 = topo_lan6_addr(lan, TOPO_LAN6_HOST);
	lan->has6 = true;
	p->lan_x[p->cur].subnet6_set = true;
}
