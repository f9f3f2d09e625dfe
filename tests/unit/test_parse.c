// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_parse.c - the pure parsers of outside input that tests/fuzz/ drives:
 * dnsmasq lease lines (lease_parse_line, lease_lookup_stream) and QMP
 * messages (qmp_parse_msg), on real dnsmasq and QEMU output and on the
 * malformed lines the fuzzers taught us about.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lab/lib/dnsmasq.h"
#include "lab/lib/qmp.h"
#include "tests/unit/tap.h"

static const char *ip(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

static void test_lease_line(void)
{
	static const char *const skipped[] = {
		"duid 00:01:00:01:2c:5f:1a:2b:52:54:00:db:a5:91\n",
		"1733102402 1234567 fd00::5 vacm1 00:01:00:01\n",   /* DHCPv6 */
		"1733102403 06-52:54:00:01:02:03 10.0.0.14 tr *\n", /* not Ethernet */
		"1733102403 52:54:00:01:02:0 10.0.0.14 x *\n",
		"1733102403 52:54:00:01:02:0g 10.0.0.14 x *\n",
		"1733102403 52-54-00-01-02-03 10.0.0.14 x *\n",
		"-1 52:54:00:01:02:03 10.0.0.14 x *\n",
		"99999999999999999999 52:54:00:01:02:03 10.0.0.14 x *\n",
		"1733102403 52:54:00:01:02:03 10.0.0.256 x *\n",
		"1733102403 52:54:00:01:02:03\n",
		"",
		"\n",
	};
	struct lease l;
	char big[600];

	is_int(lease_parse_line("1733102400 52:54:00:DB:a5:91 10.0.0.11 vacm1 01:52:54:00:db\n",
				&l),
	       1, "lease: a dnsmasq line parses");
	ok(l.expiry == 1733102400 && l.mac[0] == 0x52 && l.mac[3] == 0xdb && l.mac[5] == 0x91 &&
		   !strcmp(ip(l.addr), "10.0.0.11") && !strcmp(l.hostname, "vacm1"),
	   "lease: expiry, MAC (either case), address, hostname");
	is_int(lease_parse_line("0 52:54:00:aa:bb:cc 10.0.0.13 *", &l), 1,
	       "lease: infinite lease, no hostname, no newline");
	is_str(l.hostname, "", "lease: '*' is no hostname");
	is_int(lease_parse_line("5 52:54:00:aa:bb:cc 10.0.0.13", &l), 1,
	       "lease: a line without hostname field parses");
	is_str(l.hostname, "", "lease: ... with an empty hostname (was uninitialised)");
	memset(big, 'h', sizeof(big));
	memcpy(big, "5 52:54:00:aa:bb:cc 10.0.0.13 ", 30);
	big[sizeof(big) - 1] = 0;
	is_int(lease_parse_line(big, &l), 1, "lease: a 570-byte hostname parses");
	is_int(strlen(l.hostname), 255, "lease: ... cut to 255 bytes");
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		is_int(lease_parse_line(skipped[i], &l), 0, "lease: skipped: %.*s",
		       (int)strcspn(skipped[i], "\n"), skipped[i]);
}

static void test_lease_lookup(void)
{
	const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	char text[4096], host[64] = "unset";
	struct in_addr a = {0};
	FILE *f;
	int n;

	/* A line longer than the reader's buffer whose tail looks like a
	 * lease of @mac: the tail must not count. */
	n = snprintf(text, sizeof(text), "1 52:54:00:00:00:01 10.0.0.2 a ");
	memset(text + n, 'x', 1100);
	n += 1100;
	n += snprintf(text + n, sizeof(text) - (size_t)n,
		      " 1 52:54:00:12:34:56 10.6.6.6 evil *\n"
		      "2 52:54:00:12:34:56 10.0.0.7 good *\n"
		      "3 52:54:00:12:34:56 10.0.0.8 newer *\n");
	f = fmemopen(text, (size_t)n, "r");
	is_int(lease_lookup_stream(f, mac, &a, host, sizeof(host)), 1, "lookup: found");
	fclose(f);
	is_str(ip(a), "10.0.0.8",
	       "lookup: the last lease wins, the overlong line's tail is not one");
	is_str(host, "newer", "lookup: its hostname");
	f = fmemopen(text, 200, "r");
	is_int(lease_lookup_stream(f, mac, &a, NULL, 0), 0, "lookup: no lease in a cut line");
	fclose(f);
	is_int(lease_lookup("/nonexistent/leases", mac, &a, NULL, 0), 0,
	       "lookup: no lease file, no lease");
}

static void test_lease6(void)
{
	static const char *const skipped[] = {
		"duid 00:01:00:01:2c:5f:1a:2b:52:54:00:db:a5:91\n",
		"1733102400 52:54:00:DB:a5:91 10.0.0.11 vacm1 01:52:54:00:db\n", /* IPv4 */
		"1733102402 x2 fd00::5 vacm1 00:03:00:01:52:54:00:01:02:03\n",
		"1733102402 2 fd00::g vacm1 00:03:00:01:52:54:00:01:02:03\n",
		"1733102402 2 10.0.0.5 vacm1 00:03:00:01:52:54:00:01:02:03\n",
		"-1 2 fd00::5 vacm1 00:03:00:01:52:54:00:01:02:03\n",
		"",
	};
	const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x01, 0x02, 0x03};
	char text[512], a6[INET6_ADDRSTRLEN];
	struct in6_addr a;
	struct lease6 l;
	FILE *f;

	is_int(lease6_parse_line("1796211592 2 fd63:1::12 vacm2 00:03:00:01:52:54:00:01:02:03\n",
				 &l),
	       1, "lease6: a dnsmasq DHCPv6 line parses");
	inet_ntop(AF_INET6, &l.addr, a6, sizeof(a6));
	ok(l.expiry == 1796211592 && !strcmp(a6, "fd63:1::12") && !strcmp(l.hostname, "vacm2") &&
		   l.has_mac && !memcmp(l.mac, mac, 6),
	   "lease6: expiry, address, hostname, the MAC of a DUID-LL");
	is_int(lease6_parse_line("5 T7 fd00::9 * 00:01:00:01:2c:5f:1a:2b:52:54:00:01:02:03", &l), 1,
	       "lease6: a temporary address, no hostname, DUID-LLT");
	ok(l.has_mac && !memcmp(l.mac, mac, 6) && !l.hostname[0], "lease6: ... the DUID-LLT's MAC");
	is_int(lease6_parse_line("5 7 fd00::9 x 00:02:00:00:ab:11:01:02:03:04", &l), 1,
	       "lease6: a DUID-EN lease parses");
	ok(!l.has_mac, "lease6: ... and carries no MAC");
	is_int(lease6_parse_line("5 7 fd00::9 x 00:03:00:01:52:54:00:01:02:03:", &l), 1,
	       "lease6: a DUID with a trailing ':' still a lease");
	ok(!l.has_mac, "lease6: ... whose DUID is not read");
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		is_int(lease6_parse_line(skipped[i], &l), 0, "lease6: skipped: %.*s",
		       (int)strcspn(skipped[i], "\n"), skipped[i]);
	snprintf(text, sizeof(text),
		 "1 52:54:00:01:02:03 10.0.0.2 a *\n"
		 "duid 00:01:00:01:2c:5f:1a:2b:52:54:00:db:a5:91\n"
		 "2 1 fd00::7 a 00:03:00:01:52:54:00:01:02:03\n"
		 "3 1 fd00::8 a 00:03:00:01:52:54:00:01:02:03\n"
		 "4 1 fd00::9 b 00:03:00:01:52:54:00:01:02:04\n");
	f = fmemopen(text, strlen(text), "r");
	is_int(lease6_lookup_stream(f, mac, &a), 1, "lookup6: found by the DUID's MAC");
	fclose(f);
	is_str(inet_ntop(AF_INET6, &a, a6, sizeof(a6)), "fd00::8", "lookup6: the last lease wins");
	is_int(lease6_lookup("/nonexistent/leases", mac, &a), 0, "lookup6: no file, no lease");
}

static void test_qmp(void)
{
	struct qmp_msg m;
	const char *s;

	s = "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}\n";
	is_int(qmp_parse_msg(s, strlen(s), &m), QMP_MSG_GREETING, "qmp: greeting");
	qmp_msg_free(&m);
	s = "{\"return\": {\"status\": \"running\"}, \"id\": 42}\r\n";
	is_int(qmp_parse_msg(s, strlen(s), &m), QMP_MSG_RETURN, "qmp: return");
	ok(m.has_id && m.id == 42, "qmp: return with its id");
	is_str(json_string_value(json_object_get(m.value, "status")), "running",
	       "qmp: return value");
	qmp_msg_free(&m);
	s = "{\"error\": {\"class\": \"GenericError\", \"desc\": \"No such snapshot\"}}";
	is_int(qmp_parse_msg(s, strlen(s), &m), QMP_MSG_ERROR, "qmp: error");
	is_str(m.text, "No such snapshot", "qmp: error desc");
	qmp_msg_free(&m);
	s = "{\"error\": {\"desc\": 7}}";
	qmp_parse_msg(s, strlen(s), &m);
	is_str(m.text, "QMP error without a description", "qmp: error with a non-string desc");
	qmp_msg_free(&m);
	s = "{\"error\": {\"class\": \"GenericError\", \"desc\": \"\"}}";
	qmp_parse_msg(s, strlen(s), &m);
	is_str(m.text, "GenericError", "qmp: error with an empty desc names its class");
	qmp_msg_free(&m);
	s = "{\"event\": \"JOB_STATUS_CHANGE\", \"data\": {\"status\": \"concluded\", \"id\": "
	    "\"j1\"}}";
	is_int(qmp_parse_msg(s, strlen(s), &m), QMP_MSG_EVENT, "qmp: event");
	ok(qmp_msg_is_event(&m, "JOB_STATUS_CHANGE", "id", "j1") &&
		   !qmp_msg_is_event(&m, "JOB_STATUS_CHANGE", "id", "j2") &&
		   !qmp_msg_is_event(&m, "SHUTDOWN", NULL, NULL) &&
		   qmp_msg_is_event(&m, "JOB_STATUS_CHANGE", NULL, NULL),
	   "qmp: event matching by name and data key");
	qmp_msg_free(&m);
	s = "{\"event\": 5}";
	is_int(qmp_parse_msg(s, strlen(s), &m), QMP_MSG_OTHER, "qmp: event name not a string");
	qmp_msg_free(&m);
	s = "{\"return\": 1} trailing";
	is_int(qmp_parse_msg(s, strlen(s), &m), QMP_MSG_BAD, "qmp: trailing garbage is bad JSON");
	ok(!m.root && !strncmp(m.text, "bad JSON from QEMU: ", 20), "qmp: ... '%s'", m.text);
	qmp_msg_free(&m);
	s = "[1, 2]";
	is_int(qmp_parse_msg(s, strlen(s), &m), QMP_MSG_BAD, "qmp: not an object");
	qmp_msg_free(&m);
	is_int(qmp_parse_msg("{\"return\": {}}", 5, &m), QMP_MSG_BAD,
	       "qmp: length is honoured (no NUL needed)");
	qmp_msg_free(&m);
}

int main(void)
{
	test_lease_line();
	test_lease_lookup();
	test_lease6();
	test_qmp();
	return done_testing();
}
