// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_dhcpopt.c - the DHCP option encoder (lab/lib/dhcpopt.c): each value
 * form to its bytes, the type checks, the owned options, option 43 of a
 * ZTP with its 250-byte limit, and the dnsmasq form that gives back the
 * same bytes; plus the lines dnsmasq_config() writes for them (tags,
 * vendor class, TFTP), checked by `dnsmasq --test` when dnsmasq exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lib/dhcpopt.h"
#include "lab/lib/dnsmasq.h"
#include "lab/lib/topo.h"
#include "lab/lib/util.h"
#include "tests/unit/tap.h"

static char *hex(const struct dhcpopt *o)
{
	static char buf[1024];
	struct dhcpopt c = *o;

	c.addrs = false;
	if (c.len == 1) {
		snprintf(buf, sizeof(buf), "%02x", c.val[0]);
		return buf;
	}
	dhcpopt_dnsmasq_value(&c, buf, sizeof(buf));
	return buf;
}

static void good(const char *spec, const char *want_hex, const char *want_dnsmasq)
{
	struct dhcpopt o;
	char why[256] = "", dm[1024];
	int r = dhcpopt_parse(spec, &o, why, sizeof(why));

	if (!ok(r == 0, "'%s' parses (%s)", spec, why))
		return;
	is_str(hex(&o), want_hex, "'%s' bytes", spec);
	dhcpopt_dnsmasq_value(&o, dm, sizeof(dm));
	is_str(dm, want_dnsmasq, "'%s' as dnsmasq reads it", spec);
}

static void bad(const char *spec, const char *want_why)
{
	struct dhcpopt o;
	char why[256] = "";

	ok(dhcpopt_parse(spec, &o, why, sizeof(why)) == -1, "'%s' is refused", spec);
	ok(strstr(why, want_why) != NULL, "'%s': '%s' has '%s'", spec, why, want_why);
}

static void test_values(void)
{
	good("42 10.0.0.1", "0a:00:00:01", "10.0.0.1");
	good("42 10.0.0.1, 10.0.0.2", "0a:00:00:01:0a:00:00:02", "10.0.0.1,10.0.0.2");
	good("33 10.1.0.0 10.0.0.1", "0a:01:00:00:0a:00:00:01", "10.1.0.0,10.0.0.1");
	good("66 \"files\"", "66:69:6c:65:73", "66:69:6c:65:73");
	good("66 \"a\\\"b\\\\\"", "61:22:62:5c", "61:22:62:5c");
	good("67 \"x\"", "78", "120b");
	good("26 1400", "05:78", "05:78");
	good("23 64", "40", "64b");
	good("2 4294967295", "ff:ff:ff:ff", "ff:ff:ff:ff");
	good("26 05:dc", "05:dc", "05:dc");
	good("224 01:04:c0:a8:00:01", "01:04:c0:a8:00:01", "01:04:c0:a8:00:01");
	good("224 0a", "0a", "10b");
	good("224 \"text\"", "74:65:78:74", "74:65:78:74");
	good("224 10.0.0.9", "0a:00:00:09", "10.0.0.9");
	good("43 01:02:61:62", "01:02:61:62", "01:02:61:62");

	bad("1 255.255.255.0", "set by vacmlab itself");
	bad("3 10.0.0.1", "(router) is set by vacmlab");
	bad("6 10.0.0.1", "DNS servers");
	bad("12 \"x\"", "host name");
	bad("15 \"x\"", "domain name");
	bad("51 3600", "lease time");
	bad("54 10.0.0.1", "server identifier");
	bad("0 01:02", "out of range: 1..254");
	bad("255 01:02", "out of range: 1..254");
	bad("300 01:02", "out of range");
	bad("abc 01", "expected CODE VALUE");
	bad("42", "has no value");
	bad("42 \"ntp\"", "expected IPv4 addresses");
	bad("42 10.0.0.256", "expected IPv4 addresses");
	bad("33 10.0.0.1", "pairs of addresses");
	bad("26 65536", "out of range: 0..65535");
	bad("23 256", "out of range: 0..255");
	bad("2 4294967296", "out of range");
	bad("26 \"x\"", "takes a number");
	bad("26 01:02:03", "takes 2 bytes");
	bad("66 files", "bad value 'files'");
	bad("66 \"open", "unterminated string");
	bad("66 \"a\\nb\"", "bad escape");
	bad("66 \"a\"b\"", "stray");
	bad("66 \"\"", "empty string");
	bad("66 \"\t\"", "not printable ASCII");
	bad("224 5", "a number has no size");
	bad("224 1:2", "bad value");
	bad("224 01:02:", "bad value");

	/* The length limits: 255 bytes in one option. */
	{
		char spec[1024] = "224 ";
		size_t k = strlen(spec);

		for (int i = 0; i < 255; i++)
			k += (size_t)snprintf(spec + k, sizeof(spec) - k, "%sab", i ? ":" : "");
		struct dhcpopt o;
		char why[256];

		ok(dhcpopt_parse(spec, &o, why, sizeof(why)) == 0 && o.len == 255,
		   "255 hex bytes are one option");
		snprintf(spec + k, sizeof(spec) - k, ":cd");
		bad(spec, "over 255 bytes");
	}
	{
		char spec[1200] = "42 ";

		for (int i = 0; i < 64; i++)
			strcat(spec, "10.0.0.1,");
		bad(spec, "over 255 bytes");
	}
	{
		char spec[400] = "66 \"";

		memset(spec + 4, 'x', 256);
		strcpy(spec + 260, "\"");
		bad(spec, "over 255 bytes");
	}
}

static void test_ztp(void)
{
	struct dhcpopt o;
	char why[256] = "", url[300], url2[300];
	size_t off, n;

	ok(ztp_encode("http://10.0.0.5/c.sh", NULL, &o, why, sizeof(why)) == 0, "ztp config only");
	is_int(o.code, 43, "option 43");
	is_str(hex(&o), "01:14:68:74:74:70:3a:2f:2f:31:30:2e:30:2e:30:2e:35:2f:63:2e:73:68",
	       "sub-option 1, length 20, the URL");
	ok(ztp_encode("tftp://10.0.0.254/c.tar", "http://10.0.0.5/fw.flash", &o, why,
		      sizeof(why)) == 0,
	   "ztp config and firmware");
	is_int(o.len, 2 + 23 + 2 + 24, "both sub-options");
	is_int(o.val[25], 2, "sub-option 2 follows");
	is_int(o.val[26], 24, "with its length");
	ok(!memcmp(o.val + 27, "http://10.0.0.5/fw.flash", 24), "and the firmware URL");
	/* 250 bytes in all: 2 + 120 + 2 + 126 fits, one more does not. */
	snprintf(url, sizeof(url), "http://10.0.0.5/%0104d", 0);
	snprintf(url2, sizeof(url2), "http://10.0.0.5/%0110d", 0);
	is_int((int)strlen(url), 120, "120-byte URL");
	ok(ztp_encode(url, url2, &o, why, sizeof(why)) == 0 && o.len == 250, "250 bytes fit");
	snprintf(url2, sizeof(url2), "http://10.0.0.5/%0111d", 0);
	ok(ztp_encode(url, url2, &o, why, sizeof(why)) == -1, "251 bytes are refused");
	ok(strstr(why, "251 bytes, over the appliance's 250") != NULL, "saying so: %s", why);

	ok(ztp_url_check("http://files/cfg.sh", &off, &n, why, sizeof(why)) == 0 && off == 7 &&
		   n == 5,
	   "host of an http URL");
	ok(ztp_url_check("tftp://lan:69/c.tar", &off, &n, why, sizeof(why)) == 0 && off == 7 &&
		   n == 3,
	   "host of a tftp URL with a port");
	ok(ztp_url_check("https://h/x", NULL, NULL, why, sizeof(why)) == 0, "https");
	ok(ztp_url_check("ftp://h/x", NULL, NULL, why, sizeof(why)) == 0, "ftp");
	ok(ztp_url_check("file:///x", NULL, NULL, why, sizeof(why)) == -1, "no file://");
	ok(ztp_url_check("http:///x", NULL, NULL, why, sizeof(why)) == -1, "no empty host");
	ok(ztp_url_check("http://h", NULL, NULL, why, sizeof(why)) == -1, "no path");
	ok(ztp_url_check("http://h/a b", NULL, NULL, why, sizeof(why)) == -1, "no blanks");
}

/* dnsmasq_config() for a topology with options, checked by dnsmasq itself. */
static void test_dnsmasq(void)
{
	static const char text[] =
		"[lan lan]\n"
		"subnet = 10.7.0.0/24\n"
		"dhcp = 10.7.0.100-10.7.0.150\n"
		"tftp = .\n"
		"dhcp_option = 42 10.7.0.1\n"
		"dhcp_option = 67 \"x\"\n"
		"vendor_class = Opengear/\n"
		"ztp = config=tftp://lan/cfg.sh\n"
		"[host files]\n"
		"nic = lan 10.7.0.5\n"
		"[node n1]\n"
		"image = fake.img\n"
		"nic = lan\n"
		"dhcp_option = 26 1400\n"
		"ztp = config=http://files/c.sh firmware=http://files/fw.flash\n";
	struct dnsmasq_paths dp = {
		.conf = "/tmp/c", .leases = "/tmp/l", .pidfile = "/tmp/p", .log = "/tmp/log"};
	struct topo *t = NULL;
	struct topo_err err;
	char *conf;
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	_cleanup_free_ char *path = xasprintf("%s/tests/topo/t.conf", cwd);

	if (!ok(topo_load_string(text, path, &t, &err) == 0, "topology with options loads (%s)",
		err.msg))
		return;
	conf = dnsmasq_config(t, &dp);
	ok(strstr(conf, "dhcp-vendorclass=set:vc_lan,Opengear/\n") != NULL, "vendor class tag");
	ok(strstr(conf, "dhcp-option=tag:lan,tag:vc_lan,42,10.7.0.1\n") != NULL,
	   "LAN option behind its tags");
	ok(strstr(conf, "dhcp-option=tag:lan,tag:vc_lan,67,120b\n") != NULL, "one byte as Nb");
	ok(strstr(conf, "dhcp-option=tag:lan,tag:vc_lan,43,01:18:74:66:74:70:3a:2f:2f:31:30:2e:37:"
			"2e:30:2e:32:35:34:2f:63:66:67:2e:73:68\n") != NULL,
	   "LAN ztp: the LAN's name is its bridge address");
	ok(strstr(conf, ",set:node_n1,n1\n") != NULL, "the node's NIC carries its tag");
	ok(strstr(conf, "dhcp-option=tag:node_n1,26,05:78\n") != NULL, "node option");
	ok(strstr(conf, "dhcp-option=tag:node_n1,43,01:14:68:74:74:70:3a:2f:2f:31:30:2e:37:2e:30:"
			"2e:35:2f") != NULL,
	   "node ztp: the host's name is its address");
	ok(strstr(conf, "enable-tftp=lan\n") != NULL, "TFTP on the LAN's bridge");
	ok(strstr(conf, "tftp-root=") != NULL && strstr(conf, "tests/topo,lan\n") != NULL,
	   "rooted at the LAN's directory");
	if (access("/usr/sbin/dnsmasq", X_OK) == 0) {
		char tmp[] = "/tmp/test_dhcpopt.XXXXXX";
		int fd = mkstemp(tmp);
		_cleanup_free_ char *cmd = xasprintf("/usr/sbin/dnsmasq --test -C %s 2>&1", tmp);
		char out[512] = "";
		FILE *f;

		if (write(fd, conf, strlen(conf)) < 0)
			abort();
		close(fd);
		f = popen(cmd, "r");
		if (fread(out, 1, sizeof(out) - 1, f) == 0)
			out[0] = 0;
		ok(pclose(f) == 0 && strstr(out, "syntax check OK"), "dnsmasq accepts it: %s", out);
		unlink(tmp);
	} else {
		ok(1, "# SKIP no /usr/sbin/dnsmasq");
	}
	free(conf);
	topo_free(t);
}

int main(void)
{
	test_values();
	test_ztp();
	test_dnsmasq();
	return done_testing();
}
