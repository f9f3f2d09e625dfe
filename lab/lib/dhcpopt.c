// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dhcpopt.c - a topology's own DHCP options: the type of each known option,
 * the values it accepts, the bytes they become, and option 43 of a ZTP.
 *
 * The types follow RFC 2132 (and the options dnsmasq treats as address
 * lists: dnsmasq refuses anything but addresses for those, so vacmlab must
 * too, or dnsmasq would fail at `up`). An option not in the table takes
 * any form but a bare number, whose size only the option's definition
 * could tell. Every value becomes bytes here; dnsmasq is then given
 * exactly those bytes (hex), so what `check` shows is what a client gets.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lib/dhcpopt.h"
#include "lab/lib/util.h"

enum dot {
	DOT_ANY, /* unknown: addresses, a string or hex */
	DOT_OWNED,
	DOT_IP,
	DOT_IP_PAIRS, /* address/mask or destination/router pairs */
	DOT_STR,
	DOT_U8,
	DOT_U16,
	DOT_U32,
};

struct dotdef {
	int code;
	enum dot type;
	const char *name;
};

static const struct dotdef dots[] = {
	{1, DOT_OWNED, "subnet mask"},
	{2, DOT_U32, "time-offset"},
	{3, DOT_OWNED, "router"},
	{4, DOT_IP, "time-server"},
	{5, DOT_IP, "name-server"},
	{6, DOT_OWNED, "DNS servers"},
	{7, DOT_IP, "log-server"},
	{8, DOT_IP, "cookie-server"},
	{9, DOT_IP, "lpr-server"},
	{10, DOT_IP, "impress-server"},
	{11, DOT_IP, "resource-location"},
	{12, DOT_OWNED, "host name"},
	{13, DOT_U16, "boot-file-size"},
	{14, DOT_STR, "merit-dump"},
	{15, DOT_OWNED, "domain name"},
	{16, DOT_IP, "swap-server"},
	{17, DOT_STR, "root-path"},
	{18, DOT_STR, "extension-path"},
	{19, DOT_U8, "ip-forward-enable"},
	{20, DOT_U8, "non-local-source-routing"},
	{21, DOT_IP_PAIRS, "policy-filter"},
	{22, DOT_U16, "max-datagram-reassembly"},
	{23, DOT_U8, "default-ttl"},
	{24, DOT_U32, "mtu-aging-timeout"},
	{26, DOT_U16, "mtu"},
	{27, DOT_U8, "all-subnets-local"},
	{28, DOT_OWNED, "broadcast address"},
	{29, DOT_U8, "mask-discovery"},
	{30, DOT_U8, "mask-supplier"},
	{31, DOT_U8, "router-discovery"},
	{32, DOT_IP, "router-solicitation"},
	{33, DOT_IP_PAIRS, "static-route"},
	{34, DOT_U8, "trailer-encapsulation"},
	{35, DOT_U32, "arp-timeout"},
	{36, DOT_U8, "ethernet-encap"},
	{37, DOT_U8, "tcp-ttl"},
	{38, DOT_U32, "tcp-keepalive"},
	{39, DOT_U8, "tcp-keepalive-garbage"},
	{40, DOT_STR, "nis-domain"},
	{41, DOT_IP, "nis-server"},
	{42, DOT_IP, "ntp-server"},
	{43, DOT_ANY, "vendor-encap"},
	{44, DOT_IP, "netbios-ns"},
	{45, DOT_IP, "netbios-dd"},
	{46, DOT_U8, "netbios-nodetype"},
	{47, DOT_STR, "netbios-scope"},
	{48, DOT_IP, "x-windows-fs"},
	{49, DOT_IP, "x-windows-dm"},
	{50, DOT_OWNED, "requested address"},
	{51, DOT_OWNED, "lease time"},
	{52, DOT_OWNED, "option overload"},
	{53, DOT_OWNED, "message type"},
	{54, DOT_OWNED, "server identifier"},
	{55, DOT_OWNED, "parameter request list"},
	{56, DOT_STR, "message"},
	{57, DOT_OWNED, "maximum message size"},
	{58, DOT_OWNED, "renewal time (T1)"},
	{59, DOT_OWNED, "rebinding time (T2)"},
	{60, DOT_STR, "vendor-class"},
	{61, DOT_OWNED, "client identifier"},
	{64, DOT_STR, "nis+-domain"},
	{65, DOT_IP, "nis+-server"},
	{66, DOT_STR, "tftp-server"},
	{67, DOT_STR, "bootfile-name"},
	{68, DOT_IP, "mobile-ip-home"},
	{69, DOT_IP, "smtp-server"},
	{70, DOT_IP, "pop3-server"},
	{71, DOT_IP, "nntp-server"},
	{72, DOT_IP, "www-server"},
	{73, DOT_IP, "finger-server"},
	{74, DOT_IP, "irc-server"},
	{75, DOT_IP, "streettalk-server"},
	{76, DOT_IP, "stda-server"},
	{81, DOT_OWNED, "client FQDN"},
	{82, DOT_OWNED, "relay agent information"},
	{100, DOT_STR, "posix-timezone"},
	{101, DOT_STR, "tzdb-timezone"},
	{114, DOT_STR, "captive-portal"},
	{150, DOT_IP, "tftp-server-address"},
};

static const struct dotdef *dot_find(int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(dots); i++)
		if (dots[i].code == code)
			return &dots[i];
	return NULL;
}

const char *dhcpopt_name(int code)
{
	const struct dotdef *d = dot_find(code);

	return d ? d->name : "";
}

const char *dhcpopt_owned(int code)
{
	const struct dotdef *d = dot_find(code);

	return d && d->type == DOT_OWNED ? d->name : NULL;
}

static int fail(char *why, size_t wlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t wlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, wlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "a.b.c.d[,| ]a.b.c.d...": the count of addresses, or -1. */
static int parse_addrs(const char *s, uint8_t *out, int max)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *save = NULL;
	int n = 0;

	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct in_addr a;

		if (strspn(tok, "0123456789.") != strlen(tok) || inet_pton(AF_INET, tok, &a) != 1)
			return -1;
		if ((n + 1) * 4 > max)
			return -2;
		memcpy(out + 4 * n, &a, 4);
		n++;
	}
	return n;
}

/* "hh:hh:..." (or one "hh"): the count of bytes, -1 if not hex, -2 too long. */
static int parse_hex(const char *s, uint8_t *out, int max)
{
	size_t n = strlen(s);
	int k = 0;

	if (n < 2 || (n + 1) % 3)
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0 || (i + 2 < n && s[i + 2] != ':'))
			return -1;
		if (k == max)
			return -2;
		out[k++] = (uint8_t)(hi << 4 | lo);
	}
	return k;
}

/* "...": printable ASCII, \" and \\ the only escapes. The length, or -1
 * with @why filled. */
static int parse_string(const char *s, uint8_t *out, char *why, size_t wlen)
{
	size_t n = strlen(s);
	int k = 0;

	if (n < 2 || s[n - 1] != '"')
		return fail(why, wlen, "unterminated string %s: end it with '\"'", s);
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\') {
			if (i + 1 >= n - 1 || (s[i + 1] != '"' && s[i + 1] != '\\'))
				return fail(
					why, wlen,
					"bad escape in string %s: only \\\" and \\\\ (give other "
					"bytes as hex)",
					s);
			c = (unsigned char)s[++i];
		} else if (c == '"') {
			return fail(why, wlen, "stray '\"' inside string %s: write it \\\"", s);
		} else if (c < 0x20 || c > 0x7e) {
			return fail(why, wlen,
				    "string %s holds a byte that is not printable ASCII: give such "
				    "a value as hex bytes",
				    s);
		}
		if (k == DHCPOPT_LEN_MAX)
			return fail(why, wlen,
				    "value is over %d bytes (an option's length is one "
				    "byte)",
				    DHCPOPT_LEN_MAX);
		out[k++] = c;
	}
	if (!k)
		return fail(why, wlen, "empty string: an option needs at least one byte");
	return k;
}

static int type_size(enum dot t)
{
	switch (t) {
	case DOT_U8: return 1;
	case DOT_U16: return 2;
	case DOT_U32: return 4;
	case DOT_ANY:
	case DOT_OWNED:
	case DOT_IP:
	case DOT_IP_PAIRS:
	case DOT_STR: return 0;
	}
	return 0;
}

static int parse_value(int code, const struct dotdef *d, const char *v, struct dhcpopt *o,
		       char *why, size_t wlen)
{
	enum dot t = d ? d->type : DOT_ANY;
	char label[64];
	int n;

	if (d)
		snprintf(label, sizeof(label), "option %d (%s)", code, d->name);
	else
		snprintf(label, sizeof(label), "option %d", code);
	if (t == DOT_IP || t == DOT_IP_PAIRS || (t == DOT_ANY && strchr(v, '.') && *v != '"')) {
		n = parse_addrs(v, o->val, DHCPOPT_LEN_MAX);
		if (n == -2)
			return fail(why, wlen, "%s: value is over %d bytes (at most 63 addresses)",
				    label, DHCPOPT_LEN_MAX);
		if (n <= 0)
			return fail(why, wlen,
				    "%s: bad value '%s': expected IPv4 addresses such "
				    "as 10.0.0.1,10.0.0.2",
				    label, v);
		if (t == DOT_IP_PAIRS && n % 2)
			return fail(why, wlen, "%s: expected pairs of addresses, got %d addresses",
				    label, n);
		o->len = 4 * n;
		o->addrs = true;
		return 0;
	}
	if (*v == '"') {
		if (t != DOT_STR && t != DOT_ANY)
			return fail(why, wlen,
				    "%s takes a number, not a string (or its %d byte%s "
				    "as hex)",
				    label, type_size(t), type_size(t) > 1 ? "s" : "");
		n = parse_string(v, o->val, why, wlen);
		if (n < 0) {
			char tmp[256];

			snprintf(tmp, sizeof(tmp), "%s", why);
			return fail(why, wlen, "%s: %s", label, tmp);
		}
		o->len = n;
		return 0;
	}
	if (strspn(v, "0123456789") == strlen(v)) {
		int size = type_size(t);
		unsigned long long x;

		if (!size)
			return fail(why, wlen,
				    "%s: a number has no size here: write the value as a quoted "
				    "string or hex bytes (such as 00:00:0e:10)",
				    label);
		x = strlen(v) <= 10 ? strtoull(v, NULL, 10) : ~0ULL;
		if (x > (size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1))
			return fail(why, wlen, "%s: %s out of range: 0..%llu (%d byte%s)", label, v,
				    size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1, size,
				    size > 1 ? "s" : "");
		for (int i = 0; i < size; i++)
			o->val[i] = (uint8_t)(x >> (8 * (size - 1 - i)));
		o->len = size;
		return 0;
	}
	n = parse_hex(v, o->val, DHCPOPT_LEN_MAX);
	if (n == -2)
		return fail(why, wlen,
			    "%s: value is over %d bytes (an option's length is one byte)", label,
			    DHCPOPT_LEN_MAX);
	if (n < 0)
		return fail(why, wlen,
			    "%s: bad value '%s': expected IPv4 addresses, a quoted string, a "
			    "number or hex bytes such as 01:04:0a:00:00:01",
			    label, v);
	if (type_size(t) && n != type_size(t))
		return fail(why, wlen, "%s: takes %d byte%s, the hex gives %d", label, type_size(t),
			    type_size(t) > 1 ? "s" : "", n);
	o->len = n;
	return 0;
}

int dhcpopt_parse(const char *spec, struct dhcpopt *o, char *why, size_t wlen)
{
	const struct dotdef *d;
	size_t n = strcspn(spec, " \t");
	const char *v = spec + n;
	char num[8];
	long code;

	memset(o, 0, sizeof(*o));
	v += strspn(v, " \t");
	if (!n || n >= sizeof(num) || strspn(spec, "0123456789") != n)
		return fail(why, wlen,
			    "bad dhcp_option '%s': expected CODE VALUE, such as 42 "
			    "10.0.0.1",
			    spec);
	memcpy(num, spec, n);
	num[n] = 0;
	code = strtol(num, NULL, 10);
	if (code < 1 || code > 254)
		return fail(why, wlen, "dhcp_option code %ld out of range: 1..254", code);
	if (!*v)
		return fail(why, wlen, "dhcp_option %ld has no value", code);
	d = dot_find((int)code);
	if (d && d->type == DOT_OWNED)
		return fail(why, wlen,
			    "dhcp_option %ld (%s) is set by vacmlab itself and cannot be given",
			    code, d->name);
	o->code = (int)code;
	return parse_value((int)code, d, v, o, why, wlen);
}

int ztp_url_check(const char *url, size_t *host_off, size_t *host_len, char *why, size_t wlen)
{
	static const char *const schemes[] = {"http://", "https://", "ftp://", "tftp://"};
	size_t off = 0, h;

	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
		if (!strncmp(url, schemes[i], strlen(schemes[i])))
			off = strlen(schemes[i]);
	if (!off)
		return fail(why, wlen,
			    "bad URL '%s': the appliance fetches http://, https://, ftp:// or "
			    "tftp:// URLs",
			    url);
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return fail(why, wlen, "bad URL '%s': printable ASCII without blanks only",
				    url);
	h = strcspn(url + off, ":/");
	if (!h)
		return fail(why, wlen, "bad URL '%s': no host", url);
	if (url[off + h] != '/' && url[off + h] != ':')
		return fail(why, wlen, "bad URL '%s': no path to a file", url);
	if (host_off)
		*host_off = off;
	if (host_len)
		*host_len = h;
	return 0;
}

int ztp_encode(const char *config, const char *firmware, struct dhcpopt *o, char *why, size_t wlen)
{
	const char *url[2] = {config, firmware};
	int k = 0;

	memset(o, 0, sizeof(*o));
	o->code = DHCPOPT_VENDOR_ENCAP;
	for (int i = 0; i < 2; i++) {
		size_t n;

		if (!url[i])
			continue;
		n = strlen(url[i]);
		if (k + 2 + n > ZTP_LEN_MAX)
			return fail(why, wlen,
				    "ztp: option 43 would be %zu bytes, over the appliance's %d "
				    "(config and firmware URLs together)",
				    strlen(config) + 2 + (firmware ? strlen(firmware) + 2 : 0),
				    ZTP_LEN_MAX);
		o->val[k++] = (uint8_t)(i + 1);
		o->val[k++] = (uint8_t)n;
		memcpy(o->val + k, url[i], n);
		k += (int)n;
	}
	o->len = k;
	return 0;
}

void dhcpopt_dnsmasq_value(const struct dhcpopt *o, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = 0;
	if (o->addrs) {
		for (int i = 0; i + 4 <= o->len && k < len; i += 4)
			k += (size_t)snprintf(buf + k, len - k, "%s%u.%u.%u.%u", i ? "," : "",
					      o->val[i], o->val[i + 1], o->val[i + 2],
					      o->val[i + 3]);
		return;
	}
	if (o->len == 1) {
		snprintf(buf, len, "%ub", o->val[0]);
		return;
	}
	for (int i = 0; i < o->len && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%02x", i ? ":" : "", o->val[i]);
}

/* Option 43 as sub-options "1=\"...\" 2=\"...\"" when every one is
 * printable text; false if it is not so. */
static bool describe_encap(const struct dhcpopt *o, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = 0;
	for (int i = 0; i < o->len; i += 2 + o->val[i + 1]) {
		if (i + 2 > o->len || i + 2 + o->val[i + 1] > o->len)
			return false;
		for (int j = 0; j < o->val[i + 1]; j++)
			if (o->val[i + 2 + j] < 0x20 || o->val[i + 2 + j] >= 0x7f ||
			    o->val[i + 2 + j] == '"')
				return false;
		if (k < len)
			k += (size_t)snprintf(buf + k, len - k, "%s%u=\"%.*s\"", i ? " " : "",
					      o->val[i], o->val[i + 1],
					      (const char *)o->val + i + 2);
	}
	return true;
}

void dhcpopt_describe(const struct dhcpopt *o, char *buf, size_t len)
{
	const struct dotdef *d = dot_find(o->code);
	bool text = o->code != DHCPOPT_VENDOR_ENCAP;

	if (d && type_size(d->type) == o->len) {
		unsigned long x = 0;

		for (int i = 0; i < o->len; i++)
			x = x << 8 | o->val[i];
		snprintf(buf, len, "%lu", x);
		return;
	}
	if (o->code == DHCPOPT_VENDOR_ENCAP && describe_encap(o, buf, len))
		return;
	if (o->addrs) {
		dhcpopt_dnsmasq_value(o, buf, len);
		return;
	}
	for (int i = 0; i < o->len; i++)
		text = text && o->val[i] >= 0x20 && o->val[i] < 0x7f && o->val[i] != '"';
	if (text && o->len > 1) {
		snprintf(buf, len, "\"%.*s\"", o->len, (const char *)o->val);
		return;
	}
	if (o->len == 1) {
		snprintf(buf, len, "%u", o->val[0]);
		return;
	}
	dhcpopt_dnsmasq_value(o, buf, len);
}
