// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topo.c - topology file parser and validator: INI text (inih) in, a resolved
 * struct topo out, or exactly one "FILE:LINE: message" error. Pure: the only
 * outside look is whether each node's image file exists and is readable.
 *
 * DOC: Theory of operation
 *
 * inih (Debian's build, handler without line numbers) calls our reader once
 * per line and our handler once per name=value pair, in file order, so a
 * line counter kept by the reader is the line of the pair being handled.
 * inih does not tell the handler about section headers (an empty section
 * would be invisible), so the reader recognises "[...]" lines itself with
 * inih's own rule and opens the section before inih sees the line.
 *
 * Two inih globals are set before every parse (this is the only inih user):
 *  - ini_allow_multiline = false: otherwise any indented line after a key is
 *    taken as a continuation of that key, so an indented "memory = 512"
 *    would silently become part of the previous value.
 *  - inline comments stay on (";" after whitespace), as users expect.
 *
 * Checking happens in two passes. While parsing, each value is checked on
 * its own (syntax, ranges) and things that only depend on earlier lines
 * (duplicate names, duplicate keys, host ports). After parsing, everything
 * that may refer forward (a NIC's LAN, addresses inside subnets, readiness
 * against serial ports and NICs, images) is checked. The first error wins;
 * within the parse pass that is also the earliest line, including inih's own
 * syntax errors.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lib/topo.h"
#include "lab/lib/util.h"

#define TOPO_FILE_MAX (1 << 20) /* refuse bigger files: not a topology */
#define LAB_NAME_MAX 32
/* Far above any real lab; keeps the pairwise checks (names, ports) cheap. */
#define TOPO_SECTIONS_MAX 512
#define IMPAIR_TIME_MAX_US 3600000000.0 /* 1 h fits uint32 microseconds */
#define IMPAIR_RATE_MAX_BPS 100e9	/* 100gbit */

static const char *const nic_models[] = {
	"virtio-net-pci", "e1000", "e1000e", "rtl8139", "i82559er", "vmxnet3",
};

enum sect {
	SECT_NONE, /* before any section header */
	SECT_BAD,  /* an erroneous header: keys are ignored */
	SECT_LAB,
	SECT_LAN,
	SECT_NODE,
	SECT_HOST,
};

/* Keys per section; the index is the slot of the key's line in kl[]. */
enum {
	LABK_NAME,
	LABK_DOMAIN,
	LABK_N
};
enum {
	LANK_SUBNET,
	LANK_ADDRESS,
	LANK_DHCP,
	LANK_UPLINK,
	LANK_N
};
enum {
	NODEK_IMAGE,
	NODEK_MEMORY,
	NODEK_CPUS,
	NODEK_NIC,
	NODEK_NIC_MODEL,
	NODEK_SERIAL,
	NODEK_READY,
	NODEK_TIMEOUT,
	NODEK_FORWARD,
	NODEK_IMPAIR,
	NODEK_CONFIG,
	NODEK_NVLOG,
	NODEK_N
};
enum {
	HOSTK_NIC,
	HOSTK_COMMAND,
	HOSTK_IMPAIR,
	HOSTK_N
};

#define KEYS_MAX 16

struct keydef {
	const char *name;
	bool repeatable;
};

static const struct keydef lab_keys[LABK_N] = {
	[LABK_NAME] = {"name", false},
	[LABK_DOMAIN] = {"domain", false},
};
static const struct keydef lan_keys[LANK_N] = {
	[LANK_SUBNET] = {"subnet", false},
	[LANK_ADDRESS] = {"address", false},
	[LANK_DHCP] = {"dhcp", false},
	[LANK_UPLINK] = {"uplink", false},
};
static const struct keydef node_keys[NODEK_N] = {
	[NODEK_IMAGE] = {"image", false},	  [NODEK_MEMORY] = {"memory", false},
	[NODEK_CPUS] = {"cpus", false},		  [NODEK_NIC] = {"nic", true},
	[NODEK_NIC_MODEL] = {"nic_model", false}, [NODEK_SERIAL] = {"serial", false},
	[NODEK_READY] = {"ready", false},	  [NODEK_TIMEOUT] = {"timeout", false},
	[NODEK_FORWARD] = {"forward", true},	  [NODEK_IMPAIR] = {"impair", true},
	[NODEK_CONFIG] = {"config", false},	  [NODEK_NVLOG] = {"nvlog", false},
};
static const struct keydef host_keys[HOSTK_N] = {
	[HOSTK_NIC] = {"nic", true},
	[HOSTK_COMMAND] = {"command", false},
	[HOSTK_IMPAIR] = {"impair", true},
};

/* An impair line, applied to NICs once all NICs of the owner are known. */
struct pimpair {
	int eth; /* -1: every NIC of the owner */
	struct impair im;
	int line;
};

/* Parser-side extras of a section: where each key was first seen. */
struct pextra {
	int kl[KEYS_MAX];
	struct pimpair *imp;
	int n_imp;
	char *image_raw; /* as written */
	bool addr_set, dhcp_set, subnet_set;
};

/* A host-side listener (serial tcp:PORT, forward): unique per lab. */
struct listener {
	enum forward_proto proto;
	struct in_addr addr;
	int port;
	const char *owner; /* node name (owned by the topo) */
	int serial_idx;	   /* ttySn, or -1 for a forward */
	int line;
};

/* A fixed address and who uses it. */
struct fixed {
	struct in_addr addr;
	const char *kind;
	const char *owner;
	int line;
};

struct parser {
	const char *buf;
	size_t len, pos;
	int line;

	struct topo *t;
	struct topo_err *err;
	bool failed;

	enum sect sect;
	int cur;	/* index into lans/nodes/hosts */
	char label[64]; /* "[node vacm1]" for messages */
	int lab_line;
	int lab_kl[LABK_N];

	struct pextra *lan_x, *node_x, *host_x;
	struct listener *lis;
	int n_lis;
	struct fixed *fixed;
	int n_fixed;
};

/* ---------------------------------------------------------------- errors */

__attribute__((format(printf, 4, 5))) static void set_err(struct topo_err *err, const char *path,
							  int line, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->file, sizeof(err->file), "%s", path);
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* Record the first error only: later ones are usually consequences. */
__attribute__((format(printf, 3, 4))) static void perr(struct parser *p, int line, const char *fmt,
						       ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	snprintf(p->err->file, sizeof(p->err->file), "%s", p->t->path);
	p->err->line = line;
	p->err->env = false;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
}

void topo_err_print(const struct topo_err *err)
{
	if (err->line > 0)
		fprintf(stderr, "%s:%d: %s\n", err->file, err->line, err->msg);
	else
		fprintf(stderr, "%s: %s\n", err->file, err->msg);
}

/* ------------------------------------------------------- small parsers */

/* Split @s (modified) at whitespace into at most @max tokens; returns the
 * number of tokens, or max + 1 if there are more. */
static int split(char *s, char **tok, int max)
{
	int n = 0;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			*s++ = '\0';
		if (!*s)
			return n;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
	}
}

/* A decimal integer in [min, max], digits only. 0, -1 not a number,
 * -2 out of range. */
static int parse_int(const char *s, long min, long max, long *out)
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

static bool parse_ip(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1;
}

/* inet_ntoa without its static buffer. */
struct ipbuf {
	char s[INET_ADDRSTRLEN];
};

static struct ipbuf ip_str(struct in_addr a)
{
	struct ipbuf b;

	inet_ntop(AF_INET, &a, b.s, sizeof(b.s));
	return b;
}
#define IP(a) (ip_str(a).s)

static uint32_t h32(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static struct in_addr mk_addr(uint32_t h)
{
	struct in_addr a = {.s_addr = htonl(h)};

	return a;
}

static uint32_t prefix_mask(int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

/* A printable rendering of one byte for messages. */
static const char *char_str(char c, char buf[8])
{
	if (isprint((unsigned char)c))
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned char)c);
	return buf;
}

/* --------------------------------------------------------------- names */

static const char *valid_lab_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > LAB_NAME_MAX)
		return "is too long: at most 32 characters";
	if (!islower((unsigned char)s[0]))
		return "must start with a letter (a-z)";
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return "may only hold a-z, 0-9 and '-'";
	/* It is also the default DNS domain, whose labels cannot end in '-'. */
	if (s[n - 1] == '-')
		return "must not end with '-'";
	return NULL;
}

static const char *valid_domain(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0)
		return "is empty";
	if (n > 253)
		return "is too long: at most 253 characters";
	for (size_t i = 0; i <= n; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0)
				return "has an empty label";
			if (s[i - 1] == '-')
				return "has a label ending in '-'";
			label = 0;
			continue;
		}
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return "may only hold a-z, 0-9, '-' and '.'";
		if (label == 0 && s[i] == '-')
			return "has a label starting with '-'";
		if (++label > 63)
			return "has a label longer than 63 characters";
	}
	return NULL;
}

/* Check a lan/node/host name and its uniqueness; 0 or -1 (error set). */
static int check_name(struct parser *p, const char *name)
{
	struct topo *t = p->t;
	size_t n = strlen(name);
	char cb[8];

	if (n > TOPO_NAME_MAX) {
		perr(p, p->line,
		     "name '%s' is too long: at most %d characters, so that interface '%s-0' fits "
		     "in 15",
		     name, TOPO_NAME_MAX, name);
		return -1;
	}
	if (!islower((unsigned char)name[0])) {
		perr(p, p->line, "name '%s' must start with a letter (a-z)", name);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '-') {
			perr(p, p->line,
			     "name '%s' has the invalid character %s: use a-z, 0-9 and '-'", name,
			     char_str(name[i], cb));
			return -1;
		}
	}
	if (name[n - 1] == '-') {
		perr(p, p->line, "name '%s' must not end with '-'", name);
		return -1;
	}
	if (!strcmp(name, "lo")) {
		perr(p, p->line, "name 'lo' is reserved (the loopback interface)");
		return -1;
	}
	for (int i = 0; i < t->n_lans; i++)
		if (!strcmp(t->lans[i].name, name))
			goto dup_lan;
	for (int i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name)) {
			perr(p, p->line,
			     "duplicate name '%s': already used by [node %s] at line %d", name,
			     name, t->nodes[i].line);
			return -1;
		}
	for (int i = 0; i < t->n_hosts; i++)
		if (!strcmp(t->hosts[i].name, name)) {
			perr(p, p->line,
			     "duplicate name '%s': already used by [host %s] at line %d", name,
			     name, t->hosts[i].line);
			return -1;
		}
	return 0;
dup_lan:
	for (int i = 0; i < t->n_lans; i++)
		if (!strcmp(t->lans[i].name, name))
			perr(p, p->line, "duplicate name '%s': already used by [lan %s] at line %d",
			     name, name, t->lans[i].line);
	return -1;
}

/* ------------------------------------------------------------ sections */

static void begin_section(struct parser *p, const char *text, size_t len)
{
	struct topo *t = p->t;
	_cleanup_free_ char *buf = xmalloc(len + 1);
	char *tok[3];
	int n;

	memcpy(buf, text, len);
	buf[len] = '\0';
	p->sect = SECT_BAD;
	snprintf(p->label, sizeof(p->label), "[%s]", buf);
	if (p->failed)
		return;
	n = split(buf, tok, 2);
	if (n >= 1 && !strcmp(tok[0], "lab")) {
		if (n != 1) {
			perr(p, p->line, "[lab] takes no name: write the lab's name as name = %s",
			     tok[1]);
			return;
		}
		if (p->lab_line) {
			perr(p, p->line, "duplicate [lab] section (first at line %d)", p->lab_line);
			return;
		}
		p->lab_line = p->line;
		p->sect = SECT_LAB;
		snprintf(p->label, sizeof(p->label), "[lab]");
		return;
	}
	if (n >= 1 &&
	    (!strcmp(tok[0], "lan") || !strcmp(tok[0], "node") || !strcmp(tok[0], "host"))) {
		if (n != 2) {
			perr(p, p->line, "section %s needs exactly one name: [%s NAME]", p->label,
			     tok[0]);
			return;
		}
		if (t->n_lans + t->n_nodes + t->n_hosts >= TOPO_SECTIONS_MAX) {
			perr(p, p->line,
			     "too many sections: at most %d lans, nodes and hosts in all",
			     TOPO_SECTIONS_MAX);
			return;
		}
		if (check_name(p, tok[1]) < 0)
			return;
		snprintf(p->label, sizeof(p->label), "[%s %s]", tok[0], tok[1]);
		if (!strcmp(tok[0], "lan")) {
			t->lans = xrealloc(t->lans, (t->n_lans + 1) * sizeof(*t->lans));
			p->lan_x = xrealloc(p->lan_x, (t->n_lans + 1) * sizeof(*p->lan_x));
			memset(&t->lans[t->n_lans], 0, sizeof(*t->lans));
			memset(&p->lan_x[t->n_lans], 0, sizeof(*p->lan_x));
			t->lans[t->n_lans].name = xstrdup(tok[1]);
			t->lans[t->n_lans].line = p->line;
			p->cur = t->n_lans++;
			p->sect = SECT_LAN;
		} else if (!strcmp(tok[0], "node")) {
			struct node *nd;

			t->nodes = xrealloc(t->nodes, (t->n_nodes + 1) * sizeof(*t->nodes));
			p->node_x = xrealloc(p->node_x, (t->n_nodes + 1) * sizeof(*p->node_x));
			nd = &t->nodes[t->n_nodes];
			memset(nd, 0, sizeof(*nd));
			memset(&p->node_x[t->n_nodes], 0, sizeof(*p->node_x));
			nd->name = xstrdup(tok[1]);
			nd->line = p->line;
			nd->memory_mb = 256;
			nd->cpus = 1;
			nd->nic_model = xstrdup("virtio-net-pci");
			nd->serial[0].kind = SERIAL_CONSOLE;
			nd->n_serial = 1;
			nd->ready.timeout_s = TOPO_READY_TIMEOUT_DEFAULT;
			p->cur = t->n_nodes++;
			p->sect = SECT_NODE;
		} else {
			t->hosts = xrealloc(t->hosts, (t->n_hosts + 1) * sizeof(*t->hosts));
			p->host_x = xrealloc(p->host_x, (t->n_hosts + 1) * sizeof(*p->host_x));
			memset(&t->hosts[t->n_hosts], 0, sizeof(*t->hosts));
			memset(&p->host_x[t->n_hosts], 0, sizeof(*p->host_x));
			t->hosts[t->n_hosts].name = xstrdup(tok[1]);
			t->hosts[t->n_hosts].line = p->line;
			p->cur = t->n_hosts++;
			p->sect = SECT_HOST;
		}
		return;
	}
	perr(p, p->line,
	     "unknown section %s: expected [lab], [lan NAME], [node NAME] or [host NAME]",
	     p->label);
}

/*
 * The reader: one line per call, as fgets would, counting lines. Also spots
 * section headers with inih's rule (after leading blanks and a first-line
 * BOM, "[" up to a "]" that comes before any inline comment).
 */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *s, *nl;
	size_t n, content;
	char *c, *e;
	bool was_space = false;

	if (p->pos >= p->len)
		return NULL;
	s = p->buf + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) + 1 : p->len - p->pos;
	p->pos += n;
	p->line++;
	content = n;
	if (content && s[content - 1] == '\n')
		content--;
	if (content && s[content - 1] == '\r')
		content--;
	/* inih needs room for "\r\n\0"; a longer line would be split in two. */
	if (num < 4 || content > (size_t)num - 3) {
		perr(p, p->line, "line too long: at most %d characters", num - 3);
		str[0] = '\0';
		return str;
	}
	memcpy(str, s, n);
	str[n] = '\0';

	c = str;
	if (p->line == 1 && !strncmp(c, "\xEF\xBB\xBF", 3))
		c += 3;
	while (*c && isspace((unsigned char)*c))
		c++;
	if (*c != '[')
		return str;
	for (e = c + 1; *e && *e != ']' && !(was_space && *e == ';'); e++)
		was_space = isspace((unsigned char)*e);
	if (*e == ']')
		begin_section(p, c + 1, (size_t)(e - c - 1));
	return str;
}

/* ------------------------------------------------------------- impair */

/* Round a non-negative value (no libm: the Makefile does not link it). */
static uint64_t round_u64(double x)
{
	return (uint64_t)(x + 0.5);
}

/* A non-negative decimal such as "12" or "0.5"; returns the end or NULL. */
static const char *parse_decimal(const char *s, double *v)
{
	const char *c = s;
	int digits = 0;

	while (isdigit((unsigned char)*c)) {
		c++;
		digits++;
	}
	if (*c == '.') {
		c++;
		if (!isdigit((unsigned char)*c))
			return NULL;
		while (isdigit((unsigned char)*c)) {
			c++;
			digits++;
		}
	}
	if (digits == 0 || digits > 15)
		return NULL;
	*v = strtod(s, NULL);
	return c;
}

static int parse_time_us(const char *s, double *us)
{
	double v;
	const char *u = parse_decimal(s, &v);

	if (!u)
		return -1;
	if (!strcmp(u, "us"))
		*us = v;
	else if (!strcmp(u, "ms"))
		*us = v * 1e3;
	else if (!strcmp(u, "s"))
		*us = v * 1e6;
	else
		return -1;
	return 0;
}

int impair_parse(const char *spec, struct impair *out, char *msg, size_t msglen)
{
	_cleanup_free_ char *buf = xstrdup(spec ? spec : "");
	char *tok[9];
	int n = split(buf, tok, 8);
	bool seen_delay = false, seen_jitter = false, seen_loss = false, seen_rate = false;

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		snprintf(msg, msglen,
			 "empty impairment: expected delay TIME, jitter TIME, loss PCT%% or rate "
			 "RATE");
		return -1;
	}
	if (n > 8) {
		snprintf(msg, msglen, "too many words in impairment '%s'", spec);
		return -1;
	}
	for (int i = 0; i < n; i += 2) {
		const char *k = tok[i], *v = i + 1 < n ? tok[i + 1] : NULL;
		double x;

		if (strcmp(k, "delay") && strcmp(k, "jitter") && strcmp(k, "loss") &&
		    strcmp(k, "rate")) {
			snprintf(msg, msglen,
				 "unknown impairment '%s': expected delay, jitter, loss or rate",
				 k);
			return -1;
		}
		if (!v) {
			snprintf(msg, msglen, "impairment '%s' needs a value", k);
			return -1;
		}
		if (!strcmp(k, "delay") || !strcmp(k, "jitter")) {
			bool *seen = k[0] == 'd' ? &seen_delay : &seen_jitter;

			if (*seen)
				goto twice;
			*seen = true;
			if (parse_time_us(v, &x) < 0) {
				snprintf(msg, msglen,
					 "bad %s '%s': expected a time such as 50ms (units us, ms, "
					 "s)",
					 k, v);
				return -1;
			}
			if (x > IMPAIR_TIME_MAX_US) {
				snprintf(msg, msglen, "%s '%s' out of range: at most 3600s", k, v);
				return -1;
			}
			if (k[0] == 'd')
				out->delay_us = (uint32_t)round_u64(x);
			else
				out->jitter_us = (uint32_t)round_u64(x);
		} else if (!strcmp(k, "loss")) {
			const char *e;

			if (seen_loss)
				goto twice;
			seen_loss = true;
			e = parse_decimal(v, &x);
			if (!e || strcmp(e, "%")) {
				snprintf(msg, msglen,
					 "bad loss '%s': expected a percentage such as 1%%", v);
				return -1;
			}
			if (x > 100) {
				snprintf(msg, msglen, "loss '%s' out of range: 0%%..100%%", v);
				return -1;
			}
			out->loss_pct = x;
		} else {
			const char *e;
			double mult;

			if (seen_rate)
				goto twice;
			seen_rate = true;
			e = parse_decimal(v, &x);
			if (e && !strcmp(e, "bit"))
				mult = 1;
			else if (e && !strcmp(e, "kbit"))
				mult = 1e3;
			else if (e && !strcmp(e, "mbit"))
				mult = 1e6;
			else if (e && !strcmp(e, "gbit"))
				mult = 1e9;
			else {
				snprintf(msg, msglen,
					 "bad rate '%s': expected a rate such as 10mbit (units "
					 "bit, kbit, mbit, gbit)",
					 v);
				return -1;
			}
			x *= mult;
			if (x > IMPAIR_RATE_MAX_BPS) {
				snprintf(msg, msglen, "rate '%s' out of range: at most 100gbit", v);
				return -1;
			}
			if (round_u64(x) < 1) {
				snprintf(msg, msglen, "rate '%s' must be greater than 0", v);
				return -1;
			}
			out->rate_bps = (uint64_t)round_u64(x);
		}
		continue;
	twice:
		snprintf(msg, msglen, "impairment '%s' given twice", k);
		return -1;
	}
	if (seen_jitter && out->delay_us == 0) {
		snprintf(msg, msglen, "jitter needs a delay greater than 0");
		return -1;
	}
	out->set = true;
	return 0;
}

/* "[ethN] SPEC" on an impair key. */
static void key_impair(struct parser *p, struct pextra *x, const char *value)
{
	const char *spec = value;
	int eth = -1;
	struct impair im;
	char msg[200];

	if (!strncmp(value, "eth", 3) && isdigit((unsigned char)value[3])) {
		const char *c = value + 3;
		long v = 0;

		while (isdigit((unsigned char)*c) && v < 1000)
			v = v * 10 + (*c++ - '0');
		if (*c && !isspace((unsigned char)*c)) {
			perr(p, p->line, "bad impair '%s': expected [ethN] SPEC", value);
			return;
		}
		if (v >= TOPO_MAX_NICS) {
			perr(p, p->line, "impair names eth%ld: NICs are eth0..eth%d", v,
			     TOPO_MAX_NICS - 1);
			return;
		}
		eth = (int)v;
		spec = c;
	}
	if (impair_parse(spec, &im, msg, sizeof(msg)) < 0) {
		perr(p, p->line, "%s", msg);
		return;
	}
	x->imp = xrealloc(x->imp, (x->n_imp + 1) * sizeof(*x->imp));
	x->imp[x->n_imp++] = (struct pimpair){.eth = eth, .im = im, .line = p->line};
}

/* ---------------------------------------------------------------- keys */

static void add_fixed(struct parser *p, struct in_addr a, const char *kind, const char *owner)
{
	for (int i = 0; i < p->n_fixed; i++) {
		if (p->fixed[i].addr.s_addr != a.s_addr)
			continue;
		perr(p, p->line, "address %s is already used by %s %s (line %d)", IP(a),
		     p->fixed[i].kind, p->fixed[i].owner, p->fixed[i].line);
		return;
	}
	p->fixed = xrealloc(p->fixed, (p->n_fixed + 1) * sizeof(*p->fixed));
	p->fixed[p->n_fixed++] = (struct fixed){a, kind, owner, p->line};
}

static bool known_model(const char *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(nic_models); i++)
		if (!strcmp(m, nic_models[i]))
			return true;
	return false;
}

static void bad_model(struct parser *p, const char *m)
{
	perr(p, p->line,
	     "unknown NIC model '%s': use virtio-net-pci, e1000, e1000e, rtl8139, i82559er or "
	     "vmxnet3",
	     m);
}

/* "LAN [ADDR] [model=MODEL]" (model= on nodes only). */
static void key_nic(struct parser *p, const char *value, struct nic **nics, int *n_nics,
		    const char *kind, const char *owner)
{
	_cleanup_free_ char *buf = xstrdup(value);
	bool is_node = !strcmp(kind, "node");
	char *tok[4];
	int n = split(buf, tok, 3);
	struct nic nic = {0};
	const char *model = NULL;
	bool have_addr = false;

	if (*n_nics >= TOPO_MAX_NICS) {
		perr(p, p->line, "too many NICs in %s: at most %d (eth0..eth%d)", p->label,
		     TOPO_MAX_NICS, TOPO_MAX_NICS - 1);
		return;
	}
	if (n > 3) {
		perr(p, p->line, "bad nic '%s': expected %s", value,
		     is_node ? "LAN [ADDR] [model=MODEL]" : "LAN [ADDR]");
		return;
	}
	for (int i = 1; i < n; i++) {
		if (!strncmp(tok[i], "model=", 6)) {
			if (!is_node) {
				perr(p, p->line, "bad nic '%s': model= applies to nodes only",
				     value);
				return;
			}
			if (model) {
				perr(p, p->line, "bad nic '%s': model= given twice", value);
				return;
			}
			model = tok[i] + 6;
			if (!known_model(model)) {
				bad_model(p, model);
				return;
			}
			continue;
		}
		if (have_addr || !parse_ip(tok[i], &nic.addr)) {
			perr(p, p->line, "bad nic '%s': '%s' is not an IPv4 address%s", value,
			     tok[i], is_node ? " or model=MODEL" : "");
			return;
		}
		have_addr = true;
	}
	if (have_addr && nic.addr.s_addr == 0) {
		perr(p, p->line, "bad nic '%s': 0.0.0.0 is not a fixed address", value);
		return;
	}
	if (have_addr)
		add_fixed(p, nic.addr, kind, owner);
	if (p->failed)
		return;
	nic.lan_name = xstrdup(tok[0]);
	nic.model = model ? xstrdup(model) : NULL;
	nic.line = p->line;
	*nics = xrealloc(*nics, (*n_nics + 1) * sizeof(**nics));
	(*nics)[(*n_nics)++] = nic;
}

static void add_listener(struct parser *p, enum forward_proto proto, struct in_addr addr, int port,
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
			perr(p, p->line,
			     "%s port %s:%d is already used by serial ttyS%d of node %s (line %d)",
			     proto == FORWARD_TCP ? "tcp" : "udp", IP(addr), port, l->serial_idx,
			     l->owner, l->line);
		else
			perr(p, p->line,
			     "%s port %s:%d is already used by a forward of node %s (line %d)",
			     proto == FORWARD_TCP ? "tcp" : "udp", IP(addr), port, l->owner,
			     l->line);
		return;
	}
	p->lis = xrealloc(p->lis, (p->n_lis + 1) * sizeof(*p->lis));
	p->lis[p->n_lis++] = (struct listener){proto, addr, port, owner, serial_idx, p->line};
}

static void key_serial(struct parser *p, struct node *nd, const char *value)
{
	_cleanup_free_ char *buf = xstrdup(value);
	char *tok[TOPO_MAX_SERIAL + 1];
	int n = split(buf, tok, TOPO_MAX_SERIAL);

	if (n > TOPO_MAX_SERIAL) {
		perr(p, p->line, "too many serial ports: at most %d (ttyS0..ttyS%d)",
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
		else if (!strncmp(tok[i], "tcp:", 4)) {
			int r = parse_int(tok[i] + 4, 1, 65535, &port);

			if (r == -2) {
				perr(p, p->line, "serial port '%s' out of range: 1..65535", tok[i]);
				return;
			}
			if (r < 0) {
				perr(p, p->line, "bad serial port '%s': expected tcp:PORT", tok[i]);
				return;
			}
			sp->kind = SERIAL_TCP;
			sp->tcp_port = (int)port;
			add_listener(p, FORWARD_TCP, mk_addr(INADDR_LOOPBACK), (int)port, nd->name,
				     i);
			if (p->failed)
				return;
		} else {
			perr(p, p->line,
			     "unknown serial port kind '%s' (ttyS%d): use console, loop, ringbuf, "
			     "tcp:PORT, unix, log or none",
			     tok[i], i);
			return;
		}
	}
	nd->n_serial = n;
}

/*
 * Regex size guard. glibc's regcomp() copies the operand of "+" (x+ is xx*)
 * and of an interval x{n,m} (m copies) before building its automaton, so
 * repetitions of repetitions grow exponentially: the fuzzer found that
 * "yn++++++++...+" (45 '+') exhausts memory, as does "((a{99}){99}){99}",
 * and "y?????????????" spins in the epsilon closure for minutes.
 * Estimate the expanded size with the same rules and refuse big ones.
 */
#define RE_COST_MAX 10000.0

static const char *re_skip_bracket(const char *s)
{
	s++; /* '[' */
	if (*s == '^')
		s++;
	if (*s == ']')
		s++; /* a leading ']' is a literal */
	while (*s && *s != ']') {
		if (s[0] == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
			char end = s[1];

			for (s += 2; *s && !(s[0] == end && s[1] == ']'); s++)
				;
			if (*s)
				s += 2;
			continue;
		}
		s++;
	}
	return *s ? s + 1 : s;
}

/* "{n}", "{n,}", "{n,m}": the number of copies glibc makes, or -1. */
static double re_interval(const char **sp)
{
	const char *s = *sp + 1;
	double n = 0, m = -1;
	bool comma = false;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s))
		n = n < 1e6 ? n * 10 + (*s++ - '0') : (s++, n);
	if (*s == ',') {
		comma = true;
		s++;
		if (isdigit((unsigned char)*s))
			m = 0;
		while (isdigit((unsigned char)*s))
			m = m < 1e6 ? m * 10 + (*s++ - '0') : (s++, m);
	}
	if (*s != '}')
		return -1;
	*sp = s + 1;
	if (m >= 0)
		return m > n ? m : n;
	return comma ? n + 1 : n;
}

static double re_cost(const char **sp, int depth)
{
	const char *s = *sp;
	double total = 0, atom = 0, k;
	bool rep = false; /* the last thing seen was a repetition */

	if (depth > 32)
		return RE_COST_MAX * 2;
	while (*s && *s != ')' && total + atom <= RE_COST_MAX) {
		switch (*s) {
		case '(':
			s++;
			total += atom;
			atom = re_cost(&s, depth + 1) + 1;
			if (*s == ')')
				s++;
			break;
		case '[':
			total += atom;
			atom = 1;
			s = re_skip_bracket(s);
			break;
		case '\\':
			total += atom;
			atom = 1;
			s++;
			if (*s)
				s++;
			break;
		case '+':
		case '*':
		case '?':
			/* Stacked operators ("a??", "a*+") are undefined in POSIX and
			 * make glibc's epsilon closures explode: refuse them. */
			if (rep)
				return RE_COST_MAX * 2;
			atom = atom * 2 + 1;
			s++;
			rep = true;
			continue;
		case '{':
			k = re_interval(&s);
			if (k < 0) {
				total += atom; /* a literal '{' */
				atom = 1;
				s++;
			} else {
				if (rep)
					return RE_COST_MAX * 2;
				atom = atom * (k + 1) + 1;
				rep = true;
				continue;
			}
			break;
		case '|':
			total += atom + 1;
			atom = 0;
			s++;
			break;
		default:
			total += atom;
			atom = 1;
			s++;
		}
		rep = false;
	}
	*sp = s;
	return total + atom;
}

static bool re_too_big(const char *re)
{
	double cost = 0;

	while (*re && cost <= RE_COST_MAX) {
		if (*re == ')') { /* unbalanced: regcomp() will say so */
			re++;
			continue;
		}
		cost += re_cost(&re, 0);
	}
	return cost > RE_COST_MAX;
}

/* ready = dhcp | console "REGEX" | console REGEX | tcp PORT | none */
static void key_ready(struct parser *p, struct node *nd, const char *value)
{
	const char *arg;
	regex_t re;
	int r;

	if (!strcmp(value, "dhcp")) {
		nd->ready.kind = READY_DHCP;
		return;
	}
	if (!strcmp(value, "none")) {
		nd->ready.kind = READY_NONE;
		return;
	}
	if (!strncmp(value, "tcp", 3) && (!value[3] || isspace((unsigned char)value[3]))) {
		long port;

		arg = value + 3;
		while (isspace((unsigned char)*arg))
			arg++;
		r = parse_int(arg, 1, 65535, &port);
		if (r == -2) {
			perr(p, p->line, "ready tcp port '%s' out of range: 1..65535", arg);
			return;
		}
		if (r < 0) {
			perr(p, p->line, "bad ready '%s': expected tcp PORT", value);
			return;
		}
		nd->ready.kind = READY_TCP;
		nd->ready.port = (int)port;
		return;
	}
	if (!strncmp(value, "console", 7) && (!value[7] || isspace((unsigned char)value[7]))) {
		_cleanup_free_ char *rx = NULL;

		arg = value + 7;
		while (isspace((unsigned char)*arg))
			arg++;
		if (*arg == '"') {
			/* Quoted: \" is a quote, everything else is kept as is. */
			size_t n = strlen(arg), o = 0;
			const char *c;

			rx = xmalloc(n + 1);
			for (c = arg + 1; *c && *c != '"'; c++) {
				if (c[0] == '\\' && c[1] == '"')
					c++;
				rx[o++] = *c;
			}
			rx[o] = '\0';
			if (*c != '"') {
				perr(p, p->line, "bad ready '%s': unterminated quote", value);
				return;
			}
			if (c[1]) {
				perr(p, p->line, "bad ready '%s': text after the closing quote",
				     value);
				return;
			}
		} else {
			rx = xstrdup(arg);
		}
		if (!*rx) {
			perr(p, p->line, "bad ready '%s': expected console \"REGEX\"", value);
			return;
		}
		if (re_too_big(rx)) {
			perr(p, p->line,
			     "ready regex '%s' is too complex: stacked or deeply nested "
			     "repetitions such as a?? or ((a{99}){99}){99}",
			     rx);
			return;
		}
		r = regcomp(&re, rx, REG_EXTENDED | REG_NOSUB);
		if (r) {
			char eb[128];

			regerror(r, &re, eb, sizeof(eb));
			perr(p, p->line, "bad ready regex '%s': %s", rx, eb);
			return;
		}
		regfree(&re);
		free(nd->ready.regex);
		nd->ready.kind = READY_CONSOLE;
		nd->ready.regex = rx;
		rx = NULL;
		return;
	}
	perr(p, p->line, "bad ready '%s': expected dhcp, console \"REGEX\", tcp PORT or none",
	     value);
}

/* forward = tcp|udp [ADDR:]HOSTPORT GUESTPORT */
static void key_forward(struct parser *p, struct node *nd, const char *value)
{
	_cleanup_free_ char *buf = xstrdup(value);
	char *tok[4], *colon, *hp;
	int n = split(buf, tok, 3);
	struct forward f = {0};
	struct in_addr a = {.s_addr = htonl(INADDR_LOOPBACK)};
	long port;
	int r;

	if (n != 3) {
		perr(p, p->line, "bad forward '%s': expected tcp|udp [ADDR:]HOSTPORT GUESTPORT",
		     value);
		return;
	}
	if (!strcmp(tok[0], "tcp"))
		f.proto = FORWARD_TCP;
	else if (!strcmp(tok[0], "udp"))
		f.proto = FORWARD_UDP;
	else {
		perr(p, p->line, "bad forward protocol '%s': expected tcp or udp", tok[0]);
		return;
	}
	hp = tok[1];
	colon = strrchr(tok[1], ':');
	if (colon) {
		*colon = '\0';
		hp = colon + 1;
		if (!parse_ip(tok[1], &a)) {
			perr(p, p->line, "bad forward address '%s': expected an IPv4 address",
			     tok[1]);
			return;
		}
	}
	r = parse_int(hp, 1, 65535, &port);
	if (r < 0) {
		perr(p, p->line,
		     r == -2 ? "forward host port '%s' out of range: 1..65535"
			     : "bad forward host port '%s': expected a number",
		     hp);
		return;
	}
	f.host_port = (int)port;
	r = parse_int(tok[2], 1, 65535, &port);
	if (r < 0) {
		perr(p, p->line,
		     r == -2 ? "forward guest port '%s' out of range: 1..65535"
			     : "bad forward guest port '%s': expected a number",
		     tok[2]);
		return;
	}
	f.guest_port = (int)port;
	if (nd->n_forwards >= TOPO_MAX_FORWARDS) {
		perr(p, p->line, "too many forwards in %s: at most %d", p->label,
		     TOPO_MAX_FORWARDS);
		return;
	}
	add_listener(p, f.proto, a, f.host_port, nd->name, -1);
	if (p->failed)
		return;
	f.host_addr = xstrdup(IP(a));
	f.line = p->line;
	nd->forwards = xrealloc(nd->forwards, (nd->n_forwards + 1) * sizeof(*nd->forwards));
	nd->forwards[nd->n_forwards++] = f;
}

static void key_int(struct parser *p, const char *key, const char *value, long min, long max,
		    const char *unit, int *out)
{
	long v;
	int r = parse_int(value, min, max, &v);

	if (r == -1)
		perr(p, p->line, "bad %s '%s': expected a whole number%s%s", key, value,
		     *unit ? " of " : "", unit);
	else if (r == -2)
		perr(p, p->line, "%s '%s' out of range: %ld..%ld%s%s", key, value, min, max,
		     *unit ? " " : "", unit);
	else
		*out = (int)v;
}

static void lab_key(struct parser *p, int k, const char *value)
{
	struct topo *t = p->t;
	const char *why;

	switch (k) {
	case LABK_NAME:
		why = valid_lab_name(value);
		if (why) {
			perr(p, p->line, "lab name '%s' %s", value, why);
			return;
		}
		free(t->name);
		t->name = xstrdup(value);
		break;
	case LABK_DOMAIN:
		why = valid_domain(value);
		if (why) {
			perr(p, p->line, "domain '%s' %s", value, why);
			return;
		}
		free(t->domain);
		t->domain = xstrdup(value);
		break;
	}
}

static void lan_key(struct parser *p, int k, const char *value)
{
	struct lan *lan = &p->t->lans[p->cur];
	struct pextra *x = &p->lan_x[p->cur];

	switch (k) {
	case LANK_SUBNET: {
		_cleanup_free_ char *buf = xstrdup(value);
		char *slash = strchr(buf, '/');
		long prefix;
		uint32_t net, mask;

		if (!slash) {
			perr(p, p->line, "bad subnet '%s': expected a CIDR such as 192.168.0.0/24",
			     value);
			return;
		}
		*slash = '\0';
		if (!parse_ip(buf, &lan->net) || parse_int(slash + 1, 0, 32, &prefix) < 0) {
			perr(p, p->line, "bad subnet '%s': expected a CIDR such as 192.168.0.0/24",
			     value);
			return;
		}
		if (prefix < 8 || prefix > 30) {
			perr(p, p->line, "subnet '%s': prefix /%ld out of range: /8../30", value,
			     prefix);
			return;
		}
		mask = prefix_mask((int)prefix);
		net = h32(lan->net);
		if (net & ~mask) {
			perr(p, p->line, "subnet '%s' has host bits set: did you mean %s/%ld?",
			     value, IP(mk_addr(net & mask)), prefix);
			return;
		}
		/* 0/8, loopback, multicast and class E cannot be a LAN. */
		if ((net >> 24) == 0 || (net >> 24) == 127 || (net >> 24) >= 224) {
			perr(p, p->line,
			     "subnet '%s' is not usable for a lan: 0.0.0.0/8, 127.0.0.0/8 and "
			     "224.0.0.0/3 are reserved",
			     value);
			return;
		}
		lan->prefix = (int)prefix;
		x->subnet_set = true;
		break;
	}
	case LANK_ADDRESS:
		if (!parse_ip(value, &lan->addr)) {
			perr(p, p->line, "bad address '%s': expected an IPv4 address", value);
			return;
		}
		x->addr_set = true;
		break;
	case LANK_DHCP: {
		_cleanup_free_ char *buf = xstrdup(value);
		char *dash = strchr(buf, '-');

		if (dash)
			*dash = '\0';
		if (!dash || !parse_ip(buf, &lan->dhcp_lo) || !parse_ip(dash + 1, &lan->dhcp_hi)) {
			perr(p, p->line,
			     "bad dhcp range '%s': expected FIRST-LAST such as "
			     "192.168.0.100-192.168.0.199",
			     value);
			return;
		}
		if (h32(lan->dhcp_lo) > h32(lan->dhcp_hi)) {
			perr(p, p->line, "bad dhcp range '%s': the first address is above the last",
			     value);
			return;
		}
		x->dhcp_set = true;
		break;
	}
	case LANK_UPLINK:
		if (strcmp(value, "pasta")) {
			perr(p, p->line, "unknown uplink '%s': the only uplink is pasta", value);
			return;
		}
		free(lan->uplink);
		lan->uplink = xstrdup(value);
		break;
	}
}

static char *join_path(const char *dir, const char *rel);

/* config = PATH / nvlog = PATH: what sda3 / sda4 hold on a node's first
 * boot (lab/lib/part.c), a directory or a tar, relative to this file. */
static void key_seed(struct parser *p, const char *key, const char *value, char **out)
{
	struct stat st;

	free(*out);
	*out = join_path(p->t->dir, value);
	if (stat(*out, &st) < 0)
		perr(p, p->line, "%s '%s': %s (resolved to %s)", key, value, strerror(errno), *out);
	else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		perr(p, p->line, "%s '%s' is neither a directory nor a tar file", key, value);
}

static void node_key(struct parser *p, int k, const char *value)
{
	struct node *nd = &p->t->nodes[p->cur];
	struct pextra *x = &p->node_x[p->cur];

	switch (k) {
	case NODEK_IMAGE: x->image_raw = xstrdup(value); break;
	case NODEK_MEMORY: key_int(p, "memory", value, 16, 65536, "MiB", &nd->memory_mb); break;
	case NODEK_CPUS: key_int(p, "cpus", value, 1, 64, "", &nd->cpus); break;
	case NODEK_NIC: key_nic(p, value, &nd->nics, &nd->n_nics, "node", nd->name); break;
	case NODEK_NIC_MODEL:
		if (!known_model(value)) {
			bad_model(p, value);
			return;
		}
		free(nd->nic_model);
		nd->nic_model = xstrdup(value);
		break;
	case NODEK_SERIAL: key_serial(p, nd, value); break;
	case NODEK_READY: key_ready(p, nd, value); break;
	case NODEK_TIMEOUT:
		key_int(p, "timeout", value, 1, 3600, "seconds", &nd->ready.timeout_s);
		break;
	case NODEK_FORWARD: key_forward(p, nd, value); break;
	case NODEK_IMPAIR: key_impair(p, x, value); break;
	case NODEK_CONFIG: key_seed(p, "config", value, &nd->config_seed); break;
	case NODEK_NVLOG: key_seed(p, "nvlog", value, &nd->nvlog_seed); break;
	}
}

static void host_key(struct parser *p, int k, const char *value)
{
	struct host *h = &p->t->hosts[p->cur];
	struct pextra *x = &p->host_x[p->cur];

	switch (k) {
	case HOSTK_NIC: key_nic(p, value, &h->nics, &h->n_nics, "host", h->name); break;
	case HOSTK_COMMAND:
		free(h->command);
		h->command = xstrdup(value);
		break;
	case HOSTK_IMPAIR: key_impair(p, x, value); break;
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const struct keydef *keys = NULL;
	int n_keys = 0, *kl = NULL, k;

	(void)section; /* we track sections ourselves, see reader() */
	if (p->failed)
		return 1;
	switch (p->sect) {
	case SECT_NONE:
		perr(p, p->line,
		     "key '%s' outside of any section: start with [lab], [lan NAME], [node NAME] "
		     "or [host NAME]",
		     name);
		return 1;
	case SECT_BAD: return 1;
	case SECT_LAB:
		keys = lab_keys;
		n_keys = LABK_N;
		kl = p->lab_kl;
		break;
	case SECT_LAN:
		keys = lan_keys;
		n_keys = LANK_N;
		kl = p->lan_x[p->cur].kl;
		break;
	case SECT_NODE:
		keys = node_keys;
		n_keys = NODEK_N;
		kl = p->node_x[p->cur].kl;
		break;
	case SECT_HOST:
		keys = host_keys;
		n_keys = HOSTK_N;
		kl = p->host_x[p->cur].kl;
		break;
	}
	for (k = 0; k < n_keys; k++)
		if (!strcmp(keys[k].name, name))
			break;
	if (k == n_keys) {
		perr(p, p->line, "unknown key '%s' in %s", name, p->label);
		return 1;
	}
	if (kl[k] && !keys[k].repeatable) {
		perr(p, p->line, "duplicate key '%s' in %s (first at line %d)", name, p->label,
		     kl[k]);
		return 1;
	}
	if (!kl[k])
		kl[k] = p->line;
	if (!*value) {
		perr(p, p->line, "key '%s' in %s has no value", name, p->label);
		return 1;
	}
	switch (p->sect) {
	case SECT_LAB: lab_key(p, k, value); break;
	case SECT_LAN: lan_key(p, k, value); break;
	case SECT_NODE: node_key(p, k, value); break;
	case SECT_HOST: host_key(p, k, value); break;
	case SECT_NONE:
	case SECT_BAD: break;
	}
	return 1;
}

/* ---------------------------------------------------------- validation */

/* Why @a cannot be a host address on @lan, or NULL if it can. */
static const char *addr_problem(const struct lan *lan, struct in_addr a)
{
	uint32_t mask = prefix_mask(lan->prefix), net = h32(lan->net), h = h32(a);

	if ((h & mask) != net)
		return "outside";
	if (h == net)
		return "network";
	if (h == (net | ~mask))
		return "broadcast";
	return NULL;
}

static void addr_error(struct parser *p, int line, const char *what, const struct lan *lan,
		       struct in_addr a, const char *why)
{
	if (!strcmp(why, "outside"))
		perr(p, line, "%s %s is outside lan '%s' (%s/%d)", what, IP(a), lan->name,
		     IP(lan->net), lan->prefix);
	else
		perr(p, line, "%s %s is the %s address of lan '%s' (%s/%d)", what, IP(a), why,
		     lan->name, IP(lan->net), lan->prefix);
}

static bool in_dhcp(const struct lan *lan, struct in_addr a)
{
	return lan->dhcp_lo.s_addr && h32(a) >= h32(lan->dhcp_lo) && h32(a) <= h32(lan->dhcp_hi);
}

static void validate_lans(struct parser *p)
{
	struct topo *t = p->t;

	for (int i = 0; i < t->n_lans && !p->failed; i++) {
		struct lan *lan = &t->lans[i];
		struct pextra *x = &p->lan_x[i];
		uint32_t mask, net;
		const char *why;

		if (!x->subnet_set) {
			perr(p, lan->line, "missing required key 'subnet' in [lan %s]", lan->name);
			return;
		}
		mask = prefix_mask(lan->prefix);
		net = h32(lan->net);
		for (int j = 0; j < i; j++) {
			struct lan *o = &t->lans[j];
			uint32_t omask = prefix_mask(o->prefix);

			if ((net & omask) == h32(o->net) || (h32(o->net) & mask) == net) {
				perr(p, x->kl[LANK_SUBNET],
				     "subnet %s/%d overlaps lan '%s' (%s/%d, line %d)",
				     IP(lan->net), lan->prefix, o->name, IP(o->net), o->prefix,
				     o->line);
				return;
			}
		}
		if (!x->addr_set)
			lan->addr = mk_addr((net | ~mask) - 1); /* last usable host */
		why = addr_problem(lan, lan->addr);
		if (why) {
			addr_error(p, x->kl[LANK_ADDRESS], "address", lan, lan->addr, why);
			return;
		}
		if (!x->dhcp_set)
			continue;
		why = addr_problem(lan, lan->dhcp_lo);
		if (!why)
			why = addr_problem(lan, lan->dhcp_hi);
		if (why) {
			if (!strcmp(why, "outside"))
				perr(p, x->kl[LANK_DHCP],
				     "dhcp range %s-%s is not inside lan '%s' (%s/%d)",
				     IP(lan->dhcp_lo), IP(lan->dhcp_hi), lan->name, IP(lan->net),
				     lan->prefix);
			else
				perr(p, x->kl[LANK_DHCP],
				     "dhcp range %s-%s includes the %s address of lan '%s' (%s/%d)",
				     IP(lan->dhcp_lo), IP(lan->dhcp_hi), why, lan->name,
				     IP(lan->net), lan->prefix);
			return;
		}
		if (in_dhcp(lan, lan->addr)) {
			perr(p, x->kl[LANK_DHCP],
			     "dhcp range %s-%s contains the lan's own address %s", IP(lan->dhcp_lo),
			     IP(lan->dhcp_hi), IP(lan->addr));
			return;
		}
	}
}

/* NICs of a node or host: LAN, addresses, names, models, impairments. */
static void validate_nics(struct parser *p, const char *kind, const char *owner, struct nic *nics,
			  int n_nics, struct pextra *x, const char *model)
{
	struct topo *t = p->t;
	bool is_node = model != NULL;
	int imp_line[TOPO_MAX_NICS] = {0};

	for (int i = 0; i < n_nics && !p->failed; i++) {
		struct nic *nic = &nics[i];
		struct lan *lan = topo_find_lan(t, nic->lan_name);
		const char *why;

		snprintf(nic->ifname, sizeof(nic->ifname), "%s-%d", owner, i);
		if (!lan) {
			perr(p, nic->line, "nic refers to undefined lan '%s'", nic->lan_name);
			return;
		}
		nic->lan = lan;
		if (is_node && !nic->model)
			nic->model = xstrdup(model);
		topo_derive_mac(t->name, owner, i, nic->mac);
		if (!nic->addr.s_addr) {
			if (!is_node)
				perr(p, nic->line,
				     "nic on lan '%s' needs a fixed address: hosts run no DHCP "
				     "client",
				     lan->name);
			else if (!lan->dhcp_lo.s_addr)
				perr(p, nic->line,
				     "nic on lan '%s' has no fixed address and the lan has no dhcp "
				     "range",
				     lan->name);
			continue;
		}
		why = addr_problem(lan, nic->addr);
		if (why) {
			addr_error(p, nic->line, "address", lan, nic->addr, why);
			return;
		}
		if (nic->addr.s_addr == lan->addr.s_addr) {
			perr(p, nic->line, "address %s is the address of lan '%s' itself (line %d)",
			     IP(nic->addr), lan->name, lan->line);
			return;
		}
		if (in_dhcp(lan, nic->addr)) {
			perr(p, nic->line, "address %s is inside the dhcp range %s-%s of lan '%s'",
			     IP(nic->addr), IP(lan->dhcp_lo), IP(lan->dhcp_hi), lan->name);
			return;
		}
	}
	for (int i = 0; i < x->n_imp && !p->failed; i++) {
		struct pimpair *pi = &x->imp[i];

		if (n_nics == 0) {
			perr(p, pi->line, "impair, but %s %s has no nic", kind, owner);
			return;
		}
		if (pi->eth >= n_nics) {
			if (n_nics == 1)
				perr(p, pi->line, "impair names eth%d, but %s %s has only eth0",
				     pi->eth, kind, owner);
			else
				perr(p, pi->line,
				     "impair names eth%d, but %s %s has only eth0..eth%d", pi->eth,
				     kind, owner, n_nics - 1);
			return;
		}
		for (int e = 0; e < n_nics; e++) {
			if (pi->eth >= 0 && e != pi->eth)
				continue;
			if (imp_line[e]) {
				perr(p, pi->line,
				     "eth%d of %s %s is impaired twice (first at line %d)", e, kind,
				     owner, imp_line[e]);
				return;
			}
			imp_line[e] = pi->line;
			nics[e].impair = pi->im;
		}
	}
}

/* Join @dir and @rel, and drop "." and ".." lexically (@dir is a realpath,
 * so ".." right after it means its parent). */
static char *join_path(const char *dir, const char *rel)
{
	_cleanup_free_ char *in = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", dir, rel);
	char *out = xmalloc(strlen(in) + 2), *tok, *save = NULL;
	size_t o = 0;

	for (tok = strtok_r(in, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, tok, strlen(tok));
		o += strlen(tok);
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

static void validate_image(struct parser *p, struct node *nd, struct pextra *x)
{
	struct stat st;
	const char *raw = x->image_raw;
	int line = x->kl[NODEK_IMAGE];

	if (!raw) {
		perr(p, nd->line, "missing required key 'image' in [node %s]", nd->name);
		return;
	}
	bool failed_before = p->failed;

	nd->image = join_path(p->t->dir, raw);
	if (stat(nd->image, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			perr(p, line,
			     "image '%s' not found (resolved to %s): run `make appliance` or put "
			     "your image.bin there",
			     raw, nd->image);
		else
			perr(p, line, "image '%s' cannot be accessed (resolved to %s): %s", raw,
			     nd->image, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		perr(p, line, "image '%s' is not a regular file (resolved to %s)", raw, nd->image);
		goto out;
	}
	if (access(nd->image, R_OK) < 0)
		perr(p, line, "image '%s' is not readable (resolved to %s): %s", raw, nd->image,
		     strerror(errno));
out:
	/* An image that is missing or unreadable is the machine's fault. */
	if (p->failed && !failed_before)
		p->err->env = true;
}

static void validate_node(struct parser *p, struct node *nd, struct pextra *x)
{
	int rl = x->kl[NODEK_READY];

	validate_image(p, nd, x);
	validate_nics(p, "node", nd->name, nd->nics, nd->n_nics, x, nd->nic_model);
	if (p->failed)
		return;
	if (!rl) {
		if (nd->n_nics > 0) {
			nd->ready.kind = READY_DHCP;
		} else if (nd->serial[0].kind == SERIAL_CONSOLE) {
			nd->ready.kind = READY_CONSOLE;
			nd->ready.regex = xstrdup("login:");
		} else {
			perr(p, nd->line,
			     "node %s has no nic and ttyS0 is not a console: say how to tell it is "
			     "up with ready = ...",
			     nd->name);
			return;
		}
	}
	switch (nd->ready.kind) {
	case READY_CONSOLE:
		if (nd->serial[0].kind != SERIAL_CONSOLE)
			perr(p, rl,
			     "ready = console needs ttyS0 to be a console, but it is %s (line %d)",
			     serial_kind_name(nd->serial[0].kind), x->kl[NODEK_SERIAL]);
		break;
	case READY_DHCP:
		if (!nd->n_nics)
			perr(p, rl, "ready = dhcp needs a nic, but node %s has none", nd->name);
		break;
	case READY_TCP:
		if (!nd->n_nics)
			perr(p, rl, "ready = tcp needs a nic, but node %s has none", nd->name);
		break;
	case READY_NONE: break;
	}
	if (nd->n_forwards && !nd->n_nics)
		perr(p, nd->forwards[0].line, "forward needs a nic, but node %s has none",
		     nd->name);
}

static void validate(struct parser *p)
{
	struct topo *t = p->t;

	if (!t->n_lans && !t->n_nodes && !t->n_hosts) {
		perr(p, 0, "empty lab: no [lan], [node] or [host] section");
		return;
	}
	if (!t->name) {
		const char *base = strrchr(t->path, '/');
		_cleanup_free_ char *name = xstrdup(base ? base + 1 : t->path);
		size_t n = strlen(name);
		const char *why;

		if (n > 5 && !strcmp(name + n - 5, ".conf"))
			name[n - 5] = '\0';
		why = valid_lab_name(name);
		if (why) {
			perr(p, 0, "lab name '%s' (from the file name) %s: set name = ... in [lab]",
			     name, why);
			return;
		}
		t->name = xstrdup(name);
	}
	if (!t->domain)
		t->domain = xstrdup(t->name);

	validate_lans(p);
	for (int i = 0; i < t->n_nodes && !p->failed; i++)
		validate_node(p, &t->nodes[i], &p->node_x[i]);
	for (int i = 0; i < t->n_hosts && !p->failed; i++) {
		struct host *h = &t->hosts[i];

		if (!h->n_nics) {
			perr(p, h->line, "missing required key 'nic' in [host %s]", h->name);
			return;
		}
		validate_nics(p, "host", h->name, h->nics, h->n_nics, &p->host_x[i], NULL);
	}
	if (p->failed)
		return;

	/* A LAN's bridge is named after the LAN: it must not take a NIC's name. */
	for (int l = 0; l < t->n_lans; l++) {
		for (int i = 0; i < t->n_nodes; i++)
			for (int j = 0; j < t->nodes[i].n_nics; j++)
				if (!strcmp(t->lans[l].name, t->nodes[i].nics[j].ifname)) {
					perr(p, t->lans[l].line,
					     "lan name '%s' is also the interface of eth%d of node "
					     "%s: rename the lan",
					     t->lans[l].name, j, t->nodes[i].name);
					return;
				}
		for (int i = 0; i < t->n_hosts; i++)
			for (int j = 0; j < t->hosts[i].n_nics; j++)
				if (!strcmp(t->lans[l].name, t->hosts[i].nics[j].ifname)) {
					perr(p, t->lans[l].line,
					     "lan name '%s' is also the interface of eth%d of host "
					     "%s: rename the lan",
					     t->lans[l].name, j, t->hosts[i].name);
					return;
				}
	}

	/* 24 hash bits: a collision is unlikely but would break DHCP silently. */
	{
		struct nic **all =
			xcalloc((size_t)(t->n_nodes + t->n_hosts) * TOPO_MAX_NICS, sizeof(*all));
		int n = 0;

		for (int i = 0; i < t->n_nodes; i++)
			for (int j = 0; j < t->nodes[i].n_nics; j++)
				all[n++] = &t->nodes[i].nics[j];
		for (int i = 0; i < t->n_hosts; i++)
			for (int j = 0; j < t->hosts[i].n_nics; j++)
				all[n++] = &t->hosts[i].nics[j];
		for (int i = 0; i < n && !p->failed; i++)
			for (int j = 0; j < i; j++)
				if (!memcmp(all[i]->mac, all[j]->mac, 6)) {
					perr(p, all[i]->line,
					     "derived MAC address of %s equals that of %s (line "
					     "%d): rename one of them",
					     all[i]->ifname, all[j]->ifname, all[j]->line);
					break;
				}
		free(all);
	}
}

/* ------------------------------------------------------------ public */

/* Absolute directory of @path, without requiring it to exist. */
static char *topo_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *d =
		slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
	char *real, cwd[PATH_MAX];

	if (!*d)
		return xstrdup("/");
	real = realpath(d, NULL);
	if (real)
		return real;
	if (d[0] == '/')
		return join_path("/", d);
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	return join_path(cwd, d);
}

static int topo_parse(const char *buf, size_t len, const char *path, struct topo **out,
		      struct topo_err *err)
{
	struct parser p = {0};
	struct topo *t = xcalloc(1, sizeof(*t));
	int r;

	memset(err, 0, sizeof(*err));
	t->path = xstrdup(path);
	t->dir = topo_dir(path);
	p.t = t;
	p.err = err;
	p.buf = buf;
	p.len = len;

	ini_allow_multiline = false; /* see DOC at the top */
	r = ini_parse_stream(reader, &p, handler, &p);
	if (r > 0 && (!p.failed || r < err->line)) {
		p.failed = false;
		perr(&p, r, "syntax error");
	} else if (r < 0) {
		perr(&p, 0, "out of memory while parsing");
	}
	if (!p.failed)
		validate(&p);

	for (int i = 0; i < t->n_lans; i++)
		free(p.lan_x[i].imp);
	for (int i = 0; i < t->n_nodes; i++) {
		free(p.node_x[i].imp);
		free(p.node_x[i].image_raw);
	}
	for (int i = 0; i < t->n_hosts; i++)
		free(p.host_x[i].imp);
	free(p.lan_x);
	free(p.node_x);
	free(p.host_x);
	free(p.lis);
	free(p.fixed);

	if (p.failed) {
		topo_free(t);
		*out = NULL;
		return -1;
	}
	*out = t;
	return 0;
}

int topo_load_string(const char *text, const char *path, struct topo **out, struct topo_err *err)
{
	return topo_parse(text, strlen(text), path, out, err);
}

int topo_load(const char *path, struct topo **out, struct topo_err *err)
{
	size_t len;
	_cleanup_free_ char *buf = NULL;
	const char *nul;
	struct stat st;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	/* Refuse FIFOs and devices before read_file() would block on them. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		set_err(err, path, 0, "cannot open: %s",
			S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		return -1;
	}
	if (stat(path, &st) == 0 && st.st_size > TOPO_FILE_MAX) {
		set_err(err, path, 0, "file too large: a topology is at most %d bytes",
			TOPO_FILE_MAX);
		return -1;
	}
	buf = read_file(path, &len);
	if (!buf) {
		set_err(err, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	nul = memchr(buf, '\0', len);
	if (nul) {
		int line = 1;

		for (const char *c = buf; c < nul; c++)
			line += *c == '\n';
		set_err(err, path, line, "NUL byte: this is not a text file");
		return -1;
	}
	return topo_parse(buf, len, path, out, err);
}

static void free_nics(struct nic *nics, int n)
{
	for (int i = 0; i < n; i++) {
		free(nics[i].lan_name);
		free(nics[i].model);
	}
	free(nics);
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n_lans; i++) {
		free(t->lans[i].name);
		free(t->lans[i].uplink);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		struct node *nd = &t->nodes[i];

		free(nd->name);
		free(nd->image);
		free(nd->config_seed);
		free(nd->nvlog_seed);
		free(nd->nic_model);
		free_nics(nd->nics, nd->n_nics);
		free(nd->ready.regex);
		for (int j = 0; j < nd->n_forwards; j++)
			free(nd->forwards[j].host_addr);
		free(nd->forwards);
	}
	for (int i = 0; i < t->n_hosts; i++) {
		free(t->hosts[i].name);
		free(t->hosts[i].command);
		free_nics(t->hosts[i].nics, t->hosts[i].n_nics);
	}
	free(t->lans);
	free(t->nodes);
	free(t->hosts);
	free(t->path);
	free(t->dir);
	free(t->name);
	free(t->domain);
	free(t);
}

struct lan *topo_find_lan(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_lans; i++)
		if (!strcmp(t->lans[i].name, name))
			return &t->lans[i];
	return NULL;
}

struct node *topo_find_node(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name))
			return &t->nodes[i];
	return NULL;
}

struct host *topo_find_host(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_hosts; i++)
		if (!strcmp(t->hosts[i].name, name))
			return &t->hosts[i];
	return NULL;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *c = data;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void topo_derive_mac(const char *lab, const char *owner, int idx, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char i = (unsigned char)idx;

	/* The NUL separators keep ("ab","c") and ("a","bc") apart. */
	h = fnv1a(h, lab, strlen(lab) + 1);
	h = fnv1a(h, owner, strlen(owner) + 1);
	h = fnv1a(h, &i, 1);
	/* FNV-1a mixes its last bytes poorly into the low bits: finish with
	 * MurmurHash3's fmix64 so NICs of one node differ in all 24 bits. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

const char *serial_kind_name(enum serial_kind k)
{
	switch (k) {
	case SERIAL_CONSOLE: return "console";
	case SERIAL_LOOP: return "loop";
	case SERIAL_RINGBUF: return "ringbuf";
	case SERIAL_TCP: return "tcp";
	case SERIAL_UNIX: return "unix";
	case SERIAL_LOG: return "log";
	case SERIAL_NONE: return "none";
	}
	return "?";
}

const char *ready_kind_name(enum ready_kind k)
{
	switch (k) {
	case READY_DHCP: return "dhcp";
	case READY_CONSOLE: return "console";
	case READY_TCP: return "tcp";
	case READY_NONE: return "none";
	}
	return "?";
}

bool lab_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 32 || name[0] < 'a' || name[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			return false;
	return true;
}
